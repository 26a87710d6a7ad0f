/* planfile: parser and validator of the plan file format described in
 * docs/plan-format.md. Three passes: (1) split the file into blocks of
 * key = value entries, checking UTF-8 and line syntax; (2) turn each block into
 * its struct, checking keys and value types; (3) check references, duplicates,
 * shapes and declared counts. Every problem is collected as "FILE:LINE: msg";
 * a file with any problem yields no plan. */
#include "planfile.h"
#include "utf8.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PLAN_MAX_FILE   (16u << 20) /* bytes */
#define PLAN_MAX_ERRORS 500
#define PLAN_MAX_ARGS   3
#define PLAN_MAX_DEPTH  32 /* successor chains and group includes */

/* ---------------------------------------------------------------- memory */

static void oom(void)
{
    fputs("planfile: out of memory\n", stderr);
    abort();
}

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        oom();
    return q;
}

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        oom();
    return p;
}

static char *xstrndup(const char *s, size_t n)
{
    char *p = xrealloc(NULL, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

static char *xstrdup(const char *s)
{
    return s ? xstrndup(s, strlen(s)) : NULL;
}

/* Grow *v (element size `size`) so that it holds at least n + 1 elements. */
static void *grow(void *v, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return v;
    size_t ncap = *cap ? *cap * 2 : 8;
    if (ncap > SIZE_MAX / size)
        oom();
    v = xrealloc(v, ncap * size);
    memset((char *)v + *cap * size, 0, (ncap - *cap) * size);
    *cap = ncap;
    return v;
}

/* ---------------------------------------------------------------- errors */

void plan_errors_init(struct plan_errors *errs)
{
    errs->v = NULL;
    errs->n = errs->cap = 0;
}

void plan_errors_free(struct plan_errors *errs)
{
    if (!errs)
        return;
    for (size_t i = 0; i < errs->n; i++)
        free(errs->v[i].msg);
    free(errs->v);
    plan_errors_init(errs);
}

struct ctx {
    const char *name;
    struct plan_errors *errs;
    size_t first_error; /* index in errs of this parse's first error */
    size_t n_errors;
};

__attribute__((format(printf, 3, 4))) static void perr(struct ctx *c, int line, const char *fmt,
                                                       ...)
{
    c->n_errors++;
    if (c->n_errors > PLAN_MAX_ERRORS + 1)
        return;
    char body[1024];
    if (c->n_errors == PLAN_MAX_ERRORS + 1) {
        snprintf(body, sizeof body, "too many errors; stopping after %d", PLAN_MAX_ERRORS);
        line = INT_MAX; /* sorts last */
    } else {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(body, sizeof body, fmt, ap);
        va_end(ap);
    }
    size_t need;
    char *msg;
    if (line > 0 && line != INT_MAX) {
        need = (size_t)snprintf(NULL, 0, "%s:%d: %s", c->name, line, body) + 1;
        msg = xrealloc(NULL, need);
        snprintf(msg, need, "%s:%d: %s", c->name, line, body);
    } else {
        need = (size_t)snprintf(NULL, 0, "%s: %s", c->name, body) + 1;
        msg = xrealloc(NULL, need);
        snprintf(msg, need, "%s: %s", c->name, body);
    }
    c->errs->v = grow(c->errs->v, &c->errs->cap, c->errs->n, sizeof *c->errs->v);
    c->errs->v[c->errs->n].line = line;
    c->errs->v[c->errs->n].msg = msg;
    c->errs->n++;
}

static int sort_key(int line)
{
    return line == 0 ? INT_MAX : line;
}

/* Stable insertion sort of this parse's errors by line; whole-file errors
 * (line 0) last. */
static void sort_errors(struct ctx *c)
{
    struct plan_error *v = c->errs->v;
    for (size_t i = c->first_error + 1; i < c->errs->n; i++) {
        struct plan_error e = v[i];
        size_t j = i;
        while (j > c->first_error && sort_key(v[j - 1].line) > sort_key(e.line)) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = e;
    }
    for (size_t i = c->first_error; i < c->errs->n; i++)
        if (v[i].line == INT_MAX)
            v[i].line = 0;
}

/* ---------------------------------------------------------------- text helpers */

static bool is_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' || ch == '\f';
}

/* Trimmed copy of s[0..n). */
static char *trim_dup(const char *s, size_t n)
{
    while (n && is_space(*s))
        s++, n--;
    while (n && is_space(s[n - 1]))
        n--;
    return xstrndup(s, n);
}

static bool all_chars(const char *s, const char *allowed_first, const char *allowed)
{
    if (!*s || !strchr(allowed_first, *s))
        return false;
    for (s++; *s; s++)
        if (!strchr(allowed, *s))
            return false;
    return true;
}

#define UPPER  "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#define LOWER  "abcdefghijklmnopqrstuvwxyz"
#define DIGITS "0123456789"

static bool valid_agency_code(const char *s)
{
    return strlen(s) <= 64 && all_chars(s, UPPER DIGITS, UPPER DIGITS "-_");
}

static bool valid_group_code(const char *s)
{
    return s[0] == '@' && strlen(s) <= 64 && all_chars(s + 1, LOWER DIGITS, LOWER DIGITS "_-");
}

static bool valid_indicator_key(const char *s)
{
    return strlen(s) <= 64 && all_chars(s, LOWER, LOWER DIGITS "_");
}

static bool valid_id(const char *s)
{
    return strlen(s) <= 128 && all_chars(s, UPPER LOWER DIGITS, UPPER LOWER DIGITS "-_.");
}

static bool valid_key_name(const char *s)
{
    return all_chars(s, LOWER "_", LOWER DIGITS "_");
}

/* I, II.2, III.8.1, II.2.a: a Roman numeral, then parts of digits or of
 * lower-case letters. */
static bool valid_section_code(const char *s)
{
    const char *p = s;
    size_t n = strspn(p, "IVXLCDM");
    if (n == 0 || strlen(s) > 64)
        return false;
    p += n;
    while (*p) {
        if (*p != '.')
            return false;
        p++;
        size_t d = strspn(p, DIGITS), l = strspn(p, LOWER);
        if (d == 0 && l == 0)
            return false;
        p += d ? d : l;
    }
    return true;
}

static bool valid_task_code(const char *s)
{
    const char *dot = strrchr(s, '.');
    return dot && valid_section_code(s) && strspn(dot + 1, LOWER) == strlen(dot + 1);
}

static char *parent_code(const char *code)
{
    const char *dot = strrchr(code, '.');
    return dot ? xstrndup(code, (size_t)(dot - code)) : NULL;
}

/* ---------------------------------------------------------------- value parsers */

static bool is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
    static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : d[m - 1];
}

static bool digits_n(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static int num_n(const char *s, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

static bool parse_year(const char *s, int *y)
{
    if (strlen(s) != 4 || !digits_n(s, 4))
        return false;
    *y = num_n(s, 4);
    return *y >= 1900 && *y <= 2200;
}

static bool parse_date(const char *s, struct plan_date *d)
{
    if (strlen(s) != 10 || !digits_n(s, 4) || s[4] != '-' || !digits_n(s + 5, 2) || s[7] != '-' ||
        !digits_n(s + 8, 2))
        return false;
    int y = num_n(s, 4), m = num_n(s + 5, 2), dd = num_n(s + 8, 2);
    if (y < 1900 || y > 2200 || m < 1 || m > 12 || dd < 1 || dd > days_in_month(y, m))
        return false;
    d->year = y, d->month = m, d->day = dd;
    return true;
}

int plan_date_cmp(struct plan_date a, struct plan_date b)
{
    if (a.year != b.year)
        return a.year < b.year ? -1 : 1;
    if (a.month != b.month)
        return a.month < b.month ? -1 : 1;
    if (a.day != b.day)
        return a.day < b.day ? -1 : 1;
    return 0;
}

static void fmt_date(struct plan_date d, char out[16])
{
    snprintf(out, 16, "%04d-%02d-%02d", d.year % 10000, d.month % 100, d.day % 100);
}

/* "-12.5", "450000": digits, optional '.' and digits, optional leading '-'. */
static bool parse_number(struct ctx *c, int line, const char *key, const char *s,
                         struct plan_number *out)
{
    const char *p = s;
    if (*p == '-')
        p++;
    size_t ip = strspn(p, DIGITS);
    size_t fp = 0;
    bool ok = ip > 0;
    if (ok && p[ip] == '.') {
        fp = strspn(p + ip + 1, DIGITS);
        ok = fp > 0 && p[ip + 1 + fp] == '\0';
    } else if (ok) {
        ok = p[ip] == '\0';
    }
    if (!ok) {
        if (strchr(s, ','))
            perr(c, line,
                 "%s: \"%s\" is not a number: write '.' as the decimal separator and no "
                 "thousands separator (63.5, 9000)",
                 key, s);
        else
            perr(c, line, "%s: \"%s\" is not a number (write e.g. 63.5 or 9000)", key, s);
        return false;
    }
    if (fp == 3 && strcmp(p + ip + 1, "000") == 0) {
        perr(c, line,
             "%s: \"%s\" looks like Vietnamese notation for thousands; write it without a "
             "thousands separator (e.g. 9000)",
             key, s);
        return false;
    }
    if (ip + fp > 30) {
        perr(c, line, "%s: number \"%s\" is too long", key, s);
        return false;
    }
    out->set = true;
    out->value = strtod(s, NULL);
    out->text = xstrdup(s);
    return true;
}

static bool lookup_name(const char *const *names, size_t n, const char *s, int *out)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], s) == 0) {
            *out = (int)i;
            return true;
        }
    return false;
}

