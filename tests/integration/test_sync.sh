#!/bin/bash
# test_sync: the agency client's offline-first cycle against a real server.
# Offline first (server stopped): report open/set/write/attach/task/submit
# all succeed with "saved, N waiting to send"; sync exits 75 and keeps
# everything. Server up: one sync sends all once (the attachment in several
# chunks, then the report), pulls, and status shows the receipt. A client
# killed between the server's ack and the outbox delete
# (TAMNONG_TEST_CRASH_AFTER_ACK) gets replay=true next time and no duplicate.
# A second concurrent sync exits 75. The review loop: returned with a reason
# -> visible in status after sync -> edit -> resubmit -> accepted.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/report_lib.sh"

STATE_A=$TN_TMP/state-UBND-A
STATE_SNN=$TN_TMP/state-SNN
# The client as UBND-A (its own state directory), and as the standing agency.
ta() { tn UBND-A --state-dir "$STATE_A" "$@"; }
tsnn() { tn SNN --state-dir "$STATE_SNN" "$@"; }
n_submissions() {
    sql "select count(*) from submission s join agency a on a.id = s.agency_id where a.code = 'UBND-A'"
}
PERIOD=2026-annual

step "start PostgreSQL, PKI, tamnongd; agencies; the test plan imported; then stop the server"
report_setup
server_stop TERM

step "offline: open, set, write, attach, task, validate, submit -- all saved locally"
ta report open $PERIOD
assert_eq 0 "$RC" "report open offline"
assert_contains "$OUT" "saved, 0 waiting to send" "open output"
ta report set ocop_products 12
assert_eq 0 "$RC" "set a value"
ta report set clean_water_share --numerator "4500,5" --denominator 5000
assert_eq 0 "$RC" "set a share, decimal comma"
ta report set clean_water_share --numerator 6000 --denominator 5000
assert_eq 0 "$RC" "set a share over 100% (validate refuses it)"
ta report write results --text "Kết quả tốt: hoàn thành 12 sản phẩm OCOP."
assert_eq 0 "$RC" "write results"
printf 'Thiếu vốn\nThiếu cán bộ\n' >"$TN_TMP/diff.txt"
ta report write difficulties --file "$TN_TMP/diff.txt"
assert_eq 0 "$RC" "write difficulties from a file"
head -c 700000 /dev/urandom >"$TN_TMP/evidence.bin"
SHA=$(sha256sum "$TN_TMP/evidence.bin" | cut -d' ' -f1)
ta report attach "$TN_TMP/evidence.bin" --name "bang-ke.pdf"
assert_eq 0 "$RC" "attach ($ERR)"
rm "$TN_TMP/evidence.bin" # the copy in the state directory is what is sent
ta report task III.1.c --status in_progress --progress 40 --note "đang làm"
assert_eq 0 "$RC" "task progress in the report"
ta report validate
assert_eq 65 "$RC" "validate with numerator > denominator"
assert_contains "$OUT" "numerator" "the problem is named"
ta report set clean_water_share --numerator "4500,5" --denominator 5000
ta report validate
assert_eq 0 "$RC" "validate ($OUT $ERR)"
ta report submit
assert_eq 0 "$RC" "submit offline ($ERR)"
assert_contains "$OUT" "saved, 2 waiting to send" "submit output (attachment, then the report)"
ta report show --json
assert_eq "4500.5" "$(json_get "$OUT" values.0.numerator)" "decimal comma stored with a point"
assert_eq queued "$(json_get "$OUT" state)" "draft state"

step "offline sync: exit 75, nothing lost"
ta sync --max-time 2
assert_eq 75 "$RC" "sync with the server down ($OUT $ERR)"
ta status --json
assert_eq 2 "$(pyj "$OUT" 'len(d["waiting"])')" "still waiting"
assert_eq '["Attachment", "Submit"]' "$(pyj "$OUT" '[w["method"] for w in d["waiting"]]')" "outbox order"

