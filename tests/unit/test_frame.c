/* test_frame: the 4-byte big-endian length framing of common/frame.c: split
 * reads, back-to-back frames, zero and oversize lengths (max, max+1,
 * 2^32-1), header round-trip. */
#include <stdint.h>

#include "frame.h"
#include "unit.h"

/* header + payload of n bytes filled with `fill` into out; returns total. */
static size_t make_frame(uint8_t *out, uint32_t n, uint8_t fill)
{
    frame_put_header(out, n);
    memset(out + FRAME_HEADER_SIZE, fill, n);
    return FRAME_HEADER_SIZE + (size_t)n;
}

TEST(header_round_trip)
{
    static const uint32_t values[] = {0, 1, 0xff, 0x100, 0x12345678, FRAME_DEFAULT_MAX, UINT32_MAX};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        uint8_t h[FRAME_HEADER_SIZE];
        frame_put_header(h, values[i]);
        uint32_t got = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
        CHECK_EQ_INT(got, values[i]);
        /* frame_parse reads the same length back (as the error's announced length). */
        const uint8_t *p;
        uint32_t plen;
        size_t used;
        enum frame_result r = frame_parse(h, sizeof h, UINT32_MAX, &p, &plen, &used);
        CHECK_EQ_INT(plen, values[i]);
        CHECK(r == (values[i] == 0 ? FRAME_ERROR : FRAME_NEED_MORE));
    }
    uint8_t h[FRAME_HEADER_SIZE];
    frame_put_header(h, 0x01020304);
    CHECK_EQ_INT(h[0], 1);
    CHECK_EQ_INT(h[1], 2);
    CHECK_EQ_INT(h[2], 3);
    CHECK_EQ_INT(h[3], 4);
}

TEST(split_reads_byte_by_byte)
{
    uint8_t buf[64];
    size_t total = make_frame(buf, 20, 0xab);
    const uint8_t *p;
    uint32_t plen;
    size_t used;
    for (size_t have = 0; have < total; have++) {
        enum frame_result r = frame_parse(buf, have, 1024, &p, &plen, &used);
        CHECK_EQ_INT(r, FRAME_NEED_MORE);
        CHECK_EQ_INT(used, 0);
        CHECK(p == NULL);
    }
    CHECK_EQ_INT(frame_parse(buf, total, 1024, &p, &plen, &used), FRAME_OK);
    CHECK_EQ_INT(plen, 20);
    CHECK_EQ_INT(used, total);
    CHECK(p == buf + FRAME_HEADER_SIZE);
    CHECK_EQ_INT(p[0], 0xab);
    CHECK_EQ_INT(p[19], 0xab);
}

TEST(two_frames_back_to_back)
{
    uint8_t buf[64];
    size_t a = make_frame(buf, 3, 'a');
    size_t b = make_frame(buf + a, 5, 'b');
    const uint8_t *p;
    uint32_t plen;
    size_t used;
    /* Both in the buffer, then a partial third header. */
    buf[a + b] = 0;
    buf[a + b + 1] = 0;
    size_t len = a + b + 2;

    CHECK_EQ_INT(frame_parse(buf, len, 1024, &p, &plen, &used), FRAME_OK);
    CHECK_EQ_INT(plen, 3);
    CHECK_EQ_INT(used, a);
    CHECK(memcmp(p, "aaa", 3) == 0);

    CHECK_EQ_INT(frame_parse(buf + used, len - used, 1024, &p, &plen, &used), FRAME_OK);
    CHECK_EQ_INT(plen, 5);
    CHECK_EQ_INT(used, b);
    CHECK(memcmp(p, "bbbbb", 5) == 0);

    CHECK_EQ_INT(frame_parse(buf + a + b, 2, 1024, &p, &plen, &used), FRAME_NEED_MORE);
}

