/* srv_config: tamnongd's option table (defaults, ranges, one-line help) and
 * the loader that applies it. deploy/tamnongd.conf.example documents every
 * entry; tests/unit/test_srv_config.c checks that it does. */
#include "srv_config.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

#define OPT(key, type, field, def, min, max, help)                                                 \
    {                                                                                              \
        key, type, offsetof(struct srv_config, field), def, min, max, help                         \
    }

const struct cfg_option srv_config_options[] = {
    /* network */
    OPT("listen_address", CFG_STRING, listen_address, "0.0.0.0", 0, 0,
        "address the agency port listens on (IPv4 or IPv6 literal)"),
    OPT("listen_port", CFG_INT, listen_port, "7443", 1, 65535,
        "agency port (TLS from the first byte)"),
    OPT("ops_address", CFG_STRING, ops_address, "127.0.0.1", 0, 0,
        "address of the operations HTTP port (/healthz, /metrics); keep it local"),
    OPT("ops_port", CFG_INT, ops_port, "7444", 0, 65535, "operations HTTP port; 0 disables it"),
    /* TLS */
    OPT("tls_ca_file", CFG_STRING, tls_ca_file, "/etc/tamnong/ca.pem", 0, 0,
        "province CA certificate (PEM): the only trust anchor for agency certificates"),
    OPT("tls_cert_file", CFG_STRING, tls_cert_file, "/etc/tamnong/server.pem", 0, 0,
        "server certificate chain (PEM), leaf first"),
    OPT("tls_key_file", CFG_STRING, tls_key_file, "/etc/tamnong/server.key", 0, 0,
        "server private key (PEM)"),
    OPT("tls_crl_file", CFG_STRING, tls_crl_file, "/etc/tamnong/crl.pem", 0, 0,
        "certificate revocation list of the province CA (PEM); required"),
    OPT("crl_reload_interval", CFG_DURATION, crl_reload_interval_ms, "5m", 1000, 86400000,
        "re-read the CA, certificate, key and CRL files this often (also on SIGHUP); a "
        "missing or expired CRL refuses new connections until a valid one is published"),
    /* PostgreSQL */
    OPT("db_conninfo", CFG_STRING, db_conninfo,
        "host=/var/run/postgresql dbname=tamnong user=tamnong_app", 0, 0,
        "libpq connection string of the pool, as the application role tamnong_app (PG* "
        "environment variables fill what it leaves out)"),
    OPT("db_owner_conninfo", CFG_STRING, db_owner_conninfo,
        "host=/var/run/postgresql dbname=tamnong user=tamnong", 0, 0,
        "libpq connection string of the owner role, for migrations and register-cert (it "
        "owns the schema and may create roles); empty = db_conninfo"),
    OPT("db_pool_size", CFG_INT, db_pool_size, "4", 1, 256, "PostgreSQL connections in the pool"),
    OPT("db_connect_timeout", CFG_DURATION, db_connect_timeout_ms, "5s", 100, 300000,
        "give up one PostgreSQL connection attempt after this long"),
    OPT("db_reconnect_max", CFG_DURATION, db_reconnect_max_ms, "5s", 100, 600000,
        "longest wait between reconnection attempts (the backoff doubles up to it)"),
    OPT("migrations_dir", CFG_STRING, migrations_dir, "/usr/local/share/tamnong/migrations", 0, 0,
        "directory of the numbered SQL migration files"),
    OPT("migrate_on_start", CFG_BOOL, migrate_on_start, "yes", 0, 0,
        "apply pending migrations when tamnongd starts"),
    /* limits */
    OPT("max_frame", CFG_SIZE, max_frame, "4m", 1024, 256L * 1024 * 1024,
        "largest frame accepted from an identified agency"),
    OPT("preauth_max_frame", CFG_SIZE, preauth_max_frame, "16k", 256, 1024L * 1024,
        "largest frame (and input buffered) before the agency is identified"),
    OPT("max_inflight", CFG_INT, max_inflight, "64", 1, 4096,
        "requests in progress per connection; more are not read until one finishes"),
    OPT("max_connections", CFG_INT, max_connections, "10000", 1, 1000000,
        "open agency connections; the next one is closed at once"),
    OPT("max_write_queue", CFG_SIZE, max_write_queue, "8m", 64L * 1024, 1024L * 1024 * 1024,
        "bytes waiting to be sent to one connection before tamnongd stops reading from it"),
    OPT("handshake_timeout", CFG_DURATION, handshake_timeout_ms, "10s", 100, 300000,
        "time from accept until the TLS handshake is done and the agency identified"),
    OPT("idle_timeout", CFG_DURATION, idle_timeout_ms, "300s", 1000, 86400000,
        "close a connection with nothing in flight and nothing read for this long; also the "
        "write-stall limit"),
    OPT("default_deadline", CFG_DURATION, default_deadline_ms, "30s", 100, 3600000,
        "deadline of a request that carries none (requested deadlines are capped at 10x this)"),
    OPT("drain_timeout", CFG_DURATION, drain_timeout_ms, "20s", 0, 600000,
        "on SIGTERM, how long in-flight requests may take before connections are closed"),
    /* persons and sessions */
    OPT("session_idle_timeout", CFG_DURATION, session_idle_ms, "30m", 1000, 86400000L * 7,
        "a person's session not used for this long ends (log in again)"),
    OPT("session_max_age", CFG_DURATION, session_max_ms, "12h", 1000, 86400000L * 30,
        "a person's session ends this long after the log-in, however much it is used"),
    OPT("password_opslimit", CFG_INT, password_opslimit, "2", 1, 32,
        "Argon2id passes for new password hashes (libsodium INTERACTIVE is 2; tests use 1)"),
    OPT("password_memlimit", CFG_SIZE, password_memlimit, "64m", 8192, 4096L * 1024 * 1024,
        "Argon2id memory for new password hashes (libsodium INTERACTIVE is 64m; tests use 8k)"),
    /* logging */
    OPT("log_level", CFG_STRING, log_level, "info", 0, 0, "error, warning, notice, info or debug"),
    /* tests and demos only */
    OPT("test_clock", CFG_STRING, test_clock, "", 0, 0,
        "for tests and demos only, never in production: run the server's clock (responses, "
        "deadlines, today's date) from this ISO-8601 instant, e.g. 2025-06-10T09:00:00+07:00"),
    OPT("test_clock_frozen", CFG_BOOL, test_clock_frozen, "no", 0, 0,
        "for tests only, with test_clock: the clock stands still at that instant instead of "
        "running from it (a report received at exactly 23:59:59)"),
    {NULL, CFG_STRING, 0, NULL, 0, 0, NULL},
};

