/* cmd_schedule: `tamnong schedule install [--print]`: the systemd user units
 * that run `tamnong sync` unattended (schedule_units.h), written for the
 * current user under $XDG_CONFIG_HOME/systemd/user/ (or printed). ExecStart
 * names this binary's absolute path and the configuration and state this
 * command uses; the timer's 30-minute windows come from the deadlines of the
 * periods of the last pull (with this agency's extensions), or the plan's
 * usual 15 June / 15 December. Needs no running systemd: it only writes. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "client_config.h"
#include "i18n.h"
#include "output.h"
#include "reminder.h"
#include "schedule_units.h"
#include "store.h"

enum { OPT_PRINT = 0x400 };

/* An absolute form of path (which may not exist yet). malloc'ed. */
static char *absolute(const char *path)
{
    char *r = realpath(path, NULL);
    if (r)
        return r;
    if (path[0] == '/')
        return strdup(path);
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd))
        return NULL;
    char *p = NULL;
    if (asprintf(&p, "%s/%s", cwd, path) < 0)
        return NULL;
    return p;
}

/* The effective deadline days of the periods to come (today or later, by
 * the server's clock as last seen), at most SCHEDULE_MAX_DEADLINES. */
static size_t deadline_days(struct store *s, long *days, size_t max)
{
    sqlite3_stmt *st =
        store_prepare(s, "SELECT deadline, max(deadline_at_ms, extended_deadline_at_ms) FROM "
                         "periods ORDER BY 2, 1");
    if (!st)
        return 0;
    long today = reminder_day_of(store_server_now_ms(s));
    size_t n = 0;
    while (n < max && sqlite3_step(st) == SQLITE_ROW) {
        long d;
        int64_t ms = sqlite3_column_int64(st, 1);
        if (ms > 0)
            d = reminder_day_of(ms - 1);
        else if (!reminder_parse_day((const char *)sqlite3_column_text(st, 0), &d))
            continue;
        if (d >= today)
            days[n++] = d;
    }
    sqlite3_finalize(st);
    return n;
}

static int mkdirs(const char *path)
{
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(tmp, 0755) < 0 && errno != EEXIST ? -1 : 0;
}

/* Write text to dir/name through a temporary file and a rename. */
static int write_unit(const char *dir, const char *name, const char *text, char *path, size_t len)
{
    char tmp[PATH_MAX + 16];
    snprintf(path, len, "%s/%s", dir, name);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    size_t n = strlen(text);
    ssize_t w = write(fd, text, n);
    int rc = (w == (ssize_t)n && fsync(fd) == 0) ? 0 : -1;
    int e = errno;
    if (close(fd) < 0 && rc == 0)
        rc = -1;
    if (rc == 0 && rename(tmp, path) < 0)
        rc = -1;
    if (rc < 0) {
        e = errno ? errno : e;
        unlink(tmp);
        errno = e;
    }
    return rc;
}

static char *unit_dir(void)
{
    char *p = NULL;
    const char *x = getenv("XDG_CONFIG_HOME");
    if (x && x[0] == '/')
        return asprintf(&p, "%s/systemd/user", x) < 0 ? NULL : p;
    const char *h = getenv("HOME");
    if (h && *h)
        return asprintf(&p, "%s/.config/systemd/user", h) < 0 ? NULL : p;
    return NULL;
}

static int install_main(struct cli *cli, int argc, char **argv);

static const struct command schedule_install_cmd = {
    "install", N_("Write (or print) the systemd user timer that runs 'tamnong sync'"), install_main,
    N_("Usage: tamnong schedule install [--print] [--json]\n"
       "\n"
       "Write tamnong-sync.service and tamnong-sync.timer for the current user in\n"
       "$XDG_CONFIG_HOME/systemd/user/ (usually ~/.config/systemd/user/). The timer\n"
       "runs 'tamnong sync' every day at 08:00 (Asia/Ho_Chi_Minh), and every 30\n"
       "minutes on the 5 days before each deadline and on the deadline day, with a\n"
       "random delay of up to 25 minutes fixed per computer; a run missed while the\n"
       "computer was off happens when it starts. The deadlines are those of the\n"
       "last pull (with this agency's extensions), else 15 June and 15 December:\n"
       "pull first, and install again when the deadlines change. The service runs\n"
       "this program with the same --config and --state-dir as this command.\n"
       "Then turn the timer on with:\n"
       "  systemctl --user enable --now tamnong-sync.timer\n"
       "(and 'loginctl enable-linger' for it to run when nobody is logged in).\n"
       "\n"
       "Options:\n"
       "  --print   print the two units instead of writing them\n"
       "  --json    print {service_path, timer_path, written, on_calendar, service,\n"
       "            timer, enable}\n")};

