/* report_html: the consolidated report as one self-contained HTML file
 * (report_render.h): inline CSS with A4 print rules and a Times-compatible
 * font, inline SVG charts (report_svg.c), every user text escaped. */
#include <stdlib.h>
#include <string.h>

#include "report_render.h"
#include "report_words.h"

void report_html_escape(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&':
            fputs("&amp;", f);
            break;
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        case '\'':
            fputs("&#39;", f);
            break;
        default:
            fputc(*s, f);
        }
    }
}

static const char css[] =
    "@page { size: A4; margin: 20mm 15mm 20mm 25mm; }\n"
    "html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }\n"
    "body { font-family: \"Times New Roman\", \"Liberation Serif\", Times, serif;\n"
    "       font-size: 13pt; line-height: 1.35; color: #000; max-width: 170mm;\n"
    "       margin: 0 auto; }\n"
    "header { text-align: center; margin-bottom: 1.5em; }\n"
    "header .issuer { font-weight: bold; text-transform: uppercase; }\n"
    "h1 { font-size: 15pt; text-transform: uppercase; margin: 0.6em 0 0.2em; }\n"
    "h2 { font-size: 13.5pt; margin: 1.2em 0 0.4em; break-after: avoid; }\n"
    "h3 { font-size: 13pt; font-style: italic; margin: 0.8em 0 0.3em; break-after: avoid; }\n"
    "table { border-collapse: collapse; width: 100%; font-size: 11pt; margin: 0.3em 0; }\n"
    "thead { display: table-header-group; }\n"
    "tr, svg, .fb { break-inside: avoid; }\n"
    "th, td { border: 1px solid #444; padding: 2pt 4pt; vertical-align: top; text-align: left; }\n"
    "th { background: #eeeeee; }\n"
    "td.num { text-align: right; white-space: nowrap; }\n"
    ".text { white-space: pre-line; margin: 0.2em 0 0.6em; text-align: justify; }\n"
    ".fb .who { font-weight: bold; }\n"
    ".st { font-weight: bold; }\n"
    ".st-off_track, .st-overdue { color: #b71c1c; }\n"
    ".st-at_risk { color: #8d6e00; }\n"
    ".st-on_track { color: #1b5e20; }\n"
    ".st-met { color: #0d47a1; }\n"
    ".note { font-size: 11pt; font-style: italic; }\n"
    "svg { display: block; margin: 0.2em 0 0.6em; max-width: 100%; height: auto; }\n"
    "svg text { font-family: \"Times New Roman\", \"Liberation Serif\", Times, serif; }\n";

static void esc(FILE *f, const char *s)
{
    report_html_escape(f, s);
}

/* <tag>text</tag> with text escaped. */
static void el(FILE *f, const char *tag, const char *cls, const char *text)
{
    if (cls)
        fprintf(f, "<%s class=\"%s\">", tag, cls);
    else
        fprintf(f, "<%s>", tag);
    esc(f, text);
    fprintf(f, "</%s>", tag);
}

static void td_num(FILE *f, int n)
{
    fprintf(f, "<td class=\"num\">%d</td>", n);
}

static void head(FILE *f, const struct report_model *m)
{
    const Tamnong__PeriodInfo *p = report_period(m);
    char a[32], b[32], c[32], t[48];
    fputs("<!DOCTYPE html>\n<html lang=\"vi\">\n<head>\n<meta charset=\"utf-8\">\n", f);
    fputs("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n", f);
    fputs("<title>Báo cáo tổng hợp — ", f);
    esc(f, p->regime_name);
    fprintf(f, " năm %d</title>\n<style>\n%s</style>\n</head>\n<body>\n<header>\n", (int)p->year,
            css);
    el(f, "p", "issuer", m->issuer ? m->issuer : "");
    fputs("\n<h1>Báo cáo tổng hợp<br>tình hình thực hiện Kế hoạch</h1>\n<p class=\"period\">", f);
    esc(f, p->regime_name);
    fprintf(f, " năm %d (kỳ ", (int)p->year);
    esc(f, p->code);
    fputs(")</p>\n<p>Số liệu từ ", f);
    esc(f, rw_date(p->window_start, a, sizeof a));
    fputs(" đến ", f);
    esc(f, rw_date(p->window_end, b, sizeof b));
    fputs("; hạn gửi báo cáo: ", f);
    esc(f, rw_date(p->deadline, c, sizeof c));
    fprintf(f, ".</p>\n<p class=\"note\">Lập lúc %s (giờ Việt Nam).</p>\n</header>\n",
            rw_time(m->generated_at_ms, t, sizeof t));
}

