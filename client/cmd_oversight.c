/* cmd_oversight: the standing agency's oversight queries, rows of the
 * `tamnong admin` group (cmd_admin.c): `admin board PERIOD` (the task
 * board, overdue first), `admin targets PERIOD` (target progress: the
 * province value by each indicator's rule, its targets, status, breakdown,
 * missing reporters, frozen figures and later corrections) and `admin close
 * PERIOD` (keep the period's figures as reported at the deadline). Online
 * commands; numbers for a person are written the Vietnamese way. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "i18n.h"
#include "numfmt_vi.h"
#include "outbox.h"
#include "output.h"
#include "tamnong.pb-c.h"

enum { OPT_SECTION = 0x300, OPT_AGENCY, OPT_STATUS, OPT_INDICATOR };

/* The one operand PERIOD. */
static int period_operand(struct cli *cli, const struct command *cmd, int argc, char **argv,
                          const char **period)
{
    if (optind >= argc)
        return cli_usage_error(cli, cmd, "%s",
                               _("which period? Give PERIOD, e.g. 2025-six_month."));
    if (optind + 1 < argc)
        return cli_usage_error(cli, cmd, _("unexpected argument '%s'."), argv[optind + 1]);
    *period = argv[optind];
    return TN_EXIT_OK;
}

static const char *num(const char *dec, char *buf, size_t len)
{
    return *dec ? numfmt_vi_text(dec, NUMFMT_VI_FRAC, buf, len) : "—";
}

/* ------------------------------------------------------------ admin board */

static json_t *agency_json(const Tamnong__AgencyRef *a)
{
    return json_pack("{s:s, s:s}", "code", a ? a->code : "", "name", a ? a->name : "");
}

static json_t *board_row_json(const Tamnong__TaskBoardRow *r)
{
    const Tamnong__TaskInfo *t = r->task;
    json_t *leads = json_array(), *contrib = json_array();
    for (size_t i = 0; t && i < t->n_lead; i++)
        json_array_append_new(leads, agency_json(t->lead[i]));
    for (size_t i = 0; i < r->n_contributions; i++) {
        const Tamnong__TaskContribution *c = r->contributions[i];
        const Tamnong__TaskStatus *s = c->status;
        json_array_append_new(contrib,
                              json_pack("{s:o, s:s, s:s, s:i, s:s, s:I, s:o}", "agency",
                                        agency_json(c->agency), "role", c->role, "status",
                                        s && s->version > 0 ? s->status : "not_reported",
                                        "progress", s ? s->progress : 0, "note", s ? s->note : "",
                                        "version", (json_int_t)(s ? s->version : 0), "updated_at",
                                        out_jtime_or_null(s ? s->updated_at_ms : 0)));
    }
    return json_pack("{s:s, s:s, s:s, s:o, s:s, s:s, s:i, s:s, s:o, s:o}", "task", t ? t->code : "",
                     "section", t ? t->section : "", "title", t ? t->title : "", "leads", leads,
                     "deadline_kind", t ? t->deadline_kind : "", "status", r->status, "progress",
                     r->progress, "deadline_state", r->deadline_state, "due_date",
                     out_jstr_or_null(r->due_date), "contributions", contrib);
}

