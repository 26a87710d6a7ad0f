/* duration: "30m", "2h", "1d", "90s", "1h30m" as milliseconds, for
 * `tamnong sync --every`. Units s, m, h, d; whole numbers; one or more
 * number+unit pairs, largest unit first, none repeated. */
#ifndef TAMNONG_CLIENT_DURATION_H
#define TAMNONG_CLIENT_DURATION_H

#include <stdint.h>

/* 0 and *ms when s is a duration within [min_ms, max_ms]; -1 when it is not
 * a duration; -2 when it is one but out of bounds (*ms still set). */
int duration_parse(const char *s, int64_t min_ms, int64_t max_ms, int64_t *ms);

#endif
