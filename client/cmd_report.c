/* cmd_report: `tamnong report ...`, the report of one period, written
 * offline in the local store (draft.h) and queued for `tamnong sync` by
 * `report submit`: open, set, unset, write, attach, detach, task, show,
 * validate, submit. Nothing here touches the network. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/pem.h>

#include "cli.h"
#include "client_config.h"
#include "draft.h"
#include "i18n.h"
#include "outbox.h"
#include "output.h"
#include "report_rules.h"
#include "utf8.h"

/* Longest narrative file read (the limit itself is checked by validate). */
#define TEXT_READ_MAX (4L * 1024 * 1024)

enum {
    OPT_PERIOD = 0x300,
    OPT_NUMERATOR,
    OPT_DENOMINATOR,
    OPT_NOTE,
    OPT_NONE,
    OPT_TEXT,
    OPT_FILE,
    OPT_NAME,
    OPT_TYPE,
    OPT_STATUS,
    OPT_PROGRESS
};

#define OPTION_PERIOD                                                                              \
    {                                                                                              \
        "period", required_argument, NULL, OPT_PERIOD                                              \
    }

static const struct command report_open_cmd, report_set_cmd, report_unset_cmd, report_write_cmd,
    report_attach_cmd, report_detach_cmd, report_task_cmd, report_show_cmd, report_validate_cmd,
    report_submit_cmd;

/* Open the store and find the period. TN_EXIT_OK, or an exit code after
 * printing why. */
static int open_period(struct cli *cli, const char *explicit_period, struct store **s, char *period,
                       size_t len)
{
    int rc = store_open_for_cli(cli->state_dir, s);
    if (rc != TN_EXIT_OK)
        return rc;
    if (draft_resolve_period(*s, explicit_period, period, len) < 0) {
        out_error("%s", _("No reporting period is known yet. Run 'tamnong pull' while the "
                          "server can be reached, or name the period: "
                          "tamnong report open 2025-6m"));
        store_close(*s);
        *s = NULL;
        return TN_EXIT_USAGE;
    }
    if (!rr_code_ok(period)) {
        out_error(_("'%s' is not a period code (like 2025-6m)."), period);
        store_close(*s);
        *s = NULL;
        return TN_EXIT_USAGE;
    }
    return TN_EXIT_OK;
}

static int db_error(struct store *s)
{
    out_error(_("Cannot update the local state: %s"), store_errmsg(s));
    return TN_EXIT_SOFTWARE;
}

/* The draft must exist (report open made it). */
static bool draft_exists(struct store *s, const char *period)
{
    sqlite3_stmt *st = store_prepare(s, "SELECT 1 FROM drafts WHERE period_code = ?1");
    if (!st)
        return false;
    sqlite3_bind_text(st, 1, period, -1, SQLITE_STATIC);
    bool found = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return found;
}

/* Begin a change of the draft of period: the transaction is open on
 * success. */
static int begin_change(struct store *s, const char *period)
{
    if (store_begin(s) < 0)
        return db_error(s);
    if (draft_touch(s, period, NULL) < 0) {
        store_rollback(s);
        return db_error(s);
    }
    return TN_EXIT_OK;
}

static int end_change(struct cli *cli, struct store *s, const char *period)
{
    if (store_commit(s) < 0)
        return db_error(s);
    return outbox_say_saved(s, cli->json, json_pack("{s:s}", "period", period));
}

static bool no_more_args(struct cli *cli, const struct command *cmd, int argc, char **argv, int *rc)
{
    if (optind < argc) {
        *rc = cli_usage_error(cli, cmd, _("unexpected argument '%s'."), argv[optind]);
        return false;
    }
    return true;
}

/* Parse the options of a command that has only --json and --period. */
static int period_opts(struct cli *cli, const struct command *cmd, int argc, char **argv,
                       const char **period_opt)
{
    static const struct option opts[] = {CLI_OPTION_JSON, OPTION_PERIOD, {0, 0, 0, 0}};
    int c;
    while ((c = cli_getopt(cli, cmd, argc, argv, "", opts)) != -1) {
        if (c == '?')
            return TN_EXIT_USAGE;
        if (c == OPT_PERIOD)
            *period_opt = optarg;
    }
    return TN_EXIT_OK;
}

/* End a change begun by begin_change; r is what the edit returned. */
static int finish_change(struct cli *cli, struct store *s, const char *period, int r)
{
    if (r < 0) {
        store_rollback(s);
        return db_error(s);
    }
    return end_change(cli, s, period);
}

/* ------------------------------------------------------------ report open */

static int open_main(struct cli *cli, int argc, char **argv)
{
    const char *period_opt = NULL;
    int rc;
    if ((rc = period_opts(cli, &report_open_cmd, argc, argv, &period_opt)) != TN_EXIT_OK)
        return rc;
    if (optind < argc)
        period_opt = argv[optind++];
    if (!no_more_args(cli, &report_open_cmd, argc, argv, &rc))
        return rc;
    struct store *s;
    char period[128];
    if ((rc = open_period(cli, period_opt, &s, period, sizeof period)) != TN_EXIT_OK)
        return rc;
    /* `open` alone: the period whose deadline comes next, not the last one. */
    char next[128];
    if (!period_opt && draft_next_period(s, next, sizeof next) == 0)
        snprintf(period, sizeof period, "%s", next);
    sqlite3_stmt *st = store_prepare(s, "SELECT count(*) FROM periods");
    int n_periods = st && sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    sqlite3_finalize(st);
    if (n_periods > 0 && !draft_period_known(s, period)) {
        out_error(_("'%s' is not a reporting period of the plan. Run 'tamnong periods' or "
                    "'tamnong status' to see them."),
                  period);
        store_close(s);
        return TN_EXIT_DATA;
    }
    if (n_periods == 0)
        out_warn(_("the periods of the plan have not been pulled yet: the server will check "
                   "the period %s when the report is sent."),
                 period);
    bool created = false;
    if (store_begin(s) < 0) {
        rc = db_error(s);
        goto out;
    }
    sqlite3_stmt *ins = store_prepare(
        s, "INSERT INTO drafts (period_code, created_at_ms, updated_at_ms) VALUES (?1, ?2, ?2) "
           "ON CONFLICT (period_code) DO NOTHING");
    if (!ins) {
        store_rollback(s);
        rc = db_error(s);
        goto out;
    }
    sqlite3_bind_text(ins, 1, period, -1, SQLITE_STATIC);
    sqlite3_bind_int64(ins, 2, store_now_ms());
    int step = sqlite3_step(ins);
    sqlite3_finalize(ins);
    created = sqlite3_changes(s->db) > 0;
    if (step != SQLITE_DONE || store_meta_set(s, "report_period", period) < 0 ||
        store_commit(s) < 0) {
        store_rollback(s);
        rc = db_error(s);
        goto out;
    }
    if (!cli->json) {
        if (created)
            printf(_("Opened a new report for the period %s.\n"), period);
        else
            printf(_("The report for the period %s is open; the next commands work on it.\n"),
                   period);
    }
    rc = outbox_say_saved(s, cli->json,
                          json_pack("{s:s, s:b}", "period", period, "created", created));
out:
    store_close(s);
    return rc;
}

