/* loadgen: the load generator of `make bench` (bench/run.sh). Opens N mutual-
 * TLS connections to a server on loopback (non-blocking OpenSSL sockets, one
 * epoll loop per thread), keeps P pipelined Ping requests in flight on each,
 * records each request's latency (send -> response, matched by id) in a
 * histogram and reports requests/s, p50, p99 and errors. Modes: ping
 * (throughput), idle (hold connections open for memory measurements) and
 * handshake (full TLS 1.3 handshakes, no resumption) and submit (6-month
 * report revisions, SubmitRequest built from a report file, each connection
 * as its own agency with its own certificate, a fresh request UUID each).
 * `--proto redis` speaks RESP PING instead, so the same client can measure
 * the Redis yardstick.
 * Always bounded in time, and it refuses any address outside loopback. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include "buf.h"
#include "envelope.h"
#include "frame.h"
#include "status.h"
#include "tamnong.pb-c.h"

/* ---- options ---------------------------------------------------------------- */

enum mode { MODE_PING, MODE_IDLE, MODE_HANDSHAKE, MODE_SUBMIT };
enum proto { PROTO_TAMNONG, PROTO_REDIS };

#define MAX_DURATION_S  600.0
#define MAX_CONNECTIONS 100000
#define MAX_PIPELINE    4096
#define MAX_THREADS     64
#define READ_CHUNK      (64 * 1024)
#define CONN_INPUT_MAX  (8u * 1024 * 1024)
#define HIST_SUB_BITS   6
#define HIST_SUB        (1u << HIST_SUB_BITS)
#define HIST_BUCKETS    (HIST_SUB + (64 - HIST_SUB_BITS) * HIST_SUB)
#define REDIS_PING      "*1\r\n$4\r\nPING\r\n"
#define REDIS_PING_LEN  (sizeof(REDIS_PING) - 1)
#define NS_PER_S        1000000000ull
#define METHOD_PING     0 /* method indexes of service Tamnong (proto order) */
#define METHOD_SUBMIT   10
#define MAX_AGENCIES    MAX_CONNECTIONS

static struct {
    enum mode mode;
    enum proto proto;
    const char *host;
    const char *port;
    const char *ca, *cert, *key, *servername;
    int connections;
    int pipeline;
    int threads;
    double duration; /* seconds of measurement (ping, handshake) */
    double warmup;   /* seconds before the measurement window */
    double hold;     /* idle: seconds to hold */
    double timeout;  /* hard cap on the whole run */
    uint64_t count;  /* requests (ping) or handshakes; 0 = use duration */
    int concurrency; /* idle: handshakes in progress at once */
    bool json;
    bool quiet;
    bool pipeline_set;
    const char *report;   /* submit: the report file */
    const char *agencies; /* submit: agency codes, one a line */
    const char *cert_dir; /* submit: CODE.pem and CODE.key of each agency */
} opt = {
    .mode = MODE_PING,
    .proto = PROTO_TAMNONG,
    .host = "127.0.0.1",
    .port = "7443",
    .connections = 4,
    .pipeline = 4,
    .threads = 1,
    .duration = 10,
    .warmup = 1,
    .hold = 60,
    .timeout = 0,
    .concurrency = 64,
};

static struct sockaddr_storage target;
static socklen_t target_len;
static SSL_CTX *ssl_ctx;
static uint8_t ping_payload[16];
static size_t ping_payload_len;

/* submit mode: the report (request_uuid filled per request) and one client
 * certificate and key per connection */
static Tamnong__SubmitRequest submit_tmpl = TAMNONG__SUBMIT_REQUEST__INIT;
struct agency_cred {
    X509 *cert;
    EVP_PKEY *key;
};
static struct agency_cred *creds;
static int ncreds;

static atomic_int stop_all;    /* set by main: every thread winds down */
static atomic_int idle_up;     /* idle: connections up (handshake + one ping) */
static atomic_int idle_failed; /* idle: connections that could not be set up */
static volatile sig_atomic_t got_signal;
static char first_error[256]; /* first error seen (for the report) */
static pthread_mutex_t error_lock = PTHREAD_MUTEX_INITIALIZER;

/* ---- small helpers -------------------------------------------------------- */

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

static void note_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note_error(const char *fmt, ...)
{
    pthread_mutex_lock(&error_lock);
    if (!first_error[0]) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(first_error, sizeof first_error, fmt, ap);
        va_end(ap);
    }
    pthread_mutex_unlock(&error_lock);
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("loadgen: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(2);
}

static const char *ssl_err_text(void)
{
    static _Thread_local char text[160];
    unsigned long e = ERR_get_error();
    if (!e)
        return "no OpenSSL error queued";
    ERR_error_string_n(e, text, sizeof text);
    ERR_clear_error();
    return text;
}

/* ---- latency histogram (log-linear, ~1.6 % resolution) --------------------- */

struct hist {
    uint64_t n[HIST_BUCKETS];
    uint64_t total;
    uint64_t max;
};

static unsigned hist_index(uint64_t v)
{
    if (v < HIST_SUB)
        return (unsigned)v;
    unsigned m = 63u - (unsigned)__builtin_clzll(v); /* >= HIST_SUB_BITS */
    unsigned sub = (unsigned)((v >> (m - HIST_SUB_BITS)) & (HIST_SUB - 1));
    return HIST_SUB + (m - HIST_SUB_BITS) * HIST_SUB + sub;
}

static uint64_t hist_value(unsigned idx)
{
    if (idx < HIST_SUB)
        return idx;
    unsigned m = (idx - HIST_SUB) / HIST_SUB + HIST_SUB_BITS;
    uint64_t sub = (idx - HIST_SUB) % HIST_SUB;
    uint64_t lo = (HIST_SUB + sub) << (m - HIST_SUB_BITS);
    uint64_t width = 1ull << (m - HIST_SUB_BITS);
    return lo + width / 2;
}

static void hist_add(struct hist *h, uint64_t v)
{
    h->n[hist_index(v)]++;
    h->total++;
    if (v > h->max)
        h->max = v;
}

static void hist_merge(struct hist *into, const struct hist *from)
{
    for (unsigned i = 0; i < HIST_BUCKETS; i++)
        into->n[i] += from->n[i];
    into->total += from->total;
    if (from->max > into->max)
        into->max = from->max;
}

static uint64_t hist_quantile(const struct hist *h, double q)
{
    if (!h->total)
        return 0;
    uint64_t rank = (uint64_t)(q * (double)h->total + 0.5);
    if (rank < 1)
        rank = 1;
    uint64_t seen = 0;
    for (unsigned i = 0; i < HIST_BUCKETS; i++) {
        seen += h->n[i];
        if (seen >= rank)
            return hist_value(i) < h->max ? hist_value(i) : h->max;
    }
    return h->max;
}

/* ---- connections -------------------------------------------------------------- */

enum conn_state { C_FREE, C_CONNECTING, C_HANDSHAKE, C_READY, C_DEAD };

struct thread;

