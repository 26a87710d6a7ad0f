/* test_reminder: the deadline reminder rule (client/reminder.c): several
 * agencies' situations at T-11, T-10, T-3, T-1, T-0, T+1 (and the edges of
 * the day in Asia/Ho_Chi_Minh), with and without a submission, queued,
 * returned, drafts not ready or ready, and an extension that moves the
 * deadline. Also the day arithmetic and the message. */
#include <stdbool.h>
#include <string.h>

#include "reminder.h"
#include "unit.h"

#define DAY_MS  86400000LL
#define HOUR_MS 3600000LL

static long day(const char *s)
{
    long d = 0;
    if (!reminder_parse_day(s, &d))
        return -999999;
    return d;
}

/* An instant in province time (UTC+7): DATE at HH:MM:SS. */
static int64_t at(const char *date, int hh, int mm, int ss)
{
    return (int64_t)day(date) * DAY_MS + (hh * 3600 + mm * 60 + ss) * 1000LL - 7 * HOUR_MS;
}

/* deadline_at_ms as the server sends it: the first instant after the day. */
static int64_t end_of(const char *date)
{
    return (int64_t)(day(date) + 1) * DAY_MS - 7 * HOUR_MS;
}

/* The 2025 six-month period, deadline 15 June 2025. */
static struct reminder_case period(const char *sub, bool queued, const char *draft)
{
    struct reminder_case c = {
        .period = "2025-six_month",
        .deadline = "2025-06-15",
        .deadline_at_ms = end_of("2025-06-15"),
        .extended_deadline_at_ms = 0,
        .submission_state = sub,
        .queued = queued,
        .draft_state = draft,
    };
    return c;
}

/* level at a province-time date, 08:00 */
static enum reminder_level level_on(const struct reminder_case *c, const char *date,
                                    struct reminder *r)
{
    reminder_decide(c, at(date, 8, 0, 0), r);
    return r->level;
}

TEST(days)
{
    CHECK_EQ_INT(day("1970-01-01"), 0);
    CHECK_EQ_INT(day("2025-06-16") - day("2025-06-15"), 1);
    CHECK_EQ_INT(day("2025-03-01") - day("2025-02-28"), 1);
    CHECK_EQ_INT(day("2024-03-01") - day("2024-02-28"), 2); /* leap year */
    long d;
    CHECK(!reminder_parse_day("2025-02-30", &d));
    CHECK(!reminder_parse_day("2025-6-15", &d));
    CHECK(!reminder_parse_day("2025-06-15x", &d));
    CHECK(!reminder_parse_day("", &d));
    CHECK(!reminder_parse_day(NULL, &d));
    char out[11];
    reminder_format_day(day("2030-12-15"), out);
    CHECK_EQ_STR(out, "2030-12-15");
    reminder_format_day(day("2000-02-29"), out);
    CHECK_EQ_STR(out, "2000-02-29");
    /* A province day runs from 17:00 UTC the day before. */
    CHECK_EQ_INT(reminder_day_of(at("2025-06-15", 0, 0, 0)), day("2025-06-15"));
    CHECK_EQ_INT(reminder_day_of(at("2025-06-15", 23, 59, 59)), day("2025-06-15"));
    CHECK_EQ_INT(reminder_day_of(at("2025-06-15", 23, 59, 59) + 1000), day("2025-06-16"));
    CHECK_EQ_INT(reminder_day_of(end_of("2025-06-15") - 1), day("2025-06-15"));
}

