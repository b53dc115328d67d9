#!/usr/bin/env bash
# Throughput and memory benchmark (not part of the test suite). The server and its database are
# pinned to core 0 and the load generator to core 1. Prints a Markdown table of figures.
#
#   scripts/bench.sh                     # throughput and memory, both backends
#   scripts/bench.sh sqlite              # or: postgres
#   scripts/bench.sh predicates [sqlite|postgres]   # query latency over ROWS payments
#
# Needs wrk and PostgreSQL (installed with apt-get when missing). DURATION (seconds per run,
# default 10) and ROWS (payments stored for the memory check, default 1000000) can be set.
set -euo pipefail
cd "$(dirname "$0")/.."

backends=${1:-all}
duration=${DURATION:-10}
rows=${ROWS:-1000000}
work=$(mktemp -d /tmp/payments-bench.XXXXXX)
chmod 755 "$work"
server_pid=""
pg_bin=""
pg_data="$work/pg"
results="$work/results.md"

as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  if [ -n "$pg_bin" ] && [ -f "$pg_data/postmaster.pid" ]; then
    as_postgres "$pg_bin/pg_ctl" -D "$pg_data" -m fast stop >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

need() {
  command -v "$1" >/dev/null 2>&1 && return
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
}
need wrk wrk
need taskset util-linux
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

echo "== building release binaries (with auth, and with auth compiled out for the overhead check)"
cargo build --release --quiet --features insecure-no-auth
cp target/release/payments-api "$work/payments-api-noauth"
cargo build --release --quiet
cp target/release/payments-api "$work/payments-api"

# A PaymentDraft whose stored document is about 1.5 KB.
cat >"$work/draft.json" <<'JSON'
{"amountPlanned":{"currencyCode":"EUR","centAmount":12999},"anonymousId":"anon-0f6c1d2e-4b7a-4c89-9e31-5d2f7a8b9c01","paymentMethodInfo":{"paymentInterface":"STRIPE","method":"CREDIT_CARD","name":{"en":"Credit Card","de":"Kreditkarte","fr":"Carte de crédit"},"interfaceAccount":"acct_1NbKq2Lk3Jd8Fh4x"},"paymentStatus":{"interfaceCode":"requires_capture","interfaceText":"The payment intent was authorized and waits for capture."},"transactions":[{"type":"Authorization","amount":{"currencyCode":"EUR","centAmount":12999},"state":"Success","interactionId":"pi_3NbKq2Lk3Jd8Fh4x0a1b2c3d","timestamp":"2026-11-30T10:00:00.000Z"},{"type":"Charge","amount":{"currencyCode":"EUR","centAmount":12999},"state":"Pending","interactionId":"ch_3NbKq2Lk3Jd8Fh4x0a1b2c3e","timestamp":"2026-11-30T10:05:00.000Z"}],"interfaceInteractions":[{"type":{"typeId":"type","key":"bench-interaction"},"fields":{"request":"POST /v1/payment_intents amount=12999 currency=eur capture_method=manual","response":"200 requires_capture","createdAt":"2026-11-30T10:00:00.000Z"}}],"custom":{"type":{"typeId":"type","key":"bench-order"},"fields":{"orderNumber":"ORD-2026-000123456","channel":"web-shop-eu","note":"Customer asked for delivery to the pick-up station near the main station, gate 4."}}}
JSON
cat >"$work/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = io.open("$work/draft.json")
wrk.body = f:read("*a")
f:close()
LUA

