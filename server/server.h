/* server: the one context tamnongd runs in, passed to every module instead
 * of globals: the loop, the configuration, the current TLS context, the
 * database pool, the operations port and the set of agency connections.
 * main.c owns its life cycle (start, SIGHUP reload, SIGTERM drain). */
#ifndef TAMNONG_SERVER_H
#define TAMNONG_SERVER_H

#include <stdbool.h>
#include <stdint.h>
#include <openssl/ssl.h>
#include <uv.h>

#include "srv_config.h"

struct conn;
struct db_pool;
struct listener;
struct ops_http;

struct server {
    uv_loop_t *loop;
    const struct srv_config *cfg;
    /* New connections take a reference (SSL_new) on the context current at
     * accept time, so SIGHUP can swap it without touching live ones. */
    SSL_CTX *ssl_ctx;
    struct db_pool *db;
    struct ops_http *ops;
    struct listener *listener;

    /* Every open agency connection (intrusive list, see conn.c). */
    struct conn *conns;
    long nconns;
    /* Calls handed to handlers and not answered yet, all connections. */
    long calls_inflight;
    /* SIGTERM received: refuse new requests with UNAVAILABLE. */
    bool draining;

    /* conn.c: one timer for every connection's timeouts. */
    uv_timer_t sweep;
    bool sweep_started;
    uint64_t last_reject_log_ms; /* rate limit of the max_connections log */
    unsigned long rejected_since_log;
};

#endif