struct conn {
    struct thread *t;
    int fd;
    SSL *ssl;
    enum conn_state state;
    uint32_t events; /* current epoll interest */
    bool want_write; /* OpenSSL asked for writability */
    bool idle_done;  /* idle: the first Ping came back */
    bool cycle_done; /* handshake: the Ping after the handshake came back */
    struct buf in;   /* decrypted bytes not yet parsed */
    struct buf out;  /* plaintext not yet accepted by SSL_write */
    size_t out_off;
    uint64_t started; /* when connect() was called */
    uint64_t seq;     /* request counter (tamnong ids) */
    int agency;       /* submit: index into creds */
    uint64_t nsent;   /* requests sent on this connection */
    uint32_t inflight;
    /* tamnong: slot s holds request id slot_id[s] sent at slot_t0[s] */
    uint64_t *slot_id;
    uint64_t *slot_t0;
    uint16_t *free_slots;
    uint32_t nfree;
    /* redis: replies come in order; a ring of send times */
    uint32_t ring_head;
};

struct thread {
    int idx;
    pthread_t tid;
    int ep;
    struct conn *conns;
    int nconns;
    int next_start;  /* idle: next connection to open */
    int in_progress; /* idle: handshakes under way */
    uint8_t *rd;     /* READ_CHUNK scratch */
    uint8_t *pk;     /* submit: packed SubmitRequest scratch */
    uint64_t rng[2]; /* submit: request UUIDs (xorshift128+) */
    bool running;    /* ping: the measured phase has begun */
    uint64_t t_start, t_window, t_end, t_last;
    uint64_t quota, sent;
    /* results */
    struct hist hist;
    uint64_t completed;   /* responses inside the window */
    uint64_t handshakes;  /* handshake mode, inside the window */
    uint64_t errors;      /* non-OK statuses / Redis error replies */
    uint64_t conn_errors; /* connect/TLS/IO failures, protocol violations */
    uint64_t total_responses;
};

/* ping and submit: a measured load of requests (the other modes are about
 * connections) */
static bool load_mode(void)
{
    return opt.mode == MODE_PING || opt.mode == MODE_SUBMIT;
}

static int pipeline_of(void)
{
    return load_mode() ? opt.pipeline : 1;
}

static void conn_set_events(struct conn *c, uint32_t ev)
{
    if (c->fd < 0 || ev == c->events)
        return;
    struct epoll_event e = {.events = ev, .data.ptr = c};
    if (epoll_ctl(c->t->ep, EPOLL_CTL_MOD, c->fd, &e) == 0)
        c->events = ev;
}

static void conn_update_events(struct conn *c)
{
    uint32_t ev = EPOLLIN;
    if (c->want_write || c->out_off < c->out.len)
        ev |= EPOLLOUT;
    conn_set_events(c, ev);
}

static void conn_release(struct conn *c)
{
    if (c->ssl) {
        SSL_free(c->ssl);
        c->ssl = NULL;
    }
    if (c->fd >= 0) {
        close(c->fd); /* also removes it from epoll */
        c->fd = -1;
    }
    c->in.len = 0;
    c->out.len = 0;
    c->out_off = 0;
    c->inflight = 0;
    c->want_write = false;
    c->events = 0;
    int p = pipeline_of();
    c->nfree = 0;
    for (int s = p - 1; s >= 0; s--) {
        c->slot_id[s] = 0;
        c->free_slots[c->nfree++] = (uint16_t)s;
    }
    c->ring_head = 0;
}

static void idle_finished_one(struct conn *c, bool ok);

static void conn_fail(struct conn *c, const char *what, const char *detail)
{
    if (c->state == C_DEAD || c->state == C_FREE)
        return;
    bool stopping = atomic_load_explicit(&stop_all, memory_order_relaxed);
    if (!stopping) {
        c->t->conn_errors++;
        note_error("%s: %s", what, detail);
    }
    conn_release(c);
    c->state = C_DEAD;
    if (opt.mode == MODE_IDLE && !c->idle_done)
        idle_finished_one(c, false);
}