static const char *const agency_kind_names[] = {"department",      "district", "commune",
                                                "socio_political", "province", "other"};
static const char *const reorg_kind_names[] = {"merger", "split", "rename", "abolition"};
static const char *const deadline_kind_names[] = {"continuous", "every_period", "by_year", "date"};
static const char *const rule_names[] = {"sum", "ratio", "province_only", "baseline_multiple",
                                         "yearly_rate"};
static const char *const comparator_names[] = {
    "about",   "range", "more_than", "at_least", "at_most", "exactly", "multiple_of_baseline",
    "per_year"};

#define NAMES(a) (sizeof(a) / sizeof((a)[0]))

const char *plan_agency_kind_name(enum plan_agency_kind kind)
{
    return (size_t)kind < NAMES(agency_kind_names) ? agency_kind_names[kind] : "?";
}

const char *plan_reorg_kind_name(enum plan_reorg_kind kind)
{
    return (size_t)kind < NAMES(reorg_kind_names) ? reorg_kind_names[kind] : "?";
}

const char *plan_deadline_kind_name(enum plan_deadline_kind kind)
{
    return (size_t)kind < NAMES(deadline_kind_names) ? deadline_kind_names[kind] : "?";
}

const char *plan_rule_name(enum plan_rule rule)
{
    return (size_t)rule < NAMES(rule_names) ? rule_names[rule] : "?";
}

const char *plan_comparator_name(enum plan_comparator cmp)
{
    return (size_t)cmp < NAMES(comparator_names) ? comparator_names[cmp] : "?";
}

/* ---------------------------------------------------------------- pass 1: blocks */

struct raw_entry {
    char *key, *value; /* value trimmed; "" when empty */
    int line;
};

struct raw_block {
    char *kind; /* NULL: a broken header, whose entries are ignored */
    char *args[PLAN_MAX_ARGS];
    int nargs;
    int line;
    struct raw_entry *e;
    size_t n, cap;
};

struct raw_file {
    struct raw_block *b;
    size_t n, cap;
};

struct kind_spec {
    const char *kind;
    int min_args, max_args;
};

static const struct kind_spec kind_specs[] = {
    {"declares", 0, 0},       {"plan", 0, 0},          {"agency", 1, 1}, {"group", 1, 1},
    {"reorganisation", 1, 1}, {"section", 1, 1},       {"task", 1, 1},   {"indicator", 1, 1},
    {"target", 2, 3},         {"period-regime", 1, 1}, {"period", 1, 1},
};

static void free_raw(struct raw_file *rf)
{
    for (size_t i = 0; i < rf->n; i++) {
        struct raw_block *b = &rf->b[i];
        free(b->kind);
        for (int k = 0; k < b->nargs; k++)
            free(b->args[k]);
        for (size_t k = 0; k < b->n; k++) {
            free(b->e[k].key);
            free(b->e[k].value);
        }
        free(b->e);
    }
    free(rf->b);
}

static struct raw_block *new_block(struct raw_file *rf, int line)
{
    rf->b = grow(rf->b, &rf->cap, rf->n, sizeof *rf->b);
    struct raw_block *b = &rf->b[rf->n++];
    memset(b, 0, sizeof *b);
    b->line = line;
    return b;
}

/* Parse "[kind arg ...]" (already trimmed, starts with '['). */
static void parse_header(struct ctx *c, struct raw_file *rf, const char *t, int line)
{
    struct raw_block *b = new_block(rf, line);
    size_t len = strlen(t);
    if (len < 2 || t[len - 1] != ']') {
        perr(c, line, "block header must end with ']'");
        return;
    }
    char *inner = xstrndup(t + 1, len - 2);
    char *words[PLAN_MAX_ARGS + 2];
    int nw = 0;
    for (char *save = NULL, *w = strtok_r(inner, " \t", &save); w;
         w = strtok_r(NULL, " \t", &save)) {
        if (nw < PLAN_MAX_ARGS + 2)
            words[nw] = w;
        nw++;
    }
    const struct kind_spec *spec = NULL;
    if (nw == 0) {
        perr(c, line, "empty block header");
    } else {
        for (size_t i = 0; i < NAMES(kind_specs); i++)
            if (strcmp(kind_specs[i].kind, words[0]) == 0)
                spec = &kind_specs[i];
        if (!spec)
            perr(c, line,
                 "unknown block \"[%s]\" (expected declares, plan, agency, group, "
                 "reorganisation, section, task, indicator, target, period-regime or period)",
                 words[0]);
        else if (nw - 1 < spec->min_args || nw - 1 > spec->max_args)
            perr(c, line, "[%s] takes %d to %d words after the kind, not %d", spec->kind,
                 spec->min_args, spec->max_args, nw - 1);
        else {
            b->kind = xstrdup(spec->kind);
            for (int i = 1; i < nw; i++)
                b->args[b->nargs++] = xstrdup(words[i]);
        }
    }
    free(inner);
}

struct textbuf {
    char *s;
    size_t n, cap;
};

static void tb_add(struct textbuf *t, const char *s, size_t n)
{
    if (t->n + n + 1 > t->cap) {
        size_t ncap = t->cap ? t->cap : 256;
        while (ncap < t->n + n + 1)
            ncap *= 2;
        t->s = xrealloc(t->s, ncap);
        t->cap = ncap;
    }
    memcpy(t->s + t->n, s, n);
    t->n += n;
    t->s[t->n] = '\0';
}

static void split_blocks(struct ctx *c, const char *data, size_t len, struct raw_file *rf)
{
    struct raw_block *cur = NULL;
    struct raw_entry *text_entry = NULL; /* open text block (may be a dropped one) */
    bool in_text = false, text_break = false;
    int text_line = 0;
    struct textbuf tb = {0};
    size_t pos = 0;
    int line = 0;

    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
        pos = 3;
    while (pos < len) {
        const char *s = data + pos;
        const char *nl = memchr(s, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - s) : len - pos;
        pos += n + (nl ? 1 : 0);
        line++;
        if (n && s[n - 1] == '\r')
            n--;
        if (memchr(s, '\0', n)) {
            perr(c, line, "line contains a NUL byte");
            continue;
        }
        if (utf8_valid_prefix((const unsigned char *)s, n) != n) {
            perr(c, line, "line is not valid UTF-8 (byte %zu)",
                 utf8_valid_prefix((const unsigned char *)s, n) + 1);
            continue;
        }
        char *t = trim_dup(s, n);
        if (in_text) {
            if (strcmp(t, "\"\"\"") == 0) {
                if (text_entry) {
                    free(text_entry->value);
                    text_entry->value = tb.s ? tb.s : xstrdup("");
                } else {
                    free(tb.s);
                }
                tb = (struct textbuf){0};
                in_text = false;
            } else if (!*t) {
                text_break = tb.n > 0;
            } else {
                if (tb.n)
                    tb_add(&tb, text_break ? "\n" : " ", 1);
                tb_add(&tb, t, strlen(t));
                text_break = false;
            }
            free(t);
            continue;
        }
        if (!*t || t[0] == '#') {
            free(t);
            continue;
        }
        if (t[0] == '[') {
            parse_header(c, rf, t, line);
            cur = &rf->b[rf->n - 1];
            free(t);
            continue;
        }
        char *eq = strchr(t, '=');
        if (!eq) {
            perr(c, line, "expected a [block] header or a \"key = value\" line");
            free(t);
            continue;
        }
        char *key = trim_dup(t, (size_t)(eq - t));
        char *value = trim_dup(eq + 1, strlen(eq + 1));
        bool opens_text = strcmp(value, "\"\"\"") == 0;
        struct raw_entry *e = NULL;
        if (!valid_key_name(key)) {
            perr(c, line, "\"%s\" is not a valid key (lower-case ASCII letters, digits, '_')", key);
        } else if (!cur) {
            perr(c, line, "\"%s = ...\" comes before the first [block] header", key);
        } else if (cur->kind) {
            for (size_t i = 0; i < cur->n; i++)
                if (strcmp(cur->e[i].key, key) == 0) {
                    perr(c, line, "key \"%s\" is given twice in this block (first at line %d)", key,
                         cur->e[i].line);
                    goto dropped;
                }
            cur->e = grow(cur->e, &cur->cap, cur->n, sizeof *cur->e);
            e = &cur->e[cur->n++];
            e->key = key;
            e->value = opens_text ? xstrdup("") : value;
            e->line = line;
            key = NULL;
            if (!opens_text)
                value = NULL;
        }
    dropped:
        if (opens_text) {
            in_text = true;
            text_break = false;
            text_entry = e;
            text_line = line;
        }
        free(key);
        free(value);
        free(t);
    }
    if (in_text) {
        perr(c, text_line, "text block opened here is never closed (add a line with only \"\"\")");
        free(tb.s);
    }
}

/* ---------------------------------------------------------------- pass 2: blocks → structs */

