# tests/integration/oversight_lib.sh: what test_target_progress.sh and
# test_task_board.sh share (source it after lib.sh and report_lib.sh). A small
# plan with two departments and three districts, built so that the figures
# and deadline states can be worked out by hand, and the server on a test
# clock with it imported.
#
#   oversight_setup CLOCK   PostgreSQL, PKI, tamnongd with test_clock=CLOCK;
#                           agencies OPS (operator), SNN (standing), SCT,
#                           UBND-A, UBND-B, UBND-C; the plan imported
#   oversight_restart CLOCK tamnongd again with another test clock
# shellcheck shell=bash

oversight_plan() {
    cat >"$TN_TMP/oversight.plan" <<'EOF'
# A small plan for the oversight tests.
[declares]
tasks = 5
indicators = 5
targets = 6

[plan]
province = Thử nghiệm
title = Kế hoạch thử nghiệm giám sát
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

[agency UBND-C]
kind = district
name = UBND huyện C

[group @districts]
name = UBND các huyện
kinds = district

[section III]
title = NHIỆM VỤ, GIẢI PHÁP

[section III.1]
title = Nhóm thứ nhất

[section III.2]
title = Nhóm thứ hai

[task III.1.a]
title = Việc đã xong
lead = SNN
coordinating = @districts
deadline = date 2025-01-31
text = """
Sở Nông nghiệp chủ trì, phối hợp với UBND các huyện.
"""

[task III.1.b]
title = Việc thường xuyên
lead = SCT
deadline = continuous
text = """
Sở Công Thương chủ trì.
"""

[task III.1.c]
title = Việc mỗi kỳ
lead = SNN
deadline = every_period
text = """
Sở Nông nghiệp báo cáo mỗi kỳ.
"""

[task III.2.a]
title = Việc của các huyện
lead = @districts
deadline = by_year 2025
text = """
UBND các huyện chủ trì.
"""

[task III.2.b]
title = Việc quá hạn
lead = SCT
coordinating = SNN
deadline = date 2025-03-31
text = """
Sở Công Thương chủ trì, phối hợp với Sở Nông nghiệp.
"""

[indicator new_rural_commune_share]
name = Tỷ lệ số xã đạt chuẩn nông thôn mới
unit = %
rule = ratio
numerator = Số xã đạt chuẩn nông thôn mới
denominator = Tổng số xã
baseline = 40
baseline_year = 2020
reporters = @districts

[indicator ocop_products]
name = Số sản phẩm OCOP
unit = sản phẩm
rule = sum
reporters = @districts

[indicator new_cooperatives]
name = Số hợp tác xã thành lập mới
unit = hợp tác xã
rule = sum
reporters = @districts

[indicator export_value]
name = Kim ngạch xuất khẩu nông sản
unit = triệu USD
rule = province_only
reporters = SCT

[indicator rural_income]
name = Thu nhập bình quân người dân nông thôn
unit = triệu đồng/người/năm
rule = baseline_multiple
baseline = 30
baseline_year = 2020
reporters = SCT

[target new_rural_commune_share 2025]
comparator = exactly
value = 63.5
wording = Tỷ lệ số xã đạt chuẩn nông thôn mới 63,5%

[target new_rural_commune_share 2030]
comparator = exactly
value = 80
wording = Tỷ lệ số xã đạt chuẩn nông thôn mới 80%

[target ocop_products 2030]
comparator = at_least
value = 180
wording = có 180 sản phẩm OCOP

[target new_cooperatives 2025]
comparator = per_year
low = 15
high = 20
wording = Hàng năm thành lập mới được từ 15 - 20 hợp tác xã

[target export_value 2025]
comparator = at_least
value = 500
wording = đạt 500 triệu USD

[target rural_income 2025]
comparator = multiple_of_baseline
value = 1.3
wording = gấp 1,3 lần so với năm 2020

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

oversight_setup() { # CLOCK
    setup_all "test_clock=$1"
    agency_cert OPS --name "Đơn vị vận hành"
    agency_register OPS "Đơn vị vận hành"
    agency_register SNN "Sở Nông nghiệp"
    # Admin rights come from a person's log-in: an operator at OPS, a
    # reviewer at the standing agency (rpc sends their session tokens).
    session_ensure OPS operator
    session_ensure SNN reviewer
    agency_register SCT "Sở Công Thương"
    agency_register UBND-A "UBND huyện A"
    agency_register UBND-B "UBND huyện B"
    agency_register UBND-C "UBND huyện C"
    oversight_plan
    rpc1 OPS PlanImport "{\"file_name\": \"oversight.plan\", \"content\": {\"file\": \"$TN_TMP/oversight.plan\"}}"
    assert_eq OK "$ST" "plan import ($MSG)"
}

oversight_restart() { # CLOCK
    server_stop
    server_start "test_clock=$1"
}
