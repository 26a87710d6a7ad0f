/* cmd_users: the operator's `tamnong admin user add|update` (persons and
 * their roles) and `tamnong admin audit verify` (walk the audit chain). They
 * need an operator's session (tamnong login). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "i18n.h"
#include "output.h"
#include "tamnong.pb-c.h"

/* Exit code of `admin audit verify` when the chain is broken. */
#define EXIT_AUDIT_BROKEN TN_EXIT_DATA

static int print_person(const struct cli *cli, const Tamnong__Person *p, const char *done_msg)
{
    if (!p) {
        out_error(_("The server sent an answer this program cannot read."));
        return TN_EXIT_SOFTWARE;
    }
    if (cli->json) {
        json_t *o =
            json_pack("{s:s, s:s, s:s, s:s, s:b}", "login", p->login, "agency", p->agency, "role",
                      p->role, "display_name", p->display_name, "disabled", (int)p->disabled);
        return out_json_answer(o, false);
    }
    puts(done_msg);
    struct out_table *t = out_table_new(2);
    out_table_addv(t, _("User name:"), p->login);
    out_table_addv(t, _("Name:"), p->display_name);
    out_table_addv(t, _("Agency:"), p->agency);
    out_table_addv(t, _("Role:"), p->role);
    out_table_addv(t, _("Disabled:"), p->disabled ? _("yes") : _("no"));
    out_table_print(t, stdout);
    out_table_free(t);
    return fflush(stdout) == 0 ? TN_EXIT_OK : TN_EXIT_SOFTWARE;
}

/* A new password: asked twice on a terminal, one line from a pipe. */
static int read_new_password(char *buf, size_t len)
{
    if (cli_read_line(_("New password: "), true, buf, len) < 0 || !*buf) {
        out_error(_("No password given."));
        return -1;
    }
    if (isatty(STDIN_FILENO)) {
        char again[1100];
        if (cli_read_line(_("Same password again: "), true, again, sizeof again) < 0 ||
            strcmp(again, buf) != 0) {
            memset(again, 0, sizeof again);
            out_error(_("The two passwords differ."));
            return -1;
        }
        memset(again, 0, sizeof again);
    }
    return 0;
}

/* ------------------------------------------------------------ admin user add */

static const struct command admin_user_add_cmd;

static int user_add_main(struct cli *cli, int argc, char **argv)
{
    enum { OPT_AGENCY = 0x300, OPT_ROLE, OPT_NAME };
    static const struct option opts[] = {
        {"agency", required_argument, NULL, OPT_AGENCY},
        {"role", required_argument, NULL, OPT_ROLE},
        {"name", required_argument, NULL, OPT_NAME},
        CLI_OPTION_JSON,
        {0, 0, 0, 0},
    };
    const char *agency = NULL, *role = NULL, *name = "";
    int c;
    while ((c = cli_getopt(cli, &admin_user_add_cmd, argc, argv, "", opts)) != -1) {
        if (c == OPT_AGENCY)
            agency = optarg;
        else if (c == OPT_ROLE)
            role = optarg;
        else if (c == OPT_NAME)
            name = optarg;
        else
            return TN_EXIT_USAGE;
    }
    if (optind + 1 != argc)
        return cli_usage_error(cli, &admin_user_add_cmd, _("give one user name, LOGIN."));
    if (!agency || !role)
        return cli_usage_error(cli, &admin_user_add_cmd, _("give --agency CODE and --role ROLE."));
    char password[1100];
    if (read_new_password(password, sizeof password) < 0)
        return TN_EXIT_USAGE;
    Tamnong__UserAddRequest req = TAMNONG__USER_ADD_REQUEST__INIT;
    req.login = argv[optind];
    req.agency = (char *)agency;
    req.role = (char *)role;
    req.display_name = (char *)name;
    req.password = password;
    ProtobufCMessage *resp = NULL;
    int rc = cli_call(cli, "UserAdd", &req.base, &resp);
    memset(password, 0, sizeof password);
    if (rc != TN_EXIT_OK)
        return rc;
    rc = print_person(cli, ((const Tamnong__UserAddResponse *)resp)->person, _("User added."));
    protobuf_c_message_free_unpacked(resp, NULL);
    return rc;
}