static void agency_list(FILE *f, const Tamnong__PeriodStatusResponse *st,
                        bool (*pick)(const Tamnong__ReporterStatus *), const char *title, int what)
{
    fprintf(f, "<h3>%s</h3>\n", title);
    size_t n = 0;
    for (size_t i = 0; st && i < st->n_reporters; i++)
        if (pick(st->reporters[i]))
            n++;
    if (n == 0) {
        fputs("<p>Không có.</p>\n", f);
        return;
    }
    fputs("<ol>\n", f);
    for (size_t i = 0; i < st->n_reporters; i++) {
        const Tamnong__ReporterStatus *r = st->reporters[i];
        if (!pick(r))
            continue;
        char t[48];
        fputs("<li>", f);
        esc(f, r->agency ? r->agency->name : "");
        fprintf(f, " (%s)", rw_kind(r->kind));
        if (what == 1)
            fprintf(f, ": nhận lúc %s", rw_time(r->received_at_ms, t, sizeof t));
        if (what == 2 && r->review_reason[0]) {
            fputs(": ", f);
            esc(f, r->review_reason);
        }
        if (r->extension_reason[0]) {
            fputs("; được gia hạn: ", f);
            esc(f, r->extension_reason);
        }
        fputs("</li>\n", f);
    }
    fputs("</ol>\n", f);
}

static void completeness(FILE *f, const struct report_model *m)
{
    const Tamnong__PeriodStatusResponse *st = m->status;
    fputs("<h2>I. Tình hình gửi báo cáo</h2>\n", f);
    const Tamnong__KindCount *all = report_total(m);
    if (all) {
        fprintf(f,
                "<p>Có %d/%d cơ quan đã gửi báo cáo (%d%%), trong đó %d đúng hạn và %d gửi "
                "muộn; %d cơ quan chưa gửi; %d báo cáo bị trả lại; %d báo cáo đã được chấp "
                "nhận.</p>\n",
                all->submitted, all->expected,
                all->expected ? (all->submitted * 100 + all->expected / 2) / all->expected : 0,
                all->on_time, all->late, all->missing, all->returned, all->accepted);
    }
    fputs("<table>\n<thead><tr><th>Loại cơ quan</th><th>Phải báo cáo</th><th>Đã gửi</th>"
          "<th>Đúng hạn</th><th>Muộn</th><th>Chưa gửi</th><th>Bị trả lại</th>"
          "<th>Đã chấp nhận</th></tr></thead>\n<tbody>\n",
          f);
    for (size_t i = 0; st && i < st->n_totals; i++) {
        const Tamnong__KindCount *k = st->totals[i];
        fputs(k->kind[0] ? "<tr><td>" : "<tr><td><b>", f);
        esc(f, rw_kind(k->kind));
        fputs(k->kind[0] ? "</td>" : "</b></td>", f);
        td_num(f, k->expected);
        td_num(f, k->submitted);
        td_num(f, k->on_time);
        td_num(f, k->late);
        td_num(f, k->missing);
        td_num(f, k->returned);
        td_num(f, k->accepted);
        fputs("</tr>\n", f);
    }
    fputs("</tbody>\n</table>\n", f);
    agency_list(f, st, report_is_missing, "Cơ quan chưa gửi báo cáo", 0);
    agency_list(f, st, report_is_late, "Cơ quan gửi báo cáo muộn", 1);
    agency_list(f, st, report_is_returned, "Báo cáo bị trả lại để hoàn thiện", 2);
    fputs("<h3>Trạng thái báo cáo theo cơ quan</h3>\n", f);
    report_svg_status_grid(f, st);
}

static void board(FILE *f, const struct report_model *m)
{
    const Tamnong__TaskBoardResponse *b = m->board;
    fputs("<h2>II. Tiến độ thực hiện nhiệm vụ</h2>\n", f);
    size_t n = 0, overdue = 0, done = 0, unreported = 0;
    for (size_t i = 0; b && i < b->n_rows; i++) {
        n++;
        overdue += strcmp(b->rows[i]->deadline_state, "overdue") == 0;
        done += strcmp(b->rows[i]->status, "completed") == 0;
        unreported += strcmp(b->rows[i]->status, "not_reported") == 0;
    }
    fprintf(f,
            "<p>Tổng số %zu nhiệm vụ: %zu đã hoàn thành, %zu quá hạn chưa hoàn thành, %zu chưa "
            "được cơ quan chủ trì báo cáo.</p>\n",
            n, done, overdue, unreported);
    size_t ns;
    const char **sections = report_sections(m, &ns);
    for (size_t s = 0; s < ns; s++) {
        fputs("<h3>Mục ", f);
        esc(f, sections[s]);
        fputs("</h3>\n<table>\n<thead><tr><th>Mã</th><th>Nhiệm vụ</th><th>Chủ trì</th>"
              "<th>Trạng thái</th><th>Tiến độ</th><th>Thời hạn</th></tr></thead>\n<tbody>\n",
              f);
        for (size_t i = 0; i < b->n_rows; i++) {
            const Tamnong__TaskBoardRow *r = b->rows[i];
            const Tamnong__TaskInfo *t = r->task;
            if (!t || strcmp(t->section, sections[s]) != 0)
                continue;
            char leads[1024], d[32];
            fputs("<tr>", f);
            el(f, "td", NULL, t->code);
            el(f, "td", NULL, t->title);
            el(f, "td", NULL, report_leads(t, leads, sizeof leads));
            el(f, "td", NULL, rw_task_status(r->status));
            fprintf(f, "<td class=\"num\">%d%%</td>", (int)r->progress);
            fprintf(f, "<td class=\"st st-%s\">",
                    strcmp(r->deadline_state, "overdue") == 0 ? "overdue" : "plain");
            esc(f, rw_deadline_state(r->deadline_state));
            if (r->due_date[0]) {
                fputs(" (", f);
                esc(f, rw_date(r->due_date, d, sizeof d));
                fputs(")", f);
            }
            fputs("</td></tr>\n", f);
        }
        fputs("</tbody>\n</table>\n", f);
    }
    free((void *)sections);
}

