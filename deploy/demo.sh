#!/bin/bash
# deploy/demo.sh (run by `make demo`): the whole system in one go, on a
# throwaway setup that is removed at the end. It starts a PostgreSQL 15
# cluster in a temp dir, creates a province CA with deploy/pki/tamnong-pki.sh,
# starts tamnongd with its clock set to 10 June 2025 (test_clock: the demo
# replays the 2025 6-month cycle whatever today is), registers agencies and
# pings the server as them with the real client; then a full 2025 6-month
# reporting cycle: the operator imports the Lạng Sơn plan, four agencies
# pull, fill and submit their reports (Cao Lộc offline first, sent when its
# network is back), the standing agency returns one report with a reason and
# accepts the others, the returned one is corrected, resubmitted and
# accepted. Then everything is stopped. Exit status non-zero on any failure.
# Uses the integration-test harness (tests/integration/lib.sh) for the steps.
set -u
cd "$(dirname "$0")/.." || exit 1
export BUILD=${BUILD:-build}
TN_NAME=demo
# shellcheck source=../tests/integration/lib.sh
source tests/integration/lib.sh
# Show local times as an agency in Lạng Sơn sees them.
[ -e /usr/share/zoneinfo/Asia/Ho_Chi_Minh ] && export TZ=Asia/Ho_Chi_Minh

PLAN=deploy/plans/lang-son.plan
PERIOD=2025-six_month
CLOCK=2025-06-10T09:00:00+07:00
STATE=$TN_TMP/state # one state directory per agency, as on separate computers

n=0
say() {
    n=$((n + 1))
    echo
    echo "$n. $*"
}
show() { sed 's/^/     /'; }
# The client's warning that its clock is far from the server's is expected
# here (the server runs on test_clock); the demo says so once, then hides it.
no_skew() { grep -v "clock is .* the server's" || true; }

