#!/bin/bash
# test_task_board: TaskBoard on a real server and PostgreSQL, by direct RPC
# (rpc.py), on 10 June 2025 for the 2025 six-month period (deadline
# 15 June): the lead's status and progress (the least advanced lead when a
# group leads), each coordinating agency's contribution, deadline states
# (overdue: a date passed and not completed; done; continuous; due each
# period; on schedule), overdue first then section order, and the filters by
# section, agency and status; summary rows. A reporter gets PERMISSION_DENIED.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/report_lib.sh"
source "$(dirname "$0")/oversight_lib.sh"

P=2025-six_month

step "start PostgreSQL, PKI, tamnongd on 10 June 2025; agencies; the oversight plan"
oversight_setup 2025-06-10T09:00:00+07:00

update() { # AGENCY UUID-N TASK STATUS PROGRESS [BASE-VERSION]
    rpc1 "$1" TaskUpdate "{\"request_uuid\": \"$(uuid "$2")\", \"task_code\": \"$3\", \"status\": \"$4\", \"progress\": $5, \"note\": \"ghi chú $1\", \"base_version\": ${6:-0}}"
    assert_eq OK "$ST" "task update $1 $3 ($MSG)"
}
board() { # FILTERS-JSON (without the braces)
    rpc1 SNN TaskBoard "{\"period_code\": \"$P\"${1:+, $1}}"
    assert_eq OK "$ST" "task board ${1:-} ($MSG)"
}
row() { # CODE EXPR: EXPR on the row of task CODE as d
    pyj "$(pyj "$R" "[r for r in d['rows'] if r['task']['code'] == '$1'][0]")" "$2"
}

step "statuses: SNN completed III.1.a, UBND-A contributed; SCT works on the overdue III.2.b"
update SNN 1 III.1.a completed 100
update UBND-A 2 III.1.a in_progress 60
update SCT 3 III.2.b in_progress 30
update SNN 4 III.2.b in_progress 80
update UBND-A 5 III.2.a in_progress 40
update UBND-B 6 III.2.a not_started 0

step "the board: overdue first, then section order"
board
assert_eq "$P" "$(pyj "$R" 'd["period"]["code"]')" "period"
assert_eq 2025-06-15 "$(pyj "$R" 'd["as_of"]')" "assignments resolved on the deadline day"
assert_eq '["III.2.b", "III.1.a", "III.1.b", "III.1.c", "III.2.a"]' "$(pyj "$R" '[r["task"]["code"] for r in d["rows"]]')" "order"
assert_eq '["overdue", "done", "continuous", "due", "on_schedule"]' "$(pyj "$R" '[r["deadline_state"] for r in d["rows"]]')" "deadline states"
assert_eq '["2025-03-31", "2025-01-31", "", "", "2025-12-31"]' "$(pyj "$R" '[r["due_date"] for r in d["rows"]]')" "due dates"

step "the lead's status and progress; coordinating contributions"
assert_eq in_progress "$(row III.2.b 'd["status"]')" "III.2.b status (SCT)"
assert_eq 30 "$(row III.2.b 'd["progress"]')" "III.2.b progress (SCT's, not SNN's 80)"
assert_eq '[["SCT", "lead", "in_progress", 30], ["SNN", "coordinating", "in_progress", 80]]' \
    "$(row III.2.b '[[c["agency"]["code"], c["role"], c["status"]["status"], c["status"]["progress"]] for c in d["contributions"]]')" "III.2.b contributions"
