/* draft: report drafts and task updates in the local store, and the requests
 * built from them (see draft.h). */
#include "draft.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "outbox.h"
#include "report_sign.h"

const char *const draft_parts[] = {"results", "difficulties", "recommendations", "proposals", NULL};

bool draft_part_ok(const char *part)
{
    for (size_t i = 0; draft_parts[i]; i++)
        if (strcmp(part, draft_parts[i]) == 0)
            return true;
    return false;
}

static int text_query(struct store *s, const char *sql, const char *arg, char *out, size_t len)
{
    sqlite3_stmt *st = store_prepare(s, sql);
    if (!st)
        return -1;
    if (arg)
        sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    int found = -1;
    if (rc == SQLITE_ROW) {
        const char *v = (const char *)sqlite3_column_text(st, 0);
        snprintf(out, len, "%s", v ? v : "");
        found = 0;
    }
    sqlite3_finalize(st);
    return found;
}

int draft_next_period(struct store *s, char *out, size_t len)
{
    char today[11];
    store_today(s, today);
    return text_query(s,
                      "SELECT code FROM periods WHERE deadline >= ?1 "
                      "ORDER BY deadline, code LIMIT 1",
                      today, out, len);
}

bool draft_period_known(struct store *s, const char *period)
{
    char tmp[8];
    return text_query(s, "SELECT 1 FROM periods WHERE code = ?1", period, tmp, sizeof tmp) == 0;
}

int draft_resolve_period(struct store *s, const char *explicit_period, char *out, size_t len)
{
    if (explicit_period && *explicit_period) {
        snprintf(out, len, "%s", explicit_period);
        return 0;
    }
    if (store_meta_get(s, "report_period", out, len) == 1 && out[0])
        return 0;
    return draft_next_period(s, out, len);
}

static int exec_text(struct store *s, const char *sql, const char *a, const char *b)
{
    sqlite3_stmt *st = store_prepare(s, sql);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
    if (b)
        sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(st);
    return rc;
}

int draft_touch(struct store *s, const char *period, bool *created)
{
    sqlite3_stmt *st = store_prepare(
        s, "INSERT INTO drafts (period_code, created_at_ms, updated_at_ms) VALUES (?1, ?2, ?2) "
           "ON CONFLICT (period_code) DO NOTHING");
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, period, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, store_now_ms());
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return -1;
    if (created)
        *created = sqlite3_changes(s->db) > 0;
    st = store_prepare(s, "UPDATE drafts SET state = 'draft', queued_seq = 0, updated_at_ms = ?2 "
                          "WHERE period_code = ?1");
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, period, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, store_now_ms());
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

int draft_set_value(struct store *s, const char *period, const char *key, const char *value,
                    const char *numerator, const char *denominator, const char *note)
{
    sqlite3_stmt *st = store_prepare(
        s, "INSERT INTO draft_values (period_code, key, value, numerator, denominator, note) "
           "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (period_code, key) DO UPDATE SET "
           "value = excluded.value, numerator = excluded.numerator, "
           "denominator = excluded.denominator, note = excluded.note");
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, period, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, value ? value : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, numerator ? numerator : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, denominator ? denominator : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, note ? note : "", -1, SQLITE_STATIC);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(st);
    return rc;
}

int draft_unset_value(struct store *s, const char *period, const char *key)
{
    return exec_text(s, "DELETE FROM draft_values WHERE period_code = ?1 AND key = ?2", period,
                     key);
}

int draft_set_text(struct store *s, const char *period, const char *part, const char *text)
{
    if (!draft_part_ok(part))
        return -1;
    char sql[128];
    snprintf(sql, sizeof sql, "UPDATE drafts SET %s = ?2 WHERE period_code = ?1", part);
    return exec_text(s, sql, period, text);
}

int draft_add_attachment(struct store *s, const char *period, const char *sha256, int64_t size,
                         const char *name, const char *content_type)
{
    sqlite3_stmt *st = store_prepare(
        s, "INSERT INTO draft_attachments (period_code, sha256, size, name, content_type, "
           "added_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (period_code, sha256) "
           "DO UPDATE SET name = excluded.name, content_type = excluded.content_type");
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, period, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, sha256, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, size);
    sqlite3_bind_text(st, 4, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, content_type ? content_type : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, store_now_ms());
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(st);
    return rc;
}

