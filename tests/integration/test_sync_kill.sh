#!/bin/bash
# test_sync_kill: kill -9 tamnongd repeatedly while three agencies' clients
# sync queued reports (several revisions each, one with a multi-chunk
# attachment), restart it, and let the clients sync until their outboxes are
# empty. Then count, Jepsen-style: every queued revision is on the server
# exactly once (lost = 0, duplicated = 0, unexpected = 0), each client's
# receipts match the server's rows, and every client database passes
# integrity_check.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/report_lib.sh"

AGENCIES=(UBND-A UBND-B SCT)
PERIOD=2026-annual
state() { echo "$TN_TMP/state-$1"; }
tc() { local a=$1; shift; tn "$a" --state-dir "$(state "$a")" "$@"; }

step "start PostgreSQL, PKI, tamnongd; agencies; the test plan imported"
report_setup

ROUNDS=6
R=8 # revisions queued per agency per round
K=$((ROUNDS * R))
head -c 2000000 /dev/urandom >"$TN_TMP/scan.pdf"
n=0
queue_revisions() { # AGENCY: R more revisions, each one edit + submit
    local a=$1 i j
    for j in $(seq 1 "$R"); do
        i=$((${QUEUED[$a]:-0} + 1))
        QUEUED[$a]=$i
        if [ "$a" = SCT ]; then
            tc "$a" report set export_value "$i,5"
        else
            tc "$a" report set ocop_products "$i"
            tc "$a" report set clean_water_share --numerator "$i" --denominator 1000
        fi
        [ "$a" = UBND-A ] && [ "$i" = 1 ] && tc "$a" report attach "$TN_TMP/scan.pdf"
        tc "$a" report write results --text "Lần $i của $a"
        tc "$a" report submit
        assert_eq 0 "$RC" "submit $i as $a ($OUT $ERR)"
    done
}
declare -A QUEUED

step "each agency pulls and opens its report"
for a in "${AGENCIES[@]}"; do
    tc "$a" pull
    assert_eq 0 "$RC" "pull as $a ($ERR)"
    tc "$a" report open $PERIOD
done

step "$ROUNDS rounds: queue $R revisions each, sync concurrently, kill -9 the server mid-way"
for round in $(seq 1 "$ROUNDS"); do
    for a in "${AGENCIES[@]}"; do queue_revisions "$a"; done
    pids=()
    for a in "${AGENCIES[@]}"; do
        "$BUILD/tamnong" --config "$TN_TMP/client-$a.conf" --state-dir "$(state "$a")" \
            sync --max-time 4 >>"$TN_TMP/sync-$a.log" 2>&1 &
        pids+=($!)
    done
    sleep "0.$((RANDOM % 40 + 10))"
    server_stop KILL
    for p in "${pids[@]}"; do wait "$p"; done
    info "round $round: server killed; still waiting: $(for a in "${AGENCIES[@]}"; do
        tc "$a" status --json; pyj "$OUT" 'len(d["waiting"])'; done | tr '\n' ' ')"
    server_start
done

step "sync until every outbox is empty"
for a in "${AGENCIES[@]}"; do
    for try in 1 2 3 4 5; do
        tc "$a" sync
        [ "$RC" = 0 ] && break
        info "$a: sync exit $RC, again"
    done
    assert_eq 0 "$RC" "final sync as $a ($OUT $ERR)"
    tc "$a" status --json
    assert_eq 0 "$(pyj "$OUT" 'len(d["waiting"])')" "$a: nothing waiting"
    assert_eq 0 "$(pyj "$OUT" 'len(d["refused"])')" "$a: nothing refused"
done

step "count: lost = duplicated = unexpected = 0"
for a in "${AGENCIES[@]}"; do
    got=$(sql "select string_agg(s.revision::text || ':' || (s.content->>'results'), ',' order by s.revision) from submission s join agency g on g.id = s.agency_id where g.code = '$a'")
    want=$(for i in $(seq 1 "$K"); do printf '%s:Lần %s của %s,' "$i" "$i" "$a"; done)
    assert_eq "${want%,}" "$got" "$a: each queued revision once, in order"
    tc "$a" status --json
    assert_eq "$K" "$(pyj "$OUT" 'len([r for r in d["receipts"] if r["method"] == "Submit"])')" "$a: receipts"
    assert_eq "$(sql "select string_agg(s.id::text, ',' order by s.id) from submission s join agency g on g.id = s.agency_id where g.code = '$a'")" \
        "$(pyj "$OUT" '",".join(str(r["submission_id"]) for r in sorted(d["receipts"], key=lambda r: r["submission_id"]) if r["method"] == "Submit")')" \
        "$a: the receipts name the server's rows"
    sqlite3 "$(state "$a")/state.db" "pragma integrity_check" | grep -qx ok || fail "$a: SQLite integrity"
done
SHA=$(sha256sum "$TN_TMP/scan.pdf" | cut -d' ' -f1)
assert_eq "$SHA" "$(sql "select encode(sha256(data), 'hex') from attachment where sha256 = '$SHA'")" "the attachment's SHA-256"
assert_eq 0 "$(sql "select count(*) from (select agency_id, period_id from submission where current group by 1, 2 having count(*) <> 1) x")" "one current revision per agency"
echo "ok"
