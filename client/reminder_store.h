/* reminder_store: the reminders due now for the agency of a local store:
 * reads the pulled periods (with this agency's extensions), the submission
 * states, the outbox and the drafts, and applies the rule of reminder.h at
 * the server's clock as last seen. Used by `tamnong status` and `sync`. */
#ifndef TAMNONG_CLIENT_REMINDER_STORE_H
#define TAMNONG_CLIENT_REMINDER_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "reminder.h"
#include "store.h"

struct reminder_item {
    char period[128];
    struct reminder r;
};

/* The reminders due at now_ms (store_server_now_ms for the real thing), in
 * deadline order. 0 and *out (free()) with *n items, or -1 (store_errmsg). */
int reminder_store_load(struct store *s, int64_t now_ms, struct reminder_item **out, size_t *n);

/* One JSON object per reminder: {period, level, deadline, days_left,
 * extended, returned, draft, message} (new reference). */
json_t *reminder_store_json(const struct reminder_item *items, size_t n);

/* Log each reminder on stderr (out_log, warning priority) unless the same
 * level of the same period was already logged on the same day (remembered
 * in the meta table): a sync every 30 minutes warns once a day, not 48
 * times. Returns how many were logged. */
int reminder_store_log(struct store *s, const struct reminder_item *items, size_t n,
                       int64_t now_ms);

#endif
