#!/bin/bash
# Signed reports: `tamnong report submit --sign` makes a detached CMS
# signature (SHA-256) with the agency key over the submission's canonical
# bytes when it is queued; the server verifies it off the loop against the
# province CA and CRL, checks the signer is registered to the submitting
# agency and records it (Submissions, SubmissionGet, Pull show it). rpc.py
# signs with an independent encoder of the canonical bytes (field-number
# order, defaults left out): accepted, which shows the definition is the
# same on both sides. Refused with the reason, nothing stored: a signature
# over other content, another agency's key, a foreign CA, a key revoked at
# the CA (CRL) or by the operator, garbage.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/report_lib.sh"

STATE_A=$TN_TMP/state-UBND-A
ta() { tn UBND-A --state-dir "$STATE_A" "$@"; }
n_sub() { sql "SELECT count(*) FROM submission"; }
PERIOD=2026-annual

step "setup: agencies, plan; a second key of UBND-A (revoked later), a foreign CA"
report_setup
agency_cert UBND-A2 --name "UBND huyện A (khóa 2)"
agency_cert UBND-A3 --name "UBND huyện A (khóa 3)"
for c in UBND-A2 UBND-A3; do
    _capture timeout 60 "$BUILD/tamnongd" --config "$TN_CONF" register-cert \
        "$PKI/agencies/$c.pem" --agency UBND-A
    assert_eq 0 "$RC" "register-cert $c for UBND-A ($ERR)"
done
pki init "$TN_TMP/other" 2>/dev/null && pki agency "$TN_TMP/other" UBND-A 2>/dev/null ||
    fail "other CA"
FP_A=$(fingerprint "$PKI/agencies/UBND-A.pem")

step "the client signs when it queues: report submit --sign, then sync"
ta sync
ta report open $PERIOD
ta report set ocop_products 12
ta report set clean_water_share --numerator 4500 --denominator 5000
ta report write results --text "Báo cáo chính thức, có chữ ký số."
ta report task III.1.c --status in_progress --progress 40 --note "đang làm"
ta report submit --sign --json
assert_eq 0 "$RC" "submit --sign ($ERR)"
assert_eq True "$(pyj "$OUT" 'str(d["signed"])')" "submit says signed"
ta sync
assert_eq 0 "$RC" "sync ($OUT $ERR)"
assert_eq "$FP_A" "$(sql "SELECT signer_fingerprint FROM submission WHERE current AND agency_id = (SELECT id FROM agency WHERE code = 'UBND-A')")" \
    "signer fingerprint stored"
assert_contains "$(sql "SELECT signer_subject FROM submission WHERE current")" "CN=UBND-A" \
    "signer subject stored"
tn SNN admin submissions --json
assert_contains "$(pyj "$OUT" 'd[0]["signer"]')" "$FP_A" \
    "admin submissions shows the signer"
SID=$(pyj "$OUT" 'd[0]["submission_id"]')
tn SNN admin submissions "$SID"
assert_contains "$OUT" "Signed by: " "admin submissions ID shows the signer"
rpc1 UBND-A SubmissionGet "{\"submission_id\": $SID}"
assert_contains "$(pyj "$R" 'd["summary"]["state"]["signer"]')" "CN=UBND-A" "SubmissionGet signer"
rpc1 UBND-A Pull "{}"
assert_contains "$(pyj "$R" 'd["submissions"][-1]["signer"]')" "$FP_A" "Pull signer"
# The consolidated report's source (ReportFeedback, read by the reviewer)
# names the signer of UBND-A's counted report.
rpc1 SNN ReportFeedback "{\"period_code\": \"$PERIOD\"}"
assert_eq OK "$ST" "ReportFeedback ($MSG)"
assert_contains "$(pyj "$R" '[f["signer"] for f in d["feedback"] if f["agency"]["code"] == "UBND-A"]')" \
    "CN=UBND-A" "ReportFeedback signer of UBND-A"

step "rpc.py signs the same way (independent canonical encoder): accepted"
N=$(n_sub)
REQ=$(district_report 10 $PERIOD "Ký bằng rpc.py")
SIGN_A="{\"cert\": \"$PKI/agencies/UBND-A.pem\", \"key\": \"$PKI/agencies/UBND-A.key\"}"
rpc UBND-A "{\"m\": \"Submit\", \"msg\": $REQ, \"sign\": $SIGN_A}"
assert_eq OK "$(pyj "$OUT" 'd[0]["status"]')" "rpc.py signed submit ($OUT)"
assert_eq $((N + 1)) "$(n_sub)" "one more submission"
N=$(n_sub)

