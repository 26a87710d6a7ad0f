/* conn: one agency connection: TCP from libuv, TLS through tls_stream, the
 * connection state machine, frames in, responses out, timeouts and
 * backpressure. Protocol decisions (what a frame means) are dispatch.c's.
 *
 * States, changed only by one transition function:
 *   HANDSHAKE -> IDENTIFYING -> READY -> CLOSING -> CLOSED
 *                      \-> REFUSED -> CLOSING
 * (any state may also go straight to CLOSED on a transport error).
 *
 * Lifetime: a connection is reference counted. Its socket holds one
 * reference, dropped in the libuv close callback; every callback into the
 * connection and every call in flight holds another. Memory is freed only
 * when the count reaches zero, so a handler may close its own connection. */
#ifndef TAMNONG_CONN_H
#define TAMNONG_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "auth.h"
#include "server.h"

struct conn;

/* Start (stop) the timer that enforces every connection's timeouts. */
int conn_sweep_start(struct server *srv) __attribute__((warn_unused_result));
void conn_sweep_stop(struct server *srv);

/* Accept one pending connection from the listening stream. Over
 * max_connections (or while draining) it is closed before any TLS. */
void conn_accept(struct server *srv, uv_stream_t *listener);

/* Close every connection gracefully (pending responses are flushed first). */
void conn_close_all(struct server *srv);

void conn_ref(struct conn *c);
void conn_unref(struct conn *c);

struct server *conn_server(const struct conn *c);
/* The identified agency (valid while the connection lives), or NULL. */
const struct agency_identity *conn_agency(const struct conn *c);
/* "192.0.2.1:50000" for logs. */
const char *conn_peer(const struct conn *c, char *buf, size_t len);
/* True until the connection starts closing: answers are still delivered. */
bool conn_is_open(const struct conn *c);

/* Queue one whole frame of n bytes: returns where to write it (exactly n
 * bytes, then conn_output_commit), or NULL when the connection no longer
 * takes answers (it is closing: the answer is dropped) or cannot buffer n
 * more bytes (it is then closed). */
uint8_t *conn_output_reserve(struct conn *c, size_t n);
/* The n bytes are written: send them, batched when inside a read burst. */
void conn_output_commit(struct conn *c, size_t n);

/* Bookkeeping of calls handed to handlers (in-flight cap, idle timeout,
 * drain). call_finished may resume reading a connection that hit the cap. */
void conn_call_started(struct conn *c);
void conn_call_finished(struct conn *c);

/* Close after the queued output is written (e.g. after a final error). */
void conn_close(struct conn *c, const char *why);

#endif
