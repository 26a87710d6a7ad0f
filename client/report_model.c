/* report_model: gathering the consolidated report's data from the server
 * and the derivations the renderers share (see report_model.h). */
#include "report_model.h"

#include <stdlib.h>
#include <string.h>

static const Tamnong__PeriodInfo empty_period = TAMNONG__PERIOD_INFO__INIT;

int report_gather(struct rpc_client *c, const char *period, struct report_model *m,
                  struct rpc_status *st)
{
    memset(m, 0, sizeof *m);
    Tamnong__PingRequest ping = TAMNONG__PING_REQUEST__INIT;
    ping.skip_database = true;
    Tamnong__PeriodStatusRequest ps = TAMNONG__PERIOD_STATUS_REQUEST__INIT;
    ps.period_code = (char *)period;
    Tamnong__TaskBoardRequest tb = TAMNONG__TASK_BOARD_REQUEST__INIT;
    tb.period_code = (char *)period;
    Tamnong__TargetProgressRequest tp = TAMNONG__TARGET_PROGRESS_REQUEST__INIT;
    tp.period_code = (char *)period;
    Tamnong__ReportFeedbackRequest rf = TAMNONG__REPORT_FEEDBACK_REQUEST__INIT;
    rf.period_code = (char *)period;
    static const char *const methods[] = {"Ping", "PeriodStatus", "TaskBoard", "TargetProgress",
                                          "ReportFeedback"};
    const ProtobufCMessage *reqs[] = {&ping.base, &ps.base, &tb.base, &tp.base, &rf.base};
    for (size_t i = 0; i < 5; i++) {
        if (rpc_call(c, methods[i], reqs[i], &m->owned[i], st) < 0) {
            report_model_free(m);
            return -1;
        }
    }
    const Tamnong__PingResponse *p = (const Tamnong__PingResponse *)m->owned[0];
    m->issuer = p->agency ? p->agency->name : "";
    m->issuer_code = p->agency ? p->agency->code : "";
    m->generated_at_ms = p->server_time_ms;
    m->status = (const Tamnong__PeriodStatusResponse *)m->owned[1];
    m->board = (const Tamnong__TaskBoardResponse *)m->owned[2];
    m->progress = (const Tamnong__TargetProgressResponse *)m->owned[3];
    m->feedback = (const Tamnong__ReportFeedbackResponse *)m->owned[4];
    return 0;
}

void report_model_free(struct report_model *m)
{
    for (size_t i = 0; i < sizeof m->owned / sizeof m->owned[0]; i++)
        if (m->owned[i])
            protobuf_c_message_free_unpacked(m->owned[i], NULL);
    memset(m, 0, sizeof *m);
}

const Tamnong__PeriodInfo *report_period(const struct report_model *m)
{
    if (m->status && m->status->period)
        return m->status->period;
    if (m->progress && m->progress->period)
        return m->progress->period;
    if (m->board && m->board->period)
        return m->board->period;
    if (m->feedback && m->feedback->period)
        return m->feedback->period;
    return &empty_period;
}

static int section_cmp(const void *a, const void *b)
{
    return strverscmp(*(const char *const *)a, *(const char *const *)b);
}

const char **report_sections(const struct report_model *m, size_t *n)
{
    *n = 0;
    if (!m->board || m->board->n_rows == 0)
        return NULL;
    const char **v = malloc(m->board->n_rows * sizeof *v);
    if (!v)
        return NULL;
    for (size_t i = 0; i < m->board->n_rows; i++) {
        const Tamnong__TaskInfo *t = m->board->rows[i]->task;
        const char *s = t ? t->section : "";
        bool seen = false;
        for (size_t k = 0; k < *n && !seen; k++)
            seen = strcmp(v[k], s) == 0;
        if (!seen)
            v[(*n)++] = s;
    }
    qsort(v, *n, sizeof *v, section_cmp);
    return v;
}

const Tamnong__KindCount *report_total(const struct report_model *m)
{
    if (!m->status)
        return NULL;
    for (size_t i = 0; i < m->status->n_totals; i++)
        if (m->status->totals[i]->kind[0] == '\0')
            return m->status->totals[i];
    return NULL;
}

bool report_is_missing(const Tamnong__ReporterStatus *r)
{
    return strcmp(r->status, "missing") == 0;
}

bool report_is_late(const Tamnong__ReporterStatus *r)
{
    return !report_is_missing(r) && !r->on_time;
}

bool report_is_returned(const Tamnong__ReporterStatus *r)
{
    return strcmp(r->status, "returned") == 0;
}

const char *report_leads(const Tamnong__TaskInfo *t, char *buf, size_t len)
{
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; t && i < t->n_lead; i++) {
        const char *sep = i ? ", " : "";
        size_t need = strlen(sep) + strlen(t->lead[i]->name);
        if (o + need + 1 > len) {
            /* Whole names only: a cut one could end inside a character. */
            if (o + 4 + 1 <= len)
                memcpy(buf + o, "\xe2\x80\xa6", 4); /* "…" */
            break;
        }
        memcpy(buf + o, sep, strlen(sep));
        memcpy(buf + o + strlen(sep), t->lead[i]->name, strlen(t->lead[i]->name) + 1);
        o += need;
    }
    return buf;
}

size_t report_signed_count(const struct report_model *m)
{
    size_t n = 0;
    for (size_t i = 0; m->feedback && i < m->feedback->n_feedback; i++)
        if (m->feedback->feedback[i]->signer[0])
            n++;
    return n;
}
