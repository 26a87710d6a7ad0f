/* cmd_admin: `tamnong admin ...`, the commands of persons logged in as
 * reviewer, viewer or operator (docs/security.md). For now `admin plan import FILE`: check a plan
 * file here (every problem as FILE:LINE: message), then send it; the server checks it again and
 * loads it in one transaction as a new plan version when it changed. Later issues add their rows to
 * admin_commands. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "frame.h"
#include "i18n.h"
#include "output.h"
#include "planfile.h"
#include "tamnong.pb-c.h"

/* What fits in one request with room for the envelope. */
#define PLAN_FILE_MAX (FRAME_DEFAULT_MAX - 64 * 1024)

/* ------------------------------------------------------- admin plan import */

/* The whole file in memory (NUL-terminated for safety). 0, or -1 after
 * printing why. */
static int read_file(const char *path, char **data, size_t *len)
{
    *data = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        out_error(_("cannot open %s: %s"), path, strerror(errno));
        return -1;
    }
    struct stat sb;
    if (fstat(fileno(f), &sb) == 0 && !S_ISREG(sb.st_mode)) {
        out_error(_("%s is not a regular file."), path);
        fclose(f);
        return -1;
    }
    size_t cap = 64 * 1024, n = 0;
    char *buf = malloc(cap + 1);
    while (buf) {
        if (n == cap) {
            if (cap > PLAN_FILE_MAX)
                break;
            char *b = realloc(buf, cap * 2 + 1);
            if (!b) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = b;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    bool failed = !buf || ferror(f);
    int err = errno;
    fclose(f);
    if (failed) {
        out_error(_("cannot read %s: %s"), path, buf ? strerror(err) : _("Out of memory."));
        free(buf);
        return -1;
    }
    if (n > PLAN_FILE_MAX) {
        out_error(_("%s is too large to send (more than %u KiB)."), path,
                  (unsigned)(PLAN_FILE_MAX / 1024));
        free(buf);
        return -1;
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return 0;
}

static const char *change_what_label(const char *what)
{
    if (strcmp(what, "task") == 0)
        return _("task");
    if (strcmp(what, "indicator") == 0)
        return _("indicator");
    return what;
}

static const char *change_label(const char *change)
{
    if (strcmp(change, "added") == 0)
        return _("added");
    if (strcmp(change, "removed") == 0)
        return _("removed");
    if (strcmp(change, "changed") == 0)
        return _("changed");
    return change;
}

static int import_json(const Tamnong__PlanImportResponse *r)
{
    json_t *changes = json_array();
    bool bad = !changes;
    for (size_t i = 0; !bad && i < r->n_changes; i++) {
        json_t *what = json_string(r->changes[i]->what), *code = json_string(r->changes[i]->code),
               *change = json_string(r->changes[i]->change);
        json_t *o = NULL;
        if (what && code && change)
            o = json_pack("{s:O, s:O, s:O}", "what", what, "code", code, "change", change);
        json_decref(what);
        json_decref(code);
        json_decref(change);
        if (!o || json_array_append_new(changes, o) != 0)
            bad = true;
    }
    json_t *plan = bad ? NULL : json_string(r->plan);
    json_t *doc = NULL;
    if (plan)
        doc = json_pack("{s:o, s:i, s:b, s:O, s:i, s:i, s:i, s:i}", "plan", plan, "version",
                        (int)r->version, "changed", (int)r->changed, "changes", changes, "agencies",
                        (int)r->agencies, "tasks", (int)r->tasks, "indicators", (int)r->indicators,
                        "targets", (int)r->targets);
    json_decref(changes);
    return out_json_answer(doc, false);
}

static int import_human(const Tamnong__PlanImportResponse *r)
{
    char version[96], counts[4][16];
    if (r->changed)
        snprintf(version, sizeof version, _("%d (new)"), (int)r->version);
    else
        snprintf(version, sizeof version, _("%d (unchanged: the server already has this content)"),
                 (int)r->version);
    snprintf(counts[0], sizeof counts[0], "%d", (int)r->agencies);
    snprintf(counts[1], sizeof counts[1], "%d", (int)r->tasks);
    snprintf(counts[2], sizeof counts[2], "%d", (int)r->indicators);
    snprintf(counts[3], sizeof counts[3], "%d", (int)r->targets);
    struct out_table *t = out_table_new(2);
    out_table_addv(t, _("Plan:"), r->plan);
    out_table_addv(t, _("Version:"), version);
    out_table_addv(t, _("Agencies:"), counts[0]);
    out_table_addv(t, _("Tasks:"), counts[1]);
    out_table_addv(t, _("Indicators:"), counts[2]);
    out_table_addv(t, _("Targets:"), counts[3]);
    out_table_print(t, stdout);
    out_table_free(t);
    if (r->changed && r->version > 1) {
        if (r->n_changes == 0) {
            puts(_("No task or indicator changed (the sections or texts around them did)."));
        } else {
            printf(ngettext("%zu change against the previous version:\n",
                            "%zu changes against the previous version:\n", r->n_changes),
                   r->n_changes);
            t = out_table_new(4);
            for (size_t i = 0; i < r->n_changes; i++)
                out_table_addv(t, "", change_what_label(r->changes[i]->what), r->changes[i]->code,
                               change_label(r->changes[i]->change));
            out_table_print(t, stdout);
            out_table_free(t);
        }
    }
    return fflush(stdout) == 0 ? TN_EXIT_OK : TN_EXIT_SOFTWARE;
}

static const struct command admin_plan_import_cmd;

static int import_main(struct cli *cli, int argc, char **argv)
{
    enum { OPT_CHECK = 0x300 };
    static const struct option opts[] = {
        {"check", no_argument, NULL, OPT_CHECK},
        CLI_OPTION_JSON,
        {0, 0, 0, 0},
    };
    bool check_only = false;
    int c;
    while ((c = cli_getopt(cli, &admin_plan_import_cmd, argc, argv, "", opts)) != -1) {
        if (c != OPT_CHECK)
            return TN_EXIT_USAGE;
        check_only = true;
    }
    if (optind >= argc)
        return cli_usage_error(cli, &admin_plan_import_cmd, _("which plan file? Give FILE."));
    if (optind + 1 < argc)
        return cli_usage_error(cli, &admin_plan_import_cmd, _("give only one plan file."));
    const char *path = argv[optind];

    char *data;
    size_t len;
    if (read_file(path, &data, &len) < 0)
        return TN_EXIT_USAGE;

    /* Check here first: every problem at once, with its line. */
    struct plan *plan = NULL;
    struct plan_errors errs;
    plan_errors_init(&errs);
    if (planfile_parse_buffer(path, data, len, &plan, &errs) != 0) {
        for (size_t i = 0; i < errs.n; i++)
            fprintf(stderr, "%s\n", errs.v[i].msg);
        out_error(ngettext("%s has %zu problem; nothing was sent to the server.",
                           "%s has %zu problems; nothing was sent to the server.", errs.n),
                  path, errs.n);
        plan_errors_free(&errs);
        free(data);
        return TN_EXIT_DATA;
    }
    plan_errors_free(&errs);
    size_t counts[4] = {plan->n_agencies, plan->n_tasks, plan->n_indicators, plan->n_targets};
    plan_free(plan);
    if (check_only) {
        free(data);
        /* TRANSLATORS: 1: file, 2-5: numbers of agencies, tasks, indicators, targets. */
        printf(_("%s is a valid plan file (agencies: %zu, tasks: %zu, indicators: %zu, "
                 "targets: %zu).\n"),
               path, counts[0], counts[1], counts[2], counts[3]);
        return fflush(stdout) == 0 ? TN_EXIT_OK : TN_EXIT_SOFTWARE;
    }

    struct rpc_client *client;
    int rc = cli_connect(cli, &client);
    if (rc != TN_EXIT_OK) {
        free(data);
        return rc;
    }
    const char *base = strrchr(path, '/');
    Tamnong__PlanImportRequest req = TAMNONG__PLAN_IMPORT_REQUEST__INIT;
    req.file_name = (char *)(base ? base + 1 : path);
    req.content.data = (uint8_t *)data;
    req.content.len = len;
    ProtobufCMessage *resp = NULL;
    struct rpc_status st;
    if (rpc_call(client, "PlanImport", &req.base, &resp, &st) < 0) {
        if (st.result == RPC_STATUS && st.code == TAMNONG__STATUS__PERMISSION_DENIED) {
            out_error(_("not allowed: only an operator may import a plan; log in first as "
                        "an operator: tamnong login"));
            rc = TN_EXIT_NOPERM;
        } else {
            rc = cli_rpc_error(cli, &st);
        }
    } else {
        const Tamnong__PlanImportResponse *r = (const Tamnong__PlanImportResponse *)resp;
        rc = cli->json ? import_json(r) : import_human(r);
        protobuf_c_message_free_unpacked(resp, NULL);
    }
    rpc_close(client);
    free(data);
    return rc;
}

static const struct command admin_plan_import_cmd = {
    "import",
    N_("Check a plan file and load it as the plan in force"),
    import_main,
    N_("Usage: tamnong admin plan import [--check] [--json] FILE\n"
       "\n"
       "Check the plan file FILE (docs/plan-format.md) and send it to the server,\n"
       "which checks it again and loads it in one go: a new plan version when the\n"
       "content changed, nothing when it is the same. Every problem is printed as\n"
       "FILE:LINE: message and then nothing is sent. The plan is named after the\n"
       "file: lang-son.plan is the plan lang-son. Only an operator (after\n"
       "'tamnong login') may import.\n"
       "\n"
       "Options:\n"
       "  --check   only check the file here; send nothing\n"
       "  --json    print a JSON object: plan, version, changed, changes [{what,\n"
       "            code, change}], agencies, tasks, indicators, targets\n"),
};

/* ------------------------------------------------------------ admin groups */

static const struct command *const admin_plan_commands[] = {&admin_plan_import_cmd, NULL};

static const struct command admin_plan_cmd;

static int admin_plan_main(struct cli *cli, int argc, char **argv)
{
    return cli_run_group(cli, &admin_plan_cmd, admin_plan_commands, argc, argv);
}

static const struct command admin_plan_cmd = {
    "plan",
    N_("Manage the provincial plan"),
    admin_plan_main,
    N_("Usage: tamnong admin plan import [--check] [--json] FILE\n"
       "\n"
       "Check the plan file FILE and load it as the plan in force (see\n"
       "'tamnong admin --help').\n"),
};

/* One row per line: easier to add to. */
/* clang-format off */
static const struct command *const admin_commands[] = {
    &admin_plan_cmd,
    &cmd_admin_submissions,
    &cmd_admin_review,
    &cmd_admin_status,
    &cmd_admin_extend,
    &cmd_admin_cert,
    &cmd_admin_board,
    &cmd_admin_targets,
    &cmd_admin_close,
    &cmd_admin_report,
    &cmd_admin_user,
    &cmd_admin_audit,
    NULL,
};
/* clang-format on */

static int admin_main(struct cli *cli, int argc, char **argv)
{
    return cli_run_group(cli, &cmd_admin, admin_commands, argc, argv);
}

const struct command cmd_admin = {
    "admin",
    N_("Commands of reviewers, viewers and operators (after tamnong login)"),
    admin_main,
    N_("Usage: tamnong admin COMMAND ...\n"
       "\n"
       "Commands open only to a person logged in (tamnong login) as reviewer,\n"
       "viewer or operator; the certificate alone is not enough.\n"
       "\n"
       "Commands:\n"
       "  tamnong admin plan import [--check] [--json] FILE\n"
       "      Check the plan file FILE (docs/plan-format.md) and send it to the\n"
       "      server, which checks it again and loads it in one go: a new plan\n"
       "      version when the content changed, nothing when it is the same. Every\n"
       "      problem is printed as FILE:LINE: message and then nothing is sent. The\n"
       "      plan is named after the file: lang-son.plan is the plan lang-son.\n"
       "        --check   only check the file here; send nothing\n"
       "        --json    print a JSON object: plan, version, changed, changes [{what,\n"
       "                  code, change}], agencies, tasks, indicators, targets\n"
       "  tamnong admin submissions [--period PERIOD] [--state STATE] [--agency CODE]\n"
       "      List the reports received; with an ID, show that report in full.\n"
       "  tamnong admin review ID (--accept | --return REASON)\n"
       "      Accept report ID or return it for correction; saved here and sent by\n"
       "      'tamnong sync'.\n"
       "  tamnong admin status PERIOD [--kind KIND]\n"
       "      Who was expected to report for PERIOD and who did, on time or late.\n"
       "  tamnong admin extend PERIOD [--agency CODE] --until YYYY-MM-DD --reason TEXT\n"
       "      Give an agency, or every reporter, until the end of that day.\n"
       "  tamnong admin cert register CERT.pem --agency CODE\n"
       "  tamnong admin cert revoke (FINGERPRINT | CERT.pem) [--reason TEXT]\n"
       "      Register an agency certificate of the province CA, or revoke one at\n"
       "      once (operator only).\n"
       "  tamnong admin board PERIOD [--section S] [--agency CODE] [--status ST]\n"
       "      The task board at PERIOD's deadline, overdue tasks first.\n"
       "  tamnong admin targets PERIOD [--indicator KEY]\n"
       "      Target progress: province values, targets, status, breakdown.\n"
       "  tamnong admin close PERIOD\n"
       "      Close PERIOD: freeze its figures as reported at the deadline.\n"
       "  tamnong admin report PERIOD --format html|md|csv [-o FILE]\n"
       "      The consolidated report of PERIOD, in Vietnamese.\n"

       "  tamnong admin user add LOGIN --agency CODE --role ROLE [--name NAME]\n"
       "  tamnong admin user update LOGIN [--role ROLE] [--disable | --enable]\n"
       "                                [--password] [--unlock]\n"
       "      Add or change a person who logs in (operators).\n"
       "  tamnong admin audit verify [--json]\n"
       "      Check the audit log's hash chain; exit 65 when it is broken (operators).\n"),
};
