/* config: one declarative table of options per program; the file loader, the
 * defaults, --check-config and the documentation check all walk the same
 * table (the Redis config.c idea). File syntax: `key = value` lines, `#`
 * comments, blank lines; values may be double-quoted. Unknown keys, bad
 * values and values out of range are errors with the line number. */
#ifndef TAMNONG_CONFIG_H
#define TAMNONG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum cfg_type {
    CFG_STRING,   /* char *, malloc'ed, freed by cfg_free */
    CFG_INT,      /* long; min/max apply */
    CFG_BOOL,     /* bool: yes/no, true/false, on/off, 1/0 */
    CFG_SIZE,     /* size_t, with optional suffix k/K, m/M, g/G (powers of 1024) */
    CFG_DURATION, /* long milliseconds, suffix ms, s, m, h (no suffix = seconds) */
};

struct cfg_option {
    const char *key;
    enum cfg_type type;
    size_t offset;    /* offsetof(struct your_config, field) */
    const char *def;  /* default, as it would be written in the file; NULL = empty */
    long min, max;    /* for CFG_INT, CFG_SIZE, CFG_DURATION (max 0 = no max) */
    const char *help; /* one line, used in --help and docs */
};

/* Set every option to its default. 0 or -1 (bad default: a programming error). */
int cfg_defaults(const struct cfg_option *opts, void *obj);
/* Set one option from text. 0, or -1 with a message in err. */
int cfg_set(const struct cfg_option *opts, void *obj, const char *key, const char *value, char *err,
            size_t errlen);
/* Load a file over the current values. 0, or -1 with "path:line: message" in err. */
int cfg_load_file(const struct cfg_option *opts, void *obj, const char *path, char *err,
                  size_t errlen);
/* Load from a string (tests); `name` is used in messages. */
int cfg_load_string(const struct cfg_option *opts, void *obj, const char *text, const char *name,
                    char *err, size_t errlen);
/* Write the effective configuration as a loadable file. */
void cfg_dump(const struct cfg_option *opts, const void *obj, FILE *out);
void cfg_free(const struct cfg_option *opts, void *obj);
/* printf into err[errlen] (nothing when err is NULL or errlen 0): how the
 * loaders built on this parser report their own errors. */
void cfg_set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
