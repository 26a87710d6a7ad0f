/* sync: the sync engine of the agency client. One run holds an exclusive
 * lock (flock on sync.lock in the state directory), uses one connection
 * (reconnecting after transport errors), sends the outbox (outbox.h) in seq
 * order, then pulls (Pull with the change cursor) and stores the result.
 *
 * Retries: transport errors and the retryable statuses (UNAVAILABLE,
 * RESOURCE_EXHAUSTED, DEADLINE_EXCEEDED, ABORTED) are retried with
 * exponential backoff and full jitter (base 250 ms, doubling, cap 30 s),
 * never sooner than the server's retry_after_ms, at most max_attempts
 * attempts per call and within max_time_ms for the whole run; the same bytes
 * each time (same request UUID: the server answers a replay). A refusal
 * (INVALID_ARGUMENT, ALREADY_EXISTS, FAILED_PRECONDITION, NOT_FOUND,
 * PERMISSION_DENIED, OUT_OF_RANGE) marks the item failed with the server's
 * words; the items after it go on unless they are of its batch. Anything
 * else (UNIMPLEMENTED, INTERNAL, a garbled answer...) stops the run with the
 * item still queued: the outbox is sent strictly in order.
 *
 * Stopping: when *o->stop becomes non-zero (SIGTERM/SIGINT, see cmd_sync.c)
 * the run finishes the request in flight (its receipt is recorded), starts
 * no other, skips the pull and returns 75 with everything else still queued.
 *
 * Test-only hooks (environment, for tests/integration/test_sync*.sh):
 *   TAMNONG_TEST_CRASH_AFTER_ACK=1 (or a method name, e.g. Submit): _exit(137)
 *     right after a receipt was read, before the transaction that records it
 *     and removes the item: the next sync must get replay = true.
 *   TAMNONG_TEST_CRASH_AFTER_CHUNKS=N: _exit(137) after N attachment chunks
 *     were acknowledged: the next sync must resume from the server's offset. */
#ifndef TAMNONG_CLIENT_SYNC_H
#define TAMNONG_CLIENT_SYNC_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "store.h"
#include "tamnong.pb-c.h"

#define SYNC_CHUNK          (256 * 1024)
#define SYNC_MAX_TIME_MS    120000
#define SYNC_MAX_ATTEMPTS   5
#define SYNC_BACKOFF_BASE   250
#define SYNC_BACKOFF_CAP_MS 30000

struct sync_options {
    const char *config_path; /* --config, or NULL */
    long max_time_ms;        /* budget of the run for retries */
    int max_attempts;        /* per call */
    bool send;               /* send the outbox */
    bool pull;               /* pull afterwards */
    bool json;               /* collect events as JSON instead of printing lines */
    /* Set (by a signal handler) to stop early: the request in flight is
     * finished and recorded, no new one starts, no retry waits; what is not
     * sent stays queued. NULL: never. */
    const volatile sig_atomic_t *stop;
};

void sync_options_default(struct sync_options *o);

struct pull_summary {
    bool done;
    bool plan_changed;
    int plan_version;
    int tasks, indicators, periods; /* complete lists, when plan_changed */
    int task_statuses, submissions; /* changes since the cursor */
    int returned, accepted;         /* of those submissions */
};

struct sync_result {
    int sent;     /* acknowledged this run (including replays) */
    int replayed; /* of which the server had already done */
    int refused;  /* marked failed this run (including dependents) */
    int waiting;  /* still queued after the run */
    int failed;   /* failed items in the outbox after the run */
    struct pull_summary pull;
    int exit_code;
    char stopped[4096]; /* why the run stopped early (translated), "" if it did not */
    json_t *items;      /* with json: one object per item handled */
};

/* Take the run lock: 0 and *fd, 1 when another run holds it, -1 error. */
int sync_lock(struct store *s, int *fd);
void sync_unlock(int fd);

/* One run (the caller holds the lock). Always fills r (free r->items with
 * json_decref). Returns r->exit_code: 0 all sent (and pulled), 75 something
 * still waiting or the server could not be reached, 65 items were refused,
 * 77/78 certificate or configuration problems, 70 local failures. */
int sync_run(struct store *s, const struct sync_options *o, struct sync_result *r);

/* The pull summary for a person (stdout) or as a JSON object (new ref). */
void sync_print_pull(const struct pull_summary *p);
json_t *sync_pull_json(const struct pull_summary *p);

/* Apply a PullResponse to the store in one transaction (also used by unit
 * tests). 0 or -1. */
int sync_apply_pull(struct store *s, const Tamnong__PullResponse *p, struct pull_summary *sum);

#endif
