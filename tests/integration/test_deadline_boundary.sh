#!/bin/bash
# test_deadline_boundary: on time is judged by the server's clock at the
# deadline boundary (issue 5). The 2025 6-month deadline is 15 June, until
# the end of that day in Asia/Ho_Chi_Minh. With the server's clock standing
# at 2025-06-15 23:59:59 +07:00 (test_clock + test_clock_frozen: a test-only
# way to set the server's clock, not the machine's), UBND-A's report is on
# time; the server restarted with its clock at 2025-06-16 00:00:01 +07:00,
# UBND-B's report is late. The receipts and `admin status --json` agree, and
# UBND-A's report stays on time after the deadline has passed.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/report_lib.sh"

P=2025-six_month
DEADLINE_MS=1750006800000 # 2025-06-16T00:00:00+07:00

step "server clock frozen at 2025-06-15 23:59:59 +07:00"
report_setup "test_clock=2025-06-15T23:59:59+07:00" "test_clock_frozen=yes"
grep -q "TEST CLOCK FROZEN" "$SERVER_LOG" || fail "tamnongd did not warn that its clock stands still"

step "UBND-A submits at 23:59:59: on time"
rpc1 UBND-A Submit "$(district_report 1 $P "Kết quả A")"
assert_eq OK "$ST" "submit UBND-A ($MSG)"
assert_eq $((DEADLINE_MS - 1000)) "$(pyj "$R" 'd["received_at_ms"]')" "received at 23:59:59 (server clock)"
assert_eq true "$(pyj "$R" 'd["on_time"]')" "UBND-A on time"
assert_eq $DEADLINE_MS "$(pyj "$R" 'd["deadline_at_ms"]')" "deadline in the receipt"
tn SNN admin status $P --json
assert_eq 0 "$RC" "admin status ($ERR)"
assert_eq false "$(pyj "$OUT" 'd["deadline_passed"]')" "deadline not passed at 23:59:59"
assert_eq '["submitted", true, "2025-06-15T16:59:59.000Z"]' "$(pyj "$OUT" '[[r["status"], r["on_time"], r["received_at"]] for r in d["reporters"] if r["agency"] == "UBND-A"][0]')" "status of UBND-A"
assert_eq '["missing", null]' "$(pyj "$OUT" '[[r["status"], r["on_time"]] for r in d["reporters"] if r["agency"] == "UBND-B"][0]')" "status of UBND-B"

step "server restarted with its clock at 2025-06-16 00:00:01 +07:00"
server_stop
assert_eq 0 "$SERVER_RC" "server exit"
server_start "test_clock=2025-06-16T00:00:01+07:00" "test_clock_frozen=yes"

step "UBND-B submits at 00:00:01 on 16 June: late"
rpc1 UBND-B Submit "$(district_report 2 $P "Kết quả B")"
assert_eq OK "$ST" "submit UBND-B ($MSG)"
assert_eq $((DEADLINE_MS + 1000)) "$(pyj "$R" 'd["received_at_ms"]')" "received at 00:00:01 (server clock)"
assert_eq false "$(pyj "$R" 'd["on_time"]')" "UBND-B late"
assert_eq $DEADLINE_MS "$(pyj "$R" 'd["deadline_at_ms"]')" "deadline in the receipt"
tn SNN admin status $P --json
assert_eq 0 "$RC" "admin status ($ERR)"
assert_eq true "$(pyj "$OUT" 'd["deadline_passed"]')" "deadline passed at 00:00:01"
assert_eq '["submitted", true]' "$(pyj "$OUT" '[[r["status"], r["on_time"]] for r in d["reporters"] if r["agency"] == "UBND-A"][0]')" "UBND-A still on time"
assert_eq '["submitted", false, "2025-06-15T17:00:01.000Z"]' "$(pyj "$OUT" '[[r["status"], r["on_time"], r["received_at"]] for r in d["reporters"] if r["agency"] == "UBND-B"][0]')" "UBND-B late"
assert_eq '{"expected": 2, "submitted": 2, "on_time": 1, "late": 1, "missing": 0}' \
    "$(pyj "$OUT" '[{k: t[k] for k in ("expected", "submitted", "on_time", "late", "missing")} for t in d["totals"] if t["kind"] == "district"][0]')" "district totals"
assert_eq UBND-B "$(pyj "$OUT" '[r["agency"] for r in d["reporters"] if r["status"] != "missing"][0]')" "the late report is listed before the one on time"
