#!/bin/bash
# test_roles: the role table (server/roles.c) enforced by dispatch before any
# handler, against a representative method of each kind: a certificate
# alone (role agency) and a reporter cannot reach admin methods
# (PERMISSION_DENIED, an audit row written, the client says "log in first"
# and exits 77); a viewer reads every agency but cannot Review nor Submit; a
# reviewer reviews but cannot add users nor import a plan; an operator adds
# users; a disabled person cannot log in and their session ends.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/report_lib.sh"

step "start; the test plan; OPS operator and SNN reviewer logged in"
report_setup

audit_count() { # METHOD AGENCY OUTCOME
    psql_app -tAc "select count(*) from audit_log where method = '$1' and agency = '$2' and outcome = '$3'"
}

step "certificate only (UBND-A): reports yes, admin methods no"
rpc1 UBND-A Submit "$(district_report 1 2026-annual "Kết quả")"
assert_eq OK "$ST" "Submit as the agency ($MSG)"
SID=$(pyj "$R" 'd["submission_id"]')
rpc1 UBND-A PlanImport "{\"file_name\": \"report.plan\", \"content\": {\"file\": \"$TN_TMP/report.plan\"}}"
assert_eq PERMISSION_DENIED "$ST" "PlanImport with a certificate only"
assert_contains "$MSG" "log in first" "message"
assert_eq 1 "$(audit_count PlanImport UBND-A PERMISSION_DENIED)" "the denial is audited"
rpc1 UBND-A Review "{\"request_uuid\": \"$(uuid 90)\", \"submission_id\": $SID, \"decision\": \"accept\"}"
assert_eq PERMISSION_DENIED "$ST" "Review with a certificate only"
rpc1 UBND-A UserAdd '{"login": "x1", "agency": "UBND-A", "role": "operator", "password": "12345678"}'
assert_eq PERMISSION_DENIED "$ST" "UserAdd with a certificate only"
assert_eq 0 "$(psql_owner -tAc "select count(*) from person where login = 'x1'")" "no person made"
TN_ROLE[UBND-A]=none
tn UBND-A admin audit verify
assert_eq 77 "$RC" "client admin audit verify without a log-in"
assert_contains "$ERR" "log in first: tamnong login" "client message"

step "reporter (UBND-A): still no admin methods"
TN_ROLE[UBND-A]=reporter
session_ensure UBND-A reporter
rpc1 UBND-A Whoami '{}'
assert_eq reporter "$(pyj "$R" 'd["role"]')" "whoami"
rpc1 UBND-A Review "{\"request_uuid\": \"$(uuid 91)\", \"submission_id\": $SID, \"decision\": \"accept\"}"
assert_eq PERMISSION_DENIED "$ST" "Review as a reporter"
assert_contains "$MSG" "not allowed for a reporter" "message"
assert_eq 1 "$(psql_app -tAc "select count(*) from audit_log where method = 'Review' and person = 'tn-ubnd-a-reporter' and outcome = 'PERMISSION_DENIED'")" \
    "the reporter's denial is audited with the person"
rpc1 UBND-A AuditVerify '{}'
assert_eq PERMISSION_DENIED "$ST" "AuditVerify as a reporter"
rpc1 UBND-A Submissions '{}'
assert_eq '["UBND-A"]' "$(pyj "$R" 'sorted({s["agency"]["code"] for s in d["submissions"]})')" "a reporter sees its own agency only"
rpc1 UBND-A Submit "$(district_report 2 2026-annual "Kết quả 2")"
assert_eq OK "$ST" "Submit as a reporter ($MSG)"
assert_eq 1 "$(psql_app -tAc "select count(*) from audit_log where method = 'Submit' and person = 'tn-ubnd-a-reporter' and outcome = 'OK'")" \
    "the submit is audited with the person"
SID=$(pyj "$R" 'd["submission_id"]')

