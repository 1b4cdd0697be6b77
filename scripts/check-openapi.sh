#!/usr/bin/env bash
# Validates the HTTP API's OpenAPI document, src/main/resources/openapi/chat-worker-api.json (or the
# file given as the first argument), with a validator the project did not write: Redocly CLI's lint,
# at a pinned version, through npx, with the rules of redocly.yaml (the OpenAPI 3.1 structure and its
# JSON Schemas, resolvable $refs, and Redocly's recommended rules as errors). On any problem it prints
# Redocly's report and exits non-zero; on a clean document it prints one line.
# Needs Node.js >= 20.19 and npm. The first run installs the tool from the npm registry into npm's
# own cache (~/.npm/_npx), never into this tree.
set -euo pipefail

REDOCLY_CLI=@redocly/cli@2.77.0

# A document given by the caller is read from the caller's directory.
if [[ $# -gt 0 ]]; then
  document="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
else
  document=src/main/resources/openapi/chat-worker-api.json
fi
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# No usage telemetry and no update notice: a CI run sends nothing but the registry download.
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true

if ! report="$(npx --yes "$REDOCLY_CLI" lint --config redocly.yaml "$document" 2>&1)"; then
  printf '%s\n' "$report" >&2
  printf 'check-openapi: %s is NOT valid (%s lint, rules in redocly.yaml)\n' "$document" "$REDOCLY_CLI" >&2
  exit 1
fi
printf 'check-openapi: %s is valid OpenAPI 3.1 (%s lint, rules in redocly.yaml)\n' "$document" "$REDOCLY_CLI"
