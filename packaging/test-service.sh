#!/usr/bin/env bash
# The .deb under a booted systemd (Debian 12's systemd 252 in systemd-nspawn), as an administrator uses it:
# installs it with apt while systemd runs, starts wg-pr.service and wg-pr@corp.service (the confined daemon
# and a tunnel), rates the running unit with `systemd-analyze security`, has a user start an app with
# `wg-pr run` that writes in the user's home and /tmp, shows with systemd-cgls that the app lives in the
# subtree systemd delegated to wg-pr.service, has `systemd-run --user --scope` move an app out of its
# cgroup (the daemon reports it), upgrades the package (the daemon restarts, the tunnel comes back), and
# purges it. Run as root: ./packaging/test-service.sh packaging/target/wg-pr_*.deb
#
# The container has its own network namespace with only loopback (the tunnel's endpoint is TEST-NET-1,
# never reached), a bpffs of its own at /sys/fs/bpf, and bpf(2) allowed by nspawn's filter. Its root comes
# from the Debian mirror once (mmdebstrap) and is cached by debian-root.sh.
# Everything is removed at the end, also on failure.
set -euo pipefail
deb=$(readlink -f "$1")
[ -f "$deb" ] || { echo "usage: $0 wg-pr_VERSION_amd64.deb" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "$0: run as root" >&2; exit 2; }
command -v systemd-nspawn >/dev/null || { echo "$0: systemd-nspawn is missing (apt-get install systemd-container)" >&2; exit 2; }

suite=bookworm
tarball=$("$(dirname "$0")/debian-root.sh" systemd,systemd-sysv,dbus,libpam-systemd,procps,libbpf1,libmnl0,iproute2,wireguard-tools)

work=$(mktemp -d /var/tmp/wg-pr-service-test.XXXXXX)
root=$work/root
bpffs=$work/bpffs
nspawn=
cleanup() {
  if [ -n "$nspawn" ] && kill -0 "$nspawn" 2>/dev/null; then
    kill -TERM "$nspawn" 2>/dev/null || true # the container halts: its units stop in order
    for _ in $(seq 60); do kill -0 "$nspawn" 2>/dev/null || break; sleep 1; done
    kill -KILL "$nspawn" 2>/dev/null || true
  fi
  mountpoint -q "$bpffs" && umount "$bpffs"
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT
mkdir -p "$root" "$bpffs"
tar -C "$root" -xf "$tarball"
echo wg-pr-test > "$root/etc/hostname"
install -m 0644 "$deb" "$root/var/tmp/wg-pr.deb"
mount -t bpf bpf "$bpffs"

# Its cgroup2 at /sys/fs/cgroup, as on a host that boots with systemd today, also where this host is hybrid.
SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1 systemd-nspawn --quiet --keep-unit --register=no --directory="$root" --private-network --capability=all \
  --system-call-filter=bpf --bind="$bpffs:/sys/fs/bpf" --boot --console=pipe > "$work/console" 2>&1 &
nspawn=$!
descendants() { local child; for child in $(pgrep -P "$1" || true); do echo "$child"; descendants "$child"; done; }
init=
for _ in $(seq 120); do
  # The container's systemd: the process called systemd among nspawn's descendants.
  for pid in $(descendants "$nspawn"); do
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = systemd ] && init=$pid && break
  done
  case $([ -n "$init" ] && nsenter -t "$init" -a systemctl is-system-running 2>/dev/null) in
    running|degraded) break ;;
  esac
  sleep 1
done
[ -n "$init" ] || { cat "$work/console"; echo "the container did not boot" >&2; exit 1; }
echo "==> $(basename "$deb") in a booted Debian $suite (systemd pid $init on the host)"

nsenter -t "$init" -a /bin/bash -euo pipefail -c '
  step() { echo "--- $*"; }
  export DEBIAN_FRONTEND=noninteractive
  step "apt install ./wg-pr.deb (systemd running)"
  apt-get install -y -q /var/tmp/wg-pr.deb 2>&1 | tail -n 1
  useradd --create-home --groups wg-pr alice
  mkdir -p /etc/wg-pr
  cat > /etc/wg-pr/corp.toml <<EOF
[interface]
name = "corp0"
privateKey = "$(wg-pr genkey)"
address = ["10.8.0.2/32"]

[[peer]]
name = "gw"
publicKey = "$(wg-pr genkey | wg-pr pubkey)"
endpoint = "192.0.2.1:51820"
allowedIPs = ["10.20.0.0/16"]

[[peer.allowedApps]]
name = "toucher"
exec = "/usr/bin/touch"

[[peer.allowedApps]]
name = "shell"
exec = "/usr/bin/bash"

