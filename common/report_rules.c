/* report_rules: the rules of reports, task status updates and reviews, shared
 * by client and server (see report_rules.h). */
#include "report_rules.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

const char *const rr_task_statuses[] = {"not_started", "in_progress", "completed", "postponed",
                                        NULL};

static bool in_list(const char *s, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(s, *list) == 0)
            return true;
    return false;
}

bool rr_task_status_ok(const char *s)
{
    return in_list(s, rr_task_statuses);
}

bool rr_decision_ok(const char *s)
{
    static const char *const d[] = {"accept", "return", NULL};
    return in_list(s, d);
}

bool rr_submission_state_ok(const char *s)
{
    static const char *const st[] = {"submitted", "accepted", "returned", "superseded", NULL};
    return in_list(s, st);
}

bool rr_text_ok(const char *s, size_t max)
{
    size_t n = strlen(s);
    return (max == 0 || n <= max) && utf8_valid(s, n);
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

bool rr_decimal_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > RR_MAX_DECIMAL)
        return false;
    const char *p = s;
    if (*p == '-')
        p++;
    if (!is_digit(*p))
        return false;
    while (is_digit(*p))
        p++;
    if (*p == '.') {
        p++;
        if (!is_digit(*p))
            return false;
        while (is_digit(*p))
            p++;
    }
    return *p == '\0';
}

/* Compare two non-negative decimals given without sign. */
static int cmp_abs(const char *a, const char *b)
{
    while (*a == '0' && is_digit(a[1]))
        a++;
    while (*b == '0' && is_digit(b[1]))
        b++;
    size_t ia = strcspn(a, "."), ib = strcspn(b, ".");
    if (ia != ib)
        return ia < ib ? -1 : 1;
    int c = strncmp(a, b, ia);
    if (c)
        return c < 0 ? -1 : 1;
    const char *fa = a[ia] ? a + ia + 1 : "", *fb = b[ib] ? b + ib + 1 : "";
    while (*fa || *fb) {
        char x = *fa ? *fa++ : '0', y = *fb ? *fb++ : '0';
        if (x != y)
            return x < y ? -1 : 1;
    }
    return 0;
}

static bool is_zero(const char *s)
{
    for (; *s; s++)
        if (*s != '0' && *s != '.' && *s != '-')
            return false;
    return true;
}

int rr_decimal_cmp(const char *a, const char *b)
{
    bool na = a[0] == '-' && !is_zero(a), nb = b[0] == '-' && !is_zero(b);
    const char *ua = a[0] == '-' ? a + 1 : a, *ub = b[0] == '-' ? b + 1 : b;
    if (na != nb)
        return na ? -1 : 1;
    int c = cmp_abs(ua, ub);
    return na ? -c : c;
}

bool rr_sha256_hex_ok(const char *s)
{
    size_t i = 0;
    for (; s[i]; i++)
        if (!is_digit(s[i]) && !(s[i] >= 'a' && s[i] <= 'f'))
            return false;
    return i == 64;
}

bool rr_indicator_key_ok(const char *s)
{
    size_t i = 0;
    for (; s[i]; i++)
        if (!is_digit(s[i]) && !(s[i] >= 'a' && s[i] <= 'z') && s[i] != '_')
            return false;
    return i >= 1 && i <= 64;
}

bool rr_code_ok(const char *s)
{
    size_t i = 0;
    for (; s[i]; i++)
        if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
            return false;
    return i >= 1 && i <= RR_MAX_CODE;
}

/* ---------------------------------------------------------------- problems */

void rr_problems_init(struct rr_problems *p)
{
    memset(p, 0, sizeof *p);
}

void rr_problems_free(struct rr_problems *p)
{
    for (size_t i = 0; i < p->n; i++)
        free(p->lines[i]);
    free(p->lines);
    rr_problems_init(p);
}

