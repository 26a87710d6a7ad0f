/* metrics: tamnongd's counters and the Prometheus text exposition (format
 * 0.0.4) served on /metrics. Everything is a fixed-size array updated on the
 * loop thread: counting a request allocates nothing and takes no lock. */
#include "metrics.h"

#include <inttypes.h>
#include <string.h>

#include "status.h"
#include "tamnong.pb-c.h"

#define METRICS_MAX_METHODS 64 /* slot METRICS_MAX_METHODS counts unknown methods */
#define METRICS_MAX_STATUS  32 /* slot METRICS_MAX_STATUS counts unknown statuses */
#define METRICS_MAX_REASONS 16
#define METRICS_REASON_LEN  32

/* Upper bounds of the latency histogram, in microseconds. */
static const uint64_t bucket_us[] = {500,    1000,   2500,   5000,    10000,   25000,  50000,
                                     100000, 250000, 500000, 1000000, 2500000, 5000000};
#define N_BUCKETS (sizeof bucket_us / sizeof bucket_us[0])

static uint64_t conns_open;
static uint64_t conns_total;
static struct {
    char reason[METRICS_REASON_LEN];
    uint64_t count;
} rejected[METRICS_MAX_REASONS + 1]; /* the last slot is "other" */
static uint64_t requests[METRICS_MAX_METHODS + 1][METRICS_MAX_STATUS + 1];
static struct {
    uint64_t buckets[N_BUCKETS + 1]; /* the last is +Inf; not cumulative here */
    uint64_t sum_us;
    uint64_t count;
} latency[METRICS_MAX_METHODS + 1];

void metrics_conn_opened(void)
{
    conns_open++;
    conns_total++;
}

void metrics_conn_closed(void)
{
    if (conns_open > 0)
        conns_open--;
}

void metrics_conn_rejected(const char *reason)
{
    if (!reason || !*reason)
        reason = "other";
    for (int i = 0; i < METRICS_MAX_REASONS; i++) {
        if (!rejected[i].reason[0]) {
            snprintf(rejected[i].reason, sizeof rejected[i].reason, "%s", reason);
            rejected[i].count++;
            return;
        }
        if (strncmp(rejected[i].reason, reason, METRICS_REASON_LEN - 1) == 0) {
            rejected[i].count++;
            return;
        }
    }
    rejected[METRICS_MAX_REASONS].count++;
}

static unsigned method_slot(uint32_t method_index)
{
    if (method_index < tamnong__tamnong__descriptor.n_methods && method_index < METRICS_MAX_METHODS)
        return method_index;
    return METRICS_MAX_METHODS;
}

void metrics_request_done(uint32_t method_index, int status, uint64_t latency_us)
{
    unsigned m = method_slot(method_index);
    unsigned s = status >= 0 && status < METRICS_MAX_STATUS ? (unsigned)status : METRICS_MAX_STATUS;
    requests[m][s]++;
    unsigned b = 0;
    while (b < N_BUCKETS && latency_us > bucket_us[b])
        b++;
    latency[m].buckets[b]++;
    latency[m].sum_us += latency_us;
    latency[m].count++;
}

static const char *method_label(unsigned slot)
{
    return slot < METRICS_MAX_METHODS ? tamnong__tamnong__descriptor.methods[slot].name : "unknown";
}

/* A label value with \ " and newline escaped, as the format requires. */
static void put_label(FILE *out, const char *v)
{
    for (; *v; v++) {
        if (*v == '\\' || *v == '"')
            fputc('\\', out);
        if (*v == '\n')
            fputs("\\n", out);
        else
            fputc(*v, out);
    }
}

static void put_seconds(FILE *out, uint64_t us)
{
    fprintf(out, "%" PRIu64 ".%06" PRIu64, us / 1000000, us % 1000000);
}

