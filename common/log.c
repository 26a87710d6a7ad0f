/* log: stderr logging with journald priority prefixes (see log.h). */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int log_max_priority = LOG_INFO;
static const char *log_program = "tamnong";
static int log_to_journal;

static const char *const level_names[] = {"emerg",   "alert",  "crit", "error",
                                          "warning", "notice", "info", "debug"};

void log_init(const char *program, int max_priority)
{
    log_program = program;
    log_max_priority = max_priority;
    log_to_journal = getenv("JOURNAL_STREAM") != NULL;
}

void log_set_level(int max_priority)
{
    log_max_priority = max_priority;
}

int log_level_from_name(const char *name)
{
    for (int i = 0; i < 8; i++)
        if (strcmp(name, level_names[i]) == 0)
            return i;
    if (strcmp(name, "err") == 0)
        return LOG_ERR;
    return -1;
}

void log_msg(int priority, const char *fmt, ...)
{
    char line[2048];
    int off;
    if (priority < 0 || priority > 7)
        priority = LOG_ERR;
    if (log_to_journal) {
        off = snprintf(line, sizeof line, "<%d>", priority);
    } else {
        struct timespec ts;
        struct tm tm;
        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        off = snprintf(line, sizeof line,
                       "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s %s: ", tm.tm_year + 1900,
                       tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                       ts.tv_nsec / 1000000, log_program, level_names[priority]);
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line + off, sizeof line - (size_t)off, fmt, ap);
    va_end(ap);
    /* One write per line so concurrent writers do not interleave. */
    fprintf(stderr, "%s\n", line);
}
