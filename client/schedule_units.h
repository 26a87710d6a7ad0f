/* schedule_units: the text of the systemd user units that run `tamnong
 * sync` unattended (tamnong-sync.service + tamnong-sync.timer), as
 * `tamnong schedule install` writes them. No I/O here: the caller gives the
 * paths and the deadline days.
 *
 * The timer runs daily at 08:00 Asia/Ho_Chi_Minh and every 30 minutes on
 * the five days before each deadline and on the deadline day itself, with
 * Persistent=true (a run missed while the computer was off happens at the
 * next start) and a fixed random delay of up to SCHEDULE_RANDOM_DELAY per
 * computer, so some 80 agencies do not arrive in the same second. */
#ifndef TAMNONG_CLIENT_SCHEDULE_UNITS_H
#define TAMNONG_CLIENT_SCHEDULE_UNITS_H

#include <stdbool.h>
#include <stddef.h>

#define SCHEDULE_SERVICE_NAME  "tamnong-sync.service"
#define SCHEDULE_TIMER_NAME    "tamnong-sync.timer"
#define SCHEDULE_WINDOW_DAYS   5   /* 30-minute runs this many days before a deadline */
#define SCHEDULE_MAX_DEADLINES 12  /* windows for at most this many deadlines to come */
#define SCHEDULE_MAX_TIME_S    300 /* sync --max-time of a scheduled run */
#define SCHEDULE_RANDOM_DELAY  "25min"

/* One argument for ExecStart=, double-quoted, with \, " escaped and the
 * specifier and variable characters % and $ doubled. false when it holds a
 * control character (a unit file cannot carry it). */
bool schedule_quote_arg(const char *in, char *out, size_t len);

/* OnCalendar= values for the 30-minute windows of the deadline days
 * (day numbers, reminder.h; any order, duplicates allowed): one value per
 * month a window touches, "YYYY-MM-A..B *:00/30:00 Asia/Ho_Chi_Minh". With
 * no days: the plan's usual deadlines, every year ("*-06-10..15 ..." and
 * "*-12-10..15 ..."). Returns the number of values written to out[] (at
 * most max; each malloc'ed). */
size_t schedule_windows(const long *days, size_t ndays, char **out, size_t max);

/* The service unit (malloc'ed text): Type=oneshot running
 *   BINARY --config CONFIG --state-dir STATE sync --max-time SCHEDULE_MAX_TIME_S
 * (config/state omitted when NULL), in LANG when not NULL, restarted after
 * 20 minutes on "try later" (75) and crashes, not on the codes that need a
 * person. NULL when a path cannot go in a unit file. */
char *schedule_service_text(const char *binary, const char *config, const char *state,
                            const char *lang);

/* The timer unit (malloc'ed text) with the daily run and the windows. */
char *schedule_timer_text(char *const *windows, size_t n);

#endif
