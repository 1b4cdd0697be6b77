#!/usr/bin/env bash
# Runs the HTTP clients that nobody on the project wrote the API for against a real node, as CI does:
# starts a throwaway Redis and one node (from target/chat-worker.jar, built when stale) on free ports,
# then scripts/http-curl.sh (curl), examples/node-client.mjs (Node.js 20's fetch) and
# `submit --http`; stops both at the end. Fails when any of them fails.
# Usage: scripts/http-clients.sh        (needs curl and node 20+)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

# A port in 20000-32767 (below the kernel's ephemeral range) that nothing listens on.
free_port() {
  local port
  for _ in $(seq 1 50); do
    port=$((20000 + RANDOM % 12768))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      printf '%s\n' "$port"
      return
    fi
  done
  log "no free port found"
  return 1
}

ensure_jar
out=target/http-clients
rm -rf "$out" && mkdir -p "$out" && : >"$out/node.log"
redis_port=$(free_port)
redis_pid=$(start_local_redis "$redis_port")
node_pid=""
cleanup() {
  [[ -n "$node_pid" ]] && kill -TERM "$node_pid" 2>/dev/null && wait "$node_pid" 2>/dev/null
  kill -TERM "$redis_pid" 2>/dev/null || true
}
trap cleanup EXIT

CHATWORKER_REDIS_URL="redis://127.0.0.1:$redis_port" CHATWORKER_HTTP_PORT=0 \
  CHATWORKER_CLUSTER_NAME="http-clients-$$" CHATWORKER_CLUSTER_PORT="$(free_port)" \
  java -jar "$JAR" >"$out/node.log" 2>&1 &
node_pid=$!
http_port=""
for _ in $(seq 1 120); do
  http_port=$(sed -n 's/.*chat-worker node .* ready http=\([0-9]*\).*/\1/p' "$out/node.log" | head -n 1)
  [[ -n "$http_port" ]] && break
  kill -0 "$node_pid" 2>/dev/null || { log "the node exited before it was ready:"; tail -n 20 "$out/node.log" >&2; exit 1; }
  sleep 1
done
[[ -n "$http_port" ]] || { log "the node was not ready in 120 s"; tail -n 20 "$out/node.log" >&2; exit 1; }
base="http://127.0.0.1:$http_port"
log "http-clients: node ready at $base"

log "http-clients: curl (scripts/http-curl.sh)"
scripts/http-curl.sh "$base"
log "http-clients: Node.js (examples/node-client.mjs)"
node examples/node-client.mjs "$base" "hello from the Node.js example"
log "http-clients: submit --http"
java -jar "$JAR" submit --http "$base" --text "hello from submit over HTTP" --stream
log "http-clients: all three clients passed against $base"