void rr_problem(struct rr_problems *p, const char *fmt, ...)
{
    if (p->n >= RR_MAX_PROBLEMS) {
        p->dropped++;
        return;
    }
    if (!p->lines) {
        p->lines = calloc(RR_MAX_PROBLEMS, sizeof *p->lines);
        if (!p->lines) {
            p->oom = true;
            p->dropped++;
            return;
        }
    }
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    char *copy = strdup(line);
    if (!copy) {
        p->oom = true;
        p->dropped++;
        return;
    }
    p->lines[p->n++] = copy;
}

char *rr_problems_join(const struct rr_problems *p, char *buf, size_t size)
{
    if (!size)
        return buf;
    buf[0] = '\0';
    size_t off = 0, shown = 0;
    char more[48];
    for (size_t i = 0; i < p->n; i++) {
        size_t need = strlen(p->lines[i]) + (i ? 1 : 0);
        /* keep room for the "... and N more" line */
        if (off + need + sizeof more >= size)
            break;
        off += (size_t)snprintf(buf + off, size - off, "%s%s", i ? "\n" : "", p->lines[i]);
        shown++;
    }
    size_t rest = p->n - shown + p->dropped;
    if (rest) {
        snprintf(more, sizeof more, "%s... and %zu more", shown ? "\n" : "", rest);
        snprintf(buf + off, size - off, "%s", more);
    }
    return buf;
}

/* ---------------------------------------------------------------- checks */

static void check_uuid(const ProtobufCBinaryData *u, struct rr_problems *out)
{
    if (u->len != RR_UUID_LEN)
        rr_problem(out, "request_uuid: must be %d bytes (got %zu)", RR_UUID_LEN, u->len);
}

/* A text field: valid UTF-8, within max. */
static void check_text(const char *field, const char *s, size_t max, struct rr_problems *out)
{
    size_t n = strlen(s);
    if (!utf8_valid(s, n))
        rr_problem(out, "%s: not valid UTF-8 text", field);
    else if (max && n > max)
        rr_problem(out, "%s: longer than %zu bytes (%zu)", field, max, n);
}

static void check_decimal(const char *field, const char *s, struct rr_problems *out)
{
    if (*s && !rr_decimal_ok(s))
        rr_problem(out,
                   "%s: not a number; write digits with an optional '-' and '.' decimals, "
                   "no thousands separator (e.g. 63.5)",
                   field);
}

static void check_value(size_t i, const Tamnong__IndicatorValue *v, struct rr_problems *out)
{
    char f[64];
    snprintf(f, sizeof f, "values[%zu].key", i);
    if (!rr_indicator_key_ok(v->key))
        rr_problem(out, "%s: not an indicator key (lower-case letters, digits, _)", f);
    snprintf(f, sizeof f, "values[%zu].value", i);
    check_decimal(f, v->value, out);
    snprintf(f, sizeof f, "values[%zu].numerator", i);
    check_decimal(f, v->numerator, out);
    snprintf(f, sizeof f, "values[%zu].denominator", i);
    check_decimal(f, v->denominator, out);
    snprintf(f, sizeof f, "values[%zu].note", i);
    check_text(f, v->note, RR_MAX_NOTE, out);
    bool num_ok = *v->numerator && rr_decimal_ok(v->numerator);
    bool den_ok = *v->denominator && rr_decimal_ok(v->denominator);
    if (num_ok && rr_decimal_cmp(v->numerator, "0") < 0)
        rr_problem(out, "values[%zu].numerator: must not be negative", i);
    if (den_ok && rr_decimal_cmp(v->denominator, "0") <= 0)
        rr_problem(out, "values[%zu].denominator: must be greater than 0", i);
    else if (num_ok && den_ok && rr_decimal_cmp(v->numerator, v->denominator) > 0)
        rr_problem(out, "values[%zu].numerator: must not exceed the denominator", i);
    if (*v->numerator && !*v->denominator)
        rr_problem(out, "values[%zu].denominator: required with a numerator", i);
    if (*v->denominator && !*v->numerator)
        rr_problem(out, "values[%zu].numerator: required with a denominator", i);
    if (!*v->value && !*v->numerator && !*v->denominator && !*v->note)
        rr_problem(out,
                   "values[%zu]: no number given; give one, or say in the note why there "
                   "is none",
                   i);
}

