/* conn: the agency connection (see conn.h): bytes from libuv into TLS, TLS
 * plaintext into frames, frames to dispatch, responses back through TLS to
 * libuv; plus the state machine, timeouts and backpressure.
 *
 * Memory per idle connection is a benchmark goal (<= 16 KiB of RSS with
 * OpenSSL's session), so the struct is small: socket reads land in one
 * buffer shared by all connections (libuv calls alloc and read back to
 * back), plaintext is decrypted into another shared buffer and only an
 * incomplete frame is copied into the connection, and one timer (the sweep)
 * serves the timeouts of every connection. */
#include "conn.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "dispatch.h"
#include "frame.h"
#include "log.h"
#include "metrics.h"
#include "status.h"
#include "tls_stream.h"
#include "tls_util.h"

enum conn_state {
    CONN_HANDSHAKE,   /* TLS handshake running */
    CONN_IDENTIFYING, /* certificate verified; waiting for auth_identify */
    CONN_READY,       /* agency identified: requests are served */
    CONN_REFUSED,     /* identification failed: requests are answered with an error */
    CONN_CLOSING,     /* flushing the last output, then FIN, then reading until EOF */
    CONN_CLOSED,      /* uv_close called; freed when the last reference goes */
};

static const char *const state_names[] = {"handshake", "identifying", "ready",
                                          "refused",   "closing",     "closed"};

/* Allowed transitions, one bit per target state. */
#define BIT(s) (1u << (s))
static const unsigned allowed[] = {
    [CONN_HANDSHAKE] = BIT(CONN_IDENTIFYING) | BIT(CONN_CLOSING) | BIT(CONN_CLOSED),
    [CONN_IDENTIFYING] = BIT(CONN_READY) | BIT(CONN_REFUSED) | BIT(CONN_CLOSING) | BIT(CONN_CLOSED),
    [CONN_READY] = BIT(CONN_CLOSING) | BIT(CONN_CLOSED),
    [CONN_REFUSED] = BIT(CONN_CLOSING) | BIT(CONN_CLOSED),
    [CONN_CLOSING] = BIT(CONN_CLOSED),
    [CONN_CLOSED] = 0,
};

/* A closing connection gets this long to flush and see the peer's EOF. */
#define CLOSE_LINGER_MS 2000
/* Empty buffers of a connection quiet for this long are given back. */
#define IDLE_TRIM_MS 500
/* Responses batched inside one pump() before they are encrypted and sent. */
#define OUT_BATCH_MAX  (64 * 1024)
#define READ_BUF_SIZE  (64 * 1024)
#define PLAIN_BUF_SIZE (16 * 1024)

struct conn {
    uv_tcp_t tcp; /* tcp.data == this */
    struct server *srv;
    struct conn *prev, *next; /* srv->conns, while not CLOSED */
    struct tls_stream tls;
    struct buf in;  /* plaintext of an incomplete frame (or pre-identification input) */
    struct buf out; /* encoded responses not yet encrypted */
    struct agency_identity *who;
    uint64_t since_ms;      /* accept, entering REFUSED or CLOSING: start of that timeout */
    uint64_t last_read_ms;  /* bytes last read from the socket */
    uint64_t last_write_ms; /* last write progress (or start of waiting for it) */
    int refs;
    int inflight; /* calls handed to handlers */
    uint8_t state;
    uint8_t refuse_status;
    unsigned revoked_gen; /* auth_is_revoked's counter */
    bool reading;         /* uv_read_start active */
    bool in_pump;         /* inside pump(): defer flushes and nested pumps */
    bool paused;          /* max_inflight reached: frames stay unread */
    bool write_blocked;   /* write queue above max_write_queue: socket not read */
    bool refused_answered;
    bool shutdown_sent;
};

struct write_req {
    uv_write_t req;
    struct conn *conn;
    size_t len;
    char data[];
};

/* Shared scratch: single loop thread, and none is used across a callback. */
static char read_buf[READ_BUF_SIZE];
static uint8_t plain_buf[PLAIN_BUF_SIZE];
static char out_buf[READ_BUF_SIZE];

static void pump(struct conn *c);
static void flush(struct conn *c);
static void abort_conn(struct conn *c, const char *why);
static void update_reading(struct conn *c);

