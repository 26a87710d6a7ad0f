# tests/integration/lib.sh: the integration-test harness. Source it from a
# test script (bash); it makes a temp dir and tears everything down on exit,
# also on failure: the server is killed, PostgreSQL stopped (immediate), the
# temp dir removed (kept when TN_KEEP=1, for a post-mortem).
#
#   pg_start / pg_stop [MODE] / pg_restart   a throwaway PostgreSQL 15 cluster
#                         (runs as user postgres when we are root; unix socket
#                         in the temp dir and a free TCP port on 127.0.0.1;
#                         database "tamnong" owned by role "tamnong" (the
#                         owner, with CREATEROLE: the migrations create the
#                         application role tamnong_app the server's pool uses)
#   psql_app / psql_owner / psql_admin   psql as tamnong_app (row-level
#                         security applies: it sees nothing without
#                         tamnong.agency_id), as the owner with scope 'all'
#                         (sees every agency: for tests looking at data), as
#                         the cluster's superuser
#   pki_make              a fresh CA, server cert (localhost, 127.0.0.1) into $PKI
#   server_start [key=value ...]   config with free ports (extra options
#                         appended), tamnongd in the background, waits for
#                         /healthz; server_stop [SIGNAL] waits for the exit
#                         and sets SERVER_RC; server_alive
#   agency_register CODE NAME      issue the agency's cert, register-cert it
#   client_config CODE [key=value ...]   $TN_TMP/client-CODE.conf (key 0600)
#   tn CODE ARGS...       run the client as CODE; sets RC, OUT, ERR. `tn CODE
#                         [--state-dir D] admin ...` first makes sure a person
#                         of CODE is logged in there (session_ensure), as the
#                         role ${TN_ROLE[CODE]:-$TN_SESSION_ROLE} (operator);
#                         TN_ROLE[CODE]=none: certificate only, no person
#   user_add LOGIN CODE ROLE [NAME]   tamnongd user-add (password $TN_PASSWORD)
#   session_ensure CODE [ROLE] [CLIENT-OPTIONS...]   person tn-<code>-<role>
#                         added once and logged in once per state dir
#   session_token CODE    hex token of CODE's stored session ("" when none)
#   wire ARGS...          tests/integration/wire.py against our server
#   http_get PATH         GET on the ops port; sets HTTP_STATUS and HTTP_BODY
#   assert_eq / assert_contains / assert_not_contains / fail / step / wait_for
#
# Variables: BUILD (default build), TN_TMP, PKI, PG_PORT, PG_SOCK,
# TN_PORT, TN_OPS_PORT, TN_CONF, SERVER_PID, SERVER_LOG, TN_REPO.
# Quiet by default; TN_VERBOSE=1 echoes the commands the harness runs.
# shellcheck shell=bash

set -u -o pipefail

TN_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$TN_REPO/$BUILD ;; esac
TN_PKI_SH=$TN_REPO/deploy/pki/tamnong-pki.sh
TN_WIRE=$TN_REPO/tests/integration/wire.py
TN_NAME=$(basename "${0%.sh}")
# A short path: the unix socket path must fit in 107 bytes.
TN_TMP=$(mktemp -d "/tmp/tn-${TN_NAME:0:20}.XXXXXX")
chmod 0711 "$TN_TMP" # postgres must reach its directories inside
PKI=$TN_TMP/pki
export HOME=$TN_TMP/home XDG_CONFIG_HOME=$TN_TMP/home/.config
mkdir -p "$XDG_CONFIG_HOME"
export LC_ALL=C.UTF-8 LANG=C.UTF-8
unset LANGUAGE TAMNONG_CONFIG
PG_PORT=""
PG_SOCK=$TN_TMP/pgsock
PG_DATA=$TN_TMP/pgdata
PG_LOG=$TN_TMP/pglog/postgresql.log
TN_PORT=""
TN_OPS_PORT=""
TN_CONF=$TN_TMP/tamnongd.conf
SERVER_PID=""
SERVER_LOG=$TN_TMP/tamnongd.log
SERVER_RC=""
RC=0 OUT="" ERR=""
# Persons (docs/security.md): the role tn CODE admin logs in as, per code.
declare -A TN_ROLE=()
TN_SESSION_ROLE=${TN_SESSION_ROLE:-operator}
TN_PASSWORD="mật khẩu thử nghiệm"
HTTP_STATUS=0 HTTP_BODY=""