static int board_print(const struct cli *cli, const Tamnong__TaskBoardResponse *r)
{
    if (cli->json) {
        json_t *rows = json_array();
        bool bad = !rows;
        for (size_t i = 0; !bad && i < r->n_rows; i++) {
            json_t *o = board_row_json(r->rows[i]);
            if (!o || json_array_append_new(rows, o) != 0)
                bad = true;
        }
        json_t *doc = json_object();
        out_jset(doc, "period", json_string(r->period ? r->period->code : ""), &bad);
        out_jset(doc, "as_of", json_string(r->as_of), &bad);
        out_jset(doc, "rows", rows, &bad);
        return out_json_answer(doc, bad);
    }
    if (r->n_rows == 0) {
        puts(_("No task matches."));
        return fflush(stdout) == 0 ? TN_EXIT_OK : TN_EXIT_SOFTWARE;
    }
    size_t overdue = 0;
    struct out_table *t = out_table_new(7);
    out_table_align_right(t, 4);
    out_table_addv(t, _("DEADLINE"), _("TASK"), _("SECTION"), _("STATUS"), _("PROGRESS"), _("DUE"),
                   _("LEAD"));
    for (size_t i = 0; i < r->n_rows; i++) {
        const Tamnong__TaskBoardRow *row = r->rows[i];
        const Tamnong__TaskInfo *task = row->task;
        char progress[16], leads[512] = "";
        snprintf(progress, sizeof progress, "%d%%", (int)row->progress);
        for (size_t k = 0, o = 0; task && k < task->n_lead && o < sizeof leads - 1; k++) {
            int w =
                snprintf(leads + o, sizeof leads - o, "%s%s", k ? ", " : "", task->lead[k]->code);
            if (w < 0)
                break;
            o += (size_t)w;
        }
        overdue += strcmp(row->deadline_state, "overdue") == 0;
        out_table_addv(t, row->deadline_state, task ? task->code : "", task ? task->section : "",
                       row->status, progress, *row->due_date ? row->due_date : "—", leads);
    }
    out_table_print(t, stdout);
    out_table_free(t);
    printf(ngettext("%zu task, ", "%zu tasks, ", r->n_rows), r->n_rows);
    printf(ngettext("%zu overdue (as of %s).\n", "%zu overdue (as of %s).\n", overdue), overdue,
           r->as_of);
    return fflush(stdout) == 0 ? TN_EXIT_OK : TN_EXIT_SOFTWARE;
}

static int board_main(struct cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {CLI_OPTION_JSON,
                                         {"section", required_argument, NULL, OPT_SECTION},
                                         {"agency", required_argument, NULL, OPT_AGENCY},
                                         {"status", required_argument, NULL, OPT_STATUS},
                                         {0, 0, 0, 0}};
    static const char *const statuses[] = {"not_started", "in_progress", "completed", "postponed",
                                           "not_reported"};
    Tamnong__TaskBoardRequest req = TAMNONG__TASK_BOARD_REQUEST__INIT;
    int c;
    while ((c = cli_getopt(cli, &cmd_admin_board, argc, argv, "", opts)) != -1) {
        switch (c) {
        case OPT_SECTION:
            req.section = optarg;
            break;
        case OPT_AGENCY:
            req.agency_code = optarg;
            break;
        case OPT_STATUS: {
            bool ok = false;
            for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++)
                ok = ok || strcmp(optarg, statuses[i]) == 0;
            if (!ok)
                return cli_usage_error(cli, &cmd_admin_board, "%s",
                                       _("--status must be not_started, in_progress, completed, "
                                         "postponed or not_reported."));
            req.status = optarg;
            break;
        }
        default:
            return TN_EXIT_USAGE;
        }
    }
    const char *period;
    int rc = period_operand(cli, &cmd_admin_board, argc, argv, &period);
    if (rc != TN_EXIT_OK)
        return rc;
    req.period_code = (char *)period;
    ProtobufCMessage *resp;
    rc = cli_call(cli, "TaskBoard", &req.base, &resp);
    if (rc != TN_EXIT_OK)
        return rc;
    rc = board_print(cli, (const Tamnong__TaskBoardResponse *)resp);
    protobuf_c_message_free_unpacked(resp, NULL);
    return rc;
}

const struct command cmd_admin_board = {
    "board",
    N_("The task board of a period: each task's lead status, overdue first"),
    board_main,
    N_("Usage: tamnong admin board PERIOD [--section S] [--agency CODE] [--status ST]\n"
       "                           [--json]\n"
       "\n"
       "Show every task of the plan at PERIOD's deadline: the lead agency's status\n"
       "and progress, the deadline state (overdue, due, on_schedule, done,\n"
       "continuous) and the due date; overdue tasks first, then by section.\n"
       "\n"
       "Options:\n"
       "  --section S    only section S and below (III.4, 4)\n"
       "  --agency CODE  only tasks agency CODE leads or coordinates\n"
       "  --status ST    only tasks whose lead status is ST: not_started,\n"
       "                 in_progress, completed, postponed, not_reported\n"
       "  --json         print a JSON object: period, as_of, rows [{task, section,\n"
       "                 title, leads, deadline_kind, status, progress,\n"
       "                 deadline_state, due_date, contributions [{agency, role,\n"
       "                 status, progress, note, version, updated_at}]}]\n"),
};

