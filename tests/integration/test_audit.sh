#!/bin/bash
# test_audit: state changes and denials leave hash-chained rows in audit_log;
# UPDATE, DELETE and TRUNCATE are refused by triggers (even for the
# superuser); then, as the superuser with the triggers off, a changed row, a
# deleted row and two swapped rows are each named by `tamnong admin audit
# verify` (exit 65, the first broken row and why).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/report_lib.sh"

step "start; the test plan; some state changes and denials"
report_setup
rpc1 UBND-A Submit "$(district_report 1 2026-annual "Kết quả")"
assert_eq OK "$ST" "Submit ($MSG)"
SID=$(pyj "$R" 'd["submission_id"]')
rpc1 UBND-A TaskUpdate '{"request_uuid": "'"$(uuid 2)"'", "task_code": "III.1.c", "status": "in_progress", "progress": 30, "note": "x"}'
assert_eq OK "$ST" "TaskUpdate ($MSG)"
rpc1 UBND-B Review "{\"request_uuid\": \"$(uuid 3)\", \"submission_id\": $SID, \"decision\": \"accept\"}"
assert_eq PERMISSION_DENIED "$ST" "Review by an agency"
rpc1 SNN Review "{\"request_uuid\": \"$(uuid 4)\", \"submission_id\": $SID, \"decision\": \"accept\"}"
assert_eq OK "$ST" "Review by the reviewer ($MSG)"
rpc1 UBND-B Pull '{}'
assert_eq OK "$ST" "Pull (a query: not audited)"

step "the rows: who, what, which object, the outcome, the request hash"
q() { psql_app -tAc "$1"; }
assert_eq "UBND-A|Submit|OK" "$(q "select agency || '|' || method || '|' || outcome from audit_log where method = 'Submit'")" "Submit row"
assert_contains "$(q "select object from audit_log where method = 'Submit'")" "submission_id=$SID" "Submit object"
assert_contains "$(q "select object from audit_log where method = 'TaskUpdate'")" "task_code=III.1.c" "TaskUpdate object"
assert_eq "UBND-B|PERMISSION_DENIED|" "$(q "select agency || '|' || outcome || '|' || coalesce(person, '') from audit_log where method = 'Review' and agency = 'UBND-B'")" "denied Review row"
assert_eq "tn-snn-reviewer|OK" "$(q "select person || '|' || outcome from audit_log where method = 'Review' and agency = 'SNN'")" "Review by the person"
assert_eq "$(fingerprint "$PKI/agencies/SNN.pem")" "$(q "select fingerprint from audit_log where method = 'Review' and agency = 'SNN'")" "certificate fingerprint"
assert_eq 1 "$(q "select count(*) from audit_log where method = 'Submit' and request_sha256 ~ '^[0-9a-f]{64}$'")" "request hash"
assert_eq 0 "$(q "select count(*) from audit_log where method = 'Pull'")" "queries are not audited"
assert_eq 0 "$(q "select count(*) from audit_log a join audit_log b on b.id = (select max(id) from audit_log where id < a.id) where a.prev_hash <> b.row_hash")" \
    "each row's prev_hash is the row before's hash"

step "UPDATE, DELETE, TRUNCATE refused, also for the superuser"
for stmt in "update audit_log set outcome = 'OK'" "delete from audit_log" "truncate audit_log"; do
    psql_app -qc "$stmt" 2>"$TN_TMP/err" && fail "as the application role: $stmt succeeded"
    # Refused by the grants already (the application role may only read and
    # append), and by the trigger behind them.
    assert_icontains "$(cat "$TN_TMP/err")" "permission denied" "$stmt as the application role"
    psql_admin -d tamnong -qc "$stmt" 2>"$TN_TMP/err" && fail "as the superuser: $stmt succeeded"
    assert_contains "$(cat "$TN_TMP/err")" "append-only" "$stmt as the superuser"
done

step "intact: verify says so (exit 0)"
tn OPS admin audit verify --json
assert_eq 0 "$RC" "verify ($ERR)"
assert_eq True "$(pyj "$OUT" 'str(d["ok"])')" "ok"
N=$(pyj "$OUT" 'd["rows"]')
[ "$N" -ge 7 ] || fail "rows checked: $N (2 log-ins, PlanImport, Submit, TaskUpdate, 2 Reviews)"

tamper() { # SQL as the superuser, the triggers off
    psql_admin -d tamnong -qc "set session_replication_role = replica; $1" || fail "tamper: $1"
}

step "a changed row: verify names it (content changed)"
X=$(q "select id from audit_log where method = 'Review' and agency = 'UBND-B'")
tamper "update audit_log set outcome = 'OK' where id = $X"
tn OPS admin audit verify --json
assert_eq 65 "$RC" "verify exit code on a changed row"
assert_eq "$X content_changed" "$(pyj "$OUT" 'str(d["id"]) + " " + d["reason"]')" "first broken link"
tn OPS admin audit verify
assert_contains "$ERR" "BROKEN at row $X" "human message"
tamper "update audit_log set outcome = 'PERMISSION_DENIED' where id = $X"
tn OPS admin audit verify --json
assert_eq 0 "$RC" "restored: intact again ($OUT)"

step "a deleted row: verify names the row after the gap (row missing)"
Y=$(q "select id from audit_log where method = 'TaskUpdate'")
NEXT=$(q "select min(id) from audit_log where id > $Y")
tamper "create table saved as select * from audit_log where id = $Y; delete from audit_log where id = $Y"
tn OPS admin audit verify --json
assert_eq 65 "$RC" "verify exit code on a deleted row"
assert_eq "$NEXT row_missing" "$(pyj "$OUT" 'str(d["id"]) + " " + d["reason"]')" "first broken link"
tamper "insert into audit_log select * from saved; drop table saved"
tn OPS admin audit verify --json
assert_eq 0 "$RC" "restored: intact again ($OUT)"

step "two rows swapped: verify names the first (order changed)"
A=$(q "select id from audit_log where method = 'Submit'")
B=$(q "select min(id) from audit_log where id > $A")
tamper "update audit_log set id = -1 where id = $A; update audit_log set id = $A where id = $B; update audit_log set id = $B where id = -1"
tn OPS admin audit verify --json
assert_eq 65 "$RC" "verify exit code on swapped rows"
assert_eq "$A order_changed" "$(pyj "$OUT" 'str(d["id"]) + " " + d["reason"]')" "first broken link"
assert_contains "$(pyj "$OUT" 'd["message"]')" "out of order" "message"
assert_contains "$(cat "$SERVER_LOG")" "AUDIT CHAIN BROKEN at row $A" "logged loudly"
