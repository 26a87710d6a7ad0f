/* cmd_deadline: the standing agency's deadline commands, rows of the
 * `tamnong admin` group (cmd_admin.c). `admin status PERIOD` shows who was
 * expected to report for a period and who sent what, on time or late (the
 * server's judgement, by its own clock), with counts by kind of agency;
 * `admin extend PERIOD --until DAY --reason TEXT` gives one agency, or every
 * reporter, more time. Both are online. extend chooses one request id per
 * invocation and sends the same bytes again after a failure that may be
 * retried, so the server grants the extension once whatever happens. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "client_config.h"
#include "i18n.h"
#include "outbox.h"
#include "output.h"
#include "status.h"
#include "tamnong.pb-c.h"

enum { OPT_KIND = 0x300, OPT_AGENCY, OPT_UNTIL, OPT_REASON };

/* extend: tries in all (cli_call_retrying). */
#define EXTEND_ATTEMPTS 5

static const char *const kinds[] = {"department",      "district", "commune",
                                    "socio_political", "province", "other"};

static bool kind_ok(const char *k)
{
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(k, kinds[i]) == 0)
            return true;
    return false;
}

static const char *kind_label(const char *k)
{
    if (!*k)
        return _("all kinds");
    if (strcmp(k, "department") == 0)
        return _("departments");
    if (strcmp(k, "district") == 0)
        return _("districts");
    if (strcmp(k, "commune") == 0)
        return _("communes");
    if (strcmp(k, "socio_political") == 0)
        return _("socio-political organisations");
    if (strcmp(k, "province") == 0)
        return _("province");
    if (strcmp(k, "other") == 0)
        return _("other");
    return k;
}

static const char *status_label(const char *s)
{
    if (strcmp(s, "missing") == 0)
        return _("not submitted");
    if (strcmp(s, "submitted") == 0)
        return _("submitted");
    if (strcmp(s, "returned") == 0)
        return _("returned");
    if (strcmp(s, "accepted") == 0)
        return _("accepted");
    return s;
}

static void deadline_text(const Tamnong__PeriodInfo *p, int64_t ms, char *buf, size_t len)
{
    out_deadline_day(p ? p->deadline : NULL, p ? p->deadline_at_ms : 0, ms, buf, len);
}

/* ------------------------------------------------------------ admin status */

static json_t *kind_count_json(const Tamnong__KindCount *k)
{
    return json_pack("{s:s, s:i, s:i, s:i, s:i, s:i, s:i, s:i}", "kind", k->kind, "expected",
                     k->expected, "submitted", k->submitted, "on_time", k->on_time, "late", k->late,
                     "missing", k->missing, "returned", k->returned, "accepted", k->accepted);
}

