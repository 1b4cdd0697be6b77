#!/usr/bin/env bash
# Runs one chat-worker node. Builds the jar if needed; when no Redis answers at the configured URL
# (CHATWORKER_REDIS_URL, else redis.url of the config file) and that URL is on this machine, starts
# a throwaway local redis-server for the node and stops it when the node stops (standalone mode only:
# with CHATWORKER_REDIS_MODE=sentinel or cluster the node uses the deployment it is given).
# Usage: scripts/run.sh [--conf FILE]   (every CHATWORKER_* variable of docs/CONFIG.md applies)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

conf=${CHATWORKER_CONF:-conf/chat-worker.json}
if [[ "${1:-}" == "--conf" && -n "${2:-}" ]]; then conf=$2; fi
url=${CHATWORKER_REDIS_URL:-$(config_redis_url "$conf")}
url=${url:-redis://127.0.0.1:6379}

# host and port of redis[s]://[user:pass@]host:port[/db]
hostport=${url#*://}
hostport=${hostport##*@}
hostport=${hostport%%/*}
host=${hostport%%:*}
port=${hostport##*:}
[[ "$port" == "$host" ]] && port=6379

ensure_jar

redis_pid=""
if [[ "${CHATWORKER_REDIS_MODE:-standalone}" != standalone ]]; then
  log "Redis ${CHATWORKER_REDIS_MODE} mode: using the deployment that CHATWORKER_REDIS_URL lists"
elif redis_answers "$host" "$port"; then
  log "using the Redis that answers at $host:$port"
elif [[ "$host" == 127.0.0.1 || "$host" == localhost ]]; then
  log "no Redis answers at $host:$port: starting a local one for this node"
  redis_pid=$(start_local_redis "$port")
else
  log "no Redis answers at $host:$port; starting the node anyway (it reconnects by itself)"
fi

java -jar "$JAR" "$@" &
node_pid=$!
stop() {
  kill -TERM "$node_pid" 2>/dev/null || true
}
trap stop INT TERM
set +e
wait "$node_pid"; status=$?
# After a signal, wait returns early: wait again for the node's graceful exit.
if kill -0 "$node_pid" 2>/dev/null; then wait "$node_pid"; status=$?; fi
set -e
if [[ -n "$redis_pid" ]]; then
  kill -TERM "$redis_pid" 2>/dev/null || true
  wait "$redis_pid" 2>/dev/null || true
fi
exit "$status"
