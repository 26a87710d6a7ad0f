/* dispatch: request frame -> method -> handler -> Response frame (see
 * dispatch.h). Nothing here trusts the frame: the envelope is decoded by
 * envelope.c, the method index is bounds-checked before protobuf-c sees it,
 * and every failure is answered with a status instead of asserted. */
#include "dispatch.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "call.h"
#include "envelope.h"
#include "frame.h"
#include "log.h"
#include "metrics.h"
#include "pb_text.h"
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

/* Queue one Response frame; proto3 leaves out fields at their default.
 * payload (packed size plen) only with status OK. */
static void send_response(struct conn *c, uint64_t id, int status, const char *message,
                          const ProtobufCMessage *payload, size_t plen)
{
    uint64_t now = (uint64_t)server_now_ms();
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

    uint8_t *start = conn_output_reserve(c, FRAME_HEADER_SIZE + body);
    if (!start)
        return; /* closing: the answer is dropped */
    frame_put_header(start, (uint32_t)body);
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
    assert((size_t)(p - start) == FRAME_HEADER_SIZE + body);
    conn_output_commit(c, FRAME_HEADER_SIZE + body);
}

static uint64_t latency_us(uint64_t start_ns)
{
    return (uv_hrtime() - start_ns) / 1000;
}

/* The closure handed to every handler: closure_data is the call. */
static void call_done(const ProtobufCMessage *msg, void *closure_data)
{
    struct call *call = closure_data;
    struct conn *c = call->conn;
    int status;
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
        status = TAMNONG__STATUS__OK;
        send_response(c, call->id, status, NULL, msg, plen);
    } else {
        if (call->status <= 0) {
            /* done(NULL) without call_fail, or call_fail(OK): a handler bug. */
            log_error("method %u finished without an answer", call->method);
            call_fail(call, TAMNONG__STATUS__INTERNAL, "handler answered nothing");
        }
        status = call->status;
        send_response(c, call->id, status, call->message, NULL, 0);
    }
    metrics_request_done(call->method, status, latency_us(call->start_ns));

    protobuf_c_message_free_unpacked(call->input, NULL);
    conn_call_finished(c);
    free(call);
    conn_unref(c);
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
    if (!m) {
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
    } else if (!(call = malloc(sizeof *call))) {
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
    conn_ref(c);
    conn_call_started(c);
    tamnong__request__free_unpacked(req, NULL);
    /* index < n_methods was checked by envelope_method. The handler may
     * answer before invoke returns; call is gone then. */
    tamnong_service.base.invoke(&tamnong_service.base, index, input, call_done, call);
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
