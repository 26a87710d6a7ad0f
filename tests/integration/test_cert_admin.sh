#!/bin/bash
# `tamnong admin cert register/revoke` (CertRegister 26, CertRevoke 27): the
# server checks the certificate as mTLS would (CA, validity, CRL, purpose)
# with the same code and SQL function as `tamnongd register-cert`; only the
# operator may call them; a revocation refuses new connections at once and
# cuts a connection already identified by the certificate at its next
# request; exactly-once by request_uuid.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/report_lib.sh"

step "setup: operator OPS, agency SNN; a second certificate for SNN, bad ones"
setup_all
agency_cert OPS --name "Đơn vị vận hành"
_capture timeout 60 "$BUILD/tamnongd" --config "$TN_CONF" register-cert \
    "$PKI/agencies/OPS.pem" --agency OPS --name "Đơn vị vận hành" --operator
assert_eq 0 "$RC" "register-cert OPS --operator: $ERR"
agency_register SNN "Sở Nông nghiệp"
agency_cert SNN2 --name "Sở Nông nghiệp (máy 2)"
agency_cert OLD --name "Old" --start 20200101000000Z --end 20210101000000Z
pki init "$TN_TMP/other" 2>/dev/null && pki agency "$TN_TMP/other" ALIEN 2>/dev/null ||
    fail "other CA"
FP2=$(fingerprint "$PKI/agencies/SNN2.pem")

step "SNN2 is not registered yet: refused"
tn SNN2 ping
assert_eq 77 "$RC" "unregistered SNN2 ping exit"

step "a non-operator may not register"
TN_ROLE[SNN]=reviewer # a person of the standing agency, but not an operator
tn SNN admin cert register "$PKI/agencies/SNN2.pem" --agency SNN
assert_eq 77 "$RC" "register by SNN exit ($ERR)"
assert_contains "$ERR" "operator" "register by SNN message"

step "register SNN2 to SNN over RPC; it connects"
tn OPS admin cert register "$PKI/agencies/SNN2.pem" --agency SNN --json
assert_eq 0 "$RC" "cert register exit ($ERR)"
assert_eq "$FP2" "$(pyj "$OUT" 'd["fingerprint"]')" "registered fingerprint"
assert_eq "True" "$(pyj "$OUT" 'str(d["created"])')" "created"
assert_contains "$(pyj "$OUT" 'd["subject"]')" "CN=SNN2" "subject"
ping_ok SNN2 "ping as SNN2 after registration"
tn OPS admin cert register "$PKI/agencies/SNN2.pem" --agency SNN
assert_eq 0 "$RC" "second register exit"
assert_contains "$OUT" "already registered" "second register says so"

step "refusals: another agency, foreign CA, expired, garbage, unknown agency"
tn OPS admin cert register "$PKI/agencies/SNN2.pem" --agency OPS
assert_eq 65 "$RC" "register to another agency exit ($ERR)"
assert_contains "$ERR" "already registered to agency \"SNN\"" "another agency message"
tn OPS admin cert register "$TN_TMP/other/agencies/ALIEN.pem" --agency SNN
assert_contains "$ERR" "not issued by the province CA" "foreign CA refused"
tn OPS admin cert register "$PKI/agencies/OLD.pem" --agency SNN
assert_contains "$ERR" "expired" "expired refused"
echo "not a certificate" >"$TN_TMP/garbage.pem"
tn OPS admin cert register "$TN_TMP/garbage.pem" --agency SNN
assert_contains "$ERR" "not a PEM certificate" "garbage refused"
cat "$PKI/agencies/SNN2.pem" "$PKI/ca.pem" >"$TN_TMP/chain.pem"
tn OPS admin cert register "$TN_TMP/chain.pem" --agency SNN
assert_contains "$ERR" "not a chain" "a chain refused"
tn OPS admin cert register "$PKI/agencies/OLD.pem" --agency NOSUCH
assert_contains "$ERR" "expired" "checks come before the agency lookup"
agency_cert NEW3 --name "New"
tn OPS admin cert register "$PKI/agencies/NEW3.pem" --agency NOSUCH
assert_contains "$ERR" "there is no agency \"NOSUCH\"" "unknown agency"
assert_eq 0 "$(sql "SELECT count(*) FROM agency_certificate WHERE fingerprint = '$(fingerprint "$PKI/agencies/NEW3.pem")'")" \
    "nothing stored for a refused registration"

