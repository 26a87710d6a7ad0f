#!/bin/bash
# test_clock_skew: every response carries the server's time, and the client
# warns on stderr when its clock is off by more than a few minutes (issue 5:
# deadlines are judged by the server's clock). The server runs on a test
# clock years behind the real one: `tamnong ping` warns, also when the
# answer is an error (PERMISSION_DENIED, UNAUTHENTICATED); the same server
# on the real clock: no warning.
source "$(dirname "$0")/lib.sh"

step "tamnongd with its clock at 2020-01-01 (years behind this machine's)"
setup_all "test_clock=2020-01-01T00:00:00+07:00"
agency_register UBND-X "UBND xã X"

step "ping: the clock warning on stderr, the answer on stdout"
tn UBND-X ping
assert_eq 0 "$RC" "ping"
assert_contains "$ERR" "your computer's clock is" "ping stderr"
assert_contains "$ERR" "ahead of the server's" "ping stderr"
assert_not_contains "$OUT" "clock is" "ping stdout"
tn UBND-X ping --json
assert_eq 0 "$RC" "ping --json"
assert_contains "$ERR" "ahead of the server's" "ping --json stderr"
[[ $(json_get "$OUT" server_time) == 2019-12-31T17:0* ]] || fail "server_time is not the test clock: $OUT"

step "an error answer carries the server's time too: the warning still comes"
TN_ROLE[UBND-X]=none # the agency's certificate alone: no admin rights
tn UBND-X admin status 2025-six_month
assert_eq 77 "$RC" "admin status as a reporter"
assert_contains "$ERR" "ahead of the server's" "stderr of a PERMISSION_DENIED answer"
agency_cert STRANGER --name "Không đăng ký" # a valid certificate nobody registered
client_config STRANGER >/dev/null
tn STRANGER ping
assert_eq 77 "$RC" "ping with an unregistered certificate"
assert_contains "$ERR" "ahead of the server's" "stderr of an UNAUTHENTICATED answer"

step "Vietnamese"
LANGUAGE=vi tn UBND-X ping
assert_eq 0 "$RC" "ping in Vietnamese"
assert_contains "$ERR" "đồng hồ" "Vietnamese warning"

step "the same server on the real clock: no warning"
server_stop
server_start
tn UBND-X ping
assert_eq 0 "$RC" "ping on the real clock"
assert_not_contains "$ERR" "clock" "ping stderr on the real clock"
