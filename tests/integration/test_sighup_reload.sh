#!/bin/bash
# SIGHUP reloads the CRL and the server certificate: a certificate revoked
# after start is refused after SIGHUP while others still work; a re-issued
# server certificate is served after SIGHUP. A broken CRL fails closed until a good one is back.
source "$(dirname "$0")/lib.sh"

setup_all
agency_register AGENCY-A "Agency A"
agency_register AGENCY-B "Agency B"
ping_ok AGENCY-A
ping_ok AGENCY-B
pid=$SERVER_PID

step "revoke AGENCY-A, SIGHUP"
pki revoke "$PKI" AGENCY-A 2>>"$TN_TMP/pki.log" || fail "revoke"
kill -HUP "$SERVER_PID"
_a_refused() { tn AGENCY-A ping; [ "$RC" = 77 ]; }
wait_for 10 _a_refused || fail "AGENCY-A not refused 10 s after SIGHUP (exit $RC)"
ping_ok AGENCY-B "ping as AGENCY-B after reload"
assert_eq "$pid" "$SERVER_PID" "same process"

step "re-issue the server certificate, SIGHUP: the new one is served"
old_fp=$(fingerprint "$PKI/server/localhost.pem")
pki server "$PKI" localhost --dns localhost --ip 127.0.0.1 --force 2>>"$TN_TMP/pki.log" || fail "reissue"
new_fp=$(fingerprint "$PKI/server/localhost.pem")
served_fp() {
    openssl s_client -connect "127.0.0.1:$TN_PORT" -servername localhost \
        -cert "$PKI/agencies/AGENCY-B.pem" -key "$PKI/agencies/AGENCY-B.key" </dev/null 2>/dev/null |
        openssl x509 -outform DER 2>/dev/null | openssl dgst -sha256 -r | cut -c1-64
}
assert_eq "$old_fp" "$(served_fp)" "fingerprint served before SIGHUP"
kill -HUP "$SERVER_PID"
_new_served() { [ "$(served_fp)" = "$new_fp" ]; }
wait_for 10 _new_served || fail "new server certificate not served 10 s after SIGHUP"
ping_ok AGENCY-B "ping after the certificate reload"

step "a broken CRL on SIGHUP: the server keeps running but fails closed"
cp "$PKI/crl.pem" "$TN_TMP/crl.good"
echo "not a crl" >"$PKI/crl.pem"
kill -HUP "$SERVER_PID"
_b_refused() {
    tn AGENCY-B ping
    [ "$RC" = 77 ]
}
wait_for 10 _b_refused || fail "AGENCY-B still served 10 s after SIGHUP with a broken CRL"
server_alive || fail "tamnongd died on a SIGHUP with a broken CRL"
tn AGENCY-A ping
assert_eq 77 "$RC" "revoked AGENCY-A still refused after a failed reload"
cp "$TN_TMP/crl.good" "$PKI/crl.pem"
kill -HUP "$SERVER_PID"
_b_served() {
    tn AGENCY-B ping
    [ "$RC" = 0 ]
}
wait_for 10 _b_served || fail "AGENCY-B not served 10 s after SIGHUP with the good CRL back"

server_stop TERM
assert_eq 0 "$SERVER_RC" "tamnongd exit code"
echo ok
