#!/bin/bash
# The checks of the VM test tier, run inside each VM (by vmtest/init) and on the host itself: one line
# per check, "VMTEST CHECK pass|fail WHY", which vmtest.sh gathers into its table. Needs root, the
# built checkout (./dev.sh build) and a JDK; everything it creates it removes again.
#   load    every program of every built BPF object loads (bpftool prog loadall), one row per object
#   doctor  wg-pr doctor: nothing FAILs (it loads the real enforcement object, program by program)
#   demo    wg-pr demo: its own namespace lab, the real wg-pr up, enforcement shown end to end
#   borrow  an app nobody runs under the real daemon, taken over by another process of nobody's (ptrace,
#           /proc/PID/mem, process_vm_writev, pidfd_getfd): refused where status names a protection;
#           where it says there is none, the four must be open
#   kernel-wg  interop in network namespaces of its own: wg-pr's kernel backend against wireguard-go and
#           wg-pr's userspace backend against kernel WireGuard (ip link add type wireguard, wg set), one
#           daemon, both with a PSK: check naming the kernel backend for auto; first the gateways
#           begin (their UDP to an app of wg-pr's is echoed, wg-pr answering the handshake on both
#           backends; their TCP to its listener refused), then an app's TCP and UDP over IPv4 and IPv6
#           through both, handshakes in wg show, wg show's shape the same on both, status naming each
#           backend, and a process of no app denied the kernel tunnel (raw ICMP, SO_BINDTODEVICE, UDP);
#           needs the wireguard module
#   kernel-wg-rekey  kernel-wg, then one TCP connection through each tunnel for 150 s across a rekey
#           (a second handshake on each, every echo back): bench/vmtest, 2.5 minutes more
#   pivots  ProductPivotTest in the guest (the whole pivot suite) with its tunnels on the kernel backend
#           (WGPR_VM_PIVOT_BACKEND), on the classpath bench/vmtest records: bench/vmtest only
#   e2e     vmtest/e2e.sh: the product end to end against wireguard-go (up/down in both route modes,
#           app and non-app, a few pivots, events, revocation by reload, SIGKILL of the daemon and
#           recovery), one row per step as e2e:STEP
#   differential  the enforcement's differential test at a reduced count (DifferentialRun, a small main
#           of the enforcement's tests): random policies, random attempts by real processes in app
#           cgroups and out of them, the kernel's verdict against the reference model
#   run:FILE  runs bash FILE (a file on the host's file system), e.g. to look around in the guest
# (systemd is no check of this script: vmtest.sh boots the systemd image for it, where systemd runs
# vmtest/systemd.sh)
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
. "$repo/bench/daemon-leaf.sh"
checks=${WGPR_VM_CHECKS:-load doctor demo e2e differential}
# The differential run's size: 5 random policies of 2,000 cases, a tenth of the test's 10 of 10,000.
differential_size=${WGPR_VM_DIFFERENTIAL:-5 2000}
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
export PATH="$JAVA_HOME/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
work=$(mktemp -d /tmp/wgpr-vmtest.XXXXXX)
trap 'rm -rf "$work"' EXIT

report() { echo "VMTEST $1 $2 ${3:-}"; }

# A one-line reason from a failed command's output: the verifier's or wg-pr's own last word.
reason() {
  local why
  # The verifier's complaint is the line before its "processed N insns" summary.
  why=$(grep -B1 -E '^processed [0-9]+ insns' "$1" | head -1)
  [ -n "$why" ] || why=$(grep -E '^FAIL ' "$1" | tr -s ' ' | tr '\n' ';') # doctor's failed checks
  [ -n "$why" ] || why=$(grep -E '^wg-pr( [a-z]+)?: ' "$1" | tail -1)    # wg-pr's own error
  [ -n "$why" ] || why=$(grep -E 'load failed: ' "$1" | tail -1)
  [ -n "$why" ] || why=$(grep -E 'invalid|cannot|unknown|not permitted|refuse|FAIL|[Ee]rror|denied|failed' "$1" |
    grep -v -E 'failed to load object|^Error: failed to load object file' | tail -1)
  echo "${why:0:160}"
}

