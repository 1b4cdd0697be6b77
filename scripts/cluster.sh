#!/usr/bin/env bash
# Runs N chat-worker nodes on this machine as one Hazelcast cluster on loopback, sharing one Redis:
# a standalone one, or a local Redis Sentinel or Redis Cluster to watch the nodes follow failovers.
# Builds the jar if needed. Node i (0-based) serves http://127.0.0.1:$((HTTP_BASE+i))/status and takes
# Hazelcast port $((PORT_BASE+i)); each node lists every other as a member (TCP/IP discovery).
# Ctrl-C (or SIGTERM) stops every node gracefully, then the Redis the script started.
#
# Usage: scripts/cluster.sh [--redis standalone|sentinel|cluster] [--tls] [N]          (N default 3)
#   --redis standalone (the default): the Redis at CHATWORKER_REDIS_URL, else redis.url of the config
#          file; when none answers there and that URL is on this machine, a throwaway redis-server
#   --redis sentinel: a master, 2 replicas and 3 sentinels on free loopback ports; the nodes get
#          CHATWORKER_REDIS_MODE=sentinel, the sentinels' URLs, CHATWORKER_REDIS_MASTER_NAME=mymaster
#   --redis cluster: a Redis Cluster of 3 masters with a replica each; the nodes get mode cluster and
#          every Redis node's URL as seeds
#          Both replicated ones run the test fixtures (chatworker.testing.TopologyMain, test classes
#          built when stale) on the system's redis-server, else embedded-redis's; they print where each
#          process listens and how to fail over by hand, and start a killed data node again as a
#          replica. CHATWORKER_REDIS_DURABILITY_REPLICAS defaults to every replica of a master (2 on
#          sentinel, 1 on cluster); the topology's mode, URLs and master name replace the caller's
#   --tls  event bus in mutual TLS and the HTTP ports in HTTPS, with throwaway certificates from
#          scripts/tls-dev-certs.sh in target/cluster/certs (node i: node-i.pem); scripts/submit.sh then
#          joins with client.pem, and curl needs --cacert target/cluster/certs/ca.pem
#   CLUSTER_HTTP_PORT_BASE=8080  CLUSTER_PORT_BASE=5701   first node's ports; the others count up
#   every CHATWORKER_* variable of docs/CONFIG.md applies to all nodes (CHATWORKER_REDIS_URL,
#   CHATWORKER_CLUSTER_NAME, CHATWORKER_CONF, ...), except the per-node ports and members set here.
# Logs: target/cluster/node-<i>.log. The members list goes to target/cluster/members (scripts/submit.sh
# reads it) while the cluster runs; with --redis sentinel|cluster, the nodes' Redis settings go to
# target/cluster/redis.env.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

usage() {
  log "usage: scripts/cluster.sh [--redis standalone|sentinel|cluster] [--tls] [N]   (N nodes, default 3)"
  exit 2
}
tls=0
redis_mode=standalone
count=3
while (($#)); do
  case "$1" in
    --tls) tls=1 ;;
    --redis) (($# > 1)) || usage; redis_mode=$2; shift ;;
    --redis=*) redis_mode=${1#--redis=} ;;
    *) [[ "$1" =~ ^[1-9][0-9]*$ ]] || usage; count=$1 ;;
  esac
  shift
done
[[ "$redis_mode" =~ ^(standalone|sentinel|cluster)$ ]] || usage
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
[[ "$redis_mode" == standalone ]] || topology_classpath=$(test_classpath chatworker.testing.TopologyMain)

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
topology_pid=""
redis_env=()
pids=()
stopping=0

# Starts chatworker.testing.TopologyMain (a local Sentinel or Cluster on free ports; its lines on stderr
# say where) in a process group of its own, so that a Ctrl-C in the terminal reaches the nodes but not
# Redis, which must stop last. Waits for the nodes' settings in $dir/redis.env and puts them in redis_env.
start_topology() {
  local name value entry replicas=""
  rm -f "$dir/redis.env"
  set -m
  java -Xms32m -Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -cp "$topology_classpath" \
    chatworker.testing.TopologyMain "$redis_mode" "$dir/redis.env" </dev/null >&2 &
  topology_pid=$!
  set +m
  for _ in $(seq 1 1200); do
    [[ -f "$dir/redis.env" ]] && break
    if ! kill -0 "$topology_pid" 2>/dev/null || ((stopping)); then break; fi
    sleep 0.1
  done
  if [[ ! -f "$dir/redis.env" ]]; then
    ((stopping)) || log "the local Redis $redis_mode did not start within 2 minutes, or failed (see above)"
    return 1
  fi
  while IFS='=' read -r name value; do
    case "$name" in
      CHATWORKER_REDIS_*) redis_env+=("$name=$value") ;;
      REPLICAS) replicas=$value ;;
    esac
  done <"$dir/redis.env"
  for entry in "${redis_env[@]}"; do
    name=${entry%%=*}
    [[ -n "${!name:-}" && "${!name}" != "${entry#*=}" ]] && log "$name is set: the local $redis_mode's replaces it"
  done
  local durability=${CHATWORKER_REDIS_DURABILITY_REPLICAS:-$replicas}
  redis_env+=("CHATWORKER_REDIS_DURABILITY_REPLICAS=$durability")
  log "local Redis $redis_mode up (process group $topology_pid); the nodes acknowledge a write once" \
    "$durability of its master's $replicas replica(s) hold it"
  if [[ "$durability" =~ ^[0-9]+$ ]] && ((durability > replicas)); then
    log "CHATWORKER_REDIS_DURABILITY_REPLICAS=$durability is more than the $replicas replica(s): every write will fail"
  fi
}

# SIGTERM to TopologyMain, which closes the topology; then SIGKILL to whatever is left in its process
# group after 30 s, or after it exited (a redis-server it was starting again at that moment).
stop_topology() {
  [[ -n "$topology_pid" ]] || return 0
  local deadline=$((SECONDS + 30))
  kill -TERM "$topology_pid" 2>/dev/null || true
  while kill -0 "$topology_pid" 2>/dev/null && ((SECONDS < deadline)); do
    sleep 0.1
  done
  if kill -0 -- "-$topology_pid" 2>/dev/null; then
    log "killing what is left of the local Redis (process group $topology_pid)"
    kill -KILL -- "-$topology_pid" 2>/dev/null || true
  fi
  wait "$topology_pid" 2>/dev/null || true
  topology_pid=""
}

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
  stop_topology
  rm -f "$dir/members" "$dir/tls" "$dir/redis.env"
}
on_signal() {
  stopping=1
}
trap on_signal INT TERM

if [[ "$redis_mode" != standalone ]]; then
  if ! start_topology; then shutdown_all; exit 1; fi
elif redis_answers "$redis_host" "$redis_port"; then
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
  env "${tls_env[@]}" "${redis_env[@]}" CHATWORKER_CONF="$conf" \
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
if [[ "$redis_mode" != standalone ]]; then
  log "fail over or kill a master as shown above, and watch the nodes follow: redis.topology in" \
    "${scheme}://$host:$http_base/status (masters, replicas, failovers), the console at ${scheme}://$host:$http_base/"
fi

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
  if [[ -n "$topology_pid" && -z "${reported[redis]:-}" ]] && ! kill -0 "$topology_pid" 2>/dev/null; then
    reported[redis]=1
    log "the local Redis $redis_mode (pid $topology_pid) exited; the nodes keep running without it"
  fi
  ((alive == 0)) && break
done
log "stopping the cluster ..."
shutdown_all
log "stopped"