/* Agency A: has written nothing. */
TEST(nothing_submitted_levels)
{
    struct reminder_case c = period("", false, "");
    struct reminder r;
    CHECK_EQ_INT(level_on(&c, "2025-06-04", &r), REMINDER_NONE); /* T-11 */
    CHECK(!reminder_decide(&c, at("2025-06-04", 23, 59, 59), &r));
    CHECK(reminder_decide(&c, at("2025-06-05", 0, 0, 0), &r)); /* T-10 begins at midnight */
    CHECK_EQ_INT(r.level, REMINDER_T10);
    CHECK_EQ_INT(r.days_left, 10);
    CHECK_EQ_STR(r.deadline_day, "2025-06-15");
    CHECK_EQ_INT(r.draft, REMINDER_DRAFT_NONE);
    CHECK(!r.extended);
    CHECK_EQ_INT(level_on(&c, "2025-06-11", &r), REMINDER_T10); /* T-4 */
    CHECK_EQ_INT(r.days_left, 4);
    CHECK_EQ_INT(level_on(&c, "2025-06-12", &r), REMINDER_T3); /* T-3 */
    CHECK_EQ_INT(r.days_left, 3);
    CHECK_EQ_INT(level_on(&c, "2025-06-14", &r), REMINDER_T3); /* T-1 */
    CHECK_EQ_INT(r.days_left, 1);
    CHECK_EQ_INT(level_on(&c, "2025-06-15", &r), REMINDER_T0); /* T-0 */
    CHECK_EQ_INT(r.days_left, 0);
    CHECK(reminder_decide(&c, at("2025-06-15", 23, 59, 59), &r));
    CHECK_EQ_INT(r.level, REMINDER_T0);
    CHECK(reminder_decide(&c, end_of("2025-06-15"), &r)); /* T+1 from midnight */
    CHECK_EQ_INT(r.level, REMINDER_LATE);
    CHECK_EQ_INT(r.days_left, -1);
    CHECK_EQ_INT(level_on(&c, "2025-07-15", &r), REMINDER_LATE); /* T+30 */
    CHECK_EQ_INT(level_on(&c, "2025-07-16", &r), REMINDER_NONE); /* T+31: no more */
    CHECK_EQ_STR(reminder_level_name(REMINDER_T10), "T-10");
    CHECK_EQ_STR(reminder_level_name(REMINDER_T3), "T-3");
    CHECK_EQ_STR(reminder_level_name(REMINDER_T0), "T-0");
    CHECK_EQ_STR(reminder_level_name(REMINDER_LATE), "late");
}

/* Agencies B and C have submitted: acknowledged (submitted or accepted), or
 * queued in the outbox. No reminder on any day. */
