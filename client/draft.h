/* draft: the agency's local intentions kept in the store (store.h) until
 * they are sent: the report draft of a period (indicator values, narrative,
 * attachments, task progress) and task status updates. Every change is one
 * transaction; queueing a report or a task update writes the outbox
 * (outbox.h) in the same transaction. Validation uses common/report_rules. */
#ifndef TAMNONG_CLIENT_DRAFT_H
#define TAMNONG_CLIENT_DRAFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "report_rules.h"
#include "store.h"
#include "tamnong.pb-c.h"

/* The narrative parts of a report, in order, as `report write PART` names
 * them (and the drafts table's columns). NULL-terminated. */
extern const char *const draft_parts[];
bool draft_part_ok(const char *part);

/* The period to work on: explicit if given, else the one `report open`
 * chose (meta report_period), else the pulled period whose deadline is the
 * next to come (today or later). 0, or -1 when none is known. */
int draft_resolve_period(struct store *s, const char *explicit_period, char *out, size_t len);
/* The pulled period whose deadline is the next to come. 0 or -1. */
int draft_next_period(struct store *s, char *out, size_t len);
/* The period is among the pulled periods. */
bool draft_period_known(struct store *s, const char *period);

/* Inside a transaction: create the draft if missing (*created), else mark
 * it edited (state draft: it differs from what was sent). 0 or -1. */
int draft_touch(struct store *s, const char *period, bool *created);

/* Setters, each inside the caller's transaction (after draft_touch). */
int draft_set_value(struct store *s, const char *period, const char *key, const char *value,
                    const char *numerator, const char *denominator, const char *note);
int draft_unset_value(struct store *s, const char *period, const char *key);
int draft_set_text(struct store *s, const char *period, const char *part, const char *text);
int draft_add_attachment(struct store *s, const char *period, const char *sha256, int64_t size,
                         const char *name, const char *content_type);
int draft_remove_attachment(struct store *s, const char *period, const char *sha256_or_name);
int draft_set_task(struct store *s, const char *period, const char *code, const char *status,
                   int progress, const char *note);

/* The pulled indicators (ReportIndicator messages; free with
 * draft_free_indicators). 0 or -1. */
int draft_load_indicators(struct store *s, Tamnong__ReportIndicator ***out, size_t *n);
void draft_free_indicators(Tamnong__ReportIndicator **inds, size_t n);

/* Build the SubmitRequest of the draft of `period` (uuid may be NULL: no
 * request_uuid). Free with protobuf_c_message_free_unpacked(&r->base, NULL).
 * 1 built, 0 no draft for that period, -1 error. */
int draft_build_submit(struct store *s, const char *period, const uint8_t *uuid,
                       Tamnong__SubmitRequest **out);

/* Every local rule (report_rules: rr_check_submit, and
 * rr_check_submit_against when indicators were pulled) on the draft.
 * Returns the number of problems (lines in *p), or -1 (no draft / error).
 * *checked_plan says whether the plan-dependent rules could run. */
int draft_validate(struct store *s, const char *period, struct rr_problems *p, bool *checked_plan);

/* One transaction: queue an "Attachment" item for each attached file, then
 * the Submit (one batch, in that order), and mark the draft queued. With
 * key and cert (else NULL) the Submit carries a detached CMS signature over
 * its canonical bytes (report_sign.h), made here, over the very message that
 * is queued and sent. 0 and *submit_seq, or -1 (sign_err set when the
 * signing failed, "" otherwise). */
int draft_queue_submit(struct store *s, const char *period, X509 *cert, EVP_PKEY *key,
                       int64_t *submit_seq, char *sign_err, size_t errlen);

/* The periods whose draft is ready (validated by 'report validate' and not
 * changed since): malloc'ed strings, free with draft_free_periods. 0 or -1. */
int draft_ready_periods(struct store *s, char ***out, size_t *n);
void draft_free_periods(char **v, size_t n);

/* The scheduled run's submit of a ready draft, in ONE transaction: if the
 * draft is still ready, validate it again and queue it as
 * draft_queue_submit does. 1 queued (*submit_seq); 0 no longer ready
 * (edited meanwhile: nothing done); -2 it has problems now (listed in *p;
 * the draft goes back to state draft); -1 error. */
int draft_queue_ready(struct store *s, const char *period, struct rr_problems *p,
                      int64_t *submit_seq);

/* A task's current state as the person sees it: the queued update if any,
 * else what was pulled. */
struct task_state {
    char status[32];
    int progress;
    char *note;      /* malloc'ed */
    char **evidence; /* malloc'ed strings */
    size_t n_evidence;
    int64_t version;      /* pulled/acknowledged version: the base of the next update */
    bool known;           /* the task is in the pulled list */
    int64_t pending_seq;  /* queued TaskUpdate, 0 if none */
    int pending_attempts; /* its attempts */
};
int task_state_load(struct store *s, const char *code, struct task_state *ts);
void task_state_free(struct task_state *ts);

/* One transaction: queue "Attachment" items for `files` (already in the
 * store, "sha256:<hex>" evidence), then the TaskUpdate with base_version =
 * base. An untried queued update of the same task is replaced (the server
 * never saw it). 0 and *seq; -1 error; -2 an update of this task was
 * already tried and may have reached the server: sync first. */
int task_queue_update(struct store *s, const Tamnong__TaskUpdateRequest *req,
                      const char *const *file_sha, const int64_t *file_size,
                      const char *const *file_name, size_t n_files, int64_t *seq);

/* Deadline state of a task on `today` (YYYY-MM-DD): "completed",
 * "overdue", "due_soon", "in_time". every_period tasks use the next period
 * deadline from the pulled periods. */
const char *task_deadline_state(struct store *s, const char *kind, const char *value,
                                const char *status, const char *today);

/* Translated words for a person: task status, deadline state. */
const char *task_status_label(const char *status);
const char *deadline_state_label(const char *state);

#endif
