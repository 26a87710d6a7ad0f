#!/bin/bash
# test_systemd_units: the units in deploy/systemd/ and those 'tamnong schedule
# install' writes pass 'systemd-analyze verify' (no systemd needs to run: the
# binaries are installed into a temporary prefix and the deploy units point
# there in a temporary copy). The timers hold the daily 08:00 run and the
# 30-minute windows before the deadlines: 15 June / 15 December when nothing
# was pulled, else the deadlines of the pulled periods (an extension that
# crosses a month gives two lines); ExecStart names the running binary's
# absolute path and the configuration and state used.
source "$(dirname "$0")/lib.sh"

command -v systemd-analyze >/dev/null || fail "systemd-analyze not found (make deps installs systemd)"
export XDG_RUNTIME_DIR=$TN_TMP/run
mkdir -p -m 0700 "$XDG_RUNTIME_DIR"

# verify [--user] FILE...: exit 0 and not a word on the output (an unknown
# key or a bad calendar value is only a warning otherwise).
verify() {
    _capture systemd-analyze "$@"
    assert_eq 0 "$RC" "systemd-analyze $*"
    assert_eq "" "$OUT$ERR" "systemd-analyze $* printed"
}

step "install the built binaries into a temporary prefix"
PREFIX=$TN_TMP/prefix
install -D -m 0755 "$BUILD/tamnongd" "$PREFIX/sbin/tamnongd"
install -D -m 0755 "$BUILD/tamnong" "$PREFIX/bin/tamnong"
UNITS=$TN_TMP/units
mkdir -p "$UNITS"
for u in tamnongd.service tamnong-sync.service tamnong-sync.timer; do
    sed "s|/usr/local/|$PREFIX/|g" "$TN_REPO/deploy/systemd/$u" >"$UNITS/$u"
done
grep -q "ExecStart=$PREFIX/sbin/tamnongd " "$UNITS/tamnongd.service" || fail "tamnongd path not substituted"

step "deploy/systemd: tamnongd.service (system), tamnong-sync.service + .timer (user) verify"
verify verify "$UNITS/tamnongd.service"
verify --user verify "$UNITS/tamnong-sync.service" "$UNITS/tamnong-sync.timer"
# the verification is real: a bad calendar value and a missing binary are found
sed 's|^OnCalendar=\*-06-10..15.*|OnCalendar=every June|' "$UNITS/tamnong-sync.timer" >"$UNITS/bad.timer"
cp "$UNITS/tamnong-sync.service" "$UNITS/bad.service"
_capture systemd-analyze --user verify "$UNITS/bad.timer"
assert_contains "$OUT$ERR" "calendar" "a bad OnCalendar is reported"
sed "s|$PREFIX/bin/tamnong|$PREFIX/bin/nope|" "$UNITS/tamnong-sync.service" >"$UNITS/nobin.service"
_capture systemd-analyze --user verify "$UNITS/nobin.service"
[ "$RC" != 0 ] || fail "verify accepted a unit whose binary is missing"

step "deploy units: what they say"
T=$TN_REPO/deploy/systemd/tamnong-sync.timer
S=$TN_REPO/deploy/systemd/tamnong-sync.service
D=$TN_REPO/deploy/systemd/tamnongd.service
for line in "OnCalendar=*-*-* 08:00:00 Asia/Ho_Chi_Minh" \
    "OnCalendar=*-06-10..15 *:00/30:00 Asia/Ho_Chi_Minh" \
    "OnCalendar=*-12-10..15 *:00/30:00 Asia/Ho_Chi_Minh" "Persistent=true" \
    "RandomizedDelaySec=25min"; do
    grep -qxF "$line" "$T" || fail "$T lacks '$line'"
done
for line in "Type=oneshot" "ExecStart=/usr/local/bin/tamnong sync --max-time 300" \
    "NoNewPrivileges=yes"; do
    grep -qxF "$line" "$S" || fail "$S lacks '$line'"
done
for line in "Type=notify" "ExecReload=/bin/kill -HUP \$MAINPID" "NoNewPrivileges=yes" \
    "ProtectSystem=strict" "ProtectHome=yes" "PrivateTmp=yes" "PrivateDevices=yes" \
    "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6" "SystemCallFilter=@system-service" \
    "CapabilityBoundingSet=" "User=tamnong" "LimitNOFILE=65536"; do
    grep -qxF "$line" "$D" || fail "$D lacks '$line'"
done
# the calendar values mean what the comments say: 30 minutes apart on 14 June
_capture systemd-analyze calendar --iterations 3 --base-time "2025-06-14 10:05:00 UTC" \
    "*-06-10..15 *:00/30:00 Asia/Ho_Chi_Minh"