int draft_remove_attachment(struct store *s, const char *period, const char *what)
{
    if (exec_text(s,
                  "DELETE FROM draft_attachments WHERE period_code = ?1 AND "
                  "(sha256 = ?2 OR name = ?2)",
                  period, what) < 0)
        return -1;
    return sqlite3_changes(s->db);
}

int draft_set_task(struct store *s, const char *period, const char *code, const char *status,
                   int progress, const char *note)
{
    sqlite3_stmt *st = store_prepare(
        s, "INSERT INTO draft_tasks (period_code, task_code, status, progress, note) "
           "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (period_code, task_code) DO UPDATE SET "
           "status = excluded.status, progress = excluded.progress, note = excluded.note");
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, period, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, code, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, status, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, progress);
    sqlite3_bind_text(st, 5, note ? note : "", -1, SQLITE_STATIC);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(st);
    return rc;
}

/* ---- building messages: every part malloc'ed, so that
 * protobuf_c_message_free_unpacked frees the whole tree. ---- */

static char *col_dup(sqlite3_stmt *st, int col, bool *oom)
{
    const char *v = (const char *)sqlite3_column_text(st, col);
    char *d = strdup(v ? v : "");
    if (!d)
        *oom = true;
    return d;
}

static void *grow(void *arr, size_t n, size_t size, bool *oom)
{
    void *p = realloc(arr, (n + 1) * size);
    if (!p)
        *oom = true;
    return p;
}

int draft_load_indicators(struct store *s, Tamnong__ReportIndicator ***out, size_t *n)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = store_prepare(s, "SELECT key, name, unit, rule, required, "
                                        "numerator_label, denominator_label FROM indicators "
                                        "ORDER BY key");
    if (!st)
        return -1;
    bool oom = false;
    int rc;
    while (!oom && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        Tamnong__ReportIndicator **arr = grow(*out, *n, sizeof *arr, &oom);
        if (oom)
            break;
        *out = arr;
        Tamnong__ReportIndicator *ind = malloc(sizeof *ind);
        if (!ind) {
            oom = true;
            break;
        }
        tamnong__report_indicator__init(ind);
        arr[(*n)++] = ind;
        ind->key = col_dup(st, 0, &oom);
        ind->name = col_dup(st, 1, &oom);
        ind->unit = col_dup(st, 2, &oom);
        ind->rule = col_dup(st, 3, &oom);
        ind->required = sqlite3_column_int(st, 4) != 0;
        ind->numerator_label = col_dup(st, 5, &oom);
        ind->denominator_label = col_dup(st, 6, &oom);
    }
    sqlite3_finalize(st);
    if (oom) {
        draft_free_indicators(*out, *n);
        *out = NULL;
        *n = 0;
        return -1;
    }
    return 0;
}

void draft_free_indicators(Tamnong__ReportIndicator **inds, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (inds[i])
            protobuf_c_message_free_unpacked(&inds[i]->base, NULL);
    free(inds);
}

