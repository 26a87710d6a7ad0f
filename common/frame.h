/* frame: the wire framing. Every message is a 4-byte big-endian length
 * followed by that many bytes of protobuf envelope. A length of 0 or above the
 * caller's limit is a protocol error: the peer is closed, nothing allocated. */
#ifndef TAMNONG_FRAME_H
#define TAMNONG_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define FRAME_HEADER_SIZE 4
#define FRAME_DEFAULT_MAX (4u * 1024 * 1024)

enum frame_result {
    FRAME_OK,        /* a whole frame is in the buffer */
    FRAME_NEED_MORE, /* keep reading */
    FRAME_ERROR,     /* zero or oversize length: close the connection */
};

/* Look for one frame at the start of buf[0..len). On FRAME_OK, *payload and
 * *payload_len point into buf and *consumed is header + payload. On
 * FRAME_ERROR, *payload_len holds the announced length (for the log). */
enum frame_result frame_parse(const uint8_t *buf, size_t len, uint32_t max_payload,
                              const uint8_t **payload, uint32_t *payload_len, size_t *consumed);

void frame_put_header(uint8_t out[FRAME_HEADER_SIZE], uint32_t payload_len);

#endif
