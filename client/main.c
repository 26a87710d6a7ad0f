/* main: tamnong, the agency client. Sets up the locale and message catalogue,
 * reads the global options (before the command) and runs a command from the
 * table in commands.c. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "i18n.h"
#include "output.h"

#ifndef TAMNONG_VERSION
#define TAMNONG_VERSION "0.1"
#endif

enum { OPT_CONFIG = 0x200, OPT_VERSION, OPT_STATE_DIR };

int main(int argc, char **argv)
{
    i18n_init();
    struct cli cli = {.prefix = "tamnong"};
    static const struct option opts[] = {
        {"config", required_argument, NULL, OPT_CONFIG},
        {"state-dir", required_argument, NULL, OPT_STATE_DIR},
        {"json", no_argument, NULL, CLI_OPT_JSON},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, OPT_VERSION},
        {0, 0, 0, 0},
    };
    opterr = 0;
    int c;
    /* "+": stop at the command name; what follows belongs to the command. */
    while ((c = getopt_long(argc, argv, "+:vh", opts, NULL)) != -1) {
        switch (c) {
        case OPT_CONFIG:
            cli.config_path = optarg;
            break;
        case OPT_STATE_DIR:
            cli.state_dir = optarg;
            break;
        case CLI_OPT_JSON:
            cli.json = true;
            break;
        case 'v':
            cli.verbose++;
            break;
        case 'h':
            cli_print_main_help(stdout);
            return TN_EXIT_OK;
        case OPT_VERSION:
            printf("tamnong %s\n", TAMNONG_VERSION);
            return TN_EXIT_OK;
        case ':':
            out_error(_("the option '%s' needs a value."), argv[optind - 1]);
            fprintf(stderr, _("Run '%s --help' to see how to use it.\n"), cli.prefix);
            return TN_EXIT_USAGE;
        default: {
            char what[64];
            if (optopt)
                snprintf(what, sizeof what, "-%c", optopt);
            else
                snprintf(what, sizeof what, "%s", argv[optind - 1]);
            out_error(_("unknown option '%s'."), what);
            fprintf(stderr, _("Run '%s --help' to see how to use it.\n"), cli.prefix);
            return TN_EXIT_USAGE;
        }
        }
    }
    out_set_verbose(cli.verbose);
    if (optind >= argc) {
        out_error(_("no command given."));
        fputc('\n', stderr);
        cli_print_main_help(stderr);
        return TN_EXIT_USAGE;
    }
    return cli_dispatch(&cli, cli_commands, argc - optind, argv + optind);
}
