/* report_model: what the consolidated report (`tamnong admin report`) is
 * made of, gathered from the server once, then read by one renderer per
 * format (report_html.c, report_md.c, report_csv.c). The four answers are
 * kept as the server sent them (decimal text stays text); the helpers
 * below are the derivations every renderer needs, so none computes them
 * differently. */
#ifndef TAMNONG_CLIENT_REPORT_MODEL_H
#define TAMNONG_CLIENT_REPORT_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "rpc_client.h"
#include "tamnong.pb-c.h"

struct report_model {
    const char *issuer;      /* the standing agency's name (who runs the report) */
    const char *issuer_code; /* its code */
    int64_t generated_at_ms; /* the server's clock when gathered */
    const Tamnong__PeriodStatusResponse *status;
    const Tamnong__TaskBoardResponse *board;
    const Tamnong__TargetProgressResponse *progress;
    const Tamnong__ReportFeedbackResponse *feedback;
    /* Set by report_gather: the messages above were unpacked and are freed
     * by report_model_free. A test builds them itself and leaves this NULL. */
    ProtobufCMessage *owned[5];
};

/* Call Ping, PeriodStatus, TaskBoard, TargetProgress and ReportFeedback for
 * period on one connection. 0 and m filled, or -1 with st saying why (the
 * model is then freed). */
int report_gather(struct rpc_client *c, const char *period, struct report_model *m,
                  struct rpc_status *st) __attribute__((warn_unused_result));
void report_model_free(struct report_model *m);

/* The period the report is about (from whichever answer has it); never
 * NULL (an empty period when none has). */
const Tamnong__PeriodInfo *report_period(const struct report_model *m);

/* The task board's sections in natural order ("III.2" before "III.10"),
 * each once. A malloc'd array (free it, not the strings), *n set; NULL with
 * *n = 0 when the board is empty or memory ran out. */
const char **report_sections(const struct report_model *m, size_t *n);

/* The kind totals row for all kinds together (kind ""), or NULL. */
const Tamnong__KindCount *report_total(const struct report_model *m);

/* Reporters that are late (submitted after their deadline), missing, or
 * whose counted report was returned. */
bool report_is_late(const Tamnong__ReporterStatus *r);
bool report_is_missing(const Tamnong__ReporterStatus *r);
bool report_is_returned(const Tamnong__ReporterStatus *r);

/* The lead agencies of a task, names joined with ", ", into buf. */
const char *report_leads(const Tamnong__TaskInfo *t, char *buf, size_t len);

/* How many reports in the feedback were signed. */
size_t report_signed_count(const struct report_model *m);

#endif
