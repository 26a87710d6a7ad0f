/* report_words: the consolidated report's Vietnamese vocabulary and the
 * formatting of dates, times, numbers and targets in it (report_words.h). */
#include "report_words.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "numfmt_vi.h"

struct word {
    const char *code, *vi;
};

static const char *lookup(const struct word *w, const char *code)
{
    for (; w->code; w++)
        if (strcmp(w->code, code) == 0)
            return w->vi;
    return code;
}

const char *rw_task_status(const char *code)
{
    static const struct word w[] = {
        {"not_started", "Chưa triển khai"}, {"in_progress", "Đang triển khai"},
        {"completed", "Hoàn thành"},        {"postponed", "Tạm hoãn"},
        {"not_reported", "Chưa báo cáo"},   {NULL, NULL}};
    return lookup(w, code);
}

const char *rw_deadline_state(const char *code)
{
    static const struct word w[] = {{"overdue", "Quá hạn"},
                                    {"due", "Đến hạn trong kỳ"},
                                    {"on_schedule", "Trong thời hạn"},
                                    {"done", "Đã hoàn thành"},
                                    {"continuous", "Thường xuyên"},
                                    {NULL, NULL}};
    return lookup(w, code);
}

const char *rw_target_status(const char *code)
{
    static const struct word w[] = {{"on_track", "Đúng tiến độ"},
                                    {"at_risk", "Có nguy cơ không đạt"},
                                    {"off_track", "Chậm tiến độ"},
                                    {"met", "Đã đạt"},
                                    {"no_data", "Chưa có số liệu"},
                                    {"", "Chưa có số liệu"},
                                    {NULL, NULL}};
    return lookup(w, code);
}

const char *rw_reporter_status(const char *code)
{
    static const struct word w[] = {{"missing", "Chưa gửi"},
                                    {"submitted", "Đã gửi, chờ xem xét"},
                                    {"returned", "Bị trả lại"},
                                    {"accepted", "Đã chấp nhận"},
                                    {"superseded", "Đã được thay thế"},
                                    {NULL, NULL}};
    return lookup(w, code);
}

const char *rw_kind(const char *code)
{
    static const struct word w[] = {{"", "Tất cả"},
                                    {"department", "Sở, ban, ngành"},
                                    {"district", "UBND cấp huyện"},
                                    {"commune", "UBND cấp xã"},
                                    {"province", "Cấp tỉnh"},
                                    {"socio_political", "Tổ chức chính trị - xã hội"},
                                    {"other", "Đơn vị khác"},
                                    {NULL, NULL}};
    return lookup(w, code);
}

const char *rw_role(const char *code)
{
    static const struct word w[] = {
        {"lead", "Chủ trì"}, {"coordinating", "Phối hợp"}, {NULL, NULL}};
    return lookup(w, code);
}

const char *rw_date(const char *ymd, char *buf, size_t len)
{
    if (strlen(ymd) == 10 && ymd[4] == '-' && ymd[7] == '-')
        snprintf(buf, len, "%.2s/%.2s/%.4s", ymd + 8, ymd + 5, ymd);
    else
        snprintf(buf, len, "%s", ymd);
    return buf;
}

const char *rw_time(int64_t ms, char *buf, size_t len)
{
    if (ms <= 0)
        return "—";
    time_t t = (time_t)(ms / 1000) + 7 * 3600;
    struct tm tm;
    if (!gmtime_r(&t, &tm) || strftime(buf, len, "%d/%m/%Y %H:%M", &tm) == 0)
        snprintf(buf, len, "?");
    return buf;
}

const char *rw_num(const char *dec, char *buf, size_t len)
{
    if (!dec || !*dec)
        return "—";
    return numfmt_vi_text(dec, NUMFMT_VI_FRAC, buf, len);
}

const char *rw_value(const char *dec, const char *unit, char *buf, size_t len)
{
    if (!dec || !*dec)
        return "—";
    char n[NUMFMT_VI_MAX];
    const char *v = numfmt_vi_text(dec, NUMFMT_VI_FRAC, n, sizeof n);
    if (!unit || !*unit)
        snprintf(buf, len, "%s", v);
    else if (strcmp(unit, "%") == 0)
        snprintf(buf, len, "%s%%", v);
    else
        snprintf(buf, len, "%s %s", v, unit);
    return buf;
}

/* "16–17" with the unit once after it: "16–17%", "15–20 hợp tác xã". */
static const char *range_text(const Tamnong__TargetInfo *t, const char *unit, char *buf, size_t len)
{
    char lo[NUMFMT_VI_MAX], hi[NUMFMT_VI_MAX];
    const char *l = rw_num(t->low, lo, sizeof lo), *h = rw_num(t->high, hi, sizeof hi);
    if (!unit || !*unit)
        snprintf(buf, len, "%s–%s", l, h);
    else if (strcmp(unit, "%") == 0)
        snprintf(buf, len, "%s–%s%%", l, h);
    else
        snprintf(buf, len, "%s–%s %s", l, h, unit);
    return buf;
}

const char *rw_target(const Tamnong__TargetInfo *t, const char *unit, char *buf, size_t len)
{
    char tmp[NUMFMT_VI_MAX + 256];
    const char *c = t->comparator, *v;
    /* A target with bounds and no single value is a range ("15 - 20 a year"). */
    bool range = strcmp(c, "range") == 0 || (!*t->value && (*t->low || *t->high));
    if (range)
        v = range_text(t, unit, tmp, sizeof tmp);
    else if (strcmp(c, "multiple_of_baseline") == 0) {
        char k[NUMFMT_VI_MAX];
        snprintf(buf, len, "gấp %s lần năm gốc", rw_num(t->value, k, sizeof k));
        return buf;
    } else
        v = rw_value(t->value, unit, tmp, sizeof tmp);
    if (strcmp(c, "about") == 0)
        snprintf(buf, len, "khoảng %s", v);
    else if (strcmp(c, "more_than") == 0)
        snprintf(buf, len, "> %s", v);
    else if (strcmp(c, "at_least") == 0)
        snprintf(buf, len, "≥ %s", v);
    else if (strcmp(c, "at_most") == 0)
        snprintf(buf, len, "≤ %s", v);
    else if (strcmp(c, "per_year") == 0)
        snprintf(buf, len, "%s/năm", v);
    else
        snprintf(buf, len, "%s", v);
    return buf;
}

const char *rw_dash(const char *s)
{
    return s && *s ? s : "—";
}
