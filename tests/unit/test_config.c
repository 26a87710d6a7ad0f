/* test_config: the `key = value` parser of common/config.c, driven through a
 * local option table (cfg_load_string, cfg_load_file on a temp file, cfg_set,
 * cfg_dump round-trip). */
#include <stdbool.h>
#include <stddef.h>
#include <unistd.h>

#include "config.h"
#include "unit.h"

struct tcfg {
    char *name;
    char *path;
    long count;
    long anyint;
    bool flag;
    size_t size;
    long timeout_ms;
};

static const struct cfg_option topts[] = {
    {"name", CFG_STRING, offsetof(struct tcfg, name), "default name", 0, 0, "a name"},
    {"path", CFG_STRING, offsetof(struct tcfg, path), NULL, 0, 0, "a path"},
    {"count", CFG_INT, offsetof(struct tcfg, count), "5", 1, 100, "a count"},
    {"anyint", CFG_INT, offsetof(struct tcfg, anyint), "0", -1000, 0, "min only"},
    {"flag", CFG_BOOL, offsetof(struct tcfg, flag), "no", 0, 0, "a flag"},
    {"size", CFG_SIZE, offsetof(struct tcfg, size), "4m", 1, 0, "a size"},
    {"timeout", CFG_DURATION, offsetof(struct tcfg, timeout_ms), "30s", 0, 3600000, "a timeout"},
    {NULL, CFG_STRING, 0, NULL, 0, 0, NULL},
};

static char err[512];

/* Load text into a fresh defaulted config; returns cfg_load_string's result. */
static int load(struct tcfg *c, const char *text)
{
    memset(c, 0, sizeof *c);
    err[0] = '\0';
    if (cfg_defaults(topts, c) != 0)
        return -2;
    return cfg_load_string(topts, c, text, "t.conf", err, sizeof err);
}

TEST(defaults)
{
    struct tcfg c;
    CHECK_EQ_INT(load(&c, ""), 0);
    CHECK_EQ_STR(c.name, "default name");
    CHECK(c.path == NULL);
    CHECK_EQ_INT(c.count, 5);
    CHECK_EQ_INT(c.flag, 0);
    CHECK_EQ_INT(c.size, 4 * 1024 * 1024);
    CHECK_EQ_INT(c.timeout_ms, 30000);
    cfg_free(topts, &c);
    CHECK(c.name == NULL);
}

TEST(basic_syntax)
{
    struct tcfg c;
    int rc = load(&c, "# a comment\n"
                      "\n"
                      "   \t\n"
                      "  # indented comment\n"
                      "name=plain\n"
                      "  count   =   7   \n"
                      "flag = yes\t\r\n"
                      "path = /a/b#c d  \n");
    CHECK_EQ_INT(rc, 0);
    CHECK_EQ_STR(c.name, "plain");
    CHECK_EQ_INT(c.count, 7);
    CHECK_EQ_INT(c.flag, 1);
    CHECK_EQ_STR(c.path, "/a/b#c d");
    cfg_free(topts, &c);
}

TEST(no_trailing_newline)
{
    struct tcfg c;
    CHECK_EQ_INT(load(&c, "count = 9"), 0);
    CHECK_EQ_INT(c.count, 9);
    cfg_free(topts, &c);
}

TEST(quotes_and_escapes)
{
    struct tcfg c;
    int rc = load(&c, "name = \"  spaced \\\"quoted\\\" back\\\\slash  \"  # trailing comment\n"
                      "path = \"\"\n");
    CHECK_EQ_INT(rc, 0);
    CHECK_EQ_STR(c.name, "  spaced \"quoted\" back\\slash  ");
    CHECK(c.path == NULL); /* empty string is stored as NULL */
    cfg_free(topts, &c);

    CHECK_EQ_INT(load(&c, "name = \"unterminated\n"), -1);
    CHECK_EQ_STR(err, "t.conf:1: option 'name': missing closing quote");
    cfg_free(topts, &c);
    CHECK_EQ_INT(load(&c, "\nname = \"bad \\n escape\"\n"), -1);
    CHECK(strncmp(err, "t.conf:2: option 'name': unknown escape", 39) == 0);
    cfg_free(topts, &c);
    CHECK_EQ_INT(load(&c, "name = \"a\" b\n"), -1);
    CHECK_EQ_STR(err, "t.conf:1: option 'name': text after the closing quote");
    cfg_free(topts, &c);
}

