#!/bin/bash
# test_report_server: the reporting RPCs on a real server and PostgreSQL, by
# direct RPC (rpc.py). Exactly-once Submit (same id and bytes x5 -> one
# submission and the same receipt, replay on 2..5; same id other bytes ->
# ALREADY_EXISTS and nothing changes; another agency's id is its own key);
# revisions (one current); another agency's submission is NOT_FOUND and a
# non-admin review is PERMISSION_DENIED; the review loop (return with a
# reason -> Pull shows it -> resubmit -> accept); Pull's cursor.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/report_lib.sh"

step "start PostgreSQL, PKI, tamnongd; agencies; the test plan imported"
report_setup

step "Pull as UBND-A: its tasks, its indicators, the periods"
rpc1 UBND-A Pull '{}'
assert_eq OK "$ST" "pull ($MSG)"
assert_eq true "$(pyj "$R" 'd["plan_changed"]')" "plan_changed on a first pull"
assert_eq 1 "$(pyj "$R" 'd["plan_version"]')" "plan version"
assert_eq '["III.1.a", "III.1.c"]' "$(pyj "$R" '[a["task"]["code"] for a in d["assignments"]]')" "assignments"
assert_eq '["coordinating", "lead"]' "$(pyj "$R" '[a["task"]["role"] for a in d["assignments"]]')" "roles"
assert_eq '["ocop_products", "clean_water_share"]' "$(pyj "$R" '[i["key"] for i in d["indicators"]]')" "indicators"
assert_eq ratio "$(pyj "$R" 'd["indicators"][1]["rule"]')" "ratio rule"
assert_eq true "$(pyj "$R" 'd["indicators"][1]["required"]')" "required"
assert_eq "Tổng số hộ" "$(pyj "$R" 'd["indicators"][1]["denominator_label"]')" "denominator label"
assert_contains "$(pyj "$R" '[p["code"] for p in d["periods"]]')" "2026-six_month" "periods"
AS_OF=$(pyj "$R" 'd["as_of"]')
CUR0=$(pyj "$R" 'd["cursor"]')
rpc1 UBND-A Pull "{\"plan_version\": 1, \"since\": $CUR0, \"as_of\": \"$AS_OF\"}"
assert_eq false "$(pyj "$R" 'd["plan_changed"]')" "plan_changed with the current version and day"
assert_eq 0 "$(pyj "$R" 'len(d["assignments"]) + len(d["submissions"])')" "nothing new"

step "Submit the same request 5 times: one submission, the same receipt, replays 2..5"
REQ=$(district_report 1 2026-annual "Kết quả tốt")
STEPS=$(python3 -c 'import json, sys; m = json.loads(sys.argv[1]); print(json.dumps([{"m": "Submit", "msg": m}] * 5))' "$REQ")
rpc UBND-A "$STEPS"
assert_eq 0 "$RC" "5 submits"
assert_eq '["OK", "OK", "OK", "OK", "OK"]' "$(pyj "$OUT" '[x["status"] for x in d]')" "statuses"
assert_eq '[false, true, true, true, true]' "$(pyj "$OUT" '[x["resp"]["replay"] for x in d]')" "replay flags"
assert_eq 1 "$(pyj "$OUT" 'len({json.dumps({k: v for k, v in x["resp"].items() if k != "replay"}) for x in d})')" "one receipt"
SID1=$(pyj "$OUT" 'd[0]["resp"]["submission_id"]')
assert_eq 1 "$(pyj "$OUT" 'd[0]["resp"]["revision"]')" "revision"
assert_eq true "$(pyj "$OUT" 'd[0]["resp"]["on_time"]')" "on time (annual 2026 deadline is 2026-12-15)"
assert_eq 1 "$(sql "select count(*) from submission where agency_id = (select id from agency where code = 'UBND-A')")" "submissions of UBND-A"
assert_eq 2 "$(sql "select count(*) from submission_value where submission_id = $SID1")" "values stored"
assert_eq 4500 "$(sql "select numerator from submission_value where submission_id = $SID1 and indicator_key = 'clean_water_share'")" "numerator stored"

step "the same id with other bytes: ALREADY_EXISTS, the original unchanged"
rpc1 UBND-A Submit "$(district_report 1 2026-annual "Kết quả khác")"
assert_eq ALREADY_EXISTS "$ST" "same id, other bytes"
assert_contains "$MSG" "already used for different content" "message"
assert_eq "Kết quả tốt" "$(sql "select content->>'results' from submission where id = $SID1")" "original content"
assert_eq 1 "$(sql "select count(*) from submission")" "still one submission"