[[peer.allowedApps]]
name = "scoped"
exec = "/usr/bin/systemd-run"
EOF
  chmod 600 /etc/wg-pr/corp.toml

  # A network to leak to: a default route into one end of a veth pair whose other end has no address and
  # drops what it gets (nothing leaves the container). A non-app connect to the tunnel'"'"'s prefix that wg-pr
  # does not stop is sent there and times out; one wg-pr stops fails at once, denied (EPERM) or unreachable
  # (the fail-closed routes).
  ip link add wan0 type veth peer name wan1
  ip address add 198.18.0.2/24 dev wan0
  ip link set wan1 up
  ip link set wan0 up
  ip route add default via 198.18.0.1
  # One connect by nobody, as a process of the machine (a transient unit: a shell nsenter made is in the
  # host'"'"'s cgroups, outside the container'"'"'s, where wg-pr'"'"'s programs are attached).
  cat > /usr/local/bin/nonapp-connect <<"EOS"
#!/bin/bash
said=$(timeout 2 /usr/bin/bash -c "exec 3<>/dev/tcp/10.20.1.1/443" 2>&1) && status=0 || status=$?
case $said in
  *"not permitted"*) echo denied ;;
  *"No route to host"*) echo unreachable ;;
  *) if [ "$status" = 124 ]; then echo sent; else echo "other $status $said"; fi ;;
