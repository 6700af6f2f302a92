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
#   e2e     vmtest/e2e.sh: the product end to end against wireguard-go (up/down in both route modes,
#           app and non-app, a few pivots, events, revocation by reload, SIGKILL of the daemon and
#           recovery), one row per step as e2e:STEP
#   differential  the enforcement's differential test at a reduced count (DifferentialRun, a small main
#           of the enforcement's tests): random policies, random attempts by real processes in app
#           cgroups and out of them, the kernel's verdict against the reference model
#   run:FILE  runs bash FILE (a file on the host's file system), e.g. to look around in the guest
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
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
  fi
  if [ -n "$app" ]; then kill "$app" 2>/dev/null; wait "$app" 2>/dev/null; fi
  # The daemon's orderly stop (SIGTERM) takes every tunnel down: one JVM start fewer than wg-pr down.
  kill "$daemon" 2>/dev/null
  wait "$daemon" 2>/dev/null
  ip netns delete "$ns"
  [ -n "$pid" ]
}

# The borrow row: all four refused where status says a guard (or Yama) protects; where nothing does,
# status must say the four are open, and they must be.
borrow_verdict() { # SECONDS the check took
  local out=$work/borrow.out refused guard errnos took="($1 s)"
  refused=$(grep -cE '^(ptrace-seize|proc-pid-mem|process-vm-writev|pidfd-getfd) refused' "$out")
  guard=$(sed -n 's/^ *borrow guard *//p' "$out")
  errnos=$(sed -n 's/^\([a-z-]*\) refused .* \([A-Z]*\)$/\1 \2/p' "$out" | tr '\n' ',' | sed 's/,$//')
  if [[ $guard == attached* ]] || grep -qE '^ *borrowing +Yama' "$out"; then
    if [ "$refused" = 4 ]; then
      report borrow pass "borrow guard ${guard%%:*}; the same user refused 4/4: $errnos $took"
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