static void targets(FILE *f, const struct report_model *m)
{
    const Tamnong__TargetProgressResponse *p = m->progress;
    char t[48];
    fputs("<h2>III. Kết quả thực hiện các chỉ tiêu</h2>\n", f);
    if (p && p->closed)
        fprintf(f,
                "<p class=\"note\">Kỳ báo cáo đã được khoá lúc %s: số liệu dưới đây là số liệu "
                "chốt tại thời điểm khoá; các điều chỉnh gửi sau được ghi riêng.</p>\n",
                rw_time(p->closed_at_ms, t, sizeof t));
    fputs("<table>\n<thead><tr><th>TT</th><th>Chỉ tiêu</th><th>Năm gốc</th><th>Kết quả kỳ "
          "này</th><th>Mục tiêu</th><th>Đánh giá</th></tr></thead>\n<tbody>\n",
          f);
    for (size_t i = 0; p && i < p->n_indicators; i++) {
        const Tamnong__IndicatorProgress *ip = p->indicators[i];
        const Tamnong__IndicatorInfo *ind = ip->indicator;
        if (!ind)
            continue;
        char v[256];
        fprintf(f, "<tr><td class=\"num\">%zu</td>", i + 1);
        el(f, "td", NULL, ind->name);
        fputs("<td class=\"num\">", f);
        esc(f, rw_value(ind->baseline, ind->unit, v, sizeof v));
        if (ind->baseline[0])
            fprintf(f, " (%d)", (int)ind->baseline_year);
        fputs("</td><td class=\"num\">", f);
        esc(f, rw_value(ip->value, ind->unit, v, sizeof v));
        if (ip->frozen)
            fputs("<br><span class=\"note\">số liệu chốt</span>", f);
        if (ip->current_value[0] && strcmp(ip->current_value, ip->value) != 0) {
            fputs("<br><span class=\"note\">sau điều chỉnh: ", f);
            esc(f, rw_value(ip->current_value, ind->unit, v, sizeof v));
            fputs("</span>", f);
        }
        if (ip->n_missing > 0)
            fprintf(f, "<br><span class=\"note\">thiếu số liệu của %zu cơ quan</span>",
                    ip->n_missing);
        fputs("</td><td>", f);
        for (size_t k = 0; k < ip->n_targets; k++) {
            const Tamnong__TargetInfo *ti = ip->targets[k]->target;
            if (!ti)
                continue;
            fprintf(f, "%sNăm %d: ", k ? "<br>" : "", (int)ti->year);
            esc(f, rw_target(ti, ind->unit, v, sizeof v));
        }
        fprintf(f, "</td><td class=\"st st-%s\">", ip->status[0] ? ip->status : "no_data");
        esc(f, rw_target_status(ip->status));
        fputs("</td></tr>\n", f);
    }
    fputs("</tbody>\n</table>\n", f);
    fputs("<h3>Biểu đồ: năm gốc, kết quả kỳ này và mục tiêu</h3>\n", f);
    for (size_t i = 0; p && i < p->n_indicators; i++) {
        const Tamnong__IndicatorProgress *ip = p->indicators[i];
        if (!ip->indicator || ip->n_targets == 0)
            continue;
        fprintf(f, "<div class=\"fb\"><p><b>%zu.</b> ", i + 1);
        esc(f, ip->indicator->name);
        fputs("</p>\n", f);
        for (size_t k = 0; k < ip->n_targets; k++)
            report_svg_target_bar(f, ip, ip->targets[k]);
        if (ip->n_missing > 0) {
            fputs("<p class=\"note\">Chưa có số liệu của: ", f);
            for (size_t k = 0; k < ip->n_missing; k++) {
                if (k)
                    fputs(", ", f);
                esc(f, ip->missing[k]->name);
            }
            fputs(".</p>\n", f);
        }
        fputs("</div>\n", f);
    }
}