static uint64_t now_ms(const struct conn *c)
{
    return uv_now(c->srv->loop);
}

static void transition(struct conn *c, enum conn_state to)
{
    assert(c->state <= CONN_CLOSED && (allowed[c->state] & BIT(to)));
    log_debug("connection %p: %s -> %s", (void *)c, state_names[c->state], state_names[to]);
    c->state = (uint8_t)to;
}

static bool accepts_input(const struct conn *c)
{
    return c->state <= CONN_REFUSED;
}

void conn_ref(struct conn *c)
{
    c->refs++;
}

static void conn_free(struct conn *c)
{
    tls_stream_free(&c->tls);
    buf_free(&c->in);
    buf_free(&c->out);
    free(c->who);
    free(c);
}

void conn_unref(struct conn *c)
{
    assert(c->refs > 0);
    if (--c->refs == 0)
        conn_free(c);
}

struct server *conn_server(const struct conn *c)
{
    return c->srv;
}

const struct agency_identity *conn_agency(const struct conn *c)
{
    return c->state == CONN_READY || c->state >= CONN_CLOSING ? c->who : NULL;
}

bool conn_is_open(const struct conn *c)
{
    return c->state == CONN_READY || c->state == CONN_REFUSED;
}

const char *conn_peer(const struct conn *c, char *buf, size_t len)
{
    struct sockaddr_storage ss;
    int n = sizeof ss;
    char ip[64];
    if (c->state == CONN_CLOSED || uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &n) != 0 ||
        uv_ip_name((struct sockaddr *)&ss, ip, sizeof ip) != 0) {
        snprintf(buf, len, "?");
        return buf;
    }
    if (ss.ss_family == AF_INET6)
        snprintf(buf, len, "[%s]:%u", ip, ntohs(((struct sockaddr_in6 *)&ss)->sin6_port));
    else
        snprintf(buf, len, "%s:%u", ip, ntohs(((struct sockaddr_in *)&ss)->sin_port));
    return buf;
}

/* --- closing ---------------------------------------------------------------- */

static void on_close(uv_handle_t *h)
{
    conn_unref(h->data); /* the socket's reference */
}

static void unlink_conn(struct conn *c)
{
    struct server *srv = c->srv;
    if (c->prev)
        c->prev->next = c->next;
    else
        srv->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->prev = c->next = NULL;
    srv->nconns--;
    metrics_conn_closed();
}

/* Close the socket now, dropping whatever is queued. */
static void abort_conn(struct conn *c, const char *why)
{
    if (c->state == CONN_CLOSED)
        return;
    log_debug("connection %p closed: %s", (void *)c, why);
    transition(c, CONN_CLOSED);
    unlink_conn(c);
    c->reading = false;
    uv_close((uv_handle_t *)&c->tcp, on_close);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
    struct conn *c = req->data;
    free(req);
    if (status < 0)
        abort_conn(c, uv_strerror(status)); /* typically the peer closed first */
    /* Otherwise keep reading (and discarding) until the peer's EOF, so that
     * unread input does not turn our close into a reset that could destroy
     * the answer we just sent. */
    conn_unref(c);
}

/* CLOSING and everything written: send FIN. */
static void maybe_shutdown(struct conn *c)
{
    if (c->state != CONN_CLOSING || c->shutdown_sent ||
        uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp) > 0)
        return;
    c->shutdown_sent = true;
    uv_shutdown_t *req = malloc(sizeof *req);
    if (!req) {
        abort_conn(c, "out of memory");
        return;
    }
    req->data = c;
    conn_ref(c);
    if (uv_shutdown(req, (uv_stream_t *)&c->tcp, on_shutdown) != 0) {
        free(req);
        conn_unref(c);
        abort_conn(c, "shutdown failed");
    }
}

void conn_close(struct conn *c, const char *why)
{
    if (c->state >= CONN_CLOSING)
        return;
    log_debug("connection %p closing: %s", (void *)c, why);
    flush(c); /* answers already produced still go out */
    if (c->state >= CONN_CLOSING)
        return;
    transition(c, CONN_CLOSING);
    c->since_ms = now_ms(c);
    tls_stream_shutdown(&c->tls);
    flush(c);
    buf_free(&c->in);
    update_reading(c);
    maybe_shutdown(c);
}

