#!/usr/bin/env bash
# The VM test tier: boots Debian's stock kernels in qemu (TCG, one CPU, no network device) with this
# machine's root file system shared read-only over 9p under a tmpfs overlay, runs vmtest/guest.sh in
# each and prints one table, kernel x check -> pass/fail/why. Also runs the same checks on the host's
# own kernel. Run as root through ./dev.sh vmtest (which installs qemu-system-x86 and busybox-static).
#
#   WGPR_VM_KERNELS   suites to boot (default "bookworm bookworm-backports": Debian 12's 6.1 and 6.12)
#   WGPR_VM_CHECKS    checks to run (default "load doctor demo e2e differential", borrow on 6.12 and the host,
#                     kernel-wg on the Debian kernels, which have the wireguard module; see guest.sh; and
#                     systemd on the Debian kernels: a boot of its own, of the systemd image, see systemd.sh)
#   WGPR_VM_PARALLEL  how many VMs boot at once (default: the number of CPUs; each VM is one emulated CPU)
#   WGPR_VM_REFRESH=1 asks the mirror for the suites' current kernels again (else the cached ones)
#   WGPR_VM_HOST=0    leaves the host kernel out
#
# Kernels, modules and initramfs images are cached in /var/cache/wg-pr-vm (the mirror is asked only
# when a suite has no cached kernel yet), and so is the systemd image (systemd-image.sh: Debian 12 from the
# mirror with the .deb of packaging/target installed); the serial logs of a run go to target/vmtest/.
set -euo pipefail
shopt -s inherit_errexit
repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${WGPR_VM_CACHE:-/var/cache/wg-pr-vm}
out="$repo/target/vmtest"
suites=${WGPR_VM_KERNELS:-bookworm bookworm-backports}
# The checks of SUITE (or "host"). borrow brings up a daemon and an app of its own, a few JVM starts
# under TCG: it boots with 6.12 only. On 6.1 the guard's program is verified and its CO-RE relocated by
# load:borrow, and doctor's borrowing line attaches nothing but loads it too.
checks_of() {
  if [ -n "${WGPR_VM_CHECKS:-}" ]; then
    echo "$WGPR_VM_CHECKS"
  elif [ "$1" = bookworm-backports ]; then
    echo "load doctor demo e2e differential borrow kernel-wg systemd"
  elif [ "$1" = host ]; then
    echo "load doctor demo e2e differential borrow"
  else
    echo "load doctor demo e2e differential kernel-wg systemd"
  fi
}
# What one boot may take at most, all checks included (TCG is slow; a hung guest must not hang CI): a
# 6.12 boot with every check takes some 20 minutes on a quiet 2-CPU machine.
boot_timeout=${WGPR_VM_TIMEOUT:-2400}
mkdir -p "$cache" "$out"

# A private apt configuration: the machine's sources and preferences stay as they are.
apt_opts=(-o "Dir::Etc::SourceList=$cache/apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
  -o "Dir::State::Lists=$cache/apt/lists" -o "Dir::Cache=$cache/apt/cache" -o Dir::State::status=/dev/null
  -o Debug::NoLocking=1)

apt_update() {
  mkdir -p "$cache/apt/lists/partial" "$cache/apt/cache/archives/partial"
  printf 'deb http://deb.debian.org/debian %s main\n' bookworm bookworm-backports >"$cache/apt/sources.list"
  apt-get "${apt_opts[@]}" -q update >/dev/null
}

