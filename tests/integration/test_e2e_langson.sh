#!/bin/bash
# test_e2e_langson: issue 4's end-to-end test. The server runs the 2025
# cycle on its test clock (test_clock = 10 June 2025, Hanoi time); the
# Lạng Sơn plan is imported; every agency valid on 2025-06-01 that has tasks
# or indicators gets a certificate and, in its own process and state
# directory, pulls, fills its 2025 6-month report with the real client
# (every indicator it reports, the narrative in Vietnamese, one task's
# progress, one attachment) and submits it; then all of them sync at the same
# moment. The server must hold exactly one current revision per agency, each
# received in June 2025 and on time, each with its one attachment whose
# stored bytes hash to the file's SHA-256.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/report_lib.sh"

PLAN=$TN_REPO/deploy/plans/lang-son.plan
PERIOD=2025-six_month
CLOCK=2025-06-10T09:00:00+07:00
PARALLEL=${TN_E2E_PARALLEL:-8} # client processes preparing reports at once
W=$TN_TMP/agencies             # one directory per agency: state, files, logs

step "PostgreSQL, PKI and tamnongd with test_clock = $CLOCK"
setup_all "test_clock=$CLOCK"
grep -q "TEST CLOCK" "$SERVER_LOG" || fail "tamnongd did not warn that its clock is a test clock"
agency_register OPS "Đơn vị vận hành" # tn OPS admin logs in an operator of OPS

step "the server's clock, and the database's, are the test clock"
tn OPS ping --json
assert_eq 0 "$RC" "ping"
info "$OUT"
# 09:00 in Hanoi is 02:00 UTC; a few seconds have passed since the start.
[[ $(json_get "$OUT" server_time) == 2025-06-10T02:0* ]] ||
    fail "server_time is not the test clock: $OUT"
[[ $(json_get "$OUT" database_time) == 2025-06-10T02:0* ]] ||
    fail "database_time is not the test clock: $OUT"

step "import the Lạng Sơn plan as the operator"
tn OPS admin plan import --json "$PLAN"
assert_eq 0 "$RC" "plan import ($ERR)"
assert_eq true "$(pyj "$OUT" 'd["changed"]')" "plan imported"

step "who reports: agencies valid on 2025-06-01 with tasks or indicators"
tn OPS agencies --at 2025-06-01 --json
assert_eq 0 "$RC" "agencies --at 2025-06-01"
echo "$OUT" >"$TN_TMP/agencies-0601.json"
tn OPS agencies --at 2025-01-15 --json # successors of the departments merged on 1 March
echo "$OUT" >"$TN_TMP/agencies-0115.json"
tn OPS plan tasks --at 2025-06-01 --json
assert_eq 0 "$RC" "plan tasks --at 2025-06-01"
echo "$OUT" >"$TN_TMP/tasks-0601.json"
tn OPS plan targets --json
assert_eq 0 "$RC" "plan targets"
echo "$OUT" >"$TN_TMP/targets.json"
# CODE<TAB>NAME<TAB>NAME-IN-THE-CERTIFICATE of every expected reporter: the agencies that lead or
# coordinate a task on 2025-06-01, and those that report an indicator then
# (groups as the plan file defines them, ended agencies followed to their
# successors).
python3 - "$TN_TMP" "$PLAN" >"$TN_TMP/reporters.tsv" <<'PY' || fail "cannot work out the reporters"
import json, re, sys
tmp, plan = sys.argv[1], sys.argv[2]
day = "2025-06-01"
now = {a["code"]: a for a in json.load(open(f"{tmp}/agencies-0601.json"))["agencies"]}
before = {a["code"]: a for a in json.load(open(f"{tmp}/agencies-0115.json"))["agencies"]}
groups = {}
text = open(plan, encoding="utf-8").read()
for name, body in re.findall(r"^\[group (@\S+)\]\n((?:(?!\[).*\n)*)", text, re.M):
    g = dict(re.findall(r"^(\w+) = (.*)$", body, re.M))
    groups[name] = {k: [x.strip() for x in g.get(k, "").split(",") if x.strip()]
                    for k in ("kinds", "include", "members")}

def resolve(ref, depth=0):
    assert depth < 8, ref
    if ref.startswith("@"):
        g = groups[ref]
        out = {c for c, a in now.items() if a["kind"] in g["kinds"]}
        for r in g["include"] + g["members"]:
            out |= resolve(r, depth + 1)
        return out
    if ref in now:
        return {ref}
    out = set()
    for s in before.get(ref, {}).get("successors", []):
        if s["effective"] <= day:
            out |= resolve(s["code"], depth + 1)
    return out

