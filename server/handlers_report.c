/* handlers_report: reporting and sync (issue 4): Pull, TaskUpdate,
 * AttachmentStatus, AttachmentChunk, Submit, Review, Submissions,
 * SubmissionGet. Each checks the request's form first (common/report_rules:
 * the same rules the client applies), then runs exactly one statement, a
 * plpgsql function of deploy/migrations/003_reporting.sql that does the
 * whole RPC in one transaction and answers one jsonb document. The caller's
 * agency always comes from its certificate, never from the request. The
 * response strings point into the parsed JSON, alive until done() returns;
 * the message structs come from a small arena freed after done(). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "handler_util.h"
#include "handlers.h"
#include "log.h"
#include "report_rules.h"
#include "signed_submit.h"
#include "tls_util.h"

/* Unfinished uploads one agency may hold, in bytes. */
#define MAX_PENDING_UPLOAD (100L * 1024 * 1024)

/* ---------------------------------------------------------------- helpers */

JSON_MESSAGE(task_status, Tamnong__TaskStatus, tamnong__task_status__descriptor)
JSON_MESSAGE(submission_state, Tamnong__SubmissionState, tamnong__submission_state__descriptor)
JSON_MESSAGE(period_info, Tamnong__PeriodInfo, tamnong__period_info__descriptor)
JSON_MESSAGE(report_indicator, Tamnong__ReportIndicator, tamnong__report_indicator__descriptor)
JSON_MESSAGE(indicator_value, Tamnong__IndicatorValue, tamnong__indicator_value__descriptor)
JSON_MESSAGE(attachment_ref, Tamnong__AttachmentRef, tamnong__attachment_ref__descriptor)
JSON_MESSAGE(report_task, Tamnong__ReportTask, tamnong__report_task__descriptor)

static void caller_id(const struct call *call, char out[24])
{
    const struct agency_identity *who = call_agency(call);
    snprintf(out, 24, "%lld", who ? (long long)who->id : -1LL);
}

/* Answer INVALID_ARGUMENT with the first problem when there are any. */
static bool refuse_problems(struct call *call, ProtobufCClosure done, struct rr_problems *p)
{
    size_t total = p->n + p->dropped;
    if (total == 0) {
        rr_problems_free(p);
        return false;
    }
    if (p->n == 0)
        handler_fail(call, done, TAMNONG__STATUS__RESOURCE_EXHAUSTED, "out of memory");
    else if (total == 1)
        handler_fail(call, done, TAMNONG__STATUS__INVALID_ARGUMENT, "%s", p->lines[0]);
    else
        handler_fail(call, done, TAMNONG__STATUS__INVALID_ARGUMENT, "%s (and %zu more)",
                     p->lines[0], total - 1);
    rr_problems_free(p);
    return true;
}

static void fail_oom(struct call *call, ProtobufCClosure done)
{
    handler_fail(call, done, TAMNONG__STATUS__RESOURCE_EXHAUSTED, "the server is out of memory");
}

/* Run stmt(caller, request uuid, request SHA-256, doc) for a request that
 * takes effect exactly once; takes doc (NULL when it could not be made). */
static void query_once(struct call *call, ProtobufCClosure done, const ProtobufCMessage *in,
                       const ProtobufCBinaryData *request_uuid, json_t *doc, enum sql_stmt stmt,
                       handler_rows_fn on_rows)
{
    char sha[65], uuid[37], aid[24];
    char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    if (!text || handler_request_sha256(in, sha) != 0) {
        free(text);
        fail_oom(call, done);
        return;
    }
    handler_uuid_text(request_uuid->data, uuid);
    caller_id(call, aid);
    const char *params[] = {aid, uuid, sha, text};
    handler_query(call, done, stmt, 4, params, on_rows, NULL);
    free(text);
}

/* ---------------------------------------------------------------- JSON -> messages */

static Tamnong__SubmissionSummary *submission_summary(struct arena *a, const json_t *x)
{
    Tamnong__SubmissionSummary *s = arena_alloc(a, sizeof *s);
    if (!s)
        return NULL;
    tamnong__submission_summary__init(s);
    s->agency = agency_ref(a, json_object_get(x, "agency"));
    s->state = submission_state(a, x);
    return s;
}

