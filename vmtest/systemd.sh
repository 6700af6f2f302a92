#!/bin/bash
# The VM tier's systemd check: run by systemd as a unit (vmtest/init writes it) in a VM that boots the
# systemd image (vmtest/systemd-image.sh: Debian 12 with wg-pr's .deb installed). wg-pr as the .deb
# ships it: `systemctl start wg-pr`, `wg-pr up` of a tunnel to a wireguard-go gateway in a network
# namespace of the check's own, a user's `wg-pr run`; then where systemd-cgls shows the app, who owns its
# cgroup, what the app sees of its user's home, /tmp and session bus, who reaches the internal host,
# and apps that `systemd-run --scope` and `systemd-run --user --scope` move out of their cgroup: reported
# by status and events, and denied from then on. One line per row, "VMTEST systemd:ROW pass|fail|info
# WHY" (guest.sh's format), and what each step printed; the unit powers the VM off when it ends.
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=pace.sh
source "$repo/vmtest/pace.sh"
PACE=$(pace)
id=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
gw=wgsg-$id tun=wgsd$id goif=wgsgo$id instance=wg-pr
INTRANET=10.77.0.1 PORT=8080
work=$(mktemp -d /var/tmp/wgpr-systemd.XXXXXX)
chmod 755 "$work"
install -m 0644 "$repo/vmtest/systemd-app.py" "$work/app.py"
python=/usr/bin/python3.11
alice_uid=$(id -u alice)
pids=() escaped=()

report() { echo "VMTEST systemd:$1 $2 ${3:-}"; }
step() { echo "-- [$SECONDS s] $*"; }
as_alice() { # as her desktop session runs a command: her user manager's runtime directory and bus
  setpriv --reuid=alice --regid=alice --init-groups env -i HOME=/home/alice USER=alice LOGNAME=alice \
    PATH=/usr/bin:/bin XDG_RUNTIME_DIR="/run/user/$alice_uid" \
    DBUS_SESSION_BUS_ADDRESS="unix:path=/run/user/$alice_uid/bus" "$@"
}
# Waits up to SECONDS x pace for COMMAND to succeed.
wait_for() {
  local seconds=$1 i; shift
  for ((i = 0; i < seconds * PACE * 2; i++)); do "$@" && return 0; sleep 0.5; done
  return 1
}
# Whether the program of systemd-app.py that `wg-pr run` (PID) started has printed its lines into FILE
# ("pid N cgroup PATH" is the last), or will not, as that wg-pr run ended.
ran() { grep -q '^pid [0-9]* cgroup ' "$2" || ! kill -0 "$1" 2>/dev/null; }
field() { sed -n "s/^$2 //p" "$1" | head -n 1; } # FILE PREFIX: the rest of the line that starts so
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  pkill -f "$work/app.py" 2>/dev/null
  ip netns delete "$gw" 2>/dev/null
  rm -f "/etc/wg-pr/$tun.toml" "/home/alice/secret-$id" "/tmp/app-$id"
}
trap cleanup EXIT

step "systemd $(systemctl --version | head -n 1 | cut -d' ' -f2), pace $PACE, lab $id"
up_at=$(cut -d' ' -f1 /proc/uptime)
multi_user=$(systemctl show -p ActiveEnterTimestampMonotonic --value multi-user.target)
report boot info "systemd $(systemctl --version | head -n 1 | cut -d' ' -f2) as PID 1 ($(cat /proc/1/comm)), \
multi-user.target after $((multi_user / 1000000)) s of the kernel's, the check at ${up_at%.*} s; \
$(stat -fc %T /sys/fs/cgroup) at /sys/fs/cgroup; pace $PACE"

