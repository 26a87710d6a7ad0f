#!/bin/bash
# test_target_progress: TargetProgress, PeriodClose and ReportFeedback on a
# real server and PostgreSQL, by direct RPC (rpc.py). The hand-computed case:
# three districts report the new-rural communes as 10/20, 5/10 and 0/30 ->
# the province share is 15/60 = 25 % (an average of the percentages would
# give 33.3 %), against the 2025 target of 63.5 % on a line from 40 % (2020)
# -> off_track; sums add; missing reporters are listed; a returned report does
# not count. Then the period is closed after its deadline (refused before,
# exactly-once), a district sends a corrected revision: the province value
# stays frozen and the correction is shown as such. A reporter gets
# PERMISSION_DENIED from all four oversight methods.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/report_lib.sh"
source "$(dirname "$0")/oversight_lib.sh"

P=2025-six_month

step "start PostgreSQL, PKI, tamnongd on 10 June 2025; agencies; the oversight plan"
oversight_setup 2025-06-10T09:00:00+07:00

report() { # UUID-N NUM DEN OCOP COOPS RESULTS
    local ocop='"value": "'$4'"'
    [ -n "$4" ] || ocop='"note": "chưa có số liệu"'
    cat <<EOF
{"request_uuid": "$(uuid "$1")", "period_code": "$P",
 "values": [{"key": "new_rural_commune_share", "numerator": "$2", "denominator": "$3"},
            {"key": "ocop_products", $ocop},
            {"key": "new_cooperatives", "value": "$5"}],
 "results": "$6", "difficulties": "Thiếu vốn đầu tư", "recommendations": "Hỗ trợ vốn",
 "proposals": "Điều chỉnh chỉ tiêu"}
EOF
}

progress() { # [INDICATOR]
    rpc1 SNN TargetProgress "{\"period_code\": \"$P\", \"indicator\": \"${1:-}\"}"
    assert_eq OK "$ST" "target progress ($MSG)"
}
ind() { # KEY EXPR: EXPR on the indicator's progress as d
    pyj "$(pyj "$R" "[i for i in d['indicators'] if i['indicator']['key'] == '$1'][0]")" "$2"
}

step "a reporter may not call the oversight methods"
for m in "TaskBoard" "TargetProgress" "ReportFeedback"; do
    rpc1 UBND-A "$m" "{\"period_code\": \"$P\"}"
    assert_eq PERMISSION_DENIED "$ST" "$m as a reporter"
done
rpc1 UBND-A PeriodClose "{\"request_uuid\": \"$(uuid 900)\", \"period_code\": \"$P\"}"
assert_eq PERMISSION_DENIED "$ST" "PeriodClose as a reporter"

step "no report yet: no value, every district missing"
progress
assert_eq "" "$(ind new_rural_commune_share 'd["value"]')" "no value"
assert_eq no_data "$(ind new_rural_commune_share 'd["status"]')" "status without data"
assert_eq 3 "$(ind new_rural_commune_share 'd["expected"]')" "expected reporters"
assert_eq '["UBND-A", "UBND-B", "UBND-C"]' "$(ind new_rural_commune_share '[a["code"] for a in d["missing"]]')" "all missing"

step "three districts report 10/20, 5/10, 0/30"
rpc1 UBND-A Submit "$(report 1 10 20 12 4 "Huyện A: kết quả tốt")"
assert_eq OK "$ST" "UBND-A submit ($MSG)"
rpc1 UBND-B Submit "$(report 2 5 10 8 3 "Huyện B: đạt kế hoạch")"
assert_eq OK "$ST" "UBND-B submit ($MSG)"
SIDB1=$(pyj "$R" 'd["submission_id"]')
rpc1 UBND-C Submit "$(report 3 0 30 "" 2 "Huyện C: còn khó khăn")"
assert_eq OK "$ST" "UBND-C submit ($MSG)"