/* ------------------------------------------------------------- report set */

/* The indicator row, if pulled: 1 found (rule/unit filled), 0 not, -1. */
static int indicator_info(struct store *s, const char *key, char *rule, size_t rlen)
{
    sqlite3_stmt *st = store_prepare(s, "SELECT rule FROM indicators WHERE key = ?1");
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    int found = 0;
    if (sqlite3_step(st) == SQLITE_ROW) {
        const char *v = (const char *)sqlite3_column_text(st, 0);
        snprintf(rule, rlen, "%s", v ? v : "");
        found = 1;
    }
    sqlite3_finalize(st);
    return found;
}

static int count_rows(struct store *s, const char *sql)
{
    sqlite3_stmt *st = store_prepare(s, sql);
    int n = st && sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    sqlite3_finalize(st);
    return n;
}

static int number_arg(struct cli *cli, const struct command *cmd, const char *what, const char *in,
                      char *out, size_t len)
{
    if (store_normalize_decimal(in, out, len) < 0 || !rr_decimal_ok(out))
        return cli_usage_error(cli, cmd,
                               _("%s '%s' is not a number: write it like 63.5 or 63,5, "
                                 "without thousands separators."),
                               what, in);
    return TN_EXIT_OK;
}

static int set_main(struct cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {CLI_OPTION_JSON,
                                         OPTION_PERIOD,
                                         {"numerator", required_argument, NULL, OPT_NUMERATOR},
                                         {"denominator", required_argument, NULL, OPT_DENOMINATOR},
                                         {"note", required_argument, NULL, OPT_NOTE},
                                         {"none", no_argument, NULL, OPT_NONE},
                                         {0, 0, 0, 0}};
    const char *period_opt = NULL, *num_in = NULL, *den_in = NULL, *note = "";
    bool none = false;
    int c, rc;
    while ((c = cli_getopt(cli, &report_set_cmd, argc, argv, "", opts)) != -1) {
        switch (c) {
        case '?':
            return TN_EXIT_USAGE;
        case OPT_PERIOD:
            period_opt = optarg;
            break;
        case OPT_NUMERATOR:
            num_in = optarg;
            break;
        case OPT_DENOMINATOR:
            den_in = optarg;
            break;
        case OPT_NOTE:
            note = optarg;
            break;
        case OPT_NONE:
            none = true;
            break;
        }
    }
    if (optind >= argc)
        return cli_usage_error(cli, &report_set_cmd, "%s", _("name the indicator: set KEY VALUE."));
    const char *key = argv[optind++];
    const char *value_in = optind < argc ? argv[optind++] : NULL;
    if (!no_more_args(cli, &report_set_cmd, argc, argv, &rc))
        return rc;
    if (!rr_indicator_key_ok(key))
        return cli_usage_error(cli, &report_set_cmd,
                               _("'%s' is not an indicator key (lower-case letters, digits, _)."),
                               key);
    bool ratio_form = num_in || den_in;
    if (none && (value_in || ratio_form))
        return cli_usage_error(cli, &report_set_cmd, "%s",
                               _("--none means there is no number: give no value with it."));
    if (none && !*note)
        return cli_usage_error(cli, &report_set_cmd, "%s",
                               _("--none needs --note TEXT saying why there is no number."));
    if (!none && value_in && ratio_form)
        return cli_usage_error(cli, &report_set_cmd, "%s",
                               _("give either VALUE or --numerator and --denominator, not both."));
    if (!none && !value_in && !(num_in && den_in))
        return cli_usage_error(cli, &report_set_cmd, "%s",
                               _("give VALUE, or --numerator N --denominator D, or --none "
                                 "--note TEXT."));
    if (!rr_text_ok(note, RR_MAX_NOTE))
        return cli_usage_error(cli, &report_set_cmd,
                               _("the note must be valid UTF-8 of at most %d bytes."), RR_MAX_NOTE);
    char value[64] = "", num[64] = "", den[64] = "";
    if (value_in && (rc = number_arg(cli, &report_set_cmd, _("The value"), value_in, value,
                                     sizeof value)) != TN_EXIT_OK)
        return rc;
    if (num_in && (rc = number_arg(cli, &report_set_cmd, _("The numerator"), num_in, num,
                                   sizeof num)) != TN_EXIT_OK)
        return rc;
    if (den_in && (rc = number_arg(cli, &report_set_cmd, _("The denominator"), den_in, den,
                                   sizeof den)) != TN_EXIT_OK)
        return rc;

    struct store *s;
    char period[128];
    if ((rc = open_period(cli, period_opt, &s, period, sizeof period)) != TN_EXIT_OK)
        return rc;
    char rule[64];
    int known = indicator_info(s, key, rule, sizeof rule);
    if (known == 0 && (count_rows(s, "SELECT count(*) FROM indicators") > 0 ||
                       store_meta_int(s, "last_pull_ms", 0) > 0)) {
        out_error(_("%s is not an indicator this agency reports. 'tamnong report show' lists "
                    "them."),
                  key);
        rc = TN_EXIT_DATA;
        goto out;
    }
    if (known == 0)
        out_warn(_("the indicators have not been pulled yet: %s is checked when the report is "
                   "validated after 'tamnong pull', or by the server."),
                 key);
    if (known == 1 && !none) {
        bool is_ratio = strcmp(rule, "ratio") == 0;
        if (is_ratio && !ratio_form) {
            out_error(_("%s is a share: give --numerator N --denominator D."), key);
            rc = TN_EXIT_DATA;
            goto out;
        }
        if (!is_ratio && ratio_form) {
            out_error(_("%s is not a share: give only its VALUE."), key);
            rc = TN_EXIT_DATA;
            goto out;
        }
    }
    if (ratio_form && rr_decimal_cmp(num, den) > 0)
        out_warn(_("the numerator %s is larger than the denominator %s: validation will refuse "
                   "it."),
                 num, den);
    if ((rc = begin_change(s, period)) != TN_EXIT_OK)
        goto out;
    rc = finish_change(cli, s, period, draft_set_value(s, period, key, value, num, den, note));
out:
    store_close(s);
    return rc;
}

