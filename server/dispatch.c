/* dispatch: request frame -> method -> handler -> Response frame (see
 * dispatch.h). Nothing here trusts the frame: the envelope is decoded by
 * envelope.c, the method index is bounds-checked before protobuf-c sees it,
 * and every failure is answered with a status instead of asserted. */
#include "dispatch.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "call.h"
#include "envelope.h"
#include "frame.h"
#include "log.h"
#include "metrics.h"
#include "status.h"

/* Room kept in a frame for the Response fields around the payload. */
#define RESPONSE_OVERHEAD 128
/* Payloads up to this size are packed on the stack. */
#define STACK_PAYLOAD 1024

static uint64_t latency_us(uint64_t start_ns)
{
    return (uv_hrtime() - start_ns) / 1000;
}

/* Send a Response without a payload. */
static void respond(struct conn *c, uint64_t id, int status, const char *message)
{
    Tamnong__Response resp = TAMNONG__RESPONSE__INIT;
    resp.id = id;
    resp.status = (Tamnong__Status)status;
    resp.message = (char *)message;
    resp.server_time_ms = server_now_ms();
    if (status_retryable(status))
        resp.retry_after_ms = DISPATCH_RETRY_AFTER_MS;
    (void)conn_send_response(c, &resp);
}

/* The closure handed to every handler: closure_data is the call. */
static void call_done(const ProtobufCMessage *msg, void *closure_data)
{
    struct call *call = closure_data;
    struct conn *c = call->conn;
    struct server *srv = conn_server(c);
    Tamnong__Response resp = TAMNONG__RESPONSE__INIT;
    uint8_t stack[STACK_PAYLOAD];
    uint8_t *heap = NULL;

    resp.id = call->id;
    if (msg) {
        size_t n = protobuf_c_message_get_packed_size(msg);
        size_t limit = srv->cfg->max_frame - RESPONSE_OVERHEAD;
        uint8_t *p = stack;
        if (n > limit) {
            log_error("method %u answered %zu bytes, over max_frame; sent INTERNAL instead",
                      call->method, n);
            call->status = TAMNONG__STATUS__INTERNAL;
            snprintf(call->message, sizeof call->message,
                     "the answer is too large to send; report this to the operator");
            msg = NULL;
        } else {
            if (n > sizeof stack && !(p = heap = malloc(n))) {
                call->status = TAMNONG__STATUS__RESOURCE_EXHAUSTED;
                snprintf(call->message, sizeof call->message, "server out of memory");
                msg = NULL;
            } else {
                protobuf_c_message_pack(msg, p);
                resp.payload.data = p;
                resp.payload.len = n;
                resp.status = TAMNONG__STATUS__OK;
            }
        }
    }
    if (!msg) {
        if (call->status <= 0) {
            /* done(NULL) without call_fail, or call_fail(OK): a handler bug. */
            log_error("method %u finished without an answer", call->method);
            call->status = TAMNONG__STATUS__INTERNAL;
            snprintf(call->message, sizeof call->message, "handler answered nothing");
        }
        resp.status = (Tamnong__Status)call->status;
        resp.message = call->message;
        if (status_retryable(call->status))
            resp.retry_after_ms = DISPATCH_RETRY_AFTER_MS;
    }
    resp.server_time_ms = server_now_ms();
    if (conn_is_open(c))
        (void)conn_send_response(c, &resp);
    metrics_request_done(call->method, resp.status, latency_us(call->start_ns));

    free(heap);
    protobuf_c_message_free_unpacked(call->input, NULL);
    conn_call_finished(c);
    free(call);
    conn_unref(c);
}

int dispatch_frame(struct conn *c, const uint8_t *payload, size_t len)
{
    struct server *srv = conn_server(c);
    uint64_t start = uv_hrtime();
    Tamnong__Request *req = NULL;

    if (envelope_decode_request(payload, len, &req) != TAMNONG__STATUS__OK)
        return -EPROTO;

    uint32_t index = req->method;
    const ProtobufCMethodDescriptor *m = envelope_method(index);
    if (!m) {
        char msg[128];
        snprintf(msg, sizeof msg,
                 "method %u is unknown to this server; the client is newer than the server", index);
        respond(c, req->id, TAMNONG__STATUS__UNIMPLEMENTED, msg);
        metrics_request_done(index, TAMNONG__STATUS__UNIMPLEMENTED, latency_us(start));
        goto out;
    }
    if (srv->draining) {
        respond(c, req->id, TAMNONG__STATUS__UNAVAILABLE, "server is shutting down");
        metrics_request_done(index, TAMNONG__STATUS__UNAVAILABLE, latency_us(start));
        goto out;
    }
    ProtobufCMessage *input = envelope_unpack_payload(m, req);
    if (!input) {
        char msg[160];
        snprintf(msg, sizeof msg, "the payload of %s is not a valid %s message", m->name,
                 m->input->name);
        respond(c, req->id, TAMNONG__STATUS__INVALID_ARGUMENT, msg);
        metrics_request_done(index, TAMNONG__STATUS__INVALID_ARGUMENT, latency_us(start));
        goto out;
    }
    struct call *call = malloc(sizeof *call);
    if (!call) {
        protobuf_c_message_free_unpacked(input, NULL);
        respond(c, req->id, TAMNONG__STATUS__RESOURCE_EXHAUSTED, "server out of memory");
        metrics_request_done(index, TAMNONG__STATUS__RESOURCE_EXHAUSTED, latency_us(start));
        goto out;
    }
    uint64_t def = (uint64_t)srv->cfg->default_deadline_ms;
    uint64_t budget = req->deadline_ms ? req->deadline_ms : def;
    if (budget > def * 10)
        budget = def * 10;
    call->conn = c;
    call->id = req->id;
    call->deadline_ms = uv_now(srv->loop) + budget;
    call->start_ns = start;
    call->method = index;
    call->status = -1;
    call->input = input;
    call->message[0] = '\0';
    conn_ref(c);
    conn_call_started(c);
    tamnong__request__free_unpacked(req, NULL);
    /* index < n_methods was checked by envelope_method. The handler may
     * answer before invoke returns; call is gone then. */
    tamnong_service.base.invoke(&tamnong_service.base, index, input, call_done, call);
    return 0;
out:
    tamnong__request__free_unpacked(req, NULL);
    return 0;
}

int dispatch_refuse(struct conn *c, const uint8_t *payload, size_t len, int status,
                    const char *message)
{
    Tamnong__Request *req = NULL;
    if (envelope_decode_request(payload, len, &req) != TAMNONG__STATUS__OK)
        return -EPROTO;
    respond(c, req->id, status, message);
    metrics_request_done(req->method, status, 0);
    tamnong__request__free_unpacked(req, NULL);
    return 0;
}
