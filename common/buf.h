/* buf: a growable byte buffer with a hard cap, used for socket input, TLS
 * output and response encoding. Every growth is checked against the cap so a
 * peer can never make us allocate more than the limit we chose. */
#ifndef TAMNONG_BUF_H
#define TAMNONG_BUF_H

#include <stddef.h>
#include <stdint.h>

struct buf {
    uint8_t *data;
    size_t len; /* bytes in use, from data[0] */
    size_t cap; /* bytes allocated */
    size_t max; /* never grow beyond this; 0 = SIZE_MAX */
};

void buf_init(struct buf *b, size_t max);
void buf_free(struct buf *b);
/* Make room for `extra` more bytes. 0, or -ENOMEM / -E2BIG (over max). */
int buf_reserve(struct buf *b, size_t extra) __attribute__((warn_unused_result));
int buf_append(struct buf *b, const void *data, size_t n) __attribute__((warn_unused_result));
/* Drop the first n bytes (n <= len), moving the rest to the front. */
void buf_consume(struct buf *b, size_t n);
/* Give the storage back once the buffer is empty and large (idle connections). */
void buf_shrink_if_empty(struct buf *b);

#endif
