/* envelope: decode and encode the protobuf envelopes that travel inside
 * frames (Request from clients, Response from the server) and resolve a
 * request's method index against service Tamnong's generated descriptor.
 * Everything here treats its input as hostile: indexes are bounds-checked
 * before protobuf-c sees them (protobuf-c asserts on a bad index). */
#ifndef TAMNONG_ENVELOPE_H
#define TAMNONG_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "tamnong.pb-c.h"

/* Decode a Request. Returns 0 and *out (free with
 * tamnong__request__free_unpacked(*out, NULL)), or a Tamnong__Status code
 * (INVALID_ARGUMENT for undecodable bytes or id == 0) with *out = NULL. */
int envelope_decode_request(const uint8_t *data, size_t len, Tamnong__Request **out);

/* The method descriptor for req->method, or NULL when the index is outside
 * service Tamnong (answer UNIMPLEMENTED). */
const ProtobufCMethodDescriptor *envelope_method(uint32_t method_index);

/* Unpack the request payload as the method's input message. NULL when the
 * payload does not decode (answer INVALID_ARGUMENT). Free with
 * protobuf_c_message_free_unpacked(msg, NULL). */
ProtobufCMessage *envelope_unpack_payload(const ProtobufCMethodDescriptor *m,
                                          const Tamnong__Request *req);

/* Append one frame (header + packed message) to out. 0, or negative errno
 * (-E2BIG when the message would exceed max_payload or out's cap). */
int envelope_append_frame(struct buf *out, const ProtobufCMessage *msg, uint32_t max_payload)
    __attribute__((warn_unused_result));

/* Decode a Response (client side). NULL when undecodable. */
Tamnong__Response *envelope_decode_response(const uint8_t *data, size_t len);

#endif