void conn_close_all(struct server *srv)
{
    struct conn *c = srv->conns, *next;
    for (; c; c = next) {
        next = c->next;
        conn_ref(c);
        conn_close(c, "server shutting down");
        conn_unref(c);
    }
}

/* --- output ------------------------------------------------------------------ */

static void on_write(uv_write_t *req, int status)
{
    struct write_req *wr = (struct write_req *)req;
    struct conn *c = wr->conn;
    free(wr);
    if (c->state == CONN_CLOSED)
        goto out;
    if (status < 0) {
        abort_conn(c, uv_strerror(status));
        goto out;
    }
    c->last_write_ms = now_ms(c);
    size_t queued = uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp);
    if (c->write_blocked && queued <= c->srv->cfg->max_write_queue / 2) {
        c->write_blocked = false;
        update_reading(c);
    }
    maybe_shutdown(c);
out:
    conn_unref(c);
}

/* Queue len bytes of ciphertext with uv_write (copying them). */
static int queue_write(struct conn *c, const char *data, size_t len)
{
    struct write_req *wr = malloc(sizeof *wr + len);
    if (!wr)
        return -ENOMEM;
    memcpy(wr->data, data, len);
    wr->conn = c;
    wr->len = len;
    uv_buf_t b = uv_buf_init(wr->data, (unsigned)len);
    if (uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp) == 0)
        c->last_write_ms = now_ms(c); /* the stall clock starts now */
    int rc = uv_write(&wr->req, (uv_stream_t *)&c->tcp, &b, 1, on_write);
    if (rc < 0) {
        free(wr);
        return rc;
    }
    conn_ref(c);
    return 0;
}

/* Move TLS output to the socket: try_write first (no copy, no allocation),
 * uv_write for what the kernel did not take. */
static void send_tls_output(struct conn *c)
{
    size_t pending;
    while (c->state != CONN_CLOSED && (pending = tls_stream_output_pending(&c->tls)) > 0) {
        size_t n = tls_stream_take_output(&c->tls, out_buf, sizeof out_buf);
        if (n == 0)
            break;
        size_t done = 0;
        if (uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp) == 0) {
            uv_buf_t b = uv_buf_init(out_buf, (unsigned)n);
            int w = uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
            if (w >= 0)
                done = (size_t)w;
            else if (w != UV_EAGAIN) {
                abort_conn(c, uv_strerror(w));
                return;
            }
        }
        if (done < n) {
            int rc = queue_write(c, out_buf + done, n - done);
            if (rc < 0) {
                abort_conn(c, uv_strerror(rc));
                return;
            }
        }
    }
    if (c->state != CONN_CLOSED && !c->write_blocked &&
        uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp) > c->srv->cfg->max_write_queue) {
        /* The peer does not read: stop reading its requests until it does. */
        c->write_blocked = true;
        update_reading(c);
    }
}

/* Encrypt the queued responses and send everything TLS has to say. */
static void flush(struct conn *c)
{
    if (c->state == CONN_CLOSED)
        return;
    if (c->out.len > 0) {
        int rc = tls_stream_write(&c->tls, c->out.data, c->out.len);
        c->out.len = 0;
        buf_shrink_if_empty(&c->out);
        if (rc < 0) {
            abort_conn(c, "TLS write failed");
            return;
        }
    }
    send_tls_output(c);
}

uint8_t *conn_output_reserve(struct conn *c, size_t n)
{
    if (!conn_is_open(c))
        return NULL;
    int rc = buf_reserve(&c->out, n);
    if (rc < 0) {
        char peer[80];
        log_warning("dropping connection from %s: cannot queue a response of %zu bytes (%s)",
                    conn_peer(c, peer, sizeof peer), n, strerror(-rc));
        abort_conn(c, "output buffer full");
        return NULL;
    }
    return c->out.data + c->out.len;
}

void conn_output_commit(struct conn *c, size_t n)
{
    c->out.len += n;
    /* Inside pump() answers are batched into one TLS write at the end;
     * a large batch goes out early so c->out stays small. */
    if (!c->in_pump || c->out.len >= OUT_BATCH_MAX)
        flush(c);
}

/* --- input -------------------------------------------------------------------- */

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
    *b = uv_buf_init(read_buf, sizeof read_buf);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *b);

