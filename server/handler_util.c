/* handler_util: shared plumbing of database-backed handlers (see handler_util.h). */
#include "handler_util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "log.h"
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
    db_query(call_db(call), stmt, nparams, values, query_done, q);
}

bool handler_require_admin(struct call *call, ProtobufCClosure done)
{
    const struct agency_identity *who = call_agency(call);
    if (who && (who->standing || who->operator_cert))
        return true;
    handler_fail(call, done, TAMNONG__STATUS__PERMISSION_DENIED,
                 "only the standing agency or the operator may do this");
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
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < sizeof md; i++) {
        hex[2 * i] = digits[md[i] >> 4];
        hex[2 * i + 1] = digits[md[i] & 15];
    }
    hex[64] = '\0';
    return 0;
}