static int conn_start(struct conn *c)
{
    c->started = now_ns();
    c->seq = 0;
    c->nsent = 0;
    c->idle_done = false;
    c->cycle_done = false;
    int fd = socket(target.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        c->state = C_CONNECTING;
        conn_fail(c, "socket", strerror(errno));
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->fd = fd;
    c->state = C_CONNECTING;
    if (connect(fd, (const struct sockaddr *)&target, target_len) < 0 && errno != EINPROGRESS) {
        conn_fail(c, "connect", strerror(errno));
        return -1;
    }
    c->ssl = SSL_new(ssl_ctx);
    if (!c->ssl || !SSL_set_fd(c->ssl, fd)) {
        conn_fail(c, "SSL_new", ssl_err_text());
        return -1;
    }
    if (creds && (SSL_use_certificate(c->ssl, creds[c->agency].cert) != 1 ||
                  SSL_use_PrivateKey(c->ssl, creds[c->agency].key) != 1)) {
        conn_fail(c, "agency certificate", ssl_err_text());
        return -1;
    }
    if (opt.servername) {
        SSL_set_tlsext_host_name(c->ssl, opt.servername);
        SSL_set1_host(c->ssl, opt.servername);
    }
    SSL_set_connect_state(c->ssl);
    struct epoll_event e = {.events = EPOLLOUT, .data.ptr = c};
    if (epoll_ctl(c->t->ep, EPOLL_CTL_ADD, fd, &e) < 0) {
        conn_fail(c, "epoll_ctl", strerror(errno));
        return -1;
    }
    c->events = EPOLLOUT;
    return 0;
}

/* ---- requests ------------------------------------------------------------------ */

static bool thread_may_send(struct thread *t)
{
    if (atomic_load_explicit(&stop_all, memory_order_relaxed))
        return false;
    if (load_mode()) {
        if (!t->running)
            return false;
        if (t->quota && t->sent >= t->quota)
            return false;
    }
    return true;
}

/* A version 4 UUID from the thread's generator (seeded from getrandom). */
static void random_uuid(struct thread *t, uint8_t out[16])
{
    for (int half = 0; half < 2; half++) {
        uint64_t s1 = t->rng[0];
        const uint64_t s0 = t->rng[1];
        t->rng[0] = s0;
        s1 ^= s1 << 23;
        t->rng[1] = s1 ^ s0 ^ (s1 >> 17) ^ (s0 >> 26);
        uint64_t v = t->rng[1] + s0;
        memcpy(out + 8 * half, &v, 8);
    }
    out[6] = (uint8_t)((out[6] & 0x0f) | 0x40);
    out[8] = (uint8_t)((out[8] & 0x3f) | 0x80);
}

static int queue_request(struct conn *c, uint64_t t0)
{
    if (opt.proto == PROTO_REDIS) {
        if (buf_append(&c->out, REDIS_PING, REDIS_PING_LEN))
            return -1;
        uint32_t p = (uint32_t)pipeline_of();
        c->slot_t0[(c->ring_head + c->inflight) % p] = t0;
    } else {
        uint16_t slot = c->free_slots[--c->nfree];
        uint64_t id = (++c->seq << 16) | slot;
        Tamnong__Request req = TAMNONG__REQUEST__INIT;
        req.id = id;
        if (opt.mode == MODE_SUBMIT) {
            Tamnong__SubmitRequest sr = submit_tmpl;
            uint8_t uuid[16];
            random_uuid(c->t, uuid);
            sr.request_uuid.data = uuid;
            sr.request_uuid.len = sizeof uuid;
            req.method = METHOD_SUBMIT;
            req.payload.data = c->t->pk;
            req.payload.len = tamnong__submit_request__pack(&sr, c->t->pk);
        } else {
            req.method = METHOD_PING;
            req.payload.data = ping_payload;
            req.payload.len = ping_payload_len;
        }
        if (envelope_append_frame(&c->out, &req.base, FRAME_DEFAULT_MAX)) {
            c->nfree++;
            return -1;
        }
        c->slot_id[slot] = id;
        c->slot_t0[slot] = t0;
    }
    c->inflight++;
    c->nsent++;
    c->t->sent++;
    return 0;
}

static void conn_flush(struct conn *c)
{
    while (c->out_off < c->out.len) {
        ERR_clear_error();
        int n = SSL_write(c->ssl, c->out.data + c->out_off, (int)(c->out.len - c->out_off));
        if (n > 0) {
            c->out_off += (size_t)n;
            continue;
        }
        int e = SSL_get_error(c->ssl, n);
        if (e == SSL_ERROR_WANT_WRITE) {
            c->want_write = true;
            break;
        }
        if (e == SSL_ERROR_WANT_READ)
            break;
        conn_fail(c, "TLS write", e == SSL_ERROR_SYSCALL ? strerror(errno) : ssl_err_text());
        return;
    }
    if (c->out_off == c->out.len) {
        c->out.len = 0;
        c->out_off = 0;
        c->want_write = false;
    }
    conn_update_events(c);
}

/* Top the connection up to its pipeline depth (only when nothing is half
 * written, so a retried SSL_write always sees the same bytes), then write. */
static void conn_fill(struct conn *c)
{
    if (c->state != C_READY)
        return;
    if (c->out_off == c->out.len) {
        struct thread *t = c->t;
        uint32_t p = (uint32_t)pipeline_of();
        uint64_t t0 = now_ns();
        while (c->inflight < p && thread_may_send(t)) {
            if (!load_mode() && c->nsent > 0)
                break; /* idle and handshake: one Ping per connection */
            if (queue_request(c, t0) < 0) {
                conn_fail(c, "encode", "request does not fit");
                return;
            }
        }
    }
    conn_flush(c);
}

static void on_reply(struct conn *c, uint64_t t_recv, uint64_t t0, bool ok)
{
    struct thread *t = c->t;
    c->inflight--;
    t->total_responses++;
    if (!ok)
        t->errors++;
    switch (opt.mode) {
    case MODE_PING:
    case MODE_SUBMIT:
        if (t->quota) {
            t->completed++;
            hist_add(&t->hist, t_recv - t0);
            t->t_last = t_recv;
        } else if (t_recv >= t->t_window && t_recv < t->t_end) {
            t->completed++;
            hist_add(&t->hist, t_recv - t0);
        }
        break;
    case MODE_IDLE:
        if (!c->idle_done) {
            c->idle_done = true;
            idle_finished_one(c, true);
        }
        break;
    case MODE_HANDSHAKE:
        /* connect() to the first response: a full handshake plus one Ping */
        if (t->quota ? t->handshakes < t->quota : (t_recv >= t->t_window && t_recv < t->t_end)) {
            t->handshakes++;
            t->completed++;
            hist_add(&t->hist, t_recv - c->started);
            t->t_last = t_recv;
        }
        c->cycle_done = true;
        break;
    }
}

/* Parse complete replies from c->in. Returns -1 when the connection failed. */
static int conn_parse(struct conn *c, uint64_t t_recv)
{
    size_t off = 0;
    if (opt.proto == PROTO_REDIS) {
        uint32_t p = (uint32_t)pipeline_of();
        while (off < c->in.len) {
            const uint8_t *start = c->in.data + off;
            const uint8_t *nl = memchr(start, '\n', c->in.len - off);
            if (!nl)
                break;
            if (!c->inflight) {
                conn_fail(c, "protocol", "reply without a request");
                return -1;
            }
            bool ok = start[0] == '+';
            if (!ok)
                note_error("redis replied: %.*s", (int)(nl - start), (const char *)start);
            uint64_t t0 = c->slot_t0[c->ring_head];
            c->ring_head = (c->ring_head + 1) % p;
            on_reply(c, t_recv, t0, ok);
            off = (size_t)(nl - c->in.data) + 1;
        }
    } else {
        for (;;) {
            const uint8_t *payload;
            uint32_t plen;
            size_t used;
            enum frame_result fr = frame_parse(c->in.data + off, c->in.len - off, FRAME_DEFAULT_MAX,
                                               &payload, &plen, &used);
            if (fr == FRAME_NEED_MORE)
                break;
            if (fr == FRAME_ERROR) {
                conn_fail(c, "protocol", "bad frame length from server");
                return -1;
            }
            off += used;
            Tamnong__Response *r = envelope_decode_response(payload, plen);
            if (!r) {
                conn_fail(c, "protocol", "undecodable response");
                return -1;
            }
            uint64_t slot = r->id & 0xffff;
            if (r->id == 0 || slot >= (uint64_t)pipeline_of() || c->slot_id[slot] != r->id) {
                char msg[160];
                snprintf(msg, sizeof msg, "response for unknown id %" PRIu64 " (status %d: %s)",
                         r->id, (int)r->status, r->message ? r->message : "");
                tamnong__response__free_unpacked(r, NULL);
                conn_fail(c, "protocol", msg);
                return -1;
            }
            bool ok = r->status == TAMNONG__STATUS__OK;
            if (!ok)
                note_error("server answered %s: %s", status_name((int)r->status),
                           r->message ? r->message : "");
            if (ok && opt.mode == MODE_SUBMIT) {
                /* a fresh request id each time: a receipt that is a replay
                 * (or no receipt) is wrong */
                Tamnong__SubmitReceipt *rc =
                    tamnong__submit_receipt__unpack(NULL, r->payload.len, r->payload.data);
                ok = rc && !rc->replay && rc->submission_id > 0;
                if (!ok)
                    note_error("Submit answered OK without a new submission%s",
                               rc ? " (a replay)" : " (undecodable receipt)");
                if (rc)
                    tamnong__submit_receipt__free_unpacked(rc, NULL);
            }
            c->slot_id[slot] = 0;
            c->free_slots[c->nfree++] = (uint16_t)slot;
            uint64_t t0 = c->slot_t0[slot];
            tamnong__response__free_unpacked(r, NULL);
            on_reply(c, t_recv, t0, ok);
        }
    }
    if (off)
        buf_consume(&c->in, off);
    return 0;
}

/* Send close_notify (once, not waiting for the peer's) and close. */
static void conn_close_politely(struct conn *c)
{
    if (c->ssl && c->state == C_READY) {
        ERR_clear_error();
        SSL_shutdown(c->ssl);
    }
    conn_release(c);
    c->state = C_FREE;
}

static void handshake_cycle_done(struct conn *c)
{
    conn_close_politely(c); /* a new full handshake follows */
    struct thread *t = c->t;
    if (!atomic_load_explicit(&stop_all, memory_order_relaxed) &&
        (!t->quota || t->handshakes < t->quota))
        conn_start(c);
}

static void conn_read(struct conn *c)
{
    struct thread *t = c->t;
    bool got = false;
    for (;;) {
        ERR_clear_error();
        int n = SSL_read(c->ssl, t->rd, READ_CHUNK);
        if (n > 0) {
            if (buf_append(&c->in, t->rd, (size_t)n)) {
                conn_fail(c, "protocol", "server sent too much unparsed data");
                return;
            }
            got = true;
            continue;
        }
        int e = SSL_get_error(c->ssl, n);
        if (e == SSL_ERROR_WANT_READ)
            break;
        if (e == SSL_ERROR_WANT_WRITE) {
            c->want_write = true;
            break;
        }
        if (e == SSL_ERROR_ZERO_RETURN) {
            conn_fail(c, "closed", "server closed the connection");
            return;
        }
        conn_fail(c, "TLS read",
                  e == SSL_ERROR_SYSCALL ? (errno ? strerror(errno) : "EOF") : ssl_err_text());
        return;
    }
    if (got && conn_parse(c, now_ns()) < 0)
        return;
    if (c->cycle_done) {
        handshake_cycle_done(c);
        return;
    }
    if (opt.mode == MODE_IDLE && c->idle_done) {
        /* hold: give the buffers back so the client stays small too */
        buf_free(&c->in);
        buf_free(&c->out);
        conn_update_events(c);
        return;
    }
    conn_fill(c);
}

static void conn_handshake(struct conn *c)
{
    ERR_clear_error();
    int r = SSL_connect(c->ssl);
    if (r == 1) {
        c->state = C_READY;
        c->want_write = false;
        conn_fill(c);
        return;
    }
    int e = SSL_get_error(c->ssl, r);
    if (e == SSL_ERROR_WANT_READ) {
        conn_set_events(c, EPOLLIN);
        return;
    }
    if (e == SSL_ERROR_WANT_WRITE) {
        conn_set_events(c, EPOLLOUT);
        return;
    }
    conn_fail(c, "TLS handshake",
              e == SSL_ERROR_SYSCALL ? (errno ? strerror(errno) : "connection closed by server")
                                     : ssl_err_text());
}

static void conn_event(struct conn *c, uint32_t ev)
{
    switch (c->state) {
    case C_CONNECTING: {
        int err = 0;
        socklen_t len = sizeof err;
        if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
            err = errno;
        if (err) {
            conn_fail(c, "connect", strerror(err));
            return;
        }
        c->state = C_HANDSHAKE;
        conn_handshake(c);
        return;
    }
    case C_HANDSHAKE:
        conn_handshake(c);
        return;
    case C_READY:
        if (ev & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
            conn_read(c);
            if (c->state != C_READY)
                return;
        }
        if (ev & EPOLLOUT) {
            c->want_write = false;
            conn_fill(c);
        }
        return;
    case C_FREE:
    case C_DEAD:
        return;
    }
}

/* ---- idle mode bookkeeping --------------------------------------------------- */

static void idle_start_more(struct thread *t)
{
    while (t->in_progress < opt.concurrency && t->next_start < t->nconns &&
           !atomic_load_explicit(&stop_all, memory_order_relaxed)) {
        struct conn *c = &t->conns[t->next_start++];
        t->in_progress++;
        conn_start(c); /* a failure calls idle_finished_one itself */
    }
}

static void idle_finished_one(struct conn *c, bool ok)
{
    struct thread *t = c->t;
    t->in_progress--;
    if (ok)
        atomic_fetch_add(&idle_up, 1);
    else
        atomic_fetch_add(&idle_failed, 1);
}

/* ---- threads --------------------------------------------------------------------- */

static pthread_barrier_t ready_barrier;
static atomic_int threads_done;

static void thread_poll(struct thread *t, int timeout_ms)
{
    struct epoll_event evs[256];
    int n = epoll_wait(t->ep, evs, 256, timeout_ms);
    for (int i = 0; i < n; i++)
        conn_event(evs[i].data.ptr, evs[i].events);
}

static bool all_settled(const struct thread *t)
{
    for (int i = 0; i < t->nconns; i++) {
        enum conn_state s = t->conns[i].state;
        if (s == C_CONNECTING || s == C_HANDSHAKE)
            return false;
    }
    return true;
}

static void *thread_main(void *arg)
{
    struct thread *t = arg;
    uint64_t hard_end = now_ns() + (uint64_t)(opt.timeout * (double)NS_PER_S);

    if (load_mode()) {
        /* connect and handshake every connection first, then start together */
        for (int i = 0; i < t->nconns; i++)
            conn_start(&t->conns[i]);
        while (!all_settled(t) && now_ns() < hard_end &&
               !atomic_load_explicit(&stop_all, memory_order_relaxed))
            thread_poll(t, 20);
        for (int i = 0; i < t->nconns; i++)
            if (t->conns[i].state != C_READY && t->conns[i].state != C_DEAD)
                conn_fail(&t->conns[i], "TLS handshake", "did not finish in time");
        pthread_barrier_wait(&ready_barrier);
        t->t_start = now_ns();
        t->t_window = t->t_start + (t->quota ? 0 : (uint64_t)(opt.warmup * (double)NS_PER_S));
        t->t_end = t->quota ? hard_end : t->t_window + (uint64_t)(opt.duration * (double)NS_PER_S);
        t->running = true;
        for (int i = 0; i < t->nconns; i++)
            conn_fill(&t->conns[i]);
        for (;;) {
            uint64_t now = now_ns();
            if (now >= t->t_end || now >= hard_end ||
                atomic_load_explicit(&stop_all, memory_order_relaxed))
                break;
            if (t->quota && t->sent >= t->quota) {
                bool pending = false;
                for (int i = 0; i < t->nconns; i++)
                    if (t->conns[i].state == C_READY && t->conns[i].inflight)
                        pending = true;
                if (!pending)
                    break;
            }
            bool alive = false;
            for (int i = 0; i < t->nconns && !alive; i++)
                alive = t->conns[i].state == C_READY;
            if (!alive)
                break;
            thread_poll(t, 20);
        }
        if (!t->quota)
            t->t_last = now_ns() < t->t_end ? now_ns() : t->t_end;
    } else if (opt.mode == MODE_HANDSHAKE) {
        t->t_start = now_ns();
        t->t_window = t->t_start + (t->quota ? 0 : (uint64_t)(opt.warmup * (double)NS_PER_S));
        t->t_end = t->quota ? hard_end : t->t_window + (uint64_t)(opt.duration * (double)NS_PER_S);
        for (int i = 0; i < t->nconns; i++)
            conn_start(&t->conns[i]);
        for (;;) {
            uint64_t now = now_ns();
            if (now >= t->t_end || now >= hard_end ||
                atomic_load_explicit(&stop_all, memory_order_relaxed))
                break;
            if (t->quota && t->handshakes >= t->quota)
                break;
            /* a slot whose connection failed stays down (the failure is
             * counted); when none is left the run is over */
            bool alive = false;
            for (int i = 0; i < t->nconns && !alive; i++)
                alive = t->conns[i].state != C_DEAD && t->conns[i].state != C_FREE;
            if (!alive)
                break;
            thread_poll(t, 20);
        }
        if (!t->quota)
            t->t_last = now_ns() < t->t_end ? now_ns() : t->t_end;
    } else { /* MODE_IDLE */
        t->t_start = now_ns();
        idle_start_more(t);
        while (!atomic_load_explicit(&stop_all, memory_order_relaxed) && now_ns() < hard_end) {
            thread_poll(t, 50);
            idle_start_more(t);
        }
    }
    for (int i = 0; i < t->nconns; i++)
        conn_close_politely(&t->conns[i]);
    atomic_fetch_add(&threads_done, 1);
    return NULL;
}

/* ---- set-up ---------------------------------------------------------------------- */

static bool is_loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET) {
        struct sockaddr_in sin;
        memcpy(&sin, sa, sizeof sin);
        return (ntohl(sin.sin_addr.s_addr) >> 24) == 127;
    }
    if (sa->sa_family == AF_INET6) {
        struct sockaddr_in6 sin6;
        memcpy(&sin6, sa, sizeof sin6);
        if (IN6_IS_ADDR_LOOPBACK(&sin6.sin6_addr))
            return true;
        if (IN6_IS_ADDR_V4MAPPED(&sin6.sin6_addr))
            return sin6.sin6_addr.s6_addr[12] == 127;
    }
    return false;
}

