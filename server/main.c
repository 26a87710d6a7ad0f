/* main: tamnongd's command line and life cycle: load the configuration,
 * run the operator commands (--check-config, --migrate, register-cert) or
 * start the server (migrations, TLS context, database pool, operations
 * port, agency listener, systemd readiness) and run the loop until SIGTERM
 * has drained it. SIGHUP reloads the certificates and the CRL. */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "admin_cli.h"
#include "password.h"
#include "call.h"
#include "conn.h"
#include "db.h"
#include "listener.h"
#include "log.h"
#include "migrate.h"
#include "ops_http.h"
#include "sd_notify.h"
#include "server.h"
#include "srv_config.h"
#include "tls_ctx.h"
#include "housekeeping.h"
#include "tls_reload.h"

#ifndef TAMNONG_VERSION
#define TAMNONG_VERSION "0.1"
#endif

#define DEFAULT_CONFIG "/etc/tamnong/tamnongd.conf"
/* After the drain deadline: time for connections to flush their last answers. */
#define CLOSE_GRACE_MS 3000
/* After that: if the loop still has not ended, something is stuck. */
#define STUCK_MS      10000
#define DRAIN_TICK_MS 50

/* Globals only here, so that everything stays reachable (and ASan quiet)
 * whichever way main returns; modules get &srv. */
static struct srv_config cfg;
static struct server srv;
static uv_signal_t sig_term, sig_int, sig_hup;
static uv_timer_t drain_timer;

static enum {
    RUNNING,
    WAIT_CALLS, /* draining: in-flight calls finish */
    WAIT_CONNS, /* connections flush and close */
    WAIT_DB,    /* the pool closes */
    FINISHED,
} phase = RUNNING;
static uint64_t drain_deadline;
static int exit_code = EX_OK;

static void usage(FILE *out)
{
    fprintf(
        out,
        "Usage: tamnongd [--config FILE] [--check-config | --migrate]\n"
        "       tamnongd [--config FILE] register-cert CERT.pem --agency CODE [--name NAME]\n"
        "       tamnongd [--config FILE] user-add LOGIN --agency CODE --role ROLE [--name NAME]\n"
        "       tamnongd --version | --help\n"
        "\n"
        "The province server of tamnong: agencies connect with mutual TLS.\n"
        "\n"
        "  -c, --config FILE   configuration file (default $TAMNONG_CONFIG, else %s)\n"
        "      --check-config  load the configuration and the TLS files, report, exit\n"
        "      --migrate       apply pending database migrations and exit\n"
        "  -V, --version       print the version and exit\n"
        "  -h, --help          print this help and exit\n"
        "\n"
        "  register-cert CERT.pem --agency CODE [--name NAME]\n"
        "      map an agency certificate (by its SHA-256 fingerprint) to agency CODE,\n"
        "      creating the agency with NAME if it does not exist yet. A certificate\n"
        "      alone has its agency's reporting rights, never more (--operator is\n"
        "      ignored: operators are persons, see user-add)\n"
        "  user-add LOGIN --agency CODE --role ROLE [--name NAME]\n"
        "      create a person (the first operator, typically) of agency CODE with\n"
        "      ROLE reporter, reviewer, viewer or operator; the password is read\n"
        "      from standard input (one line, 8 to 1024 bytes)\n"
        "\n"
        "Signals: SIGTERM/SIGINT drain in-flight requests and exit 0;\n"
        "SIGHUP reloads the TLS certificate, key, CA and CRL.\n",
        DEFAULT_CONFIG);
}

/* --- life cycle ------------------------------------------------------------------ */

