/* handlers_plan: the plan as data over RPC: PlanImport (standing agency and
 * operator only: the file is parsed and validated off the loop, then loaded
 * by one statement), and the read-only PlanTasks, PlanTargets, Periods and
 * Agencies queries. Response strings point into the PGresult or the parsed
 * JSON, both alive until done() returns; the message structs (and that JSON)
 * live in an arena freed after done(). */
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <uv.h>

#include "handler_util.h"
#include "handlers.h"
#include "log.h"
#include "plan_json.h"
#include "planfile.h"
#include "server.h"

#define MAX_CODE        64
#define MAX_DATE        10
#define MAX_ERROR_LINES 5

/* Answer resp, or RESOURCE_EXHAUSTED when the arena ran out of memory; then
 * free the arena (and the JSON it holds). */
JSON_MESSAGE(plan_change, Tamnong__PlanChange, tamnong__plan_change__descriptor)
JSON_MESSAGE(target_info, Tamnong__TargetInfo, tamnong__target_info__descriptor)
JSON_MESSAGE(successor, Tamnong__Successor, tamnong__successor__descriptor)

static void answer(struct call *call, ProtobufCClosure done, const ProtobufCMessage *resp,
                   struct arena *a)
{
    if (a->oom)
        handler_fail(call, done, TAMNONG__STATUS__RESOURCE_EXHAUSTED, "out of memory");
    else
        done(resp, call);
    arena_free(a);
}

/* "" for PostgreSQL's open-ended dates. */
static char *pg_date(const PGresult *res, int row, int col)
{
    char *s = pg_text(res, row, col);
    return strcmp(s, "-infinity") == 0 || strcmp(s, "infinity") == 0 ? (char *)"" : s;
}

/* ---------------------------------------------------------------- PlanImport */

struct import_job {
    uv_work_t work;
    struct call *call;
    ProtobufCClosure done;
    /* in */
    char *name;
    char *content;
    size_t len;
    /* out (worker thread) */
    char *json;
    char errors[900];
    int n_errors;
    int counts[4]; /* agencies, tasks, indicators, targets */
};

static void import_job_free(struct import_job *j)
{
    free(j->name);
    free(j->content);
    free(j->json);
    free(j);
}

static void import_job_release(void *j)
{
    import_job_free(j);
}

/* Worker thread: parse, validate and turn into the JSON plan_import() takes. */
static void import_parse(uv_work_t *w)
{
    struct import_job *j = w->data;
    struct plan *plan = NULL;
    struct plan_errors errs;
    plan_errors_init(&errs);
    if (planfile_parse_buffer(j->name, j->content, j->len, &plan, &errs) != 0) {
        size_t off = 0;
        j->n_errors = (int)errs.n;
        for (size_t i = 0; i < errs.n && i < MAX_ERROR_LINES && off < sizeof j->errors; i++) {
            int n = snprintf(j->errors + off, sizeof j->errors - off, "%s%s", i ? "\n" : "",
                             errs.v[i].msg);
            if (n < 0)
                break;
            off += (size_t)n;
        }
        plan_errors_free(&errs);
        return;
    }
    plan_errors_free(&errs);
    /* The plan is known by its document number ("176/KH-UBND"), so a renamed
     * file is still the same plan; without one, by the file's base name. */
    char code[MAX_CODE + 1];
    const char *base = strrchr(j->name, '/');
    base = base ? base + 1 : j->name;
    if (plan->meta.document_number && plan->meta.document_number[0])
        snprintf(code, sizeof code, "%s", plan->meta.document_number);
    else
        snprintf(code, sizeof code, "%.*s", (int)strcspn(base, "."), base);
    json_t *doc = plan_to_json(plan, code[0] ? code : "plan");
    if (doc) {
        j->json = json_dumps(doc, JSON_COMPACT);
        json_decref(doc);
    }
    j->counts[0] = (int)plan->n_agencies;
    j->counts[1] = (int)plan->n_tasks;
    j->counts[2] = (int)plan->n_indicators;
    j->counts[3] = (int)plan->n_targets;
    plan_free(plan);
}

static void import_rows(struct call *call, ProtobufCClosure done, const PGresult *res, void *arg);

