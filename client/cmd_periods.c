/* cmd_periods: `tamnong periods [--year Y]`, the reporting periods: for each
 * the data cut-off window and the day by which the report must reach the
 * province (until the end of that day in the province's time zone), moved
 * for this agency when the standing agency extended its deadline. */
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
        json_t *o = json_object();
        out_jset(o, "code", json_string(p->code), &bad);
        out_jset(o, "regime", json_string(p->regime), &bad);
        out_jset(o, "name", json_string(p->regime_name), &bad);
        out_jset(o, "year", json_integer(p->year), &bad);
        out_jset(o, "window_start", json_string(p->window_start), &bad);
        out_jset(o, "window_end", json_string(p->window_end), &bad);
        out_jset(o, "deadline", json_string(p->deadline), &bad);
        out_jset(o, "deadline_at", iso_utc(p->deadline_at_ms), &bad);
        out_jset(o, "time_zone", json_string(p->time_zone), &bad);
        /* this agency's own extension, if the standing agency granted one */
        char day[16] = "";
        if (p->extended_deadline_at_ms > 0)
            out_deadline_day(p->deadline, p->deadline_at_ms, p->extended_deadline_at_ms, day,
                             sizeof day);
        out_jset(o, "extended_deadline", out_jstr_or_null(day), &bad);
        out_jset(o, "extended_deadline_at",
                 p->extended_deadline_at_ms > 0 ? iso_utc(p->extended_deadline_at_ms) : json_null(),
                 &bad);
        out_jset(o, "extension_reason", out_jstr_or_null(p->extension_reason), &bad);
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
    bool one_zone = true, extended = false;
    for (size_t i = 0; i < r->n_periods; i++) {
        const Tamnong__PeriodInfo *p = r->periods[i];
        char window[64], deadline[96];
        snprintf(window, sizeof window, "%s → %s", p->window_start, p->window_end);
        if (strcmp(p->time_zone, zone) != 0)
            one_zone = false;
        snprintf(deadline, sizeof deadline, "%s", p->deadline);
        if (p->extended_deadline_at_ms > 0) {
            char day[16];
            out_deadline_day(p->deadline, p->deadline_at_ms, p->extended_deadline_at_ms, day,
                             sizeof day);
            /* TRANSLATORS: 1: the period's deadline day, 2: the later day of this
             * agency's extension. */
            snprintf(deadline, sizeof deadline, _("%s, extended to %s"), p->deadline, day);
            extended = true;
        }
        out_table_addv(t, p->code, p->regime_name, window, deadline);
    }
    out_table_print(t, stdout);
    out_table_free(t);
    putchar('\n');
    for (size_t i = 0; extended && i < r->n_periods; i++)
        if (r->periods[i]->extended_deadline_at_ms > 0 && *r->periods[i]->extension_reason)
            /* TRANSLATORS: 1: period code, 2: why the standing agency extended the deadline. */
            printf(_("Extension for %s: %s\n"), r->periods[i]->code,
                   r->periods[i]->extension_reason);
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
       "             deadline_at (the end of the deadline day, ISO-8601 UTC),\n"
       "             time_zone, and this agency's extension if the standing agency\n"
       "             granted one: extended_deadline (the new last day),\n"
       "             extended_deadline_at and extension_reason (null when none)\n"),
};
