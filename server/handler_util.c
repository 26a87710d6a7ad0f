/* handler_util: shared plumbing of database-backed handlers (see handler_util.h). */
#include "handler_util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "log.h"
#include "tls_util.h"
#include "utf8.h"

struct query_ctx {
    struct call *call;
    ProtobufCClosure done;
    handler_rows_fn on_rows;
    enum sql_stmt stmt;
    void *arg;
    void (*free_arg)(void *);
};

void handler_fail(struct call *call, ProtobufCClosure done, int status, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    call_fail(call, status, "%s", msg);
    done(NULL, call);
}

static void query_done(void *data, int status, const PGresult *res, const char *errmsg)
{
    struct query_ctx *q = data;
    struct call *call = q->call;
    ProtobufCClosure done = q->done;
    handler_rows_fn on_rows = q->on_rows;
    enum sql_stmt stmt = q->stmt;
    void *arg = q->arg;
    void (*free_arg)(void *) = q->free_arg;
    free(q);
    if (status == TAMNONG__STATUS__OK) {
        on_rows(call, done, res, arg);
        return;
    }
    if (free_arg)
        free_arg(arg);
    switch (status) {
    case TAMNONG__STATUS__UNAVAILABLE:
        handler_fail(call, done, status, "the database is unavailable; try again later");
        return;
    case TAMNONG__STATUS__INVALID_ARGUMENT:
    case TAMNONG__STATUS__ALREADY_EXISTS:
    case TAMNONG__STATUS__FAILED_PRECONDITION:
    case TAMNONG__STATUS__NOT_FOUND:
        /* Our own functions raise these with a message meant for the caller. */
        handler_fail(call, done, status, "%s", errmsg ? errmsg : "refused by the database");
        return;
    default:
        log_error("statement %s failed: %s", sql_statements[stmt].name,
                  errmsg ? errmsg : "(no message)");
        handler_fail(call, done, status, "the server could not complete this; tell the operator");
    }
}

void handler_query_arg(struct call *call, ProtobufCClosure done, enum sql_stmt stmt, int nparams,
                       const char *const *values, handler_rows_fn on_rows, void *arg,
                       void (*free_arg)(void *))
{
    struct query_ctx *q = malloc(sizeof *q);
    if (!q) {
        if (free_arg)
            free_arg(arg);
        handler_fail(call, done, TAMNONG__STATUS__RESOURCE_EXHAUSTED,
                     "the server is out of memory");
        return;
    }
    *q = (struct query_ctx){call, done, on_rows, stmt, arg, free_arg};
    /* The actor comes from the call, never from a handler: the caller's
     * agency, and scope 'all' for the roles that see every agency. */
    const struct agency_identity *who = call_agency(call);
    struct db_actor actor = {who ? who->id : 0, handler_caller_is_admin(call)};
    db_query(call_db(call), &actor, stmt, nparams, values, query_done, q);
}

bool handler_caller_is_admin(const struct call *call)
{
    return role_sees_all(call_ident(call)->role);
}

bool handler_require_admin(struct call *call, ProtobufCClosure done)
{
    if (handler_caller_is_admin(call))
        return true;
    handler_fail(call, done, TAMNONG__STATUS__PERMISSION_DENIED,
                 "only a reviewer, viewer or operator may do this (log in first: tamnong "
                 "login)");
    return false;
}

bool field_text_ok(const char *s, size_t max)
{
    size_t n = strlen(s);
    return (max == 0 || n <= max) && utf8_valid(s, n);
}

bool field_date_ok(const char *s)
{
    if (!*s)
        return true;
    int y, m, d;
    char tail;
    if (strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3)
        return false;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1900 || y > 2200 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
        return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return !(m == 2 && d == 29 && !leap);
}

int handler_request_sha256(const ProtobufCMessage *msg, char hex[65])
{
    size_t len = protobuf_c_message_get_packed_size(msg);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf)
        return -1;
    protobuf_c_message_pack(msg, buf);
    unsigned char md[32];
    unsigned int mdlen = 0;
    int ok = EVP_Digest(buf, len, md, &mdlen, EVP_sha256(), NULL);
    free(buf);
    if (!ok || mdlen != sizeof md)
        return -1;
    tls_hex(md, sizeof md, hex);
    return 0;
}

static const struct {
    const char *name;
    int status;
} refusal_status[] = {
    {"INVALID_ARGUMENT", TAMNONG__STATUS__INVALID_ARGUMENT},
    {"NOT_FOUND", TAMNONG__STATUS__NOT_FOUND},
    {"UNAUTHENTICATED", TAMNONG__STATUS__UNAUTHENTICATED},
    {"ALREADY_EXISTS", TAMNONG__STATUS__ALREADY_EXISTS},
    {"PERMISSION_DENIED", TAMNONG__STATUS__PERMISSION_DENIED},
    {"RESOURCE_EXHAUSTED", TAMNONG__STATUS__RESOURCE_EXHAUSTED},
    {"FAILED_PRECONDITION", TAMNONG__STATUS__FAILED_PRECONDITION},
    {"DATA_LOSS", TAMNONG__STATUS__DATA_LOSS},
};

