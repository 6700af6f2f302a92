#!/usr/bin/env bash
# Installs a wg-pr .deb into a clean Debian 12 root filesystem with apt, as a new user would, uses it, purges
# it, and checks that nothing of wg-pr is left. Run as root: ./packaging/test-install.sh packaging/target/wg-pr_*.deb
#
# The root is made by mmdebstrap from the Debian mirror once and kept as a tarball (debian-root.sh) in $WG_PR_ROOT_CACHE
# (default /var/cache/wg-pr-tests): later runs unpack it (a few seconds) and reach no network. It holds
# Debian's minbase plus wg-pr's dependencies and what the checks use (man-db, the shells), no JDK, so
# `apt install ./wg-pr_*.deb` downloads nothing. The root is used through chroot in a private mount
# namespace (its /proc, /sys and /dev mounts end with it) and removed at the end, also on failure.
set -euo pipefail
deb=$(readlink -f "$1")
[ -f "$deb" ] || { echo "usage: $0 wg-pr_VERSION_amd64.deb" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "$0: run as root" >&2; exit 2; }

suite=bookworm
# wireguard-go, curl and dnsmasq-base: the demo's gateway, app and the gateway's DNS (wg-pr demo names them).
tarball=$("$(dirname "$0")/debian-root.sh" libbpf1,libmnl0,iproute2,wireguard-tools,man-db,bash-completion,zsh,fish,wireguard-go,curl,dnsmasq-base)

root=$(mktemp -d /var/tmp/wg-pr-clean-root.XXXXXX)
trap 'rm -rf --one-file-system "$root"' EXIT
tar -C "$root" -xf "$tarball"
install -m 0644 "$deb" "$root/tmp/"
install -m 0755 "$(dirname "$0")/check-completions.sh" "$root/tmp/"
echo "==> $(basename "$deb") into a clean Debian $suite root at $root"

# The whole session in one chroot: `inside` prints each command it runs and stops at the first that fails.
unshare --mount --propagation private -- sh -euc '
  root=$1; shift
  mount --rbind /proc "$root/proc"; mount --rbind /sys "$root/sys"; mount --rbind /dev "$root/dev"
  exec chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
    /bin/bash -euo pipefail -c "$1"
' sh "$root" '
  step() { echo "--- $*"; }
  find / -xdev \( -path /proc -o -path /sys -o -path /dev -o -path /tmp \) -prune -o -print | sort > /tmp/before
  step "no Java before: $(command -v java || echo none)"
  command -v java && { echo "a java is already installed"; exit 1; }

  step "apt install ./wg-pr_*.deb"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q /tmp/wg-pr_*.deb 2>&1 | tail -n 3
  step "no JDK came with it: $(command -v java || echo none); packages: $(dpkg-query -W -f="\${Package} " "*jdk*" "*jre*" 2>/dev/null || true)"
  command -v java && { echo "a java was installed"; exit 1; }

  step "wg-pr --version"
  wg-pr --version
  step "wg-pr doctor"
  wg-pr doctor
  step "man wg-pr"
  MANPAGER=cat MANWIDTH=100 man wg-pr 2>&1 | head -n 4
  MANPAGER=cat man wg-pr | grep -q "WireGuard split-tunnel client"
  step "man 5 wg-pr.toml"
  MANPAGER=cat MANWIDTH=100 man 5 wg-pr.toml 2>&1 | sed -n "4,6p"
  step "completion of: wg-pr st<TAB>"
  /tmp/check-completions.sh
  step "the wg-pr group: $(getent group wg-pr)"

  # The daemon on the packaged runtime, locked down as it ships (Landlock names the runtime as its JDK), under
  # an instance name of its own: /sys is the host'"'"'s, and so are the pins and cgroups its name places.
  instance=wg-pr-debtest-$$
  step "the daemon: start, status, stop (instance $instance)"
  wg-pr --instance "$instance" daemon --foreground > /tmp/daemon.log 2>&1 &
  daemon=$!
  trap "kill -TERM $daemon 2>/dev/null; wait $daemon 2>/dev/null" EXIT
  for attempt in $(seq 120); do
    wg-pr --instance "$instance" status > /tmp/status 2>&1 && ! grep -q "no daemon runs" /tmp/status && break
    kill -0 $daemon 2>/dev/null || { cat /tmp/daemon.log; exit 1; }
    sleep 0.5
  done
  head -n 3 /tmp/status
  kill -TERM $daemon
  status=0; wait $daemon || status=$?
  trap - EXIT
  # A daemon outside a delegated service runs in <cgroup2>/<instance>.daemon, which it cannot remove itself;
  # its launch helper, there too, ends once it sees the daemon gone.
  for mount in /sys/fs/cgroup /sys/fs/cgroup/unified; do
    leaf=$mount/$instance.daemon
    [ -d "$leaf" ] || continue
    for attempt in $(seq 120); do grep -q "^populated 0" "$leaf/cgroup.events" && break; sleep 0.5; done
    rmdir "$leaf"
  done
  step "the daemon stopped with $status; its class-data archive: $(ls /var/cache/wg-pr/ | tr "\n" " ")"
  [ -f /var/cache/wg-pr/daemon.jsa ] || { cat /tmp/daemon.log; exit 1; }

  # The demo as a new user runs it after installing: its own network namespaces (inside this root'"'"'s
  # mount namespace), the packaged daemon, a wireguard-go gateway; it says itself whether the story held.
  step "wg-pr demo"
  wg-pr demo > /tmp/demo.out 2>&1 || { cat /tmp/demo.out; exit 1; }
  grep "^── " /tmp/demo.out
  grep -q "^Done: nothing of the lab is left." /tmp/demo.out || { cat /tmp/demo.out; exit 1; }
  tail -n 1 /tmp/demo.out

  step "apt purge wg-pr"
  DEBIAN_FRONTEND=noninteractive apt-get purge -y -q wg-pr 2>&1 | grep -v "Reading database" | tail -n 2
  find / -xdev \( -path /proc -o -path /sys -o -path /dev -o -path /tmp \) -prune -o -print | sort > /tmp/after
  # Not counted: logs; apt'"'"'s caches of what it was given (pkgcache.bin, lists/auxfiles: apt'"'"'s state of
  # any local .deb); dpkg'"'"'s and shadow'"'"'s previous copies (*-old, /etc/group-, /etc/gshadow-: groupdel of any
  # package leaves its group in these backups until the next change of groups).
  known="^/var/log/|^/var/cache/man/|^/var/cache/apt/(src)?pkgcache.bin$|^/var/lib/apt/lists/auxfiles$"
  known="$known|^/var/lib/apt/extended_states$|-old$|^/etc/(group|gshadow|passwd|shadow)-$"
  step "left after purge (new paths, then files that mention wg-pr):"
  comm -13 /tmp/before /tmp/after | grep -E -v "$known" || true
  grep -rl "wg-pr" /etc /usr /var/lib /var/cache /run 2>/dev/null | grep -E -v "$known" || true
  step "end"
'