static Tamnong__Assignment *assignment(struct arena *a, const json_t *x)
{
    Tamnong__Assignment *as = arena_alloc(a, sizeof *as);
    Tamnong__TaskInfo *t = arena_alloc(a, sizeof *t);
    if (!as || !t)
        return NULL;
    tamnong__assignment__init(as);
    tamnong__task_info__init(t);
    t->code = jstr(x, "code");
    t->section = jstr(x, "section");
    t->title = jstr(x, "title");
    t->text = jstr(x, "text");
    CONVERT_ARRAY(a, json_object_get(x, "lead"), &t->lead, &t->n_lead, agency_ref);
    CONVERT_ARRAY(a, json_object_get(x, "coordinating"), &t->coordinating, &t->n_coordinating,
                  agency_ref);
    t->deadline_kind = jstr(x, "deadline_kind");
    t->deadline_value = jstr(x, "deadline_value");
    t->expected_output = jstr(x, "expected_output");
    t->role = jstr(x, "role");
    as->task = t;
    as->status = task_status(a, json_object_get(x, "status"));
    return as;
}

/* ---------------------------------------------------------------- Pull */

static void pull_rows(struct call *call, ProtobufCClosure done, const PGresult *res, void *arg)
{
    json_t *r = handler_answer_json(call, done, res);
    if (!r)
        return;
    struct arena a = {0};
    Tamnong__PullResponse resp = TAMNONG__PULL_RESPONSE__INIT;
    resp.plan_version = (int32_t)jint(r, "plan_version");
    resp.plan_changed = jbool(r, "plan_changed");
    resp.cursor = jint(r, "cursor");
    resp.as_of = jstr(r, "as_of");
    CONVERT_ARRAY(&a, json_object_get(r, "assignments"), &resp.assignments, &resp.n_assignments,
                  assignment);
    CONVERT_ARRAY(&a, json_object_get(r, "indicators"), &resp.indicators, &resp.n_indicators,
                  report_indicator);
    CONVERT_ARRAY(&a, json_object_get(r, "periods"), &resp.periods, &resp.n_periods, period_info);
    CONVERT_ARRAY(&a, json_object_get(r, "task_statuses"), &resp.task_statuses,
                  &resp.n_task_statuses, task_status);
    CONVERT_ARRAY(&a, json_object_get(r, "submissions"), &resp.submissions, &resp.n_submissions,
                  submission_state);
    handler_answer_arena(call, done, &resp.base, &a);
    json_decref(r);
}

HANDLER(pull, PullRequest, PullResponse)
{
    const Tamnong__PullRequest *in = input;
    struct call *call = closure_data;
    ProtobufCClosure done = (ProtobufCClosure)typed_done;
    if (in->plan_version < 0 || in->since < 0 || !field_date_ok(in->as_of)) {
        handler_fail(call, done, TAMNONG__STATUS__INVALID_ARGUMENT, "%s",
                     in->plan_version < 0 ? "plan_version: must not be negative"
                     : in->since < 0      ? "since: must not be negative"
                                          : "as_of: not a date; write YYYY-MM-DD");
        return;
    }
    char aid[24], ver[16], since[24];
    caller_id(call, aid);
    snprintf(ver, sizeof ver, "%d", in->plan_version);
    snprintf(since, sizeof since, "%lld", (long long)in->since);
    const char *params[] = {aid, ver, since, in->as_of};
    handler_query(call, done, SQL_REPORT_PULL, 4, params, pull_rows, NULL);
}

/* ---------------------------------------------------------------- TaskUpdate */

static void task_update_rows(struct call *call, ProtobufCClosure done, const PGresult *res,
                             void *arg)
{
    json_t *r = handler_answer_json(call, done, res);
    if (!r)
        return;
    Tamnong__TaskUpdateReceipt resp = TAMNONG__TASK_UPDATE_RECEIPT__INIT;
    resp.replay = jbool(r, "replay");
    resp.version = jint(r, "version");
    resp.received_at_ms = jint(r, "received_at_ms");
    done(&resp.base, call);
    json_decref(r);
}

HANDLER(task_update, TaskUpdateRequest, TaskUpdateReceipt)
{
    const Tamnong__TaskUpdateRequest *in = input;
    struct call *call = closure_data;
    ProtobufCClosure done = (ProtobufCClosure)typed_done;
    struct rr_problems p;
    rr_problems_init(&p);
    rr_check_task_update(in, &p);
    if (refuse_problems(call, done, &p))
        return;
    json_t *ev = json_array();
    for (size_t i = 0; ev && i < in->n_evidence; i++)
        json_array_append_new(ev, json_string(in->evidence[i]));
    json_t *doc = json_pack("{s:s, s:s, s:i, s:s, s:o, s:I}", "task_code", in->task_code, "status",
                            in->status, "progress", (int)in->progress, "note", in->note, "evidence",
                            ev, "base_version", (json_int_t)in->base_version);
    query_once(call, done, &in->base, &in->request_uuid, doc, SQL_TASK_UPDATE, task_update_rows);
}

