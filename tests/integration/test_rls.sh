#!/bin/bash
# test_rls: row-level security at the SQL level (007_rls.sql). As the
# application role tamnong_app with agency A set for the transaction, A's
# rows are visible and B's are not in every table under row-level security;
# writing a B row is refused; with no agency set nothing is visible (never an
# error); the setting ends with its transaction. The role is no superuser,
# has no BYPASSRLS and owns nothing; every table with an agency_id column
# (also those later migrations add) has row-level security enabled and forced.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/report_lib.sh"

step "start PostgreSQL, PKI, tamnongd; agencies; the test plan imported; data of two agencies"
report_setup
report_two_agencies
A=$(sql "select id from agency where code = 'UBND-A'")
B=$(sql "select id from agency where code = 'UBND-B'")

# app SQL: psql as tamnong_app, the SQL in one transaction after setting
# the agency to $AS ("" = not set at all). Prints the result.
AS=""
_set_agency() {
    [ -n "$AS" ] && echo "do \$\$ begin perform set_config('tamnong.agency_id', '$AS', true); end \$\$;"
}
app() {
    psql_app -tA -c "begin; $(_set_agency) $1; commit;" 2>&1 | grep -v '^\(BEGIN\|COMMIT\|DO\)$' || true
}
# app_val SQL: like app, quiet: only the last line of the result.
app_val() { psql_app -tA -q -c "begin; $(_set_agency) $1; commit;" 2>&1 | tail -n 1; }

step "the application role: no superuser, no BYPASSRLS, owns nothing"
assert_eq "f|f|f|f|t" "$(sql "select rolsuper, rolbypassrls, rolcreaterole, rolcreatedb, rolcanlogin from pg_roles where rolname = 'tamnong_app'")" "attributes of tamnong_app"
assert_eq 0 "$(sql "select count(*) from pg_class where relowner = 'tamnong_app'::regrole")" "relations owned by tamnong_app"
assert_eq 0 "$(sql "select count(*) from pg_proc where proowner = 'tamnong_app'::regrole")" "functions owned by tamnong_app"
assert_eq 0 "$(sql "select count(*) from pg_namespace where nspowner = 'tamnong_app'::regrole")" "schemas owned by tamnong_app"
assert_eq f "$(sql "select has_schema_privilege('tamnong_app', 'public', 'CREATE')")" "tamnong_app may not create in public"
OUT=$(psql_app -tA -c "select current_user" 2>&1)
assert_eq tamnong_app "$OUT" "psql_app connects as the application role"
assert_eq tamnong_app "$(sql "select string_agg(distinct usename, ',') from pg_stat_activity where application_name = 'tamnongd'")" "the server's pool connects as tamnong_app"

step "every table with an agency_id column has row-level security enabled and forced"
BAD=$(sql "select string_agg(c.relname, ', ' order by c.relname) from pg_class c
           join pg_namespace n on n.oid = c.relnamespace
           where n.nspname = 'public' and c.relkind in ('r', 'p')
             and exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'agency_id' and not a.attisdropped)
             and not (c.relrowsecurity and c.relforcerowsecurity)")
assert_eq "" "$BAD" "tables with agency_id but without forced row-level security"
# The agency data of 003 without an agency_id column is covered too.
for t in submission_value submission_attachment attachment; do
    assert_eq "t|t" "$(sql "select relrowsecurity, relforcerowsecurity from pg_class where oid = '$t'::regclass")" "$t forced"
