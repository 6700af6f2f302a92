#!/usr/bin/env bash
# Prints the path of a tarball of a Debian 12 (bookworm) minbase root holding PACKAGES (a comma list),
# made by mmdebstrap from the Debian mirror the first time and cached in $WG_PR_ROOT_CACHE (default
# /var/cache/wg-pr-tests) under a name derived from the list, so later runs reach no network.
# Used by test-install.sh and test-service.sh.
set -euo pipefail
packages=$1
suite=bookworm
cache=${WG_PR_ROOT_CACHE:-/var/cache/wg-pr-tests}
tarball=$cache/debian-$suite-$(echo "$packages" | sha256sum | cut -c1-12).tar
if [ ! -f "$tarball" ]; then
  echo "==> building a Debian $suite root with $packages (once): $tarball" >&2
  mkdir -p "$cache"
  mmdebstrap --quiet --format=tar --variant=minbase --include="$packages" "$suite" "$tarball.partial" \
    http://deb.debian.org/debian >&2
  mv "$tarball.partial" "$tarball"
fi
echo "$tarball"