PG_BIN=""
for d in /usr/lib/postgresql/15/bin $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -rV); do
    if [ -x "$d/initdb" ]; then PG_BIN=$d; break; fi
done

if [ "$(id -u)" -eq 0 ]; then
    PG_AS=(runuser -u postgres --)
else
    PG_AS=()
fi

# --- output and assertions ------------------------------------------------------

_ts() { date +%H:%M:%S; }
step() { echo "[$(_ts)] == $*"; }
info() { echo "[$(_ts)]    $*"; }
vrun() { [ "${TN_VERBOSE:-0}" = 1 ] && echo "+ $*" >&2; "$@"; }

fail() {
    echo "[$(_ts)] FAIL: $*" >&2
    exit 1
}

assert_eq() { # expected actual what
    [ "$1" = "$2" ] || fail "${3:-value}: expected '$1', got '$2'${OUT:+ (stdout: ${OUT:0:400})}${ERR:+ (stderr: ${ERR:0:400})}"
}

assert_contains() { # haystack needle what
    [[ $1 == *"$2"* ]] || fail "${3:-text} does not contain '$2': ${1:0:1500}"
}

assert_not_contains() { # haystack needle what
    [[ $1 != *"$2"* ]] || fail "${3:-text} contains '$2': ${1:0:1500}"
}

# Case-insensitive contains.
assert_icontains() {
    local h=${1,,} n=${2,,}
    [[ $h == *"$n"* ]] || fail "${3:-text} does not contain '$2' (any case): ${1:0:1500}"
}

# wait_for SECONDS CMD...: run CMD every 0.2 s until it succeeds. 0 or 1.
wait_for() {
    local limit=$1 end
    shift
    end=$((SECONDS + limit))
    while ! "$@"; do
        [ $SECONDS -lt $end ] || return 1
        sleep 0.2
    done
}

free_port() {
    python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# json_get JSON PATH: a field of a JSON document (PATH like agency.code).
json_get() {
    python3 -c 'import json, sys
v = json.loads(sys.argv[1])
for k in sys.argv[2].split("."):
    v = v[int(k)] if isinstance(v, list) else v[k]
print(json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list, bool)) or v is None else v)' "$1" "$2"
}

# --- teardown -------------------------------------------------------------------

_tn_teardown() {
    local rc=$?
    trap - EXIT INT TERM
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -KILL "$SERVER_PID" 2>/dev/null
        wait "$SERVER_PID" 2>/dev/null
    fi
    if [ -n "$PG_PORT" ] && [ -f "$PG_DATA/postmaster.pid" ]; then
        "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DATA" -m immediate -w -t 20 stop >/dev/null 2>&1
    fi
    # Sanitizer reports anywhere in the server's log fail the test.
    if [ -f "$SERVER_LOG" ] && grep -qE 'ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:' "$SERVER_LOG"; then
        echo "FAIL: sanitizer report in the server log:" >&2
        grep -E -A30 'ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:' "$SERVER_LOG" | head -60 >&2
        rc=1
    fi
    if [ "$rc" -ne 0 ]; then
        echo "---- $TN_NAME failed (exit $rc); tail of the server log ($SERVER_LOG):" >&2
        [ -f "$SERVER_LOG" ] && tail -n 40 "$SERVER_LOG" >&2
        if [ -f "$PG_LOG" ]; then
            echo "---- tail of the PostgreSQL log:" >&2
            tail -n 10 "$PG_LOG" >&2
        fi
    fi
    if [ "${TN_KEEP:-0}" = 1 ]; then
        echo "kept $TN_TMP" >&2
    else
        rm -rf "$TN_TMP"
    fi
    exit "$rc"
}
trap _tn_teardown EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- PostgreSQL -----------------------------------------------------------------