assert_eq completed "$(row III.1.a 'd["status"]')" "III.1.a completed"
assert_eq '["SNN", "UBND-A", "UBND-B", "UBND-C"]' "$(row III.1.a '[c["agency"]["code"] for c in d["contributions"]]')" "lead first, then the districts"
assert_eq '[1, 1, 0, 0]' "$(row III.1.a '[c["status"]["version"] for c in d["contributions"]]')" "SNN and UBND-A reported once, B and C never"
assert_eq "ghi chú UBND-A" "$(row III.1.a '[c["status"]["note"] for c in d["contributions"] if c["agency"]["code"] == "UBND-A"][0]')" "UBND-A's note"
assert_eq '[1, 1, 3, 1]' "$(row III.1.a '[d["leads"], d["leads_reported"], d["coordinators"], d["coordinators_reported"]]')" "counts"
assert_eq '["SNN"]' "$(row III.1.a '[a["code"] for a in d["task"]["lead"]]')" "lead list"
assert_eq '["UBND-A", "UBND-B", "UBND-C"]' "$(row III.1.a '[a["code"] for a in d["task"]["coordinating"]]')" "coordinating list"
assert_eq not_reported "$(row III.2.a 'd["status"]')" "III.2.a: UBND-C (a lead) has not reported"
assert_eq 0 "$(row III.2.a 'd["progress"]')" "III.2.a: the lowest progress"
assert_eq '[3, 2]' "$(row III.2.a '[d["leads"], d["leads_reported"]]')" "III.2.a leads"
assert_eq not_reported "$(row III.1.b 'd["status"]')" "III.1.b never reported"

step "when every district leads and has reported: the least advanced one"
update UBND-C 7 III.2.a in_progress 70
board
assert_eq not_started "$(row III.2.a 'd["status"]')" "III.2.a: UBND-B has not started"
assert_eq 0 "$(row III.2.a 'd["progress"]')" "lowest progress"

step "filters: section, agency (with its role), status"
board '"section": "2"'
assert_eq '["III.2.b", "III.2.a"]' "$(pyj "$R" '[r["task"]["code"] for r in d["rows"]]')" "section III.2"
board '"section": "III.1"'
assert_eq '["III.1.a", "III.1.b", "III.1.c"]' "$(pyj "$R" '[r["task"]["code"] for r in d["rows"]]')" "section III.1"
board '"agency_code": "UBND-A"'
assert_eq '[["III.1.a", "coordinating"], ["III.2.a", "lead"]]' "$(pyj "$R" '[[r["task"]["code"], r["task"]["role"]] for r in d["rows"]]')" "UBND-A's tasks"
board '"agency_code": "SNN"'
assert_eq '["III.2.b", "III.1.a", "III.1.c"]' "$(pyj "$R" '[r["task"]["code"] for r in d["rows"]]')" "SNN's tasks, overdue first"
board '"status": "not_reported"'
assert_eq '["III.1.b", "III.1.c"]' "$(pyj "$R" '[r["task"]["code"] for r in d["rows"]]')" "not reported"
board '"status": "in_progress", "section": "2"'
assert_eq '["III.2.b"]' "$(pyj "$R" '[r["task"]["code"] for r in d["rows"]]')" "in progress in III.2"
board '"summary": true'
assert_eq 0 "$(pyj "$R" 'sum(len(r["contributions"]) + len(r["task"]["lead"]) for r in d["rows"])')" "summary: no lists"
assert_eq '[3, 3]' "$(row III.2.a '[d["leads"], d["leads_reported"]]')" "summary: counts"

step "the overdue task completed: done, no longer first"
update SCT 8 III.2.b completed 100 1
board
assert_eq done "$(row III.2.b 'd["deadline_state"]')" "III.2.b done"
assert_eq III.1.a "$(pyj "$R" 'd["rows"][0]["task"]["code"]')" "section order again"

step "a reporter may not see the board; bad filters are refused"
rpc1 UBND-A TaskBoard "{\"period_code\": \"$P\"}"
assert_eq PERMISSION_DENIED "$ST" "reporter"
rpc1 SNN TaskBoard "{\"period_code\": \"$P\", \"status\": \"finished\"}"
assert_eq INVALID_ARGUMENT "$ST" "bad status"
assert_contains "$MSG" "status:" "names the field"
rpc1 SNN TaskBoard "{\"period_code\": \"$P\", \"agency_code\": \"NOPE\"}"
assert_eq NOT_FOUND "$ST" "unknown agency"
rpc1 SNN TaskBoard '{"period_code": "2099-annual"}'
assert_eq NOT_FOUND "$ST" "unknown period"
echo "ok"
