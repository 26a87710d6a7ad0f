/* cmd_review: the reviewer's commands, rows of the `tamnong
 * admin` group (cmd_admin.c): `admin submissions` lists the reports received
 * (or shows one with its content), online; `admin review ID --accept |
 * --return REASON` queues the decision in the outbox like every change
 * (`tamnong sync` sends it; the server answers a replay if it is sent
 * twice). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "i18n.h"
#include "outbox.h"
#include "output.h"
#include "report_rules.h"
#include "store.h"
#include "tamnong.pb-c.h"

enum { OPT_PERIOD = 0x300, OPT_STATE, OPT_AGENCY, OPT_ACCEPT, OPT_RETURN };

static json_t *summary_json(const Tamnong__SubmissionSummary *x)
{
    const Tamnong__SubmissionState *s = x->state;
    if (!s)
        return json_object();
    return json_pack(
        "{s:I, s:s, s:s, s:s, s:i, s:s, s:o, s:b, s:s, s:o, s:b, s:s}", "submission_id",
        (json_int_t)s->submission_id, "agency", x->agency ? x->agency->code : "", "agency_name",
        x->agency ? x->agency->name : "", "period", s->period_code, "revision", s->revision,
        "state", s->state, "received_at", out_jtime_or_null(s->received_at_ms), "on_time",
        s->on_time, "reason", s->reason, "reviewed_at", out_jtime_or_null(s->reviewed_at_ms),
        "current", s->current, "signer", s->signer);
}

static int show_one(struct cli *cli, struct rpc_client *client, int64_t id)
{
    Tamnong__SubmissionGetRequest req = TAMNONG__SUBMISSION_GET_REQUEST__INIT;
    req.submission_id = id;
    ProtobufCMessage *resp = NULL;
    struct rpc_status st;
    if (rpc_call(client, "SubmissionGet", &req.base, &resp, &st) < 0)
        return cli_rpc_error(cli, &st);
    const Tamnong__SubmissionGetResponse *r = (const Tamnong__SubmissionGetResponse *)resp;
    int rc;
    if (cli->json) {
        json_t *o = r->summary ? summary_json(r->summary) : json_object();
        json_t *vals = json_array(), *atts = json_array(), *tasks = json_array();
        for (size_t i = 0; i < r->n_values; i++)
            json_array_append_new(vals,
                                  json_pack("{s:s, s:s, s:s, s:s, s:s}", "key", r->values[i]->key,
                                            "value", r->values[i]->value, "numerator",
                                            r->values[i]->numerator, "denominator",
                                            r->values[i]->denominator, "note", r->values[i]->note));
        for (size_t i = 0; i < r->n_attachments; i++)
            json_array_append_new(atts,
                                  json_pack("{s:s, s:s, s:I, s:s}", "name", r->attachments[i]->name,
                                            "sha256", r->attachments[i]->sha256, "size",
                                            (json_int_t)r->attachments[i]->size, "content_type",
                                            r->attachments[i]->content_type));
        for (size_t i = 0; i < r->n_tasks; i++)
            json_array_append_new(tasks,
                                  json_pack("{s:s, s:s, s:i, s:s}", "task", r->tasks[i]->task_code,
                                            "status", r->tasks[i]->status, "progress",
                                            r->tasks[i]->progress, "note", r->tasks[i]->note));
        json_object_set_new(o, "values", vals);
        json_object_set_new(o, "attachments", atts);
        json_object_set_new(o, "tasks", tasks);
        json_object_set_new(o, "results", json_string(r->results));
        json_object_set_new(o, "difficulties", json_string(r->difficulties));
        json_object_set_new(o, "recommendations", json_string(r->recommendations));
        json_object_set_new(o, "proposals", json_string(r->proposals));
        rc = out_json(o) == 0 ? TN_EXIT_OK : TN_EXIT_SOFTWARE;
        json_decref(o);
    } else {
        const Tamnong__SubmissionState *s = r->summary ? r->summary->state : NULL;
        const Tamnong__AgencyRef *a = r->summary ? r->summary->agency : NULL;
        char when[64] = "—";
        if (s && s->received_at_ms > 0)
            out_local_time(s->received_at_ms, when, sizeof when);
        printf(_("Submission %lld: %s, period %s, revision %d, %s\n"), (long long)id,
               a ? a->code : "", s ? s->period_code : "", s ? s->revision : 0, s ? s->state : "");
        printf(_("Received %s, %s\n"), when, s && s->on_time ? _("on time") : _("late"));
        if (s && *s->reason)
            printf(_("Returned because: %s\n"), s->reason);
        if (s && *s->signer)
            printf(_("Signed by: %s\n"), s->signer);
        else
            printf("%s\n", _("Not signed."));
        printf("\n%s\n", _("Indicators:"));
        for (size_t i = 0; i < r->n_values; i++) {
            const Tamnong__IndicatorValue *v = r->values[i];
            if (*v->numerator || *v->denominator)
                printf("  %s  %s / %s  %s\n", v->key, v->numerator, v->denominator, v->note);
            else
                printf("  %s  %s  %s\n", v->key, *v->value ? v->value : _("(no data)"), v->note);
        }
        const char *titles[] = {_("Results:"), _("Difficulties:"), _("Recommendations:"),
                                _("Proposals to amend the plan:")};
        const char *texts[] = {r->results, r->difficulties, r->recommendations, r->proposals};
        for (int i = 0; i < 4; i++)
            printf("\n%s\n%s\n", titles[i], *texts[i] ? texts[i] : _("(empty)"));
        printf("\n%s\n", _("Attachments:"));
        for (size_t i = 0; i < r->n_attachments; i++)
            printf(_("  %s (%lld bytes, SHA-256 %.12s…)\n"), r->attachments[i]->name,
                   (long long)r->attachments[i]->size, r->attachments[i]->sha256);
        printf("\n%s\n", _("Task progress in this report:"));
        for (size_t i = 0; i < r->n_tasks; i++)
            printf("  %s  %s  %d%%  %s\n", r->tasks[i]->task_code, r->tasks[i]->status,
                   r->tasks[i]->progress, r->tasks[i]->note);
        rc = fflush(stdout) == 0 ? TN_EXIT_OK : TN_EXIT_SOFTWARE;
    }
    protobuf_c_message_free_unpacked(resp, NULL);
    return rc;
}

static int submissions_main(struct cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {CLI_OPTION_JSON,
                                         {"period", required_argument, NULL, OPT_PERIOD},
                                         {"state", required_argument, NULL, OPT_STATE},
                                         {"agency", required_argument, NULL, OPT_AGENCY},
                                         {0, 0, 0, 0}};
    Tamnong__SubmissionsRequest req = TAMNONG__SUBMISSIONS_REQUEST__INIT;
    int c;
    while ((c = cli_getopt(cli, &cmd_admin_submissions, argc, argv, "", opts)) != -1) {
        switch (c) {
        case '?':
            return TN_EXIT_USAGE;
        case OPT_PERIOD:
            req.period_code = optarg;
            break;
        case OPT_STATE:
            if (!rr_submission_state_ok(optarg))
                return cli_usage_error(
                    cli, &cmd_admin_submissions, "%s",
                    _("--state must be submitted, accepted, returned or superseded."));
            req.state = optarg;
            break;
        case OPT_AGENCY:
            req.agency_code = optarg;
            break;
        }
    }
    int64_t id = 0;
    if (optind < argc) {
        char *end;
        id = strtoll(argv[optind], &end, 10);
        if (*end || id <= 0)
            return cli_usage_error(cli, &cmd_admin_submissions,
                                   _("'%s' is not a submission number."), argv[optind]);
        optind++;
    }
    if (optind < argc)
        return cli_usage_error(cli, &cmd_admin_submissions, _("unexpected argument '%s'."),
                               argv[optind]);
    struct rpc_client *client;
    int rc = cli_connect(cli, &client);
    if (rc != TN_EXIT_OK)
        return rc;
    if (id > 0) {
        rc = show_one(cli, client, id);
        rpc_close(client);
        return rc;
    }
    ProtobufCMessage *resp = NULL;
    struct rpc_status st;
    if (rpc_call(client, "Submissions", &req.base, &resp, &st) < 0) {
        rc = cli_rpc_error(cli, &st);
        rpc_close(client);
        return rc;
    }
    const Tamnong__SubmissionsResponse *r = (const Tamnong__SubmissionsResponse *)resp;
    if (cli->json) {
        json_t *arr = json_array();
        for (size_t i = 0; i < r->n_submissions; i++)
            json_array_append_new(arr, summary_json(r->submissions[i]));
        rc = out_json(arr) == 0 ? TN_EXIT_OK : TN_EXIT_SOFTWARE;
        json_decref(arr);
    } else if (r->n_submissions == 0) {
        printf("%s\n", _("No submissions."));
        rc = TN_EXIT_OK;
    } else {
        struct out_table *t = out_table_new(7);
        out_table_align_right(t, 0);
        out_table_addv(t, _("ID"), _("AGENCY"), _("PERIOD"), _("REV"), _("STATE"), _("RECEIVED"),
                       _("ON TIME"));
        for (size_t i = 0; i < r->n_submissions; i++) {
            const Tamnong__SubmissionSummary *x = r->submissions[i];
            if (!x->state)
                continue;
            char id_s[32], rev[16], when[64] = "—";
            snprintf(id_s, sizeof id_s, "%lld", (long long)x->state->submission_id);
            snprintf(rev, sizeof rev, "%d", x->state->revision);
            if (x->state->received_at_ms > 0)
                out_local_time(x->state->received_at_ms, when, sizeof when);
            out_table_addv(t, id_s, x->agency ? x->agency->code : "", x->state->period_code, rev,
                           x->state->state, when, x->state->on_time ? _("yes") : _("no"));
        }
        out_table_print(t, stdout);
        out_table_free(t);
        rc = fflush(stdout) == 0 ? TN_EXIT_OK : TN_EXIT_SOFTWARE;
    }
    protobuf_c_message_free_unpacked(resp, NULL);
    rpc_close(client);
    return rc;
}

const struct command cmd_admin_submissions = {
    "submissions",
    N_("List the reports received, or show one"),
    submissions_main,
    N_("Usage: tamnong admin submissions [--period PERIOD] [--state STATE] [--agency CODE]\n"
       "                                 [--json]\n"
       "       tamnong admin submissions ID [--json]\n"
       "\n"
       "List the reports the server received (all agencies for a reviewer, viewer\n"
       "or operator; your own agency's without a log-in),\n"
       "or show report ID with its values, texts, attachments and task progress.\n"
       "STATE: submitted, accepted, returned, superseded.\n"),
};

static int review_main(struct cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {CLI_OPTION_JSON,
                                         {"accept", no_argument, NULL, OPT_ACCEPT},
                                         {"return", required_argument, NULL, OPT_RETURN},
                                         {0, 0, 0, 0}};
    const char *decision = NULL, *reason = "";
    int c;
    while ((c = cli_getopt(cli, &cmd_admin_review, argc, argv, "", opts)) != -1) {
        switch (c) {
        case '?':
            return TN_EXIT_USAGE;
        case OPT_ACCEPT:
            decision = "accept";
            break;
        case OPT_RETURN:
            if (decision && strcmp(decision, "accept") == 0)
                decision = "both";
            else
                decision = "return";
            reason = optarg;
            break;
        }
    }
    if (!decision || strcmp(decision, "both") == 0)
        return cli_usage_error(cli, &cmd_admin_review, "%s",
                               _("give exactly one of --accept or --return REASON."));
    if (optind >= argc)
        return cli_usage_error(cli, &cmd_admin_review, "%s", _("name the submission: review ID."));
    char *end;
    long long id = strtoll(argv[optind], &end, 10);
    if (*end || id <= 0)
        return cli_usage_error(cli, &cmd_admin_review, _("'%s' is not a submission number."),
                               argv[optind]);
    if (++optind < argc)
        return cli_usage_error(cli, &cmd_admin_review, _("unexpected argument '%s'."),
                               argv[optind]);
    uint8_t uuid[OUTBOX_UUID_LEN];
    if (outbox_new_uuid(uuid) < 0) {
        out_error("%s", _("Cannot get random bytes for the request identifier."));
        return TN_EXIT_SOFTWARE;
    }
    Tamnong__ReviewRequest req = TAMNONG__REVIEW_REQUEST__INIT;
    req.request_uuid.data = uuid;
    req.request_uuid.len = sizeof uuid;
    req.submission_id = id;
    req.decision = (char *)decision;
    req.reason = (char *)reason;
    struct rr_problems p;
    rr_problems_init(&p);
    if (rr_check_review(&req, &p) > 0) {
        for (size_t i = 0; i < p.n; i++)
            printf("%s\n", p.lines[i]);
        rr_problems_free(&p);
        out_error("%s", _("The review was not queued: correct it and try again."));
        return TN_EXIT_DATA;
    }
    rr_problems_free(&p);
    struct store *s;
    int rc = store_open_for_cli(cli->state_dir, &s);
    if (rc != TN_EXIT_OK)
        return rc;
    char ref[32];
    snprintf(ref, sizeof ref, "%lld", id);
    if (store_begin(s) < 0 || outbox_add(s, 0, "Review", ref, uuid, &req.base, NULL) < 0 ||
        store_commit(s) < 0) {
        store_rollback(s);
        out_error(_("Cannot update the local state: %s"), store_errmsg(s));
        store_close(s);
        return TN_EXIT_SOFTWARE;
    }
    if (!cli->json) {
        if (strcmp(decision, "accept") == 0)
            printf(_("Submission %lld will be accepted when 'tamnong sync' sends it.\n"), id);
        else
            printf(_("Submission %lld will be returned for correction when 'tamnong sync' "
                     "sends it.\n"),
                   id);
    }
    rc = outbox_say_saved(
        s, cli->json,
        json_pack("{s:I, s:s}", "submission_id", (json_int_t)id, "decision", decision));
    store_close(s);
    return rc;
}

const struct command cmd_admin_review = {
    "review",
    N_("Accept a report, or return it for correction"),
    review_main,
    N_("Usage: tamnong admin review ID (--accept | --return REASON) [--json]\n"
       "\n"
       "Accept report ID, or return it to its agency for correction with REASON\n"
       "(the agency sees it at its next sync). The decision is saved here and sent\n"
       "by 'tamnong sync'.\n"),
};