/* ----------------------------------------------------------- report unset */

static int unset_main(struct cli *cli, int argc, char **argv)
{
    const char *period_opt = NULL;
    int rc;
    if ((rc = period_opts(cli, &report_unset_cmd, argc, argv, &period_opt)) != TN_EXIT_OK)
        return rc;
    if (optind >= argc)
        return cli_usage_error(cli, &report_unset_cmd, "%s", _("name the indicator: unset KEY."));
    const char *key = argv[optind++];
    if (!no_more_args(cli, &report_unset_cmd, argc, argv, &rc))
        return rc;
    struct store *s;
    char period[128];
    if ((rc = open_period(cli, period_opt, &s, period, sizeof period)) != TN_EXIT_OK)
        return rc;
    if ((rc = begin_change(s, period)) != TN_EXIT_OK)
        goto out;
    rc = finish_change(cli, s, period, draft_unset_value(s, period, key));
out:
    store_close(s);
    return rc;
}

/* ----------------------------------------------------------- report write */

/* Read a whole file ("-" = stdin) as text. 0 and *out (malloc'ed, NUL-
 * terminated), or -1 after printing why. */
static int read_text(const char *path, char **out)
{
    bool from_stdin = strcmp(path, "-") == 0;
    FILE *f = from_stdin ? stdin : fopen(path, "rb");
    if (!f) {
        out_error(_("Cannot read %s: %s"), path, strerror(errno));
        return -1;
    }
    size_t cap = 8192, len = 0;
    char *buf = malloc(cap);
    size_t n;
    while (buf && (n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (len > (size_t)TEXT_READ_MAX) {
            out_error(_("%s is too long for a part of a report."), from_stdin ? "-" : path);
            free(buf);
            if (!from_stdin)
                fclose(f);
            return -1;
        }
        if (cap - len - 1 == 0) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    bool err = !buf || ferror(f);
    if (!from_stdin)
        fclose(f);
    if (err) {
        out_error(_("Cannot read %s: %s"), path, buf ? strerror(errno) : _("out of memory"));
        free(buf);
        return -1;
    }
    buf[len] = '\0';
    if (strlen(buf) != len || !utf8_valid(buf, len)) {
        out_error(_("%s is not UTF-8 text. Save it as UTF-8 (Unicode) text and try again."), path);
        free(buf);
        return -1;
    }
    *out = buf;
    return 0;
}

static int write_main(struct cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {CLI_OPTION_JSON,
                                         OPTION_PERIOD,
                                         {"text", required_argument, NULL, OPT_TEXT},
                                         {"file", required_argument, NULL, OPT_FILE},
                                         {0, 0, 0, 0}};
    const char *period_opt = NULL, *text_opt = NULL, *file_opt = NULL;
    int c, rc;
    while ((c = cli_getopt(cli, &report_write_cmd, argc, argv, "", opts)) != -1) {
        switch (c) {
        case '?':
            return TN_EXIT_USAGE;
        case OPT_PERIOD:
            period_opt = optarg;
            break;
        case OPT_TEXT:
            text_opt = optarg;
            break;
        case OPT_FILE:
            file_opt = optarg;
            break;
        }
    }
    if (optind >= argc)
        return cli_usage_error(
            cli, &report_write_cmd, "%s",
            _("name the part: results, difficulties, recommendations or proposals."));
    const char *part = argv[optind++];
    if (!draft_part_ok(part))
        return cli_usage_error(
            cli, &report_write_cmd,
            _("'%s' is not a part of the report: results, difficulties, recommendations or "
              "proposals."),
            part);
    if (optind < argc && strcmp(argv[optind], "-") == 0 && !file_opt) {
        file_opt = "-";
        optind++;
    }
    if (!no_more_args(cli, &report_write_cmd, argc, argv, &rc))
        return rc;
    if ((text_opt != NULL) + (file_opt != NULL) != 1)
        return cli_usage_error(cli, &report_write_cmd, "%s",
                               _("give the text with exactly one of --text TEXT, --file FILE "
                                 "or - (standard input)."));
    char *text = NULL;
    if (text_opt) {
        if (!utf8_valid(text_opt, strlen(text_opt)))
            return cli_usage_error(cli, &report_write_cmd, "%s", _("the text is not valid UTF-8."));
        text = strdup(text_opt);
    } else if (read_text(file_opt, &text) < 0) {
        return TN_EXIT_DATA;
    }
    if (!text) {
        out_error("%s", _("Out of memory."));
        return TN_EXIT_SOFTWARE;
    }
    if (strlen(text) > RR_MAX_NARRATIVE)
        out_warn(_("this text is %zu bytes long; a part of a report may have at most %d: "
                   "validation will refuse it."),
                 strlen(text), RR_MAX_NARRATIVE);
    struct store *s;
    char period[128];
    if ((rc = open_period(cli, period_opt, &s, period, sizeof period)) != TN_EXIT_OK) {
        free(text);
        return rc;
    }
    if ((rc = begin_change(s, period)) != TN_EXIT_OK)
        goto out;
    rc = finish_change(cli, s, period, draft_set_text(s, period, part, text));
out:
    free(text);
    store_close(s);
    return rc;
}

/* ---------------------------------------------------------- report attach */

static const char *guess_content_type(const char *name)
{
    static const char *const types[][2] = {
        {".pdf", "application/pdf"},
        {".doc", "application/msword"},
        {".docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
        {".xls", "application/vnd.ms-excel"},
        {".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
        {".odt", "application/vnd.oasis.opendocument.text"},
        {".ods", "application/vnd.oasis.opendocument.spreadsheet"},
        {".csv", "text/csv"},
        {".txt", "text/plain"},
        {".jpg", "image/jpeg"},
        {".jpeg", "image/jpeg"},
        {".png", "image/png"},
        {".zip", "application/zip"},
    };
    const char *dot = strrchr(name, '.');
    if (dot)
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
            if (strcasecmp(dot, types[i][0]) == 0)
                return types[i][1];
    return "application/octet-stream";
}

static int attach_main(struct cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {CLI_OPTION_JSON,
                                         OPTION_PERIOD,
                                         {"name", required_argument, NULL, OPT_NAME},
                                         {"type", required_argument, NULL, OPT_TYPE},
                                         {0, 0, 0, 0}};
    const char *period_opt = NULL, *name = NULL, *type = NULL;
    int c, rc;
    while ((c = cli_getopt(cli, &report_attach_cmd, argc, argv, "", opts)) != -1) {
        switch (c) {
        case '?':
            return TN_EXIT_USAGE;
        case OPT_PERIOD:
            period_opt = optarg;
            break;
        case OPT_NAME:
            name = optarg;
            break;
        case OPT_TYPE:
            type = optarg;
            break;
        }
    }
    if (optind >= argc)
        return cli_usage_error(cli, &report_attach_cmd, "%s", _("name the file to attach."));
    const char *path = argv[optind++];
    if (!no_more_args(cli, &report_attach_cmd, argc, argv, &rc))
        return rc;
    if (!name) {
        const char *slash = strrchr(path, '/');
        name = slash ? slash + 1 : path;
    }
    if (strcmp(path, "-") == 0 && strcmp(name, "-") == 0)
        return cli_usage_error(cli, &report_attach_cmd, "%s",
                               _("a file from standard input needs --name NAME."));
    if (!*name || !rr_text_ok(name, RR_MAX_FILE_NAME))
        return cli_usage_error(cli, &report_attach_cmd,
                               _("the file name must be UTF-8 of 1 to %d bytes (use --name)."),
                               RR_MAX_FILE_NAME);
    if (!type)
        type = guess_content_type(name);
    struct store *s;
    char period[128];
    if ((rc = open_period(cli, period_opt, &s, period, sizeof period)) != TN_EXIT_OK)
        return rc;
    char sha[65], err[1024];
    int64_t size = 0;
    if (store_add_file(s, path, RR_MAX_ATTACHMENT, sha, &size, err, sizeof err) < 0) {
        out_error("%s", err);
        rc = TN_EXIT_DATA;
        goto out;
    }
    if (size == 0) {
        out_error(_("%s is empty."), path);
        rc = TN_EXIT_DATA;
        goto out;
    }
    if ((rc = begin_change(s, period)) != TN_EXIT_OK)
        goto out;
    if (draft_add_attachment(s, period, sha, size, name, type) < 0) {
        store_rollback(s);
        rc = db_error(s);
        goto out;
    }
    if (!cli->json)
        printf(_("Attached %s (%lld bytes, SHA-256 %.12s…): a copy is kept with the draft.\n"),
               name, (long long)size, sha);
    if (store_commit(s) < 0) {
        rc = db_error(s);
        goto out;
    }
    rc = outbox_say_saved(s, cli->json,
                          json_pack("{s:s, s:s, s:s, s:I}", "period", period, "name", name,
                                    "sha256", sha, "size", (json_int_t)size));
out:
    store_close(s);
    return rc;
}

static int detach_main(struct cli *cli, int argc, char **argv)
{
    const char *period_opt = NULL;
    int rc;
    if ((rc = period_opts(cli, &report_detach_cmd, argc, argv, &period_opt)) != TN_EXIT_OK)
        return rc;
    if (optind >= argc)
        return cli_usage_error(cli, &report_detach_cmd, "%s",
                               _("name the attachment (its name or SHA-256)."));
    const char *what = argv[optind++];
    if (!no_more_args(cli, &report_detach_cmd, argc, argv, &rc))
        return rc;
    struct store *s;
    char period[128];
    if ((rc = open_period(cli, period_opt, &s, period, sizeof period)) != TN_EXIT_OK)
        return rc;
    if ((rc = begin_change(s, period)) != TN_EXIT_OK)
        goto out;
    int n = draft_remove_attachment(s, period, what);
    if (n < 0) {
        store_rollback(s);
        rc = db_error(s);
        goto out;
    }
    if (n == 0) {
        store_rollback(s);
        out_error(_("The report for %s has no attachment '%s'."), period, what);
        rc = TN_EXIT_DATA;
        goto out;
    }
    rc = end_change(cli, s, period);
out:
    store_close(s);
    return rc;
}

/* ------------------------------------------------------------ report task */

static int task_main(struct cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {CLI_OPTION_JSON,
                                         OPTION_PERIOD,
                                         {"status", required_argument, NULL, OPT_STATUS},
                                         {"progress", required_argument, NULL, OPT_PROGRESS},
                                         {"note", required_argument, NULL, OPT_NOTE},
                                         {0, 0, 0, 0}};
    const char *period_opt = NULL, *status = NULL, *note = NULL, *progress_in = NULL;
    int c, rc;
    while ((c = cli_getopt(cli, &report_task_cmd, argc, argv, "", opts)) != -1) {
        switch (c) {
        case '?':
            return TN_EXIT_USAGE;
        case OPT_PERIOD:
            period_opt = optarg;
            break;
        case OPT_STATUS:
            status = optarg;
            break;
        case OPT_PROGRESS:
            progress_in = optarg;
            break;
        case OPT_NOTE:
            note = optarg;
            break;
        }
    }
    if (optind >= argc)
        return cli_usage_error(cli, &report_task_cmd, "%s", _("name the task: task CODE."));
    const char *code = argv[optind++];
    if (!no_more_args(cli, &report_task_cmd, argc, argv, &rc))
        return rc;
    if (!rr_code_ok(code))
        return cli_usage_error(cli, &report_task_cmd, _("'%s' is not a task code."), code);
    if (!status || !rr_task_status_ok(status))
        return cli_usage_error(
            cli, &report_task_cmd, "%s",
            _("--status must be one of not_started, in_progress, completed, postponed."));
    int progress = strcmp(status, "completed") == 0 ? 100 : 0;
    if (progress_in) {
        char *end;
        long p = strtol(progress_in, &end, 10);
        if (*end || end == progress_in || p < 0 || p > 100)
            return cli_usage_error(cli, &report_task_cmd, "%s",
                                   _("--progress must be a whole number from 0 to 100."));
        progress = (int)p;
    }
    if (note && !rr_text_ok(note, RR_MAX_NOTE))
        return cli_usage_error(cli, &report_task_cmd,
                               _("the note must be valid UTF-8 of at most %d bytes."), RR_MAX_NOTE);
    struct store *s;
    char period[128];
    if ((rc = open_period(cli, period_opt, &s, period, sizeof period)) != TN_EXIT_OK)
        return rc;
    if (count_rows(s, "SELECT count(*) FROM tasks") > 0) {
        struct task_state ts;
        if (task_state_load(s, code, &ts) == 0) {
            bool known = ts.known;
            task_state_free(&ts);
            if (!known) {
                out_error(_("%s is not a task of this agency. 'tamnong tasks' lists them."), code);
                rc = TN_EXIT_DATA;
                goto out;
            }
        }
    }
    if ((rc = begin_change(s, period)) != TN_EXIT_OK)
        goto out;
    rc = finish_change(cli, s, period,
                       draft_set_task(s, period, code, status, progress, note ? note : ""));
out:
    store_close(s);
    return rc;
}

/* ------------------------------------------------------------ report show */

static const char *state_label(const char *state)
{
    if (strcmp(state, "draft") == 0)
        return _("draft (not submitted)");
    if (strcmp(state, "ready") == 0)
        return _("ready (validated, not submitted)");
    if (strcmp(state, "queued") == 0)
        return _("submitted here, waiting to be sent");
    if (strcmp(state, "sent") == 0)
        return _("received by the server");
    if (strcmp(state, "accepted") == 0)
        return _("accepted by the standing agency");
    if (strcmp(state, "returned") == 0)
        return _("returned for correction");
    return state;
}

static const char *col(sqlite3_stmt *st, int i)
{
    const char *v = (const char *)sqlite3_column_text(st, i);
    return v ? v : "";
}

static int show_json(struct store *s, const char *period, sqlite3_stmt *d)
{
    json_t *o =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:i}", "period", period, "state",
                  col(d, 0), "results", col(d, 1), "difficulties", col(d, 2), "recommendations",
                  col(d, 3), "proposals", col(d, 4), "reason", col(d, 5), "submission_id",
                  (json_int_t)sqlite3_column_int64(d, 6), "revision", sqlite3_column_int(d, 7));
    if (!o)
        return TN_EXIT_SOFTWARE;
    json_t *values = json_array(), *atts = json_array(), *tasks = json_array();
    sqlite3_stmt *st = store_prepare(
        s, "SELECT v.key, coalesce(i.name, ''), coalesce(i.unit, ''), coalesce(i.rule, ''), "
           "v.value, v.numerator, v.denominator, v.note FROM draft_values v LEFT JOIN "
           "indicators i ON i.key = v.key WHERE v.period_code = ?1 ORDER BY v.key");
    if (st) {
        sqlite3_bind_text(st, 1, period, -1, SQLITE_STATIC);
        while (sqlite3_step(st) == SQLITE_ROW)
            json_array_append_new(values, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
                                                    "key", col(st, 0), "name", col(st, 1), "unit",
                                                    col(st, 2), "rule", col(st, 3), "value",
                                                    col(st, 4), "numerator", col(st, 5),
                                                    "denominator", col(st, 6), "note", col(st, 7)));
        sqlite3_finalize(st);
    }
    st = store_prepare(s, "SELECT name, sha256, size, content_type FROM draft_attachments "
                          "WHERE period_code = ?1 ORDER BY added_at_ms, sha256");
    if (st) {
        sqlite3_bind_text(st, 1, period, -1, SQLITE_STATIC);
        while (sqlite3_step(st) == SQLITE_ROW)
            json_array_append_new(atts, json_pack("{s:s, s:s, s:I, s:s}", "name", col(st, 0),
                                                  "sha256", col(st, 1), "size",
                                                  (json_int_t)sqlite3_column_int64(st, 2),
                                                  "content_type", col(st, 3)));
        sqlite3_finalize(st);
    }
    st = store_prepare(s, "SELECT task_code, status, progress, note FROM draft_tasks "
                          "WHERE period_code = ?1 ORDER BY task_code");
    if (st) {
        sqlite3_bind_text(st, 1, period, -1, SQLITE_STATIC);
        while (sqlite3_step(st) == SQLITE_ROW)
            json_array_append_new(tasks, json_pack("{s:s, s:s, s:i, s:s}", "task", col(st, 0),
                                                   "status", col(st, 1), "progress",
                                                   sqlite3_column_int(st, 2), "note", col(st, 3)));
        sqlite3_finalize(st);
    }
    json_object_set_new(o, "values", values);
    json_object_set_new(o, "attachments", atts);
    json_object_set_new(o, "tasks", tasks);
    int rc = out_json(o);
    json_decref(o);
    return rc == 0 ? TN_EXIT_OK : TN_EXIT_SOFTWARE;
}

static void print_part(const char *title, const char *text)
{
    printf("\n%s\n", title);
    if (!*text) {
        printf("  %s\n", _("(empty)"));
        return;
    }
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        int n = nl ? (int)(nl - p) : (int)strlen(p);
        printf("  %.*s\n", n, p);
        p = nl ? nl + 1 : p + n;
    }
}

