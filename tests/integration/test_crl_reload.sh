#!/bin/bash
# The CRL is re-read every crl_reload_interval (1 s here) without SIGHUP: a
# certificate revoked at the CA and published is refused; a missing CRL or
# an expired one (nextUpdate in the past) refuses every new handshake with a
# critical log line (fail closed); a valid CRL back serves again.
source "$(dirname "$0")/lib.sh"

step "setup: agencies A and B, CRL re-read every second"
pg_start
pki_make
agency_register AGENCY-A "Agency A"
agency_register AGENCY-B "Agency B"
server_start crl_reload_interval=1s
ping_ok AGENCY-A
ping_ok AGENCY-B

_refused() { # CODE: the client's certificate is refused (exit 77)
    tn "$1" ping
    [ "$RC" = 77 ]
}
_served() { # CODE
    tn "$1" ping
    [ "$RC" = 0 ]
}
crit_lines() { grep -c "crit.*NO VALID CRL" "$SERVER_LOG"; }

step "revoke A at the CA and publish the CRL; no SIGHUP"
pki revoke "$PKI" AGENCY-A 2>>"$TN_TMP/pki.log" || fail "pki revoke"
wait_for 20 _refused AGENCY-A || fail "revoked AGENCY-A still served 20 s after the CRL changed"
assert_contains "$(grep "refused client certificate" "$SERVER_LOG")" \
    "$(fingerprint "$PKI/agencies/AGENCY-A.pem")" "refusal logged with the fingerprint"
ping_ok AGENCY-B "B still served"

step "CRL removed: every handshake refused, a critical line says why"
mv "$PKI/crl.pem" "$TN_TMP/crl.saved"
wait_for 20 _refused AGENCY-B || fail "AGENCY-B still served 20 s after the CRL vanished"
wait_for 10 [ "$(crit_lines)" -ge 1 ] || fail "no critical log line about the missing CRL"
LINE=$(grep "NO VALID CRL" "$SERVER_LOG" | tail -1)
info "$LINE"
assert_contains "$LINE" "$PKI/crl.pem" "log line names the file"
assert_contains "$LINE" "tamnong-pki.sh crl" "log line says what to do"
assert_contains "$(grep "refused client certificate" "$SERVER_LOG" | tail -1)" "no valid CRL" \
    "the refusal says why"
server_alive || fail "tamnongd died without a CRL"
http_get /healthz
info "healthz while closed: $HTTP_STATUS"

step "valid CRL back: served again"
mv "$TN_TMP/crl.saved" "$PKI/crl.pem"
wait_for 20 _served AGENCY-B || fail "AGENCY-B not served 20 s after the CRL came back"
assert_contains "$(cat "$SERVER_LOG")" "a valid CRL is in place again" "recovery logged"
tn AGENCY-A ping
assert_eq 77 "$RC" "revoked A still refused with the CRL back"

step "expired CRL (nextUpdate in the past): refused, critical line"
N=$(crit_lines)
pki crl "$PKI" --last-update 20200101000000Z --next-update 20200102000000Z 2>>"$TN_TMP/pki.log" ||
    fail "pki crl (expired)"
wait_for 20 _refused AGENCY-B || fail "AGENCY-B still served 20 s after the CRL expired"
wait_for 10 [ "$(crit_lines)" -gt "$N" ] || fail "no critical log line about the expired CRL"
assert_contains "$(grep "NO VALID CRL" "$SERVER_LOG" | tail -1)" "past its next update" \
    "log line says the CRL expired"

step "fresh CRL: served again"
pki crl "$PKI" 2>>"$TN_TMP/pki.log" || fail "pki crl"
wait_for 20 _served AGENCY-B || fail "AGENCY-B not served 20 s after a fresh CRL"

step "SIGHUP still reloads at once (and the server stays up)"
kill -HUP "$SERVER_PID"
wait_for 10 grep -q "SIGHUP: TLS certificate, key, CA and CRL reloaded" "$SERVER_LOG" ||
    fail "SIGHUP reload not logged"
ping_ok AGENCY-B "B after SIGHUP"

server_stop TERM
assert_eq 0 "$SERVER_RC" "tamnongd exit code"
echo ok