timed() { # NAME COMMAND...: runs it, reports pass/fail with the seconds it took
  local name=$1 started=$SECONDS; shift
  if "$@" >"$work/$name.out" 2>&1; then
    report "$name" pass "$(summary "$name") ($((SECONDS - started)) s)"
  else
    report "$name" fail "$(reason "$work/$name.out") ($((SECONDS - started)) s)"
    sed 's/^/  | /' "$work/$name.out" | tail -40
  fi
}

summary() {
  case $1 in
    doctor)
      grep -E '^[0-9]+ checks:' "$work/doctor.out" | tr '\n' ';'
      sed -n 's/^OK *enforcement programs: *\(all [0-9]* programs of enforce.bpf.o load\).*/ \1/p' "$work/doctor.out" ;;
    demo) echo "$(grep -c '^── [0-9]' "$work/demo.out") steps; $(tail -1 "$work/demo.out")" ;;
    differential) grep '^differential: ' "$work/differential.out" | sed 's/^differential: //' ;;
  esac | tr '\n' ' '
}

# One row per object: the verifier's reason when it refuses a program. A kernel may refuse the LSM
# objects, the probe and the borrow guard (this machine's does: EPERM), as doctor's "BPF LSM programs"
# may WARN: not a failure.
load_objects() {
  local object name pins started
  for object in "$repo"/bpf/target/classes/dev/wgpr/bpf/*.bpf.o; do
    name=$(basename "$object" .bpf.o) pins=/sys/fs/bpf/wgpr-vmtest-$$-$name started=$SECONDS
    if bpftool prog loadall "$object" "$pins" >"$work/load.out" 2>&1; then
      report "load:$name" pass "$(ls "$pins" | wc -l) programs loaded ($((SECONDS - started)) s)"
    elif [ "$name" = lsm_probe ] || [ "$name" = borrow ]; then
      report "load:$name" warn "refused; the protections that need BPF LSM programs are off here (doctor warns too): $(reason "$work/load.out")"
    else
      report "load:$name" fail "$(reason "$work/load.out")"
      sed 's/^/  | /' "$work/load.out" | tail -40
    fi
    rm -rf "$pins"
  done
}

# An app nobody runs under the real daemon (an instance and a namespace of its own), the four ways of
# taking it over tried by another process of nobody's, and what status says about it.
borrow_check() {
  local dir=$work/borrow ns=wgprb$$ instance=wgpr-borrow-$$ pid="" app="" daemon p
  mkdir -p "$dir" && chmod 755 "$work" "$dir" || return 1
  cp "$repo/client/src/test/resources/dev/wgpr/client/daemon/borrow.py" "$dir/"
  # The client tests' keys; the peer has no endpoint: nothing is ever sent.
  printf '%s\n' '[interface]' 'name = "wgprb0"' 'privateKey = "wI7M4flROZFaV3d9lSkM6fkGQm3mcQm8nB0Ivxb9ylc="' \
    'address = ["10.8.0.2/32"]' '' '[[peer]]' 'name = "gw"' 'publicKey = "sfnQo04r2H4azGR0gkEpHTtGGYrzqtORSt41p9FMsHQ="' \
    'allowedIPs = ["10.20.0.0/16"]' '' '[[peer.allowedApps]]' 'name = "probe"' >"$dir/wgprb0.toml"
  ip netns add "$ns" || return 1
  local in_ns=(nsenter "--net=/run/netns/$ns" --) nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups --)
  local wgpr=("$repo/wg-pr" --instance "$instance")
  # The daemon itself in the background (--foreground: no CLI JVM that starts it), ready once its
  # control socket is there; without a class-data archive, which its stop would dump (slow under TCG).
  WG_PR_DAEMON_CLASS_ARCHIVE=none "${in_ns[@]}" "${wgpr[@]}" daemon --foreground --launch-group 65534 --config-dir "$dir" &
  daemon=$!
  for _ in $(seq 600); do [ -S "/run/$instance/control.sock" ] || ! kill -0 "$daemon" 2>/dev/null && break; sleep 0.5; done
  if [ -S "/run/$instance/control.sock" ] && "${in_ns[@]}" "${wgpr[@]}" up "$dir/wgprb0.toml"; then
    "${in_ns[@]}" "${nobody[@]}" "${wgpr[@]}" run --app probe -- sleep 900 &
    app=$!
    for _ in $(seq 600); do # the CLI's JVM takes its time under TCG
      for p in $(pgrep -u 65534 -x sleep); do
        grep -qs "/$instance/probe\$" "/proc/$p/cgroup" && pid=$p
      done
      [ -n "$pid" ] && break
      sleep 0.5
    done
  fi
  if [ -n "$pid" ]; then
    "${nobody[@]}" /usr/bin/python3 "$dir/borrow.py" "$pid"
    "${in_ns[@]}" "${wgpr[@]}" status
    "${in_ns[@]}" "${wgpr[@]}" events
  fi
  if [ -n "$app" ]; then kill "$app" 2>/dev/null; wait "$app" 2>/dev/null; fi
  # The daemon's orderly stop (SIGTERM) takes every tunnel down: one JVM start fewer than wg-pr down.
  kill "$daemon" 2>/dev/null
  wait "$daemon" 2>/dev/null
  remove_daemon_leaf "$instance"
  ip netns delete "$ns"
  [ -n "$pid" ]
}

# The borrow row: all four refused where status says a guard (or Yama) protects; where nothing does,
# status must say the four are open, and they must be.
borrow_verdict() { # SECONDS the check took
  local out=$work/borrow.out refused guard errnos events took="($1 s)"
  refused=$(grep -cE '^(ptrace-seize|proc-pid-mem|process-vm-writev|pidfd-getfd) refused' "$out")
  guard=$(sed -n 's/^ *borrow guard *//p' "$out")
  errnos=$(sed -n 's/^\([a-z-]*\) refused .* \([A-Z]*\)$/\1 \2/p' "$out" | tr '\n' ',' | sed 's/,$//')
  events=$(grep -cE 'uid 65534 tried to take over pid [0-9]+ \(sleep\) of app probe: denied' "$out")
  if [[ $guard == attached* ]] && [ "$events" = 0 ]; then
    report borrow fail "borrow guard ${guard%%:*} refused $refused/4, but wg-pr events shows no takeover event $took"
  elif [[ $guard == attached* ]] || grep -qE '^ *borrowing +Yama' "$out"; then
    if [ "$refused" = 4 ]; then
      report borrow pass "borrow guard ${guard%%:*}; the same user refused 4/4: $errnos; $events takeover events $took"
    else
      report borrow fail "borrow guard ${guard%%:*}, yet the same user was refused only $refused/4 $took"
    fi
  elif grep -qE '^ *borrowing +none.*open: ' "$out" && [ "$refused" = 0 ]; then
    local why=${guard#not attached: }
    report borrow warn "no borrow guard (${why%%: *}: ${why##*: }); status says open, and the same user took over the app 4/4 $took"
  else
    report borrow fail "status and outcome disagree: $(grep -E '^ *borrowing' "$out" | head -1); refused $refused/4 $took"
  fi
}

# wg-pr kernel backend <-> wireguard-go and wg-pr userspace backend <-> kernel WireGuard, through one
# daemon in a namespace of its own; the gateways in another, joined by a veth pair. Each gateway knows
# wg-pr's endpoint and sends first (wg-pr answers the handshake on both backends), then wg-pr's apps
# do. With "rekey", an app also holds one TCP connection through each tunnel across REKEY_AFTER_TIME
# (120 s): a second handshake on each, no echo lost. Prints what it did; ends with "kernel-wg: ..."
# and succeeds only when everything held.
kernel_wg_check() { # [rekey]
  local rekey=${1:-} begun=$SECONDS dir=$work/kernel-wg cl=wgprkc$$ gw=wgprkg$$ instance=wgpr-kwg-$$ daemon="" server="" wggo="" app=probe
  local kif=wgk$$ uif=wgu$$ goif=wgg$$ kgif=wgq$$ good=1 n pid
  local -A before=()
  local apps=()
  # Nothing loads the module beforehand: the kernel does, when asked for the link type or the family.
  [ -d /sys/module/wireguard ] || grep -qs '/wireguard\.ko' "/lib/modules/$(uname -r)/modules.dep" ||
    { echo "kernel-wg: this kernel has no WireGuard module"; return 2; }
  mkdir -p "$dir" && chmod 755 "$work" "$dir" || return 1
  cp "$repo/vmtest/kernel-wg.py" "$dir/" && chmod 755 "$dir/kernel-wg.py"
  ip netns add "$cl" && ip netns add "$gw" || return 1
  local in_cl=(nsenter "--net=/run/netns/$cl" --) in_gw=(nsenter "--net=/run/netns/$gw" --)
  local nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups --) wgpr=("$repo/wg-pr" --instance "$instance")
  ip link add "vc$$" netns "$cl" type veth peer name "vg$$" netns "$gw"
  ip -n "$cl" addr add 198.18.0.2/24 dev "vc$$" && ip -n "$gw" addr add 198.18.0.1/24 dev "vg$$"
  for n in "$cl" "$gw"; do ip -n "$n" link set lo up; done
  ip -n "$cl" link set "vc$$" up && ip -n "$gw" link set "vg$$" up
  (
    umask 077
    for n in ck cu gk gu; do wg genkey >"$dir/$n.key" && wg pubkey <"$dir/$n.key" >"$dir/$n.pub"; done
    wg genpsk >"$dir/k.psk" && wg genpsk >"$dir/u.psk"
  )

  # The gateways: wireguard-go for wg-pr's kernel backend, the kernel's WireGuard for its userspace one;
  # each knows wg-pr's endpoint, so that either side may begin.
  "${in_gw[@]}" wireguard-go -f "$goif" >"$dir/wireguard-go.log" 2>&1 &
  wggo=$!
  for _ in $(seq 120); do [ -S "/var/run/wireguard/$goif.sock" ] && break; sleep 0.5; done
  ip -n "$gw" link add "$kgif" type wireguard
  "${in_gw[@]}" wg set "$goif" private-key "$dir/gk.key" listen-port 51821 peer "$(cat "$dir/ck.pub")" \
    preshared-key "$dir/k.psk" allowed-ips 10.91.0.2/32,fd91::2/128 endpoint 198.18.0.2:51831
  "${in_gw[@]}" wg set "$kgif" private-key "$dir/gu.key" listen-port 51822 peer "$(cat "$dir/cu.pub")" \
    preshared-key "$dir/u.psk" allowed-ips 10.92.0.2/32,fd92::2/128 endpoint 198.18.0.2:51832
  ip -n "$gw" addr add 10.91.0.1/24 dev "$goif" && ip -n "$gw" addr add fd91::1/64 dev "$goif" nodad
  ip -n "$gw" addr add 10.92.0.1/24 dev "$kgif" && ip -n "$gw" addr add fd92::1/64 dev "$kgif" nodad
  ip -n "$gw" link set "$goif" up && ip -n "$gw" link set "$kgif" up
  "${in_gw[@]}" /usr/bin/python3 "$dir/kernel-wg.py" serve 7000 >"$dir/serve.log" 2>&1 &
  server=$!

  kernel_wg_config "$kif" kernel ck k 91 51821 gk 51831 >"$dir/$kif.toml"
  kernel_wg_config "$uif" userspace cu u 92 51822 gu 51832 >"$dir/$uif.toml"
  kernel_wg_config "wga$$" auto ck k 91 51821 gk 51833 >"$dir/auto.toml"
  echo "-- [$((SECONDS - begun)) s] wg-pr check of backend = \"auto\""
  "$repo/wg-pr" check "$dir/auto.toml" | grep -E '^ +backend ' | tee "$dir/check.out"
  grep -qE '^ +backend +kernel \(auto → kernel because this kernel' "$dir/check.out" ||
    { echo "check does not name the kernel backend for auto"; good=0; }
  echo "-- [$((SECONDS - begun)) s] the daemon, up $kif (kernel), up $uif (userspace)"
  WG_PR_DAEMON_CLASS_ARCHIVE=none "${in_cl[@]}" "${wgpr[@]}" daemon --foreground --launch-group 65534 --config-dir "$dir" &
  daemon=$!
  for _ in $(seq 600); do [ -S "/run/$instance/control.sock" ] || ! kill -0 "$daemon" 2>/dev/null && break; sleep 0.5; done
  if "${in_cl[@]}" "${wgpr[@]}" up "$dir/$kif.toml" && "${in_cl[@]}" "${wgpr[@]}" up "$dir/$uif.toml"; then
    echo "-- [$((SECONDS - begun)) s] the gateways begin: an app serving on each tunnel, no session on wg-pr's side yet"
    for n in "$kif" "$uif"; do
      "${in_cl[@]}" "${nobody[@]}" "${wgpr[@]}" run --app "$app" --tunnel "$n" -- /usr/bin/python3 "$dir/kernel-wg.py" \
        serve 7001 >"$dir/app-$n.log" 2>&1 &
      apps+=($!)
    done
    for _ in $(seq 600); do grep -qs serving "$dir/app-$kif.log" && grep -qs serving "$dir/app-$uif.log" && break; sleep 0.5; done
    echo "-- [$((SECONDS - begun)) s] the apps serve; the gateways' UDP and TCP to them"
    for n in "$kif" "$uif"; do
      [ "$(kernel_wg_handshake "$cl" "$n")" = 0 ] || { echo "$n has a session before the gateway sent anything"; good=0; }
    done
    "${in_gw[@]}" /usr/bin/python3 "$dir/kernel-wg.py" gateway 7001 10.91.0.2 fd91::2 10.92.0.2 fd92::2 || good=0
    for n in "$kif" "$uif"; do
      before[$n]=$(kernel_wg_handshake "$cl" "$n")
      if [ "${before[$n]}" -gt 0 ]; then echo "$n answered the gateway's handshake"; else echo "no handshake on $n after the gateway's traffic"; good=0; fi
    done
    echo "-- [$((SECONDS - begun)) s] an app: TCP and UDP, IPv4 and IPv6, through each tunnel"
    "${in_cl[@]}" "${nobody[@]}" "${wgpr[@]}" run --app "$app" --tunnel "$kif" -- /usr/bin/python3 "$dir/kernel-wg.py" \
      app 7000 10.91.0.1 fd91::1 || good=0
    echo "-- [$((SECONDS - begun)) s] the same through the userspace tunnel"
    "${in_cl[@]}" "${nobody[@]}" "${wgpr[@]}" run --app "$app" --tunnel "$uif" -- /usr/bin/python3 "$dir/kernel-wg.py" \
      app 7000 10.92.0.1 fd92::1 || good=0
    echo "-- [$((SECONDS - begun)) s] a process of no app, against the kernel backend's tunnel"
    "${in_cl[@]}" /usr/bin/python3 "$dir/kernel-wg.py" pivot 7000 10.91.0.1 "$kif" || good=0
    for n in "$kif" "$uif"; do
      echo "-- [$((SECONDS - begun)) s] wg show $n" && "${in_cl[@]}" wg show "$n" | tee "$dir/$n.show"
      grep -q 'latest handshake: ' "$dir/$n.show" || { echo "no handshake on $n"; good=0; }
      sed -E 's/^( *[a-z ]+):.*/\1/' "$dir/$n.show" >"$dir/$n.shape"
    done
    diff "$dir/$kif.shape" "$dir/$uif.shape" || { echo "wg show's shape differs"; good=0; }
    echo "-- [$((SECONDS - begun)) s] status"
    "${in_cl[@]}" "${wgpr[@]}" status | tee "$dir/status.out"
    grep -qE '^ +backend +kernel ' "$dir/status.out" && grep -qE '^ +backend +userspace ' "$dir/status.out" ||
      { echo "status does not name both backends"; good=0; }
    [ "$(ip -n "$cl" -d link show "$kif" | grep -c wireguard)" -ge 1 ] || { echo "$kif is no kernel WireGuard link"; good=0; }
    [ -z "$rekey" ] || kernel_wg_rekey || good=0
  else
    good=0
  fi
  echo "-- [$((SECONDS - begun)) s] the daemon's stop, the lab's removal"
  for pid in "${apps[@]}"; do kill "$pid" 2>/dev/null; done
  kill "$daemon" 2>/dev/null; wait "$daemon" "${apps[@]}" 2>/dev/null
  kill "$server" "$wggo" 2>/dev/null; wait "$server" "$wggo" 2>/dev/null
  ip netns delete "$cl"; ip netns delete "$gw"
  local out=$work/kernel-wg.out oks denied inbound refused rekeyed=""
  oks=$(grep -cE '^(tcp|udp) [0-9a-f:.]+ ok' "$out")
  denied=$(grep -cE '^(raw-icmp|tcp-bindtodevice|udp) [0-9a-f:.]+ denied' "$out")
  inbound=$(grep -cE '^udp-in [0-9a-f:.]+ ok' "$out")
  refused=$(grep -cE '^tcp-in [0-9a-f:.]+ denied' "$out")
  [ -z "$rekey" ] || rekeyed="; rekeyed: $(grep -E '^rekey ' "$out" | sed 's/^rekey //' | tr '\n' ';' | sed 's/;$//')"
  echo "kernel-wg: the gateways began: $inbound/4 UDP echoed by wg-pr's apps, $refused/4 TCP in refused;" \
    "$oks/8 app flows echoed, $denied/3 pivots denied, handshakes on both, wg show same shape$rekeyed"
  [ "$good" = 1 ] && [ "$oks" = 8 ] && [ "$denied" = 3 ] && [ "$inbound" = 4 ] && [ "$refused" = 4 ]
}

