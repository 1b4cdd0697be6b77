#!/usr/bin/env bash
# Checks scripts/cluster.sh on a local Redis Sentinel and a local Redis Cluster end to end, as CI does.
# For each, runs `scripts/cluster.sh --redis MODE 2` on ports clear of a cluster.sh with the defaults
# (HTTP 18180-18181, Hazelcast 15801-15802; CLUSTER_HTTP_PORT_BASE and CLUSTER_PORT_BASE move them),
# waits with a deadline until both nodes answer /health/ready, checks that /status says
# redis.topology.mode MODE with durable writes at every replica (2 on sentinel, 1 on cluster), runs one
# generate through the HTTP API (assistant and chat made on node 0, the generate on node 1), then sends
# cluster.sh SIGTERM and checks that it exits 0 and leaves no node and no process of its Redis topology
# behind. Fails at the first check that does not hold, with the end of the logs (kept in
# target/cluster-smoke/). Builds the jar and the test classes first when stale.
# Usage: scripts/cluster-smoke.sh [sentinel|cluster ...]     (default: both; needs curl)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

modes=("$@")
((${#modes[@]})) || modes=(sentinel cluster)
http_base=${CLUSTER_HTTP_PORT_BASE:-18180}
port_base=${CLUSTER_PORT_BASE:-15801}
out=target/cluster-smoke
mkdir -p "$out"

ensure_jar
test_classpath chatworker.testing.TopologyMain >/dev/null

mode=""
run=""   # pid of cluster.sh
group="" # process group of its Redis topology
node_pids=()

# The pids of the processes in process group $1.
group_members() {
  if command -v ps >/dev/null 2>&1; then
    ps -A -o pid= -o pgid= | awk -v group="$1" '$2 == group { print $1 }'
  else # Linux without procps: field 5 of /proc/PID/stat, after the command name in parentheses
    local stat fields
    for stat in /proc/[0-9]*/stat; do
      fields=$(cat "$stat" 2>/dev/null) || continue
      read -r _ _ pgrp _ <<<"${fields##*) }"
      [[ "$pgrp" == "$1" ]] && basename "${stat%/stat}"
    done
  fi
  return 0
}

fail() {
  log "cluster-smoke ($mode): FAILED: $*"
  local f
  for f in "$out/$mode.err" target/cluster/node-0.log target/cluster/node-1.log; do
    [[ -f "$f" ]] && { log "--- the end of $f:"; tail -n 15 "$f" >&2; }
  done
  exit 1
}

# After a failure: cluster.sh gets SIGTERM and 60 s; then what it started gets SIGKILL, by pid.
cleanup() {
  [[ -n "$run" ]] || return 0
  kill -TERM "$run" 2>/dev/null || true
  local deadline=$((SECONDS + 60)) pid
  while kill -0 "$run" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
  kill -KILL "$run" 2>/dev/null || true
  for pid in "${node_pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  [[ -n "$group" ]] && kill -KILL -- "-$group" 2>/dev/null || true
}
trap cleanup EXIT

# Runs "$@" every 0.2 s until it succeeds; fails after $2 seconds, or at once when cluster.sh exits.
await() {
  local what=$1 seconds=$2
  shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    kill -0 "$run" 2>/dev/null || fail "cluster.sh exited while waiting for $what"
    ((SECONDS < deadline)) || fail "no $what within $seconds s"
    sleep 0.2
  done
}

# POSTs JSON $2 to $1 and puts the reply's body in $body; fails unless the status is $3.
body=""
post() {
  local reply code
  reply=$(curl -sS --max-time 30 -w '\n%{http_code}' -X POST "$1" -H 'content-type: application/json' -d "$2") \
    || fail "POST $1: curl failed"
  code=${reply##*$'\n'}
  body=${reply%$'\n'*}
  [[ "$code" == "$3" ]] || fail "POST $1 answered $code, not $3: $body"
}

# The "id" of the JSON object in $body.
body_id() {
  sed -n 's/.*"id":"\([^"]*\)".*/\1/p' <<<"$body" | head -n 1
}

smoke() {
  mode=$1
  local started=$SECONDS replicas i pid status
  [[ "$mode" == sentinel ]] && replicas=2 || replicas=1
  node_pids=()
  group=""
  rm -f "$out/$mode.out" "$out/$mode.err" # before the start: a line of the last run must not count
  env -u CHATWORKER_REDIS_DURABILITY_REPLICAS CHATWORKER_CLUSTER_NAME="cluster-smoke-$$" \
    CLUSTER_HTTP_PORT_BASE="$http_base" CLUSTER_PORT_BASE="$port_base" \
    scripts/cluster.sh --redis "$mode" 2 >"$out/$mode.out" 2>"$out/$mode.err" &
  run=$!
  await "'cluster of 2 nodes up' from cluster.sh" 150 grep -q 'cluster of 2 nodes up' "$out/$mode.err"
  group=$(sed -n 's/.*(process group \([0-9]*\)).*/\1/p' "$out/$mode.err" | head -n 1)
  mapfile -t node_pids < <(sed -n 's/^node [0-9]  .* pid \([0-9]*\) .*/\1/p' "$out/$mode.out")
  [[ -n "$group" && ${#node_pids[@]} == 2 ]] || fail "no process group or not 2 node pids in cluster.sh's output"
  # The topology's JVM and its six Redis processes (sentinel: 3 data nodes, 3 sentinels).
  local members
  members=$(group_members "$group" | wc -l)
  ((members == 7)) || fail "$members processes in the topology's process group $group, not 7"

  for ((i = 0; i < 2; i++)); do
    await "200 from node $i's /health/ready" 30 curl -sSf --max-time 5 "http://127.0.0.1:$((http_base + i))/health/ready"
    status=$(curl -sSf --max-time 5 "http://127.0.0.1:$((http_base + i))/status") || fail "node $i: GET /status failed"
    [[ "$status" == *"\"topology\":{\"mode\":\"$mode\""* ]] || fail "node $i: /status has no redis.topology.mode $mode: $status"
    [[ "$status" == *"\"durability\":{\"replicas\":$replicas,"* ]] \
      || fail "node $i: /status has not redis.topology.durability.replicas $replicas: $status"
  done

  local b0="http://127.0.0.1:$http_base" b1="http://127.0.0.1:$((http_base + 1))" assistant chat
  post "$b0/v1/assistants" '{"name":"cluster-smoke"}' 201
  assistant=$(body_id)
  post "$b0/v1/chats" "{\"assistantId\":\"$assistant\"}" 201
  chat=$(body_id)
  [[ -n "$assistant" && -n "$chat" ]] || fail "no assistant or chat id"
  post "$b1/v1/chats/$chat/generate" '{"text":"hello from cluster-smoke"}' 200
  [[ "$body" == *'"role":"assistant"'* && "$body" == *'hello from cluster-smoke'* ]] \
    || fail "the generate's reply has no assistant message answering the text: $body"

  kill -TERM "$run"
  local deadline=$((SECONDS + 60))
  while kill -0 "$run" 2>/dev/null; do
    ((SECONDS < deadline)) || fail "cluster.sh still runs 60 s after SIGTERM"
    sleep 0.2
  done
  status=0
  wait "$run" || status=$?
  run=""
  ((status == 0)) || fail "cluster.sh exited with status $status after SIGTERM"
  for pid in "${node_pids[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then fail "node pid $pid still runs after cluster.sh exited"; fi
  done
  members=$(group_members "$group")
  [[ -z "$members" ]] || fail "processes of the topology left after cluster.sh exited: $members"
  log "cluster-smoke: $mode passed in $((SECONDS - started)) s (2 nodes ready, /status mode $mode and" \
    "durability $replicas, a generate through the HTTP API, a clean stop with nothing left)"
}

for m in "${modes[@]}"; do
  [[ "$m" =~ ^(sentinel|cluster)$ ]] || { log "usage: scripts/cluster-smoke.sh [sentinel|cluster ...]"; exit 2; }
done
for m in "${modes[@]}"; do
  smoke "$m"
done