static int show_human(struct store *s, const char *period, sqlite3_stmt *d)
{
    struct out_table *t = out_table_new(2);
    char sub[128] = "";
    out_table_addv(t, _("Period:"), period);
    sqlite3_stmt *st = store_prepare(s, "SELECT deadline FROM periods WHERE code = ?1");
    if (st) {
        sqlite3_bind_text(st, 1, period, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW)
            out_table_addv(t, _("Deadline:"), col(st, 0));
        sqlite3_finalize(st);
    }
    out_table_addv(t, _("State:"), state_label(col(d, 0)));
    if (sqlite3_column_int64(d, 6) > 0) {
        snprintf(sub, sizeof sub, _("%lld, revision %d"), (long long)sqlite3_column_int64(d, 6),
                 sqlite3_column_int(d, 7));
        out_table_addv(t, _("Last submission:"), sub);
    }
    if (*col(d, 5))
        out_table_addv(t, _("Returned because:"), col(d, 5));
    out_table_print(t, stdout);
    out_table_free(t);

    printf("\n%s\n", _("Indicators:"));
    t = out_table_new(4);
    out_table_addv(t, _("  KEY"), _("VALUE"), _("UNIT"), _("NAME / NOTE"));
    st = store_prepare(
        s, "SELECT i.key, i.name, i.unit, i.rule, v.value, v.numerator, v.denominator, v.note, "
           "i.required FROM indicators i LEFT JOIN draft_values v ON v.key = i.key AND "
           "v.period_code = ?1 UNION ALL SELECT v.key, '', '', '', v.value, v.numerator, "
           "v.denominator, v.note, 0 FROM draft_values v WHERE v.period_code = ?1 AND v.key "
           "NOT IN (SELECT key FROM indicators) ORDER BY 1");
    int rows = 0, required = 0;
    if (st) {
        sqlite3_bind_text(st, 1, period, -1, SQLITE_STATIC);
        while (sqlite3_step(st) == SQLITE_ROW) {
            char key[128], value[160], name[1024];
            required += sqlite3_column_int(st, 8) != 0;
            snprintf(key, sizeof key, "  %s%s", col(st, 0), sqlite3_column_int(st, 8) ? " *" : "");
            if (*col(st, 5) || *col(st, 6))
                snprintf(value, sizeof value, "%s / %s", col(st, 5), col(st, 6));
            else if (*col(st, 4))
                snprintf(value, sizeof value, "%s", col(st, 4));
            else if (sqlite3_column_type(st, 4) != SQLITE_NULL)
                snprintf(value, sizeof value, "%s", _("(no data)"));
            else
                snprintf(value, sizeof value, "—");
            if (*col(st, 7))
                snprintf(name, sizeof name, "%s%s%s", col(st, 1), *col(st, 1) ? " — " : "",
                         col(st, 7));
            else
                snprintf(name, sizeof name, "%s", col(st, 1));
            out_table_addv(t, key, value, col(st, 2), name);
            rows++;
        }
        sqlite3_finalize(st);
    }
    if (rows)
        out_table_print(t, stdout);
    else
        printf("  %s\n", _("(none yet: 'tamnong pull' brings the list, 'report set' fills it)"));
    out_table_free(t);
    if (required)
        printf("  %s\n", _("* required"));

    static const char *titles[] = {N_("Results:"), N_("Difficulties:"), N_("Recommendations:"),
                                   N_("Proposals to amend the plan:")};
    for (int i = 0; i < 4; i++)
        print_part(_(titles[i]), col(d, 1 + i));

    printf("\n%s\n", _("Attachments:"));
    st = store_prepare(s, "SELECT name, size, sha256 FROM draft_attachments WHERE period_code = "
                          "?1 ORDER BY added_at_ms, sha256");
    rows = 0;
    if (st) {
        sqlite3_bind_text(st, 1, period, -1, SQLITE_STATIC);
        while (sqlite3_step(st) == SQLITE_ROW) {
            printf(_("  %s (%lld bytes, SHA-256 %.12s…)\n"), col(st, 0),
                   (long long)sqlite3_column_int64(st, 1), col(st, 2));
            rows++;
        }
        sqlite3_finalize(st);
    }
    if (!rows)
        printf("  %s\n", _("(none)"));

    printf("\n%s\n", _("Task progress in this report:"));
    st = store_prepare(s, "SELECT task_code, status, progress, note FROM draft_tasks WHERE "
                          "period_code = ?1 ORDER BY task_code");
    rows = 0;
    if (st) {
        sqlite3_bind_text(st, 1, period, -1, SQLITE_STATIC);
        t = out_table_new(4);
        while (sqlite3_step(st) == SQLITE_ROW) {
            char code[96], pct[16];
            snprintf(code, sizeof code, "  %s", col(st, 0));
            snprintf(pct, sizeof pct, "%d%%", sqlite3_column_int(st, 2));
            out_table_addv(t, code, col(st, 1), pct, col(st, 3));
            rows++;
        }
        if (rows)
            out_table_print(t, stdout);
        out_table_free(t);
        sqlite3_finalize(st);
    }
    if (!rows)
        printf("  %s\n", _("(none)"));
    return fflush(stdout) == 0 ? TN_EXIT_OK : TN_EXIT_SOFTWARE;
}

