#!/usr/bin/env bash
# Browser tests of the web app (life.mjs) in Debian's Chromium: builds target/debug/procura,
# starts it on a free port with a fresh SQLite file and drives the whole life, then once more on
# a fresh PostgreSQL database when PROCURA_TEST_POSTGRES_URL is set, then checks session expiry
# on a server with a short idle time. Fails when any of them fails.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"
cargo build --locked --bin procura
(cd "$here" && [ -d node_modules ] || npm ci --no-audit --no-fund)

work="$(mktemp -d)"
server=""
cleanup() {
    if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

# Starts `procura serve` on a free port over the database $1 (more flags after it) and sets BASE
# and ADMIN_LINK from what it prints.
start() {
    local database="$1"; shift
    : > "$work/out"
    PROCURA_DATABASE_URL="$database" target/debug/procura serve --listen 127.0.0.1:0 "$@" \
        > "$work/out" 2> "$work/log" &
    server=$!
    for _ in $(seq 1 100); do
        grep -q '^Listening on ' "$work/out" && break
        sleep 0.2
    done
    BASE="$(sed -n 's/^Listening on //p' "$work/out")"
    ADMIN_LINK="$(grep -A1 'sets a password at' "$work/out" | tail -1)"
    if [ -z "$BASE" ] || [ -z "$ADMIN_LINK" ]; then
        cat "$work/out" "$work/log" >&2
        echo "the server did not start" >&2
        exit 1
    fi
    export BASE ADMIN_LINK
}

stop() {
    kill "$server"; wait "$server" 2>/dev/null || true; server=""
}

run() {
    (cd "$here" && MODE="$1" node life.mjs) || { tail -20 "$work/log" >&2; exit 1; }
}

echo "== SQLite"
start "$work/life.db"
run life
stop

if [ -n "${PROCURA_TEST_POSTGRES_URL:-}" ]; then
    echo "== PostgreSQL"
    name="procura_browser_$$"
    psql "$PROCURA_TEST_POSTGRES_URL" -qc "CREATE DATABASE $name"
    start "${PROCURA_TEST_POSTGRES_URL%/*}/$name"
    run life
    stop
    psql "$PROCURA_TEST_POSTGRES_URL" -qc "DROP DATABASE $name WITH (FORCE)"
fi

echo "== Session expiry"
start "$work/expiry.db" --session-idle-secs 2
run expiry
stop
