#!/bin/bash
# test_report_nul: a NUL byte inside a string field is refused with
# INVALID_ARGUMENT naming the field, and nothing is stored. protobuf-c hands
# strings over NUL-terminated, so without the raw check (common/pb_text.c,
# called by dispatch before the handler) "abc\0def" would silently arrive
# as "abc".
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/report_lib.sh"

step "start PostgreSQL, PKI, tamnongd; agencies; the test plan imported"
report_setup

step "NUL inside strings, at the top and nested in repeated fields"
rpc1 UBND-A Submit "$(district_report 1 2026-annual 'abc\u0000def')"
assert_eq INVALID_ARGUMENT "$ST" "NUL in results ($MSG)"
assert_contains "$MSG" "results" "names the field"
REQ=$(pyj "$(district_report 2 2026-annual ok)" 'json.dumps(dict(d, values=[d["values"][0], dict(d["values"][1], note="a\u0000b")]))')
rpc1 UBND-A Submit "$REQ"
assert_eq INVALID_ARGUMENT "$ST" "NUL in a nested note ($MSG)"
assert_contains "$MSG" "values[1].note" "names the field"
rpc1 UBND-A TaskUpdate "{\"request_uuid\": \"$(uuid 3)\", \"task_code\": \"III.1.c\", \"status\": \"completed\", \"progress\": 100, \"note\": \"x\\u0000y\"}"
assert_eq INVALID_ARGUMENT "$ST" "NUL in a task note ($MSG)"
assert_contains "$MSG" "note" "names the field"
assert_eq "0|0|0" "$(sql "select (select count(*) from submission), (select count(*) from task_status), (select count(*) from request_log)")" "nothing stored"
step "done"