TEST(zero_length_is_error)
{
    uint8_t buf[8] = {0, 0, 0, 0, 1, 2, 3, 4};
    const uint8_t *p;
    uint32_t plen;
    size_t used;
    CHECK_EQ_INT(frame_parse(buf, 4, 1024, &p, &plen, &used), FRAME_ERROR);
    CHECK_EQ_INT(frame_parse(buf, sizeof buf, 1024, &p, &plen, &used), FRAME_ERROR);
    CHECK_EQ_INT(plen, 0);
    CHECK_EQ_INT(used, 0);
}

TEST(max_exact_ok_max_plus_one_error)
{
    const uint32_t max = 1000;
    uint8_t *buf = malloc(FRAME_HEADER_SIZE + max + 1);
    CHECK(buf != NULL);
    const uint8_t *p;
    uint32_t plen;
    size_t used;

    size_t total = make_frame(buf, max, 'x');
    enum frame_result r1 = frame_parse(buf, total, max, &p, &plen, &used);
    size_t used1 = used;
    uint32_t plen1 = plen;
    /* Header alone of a max-sized frame: keep reading. */
    enum frame_result r2 = frame_parse(buf, FRAME_HEADER_SIZE, max, &p, &plen, &used);

    total = make_frame(buf, max + 1, 'x');
    /* max+1 is refused from the header alone, before the payload arrives. */
    enum frame_result r3 = frame_parse(buf, FRAME_HEADER_SIZE, max, &p, &plen, &used);
    enum frame_result r4 = frame_parse(buf, total, max, &p, &plen, &used);
    free(buf);

    CHECK_EQ_INT(r1, FRAME_OK);
    CHECK_EQ_INT(plen1, max);
    CHECK_EQ_INT(used1, FRAME_HEADER_SIZE + max);
    CHECK_EQ_INT(r2, FRAME_NEED_MORE);
    CHECK_EQ_INT(r3, FRAME_ERROR);
    CHECK_EQ_INT(r4, FRAME_ERROR);
    CHECK_EQ_INT(plen, max + 1); /* announced length, for the log */
    CHECK_EQ_INT(used, 0);
}

TEST(default_max)
{
    uint8_t h[FRAME_HEADER_SIZE];
    const uint8_t *p;
    uint32_t plen;
    size_t used;
    frame_put_header(h, FRAME_DEFAULT_MAX);
    CHECK_EQ_INT(frame_parse(h, sizeof h, FRAME_DEFAULT_MAX, &p, &plen, &used), FRAME_NEED_MORE);
    frame_put_header(h, FRAME_DEFAULT_MAX + 1);
    CHECK_EQ_INT(frame_parse(h, sizeof h, FRAME_DEFAULT_MAX, &p, &plen, &used), FRAME_ERROR);
}

TEST(length_2_32_minus_1_is_error)
{
    /* The header only: frame_parse must decide without the payload and
     * without allocating anything (the buffer is 4 bytes long). */
    uint8_t h[FRAME_HEADER_SIZE] = {0xff, 0xff, 0xff, 0xff};
    const uint8_t *p;
    uint32_t plen;
    size_t used;
    CHECK_EQ_INT(frame_parse(h, sizeof h, FRAME_DEFAULT_MAX, &p, &plen, &used), FRAME_ERROR);
    CHECK_EQ_INT(plen, UINT32_MAX);
    CHECK_EQ_INT(used, 0);
    CHECK(p == NULL);
    /* Even with the largest possible limit it only asks for more bytes. */
    CHECK_EQ_INT(frame_parse(h, sizeof h, UINT32_MAX, &p, &plen, &used), FRAME_NEED_MORE);
    /* The top bit alone (a sign-confusion trap). */
    uint8_t h2[FRAME_HEADER_SIZE] = {0x80, 0, 0, 0};
    CHECK_EQ_INT(frame_parse(h2, sizeof h2, FRAME_DEFAULT_MAX, &p, &plen, &used), FRAME_ERROR);
    CHECK_EQ_INT(plen, 0x80000000u);
}

UNIT_MAIN(T(header_round_trip), T(split_reads_byte_by_byte), T(two_frames_back_to_back),
          T(zero_length_is_error), T(max_exact_ok_max_plus_one_error), T(default_max),
          T(length_2_32_minus_1_is_error))
