/* handler_util: what every database-backed handler does the same way: run
 * one prepared statement for a call, turn a database failure into a status
 * and plain words, and hand the rows to the method's own code. Also the
 * small checks of request fields (dates, codes, UTF-8) every handler needs. */
#ifndef TAMNONG_HANDLER_UTIL_H
#define TAMNONG_HANDLER_UTIL_H

#include <stdbool.h>
#include <protobuf-c/protobuf-c.h>

#include "call.h"
#include "db.h"

/* Called with the rows of a successful statement and the caller's arg; must
 * answer through done. */
typedef void (*handler_rows_fn)(struct call *call, ProtobufCClosure done, const PGresult *res,
                                void *arg);

/* Run `stmt`; on success call on_rows, otherwise answer with the status
 * db.c gives and a message a person can act on. `done` is the method's typed
 * closure cast to ProtobufCClosure (the same cast protobuf-c's invoke makes).
 * On failure `free_arg` (if set) releases arg, since on_rows will not run. */
void handler_query_arg(struct call *call, ProtobufCClosure done, enum sql_stmt stmt, int nparams,
                       const char *const *values, handler_rows_fn on_rows, void *arg,
                       void (*free_arg)(void *));
#define handler_query(call, done, stmt, n, values, on_rows, arg)                                   \
    handler_query_arg(call, done, stmt, n, values, on_rows, arg, NULL)

/* call_fail + done(NULL). */
void handler_fail(struct call *call, ProtobufCClosure done, int status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Answer PERMISSION_DENIED unless the caller is the standing agency or an
 * operator; true when the caller may go on. */
bool handler_require_admin(struct call *call, ProtobufCClosure done)
    __attribute__((warn_unused_result));

/* Field checks: valid UTF-8 without NUL within max bytes (0 = no limit). */
bool field_text_ok(const char *s, size_t max) __attribute__((warn_unused_result));
/* "" or a real calendar date YYYY-MM-DD. */
bool field_date_ok(const char *s) __attribute__((warn_unused_result));

/* SHA-256 of msg as protobuf-c packs it (the canonical bytes of a request,
 * for exactly-once: same request id and same bytes = a replay), lower-case
 * hex into hex[65]. 0, or -1 when out of memory. */
int handler_request_sha256(const ProtobufCMessage *msg, char hex[65])
    __attribute__((warn_unused_result));

/* Decode a text column; "" for NULL. */
static inline char *pg_text(const PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? (char *)"" : PQgetvalue(res, row, col);
}

#endif
