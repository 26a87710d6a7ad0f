#!/bin/bash
# test_deadline_extend: deadline extensions (issue 5). The server's clock is
# 20 June 2025, after the 2025 6-month deadline (15 June): two districts
# submit late. An extension for one of them only makes that one on time
# (receipts, Submissions, Pull, Periods, `admin status`), the other stays
# late. A reason is required; a day not after the deadline, or not after
# the agency's current deadline, is refused; a reporter may neither extend
# nor see the status (PERMISSION_DENIED, exit 77); the same request id
# replayed is a replay and nothing is doubled.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/report_lib.sh"

P=2025-six_month
DEADLINE_MS=1750006800000 # 2025-06-16T00:00:00+07:00, the end of 15 June in Hanoi
EXT_MS=1750870800000      # 2025-06-26T00:00:00+07:00, the end of 25 June

step "server clock 2025-06-20; agencies; the test plan imported"
report_setup "test_clock=2025-06-20T10:00:00+07:00"

step "UBND-A and UBND-B submit after the deadline: both late"
rpc1 UBND-A Submit "$(district_report 1 $P "Kết quả A")"
assert_eq OK "$ST" "submit UBND-A ($MSG)"
assert_eq false "$(pyj "$R" 'd["on_time"]')" "UBND-A on time"
assert_eq $DEADLINE_MS "$(pyj "$R" 'd["deadline_at_ms"]')" "UBND-A deadline in the receipt"
SID_A=$(pyj "$R" 'd["submission_id"]')
rpc1 UBND-B Submit "$(district_report 2 $P "Kết quả B")"
assert_eq OK "$ST" "submit UBND-B ($MSG)"
assert_eq false "$(pyj "$R" 'd["on_time"]')" "UBND-B on time"
rpc1 UBND-A Pull '{}'
CUR_A=$(pyj "$R" 'd["cursor"]')

step "a reporter may neither extend nor see the status: PERMISSION_DENIED, exit 77"
rpc1 UBND-A DeadlineExtend "{\"request_uuid\": \"$(uuid 90)\", \"period_code\": \"$P\", \"agency_code\": \"UBND-A\", \"until\": \"2025-06-25\", \"reason\": \"tự gia hạn\"}"
assert_eq PERMISSION_DENIED "$ST" "DeadlineExtend as UBND-A"
rpc1 UBND-A PeriodStatus "{\"period_code\": \"$P\"}"
assert_eq PERMISSION_DENIED "$ST" "PeriodStatus as UBND-A"
TN_ROLE[UBND-A]=none # the agency's certificate alone: no admin rights
tn UBND-A admin extend $P --agency UBND-A --until 2025-06-25 --reason "tự gia hạn"
assert_eq 77 "$RC" "admin extend as UBND-A"
assert_contains "$ERR" "reviewer" "admin extend as UBND-A: message"
tn UBND-A admin status $P
assert_eq 77 "$RC" "admin status as UBND-A"
assert_eq 0 "$(sql "select count(*) from deadline_extension")" "no extension recorded"

step "a reason is required; a day not after the deadline is refused"
tn SNN admin extend $P --agency UBND-A --until 2025-06-25
assert_eq 64 "$RC" "admin extend without --reason"
assert_contains "$ERR" "--reason" "message without --reason"
tn SNN admin extend $P --agency UBND-A --until 2025-06-25 --reason "   "
assert_eq 64 "$RC" "admin extend with a blank reason"
rpc1 SNN DeadlineExtend "{\"request_uuid\": \"$(uuid 91)\", \"period_code\": \"$P\", \"agency_code\": \"UBND-A\", \"until\": \"2025-06-25\", \"reason\": \"  \"}"
assert_eq INVALID_ARGUMENT "$ST" "DeadlineExtend with a blank reason"
assert_contains "$MSG" "reason" "message names the field"
tn SNN admin extend $P --agency UBND-A --until 2025-06-10 --reason "nhầm ngày"
assert_eq 65 "$RC" "admin extend to a day before the deadline"
assert_contains "$ERR" "not after the deadline" "message for an earlier day"
rpc1 SNN DeadlineExtend "{\"request_uuid\": \"$(uuid 92)\", \"period_code\": \"$P\", \"until\": \"2025-06-15\", \"reason\": \"cùng ngày\"}"
assert_eq INVALID_ARGUMENT "$ST" "DeadlineExtend to the deadline day itself"
rpc1 SNN DeadlineExtend "{\"request_uuid\": \"$(uuid 93)\", \"period_code\": \"$P\", \"agency_code\": \"OPS\", \"until\": \"2025-06-25\", \"reason\": \"không có nhiệm vụ\"}"
assert_eq FAILED_PRECONDITION "$ST" "DeadlineExtend for an agency that does not report"
rpc1 SNN DeadlineExtend "{\"request_uuid\": \"$(uuid 94)\", \"period_code\": \"$P\", \"agency_code\": \"NOBODY\", \"until\": \"2025-06-25\", \"reason\": \"x\"}"
assert_eq NOT_FOUND "$ST" "DeadlineExtend for an unknown agency"
rpc1 SNN DeadlineExtend "{\"request_uuid\": \"$(uuid 95)\", \"period_code\": \"2099-six_month\", \"until\": \"2099-06-25\", \"reason\": \"x\"}"
assert_eq NOT_FOUND "$ST" "DeadlineExtend for an unknown period"
rpc1 SNN DeadlineExtend "{\"request_uuid\": \"$(uuid 96)\", \"period_code\": \"$P\", \"until\": \"2025-02-30\", \"reason\": \"x\"}"
assert_eq INVALID_ARGUMENT "$ST" "DeadlineExtend to a day that does not exist"
assert_eq 0 "$(sql "select count(*) from deadline_extension")" "no extension recorded after the refusals"