row() { echo "| $1 | $2 | $3 |" | tee -a "$results"; }
rps() { awk '/Requests\/sec/ {printf "%.0f", $2}'; }
rss_mb() { awk '/VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$server_pid/status"; }

start_server() { # binary, database url
  local port
  port=$(free_port)
  DATABASE_URL="$2" PORT="$port" RUST_LOG=warn QUERY_TIMEOUT_MS="${QUERY_TIMEOUT_MS:-60000}" taskset -c 0 "$1" serve >"$work/server.out" 2>"$work/server.log" &
  server_pid=$!
  base="http://127.0.0.1:$port"
  for _ in $(seq 100); do curl -sf "$base/health" >/dev/null && return; sleep 0.1; done
  echo "server did not start" >&2; cat "$work/server.log" >&2; exit 1
}

stop_server() { kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""; }

token_for() { # database url, project
  local creds id secret
  creds=$(DATABASE_URL="$1" "$work/payments-api" clients create --project "$2" --scope "manage_project:$2")
  id=$(echo "$creds" | python3 -c 'import json,sys; print(json.load(sys.stdin)["clientId"])')
  secret=$(echo "$creds" | python3 -c 'import json,sys; print(json.load(sys.stdin)["clientSecret"])')
  curl -s -u "$id:$secret" -d grant_type=client_credentials "$base/oauth/token" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}

# The Types the draft's custom fields and interface interaction use (all String fields).
create_types() { # authorization header
  local type AUTH_HEADER="$1"
  for type in "bench-order payment orderNumber channel note" "bench-interaction payment-interface-interaction request response createdAt"; do
    set -- $type
    python3 - "$base" "$AUTH_HEADER" "$@" <<'PY'
import json, sys, urllib.request
base, auth, key, resource, *fields = sys.argv[1:]
draft = {"key": key, "name": {"en": key}, "resourceTypeIds": [resource],
         "fieldDefinitions": [{"name": f, "label": {"en": f}, "required": False, "type": {"name": "String"}} for f in fields]}
request = urllib.request.Request(f"{base}/bench/types", data=json.dumps(draft).encode(), method="POST",
                                 headers={"Authorization": auth.split(": ", 1)[1], "Content-Type": "application/json"})
urllib.request.urlopen(request)
PY
  done
}

load() { # connections, url, extra wrk args...
  local connections=$1 url=$2
  shift 2
  taskset -c 1 wrk -t1 -c"$connections" -d"${duration}s" "$@" "$url"
}

# CPU time of core 0's work so far, in clock ticks: the server's threads, PostgreSQL's processes
# and the backends it has reaped. Throughput swings by ±30% between runs on a shared machine;
# CPU per operation, which decides throughput once the core is saturated, swings less.
core0_ticks() {
  local files=() pm="" child
  [ -n "$server_pid" ] && files+=("/proc/$server_pid/stat")
  if [ -f "$pg_data/postmaster.pid" ]; then
    pm=$(head -n 1 "$pg_data/postmaster.pid")
    files+=("/proc/$pm/stat")
    for child in $(pgrep -P "$pm"); do files+=("/proc/$child/stat"); done
  fi
  cat "${files[@]}" 2>/dev/null | awk -v pm="$pm" '{t += $14 + $15; if ($1 == pm) t += $16 + $17} END {print t + 0}'
}

cpu_note() { # ticks before, ticks after, operations
  awk -v a="$1" -v b="$2" -v n="$3" -v hz="$(getconf CLK_TCK)" \
    'BEGIN {if (n > 0) printf "core 0: %.0f µs of CPU per operation", (b - a) * 1000000 / hz / n}'
}

load_row() { # label, note, connections, url, extra wrk args...
  local label=$1 note=$2 before out
  shift 2
  before=$(core0_ticks)
  out=$(load "$@")
  row "$label" "$(echo "$out" | rps)/s" "$(cpu_note "$before" "$(core0_ticks)" "$(echo "$out" | awk '/requests in/ {print $1}')")${note:+; $note}"
}

bench_service() { # backend label, database url
  local label=$1 url=$2 token id
  start_server "$work/payments-api" "$url"
  token=$(token_for "$url" bench)
  local auth="Authorization: Bearer $token"
  create_types "$auth"
  load_row "$label: create, 8 clients" "" 8 "$base/bench/payments" -H "$auth" -s "$work/post.lua"
  id=$(curl -s -H "$auth" -H 'Content-Type: application/json' "$base/bench/payments" -d @"$work/draft.json" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  load_row "$label: GET by id, 8 clients" "" 8 "$base/bench/payments/$id" -H "$auth"
  row "$label: RSS peak after creates and GETs" "" "$(rss_mb) MB"
  stop_server
  start_server "$work/payments-api-noauth" "$url"
  load_row "$label: GET by id, auth compiled out" "" 8 "$base/bench/payments/$id"
  stop_server
  echo "$id"
}

fill() { # backend, database url, count: copies of one stored payment with fresh ids
  local sql
  case "$1" in
    sqlite) sql="WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $3)
      INSERT INTO payments (id, project_key, version, key, interface_id, payment_interface, customer_id, created_at, last_modified_at, last_message_sequence_number, document)
      SELECT 'fill-' || i, project_key, version, NULL, NULL, payment_interface, NULL, created_at + i, last_modified_at + i, 1,
             replace(document, id, 'fill-' || i) FROM n, (SELECT * FROM payments LIMIT 1);"
      python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.executescript(sys.argv[2]); c.commit()" "$2" "$sql" ;;
    postgres) sql="INSERT INTO payments (id, project_key, version, key, interface_id, payment_interface, customer_id, created_at, last_modified_at, last_message_sequence_number, document)
      SELECT 'fill-' || i, p.project_key, p.version, NULL, NULL, p.payment_interface, NULL, p.created_at + i, p.last_modified_at + i, 1,
             replace(p.document, p.id, 'fill-' || i) FROM generate_series(1, $3) AS i, (SELECT * FROM payments LIMIT 1) AS p;"
      as_postgres psql -q -h "$work" -p "$pg_port" -U postgres -d postgres -c "$sql" ;;
  esac
}

