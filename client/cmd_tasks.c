/* cmd_tasks: `tamnong tasks` lists this agency's tasks as last pulled, with
 * the deadline state computed here (in time, due soon, overdue), and
 * `tamnong task update CODE ...` queues a status update (evidence files are
 * copied into the local store and uploaded first). Offline: nothing here
 * touches the network; `tamnong sync` sends. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "draft.h"
#include "i18n.h"
#include "outbox.h"
#include "output.h"
#include "report_rules.h"
#include "utf8.h"

enum { OPT_STATUS = 0x300, OPT_PROGRESS, OPT_NOTE, OPT_EVIDENCE, OPT_CLEAR_EVIDENCE };

static const char *col(sqlite3_stmt *st, int i)
{
    const char *v = (const char *)sqlite3_column_text(st, i);
    return v ? v : "";
}

/* --------------------------------------------------------------- tasks */

static int tasks_main(struct cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {CLI_OPTION_JSON, {0, 0, 0, 0}};
    int c;
    while ((c = cli_getopt(cli, &cmd_tasks, argc, argv, "", opts)) != -1)
        if (c == '?')
            return TN_EXIT_USAGE;
    if (optind < argc)
        return cli_usage_error(cli, &cmd_tasks, _("'%s %s' takes no arguments."), cli->prefix,
                               cmd_tasks.name);
    struct store *s;
    int rc = store_open_for_cli(cli->state_dir, &s);
    if (rc != TN_EXIT_OK)
        return rc;
    sqlite3_stmt *st =
        store_prepare(s, "SELECT code, title, section, role, lead, coordinating, deadline_kind, "
                         "deadline_value, expected_output FROM tasks ORDER BY section, code");
    if (!st) {
        out_error(_("Cannot read the local state: %s"), store_errmsg(s));
        store_close(s);
        return TN_EXIT_SOFTWARE;
    }
    char today[11];
    store_today(s, today);
    json_t *arr = cli->json ? json_array() : NULL;
    struct out_table *t = cli->json ? NULL : out_table_new(6);
    if (t)
        out_table_addv(t, _("TASK"), _("ROLE"), _("STATUS"), _("DONE"), _("DEADLINE"), _("TITLE"));
    int n = 0, pending = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *code = col(st, 0);
        struct task_state ts;
        if (task_state_load(s, code, &ts) < 0)
            continue;
        const char *dstate = task_deadline_state(s, col(st, 6), col(st, 7), ts.status, today);
        n++;
        if (ts.pending_seq)
            pending++;
        if (arr) {
            json_t *ev = json_array();
            for (size_t i = 0; i < ts.n_evidence; i++)
                json_array_append_new(ev, json_string(ts.evidence[i]));
            json_array_append_new(
                arr, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:s, "
                               "s:o, s:I, s:b}",
                               "code", code, "title", col(st, 1), "section", col(st, 2), "role",
                               col(st, 3), "lead", col(st, 4), "coordinating", col(st, 5),
                               "deadline_kind", col(st, 6), "deadline_value", col(st, 7),
                               "deadline_state", dstate, "status", ts.status, "progress",
                               ts.progress, "note", ts.note, "evidence", ev, "version",
                               (json_int_t)ts.version, "waiting_to_send", ts.pending_seq != 0));
        } else {
            char status[128], pct[16], deadline[128];
            snprintf(status, sizeof status, "%s%s", task_status_label(ts.status),
                     ts.pending_seq ? " *" : "");
            snprintf(pct, sizeof pct, "%d%%", ts.progress);
            const char *kind = col(st, 6);
            if (strcmp(kind, "date") == 0)
                snprintf(deadline, sizeof deadline, "%s, %s", col(st, 7),
                         deadline_state_label(dstate));
            else if (strcmp(kind, "by_year") == 0)
                snprintf(deadline, sizeof deadline, _("by %s, %s"), col(st, 7),
                         deadline_state_label(dstate));
            else if (strcmp(kind, "every_period") == 0)
                snprintf(deadline, sizeof deadline, _("every period, %s"),
                         deadline_state_label(dstate));
            else
                snprintf(deadline, sizeof deadline, "%s", _("continuous"));
            const char *role = strcmp(col(st, 3), "lead") == 0           ? _("lead")
                               : strcmp(col(st, 3), "coordinating") == 0 ? _("coordinating")
                                                                         : col(st, 3);
            char title[160];
            snprintf(title, sizeof title, "%s", col(st, 1));
            if (strlen(col(st, 1)) >= sizeof title) {
                /* cut on a character boundary */
                size_t k = utf8_valid_prefix((const unsigned char *)title, sizeof title - 4);
                snprintf(title + k, sizeof title - k, "…");
            }
            out_table_addv(t, code, role, status, pct, deadline, title);
        }
        task_state_free(&ts);
    }
    sqlite3_finalize(st);
    if (arr) {
        rc = out_json(arr) == 0 ? TN_EXIT_OK : TN_EXIT_SOFTWARE;
        json_decref(arr);
    } else {
        if (n == 0) {
            printf("%s\n", _("No tasks here yet: run 'tamnong pull' while the server can be "
                             "reached."));
        } else {
            out_table_print(t, stdout);
            if (pending)
                printf("%s\n", _("* changed here, waiting to be sent ('tamnong sync')"));
        }
        out_table_free(t);
        rc = fflush(stdout) == 0 ? TN_EXIT_OK : TN_EXIT_SOFTWARE;
    }
    store_close(s);
    return rc;
}

