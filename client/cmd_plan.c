/* cmd_plan: `tamnong plan tasks` and `tamnong plan targets`, the provincial
 * plan as the server holds it: the tasks with their lead and coordinating
 * agencies (resolved on a date), and the indicators with their targets,
 * written the Vietnamese way in tables or as JSON. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "cli.h"
#include "i18n.h"
#include "output.h"
#include "tamnong.pb-c.h"

/* Display columns for long Vietnamese titles and names in tables. */
#define TITLE_COLUMNS 56
#define NAME_COLUMNS  44
#define MAX_YEARS     6

/* ------------------------------------------------------------------ helpers */

/* Copy s into out, cut to at most `cols` display columns ("…" marks a cut). */
static void truncate_cols(const char *s, size_t cols, char *out, size_t outlen)
{
    if (out_width(s) <= cols) {
        snprintf(out, outlen, "%s", s);
        return;
    }
    mbstate_t st;
    memset(&st, 0, sizeof st);
    size_t used = 0, width = 0, left = strlen(s);
    const char *p = s;
    while (left > 0) {
        wchar_t wc;
        size_t n = mbrtowc(&wc, p, left, &st);
        int w = 1;
        if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
            /* Not decodable in this locale: step over one UTF-8 character. */
            memset(&st, 0, sizeof st);
            n = 1;
            while (n < left && ((unsigned char)p[n] & 0xc0) == 0x80)
                n++;
        } else {
            w = wcwidth(wc);
            if (w < 0)
                w = 0;
        }
        if (width + (size_t)w > cols - 1 || used + n + 4 > outlen)
            break;
        width += (size_t)w;
        used += n;
        p += n;
        left -= n;
    }
    snprintf(out, outlen, "%.*s…", (int)used, s);
}

static void jpush(json_t *a, json_t *v, bool *bad)
{
    if (!v || json_array_append_new(a, v) != 0)
        *bad = true;
}

/* A decimal text from the server as a JSON number ("180" -> 180, "63.5" ->
 * 63.5), null when empty. */
static json_t *jnumber(const char *text)
{
    if (!text || !*text)
        return json_null();
    char *end;
    if (!strchr(text, '.') && !strchr(text, 'e') && !strchr(text, 'E')) {
        long long v = strtoll(text, &end, 10);
        if (*end == '\0')
            return json_integer(v);
    }
    double d = strtod(text, &end);
    return *end == '\0' ? json_real(d) : json_null();
}

/* -------------------------------------------------------------- plan tasks */

static json_t *agency_ref_json(const Tamnong__AgencyRef *a)
{
    json_t *code = json_string(a->code), *name = json_string(a->name);
    if (!code || !name) {
        json_decref(code);
        json_decref(name);
        return NULL;
    }
    return json_pack("{s:o, s:o}", "code", code, "name", name);
}