int draft_build_submit(struct store *s, const char *period, const uint8_t *uuid,
                       Tamnong__SubmitRequest **out)
{
    *out = NULL;
    sqlite3_stmt *st = store_prepare(s, "SELECT results, difficulties, recommendations, "
                                        "proposals FROM drafts WHERE period_code = ?1");
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, period, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_finalize(st);
        return rc == SQLITE_DONE ? 0 : -1;
    }
    bool oom = false;
    Tamnong__SubmitRequest *r = malloc(sizeof *r);
    if (!r) {
        sqlite3_finalize(st);
        return -1;
    }
    tamnong__submit_request__init(r);
    r->results = col_dup(st, 0, &oom);
    r->difficulties = col_dup(st, 1, &oom);
    r->recommendations = col_dup(st, 2, &oom);
    r->proposals = col_dup(st, 3, &oom);
    sqlite3_finalize(st);
    if ((r->period_code = strdup(period)) == NULL)
        oom = true;
    if (uuid) {
        r->request_uuid.data = malloc(OUTBOX_UUID_LEN);
        if (r->request_uuid.data) {
            memcpy(r->request_uuid.data, uuid, OUTBOX_UUID_LEN);
            r->request_uuid.len = OUTBOX_UUID_LEN;
        } else {
            oom = true;
        }
    }

    st = store_prepare(s, "SELECT key, value, numerator, denominator, note FROM draft_values "
                          "WHERE period_code = ?1 ORDER BY key");
    if (!st)
        goto fail;
    sqlite3_bind_text(st, 1, period, -1, SQLITE_STATIC);
    while (!oom && sqlite3_step(st) == SQLITE_ROW) {
        Tamnong__IndicatorValue **arr = grow(r->values, r->n_values, sizeof *arr, &oom);
        Tamnong__IndicatorValue *v = oom ? NULL : malloc(sizeof *v);
        if (arr)
            r->values = arr;
        if (!v) {
            oom = true;
            break;
        }
        tamnong__indicator_value__init(v);
        r->values[r->n_values++] = v;
        v->key = col_dup(st, 0, &oom);
        v->value = col_dup(st, 1, &oom);
        v->numerator = col_dup(st, 2, &oom);
        v->denominator = col_dup(st, 3, &oom);
        v->note = col_dup(st, 4, &oom);
    }
    sqlite3_finalize(st);

    st = store_prepare(s, "SELECT sha256, size, name, content_type FROM draft_attachments "
                          "WHERE period_code = ?1 ORDER BY added_at_ms, sha256");
    if (!st)
        goto fail;
    sqlite3_bind_text(st, 1, period, -1, SQLITE_STATIC);
    while (!oom && sqlite3_step(st) == SQLITE_ROW) {
        Tamnong__AttachmentRef **arr = grow(r->attachments, r->n_attachments, sizeof *arr, &oom);
        Tamnong__AttachmentRef *a = oom ? NULL : malloc(sizeof *a);
        if (arr)
            r->attachments = arr;
        if (!a) {
            oom = true;
            break;
        }
        tamnong__attachment_ref__init(a);
        r->attachments[r->n_attachments++] = a;
        a->sha256 = col_dup(st, 0, &oom);
        a->size = sqlite3_column_int64(st, 1);
        a->name = col_dup(st, 2, &oom);
        a->content_type = col_dup(st, 3, &oom);
    }
    sqlite3_finalize(st);

    st = store_prepare(s, "SELECT task_code, status, progress, note FROM draft_tasks "
                          "WHERE period_code = ?1 ORDER BY task_code");
    if (!st)
        goto fail;
    sqlite3_bind_text(st, 1, period, -1, SQLITE_STATIC);
    while (!oom && sqlite3_step(st) == SQLITE_ROW) {
        Tamnong__ReportTask **arr = grow(r->tasks, r->n_tasks, sizeof *arr, &oom);
        Tamnong__ReportTask *t = oom ? NULL : malloc(sizeof *t);
        if (arr)
            r->tasks = arr;
        if (!t) {
            oom = true;
            break;
        }
        tamnong__report_task__init(t);
        r->tasks[r->n_tasks++] = t;
        t->task_code = col_dup(st, 0, &oom);
        t->status = col_dup(st, 1, &oom);
        t->progress = sqlite3_column_int(st, 2);
        t->note = col_dup(st, 3, &oom);
    }
    sqlite3_finalize(st);
    if (oom)
        goto fail;
    *out = r;
    return 1;
fail:
    protobuf_c_message_free_unpacked(&r->base, NULL);
    return -1;
}

int draft_validate(struct store *s, const char *period, struct rr_problems *p, bool *checked_plan)
{
    static const uint8_t zero_uuid[OUTBOX_UUID_LEN] = {1};
    Tamnong__SubmitRequest *r;
    /* A placeholder uuid: the real one is chosen when it is queued. */
    if (draft_build_submit(s, period, zero_uuid, &r) != 1)
        return -1;
    rr_check_submit(r, p);
    Tamnong__ReportIndicator **inds;
    size_t n;
    *checked_plan = false;
    if (draft_load_indicators(s, &inds, &n) == 0) {
        /* After a pull, no indicators means the agency reports none (only
         * tasks): that is a check too, not a plan that was never pulled. */
        if (n > 0 || store_meta_int(s, "last_pull_ms", 0) > 0) {
            rr_check_submit_against(r, inds, n, p);
            *checked_plan = true;
        }
        draft_free_indicators(inds, n);
    }
    protobuf_c_message_free_unpacked(&r->base, NULL);
    return (int)(p->n + p->dropped);
}

