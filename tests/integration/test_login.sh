#!/bin/bash
# test_login: a person's session (docs/security.md). tamnong login stores a
# token (0600) that whoami then shows; a wrong password is refused with the
# shared words; the token replayed over another agency's certificate is
# UNAUTHENTICATED (it is bound to the certificate it was issued over); the
# idle expiry and the absolute expiry end a session (short config values);
# logout ends it on the server (the old token no longer works) and here.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/report_lib.sh"

# rpc_as CERT-CODE TOKEN STEPS: rpc.py as CERT-CODE sending TOKEN.
rpc_as() {
    _capture timeout 120 python3 "$TN_RPC" --port "$TN_PORT" --ca "$PKI/ca.pem" \
        --cert "$PKI/agencies/$1.pem" --key "$PKI/agencies/$1.key" --session-token "$2" "$3"
    [ "$RC" = 0 ] || fail "rpc as $1: $OUT $ERR"
}

step "start; agencies SNN and SCT; person snn.an (reporter of SNN)"
setup_all session_idle_timeout=1h session_max_age=12h
agency_register SNN "Sở Nông nghiệp"
agency_register SCT "Sở Công Thương"
user_add snn.an SNN reporter "Nguyễn Văn An"
assert_eq 0 "$RC" "tamnongd user-add ($ERR)"
user_add snn.an SNN reporter
assert_eq 73 "$RC" "tamnongd user-add of a taken login"
assert_contains "$ERR" "already taken" "user-add message"

step "without a session: role agency"
tn SNN whoami --json
assert_eq 0 "$RC" "whoami ($ERR)"
assert_eq agency "$(pyj "$OUT" 'd["role"]')" "role without a session"
assert_eq None "$(pyj "$OUT" 'str(d["login"])')" "no person"

step "wrong password: UNAUTHENTICATED, the shared words"
tn_in "not the password" SNN login snn.an
assert_eq 77 "$RC" "login with a wrong password"
assert_contains "$ERR" "wrong user name or password" "message"

step "login; the token is stored 0600; whoami names the person"
tn_in "$TN_PASSWORD" SNN login snn.an
assert_eq 0 "$RC" "login ($ERR)"
assert_contains "$OUT" "snn.an" "login output"
FP=$(fingerprint "$PKI/agencies/SNN.pem")
SF=$HOME/.local/state/tamnong/session-${FP:0:16}
[ -f "$SF" ] || fail "no session file $SF"
assert_eq 600 "$(stat -c %a "$SF")" "session file mode"
tn SNN whoami --json
assert_eq 0 "$RC" "whoami ($ERR)"
assert_eq "snn.an reporter SNN Nguyễn Văn An" \
    "$(pyj "$OUT" 'd["login"] + " " + d["role"] + " " + d["agency"] + " " + d["display_name"]')" "whoami"
TOKEN=$(session_token SNN)
assert_eq 64 "${#TOKEN}" "token length (hex)"
assert_eq 0 "$(psql_owner -tAc "select count(*) from session where token_sha256 = decode('$TOKEN', 'hex')")" \
    "the token itself is not stored"
assert_eq 1 "$(psql_owner -tAc "select count(*) from session where token_sha256 = sha256(decode('$TOKEN', 'hex'))")" \
    "its SHA-256 is"

step "the token over SNN's certificate works; over SCT's it is UNAUTHENTICATED"
rpc_as SNN "$TOKEN" '{"m": "Whoami"}'
assert_eq OK "$(pyj "$OUT" 'd[0]["status"]')" "token over its own certificate"
assert_eq snn.an "$(pyj "$OUT" 'd[0]["resp"]["login"]')" "person"
rpc_as SCT "$TOKEN" '[{"m": "Whoami"}, {"m": "Ping", "msg": {}}]'
assert_eq '["UNAUTHENTICATED", "UNAUTHENTICATED"]' "$(pyj "$OUT" '[x["status"] for x in d]')" "token over another certificate"
assert_contains "$(pyj "$OUT" 'd[0]["message"]')" "not valid with this certificate" "message"
rpc_as SCT "00$(printf '%062d' 0)" '{"m": "Whoami"}'
assert_eq UNAUTHENTICATED "$(pyj "$OUT" 'd[0]["status"]')" "a made-up token"
rpc_as SCT "abcd" '{"m": "Whoami"}'
assert_eq UNAUTHENTICATED "$(pyj "$OUT" 'd[0]["status"]')" "a token of the wrong length"
N=$(psql_app -tAc "select count(*) from audit_log where agency = 'SCT' and outcome = 'UNAUTHENTICATED'")
[ "$N" -ge 4 ] || fail "denials over SCT's certificate audited: $N rows, expected at least 4"

step "logout: the session ends on the server and here"
tn SNN logout
assert_eq 0 "$RC" "logout ($ERR)"
[ ! -f "$SF" ] || fail "session file still there after logout"
rpc_as SNN "$TOKEN" '{"m": "Whoami"}'
assert_eq UNAUTHENTICATED "$(pyj "$OUT" 'd[0]["status"]')" "the old token after logout"
tn SNN whoami --json
assert_eq agency "$(pyj "$OUT" 'd["role"]')" "role after logout"
tn SNN logout
assert_eq 0 "$RC" "logout without a session"
assert_contains "$OUT" "Not logged in" "second logout"

step "idle expiry: a session unused longer than session_idle_timeout ends"
server_stop
server_start session_idle_timeout=2s session_max_age=12h
tn_in "$TN_PASSWORD" SNN login snn.an
assert_eq 0 "$RC" "login ($ERR)"
sleep 3.5
tn SNN whoami
assert_eq 77 "$RC" "whoami after the idle time"
assert_contains "$ERR" "log in again" "message"

step "absolute expiry: a session in use ends at session_max_age"
server_stop
server_start session_idle_timeout=1h session_max_age=3s
tn_in "$TN_PASSWORD" SNN login snn.an
assert_eq 0 "$RC" "login ($ERR)"
EXP=$(pyj "$(psql_owner -tAc "select json_build_object('e', extract(epoch from expires_at - created_at)) from session order by id desc limit 1")" 'round(d["e"])')
assert_eq 3 "$EXP" "expires_at - created_at (s)"
for _ in 1 2 3 4 5; do
    tn SNN whoami --json
    [ "$RC" = 0 ] || break
    sleep 1
done
assert_eq 77 "$RC" "whoami after the maximum age while used every second"

step "audit rows for the log-ins"
assert_eq 1 "$(psql_app -tAc "select count(*) from audit_log where method = 'Login' and outcome = 'UNAUTHENTICATED' and object like '%login=snn.an%'")" "failed login audited"
N=$(psql_app -tAc "select count(*) from audit_log where method = 'Login' and outcome = 'OK' and person = 'snn.an'")
assert_eq 3 "$N" "successful logins audited with the person"
assert_eq 0 "$(psql_app -tAc "select count(*) from audit_log where object like '%password%' or object like '%$TN_PASSWORD%'")" "no password in the audit log"