esac
EOS
  chmod 755 /usr/local/bin/nonapp-connect
  nonapp_connect() { systemd-run --quiet --wait --pipe --uid=65534 --gid=65534 /usr/local/bin/nonapp-connect; }
  step "a non-app before any tunnel: $(nonapp_connect)"

  step "systemctl start wg-pr.service wg-pr@corp.service"
  systemctl start wg-pr.service wg-pr@corp.service
  echo "wg-pr.service $(systemctl is-active wg-pr.service), wg-pr@corp.service $(systemctl is-active wg-pr@corp.service)"
  echo "status: $(systemctl show -p StatusText --value wg-pr.service)"
  wg-pr status | grep -E "^interface|backstop|^enforcement"
  step "systemd-analyze security wg-pr.service"
  systemd-analyze security wg-pr.service | tail -n 1

  step "wg-pr run as alice: an app writes in her home"
  cd /home/alice
  setpriv --reuid=alice --regid=alice --init-groups env HOME=/home/alice \
    wg-pr run --app toucher -- /usr/bin/touch /home/alice/written-by-app
  stat -c "app wrote %n as %U" /home/alice/written-by-app

  # alice as her desktop session would be: her own user manager (lingering), XDG_RUNTIME_DIR set.
  loginctl enable-linger alice
  for _ in $(seq 60); do [ "$(systemctl is-active user@$(id -u alice).service)" = active ] && break; sleep 0.5; done
  as_alice() {
    setpriv --reuid=alice --regid=alice --init-groups \
      env HOME=/home/alice USER=alice XDG_RUNTIME_DIR=/run/user/$(id -u alice) "$@"
  }
  # --man=no: this root has no man-db (the package only suggests it); test-install.sh reads the pages that
  # Documentation= names with man.
  step "systemd-analyze verify: the units as shipped"
  verify=$(systemd-analyze verify --man=no wg-pr.service wg-pr.socket wg-pr@corp.service 2>&1 || echo "exit status $?")
  verify+=$(as_alice systemd-analyze --user verify --man=no wg-pr-tray.service 2>&1 || echo "exit status $? (--user)")
  echo "${verify:-clean}"
  step "an app of alice: her home, /tmp and devices, not the daemon'"'"'s"
  mknod -m 0666 /dev/wgpr-fuse c 10 229 # as a desktop gives its user /dev/fuse, a GPU or a camera
  as_alice wg-pr run --app shell -- /usr/bin/bash -c \
    "touch /home/alice/home-by-app /tmp/tmp-by-app; (exec 3<>/dev/wgpr-fuse) 2>/tmp/device.txt && echo opened /dev/wgpr-fuse > /tmp/device.txt; exec sleep 600" \
    > /dev/null 2>&1 &
  for _ in $(seq 100); do [ -e /tmp/tmp-by-app ] && break; sleep 0.2; done
  stat -c "app wrote %n as %U" /home/alice/home-by-app /tmp/tmp-by-app
  app=$(pgrep -u alice -x sleep)
  echo "app pid $app in $(grep "^0::" /proc/$app/cgroup)"

  echo "device: $(cat /tmp/device.txt)"
  # What the unit'"'"'s former ACL (/dev/net/tun only) did to the same open: its apps inherit it now.
  if systemd-run --quiet --wait --pipe --uid=alice -p DevicePolicy=closed -p "DeviceAllow=/dev/net/tun rw" \
    /usr/bin/bash -c "exec 3<>/dev/wgpr-fuse" 2>/dev/null; then
    echo "under DeviceAllow=/dev/net/tun: opened"
  else
    echo "under DeviceAllow=/dev/net/tun: refused"
  fi
  step "systemd-cgls -u wg-pr.service"
  systemd-cgls --no-pager -u wg-pr.service | sed "s/ \{2,\}/ /g"
  cgroup2=$(findmnt -n -t cgroup2 -o TARGET | head -n 1)
  echo "cgroup2 at $cgroup2"
  cgroups=$cgroup2/system.slice/wg-pr.service
  echo "delegated subtree: $(stat -c "%U %a" $cgroups/wg-pr/shell) $(stat -c "cgroup.procs %U %a" $cgroups/wg-pr/shell/cgroup.procs)"
  echo "at the cgroup2 root: $(cd "$cgroup2" && ls -d wg-pr* 2>/dev/null || echo nothing of wg-pr)"
  if setpriv --reuid=alice --regid=alice --init-groups sh -c "echo \$\$ > $cgroups/wg-pr/shell/cgroup.procs" 2>/dev/null; then
    echo "alice moved a process into an app cgroup"
  else
    echo "alice may not move a process into an app cgroup"
  fi

  step "systemd-run --user --scope: an app that moves itself out"
  as_alice wg-pr run --app scoped -- /usr/bin/systemd-run --user --scope --unit=escaped-app /usr/bin/sleep 601 \
    > /tmp/scoped.out 2>&1 &
  for _ in $(seq 100); do wg-pr status | grep -q "left its app cgroup" && break; sleep 0.2; done
  wg-pr status | grep -A1 "^running: .* app scoped" || cat /tmp/scoped.out
  wg-pr events | grep "left its app cgroup" | cut -d" " -f2- || echo "no event"
  systemd-cgls --no-pager -u user@$(id -u alice).service | grep -B1 "sleep 601" | sed "s/ \{2,\}/ /g"
  cd /

  step "upgrade: apt install --reinstall"
  # A non-app tries the tunnel'"'"'s prefix all through the upgrade: the enforcement must hold while one
  # daemon hands over to the next.
  rm -f /tmp/probe.stop
  install -m 0666 /dev/null /tmp/probe.log
  systemd-run --quiet --unit=wgpr-probe --uid=65534 --gid=65534 /usr/bin/bash -c \
    "while [ ! -e /tmp/probe.stop ]; do /usr/local/bin/nonapp-connect; sleep 0.05; done >> /tmp/probe.log"
  before=$(systemctl show -p MainPID --value wg-pr.service)
  apt-get install -y -q --reinstall /var/tmp/wg-pr.deb 2>&1 | tail -n 1
  after=$(systemctl show -p MainPID --value wg-pr.service)
  # The restart of wg-pr.service restarts wg-pr@corp.service (Requires=): wait for its up to finish.
  for _ in $(seq 120); do [ "$(systemctl is-active wg-pr@corp.service)" = activating ] || break; sleep 0.5; done
  touch /tmp/probe.stop
  for _ in $(seq 100); do systemctl is-active --quiet wgpr-probe.service || break; sleep 0.1; done
  echo "daemon pid $before -> $after; wg-pr@corp.service $(systemctl is-active wg-pr@corp.service)"
  echo "a non-app during the upgrade: $(sort /tmp/probe.log | uniq -c | awk "{ print \$2 \" \" \$1 }" | paste -sd, -)"
  journalctl -q -u wg-pr.service --since "-3min" | grep -o "handing over to the next daemon.*" | head -n 1
  # The ExecStop of wg-pr@corp (wg-pr down), stopped by the same restart, was answered by the daemon itself.
  journalctl -q -u wg-pr.service --since "-3min" | grep -o "down corp0: left up for the next daemon.*" | head -n 1
  wg-pr status | grep -E "^interface|^enforcement"
  # The hand-over left the app running (KillMode=process too); the new daemon adopted its cgroup.
  if kill -0 "$app" 2>/dev/null; then
    echo "app pid $app still runs in $(grep "^0::" /proc/$app/cgroup)"
  else
    echo "app pid $app is gone"
  fi
  pkill -u alice -x sleep

  step "wg-pr.socket: no daemon runs, and alice'"'"'s up starts one"
  systemctl stop wg-pr.service
  echo "wg-pr.service $(systemctl is-active wg-pr.service || true), wg-pr.socket $(systemctl is-active wg-pr.socket || true)"
  systemctl is-active --quiet wg-pr.socket || journalctl -q --no-pager -u wg-pr.socket -u wg-pr.service | tail -n 15
  as_alice wg-pr up corp
  echo "wg-pr.service $(systemctl is-active wg-pr.service || true), triggered by $(systemctl show -p TriggeredBy --value wg-pr.service)"
  wg-pr status | grep -E "^interface"

  step "apt purge wg-pr"
  apt-get purge -y -q wg-pr 2>&1 | tail -n 1
  echo "wg-pr.service $(systemctl is-active wg-pr.service || true), wg-pr@corp.service $(systemctl is-active wg-pr@corp.service || true)"
  journalctl -q -u wg-pr@corp.service -u wg-pr.service --since "-2min" | grep "wg-pr\[" | tail -n 5
  echo "left: $(ls -d /sys/fs/cgroup/system.slice/wg-pr.service /sys/fs/bpf/wg-pr /var/cache/wg-pr /run/wg-pr /lib/systemd/system/wg-pr* /usr/bin/wg-pr 2>/dev/null | tr "\n" " ")$(getent group wg-pr || true)"
  echo "interfaces: $(ip -o link | cut -d: -f2 | tr -d " " | tr "\n" " ")"
  step "end"
'
