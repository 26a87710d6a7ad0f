/* output: stderr messages, JSON and aligned tables for the client (see output.h). */
#include "output.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

#include "exit_codes.h"
#include "i18n.h"

static int verbose_level;

void out_set_verbose(int level)
{
    verbose_level = level;
}

int out_verbose_level(void)
{
    return verbose_level;
}

static void vsay(const char *prefix, const char *fmt, va_list ap)
{
    fflush(stdout);
    fputs("tamnong: ", stderr);
    if (prefix)
        fputs(prefix, stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void out_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsay(NULL, fmt, ap);
    va_end(ap);
}

void out_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    /* TRANSLATORS: prefix of a warning line, keep the trailing space. */
    vsay(_("warning: "), fmt, ap);
    va_end(ap);
}

void out_log(int priority, const char *fmt, ...)
{
    char line[2048];
    int off = 0;
    if (!isatty(STDERR_FILENO))
        off = snprintf(line, sizeof line, "<%d>", priority < 0 || priority > 7 ? 3 : priority);
    off += snprintf(line + off, sizeof line - (size_t)off, "tamnong: ");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line + off, sizeof line - (size_t)off, fmt, ap);
    va_end(ap);
    fflush(stdout);
    /* One write per line, so that lines of two runs never interleave. */
    fprintf(stderr, "%s\n", line);
    fflush(stderr);
}

void out_verbose(const char *fmt, ...)
{
    if (verbose_level <= 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsay(NULL, fmt, ap);
    va_end(ap);
}

int out_json(const json_t *v)
{
    size_t flags = JSON_REAL_PRECISION(12);
    if (isatty(STDOUT_FILENO))
        flags |= JSON_INDENT(2);
    else
        flags |= JSON_COMPACT;
    char *s = json_dumps(v, flags);
    if (!s)
        return -1;
    int rc = (fputs(s, stdout) == EOF || fputc('\n', stdout) == EOF) ? -1 : 0;
    free(s);
    if (fflush(stdout) != 0)
        rc = -1;
    return rc;
}

void out_iso8601_utc(int64_t ms, char *buf, size_t len)
{
    time_t t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    int frac = (int)(ms - (int64_t)t * 1000);
    struct tm tm;
    if (!gmtime_r(&t, &tm)) {
        snprintf(buf, len, "?");
        return;
    }
    char base[32];
    strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, len, "%s.%03dZ", base, frac);
}

void out_local_time(int64_t ms, char *buf, size_t len)
{
    time_t t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    struct tm tm;
    if (!localtime_r(&t, &tm) || strftime(buf, len, "%Y-%m-%d %H:%M:%S %z", &tm) == 0)
        snprintf(buf, len, "?");
}

size_t out_width(const char *s)
{
    size_t width = 0;
    mbstate_t st;
    memset(&st, 0, sizeof st);
    size_t left = strlen(s);
    while (left > 0) {
        wchar_t wc;
        size_t n = mbrtowc(&wc, s, left, &st);
        if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
            /* Not decodable in this locale (e.g. LANG=C): assume UTF-8 and
             * count one column per character. */
            memset(&st, 0, sizeof st);
            if (((unsigned char)*s & 0xc0) != 0x80)
                width++;
            s++;
            left--;
            continue;
        }
        int w = wcwidth(wc);
        if (w > 0)
            width += (size_t)w;
        s += n;
        left -= n;
    }
    return width;
}

void out_pad(FILE *f, const char *s, size_t width)
{
    fputs(s, f);
    for (size_t w = out_width(s); w < width; w++)
        fputc(' ', f);
}

struct out_table {
    size_t ncols;
    size_t nrows, cap;
    char **cells; /* nrows * ncols */
    bool *right;
};

struct out_table *out_table_new(size_t ncols)
{
    if (ncols == 0)
        return NULL;
    struct out_table *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->ncols = ncols;
    t->right = calloc(ncols, sizeof *t->right);
    if (!t->right) {
        free(t);
        return NULL;
    }
    return t;
}