who = set()
for t in json.load(open(f"{tmp}/tasks-0601.json")):
    who |= {a["code"] for a in t["leads"] + t["coordinating"]}
for i in json.load(open(f"{tmp}/targets.json")):
    for r in i["reporters"]:
        who |= resolve(r)
who &= set(now)
who.discard("OPS")
for c in sorted(who):
    a = now[c]
    # A certificate's O= holds 64 characters at most.
    cert = a["name"] if len(a["name"]) <= 64 else (a["short_name"] or a["name"][:64])
    print(f"{c}\t{a['name']}\t{cert}")
PY
N=$(wc -l <"$TN_TMP/reporters.tsv")
info "$N reporting agencies: $(cut -f1 "$TN_TMP/reporters.tsv" | tr '\n' ' ')"
[ "$N" -ge 30 ] || fail "only $N reporting agencies on 2025-06-01"
grep -q "^UBND-CAOLOC	" "$TN_TMP/reporters.tsv" || fail "the district committees must report in June 2025"
grep -q "^SNNMT	" "$TN_TMP/reporters.tsv" || fail "SNNMT (successor of SNNPTNT) must report"
grep -q "^SNNPTNT	" "$TN_TMP/reporters.tsv" && fail "SNNPTNT ended on 2025-02-28"
# The server's own rule (agency_duties on the period's last window day) agrees.
assert_eq "$(cut -f1 "$TN_TMP/reporters.tsv" | tr '\n' ' ')" \
    "$(sql "select string_agg(code, ' ' order by code) || ' ' from agency a,
            agency_duties(a.id, '2025-06-14') d
            where cardinality(d.tasks) + cardinality(d.inds) > 0")" "reporters by the server's rule"
# key -> rule (ratio indicators need a numerator and a denominator)
pyj "$(cat "$TN_TMP/targets.json")" '"\n".join(i["key"] + " " + i["rule"] for i in d)' >"$TN_TMP/rules.txt"

step "a certificate for each of the $N agencies"
t0=$SECONDS
while IFS=$'\t' read -r code name cert_name; do
    agency_cert "$code" --name "$cert_name"
    agency_register "$code" "$name"
    client_config "$code" >/dev/null
    mkdir -p "$W/$code"
done <"$TN_TMP/reporters.tsv"
info "issued and registered in $((SECONDS - t0)) s"

