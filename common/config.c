/* config: the table-driven `key = value` parser behind config.h. One option
 * table drives defaults, file loading, cfg_set and cfg_dump.
 *
 * File syntax, one setting per line:
 *   - blank lines and lines whose first non-blank character is `#` are ignored
 *     (there are no trailing comments on unquoted values: `#` may be in a path);
 *   - `key = value`; whitespace around key, `=` and value is ignored;
 *   - a value may be double-quoted; inside quotes `\"` and `\\` are the only
 *     escapes; after the closing quote only whitespace or a `# comment` may follow;
 *   - a key may repeat: the last one wins;
 *   - lines have no length limit; the file must be UTF-8 without NUL bytes
 *     (a UTF-8 byte order mark at the very start is skipped).
 * Values: strings are malloc'ed, an empty string is stored as NULL; sizes take
 * k/m/g (1024-based, optional "b"/"ib" after the letter); durations take ms, s,
 * m, h (no suffix = seconds) and are stored as milliseconds, so their min/max
 * are milliseconds too. min always applies to INT/SIZE/DURATION, max 0 means
 * no upper bound. cfg_defaults treats string fields as uninitialized (it does
 * not free them): call cfg_free first when reusing an object. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "utf8.h"

void cfg_set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static const struct cfg_option *find_option(const struct cfg_option *opts, const char *key)
{
    for (const struct cfg_option *o = opts; o->key; o++)
        if (strcmp(o->key, key) == 0)
            return o;
    return NULL;
}

static void *field(const struct cfg_option *o, void *obj)
{
    return (char *)obj + o->offset;
}

static const void *cfield(const struct cfg_option *o, const void *obj)
{
    return (const char *)obj + o->offset;
}

/* Unsigned decimal digits into *out; *end after the last digit. -1 when
 * there is no digit, -2 on overflow (*end still set). */
static int parse_digits(const char *s, unsigned long long *out, const char **end)
{
    if (!isdigit((unsigned char)*s))
        return -1;
    unsigned long long v = 0;
    bool overflow = false;
    for (; isdigit((unsigned char)*s); s++) {
        unsigned d = (unsigned)(*s - '0');
        if (v > (ULLONG_MAX - d) / 10)
            overflow = true;
        else
            v = v * 10 + d;
    }
    *out = v;
    *end = s;
    return overflow ? -2 : 0;
}

static int check_range(const struct cfg_option *o, long long v, char *why, size_t whylen)
{
    if (v < o->min) {
        snprintf(why, whylen, "%lld is below the minimum %ld", v, o->min);
        return -1;
    }
    if (o->max != 0 && v > o->max) {
        snprintf(why, whylen, "%lld is above the maximum %ld", v, o->max);
        return -1;
    }
    return 0;
}

static int parse_int(const struct cfg_option *o, const char *v, long *out, char *why, size_t whylen)
{
    const char *p = v;
    bool neg = false;
    if (*p == '-' || *p == '+')
        neg = *p++ == '-';
    unsigned long long u;
    const char *end;
    int rc = parse_digits(p, &u, &end);
    if (rc == -1 || *end) {
        snprintf(why, whylen, "'%s' is not an integer", v);
        return -1;
    }
    if (rc == -2 || (!neg && u > (unsigned long long)LONG_MAX) ||
        (neg && u > (unsigned long long)LONG_MAX + 1)) {
        snprintf(why, whylen, "'%s' is out of range", v);
        return -1;
    }
    long long x =
        neg ? (u == (unsigned long long)LONG_MAX + 1 ? LONG_MIN : -(long long)u) : (long long)u;
    if (check_range(o, x, why, whylen) < 0)
        return -1;
    *out = (long)x;
    return 0;
}