step "the command line path shares the checks"
_capture timeout 60 "$BUILD/tamnongd" --config "$TN_CONF" register-cert \
    "$TN_TMP/other/agencies/ALIEN.pem" --agency ALIEN --name "Alien"
assert_eq 65 "$RC" "register-cert of a foreign certificate exit"
assert_contains "$ERR" "not issued by the province CA" "register-cert foreign message"

step "exactly once: same request id and bytes = replay; other bytes = ALREADY_EXISTS"
PEM_JSON=$(python3 -c 'import json,sys; print(json.dumps(open(sys.argv[1]).read()))' "$PKI/agencies/NEW3.pem")
rpc1 OPS CertRegister "{\"request_uuid\": \"$(uuid 7)\", \"certificate_pem\": $PEM_JSON, \"agency_code\": \"SNN\"}"
assert_eq OK "$ST" "CertRegister NEW3 ($MSG)"
rpc1 OPS CertRegister "{\"request_uuid\": \"$(uuid 7)\", \"certificate_pem\": $PEM_JSON, \"agency_code\": \"SNN\"}"
assert_eq OK "$ST" "CertRegister replay"
assert_eq True "$(pyj "$R" 'str(d["replay"])')" "replay flag"
rpc1 OPS CertRevoke "{\"request_uuid\": \"$(uuid 7)\", \"fingerprint\": \"$FP2\"}"
assert_eq ALREADY_EXISTS "$ST" "same request id for other content ($MSG)"
rpc1 OPS CertRevoke "{\"request_uuid\": \"$(uuid 8)\", \"fingerprint\": \"XYZ\"}"
assert_eq INVALID_ARGUMENT "$ST" "bad fingerprint"
assert_contains "$MSG" "fingerprint" "bad fingerprint names the field"

step "revoke SNN2 while it holds an identified connection"
rm -f "$TN_TMP/go"
python3 "$TN_RPC" --port "$TN_PORT" --ca "$PKI/ca.pem" --cert "$PKI/agencies/SNN2.pem" \
    --key "$PKI/agencies/SNN2.key" --timeout 30 \
    "[{\"m\": \"Ping\", \"msg\": {\"skip_database\": true}}, {\"touch_file\": \"$TN_TMP/ready\"},
      {\"wait_file\": \"$TN_TMP/go\"},
      {\"m\": \"Ping\", \"msg\": {\"skip_database\": true}}]" >"$TN_TMP/live.json" 2>&1 &
LIVE=$!
# Ready when its first Ping was answered (not merely connected: a revocation
# before that answer would close it first).
wait_for 20 test -f "$TN_TMP/ready" || fail "the live connection's first Ping was not answered"
tn OPS admin cert revoke "$PKI/agencies/SNN2.pem" --reason "máy bị mất"
assert_eq 0 "$RC" "revoke exit ($ERR)"
assert_contains "$OUT" "$FP2" "revoke output names the fingerprint"
touch "$TN_TMP/go"
wait "$LIVE"
LIVE_OUT=$(cat "$TN_TMP/live.json")
info "live connection: $LIVE_OUT"
assert_eq OK "$(pyj "$LIVE_OUT" 'd[0]["status"]')" "first ping on the live connection"
assert_eq UNAUTHENTICATED "$(pyj "$LIVE_OUT" 'd[1]["status"]')" "next request after revocation"
assert_contains "$(pyj "$LIVE_OUT" 'd[1]["message"]')" "revoked" "revocation message"
assert_contains "$(cat "$SERVER_LOG")" "certificate sha256 $FP2 was revoked" "log names the fingerprint"
tn SNN2 ping
assert_eq 77 "$RC" "new connection with the revoked certificate exit"
ping_ok SNN "the agency's other certificate still works"
assert_eq "máy bị mất" "$(sql "SELECT revoke_reason FROM agency_certificate WHERE fingerprint = '$FP2'")" \
    "reason stored"
tn OPS admin cert revoke "$FP2" --json
assert_eq 0 "$RC" "revoke again exit"
assert_eq True "$(pyj "$OUT" 'str(d["already_revoked"])')" "already revoked"
tn OPS admin cert register "$PKI/agencies/SNN2.pem" --agency SNN
assert_contains "$ERR" "was revoked" "a revoked certificate cannot be registered again"
tn OPS admin cert revoke 0000000000000000000000000000000000000000000000000000000000000000
assert_eq 65 "$RC" "revoke unknown exit ($ERR)"
assert_contains "$ERR" "not registered" "revoke unknown message"

server_stop TERM
assert_eq 0 "$SERVER_RC" "tamnongd exit code"
echo ok