/* Read the socket unless backpressure says not to; while CLOSING, read and
 * discard until EOF. */
static void update_reading(struct conn *c)
{
    if (c->state == CONN_CLOSED)
        return;
    bool want =
        c->state == CONN_CLOSING || (!c->paused && !c->write_blocked &&
                                     !(c->state == CONN_IDENTIFYING && c->in.len >= c->in.max));
    if (want == c->reading)
        return;
    if (want) {
        int rc = uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
        if (rc < 0) {
            abort_conn(c, uv_strerror(rc));
            return;
        }
    } else {
        uv_read_stop((uv_stream_t *)&c->tcp);
    }
    c->reading = want;
}

static void handshake_failed(struct conn *c, int rc)
{
    char peer[80], err[256];
    conn_peer(c, peer, sizeof peer);
    const struct tls_verify_failure *f = tls_stream_verify_failure(&c->tls);
    if (f) {
        log_warning("refused client certificate from %s: %s (depth %d); certificate sha256 %s, "
                    "subject %s",
                    peer, f->reason, f->depth, f->fingerprint, f->subject);
        metrics_conn_rejected("certificate");
    } else if (rc == -EACCES) {
        tls_stream_last_error(err, sizeof err);
        log_warning("refused client from %s: no client certificate (%s)", peer, err);
        metrics_conn_rejected("certificate");
    } else {
        log_notice("TLS handshake with %s failed: %s", peer,
                   tls_stream_last_error(err, sizeof err));
        metrics_conn_rejected("tls");
    }
    conn_close(c, "handshake failed"); /* sends our alert */
}

static void refusal_audited(void *data, int status, const PGresult *res, const char *errmsg)
{
    (void)data;
    (void)res;
    if (status != TAMNONG__STATUS__OK)
        log_error("AUDIT ROW NOT WRITTEN for a refused certificate: %s",
                  errmsg ? errmsg : "database unavailable");
}

/* A certificate of the province CA that no agency owns is a denial too: one
 * audit row (method "Connect") with its fingerprint. The connection does not
 * wait for it (db.c copies the values). */
static void audit_refused_certificate(struct conn *c)
{
    const char *values[] = {NULL, NULL, c->who->fingerprint, "Connect", NULL, "UNAUTHENTICATED",
                            NULL};
    struct db_actor nobody = {0, false};
    db_query(c->srv->db, &nobody, SQL_AUDIT_APPEND, 7, values, refusal_audited, NULL);
}

static void on_identified(void *data, int status, const struct agency_identity *who)
{
    struct conn *c = data;
    char peer[80];
    if (c->state != CONN_IDENTIFYING)
        goto out; /* closed meanwhile */
    conn_peer(c, peer, sizeof peer);
    if (status == TAMNONG__STATUS__OK && who) {
        c->who->id = who->id;
        snprintf(c->who->code, sizeof c->who->code, "%s", who->code);
        snprintf(c->who->name, sizeof c->who->name, "%s", who->name);
        c->who->operator_cert = who->operator_cert;
        c->who->standing = who->standing;
        transition(c, CONN_READY);
        c->in.max = c->srv->cfg->max_frame + FRAME_HEADER_SIZE + PLAIN_BUF_SIZE;
        log_info("agency %s connected from %s (%s, %s)", c->who->code, peer,
                 tls_stream_version(&c->tls), tls_stream_cipher(&c->tls));
    } else {
        if (status == TAMNONG__STATUS__UNAUTHENTICATED) {
            log_warning("refused client from %s: certificate sha256 %s is not registered to any "
                        "agency",
                        peer, c->who->fingerprint);
            metrics_conn_rejected("unregistered");
            audit_refused_certificate(c);
        } else {
            log_notice("cannot identify the client from %s: %s; refusing its requests", peer,
                       status_name(status));
            status = TAMNONG__STATUS__UNAVAILABLE;
        }
        transition(c, CONN_REFUSED);
        c->refuse_status = (uint8_t)status;
        c->since_ms = now_ms(c); /* a fresh handshake_timeout to send its request */
    }
    pump(c);
out:
    conn_unref(c);
}