static int show_main(struct cli *cli, int argc, char **argv)
{
    const char *period_opt = NULL;
    int rc;
    if ((rc = period_opts(cli, &report_show_cmd, argc, argv, &period_opt)) != TN_EXIT_OK)
        return rc;
    if (optind < argc)
        period_opt = argv[optind++];
    if (!no_more_args(cli, &report_show_cmd, argc, argv, &rc))
        return rc;
    struct store *s;
    char period[128];
    if ((rc = open_period(cli, period_opt, &s, period, sizeof period)) != TN_EXIT_OK)
        return rc;
    sqlite3_stmt *d =
        store_prepare(s, "SELECT state, results, difficulties, recommendations, proposals, "
                         "reason, submission_id, revision FROM drafts WHERE period_code = ?1");
    if (!d) {
        rc = db_error(s);
        goto out;
    }
    sqlite3_bind_text(d, 1, period, -1, SQLITE_STATIC);
    if (sqlite3_step(d) != SQLITE_ROW) {
        out_error(_("There is no report for the period %s here yet: 'tamnong report open %s' "
                    "starts one."),
                  period, period);
        rc = TN_EXIT_DATA;
    } else {
        rc = cli->json ? show_json(s, period, d) : show_human(s, period, d);
    }
    sqlite3_finalize(d);
out:
    store_close(s);
    return rc;
}