# The latest handshake of tunnel IFACE's one peer in namespace NS, seconds since the epoch (0: none yet).
kernel_wg_handshake() { # NS IFACE
  nsenter "--net=/run/netns/$1" -- wg show "$2" latest-handshakes | awk '{ print $2; exit }'
}

# Part of kernel_wg_check (its variables): one TCP connection through each tunnel, an echo every 2 s for
# 150 s; whatever session is current when they open is older than REKEY_AFTER_TIME (120 s) before they
# close, so a new handshake must happen while they carry traffic.
kernel_wg_rekey() {
  local n pid ok=1 after holders=()
  local -A held=()
  echo "-- [$((SECONDS - begun)) s] one TCP connection through each tunnel for 150 s, across a rekey"
  for n in "$kif" "$uif"; do held[$n]=$(kernel_wg_handshake "$cl" "$n"); done
  "${in_cl[@]}" "${nobody[@]}" "${wgpr[@]}" run --app "$app" --tunnel "$kif" -- /usr/bin/python3 "$dir/kernel-wg.py" \
    hold 7000 150 10.91.0.1 &
  holders+=($!)
  "${in_cl[@]}" "${nobody[@]}" "${wgpr[@]}" run --app "$app" --tunnel "$uif" -- /usr/bin/python3 "$dir/kernel-wg.py" \
    hold 7000 150 10.92.0.1 &
  holders+=($!)
  for pid in "${holders[@]}"; do wait "$pid" || ok=0; done
  for n in "$kif" "$uif"; do
    after=$(kernel_wg_handshake "$cl" "$n")
    if [ "$after" -gt "${held[$n]}" ]; then
      echo "rekey $n handshake again $((after - ${held[$n]})) s after the one before the connection"
    else
      echo "no second handshake on $n while the connection was held (latest at ${held[$n]}, now $after)"; ok=0
    fi
  done
  [ "$ok" = 1 ]
}