static void resolve_target(void)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_family = AF_UNSPEC};
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(opt.host, opt.port, &hints, &res);
    if (rc)
        die("cannot resolve %s port %s: %s", opt.host, opt.port, gai_strerror(rc));
    /* every address the name has must be loopback: nothing else is a target */
    for (struct addrinfo *a = res; a; a = a->ai_next)
        if (!is_loopback(a->ai_addr)) {
            freeaddrinfo(res);
            die("refusing %s: load tests target loopback only (127.0.0.0/8 or ::1)", opt.host);
        }
    if (!res)
        die("%s has no address", opt.host);
    memcpy(&target, res->ai_addr, res->ai_addrlen);
    target_len = res->ai_addrlen;
    freeaddrinfo(res);
}

static void setup_tls(void)
{
    ssl_ctx = SSL_CTX_new(TLS_client_method());
    if (!ssl_ctx)
        die("SSL_CTX_new: %s", ssl_err_text());
    SSL_CTX_set_min_proto_version(ssl_ctx, TLS1_3_VERSION);
    /* every handshake is a full one: no session cache, no tickets */
    SSL_CTX_set_session_cache_mode(ssl_ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(ssl_ctx, SSL_OP_NO_TICKET);
    long mode = SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER;
    if (opt.mode == MODE_IDLE)
        mode |= SSL_MODE_RELEASE_BUFFERS;
    SSL_CTX_set_mode(ssl_ctx, mode);
    if (opt.ca) {
        if (SSL_CTX_load_verify_locations(ssl_ctx, opt.ca, NULL) != 1)
            die("cannot load CA %s: %s", opt.ca, ssl_err_text());
        SSL_CTX_set_verify(ssl_ctx, SSL_VERIFY_PEER, NULL);
    }
    if (opt.cert && SSL_CTX_use_certificate_chain_file(ssl_ctx, opt.cert) != 1)
        die("cannot load certificate %s: %s", opt.cert, ssl_err_text());
    if (opt.key) {
        if (SSL_CTX_use_PrivateKey_file(ssl_ctx, opt.key, SSL_FILETYPE_PEM) != 1)
            die("cannot load key %s: %s", opt.key, ssl_err_text());
        if (SSL_CTX_check_private_key(ssl_ctx) != 1)
            die("key %s does not match certificate %s", opt.key, opt.cert);
    }
}

static void raise_nofile(long need)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || (long)rl.rlim_cur >= need)
        return;
    rl.rlim_cur =
        rl.rlim_max == RLIM_INFINITY || (long)rl.rlim_max >= need ? (rlim_t)need : rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
    if ((long)rl.rlim_cur < need)
        die("need %ld open files, the limit is %ld: raise it (ulimit -n)", need, (long)rl.rlim_cur);
}