assert_eq 0 "$RC" "systemd-analyze calendar"
assert_contains "$OUT" "Sat 2025-06-14 10:30:00 UTC" "next elapse"
assert_contains "$OUT" "Sat 2025-06-14 11:00:00 UTC" "30 minutes later"

step "schedule install --print without a pull: the usual deadlines, the running binary's path"
export HOME=$TN_TMP/home2 XDG_CONFIG_HOME=$TN_TMP/home2/cfg
mkdir -p "$XDG_CONFIG_HOME"
CONF=$TN_TMP/agency.conf
STATE=$TN_TMP/state
touch "$CONF"
sched() { _capture timeout 30 "$PREFIX/bin/tamnong" --config "$CONF" --state-dir "$STATE" schedule "$@"; }
sched install --print
assert_eq 0 "$RC" "schedule install --print ($ERR)"
assert_contains "$OUT" "ExecStart=\"$PREFIX/bin/tamnong\" --config \"$CONF\" --state-dir \"$STATE\" sync --max-time 300" "ExecStart"
assert_contains "$OUT" "OnCalendar=*-*-* 08:00:00 Asia/Ho_Chi_Minh" "daily run"
assert_contains "$OUT" "OnCalendar=*-06-10..15 *:00/30:00 Asia/Ho_Chi_Minh" "June window"
assert_contains "$OUT" "OnCalendar=*-12-10..15 *:00/30:00 Asia/Ho_Chi_Minh" "December window"
[ ! -e "$XDG_CONFIG_HOME/systemd/user/tamnong-sync.timer" ] || fail "--print wrote a file"
sched install
assert_eq 0 "$RC" "schedule install ($ERR)"
assert_contains "$OUT" "systemctl --user enable --now tamnong-sync.timer" "the command to enable it"
U=$XDG_CONFIG_HOME/systemd/user
[ -f "$U/tamnong-sync.service" ] && [ -f "$U/tamnong-sync.timer" ] || fail "units not written in $U"
verify --user verify "$U/tamnong-sync.service" "$U/tamnong-sync.timer"

step "schedule install after a pull: the pulled deadlines (an extension crossing a month)"
# The pulled periods, as a pull stores them; the server's clock last seen on
# 1 June 2025 (clock_offset_ms), so 2025's deadlines are still to come.
ms() { python3 -c 'import datetime, sys
y, m, d = map(int, sys.argv[1].split("-"))
tz = datetime.timezone(datetime.timedelta(hours=7))
print(int(datetime.datetime(y, m, d, tzinfo=tz).timestamp() * 1000))' "$1"; }
OFFSET=$(($(ms 2025-06-01) - $(date +%s) * 1000))
sqlite3 "$STATE/state.db" <<SQL || fail "cannot prepare the state"
INSERT INTO periods (code, regime, year, deadline, deadline_at_ms, extended_deadline_at_ms)
VALUES ('2024-six_month', 'six_month', 2024, '2024-06-15', $(ms 2024-06-16), 0),
       ('2025-six_month', 'six_month', 2025, '2025-06-15', $(ms 2025-06-16), $(ms 2025-07-03)),
       ('2025-annual', 'annual', 2025, '2025-12-15', $(ms 2025-12-16), 0);
INSERT INTO meta (key, value) VALUES ('clock_offset_ms', '$OFFSET');
SQL
sched install --print --json
assert_eq 0 "$RC" "schedule install --print --json ($ERR)"
assert_eq '["2025-06-27..30 *:00/30:00 Asia/Ho_Chi_Minh", "2025-07-01..02 *:00/30:00 Asia/Ho_Chi_Minh", "2025-12-10..15 *:00/30:00 Asia/Ho_Chi_Minh"]' \
    "$(json_get "$OUT" on_calendar)" "windows from the pulled deadlines (2024 is past)"
assert_eq false "$(json_get "$OUT" written)" "--print writes nothing"
sched install
assert_eq 0 "$RC" "schedule install ($ERR)"
grep -qxF "OnCalendar=2025-07-01..02 *:00/30:00 Asia/Ho_Chi_Minh" "$U/tamnong-sync.timer" ||
    fail "written timer lacks the July window: $(cat "$U/tamnong-sync.timer")"
grep -qxF "OnCalendar=*-*-* 08:00:00 Asia/Ho_Chi_Minh" "$U/tamnong-sync.timer" || fail "no daily run"
verify --user verify "$U/tamnong-sync.service" "$U/tamnong-sync.timer"

step "schedule: usage errors"
sched install extra
assert_eq 64 "$RC" "an operand"
sched
assert_eq 64 "$RC" "no subcommand"
echo "PASS"
