/* cmd_report_export: `tamnong admin report PERIOD --format html|md|csv
 * [-o FILE]`, the consolidated report the standing agency sends to the
 * Ministry and the provincial committee. Gathers the period's oversight
 * answers (report_model.c) and writes them with the format's renderer
 * (report_html.c, report_md.c, report_csv.c), to stdout or to FILE (written
 * beside it and renamed, so FILE is never left half written). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "i18n.h"
#include "output.h"
#include "report_model.h"
#include "report_render.h"

static int render(const char *format, const struct report_model *m, FILE *f)
{
    if (strcmp(format, "html") == 0)
        return report_render_html(m, f);
    if (strcmp(format, "md") == 0)
        return report_render_md(m, f);
    return report_render_csv(m, f);
}

/* Write to path through a temporary file in the same directory. */
static int write_file(const char *path, const char *format, const struct report_model *m)
{
    size_t n = strlen(path) + 16;
    char *tmp = malloc(n);
    if (!tmp) {
        out_error("%s", _("Out of memory."));
        return TN_EXIT_SOFTWARE;
    }
    snprintf(tmp, n, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        out_error(_("cannot write %s: %s"), path, strerror(errno));
        free(tmp);
        return TN_EXIT_USAGE; /* -o names a place we cannot write to */
    }
    FILE *f = fdopen(fd, "w");
    int rc = TN_EXIT_OK;
    if (!f) {
        close(fd);
        rc = -1;
    } else {
        rc = render(format, m, f);
        if (fflush(f) != 0 || fsync(fileno(f)) != 0)
            rc = -1;
        if (fclose(f) != 0)
            rc = -1;
    }
    if (rc == 0 && rename(tmp, path) == 0) {
        free(tmp);
        return TN_EXIT_OK;
    }
    out_error(_("cannot write %s: %s"), path, strerror(errno));
    unlink(tmp);
    free(tmp);
    return TN_EXIT_SOFTWARE;
}

static int report_main(struct cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"format", required_argument, NULL, 'f'},
                                         {"output", required_argument, NULL, 'o'},
                                         {0, 0, 0, 0}};
    const char *format = NULL, *out = NULL;
    int c;
    while ((c = cli_getopt(cli, &cmd_admin_report, argc, argv, "f:o:", opts)) != -1) {
        switch (c) {
        case 'f':
            if (strcmp(optarg, "html") != 0 && strcmp(optarg, "md") != 0 &&
                strcmp(optarg, "csv") != 0)
                return cli_usage_error(cli, &cmd_admin_report, "%s",
                                       _("--format must be html, md or csv."));
            format = optarg;
            break;
        case 'o':
            out = optarg;
            break;
        default:
            return TN_EXIT_USAGE;
        }
    }
    if (cli->json)
        return cli_usage_error(cli, &cmd_admin_report, "%s",
                               _("the report is a document: choose it with --format, not --json."));
    if (!format)
        return cli_usage_error(cli, &cmd_admin_report, "%s",
                               _("which format? Give --format html, md or csv."));
    if (optind >= argc)
        return cli_usage_error(cli, &cmd_admin_report, "%s",
                               _("which period? Give PERIOD, e.g. 2025-six_month."));
    if (optind + 1 < argc)
        return cli_usage_error(cli, &cmd_admin_report, _("unexpected argument '%s'."),
                               argv[optind + 1]);
    const char *period = argv[optind];

    struct rpc_client *client;
    int rc = cli_connect(cli, &client);
    if (rc != TN_EXIT_OK)
        return rc;
    struct report_model m;
    struct rpc_status st;
    if (report_gather(client, period, &m, &st) < 0) {
        rc = cli_rpc_error(cli, &st);
        rpc_close(client);
        return rc;
    }
    rpc_close(client);
    if (out) {
        rc = write_file(out, format, &m);
        if (rc == TN_EXIT_OK && !cli->json)
            out_verbose(_("report written to %s"), out);
    } else {
        rc = render(format, &m, stdout) == 0 && fflush(stdout) == 0 ? TN_EXIT_OK : TN_EXIT_SOFTWARE;
        if (rc != TN_EXIT_OK)
            out_error("%s", _("cannot write the report to standard output."));
    }
    report_model_free(&m);
    return rc;
}

const struct command cmd_admin_report = {
    "report",
    N_("The consolidated report of a period (HTML, Markdown or CSV)"),
    report_main,
    N_("Usage: tamnong admin report PERIOD --format html|md|csv [-o FILE]\n"
       "\n"
       "Write the consolidated report of PERIOD, in Vietnamese: who reported (on\n"
       "time, late, missing, returned; by agency kind), the task board by section,\n"
       "target progress with the figures and their status, the difficulties,\n"
       "recommendations and proposals to amend the plan from each agency's report,\n"
       "and which reports were signed. Numbers are written the Vietnamese way\n"
       "(1.234,5).\n"
       "\n"
       "Options:\n"
       "  -f, --format F   html: one self-contained file to open in a browser and\n"
       "                   print on A4 (charts included); md: Markdown; csv: tables\n"
       "                   for a spreadsheet (UTF-8 with a byte order mark)\n"
       "  -o, --output FILE  write to FILE (replaced only once complete) instead of\n"
       "                   standard output\n"),
};