/* ---- submit mode: the report and the agencies' certificates ----------------- */

static double parse_num(const char *s, const char *what, double lo, double hi);

static char *xstrdup(const char *s)
{
    char *d = strdup(s);
    if (!d)
        die("out of memory");
    return d;
}

/* Next space-separated word of *s (NULL at the end); the rest stays in *s. */
static char *word(char **s)
{
    char *p = *s;
    while (*p == ' ')
        p++;
    if (!*p)
        return NULL;
    char *e = strchr(p, ' ');
    if (e) {
        *e = 0;
        *s = e + 1;
    } else {
        *s = p + strlen(p);
    }
    return p;
}

/* The report file: `period CODE`, `value KEY VALUE`, `ratio KEY NUM DEN`,
 * `task CODE STATUS PROGRESS NOTE...`, and `results|difficulties|
 * recommendations|proposals TEXT` (one line each); # starts a comment line. */
static void load_report(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        die("cannot open %s: %s", path, strerror(errno));
    static Tamnong__IndicatorValue *values[256];
    static Tamnong__ReportTask *tasks[256];
    Tamnong__SubmitRequest *r = &submit_tmpl;
    r->values = values;
    r->tasks = tasks;
    char line[8192];
    int ln = 0;
    while (fgets(line, sizeof line, f)) {
        ln++;
        line[strcspn(line, "\r\n")] = 0;
        if (!line[0] || line[0] == '#')
            continue;
        char *rest = line, *kind = word(&rest);
        if (!strcmp(kind, "period")) {
            char *code = word(&rest);
            if (!code)
                die("%s:%d: period CODE", path, ln);
            r->period_code = xstrdup(code);
        } else if (!strcmp(kind, "value") || !strcmp(kind, "ratio")) {
            bool ratio = kind[0] == 'r';
            char *key = word(&rest), *a = word(&rest), *b = ratio ? word(&rest) : NULL;
            if (!key || !a || (ratio && !b) || r->n_values == 256)
                die("%s:%d: value KEY VALUE or ratio KEY NUMERATOR DENOMINATOR", path, ln);
            Tamnong__IndicatorValue *v = calloc(1, sizeof *v);
            if (!v)
                die("out of memory");
            tamnong__indicator_value__init(v);
            v->key = xstrdup(key);
            if (ratio) {
                v->numerator = xstrdup(a);
                v->denominator = xstrdup(b);
            } else {
                v->value = xstrdup(a);
            }
            values[r->n_values++] = v;
        } else if (!strcmp(kind, "task")) {
            char *code = word(&rest), *status = word(&rest), *progress = word(&rest);
            if (!code || !status || !progress || r->n_tasks == 256)
                die("%s:%d: task CODE STATUS PROGRESS NOTE", path, ln);
            Tamnong__ReportTask *t = calloc(1, sizeof *t);
            if (!t)
                die("out of memory");
            tamnong__report_task__init(t);
            t->task_code = xstrdup(code);
            t->status = xstrdup(status);
            t->progress = (int32_t)parse_num(progress, "task progress", 0, 100);
            t->note = xstrdup(rest);
            tasks[r->n_tasks++] = t;
        } else if (!strcmp(kind, "results")) {
            r->results = xstrdup(rest);
        } else if (!strcmp(kind, "difficulties")) {
            r->difficulties = xstrdup(rest);
        } else if (!strcmp(kind, "recommendations")) {
            r->recommendations = xstrdup(rest);
        } else if (!strcmp(kind, "proposals")) {
            r->proposals = xstrdup(rest);
        } else {
            die("%s:%d: unknown line '%s'", path, ln, kind);
        }
    }
    fclose(f);
    if (!r->period_code || !r->period_code[0])
        die("%s: no period", path);
}