static void close_handle(uv_handle_t *h)
{
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

static void on_db_closed(void *data)
{
    if (srv.ops) {
        ops_http_close(srv.ops);
        srv.ops = NULL;
    }
    conn_sweep_stop(&srv);
    close_handle((uv_handle_t *)&sig_term);
    close_handle((uv_handle_t *)&sig_int);
    close_handle((uv_handle_t *)&sig_hup);
    close_handle((uv_handle_t *)&drain_timer);
    phase = FINISHED;
    log_notice("stopped");
}

static void on_drain_tick(uv_timer_t *t)
{
    uint64_t now = uv_now(srv.loop);
    if (phase == WAIT_CALLS) {
        if (srv.calls_inflight > 0 && now < drain_deadline)
            return;
        if (srv.calls_inflight > 0)
            log_warning("drain timeout: %ld request(s) still running; closing connections",
                        srv.calls_inflight);
        conn_close_all(&srv);
        phase = WAIT_CONNS;
        drain_deadline = now + CLOSE_GRACE_MS;
    }
    if (phase == WAIT_CONNS) {
        if (srv.nconns > 0 && now < drain_deadline)
            return;
        phase = WAIT_DB;
        drain_deadline = now + STUCK_MS;
        db_pool_close(srv.db, on_db_closed, NULL);
        return;
    }
    if (phase == WAIT_DB && now >= drain_deadline) {
        log_error("shutdown is stuck (database pool or connections not closing); exiting");
        exit_code = EX_SOFTWARE;
        uv_stop(srv.loop);
    }
}

static void start_drain(const char *why)
{
    if (phase != RUNNING) {
        log_notice("%s: already shutting down", why);
        return;
    }
    phase = WAIT_CALLS;
    srv.draining = true;
    log_notice("%s: shutting down; %ld request(s) in flight get up to %ld ms", why,
               srv.calls_inflight, cfg.drain_timeout_ms);
    (void)sd_notify_send("STOPPING=1\nSTATUS=draining");
    listener_close(srv.listener);
    srv.listener = NULL;
    tls_reload_stop(&srv);
    housekeeping_stop();
    drain_deadline = uv_now(srv.loop) + (uint64_t)cfg.drain_timeout_ms;
    uv_timer_start(&drain_timer, on_drain_tick, 0, DRAIN_TICK_MS);
}

static void on_signal(uv_signal_t *h, int signum)
{
    switch (signum) {
    case SIGHUP:
        tls_reload_now(&srv, "SIGHUP");
        break;
    case SIGTERM:
        start_drain("SIGTERM");
        break;
    case SIGINT:
        start_drain("SIGINT");
        break;
    default:
        break;
    }
}

/* --check-config: both connection strings parse, and the pool does not
 * connect as the owner (row-level security is the application role's). */
static int check_conninfos(const struct srv_config *c)
{
    const char *const which[2][2] = {{"db_conninfo", c->db_conninfo ? c->db_conninfo : ""},
                                     {"db_owner_conninfo", srv_config_owner_conninfo(c)}};
    char user[2][128] = {"", ""};
    for (int i = 0; i < 2; i++) {
        char *perr = NULL;
        PQconninfoOption *opts = PQconninfoParse(which[i][1], &perr);
        if (!opts) {
            fprintf(stderr, "tamnongd: %s: %s", which[i][0], perr ? perr : "out of memory\n");
            PQfreemem(perr);
            return EX_CONFIG;
        }
        for (PQconninfoOption *o = opts; o->keyword; o++)
            if (strcmp(o->keyword, "user") == 0 && o->val)
                snprintf(user[i], sizeof user[i], "%s", o->val);
        PQconninfoFree(opts);
    }
    if (!c->db_owner_conninfo || !*c->db_owner_conninfo || strcmp(user[0], user[1]) == 0)
        fprintf(stderr,
                "tamnongd: warning: the pool and the migrations connect as the same role (%s); "
                "set db_conninfo to the application role tamnong_app and db_owner_conninfo to "
                "the owner\n",
                *user[0] ? user[0] : "from the environment");
    return EX_OK;
}

static int run_migrations(void)
{
    char err[1024];
    int applied = 0;
    if (migrate_run(srv_config_owner_conninfo(&cfg), cfg.migrations_dir, &applied, err,
                    sizeof err) < 0) {
        log_error("migrations: %s", err);
        return EX_UNAVAILABLE;
    }
    if (applied > 0)
        log_notice("migrations: applied %d file(s) from %s", applied, cfg.migrations_dir);
    else
        log_info("migrations: schema is up to date");
    return EX_OK;
}

static int serve(void)
{
    char err[1024];
    int rc;

    signal(SIGPIPE, SIG_IGN);
    if (password_init() != 0) {
        log_error("libsodium cannot start (no entropy source?)");
        return EX_SOFTWARE;
    }
    if (cfg.migrate_on_start && (rc = run_migrations()) != EX_OK)
        return rc;

    srv.cfg = &cfg;
    srv.loop = uv_default_loop();
    srv.ssl_ctx = tls_ctx_new(&cfg, err, sizeof err);
    if (!srv.ssl_ctx) {
        log_error("TLS: %s", err);
        return EX_CONFIG;
    }
    char db_options[160] = "";
    if (cfg.test_clock) {
        int64_t at = 0;
        srv_parse_instant(cfg.test_clock, &at); /* checked by srv_config_load */
        int64_t offset = at - server_real_now_ms();
        server_clock_set_offset(offset);
        /* The database's business clock (tamnong_now(), province_today())
         * follows through this setting on every pooled connection. */
        snprintf(db_options, sizeof db_options, "-c tamnong.clock_offset_ms=%lld",
                 (long long)offset);
        if (cfg.test_clock_frozen) {
            /* tamnong_now() (004_deadlines.sql) then answers this instant. */
            server_clock_freeze(at);
            size_t n = strlen(db_options);
            snprintf(db_options + n, sizeof db_options - n, " -c tamnong.clock_frozen_at_ms=%lld",
                     (long long)at);
            log_warning("*** TEST CLOCK FROZEN: the server's clock stands still at %s. ***",
                        cfg.test_clock);
        }
        int64_t off_s = (offset < 0 ? -offset : offset) / 1000;
        log_warning("*** TEST CLOCK: the server's clock starts at %s, %lld days %02lld:%02lld %s "
                    "the real clock; deadlines, on time, today's date and every response's "
                    "time follow it. test_clock is for tests and demos only: never set it in "
                    "production. ***",
                    cfg.test_clock, (long long)(off_s / 86400), (long long)(off_s % 86400 / 3600),
                    (long long)(off_s % 3600 / 60), offset < 0 ? "behind" : "ahead of");
    }
    srv.db = db_pool_new(srv.loop, cfg.db_conninfo ? cfg.db_conninfo : "", db_options,
                         (int)cfg.db_pool_size, cfg.db_connect_timeout_ms, cfg.db_reconnect_max_ms);
    if (!srv.db) {
        log_error("cannot create the database pool");
        return EX_SOFTWARE;
    }
    if (cfg.ops_port != 0) {
        srv.ops =
            ops_http_start(srv.loop, cfg.ops_address, (int)cfg.ops_port, srv.db, err, sizeof err);
        if (!srv.ops) {
            log_error("operations port: %s", err);
            return EX_UNAVAILABLE;
        }
    }
    if ((rc = conn_sweep_start(&srv)) < 0) {
        log_error("timer: %s", uv_strerror(rc));
        return EX_SOFTWARE;
    }
    if (listener_start(&srv, cfg.listen_address, (int)cfg.listen_port, &srv.listener, err,
                       sizeof err) < 0) {
        log_error("%s", err);
        return EX_UNAVAILABLE;
    }
    if ((rc = tls_reload_start(&srv)) < 0 || (rc = housekeeping_start(&srv)) < 0) {
        log_error("timer: %s", uv_strerror(rc));
        return EX_SOFTWARE;
    }
    uv_timer_init(srv.loop, &drain_timer);
    uv_signal_init(srv.loop, &sig_term);
    uv_signal_init(srv.loop, &sig_int);
    uv_signal_init(srv.loop, &sig_hup);
    if (uv_signal_start(&sig_term, on_signal, SIGTERM) < 0 ||
        uv_signal_start(&sig_int, on_signal, SIGINT) < 0 ||
        uv_signal_start(&sig_hup, on_signal, SIGHUP) < 0) {
        log_error("cannot install signal handlers");
        return EX_OSERR;
    }

    log_notice("tamnongd %s serving agencies on %s port %ld%s", TAMNONG_VERSION, cfg.listen_address,
               cfg.listen_port, cfg.ops_port ? "" : " (operations port off)");
    if (cfg.ops_port)
        log_info("operations HTTP on %s port %ld", cfg.ops_address, cfg.ops_port);
    if ((rc = sd_notify_send("READY=1\nSTATUS=serving")) < 0)
        log_warning("sd_notify: %s", strerror(-rc));

    uv_run(srv.loop, UV_RUN_DEFAULT);

    if (phase == FINISHED) {
        if (uv_loop_close(srv.loop) != 0)
            log_debug("loop closed with handles still open");
        SSL_CTX_free(srv.ssl_ctx);
        srv.ssl_ctx = NULL;
    }
    return exit_code;
}

/* --- command line ---------------------------------------------------------------- */

struct args {
    const char *config;
    bool check_config, migrate, version, help;
    const char *command;                     /* "register-cert", "user-add" or NULL */
    const char *cert, *agency, *name, *role; /* cert: the LOGIN of user-add */
    bool operator_role;
};

/* Value of an option given as "--opt VALUE" or "--opt=VALUE". */
static const char *opt_value(int argc, char **argv, int *i, const char *name)
{
    size_t n = strlen(name);
    if (strncmp(argv[*i], name, n) == 0 && argv[*i][n] == '=')
        return argv[*i] + n + 1;
    if (*i + 1 >= argc) {
        fprintf(stderr, "tamnongd: option %s needs a value\n", name);
        return NULL;
    }
    return argv[++*i];
}

static bool is_opt(const char *arg, const char *name)
{
    size_t n = strlen(name);
    return strncmp(arg, name, n) == 0 && (arg[n] == '\0' || arg[n] == '=');
}

/* EX_OK, or EX_USAGE after printing what is wrong. */
static int parse_args(int argc, char **argv, struct args *a)
{
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char **slot = NULL;
        if (is_opt(arg, "--config"))
            slot = &a->config;
        else if (strcmp(arg, "-c") == 0 && i + 1 < argc)
            a->config = argv[++i];
        else if (strcmp(arg, "--check-config") == 0)
            a->check_config = true;
        else if (strcmp(arg, "--migrate") == 0)
            a->migrate = true;
        else if (strcmp(arg, "--version") == 0 || strcmp(arg, "-V") == 0)
            a->version = true;
        else if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0)
            a->help = true;
        else if (a->command && is_opt(arg, "--agency"))
            slot = &a->agency;
        else if (a->command && is_opt(arg, "--name"))
            slot = &a->name;
        else if (a->command && is_opt(arg, "--role"))
            slot = &a->role;
        else if (a->command && strcmp(arg, "--operator") == 0)
            a->operator_role = true;
        else if (!a->command && (strcmp(arg, "register-cert") == 0 || strcmp(arg, "user-add") == 0))
            a->command = arg;
        else if (a->command && !a->cert && arg[0] != '-')
            a->cert = arg;
        else {
            fprintf(stderr, "tamnongd: unexpected argument '%s' (see tamnongd --help)\n", arg);
            return EX_USAGE;
        }
        if (slot) {
            char name[32];
            snprintf(name, sizeof name, "%.*s", (int)strcspn(arg, "="), arg);
            if (!(*slot = opt_value(argc, argv, &i, name)))
                return EX_USAGE;
        }
    }
    bool user_add = a->command && strcmp(a->command, "user-add") == 0;
    if (a->command && !user_add && (!a->cert || !a->agency)) {
        fprintf(stderr, "tamnongd: usage: tamnongd register-cert CERT.pem --agency CODE "
                        "[--name NAME]\n");
        return EX_USAGE;
    }
    if (user_add && (!a->cert || !a->agency || !a->role)) {
        fprintf(stderr, "tamnongd: usage: tamnongd user-add LOGIN --agency CODE --role ROLE "
                        "[--name NAME]\n");
        return EX_USAGE;
    }
    if ((a->check_config + a->migrate + (a->command != NULL)) > 1) {
        fprintf(stderr, "tamnongd: --check-config, --migrate and register-cert exclude each "
                        "other\n");
        return EX_USAGE;
    }
    return EX_OK;
}