# The kernel release of SUITE's linux-image-amd64 (e.g. 6.1.0-50-amd64), downloaded and extracted
# into $cache/k/RELEASE with its modules indexed.
kernel_of() {
  local suite=$1 release package
  if [ -z "${WGPR_VM_REFRESH:-}" ] && [ -s "$cache/$suite.release" ] && [ -d "$cache/k/$(cat "$cache/$suite.release")" ]; then
    cat "$cache/$suite.release"; return
  fi
  apt_update
  package=$(apt-cache "${apt_opts[@]}" show "linux-image-amd64/$suite" | sed -n 's/^Depends: \(linux-image-[^ ,]*\).*/\1/p' | head -1)
  release=${package#linux-image-}
  if [ ! -d "$cache/k/$release" ]; then
    echo "==> downloading $package ($suite)" >&2
    rm -rf "$cache/debs" "$cache/k/$release.partial" && mkdir -p "$cache/debs" "$cache/k/$release.partial"
    (cd "$cache/debs" && apt-get "${apt_opts[@]}" -q download "$package/$suite" >/dev/null 2>&1)
    dpkg-deb -x "$cache"/debs/"$package"_*.deb "$cache/k/$release.partial"
    busybox depmod -b "$cache/k/$release.partial" "$release"
    rm -rf "$cache/debs"
    mv "$cache/k/$release.partial" "$cache/k/$release"
  fi
  echo "$release" >"$cache/$suite.release"
  echo "$release"
}

# A minimal initramfs for RELEASE: static busybox, vmtest/init, and the modules that mount the
# host's root (virtio PCI, 9p over virtio, overlay) with their dependencies, decompressed.
initramfs_of() {
  local release=$1 image="$cache/initramfs-$1.cpio.gz"
  local modules="$cache/k/$release/lib/modules/$release" stage
  if [ -s "$image" ] && [ "$image" -nt "$repo/vmtest/init" ]; then echo "$image"; return; fi
  stage=$(mktemp -d)
  mkdir -p "$stage"/{bin,dev,proc,sys,lower,upper,root,modules}
  cp /bin/busybox "$stage/bin/busybox"
  cp "$repo/vmtest/init" "$stage/init"
  local wanted=(virtio_pci 9pnet_virtio 9p overlay) m line dep
  for m in "${wanted[@]}"; do
    line=$(grep -E "/$m\.ko(\.xz)?:" "$modules/modules.dep" || true)
    [ -n "$line" ] || continue # built in
    for dep in ${line#*:} ${line%%:*}; do
      case $dep in
        *.xz) xz -dc "$modules/$dep" >"$stage/modules/$(basename "${dep%.xz}")" ;;
        *) cp "$modules/$dep" "$stage/modules/" ;;
      esac
    done
  done
  (cd "$stage" && find . | busybox cpio -o -H newc 2>/dev/null | gzip -1) >"$image.partial"
  rm -rf "$stage"
  mv "$image.partial" "$image"
  echo "$image"
}

# Boots RELEASE and runs the checks; the serial console goes to $out/RELEASE.log. The check "systemd"
# alone boots the systemd image instead, where systemd runs vmtest/systemd.sh; its log is
# $out/RELEASE-systemd.log.
boot() {
  local release=$1 checks=$2 initrd log="$out/$1.log" root=() append=""
  initrd=$(initramfs_of "$release")
  if [ "$checks" = systemd ]; then
    log="$out/$release-systemd.log"
    root=(-virtfs "local,path=$image,mount_tag=image,security_model=none,readonly=on,multidevs=remap")
    # No login prompt on the console the check writes to, no status lines between its rows.
    append="wgpr.image=1 systemd.show_status=0 systemd.mask=serial-getty@ttyS0.service"
  fi
  echo "==> booting $release (TCG, 1 CPU): checks $checks" >&2
  local started=$SECONDS
  # No network device at all (-nic none, -nodefaults): the guest reaches nothing outside itself.
  timeout --foreground -k 10 "$boot_timeout" qemu-system-x86_64 \
    -accel tcg,thread=single -cpu max -smp 1 -m 2G -nodefaults -nic none -display none -no-reboot \
    -serial stdio -monitor none \
    -device virtio-rng-pci \
    -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap "${root[@]}" \
    -kernel "$cache/k/$release/boot/vmlinuz-$release" -initrd "$initrd" \
    -append "console=ttyS0 quiet panic=-1 random.trust_cpu=on wgpr.repo=$repo wgpr.modules=$cache/k/$release/lib/modules/$release wgpr.checks=${checks// /,} $append" \
    </dev/null >"$log" 2>&1 || echo "VMTEST boot fail qemu exited with $? after $((SECONDS - started)) s (see $log)" >>"$log"
  printf "\nVMTEST boot-seconds %s\n" $((SECONDS - started)) >>"$log"
}