done
# Tables under RLS whose rows belong to agencies (plan tables are public).
mapfile -t RLS_TABLES < <(sql "select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relrowsecurity
      and not exists (select 1 from pg_policy p where p.polrelid = c.oid and p.polname = 'plan_read')
    order by 1")
info "agency tables under RLS: ${RLS_TABLES[*]}"
[ "${#RLS_TABLES[@]}" -ge 9 ] || fail "expected at least 9 agency tables under RLS, got ${RLS_TABLES[*]}"

step "the owner (scope all) sees both agencies' rows: the test data is there"
for t in request_log task_status submission attachment_owner attachment_chunk; do
    n=$(sql "select count(*) filter (where agency_id = $A) || '|' || count(*) filter (where agency_id = $B) from $t")
    [[ $n =~ ^[1-9][0-9]*\|[1-9][0-9]*$ ]] || fail "$t: rows of A|B as the owner: $n"
done

step "as tamnong_app with agency A: A's rows only, in every agency table"
AS=$A
for t in "${RLS_TABLES[@]}"; do
    if [ "$(sql "select has_table_privilege('tamnong_app', '$t', 'SELECT')")" = f ]; then
        out=$(app "select count(*) from $t")
        assert_contains "$out" "permission denied" "$t: no SELECT for tamnong_app"
        continue
    fi
    has_agency=$(sql "select count(*) from pg_attribute where attrelid = '$t'::regclass and attname = 'agency_id'")
    if [ "$has_agency" = 1 ]; then
        assert_eq 0 "$(app_val "select count(*) from $t where agency_id <> $A")" "$t: other agencies' rows visible to A"
        # A sees exactly its own rows (as many as the owner counts for A);
        # the tables this test fills must not be empty for A.
        n=$(app_val "select count(*) from $t where agency_id = $A")
        assert_eq "$(sql "select count(*) from $t where agency_id = $A")" "$n" "$t: A's own rows as A"
        case " request_log task_status submission attachment_owner attachment_chunk " in
        *" $t "*) [[ $n =~ ^[1-9][0-9]*$ ]] || fail "$t: A sees none of its own rows ($n)" ;;
        esac
    fi
done
assert_eq "0|2" "$(app_val "select count(*) filter (where submission_id = $SUB_B) || '|' || count(*) filter (where submission_id = $SUB_A) from submission_value")" "submission_value: B's invisible, A's visible"
assert_eq "0|1" "$(app_val "select count(*) filter (where submission_id = $SUB_B) || '|' || count(*) filter (where submission_id = $SUB_A) from submission_attachment")" "submission_attachment"
assert_eq "0|1" "$(app_val "select count(*) filter (where sha256 = '$ATT_SHA_B') || '|' || count(*) filter (where sha256 = '$ATT_SHA_A') from attachment")" "attachment: B's file invisible, A's visible"
assert_eq "" "$(app_val "select id from submission where id = $SUB_B")" "B's submission by id"
# The application's functions see the same: B's submission does not exist for A.
assert_contains "$(app_val "select submission_get($A, false, $SUB_B)")" "NOT_FOUND" "submission_get of B's id as A"
assert_contains "$(app_val "select submission_get($A, true, $SUB_B)")" "NOT_FOUND" "even with admin=true, without scope all"

step "as tamnong_app with agency A: B's rows cannot be written"
BEFORE=$(sql "select md5(string_agg(t::text, ',' order by t::text)) from (select * from submission where agency_id = $B) t")
BEFORE_TS=$(sql "select md5(string_agg(t::text, ',' order by t::text)) from (select * from task_status where agency_id = $B) t")
out=$(app "update submission set reason = 'hacked' where agency_id = $B")
assert_contains "$out" "UPDATE 0" "update of B's submissions touches nothing"
out=$(app "update submission set agency_id = $B where id = $SUB_A")
assert_contains "$out" "row-level security" "moving A's row to B"
out=$(app "insert into task_status (agency_id, task_code, status, progress, version, request_uuid, change_seq) values ($B, 'III.1.c', 'completed', 100, 99, gen_random_uuid(), 0)")
assert_contains "$out" "row-level security" "insert of a B task status"
out=$(app "insert into request_log (agency_id, request_uuid, method, request_sha256, receipt) values ($B, gen_random_uuid(), 'Submit', repeat('0', 64), '{}')")
assert_contains "$out" "row-level security" "insert of a B request_log row"
out=$(app "insert into submission_value (submission_id, indicator_key, value) values ($SUB_B, 'x', 1)")
assert_contains "$out" "row-level security" "insert of a value into B's submission"
out=$(app "delete from attachment_chunk where agency_id = $B")
[[ $out == *"DELETE 0"* ]] || fail "delete of B's chunks: $out"
out=$(app "insert into attachment (sha256, size, data) values (repeat('a', 64), 1, 'x')")
assert_contains "$out" "permission denied" "tamnong_app adds no file itself"
assert_eq "$BEFORE" "$(sql "select md5(string_agg(t::text, ',' order by t::text)) from (select * from submission where agency_id = $B) t")" "B's submissions unchanged"
assert_eq "$BEFORE_TS" "$(sql "select md5(string_agg(t::text, ',' order by t::text)) from (select * from task_status where agency_id = $B) t")" "B's task statuses unchanged"

