#!/bin/bash
# test_cross_agency: every method that takes an id or a key of agency data,
# called by agency A with agency B's id, answers as if the id did not exist
# (NOT_FOUND, or the very answer an unknown id gets: no existence oracle),
# and leaves B's rows as they were. The standing agency (scope all) still
# reaches B's rows, so the refusals are not an accident of the setup.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/report_lib.sh"

step "start PostgreSQL, PKI, tamnongd; agencies; the test plan imported; data of two agencies"
report_setup
report_two_agencies
B=$(sql "select id from agency where code = 'UBND-B'")
MISSING=$((SUB_A + SUB_B + 1000))
UNKNOWN_SHA=$(printf '%064x' 999999)

# Everything of B, as the owner sees it (one digest per table).
b_rows() {
    sql "select md5(string_agg(x, '|' order by x)) from (
           select 's' || t::text x from submission t where agency_id = $B
           union all select 'v' || v::text from submission_value v join submission s on s.id = v.submission_id where s.agency_id = $B
           union all select 'a' || f::text from submission_attachment f join submission s on s.id = f.submission_id where s.agency_id = $B
           union all select 't' || t::text from task_status t where agency_id = $B
           union all select 'r' || t::text from request_log t where agency_id = $B
           union all select 'o' || t::text from attachment_owner t where agency_id = $B
           union all select 'c' || t::text from attachment_chunk t where agency_id = $B) q"
}
B_BEFORE=$(b_rows)

# Answer without the ids, to compare B's id with an unknown one.
same_answer() { # WHAT: ST/MSG of the last call vs ST0/MSG0, ids masked
    assert_eq "$ST0" "$ST" "$1: status like an unknown id"
    assert_eq "${MSG0//$MISSING/ID}" "${MSG//$2/ID}" "$1: message like an unknown id"
}

step "SubmissionGet of B's submission as A: NOT_FOUND, like an unknown id"
rpc1 UBND-A SubmissionGet "{\"submission_id\": $MISSING}"
ST0=$ST MSG0=$MSG
assert_eq NOT_FOUND "$ST0" "unknown id ($MSG0)"
rpc1 UBND-A SubmissionGet "{\"submission_id\": $SUB_B}"
assert_eq NOT_FOUND "$ST" "B's id as A ($MSG)"
same_answer "SubmissionGet" "$SUB_B"
rpc1 UBND-A SubmissionGet "{\"submission_id\": $SUB_A}"
assert_eq OK "$ST" "A's own id ($MSG)"
rpc1 SNN SubmissionGet "{\"submission_id\": $SUB_B}"
assert_eq OK "$ST" "the standing agency reads B's submission ($MSG)"
assert_eq "Báo cáo của B" "$(pyj "$R" 'd["results"]')" "the standing agency sees B's content"

step "Submissions as A asking for B's agency code: A's own only"
rpc1 UBND-A Submissions '{"agency_code": "UBND-B"}'
assert_eq OK "$ST" "Submissions ($MSG)"
assert_eq '["UBND-A"]' "$(pyj "$R" 'sorted({s["agency"]["code"] for s in d["submissions"]})')" "agencies in A's list"
rpc1 SNN Submissions '{"agency_code": "UBND-B"}'
assert_eq '["UBND-B"]' "$(pyj "$R" 'sorted({s["agency"]["code"] for s in d["submissions"]})')" "the standing agency's list for UBND-B"

step "Review of B's submission by A: refused exactly as for an unknown id"
rpc1 UBND-A Review "{\"request_uuid\": \"$(uuid 900)\", \"submission_id\": $MISSING, \"decision\": \"accept\"}"
ST0=$ST MSG0=$MSG
rpc1 UBND-A Review "{\"request_uuid\": \"$(uuid 901)\", \"submission_id\": $SUB_B, \"decision\": \"accept\"}"
[ "$ST" = NOT_FOUND ] || [ "$ST" = PERMISSION_DENIED ] || fail "Review of B's id by A: $ST $MSG"
same_answer "Review" "$SUB_B"
rpc1 UBND-B Review "{\"request_uuid\": \"$(uuid 902)\", \"submission_id\": $SUB_B, \"decision\": \"accept\"}"
[ "$ST" != OK ] || fail "B reviewed its own report"