/* Queue an "Attachment" item for a stored file. */
static int queue_attachment(struct store *s, int64_t *batch, const char *sha256, int64_t size,
                            const char *name)
{
    uint8_t uuid[OUTBOX_UUID_LEN];
    if (outbox_new_uuid(uuid) < 0)
        return -1;
    Tamnong__AttachmentStatusRequest a = TAMNONG__ATTACHMENT_STATUS_REQUEST__INIT;
    a.sha256 = (char *)sha256;
    a.size = size;
    char ref[256];
    if (name && *name)
        snprintf(ref, sizeof ref, "%s %s", sha256, name);
    else
        snprintf(ref, sizeof ref, "%.12s…", sha256);
    int64_t seq;
    if (outbox_add(s, *batch, "Attachment", ref, uuid, &a.base, &seq) < 0)
        return -1;
    if (*batch == 0)
        *batch = seq;
    return 0;
}

/* Queue the draft's files and Submit (signed with key and cert when both
 * are given) and mark it queued, inside the caller's transaction. */
static int queue_submit_tx(struct store *s, const char *period, X509 *cert, EVP_PKEY *key,
                           int64_t *submit_seq, char *sign_err, size_t errlen)
{
    uint8_t uuid[OUTBOX_UUID_LEN];
    if (errlen)
        sign_err[0] = '\0';
    if (outbox_new_uuid(uuid) < 0)
        return -1;
    Tamnong__SubmitRequest *r = NULL;
    int rc = -1;
    if (draft_build_submit(s, period, uuid, &r) != 1)
        goto out;
    if (key && cert) {
        uint8_t *canon = NULL;
        size_t clen = 0;
        if (report_canonical(r, &canon, &clen) < 0) {
            snprintf(sign_err, errlen, "%s", _("Out of memory."));
            goto out;
        }
        int signed_ok = report_sign(canon, clen, cert, key, &r->signature.data, &r->signature.len,
                                    sign_err, errlen);
        free(canon);
        if (signed_ok < 0)
            goto out;
    }
    int64_t batch = 0, seq;
    for (size_t i = 0; i < r->n_attachments; i++)
        if (queue_attachment(s, &batch, r->attachments[i]->sha256, r->attachments[i]->size,
                             r->attachments[i]->name) < 0)
            goto out;
    if (outbox_add(s, batch, "Submit", period, uuid, &r->base, &seq) < 0)
        goto out;
    sqlite3_stmt *st = store_prepare(s, "UPDATE drafts SET state = 'queued', queued_seq = ?2, "
                                        "reason = '', updated_at_ms = ?3 WHERE period_code = ?1");
    if (!st)
        goto out;
    sqlite3_bind_text(st, 1, period, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, seq);
    sqlite3_bind_int64(st, 3, store_now_ms());
    int step = sqlite3_step(st);
    sqlite3_finalize(st);
    if (step != SQLITE_DONE)
        goto out;
    if (submit_seq)
        *submit_seq = seq;
    rc = 0;
out:
    if (r)
        protobuf_c_message_free_unpacked(&r->base, NULL);
    return rc;
}

int draft_queue_submit(struct store *s, const char *period, X509 *cert, EVP_PKEY *key,
                       int64_t *submit_seq, char *sign_err, size_t errlen)
{
    if (store_begin(s) < 0)
        return -1;
    if (queue_submit_tx(s, period, cert, key, submit_seq, sign_err, errlen) < 0 ||
        store_commit(s) < 0) {
        store_rollback(s);
        return -1;
    }
    return 0;
}

int draft_ready_periods(struct store *s, char ***out, size_t *n)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = store_prepare(s, "SELECT period_code FROM drafts WHERE state = 'ready' "
                                        "ORDER BY period_code");
    if (!st)
        return -1;
    char **v = NULL;
    size_t count = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        char **m = realloc(v, (count + 1) * sizeof *m);
        const char *p = (const char *)sqlite3_column_text(st, 0);
        if (!m || !(m[count] = strdup(p ? p : ""))) {
            v = m ? m : v;
            rc = SQLITE_NOMEM;
            break;
        }
        v = m;
        count++;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        draft_free_periods(v, count);
        return -1;
    }
    *out = v;
    *n = count;
    return 0;
}

