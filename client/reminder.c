/* reminder: the deadline reminder rule, pure (see reminder.h). */
#include "reminder.h"

#include <stdio.h>
#include <string.h>

#include "i18n.h"

#define DAY_MS      86400000LL
#define PROVINCE_MS (7 * 3600000LL) /* Asia/Ho_Chi_Minh: UTC+7 all year */

/* Days since 1970-01-01 of a civil date (H. Hinnant's algorithm). */
static long days_from_civil(long y, long m, long d)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static long floor_div(int64_t a, int64_t b)
{
    return (long)(a / b - ((a % b != 0) && ((a < 0) != (b < 0))));
}

long reminder_day_of(int64_t ms)
{
    return floor_div(ms + PROVINCE_MS, DAY_MS);
}

bool reminder_parse_day(const char *s, long *day)
{
    int y, m, d;
    char tail;
    if (!s || strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || m < 1 ||
        m > 12 || d < 1 || d > 31)
        return false;
    *day = days_from_civil(y, m, d);
    char back[11];
    reminder_format_day(*day, back);
    return strcmp(back, s) == 0; /* 2025-02-30 is not a day */
}

void reminder_format_day(long day, char out[11])
{
    /* civil_from_days (H. Hinnant) */
    long z = day + 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long y = yoe + era * 400;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    long d = doy - (153 * mp + 2) / 5 + 1;
    long m = mp + (mp < 10 ? 3 : -9);
    y += m <= 2;
    if (y < 0 || y > 9999)
        y = 0;
    unsigned uy = (unsigned)y % 10000u, um = (unsigned)m % 100u, ud = (unsigned)d % 100u;
    snprintf(out, 11, "%04u-%02u-%02u", uy, um, ud);
}

static bool has_submitted(const struct reminder_case *c, bool *returned)
{
    const char *st = c->submission_state ? c->submission_state : "";
    *returned = strcmp(st, "returned") == 0;
    const char *ds = c->draft_state ? c->draft_state : "";
    if (c->queued || strcmp(ds, "queued") == 0)
        return true;
    if (strcmp(st, "submitted") == 0 || strcmp(st, "accepted") == 0 ||
        strcmp(st, "superseded") == 0)
        return true;
    /* No state pulled yet, but the draft says the server took it. */
    return !*st && (strcmp(ds, "sent") == 0 || strcmp(ds, "accepted") == 0);
}

bool reminder_decide(const struct reminder_case *c, int64_t now_ms, struct reminder *r)
{
    memset(r, 0, sizeof *r);
    long deadline;
    if (c->deadline_at_ms > 0) {
        /* deadline_at_ms is the first instant after the deadline day */
        deadline = reminder_day_of(c->deadline_at_ms - 1);
    } else if (!reminder_parse_day(c->deadline, &deadline)) {
        return false;
    }
    if (c->extended_deadline_at_ms > 0) {
        long ext = reminder_day_of(c->extended_deadline_at_ms - 1);
        if (ext > deadline) {
            deadline = ext;
            r->extended = true;
        }
    }
    reminder_format_day(deadline, r->deadline_day);
    long left = deadline - reminder_day_of(now_ms);
    r->days_left = (int)left;
    const char *ds = c->draft_state ? c->draft_state : "";
    if (strcmp(ds, "ready") == 0)
        r->draft = REMINDER_DRAFT_READY;
    else if (strcmp(ds, "draft") == 0)
        r->draft = REMINDER_DRAFT_EDITING;
    if (has_submitted(c, &r->returned))
        return false;
    if (left > 10 || left < -REMINDER_LATE_DAYS)
        return false;
    if (left >= 4)
        r->level = REMINDER_T10;
    else if (left >= 1)
        r->level = REMINDER_T3;
    else if (left == 0)
        r->level = REMINDER_T0;
    else
        r->level = REMINDER_LATE;
    return true;
}

const char *reminder_level_name(enum reminder_level level)
{
    switch (level) {
    case REMINDER_T10:
        return "T-10";
    case REMINDER_T3:
        return "T-3";
    case REMINDER_T0:
        return "T-0";
    case REMINDER_LATE:
        return "late";
    default:
        return "";
    }
}

void reminder_message(const char *period, const struct reminder *r, char *buf, size_t len)
{
    char when[256], todo[512];
    unsigned long n = (unsigned long)(r->days_left < 0 ? -r->days_left : r->days_left);
    const char *ext = r->extended ? _(" (extended)") : "";
    if (r->level == REMINDER_T0)
        snprintf(when, sizeof when, _("The report %s is due TODAY (%s%s)."), period,
                 r->deadline_day, ext);
    else if (r->level == REMINDER_LATE)
        snprintf(when, sizeof when,
                 ngettext("The report %s is %lu day late (deadline %s%s).",
                          "The report %s is %lu days late (deadline %s%s).", n),
                 period, n, r->deadline_day, ext);
    else
        snprintf(when, sizeof when,
                 ngettext("The report %s is due on %s%s: %lu day left.",
                          "The report %s is due on %s%s: %lu days left.", n),
                 period, r->deadline_day, ext, n);
    if (r->returned)
        snprintf(todo, sizeof todo, "%s",
                 _("It was returned for correction: correct it, then 'tamnong report submit'."));
    else if (r->draft == REMINDER_DRAFT_READY)
        snprintf(todo, sizeof todo, "%s",
                 _("Its draft here is validated (ready): the next 'tamnong sync' submits it."));
    else if (r->draft == REMINDER_DRAFT_EDITING)
        snprintf(todo, sizeof todo, "%s",
                 _("A draft is kept here but not submitted: finish it, then 'tamnong report "
                   "submit' (or 'tamnong report validate': the next sync then submits it)."));
    else
        snprintf(todo, sizeof todo, _("Nothing is written here yet: 'tamnong report open %s'."),
                 period);
    snprintf(buf, len, "%s %s", when, todo);
}