/* ------------------------------------------------- report validate/submit */

/* Validate the draft and print the problems. TN_EXIT_OK when none,
 * TN_EXIT_DATA when some, another code on errors. With json_out, the
 * result object is returned there instead of printed. */
static int run_validation(struct cli *cli, struct store *s, const char *period, json_t **json_out)
{
    if (!draft_exists(s, period)) {
        out_error(_("There is no report for the period %s here yet: 'tamnong report open %s' "
                    "starts one."),
                  period, period);
        return TN_EXIT_DATA;
    }
    struct rr_problems p;
    rr_problems_init(&p);
    bool checked_plan = false;
    int n = draft_validate(s, period, &p, &checked_plan);
    if (n < 0) {
        rr_problems_free(&p);
        return db_error(s);
    }
    if (json_out) {
        json_t *list = json_array();
        for (size_t i = 0; i < p.n; i++)
            json_array_append_new(list, json_string(p.lines[i]));
        *json_out = json_pack("{s:s, s:b, s:i, s:o, s:b}", "period", period, "ok", n == 0,
                              "problem_count", n, "problems", list, "checked_plan", checked_plan);
    } else {
        for (size_t i = 0; i < p.n; i++)
            printf("%s: %s\n", period, p.lines[i]);
        if (p.dropped)
            printf(_("%s: ... and %zu more problems\n"), period, p.dropped);
    }
    if (!checked_plan)
        out_warn("%s", _("the indicators of the plan have not been pulled: required indicators "
                         "and units were not checked here (the server checks them)."));
    if (n > 0 && !json_out)
        out_error(ngettext("The report for %s has %d problem: correct it and validate again.",
                           "The report for %s has %d problems: correct them and validate again.",
                           (unsigned long)n),
                  period, n);
    rr_problems_free(&p);
    return n > 0 ? TN_EXIT_DATA : TN_EXIT_OK;
}

