/* report_csv: the consolidated report as CSV for spreadsheets
 * (report_render.h). UTF-8 with a byte order mark (Excel reads it as
 * UTF-8 only then), RFC 4180: CRLF line ends, a field in double quotes when
 * it holds a comma, a quote, CR or LF, quotes doubled. One block per table:
 * a title line, a header line, the rows, an empty line. Numbers are written
 * the Vietnamese way like everywhere a person reads them. A user text that
 * begins with = + - @ gets a leading ' so a spreadsheet does not run it as
 * a formula. */
#include <stdlib.h>
#include <string.h>

#include "report_render.h"
#include "report_words.h"

/* One field, prefix (not quoted by itself) then s. */
static void field_p(FILE *f, const char *prefix, const char *s, bool first)
{
    if (!first)
        fputc(',', f);
    if (!s)
        s = "";
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(prefix, f);
        fputs(s, f);
        return;
    }
    fputc('"', f);
    fputs(prefix, f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void field(FILE *f, const char *s, bool first)
{
    field_p(f, "", s, first);
}

/* A text from a user: defused against formulas. */
static void ufield(FILE *f, const char *s, bool first)
{
    bool formula = s && s[0] && strchr("=+-@\t\r", s[0]);
    field_p(f, formula ? "'" : "", s, first);
}

static void ifield(FILE *f, long long n)
{
    fprintf(f, ",%lld", n);
}

static void eol(FILE *f)
{
    fputs("\r\n", f);
}

/* Title line and header line of a block; names ends with NULL. */
static void block(FILE *f, const char *title, const char *const *names)
{
    eol(f);
    field(f, title, true);
    eol(f);
    for (size_t i = 0; names[i]; i++)
        field(f, names[i], i == 0);
    eol(f);
}

static void meta(FILE *f, const struct report_model *m)
{
    const Tamnong__PeriodInfo *p = report_period(m);
    char a[32], t[48], y[16];
    snprintf(y, sizeof y, "%d", (int)p->year);
    field(f, "Báo cáo tổng hợp tình hình thực hiện Kế hoạch", true);
    eol(f);
    const char *rows[][2] = {
        {"Cơ quan tổng hợp", m->issuer ? m->issuer : ""},
        {"Kỳ báo cáo", p->code},
        {"Tên kỳ", p->regime_name},
        {"Năm", y},
        {"Hạn gửi báo cáo", rw_date(p->deadline, a, sizeof a)},
        {"Lập lúc (giờ Việt Nam)", rw_time(m->generated_at_ms, t, sizeof t)},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        field(f, rows[i][0], true);
        ufield(f, rows[i][1], false);
        eol(f);
    }
}

static void completeness(FILE *f, const struct report_model *m)
{
    static const char *const h1[] = {"Loại cơ quan", "Phải báo cáo", "Đã gửi",
                                     "Đúng hạn",     "Muộn",         "Chưa gửi",
                                     "Bị trả lại",   "Đã chấp nhận", NULL};
    block(f, "Bảng 1. Tình hình gửi báo cáo theo loại cơ quan", h1);
    const Tamnong__PeriodStatusResponse *st = m->status;
    for (size_t i = 0; st && i < st->n_totals; i++) {
        const Tamnong__KindCount *k = st->totals[i];
        field(f, rw_kind(k->kind), true);
        ifield(f, k->expected);
        ifield(f, k->submitted);
        ifield(f, k->on_time);
        ifield(f, k->late);
        ifield(f, k->missing);
        ifield(f, k->returned);
        ifield(f, k->accepted);
        eol(f);
    }
    static const char *const h2[] = {"Mã cơ quan", "Cơ quan",  "Loại cơ quan", "Trạng thái",
                                     "Đúng hạn",   "Nhận lúc", "Lần gửi",      "Lý do trả lại",
                                     "Gia hạn",    NULL};
    block(f, "Bảng 2. Tình hình gửi báo cáo theo cơ quan", h2);
    for (size_t i = 0; st && i < st->n_reporters; i++) {
        const Tamnong__ReporterStatus *r = st->reporters[i];
        char t[48];
        ufield(f, r->agency ? r->agency->code : "", true);
        ufield(f, r->agency ? r->agency->name : "", false);
        field(f, rw_kind(r->kind), false);
        field(f, rw_reporter_status(r->status), false);
        field(f, report_is_missing(r) ? "—" : r->on_time ? "Có" : "Không", false);
        field(f, rw_time(r->received_at_ms, t, sizeof t), false);
        ifield(f, r->revision);
        ufield(f, r->review_reason, false);
        ufield(f, r->extension_reason, false);
        eol(f);
    }
}

static void board(FILE *f, const struct report_model *m)
{
    static const char *const h[] = {"Mục",        "Mã nhiệm vụ", "Nhiệm vụ", "Chủ trì",
                                    "Trạng thái", "Tiến độ (%)", "Thời hạn", "Tình trạng hạn",
                                    "Phối hợp",   NULL};
    block(f, "Bảng 3. Tiến độ thực hiện nhiệm vụ", h);
    size_t ns;
    const char **sections = report_sections(m, &ns);
    for (size_t s = 0; s < ns; s++) {
        for (size_t i = 0; i < m->board->n_rows; i++) {
            const Tamnong__TaskBoardRow *r = m->board->rows[i];
            const Tamnong__TaskInfo *t = r->task;
            if (!t || strcmp(t->section, sections[s]) != 0)
                continue;
            char leads[1024], d[32], coord[2048] = "";
            size_t o = 0;
            for (size_t k = 0; k < r->n_contributions; k++) {
                const Tamnong__TaskContribution *c = r->contributions[k];
                if (strcmp(c->role, "coordinating") != 0 || !c->agency)
                    continue;
                const char *st =
                    c->status && c->status->version > 0 ? c->status->status : "not_reported";
                int w = snprintf(coord + o, sizeof coord - o, "%s%s: %s", o ? "; " : "",
                                 c->agency->name, rw_task_status(st));
                if (w < 0 || (size_t)w >= sizeof coord - o)
                    break;
                o += (size_t)w;
            }
            field(f, t->section, true);
            field(f, t->code, false);
            ufield(f, t->title, false);
            ufield(f, report_leads(t, leads, sizeof leads), false);
            field(f, rw_task_status(r->status), false);
            ifield(f, r->progress);
            field(f, r->due_date[0] ? rw_date(r->due_date, d, sizeof d) : "", false);
            field(f, rw_deadline_state(r->deadline_state), false);
            ufield(f, coord, false);
            eol(f);
        }
    }
    free((void *)sections);
}

static void targets(FILE *f, const struct report_model *m)
{
    static const char *const h[] = {"TT",
                                    "Mã chỉ tiêu",
                                    "Chỉ tiêu",
                                    "Đơn vị",
                                    "Năm gốc",
                                    "Giá trị năm gốc",
                                    "Kết quả kỳ này",
                                    "Tổng tử số",
                                    "Tổng mẫu số",
                                    "Số liệu chốt",
                                    "Sau điều chỉnh",
                                    "Đánh giá",
                                    "Số cơ quan chưa có số liệu",
                                    NULL};
    block(f, "Bảng 4. Kết quả thực hiện các chỉ tiêu", h);
    const Tamnong__TargetProgressResponse *p = m->progress;
    char a[128], b[128], c[128], d[128], e[128];
    for (size_t i = 0; p && i < p->n_indicators; i++) {
        const Tamnong__IndicatorProgress *ip = p->indicators[i];
        const Tamnong__IndicatorInfo *ind = ip->indicator;
        if (!ind)
            continue;
        fprintf(f, "%zu", i + 1);
        field(f, ind->key, false);
        ufield(f, ind->name, false);
        ufield(f, ind->unit, false);
        if (ind->baseline[0])
            ifield(f, ind->baseline_year);
        else
            field(f, "", false);
        field(f, ind->baseline[0] ? rw_num(ind->baseline, a, sizeof a) : "", false);
        field(f, ip->value[0] ? rw_num(ip->value, b, sizeof b) : "", false);
        field(f, ip->numerator[0] ? rw_num(ip->numerator, c, sizeof c) : "", false);
        field(f, ip->denominator[0] ? rw_num(ip->denominator, d, sizeof d) : "", false);
        field(f, ip->frozen ? "Có" : "Không", false);
        field(f, ip->current_value[0] ? rw_num(ip->current_value, e, sizeof e) : "", false);
        field(f, rw_target_status(ip->status), false);
        ifield(f, (long long)ip->n_missing);
        eol(f);
    }
    static const char *const h2[] = {"Mã chỉ tiêu",          "Năm",    "Mục tiêu",
                                     "Mức cần đạt hiện tại", "Đã đạt", "Đánh giá",
                                     "Nguyên văn",           NULL};
    block(f, "Bảng 5. So sánh với mục tiêu", h2);
    for (size_t i = 0; p && i < p->n_indicators; i++) {
        const Tamnong__IndicatorProgress *ip = p->indicators[i];
        if (!ip->indicator)
            continue;
        for (size_t k = 0; k < ip->n_targets; k++) {
            const Tamnong__TargetCheck *tc = ip->targets[k];
            if (!tc->target)
                continue;
            char tt[256];
            field(f, ip->indicator->key, true);
            ifield(f, tc->target->year);
            ufield(f, rw_target(tc->target, ip->indicator->unit, tt, sizeof tt), false);
            field(f, tc->expected_now[0] ? rw_num(tc->expected_now, a, sizeof a) : "", false);
            field(f, tc->met ? "Có" : "Không", false);
            field(f, rw_target_status(tc->status), false);
            ufield(f, tc->target->wording, false);
            eol(f);
        }
    }
    static const char *const h3[] = {"Mã chỉ tiêu",
                                     "Mã cơ quan",
                                     "Cơ quan",
                                     "Số liệu",
                                     "Tử số",
                                     "Mẫu số",
                                     "Điều chỉnh sau khi khoá kỳ",
                                     "Số liệu chốt",
                                     NULL};
    block(f, "Bảng 6. Số liệu chỉ tiêu theo cơ quan", h3);
    for (size_t i = 0; p && i < p->n_indicators; i++) {
        const Tamnong__IndicatorProgress *ip = p->indicators[i];
        if (!ip->indicator)
            continue;
        for (size_t k = 0; k < ip->n_breakdown; k++) {
            const Tamnong__AgencyFigure *x = ip->breakdown[k];
            field(f, ip->indicator->key, true);
            ufield(f, x->agency ? x->agency->code : "", false);
            ufield(f, x->agency ? x->agency->name : "", false);
            field(f, x->value[0] ? rw_num(x->value, a, sizeof a) : "", false);
            field(f, x->numerator[0] ? rw_num(x->numerator, b, sizeof b) : "", false);
            field(f, x->denominator[0] ? rw_num(x->denominator, c, sizeof c) : "", false);
            field(f, x->corrected ? "Có" : "Không", false);
            field(f, x->frozen_value[0] ? rw_num(x->frozen_value, d, sizeof d) : "", false);
            eol(f);
        }
    }
}

static void feedback(FILE *f, const struct report_model *m)
{
    static const char *const h[] = {
        "Mã cơ quan", "Cơ quan", "Số báo cáo",          "Lần gửi",   "Trạng thái",
        "Người ký",   "Kết quả", "Khó khăn, vướng mắc", "Kiến nghị", "Đề xuất điều chỉnh Kế hoạch",
        NULL};
    block(f, "Bảng 7. Nội dung báo cáo của các cơ quan", h);
    for (size_t i = 0; m->feedback && i < m->feedback->n_feedback; i++) {
        const Tamnong__AgencyFeedback *a = m->feedback->feedback[i];
        ufield(f, a->agency ? a->agency->code : "", true);
        ufield(f, a->agency ? a->agency->name : "", false);
        ifield(f, a->submission_id);
        ifield(f, a->revision);
        field(f, rw_reporter_status(a->state), false);
        ufield(f, rw_dash(a->signer), false);
        ufield(f, a->results, false);
        ufield(f, a->difficulties, false);
        ufield(f, a->recommendations, false);
        ufield(f, a->proposals, false);
        eol(f);
    }
}

int report_render_csv(const struct report_model *m, FILE *f)
{
    fputs("\xef\xbb\xbf", f);
    meta(f, m);
    completeness(f, m);
    board(f, m);
    targets(f, m);
    feedback(f, m);
    return ferror(f) ? -1 : 0;
}