pg_start() {
    [ -n "$PG_BIN" ] || fail "PostgreSQL server binaries not found (make deps installs postgresql-15)"
    if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
        fail "user postgres does not exist (is postgresql-15 installed? make deps)"
    fi
    if [ ! -d "$PG_DATA" ]; then
        mkdir -p "$PG_DATA" "$PG_SOCK" "$(dirname "$PG_LOG")"
        [ "$(id -u)" -eq 0 ] && chown postgres: "$PG_DATA" "$PG_SOCK" "$(dirname "$PG_LOG")"
        chmod 0700 "$PG_DATA"
        chmod 0755 "$PG_SOCK"
        if ! vrun "${PG_AS[@]}" "$PG_BIN/initdb" -D "$PG_DATA" -U postgres --auth=trust \
            --encoding=UTF8 --locale=C.UTF-8 --no-sync >"$TN_TMP/initdb.log" 2>&1; then
            cat "$TN_TMP/initdb.log" >&2
            fail "initdb failed"
        fi
        PG_PORT=$(free_port)
    fi
    if ! vrun "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 30 \
        -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_SOCK -c shared_buffers=16MB -c max_connections=50" \
        start >"$TN_TMP/pg_ctl.log" 2>&1; then
        cat "$TN_TMP/pg_ctl.log" "$PG_LOG" >&2
        fail "PostgreSQL did not start"
    fi
    if ! psql_admin -tAc "select 1 from pg_roles where rolname = 'tamnong'" | grep -q 1; then
        psql_admin -q -c "create role tamnong login createrole" || fail "cannot create role tamnong"
        psql_admin -q -c "create database tamnong owner tamnong encoding 'UTF8'" ||
            fail "cannot create database tamnong"
    fi
}

# psql as the cluster's superuser; args go to psql.
psql_admin() {
    psql -X -v ON_ERROR_STOP=1 -h "$PG_SOCK" -p "$PG_PORT" -U postgres -d postgres "$@"
}
# psql as the application role on the tamnong database (what the server's
# pool is: row-level security limits it to tamnong.agency_id).
psql_app() {
    psql -X -v ON_ERROR_STOP=1 -h "$PG_SOCK" -p "$PG_PORT" -U tamnong_app -d tamnong "$@"
}
# psql as the owner, with scope 'all' for the session: sees every agency's
# rows (row-level security is forced on the owner too).
psql_owner() {
    PGOPTIONS="-c tamnong.scope=all" \
        psql -X -v ON_ERROR_STOP=1 -h "$PG_SOCK" -p "$PG_PORT" -U tamnong -d tamnong "$@"
}

pg_stop() { # [MODE: fast|immediate|smart]
    vrun "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DATA" -m "${1:-fast}" -w -t 30 stop >/dev/null ||
        fail "pg_ctl stop failed"
}

pg_restart() {
    pg_start
}

# The server's pool: the application role.
pg_conninfo() {
    echo "host=$PG_SOCK port=$PG_PORT dbname=tamnong user=tamnong_app"
}
# Migrations and register-cert: the owner.
pg_owner_conninfo() {
    echo "host=$PG_SOCK port=$PG_PORT dbname=tamnong user=tamnong"
}

# --- PKI ------------------------------------------------------------------------

pki() { "$TN_PKI_SH" "$@"; }

pki_make() {
    pki init "$PKI" 2>"$TN_TMP/pki.log" || { cat "$TN_TMP/pki.log" >&2; fail "pki init failed"; }
    pki server "$PKI" localhost --dns localhost --ip 127.0.0.1,::1 2>>"$TN_TMP/pki.log" ||
        { cat "$TN_TMP/pki.log" >&2; fail "pki server failed"; }
}

# agency_cert CODE [pki agency options...]: only issue the certificate.
agency_cert() {
    local code=$1
    shift
    pki agency "$PKI" "$code" "$@" 2>>"$TN_TMP/pki.log" ||
        { tail -5 "$TN_TMP/pki.log" >&2; fail "pki agency $code failed"; }
}

# agency_register CODE NAME [pki agency options...]: issue and register.
agency_register() {
    local code=$1 name=$2
    shift 2
    [ -f "$PKI/agencies/$code.pem" ] || agency_cert "$code" --name "$name" "$@"
    register_cert "$PKI/agencies/$code.pem" "$code" "$name" ||
        fail "register-cert $code failed: $OUT $ERR"
}

