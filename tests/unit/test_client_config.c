/* test_client_config: the agency client's configuration (client/client_config.c):
 * file parsing, paths relative to the config directory, the server address
 * forms, the key-permission refusal, where the file is looked for; plus the
 * exit-code mapping and display widths the client relies on. */
#include <locale.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client_config.h"
#include "exit_codes.h"
#include "output.h"
#include "rpc_client.h"
#include "tamnong.pb-c.h"
#include "unit.h"

static char dir[256];

static void write_file(const char *name, const char *text, mode_t mode)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        exit(2);
    }
    fputs(text, f);
    fclose(f);
    chmod(path, mode);
}

static void config_path(char *out, size_t n)
{
    snprintf(out, n, "%s/config", dir);
}

/* Load `text` as the config file; returns client_config_load's result. */
static int load(struct client_config *c, const char *text, char *err, size_t errlen)
{
    write_file("config", text, 0644);
    char path[512];
    config_path(path, sizeof path);
    return client_config_load(c, path, err, errlen);
}

static bool contains(const char *hay, const char *needle)
{
    return strstr(hay, needle) != NULL;
}

TEST(parses_every_key)
{
    struct client_config c;
    char err[1024] = "";
    int rc = load(&c,
                  "# agency SXD\n"
                  "server = tamnong.example.gov.vn:8443\n"
                  "server_name = \"srv.example.gov.vn\"\n"
                  "ca_file = /etc/tamnong/ca.pem\n"
                  "cert_file = certs/sxd.pem\n"
                  "key_file = certs/sxd.key\n"
                  "connect_timeout = 500ms\n"
                  "request_timeout = 2m\n",
                  err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "err: %s\n", err);
    CHECK_EQ_INT(rc, 0);
    char want[600];
    CHECK_EQ_STR(c.server, "tamnong.example.gov.vn:8443");
    CHECK_EQ_STR(c.host, "tamnong.example.gov.vn");
    CHECK_EQ_STR(c.port, "8443");
    CHECK_EQ_STR(c.server_name, "srv.example.gov.vn");
    CHECK_EQ_STR(c.ca_file, "/etc/tamnong/ca.pem");
    snprintf(want, sizeof want, "%s/certs/sxd.pem", dir);
    CHECK_EQ_STR(c.cert_file, want);
    snprintf(want, sizeof want, "%s/certs/sxd.key", dir);
    CHECK_EQ_STR(c.key_file, want);
    CHECK_EQ_INT(c.connect_timeout_ms, 500);
    CHECK_EQ_INT(c.request_timeout_ms, 120000);
    client_config_free(&c);
}

TEST(defaults_relative_to_config_dir)
{
    struct client_config c;
    char err[1024] = "";
    CHECK_EQ_INT(load(&c, "\n", err, sizeof err), 0);
    char want[600];
    CHECK_EQ_STR(c.server, "localhost:7443");
    CHECK_EQ_STR(c.host, "localhost");
    CHECK_EQ_STR(c.port, "7443");
    CHECK_EQ_STR(c.server_name, "localhost");
    CHECK_EQ_STR(c.dir, dir);
    snprintf(want, sizeof want, "%s/ca.pem", dir);
    CHECK_EQ_STR(c.ca_file, want);
    snprintf(want, sizeof want, "%s/agency.pem", dir);
    CHECK_EQ_STR(c.cert_file, want);
    snprintf(want, sizeof want, "%s/agency.key", dir);
    CHECK_EQ_STR(c.key_file, want);
    CHECK_EQ_INT(c.connect_timeout_ms, 10000);
    CHECK_EQ_INT(c.request_timeout_ms, 30000);
    client_config_free(&c);
}

TEST(server_name_defaults_to_host)
{
    struct client_config c;
    char err[1024] = "";
    CHECK_EQ_INT(load(&c, "server = [::1]:9000\n", err, sizeof err), 0);
    CHECK_EQ_STR(c.host, "::1");
    CHECK_EQ_STR(c.port, "9000");
    CHECK_EQ_STR(c.server_name, "::1");
    client_config_free(&c);
    CHECK_EQ_INT(load(&c, "server = 10.0.0.5\n", err, sizeof err), 0);
    CHECK_EQ_STR(c.host, "10.0.0.5");
    CHECK_EQ_STR(c.port, "7443");
    client_config_free(&c);
}