struct key_spec {
    const char *key;
    bool required;
};

/* Value of key in block, or NULL when absent or empty. */
static const struct raw_entry *entry(const struct raw_block *b, const char *key)
{
    for (size_t i = 0; i < b->n; i++)
        if (strcmp(b->e[i].key, key) == 0)
            return b->e[i].value[0] ? &b->e[i] : NULL;
    return NULL;
}

static char *get_text(const struct raw_block *b, const char *key)
{
    const struct raw_entry *e = entry(b, key);
    return e ? xstrdup(e->value) : NULL;
}

static int key_line(const struct raw_block *b, const char *key)
{
    const struct raw_entry *e = entry(b, key);
    return e ? e->line : b->line;
}

/* A printable name of the block for messages: "task III.4.b". */
static void block_name(const struct raw_block *b, char *out, size_t n)
{
    int w = snprintf(out, n, "%s", b->kind ? b->kind : "?");
    for (int i = 0; i < b->nargs && w > 0 && (size_t)w < n; i++)
        w += snprintf(out + w, n - (size_t)w, " %s", b->args[i]);
}

static void check_keys(struct ctx *c, const struct raw_block *b, const struct key_spec *spec,
                       size_t nspec)
{
    char name[256];
    block_name(b, name, sizeof name);
    for (size_t i = 0; i < b->n; i++) {
        bool known = false;
        for (size_t k = 0; k < nspec; k++)
            if (strcmp(spec[k].key, b->e[i].key) == 0)
                known = true;
        if (!known)
            perr(c, b->e[i].line, "%s: unknown key \"%s\"", name, b->e[i].key);
    }
    for (size_t k = 0; k < nspec; k++)
        if (spec[k].required && !entry(b, spec[k].key))
            perr(c, b->line, "%s: missing required key \"%s\"", name, spec[k].key);
}

static bool get_enum(struct ctx *c, const struct raw_block *b, const char *key,
                     const char *const *names, size_t n, int *out)
{
    const struct raw_entry *e = entry(b, key);
    if (!e)
        return false;
    if (lookup_name(names, n, e->value, out))
        return true;
    char allowed[256] = "";
    for (size_t i = 0; i < n; i++) {
        strncat(allowed, names[i], sizeof allowed - strlen(allowed) - 1);
        if (i + 1 < n)
            strncat(allowed, ", ", sizeof allowed - strlen(allowed) - 1);
    }
    perr(c, e->line, "%s: unknown value \"%s\" (expected one of: %s)", key, e->value, allowed);
    return false;
}

static void get_date(struct ctx *c, const struct raw_block *b, const char *key,
                     struct plan_date *out)
{
    const struct raw_entry *e = entry(b, key);
    if (e && !parse_date(e->value, out))
        perr(c, e->line, "%s: \"%s\" is not a valid date (write YYYY-MM-DD, e.g. 2025-03-01)", key,
             e->value);
}

static void get_year(struct ctx *c, const struct raw_block *b, const char *key, int *out)
{
    const struct raw_entry *e = entry(b, key);
    if (e && !parse_year(e->value, out))
        perr(c, e->line, "%s: \"%s\" is not a year between 1900 and 2200", key, e->value);
}

static void get_number(struct ctx *c, const struct raw_block *b, const char *key,
                       struct plan_number *out)
{
    const struct raw_entry *e = entry(b, key);
    if (e)
        parse_number(c, e->line, key, e->value, out);
}

static void get_count(struct ctx *c, const struct raw_block *b, const char *key, long *out)
{
    const struct raw_entry *e = entry(b, key);
    if (!e)
        return;
    size_t n = strlen(e->value);
    if (n == 0 || n > 9 || !digits_n(e->value, n)) {
        perr(c, e->line, "%s: \"%s\" is not a whole number", key, e->value);
        return;
    }
    *out = num_n(e->value, n);
}

static bool get_bool(struct ctx *c, const struct raw_block *b, const char *key)
{
    const struct raw_entry *e = entry(b, key);
    if (!e)
        return false;
    if (strcmp(e->value, "yes") == 0 || strcmp(e->value, "true") == 0)
        return true;
    if (strcmp(e->value, "no") != 0 && strcmp(e->value, "false") != 0)
        perr(c, e->line, "%s: \"%s\" must be yes or no", key, e->value);
    return false;
}

enum ref_kind { REF_CODE, REF_GROUP, REF_ANY };

/* Split a comma list, checking each item's syntax and duplicates. */
static void get_list(struct ctx *c, const struct raw_block *b, const char *key, enum ref_kind rk,
                     struct plan_list *out)
{
    const struct raw_entry *e = entry(b, key);
    if (!e)
        return;
    const char *p = e->value;
    size_t cap = 0;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        char *item = trim_dup(p, n);
        bool ok = true;
        if (!*item) {
            perr(c, e->line, "%s: empty item in the list", key);
            ok = false;
        } else if (rk == REF_CODE && !valid_agency_code(item)) {
            perr(c, e->line, "%s: \"%s\" is not an agency code (A-Z, 0-9, '-', '_')", key, item);
            ok = false;
        } else if (rk == REF_GROUP && !valid_group_code(item)) {
            perr(c, e->line, "%s: \"%s\" is not a group name (@ then a-z, 0-9, '_', '-')", key,
                 item);
            ok = false;
        } else if (rk == REF_ANY && !valid_agency_code(item) && !valid_group_code(item)) {
            perr(c, e->line, "%s: \"%s\" is neither an agency code nor a @group", key, item);
            ok = false;
        }
        for (size_t i = 0; ok && i < out->n; i++)
            if (strcmp(out->v[i], item) == 0) {
                perr(c, e->line, "%s: \"%s\" is listed twice", key, item);
                ok = false;
            }
        if (ok) {
            out->v = grow(out->v, &cap, out->n, sizeof *out->v);
            out->v[out->n++] = item;
        } else {
            free(item);
        }
        if (!comma)
            break;
        p = comma + 1;
    }
}

/* One ref (lead, parent, issuer...) with a syntax check. */
static char *get_ref(struct ctx *c, const struct raw_block *b, const char *key, enum ref_kind rk)
{
    struct plan_list l = {0};
    get_list(c, b, key, rk, &l);
    if (l.n > 1) {
        perr(c, key_line(b, key), "%s: give one agency or group, not a list", key);
        for (size_t i = 0; i < l.n; i++)
            free(l.v[i]);
        free(l.v);
        return NULL;
    }
    char *r = l.n ? l.v[0] : NULL;
    free(l.v);
    return r;
}

/* "Y-06-14", "Y-1-12-15", "Y+1-01-15". */
static bool parse_rule_date(const char *s, struct plan_rule_date *out)
{
    if (s[0] != 'Y')
        return false;
    const char *r = s + 1;
    int off = 0;
    if (strlen(r) != 6) {
        if (r[0] != '+' && r[0] != '-')
            return false;
        size_t d = strspn(r + 1, DIGITS);
        if (d == 0 || d > 2)
            return false;
        off = num_n(r + 1, d) * (r[0] == '-' ? -1 : 1);
        r += 1 + d;
    }
    if (strlen(r) != 6 || r[0] != '-' || !digits_n(r + 1, 2) || r[3] != '-' || !digits_n(r + 4, 2))
        return false;
    int m = num_n(r + 1, 2), d = num_n(r + 4, 2);
    if (m < 1 || m > 12 || d < 1 || d > days_in_month(2001, m))
        return false;
    out->year_offset = off, out->month = m, out->day = d;
    return true;
}

static struct plan_date rule_date_at(struct plan_rule_date r, int year)
{
    struct plan_date d = {year + r.year_offset, r.month, r.day};
    return d;
}

struct counts {
    long tasks, indicators, targets, agencies, groups, sections, reorgs;
    int line, tasks_line, indicators_line, targets_line, agencies_line, groups_line, sections_line,
        reorgs_line;
};

struct state {
    struct ctx *c;
    struct plan *p;
    const struct raw_file *rf;
    struct counts declared;
    int n_declares, n_plan, plan_line;
    size_t cap_agencies, cap_groups, cap_reorgs, cap_sections, cap_tasks, cap_indicators,
        cap_targets, cap_regimes, cap_periods;
};

static void build_declares(struct state *st, const struct raw_block *b)
{
    static const struct key_spec spec[] = {
        {"tasks", true},   {"indicators", true}, {"targets", true},         {"agencies", false},
        {"groups", false}, {"sections", false},  {"reorganisations", false}};
    struct ctx *c = st->c;
    check_keys(c, b, spec, NAMES(spec));
    if (st->n_declares++) {
        perr(c, b->line, "[declares] is given twice (first at line %d)", st->declared.line);
        return;
    }
    struct counts *d = &st->declared;
    d->tasks = d->indicators = d->targets = d->agencies = d->groups = d->sections = d->reorgs = -1;
    d->line = b->line;
    get_count(c, b, "tasks", &d->tasks);
    get_count(c, b, "indicators", &d->indicators);
    get_count(c, b, "targets", &d->targets);
    get_count(c, b, "agencies", &d->agencies);
    get_count(c, b, "groups", &d->groups);
    get_count(c, b, "sections", &d->sections);
    get_count(c, b, "reorganisations", &d->reorgs);
    d->tasks_line = key_line(b, "tasks");
    d->indicators_line = key_line(b, "indicators");
    d->targets_line = key_line(b, "targets");
    d->agencies_line = key_line(b, "agencies");
    d->groups_line = key_line(b, "groups");
    d->sections_line = key_line(b, "sections");
    d->reorgs_line = key_line(b, "reorganisations");
}