TEST(unknown_key_and_syntax)
{
    struct tcfg c;
    CHECK_EQ_INT(load(&c, "count = 3\n\nbogus = 1\n"), -1);
    CHECK_EQ_STR(err, "t.conf:3: unknown option 'bogus'");
    cfg_free(topts, &c);
    CHECK_EQ_INT(load(&c, "count 3\n"), -1);
    CHECK_EQ_STR(err, "t.conf:1: expected 'key = value'");
    cfg_free(topts, &c);
    CHECK_EQ_INT(load(&c, "= 3\n"), -1);
    CHECK_EQ_STR(err, "t.conf:1: expected 'key = value'");
    cfg_free(topts, &c);
}

TEST(duplicates_last_wins)
{
    struct tcfg c;
    /* Strings overwritten: the first copy must be freed (ASan checks leaks). */
    CHECK_EQ_INT(load(&c, "name = one\nname = two\ncount = 2\ncount = 3\n"), 0);
    CHECK_EQ_STR(c.name, "two");
    CHECK_EQ_INT(c.count, 3);
    cfg_free(topts, &c);
}

TEST(ints)
{
    struct tcfg c;
    CHECK_EQ_INT(load(&c, "count = 1\nanyint = -1000\n"), 0);
    CHECK_EQ_INT(c.count, 1);
    CHECK_EQ_INT(c.anyint, -1000);
    cfg_free(topts, &c);
    CHECK_EQ_INT(load(&c, "count = 100\nanyint = 99999999999\n"), 0); /* max 0 = unbounded */
    CHECK_EQ_INT(c.count, 100);
    CHECK_EQ_INT(c.anyint, 99999999999LL);
    cfg_free(topts, &c);
    CHECK_EQ_INT(load(&c, "count = 0\n"), -1);
    CHECK_EQ_STR(err, "t.conf:1: option 'count': 0 is below the minimum 1");
    cfg_free(topts, &c);
    CHECK_EQ_INT(load(&c, "count = 101\n"), -1);
    CHECK_EQ_STR(err, "t.conf:1: option 'count': 101 is above the maximum 100");
    cfg_free(topts, &c);
    CHECK_EQ_INT(load(&c, "anyint = -1001\n"), -1);
    cfg_free(topts, &c);
    CHECK_EQ_INT(load(&c, "count = 12abc\n"), -1);
    CHECK_EQ_STR(err, "t.conf:1: option 'count': '12abc' is not an integer");
    cfg_free(topts, &c);
    CHECK_EQ_INT(load(&c, "count =\n"), -1);
    cfg_free(topts, &c);
    CHECK_EQ_INT(load(&c, "anyint = 99999999999999999999999\n"), -1);
    CHECK(strstr(err, "out of range") != NULL);
    cfg_free(topts, &c);
}

TEST(bools)
{
    static const char *const yes[] = {"yes", "true", "on", "1", "YES", "True"};
    static const char *const no[] = {"no", "false", "off", "0", "NO", "Off"};
    struct tcfg c;
    char text[64];
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        snprintf(text, sizeof text, "flag = %s\n", yes[i]);
        CHECK_EQ_INT(load(&c, text), 0);
        CHECK_EQ_INT(c.flag, 1);
        cfg_free(topts, &c);
        snprintf(text, sizeof text, "flag = yes\nflag = %s\n", no[i]);
        CHECK_EQ_INT(load(&c, text), 0);
        CHECK_EQ_INT(c.flag, 0);
        cfg_free(topts, &c);
    }
    CHECK_EQ_INT(load(&c, "flag = maybe\n"), -1);
    CHECK(strstr(err, "t.conf:1: option 'flag': 'maybe' is not a boolean") == err);
    cfg_free(topts, &c);
}

TEST(sizes)
{
    static const struct {
        const char *text;
        size_t want;
    } ok[] = {
        {"1", 1},         {"512", 512},     {"64k", 65536},     {"64K", 65536},
        {"4m", 4u << 20}, {"4M", 4u << 20}, {"1g", 1u << 30},   {"4MiB", 4u << 20},
        {"16kb", 16384},  {"100b", 100},    {"2G", 2ull << 30},
    };
    struct tcfg c;
    char text[64];
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        snprintf(text, sizeof text, "size = %s\n", ok[i].text);
        CHECK_EQ_INT(load(&c, text), 0);
        CHECK_EQ_INT(c.size, ok[i].want);
        cfg_free(topts, &c);
    }
    static const char *const bad[] = {
        "0", "-1", "k", "4x", "4 m", "4mm", "1.5m", "99999999999999999999", "9999999999999g"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(text, sizeof text, "size = %s\n", bad[i]);
        CHECK_EQ_INT(load(&c, text), -1);
        CHECK(strncmp(err, "t.conf:1: option 'size': ", 25) == 0);
        cfg_free(topts, &c);
    }
}

