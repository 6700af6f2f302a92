#!/usr/bin/env bash
# Makes the CLI's ahead-of-time cache (JDK 25, JEPs 483, 514 and 515): one JVM runs the commands people
# type most (StartUpTraining) and writes the classes it loaded and linked, and the methods it ran hot,
# into OUT. A JVM started with -XX:AOTCache=OUT and the same class path and options then starts wg-pr
# in about half the CPU time. A cache that does not match (another JDK, a rebuilt jar) is ignored.
# Usage: client/aot-cache.sh JAVA JAR OUT
set -euo pipefail
java=$1 jar=$2 out=$3
here=$(cd "$(dirname "$0")" && pwd)
config=$here/../configs/demo.toml
rm -f "$out"
# The launchers' own options (cli.jvm-options): the cache records them.
"$java" @"$here/cli.jvm-options" \
  -XX:AOTCacheOutput="$out" -Xlog:aot=warning -Xlog:cds=warning \
  -cp "$jar" dev.wgpr.client.cli.StartUpTraining "$config" >"$out.log" 2>&1 || { cat "$out.log" >&2; exit 1; }
rm -f "$out.log"
