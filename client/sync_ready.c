/* sync_ready: queue the drafts that are ready (see sync_ready.h). */
#include "sync_ready.h"

#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "draft.h"
#include "i18n.h"
#include "output.h"

int sync_ready_queue(struct store *s, bool json, json_t *events, struct sync_ready_result *r)
{
    memset(r, 0, sizeof *r);
    char **periods;
    size_t n;
    if (draft_ready_periods(s, &periods, &n) < 0) {
        out_error(_("Cannot read the local state: %s"), store_errmsg(s));
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        struct rr_problems p;
        rr_problems_init(&p);
        int64_t seq = 0;
        int q = draft_queue_ready(s, periods[i], &p, &seq);
        if (q == 1) {
            r->queued++;
            if (!json)
                printf(_("QUEUED report %s: it was ready (validated), so it is sent now.\n"),
                       periods[i]);
            if (events)
                json_array_append_new(events,
                                      json_pack("{s:s, s:s, s:I}", "period", periods[i], "result",
                                                "queued", "seq", (json_int_t)seq));
        } else if (q == -2) {
            r->invalid++;
            char why[2048];
            rr_problems_join(&p, why, sizeof why);
            for (char *c = why; *c; c++)
                if (*c == '\n')
                    *c = ';';
            out_log(LOG_WARNING,
                    _("the report %s was ready but no longer passes validation, so it was not "
                      "sent and is a draft again; 'tamnong report validate' lists the problems: "
                      "%s"),
                    periods[i], why);
            if (events)
                json_array_append_new(events,
                                      json_pack("{s:s, s:s, s:i}", "period", periods[i], "result",
                                                "invalid", "problems", (int)(p.n + p.dropped)));
        } else if (q < 0) {
            out_error(_("Cannot queue the report %s: %s"), periods[i], store_errmsg(s));
            rc = -1;
        }
        rr_problems_free(&p);
        if (rc < 0)
            break;
    }
    if (!json)
        fflush(stdout);
    draft_free_periods(periods, n);
    return rc;
}
