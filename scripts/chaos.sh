#!/usr/bin/env bash
# The chaos run: the seed scenario at scale under a schedule of faults (docs/RELIABILITY.md).
#   scripts/chaos.sh [--redis standalone|sentinel|cluster] [--durability N] [--nodes 3] [--users 200]
#                    [--duration 120] [--faults all|none|<list>] [--short] [--via eventbus|http] [--tls]
# --redis: the Redis the nodes use (default standalone):
#   standalone  one redis-server (AOF fsync always) behind a fault proxy; faults restart, kill-clients,
#               blackhole, slow, node-kill, oom (all), rolling-restart (only when named)
#   sentinel    a master, 2 replicas, 3 sentinels (nodes get the sentinels, master name mymaster);
#               faults failover, master-kill, node-kill (all), rolling-restart
#   cluster     3 masters with a replica each (nodes get the seeds); faults failover, master-kill,
#               reshard, node-kill (all), rolling-restart
#   failover     SENTINEL FAILOVER, or CLUSTER FAILOVER of the master holding the most live chats
#   master-kill  kill -9 of Sentinel's master or of that cluster master; a replica is promoted, the old
#                master is started again some seconds later and comes back as a replica
#   reshard      moves the slots of live chats to another master while the users write them
#   A fault that does not apply to the topology is refused with the reason.
# --durability N: replicas that must confirm a write before a client hears of it (WAIT); default every
#   replica: 2 on sentinel, 1 on cluster, 0 on standalone.
# --short is the CI profile: about a minute of load, 30 users, each fault once, shorter fault windows.
# --via: how the users reach the nodes (default eventbus):
#   eventbus  the load client joins the cluster as a Hazelcast lite member and sends the contract's
#             requests on the clustered event bus; a generate without an answer is resent by jobId
#   http      the nodes' HTTP API (/v1, SSE for streams), each user on a node of its own while that
#             node is up (a load balancer's health check: GET /health/ready every 500 ms), else the
#             next one; a generate whose connection failed is resent with the same Idempotency-Key.
#             The end's checks (resends, reading every chat back) go through the HTTP API too
# Builds the test classes when stale, runs chatworker.chaos.ChaosRun (which starts Redis, the nodes as
# processes, and the load client), prints one JSON line per fault (with the times from the fault and
# from its heal to the first success and to 80 % of the baseline throughput) and a summary line on
# stdout, writes target/chaos/report.html and, when Chromium is there, target/chaos/report.png. Exits 0
# only when lost, cross-talk, duplicates, acknowledged-but-missing (read through the nodes and in Redis)
# and leaked locks are all zero and every fault happened.
# CHAOS_JAVA_OPTS adds JVM flags to the load client; CHAOS_NO_PNG=1 skips the screenshot (CI).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

# --out DIR (default target/chaos) is where this run writes; only that directory is cleaned first.
# --tls: the nodes' event bus is mutual TLS (throwaway certificates from scripts/tls-dev-certs.sh in
# DIR/certs; every node uses node-0's, the users' lite member client.pem); the HTTP port stays HTTP.
OUT=target/chaos
args=()
tls=0
for arg in "$@"; do
  if [[ "$arg" == --tls ]]; then tls=1; else args+=("$arg"); fi
