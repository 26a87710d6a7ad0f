/* output: everything tamnong prints. Errors and warnings go to stderr with a
 * "tamnong: " prefix (already-translated text in, plain words + what to do);
 * results go to stdout either as JSON (--json, jansson, UTF-8 kept as is) or
 * as aligned human tables whose widths count display columns, not bytes. */
#ifndef TAMNONG_CLIENT_OUTPUT_H
#define TAMNONG_CLIENT_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

/* "tamnong: " + message + "\n" on stderr. */
void out_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "tamnong: warning: " + message + "\n" on stderr. */
void out_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A log line of an unattended run (sync, sync --every) on stderr: when
 * stderr is not a terminal (the journal, a log file), "<N>" first (N the
 * syslog priority, LOG_WARNING = 4: journald files the line at that level),
 * then "tamnong: " + message; on a terminal only "tamnong: " + message. */
void out_log(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Like out_error, only when verbose (-v) is on. */
void out_verbose(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void out_set_verbose(int level);
int out_verbose_level(void);

/* Print v on stdout followed by a newline: indented when stdout is a
 * terminal, compact otherwise; non-ASCII stays UTF-8. Does not take the
 * reference. 0, or -1 when it could not be written. */
int out_json(const json_t *v);

/* Print a command's JSON answer with out_json and take the reference: when
 * doc is NULL or bad is set (text jansson refused: not valid UTF-8, or no
 * memory) say so instead. The exit code (TN_EXIT_OK or TN_EXIT_SOFTWARE). */
int out_json_answer(json_t *doc, bool bad);
/* A JSON string, or null for NULL/"" (NULL when json_string fails: bad
 * UTF-8). */
json_t *out_jstr_or_null(const char *s);
/* Unix epoch milliseconds as an ISO-8601 UTC JSON string, null when <= 0. */
json_t *out_jtime_or_null(int64_t ms);
/* Set key to v; a NULL v (invalid UTF-8, no memory) marks the document bad. */
void out_jset(json_t *o, const char *key, json_t *v, bool *bad);

/* Unix epoch milliseconds as ISO-8601 UTC ("2025-06-01T01:02:03.456Z"). */
void out_iso8601_utc(int64_t ms, char *buf, size_t len);
/* The last day to send (YYYY-MM-DD, in the period's time zone) of a deadline
 * at ms, for a period whose own deadline day is `deadline` (YYYY-MM-DD) ending
 * at deadline_at_ms: moved by whole days for an extension (extensions end at
 * the end of a day in the same zone). "—" when unknown. */
void out_deadline_day(const char *deadline, int64_t deadline_at_ms, int64_t ms, char *buf,
                      size_t len);
/* Unix epoch milliseconds as local date and time ("2025-06-01 08:02:03 +07"). */
void out_local_time(int64_t ms, char *buf, size_t len);

/* Display width of a string in terminal columns (multibyte per the locale,
 * wcwidth per character; bytes that do not decode count 1 per UTF-8 lead
 * byte). */
size_t out_width(const char *s);
/* Write s, then spaces up to `width` columns. */
void out_pad(FILE *f, const char *s, size_t width);

/* A simple table: rows of cells, columns aligned, two spaces apart, the last
 * column not padded. Cells are copied. */
struct out_table;
struct out_table *out_table_new(size_t ncols);
/* Right-align a column (numbers). */
void out_table_align_right(struct out_table *t, size_t col);
/* Add a row of exactly ncols cells (NULL prints as empty). 0 or -1 (memory). */
int out_table_add(struct out_table *t, const char *const *cells);
/* The same with ncols string arguments. */
int out_table_addv(struct out_table *t, ...);
void out_table_print(const struct out_table *t, FILE *f);
void out_table_free(struct out_table *t);

#endif
