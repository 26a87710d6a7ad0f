# tests/integration/report_lib.sh: what the test_report_*.sh scripts share
# (source it after lib.sh). A small plan with two departments and two
# districts, the server with it imported, and rpc/pyj helpers.
#
#   report_setup [server key=value ...]  PostgreSQL, PKI, tamnongd; agencies OPS (an operator
#                     logged in), SNN (standing; a reviewer logged in), SCT,
#                     UBND-A, UBND-B (certificates only); the plan imported
#   rpc CODE STEPS    tests/integration/rpc.py as agency CODE, with CODE's
#                     person session when one was made (session_ensure); sets RC, OUT
#   rpc1 CODE M MSG   one call; sets ST (status), MSG (message), R (resp JSON)
#   pyj JSON EXPR     evaluate a python expression on the document `d`
#   sql QUERY         psql -tA as the owner with scope 'all' (sees every
#                     agency's rows); prints the result
#   uuid N            16 bytes as hex, N a small number (distinct per N)
# shellcheck shell=bash

TN_RPC=$TN_REPO/tests/integration/rpc.py

pyj() {
    python3 -c 'import json, sys
d = json.loads(sys.argv[1])
r = eval(sys.argv[2])
print(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False))' "$1" "$2" ||
        fail "cannot evaluate $2 on: ${1:0:600}"
}

rpc() {
    local code=$1
    shift
    _capture timeout 120 python3 "$TN_RPC" --port "$TN_PORT" --ca "$PKI/ca.pem" \
        --cert "$PKI/agencies/$code.pem" --key "$PKI/agencies/$code.key" \
        --session-token "$(session_token "$code")" "$@"
}

# ST, MSG and R are read by the test scripts.
# shellcheck disable=SC2034
rpc1() { # CODE METHOD MSG-JSON
    rpc "$1" "{\"m\": \"$2\", \"msg\": $3}"
    [ "$RC" = 0 ] || fail "rpc $2 as $1: $OUT $ERR"
    ST=$(pyj "$OUT" 'd[0]["status"]')
    MSG=$(pyj "$OUT" 'd[0]["message"]')
    R=$(pyj "$OUT" 'd[0]["resp"]')
}

sql() {
    psql_owner -tA -c "$1" || fail "sql failed: $1"
}

uuid() {
    printf '%032x' "$1"
}

report_plan() {
    cat >"$TN_TMP/report.plan" <<'EOF'
# A small plan for the reporting tests.
[declares]
tasks = 3
indicators = 3
targets = 1

[plan]
province = Thử nghiệm
title = Kế hoạch thử nghiệm báo cáo
standing_agency = SNN
version = 1

[agency SNN]
kind = department
name = Sở Nông nghiệp

[agency SCT]
kind = department
name = Sở Công Thương

[agency UBND-A]
kind = district
name = UBND huyện A

[agency UBND-B]
kind = district
name = UBND huyện B

[group @departments]
name = các sở, ban, ngành
kinds = department

[group @districts]
name = UBND các huyện
kinds = district

[section III]
title = NHIỆM VỤ, GIẢI PHÁP

[section III.1]
title = Nhóm thứ nhất

[task III.1.a]
title = Việc thứ nhất
lead = SNN
coordinating = @districts
text = """
Sở Nông nghiệp chủ trì, phối hợp với UBND các huyện.
"""

[task III.1.b]
title = Việc thứ hai
lead = SCT
text = """
Sở Công Thương chủ trì.
"""

[task III.1.c]
title = Việc thứ ba
lead = @districts
text = """
UBND các huyện chủ trì.
"""

[indicator ocop_products]
name = Số sản phẩm OCOP
unit = sản phẩm
rule = sum
reporters = @districts

[indicator clean_water_share]
name = Tỷ lệ hộ dùng nước sạch
unit = %
rule = ratio
numerator = Số hộ dùng nước sạch
denominator = Tổng số hộ
reporters = @districts

[indicator export_value]
name = Kim ngạch xuất khẩu nông sản
unit = triệu USD
rule = sum
reporters = SCT

[target ocop_products 2030]
comparator = at_least
value = 180
wording = có 180 sản phẩm OCOP

[period-regime six_month]
name = Báo cáo 6 tháng
years = 2024-2030
window_start = Y-1-12-15
window_end = Y-06-14
deadline = Y-06-15

[period-regime annual]
name = Báo cáo hằng năm
years = 2024-2030
window_start = Y-1-12-15
window_end = Y-12-14
deadline = Y-12-15
EOF
}

