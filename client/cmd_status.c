/* cmd_status: `tamnong status`, from the local state only: the deadline
 * reminders due (reminder_store.h), what is waiting
 * to be sent, what the server acknowledged (receipts), what it refused and
 * why (a stale task update shown as a conflict), and the state of each
 * report as last pulled, with the reason when it was returned. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "draft.h"
#include "i18n.h"
#include "outbox.h"
#include "output.h"
#include "reminder_store.h"
#include "status.h"

static const char *col(sqlite3_stmt *st, int i)
{
    const char *v = (const char *)sqlite3_column_text(st, i);
    return v ? v : "";
}

static void what_label(const char *method, const char *ref, char *buf, size_t len)
{
    if (strcmp(method, "Submit") == 0)
        snprintf(buf, len, _("report %s"), ref);
    else if (strcmp(method, "TaskUpdate") == 0)
        snprintf(buf, len, _("task update %s"), ref);
    else if (strcmp(method, "Review") == 0)
        snprintf(buf, len, _("review of submission %s"), ref);
    else if (strcmp(method, "Attachment") == 0) {
        const char *sp = strchr(ref, ' ');
        snprintf(buf, len, _("file %s"), sp && sp[1] ? sp + 1 : ref);
    } else
        snprintf(buf, len, "%s %s", method, ref);
}

static void time_or_dash(int64_t ms, char *buf, size_t len)
{
    if (ms > 0)
        out_local_time(ms, buf, len);
    else
        snprintf(buf, len, "—");
}

/* Why an item was refused, for a person. */
static void refusal_text(int code, const char *method, const char *msg, char *buf, size_t len)
{
    if (code == OUTBOX_E_DEPENDENCY)
        snprintf(buf, len, _("not sent: it needs item %s, which the server refused"), msg);
    else if (code == TAMNONG__STATUS__FAILED_PRECONDITION && strcmp(method, "TaskUpdate") == 0)
        snprintf(buf, len,
                 _("CONFLICT: the task was changed by someone else since your last pull; run "
                   "'tamnong pull', look at 'tamnong tasks' and update again (%s)"),
                 msg);
    else
        snprintf(buf, len, "%s (%s)", msg, status_name(code));
}

static const char *submission_state_label(const char *s)
{
    if (strcmp(s, "submitted") == 0)
        return _("received, not reviewed yet");
    if (strcmp(s, "accepted") == 0)
        return _("accepted");
    if (strcmp(s, "returned") == 0)
        return _("RETURNED for correction");
    if (strcmp(s, "superseded") == 0)
        return _("replaced by a later revision");
    return s;
}

