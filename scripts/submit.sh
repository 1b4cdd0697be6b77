#!/usr/bin/env bash
# Sends chat.generate jobs to a running cluster: `java -jar target/chat-worker.jar submit "$@"`, built
# first if needed. It joins as a Hazelcast lite member (holds no data, takes no jobs).
#   CHATWORKER_CLUSTER_MEMBERS  the nodes to join; default: the members of the cluster that
#                               scripts/cluster.sh runs (target/cluster/members), else 127.0.0.1:5701
#                               (scripts/run.sh's single node)
#   CHATWORKER_CLUSTER_PORT     the client's own Hazelcast port, counting up while taken; default 5801
#   CHATWORKER_CLUSTER_NAME     must match the nodes' (default chat-worker)
# Examples:
#   scripts/submit.sh --text "hello" --stream
#   scripts/submit.sh --count 1000 --chats 100 --concurrency 32 --token-delay-ms 5 --out target/jobs.jsonl
#   scripts/submit.sh --http http://127.0.0.1:8080 --text "hello" --stream   # through a node's HTTP API, no cluster join
# `scripts/submit.sh --help` lists every option; exit codes are in the README.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

ensure_jar

if [[ -z "${CHATWORKER_CLUSTER_MEMBERS:-}" ]]; then
  if [[ -s "$ROOT/target/cluster/members" ]]; then
    CHATWORKER_CLUSTER_MEMBERS=$(<"$ROOT/target/cluster/members")
  else
    CHATWORKER_CLUSTER_MEMBERS=127.0.0.1:5701
  fi
fi
export CHATWORKER_CLUSTER_MEMBERS
# A cluster that scripts/cluster.sh --tls runs: join with its client certificate, unless told otherwise.
if [[ -z "${CHATWORKER_CLUSTER_TLS_CERT:-}" && -s "$ROOT/target/cluster/tls" ]]; then
  certs=$(<"$ROOT/target/cluster/tls")
  export CHATWORKER_CLUSTER_TLS_CERT="$certs/client.pem" CHATWORKER_CLUSTER_TLS_KEY="$certs/client.key" \
    CHATWORKER_CLUSTER_TLS_CA="$certs/ca.pem"
fi
export CHATWORKER_CLUSTER_PORT=${CHATWORKER_CLUSTER_PORT:-5801}
exec java -jar "$JAR" submit "$@"
