#!/bin/bash
# test_plan: the Lạng Sơn plan through the real client, server and PostgreSQL.
# Import as the operator (counts = the file's [declares]), re-import (no new
# version), import a changed copy (new version, changes named); spot checks
# against the seed; agencies as of a date (mergers, end of the district
# level); leads follow successors; period arithmetic; only an operator's
# log-in may import, a certificate alone (even the standing agency's) may
# not; Vietnamese names come back byte for byte.
source "$(dirname "$0")/lib.sh"

PLAN=$TN_REPO/deploy/plans/lang-son.plan

# pyj JSON EXPR: evaluate EXPR (python, the document is `d`); prints the
# result (strings as is, the rest as JSON).
pyj() {
    python3 -c 'import json, sys
d = json.loads(sys.argv[1])
r = eval(sys.argv[2])
print(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False))' "$1" "$2" ||
        fail "cannot evaluate $2 on: ${1:0:600}"
}

# declared KEY: a count from the plan file's [declares] block.
declared() {
    awk -v k="$1" '/^\[declares\]/ { on = 1; next } /^\[/ { on = 0 }
        on && $1 == k { print $3; exit }' "$PLAN"
}

step "start PostgreSQL, PKI, tamnongd; an operator, two agencies"
setup_all
agency_register OPS "Đơn vị vận hành" # tn OPS admin logs in an operator of OPS
# The agencies' certificates only, no person logged in:
TN_ROLE[SCT]=none TN_ROLE[SNNMT]=none TN_ROLE[SNNPTNT]=none
agency_register SCT "Sở Công Thương"
agency_register SNNMT "Sở Nông nghiệp và Môi trường"
agency_register SNNPTNT "Sở Nông nghiệp và Phát triển nông thôn"

step "before any import: no tasks, no targets, no periods"
tn OPS plan tasks --json
assert_eq 0 "$RC" "plan tasks on an empty server"
assert_eq "[]" "$OUT" "plan tasks on an empty server"
tn OPS plan targets
assert_eq 0 "$RC" "plan targets (human) on an empty server"

step "a certificate without an operator's log-in may not import (exit 77)"
tn SCT admin plan import "$PLAN"
assert_eq 77 "$RC" "admin plan import as SCT"
assert_contains "$ERR" "log in first as an operator" "refusal message"
tn SNNMT admin plan import "$PLAN"
assert_eq 77 "$RC" "admin plan import as SNNMT before the plan"

step "import lang-son.plan as the operator: counts are the declared ones"
tn OPS admin plan import --json "$PLAN"
assert_eq 0 "$RC" "first import"
J=$OUT
info "$J"
assert_eq "176/KH-UBND" "$(pyj "$J" 'd["plan"]')" "plan code (the document number)"
assert_eq 1 "$(pyj "$J" 'd["version"]')" "first version"
assert_eq true "$(pyj "$J" 'd["changed"]')" "changed"
for k in tasks indicators targets agencies; do
    want=$(declared "$k")
    [ -n "$want" ] || fail "no '$k' in [declares] of $PLAN"
    assert_eq "$want" "$(pyj "$J" "d['$k']")" "$k imported"
done
assert_eq 39 "$(pyj "$J" 'd["tasks"]')" "tasks"
assert_eq 45 "$(pyj "$J" 'd["indicators"]')" "indicators"
assert_eq 63 "$(pyj "$J" 'd["targets"]')" "targets"

step "importing the same file again: unchanged, same version (human output)"
tn OPS admin plan import "$PLAN"
assert_eq 0 "$RC" "second import"
info "$OUT"
assert_contains "$OUT" "unchanged" "second import output"
tn OPS admin plan import --json "$PLAN"
assert_eq false "$(pyj "$OUT" 'd["changed"]')" "changed on re-import"
assert_eq 1 "$(pyj "$OUT" 'd["version"]')" "version on re-import"
assert_eq "[]" "$(pyj "$OUT" 'd["changes"]')" "changes on re-import"

step "the standing agency's certificate alone (SNNMT) may not import either"
tn SNNMT admin plan import --json "$PLAN"
assert_eq 77 "$RC" "import with SNNMT's certificate alone"
tn SNNPTNT admin plan import "$PLAN"
assert_eq 77 "$RC" "import as SNNPTNT"