# The lab: the gateway (wireguard-go) and its internal host in a namespace, a veth to this one.
step "the lab: namespace $gw, wireguard-go, the internal host $INTRANET:$PORT"
# Debian builds TUN as a module and its /dev/net/tun is made by kmod, which the image has not: loaded
# here, as guest.sh does (modprobe is vmtest/init's).
[ -e /dev/net/tun ] || "$(cat /proc/sys/kernel/modprobe)" tun
ip netns add "$gw"
ip link add "vs$id" type veth peer name "vg$id" netns "$gw"
ip addr add 198.18.0.2/24 dev "vs$id" && ip link set "vs$id" up
ip -n "$gw" addr add 198.18.0.1/24 dev "vg$id" && ip -n "$gw" link set "vg$id" up && ip -n "$gw" link set lo up
(umask 077 && for k in client gateway; do wg genkey >"$work/$k.key" && wg pubkey <"$work/$k.key" >"$work/$k.pub"; done)
ip netns exec "$gw" wireguard-go -f "$goif" >"$work/wireguard-go.log" 2>&1 &
pids+=($!)
wait_for 20 test -S "/var/run/wireguard/$goif.sock" || cat "$work/wireguard-go.log"
ip netns exec "$gw" wg set "$goif" private-key "$work/gateway.key" listen-port 51820 \
  peer "$(cat "$work/client.pub")" allowed-ips 10.77.0.2/32
ip -n "$gw" addr add "$INTRANET/24" dev "$goif" && ip -n "$gw" link set "$goif" up
ip netns exec "$gw" "$python" "$work/app.py" serve "$INTRANET" "$PORT" >"$work/serve.log" 2>&1 &
pids+=($!)
# desktop: a program as a desktop starts it; scoped: any program (children = "any"), so that only its
# cgroup decides whether what it runs has the grant.
mkdir -p /etc/wg-pr
(umask 077 && printf '%s\n' '[interface]' "name = \"$tun\"" "privateKey = \"$(cat "$work/client.key")\"" \
  'address = ["10.77.0.2/32"]' '' '[[peer]]' 'name = "gw"' "publicKey = \"$(cat "$work/gateway.pub")\"" \
  'endpoint = "198.18.0.1:51820"' 'allowedIPs = ["10.77.0.0/24"]' '' \
  '[[peer.allowedApps]]' 'name = "desktop"' "exec = \"$python\"" "allow = [\"$INTRANET/32 tcp/$PORT\"]" '' \
  '[[peer.allowedApps]]' 'name = "scoped"' 'children = "any"' "allow = [\"$INTRANET/32 tcp/$PORT\"]" \
  >"/etc/wg-pr/$tun.toml")

step "systemctl start wg-pr"
started=$SECONDS
if systemctl start wg-pr; then
  daemon=$(systemctl show -p MainPID --value wg-pr)
  placed=$(sed -n 's/^0:://p' "/proc/$daemon/cgroup")
  report service "$([ "$placed" = /system.slice/wg-pr.service/daemon ] && echo pass || echo fail)" \
    "systemctl start wg-pr: $(systemctl is-active wg-pr), \"$(systemctl show -p StatusText --value wg-pr)\"; the daemon (pid $daemon) in $placed ($((SECONDS - started)) s)"
else
  report service fail "systemctl start wg-pr: $(systemctl is-active wg-pr) ($((SECONDS - started)) s)"
  systemctl status --no-pager wg-pr
  journalctl --no-pager -u wg-pr | tail -n 30
fi
systemctl status --no-pager wg-pr | sed 's/ \{2,\}/ /g'

step "wg-pr up $tun"
started=$SECONDS
if wg-pr up "$tun" >"$work/up.out" 2>&1; then
  report up pass "wg-pr up $tun ($(grep -c . "$work/up.out") lines; $((SECONDS - started)) s)"
else
  report up fail "$(tail -n 1 "$work/up.out") ($((SECONDS - started)) s)"
fi
cat "$work/up.out"

step "alice: her user manager (lingering), a file in her home"
loginctl enable-linger alice
wait_for 60 systemctl -q is-active "user@$alice_uid.service"
manager=$(systemctl is-active "user@$alice_uid.service")
as_alice sh -c "umask 077 && echo 'home of alice $id' > /home/alice/secret-$id"

step "alice: wg-pr run --app desktop"
started=$SECONDS
as_alice wg-pr run --app desktop -- "$python" "$work/app.py" app "$INTRANET" "$PORT" "/home/alice/secret-$id" \
  "/tmp/app-$id" $((300 * PACE)) >"$work/desktop.out" 2>&1 &