step "the province share is 15/60 = 25 %, not the 33.3 % of an average; off track for 63.5 %"
progress
assert_eq 25 "$(ind new_rural_commune_share 'd["value"]')" "province share"
assert_eq 15 "$(ind new_rural_commune_share 'd["numerator"]')" "Σ numerators"
assert_eq 60 "$(ind new_rural_commune_share 'd["denominator"]')" "Σ denominators"
assert_eq off_track "$(ind new_rural_commune_share 'd["status"]')" "status of the nearest (2025) target"
assert_eq '[2025, 2030]' "$(ind new_rural_commune_share '[t["target"]["year"] for t in d["targets"]]')" "targets"
assert_eq 63.5 "$(ind new_rural_commune_share 'd["targets"][0]["target"]["value"]')" "2025 target"
# 40 + (63.5 - 40) x (2025-06-14 - 2020-12-31) / (2025-12-31 - 2020-12-31) = 40 + 23.5 x 1626/1826
assert_eq 60.9261 "$(ind new_rural_commune_share 'd["targets"][0]["expected_now"]')" "expected now"
assert_eq false "$(ind new_rural_commune_share 'd["targets"][0]["met"]')" "not met"
assert_eq '[]' "$(ind new_rural_commune_share 'd["missing"]')" "nobody missing"
assert_eq '{"UBND-A": "50", "UBND-B": "50", "UBND-C": "0"}' \
    "$(ind new_rural_commune_share '{f["agency"]["code"]: f["value"] for f in d["breakdown"]}')" "agency shares"
assert_eq '["10", "20"]' "$(ind new_rural_commune_share '[[f["numerator"], f["denominator"]] for f in d["breakdown"] if f["agency"]["code"] == "UBND-A"][0]')" "agency figures"
assert_eq false "$(ind new_rural_commune_share 'd["frozen"]')" "not frozen while open"

step "a sum adds; an explicit no-data entry leaves its reporter missing"
assert_eq 20 "$(ind ocop_products 'd["value"]')" "OCOP products 12 + 8"
assert_eq '["UBND-C"]' "$(ind ocop_products '[a["code"] for a in d["missing"]]')" "UBND-C missing from OCOP"
assert_eq '[3, 2]' "$(ind ocop_products '[d["expected"], d["reported"]]')" "expected and reported"
assert_eq 9 "$(ind new_cooperatives 'd["value"]')" "cooperatives 4 + 3 + 2"
assert_eq '["SCT"]' "$(ind export_value '[a["code"] for a in d["missing"]]')" "SCT missing"
assert_eq no_data "$(ind export_value 'd["status"]')" "province-only without its reporter"

step "a returned report does not count until it is sent again"
rpc1 SNN Review "{\"request_uuid\": \"$(uuid 10)\", \"submission_id\": $SIDB1, \"decision\": \"return\", \"reason\": \"Sai số liệu\"}"
assert_eq OK "$ST" "return UBND-B ($MSG)"
progress new_rural_commune_share
assert_eq 1 "$(pyj "$R" 'len(d["indicators"])')" "one indicator asked"
assert_eq 20 "$(ind new_rural_commune_share 'd["value"]')" "share without UBND-B: 10/50"
assert_eq '["UBND-B"]' "$(ind new_rural_commune_share '[a["code"] for a in d["missing"]]')" "UBND-B missing"
rpc1 UBND-B Submit "$(report 4 5 10 8 3 "Huyện B: đã sửa")"
assert_eq OK "$ST" "UBND-B resubmits ($MSG)"
progress new_rural_commune_share
assert_eq 25 "$(ind new_rural_commune_share 'd["value"]')" "25 % again"

step "the province-only figure and the baseline multiple come from SCT's report"
rpc1 SCT Submit "{\"request_uuid\": \"$(uuid 5)\", \"period_code\": \"$P\", \"values\": [{\"key\": \"export_value\", \"value\": \"520.5\"}, {\"key\": \"rural_income\", \"value\": \"37.5\"}], \"results\": \"Xuất khẩu tăng\"}"
assert_eq OK "$ST" "SCT submit ($MSG)"
progress
assert_eq 520.5 "$(ind export_value 'd["value"]')" "province-only value"
assert_eq met "$(ind export_value 'd["status"]')" "at least 500: met"
assert_eq 37.5 "$(ind rural_income 'd["value"]')" "income"
assert_eq 1.25 "$(ind rural_income 'd["multiple"]')" "37.5 / 30"
# the bound is 1.3 x 30 = 39; expected now 30 + 9 x 1626/1826 = 38.0142
assert_eq 38.0142 "$(ind rural_income 'd["targets"][0]["expected_now"]')" "expected income now"
assert_eq at_risk "$(ind rural_income 'd["status"]')" "a gain of 7.5 >= 90 % of the expected 8.0142"
assert_eq 9 "$(ind new_cooperatives 'd["value"]')" "cooperatives"

