#!/bin/bash
# bench/oversight.sh: the national-scale oversight benchmark (issue 6), part
# of `make bench` (bench/run.sh runs it; BENCH_ONLY=oversight runs only it).
# A throwaway PostgreSQL and tamnongd (tests/integration/lib.sh), the plan of
# bench/oversight_plan.py imported through PlanImport (3,500 reporting units,
# 60 tasks, 60 indicators, 16 periods 2023-2030), the reports written straight
# into PostgreSQL by bench/oversight_data.sql (3 revisions for a third), then
# the latency of PeriodStatus (completeness; UNIMPLEMENTED until issue 5's
# server work is merged), TaskBoard and TargetProgress for one period through
# tamnongd, one request at a time, warm cache (bench/oversight_lat.py).
# Writes $BUILD/bench/oversight.md and prints it. Fails only on errors; a
# missed goal (p99 < 50 ms) is reported.
#
# Environment: BUILD (default build), BENCH_OVERSIGHT_N (timed calls per case,
# default 200), BENCH_OVERSIGHT_PERIOD (default 2025-six_month), BENCH_OVERSIGHT_HOLD
# (seconds to wait after loading, for a look with psql), TN_KEEP=1.
set -u -o pipefail
cd "$(dirname "$0")/.." || exit 1
# shellcheck source=tests/integration/lib.sh
source tests/integration/lib.sh

N=${BENCH_OVERSIGHT_N:-200}
PERIOD=${BENCH_OVERSIGHT_PERIOD:-2025-six_month}
GOAL_MS=50
OUTDIR=$BUILD/bench
[ -x "$BUILD/tamnongd" ] || fail "$BUILD/tamnongd is not built (make BUILD=$BUILD)"

rpc_as() { # CODE STEPS: as a person of CODE logged in (session_ensure)
    _capture timeout 600 python3 tests/integration/rpc.py --timeout 600 --port "$TN_PORT" \
        --ca "$PKI/ca.pem" --cert "$PKI/agencies/$1.pem" --key "$PKI/agencies/$1.key" \
        --session-token "$(session_token "$1")" "$2"
    [ "$RC" = 0 ] || fail "rpc as $1: $OUT $ERR"
}

step "set-up: PostgreSQL (shared_buffers 512MB), PKI, tamnongd"
pg_start
pg_stop fast
"${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 30 \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_SOCK -c shared_buffers=512MB -c max_wal_size=4GB" \
    start >"$TN_TMP/pg_ctl.log" 2>&1 || { cat "$TN_TMP/pg_ctl.log" "$PG_LOG" >&2; fail "PostgreSQL did not restart"; }
pki_make
server_start log_level=warning
agency_cert OPS --name "Đơn vị vận hành"
_capture timeout 60 "$BUILD/tamnongd" --config "$TN_CONF" register-cert \
    "$PKI/agencies/OPS.pem" --agency OPS --name "Đơn vị vận hành" --operator
assert_eq 0 "$RC" "register-cert OPS --operator"
session_ensure OPS operator

step "the national-scale plan through PlanImport"
python3 bench/oversight_plan.py "$TN_TMP/national.plan" || fail "plan generator failed"
t0=$SECONDS
rpc_as OPS "{\"m\": \"PlanImport\", \"msg\": {\"file_name\": \"national.plan\", \"content\": {\"file\": \"$TN_TMP/national.plan\"}}}"
python3 -c 'import json, sys; r = json.loads(sys.argv[1])[0]; sys.exit(r["status"] != "OK")' "$OUT" ||
    fail "plan import: $OUT"
info "imported in $((SECONDS - t0)) s: $(python3 -c 'import json, sys; r = json.loads(sys.argv[1])[0]["resp"]; print(r["agencies"], "agencies,", r["tasks"], "tasks,", r["indicators"], "indicators,", r["targets"], "targets")' "$OUT")"