kernel_wg_config() { # NAME BACKEND OURKEY PSK NET PORT PEERKEY LISTENPORT
  local dir=$work/kernel-wg
  printf '%s\n' '[interface]' "name = \"$1\"" "privateKey = \"$(cat "$dir/$3.key")\"" \
    "address = [\"10.$5.0.2/32\", \"fd$5::2/128\"]" "listenPort = $8" "backend = \"$2\"" '' '[[peer]]' 'name = "gw"' \
    "publicKey = \"$(cat "$dir/$7.pub")\"" "presharedKey = \"$(cat "$dir/$4.psk")\"" \
    "endpoint = \"198.18.0.1:$6\"" "allowedIPs = [\"10.$5.0.0/24\", \"fd$5::/64\"]" '' \
    '[[peer.allowedApps]]' 'name = "probe"'
}

kernel_wg_row() { # NAME [rekey]
  local started=$SECONDS out=$work/kernel-wg.out
  kernel_wg_check "${2:-}" >"$out" 2>&1
  case $? in
    0) report "$1" pass "$(tail -1 "$out" | sed 's/^kernel-wg: //') ($((SECONDS - started)) s)"
       grep -E '^-- \[|^(tcp|udp|raw-icmp|tcp-bindtodevice|udp-in|tcp-in|hold|rekey) |answered' "$out" | sed 's/^/  | /' ;;
    2) report "$1" warn "$(tail -1 "$out" | sed 's/^kernel-wg: //')" ;;
    *) report "$1" fail "$(grep -E 'FAILED|differs|no handshake|no second|before the gateway|does not|^wg-pr' "$out" | head -1) $(tail -1 "$out") ($((SECONDS - started)) s)"
       sed 's/^/  | /' "$out" | grep -v -E '^  \| +(route|[a-z_]+ +[0-9]+$)' | tail -60 ;;
  esac
}