step "another agency with the same id: its own key, its own submission"
rpc1 UBND-B Submit "$REQ"
assert_eq OK "$ST" "UBND-B with UBND-A's request id ($MSG)"
assert_eq false "$(pyj "$R" 'd["replay"]')" "not a replay"
SIDB=$(pyj "$R" 'd["submission_id"]')
[ "$SIDB" != "$SID1" ] || fail "UBND-B got UBND-A's submission"
assert_eq 1 "$(pyj "$R" 'd["revision"]')" "UBND-B revision"

step "another agency's submission: NOT_FOUND; review as a non-admin: PERMISSION_DENIED"
rpc1 UBND-B SubmissionGet "{\"submission_id\": $SID1}"
assert_eq NOT_FOUND "$ST" "SubmissionGet of UBND-A's submission as UBND-B"
rpc1 UBND-B SubmissionGet '{"submission_id": 999999}'
assert_eq NOT_FOUND "$ST" "SubmissionGet of a missing id"
rpc1 UBND-B Review "{\"request_uuid\": \"$(uuid 50)\", \"submission_id\": $SID1, \"decision\": \"accept\"}"
assert_eq PERMISSION_DENIED "$ST" "Review as UBND-B"
rpc1 UBND-B Submissions '{"agency_code": "UBND-A"}'
assert_eq OK "$ST" "Submissions as UBND-B"
assert_eq "[\"UBND-B\"]" "$(pyj "$R" '[s["agency"]["code"] for s in d["submissions"]]')" "UBND-B sees only its own"
rpc1 UBND-A SubmissionGet "{\"submission_id\": $SID1}"
assert_eq OK "$ST" "SubmissionGet own ($MSG)"
assert_eq "Kết quả tốt" "$(pyj "$R" 'd["results"]')" "results"
assert_eq 4500 "$(pyj "$R" 'd["values"][1]["numerator"]')" "numerator back"
assert_eq III.1.c "$(pyj "$R" 'd["tasks"][0]["task_code"]')" "task back"
assert_eq UBND-A "$(pyj "$R" 'd["summary"]["agency"]["code"]')" "summary agency"

step "a second revision: revision 2 current, revision 1 superseded"
rpc1 UBND-A Submit "$(district_report 2 2026-annual "Kết quả bổ sung")"
assert_eq OK "$ST" "second submit ($MSG)"
assert_eq 2 "$(pyj "$R" 'd["revision"]')" "revision 2"
SID2=$(pyj "$R" 'd["submission_id"]')
assert_eq "1|f|superseded
2|t|submitted" "$(sql "select revision, current, state from submission s join agency a on a.id = s.agency_id where a.code = 'UBND-A' order by revision")" "revisions"

step "review: revision 1 is not current (FAILED_PRECONDITION); return revision 2 with a reason"
rpc1 SNN Review "{\"request_uuid\": \"$(uuid 51)\", \"submission_id\": $SID1, \"decision\": \"accept\"}"
assert_eq FAILED_PRECONDITION "$ST" "review of a superseded revision"
rpc1 SNN Review "{\"request_uuid\": \"$(uuid 52)\", \"submission_id\": $SID2, \"decision\": \"return\"}"
assert_eq INVALID_ARGUMENT "$ST" "return without a reason"
assert_contains "$MSG" "reason" "names the field"
rpc1 SNN Review "{\"request_uuid\": \"$(uuid 53)\", \"submission_id\": $SID2, \"decision\": \"return\", \"reason\": \"Thiếu số liệu quý 3\"}"
assert_eq OK "$ST" "return ($MSG)"
assert_eq returned "$(pyj "$R" 'd["state"]')" "state returned"
rpc1 SNN Review "{\"request_uuid\": \"$(uuid 53)\", \"submission_id\": $SID2, \"decision\": \"return\", \"reason\": \"Thiếu số liệu quý 3\"}"
assert_eq true "$(pyj "$R" 'd["replay"]')" "the same review again is a replay"

step "Pull as UBND-A after its cursor: the returned revision with the reason"
rpc1 UBND-A Pull "{\"plan_version\": 1, \"since\": $CUR0, \"as_of\": \"$AS_OF\"}"
assert_eq OK "$ST" "pull"
J=$(pyj "$R" '[s for s in d["submissions"] if s["submission_id"] == '"$SID2"'][0]')
assert_eq returned "$(pyj "$J" 'd["state"]')" "pulled state"
assert_eq "Thiếu số liệu quý 3" "$(pyj "$J" 'd["reason"]')" "pulled reason"
assert_eq true "$(pyj "$J" 'd["current"]')" "pulled current"
CUR1=$(pyj "$R" 'd["cursor"]')
[ "$CUR1" -gt "$CUR0" ] || fail "cursor did not advance: $CUR0 -> $CUR1"
rpc1 UBND-A Pull "{\"plan_version\": 1, \"since\": $CUR1, \"as_of\": \"$AS_OF\"}"
assert_eq 0 "$(pyj "$R" 'len(d["submissions"])')" "nothing after the new cursor"
assert_eq "$CUR1" "$(pyj "$R" 'd["cursor"]')" "cursor stays"

