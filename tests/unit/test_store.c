/* test_store: the agency client's local state (client/store.c, outbox.c,
 * draft.c, sync.c's pull applier): schema and pragmas, outbox order and
 * exact bytes, acknowledgement in one transaction, crash safety (a child
 * process dies in the middle of a step; the reopened database holds the item
 * either queued or acknowledged, never lost), drafts and the SubmitRequest
 * built from them, decimal normalisation, task-update replacement, refusal
 * cascading to dependents, pull application, deadline states. */
#include <stdbool.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "draft.h"
#include "outbox.h"
#include "reminder_store.h"
#include "store.h"
#include "sync.h"
#include "tamnong.pb-c.h"
#include "unit.h"

static char base[256];
static int dirs;

/* A fresh state directory for each test. */
static struct store *fresh(char *dir, size_t len)
{
    snprintf(dir, len, "%s/s%d", base, ++dirs);
    struct store *s = NULL;
    char err[512];
    if (store_open(dir, &s, err, sizeof err) < 0) {
        fprintf(stderr, "store_open: %s\n", err);
        exit(2);
    }
    return s;
}

static struct store *reopen(const char *dir)
{
    struct store *s = NULL;
    char err[512];
    if (store_open(dir, &s, err, sizeof err) < 0) {
        fprintf(stderr, "store_open: %s\n", err);
        exit(2);
    }
    return s;
}

