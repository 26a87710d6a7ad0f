#!/bin/bash
# PostgreSQL stopped (immediate) -> ping exits 75 (UNAVAILABLE), /healthz 503;
# PostgreSQL back -> ping works again with no tamnongd restart.
source "$(dirname "$0")/lib.sh"

setup_all db_reconnect_max=1s
agency_register SNNPTNT "Sở Nông nghiệp và Phát triển nông thôn"
ping_ok SNNPTNT
pid=$SERVER_PID
http_get /healthz
assert_eq 200 "$HTTP_STATUS" "/healthz with PostgreSQL up"

step "stop PostgreSQL (immediate)"
pg_stop immediate
tn SNNPTNT ping
assert_eq 75 "$RC" "ping exit code with PostgreSQL down"
info "client said: ${ERR:0:300}"
assert_icontains "$OUT$ERR" "unavailable" "client message with PostgreSQL down"
wire --as SNNPTNT ping
assert_contains "$OUT" UNAVAILABLE "raw ping status with PostgreSQL down"
assert_not_contains "$OUT" INTERNAL "raw ping status with PostgreSQL down"
info "$OUT"
_h503() { http_get /healthz; [ "$HTTP_STATUS" = 503 ]; }
wait_for 10 _h503 || fail "/healthz did not turn 503 (got $HTTP_STATUS $HTTP_BODY)"
server_alive || fail "tamnongd died when PostgreSQL stopped"

step "PostgreSQL down for a while: still UNAVAILABLE, no crash"
sleep 3
tn SNNPTNT ping
assert_eq 75 "$RC" "ping exit code after 3 s down"

step "start PostgreSQL again"
pg_restart
start=$SECONDS
_ping_ok() { tn SNNPTNT ping; [ "$RC" = 0 ]; }
wait_for 15 _ping_ok || fail "ping not back within 15 s of PostgreSQL's restart (exit $RC: $ERR)"
info "served again after $((SECONDS - start)) s"
assert_eq "$pid" "$SERVER_PID" "tamnongd pid (no restart)"
server_alive || fail "tamnongd not running"
_h200() { http_get /healthz; [ "$HTTP_STATUS" = 200 ]; }
wait_for 10 _h200 || fail "/healthz not 200 after restart"

step "a second outage, fast mode this time"
pg_stop fast
tn SNNPTNT ping
assert_eq 75 "$RC" "ping exit code, second outage"
pg_restart
wait_for 15 _ping_ok || fail "ping not back after the second outage"
wire --as SNNPTNT ping --count 20
assert_eq 0 "$RC" "20 pipelined pings after recovery: $OUT"

server_stop TERM
assert_eq 0 "$SERVER_RC" "tamnongd exit code"
echo ok
