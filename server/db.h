/* db: a pool of non-blocking libpq connections driven by the libuv loop
 * (uv_poll_t on each socket, uv_timer_t for connect timeout and reconnect
 * backoff). Every statement of sql.c is prepared once per connection when it
 * connects. Requests wait in a FIFO when all connections are busy.
 *
 * Contract: db_query never calls its callback before returning; the callback
 * is called exactly once, on the loop, with the result (owned by db, valid
 * only during the callback) or an error status. When PostgreSQL is away the
 * callback gets TAMNONG__STATUS__UNAVAILABLE promptly (no waiting for a
 * reconnect), and the pool keeps reconnecting with capped exponential backoff. */
#ifndef TAMNONG_DB_H
#define TAMNONG_DB_H

#include <stdbool.h>
#include <stdint.h>
#include <libpq-fe.h>
#include <uv.h>

#include "sql.h"

struct db_pool;

/* Whose rows a statement may see and write (row-level security, see
 * deploy/migrations/007_rls.sql): db sets tamnong.agency_id and tamnong.scope
 * with set_config(..., true) in the statement's own transaction, so they
 * never outlive it. NULL actor = no agency, no scope: the statement sees no
 * agency's rows (used before the agency is known, and for the clock). */
struct db_actor {
    int64_t agency_id; /* 0 = none */
    bool all;          /* scope 'all': reviewer/viewer/operator callers */
};

/* status is a Tamnong__Status: OK with res set (PGRES_TUPLES_OK or
 * PGRES_COMMAND_OK); UNAVAILABLE (no connection, connection lost);
 * or INTERNAL / INVALID_ARGUMENT / ALREADY_EXISTS mapped from the SQLSTATE of a
 * statement error, with errmsg from PostgreSQL (for the log, not the client). */
typedef void (*db_cb)(void *data, int status, const PGresult *res, const char *errmsg);

struct db_pool_stats {
    int size;      /* configured connections */
    int connected; /* connections ready */
    int busy;      /* connections running a statement */
    int queued;    /* requests waiting for a connection */
    unsigned long reconnects;
};

/* options: backend options for every connection (e.g. "-c name=value"),
 * after tamnongd's statement_timeout and before the `options` of the
 * conninfo; NULL or "" for none. */
struct db_pool *db_pool_new(uv_loop_t *loop, const char *conninfo, const char *options, int size,
                            long connect_timeout_ms, long reconnect_max_ms);
/* Run prepared statement `stmt` with text parameters (NULL value = SQL NULL)
 * as `actor` (copied; NULL = nobody). One round trip in libpq's pipeline
 * mode: set_config of the actor, the statement, Sync: both in one implicit
 * transaction. The values are copied before return. Returns 0; callback
 * always follows. */
int db_query(struct db_pool *p, const struct db_actor *actor, enum sql_stmt stmt, int nparams,
             const char *const *values, db_cb cb, void *data);
/* True when at least one connection is ready (for /healthz). */
bool db_pool_ready(const struct db_pool *p);
void db_pool_get_stats(const struct db_pool *p, struct db_pool_stats *out);
/* Fail queued requests with UNAVAILABLE, let running ones finish, close the
 * connections, then call done (from the loop). */
void db_pool_close(struct db_pool *p, void (*done)(void *), void *data);

#endif
