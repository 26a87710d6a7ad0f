#!/bin/bash
# test_indicator_totals: the running totals of 012_indicator_totals.sql, kept
# by triggers, against a recomputation from scratch, on a real server and
# PostgreSQL. Districts report, revise, get returned, resubmit, get accepted;
# the province-only reporter revises and is returned; the period is closed
# and a late correction arrives, then is returned; a new plan version turns a
# sum into a one-reporter rule; several agencies, four of them in one stripe,
# submit at once. After each step the kept totals, the frozen totals and the
# changes since the close must equal the views that recompute them (EXCEPT
# both ways), and `tamnong admin targets --json` must give the hand-computed
# figures (those of test_target_progress.sh, which 005 computed from the
# values). A totals-only TargetProgress reads no submission_value row.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/report_lib.sh"
source "$(dirname "$0")/oversight_lib.sh"

P=2025-six_month
TN_ROLE[SNN]=reviewer

# The kept rows equal the recomputed ones, both ways; rows of nothing (n = 0
# and every sum 0, no latest) stand for no row.
COLS="period_id, stripe, indicator_key, n, n_value, total, n_num, num, n_den, den, latest_at, latest_value"
totals_check() { # WHAT
    local kept="select $COLS from indicator_total
        where not (n = 0 and n_value = 0 and n_num = 0 and n_den = 0 and total = 0 and num = 0
                   and den = 0 and latest_at is null)"
    local again="select $COLS from indicator_total_recomputed"
    assert_eq 0 "$(sql "select count(*) from (($kept except $again) union all ($again except $kept)) x")" \
        "$1: indicator_total = indicator_total_recomputed"
    local ps="select period_id, indicator_key, n, total, num, den, latest"
    assert_eq 0 "$(sql "select count(*) from (($ps from period_snapshot_total except $ps from period_snapshot_total_recomputed)
        union all ($ps from period_snapshot_total_recomputed except $ps from period_snapshot_total)) x")" \
        "$1: period_snapshot_total = recomputed"
    local pc="select period_id, stripe, n from period_close_change"
    assert_eq 0 "$(sql "select count(*) from (($pc where n <> 0 except select * from period_close_change_recomputed)
        union all (select * from period_close_change_recomputed except $pc where n <> 0)) x")" \
        "$1: period_close_change = recomputed"
}

report() { # UUID-N NUM DEN OCOP COOPS [PERIOD]
    local ocop='"value": "'$4'"'
    [ -n "$4" ] || ocop='"note": "chưa có số liệu"'
    cat <<EOF
{"request_uuid": "$(uuid "$1")", "period_code": "${6:-$P}",
 "values": [{"key": "new_rural_commune_share", "numerator": "$2", "denominator": "$3"},
            {"key": "ocop_products", $ocop},
            {"key": "new_cooperatives", "value": "$5"}],
 "results": "Báo cáo $1"}
EOF
}
submit() { # CODE UUID-N NUM DEN OCOP COOPS: sets SID
    rpc1 "$1" Submit "$(report "$2" "$3" "$4" "$5" "$6")"
    assert_eq OK "$ST" "$1 submits ($MSG)"
    SID=$(pyj "$R" 'd["submission_id"]')
}
sct() { # UUID-N EXPORT INCOME: sets SID
    rpc1 SCT Submit "{\"request_uuid\": \"$(uuid "$1")\", \"period_code\": \"$P\", \"values\": [{\"key\": \"export_value\", \"value\": \"$2\"}, {\"key\": \"rural_income\", \"value\": \"$3\"}], \"results\": \"Xuất khẩu\"}"
    assert_eq OK "$ST" "SCT submits ($MSG)"
    SID=$(pyj "$R" 'd["submission_id"]')
}
review() { # UUID-N SID accept|return
    rpc1 SNN Review "{\"request_uuid\": \"$(uuid "$1")\", \"submission_id\": $2, \"decision\": \"$3\", \"reason\": \"Số liệu chưa khớp\"}"
    assert_eq OK "$ST" "review $2: $3 ($MSG)"
}
targets() { # the client's answer for period P
    tn SNN admin targets "$P" --json
    assert_eq 0 "$RC" "admin targets ($ERR)"
    T=$OUT
}
tv() { # KEY FIELD: one field of one indicator in the last targets answer
    pyj "$T" "[i for i in d['indicators'] if i['key'] == '$1'][0]['$2'] or ''"
}
figures() { # WHAT SHARE OCOP COOPS EXPORT INCOME (as the client prints them)
    targets
    assert_eq "$2 $3 $4 $5 $6" "$(tv new_rural_commune_share value) $(tv ocop_products value) $(tv new_cooperatives value) $(tv export_value value) $(tv rural_income value)" \
        "$1: share, OCOP, cooperatives, export, income"
}