static void handshake_done(struct conn *c)
{
    char peer[80];
    X509 *cert = tls_stream_peer_cert(&c->tls);
    c->who = calloc(1, sizeof *c->who);
    if (!c->who || !cert || tls_cert_fingerprint(cert, c->who->fingerprint) < 0) {
        log_error("connection from %s: cannot read the client certificate",
                  conn_peer(c, peer, sizeof peer));
        conn_close(c, "no certificate");
        return;
    }
    transition(c, CONN_IDENTIFYING);
    tls_stream_trim(&c->tls); /* the handshake flights are done with */
    c->in.max = c->srv->cfg->preauth_max_frame + FRAME_HEADER_SIZE;
    log_debug("TLS handshake done with %s (%s, %s), certificate sha256 %s",
              conn_peer(c, peer, sizeof peer), tls_stream_version(&c->tls),
              tls_stream_cipher(&c->tls), c->who->fingerprint);
    conn_ref(c);
    auth_identify(c->srv->db, c->who->fingerprint, on_identified, c);
}

static const char *const refuse_messages[] = {
    [TAMNONG__STATUS__UNAUTHENTICATED] =
        "this agency certificate is not registered; ask the operator to register it",
    [TAMNONG__STATUS__UNAVAILABLE] =
        "the server cannot check your certificate right now; try again shortly",
};

/* Serve (READY) or refuse (REFUSED) every complete frame in c->in. */
static void process_frames(struct conn *c)
{
    size_t off = 0;
    const struct srv_config *cfg = c->srv->cfg;
    uint64_t now_ns = 0; /* one clock read per burst: requests arrived together */
    while (c->state == CONN_READY || c->state == CONN_REFUSED) {
        if (c->state == CONN_READY && c->inflight >= cfg->max_inflight) {
            c->paused = true; /* backpressure: the rest waits for a call to finish */
            break;
        }
        const uint8_t *payload;
        uint32_t plen;
        size_t used;
        size_t limit = c->state == CONN_READY ? cfg->max_frame : cfg->preauth_max_frame;
        enum frame_result r =
            frame_parse(c->in.data + off, c->in.len - off, (uint32_t)limit, &payload, &plen, &used);
        if (r == FRAME_NEED_MORE)
            break;
        if (r == FRAME_ERROR) {
            char peer[80];
            log_notice("closing connection from %s: frame of %u bytes (limit %zu)",
                       conn_peer(c, peer, sizeof peer), plen, limit);
            metrics_conn_rejected("frame");
            conn_close(c, "bad frame");
            return;
        }
        int rc;
        if (c->state == CONN_READY && auth_is_revoked(c->who->fingerprint, &c->revoked_gen)) {
            char peer[80];
            log_warning("agency %s from %s: certificate sha256 %s was revoked; its request is "
                        "refused and the connection closed",
                        c->who->code, conn_peer(c, peer, sizeof peer), c->who->fingerprint);
            metrics_conn_rejected("revoked");
            (void)dispatch_refuse(c, payload, plen, TAMNONG__STATUS__UNAUTHENTICATED,
                                  "this agency certificate was revoked; ask the operator for a "
                                  "new one");
            conn_close(c, "certificate revoked");
            return;
        }
        if (c->state == CONN_READY) {
            if (!now_ns)
                now_ns = uv_hrtime();
            rc = dispatch_frame(c, payload, plen, now_ns);
        } else {
            rc = dispatch_refuse(c, payload, plen, c->refuse_status,
                                 refuse_messages[c->refuse_status]);
            c->refused_answered = true;
        }
        off += used;
        if (rc < 0) {
            char peer[80];
            log_notice("closing connection from %s: a frame is not a valid request envelope",
                       conn_peer(c, peer, sizeof peer));
            metrics_conn_rejected("protocol");
            conn_close(c, "bad envelope");
            return;
        }
    }
    if (c->state < CONN_CLOSING)
        buf_consume(&c->in, off);
    if (c->state == CONN_REFUSED && c->refused_answered)
        conn_close(c, "refused");
}

