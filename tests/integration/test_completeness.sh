#!/bin/bash
# test_completeness: `admin status` for one period (issue 5). The four
# expected reporters of the test plan end up: SCT on time and accepted,
# UBND-A on time but returned, UBND-B late, SNN missing. The counts per kind
# (and the all-kinds row first), the list order (missing, late, returned
# first) and each agency's line are checked in JSON and in the Vietnamese
# table. Then the revision that counts: SCT's late revision 2 after the
# acceptance keeps SCT on time (the accepted revision counts), UBND-A's late
# correction of its returned report makes it late (nothing accepted: the
# current one counts).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/report_lib.sh"

P=2025-six_month

sct_report() { # UUID-N
    cat <<EOF2
{"request_uuid": "$(uuid "$1")", "period_code": "$P",
 "values": [{"key": "export_value", "value": "310.5"}],
 "results": "Xuất khẩu tăng", "difficulties": "", "recommendations": "", "proposals": "",
 "tasks": [{"task_code": "III.1.b", "status": "in_progress", "progress": 50, "note": ""}]}
EOF2
}

step "server clock 2025-06-10 (before the deadline); agencies; the test plan imported"
report_setup "test_clock=2025-06-10T09:00:00+07:00"

step "nothing submitted: everybody missing"
tn SNN admin status $P --json
assert_eq 0 "$RC" "admin status ($ERR)"
assert_eq '[["", 4, 4], ["department", 2, 2], ["district", 2, 2]]' "$(pyj "$OUT" '[[t["kind"], t["expected"], t["missing"]] for t in d["totals"]]')" "expected and missing"
assert_eq '["SCT", "SNN", "UBND-A", "UBND-B"]' "$(pyj "$OUT" 'sorted(r["agency"] for r in d["reporters"])')" "expected reporters"
assert_eq false "$(pyj "$OUT" 'd["deadline_passed"]')" "deadline not passed on 10 June"

step "on time: SCT (then accepted) and UBND-A (then returned)"
rpc1 SCT Submit "$(sct_report 1)"
assert_eq OK "$ST" "submit SCT ($MSG)"
assert_eq true "$(pyj "$R" 'd["on_time"]')" "SCT on time"
SID_SCT=$(pyj "$R" 'd["submission_id"]')
rpc1 UBND-A Submit "$(district_report 2 $P "Kết quả A")"
assert_eq OK "$ST" "submit UBND-A ($MSG)"
SID_A=$(pyj "$R" 'd["submission_id"]')
rpc1 SNN Review "{\"request_uuid\": \"$(uuid 3)\", \"submission_id\": $SID_SCT, \"decision\": \"accept\"}"
assert_eq OK "$ST" "accept SCT ($MSG)"
rpc1 SNN Review "{\"request_uuid\": \"$(uuid 4)\", \"submission_id\": $SID_A, \"decision\": \"return\", \"reason\": \"Thiếu số liệu nước sạch của 3 xã\"}"
assert_eq OK "$ST" "return UBND-A ($MSG)"

step "server clock 2025-06-20 (after the deadline): UBND-B submits late"
server_stop
server_start "test_clock=2025-06-20T09:00:00+07:00"
rpc1 UBND-B Submit "$(district_report 5 $P "Kết quả B")"
assert_eq OK "$ST" "submit UBND-B ($MSG)"
assert_eq false "$(pyj "$R" 'd["on_time"]')" "UBND-B late"

step "the counts per kind and the list"
tn SNN admin status $P --json
assert_eq 0 "$RC" "admin status ($ERR)"
J=$OUT
TOT='[[t[k] for k in ("kind", "expected", "submitted", "on_time", "late", "missing", "returned", "accepted")] for t in d["totals"]]'
assert_eq '[["", 4, 3, 2, 1, 1, 1, 1], ["department", 2, 1, 1, 0, 1, 0, 1], ["district", 2, 2, 1, 1, 0, 1, 0]]' "$(pyj "$J" "$TOT")" "totals"
assert_eq true "$(pyj "$J" 'd["deadline_passed"]')" "deadline passed on 20 June"
assert_eq '[["SNN", "missing", null], ["UBND-B", "submitted", false], ["UBND-A", "returned", true], ["SCT", "accepted", true]]' \
    "$(pyj "$J" '[[r["agency"], r["status"], r["on_time"]] for r in d["reporters"]]')" "list: missing, late, returned, then the rest"
