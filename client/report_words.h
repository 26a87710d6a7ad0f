/* report_words: the Vietnamese words of the consolidated report. The report
 * is an administrative document addressed to the Ministry and the provincial
 * committee, always in Vietnamese whatever the locale of the person who runs
 * the command, so its vocabulary is written here once (not through
 * gettext) and shared by the three renderers. Every function returns a
 * string literal, or writes into the caller's buffer. */
#ifndef TAMNONG_CLIENT_REPORT_WORDS_H
#define TAMNONG_CLIENT_REPORT_WORDS_H

#include <stddef.h>
#include <stdint.h>

#include "tamnong.pb-c.h"

/* Labels of the protocol's codes; an unknown code is returned as it is. */
const char *rw_task_status(const char *code);     /* not_started ... not_reported */
const char *rw_deadline_state(const char *code);  /* overdue | due | ... */
const char *rw_target_status(const char *code);   /* on_track | ... | no_data */
const char *rw_reporter_status(const char *code); /* missing | submitted | ... */
const char *rw_kind(const char *code);            /* department | district | ...; "" = all */
const char *rw_role(const char *code);            /* lead | coordinating */

/* "2025-06-15" -> "15/06/2025"; anything else copied. */
const char *rw_date(const char *ymd, char *buf, size_t len);
/* Unix ms as "15/06/2025 08:30" in Vietnam's time (UTC+7, no summer time);
 * "—" when ms <= 0. */
const char *rw_time(int64_t ms, char *buf, size_t len);
/* A number for a person: numfmt_vi with NUMFMT_VI_FRAC digits; "—" for "". */
const char *rw_num(const char *dec, char *buf, size_t len);
/* A number with its unit: "25%", "1.234 sản phẩm"; "—" for "". */
const char *rw_value(const char *dec, const char *unit, char *buf, size_t len);
/* A target as a short expression with its unit: "≥ 180 sản phẩm",
 * "16–17%", "khoảng 3%", "gấp 2 lần năm gốc", "3%/năm". */
const char *rw_target(const Tamnong__TargetInfo *t, const char *unit, char *buf, size_t len);
/* "" -> "—" (an empty cell a reader can see is empty). */
const char *rw_dash(const char *s);

#endif
