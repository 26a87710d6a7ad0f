#!/bin/bash
# Ping works end to end: real client, real server, real PostgreSQL, mTLS.
# The agency comes back as registered (Vietnamese name in UTF-8), the
# fingerprint is the one the PKI script computes, database time is present.
source "$(dirname "$0")/lib.sh"

step "start PostgreSQL, PKI, tamnongd"
setup_all
NAME="Sở Nông nghiệp và Phát triển nông thôn"
agency_register SNNPTNT "$NAME"
info "registered: $OUT"
FP=$(fingerprint "$PKI/agencies/SNNPTNT.pem")
assert_contains "$OUT$ERR" "$FP" "register-cert output"

step "ping (human output)"
tn SNNPTNT ping
assert_eq 0 "$RC" "ping exit code"
assert_contains "$OUT" "SNNPTNT" "ping output"
info "$OUT"

step "ping --json"
tn SNNPTNT ping --json
assert_eq 0 "$RC" "ping --json exit code"
J=$OUT
info "$J"
assert_eq SNNPTNT "$(json_get "$J" agency.code)" "agency.code"
assert_eq "$NAME" "$(json_get "$J" agency.name)" "agency.name"
assert_eq "$FP" "$(json_get "$J" cert_fingerprint)" "cert_fingerprint"
for f in server_version server_time database_time round_trip_ms; do
    v=$(json_get "$J" "$f") || fail "field $f missing in $J"
    [ -n "$v" ] && [ "$v" != None ] && [ "$v" != null ] || fail "field $f empty in $J"
done
# database_time is a real time: parseable, within a minute of the server time.
python3 - "$J" <<'PY' || fail "server_time/database_time are not close times: $J"
import json, sys, datetime
j = json.loads(sys.argv[1])
def t(v):
    if isinstance(v, (int, float)):
        return v / 1000.0
    return datetime.datetime.fromisoformat(v.replace("Z", "+00:00")).timestamp()
st, dt = t(j["server_time"]), t(j["database_time"])
assert dt > 0 and abs(st - dt) < 60, (st, dt)
assert isinstance(j["round_trip_ms"], (int, float)) and j["round_trip_ms"] >= 0
PY

step "config found through TAMNONG_CONFIG and through XDG_CONFIG_HOME"
CONF=$TN_TMP/client-SNNPTNT.conf
_capture env TAMNONG_CONFIG="$CONF" timeout 30 "$BUILD/tamnong" ping
assert_eq 0 "$RC" "ping with TAMNONG_CONFIG"
mkdir -p "$XDG_CONFIG_HOME/tamnong"
cp "$CONF" "$XDG_CONFIG_HOME/tamnong/config"
_capture timeout 30 "$BUILD/tamnong" ping --json
assert_eq 0 "$RC" "ping with \$XDG_CONFIG_HOME/tamnong/config"
assert_eq SNNPTNT "$(json_get "$OUT" agency.code)" "agency.code via XDG config"

step "50 pipelined pings on one connection (raw wire), and skip_database"
wire --as SNNPTNT ping --count 50
assert_eq 0 "$RC" "50 pipelined pings: $OUT $ERR"
wire --as SNNPTNT ping --count 20 --skip-db
assert_eq 0 "$RC" "20 pipelined pings with skip_database: $OUT $ERR"

step "a second agency sees itself, not the first"
agency_register UBND-TRANGDINH "UBND huyện Tràng Định"
tn UBND-TRANGDINH ping --json
assert_eq 0 "$RC" "ping as UBND-TRANGDINH"
assert_eq UBND-TRANGDINH "$(json_get "$OUT" agency.code)" "agency.code"
assert_eq "UBND huyện Tràng Định" "$(json_get "$OUT" agency.name)" "agency.name"

server_alive || fail "tamnongd died"
step "SIGTERM on an idle server exits 0"
server_stop TERM
assert_eq 0 "$SERVER_RC" "tamnongd exit code after SIGTERM"
echo "ok"
