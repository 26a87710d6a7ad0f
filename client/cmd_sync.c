/* cmd_sync: `tamnong sync` queues the drafts that are ready (sync_ready.h),
 * sends everything waiting in the outbox, in order, then pulls what changed,
 * and logs the deadline reminders due (reminder_store.h); `tamnong pull`
 * only pulls. Both hold the run lock (a second concurrent run exits 75) and
 * use the sync engine (sync.h). `sync --every DURATION` repeats the run
 * until SIGTERM/SIGINT, for machines without systemd timers. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <openssl/rand.h>

#include "cli.h"
#include "duration.h"
#include "i18n.h"
#include "outbox.h"
#include "output.h"
#include "reminder_store.h"
#include "sync.h"
#include "sync_ready.h"

enum {
    OPT_MAX_TIME = 0x300,
    OPT_MAX_ATTEMPTS,
    OPT_NO_PULL,
    OPT_FORGET_REFUSED,
    OPT_EVERY,
    OPT_NO_SUBMIT_READY
};

#define EVERY_MIN_MS (60 * 1000LL)
#define EVERY_MAX_MS (7 * 86400 * 1000LL)

/* Set by SIGTERM/SIGINT: finish the step in flight, then stop. A second
 * signal ends the program at once (the default action): the outbox is
 * SQLite transactions, consistent at any instant. */
static volatile sig_atomic_t stop_flag;

static void on_stop_signal(int sig)
{
    if (stop_flag) {
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    stop_flag = 1;
}

static void catch_stop_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: a sleep ends at once */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
}

static int parse_seconds(const char *s, long *ms)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || !isfinite(v) || v < 0 || v > 86400)
        return -1;
    *ms = (long)(v * 1000.0);
    return 0;
}

/* Reminders due now: logged on stderr (once a day each), or into j. */
static void reminders(struct store *s, bool json, json_t *j)
{
    int64_t now = store_server_now_ms(s);
    struct reminder_item *items;
    size_t n;
    if (reminder_store_load(s, now, &items, &n) < 0)
        return;
    if (json)
        json_object_set_new(j, "reminders", reminder_store_json(items, n));
    else
        reminder_store_log(s, items, n, now);
    free(items);
}

static void print_human(const struct sync_options *o, const struct sync_result *r, int rc)
{
    if (o->send) {
        if (r->sent || r->refused || r->waiting)
            printf(_("Sent %d (of which %d already received earlier), refused %d, "
                     "waiting %d.\n"),
                   r->sent, r->replayed, r->refused, r->waiting);
        else
            printf("%s\n", _("Nothing was waiting to be sent."));
    }
    sync_print_pull(&r->pull);
    if (r->stopped[0])
        out_log(rc == TN_EXIT_TEMPFAIL ? LOG_WARNING : LOG_ERR, "%s", r->stopped);
    if (rc == TN_EXIT_TEMPFAIL && r->waiting > 0)
        out_log(LOG_WARNING,
                ngettext("%d item is still waiting: it is kept here; run 'tamnong sync' "
                         "again later.",
                         "%d items are still waiting: they are kept here; run 'tamnong "
                         "sync' again later.",
                         (unsigned long)r->waiting),
                r->waiting);
    if (r->failed > 0)
        out_log(LOG_ERR,
                ngettext("%d item was refused by the server: 'tamnong status' says why.",
                         "%d items were refused by the server: 'tamnong status' says why.",
                         (unsigned long)r->failed),
                r->failed);
    fflush(stdout);
}

/* One run: lock, ready drafts, send, pull, reminders. *r is filled for
 * the caller's log line. */