static const struct command admin_user_add_cmd = {
    "add",
    N_("Add a person who can log in"),
    user_add_main,
    N_("Usage: tamnong admin user add LOGIN --agency CODE --role ROLE [--name NAME] [--json]\n"
       "\n"
       "Create the person LOGIN (lower-case letters, digits, '.', '_', '-') of\n"
       "agency CODE with ROLE: reporter (their agency's reports), reviewer (the\n"
       "standing agency: reviews, deadlines, closing periods), viewer (reads\n"
       "everything, changes nothing) or operator (accounts, certificates, plan).\n"
       "The password (8 to 1024 bytes) is asked twice without showing it, or\n"
       "read as one line from standard input. Operators only.\n"
       "\n"
       "Options:\n"
       "  --name NAME   the person's full name\n"
       "  --json        print {login, agency, role, display_name, disabled}\n"),
};

/* ------------------------------------------------------------ admin user update */

static const struct command admin_user_update_cmd;

static int user_update_main(struct cli *cli, int argc, char **argv)
{
    enum { OPT_ROLE = 0x300, OPT_DISABLE, OPT_ENABLE, OPT_PASSWORD, OPT_UNLOCK };
    static const struct option opts[] = {
        {"role", required_argument, NULL, OPT_ROLE},
        {"disable", no_argument, NULL, OPT_DISABLE},
        {"enable", no_argument, NULL, OPT_ENABLE},
        {"password", no_argument, NULL, OPT_PASSWORD},
        {"unlock", no_argument, NULL, OPT_UNLOCK},
        CLI_OPTION_JSON,
        {0, 0, 0, 0},
    };
    Tamnong__UserUpdateRequest req = TAMNONG__USER_UPDATE_REQUEST__INIT;
    bool new_password = false;
    int c;
    while ((c = cli_getopt(cli, &admin_user_update_cmd, argc, argv, "", opts)) != -1) {
        switch (c) {
        case OPT_ROLE:
            req.role = optarg;
            break;
        case OPT_DISABLE:
            req.disable = true;
            break;
        case OPT_ENABLE:
            req.enable = true;
            break;
        case OPT_PASSWORD:
            new_password = true;
            break;
        case OPT_UNLOCK:
            req.unlock = true;
            break;
        default:
            return TN_EXIT_USAGE;
        }
    }
    if (optind + 1 != argc)
        return cli_usage_error(cli, &admin_user_update_cmd, _("give one user name, LOGIN."));
    if (req.disable && req.enable)
        return cli_usage_error(cli, &admin_user_update_cmd,
                               _("give --disable or --enable, not both."));
    char password[1100] = "";
    if (new_password && read_new_password(password, sizeof password) < 0)
        return TN_EXIT_USAGE;
    req.login = argv[optind];
    req.password = password;
    ProtobufCMessage *resp = NULL;
    int rc = cli_call(cli, "UserUpdate", &req.base, &resp);
    memset(password, 0, sizeof password);
    if (rc != TN_EXIT_OK)
        return rc;
    rc = print_person(cli, ((const Tamnong__UserUpdateResponse *)resp)->person, _("User updated."));
    protobuf_c_message_free_unpacked(resp, NULL);
    return rc;
}

static const struct command admin_user_update_cmd = {
    "update",
    N_("Change a person's role, password or access"),
    user_update_main,
    N_("Usage: tamnong admin user update LOGIN [--role ROLE] [--disable | --enable]\n"
       "                                [--password] [--unlock] [--json]\n"
       "\n"
       "Change the person LOGIN. Operators only.\n"
       "\n"
       "Options:\n"
       "  --role ROLE   reporter, reviewer, viewer or operator\n"
       "  --disable     the person can no longer log in; their sessions end\n"
       "  --enable      allow log-in again\n"
       "  --password    set a new password (asked, or one line from standard\n"
       "                input); the person's sessions end\n"
       "  --unlock      forget failed log-ins and end a lockout\n"
       "  --json        print {login, agency, role, display_name, disabled}\n"),
};