static void build_plan(struct state *st, const struct raw_block *b)
{
    static const struct key_spec spec[] = {
        {"province", true},        {"title", true},       {"document_number", false},
        {"issuer", false},         {"issued_on", false},  {"signed_by", false},
        {"based_on", false},       {"start_year", false}, {"end_year", false},
        {"standing_agency", true}, {"time_zone", false},  {"version", true},
        {"version_note", false},   {"preamble", false}};
    struct ctx *c = st->c;
    check_keys(c, b, spec, NAMES(spec));
    if (st->n_plan++) {
        perr(c, b->line, "[plan] is given twice (first at line %d)", st->plan_line);
        return;
    }
    st->plan_line = b->line;
    struct plan_meta *m = &st->p->meta;
    m->province = get_text(b, "province");
    m->title = get_text(b, "title");
    m->document_number = get_text(b, "document_number");
    m->issuer = get_ref(c, b, "issuer", REF_CODE);
    get_date(c, b, "issued_on", &m->issued_on);
    m->signed_by = get_text(b, "signed_by");
    m->based_on = get_text(b, "based_on");
    get_year(c, b, "start_year", &m->start_year);
    get_year(c, b, "end_year", &m->end_year);
    if (m->start_year && m->end_year && m->end_year < m->start_year)
        perr(c, key_line(b, "end_year"), "end_year %d is before start_year %d", m->end_year,
             m->start_year);
    m->standing_agency = get_ref(c, b, "standing_agency", REF_CODE);
    free(m->time_zone);
    m->time_zone = get_text(b, "time_zone");
    if (!m->time_zone)
        m->time_zone = xstrdup("Asia/Ho_Chi_Minh");
    else if (strpbrk(m->time_zone, " \t"))
        perr(c, key_line(b, "time_zone"), "time_zone: \"%s\" is not a time zone name",
             m->time_zone);
    m->version = get_text(b, "version");
    m->version_note = get_text(b, "version_note");
    m->preamble = get_text(b, "preamble");
}

static void build_agency(struct state *st, const struct raw_block *b)
{
    static const struct key_spec spec[] = {
        {"kind", true},        {"name", true},      {"short_name", false}, {"parent", false},
        {"valid_from", false}, {"valid_to", false}, {"note", false}};
    struct ctx *c = st->c;
    check_keys(c, b, spec, NAMES(spec));
    if (!valid_agency_code(b->args[0])) {
        perr(c, b->line,
             "\"%s\" is not a valid agency code (capital ASCII letters, digits, '-', '_')",
             b->args[0]);
        return;
    }
    struct plan *p = st->p;
    p->agencies = grow(p->agencies, &st->cap_agencies, p->n_agencies, sizeof *p->agencies);
    struct plan_agency *a = &p->agencies[p->n_agencies++];
    a->code = xstrdup(b->args[0]);
    a->line = b->line;
    int k = PLAN_AGENCY_OTHER;
    get_enum(c, b, "kind", agency_kind_names, NAMES(agency_kind_names), &k);
    a->kind = (enum plan_agency_kind)k;
    a->name = get_text(b, "name");
    a->short_name = get_text(b, "short_name");
    a->parent = get_ref(c, b, "parent", REF_CODE);
    a->note = get_text(b, "note");
    get_date(c, b, "valid_from", &a->valid_from);
    get_date(c, b, "valid_to", &a->valid_to);
    if (a->valid_from.year && a->valid_to.year && plan_date_cmp(a->valid_to, a->valid_from) < 0)
        perr(c, key_line(b, "valid_to"), "agency %s: valid_to is before valid_from", a->code);
}