static int run(struct cli *cli, const struct command *cmd, struct sync_options *o,
               bool forget_refused, bool submit_ready, struct sync_result *r)
{
    memset(r, 0, sizeof *r);
    struct store *s;
    int rc = store_open_for_cli(cli->state_dir, &s);
    if (rc != TN_EXIT_OK)
        return rc;
    int fd = -1;
    int l = sync_lock(s, &fd);
    if (l == 1) {
        out_log(LOG_WARNING, "%s", _("another sync is running: try again when it has finished."));
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
    json_t *ready = cli->json ? json_array() : NULL;
    struct sync_ready_result rr = {0, 0};
    if (o->send && submit_ready && sync_ready_queue(s, cli->json, ready, &rr) < 0) {
        json_decref(ready);
        sync_unlock(fd);
        store_close(s);
        return TN_EXIT_SOFTWARE;
    }
    o->config_path = cli->config_path;
    o->json = cli->json;
    rc = sync_run(s, o, r);
    if (cli->json) {
        json_t *j = json_pack("{s:i, s:i, s:i, s:i, s:i, s:o, s:o, s:o, s:o, s:i}", "sent", r->sent,
                              "replayed", r->replayed, "refused", r->refused, "waiting", r->waiting,
                              "failed", r->failed, "items", r->items ? r->items : json_array(),
                              "ready_queued", ready ? ready : json_array(), "pull",
                              sync_pull_json(&r->pull), "stopped",
                              r->stopped[0] ? json_string(r->stopped) : json_null(), "exit", rc);
        r->items = NULL;
        if (j && cmd == &cmd_sync)
            reminders(s, true, j);
        if (!j || out_json(j) < 0)
            rc = rc ? rc : TN_EXIT_SOFTWARE;
        json_decref(j);
    } else {
        print_human(o, r, rc);
        if (cmd == &cmd_sync)
            reminders(s, false, NULL);
    }
    json_decref(r->items);
    r->items = NULL;
    sync_unlock(fd);
    store_close(s);
    return rc;
}

/* A random fraction of the interval, +-10%, so machines started together
 * drift apart. */
static int64_t jittered(int64_t every_ms)
{
    uint32_t rnd = 0;
    if (RAND_bytes((unsigned char *)&rnd, sizeof rnd) != 1)
        rnd = (uint32_t)time(NULL);
    int64_t span = every_ms / 5; /* 20% wide, centred */
    return every_ms - span / 2 + (int64_t)(rnd % (uint32_t)(span + 1));
}

/* Sleep ms unless a stop signal comes first. */
static void sleep_unless_stopped(int64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (!stop_flag && nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

static int loop(struct cli *cli, struct sync_options *o, bool forget, bool submit_ready,
                int64_t every_ms)
{
    unsigned long minutes = (unsigned long)(every_ms / 60000);
    out_log(LOG_INFO,
            ngettext("sync every %lu minute (+-10%%) until stopped (SIGTERM or Ctrl-C).",
                     "sync every %lu minutes (+-10%%) until stopped (SIGTERM or Ctrl-C).", minutes),
            minutes);
    for (unsigned long n = 1; !stop_flag; n++) {
        struct sync_result r;
        int rc = run(cli, &cmd_sync, o, forget, submit_ready, &r);
        forget = false; /* once, not every round */
        out_log(rc == TN_EXIT_OK         ? LOG_INFO
                : rc == TN_EXIT_TEMPFAIL ? LOG_WARNING
                                         : LOG_ERR,
                _("run %lu finished (exit %d): sent %d, waiting %d, refused %d."), n, rc, r.sent,
                r.waiting, r.failed);
        if (stop_flag)
            break;
        int64_t wait = jittered(every_ms);
        unsigned long m = (unsigned long)((wait + 30000) / 60000);
        out_log(LOG_INFO, ngettext("next run in %lu minute.", "next run in %lu minutes.", m), m);
        sleep_unless_stopped(wait);
    }
    out_log(LOG_INFO, "%s", _("stopped on request; what waits is kept for the next run."));
    return TN_EXIT_OK;
}

static int sync_main(struct cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        CLI_OPTION_JSON,
        {"max-time", required_argument, NULL, OPT_MAX_TIME},
        {"max-attempts", required_argument, NULL, OPT_MAX_ATTEMPTS},
        {"no-pull", no_argument, NULL, OPT_NO_PULL},
        {"forget-refused", no_argument, NULL, OPT_FORGET_REFUSED},
        {"every", required_argument, NULL, OPT_EVERY},
        {"no-submit-ready", no_argument, NULL, OPT_NO_SUBMIT_READY},
        {0, 0, 0, 0}};
    struct sync_options o;
    sync_options_default(&o);
    bool forget = false, submit_ready = true;
    int64_t every = 0;
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
        case OPT_NO_SUBMIT_READY:
            submit_ready = false;
            break;
        case OPT_EVERY:
            if (duration_parse(optarg, EVERY_MIN_MS, EVERY_MAX_MS, &every) < 0)
                return cli_usage_error(cli, &cmd_sync, "%s",
                                       _("--every takes a duration from 1m to 7d, like 30m, "
                                         "2h, 1d or 1h30m."));
            break;
        }
    }
    if (optind < argc)
        return cli_usage_error(cli, &cmd_sync, _("'%s %s' takes no arguments."), cli->prefix,
                               cmd_sync.name);
    stop_flag = 0;
    o.stop = &stop_flag;
    catch_stop_signals();
    if (every > 0)
        return loop(cli, &o, forget, submit_ready, every);
    struct sync_result r;
    return run(cli, &cmd_sync, &o, forget, submit_ready, &r);
}

