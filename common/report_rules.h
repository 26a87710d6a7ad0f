/* report_rules: the rules a report (SubmitRequest), a task status update
 * (TaskUpdateRequest) and a review (ReviewRequest) must satisfy. Shared by
 * the client (local validation, every problem listed) and the server (which
 * enforces the same rules before touching the database, and then checks the
 * plan-dependent ones in SQL: deploy/migrations/003_reporting.sql). Pure C,
 * no I/O, no allocation except the problem list.
 *
 * A problem is one line "field: message", the field written as the request
 * spells it: "values[3].numerator: must not exceed the denominator",
 * "results: longer than 20000 bytes". Indexes count from 0. */
#ifndef TAMNONG_REPORT_RULES_H
#define TAMNONG_REPORT_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tamnong.pb-c.h"

/* Limits (bytes for texts). */
#define RR_MAX_NARRATIVE    20000 /* results, difficulties, recommendations, proposals */
#define RR_MAX_NOTE         2000  /* notes, return reason */
#define RR_MAX_CODE         64    /* period, task and indicator codes */
#define RR_MAX_VALUES       200
#define RR_MAX_ATTACHMENTS  20
#define RR_MAX_TASKS        200
#define RR_MAX_EVIDENCE     20   /* evidence items of one task status */
#define RR_MAX_EVIDENCE_LEN 2000 /* one URL or "sha256:<hex>" */
#define RR_MAX_FILE_NAME    255  /* attachment name */
#define RR_MAX_CONTENT_TYPE 127
#define RR_MAX_DECIMAL      30                  /* characters of a decimal text */
#define RR_MAX_ATTACHMENT   (20L * 1024 * 1024) /* bytes of one file */
#define RR_MAX_CHUNK        (1024 * 1024)       /* bytes of one AttachmentChunk */
#define RR_UUID_LEN         16
#define RR_MAX_PROBLEMS     100 /* lines kept; more are counted in `dropped` */

/* Task status vocabulary, in display order; NULL-terminated. */
extern const char *const rr_task_statuses[];
bool rr_task_status_ok(const char *s) __attribute__((warn_unused_result));
/* Review decisions: "accept", "return". */
bool rr_decision_ok(const char *s) __attribute__((warn_unused_result));
/* Submission states: submitted | accepted | returned | superseded. */
bool rr_submission_state_ok(const char *s) __attribute__((warn_unused_result));

/* Valid UTF-8 without NUL, at most max bytes (0 = no limit). Note: a
 * protobuf-c string is NUL-terminated, so a NUL inside a wire string is not
 * visible here; the server checks the raw bytes for that (pb_text.h). */
bool rr_text_ok(const char *s, size_t max) __attribute__((warn_unused_result));
/* Strict decimal: optional '-', one or more digits, optionally '.' and one or
 * more digits; at most RR_MAX_DECIMAL characters. No '+', spaces, exponent,
 * ',' or thousands separators ("63.5", "-2", "0.75"; not ".5", "5.", "1e3"). */
bool rr_decimal_ok(const char *s) __attribute__((warn_unused_result));
/* Compare two strict decimals numerically: <0, 0, >0. */
int rr_decimal_cmp(const char *a, const char *b);
/* 64 lower-case hex digits. */
bool rr_sha256_hex_ok(const char *s) __attribute__((warn_unused_result));
/* Indicator key as the plan writes it: [a-z0-9_]{1,64}. */
bool rr_indicator_key_ok(const char *s) __attribute__((warn_unused_result));
/* Period, task and agency codes: 1..64 printable ASCII bytes, no space. */
bool rr_code_ok(const char *s) __attribute__((warn_unused_result));

/* The problems found, as "field: message" lines (malloc'd). */
struct rr_problems {
    char **lines;
    size_t n;
    size_t dropped; /* problems beyond RR_MAX_PROBLEMS, not kept */
    bool oom;       /* a line could not be stored */
};
void rr_problems_init(struct rr_problems *p);
void rr_problems_free(struct rr_problems *p);
/* Append one problem (printf format). */
void rr_problem(struct rr_problems *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* All lines joined with "\n" into buf (truncated to fit, always terminated);
 * "... and N more" closes a truncated list. Returns buf. */
char *rr_problems_join(const struct rr_problems *p, char *buf, size_t size);

/* Every rule that needs no plan: request_uuid of 16 bytes, period_code,
 * texts and their lengths, counts, decimals, numerator >= 0, denominator > 0,
 * numerator <= denominator, an entry with no number says why in its note,
 * duplicate keys / task codes / attachment hashes, task status and progress,
 * attachment hash, size (1..RR_MAX_ATTACHMENT), name and content type.
 * Returns the number of problems added. */
size_t rr_check_submit(const Tamnong__SubmitRequest *r, struct rr_problems *out);

/* The plan-dependent rules, for the client (the server runs the same rules
 * in SQL, submit_report()): each value's key is an indicator this agency
 * reports; every required indicator is present; a ratio indicator has a
 * numerator and a denominator, any other has a value and neither (an entry
 * without numbers but with a note is an explicit "no data"). `inds` are the
 * ReportIndicator rows from the last Pull. Returns the problems added. */
size_t rr_check_submit_against(const Tamnong__SubmitRequest *r,
                               Tamnong__ReportIndicator *const *inds, size_t n_inds,
                               struct rr_problems *out);

/* TaskUpdateRequest: request_uuid, task_code, status, progress 0..100,
 * note, evidence (at most RR_MAX_EVIDENCE; each an http(s) URL or
 * "sha256:<64 hex>"), base_version >= 0. Returns the problems added. */
size_t rr_check_task_update(const Tamnong__TaskUpdateRequest *r, struct rr_problems *out);

/* ReviewRequest: request_uuid, submission_id > 0, decision, a reason to
 * return (at most RR_MAX_NOTE). Returns the problems added. */
size_t rr_check_review(const Tamnong__ReviewRequest *r, struct rr_problems *out);

#endif