static json_t *reporter_json(const Tamnong__ReporterStatus *x)
{
    json_t *o =
        json_pack("{s:s, s:s, s:s, s:s}", "agency", x->agency ? x->agency->code : "", "name",
                  x->agency ? x->agency->name : "", "kind", x->kind, "status", x->status);
    if (!o)
        return NULL;
    bool bad = false;
    bool missing = strcmp(x->status, "missing") == 0;
    out_jset(o, "on_time", missing ? json_null() : json_boolean(x->on_time), &bad);
    out_jset(o, "submission_id", missing ? json_null() : json_integer(x->submission_id), &bad);
    out_jset(o, "revision", missing ? json_null() : json_integer(x->revision), &bad);
    out_jset(o, "received_at", out_jtime_or_null(x->received_at_ms), &bad);
    out_jset(o, "deadline_at", out_jtime_or_null(x->deadline_at_ms), &bad);
    out_jset(o, "extension_reason", out_jstr_or_null(x->extension_reason), &bad);
    out_jset(o, "review_reason", out_jstr_or_null(x->review_reason), &bad);
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static int status_json(const Tamnong__PeriodStatusResponse *r)
{
    bool bad = false;
    json_t *doc = json_object(), *totals = json_array(), *reps = json_array();
    if (!doc || !totals || !reps) {
        json_decref(doc);
        json_decref(totals);
        json_decref(reps);
        return out_json_answer(NULL, true);
    }
    const Tamnong__PeriodInfo *p = r->period;
    out_jset(doc, "period", json_string(p ? p->code : ""), &bad);
    out_jset(doc, "deadline", out_jstr_or_null(p ? p->deadline : ""), &bad);
    out_jset(doc, "deadline_at", out_jtime_or_null(p ? p->deadline_at_ms : 0), &bad);
    out_jset(doc, "time_zone", out_jstr_or_null(p ? p->time_zone : ""), &bad);
    out_jset(doc, "deadline_passed", json_boolean(r->deadline_passed), &bad);
    for (size_t i = 0; i < r->n_totals; i++) {
        json_t *k = kind_count_json(r->totals[i]);
        if (!k || json_array_append_new(totals, k) != 0)
            bad = true;
    }
    for (size_t i = 0; i < r->n_reporters; i++) {
        json_t *x = reporter_json(r->reporters[i]);
        if (!x || json_array_append_new(reps, x) != 0)
            bad = true;
    }
    out_jset(doc, "totals", totals, &bad);
    out_jset(doc, "reporters", reps, &bad);
    return out_json_answer(doc, bad);
}

static int status_human(const Tamnong__PeriodStatusResponse *r)
{
    const Tamnong__PeriodInfo *p = r->period;
    if (p) {
        /* TRANSLATORS: 1: period code, 2: report name, 3: deadline day, 4: time zone. */
        printf(_("Period %s (%s): deadline %s, end of the day (%s).\n"), p->code, p->regime_name,
               p->deadline, p->time_zone);
        puts(r->deadline_passed ? _("The deadline has passed (by the server's clock).")
                                : _("The deadline has not passed yet (by the server's clock)."));
    }
    putchar('\n');
    struct out_table *t = out_table_new(8);
    for (size_t c = 1; c < 8; c++)
        out_table_align_right(t, c);
    out_table_addv(t, _("KIND"), _("EXPECTED"), _("SUBMITTED"), _("ON TIME"), _("LATE"),
                   _("MISSING"), _("RETURNED"), _("ACCEPTED"));
    for (size_t i = 0; i < r->n_totals; i++) {
        const Tamnong__KindCount *k = r->totals[i];
        char n[7][16];
        int v[7] = {k->expected, k->submitted, k->on_time, k->late,
                    k->missing,  k->returned,  k->accepted};
        for (int j = 0; j < 7; j++)
            snprintf(n[j], sizeof n[j], "%d", v[j]);
        out_table_addv(t, kind_label(k->kind), n[0], n[1], n[2], n[3], n[4], n[5], n[6]);
    }
    out_table_print(t, stdout);
    out_table_free(t);
    putchar('\n');
    if (r->n_reporters == 0) {
        puts(_("No agency is expected to report for this period (no plan, or no duties)."));
        return fflush(stdout) == 0 ? TN_EXIT_OK : TN_EXIT_SOFTWARE;
    }
    puts(_("Agencies (not submitted, late and returned first):"));
    t = out_table_new(7);
    out_table_addv(t, _("AGENCY"), _("NAME"), _("STATUS"), _("TIMELINESS"), _("RECEIVED"),
                   _("DEADLINE"), _("NOTE"));
    for (size_t i = 0; i < r->n_reporters; i++) {
        const Tamnong__ReporterStatus *x = r->reporters[i];
        bool missing = strcmp(x->status, "missing") == 0;
        char when[64] = "—", dl[64], note[1200] = "";
        if (x->received_at_ms > 0)
            out_local_time(x->received_at_ms, when, sizeof when);
        deadline_text(p, x->deadline_at_ms, dl, sizeof dl);
        if (*x->review_reason)
            snprintf(note, sizeof note, _("returned: %s"), x->review_reason);
        if (*x->extension_reason) {
            size_t n = strlen(note);
            snprintf(note + n, sizeof note - n, _("%sextended: %s"), n ? "; " : "",
                     x->extension_reason);
        }
        out_table_addv(t, x->agency ? x->agency->code : "", x->agency ? x->agency->name : "",
                       status_label(x->status),
                       missing ? "—" : (x->on_time ? _("on time") : _("late")), when, dl, note);
    }
    out_table_print(t, stdout);
    out_table_free(t);
    return fflush(stdout) == 0 ? TN_EXIT_OK : TN_EXIT_SOFTWARE;
}

static int status_main(struct cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        CLI_OPTION_JSON, {"kind", required_argument, NULL, OPT_KIND}, {0, 0, 0, 0}};
    Tamnong__PeriodStatusRequest req = TAMNONG__PERIOD_STATUS_REQUEST__INIT;
    int c;
    while ((c = cli_getopt(cli, &cmd_admin_status, argc, argv, "", opts)) != -1) {
        if (c != OPT_KIND)
            return TN_EXIT_USAGE;
        if (!kind_ok(optarg))
            return cli_usage_error(cli, &cmd_admin_status,
                                   _("'%s' is not a kind of agency: give department, district, "
                                     "commune, socio_political, province or other."),
                                   optarg);
        req.agency_kind = optarg;
    }
    if (optind >= argc)
        return cli_usage_error(cli, &cmd_admin_status, "%s",
                               _("which period? Give PERIOD, e.g. 2025-six_month."));
    req.period_code = argv[optind++];
    if (optind < argc)
        return cli_usage_error(cli, &cmd_admin_status, _("unexpected argument '%s'."),
                               argv[optind]);
    struct rpc_client *client;
    int rc = cli_connect(cli, &client);
    if (rc != TN_EXIT_OK)
        return rc;
    ProtobufCMessage *resp = NULL;
    struct rpc_status st;
    if (rpc_call(client, "PeriodStatus", &req.base, &resp, &st) < 0) {
        rc = cli_rpc_error(cli, &st);
    } else {
        const Tamnong__PeriodStatusResponse *r = (const Tamnong__PeriodStatusResponse *)resp;
        rc = cli->json ? status_json(r) : status_human(r);
        protobuf_c_message_free_unpacked(resp, NULL);
    }
    rpc_close(client);
    return rc;
}