step "resubmit: revision 3; revision 2 stays returned; accept revision 3"
rpc1 UBND-A Submit "$(district_report 3 2026-annual "Đã bổ sung số liệu")"
assert_eq OK "$ST" "resubmit ($MSG)"
SID3=$(pyj "$R" 'd["submission_id"]')
assert_eq 3 "$(pyj "$R" 'd["revision"]')" "revision 3"
rpc1 OPS Review "{\"request_uuid\": \"$(uuid 54)\", \"submission_id\": $SID3, \"decision\": \"accept\"}"
assert_eq OK "$ST" "accept by the operator ($MSG)"
assert_eq accepted "$(pyj "$R" 'd["state"]')" "accepted"
assert_eq "1|f|superseded
2|f|returned
3|t|accepted" "$(sql "select revision, current, state from submission s join agency a on a.id = s.agency_id where a.code = 'UBND-A' order by revision")" "history"
assert_eq 0 "$(sql "select count(*) from (select agency_id, period_id from submission where current group by 1, 2 having count(*) <> 1) x")" "exactly one current per agency and period"
rpc1 UBND-A Pull "{\"plan_version\": 1, \"since\": $CUR1, \"as_of\": \"$AS_OF\"}"
assert_eq '[["returned", 2], ["accepted", 3]]' "$(pyj "$R" '[[s["state"], s["revision"]] for s in d["submissions"]]')" "rows changed after the cursor, as they are now, in change order"
rpc1 SNN Submissions '{"period_code": "2026-annual", "state": "accepted"}'
assert_eq "[[\"UBND-A\", 3]]" "$(pyj "$R" '[[s["agency"]["code"], s["state"]["revision"]] for s in d["submissions"]]')" "admin list filtered"

step "late and unknown periods; an agency without duties there"
rpc1 UBND-A Submit "$(district_report 4 2025-six_month "Báo cáo muộn")"
assert_eq OK "$ST" "late submit ($MSG)"
assert_eq false "$(pyj "$R" 'd["on_time"]')" "late"
rpc1 UBND-A Submit "$(district_report 5 2099-annual "x")"
assert_eq NOT_FOUND "$ST" "unknown period"
assert_contains "$MSG" "period_code" "names the field"
rpc1 SNN Submit "{\"request_uuid\": \"$(uuid 6)\", \"period_code\": \"2026-annual\", \"values\": [{\"key\": \"ocop_products\", \"value\": \"1\"}]}"
assert_eq INVALID_ARGUMENT "$ST" "an indicator SNN does not report"
assert_contains "$MSG" "values[0].key" "names the field"
rpc1 UBND-B Submit "{\"request_uuid\": \"$(uuid 7)\", \"period_code\": \"2026-annual\", \"values\": [{\"key\": \"ocop_products\", \"value\": \"3\"}]}"
assert_eq INVALID_ARGUMENT "$ST" "a required indicator missing"
assert_contains "$MSG" "clean_water_share is required" "names the indicator"
rpc1 UBND-B Submit "{\"request_uuid\": \"$(uuid 8)\", \"period_code\": \"2026-annual\", \"values\": [{\"key\": \"ocop_products\", \"value\": \"3\"}, {\"key\": \"clean_water_share\", \"value\": \"90\"}]}"
assert_eq INVALID_ARGUMENT "$ST" "a share without numerator and denominator"
assert_contains "$MSG" "values[1]" "names the field"
rpc1 UBND-B Submit "{\"request_uuid\": \"$(uuid 9)\", \"period_code\": \"2026-annual\", \"values\": [{\"key\": \"ocop_products\", \"value\": \"3\"}, {\"key\": \"clean_water_share\", \"note\": \"chưa có số liệu\"}]}"
assert_eq OK "$ST" "an explicit no-data entry ($MSG)"

info "server log has no errors"
if grep -E '\b(error|ERROR)\b' "$SERVER_LOG" | grep -v 'log_level' >/dev/null; then
    grep -E '\b(error|ERROR)\b' "$SERVER_LOG" | head -5
    fail "errors in the server log"
fi
step "done"
