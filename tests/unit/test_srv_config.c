/* test_srv_config: tamnongd's configuration: defaults, overrides from a
 * file, errors with line numbers, ranges, and that every option is
 * documented in deploy/tamnongd.conf.example (run from the repository
 * root, as tests/run.sh does). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "srv_config.h"
#include "unit.h"

#define EXAMPLE "deploy/tamnongd.conf.example"

static char tmp_path[64];

/* Write text to a fresh temporary file; returns its path. */
static const char *write_tmp(const char *text)
{
    snprintf(tmp_path, sizeof tmp_path, "/tmp/test_srv_config.XXXXXX");
    int fd = mkstemp(tmp_path);
    if (fd < 0)
        return NULL;
    size_t n = strlen(text);
    if (write(fd, text, n) != (ssize_t)n) {
        close(fd);
        return NULL;
    }
    close(fd);
    return tmp_path;
}

/* Load text as a config file; 0 or -1 with err filled. */
static int load_text(struct srv_config *c, const char *text, char *err, size_t errlen)
{
    const char *path = write_tmp(text);
    if (!path) {
        snprintf(err, errlen, "cannot write temp file");
        return -2;
    }
    int rc = srv_config_load(c, path, err, errlen);
    unlink(path);
    return rc;
}

TEST(defaults)
{
    struct srv_config c;
    char err[512] = "";
    CHECK_EQ_INT(srv_config_load(&c, NULL, err, sizeof err), 0);
    CHECK_EQ_STR(c.listen_address, "0.0.0.0");
    CHECK_EQ_INT(c.listen_port, 7443);
    CHECK_EQ_STR(c.ops_address, "127.0.0.1");
    CHECK_EQ_INT(c.ops_port, 7444);
    CHECK_EQ_INT(c.max_frame, 4 * 1024 * 1024);
    CHECK_EQ_INT(c.preauth_max_frame, 16 * 1024);
    CHECK_EQ_INT(c.max_inflight, 64);
    CHECK_EQ_INT(c.max_connections, 10000);
    CHECK_EQ_INT(c.max_write_queue, 8 * 1024 * 1024);
    CHECK_EQ_INT(c.handshake_timeout_ms, 10000);
    CHECK_EQ_INT(c.idle_timeout_ms, 300000);
    CHECK_EQ_INT(c.default_deadline_ms, 30000);
    CHECK_EQ_INT(c.drain_timeout_ms, 20000);
    CHECK_EQ_INT(c.db_pool_size, 4);
    CHECK_EQ_INT(c.db_connect_timeout_ms, 5000);
    CHECK_EQ_INT(c.db_reconnect_max_ms, 5000);
    CHECK_EQ_STR(c.migrations_dir, "/usr/local/share/tamnong/migrations");
    CHECK(c.migrate_on_start);
    CHECK_EQ_STR(c.log_level, "info");
    CHECK_EQ_STR(c.tls_ca_file, "/etc/tamnong/ca.pem");
    CHECK_EQ_STR(c.tls_crl_file, "/etc/tamnong/crl.pem");
    srv_config_free(&c);
}

TEST(overrides)
{
    struct srv_config c;
    char err[512] = "";
    int rc = load_text(&c,
                       "# test\n"
                       "listen_address = 127.0.0.1\n"
                       "listen_port = 17443\n"
                       "ops_port = 0\n"
                       "max_frame = 1m\n"
                       "preauth_max_frame = 4k\n"
                       "handshake_timeout = 500ms\n"
                       "idle_timeout = 2m\n"
                       "migrate_on_start = no\n"
                       "db_conninfo = \"host=/tmp/pg dbname=t\"\n"
                       "log_level = debug\n",
                       err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "error: %s\n", err);
    CHECK_EQ_INT(rc, 0);
    CHECK_EQ_STR(c.listen_address, "127.0.0.1");
    CHECK_EQ_INT(c.listen_port, 17443);
    CHECK_EQ_INT(c.ops_port, 0);
    CHECK_EQ_INT(c.max_frame, 1024 * 1024);
    CHECK_EQ_INT(c.preauth_max_frame, 4096);
    CHECK_EQ_INT(c.handshake_timeout_ms, 500);
    CHECK_EQ_INT(c.idle_timeout_ms, 120000);
    CHECK(!c.migrate_on_start);
    CHECK_EQ_STR(c.db_conninfo, "host=/tmp/pg dbname=t");
    CHECK_EQ_STR(c.log_level, "debug");
    /* untouched options keep their defaults */
    CHECK_EQ_INT(c.max_inflight, 64);
    srv_config_free(&c);
}

