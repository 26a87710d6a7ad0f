/* reminder: whether a period's report deadline calls for a reminder, from
 * facts alone (no store, no clock, no I/O), so the rule is unit-tested.
 *
 * The rule (issue 5):
 * - The deadline that counts is the later of the period's deadline and this
 *   agency's extension. Days are calendar days in Asia/Ho_Chi_Minh (UTC+7,
 *   no daylight saving); the deadline day is T-0.
 * - Levels: T-10 from 10 days before (days left 4..10), T-3 from 3 days
 *   before (1..3), T-0 on the deadline day, LATE for REMINDER_LATE_DAYS days
 *   after it; nothing earlier, nothing later (an old period the agency never
 *   reported is the standing agency's business, not a daily warning).
 * - No reminder once the agency has submitted for the period: its report is
 *   queued in the outbox, or the server holds it (current revision
 *   submitted or accepted). A returned report reminds again, until the
 *   corrected one is queued.
 * - A draft that is not queued is mentioned (it exists, and whether it is
 *   ready: validated, so the next sync sends it).
 * "now" is the server's clock as last seen (store_server_now_ms). */
#ifndef TAMNONG_CLIENT_REMINDER_H
#define TAMNONG_CLIENT_REMINDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REMINDER_LATE_DAYS 30

enum reminder_level {
    REMINDER_NONE = 0,
    REMINDER_T10, /* 4..10 days left */
    REMINDER_T3,  /* 1..3 days left */
    REMINDER_T0,  /* the deadline day */
    REMINDER_LATE /* 1..REMINDER_LATE_DAYS days after it */
};

enum reminder_draft {
    REMINDER_DRAFT_NONE = 0, /* no draft here */
    REMINDER_DRAFT_EDITING,  /* a draft, not validated since its last change */
    REMINDER_DRAFT_READY,    /* validated, not queued: the next sync submits it */
};

/* What is known about one period for this agency. */
struct reminder_case {
    const char *period;              /* code, e.g. 2025-six_month */
    const char *deadline;            /* YYYY-MM-DD: used when deadline_at_ms is 0 */
    int64_t deadline_at_ms;          /* end (exclusive) of the deadline day, Unix ms; 0 unknown */
    int64_t extended_deadline_at_ms; /* this agency's extension, same meaning; 0 none */
    const char *submission_state;    /* current revision as pulled or acknowledged: "" none,
                                        submitted, accepted, returned, superseded */
    bool queued;                     /* a Submit of this period waits in the outbox */
    const char *draft_state;         /* the local draft: "" none, draft, ready, queued, sent,
                                        accepted, returned */
};

struct reminder {
    enum reminder_level level;
    int days_left;         /* deadline day minus today: 0 on the day, < 0 late */
    char deadline_day[11]; /* the effective deadline day, YYYY-MM-DD */
    bool extended;         /* the extension moved the deadline */
    bool returned;         /* the current revision was returned for correction */
    enum reminder_draft draft;
};

/* Calendar day number (days since 1970-01-01) in Asia/Ho_Chi_Minh of a Unix
 * ms instant. */
long reminder_day_of(int64_t ms);
/* Day number of a YYYY-MM-DD date; false when it is not one. */
bool reminder_parse_day(const char *s, long *day);
/* YYYY-MM-DD of a day number. */
void reminder_format_day(long day, char out[11]);

/* Decide for one period at now_ms. Fills *r (level REMINDER_NONE when no
 * reminder is due) and returns true when a reminder is due. A case without
 * a usable deadline never reminds. */
bool reminder_decide(const struct reminder_case *c, int64_t now_ms, struct reminder *r);

/* "T-10", "T-3", "T-0", "late", "" (for --json and logs: not translated). */
const char *reminder_level_name(enum reminder_level level);

/* The reminder in words for a person (translated), without a trailing
 * newline: what is due when, and what to do. */
void reminder_message(const char *period, const struct reminder *r, char *buf, size_t len);

#endif