static json_t *agency_refs_json(Tamnong__AgencyRef **v, size_t n, bool *bad)
{
    json_t *a = json_array();
    if (!a) {
        *bad = true;
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        jpush(a, agency_ref_json(v[i]), bad);
    return a;
}

static int tasks_json(const Tamnong__PlanTasksResponse *r, bool with_role)
{
    bool bad = false;
    json_t *doc = json_array();
    for (size_t i = 0; doc && i < r->n_tasks; i++) {
        const Tamnong__TaskInfo *t = r->tasks[i];
        json_t *o = json_object();
        if (!o) {
            bad = true;
            break;
        }
        out_jset(o, "code", json_string(t->code), &bad);
        out_jset(o, "section", json_string(t->section), &bad);
        out_jset(o, "title", json_string(t->title), &bad);
        out_jset(o, "text", json_string(t->text), &bad);
        out_jset(o, "lead", t->n_lead ? agency_ref_json(t->lead[0]) : json_null(), &bad);
        out_jset(o, "leads", agency_refs_json(t->lead, t->n_lead, &bad), &bad);
        out_jset(o, "coordinating", agency_refs_json(t->coordinating, t->n_coordinating, &bad),
                 &bad);
        out_jset(o, "deadline_kind", json_string(t->deadline_kind), &bad);
        out_jset(o, "deadline_value", out_jstr_or_null(t->deadline_value), &bad);
        out_jset(o, "expected_output", out_jstr_or_null(t->expected_output), &bad);
        if (with_role)
            out_jset(o, "role", out_jstr_or_null(t->role), &bad);
        jpush(doc, o, &bad);
    }
    return out_json_answer(doc, bad);
}

static const char *role_label(const char *role)
{
    if (strcmp(role, "lead") == 0)
        return _("leads");
    if (strcmp(role, "coordinating") == 0)
        return _("coordinates");
    return role;
}

static int tasks_human(const Tamnong__PlanTasksResponse *r, bool with_role)
{
    if (r->n_tasks == 0) {
        puts(with_role ? _("This agency has no task in the plan on that date.")
                       : _("No tasks: no plan has been imported yet, or none matches."));
        return fflush(stdout) == 0 ? TN_EXIT_OK : TN_EXIT_SOFTWARE;
    }
    struct out_table *t = out_table_new(4);
    out_table_addv(t, _("Code"), _("Task"), _("Lead"), with_role ? _("Role") : _("Coordinating"));
    for (size_t i = 0; i < r->n_tasks; i++) {
        const Tamnong__TaskInfo *k = r->tasks[i];
        char title[512], lead[160], last[64];
        truncate_cols(k->title, TITLE_COLUMNS, title, sizeof title);
        if (k->n_lead == 0)
            snprintf(lead, sizeof lead, "—");
        else if (k->n_lead == 1)
            snprintf(lead, sizeof lead, "%s", k->lead[0]->code);
        else /* a group: "các sở, ban, ngành" is many agencies */
            snprintf(lead, sizeof lead, ngettext("%zu agency", "%zu agencies", k->n_lead),
                     k->n_lead);
        if (with_role)
            snprintf(last, sizeof last, "%s", role_label(k->role));
        else
            snprintf(last, sizeof last, "%zu", k->n_coordinating);
        out_table_addv(t, k->code, title, lead, last);
    }
    out_table_print(t, stdout);
    out_table_free(t);
    putchar('\n');
    /* TRANSLATORS: 1: number of tasks, 2: a date (YYYY-MM-DD), 3: plan version. */
    printf(ngettext("%zu task, agencies as of %s (plan version %d).\n",
                    "%zu tasks, agencies as of %s (plan version %d).\n", r->n_tasks),
           r->n_tasks, r->at, r->plan_version);
    return fflush(stdout) == 0 ? TN_EXIT_OK : TN_EXIT_SOFTWARE;
}

static const struct command plan_tasks_cmd;

static int tasks_main(struct cli *cli, int argc, char **argv)
{
    enum { OPT_AGENCY = 0x300, OPT_SECTION, OPT_AT };
    static const struct option opts[] = {
        {"agency", required_argument, NULL, OPT_AGENCY},
        {"section", required_argument, NULL, OPT_SECTION},
        {"at", required_argument, NULL, OPT_AT},
        CLI_OPTION_JSON,
        {0, 0, 0, 0},
    };
    char agency[65] = "";
    const char *section = "", *at = "";
    int c;
    while ((c = cli_getopt(cli, &plan_tasks_cmd, argc, argv, "", opts)) != -1) {
        switch (c) {
        case OPT_AGENCY:
            if (strlen(optarg) >= sizeof agency)
                return cli_usage_error(cli, &plan_tasks_cmd, _("'%s' is not an agency code."),
                                       optarg);
            /* Codes are capital letters: accept "sct" for SCT. */
            for (size_t i = 0; optarg[i]; i++)
                agency[i] = (char)toupper((unsigned char)optarg[i]);
            agency[strlen(optarg)] = '\0';
            break;
        case OPT_SECTION:
            section = optarg;
            break;
        case OPT_AT:
            at = optarg;
            if (!cli_date_ok(at))
                return cli_usage_error(cli, &plan_tasks_cmd,
                                       _("'%s' is not a date: write it as YYYY-MM-DD."), at);
            break;
        default:
            return TN_EXIT_USAGE;
        }
    }
    if (optind < argc)
        return cli_usage_error(cli, &plan_tasks_cmd, _("'%s %s' takes no arguments."), cli->prefix,
                               plan_tasks_cmd.name);

    Tamnong__PlanTasksRequest req = TAMNONG__PLAN_TASKS_REQUEST__INIT;
    req.agency_code = agency;
    req.section = (char *)section;
    req.at = (char *)at;
    ProtobufCMessage *resp;
    int rc = cli_call(cli, "PlanTasks", &req.base, &resp);
    if (rc != TN_EXIT_OK)
        return rc;
    const Tamnong__PlanTasksResponse *r = (const Tamnong__PlanTasksResponse *)resp;
    rc = cli->json ? tasks_json(r, agency[0] != '\0') : tasks_human(r, agency[0] != '\0');
    protobuf_c_message_free_unpacked(resp, NULL);
    return rc;
}

static const struct command plan_tasks_cmd = {
    "tasks",
    N_("The tasks of the plan with their lead and coordinating agencies"),
    tasks_main,
    N_("Usage: tamnong plan tasks [--agency CODE] [--section N] [--at DATE] [--json]\n"
       "\n"
       "List the tasks of the plan in force with the agency that leads each one and\n"
       "the agencies that coordinate. Agencies are those of the day asked: after a\n"
       "merger the new agency leads, and a group such as \"the districts\" stands for\n"
       "the agencies that exist on that day.\n"
       "\n"
       "Options:\n"
       "  --agency CODE   only the tasks of this agency, with its role (leads or\n"
       "                  coordinates)\n"
       "  --section N     only one section: III.4, or 4 for III.4, or III.8.1\n"
       "  --at DATE       the day to look at, YYYY-MM-DD (default: today)\n"
       "  --json          print a JSON array; each task has code, section, title, text,\n"
       "                  lead {code, name}, leads and coordinating [{code, name}],\n"
       "                  deadline_kind, deadline_value, expected_output, and role\n"
       "                  with --agency\n"),
};

/* ------------------------------------------------------------ plan targets */

/* A decimal text the Vietnamese way: "63.5" -> "63,5", "450000" -> "450.000"
 * (decimal comma, dots between thousands), as the plan itself writes them. */
static void vi_number(const char *text, char *out, size_t len)
{
    size_t o = 0;
    const char *p = text;
    if (*p == '-' && o + 1 < len)
        out[o++] = *p++;
    size_t digits = strspn(p, "0123456789");
    for (size_t i = 0; i < digits && o + 2 < len; i++) {
        if (i > 0 && (digits - i) % 3 == 0)
            out[o++] = '.';
        out[o++] = p[i];
    }
    p += digits;
    for (; *p && o + 1 < len; p++)
        out[o++] = *p == '.' ? ',' : *p;
    out[o < len ? o : len - 1] = '\0';
}

/* A target as people write it: "≥ 180", "khoảng 3", "16–17", "> 8", "63,5". */
static void target_text(const Tamnong__TargetInfo *t, char *out, size_t len)
{
    char v[48], lo[48], hi[48], span[112];
    vi_number(t->value, v, sizeof v);
    vi_number(t->low, lo, sizeof lo);
    vi_number(t->high, hi, sizeof hi);
    if (t->low[0] && t->high[0])
        snprintf(span, sizeof span, "%s–%s", lo, hi);
    else
        snprintf(span, sizeof span, "%s", v);
    const char *c = t->comparator;
    if (strcmp(c, "about") == 0)
        snprintf(out, len, _("about %s"), v);
    else if (strcmp(c, "range") == 0)
        snprintf(out, len, "%s", span);
    else if (strcmp(c, "more_than") == 0)
        snprintf(out, len, "> %s", v);
    else if (strcmp(c, "at_least") == 0)
        snprintf(out, len, "≥ %s", v);
    else if (strcmp(c, "at_most") == 0)
        snprintf(out, len, "≤ %s", v);
    else if (strcmp(c, "multiple_of_baseline") == 0)
        /* TRANSLATORS: a target that is a multiple of the baseline, e.g. "1,3 × baseline". */
        snprintf(out, len, _("%s × baseline"), v);
    else if (strcmp(c, "per_year") == 0)
        /* TRANSLATORS: a target per year, e.g. "15–20 a year". */
        snprintf(out, len, _("%s a year"), span);
    else
        snprintf(out, len, "%s", span);
}

static int targets_json(const Tamnong__PlanTargetsResponse *r)
{
    bool bad = false;
    json_t *doc = json_array();
    for (size_t i = 0; doc && i < r->n_indicators; i++) {
        const Tamnong__IndicatorInfo *x = r->indicators[i];
        json_t *o = json_object(), *reps = json_array(), *tgs = json_array();
        if (!o || !reps || !tgs) {
            json_decref(o);
            json_decref(reps);
            json_decref(tgs);
            bad = true;
            break;
        }
        out_jset(o, "key", json_string(x->key), &bad);
        out_jset(o, "name", json_string(x->name), &bad);
        out_jset(o, "unit", json_string(x->unit), &bad);
        out_jset(o, "rule", json_string(x->rule), &bad);
        out_jset(o, "baseline", jnumber(x->baseline), &bad);
        out_jset(o, "baseline_year",
                 x->baseline_year ? json_integer(x->baseline_year) : json_null(), &bad);
        out_jset(o, "task", out_jstr_or_null(x->task), &bad);
        for (size_t k = 0; k < x->n_reporters; k++)
            jpush(reps, json_string(x->reporters[k]), &bad);
        out_jset(o, "reporters", reps, &bad);
        for (size_t k = 0; k < x->n_targets; k++) {
            const Tamnong__TargetInfo *t = x->targets[k];
            json_t *g = json_object();
            if (!g) {
                bad = true;
                break;
            }
            out_jset(g, "year", json_integer(t->year), &bad);
            out_jset(g, "comparator", json_string(t->comparator), &bad);
            out_jset(g, "value", jnumber(t->value), &bad);
            out_jset(g, "low", jnumber(t->low), &bad);
            out_jset(g, "high", jnumber(t->high), &bad);
            out_jset(g, "strive", json_boolean(t->strive), &bad);
            out_jset(g, "wording", json_string(t->wording), &bad);
            jpush(tgs, g, &bad);
        }
        out_jset(o, "targets", tgs, &bad);
        jpush(doc, o, &bad);
    }
    return out_json_answer(doc, bad);
}

static int targets_human(const Tamnong__PlanTargetsResponse *r)
{
    if (r->n_indicators == 0) {
        puts(_("No indicators: no plan has been imported yet."));
        return fflush(stdout) == 0 ? TN_EXIT_OK : TN_EXIT_SOFTWARE;
    }
    /* One column per target year, in order. */
    int years[MAX_YEARS];
    size_t ny = 0;
    for (size_t i = 0; i < r->n_indicators; i++)
        for (size_t k = 0; k < r->indicators[i]->n_targets; k++) {
            int y = r->indicators[i]->targets[k]->year;
            size_t j = 0;
            while (j < ny && years[j] != y)
                j++;
            if (j == ny && ny < MAX_YEARS) {
                while (j > 0 && years[j - 1] > y) {
                    years[j] = years[j - 1];
                    j--;
                }
                years[j] = y;
                ny++;
            }
        }
    size_t ncols = 3 + ny;
    struct out_table *t = out_table_new(ncols);
    const char *cells[3 + MAX_YEARS];
    char heads[MAX_YEARS][16];
    cells[0] = _("Key");
    cells[1] = _("Indicator");
    cells[2] = _("Unit");
    for (size_t j = 0; j < ny; j++) {
        snprintf(heads[j], sizeof heads[j], "%d", years[j]);
        cells[3 + j] = heads[j];
    }
    out_table_add(t, cells);
    size_t n_targets = 0;
    for (size_t i = 0; i < r->n_indicators; i++) {
        const Tamnong__IndicatorInfo *x = r->indicators[i];
        char name[512], vals[MAX_YEARS][256];
        truncate_cols(x->name, NAME_COLUMNS, name, sizeof name);
        for (size_t j = 0; j < ny; j++) {
            vals[j][0] = '\0';
            for (size_t k = 0; k < x->n_targets; k++) {
                if (x->targets[k]->year != years[j])
                    continue;
                char one[160];
                target_text(x->targets[k], one, sizeof one);
                size_t used = strlen(vals[j]);
                /* Two targets in one year (stated in two places): both. */
                snprintf(vals[j] + used, sizeof vals[j] - used, "%s%s", used ? "; " : "", one);
            }
            cells[3 + j] = vals[j];
        }
        n_targets += x->n_targets;
        cells[0] = x->key;
        cells[1] = name;
        cells[2] = x->unit;
        out_table_add(t, cells);
    }
    out_table_print(t, stdout);
    out_table_free(t);
    putchar('\n');
    /* TRANSLATORS: 1: number of indicators, 2: number of targets, 3: plan version. */
    printf(ngettext("%zu indicator, %zu targets (plan version %d).\n",
                    "%zu indicators, %zu targets (plan version %d).\n", r->n_indicators),
           r->n_indicators, n_targets, r->plan_version);
    return fflush(stdout) == 0 ? TN_EXIT_OK : TN_EXIT_SOFTWARE;
}

static const struct command plan_targets_cmd;

static int targets_main(struct cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {CLI_OPTION_JSON, {0, 0, 0, 0}};
    int c;
    while ((c = cli_getopt(cli, &plan_targets_cmd, argc, argv, "", opts)) != -1)
        if (c == '?')
            return TN_EXIT_USAGE;
    if (optind < argc)
        return cli_usage_error(cli, &plan_targets_cmd, _("'%s %s' takes no arguments."),
                               cli->prefix, plan_targets_cmd.name);
    Tamnong__PlanTargetsRequest req = TAMNONG__PLAN_TARGETS_REQUEST__INIT;
    ProtobufCMessage *resp;
    int rc = cli_call(cli, "PlanTargets", &req.base, &resp);
    if (rc != TN_EXIT_OK)
        return rc;
    const Tamnong__PlanTargetsResponse *r = (const Tamnong__PlanTargetsResponse *)resp;
    rc = cli->json ? targets_json(r) : targets_human(r);
    protobuf_c_message_free_unpacked(resp, NULL);
    return rc;
}

static const struct command plan_targets_cmd = {
    "targets",
    N_("The indicators of the plan with their targets"),
    targets_main,
    N_("Usage: tamnong plan targets [--json]\n"
       "\n"
       "List the indicators of the plan in force with their unit and their targets\n"
       "per year, written as the plan states them: \"≥ 180\" (at least), \"> 80\" (more\n"
       "than), \"about 3\", \"16–17\" (a range), \"63,5\" (exactly).\n"
       "\n"
       "Options:\n"
       "  --json   print a JSON array; each indicator has key, name, unit, rule,\n"
       "           baseline, baseline_year, task, reporters and targets [{year,\n"
       "           comparator, value, low, high, strive, wording}]; numbers are JSON\n"
       "           numbers (decimal point), null when not set\n"),
};

/* -------------------------------------------------------------- plan group */

static const struct command *const plan_commands[] = {&plan_tasks_cmd, &plan_targets_cmd, NULL};

static int plan_main(struct cli *cli, int argc, char **argv)
{
    return cli_run_group(cli, &cmd_plan, plan_commands, argc, argv);
}

const struct command cmd_plan = {
    "plan",
    N_("The tasks and targets of the provincial plan"),
    plan_main,
    N_("Usage: tamnong plan COMMAND [OPTIONS]\n"
       "\n"
       "The provincial plan in force, as the server holds it.\n"
       "\n"
       "Commands:\n"
       "  tamnong plan tasks [--agency CODE] [--section N] [--at DATE] [--json]\n"
       "      The tasks with the agency that leads each one and the agencies that\n"
       "      coordinate, as they are on a day: after a merger the new agency leads,\n"
       "      and a group such as \"the districts\" stands for the agencies of that day.\n"
       "        --agency CODE   only this agency's tasks, with its role\n"
       "        --section N     only one section: III.4, or 4 for III.4, or III.8.1\n"
       "        --at DATE       the day, YYYY-MM-DD (default: today)\n"
       "        --json          a JSON array of tasks: code, section, title, text,\n"
       "                        lead {code, name}, leads and coordinating [{code, name}],\n"
       "                        deadline_kind, deadline_value, expected_output, and role\n"
       "                        with --agency\n"
       "\n"
       "  tamnong plan targets [--json]\n"
       "      The indicators with their unit and targets per year, written as the plan\n"
       "      states them: \"≥ 180\" (at least), \"> 80\" (more than), \"about 3\",\n"
       "      \"16–17\" (a range), \"63,5\" (exactly).\n"
       "        --json          a JSON array of indicators: key, name, unit, rule,\n"
       "                        baseline, baseline_year, task, reporters, targets [{year,\n"
       "                        comparator, value, low, high, strive, wording}]; numbers\n"
       "                        are JSON numbers, null when not set\n"),
};
