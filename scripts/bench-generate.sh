#!/usr/bin/env bash
# Generation throughput of one in-process chat-worker node (builtin model, no delay) against a BullMQ
# worker doing the same chat turn, both on one throwaway redis-server (the system's, else
# embedded-redis's), in one run. One JSON line per result on stdout; progress and logs on stderr.
# BullMQ (pinned in scripts/bullmq/package.json) is installed from the npm registry into
# target/bullmq-bench, never into the repository. Arguments go to chatworker.bench.GenerateBench:
#   --duration-seconds 20  --warmup-seconds 5  --rounds 3  --concurrency 64  --chats 1000
#   --outstanding 128 (BullMQ jobs added but not completed)  --systems chat-worker,bullmq[,bullmq-pipelined]
#   --half-load true  --half-load-rate 0 (jobs/s of the paced phase; 0: half the measured peak;
#   with --systems none only the paced phase runs)  --probe-latency-ms 2 (0: skip the round-trip probe)
#   --event-loops 0 (the node's Vert.x event loops; 0: the node's own setting, node.eventLoops)
# BENCH_JAVA_OPTS adds JVM flags (e.g. a JFR recording).
set -euo pipefail

source "$(dirname "$0")/lib.sh"
cd "$ROOT"

for tool in node npm java mvn; do
  command -v "$tool" >/dev/null 2>&1 || { printf '%s is needed on the PATH\n' "$tool" >&2; exit 1; }
done

# BullMQ: install when the pinned versions changed; the worker script is copied on every run.
BULLMQ_DIR=target/bullmq-bench
mkdir -p "$BULLMQ_DIR"
if [[ ! -d "$BULLMQ_DIR/node_modules/bullmq" ]] || ! cmp -s scripts/bullmq/package.json "$BULLMQ_DIR/package.json"; then
  printf 'installing BullMQ into %s ...\n' "$BULLMQ_DIR" >&2
  cp scripts/bullmq/package.json "$BULLMQ_DIR/package.json"
  npm install --prefix "$BULLMQ_DIR" --no-audit --no-fund --loglevel=error >&2
fi
cp scripts/bullmq/chat-turn-worker.js "$BULLMQ_DIR/chat-turn-worker.js"

classpath=$(bench_classpath GenerateBench)

# shellcheck disable=SC2086 # BENCH_JAVA_OPTS is a list of flags
exec java ${BENCH_JAVA_OPTS:-} -Xms512m -Xmx1g \
  -cp "$classpath" \
  chatworker.bench.GenerateBench --bullmq-dir "$BULLMQ_DIR" "$@"
