#!/bin/bash
# deploy/demo.sh (run by `make demo`): the whole foundation in one go, on a
# throwaway setup that is removed at the end. It starts a PostgreSQL 15
# cluster in a temp dir, creates a province CA with deploy/pki/tamnong-pki.sh,
# starts tamnongd, registers two agencies and pings the server as each with
# the real client, then stops everything. Exit status non-zero on any failure.
# Uses the integration-test harness (tests/integration/lib.sh) for the steps.
set -u
cd "$(dirname "$0")/.." || exit 1
export BUILD=${BUILD:-build}
TN_NAME=demo
# shellcheck source=../tests/integration/lib.sh
source tests/integration/lib.sh
# Show local times as an agency in Lạng Sơn sees them.
[ -e /usr/share/zoneinfo/Asia/Ho_Chi_Minh ] && export TZ=Asia/Ho_Chi_Minh

n=0
say() {
    n=$((n + 1))
    echo
    echo "$n. $*"
}
show() { sed 's/^/     /'; }

echo "tamnong demo: a throwaway PostgreSQL, a fresh PKI, tamnongd and two agencies."
echo "Everything lives in $TN_TMP and is removed at the end."

say "Starting a throwaway PostgreSQL 15 cluster (unix socket in $PG_SOCK)."
pg_start
echo "   PostgreSQL is up on 127.0.0.1:$PG_PORT, database 'tamnong', role 'tamnong'."

say "Creating the province CA and the server's certificate with deploy/pki/tamnong-pki.sh."
pki_make
pki show "$PKI/ca.pem" | show
echo "   Server certificate for localhost and 127.0.0.1: $PKI/server/localhost.pem"

say "Starting tamnongd (it applies the schema migrations first)."
server_start
echo "   tamnongd (pid $SERVER_PID) serves agencies on 127.0.0.1:$TN_PORT;"
echo "   operations port 127.0.0.1:$TN_OPS_PORT says /healthz = $HTTP_STATUS $HTTP_BODY"

register() { # CODE NAME
    say "Issuing a certificate for agency $1 ($2) and registering it."
    agency_cert "$1" --name "$2"
    pki show "$PKI/agencies/$1.pem" | grep -E '^(subject|sha256)' | show
    agency_register "$1" "$2"
    echo "   tamnongd register-cert said:"
    printf '%s\n' "$OUT" "$ERR" | grep -v '^$' | show
}
register SNNPTNT "Sở Nông nghiệp và Phát triển nông thôn"
register UBND-TRANGDINH "UBND huyện Tràng Định"

for code in SNNPTNT UBND-TRANGDINH; do
    conf=$(client_config "$code")
    say "Pinging the server as $code:  tamnong --config $conf ping"
    tn "$code" ping
    [ "$RC" = 0 ] || fail "ping as $code failed (exit $RC): $ERR"
    printf '%s\n' "$OUT" | show
    say "The same with --json:  tamnong ping --json"
    tn "$code" ping --json
    [ "$RC" = 0 ] || fail "ping --json as $code failed (exit $RC): $ERR"
    printf '%s\n' "$OUT" | show
    got=$(json_get "$OUT" agency.code)
    [ "$got" = "$code" ] || fail "the server saw agency '$got', expected '$code'"
done

say "The same ping in Vietnamese (LANGUAGE=vi):"
_capture env LANGUAGE=vi LC_ALL=C.UTF-8 timeout 30 "$BUILD/tamnong" --config "$TN_TMP/client-UBND-TRANGDINH.conf" ping
[ "$RC" = 0 ] || fail "ping with LANGUAGE=vi failed (exit $RC): $ERR"
printf '%s\n' "$OUT" | show

say "An agency certificate that was never registered is refused:"
agency_cert UNKNOWN --name "Not registered"
tn UNKNOWN ping
echo "   exit code $RC (77 = not allowed); the client said:"
printf '%s\n' "$ERR" | show
[ "$RC" = 77 ] || fail "an unregistered certificate was not refused with exit 77"

say "What /metrics shows now (request counters):"
http_get /metrics
grep '^tamnong_requests_total' <<<"$HTTP_BODY" | show

say "Stopping tamnongd with SIGTERM (it drains, then exits 0)."
server_stop TERM
[ "$SERVER_RC" = 0 ] || fail "tamnongd exited with $SERVER_RC"
echo "   tamnongd exited with status 0."

say "Stopping PostgreSQL and removing $TN_TMP."
echo
echo "Demo finished: every step worked."
