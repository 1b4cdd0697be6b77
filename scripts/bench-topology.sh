#!/usr/bin/env bash
# Generate throughput and latency of one in-process chat-worker node (shipped configuration, builtin
# model without token delay) on each Redis topology, in one run: a lone redis-server (the baseline),
# a master with one replica, Sentinel (a master, two replicas, three sentinels) and Cluster (three
# masters with a replica each), without and with durable writes (-wait1: redis.durability.replicas 1).
# All the deployments stay up for the whole run (the tests' fixtures, on the system's redis-server,
# else embedded-redis's). One JSON line per result on stdout (per round and configuration, then the
# medians); progress and logs on stderr. Arguments go to chatworker.bench.TopologyBench:
#   --duration-seconds 15  --warmup-seconds 5  --rounds 3  --concurrency 64  --chats 1000  --assistants 10
#   --configs standalone,standalone-wait1,sentinel,sentinel-wait1,cluster,cluster-wait1
#             (sentinel-wait2 also works: Sentinel's master has two replicas)
#   --persistence none|everysec|always   (set on every data node, so that only the topology differs)
#   --event-loops 0 (the node's Vert.x event loops; 0: the node's own setting, node.eventLoops)
#   --quiet-percent 25  --quiet-wait-seconds 120   (before each measured phase, wait up to that long
#             until other processes use under 25 % of the machine; 100 turns the wait off)
# BENCH_JAVA_OPTS adds JVM flags (e.g. a JFR recording).
set -euo pipefail

source "$(dirname "$0")/lib.sh"
cd "$ROOT"

classpath=$(bench_classpath TopologyBench)

# shellcheck disable=SC2086 # BENCH_JAVA_OPTS is a list of flags
exec java ${BENCH_JAVA_OPTS:-} -Xms512m -Xmx1g \
  -cp "$classpath" \
  chatworker.bench.TopologyBench "$@"