void draft_free_periods(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

int draft_queue_ready(struct store *s, const char *period, struct rr_problems *p,
                      int64_t *submit_seq)
{
    if (store_begin(s) < 0)
        return -1;
    char state[16] = "";
    if (text_query(s, "SELECT state FROM drafts WHERE period_code = ?1", period, state,
                   sizeof state) < 0 ||
        strcmp(state, "ready") != 0) {
        store_rollback(s); /* changed since it was listed: not ours to send */
        return 0;
    }
    bool checked_plan = false;
    int n = draft_validate(s, period, p, &checked_plan);
    if (n < 0)
        goto fail;
    if (n > 0) {
        /* Valid when validated, not any more (a pull brought new rules). */
        if (exec_text(s, "UPDATE drafts SET state = 'draft' WHERE period_code = ?1", period, NULL) <
                0 ||
            store_commit(s) < 0)
            goto fail;
        return -2;
    }
    /* Unsigned: a signature is asked for with 'report submit --sign'. */
    if (queue_submit_tx(s, period, NULL, NULL, submit_seq, NULL, 0) < 0 || store_commit(s) < 0)
        goto fail;
    return 1;
fail:
    store_rollback(s);
    return -1;
}

/* ---- tasks ---- */

static int split_evidence(const char *text, struct task_state *ts)
{
    const char *p = text;
    while (p && *p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        if (n > 0) {
            char **arr = realloc(ts->evidence, (ts->n_evidence + 1) * sizeof *arr);
            if (!arr)
                return -1;
            ts->evidence = arr;
            if (!(arr[ts->n_evidence] = strndup(p, n)))
                return -1;
            ts->n_evidence++;
        }
        p = nl ? nl + 1 : NULL;
    }
    return 0;
}

int task_state_load(struct store *s, const char *code, struct task_state *ts)
{
    memset(ts, 0, sizeof *ts);
    snprintf(ts->status, sizeof ts->status, "not_started");
    sqlite3_stmt *st = store_prepare(
        s, "SELECT status, progress, note, evidence, version FROM tasks WHERE code = ?1");
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    bool oom = false;
    if (rc == SQLITE_ROW) {
        ts->known = true;
        const char *v = (const char *)sqlite3_column_text(st, 0);
        snprintf(ts->status, sizeof ts->status, "%s", v ? v : "not_started");
        ts->progress = sqlite3_column_int(st, 1);
        ts->note = col_dup(st, 2, &oom);
        v = (const char *)sqlite3_column_text(st, 3);
        if (split_evidence(v, ts) < 0)
            oom = true;
        ts->version = sqlite3_column_int64(st, 4);
    } else if (rc != SQLITE_DONE) {
        oom = true;
    }
    sqlite3_finalize(st);
    if (!oom && !ts->note && !(ts->note = strdup("")))
        oom = true;
    if (oom) {
        task_state_free(ts);
        return -1;
    }
    int64_t seq;
    int attempts;
    if (outbox_find_queued(s, "TaskUpdate", code, &seq, &attempts) == 1) {
        struct outbox_item it;
        if (outbox_get(s, seq, &it) == 1) {
            Tamnong__TaskUpdateRequest *u =
                tamnong__task_update_request__unpack(NULL, it.len, it.payload);
            if (u) {
                ts->pending_seq = seq;
                ts->pending_attempts = attempts;
                snprintf(ts->status, sizeof ts->status, "%s", u->status);
                ts->progress = u->progress;
                char *note = strdup(u->note);
                if (note) {
                    free(ts->note);
                    ts->note = note;
                }
                for (size_t i = 0; i < ts->n_evidence; i++)
                    free(ts->evidence[i]);
                free(ts->evidence);
                ts->evidence = NULL;
                ts->n_evidence = 0;
                for (size_t i = 0; i < u->n_evidence; i++) {
                    char **arr = realloc(ts->evidence, (ts->n_evidence + 1) * sizeof *arr);
                    if (!arr)
                        break;
                    ts->evidence = arr;
                    if ((arr[ts->n_evidence] = strdup(u->evidence[i])) != NULL)
                        ts->n_evidence++;
                }
                tamnong__task_update_request__free_unpacked(u, NULL);
            }
            outbox_item_free(&it);
        }
    }
    return 0;
}

void task_state_free(struct task_state *ts)
{
    free(ts->note);
    for (size_t i = 0; i < ts->n_evidence; i++)
        free(ts->evidence[i]);
    free(ts->evidence);
    memset(ts, 0, sizeof *ts);
}

int task_queue_update(struct store *s, const Tamnong__TaskUpdateRequest *req,
                      const char *const *file_sha, const int64_t *file_size,
                      const char *const *file_name, size_t n_files, int64_t *seq)
{
    if (store_begin(s) < 0)
        return -1;
    int64_t old;
    int attempts;
    int f = outbox_find_queued(s, "TaskUpdate", req->task_code, &old, &attempts);
    if (f < 0)
        goto fail;
    if (f == 1) {
        if (attempts > 0) {
            store_rollback(s);
            return -2;
        }
        /* Its uploads were queued for it alone: drop the untried ones too. */
        sqlite3_stmt *st = store_prepare(
            s, "DELETE FROM outbox WHERE batch = (SELECT batch FROM outbox WHERE seq = ?1) AND "
               "seq < ?1 AND method = 'Attachment' AND attempts = 0 AND state = 'queued'");
        if (!st)
            goto fail;
        sqlite3_bind_int64(st, 1, old);
        int rc = sqlite3_step(st);
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE || outbox_remove_untried(s, old) != 1)
            goto fail;
    }
    int64_t batch = 0;
    for (size_t i = 0; i < n_files; i++)
        if (queue_attachment(s, &batch, file_sha[i], file_size[i], file_name[i]) < 0)
            goto fail;
    uint8_t uuid[OUTBOX_UUID_LEN];
    if (req->request_uuid.len != OUTBOX_UUID_LEN)
        goto fail;
    memcpy(uuid, req->request_uuid.data, OUTBOX_UUID_LEN);
    if (outbox_add(s, batch, "TaskUpdate", req->task_code, uuid, &req->base, seq) < 0)
        goto fail;
    return store_commit(s);
fail:
    store_rollback(s);
    return -1;
}

