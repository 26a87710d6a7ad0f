#!/bin/bash
# Client certificates that must be refused: none, another CA's, self-signed,
# expired, not yet valid, revoked (CRL), and valid-but-unregistered
# (UNAUTHENTICATED, exit 77). A good agency keeps being served meanwhile.
source "$(dirname "$0")/lib.sh"

step "PKI with good and bad certificates"
pg_start
pki_make
agency_cert GOOD --name "Good agency"
agency_cert EXPIRED --name "Expired" --start 20200101000000Z --end 20210101000000Z
agency_cert FUTURE --name "Not yet valid" --start 20990101000000Z --end 20991231000000Z
agency_cert REVOKED --name "Revoked"
agency_cert UNREG --name "Not registered"
pki revoke "$PKI" REVOKED 2>>"$TN_TMP/pki.log" || fail "revoke failed"
# Another CA, with an agency certificate of the same code.
pki init "$TN_TMP/other" 2>/dev/null && pki agency "$TN_TMP/other" FOREIGN 2>/dev/null ||
    fail "other CA"
cp "$TN_TMP/other/agencies/FOREIGN.pem" "$PKI/agencies/FOREIGN.pem"
install -m 0600 "$TN_TMP/other/agencies/FOREIGN.key" "$PKI/agencies/FOREIGN.key"
# Self-signed, with clientAuth.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj /CN=SELF \
    -addext extendedKeyUsage=clientAuth -keyout "$PKI/agencies/SELF.key" \
    -out "$PKI/agencies/SELF.pem" 2>/dev/null || fail "self-signed"
chmod 0600 "$PKI/agencies/SELF.key"

step "register every certificate but UNREG (so refusals are not about registration)"
server_start
agency_register GOOD "Good agency"
for c in EXPIRED FUTURE REVOKED FOREIGN SELF; do
    register_cert "$PKI/agencies/$c.pem" "$c" "Agency $c"
    info "register-cert $c: exit $RC ${ERR:0:200}"
done
ping_ok GOOD

step "no client certificate (raw TLS without a certificate)"
wire refused --no-cert
assert_eq 0 "$RC" "connection without certificate refused: $OUT"
info "$OUT"

for c in FOREIGN SELF EXPIRED FUTURE REVOKED; do
    step "$c certificate: client exits 77, raw connection gets no answer"
    tn "$c" ping
    assert_eq 77 "$RC" "ping with $c certificate exit code"
    info "client said: ${ERR:0:300}"
    wire --as "$c" refused
    assert_eq 0 "$RC" "raw connection with $c certificate refused: $OUT"
    ping_ok GOOD "ping as GOOD after $c"
done

step "valid but unregistered certificate: UNAUTHENTICATED, exit 77"
tn UNREG ping
assert_eq 77 "$RC" "ping with unregistered certificate exit code"
info "client said: ${ERR:0:300}"
wire --as UNREG ping
assert_contains "$OUT" UNAUTHENTICATED "raw ping with unregistered certificate"
FP=$(fingerprint "$PKI/agencies/UNREG.pem")
if grep -q "$FP" "$SERVER_LOG"; then
    info "the server log names the unregistered fingerprint"
else
    fail "the server log does not name the refused certificate's fingerprint $FP"
fi
# A denial is audited too: one "Connect" row per refused connection (two
# above), with the fingerprint, chained like every other row.
_refusals_audited() {
    [ "$(psql_app -tAc "select count(*) from audit_log where method = 'Connect'
        and outcome = 'UNAUTHENTICATED' and fingerprint = '$FP'")" = 2 ]
}
wait_for 10 _refusals_audited || fail "the refused certificate is not in the audit log twice: $(psql_app -tAc "select count(*) from audit_log where fingerprint = '$FP'")"

server_alive || fail "tamnongd died"
ping_ok GOOD "final ping as GOOD"
server_stop TERM
assert_eq 0 "$SERVER_RC" "tamnongd exit code"
echo ok