step "TaskUpdate of a task A is not assigned: NOT_FOUND"
rpc1 UBND-A TaskUpdate "{\"request_uuid\": \"$(uuid 910)\", \"task_code\": \"III.1.b\", \"status\": \"completed\", \"progress\": 100}"
assert_eq NOT_FOUND "$ST" "SCT's task as A ($MSG)"
rpc1 UBND-A TaskUpdate "{\"request_uuid\": \"$(uuid 911)\", \"task_code\": \"NO.SUCH\", \"status\": \"completed\", \"progress\": 100}"
assert_eq NOT_FOUND "$ST" "an unknown task ($MSG)"

step "B's files: A learns nothing and cannot use them"
rpc1 UBND-A AttachmentStatus "{\"sha256\": \"$UNKNOWN_SHA\", \"size\": 3000}"
R0=$R
assert_eq OK "$ST" "status of an unknown file"
rpc1 UBND-A AttachmentStatus "{\"sha256\": \"$ATT_SHA_B\", \"size\": 3000}"
assert_eq OK "$ST" "status of B's file as A"
assert_eq "$R0" "$R" "B's complete file looks unknown to A"
rpc1 UBND-A AttachmentStatus "{\"sha256\": \"$(printf '%064x' 42)\", \"size\": 5000}"
assert_eq "$R0" "$R" "B's unfinished upload looks unknown to A"
rpc1 UBND-A AttachmentChunk "{\"sha256\": \"$ATT_SHA_B\", \"size\": 3000, \"offset\": 1000, \"data\": \"00\"}"
ST0=$ST MSG0=${MSG//$ATT_SHA_B/X}
rpc1 UBND-A AttachmentChunk "{\"sha256\": \"$UNKNOWN_SHA\", \"size\": 3000, \"offset\": 1000, \"data\": \"00\"}"
assert_eq "$ST0|$MSG0" "$ST|${MSG//$UNKNOWN_SHA/X}" "a chunk at B's offset: like an unknown file"
assert_eq FAILED_PRECONDITION "$ST" "resume at B's offset ($MSG)"
REQ=$(pyj "$(district_report 920 2026-six_month "Mượn tệp của B")" "json.dumps(dict(d, attachments=[{\"sha256\": \"$ATT_SHA_B\", \"size\": 3000, \"name\": \"b.bin\"}]), ensure_ascii=False)")
rpc1 UBND-A Submit "$REQ"
assert_eq FAILED_PRECONDITION "$ST" "Submit with B's file ($MSG)"
assert_contains "$MSG" "upload the file first" "as for a file never uploaded"
rpc1 UBND-A TaskUpdate "{\"request_uuid\": \"$(uuid 921)\", \"task_code\": \"III.1.c\", \"status\": \"in_progress\", \"progress\": 50, \"evidence\": [\"sha256:$ATT_SHA_B\"], \"base_version\": 999}"
[ "$ST" = FAILED_PRECONDITION ] || fail "TaskUpdate with B's file: $ST $MSG"

step "request ids are per agency: B's id used by A is a new request, not B's receipt"
BUUID=$(sql "select replace(request_uuid::text, '-', '') from request_log where agency_id = $B and method = 'Submit' limit 1")
REQ=$(pyj "$(district_report 1 2026-six_month "A dùng mã của B")" "json.dumps(dict(d, request_uuid=\"$BUUID\"), ensure_ascii=False)")
rpc1 UBND-A Submit "$REQ"
assert_eq OK "$ST" "A's submit under B's request id ($MSG)"
assert_eq false "$(pyj "$R" 'd["replay"]')" "not a replay of B's request"
[ "$(pyj "$R" 'd["submission_id"]')" != "$SUB_B" ] || fail "A got B's receipt"

step "Pull as A: nothing of B"
rpc1 UBND-A Pull '{"plan_version": 0, "since": 0}'
assert_eq OK "$ST" "Pull ($MSG)"
assert_not_contains "$R" "Báo cáo của B" "A's pull"
assert_eq '["UBND-A"]' "$(pyj "$R" 'sorted({x["updated_by"] for x in d["task_statuses"]})')" "task statuses in A's pull are A's"
SUBS_A=$(sql "select json_agg(id order by id)::text from submission where agency_id = (select id from agency where code = 'UBND-A')")
assert_eq "$SUBS_A" "$(pyj "$R" 'sorted(s["submission_id"] for s in d["submissions"])')" "submissions in A's pull are A's"

step "B's rows are unchanged; the server is alive"
assert_eq "$B_BEFORE" "$(b_rows)" "B's rows"
server_alive || fail "the server died"
step "done"