const struct command cmd_sync = {
    "sync",
    N_("Send what is waiting, then pull what changed"),
    sync_main,
    N_("Usage: tamnong sync [--json] [--max-time SECONDS] [--max-attempts N] [--no-pull]\n"
       "                    [--forget-refused] [--no-submit-ready] [--every DURATION]\n"
       "\n"
       "Send the reports, task updates and files waiting here to the province server,\n"
       "in the order they were made (files first, then what uses them), then pull\n"
       "what changed (as 'tamnong pull'). Sending the same item again is safe: the\n"
       "server recognises it and does not count it twice. When the server cannot be\n"
       "reached or is busy, tries again with growing pauses, then stops; everything\n"
       "not sent stays here for the next run. Only one sync runs at a time.\n"
       "\n"
       "Made to run unattended ('tamnong schedule install' sets up a daily timer):\n"
       "- a report whose draft is ready (it passed 'tamnong report validate' and was\n"
       "  not changed since) is submitted first, as 'tamnong report submit' would;\n"
       "- the deadline reminders due (10, 3 and 0 days before a report's deadline, and\n"
       "  after it, until the report is submitted) are written on the standard error,\n"
       "  once a day each; 'tamnong status' shows them too;\n"
       "- when the standard error is not a terminal, every line there starts with its\n"
       "  priority for the journal (<4> warning, <3> error, <6> information);\n"
       "- SIGTERM or Ctrl-C finishes the item being sent, then stops: the rest stays\n"
       "  here (a second one stops at once; nothing is lost either way).\n"
       "\n"
       "Options:\n"
       "  --max-time SECONDS  give up retrying after this long (default 120)\n"
       "  --max-attempts N    attempts per request (default 5)\n"
       "  --no-pull           only send\n"
       "  --forget-refused    first drop the items the server refused (after reading\n"
       "                      why in 'tamnong status')\n"
       "  --no-submit-ready   do not submit the ready drafts\n"
       "  --every DURATION    run again and again, DURATION apart (+-10 percent), until\n"
       "                      SIGTERM or Ctrl-C: 30m, 2h, 1d, 1h30m (at least 1m);\n"
       "                      for computers without systemd\n"
       "  --json              print {sent, replayed, refused, waiting, failed, items,\n"
       "                      ready_queued, pull, stopped, exit, reminders}\n"
       "\n"
       "Exit status: 0 everything sent; 75 something is still waiting, or another\n"
       "sync is running (try later); 65 the server refused some items ('tamnong\n"
       "status' says why). With --every: 0 when stopped by a signal.\n"),
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
    struct sync_result r;
    return run(cli, &cmd_pull, &o, false, false, &r);
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
