/* call: one request being served. dispatch creates it, passes it to the
 * protobuf-c service as closure_data, and the handler answers through the
 * closure (possibly later, from a database callback):
 *
 *   static void handle_ping(Tamnong__Tamnong_Service *svc, const Tamnong__PingRequest *in,
 *                           Tamnong__PingResponse_Closure done, void *closure_data)
 *   {
 *       struct call *call = closure_data;
 *       ... db_query(call_db(call), NULL, SQL_PING, 0, NULL, ping_db_done, ...);
 *   }
 *   ... later: done(&resp, call);               -> OK with resp as payload
 *       or:    call_fail(call, TAMNONG__STATUS__UNAVAILABLE, "..."); done(NULL, call);
 *
 * The closure must be called exactly once. The call (and the connection it
 * belongs to) stays valid until then even if the peer goes away; the answer
 * is then dropped. */
#ifndef TAMNONG_CALL_H
#define TAMNONG_CALL_H

#include <stdint.h>

#include "auth.h"
#include "db.h"
#include "roles.h"
#include "tamnong.pb-c.h"

struct call;
struct server;

/* Who makes this call: the certificate's agency (call_agency) and, with a
 * valid session token, the person (dispatch.c fills it before the handler
 * runs). Without a session role is ROLE_AGENCY and login is "". */
struct call_identity {
    enum role role;
    int64_t person_id; /* 0 without a session */
    char login[65];    /* the person; for an audit row also the log-in's name */
    char display_name[256];
    int64_t expires_ms; /* session expiry, Unix ms */
    int64_t idle_expires_ms;
    char token_sha256[65]; /* hex SHA-256 of the session token, "" without */
};

const struct agency_identity *call_agency(const struct call *call);
const struct call_identity *call_ident(const struct call *call);
/* For the Login handler: the person the audit row names. */
void call_set_person(struct call *call, const char *login);
struct db_pool *call_db(const struct call *call);
struct server *call_server(const struct call *call);
/* Absolute deadline, loop time in ms (uv_now). */
uint64_t call_deadline(const struct call *call);
/* Set the status and plain-words message for the next done(NULL, call). */
void call_fail(struct call *call, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Server clock in Unix ms (the one place the server reads the time of day):
 * the real clock plus the test_clock offset (0 unless test_clock is set). */
int64_t server_now_ms(void);
/* The real clock in Unix ms, whatever test_clock says. */
int64_t server_real_now_ms(void);
/* test_clock: from now on server_now_ms() runs offset_ms off the real clock. */
void server_clock_set_offset(int64_t offset_ms);
/* test_clock_frozen: from now on server_now_ms() is at_ms, standing still. */
void server_clock_freeze(int64_t at_ms);

/* The service with every handler bound (handlers_*.c); a missing handler is
 * a compile error through TAMNONG__TAMNONG__INIT. */
extern Tamnong__Tamnong_Service tamnong_service;

#endif