static int validate_main(struct cli *cli, int argc, char **argv)
{
    const char *period_opt = NULL;
    int rc;
    if ((rc = period_opts(cli, &report_validate_cmd, argc, argv, &period_opt)) != TN_EXIT_OK)
        return rc;
    if (!no_more_args(cli, &report_validate_cmd, argc, argv, &rc))
        return rc;
    struct store *s;
    char period[128];
    if ((rc = open_period(cli, period_opt, &s, period, sizeof period)) != TN_EXIT_OK)
        return rc;
    json_t *j = NULL;
    rc = run_validation(cli, s, period, cli->json ? &j : NULL);
    if (rc == TN_EXIT_OK) {
        sqlite3_stmt *st = store_prepare(
            s, "UPDATE drafts SET state = 'ready' WHERE period_code = ?1 AND state = 'draft'");
        if (st) {
            sqlite3_bind_text(st, 1, period, -1, SQLITE_STATIC);
            sqlite3_step(st);
            sqlite3_finalize(st);
        }
        if (!cli->json)
            printf(_("The report for %s has no problems and is ready: 'tamnong report submit' "
                     "queues it now, or the next 'tamnong sync' (also a scheduled one) submits "
                     "it. Any change makes it a draft again.\n"),
                   period);
    }
    if (j) {
        if (out_json(j) < 0 && rc == TN_EXIT_OK)
            rc = TN_EXIT_SOFTWARE;
        json_decref(j);
    }
    store_close(s);
    return rc;
}

/* The agency certificate and key of the client configuration, for --sign.
 * TN_EXIT_OK, or an exit code after printing why. */
static int load_signing_key(struct cli *cli, X509 **cert, EVP_PKEY **key)
{
    struct client_config cfg;
    char err[2048];
    int rc = TN_EXIT_OK;
    *cert = NULL;
    *key = NULL;
    if (client_config_load(&cfg, cli->config_path, err, sizeof err) < 0 ||
        client_config_check_files(&cfg, err, sizeof err) < 0) {
        out_error("%s", err);
        rc = TN_EXIT_CONFIG;
        goto out;
    }
    FILE *f = fopen(cfg.cert_file, "r");
    *cert = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
    if (f)
        fclose(f);
    f = fopen(cfg.key_file, "r");
    *key = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
    if (f)
        fclose(f);
    if (!*cert || !*key || X509_check_private_key(*cert, *key) != 1) {
        out_error(_("Cannot sign: the agency certificate %s and key %s of the configuration "
                    "cannot be read, or do not match."),
                  cfg.cert_file, cfg.key_file);
        X509_free(*cert);
        EVP_PKEY_free(*key);
        *cert = NULL;
        *key = NULL;
        rc = TN_EXIT_CONFIG;
    }
out:
    client_config_free(&cfg);
    return rc;
}

static int submit_main(struct cli *cli, int argc, char **argv)
{
    enum { OPT_SIGN = 0x301 };
    static const struct option opts[] = {
        CLI_OPTION_JSON, OPTION_PERIOD, {"sign", no_argument, NULL, OPT_SIGN}, {0, 0, 0, 0}};
    const char *period_opt = NULL;
    bool sign = false;
    int rc, c;
    while ((c = cli_getopt(cli, &report_submit_cmd, argc, argv, "", opts)) != -1) {
        if (c == '?')
            return TN_EXIT_USAGE;
        if (c == OPT_PERIOD)
            period_opt = optarg;
        else if (c == OPT_SIGN)
            sign = true;
    }
    if (!no_more_args(cli, &report_submit_cmd, argc, argv, &rc))
        return rc;
    X509 *cert = NULL;
    EVP_PKEY *key = NULL;
    if (sign && (rc = load_signing_key(cli, &cert, &key)) != TN_EXIT_OK)
        return rc;
    struct store *s;
    char period[128];
    if ((rc = open_period(cli, period_opt, &s, period, sizeof period)) != TN_EXIT_OK) {
        X509_free(cert);
        EVP_PKEY_free(key);
        return rc;
    }
    /* Every edit makes the draft a draft again: queued, sent or accepted
     * means nothing changed since the last submit. */
    sqlite3_stmt *q = store_prepare(s, "SELECT state FROM drafts WHERE period_code = ?1");
    char state[32] = "";
    if (q) {
        sqlite3_bind_text(q, 1, period, -1, SQLITE_STATIC);
        if (sqlite3_step(q) == SQLITE_ROW)
            snprintf(state, sizeof state, "%s", col(q, 0));
        sqlite3_finalize(q);
    }
    if (strcmp(state, "queued") == 0 || strcmp(state, "sent") == 0 ||
        strcmp(state, "accepted") == 0) {
        if (!cli->json)
            printf(_("The report for %s has not changed since it was submitted (%s): nothing "
                     "new to queue.\n"),
                   period, state_label(state));
        rc = outbox_say_saved(s, cli->json,
                              json_pack("{s:s, s:b}", "period", period, "unchanged", 1));
        goto out;
    }
    json_t *j = NULL;
    rc = run_validation(cli, s, period, cli->json ? &j : NULL);
    if (rc != TN_EXIT_OK) {
        if (j) {
            out_json(j);
            json_decref(j);
        }
        if (rc == TN_EXIT_DATA)
            out_error("%s", _("Nothing was queued."));
        goto out;
    }
    json_decref(j);
    int64_t seq;
    char sign_err[512];
    if (draft_queue_submit(s, period, cert, key, &seq, sign_err, sizeof sign_err) < 0) {
        if (sign_err[0]) {
            out_error(_("Cannot sign the report: %s. Nothing was queued."), sign_err);
            rc = TN_EXIT_SOFTWARE;
        } else {
            rc = db_error(s);
        }
        goto out;
    }
    if (!cli->json)
        printf(sign ? _("The report for %s is signed and queued to be sent. 'tamnong sync' "
                        "sends it; 'tamnong status' shows the receipt.\n")
                    : _("The report for %s is queued to be sent. 'tamnong sync' sends it; "
                        "'tamnong status' shows the receipt.\n"),
               period);
    rc = outbox_say_saved(
        s, cli->json,
        json_pack("{s:s, s:I, s:b}", "period", period, "seq", (json_int_t)seq, "signed", sign));
out:
    store_close(s);
    X509_free(cert);
    EVP_PKEY_free(key);
    return rc;
}

