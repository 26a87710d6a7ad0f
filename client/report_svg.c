/* report_svg: the consolidated report's inline SVG charts (report_render.h):
 * a bar per target and the grid of reporters × status. Coordinates are
 * whole pixels printed with %d (never %f: the client runs under the
 * person's locale, whose decimal comma would break SVG numbers). Every
 * colour has a text label next to or inside it, for printing in black and
 * white and for readers who do not tell colours apart. */
#include <stdbool.h>
#include <string.h>

#include "numfmt_vi.h"
#include "report_render.h"
#include "report_words.h"

/* Decimal text to a double for geometry only (what is shown is the text). */
static bool dec_value(const char *s, double *out)
{
    if (!numfmt_vi_decimal_ok(s))
        return false;
    bool neg = *s == '-';
    if (neg)
        s++;
    double v = 0, scale = 1;
    for (; *s >= '0' && *s <= '9'; s++)
        v = v * 10 + (*s - '0');
    if (*s == '.')
        for (s++; *s >= '0' && *s <= '9'; s++) {
            scale /= 10;
            v += (*s - '0') * scale;
        }
    *out = neg ? -v : v;
    return true;
}

static const char *status_colour(const char *status)
{
    if (strcmp(status, "met") == 0)
        return "#1565c0";
    if (strcmp(status, "on_track") == 0)
        return "#2e7d32";
    if (strcmp(status, "at_risk") == 0)
        return "#f9a825";
    if (strcmp(status, "off_track") == 0)
        return "#c62828";
    return "#9e9e9e";
}

/* The absolute figure a target asks for, when there is one. */
static bool target_goal(const Tamnong__TargetInfo *t, const char *baseline, double *g)
{
    if (strcmp(t->comparator, "range") == 0 || !*t->value) /* bounds, no single value */
        return dec_value(t->high, g);
    if (strcmp(t->comparator, "multiple_of_baseline") == 0) {
        double b, k;
        if (!dec_value(baseline, &b) || !dec_value(t->value, &k))
            return false;
        *g = b * k;
        return true;
    }
    return dec_value(t->value, g);
}

#define BAR_W    600
#define BAR_LEFT 10

static int xpos(double v, double max)
{
    if (v <= 0)
        return BAR_LEFT;
    return BAR_LEFT + (int)(v / max * BAR_W + 0.5);
}

void report_svg_target_bar(FILE *f, const Tamnong__IndicatorProgress *ip,
                           const Tamnong__TargetCheck *tc)
{
    const Tamnong__IndicatorInfo *ind = ip->indicator;
    const Tamnong__TargetInfo *t = tc->target;
    if (!ind || !t)
        return;
    double b = 0, v = 0, g = 0;
    bool has_b = dec_value(ind->baseline, &b), has_v = dec_value(ip->value, &v);
    if (!target_goal(t, ind->baseline, &g))
        return;
    double max = g;
    if (has_b && b > max)
        max = b;
    if (has_v && v > max)
        max = v;
    if (max <= 0)
        return;
    max *= 1.1;
    char bs[256], vs[256], gs[256], year[16];
    snprintf(year, sizeof year, "%d", (int)t->year);
    rw_value(ind->baseline, ind->unit, bs, sizeof bs);
    rw_value(ip->value, ind->unit, vs, sizeof vs);
    rw_target(t, ind->unit, gs, sizeof gs);
    fprintf(f,
            "<svg class=\"bar\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"44\" "
            "viewBox=\"0 0 %d 44\" role=\"img\">\n<title>",
            BAR_W + 2 * BAR_LEFT, BAR_W + 2 * BAR_LEFT);
    report_html_escape(f, ind->name);
    fprintf(f, " — mục tiêu năm %s</title>\n", year);
    fprintf(f,
            "<rect x=\"%d\" y=\"4\" width=\"%d\" height=\"14\" fill=\"#eeeeee\" "
            "stroke=\"#999999\"/>\n",
            BAR_LEFT, BAR_W);
    if (has_v)
        fprintf(f, "<rect x=\"%d\" y=\"4\" width=\"%d\" height=\"14\" fill=\"%s\"/>\n", BAR_LEFT,
                xpos(v, max) - BAR_LEFT, status_colour(tc->status));
    if (has_b)
        fprintf(f,
                "<line x1=\"%d\" y1=\"1\" x2=\"%d\" y2=\"21\" stroke=\"#555555\" "
                "stroke-width=\"2\" stroke-dasharray=\"3,2\"/>\n",
                xpos(b, max), xpos(b, max));
    fprintf(f,
            "<line x1=\"%d\" y1=\"0\" x2=\"%d\" y2=\"22\" stroke=\"#000000\" "
            "stroke-width=\"3\"/>\n",
            xpos(g, max), xpos(g, max));
    fprintf(f, "<text x=\"%d\" y=\"38\" font-size=\"11\">", BAR_LEFT);
    if (has_b) {
        fprintf(f, "┆ Năm gốc %d: ", (int)ind->baseline_year);
        report_html_escape(f, bs);
        fputs(" · ", f);
    }
    fputs("▇ Kỳ này: ", f);
    report_html_escape(f, has_v ? vs : "chưa có số liệu");
    fprintf(f, " · ┃ Mục tiêu %s: ", year);
    report_html_escape(f, gs);
    fputs(" — ", f);
    report_html_escape(f, rw_target_status(tc->status));
    fputs("</text>\n</svg>\n", f);
}