TEST(durations)
{
    static const struct {
        const char *text;
        long want_ms;
    } ok[] = {
        {"0", 0},       {"10", 10000},   {"10s", 10000}, {"250ms", 250},
        {"5m", 300000}, {"1h", 3600000}, {"0ms", 0},
    };
    struct tcfg c;
    char text[64];
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        snprintf(text, sizeof text, "timeout = %s\n", ok[i].text);
        CHECK_EQ_INT(load(&c, text), 0);
        CHECK_EQ_INT(c.timeout_ms, ok[i].want_ms);
        cfg_free(topts, &c);
    }
    static const char *const bad[] = {
        "2h", "-1s", "1d", "s", "1.5s", "10 s", "99999999999999999999h"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(text, sizeof text, "timeout = %s\n", bad[i]);
        CHECK_EQ_INT(load(&c, text), -1);
        CHECK(strncmp(err, "t.conf:1: option 'timeout': ", 28) == 0);
        cfg_free(topts, &c);
    }
}

TEST(cfg_set_direct)
{
    struct tcfg c;
    CHECK_EQ_INT(load(&c, ""), 0);
    CHECK_EQ_INT(cfg_set(topts, &c, "count", "42", err, sizeof err), 0);
    CHECK_EQ_INT(c.count, 42);
    CHECK_EQ_INT(cfg_set(topts, &c, "name", "x", err, sizeof err), 0);
    CHECK_EQ_STR(c.name, "x");
    CHECK_EQ_INT(cfg_set(topts, &c, "nope", "1", err, sizeof err), -1);
    CHECK_EQ_STR(err, "unknown option 'nope'");
    CHECK_EQ_INT(cfg_set(topts, &c, "count", "x", err, sizeof err), -1);
    CHECK_EQ_STR(err, "option 'count': 'x' is not an integer");
    cfg_free(topts, &c);
}

TEST(bad_bytes)
{
    struct tcfg c;
    CHECK_EQ_INT(load(&c, "count = 1\nname = \xff\xfe\n"), -1);
    CHECK_EQ_STR(err, "t.conf:2: invalid UTF-8");
    cfg_free(topts, &c);
    CHECK_EQ_INT(load(&c, "name = \xc0\xaf\n"), -1); /* overlong '/' */
    CHECK_EQ_STR(err, "t.conf:1: invalid UTF-8");
    cfg_free(topts, &c);
    CHECK_EQ_INT(load(&c, "name = \xed\xa0\x80\n"), -1); /* surrogate */
    cfg_free(topts, &c);
    CHECK_EQ_INT(load(&c, "name = \xe2\x82\n"), -1); /* truncated sequence */
    cfg_free(topts, &c);
    /* Valid multi-byte UTF-8 and a leading byte order mark are fine. */
    CHECK_EQ_INT(load(&c, "\xef\xbb\xbfname = Tam N\xc3\xb4ng \xe2\x82\xac \xf0\x9f\x8c\xbe\n"), 0);
    CHECK_EQ_STR(c.name, "Tam N\xc3\xb4ng \xe2\x82\xac \xf0\x9f\x8c\xbe");
    cfg_free(topts, &c);
}

