/* cli: what every subcommand shares. A command is one row of the table in
 * commands.c; its handler lives in cmd_<area>.c. A new feature adds a
 * cmd_<area>.c with `const struct command cmd_<name>`, an extern below and a
 * row in commands.c. Handlers return an exit code (exit_codes.h). */
#ifndef TAMNONG_CLIENT_CLI_H
#define TAMNONG_CLIENT_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>

#include "exit_codes.h"
#include "rpc_client.h"

/* Global options and state, filled by main before the handler runs. */
struct cli {
    const char *config_path; /* --config FILE, or NULL */
    bool json;               /* --json (before or after the command) */
    int verbose;             /* -v, repeatable */
    const char *prefix;      /* "tamnong" or "tamnong report": for messages */
    const char *state_dir;   /* --state-dir DIR, or NULL (store.h: the defaults) */
    bool session;            /* cli_connect found a stored log-in session and sends it */
};

struct command {
    const char *name;
    const char *summary; /* N_(): one line for the command list */
    int (*handler)(struct cli *cli, int argc, char **argv);
    const char *usage; /* N_(): the whole `tamnong NAME --help` text */
};

/* The top-level command table (commands.c), NULL-terminated. */
extern const struct command *const cli_commands[];

/* Commands, one per cmd_<area>.c. */
extern const struct command cmd_ping;
extern const struct command cmd_plan;
extern const struct command cmd_periods;
extern const struct command cmd_agencies;
extern const struct command cmd_admin;
extern const struct command cmd_pull;
extern const struct command cmd_tasks;
extern const struct command cmd_task;
extern const struct command cmd_report;
extern const struct command cmd_sync;
extern const struct command cmd_status;
extern const struct command cmd_schedule;
/* `tamnong admin submissions` and `tamnong admin review` (cmd_review.c), rows
 * of the admin group in cmd_admin.c. */
extern const struct command cmd_admin_submissions;
extern const struct command cmd_admin_review;
/* Oversight (issue 6): `admin board`, `admin targets`, `admin close`
 * (cmd_oversight.c) and `admin report` (cmd_report_export.c). */
extern const struct command cmd_admin_board;
extern const struct command cmd_admin_targets;
extern const struct command cmd_admin_close;
extern const struct command cmd_admin_report;
/* `tamnong admin status` and `tamnong admin extend` (cmd_deadline.c). */
extern const struct command cmd_admin_status;
extern const struct command cmd_admin_extend;
/* `tamnong admin cert register|revoke` (cmd_cert.c). */
extern const struct command cmd_admin_cert;
extern const struct command cmd_help;
/* cmd_login.c: tamnong login, logout, whoami. */
extern const struct command cmd_login;
extern const struct command cmd_logout;
extern const struct command cmd_whoami;
/* cmd_users.c: rows of the admin group: admin user, admin audit. */
extern const struct command cmd_admin_user;
extern const struct command cmd_admin_audit;

const struct command *cli_find(const struct command *const *table, const char *name);
/* `tamnong --help`: usage, global options, commands, exit codes. */
void cli_print_main_help(FILE *f);
/* "  name   summary" lines, aligned, summaries translated. */
void cli_print_commands(const struct command *const *table, FILE *f);
/* Print cmd's translated usage on f. */
void cli_print_usage(const struct command *cmd, FILE *f);

/* Run argv[0] from table: `--help` anywhere before `--` prints the command's
 * usage; an unknown name is a usage error naming it. For nested groups
 * (`tamnong report open`) a handler calls this with its own table. */
int cli_dispatch(struct cli *cli, const struct command *const *table, int argc, char **argv);
/* A command group (`tamnong report ...`): argv[0] is the group, argv[1] the
 * subcommand from table, run with the prefix "tamnong GROUP"; no subcommand
 * prints the group's usage (self) and returns TN_EXIT_USAGE. */
int cli_run_group(struct cli *cli, const struct command *self, const struct command *const *table,
                  int argc, char **argv);

/* Long-option value for --json: put CLI_OPTION_JSON in a command's option
 * array and cli_getopt sets cli->json itself. */
#define CLI_OPT_JSON 0x100
#define CLI_OPTION_JSON                                                                            \
    {                                                                                              \
        "json", no_argument, NULL, CLI_OPT_JSON                                                    \
    }

/* getopt_long for a command (cli_dispatch resets getopt before each
 * handler): opts ends with a zero row. Returns the option's code, or -1 at
 * the end (operands are then argv[optind..]); an unknown option or a missing
 * value prints a usage error and returns '?' (the handler returns
 * TN_EXIT_USAGE). */
int cli_getopt(struct cli *cli, const struct command *cmd, int argc, char **argv,
               const char *shortopts, const struct option *opts);
/* Print "tamnong: <msg>\nRun 'tamnong CMD --help'." and return TN_EXIT_USAGE. */
int cli_usage_error(const struct cli *cli, const struct command *cmd, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Read one line (without its newline) into buf: from the terminal after
 * printing prompt on stderr, without echo when secret; or from standard
 * input when it is not a terminal. 0, or -1 at end of input. (cmd_login.c) */
int cli_read_line(const char *prompt, bool secret, char *buf, size_t len);

/* YYYY-MM-DD, a real calendar date (what --at and similar options take). */
bool cli_date_ok(const char *s);

/* Load the config, check the credential files and connect; a stored log-in
 * session (session.h) is sent with every call (cli->session says so).
 * TN_EXIT_OK and *out, or an exit code after printing why. */
int cli_connect(struct cli *cli, struct rpc_client **out);
/* Connect, call method with req and close. TN_EXIT_OK and *resp, or the
 * exit code after printing why. */
int cli_call(struct cli *cli, const char *method, const ProtobufCMessage *req,
             ProtobufCMessage **resp);
/* cli_call for a state-changing request that carries its own request id:
 * up to `attempts` tries while the failure is retryable (connection refused,
 * UNAVAILABLE...), each sending the same bytes, so a request applied before
 * its answer got lost is answered as a replay. Waits between tries: full
 * jitter on a doubling cap (0.25 s to 8 s), at least the server's hint. */
int cli_call_retrying(struct cli *cli, const char *method, const ProtobufCMessage *req,
                      ProtobufCMessage **resp, int attempts);
/* Print an RPC failure for a person (stderr) and return its exit code. */
int cli_rpc_error(const struct cli *cli, const struct rpc_status *st);

#endif