static void build_group(struct state *st, const struct raw_block *b)
{
    static const struct key_spec spec[] = {
        {"name", true}, {"kinds", false}, {"members", false}, {"include", false}};
    struct ctx *c = st->c;
    check_keys(c, b, spec, NAMES(spec));
    if (!valid_group_code(b->args[0])) {
        perr(c, b->line,
             "\"%s\" is not a valid group name ('@' then lower-case letters, digits, '_', '-')",
             b->args[0]);
        return;
    }
    struct plan *p = st->p;
    p->groups = grow(p->groups, &st->cap_groups, p->n_groups, sizeof *p->groups);
    struct plan_group *g = &p->groups[p->n_groups++];
    g->code = xstrdup(b->args[0]);
    g->line = b->line;
    g->name = get_text(b, "name");
    const struct raw_entry *ke = entry(b, "kinds");
    if (ke) {
        char *dup = xstrdup(ke->value);
        for (char *save = NULL, *w = strtok_r(dup, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
            char *t = trim_dup(w, strlen(w));
            int k;
            if (lookup_name(agency_kind_names, NAMES(agency_kind_names), t, &k))
                g->kinds |= 1u << k;
            else
                perr(c, ke->line, "kinds: unknown agency kind \"%s\"", t);
            free(t);
        }
        free(dup);
    }
    get_list(c, b, "members", REF_CODE, &g->members);
    get_list(c, b, "include", REF_GROUP, &g->include);
    if (!ke && !entry(b, "members") && !entry(b, "include"))
        perr(c, b->line, "group %s: give at least one of kinds, members, include", g->code);
}

static void build_reorg(struct state *st, const struct raw_block *b)
{
    static const struct key_spec spec[] = {
        {"kind", true}, {"effective", true}, {"from", true}, {"to", false}, {"note", false}};
    struct ctx *c = st->c;
    check_keys(c, b, spec, NAMES(spec));
    if (!valid_id(b->args[0])) {
        perr(c, b->line, "\"%s\" is not a valid reorganisation id (letters, digits, '-', '_', '.')",
             b->args[0]);
        return;
    }
    struct plan *p = st->p;
    p->reorgs = grow(p->reorgs, &st->cap_reorgs, p->n_reorgs, sizeof *p->reorgs);
    struct plan_reorg *r = &p->reorgs[p->n_reorgs++];
    r->id = xstrdup(b->args[0]);
    r->line = b->line;
    int k = PLAN_REORG_MERGER;
    bool kind_ok = get_enum(c, b, "kind", reorg_kind_names, NAMES(reorg_kind_names), &k);
    r->kind = (enum plan_reorg_kind)k;
    get_date(c, b, "effective", &r->effective);
    get_list(c, b, "from", REF_CODE, &r->from);
    get_list(c, b, "to", REF_ANY, &r->to);
    r->note = get_text(b, "note");
    if (!kind_ok || !entry(b, "from"))
        return;
    bool shape = true;
    switch (r->kind) {
    case PLAN_REORG_MERGER:
        shape = r->from.n >= 2 && r->to.n == 1;
        break;
    case PLAN_REORG_SPLIT:
        shape = r->from.n == 1 && r->to.n >= 2;
        break;
    case PLAN_REORG_RENAME:
        shape = r->from.n == 1 && r->to.n == 1;
        break;
    case PLAN_REORG_ABOLITION:
        shape = r->from.n >= 1;
        break;
    }
    if (!shape)
        perr(c, b->line, "reorganisation %s: a %s needs %s (it has %zu in from, %zu in to)", r->id,
             plan_reorg_kind_name(r->kind),
             r->kind == PLAN_REORG_MERGER  ? "two or more in from and one in to"
             : r->kind == PLAN_REORG_SPLIT ? "one in from and two or more in to"
                                           : "one in from and one in to",
             r->from.n, r->to.n);
}

static void build_section(struct state *st, const struct raw_block *b)
{
    static const struct key_spec spec[] = {{"title", true}, {"text", false}};
    struct ctx *c = st->c;
    check_keys(c, b, spec, NAMES(spec));
    if (!valid_section_code(b->args[0])) {
        perr(c, b->line,
             "\"%s\" is not a valid section code (a Roman numeral, then .number or .letter "
             "parts, e.g. III.8.1)",
             b->args[0]);
        return;
    }
    struct plan *p = st->p;
    p->sections = grow(p->sections, &st->cap_sections, p->n_sections, sizeof *p->sections);
    struct plan_section *s = &p->sections[p->n_sections++];
    s->code = xstrdup(b->args[0]);
    s->parent = parent_code(s->code);
    s->line = b->line;
    s->title = get_text(b, "title");
    s->text = get_text(b, "text");
}

static void build_task(struct state *st, const struct raw_block *b)
{
    static const struct key_spec spec[] = {
        {"title", true},     {"text", true},    {"lead", true}, {"coordinating", false},
        {"deadline", false}, {"output", false}, {"note", false}};
    struct ctx *c = st->c;
    check_keys(c, b, spec, NAMES(spec));
    if (!valid_task_code(b->args[0])) {
        perr(c, b->line,
             "\"%s\" is not a valid task code (section code then the item letter, e.g. "
             "III.4.b)",
             b->args[0]);
        return;
    }
    struct plan *p = st->p;
    p->tasks = grow(p->tasks, &st->cap_tasks, p->n_tasks, sizeof *p->tasks);
    struct plan_task *t = &p->tasks[p->n_tasks++];
    t->code = xstrdup(b->args[0]);
    t->section = parent_code(t->code);
    t->line = b->line;
    t->title = get_text(b, "title");
    t->text = get_text(b, "text");
    t->lead = get_ref(c, b, "lead", REF_ANY);
    get_list(c, b, "coordinating", REF_ANY, &t->coordinating);
    t->output = get_text(b, "output");
    t->note = get_text(b, "note");
    t->deadline_kind = PLAN_DEADLINE_CONTINUOUS;
    const struct raw_entry *e = entry(b, "deadline");
    if (e) {
        const char *v = e->value;
        if (strcmp(v, "continuous") == 0) {
            t->deadline_kind = PLAN_DEADLINE_CONTINUOUS;
        } else if (strcmp(v, "every_period") == 0) {
            t->deadline_kind = PLAN_DEADLINE_EVERY_PERIOD;
        } else if (strncmp(v, "by_year ", 8) == 0) {
            t->deadline_kind = PLAN_DEADLINE_BY_YEAR;
            const char *y = v + 8;
            while (*y == ' ')
                y++;
            if (!parse_year(y, &t->deadline_year))
                perr(c, e->line, "deadline: \"%s\" is not a year between 1900 and 2200", y);
        } else if (strncmp(v, "date ", 5) == 0) {
            t->deadline_kind = PLAN_DEADLINE_DATE;
            const char *d = v + 5;
            while (*d == ' ')
                d++;
            if (!parse_date(d, &t->deadline_on))
                perr(c, e->line, "deadline: \"%s\" is not a valid date (write YYYY-MM-DD)", d);
        } else {
            perr(c, e->line,
                 "deadline: \"%s\" is not one of continuous, every_period, by_year YYYY, "
                 "date YYYY-MM-DD",
                 v);
        }
    }
}

static void build_indicator(struct state *st, const struct raw_block *b)
{
    static const struct key_spec spec[] = {
        {"name", true},         {"unit", true},      {"rule", true},           {"numerator", false},
        {"denominator", false}, {"baseline", false}, {"baseline_year", false}, {"task", false},
        {"reporters", true},    {"note", false}};
    struct ctx *c = st->c;
    check_keys(c, b, spec, NAMES(spec));
    if (!valid_indicator_key(b->args[0])) {
        perr(c, b->line,
             "\"%s\" is not a valid indicator key (lower-case ASCII letter, then letters, "
             "digits, '_')",
             b->args[0]);
        return;
    }
    struct plan *p = st->p;
    p->indicators =
        grow(p->indicators, &st->cap_indicators, p->n_indicators, sizeof *p->indicators);
    struct plan_indicator *ind = &p->indicators[p->n_indicators++];
    ind->key = xstrdup(b->args[0]);
    ind->line = b->line;
    ind->name = get_text(b, "name");
    ind->unit = get_text(b, "unit");
    int r = PLAN_RULE_SUM;
    bool rule_ok = get_enum(c, b, "rule", rule_names, NAMES(rule_names), &r);
    ind->rule = (enum plan_rule)r;
    ind->numerator = get_text(b, "numerator");
    ind->denominator = get_text(b, "denominator");
    get_number(c, b, "baseline", &ind->baseline);
    get_year(c, b, "baseline_year", &ind->baseline_year);
    if (ind->baseline.set && !ind->baseline_year)
        ind->baseline_year = 2020;
    ind->task = get_text(b, "task");
    if (ind->task && !valid_task_code(ind->task))
        perr(c, key_line(b, "task"), "task: \"%s\" is not a task code", ind->task);
    get_list(c, b, "reporters", REF_ANY, &ind->reporters);
    ind->note = get_text(b, "note");
    if (!rule_ok)
        return;
    if (ind->rule == PLAN_RULE_RATIO) {
        if (!ind->numerator)
            perr(c, b->line, "indicator %s: a ratio needs \"numerator\"", ind->key);
        if (!ind->denominator)
            perr(c, b->line, "indicator %s: a ratio needs \"denominator\"", ind->key);
    } else if (ind->numerator || ind->denominator) {
        perr(c, key_line(b, ind->numerator ? "numerator" : "denominator"),
             "indicator %s: numerator and denominator are only for rule = ratio", ind->key);
    }
}

static void build_target(struct state *st, const struct raw_block *b)
{
    static const struct key_spec spec[] = {
        {"comparator", true}, {"value", false},          {"low", false},
        {"high", false},      {"per_year_bound", false}, {"strive", false},
        {"source", false},    {"wording", true},         {"note", false}};
    struct ctx *c = st->c;
    check_keys(c, b, spec, NAMES(spec));
    int year = 0;
    bool ok = true;
    if (!valid_indicator_key(b->args[0])) {
        perr(c, b->line, "target: \"%s\" is not a valid indicator key", b->args[0]);
        ok = false;
    }
    if (!parse_year(b->args[1], &year)) {
        perr(c, b->line, "target: \"%s\" is not a year between 1900 and 2200", b->args[1]);
        ok = false;
    }
    if (b->nargs > 2 && !valid_id(b->args[2])) {
        perr(c, b->line, "target: \"%s\" is not a valid qualifier (letters, digits, '-', '_', '.')",
             b->args[2]);
        ok = false;
    }
    if (!ok)
        return;
    struct plan *p = st->p;
    p->targets = grow(p->targets, &st->cap_targets, p->n_targets, sizeof *p->targets);
    struct plan_target *t = &p->targets[p->n_targets++];
    t->indicator = xstrdup(b->args[0]);
    t->year = year;
    t->qualifier = b->nargs > 2 ? xstrdup(b->args[2]) : NULL;
    t->line = b->line;
    int cmp = PLAN_CMP_EXACTLY;
    bool cmp_ok = get_enum(c, b, "comparator", comparator_names, NAMES(comparator_names), &cmp);
    t->comparator = (enum plan_comparator)cmp;
    get_number(c, b, "value", &t->value);
    get_number(c, b, "low", &t->low);
    get_number(c, b, "high", &t->high);
    t->strive = get_bool(c, b, "strive");
    t->source = get_text(b, "source");
    t->wording = get_text(b, "wording");
    t->note = get_text(b, "note");
    t->per_year_bound = PLAN_CMP_EXACTLY;
    const struct raw_entry *pb = entry(b, "per_year_bound");
    if (pb) {
        int bound;
        if (!lookup_name(comparator_names, NAMES(comparator_names), pb->value, &bound) ||
            (bound != PLAN_CMP_EXACTLY && bound != PLAN_CMP_ABOUT && bound != PLAN_CMP_MORE_THAN &&
             bound != PLAN_CMP_AT_LEAST && bound != PLAN_CMP_AT_MOST))
            perr(c, pb->line,
                 "per_year_bound: \"%s\" must be exactly, about, more_than, at_least or at_most",
                 pb->value);
        else
            t->per_year_bound = (enum plan_comparator)bound;
    }
    if (!cmp_ok)
        return;
    char name[160];
    block_name(b, name, sizeof name);
    bool has_value = entry(b, "value") != NULL;
    bool has_low = entry(b, "low") != NULL, has_high = entry(b, "high") != NULL;
    bool range_ok = has_low && has_high;
    if (pb && t->comparator != PLAN_CMP_PER_YEAR)
        perr(c, pb->line, "%s: per_year_bound is only for comparator = per_year", name);
    switch (t->comparator) {
    case PLAN_CMP_RANGE:
        if (!range_ok)
            perr(c, b->line, "%s: comparator range needs \"low\" and \"high\"", name);
        if (has_value)
            perr(c, key_line(b, "value"), "%s: comparator range takes low and high, not value",
                 name);
        break;
    case PLAN_CMP_PER_YEAR:
        if (has_value && (has_low || has_high))
            perr(c, b->line, "%s: give either value or low and high, not both", name);
        else if (!has_value && !range_ok)
            perr(c, b->line, "%s: comparator per_year needs \"value\", or \"low\" and \"high\"",
                 name);
        if (pb && !has_value)
            perr(c, pb->line, "%s: per_year_bound goes with a single value", name);
        break;
    default:
        if (!has_value)
            perr(c, b->line, "%s: comparator %s needs \"value\"", name,
                 plan_comparator_name(t->comparator));
        if (has_low || has_high)
            perr(c, key_line(b, has_low ? "low" : "high"),
                 "%s: low and high are only for comparator range or per_year", name);
        break;
    }
    if (t->low.set && t->high.set && t->low.value > t->high.value)
        perr(c, key_line(b, "low"), "%s: low %s is greater than high %s", name, t->low.text,
             t->high.text);
}

static void build_regime(struct state *st, const struct raw_block *b)
{
    static const struct key_spec spec[] = {
        {"name", true},     {"years", true},      {"window_start", true}, {"window_end", true},
        {"deadline", true}, {"time_zone", false}, {"note", false}};
    struct ctx *c = st->c;
    check_keys(c, b, spec, NAMES(spec));
    if (!valid_id(b->args[0])) {
        perr(c, b->line, "\"%s\" is not a valid period regime key (letters, digits, '-', '_', '.')",
             b->args[0]);
        return;
    }
    struct plan *p = st->p;
    p->regimes = grow(p->regimes, &st->cap_regimes, p->n_regimes, sizeof *p->regimes);
    struct plan_period_regime *r = &p->regimes[p->n_regimes++];
    r->key = xstrdup(b->args[0]);
    r->line = b->line;
    r->name = get_text(b, "name");
    r->time_zone = get_text(b, "time_zone");
    r->note = get_text(b, "note");
    bool ok = true;
    const struct raw_entry *ye = entry(b, "years");
    if (ye) {
        const char *dash = strchr(ye->value, '-');
        char *a = dash ? xstrndup(ye->value, (size_t)(dash - ye->value)) : NULL;
        if (!dash || !parse_year(a, &r->first_year) || !parse_year(dash + 1, &r->last_year) ||
            r->last_year < r->first_year) {
            perr(c, ye->line, "years: \"%s\" is not a range FIRST-LAST (e.g. 2023-2030)",
                 ye->value);
            ok = false;
        }
        free(a);
    } else {
        ok = false;
    }
    static const char *const keys[] = {"window_start", "window_end", "deadline"};
    struct plan_rule_date *dst[] = {&r->window_start, &r->window_end, &r->deadline};
    for (size_t i = 0; i < 3; i++) {
        const struct raw_entry *e = entry(b, keys[i]);
        if (!e) {
            ok = false;
        } else if (!parse_rule_date(e->value, dst[i])) {
            perr(c, e->line,
                 "%s: \"%s\" is not a date rule (write Y-MM-DD, Y-1-MM-DD or Y+1-MM-DD; no "
                 "29 February)",
                 keys[i], e->value);
            ok = false;
        }
    }
    if (ok) {
        struct plan_date ws = rule_date_at(r->window_start, r->first_year),
                         we = rule_date_at(r->window_end, r->first_year),
                         dl = rule_date_at(r->deadline, r->first_year);
        if (plan_date_cmp(ws, we) > 0)
            perr(c, key_line(b, "window_end"),
                 "period regime %s: window_end is before window_start", r->key);
        if (plan_date_cmp(we, dl) > 0)
            perr(c, key_line(b, "deadline"), "period regime %s: deadline is before window_end",
                 r->key);
    }
}

static void build_period(struct state *st, const struct raw_block *b)
{
    static const struct key_spec spec[] = {{"regime", true},     {"year", true},
                                           {"label", false},     {"window_start", true},
                                           {"window_end", true}, {"deadline", true}};
    struct ctx *c = st->c;
    check_keys(c, b, spec, NAMES(spec));
    if (!valid_id(b->args[0])) {
        perr(c, b->line, "\"%s\" is not a valid period key (letters, digits, '-', '_', '.')",
             b->args[0]);
        return;
    }
    struct plan *p = st->p;
    p->periods = grow(p->periods, &st->cap_periods, p->n_periods, sizeof *p->periods);
    struct plan_period *pd = &p->periods[p->n_periods++];
    pd->key = xstrdup(b->args[0]);
    pd->line = b->line;
    pd->regime = get_text(b, "regime");
    pd->label = get_text(b, "label");
    get_year(c, b, "year", &pd->year);
    get_date(c, b, "window_start", &pd->window_start);
    get_date(c, b, "window_end", &pd->window_end);
    get_date(c, b, "deadline", &pd->deadline);
    if (pd->window_start.year && pd->window_end.year &&
        plan_date_cmp(pd->window_start, pd->window_end) > 0)
        perr(c, key_line(b, "window_end"), "period %s: window_end is before window_start", pd->key);
    if (pd->window_end.year && pd->deadline.year && plan_date_cmp(pd->window_end, pd->deadline) > 0)
        perr(c, key_line(b, "deadline"), "period %s: deadline is before window_end", pd->key);
}

/* ---------------------------------------------------------------- look-ups */

const struct plan_agency *plan_find_agency(const struct plan *plan, const char *code)
{
    for (size_t i = 0; code && i < plan->n_agencies; i++)
        if (strcmp(plan->agencies[i].code, code) == 0)
            return &plan->agencies[i];
    return NULL;
}

const struct plan_group *plan_find_group(const struct plan *plan, const char *code)
{
    for (size_t i = 0; code && i < plan->n_groups; i++)
        if (strcmp(plan->groups[i].code, code) == 0)
            return &plan->groups[i];
    return NULL;
}

const struct plan_section *plan_find_section(const struct plan *plan, const char *code)
{
    for (size_t i = 0; code && i < plan->n_sections; i++)
        if (strcmp(plan->sections[i].code, code) == 0)
            return &plan->sections[i];
    return NULL;
}

const struct plan_task *plan_find_task(const struct plan *plan, const char *code)
{
    for (size_t i = 0; code && i < plan->n_tasks; i++)
        if (strcmp(plan->tasks[i].code, code) == 0)
            return &plan->tasks[i];
    return NULL;
}

const struct plan_indicator *plan_find_indicator(const struct plan *plan, const char *key)
{
    for (size_t i = 0; key && i < plan->n_indicators; i++)
        if (strcmp(plan->indicators[i].key, key) == 0)
            return &plan->indicators[i];
    return NULL;
}

static bool str_eq_null(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

const struct plan_target *plan_find_target(const struct plan *plan, const char *indicator, int year,
                                           const char *qualifier)
{
    for (size_t i = 0; indicator && i < plan->n_targets; i++) {
        const struct plan_target *t = &plan->targets[i];
        if (t->year == year && strcmp(t->indicator, indicator) == 0 &&
            str_eq_null(t->qualifier, qualifier))
            return t;
    }
    return NULL;
}

static const struct plan_period_regime *find_regime(const struct plan *plan, const char *key)
{
    for (size_t i = 0; key && i < plan->n_regimes; i++)
        if (strcmp(plan->regimes[i].key, key) == 0)
            return &plan->regimes[i];
    return NULL;
}

static bool list_has(const struct plan_list *l, const char *s)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i], s) == 0)
            return true;
    return false;
}