/* ---------------------------------------------------------------- attachments */

static bool check_file(struct call *call, ProtobufCClosure done, const char *sha, int64_t size)
{
    if (!rr_sha256_hex_ok(sha)) {
        handler_fail(call, done, TAMNONG__STATUS__INVALID_ARGUMENT,
                     "sha256: must be 64 lower-case hex digits");
        return false;
    }
    if (size <= 0 || size > RR_MAX_ATTACHMENT) {
        handler_fail(call, done, TAMNONG__STATUS__INVALID_ARGUMENT,
                     "size: a file may have 1 to %ld bytes", RR_MAX_ATTACHMENT);
        return false;
    }
    return true;
}

static void attachment_status_rows(struct call *call, ProtobufCClosure done, const PGresult *res,
                                   void *arg)
{
    json_t *r = handler_answer_json(call, done, res);
    if (!r)
        return;
    Tamnong__AttachmentStatusResponse resp = TAMNONG__ATTACHMENT_STATUS_RESPONSE__INIT;
    resp.received = jint(r, "received");
    resp.complete = jbool(r, "complete");
    done(&resp.base, call);
    json_decref(r);
}

HANDLER(attachment_status, AttachmentStatusRequest, AttachmentStatusResponse)
{
    const Tamnong__AttachmentStatusRequest *in = input;
    struct call *call = closure_data;
    ProtobufCClosure done = (ProtobufCClosure)typed_done;
    if (!check_file(call, done, in->sha256, in->size))
        return;
    char aid[24], size[24];
    caller_id(call, aid);
    snprintf(size, sizeof size, "%lld", (long long)in->size);
    const char *params[] = {aid, in->sha256, size};
    handler_query(call, done, SQL_ATTACHMENT_STATUS, 3, params, attachment_status_rows, NULL);
}

static void attachment_chunk_rows(struct call *call, ProtobufCClosure done, const PGresult *res,
                                  void *arg)
{
    json_t *r = handler_answer_json(call, done, res);
    if (!r)
        return;
    Tamnong__AttachmentChunkResponse resp = TAMNONG__ATTACHMENT_CHUNK_RESPONSE__INIT;
    resp.received = jint(r, "received");
    resp.complete = jbool(r, "complete");
    done(&resp.base, call);
    json_decref(r);
}

HANDLER(attachment_chunk, AttachmentChunkRequest, AttachmentChunkResponse)
{
    const Tamnong__AttachmentChunkRequest *in = input;
    struct call *call = closure_data;
    ProtobufCClosure done = (ProtobufCClosure)typed_done;
    if (!check_file(call, done, in->sha256, in->size))
        return;
    if (in->data.len == 0 || in->data.len > RR_MAX_CHUNK) {
        handler_fail(call, done, TAMNONG__STATUS__INVALID_ARGUMENT,
                     "data: a chunk has 1 to %d bytes", RR_MAX_CHUNK);
        return;
    }
    if (in->offset < 0 || in->offset > in->size - (int64_t)in->data.len) {
        handler_fail(call, done, TAMNONG__STATUS__INVALID_ARGUMENT,
                     "offset: the chunk must lie within the file's %lld bytes",
                     (long long)in->size);
        return;
    }
    /* bytea in hex text form: \x then two digits a byte. */
    char *hex = malloc(2 * in->data.len + 3);
    if (!hex) {
        fail_oom(call, done);
        return;
    }
    hex[0] = '\\';
    hex[1] = 'x';
    tls_hex(in->data.data, in->data.len, hex + 2);
    char aid[24], size[24], off[24], max_size[24], max_pending[24];
    caller_id(call, aid);
    snprintf(size, sizeof size, "%lld", (long long)in->size);
    snprintf(off, sizeof off, "%lld", (long long)in->offset);
    snprintf(max_size, sizeof max_size, "%ld", RR_MAX_ATTACHMENT);
    snprintf(max_pending, sizeof max_pending, "%ld", MAX_PENDING_UPLOAD);
    const char *params[] = {aid, in->sha256, size, off, hex, max_size, max_pending};
    handler_query(call, done, SQL_ATTACHMENT_CHUNK, 7, params, attachment_chunk_rows, NULL);
    free(hex);
}

