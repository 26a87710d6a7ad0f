/* fuzz_envelope: libFuzzer target over the bytes a peer sends after TLS:
 * the same path the server takes (frame_parse with a limit, repeated over the
 * stream -> envelope_decode_request -> envelope_method ->
 * envelope_unpack_payload -> free), a re-encode of every decoded request, and
 * the client's envelope_decode_response. Build and run: `make fuzz`;
 * replay the seed corpus: `make fuzz-replay`. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "envelope.h"
#include "frame.h"

#define FUZZ_MAX_FRAME (64u * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The known fields of a decoded request, packed again as a client would,
 * must make one frame that parses and decodes back to the same values.
 * (Unknown fields are left out: protobuf-c keeps them verbatim and accepts an
 * overlong tag of field 0 that it refuses in canonical form.) */
static void reencode(const Tamnong__Request *in)
{
    Tamnong__Request req = TAMNONG__REQUEST__INIT;
    req.id = in->id;
    req.method = in->method;
    req.deadline_ms = in->deadline_ms;
    req.session_token = in->session_token;
    req.payload = in->payload;

    struct buf out;
    buf_init(&out, FRAME_HEADER_SIZE + FUZZ_MAX_FRAME);
    if (envelope_append_frame(&out, &req.base, FUZZ_MAX_FRAME) == 0) {
        const uint8_t *body;
        uint32_t blen;
        size_t used;
        if (frame_parse(out.data, out.len, FUZZ_MAX_FRAME, &body, &blen, &used) != FRAME_OK ||
            used != out.len)
            abort();
        Tamnong__Request *again = NULL;
        if (envelope_decode_request(body, blen, &again) != TAMNONG__STATUS__OK ||
            again->id != req.id || again->method != req.method ||
            again->deadline_ms != req.deadline_ms ||
            again->session_token.len != req.session_token.len ||
            again->payload.len != req.payload.len ||
            (req.payload.len &&
             memcmp(again->payload.data, req.payload.data, req.payload.len) != 0))
            abort();
        tamnong__request__free_unpacked(again, NULL);
    }
    buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t off = 0;
    for (;;) {
        const uint8_t *body;
        uint32_t blen;
        size_t used;
        enum frame_result r =
            frame_parse(data + off, size - off, FUZZ_MAX_FRAME, &body, &blen, &used);
        if (r != FRAME_OK)
            break; /* NEED_MORE: wait for bytes; ERROR: the server closes */
        if (used < FRAME_HEADER_SIZE + 1 || used > size - off || blen > FUZZ_MAX_FRAME)
            abort();
        off += used;

        Tamnong__Request *req = NULL;
        if (envelope_decode_request(body, blen, &req) != TAMNONG__STATUS__OK) {
            if (req)
                abort();
            continue; /* answered INVALID_ARGUMENT */
        }
        if (req->id == 0)
            abort();
        const ProtobufCMethodDescriptor *m = envelope_method(req->method);
        if (m) {
            ProtobufCMessage *msg = envelope_unpack_payload(m, req);
            if (msg) {
                if (msg->descriptor != m->input)
                    abort();
                protobuf_c_message_free_unpacked(msg, NULL);
            }
        } else if (req->method < tamnong__tamnong__descriptor.n_methods) {
            abort();
        }
        reencode(req);
        tamnong__request__free_unpacked(req, NULL);
    }

    /* Client side: a response body as it comes out of a frame. */
    Tamnong__Response *resp = envelope_decode_response(data, size);
    if (resp)
        tamnong__response__free_unpacked(resp, NULL);
    return 0;
}