refused() { # WHAT STATUS NEEDLE REQ SIGN-SPEC
    rpc UBND-A "{\"m\": \"Submit\", \"msg\": $4, \"sign\": $5}"
    assert_eq 0 "$RC" "$1: rpc ($OUT $ERR)"
    assert_eq "$2" "$(pyj "$OUT" 'd[0]["status"]')" "$1: status ($OUT)"
    assert_contains "$(pyj "$OUT" 'd[0]["message"]')" "$3" "$1: reason"
    info "$1: $(pyj "$OUT" 'd[0]["message"]')"
    assert_eq "$N" "$(n_sub)" "$1: nothing stored"
}

step "a signature over other content (the results changed after signing)"
OTHER=$(district_report 11 $PERIOD "Nội dung khác")
refused "altered" INVALID_ARGUMENT "does not match this report" "$(district_report 11 $PERIOD "Nội dung gốc")" \
    "{\"cert\": \"$PKI/agencies/UBND-A.pem\", \"key\": \"$PKI/agencies/UBND-A.key\", \"over\": $OTHER}"

step "another agency's key"
# Another agency's certificate is invisible under row-level security (no
# oracle of whose it is): refused as not registered to the submitting agency.
refused "foreign agency" PERMISSION_DENIED "not registered" "$(district_report 12 $PERIOD "x")" \
    "{\"cert\": \"$PKI/agencies/UBND-B.pem\", \"key\": \"$PKI/agencies/UBND-B.key\"}"

step "a key of another CA (same agency code)"
refused "foreign CA" INVALID_ARGUMENT "not issued by the province CA" "$(district_report 13 $PERIOD "x")" \
    "{\"cert\": \"$TN_TMP/other/agencies/UBND-A.pem\", \"key\": \"$TN_TMP/other/agencies/UBND-A.key\"}"

step "garbage in the signature field"
rpc UBND-A "{\"m\": \"Submit\", \"msg\": $(python3 -c 'import json,sys; m = json.loads(sys.argv[1]); m["signature"] = "3082deadbeef00"; print(json.dumps(m))' "$(district_report 15 $PERIOD "x")")}"
assert_eq INVALID_ARGUMENT "$(pyj "$OUT" 'd[0]["status"]')" "garbage status"
assert_contains "$(pyj "$OUT" 'd[0]["message"]')" "not a DER-encoded CMS" "garbage reason"
assert_eq "$N" "$(n_sub)" "garbage: nothing stored"

step "a key revoked at the CA (published CRL, SIGHUP)"
pki revoke "$PKI" UBND-A2 2>>"$TN_TMP/pki.log" || fail "pki revoke"
kill -HUP "$SERVER_PID"
wait_for 10 grep -q "SIGHUP: TLS certificate, key, CA and CRL reloaded" "$SERVER_LOG" ||
    fail "SIGHUP reload not logged"
refused "revoked at the CA" INVALID_ARGUMENT "revoked" "$(district_report 16 $PERIOD "x")" \
    "{\"cert\": \"$PKI/agencies/UBND-A2.pem\", \"key\": \"$PKI/agencies/UBND-A2.key\"}"

step "a key revoked by the operator (database only)"
tn OPS admin cert revoke "$PKI/agencies/UBND-A3.pem"
assert_eq 0 "$RC" "admin cert revoke UBND-A3 ($ERR)"
refused "revoked by the operator" INVALID_ARGUMENT "was revoked" "$(district_report 17 $PERIOD "x")" \
    "{\"cert\": \"$PKI/agencies/UBND-A3.pem\", \"key\": \"$PKI/agencies/UBND-A3.key\"}"

step "unsigned submissions are still accepted and show no signer"
rpc1 UBND-B Submit "$(district_report 18 $PERIOD "Không ký")"
assert_eq OK "$ST" "unsigned submit ($MSG)"
assert_eq "" "$(sql "SELECT coalesce(signer_fingerprint, '') FROM submission WHERE current AND agency_id = (SELECT id FROM agency WHERE code = 'UBND-B')")" \
    "no signer stored"

server_stop TERM
assert_eq 0 "$SERVER_RC" "tamnongd exit code"
echo ok
