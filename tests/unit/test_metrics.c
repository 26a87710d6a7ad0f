/* test_metrics: the Prometheus exposition of server/metrics.c: counters by
 * method and status, cumulative histogram buckets, label escaping, bounded
 * tables for unknown methods, statuses and too many rejection reasons. */
#include <stdlib.h>

#include "metrics.h"
#include "tamnong.pb-c.h"
#include "unit.h"

/* The whole exposition as a malloc'ed string. */
static char *render(void)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        abort();
    metrics_write(f, NULL);
    fclose(f);
    return text;
}

static int has_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = text; (p = strstr(p, line)); p++) {
        if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0'))
            return 1;
    }
    return 0;
}

#define CHECK_LINE(text, line)                                                                     \
    do {                                                                                           \
        if (!has_line((text), (line))) {                                                           \
            fprintf(stderr, "%s:%d: missing line \"%s\" in:\n%s\n", __FILE__, __LINE__, (line),    \
                    (text));                                                                       \
            unit_failures++;                                                                       \
            free(text);                                                                            \
            return;                                                                                \
        }                                                                                          \
    } while (0)

TEST(empty_exposition)
{
    char *t = render();
    CHECK_LINE(t, "tamnong_connections 0");
    CHECK_LINE(t, "tamnong_connections_total 0");
    CHECK_LINE(t, "# TYPE tamnong_requests_total counter");
    CHECK_LINE(t, "# TYPE tamnong_request_duration_seconds histogram");
    /* known methods always have a histogram, even before any request */
    CHECK_LINE(t, "tamnong_request_duration_seconds_bucket{method=\"Ping\",le=\"+Inf\"} 0");
    CHECK_LINE(t, "tamnong_request_duration_seconds_count{method=\"Ping\"} 0");
    CHECK_LINE(t, "tamnong_db_pool_size 0");
    CHECK_LINE(t, "tamnong_db_pool_connected 0");
    CHECK_LINE(t, "tamnong_db_reconnects_total 0");
    CHECK(!strstr(t, "tamnong_requests_total{"));
    free(t);
}

TEST(connections)
{
    metrics_conn_opened();
    metrics_conn_opened();
    metrics_conn_opened();
    metrics_conn_closed();
    metrics_conn_rejected("max_connections");
    metrics_conn_rejected("max_connections");
    metrics_conn_rejected("tls");
    metrics_conn_rejected("we\"ird\\name\n");
    char *t = render();
    CHECK_LINE(t, "tamnong_connections 2");
    CHECK_LINE(t, "tamnong_connections_total 3");
    CHECK_LINE(t, "tamnong_connections_rejected_total{reason=\"max_connections\"} 2");
    CHECK_LINE(t, "tamnong_connections_rejected_total{reason=\"tls\"} 1");
    CHECK_LINE(t, "tamnong_connections_rejected_total{reason=\"we\\\"ird\\\\name\\n\"} 1");
    free(t);
}

TEST(too_many_reasons_go_to_other)
{
    char reason[32];
    for (int i = 0; i < 40; i++) {
        snprintf(reason, sizeof reason, "r%d", i);
        metrics_conn_rejected(reason);
    }
    char *t = render();
    CHECK_LINE(t, "tamnong_connections_rejected_total{reason=\"r0\"} 1");
    CHECK(strstr(t, "tamnong_connections_rejected_total{reason=\"other\"}") != NULL);
    CHECK(strstr(t, "reason=\"r39\"") == NULL);
    free(t);
}

TEST(requests_and_histogram)
{
    metrics_request_done(0, TAMNONG__STATUS__OK, 400);              /* <= 0.0005 */
    metrics_request_done(0, TAMNONG__STATUS__OK, 500);              /* exactly on the bound */
    metrics_request_done(0, TAMNONG__STATUS__OK, 3000);             /* <= 0.005 */
    metrics_request_done(0, TAMNONG__STATUS__UNAVAILABLE, 7000000); /* +Inf only */
    metrics_request_done(999, TAMNONG__STATUS__UNIMPLEMENTED, 10);
    metrics_request_done(0, 12345, 10); /* <= 0.0005 too */
    char *t = render();
    CHECK_LINE(t, "tamnong_requests_total{method=\"Ping\",status=\"OK\"} 3");
    CHECK_LINE(t, "tamnong_requests_total{method=\"Ping\",status=\"UNAVAILABLE\"} 1");
    CHECK_LINE(t, "tamnong_requests_total{method=\"Ping\",status=\"UNKNOWN_STATUS\"} 1");
    CHECK_LINE(t, "tamnong_requests_total{method=\"unknown\",status=\"UNIMPLEMENTED\"} 1");
    CHECK_LINE(t, "tamnong_request_duration_seconds_bucket{method=\"Ping\",le=\"0.000500\"} 3");
    CHECK_LINE(t, "tamnong_request_duration_seconds_bucket{method=\"Ping\",le=\"0.001000\"} 3");
    CHECK_LINE(t, "tamnong_request_duration_seconds_bucket{method=\"Ping\",le=\"0.005000\"} 4");
    CHECK_LINE(t, "tamnong_request_duration_seconds_bucket{method=\"Ping\",le=\"5.000000\"} 4");
    CHECK_LINE(t, "tamnong_request_duration_seconds_bucket{method=\"Ping\",le=\"+Inf\"} 5");
    CHECK_LINE(t, "tamnong_request_duration_seconds_count{method=\"Ping\"} 5");
    CHECK_LINE(t, "tamnong_request_duration_seconds_sum{method=\"Ping\"} 7.003910");
    CHECK_LINE(t, "tamnong_request_duration_seconds_count{method=\"unknown\"} 1");
    free(t);
}

TEST(every_sample_line_is_well_formed)
{
    char *t = render();
    for (char *line = strtok(t, "\n"); line; line = strtok(NULL, "\n")) {
        if (line[0] == '#')
            continue;
        CHECK(strncmp(line, "tamnong_", 8) == 0);
        char *sp = strrchr(line, ' ');
        CHECK(sp && sp[1]);
        char *end;
        strtod(sp + 1, &end);
        CHECK(*end == '\0');
    }
    free(t);
}

UNIT_MAIN(T(empty_exposition), T(connections), T(too_many_reasons_go_to_other),
          T(requests_and_histogram), T(every_sample_line_is_well_formed))