done
for ((i = 0; i < ${#args[@]} - 1; i++)); do
  [[ "${args[i]}" == --out ]] && OUT="${args[i + 1]}"
done
set -- "${args[@]}"
if ((tls)); then
  case "$OUT" in /*) certs="$OUT/certs" ;; *) certs="$PWD/$OUT/certs" ;; esac
  scripts/tls-dev-certs.sh "$certs" 1 >/dev/null
  export CHATWORKER_CLUSTER_TLS_CERT="$certs/node-0.pem" CHATWORKER_CLUSTER_TLS_KEY="$certs/node-0.key" \
    CHATWORKER_CLUSTER_TLS_CA="$certs/ca.pem" \
    CHATWORKER_CHAOS_CLIENT_TLS_CERT="$certs/client.pem" CHATWORKER_CHAOS_CLIENT_TLS_KEY="$certs/client.key"
  log "event bus in mutual TLS (certificates in $certs)"
fi
CLASSPATH_FILE=target/chaos-classpath.txt
RUN_CLASS=target/test-classes/chatworker/chaos/ChaosRun.class

FIXTURE_CLASS=target/test-classes/chatworker/testing/RedisServer.class
build() {
  log "building test classes ..."
  mvn -q -B -Dstyle.color=never test-compile dependency:build-classpath -Dmdep.outputFile="$CLASSPATH_FILE" >&2
}
if [[ ! -f "$RUN_CLASS" || ! -f "$FIXTURE_CLASS" || ! -f "$CLASSPATH_FILE" ]] \
  || [[ -n "$(find src pom.xml -newer "$RUN_CLASS" -type f -print -quit)" ]] \
  || [[ pom.xml -nt "$CLASSPATH_FILE" ]]; then
  build
fi

# The system's redis-server, else the one inside embedded-redis (the fixture finds the same one).
if ! command -v redis-server >/dev/null 2>&1 && [[ -z "${CHATWORKER_TEST_REDIS:-}" ]]; then
  CHATWORKER_TEST_REDIS="$(redis_server_binary)"
  export CHATWORKER_TEST_REDIS
fi

# Run from a private copy of the classes: another build in this tree may rewrite target/ meanwhile.
SNAPSHOT="$(mktemp -d "${TMPDIR:-/tmp}/chaos.XXXXXX")"
trap 'rm -rf "$SNAPSHOT"' EXIT
snapshot() {
  rm -rf "$SNAPSHOT/classes" "$SNAPSHOT/test-classes"
  cp -r target/classes "$SNAPSHOT/classes"
  cp -r target/test-classes "$SNAPSHOT/test-classes"
  [[ -f "$SNAPSHOT/test-classes/chatworker/chaos/ChaosRun.class" \
    && -f "$SNAPSHOT/test-classes/chatworker/testing/RedisServer.class" \
    && -f "$SNAPSHOT/classes/chatworker/cli/Main.class" ]]
}
# Another build may be rewriting target/ right now: build once more when the copy is incomplete.
snapshot || { build && snapshot; } || { log "target/ is incomplete even after a build"; exit 3; }
mkdir -p "$OUT"
rm -f "$OUT"/node-*.log "$OUT"/redis-*.log "$OUT/unexpected-failures.txt" "$OUT/redis-clients.txt" "$OUT/report.html" "$OUT/report.png" "$OUT/summary.json"

status=0
# shellcheck disable=SC2086 # CHAOS_JAVA_OPTS is a list of flags
java "${HAZELCAST_JVM_FLAGS[@]}" ${CHAOS_JAVA_OPTS:-} -Xms256m -Xmx1g \
  -cp "$SNAPSHOT/classes:$SNAPSHOT/test-classes:$(cat "$CLASSPATH_FILE")" \
  chatworker.chaos.ChaosRun --out "$OUT" "$@" || status=$?

# A PNG of the report's main charts, for the README: headless Chromium, installed when missing and root.
if [[ -f "$OUT/report.html" && -z "${CHAOS_NO_PNG:-}" ]]; then
  browser="$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)"
  if [[ -z "$browser" && "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    log "installing chromium for the report screenshot ..."
    apt-get install -y -q chromium >&2 || true
    browser="$(command -v chromium || true)"
  fi
  if [[ -n "$browser" ]]; then
    profile="$(mktemp -d "${TMPDIR:-/tmp}/chaos-chromium.XXXXXX")"
    "$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
      --disable-background-networking --disable-component-update --disable-sync --hide-scrollbars \
      --user-data-dir="$profile" --screenshot="$PWD/$OUT/report.png" --window-size=1200,800 \
      "file://$PWD/$OUT/report.html" >/dev/null 2>&1 || log "chromium failed: no report.png"
    rm -rf "$profile"
    [[ -f "$OUT/report.png" ]] && log "screenshot: $OUT/report.png"
  else
    log "no chromium: skipping $OUT/report.png"
  fi
fi
exit "$status"
