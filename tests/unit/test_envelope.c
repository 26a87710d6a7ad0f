/* test_envelope: the envelope codec of common/envelope.c: request and
 * response round-trips through a frame, id 0, method index bounds, truncated
 * envelopes and payloads, and the size limits of envelope_append_frame. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "envelope.h"
#include "frame.h"
#include "unit.h"

/* Pack a PingRequest into a malloc'ed buffer. */
static uint8_t *pack_ping(bool skip, size_t *len)
{
    Tamnong__PingRequest ping = TAMNONG__PING_REQUEST__INIT;
    ping.skip_database = skip;
    *len = tamnong__ping_request__get_packed_size(&ping);
    uint8_t *out = malloc(*len ? *len : 1);
    if (out)
        tamnong__ping_request__pack(&ping, out);
    return out;
}

/* Pack a Request into out (cap bytes); returns its length or 0. */
static size_t pack_request(uint64_t id, uint32_t method, const uint8_t *payload, size_t plen,
                           uint8_t *out, size_t cap)
{
    Tamnong__Request req = TAMNONG__REQUEST__INIT;
    req.id = id;
    req.method = method;
    req.deadline_ms = 1500;
    req.payload.data = (uint8_t *)payload;
    req.payload.len = plen;
    size_t n = tamnong__request__get_packed_size(&req);
    if (n > cap)
        return 0;
    return tamnong__request__pack(&req, out);
}

TEST(request_round_trip)
{
    size_t plen;
    uint8_t *payload = pack_ping(true, &plen);
    CHECK(payload != NULL);

    Tamnong__Request req = TAMNONG__REQUEST__INIT;
    req.id = 0x1122334455667788ull;
    req.method = 0;
    req.deadline_ms = 2500;
    static uint8_t token[] = {1, 2, 3};
    req.session_token.data = token;
    req.session_token.len = sizeof token;
    req.payload.data = payload;
    req.payload.len = plen;

    struct buf out;
    buf_init(&out, 0);
    int rc = envelope_append_frame(&out, &req.base, FRAME_DEFAULT_MAX);
    free(payload);
    CHECK_EQ_INT(rc, 0);

    const uint8_t *body;
    uint32_t blen;
    size_t used;
    enum frame_result fr = frame_parse(out.data, out.len, FRAME_DEFAULT_MAX, &body, &blen, &used);
    if (fr != FRAME_OK || used != out.len)
        buf_free(&out);
    CHECK_EQ_INT(fr, FRAME_OK);
    CHECK_EQ_INT(used, out.len);

    Tamnong__Request *got = NULL;
    rc = envelope_decode_request(body, blen, &got);
    buf_free(&out);
    CHECK_EQ_INT(rc, TAMNONG__STATUS__OK);
    CHECK(got != NULL);
    int ok = got->id == req.id && got->method == 0 && got->deadline_ms == 2500 &&
             got->session_token.len == 3 && memcmp(got->session_token.data, token, 3) == 0;

    const ProtobufCMethodDescriptor *m = envelope_method(got->method);
    ProtobufCMessage *msg = m ? envelope_unpack_payload(m, got) : NULL;
    tamnong__request__free_unpacked(got, NULL);
    CHECK(ok);
    CHECK(m != NULL);
    CHECK_EQ_STR(m->name, "Ping");
    CHECK(m->input == &tamnong__ping_request__descriptor);
    CHECK(m->output == &tamnong__ping_response__descriptor);
    CHECK(msg != NULL);
    CHECK(msg->descriptor == &tamnong__ping_request__descriptor);
    bool skip = ((Tamnong__PingRequest *)msg)->skip_database;
    protobuf_c_message_free_unpacked(msg, NULL);
    CHECK(skip);
}

TEST(id_zero_refused)
{
    uint8_t buf[64];
    size_t n = pack_request(0, 0, NULL, 0, buf, sizeof buf);
    CHECK(n > 0);
    Tamnong__Request *got = (Tamnong__Request *)1;
    CHECK_EQ_INT(envelope_decode_request(buf, n, &got), TAMNONG__STATUS__INVALID_ARGUMENT);
    CHECK(got == NULL);
    /* An empty envelope is a Request with every field 0: id 0 again. */
    got = (Tamnong__Request *)1;
    CHECK_EQ_INT(envelope_decode_request(buf, 0, &got), TAMNONG__STATUS__INVALID_ARGUMENT);
    CHECK(got == NULL);
}

