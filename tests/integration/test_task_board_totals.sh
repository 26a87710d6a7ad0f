#!/bin/bash
# test_task_board_totals: the kept pairs and running totals of the task board
# (deploy/migrations/013_task_board_totals.sql) on a real server and
# PostgreSQL, statuses sent by the real client (task update + sync). After
# every step: the kept totals equal a recomputation from scratch (EXCEPT both
# ways), the pairs equal the live expansion, and `admin board --json` (and the
# summary, the agency and status filters) answers exactly what the live board
# of 005 answers. Steps: several agencies report, change, the holder of the
# lowest progress of a group-led task moves up (the total is recomputed), a
# new lowest comes, the owner loads and deletes statuses in bulk; six agencies
# update the same tasks at once (no deadlock, totals still equal); TRUNCATE.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/report_lib.sh"

P=2025-six_month
DEADLINE=2025-06-15
DISTRICTS="X1 X2 X3 X4 X5 X6"

board_plan() {
    cat >"$TN_TMP/board.plan" <<'EOF'
# A plan for the task board totals test.
[declares]
tasks = 4
indicators = 1
targets = 0

[plan]
province = Thử nghiệm
title = Kế hoạch thử nghiệm bảng nhiệm vụ
standing_agency = SNN
version = 1

[agency SNN]
kind = department
name = Sở Nông nghiệp

[agency SCT]
kind = department
name = Sở Công Thương

[agency X1]
kind = district
name = UBND huyện Một

[agency X2]
kind = district
name = UBND huyện Hai

[agency X3]
kind = district
name = UBND huyện Ba

[agency X4]
kind = district
name = UBND huyện Bốn

[agency X5]
kind = district
name = UBND huyện Năm

[agency X6]
kind = district
name = UBND huyện Sáu

[group @districts]
name = UBND các huyện
kinds = district

[section III]
title = NHIỆM VỤ, GIẢI PHÁP

[section III.1]
title = Nhóm thứ nhất

[section III.2]
title = Nhóm thứ hai

[task III.1.a]
title = Sở chủ trì, các huyện phối hợp
lead = SNN
coordinating = @districts
deadline = date 2025-12-31
text = """
Sở Nông nghiệp chủ trì, phối hợp với UBND các huyện.
"""

[task III.1.b]
title = Các huyện chủ trì
lead = @districts
coordinating = SCT
deadline = by_year 2025
text = """
UBND các huyện chủ trì, Sở Công Thương phối hợp.
"""

[task III.2.a]
title = Việc quá hạn
lead = X1
coordinating = @districts, SNN
deadline = date 2025-03-31
text = """
Huyện Một chủ trì (và là một trong các huyện phối hợp).
"""

[task III.2.b]
title = Việc thường xuyên
lead = SCT
deadline = continuous
text = """
Sở Công Thương chủ trì.
"""

[indicator ocop_products]
name = Số sản phẩm OCOP
unit = sản phẩm
rule = sum
reporters = @districts

[period-regime six_month]
name = Báo cáo 6 tháng
years = 2024-2030
window_start = Y-1-12-15
window_end = Y-06-14
deadline = Y-06-15
EOF
}

st() { echo "$TN_TMP/state-$1"; }
# queue CODE TASK STATUS PROGRESS: a status update queued by the client
queue() {
    tn "$1" --state-dir "$(st "$1")" task update "$2" --status "$3" --progress "$4" \
        --note "ghi chú $1"
    assert_eq 0 "$RC" "task update $1 $2 $3 $4 ($ERR)"
}
# send CODE: the client's sync (sends the queue, pulls the new versions)
send() {
    tn "$1" --state-dir "$(st "$1")" sync
    assert_eq 0 "$RC" "sync $1 ($OUT $ERR)"
}
update() { # CODE TASK STATUS PROGRESS
    queue "$@"
    send "$1"
}

# The kept totals and pairs against the recomputation from scratch.
totals_equal() { # WHAT
    assert_eq t "$(sql "select membership_cached_epoch((plan_version_now()).id, '$DEADLINE') is not null")" \
        "$1: the deadline's epoch is cached (the board reads the totals)"
    assert_eq 0 "$(sql "select count(*) from ((select * from board_total except select * from board_total_scratch)
                         union all (select * from board_total_scratch except select * from board_total)) x")" \
        "$1: kept totals = totals from scratch"
    assert_eq 0 "$(sql "select count(*) from membership_cache_epoch e, lateral (
                           (select task_id, task_code, agency_id, role, ord from board_pair p
                            where p.plan_version_id = e.plan_version_id and p.epoch = e.epoch
                            except select * from board_pairs_of(e.plan_version_id, e.epoch, true))
                           union all
                           (select * from board_pairs_of(e.plan_version_id, e.epoch, true)
                            except select task_id, task_code, agency_id, role, ord from board_pair p
                            where p.plan_version_id = e.plan_version_id and p.epoch = e.epoch)) x")" \
        "$1: kept pairs = pairs of the live expansion"
}

