#!/usr/bin/env bash
# The full test suite: formatting, lints, unit tests, and every integration test on SQLite and
# on PostgreSQL. Installs PostgreSQL with apt-get when it is missing, runs a throwaway cluster
# on a free loopback port, and removes everything it started when it ends.
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d /tmp/payments-test.XXXXXX)
chmod 755 "$work"
pg_bin=""
pg_data="$work/pg"
stripe_pid=""

as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

cleanup() {
  [ -n "$stripe_pid" ] && kill "$stripe_pid" 2>/dev/null || true
  if [ -n "$pg_bin" ] && [ -f "$pg_data/postmaster.pid" ]; then
    as_postgres "$pg_bin/pg_ctl" -D "$pg_data" -m immediate stop >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

apt_install() {
  echo "== installing $* (apt-get)"
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq "$@" >/dev/null
}

ensure_postgres() {
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || apt_install postgresql
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start_postgres() {
  local port
  port=$(free_port)
  mkdir -p "$pg_data"
  [ "$(id -u)" = 0 ] && chown postgres "$pg_data" "$work"
  as_postgres "$pg_bin/initdb" -D "$pg_data" -U postgres --auth=trust -E UTF8 --no-sync >"$work/initdb.log" 2>&1
  # fsync is off: this cluster is thrown away, and the crash test kills the service, not PostgreSQL.
  as_postgres "$pg_bin/pg_ctl" -D "$pg_data" -l "$work/postgres.log" -w \
    -o "-p $port -k $work -c listen_addresses=127.0.0.1 -c max_connections=400 -c fsync=off" start >/dev/null
  export TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres"
  echo "== PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"
}

# A venv under target/ with the pinned requirements, made once; $3 is a module it must import.
ensure_venv() {
  local venv=$1 requirements=$2 module=$3
  if ! "$venv/bin/python" -c "import $module" >/dev/null 2>&1; then
    echo "== installing $requirements into $venv"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --no-cache-dir -r "$requirements"
  fi
}

# The SDKs tests/api/sdk.rs runs against the server: the commercetools Python SDK in a venv, and
# commercetools' TypeScript SDK from the npm registry (Node.js from apt-get when it is missing).
install_sdks() {
  ensure_venv target/sdk-venv tests/sdk/requirements.txt commercetools
  export SDK_PYTHON="$PWD/target/sdk-venv/bin/python"
  command -v npm >/dev/null 2>&1 || apt_install nodejs npm
  local dir=target/sdk-node
  if ! cmp -s tests/sdk/package-lock.json "$dir/package-lock.json" || [ ! -d "$dir/node_modules/@commercetools" ]; then
    echo "== installing tests/sdk/package-lock.json into $dir"
    rm -rf "$dir"
    mkdir -p "$dir"
    cp tests/sdk/package.json tests/sdk/package-lock.json "$dir/"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  fi
  export SDK_NODE_PATH="$PWD/$dir/node_modules"
}

# localstripe (PyPI) in a venv of its own, on a free loopback port, without an on-disk store.
start_localstripe() {
  local port
  ensure_venv target/stripe-fake-venv tests/stripe-fake/requirements.txt localstripe
  port=$(free_port)
  target/stripe-fake-venv/bin/python tests/stripe-fake/launcher.py "$port" >"$work/localstripe.log" 2>&1 &
  stripe_pid=$!
  # Ready when an unauthenticated request is refused with 401.
  if ! python3 - "$port" <<'PY'
import sys, time, urllib.request, urllib.error
for _ in range(200):
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/v1/customers", timeout=1)
    except urllib.error.HTTPError as error:
        if error.code == 401:
            sys.exit(0)
    except OSError:
        pass
    time.sleep(0.1)
sys.exit(1)
PY
  then
    echo "localstripe did not start:"; cat "$work/localstripe.log"; exit 1
  fi
  export STRIPE_TEST_API_BASE="http://127.0.0.1:$port"
  echo "== localstripe on $STRIPE_TEST_API_BASE"
}

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy"
cargo clippy --all-targets --quiet -- -D warnings

ensure_postgres
start_postgres
start_localstripe
install_sdks

echo "== unit tests, and integration tests on SQLite"
TEST_DATABASE_URL="" cargo test --quiet --lib --bins --tests

echo "== integration tests on PostgreSQL"
cargo test --quiet --test api
