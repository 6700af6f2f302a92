#!/bin/bash
# The checks of the VM test tier, run inside each VM (by vmtest/init) and on the host itself: one line
# per check, "VMTEST CHECK pass|fail WHY", which vmtest.sh gathers into its table. Needs root, the
# built checkout (./dev.sh build) and a JDK; everything it creates it removes again.
#   load    every program of every built BPF object loads (bpftool prog loadall), one row per object
#   doctor  wg-pr doctor: nothing FAILs (it loads the real enforcement object, program by program)
#   demo    wg-pr demo: its own namespace lab, the real wg-pr up, enforcement shown end to end
#   run:FILE  runs bash FILE (a file on the host's file system), e.g. to look around in the guest
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
checks=${WGPR_VM_CHECKS:-load doctor demo}
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

# Debian builds TUN as a module, and nothing here creates its /dev/net/tun node in advance.
[ -e /dev/net/tun ] || busybox modprobe tun 2>/dev/null
report kernel info "$(uname -r); LSMs $(cat /sys/kernel/security/lsm 2>/dev/null || echo unknown)"
for check in $checks; do
  case $check in
    load) load_objects ;;
    doctor) timed doctor "$repo/wg-pr" doctor ;;
    demo) timed demo "$repo/wg-pr" demo ;;
    run:*) bash "${check#run:}" 2>&1 | sed 's/^/  | /' ;; # a script of one's own, for a look around
    *) report "$check" fail "no such check" ;;
  esac
done
report done pass "all checks ran"