# prepare CODE: the agency's report, filled and submitted locally (nothing is
# sent yet). Writes $W/CODE/sha256 (the attachment's) and $W/CODE/fail on a
# failure; the client's output goes to $W/CODE/log.
prepare() {
    local code=$1 d=$W/$1
    local log=$d/log
    T() {
        echo "+ tamnong $*" >>"$log"
        timeout 60 "$BUILD/tamnong" --config "$TN_TMP/client-$code.conf" --state-dir "$d/state" \
            "$@" >"$d/out" 2>>"$log"
        local rc=$?
        cat "$d/out" >>"$log"
        return $rc
    }
    bad() { echo "$*" >"$d/fail"; return 1; }
    T pull || bad "pull" || return
    T report open $PERIOD || bad "report open" || return
    T tasks --json || bad "tasks" || return
    local task
    task=$(python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(d[0]["code"] if d else "")' "$d/out")
    if [ -n "$task" ]; then
        T report task "$task" --status in_progress --progress 60 \
            --note "Đang triển khai, đạt khoảng 60% kế hoạch năm" || bad "report task" || return
    fi
    # The indicators this agency reports: what validation says is missing.
    T report validate --json
    local key rule n=0
    for key in $(python3 -c 'import json, re, sys
d = json.load(open(sys.argv[1]))
for p in d["problems"]:
    m = re.match(r"values: indicator (\S+) is required$", p)
    if m: print(m.group(1))' "$d/out"); do
        n=$((n + 1))
        rule=$(awk -v k="$key" '$1 == k { print $2 }' "$TN_TMP/rules.txt")
        if [ "$rule" = ratio ]; then
            T report set "$key" --numerator $((400 + n * 7)) --denominator $((1000 + n)) ||
                bad "set $key" || return
        elif [ $((n % 3)) = 0 ]; then
            T report set "$key" "$n,5" --note "ước tính đến 14/6" || bad "set $key" || return
        else
            T report set "$key" $((n * 10 + 3)) || bad "set $key" || return
        fi
    done
    echo "$n" >"$d/indicators"
    T report write results --text "Kết quả 6 tháng đầu năm 2025 của $code: hoàn thành các chỉ tiêu chủ yếu; triển khai đồng bộ các nhiệm vụ của Kế hoạch." ||
        bad "write results" || return
    T report write difficulties --text "Khó khăn, vướng mắc: thiếu vốn đầu tư, thời tiết bất lợi; sắp xếp tổ chức bộ máy." ||
        bad "write difficulties" || return
    T report write recommendations --text "Kiến nghị: bổ sung kinh phí hỗ trợ hợp tác xã và sản phẩm OCOP." ||
        bad "write recommendations" || return
    {
        echo "Biên bản kiểm tra 6 tháng năm 2025 — $code"
        head -c 3000 /dev/urandom | base64
    } >"$d/bien-ban.txt"
    sha256sum "$d/bien-ban.txt" | cut -d' ' -f1 >"$d/sha256"
    T report attach "$d/bien-ban.txt" --name "bien-ban-$code.txt" --type text/plain ||
        bad "attach" || return
    T report validate || bad "validate" || return
    T report submit || bad "submit" || return
    grep -q "saved, 2 waiting to send" "$d/out" || bad "submit did not queue the file and the report" || return
}

step "each agency fills and submits its report in its own process ($PARALLEL at a time)"
# running PID...: how many of these processes still run.
running() {
    local p n=0
    for p in "$@"; do kill -0 "$p" 2>/dev/null && n=$((n + 1)); done
    echo $n
}
t0=$SECONDS
pids=()
while IFS=$'\t' read -r code _; do
    prepare "$code" &
    pids+=($!)
    while [ "$(running "${pids[@]}")" -ge "$PARALLEL" ]; do sleep 0.05; done
done <"$TN_TMP/reporters.tsv"
wait "${pids[@]}" # not a bare wait: tamnongd is a child too
for f in "$W"/*/fail; do
    [ -e "$f" ] || continue
    code=$(basename "$(dirname "$f")")
    tail -n 20 "$W/$code/log" >&2
    fail "$code: $(cat "$f")"
done
info "prepared in $((SECONDS - t0)) s; indicators per agency: $(cat "$W"/*/indicators | sort -n | uniq -c | awk '{printf "%s×%s ", $1, $2}')"

step "all $N agencies sync at the same moment"
t0=$(date +%s%N)
pids=()
while IFS=$'\t' read -r code _; do
    (timeout 120 "$BUILD/tamnong" --config "$TN_TMP/client-$code.conf" --state-dir "$W/$code/state" \
        sync --json >"$W/$code/sync.json" 2>"$W/$code/sync.err"
     echo $? >"$W/$code/sync.rc") &
    pids+=($!)
done <"$TN_TMP/reporters.tsv"
wait "${pids[@]}"
info "all synced in $((($(date +%s%N) - t0) / 1000000)) ms"
# Every sync: exit 0, the attachment then the report sent, acknowledged on
# time. Writes "CODE SUBMISSION-ID" lines to acked.txt.
python3 - "$W" "$TN_TMP/reporters.tsv" >"$TN_TMP/acked.txt" <<'PY' || fail "a sync did not do its job"
import json, sys
w, codes = sys.argv[1], [l.split("\t")[0] for l in open(sys.argv[2], encoding="utf-8")]
for c in codes:
    rc = open(f"{w}/{c}/sync.rc").read().strip()
    out, err = open(f"{w}/{c}/sync.json").read(), open(f"{w}/{c}/sync.err").read()
    assert rc == "0", f"{c}: sync exited {rc}: {out} {err}"
    d = json.loads(out)
    assert d["sent"] == 2 and d["waiting"] == 0, f"{c}: {out}"
    assert [i["method"] for i in d["items"]] == ["Attachment", "Submit"], f"{c}: {out}"
    sub = d["items"][1]
    assert sub["on_time"] is True and sub["revision"] == 1 and not sub["replay"], f"{c}: {out}"
    print(c, sub["submission_id"])
PY
step "the server holds exactly one current revision per agency"
Q="from submission s join period p on p.id = s.period_id join agency a on a.id = s.agency_id
   where p.code = '$PERIOD'"
assert_eq "$N" "$(sql "select count(*) $Q")" "revisions of $PERIOD (each agency submitted once)"
assert_eq "$N" "$(sql "select count(*) $Q and s.current")" "current revisions"
assert_eq "$N" "$(sql "select count(distinct s.agency_id) $Q and s.current")" "agencies with a current revision"
assert_eq "$(cut -f1 "$TN_TMP/reporters.tsv" | tr '\n' ' ')" \
    "$(sql "select string_agg(a.code, ' ' order by a.code) || ' ' $Q and s.current")" "who submitted"
assert_eq "$(sort "$TN_TMP/acked.txt")" \
    "$(sql "select a.code || ' ' || s.id $Q and s.current order by a.code" | sort)" "acknowledged = stored"
assert_eq "$N" "$(sql "select count(*) $Q and s.current and s.on_time and s.state = 'submitted'
                       and s.revision = 1")" "on time, submitted, revision 1"
# Received by the test clock: 10 June 2025 in Hanoi, never 2026.
assert_eq "$N" "$(sql "select count(*) $Q and (s.received_at at time zone 'Asia/Ho_Chi_Minh')::date = '2025-06-10'")" \
    "received on 2025-06-10 (test clock)"
assert_eq "$N" "$(sql "select count(*) $Q and s.content ->> 'results' like 'Kết quả 6 tháng đầu năm 2025 của ' || a.code || ':%'")" \
    "the narrative, in Vietnamese, byte for byte"
assert_eq 0 "$(sql "select count(*) $Q and (select count(*) from submission_value v where v.submission_id = s.id)
                    <> jsonb_array_length(s.content -> 'values')")" "every value stored"

step "one attachment each, stored bytes hashing to the file's SHA-256"
assert_eq "$N" "$(sql "select count(*) from submission_attachment f join submission s on s.id = f.submission_id
                       join period p on p.id = s.period_id where p.code = '$PERIOD'")" "attachments"
while IFS=$'\t' read -r code _; do
    echo "$code $(cat "$W/$code/sha256")"
done <"$TN_TMP/reporters.tsv" >"$TN_TMP/sha-files.txt"
assert_eq "$(cat "$TN_TMP/sha-files.txt")" \
    "$(sql "select a.code || ' ' || encode(sha256(t.data), 'hex')
            from submission s join period p on p.id = s.period_id
            join agency a on a.id = s.agency_id
            join submission_attachment f on f.submission_id = s.id
            join attachment t on t.sha256 = f.sha256
            where p.code = '$PERIOD' and s.current and t.sha256 = encode(sha256(t.data), 'hex')
              and t.size = length(t.data) and f.name = 'bien-ban-' || a.code || '.txt'
            order by a.code")" "stored attachments: SHA-256 of the bytes = the file's"

step "the operator's view: tamnong admin submissions"
tn OPS admin submissions --period $PERIOD --json
assert_eq 0 "$RC" "admin submissions ($ERR)"
S=$OUT
assert_eq "$N" "$(pyj "$S" 'len(d)')" "submissions listed"
assert_eq "$N" "$(pyj "$S" 'len({x["agency"] for x in d if x["current"] and x["state"] == "submitted" and x["on_time"]})')" \
    "one current, on-time submission per agency"
assert_eq "$(cut -f1 "$TN_TMP/reporters.tsv" | tr '\n' ' ')" "$(pyj "$S" '" ".join(sorted(x["agency"] for x in d)) + " "')" \
    "agencies listed"
assert_eq true "$(pyj "$S" 'all(x["received_at"].startswith("2025-06-10T") for x in d)')" "received_at in the list"
# One of them in full: its attachment as the agency sent it.
code=$(head -n1 "$TN_TMP/reporters.tsv" | cut -f1)
sid=$(pyj "$S" "[x['submission_id'] for x in d if x['agency'] == '$code'][0]")
tn OPS admin submissions "$sid" --json
assert_eq 0 "$RC" "admin submissions $sid"
assert_eq "[\"$(cat "$W/$code/sha256")\"]" "$(pyj "$OUT" '[a["sha256"] for a in d["attachments"]]')" "$code's attachment"
assert_eq "$(cat "$W/$code/indicators")" "$(pyj "$OUT" 'len(d["values"])')" "$code's values"

server_alive || fail "tamnongd died"
echo "ok"