static void *read_pem(const char *dir, const char *code, const char *ext, bool key)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.%s", dir, code, ext);
    FILE *f = fopen(path, "r");
    if (!f)
        die("cannot open %s: %s", path, strerror(errno));
    void *x = key ? (void *)PEM_read_PrivateKey(f, NULL, NULL, NULL)
                  : (void *)PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    if (!x)
        die("cannot read %s: %s", path, ssl_err_text());
    return x;
}

/* The agencies file: one code a line; connection i is agency i. */
static void load_agencies(const char *path, const char *dir)
{
    FILE *f = fopen(path, "r");
    if (!f)
        die("cannot open %s: %s", path, strerror(errno));
    creds = calloc((size_t)opt.connections, sizeof *creds);
    if (!creds)
        die("out of memory");
    char line[512];
    while (ncreds < opt.connections && fgets(line, sizeof line, f)) {
        line[strcspn(line, " \t\r\n")] = 0;
        if (!line[0] || line[0] == '#')
            continue;
        creds[ncreds].cert = read_pem(dir, line, "pem", false);
        creds[ncreds].key = read_pem(dir, line, "key", true);
        ncreds++;
    }
    fclose(f);
    if (ncreds < opt.connections)
        die("%s has %d agencies, fewer than the %d connections (each must be its own agency)", path,
            ncreds, opt.connections);
}

static void usage(FILE *f)
{
    fprintf(f, "Usage: loadgen [OPTIONS]\n"
               "Load generator for tamnongd (or redis-server with --proto redis) over mutual TLS.\n"
               "Targets loopback only (127.0.0.0/8, ::1) and always stops by itself.\n"
               "\n"
               "  --mode MODE        ping (default): throughput and latency of pipelined Pings\n"
               "                     idle: open -c connections (handshake + one Ping each), say\n"
               "                       so, then hold them until --hold seconds pass, SIGTERM or\n"
               "                       SIGINT arrives, or standard input (pipe or tty) closes\n"
               "                     handshake: repeated full TLS 1.3 handshakes (no resumption),\n"
               "                       each followed by one Ping and a close; handshakes/s\n"
               "                     submit: Submit requests (a 6-month report from --report,\n"
               "                       a fresh request UUID each, -P 1 unless given), each\n"
               "                       connection as its own agency (--agencies, --cert-dir);\n"
               "                       a non-OK status or a replayed receipt is an error\n"
               "  --host ADDR        server address (default 127.0.0.1)\n"
               "  --port PORT        server port (default 7443)\n"
               "  --ca FILE          CA certificate(s) to verify the server with\n"
               "  --cert FILE        client certificate (chain) for mutual TLS\n"
               "  --key FILE         client private key\n"
               "  --servername NAME  SNI and certificate host name to check\n"
               "  --proto P          tamnong (default) or redis (RESP PING, for the yardstick)\n"
               "  --report FILE      submit: the report (see bench/submit_report.txt)\n"
               "  --agencies FILE    submit: agency codes, one a line, connection i is line i\n"
               "  --cert-dir DIR     submit: DIR/CODE.pem and DIR/CODE.key of each agency\n"
               "  -c, --connections N  concurrent connections (default 4)\n"
               "  -P, --pipeline N   requests in flight per connection, ping mode (default 4)\n"
               "  -t, --threads N    threads, one epoll loop each (default 1)\n"
               "  -d, --duration S   seconds measured, ping and handshake modes (default 10)\n"
               "  -w, --warmup S     seconds run before measuring (default 1)\n"
               "  -n, --requests N   stop after N requests (ping) or N handshakes instead\n"
               "  --hold S           idle: seconds to hold the connections (default 60)\n"
               "  --concurrency N    idle: handshakes in progress at once (default 64)\n"
               "  --timeout S        hard cap on the whole run (default: duration + 30)\n"
               "  --json             one JSON line on stdout (the human line goes to stderr)\n"
               "  -q, --quiet        no human line\n"
               "  -h, --help         this text\n"
               "\n"
               "Exit status: 0 all good; 1 errors (non-OK statuses, failed connections);\n"
               "2 bad usage or set-up.\n");
}

static double parse_num(const char *s, const char *what, double lo, double hi)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || v < lo || v > hi)
        die("%s must be a number from %g to %g, not '%s'", what, lo, hi, s);
    return v;
}

