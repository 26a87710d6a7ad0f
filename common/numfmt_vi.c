/* numfmt_vi: decimal text to the Vietnamese way of writing numbers (see
 * numfmt_vi.h). Works on the digits as characters. */
#include "numfmt_vi.h"

#include <string.h>

#define MAX_DIGITS 64

bool numfmt_vi_decimal_ok(const char *s)
{
    if (!s)
        return false;
    if (*s == '-')
        s++;
    size_t n = 0;
    while (*s >= '0' && *s <= '9') {
        s++;
        n++;
    }
    if (n == 0)
        return false;
    if (*s == '.') {
        s++;
        while (*s >= '0' && *s <= '9') {
            s++;
            n++;
        }
    }
    return *s == '\0' && n <= MAX_DIGITS;
}

int numfmt_vi(const char *dec, int max_frac, char *out, size_t len)
{
    if (len > 0)
        out[0] = '\0';
    if (!numfmt_vi_decimal_ok(dec) || max_frac < 0 || max_frac > 18)
        return -1;
    bool neg = *dec == '-';
    if (neg)
        dec++;
    /* digits[] = the integer part then max_frac fraction digits, with one
     * leading 0 for a carry out of the top digit. */
    char digits[MAX_DIGITS + 24];
    size_t n = 0;
    digits[n++] = '0';
    const char *p = dec;
    while (*p >= '0' && *p <= '9')
        digits[n++] = *p++;
    size_t int_len = n; /* with the carry digit */
    const char *frac = *p == '.' ? p + 1 : "";
    size_t frac_len = strlen(frac);
    for (int i = 0; i < max_frac; i++)
        digits[n++] = (size_t)i < frac_len ? frac[i] : '0';
    if (frac_len > (size_t)max_frac && frac[max_frac] >= '5') {
        size_t i = n;
        while (i-- > 0) {
            if (digits[i] == '9') {
                digits[i] = '0';
            } else {
                digits[i]++;
                break;
            }
        }
    }
    /* Drop trailing fraction zeros, then leading integer zeros (keep one). */
    size_t end = n;
    while (end > int_len && digits[end - 1] == '0')
        end--;
    size_t start = 0;
    while (start + 1 < int_len && digits[start] == '0')
        start++;
    bool zero = true;
    for (size_t i = start; i < end; i++)
        if (digits[i] != '0')
            zero = false;

    char buf[NUMFMT_VI_MAX];
    size_t o = 0;
    if (neg && !zero)
        buf[o++] = '-';
    size_t ilen = int_len - start;
    for (size_t i = 0; i < ilen; i++) {
        if (i > 0 && (ilen - i) % 3 == 0)
            buf[o++] = '.';
        buf[o++] = digits[start + i];
    }
    if (end > int_len) {
        buf[o++] = ',';
        for (size_t i = int_len; i < end; i++)
            buf[o++] = digits[i];
    }
    buf[o] = '\0';
    if (o + 1 > len)
        return -1;
    memcpy(out, buf, o + 1);
    return 0;
}

const char *numfmt_vi_text(const char *dec, int max_frac, char *buf, size_t len)
{
    if (numfmt_vi(dec, max_frac, buf, len) == 0)
        return buf;
    return dec ? dec : "";
}
