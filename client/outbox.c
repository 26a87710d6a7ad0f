/* outbox: queue, acknowledge and refuse state-changing requests in the local
 * store, each step one SQLite transaction (see outbox.h and store.c). */
#include "outbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "exit_codes.h"
#include "i18n.h"
#include "output.h"
#include "tamnong.pb-c.h"

int outbox_new_uuid(uint8_t uuid[OUTBOX_UUID_LEN])
{
    if (RAND_bytes(uuid, OUTBOX_UUID_LEN) != 1)
        return -1;
    uuid[6] = (uint8_t)((uuid[6] & 0x0f) | 0x40);
    uuid[8] = (uint8_t)((uuid[8] & 0x3f) | 0x80);
    return 0;
}

void outbox_uuid_str(const uint8_t u[OUTBOX_UUID_LEN], char out[37])
{
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0],
             u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13],
             u[14], u[15]);
}

int outbox_add(struct store *s, int64_t batch, const char *method, const char *ref,
               const uint8_t uuid[OUTBOX_UUID_LEN], const ProtobufCMessage *msg, int64_t *seq)
{
    size_t len = protobuf_c_message_get_packed_size(msg);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf)
        return -1;
    protobuf_c_message_pack(msg, buf);
    sqlite3_stmt *st =
        store_prepare(s, "INSERT INTO outbox (request_uuid, method, payload, batch, ref, "
                         "created_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    int rc = -1;
    if (!st)
        goto out;
    sqlite3_bind_blob(st, 1, uuid, OUTBOX_UUID_LEN, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, method, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 3, buf, (int)len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, batch);
    sqlite3_bind_text(st, 5, ref ? ref : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, store_now_ms());
    if (sqlite3_step(st) != SQLITE_DONE)
        goto out;
    int64_t id = sqlite3_last_insert_rowid(s->db);
    if (batch == 0) {
        sqlite3_finalize(st);
        st = store_prepare(s, "UPDATE outbox SET batch = seq WHERE seq = ?1");
        if (!st)
            goto out;
        sqlite3_bind_int64(st, 1, id);
        if (sqlite3_step(st) != SQLITE_DONE)
            goto out;
    }
    if (seq)
        *seq = id;
    rc = 0;
out:
    sqlite3_finalize(st);
    free(buf);
    return rc;
}

static int count(struct store *s, const char *sql)
{
    sqlite3_stmt *st = store_prepare(s, sql);
    if (!st)
        return -1;
    int n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    sqlite3_finalize(st);
    return n;
}

int outbox_waiting(struct store *s)
{
    return count(s, "SELECT count(*) FROM outbox WHERE state = 'queued'");
}

int outbox_failed(struct store *s)
{
    return count(s, "SELECT count(*) FROM outbox WHERE state = 'failed'");
}

#define ITEM_COLS                                                                                  \
    "seq, request_uuid, method, payload, batch, ref, created_at_ms, attempts, last_attempt_ms, "   \
    "last_error, error_code, state"

static void copy_text(char *dst, size_t n, sqlite3_stmt *st, int col)
{
    const char *v = (const char *)sqlite3_column_text(st, col);
    snprintf(dst, n, "%s", v ? v : "");
}

static int load_item(sqlite3_stmt *st, struct outbox_item *it)
{
    memset(it, 0, sizeof *it);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE)
        return 0;
    if (rc != SQLITE_ROW)
        return -1;
    it->seq = sqlite3_column_int64(st, 0);
    const void *u = sqlite3_column_blob(st, 1);
    if (u && sqlite3_column_bytes(st, 1) == OUTBOX_UUID_LEN)
        memcpy(it->uuid, u, OUTBOX_UUID_LEN);
    copy_text(it->method, sizeof it->method, st, 2);
    const void *p = sqlite3_column_blob(st, 3);
    it->len = (size_t)sqlite3_column_bytes(st, 3);
    it->payload = malloc(it->len ? it->len : 1);
    if (!it->payload)
        return -1;
    if (it->len)
        memcpy(it->payload, p, it->len);
    it->batch = sqlite3_column_int64(st, 4);
    copy_text(it->ref, sizeof it->ref, st, 5);
    it->created_at_ms = sqlite3_column_int64(st, 6);
    it->attempts = sqlite3_column_int(st, 7);
    it->last_attempt_ms = sqlite3_column_int64(st, 8);
    copy_text(it->last_error, sizeof it->last_error, st, 9);
    it->error_code = sqlite3_column_int(st, 10);
    copy_text(it->state, sizeof it->state, st, 11);
    return 1;
}