memory_check() { # label, backend, url, id
  fill "$2" "$3" "$rows"
  start_server "$work/payments-api" "$3"
  local token auth
  token=$(token_for "$3" bench)
  auth="Authorization: Bearer $token"
  load 8 "$base/bench/payments/$4" -H "$auth" >/dev/null
  load 8 "$base/bench/payments?limit=500&sort=createdAt+desc" -H "$auth" >/dev/null
  row "$1: RSS peak with $rows more payments stored" "" "$(rss_mb) MB"
  stop_server
}

sqlite_baseline() { # raw single-row durable inserts of the same document, one transaction each
  taskset -c 0 python3 - "$work/raw.db" "$work/draft.json" "$duration" <<'PY'
import sqlite3, sys, time, uuid
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("PRAGMA journal_mode=WAL"); db.execute("PRAGMA synchronous=FULL")
db.execute("CREATE TABLE docs (id TEXT PRIMARY KEY, doc TEXT NOT NULL)")
doc = open(sys.argv[2]).read()
end = time.time() + float(sys.argv[3]); n = 0
while time.time() < end:
    db.execute("BEGIN IMMEDIATE"); db.execute("INSERT INTO docs VALUES (?, ?)", (str(uuid.uuid4()), doc)); db.execute("COMMIT"); n += 1
print(round(n / float(sys.argv[3])))
PY
}

# Payments with distinct keys, interface ids, customers (100 payments each), creation times
# (one per second) and transaction interaction ids, written by SQL.
fill_varied() { # backend, database url, count
  local n="CAST(n AS TEXT)"
  local document="'{\"id\":\"p-' || $n || '\",\"version\":1,\"key\":\"key-' || $n || '\",\"interfaceId\":\"if-' || $n || '\",\"customer\":{\"typeId\":\"customer\",\"id\":\"cust-' || CAST(n % 10000 AS TEXT) || '\"},\"amountPlanned\":{\"type\":\"centPrecision\",\"currencyCode\":\"EUR\",\"centAmount\":' || CAST(n % 100000 AS TEXT) || ',\"fractionDigits\":2},\"paymentMethodInfo\":{\"paymentInterface\":\"STRIPE\"},\"paymentStatus\":{},\"transactions\":[{\"id\":\"t-' || $n || '\",\"type\":\"Charge\",\"amount\":{\"type\":\"centPrecision\",\"currencyCode\":\"EUR\",\"centAmount\":100,\"fractionDigits\":2},\"interactionId\":\"pi-' || $n || '\",\"state\":\"Success\"}],\"interfaceInteractions\":[],\"createdAt\":\"2026-01-01T00:00:00.000Z\",\"lastModifiedAt\":\"2026-01-01T00:00:00.000Z\"}'"
  local payments="INSERT INTO payments (id, project_key, version, key, interface_id, payment_interface, customer_id, created_at, last_modified_at, last_message_sequence_number, document)
    SELECT 'p-' || $n, 'bench', 1, 'key-' || $n, 'if-' || $n, 'STRIPE', 'cust-' || CAST(n % 10000 AS TEXT), 1767225600000 + n * 1000, 1767225600000 + n * 1000, 1, $document"
  local transactions="INSERT INTO payment_transactions (payment_id, transaction_id, project_key, interaction_id) SELECT 'p-' || $n, 't-' || $n, 'bench', 'pi-' || $n"
  case "$1" in
    sqlite) python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.executescript(sys.argv[2]); c.commit()" "$2" \
      "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < $3) $payments FROM s;
       WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < $3) $transactions FROM s; ANALYZE;" ;;
    postgres) psql_run -c "$payments FROM generate_series(1, $3) AS n; $transactions FROM generate_series(1, $3) AS n; ANALYZE;" ;;
  esac
}

