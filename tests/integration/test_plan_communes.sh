#!/bin/bash
# test_plan_communes: the operator imports commune-level units (a synthetic
# set) by adding them to the plan file: the plan content does not change, so
# no new version; the communes exist from 1/7/2025, and the duties of the
# district committees ("UBND các huyện, thành phố", abolished on 1/7/2025)
# pass to them through the reorganisation record.
source "$(dirname "$0")/lib.sh"

PLAN=$TN_REPO/deploy/plans/lang-son.plan

pyj() {
    python3 -c 'import json, sys
d = json.loads(sys.argv[1])
r = eval(sys.argv[2])
print(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False))' "$1" "$2" ||
        fail "cannot evaluate $2 on: ${1:0:600}"
}

step "start PostgreSQL, PKI, tamnongd; an operator; the plan imported"
setup_all
agency_register OPS "Đơn vị vận hành" # tn OPS admin logs in an operator of OPS
tn OPS admin plan import --json "$PLAN"
assert_eq 0 "$RC" "first import"
assert_eq 1 "$(pyj "$OUT" 'd["version"]')" "first version"

step "the plan file with three synthetic communes added"
WITH=$TN_TMP/with-communes/lang-son.plan
mkdir -p "$(dirname "$WITH")"
n=$(awk '/^\[declares\]/ { on = 1; next } /^\[/ { on = 0 } on && $1 == "agencies" { print $3 }' "$PLAN")
sed "s/^agencies = $n\$/agencies = $((n + 3))/" "$PLAN" >"$WITH"
for c in "XA-THU1 UBND xã Thử Một" "XA-THU2 UBND xã Thử Hai" "PHUONG-THU3 UBND phường Thử Ba"; do
    printf '\n[agency %s]\nkind = commune\nname = %s\nvalid_from = 2025-07-01\n' \
        "${c%% *}" "${c#* }" >>"$WITH"
done
tn OPS admin plan import --json "$WITH"
assert_eq 0 "$RC" "import with communes: $ERR"
assert_eq false "$(pyj "$OUT" 'd["changed"]')" "plan content unchanged"
assert_eq 1 "$(pyj "$OUT" 'd["version"]')" "no new version"

step "agencies on 2025-06-01: districts, no communes; on 2025-08-01: communes, no districts"
tn OPS agencies --at 2025-06-01 --json
assert_eq 0 "$RC" "agencies 2025-06-01"
assert_eq 11 "$(pyj "$OUT" 'sum(a["kind"] == "district" for a in d["agencies"])')" "districts on 2025-06-01"
assert_eq 0 "$(pyj "$OUT" 'sum(a["kind"] == "commune" for a in d["agencies"])')" "communes on 2025-06-01"
tn OPS agencies --at 2025-08-01 --json
assert_eq 0 "$(pyj "$OUT" 'sum(a["kind"] == "district" for a in d["agencies"])')" "districts on 2025-08-01"
assert_eq 3 "$(pyj "$OUT" 'sum(a["kind"] == "commune" for a in d["agencies"])')" "communes on 2025-08-01"
assert_eq "UBND xã Thử Một" "$(pyj "$OUT" '[a["name"] for a in d["agencies"] if a["code"] == "XA-THU1"][0]')" \
    "a commune's Vietnamese name"

step "the districts' tasks pass to the communes on 1/7/2025"
tn OPS plan tasks --agency UBND-TRANGDINH --at 2025-06-30 --json
assert_eq 0 "$RC" "tasks of a district on 2025-06-30"
DISTRICT=$(pyj "$OUT" 'sorted(t["code"] for t in d)')
[ "$DISTRICT" != "[]" ] || fail "a district has no task on 2025-06-30"
tn OPS plan tasks --agency XA-THU1 --at 2025-06-30 --json
assert_eq "[]" "$OUT" "a commune has no task before it exists"
tn OPS plan tasks --agency XA-THU1 --at 2025-08-01 --json
assert_eq "$DISTRICT" "$(pyj "$OUT" 'sorted(t["code"] for t in d)')" \
    "the commune has the district's tasks on 2025-08-01"
tn OPS plan tasks --agency PHUONG-THU3 --at 2025-08-01 --json
assert_eq "$DISTRICT" "$(pyj "$OUT" 'sorted(t["code"] for t in d)')" "so has the ward"
step "the membership cache (011) is fresh and equals the live expansion on every period day"
# Days around the changes too: the epochs must split exactly where the
# districts end and the communes begin.
cache_diff() {
    psql_owner -tA -c "select membership_cached_epoch((plan_version_now()).id, d) is not null as cached,
        (select count(*) from ((select * from ref_members((plan_version_now()).id, d)
                                except select * from ref_members_live((plan_version_now()).id, d))
                               union all
                               (select * from ref_members_live((plan_version_now()).id, d)
                                except select * from ref_members((plan_version_now()).id, d))) x)
        from (select window_end d from period union select deadline from period
              union values ('2025-02-28'::date), ('2025-03-01'), ('2025-06-30'), ('2025-07-01')) days
        group by 1, 2 order by 1"
}
assert_eq "t" "$(psql_owner -tA -c "select fresh from membership_cache_state")" "cache fresh after the import"
# agency_refs_at (every Pull and Submit) from the cache = as 003 computed it,
# for every agency on one day of each cached epoch (the cache is per epoch)
assert_eq 0 "$(psql_owner -tA -c "select count(*) from agency a,
        (select distinct on (membership_epoch(d)) d
         from (select window_end d from period union select deadline from period) x) days,
        lateral (select count(*) n from ((select * from agency_refs_at(a.id, d)
                                          except select * from agency_refs_at_live(a.id, d))
                                         union all
                                         (select * from agency_refs_at_live(a.id, d)
                                          except select * from agency_refs_at(a.id, d))) x) k
        where k.n > 0")" "agency_refs_at: cached and live agree for every agency and day"
n=$(psql_owner -tA -c "select count(*) from agency a, (select window_end d from period) days,
        agency_refs_at(a.id, d)")
[ "$n" -gt 100 ] || fail "agency_refs_at gave only $n rows: the comparison above proves nothing"
assert_eq "t|0" "$(cache_diff)" "every period day (and the days around the changes) cached, no difference"
assert_eq "$(psql_owner -tA -c "select count(distinct agency_id) from ref_members_live((plan_version_now()).id, '2025-08-01') where agency_id in (select id from agency where kind = 'commune')")" \
    "3" "the three communes are in the live expansion on 2025-08-01"
assert_eq "3" "$(psql_owner -tA -c "select count(distinct agency_id) from ref_members((plan_version_now()).id, '2025-12-14') where agency_id in (select id from agency where kind = 'commune')")" \
    "and in the cached one of a later period day"
# A change behind the plan's back (a new kind for a commune) makes it stale:
# it is expanded live, still right, until the next refresh.
psql_owner -qc "update agency set kind = 'other' where code = 'XA-THU1'" || fail "update agency"
assert_eq "f" "$(psql_owner -tA -c "select fresh from membership_cache_state")" "stale after an agency's kind changed"
assert_eq "2" "$(psql_owner -tA -c "select count(distinct agency_id) from ref_members((plan_version_now()).id, '2025-12-14') where agency_id in (select id from agency where kind = 'commune')")" \
    "a stale cache is not used"
psql_owner -qc "select membership_refresh()" >/dev/null || fail "refresh"
assert_eq "t|0" "$(cache_diff)" "refreshed: agrees again"
echo "ok"