/* ---------------------------------------------------------------- pass 3: cross-checks */

/* Report an unknown ref. want: REF_CODE (agency only) or REF_ANY. */
static void check_ref(struct ctx *c, const struct plan *p, int line, const char *who,
                      const char *key, const char *ref, enum ref_kind want)
{
    if (!ref)
        return;
    if (ref[0] == '@') {
        if (want == REF_CODE)
            perr(c, line, "%s: %s must be an agency code, not a group (\"%s\")", who, key, ref);
        else if (!plan_find_group(p, ref))
            perr(c, line, "%s: %s: unknown group \"%s\"", who, key, ref);
    } else if (!plan_find_agency(p, ref)) {
        perr(c, line, "%s: %s: unknown agency \"%s\"", who, key, ref);
    }
}

static void check_refs(struct ctx *c, const struct plan *p, int line, const char *who,
                       const char *key, const struct plan_list *l, enum ref_kind want)
{
    for (size_t i = 0; i < l->n; i++)
        check_ref(c, p, line, who, key, l->v[i], want);
}

/* Line of `key` in the block whose header is at block_line (the structs keep
 * only the header line), so that errors name the line of the key. */
static int kline(const struct state *st, int block_line, const char *key)
{
    for (size_t i = 0; i < st->rf->n; i++)
        if (st->rf->b[i].line == block_line)
            return key_line(&st->rf->b[i], key);
    return block_line;
}

static bool group_cycle(const struct plan *p, const struct plan_group *g, const char *target,
                        int depth)
{
    if (depth > PLAN_MAX_DEPTH)
        return true;
    for (size_t i = 0; i < g->include.n; i++) {
        if (strcmp(g->include.v[i], target) == 0)
            return true;
        const struct plan_group *sub = plan_find_group(p, g->include.v[i]);
        if (sub && group_cycle(p, sub, target, depth + 1))
            return true;
    }
    return false;
}

