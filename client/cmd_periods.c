/* cmd_periods: `tamnong periods [--year Y]`, the reporting periods: for each
 * the data cut-off window and the day by which the report must reach the
 * province (until the end of that day in the province's time zone). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "i18n.h"
#include "output.h"
#include "tamnong.pb-c.h"

/* Unix ms as "2025-06-15T17:00:00Z" (whole seconds: deadlines are). */
static json_t *iso_utc(int64_t ms)
{
    if (ms % 1000 != 0) {
        char t[64];
        out_iso8601_utc(ms, t, sizeof t);
        return json_string(t);
    }
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    char t[32];
    if (!gmtime_r(&s, &tm) || strftime(t, sizeof t, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        return json_null();
    return json_string(t);
}

static int print_json(const Tamnong__PeriodsResponse *r)
{
    bool bad = false;
    json_t *doc = json_array();
    for (size_t i = 0; doc && i < r->n_periods; i++) {
        const Tamnong__PeriodInfo *p = r->periods[i];
        json_t *code = json_string(p->code), *regime = json_string(p->regime),
               *name = json_string(p->regime_name), *ws = json_string(p->window_start),
               *we = json_string(p->window_end), *dl = json_string(p->deadline),
               *at = iso_utc(p->deadline_at_ms), *tz = json_string(p->time_zone);
        json_t *o = NULL;
        if (code && regime && name && ws && we && dl && at && tz)
            o = json_pack("{s:O, s:O, s:O, s:i, s:O, s:O, s:O, s:O, s:O}", "code", code, "regime",
                          regime, "name", name, "year", (int)p->year, "window_start", ws,
                          "window_end", we, "deadline", dl, "deadline_at", at, "time_zone", tz);
        json_t *parts[] = {code, regime, name, ws, we, dl, at, tz};
        for (size_t k = 0; k < sizeof parts / sizeof parts[0]; k++)
            json_decref(parts[k]);
        if (!o || json_array_append_new(doc, o) != 0) {
            bad = true;
            break;
        }
    }
    return out_json_answer(doc, bad);
}

static int print_human(const Tamnong__PeriodsResponse *r)
{
    if (r->n_periods == 0) {
        puts(_("No reporting periods: no plan has been imported yet, or none in that year."));
        return fflush(stdout) == 0 ? TN_EXIT_OK : TN_EXIT_SOFTWARE;
    }
    struct out_table *t = out_table_new(4);
    out_table_addv(t, _("Period"), _("Report"), _("Data window"), _("Send by (end of day)"));
    const char *zone = r->periods[0]->time_zone;
    bool one_zone = true;
    for (size_t i = 0; i < r->n_periods; i++) {
        const Tamnong__PeriodInfo *p = r->periods[i];
        char window[64], deadline[96];
        snprintf(window, sizeof window, "%s → %s", p->window_start, p->window_end);
        if (strcmp(p->time_zone, zone) != 0)
            one_zone = false;
        snprintf(deadline, sizeof deadline, "%s", p->deadline);
        out_table_addv(t, p->code, p->regime_name, window, deadline);
    }
    out_table_print(t, stdout);
    out_table_free(t);
    putchar('\n');
    if (one_zone)
        /* TRANSLATORS: %s is a time zone name such as Asia/Ho_Chi_Minh. */
        printf(_("A report is on time when the server has it by the end of the deadline day "
                 "(time zone %s).\n"),
               zone);
    else
        printf(_("A report is on time when the server has it by the end of the deadline day in "
                 "the period's time zone.\n"));
    return fflush(stdout) == 0 ? TN_EXIT_OK : TN_EXIT_SOFTWARE;
}

static int periods_main(struct cli *cli, int argc, char **argv)
{
    enum { OPT_YEAR = 0x300 };
    static const struct option opts[] = {
        {"year", required_argument, NULL, OPT_YEAR},
        CLI_OPTION_JSON,
        {0, 0, 0, 0},
    };
    int year = 0, c;
    while ((c = cli_getopt(cli, &cmd_periods, argc, argv, "", opts)) != -1) {
        if (c != OPT_YEAR)
            return TN_EXIT_USAGE;
        char *end;
        long y = strtol(optarg, &end, 10);
        if (*optarg == '\0' || *end != '\0' || y < 2000 || y > 2100)
            return cli_usage_error(cli, &cmd_periods,
                                   _("'%s' is not a year: give one between 2000 and 2100."),
                                   optarg);
        year = (int)y;
    }
    if (optind < argc)
        return cli_usage_error(cli, &cmd_periods, _("'%s %s' takes no arguments."), cli->prefix,
                               cmd_periods.name);

    Tamnong__PeriodsRequest req = TAMNONG__PERIODS_REQUEST__INIT;
    req.year = year;
    ProtobufCMessage *resp;
    int rc = cli_call(cli, "Periods", &req.base, &resp);
    if (rc != TN_EXIT_OK)
        return rc;
    const Tamnong__PeriodsResponse *r = (const Tamnong__PeriodsResponse *)resp;
    rc = cli->json ? print_json(r) : print_human(r);
    protobuf_c_message_free_unpacked(resp, NULL);
    return rc;
}

const struct command cmd_periods = {
    "periods",
    N_("The reporting periods: data windows and deadlines"),
    periods_main,
    N_("Usage: tamnong periods [--year Y] [--json]\n"
       "\n"
       "List the reporting periods of the plan (the 6-month and the annual report of\n"
       "each year): the window of data a report covers and the deadline. A report is\n"
       "on time when the server has it by the end of the deadline day in the\n"
       "province's time zone.\n"
       "\n"
       "Options:\n"
       "  --year Y   only the periods of year Y\n"
       "  --json     print a JSON array; each period has code, regime, name, year,\n"
       "             window_start, window_end, deadline (local dates, YYYY-MM-DD),\n"
       "             deadline_at (the end of the deadline day, ISO-8601 UTC) and\n"
       "             time_zone\n"),
};
