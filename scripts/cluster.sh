#!/usr/bin/env bash
# Runs N chat-worker nodes on this machine as one Hazelcast cluster on loopback, sharing one Redis.
# Builds the jar if needed; when no Redis answers at the configured URL (CHATWORKER_REDIS_URL, else
# redis.url of the config file) and that URL is on this machine, starts a throwaway redis-server and
# stops it after the nodes. Node i (0-based) serves http://127.0.0.1:$((HTTP_BASE+i))/status and
# takes Hazelcast port $((PORT_BASE+i)); each node lists every other as a member (TCP/IP discovery).
# Ctrl-C (or SIGTERM) stops every node gracefully, then the Redis it started.
#
# Usage: scripts/cluster.sh [--tls] [N]          (default 3)
#   --tls  event bus in mutual TLS and the HTTP ports in HTTPS, with throwaway certificates from
#          scripts/tls-dev-certs.sh in target/cluster/certs (node i: node-i.pem); scripts/submit.sh then
#          joins with client.pem, and curl needs --cacert target/cluster/certs/ca.pem
#   CLUSTER_HTTP_PORT_BASE=8080  CLUSTER_PORT_BASE=5701   first node's ports; the others count up
#   every CHATWORKER_* variable of docs/CONFIG.md applies to all nodes (CHATWORKER_REDIS_URL,
#   CHATWORKER_CLUSTER_NAME, CHATWORKER_CONF, ...), except the per-node ports and members set here.
# Logs: target/cluster/node-<i>.log. The members list goes to target/cluster/members (scripts/submit.sh
# reads it) while the cluster runs.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

tls=0
if [[ "${1:-}" == --tls ]]; then
  tls=1
  shift
fi
count=${1:-3}
if ! [[ "$count" =~ ^[1-9][0-9]*$ ]]; then
  log "usage: scripts/cluster.sh [--tls] [N]   (N nodes, default 3)"
  exit 2