step "a second sync while one runs: exit 75 'another sync is running'"
_capture_bg() { "$BUILD/tamnong" --config "$TN_TMP/client-UBND-A.conf" --state-dir "$STATE_A" sync --max-time 6 >/dev/null 2>&1; }
_capture_bg &
BG=$!
# Held by someone, seen without taking it (flock -n would race the sync).
lock_held() { grep -q ":$(stat -c %i "$STATE_A/sync.lock") " /proc/locks; }
wait_for 10 lock_held || fail "the background sync did not take the lock"
ta sync --max-time 1
assert_eq 75 "$RC" "concurrent sync"
assert_contains "$ERR" "another sync is running" "concurrent sync message"
wait "$BG"
assert_eq 75 "$?" "the first sync (server down)"

step "server up: one sync sends everything once, pulls, and status shows the receipt"
server_start
ta sync --json
assert_eq 0 "$RC" "sync ($OUT $ERR)"
assert_eq 2 "$(json_get "$OUT" sent)" "sent"
assert_eq 0 "$(json_get "$OUT" replayed)" "replayed"
assert_eq true "$(json_get "$OUT" pull.plan_changed)" "pulled the plan"
assert_eq 1 "$(n_submissions)" "one submission on the server"
assert_eq 1 "$(sql "select count(*) from attachment where sha256 = '$SHA'")" "the attachment, once"
ta status --json
assert_eq 0 "$(pyj "$OUT" 'len(d["waiting"])')" "nothing waiting"
assert_eq Submit "$(pyj "$OUT" 'd["receipts"][0]["method"]')" "receipt"
assert_eq 1 "$(pyj "$OUT" 'd["receipts"][0]["revision"]')" "receipt revision"
assert_eq true "$(pyj "$OUT" 'd["receipts"][0]["on_time"]')" "receipt on time"
SID1=$(pyj "$OUT" 'd["receipts"][0]["submission_id"]')
assert_eq UBND-A "$(pyj "$OUT" 'd["agency"]')" "agency learnt"
ta status
assert_contains "$OUT" "submission $SID1, revision 1" "human status"
ta tasks --json
assert_eq '["III.1.a", "III.1.c"]' "$(pyj "$OUT" '[t["code"] for t in d]')" "pulled tasks"
ta report submit
assert_eq 0 "$RC" "submit again without a change"
assert_contains "$OUT" "has not changed" "an unchanged report is not queued twice"
assert_contains "$OUT" "saved, 0 waiting to send" "nothing queued"
ta sync
assert_eq 0 "$RC" "a sync with nothing to send"
assert_contains "$OUT" "Nothing was waiting" "nothing to send"

step "killed after the ack, before the outbox delete: the retry is a replay, not a duplicate"
ta report write results --text "Kết quả bổ sung."
ta report submit
assert_eq 0 "$RC" "second submit"
_capture env TAMNONG_TEST_CRASH_AFTER_ACK=Submit timeout 60 "$BUILD/tamnong" \
    --config "$TN_TMP/client-UBND-A.conf" --state-dir "$STATE_A" sync
assert_eq 137 "$RC" "crash hook"
assert_eq 2 "$(n_submissions)" "the server has revision 2"
ta status --json
assert_eq '["Submit"]' "$(pyj "$OUT" '[w["method"] for w in d["waiting"]]')" "the acknowledged item is still queued here"
ta sync --json
assert_eq 0 "$RC" "sync after the crash ($OUT $ERR)"
assert_eq 1 "$(pyj "$OUT" 'len([i for i in d["items"] if i["method"] == "Submit" and i["replay"]])')" "replay = true"
assert_eq 2 "$(n_submissions)" "no duplicate"
sqlite3 "$STATE_A/state.db" "pragma integrity_check" | grep -qx ok || fail "SQLite integrity"

step "task update; a stale update from another copy of the client is a conflict"
ta task update III.1.c --status in_progress --progress 50 --note "một nửa" \
    --evidence "$TN_TMP/diff.txt" --evidence https://example.vn/bien-ban