TEST(method_index_bounds)
{
    uint32_t n = tamnong__tamnong__descriptor.n_methods;
    CHECK(n >= 1);
    CHECK(envelope_method(0) != NULL);
    CHECK_EQ_STR(envelope_method(0)->name, "Ping");
    CHECK(envelope_method(n - 1) == &tamnong__tamnong__descriptor.methods[n - 1]);
    CHECK(envelope_method(n) == NULL);
    CHECK(envelope_method(n + 1) == NULL);
    CHECK(envelope_method(0x80000000u) == NULL);
    CHECK(envelope_method(UINT32_MAX) == NULL);

    /* A request naming an unknown method still decodes: the caller answers
     * UNIMPLEMENTED with the request's id. */
    uint8_t buf[64];
    size_t len = pack_request(7, UINT32_MAX, NULL, 0, buf, sizeof buf);
    CHECK(len > 0);
    Tamnong__Request *got = NULL;
    CHECK_EQ_INT(envelope_decode_request(buf, len, &got), TAMNONG__STATUS__OK);
    uint32_t method = got->method;
    uint64_t id = got->id;
    tamnong__request__free_unpacked(got, NULL);
    CHECK_EQ_INT(method, UINT32_MAX);
    CHECK_EQ_INT(id, 7);
    CHECK(envelope_method(method) == NULL);
}

TEST(truncated_envelope)
{
    uint8_t payload[40];
    memset(payload, 0x55, sizeof payload);
    uint8_t buf[128];
    size_t n = pack_request(42, 0, payload, sizeof payload, buf, sizeof buf);
    CHECK(n > sizeof payload + 2);
    /* The payload field is last: cutting 1 .. payload+1 bytes leaves a
     * length-delimited field without (all of) its data. */
    for (size_t cut = 1; cut <= sizeof payload + 1; cut++) {
        Tamnong__Request *got = (Tamnong__Request *)1;
        int rc = envelope_decode_request(buf, n - cut, &got);
        if (rc != TAMNONG__STATUS__INVALID_ARGUMENT)
            fprintf(stderr, "cut %zu of %zu decoded\n", cut, n);
        CHECK_EQ_INT(rc, TAMNONG__STATUS__INVALID_ARGUMENT);
        CHECK(got == NULL);
    }
    /* A varint that never ends and an invalid wire type. */
    static const uint8_t endless[] = {0x08, 0xff, 0xff, 0xff};
    static const uint8_t badwire[] = {0x08, 0x01, 0x0f};
    Tamnong__Request *got = NULL;
    CHECK_EQ_INT(envelope_decode_request(endless, sizeof endless, &got),
                 TAMNONG__STATUS__INVALID_ARGUMENT);
    CHECK_EQ_INT(envelope_decode_request(badwire, sizeof badwire, &got),
                 TAMNONG__STATUS__INVALID_ARGUMENT);
    /* Response side too. */
    CHECK(envelope_decode_response(endless, sizeof endless) == NULL);
}

TEST(unknown_fields_ignored)
{
    /* id = 9 (field 1), then field 99 as a varint: a newer client's field. */
    static const uint8_t data[] = {0x08, 0x09, 0x98, 0x06, 0x01};
    Tamnong__Request *got = NULL;
    CHECK_EQ_INT(envelope_decode_request(data, sizeof data, &got), TAMNONG__STATUS__OK);
    uint64_t id = got->id;
    tamnong__request__free_unpacked(got, NULL);
    CHECK_EQ_INT(id, 9);
}

/* Decode a Request carrying `payload` and try to unpack it as method 0's input. */
static ProtobufCMessage *unpack_as_ping(const uint8_t *payload, size_t plen, int *decoded)
{
    uint8_t buf[64];
    size_t n = pack_request(1, 0, payload, plen, buf, sizeof buf);
    Tamnong__Request *req = NULL;
    *decoded = envelope_decode_request(buf, n, &req) == TAMNONG__STATUS__OK;
    if (!req)
        return NULL;
    ProtobufCMessage *msg = envelope_unpack_payload(envelope_method(req->method), req);
    tamnong__request__free_unpacked(req, NULL);
    return msg;
}

TEST(bad_payload)
{
    int decoded;
    /* skip_database = true, then the same with its value cut off. */
    static const uint8_t good[] = {0x08, 0x01};
    static const uint8_t truncated[] = {0x08};
    static const uint8_t endless[] = {0x08, 0x80, 0x80};
    static const uint8_t short_len[] = {0x12, 0x05, 'a'}; /* field 2, 5 bytes promised */
    static const uint8_t badwire[] = {0x0f};

    ProtobufCMessage *msg = unpack_as_ping(good, sizeof good, &decoded);
    CHECK(decoded);
    CHECK(msg != NULL);
    protobuf_c_message_free_unpacked(msg, NULL);

    const struct {
        const uint8_t *p;
        size_t n;
    } bad[] = {{truncated, sizeof truncated},
               {endless, sizeof endless},
               {short_len, sizeof short_len},
               {badwire, sizeof badwire}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        msg = unpack_as_ping(bad[i].p, bad[i].n, &decoded);
        if (msg)
            protobuf_c_message_free_unpacked(msg, NULL);
        CHECK(decoded); /* the envelope itself is fine */
        CHECK(msg == NULL);
    }
    /* An empty payload is a PingRequest with defaults. */
    msg = unpack_as_ping(NULL, 0, &decoded);
    CHECK(msg != NULL);
    protobuf_c_message_free_unpacked(msg, NULL);
}

