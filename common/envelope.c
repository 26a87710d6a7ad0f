/* envelope: request/response envelope codec and method lookup (see envelope.h). */
#include "envelope.h"

#include <errno.h>

#include "frame.h"

int envelope_decode_request(const uint8_t *data, size_t len, Tamnong__Request **out)
{
    *out = tamnong__request__unpack(NULL, len, data);
    if (!*out)
        return TAMNONG__STATUS__INVALID_ARGUMENT;
    if ((*out)->id == 0) {
        tamnong__request__free_unpacked(*out, NULL);
        *out = NULL;
        return TAMNONG__STATUS__INVALID_ARGUMENT;
    }
    return TAMNONG__STATUS__OK;
}

const ProtobufCMethodDescriptor *envelope_method(uint32_t method_index)
{
    if (method_index >= tamnong__tamnong__descriptor.n_methods)
        return NULL;
    return &tamnong__tamnong__descriptor.methods[method_index];
}

ProtobufCMessage *envelope_unpack_payload(const ProtobufCMethodDescriptor *m,
                                          const Tamnong__Request *req)
{
    return protobuf_c_message_unpack(m->input, NULL, req->payload.len, req->payload.data);
}

int envelope_append_frame(struct buf *out, const ProtobufCMessage *msg, uint32_t max_payload)
{
    size_t n = protobuf_c_message_get_packed_size(msg);
    if (n > max_payload || n > UINT32_MAX)
        return -E2BIG;
    int rc = buf_reserve(out, FRAME_HEADER_SIZE + n);
    if (rc)
        return rc;
    frame_put_header(out->data + out->len, (uint32_t)n);
    protobuf_c_message_pack(msg, out->data + out->len + FRAME_HEADER_SIZE);
    out->len += FRAME_HEADER_SIZE + n;
    return 0;
}

Tamnong__Response *envelope_decode_response(const uint8_t *data, size_t len)
{
    return tamnong__response__unpack(NULL, len, data);
}
