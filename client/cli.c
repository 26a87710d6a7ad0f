/* cli: command lookup and dispatch, option parsing, and the connect/error
 * helpers every network command uses, the date check of options (see cli.h). */
#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <openssl/rand.h>

#include "client_config.h"
#include "i18n.h"
#include "output.h"
#include "session.h"
#include "status.h"

const struct command *cli_find(const struct command *const *table, const char *name)
{
    for (size_t i = 0; table[i]; i++)
        if (strcmp(table[i]->name, name) == 0)
            return table[i];
    return NULL;
}

void cli_print_commands(const struct command *const *table, FILE *f)
{
    struct out_table *t = out_table_new(3);
    for (size_t i = 0; table[i]; i++)
        if (out_table_addv(t, "", table[i]->name, _(table[i]->summary)) < 0)
            break;
    out_table_print(t, f);
    out_table_free(t);
}

void cli_print_usage(const struct command *cmd, FILE *f)
{
    fputs(_(cmd->usage), f);
}

int cli_usage_error(const struct cli *cli, const struct command *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    out_error("%s", msg);
    /* TRANSLATORS: %s %s is the program and the command, e.g. "tamnong ping". */
    fprintf(stderr, _("Run '%s %s --help' to see how to use it.\n"), cli->prefix, cmd->name);
    return TN_EXIT_USAGE;
}

int cli_getopt(struct cli *cli, const struct command *cmd, int argc, char **argv,
               const char *shortopts, const struct option *opts)
{
    char spec[64];
    snprintf(spec, sizeof spec, ":%s", shortopts ? shortopts : "");
    opterr = 0;
    for (;;) {
        int c = getopt_long(argc, argv, spec, opts, NULL);
        if (c == CLI_OPT_JSON) {
            cli->json = true;
            continue;
        }
        if (c == '?') {
            char what[64];
            if (optopt)
                snprintf(what, sizeof what, "-%c", optopt);
            else
                snprintf(what, sizeof what, "%s", argv[optind - 1]);
            cli_usage_error(cli, cmd, _("unknown option '%s' for '%s %s'."), what, cli->prefix,
                            cmd->name);
            return '?';
        }
        if (c == ':') {
            cli_usage_error(cli, cmd, _("the option '%s' needs a value."), argv[optind - 1]);
            return '?';
        }
        return c;
    }
}

static bool wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            return false;
        if (strcmp(argv[i], "--help") == 0)
            return true;
    }
    return false;
}

int cli_dispatch(struct cli *cli, const struct command *const *table, int argc, char **argv)
{
    const struct command *cmd = cli_find(table, argv[0]);
    if (!cmd) {
        out_error(_("'%s' is not a command of %s."), argv[0], cli->prefix);
        fprintf(stderr, _("Run '%s --help' to see the commands.\n"), cli->prefix);
        return TN_EXIT_USAGE;
    }
    /* A group (its usage reads "tamnong GROUP COMMAND ...") followed by a
     * subcommand passes --help on: `tamnong admin report --help` is the
     * subcommand's help, not the group's. */
    bool group_with_sub = argc >= 2 && argv[1][0] != '-' && strstr(cmd->usage, " COMMAND ");
    if (!group_with_sub && wants_help(argc, argv)) {
        cli_print_usage(cmd, stdout);
        return TN_EXIT_OK;
    }
    optind = 0; /* GNU getopt: start afresh for this command's arguments */
    return cmd->handler(cli, argc, argv);
}

int cli_run_group(struct cli *cli, const struct command *self, const struct command *const *table,
                  int argc, char **argv)
{
    if (argc < 2 || argv[1][0] == '-') {
        out_error(_("'%s %s' needs a command."), cli->prefix, argv[0]);
        fputc('\n', stderr);
        cli_print_usage(self, stderr);
        return TN_EXIT_USAGE;
    }
    char prefix[128];
    snprintf(prefix, sizeof prefix, "%s %s", cli->prefix, argv[0]);
    const char *outer = cli->prefix;
    cli->prefix = prefix;
    int rc = cli_dispatch(cli, table, argc - 1, argv + 1);
    cli->prefix = outer;
    return rc;
}

bool cli_date_ok(const char *s)
{
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
            return false;
    int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
        return false;
    return m != 2 || d < 29 || (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0));
}

