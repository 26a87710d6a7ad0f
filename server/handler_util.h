/* handler_util: what every database-backed handler does the same way: run
 * one prepared statement for a call, turn a database failure into a status
 * and plain words, and hand the rows to the method's own code. Also the
 * small checks of request fields (dates, codes, UTF-8) every handler needs,
 * reading a jsonb answer, and the arena response messages are built in. */
#ifndef TAMNONG_HANDLER_UTIL_H
#define TAMNONG_HANDLER_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
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

/* The caller sees every agency: a person session as reviewer, viewer or
 * operator (roles.h). A certificate alone never is. */
bool handler_caller_is_admin(const struct call *call);

/* Answer PERMISSION_DENIED unless handler_caller_is_admin; true when the
 * caller may go on. (dispatch.c has already checked the method's roles.) */
bool handler_require_admin(struct call *call, ProtobufCClosure done)
    __attribute__((warn_unused_result));

/* Field checks: valid UTF-8 without NUL within max bytes (0 = no limit). */
bool field_text_ok(const char *s, size_t max) __attribute__((warn_unused_result));
/* "" or a real calendar date YYYY-MM-DD. */
bool field_date_ok(const char *s) __attribute__((warn_unused_result));

/* A 16-byte request_uuid as PostgreSQL's uuid text (8-4-4-4-12 hex). */
void handler_uuid_text(const uint8_t *bytes16, char out[37]);

/* SHA-256 of msg as protobuf-c packs it (the canonical bytes of a request,
 * for exactly-once: same request id and same bytes = a replay), lower-case
 * hex into hex[65]. 0, or -1 when out of memory. */
int handler_request_sha256(const ProtobufCMessage *msg, char hex[65])
    __attribute__((warn_unused_result));

/* A statement's one-row jsonb answer, or NULL after answering: a refusal it
 * returned ({"error": {"status", "message"}}) or an unreadable document. */
json_t *handler_answer_json(struct call *call, ProtobufCClosure done, const PGresult *res);
/* The same for answers given as rows whose first row carries the JSON head in
 * its first column (the rows: a list, see arena_messages_rows). */
json_t *handler_answer_head(struct call *call, ProtobufCClosure done, const PGresult *res);

/* Members of a JSON object: a string ("" when absent; it points into the
 * JSON), an integer (0) and a boolean (false). */
static inline char *jstr(const json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return (char *)(s ? s : "");
}

static inline int64_t jint(const json_t *obj, const char *key)
{
    return (int64_t)json_integer_value(json_object_get(obj, key));
}

static inline bool jbool(const json_t *obj, const char *key)
{
    return json_is_true(json_object_get(obj, key));
}

/* Memory for one response's message structs, freed at once after done(). */
struct arena {
    struct arena_block *head;
    bool oom;
};

/* Zeroed memory that lives until arena_free; NULL (and a->oom) when out of
 * memory. */
void *arena_alloc(struct arena *a, size_t n);
/* An array of n pointers (at least one slot). */
void **arena_ptrs(struct arena *a, size_t n);
/* Parse JSON text that lives until arena_free (the strings of messages point
 * into it); NULL when it is not JSON (a->oom when out of memory). */
json_t *arena_json(struct arena *a, const char *text);
void arena_free(struct arena *a);

/* Fill *v / *n from a JSON array with conv(a, element); *v is NULL (and
 * a->oom set) when out of memory. */
#define CONVERT_ARRAY(a, arr, v, n, conv)                                                          \
    do {                                                                                           \
        const json_t *arr_ = (arr);                                                                \
        *(n) = json_array_size(arr_);                                                              \
        *(v) = (void *)arena_ptrs((a), *(n));                                                      \
        for (size_t i_ = 0; *(v) && i_ < *(n); i_++)                                               \
            (*(v))[i_] = conv((a), json_array_get(arr_, i_));                                      \
    } while (0)

/* Answer resp, or RESOURCE_EXHAUSTED when the arena ran out of memory; then
 * free the arena. */
void handler_answer_arena(struct call *call, ProtobufCClosure done, const ProtobufCMessage *resp,
                          struct arena *a);

/* A message of type d whose fields are filled from the members of the JSON
 * object x with the same names (strings point into the JSON; strings, integers,
 * booleans, nested and repeated messages, repeated strings); absent or
 * mistyped members keep the default. NULL when out of memory. */
ProtobufCMessage *arena_message(struct arena *a, const ProtobufCMessageDescriptor *d,
                                const json_t *x);

/* static TYPE *fn(struct arena *, const json_t *): arena_message for one type,
 * usable with CONVERT_ARRAY. */
#define JSON_MESSAGE(fn, type, desc)                                                               \
    static inline type *fn(struct arena *a, const json_t *x)                                       \
    {                                                                                              \
        return (type *)arena_message(a, &(desc), x);                                               \
    }

/* Messages of type d from rows first_row.. of res (*n of them): each column
 * whose name is a field of d fills it ("f.g": field g of the nested message
 * f); strings point into res; NULL columns keep the default (server/handler_rows.c).
 * NULL when out of memory. */
ProtobufCMessage **arena_messages_rows(struct arena *a, const ProtobufCMessageDescriptor *d,
                                       const PGresult *res, int first_row, size_t *n);

/* {"code","name"} as an AgencyRef pointing into the JSON. */
JSON_MESSAGE(agency_ref, Tamnong__AgencyRef, tamnong__agency_ref__descriptor)

/* Decode a text column; "" for NULL. */
static inline char *pg_text(const PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? (char *)"" : PQgetvalue(res, row, col);
}

#endif
