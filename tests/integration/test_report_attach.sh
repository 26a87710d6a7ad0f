#!/bin/bash
# test_report_attach: chunked, resumable attachment upload by direct RPC.
# Three chunks; the connection is dropped after the second; AttachmentStatus
# then says two chunks' bytes; the upload resumes and completes; the stored
# SHA-256 (computed by PostgreSQL) matches. A chunk at a wrong offset is
# FAILED_PRECONDITION; a file whose bytes do not match its hash is discarded
# (DATA_LOSS); Submit refuses a file not uploaded; another agency that has
# not uploaded the file cannot use it and sees nothing of it. An upload
# abandoned for a week is cleared by the server's housekeeping, a recent
# one of another agency is kept.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/report_lib.sh"

step "start PostgreSQL, PKI, tamnongd; agencies; the test plan imported"
report_setup

F=$TN_TMP/evidence.bin
head -c 2500000 /dev/urandom >"$F"
SHA=$(sha256sum "$F" | cut -d' ' -f1)
SIZE=$(stat -c %s "$F")
CH=1000000
chunk() { # OFFSET [LEN]
    echo "{\"m\": \"AttachmentChunk\", \"msg\": {\"sha256\": \"$SHA\", \"size\": $SIZE, \"offset\": $1, \"data\": {\"file\": \"$F\", \"start\": $1, \"len\": ${2:-$CH}}}}"
}

step "Submit referencing the file before it is uploaded: FAILED_PRECONDITION"
ATT="[{\"sha256\": \"$SHA\", \"size\": $SIZE, \"name\": \"biên bản.bin\", \"content_type\": \"application/octet-stream\"}]"
REQ=$(pyj "$(district_report 1 2026-annual "Có minh chứng")" 'json.dumps(dict(d, attachments='"$ATT"'), ensure_ascii=False)')
rpc1 UBND-A Submit "$REQ"
assert_eq FAILED_PRECONDITION "$ST" "submit before upload"
assert_contains "$MSG" "upload the file first" "message"

step "two chunks, then the connection drops"
rpc UBND-A "[$(chunk 0), $(chunk $CH), {\"reconnect\": true}, {\"m\": \"AttachmentStatus\", \"msg\": {\"sha256\": \"$SHA\", \"size\": $SIZE}}]"
assert_eq 0 "$RC" "chunks 1-2 ($OUT)"
assert_eq '["OK", "OK", "OK"]' "$(pyj "$OUT" '[x["status"] for x in d]')" "statuses"
assert_eq "[$CH, $((2 * CH)), $((2 * CH))]" "$(pyj "$OUT" '[x["resp"]["received"] for x in d]')" "received"
assert_eq false "$(pyj "$OUT" 'd[2]["resp"]["complete"]')" "not complete"

step "a chunk at a wrong offset: FAILED_PRECONDITION naming the held offset"
rpc1 UBND-A AttachmentChunk "$(pyj "$(chunk $CH)" 'json.dumps(d["msg"])')"
assert_eq FAILED_PRECONDITION "$ST" "chunk at $CH again"
assert_contains "$MSG" "resume from $((2 * CH))" "message"
assert_eq 2 "$(sql "select count(*) from attachment_chunk")" "chunks held"

step "another agency sees nothing of UBND-A's upload"
rpc1 UBND-B AttachmentStatus "{\"sha256\": \"$SHA\", \"size\": $SIZE}"
assert_eq 0 "$(pyj "$R" 'd["received"]')" "UBND-B received"

step "resume: the last chunk completes the file; SHA-256 checked in PostgreSQL"
rpc1 UBND-A AttachmentChunk "$(pyj "$(chunk $((2 * CH)))" 'json.dumps(d["msg"])')"
assert_eq OK "$ST" "last chunk ($MSG)"
assert_eq true "$(pyj "$R" 'd["complete"]')" "complete"
assert_eq "$SIZE" "$(pyj "$R" 'd["received"]')" "received all"
assert_eq "$SHA|$SIZE" "$(sql "select encode(sha256(data), 'hex'), size from attachment")" "stored file"
assert_eq 0 "$(sql "select count(*) from attachment_chunk")" "chunks cleared"
rpc1 UBND-A AttachmentChunk "$(pyj "$(chunk $((2 * CH)))" 'json.dumps(d["msg"])')"
assert_eq true "$(pyj "$R" 'd["complete"]')" "resending the last chunk: complete"

