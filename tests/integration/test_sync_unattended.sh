#!/bin/bash
# test_sync_unattended: `tamnong sync` as a timer runs it, and the deadline
# reminders.
# - A ready draft (validated, not submitted) is submitted by the scheduled
#   run. With the server unreachable, `sync --max-time 5` keeps everything in
#   the outbox, exits 75 and says so in a log line with the journal priority
#   <4> (stderr is not a terminal). With the server back, the next run sends
#   everything once (counted on the server) and exits 0; a third sends
#   nothing new.
# - While another process holds the run lock, sync exits 75 with a clear
#   message.
# - `sync --every 1m` runs, logs each run, and exits 0 on SIGTERM; a
#   duration below one minute is a usage error.
# - Reminders: three agencies, the server's test_clock at T-10, T-3 and T-0
#   before the 2025-six_month deadline (15 June 2025): the agency that
#   submitted gets none, the others the right level in `status --json` after
#   a pull (a draft is mentioned); sync logs a reminder once a day; a report
#   returned for correction reminds again.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/report_lib.sh"

P6=2025-six_month
PY=2026-annual
T10="2025-06-05T08:00:00+07:00"
T3="2025-06-12T08:00:00+07:00"
T0="2025-06-15T08:00:00+07:00"
n_subs() { # AGENCY PERIOD: submissions (all revisions) on the server
    sql "select count(*) from submission s join agency a on a.id = s.agency_id join period p on p.id = s.period_id where a.code = '$1' and p.code = '$2'"
}
# as CODE ARGS...: the client as CODE with its own state directory
as() {
    local code=$1
    shift
    tn "$code" --state-dir "$TN_TMP/state-$code" "$@"
}
restart_at() { # INSTANT: the server again, its clock set to INSTANT
    server_stop TERM
    server_start "test_clock=$1"
}
# fill CODE PERIOD: a valid district report, not submitted
fill() {
    as "$1" report open "$2"
    assert_eq 0 "$RC" "$1 report open $2 ($ERR)"
    as "$1" report set ocop_products 12
    as "$1" report set clean_water_share --numerator 4500 --denominator 5000
    as "$1" report write results --text "Kết quả của $1"
    as "$1" report validate
    assert_eq 0 "$RC" "$1 validate $2 ($OUT $ERR)"
}
reminders_of() { # CODE: status --json reminders for P6, as "level draft" lines
    as "$1" status --json
    assert_eq 0 "$RC" "$1 status --json ($ERR)"
    pyj "$OUT" '" ".join(r["level"] + "/" + r["draft"] + ("/returned" if r["returned"] else "") for r in d["reminders"] if r["period"] == "'$P6'")'
}

step "server with its clock at T-10 ($T10); agencies; the plan"
report_setup
restart_at "$T10"

step "UBND-A: one report submitted, one only validated (ready), then the server goes away"
as UBND-A pull
assert_eq 0 "$RC" "pull ($ERR)"
fill UBND-A $PY
as UBND-A report submit
assert_eq 0 "$RC" "submit $PY"
fill UBND-A $P6
as UBND-A report show --json
assert_eq ready "$(json_get "$OUT" state)" "validated = ready"
server_stop TERM

step "scheduled-style run, server unreachable: exit 75, everything kept, a <4> log line"
as UBND-A sync --max-time 5
assert_eq 75 "$RC" "sync with the server down ($OUT $ERR)"
assert_contains "$OUT" "QUEUED report $P6" "the ready draft was submitted by the run"
assert_contains "$ERR" "<4>tamnong: " "journal priority prefix (stderr is not a terminal)"
assert_contains "$ERR" "items are still waiting: they are kept here" "the log says what is kept"
as UBND-A status --json
assert_eq '["Submit", "Submit"]' "$(pyj "$OUT" '[w["method"] for w in d["waiting"]]')" "both reports wait"
assert_eq "[\"$P6\", \"$PY\"]" "$(pyj "$OUT" 'sorted(w["ref"] for w in d["waiting"])')" "which ones"
as UBND-A sync --max-time 5 --json
assert_eq 75 "$RC" "again, --json"
assert_eq 2 "$(json_get "$OUT" waiting)" "still 2 waiting"
assert_eq "[]" "$(json_get "$OUT" ready_queued)" "nothing ready any more: queued once"

step "server back: the next run sends everything once and exits 0"
server_start "test_clock=$T10"
as UBND-A sync --max-time 30 --json
assert_eq 0 "$RC" "sync ($OUT $ERR)"
assert_eq 2 "$(json_get "$OUT" sent)" "sent"
assert_eq 0 "$(json_get "$OUT" waiting)" "waiting"
assert_eq 1 "$(n_subs UBND-A $P6)" "one $P6 report on the server"
assert_eq 1 "$(n_subs UBND-A $PY)" "one $PY report on the server"
as SNN admin submissions --period $P6 --json
assert_eq 0 "$RC" "admin submissions as the standing agency ($ERR)"
assert_eq 1 "$(pyj "$OUT" 'len([x for x in d if x["agency"] == "UBND-A"])')" "the standing agency sees it once"
as UBND-A sync --max-time 30
assert_eq 0 "$RC" "a run with nothing new"
assert_contains "$OUT" "Nothing was waiting" "nothing to send"
assert_eq 1 "$(n_subs UBND-A $P6)" "still one"