step "a changed copy (one task title, one new target): version 2, the changes named"
mkdir -p "$TN_TMP/v2"
V2=$TN_TMP/v2/lang-son.plan
python3 - "$PLAN" "$V2" <<'PY' || fail "cannot write the changed copy"
import re, sys
s = open(sys.argv[1], encoding="utf-8").read()
old = "[task III.1.a]\ntitle = Đổi mới lãnh đạo, chỉ đạo"
assert old in s
s = s.replace(old, "[task III.1.a]\ntitle = Đổi mới mạnh mẽ lãnh đạo, chỉ đạo", 1)
s = re.sub(r"^targets = 63$", "targets = 64", s, count=1, flags=re.M)
s += """
[target tea_area 2025]
comparator = about
value = 4200
source = III.4.b
wording = khoảng 4.200 ha chè
"""
open(sys.argv[2], "w", encoding="utf-8").write(s)
PY
tn OPS admin plan import "$V2"
assert_eq 0 "$RC" "import of the changed copy (human)"
info "$OUT"
assert_contains "$OUT" "III.1.a" "changes (human)"
assert_contains "$OUT" "tea_area" "changes (human)"
tn OPS admin plan import --json "$V2"
J=$OUT
assert_eq false "$(pyj "$J" 'd["changed"]')" "second import of the changed copy"
assert_eq 2 "$(pyj "$J" 'd["version"]')" "version of the changed copy"
assert_eq 64 "$(pyj "$J" 'd["targets"]')" "targets of the changed copy"
# The change list, as the first import of v2 returned it, is checked via a
# fresh v3 (v2 + one more edit) so that the JSON form is covered too.
python3 - "$V2" "$TN_TMP/v3.tmp" <<'PY' || fail "cannot write v3"
import sys
s = open(sys.argv[1], encoding="utf-8").read()
old = "[task III.1.a]\ntitle = Đổi mới mạnh mẽ lãnh đạo, chỉ đạo"
assert old in s
s = s.replace(old, "[task III.1.a]\ntitle = Đổi mới lãnh đạo, chỉ đạo", 1)
open(sys.argv[2], "w", encoding="utf-8").write(s)
PY
mkdir -p "$TN_TMP/v3"
mv "$TN_TMP/v3.tmp" "$TN_TMP/v3/lang-son.plan"
V3=$TN_TMP/v3/lang-son.plan
tn OPS admin plan import --json "$V3"
assert_eq 0 "$RC" "import of v3"
J=$OUT
info "$J"
assert_eq true "$(pyj "$J" 'd["changed"]')" "v3 changed"
assert_eq 3 "$(pyj "$J" 'd["version"]')" "v3 version"
assert_eq '[{"what": "task", "code": "III.1.a", "change": "changed"}]' \
    "$(pyj "$J" 'sorted(d["changes"], key=lambda c: (c["what"], c["code"]))')" "v3 changes"
tn OPS plan tasks --json --section III.1
assert_eq "Đổi mới lãnh đạo, chỉ đạo; kiện toàn bộ máy; ứng dụng công nghệ thông tin, cải cách thủ tục hành chính" \
    "$(pyj "$OUT" '[t["title"] for t in d if t["code"] == "III.1.a"][0]')" "III.1.a title in v3"
tn OPS plan targets --json
assert_eq '[{"year": 2025, "comparator": "about", "value": 4200}]' \
    "$(pyj "$OUT" '[{"year": t["year"], "comparator": t["comparator"], "value": t["value"]} for i in d if i["key"] == "tea_area" for t in i["targets"] if t["year"] == 2025]')" \
    "the added tea_area 2025 target"

step "spot checks against the seed: III.5.b, OCOP 2030, new-rural share 2025"
tn SCT plan tasks --json
assert_eq 0 "$RC" "plan tasks --json"
T=$OUT
assert_eq 39 "$(pyj "$T" 'len(d)')" "number of tasks"
assert_eq SCT "$(pyj "$T" '[t for t in d if t["code"] == "III.5.b"][0]["lead"]["code"]')" "III.5.b lead"
assert_eq "Sở Công Thương" "$(pyj "$T" '[t for t in d if t["code"] == "III.5.b"][0]["lead"]["name"]')" "III.5.b lead name"
assert_eq III.5 "$(pyj "$T" '[t for t in d if t["code"] == "III.5.b"][0]["section"]')" "III.5.b section"
assert_eq true "$(pyj "$T" 'all(isinstance(t["coordinating"], list) and isinstance(t["leads"], list) and t["title"] and t["text"] for t in d)')" "every task has title, text, leads, coordinating"
tn SCT plan targets --json
assert_eq 0 "$RC" "plan targets --json"
G=$OUT
assert_eq 45 "$(pyj "$G" 'len(d)')" "number of indicators"
assert_eq '["at_least", 180]' \
    "$(pyj "$G" '[[t["comparator"], t["value"]] for i in d if i["key"] == "ocop_products" for t in i["targets"] if t["year"] == 2030][0]')" \
    "OCOP 2030 target"