int outbox_next(struct store *s, int64_t after_seq, struct outbox_item *it)
{
    sqlite3_stmt *st = store_prepare(s, "SELECT " ITEM_COLS " FROM outbox WHERE state = 'queued' "
                                        "AND seq > ?1 ORDER BY seq LIMIT 1");
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, after_seq);
    int rc = load_item(st, it);
    sqlite3_finalize(st);
    return rc;
}

int outbox_get(struct store *s, int64_t seq, struct outbox_item *it)
{
    sqlite3_stmt *st = store_prepare(s, "SELECT " ITEM_COLS " FROM outbox WHERE seq = ?1");
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, seq);
    int rc = load_item(st, it);
    sqlite3_finalize(st);
    return rc;
}

void outbox_item_free(struct outbox_item *it)
{
    if (!it)
        return;
    free(it->payload);
    it->payload = NULL;
}

int outbox_find_queued(struct store *s, const char *method, const char *ref, int64_t *seq,
                       int *attempts)
{
    sqlite3_stmt *st = store_prepare(s, "SELECT seq, attempts FROM outbox WHERE state = 'queued' "
                                        "AND method = ?1 AND ref = ?2 ORDER BY seq DESC LIMIT 1");
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, method, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, ref, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    int found = rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
    if (found == 1) {
        *seq = sqlite3_column_int64(st, 0);
        *attempts = sqlite3_column_int(st, 1);
    }
    sqlite3_finalize(st);
    return found;
}

int outbox_remove_untried(struct store *s, int64_t seq)
{
    sqlite3_stmt *st =
        store_prepare(s, "DELETE FROM outbox WHERE seq = ?1 AND attempts = 0 AND state = 'queued'");
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, seq);
    int rc = sqlite3_step(st) == SQLITE_DONE ? sqlite3_changes(s->db) : -1;
    sqlite3_finalize(st);
    return rc;
}

static int exec_bind_seq(struct store *s, const char *sql, int64_t seq)
{
    sqlite3_stmt *st = store_prepare(s, sql);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, seq);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(st);
    return rc;
}

int outbox_begin_attempt(struct store *s, int64_t seq)
{
    /* Autocommit: one statement, durable (synchronous=FULL) on return. */
    sqlite3_stmt *st = store_prepare(s, "UPDATE outbox SET attempts = attempts + 1, "
                                        "last_attempt_ms = ?2 WHERE seq = ?1 AND state = 'queued'");
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, seq);
    sqlite3_bind_int64(st, 2, store_now_ms());
    int rc = sqlite3_step(st) == SQLITE_DONE ? (sqlite3_changes(s->db) > 0 ? 0 : 1) : -1;
    sqlite3_finalize(st);
    return rc;
}

int outbox_note_error(struct store *s, int64_t seq, int code, const char *msg)
{
    sqlite3_stmt *st =
        store_prepare(s, "UPDATE outbox SET last_error = ?2, error_code = ?3 WHERE seq = ?1");
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, seq);
    sqlite3_bind_text(st, 2, msg ? msg : "", -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, code);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(st);
    return rc;
}

