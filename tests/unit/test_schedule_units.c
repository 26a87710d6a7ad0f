/* test_schedule_units: the systemd units of `tamnong schedule install`
 * (client/schedule_units.c): ExecStart quoting, the 30-minute windows from
 * deadline days (sorted, merged, cut at month ends), the fallback, and what
 * the unit texts say. systemd-analyze verify runs on them in
 * tests/integration/test_systemd_units.sh. */
#include <stdlib.h>
#include <string.h>

#include "reminder.h"
#include "schedule_units.h"
#include "unit.h"

static long day(const char *s)
{
    long d = 0;
    reminder_parse_day(s, &d);
    return d;
}

TEST(quoting)
{
    char out[128];
    CHECK(schedule_quote_arg("/usr/local/bin/tamnong", out, sizeof out));
    CHECK_EQ_STR(out, "\"/usr/local/bin/tamnong\"");
    CHECK(schedule_quote_arg("/home/a b/100%/$HOME/\"x\"\\y", out, sizeof out));
    CHECK_EQ_STR(out, "\"/home/a b/100%%/$$HOME/\\\"x\\\"\\\\y\"");
    CHECK(!schedule_quote_arg("/tmp/new\nline", out, sizeof out));
    CHECK(!schedule_quote_arg("/a/very/long/path", out, 8)); /* does not fit */
}

TEST(windows)
{
    char *w[16];
    /* the usual deadlines when nothing was pulled */
    size_t n = schedule_windows(NULL, 0, w, 16);
    CHECK_EQ_INT(n, 2);
    CHECK_EQ_STR(w[0], "*-06-10..15 *:00/30:00 Asia/Ho_Chi_Minh");
    CHECK_EQ_STR(w[1], "*-12-10..15 *:00/30:00 Asia/Ho_Chi_Minh");
    free(w[0]);
    free(w[1]);
    /* unsorted, a duplicate, a window crossing a month, two overlapping */
    long days[] = {day("2025-12-15"), day("2025-07-02"), day("2025-06-15"), day("2025-06-15"),
                   day("2025-06-17")};
    n = schedule_windows(days, 5, w, 16);
    CHECK_EQ_INT(n, 4);
    CHECK_EQ_STR(w[0], "2025-06-10..17 *:00/30:00 Asia/Ho_Chi_Minh");
    CHECK_EQ_STR(w[1], "2025-06-27..30 *:00/30:00 Asia/Ho_Chi_Minh");
    CHECK_EQ_STR(w[2], "2025-07-01..02 *:00/30:00 Asia/Ho_Chi_Minh");
    CHECK_EQ_STR(w[3], "2025-12-10..15 *:00/30:00 Asia/Ho_Chi_Minh");
    for (size_t i = 0; i < n; i++)
        free(w[i]);
    /* a deadline on the 1st: one day in the month before... */
    long first[] = {day("2026-03-01")};
    n = schedule_windows(first, 1, w, 16);
    CHECK_EQ_INT(n, 2);
    CHECK_EQ_STR(w[0], "2026-02-24..28 *:00/30:00 Asia/Ho_Chi_Minh");
    CHECK_EQ_STR(w[1], "2026-03-01 *:00/30:00 Asia/Ho_Chi_Minh");
    free(w[0]);
    free(w[1]);
    /* ... and never more than max values */
    n = schedule_windows(days, 5, w, 2);
    CHECK_EQ_INT(n, 2);
    free(w[0]);
    free(w[1]);
}

TEST(texts)
{
    char *s = schedule_service_text("/opt/tn/bin/tamnong", "/home/a/.config/tamnong/config",
                                    "/home/a/.local/state/tamnong", "vi_VN.UTF-8");
    CHECK(s != NULL);
    CHECK(strstr(s, "Type=oneshot\n") != NULL);
    CHECK(strstr(s, "ExecStart=\"/opt/tn/bin/tamnong\" --config "
                    "\"/home/a/.config/tamnong/config\" --state-dir "
                    "\"/home/a/.local/state/tamnong\" sync --max-time 300\n") != NULL);
    CHECK(strstr(s, "Environment=\"LANG=vi_VN.UTF-8\"\n") != NULL);
    CHECK(strstr(s, "RestartPreventExitStatus=64 65 70 77 78\n") != NULL);
    CHECK(strstr(s, "NoNewPrivileges=yes\n") != NULL);
    free(s);
    CHECK(schedule_service_text("/bin/x\ny", NULL, NULL, NULL) == NULL);
    char *w[] = {(char *)"2025-06-10..15 *:00/30:00 Asia/Ho_Chi_Minh"};
    char *t = schedule_timer_text(w, 1);
    CHECK(t != NULL);
    CHECK(strstr(t, "OnCalendar=*-*-* 08:00:00 Asia/Ho_Chi_Minh\n") != NULL);
    CHECK(strstr(t, "OnCalendar=2025-06-10..15 *:00/30:00 Asia/Ho_Chi_Minh\n") != NULL);
    CHECK(strstr(t, "Persistent=true\n") != NULL);
    CHECK(strstr(t, "RandomizedDelaySec=25min\n") != NULL);
    CHECK(strstr(t, "WantedBy=timers.target\n") != NULL);
    free(t);
}

UNIT_MAIN(T(quoting), T(windows), T(texts))
