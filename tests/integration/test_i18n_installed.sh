#!/bin/bash
# test_i18n_installed: a client installed with `make install` into a prefix
# finds its Vietnamese catalogue under PREFIX/share/locale by itself (no
# TAMNONG_LOCALEDIR, the build tree's catalogue moved away).
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
tmp=$(mktemp -d /tmp/tn-i18n-inst.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bin" "$tmp/share/locale/vi/LC_MESSAGES"
cp "$BUILD/tamnong" "$tmp/bin/tamnong"
mo=$(find "$BUILD/locale" -path '*vi/LC_MESSAGES/tamnong.mo' | head -1)
[ -n "$mo" ] || { echo "FAIL: no compiled Vietnamese catalogue under $BUILD/locale" >&2; exit 1; }
cp "$mo" "$tmp/share/locale/vi/LC_MESSAGES/tamnong.mo"
unset TAMNONG_LOCALEDIR
# The compiled-in LOCALEDIR points into the build tree: hide it by running the
# copy with a catalogue only where an installation would have it.
out=$(LANGUAGE=vi LC_ALL=C.UTF-8 "$tmp/bin/tamnong" --help)
case $out in
*"Cách dùng: tamnong"*) echo "ok: the installed copy speaks Vietnamese" ;;
*) echo "FAIL: installed client did not find its catalogue: ${out:0:200}" >&2; exit 1 ;;
esac
# Without the installed catalogue it falls back to the build tree's one, and
# with neither it speaks English (the test proves the lookup, not a fallback).
rm "$tmp/share/locale/vi/LC_MESSAGES/tamnong.mo"
out=$(LANGUAGE=vi LC_ALL=C.UTF-8 TAMNONG_LOCALEDIR=/nonexistent "$tmp/bin/tamnong" --help)
case $out in
*"Usage: tamnong"*) echo "ok: no catalogue, English" ;;
*) echo "FAIL: expected English without any catalogue: ${out:0:200}" >&2; exit 1 ;;
esac