/* Effects of an acknowledged Submit on the local state. */
static int ack_submit(struct store *s, const struct outbox_item *it, const struct outbox_receipt *r)
{
    Tamnong__SubmitRequest *req = tamnong__submit_request__unpack(NULL, it->len, it->payload);
    if (!req)
        return -1;
    int rc = -1;
    /* The draft may have been edited after it was queued: the second update
     * still remembers which revision the server holds. */
    static const char *const updates[] = {
        "UPDATE drafts SET state = 'sent', submission_id = ?2, revision = ?3, reason = '', "
        "queued_seq = 0 WHERE period_code = ?1 AND queued_seq = ?4",
        "UPDATE drafts SET submission_id = ?2, revision = ?3 "
        "WHERE period_code = ?1 AND revision < ?3",
        "UPDATE submissions SET current = 0 WHERE period_code = ?1 AND "
        "submission_id <> ?2 AND revision < ?3"};
    sqlite3_stmt *st = NULL;
    for (size_t i = 0; i < sizeof updates / sizeof *updates; i++) {
        st = store_prepare(s, updates[i]);
        if (!st)
            goto out;
        sqlite3_bind_text(st, 1, req->period_code, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, r->submission_id);
        sqlite3_bind_int(st, 3, r->revision);
        if (i == 0)
            sqlite3_bind_int64(st, 4, it->seq);
        if (sqlite3_step(st) != SQLITE_DONE)
            goto out;
        sqlite3_finalize(st);
    }
    /* A replay may come after a pull already brought a later state (a
     * review): never move a known submission back. */
    st = store_prepare(
        s, "INSERT INTO submissions (submission_id, period_code, revision, state, "
           "received_at_ms, on_time, current) VALUES (?1, ?2, ?3, 'submitted', ?4, ?5, 1) "
           "ON CONFLICT (submission_id) DO NOTHING");
    if (!st)
        goto out;
    sqlite3_bind_int64(st, 1, r->submission_id);
    sqlite3_bind_text(st, 2, req->period_code, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, r->revision);
    sqlite3_bind_int64(st, 4, r->received_at_ms);
    sqlite3_bind_int(st, 5, r->on_time ? 1 : 0);
    if (sqlite3_step(st) != SQLITE_DONE)
        goto out;
    rc = 0;
out:
    sqlite3_finalize(st);
    tamnong__submit_request__free_unpacked(req, NULL);
    return rc;
}

/* Effects of an acknowledged TaskUpdate: the server now holds our values at
 * receipt.version (unless a pull already brought a newer one). */
static int ack_task_update(struct store *s, const struct outbox_item *it,
                           const struct outbox_receipt *r)
{
    Tamnong__TaskUpdateRequest *req =
        tamnong__task_update_request__unpack(NULL, it->len, it->payload);
    if (!req)
        return -1;
    size_t elen = 1;
    for (size_t i = 0; i < req->n_evidence; i++)
        elen += strlen(req->evidence[i]) + 1;
    char *ev = calloc(1, elen);
    int rc = -1;
    sqlite3_stmt *st = NULL;
    if (!ev)
        goto out;
    for (size_t i = 0; i < req->n_evidence; i++) {
        if (i)
            strcat(ev, "\n");
        strcat(ev, req->evidence[i]);
    }
    st = store_prepare(s, "UPDATE tasks SET status = ?2, progress = ?3, note = ?4, evidence = ?5, "
                          "version = ?6, updated_at_ms = ?7 WHERE code = ?1 AND version < ?6");
    if (!st)
        goto out;
    sqlite3_bind_text(st, 1, req->task_code, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, req->status, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, req->progress);
    sqlite3_bind_text(st, 4, req->note, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, ev, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, r->version);
    sqlite3_bind_int64(st, 7, r->received_at_ms);
    rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
out:
    sqlite3_finalize(st);
    free(ev);
    tamnong__task_update_request__free_unpacked(req, NULL);
    return rc;
}

