/* cmd_agencies: `tamnong agencies [--at DATE]`, the agencies that exist on a
 * day (departments, district and commune committees, organisations) with the
 * agencies that take over from them after a merger or the end of a level. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "i18n.h"
#include "output.h"
#include "tamnong.pb-c.h"

static json_t *successor_json(const Tamnong__Successor *s, bool *bad)
{
    json_t *o = json_object();
    if (!o) {
        *bad = true;
        return NULL;
    }
    out_jset(o, "code", out_jstr_or_null(s->code), bad);
    out_jset(o, "name", out_jstr_or_null(s->name), bad);
    out_jset(o, "effective", out_jstr_or_null(s->effective), bad);
    out_jset(o, "kind", out_jstr_or_null(s->kind), bad);
    return o;
}

static int print_json(const Tamnong__AgenciesResponse *r)
{
    bool bad = false;
    json_t *list = json_array();
    json_t *doc = json_object();
    if (!list || !doc) {
        json_decref(list);
        json_decref(doc);
        out_error(_("Out of memory."));
        return TN_EXIT_SOFTWARE;
    }
    out_jset(doc, "at", out_jstr_or_null(r->at), &bad);
    for (size_t i = 0; i < r->n_agencies; i++) {
        const Tamnong__AgencyInfo *a = r->agencies[i];
        json_t *o = json_object(), *succ = json_array();
        if (!o || !succ) {
            json_decref(o);
            json_decref(succ);
            bad = true;
            break;
        }
        out_jset(o, "code", json_string(a->code), &bad);
        out_jset(o, "name", json_string(a->name), &bad);
        out_jset(o, "kind", json_string(a->kind), &bad);
        out_jset(o, "short_name", out_jstr_or_null(a->short_name), &bad);
        out_jset(o, "parent", out_jstr_or_null(a->parent), &bad);
        out_jset(o, "valid_from", out_jstr_or_null(a->valid_from), &bad);
        out_jset(o, "valid_to", out_jstr_or_null(a->valid_to), &bad);
        for (size_t k = 0; k < a->n_successors; k++) {
            json_t *s = successor_json(a->successors[k], &bad);
            if (!s || json_array_append_new(succ, s) != 0)
                bad = true;
        }
        out_jset(o, "successors", succ, &bad);
        if (json_array_append_new(list, o) != 0)
            bad = true;
    }
    out_jset(doc, "agencies", list, &bad);
    return out_json_answer(doc, bad);
}

/* The kinds of agency, in words. */
static const char *kind_label(const char *kind)
{
    static const struct {
        const char *kind, *label;
    } kinds[] = {
        {"department", N_("department")},     {"district", N_("district committee")},
        {"commune", N_("commune committee")}, {"socio_political", N_("organisation")},
        {"province", N_("province")},         {"other", N_("other")},
    };
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(kinds[i].kind, kind) == 0)
            return _(kinds[i].label);
    return kind;
}

static int print_human(const Tamnong__AgenciesResponse *r)
{
    if (r->n_agencies == 0) {
        puts(_("No agencies on that date."));
        return fflush(stdout) == 0 ? TN_EXIT_OK : TN_EXIT_SOFTWARE;
    }
    struct out_table *t = out_table_new(4);
    out_table_addv(t, _("Code"), _("Kind"), _("Name"), _("Taken over by"));
    for (size_t i = 0; i < r->n_agencies; i++) {
        const Tamnong__AgencyInfo *a = r->agencies[i];
        char succ[1024] = "";
        size_t used = 0;
        for (size_t k = 0; k < a->n_successors && used < sizeof succ; k++) {
            const Tamnong__Successor *s = a->successors[k];
            const char *who = s->code[0] ? s->code : _("(no successor)");
            int n = snprintf(succ + used, sizeof succ - used, "%s→ %s (%s)", k ? ", " : "", who,
                             s->effective);
            if (n < 0)
                break;
            used += (size_t)n;
        }
        out_table_addv(t, a->code, kind_label(a->kind), a->name, succ);
    }
    out_table_print(t, stdout);
    out_table_free(t);
    putchar('\n');
    /* TRANSLATORS: 1: number of agencies, 2: a date (YYYY-MM-DD). */
    printf(ngettext("%zu agency on %s.\n", "%zu agencies on %s.\n", r->n_agencies), r->n_agencies,
           r->at);
    return fflush(stdout) == 0 ? TN_EXIT_OK : TN_EXIT_SOFTWARE;
}

static int agencies_main(struct cli *cli, int argc, char **argv)
{
    enum { OPT_AT = 0x300 };
    static const struct option opts[] = {
        {"at", required_argument, NULL, OPT_AT},
        CLI_OPTION_JSON,
        {0, 0, 0, 0},
    };
    const char *at = "";
    int c;
    while ((c = cli_getopt(cli, &cmd_agencies, argc, argv, "", opts)) != -1) {
        if (c != OPT_AT)
            return TN_EXIT_USAGE;
        at = optarg;
        if (!cli_date_ok(at))
            return cli_usage_error(cli, &cmd_agencies,
                                   _("'%s' is not a date: write it as YYYY-MM-DD."), at);
    }
    if (optind < argc)
        return cli_usage_error(cli, &cmd_agencies, _("'%s %s' takes no arguments."), cli->prefix,
                               cmd_agencies.name);

    Tamnong__AgenciesRequest req = TAMNONG__AGENCIES_REQUEST__INIT;
    req.at = (char *)at;
    ProtobufCMessage *resp;
    int rc = cli_call(cli, "Agencies", &req.base, &resp);
    if (rc != TN_EXIT_OK)
        return rc;
    const Tamnong__AgenciesResponse *r = (const Tamnong__AgenciesResponse *)resp;
    rc = cli->json ? print_json(r) : print_human(r);
    protobuf_c_message_free_unpacked(resp, NULL);
    return rc;
}

const struct command cmd_agencies = {
    "agencies",
    N_("The agencies that exist on a date, with their successors"),
    agencies_main,
    N_("Usage: tamnong agencies [--at DATE] [--json]\n"
       "\n"
       "List the agencies that exist on a day: the departments, the district and\n"
       "commune committees, the organisations. For an agency that a merger or the end\n"
       "of a level will replace, the agencies that take over and the date are shown.\n"
       "\n"
       "Options:\n"
       "  --at DATE   the day, YYYY-MM-DD (default: today)\n"
       "  --json      print a JSON object {at, agencies}; each agency has code, name,\n"
       "              kind, short_name, parent, valid_from, valid_to (null when open)\n"
       "              and successors [{code, name, effective, kind}]\n"),
};