/* Days since 1970-01-01 of a civil date (H. Hinnant's algorithm). */
static long days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static bool parse_date(const char *s, long *days)
{
    int y, m, d;
    char tail;
    if (!s || sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || m < 1 || m > 12 || d < 1 ||
        d > 31)
        return false;
    *days = days_from_civil(y, m, d);
    return true;
}

const char *task_deadline_state(struct store *s, const char *kind, const char *value,
                                const char *status, const char *today)
{
    if (status && strcmp(status, "completed") == 0)
        return "completed";
    long now;
    if (!parse_date(today, &now))
        return "in_time";
    long due;
    if (strcmp(kind, "date") == 0) {
        if (!parse_date(value, &due))
            return "in_time";
    } else if (strcmp(kind, "by_year") == 0) {
        int y = atoi(value ? value : "");
        if (y < 1900 || y > 2200)
            return "in_time";
        due = days_from_civil(y, 12, 31);
    } else if (strcmp(kind, "every_period") == 0) {
        char next[16];
        if (text_query(s,
                       "SELECT deadline FROM periods WHERE deadline >= ?1 "
                       "ORDER BY deadline LIMIT 1",
                       today, next, sizeof next) < 0 ||
            !parse_date(next, &due))
            return "in_time";
        return due - now <= 10 ? "due_soon" : "in_time";
    } else {
        return "in_time"; /* continuous */
    }
    if (due < now)
        return "overdue";
    return due - now <= 30 ? "due_soon" : "in_time";
}

const char *task_status_label(const char *status)
{
    if (strcmp(status, "not_started") == 0)
        return _("not started");
    if (strcmp(status, "in_progress") == 0)
        return _("in progress");
    if (strcmp(status, "completed") == 0)
        return _("completed");
    if (strcmp(status, "postponed") == 0)
        return _("postponed");
    return status;
}

const char *deadline_state_label(const char *state)
{
    if (strcmp(state, "completed") == 0)
        return _("done");
    if (strcmp(state, "overdue") == 0)
        return _("overdue");
    if (strcmp(state, "due_soon") == 0)
        return _("due soon");
    return _("in time");
}
