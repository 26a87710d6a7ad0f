#!/bin/bash
# test_bruteforce: failed log-ins are counted per user name in the database;
# after 100 failures within an hour the 101st attempt is refused even with
# the right password, until the lockout runs out or an operator unlocks it.
# An unknown user name gets exactly the words of a wrong password (and is
# checked against a dummy hash, so it takes as long; timing is not asserted
# here: see docs/security.md).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/report_lib.sh"

login_steps() { # N LOGIN PASSWORD: N Login calls on one connection
    python3 -c 'import json, sys
print(json.dumps([{"m": "Login", "msg": {"login": sys.argv[2], "password": sys.argv[3]}}] * int(sys.argv[1])))' "$@"
}

step "start; agency SNN; person snn.binh"
setup_all
agency_register SNN "Sở Nông nghiệp"
user_add snn.binh SNN reporter
assert_eq 0 "$RC" "user-add ($ERR)"

step "a wrong password and an unknown user: the same status and words"
rpc SNN "[{\"m\": \"Login\", \"msg\": {\"login\": \"snn.binh\", \"password\": \"sai mật khẩu\"}},
          {\"m\": \"Login\", \"msg\": {\"login\": \"khong.co.ai\", \"password\": \"sai mật khẩu\"}}]"
assert_eq 0 "$RC" "rpc ($ERR)"
assert_eq '["UNAUTHENTICATED", "UNAUTHENTICATED"]' "$(pyj "$OUT" '[x["status"] for x in d]')" "statuses"
assert_eq "wrong user name or password" "$(pyj "$OUT" 'd[0]["message"]')" "wrong password words"
assert_eq "$(pyj "$OUT" 'd[0]["message"]')" "$(pyj "$OUT" 'd[1]["message"]')" "unknown user: the same words"

step "99 more failures (100 within the hour): each refused as a wrong password"
rpc SNN "$(login_steps 99 snn.binh "sai mật khẩu")"
assert_eq 0 "$RC" "rpc ($ERR)"
assert_eq '["wrong user name or password"]' "$(pyj "$OUT" 'sorted({x["message"] for x in d})')" "99 refusals"
assert_eq 100 "$(psql_app -tAc "select count(*) from audit_log where method = 'Login' and outcome = 'UNAUTHENTICATED' and object = 'login=snn.binh'")" \
    "100 failures audited"

step "the 101st attempt, with the right password: locked out"
tn_in "$TN_PASSWORD" SNN login snn.binh
assert_eq 77 "$RC" "login after 100 failures"
assert_contains "$ERR" "too many failed log-ins" "lockout message"
assert_eq 1 "$(psql_app -tAc "select lockouts from login_throttle where login = 'snn.binh'")" "one lockout"
LOCK=$(psql_app -tAc "select round(extract(epoch from locked_until - clock_timestamp()) / 60) from login_throttle where login = 'snn.binh'")
[ "$LOCK" -ge 14 ] && [ "$LOCK" -le 15 ] || fail "first lockout should last 15 minutes, got $LOCK"

step "an unknown user name is throttled the same way"
rpc SNN "$(login_steps 100 khong.co.ai "x")"
assert_eq 0 "$RC" "rpc ($ERR)"
rpc1 SNN Login '{"login": "khong.co.ai", "password": "x"}'
assert_contains "$MSG" "too many failed log-ins" "unknown user locked out alike"

step "another user name is not affected"
user_add snn.chi SNN reporter
tn_in "$TN_PASSWORD" SNN login snn.chi
assert_eq 0 "$RC" "another person logs in ($ERR)"

step "backoff: the next lockout lasts twice as long"
psql_app -qc "update login_throttle set locked_until = clock_timestamp() - interval '1 second' where login = 'snn.binh'"
rpc SNN "$(login_steps 100 snn.binh "sai")"
LOCK=$(psql_app -tAc "select round(extract(epoch from locked_until - clock_timestamp()) / 60) from login_throttle where login = 'snn.binh'")
[ "$LOCK" -ge 29 ] && [ "$LOCK" -le 30 ] || fail "second lockout should last 30 minutes, got $LOCK"

step "the operator unlocks: the right password works again"
session_ensure SNN operator
tn SNN admin user update snn.binh --unlock
assert_eq 0 "$RC" "admin user update --unlock ($ERR)"
tn_in "$TN_PASSWORD" SNN login snn.binh
assert_eq 0 "$RC" "login after the unlock ($ERR)"
assert_eq 0 "$(psql_app -tAc "select count(*) from login_throttle where login = 'snn.binh'")" "throttle cleared"