# ProductPivotTest, the whole pivot suite against the product, with every tunnel of its lab on the
# backend WGPR_VM_PIVOT_BACKEND (default kernel), run by RunTests on the classpath the host's build
# recorded (bench/vmtest writes client/target/test.classpath): no Maven in the guest.
pivots_row() {
  local started=$SECONDS out=$work/pivots.out classpath=$repo/client/target/test.classpath
  if [ ! -s "$classpath" ]; then
    report pivots fail "no $classpath: bench/vmtest writes it before it boots"
    return
  fi
  # 9p shows no file capabilities: Debian's ping gets its cap_net_raw back on the guest's overlay, as the
  # host has it, so that the suite's raw-ping vectors get as far as the tunnel (else the kernel refuses
  # them first, with no deny event). Where ping has it already (the host) nothing is changed.
  local ping
  ping=$(command -v ping)
  getcap "$ping" | grep -q cap_net_raw || setcap cap_net_raw+ep "$ping"
  java --enable-native-access=ALL-UNNAMED -da:org.tomlj... -XX:+UseSerialGC \
    -Dwgpr.lab.backend="${WGPR_VM_PIVOT_BACKEND:-kernel}" -Dwgpr.lab.cliSeconds=900 -cp "$(cat "$classpath")" \
    dev.wgpr.testing.RunTests dev.wgpr.client.daemon.ProductPivotTest >"$out" 2>&1
  local verdict=$? counts
  counts=$(grep -E '^denied as expected: ' "$out" | tail -1)
  if [ "$verdict" = 0 ]; then
    report pivots pass "backend ${WGPR_VM_PIVOT_BACKEND:-kernel}: ${counts:-no table} ($((SECONDS - started)) s)"
    sed -n '/^attacker  *vector/,/^denied as expected/p' "$out" | sed 's/^/  | /'
  else
    report pivots fail "backend ${WGPR_VM_PIVOT_BACKEND:-kernel}: ${counts:-no table}; $(grep -E '^RunTests: ' "$out") ($((SECONDS - started)) s)"
    sed 's/^/  | /' "$out" | tail -80
  fi
}

