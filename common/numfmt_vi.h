/* numfmt_vi: numbers written the Vietnamese way for a person to read
 * ("1.234,5": "." groups thousands, "," before the decimals), from the
 * decimal TEXT the server sends ("1234.5"), digit by digit: no binary
 * floating point, so 0.1 stays 0,1 and nothing is rounded twice. Does not
 * depend on the C locale. */
#ifndef TAMNONG_NUMFMT_VI_H
#define TAMNONG_NUMFMT_VI_H

#include <stdbool.h>
#include <stddef.h>

/* Fraction digits shown in reports and tables. */
#define NUMFMT_VI_FRAC 2
/* Room for any formatted number of a decimal text up to 64 digits. */
#define NUMFMT_VI_MAX 112

/* True when s is a decimal the way the protocol writes them: an optional
 * '-', digits, optionally '.' and digits ("12", "-0.5", "3."; not "", ".5",
 * "1e3", "1,5"), at most 64 digits. */
bool numfmt_vi_decimal_ok(const char *s);

/* Write dec into out the Vietnamese way, rounded half away from zero to at
 * most max_frac (0..18) fraction digits, trailing fraction zeros dropped:
 * "1234.5" -> "1.234,5", "0.125" (2) -> "0,13", "-0.001" (2) -> "0",
 * "25.00" -> "25". 0, or -1 (not a decimal, or out too small; out is then
 * ""). */
int numfmt_vi(const char *dec, int max_frac, char *out, size_t len);

/* numfmt_vi into buf; when dec is not a decimal, dec itself (so a value
 * the server spelled otherwise is shown as it is, never as nothing). */
const char *numfmt_vi_text(const char *dec, int max_frac, char *buf, size_t len);

#endif