const struct command cmd_tasks = {
    "tasks",
    N_("List this agency's tasks, their status and deadlines"),
    tasks_main,
    N_("Usage: tamnong tasks [--json]\n"
       "\n"
       "List the tasks of the plan this agency leads or coordinates, as last pulled\n"
       "('tamnong pull'), with their status, progress and deadline state: in time,\n"
       "due soon (within 30 days; for tasks due every period, the period deadline\n"
       "within 10 days), overdue (a date or year-end deadline passed and not\n"
       "completed). Updates made here and not yet sent are marked with *.\n"
       "\n"
       "Options:\n"
       "  --json   print a JSON array: code, title, section, role, lead, coordinating,\n"
       "           deadline_kind, deadline_value, deadline_state, status, progress,\n"
       "           note, evidence, version, waiting_to_send\n"),
};

/* --------------------------------------------------------- task update */

static const struct command task_update_cmd;

static bool is_url(const char *s)
{
    return strncmp(s, "https://", 8) == 0 || strncmp(s, "http://", 7) == 0;
}

static bool has(char *const *list, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], s) == 0)
            return true;
    return false;
}

static int update_main(struct cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {CLI_OPTION_JSON,
                                         {"status", required_argument, NULL, OPT_STATUS},
                                         {"progress", required_argument, NULL, OPT_PROGRESS},
                                         {"note", required_argument, NULL, OPT_NOTE},
                                         {"evidence", required_argument, NULL, OPT_EVIDENCE},
                                         {"clear-evidence", no_argument, NULL, OPT_CLEAR_EVIDENCE},
                                         {0, 0, 0, 0}};
    const char *status = NULL, *note = NULL, *progress_in = NULL;
    const char *evidence_in[RR_MAX_EVIDENCE + 1];
    size_t n_in = 0;
    bool clear = false;
    int c;
    while ((c = cli_getopt(cli, &task_update_cmd, argc, argv, "", opts)) != -1) {
        switch (c) {
        case '?':
            return TN_EXIT_USAGE;
        case OPT_STATUS:
            status = optarg;
            break;
        case OPT_PROGRESS:
            progress_in = optarg;
            break;
        case OPT_NOTE:
            note = optarg;
            break;
        case OPT_EVIDENCE:
            if (n_in >= RR_MAX_EVIDENCE)
                return cli_usage_error(cli, &task_update_cmd, _("at most %d pieces of evidence."),
                                       RR_MAX_EVIDENCE);
            evidence_in[n_in++] = optarg;
            break;
        case OPT_CLEAR_EVIDENCE:
            clear = true;
            break;
        }
    }
    if (optind >= argc)
        return cli_usage_error(cli, &task_update_cmd, "%s", _("name the task: update CODE."));
    const char *code = argv[optind++];
    if (optind < argc)
        return cli_usage_error(cli, &task_update_cmd, _("unexpected argument '%s'."), argv[optind]);
    if (!rr_code_ok(code))
        return cli_usage_error(cli, &task_update_cmd, _("'%s' is not a task code."), code);
    if (!status || !rr_task_status_ok(status))
        return cli_usage_error(
            cli, &task_update_cmd, "%s",
            _("--status must be one of not_started, in_progress, completed, postponed."));
    long progress = -1;
    if (progress_in) {
        char *end;
        progress = strtol(progress_in, &end, 10);
        if (*end || end == progress_in || progress < 0 || progress > 100)
            return cli_usage_error(cli, &task_update_cmd, "%s",
                                   _("--progress must be a whole number from 0 to 100."));
    }
    if (note && !rr_text_ok(note, RR_MAX_NOTE))
        return cli_usage_error(cli, &task_update_cmd,
                               _("the note must be valid UTF-8 of at most %d bytes."), RR_MAX_NOTE);

    struct store *s;
    int rc = store_open_for_cli(cli->state_dir, &s);
    if (rc != TN_EXIT_OK)
        return rc;
    struct task_state ts;
    if (task_state_load(s, code, &ts) < 0) {
        out_error(_("Cannot read the local state: %s"), store_errmsg(s));
        store_close(s);
        return TN_EXIT_SOFTWARE;
    }
    Tamnong__TaskUpdateRequest req = TAMNONG__TASK_UPDATE_REQUEST__INIT;
    uint8_t uuid[OUTBOX_UUID_LEN];
    char *evidence[2 * RR_MAX_EVIDENCE + 1];
    size_t n_ev = 0;
    char file_sha[RR_MAX_EVIDENCE][65];
    int64_t file_size[RR_MAX_EVIDENCE];
    const char *file_name[RR_MAX_EVIDENCE];
    size_t n_files = 0;
    struct rr_problems p;
    rr_problems_init(&p);

    sqlite3_stmt *cnt = store_prepare(s, "SELECT count(*) FROM tasks");
    int n_tasks = cnt && sqlite3_step(cnt) == SQLITE_ROW ? sqlite3_column_int(cnt, 0) : 0;
    sqlite3_finalize(cnt);
    if (!ts.known && n_tasks > 0) {
        out_error(_("%s is not a task of this agency. 'tamnong tasks' lists them."), code);
        rc = TN_EXIT_DATA;
        goto out;
    }
    if (!ts.known)
        out_warn(_("the tasks have not been pulled yet: the update of %s is based on no "
                   "earlier version, and the server refuses it if someone reported on this "
                   "task already."),
                 code);
    if (ts.pending_seq && ts.pending_attempts > 0) {
        out_error(_("An earlier update of %s may already have reached the server. Run "
                    "'tamnong sync' first, then update it again."),
                  code);
        rc = TN_EXIT_TEMPFAIL;
        goto out;
    }
    if (!clear)
        for (size_t i = 0; i < ts.n_evidence; i++)
            evidence[n_ev++] = ts.evidence[i];
    for (size_t i = 0; i < n_in; i++) {
        const char *e = evidence_in[i];
        char *item;
        if (is_url(e)) {
            item = strdup(e);
        } else {
            char err[1024];
            if (store_add_file(s, e, RR_MAX_ATTACHMENT, file_sha[n_files], &file_size[n_files], err,
                               sizeof err) < 0) {
                out_error("%s", err);
                rc = TN_EXIT_DATA;
                goto out;
            }
            const char *slash = strrchr(e, '/');
            file_name[n_files] = slash ? slash + 1 : e;
            if (asprintf(&item, "sha256:%s", file_sha[n_files]) < 0)
                item = NULL;
            n_files++;
        }
        if (!item) {
            out_error("%s", _("Out of memory."));
            rc = TN_EXIT_SOFTWARE;
            goto out;
        }
        if (has(evidence, n_ev, item)) {
            free(item);
            continue;
        }
        /* Marked as ours to free: stored after the pulled ones. */
        evidence[n_ev++] = item;
    }
    /* Upload every file the evidence names that is kept here, new or not:
     * the server accepts a reference only to a file this agency uploaded,
     * and an upload the server already has costs one AttachmentStatus. */
    const char *up_sha[2 * RR_MAX_EVIDENCE + 1], *up_name[2 * RR_MAX_EVIDENCE + 1];
    int64_t up_size[2 * RR_MAX_EVIDENCE + 1];
    size_t n_up = 0;
    for (size_t i = 0; i < n_ev; i++) {
        const char *sha = evidence[i] + 7;
        if (strncmp(evidence[i], "sha256:", 7) != 0 || !rr_sha256_hex_ok(sha))
            continue;
        char path[4200];
        struct stat sb;
        store_file_path(s, sha, path, sizeof path);
        if (stat(path, &sb) != 0)
            continue; /* uploaded from elsewhere earlier: the server has it */
        up_sha[n_up] = sha;
        up_size[n_up] = (int64_t)sb.st_size;
        up_name[n_up] = "";
        for (size_t k = 0; k < n_files; k++)
            if (strcmp(file_sha[k], sha) == 0)
                up_name[n_up] = file_name[k];
        n_up++;
    }
    if (outbox_new_uuid(uuid) < 0) {
        out_error("%s", _("Cannot get random bytes for the request identifier."));
        rc = TN_EXIT_SOFTWARE;
        goto out;
    }
    req.request_uuid.data = uuid;
    req.request_uuid.len = sizeof uuid;
    req.task_code = (char *)code;
    req.status = (char *)status;
    if (progress >= 0)
        req.progress = (int32_t)progress;
    else if (strcmp(status, "completed") == 0)
        req.progress = 100;
    else if (strcmp(status, "not_started") == 0)
        req.progress = 0;
    else
        req.progress = ts.progress;
    req.note = note ? (char *)note : ts.note;
    req.evidence = evidence;
    req.n_evidence = n_ev;
    req.base_version = ts.version;
    if (rr_check_task_update(&req, &p) > 0) {
        for (size_t i = 0; i < p.n; i++)
            printf("%s: %s\n", code, p.lines[i]);
        out_error("%s", _("The update was not queued: correct it and try again."));
        rc = TN_EXIT_DATA;
        goto out;
    }
    int64_t seq;
    int q = task_queue_update(s, &req, up_sha, up_size, up_name, n_up, &seq);
    if (q == -2) {
        out_error(_("An earlier update of %s may already have reached the server. Run "
                    "'tamnong sync' first, then update it again."),
                  code);
        rc = TN_EXIT_TEMPFAIL;
        goto out;
    }
    if (q < 0) {
        out_error(_("Cannot update the local state: %s"), store_errmsg(s));
        rc = TN_EXIT_SOFTWARE;
        goto out;
    }
    if (!cli->json) {
        if (ts.pending_seq)
            printf(_("The update of %s replaces the one waiting to be sent.\n"), code);
        printf(_("Task %s: %s, %d%%.\n"), code, task_status_label(status), req.progress);
    }
    rc = outbox_say_saved(s, cli->json,
                          json_pack("{s:s, s:s, s:i, s:I, s:I}", "task", code, "status", status,
                                    "progress", req.progress, "base_version",
                                    (json_int_t)req.base_version, "seq", (json_int_t)seq));
out:
    for (size_t i = clear ? 0 : ts.n_evidence; i < n_ev; i++)
        free(evidence[i]);
    rr_problems_free(&p);
    task_state_free(&ts);
    store_close(s);
    return rc;
}