# server_migrate: tamnongd --migrate (once; server_start migrates on start too).
TN_MIGRATED=0
server_migrate() {
    [ "$TN_MIGRATED" = 1 ] && return 0
    [ -f "$TN_CONF" ] || write_server_config
    _capture timeout 60 "$BUILD/tamnongd" --config "$TN_CONF" --migrate
    [ "$RC" = 0 ] || fail "tamnongd --migrate failed (exit $RC): $OUT $ERR"
    TN_MIGRATED=1
}

# register_cert CERT CODE NAME: tamnongd register-cert; sets RC, OUT, ERR.
register_cert() {
    [ -f "$TN_CONF" ] || write_server_config
    server_migrate
    _capture timeout 60 "$BUILD/tamnongd" --config "$TN_CONF" register-cert "$1" --agency "$2" --name "$3"
    return "$RC"
}

fingerprint() { pki fingerprint "$1"; }

# --- tamnongd -------------------------------------------------------------------

# write_server_config [key=value ...]: the config for our throwaway setup.
write_server_config() {
    [ -n "$TN_PORT" ] || TN_PORT=$(free_port)
    [ -n "$TN_OPS_PORT" ] || TN_OPS_PORT=$(free_port)
    {
        echo "# written by tests/integration/lib.sh for $TN_NAME"
        echo "listen_address = 127.0.0.1"
        echo "listen_port = $TN_PORT"
        echo "ops_address = 127.0.0.1"
        echo "ops_port = $TN_OPS_PORT"
        echo "tls_ca_file = $PKI/ca.pem"
        echo "tls_cert_file = $PKI/server/localhost.pem"
        echo "tls_key_file = $PKI/server/localhost.key"
        echo "tls_crl_file = $PKI/crl.pem"
        echo "db_conninfo = \"$(pg_conninfo)\""
        echo "db_owner_conninfo = \"$(pg_owner_conninfo)\""
        echo "db_pool_size = 4"
        echo "migrations_dir = $TN_REPO/deploy/migrations"
        echo "migrate_on_start = yes"
        echo "log_level = debug"
        echo "password_opslimit = 1" # cheap Argon2id: tests hash many passwords
        echo "password_memlimit = 8k"
        local kv
        for kv in "$@"; do
            echo "${kv%%=*} = ${kv#*=}"
        done
    } >"$TN_CONF"
}