static void write_requests(FILE *out)
{
    fputs("# HELP tamnong_requests_total Requests answered, by method and status.\n"
          "# TYPE tamnong_requests_total counter\n",
          out);
    for (unsigned m = 0; m <= METRICS_MAX_METHODS; m++) {
        for (unsigned s = 0; s <= METRICS_MAX_STATUS; s++) {
            if (!requests[m][s])
                continue;
            fputs("tamnong_requests_total{method=\"", out);
            put_label(out, method_label(m));
            fputs("\",status=\"", out);
            put_label(out, s < METRICS_MAX_STATUS ? status_name((int)s) : "UNKNOWN_STATUS");
            fprintf(out, "\"} %" PRIu64 "\n", requests[m][s]);
        }
    }

    fputs("# HELP tamnong_request_duration_seconds Time from a request's arrival to its "
          "answer.\n"
          "# TYPE tamnong_request_duration_seconds histogram\n",
          out);
    for (unsigned m = 0; m <= METRICS_MAX_METHODS; m++) {
        bool known = m < tamnong__tamnong__descriptor.n_methods && m < METRICS_MAX_METHODS;
        if (!known && !latency[m].count)
            continue;
        uint64_t cum = 0;
        for (unsigned b = 0; b <= N_BUCKETS; b++) {
            cum += latency[m].buckets[b];
            fputs("tamnong_request_duration_seconds_bucket{method=\"", out);
            put_label(out, method_label(m));
            fputs("\",le=\"", out);
            if (b < N_BUCKETS)
                put_seconds(out, bucket_us[b]);
            else
                fputs("+Inf", out);
            fprintf(out, "\"} %" PRIu64 "\n", cum);
        }
        fputs("tamnong_request_duration_seconds_sum{method=\"", out);
        put_label(out, method_label(m));
        fputs("\"} ", out);
        put_seconds(out, latency[m].sum_us);
        fputs("\ntamnong_request_duration_seconds_count{method=\"", out);
        put_label(out, method_label(m));
        fprintf(out, "\"} %" PRIu64 "\n", latency[m].count);
    }
}

void metrics_write(FILE *out, const struct db_pool *db)
{
    fprintf(out, "# HELP tamnong_build_info The running tamnongd's version.\n"
                 "# TYPE tamnong_build_info gauge\n"
                 "tamnong_build_info{version=\"");
    put_label(out, TAMNONG_VERSION);
    fprintf(out,
            "\"} 1\n"
            "# HELP tamnong_connections Client connections open now.\n"
            "# TYPE tamnong_connections gauge\n"
            "tamnong_connections %" PRIu64 "\n"
            "# HELP tamnong_connections_total Client connections accepted.\n"
            "# TYPE tamnong_connections_total counter\n"
            "tamnong_connections_total %" PRIu64 "\n"
            "# HELP tamnong_connections_rejected_total Client connections refused or closed "
            "for a fault, by reason.\n"
            "# TYPE tamnong_connections_rejected_total counter\n",
            conns_open, conns_total);
    for (int i = 0; i <= METRICS_MAX_REASONS; i++) {
        const char *reason = i < METRICS_MAX_REASONS ? rejected[i].reason : "other";
        if (!rejected[i].count)
            continue;
        fputs("tamnong_connections_rejected_total{reason=\"", out);
        put_label(out, reason);
        fprintf(out, "\"} %" PRIu64 "\n", rejected[i].count);
    }

    write_requests(out);

    struct db_pool_stats st;
    db_pool_get_stats(db, &st);
    fprintf(out,
            "# HELP tamnong_db_pool_size PostgreSQL connections configured.\n"
            "# TYPE tamnong_db_pool_size gauge\n"
            "tamnong_db_pool_size %d\n"
            "# HELP tamnong_db_pool_connected PostgreSQL connections ready.\n"
            "# TYPE tamnong_db_pool_connected gauge\n"
            "tamnong_db_pool_connected %d\n"
            "# HELP tamnong_db_pool_busy PostgreSQL connections running a statement.\n"
            "# TYPE tamnong_db_pool_busy gauge\n"
            "tamnong_db_pool_busy %d\n"
            "# HELP tamnong_db_pool_queued Requests waiting for a PostgreSQL connection.\n"
            "# TYPE tamnong_db_pool_queued gauge\n"
            "tamnong_db_pool_queued %d\n"
            "# HELP tamnong_db_reconnects_total PostgreSQL connections re-established after "
            "being lost.\n"
            "# TYPE tamnong_db_reconnects_total counter\n"
            "tamnong_db_reconnects_total %lu\n",
            st.size, st.connected, st.busy, st.queued, st.reconnects);
}
