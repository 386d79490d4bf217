# Shared by the verification checks (sourced, not run). Starts the API built in
# target/debug against a fresh PostgreSQL database of its own, migrated and seeded,
# and stops it (and drops the database) when the calling script exits.
#
#   source verify/lib.sh
#   start_api            # sets API_URL, API_PID, API_DIR, API_DB_URL
#   register_user EMAIL  # prints a bearer token for a new user (password $VERIFY_PASSWORD)
#
# Needs: target/debug/api and target/debug/migration (`cargo build --workspace --bins`),
# psql, curl, and TEST_DATABASE_URL (a PostgreSQL server URL; default
# postgres://postgres@127.0.0.1:5432/postgres) that may create databases.

VERIFY_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
: "${TEST_DATABASE_URL:=postgres://postgres@127.0.0.1:5432/postgres}"
export TEST_DATABASE_URL

VERIFY_PASSWORD=Verify-Passw0rd-2026
export VERIFY_PASSWORD

VERIFY_CLEANUP=()
verify_cleanup() {
    local i
    for ((i = ${#VERIFY_CLEANUP[@]} - 1; i >= 0; i--)); do
        eval "${VERIFY_CLEANUP[i]}" >/dev/null 2>&1 || true
    done
}
trap verify_cleanup EXIT

verify_die() { printf '\nVERIFY FAILED: %s\n' "$*" >&2; exit 1; }

verify_free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# The server URL with another database name: postgres://u@h:p/db?x -> .../NAME?x
verify_db_url() {
    local base=${TEST_DATABASE_URL%%\?*} query=""
    [[ $TEST_DATABASE_URL == *\?* ]] && query="?${TEST_DATABASE_URL#*\?}"
    printf '%s/%s%s' "${base%/*}" "$1" "$query"
}

# start_api [extra VAR=value ...]: a fresh database, migrations, seed, then
# `api serve` on a free port; waits until /api/health answers.
start_api() {
    local bin=$VERIFY_ROOT/target/debug
    [[ -x $bin/api && -x $bin/migration ]] ||
        verify_die "build first: cargo build --workspace --bins (no $bin/api or $bin/migration)"
    local name="verify_$(date +%s)_$RANDOM"
    psql "$TEST_DATABASE_URL" -XAtqc "CREATE DATABASE $name" </dev/null ||
        verify_die "cannot create database $name on $TEST_DATABASE_URL"
    VERIFY_CLEANUP+=("psql '$TEST_DATABASE_URL' -XAtqc 'DROP DATABASE IF EXISTS $name WITH (FORCE)'")
    API_DB_URL=$(verify_db_url "$name")
    API_DIR=$(mktemp -d /tmp/verify-api.XXXXXX)
    VERIFY_CLEANUP+=("rm -rf '$API_DIR'")
    local port
    port=$(verify_free_port)
    API_URL="http://127.0.0.1:$port"
    export API_URL API_DB_URL API_DIR

    DATABASE_URL=$API_DB_URL "$bin/migration" up >"$API_DIR/migrate.log" 2>&1 </dev/null ||
        { cat "$API_DIR/migrate.log" >&2; verify_die "migration up failed"; }
    DATABASE_URL=$API_DB_URL PRESETS_DIR="$API_DIR/presets" "$bin/migration" seed \
        >"$API_DIR/seed.log" 2>&1 </dev/null ||
        { cat "$API_DIR/seed.log" >&2; verify_die "migration seed failed"; }

    env DATABASE_URL="$API_DB_URL" PORT="$port" HOST=127.0.0.1 \
        UPLOAD_DIR="$API_DIR/uploads" PRESETS_DIR="$API_DIR/presets" \
        JWT_SECRET=verify-secret-0123456789abcdef0123456789 BCRYPT_COST=10 \
        RATE_LIMITS=off RUST_LOG="${RUST_LOG:-warn}" "$@" \
        "$bin/api" serve </dev/null >"$API_DIR/api.log" 2>&1 &
    API_PID=$!
    export API_PID
    VERIFY_CLEANUP+=("kill -TERM $API_PID; sleep 1; kill -KILL $API_PID")
    local deadline=$((SECONDS + 60))
    until curl -fsS -o /dev/null --max-time 2 "$API_URL/api/health" 2>/dev/null; do
        kill -0 "$API_PID" 2>/dev/null || { tail -n 40 "$API_DIR/api.log" >&2; verify_die "the API exited at start"; }
        ((SECONDS < deadline)) || { tail -n 40 "$API_DIR/api.log" >&2; verify_die "the API did not answer within 60 s"; }
        sleep 0.3
    done
    echo "API on $API_URL (database $name, log $API_DIR/api.log)"
}

# register_user EMAIL [NAME]: registers a user and prints its bearer token.
register_user() {
    local body
    body=$(curl -fsS --max-time 10 -H 'content-type: application/json' \
        -d "{\"email\":\"$1\",\"password\":\"$VERIFY_PASSWORD\",\"name\":\"${2:-Verify User}\"}" \
        "$API_URL/api/auth/register") || verify_die "register $1 failed"
    python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["token"])' <<<"$body"
}

# make_admin EMAIL: promotes a user (admin routes).
make_admin() {
    psql "$API_DB_URL" -XAtqc "UPDATE users SET role = 'admin' WHERE email = '$1'" </dev/null >/dev/null
}
