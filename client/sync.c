/* sync: send the outbox in order, then pull; retries with backoff and
 * jitter; one lock per run (see sync.h). */
#include "sync.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "client_config.h"
#include "exit_codes.h"
#include "i18n.h"
#include "outbox.h"
#include "output.h"
#include "session.h"
#include "rpc_client.h"
#include "status.h"

void sync_options_default(struct sync_options *o)
{
    memset(o, 0, sizeof *o);
    o->max_time_ms = SYNC_MAX_TIME_MS;
    o->max_attempts = SYNC_MAX_ATTEMPTS;
    o->send = true;
    o->pull = true;
}

int sync_lock(struct store *s, int *fd)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", s->dir, STORE_LOCK_NAME);
    int f = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (f < 0)
        return -1;
    if (flock(f, LOCK_EX | LOCK_NB) < 0) {
        int e = errno;
        close(f);
        if (e == EWOULDBLOCK)
            return 1;
        errno = e;
        return -1;
    }
    *fd = f;
    return 0;
}

void sync_unlock(int fd)
{
    if (fd >= 0) {
        flock(fd, LOCK_UN);
        close(fd);
    }
}

/* ---- one run's context ---- */

enum outcome {
    OUT_OK,      /* answered OK */
    OUT_REFUSED, /* the server refused this request: mark the item failed */
    OUT_RETRY,   /* transient, and retries are spent: stop, try later */
    OUT_DEFER,   /* not refused, not done (UNIMPLEMENTED, INTERNAL...): stop, try later */
    OUT_FATAL,   /* configuration, certificate, identity: stop with that exit code */
    OUT_LOCAL,   /* a failure here (database, memory) */
    OUT_GONE,    /* the item left the outbox meanwhile (replaced): skip it */
    OUT_STOPPED, /* asked to stop (signal): the rest stays queued */
};

struct ctx {
    struct store *s;
    const struct sync_options *o;
    struct sync_result *r;
    struct client_config cfg;
    bool cfg_loaded;
    struct rpc_client *rpc;
    bool identity_checked;
    int64_t deadline; /* monotonic ms */
    struct rpc_status st;
    int fatal_exit;
    long chunks_acked; /* for the test hook */
};

