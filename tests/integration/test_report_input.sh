#!/bin/bash
# test_report_input: bad input to the reporting RPCs gets a clear error that
# names the field and changes nothing (invalid UTF-8, over-long texts, bad
# decimals, numerator > denominator, bad status / progress / uuid); SQL
# injection strings are stored verbatim. TaskUpdate: versions, a stale base
# is FAILED_PRECONDITION and changes nothing, a task that is not the
# agency's is NOT_FOUND, a replay returns the original receipt, Pull shows
# the status.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/report_lib.sh"

step "start PostgreSQL, PKI, tamnongd; agencies; the test plan imported"
report_setup

counts() {
    sql "select (select count(*) from submission), (select count(*) from submission_value),
                (select count(*) from request_log), (select count(*) from task_status),
                (select coalesce(max(version), 0) from task_status)"
}
BASE=$(counts)

# bad_submit WHAT FIELD PYTHON-EDIT: the district report edited by the
# python expression (on `d`) must be refused with INVALID_ARGUMENT naming FIELD.
N=100
bad_submit() {
    N=$((N + 1))
    local req
    req=$(pyj "$(district_report $N 2026-annual "ok")" "$3") || fail "edit $3"
    rpc1 UBND-A Submit "$req"
    assert_eq INVALID_ARGUMENT "$ST" "$1 ($MSG)"
    assert_contains "$MSG" "$2" "$1: message names the field"
    info "$1 -> $MSG"
}

step "Submit with bad fields: INVALID_ARGUMENT naming the field"
bad_submit "invalid UTF-8 in results" "results: not valid UTF-8" 'json.dumps(dict(d, results={"hex": "4b65cc74c328"}))'
bad_submit "invalid UTF-8 in a note" "values[0].note" 'json.dumps(dict(d, values=[dict(d["values"][0], note={"hex": "ff"}), d["values"][1]]))'
bad_submit "over-long narrative" "recommendations: longer than 20000 bytes" 'json.dumps(dict(d, recommendations="ă" * 10001))'
bad_submit "numerator over the denominator" "values[1].numerator: must not exceed the denominator" 'json.dumps(dict(d, values=[d["values"][0], dict(d["values"][1], numerator="5000.5")]))'
bad_submit "denominator 0" "values[1].denominator: must be greater than 0" 'json.dumps(dict(d, values=[d["values"][0], dict(d["values"][1], numerator="0", denominator="0")]))'
bad_submit "Vietnamese number notation" "values[0].value: not a number" 'json.dumps(dict(d, values=[dict(d["values"][0], value="9.000,5"), d["values"][1]]))'
bad_submit "a task status outside the vocabulary" "tasks[0].status" 'json.dumps(dict(d, tasks=[dict(d["tasks"][0], status="done")]))'
bad_submit "progress 101" "tasks[0].progress" 'json.dumps(dict(d, tasks=[dict(d["tasks"][0], progress=101)]))'
bad_submit "negative progress" "tasks[0].progress" 'json.dumps(dict(d, tasks=[dict(d["tasks"][0], progress=-1)]))'
bad_submit "a 15-byte request id" "request_uuid: must be 16 bytes" 'json.dumps(dict(d, request_uuid=d["request_uuid"][:30]))'
bad_submit "no request id" "request_uuid" 'json.dumps({k: v for k, v in d.items() if k != "request_uuid"})'
bad_submit "201 values" "values: more than 200" 'json.dumps(dict(d, values=[{"key": "k%d" % i, "value": "1"} for i in range(201)]))'
bad_submit "a task that is not the agency's" "tasks[0].task_code: III.1.b is not one of your tasks" 'json.dumps(dict(d, tasks=[dict(d["tasks"][0], task_code="III.1.b")]))'
bad_submit "an unknown indicator" "values[2].key: nope is not an indicator you report" 'json.dumps(dict(d, values=d["values"] + [{"key": "nope", "value": "1"}]))'
bad_submit "a value for a share" "values[1]" 'json.dumps(dict(d, values=[d["values"][0], {"key": "clean_water_share", "value": "90"}]))'
bad_submit "a numerator for a sum" "values[0]: ocop_products is not a share" 'json.dumps(dict(d, values=[{"key": "ocop_products", "value": "1", "numerator": "1", "denominator": "2"}, d["values"][1]]))'
assert_eq "$BASE" "$(counts)" "nothing changed by the refusals"