static int install_main(struct cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        CLI_OPTION_JSON, {"print", no_argument, NULL, OPT_PRINT}, {0, 0, 0, 0}};
    bool print = false;
    int c;
    while ((c = cli_getopt(cli, &schedule_install_cmd, argc, argv, "", opts)) != -1) {
        if (c == '?')
            return TN_EXIT_USAGE;
        if (c == OPT_PRINT)
            print = true;
    }
    if (optind < argc)
        return cli_usage_error(cli, &schedule_install_cmd, _("'%s %s' takes no arguments."),
                               cli->prefix, schedule_install_cmd.name);
    int rc = TN_EXIT_SOFTWARE;
    char *bin = NULL, *conf = NULL, *conf_abs = NULL, *state = NULL, *state_abs = NULL, *dir = NULL,
         *service = NULL, *timer = NULL;
    char *windows[SCHEDULE_MAX_DEADLINES * 2 + 2];
    size_t nwin = 0;
    struct store *s = NULL;
    bin = realpath("/proc/self/exe", NULL);
    conf = client_config_path(cli->config_path);
    state = store_default_dir(cli->state_dir);
    if (!bin || !conf || !state) {
        out_error("%s", _("Cannot tell where this program, its configuration or its local "
                          "state are: set $HOME, or use --config and --state-dir."));
        rc = TN_EXIT_CONFIG;
        goto out;
    }
    conf_abs = absolute(conf);
    state_abs = absolute(state);
    if (!conf_abs || !state_abs)
        goto out;
    if ((rc = store_open_for_cli(state_abs, &s)) != TN_EXIT_OK)
        goto out;
    long days[SCHEDULE_MAX_DEADLINES];
    size_t ndays = deadline_days(s, days, SCHEDULE_MAX_DEADLINES);
    nwin = schedule_windows(days, ndays, windows, sizeof windows / sizeof windows[0]);
    const char *lang = getenv("LANG");
    service = schedule_service_text(bin, conf_abs, state_abs, lang);
    timer = schedule_timer_text(windows, nwin);
    if (!service || !timer) {
        out_error("%s", _("A path of this program, its configuration or its state cannot go "
                          "in a systemd unit (it holds a control character)."));
        rc = TN_EXIT_CONFIG;
        goto out;
    }
    dir = unit_dir();
    if (!dir) {
        out_error("%s", _("Cannot tell where the systemd user units go: set $HOME or "
                          "$XDG_CONFIG_HOME."));
        rc = TN_EXIT_CONFIG;
        goto out;
    }
    char spath[PATH_MAX + 64], tpath[PATH_MAX + 64];
    snprintf(spath, sizeof spath, "%s/%s", dir, SCHEDULE_SERVICE_NAME);
    snprintf(tpath, sizeof tpath, "%s/%s", dir, SCHEDULE_TIMER_NAME);
    if (!print) {
        if (mkdirs(dir) < 0 ||
            write_unit(dir, SCHEDULE_SERVICE_NAME, service, spath, sizeof spath) < 0 ||
            write_unit(dir, SCHEDULE_TIMER_NAME, timer, tpath, sizeof tpath) < 0) {
            out_error(_("Cannot write in %s: %s"), dir, strerror(errno));
            rc = TN_EXIT_CONFIG;
            goto out;
        }
    }
    static const char *const enable = "systemctl --user enable --now " SCHEDULE_TIMER_NAME;
    if (cli->json) {
        json_t *cal = json_array();
        for (size_t i = 0; i < nwin; i++)
            json_array_append_new(cal, json_string(windows[i]));
        json_t *j = json_pack("{s:s, s:s, s:b, s:o, s:s, s:s, s:s}", "service_path", spath,
                              "timer_path", tpath, "written", !print, "on_calendar", cal, "service",
                              service, "timer", timer, "enable", enable);
        rc = out_json_answer(j, j == NULL);
        goto out;
    }
    if (print) {
        printf("# %s\n%s\n# %s\n%s", spath, service, tpath, timer);
    } else {
        printf(_("Written:\n  %s\n  %s\n"), spath, tpath);
        printf("%s\n  %s\n", _("Turn the schedule on (once) with:"), enable);
        printf("%s\n", _("To let it run also when nobody is logged in: loginctl enable-linger"));
    }
    rc = fflush(stdout) == 0 ? TN_EXIT_OK : TN_EXIT_SOFTWARE;
out:
    for (size_t i = 0; i < nwin; i++)
        free(windows[i]);
    store_close(s);
    free(bin);
    free(conf);
    free(conf_abs);
    free(state);
    free(state_abs);
    free(dir);
    free(service);
    free(timer);
    return rc;
}

static const struct command *const schedule_commands[] = {&schedule_install_cmd, NULL};

static int schedule_main(struct cli *cli, int argc, char **argv)
{
    return cli_run_group(cli, &cmd_schedule, schedule_commands, argc, argv);
}

const struct command cmd_schedule = {
    "schedule",
    N_("Set up the unattended sync (a systemd user timer)"),
    schedule_main,
    N_("Usage: tamnong schedule install [--print] [--json]\n"
       "\n"
       "  install   write tamnong-sync.service and tamnong-sync.timer for the\n"
       "            current user (--print: print them instead); then\n"
       "            'systemctl --user enable --now tamnong-sync.timer'\n"
       "\n"
       "Without systemd: 'tamnong sync --every 30m' (see 'tamnong sync --help').\n"),
};