pids+=($!)
wait_for 60 ran $! "$work/desktop.out"
took=$((SECONDS - started))
cat "$work/desktop.out"
read -r app _ cgroup < <(field "$work/desktop.out" pid)
cgroups=/sys/fs/cgroup/system.slice/wg-pr.service/$instance
step "systemd-cgls -u wg-pr.service"
systemd-cgls --no-pager --full -u wg-pr.service | sed 's/ \{2,\}/ /g' | tee "$work/cgls.out"
owner="$(stat -c '%U %a' "$cgroups/desktop" 2>&1), cgroup.procs $(stat -c '%U %a' "$cgroups/desktop/cgroup.procs" 2>&1)"
if as_alice sh -c "echo \$\$ > $cgroups/desktop/cgroup.procs" 2>/dev/null; then moved="alice moved a process in"; else moved="alice may not move a process in"; fi
at_root=$(cd /sys/fs/cgroup && ls -d wg-pr* 2>/dev/null | tr '\n' ' ')
echo "app pid ${app:-none} in ${cgroup:-nothing}; $owner; $moved; wg-pr's at the cgroup2 root: ${at_root:-none}"
if [ "$cgroup" = "/system.slice/wg-pr.service/$instance/desktop" ] && grep -qE "[^0-9]$app $python" "$work/cgls.out" &&
  [ "$owner" = "root 755, cgroup.procs root 644" ] && [ "$moved" = "alice may not move a process in" ] && [ -z "$at_root" ]; then
  report app-cgroup pass "systemd-cgls: pid $app under wg-pr.service/$instance/desktop; $owner; $moved (wg-pr run: $took s)"
else
  report app-cgroup fail "pid ${app:-none} in ${cgroup:-nothing}; $owner; $moved; at the root: ${at_root:-none}"
fi

# The app's home, /tmp and session bus are those of any process of alice's: what it wrote in /tmp a
# process of hers outside the unit reads.
home=$(field "$work/desktop.out" "home read")
outside=$(as_alice cat "/tmp/app-$id" 2>&1)
bus=$(field "$work/desktop.out" "session bus")
echo "home read: $home; /tmp/app-$id seen outside: $outside, $(stat -c '%U' "/tmp/app-$id" 2>&1)'s; session bus: $bus"
if [ "$home" = "home of alice $id" ] && [ "$outside" = "written by the app" ] && [ "$(stat -c %U "/tmp/app-$id")" = alice ] &&
  [[ $bus == ok* ]]; then
  report app-home-tmp pass "read ~/secret-$id (0600), wrote /tmp/app-$id that alice reads outside, reached her session bus"
else
  report app-home-tmp fail "home: ${home:-nothing}; /tmp seen outside: $outside; session bus: ${bus:-nothing}"
fi

step "who reaches $INTRANET:$PORT: the app, a process of alice's, one of root's"
reached=$(field "$work/desktop.out" connect)
as_alice "$python" "$work/app.py" connect "$INTRANET" "$PORT" 0 >"$work/alice.out" 2>&1
"$python" "$work/app.py" connect "$INTRANET" "$PORT" 0 >"$work/root.out" 2>&1
cat "$work/alice.out" "$work/root.out"
alice=$(field "$work/alice.out" connect) root=$(field "$work/root.out" connect)
if [ "$reached" = "ok internal-host" ] && [[ $alice == denied* ]] && [[ $root == denied* ]]; then
  report reach pass "the app: $reached; alice outside it: $alice; root outside it: $root"
else
  report reach fail "the app: ${reached:-nothing}; alice outside it: ${alice:-nothing}; root outside it: ${root:-nothing}"
fi