step "another process holds the run lock: exit 75 and a clear message"
# This shell holds it (flock(1) on our own descriptor), as a running sync would.
exec {LOCKFD}>>"$TN_TMP/state-UBND-A/sync.lock"
flock -n "$LOCKFD" || fail "cannot take the lock for the test"
as UBND-A sync --max-time 5
assert_eq 75 "$RC" "sync while the lock is held"
assert_contains "$ERR" "<4>tamnong: another sync is running: try again when it has finished." "message"
exec {LOCKFD}>&-
as UBND-A sync --max-time 5
assert_eq 0 "$RC" "sync once the lock is free"

step "sync --every: runs, logs each run, exits 0 on SIGTERM"
as UBND-A sync --every 10s
assert_eq 64 "$RC" "--every below a minute"
assert_contains "$ERR" "--every takes a duration" "usage message"
as UBND-A sync --every 30
assert_eq 64 "$RC" "--every without a unit"
LOOPLOG=$TN_TMP/loop.log
"$BUILD/tamnong" --config "$TN_TMP/client-UBND-A.conf" --state-dir "$TN_TMP/state-UBND-A" \
    sync --every 1m --max-time 10 >"$TN_TMP/loop.out" 2>"$LOOPLOG" </dev/null &
LOOP=$!
wait_for 30 grep -q "next run in" "$LOOPLOG" || fail "no run logged: $(cat "$LOOPLOG")"
kill -TERM "$LOOP"
wait "$LOOP"
LRC=$?
assert_eq 0 "$LRC" "exit status after SIGTERM ($(cat "$LOOPLOG"))"
LOG=$(cat "$LOOPLOG")
assert_contains "$LOG" "<6>tamnong: run 1 finished (exit 0): sent 0, waiting 0, refused 0." "run logged"
assert_contains "$LOG" "<6>tamnong: stopped on request" "clean stop logged"
sqlite3 "$TN_TMP/state-UBND-A/state.db" "pragma integrity_check" | grep -qx ok || fail "SQLite integrity"

step "reminders at T-10: UBND-B submits; UBND-A submitted already; SCT has a draft; SNN nothing"
# UBND-A: submitted above. UBND-B: submits now. SCT: a draft, not validated.
fill UBND-B $P6
as UBND-B report submit
as UBND-B sync --max-time 30
assert_eq 0 "$RC" "UBND-B sync ($ERR)"
as SCT pull
as SCT report open $P6
as SCT report set export_value 12
for a in UBND-A UBND-B SCT SNN; do
    as $a pull
    assert_eq 0 "$RC" "$a pull"
done
assert_eq "" "$(reminders_of UBND-A)" "UBND-A (submitted) at T-10"
assert_eq "" "$(reminders_of UBND-B)" "UBND-B (submitted) at T-10"
assert_eq "T-10/draft" "$(reminders_of SCT)" "SCT (a draft) at T-10"
assert_eq "T-10/none" "$(reminders_of SNN)" "SNN (nothing) at T-10"
as SCT status --json
assert_eq 10 "$(pyj "$OUT" '[r for r in d["reminders"] if r["period"] == "'$P6'"][0]["days_left"]')" "days left"
assert_eq 2025-06-15 "$(pyj "$OUT" '[r for r in d["reminders"] if r["period"] == "'$P6'"][0]["deadline"]')" "deadline"
as SCT status
assert_contains "$OUT" "T-10: The report $P6 is due on 2025-06-15: 10 days left." "human status"

step "T-3: the same agencies, level T-3; sync logs the reminder once a day"
restart_at "$T3"
for a in UBND-A UBND-B SCT SNN; do as $a pull; done
assert_eq "" "$(reminders_of UBND-A)" "UBND-A at T-3"
assert_eq "" "$(reminders_of UBND-B)" "UBND-B at T-3"
assert_eq "T-3/draft" "$(reminders_of SCT)" "SCT at T-3"
assert_eq "T-3/none" "$(reminders_of SNN)" "SNN at T-3"
as SCT sync --max-time 10
assert_eq 0 "$RC" "SCT sync ($ERR)"
assert_contains "$ERR" "<4>tamnong: The report $P6 is due on 2025-06-15: 3 days left. A draft is kept here but not submitted" "reminder logged"
as SCT sync --max-time 10
assert_not_contains "$ERR" "The report $P6" "logged once a day"

step "T-0: the standing agency returns UBND-B's report: UBND-B is reminded again"
restart_at "$T0"
SIDB=$(sql "select s.id from submission s join agency a on a.id = s.agency_id where a.code = 'UBND-B' and current")
as SNN pull
as SNN admin review "$SIDB" --return "Thiếu số liệu"
as SNN sync --max-time 10
assert_eq returned "$(sql "select state from submission where id = $SIDB")" "returned on the server"
for a in UBND-A UBND-B SCT SNN; do as $a pull; done
assert_eq "" "$(reminders_of UBND-A)" "UBND-A at T-0"
assert_eq "T-0/none/returned" "$(reminders_of UBND-B)" "UBND-B (returned) at T-0"
assert_eq "T-0/draft" "$(reminders_of SCT)" "SCT at T-0"
assert_eq "T-0/none" "$(reminders_of SNN)" "SNN at T-0"
as UBND-B status
assert_contains "$OUT" "due TODAY (2025-06-15)" "human status at T-0"
assert_contains "$OUT" "returned for correction" "says it was returned"
echo PASS
