#!/bin/bash
# test_injection: SQL-injection payloads, odd quotes, invalid UTF-8, NULs and
# very long strings in every text field of every state-changing request
# (the driver, injection.py, lists them): each is stored verbatim (read back
# byte for byte) or refused naming the field; the tables change only by the
# accepted calls (counted here), no refused request left a trace, every
# table is still there and the server is alive.
# (test_report_input / test_report_nul cover the messages of single fields.)
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/report_lib.sh"

step "start PostgreSQL, PKI, tamnongd; agencies; the test plan imported; a file of UBND-A"
report_setup
F=$TN_TMP/att.bin
head -c 2000 /dev/urandom >"$F"
SHA=$(sha256sum "$F" | cut -d' ' -f1)
rpc1 UBND-A AttachmentChunk "{\"sha256\": \"$SHA\", \"size\": 2000, \"offset\": 0, \"data\": {\"file\": \"$F\"}}"
assert_eq OK "$ST" "upload ($MSG)"

TABLES="agency agency_certificate plan plan_version task task_assignee indicator indicator_reporter
        target period period_regime request_log task_status submission submission_value
        submission_attachment attachment attachment_owner attachment_chunk schema_migrations"
counts() {
    local t q=""
    for t in $TABLES; do q="$q || '$t=' || (select count(*) from $t) || ' '"; done
    sql "select ''$q"
}
count_of() { # COUNTS TABLE
    local kv
    for kv in $1; do [ "${kv%%=*}" = "$2" ] && echo "${kv#*=}"; done
}
BEFORE=$(counts)
NTABLES=$(sql "select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'public' and c.relkind = 'r'")
PV=$(sql "select count(*) from plan_version")

step "every payload in every text field (injection.py)"
_capture timeout 900 python3 "$TN_REPO/tests/integration/injection.py" --port "$TN_PORT" \
    --ca "$PKI/ca.pem" --pki "$PKI" --sha "$SHA" --size 2000 --tmp "$TN_TMP" \
    --token "SNN=$(session_token SNN)" --token "OPS=$(session_token OPS)"
[ "$RC" = 0 ] || fail "injection.py: $ERR"
SUMMARY=$OUT
info "accepted: $(pyj "$SUMMARY" 'd["accepted"]'); refused state-changing requests: $(pyj "$SUMMARY" 'len(d["refused_uuids"])')"
NSUB=$(pyj "$SUMMARY" 'd["accepted"].get("Submit", 0)')
NTASK=$(pyj "$SUMMARY" 'd["accepted"].get("TaskUpdate", 0)')
NREV=$(pyj "$SUMMARY" 'd["accepted"].get("Review", 0)')
[ "$NSUB" -gt 10 ] && [ "$NTASK" -gt 5 ] && [ "$NREV" -gt 5 ] || fail "too few calls accepted: $SUMMARY"
[ "$(pyj "$SUMMARY" 'len(d["refused_uuids"])')" -gt 100 ] || fail "too few refusals: $SUMMARY"

step "the tables changed by the accepted calls only"
AFTER=$(counts)
delta() { echo $(($(count_of "$AFTER" "$1") - $(count_of "$BEFORE" "$1"))); }
assert_eq "$NSUB" "$(delta submission)" "new submissions"
assert_eq $((2 * NSUB)) "$(delta submission_value)" "new submission values"
assert_eq "$NSUB" "$(delta submission_attachment)" "new attachment links"
assert_eq $((NSUB + NTASK + NREV)) "$(delta request_log)" "new request_log rows"
assert_eq 1 "$(delta task_status)" "task statuses (one task, updated in place)"
for t in agency agency_certificate period period_regime \
    attachment attachment_owner attachment_chunk schema_migrations; do
    assert_eq 0 "$(delta $t)" "rows of $t"
done
NPV=$(pyj "$SUMMARY" 'd["accepted"].get("PlanImport", 0)')
[ "$(sql "select count(*) from plan_version")" -le $((PV + NPV)) ] || fail "plan versions beyond the accepted imports"
assert_eq "$NTABLES" "$(sql "select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'public' and c.relkind = 'r'")" "tables in the schema"
UUIDS=$(pyj "$SUMMARY" '",".join("\x27" + u + "\x27" for u in d["refused_uuids"])')
assert_eq 0 "$(sql "select count(*) from request_log where replace(request_uuid::text, '-', '') in ($UUIDS)")" "request_log rows of refused requests"
assert_eq 0 "$(sql "select count(*) from submission where replace(request_uuid::text, '-', '') in ($UUIDS)")" "submissions of refused requests"
server_alive || fail "the server died"
ping_ok UBND-A
step "done"