step "start PostgreSQL, PKI, tamnongd on 10 June 2025; agencies; the oversight plan"
oversight_setup 2025-06-10T09:00:00+07:00
totals_check "no report yet"
assert_eq 0 "$(sql "select count(*) from indicator_total")" "no totals yet"
assert_eq "export_value rural_income" "$(sql "select string_agg(indicator_key, ' ' order by indicator_key) from indicator_total_single")" \
    "the one-reporter keys of the plan"

step "three districts and SCT report: 25 %, 20 OCOP, 9 cooperatives, 520.5, 37.5"
submit UBND-A 1 10 20 12 4
submit UBND-B 2 5 10 8 3
SIDB1=$SID
submit UBND-C 3 0 30 "" 2
sct 4 520.5 37.5
SIDS1=$SID
totals_check "first reports"
assert_eq 10 "$(sql "select count(*) from indicator_total where n > 0")" "A, B: 3 keys, C: 2 (no OCOP figure), SCT: 2; a stripe each"
figures "first reports" 25 20 9 520.5 37.5
assert_eq 15/60 "$(tv new_rural_commune_share numerator)/$(tv new_rural_commune_share denominator)" "Σ numerators / Σ denominators"

step "UBND-A sends revision 2 (20/20, 15, 6): the old revision stops counting"
submit UBND-A 5 20 20 15 6
totals_check "a new revision"
figures "a new revision" 41.6667 23 11 520.5 37.5

step "the standing agency returns UBND-B's report: it counts for nothing"
review 6 "$SIDB1" return
totals_check "a return"
figures "a return" 40 15 8 520.5 37.5

step "SCT revises (480), is returned (no value), sends again (490)"
sct 7 480 38
SIDS2=$SID
totals_check "SCT's revision"
figures "SCT's revision" 40 15 8 480 38
assert_eq 480 "$(sql "select latest_value from indicator_total where indicator_key = 'export_value'")" "the latest kept"
review 8 "$SIDS2" return
totals_check "SCT returned"
figures "SCT returned" 40 15 8 "" ""
assert_eq "" "$(sql "select latest_value from indicator_total where indicator_key = 'export_value'")" "no latest left"
sct 9 490 38.5
totals_check "SCT again"
figures "SCT again" 40 15 8 490 38.5
[ "$SIDS1" != "$SID" ] || fail "a new submission"

step "UBND-B resubmits and is accepted: counted as before"
submit UBND-B 10 5 10 8 3
review 11 "$SID" accept
totals_check "resubmitted and accepted"
figures "resubmitted and accepted" 41.6667 23 11 490 38.5

step "on 20 June the period is closed: the frozen totals are stored, nothing changed since"
oversight_restart 2025-06-20T09:00:00+07:00
rpc1 SNN PeriodClose "{\"request_uuid\": \"$(uuid 20)\", \"period_code\": \"$P\"}"
assert_eq OK "$ST" "close ($MSG)"
totals_check "closed"
assert_eq 5 "$(sql "select count(*) from period_snapshot_total")" "a frozen total per indicator"
assert_eq 0 "$(sql "select count(*) from period_close_change where n <> 0")" "no change since the close"
figures "closed" 41.6667 23 11 490 38.5
assert_eq "true " "$(tv new_rural_commune_share frozen) $(tv new_rural_commune_share current_value)" "frozen, no current value"