/* Drive TLS and frames as far as the input allows. */
static void pump(struct conn *c)
{
    if (c->in_pump)
        return;
    c->in_pump = true;
    while (accepts_input(c)) {
        if (c->state == CONN_HANDSHAKE) {
            int rc = tls_stream_handshake(&c->tls);
            if (rc == 0)
                break;
            if (rc < 0) {
                c->in_pump = false;
                handshake_failed(c, rc);
                return;
            }
            handshake_done(c);
            continue;
        }
        if (c->state != CONN_IDENTIFYING) {
            process_frames(c);
            if (!accepts_input(c) || c->paused)
                break;
        }
        /* Never decrypt more than c->in may hold: before identification
         * that is the pre-identification budget, and a full budget simply
         * stops reading (the handshake timeout bounds the wait). */
        size_t room = c->in.max - c->in.len;
        if (room == 0)
            break;
        ssize_t n =
            tls_stream_read(&c->tls, plain_buf, room < sizeof plain_buf ? room : sizeof plain_buf);
        if (n == 0)
            break;
        if (n < 0) {
            char peer[80], err[256];
            if (n == -EPIPE)
                conn_close(c, "peer closed TLS");
            else {
                log_notice("TLS error from %s: %s", conn_peer(c, peer, sizeof peer),
                           tls_stream_last_error(err, sizeof err));
                conn_close(c, "TLS error");
            }
            break;
        }
        int rc = buf_append(&c->in, plain_buf, (size_t)n);
        if (rc < 0) {
            char peer[80];
            log_error("closing connection from %s: cannot buffer its input (%s)",
                      conn_peer(c, peer, sizeof peer), strerror(-rc));
            conn_close(c, "out of memory");
            break;
        }
    }
    c->in_pump = false;
    flush(c);
    if (c->state == CONN_IDENTIFYING || c->state == CONN_READY || c->state == CONN_REFUSED)
        tls_stream_release_buffers(&c->tls);
    if (c->state == CONN_READY || c->state == CONN_REFUSED)
        buf_shrink_if_empty(&c->in);
    update_reading(c);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
    struct conn *c = s->data;
    conn_ref(c);
    if (nread > 0) {
        c->last_read_ms = now_ms(c);
        if (accepts_input(c)) {
            if (tls_stream_feed(&c->tls, b->base, (size_t)nread) < 0)
                abort_conn(c, "out of memory");
            else
                pump(c);
        }
        /* CLOSING: discarded while we wait for EOF. */
    } else if (nread < 0) {
        if (nread != UV_EOF && c->state < CONN_CLOSING) {
            char peer[80];
            log_info("connection from %s: %s", conn_peer(c, peer, sizeof peer),
                     uv_strerror((int)nread));
        }
        abort_conn(c, nread == UV_EOF ? "EOF" : uv_strerror((int)nread));
    }
    conn_unref(c);
}

/* --- calls --------------------------------------------------------------------- */

void conn_call_started(struct conn *c)
{
    c->inflight++;
    c->srv->calls_inflight++;
}

void conn_call_finished(struct conn *c)
{
    c->inflight--;
    c->srv->calls_inflight--;
    if (c->paused && c->inflight < c->srv->cfg->max_inflight) {
        c->paused = false;
        if (!c->in_pump && accepts_input(c))
            pump(c); /* frames left in c->in or inside TLS */
    }
}

/* --- accept -------------------------------------------------------------------- */

static void on_reject_close(uv_handle_t *h)
{
    free(h);
}

static void reject(struct server *srv, uv_stream_t *listener)
{
    uv_tcp_t *t = malloc(sizeof *t);
    if (!t)
        return; /* libuv retries the accept later */
    uv_tcp_init(srv->loop, t);
    if (uv_accept(listener, (uv_stream_t *)t) == 0) {
        metrics_conn_rejected("max_connections");
        srv->rejected_since_log++;
        uint64_t now = uv_now(srv->loop);
        if (now - srv->last_reject_log_ms >= 1000) {
            log_warning("connection limit %ld reached: refused %lu connection(s)",
                        srv->cfg->max_connections, srv->rejected_since_log);
            srv->last_reject_log_ms = now;
            srv->rejected_since_log = 0;
        }
    }
    uv_close((uv_handle_t *)t, on_reject_close);
}