# Every view of the board: the client's full rows, filters, and the summary.
boards() {
    local a out=""
    for a in "" "--agency X2" "--status not_reported"; do
        # shellcheck disable=SC2086
        tn SNN admin board "$P" $a --json
        [ "$RC" = 0 ] || fail "admin board $a: $RC $OUT $ERR"
        out+="$a: $OUT"$'\n'
    done
    for a in '"summary": true' '"agency_code": "X1"' '"agency_code": "SNN", "summary": true'; do
        rpc1 SNN TaskBoard "{\"period_code\": \"$P\", $a}"
        assert_eq OK "$ST" "board $a ($MSG)"
        out+="$a: $R"$'\n'
    done
    rpc1 SNN TaskBoard "{\"period_code\": \"$P\"}"
    assert_eq OK "$ST" "full board ($MSG)"
    out+="rpc: $R"
    printf '%s' "$out"
}
# The board from the totals is the board computed live (005's task_board,
# used while the membership cache is stale: flipped for the comparison only,
# nothing is rebuilt).
board_same() { # WHAT
    local fast live
    fast=$(boards)
    sql "update membership_cache_state set fresh = false" >/dev/null
    assert_eq t "$(sql "select membership_cached_epoch((plan_version_now()).id, '$DEADLINE') is null")" "live path"
    live=$(boards)
    sql "update membership_cache_state set fresh = true" >/dev/null
    assert_eq "$live" "$fast" "$1: admin board --json from the totals = the live board"
    BOARD=$fast
}
row() { # CODE EXPR: on the row of task CODE of the full board (RPC)
    local full
    full=$(printf '%s\n' "$BOARD" | sed -n 's/^rpc: //p')
    pyj "$(pyj "$full" "[r for r in d['rows'] if r['task']['code'] == '$1'][0]")" "$2"
}
lead_total() { # TASK: reported|min_progress|n_min of the lead row of TASK
    sql "select b.reported || '|' || coalesce(b.min_progress::text, '') || '|' || b.n_min
         from board_total b join task t on t.id = b.task_id
         where t.code = '$1' and b.role = 'lead' and t.plan_version_id = (plan_version_now()).id
           and b.epoch = membership_cached_epoch(b.plan_version_id, '$DEADLINE')"
}

step "start PostgreSQL, PKI, tamnongd on 10 June 2025; agencies; the plan"
setup_all "test_clock=2025-06-10T09:00:00+07:00"
agency_cert OPS --name "Đơn vị vận hành"
agency_register OPS "Đơn vị vận hành"
agency_register SNN "Sở Nông nghiệp"
session_ensure OPS operator
TN_ROLE[SNN]=reviewer
agency_register SCT "Sở Công Thương"
for x in $DISTRICTS; do agency_register "$x" "UBND huyện $x"; done
board_plan
rpc1 OPS PlanImport "{\"file_name\": \"board.plan\", \"content\": {\"file\": \"$TN_TMP/board.plan\"}}"
assert_eq OK "$ST" "plan import ($MSG)"
for x in SNN SCT $DISTRICTS; do send "$x"; done # pull the tasks
assert_eq 22 "$(sql "select count(*) from board_pair p where p.epoch = membership_cached_epoch(p.plan_version_id, '$DEADLINE')")" \
    "pairs: 1+6, 6+1, 1+6 (X1 leads, not listed again), 1"
totals_equal "nothing reported"
board_same "nothing reported"
assert_eq '[0, 6, 1, 0]' "$(row III.1.b '[d["leads_reported"], d["leads"], d["coordinators"], d["coordinators_reported"]]')" "III.1.b counts"

step "several agencies report"
update SNN III.1.a in_progress 40
update X1 III.1.a in_progress 20
update X1 III.1.b in_progress 30
update X2 III.1.b in_progress 50
update X3 III.1.b in_progress 30
update SNN III.2.a completed 100
totals_equal "first reports"
board_same "first reports"
assert_eq '["III.2.a", "III.1.a", "III.1.b", "III.2.b"]' "$(pyj "$(printf '%s\n' "$BOARD" | sed -n 's/^: //p')" '[r["task"] for r in d["rows"]]')" "order: overdue first (admin board --json)"
assert_eq not_reported "$(row III.1.b 'd["status"]')" "III.1.b: three districts have not reported"
assert_eq 30 "$(row III.1.b 'd["progress"]')" "III.1.b: lowest of those that reported"
assert_eq "3|30|2" "$(lead_total III.1.b)" "III.1.b: 30 held by two"
assert_eq not_reported "$(row III.2.a 'd["status"]')" "III.2.a: X1 (the lead) has not reported"
assert_eq '[1, 0, 6, 1]' "$(row III.2.a '[d["leads"], d["leads_reported"], d["coordinators"], d["coordinators_reported"]]')" "III.2.a counts: X1 only as lead"