static void parse_args(int argc, char **argv)
{
    enum {
        O_MODE = 256,
        O_HOST,
        O_PORT,
        O_CA,
        O_CERT,
        O_KEY,
        O_SNI,
        O_PROTO,
        O_HOLD,
        O_CONC,
        O_TIMEOUT,
        O_JSON,
        O_REPORT,
        O_AGENCIES,
        O_CERT_DIR
    };
    static const struct option longopts[] = {
        {"mode", required_argument, NULL, O_MODE},
        {"host", required_argument, NULL, O_HOST},
        {"port", required_argument, NULL, O_PORT},
        {"ca", required_argument, NULL, O_CA},
        {"cert", required_argument, NULL, O_CERT},
        {"key", required_argument, NULL, O_KEY},
        {"servername", required_argument, NULL, O_SNI},
        {"proto", required_argument, NULL, O_PROTO},
        {"connections", required_argument, NULL, 'c'},
        {"pipeline", required_argument, NULL, 'P'},
        {"threads", required_argument, NULL, 't'},
        {"duration", required_argument, NULL, 'd'},
        {"warmup", required_argument, NULL, 'w'},
        {"requests", required_argument, NULL, 'n'},
        {"hold", required_argument, NULL, O_HOLD},
        {"concurrency", required_argument, NULL, O_CONC},
        {"timeout", required_argument, NULL, O_TIMEOUT},
        {"json", no_argument, NULL, O_JSON},
        {"report", required_argument, NULL, O_REPORT},
        {"agencies", required_argument, NULL, O_AGENCIES},
        {"cert-dir", required_argument, NULL, O_CERT_DIR},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int ch;
    while ((ch = getopt_long(argc, argv, "c:P:t:d:w:n:qh", longopts, NULL)) != -1) {
        switch (ch) {
        case O_MODE:
            if (!strcmp(optarg, "ping"))
                opt.mode = MODE_PING;
            else if (!strcmp(optarg, "idle"))
                opt.mode = MODE_IDLE;
            else if (!strcmp(optarg, "handshake"))
                opt.mode = MODE_HANDSHAKE;
            else if (!strcmp(optarg, "submit"))
                opt.mode = MODE_SUBMIT;
            else
                die("--mode is ping, idle, handshake or submit, not '%s'", optarg);
            break;
        case O_PROTO:
            if (!strcmp(optarg, "tamnong"))
                opt.proto = PROTO_TAMNONG;
            else if (!strcmp(optarg, "redis"))
                opt.proto = PROTO_REDIS;
            else
                die("--proto is tamnong or redis, not '%s'", optarg);
            break;
        case O_HOST:
            opt.host = optarg;
            break;
        case O_PORT:
            opt.port = optarg;
            break;
        case O_CA:
            opt.ca = optarg;
            break;
        case O_CERT:
            opt.cert = optarg;
            break;
        case O_KEY:
            opt.key = optarg;
            break;
        case O_SNI:
            opt.servername = optarg;
            break;
        case 'c':
            opt.connections = (int)parse_num(optarg, "--connections", 1, MAX_CONNECTIONS);
            break;
        case 'P':
            opt.pipeline = (int)parse_num(optarg, "--pipeline", 1, MAX_PIPELINE);
            opt.pipeline_set = true;
            break;
        case 't':
            opt.threads = (int)parse_num(optarg, "--threads", 1, MAX_THREADS);
            break;
        case 'd':
            opt.duration = parse_num(optarg, "--duration", 0.1, MAX_DURATION_S);
            break;
        case 'w':
            opt.warmup = parse_num(optarg, "--warmup", 0, 60);
            break;
        case 'n':
            opt.count = (uint64_t)parse_num(optarg, "--requests", 1, 1e10);
            break;
        case O_HOLD:
            opt.hold = parse_num(optarg, "--hold", 0.1, 3600);
            break;
        case O_CONC:
            opt.concurrency = (int)parse_num(optarg, "--concurrency", 1, 10000);
            break;
        case O_TIMEOUT:
            opt.timeout = parse_num(optarg, "--timeout", 1, 3600);
            break;
        case O_JSON:
            opt.json = true;
            break;
        case O_REPORT:
            opt.report = optarg;
            break;
        case O_AGENCIES:
            opt.agencies = optarg;
            break;
        case O_CERT_DIR:
            opt.cert_dir = optarg;
            break;
        case 'q':
            opt.quiet = true;
            break;
        case 'h':
            usage(stdout);
            exit(0);
        default:
            usage(stderr);
            exit(2);
        }
    }
    if (optind < argc)
        die("unexpected argument '%s' (see --help)", argv[optind]);
    if (opt.threads > opt.connections)
        opt.threads = opt.connections;
    if (opt.mode == MODE_SUBMIT) {
        if (!opt.report || !opt.agencies || !opt.cert_dir)
            die("--mode submit needs --report, --agencies and --cert-dir");
        if (opt.proto != PROTO_TAMNONG)
            die("--mode submit speaks tamnong only");
        if (!opt.pipeline_set)
            opt.pipeline = 1;
    }
    if (opt.proto == PROTO_TAMNONG && opt.pipeline > 65535)
        die("--pipeline is at most 65535");
    if (opt.timeout == 0) {
        if (opt.mode == MODE_IDLE)
            opt.timeout = opt.hold + 120;
        else if (opt.count)
            opt.timeout = 120;
        else
            opt.timeout = opt.warmup + opt.duration + 30;
    }
}

/* ---- main ------------------------------------------------------------------------ */

static void on_signal(int sig)
{
    got_signal = sig;
}

static bool stdin_watchable(void)
{
    struct stat st;
    if (fstat(0, &st) < 0)
        return false;
    return S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) || isatty(0);
}

/* Sleep on the main thread until deadline_ns, a signal, or (idle mode) the
 * end of standard input. Returns true when interrupted. */
static bool main_wait(uint64_t deadline_ns, bool watch_stdin)
{
    while (now_ns() < deadline_ns) {
        if (got_signal)
            return true;
        struct pollfd p = {.fd = 0, .events = POLLIN};
        int n = poll(&p, watch_stdin ? 1 : 0, 50);
        if (n > 0 && watch_stdin) {
            char junk[256];
            ssize_t r = read(0, junk, sizeof junk);
            if (r <= 0)
                return true;
        }
    }
    return false;
}

static double pct(uint64_t ns)
{
    return (double)ns / 1000.0; /* microseconds */
}