static int status_main(struct cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {CLI_OPTION_JSON, {0, 0, 0, 0}};
    int c;
    while ((c = cli_getopt(cli, &cmd_status, argc, argv, "", opts)) != -1)
        if (c == '?')
            return TN_EXIT_USAGE;
    if (optind < argc)
        return cli_usage_error(cli, &cmd_status, _("'%s %s' takes no arguments."), cli->prefix,
                               cmd_status.name);
    struct store *s;
    int rc = store_open_for_cli(cli->state_dir, &s);
    if (rc != TN_EXIT_OK)
        return rc;
    bool json = cli->json;
    char agency[128], t1[64], t2[64], label[512], why[2048];
    store_meta_get(s, "agency_code", agency, sizeof agency);
    int64_t last_sync = store_meta_int(s, "last_sync_ms", 0);
    int64_t last_pull = store_meta_int(s, "last_pull_ms", 0);
    json_t *root =
        json ? json_pack("{s:s, s:s, s:o, s:o}", "agency", agency, "state_dir", s->dir, "last_sync",
                         out_jtime_or_null(last_sync), "last_pull", out_jtime_or_null(last_pull))
             : NULL;
    if (!json) {
        struct out_table *t = out_table_new(2);
        time_or_dash(last_sync, t1, sizeof t1);
        time_or_dash(last_pull, t2, sizeof t2);
        out_table_addv(t, _("Agency:"), agency[0] ? agency : _("(not known until the first sync)"));
        out_table_addv(t, _("Local state:"), s->dir);
        out_table_addv(t, _("Last complete sync:"), t1);
        out_table_addv(t, _("Last pull:"), t2);
        out_table_print(t, stdout);
        out_table_free(t);
    }

    /* 0. reminders: a report due soon or late, not submitted */
    struct reminder_item *rem = NULL;
    size_t nrem = 0;
    if (reminder_store_load(s, store_server_now_ms(s), &rem, &nrem) < 0) {
        out_error(_("Cannot read the local state: %s"), store_errmsg(s));
        json_decref(root);
        store_close(s);
        return TN_EXIT_SOFTWARE;
    }
    if (json) {
        json_object_set_new(root, "reminders", reminder_store_json(rem, nrem));
    } else if (nrem > 0) {
        printf("\n%s\n", _("Reminders:"));
        for (size_t i = 0; i < nrem; i++) {
            char msg[1024];
            reminder_message(rem[i].period, &rem[i].r, msg, sizeof msg);
            printf("  %s: %s\n", reminder_level_name(rem[i].r.level), msg);
        }
    }
    free(rem);

    /* 1. waiting */
    sqlite3_stmt *st = store_prepare(s, "SELECT seq, method, ref, created_at_ms, attempts, "
                                        "last_error FROM outbox WHERE state = 'queued' ORDER BY "
                                        "seq");
    json_t *arr = json ? json_array() : NULL;
    struct out_table *t = json ? NULL : out_table_new(5);
    int n = 0;
    if (t)
        out_table_addv(t, "  #", _("WHAT"), _("SAVED"), _("TRIES"), _("LAST PROBLEM"));
    while (st && sqlite3_step(st) == SQLITE_ROW) {
        n++;
        what_label(col(st, 1), col(st, 2), label, sizeof label);
        if (arr) {
            json_array_append_new(
                arr, json_pack("{s:I, s:s, s:s, s:s, s:o, s:i, s:s}", "seq",
                               (json_int_t)sqlite3_column_int64(st, 0), "method", col(st, 1), "ref",
                               col(st, 2), "what", label, "saved_at",
                               out_jtime_or_null(sqlite3_column_int64(st, 3)), "attempts",
                               sqlite3_column_int(st, 4), "last_error", col(st, 5)));
        } else {
            char seq[32], tries[16];
            snprintf(seq, sizeof seq, "  %lld", (long long)sqlite3_column_int64(st, 0));
            snprintf(tries, sizeof tries, "%d", sqlite3_column_int(st, 4));
            time_or_dash(sqlite3_column_int64(st, 3), t1, sizeof t1);
            out_table_addv(t, seq, label, t1, tries, col(st, 5));
        }
    }
    sqlite3_finalize(st);
    if (json) {
        json_object_set_new(root, "waiting", arr);
    } else {
        printf("\n%s\n", n ? _("Waiting to be sent ('tamnong sync' sends them):")
                           : _("Nothing is waiting to be sent."));
        if (n)
            out_table_print(t, stdout);
        out_table_free(t);
    }

    /* 2. refused */
    st = store_prepare(s, "SELECT seq, method, ref, error_code, last_error, created_at_ms FROM "
                          "outbox WHERE state = 'failed' ORDER BY seq");
    arr = json ? json_array() : NULL;
    n = 0;
    while (st && sqlite3_step(st) == SQLITE_ROW) {
        if (n++ == 0 && !json)
            printf("\n%s\n", _("Refused by the server (correct and do it again; 'tamnong sync "
                               "--forget-refused' clears this list):"));
        int code = sqlite3_column_int(st, 3);
        what_label(col(st, 1), col(st, 2), label, sizeof label);
        refusal_text(code, col(st, 1), col(st, 4), why, sizeof why);
        bool conflict =
            code == TAMNONG__STATUS__FAILED_PRECONDITION && strcmp(col(st, 1), "TaskUpdate") == 0;
        if (arr)
            json_array_append_new(
                arr, json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:b}", "seq",
                               (json_int_t)sqlite3_column_int64(st, 0), "method", col(st, 1), "ref",
                               col(st, 2), "what", label, "status",
                               code == OUTBOX_E_DEPENDENCY ? "DEPENDENCY" : status_name(code),
                               "message", col(st, 4), "conflict", conflict));
        else
            printf("  %lld  %s: %s\n", (long long)sqlite3_column_int64(st, 0), label, why);
    }
    sqlite3_finalize(st);
    if (json)
        json_object_set_new(root, "refused", arr);

    /* 3. receipts (the last 50, newest first; file uploads are not shown) */
    st = store_prepare(s, "SELECT method, ref, replay, received_at_ms, submission_id, revision, "
                          "on_time, version, state, request_uuid FROM receipts WHERE method <> "
                          "'Attachment' ORDER BY recorded_at_ms DESC, seq DESC LIMIT 50");
    arr = json ? json_array() : NULL;
    t = json ? NULL : out_table_new(3);
    n = 0;
    while (st && sqlite3_step(st) == SQLITE_ROW) {
        n++;
        const char *method = col(st, 0);
        what_label(method, col(st, 1), label, sizeof label);
        int64_t received = sqlite3_column_int64(st, 3);
        char uuid[37] = "";
        if (sqlite3_column_bytes(st, 9) == OUTBOX_UUID_LEN)
            outbox_uuid_str(sqlite3_column_blob(st, 9), uuid);
        if (arr) {
            json_array_append_new(
                arr, json_pack(
                         "{s:s, s:s, s:s, s:s, s:b, s:o, s:I, s:i, s:b, s:I, s:s}", "method",
                         method, "ref", col(st, 1), "what", label, "request_uuid", uuid, "replay",
                         sqlite3_column_int(st, 2) != 0, "received_at", out_jtime_or_null(received),
                         "submission_id", (json_int_t)sqlite3_column_int64(st, 4), "revision",
                         sqlite3_column_int(st, 5), "on_time", sqlite3_column_int(st, 6) != 0,
                         "version", (json_int_t)sqlite3_column_int64(st, 7), "state", col(st, 8)));
        } else {
            char detail[512];
            time_or_dash(received, t1, sizeof t1);
            if (strcmp(method, "Submit") == 0)
                snprintf(detail, sizeof detail, _("submission %lld, revision %d, %s"),
                         (long long)sqlite3_column_int64(st, 4), sqlite3_column_int(st, 5),
                         sqlite3_column_int(st, 6) ? _("on time") : _("late"));
            else if (strcmp(method, "TaskUpdate") == 0)
                snprintf(detail, sizeof detail, _("version %lld"),
                         (long long)sqlite3_column_int64(st, 7));
            else
                snprintf(detail, sizeof detail, "%s", col(st, 8));
            char what[600];
            snprintf(what, sizeof what, "  %s", label);
            out_table_addv(t, what, t1, detail);
        }
    }
    sqlite3_finalize(st);
    if (json) {
        json_object_set_new(root, "receipts", arr);
    } else {
        printf("\n%s\n", n ? _("Acknowledged by the server (received at, server clock):")
                           : _("Nothing acknowledged by the server yet."));
        if (n)
            out_table_print(t, stdout);
        out_table_free(t);
    }

    /* 4. reports: the current revision of each period as last pulled or
     * acknowledged, and the local draft's state. */
    st = store_prepare(
        s, "SELECT p.period_code, coalesce(d.state, ''), coalesce(x.submission_id, 0), "
           "coalesce(x.revision, 0), coalesce(x.state, ''), coalesce(x.reason, ''), "
           "coalesce(x.received_at_ms, 0), coalesce(x.on_time, 0), coalesce(x.reviewed_at_ms, "
           "0) FROM (SELECT period_code FROM drafts UNION SELECT period_code FROM submissions) "
           "p LEFT JOIN drafts d ON d.period_code = p.period_code LEFT JOIN submissions x ON "
           "x.period_code = p.period_code AND x.current = 1 ORDER BY p.period_code");
    arr = json ? json_array() : NULL;
    n = 0;
    while (st && sqlite3_step(st) == SQLITE_ROW) {
        const char *period = col(st, 0), *draft = col(st, 1), *state = col(st, 4),
                   *reason = col(st, 5);
        int64_t sid = sqlite3_column_int64(st, 2);
        if (arr) {
            json_array_append_new(
                arr, json_pack("{s:s, s:s, s:I, s:i, s:s, s:s, s:o, s:b, s:o}", "period", period,
                               "draft_state", draft, "submission_id", (json_int_t)sid, "revision",
                               sqlite3_column_int(st, 3), "state", state, "reason", reason,
                               "received_at", out_jtime_or_null(sqlite3_column_int64(st, 6)),
                               "on_time", sqlite3_column_int(st, 7) != 0, "reviewed_at",
                               out_jtime_or_null(sqlite3_column_int64(st, 8))));
            continue;
        }
        if (n++ == 0)
            printf("\n%s\n", _("Reports:"));
        if (sid > 0) {
            printf(_("  %s: submission %lld, revision %d: %s\n"), period, (long long)sid,
                   sqlite3_column_int(st, 3), submission_state_label(state));
            if (strcmp(state, "returned") == 0 && *reason)
                printf(_("      reason: %s\n"), reason);
        } else {
            printf(_("  %s: not sent yet\n"), period);
        }
        if (strcmp(draft, "draft") == 0 && sid > 0)
            printf("%s\n", _("      the draft here was changed since: 'tamnong report submit' "
                             "sends a new revision"));
        else if (strcmp(draft, "queued") == 0)
            printf("%s\n", _("      a new revision is waiting to be sent"));
    }
    sqlite3_finalize(st);
    if (json) {
        json_object_set_new(root, "reports", arr);
        rc = out_json(root) == 0 ? TN_EXIT_OK : TN_EXIT_SOFTWARE;
        json_decref(root);
    } else {
        rc = fflush(stdout) == 0 ? TN_EXIT_OK : TN_EXIT_SOFTWARE;
    }
    store_close(s);
    return rc;
}

const struct command cmd_status = {
    "status",
    N_("Show what is waiting, acknowledged, refused or returned"),
    status_main,
    N_("Usage: tamnong status [--json]\n"
       "\n"
       "Show, from what is kept here (no network): the deadline reminders (a report\n"
       "due in 10 days or less, or late, and not submitted yet: at 10, 3 and 0 days\n"
       "before the deadline, by the server's clock as last seen), what is waiting to\n"
       "be sent, what the server acknowledged (submission number, revision, time\n"
       "received by the server's clock, on time or late), what it refused and why (a\n"
       "task changed by someone else since your last pull is a conflict: pull and\n"
       "update again), and the state of each report as last pulled, with the reason\n"
       "when the standing agency returned it for correction.\n"
       "\n"
       "Options:\n"
       "  --json   print {agency, state_dir, last_sync, last_pull, reminders, waiting,\n"
       "           refused, receipts, reports}; reminders: [{period, level (T-10, T-3,\n"
       "           T-0, late), deadline, days_left, extended, returned, draft (none,\n"
       "           draft, ready), message}]\n"),
};