static void cross_check(struct state *st)
{
    struct ctx *c = st->c;
    struct plan *p = st->p;
    char who[200];

    if (!st->n_plan)
        perr(c, 0, "the file has no [plan] block");
    if (!st->n_declares)
        perr(c, 0, "the file has no [declares] block (tasks, indicators, targets counts)");

    /* duplicates */
    for (size_t i = 0; i < p->n_agencies; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(p->agencies[i].code, p->agencies[j].code) == 0) {
                perr(c, p->agencies[i].line, "duplicate agency \"%s\" (first defined at line %d)",
                     p->agencies[i].code, p->agencies[j].line);
                break;
            }
    for (size_t i = 0; i < p->n_groups; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(p->groups[i].code, p->groups[j].code) == 0) {
                perr(c, p->groups[i].line, "duplicate group \"%s\" (first defined at line %d)",
                     p->groups[i].code, p->groups[j].line);
                break;
            }
    for (size_t i = 0; i < p->n_reorgs; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(p->reorgs[i].id, p->reorgs[j].id) == 0) {
                perr(c, p->reorgs[i].line,
                     "duplicate reorganisation \"%s\" (first defined at line %d)", p->reorgs[i].id,
                     p->reorgs[j].line);
                break;
            }
    for (size_t i = 0; i < p->n_sections; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(p->sections[i].code, p->sections[j].code) == 0) {
                perr(c, p->sections[i].line, "duplicate section \"%s\" (first defined at line %d)",
                     p->sections[i].code, p->sections[j].line);
                break;
            }
    for (size_t i = 0; i < p->n_tasks; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(p->tasks[i].code, p->tasks[j].code) == 0) {
                perr(c, p->tasks[i].line, "duplicate task \"%s\" (first defined at line %d)",
                     p->tasks[i].code, p->tasks[j].line);
                break;
            }
    for (size_t i = 0; i < p->n_indicators; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(p->indicators[i].key, p->indicators[j].key) == 0) {
                perr(c, p->indicators[i].line,
                     "duplicate indicator \"%s\" (first defined at line %d)", p->indicators[i].key,
                     p->indicators[j].line);
                break;
            }
    for (size_t i = 0; i < p->n_targets; i++)
        for (size_t j = 0; j < i; j++) {
            const struct plan_target *a = &p->targets[i], *b = &p->targets[j];
            if (a->year == b->year && strcmp(a->indicator, b->indicator) == 0 &&
                str_eq_null(a->qualifier, b->qualifier)) {
                perr(c, a->line,
                     "duplicate target %s %d (first defined at line %d; add a third word to "
                     "the header to tell them apart)",
                     a->indicator, a->year, b->line);
                break;
            }
        }
    for (size_t i = 0; i < p->n_regimes; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(p->regimes[i].key, p->regimes[j].key) == 0) {
                perr(c, p->regimes[i].line,
                     "duplicate period regime \"%s\" (first defined at line %d)", p->regimes[i].key,
                     p->regimes[j].line);
                break;
            }
    for (size_t i = 0; i < p->n_periods; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(p->periods[i].key, p->periods[j].key) == 0) {
                perr(c, p->periods[i].line, "duplicate period \"%s\" (first defined at line %d)",
                     p->periods[i].key, p->periods[j].line);
                break;
            }

    /* plan */
    if (st->n_plan) {
        check_ref(c, p, kline(st, st->plan_line, "issuer"), "plan", "issuer", p->meta.issuer,
                  REF_CODE);
        check_ref(c, p, kline(st, st->plan_line, "standing_agency"), "plan", "standing_agency",
                  p->meta.standing_agency, REF_CODE);
    }

    /* agencies */
    for (size_t i = 0; i < p->n_agencies; i++) {
        const struct plan_agency *a = &p->agencies[i];
        snprintf(who, sizeof who, "agency %s", a->code);
        if (a->parent && strcmp(a->parent, a->code) == 0)
            perr(c, kline(st, a->line, "parent"), "%s: an agency cannot be its own parent", who);
        else
            check_ref(c, p, kline(st, a->line, "parent"), who, "parent", a->parent, REF_CODE);
    }

    /* groups */
    for (size_t i = 0; i < p->n_groups; i++) {
        const struct plan_group *g = &p->groups[i];
        snprintf(who, sizeof who, "group %s", g->code);
        check_refs(c, p, kline(st, g->line, "members"), who, "members", &g->members, REF_CODE);
        check_refs(c, p, kline(st, g->line, "include"), who, "include", &g->include, REF_ANY);
        if (group_cycle(p, g, g->code, 0))
            perr(c, kline(st, g->line, "include"),
                 "%s includes itself (directly or through other groups)", who);
    }

    /* reorganisations */
    for (size_t i = 0; i < p->n_reorgs; i++) {
        const struct plan_reorg *r = &p->reorgs[i];
        snprintf(who, sizeof who, "reorganisation %s", r->id);
        check_refs(c, p, kline(st, r->line, "from"), who, "from", &r->from, REF_CODE);
        check_refs(c, p, kline(st, r->line, "to"), who, "to", &r->to, REF_ANY);
        if (r->kind == PLAN_REORG_RENAME && r->from.n == 1 && r->to.n == 1 &&
            strcmp(r->from.v[0], r->to.v[0]) == 0)
            perr(c, kline(st, r->line, "to"), "%s: a rename needs a new code in to", who);
        if (!r->effective.year)
            continue;
        char eff[16], d[16];
        fmt_date(r->effective, eff);
        for (size_t k = 0; k < r->from.n; k++) {
            const struct plan_agency *a = plan_find_agency(p, r->from.v[k]);
            if (!a || list_has(&r->to, a->code))
                continue;
            if (!a->valid_to.year) {
                perr(c, kline(st, r->line, "from"),
                     "%s: agency %s ends with this reorganisation on %s but has no "
                     "valid_to (set it to the day before)",
                     who, a->code, eff);
            } else if (plan_date_cmp(a->valid_to, r->effective) >= 0) {
                fmt_date(a->valid_to, d);
                perr(c, kline(st, r->line, "from"),
                     "%s: agency %s is still valid (valid_to %s) on the effective date %s", who,
                     a->code, d, eff);
            }
            for (size_t j = 0; j < i; j++) {
                const struct plan_reorg *o = &p->reorgs[j];
                if (list_has(&o->from, a->code) && !list_has(&o->to, a->code)) {
                    perr(c, kline(st, r->line, "from"),
                         "%s: agency %s already ends in reorganisation %s (line %d)", who, a->code,
                         o->id, o->line);
                    break;
                }
            }
        }
        for (size_t k = 0; k < r->to.n; k++) {
            const struct plan_agency *a = plan_find_agency(p, r->to.v[k]);
            if (a && !plan_agency_valid_on(a, r->effective))
                perr(c, kline(st, r->line, "to"),
                     "%s: agency %s does not exist on the effective date %s", who, a->code, eff);
        }
    }

    /* sections */
    for (size_t i = 0; i < p->n_sections; i++) {
        const struct plan_section *s = &p->sections[i];
        if (s->parent && !plan_find_section(p, s->parent))
            perr(c, s->line, "section %s: its parent section %s is not declared", s->code,
                 s->parent);
    }

    /* tasks */
    for (size_t i = 0; i < p->n_tasks; i++) {
        const struct plan_task *t = &p->tasks[i];
        snprintf(who, sizeof who, "task %s", t->code);
        if (t->section && !plan_find_section(p, t->section))
            perr(c, t->line, "%s: section %s is not declared", who, t->section);
        check_ref(c, p, kline(st, t->line, "lead"), who, "lead", t->lead, REF_ANY);
        check_refs(c, p, kline(st, t->line, "coordinating"), who, "coordinating", &t->coordinating,
                   REF_ANY);
    }

    /* indicators */
    for (size_t i = 0; i < p->n_indicators; i++) {
        const struct plan_indicator *ind = &p->indicators[i];
        snprintf(who, sizeof who, "indicator %s", ind->key);
        if (ind->task && valid_task_code(ind->task) && !plan_find_task(p, ind->task))
            perr(c, kline(st, ind->line, "task"), "%s: task %s is not declared", who, ind->task);
        check_refs(c, p, kline(st, ind->line, "reporters"), who, "reporters", &ind->reporters,
                   REF_ANY);
    }

    /* targets */
    for (size_t i = 0; i < p->n_targets; i++) {
        const struct plan_target *t = &p->targets[i];
        if (!plan_find_indicator(p, t->indicator))
            perr(c, t->line, "target %s %d: indicator %s is not declared", t->indicator, t->year,
                 t->indicator);
    }

    /* periods */
    for (size_t i = 0; i < p->n_periods; i++) {
        const struct plan_period *pd = &p->periods[i];
        if (pd->regime && !find_regime(p, pd->regime))
            perr(c, kline(st, pd->line, "regime"), "period %s: unknown period regime \"%s\"",
                 pd->key, pd->regime);
    }

    /* declared counts */
    if (st->n_declares) {
        const struct counts *d = &st->declared;
        struct {
            long declared;
            size_t actual;
            int line;
            const char *what;
        } cs[] = {{d->tasks, p->n_tasks, d->tasks_line, "tasks"},
                  {d->indicators, p->n_indicators, d->indicators_line, "indicators"},
                  {d->targets, p->n_targets, d->targets_line, "targets"},
                  {d->agencies, p->n_agencies, d->agencies_line, "agencies"},
                  {d->groups, p->n_groups, d->groups_line, "groups"},
                  {d->sections, p->n_sections, d->sections_line, "sections"},
                  {d->reorgs, p->n_reorgs, d->reorgs_line, "reorganisations"}};
        for (size_t i = 0; i < NAMES(cs); i++)
            if (cs[i].declared >= 0 && (size_t)cs[i].declared != cs[i].actual)
                perr(c, cs[i].line, "declares %s = %ld but the file has %zu %s", cs[i].what,
                     cs[i].declared, cs[i].actual, cs[i].what);
    }
}

/* ---------------------------------------------------------------- public API */

static void free_list(struct plan_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
}

static void free_number(struct plan_number *n)
{
    free(n->text);
}

