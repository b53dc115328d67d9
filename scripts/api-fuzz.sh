#!/usr/bin/env bash
# Property-based fuzzing of every endpoint from the OpenAPI document with schemathesis (PyPI),
# against a release server on a fresh SQLite database (not part of the test suite; minutes).
#
#   scripts/api-fuzz.sh                  # no 5xx for any generated request
#   CHECKS=all scripts/api-fuzz.sh       # also: answers conform to the documented schemas
#   FUZZ_DATABASE_URL=postgres://… scripts/api-fuzz.sh   # on an empty PostgreSQL database
#
# MAX_TIME (seconds, default 200) and MAX_EXAMPLES (per operation, default 30) can be set.
set -euo pipefail
cd "$(dirname "$0")/.."

checks=${CHECKS:-not_a_server_error}
work=$(mktemp -d /tmp/payments-fuzz.XXXXXX)
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

venv=target/fuzz-venv
if ! "$venv/bin/st" --version >/dev/null 2>&1; then
  echo "== installing schemathesis into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --no-cache-dir "schemathesis==4.32.5"
fi

cargo build --release --quiet
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export DATABASE_URL="${FUZZ_DATABASE_URL:-$work/fuzz.db}"
target/release/payments-api serve --port "$port" >"$work/server.log" 2>&1 &
server_pid=$!
until curl -sf "http://127.0.0.1:$port/health" >/dev/null; do sleep 0.1; done

creds=$(target/release/payments-api clients create --project fuzz --scope "manage_project:fuzz")
field() { python3 -c "import json, sys; print(json.load(sys.stdin)['$1'])"; }
token=$(curl -sf -u "$(field clientId <<<"$creds"):$(field clientSecret <<<"$creds")" \
  -d grant_type=client_credentials "http://127.0.0.1:$port/oauth/token" | field access_token)

# Every `{projectKey}` is the project the token is for; everything else is generated. Deleting
# API clients is left out: deleting the fuzzer's own client would revoke its token.
printf '[parameters]\n"projectKey" = "fuzz"\n' >"$work/schemathesis.toml"
cd "$work"
"$OLDPWD/$venv/bin/st" run "$OLDPWD/api-spec/openapi.json" -u "http://127.0.0.1:$port" \
  -H "Authorization: Bearer $token" --checks "$checks" --phases examples,fuzzing \
  --exclude-operation-id deleteApiClientById \
  --max-examples "${MAX_EXAMPLES:-30}" --max-time "${MAX_TIME:-200}"

# The My Payments operations once more, with a shopper's token (an anonymous session): with
# the project token above they only answer 403.
shop=$("$OLDPWD/target/release/payments-api" clients create --project fuzz \
  --scope "create_anonymous_token:fuzz manage_my_payments:fuzz")
shopper=$(curl -sf -u "$(field clientId <<<"$shop"):$(field clientSecret <<<"$shop")" \
  -d grant_type=client_credentials "http://127.0.0.1:$port/oauth/fuzz/anonymous/token" | field access_token)
"$OLDPWD/$venv/bin/st" run "$OLDPWD/api-spec/openapi.json" -u "http://127.0.0.1:$port" \
  -H "Authorization: Bearer $shopper" --checks "$checks" --phases examples,fuzzing \
  --include-tag "My Payments" \
  --max-examples "${MAX_EXAMPLES:-30}" --max-time "${MAX_TIME:-200}"
