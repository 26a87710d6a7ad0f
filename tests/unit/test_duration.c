/* test_duration: the --every DURATION parser (client/duration.c). */
#include "duration.h"
#include "unit.h"

#define MIN_MS (60 * 1000LL)
#define MAX_MS (7 * 86400 * 1000LL)

static int parse(const char *s, int64_t *ms)
{
    *ms = -1;
    return duration_parse(s, MIN_MS, MAX_MS, ms);
}

TEST(good)
{
    int64_t ms;
    CHECK_EQ_INT(parse("30m", &ms), 0);
    CHECK_EQ_INT(ms, 30 * 60000);
    CHECK_EQ_INT(parse("2h", &ms), 0);
    CHECK_EQ_INT(ms, 2 * 3600000);
    CHECK_EQ_INT(parse("1d", &ms), 0);
    CHECK_EQ_INT(ms, 86400000);
    CHECK_EQ_INT(parse("90s", &ms), 0);
    CHECK_EQ_INT(ms, 90000);
    CHECK_EQ_INT(parse("1h30m", &ms), 0);
    CHECK_EQ_INT(ms, 90 * 60000);
    CHECK_EQ_INT(parse("1d2h3m4s", &ms), 0);
    CHECK_EQ_INT(ms, 86400000 + 2 * 3600000 + 3 * 60000 + 4000);
    CHECK_EQ_INT(parse("1m", &ms), 0); /* the minimum itself */
    CHECK_EQ_INT(ms, MIN_MS);
    CHECK_EQ_INT(parse("7d", &ms), 0); /* the maximum itself */
    CHECK_EQ_INT(parse("0001m", &ms), 0);
    CHECK_EQ_INT(ms, 60000);
}

TEST(out_of_bounds)
{
    int64_t ms;
    CHECK_EQ_INT(parse("59s", &ms), -2);
    CHECK_EQ_INT(ms, 59000);
    CHECK_EQ_INT(parse("0m", &ms), -2);
    CHECK_EQ_INT(parse("7d1s", &ms), -2);
    CHECK_EQ_INT(parse("8d", &ms), -2);
    CHECK_EQ_INT(parse("999999999d", &ms), -2); /* 9 digits: no overflow */
}

TEST(bad)
{
    static const char *const bad[] = {"",     "m",    "30",   "30x",         "30 m", " 30m", "30m ",
                                      "-5m",  "+5m",  "1.5h", "1m1h",        "1h1h", "1H",   "h30",
                                      "1h30", "1e3s", "0x1m", "1000000000s", "30min"};
    int64_t ms;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (parse(bad[i], &ms) != -1)
            fprintf(stderr, "accepted \"%s\"\n", bad[i]);
        CHECK_EQ_INT(parse(bad[i], &ms), -1);
    }
    CHECK_EQ_INT(duration_parse(NULL, MIN_MS, MAX_MS, &ms), -1);
}

UNIT_MAIN(T(good), T(out_of_bounds), T(bad))