assert_eq 0 "$RC" "task update ($ERR)"
assert_contains "$OUT" "saved, 2 waiting to send" "task update output (the evidence file, then the update)"
DSHA=$(sha256sum "$TN_TMP/diff.txt" | cut -d' ' -f1)
ta sync
assert_eq 0 "$RC" "sync the task update ($OUT $ERR)"
assert_eq "[\"sha256:$DSHA\", \"https://example.vn/bien-ban\"]" \
    "$(sql "select evidence from task_status t join agency a on a.id = t.agency_id where a.code = 'UBND-A' and task_code = 'III.1.c'")" "evidence on the server"
STATE_A2=$TN_TMP/state-UBND-A-2
tn UBND-A --state-dir "$STATE_A2" pull
assert_eq 0 "$RC" "second client pulls"
tn UBND-A --state-dir "$STATE_A2" task update III.1.c --status completed
tn UBND-A --state-dir "$STATE_A2" sync
assert_eq 0 "$RC" "second client's update"
ta task update III.1.c --status postponed --note "hoãn"
ta sync
assert_eq 65 "$RC" "stale update refused"
assert_contains "$OUT" "CONFLICT" "conflict shown by sync"
ta status --json
assert_eq true "$(pyj "$OUT" 'd["refused"][0]["conflict"]')" "conflict in status"
ta status
assert_contains "$OUT" "CONFLICT" "conflict in human status"
ta tasks --json
assert_eq completed "$(pyj "$OUT" '[t["status"] for t in d if t["code"] == "III.1.c"][0]')" "the pulled status wins, nothing merged"
ta sync --forget-refused
assert_eq 0 "$RC" "forget the refused item"

step "review loop: returned with a reason -> status -> edit -> resubmit -> accepted"
SID2=$(sql "select s.id from submission s join agency a on a.id = s.agency_id where a.code = 'UBND-A' and current")
tsnn admin submissions --period $PERIOD --json
assert_eq 0 "$RC" "admin submissions ($ERR)"
assert_contains "$OUT" "\"submission_id\":$SID2" "the standing agency sees the current revision"
tsnn admin review "$SID2" --return "Thiếu số liệu quý 3"
assert_eq 0 "$RC" "queue the return"
assert_contains "$OUT" "saved, 1 waiting to send" "review saved"
tsnn sync
assert_eq 0 "$RC" "SNN sync ($OUT $ERR)"
assert_eq returned "$(sql "select state from submission where id = $SID2")" "returned on the server"
ta sync
assert_eq 0 "$RC" "UBND-A sync"
ta status
assert_contains "$OUT" "RETURNED" "status shows the return"
assert_contains "$OUT" "Thiếu số liệu quý 3" "status shows the reason"
ta report show --json
assert_eq returned "$(json_get "$OUT" state)" "draft returned"
ta report set ocop_products 13 --note "đã bổ sung quý 3"
ta report submit
assert_eq 0 "$RC" "resubmit"
ta sync --json
assert_eq 0 "$RC" "send the resubmission"
SID3=$(pyj "$OUT" '[i for i in d["items"] if i["method"] == "Submit"][0]["submission_id"]')
assert_eq 3 "$(pyj "$OUT" '[i for i in d["items"] if i["method"] == "Submit"][0]["revision"]')" "revision 3"
tsnn admin review "$SID3" --accept
tsnn sync
assert_eq 0 "$RC" "SNN sends the acceptance"
ta sync
ta status --json
assert_eq accepted "$(pyj "$OUT" '[r for r in d["reports"] if r["period"] == "'$PERIOD'"][0]["state"]')" "accepted"
ta report show --json
assert_eq accepted "$(json_get "$OUT" state)" "draft accepted"
assert_eq 3 "$(n_submissions)" "three revisions in all"

server_alive || fail "tamnongd died"
echo "ok"