# scoped, run as is, reaches the host; run through systemd-run --scope, which has systemd move it into a
# transient scope before it executes the program, it must not, and status and events must say so.
escape() { # ROW USER SYSTEMD-RUN-OPTION...
  local row=$1 user=$2 unit=wgpr-$1-$id as=() started=$SECONDS; shift 2
  [ "$user" = alice ] && as=(as_alice)
  "${as[@]}" wg-pr run --app scoped -- /usr/bin/systemd-run "$@" --scope --quiet --unit="$unit" -- "$python" \
    "$work/app.py" connect "$INTRANET" "$PORT" $((300 * PACE)) >"$work/$row.out" 2>&1 &
  pids+=($!)
  wait_for 60 ran $! "$work/$row.out"
  cat "$work/$row.out"
  local connect cgroup pid
  connect=$(field "$work/$row.out" connect)
  read -r pid _ cgroup < <(field "$work/$row.out" pid)
  wg-pr status >"$work/$row.status" 2>&1
  wg-pr events >"$work/$row.events" 2>&1
  local said heard
  said=$(grep -E "scoped \(pid ${pid:-none}\) left its app cgroup" "$work/$row.status" | sed 's/^ *//')
  heard=$(grep -E "left-cgroup|left its app cgroup" "$work/$row.events" | grep -E "[^0-9]${pid:-none}[^0-9]" | head -n 1)
  echo "status: ${said:-nothing}"
  echo "events: ${heard:-nothing}"
  escaped+=("$cgroup")
  if [ "$control" = "ok internal-host" ] && [[ $cgroup == */$unit.scope ]] && [[ $connect == denied* ]] &&
    [ -n "$said" ] && [ -n "$heard" ]; then
    report "$row" pass "pid $pid moved to $cgroup, then $connect (run as is: $control); status and events: ${said%%;*} ($((SECONDS - started)) s)"
  else
    report "$row" fail "run as is: ${control:-nothing}; pid ${pid:-none} in ${cgroup:-nothing}, ${connect:-nothing}; status: ${said:-nothing}; events: ${heard:-nothing}"
    cat "$work/$row.status" "$work/$row.events"
  fi
}
step "root: wg-pr run --app scoped (as is), the control"
wg-pr run --app scoped -- "$python" "$work/app.py" connect "$INTRANET" "$PORT" 0 >"$work/control.out" 2>&1
cat "$work/control.out"
control=$(field "$work/control.out" connect)
step "root: wg-pr run --app scoped -- systemd-run --scope"
escape escape-scope root
step "alice: wg-pr run --app scoped -- systemd-run --user --scope (user@$alice_uid.service $manager)"
if [ "$manager" = active ]; then
  escape escape-user-scope alice --user
else
  report escape-user-scope fail "alice's user manager did not start: user@$alice_uid.service $manager"
fi

step "systemd-cgls: where the escaped apps went"
systemd-cgls --no-pager --full "${escaped[@]}" | sed 's/ \{2,\}/ /g'

step "the apps end, wg-pr down $tun"
pkill -f "$work/app.py connect"
[ -z "${app:-}" ] || { kill "$app"; timeout $((30 * PACE)) tail --pid="$app" -f /dev/null; }
started=$SECONDS
if wg-pr down "$tun" >"$work/down.out" 2>&1 && ! ip link show "$tun" >/dev/null 2>&1 && [ ! -e "$cgroups/desktop" ]; then
  report down pass "wg-pr down $tun: the link and the app cgroups are gone ($((SECONDS - started)) s)"
else
  report down fail "$(tail -n 1 "$work/down.out") ($((SECONDS - started)) s)"
fi
# The orderly stop within the unit's TimeoutStopSec= (it writes the daemon's class-data archive, which
# this first run of the daemon had not).
step "systemctl stop wg-pr"
started=$SECONDS
systemctl stop wg-pr
result=$(systemctl show -p Result --value wg-pr) state=$(systemctl is-active wg-pr)
if [ "$result" = success ] && [ "$state" = inactive ] && [ ! -e /sys/fs/cgroup/system.slice/wg-pr.service ]; then
  report stop pass "systemctl stop wg-pr: $state, result $result, its cgroup gone ($((SECONDS - started)) s)"
else
  report stop fail "systemctl stop wg-pr: $state, result $result ($((SECONDS - started)) s)"
  journalctl --no-pager -u wg-pr | tail -n 15
fi
report done pass "the systemd check ran to its end"
