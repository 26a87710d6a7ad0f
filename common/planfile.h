/* planfile: reads and validates a plan file (docs/plan-format.md) into an
 * in-memory struct plan: agencies, groups, reorganisations, sections, tasks,
 * indicators, targets and period regimes. Used by `tamnong admin plan import`
 * before the plan goes to the server. Plain C11 and libc only. */
#ifndef TAMNONG_PLANFILE_H
#define TAMNONG_PLANFILE_H

#include <stdbool.h>
#include <stddef.h>

/* A calendar date; year == 0 means "not set". */
struct plan_date {
    int year, month, day;
};

enum plan_agency_kind {
    PLAN_AGENCY_DEPARTMENT,
    PLAN_AGENCY_DISTRICT,
    PLAN_AGENCY_COMMUNE,
    PLAN_AGENCY_SOCIO_POLITICAL,
    PLAN_AGENCY_PROVINCE,
    PLAN_AGENCY_OTHER,
    PLAN_AGENCY_KIND_COUNT
};

enum plan_reorg_kind {
    PLAN_REORG_MERGER,
    PLAN_REORG_SPLIT,
    PLAN_REORG_RENAME,
    PLAN_REORG_ABOLITION
};

enum plan_deadline_kind {
    PLAN_DEADLINE_CONTINUOUS,
    PLAN_DEADLINE_EVERY_PERIOD,
    PLAN_DEADLINE_BY_YEAR,
    PLAN_DEADLINE_DATE
};

enum plan_rule {
    PLAN_RULE_SUM,
    PLAN_RULE_RATIO,
    PLAN_RULE_PROVINCE_ONLY,
    PLAN_RULE_BASELINE_MULTIPLE,
    PLAN_RULE_YEARLY_RATE
};

enum plan_comparator {
    PLAN_CMP_ABOUT,
    PLAN_CMP_RANGE,
    PLAN_CMP_MORE_THAN,
    PLAN_CMP_AT_LEAST,
    PLAN_CMP_AT_MOST,
    PLAN_CMP_EXACTLY,
    PLAN_CMP_MULTIPLE_OF_BASELINE,
    PLAN_CMP_PER_YEAR
};

/* A list of codes or group names ("SCT", "@districts"). */
struct plan_list {
    char **v;
    size_t n;
};

/* A number as written in the file ("63.5") and its value. */
struct plan_number {
    bool set;
    double value;
    char *text;
};

struct plan_meta {
    char *province, *title, *document_number, *issuer, *signed_by, *based_on;
    struct plan_date issued_on;
    int start_year, end_year; /* 0 = not set */
    char *standing_agency;
    char *time_zone; /* never NULL after a successful parse */
    char *version, *version_note, *preamble;
};

struct plan_agency {
    char *code;
    enum plan_agency_kind kind;
    char *name, *short_name, *parent, *note;
    struct plan_date valid_from, valid_to;
    int line;
};

struct plan_group {
    char *code; /* with the leading '@' */
    char *name;
    unsigned kinds; /* bit (1u << enum plan_agency_kind) per kind */
    struct plan_list members, include;
    int line;
};

struct plan_reorg {
    char *id;
    enum plan_reorg_kind kind;
    struct plan_date effective;
    struct plan_list from, to;
    char *note;
    int line;
};

struct plan_section {
    char *code, *parent; /* parent NULL for a top-level section */
    char *title, *text;
    int line;
};

struct plan_task {
    char *code, *section;
    char *title, *text, *lead;
    struct plan_list coordinating;
    enum plan_deadline_kind deadline_kind;
    int deadline_year;            /* PLAN_DEADLINE_BY_YEAR */
    struct plan_date deadline_on; /* PLAN_DEADLINE_DATE */
    char *output, *note;
    int line;
};

struct plan_indicator {
    char *key, *name, *unit;
    enum plan_rule rule;
    char *numerator, *denominator; /* PLAN_RULE_RATIO only */
    struct plan_number baseline;
    int baseline_year; /* 0 = not set */
    char *task;
    struct plan_list reporters;
    char *note;
    int line;
};

