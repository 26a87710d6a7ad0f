/* utf8: strict UTF-8 validation (see utf8.c). */
#ifndef TAMNONG_UTF8_H
#define TAMNONG_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* Length of the valid UTF-8 prefix of s[0..n): n when all of it is valid.
 * Rejects overlong forms, surrogates and code points above U+10FFFF. */
size_t utf8_valid_prefix(const unsigned char *s, size_t n);
/* All of s[0..n) is valid UTF-8 and contains no NUL. */
bool utf8_valid(const char *s, size_t n);
/* Copy s into out[size] as valid UTF-8 text for logs and the audit log:
 * valid sequences as they are, every other byte (or NUL) as \xNN, cut at a
 * character boundary when out is full. */
void utf8_sanitize(const char *s, size_t n, char *out, size_t size);
/* Copy the (valid UTF-8) string src into dst[len], cut at a character
 * boundary when it does not fit. */
void utf8_copy(char *dst, size_t len, const char *src);

#endif