# Debian builds TUN as a module, and nothing here creates its /dev/net/tun node in advance.
[ -e /dev/net/tun ] || busybox modprobe tun 2>/dev/null
report kernel info "$(uname -r); LSMs $(cat /sys/kernel/security/lsm 2>/dev/null || echo unknown)"
for check in $checks; do
  case $check in
    load) load_objects ;;
    doctor) timed doctor "$repo/wg-pr" doctor ;;
    demo) timed demo "$repo/wg-pr" demo ;;
    borrow)
      started=$SECONDS
      if borrow_check >"$work/borrow.out" 2>&1; then
        borrow_verdict $((SECONDS - started))
      else
        report borrow fail "$(reason "$work/borrow.out") ($((SECONDS - started)) s)"
        sed 's/^/  | /' "$work/borrow.out" | tail -40
      fi ;;
    kernel-wg) kernel_wg_row kernel-wg ;;
    kernel-wg-rekey) kernel_wg_row kernel-wg-rekey rekey ;;
    pivots) pivots_row ;;
    e2e)
      started=$SECONDS
      bash "$repo/vmtest/e2e.sh" 2>&1 | tee "$work/e2e.out" | grep --line-buffered '^VMTEST ' # each row as it comes
      grep -v '^VMTEST ' "$work/e2e.out" | sed 's/^/  | /'
      grep -q '^VMTEST e2e:nothing-left ' "$work/e2e.out" ||
        report e2e fail "did not run to its end: $(grep -v '^VMTEST ' "$work/e2e.out" | tail -1) ($((SECONDS - started)) s)" ;;
    differential)
      # The enforcement's test classes and the classes they test, as the build left them.
      classpath=$(printf "$repo/%s:" enforcement/target/test-classes common/target/test-classes \
        enforcement/target/classes routes/target/classes bpf/target/classes common/target/classes)
      # shellcheck disable=SC2086 # two numbers
      timed differential java --enable-native-access=ALL-UNNAMED -XX:+UseSerialGC -cp "$classpath" \
        dev.wgpr.enforcement.DifferentialRun $differential_size ;;
    run:*) bash "${check#run:}" 2>&1 | sed 's/^/  | /' ;; # a script of one's own, for a look around
    *) report "$check" fail "no such check" ;;
  esac
done
report done pass "all checks ran"
