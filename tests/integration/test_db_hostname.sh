#!/bin/bash
# test_db_hostname: a db_conninfo that names its host ("host=localhost")
# works, and the name is resolved off the event loop (server/db.c resolves it
# with uv_getaddrinfo and gives libpq the addresses): the log says where the
# host is, Ping reaches the database. A name that does not resolve leaves the
# server up, answering UNAVAILABLE with a clear log line, never hanging.
source "$(dirname "$0")/lib.sh"

step "PostgreSQL (listening on 127.0.0.1 too), PKI; tamnongd with host=localhost"
pg_start
pki_make
# The owner's connection (migrations, register-cert) stays on the socket.
setup_conf() { echo "db_conninfo=\"host=$1 port=$PG_PORT dbname=tamnong user=tamnong_app connect_timeout=5\""; }
server_start "$(setup_conf localhost)"
agency_register SNN "Sở Nông nghiệp và Môi trường"
assert_contains "$(cat "$SERVER_LOG")" "database host localhost is at " "the name was resolved by the pool"
tn SNN ping --json
assert_eq 0 "$RC" "ping through a database reached by name ($ERR)"
[ -n "$(json_get "$OUT" database_time)" ] || fail "no database time in $OUT"

step "a host name that does not resolve: up, UNAVAILABLE, a clear warning"
server_stop
server_start_nowait "$(setup_conf no-such-host.invalid)"
wait_for 30 grep -q "cannot resolve the database host no-such-host.invalid" "$SERVER_LOG" ||
    fail "no warning about the unresolvable host"
sleep 1
server_alive || fail "tamnongd exited with an unresolvable database host"
tn SNN ping --json
assert_eq 75 "$RC" "ping needs the database: unavailable, try later (exit 75: $OUT $ERR)"
assert_eq 1 "$(grep -c 'warning: cannot resolve the database host no-such-host.invalid' "$SERVER_LOG")" \
    "warned once, not at every retry"
server_stop
echo "ok"
