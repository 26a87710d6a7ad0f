#!/bin/bash
# deploy/pki/tamnong-pki.sh on its own: layout, key modes, extensions,
# fingerprints, idempotence, back-dated validity, revocation and the CRL.
source "$(dirname "$0")/lib.sh"

step "init twice, server, agency"
pki init "$PKI" 2>/dev/null || fail "init"
ca_fp=$(fingerprint "$PKI/ca.pem")
pki init "$PKI" 2>/dev/null || fail "second init"
assert_eq "$ca_fp" "$(fingerprint "$PKI/ca.pem")" "CA after a second init"
pki server "$PKI" localhost --dns localhost,tamnong.example --ip 127.0.0.1 2>/dev/null || fail "server"
agency_cert SNNPTNT --name "Sở Nông nghiệp và Phát triển nông thôn"
for f in ca.pem crl.pem server/localhost.pem server/localhost.key agencies/SNNPTNT.pem agencies/SNNPTNT.key; do
    [ -f "$PKI/$f" ] || fail "missing $PKI/$f"
done
for k in ca.key server/localhost.key agencies/SNNPTNT.key; do
    assert_eq 600 "$(stat -c %a "$PKI/$k")" "mode of $k"
done

step "certificates: algorithm, extensions, subject"
txt=$(openssl x509 -in "$PKI/ca.pem" -noout -text)
assert_contains "$txt" "prime256v1" "CA key"
assert_contains "$txt" "CA:TRUE" "CA basic constraints"
assert_contains "$txt" "Certificate Sign, CRL Sign" "CA key usage"
txt=$(openssl x509 -in "$PKI/server/localhost.pem" -noout -text)
assert_contains "$txt" "TLS Web Server Authentication" "server EKU"
assert_contains "$txt" "DNS:localhost, DNS:tamnong.example, IP Address:127.0.0.1" "server SAN"
txt=$(openssl x509 -in "$PKI/agencies/SNNPTNT.pem" -noout -text -nameopt utf8,sep_comma_plus)
assert_contains "$txt" "TLS Web Client Authentication" "agency EKU"
assert_contains "$txt" "CN=SNNPTNT,serialNumber=SNNPTNT" "agency subject"
assert_contains "$txt" "O=Sở Nông nghiệp và Phát triển nông thôn" "agency subject (UTF-8 name)"
openssl verify -CAfile "$PKI/ca.pem" -CRLfile "$PKI/crl.pem" -crl_check -purpose sslclient \
    "$PKI/agencies/SNNPTNT.pem" >/dev/null || fail "agency certificate does not verify"
openssl verify -CAfile "$PKI/ca.pem" -purpose sslserver "$PKI/server/localhost.pem" >/dev/null ||
    fail "server certificate does not verify"

step "fingerprint = SHA-256 of the DER, lower-case hex"
want=$(openssl x509 -in "$PKI/agencies/SNNPTNT.pem" -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' | tr A-F a-f)
assert_eq "$want" "$(fingerprint "$PKI/agencies/SNNPTNT.pem")" "fingerprint"

step "existing certificate left alone; --force issues a new one"
fp1=$(fingerprint "$PKI/agencies/SNNPTNT.pem")
pki agency "$PKI" SNNPTNT 2>/dev/null || fail "re-run agency"
assert_eq "$fp1" "$(fingerprint "$PKI/agencies/SNNPTNT.pem")" "fingerprint after a re-run"
pki agency "$PKI" SNNPTNT --force 2>/dev/null || fail "agency --force"
[ "$fp1" != "$(fingerprint "$PKI/agencies/SNNPTNT.pem")" ] || fail "--force did not issue a new certificate"

step "back-dated and future validity"
agency_cert OLD --start 20200101000000Z --end 20210101000000Z
agency_cert NEW --start 20990101000000Z --end 20991231000000Z
out=$(openssl verify -CAfile "$PKI/ca.pem" "$PKI/agencies/OLD.pem" 2>&1)
assert_contains "$out" "certificate has expired" "verify OLD"
out=$(openssl verify -CAfile "$PKI/ca.pem" "$PKI/agencies/NEW.pem" 2>&1)
assert_contains "$out" "not yet valid" "verify NEW"

step "revoke (twice) and the CRL"
pki revoke "$PKI" SNNPTNT 2>/dev/null || fail "revoke"
pki revoke "$PKI" SNNPTNT 2>/dev/null || fail "second revoke"
out=$(openssl verify -CAfile "$PKI/ca.pem" -CRLfile "$PKI/crl.pem" -crl_check "$PKI/agencies/SNNPTNT.pem" 2>&1)
assert_contains "$out" "certificate revoked" "verify revoked"
openssl verify -CAfile "$PKI/ca.pem" -CRLfile "$PKI/crl.pem" -crl_check "$PKI/server/localhost.pem" \
    >/dev/null || fail "server certificate fails the CRL check"
pki crl "$PKI" --days 7 2>/dev/null || fail "crl"
openssl crl -in "$PKI/crl.pem" -noout -text | grep -q "$(openssl x509 -in "$PKI/agencies/SNNPTNT.pem" -noout -serial | sed 's/serial=//')" ||
    fail "revoked serial missing from a re-published CRL"

step "errors are clear and non-zero"
_capture "$TN_PKI_SH" agency "$TN_TMP/nope" X
assert_eq 1 "$RC" "agency without a CA"
assert_contains "$ERR" "init" "hint to run init"
_capture "$TN_PKI_SH" agency "$PKI" "bad code"
assert_eq 1 "$RC" "bad agency code"
_capture "$TN_PKI_SH" agency "$PKI" X --start 2020 --end 2021
assert_eq 1 "$RC" "bad --start"
_capture "$TN_PKI_SH" revoke "$PKI" NOPE
assert_eq 1 "$RC" "revoke unknown"
_capture "$TN_PKI_SH" frobnicate
assert_eq 64 "$RC" "unknown command"
echo ok