latency() { # label, query string[, runs]: median of the requests (50 by default), client side
  local times
  times=$(for _ in $(seq "${3:-50}"); do
    curl -s -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $token" "$base/bench/payments?$2"
  done | sort -n | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)] * 1000}')
  local count
  count=$(curl -s -H "Authorization: Bearer $token" "$base/bench/payments?$2" \
    | python3 -c 'import json,sys; b=json.load(sys.stdin); print(b.get("total", b.get("count", b.get("errors", [{}])[0].get("code"))))')
  row "$1" "$times ms median" "$count matching"
}

predicate_latencies() { # backend label, backend, database url
  echo "== $1: filling $rows payments"
  start_server "$work/payments-api" "$3" # runs the migrations
  stop_server
  fill_varied "$2" "$3" "$rows"
  start_server "$work/payments-api" "$3"
  token=$(token_for "$3" bench)
  local middle=$((rows / 2))
  local from to
  from=$(python3 -c "import datetime as d; print((d.datetime(2026,1,1,tzinfo=d.timezone.utc)+d.timedelta(seconds=$middle)).strftime('%Y-%m-%dT%H:%M:%S.000Z'))")
  to=$(python3 -c "import datetime as d; print((d.datetime(2026,1,1,tzinfo=d.timezone.utc)+d.timedelta(seconds=$middle+3600)).strftime('%Y-%m-%dT%H:%M:%S.000Z'))")
  enc() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$1"; }
  latency "$1: id = ..." "where=$(enc "id = \"p-$middle\"")"
  latency "$1: key = ..." "where=$(enc "key = \"key-$middle\"")"
  latency "$1: interfaceId = ..." "where=$(enc "interfaceId = \"if-$middle\"")"
  latency "$1: customer(id = ...), 100 matches" "where=$(enc "customer(id = \"cust-42\")")"
  latency "$1: transactions(interactionId = ...)" "where=$(enc "transactions(interactionId = \"pi-$middle\")")"
  latency "$1: createdAt in a one-hour window" "where=$(enc "createdAt >= \"$from\" and createdAt < \"$to\"")"
  latency "$1: unindexed amountPlanned(centAmount = ...), withTotal=false" "withTotal=false&where=$(enc "amountPlanned(centAmount = 4242)")" 5
  latency "$1: unindexed amountPlanned(centAmount > ...), withTotal=false" "withTotal=false&where=$(enc "amountPlanned(centAmount > 99998)")" 5
  stop_server
}

echo "| measurement | figure | note |" >"$results"
echo "|---|---|---|" >>"$results"

if [ "$backends" = predicates ]; then
  only=${2:-all}
  if [ "$only" = all ] || [ "$only" = sqlite ]; then
    predicate_latencies SQLite sqlite "$work/predicates.db"
  fi
  if [ "$only" = sqlite ]; then
    exit 0
  fi
  pg_port=$(free_port)
  mkdir -p "$pg_data"
  [ "$(id -u)" = 0 ] && chown postgres "$pg_data" "$work"
  as_postgres "$pg_bin/initdb" -D "$pg_data" -U postgres --auth=trust -E UTF8 >/dev/null
  as_postgres taskset -c 0 "$pg_bin/pg_ctl" -D "$pg_data" -l "$work/pg.log" -w \
    -o "-p $pg_port -k $work -c listen_addresses=127.0.0.1 -c shared_buffers=256MB" start >/dev/null
  psql_run() { as_postgres psql -q -h "$work" -p "$pg_port" -U postgres -d postgres "$@"; }
  url="postgres://postgres@127.0.0.1:$pg_port/postgres"
  predicate_latencies PostgreSQL postgres "$url"
  echo
  cat "$results"
  exit 0
fi

if [ "$backends" = all ] || [ "$backends" = sqlite ]; then
  echo "== SQLite"
  row "SQLite raw durable insert (python sqlite3, WAL, synchronous=FULL)" "$(sqlite_baseline)/s" "baseline"
  id=$(bench_service "SQLite" "$work/bench.db" | tail -n 1)
  memory_check "SQLite" sqlite "$work/bench.db" "$id"
fi