step "ReportFeedback: the words of each counted report, attributed"
rpc1 SNN ReportFeedback "{\"period_code\": \"$P\"}"
assert_eq OK "$ST" "feedback ($MSG)"
assert_eq '["SCT", "UBND-A", "UBND-B", "UBND-C"]' "$(pyj "$R" '[f["agency"]["code"] for f in d["feedback"]]')" "agencies"
assert_eq "Huyện B: đã sửa" "$(pyj "$R" '[f["results"] for f in d["feedback"] if f["agency"]["code"] == "UBND-B"][0]')" "UBND-B's counted revision"
assert_eq 2 "$(pyj "$R" '[f["revision"] for f in d["feedback"] if f["agency"]["code"] == "UBND-B"][0]')" "revision 2"
assert_eq "Thiếu vốn đầu tư" "$(pyj "$R" 'd["feedback"][1]["difficulties"]')" "difficulties"
assert_eq "Điều chỉnh chỉ tiêu" "$(pyj "$R" 'd["feedback"][1]["proposals"]')" "proposals"

step "closing before the deadline has passed is refused"
rpc1 SNN PeriodClose "{\"request_uuid\": \"$(uuid 20)\", \"period_code\": \"$P\"}"
assert_eq FAILED_PRECONDITION "$ST" "close on 10 June"
assert_contains "$MSG" "has not passed" "message"
assert_eq 0 "$(sql "select count(*) from period_close")" "nothing closed"
rpc1 SNN PeriodClose "{\"request_uuid\": \"$(uuid 21)\", \"period_code\": \"2099-six_month\"}"
assert_eq NOT_FOUND "$ST" "unknown period"

step "on 20 June the standing agency closes the period, exactly once"
oversight_restart 2025-06-20T09:00:00+07:00
CLOSE="{\"request_uuid\": \"$(uuid 20)\", \"period_code\": \"$P\"}"
rpc SNN "[{\"m\": \"PeriodClose\", \"msg\": $CLOSE}, {\"m\": \"PeriodClose\", \"msg\": $CLOSE}]"
assert_eq '["OK", "OK"]' "$(pyj "$OUT" '[x["status"] for x in d]')" "close twice with one id"
assert_eq '[false, true]' "$(pyj "$OUT" '[x["resp"]["replay"] for x in d]')" "second is a replay"
assert_eq '[4, 4]' "$(pyj "$OUT" '[x["resp"]["submissions"] for x in d]')" "4 revisions frozen"
assert_eq 1 "$(pyj "$OUT" 'len({x["resp"]["closed_at_ms"] for x in d})')" "one receipt"
rpc1 SNN PeriodClose "{\"request_uuid\": \"$(uuid 22)\", \"period_code\": \"$P\"}"
assert_eq FAILED_PRECONDITION "$ST" "close again with another id"
assert_contains "$MSG" "already closed" "message"
rpc1 OPS PeriodClose "{\"request_uuid\": \"$(uuid 20)\", \"period_code\": \"$P\"}"
assert_eq FAILED_PRECONDITION "$ST" "the operator's same id is its own key: already closed"
assert_eq 4 "$(sql "select count(*) from period_snapshot")" "snapshot rows"
assert_eq 1 "$(sql "select count(*) from period_close")" "one close"

