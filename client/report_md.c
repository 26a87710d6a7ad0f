/* report_md: the consolidated report in Markdown (report_render.h), the
 * same sections as the HTML one without the charts. User texts are escaped
 * so they stay text: Markdown's punctuation gets a backslash, & < > become
 * character references (no raw HTML gets through), and in table cells a
 * line break becomes <br>. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "report_render.h"
#include "report_words.h"

/* cell: inside a table row (| escaped, newlines as <br>); otherwise a
 * paragraph (newlines as hard line breaks, a line that would start a list
 * or heading is defused). */
static void md_esc(FILE *f, const char *s, bool cell)
{
    bool line_start = true;
    for (; s && *s; s++) {
        char c = *s;
        if (line_start && !cell) {
            const char *d = s;
            while (isdigit((unsigned char)*d))
                d++;
            if (d > s && (*d == '.' || *d == ')')) {
                fwrite(s, 1, (size_t)(d - s), f);
                fputc('\\', f);
                fputc(*d, f);
                s = d;
                line_start = false;
                continue;
            }
            if (c == '-' || c == '+' || c == '=')
                fputc('\\', f);
        }
        line_start = false;
        switch (c) {
        case '&':
            fputs("&amp;", f);
            break;
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '\r':
            break;
        case '\n':
            fputs(cell ? "<br>" : "\\\n", f);
            line_start = true;
            break;
        case '\\':
        case '`':
        case '*':
        case '_':
        case '[':
        case ']':
        case '|':
        case '#':
        case '~':
        case '!':
            fputc('\\', f);
            fputc(c, f);
            break;
        default:
            fputc(c, f);
        }
    }
}

static void cell(FILE *f, const char *s)
{
    fputs(" ", f);
    md_esc(f, s, true);
    fputs(" |", f);
}

static void icell(FILE *f, long long n)
{
    fprintf(f, " %lld |", n);
}

static void head(FILE *f, const struct report_model *m)
{
    const Tamnong__PeriodInfo *p = report_period(m);
    char a[32], b[32], c[32], t[48];
    fputs("**", f);
    md_esc(f, m->issuer ? m->issuer : "", true);
    fputs("**\n\n# Báo cáo tổng hợp tình hình thực hiện Kế hoạch\n\n", f);
    md_esc(f, p->regime_name, true);
    fprintf(f, " năm %d (kỳ ", (int)p->year);
    md_esc(f, p->code, true);
    fprintf(f, ")\\\nSố liệu từ %s đến %s; hạn gửi báo cáo: %s.\\\n",
            rw_date(p->window_start, a, sizeof a), rw_date(p->window_end, b, sizeof b),
            rw_date(p->deadline, c, sizeof c));
    fprintf(f, "*Lập lúc %s (giờ Việt Nam).*\n", rw_time(m->generated_at_ms, t, sizeof t));
}

static void agency_list(FILE *f, const Tamnong__PeriodStatusResponse *st,
                        bool (*pick)(const Tamnong__ReporterStatus *), const char *title, int what)
{
    fprintf(f, "\n### %s\n\n", title);
    size_t n = 0;
    for (size_t i = 0; st && i < st->n_reporters; i++) {
        const Tamnong__ReporterStatus *r = st->reporters[i];
        if (!pick(r))
            continue;
        char t[48];
        fprintf(f, "%zu. ", ++n);
        md_esc(f, r->agency ? r->agency->name : "", true);
        fprintf(f, " (%s)", rw_kind(r->kind));
        if (what == 1)
            fprintf(f, ": nhận lúc %s", rw_time(r->received_at_ms, t, sizeof t));
        if (what == 2 && r->review_reason[0]) {
            fputs(": ", f);
            md_esc(f, r->review_reason, true);
        }
        fputs("\n", f);
    }
    if (n == 0)
        fputs("Không có.\n", f);
}