static const struct command *const admin_user_commands[] = {&admin_user_add_cmd,
                                                            &admin_user_update_cmd, NULL};

static int admin_user_main(struct cli *cli, int argc, char **argv)
{
    return cli_run_group(cli, &cmd_admin_user, admin_user_commands, argc, argv);
}

const struct command cmd_admin_user = {
    "user",
    N_("Manage the persons who can log in"),
    admin_user_main,
    N_("Usage: tamnong admin user add LOGIN --agency CODE --role ROLE [--name NAME]\n"
       "       tamnong admin user update LOGIN [--role ROLE] [--disable | --enable]\n"
       "                                [--password] [--unlock]\n"
       "\n"
       "Add or change the persons who log in with 'tamnong login' (operators only).\n"),
};

/* ------------------------------------------------------------ admin audit verify */

static const struct command admin_audit_verify_cmd;

static int audit_verify_main(struct cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {CLI_OPTION_JSON, {0, 0, 0, 0}};
    int c;
    while ((c = cli_getopt(cli, &admin_audit_verify_cmd, argc, argv, "", opts)) != -1)
        if (c == '?')
            return TN_EXIT_USAGE;
    if (optind < argc)
        return cli_usage_error(cli, &admin_audit_verify_cmd, _("'%s %s' takes no arguments."),
                               cli->prefix, admin_audit_verify_cmd.name);
    Tamnong__AuditVerifyRequest req = TAMNONG__AUDIT_VERIFY_REQUEST__INIT;
    ProtobufCMessage *resp = NULL;
    int rc = cli_call(cli, "AuditVerify", &req.base, &resp);
    if (rc != TN_EXIT_OK)
        return rc;
    const Tamnong__AuditVerifyResponse *r = (const Tamnong__AuditVerifyResponse *)resp;
    if (cli->json) {
        json_t *o = json_pack("{s:b, s:I, s:I, s:s, s:s, s:s}", "ok", (int)r->ok, "rows",
                              (json_int_t)r->rows, "id", (json_int_t)r->id, "reason", r->reason,
                              "message", r->message, "head", r->head);
        rc = out_json_answer(o, false);
    } else if (r->ok) {
        printf(ngettext("The audit log is intact: %lld row, chained without a break.\n",
                        "The audit log is intact: %lld rows, chained without a break.\n",
                        (unsigned long)r->rows),
               (long long)r->rows);
        /* TRANSLATORS: the hash is a long hex string. */
        printf(_("Hash of the last row (note it elsewhere to detect a rewritten log): %s\n"),
               r->head);
        rc = fflush(stdout) == 0 ? TN_EXIT_OK : TN_EXIT_SOFTWARE;
    } else {
        /* TRANSLATORS: 1: row number, 2: the server's explanation (English). */
        out_error(_("The audit log is BROKEN at row %lld: %s"), (long long)r->id, r->message);
    }
    if (rc == TN_EXIT_OK && !r->ok)
        rc = EXIT_AUDIT_BROKEN;
    protobuf_c_message_free_unpacked(resp, NULL);
    return rc;
}

static const struct command admin_audit_verify_cmd = {
    "verify",
    N_("Check the audit log's hash chain"),
    audit_verify_main,
    N_("Usage: tamnong admin audit verify [--json]\n"
       "\n"
       "Walk the audit log on the server and check that every row still matches\n"
       "its hash and follows the row before it. Exit 0 when the chain is intact,\n"
       "65 when it is broken (the first broken row and why are printed: content\n"
       "changed, row missing, order changed). Operators only.\n"
       "\n"
       "Options:\n"
       "  --json   print {ok, rows, id, reason, message, head}\n"),
};

static const struct command *const admin_audit_commands[] = {&admin_audit_verify_cmd, NULL};

static int admin_audit_main(struct cli *cli, int argc, char **argv)
{
    return cli_run_group(cli, &cmd_admin_audit, admin_audit_commands, argc, argv);
}

const struct command cmd_admin_audit = {
    "audit",
    N_("Check the audit log"),
    admin_audit_main,
    N_("Usage: tamnong admin audit verify [--json]\n"
       "\n"
       "Check the audit log's hash chain (operators only).\n"),
};
