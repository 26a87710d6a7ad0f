#!/bin/bash
# test_report_export: issue 6's consolidated report, end to end with the real
# server (PeriodStatus of issue 5; TaskBoard, TargetProgress, PeriodClose and
# ReportFeedback of issue 6) and the real client. Agencies with Vietnamese
# names report for 2025-six_month (one late, one missing, one text with
# markup characters); the standing agency runs `tamnong admin report` in the
# three formats: the HTML is rendered by headless Chromium to a PNG and an
# A4 PDF whose text holds the agency names and the figures written the
# Vietnamese way; the CSV has a BOM and parses; a reporter is refused every
# oversight command with exit 77.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/report_lib.sh"
source "$(dirname "$0")/oversight_lib.sh"
source "$(dirname "$0")/chromium_lib.sh"

P=2025-six_month
SNN_NAME="Sở Nông nghiệp và Môi trường"
CL_NAME="UBND huyện Cao Lộc"
EVIL='Tổ <b>"công tác"</b> & '"'"'đặc biệt'"'"''

step "PostgreSQL, PKI, tamnongd on 10 June 2025; the oversight plan with Vietnamese names"
setup_all "test_clock=2025-06-10T09:00:00+07:00"
agency_cert OPS --name "Đơn vị vận hành"
agency_register OPS "Đơn vị vận hành"
agency_register SNN "$SNN_NAME"
agency_register SCT "Sở Công Thương"
agency_register UBND-A "$CL_NAME"
agency_register UBND-B "UBND huyện Lộc Bình"
agency_register UBND-C "UBND huyện Văn Quan"
session_ensure OPS operator
TN_ROLE[SNN]=reviewer # the standing agency's person reviews and reports
TN_ROLE[UBND-A]=none  # a reporting agency: its certificate alone
oversight_plan
sed -i -e "s/^name = Sở Nông nghiệp$/name = $SNN_NAME/" -e "s/^name = UBND huyện A$/name = $CL_NAME/" \
    -e "s/^name = UBND huyện B$/name = UBND huyện Lộc Bình/" \
    -e "s/^name = UBND huyện C$/name = UBND huyện Văn Quan/" "$TN_TMP/oversight.plan"
rpc1 OPS PlanImport "{\"file_name\": \"oversight.plan\", \"content\": {\"file\": \"$TN_TMP/oversight.plan\"}}"
assert_eq OK "$ST" "plan import ($MSG)"

district() { # UUID-N NUM DEN OCOP DIFFICULTIES
    python3 - "$@" "$P" <<'PY'
import json, sys
n, num, den, ocop, diff, period = sys.argv[1:]
print(json.dumps({"request_uuid": "%032x" % int(n), "period_code": period,
    "values": [{"key": "new_rural_commune_share", "numerator": num, "denominator": den},
               {"key": "ocop_products", "value": ocop},
               {"key": "new_cooperatives", "value": "3"}],
    "results": "Hoàn thành kế hoạch 6 tháng", "difficulties": diff,
    "recommendations": "Đề nghị hỗ trợ vốn, giống cây trồng", "proposals": "Điều chỉnh chỉ tiêu OCOP"},
    ensure_ascii=False))
PY
}

step "on time: $CL_NAME (10/20), Sở Công Thương (1234.5 million USD)"
rpc1 UBND-A Submit "$(district 1 10 20 1250 "Thiếu vốn; $EVIL")"
assert_eq OK "$ST" "UBND-A submit ($MSG)"
rpc1 SCT Submit "{\"request_uuid\": \"$(uuid 2)\", \"period_code\": \"$P\",
  \"values\": [{\"key\": \"export_value\", \"value\": \"1234.5\"}, {\"key\": \"rural_income\", \"value\": \"36\"}],
  \"results\": \"Xuất khẩu tăng\", \"difficulties\": \"Giá cả biến động\", \"recommendations\": \"\",
  \"proposals\": \"\"}"
assert_eq OK "$ST" "SCT submit ($MSG)"

step "late: UBND huyện Lộc Bình (5/10) on 20 June; UBND huyện Văn Quan never reports"
server_stop
server_start "test_clock=2025-06-20T09:00:00+07:00"
rpc1 UBND-B Submit "$(district 3 5 10 8 "Mưa lũ")"
assert_eq OK "$ST" "UBND-B submit ($MSG)"

step "a reporter is refused every oversight command (exit 77)"
for args in "board $P" "targets $P" "close $P" "report $P --format md"; do
    # shellcheck disable=SC2086
    tn UBND-A admin $args
    assert_eq 77 "$RC" "admin $args as a reporter ($ERR)"
done