/* Checks that need more than one option, or a value set beyond ranges. */
static int validate(const struct srv_config *c, char *err, size_t errlen)
{
    static const struct {
        const char *key;
        size_t offset;
    } required[] = {
        {"listen_address", offsetof(struct srv_config, listen_address)},
        {"tls_ca_file", offsetof(struct srv_config, tls_ca_file)},
        {"tls_cert_file", offsetof(struct srv_config, tls_cert_file)},
        {"tls_key_file", offsetof(struct srv_config, tls_key_file)},
        {"tls_crl_file", offsetof(struct srv_config, tls_crl_file)},
        {"migrations_dir", offsetof(struct srv_config, migrations_dir)},
    };
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
        const char *v = *(char *const *)((const char *)c + required[i].offset);
        if (!v) {
            snprintf(err, errlen, "option '%s' must not be empty", required[i].key);
            return -1;
        }
    }
    if (c->ops_port != 0 && !c->ops_address) {
        snprintf(err, errlen, "option 'ops_address' must not be empty while ops_port is set");
        return -1;
    }
    if (!c->log_level || log_level_from_name(c->log_level) < 0) {
        snprintf(err, errlen,
                 "option 'log_level': '%s' is not a level (error, warning, notice, info, debug)",
                 c->log_level ? c->log_level : "");
        return -1;
    }
    int64_t ms;
    if (c->test_clock && srv_parse_instant(c->test_clock, &ms) < 0) {
        snprintf(err, errlen,
                 "option 'test_clock': '%s' is not an ISO-8601 instant with an offset "
                 "(e.g. 2025-06-10T09:00:00+07:00)",
                 c->test_clock);
        return -1;
    }
    if (c->test_clock_frozen && !c->test_clock) {
        snprintf(err, errlen,
                 "option 'test_clock_frozen' needs test_clock (the instant to stop at)");
        return -1;
    }
    if (c->preauth_max_frame > c->max_frame) {
        snprintf(err, errlen, "option 'preauth_max_frame' (%zu) must not exceed max_frame (%zu)",
                 c->preauth_max_frame, c->max_frame);
        return -1;
    }
    return 0;
}

/* n decimal digits at *p (advanced); -1 when there are fewer. */
static int digits(const char **p, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++, (*p)++) {
        if (**p < '0' || **p > '9')
            return -1;
        v = v * 10 + (**p - '0');
    }
    return v;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int srv_parse_instant(const char *s, int64_t *ms)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const char *p = s;
    int y = digits(&p, 4);
    if (y < 0 || *p++ != '-')
        return -1;
    int mo = digits(&p, 2);
    if (mo < 1 || mo > 12 || *p++ != '-')
        return -1;
    int d = digits(&p, 2);
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d < 1 || d > mdays[mo - 1] + (mo == 2 && leap) || (*p != 'T' && *p != ' '))
        return -1;
    p++;
    int h = digits(&p, 2);
    if (h < 0 || h > 23 || *p++ != ':')
        return -1;
    int mi = digits(&p, 2);
    if (mi < 0 || mi > 59 || *p++ != ':')
        return -1;
    int sec = digits(&p, 2);
    if (sec < 0 || sec > 59)
        return -1;
    int frac = 0;
    if (*p == '.') {
        p++;
        int n = 0;
        for (; *p >= '0' && *p <= '9'; p++, n++)
            if (n < 3)
                frac = frac * 10 + (*p - '0');
        if (n == 0)
            return -1;
        for (; n < 3; n++)
            frac *= 10;
    }
    int off_min = 0;
    if (*p == 'Z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p++ == '-' ? -1 : 1;
        int oh = digits(&p, 2);
        if (*p == ':')
            p++;
        int om = digits(&p, 2);
        if (oh < 0 || oh > 23 || om < 0 || om > 59)
            return -1;
        off_min = sign * (oh * 60 + om);
    } else {
        return -1; /* an instant needs its offset: local time is ambiguous */
    }
    if (*p)
        return -1;
    int64_t secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off_min * 60;
    *ms = secs * 1000 + frac;
    return 0;
}

int srv_config_load(struct srv_config *c, const char *path, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    if (cfg_defaults(srv_config_options, c) < 0) {
        snprintf(err, errlen, "internal error: bad default in the option table");
        goto fail;
    }
    if (path && cfg_load_file(srv_config_options, c, path, err, errlen) < 0)
        goto fail;
    char why[256];
    if (validate(c, why, sizeof why) < 0) {
        snprintf(err, errlen, "%s: %s", path ? path : "defaults", why);
        goto fail;
    }
    return 0;
fail:
    srv_config_free(c);
    return -1;
}

void srv_config_free(struct srv_config *c)
{
    cfg_free(srv_config_options, c);
}