/* ---------------------------------------------------------- admin targets */

static json_t *figure_json(const Tamnong__AgencyFigure *a)
{
    return json_pack("{s:o, s:o, s:o, s:o, s:I, s:i, s:b, s:o, s:o, s:o}", "agency",
                     agency_json(a->agency), "value", out_jstr_or_null(a->value), "numerator",
                     out_jstr_or_null(a->numerator), "denominator",
                     out_jstr_or_null(a->denominator), "submission_id",
                     (json_int_t)a->submission_id, "revision", a->revision, "corrected",
                     a->corrected, "frozen_value", out_jstr_or_null(a->frozen_value),
                     "frozen_numerator", out_jstr_or_null(a->frozen_numerator),
                     "frozen_denominator", out_jstr_or_null(a->frozen_denominator));
}

static json_t *progress_json(const Tamnong__IndicatorProgress *p)
{
    const Tamnong__IndicatorInfo *ind = p->indicator;
    json_t *targets = json_array(), *breakdown = json_array(), *missing = json_array();
    for (size_t i = 0; i < p->n_targets; i++) {
        const Tamnong__TargetCheck *tc = p->targets[i];
        const Tamnong__TargetInfo *t = tc->target;
        json_array_append_new(
            targets,
            json_pack("{s:i, s:s, s:o, s:o, s:o, s:b, s:s, s:b, s:o, s:s}", "year", t ? t->year : 0,
                      "comparator", t ? t->comparator : "", "value",
                      out_jstr_or_null(t ? t->value : ""), "low", out_jstr_or_null(t ? t->low : ""),
                      "high", out_jstr_or_null(t ? t->high : ""), "strive", t ? t->strive : 0,
                      "wording", t ? t->wording : "", "met", tc->met, "expected_now",
                      out_jstr_or_null(tc->expected_now), "status", tc->status));
    }
    for (size_t i = 0; i < p->n_breakdown; i++)
        json_array_append_new(breakdown, figure_json(p->breakdown[i]));
    for (size_t i = 0; i < p->n_missing; i++)
        json_array_append_new(missing, agency_json(p->missing[i]));
    return json_pack("{s:s, s:s, s:s, s:s, s:i, s:o, s:o, s:o, s:o, s:s, s:b, s:o, s:o, s:o, "
                     "s:o}",
                     "key", ind ? ind->key : "", "name", ind ? ind->name : "", "unit",
                     ind ? ind->unit : "", "rule", ind ? ind->rule : "", "baseline_year",
                     ind ? ind->baseline_year : 0, "baseline",
                     out_jstr_or_null(ind ? ind->baseline : ""), "value",
                     out_jstr_or_null(p->value), "numerator", out_jstr_or_null(p->numerator),
                     "denominator", out_jstr_or_null(p->denominator), "status", p->status, "frozen",
                     p->frozen, "current_value", out_jstr_or_null(p->current_value), "targets",
                     targets, "breakdown", breakdown, "missing", missing);
}

