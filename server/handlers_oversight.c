/* handlers_oversight: what the standing agency looks at (issue 6): TaskBoard,
 * TargetProgress, PeriodClose (the frozen figures) and ReportFeedback. All
 * four are for the standing agency and operators only. Each checks the form
 * of the request, then runs one statement, a function of
 * deploy/migrations/005_oversight.sql that answers the whole response as one
 * jsonb document whose members carry the proto field names, so the response
 * is filled by arena_message (the rules are in docs/oversight.md). */
#include <stdio.h>
#include <string.h>
#include <jansson.h>

#include "handler_util.h"
#include "handlers.h"
#include "log.h"
#include "report_rules.h"
#include "tls_util.h"

#define MAX_SECTION 32

/* A period code is required and must look like one. */
static bool check_period(struct call *call, ProtobufCClosure done, const char *code)
{
    if (!*code || !rr_code_ok(code)) {
        handler_fail(call, done, TAMNONG__STATUS__INVALID_ARGUMENT, "%s",
                     *code ? "period_code: must be a period code such as 2025-six_month"
                           : "period_code: required");
        return false;
    }
    return true;
}

/* The statement's document as the response message of type d. */
static void answer_document(struct call *call, ProtobufCClosure done, const PGresult *res,
                            const ProtobufCMessageDescriptor *d)
{
    json_t *r = handler_answer_json(call, done, res);
    if (!r)
        return;
    struct arena a = {0};
    ProtobufCMessage *m = arena_message(&a, d, r);
    if (!m)
        a.oom = true;
    handler_answer_arena(call, done, m, &a);
    json_decref(r);
}

/* ---------------------------------------------------------------- TaskBoard */

static void task_board_rows(struct call *call, ProtobufCClosure done, const PGresult *res,
                            void *arg)
{
    (void)arg;
    answer_document(call, done, res, &tamnong__task_board_response__descriptor);
}

HANDLER(task_board, TaskBoardRequest, TaskBoardResponse)
{
    (void)svc;
    const Tamnong__TaskBoardRequest *in = input;
    struct call *call = closure_data;
    ProtobufCClosure done = (ProtobufCClosure)typed_done;
    if (!handler_require_admin(call, done) || !check_period(call, done, in->period_code))
        return;
    const char *bad = NULL;
    if (!field_text_ok(in->section, MAX_SECTION))
        bad = "section: must be a section code such as III.4 or 4";
    else if (*in->agency_code && !rr_code_ok(in->agency_code))
        bad = "agency_code: must be an agency code";
    else if (*in->status && strcmp(in->status, "not_reported") != 0 &&
             !rr_task_status_ok(in->status))
        bad = "status: must be one of not_started, in_progress, completed, postponed, "
              "not_reported";
    if (bad) {
        handler_fail(call, done, TAMNONG__STATUS__INVALID_ARGUMENT, "%s", bad);
        return;
    }
    /* "4" means section III.4 (the tasks are all in part III), as PlanTasks. */
    char section[MAX_SECTION + 8];
    snprintf(section, sizeof section, "%s%s",
             in->section[0] >= '0' && in->section[0] <= '9' ? "III." : "", in->section);
    const char *params[] = {in->period_code, section, in->agency_code, in->status,
                            in->summary ? "true" : "false"};
    handler_query(call, done, SQL_TASK_BOARD, 5, params, task_board_rows, NULL);
}

/* ---------------------------------------------------------------- TargetProgress */

static void target_progress_rows(struct call *call, ProtobufCClosure done, const PGresult *res,
                                 void *arg)
{
    (void)arg;
    answer_document(call, done, res, &tamnong__target_progress_response__descriptor);
}

HANDLER(target_progress, TargetProgressRequest, TargetProgressResponse)
{
    (void)svc;
    const Tamnong__TargetProgressRequest *in = input;
    struct call *call = closure_data;
    ProtobufCClosure done = (ProtobufCClosure)typed_done;
    if (!handler_require_admin(call, done) || !check_period(call, done, in->period_code))
        return;
    if (*in->indicator && !rr_indicator_key_ok(in->indicator)) {
        handler_fail(call, done, TAMNONG__STATUS__INVALID_ARGUMENT,
                     "indicator: must be an indicator key such as new_rural_commune_share");
        return;
    }
    const char *params[] = {in->period_code, in->indicator, in->totals_only ? "true" : "false"};
    handler_query(call, done, SQL_TARGET_PROGRESS, 3, params, target_progress_rows, NULL);
}

/* ---------------------------------------------------------------- PeriodClose */

static void period_close_rows(struct call *call, ProtobufCClosure done, const PGresult *res,
                              void *arg)
{
    (void)arg;
    json_t *r = handler_answer_json(call, done, res);
    if (!r)
        return;
    Tamnong__PeriodCloseReceipt resp = TAMNONG__PERIOD_CLOSE_RECEIPT__INIT;
    resp.replay = jbool(r, "replay");
    resp.closed_at_ms = jint(r, "closed_at_ms");
    resp.submissions = (int32_t)jint(r, "submissions");
    if (!resp.replay)
        log_info("period closed by %s: %d revisions frozen", call_agency(call)->code,
                 resp.submissions);
    done(&resp.base, call);
    json_decref(r);
}

HANDLER(period_close, PeriodCloseRequest, PeriodCloseReceipt)
{
    (void)svc;
    const Tamnong__PeriodCloseRequest *in = input;
    struct call *call = closure_data;
    ProtobufCClosure done = (ProtobufCClosure)typed_done;
    if (!handler_require_admin(call, done))
        return;
    if (in->request_uuid.len != 16) {
        handler_fail(call, done, TAMNONG__STATUS__INVALID_ARGUMENT,
                     "request_uuid: must be 16 bytes");
        return;
    }
    if (!check_period(call, done, in->period_code))
        return;
    char sha[65], uuid[37], aid[24];
    if (handler_request_sha256(&in->base, sha) != 0) {
        handler_fail(call, done, TAMNONG__STATUS__RESOURCE_EXHAUSTED,
                     "the server is out of memory");
        return;
    }
    handler_uuid_text(in->request_uuid.data, uuid);
    snprintf(aid, sizeof aid, "%lld", (long long)call_agency(call)->id);
    const char *params[] = {aid, uuid, sha, in->period_code};
    handler_query(call, done, SQL_PERIOD_CLOSE, 4, params, period_close_rows, NULL);
}

/* ---------------------------------------------------------------- ReportFeedback */

static void report_feedback_rows(struct call *call, ProtobufCClosure done, const PGresult *res,
                                 void *arg)
{
    (void)arg;
    answer_document(call, done, res, &tamnong__report_feedback_response__descriptor);
}

HANDLER(report_feedback, ReportFeedbackRequest, ReportFeedbackResponse)
{
    (void)svc;
    const Tamnong__ReportFeedbackRequest *in = input;
    struct call *call = closure_data;
    ProtobufCClosure done = (ProtobufCClosure)typed_done;
    if (!handler_require_admin(call, done) || !check_period(call, done, in->period_code))
        return;
    const char *params[] = {in->period_code};
    handler_query(call, done, SQL_REPORT_FEEDBACK, 1, params, report_feedback_rows, NULL);
}