TEST(server_address_forms)
{
    static const struct {
        const char *in, *host, *port;
    } good[] = {
        {"localhost:7443", "localhost", "7443"},
        {"tamnong.langson.gov.vn", "tamnong.langson.gov.vn", "7443"},
        {"192.0.2.1:1", "192.0.2.1", "1"},
        {"[2001:db8::1]:65535", "2001:db8::1", "65535"},
        {"[2001:db8::1]", "2001:db8::1", "7443"},
    };
    char host[256], port[8], err[512];
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        int rc = client_config_parse_server(good[i].in, host, sizeof host, port, sizeof port, err,
                                            sizeof err);
        if (rc != 0)
            fprintf(stderr, "%s: %s\n", good[i].in, err);
        CHECK_EQ_INT(rc, 0);
        CHECK_EQ_STR(host, good[i].host);
        CHECK_EQ_STR(port, good[i].port);
    }
}

TEST(bad_server_address)
{
    static const char *const bad[] = {
        "",           ":7443",          "host:",   "host:0",
        "host:65536", "host:12ab",      "host:-1", "::1:7443",
        "[::1:7443",  "[::1]x",         "[]:7443", "a b:7443",
        "host:+80",   "user@host:7443", "[::1]:",  "host:99999999999999999999",
    };
    char host[256], port[8], err[512];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        int rc = client_config_parse_server(bad[i], host, sizeof host, port, sizeof port, err,
                                            sizeof err);
        if (rc != -1)
            fprintf(stderr, "accepted bad server address '%s'\n", bad[i]);
        CHECK_EQ_INT(rc, -1);
        CHECK(err[0] != '\0');
    }
    /* Through the file: the message names the file. */
    struct client_config c;
    CHECK_EQ_INT(load(&c, "server = ::1:7443\n", err, sizeof err), -1);
    CHECK(contains(err, "/config"));
    CHECK(contains(err, "::1:7443"));
    client_config_free(&c);
}

TEST(file_errors)
{
    struct client_config c;
    char err[2048];
    CHECK_EQ_INT(load(&c, "sever = x:1\n", err, sizeof err), -1);
    CHECK(contains(err, ":1:"));
    CHECK(contains(err, "sever"));
    client_config_free(&c);
    CHECK_EQ_INT(load(&c, "connect_timeout = soon\n", err, sizeof err), -1);
    CHECK(contains(err, "connect_timeout"));
    client_config_free(&c);
    CHECK_EQ_INT(load(&c, "request_timeout = 0\n", err, sizeof err), -1);
    client_config_free(&c);
}

TEST(missing_file_says_where_and_what)
{
    struct client_config c;
    char err[2048], path[512];
    snprintf(path, sizeof path, "%s/nope/config", dir);
    CHECK_EQ_INT(client_config_load(&c, path, err, sizeof err), -1);
    CHECK(contains(err, path));
    CHECK(contains(err, "server ="));
    CHECK(contains(err, "agency.key"));
    client_config_free(&c);
}

TEST(where_the_file_is)
{
    char *p;
    unsetenv("TAMNONG_CONFIG");
    setenv("HOME", "/home/sxd", 1);
    unsetenv("XDG_CONFIG_HOME");
    p = client_config_path(NULL);
    CHECK_EQ_STR(p, "/home/sxd/.config/tamnong/config");
    free(p);
    setenv("XDG_CONFIG_HOME", "/x/cfg", 1);
    p = client_config_path(NULL);
    CHECK_EQ_STR(p, "/x/cfg/tamnong/config");
    free(p);
    setenv("XDG_CONFIG_HOME", "relative", 1); /* ignored, as the XDG spec says */
    p = client_config_path(NULL);
    CHECK_EQ_STR(p, "/home/sxd/.config/tamnong/config");
    free(p);
    setenv("TAMNONG_CONFIG", "/etc/tamnong/client.conf", 1);
    p = client_config_path(NULL);
    CHECK_EQ_STR(p, "/etc/tamnong/client.conf");
    free(p);
    p = client_config_path("/tmp/explicit");
    CHECK_EQ_STR(p, "/tmp/explicit");
    free(p);
    unsetenv("TAMNONG_CONFIG");
}