static int parse_bool(const char *v, bool *out, char *why, size_t whylen)
{
    static const char *const yes[] = {"yes", "true", "on", "1"};
    static const char *const no[] = {"no", "false", "off", "0"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (strcasecmp(v, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcasecmp(v, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    snprintf(why, whylen, "'%s' is not a boolean (use yes or no)", v);
    return -1;
}

static int parse_size(const struct cfg_option *o, const char *v, size_t *out, char *why,
                      size_t whylen)
{
    unsigned long long n;
    const char *end;
    int rc = parse_digits(v, &n, &end);
    if (rc == -1) {
        snprintf(why, whylen, "'%s' is not a size (e.g. 512, 64k, 4m, 1g)", v);
        return -1;
    }
    unsigned long long mult = 1;
    const char *suf = end;
    switch (tolower((unsigned char)*suf)) {
    case 'k':
        mult = 1ull << 10;
        suf++;
        break;
    case 'm':
        mult = 1ull << 20;
        suf++;
        break;
    case 'g':
        mult = 1ull << 30;
        suf++;
        break;
    default:
        break;
    }
    /* Accept "4m", "4mb", "4MiB", and "512b" for plain bytes. */
    if (mult != 1 && tolower((unsigned char)*suf) == 'i' && tolower((unsigned char)suf[1]) == 'b')
        suf += 2;
    else if (tolower((unsigned char)*suf) == 'b')
        suf++;
    if (*suf) {
        snprintf(why, whylen, "'%s' is not a size (e.g. 512, 64k, 4m, 1g)", v);
        return -1;
    }
    if (rc == -2 || n > (unsigned long long)LLONG_MAX / mult || n * mult > SIZE_MAX) {
        snprintf(why, whylen, "'%s' is too large", v);
        return -1;
    }
    if (check_range(o, (long long)(n * mult), why, whylen) < 0)
        return -1;
    *out = (size_t)(n * mult);
    return 0;
}

static int parse_duration(const struct cfg_option *o, const char *v, long *out, char *why,
                          size_t whylen)
{
    unsigned long long n;
    const char *end;
    int rc = parse_digits(v, &n, &end);
    unsigned long long mult;
    if (rc == -1)
        goto bad;
    if (*end == '\0' || strcmp(end, "s") == 0)
        mult = 1000;
    else if (strcmp(end, "ms") == 0)
        mult = 1;
    else if (strcmp(end, "m") == 0)
        mult = 60 * 1000;
    else if (strcmp(end, "h") == 0)
        mult = 3600 * 1000;
    else
        goto bad;
    if (rc == -2 || n > (unsigned long long)LONG_MAX / mult) {
        snprintf(why, whylen, "'%s' is too long", v);
        return -1;
    }
    if (check_range(o, (long long)(n * mult), why, whylen) < 0)
        return -1;
    *out = (long)(n * mult);
    return 0;
bad:
    snprintf(why, whylen, "'%s' is not a duration (e.g. 500ms, 30s, 5m, 1h)", v);
    return -1;
}

/* Parse `value` for option o and store it. 0, or -1 with the reason in why. */
static int set_value(const struct cfg_option *o, void *obj, const char *value, char *why,
                     size_t whylen)
{
    switch (o->type) {
    case CFG_STRING: {
        char *copy = NULL;
        if (*value) {
            copy = strdup(value);
            if (!copy) {
                snprintf(why, whylen, "out of memory");
                return -1;
            }
        }
        char **slot = field(o, obj);
        free(*slot);
        *slot = copy;
        return 0;
    }
    case CFG_INT: {
        long x;
        if (parse_int(o, value, &x, why, whylen) < 0)
            return -1;
        *(long *)field(o, obj) = x;
        return 0;
    }
    case CFG_BOOL: {
        bool b;
        if (parse_bool(value, &b, why, whylen) < 0)
            return -1;
        *(bool *)field(o, obj) = b;
        return 0;
    }
    case CFG_SIZE: {
        size_t s;
        if (parse_size(o, value, &s, why, whylen) < 0)
            return -1;
        *(size_t *)field(o, obj) = s;
        return 0;
    }
    case CFG_DURATION: {
        long ms;
        if (parse_duration(o, value, &ms, why, whylen) < 0)
            return -1;
        *(long *)field(o, obj) = ms;
        return 0;
    }
    }
    snprintf(why, whylen, "unknown option type");
    return -1;
}

int cfg_defaults(const struct cfg_option *opts, void *obj)
{
    char why[256];
    for (const struct cfg_option *o = opts; o->key; o++) {
        if (o->type == CFG_STRING)
            *(char **)field(o, obj) = NULL; /* uninitialized: never free here */
        const char *def = o->def;
        if (!def) {
            switch (o->type) {
            case CFG_STRING:
                break;
            case CFG_INT:
            case CFG_DURATION:
                *(long *)field(o, obj) = 0;
                break;
            case CFG_BOOL:
                *(bool *)field(o, obj) = false;
                break;
            case CFG_SIZE:
                *(size_t *)field(o, obj) = 0;
                break;
            }
            continue;
        }
        if (set_value(o, obj, def, why, sizeof why) < 0) {
            fprintf(stderr, "config: bad default for option '%s': %s\n", o->key, why);
            return -1;
        }
    }
    return 0;
}

int cfg_set(const struct cfg_option *opts, void *obj, const char *key, const char *value, char *err,
            size_t errlen)
{
    const struct cfg_option *o = find_option(opts, key);
    if (!o) {
        cfg_set_err(err, errlen, "unknown option '%s'", key);
        return -1;
    }
    char why[256];
    if (set_value(o, obj, value ? value : "", why, sizeof why) < 0) {
        cfg_set_err(err, errlen, "option '%s': %s", key, why);
        return -1;
    }
    return 0;
}

static bool is_key_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '-' || c == '.';
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* One line (without its '\n', may be modified in place, NUL-terminated at
 * line[len]). 0, or -1 with "name:lineno: ..." in err. */
static int parse_line(const struct cfg_option *opts, void *obj, char *line, size_t len,
                      const char *name, unsigned long lineno, char *err, size_t errlen)
{
    if (memchr(line, '\0', len)) {
        cfg_set_err(err, errlen, "%s:%lu: NUL byte in the file", name, lineno);
        return -1;
    }
    if (utf8_valid_prefix((const unsigned char *)line, len) != len) {
        cfg_set_err(err, errlen, "%s:%lu: invalid UTF-8", name, lineno);
        return -1;
    }
    if (lineno == 1 && len >= 3 && memcmp(line, "\xef\xbb\xbf", 3) == 0) {
        line += 3;
        len -= 3;
    }
    while (len > 0 && is_blank(line[len - 1]))
        line[--len] = '\0';
    char *p = line;
    while (is_blank(*p))
        p++;
    if (*p == '\0' || *p == '#')
        return 0;

    char *key = p;
    while (is_key_char(*p))
        p++;
    char *key_end = p;
    while (is_blank(*p))
        p++;
    if (key_end == key || *p != '=') {
        cfg_set_err(err, errlen, "%s:%lu: expected 'key = value'", name, lineno);
        return -1;
    }
    *key_end = '\0';
    p++;
    while (is_blank(*p))
        p++;

    char *value = p;
    if (*p == '"') {
        /* Unescape in place: the output never outruns the input. */
        char *w = value;
        p++;
        for (;;) {
            if (*p == '\0') {
                cfg_set_err(err, errlen, "%s:%lu: option '%s': missing closing quote", name, lineno,
                            key);
                return -1;
            }
            if (*p == '"')
                break;
            if (*p == '\\') {
                if (p[1] != '"' && p[1] != '\\') {
                    cfg_set_err(
                        err, errlen,
                        "%s:%lu: option '%s': unknown escape (only \\\" and \\\\ are allowed)",
                        name, lineno, key);
                    return -1;
                }
                p++;
            }
            *w++ = *p++;
        }
        p++; /* closing quote */
        while (is_blank(*p))
            p++;
        if (*p != '\0' && *p != '#') {
            cfg_set_err(err, errlen, "%s:%lu: option '%s': text after the closing quote", name,
                        lineno, key);
            return -1;
        }
        *w = '\0';
    }

    char msg[512];
    if (cfg_set(opts, obj, key, value, msg, sizeof msg) < 0) {
        cfg_set_err(err, errlen, "%s:%lu: %s", name, lineno, msg);
        return -1;
    }
    return 0;
}

int cfg_load_file(const struct cfg_option *opts, void *obj, const char *path, char *err,
                  size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        cfg_set_err(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    unsigned long lineno = 0;
    int rc = 0;
    errno = 0;
    while ((n = getline(&line, &cap, f)) >= 0) {
        lineno++;
        size_t len = (size_t)n;
        if (len > 0 && line[len - 1] == '\n')
            line[--len] = '\0';
        if (parse_line(opts, obj, line, len, path, lineno, err, errlen) < 0) {
            rc = -1;
            goto out;
        }
        errno = 0;
    }
    if (ferror(f)) {
        cfg_set_err(err, errlen, "%s:%lu: %s", path, lineno + 1, strerror(errno ? errno : EIO));
        rc = -1;
    }
out:
    free(line);
    fclose(f);
    return rc;
}

int cfg_load_string(const struct cfg_option *opts, void *obj, const char *text, const char *name,
                    char *err, size_t errlen)
{
    const char *p = text;
    unsigned long lineno = 0;
    while (*p) {
        lineno++;
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        char *line = malloc(len + 1);
        if (!line) {
            cfg_set_err(err, errlen, "%s:%lu: out of memory", name, lineno);
            return -1;
        }
        memcpy(line, p, len);
        line[len] = '\0';
        int rc = parse_line(opts, obj, line, len, name, lineno, err, errlen);
        free(line);
        if (rc < 0)
            return -1;
        p += len + (nl ? 1 : 0);
    }
    return 0;
}

static void dump_size(size_t v, FILE *out)
{
    static const struct {
        size_t mult;
        const char *suffix;
    } units[] = {{1ull << 30, "g"}, {1ull << 20, "m"}, {1ull << 10, "k"}};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (v != 0 && v % units[i].mult == 0) {
            fprintf(out, "%zu%s", v / units[i].mult, units[i].suffix);
            return;
        }
    }
    fprintf(out, "%zu", v);
}

static void dump_duration(long ms, FILE *out)
{
    if (ms != 0 && ms % 3600000 == 0)
        fprintf(out, "%ldh", ms / 3600000);
    else if (ms != 0 && ms % 60000 == 0)
        fprintf(out, "%ldm", ms / 60000);
    else if (ms % 1000 == 0)
        fprintf(out, "%lds", ms / 1000);
    else
        fprintf(out, "%ldms", ms);
}

void cfg_dump(const struct cfg_option *opts, const void *obj, FILE *out)
{
    for (const struct cfg_option *o = opts; o->key; o++) {
        if (o->help)
            fprintf(out, "# %s\n", o->help);
        fprintf(out, "%s = ", o->key);
        switch (o->type) {
        case CFG_STRING: {
            const char *s = *(char *const *)cfield(o, obj);
            fputc('"', out);
            for (; s && *s; s++) {
                if (*s == '"' || *s == '\\')
                    fputc('\\', out);
                fputc(*s, out);
            }
            fputc('"', out);
            break;
        }
        case CFG_INT:
            fprintf(out, "%ld", *(const long *)cfield(o, obj));
            break;
        case CFG_BOOL:
            fputs(*(const bool *)cfield(o, obj) ? "yes" : "no", out);
            break;
        case CFG_SIZE:
            dump_size(*(const size_t *)cfield(o, obj), out);
            break;
        case CFG_DURATION:
            dump_duration(*(const long *)cfield(o, obj), out);
            break;
        }
        fputc('\n', out);
    }
}

void cfg_free(const struct cfg_option *opts, void *obj)
{
    for (const struct cfg_option *o = opts; o->key; o++) {
        if (o->type == CFG_STRING) {
            char **slot = field(o, obj);
            free(*slot);
            *slot = NULL;
        }
    }
}