void out_table_align_right(struct out_table *t, size_t col)
{
    if (t && col < t->ncols)
        t->right[col] = true;
}

int out_table_add(struct out_table *t, const char *const *cells)
{
    if (!t)
        return -1;
    if (t->nrows == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 8;
        char **c = realloc(t->cells, cap * t->ncols * sizeof *c);
        if (!c)
            return -1;
        t->cells = c;
        t->cap = cap;
    }
    char **row = t->cells + t->nrows * t->ncols;
    for (size_t i = 0; i < t->ncols; i++) {
        row[i] = strdup(cells[i] ? cells[i] : "");
        if (!row[i]) {
            while (i-- > 0)
                free(row[i]);
            return -1;
        }
    }
    t->nrows++;
    return 0;
}

int out_table_addv(struct out_table *t, ...)
{
    if (!t)
        return -1;
    const char **cells = calloc(t->ncols, sizeof *cells);
    if (!cells)
        return -1;
    va_list ap;
    va_start(ap, t);
    for (size_t i = 0; i < t->ncols; i++)
        cells[i] = va_arg(ap, const char *);
    va_end(ap);
    int rc = out_table_add(t, cells);
    free(cells);
    return rc;
}

void out_table_print(const struct out_table *t, FILE *f)
{
    if (!t)
        return;
    size_t *w = calloc(t->ncols, sizeof *w);
    if (!w)
        return;
    for (size_t r = 0; r < t->nrows; r++)
        for (size_t c = 0; c < t->ncols; c++) {
            size_t cw = out_width(t->cells[r * t->ncols + c]);
            if (cw > w[c])
                w[c] = cw;
        }
    for (size_t r = 0; r < t->nrows; r++) {
        for (size_t c = 0; c < t->ncols; c++) {
            const char *s = t->cells[r * t->ncols + c];
            bool last = c + 1 == t->ncols;
            if (c > 0)
                fputs("  ", f);
            if (t->right[c]) {
                for (size_t k = out_width(s); k < w[c]; k++)
                    fputc(' ', f);
                fputs(s, f);
            } else if (last) {
                fputs(s, f);
            } else {
                out_pad(f, s, w[c]);
            }
        }
        fputc('\n', f);
    }
    free(w);
}

void out_table_free(struct out_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->nrows * t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    free(t->right);
    free(t);
}

int out_json_answer(json_t *doc, bool bad)
{
    if (!doc || bad) {
        json_decref(doc);
        out_error(_("The server's answer contains text that is not valid UTF-8."));
        return TN_EXIT_SOFTWARE;
    }
    int rc = out_json(doc);
    json_decref(doc);
    return rc == 0 ? TN_EXIT_OK : TN_EXIT_SOFTWARE;
}

json_t *out_jstr_or_null(const char *s)
{
    return s && *s ? json_string(s) : json_null();
}

json_t *out_jtime_or_null(int64_t ms)
{
    if (ms <= 0)
        return json_null();
    char t[64];
    out_iso8601_utc(ms, t, sizeof t);
    return json_string(t);
}

void out_jset(json_t *o, const char *key, json_t *v, bool *bad)
{
    if (!v || json_object_set_new(o, key, v) != 0)
        *bad = true;
}

void out_deadline_day(const char *deadline, int64_t deadline_at_ms, int64_t ms, char *buf,
                      size_t len)
{
    int y, m, d;
    if (!deadline || ms <= 0 || sscanf(deadline, "%4d-%2d-%2d", &y, &m, &d) != 3) {
        snprintf(buf, len, "—");
        return;
    }
    int64_t diff = ms - deadline_at_ms;
    long days = (long)((diff + (diff >= 0 ? 43200000 : -43200000)) / 86400000);
    struct tm tm = {.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d + (int)days, .tm_hour = 12};
    time_t t = timegm(&tm);
    if (!gmtime_r(&t, &tm) || strftime(buf, len, "%Y-%m-%d", &tm) == 0)
        snprintf(buf, len, "—");
}