server_alive() { [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; }

_healthz_ok() {
    server_alive || return 0 # stop waiting: it died
    http_get /healthz && [ "$HTTP_STATUS" = 200 ]
}

# server_start [key=value ...]: extra options are appended to the config.
server_start() {
    [ -x "$BUILD/tamnongd" ] || fail "$BUILD/tamnongd is not built (make BUILD=$BUILD)"
    write_server_config "$@"
    echo "---- tamnongd start $(date +%T)" >>"$SERVER_LOG"
    "$BUILD/tamnongd" --config "$TN_CONF" </dev/null >>"$SERVER_LOG" 2>&1 &
    SERVER_PID=$!
    SERVER_RC=""
    wait_for 60 _healthz_ok || fail "tamnongd not healthy within 60 s (/healthz: $HTTP_STATUS $HTTP_BODY)"
    server_alive || { wait "$SERVER_PID"; SERVER_RC=$?; SERVER_PID=""; fail "tamnongd exited at start (exit $SERVER_RC)"; }
}

# server_start_nowait [key=value ...]: start without waiting for health.
server_start_nowait() {
    write_server_config "$@"
    echo "---- tamnongd start $(date +%T)" >>"$SERVER_LOG"
    "$BUILD/tamnongd" --config "$TN_CONF" </dev/null >>"$SERVER_LOG" 2>&1 &
    SERVER_PID=$!
}

# server_wait_exit SECONDS: wait for the server to exit; sets SERVER_RC.
# 0 when it exited in time, 1 when not.
server_wait_exit() {
    local limit=$1 end=$((SECONDS + $1))
    while kill -0 "$SERVER_PID" 2>/dev/null; do
        [ $SECONDS -lt $end ] || return 1
        sleep 0.1
    done
    wait "$SERVER_PID"
    SERVER_RC=$?
    SERVER_PID=""
    return 0
}

# server_stop [SIGNAL]: TERM by default; KILL after 30 s. Sets SERVER_RC.
server_stop() {
    [ -n "$SERVER_PID" ] || return 0
    kill "-${1:-TERM}" "$SERVER_PID" 2>/dev/null
    if ! server_wait_exit 30; then
        kill -KILL "$SERVER_PID" 2>/dev/null
        server_wait_exit 5
        fail "tamnongd did not exit within 30 s of SIG${1:-TERM}"
    fi
}

# --- ops HTTP -------------------------------------------------------------------

http_get() { # PATH: sets HTTP_STATUS, HTTP_BODY. 0 when a response came.
    local j
    j=$(python3 "$TN_WIRE" --port "$TN_OPS_PORT" --timeout 5 http "$1" 2>/dev/null)
    HTTP_STATUS=$(json_get "$j" status 2>/dev/null) || HTTP_STATUS=0
    HTTP_BODY=$(json_get "$j" body 2>/dev/null) || HTTP_BODY=""
    [ "$HTTP_STATUS" != 0 ]
}

# --- client ---------------------------------------------------------------------

# client_config CODE [key=value ...]: writes $TN_TMP/client-CODE.conf, with
# copies of the agency's key (0600) and certificate. Prints the path.
client_config() {
    local code=$1
    shift
    local dir=$TN_TMP/client/$code
    mkdir -p "$dir"
    if [ -f "$PKI/agencies/$code.pem" ]; then
        cp "$PKI/agencies/$code.pem" "$dir/cert.pem"
        install -m 0600 "$PKI/agencies/$code.key" "$dir/key.pem"
    fi
    {
        echo "server = 127.0.0.1:$TN_PORT"
        echo "server_name = localhost"
        echo "ca_file = $PKI/ca.pem"
        if [ -f "$dir/cert.pem" ]; then
            echo "cert_file = $dir/cert.pem"
            echo "key_file = $dir/key.pem"
        fi
        echo "connect_timeout = 5s"
        echo "request_timeout = 10s"
        local kv
        for kv in "$@"; do
            echo "${kv%%=*} = ${kv#*=}"
        done
    } >"$TN_TMP/client-$code.conf"
    echo "$TN_TMP/client-$code.conf"
}

_capture() { # CMD...: sets RC, OUT, ERR
    local o=$TN_TMP/.out e=$TN_TMP/.err
    "$@" >"$o" 2>"$e" </dev/null
    RC=$?
    OUT=$(cat "$o")
    ERR=$(cat "$e")
    if [ "${TN_VERBOSE:-0}" = 1 ]; then
        echo "+ $* -> $RC" >&2
        [ -n "$OUT" ] && echo "$OUT" | sed 's/^/  out| /' >&2
        [ -n "$ERR" ] && echo "$ERR" | sed 's/^/  err| /' >&2
    fi
    return 0
}

# tn CODE ARGS...: the real client as agency CODE (config made on first use).
# Sets RC, OUT, ERR; always returns 0 (tests assert on RC). Before an admin
# command, a person of CODE is logged in (see the header).
tn() {
    local code=$1
    shift
    [ -f "$TN_TMP/client-$code.conf" ] || client_config "$code" >/dev/null
    local pre=() a
    for a in "$@"; do
        if [ "$a" = admin ]; then
            local role=${TN_ROLE[$code]:-$TN_SESSION_ROLE}
            [ "$role" = none ] || session_ensure "$code" "$role" "${pre[@]}"
            break
        fi
        case $a in -*) pre+=("$a") ;; *) [ "${#pre[@]}" -gt 0 ] && pre+=("$a") || break ;; esac
    done
    _capture timeout 60 "$BUILD/tamnong" --config "$TN_TMP/client-$code.conf" "$@"
}

