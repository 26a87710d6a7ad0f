#!/bin/bash
# test_sync_upload: a multi-chunk attachment upload that is cut in the middle
# (the client killed after 2 of 5 chunks: TAMNONG_TEST_CRASH_AFTER_CHUNKS)
# resumes at the next sync from the offset the server holds, and the stored
# file has the right SHA-256; a file the agency already uploaded is not sent
# again; the report that references it arrives once.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/report_lib.sh"

STATE=$TN_TMP/state-UBND-B
tb() { tn UBND-B --state-dir "$STATE" "$@"; }
PERIOD=2026-annual

step "start PostgreSQL, PKI, tamnongd; agencies; the test plan imported"
report_setup

step "UBND-B pulls, writes a report with a 1.2 MB attachment (5 chunks of 256 KiB), submits"
tb pull
assert_eq 0 "$RC" "pull ($ERR)"
tb report open
assert_eq 0 "$RC" "open the next period ($ERR)"
tb report show --json
PERIOD=$(json_get "$OUT" period)
info "period: $PERIOD"
tb report set ocop_products 3
tb report set clean_water_share --numerator 1 --denominator 2
head -c 1200000 /dev/urandom >"$TN_TMP/big.bin"
SHA=$(sha256sum "$TN_TMP/big.bin" | cut -d' ' -f1)
tb report attach "$TN_TMP/big.bin" --name "so-lieu.xlsx"
assert_eq 0 "$RC" "attach"
tb report submit
assert_eq 0 "$RC" "submit ($OUT $ERR)"

step "the client dies after 2 chunks were acknowledged"
_capture env TAMNONG_TEST_CRASH_AFTER_CHUNKS=2 timeout 60 "$BUILD/tamnong" \
    --config "$TN_TMP/client-UBND-B.conf" --state-dir "$STATE" sync
assert_eq 137 "$RC" "crash hook"
assert_eq 0 "$(sql "select count(*) from attachment where sha256 = '$SHA'")" "not complete yet"
HELD=$(sql "select coalesce(sum(length(data)), 0) from attachment_chunk where sha256 = '$SHA'")
assert_eq 524288 "$HELD" "the server holds two chunks"

step "the next sync resumes from the server's offset"
tb -v sync --json
assert_eq 0 "$RC" "sync ($OUT $ERR)"
assert_contains "$ERR" "uploaded 786432 of 1200000 bytes" "resumed at 524288"
assert_not_contains "$ERR" "uploaded 262144 of" "the first chunk was not sent again"
assert_eq "$SHA" "$(sql "select encode(sha256(data), 'hex') from attachment where sha256 = '$SHA'")" "stored SHA-256"
assert_eq 1200000 "$(sql "select size from attachment where sha256 = '$SHA'")" "stored size"
assert_eq 1 "$(sql "select count(*) from submission_attachment where sha256 = '$SHA'")" "referenced once"
assert_eq 1 "$(sql "select count(*) from submission s join agency a on a.id = s.agency_id where a.code = 'UBND-B'")" "one submission"

step "a new revision with the same file: the upload is not repeated"
tb report write results --text "Bổ sung"
tb report submit
tb -v sync --json
assert_eq 0 "$RC" "sync ($OUT $ERR)"
assert_not_contains "$ERR" "uploaded" "no chunk sent for a file the server has"
assert_eq 2 "$(sql "select count(*) from submission_attachment where sha256 = '$SHA'")" "both revisions reference it"
assert_eq 1 "$(sql "select count(*) from attachment where sha256 = '$SHA'")" "stored once"

step "the local copy damaged: the upload is refused here, the report is not sent"
tb report write results --text "Lần ba"
tb report submit
chmod u+w "$STATE/files/$SHA"
printf 'x' >>"$STATE/files/$SHA"
tb sync
assert_eq 65 "$RC" "refused locally ($OUT $ERR)"
tb status --json
assert_eq '["DATA_LOSS", "DEPENDENCY"]' "$(pyj "$OUT" '[r["status"] for r in d["refused"]]')" "refused with its dependent"
assert_eq 2 "$(sql "select count(*) from submission s join agency a on a.id = s.agency_id where a.code = 'UBND-B'")" "no third submission"

server_alive || fail "tamnongd died"
echo "ok"