step "a late correction by UBND-C (30/30, 5, 1): frozen figures stay, the current ones are shown"
submit UBND-C 21 30 30 5 1
SIDC2=$SID
totals_check "a late correction"
assert_eq 2 "$(sql "select n from period_close_change where n <> 0")" "UBND-C: a revision not frozen, a frozen one no longer counted"
figures "a late correction" 41.6667 23 11 490 38.5
assert_eq "91.6667 28 10" "$(tv new_rural_commune_share current_value) $(tv ocop_products current_value) $(tv new_cooperatives current_value)" \
    "current: 55/60, 15 + 8 + 5, 6 + 3 + 1"
assert_eq "" "$(tv export_value current_value)" "export unchanged"

step "the correction is returned: still changed (the frozen revision does not count either)"
review 22 "$SIDC2" return
totals_check "the correction returned"
assert_eq 1 "$(sql "select n from period_close_change where n <> 0")" "only the frozen revision differs"
figures "the correction returned" 41.6667 23 11 490 38.5
assert_eq "83.3333 " "$(tv new_rural_commune_share current_value) $(tv ocop_products current_value)" \
    "current: 25/30; OCOP 15 + 8 = 23 as frozen (no current value)"

step "totals only read the totals: no submission_value row (this transaction's table statistics)"
touched() { # TOTALS_ONLY -> seq + index scans of submission_value by one target_progress call
    psql_owner -qtA -c "begin" -c "select target_progress('$P', '', $1) is not null" \
        -c "select coalesce(seq_scan, 0) + coalesce(idx_scan, 0) from pg_stat_xact_user_tables
            where relname = 'submission_value'" -c "commit" | sed -n 2p
}
assert_eq 0 "$(touched true)" "totals only"
[ "$(touched false)" -gt 0 ] || fail "the breakdown reads the values (the check can see a read)"

step "plan version 2: 200 more districts, new_cooperatives becomes a one-reporter rule"
oversight_plan
python3 - "$TN_TMP/oversight.plan" <<'EOF'
import sys
p = sys.argv[1]
s = open(p, encoding="utf-8").read()
s = s.replace("version = 1", "version = 2")
s = s.replace("name = Số hợp tác xã thành lập mới\nunit = hợp tác xã\nrule = sum",
              "name = Số hợp tác xã thành lập mới\nunit = hợp tác xã\nrule = yearly_rate")
extra = "".join(f"[agency UBND-X{i:03d}]\nkind = district\nname = UBND huyện X{i:03d}\n\n"
                for i in range(1, 201))
s = s.replace("[group @districts]", extra + "[group @districts]")
open(p, "w", encoding="utf-8").write(s)
EOF
rpc1 OPS PlanImport "{\"file_name\": \"oversight.plan\", \"content\": {\"file\": \"$TN_TMP/oversight.plan\"}}"
assert_eq OK "$ST" "plan import v2 ($MSG)"
assert_eq "export_value new_cooperatives rural_income" "$(sql "select string_agg(indicator_key, ' ' order by indicator_key) from indicator_total_single")" \
    "the one-reporter keys follow the plan"
totals_check "a rule changed"
assert_eq 0 "$(sql "select count(*) from indicator_total where indicator_key = 'new_cooperatives' and n > 0 and latest_at is null")" \
    "new_cooperatives has its latest now"
targets
# frozen: the latest of the snapshot is UBND-B's revision 2 (3 cooperatives)
assert_eq "3 " "$(tv new_cooperatives value) $(tv new_cooperatives current_value)" "the latest received, now and frozen"