step "SQL injection strings and other text are stored verbatim"
EVIL="Robert'); DROP TABLE submission; -- \\\" \$\$ ; SELECT pg_sleep(10); /* ä 𝔸 */"
REQ=$(python3 -c 'import json, sys
d = json.loads(sys.argv[1]); e = sys.argv[2]
d["results"] = e; d["difficulties"] = e * 3; d["values"][0]["note"] = e
print(json.dumps(d))' "$(district_report 1 2026-annual x)" "$EVIL")
rpc1 UBND-A Submit "$REQ"
assert_eq OK "$ST" "submit with injection strings ($MSG)"
SID=$(pyj "$R" 'd["submission_id"]')
rpc1 UBND-A SubmissionGet "{\"submission_id\": $SID}"
assert_eq "$EVIL" "$(pyj "$R" 'd["results"]')" "results verbatim"
assert_eq "$EVIL$EVIL$EVIL" "$(pyj "$R" 'd["difficulties"]')" "difficulties verbatim"
assert_eq "$EVIL" "$(pyj "$R" 'd["values"][0]["note"]')" "note verbatim"
assert_eq "$EVIL" "$(sql "select note from submission_value where submission_id = $SID and indicator_key = 'ocop_products'")" "note in the table"
assert_eq 1 "$(sql "select count(*) from submission")" "the table is still there"

step "TaskUpdate: version 1, then a stale base is refused and changes nothing"
tu() { # N TASK BASE STATUS PROGRESS [NOTE]
    echo "{\"request_uuid\": \"$(uuid "$1")\", \"task_code\": \"$2\", \"base_version\": $3, \"status\": \"$4\", \"progress\": $5, \"note\": \"${6:-}\", \"evidence\": [\"https://example.org/bien-ban.pdf\"]}"
}
rpc1 UBND-A TaskUpdate "$(tu 200 III.1.c 0 in_progress 30 'bắt đầu')"
assert_eq OK "$ST" "first update ($MSG)"
assert_eq 1 "$(pyj "$R" 'd["version"]')" "version 1"
rpc1 UBND-A TaskUpdate "$(tu 200 III.1.c 0 in_progress 30 'bắt đầu')"
assert_eq true "$(pyj "$R" 'd["replay"]')" "the same update again: replay"
assert_eq 1 "$(pyj "$R" 'd["version"]')" "replay version"
rpc1 UBND-A TaskUpdate "$(tu 201 III.1.c 0 completed 100 'xong')"
assert_eq FAILED_PRECONDITION "$ST" "stale base"
assert_contains "$MSG" "task III.1.c was changed (version 1," "message"
assert_contains "$MSG" "since you edited version 0" "message"
info "$MSG"
assert_eq "in_progress|30|bắt đầu|1" "$(sql "select status, progress, note, version from task_status")" "unchanged"
rpc1 UBND-A TaskUpdate "$(tu 202 III.1.c 1 completed 100 'xong')"
assert_eq 2 "$(pyj "$R" 'd["version"]')" "version 2"
rpc1 UBND-A TaskUpdate "$(tu 203 III.1.b 0 completed 100)"
assert_eq NOT_FOUND "$ST" "a task UBND-A neither leads nor coordinates"
rpc1 UBND-A TaskUpdate "$(tu 204 III.9.z 0 completed 100)"
assert_eq NOT_FOUND "$ST" "a task that does not exist"
rpc1 UBND-A TaskUpdate "$(pyj "$(tu 205 III.1.a 0 completed 100)" 'json.dumps(dict(d, evidence=["sha256:" + "0" * 64]))')"
assert_eq FAILED_PRECONDITION "$ST" "evidence file not uploaded"
assert_contains "$MSG" "evidence[0]" "names the field"
rpc1 UBND-A TaskUpdate "$(tu 206 III.1.a 0 'done' 100)"
assert_eq INVALID_ARGUMENT "$ST" "bad status"
assert_contains "$MSG" "status" "names the field"
rpc1 UBND-A Pull '{}'
assert_eq '[["III.1.a", 0], ["III.1.c", 2]]' "$(pyj "$R" '[[a["task"]["code"], a["status"]["version"]] for a in d["assignments"]]')" "assignment statuses"
assert_eq '[["III.1.c", "completed", 100, "UBND-A"]]' "$(pyj "$R" '[[s["task_code"], s["status"], s["progress"], s["updated_by"]] for s in d["task_statuses"]]')" "task statuses"
assert_eq '["https://example.org/bien-ban.pdf"]' "$(pyj "$R" 'd["task_statuses"][0]["evidence"]')" "evidence"
rpc1 UBND-B Pull '{}'
assert_eq '[]' "$(pyj "$R" 'd["task_statuses"]')" "UBND-B sees none of UBND-A's statuses"

step "Pull, Submissions and Review with bad fields"
rpc1 UBND-A Pull '{"as_of": "2025-02-30"}'
assert_eq INVALID_ARGUMENT "$ST" "bad as_of"
rpc1 UBND-A Pull '{"since": -1}'
assert_eq INVALID_ARGUMENT "$ST" "negative since"
rpc1 UBND-A Submissions '{"state": "lost"}'
assert_eq INVALID_ARGUMENT "$ST" "bad state filter"
rpc1 SNN Review "{\"request_uuid\": \"$(uuid 300)\", \"submission_id\": $SID, \"decision\": \"maybe\"}"
assert_eq INVALID_ARGUMENT "$ST" "bad decision"
rpc1 SNN Review "{\"request_uuid\": \"$(uuid 301)\", \"submission_id\": $SID, \"decision\": \"return\", \"reason\": {\"hex\": \"c328\"}}"
assert_eq INVALID_ARGUMENT "$ST" "invalid UTF-8 reason"
assert_contains "$MSG" "reason" "names the field"
step "done"
