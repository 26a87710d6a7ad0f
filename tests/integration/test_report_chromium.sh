#!/bin/bash
# test_report_chromium: the consolidated report's HTML, as the renderer
# writes it for the fixture of tests/unit/test_report_render.c (Vietnamese
# agency names, a name with markup characters, numbers), is rendered by
# Debian's headless Chromium to a PNG and an A4 PDF without errors, in a
# Times-compatible font; the PDF's text holds the agency names, the escaped
# text as text, and the numbers written the Vietnamese way. (The same check
# on a report made by the real server runs in test_report_export.sh.)
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/chromium_lib.sh"

BIN=$BUILD/tests/test_report_render
if [ ! -x "$BIN" ]; then
    make -s -C "$TN_REPO" BUILD="$BUILD" "$BIN" >/dev/null || fail "cannot build $BIN"
fi

step "the renderer writes the fixture's HTML"
_capture env TN_REPORT_FIXTURE_HTML="$TN_TMP/fixture.html" "$BIN"
assert_eq 0 "$RC" "test_report_render"
[ -s "$TN_TMP/fixture.html" ] || fail "no HTML written"

step "Chromium renders it to PNG and PDF"
chromium_render "$TN_TMP/fixture.html" "$TN_TMP/out"

step "the PDF's text"
for want in "Sở Nông nghiệp và Môi trường" "UBND huyện Cao Lộc" \
    "Hợp tác xã <b>\"Đá\" & 'Núi'</b>" "1.234.567,89 triệu USD" "63,5%" "25%" \
    "BÁO CÁO TỔNG HỢP" "Tình hình gửi báo cáo" "Tiến độ thực hiện nhiệm vụ" \
    "Kết quả thực hiện các chỉ tiêu" "Khó khăn, vướng mắc" "CN=Nguyễn Văn A" \
    "Đúng hạn" "Chấp nhận" "Chưa gửi"; do
    assert_contains "$PDF_TEXT" "$want" "the PDF's text"
done
assert_not_contains "$PDF_TEXT" "1234567.89" "the PDF's text (numbers the machine way)"
step "ok"
