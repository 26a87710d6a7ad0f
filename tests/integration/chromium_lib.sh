# tests/integration/chromium_lib.sh: render an HTML report with Debian's
# headless Chromium (source it after lib.sh).
#
#   chromium_render HTML OUTDIR   OUTDIR/report.png (--screenshot) and
#                         OUTDIR/report.pdf (--print-to-pdf); fails the test
#                         when Chromium fails, times out or writes nothing;
#                         checks the PDF is A4 and its text font is Liberation
#                         Serif (the Times-compatible font of the CSS); sets
#                         PDF_TEXT to pdftotext's output.
# shellcheck shell=bash

command -v chromium >/dev/null || fail "chromium is not installed (deploy/install-deps.sh)"
command -v pdftotext >/dev/null || fail "pdftotext is not installed (poppler-utils)"

_chromium() { # OUTDIR ARGS...
    local dir=$1
    shift
    # Running as root needs --no-sandbox; a fresh profile each run.
    _capture timeout -k 5 120 chromium --headless --no-sandbox --disable-gpu \
        --disable-dev-shm-usage --no-first-run --no-default-browser-check \
        --user-data-dir="$dir/chrome-profile" "$@"
}

chromium_render() {
    local html=$1 dir=$2
    mkdir -p "$dir"
    rm -f "$dir/report.png" "$dir/report.pdf"
    _chromium "$dir" --window-size=1240,1754 --screenshot="$dir/report.png" "file://$html"
    assert_eq 0 "$RC" "chromium --screenshot"
    [ -s "$dir/report.png" ] || fail "chromium wrote no PNG: $ERR"
    [ "$(head -c 8 "$dir/report.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] ||
        fail "report.png is not a PNG"
    _chromium "$dir" --no-pdf-header-footer --print-to-pdf="$dir/report.pdf" "file://$html"
    assert_eq 0 "$RC" "chromium --print-to-pdf"
    [ -s "$dir/report.pdf" ] || fail "chromium wrote no PDF: $ERR"
    [ "$(head -c 5 "$dir/report.pdf")" = "%PDF-" ] || fail "report.pdf is not a PDF"
    local size
    size=$(pdfinfo "$dir/report.pdf" | awk -F': *' '/^Page size/ {print $2}')
    [[ $size == *"(A4)"* ]] || fail "the PDF page is not A4: $size"
    info "PDF: $(pdfinfo "$dir/report.pdf" | awk -F': *' '/^Pages/ {print $2}') A4 pages"
    pdffonts "$dir/report.pdf" | grep -q "LiberationSerif" ||
        fail "the PDF does not use Liberation Serif: $(pdffonts "$dir/report.pdf")"
    PDF_TEXT=$(pdftotext -enc UTF-8 "$dir/report.pdf" -) || fail "pdftotext failed"
    [ -n "$PDF_TEXT" ] || fail "the PDF has no text"
}
