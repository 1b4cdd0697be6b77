#!/usr/bin/env bash
# Generate latency and throughput over the clustered event bus against the same node in process, in
# one run: two worker nodes (java -jar target/chat-worker.jar, shipped configuration), a client that
# joins their cluster as a Hazelcast lite member, and a NodeVerticle on a plain Vert.x in the client's
# JVM, all on loopback with one throwaway redis-server (the system's, else embedded-redis's); builtin
# model without token delay, 128 concurrent generates in a closed loop, each caller on a chat of its
# own. One JSON line per result on stdout (per round and system, then the medians); progress on stderr.
# Arguments go to chatworker.bench.ClusterBench:
#   --workers 2  --concurrency 128  --duration-seconds 15  --warmup-seconds 10  --rounds 3
# --tls adds a second pair of workers whose event bus is mutual TLS (throwaway certificates from
# scripts/tls-dev-certs.sh in target/bench-cluster/certs), measured in the same rounds: system
# "clustered-tls", its summary with throughputVsClustered, the cost of TLS.
# BENCH_JAVA_OPTS adds JVM flags to the client's JVM.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

ensure_jar

classpath=$(bench_classpath ClusterBench)

args=()
for arg in "$@"; do
  if [[ "$arg" == --tls ]]; then
    certs="$ROOT/target/bench-cluster/certs"
    "$ROOT/scripts/tls-dev-certs.sh" "$certs" 8 >/dev/null
    args+=(--tls "$certs")
  else
    args+=("$arg")
  fi
done

# shellcheck disable=SC2086 # BENCH_JAVA_OPTS is a list of flags
exec java "${HAZELCAST_JVM_FLAGS[@]}" ${BENCH_JAVA_OPTS:-} -Xms512m -Xmx1g \
  -cp "$classpath" \
  chatworker.bench.ClusterBench --jar "$JAR" "${args[@]}"