TEST(key_permissions)
{
    struct client_config c;
    char err[2048] = "";
    CHECK_EQ_INT(load(&c, "\n", err, sizeof err), 0);
    write_file("ca.pem", "ca\n", 0644);
    write_file("agency.pem", "cert\n", 0644);
    write_file("agency.key", "key\n", 0644);
    CHECK_EQ_INT(client_config_check_files(&c, err, sizeof err), -1);
    CHECK(contains(err, "chmod 600"));
    CHECK(contains(err, c.key_file));
    chmod(c.key_file, 0640);
    CHECK_EQ_INT(client_config_check_files(&c, err, sizeof err), -1);
    chmod(c.key_file, 0602);
    CHECK_EQ_INT(client_config_check_files(&c, err, sizeof err), -1);
    chmod(c.key_file, 0600);
    int rc = client_config_check_files(&c, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "err: %s\n", err);
    CHECK_EQ_INT(rc, 0);
    chmod(c.key_file, 0400);
    CHECK_EQ_INT(client_config_check_files(&c, err, sizeof err), 0);
    unlink(c.ca_file);
    CHECK_EQ_INT(client_config_check_files(&c, err, sizeof err), -1);
    CHECK(contains(err, "ca_file"));
    write_file("ca.pem", "ca\n", 0644);
    unlink(c.key_file);
    CHECK_EQ_INT(client_config_check_files(&c, err, sizeof err), -1);
    CHECK(contains(err, "key_file"));
    unlink(c.cert_file);
    unlink(c.ca_file);
    client_config_free(&c);
}

TEST(exit_codes)
{
    struct rpc_status st = {.result = RPC_STATUS};
    static const struct {
        int code, exit;
    } map[] = {
        {TAMNONG__STATUS__INVALID_ARGUMENT, 65},
        {TAMNONG__STATUS__FAILED_PRECONDITION, 65},
        {TAMNONG__STATUS__ALREADY_EXISTS, 65},
        {TAMNONG__STATUS__OUT_OF_RANGE, 65},
        {TAMNONG__STATUS__NOT_FOUND, 65},
        {TAMNONG__STATUS__INTERNAL, 70},
        {TAMNONG__STATUS__DATA_LOSS, 70},
        {TAMNONG__STATUS__UNKNOWN, 70},
        {TAMNONG__STATUS__UNAVAILABLE, 75},
        {TAMNONG__STATUS__RESOURCE_EXHAUSTED, 75},
        {TAMNONG__STATUS__DEADLINE_EXCEEDED, 75},
        {TAMNONG__STATUS__ABORTED, 75},
        {TAMNONG__STATUS__UNAUTHENTICATED, 77},
        {TAMNONG__STATUS__PERMISSION_DENIED, 77},
        {999, 70},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        st.code = map[i].code;
        CHECK_EQ_INT(rpc_exit_code(&st), map[i].exit);
    }
    static const struct {
        enum rpc_result r;
        int exit;
    } tmap[] = {
        {RPC_OK, 0},
        {RPC_E_CONFIG, 78},
        {RPC_E_SERVER_CERT, 78},
        {RPC_E_SERVER_NAME, 78},
        {RPC_E_CERT_REFUSED, 77},
        {RPC_E_CONNECT, 75},
        {RPC_E_RESOLVE, 75},
        {RPC_E_TIMEOUT, 75},
        {RPC_E_CLOSED, 75},
        {RPC_E_TLS, 75},
        {RPC_E_PROTOCOL, 70},
        {RPC_E_INTERNAL, 70},
    };
    for (size_t i = 0; i < sizeof tmap / sizeof tmap[0]; i++) {
        st.result = tmap[i].r;
        CHECK_EQ_INT(rpc_exit_code(&st), tmap[i].exit);
    }
}

TEST(display_width)
{
    if (!setlocale(LC_ALL, "C.UTF-8"))
        return; /* no UTF-8 locale on this machine: nothing to compare */
    CHECK_EQ_INT(out_width("abc"), 3);
    CHECK_EQ_INT(out_width("Sở Xây dựng"), 11);
    CHECK_EQ_INT(out_width("Lạng Sơn"), 8);
    CHECK_EQ_INT(out_width(""), 0);
    setlocale(LC_ALL, "C");
    CHECK_EQ_INT(out_width("Sở"), 2); /* counted per UTF-8 character without a locale */
}

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/tamnong-test-cc-XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        exit(2);
    }
    /* The loader makes the directory absolute with realpath(). */
    char real[256];
    if (realpath(dir, real))
        snprintf(dir, sizeof dir, "%s", real);
}

static void teardown(void)
{
    static const char *const files[] = {"config", "ca.pem", "agency.pem", "agency.key"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        unlink(path);
    }
    rmdir(dir);
}

TEST(setup_dir)
{
    setup();
}

TEST(teardown_dir)
{
    teardown();
}

UNIT_MAIN(T(setup_dir), T(parses_every_key), T(defaults_relative_to_config_dir),
          T(server_name_defaults_to_host), T(server_address_forms), T(bad_server_address),
          T(file_errors), T(missing_file_says_where_and_what), T(where_the_file_is),
          T(key_permissions), T(exit_codes), T(display_width), T(teardown_dir))