static long long q_int(struct store *s, const char *sql)
{
    sqlite3_stmt *st = store_prepare(s, sql);
    long long v = -999;
    if (st && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static const char *q_text(struct store *s, const char *sql, char *buf, size_t len)
{
    sqlite3_stmt *st = store_prepare(s, sql);
    snprintf(buf, len, "(none)");
    if (st && sqlite3_step(st) == SQLITE_ROW) {
        const char *v = (const char *)sqlite3_column_text(st, 0);
        snprintf(buf, len, "%s", v ? v : "(null)");
    }
    sqlite3_finalize(st);
    return buf;
}

/* Queue a Submit for `period` with one value, as its own batch. */
static int64_t queue_submit(struct store *s, const char *period, const char *value)
{
    uint8_t uuid[OUTBOX_UUID_LEN];
    if (outbox_new_uuid(uuid) < 0)
        return -1;
    Tamnong__IndicatorValue v = TAMNONG__INDICATOR_VALUE__INIT;
    v.key = (char *)"ocop_products";
    v.value = (char *)value;
    Tamnong__IndicatorValue *vs[] = {&v};
    Tamnong__SubmitRequest r = TAMNONG__SUBMIT_REQUEST__INIT;
    r.request_uuid.data = uuid;
    r.request_uuid.len = sizeof uuid;
    r.period_code = (char *)period;
    r.values = vs;
    r.n_values = 1;
    int64_t seq = -1;
    if (store_begin(s) < 0 || outbox_add(s, 0, "Submit", period, uuid, &r.base, &seq) < 0 ||
        store_commit(s) < 0)
        return -1;
    return seq;
}

TEST(schema_and_pragmas)
{
    char dir[300], buf[64];
    struct store *s = fresh(dir, sizeof dir);
    CHECK_EQ_STR(q_text(s, "PRAGMA journal_mode", buf, sizeof buf), "wal");
    CHECK_EQ_INT(q_int(s, "PRAGMA synchronous"), 2); /* FULL */
    CHECK_EQ_INT(q_int(s, "PRAGMA foreign_keys"), 1);
    CHECK_EQ_INT(q_int(s, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
    CHECK(store_meta_set(s, "cursor", "42") == 0);
    store_close(s);
    s = reopen(dir); /* migrations are idempotent; data stays */
    CHECK_EQ_INT(store_meta_int(s, "cursor", 0), 42);
    CHECK_EQ_INT(q_int(s, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
    CHECK(store_integrity_ok(s));
    /* A newer schema is refused, not silently used. */
    CHECK(store_exec(s, "PRAGMA user_version = 99") == 0);
    store_close(s);
    struct store *t = NULL;
    char err[512];
    CHECK(store_open(dir, &t, err, sizeof err) < 0);
    CHECK(strstr(err, "newer") != NULL);
}

TEST(outbox_order_and_bytes)
{
    char dir[300];
    struct store *s = fresh(dir, sizeof dir);
    int64_t a = queue_submit(s, "2025-six_month", "1");
    int64_t b = queue_submit(s, "2025-six_month", "2");
    int64_t c = queue_submit(s, "2025-annual", "3");
    CHECK(a > 0 && b > a && c > b);
    CHECK_EQ_INT(outbox_waiting(s), 3);
    struct outbox_item it[3];
    int64_t after = 0;
    for (int i = 0; i < 3; i++) {
        CHECK_EQ_INT(outbox_next(s, after, &it[i]), 1);
        after = it[i].seq;
    }
    struct outbox_item none;
    CHECK_EQ_INT(outbox_next(s, after, &none), 0);
    CHECK_EQ_INT(it[0].seq, a);
    CHECK_EQ_INT(it[1].seq, b);
    CHECK_EQ_INT(it[2].seq, c);
    CHECK(memcmp(it[0].uuid, it[1].uuid, OUTBOX_UUID_LEN) != 0);
    CHECK_EQ_INT(it[0].uuid[6] >> 4, 4); /* version-4 UUID */
    /* The stored bytes are the request, with its uuid inside. */
    Tamnong__SubmitRequest *r = tamnong__submit_request__unpack(NULL, it[1].len, it[1].payload);
    CHECK(r != NULL);
    CHECK_EQ_INT(r->request_uuid.len, OUTBOX_UUID_LEN);
    CHECK(memcmp(r->request_uuid.data, it[1].uuid, OUTBOX_UUID_LEN) == 0);
    CHECK_EQ_STR(r->values[0]->value, "2");
    /* Repacking gives the same bytes: a retry sends exactly what was stored. */
    size_t n = tamnong__submit_request__get_packed_size(r);
    uint8_t *again = malloc(n);
    tamnong__submit_request__pack(r, again);
    CHECK_EQ_INT(n, it[1].len);
    CHECK(memcmp(again, it[1].payload, n) == 0);
    free(again);
    tamnong__submit_request__free_unpacked(r, NULL);
    for (int i = 0; i < 3; i++)
        outbox_item_free(&it[i]);
    store_close(s);
}

TEST(ack_is_one_transaction)
{
    char dir[300];
    struct store *s = fresh(dir, sizeof dir);
    CHECK(store_begin(s) == 0 && draft_touch(s, "2025-six_month", NULL) == 0 &&
          store_commit(s) == 0);
    int64_t seq;
    CHECK(draft_queue_submit(s, "2025-six_month", NULL, NULL, &seq, NULL, 0) == 0);
    struct outbox_item it;
    CHECK_EQ_INT(outbox_next(s, 0, &it), 1);
    struct outbox_receipt rc = {
        .submission_id = 7, .revision = 1, .received_at_ms = 1000, .on_time = true};

    /* The receipt cannot be written: the item must stay, nothing half-done. */
    CHECK(store_exec(s, "ALTER TABLE receipts RENAME TO receipts_gone") == 0);
    CHECK(outbox_ack(s, &it, &rc) < 0);
    CHECK_EQ_INT(outbox_waiting(s), 1);
    char buf[64];
    CHECK_EQ_STR(q_text(s, "SELECT state FROM drafts", buf, sizeof buf), "queued");
    CHECK(store_exec(s, "ALTER TABLE receipts_gone RENAME TO receipts") == 0);

    CHECK(outbox_ack(s, &it, &rc) == 0);
    CHECK_EQ_INT(outbox_waiting(s), 0);
    CHECK_EQ_INT(q_int(s, "SELECT count(*) FROM receipts WHERE submission_id = 7"), 1);
    CHECK_EQ_STR(q_text(s, "SELECT state FROM drafts", buf, sizeof buf), "sent");
    CHECK_EQ_INT(q_int(s, "SELECT submission_id FROM drafts"), 7);
    CHECK_EQ_INT(q_int(s, "SELECT current FROM submissions WHERE submission_id = 7"), 1);
    outbox_item_free(&it);
    store_close(s);
}

/* Run fn in a child that dies with _exit(137) where fn says. */
static int in_child(const char *dir, void (*fn)(struct store *))
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        struct store *s = reopen(dir);
        fn(s);
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void crash_mid_ack(struct store *s)
{
    struct outbox_item it;
    if (outbox_next(s, 0, &it) != 1)
        _exit(3);
    /* The ack's transaction, cut before COMMIT. */
    store_begin(s);
    store_exec(s, "INSERT INTO receipts (request_uuid, seq, method, recorded_at_ms) "
                  "VALUES (x'00', 1, 'Submit', 0)");
    store_exec(s, "DELETE FROM outbox");
    _exit(137);
}

static void crash_after_ack(struct store *s)
{
    struct outbox_item it;
    if (outbox_next(s, 0, &it) != 1)
        _exit(3);
    struct outbox_receipt rc = {.submission_id = 9, .revision = 2};
    if (outbox_ack(s, &it, &rc) < 0)
        _exit(4);
    _exit(137); /* right after COMMIT returned */
}

static void crash_mid_queue(struct store *s)
{
    store_begin(s);
    draft_touch(s, "2025-annual", NULL);
    draft_set_text(s, "2025-annual", "results", "half written");
    _exit(137);
}

TEST(crash_safety)
{
    char dir[300];
    struct store *s = fresh(dir, sizeof dir);
    CHECK(queue_submit(s, "2025-six_month", "5") > 0);
    CHECK(outbox_begin_attempt(s, 1) == 0);
    store_close(s);

    CHECK_EQ_INT(in_child(dir, crash_mid_ack), 137);
    s = reopen(dir);
    CHECK(store_integrity_ok(s));
    CHECK_EQ_INT(outbox_waiting(s), 1); /* still queued: it will be sent again */
    CHECK_EQ_INT(q_int(s, "SELECT count(*) FROM receipts"), 0);
    CHECK_EQ_INT(q_int(s, "SELECT attempts FROM outbox"), 1);
    store_close(s);

    CHECK_EQ_INT(in_child(dir, crash_after_ack), 137);
    s = reopen(dir);
    CHECK(store_integrity_ok(s));
    CHECK_EQ_INT(outbox_waiting(s), 0); /* acknowledged, and the receipt is kept */
    CHECK_EQ_INT(q_int(s, "SELECT count(*) FROM receipts WHERE submission_id = 9"), 1);
    store_close(s);

    CHECK_EQ_INT(in_child(dir, crash_mid_queue), 137);
    s = reopen(dir);
    CHECK(store_integrity_ok(s));
    CHECK_EQ_INT(q_int(s, "SELECT count(*) FROM drafts WHERE period_code = '2025-annual'"), 0);
    store_close(s);
}

TEST(drafts_and_submit_request)
{
    char dir[300];
    struct store *s = fresh(dir, sizeof dir);
    const char *p = "2025-six_month";
    CHECK(store_begin(s) == 0);
    bool created = false;
    CHECK(draft_touch(s, p, &created) == 0);
    CHECK(created);
    CHECK(draft_set_value(s, p, "ocop_products", "12", "", "", "") == 0);
    CHECK(draft_set_value(s, p, "clean_water_share", "", "4500.5", "5000", "") == 0);
    CHECK(draft_set_value(s, p, "ocop_products", "13", "", "", "sửa") == 0); /* replaces */
    CHECK(draft_set_value(s, p, "zzz", "1", "", "", "") == 0);
    CHECK(draft_unset_value(s, p, "zzz") == 0);
    CHECK(draft_set_text(s, p, "results", "Kết quả") == 0);
    CHECK(draft_set_text(s, p, "bogus", "x") < 0);
    CHECK(draft_add_attachment(s, p,
                               "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03",
                               6, "a.txt", "text/plain") == 0);
    CHECK(draft_set_task(s, p, "III.1.c", "in_progress", 40, "đang làm") == 0);
    CHECK(store_commit(s) == 0);

    Tamnong__SubmitRequest *r;
    CHECK_EQ_INT(draft_build_submit(s, p, NULL, &r), 1);
    CHECK_EQ_STR(r->period_code, p);
    CHECK_EQ_INT(r->n_values, 2);
    CHECK_EQ_STR(r->values[0]->key, "clean_water_share"); /* sorted by key */
    CHECK_EQ_STR(r->values[0]->numerator, "4500.5");
    CHECK_EQ_STR(r->values[1]->value, "13");
    CHECK_EQ_STR(r->values[1]->note, "sửa");
    CHECK_EQ_STR(r->results, "Kết quả");
    CHECK_EQ_INT(r->n_attachments, 1);
    CHECK_EQ_INT(r->attachments[0]->size, 6);
    CHECK_EQ_INT(r->n_tasks, 1);
    CHECK_EQ_INT(r->tasks[0]->progress, 40);
    protobuf_c_message_free_unpacked(&r->base, NULL);
    CHECK_EQ_INT(draft_build_submit(s, "2099-annual", NULL, &r), 0);

    /* Validation: the shared rules; numerator above denominator is a problem. */
    struct rr_problems pr;
    rr_problems_init(&pr);
    bool plan;
    CHECK_EQ_INT(draft_validate(s, p, &pr, &plan), 0);
    CHECK(!plan);
    CHECK(store_begin(s) == 0 && draft_touch(s, p, NULL) == 0 &&
          draft_set_value(s, p, "clean_water_share", "", "6000", "5000", "") == 0 &&
          store_commit(s) == 0);
    CHECK(draft_validate(s, p, &pr, &plan) >= 1);
    CHECK(strstr(pr.lines[0], "numerator") != NULL);
    rr_problems_free(&pr);

    /* Queueing: the attachment first, then the report, one batch. */
    int64_t seq;
    CHECK(draft_queue_submit(s, p, NULL, NULL, &seq, NULL, 0) == 0);
    struct outbox_item a, b;
    CHECK_EQ_INT(outbox_next(s, 0, &a), 1);
    CHECK_EQ_INT(outbox_next(s, a.seq, &b), 1);
    CHECK_EQ_STR(a.method, "Attachment");
    CHECK_EQ_STR(b.method, "Submit");
    CHECK_EQ_INT(a.batch, b.batch);
    CHECK_EQ_INT(b.seq, seq);
    outbox_item_free(&a);
    outbox_item_free(&b);
    store_close(s);
}

TEST(decimal_normalisation)
{
    char out[64];
    static const char *const ok[][2] = {
        {"63.5", "63.5"},   {"63,5", "63.5"}, {" 12 ", "12"},   {"-3,25", "-3.25"},
        {"+7", "7"},        {"0,75", "0.75"}, {"1200", "1200"}, {"1,250", "1.250"},
        {"0.125", "0.125"}, {"12.5", "12.5"},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        CHECK_EQ_INT(store_normalize_decimal(ok[i][0], out, sizeof out), 0);
        CHECK_EQ_STR(out, ok[i][1]);
        CHECK(rr_decimal_ok(out));
    }
    static const char *const bad[] = {"",    "abc", ".5",  "5.",    "1.234,5", "1,234,567", "1 234",
                                      "1e3", "--1", "12%", "1.250", "9.000",   "-45.000"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_EQ_INT(store_normalize_decimal(bad[i], out, sizeof out), -1);
}

static int queue_task(struct store *s, const char *status, int progress)
{
    uint8_t uuid[OUTBOX_UUID_LEN];
    outbox_new_uuid(uuid);
    Tamnong__TaskUpdateRequest r = TAMNONG__TASK_UPDATE_REQUEST__INIT;
    r.request_uuid.data = uuid;
    r.request_uuid.len = sizeof uuid;
    r.task_code = (char *)"III.1.c";
    r.status = (char *)status;
    r.progress = progress;
    r.base_version = 3;
    int64_t seq;
    return task_queue_update(s, &r, NULL, NULL, NULL, 0, &seq);
}

TEST(task_update_replacement)
{
    char dir[300];
    struct store *s = fresh(dir, sizeof dir);
    CHECK_EQ_INT(queue_task(s, "in_progress", 10), 0);
    struct outbox_item first;
    CHECK_EQ_INT(outbox_next(s, 0, &first), 1);        /* a sync picks it up... */
    CHECK_EQ_INT(queue_task(s, "in_progress", 20), 0); /* ...untried: replaced */
    CHECK_EQ_INT(outbox_waiting(s), 1);
    /* ...and must then not send the replaced one. */
    CHECK_EQ_INT(outbox_begin_attempt(s, first.seq), 1);
    outbox_item_free(&first);
    struct task_state ts;
    CHECK(task_state_load(s, "III.1.c", &ts) == 0);
    CHECK_EQ_INT(ts.progress, 20);
    CHECK(ts.pending_seq > 0);
    int64_t seq = ts.pending_seq;
    task_state_free(&ts);
    CHECK(outbox_begin_attempt(s, seq) == 0);
    /* Tried: it may have reached the server; a new update must wait. */
    CHECK_EQ_INT(queue_task(s, "completed", 100), -2);
    CHECK_EQ_INT(outbox_waiting(s), 1);
    store_close(s);
}

TEST(refusal_cascades_to_dependents)
{
    char dir[300];
    struct store *s = fresh(dir, sizeof dir);
    const char *p = "2025-six_month";
    CHECK(store_begin(s) == 0 && draft_touch(s, p, NULL) == 0 &&
          draft_add_attachment(s, p,
                               "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03",
                               6, "a.txt", "text/plain") == 0 &&
          store_commit(s) == 0);
    int64_t seq;
    CHECK(draft_queue_submit(s, p, NULL, NULL, &seq, NULL, 0) == 0);
    int64_t other = queue_submit(s, "2025-annual", "1"); /* another batch */
    struct outbox_item att;
    CHECK_EQ_INT(outbox_next(s, 0, &att), 1);
    CHECK_EQ_INT(outbox_fail(s, &att, TAMNONG__STATUS__INVALID_ARGUMENT, "too big"), 2);
    outbox_item_free(&att);
    CHECK_EQ_INT(outbox_waiting(s), 1); /* the other batch goes on */
    CHECK_EQ_INT(outbox_failed(s), 2);
    struct outbox_item it;
    CHECK_EQ_INT(outbox_next(s, 0, &it), 1);
    CHECK_EQ_INT(it.seq, other);
    outbox_item_free(&it);
    char buf[64];
    CHECK_EQ_STR(q_text(s, "SELECT state FROM drafts", buf, sizeof buf), "draft");
    CHECK_EQ_INT(outbox_forget_failed(s), 2);
    store_close(s);
}

TEST(pull_applies)
{
    char dir[300], buf[128];
    struct store *s = fresh(dir, sizeof dir);
    Tamnong__AgencyRef lead = TAMNONG__AGENCY_REF__INIT;
    lead.code = (char *)"UBND-A";
    Tamnong__AgencyRef *leads[] = {&lead};
    Tamnong__TaskInfo ti = TAMNONG__TASK_INFO__INIT;
    ti.code = (char *)"III.1.c";
    ti.title = (char *)"Việc thứ ba";
    ti.role = (char *)"lead";
    ti.lead = leads;
    ti.n_lead = 1;
    ti.deadline_kind = (char *)"date";
    ti.deadline_value = (char *)"2025-07-01";
    Tamnong__TaskStatus ts = TAMNONG__TASK_STATUS__INIT;
    ts.status = (char *)"in_progress";
    ts.progress = 30;
    ts.version = 4;
    Tamnong__Assignment as = TAMNONG__ASSIGNMENT__INIT;
    as.task = &ti;
    as.status = &ts;
    Tamnong__Assignment *asp[] = {&as};
    Tamnong__PeriodInfo per = TAMNONG__PERIOD_INFO__INIT;
    per.code = (char *)"2025-six_month";
    per.deadline = (char *)"2025-06-15";
    Tamnong__PeriodInfo *pers[] = {&per};
    Tamnong__PullResponse pr = TAMNONG__PULL_RESPONSE__INIT;
    pr.plan_version = 1;
    pr.plan_changed = true;
    pr.assignments = asp;
    pr.n_assignments = 1;
    pr.periods = pers;
    pr.n_periods = 1;
    pr.cursor = 10;
    pr.as_of = (char *)"2025-06-01";
    struct pull_summary sum;
    CHECK(sync_apply_pull(s, &pr, &sum) == 0);
    CHECK_EQ_INT(sum.tasks, 1);
    CHECK_EQ_INT(store_meta_int(s, "cursor", 0), 10);
    CHECK_EQ_STR(q_text(s, "SELECT lead FROM tasks", buf, sizeof buf), "UBND-A");
    CHECK_EQ_INT(q_int(s, "SELECT version FROM tasks"), 4);

    /* An older status never overwrites a newer one; a returned submission
     * reaches the draft that produced it, with the reason. */
    CHECK(store_begin(s) == 0 && draft_touch(s, "2025-six_month", NULL) == 0 &&
          store_exec(s, "UPDATE drafts SET state = 'sent', submission_id = 5") == 0 &&
          store_commit(s) == 0);
    Tamnong__TaskStatus old = TAMNONG__TASK_STATUS__INIT;
    old.task_code = (char *)"III.1.c";
    old.status = (char *)"not_started";
    old.version = 2;
    Tamnong__TaskStatus *olds[] = {&old};
    Tamnong__SubmissionState sub = TAMNONG__SUBMISSION_STATE__INIT;
    sub.submission_id = 5;
    sub.period_code = (char *)"2025-six_month";
    sub.revision = 1;
    sub.state = (char *)"returned";
    sub.reason = (char *)"Thiếu số liệu";
    sub.current = true;
    Tamnong__SubmissionState *subs[] = {&sub};
    Tamnong__PullResponse p2 = TAMNONG__PULL_RESPONSE__INIT;
    p2.plan_version = 1;
    p2.task_statuses = olds;
    p2.n_task_statuses = 1;
    p2.submissions = subs;
    p2.n_submissions = 1;
    p2.cursor = 11;
    CHECK(sync_apply_pull(s, &p2, &sum) == 0);
    CHECK_EQ_INT(sum.returned, 1);
    CHECK_EQ_STR(q_text(s, "SELECT status FROM tasks", buf, sizeof buf), "in_progress");
    CHECK_EQ_STR(q_text(s, "SELECT state FROM drafts", buf, sizeof buf), "returned");
    CHECK_EQ_STR(q_text(s, "SELECT reason FROM drafts", buf, sizeof buf), "Thiếu số liệu");

    /* Deadline states, computed on a given day. */
    CHECK_EQ_STR(task_deadline_state(s, "date", "2025-07-01", "in_progress", "2025-06-10"),
                 "due_soon");
    CHECK_EQ_STR(task_deadline_state(s, "date", "2025-07-01", "in_progress", "2025-05-01"),
                 "in_time");
    CHECK_EQ_STR(task_deadline_state(s, "date", "2025-07-01", "postponed", "2025-07-02"),
                 "overdue");
    CHECK_EQ_STR(task_deadline_state(s, "date", "2025-07-01", "completed", "2025-07-02"),
                 "completed");
    CHECK_EQ_STR(task_deadline_state(s, "by_year", "2024", "in_progress", "2025-01-01"), "overdue");
    CHECK_EQ_STR(task_deadline_state(s, "by_year", "2025", "in_progress", "2025-12-05"),
                 "due_soon");
    CHECK_EQ_STR(task_deadline_state(s, "every_period", "", "in_progress", "2025-06-08"),
                 "due_soon");
    CHECK_EQ_STR(task_deadline_state(s, "every_period", "", "in_progress", "2025-05-01"),
                 "in_time");
    CHECK_EQ_STR(task_deadline_state(s, "continuous", "", "not_started", "2030-01-01"), "in_time");
    store_close(s);
}

TEST(files_are_copied)
{
    char dir[300], path[400], sha[65], err[512];
    struct store *s = fresh(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/orig.txt", base);
    FILE *f = fopen(path, "w");
    fputs("hello\n", f);
    fclose(f);
    int64_t size = 0;
    CHECK(store_add_file(s, path, 0, sha, &size, err, sizeof err) == 0);
    CHECK_EQ_STR(sha, "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03");
    CHECK_EQ_INT(size, 6);
    unlink(path);
    char copy[400], sha2[65];
    store_file_path(s, sha, copy, sizeof copy);
    CHECK(store_sha256_file(copy, sha2, &size) == 0);
    CHECK_EQ_STR(sha2, sha);
    f = fopen(path, "w");
    fputs("0123456789", f);
    fclose(f);
    CHECK(store_add_file(s, path, 5, sha, &size, err, sizeof err) < 0); /* too big */
    unlink(path);
    store_close(s);
}

static void setup(void)
{
    snprintf(base, sizeof base, "/tmp/test_store.XXXXXX");
    if (!mkdtemp(base)) {
        perror("mkdtemp");
        exit(2);
    }
    unsetenv("TAMNONG_TEST_TODAY");
}

static void cleanup(void)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", base);
}

TEST(begin)
{
    setup();
}

TEST(end)
{
    cleanup();
}

/* Schema 2: an older state gets the periods' extension columns; a pull
 * keeps this agency's extension (periods come complete on every pull, also
 * without a plan change; a pull without periods keeps them); the reminders
 * loaded from the store use the extension and the outbox. */
TEST(periods_extension_and_reminders)
{
    char dir[300], buf[128];
    struct store *s = fresh(dir, sizeof dir);
    CHECK(store_exec(s, "ALTER TABLE periods DROP COLUMN extension_reason; ALTER TABLE periods "
                        "DROP COLUMN extended_deadline_at_ms; PRAGMA user_version = 1") == 0);
    store_close(s);
    s = reopen(dir);
    CHECK_EQ_INT(q_int(s, "PRAGMA user_version"), 2);
    CHECK_EQ_INT(q_int(s, "SELECT count(*) FROM pragma_table_info('periods') WHERE name IN "
                          "('extended_deadline_at_ms', 'extension_reason')"),
                 2);
    /* 2025-06-16T00:00+07 and 2025-07-01T00:00+07: the ends of 15 and 30 June */
    const int64_t end_15 = 1750006800000LL, end_30 = 1751302800000LL;
    Tamnong__PeriodInfo per = TAMNONG__PERIOD_INFO__INIT;
    per.code = (char *)"2025-six_month";
    per.deadline = (char *)"2025-06-15";
    per.deadline_at_ms = end_15;
    per.extended_deadline_at_ms = end_30;
    per.extension_reason = (char *)"Lũ quét";
    Tamnong__PeriodInfo *pers[] = {&per};
    Tamnong__PullResponse pr = TAMNONG__PULL_RESPONSE__INIT;
    pr.plan_version = 1;
    pr.plan_changed = false;
    pr.periods = pers;
    pr.n_periods = 1;
    struct pull_summary sum;
    CHECK(sync_apply_pull(s, &pr, &sum) == 0);
    CHECK_EQ_INT(q_int(s, "SELECT extended_deadline_at_ms FROM periods"), end_30);
    CHECK_EQ_STR(q_text(s, "SELECT extension_reason FROM periods", buf, sizeof buf), "Lũ quét");
    Tamnong__PullResponse none = TAMNONG__PULL_RESPONSE__INIT;
    none.plan_version = 1;
    CHECK(sync_apply_pull(s, &none, &sum) == 0);
    CHECK_EQ_INT(q_int(s, "SELECT count(*) FROM periods"), 1);

    struct reminder_item *items;
    size_t n;
    int64_t day = 86400000LL;
    /* on 15 June (08:00 +07): the extension leaves 15 days: nothing */
    CHECK(reminder_store_load(s, end_15 - 16 * 3600000LL, &items, &n) == 0);
    CHECK_EQ_INT(n, 0);
    free(items);
    /* on 27 June: T-3 of the extended deadline */
    CHECK(reminder_store_load(s, end_15 + 11 * day + 3600000LL, &items, &n) == 0);
    CHECK_EQ_INT(n, 1);
    CHECK_EQ_INT(items[0].r.level, REMINDER_T3);
    CHECK(items[0].r.extended);
    CHECK_EQ_STR(items[0].r.deadline_day, "2025-06-30");
    free(items);
    /* a queued Submit of that period: no reminder */
    uint8_t uuid[OUTBOX_UUID_LEN];
    CHECK(outbox_new_uuid(uuid) == 0);
    Tamnong__SubmitRequest req = TAMNONG__SUBMIT_REQUEST__INIT;
    req.request_uuid.data = uuid;
    req.request_uuid.len = OUTBOX_UUID_LEN;
    req.period_code = (char *)"2025-six_month";
    int64_t seq;
    CHECK(store_begin(s) == 0);
    CHECK(outbox_add(s, 0, "Submit", "2025-six_month", uuid, &req.base, &seq) == 0);
    CHECK(store_commit(s) == 0);
    CHECK(reminder_store_load(s, end_15 + 11 * day + 3600000LL, &items, &n) == 0);
    CHECK_EQ_INT(n, 0);
    free(items);
    /* ... refused by the server: reminded again */
    CHECK(store_exec(s, "UPDATE outbox SET state = 'failed'") == 0);
    CHECK(reminder_store_load(s, end_15 + 11 * day + 3600000LL, &items, &n) == 0);
    CHECK_EQ_INT(n, 1);
    json_t *j = reminder_store_json(items, n);
    CHECK(j && json_array_size(j) == 1);
    CHECK_EQ_STR(json_string_value(json_object_get(json_array_get(j, 0), "level")), "T-3");
    CHECK_EQ_INT(json_integer_value(json_object_get(json_array_get(j, 0), "days_left")), 3);
    json_decref(j);
    free(items);
    store_close(s);
}

UNIT_MAIN(T(begin), T(schema_and_pragmas), T(outbox_order_and_bytes), T(ack_is_one_transaction),
          T(crash_safety), T(drafts_and_submit_request), T(decimal_normalisation),
          T(task_update_replacement), T(refusal_cascades_to_dependents), T(pull_applies),
          T(periods_extension_and_reminders), T(files_are_copied), T(end))