size_t rr_check_submit(const Tamnong__SubmitRequest *r, struct rr_problems *out)
{
    size_t before = out->n + out->dropped;
    check_uuid(&r->request_uuid, out);
    if (!rr_code_ok(r->period_code))
        rr_problem(out, "period_code: must be a period code such as 2025-six_month");
    if (r->n_values > RR_MAX_VALUES)
        rr_problem(out, "values: more than %d indicator values (%zu)", RR_MAX_VALUES, r->n_values);
    else
        for (size_t i = 0; i < r->n_values; i++) {
            check_value(i, r->values[i], out);
            for (size_t j = 0; j < i; j++)
                if (strcmp(r->values[i]->key, r->values[j]->key) == 0) {
                    rr_problem(out, "values[%zu].key: %s is already given in values[%zu]", i,
                               r->values[j]->key, j);
                    break;
                }
        }
    check_text("results", r->results, RR_MAX_NARRATIVE, out);
    check_text("difficulties", r->difficulties, RR_MAX_NARRATIVE, out);
    check_text("recommendations", r->recommendations, RR_MAX_NARRATIVE, out);
    check_text("proposals", r->proposals, RR_MAX_NARRATIVE, out);
    if (r->n_attachments > RR_MAX_ATTACHMENTS)
        rr_problem(out, "attachments: more than %d files (%zu)", RR_MAX_ATTACHMENTS,
                   r->n_attachments);
    else
        for (size_t i = 0; i < r->n_attachments; i++) {
            const Tamnong__AttachmentRef *a = r->attachments[i];
            char f[64];
            if (!rr_sha256_hex_ok(a->sha256))
                rr_problem(out, "attachments[%zu].sha256: must be 64 lower-case hex digits", i);
            if (a->size <= 0 || a->size > RR_MAX_ATTACHMENT)
                rr_problem(out, "attachments[%zu].size: must be 1 to %ld bytes", i,
                           RR_MAX_ATTACHMENT);
            snprintf(f, sizeof f, "attachments[%zu].name", i);
            check_text(f, a->name, RR_MAX_FILE_NAME, out);
            if (!*a->name)
                rr_problem(out, "%s: required", f);
            snprintf(f, sizeof f, "attachments[%zu].content_type", i);
            check_text(f, a->content_type, RR_MAX_CONTENT_TYPE, out);
            for (size_t j = 0; j < i; j++)
                if (strcmp(a->sha256, r->attachments[j]->sha256) == 0) {
                    rr_problem(out, "attachments[%zu].sha256: the same file as attachments[%zu]", i,
                               j);
                    break;
                }
        }
    if (r->n_tasks > RR_MAX_TASKS)
        rr_problem(out, "tasks: more than %d tasks (%zu)", RR_MAX_TASKS, r->n_tasks);
    else
        for (size_t i = 0; i < r->n_tasks; i++) {
            const Tamnong__ReportTask *t = r->tasks[i];
            char f[64];
            if (!rr_code_ok(t->task_code))
                rr_problem(out, "tasks[%zu].task_code: must be a task code such as III.4.a", i);
            if (!rr_task_status_ok(t->status))
                rr_problem(out,
                           "tasks[%zu].status: must be one of not_started, in_progress, "
                           "completed, postponed",
                           i);
            if (t->progress < 0 || t->progress > 100)
                rr_problem(out, "tasks[%zu].progress: must be 0 to 100", i);
            snprintf(f, sizeof f, "tasks[%zu].note", i);
            check_text(f, t->note, RR_MAX_NOTE, out);
            for (size_t j = 0; j < i; j++)
                if (strcmp(t->task_code, r->tasks[j]->task_code) == 0) {
                    rr_problem(out, "tasks[%zu].task_code: %s is already given in tasks[%zu]", i,
                               t->task_code, j);
                    break;
                }
        }
    return out->n + out->dropped - before;
}