TEST(unknown_key_has_line_number)
{
    struct srv_config c;
    char err[512] = "";
    CHECK_EQ_INT(load_text(&c, "listen_port = 1\n\nlisten_prot = 2\n", err, sizeof err), -1);
    CHECK(strstr(err, ":3:") != NULL);
    CHECK(strstr(err, "listen_prot") != NULL);
}

TEST(out_of_range)
{
    struct srv_config c;
    char err[512] = "";
    CHECK_EQ_INT(load_text(&c, "listen_port = 70000\n", err, sizeof err), -1);
    CHECK(strstr(err, ":1:") != NULL);
    CHECK_EQ_INT(load_text(&c, "max_inflight = 0\n", err, sizeof err), -1);
    CHECK_EQ_INT(load_text(&c, "max_frame = 100\n", err, sizeof err), -1);
    CHECK_EQ_INT(load_text(&c, "handshake_timeout = 1ms\n", err, sizeof err), -1);
    CHECK_EQ_INT(load_text(&c, "max_connections = lots\n", err, sizeof err), -1);
    CHECK_EQ_INT(load_text(&c, "migrate_on_start = maybe\n", err, sizeof err), -1);
}

TEST(cross_checks)
{
    struct srv_config c;
    char err[512] = "";
    CHECK_EQ_INT(load_text(&c, "log_level = loud\n", err, sizeof err), -1);
    CHECK(strstr(err, "log_level") != NULL);
    CHECK_EQ_INT(load_text(&c, "max_frame = 8k\npreauth_max_frame = 16k\n", err, sizeof err), -1);
    CHECK(strstr(err, "preauth_max_frame") != NULL);
    CHECK_EQ_INT(load_text(&c, "tls_crl_file = \"\"\n", err, sizeof err), -1);
    CHECK(strstr(err, "tls_crl_file") != NULL);
}