void conn_accept(struct server *srv, uv_stream_t *listener)
{
    if (srv->draining || srv->nconns >= srv->cfg->max_connections) {
        reject(srv, listener);
        return;
    }
    struct conn *c = calloc(1, sizeof *c);
    if (!c) {
        reject(srv, listener);
        return;
    }
    c->srv = srv;
    c->refs = 1; /* the socket's */
    c->state = CONN_HANDSHAKE;
    uv_tcp_init(srv->loop, &c->tcp);
    c->tcp.data = c;
    buf_init(&c->in, srv->cfg->preauth_max_frame + FRAME_HEADER_SIZE);
    buf_init(&c->out, srv->cfg->max_write_queue + srv->cfg->max_frame + 256);
    c->since_ms = c->last_read_ms = c->last_write_ms = uv_now(srv->loop);
    c->next = srv->conns;
    if (srv->conns)
        srv->conns->prev = c;
    srv->conns = c;
    srv->nconns++;
    metrics_conn_opened();

    int rc = uv_accept(listener, (uv_stream_t *)&c->tcp);
    if (rc < 0) {
        log_warning("accept: %s", uv_strerror(rc));
        abort_conn(c, "accept failed");
        return;
    }
    if (tls_stream_init(&c->tls, srv->ssl_ctx) < 0) {
        log_error("accept: out of memory for a TLS session");
        abort_conn(c, "out of memory");
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    update_reading(c);
}

/* --- timeouts ------------------------------------------------------------------ */

static void sweep_one(struct conn *c, uint64_t now)
{
    const struct srv_config *cfg = c->srv->cfg;
    char peer[80];
    switch ((enum conn_state)c->state) {
    case CONN_HANDSHAKE:
    case CONN_IDENTIFYING:
    case CONN_REFUSED:
        if (now - c->since_ms >= (uint64_t)cfg->handshake_timeout_ms) {
            log_info("closing connection from %s: %s not done within %ld ms",
                     conn_peer(c, peer, sizeof peer),
                     c->state == CONN_HANDSHAKE ? "TLS handshake" : "identification",
                     cfg->handshake_timeout_ms);
            metrics_conn_rejected("handshake_timeout");
            abort_conn(c, "handshake timeout");
        }
        break;
    case CONN_READY: {
        size_t queued = uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp);
        if (queued > 0 && now - c->last_write_ms >= (uint64_t)cfg->idle_timeout_ms) {
            log_notice("closing connection from %s: it has not read its answers for %ld ms "
                       "(%zu bytes waiting)",
                       conn_peer(c, peer, sizeof peer), cfg->idle_timeout_ms, queued);
            abort_conn(c, "write stalled");
        } else if (c->inflight == 0 && now - c->last_read_ms >= (uint64_t)cfg->idle_timeout_ms) {
            log_info("closing idle connection of agency %s from %s", c->who->code,
                     conn_peer(c, peer, sizeof peer));
            conn_close(c, "idle");
        } else if (queued == 0 && c->inflight == 0 && now - c->last_read_ms >= IDLE_TRIM_MS) {
            if (c->in.len == 0)
                buf_free(&c->in);
            if (c->out.len == 0)
                buf_free(&c->out);
            tls_stream_trim(&c->tls);
        }
        break;
    }
    case CONN_CLOSING:
        if (now - c->since_ms >= CLOSE_LINGER_MS)
            abort_conn(c, "linger timeout");
        break;
    case CONN_CLOSED:
        break;
    }
}

static void on_sweep(uv_timer_t *t)
{
    struct server *srv = t->data;
    uint64_t now = uv_now(srv->loop);
    struct conn *c = srv->conns, *next;
    for (; c; c = next) {
        next = c->next; /* sweep_one never touches other connections */
        sweep_one(c, now);
    }
}

int conn_sweep_start(struct server *srv)
{
    const struct srv_config *cfg = srv->cfg;
    long every = 1000;
    if (cfg->handshake_timeout_ms / 4 < every)
        every = cfg->handshake_timeout_ms / 4;
    if (cfg->idle_timeout_ms / 4 < every)
        every = cfg->idle_timeout_ms / 4;
    if (every < 25)
        every = 25;
    int rc = uv_timer_init(srv->loop, &srv->sweep);
    if (rc < 0)
        return rc;
    srv->sweep.data = srv;
    srv->sweep_started = true;
    return uv_timer_start(&srv->sweep, on_sweep, (uint64_t)every, (uint64_t)every);
}

void conn_sweep_stop(struct server *srv)
{
    if (!srv->sweep_started)
        return;
    srv->sweep_started = false;
    uv_close((uv_handle_t *)&srv->sweep, NULL);
}