int outbox_ack(struct store *s, const struct outbox_item *it, const struct outbox_receipt *r)
{
    if (store_begin(s) < 0)
        return -1;
    sqlite3_stmt *st = store_prepare(
        s, "INSERT INTO receipts (request_uuid, seq, method, ref, replay, received_at_ms, "
           "submission_id, revision, on_time, deadline_at_ms, version, state, recorded_at_ms) "
           "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) "
           "ON CONFLICT (request_uuid) DO NOTHING");
    if (!st)
        goto fail;
    sqlite3_bind_blob(st, 1, it->uuid, OUTBOX_UUID_LEN, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, it->seq);
    sqlite3_bind_text(st, 3, it->method, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, it->ref, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 5, r->replay ? 1 : 0);
    sqlite3_bind_int64(st, 6, r->received_at_ms);
    sqlite3_bind_int64(st, 7, r->submission_id);
    sqlite3_bind_int(st, 8, r->revision);
    sqlite3_bind_int(st, 9, r->on_time ? 1 : 0);
    sqlite3_bind_int64(st, 10, r->deadline_at_ms);
    sqlite3_bind_int64(st, 11, r->version);
    sqlite3_bind_text(st, 12, r->state, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 13, store_now_ms());
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        goto fail;
    if (strcmp(it->method, "Submit") == 0 && ack_submit(s, it, r) < 0)
        goto fail;
    if (strcmp(it->method, "TaskUpdate") == 0 && ack_task_update(s, it, r) < 0)
        goto fail;
    if (exec_bind_seq(s, "DELETE FROM outbox WHERE seq = ?1", it->seq) < 0)
        goto fail;
    return store_commit(s);
fail:
    store_rollback(s);
    return -1;
}

int outbox_fail(struct store *s, const struct outbox_item *it, int code, const char *msg)
{
    if (store_begin(s) < 0)
        return -1;
    sqlite3_stmt *st = store_prepare(
        s, "UPDATE outbox SET state = 'failed', error_code = ?2, last_error = ?3 WHERE seq = ?1");
    if (!st)
        goto fail;
    sqlite3_bind_int64(st, 1, it->seq);
    sqlite3_bind_int(st, 2, code);
    sqlite3_bind_text(st, 3, msg ? msg : "", -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        goto fail;
    /* error_code -1: "needs item <last_error>, which was refused" (status.c
     * words it for the person). */
    char why[32];
    snprintf(why, sizeof why, "%lld", (long long)it->seq);
    st = store_prepare(s, "UPDATE outbox SET state = 'failed', error_code = -1, last_error = ?3 "
                          "WHERE batch = ?1 AND seq > ?2 AND state = 'queued'");
    if (!st)
        goto fail;
    sqlite3_bind_int64(st, 1, it->batch);
    sqlite3_bind_int64(st, 2, it->seq);
    sqlite3_bind_text(st, 3, why, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        goto fail;
    int marked = 1 + sqlite3_changes(s->db);
    /* A draft whose Submit (this item or a dependent) will not arrive goes
     * back to being a draft. */
    st = store_prepare(s, "UPDATE drafts SET state = 'draft', queued_seq = 0 WHERE queued_seq IN "
                          "(SELECT seq FROM outbox WHERE state = 'failed' AND batch = ?1)");
    if (!st)
        goto fail;
    sqlite3_bind_int64(st, 1, it->batch);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE || store_commit(s) < 0)
        goto fail;
    return marked;
fail:
    store_rollback(s);
    return -1;
}

int outbox_forget_failed(struct store *s)
{
    if (store_exec(s, "DELETE FROM outbox WHERE state = 'failed'") < 0)
        return -1;
    return sqlite3_changes(s->db);
}

int outbox_say_saved(struct store *s, bool json, json_t *extra)
{
    int n = outbox_waiting(s);
    if (n < 0) {
        json_decref(extra);
        out_error(_("Cannot read the local state: %s"), store_errmsg(s));
        return TN_EXIT_SOFTWARE;
    }
    if (json) {
        json_t *o = extra ? extra : json_object();
        json_object_set_new(o, "saved", json_true());
        json_object_set_new(o, "waiting", json_integer(n));
        int rc = out_json(o);
        json_decref(o);
        return rc == 0 ? TN_EXIT_OK : TN_EXIT_SOFTWARE;
    }
    json_decref(extra);
    /* TRANSLATORS: printed after every change; N items are in the outbox,
     * waiting for 'tamnong sync' to send them to the server. */
    printf(ngettext("saved, %d waiting to send\n", "saved, %d waiting to send\n", n), n);
    return fflush(stdout) == 0 ? TN_EXIT_OK : TN_EXIT_SOFTWARE;
}