/* ---------------------------------------------------------------- Submit */

/* The report as the document submit_report() takes (and stores). */
static json_t *submit_doc(const Tamnong__SubmitRequest *in)
{
    json_t *values = json_array(), *atts = json_array(), *tasks = json_array();
    for (size_t i = 0; values && i < in->n_values; i++) {
        const Tamnong__IndicatorValue *v = in->values[i];
        json_array_append_new(values, json_pack("{s:s, s:s, s:s, s:s, s:s}", "key", v->key, "value",
                                                v->value, "numerator", v->numerator, "denominator",
                                                v->denominator, "note", v->note));
    }
    for (size_t i = 0; atts && i < in->n_attachments; i++) {
        const Tamnong__AttachmentRef *f = in->attachments[i];
        json_array_append_new(atts, json_pack("{s:s, s:I, s:s, s:s}", "sha256", f->sha256, "size",
                                              (json_int_t)f->size, "name", f->name, "content_type",
                                              f->content_type));
    }
    for (size_t i = 0; tasks && i < in->n_tasks; i++) {
        const Tamnong__ReportTask *t = in->tasks[i];
        json_array_append_new(tasks,
                              json_pack("{s:s, s:s, s:i, s:s}", "task_code", t->task_code, "status",
                                        t->status, "progress", (int)t->progress, "note", t->note));
    }
    /* json_pack steals the arrays (also on failure). */
    json_t *doc = json_pack(
        "{s:s, s:o*, s:s, s:s, s:s, s:s, s:o*, s:o*}", "period_code", in->period_code, "values",
        values, "results", in->results, "difficulties", in->difficulties, "recommendations",
        in->recommendations, "proposals", in->proposals, "attachments", atts, "tasks", tasks);
    if (doc && (json_array_size(json_object_get(doc, "values")) != in->n_values ||
                json_array_size(json_object_get(doc, "attachments")) != in->n_attachments ||
                json_array_size(json_object_get(doc, "tasks")) != in->n_tasks)) {
        json_decref(doc); /* an element could not be made */
        return NULL;
    }
    return doc;
}

static void submit_rows(struct call *call, ProtobufCClosure done, const PGresult *res, void *arg)
{
    json_t *r = handler_answer_json(call, done, res);
    if (!r)
        return;
    Tamnong__SubmitReceipt resp = TAMNONG__SUBMIT_RECEIPT__INIT;
    resp.replay = jbool(r, "replay");
    resp.submission_id = jint(r, "submission_id");
    resp.revision = (int32_t)jint(r, "revision");
    resp.received_at_ms = jint(r, "received_at_ms");
    resp.on_time = jbool(r, "on_time");
    resp.deadline_at_ms = jint(r, "deadline_at_ms");
    if (!resp.replay)
        log_info("submission %lld (revision %d) received from %s", (long long)resp.submission_id,
                 resp.revision, call_agency(call)->code);
    done(&resp.base, call);
    json_decref(r);
}

HANDLER(submit, SubmitRequest, SubmitReceipt)
{
    const Tamnong__SubmitRequest *in = input;
    struct call *call = closure_data;
    ProtobufCClosure done = (ProtobufCClosure)typed_done;
    struct rr_problems p;
    rr_problems_init(&p);
    rr_check_submit(in, &p);
    if (refuse_problems(call, done, &p))
        return;
    if (in->signature.len > 0) { /* issue 7: verified off the loop first */
        signed_submit(call, done, in, submit_doc(in), submit_rows);
        return;
    }
    query_once(call, done, &in->base, &in->request_uuid, submit_doc(in), SQL_SUBMIT, submit_rows);
}

/* ---------------------------------------------------------------- Review */

static void review_rows(struct call *call, ProtobufCClosure done, const PGresult *res, void *arg)
{
    json_t *r = handler_answer_json(call, done, res);
    if (!r)
        return;
    Tamnong__ReviewReceipt resp = TAMNONG__REVIEW_RECEIPT__INIT;
    resp.replay = jbool(r, "replay");
    resp.state = jstr(r, "state");
    resp.reviewed_at_ms = jint(r, "reviewed_at_ms");
    done(&resp.base, call);
    json_decref(r);
}