TEST(test_clock)
{
    struct srv_config c;
    char err[512] = "";
    CHECK_EQ_INT(srv_config_load(&c, NULL, err, sizeof err), 0);
    CHECK(c.test_clock == NULL); /* the real clock by default */
    CHECK(!c.test_clock_frozen);
    srv_config_free(&c);
    CHECK_EQ_INT(load_text(&c,
                           "test_clock = 2025-06-15T23:59:59+07:00\n"
                           "test_clock_frozen = yes\n",
                           err, sizeof err),
                 0);
    CHECK(c.test_clock_frozen);
    srv_config_free(&c);
    /* standing still needs an instant to stand at */
    CHECK_EQ_INT(load_text(&c, "test_clock_frozen = yes\n", err, sizeof err), -1);
    CHECK(strstr(err, "test_clock_frozen") != NULL);
    CHECK_EQ_INT(load_text(&c, "test_clock = 2025-06-10T09:00:00+07:00\n", err, sizeof err), 0);
    CHECK_EQ_STR(c.test_clock, "2025-06-10T09:00:00+07:00");
    srv_config_free(&c);
    CHECK_EQ_INT(load_text(&c, "test_clock = 2025-06-10\n", err, sizeof err), -1);
    CHECK(strstr(err, "test_clock") != NULL);
    CHECK_EQ_INT(load_text(&c, "test_clock = 2025-06-10T09:00:00\n", err, sizeof err), -1);

    int64_t ms = 0;
    CHECK_EQ_INT(srv_parse_instant("1970-01-01T00:00:00Z", &ms), 0);
    CHECK(ms == 0);
    /* 2025-06-10 02:00 UTC = 1749520800 */
    CHECK_EQ_INT(srv_parse_instant("2025-06-10T09:00:00+07:00", &ms), 0);
    CHECK(ms == 1749520800000LL);
    CHECK_EQ_INT(srv_parse_instant("2025-06-10T09:00:00+0700", &ms), 0);
    CHECK(ms == 1749520800000LL);
    CHECK_EQ_INT(srv_parse_instant("2025-06-10 02:00:00.25Z", &ms), 0);
    CHECK(ms == 1749520800250LL);
    CHECK_EQ_INT(srv_parse_instant("2025-06-09T21:30:00-04:30", &ms), 0);
    CHECK(ms == 1749520800000LL);
    /* 23:59:59 on 15 June 2025 in Hanoi, a second before the 6-month deadline */
    CHECK_EQ_INT(srv_parse_instant("2025-06-15T23:59:59+07:00", &ms), 0);
    CHECK(ms == 1750006799000LL);
    CHECK_EQ_INT(srv_parse_instant("2024-02-29T00:00:00Z", &ms), 0);
    CHECK(ms == 1709164800000LL);
    const char *bad[] = {"",
                         "2025-06-10",
                         "2025-06-10T09:00:00",
                         "2025-13-10T09:00:00Z",
                         "2025-02-29T09:00:00Z",
                         "2025-06-31T09:00:00Z",
                         "2025-06-10T24:00:00Z",
                         "2025-06-10T09:60:00Z",
                         "2025-06-10T09:00:00.Z",
                         "2025-06-10T09:00:00+7",
                         "2025-06-10T09:00:00Z junk",
                         "25-06-10T09:00:00Z"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (srv_parse_instant(bad[i], &ms) == 0)
            fprintf(stderr, "accepted '%s'\n", bad[i]);
        CHECK_EQ_INT(srv_parse_instant(bad[i], &ms), -1);
    }
}

TEST(missing_file)
{
    struct srv_config c;
    char err[512] = "";
    CHECK_EQ_INT(srv_config_load(&c, "/nonexistent/tamnongd.conf", err, sizeof err), -1);
    CHECK(strstr(err, "/nonexistent/tamnongd.conf") != NULL);
}

/* Every option of the table is set in the example, which loads cleanly and
 * states exactly the defaults. */
TEST(example_documents_every_option)
{
    FILE *f = fopen(EXAMPLE, "r");
    CHECK(f != NULL);
    static char text[64 * 1024];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    for (const struct cfg_option *o = srv_config_options; o->key; o++) {
        char needle[128];
        snprintf(needle, sizeof needle, "\n%s = ", o->key);
        if (!strstr(text, needle))
            fprintf(stderr, "option '%s' is not in " EXAMPLE "\n", o->key);
        CHECK(strstr(text, needle) != NULL);
        CHECK(o->help != NULL);
    }

    struct srv_config ex, def;
    char err[512] = "";
    int rc = srv_config_load(&ex, EXAMPLE, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "error: %s\n", err);
    CHECK_EQ_INT(rc, 0);
    CHECK_EQ_INT(srv_config_load(&def, NULL, err, sizeof err), 0);
    char *a = NULL, *b = NULL;
    size_t alen = 0, blen = 0;
    FILE *fa = open_memstream(&a, &alen), *fb = open_memstream(&b, &blen);
    CHECK(fa && fb);
    cfg_dump(srv_config_options, &ex, fa);
    cfg_dump(srv_config_options, &def, fb);
    fclose(fa);
    fclose(fb);
    bool same = strcmp(a, b) == 0;
    if (!same)
        fprintf(stderr, "example differs from the defaults:\n%s\n---\n%s\n", a, b);
    free(a);
    free(b);
    srv_config_free(&ex);
    srv_config_free(&def);
    CHECK(same);
}

UNIT_MAIN(T(defaults), T(overrides), T(unknown_key_has_line_number), T(out_of_range),
          T(cross_checks), T(test_clock), T(missing_file), T(example_documents_every_option))