static void import_parsed(uv_work_t *w, int status)
{
    struct import_job *j = w->data;
    struct call *call = j->call;
    ProtobufCClosure done = j->done;
    if (status != 0 || (!j->json && j->n_errors == 0)) {
        handler_fail(call, done, TAMNONG__STATUS__INTERNAL, "the plan could not be read");
    } else if (j->n_errors) {
        handler_fail(call, done, TAMNONG__STATUS__INVALID_ARGUMENT,
                     "the plan file has %d problem(s); nothing was loaded:\n%s", j->n_errors,
                     j->errors);
    } else {
        char importer[24];
        snprintf(importer, sizeof importer, "%lld", (long long)call_agency(call)->id);
        const char *params[] = {j->json, importer};
        /* The job (and its counts) lives on until the rows come. */
        handler_query_arg(call, done, SQL_PLAN_IMPORT, 2, params, import_rows, j,
                          import_job_release);
        return;
    }
    import_job_free(j);
}

static void import_rows(struct call *call, ProtobufCClosure done, const PGresult *res, void *arg)
{
    struct import_job *j = arg;
    int counts[4];
    memcpy(counts, j->counts, sizeof counts);
    import_job_free(j);
    json_t *r = handler_answer_json(call, done, res);
    if (!r)
        return;
    struct arena a = {0};
    Tamnong__PlanImportResponse resp = TAMNONG__PLAN_IMPORT_RESPONSE__INIT;
    resp.plan = jstr(r, "plan");
    resp.version = (int32_t)jint(r, "version");
    resp.changed = jbool(r, "changed");
    resp.agencies = counts[0];
    resp.tasks = counts[1];
    resp.indicators = counts[2];
    resp.targets = counts[3];
    CONVERT_ARRAY(&a, json_object_get(r, "changes"), &resp.changes, &resp.n_changes, plan_change);
    if (!a.oom)
        log_notice("plan %s imported by %s: version %d%s, %zu change(s)", resp.plan,
                   call_agency(call)->code, resp.version, resp.changed ? "" : " (unchanged)",
                   resp.n_changes);
    answer(call, done, &resp.base, &a);
    json_decref(r);
}

