/* commands: the table of tamnong's subcommands, the top-level help text and
 * the `help` command. Adding a command: write cmd_<area>.c defining
 * `const struct command cmd_<name>`, declare it in cli.h, add a row here. */
#include <stdio.h>

#include "cli.h"
#include "i18n.h"

/* One row per line: easier to add to. */
/* clang-format off */
const struct command *const cli_commands[] = {
    &cmd_ping,
    &cmd_plan,
    &cmd_periods,
    &cmd_agencies,
    &cmd_pull,
    &cmd_tasks,
    &cmd_task,
    &cmd_report,
    &cmd_sync,
    &cmd_status,
    &cmd_schedule,
    &cmd_login,
    &cmd_logout,
    &cmd_whoami,
    &cmd_admin,
    &cmd_help,
    NULL,
};
/* clang-format on */

void cli_print_main_help(FILE *f)
{
    fputs(_("Usage: tamnong [OPTIONS] COMMAND [ARGUMENTS]\n"
            "\n"
            "Report your agency's tasks and indicators of the provincial plan\n"
            "to the province server.\n"
            "\n"
            "Options:\n"
            "  --config FILE   read this configuration file instead of the usual one\n"
            "  --state-dir DIR keep the local state (drafts, what waits to be sent) in DIR\n"
            "                  instead of $TAMNONG_STATE_DIR or $XDG_STATE_HOME/tamnong\n"
            "  --json          print results as JSON (for programs)\n"
            "  -v, --verbose   tell what is happening (connection, certificates)\n"
            "  -h, --help      show this help\n"
            "  --version       show the program version\n"
            "\n"
            "Commands:\n"),
          f);
    cli_print_commands(cli_commands, f);
    fputs(_("\n"
            "Run 'tamnong COMMAND --help' to see how to use a command.\n"
            "\n"
            "Configuration: $XDG_CONFIG_HOME/tamnong/config (usually ~/.config/tamnong/config),\n"
            "or the file named by $TAMNONG_CONFIG or --config. Keys: server, server_name,\n"
            "ca_file, cert_file, key_file, connect_timeout, request_timeout.\n"
            "\n"
            "Exit status:\n"
            "   0  done\n"
            "  64  the command line is wrong\n"
            "  65  the server refused the data: correct it and try again\n"
            "  70  internal error in the server or in this program: tell the operator\n"
            "  75  the server cannot be reached or is busy: try again later\n"
            "  77  not allowed: the server refused this agency's certificate or the request\n"
            "  78  configuration problem: configuration file, certificate or key\n"),
          f);
}

static int help_main(struct cli *cli, int argc, char **argv)
{
    int c;
    static const struct option opts[] = {CLI_OPTION_JSON, {0, 0, 0, 0}};
    while ((c = cli_getopt(cli, &cmd_help, argc, argv, "", opts)) != -1)
        if (c == '?')
            return TN_EXIT_USAGE;
    if (optind >= argc) {
        cli_print_main_help(stdout);
        return TN_EXIT_OK;
    }
    const struct command *cmd = cli_find(cli_commands, argv[optind]);
    if (!cmd)
        return cli_usage_error(cli, &cmd_help, _("'%s' is not a command of %s."), argv[optind],
                               cli->prefix);
    cli_print_usage(cmd, stdout);
    return TN_EXIT_OK;
}

const struct command cmd_help = {
    "help",
    N_("Show the help of tamnong or of one command"),
    help_main,
    N_("Usage: tamnong help [COMMAND]\n"
       "\n"
       "Show the list of commands, or how to use COMMAND (the same as 'tamnong COMMAND "
       "--help').\n"),
};
