/* utf8: strict UTF-8 validation for every text that comes from a file or
 * the network (protobuf-c checks no UTF-8 itself). */
#include "utf8.h"

#include <stdio.h>
#include <string.h>

#include <stdint.h>

/* Length of the valid UTF-8 prefix of s[0..n): n when all of it is valid.
 * Rejects overlong forms, surrogates and code points above U+10FFFF. */
size_t utf8_valid_prefix(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char b = s[i];
        size_t len;
        uint32_t cp, min;
        if (b < 0x80) {
            i++;
            continue;
        } else if ((b & 0xE0) == 0xC0) {
            len = 2, cp = b & 0x1F, min = 0x80;
        } else if ((b & 0xF0) == 0xE0) {
            len = 3, cp = b & 0x0F, min = 0x800;
        } else if ((b & 0xF8) == 0xF0) {
            len = 4, cp = b & 0x07, min = 0x10000;
        } else {
            return i;
        }
        if (n - i < len)
            return i;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return i;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return i;
        i += len;
    }
    return n;
}

bool utf8_valid(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] == '\0')
            return false;
    return utf8_valid_prefix((const unsigned char *)s, n) == n;
}

void utf8_sanitize(const char *s, size_t n, char *out, size_t size)
{
    size_t o = 0, i = 0;
    if (!size)
        return;
    while (i < n) {
        size_t ok = utf8_valid_prefix((const unsigned char *)s + i, n - i);
        /* The valid run, whole characters only (a partial one at the end of
         * the room is dropped). */
        while (ok > 0 && o + 1 < size) {
            size_t c = 1;
            while (c < ok && ((unsigned char)s[i + c] & 0xC0) == 0x80)
                c++;
            if (s[i] == '\0' || o + c + 1 > size)
                break;
            memcpy(out + o, s + i, c);
            o += c;
            i += c;
            ok -= c;
        }
        if (i >= n || o + 1 >= size)
            break;
        if (ok > 0 && s[i] != '\0')
            break; /* no room for the next character */
        if (o + 5 > size)
            break;
        snprintf(out + o, size - o, "\\x%02x", (unsigned char)s[i]);
        o += 4;
        i++;
    }
    out[o] = '\0';
}

void utf8_copy(char *dst, size_t len, const char *src)
{
    size_t n = strlen(src);
    if (n >= len) {
        n = len - 1;
        while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
            n--;
    }
    memcpy(dst, src, n);
    dst[n] = '\0';
}