step "the reports, straight into PostgreSQL"
t0=$SECONDS
_capture psql_owner -q -f bench/oversight_data.sql
[ "$RC" = 0 ] || fail "oversight_data.sql: $ERR"
COUNTS=$(psql_owner -tA -c "select (select count(*) from submission) || ' | ' ||
    (select count(*) from submission_value) || ' | ' || (select count(*) from task_status) || ' | ' ||
    (select count(*) from agency)")
info "loaded in $((SECONDS - t0)) s: submissions | values | task statuses | agencies = $COUNTS"
DB_SIZE=$(psql_owner -tA -c "select pg_size_pretty(pg_database_size(current_database()))")

if [ -n "${BENCH_OVERSIGHT_HOLD:-}" ]; then # a look at the data set with psql
    info "holding for $BENCH_OVERSIGHT_HOLD s: psql -h $PG_SOCK -p $PG_PORT -U tamnong tamnong"
    sleep "$BENCH_OVERSIGHT_HOLD"
fi

agency_register D00 "Sở thử nghiệm 00"
session_ensure D00 reviewer

step "close one earlier period (the frozen figures path)"
rpc_as D00 '{"m": "PeriodClose", "msg": {"request_uuid": "000000000000000000000000000000aa", "period_code": "2024-annual"}}'
python3 -c 'import json, sys; r = json.loads(sys.argv[1])[0]; sys.exit(r["status"] != "OK")' "$OUT" ||
    fail "period close: $OUT"

step "latency, $N calls per case after 5 warm-up calls, period $PERIOD"
cat >"$TN_TMP/cases.json" <<EOF
[{"case": "completeness (PeriodStatus)", "m": "PeriodStatus", "msg": {"period_code": "$PERIOD"}},
 {"case": "task board, summary rows", "m": "TaskBoard", "msg": {"period_code": "$PERIOD", "summary": true}},
 {"case": "task board, one department, full rows", "m": "TaskBoard", "msg": {"period_code": "$PERIOD", "agency_code": "D11"}},
 {"case": "target progress, totals", "m": "TargetProgress", "msg": {"period_code": "$PERIOD", "totals_only": true}},
 {"case": "target progress, one ratio indicator with breakdown", "m": "TargetProgress", "msg": {"period_code": "$PERIOD", "indicator": "ind02"}},
 {"case": "target progress, totals, closed period", "m": "TargetProgress", "msg": {"period_code": "2024-annual", "totals_only": true}},
 {"case": "report feedback", "m": "ReportFeedback", "msg": {"period_code": "$PERIOD"}}]
EOF
_capture timeout 1800 python3 bench/oversight_lat.py -n "$N" --port "$TN_PORT" --ca "$PKI/ca.pem" \
    --cert "$PKI/agencies/D00.pem" --key "$PKI/agencies/D00.key" \
    --session-token "$(session_token D00)" "$TN_TMP/cases.json"
[ "$RC" = 0 ] || fail "oversight_lat.py: $OUT $ERR"
RESULTS=$OUT
server_alive || fail "tamnongd died during the benchmark"

mkdir -p "$OUTDIR"
python3 - "$RESULTS" "$GOAL_MS" "$COUNTS" "$DB_SIZE" "$PERIOD" >"$OUTDIR/oversight.md" <<'EOF'
import json, sys
rows = [json.loads(l) for l in sys.argv[1].splitlines() if l.strip()]
goal = float(sys.argv[2])
counts = [c.strip() for c in sys.argv[3].split("|")]
print("### Oversight queries at national scale (issue 6)\n")
print(f"Data: {counts[3]} agencies (3,500 reporting units), {counts[0]} submissions, "
      f"{counts[1]} indicator values, {counts[2]} task statuses; database {sys.argv[4]}. "
      f"Period {sys.argv[5]}; one request at a time, warm cache.\n")
print("| query | p50 ms | p99 ms | max ms | response bytes | goal p99 < %g ms |" % goal)
print("|---|---:|---:|---:|---:|---|")
for r in rows:
    if r["status"] != "OK":
        print(f"| {r['case']} | – | – | – | – | {r['status']} (not measured) |")
        continue
    ok = "met" if r["p99_ms"] < goal else "**missed**"
    print(f"| {r['case']} | {r['p50_ms']} | {r['p99_ms']} | {r['max_ms']} | {r['bytes']:,} | {ok} |")
EOF
cat "$OUTDIR/oversight.md"
step "Markdown written to $OUTDIR/oversight.md"