step "admin board and targets as the standing agency"
tn SNN admin board $P --json
assert_eq 0 "$RC" "admin board ($ERR)"
# Overdue tasks (III.1.a and III.2.b, not reported by their deadline) first.
assert_eq "['overdue', 'overdue']" "$(pyj "$OUT" 'str([r["deadline_state"] for r in d["rows"]][:2])')" "overdue first"
assert_eq "['III.1.a', 'III.2.b']" "$(pyj "$OUT" 'str(sorted(r["task"] for r in d["rows"][:2]))')" "the overdue tasks"
tn SNN admin board $P
assert_eq 0 "$RC" "admin board (table)"
assert_contains "$OUT" "III.2.b" "board table"
tn SNN admin targets $P --indicator new_rural_commune_share --json
assert_eq 0 "$RC" "admin targets ($ERR)"
assert_eq 50 "$(pyj "$OUT" 'd["indicators"][0]["value"]')" "province share (10+5)/(20+10)"
tn SNN admin targets $P --indicator export_value
assert_eq 0 "$RC" "admin targets (text)"
assert_contains "$OUT" "1.234,5" "targets: the value written the Vietnamese way"

step "admin report --format html -o r.html"
tn SNN admin report $P --format html -o "$TN_TMP/r.html"
assert_eq 0 "$RC" "admin report html ($ERR)"
H=$(cat "$TN_TMP/r.html")
assert_contains "$H" '<meta charset="utf-8">' "HTML"
assert_not_contains "$H" "<b>\"công tác\"</b>" "HTML (user markup must be escaped)"
assert_contains "$H" "Tổ &lt;b&gt;&quot;công tác&quot;&lt;/b&gt; &amp; &#39;đặc biệt&#39;" "HTML"
chromium_render "$TN_TMP/r.html" "$TN_TMP/render"
for want in "$SNN_NAME" "$CL_NAME" "UBND huyện Lộc Bình" "UBND huyện Văn Quan" \
    "1.234,5 triệu USD" "50%" "63,5%" "Tổ <b>\"công tác\"</b> & 'đặc biệt'" \
    "Cơ quan chưa gửi báo cáo" "Cơ quan gửi báo cáo muộn" "Chậm tiến độ"; do
    assert_contains "$PDF_TEXT" "$want" "the PDF's text"
done
# The late and the missing agency are listed as such.
grep -A3 "Cơ quan chưa gửi báo cáo" <<<"$PDF_TEXT" | grep -q "UBND huyện Văn Quan" ||
    fail "Văn Quan is not listed as missing: $PDF_TEXT"
grep -A3 "Cơ quan gửi báo cáo muộn" <<<"$PDF_TEXT" | grep -q "UBND huyện Lộc Bình" ||
    fail "Lộc Bình is not listed as late"

step "admin report --format md (stdout)"
tn SNN admin report $P --format md
assert_eq 0 "$RC" "admin report md ($ERR)"
assert_contains "$OUT" "## I. Tình hình gửi báo cáo" "Markdown"
assert_contains "$OUT" "1.234,5 triệu USD" "Markdown"
assert_contains "$OUT" "$CL_NAME" "Markdown"
assert_not_contains "$OUT" "<b>" "Markdown (user markup must be escaped)"

step "admin report --format csv -o r.csv: BOM, parses, Vietnamese numbers"
tn SNN admin report $P --format csv -o "$TN_TMP/r.csv"
assert_eq 0 "$RC" "admin report csv ($ERR)"
python3 - "$TN_TMP/r.csv" "$CL_NAME" "$EVIL" <<'PY' || fail "the CSV is not what it should be"
import csv, io, sys
raw = open(sys.argv[1], "rb").read()
assert raw.startswith(b"\xef\xbb\xbf"), "no BOM"
text = raw[3:].decode("utf-8")
assert text.endswith("\r\n") and "\r\n" in text, "records must end with CRLF"
rows = list(csv.reader(io.StringIO(text, newline="")))
titles = [r[0] for r in rows if len(r) == 1]
for t in ("Bảng 1.", "Bảng 2.", "Bảng 3.", "Bảng 4.", "Bảng 7."):
    assert any(x.startswith(t) for x in titles), (t, titles)
feedback = [r for r in rows if len(r) == 10 and r[0] == "UBND-A"]
assert feedback and feedback[0][1] == sys.argv[2], feedback
assert feedback[0][7] == "Thiếu vốn; " + sys.argv[3], feedback[0][7]
values = [r for r in rows if len(r) == 13 and r[1] == "export_value"]
assert values and values[0][6] == "1.234,5", values
print("csv ok:", len(rows), "records")
PY

step "admin close: the report says the figures are frozen"
tn SNN admin close $P --json
assert_eq 0 "$RC" "admin close ($ERR)"
assert_eq false "$(pyj "$OUT" 'd["replay"]')" "first close"
tn SNN admin report $P --format md
assert_eq 0 "$RC" "admin report after close"
assert_contains "$OUT" "Kỳ báo cáo đã được khoá lúc" "report after close"
step "ok"
