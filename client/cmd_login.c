/* cmd_login: `tamnong login`, `tamnong logout` and `tamnong whoami`: a
 * person's session on this computer (session.h). The password is read
 * without echo from the terminal, or as one line from standard input when it
 * is not a terminal (scripts); it never appears on the command line. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"
#include "client_config.h"
#include "i18n.h"
#include "output.h"
#include "session.h"
#include "tamnong.pb-c.h"

int cli_read_line(const char *prompt, bool secret, char *buf, size_t len)
{
    bool tty = isatty(STDIN_FILENO);
    struct termios old, quiet;
    bool echo_off = false;
    if (tty) {
        fputs(prompt, stderr);
        fflush(stderr);
        if (secret && tcgetattr(STDIN_FILENO, &old) == 0) {
            quiet = old;
            quiet.c_lflag &= ~(tcflag_t)ECHO;
            echo_off = tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
        }
    }
    char *got = fgets(buf, (int)len, stdin);
    if (echo_off) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
        fputc('\n', stderr);
    }
    if (!got)
        return -1;
    buf[strcspn(buf, "\r\n")] = '\0';
    return 0;
}

/* The certificate file of the configuration (for the session file's name),
 * malloc'ed, or NULL after printing why. */
static char *config_cert_file(const struct cli *cli)
{
    struct client_config cfg;
    char err[2048];
    if (client_config_load(&cfg, cli->config_path, err, sizeof err) < 0) {
        out_error("%s", err);
        return NULL;
    }
    char *cert = cfg.cert_file ? strdup(cfg.cert_file) : NULL;
    client_config_free(&cfg);
    if (!cert)
        out_error(_("The configuration names no certificate (cert_file)."));
    return cert;
}

/* ------------------------------------------------------------------ login */

static int login_main(struct cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {CLI_OPTION_JSON, {0, 0, 0, 0}};
    int c;
    while ((c = cli_getopt(cli, &cmd_login, argc, argv, "", opts)) != -1)
        if (c == '?')
            return TN_EXIT_USAGE;
    if (optind + 1 < argc)
        return cli_usage_error(cli, &cmd_login, _("give only one user name."));
    char login[128], password[1100];
    if (optind < argc) {
        snprintf(login, sizeof login, "%s", argv[optind]);
    } else if (!isatty(STDIN_FILENO) ||
               cli_read_line(_("User name: "), false, login, sizeof login) < 0 || !*login) {
        return cli_usage_error(cli, &cmd_login, _("which user? Give LOGIN."));
    }
    if (cli_read_line(_("Password: "), true, password, sizeof password) < 0 || !*password) {
        out_error(_("No password given."));
        return TN_EXIT_USAGE;
    }
    char *cert = config_cert_file(cli);
    if (!cert) {
        memset(password, 0, sizeof password);
        return TN_EXIT_CONFIG;
    }
    struct rpc_client *client;
    int rc = cli_connect(cli, &client);
    if (rc != TN_EXIT_OK) {
        memset(password, 0, sizeof password);
        free(cert);
        return rc;
    }
    cli->session = false; /* a stored session does not matter to a new log-in */
    Tamnong__LoginRequest req = TAMNONG__LOGIN_REQUEST__INIT;
    req.login = login;
    req.password = password;
    ProtobufCMessage *resp = NULL;
    struct rpc_status st;
    if (rpc_call(client, "Login", &req.base, &resp, &st) < 0) {
        rc = cli_rpc_error(cli, &st);
        goto out;
    }
    const Tamnong__LoginResponse *r = (const Tamnong__LoginResponse *)resp;
    struct session s;
    memset(&s, 0, sizeof s);
    if (r->session_token.len != SESSION_TOKEN_LEN) {
        out_error(_("The server sent a session this program cannot use. Check that this program "
                    "and tamnongd are up to date."));
        rc = TN_EXIT_SOFTWARE;
        goto out;
    }
    memcpy(s.token, r->session_token.data, SESSION_TOKEN_LEN);
    snprintf(s.login, sizeof s.login, "%s", r->login);
    if (session_save(cli->state_dir, cert, &s) != 0) {
        out_error(_("Cannot store the session in the state directory: %s"), strerror(errno));
        rc = TN_EXIT_SOFTWARE;
        goto out;
    }
    if (cli->json) {
        json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o}", "login", r->login, "display_name",
                              r->display_name, "role", r->role, "agency", r->agency, "expires",
                              out_jtime_or_null(r->expires_ms), "idle_expires",
                              out_jtime_or_null(r->idle_expires_ms));
        rc = out_json_answer(o, false);
    } else {
        char until[64];
        out_local_time(r->expires_ms, until, sizeof until);
        /* TRANSLATORS: 1: user name, 2: role (reporter, reviewer...), 3: agency code,
         * 4: date and time. */
        printf(_("Logged in as %s (%s) of agency %s, until %s at the latest.\n"), r->login, r->role,
               r->agency, until);
        rc = fflush(stdout) == 0 ? TN_EXIT_OK : TN_EXIT_SOFTWARE;
    }
out:
    memset(password, 0, sizeof password);
    if (resp)
        protobuf_c_message_free_unpacked(resp, NULL);
    rpc_close(client);
    free(cert);
    return rc;
}

const struct command cmd_login = {
    "login",
    N_("Log in as a person (reviewer, viewer, operator...)"),
    login_main,
    N_("Usage: tamnong login [--json] [LOGIN]\n"
       "\n"
       "Log in to the province server as the person LOGIN of this computer's\n"
       "agency. The password is asked without showing it (or read as one line\n"
       "from standard input when that is not a terminal). The session is kept in\n"
       "the state directory and sent with every later command, including sync,\n"
       "until 'tamnong logout', until it is not used for a while, or until its\n"
       "maximum age; it works only with this computer's certificate. After 100\n"
       "failed attempts within an hour the user name is locked for a while.\n"
       "\n"
       "Options:\n"
       "  --json   print {login, display_name, role, agency, expires, idle_expires}\n"),
};

