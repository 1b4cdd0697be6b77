#!/usr/bin/env bash
# GET throughput/latency of the resilient Redis layer against a bare pooled vertx-redis-client, on a
# throwaway redis-server (the system's, else embedded-redis's). One JSON line per result on stdout;
# progress and logs on stderr. Arguments go to chatworker.bench.RedisBench:
#   --duration-seconds 5  --warmup-seconds 2  --rounds 3  --callers 1,16,64,256
#   --clients resilient,pooled   (diagnostic variants: held,held-timer,held-breaker,held-breaker-nometrics)
# BENCH_JAVA_OPTS adds JVM flags (e.g. -XX:StartFlightRecording=filename=bench.jfr); JVM logs go to stderr.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

CLASSPATH_FILE=target/bench-classpath.txt
BENCH_CLASS=target/test-classes/chatworker/bench/RedisBench.class

# Rebuild when the bench class or the classpath file is missing, or a source or the pom is newer.
if [[ ! -f "$BENCH_CLASS" || ! -f "$CLASSPATH_FILE" ]] \
  || [[ -n "$(find src pom.xml -newer "$BENCH_CLASS" -type f -print -quit)" ]] \
  || [[ pom.xml -nt "$CLASSPATH_FILE" ]]; then
  printf 'building test classes ...\n' >&2
  mvn -q -B test-compile dependency:build-classpath -Dmdep.outputFile="$CLASSPATH_FILE" >&2
fi

# Run from a private copy of the classes: another Maven build in this tree (clean, package, a test
# run) may rewrite target/ while the benchmark is loading classes.
SNAPSHOT="$(mktemp -d "${TMPDIR:-/tmp}/bench-redis.XXXXXX")"
trap 'rm -rf "$SNAPSHOT"' EXIT
cp -r target/classes "$SNAPSHOT/classes"
cp -r target/test-classes "$SNAPSHOT/test-classes"

# shellcheck disable=SC2086 # BENCH_JAVA_OPTS is a list of flags
java -Xlog:all=warning:stderr ${BENCH_JAVA_OPTS:-} -Xms512m -Xmx1g \
  -cp "$SNAPSHOT/classes:$SNAPSHOT/test-classes:$(cat "$CLASSPATH_FILE")" \
  chatworker.bench.RedisBench "$@"