void plan_free(struct plan *p)
{
    if (!p)
        return;
    struct plan_meta *m = &p->meta;
    free(m->province), free(m->title), free(m->document_number), free(m->issuer);
    free(m->signed_by), free(m->based_on), free(m->standing_agency), free(m->time_zone);
    free(m->version), free(m->version_note), free(m->preamble);
    for (size_t i = 0; i < p->n_agencies; i++) {
        struct plan_agency *a = &p->agencies[i];
        free(a->code), free(a->name), free(a->short_name), free(a->parent), free(a->note);
    }
    free(p->agencies);
    for (size_t i = 0; i < p->n_groups; i++) {
        struct plan_group *g = &p->groups[i];
        free(g->code), free(g->name);
        free_list(&g->members), free_list(&g->include);
    }
    free(p->groups);
    for (size_t i = 0; i < p->n_reorgs; i++) {
        struct plan_reorg *r = &p->reorgs[i];
        free(r->id), free(r->note);
        free_list(&r->from), free_list(&r->to);
    }
    free(p->reorgs);
    for (size_t i = 0; i < p->n_sections; i++) {
        struct plan_section *s = &p->sections[i];
        free(s->code), free(s->parent), free(s->title), free(s->text);
    }
    free(p->sections);
    for (size_t i = 0; i < p->n_tasks; i++) {
        struct plan_task *t = &p->tasks[i];
        free(t->code), free(t->section), free(t->title), free(t->text), free(t->lead);
        free(t->output), free(t->note);
        free_list(&t->coordinating);
    }
    free(p->tasks);
    for (size_t i = 0; i < p->n_indicators; i++) {
        struct plan_indicator *ind = &p->indicators[i];
        free(ind->key), free(ind->name), free(ind->unit), free(ind->numerator);
        free(ind->denominator), free(ind->task), free(ind->note);
        free_number(&ind->baseline);
        free_list(&ind->reporters);
    }
    free(p->indicators);
    for (size_t i = 0; i < p->n_targets; i++) {
        struct plan_target *t = &p->targets[i];
        free(t->indicator), free(t->qualifier), free(t->source), free(t->wording), free(t->note);
        free_number(&t->value), free_number(&t->low), free_number(&t->high);
    }
    free(p->targets);
    for (size_t i = 0; i < p->n_regimes; i++) {
        struct plan_period_regime *r = &p->regimes[i];
        free(r->key), free(r->name), free(r->time_zone), free(r->note);
    }
    free(p->regimes);
    for (size_t i = 0; i < p->n_periods; i++) {
        struct plan_period *pd = &p->periods[i];
        free(pd->key), free(pd->regime), free(pd->label);
    }
    free(p->periods);
    free(p);
}

int planfile_parse_buffer(const char *name, const char *data, size_t len, struct plan **out,
                          struct plan_errors *errs)
{
    struct ctx c = {.name = name ? name : "(plan)", .errs = errs, .first_error = errs->n};
    struct raw_file rf = {0};
    *out = NULL;
    split_blocks(&c, data, len, &rf);

    struct state st = {.c = &c};
    st.p = xcalloc(1, sizeof *st.p);
    for (size_t i = 0; i < rf.n; i++) {
        const struct raw_block *b = &rf.b[i];
        if (!b->kind)
            continue;
        if (strcmp(b->kind, "declares") == 0)
            build_declares(&st, b);
        else if (strcmp(b->kind, "plan") == 0)
            build_plan(&st, b);
        else if (strcmp(b->kind, "agency") == 0)
            build_agency(&st, b);
        else if (strcmp(b->kind, "group") == 0)
            build_group(&st, b);
        else if (strcmp(b->kind, "reorganisation") == 0)
            build_reorg(&st, b);
        else if (strcmp(b->kind, "section") == 0)
            build_section(&st, b);
        else if (strcmp(b->kind, "task") == 0)
            build_task(&st, b);
        else if (strcmp(b->kind, "indicator") == 0)
            build_indicator(&st, b);
        else if (strcmp(b->kind, "target") == 0)
            build_target(&st, b);
        else if (strcmp(b->kind, "period-regime") == 0)
            build_regime(&st, b);
        else if (strcmp(b->kind, "period") == 0)
            build_period(&st, b);
    }
    st.rf = &rf;
    cross_check(&st);
    free_raw(&rf);
    if (!st.p->meta.time_zone)
        st.p->meta.time_zone = xstrdup("Asia/Ho_Chi_Minh");
    for (size_t i = 0; i < st.p->n_regimes; i++)
        if (!st.p->regimes[i].time_zone)
            st.p->regimes[i].time_zone = xstrdup(st.p->meta.time_zone);
    sort_errors(&c);
    if (c.n_errors) {
        plan_free(st.p);
        return -1;
    }
    *out = st.p;
    return 0;
}

int planfile_parse(const char *path, struct plan **out, struct plan_errors *errs)
{
    *out = NULL;
    struct ctx c = {.name = path, .errs = errs, .first_error = errs->n};
    FILE *f = fopen(path, "rb");
    if (!f) {
        perr(&c, 0, "cannot open the file: %s", strerror(errno));
        return -1;
    }
    char *data = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            if (cap >= PLAN_MAX_FILE) {
                perr(&c, 0, "the file is larger than %u bytes", PLAN_MAX_FILE);
                free(data);
                fclose(f);
                return -1;
            }
            cap = cap ? cap * 2 : 65536;
            data = xrealloc(data, cap);
        }
        size_t n = fread(data + len, 1, cap - len, f);
        len += n;
        if (n == 0)
            break;
    }
    if (ferror(f)) {
        perr(&c, 0, "cannot read the file: %s", strerror(errno));
        free(data);
        fclose(f);
        return -1;
    }
    fclose(f);
    int rc = planfile_parse_buffer(path, data, len, out, errs);
    free(data);
    return rc;
}

/* ---------------------------------------------------------------- dates, periods, resolution */

bool plan_agency_valid_on(const struct plan_agency *a, struct plan_date day)
{
    if (a->valid_from.year && plan_date_cmp(day, a->valid_from) < 0)
        return false;
    if (a->valid_to.year && plan_date_cmp(day, a->valid_to) > 0)
        return false;
    return true;
}

int plan_period_for(const struct plan *plan, const struct plan_period_regime *regime, int year,
                    struct plan_date *window_start, struct plan_date *window_end,
                    struct plan_date *deadline)
{
    for (size_t i = 0; i < plan->n_periods; i++) {
        const struct plan_period *pd = &plan->periods[i];
        if (pd->year == year && pd->regime && strcmp(pd->regime, regime->key) == 0) {
            *window_start = pd->window_start;
            *window_end = pd->window_end;
            *deadline = pd->deadline;
            return 0;
        }
    }
    if (year < regime->first_year || year > regime->last_year)
        return -1;
    *window_start = rule_date_at(regime->window_start, year);
    *window_end = rule_date_at(regime->window_end, year);
    *deadline = rule_date_at(regime->deadline, year);
    return 0;
}

struct agency_set {
    const struct plan_agency **v;
    size_t n, cap;
};

static void set_add(struct agency_set *s, const struct plan_agency *a)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i] == a)
            return;
    s->v = grow(s->v, &s->cap, s->n, sizeof *s->v);
    s->v[s->n++] = a;
}

static void resolve_ref(const struct plan *p, const char *ref, struct plan_date day, int depth,
                        struct agency_set *out);

static void resolve_agency(const struct plan *p, const struct plan_agency *a, struct plan_date day,
                           int depth, struct agency_set *out)
{
    if (depth > PLAN_MAX_DEPTH)
        return;
    if (plan_agency_valid_on(a, day)) {
        set_add(out, a);
        return;
    }
    if (a->valid_from.year && plan_date_cmp(day, a->valid_from) < 0)
        return; /* not yet created */
    for (size_t i = 0; i < p->n_reorgs; i++) {
        const struct plan_reorg *r = &p->reorgs[i];
        if (!list_has(&r->from, a->code) || list_has(&r->to, a->code))
            continue;
        for (size_t k = 0; k < r->to.n; k++)
            resolve_ref(p, r->to.v[k], day, depth + 1, out);
    }
}

static void resolve_ref(const struct plan *p, const char *ref, struct plan_date day, int depth,
                        struct agency_set *out)
{
    if (depth > PLAN_MAX_DEPTH)
        return;
    if (ref[0] != '@') {
        const struct plan_agency *a = plan_find_agency(p, ref);
        if (a)
            resolve_agency(p, a, day, depth, out);
        return;
    }
    const struct plan_group *g = plan_find_group(p, ref);
    if (!g)
        return;
    for (size_t i = 0; i < p->n_agencies; i++) {
        const struct plan_agency *a = &p->agencies[i];
        if ((g->kinds & (1u << a->kind)) || list_has(&g->members, a->code))
            resolve_agency(p, a, day, depth + 1, out);
    }
    for (size_t i = 0; i < g->include.n; i++)
        resolve_ref(p, g->include.v[i], day, depth + 1, out);
}

static int plan_order(const struct plan *p, const struct plan_agency *a)
{
    return (int)(a - p->agencies);
}

size_t plan_resolve(const struct plan *plan, const char *ref, struct plan_date day,
                    const struct plan_agency ***out)
{
    struct agency_set s = {0};
    if (ref)
        resolve_ref(plan, ref, day, 0, &s);
    /* plan order */
    for (size_t i = 1; i < s.n; i++) {
        const struct plan_agency *a = s.v[i];
        size_t j = i;
        while (j > 0 && plan_order(plan, s.v[j - 1]) > plan_order(plan, a)) {
            s.v[j] = s.v[j - 1];
            j--;
        }
        s.v[j] = a;
    }
    *out = s.v;
    return s.n;
}
