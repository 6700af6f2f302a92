#!/bin/bash
# The end-to-end check of the VM test tier: the product as it ships, on this kernel, against a
# wireguard-go gateway in two network namespaces of its own. One daemon at a time (started as systemd
# would, --foreground) and few CLI calls, since a JVM under TCG starts some twenty times slower:
#   up per-prefix; an app (`wg-pr run`) reaches the internal host, a process that is no app is
#   denied, so are a few pivots of the pivot suite; `wg-pr events` names the denial; `reload`
#   taking the app's grant away closes its open connection; `down` leaves ip link/route/rule as
#   they were, byte for byte. Then up di-semi-default, the same app and non-app; SIGKILL of the
#   daemon (internal prefixes stay closed to the non-app); a new daemon recovers (`up` again, the
#   non-app still denied; whether the app that outlived the crash gets its grants back is a row of its
#   own); then the full tunnel with others = "bypass": the non-app reaches the host through the underlay,
#   the app through the tunnel; `down` and the daemon's stop leave nothing.
# One line per row, "VMTEST e2e:ROW pass|fail WHY" (guest.sh's format). Needs root, the built
# checkout, wireguard-go, wg, python3; everything it creates it removes again, also on failure.
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
scripts=$repo/enforcement/src/test/resources/dev/wgpr/enforcement
id=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
C=wgpre-$id-c S=wgpre-$id-s inst=wgpr-e2e-$id tun=wge$id gw=wgse$id
work=$(mktemp -d /tmp/wgpr-e2e.XXXXXX)
chmod 755 "$work"
INTRANET=10.99.10.10 ENDPOINT=198.51.100.10
NOBODY=65534
pids=() why="" daemon=""
cgroup2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)

failed=0
report() {
  echo "VMTEST e2e:$1 $2 ${3:-}"
  [ "$2" = fail ] && failed=1
  return 0
}

# shellcheck source=pace.sh
source "$repo/vmtest/pace.sh"
PACE=$(pace)
echo "e2e: lab $id, pace $PACE"

in_c() { nsenter "--net=/run/netns/$C" -- "$@"; }
in_s() { nsenter "--net=/run/netns/$S" -- "$@"; }
# A wg-pr CLI call in the client namespace, bounded so that a hang costs a row, not the whole boot.
cli() { timeout -k 5 $((60 * PACE)) nsenter "--net=/run/netns/$C" -- "$repo/wg-pr" --instance "$inst" "$@"; }
last_word() { grep -v '^\s*$' "$1" | tail -1 | cut -c1-140; }

# The client namespace's links, routes and rules, as ip prints them.
snapshot() {
  { ip -n "$C" -d link show; ip -n "$C" route show table all; ip -n "$C" -6 route show table all
    ip -n "$C" rule show; ip -n "$C" -6 rule show; } 2>&1
}

# A long-lived process talking over two FIFOs: agent NAME COMMAND... opens fds ${NAME}_in/${NAME}_out.
agent() {
  local name=$1; shift
  rm -f "$work/$name.in" "$work/$name.out"
  mkfifo "$work/$name.in" "$work/$name.out"
  "$@" <"$work/$name.in" >"$work/$name.out" 2>"$work/$name.err" &
  pids+=($!)
  eval "exec {${name}_in}>\"\$work/\$name.in\" {${name}_out}<\"\$work/\$name.out\""
  eval "${name}_pid=$!"
}
# ask NAME LINE [SECONDS]: one line to the agent, its one-line answer (empty after SECONDS x pace,
# 10 unless given).
ask() {
  local in out answer=""
  eval "in=\$${1}_in out=\$${1}_out"
  echo "$2" >&"$in" 2>/dev/null || return 0
  read -r -t $((${3:-10} * PACE)) -u "$out" answer
  echo "$answer"
}
finish_agent() { # closes the agent's stdin: it ends; waits for it
  local in pid
  eval "in=\${${1}_in:-} pid=\${${1}_pid:-}"
  [ -n "$in" ] && eval "exec {${1}_in}>&- ; ${1}_in="
  [ -n "$pid" ] && { timeout $((10 * PACE)) tail --pid="$pid" -f /dev/null; kill "$pid" 2>/dev/null; }
  eval "${1}_pid="
}