step "seven agencies submit at once, four of them in one stripe (agency_id % 64), 3 revisions each"
A_STRIPE=$(sql "select id % 64 from agency where code = 'UBND-A'")
mapfile -t SAME < <(sql "select code from agency where code like 'UBND-X%' and id % 64 = $A_STRIPE order by id limit 3")
assert_eq 3 "${#SAME[@]}" "three new districts in UBND-A's stripe"
for c in "${SAME[@]}"; do agency_register "$c" "UBND huyện ${c#UBND-}"; done
AGENCIES=(UBND-A UBND-B UBND-C "${SAME[@]}")
Q=2025-annual
pids=()
n=100
for c in "${AGENCIES[@]}"; do
    steps="["
    for r in 1 2 3; do
        n=$((n + 1))
        steps+="{\"m\": \"Submit\", \"msg\": $(report $n $r 10 $((r * 2)) $r $Q)}"
        [ $r = 3 ] || steps+=", "
    done
    steps+="]"
    # (not rpc: its _capture files are shared by the background processes)
    timeout 120 python3 "$TN_RPC" --port "$TN_PORT" --ca "$PKI/ca.pem" \
        --cert "$PKI/agencies/$c.pem" --key "$PKI/agencies/$c.key" "$steps" \
        >"$TN_TMP/conc-$c.out" 2>"$TN_TMP/conc-$c.err" </dev/null &
    pids+=($!)
done
timeout 120 python3 "$TN_RPC" --port "$TN_PORT" --ca "$PKI/ca.pem" \
    --cert "$PKI/agencies/SCT.pem" --key "$PKI/agencies/SCT.key" \
    "[{\"m\": \"Submit\", \"msg\": {\"request_uuid\": \"$(uuid 199)\", \"period_code\": \"$Q\", \"values\": [{\"key\": \"export_value\", \"value\": \"7\"}, {\"key\": \"rural_income\", \"value\": \"8\"}]}}]" \
    >"$TN_TMP/conc-SCT.out" 2>"$TN_TMP/conc-SCT.err" </dev/null &
pids+=($!)
for p in "${pids[@]}"; do wait "$p" || fail "a concurrent submitter failed"; done
for c in "${AGENCIES[@]}"; do
    assert_eq '["OK", "OK", "OK"]' "$(pyj "$(cat "$TN_TMP/conc-$c.out")" '[x["status"] for x in d]')" \
        "$c: three revisions accepted, no deadlock"
done
assert_eq '["OK"]' "$(pyj "$(cat "$TN_TMP/conc-SCT.out")" '[x["status"] for x in d]')" "SCT submitted"
assert_not_contains "$(cat "$SERVER_LOG")" "deadlock" "no deadlock in the server log"
totals_check "concurrent submitters"
assert_eq 4 "$(sql "select count(*) from submission s join period p on p.id = s.period_id
    where p.code = '$Q' and s.current and s.agency_id % 64 = $A_STRIPE")" "four counted reports in one stripe"
P=$Q
# every district's revision 3 counts: 3/10 each -> 30 %; OCOP 6 each
figures "concurrent submitters" 30 $((6 * ${#AGENCIES[@]})) 3 7 8

step "the check sees a wrong total; indicator_totals_rebuild() repairs it"
sql "update indicator_total set total = total + 1 where indicator_key = 'ocop_products' and n > 0 and stripe = $A_STRIPE and period_id = (select id from period where code = '$Q')" >/dev/null
KEPT="select $COLS from indicator_total where n > 0"
assert_eq 2 "$(sql "select count(*) from (($KEPT except select $COLS from indicator_total_recomputed)
    union all (select $COLS from indicator_total_recomputed except $KEPT)) x")" "a wrong row differs both ways"
sql "select indicator_totals_rebuild()" >/dev/null
totals_check "rebuilt"
figures "rebuilt" 30 $((6 * ${#AGENCIES[@]})) 3 7 8
echo "ok"