/* ------------------------------------------------------------- the grid */

enum { COL_ON_TIME, COL_LATE, COL_MISSING, COL_WAITING, COL_RETURNED, COL_ACCEPTED, NCOL };

static const struct {
    const char *line1, *line2, *cell, *fill, *ink;
} cols[NCOL] = {
    {"Đúng", "hạn", "Đúng hạn", "#2e7d32", "#ffffff"},
    {"Gửi", "muộn", "Muộn", "#f9a825", "#000000"},
    {"Chưa", "gửi", "Chưa gửi", "#c62828", "#ffffff"},
    {"Chờ", "xem xét", "Chờ", "#b0bec5", "#000000"},
    {"Bị trả", "lại", "Trả lại", "#ef6c00", "#ffffff"},
    {"Đã chấp", "nhận", "Chấp nhận", "#1565c0", "#ffffff"},
};

#define NAME_W     290
#define CELL_W     58
#define ROW_H      18
#define HEAD_H     30
#define GRID_ROWS  40 /* rows per block: a block fits an A4 page */
#define NAME_CHARS 46

/* Write s cut to at most n characters (UTF-8), with "…" when cut. */
static void escape_cut(FILE *f, const char *s, size_t n)
{
    size_t chars = 0, i = 0;
    for (; s[i]; i++) {
        if (((unsigned char)s[i] & 0xc0) != 0x80 && chars++ == n)
            break;
    }
    if (!s[i]) {
        report_html_escape(f, s);
        return;
    }
    char buf[512];
    if (i >= sizeof buf)
        i = 0;
    memcpy(buf, s, i);
    buf[i] = '\0';
    report_html_escape(f, buf);
    fputs("…", f);
}

static void grid_block(FILE *f, const Tamnong__PeriodStatusResponse *st, size_t from, size_t to)
{
    int w = NAME_W + NCOL * CELL_W, h = HEAD_H + (int)(to - from) * ROW_H + 2;
    fprintf(f,
            "<svg class=\"grid\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
            "viewBox=\"0 0 %d %d\" role=\"img\">\n"
            "<title>Trạng thái báo cáo theo cơ quan</title>\n",
            w, h, w, h);
    fprintf(f, "<text x=\"2\" y=\"20\" font-size=\"11\" font-weight=\"bold\">Cơ quan</text>\n");
    for (int c = 0; c < NCOL; c++) {
        int x = NAME_W + c * CELL_W + CELL_W / 2;
        fprintf(f,
                "<text x=\"%d\" y=\"12\" font-size=\"10\" text-anchor=\"middle\" "
                "font-weight=\"bold\">%s<tspan x=\"%d\" dy=\"12\">%s</tspan></text>\n",
                x, cols[c].line1, x, cols[c].line2);
    }
    for (size_t i = from; i < to; i++) {
        const Tamnong__ReporterStatus *r = st->reporters[i];
        int y = HEAD_H + (int)(i - from) * ROW_H;
        bool on[NCOL] = {false};
        if (report_is_missing(r)) {
            on[COL_MISSING] = true;
        } else {
            on[r->on_time ? COL_ON_TIME : COL_LATE] = true;
            if (strcmp(r->status, "returned") == 0)
                on[COL_RETURNED] = true;
            else if (strcmp(r->status, "accepted") == 0)
                on[COL_ACCEPTED] = true;
            else
                on[COL_WAITING] = true;
        }
        fprintf(f, "<g>\n<title>");
        report_html_escape(f, r->agency ? r->agency->name : "");
        fprintf(f, " — %s</title>\n", rw_reporter_status(r->status));
        fprintf(f, "<text x=\"2\" y=\"%d\" font-size=\"10.5\">", y + 13);
        escape_cut(f, r->agency ? r->agency->name : "", NAME_CHARS);
        fputs("</text>\n", f);
        for (int c = 0; c < NCOL; c++) {
            int x = NAME_W + c * CELL_W;
            fprintf(f,
                    "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\" "
                    "stroke=\"#ffffff\"/>\n",
                    x, y + 1, CELL_W, ROW_H - 2, on[c] ? cols[c].fill : "#f4f4f4");
            if (on[c])
                fprintf(f,
                        "<text x=\"%d\" y=\"%d\" font-size=\"9.5\" text-anchor=\"middle\" "
                        "fill=\"%s\">%s</text>\n",
                        x + CELL_W / 2, y + 13, cols[c].ink, cols[c].cell);
        }
        fputs("</g>\n", f);
    }
    fputs("</svg>\n", f);
}

void report_svg_status_grid(FILE *f, const Tamnong__PeriodStatusResponse *st)
{
    if (!st || st->n_reporters == 0)
        return;
    for (size_t from = 0; from < st->n_reporters; from += GRID_ROWS) {
        size_t to = from + GRID_ROWS < st->n_reporters ? from + GRID_ROWS : st->n_reporters;
        grid_block(f, st, from, to);
    }
}