/* One section of the agencies' own words: field is 0 results, 1
 * difficulties, 2 recommendations, 3 proposals. */
static void words(FILE *f, const struct report_model *m, const char *title, int field)
{
    fprintf(f, "<h2>%s</h2>\n", title);
    size_t n = 0;
    for (size_t i = 0; m->feedback && i < m->feedback->n_feedback; i++) {
        const Tamnong__AgencyFeedback *a = m->feedback->feedback[i];
        const char *texts[] = {a->results, a->difficulties, a->recommendations, a->proposals};
        const char *text = texts[field];
        if (!text[0])
            continue;
        n++;
        fputs("<div class=\"fb\"><p class=\"who\">", f);
        esc(f, a->agency ? a->agency->name : "");
        fputs(":</p>\n", f);
        el(f, "p", "text", text);
        fputs("</div>\n", f);
    }
    if (n == 0)
        fputs("<p>Không có cơ quan nào nêu.</p>\n", f);
}

static void breakdown(FILE *f, const struct report_model *m)
{
    const Tamnong__TargetProgressResponse *p = m->progress;
    fputs("<h2>Phụ lục 1. Số liệu chỉ tiêu theo cơ quan</h2>\n<table>\n<thead><tr>"
          "<th>Chỉ tiêu</th><th>Cơ quan</th><th>Số liệu</th><th>Ghi chú</th></tr></thead>\n"
          "<tbody>\n",
          f);
    for (size_t i = 0; p && i < p->n_indicators; i++) {
        const Tamnong__IndicatorProgress *ip = p->indicators[i];
        if (!ip->indicator)
            continue;
        for (size_t k = 0; k < ip->n_breakdown; k++) {
            const Tamnong__AgencyFigure *a = ip->breakdown[k];
            char v[256], n1[128], n2[128];
            fputs("<tr>", f);
            el(f, "td", NULL, ip->indicator->name);
            el(f, "td", NULL, a->agency ? a->agency->name : "");
            fputs("<td class=\"num\">", f);
            if (a->numerator[0] || a->denominator[0]) {
                esc(f, rw_num(a->numerator, n1, sizeof n1));
                fputs("/", f);
                esc(f, rw_num(a->denominator, n2, sizeof n2));
                fputs(" = ", f);
            }
            esc(f, rw_value(a->value, ip->indicator->unit, v, sizeof v));
            fputs("</td><td>", f);
            if (a->corrected) {
                fputs("Điều chỉnh sau khi khoá kỳ; số liệu chốt: ", f);
                esc(f, rw_value(a->frozen_value, ip->indicator->unit, v, sizeof v));
            }
            fputs("</td></tr>\n", f);
        }
    }
    fputs("</tbody>\n</table>\n", f);
}

static void signatures(FILE *f, const struct report_model *m)
{
    size_t n = m->feedback ? m->feedback->n_feedback : 0;
    fprintf(f,
            "<h2>Phụ lục 2. Báo cáo đã ký số</h2>\n<p>%zu/%zu báo cáo có chữ ký số.</p>\n"
            "<table>\n<thead><tr><th>Cơ quan</th><th>Số báo cáo</th><th>Lần gửi</th>"
            "<th>Trạng thái</th><th>Người ký</th></tr></thead>\n<tbody>\n",
            report_signed_count(m), n);
    for (size_t i = 0; i < n; i++) {
        const Tamnong__AgencyFeedback *a = m->feedback->feedback[i];
        fputs("<tr>", f);
        el(f, "td", NULL, a->agency ? a->agency->name : "");
        fprintf(f, "<td class=\"num\">%lld</td><td class=\"num\">%d</td>",
                (long long)a->submission_id, (int)a->revision);
        el(f, "td", NULL, rw_reporter_status(a->state));
        el(f, "td", NULL, rw_dash(a->signer));
        fputs("</tr>\n", f);
    }
    fputs("</tbody>\n</table>\n", f);
}

int report_render_html(const struct report_model *m, FILE *f)
{
    head(f, m);
    completeness(f, m);
    board(f, m);
    targets(f, m);
    words(f, m, "IV. Kết quả nổi bật theo báo cáo của các cơ quan", 0);
    words(f, m, "V. Khó khăn, vướng mắc", 1);
    words(f, m, "VI. Kiến nghị", 2);
    words(f, m, "VII. Đề xuất điều chỉnh Kế hoạch", 3);
    breakdown(f, m);
    signatures(f, m);
    fputs("</body>\n</html>\n", f);
    return ferror(f) ? -1 : 0;
}