results="$out/results"
: >"$results"
record() { # KERNEL LOG: the guest's VMTEST lines, prefixed with the kernel
  sed -n 's/\r$//; s/^VMTEST //p' "$2" | while read -r check rest; do printf '%s\t%s\t%s\n' "$1" "$check" "$rest"; done >>"$results"
}

without_systemd() { local c=" $1 "; c=${c/ systemd / }; echo $c; }

# Kernels and images first (downloads, one at a time), then the boots: each VM is one emulated CPU, so
# as many run at once as the machine has CPUs (WGPR_VM_PARALLEL), each with its own log. A kernel whose
# checks include systemd boots twice: the host's root with the other checks, the systemd image with it.
boots=() image=""
for suite in $suites; do
  release=$(kernel_of "$suite")
  initramfs_of "$release" >/dev/null
  checks=$(checks_of "$suite")
  [ -z "$(without_systemd "$checks")" ] || boots+=("$release:$(without_systemd "$checks")")
  if [ "$checks" != "$(without_systemd "$checks")" ]; then
    if [ -z "$image" ]; then
      debs=("$repo"/packaging/target/wg-pr_*_amd64.deb) # the pattern itself when there is none
      started=$SECONDS
      image=$("$repo/vmtest/systemd-image.sh" "$cache" "${debs[0]}") || image=none
      echo "==> the systemd image: $image ($((SECONDS - started)) s)" >&2
    fi
    if [ "$image" = none ]; then
      printf '%s\tsystemd:image\tfail no systemd image (its making failed: see above)\n' "$release systemd" >>"$results"
    else
      boots+=("$release:systemd")
    fi
  fi
done
parallel=${WGPR_VM_PARALLEL:-$(nproc)}
for entry in "${boots[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$parallel" ]; do wait -n || true; done
  boot "${entry%%:*}" "${entry#*:}" &
done
wait
for entry in "${boots[@]}"; do
  release=${entry%%:*}
  if [ "${entry#*:}" = systemd ]; then record "$release systemd" "$out/$release-systemd.log"; else record "$release" "$out/$release.log"; fi
done
checks=$(without_systemd "$(checks_of host)")
if [ "${WGPR_VM_HOST:-1}" = 1 ] && [ -n "$checks" ]; then
  echo "==> the host's kernel $(uname -r): checks $checks" >&2
  started=$SECONDS
  WGPR_VM_CHECKS=$checks "$repo/vmtest/guest.sh" >"$out/host.log" 2>&1 || true
  echo "VMTEST boot-seconds $((SECONDS - started))" >>"$out/host.log"
  record "host $(uname -r)" "$out/host.log"
fi

# The table: one row per kernel and check. Fails when any check failed or a kernel printed none.
echo
printf '| %-27s | %-30s | %-6s | %s\n' kernel check result why
printf '|%s|%s|%s|%s\n' "$(printf -- '-%.0s' {1..29})" "$(printf -- '-%.0s' {1..32})" "$(printf -- '-%.0s' {1..8})" "------"
status=0
while IFS=$'\t' read -r kernel check rest; do
  result=${rest%% *} why=${rest#* }
  [ "$why" = "$rest" ] && why=""
  case $check in
    boot-seconds) why="$result s" result=info ;;
    *) case $result in pass | warn | info) ;; *) status=1 ;; esac ;;
  esac
  printf '| %-27s | %-30s | %-6s | %s\n' "$kernel" "$check" "$result" "$why"
done <"$results"
for entry in "${boots[@]}"; do
  release=${entry%%:*}
  if [ "${entry#*:}" = systemd ]; then
    grep -q "^$release systemd	systemd:done" "$results" ||
      { echo "$release systemd: the check did not finish (see $out/$release-systemd.log)"; status=1; }
  else
    grep -q "^$release	done" "$results" || { echo "$release: the guest did not finish (see $out/$release.log)"; status=1; }
  fi
done
exit $status