int main(int argc, char **argv)
{
    parse_args(argc, argv);
    resolve_target();
    setup_tls();
    raise_nofile(opt.connections + 64);

    Tamnong__PingRequest pr = TAMNONG__PING_REQUEST__INIT;
    pr.skip_database = true;
    ping_payload_len = tamnong__ping_request__pack(&pr, ping_payload);
    size_t submit_len = 0;
    if (opt.mode == MODE_SUBMIT) {
        load_report(opt.report);
        load_agencies(opt.agencies, opt.cert_dir);
        uint8_t uuid[16] = {0};
        submit_tmpl.request_uuid.data = uuid;
        submit_tmpl.request_uuid.len = sizeof uuid;
        submit_len = tamnong__submit_request__get_packed_size(&submit_tmpl);
        submit_tmpl.request_uuid.data = NULL;
        submit_tmpl.request_uuid.len = 0;
    }

    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    pthread_sigmask(SIG_BLOCK, &block, &old); /* threads inherit: main takes signals */

    int nt = opt.threads;
    struct thread *threads = calloc((size_t)nt, sizeof *threads);
    struct conn *conns = calloc((size_t)opt.connections, sizeof *conns);
    if (!threads || !conns)
        die("out of memory");
    int p = pipeline_of();
    pthread_barrier_init(&ready_barrier, NULL, (unsigned)nt);
    for (int i = 0, first = 0; i < nt; i++) {
        struct thread *t = &threads[i];
        t->idx = i;
        t->nconns = opt.connections / nt + (i < opt.connections % nt);
        t->conns = conns + first;
        first += t->nconns;
        t->ep = epoll_create1(EPOLL_CLOEXEC);
        t->rd = malloc(READ_CHUNK);
        t->pk = malloc(submit_len + 1);
        if (t->ep < 0 || !t->rd || !t->pk)
            die("epoll/malloc: %s", strerror(errno));
        if (getrandom(t->rng, sizeof t->rng, 0) != (ssize_t)sizeof t->rng)
            die("getrandom: %s", strerror(errno));
        t->rng[0] |= 1; /* xorshift128+ must not start at zero */
        if (opt.count)
            t->quota = opt.count / (uint64_t)nt + ((uint64_t)i < opt.count % (uint64_t)nt);
        for (int j = 0; j < t->nconns; j++) {
            struct conn *c = &t->conns[j];
            c->t = t;
            c->fd = -1;
            c->agency = (int)(c - conns);
            buf_init(&c->in, CONN_INPUT_MAX);
            buf_init(&c->out, 0);
            c->slot_id = calloc((size_t)p, sizeof *c->slot_id);
            c->slot_t0 = calloc((size_t)p, sizeof *c->slot_t0);
            c->free_slots = calloc((size_t)p, sizeof *c->free_slots);
            if (!c->slot_id || !c->slot_t0 || !c->free_slots)
                die("out of memory");
            conn_release(c);
        }
    }
    uint64_t t_begin = now_ns();
    for (int i = 0; i < nt; i++)
        if (pthread_create(&threads[i].tid, NULL, thread_main, &threads[i]))
            die("pthread_create failed");
    pthread_sigmask(SIG_SETMASK, &old, NULL);

    bool watch_stdin = opt.mode == MODE_IDLE && stdin_watchable();
    uint64_t hard_end = t_begin + (uint64_t)(opt.timeout * (double)NS_PER_S);
    int up = 0, failed = 0;
    double up_seconds = 0;
    if (opt.mode == MODE_IDLE) {
        /* wait until every connection is up or failed, say so, then hold */
        bool interrupted = false;
        while (!interrupted) {
            up = atomic_load(&idle_up);
            failed = atomic_load(&idle_failed);
            if (up + failed >= opt.connections || now_ns() >= hard_end)
                break;
            interrupted = main_wait(now_ns() + 50000000ull, watch_stdin);
        }
        up = atomic_load(&idle_up);
        failed = atomic_load(&idle_failed);
        up_seconds = (double)(now_ns() - t_begin) / 1e9;
        if (opt.json)
            printf("{\"mode\":\"idle\",\"event\":\"up\",\"connections\":%d,\"up\":%d,"
                   "\"failed\":%d,\"seconds\":%.3f}\n",
                   opt.connections, up, failed, up_seconds);
        else
            printf("idle: %d of %d connections up (%d failed) in %.2f s; holding\n", up,
                   opt.connections, failed, up_seconds);
        fflush(stdout);
        if (!interrupted && !got_signal) {
            uint64_t hold_end = now_ns() + (uint64_t)(opt.hold * (double)NS_PER_S);
            if (hold_end > hard_end)
                hold_end = hard_end;
            main_wait(hold_end, watch_stdin);
        }
        atomic_store(&stop_all, 1);
    } else {
        /* the threads stop by themselves; a signal stops them early */
        while (!got_signal && atomic_load(&threads_done) < nt && now_ns() < hard_end) {
            struct timespec ts = {0, 20000000};
            nanosleep(&ts, NULL);
        }
        atomic_store(&stop_all, 1);
    }
    for (int i = 0; i < nt; i++)
        pthread_join(threads[i].tid, NULL);

    /* ---- report ---- */
    struct hist *h = calloc(1, sizeof *h);
    if (!h)
        die("out of memory");
    double elapsed = (double)(now_ns() - t_begin) / 1e9;
    uint64_t completed = 0, errors = 0, conn_errors = 0, handshakes = 0, responses = 0;
    double window = 0;
    for (int i = 0; i < nt; i++) {
        struct thread *t = &threads[i];
        hist_merge(h, &t->hist);
        completed += t->completed;
        errors += t->errors;
        conn_errors += t->conn_errors;
        handshakes += t->handshakes;
        responses += t->total_responses;
        if (t->t_last > t->t_window) {
            double w = (double)(t->t_last - t->t_window) / 1e9;
            if (w > window)
                window = w;
        }
    }
    if (opt.mode == MODE_IDLE)
        conn_errors += (uint64_t)failed;
    double rate = window > 0 ? (double)completed / window : 0;
    const char *mode_name = opt.mode == MODE_PING     ? "ping"
                            : opt.mode == MODE_IDLE   ? "idle"
                            : opt.mode == MODE_SUBMIT ? "submit"
                                                      : "handshake";
    const char *proto_name = opt.proto == PROTO_REDIS ? "redis" : "tamnong";
    uint64_t p50 = hist_quantile(h, 0.50), p99 = hist_quantile(h, 0.99);
    char human[512];
    if (opt.mode == MODE_IDLE)
        snprintf(human, sizeof human,
                 "idle %s: %d connections held, %d failed, %" PRIu64 " errors, %" PRIu64
                 " connection errors%s%s",
                 proto_name, up, failed, errors, conn_errors, first_error[0] ? "; first: " : "",
                 first_error);
    else
        snprintf(human, sizeof human,
                 "%s %s: %d conns x %d in flight, %d thread(s), %.2f s: %.0f %s/s, p50 %.3f ms, "
                 "p99 %.3f ms, max %.3f ms, %" PRIu64 " errors, %" PRIu64 " connection errors%s%s",
                 mode_name, proto_name, opt.connections, p, nt, window, rate,
                 opt.mode == MODE_HANDSHAKE ? "handshakes" : "requests", pct(p50) / 1000,
                 pct(p99) / 1000, pct(h->max) / 1000, errors, conn_errors,
                 first_error[0] ? "; first: " : "", first_error);
    if (opt.json) {
        char esc[512];
        size_t k = 0;
        for (const char *s = first_error; *s && k + 7 < sizeof esc; s++) {
            unsigned char ch = (unsigned char)*s;
            if (ch == '"' || ch == '\\') {
                esc[k++] = '\\';
                esc[k++] = (char)ch;
            } else if (ch < 0x20) {
                k += (size_t)snprintf(esc + k, sizeof esc - k, "\\u%04x", ch);
            } else {
                esc[k++] = (char)ch;
            }
        }
        esc[k] = 0;
        printf("{\"mode\":\"%s\",\"proto\":\"%s\",\"connections\":%d,\"pipeline\":%d,"
               "\"threads\":%d,\"seconds\":%.3f,\"completed\":%" PRIu64 ",\"rate\":%.1f,"
               "\"handshakes\":%" PRIu64 ",\"p50_us\":%.1f,\"p99_us\":%.1f,\"max_us\":%.1f,"
               "\"errors\":%" PRIu64 ",\"conn_errors\":%" PRIu64 ",\"up\":%d,"
               "\"responses\":%" PRIu64 ",\"elapsed\":%.3f,\"first_error\":\"%s\"}\n",
               mode_name, proto_name, opt.connections, p, nt, window, completed, rate, handshakes,
               pct(p50), pct(p99), pct(h->max), errors, conn_errors, up, responses, elapsed, esc);
        if (!opt.quiet)
            fprintf(stderr, "%s\n", human);
    } else if (!opt.quiet) {
        printf("%s\n", human);
    }
    fflush(stdout);
    return errors || conn_errors ? 1 : 0;
}