struct plan_target {
    char *indicator;
    int year;
    char *qualifier; /* third header word or NULL */
    enum plan_comparator comparator;
    struct plan_number value, low, high;
    enum plan_comparator per_year_bound; /* PLAN_CMP_PER_YEAR with a value; default EXACTLY */
    bool strive;
    char *source, *wording, *note;
    int line;
};

/* A date relative to the report year Y: Y + year_offset, month, day. */
struct plan_rule_date {
    int year_offset, month, day;
};

struct plan_period_regime {
    char *key, *name;
    int first_year, last_year;
    struct plan_rule_date window_start, window_end, deadline;
    char *time_zone, *note;
    int line;
};

struct plan_period {
    char *key, *regime, *label;
    int year;
    struct plan_date window_start, window_end, deadline;
    int line;
};

struct plan {
    struct plan_meta meta;
    struct plan_agency *agencies;
    size_t n_agencies;
    struct plan_group *groups;
    size_t n_groups;
    struct plan_reorg *reorgs;
    size_t n_reorgs;
    struct plan_section *sections;
    size_t n_sections;
    struct plan_task *tasks;
    size_t n_tasks;
    struct plan_indicator *indicators;
    size_t n_indicators;
    struct plan_target *targets;
    size_t n_targets;
    struct plan_period_regime *regimes;
    size_t n_regimes;
    struct plan_period *periods;
    size_t n_periods;
};

struct plan_error {
    int line;  /* 0 when the error is about the whole file */
    char *msg; /* "FILE:LINE: message" */
};

struct plan_errors {
    struct plan_error *v;
    size_t n, cap;
};

void plan_errors_init(struct plan_errors *errs);
void plan_errors_free(struct plan_errors *errs);

/* Read and validate the plan file at `path`. On success returns 0 and sets
 * *out (free it with plan_free). On failure returns -1, sets *out to NULL and
 * appends every problem found to errs, sorted by line, each as
 * "FILE:LINE: message" in English. Aborts on out-of-memory. */
int planfile_parse(const char *path, struct plan **out, struct plan_errors *errs);
/* The same for a file already in memory; `name` is used in messages. */
int planfile_parse_buffer(const char *name, const char *data, size_t len, struct plan **out,
                          struct plan_errors *errs);
void plan_free(struct plan *plan);

/* Look-ups; NULL when absent. plan_find_target's qualifier may be NULL. */
const struct plan_agency *plan_find_agency(const struct plan *plan, const char *code);
const struct plan_group *plan_find_group(const struct plan *plan, const char *code);
const struct plan_section *plan_find_section(const struct plan *plan, const char *code);
const struct plan_task *plan_find_task(const struct plan *plan, const char *code);
const struct plan_indicator *plan_find_indicator(const struct plan *plan, const char *key);
const struct plan_target *plan_find_target(const struct plan *plan, const char *indicator, int year,
                                           const char *qualifier);

/* The names used in the file ("department", "per_year", ...). */
const char *plan_agency_kind_name(enum plan_agency_kind kind);
const char *plan_reorg_kind_name(enum plan_reorg_kind kind);
const char *plan_deadline_kind_name(enum plan_deadline_kind kind);
const char *plan_rule_name(enum plan_rule rule);
const char *plan_comparator_name(enum plan_comparator cmp);

/* <0, 0, >0 like strcmp. */
int plan_date_cmp(struct plan_date a, struct plan_date b);
/* Does the agency exist on that day (valid_from <= day <= valid_to)? */
bool plan_agency_valid_on(const struct plan_agency *agency, struct plan_date day);

/* The period a regime gives for `year`: -1 when the year is outside the
 * regime's range. A [period] listed for that regime and year wins. */
int plan_period_for(const struct plan *plan, const struct plan_period_regime *regime, int year,
                    struct plan_date *window_start, struct plan_date *window_end,
                    struct plan_date *deadline);

/* The agencies a ref (code or @group) stands for on `day`, following
 * successors (docs/plan-format.md, "Successors and group expansion").
 * Returns the number of agencies stored in *out (a malloc'd array of
 * pointers into the plan, without duplicates, in plan order; free() it). */
size_t plan_resolve(const struct plan *plan, const char *ref, struct plan_date day,
                    const struct plan_agency ***out);

#endif