static void progress_human(const Tamnong__IndicatorProgress *p)
{
    const Tamnong__IndicatorInfo *ind = p->indicator;
    char a[NUMFMT_VI_MAX], b[NUMFMT_VI_MAX], c[NUMFMT_VI_MAX];
    if (!ind)
        return;
    printf("%s  %s (%s)\n", ind->key, ind->name, ind->unit);
    printf(_("  value: %s"), num(p->value, a, sizeof a));
    if (*p->numerator || *p->denominator)
        printf(" (%s / %s)", num(p->numerator, b, sizeof b), num(p->denominator, c, sizeof c));
    printf(_("  status: %s"), *p->status ? p->status : "no_data");
    if (p->frozen)
        printf("  %s", _("[frozen at close]"));
    putchar('\n');
    if (*p->current_value && strcmp(p->current_value, p->value) != 0)
        printf(_("  with later corrections: %s\n"), num(p->current_value, a, sizeof a));
    if (*ind->baseline)
        printf(_("  baseline %d: %s\n"), (int)ind->baseline_year, num(ind->baseline, a, sizeof a));
    for (size_t i = 0; i < p->n_targets; i++) {
        const Tamnong__TargetCheck *tc = p->targets[i];
        const Tamnong__TargetInfo *t = tc->target;
        if (!t)
            continue;
        if (!strcmp(t->comparator, "range"))
            printf(_("  target %d: %s %s–%s"), (int)t->year, t->comparator,
                   num(t->low, a, sizeof a), num(t->high, b, sizeof b));
        else
            printf(_("  target %d: %s %s"), (int)t->year, t->comparator,
                   num(t->value, a, sizeof a));
        printf(_("  expected now: %s  → %s%s\n"), num(tc->expected_now, c, sizeof c), tc->status,
               tc->met ? _(" (met)") : "");
    }
    for (size_t i = 0; i < p->n_breakdown; i++) {
        const Tamnong__AgencyFigure *f = p->breakdown[i];
        printf("    %-12s %s", f->agency ? f->agency->code : "", num(f->value, a, sizeof a));
        if (*f->numerator || *f->denominator)
            printf(" (%s / %s)", num(f->numerator, b, sizeof b), num(f->denominator, c, sizeof c));
        if (f->corrected)
            printf(_("  [corrected after close; frozen: %s]"), num(f->frozen_value, b, sizeof b));
        putchar('\n');
    }
    if (p->n_missing > 0) {
        printf("%s", _("  missing:"));
        for (size_t i = 0; i < p->n_missing; i++)
            printf(" %s", p->missing[i]->code);
        putchar('\n');
    }
}

static int targets_print(const struct cli *cli, const Tamnong__TargetProgressResponse *r)
{
    if (cli->json) {
        bool bad = false;
        json_t *arr = json_array(), *doc = json_object();
        for (size_t i = 0; arr && i < r->n_indicators; i++) {
            json_t *o = progress_json(r->indicators[i]);
            if (!o || json_array_append_new(arr, o) != 0)
                bad = true;
        }
        out_jset(doc, "period", json_string(r->period ? r->period->code : ""), &bad);
        out_jset(doc, "closed", json_boolean(r->closed), &bad);
        out_jset(doc, "closed_at", out_jtime_or_null(r->closed_at_ms), &bad);
        out_jset(doc, "indicators", arr, &bad);
        return out_json_answer(doc, bad);
    }
    if (r->closed) {
        char when[64];
        out_local_time(r->closed_at_ms, when, sizeof when);
        printf(_("Period closed at %s: values are the figures frozen then.\n\n"), when);
    }
    if (r->n_indicators == 0)
        puts(_("No indicator matches."));
    for (size_t i = 0; i < r->n_indicators; i++) {
        if (i)
            putchar('\n');
        progress_human(r->indicators[i]);
    }
    return fflush(stdout) == 0 ? TN_EXIT_OK : TN_EXIT_SOFTWARE;
}

static int targets_main(struct cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        CLI_OPTION_JSON, {"indicator", required_argument, NULL, OPT_INDICATOR}, {0, 0, 0, 0}};
    Tamnong__TargetProgressRequest req = TAMNONG__TARGET_PROGRESS_REQUEST__INIT;
    int c;
    while ((c = cli_getopt(cli, &cmd_admin_targets, argc, argv, "", opts)) != -1) {
        if (c != OPT_INDICATOR)
            return TN_EXIT_USAGE;
        req.indicator = optarg;
    }
    const char *period;
    int rc = period_operand(cli, &cmd_admin_targets, argc, argv, &period);
    if (rc != TN_EXIT_OK)
        return rc;
    req.period_code = (char *)period;
    ProtobufCMessage *resp;
    rc = cli_call(cli, "TargetProgress", &req.base, &resp);
    if (rc != TN_EXIT_OK)
        return rc;
    rc = targets_print(cli, (const Tamnong__TargetProgressResponse *)resp);
    protobuf_c_message_free_unpacked(resp, NULL);
    return rc;
}

