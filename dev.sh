#!/usr/bin/env bash
# Set-up and entry point on a fresh Debian 12 machine (run as root, or with sudo available):
# installs the missing Debian packages, finds a JDK >= 22, builds, then
#   ./dev.sh demo    runs the demo (wg-pr demo: a lab in network namespaces; --keep leaves it up)
#   ./dev.sh tour    the config tools on their own: doctor, keys, check, import
#   ./dev.sh test    runs the whole test suite: unit, root and network-namespace tests
#   ./dev.sh vmtest  boots Debian's stock kernels (6.1, 6.12) in qemu and runs the checks of
#                    vmtest/guest.sh in each, beside the host's kernel, and 6.12 once more with systemd
#                    as PID 1 (vmtest/systemd.sh, the .deb installed): one table, kernel x check
#   ./dev.sh build   builds only (./wg-pr works afterwards)
#   ./dev.sh package builds packaging/target/wg-pr_<version>_amd64.deb (its own Java runtime) and runs lintian
#   ./dev.sh java    prints the JDK's java executable
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(maven clang llvm libbpf-dev libbpf1 libmnl0 libmnl-dev linux-libc-dev iproute2 nftables
  wireguard-tools wireguard-go curl util-linux iperf3 bpftool tcpdump procps iputils-ping systemd
  asciidoctor lintian mmdebstrap systemd-container openssh-client openssh-server dbus polkitd dnsmasq-base
  bind9-dnsutils strace libsodium23
  sway waybar grim fonts-dejavu-core adwaita-icon-theme libglib2.0-bin libwayland-dev libwayland-bin)
# (sway, waybar, grim: the tray's tests run a real tray host, waybar's tray module in headless sway, and
# take its screenshot; the font and the icon theme are what waybar draws with; gdbus is how the tests talk
# to the tray as GNOME's AppIndicator extension does, through GLib's D-Bus; libwayland-dev and its scanner
# build the test's virtual pointer, which clicks the tray icon open in the headless sway.)
# Only for ./dev.sh vmtest: the emulator and the initramfs' shell (the kernels come from the mirror).
VM_PACKAGES=(qemu-system-x86 busybox-static xz-utils)

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

install_packages() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return
  echo "==> installing Debian packages: ${missing[*]}"
  as_root apt-get update -q
  # The services of what is installed for the tests (sshd, for one) are not started: the tests start
  # their own, inside their namespaces. A policy-rc.d that was there already stays as it was.
  local policy=/usr/sbin/policy-rc.d own_policy=
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | as_root tee "$policy" >/dev/null && as_root chmod 0755 "$policy" && own_policy=1
  fi
  # No recommends: wireguard-tools would otherwise pull in a kernel image.
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" ||
    { [ -n "$own_policy" ] && as_root rm -f "$policy"; return 1; }
  [ -n "$own_policy" ] && as_root rm -f "$policy"
  return 0
}

# systemd-resolved for the tests of a resolved host, unpacked, never installed: its package's postinst would make
# /etc/resolv.conf a symlink to a stub that nothing serves outside the tests' namespaces.
RESOLVED_CACHE=/var/cache/wg-pr-resolved
# Debian's resolvconf likewise (its postinst would make /etc/resolv.conf its symlink).
RESOLVCONF_CACHE=/var/cache/wg-pr-resolvconf
unpack_resolvers() {
  if [ ! -x "$RESOLVED_CACHE/root/lib/systemd/systemd-resolved" ]; then
    echo "==> unpacking systemd-resolved into $RESOLVED_CACHE (not installed)"
    as_root mkdir -p "$RESOLVED_CACHE"
    (cd "$RESOLVED_CACHE" && as_root apt-get download -q "systemd-resolved=$(dpkg-query -W -f='${Version}' systemd)" &&
      as_root dpkg-deb -x systemd-resolved_*.deb root)
  fi
  if [ ! -f "$RESOLVCONF_CACHE/root/sbin/resolvconf" ]; then
    echo "==> unpacking resolvconf into $RESOLVCONF_CACHE (not installed)"
    as_root mkdir -p "$RESOLVCONF_CACHE"
    (cd "$RESOLVCONF_CACHE" && as_root apt-get download -q resolvconf && as_root dpkg-deb -x resolvconf_*.deb root)
  fi
}

java_feature() { # the feature version of a JDK home, or nothing
  [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] || return 0
  sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release" 2>/dev/null
}

find_jdk() {
  local home version
  for home in "${JAVA_HOME:-}" $(ls -d /usr/lib/jvm/*/ 2>/dev/null | sort -rV); do
    home=${home%/}
    [ -n "$home" ] || continue
    version=$(java_feature "$home")
    if [ -n "$version" ] && [ "$version" -ge 22 ]; then echo "$home"; return; fi
  done
  cat >&2 <<'MSG'
error: no JDK 22 or newer found (wg-pr uses the FFM API; JDK 25 is what we test with).
       Looked at $JAVA_HOME and /usr/lib/jvm/*. Install one, for example Eclipse Temurin 25:
         https://adoptium.net/installation/linux/ (apt package temurin-25-jdk)
       then run this again, or point JAVA_HOME at it.
MSG
  exit 1
}

build() {
  echo "==> building with $JAVA_HOME"
  mvn -B -q --no-transfer-progress -Dstyle.color=never -DskipTests package
  echo "==> the CLI's ahead-of-time cache (client/target/wg-pr.aot)"
  client/aot-cache.sh "$JAVA_HOME/bin/java" client/target/wg-pr.jar client/target/wg-pr.aot
  # ./wg-pr runs the JDK the cache was made with, without searching for it again at every start.
  ln -sfn "$JAVA_HOME/bin/java" client/target/java
}

cmd=${1:-build}
case $cmd in
  java) echo "$(find_jdk)/bin/java"; exit ;;
  build|demo|tour|package) install_packages "${PACKAGES[@]}" ;;
  test) install_packages "${PACKAGES[@]}" && unpack_resolvers ;;
  vmtest) install_packages "${PACKAGES[@]}" "${VM_PACKAGES[@]}" ;;
  *) echo "usage: $0 {build|demo [--keep|--clean]|tour|test|vmtest|package|java}" >&2; exit 2 ;;
esac

export JAVA_HOME; JAVA_HOME=$(find_jdk)
export PATH="$JAVA_HOME/bin:$PATH"

case $cmd in
  build) build ;;
  package)
    build
    packaging/build-deb.sh
    echo "==> lintian"
    lintian --fail-on error packaging/target/wg-pr_*_amd64.deb ;;
  demo) build; shift; as_root ./wg-pr demo "$@" ;;
  tour) build; as_root ./configs/demo/tour.sh ;;
  test)
    echo "==> running every test (unit, root, network namespaces) with $JAVA_HOME"
    if [ "$(id -u)" -ne 0 ]; then exec sudo --preserve-env=JAVA_HOME,PATH "$0" test; fi
    mvn -B --no-transfer-progress -Psystem-tests verify ;;
  vmtest)
    build
    packaging/build-deb.sh # the .deb that the systemd check's image installs
    if [ "$(id -u)" -ne 0 ]; then exec sudo --preserve-env=JAVA_HOME,PATH ./vmtest/vmtest.sh; fi
    ./vmtest/vmtest.sh ;;
esac