HANDLER(plan_import, PlanImportRequest, PlanImportResponse)
{
    const Tamnong__PlanImportRequest *in = input;
    struct call *call = closure_data;
    ProtobufCClosure done = (ProtobufCClosure)typed_done;
    if (!handler_require_admin(call, done))
        return;
    if (!field_text_ok(in->file_name, 255)) {
        handler_fail(call, done, TAMNONG__STATUS__INVALID_ARGUMENT,
                     "file_name: must be valid UTF-8 of at most 255 bytes");
        return;
    }
    if (in->content.len == 0) {
        handler_fail(call, done, TAMNONG__STATUS__INVALID_ARGUMENT, "content: the file is empty");
        return;
    }
    struct import_job *j = calloc(1, sizeof *j);
    if (j) {
        j->name = strdup(in->file_name[0] ? in->file_name : "plan");
        j->content = malloc(in->content.len);
    }
    if (!j || !j->name || !j->content) {
        if (j)
            import_job_free(j);
        handler_fail(call, done, TAMNONG__STATUS__RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    memcpy(j->content, in->content.data, in->content.len);
    j->len = in->content.len;
    j->call = call;
    j->done = done;
    j->work.data = j;
    /* Parsing a large file is CPU work: keep it off the loop. */
    int rc = uv_queue_work(call_server(call)->loop, &j->work, import_parse, import_parsed);
    if (rc != 0) {
        import_job_free(j);
        handler_fail(call, done, TAMNONG__STATUS__INTERNAL, "could not schedule the import");
    }
}

/* ---------------------------------------------------------------- PlanTasks */

static void tasks_rows(struct call *call, ProtobufCClosure done, const PGresult *res, void *arg)
{
    int rows = PQntuples(res);
    struct arena a = {0};
    Tamnong__PlanTasksResponse resp = TAMNONG__PLAN_TASKS_RESPONSE__INIT;
    resp.n_tasks = (size_t)rows;
    resp.tasks = (Tamnong__TaskInfo **)arena_ptrs(&a, resp.n_tasks);
    resp.at = rows ? pg_text(res, 0, 0) : (char *)"";
    for (int i = 0; !a.oom && i < rows; i++) {
        Tamnong__TaskInfo *t = resp.tasks[i] = arena_alloc(&a, sizeof *t);
        if (!t)
            break;
        tamnong__task_info__init(t);
        resp.plan_version = atoi(pg_text(res, i, 1));
        t->code = pg_text(res, i, 2);
        t->section = pg_text(res, i, 3);
        t->title = pg_text(res, i, 4);
        t->text = pg_text(res, i, 5);
        t->deadline_kind = pg_text(res, i, 6);
        t->deadline_value = pg_text(res, i, 7);
        t->expected_output = pg_text(res, i, 8);
        t->role = pg_text(res, i, 11);
        CONVERT_ARRAY(&a, arena_json(&a, pg_text(res, i, 9)), &t->lead, &t->n_lead, agency_ref);
        CONVERT_ARRAY(&a, arena_json(&a, pg_text(res, i, 10)), &t->coordinating, &t->n_coordinating,
                      agency_ref);
    }
    answer(call, done, &resp.base, &a);
}

HANDLER(plan_tasks, PlanTasksRequest, PlanTasksResponse)
{
    const Tamnong__PlanTasksRequest *in = input;
    struct call *call = closure_data;
    ProtobufCClosure done = (ProtobufCClosure)typed_done;
    if (!field_text_ok(in->agency_code, MAX_CODE) || !field_text_ok(in->section, 32) ||
        !field_date_ok(in->at)) {
        handler_fail(call, done, TAMNONG__STATUS__INVALID_ARGUMENT, "%s",
                     !field_date_ok(in->at) ? "at: not a date; write YYYY-MM-DD"
                     : !field_text_ok(in->section, 32)
                         ? "section: must be a section code such as III.4 or 4"
                         : "agency_code: must be an agency code");
        return;
    }
    /* "4" means section III.4 (the tasks are all in part III). */
    char section[40] = "";
    if (in->section[0] >= '0' && in->section[0] <= '9')
        snprintf(section, sizeof section, "III.%s", in->section);
    else
        snprintf(section, sizeof section, "%s", in->section);
    const char *params[] = {in->agency_code, section, in->at[0] ? in->at : NULL};
    handler_query(call, done, SQL_PLAN_TASKS, 3, params, tasks_rows, NULL);
}

/* ---------------------------------------------------------------- PlanTargets */

static char *string(struct arena *a, const json_t *x)
{
    return (char *)json_string_value(x);
}

static void targets_rows(struct call *call, ProtobufCClosure done, const PGresult *res, void *arg)
{
    int rows = PQntuples(res);
    struct arena a = {0};
    Tamnong__PlanTargetsResponse resp = TAMNONG__PLAN_TARGETS_RESPONSE__INIT;
    resp.n_indicators = (size_t)rows;
    resp.indicators = (Tamnong__IndicatorInfo **)arena_ptrs(&a, resp.n_indicators);
    for (int i = 0; !a.oom && i < rows; i++) {
        Tamnong__IndicatorInfo *x = resp.indicators[i] = arena_alloc(&a, sizeof *x);
        if (!x)
            break;
        tamnong__indicator_info__init(x);
        resp.plan_version = atoi(pg_text(res, i, 0));
        x->key = pg_text(res, i, 1);
        x->name = pg_text(res, i, 2);
        x->unit = pg_text(res, i, 3);
        x->rule = pg_text(res, i, 4);
        x->baseline_year = atoi(pg_text(res, i, 5));
        x->baseline = pg_text(res, i, 6);
        x->task = pg_text(res, i, 7);
        CONVERT_ARRAY(&a, arena_json(&a, pg_text(res, i, 8)), &x->reporters, &x->n_reporters,
                      string);
        CONVERT_ARRAY(&a, arena_json(&a, pg_text(res, i, 9)), &x->targets, &x->n_targets,
                      target_info);
    }
    answer(call, done, &resp.base, &a);
}

HANDLER(plan_targets, PlanTargetsRequest, PlanTargetsResponse)
{
    handler_query(closure_data, (ProtobufCClosure)typed_done, SQL_PLAN_TARGETS, 0, NULL,
                  targets_rows, NULL);
}

/* ---------------------------------------------------------------- Periods */

static void periods_rows(struct call *call, ProtobufCClosure done, const PGresult *res, void *arg)
{
    int rows = PQntuples(res);
    struct arena a = {0};
    Tamnong__PeriodsResponse resp = TAMNONG__PERIODS_RESPONSE__INIT;
    resp.n_periods = (size_t)rows;
    resp.periods = (Tamnong__PeriodInfo **)arena_ptrs(&a, resp.n_periods);
    for (int i = 0; !a.oom && i < rows; i++) {
        Tamnong__PeriodInfo *p = resp.periods[i] = arena_alloc(&a, sizeof *p);
        if (!p)
            break;
        tamnong__period_info__init(p);
        p->code = pg_text(res, i, 0);
        p->regime = pg_text(res, i, 1);
        p->regime_name = pg_text(res, i, 2);
        p->year = atoi(pg_text(res, i, 3));
        p->window_start = pg_text(res, i, 4);
        p->window_end = pg_text(res, i, 5);
        p->deadline = pg_text(res, i, 6);
        p->deadline_at_ms = strtoll(pg_text(res, i, 7), NULL, 10);
        p->time_zone = pg_text(res, i, 8);
        p->extended_deadline_at_ms = strtoll(pg_text(res, i, 9), NULL, 10);
        p->extension_reason = pg_text(res, i, 10);
    }
    answer(call, done, &resp.base, &a);
}

HANDLER(periods, PeriodsRequest, PeriodsResponse)
{
    const Tamnong__PeriodsRequest *in = input;
    struct call *call = closure_data;
    ProtobufCClosure done = (ProtobufCClosure)typed_done;
    if (in->year != 0 && (in->year < 2000 || in->year > 2100)) {
        handler_fail(call, done, TAMNONG__STATUS__INVALID_ARGUMENT,
                     "year: must be between 2000 and 2100");
        return;
    }
    char year[16];
    snprintf(year, sizeof year, "%d", in->year);
    /* The caller's own extensions are shown with the periods. */
    const struct agency_identity *who = call_agency(call);
    char aid[24];
    snprintf(aid, sizeof aid, "%lld", who ? (long long)who->id : -1LL);
    const char *params[] = {in->year ? year : NULL, aid};
    handler_query(call, done, SQL_PERIODS, 2, params, periods_rows, NULL);
}

/* ---------------------------------------------------------------- Agencies */

static void agencies_rows(struct call *call, ProtobufCClosure done, const PGresult *res, void *arg)
{
    int rows = PQntuples(res);
    struct arena a = {0};
    Tamnong__AgenciesResponse resp = TAMNONG__AGENCIES_RESPONSE__INIT;
    resp.n_agencies = (size_t)rows;
    resp.agencies = (Tamnong__AgencyInfo **)arena_ptrs(&a, resp.n_agencies);
    resp.at = rows ? pg_text(res, 0, 0) : (char *)"";
    for (int i = 0; !a.oom && i < rows; i++) {
        Tamnong__AgencyInfo *x = resp.agencies[i] = arena_alloc(&a, sizeof *x);
        if (!x)
            break;
        tamnong__agency_info__init(x);
        x->code = pg_text(res, i, 1);
        x->name = pg_text(res, i, 2);
        x->kind = pg_text(res, i, 3);
        x->short_name = pg_text(res, i, 4);
        x->parent = pg_text(res, i, 5);
        x->valid_from = pg_date(res, i, 6);
        x->valid_to = pg_date(res, i, 7);
        CONVERT_ARRAY(&a, arena_json(&a, pg_text(res, i, 8)), &x->successors, &x->n_successors,
                      successor);
    }
    answer(call, done, &resp.base, &a);
}

HANDLER(agencies, AgenciesRequest, AgenciesResponse)
{
    const Tamnong__AgenciesRequest *in = input;
    struct call *call = closure_data;
    ProtobufCClosure done = (ProtobufCClosure)typed_done;
    if (!field_date_ok(in->at)) {
        handler_fail(call, done, TAMNONG__STATUS__INVALID_ARGUMENT,
                     "at: not a date; write YYYY-MM-DD");
        return;
    }
    const char *params[] = {in->at[0] ? in->at : NULL};
    handler_query(call, done, SQL_AGENCIES, 1, params, agencies_rows, NULL);
}