const struct command cmd_admin_targets = {
    "targets",
    N_("Target progress of a period: province values against the plan's targets"),
    targets_main,
    N_("Usage: tamnong admin targets PERIOD [--indicator KEY] [--json]\n"
       "\n"
       "For each indicator: the province value of PERIOD computed by the indicator's\n"
       "rule (sums add; shares are the sum of numerators over the sum of\n"
       "denominators), each target of the plan with where the trajectory from the\n"
       "baseline says the value should be now, the status (on_track, at_risk,\n"
       "off_track, met, no_data), each reporter's figure and the reporters missing.\n"
       "Once the period is closed, the values are those frozen at the close and\n"
       "later corrections are marked as such.\n"
       "\n"
       "Options:\n"
       "  --indicator KEY  only indicator KEY\n"
       "  --json           print a JSON object: period, closed, closed_at,\n"
       "                   indicators [{key, name, unit, rule, baseline_year,\n"
       "                   baseline, value, numerator, denominator, status, frozen,\n"
       "                   current_value, targets [...], breakdown [...], missing\n"
       "                   [...]}] (numbers as decimal text, \".\" separator)\n"),
};

/* ------------------------------------------------------------ admin close */

#define CLOSE_ATTEMPTS 3

static int close_main(struct cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {CLI_OPTION_JSON, {0, 0, 0, 0}};
    int c;
    while ((c = cli_getopt(cli, &cmd_admin_close, argc, argv, "", opts)) != -1)
        return TN_EXIT_USAGE;
    const char *period;
    int rc = period_operand(cli, &cmd_admin_close, argc, argv, &period);
    if (rc != TN_EXIT_OK)
        return rc;
    /* One request identifier for this invocation: a retry after a lost
     * answer sends the same bytes and gets the same receipt back. */
    uint8_t uuid[OUTBOX_UUID_LEN];
    if (outbox_new_uuid(uuid) < 0) {
        out_error("%s", _("Cannot get random bytes for the request identifier."));
        return TN_EXIT_SOFTWARE;
    }
    Tamnong__PeriodCloseRequest req = TAMNONG__PERIOD_CLOSE_REQUEST__INIT;
    req.request_uuid.data = uuid;
    req.request_uuid.len = sizeof uuid;
    req.period_code = (char *)period;
    ProtobufCMessage *resp = NULL;
    rc = cli_call_retrying(cli, "PeriodClose", &req.base, &resp, CLOSE_ATTEMPTS);
    if (rc != TN_EXIT_OK)
        return rc;
    const Tamnong__PeriodCloseReceipt *r = (const Tamnong__PeriodCloseReceipt *)resp;
    if (cli->json) {
        bool bad = false;
        json_t *doc = json_object();
        out_jset(doc, "period", json_string(period), &bad);
        out_jset(doc, "closed_at", out_jtime_or_null(r->closed_at_ms), &bad);
        out_jset(doc, "submissions", json_integer(r->submissions), &bad);
        out_jset(doc, "replay", json_boolean(r->replay), &bad);
        rc = out_json_answer(doc, bad);
    } else {
        char when[64];
        out_local_time(r->closed_at_ms, when, sizeof when);
        printf(ngettext("Period %s closed at %s: %d report kept as reported at the deadline.\n",
                        "Period %s closed at %s: %d reports kept as reported at the deadline.\n",
                        (unsigned long)r->submissions),
               period, when, (int)r->submissions);
        if (r->replay)
            puts(_("(The server had already done this request: this is its receipt.)"));
        rc = fflush(stdout) == 0 ? TN_EXIT_OK : TN_EXIT_SOFTWARE;
    }
    protobuf_c_message_free_unpacked(resp, NULL);
    return rc;
}

const struct command cmd_admin_close = {
    "close",
    N_("Close a period: freeze its figures as reported at the deadline"),
    close_main,
    N_("Usage: tamnong admin close PERIOD [--json]\n"
       "\n"
       "Close PERIOD: the server keeps a snapshot of the reports counted at that\n"
       "moment, and target progress then shows these frozen figures; a report\n"
       "revised later is shown as a correction, not mixed in. The request is sent\n"
       "again (same identifier, at most 3 times) when the server cannot be reached;\n"
       "the server answers a repeated request with its first receipt.\n"
       "\n"
       "Options:\n"
       "  --json   print a JSON object: period, closed_at, submissions, replay\n"),
};
