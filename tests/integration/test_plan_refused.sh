#!/bin/bash
# test_plan_refused: malformed plan files (bad UTF-8, unknown agency,
# duplicate code, target without comparator) are refused with the line named
# and nothing is loaded, both by the client (it checks before sending; exit
# 65) and by the server (PlanImport sent over the raw wire: INVALID_ARGUMENT).
# A non-admin agency gets PERMISSION_DENIED from the server (client exit 77).
source "$(dirname "$0")/lib.sh"

PLAN=$TN_REPO/deploy/plans/lang-son.plan
DATA=$TN_REPO/tests/unit/data

pyj() { # JSON EXPR: EXPR evaluated on the document `d`
    python3 -c 'import json, sys
d = json.loads(sys.argv[1])
r = eval(sys.argv[2])
print(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False))' "$1" "$2" ||
        fail "cannot evaluate $2 on: ${1:0:600}"
}

register_operator() { # CODE NAME: the agency, and an operator of it logged in
    agency_register "$1" "$2"
    session_ensure "$1" operator
}

# raw_import AGENCY FILE [NAME]: PlanImport over the raw wire (wire.py's
# framing), the file sent as is. Sets RC and OUT = {status, message[, plan,
# version, changed]}.
RAW=$TN_TMP/raw_import.py
cat >"$RAW" <<'PY'
import argparse, json, os, struct, sys
sys.path.insert(0, sys.argv[1])
import wire  # noqa: E402

port, pki, agency, path, name = int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]
args = argparse.Namespace(host="127.0.0.1", port=port, ca=pki + "/ca.pem",
                          cert="%s/agencies/%s.pem" % (pki, agency),
                          key="%s/agencies/%s.key" % (pki, agency),
                          server_name="localhost", timeout=30.0)
s = wire.tls_connect(args)


def call(req_id, method, payload):
    token = bytes.fromhex(os.environ.get("TN_SESSION", ""))
    s.sendall(wire.frame(wire.request(req_id, method, payload, session_token=token)))
    buf = b""
    while True:
        if len(buf) >= 4:
            (n,) = struct.unpack(">I", buf[:4])
            if len(buf) >= 4 + n:
                return wire.decode(buf[4:4 + n])
        d = s.recv(65536)
        if not d:
            sys.exit("the server closed the connection")
        buf += d


# Frames before the agency is identified are limited to 16 KiB: ping first.
call(1, 0, b"")
content = open(path, "rb").read()
f = call(2, 1, wire.field_bytes(1, name.encode()) + wire.field_bytes(2, content))
status = wire.STATUS.get(f.get(2, [0])[0], "?")
out = {"status": status, "message": f.get(3, [b""])[0].decode("utf-8", "replace")}
if status == "OK":
    p = wire.decode(f.get(5, [b""])[0])
    out["plan"] = p.get(1, [b""])[0].decode("utf-8")
    out["version"] = p.get(2, [0])[0]
    out["changed"] = bool(p.get(3, [0])[0])
print(json.dumps(out, ensure_ascii=False))
PY
raw_import() { # with the agency's person session, when there is one
    TN_SESSION=$(session_token "$1") _capture timeout 60 python3 "$RAW" "$TN_REPO/tests/integration" "$TN_PORT" "$PKI" "$1" "$2" \
        "${3:-$(basename "$2")}"
    [ "$RC" = 0 ] || fail "raw PlanImport failed (exit $RC): $OUT $ERR"
}

# nothing_loaded WHAT: no tasks, and agency SNN of the samples unknown.
nothing_loaded() {
    tn OPS plan tasks --json
    assert_eq 0 "$RC" "plan tasks ($1)"
    assert_eq "[]" "$OUT" "tasks after $1"
    tn OPS agencies --at 2024-01-01 --json
    assert_eq false "$(pyj "$OUT" 'any(a["code"] == "SNN" for a in d["agencies"])')" "agency SNN after $1"
}

step "start PostgreSQL, PKI, tamnongd; an operator and a department"
setup_all
register_operator OPS "Đơn vị vận hành"
agency_register SCT "Sở Công Thương"
TN_ROLE[SCT]=none # its certificate only

# sample, line of the mistake, words of the message
SAMPLES=(
    "bad-utf8.plan:43:not valid UTF-8"
    "unknown-agency.plan:42:unknown agency"
    "duplicate-task.plan:40:duplicate task"
    "target-no-comparator.plan:54:comparator"
)

step "the client refuses the malformed samples, naming the line (exit 65)"
for s in "${SAMPLES[@]}"; do
    IFS=: read -r file line words <<<"$s"
    tn OPS admin plan import "$DATA/$file"
    assert_eq 65 "$RC" "client import of $file"
    assert_contains "$ERR" "$DATA/$file:$line: " "client message for $file"
    assert_contains "$ERR" "$words" "client message for $file"
    assert_contains "$ERR" "nothing was sent" "client message for $file"
    tn OPS admin plan import --json "$DATA/$file"
    assert_eq 65 "$RC" "client import --json of $file"
    assert_eq "" "$OUT" "stdout of a refused import"
done
nothing_loaded "the client refused them"

step "the server refuses them too (raw PlanImport): INVALID_ARGUMENT with the line"
for s in "${SAMPLES[@]}"; do
    IFS=: read -r file line words <<<"$s"
    raw_import OPS "$DATA/$file"
    info "$OUT"
    assert_eq INVALID_ARGUMENT "$(pyj "$OUT" 'd["status"]')" "server status for $file"
    assert_contains "$(pyj "$OUT" 'd["message"]')" "$file:$line: " "server message for $file"
    assert_contains "$(pyj "$OUT" 'd["message"]')" "$words" "server message for $file"
