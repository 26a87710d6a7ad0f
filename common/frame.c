/* frame: 4-byte big-endian length framing (see frame.h). */
#include "frame.h"

enum frame_result frame_parse(const uint8_t *buf, size_t len, uint32_t max_payload,
                              const uint8_t **payload, uint32_t *payload_len, size_t *consumed)
{
    *payload = NULL;
    *payload_len = 0;
    *consumed = 0;
    if (len < FRAME_HEADER_SIZE)
        return FRAME_NEED_MORE;
    uint32_t n =
        (uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 | (uint32_t)buf[2] << 8 | (uint32_t)buf[3];
    *payload_len = n;
    if (n == 0 || n > max_payload)
        return FRAME_ERROR;
    if (len - FRAME_HEADER_SIZE < n)
        return FRAME_NEED_MORE;
    *payload = buf + FRAME_HEADER_SIZE;
    *consumed = FRAME_HEADER_SIZE + (size_t)n;
    return FRAME_OK;
}

void frame_put_header(uint8_t out[FRAME_HEADER_SIZE], uint32_t n)
{
    out[0] = (uint8_t)(n >> 24);
    out[1] = (uint8_t)(n >> 16);
    out[2] = (uint8_t)(n >> 8);
    out[3] = (uint8_t)n;
}