static void completeness(FILE *f, const struct report_model *m)
{
    const Tamnong__PeriodStatusResponse *st = m->status;
    fputs("\n## I. Tình hình gửi báo cáo\n\n", f);
    const Tamnong__KindCount *all = report_total(m);
    if (all)
        fprintf(f,
                "Có %d/%d cơ quan đã gửi báo cáo (%d%%), trong đó %d đúng hạn và %d gửi muộn; "
                "%d cơ quan chưa gửi; %d báo cáo bị trả lại; %d báo cáo đã được chấp nhận.\n\n",
                all->submitted, all->expected,
                all->expected ? (all->submitted * 100 + all->expected / 2) / all->expected : 0,
                all->on_time, all->late, all->missing, all->returned, all->accepted);
    fputs("| Loại cơ quan | Phải báo cáo | Đã gửi | Đúng hạn | Muộn | Chưa gửi | Bị trả lại | "
          "Đã chấp nhận |\n|---|--:|--:|--:|--:|--:|--:|--:|\n",
          f);
    for (size_t i = 0; st && i < st->n_totals; i++) {
        const Tamnong__KindCount *k = st->totals[i];
        fputs("|", f);
        cell(f, rw_kind(k->kind));
        icell(f, k->expected);
        icell(f, k->submitted);
        icell(f, k->on_time);
        icell(f, k->late);
        icell(f, k->missing);
        icell(f, k->returned);
        icell(f, k->accepted);
        fputs("\n", f);
    }
    agency_list(f, st, report_is_missing, "Cơ quan chưa gửi báo cáo", 0);
    agency_list(f, st, report_is_late, "Cơ quan gửi báo cáo muộn", 1);
    agency_list(f, st, report_is_returned, "Báo cáo bị trả lại để hoàn thiện", 2);
}

static void board(FILE *f, const struct report_model *m)
{
    fputs("\n## II. Tiến độ thực hiện nhiệm vụ\n", f);
    size_t ns;
    const char **sections = report_sections(m, &ns);
    if (ns == 0)
        fputs("\nKhông có nhiệm vụ.\n", f);
    for (size_t s = 0; s < ns; s++) {
        fputs("\n### Mục ", f);
        md_esc(f, sections[s], true);
        fputs("\n\n| Mã | Nhiệm vụ | Chủ trì | Trạng thái | Tiến độ | Thời hạn |\n"
              "|---|---|---|---|--:|---|\n",
              f);
        for (size_t i = 0; i < m->board->n_rows; i++) {
            const Tamnong__TaskBoardRow *r = m->board->rows[i];
            const Tamnong__TaskInfo *t = r->task;
            if (!t || strcmp(t->section, sections[s]) != 0)
                continue;
            char leads[1024], d[32], due[96];
            fputs("|", f);
            cell(f, t->code);
            cell(f, t->title);
            cell(f, report_leads(t, leads, sizeof leads));
            cell(f, rw_task_status(r->status));
            fprintf(f, " %d%% |", (int)r->progress);
            snprintf(due, sizeof due, "%s%s%s%s", rw_deadline_state(r->deadline_state),
                     r->due_date[0] ? " (" : "",
                     r->due_date[0] ? rw_date(r->due_date, d, sizeof d) : "",
                     r->due_date[0] ? ")" : "");
            if (strcmp(r->deadline_state, "overdue") == 0)
                fprintf(f, " **%s** |\n", due);
            else
                fprintf(f, " %s |\n", due);
        }
    }
    free((void *)sections);
}

static void targets(FILE *f, const struct report_model *m)
{
    const Tamnong__TargetProgressResponse *p = m->progress;
    char t[48];
    fputs("\n## III. Kết quả thực hiện các chỉ tiêu\n\n", f);
    if (p && p->closed)
        fprintf(f,
                "*Kỳ báo cáo đã được khoá lúc %s: số liệu dưới đây là số liệu chốt tại thời "
                "điểm khoá; các điều chỉnh gửi sau được ghi riêng.*\n\n",
                rw_time(p->closed_at_ms, t, sizeof t));
    fputs("| TT | Chỉ tiêu | Năm gốc | Kết quả kỳ này | Mục tiêu | Đánh giá |\n"
          "|--:|---|--:|--:|---|---|\n",
          f);
    for (size_t i = 0; p && i < p->n_indicators; i++) {
        const Tamnong__IndicatorProgress *ip = p->indicators[i];
        const Tamnong__IndicatorInfo *ind = ip->indicator;
        if (!ind)
            continue;
        char v[256];
        fprintf(f, "| %zu |", i + 1);
        cell(f, ind->name);
        fputs(" ", f);
        md_esc(f, rw_value(ind->baseline, ind->unit, v, sizeof v), true);
        if (ind->baseline[0])
            fprintf(f, " (%d)", (int)ind->baseline_year);
        fputs(" | ", f);
        md_esc(f, rw_value(ip->value, ind->unit, v, sizeof v), true);
        if (ip->frozen)
            fputs("<br>*số liệu chốt*", f);
        if (ip->current_value[0] && strcmp(ip->current_value, ip->value) != 0) {
            fputs("<br>*sau điều chỉnh: ", f);
            md_esc(f, rw_value(ip->current_value, ind->unit, v, sizeof v), true);
            fputs("*", f);
        }
        if (ip->n_missing > 0)
            fprintf(f, "<br>*thiếu số liệu của %zu cơ quan*", ip->n_missing);
        fputs(" | ", f);
        for (size_t k = 0; k < ip->n_targets; k++) {
            const Tamnong__TargetInfo *ti = ip->targets[k]->target;
            if (!ti)
                continue;
            fprintf(f, "%sNăm %d: ", k ? "<br>" : "", (int)ti->year);
            md_esc(f, rw_target(ti, ind->unit, v, sizeof v), true);
        }
        fputs(" |", f);
        cell(f, rw_target_status(ip->status));
        fputs("\n", f);
    }
}