const struct command cmd_admin_status = {
    "status",
    N_("Who has reported for a period, on time or late"),
    status_main,
    N_("Usage: tamnong admin status PERIOD [--kind KIND] [--json]\n"
       "\n"
       "Show every agency expected to report for PERIOD (those with a task or an\n"
       "indicator of the plan then) and where its report stands: not submitted,\n"
       "submitted, returned or accepted, and whether it was on time. A report is on\n"
       "time when the server received it (by its own clock, never the agency's)\n"
       "before the end of the agency's deadline day, extensions included; for a\n"
       "report with an accepted revision, that revision counts. First the counts by\n"
       "kind of agency, then the list: not submitted, late and returned first.\n"
       "\n"
       "Options:\n"
       "  --kind KIND  only agencies of this kind: department, district, commune,\n"
       "               socio_political, province, other\n"
       "  --json       print a JSON object: period, deadline, deadline_at,\n"
       "               time_zone, deadline_passed, totals [{kind (\"\" = all), expected,\n"
       "               submitted, on_time, late, missing, returned, accepted}],\n"
       "               reporters [{agency, name, kind, status, on_time, submission_id,\n"
       "               revision, received_at, deadline_at, extension_reason,\n"
       "               review_reason}]\n"),
};

/* ------------------------------------------------------------ admin extend */