# tn_in INPUT CODE ARGS...: tn with INPUT (one line) on standard input.
tn_in() {
    local input=$1 code=$2
    shift 2
    [ -f "$TN_TMP/client-$code.conf" ] || client_config "$code" >/dev/null
    local o=$TN_TMP/.out e=$TN_TMP/.err
    printf '%s\n' "$input" | timeout 60 "$BUILD/tamnong" --config "$TN_TMP/client-$code.conf" \
        "$@" >"$o" 2>"$e"
    RC=$?
    OUT=$(cat "$o")
    ERR=$(cat "$e")
    [ "${TN_VERBOSE:-0}" = 1 ] && echo "+ (stdin) tamnong $* -> $RC $OUT $ERR" >&2
    return 0
}

# user_add LOGIN CODE ROLE [NAME]: tamnongd user-add with $TN_PASSWORD; sets
# RC, OUT, ERR.
user_add() {
    [ -f "$TN_CONF" ] || write_server_config
    server_migrate
    local o=$TN_TMP/.out e=$TN_TMP/.err
    printf '%s\n' "$TN_PASSWORD" | timeout 60 "$BUILD/tamnongd" --config "$TN_CONF" user-add \
        "$1" --agency "$2" --role "$3" --name "${4:-Người thử $1}" >"$o" 2>"$e"
    RC=$?
    OUT=$(cat "$o")
    ERR=$(cat "$e")
    return "$RC"
}

# session_login CODE ROLE: the test person's user name.
session_login() {
    local c
    c=$(printf '%s' "$1" | tr 'A-Z' 'a-z')
    echo "tn-$c-$2"
}

# session_ensure CODE [ROLE] [CLIENT-OPTIONS...]: person tn-<code>-<role> of
# CODE exists and is logged in with these client options (e.g. --state-dir
# DIR); each done once. Keeps RC, OUT, ERR of the caller.
session_ensure() {
    local code=$1 role=${2:-$TN_SESSION_ROLE}
    shift $(($# >= 2 ? 2 : 1))
    local login
    login=$(session_login "$code" "$role")
    local save_rc=$RC save_out=$OUT save_err=$ERR
    if [ ! -f "$TN_TMP/.person-$login" ]; then
        user_add "$login" "$code" "$role" || fail "tamnongd user-add $login failed: $OUT $ERR"
        touch "$TN_TMP/.person-$login"
    fi
    local key
    key=$(printf '%s ' "$code" "$role" "$@" | sha256sum | cut -c1-16)
    if [ ! -f "$TN_TMP/.session-$key" ]; then
        tn_in "$TN_PASSWORD" "$code" "$@" login "$login"
        [ "$RC" = 0 ] || fail "tamnong login $login as $code failed (exit $RC): $OUT $ERR"
        touch "$TN_TMP/.session-$key"
    fi
    RC=$save_rc OUT=$save_out ERR=$save_err
}

# session_token CODE: the hex session token stored for CODE in the default
# state dir ("" when none).
session_token() {
    local fp f
    fp=$(fingerprint "$PKI/agencies/$1.pem" 2>/dev/null) || return 0
    f=$HOME/.local/state/tamnong/session-${fp:0:16}
    [ -f "$f" ] && head -1 "$f"
    return 0
}

# tn_conf CONF ARGS...: the client with an explicit config file.
tn_conf() {
    local conf=$1
    shift
    _capture timeout 60 "$BUILD/tamnong" --config "$conf" "$@"
}

# wire [--as CODE | --no-cert-args] SUBCOMMAND ...: wire.py against our server.
# Sets RC, OUT (the JSON), ERR.
wire() {
    local certargs=()
    if [ "${1:-}" = --as ]; then
        certargs=(--cert "$PKI/agencies/$2.pem" --key "$PKI/agencies/$2.key")
        shift 2
    fi
    _capture timeout 120 python3 "$TN_WIRE" --port "$TN_PORT" --ca "$PKI/ca.pem" "${certargs[@]}" "$@"
}

# A ping that must work: asserts exit 0.
ping_ok() { # CODE [what]
    tn "$1" ping
    assert_eq 0 "$RC" "${2:-ping as $1} exit code"
}

# The whole usual setup: PostgreSQL, PKI, server, one registered agency.
setup_all() { # [server key=value ...]
    pg_start
    pki_make
    write_server_config "$@"
    server_start "$@"
}

server_fd_count() { ls "/proc/$SERVER_PID/fd" 2>/dev/null | wc -l; }