step "plan data: readable, not writable by tamnong_app; plan_import only in scope all"
AS=$A
n=$(app_val "select count(*) from task_assignee")
[[ $n =~ ^[1-9][0-9]*$ ]] || fail "task_assignee readable: $n"
assert_contains "$(app "update agency set name = 'x' where id = $B")" "permission denied" "update agency"
assert_contains "$(app "delete from task_assignee")" "permission denied" "delete task_assignee"
assert_contains "$(app "insert into period_regime (code, name) values ('x', 'x')")" "permission denied" "insert period_regime"
assert_contains "$(app "select plan_import('{}', $A)")" "permission denied" "plan_import directly"
assert_contains "$(app "select plan_import_checked('{}', $A)")" "scope all" "plan_import_checked without scope all"
# The application sees its own certificates only (the signer check of a
# signed Submit); the operator registers in scope all.
assert_eq 0 "$(app_val "select count(*) from agency_certificate where agency_id <> $A")" "agency_certificate: other agencies' certificates visible to A"
FP=$(sql "select fingerprint from agency_certificate c join agency a on a.id = c.agency_id where a.code = 'UBND-B'")
assert_eq "$B|UBND-B" "$(AS='' app_val "select id || '|' || code from tamnong_auth_agency('$FP')")" "tamnong_auth_agency answers for the fingerprint given"
assert_eq "|" "$(AS='' app_val "select 1 from tamnong_auth_agency('$FP'); select coalesce(tamnong_agency()::text, '') || '|' || current_setting('tamnong.scope', true)")" "and leaves no agency or scope behind"

step "with no agency set: nothing visible, no error (unset, and empty after a transaction)"
AS=""
for t in "${RLS_TABLES[@]}"; do
    [ "$(sql "select has_table_privilege('tamnong_app', '$t', 'SELECT')")" = f ] && continue
    assert_eq 0 "$(app_val "select count(*) from $t")" "$t with no setting"
    # '' as a set_config leaves behind once its transaction ended
    out=$(psql_app -tA -q -c "begin; select set_config('tamnong.agency_id', '$A', true); commit;" -c "select count(*) from $t" 2>&1 | tail -n 1)
    assert_eq 0 "$out" "$t after a transaction that set A ended"
    out=$(psql_app -tA -q -c "select set_config('tamnong.agency_id', '', false), set_config('tamnong.scope', '', false)" -c "select count(*) from $t" 2>&1 | tail -n 1)
    assert_eq 0 "$out" "$t with empty settings"
done
out=$(psql_app -tA -q -c "select set_config('tamnong.scope', 'al', false)" -c "select count(*) from submission" 2>&1 | tail -n 1)
assert_eq 0 "$out" "a scope other than 'all'"

step "scope all (a reviewer/operator call) sees every agency"
out=$(psql_app -tA -q -c "begin; select set_config('tamnong.scope', 'all', true); select count(distinct agency_id) from submission; commit;" | sed -n 2p)
assert_eq 2 "$out" "agencies visible with scope all"

step "done"