step "extend UBND-A only, to 25 June: UBND-A's report becomes on time, UBND-B's stays late"
tn SNN admin extend $P --agency UBND-A --until 2025-06-25 --reason "Lũ quét làm hỏng đường truyền" --json
assert_eq 0 "$RC" "admin extend ($ERR)"
assert_eq 1 "$(pyj "$OUT" 'd["became_on_time"]')" "reports made on time"
assert_eq false "$(pyj "$OUT" 'd["replay"]')" "not a replay"
assert_eq "2025-06-25T17:00:00.000Z" "$(pyj "$OUT" 'd["deadline_at"]')" "new deadline (end of 25 June, Hanoi)"
assert_eq "Lũ quét làm hỏng đường truyền" "$(sql "select reason from deadline_extension")" "reason recorded"
assert_eq SNN "$(sql "select g.code from deadline_extension e join agency g on g.id = e.granted_by")" "granted by"

rpc1 OPS Submissions "{\"period_code\": \"$P\"}"
assert_eq '{"UBND-A": true, "UBND-B": false}' "$(pyj "$R" '{s["agency"]["code"]: s["state"]["on_time"] for s in d["submissions"]}')" "Submissions: on time"
rpc1 UBND-A Pull "{\"plan_version\": 1, \"since\": $CUR_A}"
assert_eq "[[$SID_A, true]]" "$(pyj "$R" '[[s["submission_id"], s["on_time"]] for s in d["submissions"]]')" "Pull sends UBND-A's submission again, on time"
assert_eq "[$EXT_MS, \"Lũ quét làm hỏng đường truyền\"]" "$(pyj "$R" '[[p["extended_deadline_at_ms"], p["extension_reason"]] for p in d["periods"] if p["code"] == "'$P'"][0]')" "Pull: UBND-A's period shows its extension"
rpc1 UBND-B Pull '{}'
assert_eq '[0, ""]' "$(pyj "$R" '[[p["extended_deadline_at_ms"], p["extension_reason"]] for p in d["periods"] if p["code"] == "'$P'"][0]')" "Pull: UBND-B has no extension"
assert_eq "[false]" "$(pyj "$R" '[s["on_time"] for s in d["submissions"]]')" "Pull: UBND-B's report still late"
rpc1 UBND-A Periods '{"year": 2025}'
assert_eq "$EXT_MS" "$(pyj "$R" '[p["extended_deadline_at_ms"] for p in d["periods"] if p["code"] == "'$P'"][0]')" "Periods: UBND-A's extension"
rpc1 UBND-B Periods '{"year": 2025}'
assert_eq 0 "$(pyj "$R" '[p["extended_deadline_at_ms"] for p in d["periods"] if p["code"] == "'$P'"][0]')" "Periods: none for UBND-B"
tn UBND-A periods --year 2025 --json
assert_eq 0 "$RC" "tamnong periods as UBND-A ($ERR)"
assert_eq '["2025-06-25", "Lũ quét làm hỏng đường truyền"]' \
    "$(pyj "$OUT" '[[p["extended_deadline"], p["extension_reason"]] for p in d if p["code"] == "'$P'"][0]')" \
    "tamnong periods --json: UBND-A's extended last day and reason"
tn UBND-A periods --year 2025
assert_contains "$OUT" "2025-06-15, extended to 2025-06-25" "tamnong periods: the extension in the table"
assert_contains "$OUT" "Lũ quét làm hỏng đường truyền" "tamnong periods: and its reason"
tn UBND-B periods --year 2025 --json
assert_eq '[null, null]' \
    "$(pyj "$OUT" '[[p["extended_deadline"], p["extension_reason"]] for p in d if p["code"] == "'$P'"][0]')" \
    "tamnong periods --json: no extension for UBND-B"

