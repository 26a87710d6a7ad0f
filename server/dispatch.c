/* dispatch: request frame -> method -> handler -> Response frame (see
 * dispatch.h). Nothing here trusts the frame: the envelope is decoded by
 * envelope.c, the method index is bounds-checked before protobuf-c sees it,
 * and every failure is answered with a status instead of asserted. */
#include "dispatch.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "call.h"
#include "envelope.h"
#include "handler_util.h"
#include "frame.h"
#include "log.h"
#include "metrics.h"
#include "pb_text.h"
#include "roles.h"
#include "tls_util.h"
#include "utf8.h"
#include "server.h"
#include "status.h"

/* Room kept in a frame for the Response fields around the payload. */
#define RESPONSE_OVERHEAD 256

/* Protobuf wire format of message Response (proto/tamnong.proto): field
 * number << 3 | wire type (0 varint, 2 length-delimited). */
#define TAG_ID          (1 << 3 | 0)
#define TAG_STATUS      (2 << 3 | 0)
#define TAG_MESSAGE     (3 << 3 | 2)
#define TAG_SERVER_TIME (4 << 3 | 0)
#define TAG_PAYLOAD     (5 << 3 | 2)
#define TAG_RETRY_AFTER (6 << 3 | 0)

static size_t varint_size(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static uint8_t *put_varint(uint8_t *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

/* Size of the Response frame (header included); proto3 leaves out fields at
 * their default. payload (packed size plen) only with status OK. */
static size_t response_size(uint64_t id, int status, const char *message, uint64_t now,
                            const ProtobufCMessage *payload, size_t plen)
{
    uint32_t retry = status_retryable(status) ? DISPATCH_RETRY_AFTER_MS : 0;
    size_t mlen = message ? strlen(message) : 0;
    size_t body = 0;
    if (id)
        body += 1 + varint_size(id);
    if (status)
        body += 1 + varint_size((uint64_t)status);
    if (mlen)
        body += 1 + varint_size(mlen) + mlen;
    if (now)
        body += 1 + varint_size(now);
    if (payload && plen)
        body += 1 + varint_size(plen) + plen;
    if (retry)
        body += 1 + varint_size(retry);
    return FRAME_HEADER_SIZE + body;
}

/* Write the frame of response_size() bytes at start. */
static void response_encode(uint8_t *start, size_t size, uint64_t id, int status,
                            const char *message, uint64_t now, const ProtobufCMessage *payload,
                            size_t plen)
{
    uint32_t retry = status_retryable(status) ? DISPATCH_RETRY_AFTER_MS : 0;
    size_t mlen = message ? strlen(message) : 0;
    frame_put_header(start, (uint32_t)(size - FRAME_HEADER_SIZE));
    uint8_t *p = start + FRAME_HEADER_SIZE;
    if (id) {
        *p++ = TAG_ID;
        p = put_varint(p, id);
    }
    if (status) {
        *p++ = TAG_STATUS;
        p = put_varint(p, (uint64_t)status);
    }
    if (mlen) {
        *p++ = TAG_MESSAGE;
        p = put_varint(p, mlen);
        memcpy(p, message, mlen);
        p += mlen;
    }
    if (now) {
        *p++ = TAG_SERVER_TIME;
        p = put_varint(p, now);
    }
    if (payload && plen) {
        *p++ = TAG_PAYLOAD;
        p = put_varint(p, plen);
        size_t n = protobuf_c_message_pack(payload, p);
        assert(n == plen);
        p += n;
    }
    if (retry) {
        *p++ = TAG_RETRY_AFTER;
        p = put_varint(p, retry);
    }
    assert((size_t)(p - start) == size);
    (void)size;
}

/* Queue one Response frame straight into the connection's output. */
static void send_response(struct conn *c, uint64_t id, int status, const char *message,
                          const ProtobufCMessage *payload, size_t plen)
{
    uint64_t now = (uint64_t)server_now_ms();
    size_t size = response_size(id, status, message, now, payload, plen);
    uint8_t *start = conn_output_reserve(c, size);
    if (!start)
        return; /* closing: the answer is dropped */
    response_encode(start, size, id, status, message, now, payload, plen);
    conn_output_commit(c, size);
}

static uint64_t latency_us(uint64_t start_ns)
{
    return (uv_hrtime() - start_ns) / 1000;
}

/* --- audit ---------------------------------------------------------------- */

/* Request and response fields named in an audit row's object: what the call
 * touched (never a password or a token). */
static bool audit_field_wanted(const char *name)
{
    static const char *const names[] = {
        "login",   "agency", "role",   "fingerprint", "decision", "file_name", "version", "sha256",
        "disable", "enable", "unlock", "complete",    "state",    "plan",      "offset"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(name, names[i]) == 0)
            return true;
    size_t n = strlen(name);
    return (n > 3 && strcmp(name + n - 3, "_id") == 0) ||
           (n > 5 && strcmp(name + n - 5, "_code") == 0);
}

/* Append "name=value" of msg's wanted scalar fields to buf (length *n). */
static void audit_object(const ProtobufCMessage *msg, char *buf, size_t len, size_t *n)
{
    if (!msg)
        return;
    const ProtobufCMessageDescriptor *d = msg->descriptor;
    for (unsigned i = 0; i < d->n_fields && *n + 1 < len; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (f->label == PROTOBUF_C_LABEL_REPEATED || !audit_field_wanted(f->name))
            continue;
        const void *v = (const char *)msg + f->offset;
        char val[200];
        switch (f->type) {
        case PROTOBUF_C_TYPE_STRING: {
            const char *str = *(char *const *)v;
            if (!str || !*str)
                continue;
            /* Peer text: it may hold invalid UTF-8 or be cut mid-character,
             * which PostgreSQL would refuse, and the row would be lost. */
            utf8_sanitize(str, strlen(str), val, sizeof val);
            break;
        }
        case PROTOBUF_C_TYPE_INT64:
            if (!*(const int64_t *)v)
                continue;
            snprintf(val, sizeof val, "%lld", (long long)*(const int64_t *)v);
            break;
        case PROTOBUF_C_TYPE_INT32:
            if (!*(const int32_t *)v)
                continue;
            snprintf(val, sizeof val, "%d", (int)*(const int32_t *)v);
            break;
        case PROTOBUF_C_TYPE_UINT32:
            if (!*(const uint32_t *)v)
                continue;
            snprintf(val, sizeof val, "%u", (unsigned)*(const uint32_t *)v);
            break;
        case PROTOBUF_C_TYPE_BOOL:
            if (!*(const protobuf_c_boolean *)v)
                continue;
            snprintf(val, sizeof val, "true");
            break;
        default:
            continue;
        }
        int w = snprintf(buf + *n, len - *n, "%s%s=%s", *n ? " " : "", f->name, val);
        if (w < 0 || (size_t)w >= len - *n) {
            buf[*n] = '\0';
            return;
        }
        *n += (size_t)w;
    }
}

/* The call's answer waits here while its audit row is written, so a client
 * that has the answer knows the row exists. */
struct audit_pending {
    struct call *call;
    size_t size;
    uint8_t frame[];
};

static bool audit_wanted(const struct call *call, int status, const ProtobufCMessage *msg)
{
    if (status == TAMNONG__STATUS__PERMISSION_DENIED || status == TAMNONG__STATUS__UNAUTHENTICATED)
        return true;
    if (call->method >= ROLE_METHODS)
        return false;
    switch (role_table[call->method].audit) {
    case AUDIT_CHANGE:
        return true;
    case AUDIT_COMPLETE: {
        if (status != TAMNONG__STATUS__OK)
            return true;
        const ProtobufCFieldDescriptor *f =
            msg ? protobuf_c_message_descriptor_get_field_by_name(msg->descriptor, "complete")
                : NULL;
        return f && f->type == PROTOBUF_C_TYPE_BOOL &&
               *(const protobuf_c_boolean *)((const char *)msg + f->offset);
    }
    default:
        return false;
    }
}

static void call_finish(struct call *call, int status)
{
    struct conn *c = call->conn;
    metrics_request_done(call->method, status, latency_us(call->start_ns));
    if (call->input)
        protobuf_c_message_free_unpacked(call->input, NULL);
    conn_call_finished(c);
    free(call);
    conn_unref(c);
}

static void audit_done(void *data, int status, const PGresult *res, const char *errmsg)
{
    (void)res;
    struct audit_pending *ap = data;
    struct call *call = ap->call;
    if (status != TAMNONG__STATUS__OK)
        log_error("AUDIT ROW NOT WRITTEN for method %u of agency %s (status %s): %s", call->method,
                  conn_agency(call->conn) ? conn_agency(call->conn)->code : "?",
                  status_name(call->status), errmsg ? errmsg : "database unavailable");
    uint8_t *out = conn_output_reserve(call->conn, ap->size);
    if (out) {
        memcpy(out, ap->frame, ap->size);
        conn_output_commit(call->conn, ap->size);
    }
    call_finish(call, call->status);
    free(ap);
}

/* Write the audit row of a finished call, then send frame (size bytes,
 * taken over). */
static void audit_then_send(struct call *call, const ProtobufCMessage *resp,
                            struct audit_pending *ap)
{
    const struct agency_identity *who = conn_agency(call->conn);
    char object[512] = "", sha[65] = "";
    size_t n = 0;
    audit_object(call->input, object, sizeof object, &n);
    audit_object(resp, object, sizeof object, &n);
    if (!call->input || handler_request_sha256(call->input, sha) != 0)
        sha[0] = '\0';
    const char *method = call->method < ROLE_METHODS ? role_table[call->method].name : "?";
    const char *values[] = {call->ident.login[0] ? call->ident.login : NULL,
                            who ? who->code : NULL,
                            who ? who->fingerprint : NULL,
                            method,
                            object[0] ? object : NULL,
                            status_name(call->status),
                            sha[0] ? sha : NULL};
    /* audit_log is not under row-level security (its chain spans every
     * agency; 009_protect_late_tables.sql): the actor is the caller's. */
    struct db_actor actor = {who ? who->id : 0, role_sees_all(call->ident.role)};
    db_query(conn_server(call->conn)->db, &actor, SQL_AUDIT_APPEND, 7, values, audit_done, ap);
}

/* The closure handed to every handler: closure_data is the call. */
static void call_done(const ProtobufCMessage *msg, void *closure_data)
{
    struct call *call = closure_data;
    struct conn *c = call->conn;
    size_t plen = 0;

    if (msg) {
        plen = protobuf_c_message_get_packed_size(msg);
        if (plen > conn_server(c)->cfg->max_frame - RESPONSE_OVERHEAD) {
            log_error("method %u answered %zu bytes, over max_frame; sent INTERNAL instead",
                      call->method, plen);
            call_fail(call, TAMNONG__STATUS__INTERNAL,
                      "the answer is too large to send; report this to the operator");
            msg = NULL;
        }
    }
    if (msg) {
        call->status = TAMNONG__STATUS__OK;
        call->message[0] = '\0';
    } else if (call->status <= 0) {
        /* done(NULL) without call_fail, or call_fail(OK): a handler bug. */
        log_error("method %u finished without an answer", call->method);
        call_fail(call, TAMNONG__STATUS__INTERNAL, "handler answered nothing");
        plen = 0;
    }
    int status = call->status;
    const char *message = msg ? NULL : call->message;

    if (audit_wanted(call, status, msg)) {
        uint64_t now = (uint64_t)server_now_ms();
        size_t size = response_size(call->id, status, message, now, msg, plen);
        struct audit_pending *ap = malloc(sizeof *ap + size);
        if (ap) {
            ap->call = call;
            ap->size = size;
            response_encode(ap->frame, size, call->id, status, message, now, msg, plen);
            audit_then_send(call, msg, ap);
            return;
        }
        log_error("AUDIT ROW NOT WRITTEN for method %u: out of memory", call->method);
    }
    send_response(c, call->id, status, message, msg, plen);
    call_finish(call, status);
}

/* --- sessions and roles --------------------------------------------------- */

static void call_deny(struct call *call, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void call_deny(struct call *call, int status, const char *fmt, ...)
{
    char msg[sizeof call->message];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    call_fail(call, status, "%s", msg);
    call_done(NULL, call);
}

/* The role check of roles.c, then the handler. */
static void authorize_and_invoke(struct call *call)
{
    if (!role_may_call(call->ident.role, call->method)) {
        char roles[128];
        const char *name = role_table[call->method].name;
        if (call->ident.role == ROLE_AGENCY)
            call_deny(call, TAMNONG__STATUS__PERMISSION_DENIED,
                      "%s needs a person's log-in as %s; log in first: tamnong login", name,
                      role_list(call->method, roles, sizeof roles));
        else
            call_deny(call, TAMNONG__STATUS__PERMISSION_DENIED,
                      "%s is not allowed for a %s; it needs %s", name, role_name(call->ident.role),
                      role_list(call->method, roles, sizeof roles));
        return;
    }
    /* The handler may answer before invoke returns; call is gone then. */
    tamnong_service.base.invoke(&tamnong_service.base, call->method, call->input, call_done, call);
}

static void session_done(void *data, int status, const PGresult *res, const char *errmsg)
{
    struct call *call = data;
    if (status != TAMNONG__STATUS__OK) {
        log_warning("cannot check a session: %s", errmsg ? errmsg : "database unavailable");
        call_deny(call, TAMNONG__STATUS__UNAVAILABLE,
                  "cannot check your log-in now: the database is unavailable; try again later");
        return;
    }
    int role = PQntuples(res) == 1 ? role_parse(PQgetvalue(res, 0, 3)) : -1;
    if (role < 0) {
        call->ident.token_sha256[0] = '\0';
        call_deny(call, TAMNONG__STATUS__UNAUTHENTICATED,
                  "your log-in session has ended or is not valid with this certificate; log in "
                  "again: tamnong login");
        return;
    }
    call->ident.role = (enum role)role;
    call->ident.person_id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    utf8_copy(call->ident.login, sizeof call->ident.login, PQgetvalue(res, 0, 1));
    utf8_copy(call->ident.display_name, sizeof call->ident.display_name, PQgetvalue(res, 0, 2));
    call->ident.expires_ms = strtoll(PQgetvalue(res, 0, 4), NULL, 10);
    call->ident.idle_expires_ms = strtoll(PQgetvalue(res, 0, 5), NULL, 10);
    authorize_and_invoke(call);
}

/* With a session token: look the session up (one statement, which also
 * marks it used), then check the role. Login ignores a token: it makes a
 * new one. */
static void identify_and_invoke(struct call *call, const ProtobufCBinaryData *token)
{
    if (token->len == 0 || call->method == 20 /* Login */) {
        authorize_and_invoke(call);
        return;
    }
    if (token->len != 32) {
        call_deny(call, TAMNONG__STATUS__UNAUTHENTICATED,
                  "session_token: not a session token (32 bytes); log in again: tamnong login");
        return;
    }
    if (tls_sha256_hex(token->data, token->len, call->ident.token_sha256) < 0) {
        call_deny(call, TAMNONG__STATUS__INTERNAL, "cannot hash the session token");
        return;
    }
    const struct agency_identity *who = conn_agency(call->conn);
    char idle[24];
    snprintf(idle, sizeof idle, "%ld", conn_server(call->conn)->cfg->session_idle_ms);
    const char *values[] = {call->ident.token_sha256, who ? who->fingerprint : "", idle};
    /* Before the person's role is known: the certificate's agency, its own
     * rows only (a person logs in over a certificate of the person's agency). */
    struct db_actor actor = {who ? who->id : 0, false};
    db_query(conn_server(call->conn)->db, &actor, SQL_SESSION_LOOKUP, 3, values, session_done,
             call);
}

int dispatch_frame(struct conn *c, const uint8_t *payload, size_t len, uint64_t now_ns)
{
    struct server *srv = conn_server(c);
    Tamnong__Request *req = NULL;

    if (envelope_decode_request(payload, len, &req) != TAMNONG__STATUS__OK)
        return -EPROTO;

    uint32_t index = req->method;
    int status = TAMNONG__STATUS__OK;
    char msg[160], field[96];
    const ProtobufCMethodDescriptor *m = envelope_method(index);
    ProtobufCMessage *input = NULL;
    struct call *call = NULL;
    if (!m || index >= ROLE_METHODS) {
        status = TAMNONG__STATUS__UNIMPLEMENTED;
        snprintf(msg, sizeof msg,
                 "method %u is unknown to this server; the client is newer than the server", index);
    } else if (srv->draining) {
        status = TAMNONG__STATUS__UNAVAILABLE;
        snprintf(msg, sizeof msg, "server is shutting down");
    } else if (!(input = envelope_unpack_payload(m, req))) {
        status = TAMNONG__STATUS__INVALID_ARGUMENT;
        snprintf(msg, sizeof msg, "the payload of %s is not a valid %s message", m->name,
                 m->input->name);
    } else if (!pb_text_check(m->input, req->payload.data, req->payload.len, field, sizeof field)) {
        /* protobuf-c would cut the string at the NUL, or pass bad UTF-8 on. */
        protobuf_c_message_free_unpacked(input, NULL);
        status = TAMNONG__STATUS__INVALID_ARGUMENT;
        snprintf(msg, sizeof msg, "%s: not valid UTF-8 text, or contains a NUL byte", field);
    } else if (!(call = calloc(1, sizeof *call))) {
        protobuf_c_message_free_unpacked(input, NULL);
        status = TAMNONG__STATUS__RESOURCE_EXHAUSTED;
        snprintf(msg, sizeof msg, "server out of memory");
    }
    if (status != TAMNONG__STATUS__OK) {
        send_response(c, req->id, status, msg, NULL, 0);
        metrics_request_done(index, status, latency_us(now_ns));
        tamnong__request__free_unpacked(req, NULL);
        return 0;
    }

    uint64_t def = (uint64_t)srv->cfg->default_deadline_ms;
    uint64_t budget = req->deadline_ms ? req->deadline_ms : def;
    if (budget > def * 10)
        budget = def * 10;
    call->conn = c;
    call->id = req->id;
    call->deadline_ms = uv_now(srv->loop) + budget;
    call->start_ns = now_ns;
    call->method = index;
    call->status = -1;
    call->input = input;
    call->message[0] = '\0';
    call->ident.role = ROLE_AGENCY;
    conn_ref(c);
    conn_call_started(c);
    identify_and_invoke(call, &req->session_token);
    tamnong__request__free_unpacked(req, NULL);
    return 0;
}

int dispatch_refuse(struct conn *c, const uint8_t *payload, size_t len, int status,
                    const char *message)
{
    Tamnong__Request *req = NULL;
    if (envelope_decode_request(payload, len, &req) != TAMNONG__STATUS__OK)
        return -EPROTO;
    send_response(c, req->id, status, message, NULL, 0);
    metrics_request_done(req->method, status, 0);
    tamnong__request__free_unpacked(req, NULL);
    return 0;
}
