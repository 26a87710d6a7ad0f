/* test_utf8: strict validation and the sanitized copy peer text gets before
 * it is written to the log or the audit log. */
#include <string.h>

#include "unit.h"
#include "utf8.h"

TEST(valid_and_invalid)
{
    CHECK(utf8_valid("Sở Nông nghiệp", strlen("Sở Nông nghiệp")));
    CHECK(!utf8_valid("\xe1\xba", 2));     /* cut in the middle of a character */
    CHECK(!utf8_valid("\xc0\xaf", 2));     /* overlong '/' */
    CHECK(!utf8_valid("\xed\xa0\x80", 3)); /* a surrogate */
    CHECK(!utf8_valid("a\0b", 3));         /* NUL */
}

TEST(sanitize_keeps_valid_text)
{
    char out[64];
    utf8_sanitize("Lạng Sơn", strlen("Lạng Sơn"), out, sizeof out);
    CHECK_EQ_STR(out, "Lạng Sơn");
}

TEST(sanitize_escapes_invalid_bytes)
{
    char out[64];
    const char in[] = "a\xe1z\xff";
    utf8_sanitize(in, sizeof in - 1, out, sizeof out);
    CHECK_EQ_STR(out, "a\\xe1z\\xff");
    CHECK(utf8_valid(out, strlen(out)));
}

TEST(sanitize_cuts_at_a_character_boundary)
{
    char out[6]; /* room for 5 bytes: "ab" + one 3-byte character fits, not two */
    const char *in = "abạạ";
    utf8_sanitize(in, strlen(in), out, sizeof out);
    CHECK_EQ_STR(out, "abạ");
    char tiny[4]; /* an escape (4 bytes) does not fit: stop before it */
    utf8_sanitize("ab\xff", 3, tiny, sizeof tiny);
    CHECK_EQ_STR(tiny, "ab");
    CHECK(utf8_valid(tiny, strlen(tiny)));
}

TEST(copy_cuts_at_a_character_boundary)
{
    char out[4];
    utf8_copy(out, sizeof out, "aạb"); /* 'a' + 3 bytes does not fit in 3 */
    CHECK_EQ_STR(out, "a");
    char big[16];
    utf8_copy(big, sizeof big, "Sơn");
    CHECK_EQ_STR(big, "Sơn");
}

UNIT_MAIN(T(valid_and_invalid), T(sanitize_keeps_valid_text), T(sanitize_escapes_invalid_bytes),
          T(sanitize_cuts_at_a_character_boundary), T(copy_cuts_at_a_character_boundary))