step "viewer (SCT): reads every agency, changes nothing"
session_ensure SCT viewer
rpc1 SCT Submissions '{}'
assert_eq OK "$ST" "Submissions as a viewer"
assert_contains "$(pyj "$R" '[s["agency"]["code"] for s in d["submissions"]]')" "UBND-A" "a viewer sees other agencies"
rpc1 SCT Review "{\"request_uuid\": \"$(uuid 92)\", \"submission_id\": $SID, \"decision\": \"accept\"}"
assert_eq PERMISSION_DENIED "$ST" "Review as a viewer"
rpc1 SCT TaskUpdate '{"request_uuid": "'"$(uuid 93)"'", "task_code": "III.1.a", "status": "in_progress", "progress": 10}'
assert_eq PERMISSION_DENIED "$ST" "TaskUpdate as a viewer"

step "reviewer (SNN): reviews; cannot add users nor import"
rpc1 SNN Review "{\"request_uuid\": \"$(uuid 94)\", \"submission_id\": $SID, \"decision\": \"accept\"}"
assert_eq OK "$ST" "Review as the reviewer ($MSG)"
rpc1 SNN UserAdd '{"login": "x2", "agency": "SNN", "role": "operator", "password": "12345678"}'
assert_eq PERMISSION_DENIED "$ST" "UserAdd as a reviewer"
rpc1 SNN PlanImport "{\"file_name\": \"report.plan\", \"content\": {\"file\": \"$TN_TMP/report.plan\"}}"
assert_eq PERMISSION_DENIED "$ST" "PlanImport as a reviewer"

step "operator (OPS): adds and changes users"
tn_in "mật khẩu mới 1" OPS admin user add ubnd-b.lan --agency UBND-B --role reporter --name "Trần Thị Lan" --json
assert_eq 0 "$RC" "admin user add ($ERR)"
assert_eq "UBND-B reporter False" "$(pyj "$OUT" 'd["agency"] + " " + d["role"] + " " + str(d["disabled"])')" "person"
tn_in "mật khẩu mới 1" OPS admin user add ubnd-b.lan --agency UBND-B --role reporter
assert_eq 65 "$RC" "the same login again"
tn_in "x" OPS admin user add ubnd-b.x --agency UBND-B --role reporter
assert_eq 65 "$RC" "a short password"
assert_contains "$ERR" "password" "names the field"
tn_in "mật khẩu mới 1" OPS admin user add ubnd-b.y --agency UBND-B --role king
assert_eq 65 "$RC" "an unknown role"
tn_in "mật khẩu mới 1" UBND-B login ubnd-b.lan
assert_eq 0 "$RC" "the new person logs in ($ERR)"
tn UBND-B whoami --json
assert_eq "ubnd-b.lan reporter" "$(pyj "$OUT" 'd["login"] + " " + d["role"]')" "whoami"

step "a disabled person: the session ends, log-in refused"
tn OPS admin user update ubnd-b.lan --disable --json
assert_eq 0 "$RC" "admin user update --disable ($ERR)"
assert_eq True "$(pyj "$OUT" 'str(d["disabled"])')" "disabled"
tn UBND-B whoami
assert_eq 77 "$RC" "the disabled person's session"
tn_in "mật khẩu mới 1" UBND-B login ubnd-b.lan
assert_eq 77 "$RC" "log-in of a disabled person"
assert_contains "$ERR" "disabled" "message"
tn OPS admin user update ubnd-b.lan --enable --role viewer
assert_eq 0 "$RC" "enable and make a viewer ($ERR)"
tn_in "mật khẩu mới 1" UBND-B login ubnd-b.lan
assert_eq 0 "$RC" "log-in again"
tn UBND-B whoami --json
assert_eq viewer "$(pyj "$OUT" 'd["role"]')" "new role"

step "a person logs in only over their own agency's certificate"
tn_in "mật khẩu mới 1" UBND-A login ubnd-b.lan
assert_eq 77 "$RC" "log-in of UBND-B's person over UBND-A's certificate"
# The person does not exist for another agency's calls (row-level security
# on persons): the same answer as an unknown name, nothing revealed.
assert_contains "$ERR" "wrong user name or password" "message"

step "operator: audit verify"
tn OPS admin audit verify --json
assert_eq 0 "$RC" "audit verify ($ERR)"
assert_eq True "$(pyj "$OUT" 'str(d["ok"])')" "chain intact"