/* ---------------------------------------------------------------- the group */

static const struct command report_open_cmd = {
    "open", N_("Start or continue the report of a period"), open_main,
    N_("Usage: tamnong report open [PERIOD]\n"
       "\n"
       "Start the report of PERIOD (like 2025-6m), or continue it; the next report\n"
       "commands work on it. Without PERIOD: the period whose deadline comes next.\n")};
static const struct command report_set_cmd = {
    "set", N_("Set an indicator value"), set_main,
    N_("Usage: tamnong report set KEY VALUE [--note TEXT]\n"
       "       tamnong report set KEY --numerator N --denominator D [--note TEXT]\n"
       "       tamnong report set KEY --none --note TEXT\n")};
static const struct command report_unset_cmd = {
    "unset", N_("Remove an indicator value"), unset_main, N_("Usage: tamnong report unset KEY\n")};
static const struct command report_write_cmd = {
    "write", N_("Write a part of the report"), write_main,
    N_("Usage: tamnong report write PART (--text TEXT | --file FILE | -)\n"
       "PART: results, difficulties, recommendations, proposals.\n")};
static const struct command report_attach_cmd = {
    "attach", N_("Attach a file"), attach_main,
    N_("Usage: tamnong report attach FILE [--name NAME] [--type CONTENT-TYPE]\n")};
static const struct command report_detach_cmd = {
    "detach", N_("Remove an attached file"), detach_main,
    N_("Usage: tamnong report detach NAME-OR-SHA256\n")};
static const struct command report_task_cmd = {
    "task", N_("State a task's progress in the report"), task_main,
    N_("Usage: tamnong report task CODE --status STATUS [--progress N] [--note TEXT]\n")};
static const struct command report_show_cmd = {"show", N_("Show the report"), show_main,
                                               N_("Usage: tamnong report show [--json]\n")};
static const struct command report_validate_cmd = {
    "validate", N_("Check the report with the server's rules"), validate_main,
    N_("Usage: tamnong report validate [--json]\n"
       "\n"
       "Check the report with the server's rules and print every problem (exit 65\n"
       "if any). A report without problems is ready: the next 'tamnong sync' (also\n"
       "the scheduled one) submits it, unless it is changed before.\n")};
static const struct command report_submit_cmd = {
    "submit", N_("Validate the report and queue it to be sent"), submit_main,
    N_("Usage: tamnong report submit [--sign] [--json]\n"
       "\n"
       "Validate the report and queue it; 'tamnong sync' sends it.\n"
       "  --sign   sign it with the agency key of the configuration (a detached\n"
       "           CMS signature, SHA-256): the official way to submit. The server\n"
       "           checks the signature and records the signer.\n")};

static const struct command *const report_commands[] = {&report_open_cmd,
                                                        &report_set_cmd,
                                                        &report_unset_cmd,
                                                        &report_write_cmd,
                                                        &report_attach_cmd,
                                                        &report_detach_cmd,
                                                        &report_task_cmd,
                                                        &report_show_cmd,
                                                        &report_validate_cmd,
                                                        &report_submit_cmd,
                                                        NULL};

static int report_main(struct cli *cli, int argc, char **argv)
{
    return cli_run_group(cli, &cmd_report, report_commands, argc, argv);
}

const struct command cmd_report = {
    "report",
    N_("Write, check and submit the report of a period (works offline)"),
    report_main,
    N_("Usage: tamnong report COMMAND [OPTIONS]\n"
       "\n"
       "Write the report of one period here, with or without a network; 'report\n"
       "submit' queues it and 'tamnong sync' sends it. Every command works on the\n"
       "period chosen by 'report open' (or the one whose deadline comes next);\n"
       "--period PERIOD picks another. Numbers may be written 63.5 or 63,5.\n"
       "\n"
       "Commands:\n"
       "  open [PERIOD]                    start or continue the report of PERIOD\n"
       "  set KEY VALUE [--note TEXT]      the value of an indicator\n"
       "  set KEY --numerator N --denominator D [--note TEXT]\n"
       "                                   a share: numerator and denominator\n"
       "  set KEY --none --note TEXT       no number this time, and why\n"
       "  unset KEY                        remove a value\n"
       "  write PART (--text TEXT | --file FILE | -)\n"
       "                                   a part of the text: results, difficulties,\n"
       "                                   recommendations, proposals (to amend the plan)\n"
       "  attach FILE [--name NAME] [--type TYPE]\n"
       "                                   attach a file (a copy is kept here)\n"
       "  detach NAME-OR-SHA256            remove an attached file\n"
       "  task CODE --status STATUS [--progress N] [--note TEXT]\n"
       "                                   a task's progress as the report states it;\n"
       "                                   STATUS: not_started, in_progress, completed,\n"
       "                                   postponed\n"
       "  show [--json]                    the whole report\n"
       "  validate [--json]                check it with the server's rules; every\n"
       "                                   problem is printed (exit 65 if any); without\n"
       "                                   problems it is ready: the next sync (also\n"
       "                                   the scheduled one) submits it, unsigned\n"
       "  submit [--sign] [--json]         validate, then queue it (attachments first);\n"
       "                                   --sign signs it with the agency key\n"
       "\n"
       "Every change prints \"saved, N waiting to send\": it is kept on this computer\n"
       "even if the network or the computer goes down.\n"),
};
