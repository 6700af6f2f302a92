#!/usr/bin/env bash
# Prints the directory of the VM tier's systemd image: a Debian 12 (bookworm) root that mmdebstrap makes
# from the Debian mirror (packaging/debian-root.sh, cached by its package list), with wg-pr installed
# from DEB as a user installs it (dpkg, its maintainer scripts) and a user, alice, in the wg-pr group.
# vmtest.sh shares it read-only with the VM, where systemd boots it under a tmpfs overlay. Cached in
# CACHE/systemd-root-KEY, KEY naming the package list, the .deb's bytes and this script: made again
# only when one of them changes (older images are removed then).
#   usage: systemd-image.sh CACHE DEB
set -euo pipefail
cache=$1 deb=$(readlink -f "$2")
[ -f "$deb" ] || { echo "systemd-image: no .deb at $2 (./dev.sh package makes it)" >&2; exit 1; }
# systemd with logind and a user manager (systemd-run --user), the lab's tools (ip, wg, wireguard-go),
# python for the app and the probes, and what the .deb depends on.
packages=systemd,systemd-sysv,dbus,dbus-user-session,libpam-systemd,procps,iproute2,wireguard-tools,wireguard-go,python3-minimal,libbpf1,libmnl0
key=$({ echo "$packages"; sha256sum <"$deb"; sha256sum <"$0"; } | sha256sum | cut -c1-12)
image=$cache/systemd-root-$key
if [ -d "$image" ]; then echo "$image"; exit 0; fi

tarball=$(WG_PR_ROOT_CACHE=$cache "$(dirname "$0")/../packaging/debian-root.sh" "$packages")
echo "==> the systemd image $image: $(basename "$tarball") and $(basename "$deb")" >&2
started=$SECONDS
rm -rf --one-file-system "$image.partial"
mkdir -p "$image.partial"
tar -C "$image.partial" -xf "$tarball"
install -m 0644 "$deb" "$image.partial/var/tmp/wg-pr.deb"
chroot "$image.partial" dpkg -i /var/tmp/wg-pr.deb >&2
rm "$image.partial/var/tmp/wg-pr.deb"
chroot "$image.partial" useradd --create-home --uid 1000 --groups wg-pr alice
echo wgpr-systemd-vm >"$image.partial/etc/hostname"
for old in "$cache"/systemd-root-*; do
  [ "$old" = "$image.partial" ] || rm -rf --one-file-system "$old"
done
mv "$image.partial" "$image"
echo "==> the systemd image took $((SECONDS - started)) s" >&2
echo "$image"