int main(int argc, char **argv)
{
    struct args a = {0};
    int rc = parse_args(argc, argv, &a);
    if (rc != EX_OK)
        return rc;
    if (a.help) {
        usage(stdout);
        return EX_OK;
    }
    if (a.version) {
        printf("tamnongd %s\n", TAMNONG_VERSION);
        return EX_OK;
    }
    log_init("tamnongd", LOG_INFO);
    if (!a.config)
        a.config = getenv("TAMNONG_CONFIG");
    if (!a.config || !*a.config)
        a.config = DEFAULT_CONFIG;

    char err[1024];
    if (srv_config_load(&cfg, a.config, err, sizeof err) < 0) {
        fprintf(stderr, "tamnongd: %s\n", err);
        return EX_CONFIG;
    }
    log_set_level(log_level_from_name(cfg.log_level));

    if (a.check_config) {
        SSL_CTX *ctx = tls_ctx_new(&cfg, err, sizeof err);
        if (!ctx) {
            fprintf(stderr, "tamnongd: %s: %s\n", a.config, err);
            rc = EX_CONFIG;
        } else {
            SSL_CTX_free(ctx);
            if (cfg.test_clock)
                fprintf(stderr,
                        "tamnongd: warning: test_clock is set (%s): for tests and demos "
                        "only, never in production\n",
                        cfg.test_clock);
            rc = check_conninfos(&cfg);
            if (rc == EX_OK)
                printf("configuration OK\n");
        }
    } else if (a.migrate) {
        rc = run_migrations();
    } else if (a.command && strcmp(a.command, "user-add") == 0) {
        rc = admin_cli_user_add(&cfg, a.cert, a.agency, a.role, a.name);
    } else if (a.command) {
        if (a.operator_role)
            fprintf(stderr, "tamnongd: warning: --operator is ignored: a certificate alone "
                            "never has operator rights; create an operator person with "
                            "tamnongd user-add LOGIN --agency CODE --role operator\n");
        rc = admin_cli_register_cert(&cfg, a.cert, a.agency, a.name, false);
    } else {
        rc = serve();
    }
    srv_config_free(&cfg);
    return rc;
}