cleanup() {
  local pid
  # A failed row's evidence for the serial log: the daemon's own account.
  [ "$failed" = 1 ] && [ -f "$work/daemon.log" ] && sed 's/^/  | daemon: /' "$work/daemon.log" | tail -40
  finish_agent app 2>/dev/null
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  [ -n "${daemon:-}" ] && kill "$daemon" 2>/dev/null && timeout 120 tail --pid="$daemon" -f /dev/null
  wait 2>/dev/null
  ip netns delete "$C" 2>/dev/null
  ip netns delete "$S" 2>/dev/null
  rm -f "/var/run/wireguard/$gw.sock" "/var/run/wireguard/$tun.sock"
  rm -rf "/sys/fs/bpf/$inst" "/run/$inst" 2>/dev/null
  rmdir "$cgroup2/$inst"/* "$cgroup2/$inst" "$cgroup2/$inst.daemon" 2>/dev/null
  # WGPR_E2E_KEEP=1 keeps the logs, configs and outputs (the daemon's log is daemon.log) for a look.
  if [ "${WGPR_E2E_KEEP:-0}" = 1 ]; then echo "e2e: kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

# The lab: client 10.98.0.2 ── eth0 ── server 10.98.0.1; on the server's loopback the WireGuard
# endpoint 198.51.100.10 and the internal host 10.99.10.10; wireguard-go there, tunnel 10.99.0.1/24.
build_lab() {
  ip netns add "$C" && ip netns add "$S" || return 1
  ip -n "$C" link set lo up && ip -n "$S" link set lo up &&
    ip -n "$C" link add eth0 type veth peer name eth0 netns "$S" &&
    ip -n "$C" address add 10.98.0.2/24 dev eth0 && ip -n "$S" address add 10.98.0.1/24 dev eth0 &&
    ip -n "$C" link set eth0 up && ip -n "$S" link set eth0 up &&
    ip -n "$C" route add default via 10.98.0.1 &&
    ip -n "$S" address add "$ENDPOINT/32" dev lo && ip -n "$S" address add "$INTRANET/32" dev lo || return 1
  # Ping sockets open to everyone, as on most systemd distributions: the ICMP pivot needs no privilege.
  in_c sysctl -q -w net.ipv4.ping_group_range="0 2147483647" || return 1
  # eth0's IPv6 link-local address and its routes come a moment after the link: the snapshot that
  # down is compared with must have them.
  for _ in $(seq $((50 * PACE))); do
    ip -n "$C" -6 route show table local | grep -q "^local fe80" && break
    sleep 0.1
  done
  wg genkey >"$work/server.key" && wg genkey >"$work/client.key" || return 1
  spub=$(wg pubkey <"$work/server.key") cpub=$(wg pubkey <"$work/client.key") ckey=$(cat "$work/client.key")
  nsenter "--net=/run/netns/$S" -- wireguard-go -f "$gw" >"$work/wireguard-go.log" 2>&1 &
  pids+=($!)
  for _ in $(seq $((100 * PACE))); do [ -S "/var/run/wireguard/$gw.sock" ] && break; sleep 0.1; done
  in_s wg set "$gw" private-key "$work/server.key" listen-port 51820 peer "$cpub" allowed-ips 10.99.0.2/32 &&
    ip -n "$S" address add 10.99.0.1/24 dev "$gw" && ip -n "$S" link set "$gw" up || return 1
  # The internal services: TCP echo on 7 (the app's), listeners on 22 and 80 and a UDP echo on 53
  # with a capture of every packet that arrives from the tunnel (what a pivot got through).
  nsenter "--net=/run/netns/$S" -- /usr/bin/python3 -u "$scripts/echo_server.py" 7 0 "$INTRANET" >"$work/echo.log" 2>&1 &
  pids+=($!)
  agent host nsenter "--net=/run/netns/$S" -- /usr/bin/python3 -u "$scripts/internal_host.py" "$gw" 22,80 53
  local ready=""
  read -r -t $((20 * PACE)) -u "$host_out" ready
  [ "$ready" = READY ] || { echo "the internal host did not start: $(cat "$work/host.err")"; return 1; }
}

config() { # FILE ROUTE-MODE ALLOWED-IPS APP-GRANTS [OTHERS]
  cat >"$1" <<EOF
[interface]
name = "$tun"
privateKey = "$ckey"
address = ["10.99.0.2/32"]
routeMode = "$2"
${5:+others = \"$5\"}

[[peer]]
name = "gw"
publicKey = "$spub"
endpoint = "$ENDPOINT:51820"
allowedIPs = [$3]
persistentKeepalive = 25

[[peer.allowedApps]]
name = "probe"
allow = [$4]
EOF
}

# The daemon as systemd starts it (in the foreground), ready once its control socket answers.
start_daemon() {
  WG_PR_DAEMON_CLASS_ARCHIVE=none nsenter "--net=/run/netns/$C" -- "$repo/wg-pr" --instance "$inst" daemon --foreground \
    --config-dir "$work" >>"$work/daemon.log" 2>&1 &
  daemon=$!
  for _ in $(seq $((300 * PACE))); do
    [ -S "/run/$inst/control.sock" ] && return 0
    kill -0 "$daemon" 2>/dev/null || break
    sleep 0.2
  done
  why="the daemon did not start: $(last_word "$work/daemon.log")"
  return 1
}

# The latest deny event's hook, app and reason (one more JVM: for a failed row's why only).
last_event() {
  cli events --json 2>&1 | tail -1 | /usr/bin/python3 -c 'import json, sys
e = json.loads(sys.stdin.read() or "{}")
print("latest deny event: app %s, hook %s: %s" % (e.get("app"), e.get("hook"), e.get("reason")))' 2>&1 | tail -1
}

arrivals() { local a; a=$(ask host COUNT); echo "${a%% *}"; }

# pivots LABEL VECTOR...: each vector by a process of nobody's that is no app; "ok" when none got
# through (outcome denied, failed or absent, and nothing arrived at the internal host), else what did.
pivots() {
  local label=$1 before after line bad="" v outcomes=""; shift
  local cfg tunidx
  tunidx=$(ip -n "$C" -o link show "$tun" 2>/dev/null | cut -d: -f1)
  cfg=$(printf '{"t4":"%s","t6":"fd99::10","x4":"10.99.0.1","x6":"fd99::1","dns4":"%s","tun":"%s","tunidx":%s,"tunaddr4":"10.99.0.2","appcg":"/nonexistent","web":"%s"}' \
    "$INTRANET" "$INTRANET" "$tun" "${tunidx:-0}" "$INTRANET")
  before=$(arrivals)
  printf 'RUN %s\n' "$@" | in_c setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups --inh-caps=-all -- /usr/bin/python3 -u "$scripts/pivot.py" "$cfg" >"$work/pivots-$label.out" 2>&1
  sleep "$(awk -v p="$PACE" 'BEGIN { print 0.3 * p }')" # what is in flight reaches the capture
  after=$(arrivals)
  for v in "$@"; do
    line=$(grep "^$v|" "$work/pivots-$label.out")
    IFS='|' read -r _ outcome detail <<<"$line"
    case $outcome in
      denied | failed | absent | sent) outcomes+="$v ${outcome}${detail:+ $detail}; " ;;
      *) bad+="$v: ${outcome:-no answer} ${detail}; " ;;
    esac
  done
  if [ -n "$bad" ]; then
    echo "got through: $bad"
  elif [ "$after" != "$before" ]; then
    echo "$((after - before)) packets arrived at the internal host: $(ask host "COUNT $before")"
  else
    echo "ok ${outcomes%; }"
  fi
}

# row NAME: pass when the verdict starts with "ok", the rest is its why.
row() {
  local took="($((SECONDS - $2)) s)" verdict
  verdict=$(echo "$3" | sed 's/ *$//')
  if [[ $verdict == ok* ]]; then
    report "$1" pass "${verdict#ok } $took"
  else
    report "$1" fail "$verdict $took"
  fi
}

up_row() { # NAME CONFIG: up, and the tunnel's routes in place
  local t=$SECONDS
  if cli up "$2" >"$work/$1.out" 2>&1; then
    row "$1" $t "ok routes via $tun: $(ip -n "$C" route show | grep "dev $tun" | cut -d' ' -f1 | paste -sd,)"
  else
    row "$1" $t "wg-pr up: $(last_word "$work/$1.out")"
  fi
}

down_row() { # NAME: down, and ip link/route/rule byte for byte as before up
  local t=$SECONDS
  if ! cli down "$tun" >"$work/$1.out" 2>&1; then
    row "$1" $t "wg-pr down: $(last_word "$work/$1.out")"
  elif ! snapshot | diff "$work/before" - >"$work/$1.diff"; then
    row "$1" $t "ip link/route/rule differ from before up: $(grep '^[<>]' "$work/$1.diff" | head -3 | tr '\n' ' ')"
  else
    row "$1" $t "ok ip link/route/rule as before up ($(wc -l <"$work/before") lines) "
  fi
}

start_app() { # the app: holder.py started by wg-pr run as app "probe"
  # No time limit: the app lives as long as the check needs it.
  agent app nsenter "--net=/run/netns/$C" -- "$repo/wg-pr" --instance "$inst" run --app probe -- /usr/bin/python3 -u "$scripts/holder.py" "$PACE"
  local pid
  pid=$(ask app PID 60) # the first answer comes after wg-pr run's JVM has started the app: as a CLI call
  # A late answer would be taken for the next question's: without one, the app is done with.
  [ -n "$pid" ] || { why="wg-pr run did not start the app within $((60 * PACE)) s: $(last_word "$work/app.err")"; finish_agent app; return 1; }
  grep -q "/$inst/probe\$" "/proc/$pid/cgroup" || { why="the app $pid is not in $inst/probe: $(cat "/proc/$pid/cgroup")"; return 1; }
}

# reaches NAME: the app connects to the internal host's echo and is answered through the tunnel.
reaches() {
  local connect echo
  connect=$(ask app "tcp $1 4 $INTRANET 7")
  [ "$connect" = 0 ] || { echo "the app's connect to $INTRANET:7 failed: errno ${connect:-none (no answer)}"; return; }
  echo=$(ask app "echo $1")
  [ "$echo" = 0 ] || { echo "the app's echo over the tunnel failed: errno ${echo:-none}"; return; }
  echo "ok the app reached $INTRANET:7 through $tun and was answered"
}

main() {
  local t cgroup
  t=$SECONDS
  if ! build_lab >"$work/lab.out" 2>&1; then row lab $t "the lab: $(last_word "$work/lab.out")"; return 1; fi
  snapshot >"$work/before"
  config "$work/per-prefix.toml" per-prefix "\"10.99.0.1/32\", \"10.99.10.0/24\"" "\"10.99.10.0/24 tcp/7\""
  config "$work/revoked.toml" per-prefix "\"10.99.0.1/32\", \"10.99.10.0/24\"" "\"10.99.10.0/24 tcp/80\""
  config "$work/di-semi.toml" di-semi-default "\"0.0.0.0/0\"" "\"10.99.10.0/24 tcp/7\"" deny
  config "$work/bypass.toml" di-semi-default "\"0.0.0.0/0\"" "\"10.99.10.0/24 tcp/7\"" bypass
  if ! start_daemon; then row lab $t "$why"; return 1; fi
  row lab $t "ok lab, wireguard-go and the daemon ready "

  # Per-prefix.
  up_row up-per-prefix "$work/per-prefix.toml"
  t=$SECONDS
  if start_app; then row app-reaches $t "$(reaches kept)"; else row app-reaches $t "$why"; fi
  t=$SECONDS
  why=$(ask app "tcp beyond 4 $INTRANET 22")
  row app-beyond-grant $t "$([ "$why" = 1 ] && echo "ok tcp/22 (not granted) EPERM " || echo "the app's connect to tcp/22 gave errno ${why:-none}, not EPERM")"
  t=$SECONDS
  row nonapp-and-pivots $t "$(pivots per-prefix tcp4-connect tcp6-v4mapped udp4-sendto udp4-sendmsg udp6-v4mapped-sendto \
    icmp4-ping-socket-sendto tcp4-bindtodevice-internal udp4-bindtodevice-internal io_uring-connect4 \
    forked-daemon-child-connect raw4-socket)"
  t=$SECONDS
  if cli events --json >"$work/events.out" 2>&1 && grep -q "\"uid\": *$NOBODY\b.*$INTRANET\|$INTRANET.*\"uid\": *$NOBODY\b" "$work/events.out"; then
    row events $t "ok $(grep -c "\"uid\": *$NOBODY\b" "$work/events.out") deny events of uid $NOBODY toward $INTRANET "
  else
    row events $t "no deny event of uid $NOBODY toward $INTRANET: $(last_word "$work/events.out")"
  fi
  t=$SECONDS
  if ! cli reload "$work/revoked.toml" >"$work/reload.out" 2>&1; then
    row revocation $t "wg-pr reload: $(last_word "$work/reload.out")"
  else
    local echo again
    echo=$(ask app "echo kept") again=$(ask app "tcp again 4 $INTRANET 7")
    if [ "$echo" = 0 ]; then
      row revocation $t "the app's open connection to tcp/7 still answers after reload took the grant away"
    elif [ "$again" != 1 ]; then
      row revocation $t "a new connect to tcp/7 after reload gave errno ${again:-none}, not EPERM"
    else
      row revocation $t "ok reload closed the open connection (echo errno $echo), a new connect EPERM "
    fi
  fi
  finish_agent app
  down_row down-per-prefix

  # di-semi-default, the daemon's crash and the next daemon's recovery.
  up_row up-di-semi-default "$work/di-semi.toml"
  t=$SECONDS
  if start_app; then row di-semi-app-reaches $t "$(reaches first)"; else row di-semi-app-reaches $t "$why"; fi
  t=$SECONDS
  row di-semi-nonapp-and-pivots $t "$(pivots di-semi tcp4-connect udp4-sendto icmp4-ping-socket-sendto tcp4-bindtodevice-internal)"
  t=$SECONDS
  local pid
  pid=$(cat "/run/$inst/daemon.pid" 2>/dev/null || echo "$daemon")
  kill -KILL "$pid"
  wait "$daemon" 2>/dev/null
  row crash-fail-closed $t "$(pivots crashed tcp4-connect udp4-sendto icmp4-ping-socket-sendto tcp4-bindtodevice-internal |
    sed "s/^ok /ok daemon $pid killed; /")"
  t=$SECONDS
  if ! start_daemon; then
    row crash-recovery $t "$why"
  elif ! cli up "$work/di-semi.toml" >"$work/up-again.out" 2>&1; then
    row crash-recovery $t "wg-pr up after the crash: $(last_word "$work/up-again.out")"
  else
    why=$(grep -c 'found stale route\|removed stale' "$work/daemon.log")
    row crash-recovery $t "$(pivots recovered tcp4-connect udp4-sendto | sed "s/^ok /ok the next daemon removed or held $why stale things and brought it up again; /")"
    # An app whose processes outlived the crash is adopted with its grants: the next daemon binds them
    # again to the executables wg-pr run had started (kept in the instance's runtime directory).
    t=$SECONDS
    why=$(reaches again)
    if [[ $why == ok* ]]; then
      row crash-adopts-app $t "ok the app that outlived the crash reached $INTRANET again "
    else
      row crash-adopts-app $t "$why; $(last_event)"
    fi
  fi
  finish_agent app
  down_row down-after-crash

  # others = "bypass" (include mode): the same full tunnel is the app's alone; a process that is no app
  # reaches the same host around it, through the underlay, and nothing of it arrives from the tunnel.
  up_row up-bypass "$work/bypass.toml"
  t=$SECONDS
  local before after answer
  before=$(arrivals)
  answer=$(in_c setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups --inh-caps=-all -- /usr/bin/python3 -c '
import socket, sys
s = socket.create_connection((sys.argv[1], 7), timeout=float(sys.argv[2]))
s.sendall(b"around\n")
print(s.recv(64).decode().strip(), s.getsockname()[0])' "$INTRANET" "$((10 * PACE))" 2>&1 | tail -1)
  sleep "$(awk -v p="$PACE" 'BEGIN { print 0.3 * p }')"
  after=$(arrivals)
  if [ "$answer" != "around 10.98.0.2" ]; then
    row bypass-nonapp-underlay $t "the non-app's echo from $INTRANET:7: ${answer:-none}, not \"around\" from 10.98.0.2"
  elif [ "$after" != "$before" ]; then
    row bypass-nonapp-underlay $t "$((after - before)) packets of the non-app arrived from the tunnel"
  else
    row bypass-nonapp-underlay $t "ok the non-app was answered from 10.98.0.2, the underlay; nothing from the tunnel "
  fi
  t=$SECONDS
  if start_app; then row bypass-app-tunnel $t "$(reaches bypass)"; else row bypass-app-tunnel $t "$why"; fi
  finish_agent app
  down_row down-bypass
  t=$SECONDS
  kill "$daemon"
  timeout $((60 * PACE)) tail --pid="$daemon" -f /dev/null
  daemon=""
  local left=""
  for path in "/sys/fs/bpf/$inst" "$cgroup2/$inst" "/run/$inst/control.sock" "/var/run/wireguard/$tun.sock"; do
    [ -e "$path" ] && left+="$path "
  done
  ip -n "$C" link show "$tun" >/dev/null 2>&1 && left+="link $tun "
  row nothing-left $t "$([ -z "$left" ] && echo "ok no pins, cgroups, socket or link of the instance " || echo "left behind: $left")"
}

main