report_setup() {
    setup_all "$@"
    agency_register OPS "Đơn vị vận hành"
    agency_register SNN "Sở Nông nghiệp"
    agency_register SCT "Sở Công Thương"
    agency_register UBND-A "UBND huyện A"
    agency_register UBND-B "UBND huyện B"
    report_plan
    session_ensure OPS operator
    TN_ROLE[SNN]=reviewer
    session_ensure SNN reviewer
    rpc1 OPS PlanImport "{\"file_name\": \"report.plan\", \"content\": {\"file\": \"$TN_TMP/report.plan\"}}"
    assert_eq OK "$ST" "plan import ($MSG)"
}

# A valid report of a district for PERIOD, with NOTE in the results.
district_report() { # UUID-N PERIOD RESULTS
    cat <<EOF
{"request_uuid": "$(uuid "$1")", "period_code": "$2",
 "values": [{"key": "ocop_products", "value": "12"},
            {"key": "clean_water_share", "numerator": "4500", "denominator": "5000"}],
 "results": "$3", "difficulties": "Thiếu vốn", "recommendations": "", "proposals": "",
 "tasks": [{"task_code": "III.1.c", "status": "in_progress", "progress": 40, "note": "đang làm"}]}
EOF
}

# report_two_agencies: UBND-A and UBND-B each upload a file (ATT_SHA_A /
# ATT_SHA_B, 3000 bytes), submit the 2026 annual report with it (SUB_A /
# SUB_B: submission ids) and update task III.1.c; one more upload each is
# left unfinished (attachment_chunk rows). For the row-level security tests.
report_two_agencies() {
    local who n=40 f sha
    for who in A B; do
        n=$((n + 1))
        f=$TN_TMP/att-$who.bin
        head -c 3000 /dev/urandom >"$f"
        sha=$(sha256sum "$f" | cut -d' ' -f1)
        rpc1 "UBND-$who" AttachmentChunk "{\"sha256\": \"$sha\", \"size\": 3000, \"offset\": 0, \"data\": {\"file\": \"$f\"}}"
        assert_eq OK "$ST" "upload of UBND-$who ($MSG)"
        rpc1 "UBND-$who" AttachmentChunk "{\"sha256\": \"$(printf '%064x' $n)\", \"size\": 5000, \"offset\": 0, \"data\": {\"file\": \"$f\", \"len\": 100}}"
        assert_eq OK "$ST" "unfinished upload of UBND-$who ($MSG)"
        local req
        req=$(pyj "$(district_report $n 2026-annual "Báo cáo của $who")" \
            "json.dumps(dict(d, attachments=[{\"sha256\": \"$sha\", \"size\": 3000, \"name\": \"tệp $who.bin\"}]), ensure_ascii=False)")
        rpc1 "UBND-$who" Submit "$req"
        assert_eq OK "$ST" "submit of UBND-$who ($MSG)"
        printf -v "SUB_$who" '%s' "$(pyj "$R" 'd["submission_id"]')"
        printf -v "ATT_SHA_$who" '%s' "$sha"
        rpc1 "UBND-$who" TaskUpdate "{\"request_uuid\": \"$(uuid $((n + 10)))\", \"task_code\": \"III.1.c\", \"status\": \"in_progress\", \"progress\": 30, \"note\": \"$who\"}"
        assert_eq OK "$ST" "task update of UBND-$who ($MSG)"
    done
}
