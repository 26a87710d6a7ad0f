/* handlers_core: the core methods: Ping, which proves the whole path (TLS, identity, PostgreSQL)
 * and tells the caller who the server thinks it is. */
#include <stdlib.h>

#include "call.h"
#include "handlers.h"
#include "log.h"
#include "tamnong.pb-c.h"

struct ping_ctx {
    struct call *call;
    Tamnong__PingResponse_Closure done;
};

/* Fill and send the response. The strings point into the call's identity
 * and static storage, which outlive done(). */
static void ping_answer(struct call *call, Tamnong__PingResponse_Closure done,
                        int64_t database_time_ms)
{
    Tamnong__PingResponse resp = TAMNONG__PING_RESPONSE__INIT;
    Tamnong__Agency agency = TAMNONG__AGENCY__INIT;
    const struct agency_identity *who = call_agency(call);
    resp.server_version = (char *)TAMNONG_VERSION;
    resp.server_time_ms = server_now_ms();
    resp.database_time_ms = database_time_ms;
    if (who) {
        agency.code = (char *)who->code;
        agency.name = (char *)who->name;
        resp.agency = &agency;
        resp.cert_fingerprint = (char *)who->fingerprint;
    }
    done(&resp, call);
}

static void ping_db_done(void *data, int status, const PGresult *res, const char *errmsg)
{
    struct ping_ctx *ctx = data;
    struct call *call = ctx->call;
    Tamnong__PingResponse_Closure done = ctx->done;
    free(ctx);
    if (status != TAMNONG__STATUS__OK || PQntuples(res) != 1) {
        log_info("ping: database: %s", errmsg ? errmsg : "no row");
        if (status == TAMNONG__STATUS__OK)
            status = TAMNONG__STATUS__INTERNAL;
        if (status == TAMNONG__STATUS__UNAVAILABLE)
            call_fail(call, status, "the database is unavailable; try again later");
        else
            call_fail(call, status, "the database could not answer; tell the operator");
        done(NULL, call);
        return;
    }
    ping_answer(call, done, strtoll(PQgetvalue(res, 0, 0), NULL, 10));
}

HANDLER(ping, PingRequest, PingResponse)
{
    Tamnong__PingResponse_Closure done = typed_done;
    struct call *call = closure_data;
    if (input && input->skip_database) {
        ping_answer(call, done, 0);
        return;
    }
    struct ping_ctx *ctx = malloc(sizeof *ctx);
    if (!ctx) {
        call_fail(call, TAMNONG__STATUS__RESOURCE_EXHAUSTED, "the server is out of memory");
        done(NULL, call);
        return;
    }
    ctx->call = call;
    ctx->done = done;
    db_query(call_db(call), NULL, SQL_PING, 0, NULL, ping_db_done, ctx); /* no agency data */
}