TEST(append_frame_limits)
{
    uint8_t payload[100];
    memset(payload, 0x11, sizeof payload);
    Tamnong__Request req = TAMNONG__REQUEST__INIT;
    req.id = 5;
    req.payload.data = payload;
    req.payload.len = sizeof payload;
    size_t n = tamnong__request__get_packed_size(&req);

    struct buf out;
    buf_init(&out, 0);
    /* max_payload one short: refused, nothing written. */
    CHECK_EQ_INT(envelope_append_frame(&out, &req.base, (uint32_t)n - 1), -E2BIG);
    CHECK_EQ_INT(out.len, 0);
    /* Exactly max_payload: accepted. */
    int rc = envelope_append_frame(&out, &req.base, (uint32_t)n);
    size_t len = out.len;
    buf_free(&out);
    CHECK_EQ_INT(rc, 0);
    CHECK_EQ_INT(len, FRAME_HEADER_SIZE + n);

    /* The buffer's own cap: one byte short refused, exact fits. */
    buf_init(&out, FRAME_HEADER_SIZE + n - 1);
    rc = envelope_append_frame(&out, &req.base, FRAME_DEFAULT_MAX);
    len = out.len;
    buf_free(&out);
    CHECK_EQ_INT(rc, -E2BIG);
    CHECK_EQ_INT(len, 0);

    buf_init(&out, 2 * (FRAME_HEADER_SIZE + n));
    rc = envelope_append_frame(&out, &req.base, FRAME_DEFAULT_MAX);
    int rc2 = envelope_append_frame(&out, &req.base, FRAME_DEFAULT_MAX);
    int rc3 = envelope_append_frame(&out, &req.base, FRAME_DEFAULT_MAX); /* over the cap */
    len = out.len;
    /* Two frames back to back, both parse. */
    const uint8_t *body;
    uint32_t blen;
    size_t used = 0, used2 = 0;
    enum frame_result f1 = frame_parse(out.data, out.len, FRAME_DEFAULT_MAX, &body, &blen, &used);
    enum frame_result f2 =
        frame_parse(out.data + used, out.len - used, FRAME_DEFAULT_MAX, &body, &blen, &used2);
    buf_free(&out);
    CHECK_EQ_INT(rc, 0);
    CHECK_EQ_INT(rc2, 0);
    CHECK_EQ_INT(rc3, -E2BIG);
    CHECK_EQ_INT(len, 2 * (FRAME_HEADER_SIZE + n));
    CHECK_EQ_INT(f1, FRAME_OK);
    CHECK_EQ_INT(f2, FRAME_OK);
    CHECK_EQ_INT(used + used2, len);
}

TEST(response_round_trip)
{
    static uint8_t payload[] = {0x0a, 0x03, 'v', '0', '1'};
    Tamnong__Response resp = TAMNONG__RESPONSE__INIT;
    resp.id = 77;
    resp.status = TAMNONG__STATUS__UNAVAILABLE;
    resp.message = (char *)"database unavailable";
    resp.server_time_ms = 1700000000123;
    resp.retry_after_ms = 250;
    resp.payload.data = payload;
    resp.payload.len = sizeof payload;

    struct buf out;
    buf_init(&out, 0);
    CHECK_EQ_INT(envelope_append_frame(&out, &resp.base, FRAME_DEFAULT_MAX), 0);
    const uint8_t *body;
    uint32_t blen;
    size_t used;
    enum frame_result fr = frame_parse(out.data, out.len, FRAME_DEFAULT_MAX, &body, &blen, &used);
    Tamnong__Response *got = fr == FRAME_OK ? envelope_decode_response(body, blen) : NULL;
    buf_free(&out);
    CHECK_EQ_INT(fr, FRAME_OK);
    CHECK(got != NULL);
    int ok = got->id == 77 && got->status == TAMNONG__STATUS__UNAVAILABLE &&
             strcmp(got->message, "database unavailable") == 0 &&
             got->server_time_ms == 1700000000123 && got->retry_after_ms == 250 &&
             got->payload.len == sizeof payload &&
             memcmp(got->payload.data, payload, sizeof payload) == 0;
    tamnong__response__free_unpacked(got, NULL);
    CHECK(ok);

    /* Garbage does not decode. (protobuf-c does not check UTF-8 in strings:
     * whoever prints `message` must not trust it.) */
    static const uint8_t garbage[] = {0xff, 0xff, 0xff, 0xff, 0xff};
    CHECK(envelope_decode_response(garbage, sizeof garbage) == NULL);
}

UNIT_MAIN(T(request_round_trip), T(id_zero_refused), T(method_index_bounds), T(truncated_envelope),
          T(unknown_fields_ignored), T(bad_payload), T(append_frame_limits), T(response_round_trip))
