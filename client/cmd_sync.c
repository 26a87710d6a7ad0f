/* cmd_sync: `tamnong sync` sends everything waiting in the outbox, in order,
 * then pulls what changed; `tamnong pull` only pulls. Both hold the run lock
 * (a second concurrent run exits 75) and use the sync engine (sync.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "i18n.h"
#include "outbox.h"
#include "output.h"
#include "sync.h"

enum { OPT_MAX_TIME = 0x300, OPT_MAX_ATTEMPTS, OPT_NO_PULL, OPT_FORGET_REFUSED };

static int parse_seconds(const char *s, long *ms)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || !isfinite(v) || v < 0 || v > 86400)
        return -1;
    *ms = (long)(v * 1000.0);
    return 0;
}

static int run(struct cli *cli, const struct command *cmd, struct sync_options *o,
               bool forget_refused)
{
    struct store *s;
    int rc = store_open_for_cli(cli->state_dir, &s);
    if (rc != TN_EXIT_OK)
        return rc;
    int fd = -1;
    int l = sync_lock(s, &fd);
    if (l == 1) {
        out_error("%s", _("another sync is running: try again when it has finished."));
        store_close(s);
        return TN_EXIT_TEMPFAIL;
    }
    if (l < 0) {
        out_error(_("Cannot take the lock in %s: %m"), s->dir);
        store_close(s);
        return TN_EXIT_SOFTWARE;
    }
    if (forget_refused) {
        int n = outbox_forget_failed(s);
        if (n > 0 && !cli->json)
            printf(ngettext("Forgot %d refused item.\n", "Forgot %d refused items.\n",
                            (unsigned long)n),
                   n);
    }
    o->config_path = cli->config_path;
    o->json = cli->json;
    struct sync_result r;
    rc = sync_run(s, o, &r);
    if (cli->json) {
        json_t *j =
            json_pack("{s:i, s:i, s:i, s:i, s:i, s:o, s:o, s:o, s:i}", "sent", r.sent, "replayed",
                      r.replayed, "refused", r.refused, "waiting", r.waiting, "failed", r.failed,
                      "items", r.items ? r.items : json_array(), "pull", sync_pull_json(&r.pull),
                      "stopped", r.stopped[0] ? json_string(r.stopped) : json_null(), "exit", rc);
        r.items = NULL;
        if (!j || out_json(j) < 0)
            rc = rc ? rc : TN_EXIT_SOFTWARE;
        json_decref(j);
    } else {
        if (o->send) {
            if (r.sent || r.refused || r.waiting)
                printf(_("Sent %d (of which %d already received earlier), refused %d, "
                         "waiting %d.\n"),
                       r.sent, r.replayed, r.refused, r.waiting);
            else
                printf("%s\n", _("Nothing was waiting to be sent."));
        }
        sync_print_pull(&r.pull);
        if (r.stopped[0])
            out_error("%s", r.stopped);
        if (rc == TN_EXIT_TEMPFAIL && r.waiting > 0)
            out_error(ngettext("%d item is still waiting: it is kept here; run 'tamnong sync' "
                               "again later.",
                               "%d items are still waiting: they are kept here; run 'tamnong "
                               "sync' again later.",
                               (unsigned long)r.waiting),
                      r.waiting);
        if (r.failed > 0)
            out_error(ngettext("%d item was refused by the server: 'tamnong status' says why.",
                               "%d items were refused by the server: 'tamnong status' says why.",
                               (unsigned long)r.failed),
                      r.failed);
        fflush(stdout);
    }
    json_decref(r.items);
    sync_unlock(fd);
    store_close(s);
    (void)cmd;
    return rc;
}

static int sync_main(struct cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        CLI_OPTION_JSON,
        {"max-time", required_argument, NULL, OPT_MAX_TIME},
        {"max-attempts", required_argument, NULL, OPT_MAX_ATTEMPTS},
        {"no-pull", no_argument, NULL, OPT_NO_PULL},
        {"forget-refused", no_argument, NULL, OPT_FORGET_REFUSED},
        {0, 0, 0, 0}};
    struct sync_options o;
    sync_options_default(&o);
    bool forget = false;
    int c;
    while ((c = cli_getopt(cli, &cmd_sync, argc, argv, "", opts)) != -1) {
        switch (c) {
        case '?':
            return TN_EXIT_USAGE;
        case OPT_MAX_TIME:
            if (parse_seconds(optarg, &o.max_time_ms) < 0)
                return cli_usage_error(cli, &cmd_sync, "%s",
                                       _("--max-time takes a number of seconds."));
            break;
        case OPT_MAX_ATTEMPTS: {
            char *end;
            long n = strtol(optarg, &end, 10);
            if (*end || end == optarg || n < 1 || n > 100)
                return cli_usage_error(cli, &cmd_sync, "%s",
                                       _("--max-attempts takes a number from 1 to 100."));
            o.max_attempts = (int)n;
            break;
        }
        case OPT_NO_PULL:
            o.pull = false;
            break;
        case OPT_FORGET_REFUSED:
            forget = true;
            break;
        }
    }
    if (optind < argc)
        return cli_usage_error(cli, &cmd_sync, _("'%s %s' takes no arguments."), cli->prefix,
                               cmd_sync.name);
    return run(cli, &cmd_sync, &o, forget);
}

const struct command cmd_sync = {
    "sync",
    N_("Send what is waiting, then pull what changed"),
    sync_main,
    N_("Usage: tamnong sync [--json] [--max-time SECONDS] [--max-attempts N] [--no-pull]\n"
       "                    [--forget-refused]\n"
       "\n"
       "Send the reports, task updates and files waiting here to the province server,\n"
       "in the order they were made (files first, then what uses them), then pull\n"
       "what changed (as 'tamnong pull'). Sending the same item again is safe: the\n"
       "server recognises it and does not count it twice. When the server cannot be\n"
       "reached or is busy, tries again with growing pauses, then stops; everything\n"
       "not sent stays here for the next run. Only one sync runs at a time.\n"
       "\n"
       "Options:\n"
       "  --max-time SECONDS  give up retrying after this long (default 120)\n"
       "  --max-attempts N    attempts per request (default 5)\n"
       "  --no-pull           only send\n"
       "  --forget-refused    first drop the items the server refused (after reading\n"
       "                      why in 'tamnong status')\n"
       "  --json              print {sent, replayed, refused, waiting, failed, items,\n"
       "                      pull, stopped, exit}\n"
       "\n"
       "Exit status: 0 everything sent; 75 something is still waiting (try later);\n"
       "65 the server refused some items ('tamnong status' says why).\n"),
};

static int pull_main(struct cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        CLI_OPTION_JSON, {"max-time", required_argument, NULL, OPT_MAX_TIME}, {0, 0, 0, 0}};
    struct sync_options o;
    sync_options_default(&o);
    o.send = false;
    int c;
    while ((c = cli_getopt(cli, &cmd_pull, argc, argv, "", opts)) != -1) {
        if (c == '?')
            return TN_EXIT_USAGE;
        if (c == OPT_MAX_TIME && parse_seconds(optarg, &o.max_time_ms) < 0)
            return cli_usage_error(cli, &cmd_pull, "%s",
                                   _("--max-time takes a number of seconds."));
    }
    if (optind < argc)
        return cli_usage_error(cli, &cmd_pull, _("'%s %s' takes no arguments."), cli->prefix,
                               cmd_pull.name);
    return run(cli, &cmd_pull, &o, false);
}

const struct command cmd_pull = {
    "pull",
    N_("Get this agency's tasks, indicators, periods and report states"),
    pull_main,
    N_("Usage: tamnong pull [--json] [--max-time SECONDS]\n"
       "\n"
       "Get from the province server what changed since the last pull: the tasks\n"
       "this agency leads or coordinates, the indicators it reports and the\n"
       "reporting periods (all of them when the plan changed), task statuses, and\n"
       "the states of its reports (received, accepted, returned and why). Keeps\n"
       "them here for working offline. Sends nothing ('tamnong sync' does both).\n"
       "\n"
       "Options:\n"
       "  --json   print {pull: {plan_version, plan_changed, tasks, indicators,\n"
       "           periods, task_statuses, submissions, returned, accepted}, ...}\n"),
};