assert_eq '["exactly", 63.5]' \
    "$(pyj "$G" '[[t["comparator"], t["value"]] for i in d if i["key"] == "new_rural_commune_share" for t in i["targets"] if t["year"] == 2025][0]')" \
    "new-rural share 2025 target"
assert_eq '%' "$(pyj "$G" '[i["unit"] for i in d if i["key"] == "new_rural_commune_share"][0]')" "unit"
assert_eq ratio "$(pyj "$G" '[i["rule"] for i in d if i["key"] == "new_rural_commune_share"][0]')" "rule"
assert_eq true "$(pyj "$G" 'all({"year", "comparator", "value", "low", "high", "strive", "wording"} <= set(t) for i in d for t in i["targets"])')" "target fields"
assert_eq 64 "$(pyj "$G" 'sum(len(i["targets"]) for i in d)')" "number of targets (v3)"
tn SCT plan targets
assert_eq 0 "$RC" "plan targets (human)"
assert_contains "$OUT" "≥ 180" "human targets"
assert_contains "$OUT" "63,5" "human targets (decimal comma)"
assert_not_contains "$OUT" "63.5" "human targets"
tn SCT plan tasks
assert_eq 0 "$RC" "plan tasks (human)"
assert_contains "$OUT" "III.5.b" "human tasks"

step "agencies as of 2025-08-01: merged departments, no district committees"
tn SCT agencies --at 2025-08-01 --json
assert_eq 0 "$RC" "agencies --at 2025-08-01"
A=$OUT
assert_eq 2025-08-01 "$(pyj "$A" 'd["at"]')" "at"
for c in SNNMT STC SKHCN SNV SDTTG SCT SXD; do
    assert_eq true "$(pyj "$A" "any(a['code'] == '$c' for a in d['agencies'])")" "$c present on 2025-08-01"
done
for c in SNNPTNT STNMT SKHDT STTTT SLDTBXH BDT SGTVT UBND-CAOLOC UBND-TPLS; do
    assert_eq false "$(pyj "$A" "any(a['code'] == '$c' for a in d['agencies'])")" "$c absent on 2025-08-01"
done
assert_eq 0 "$(pyj "$A" 'sum(a["kind"] == "district" for a in d["agencies"])')" "district committees on 2025-08-01"
tn SCT agencies --at 2025-01-15 --json
B=$OUT
assert_eq 11 "$(pyj "$B" 'sum(a["kind"] == "district" for a in d["agencies"])')" "district committees on 2025-01-15"
assert_eq '[{"code": "SNNMT", "name": "Sở Nông nghiệp và Môi trường", "effective": "2025-03-01", "kind": "merger"}]' \
    "$(pyj "$B" '[a["successors"] for a in d["agencies"] if a["code"] == "SNNPTNT"][0]')" "successors of SNNPTNT"
assert_eq "2025-02-28" "$(pyj "$B" '[a["valid_to"] for a in d["agencies"] if a["code"] == "SNNPTNT"][0]')" "SNNPTNT valid_to"
# An agency that absorbs others and goes on (STC, SKHCN, SNV, SXD) is not its own successor.
for c in STC SKHCN SNV SXD; do
    assert_eq "[]" "$(pyj "$B" "[a['successors'] for a in d['agencies'] if a['code'] == '$c'][0]")" "successors of $c"
done
assert_eq '["STC"]' "$(pyj "$B" '[s["code"] for a in d["agencies"] if a["code"] == "SKHDT" for s in a["successors"]]')" "successors of SKHDT"
assert_eq "@communes" "$(pyj "$B" '[a["successors"][0]["code"] for a in d["agencies"] if a["code"] == "UBND-CAOLOC"][0]')" "successor of a district"
tn SCT agencies --at 2025-01-15
assert_eq 0 "$RC" "agencies (human)"
assert_contains "$OUT" "→ SNNMT (2025-03-01)" "human agencies successor"

