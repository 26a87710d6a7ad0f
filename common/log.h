/* log: level-gated, printf-checked logging to stderr. When stderr is the
 * journal ($JOURNAL_STREAM set) each line starts with its syslog priority
 * "<N>" so journald files it at the right level; otherwise a timestamp and
 * level name. Never log secrets (keys, tokens, passwords). */
#ifndef TAMNONG_LOG_H
#define TAMNONG_LOG_H

#include <syslog.h>

void log_init(const char *program, int max_priority);
void log_set_level(int max_priority);
/* Parse "error", "warning", "notice", "info", "debug"; -1 if unknown. */
int log_level_from_name(const char *name);
void log_msg(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
extern int log_max_priority;

#define LOG_AT(prio, ...)                                                                          \
    do {                                                                                           \
        if ((prio) <= log_max_priority)                                                            \
            log_msg((prio), __VA_ARGS__);                                                          \
    } while (0)
#define log_error(...)   LOG_AT(LOG_ERR, __VA_ARGS__)
#define log_warning(...) LOG_AT(LOG_WARNING, __VA_ARGS__)
#define log_notice(...)  LOG_AT(LOG_NOTICE, __VA_ARGS__)
#define log_info(...)    LOG_AT(LOG_INFO, __VA_ARGS__)
#define log_debug(...)   LOG_AT(LOG_DEBUG, __VA_ARGS__)

#endif
