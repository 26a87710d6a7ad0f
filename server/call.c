/* call: the accessors handlers use on the request they serve (call.h); the
 * struct itself belongs to dispatch.c, which creates and frees it. */
#include "call.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "conn.h"
#include "dispatch.h"
#include "server.h"

const struct agency_identity *call_agency(const struct call *call)
{
    return conn_agency(call->conn);
}

const struct call_identity *call_ident(const struct call *call)
{
    return &call->ident;
}

void call_set_person(struct call *call, const char *login)
{
    snprintf(call->ident.login, sizeof call->ident.login, "%s", login);
}

struct db_pool *call_db(const struct call *call)
{
    return conn_server(call->conn)->db;
}

struct server *call_server(const struct call *call)
{
    return conn_server(call->conn);
}

uint64_t call_deadline(const struct call *call)
{
    return call->deadline_ms;
}

void call_fail(struct call *call, int status, const char *fmt, ...)
{
    va_list ap;
    call->status = status;
    va_start(ap, fmt);
    int n = vsnprintf(call->message, sizeof call->message, fmt, ap);
    va_end(ap);
    if (n >= (int)sizeof call->message) {
        /* Truncated: do not leave half a UTF-8 sequence at the end (the
         * message travels in a protobuf string). */
        size_t len = sizeof call->message - 1;
        size_t i = len;
        while (i > 0 && ((unsigned char)call->message[i - 1] & 0xc0) == 0x80)
            i--;
        if (i > 0 && (unsigned char)call->message[i - 1] >= 0xc0) {
            unsigned char lead = (unsigned char)call->message[i - 1];
            size_t need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
            if (len - (i - 1) < need)
                call->message[i - 1] = '\0';
        }
    }
}

/* Set once at start-up (test_clock), before the loop runs; read after. */
static int64_t clock_offset_ms;
static bool clock_frozen;
static int64_t clock_frozen_at_ms;

void server_clock_set_offset(int64_t offset_ms)
{
    clock_offset_ms = offset_ms;
}

void server_clock_freeze(int64_t at_ms)
{
    clock_frozen = true;
    clock_frozen_at_ms = at_ms;
}

int64_t server_now_ms(void)
{
    return clock_frozen ? clock_frozen_at_ms : server_real_now_ms() + clock_offset_ms;
}

int64_t server_real_now_ms(void)
{
    /* The coarse clock (a few ms resolution) is a plain memory read: it is
     * stamped on every response, and milliseconds for a person's eyes or a
     * skew estimate do not need a hardware clock read each time. */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME_COARSE, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