if [ "$backends" = all ] || [ "$backends" = postgres ]; then
  echo "== PostgreSQL"
  pg_port=$(free_port)
  mkdir -p "$pg_data"
  [ "$(id -u)" = 0 ] && chown postgres "$pg_data" "$work"
  as_postgres "$pg_bin/initdb" -D "$pg_data" -U postgres --auth=trust -E UTF8 >/dev/null
  as_postgres taskset -c 0 "$pg_bin/pg_ctl" -D "$pg_data" -l "$work/pg.log" -w \
    -o "-p $pg_port -k $work -c listen_addresses=127.0.0.1 -c shared_buffers=256MB" start >/dev/null
  psql_run() { as_postgres psql -q -h "$work" -p "$pg_port" -U postgres -d postgres "$@"; }
  psql_run -c "CREATE TABLE docs (id TEXT PRIMARY KEY, doc TEXT NOT NULL); CREATE TABLE reads (id INT PRIMARY KEY, doc TEXT NOT NULL);"
  doc=$(sed "s/'/''/g" "$work/draft.json")
  psql_run -c "INSERT INTO reads SELECT i, '$doc' FROM generate_series(1, 10000) i;"
  echo "INSERT INTO docs VALUES (gen_random_uuid()::text, '$doc');" >"$work/insert.sql"
  printf '\\set id random(1, 10000)\nSELECT doc FROM reads WHERE id = :id;\n' >"$work/read.sql"
  pgbench_row() { # label, note, script, operations per transaction[, pgbench options]
    local label=$1 note=$2 script=$3 per=$4 before out
    shift 4
    before=$(core0_ticks)
    # A client aborted by a deadlock between the replays makes pgbench exit 2; the rest count.
    out=$(as_postgres taskset -c 1 "$pg_bin/pgbench" -n "$@" -h 127.0.0.1 -p "$pg_port" -U postgres -c 8 -j 1 -T "$duration" -f "$script" postgres) || true
    local transactions
    transactions=$(echo "$out" | awk -F': ' '/actually processed/ {print $2 + 0}')
    row "$label" "$(echo "$out" | awk -v per="$per" '/^tps/ {printf "%.0f", $3 * per}')/s" \
      "$(cpu_note "$before" "$(core0_ticks)" "$((transactions * per))"); $note"
  }
  pgbench_row "pgbench: durable single-row insert of the same document, 8 clients" "baseline" "$work/insert.sql" 1
  pgbench_row "pgbench: primary-key read of the same document, 8 clients" "baseline" "$work/read.sql" 1
  url="postgres://postgres@127.0.0.1:$pg_port/postgres"
  id=$(bench_service "PostgreSQL" "$url" | tail -n 1)
  # The ceiling: what creates write (payment row, two transaction lookup rows, two Type
  # references, the PaymentCreated Message), replayed by pgbench alone as the server's
  # statement does: one create per statement, and eight (a batch, see Design).
  types=$(psql_run -At -c "SELECT string_agg(id, ',') FROM (SELECT id FROM resources WHERE type_id = 'type' LIMIT 2) t")
  ceiling_sql() { # creates per statement
    cat <<SQL
\set ts random(1, 1000000000)
WITH p AS (INSERT INTO payments (id, project_key, version, payment_interface, created_at, last_modified_at, last_message_sequence_number, document) SELECT gen_random_uuid()::text, 'bench', 1, 'STRIPE', :ts, :ts, 1, '$doc' FROM generate_series(1, $1) RETURNING id),
t AS (INSERT INTO payment_transactions SELECT p.id, x.t, 'bench', x.i FROM p, unnest('{a,b}'::text[], '{pi_1,ch_1}'::text[]) AS x(t, i)),
r AS (INSERT INTO payment_references SELECT p.id, x FROM p, unnest('{$types}'::text[]) AS x),
m AS (INSERT INTO messages SELECT gen_random_uuid()::text, 'bench', 'payment', p.id, 1, 1, 'PaymentCreated', :ts, '$doc' FROM p)
SELECT count(*) FROM p;
SQL
  }
  ceiling_sql 1 >"$work/create1.sql"
  ceiling_sql 8 >"$work/create8.sql"
  pgbench_row "pgbench: a create's writes as one statement, prepared, without the server, 8 clients" "ceiling, one create per statement" "$work/create1.sql" 1 -M prepared
  pgbench_row "pgbench: the same, eight creates per statement" "ceiling, batched" "$work/create8.sql" 8 -M prepared
  memory_check "PostgreSQL" postgres "$url" "$id"
fi

echo
cat "$results"
