#!/usr/bin/env bash
# Compiles every src/main/bpf/*.bpf.c into a BPF object that ships inside the jar.
# Usage: compile-bpf.sh SOURCE_DIR OUTPUT_DIR
set -euo pipefail
src=$1 out=$2

missing=()
command -v clang >/dev/null || missing+=(clang)
[ -f /usr/include/bpf/bpf_helpers.h ] || missing+=(libbpf-dev)
[ -f /usr/include/linux/bpf.h ] || missing+=(linux-libc-dev)
if [ ${#missing[@]} -gt 0 ]; then
  echo "error: cannot compile the BPF programs: missing ${missing[*]}." >&2
  echo "       Install with: apt-get install --no-install-recommends ${missing[*]}" >&2
  exit 1
fi

arch_include=/usr/include/$(gcc -dumpmachine 2>/dev/null || echo "$(uname -m)-linux-gnu")
mkdir -p "$out"
shopt -s nullglob
for c in "$src"/*.bpf.c; do
  obj="$out/$(basename "${c%.c}").o"
  if [ "$obj" -nt "$c" ] && [ -z "$(find "$src" -name '*.h' -newer "$obj")" ]; then continue; fi
  clang -target bpf -O2 -g -Wall -Werror -I"$arch_include" -I"$src" -c "$c" -o "$obj"
  # Keep BTF (needed by libbpf), drop DWARF to keep the jar small.
  llvm-strip -g "$obj" 2>/dev/null || true
  echo "compiled $(basename "$c") -> $obj"
done
