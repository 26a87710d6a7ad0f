/* duration: parse "30m", "2h", "1d", "1h30m" (see duration.h). */
#include "duration.h"

#include <stddef.h>

int duration_parse(const char *s, int64_t min_ms, int64_t max_ms, int64_t *ms)
{
    static const struct {
        char unit;
        int64_t ms;
    } units[] = {{'d', 86400000}, {'h', 3600000}, {'m', 60000}, {'s', 1000}};
    const size_t nunits = sizeof units / sizeof units[0];
    if (!s || !*s)
        return -1;
    int64_t total = 0;
    size_t next = 0; /* units must come largest first, each once */
    const char *p = s;
    while (*p) {
        int64_t v = 0;
        int digits = 0;
        while (*p >= '0' && *p <= '9') {
            if (++digits > 9)
                return -1; /* far beyond any bound: no overflow below */
            v = v * 10 + (*p - '0');
            p++;
        }
        if (digits == 0)
            return -1;
        size_t u = next;
        while (u < nunits && units[u].unit != *p)
            u++;
        if (u == nunits)
            return -1; /* no unit, unknown unit, or out of order */
        total += v * units[u].ms;
        next = u + 1;
        p++;
    }
    *ms = total;
    if (total < min_ms || total > max_ms)
        return -2;
    return 0;
}