static int extend_main(struct cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {CLI_OPTION_JSON,
                                         {"agency", required_argument, NULL, OPT_AGENCY},
                                         {"until", required_argument, NULL, OPT_UNTIL},
                                         {"reason", required_argument, NULL, OPT_REASON},
                                         {0, 0, 0, 0}};
    Tamnong__DeadlineExtendRequest req = TAMNONG__DEADLINE_EXTEND_REQUEST__INIT;
    int c;
    while ((c = cli_getopt(cli, &cmd_admin_extend, argc, argv, "", opts)) != -1) {
        switch (c) {
        case OPT_AGENCY:
            req.agency_code = optarg;
            break;
        case OPT_UNTIL:
            if (!cli_date_ok(optarg))
                return cli_usage_error(cli, &cmd_admin_extend,
                                       _("'%s' is not a date: write YYYY-MM-DD."), optarg);
            req.until = optarg;
            break;
        case OPT_REASON:
            req.reason = optarg;
            break;
        default:
            return TN_EXIT_USAGE;
        }
    }
    if (optind >= argc)
        return cli_usage_error(cli, &cmd_admin_extend, "%s",
                               _("which period? Give PERIOD, e.g. 2025-six_month."));
    req.period_code = argv[optind++];
    if (optind < argc)
        return cli_usage_error(cli, &cmd_admin_extend, _("unexpected argument '%s'."),
                               argv[optind]);
    if (!*req.until)
        return cli_usage_error(cli, &cmd_admin_extend, "%s",
                               _("give the new last day with --until YYYY-MM-DD."));
    if (strspn(req.reason, " \t\r\n") == strlen(req.reason))
        return cli_usage_error(cli, &cmd_admin_extend, "%s",
                               _("give the reason with --reason TEXT: every extension is "
                                 "recorded with why it was granted."));
    uint8_t uuid[OUTBOX_UUID_LEN];
    if (outbox_new_uuid(uuid) < 0) {
        out_error("%s", _("Cannot get random bytes for the request identifier."));
        return TN_EXIT_SOFTWARE;
    }
    req.request_uuid.data = uuid;
    req.request_uuid.len = sizeof uuid;

    ProtobufCMessage *resp = NULL;
    int rc = cli_call_retrying(cli, "DeadlineExtend", &req.base, &resp, EXTEND_ATTEMPTS);
    if (rc != TN_EXIT_OK)
        return rc;
    const Tamnong__DeadlineExtendReceipt *r = (const Tamnong__DeadlineExtendReceipt *)resp;
    if (cli->json) {
        bool bad = false;
        json_t *doc = json_object();
        if (doc) {
            out_jset(doc, "extension_id", json_integer(r->extension_id), &bad);
            out_jset(doc, "period", json_string(req.period_code), &bad);
            out_jset(doc, "agency", out_jstr_or_null(req.agency_code), &bad);
            out_jset(doc, "until", json_string(req.until), &bad);
            out_jset(doc, "deadline_at", out_jtime_or_null(r->deadline_at_ms), &bad);
            out_jset(doc, "became_on_time", json_integer(r->became_on_time), &bad);
            out_jset(doc, "replay", json_boolean(r->replay), &bad);
        }
        rc = out_json_answer(doc, bad);
    } else {
        if (*req.agency_code)
            /* TRANSLATORS: 1: agency code, 2: period code, 3: a day YYYY-MM-DD. */
            printf(_("The deadline of %s for period %s is now the end of %s.\n"), req.agency_code,
                   req.period_code, req.until);
        else
            printf(_("The deadline of every reporter for period %s is now the end of %s.\n"),
                   req.period_code, req.until);
        if (r->became_on_time > 0)
            printf(ngettext("%d report received late is now on time.\n",
                            "%d reports received late are now on time.\n", r->became_on_time),
                   r->became_on_time);
        printf(_("Extension number %lld, recorded with its reason.\n"), (long long)r->extension_id);
        rc = fflush(stdout) == 0 ? TN_EXIT_OK : TN_EXIT_SOFTWARE;
    }
    protobuf_c_message_free_unpacked(resp, NULL);
    return rc;
}

const struct command cmd_admin_extend = {
    "extend",
    N_("Give an agency, or every reporter, more time for a period"),
    extend_main,
    N_("Usage: tamnong admin extend PERIOD [--agency CODE] --until YYYY-MM-DD\n"
       "                             --reason TEXT [--json]\n"
       "\n"
       "Extend the deadline of PERIOD to the end of day YYYY-MM-DD (province time)\n"
       "for the agency CODE, or for every agency expected to report when --agency\n"
       "is not given. The reason is required and recorded with who granted the\n"
       "extension and when. An extension only gives more time: a day not after the\n"
       "period's deadline, or not after the deadline the agency already has, is\n"
       "refused. Reports already received late before the new deadline become on\n"
       "time. Sent at once (the server must be reachable); if the answer is lost it\n"
       "is sent again and the server grants the extension only once.\n"
       "\n"
       "Options:\n"
       "  --agency CODE        only this agency (default: every reporter)\n"
       "  --until YYYY-MM-DD   the new last day\n"
       "  --reason TEXT        why (required)\n"
       "  --json               print a JSON object: extension_id, period, agency,\n"
       "                       until, deadline_at, became_on_time, replay\n"),
};
