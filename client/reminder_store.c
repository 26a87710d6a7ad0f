/* reminder_store: reminders from the local store (see reminder_store.h). */
#include "reminder_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "output.h"

static const char *col(sqlite3_stmt *st, int i)
{
    const char *v = (const char *)sqlite3_column_text(st, i);
    return v ? v : "";
}

int reminder_store_load(struct store *s, int64_t now_ms, struct reminder_item **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = store_prepare(
        s, "SELECT p.code, p.deadline, p.deadline_at_ms, p.extended_deadline_at_ms, "
           "coalesce((SELECT x.state FROM submissions x WHERE x.period_code = p.code AND "
           "x.current = 1 ORDER BY x.revision DESC LIMIT 1), ''), "
           "EXISTS (SELECT 1 FROM outbox o WHERE o.method = 'Submit' AND o.ref = p.code AND "
           "o.state = 'queued'), "
           "coalesce((SELECT d.state FROM drafts d WHERE d.period_code = p.code), '') "
           "FROM periods p ORDER BY max(p.deadline_at_ms, p.extended_deadline_at_ms), p.code");
    if (!st)
        return -1;
    struct reminder_item *items = NULL;
    size_t count = 0, cap = 0;
    int rc = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct reminder_case c = {
            .period = col(st, 0),
            .deadline = col(st, 1),
            .deadline_at_ms = sqlite3_column_int64(st, 2),
            .extended_deadline_at_ms = sqlite3_column_int64(st, 3),
            .submission_state = col(st, 4),
            .queued = sqlite3_column_int(st, 5) != 0,
            .draft_state = col(st, 6),
        };
        struct reminder r;
        if (!reminder_decide(&c, now_ms, &r))
            continue;
        if (count == cap) {
            size_t ncap = cap ? cap * 2 : 4;
            struct reminder_item *m = realloc(items, ncap * sizeof *m);
            if (!m) {
                rc = SQLITE_NOMEM;
                break;
            }
            items = m;
            cap = ncap;
        }
        snprintf(items[count].period, sizeof items[count].period, "%s", c.period);
        items[count].r = r;
        count++;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        free(items);
        return -1;
    }
    *out = items;
    *n = count;
    return 0;
}

static const char *draft_name(enum reminder_draft d)
{
    switch (d) {
    case REMINDER_DRAFT_EDITING:
        return "draft";
    case REMINDER_DRAFT_READY:
        return "ready";
    default:
        return "none";
    }
}

json_t *reminder_store_json(const struct reminder_item *items, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++) {
        char msg[1024];
        reminder_message(items[i].period, &items[i].r, msg, sizeof msg);
        json_t *o = json_pack("{s:s, s:s, s:s, s:i, s:b, s:b, s:s, s:s}", "period", items[i].period,
                              "level", reminder_level_name(items[i].r.level), "deadline",
                              items[i].r.deadline_day, "days_left", items[i].r.days_left,
                              "extended", items[i].r.extended, "returned", items[i].r.returned,
                              "draft", draft_name(items[i].r.draft), "message", msg);
        if (o)
            json_array_append_new(arr, o);
    }
    return arr;
}

int reminder_store_log(struct store *s, const struct reminder_item *items, size_t n, int64_t now_ms)
{
    char today[11];
    reminder_format_day(reminder_day_of(now_ms), today);
    int logged = 0;
    for (size_t i = 0; i < n; i++) {
        char key[160], want[64], have[64];
        snprintf(key, sizeof key, "reminded:%s", items[i].period);
        snprintf(want, sizeof want, "%s %s", reminder_level_name(items[i].r.level), today);
        if (store_meta_get(s, key, have, sizeof have) == 1 && strcmp(have, want) == 0)
            continue;
        char msg[1024];
        reminder_message(items[i].period, &items[i].r, msg, sizeof msg);
        out_log(LOG_WARNING, "%s", msg);
        store_meta_set(s, key, want);
        logged++;
    }
    return logged;
}
