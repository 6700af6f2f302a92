#!/usr/bin/env bash
# Makes the CLI's ahead-of-time cache (JDK 25, JEPs 483, 514 and 515): one JVM runs the commands people
# type most (StartUpTraining) and writes the classes it loaded and linked, and the methods it ran hot,
# into OUT. A JVM started with -XX:AOTCache=OUT and the same class path and options then starts wg-pr
# in about half the CPU time. A cache that does not match (another JDK, a rebuilt jar) is ignored.
#
# A JVM loads every class of its cache as it starts (about 2,800 here, a quarter of a command's time), so
# `wg-pr --version`, which needs few of them, has a cache of its own beside OUT: OUT's name with -version
# (wg-pr-version.aot), made by running it; the launchers choose it for that command line alone. Likewise
# `status`, `check` and `run`, which run without picocli in their plain forms (FastPath): one each, OUT's
# name with the command (wg-pr-status.aot, ...), trained on that command alone (check over the example
# configs, run against a stand-in daemon that refuses it; about 1,800 classes where the whole CLI's has
# 2,800), with the options of cli-fast.jvm-options; the launchers choose both by the command (its other
# forms fall back to picocli, correct with this cache, only slower).
# Usage: client/aot-cache.sh JAVA JAR OUT
set -euo pipefail
java=$1 jar=$2 out=$3
here=$(cd "$(dirname "$0")" && pwd)
configs=("$here"/../configs/demo.toml "$here"/../configs/corp.toml)
# cache FILE MAIN ARGS...: the launchers' own options (cli.jvm-options, and those in $options), which the
# cache records.
options=() start=()
cache() {
  local file=$1; shift
  rm -f "$file"
  "${start[@]}" "$java" @"$here/cli.jvm-options" "${options[@]}" \
    -XX:AOTCacheOutput="$file" -Xlog:aot=warning -Xlog:cds=warning \
    -cp "$jar" "$@" >"$file.log" 2>&1 || { cat "$file.log" >&2; exit 1; }
  rm -f "$file.log"
}
cache "$out" dev.wgpr.client.cli.StartUpTraining "${configs[0]}"
cache "${out%.aot}-version.aot" dev.wgpr.client.cli.Main --version
options=(@"$here/cli-fast.jvm-options")
for command in status check run; do
  # run as the launchers start it: its forwarded signals blocked from the start, -Xrs (./wg-pr says why).
  [ "$command" = run ] && start=(env --block-signal=HUP,INT,TERM) options+=(-Xrs)
  cache "${out%.aot}-$command.aot" dev.wgpr.client.cli.StartUpTraining --only "$command" "${configs[@]}"
done