fi
http_base=${CLUSTER_HTTP_PORT_BASE:-8080}
port_base=${CLUSTER_PORT_BASE:-5701}
host=127.0.0.1
conf=${CHATWORKER_CONF:-conf/chat-worker.json}
url=${CHATWORKER_REDIS_URL:-$(config_redis_url "$conf")}
url=${url:-redis://127.0.0.1:6379}

# host and port of redis[s]://[user:pass@]host:port[/db]
hostport=${url#*://}
hostport=${hostport##*@}
hostport=${hostport%%/*}
redis_host=${hostport%%:*}
redis_port=${hostport##*:}
[[ "$redis_port" == "$redis_host" ]] && redis_port=6379

ensure_jar

dir="$ROOT/target/cluster"
mkdir -p "$dir"
rm -f "$dir/tls"
scheme=http
if ((tls)); then
  scripts/tls-dev-certs.sh "$dir/certs" "$count" >/dev/null
  scheme=https
fi
members=""
for ((i = 0; i < count; i++)); do
  members+="${members:+,}$host:$((port_base + i))"
done

redis_pid=""
pids=()
stopping=0

# Stops every node (SIGTERM: each drains its jobs and leaves the cluster), then the Redis we started.
shutdown_all() {
  local pid
  for pid in "${pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  # A second Ctrl-C interrupts wait, not the drain: wait again until each node is gone.
  for pid in "${pids[@]}"; do
    while kill -0 "$pid" 2>/dev/null; do wait "$pid" 2>/dev/null || true; done
  done
  if [[ -n "$redis_pid" ]]; then
    kill -TERM "$redis_pid" 2>/dev/null || true
    while kill -0 "$redis_pid" 2>/dev/null; do wait "$redis_pid" 2>/dev/null || true; done
  fi
  rm -f "$dir/members" "$dir/tls"
}
on_signal() {
  stopping=1
}
trap on_signal INT TERM

if redis_answers "$redis_host" "$redis_port"; then
  log "using the Redis that answers at $redis_host:$redis_port"
elif [[ "$redis_host" == 127.0.0.1 || "$redis_host" == localhost ]]; then
  log "no Redis answers at $redis_host:$redis_port: starting a local one for the cluster"
  redis_pid=$(start_local_redis "$redis_port")
else
  log "no Redis answers at $redis_host:$redis_port; starting the nodes anyway (they reconnect by themselves)"
fi

start_node() {
  local i=$1
  local -a tls_env=()
  if ((tls)); then
    tls_env=(CHATWORKER_CLUSTER_TLS_CERT="$dir/certs/node-$i.pem" CHATWORKER_CLUSTER_TLS_KEY="$dir/certs/node-$i.key"
      CHATWORKER_CLUSTER_TLS_CA="$dir/certs/ca.pem"
      CHATWORKER_HTTP_TLS_CERT="$dir/certs/node-$i.pem" CHATWORKER_HTTP_TLS_KEY="$dir/certs/node-$i.key")
  fi
  env "${tls_env[@]}" CHATWORKER_CONF="$conf" \
    CHATWORKER_HTTP_PORT=$((http_base + i)) \
    CHATWORKER_CLUSTER_HOST=$host \
    CHATWORKER_CLUSTER_PORT=$((port_base + i)) \
    CHATWORKER_CLUSTER_MEMBERS="$members" \
    java -jar "$JAR" >"$dir/node-$i.log" 2>&1 &
  pids[i]=$!
}

# Waits for node i's ready line; fails (with the end of its log) if it exits first or takes 2 minutes.
await_ready() {
  local i=$1
  for _ in $(seq 1 1200); do
    if grep -q ' ready http=' "$dir/node-$i.log" 2>/dev/null; then
      return 0
    fi
    if ! kill -0 "${pids[i]}" 2>/dev/null || ((stopping)); then
      break
    fi
    sleep 0.1
  done
  ((stopping)) && return 1
  log "node $i did not become ready; the end of $dir/node-$i.log:"
  tail -n 20 "$dir/node-$i.log" >&2 || true
  return 1
}

# The first node alone, then the others together: each of them finds a running member to join, and
# node 0 is Hazelcast's master (the oldest member).
log "starting node 0 of $count (logs in $dir) ..."
start_node 0
if ! await_ready 0; then shutdown_all; exit 1; fi
for ((i = 1; i < count; i++)); do
  start_node "$i"
done
for ((i = 1; i < count; i++)); do
  if ! await_ready "$i"; then shutdown_all; exit 1; fi
done
printf '%s\n' "$members" >"$dir/members"
((tls)) && printf '%s\n' "$dir/certs" >"$dir/tls" # scripts/submit.sh joins with client.pem

for ((i = 0; i < count; i++)); do
  node_id=$(sed -n 's/.*chat-worker node \([^ ]*\) ready http=.*/\1/p' "$dir/node-$i.log" | head -n 1)
  printf "node %d  ${scheme}://%s:%d/status  hazelcast %s:%d  pid %d  id %s\n" \
    "$i" "$host" $((http_base + i)) "$host" $((port_base + i)) "${pids[i]}" "$node_id"
done
log "cluster of $count nodes up (members $members); Ctrl-C stops them all"

# Until Ctrl-C: report nodes that exit by themselves (the others keep running).
declare -A reported=()
while ((!stopping)); do
  sleep 1 &
  wait $! 2>/dev/null || true
  alive=0
  for ((i = 0; i < count; i++)); do
    if kill -0 "${pids[i]}" 2>/dev/null; then
      alive=$((alive + 1))
    elif [[ -z "${reported[$i]:-}" ]]; then
      reported[$i]=1
      status=0
      wait "${pids[i]}" 2>/dev/null || status=$?
      log "node $i (pid ${pids[i]}) exited with status $status"
    fi
  done
  ((alive == 0)) && break
done
log "stopping the cluster ..."
shutdown_all
log "stopped"