step "UBND-B cannot reference the file it did not upload; UBND-A can"
REQB=$(pyj "$(district_report 2 2026-annual "Mượn tệp")" 'json.dumps(dict(d, attachments='"$ATT"'), ensure_ascii=False)')
rpc1 UBND-B Submit "$REQB"
assert_eq FAILED_PRECONDITION "$ST" "UBND-B with UBND-A's file"
rpc1 UBND-A Submit "$REQ"
assert_eq OK "$ST" "submit with the attachment ($MSG)"
SID=$(pyj "$R" 'd["submission_id"]')
rpc1 UBND-A SubmissionGet "{\"submission_id\": $SID}"
assert_eq "[[\"$SHA\", $SIZE, \"biên bản.bin\"]]" "$(pyj "$R" '[[a["sha256"], a["size"], a["name"]] for a in d["attachments"]]')" "attachment listed"

step "UBND-B uploads the same file itself: stored once, owned by both"
rpc UBND-B "[$(chunk 0), $(chunk $CH), $(chunk $((2 * CH)))]"
assert_eq true "$(pyj "$OUT" 'd[2]["resp"]["complete"]')" "UBND-B complete"
assert_eq "1|2" "$(sql "select (select count(*) from attachment), (select count(*) from attachment_owner)")" "one file, two owners"

step "a file whose bytes do not match its hash: DATA_LOSS, discarded"
G=$TN_TMP/other.bin
head -c 5000 /dev/urandom >"$G"
BAD=$(printf '%064d' 0)
rpc1 UBND-A AttachmentChunk "{\"sha256\": \"$BAD\", \"size\": 5000, \"offset\": 0, \"data\": {\"file\": \"$G\"}}"
assert_eq DATA_LOSS "$ST" "hash mismatch"
rpc1 UBND-A AttachmentStatus "{\"sha256\": \"$BAD\", \"size\": 5000}"
assert_eq 0 "$(pyj "$R" 'd["received"]')" "discarded: start again from 0"
assert_eq "1|0" "$(sql "select (select count(*) from attachment), (select count(*) from attachment_chunk)")" "nothing kept"

step "limits: a chunk over 1 MiB, a file over 20 MiB, data beyond the size"
head -c $((1024 * 1024 + 1)) /dev/urandom >"$TN_TMP/big.bin"
rpc1 UBND-A AttachmentChunk "{\"sha256\": \"$BAD\", \"size\": 3000000, \"offset\": 0, \"data\": {\"file\": \"$TN_TMP/big.bin\"}}"
assert_eq INVALID_ARGUMENT "$ST" "chunk over 1 MiB"
assert_contains "$MSG" "data" "names the field"
rpc1 UBND-A AttachmentChunk "{\"sha256\": \"$BAD\", \"size\": 30000000, \"offset\": 0, \"data\": \"00\"}"
assert_eq INVALID_ARGUMENT "$ST" "file over 20 MiB"
assert_contains "$MSG" "size" "names the field"
rpc1 UBND-A AttachmentChunk "{\"sha256\": \"$BAD\", \"size\": 2, \"offset\": 1, \"data\": \"0000\"}"
assert_eq INVALID_ARGUMENT "$ST" "data beyond the size"
rpc1 UBND-A AttachmentChunk "{\"sha256\": \"ABC\", \"size\": 2, \"offset\": 0, \"data\": \"0000\"}"
assert_eq INVALID_ARGUMENT "$ST" "bad hash"
assert_contains "$MSG" "sha256" "names the field"
step "housekeeping: an upload abandoned for 8 days is removed, a recent one kept"
H=$TN_TMP/half.bin
head -c 3000 /dev/urandom >"$H"
HSHA=$(sha256sum "$H" | cut -d' ' -f1)
half() { echo "{\"sha256\": \"$HSHA\", \"size\": 3000, \"offset\": 0, \"data\": {\"file\": \"$H\", \"start\": 0, \"len\": 1000}}"; }
rpc1 UBND-A AttachmentChunk "$(half)"
assert_eq OK "$ST" "UBND-A: first third"
rpc1 UBND-B AttachmentChunk "$(half)"
assert_eq OK "$ST" "UBND-B: first third"
sql "update attachment_chunk set created_at = now() - interval '8 days'
     where sha256 = '$HSHA' and agency_id = (select id from agency where code = 'UBND-A')" >/dev/null
server_stop
server_start
wait_for 20 grep -q "housekeeping: removed 1 upload(s) abandoned for 7 days (1 chunk(s))" "$SERVER_LOG" ||
    fail "no housekeeping line in the server log"
assert_eq "UBND-B" "$(sql "select string_agg(a.code, ',') from attachment_chunk c join agency a on a.id = c.agency_id where c.sha256 = '$HSHA'")" \
    "UBND-A's abandoned chunk removed, UBND-B's recent one kept"
rpc1 UBND-A AttachmentStatus "{\"sha256\": \"$HSHA\", \"size\": 3000}"
assert_eq 0 "$(pyj "$R" 'd["received"]')" "UBND-A starts again from 0"
step "done"