done
nothing_loaded "the server refused them"

step "a certificate without an operator's log-in may not import, even over the raw wire (PERMISSION_DENIED, exit 77)"
raw_import SCT "$PLAN"
assert_eq PERMISSION_DENIED "$(pyj "$OUT" 'd["status"]')" "raw import as SCT"
tn SCT admin plan import "$PLAN"
assert_eq 77 "$RC" "client import as SCT"
nothing_loaded "the refused department import"

step "load the Lạng Sơn plan, then malformed copies of it are refused and change nothing"
raw_import OPS "$PLAN"
assert_eq OK "$(pyj "$OUT" 'd["status"]')" "raw import of lang-son.plan"
assert_eq 1 "$(pyj "$OUT" 'd["version"]')" "first version"
assert_eq "176/KH-UBND" "$(pyj "$OUT" 'd["plan"]')" "plan code (the document number)"
mkdir -p "$TN_TMP/bad"
python3 - "$PLAN" "$TN_TMP/bad" <<'PY' || fail "cannot write the malformed copies"
import re, sys
src, out = sys.argv[1], sys.argv[2]
s = open(src, "rb").read()
def write(name, data):
    open("%s/%s" % (out, name), "wb").write(data)
def line_of(data, needle):
    return data[:data.index(needle)].count(b"\n") + 1
marks = {}
# 1. a byte that is not UTF-8 in a task title
t = b"[task III.5.b]\ntitle = Ph"
assert t in s
bad = s.replace(t, b"[task III.5.b]\ntitle = Ph\xff", 1)
write("utf8.plan", bad); marks["utf8"] = line_of(bad, b"\xff")
# 2. a lead that is not a declared agency
t = b"[task III.5.b]\ntitle = "
i = s.index(t)
j = s.index(b"lead = SCT\n", i)
bad = s[:j] + b"lead = SCTX\n" + s[j + len(b"lead = SCT\n"):]
write("agency.plan", bad); marks["agency"] = line_of(bad, b"lead = SCTX")
# 3. a task code used twice
bad = s.replace(b"[task III.5.c]", b"[task III.5.b]", 1)
write("duplicate.plan", bad); marks["duplicate"] = line_of(bad, b"[task III.5.b]\ntitle = ") 
# 4. a target without comparator
t = b"[target ocop_products 2030]\ncomparator = at_least\n"
assert t in s
bad = s.replace(t, b"[target ocop_products 2030]\n", 1)
write("comparator.plan", bad); marks["comparator"] = line_of(bad, b"[target ocop_products 2030]")
print(" ".join("%s=%d" % kv for kv in marks.items()))
PY
info "malformed copies written"
for kind in utf8 agency duplicate comparator; do
    mkdir -p "$TN_TMP/bad/$kind"
    mv "$TN_TMP/bad/$kind.plan" "$TN_TMP/bad/$kind/lang-son.plan"
    f=$TN_TMP/bad/$kind/lang-son.plan
    tn OPS admin plan import "$f"
    assert_eq 65 "$RC" "client import of the $kind copy"
    assert_contains "$ERR" "$f:" "client message for the $kind copy"
    info "$(head -n 2 <<<"$ERR")"
    raw_import OPS "$f"
    assert_eq INVALID_ARGUMENT "$(pyj "$OUT" 'd["status"]')" "server status for the $kind copy"
    assert_contains "$(pyj "$OUT" 'd["message"]')" "lang-son.plan:" "server message for the $kind copy"
done
# The lines: the duplicate names the first definition, the UTF-8 error its byte.
tn OPS admin plan import "$TN_TMP/bad/utf8/lang-son.plan"
assert_contains "$ERR" "not valid UTF-8" "bad UTF-8 copy"
tn OPS admin plan import "$TN_TMP/bad/agency/lang-son.plan"
assert_contains "$ERR" 'unknown agency "SCTX"' "unknown agency copy"
tn OPS admin plan import "$TN_TMP/bad/duplicate/lang-son.plan"
assert_contains "$ERR" 'duplicate task "III.5.b"' "duplicate copy"
tn OPS admin plan import "$TN_TMP/bad/comparator/lang-son.plan"
assert_contains "$ERR" 'missing required key "comparator"' "comparator copy"

step "after the refusals the plan is still version 1, unchanged"
tn OPS admin plan import --json "$PLAN"
assert_eq 0 "$RC" "re-import of the good file"
assert_eq false "$(pyj "$OUT" 'd["changed"]')" "changed after the refusals"
assert_eq 1 "$(pyj "$OUT" 'd["version"]')" "version after the refusals"
tn OPS plan tasks --json
assert_eq 39 "$(pyj "$OUT" 'len(d)')" "tasks after the refusals"
assert_eq SCT "$(pyj "$OUT" '[t["lead"]["code"] for t in d if t["code"] == "III.5.b"][0]')" "III.5.b lead"
tn OPS plan targets --json
assert_eq at_least "$(pyj "$OUT" '[t["comparator"] for i in d if i["key"] == "ocop_products" for t in i["targets"] if t["year"] == 2030][0]')" "OCOP 2030 comparator"

server_alive || fail "tamnongd died"
echo "ok"