# The arguments as one would type them (quoted where a shell needs it).
qargs() {
    local a out=()
    for a in "$@"; do
        if [[ -z $a || $a == *[[:space:]\;\'\"\$\&\|\<\>\(\)\*\?\`\\]* ]]; then
            out+=("\"$a\"")
        else
            out+=("$a")
        fi
    done
    echo "${out[*]}"
}

# as CODE EXPECTED-EXIT ARGS...: run the client as agency CODE (its own
# state directory), print the command and what it said; fail on another
# exit status. QUIET=1 prints nothing.
as() {
    local code=$1 want=$2
    shift 2
    [ "${QUIET:-0}" = 1 ] || echo "   [$code] \$ tamnong $(qargs "$@")"
    tn "$code" --state-dir "$STATE/$code" "$@"
    if [ "${QUIET:-0}" != 1 ]; then
        printf '%s\n' "$OUT" | grep -v '^$' | show
        printf '%s\n' "$ERR" | no_skew | grep -v '^$' | show
    fi
    [ "$RC" = "$want" ] || fail "tamnong $* as $code: exit $RC, expected $want: $OUT $ERR"
}
# as_head LINES CODE ARGS...: the same, showing only the first LINES lines.
as_head() {
    local lines=$1 code=$2
    shift 2
    echo "   [$code] \$ tamnong $(qargs "$@")"
    tn "$code" --state-dir "$STATE/$code" "$@"
    printf '%s\n' "$OUT" | head -n "$lines" | show
    local total
    total=$(printf '%s\n' "$OUT" | wc -l)
    [ "$total" -gt "$lines" ] && echo "     ... ($((total - lines)) more lines)"
    [ "$RC" = 0 ] || fail "tamnong $* as $code: exit $RC: $ERR"
}

echo "tamnong demo: a throwaway PostgreSQL, a fresh PKI, tamnongd and the agencies of"
echo "Lạng Sơn going through the 2025 6-month reporting cycle."
echo "Everything lives in $TN_TMP and is removed at the end."

say "Starting a throwaway PostgreSQL 15 cluster (unix socket in $PG_SOCK)."
pg_start
echo "   PostgreSQL is up on 127.0.0.1:$PG_PORT, database 'tamnong' owned by role 'tamnong',"
echo "   which runs the migrations; they create the application role 'tamnong_app' that"
echo "   tamnongd's pool uses (row-level security: each statement sees one agency's rows)."

say "Creating the province CA and the server's certificate with deploy/pki/tamnong-pki.sh."
pki_make
pki show "$PKI/ca.pem" | show
echo "   Server certificate for localhost and 127.0.0.1: $PKI/server/localhost.pem"

say "Starting tamnongd (it applies the schema migrations first) with test_clock = $CLOCK."
echo "   The demo replays the 2025 6-month report (deadline 15 June 2025), so the server's"
echo "   clock starts at 09:00 on 10 June 2025, Hà Nội time. test_clock is for tests and"
echo "   demos only; tamnongd says so loudly in its log:"
server_start "test_clock=$CLOCK"
grep "TEST CLOCK" "$SERVER_LOG" | head -n 1 | sed 's/^.*tamnongd warning: //' | fold -s -w 86 | show
echo "   tamnongd (pid $SERVER_PID) serves agencies on 127.0.0.1:$TN_PORT;"
echo "   operations port 127.0.0.1:$TN_OPS_PORT says /healthz = $HTTP_STATUS $HTTP_BODY"

say "Issuing the certificate of the provincial IT office (OPS) and registering it."
agency_cert OPS --name "Trung tâm CNTT tỉnh (vận hành)"
agency_register OPS "Trung tâm CNTT tỉnh (vận hành)"
printf '%s\n' "$OUT" "$ERR" | grep -v '^$' | show
# The demo logs its persons in explicitly (below), not through the harness.
TN_ROLE[OPS]=none TN_ROLE[SNNMT]=none

# login_as CODE LOGIN: tamnong login, the password on standard input.
login_as() {
    echo "   [$1] \$ tamnong login $2      (password typed without echo)"
    tn_in "$TN_PASSWORD" "$1" --state-dir "$STATE/$1" login "$2"
    [ "$RC" = 0 ] || fail "tamnong login $2 as $1 failed (exit $RC): $ERR"
    printf '%s\n' "$OUT" | no_skew | show
}

say "A certificate alone has only its agency's reporting rights. The first operator, a"
echo "   person, is created on the server host:  tamnongd user-add ops.admin --agency OPS --role operator"
user_add ops.admin OPS operator "Lê Văn Vận" || fail "tamnongd user-add failed: $ERR"
printf '%s\n' "$ERR" | grep -v '^$' | show
login_as OPS ops.admin
as OPS 0 whoami

register() { # CODE NAME
    say "Issuing a certificate for agency $1 ($2) and registering it."
    agency_cert "$1" --name "$2"
    pki show "$PKI/agencies/$1.pem" | grep -E '^(subject|sha256)' | show
    agency_register "$1" "$2"
    echo "   tamnongd register-cert said:"
    printf '%s\n' "$OUT" "$ERR" | grep -v '^$' | show
}
register SNNMT "Sở Nông nghiệp và Môi trường"
register SCT "Sở Công Thương"
register UBND-TRANGDINH "UBND huyện Tràng Định"
register UBND-CAOLOC "UBND huyện Cao Lộc"

for code in SNNMT UBND-TRANGDINH; do
    conf=$(client_config "$code")
    say "Pinging the server as $code:  tamnong --config $conf ping"
    tn "$code" ping
    [ "$RC" = 0 ] || fail "ping as $code failed (exit $RC): $ERR"
    printf '%s\n' "$OUT" | show
    if [ "$code" = SNNMT ]; then
        echo "   The server's time is 10 June 2025 (test_clock); the client notices that its"
        echo "   own clock disagrees and warns, as it would on a computer with a wrong date:"
        printf '%s\n' "$ERR" | grep -v '^$' | fold -s -w 90 | show
    fi
    say "The same with --json:  tamnong ping --json"
    tn "$code" ping --json
    [ "$RC" = 0 ] || fail "ping --json as $code failed (exit $RC): $ERR"
    printf '%s\n' "$OUT" | show
    got=$(json_get "$OUT" agency.code)
    [ "$got" = "$code" ] || fail "the server saw agency '$got', expected '$code'"
    [[ $(json_get "$OUT" server_time) == 2025-06-10T* ]] || fail "the server's time is not the test clock"
done
for code in SCT UBND-CAOLOC; do client_config "$code" >/dev/null; done

say "The same ping in Vietnamese (LANGUAGE=vi):"
_capture env LANGUAGE=vi LC_ALL=C.UTF-8 timeout 30 "$BUILD/tamnong" --config "$TN_TMP/client-UBND-TRANGDINH.conf" ping
[ "$RC" = 0 ] || fail "ping with LANGUAGE=vi failed (exit $RC): $ERR"
printf '%s\n' "$OUT" | show

say "An agency certificate that was never registered is refused:"
agency_cert UNKNOWN --name "Not registered"
tn UNKNOWN ping
echo "   exit code $RC (77 = not allowed); the client said:"
printf '%s\n' "$ERR" | no_skew | show
[ "$RC" = 77 ] || fail "an unregistered certificate was not refused with exit 77"

# ---------------------------------------------------------------- the plan

say "The operator imports the Lạng Sơn plan (Kế hoạch 176/KH-UBND) from $PLAN."
as OPS 0 admin plan import "$PLAN"

say "The operator gives the standing agency (SNNMT) a reviewer, who logs in on SNNMT's computer."
echo "   [OPS] \$ tamnong admin user add snnmt.reviewer --agency SNNMT --role reviewer --name \"Hoàng Thị Duyệt\""
tn_in "$TN_PASSWORD" OPS --state-dir "$STATE/OPS" admin user add snnmt.reviewer --agency SNNMT \
    --role reviewer --name "Hoàng Thị Duyệt"
[ "$RC" = 0 ] || fail "admin user add failed (exit $RC): $ERR"
printf '%s\n' "$OUT" | show
login_as SNNMT snnmt.reviewer

say "The plan as the server now knows it: the tasks of group 4 (agriculture), as of today."
as_head 14 OPS plan tasks --section 4

say "Its indicators and targets (the comparators come from the plan's wording)."
as_head 12 OPS plan targets

say "The reporting periods of 2025 (Decree 09/2019: data windows end on 14 June / 14 December)."
as OPS 0 periods --year 2025

# ---------------------------------------------------------------- reports

# Values for every indicator KEY an agency reports (from 'report validate
# --json', which lists the missing ones): shares as numerator/denominator.
tn OPS plan targets --json
[ "$RC" = 0 ] || fail "plan targets --json: $ERR"
RULES=$(python3 -c 'import json, sys
print("\n".join(i["key"] + " " + i["rule"] for i in json.loads(sys.argv[1])))' "$OUT")
fill_indicators() { # CODE SEED
    local code=$1 seed=$2 key rule i=0 keys
    QUIET=1 as "$code" 65 report validate --json
    keys=$(python3 -c 'import json, re, sys
for p in json.loads(sys.argv[1])["problems"]:
    m = re.match(r"values: indicator (\S+) is required$", p)
    if m: print(m.group(1))' "$OUT")
    for key in $keys; do
        i=$((i + 1))
        rule=$(awk -v k="$key" '$1 == k { print $2 }' <<<"$RULES")
        if [ "$rule" = ratio ]; then
            QUIET=1 as "$code" 0 report set "$key" --numerator $((seed * 3 + i * 17)) --denominator $((seed * 4 + i * 20))
        else
            QUIET=1 as "$code" 0 report set "$key" "$((seed + i * 13)),5"
        fi
    done
    echo "   ... and $i more indicator values that $code reports, set the same way (not shown)."
}

say "Sở Công Thương (SCT) pulls its assignments and writes its 2025 6-month report."
as SCT 0 pull
as SCT 0 report open $PERIOD
as SCT 0 report task III.5.b --status in_progress --progress 70 --note "Đã tổ chức 3 hội chợ xúc tiến tiêu thụ nông sản"
as SCT 0 report write results --text "Hỗ trợ 12 hợp tác xã tham gia sàn thương mại điện tử; kim ngạch xuất khẩu nông sản qua cửa khẩu tăng 8% so với cùng kỳ."
as SCT 0 report write difficulties --text "Hàng nông sản ùn ứ tại cửa khẩu Hữu Nghị vào cao điểm thu hoạch."
as SCT 0 report write recommendations --text "Đề nghị tăng cường phối hợp với các tỉnh biên giới của Trung Quốc."
printf 'Báo cáo hội chợ xúc tiến thương mại nông sản 2025\n' >"$TN_TMP/sct-hoi-cho.txt"
as SCT 0 report attach "$TN_TMP/sct-hoi-cho.txt" --name "bao-cao-hoi-cho.txt"
as SCT 0 report submit
as SCT 0 sync

say "Sở Nông nghiệp và Môi trường (SNNMT, the standing agency, which took over Sở NN&PTNT's duties on 1 March 2025) does the same."
as SNNMT 0 pull
as SNNMT 0 report open $PERIOD
fill_indicators SNNMT 500
as SNNMT 0 report write results --text "Tốc độ tăng giá trị sản xuất nông, lâm nghiệp và thủy sản 6 tháng ước đạt 3,1%; trồng rừng mới 4.850 ha."
as SNNMT 0 report write difficulties --text "Dịch tả lợn châu Phi tái phát tại một số xã; hạn hán đầu vụ."
as SNNMT 0 report write recommendations --text "Đề nghị bổ sung kinh phí phòng, chống dịch bệnh gia súc."
printf 'Bảng tổng hợp diện tích trồng rừng 6 tháng đầu năm 2025\n' >"$TN_TMP/snnmt-rung.csv"
as SNNMT 0 report attach "$TN_TMP/snnmt-rung.csv" --name "trong-rung-2025.csv"
as SNNMT 0 report validate
as SNNMT 0 report submit
as SNNMT 0 sync

say "UBND huyện Tràng Định pulls, fills its 35 indicators, writes and submits."
as UBND-TRANGDINH 0 pull
as UBND-TRANGDINH 0 report open $PERIOD
as UBND-TRANGDINH 0 report set ocop_products 14 --note "thêm 2 sản phẩm 3 sao"
as UBND-TRANGDINH 0 report set new_rural_commune_share --numerator 9 --denominator 21
fill_indicators UBND-TRANGDINH 100
as UBND-TRANGDINH 0 report write results --text "Hoàn thành 2 xã đạt chuẩn nông thôn mới; phát triển vùng trồng hồi, quýt."
as UBND-TRANGDINH 0 report write difficulties --text "Địa hình chia cắt, giao thông khó khăn."
as UBND-TRANGDINH 0 report write recommendations --text "Hỗ trợ xây dựng kho lạnh bảo quản nông sản."
printf 'Biên bản kiểm tra tiến độ nông thôn mới, huyện Tràng Định\n' >"$TN_TMP/trangdinh.txt"
as UBND-TRANGDINH 0 report attach "$TN_TMP/trangdinh.txt" --name "bien-ban-ntm.txt"
as UBND-TRANGDINH 0 report submit
as UBND-TRANGDINH 0 sync

# Cao Lộc's office: it pulled its assignments earlier; then its network goes.
network() { # CODE up|down: point the agency's client at the server or at a dead port
    local port=$TN_PORT
    [ "$2" = down ] && port=$DEAD_PORT
    sed -i "s/^server = .*/server = 127.0.0.1:$port/" "$TN_TMP/client-$1.conf"
}
DEAD_PORT=$(free_port)
say "UBND huyện Cao Lộc pulls its assignments; then its network goes down (its client now points at a dead port)."
as UBND-CAOLOC 0 pull
network UBND-CAOLOC down
say "Offline, Cao Lộc writes its whole report: every command still works and says what waits to be sent."
as UBND-CAOLOC 0 report open $PERIOD
as UBND-CAOLOC 0 report set ocop_products 11
fill_indicators UBND-CAOLOC 200
as UBND-CAOLOC 0 report write results --text "Sản lượng na ước đạt 4.200 tấn; 3 sản phẩm OCOP mới."
as UBND-CAOLOC 0 report write difficulties --text "Giá na giảm vào chính vụ."
as UBND-CAOLOC 0 report write recommendations --text "Hỗ trợ xây dựng chỉ dẫn địa lý na Chi Lăng – Cao Lộc."
printf 'Danh sách hộ trồng na đạt VietGAP, huyện Cao Lộc\n' >"$TN_TMP/caoloc.txt"
as UBND-CAOLOC 0 report attach "$TN_TMP/caoloc.txt" --name "vietgap-na.txt"
as UBND-CAOLOC 0 report submit
say "Cao Lộc tries to sync: the server cannot be reached, exit 75 ('try later'), nothing is lost."
as UBND-CAOLOC 75 sync --max-time 3
as UBND-CAOLOC 0 status

say "The standing agency lists the reports received so far: Cao Lộc's is not there yet."
as SNNMT 0 admin submissions --period $PERIOD

say "Cao Lộc's network is back: one sync sends the file and the report, once."
network UBND-CAOLOC up
as UBND-CAOLOC 0 sync

# ---------------------------------------------------------------- review

say "The standing agency lists the reports again: all four are in, on time."
as SNNMT 0 admin submissions --period $PERIOD
tn SNNMT --state-dir "$STATE/SNNMT" admin submissions --period $PERIOD --json
[ "$RC" = 0 ] || fail "admin submissions --json: $ERR"
SUBS=$OUT
[ "$(python3 -c 'import json, sys; print(len(json.loads(sys.argv[1])))' "$SUBS")" = 4 ] ||
    fail "expected 4 submissions: $SUBS"
sid_of() { python3 -c 'import json, sys
print([s["submission_id"] for s in json.loads(sys.argv[1]) if s["agency"] == sys.argv[2] and s["current"]][0])' "$SUBS" "$1"; }

say "It opens Tràng Định's report, returns it with a reason, and accepts the three others."
TD=$(sid_of UBND-TRANGDINH)
as_head 8 SNNMT admin submissions "$TD"
as SNNMT 0 admin review "$TD" --return "Thiếu số liệu diện tích chè và biên bản nghiệm thu xã nông thôn mới; đề nghị bổ sung."
for code in SNNMT SCT UBND-CAOLOC; do
    as SNNMT 0 admin review "$(sid_of "$code")" --accept
done
as SNNMT 0 sync

say "Tràng Định syncs: its status shows the report was returned, and why."
as UBND-TRANGDINH 0 sync
as UBND-TRANGDINH 0 status
grep -q "Thiếu số liệu diện tích chè" <<<"$OUT" || fail "the reason is not in Tràng Định's status"

say "Tràng Định corrects its report and submits it again (revision 2)."
as UBND-TRANGDINH 0 report set tea_area 1250 --note "số liệu rà soát tháng 6"
as UBND-TRANGDINH 0 report write results --text "Hoàn thành 2 xã đạt chuẩn nông thôn mới (kèm biên bản nghiệm thu); diện tích chè 1.250 ha."
printf 'Biên bản nghiệm thu xã đạt chuẩn nông thôn mới\n' >"$TN_TMP/nghiem-thu.txt"
as UBND-TRANGDINH 0 report attach "$TN_TMP/nghiem-thu.txt" --name "nghiem-thu-ntm.txt"
as UBND-TRANGDINH 0 report submit
as UBND-TRANGDINH 0 sync

say "The standing agency sees the new revision and accepts it."
as SNNMT 0 admin submissions --period $PERIOD --state submitted
tn SNNMT --state-dir "$STATE/SNNMT" admin submissions --period $PERIOD --json
SUBS=$OUT
TD2=$(sid_of UBND-TRANGDINH)
[ "$TD2" != "$TD" ] || fail "Tràng Định's resubmission is not a new revision"
as SNNMT 0 admin review "$TD2" --accept
as SNNMT 0 sync

say "Tràng Định syncs once more: its report is accepted."
as UBND-TRANGDINH 0 sync
as UBND-TRANGDINH 0 status

say "The cycle as the server records it: every agency's current report accepted, the returned revision kept in history."
as SNNMT 0 admin submissions --period $PERIOD
tn SNNMT --state-dir "$STATE/SNNMT" admin submissions --period $PERIOD --json
python3 - "$OUT" <<'PY' || fail "the cycle did not end with four accepted reports"
import json, sys
d = json.loads(sys.argv[1])
cur = {s["agency"]: s for s in d if s["current"]}
assert sorted(cur) == ["SCT", "SNNMT", "UBND-CAOLOC", "UBND-TRANGDINH"], cur
assert all(s["state"] == "accepted" and s["on_time"] for s in cur.values()), cur
assert cur["UBND-TRANGDINH"]["revision"] == 2, cur
assert any(s["agency"] == "UBND-TRANGDINH" and s["state"] == "returned" for s in d), d
PY

say "Aggregation: who was expected to report and who did, on time or late (completeness)."
as SNNMT 0 admin status $PERIOD
say "The task board at the deadline, and the province value of each indicator by its rule (shares are Σ numerators / Σ denominators)."
as_head 25 SNNMT admin board $PERIOD
as_head 40 SNNMT admin targets $PERIOD
say "The consolidated report the standing agency sends up: one self-contained HTML file (A4), also Markdown and CSV."
as SNNMT 0 admin report $PERIOD --format html -o "$TN_TMP/bao-cao-6-thang-2025.html"
grep -q "Ủy ban nhân dân huyện Cao Lộc\|UBND huyện Cao Lộc\|Cao Lộc" "$TN_TMP/bao-cao-6-thang-2025.html" ||
    fail "the HTML report does not name Cao Lộc"
echo "     $(wc -c <"$TN_TMP/bao-cao-6-thang-2025.html") bytes of HTML written"
as_head 30 SNNMT admin report $PERIOD --format md

say "Row-level security: the application role sees only the agency set for its transaction."
CAOLOC=$(psql_owner -tA -c "select id from agency where code = 'UBND-CAOLOC'")
# app_sees NAME VALUE: the agencies whose submissions tamnong_app sees with
# tamnong.NAME = VALUE set for the transaction (NAME "" = nothing set).
app_sees() {
    psql_app -tA -q -c "begin" -c "select set_config('tamnong.${1:-none}', '$2', true)" \
        -c "select coalesce(string_agg(distinct a.code, ', ' order by a.code), '(nothing)')
            from submission s join agency a on a.id = s.agency_id" -c "commit" | tail -n 1
}
printf '     %-44s %s\n' "no agency set:" "$(app_sees "" "")" \
    "tamnong.agency_id = $CAOLOC (UBND-CAOLOC):" "$(app_sees agency_id "$CAOLOC")" \
    "tamnong.scope = all (a reviewer's call):" "$(app_sees scope all)"
[ "$(app_sees "" "")" = "(nothing)" ] || fail "tamnong_app sees submissions with no agency set"
[ "$(app_sees agency_id "$CAOLOC")" = UBND-CAOLOC ] || fail "tamnong_app sees other agencies"

say "Every change and every refusal left a row in the hash-chained audit log; the operator checks the chain."
as OPS 0 admin audit verify
psql_app -c "select id, person, agency, method, object, outcome from audit_log order by id desc limit 8" | show

say "What /metrics shows now (request counters):"
http_get /metrics
grep '^tamnong_requests_total' <<<"$HTTP_BODY" | show

say "Stopping tamnongd with SIGTERM (it drains, then exits 0)."
server_stop TERM
[ "$SERVER_RC" = 0 ] || fail "tamnongd exited with $SERVER_RC"
echo "   tamnongd exited with status 0."

say "Stopping PostgreSQL and removing $TN_TMP."
echo
echo "Demo finished: every step worked."