assert_eq '[null, null]' "$(pyj "$J" '[[r["submission_id"], r["received_at"]] for r in d["reporters"] if r["agency"] == "SNN"][0]')" "the missing one has no submission"
assert_eq "[$SID_A, 1, \"Thiếu số liệu nước sạch của 3 xã\"]" "$(pyj "$J" '[[r["submission_id"], r["revision"], r["review_reason"]] for r in d["reporters"] if r["agency"] == "UBND-A"][0]')" "the returned one: its id and why"
assert_eq '["department", "district"]' "$(pyj "$J" 'sorted({r["kind"] for r in d["reporters"]})')" "kinds"
tn SNN admin status $P --kind district --json
assert_eq 0 "$RC" "admin status --kind district ($ERR)"
assert_eq '[["", 2, 2, 1, 1, 0, 1, 0], ["district", 2, 2, 1, 1, 0, 1, 0]]' "$(pyj "$OUT" "$TOT")" "totals of districts"
assert_eq '["UBND-B", "UBND-A"]' "$(pyj "$OUT" '[r["agency"] for r in d["reporters"]]')" "only districts"
tn SNN admin status $P --kind province --json
assert_eq 0 "$RC" "admin status --kind province: nobody of that kind ($ERR)"
assert_eq '[["", 0, 0, 0, 0, 0, 0, 0]]' "$(pyj "$OUT" "$TOT")" "no reporter: the totals still come"
assert_eq '[]' "$(pyj "$OUT" 'd["reporters"]')" "and an empty list, not an empty reporter"
assert_eq "$P" "$(pyj "$OUT" 'd["period"]')" "and the period"
tn SNN admin status $P --kind village
assert_eq 64 "$RC" "--kind village"

step "the table, in Vietnamese"
LANGUAGE=vi tn SNN admin status $P
assert_eq 0 "$RC" "admin status in Vietnamese ($ERR)"
info "$OUT"
assert_contains "$OUT" "chưa nộp" "missing in Vietnamese"
assert_contains "$OUT" "muộn" "late in Vietnamese"
assert_contains "$OUT" "Thiếu số liệu nước sạch" "the reason of the return"
[ "$(grep -n 'SNN ' <<<"$OUT" | head -1 | cut -d: -f1)" -lt "$(grep -n 'SCT ' <<<"$OUT" | head -1 | cut -d: -f1)" ] ||
    fail "the missing agency is not listed before the accepted one"

step "the revision that counts: the accepted one, else the current one"
rpc1 SCT Submit "$(sct_report 6)"
assert_eq OK "$ST" "SCT revision 2 ($MSG)"
assert_eq false "$(pyj "$R" 'd["on_time"]')" "SCT revision 2 itself is late"
rpc1 UBND-A Submit "$(district_report 7 $P "Kết quả A, đã bổ sung")"
assert_eq OK "$ST" "UBND-A revision 2 ($MSG)"
tn SNN admin status $P --json
assert_eq 0 "$RC" "admin status ($ERR)"
assert_eq '[["SNN", "missing", null, null], ["UBND-A", "submitted", false, 2], ["UBND-B", "submitted", false, 1], ["SCT", "submitted", true, 2]]' \
    "$(pyj "$OUT" '[[r["agency"], r["status"], r["on_time"], r["revision"]] for r in d["reporters"]]')" "SCT on time by its accepted revision, UBND-A late by its current one"
assert_eq '["", 4, 3, 1, 2, 1, 0, 0]' "$(pyj "$OUT" "$TOT"'[0]')" "all-kinds totals"
