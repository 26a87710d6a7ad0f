#!/bin/bash
# bench/period_status.sh: PeriodStatus and the on-time lists on a national-
# size data set (issue 5): 30 departments and 3,500 communes, 16 periods
# (six-month and annual, 2023-2030), 85 % of the agencies with a report in
# every period (a fifth accepted, some returned), 20 per-agency extensions
# per period. Loads it straight into a throwaway PostgreSQL with the
# project's migrations (tests/integration/lib.sh), then times each statement
# as tamnongd runs it (psql \timing, best of RUNS). Not a pass/fail test.
# Usage: BUILD=build bench/period_status.sh [RUNS]
source "$(dirname "$0")/../tests/integration/lib.sh"
RUNS=${1:-5}

step "PostgreSQL, PKI, tamnongd (migrations)"
setup_all "test_clock=2025-06-20T09:00:00+07:00"

step "national data set"
python3 - >"$TN_TMP/plan.json" <<'PY'
import json
ag = [{"code": "D%02d" % i, "name": "Sở %d" % i, "kind": "department"} for i in range(30)]
ag += [{"code": "X%04d" % i, "name": "Xã %d" % i, "kind": "commune"} for i in range(3500)]
groups = [{"code": "@communes", "name": "các xã", "kinds": ["commune"]}]
tasks = [{"code": "T%d" % i, "section": "S", "title": "t", "text": "t", "lead": ["D%02d" % (i % 30)],
          "coordinating": ["@communes"] if i % 5 == 0 else ["D%02d" % ((i + 1) % 30)]} for i in range(60)]
inds = [{"key": "k%d" % i, "name": "k", "unit": "u", "rule": "sum",
         "reporters": ["@communes"] if i % 2 else ["D%02d" % i]} for i in range(10)]
periods = []
for y in range(2023, 2031):
    periods.append({"regime": "six_month", "year": y, "window_start": "%d-12-15" % (y - 1),
                    "window_end": "%d-06-14" % y, "deadline": "%d-06-15" % y})
    periods.append({"regime": "annual", "year": y, "window_start": "%d-12-15" % (y - 1),
                    "window_end": "%d-12-14" % y, "deadline": "%d-12-15" % y})
print(json.dumps({"plan": {"code": "national", "title": "national"}, "agencies": ag,
                  "groups": groups, "sections": [{"code": "S", "title": "s"}], "tasks": tasks,
                  "indicators": inds, "periods": periods,
                  "regimes": [{"code": "six_month", "name": "6 tháng"},
                              {"code": "annual", "name": "năm"}]}))
PY
psql_app -q >/dev/null <<SQL || fail "plan import"
\set doc \`cat $TN_TMP/plan.json\`
select plan_import(:'doc'::jsonb, null);
SQL
psql_app -q 2>/dev/null <<'SQL' || fail "data"
insert into submission (agency_id, period_id, revision, received_at, on_time, content,
                        request_uuid, change_seq, state)
select a.id, p.id, 1, p.deadline_at - interval '3 days' + random() * interval '5 days', true,
       '{}', gen_random_uuid(), nextval('change_seq'),
       case when random() < 0.2 then 'accepted' when random() < 0.1 then 'returned'
            else 'submitted' end
from agency a cross join period p where random() < 0.85;
insert into deadline_extension (period_id, agency_id, until, deadline_at, reason, granted_by,
                                request_uuid)
select p.id, a.id, p.deadline + 5, p.deadline_at + interval '5 days', 'lũ', a.id,
       gen_random_uuid()
from period p cross join (select id from agency where code like 'X00%' limit 20) a;
analyze;
SQL
info "$(psql_app -tA -c "select count(*) || ' submissions, ' || (select count(*) from agency) || ' agencies' from submission")"

timeit() { # WHAT SQL: best of RUNS, in ms
    local best="" t i
    for ((i = 0; i < RUNS; i++)); do
        t=$(psql_app -tA -c '\timing on' -c "$2" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p')
        [ -z "$best" ] || [ "$(echo "$t < $best" | bc)" = 1 ] && best=$t
    done
    printf '%-60s %8.1f ms\n' "$1" "$best"
}
step "best of $RUNS"
timeit "period_status, 3,530 expected reporters" \
    "select count(*) from period_status(1, '2025-six_month', '')"
timeit "period_status --kind department (30)" \
    "select count(*) from period_status(1, '2025-six_month', 'department')"
timeit "period_reporters alone" "select count(*) from period_reporters('2025-06-14')"
timeit "Submissions of one period (about 3,000, admin)" \
    "select length(submissions_list(1, true, '2025-six_month', '', '')::text)"
timeit "Pull of one commune (plan unchanged)" \
    "select length(report_pull(100, 1, 0, province_today()::text)::text)"