step "tasks of SNNPTNT are led by SNNMT from 2025-03-01"
for at in 2025-02-28 2025-03-01 2025-08-01; do
    tn SCT plan tasks --json --at "$at" --section 4
    assert_eq 0 "$RC" "plan tasks --at $at"
    want=SNNMT
    [ "$at" = 2025-02-28 ] && want=SNNPTNT
    assert_eq "$want" "$(pyj "$OUT" '[t["lead"]["code"] for t in d if t["code"] == "III.4.a"][0]')" "III.4.a lead on $at"
    assert_eq false "$(pyj "$OUT" 'any(not t["code"].startswith("III.4.") for t in d)')" "--section 4 only III.4"
done
tn SCT plan tasks --json --at 2025-03-01 --agency snnmt
assert_eq lead "$(pyj "$OUT" '[t["role"] for t in d if t["code"] == "III.4.a"][0]')" "SNNMT's role in III.4.a"
tn SCT plan tasks --json --at 2025-02-28 --agency SNNMT
assert_eq 0 "$(pyj "$OUT" 'len(d)')" "SNNMT has no task before it exists"
tn SCT plan tasks --at 2025-03-01 --agency SCT
assert_eq 0 "$RC" "plan tasks --agency SCT (human)"
assert_contains "$OUT" "III.5.b" "SCT's tasks"

step "periods of 2025: the 6-month window and deadline (end of day, UTC+7)"
tn SCT periods --year 2025 --json
assert_eq 0 "$RC" "periods --year 2025"
P=$OUT
info "$P"
assert_eq 2 "$(pyj "$P" 'len(d)')" "periods in 2025"
six='[p for p in d if p["regime"] == "six_month"][0]'
assert_eq 2024-12-15 "$(pyj "$P" "$six['window_start']")" "6-month window_start"
assert_eq 2025-06-14 "$(pyj "$P" "$six['window_end']")" "6-month window_end"
assert_eq 2025-06-15 "$(pyj "$P" "$six['deadline']")" "6-month deadline"
assert_eq 2025-06-15T17:00:00Z "$(pyj "$P" "$six['deadline_at']")" "6-month deadline_at"
assert_eq Asia/Ho_Chi_Minh "$(pyj "$P" "$six['time_zone']")" "time_zone"
assert_eq "Báo cáo 6 tháng" "$(pyj "$P" "$six['name']")" "6-month name"
assert_eq 2025-12-15T17:00:00Z "$(pyj "$P" '[p for p in d if p["regime"] == "annual"][0]["deadline_at"]')" "annual deadline_at"
tn SCT periods --json
assert_eq 16 "$(pyj "$OUT" 'len(d)')" "periods 2023-2030"
tn SCT periods --year 2025
assert_eq 0 "$RC" "periods (human)"
assert_contains "$OUT" "2024-12-15 → 2025-06-14" "human periods"

step "Vietnamese round trip: every agency name comes back byte for byte"
tn SCT agencies --at 2025-01-15 --json
python3 - "$PLAN" "$OUT" <<'PY' || fail "agency names differ from the plan file"
import json, re, sys
text = open(sys.argv[1], "rb").read().decode("utf-8")
names = dict(re.findall(r"^\[agency (\S+)\]\n(?:.*\n)*?name = (.*)$", text, re.M))
got = {a["code"]: a["name"] for a in json.loads(sys.argv[2])["agencies"]}
checked = 0
for code, name in names.items():
    if code in got:
        assert got[code].encode("utf-8") == name.encode("utf-8"), (code, got[code], name)
        checked += 1
assert checked >= 40, checked
print("names checked:", checked)
PY
tn SCT agencies --at 2025-08-01
assert_contains "$OUT" "Sở Nông nghiệp và Môi trường" "human agencies (UTF-8)"

step "usage errors"
tn SCT plan tasks --at 2025-13-01
assert_eq 64 "$RC" "a bad --at"
tn SCT agencies --at 2025-02-29
assert_eq 64 "$RC" "a date that does not exist"
tn SCT periods --year twenty
assert_eq 64 "$RC" "a bad --year"
tn SCT plan
assert_eq 64 "$RC" "plan without a command"
tn SCT admin plan import
assert_eq 64 "$RC" "import without a file"
tn SCT admin plan import "$TN_TMP/no-such.plan"
assert_eq 64 "$RC" "import of a missing file"

server_alive || fail "tamnongd died"
echo "ok"
