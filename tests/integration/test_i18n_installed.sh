#!/bin/bash
# test_i18n_installed: a client installed with `make install` into a prefix
# finds its Vietnamese catalogue under PREFIX/share/locale by itself (no
# TAMNONG_LOCALEDIR), ahead of the build tree's catalogue compiled in.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
tmp=$(mktemp -d /tmp/tn-i18n-inst.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bin" "$tmp/share/locale/vi/LC_MESSAGES"
cp "$BUILD/tamnong" "$tmp/bin/tamnong"
# The build tree's catalogue (compiled-in LOCALEDIR) exists too, so the
# installed one is marked: seeing the mark proves which one was read.
sed 's/^"Cách dùng: tamnong \[TÙY/"CÀI-ĐẶT Cách dùng: tamnong [TÙY/' po/vi.po >"$tmp/vi.po"
msgfmt -o "$tmp/share/locale/vi/LC_MESSAGES/tamnong.mo" "$tmp/vi.po"
unset TAMNONG_LOCALEDIR
out=$(LANGUAGE=vi LC_ALL=C.UTF-8 "$tmp/bin/tamnong" --help)
case $out in
*"CÀI-ĐẶT Cách dùng: tamnong"*) echo "ok: the installed copy reads PREFIX/share/locale" ;;
*) echo "FAIL: installed client did not find its catalogue: ${out:0:200}" >&2; exit 1 ;;
esac
# $TAMNONG_LOCALEDIR still wins over both.
out=$(LANGUAGE=vi LC_ALL=C.UTF-8 TAMNONG_LOCALEDIR=/nonexistent "$tmp/bin/tamnong" --help)
case $out in
*"Usage: tamnong"*) echo "ok: TAMNONG_LOCALEDIR overrides" ;;
*) echo "FAIL: TAMNONG_LOCALEDIR did not override: ${out:0:200}" >&2; exit 1 ;;
esac
