#!/usr/bin/env python3
"""oversight_plan.py: writes the plan file of the national-scale oversight
benchmark (bench/oversight.sh): 3,500 reporting units (30 departments, the
standing agency among them, and 3,470 commune-level units), 60 tasks in six
sections, 60 indicators with a 2025 and a 2030 target each, and the 16
periods of 2023-2030 (six_month and annual). It goes through the ordinary
PlanImport; bench/oversight_data.sql then fills in the reports.

    oversight_plan.py OUT.plan
"""
import sys

DEPARTMENTS = 30
COMMUNES = 3470


def main():
    out = []
    w = out.append
    w("# Synthetic national-scale plan for bench/oversight.sh (generated).")
    w("[declares]\ntasks = 60\nindicators = 60\ntargets = 120\n")
    w("[plan]\nprovince = Quy mô quốc gia\ntitle = Kế hoạch tổng hợp (dữ liệu thử tải)\n"
      "standing_agency = D00\nversion = 1\n")
    for d in range(DEPARTMENTS):
        w(f"[agency D{d:02d}]\nkind = department\nname = Sở thử nghiệm {d:02d}\n")
    for c in range(COMMUNES):
        w(f"[agency X{c:04d}]\nkind = commune\nname = UBND xã thử nghiệm {c:04d}\n")
    w("[group @departments]\nname = các sở, ban, ngành\nkinds = department\n")
    w("[group @communes]\nname = UBND các xã, phường\nkinds = commune\n")
    w("[section III]\ntitle = NHIỆM VỤ, GIẢI PHÁP\n")
    for s in range(1, 7):
        w(f"[section III.{s}]\ntitle = Nhóm nhiệm vụ {s}\n")
    letters = "abcdeghikl"  # no f in Vietnamese
    deadlines = ["continuous", "every_period", "date 2024-06-30", "by_year 2025",
                 "date 2026-12-31", "by_year 2030"]
    for n in range(60):
        sec, item = n // 10 + 1, letters[n % 10]
        if n % 4 == 0:
            lead, coord = "@communes", f"D{n % DEPARTMENTS:02d}"
        elif n % 4 == 1:
            lead, coord = f"D{n % DEPARTMENTS:02d}", "@communes"
        else:
            lead, coord = f"D{n % DEPARTMENTS:02d}", f"D{(n + 1) % DEPARTMENTS:02d}, D{(n + 2) % DEPARTMENTS:02d}"
        w(f"[task III.{sec}.{item}]\ntitle = Nhiệm vụ {n + 1}\nlead = {lead}\n"
          f"coordinating = {coord}\ndeadline = {deadlines[n % len(deadlines)]}\n"
          f'text = """\nNội dung nhiệm vụ thử nghiệm số {n + 1}.\n"""\n')
    for n in range(60):
        key = f"ind{n + 1:02d}"
        if n < 30:  # reported by every commune
            rule, rep = ("sum" if n % 2 == 0 else "ratio"), "@communes"
        elif n < 50:  # one department each
            rule = ["province_only", "yearly_rate", "baseline_multiple", "province_only"][n % 4]
            rep = f"D{n - 30:02d}"
        else:
            rule, rep = "sum", "@departments"
        extra = ""
        if rule == "ratio":
            extra = "numerator = Số đạt chuẩn\ndenominator = Tổng số\n"
        if n % 3 != 2:
            extra += f"baseline = {40 + n}\nbaseline_year = 2020\n"
        w(f"[indicator {key}]\nname = Chỉ tiêu thử nghiệm {n + 1}\nunit = đơn vị\nrule = {rule}\n"
          f"{extra}reporters = {rep}\n")
    for n in range(60):
        key = f"ind{n + 1:02d}"
        for year, value in ((2025, 60 + n), (2030, 80 + n)):
            comp = ["at_least", "exactly", "about", "more_than"][n % 4]
            if n >= 30 and n < 50 and n % 4 == 2:
                comp, value = "multiple_of_baseline", "1.3" if year == 2025 else "2"
            elif n >= 30 and n < 50 and n % 4 == 1:
                comp = "per_year"
            w(f"[target {key} {year}]\ncomparator = {comp}\nvalue = {value}\n"
              f"wording = Mục tiêu {value}\n")
    w("[period-regime six_month]\nname = Báo cáo 6 tháng\nyears = 2023-2030\n"
      "window_start = Y-1-12-15\nwindow_end = Y-06-14\ndeadline = Y-06-15\n")
    w("[period-regime annual]\nname = Báo cáo hằng năm\nyears = 2023-2030\n"
      "window_start = Y-1-12-15\nwindow_end = Y-12-14\ndeadline = Y-12-15\n")
    with open(sys.argv[1], "w", encoding="utf-8") as f:
        f.write("\n".join(out))


if __name__ == "__main__":
    main()