HANDLER(review, ReviewRequest, ReviewReceipt)
{
    const Tamnong__ReviewRequest *in = input;
    struct call *call = closure_data;
    ProtobufCClosure done = (ProtobufCClosure)typed_done;
    if (!handler_require_admin(call, done))
        return;
    struct rr_problems p;
    rr_problems_init(&p);
    rr_check_review(in, &p);
    if (refuse_problems(call, done, &p))
        return;
    char sha[65], uuid[37], aid[24], sid[24];
    if (handler_request_sha256(&in->base, sha) != 0) {
        fail_oom(call, done);
        return;
    }
    handler_uuid_text(in->request_uuid.data, uuid);
    caller_id(call, aid);
    snprintf(sid, sizeof sid, "%lld", (long long)in->submission_id);
    const char *params[] = {aid, "true", uuid, sha, sid, in->decision, in->reason};
    handler_query(call, done, SQL_REVIEW, 7, params, review_rows, NULL);
}

/* ---------------------------------------------------------------- Submissions */

static void submissions_rows(struct call *call, ProtobufCClosure done, const PGresult *res,
                             void *arg)
{
    json_t *r = handler_answer_json(call, done, res);
    if (!r)
        return;
    struct arena a = {0};
    Tamnong__SubmissionsResponse resp = TAMNONG__SUBMISSIONS_RESPONSE__INIT;
    CONVERT_ARRAY(&a, json_object_get(r, "submissions"), &resp.submissions, &resp.n_submissions,
                  submission_summary);
    handler_answer_arena(call, done, &resp.base, &a);
    json_decref(r);
}

HANDLER(submissions, SubmissionsRequest, SubmissionsResponse)
{
    const Tamnong__SubmissionsRequest *in = input;
    struct call *call = closure_data;
    ProtobufCClosure done = (ProtobufCClosure)typed_done;
    const char *bad = NULL;
    if (*in->period_code && !rr_code_ok(in->period_code))
        bad = "period_code: must be a period code such as 2025-six_month";
    else if (*in->state && !rr_submission_state_ok(in->state))
        bad = "state: must be one of submitted, accepted, returned, superseded";
    else if (*in->agency_code && !rr_code_ok(in->agency_code))
        bad = "agency_code: must be an agency code";
    if (bad) {
        handler_fail(call, done, TAMNONG__STATUS__INVALID_ARGUMENT, "%s", bad);
        return;
    }
    char aid[24];
    caller_id(call, aid);
    const char *params[] = {aid, handler_caller_is_admin(call) ? "true" : "false", in->period_code,
                            in->state, in->agency_code};
    handler_query(call, done, SQL_SUBMISSIONS, 5, params, submissions_rows, NULL);
}

/* ---------------------------------------------------------------- SubmissionGet */

static void submission_get_rows(struct call *call, ProtobufCClosure done, const PGresult *res,
                                void *arg)
{
    json_t *r = handler_answer_json(call, done, res);
    if (!r)
        return;
    struct arena a = {0};
    Tamnong__SubmissionGetResponse resp = TAMNONG__SUBMISSION_GET_RESPONSE__INIT;
    resp.summary = submission_summary(&a, json_object_get(r, "summary"));
    resp.results = jstr(r, "results");
    resp.difficulties = jstr(r, "difficulties");
    resp.recommendations = jstr(r, "recommendations");
    resp.proposals = jstr(r, "proposals");
    CONVERT_ARRAY(&a, json_object_get(r, "values"), &resp.values, &resp.n_values, indicator_value);
    CONVERT_ARRAY(&a, json_object_get(r, "attachments"), &resp.attachments, &resp.n_attachments,
                  attachment_ref);
    CONVERT_ARRAY(&a, json_object_get(r, "tasks"), &resp.tasks, &resp.n_tasks, report_task);
    handler_answer_arena(call, done, &resp.base, &a);
    json_decref(r);
}

HANDLER(submission_get, SubmissionGetRequest, SubmissionGetResponse)
{
    const Tamnong__SubmissionGetRequest *in = input;
    struct call *call = closure_data;
    ProtobufCClosure done = (ProtobufCClosure)typed_done;
    if (in->submission_id <= 0) {
        handler_fail(call, done, TAMNONG__STATUS__INVALID_ARGUMENT, "submission_id: required");
        return;
    }
    char aid[24], sid[24];
    caller_id(call, aid);
    snprintf(sid, sizeof sid, "%lld", (long long)in->submission_id);
    const char *params[] = {aid, handler_caller_is_admin(call) ? "true" : "false", sid};
    handler_query(call, done, SQL_SUBMISSION_GET, 3, params, submission_get_rows, NULL);
}