step "the holders of the lowest progress move up: the total is recomputed"
update X1 III.1.b in_progress 60
assert_eq "3|30|1" "$(lead_total III.1.b)" "one holder of 30 left"
totals_equal "one holder moved"
update X3 III.1.b in_progress 70
assert_eq "3|50|1" "$(lead_total III.1.b)" "the last holder moved: 50 (X2) recomputed"
totals_equal "the last holder moved"
board_same "the last holder moved"
assert_eq 50 "$(row III.1.b 'd["progress"]')" "III.1.b progress 50"

step "every district reports; a new lowest; a status from completed back to postponed"
update X4 III.1.b postponed 10
update X5 III.1.b completed 100
update X6 III.1.b not_started 0
assert_eq "6|0|1" "$(lead_total III.1.b)" "X6's 0 is the lowest"
update X1 III.2.a postponed 90
totals_equal "all districts"
board_same "all districts"
assert_eq not_started "$(row III.1.b 'd["status"]')" "III.1.b: the least advanced district"
assert_eq 0 "$(row III.1.b 'd["progress"]')" "III.1.b: 0"
assert_eq postponed "$(row III.2.a 'd["status"]')" "III.2.a: X1 postponed"
assert_eq 90 "$(row III.2.a 'd["progress"]')" "III.2.a: 90"
update X6 III.1.b in_progress 10
assert_eq "6|10|2" "$(lead_total III.1.b)" "10 now held by X4 and X6"
totals_equal "a tie"
update X6 III.1.b completed 100
update X4 III.1.b completed 100
update X2 III.1.b completed 100
update X1 III.1.b completed 100
update X3 III.1.b completed 100
assert_eq "6|100|6" "$(lead_total III.1.b)" "all completed"
totals_equal "all completed"
board_same "all completed"
assert_eq '["completed", 100, "done"]' "$(row III.1.b '[d["status"], d["progress"], d["deadline_state"]]')" "III.1.b done"

step "the owner writes statuses in bulk (as bench/oversight_data.sql does)"
sql "delete from task_status where agency_id in (select id from agency where code in ('X2', 'X5'))" >/dev/null
totals_equal "bulk delete"
sql "insert into task_status (agency_id, task_code, plan_version_id, status, progress, version, request_uuid, change_seq)
     select a.id, t.code, t.plan_version_id, 'postponed', 5, 10, gen_random_uuid(), nextval('change_seq')
     from agency a, task t where a.code in ('X2', 'X5') and t.code in ('III.1.a', 'III.1.b')
       and t.plan_version_id = (plan_version_now()).id" >/dev/null
totals_equal "bulk insert"
sql "update task_status set progress = progress + 1 where progress < 100" >/dev/null
sql "update task_status set note = 'chỉ ghi chú'" >/dev/null
totals_equal "bulk update"
board_same "bulk changes"
assert_eq '["postponed", 6]' "$(row III.1.b '[d["status"], d["progress"]]')" "III.1.b after the bulk load"
for x in SNN SCT $DISTRICTS; do send "$x"; done # pull the versions the owner wrote

step "six districts and two departments update the same tasks at once"
for round in 1 2; do
    pids=()
    for x in $DISTRICTS; do
        queue "$x" III.1.b in_progress $((round * 10 + ${x#X}))
        queue "$x" III.1.a in_progress $((round * 5 + ${x#X}))
    done
    queue SNN III.1.a in_progress $((round * 20))
    queue SCT III.1.b in_progress $((round * 20))
    for x in SNN SCT $DISTRICTS; do
        "$BUILD/tamnong" --config "$TN_TMP/client-$x.conf" --state-dir "$(st "$x")" sync \
            >"$TN_TMP/sync-$x.out" 2>&1 &
        pids+=($!)
    done
    for p in "${pids[@]}"; do
        wait "$p" || fail "round $round: a concurrent sync failed: $(cat "$TN_TMP"/sync-*.out)"
    done
    totals_equal "concurrent round $round"
done
assert_eq 0 "$(grep -ci deadlock "$PG_LOG" "$SERVER_LOG" | awk -F: '{s += $NF} END {print s}')" "no deadlock in the logs"
assert_eq 7 "$(sql "select count(*) from task_status where task_code = 'III.1.b' and status = 'in_progress' and note = 'ghi chú ' || (select code from agency where id = agency_id)")" \
    "every concurrent update of III.1.b landed"
assert_eq "6|21|1" "$(lead_total III.1.b)" "lowest: X1's 21"
board_same "after the concurrent rounds"
assert_eq 21 "$(row III.1.b 'd["progress"]')" "III.1.b progress"

step "the refresh rebuilds the same totals; TRUNCATE empties them"
BEFORE=$(sql "select md5(string_agg(b::text, ',' order by b::text)) from board_total b")
sql "update membership_cache_state set fresh = false; select membership_refresh()" >/dev/null
assert_eq "$BEFORE" "$(sql "select md5(string_agg(b::text, ',' order by b::text)) from board_total b")" "rebuilt = kept"
sql "truncate task_status" >/dev/null
totals_equal "truncate"
assert_eq 0 "$(sql "select sum(reported) from board_total")" "nothing reported after truncate"
board_same "after truncate"
echo "ok"
