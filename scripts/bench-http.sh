#!/usr/bin/env bash
# Generate over the HTTP API against the same load over the clustered event bus, in one run: worker
# nodes as processes (java -jar target/chat-worker.jar, shipped configuration), one throwaway
# redis-server (the system's, else embedded-redis's), and a client in the benchmark's JVM that joins
# their cluster as a Hazelcast lite member. The same callers in a closed loop, on the same number of
# fresh chats, send chat.generate on the event bus or POST /v1/chats/{id}/generate over keep-alive
# HTTP/1.1 connections (one per request in flight, round robin over the workers); the systems
# alternate per round. One JSON line per result on stdout (per round and system, the medians, then
# the http/eventbus ratio); progress on stderr. Arguments go to chatworker.bench.HttpBench:
#   --workers 2  --concurrency 64  --chats 1000  --assistants 10
#   --duration-seconds 15  --warmup-seconds 5 (per phase)  --initial-warmup-seconds 30 (per system,
#   before round 1: the workers' JIT)  --rounds 3
#   --systems eventbus,http   (also http-stream: stream:true read as server-sent events;
#                              http-health: GET /health/live, the HTTP port without a job)
#   --access-log on|off       (off: the workers' access logger at WARN, to measure what it costs)
#   --worker-jvm-options '...' (e.g. a JFR recording on the workers)
# BENCH_JAVA_OPTS adds JVM flags to the client's JVM.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

ensure_jar

classpath=$(bench_classpath HttpBench)

# shellcheck disable=SC2086 # BENCH_JAVA_OPTS is a list of flags
exec java "${HAZELCAST_JVM_FLAGS[@]}" ${BENCH_JAVA_OPTS:-} -Xms512m -Xmx1g \
  -cp "$classpath" \
  chatworker.bench.HttpBench --jar "$JAR" "$@"