/* Write `len` bytes to a fresh temp file; its path in path (size >= 32). */
static int write_temp(char *path, const char *data, size_t len)
{
    strcpy(path, "/tmp/test_config.XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0)
        return -1;
    ssize_t n = write(fd, data, len);
    close(fd);
    return n == (ssize_t)len ? 0 : -1;
}

TEST(file_load_long_lines_and_nul)
{
    /* A value far longer than any fixed line buffer. */
    size_t big = 200000;
    char *text = malloc(big + 64);
    CHECK(text != NULL);
    size_t n = (size_t)sprintf(text, "# comment\ncount = 8\npath = ");
    memset(text + n, 'a', big);
    n += big;
    n += (size_t)sprintf(text + n, "\n");
    char path[64];
    int wrc = write_temp(path, text, n);
    free(text);
    CHECK_EQ_INT(wrc, 0);

    struct tcfg c;
    memset(&c, 0, sizeof c);
    CHECK_EQ_INT(cfg_defaults(topts, &c), 0);
    int rc = cfg_load_file(topts, &c, path, err, sizeof err);
    unlink(path);
    CHECK_EQ_INT(rc, 0);
    CHECK_EQ_INT(c.count, 8);
    CHECK(c.path != NULL);
    CHECK_EQ_INT(strlen(c.path), big);
    cfg_free(topts, &c);

    /* A NUL byte in the middle of line 2. */
    static const char withnul[] = "count = 8\nname = a\0b\n";
    CHECK_EQ_INT(write_temp(path, withnul, sizeof withnul - 1), 0);
    CHECK_EQ_INT(cfg_defaults(topts, &c), 0);
    rc = cfg_load_file(topts, &c, path, err, sizeof err);
    CHECK_EQ_INT(rc, -1);
    char want[128];
    snprintf(want, sizeof want, "%s:2: NUL byte in the file", path);
    unlink(path);
    CHECK_EQ_STR(err, want);
    cfg_free(topts, &c);

    /* Error messages carry the path and the line. */
    static const char bad[] = "\n\ncount = 500\n";
    CHECK_EQ_INT(write_temp(path, bad, sizeof bad - 1), 0);
    CHECK_EQ_INT(cfg_defaults(topts, &c), 0);
    rc = cfg_load_file(topts, &c, path, err, sizeof err);
    snprintf(want, sizeof want, "%s:3: option 'count': 500 is above the maximum 100", path);
    unlink(path);
    CHECK_EQ_INT(rc, -1);
    CHECK_EQ_STR(err, want);
    cfg_free(topts, &c);

    CHECK_EQ_INT(cfg_load_file(topts, &c, "/nonexistent/tamnong.conf", err, sizeof err), -1);
    CHECK(strncmp(err, "/nonexistent/tamnong.conf: ", 27) == 0);
}

TEST(dump_round_trip)
{
    struct tcfg a, b;
    CHECK_EQ_INT(load(&a, "name = \"we \\\"quote\\\" and \\\\\"\n"
                          "path = /srv/x\n"
                          "count = 17\nanyint = -3\nflag = on\nsize = 65537\n"
                          "timeout = 1500ms\n"),
                 0);
    char *out = NULL;
    size_t outlen = 0;
    FILE *f = open_memstream(&out, &outlen);
    CHECK(f != NULL);
    cfg_dump(topts, &a, f);
    fclose(f);
    int rc = load(&b, out);
    if (rc != 0)
        fprintf(stderr, "dump:\n%s\nerror: %s\n", out, err);
    CHECK_EQ_INT(rc, 0);
    CHECK_EQ_STR(b.name, a.name);
    CHECK_EQ_STR(b.path, a.path);
    CHECK_EQ_INT(b.count, a.count);
    CHECK_EQ_INT(b.anyint, a.anyint);
    CHECK_EQ_INT(b.flag, a.flag);
    CHECK_EQ_INT(b.size, a.size);
    CHECK_EQ_INT(b.timeout_ms, a.timeout_ms);
    CHECK(strstr(out, "# a count\ncount = 17\n") != NULL);
    CHECK(strstr(out, "timeout = 1500ms\n") != NULL);
    free(out);
    cfg_free(topts, &a);
    cfg_free(topts, &b);

    /* Defaults dump with units and an empty string as "". */
    CHECK_EQ_INT(load(&a, "timeout = 2m\n"), 0);
    f = open_memstream(&out, &outlen);
    CHECK(f != NULL);
    cfg_dump(topts, &a, f);
    fclose(f);
    CHECK(strstr(out, "path = \"\"\n") != NULL);
    CHECK(strstr(out, "size = 4m\n") != NULL);
    CHECK(strstr(out, "timeout = 2m\n") != NULL);
    CHECK(strstr(out, "flag = no\n") != NULL);
    free(out);
    cfg_free(topts, &a);
}

UNIT_MAIN(T(defaults), T(basic_syntax), T(no_trailing_newline), T(quotes_and_escapes),
          T(unknown_key_and_syntax), T(duplicates_last_wins), T(ints), T(bools), T(sizes),
          T(durations), T(cfg_set_direct), T(bad_bytes), T(file_load_long_lines_and_nul),
          T(dump_round_trip))