int cli_connect(struct cli *cli, struct rpc_client **out)
{
    *out = NULL;
    struct client_config cfg;
    char err[2048];
    int rc = TN_EXIT_OK;
    if (client_config_load(&cfg, cli->config_path, err, sizeof err) < 0 ||
        client_config_check_files(&cfg, err, sizeof err) < 0) {
        out_error("%s", err);
        rc = TN_EXIT_CONFIG;
        goto out;
    }
    out_verbose(_("configuration: %s"), cfg.path);
    struct rpc_status st;
    if (rpc_connect(&cfg, out, &st) < 0) {
        rc = cli_rpc_error(cli, &st);
    } else {
        struct session sess;
        cli->session = session_load(cli->state_dir, cfg.cert_file, &sess) == 0;
        if (cli->session) {
            out_verbose(_("sending the log-in session of %s"), sess.login);
            rpc_set_session(*out, sess.token, sizeof sess.token);
        }
    }
out:
    client_config_free(&cfg);
    return rc;
}

int cli_call(struct cli *cli, const char *method, const ProtobufCMessage *req,
             ProtobufCMessage **resp)
{
    struct rpc_client *client;
    *resp = NULL;
    int rc = cli_connect(cli, &client);
    if (rc != TN_EXIT_OK)
        return rc;
    struct rpc_status st;
    if (rpc_call(client, method, req, resp, &st) < 0)
        rc = cli_rpc_error(cli, &st);
    rpc_close(client);
    return rc;
}

/* Wait before try `attempt` (2, 3...) of cli_call_retrying. */
static void retry_backoff(int attempt, const struct rpc_status *st)
{
    int64_t cap = 250;
    for (int i = 2; i < attempt && cap < 8000; i++)
        cap *= 2;
    uint32_t rnd = 0;
    if (RAND_bytes((unsigned char *)&rnd, sizeof rnd) != 1)
        rnd = (uint32_t)getpid();
    int64_t wait = (int64_t)(rnd % (uint32_t)(cap + 1));
    if (st->retry_after_ms > 0 && wait < (int64_t)st->retry_after_ms)
        wait = st->retry_after_ms;
    out_verbose(_("waiting %.1f s before trying again"), (double)wait / 1000.0);
    struct timespec ts = {wait / 1000, (wait % 1000) * 1000000};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

int cli_call_retrying(struct cli *cli, const char *method, const ProtobufCMessage *req,
                      ProtobufCMessage **resp, int attempts)
{
    *resp = NULL;
    for (int attempt = 1;; attempt++) {
        struct rpc_status st;
        memset(&st, 0, sizeof st);
        struct rpc_client *client;
        int rc = cli_connect(cli, &client);
        if (rc == TN_EXIT_OK) {
            int r = rpc_call(client, method, req, resp, &st);
            rpc_close(client);
            if (r == 0)
                return TN_EXIT_OK;
            if (attempt >= attempts || !rpc_retryable(&st))
                return cli_rpc_error(cli, &st);
        } else if (rc != TN_EXIT_TEMPFAIL || attempt >= attempts) {
            return rc;
        }
        out_verbose(_("attempt %d failed (%s); the same request will be sent again"), attempt,
                    st.result == RPC_STATUS ? status_name(st.code) : _("no connection"));
        retry_backoff(attempt + 1, &st);
    }
}

int cli_rpc_error(const struct cli *cli, const struct rpc_status *st)
{
    if (st->result != RPC_STATUS) {
        out_error("%s", st->detail);
        return rpc_exit_code(st);
    }
    /* TRANSLATORS: 1: what the status means (translated sentence), 2: the
     * status name (e.g. UNAVAILABLE), kept in English for the operator. */
    out_error(_("%s (%s)"), _(status_describe(st->code)), status_name(st->code));
    if (st->server_message[0])
        out_error(_("The server says: %s"), st->server_message);
    if (st->code == TAMNONG__STATUS__PERMISSION_DENIED && !cli->session)
        out_error(_("This needs a person's log-in: log in first: tamnong login"));
    else if (st->code == TAMNONG__STATUS__UNAUTHENTICATED && cli->session)
        out_error(_("Your log-in session has ended: log in again: tamnong login"));
    if (st->retry_after_ms > 0 && rpc_retryable(st)) {
        unsigned long s = (st->retry_after_ms + 999) / 1000;
        out_error(ngettext("Try again in %lu second.", "Try again in %lu seconds.", s), s);
    }
    return rpc_exit_code(st);
}