static void words(FILE *f, const struct report_model *m, const char *title, int field)
{
    fprintf(f, "\n## %s\n", title);
    size_t n = 0;
    for (size_t i = 0; m->feedback && i < m->feedback->n_feedback; i++) {
        const Tamnong__AgencyFeedback *a = m->feedback->feedback[i];
        const char *texts[] = {a->results, a->difficulties, a->recommendations, a->proposals};
        if (!texts[field][0])
            continue;
        n++;
        fputs("\n**", f);
        md_esc(f, a->agency ? a->agency->name : "", true);
        fputs(":**\n\n", f);
        md_esc(f, texts[field], false);
        fputs("\n", f);
    }
    if (n == 0)
        fputs("\nKhông có cơ quan nào nêu.\n", f);
}

static void appendices(FILE *f, const struct report_model *m)
{
    const Tamnong__TargetProgressResponse *p = m->progress;
    fputs("\n## Phụ lục 1. Số liệu chỉ tiêu theo cơ quan\n\n"
          "| Chỉ tiêu | Cơ quan | Số liệu | Ghi chú |\n|---|---|--:|---|\n",
          f);
    for (size_t i = 0; p && i < p->n_indicators; i++) {
        const Tamnong__IndicatorProgress *ip = p->indicators[i];
        if (!ip->indicator)
            continue;
        for (size_t k = 0; k < ip->n_breakdown; k++) {
            const Tamnong__AgencyFigure *a = ip->breakdown[k];
            char v[256], n1[128], n2[128];
            fputs("|", f);
            cell(f, ip->indicator->name);
            cell(f, a->agency ? a->agency->name : "");
            fputs(" ", f);
            if (a->numerator[0] || a->denominator[0])
                fprintf(f, "%s/%s = ", rw_num(a->numerator, n1, sizeof n1),
                        rw_num(a->denominator, n2, sizeof n2));
            md_esc(f, rw_value(a->value, ip->indicator->unit, v, sizeof v), true);
            fputs(" |", f);
            if (a->corrected) {
                fputs(" Điều chỉnh sau khi khoá kỳ; số liệu chốt: ", f);
                md_esc(f, rw_value(a->frozen_value, ip->indicator->unit, v, sizeof v), true);
                fputs(" |\n", f);
            } else {
                fputs("  |\n", f);
            }
        }
    }
    size_t n = m->feedback ? m->feedback->n_feedback : 0;
    fprintf(f,
            "\n## Phụ lục 2. Báo cáo đã ký số\n\n%zu/%zu báo cáo có chữ ký số.\n\n"
            "| Cơ quan | Số báo cáo | Lần gửi | Trạng thái | Người ký |\n|---|--:|--:|---|---|\n",
            report_signed_count(m), n);
    for (size_t i = 0; i < n; i++) {
        const Tamnong__AgencyFeedback *a = m->feedback->feedback[i];
        fputs("|", f);
        cell(f, a->agency ? a->agency->name : "");
        icell(f, a->submission_id);
        icell(f, a->revision);
        cell(f, rw_reporter_status(a->state));
        cell(f, rw_dash(a->signer));
        fputs("\n", f);
    }
}

int report_render_md(const struct report_model *m, FILE *f)
{
    head(f, m);
    completeness(f, m);
    board(f, m);
    targets(f, m);
    words(f, m, "IV. Kết quả nổi bật theo báo cáo của các cơ quan", 0);
    words(f, m, "V. Khó khăn, vướng mắc", 1);
    words(f, m, "VI. Kiến nghị", 2);
    words(f, m, "VII. Đề xuất điều chỉnh Kế hoạch", 3);
    appendices(f, m);
    return ferror(f) ? -1 : 0;
}