static const struct command task_update_cmd = {
    "update",
    N_("Queue a status update of a task"),
    update_main,
    N_("Usage: tamnong task update CODE --status STATUS [--progress N] [--note TEXT]\n"
       "                              [--evidence URL-OR-FILE]... [--clear-evidence]\n"),
};

static const struct command *const task_commands[] = {&task_update_cmd, NULL};

static int task_main(struct cli *cli, int argc, char **argv)
{
    return cli_run_group(cli, &cmd_task, task_commands, argc, argv);
}

const struct command cmd_task = {
    "task",
    N_("Update the status of a task (works offline)"),
    task_main,
    N_("Usage: tamnong task update CODE --status STATUS [--progress N] [--note TEXT]\n"
       "                              [--evidence URL-OR-FILE]... [--clear-evidence]\n"
       "\n"
       "Queue an update of this agency's status of task CODE; 'tamnong sync' sends\n"
       "it. It is based on the version of the task last pulled: if someone else\n"
       "reported on the task since, the server refuses it as a conflict (shown by\n"
       "'tamnong status'); pull, look, and update again. Nothing is merged.\n"
       "\n"
       "Options:\n"
       "  --status STATUS     not_started, in_progress, completed or postponed\n"
       "  --progress N        0 to 100 (completed: 100 unless given)\n"
       "  --note TEXT         a note; without it the current note is kept\n"
       "  --evidence X        a URL, or a file: it is copied here and uploaded before\n"
       "                      the update (repeatable; added to the current evidence)\n"
       "  --clear-evidence    drop the current evidence first\n"
       "  --json              print {saved, waiting, task, status, progress,\n"
       "                      base_version, seq}\n"),
};
