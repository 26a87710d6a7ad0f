/* handlers_deadline: deadlines and timeliness (issue 5). PeriodStatus (who
 * is expected to report for a period, who sent what, on time or late, with
 * totals by agency kind) and DeadlineExtend (more time for one agency or for
 * every reporter, with a reason, exactly-once), both for the standing agency
 * and the operator only. Each checks the request's form, then runs one
 * plpgsql function of deploy/migrations/004_deadlines.sql that answers one
 * jsonb document (PeriodStatus: a JSON head and a row per reporter, 014);
 * the on-time rule itself lives there (deadline_of). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "handler_util.h"
#include "handlers.h"
#include "log.h"
#include "report_rules.h"
#include "tls_util.h"

/* Longest extension reason, in bytes. */
#define MAX_REASON 2000

JSON_MESSAGE(period_info, Tamnong__PeriodInfo, tamnong__period_info__descriptor)

static void caller_id(const struct call *call, char out[24])
{
    const struct agency_identity *who = call_agency(call);
    snprintf(out, 24, "%lld", who ? (long long)who->id : -1LL);
}

/* Some non-space byte. */
static bool has_text(const char *s)
{
    for (; *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
            return true;
    return false;
}

/* ---------------------------------------------------------------- PeriodStatus */

/* The totals of PeriodStatus from its reporter rows: the all-kinds row first,
 * then one per kind present, in the order of `kinds` (agency_kind_order in
 * 011). submitted = every state but missing; late = submitted, not on time. */
static const char *const kinds[] = {"department",      "district", "commune",
                                    "socio_political", "province", "other"};
enum { N_KINDS = sizeof kinds / sizeof kinds[0] };

static bool kind_ok(const char *k)
{
    for (size_t i = 0; i < N_KINDS; i++)
        if (strcmp(k, kinds[i]) == 0)
            return true;
    return false;
}

static void count_one(Tamnong__KindCount *k, const Tamnong__ReporterStatus *r)
{
    bool missing = strcmp(r->status, "missing") == 0;
    k->expected++;
    k->submitted += !missing;
    k->on_time += r->on_time;
    k->late += !missing && !r->on_time;
    k->missing += missing;
    k->returned += strcmp(r->status, "returned") == 0;
    k->accepted += strcmp(r->status, "accepted") == 0;
}

static void count_by_kind(struct arena *a, Tamnong__ReporterStatus *const *r, size_t n,
                          Tamnong__PeriodStatusResponse *resp)
{
    Tamnong__KindCount *k = arena_alloc(a, (N_KINDS + 1) * sizeof *k);
    resp->totals = (Tamnong__KindCount **)arena_ptrs(a, N_KINDS + 1);
    if (!k || !resp->totals) {
        resp->totals = NULL;
        return;
    }
    for (size_t i = 0; i <= N_KINDS; i++) {
        tamnong__kind_count__init(&k[i]);
        k[i].kind = (char *)(i == 0 ? "" : kinds[i - 1]);
    }
    for (size_t i = 0; i < n; i++) {
        count_one(&k[0], r[i]);
        for (size_t j = 0; j < N_KINDS; j++)
            if (strcmp(r[i]->kind, kinds[j]) == 0)
                count_one(&k[j + 1], r[i]);
    }
    resp->n_totals = 0;
    for (size_t i = 0; i <= N_KINDS; i++)
        if (i == 0 || k[i].expected > 0)
            resp->totals[resp->n_totals++] = &k[i];
}

static void period_status_rows(struct call *call, ProtobufCClosure done, const PGresult *res,
                               void *arg)
{
    json_t *r = handler_answer_head(call, done, res);
    if (!r)
        return;
    struct arena a = {0};
    Tamnong__PeriodStatusResponse resp = TAMNONG__PERIOD_STATUS_RESPONSE__INIT;
    resp.period = period_info(&a, json_object_get(r, "period"));
    resp.deadline_passed = jbool(r, "deadline_passed");
    /* the reporters: one row each, the first also carrying the head; with
     * none, the head's row alone (its agency NULL): 014_period_status_rows.sql */
    int first = PQntuples(res) > 0 && PQgetisnull(res, 0, PQfnumber(res, "\"agency.code\""));
    resp.reporters = (Tamnong__ReporterStatus **)arena_messages_rows(
        &a, &tamnong__reporter_status__descriptor, res, first, &resp.n_reporters);
    if (resp.reporters)
        count_by_kind(&a, resp.reporters, resp.n_reporters, &resp);
    if (!resp.reporters || !resp.totals)
        a.oom = true;
    handler_answer_arena(call, done, &resp.base, &a);
    json_decref(r);
}

HANDLER(period_status, PeriodStatusRequest, PeriodStatusResponse)
{
    const Tamnong__PeriodStatusRequest *in = input;
    struct call *call = closure_data;
    ProtobufCClosure done = (ProtobufCClosure)typed_done;
    if (!handler_require_admin(call, done))
        return;
    const char *bad = NULL;
    if (!rr_code_ok(in->period_code))
        bad = "period_code: required, a period code such as 2025-six_month";
    else if (*in->agency_kind && !kind_ok(in->agency_kind))
        bad = "agency_kind: must be one of department, district, commune, socio_political, "
              "province, other (or empty for all)";
    if (bad) {
        handler_fail(call, done, TAMNONG__STATUS__INVALID_ARGUMENT, "%s", bad);
        return;
    }
    char aid[24];
    caller_id(call, aid);
    const char *params[] = {aid, in->period_code, in->agency_kind};
    handler_query(call, done, SQL_PERIOD_STATUS, 3, params, period_status_rows, NULL);
}

/* ---------------------------------------------------------------- DeadlineExtend */

static void deadline_extend_rows(struct call *call, ProtobufCClosure done, const PGresult *res,
                                 void *arg)
{
    json_t *r = handler_answer_json(call, done, res);
    if (!r)
        return;
    Tamnong__DeadlineExtendReceipt resp = TAMNONG__DEADLINE_EXTEND_RECEIPT__INIT;
    resp.replay = jbool(r, "replay");
    resp.extension_id = jint(r, "extension_id");
    resp.deadline_at_ms = jint(r, "deadline_at_ms");
    resp.became_on_time = (int32_t)jint(r, "became_on_time");
    if (!resp.replay)
        log_info("deadline extension %lld granted by %s", (long long)resp.extension_id,
                 call_agency(call)->code);
    done(&resp.base, call);
    json_decref(r);
}

HANDLER(deadline_extend, DeadlineExtendRequest, DeadlineExtendReceipt)
{
    const Tamnong__DeadlineExtendRequest *in = input;
    struct call *call = closure_data;
    ProtobufCClosure done = (ProtobufCClosure)typed_done;
    if (!handler_require_admin(call, done))
        return;
    const char *bad = NULL;
    if (in->request_uuid.len != 16)
        bad = "request_uuid: must be 16 bytes";
    else if (!rr_code_ok(in->period_code))
        bad = "period_code: required, a period code such as 2025-six_month";
    else if (*in->agency_code && !rr_code_ok(in->agency_code))
        bad = "agency_code: must be an agency code (or empty for every reporter)";
    else if (!*in->until || !field_date_ok(in->until))
        bad = "until: required, the new last day as YYYY-MM-DD";
    else if (!field_text_ok(in->reason, MAX_REASON))
        bad = "reason: must be UTF-8 text of at most 2000 bytes";
    else if (!has_text(in->reason))
        bad = "reason: required; say why the deadline is extended";
    if (bad) {
        handler_fail(call, done, TAMNONG__STATUS__INVALID_ARGUMENT, "%s", bad);
        return;
    }
    char sha[65], uuid[37], aid[24];
    if (handler_request_sha256(&in->base, sha) != 0) {
        handler_fail(call, done, TAMNONG__STATUS__RESOURCE_EXHAUSTED,
                     "the server is out of memory");
        return;
    }
    handler_uuid_text(in->request_uuid.data, uuid);
    caller_id(call, aid);
    const char *params[] = {aid,       uuid,      sha, in->period_code, in->agency_code,
                            in->until, in->reason};
    handler_query(call, done, SQL_DEADLINE_EXTEND, 7, params, deadline_extend_rows, NULL);
}
