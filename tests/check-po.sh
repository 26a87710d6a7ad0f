#!/bin/bash
# check-po: the Vietnamese catalogue must be complete. Extracts the messages
# from the sources exactly as `make pot` does (into a temp file), then fails
# when any is missing, untranslated or fuzzy in po/vi.po, when po/vi.po has
# format or plural errors, or when `LANGUAGE=vi tamnong --help` is not
# Vietnamese. Usage: BUILD=build tests/check-po.sh  (needs $BUILD/tamnong)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
PO=${PO:-po/vi.po} # overridable for testing this script
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
err() {
    echo "check-po: $*" >&2
    fail=1
}

# 1. The same xgettext line as the Makefile's `pot` target, output redirected.
cmd=$(make -s -n --no-print-directory pot 2>/dev/null | sed 's/\\$//' | tr '\n' ' ')
case $cmd in
*xgettext*po/tamnong.pot*) ;;
*)
    echo "check-po: cannot find the xgettext line of 'make pot'" >&2
    exit 2
    ;;
esac
cmd=${cmd//po\/tamnong.pot/$tmp\/tamnong.pot}
eval "$cmd"
[ -s "$tmp/tamnong.pot" ] || {
    echo "check-po: xgettext produced nothing" >&2
    exit 2
}

# 2. po/vi.po itself: format strings, plural forms, charset.
msgfmt --check -o /dev/null "$PO" || err "$PO does not compile (msgfmt --check)"
grep -q '^"Plural-Forms: nplurals=1; plural=0;\\n"' "$PO" ||
    err "$PO: Plural-Forms must be 'nplurals=1; plural=0;' (Vietnamese has one form)"
grep -q '^"Content-Type: text/plain; charset=UTF-8\\n"' "$PO" || err "$PO: charset must be UTF-8"

# 3. Every message of the sources translated, none fuzzy.
msgmerge --quiet -o "$tmp/merged.po" "$PO" "$tmp/tamnong.pot"
stats=$(LC_ALL=C msgfmt --statistics -o /dev/null "$tmp/merged.po" 2>&1)
echo "check-po: $PO: $stats"
n_untr=$(grep -o '[0-9]* untranslated' <<<"$stats" | grep -o '[0-9]*' || true)
n_fuzzy=$(grep -o '[0-9]* fuzzy' <<<"$stats" | grep -o '[0-9]*' || true)
if [ "${n_untr:-0}" -gt 0 ]; then
    err "$PO lacks ${n_untr} translation(s) (make pot && msgmerge -U $PO po/tamnong.pot, then translate):"
    msgattrib --untranslated --no-obsolete "$tmp/merged.po" | awk 'h || /^$/ { h = 1; print }' | grep -A2 '^msgid' | sed 's/^/    /' >&2
fi
if [ "${n_fuzzy:-0}" -gt 0 ]; then
    err "$PO has ${n_fuzzy} fuzzy translation(s) (check them, then remove the fuzzy mark):"
    msgattrib --only-fuzzy --no-obsolete "$tmp/merged.po" | awk 'h || /^$/ { h = 1; print }' | grep -A2 '^msgid' | sed 's/^/    /' >&2
fi

# Notes that do not fail: stale entries and a stale template.
n_obs=$(grep -c '^#~ msgid' "$tmp/merged.po" || true)
[ "${n_obs:-0}" -eq 0 ] || echo "check-po: note: $PO has $n_obs message(s) no longer in the sources"
if [ -f po/tamnong.pot ] &&
    ! diff -q <(grep '^msgid' po/tamnong.pot) <(grep '^msgid' "$tmp/tamnong.pot") >/dev/null; then
    echo "check-po: note: po/tamnong.pot is out of date (run: make pot)"
fi

# 4. The program speaks Vietnamese with the catalogue compiled from po/vi.po.
bin=$BUILD/tamnong
if [ ! -x "$bin" ]; then
    err "$bin not found: build it first (make BUILD=$BUILD)"
else
    mkdir -p "$tmp/locale/vi/LC_MESSAGES"
    msgfmt -o "$tmp/locale/vi/LC_MESSAGES/tamnong.mo" "$PO"
    vi_help() { LANG=C.UTF-8 LC_ALL= LANGUAGE=vi TAMNONG_LOCALEDIR="$tmp/locale" "$bin" "$@"; }
    out=$(vi_help --help) || err "'tamnong --help' failed"
    for want in "Cách dùng: tamnong" "Tùy chọn:" "Các lệnh:" "Mã thoát:" "Kiểm tra kết nối"; do
        grep -qF "$want" <<<"$out" || err "'LANGUAGE=vi tamnong --help' lacks '$want'"
    done
    ! grep -q "^Usage:" <<<"$out" || err "'LANGUAGE=vi tamnong --help' still says 'Usage:'"
    out=$(vi_help ping --help) || err "'tamnong ping --help' failed"
    grep -qF "Cách dùng: tamnong ping" <<<"$out" || err "'LANGUAGE=vi tamnong ping --help' is not Vietnamese"
    out=$(vi_help no-such-command 2>&1) && err "an unknown command must fail"
    grep -qF "không phải là lệnh" <<<"$out" || err "the unknown-command error is not Vietnamese: $out"
fi

if [ "$fail" -ne 0 ]; then
    echo "check-po: FAILED" >&2
    exit 1
fi
echo "check-po: ok"