TEST(submitted_never_reminded)
{
    static const char *const days[] = {"2025-06-04", "2025-06-05", "2025-06-12",
                                       "2025-06-14", "2025-06-15", "2025-06-16"};
    struct reminder_case cases[] = {
        period("submitted", false, "sent"), period("accepted", false, "accepted"),
        period("", true, "queued"),         period("", false, "queued"),
        period("", false, "sent"),          /* acknowledged, not pulled yet */
        period("returned", true, "queued"), /* the correction is queued */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (size_t d = 0; d < sizeof days / sizeof days[0]; d++) {
            struct reminder r;
            if (reminder_decide(&cases[i], at(days[d], 8, 0, 0), &r)) {
                fprintf(stderr, "case %zu on %s: reminded (%s)\n", i, days[d],
                        reminder_level_name(r.level));
                CHECK(false);
            }
            CHECK_EQ_INT(r.level, REMINDER_NONE);
        }
}

/* Agency D: its report was returned: reminded again, saying so. */
TEST(returned_reminds_again)
{
    struct reminder_case c = period("returned", false, "returned");
    struct reminder r;
    CHECK_EQ_INT(level_on(&c, "2025-06-04", &r), REMINDER_NONE);
    CHECK_EQ_INT(level_on(&c, "2025-06-12", &r), REMINDER_T3);
    CHECK(r.returned);
    /* edited since (a draft again), still not sent */
    c.draft_state = "draft";
    CHECK_EQ_INT(level_on(&c, "2025-06-15", &r), REMINDER_T0);
    CHECK(r.returned);
    CHECK_EQ_INT(r.draft, REMINDER_DRAFT_EDITING);
    char msg[1024];
    reminder_message(c.period, &r, msg, sizeof msg);
    CHECK(strstr(msg, "returned for correction") != NULL);
}

/* Agency E: a draft that is not queued produces the reminder, mentioning
 * the draft; a ready one is said to go with the next sync. */
TEST(drafts_mentioned)
{
    struct reminder_case c = period("", false, "draft");
    struct reminder r;
    CHECK_EQ_INT(level_on(&c, "2025-06-05", &r), REMINDER_T10);
    CHECK_EQ_INT(r.draft, REMINDER_DRAFT_EDITING);
    char msg[1024];
    reminder_message(c.period, &r, msg, sizeof msg);
    CHECK(strstr(msg, "2025-six_month") != NULL);
    CHECK(strstr(msg, "2025-06-15") != NULL);
    CHECK(strstr(msg, "10 days left") != NULL);
    CHECK(strstr(msg, "A draft is kept here but not submitted") != NULL);
    c.draft_state = "ready";
    CHECK_EQ_INT(level_on(&c, "2025-06-14", &r), REMINDER_T3);
    CHECK_EQ_INT(r.draft, REMINDER_DRAFT_READY);
    reminder_message(c.period, &r, msg, sizeof msg);
    CHECK(strstr(msg, "1 day left") != NULL);
    CHECK(strstr(msg, "next 'tamnong sync' submits it") != NULL);
    c.draft_state = "";
    CHECK_EQ_INT(level_on(&c, "2025-06-15", &r), REMINDER_T0);
    reminder_message(c.period, &r, msg, sizeof msg);
    CHECK(strstr(msg, "due TODAY") != NULL);
    CHECK(strstr(msg, "'tamnong report open 2025-six_month'") != NULL);
    CHECK_EQ_INT(level_on(&c, "2025-06-18", &r), REMINDER_LATE);
    reminder_message(c.period, &r, msg, sizeof msg);
    CHECK(strstr(msg, "3 days late") != NULL);
}

/* Agency F: its deadline was extended to 30 June: no reminder at the
 * original T-0 or T+1 (15 days left), T-10 from 20 June, late from 1 July.
 * An "extension" earlier than the deadline changes nothing. */
TEST(extension_moves_deadline)
{
    struct reminder_case c = period("", false, "");
    c.extended_deadline_at_ms = end_of("2025-06-30");
    struct reminder r;
    CHECK_EQ_INT(level_on(&c, "2025-06-05", &r), REMINDER_NONE);
    CHECK_EQ_INT(level_on(&c, "2025-06-15", &r), REMINDER_NONE);
    CHECK_EQ_INT(r.days_left, 15);
    CHECK(r.extended);
    CHECK_EQ_STR(r.deadline_day, "2025-06-30");
    CHECK_EQ_INT(level_on(&c, "2025-06-16", &r), REMINDER_NONE);
    CHECK_EQ_INT(level_on(&c, "2025-06-20", &r), REMINDER_T10);
    CHECK_EQ_INT(level_on(&c, "2025-06-27", &r), REMINDER_T3);
    CHECK_EQ_INT(level_on(&c, "2025-06-30", &r), REMINDER_T0);
    char msg[1024];
    reminder_message(c.period, &r, msg, sizeof msg);
    CHECK(strstr(msg, "2025-06-30 (extended)") != NULL);
    CHECK_EQ_INT(level_on(&c, "2025-07-01", &r), REMINDER_LATE);
    /* another agency of the same period, without the extension, is late */
    struct reminder_case other = period("", false, "");
    CHECK_EQ_INT(level_on(&other, "2025-06-16", &r), REMINDER_LATE);
    /* an earlier date is not an extension */
    c.extended_deadline_at_ms = end_of("2025-06-10");
    CHECK_EQ_INT(level_on(&c, "2025-06-15", &r), REMINDER_T0);
    CHECK(!r.extended);
    CHECK_EQ_STR(r.deadline_day, "2025-06-15");
}

/* Without deadline_at_ms the local deadline date is used; without either,
 * nothing. The annual period of 15 December works the same. */
TEST(deadline_sources)
{
    struct reminder_case c = period("", false, "");
    c.deadline_at_ms = 0;
    struct reminder r;
    CHECK_EQ_INT(level_on(&c, "2025-06-12", &r), REMINDER_T3);
    CHECK_EQ_STR(r.deadline_day, "2025-06-15");
    c.deadline = "garbage";
    CHECK(!reminder_decide(&c, at("2025-06-12", 8, 0, 0), &r));
    c.deadline = NULL;
    CHECK(!reminder_decide(&c, at("2025-06-12", 8, 0, 0), &r));
    struct reminder_case y = period("", false, "");
    y.period = "2025-annual";
    y.deadline = "2025-12-15";
    y.deadline_at_ms = end_of("2025-12-15");
    CHECK_EQ_INT(level_on(&y, "2025-06-15", &r), REMINDER_NONE);
    CHECK_EQ_INT(level_on(&y, "2025-12-05", &r), REMINDER_T10);
    CHECK_EQ_INT(level_on(&y, "2025-12-15", &r), REMINDER_T0);
}

UNIT_MAIN(T(days), T(nothing_submitted_levels), T(submitted_never_reminded),
          T(returned_reminds_again), T(drafts_mentioned), T(extension_moves_deadline),
          T(deadline_sources))