static bool stop_requested(const struct ctx *c)
{
    return c->o->stop && *c->o->stop;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void say(const struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(const struct ctx *c, const char *fmt, ...)
{
    if (c->o->json)
        return;
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
    fflush(stdout);
}

static void test_crash(const char *hook, const char *method)
{
    const char *v = getenv(hook);
    if (v && *v && (strcmp(v, "1") == 0 || strcmp(v, method) == 0)) {
        fflush(stdout);
        _exit(137);
    }
}

static void drop_conn(struct ctx *c)
{
    rpc_close(c->rpc);
    c->rpc = NULL;
}

static bool transport_error(const struct rpc_status *st)
{
    switch (st->result) {
    case RPC_E_RESOLVE:
    case RPC_E_CONNECT:
    case RPC_E_TIMEOUT:
    case RPC_E_TLS:
    case RPC_E_CLOSED:
        return true;
    default:
        return false;
    }
}

static enum outcome classify(const struct rpc_status *st)
{
    if (st->result == RPC_OK)
        return OUT_OK;
    if (transport_error(st))
        return OUT_RETRY;
    switch (st->result) {
    case RPC_E_CONFIG:
    case RPC_E_SERVER_CERT:
    case RPC_E_SERVER_NAME:
    case RPC_E_CERT_REFUSED:
        return OUT_FATAL;
    case RPC_E_PROTOCOL:
        return OUT_DEFER;
    case RPC_E_INTERNAL:
        return OUT_LOCAL;
    default:
        break;
    }
    switch (st->code) {
    case TAMNONG__STATUS__UNAVAILABLE:
    case TAMNONG__STATUS__RESOURCE_EXHAUSTED:
    case TAMNONG__STATUS__DEADLINE_EXCEEDED:
    case TAMNONG__STATUS__ABORTED:
        return OUT_RETRY;
    case TAMNONG__STATUS__INVALID_ARGUMENT:
    case TAMNONG__STATUS__ALREADY_EXISTS:
    case TAMNONG__STATUS__FAILED_PRECONDITION:
    case TAMNONG__STATUS__NOT_FOUND:
    case TAMNONG__STATUS__PERMISSION_DENIED:
    case TAMNONG__STATUS__OUT_OF_RANGE:
        return OUT_REFUSED;
    case TAMNONG__STATUS__UNAUTHENTICATED:
        return OUT_FATAL;
    default: /* UNIMPLEMENTED, INTERNAL, UNKNOWN, DATA_LOSS, CANCELLED, unknown codes */
        return OUT_DEFER;
    }
}

/* Plain words for a failed call (translated). */
static void describe(const struct rpc_status *st, char *buf, size_t len)
{
    if (st->result != RPC_STATUS && st->result != RPC_OK) {
        snprintf(buf, len, "%s", st->detail);
        return;
    }
    if (st->server_message[0])
        snprintf(buf, len, "%s (%s): %s", _(status_describe(st->code)), status_name(st->code),
                 st->server_message);
    else
        snprintf(buf, len, "%s (%s)", _(status_describe(st->code)), status_name(st->code));
}

/* Sleep before the next attempt: full jitter on the exponential cap, at
 * least retry_after_ms, within the run's deadline. false when no time or
 * attempts remain. */
static bool backoff(struct ctx *c, int attempt, const struct rpc_status *st)
{
    if (attempt >= c->o->max_attempts || stop_requested(c))
        return false;
    int64_t left = c->deadline - mono_ms();
    if (left <= 0)
        return false;
    int64_t cap = SYNC_BACKOFF_BASE;
    for (int i = 1; i < attempt && cap < SYNC_BACKOFF_CAP_MS; i++)
        cap *= 2;
    if (cap > SYNC_BACKOFF_CAP_MS)
        cap = SYNC_BACKOFF_CAP_MS;
    uint32_t rnd = 0;
    if (RAND_bytes((unsigned char *)&rnd, sizeof rnd) != 1)
        rnd = (uint32_t)mono_ms();
    int64_t wait = (int64_t)(rnd % (uint32_t)(cap + 1));
    if (st->retry_after_ms > 0 && wait < (int64_t)st->retry_after_ms)
        wait = st->retry_after_ms;
    if (wait > left)
        return false;
    out_verbose(_("waiting %.1f s before trying again"), (double)wait / 1000.0);
    struct timespec ts = {wait / 1000, (wait % 1000) * 1000000};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        if (stop_requested(c))
            return false;
    return true;
}

/* Learn who we are once per run: the state directory belongs to one agency. */
static enum outcome check_identity(struct ctx *c)
{
    Tamnong__PingRequest req = TAMNONG__PING_REQUEST__INIT;
    req.skip_database = true;
    ProtobufCMessage *resp = NULL;
    if (rpc_call(c->rpc, "Ping", &req.base, &resp, &c->st) < 0)
        return classify(&c->st);
    const Tamnong__PingResponse *p = (const Tamnong__PingResponse *)resp;
    const char *code = p->agency ? p->agency->code : "";
    char mine[128];
    enum outcome out = OUT_OK;
    if (store_meta_get(c->s, "agency_code", mine, sizeof mine) == 1 && mine[0] && code[0] &&
        strcmp(mine, code) != 0) {
        snprintf(c->r->stopped, sizeof c->r->stopped,
                 _("The local state in %s belongs to the agency %s, but this certificate is of "
                   "the agency %s. Use --state-dir to keep each agency's state apart."),
                 c->s->dir, mine, code);
        c->fatal_exit = TN_EXIT_CONFIG;
        out = OUT_FATAL;
    } else if (code[0] && !mine[0]) {
        store_meta_set(c->s, "agency_code", code);
    }
    store_meta_set_int(c->s, "clock_offset_ms", rpc_clock_skew_ms(c->rpc));
    protobuf_c_message_free_unpacked(resp, NULL);
    c->identity_checked = true;
    return out;
}

static enum outcome ensure_conn(struct ctx *c)
{
    if (c->rpc)
        return OUT_OK;
    if (!c->cfg_loaded) {
        char err[2048];
        if (client_config_load(&c->cfg, c->o->config_path, err, sizeof err) < 0 ||
            client_config_check_files(&c->cfg, err, sizeof err) < 0) {
            client_config_free(&c->cfg);
            snprintf(c->r->stopped, sizeof c->r->stopped, "%s", err);
            c->fatal_exit = TN_EXIT_CONFIG;
            return OUT_FATAL;
        }
        c->cfg_loaded = true;
    }
    if (rpc_connect(&c->cfg, &c->rpc, &c->st) < 0) {
        c->rpc = NULL;
        return classify(&c->st);
    }
    /* A person logged in here (tamnong login): their reviews and reports
     * go out under their name; without one, as the agency. */
    struct session sess;
    if (c->s && session_load(c->s->dir, c->cfg.cert_file, &sess) == 0)
        rpc_set_session(c->rpc, sess.token, sizeof sess.token);
    if (!c->identity_checked) {
        enum outcome o = check_identity(c);
        if (o != OUT_OK) {
            drop_conn(c);
            return o;
        }
    }
    return OUT_OK;
}

/* One call with retries. seq > 0: commit an attempt on that outbox item
 * before each send. */
static enum outcome call(struct ctx *c, const char *method, const ProtobufCMessage *req,
                         ProtobufCMessage **resp, int64_t seq)
{
    *resp = NULL;
    for (int attempt = 1;; attempt++) {
        enum outcome o = ensure_conn(c);
        if (o == OUT_OK) {
            int a = seq > 0 ? outbox_begin_attempt(c->s, seq) : 0;
            if (a < 0)
                return OUT_LOCAL;
            if (a > 0)
                return OUT_GONE;
            if (rpc_call(c->rpc, method, req, resp, &c->st) == 0)
                return OUT_OK;
            o = classify(&c->st);
            if (transport_error(&c->st) || c->st.result == RPC_E_PROTOCOL ||
                c->st.code == TAMNONG__STATUS__UNAVAILABLE ||
                c->st.code == TAMNONG__STATUS__UNAUTHENTICATED)
                drop_conn(c); /* the connection may be gone: start afresh */
        }
        if (o != OUT_RETRY)
            return o;
        char why[1400];
        describe(&c->st, why, sizeof why);
        out_verbose(_("%s: %s"), method, why);
        if (seq > 0)
            outbox_note_error(c->s, seq, c->st.result == RPC_STATUS ? c->st.code : 0, why);
        if (!backoff(c, attempt, &c->st))
            return OUT_RETRY;
    }
}

/* ---- items ---- */

static void item_event(struct ctx *c, const struct outbox_item *it, const char *result,
                       const char *message, json_t *extra)
{
    if (!c->o->json || !c->r->items) {
        json_decref(extra);
        return;
    }
    json_t *o = extra ? extra : json_object();
    json_object_set_new(o, "seq", json_integer(it->seq));
    json_object_set_new(o, "method", json_string(it->method));
    json_object_set_new(o, "ref", json_string(it->ref));
    json_object_set_new(o, "result", json_string(result));
    if (message)
        json_object_set_new(o, "message", json_string(message));
    json_array_append_new(c->r->items, o);
}

/* What an item is, for a person: "report 2025-6m", "task III.4.a"... */
static void item_label(const struct outbox_item *it, char *buf, size_t len)
{
    if (strcmp(it->method, "Submit") == 0)
        snprintf(buf, len, _("report %s"), it->ref);
    else if (strcmp(it->method, "TaskUpdate") == 0)
        snprintf(buf, len, _("task update %s"), it->ref);
    else if (strcmp(it->method, "Review") == 0)
        snprintf(buf, len, _("review of submission %s"), it->ref);
    else if (strcmp(it->method, "Attachment") == 0) {
        const char *sp = strchr(it->ref, ' ');
        snprintf(buf, len, _("file %s"), sp && sp[1] ? sp + 1 : it->ref);
    } else
        snprintf(buf, len, "%s %s", it->method, it->ref);
}

static enum outcome refuse(struct ctx *c, const struct outbox_item *it)
{
    char why[1400], label[512];
    describe(&c->st, why, sizeof why);
    item_label(it, label, sizeof label);
    int n = outbox_fail(c->s, it, c->st.code, c->st.server_message[0] ? c->st.server_message : why);
    if (n < 0)
        return OUT_LOCAL;
    c->r->refused += n;
    if (c->st.code == TAMNONG__STATUS__FAILED_PRECONDITION && strcmp(it->method, "TaskUpdate") == 0)
        say(c,
            _("CONFLICT %s: someone changed this task since your last pull. Run 'tamnong "
              "pull', look at 'tamnong tasks', then update it again. (%s)"),
            label, c->st.server_message);
    else
        say(c, _("REFUSED %s: %s"), label, why);
    if (n > 1)
        say(c,
            ngettext("  %d item that depends on it was not sent.",
                     "  %d items that depend on it were not sent.", (unsigned long)(n - 1)),
            n - 1);
    item_event(c, it, "refused", why,
               json_pack("{s:s, s:i}", "status", status_name(c->st.code), "dependents", n - 1));
    return OUT_REFUSED;
}

static enum outcome acked(struct ctx *c, const struct outbox_item *it,
                          const struct outbox_receipt *rc, const char *summary, json_t *extra)
{
    test_crash("TAMNONG_TEST_CRASH_AFTER_ACK", it->method);
    if (outbox_ack(c->s, it, rc) < 0) {
        json_decref(extra);
        return OUT_LOCAL;
    }
    c->r->sent++;
    if (rc->replay)
        c->r->replayed++;
    char label[512];
    item_label(it, label, sizeof label);
    say(c, "%s %s: %s%s", _("SENT"), label, summary,
        rc->replay ? _(" (already received earlier: not counted twice)") : "");
    json_t *o = extra ? extra : json_object();
    json_object_set_new(o, "replay", json_boolean(rc->replay));
    item_event(c, it, "sent", NULL, o);
    return OUT_OK;
}

static enum outcome send_request(struct ctx *c, const struct outbox_item *it)
{
    const ProtobufCMethodDescriptor *m =
        protobuf_c_service_descriptor_get_method_by_name(&tamnong__tamnong__descriptor, it->method);
    if (!m) {
        snprintf(c->r->stopped, sizeof c->r->stopped,
                 _("The outbox holds a request this program does not know (%s). Use a newer "
                   "tamnong."),
                 it->method);
        return OUT_DEFER;
    }
    ProtobufCMessage *req = protobuf_c_message_unpack(m->input, NULL, it->len, it->payload);
    if (!req)
        goto garbled;
    /* The bytes on the wire must be the stored bytes (same UUID, same content
     * => the server's replay): repacking a message protobuf-c packed gives
     * the same bytes; check it rather than assume it. */
    size_t n = protobuf_c_message_get_packed_size(req);
    uint8_t *again = n == it->len ? malloc(n ? n : 1) : NULL;
    bool same =
        again && protobuf_c_message_pack(req, again) == n && memcmp(again, it->payload, n) == 0;
    free(again);
    if (!same) {
        protobuf_c_message_free_unpacked(req, NULL);
        goto garbled;
    }
    ProtobufCMessage *resp = NULL;
    enum outcome o = call(c, it->method, req, &resp, it->seq);
    protobuf_c_message_free_unpacked(req, NULL);
    if (o == OUT_GONE)
        return OUT_OK; /* replaced by a newer item, which comes later */
    if (o != OUT_OK)
        return o == OUT_REFUSED ? refuse(c, it) : o;
    struct outbox_receipt rc;
    memset(&rc, 0, sizeof rc);
    char summary[512] = "";
    json_t *extra = NULL;
    if (strcmp(it->method, "Submit") == 0) {
        const Tamnong__SubmitReceipt *r = (const Tamnong__SubmitReceipt *)resp;
        rc.replay = r->replay;
        rc.submission_id = r->submission_id;
        rc.revision = r->revision;
        rc.received_at_ms = r->received_at_ms;
        rc.on_time = r->on_time;
        rc.deadline_at_ms = r->deadline_at_ms;
        char when[64];
        out_local_time(r->received_at_ms, when, sizeof when);
        snprintf(summary, sizeof summary, _("submission %lld, revision %d, received %s, %s"),
                 (long long)r->submission_id, r->revision, when,
                 r->on_time ? _("on time") : _("late"));
        extra = json_pack("{s:I, s:i, s:I, s:b}", "submission_id", (json_int_t)r->submission_id,
                          "revision", r->revision, "received_at_ms", (json_int_t)r->received_at_ms,
                          "on_time", r->on_time);
    } else if (strcmp(it->method, "TaskUpdate") == 0) {
        const Tamnong__TaskUpdateReceipt *r = (const Tamnong__TaskUpdateReceipt *)resp;
        rc.replay = r->replay;
        rc.version = r->version;
        rc.received_at_ms = r->received_at_ms;
        snprintf(summary, sizeof summary, _("version %lld"), (long long)r->version);
        extra = json_pack("{s:I, s:I}", "version", (json_int_t)r->version, "received_at_ms",
                          (json_int_t)r->received_at_ms);
    } else if (strcmp(it->method, "Review") == 0) {
        const Tamnong__ReviewReceipt *r = (const Tamnong__ReviewReceipt *)resp;
        rc.replay = r->replay;
        snprintf(rc.state, sizeof rc.state, "%s", r->state);
        rc.reviewed_at_ms = r->reviewed_at_ms;
        rc.received_at_ms = r->reviewed_at_ms;
        snprintf(summary, sizeof summary, "%s", r->state);
        extra = json_pack("{s:s}", "state", r->state);
    }
    protobuf_c_message_free_unpacked(resp, NULL);
    return acked(c, it, &rc, summary, extra);
garbled:
    snprintf(c->r->stopped, sizeof c->r->stopped,
             _("The outbox item %lld cannot be read back. Run 'tamnong status' and tell the "
               "operator."),
             (long long)it->seq);
    return OUT_LOCAL;
}

/* AttachmentStatus, then AttachmentChunk from the server's offset until it
 * says complete; after a transient failure, start again from the status. */
static enum outcome send_attachment(struct ctx *c, const struct outbox_item *it)
{
    Tamnong__AttachmentStatusRequest *a =
        tamnong__attachment_status_request__unpack(NULL, it->len, it->payload);
    if (!a || !a->sha256 || strlen(a->sha256) != 64) {
        if (a)
            tamnong__attachment_status_request__free_unpacked(a, NULL);
        snprintf(c->r->stopped, sizeof c->r->stopped,
                 _("The outbox item %lld cannot be read back. Run 'tamnong status' and tell the "
                   "operator."),
                 (long long)it->seq);
        return OUT_LOCAL;
    }
    char path[4200], sha[65];
    store_file_path(c->s, a->sha256, path, sizeof path);
    int64_t size = 0;
    enum outcome result = OUT_OK;
    FILE *f = NULL;
    uint8_t *chunk = NULL;
    if (store_sha256_file(path, sha, &size) < 0 || strcmp(sha, a->sha256) != 0 || size != a->size) {
        /* Our copy is gone or damaged: nothing to send, ever. */
        c->st.result = RPC_STATUS;
        c->st.code = TAMNONG__STATUS__DATA_LOSS;
        snprintf(c->st.server_message, sizeof c->st.server_message,
                 _("the copy of the file kept in %s is missing or damaged; attach the file "
                   "again"),
                 path);
        result = refuse(c, it);
        goto out;
    }
    f = fopen(path, "rb");
    chunk = malloc(SYNC_CHUNK);
    if (!f || !chunk) {
        result = OUT_LOCAL;
        goto out;
    }
    int retries = 0;
    bool tried = false;
    for (;;) {
        if (!tried) {
            int b = outbox_begin_attempt(c->s, it->seq);
            if (b != 0) {
                result = b < 0 ? OUT_LOCAL : OUT_OK; /* gone meanwhile: nothing to do */
                goto out;
            }
            tried = true;
        }
        Tamnong__AttachmentStatusRequest sreq = TAMNONG__ATTACHMENT_STATUS_REQUEST__INIT;
        sreq.sha256 = a->sha256;
        sreq.size = a->size;
        ProtobufCMessage *resp = NULL;
        enum outcome o = call(c, "AttachmentStatus", &sreq.base, &resp, 0);
        if (o != OUT_OK) {
            result = o == OUT_REFUSED ? refuse(c, it) : o;
            goto out;
        }
        const Tamnong__AttachmentStatusResponse *sr =
            (const Tamnong__AttachmentStatusResponse *)resp;
        int64_t received = sr->received;
        bool complete = sr->complete;
        protobuf_c_message_free_unpacked(resp, NULL);
        bool restart = false;
        while (!complete && !restart) {
            if (stop_requested(c)) {
                result = OUT_STOPPED; /* the server keeps what it has: resumed next run */
                goto out;
            }
            if (received < 0 || received > a->size) {
                c->st.result = RPC_STATUS;
                c->st.code = TAMNONG__STATUS__DATA_LOSS;
                snprintf(c->st.server_message, sizeof c->st.server_message,
                         "the server holds %lld bytes of a %lld-byte file", (long long)received,
                         (long long)a->size);
                result = OUT_DEFER;
                goto out;
            }
            size_t want =
                (size_t)(a->size - received < SYNC_CHUNK ? a->size - received : SYNC_CHUNK);
            if (fseeko(f, received, SEEK_SET) != 0 || fread(chunk, 1, want, f) != want) {
                result = OUT_LOCAL;
                goto out;
            }
            Tamnong__AttachmentChunkRequest creq = TAMNONG__ATTACHMENT_CHUNK_REQUEST__INIT;
            creq.sha256 = a->sha256;
            creq.size = a->size;
            creq.offset = received;
            creq.data.data = chunk;
            creq.data.len = want;
            o = call(c, "AttachmentChunk", &creq.base, &resp, 0);
            if (o == OUT_REFUSED && c->st.code == TAMNONG__STATUS__FAILED_PRECONDITION &&
                retries++ < c->o->max_attempts) {
                restart = true; /* our offset is not the server's: ask again */
                break;
            }
            if (o != OUT_OK) {
                result = o == OUT_REFUSED ? refuse(c, it) : o;
                goto out;
            }
            const Tamnong__AttachmentChunkResponse *cr =
                (const Tamnong__AttachmentChunkResponse *)resp;
            received = cr->received;
            complete = cr->complete;
            protobuf_c_message_free_unpacked(resp, NULL);
            out_verbose(_("uploaded %lld of %lld bytes"), (long long)received, (long long)a->size);
            c->chunks_acked++;
            const char *hook = getenv("TAMNONG_TEST_CRASH_AFTER_CHUNKS");
            if (hook && *hook && c->chunks_acked >= atol(hook)) {
                fflush(stdout);
                _exit(137);
            }
        }
        if (complete)
            break;
    }
    struct outbox_receipt rc;
    memset(&rc, 0, sizeof rc);
    rc.received_at_ms = store_now_ms();
    char summary[128];
    snprintf(summary, sizeof summary, _("%lld bytes, SHA-256 checked"), (long long)a->size);
    result = acked(c, it, &rc, summary,
                   json_pack("{s:s, s:I}", "sha256", a->sha256, "size", (json_int_t)a->size));
out:
    free(chunk);
    if (f)
        fclose(f);
    tamnong__attachment_status_request__free_unpacked(a, NULL);
    return result;
}

/* ---- pull ---- */

static int upsert_period(struct store *s, const Tamnong__PeriodInfo *p)
{
    sqlite3_stmt *st = store_prepare(
        s, "INSERT OR REPLACE INTO periods (code, regime, regime_name, year, window_start, "
           "window_end, deadline, deadline_at_ms, time_zone, extended_deadline_at_ms, "
           "extension_reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, p->code, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, p->regime, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, p->regime_name, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, p->year);
    sqlite3_bind_text(st, 5, p->window_start, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, p->window_end, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, p->deadline, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 8, p->deadline_at_ms);
    sqlite3_bind_text(st, 9, p->time_zone, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 10, p->extended_deadline_at_ms);
    sqlite3_bind_text(st, 11, p->extension_reason, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(st);
    return rc;
}

static int upsert_indicator(struct store *s, const Tamnong__ReportIndicator *i)
{
    sqlite3_stmt *st =
        store_prepare(s, "INSERT OR REPLACE INTO indicators (key, name, unit, rule, required, "
                         "numerator_label, denominator_label) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, i->key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, i->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, i->unit, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, i->rule, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 5, i->required ? 1 : 0);
    sqlite3_bind_text(st, 6, i->numerator_label, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, i->denominator_label, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(st);
    return rc;
}

/* "A, B" from agency refs (codes). */
static char *join_refs(Tamnong__AgencyRef **refs, size_t n)
{
    size_t len = 1;
    for (size_t i = 0; i < n; i++)
        len += strlen(refs[i]->code) + 2;
    char *s = calloc(1, len);
    if (!s)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (i)
            strcat(s, ", ");
        strcat(s, refs[i]->code);
    }
    return s;
}

static char *join_lines(char **v, size_t n)
{
    size_t len = 1;
    for (size_t i = 0; i < n; i++)
        len += strlen(v[i]) + 1;
    char *s = calloc(1, len);
    if (!s)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (i)
            strcat(s, "\n");
        strcat(s, v[i]);
    }
    return s;
}

static int apply_task_status(struct store *s, const Tamnong__TaskStatus *t, bool force)
{
    char *ev = join_lines(t->evidence, t->n_evidence);
    if (!ev)
        return -1;
    sqlite3_stmt *st = store_prepare(
        s, force ? "UPDATE tasks SET status = ?2, progress = ?3, note = ?4, evidence = ?5, "
                   "version = ?6, updated_at_ms = ?7, updated_by = ?8 WHERE code = ?1"
                 : "UPDATE tasks SET status = ?2, progress = ?3, note = ?4, evidence = ?5, "
                   "version = ?6, updated_at_ms = ?7, updated_by = ?8 WHERE code = ?1 AND "
                   "version <= ?6");
    int rc = -1;
    if (st) {
        sqlite3_bind_text(st, 1, t->task_code, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, t->status[0] ? t->status : "not_started", -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 3, t->progress);
        sqlite3_bind_text(st, 4, t->note, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, ev, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 6, t->version);
        sqlite3_bind_int64(st, 7, t->updated_at_ms);
        sqlite3_bind_text(st, 8, t->updated_by, -1, SQLITE_STATIC);
        rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
        sqlite3_finalize(st);
    }
    free(ev);
    return rc;
}

static int insert_task(struct store *s, const Tamnong__Assignment *a)
{
    const Tamnong__TaskInfo *t = a->task;
    if (!t)
        return 0;
    char *lead = join_refs(t->lead, t->n_lead);
    char *coord = join_refs(t->coordinating, t->n_coordinating);
    int rc = -1;
    sqlite3_stmt *st = NULL;
    if (!lead || !coord)
        goto out;
    st = store_prepare(
        s, "INSERT OR REPLACE INTO tasks (code, section, title, text, role, lead, coordinating, "
           "deadline_kind, deadline_value, expected_output) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
           "?8, ?9, ?10)");
    if (!st)
        goto out;
    sqlite3_bind_text(st, 1, t->code, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, t->section, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, t->title, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, t->text, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, t->role, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, lead, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, coord, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 8, t->deadline_kind[0] ? t->deadline_kind : "continuous", -1,
                      SQLITE_STATIC);
    sqlite3_bind_text(st, 9, t->deadline_value, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 10, t->expected_output, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
        goto out;
    rc = 0;
    if (a->status) {
        Tamnong__TaskStatus ts = *a->status;
        ts.task_code = t->code;
        rc = apply_task_status(s, &ts, true);
    }
out:
    sqlite3_finalize(st);
    free(lead);
    free(coord);
    return rc;
}

static int apply_submission(struct store *s, const Tamnong__SubmissionState *x,
                            struct pull_summary *sum)
{
    sqlite3_stmt *st = store_prepare(
        s, "INSERT INTO submissions (submission_id, period_code, revision, state, "
           "received_at_ms, on_time, reason, reviewed_at_ms, current) VALUES (?1, ?2, ?3, ?4, "
           "?5, ?6, ?7, ?8, ?9) ON CONFLICT (submission_id) DO UPDATE SET period_code = "
           "excluded.period_code, revision = excluded.revision, state = excluded.state, "
           "received_at_ms = excluded.received_at_ms, on_time = excluded.on_time, reason = "
           "excluded.reason, reviewed_at_ms = excluded.reviewed_at_ms, current = "
           "excluded.current");
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, x->submission_id);
    sqlite3_bind_text(st, 2, x->period_code, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, x->revision);
    sqlite3_bind_text(st, 4, x->state, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, x->received_at_ms);
    sqlite3_bind_int(st, 6, x->on_time ? 1 : 0);
    sqlite3_bind_text(st, 7, x->reason, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 8, x->reviewed_at_ms);
    sqlite3_bind_int(st, 9, x->current ? 1 : 0);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(st);
    if (rc < 0)
        return -1;
    if (x->current) {
        st = store_prepare(s, "UPDATE submissions SET current = 0 WHERE period_code = ?1 AND "
                              "submission_id <> ?2");
        if (!st)
            return -1;
        sqlite3_bind_text(st, 1, x->period_code, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, x->submission_id);
        rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
        sqlite3_finalize(st);
        if (rc < 0)
            return -1;
    }
    /* Count only the latest revision: a returned one that was resubmitted
     * since is history, not news. */
    if (x->current && strcmp(x->state, "returned") == 0)
        sum->returned++;
    else if (x->current && strcmp(x->state, "accepted") == 0)
        sum->accepted++;
    /* The draft that produced this revision, if not edited since, takes the
     * review's outcome; an edited draft stays a draft (status shows the
     * reason from the submissions table). */
    if (strcmp(x->state, "returned") == 0 || strcmp(x->state, "accepted") == 0) {
        st = store_prepare(s, "UPDATE drafts SET state = ?3, reason = ?4 WHERE period_code = ?1 "
                              "AND submission_id = ?2 AND state IN ('sent', 'accepted', "
                              "'returned')");
        if (!st)
            return -1;
        sqlite3_bind_text(st, 1, x->period_code, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, x->submission_id);
        sqlite3_bind_text(st, 3, x->state, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, x->reason, -1, SQLITE_STATIC);
        rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
        sqlite3_finalize(st);
        if (rc < 0)
            return -1;
        /* Keep the reason with any draft of the period, for `report show`. */
        if (strcmp(x->state, "returned") == 0 && x->current) {
            st = store_prepare(s, "UPDATE drafts SET reason = ?2 WHERE period_code = ?1");
            if (!st)
                return -1;
            sqlite3_bind_text(st, 1, x->period_code, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 2, x->reason, -1, SQLITE_STATIC);
            rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
            sqlite3_finalize(st);
        }
    }
    return rc;
}

int sync_apply_pull(struct store *s, const Tamnong__PullResponse *p, struct pull_summary *sum)
{
    memset(sum, 0, sizeof *sum);
    if (store_begin(s) < 0)
        return -1;
    if (p->plan_changed) {
        if (store_exec(s, "DELETE FROM tasks; DELETE FROM indicators") < 0)
            goto fail;
        for (size_t i = 0; i < p->n_assignments; i++)
            if (insert_task(s, p->assignments[i]) < 0)
                goto fail;
        for (size_t i = 0; i < p->n_indicators; i++)
            if (upsert_indicator(s, p->indicators[i]) < 0)
                goto fail;
        sum->plan_changed = true;
        sum->tasks = (int)p->n_assignments;
        sum->indicators = (int)p->n_indicators;
        sum->periods = (int)p->n_periods;
        if (store_meta_set_int(s, "plan_version", p->plan_version) < 0)
            goto fail;
    }
    /* The server sends the periods complete on every pull (a deadline or
     * this agency's extension may change without a new plan version); a
     * response without any keeps what we have, unless the plan changed. */
    if (p->plan_changed || p->n_periods > 0) {
        if (store_exec(s, "DELETE FROM periods") < 0)
            goto fail;
        for (size_t i = 0; i < p->n_periods; i++)
            if (upsert_period(s, p->periods[i]) < 0)
                goto fail;
    }
    for (size_t i = 0; i < p->n_task_statuses; i++)
        if (apply_task_status(s, p->task_statuses[i], false) < 0)
            goto fail;
    for (size_t i = 0; i < p->n_submissions; i++)
        if (apply_submission(s, p->submissions[i], sum) < 0)
            goto fail;
    sum->task_statuses = (int)p->n_task_statuses;
    sum->submissions = (int)p->n_submissions;
    sum->plan_version = p->plan_version;
    if (p->as_of && p->as_of[0] && store_meta_set(s, "as_of", p->as_of) < 0)
        goto fail;
    if (store_meta_set_int(s, "cursor", p->cursor) < 0 ||
        store_meta_set_int(s, "last_pull_ms", store_now_ms()) < 0)
        goto fail;
    if (store_commit(s) < 0)
        goto fail;
    sum->done = true;
    return 0;
fail:
    store_rollback(s);
    return -1;
}

static enum outcome do_pull(struct ctx *c)
{
    Tamnong__PullRequest req = TAMNONG__PULL_REQUEST__INIT;
    req.plan_version = (int32_t)store_meta_int(c->s, "plan_version", 0);
    req.since = store_meta_int(c->s, "cursor", 0);
    char as_of[32];
    if (store_meta_get(c->s, "as_of", as_of, sizeof as_of) == 1 && as_of[0])
        req.as_of = as_of;
    ProtobufCMessage *resp = NULL;
    enum outcome o = call(c, "Pull", &req.base, &resp, 0);
    if (o != OUT_OK)
        return o;
    int rc = sync_apply_pull(c->s, (const Tamnong__PullResponse *)resp, &c->r->pull);
    protobuf_c_message_free_unpacked(resp, NULL);
    return rc == 0 ? OUT_OK : OUT_LOCAL;
}

/* ---- the run ---- */

static void stopped_because(struct ctx *c, enum outcome o, const char *what)
{
    if (c->r->stopped[0])
        return;
    char why[1400];
    if (o == OUT_LOCAL) {
        snprintf(c->r->stopped, sizeof c->r->stopped, _("Cannot update the local state: %s"),
                 store_errmsg(c->s));
        return;
    }
    if (o == OUT_STOPPED) {
        snprintf(c->r->stopped, sizeof c->r->stopped, "%s",
                 _("Stopped on request (signal): what was not sent is kept for the next run."));
        return;
    }
    describe(&c->st, why, sizeof why);
    if (o == OUT_RETRY)
        snprintf(c->r->stopped, sizeof c->r->stopped,
                 _("%s: the server could not be reached or was busy, also after retries: %s"), what,
                 why);
    else
        snprintf(c->r->stopped, sizeof c->r->stopped, "%s: %s", what, why);
}

static int exit_for(struct ctx *c, enum outcome o)
{
    switch (o) {
    case OUT_FATAL:
        return c->fatal_exit ? c->fatal_exit : rpc_exit_code(&c->st);
    case OUT_LOCAL:
        return TN_EXIT_SOFTWARE;
    case OUT_REFUSED:
        return TN_EXIT_DATA;
    default:
        return TN_EXIT_TEMPFAIL;
    }
}

int sync_run(struct store *s, const struct sync_options *o, struct sync_result *r)
{
    memset(r, 0, sizeof *r);
    if (o->json)
        r->items = json_array();
    struct ctx c = {.s = s, .o = o, .r = r};
    c.deadline = mono_ms() + (o->max_time_ms > 0 ? o->max_time_ms : SYNC_MAX_TIME_MS);
    enum outcome stop = OUT_OK;
    int64_t after = 0;
    if (o->send) {
        int total = outbox_waiting(s);
        if (total > 0)
            say(&c, ngettext("Sending %d item...", "Sending %d items...", (unsigned long)total),
                total);
        for (;;) {
            struct outbox_item it;
            int f = outbox_next(s, after, &it);
            if (f < 0) {
                stop = OUT_LOCAL;
                stopped_because(&c, stop, "");
                break;
            }
            if (f == 0)
                break;
            if (stop_requested(&c)) {
                outbox_item_free(&it);
                stop = OUT_STOPPED;
                stopped_because(&c, stop, "");
                break;
            }
            after = it.seq;
            enum outcome res = strcmp(it.method, "Attachment") == 0 ? send_attachment(&c, &it)
                                                                    : send_request(&c, &it);
            if (res == OUT_RETRY && stop_requested(&c))
                res = OUT_STOPPED; /* the retry was cut short on request */
            if (res != OUT_OK && res != OUT_REFUSED) {
                char label[512];
                item_label(&it, label, sizeof label);
                stopped_because(&c, res, label);
                if (res == OUT_RETRY || res == OUT_DEFER) {
                    char why[1400];
                    describe(&c.st, why, sizeof why);
                    outbox_note_error(s, it.seq, c.st.result == RPC_STATUS ? c.st.code : 0, why);
                }
                item_event(&c, &it, "waiting", r->stopped, NULL);
                outbox_item_free(&it);
                stop = res;
                break;
            }
            outbox_item_free(&it);
        }
    }
    if (stop == OUT_OK && o->pull && stop_requested(&c)) {
        stop = OUT_STOPPED;
        stopped_because(&c, stop, "");
    }
    if (stop == OUT_OK && o->pull) {
        enum outcome p = do_pull(&c);
        if (p == OUT_RETRY && stop_requested(&c))
            p = OUT_STOPPED;
        if (p != OUT_OK) {
            stopped_because(&c, p, _("pull"));
            stop = p;
        }
    }
    drop_conn(&c);
    if (c.cfg_loaded)
        client_config_free(&c.cfg);
    r->waiting = outbox_waiting(s);
    r->failed = outbox_failed(s);
    if (stop == OUT_OK)
        store_meta_set_int(s, "last_sync_ms", store_now_ms());
    if (stop != OUT_OK)
        r->exit_code = exit_for(&c, stop);
    else if (r->waiting > 0)
        r->exit_code = TN_EXIT_TEMPFAIL;
    else if (r->refused > 0)
        r->exit_code = TN_EXIT_DATA;
    else
        r->exit_code = TN_EXIT_OK;
    return r->exit_code;
}

void sync_print_pull(const struct pull_summary *p)
{
    if (!p->done)
        return;
    if (p->plan_changed)
        printf(_("Pulled plan version %d: %d tasks, %d indicators, %d periods.\n"), p->plan_version,
               p->tasks, p->indicators, p->periods);
    else
        printf(_("Plan version %d: unchanged.\n"), p->plan_version);
    printf(_("Changes since the last pull: %d task statuses, %d report states.\n"),
           p->task_statuses, p->submissions);
    if (p->returned)
        printf(ngettext("%d report was returned for correction: 'tamnong status' says why.\n",
                        "%d reports were returned for correction: 'tamnong status' says why.\n",
                        (unsigned long)p->returned),
               p->returned);
    if (p->accepted)
        printf(ngettext("%d report was accepted.\n", "%d reports were accepted.\n",
                        (unsigned long)p->accepted),
               p->accepted);
}

json_t *sync_pull_json(const struct pull_summary *p)
{
    if (!p->done)
        return json_null();
    return json_pack("{s:i, s:b, s:i, s:i, s:i, s:i, s:i, s:i, s:i}", "plan_version",
                     p->plan_version, "plan_changed", p->plan_changed, "tasks", p->tasks,
                     "indicators", p->indicators, "periods", p->periods, "task_statuses",
                     p->task_statuses, "submissions", p->submissions, "returned", p->returned,
                     "accepted", p->accepted);
}
