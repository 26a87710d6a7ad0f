/* ops_http: a tiny HTTP/1.1 listener for operators on a local port:
 * GET /healthz (200 "ok" only when PostgreSQL answers, else 503) and
 * GET /metrics (Prometheus text). One request per connection, bounded. */
#ifndef TAMNONG_OPS_HTTP_H
#define TAMNONG_OPS_HTTP_H

#include <uv.h>

#include "db.h"

struct ops_http;
struct ops_http *ops_http_start(uv_loop_t *loop, const char *address, int port, struct db_pool *db,
                                char *err, size_t errlen);
void ops_http_close(struct ops_http *o);

#endif