size_t rr_check_submit_against(const Tamnong__SubmitRequest *r,
                               Tamnong__ReportIndicator *const *inds, size_t n_inds,
                               struct rr_problems *out)
{
    size_t before = out->n + out->dropped;
    for (size_t i = 0; i < r->n_values; i++) {
        const Tamnong__IndicatorValue *v = r->values[i];
        const Tamnong__ReportIndicator *ind = NULL;
        for (size_t k = 0; k < n_inds && !ind; k++)
            if (strcmp(inds[k]->key, v->key) == 0)
                ind = inds[k];
        if (!ind) {
            rr_problem(out, "values[%zu].key: %s is not an indicator this agency reports", i,
                       v->key);
            continue;
        }
        bool none = !*v->value && !*v->numerator && !*v->denominator;
        if (none)
            continue; /* explicit "no data", the note says why */
        if (strcmp(ind->rule, "ratio") == 0) {
            if (!*v->numerator || !*v->denominator)
                rr_problem(out,
                           "values[%zu]: %s is a share; give the numerator and the "
                           "denominator",
                           i, v->key);
        } else {
            if (!*v->value)
                rr_problem(out, "values[%zu].value: required for %s (%s)", i, v->key, ind->unit);
            if (*v->numerator || *v->denominator)
                rr_problem(out, "values[%zu]: %s is not a share; give only the value", i, v->key);
        }
    }
    for (size_t k = 0; k < n_inds; k++) {
        if (!inds[k]->required)
            continue;
        bool found = false;
        for (size_t i = 0; i < r->n_values && !found; i++)
            found = strcmp(inds[k]->key, r->values[i]->key) == 0;
        if (!found)
            rr_problem(out, "values: indicator %s is required", inds[k]->key);
    }
    return out->n + out->dropped - before;
}

size_t rr_check_task_update(const Tamnong__TaskUpdateRequest *r, struct rr_problems *out)
{
    size_t before = out->n + out->dropped;
    check_uuid(&r->request_uuid, out);
    if (!rr_code_ok(r->task_code))
        rr_problem(out, "task_code: must be a task code such as III.4.a");
    if (!rr_task_status_ok(r->status))
        rr_problem(out, "status: must be one of not_started, in_progress, completed, postponed");
    if (r->progress < 0 || r->progress > 100)
        rr_problem(out, "progress: must be 0 to 100");
    check_text("note", r->note, RR_MAX_NOTE, out);
    if (r->n_evidence > RR_MAX_EVIDENCE)
        rr_problem(out, "evidence: more than %d items (%zu)", RR_MAX_EVIDENCE, r->n_evidence);
    else
        for (size_t i = 0; i < r->n_evidence; i++) {
            const char *e = r->evidence[i];
            char f[32];
            snprintf(f, sizeof f, "evidence[%zu]", i);
            size_t n = strlen(e);
            if (!utf8_valid(e, n) || n > RR_MAX_EVIDENCE_LEN) {
                check_text(f, e, RR_MAX_EVIDENCE_LEN, out);
            } else if (strncmp(e, "sha256:", 7) == 0) {
                if (!rr_sha256_hex_ok(e + 7))
                    rr_problem(out, "%s: sha256: must be followed by 64 lower-case hex digits", f);
            } else if (strncmp(e, "https://", 8) != 0 && strncmp(e, "http://", 7) != 0) {
                rr_problem(out, "%s: must be an http(s) URL or sha256:<hex> of an uploaded file",
                           f);
            }
        }
    if (r->base_version < 0)
        rr_problem(out, "base_version: must not be negative");
    return out->n + out->dropped - before;
}

size_t rr_check_review(const Tamnong__ReviewRequest *r, struct rr_problems *out)
{
    size_t before = out->n + out->dropped;
    check_uuid(&r->request_uuid, out);
    if (r->submission_id <= 0)
        rr_problem(out, "submission_id: required");
    if (!rr_decision_ok(r->decision))
        rr_problem(out, "decision: must be accept or return");
    check_text("reason", r->reason, RR_MAX_NOTE, out);
    if (strcmp(r->decision, "return") == 0 && !*r->reason)
        rr_problem(out, "reason: required to return a report");
    return out->n + out->dropped - before;
}