tn SNN admin status $P --json
assert_eq 0 "$RC" "admin status ($ERR)"
ST_A=$(pyj "$OUT" '[r for r in d["reporters"] if r["agency"] == "UBND-A"][0]')
ST_B=$(pyj "$OUT" '[r for r in d["reporters"] if r["agency"] == "UBND-B"][0]')
assert_eq true "$(pyj "$ST_A" 'd["on_time"]')" "status: UBND-A on time"
assert_eq "2025-06-25T17:00:00.000Z" "$(pyj "$ST_A" 'd["deadline_at"]')" "status: UBND-A's deadline"
assert_eq "Lũ quét làm hỏng đường truyền" "$(pyj "$ST_A" 'd["extension_reason"]')" "status: UBND-A's extension reason"
assert_eq false "$(pyj "$ST_B" 'd["on_time"]')" "status: UBND-B late"
assert_eq "2025-06-15T17:00:00.000Z" "$(pyj "$ST_B" 'd["deadline_at"]')" "status: UBND-B's deadline"
assert_eq null "$(pyj "$ST_B" 'd["extension_reason"]')" "status: UBND-B has no extension"
assert_eq '[1, 1]' "$(pyj "$OUT" '[[t["on_time"], t["late"]] for t in d["totals"] if t["kind"] == "district"][0]')" "status: districts on time / late"
tn SNN admin status $P
assert_eq 0 "$RC" "admin status, human"
assert_contains "$OUT" "extended: Lũ quét" "human status shows the extension"

step "a new revision of UBND-A on 20 June is on time against its extended deadline"
rpc1 UBND-A Submit "$(district_report 3 $P "Kết quả A, sửa")"
assert_eq OK "$ST" "resubmit UBND-A ($MSG)"
assert_eq true "$(pyj "$R" 'd["on_time"]')" "revision 2 on time"
assert_eq $EXT_MS "$(pyj "$R" 'd["deadline_at_ms"]')" "receipt: the effective deadline"

step "an extension that does not give more time is refused"
tn SNN admin extend $P --agency UBND-A --until 2025-06-22 --reason "rút ngắn"
assert_eq 65 "$RC" "a shorter extension for UBND-A"
assert_contains "$ERR" "only give more time" "message for a shorter extension"

step "the same request id replayed: the stored receipt, nothing doubled"
REQ="{\"request_uuid\": \"$(uuid 100)\", \"period_code\": \"$P\", \"until\": \"2025-06-21\", \"reason\": \"Sự cố mạng toàn tỉnh\"}"
STEPS=$(python3 -c 'import json, sys; m = json.loads(sys.argv[1]); print(json.dumps([{"m": "DeadlineExtend", "msg": m}] * 3))' "$REQ")
rpc OPS "$STEPS"
assert_eq 0 "$RC" "3 extends"
assert_eq '["OK", "OK", "OK"]' "$(pyj "$OUT" '[x["status"] for x in d]')" "statuses"
assert_eq '[false, true, true]' "$(pyj "$OUT" '[x["resp"]["replay"] for x in d]')" "replay flags"
assert_eq 1 "$(pyj "$OUT" 'len({x["resp"]["extension_id"] for x in d})')" "one extension id"
assert_eq 1 "$(pyj "$OUT" 'd[0]["resp"]["became_on_time"]')" "UBND-B's report made on time by the all-reporters extension"
assert_eq 2 "$(sql "select count(*) from deadline_extension")" "two extensions in all"
assert_eq 1 "$(sql "select count(*) from deadline_extension where agency_id is null")" "one for every reporter"
rpc1 OPS DeadlineExtend "{\"request_uuid\": \"$(uuid 100)\", \"period_code\": \"$P\", \"until\": \"2025-06-22\", \"reason\": \"Sự cố mạng toàn tỉnh\"}"
assert_eq ALREADY_EXISTS "$ST" "same id, other content"
assert_eq 2 "$(sql "select count(*) from deadline_extension")" "still two extensions"

step "UBND-A keeps its later deadline; UBND-B has the all-reporters one"
rpc1 OPS PeriodStatus "{\"period_code\": \"$P\", \"agency_kind\": \"district\"}"
assert_eq OK "$ST" "PeriodStatus ($MSG)"
assert_eq "{\"UBND-A\": [$EXT_MS, true], \"UBND-B\": [1750525200000, true]}" "$(pyj "$R" '{r["agency"]["code"]: [r["deadline_at_ms"], r["on_time"]] for r in d["reporters"]}')" "deadlines and on time"
assert_eq '["", "district"]' "$(pyj "$R" '[t["kind"] for t in d["totals"]]')" "totals rows with --kind district"
assert_eq true "$(pyj "$R" 'd["deadline_passed"]')" "deadline passed"
rpc1 OPS PeriodStatus "{\"period_code\": \"$P\", \"agency_kind\": \"village\"}"
assert_eq INVALID_ARGUMENT "$ST" "unknown kind"
rpc1 OPS PeriodStatus '{"period_code": "2099-annual"}'
assert_eq NOT_FOUND "$ST" "unknown period"

step "the extension table is append-only: nothing was updated"
assert_eq "2025-06-25 2025-06-21" "$(sql "select string_agg(until::text, ' ' order by id) from deadline_extension")" "extensions as granted"