/* ------------------------------------------------------------------ logout */

static int logout_main(struct cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{0, 0, 0, 0}};
    int c;
    while ((c = cli_getopt(cli, &cmd_logout, argc, argv, "", opts)) != -1)
        if (c == '?')
            return TN_EXIT_USAGE;
    if (optind < argc)
        return cli_usage_error(cli, &cmd_logout, _("'%s %s' takes no arguments."), cli->prefix,
                               cmd_logout.name);
    char *cert = config_cert_file(cli);
    if (!cert)
        return TN_EXIT_CONFIG;
    struct session s;
    if (session_load(cli->state_dir, cert, &s) != 0) {
        free(cert);
        puts(_("Not logged in."));
        return TN_EXIT_OK;
    }
    struct rpc_client *client;
    int rc = cli_connect(cli, &client);
    if (rc == TN_EXIT_OK) {
        Tamnong__LogoutRequest req = TAMNONG__LOGOUT_REQUEST__INIT;
        ProtobufCMessage *resp = NULL;
        struct rpc_status st;
        if (rpc_call(client, "Logout", &req.base, &resp, &st) < 0 &&
            !(st.result == RPC_STATUS && st.code == TAMNONG__STATUS__UNAUTHENTICATED))
            rc = cli_rpc_error(cli, &st); /* the server did not end it: keep it here too */
        if (resp)
            protobuf_c_message_free_unpacked(resp, NULL);
        rpc_close(client);
    }
    if (rc == TN_EXIT_OK) {
        if (session_remove(cli->state_dir, cert) != 0) {
            out_error(_("Cannot remove the session file: %s"), strerror(errno));
            rc = TN_EXIT_SOFTWARE;
        } else {
            printf(_("Logged out (%s).\n"), s.login);
        }
    }
    memset(&s, 0, sizeof s);
    free(cert);
    return rc;
}

const struct command cmd_logout = {
    "logout",
    N_("End the person's session on this computer"),
    logout_main,
    N_("Usage: tamnong logout\n"
       "\n"
       "End the session of 'tamnong login' on the server and forget it here.\n"
       "Later commands act as the agency of this computer's certificate.\n"),
};

/* ------------------------------------------------------------------ whoami */

static int whoami_main(struct cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {CLI_OPTION_JSON, {0, 0, 0, 0}};
    int c;
    while ((c = cli_getopt(cli, &cmd_whoami, argc, argv, "", opts)) != -1)
        if (c == '?')
            return TN_EXIT_USAGE;
    if (optind < argc)
        return cli_usage_error(cli, &cmd_whoami, _("'%s %s' takes no arguments."), cli->prefix,
                               cmd_whoami.name);
    Tamnong__WhoamiRequest req = TAMNONG__WHOAMI_REQUEST__INIT;
    ProtobufCMessage *resp = NULL;
    int rc = cli_call(cli, "Whoami", &req.base, &resp);
    if (rc != TN_EXIT_OK)
        return rc;
    const Tamnong__WhoamiResponse *r = (const Tamnong__WhoamiResponse *)resp;
    if (cli->json) {
        json_t *o = json_pack("{s:o, s:o, s:s, s:s, s:s, s:s, s:o, s:o}", "login",
                              out_jstr_or_null(r->login), "display_name",
                              out_jstr_or_null(r->display_name), "role", r->role, "agency",
                              r->agency, "agency_name", r->agency_name, "cert_fingerprint",
                              r->fingerprint, "expires", out_jtime_or_null(r->expires_ms),
                              "idle_expires", out_jtime_or_null(r->idle_expires_ms));
        rc = out_json_answer(o, false);
    } else {
        char agency[512], person[512], until[64], idle[64];
        snprintf(agency, sizeof agency, "%s — %s", r->agency, r->agency_name);
        struct out_table *t = out_table_new(2);
        out_table_addv(t, _("Agency:"), agency);
        if (r->login[0]) {
            snprintf(person, sizeof person, "%s%s%s%s", r->login, r->display_name[0] ? " (" : "",
                     r->display_name, r->display_name[0] ? ")" : "");
            out_local_time(r->expires_ms, until, sizeof until);
            out_local_time(r->idle_expires_ms, idle, sizeof idle);
            out_table_addv(t, _("Person:"), person);
            out_table_addv(t, _("Role:"), r->role);
            out_table_addv(t, _("Session ends:"), until);
            out_table_addv(t, _("Unless used before:"), idle);
        } else {
            out_table_addv(t, _("Person:"), _("(nobody logged in: tamnong login)"));
            out_table_addv(t, _("Role:"), r->role);
        }
        out_table_addv(t, _("Certificate (SHA-256):"), r->fingerprint);
        out_table_print(t, stdout);
        out_table_free(t);
        rc = fflush(stdout) == 0 ? TN_EXIT_OK : TN_EXIT_SOFTWARE;
    }
    protobuf_c_message_free_unpacked(resp, NULL);
    return rc;
}

const struct command cmd_whoami = {
    "whoami",
    N_("Show who the server takes you for"),
    whoami_main,
    N_("Usage: tamnong whoami [--json]\n"
       "\n"
       "Ask the server who is calling: the agency of this computer's certificate\n"
       "and, after 'tamnong login', the person, their role and when the session\n"
       "ends. Without a person the role is 'agency' (the certificate alone).\n"
       "\n"
       "Options:\n"
       "  --json   print {login, display_name, role, agency, agency_name,\n"
       "           cert_fingerprint, expires, idle_expires}\n"),
};