step "closed, nothing changed since: frozen figures, no corrections"
progress
assert_eq true "$(ind new_rural_commune_share 'd["frozen"]')" "frozen"
assert_eq 25 "$(ind new_rural_commune_share 'd["value"]')" "the frozen share"
assert_eq "" "$(ind new_rural_commune_share 'd["current_value"]')" "no corrections yet"
assert_eq '[false, false, false]' "$(ind new_rural_commune_share '[f["corrected"] for f in d["breakdown"]]')" "nobody corrected"
assert_eq '["50", "50", "0"]' "$(ind new_rural_commune_share '[f["value"] for f in d["breakdown"]]')" "the agencies' frozen shares"
assert_eq '[]' "$(ind new_rural_commune_share 'd["missing"]')" "nobody missing"

step "a late correction by UBND-A: the value stays frozen, the correction is shown"
rpc1 UBND-A Submit "$(report 6 20 20 12 4 "Huyện A: số liệu điều chỉnh")"
assert_eq OK "$ST" "UBND-A corrects ($MSG)"
assert_eq 2 "$(pyj "$R" 'd["revision"]')" "revision 2"
progress
assert_eq true "$(pyj "$R" 'd["closed"]')" "closed"
[ "$(pyj "$R" 'd["closed_at_ms"]')" -gt 0 ] || fail "closed_at_ms"
assert_eq true "$(ind new_rural_commune_share 'd["frozen"]')" "frozen"
assert_eq 25 "$(ind new_rural_commune_share 'd["value"]')" "the frozen share"
assert_eq 15 "$(ind new_rural_commune_share 'd["numerator"]')" "frozen numerators"
assert_eq 41.6667 "$(ind new_rural_commune_share 'd["current_value"]')" "with the correction: 25/60"
A="[f for f in d['breakdown'] if f['agency']['code'] == 'UBND-A'][0]"
assert_eq true "$(ind new_rural_commune_share "$A['corrected']")" "UBND-A corrected"
assert_eq 100 "$(ind new_rural_commune_share "$A['value']")" "UBND-A's corrected share"
assert_eq 50 "$(ind new_rural_commune_share "$A['frozen_value']")" "UBND-A's frozen share"
assert_eq '["10", "20"]' "$(ind new_rural_commune_share "[$A['frozen_numerator'], $A['frozen_denominator']]")" "frozen figures kept"
assert_eq 2 "$(ind new_rural_commune_share "$A['revision']")" "the correcting revision"
assert_eq false "$(ind new_rural_commune_share "[f for f in d['breakdown'] if f['agency']['code'] == 'UBND-B'][0]['corrected']")" "UBND-B not corrected"
assert_eq "" "$(ind ocop_products 'd["current_value"]')" "OCOP unchanged by the correction"
rpc1 SNN ReportFeedback "{\"period_code\": \"$P\"}"
assert_eq "Huyện A: kết quả tốt" "$(pyj "$R" '[f["results"] for f in d["feedback"] if f["agency"]["code"] == "UBND-A"][0]')" "feedback from the frozen revision"

step "totals only: no breakdown, the counts stay"
rpc1 SNN TargetProgress "{\"period_code\": \"$P\", \"totals_only\": 1}"
assert_eq OK "$ST" "totals only ($MSG)"
assert_eq 0 "$(pyj "$R" 'sum(len(i["breakdown"]) + len(i["missing"]) for i in d["indicators"])')" "no lists"
assert_eq 25 "$(ind new_rural_commune_share 'd["value"]')" "same value"

step "bad requests"
rpc1 SNN TargetProgress '{"period_code": ""}'
assert_eq INVALID_ARGUMENT "$ST" "no period"
rpc1 SNN TargetProgress "{\"period_code\": \"$P\", \"indicator\": \"no_such\"}"
assert_eq NOT_FOUND "$ST" "unknown indicator"
rpc1 SNN TargetProgress "{\"period_code\": \"$P\", \"indicator\": \"Bad Key\"}"
assert_eq INVALID_ARGUMENT "$ST" "malformed indicator"
rpc1 SNN PeriodClose "{\"request_uuid\": \"00\", \"period_code\": \"$P\"}"
assert_eq INVALID_ARGUMENT "$ST" "short request_uuid"
echo "ok"