/* The JSON object in row 0, column 0 (rows: how many rows are acceptable). */
static json_t *answer_object(struct call *call, ProtobufCClosure done, const PGresult *res,
                             bool list)
{
    int n = PQntuples(res);
    json_t *r = (list ? n >= 1 : n == 1) ? json_loads(pg_text(res, 0, 0), 0, NULL) : NULL;
    if (!json_is_object(r)) {
        json_decref(r);
        handler_fail(call, done, TAMNONG__STATUS__INTERNAL, "unexpected answer from the database");
        return NULL;
    }
    json_t *err = json_object_get(r, "error");
    if (!err)
        return r;
    const char *name = jstr(err, "status");
    int status = TAMNONG__STATUS__INTERNAL;
    for (size_t i = 0; i < sizeof refusal_status / sizeof refusal_status[0]; i++)
        if (strcmp(name, refusal_status[i].name) == 0)
            status = refusal_status[i].status;
    handler_fail(call, done, status, "%s", jstr(err, "message"));
    json_decref(r);
    return NULL;
}

json_t *handler_answer_json(struct call *call, ProtobufCClosure done, const PGresult *res)
{
    return answer_object(call, done, res, false);
}

json_t *handler_answer_head(struct call *call, ProtobufCClosure done, const PGresult *res)
{
    return answer_object(call, done, res, true);
}

/* ---------------------------------------------------------------- arena */

struct arena_block {
    struct arena_block *next;
    json_t *json; /* released with the block */
    max_align_t data[];
};

void *arena_alloc(struct arena *a, size_t n)
{
    struct arena_block *b = calloc(1, sizeof *b + (n ? n : 1));
    if (!b) {
        a->oom = true;
        return NULL;
    }
    b->next = a->head;
    a->head = b;
    return b->data;
}

void **arena_ptrs(struct arena *a, size_t n)
{
    return arena_alloc(a, (n ? n : 1) * sizeof(void *));
}

json_t *arena_json(struct arena *a, const char *text)
{
    if (!arena_alloc(a, 0))
        return NULL;
    return a->head->json = json_loads(text, 0, NULL);
}

void arena_free(struct arena *a)
{
    while (a->head) {
        struct arena_block *b = a->head;
        a->head = b->next;
        json_decref(b->json);
        free(b);
    }
}

void handler_answer_arena(struct call *call, ProtobufCClosure done, const ProtobufCMessage *resp,
                          struct arena *a)
{
    if (a->oom)
        handler_fail(call, done, TAMNONG__STATUS__RESOURCE_EXHAUSTED,
                     "the server is out of memory");
    else
        done(resp, call);
    arena_free(a);
}

/* One JSON value into the field storage at p (a singular field, or one
 * element of a repeated one). */
static void json_field(struct arena *a, const ProtobufCFieldDescriptor *f, void *p, const json_t *v)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_STRING:
        *(const char **)p = json_is_string(v) ? json_string_value(v) : "";
        break;
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
    case PROTOBUF_C_TYPE_ENUM:
        *(int32_t *)p = (int32_t)json_integer_value(v);
        break;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        *(int64_t *)p = (int64_t)json_integer_value(v);
        break;
    case PROTOBUF_C_TYPE_BOOL:
        *(protobuf_c_boolean *)p = json_is_true(v);
        break;
    case PROTOBUF_C_TYPE_MESSAGE:
        *(ProtobufCMessage **)p = arena_message(a, f->descriptor, v);
        break;
    default: /* floats and bytes: not sent from JSON */
        break;
    }
}

ProtobufCMessage *arena_message(struct arena *a, const ProtobufCMessageDescriptor *d,
                                const json_t *x)
{
    ProtobufCMessage *m = arena_alloc(a, d->sizeof_message);
    if (!m)
        return NULL;
    protobuf_c_message_init(d, m);
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        const json_t *v = json_object_get(x, f->name);
        void *p = (char *)m + f->offset;
        if (f->label != PROTOBUF_C_LABEL_REPEATED) {
            if (v)
                json_field(a, f, p, v);
            continue;
        }
        size_t n = json_array_size(v), size;
        switch (f->type) {
        case PROTOBUF_C_TYPE_STRING:
        case PROTOBUF_C_TYPE_MESSAGE:
            size = sizeof(void *);
            break;
        default:
            continue; /* repeated scalars: none in the responses built from JSON */
        }
        char *items = n ? arena_alloc(a, n * size) : NULL;
        if (n && !items)
            return NULL;
        for (size_t k = 0; k < n; k++)
            json_field(a, f, items + k * size, json_array_get(v, k));
        *(size_t *)((char *)m + f->quantifier_offset) = n;
        *(void **)p = items;
    }
    return m;
}

void handler_uuid_text(const uint8_t *b, char out[37])
{
    char h[33];
    tls_hex(b, 16, h);
    snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", h, h + 8, h + 12, h + 16, h + 20);
}
