/* sync_ready: the first step of `tamnong sync`: drafts in state ready
 * (validated by 'tamnong report validate' and not changed since) are
 * queued as 'tamnong report submit' would queue them, so that a scheduled
 * run sends them without anyone at the keyboard. Each is validated again
 * first (a pull may have brought new rules); one that fails goes back to
 * state draft with a warning. */
#ifndef TAMNONG_CLIENT_SYNC_READY_H
#define TAMNONG_CLIENT_SYNC_READY_H

#include <stdbool.h>

#include <jansson.h>

#include "store.h"

struct sync_ready_result {
    int queued;  /* drafts queued */
    int invalid; /* drafts that failed validation (now drafts again) */
};

/* Queue the ready drafts. Prints a line per draft on stdout unless json;
 * with json, appends {period, result: queued|invalid, problems} to events
 * (may be NULL). A warning (out_log) for each invalid one. 0, or -1 when the
 * local state could not be read or written (printed). */
int sync_ready_queue(struct store *s, bool json, json_t *events, struct sync_ready_result *r);

#endif
