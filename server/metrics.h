/* metrics: counters for /metrics (Prometheus text format). Updated on the
 * loop thread only, so plain integers suffice. */
#ifndef TAMNONG_METRICS_H
#define TAMNONG_METRICS_H

#include <stdint.h>
#include <stdio.h>

#include "db.h"

void metrics_conn_opened(void);
void metrics_conn_closed(void);
void metrics_conn_rejected(const char *reason); /* "max_connections", "tls", "frame", ... */
void metrics_request_done(uint32_t method_index, int status, uint64_t latency_us);
/* Write the whole exposition (including the pool's state) to out. */
void metrics_write(FILE *out, const struct db_pool *db);

#endif
