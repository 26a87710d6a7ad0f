/* schedule_units: the systemd user units of a scheduled sync (see
 * schedule_units.h). */
#include "schedule_units.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "reminder.h"

bool schedule_quote_arg(const char *in, char *out, size_t len)
{
    size_t o = 0;
    if (len < 3)
        return false;
    out[o++] = '"';
    for (const char *p = in; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c < 0x20 || c == 0x7f)
            return false;
        char esc = 0;
        if (c == '"' || c == '\\')
            esc = '\\';
        else if (c == '%')
            esc = '%';
        else if (c == '$')
            esc = '$';
        if (o + (esc ? 2 : 1) + 2 > len)
            return false;
        if (esc)
            out[o++] = esc;
        out[o++] = (char)c;
    }
    out[o++] = '"';
    out[o] = '\0';
    return true;
}

static int cmp_long(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

size_t schedule_windows(const long *days, size_t ndays, char **out, size_t max)
{
    static const char *const usual[] = {"*-06-10..15 *:00/30:00 Asia/Ho_Chi_Minh",
                                        "*-12-10..15 *:00/30:00 Asia/Ho_Chi_Minh"};
    size_t n = 0;
    if (ndays == 0) {
        for (size_t i = 0; i < 2 && n < max; i++)
            if ((out[n] = strdup(usual[i])))
                n++;
        return n;
    }
    /* Every day of every window, sorted and unique, then cut into runs of
     * consecutive days within one month. */
    size_t cap = ndays * (SCHEDULE_WINDOW_DAYS + 1);
    long *all = malloc(cap * sizeof *all);
    if (!all)
        return 0;
    size_t k = 0;
    for (size_t i = 0; i < ndays; i++)
        for (long d = days[i] - SCHEDULE_WINDOW_DAYS; d <= days[i]; d++)
            all[k++] = d;
    qsort(all, k, sizeof *all, cmp_long);
    size_t i = 0;
    while (i < k && n < max) {
        char first[11], last[11], cur[11];
        reminder_format_day(all[i], first);
        size_t j = i;
        /* extend while the next day is the next calendar day of the same month */
        while (j + 1 < k) {
            if (all[j + 1] == all[j]) {
                j++;
                continue;
            }
            reminder_format_day(all[j + 1], cur);
            if (all[j + 1] != all[j] + 1 || memcmp(cur, first, 7) != 0)
                break;
            j++;
        }
        reminder_format_day(all[j], last);
        char v[96];
        if (all[j] == all[i])
            snprintf(v, sizeof v, "%s *:00/30:00 Asia/Ho_Chi_Minh", first);
        else
            snprintf(v, sizeof v, "%s..%s *:00/30:00 Asia/Ho_Chi_Minh", first, last + 8);
        if ((out[n] = strdup(v)))
            n++;
        i = j + 1;
    }
    free(all);
    return n;
}

static char *finish(struct buf *b)
{
    if (buf_append(b, "", 1) < 0) {
        buf_free(b);
        return NULL;
    }
    return (char *)b->data;
}

static int addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int addf(struct buf *b, const char *fmt, ...)
{
    char line[8192];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof line)
        return -1;
    return buf_append(b, line, (size_t)n);
}

char *schedule_service_text(const char *binary, const char *config, const char *state,
                            const char *lang)
{
    char qbin[4200], qconf[4200], qstate[4200], qlang[300];
    if (!schedule_quote_arg(binary, qbin, sizeof qbin) ||
        (config && !schedule_quote_arg(config, qconf, sizeof qconf)) ||
        (state && !schedule_quote_arg(state, qstate, sizeof qstate)))
        return NULL;
    char env[320] = "";
    if (lang && *lang) {
        char kv[280];
        snprintf(kv, sizeof kv, "LANG=%s", lang);
        if (schedule_quote_arg(kv, qlang, sizeof qlang))
            snprintf(env, sizeof env, "Environment=%s\n", qlang);
    }
    struct buf b;
    buf_init(&b, 1 << 20);
    int rc = addf(&b,
                  "# Written by 'tamnong schedule install'; run it again after moving tamnong,\n"
                  "# its configuration or its state, or when the deadlines change.\n"
                  "[Unit]\n"
                  "Description=tamnong: send this agency's reports and pull what changed\n"
                  "# What it does and its exit codes: tamnong sync --help\n"
                  "\n"
                  "[Service]\n"
                  "Type=oneshot\n"
                  "ExecStart=%s%s%s%s%s sync --max-time %d\n"
                  "%s"
                  "# 75 = try later (server unreachable or busy, another sync running): again\n"
                  "# in 20 minutes; the codes that need a person (64 usage, 65 refused data,\n"
                  "# 70 internal, 77 not allowed, 78 configuration) wait for the next timer.\n"
                  "Restart=on-failure\n"
                  "RestartSec=20min\n"
                  "RestartPreventExitStatus=64 65 70 77 78\n"
                  "TimeoutStartSec=15min\n"
                  "Nice=10\n"
                  "UMask=0077\n"
                  "# Hardening that works in a user service without user namespaces.\n"
                  "NoNewPrivileges=yes\n"
                  "LockPersonality=yes\n"
                  "MemoryDenyWriteExecute=yes\n"
                  "RestrictRealtime=yes\n"
                  "RestrictSUIDSGID=yes\n"
                  "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6\n"
                  "SystemCallArchitectures=native\n"
                  "SystemCallFilter=@system-service\n"
                  "SystemCallErrorNumber=EPERM\n",
                  qbin, config ? " --config " : "", config ? qconf : "",
                  state ? " --state-dir " : "", state ? qstate : "", SCHEDULE_MAX_TIME_S, env);
    if (rc < 0) {
        buf_free(&b);
        return NULL;
    }
    return finish(&b);
}

char *schedule_timer_text(char *const *windows, size_t n)
{
    struct buf b;
    buf_init(&b, 1 << 20);
    int rc = addf(&b,
                  "# Written by 'tamnong schedule install' (deadlines from the last pull).\n"
                  "[Unit]\n"
                  "Description=tamnong: scheduled sync (daily, every 30 minutes near "
                  "deadlines)\n"
                  "\n"
                  "[Timer]\n"
                  "# Every day at 08:00, province time.\n"
                  "OnCalendar=*-*-* 08:00:00 Asia/Ho_Chi_Minh\n"
                  "# Every 30 minutes on the %d days before each deadline and on the day.\n",
                  SCHEDULE_WINDOW_DAYS);
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = addf(&b, "OnCalendar=%s\n", windows[i]);
    if (rc == 0)
        rc = addf(&b,
                  "# A run missed while the computer was off happens when it starts.\n"
                  "Persistent=true\n"
                  "# Up to %s later, the same delay every time on this computer: the\n"
                  "# agencies' computers spread out instead of arriving together.\n"
                  "RandomizedDelaySec=%s\n"
                  "FixedRandomDelay=true\n"
                  "AccuracySec=1min\n"
                  "\n"
                  "[Install]\n"
                  "WantedBy=timers.target\n",
                  SCHEDULE_RANDOM_DELAY, SCHEDULE_RANDOM_DELAY);
    if (rc < 0) {
        buf_free(&b);
        return NULL;
    }
    return finish(&b);
}
