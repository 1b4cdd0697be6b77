#!/usr/bin/env bash
# A walk-through of chat-worker's HTTP API (shared/CONTRACT.md, "HTTP API"; docs/API.md) with curl
# alone: every step prints its request and the response, and checks the HTTP status (and what the
# step is about: idempotent resend, a stream's end, a cancel). Needs bash, curl, grep and sed; no jq.
#
# Usage: scripts/http-curl.sh [BASE_URL]
#   BASE_URL            a running node's HTTP port; default http://127.0.0.1:8080 (scripts/run.sh)
#   CHATWORKER_API_KEY  sent as `Authorization: Bearer <key>` when set (never printed)
# Ends with "http-curl: all N checks passed" and exit 0, or names the first check that failed, exit 1.
set -euo pipefail

BASE=${1:-http://127.0.0.1:8080}
BASE=${BASE%/}
KEY=${CHATWORKER_API_KEY:-}
TMP=$(mktemp -d)
CANCEL_PID=""
cleanup() {
  if [[ -n "$CANCEL_PID" ]]; then kill "$CANCEL_PID" 2>/dev/null || true; fi
  rm -rf "$TMP"
}
trap cleanup EXIT

CHECKS=0
STATUS=""
BODY=""

AUTH=()
if [[ -n "$KEY" ]]; then AUTH=(-H "Authorization: Bearer $KEY"); fi

die() {
  printf 'http-curl: FAILED: %s\n' "$*" >&2
  exit 1
}

pass() {
  CHECKS=$((CHECKS + 1))
  printf '  ok: %s\n' "$*"
}

step() {
  printf '\n== %s\n' "$*"
}

# Prints the request as a reader would type it (the key masked).
show_request() {
  local method=$1 path=$2 body=$3
  shift 3
  local line="> $method $BASE$path"
  if [[ -n "$KEY" ]]; then line+="  [Authorization: Bearer ***]"; fi
  local header
  for header in "$@"; do line+="  [$header]"; done
  printf '%s\n' "$line"
  if [[ -n "$body" ]]; then printf '> %s\n' "$body"; fi
}

# call EXPECTED METHOD PATH [BODY] [HEADER...]: one request; sets STATUS and BODY and checks STATUS.
call() {
  local expected=$1 method=$2 path=$3 body=${4:-}
  shift 4 2>/dev/null || shift $#
  show_request "$method" "$path" "$body" "$@"
  local args=(-sS -X "$method" -o "$TMP/body" -w '%{http_code}' "${AUTH[@]}")
  local header
  for header in "$@"; do args+=(-H "$header"); done
  if [[ -n "$body" ]]; then args+=(-H 'Content-Type: application/json' --data-binary "$body"); fi
  STATUS=$(curl "${args[@]}" "$BASE$path") || die "$method $path: curl could not get an answer from $BASE"
  BODY=$(<"$TMP/body")
  printf '< %s %s\n' "$STATUS" "$BODY"
  [[ "$STATUS" == "$expected" ]] || die "$method $path answered $STATUS, expected $expected: $BODY"
  pass "$method $path -> $STATUS"
}

# field NAME [JSON]: the first string value of "NAME" in JSON (default BODY). Enough for this API's
# compact bodies; not a JSON parser.
field() {
  local json=${2:-$BODY}
  printf '%s' "$json" | grep -o "\"$1\"[[:space:]]*:[[:space:]]*\"[^\"]*\"" | head -n 1 | sed 's/.*:[[:space:]]*"\(.*\)"/\1/' || true
}

# number NAME [JSON]: the first number value of "NAME".
number() {
  local json=${2:-$BODY}
  printf '%s' "$json" | grep -o "\"$1\"[[:space:]]*:[[:space:]]*-\?[0-9]\+" | head -n 1 | sed 's/.*:[[:space:]]*//' || true
}

expect_field() {
  local name=$1 want=$2 got
  got=$(field "$name")
  [[ "$got" == "$want" ]] || die "\"$name\" is '$got', expected '$want' in: $BODY"
  pass "\"$name\" is \"$want\""
}

expect_contains() {
  local what=$1 text=$2
  [[ "$BODY" == *"$text"* ]] || die "$what: $text not in: $BODY"
  pass "$what"
}

# stream_generate FILE CHAT_ID JOB_ID TEXT: a streaming generate whose events are printed as they
# arrive and kept in FILE; the response headers go to FILE.headers.
stream_generate() {
  local file=$1 chat=$2 job=$3 text=$4
  local body="{\"text\":\"$text\",\"stream\":true}"
  show_request POST "/v1/chats/$chat/generate" "$body" "Idempotency-Key: $job" "curl -N"
  curl -sS -N -X POST "${AUTH[@]}" -D "$file.headers" -H 'Content-Type: application/json' \
    -H 'Accept: text/event-stream' -H "Idempotency-Key: $job" --data-binary "$body" \
    "$BASE/v1/chats/$chat/generate" | sed -u 's/\r$//' | tee "$file" | sed -u 's/^/< /'
}

# The HTTP status in a curl -D header dump.
status_of() {
  sed -n '1s/^HTTP\/[0-9.]* \([0-9]*\).*/\1/p' "$1"
}

# Checks the event names of a finished stream: chunks with seq 0,1,2… in order, then exactly one
# terminal event, the given one, and nothing after it.
check_stream_events() {
  local file=$1 terminal=$2
  local events last seqs expected=0 seq
  events=$(grep -c '^event:' "$file" || true)
  [[ "$events" -gt 0 ]] || die "no event in the stream: $(cat "$file")"
  last=$(grep '^event:' "$file" | tail -n 1 | sed 's/^event:[[:space:]]*//')
  [[ "$last" == "$terminal" ]] || die "the stream's last event is '$last', expected '$terminal'"
  local terminals
  terminals=$(grep -c -E '^event:[[:space:]]*(done|error)[[:space:]]*$' "$file" || true)
  [[ "$terminals" == 1 ]] || die "the stream has $terminals done/error events, expected exactly 1"
  pass "the stream ends with exactly one 'event: $terminal'"
  # The data line right after each `event: chunk` carries the chunk's seq.
  seqs=$(grep -A1 '^event:[[:space:]]*chunk' "$file" | grep '^data:' | grep -o '"seq"[[:space:]]*:[[:space:]]*[0-9]*' \
    | sed 's/.*:[[:space:]]*//' || true)
  for seq in $seqs; do
    [[ "$seq" == "$expected" ]] || die "chunk seq $seq arrived where $expected was due"
    expected=$((expected + 1))
  done
  if [[ "$expected" == 0 ]]; then pass "no chunk before the end"; else pass "$expected chunk(s), seq 0..$((expected - 1)) in order"; fi
}

RUN=$(date +%s)-$$
echo "chat-worker HTTP API at $BASE"

if [[ -n "$KEY" ]]; then
  step "a request without the API key"
  printf '> GET %s/v1/openapi.json  [no Authorization header]\n' "$BASE"
  STATUS=$(curl -sS -o "$TMP/body" -w '%{http_code}' "$BASE/v1/openapi.json") || die "no answer from $BASE"
  BODY=$(<"$TMP/body")
  printf '< %s %s\n' "$STATUS" "$BODY"
  [[ "$STATUS" == 401 ]] || die "a request without a key answered $STATUS, expected 401"
  pass "no key -> 401"
  expect_field code UNAUTHORIZED
fi

step "create an assistant (builtin model)"
call 201 POST /v1/assistants \
  '{"name":"http-curl","systemPrompt":"You are terse.","model":{"provider":"builtin","options":{"tokenDelayMs":5}}}'
ASSISTANT=$(field id)
[[ -n "$ASSISTANT" ]] || die "no id in the created assistant"

step "get it"
call 200 GET "/v1/assistants/$ASSISTANT"
expect_field id "$ASSISTANT"

step "create a chat"
call 201 POST /v1/chats "{\"assistantId\":\"$ASSISTANT\",\"name\":\"walk-through\"}"
CHAT=$(field id)
[[ -n "$CHAT" ]] || die "no id in the created chat"

step "get it"
call 200 GET "/v1/chats/$CHAT"
expect_field assistantId "$ASSISTANT"

step "post a message"
call 201 POST "/v1/chats/$CHAT/messages" '{"text":"hello from curl"}'
expect_field role user
MESSAGE=$(field id)

step "list the messages"
call 200 GET "/v1/chats/$CHAT/messages?limit=10"
expect_contains "the list holds message $MESSAGE" "\"$MESSAGE\""

step "generate, not streaming, with an Idempotency-Key"
JOB=curl-$RUN
call 200 POST "/v1/chats/$CHAT/generate" '{"text":"what is Redis?"}' "Idempotency-Key: $JOB"
expect_field jobId "$JOB"
expect_contains "the reply answers the text" "You said: what is Redis?"
REPLY=$(field id "$(printf '%s' "$BODY" | sed 's/.*"message"[[:space:]]*:[[:space:]]*{//')")
[[ -n "$REPLY" ]] || die "no message id in the reply"

step "the same again, same key: the stored reply, nothing generated"
call 200 POST "/v1/chats/$CHAT/generate" '{"text":"what is Redis?"}' "Idempotency-Key: $JOB"
AGAIN=$(field id "$(printf '%s' "$BODY" | sed 's/.*"message"[[:space:]]*:[[:space:]]*{//')")
[[ "$AGAIN" == "$REPLY" ]] || die "the resend answered message '$AGAIN', the first '$REPLY': not idempotent"
pass "same message id $REPLY"

step "the job"
call 200 GET "/v1/jobs/$JOB"
expect_field status succeeded

step "generate, streaming (curl -N: events as they arrive)"
stream_generate "$TMP/stream" "$CHAT" "curl-stream-$RUN" "stream this please"
STATUS=$(status_of "$TMP/stream.headers")
[[ "$STATUS" == 200 ]] || die "the streaming generate answered $STATUS"
pass "streaming generate -> 200"
grep -qi '^content-type:[[:space:]]*text/event-stream' "$TMP/stream.headers" \
  || die "not text/event-stream: $(grep -i '^content-type' "$TMP/stream.headers")"
pass "Content-Type: text/event-stream"
check_stream_events "$TMP/stream" done

step "a malformed JSON body"
call 400 POST /v1/assistants '{"name": "broken"'
expect_field code INVALID_REQUEST

step "an unknown path"
call 404 GET /v1/no-such-thing

step "the OpenAPI document"
call 200 GET /v1/openapi.json
expect_contains "an OpenAPI 3 document" '"openapi"'

step "cancel a running job: a slow assistant (200 ms per token), streaming in the background"
call 201 POST /v1/assistants '{"name":"http-curl slow","model":{"provider":"builtin","options":{"tokenDelayMs":200}}}'
SLOW=$(field id)
call 201 POST /v1/chats "{\"assistantId\":\"$SLOW\"}"
SLOW_CHAT=$(field id)
CANCEL_JOB=curl-cancel-$RUN
stream_generate "$TMP/cancel" "$SLOW_CHAT" "$CANCEL_JOB" \
  "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen" &
CANCEL_PID=$!
for _ in $(seq 1 100); do
  if grep -q '^event:[[:space:]]*chunk' "$TMP/cancel" 2>/dev/null; then break; fi
  sleep 0.1
done
grep -q '^event:[[:space:]]*chunk' "$TMP/cancel" 2>/dev/null || die "the slow generate streamed no chunk within 10 s"
pass "the slow generate is streaming"
call 202 POST "/v1/jobs/$CANCEL_JOB/cancel"
expect_field jobId "$CANCEL_JOB"
for _ in $(seq 1 100); do
  if ! kill -0 "$CANCEL_PID" 2>/dev/null; then break; fi
  sleep 0.1
done
kill -0 "$CANCEL_PID" 2>/dev/null && die "the cancelled stream was still open 10 s after the cancel"
wait "$CANCEL_PID" || die "the cancelled stream's curl failed"
CANCEL_PID=""
check_stream_events "$TMP/cancel" error
grep -A1 '^event:[[:space:]]*error' "$TMP/cancel" | grep -q '"CANCELLED"' || die "the error event is not CANCELLED"
pass "the error event's code is CANCELLED"
call 200 GET "/v1/jobs/$CANCEL_JOB"
expect_field status cancelled

printf '\nhttp-curl: all %d checks passed\n' "$CHECKS"
