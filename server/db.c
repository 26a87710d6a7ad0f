/* db: a pool of non-blocking libpq connections on the libuv loop (see db.h).
 *
 * Each connection is a small state machine (enum dbc_state, changed only by
 * conn_set_state, which checks the transition):
 *
 *   BACKOFF -> CONNECTING -> PREPARING -> IDLE <-> BUSY
 *      ^___________|______________|_________|_______|    (any failure)
 *   and any state -> CLOSED when the pool closes.
 *
 * libpq's socket is watched through a dup of its fd (struct db_watch): libpq
 * may close and reopen its socket while connecting (another host, SSL
 * fallback), and polling a dup keeps the epoll registration valid until we
 * notice the change (a different inode) and replace the watch. Requests that
 * cannot be served (no connection, connection lost, pool closing) are answered
 * from a uv_idle_t, never from inside db_query. Memory of libuv handles is
 * freed only in close callbacks; the pool itself when the last one closed.
 *
 * Once prepared, a connection stays in libpq's pipeline mode. A request is
 * sent as [SQL_ACTOR (set_config of the agency and scope, local), the
 * statement, Sync]: one round trip, one implicit transaction (the Sync ends
 * it, commit or rollback), so the actor is set for exactly that statement and
 * cannot leak to the next request. Results come back as: the actor's result,
 * NULL, the statement's result(s), NULL, PGRES_PIPELINE_SYNC (an error
 * aborts the rest: PGRES_PIPELINE_ABORTED until the Sync).
 *
 * libpq resolves a host name inside PQconnectStart, blocking. When the
 * conninfo names its host (one name, no hostaddr), the pool resolves it with
 * uv_getaddrinfo on libuv's thread pool and hands libpq the addresses as
 * hostaddr, with the name repeated as host once per address (libpq wants the
 * two lists equally long; the name stays for TLS and .pgpass), so libpq
 * tries them in turn as it would have. It resolves again after a connection
 * fails, so a moved database is found; until the first answer, connections
 * wait in BACKOFF. */
#include "db.h"

#include <assert.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "tamnong.pb-c.h"

#define DB_BACKOFF_BASE_MS 100
/* Server-side statement_timeout set at connect (an operator's `options` in
 * the conninfo come after it, so they win). The client-side watchdog adds
 * the connect timeout on top, for a server that stopped answering at all. */
#define DB_STATEMENT_TIMEOUT_MS 30000
#define DB_MAX_QUEUE            100000
#define DB_ERRMSG_MAX           256
#define DB_MAX_ADDRS            8 /* addresses of a host name given to libpq */

#define container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

enum dbc_state {
    DBC_BACKOFF,    /* not connected; the timer starts the next attempt */
    DBC_CONNECTING, /* PQconnectPoll in progress; the timer is the connect timeout */
    DBC_PREPARING,  /* connected, preparing sql_statements[] one by one */
    DBC_IDLE,       /* ready for a request */
    DBC_BUSY,       /* one request in flight; the timer is the watchdog */
    DBC_CLOSED,     /* the pool is closing; never used again */
    DBC__COUNT
};

static const char *const dbc_state_names[DBC__COUNT] = {
    "BACKOFF", "CONNECTING", "PREPARING", "IDLE", "BUSY", "CLOSED",
};

struct db_req {
    struct db_req *next;
    db_cb cb;
    void *data;
    enum sql_stmt stmt;
    int nparams;
    char actor_id[24]; /* tamnong.agency_id: decimal, or "" for none */
    bool actor_all;    /* tamnong.scope = 'all' */
    int status;        /* when answered from the failure list */
    char errmsg[DB_ERRMSG_MAX];
    const char **values; /* copies, in the same allocation */
};

struct req_list {
    struct db_req *head, *tail;
    int n;
};

struct db_conn;

struct db_watch {
    uv_poll_t poll;
    struct db_conn *conn;
    int fd; /* our dup of PQsocket */
    dev_t dev;
    ino_t ino;
    int events; /* as last started; 0 when stopped */
};

struct db_conn {
    struct db_pool *pool;
    int index;
    enum dbc_state state;
    PGconn *pg;
    struct db_watch *watch;
    uv_timer_t timer;
    unsigned attempt; /* failed attempts since the connection was last ready */
    bool was_ready;   /* the next ready is a reconnect */
    bool flushing;    /* PQflush returned 1: also wait for writable */
    int prepared;     /* statements prepared so far */
    struct db_req *req;
    PGresult *res; /* the statement's result, or the first error of the pipeline */
    int stage;     /* results read: 0 actor, 1 statement, 2 waiting for the Sync */
};

struct db_pool {
    uv_loop_t *loop;
    char *conninfo;
    char *options; /* ours, then the caller's, then the operator's conninfo `options` */
    int size;
    long connect_timeout_ms;
    long reconnect_max_ms;
    struct db_conn *conns;
    int n_state[DBC__COUNT];
    struct req_list queue;  /* waiting for a connection */
    struct req_list failed; /* answered with an error from `idle` */
    uv_idle_t idle;
    unsigned long reconnects;
    uint64_t rng;
    int open_handles; /* timers and watches not yet closed, and a resolution in flight */
    char *host_name;  /* the conninfo's host when it is a name to resolve, else NULL */
    char hostaddr[DB_MAX_ADDRS * INET6_ADDRSTRLEN]; /* its latest addresses, "a,b"; "" before */
    char *host_list;                                /* the name once per address, "n,n" */
    uv_getaddrinfo_t resolve;
    bool resolving;
    bool resolve_failed; /* the last answer was an error: warn once per outage */
    bool closing;
    bool timers_closing;
    void (*close_done)(void *);
    void *close_data;
};

static void conn_fail(struct db_conn *c, const char *why);
static void conn_after_idle(struct db_conn *c);
static void pool_resolve(struct db_pool *p);

/* --- small helpers ----------------------------------------------------------- */

static void list_push(struct req_list *l, struct db_req *r)
{
    r->next = NULL;
    if (l->tail)
        l->tail->next = r;
    else
        l->head = r;
    l->tail = r;
    l->n++;
}

static struct db_req *list_pop(struct req_list *l)
{
    struct db_req *r = l->head;
    if (r) {
        l->head = r->next;
        if (!l->head)
            l->tail = NULL;
        l->n--;
        r->next = NULL;
    }
    return r;
}

/* One line of text from a libpq message (they end in newlines and may hold
 * several lines: "...failed: ...\n\tIs the server running...?"). */
static void copy_msg(char *dst, size_t len, const char *src)
{
    if (!src || !*src)
        src = "unknown error";
    size_t j = 0;
    for (size_t i = 0; src[i] && j + 1 < len; i++) {
        char ch = src[i];
        if (ch == '\n' || ch == '\t' || ch == '\r')
            ch = ' ';
        if (ch == ' ' && (j == 0 || dst[j - 1] == ' '))
            continue;
        dst[j++] = ch;
    }
    while (j > 0 && dst[j - 1] == ' ')
        j--;
    dst[j] = '\0';
}

static uint64_t pool_rand(struct db_pool *p)
{
    /* xorshift64: jitter only, no security meaning */
    uint64_t x = p->rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    p->rng = x;
    return x;
}

static int pool_ready_count(const struct db_pool *p)
{
    return p->n_state[DBC_IDLE] + p->n_state[DBC_BUSY];
}

/* Connections that will serve a queued request soon: PostgreSQL answered. */
static int pool_accepting(const struct db_pool *p)
{
    return p->n_state[DBC_PREPARING] + p->n_state[DBC_IDLE] + p->n_state[DBC_BUSY];
}

/* --- answering with an error, later ----------------------------------------- */

static void deliver_failed(struct db_pool *p)
{
    /* Take the current list: requests failed by these callbacks wait for the
     * next loop iteration, so a caller retrying at once cannot spin here. */
    struct req_list l = p->failed;
    p->failed = (struct req_list){0};
    struct db_req *r;
    while ((r = list_pop(&l))) {
        r->cb(r->data, r->status, NULL, r->errmsg);
        free(r);
    }
}

static void idle_cb(uv_idle_t *h)
{
    struct db_pool *p = container_of(h, struct db_pool, idle);
    deliver_failed(p);
    if (!p->failed.head)
        uv_idle_stop(&p->idle);
}

static void fail_req_later(struct db_pool *p, struct db_req *r, int status, const char *msg)
{
    r->status = status;
    copy_msg(r->errmsg, sizeof r->errmsg, msg);
    list_push(&p->failed, r);
    if (!uv_is_closing((uv_handle_t *)&p->idle))
        uv_idle_start(&p->idle, idle_cb);
}

static void fail_queue(struct db_pool *p, const char *msg)
{
    struct db_req *r;
    while ((r = list_pop(&p->queue)))
        fail_req_later(p, r, TAMNONG__STATUS__UNAVAILABLE, msg);
}

/* --- closing ---------------------------------------------------------------- */

static void pool_free(struct db_pool *p)
{
    free(p->host_name);
    free(p->host_list);
    free(p->conns);
    free(p->conninfo);
    free(p->options);
    free(p);
}

static void idle_closed(uv_handle_t *h)
{
    struct db_pool *p = container_of((uv_idle_t *)h, struct db_pool, idle);
    /* Anything failed while the handles were closing is answered now. */
    while (p->failed.head)
        deliver_failed(p);
    void (*done)(void *) = p->close_done;
    void *data = p->close_data;
    pool_free(p);
    if (done)
        done(data);
}

static void handle_closed(struct db_pool *p)
{
    assert(p->open_handles > 0);
    if (--p->open_handles == 0 && p->timers_closing)
        uv_close((uv_handle_t *)&p->idle, idle_closed);
}

static void timer_closed(uv_handle_t *h)
{
    struct db_conn *c = container_of((uv_timer_t *)h, struct db_conn, timer);
    handle_closed(c->pool);
}

static void pool_maybe_finish(struct db_pool *p)
{
    if (!p->closing || p->timers_closing || p->n_state[DBC_CLOSED] != p->size)
        return;
    p->timers_closing = true;
    for (int i = 0; i < p->size; i++)
        uv_close((uv_handle_t *)&p->conns[i].timer, timer_closed);
}

/* --- the state machine -------------------------------------------------------- */

#define B(s) (1u << (s))

static void conn_set_state(struct db_conn *c, enum dbc_state to)
{
    static const unsigned allowed[DBC__COUNT] = {
        [DBC_BACKOFF] = B(DBC_CONNECTING) | B(DBC_CLOSED),
        [DBC_CONNECTING] = B(DBC_PREPARING) | B(DBC_BACKOFF) | B(DBC_CLOSED),
        [DBC_PREPARING] = B(DBC_IDLE) | B(DBC_BACKOFF) | B(DBC_CLOSED),
        [DBC_IDLE] = B(DBC_BUSY) | B(DBC_BACKOFF) | B(DBC_CLOSED),
        [DBC_BUSY] = B(DBC_IDLE) | B(DBC_BACKOFF) | B(DBC_CLOSED),
        [DBC_CLOSED] = 0,
    };
    struct db_pool *p = c->pool;
    enum dbc_state from = c->state;
    if (!(allowed[from] & B(to))) {
        log_error("database connection %d: bad transition %s -> %s", c->index,
                  dbc_state_names[from], dbc_state_names[to]);
        abort();
    }
    int ready_before = pool_ready_count(p);
    p->n_state[from]--;
    p->n_state[to]++;
    c->state = to;
    int ready_after = pool_ready_count(p);
    log_debug("database connection %d: %s -> %s", c->index, dbc_state_names[from],
              dbc_state_names[to]);
    if (ready_before == 0 && ready_after > 0)
        log_notice("PostgreSQL is available");
    else if (ready_before > 0 && ready_after == 0 && !p->closing)
        log_warning("no PostgreSQL connection is left; requests fail with UNAVAILABLE until "
                    "it is back");
}

/* --- watching libpq's socket ------------------------------------------------ */

static void poll_cb(uv_poll_t *h, int status, int events);

static void watch_closed(uv_handle_t *h)
{
    struct db_watch *w = container_of((uv_poll_t *)h, struct db_watch, poll);
    struct db_pool *p = w->conn->pool;
    close(w->fd);
    free(w);
    handle_closed(p);
}

static void watch_close(struct db_conn *c)
{
    if (!c->watch)
        return;
    uv_close((uv_handle_t *)&c->watch->poll, watch_closed);
    c->watch = NULL;
}

/* Make c->watch poll libpq's current socket, replacing it when libpq opened
 * another one (a new inode: our dup keeps the old one alive until then, so
 * the number may even be reused). 0 or -1. */
static int watch_current_socket(struct db_conn *c)
{
    struct db_pool *p = c->pool;
    int fd = PQsocket(c->pg);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0)
        return -1;
    struct db_watch *w = c->watch;
    if (w && w->dev == st.st_dev && w->ino == st.st_ino)
        return 0;
    if (w) {
        log_debug("database connection %d: libpq changed its socket", c->index);
        watch_close(c);
    }
    w = calloc(1, sizeof *w);
    if (!w)
        return -1;
    w->fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    if (w->fd < 0) {
        free(w);
        return -1;
    }
    if (uv_poll_init(p->loop, &w->poll, w->fd) != 0) {
        close(w->fd);
        free(w);
        return -1;
    }
    w->conn = c;
    w->dev = st.st_dev;
    w->ino = st.st_ino;
    p->open_handles++;
    c->watch = w;
    return 0;
}

/* Wait for `events` on libpq's socket. 0 or -1. */
static int conn_watch(struct db_conn *c, int events)
{
    /* Once connected, libpq keeps its socket: no fstat per statement. */
    if ((!c->watch || c->state == DBC_CONNECTING) && watch_current_socket(c) != 0)
        return -1;
    struct db_watch *w = c->watch;
    if (w->events != events) {
        if (uv_poll_start(&w->poll, events, poll_cb) != 0)
            return -1;
        w->events = events;
    }
    return 0;
}

/* Drop libpq's connection and our watch of it; keeps the request. */
static void conn_drop(struct db_conn *c)
{
    watch_close(c);
    if (c->res) {
        PQclear(c->res);
        c->res = NULL;
    }
    if (c->pg) {
        PQfinish(c->pg);
        c->pg = NULL;
    }
    c->flushing = false;
}

static void conn_close(struct db_conn *c)
{
    assert(!c->req);
    uv_timer_stop(&c->timer);
    conn_drop(c);
    conn_set_state(c, DBC_CLOSED);
}

static void timer_cb(uv_timer_t *t);

static uint64_t backoff_ms(struct db_conn *c)
{
    struct db_pool *p = c->pool;
    uint64_t cap = p->reconnect_max_ms > 0 ? (uint64_t)p->reconnect_max_ms : 1;
    unsigned shift = c->attempt < 16 ? c->attempt : 16;
    uint64_t d = (uint64_t)DB_BACKOFF_BASE_MS << shift;
    if (d > cap)
        d = cap;
    /* "equal jitter": half fixed, half random, so connections spread out */
    return d / 2 + pool_rand(p) % (d / 2 + 1);
}

/* A connection-level failure: the request in flight (if any) gets
 * UNAVAILABLE, the connection backs off and reconnects. */
static void conn_fail(struct db_conn *c, const char *why)
{
    struct db_pool *p = c->pool;
    char msg[DB_ERRMSG_MAX];
    copy_msg(msg, sizeof msg, why); /* `why` may live in the PGconn we finish */
    if (c->attempt == 0 && !p->closing)
        log_warning("database connection %d (%s): %s", c->index, dbc_state_names[c->state], msg);
    else
        log_debug("database connection %d (%s): %s", c->index, dbc_state_names[c->state], msg);
    uv_timer_stop(&c->timer);
    conn_drop(c);
    if (c->req) {
        struct db_req *r = c->req;
        c->req = NULL;
        fail_req_later(p, r, TAMNONG__STATUS__UNAVAILABLE, msg);
    }
    if (p->closing) {
        conn_set_state(c, DBC_CLOSED);
        pool_maybe_finish(p);
        return;
    }
    conn_set_state(c, DBC_BACKOFF);
    if (p->host_name)
        pool_resolve(p); /* the database may have moved */
    uint64_t delay = backoff_ms(c);
    c->attempt++;
    uv_timer_start(&c->timer, timer_cb, delay, 0);
    if (pool_accepting(p) == 0)
        fail_queue(p, msg);
}

static void notice_cb(void *arg, const PGresult *res)
{
    struct db_conn *c = arg;
    char msg[DB_ERRMSG_MAX];
    copy_msg(msg, sizeof msg, PQresultErrorMessage(res));
    const char *sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
    if (sev && strcmp(sev, "WARNING") == 0)
        log_warning("database connection %d: PostgreSQL says: %s", c->index, msg);
    else
        log_debug("database connection %d: PostgreSQL says: %s", c->index, msg);
}

static void resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    struct db_pool *p = container_of(req, struct db_pool, resolve);
    p->resolving = false;
    char addrs[sizeof p->hostaddr] = "";
    size_t len = 0;
    int n = 0;
    for (struct addrinfo *ai = status == 0 ? res : NULL; ai && n < DB_MAX_ADDRS; ai = ai->ai_next) {
        char one[INET6_ADDRSTRLEN] = "";
        if (ai->ai_family == AF_INET)
            uv_ip4_name((const struct sockaddr_in *)ai->ai_addr, one, sizeof one);
        else if (ai->ai_family == AF_INET6)
            uv_ip6_name((const struct sockaddr_in6 *)ai->ai_addr, one, sizeof one);
        if (!one[0])
            continue;
        len += (size_t)snprintf(addrs + len, sizeof addrs - len, "%s%s", n ? "," : "", one);
        n++;
    }
    uv_freeaddrinfo(res);
    size_t name_len = strlen(p->host_name);
    char *list = n ? malloc((size_t)n * (name_len + 1)) : NULL;
    if (list) {
        for (int i = 0; i < n; i++) {
            memcpy(list + (size_t)i * (name_len + 1), p->host_name, name_len);
            list[(size_t)i * (name_len + 1) + name_len] = i + 1 < n ? ',' : '\0';
        }
        p->resolve_failed = false;
        if (strcmp(addrs, p->hostaddr) != 0)
            log_info("database host %s is at %s", p->host_name, addrs);
        memcpy(p->hostaddr, addrs, sizeof addrs);
        free(p->host_list);
        p->host_list = list;
    } else if (status != UV_EAI_CANCELED && !p->closing) {
        LOG_AT(p->resolve_failed ? LOG_DEBUG : LOG_WARNING,
               "cannot resolve the database host %s: %s", p->host_name,
               status ? uv_strerror(status)
               : n    ? "out of memory"
                      : "no address");
        p->resolve_failed = true;
    }
    handle_closed(p); /* may free the pool when it is closing */
}

/* Start resolving the host name, unless it is under way or the pool closes. */
static void pool_resolve(struct db_pool *p)
{
    if (p->resolving || p->closing)
        return;
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    int r = uv_getaddrinfo(p->loop, &p->resolve, resolved, p->host_name, NULL, &hints);
    if (r != 0) {
        log_warning("cannot resolve the database host %s: %s", p->host_name, uv_strerror(r));
        return;
    }
    p->resolving = true;
    p->open_handles++;
}

static void conn_start(struct db_conn *c)
{
    struct db_pool *p = c->pool;
    if (p->host_name && !p->host_list) { /* no address yet: ask, look again soon */
        pool_resolve(p);
        uint64_t delay = c->attempt == 0 ? DB_BACKOFF_BASE_MS / 4 : backoff_ms(c);
        c->attempt++;
        uv_timer_start(&c->timer, timer_cb, delay, 0);
        return;
    }
    /* Keywords before dbname may be overridden by the operator's conninfo,
     * which is expanded from dbname; options come after it, as they already
     * hold the conninfo's own (db_pool_new), and so does the resolved
     * hostaddr (see the top). */
    const char *const kw[] = {"application_name",           "dbname",   "options",
                              p->host_name ? "host" : NULL, "hostaddr", NULL};
    const char *const val[] = {"tamnongd",   p->conninfo, p->options,
                               p->host_list, p->hostaddr, NULL};
    conn_set_state(c, DBC_CONNECTING);
    c->prepared = 0;
    c->pg = PQconnectStartParams(kw, val, 1);
    if (!c->pg) {
        conn_fail(c, "out of memory");
        return;
    }
    if (PQstatus(c->pg) == CONNECTION_BAD || PQsetnonblocking(c->pg, 1) != 0) {
        conn_fail(c, PQerrorMessage(c->pg));
        return;
    }
    PQsetNoticeReceiver(c->pg, notice_cb, c);
    uv_timer_start(&c->timer, timer_cb, (uint64_t)p->connect_timeout_ms, 0);
    /* Before the first PQconnectPoll, libpq wants the socket writable. */
    if (conn_watch(c, UV_WRITABLE) != 0)
        conn_fail(c, "cannot watch the database socket");
}

/* Flush what libpq buffered; wait for writable only while it has more.
 * 0, or -1 after conn_fail. */
static int conn_flush(struct db_conn *c)
{
    int r = PQflush(c->pg);
    if (r < 0) {
        conn_fail(c, PQerrorMessage(c->pg));
        return -1;
    }
    c->flushing = r == 1;
    if (conn_watch(c, UV_READABLE | (c->flushing ? UV_WRITABLE : 0)) != 0) {
        conn_fail(c, "cannot watch the database socket");
        return -1;
    }
    return 0;
}

static void conn_send_prepare(struct db_conn *c)
{
    const struct sql_statement *s = &sql_statements[c->prepared];
    if (!PQsendPrepare(c->pg, s->name, s->text, s->nparams, NULL)) {
        conn_fail(c, PQerrorMessage(c->pg));
        return;
    }
    conn_flush(c);
}

static void conn_ready(struct db_conn *c)
{
    struct db_pool *p = c->pool;
    uv_timer_stop(&c->timer);
    if (c->was_ready)
        p->reconnects++;
    c->was_ready = true;
    c->attempt = 0;
    if (!PQenterPipelineMode(c->pg)) {
        conn_fail(c, PQerrorMessage(c->pg));
        return;
    }
    conn_set_state(c, DBC_IDLE);
    /* Idle, we still read: that is how a server going away is noticed. */
    if (conn_watch(c, UV_READABLE) != 0) {
        conn_fail(c, "cannot watch the database socket");
        return;
    }
    conn_after_idle(c);
}

static void conn_send(struct db_conn *c, struct db_req *r)
{
    struct db_pool *p = c->pool;
    c->req = r;
    conn_set_state(c, DBC_BUSY);
    uv_timer_start(&c->timer, timer_cb,
                   (uint64_t)DB_STATEMENT_TIMEOUT_MS + (uint64_t)p->connect_timeout_ms, 0);
    const struct sql_statement *a = &sql_statements[SQL_ACTOR];
    const struct sql_statement *s = &sql_statements[r->stmt];
    const char *const actor[] = {r->actor_id, r->actor_all ? "all" : ""};
    c->stage = 0;
    if (!PQsendQueryPrepared(c->pg, a->name, 2, actor, NULL, NULL, 0) ||
        !PQsendQueryPrepared(c->pg, s->name, r->nparams, r->values, NULL, NULL, 0) ||
        !PQpipelineSync(c->pg)) {
        conn_fail(c, PQerrorMessage(c->pg));
        return;
    }
    conn_flush(c);
}

/* An idle connection takes the next queued request, or closes with the pool. */
static void conn_after_idle(struct db_conn *c)
{
    struct db_pool *p = c->pool;
    if (c->state != DBC_IDLE)
        return;
    if (p->closing) {
        conn_close(c);
        pool_maybe_finish(p);
        return;
    }
    struct db_req *r = list_pop(&p->queue);
    if (r)
        conn_send(c, r);
}

static bool sqlstate_is(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Status for a statement error. *conn_gone when the server is ending the
 * session (the connection must be dropped). */
static int status_from_result(const PGresult *res, bool *conn_gone)
{
    *conn_gone = false;
    const char *s = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    if (!s || strlen(s) != 5)
        return TAMNONG__STATUS__INTERNAL;
    if (strcmp(s, "23505") == 0)
        return TAMNONG__STATUS__ALREADY_EXISTS;
    if (sqlstate_is(s, "22") || sqlstate_is(s, "23"))
        return TAMNONG__STATUS__INVALID_ARGUMENT;
    if (strcmp(s, "40001") == 0 || strcmp(s, "40P01") == 0)
        return TAMNONG__STATUS__ABORTED;
    if (strcmp(s, "57014") == 0) /* statement_timeout */
        return TAMNONG__STATUS__DEADLINE_EXCEEDED;
    if (sqlstate_is(s, "08") || sqlstate_is(s, "57P")) { /* connection, shutdown */
        *conn_gone = true;
        return TAMNONG__STATUS__UNAVAILABLE;
    }
    if (sqlstate_is(s, "53")) /* insufficient resources */
        return TAMNONG__STATUS__UNAVAILABLE;
    return TAMNONG__STATUS__INTERNAL;
}

/* PQgetResult returned NULL: the statement in flight is complete. */
static void conn_statement_done(struct db_conn *c)
{
    PGresult *res = c->res;
    c->res = NULL;
    if (PQstatus(c->pg) != CONNECTION_OK) {
        PQclear(res);
        conn_fail(c, PQerrorMessage(c->pg));
        return;
    }
    ExecStatusType rs = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    bool ok = rs == PGRES_COMMAND_OK || rs == PGRES_TUPLES_OK;
    char msg[DB_ERRMSG_MAX] = "";
    if (!ok)
        copy_msg(msg, sizeof msg, res ? PQresultErrorMessage(res) : "no result");

    if (c->state == DBC_PREPARING) {
        const char *name = sql_statements[c->prepared].name;
        PQclear(res);
        if (!ok) {
            char why[DB_ERRMSG_MAX + 128];
            snprintf(why, sizeof why,
                     "cannot prepare statement %s (are the migrations applied?): %s", name, msg);
            conn_fail(c, why);
            return;
        }
        if (++c->prepared < SQL__COUNT)
            conn_send_prepare(c);
        else
            conn_ready(c);
        return;
    }

    assert(c->state == DBC_BUSY && c->req);
    int status = TAMNONG__STATUS__OK;
    if (!ok) {
        bool gone = false;
        status = res ? status_from_result(res, &gone) : TAMNONG__STATUS__INTERNAL;
        if (gone) {
            PQclear(res);
            conn_fail(c, msg); /* answers the request with UNAVAILABLE */
            return;
        }
        log_debug("database connection %d: statement %s failed: %s", c->index,
                  sql_statements[c->req->stmt].name, msg);
    }
    struct db_req *r = c->req;
    c->req = NULL;
    uv_timer_stop(&c->timer);
    conn_set_state(c, DBC_IDLE);
    r->cb(r->data, status, res, ok ? NULL : msg);
    free(r);
    PQclear(res);
    conn_after_idle(c);
}

/* While preparing: one statement at a time, done at the NULL result. */
static void conn_read_prepare(struct db_conn *c)
{
    while (!PQisBusy(c->pg)) {
        PGresult *r = PQgetResult(c->pg);
        if (!r) {
            conn_statement_done(c);
            return;
        }
        if (c->res && PQresultStatus(c->res) == PGRES_FATAL_ERROR) {
            PQclear(r);
        } else {
            PQclear(c->res);
            c->res = r;
        }
    }
}

/* A request's pipeline (see the top of this file): done at the Sync. */
static void conn_read_pipeline(struct db_conn *c)
{
    while (!PQisBusy(c->pg)) {
        PGresult *r = PQgetResult(c->pg);
        if (!r) {
            /* The end of one query's results; the Sync ends the request. */
            if (PQstatus(c->pg) != CONNECTION_OK || ++c->stage > 2) {
                conn_fail(c, PQstatus(c->pg) != CONNECTION_OK ? PQerrorMessage(c->pg)
                                                              : "unexpected end of a pipeline");
                return;
            }
            continue;
        }
        ExecStatusType st = PQresultStatus(r);
        if (st == PGRES_PIPELINE_SYNC) {
            PQclear(r);
            if (c->stage != 2) {
                conn_fail(c, "unexpected pipeline synchronisation");
                return;
            }
            if (!c->res)
                c->res = PQmakeEmptyPGresult(c->pg, PGRES_FATAL_ERROR);
            conn_statement_done(c);
            return;
        }
        bool err = st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK;
        /* Keep the first error; of the statement, its (last) result. */
        if ((c->res && PQresultStatus(c->res) == PGRES_FATAL_ERROR) ||
            st == PGRES_PIPELINE_ABORTED || (c->stage == 0 && !err)) {
            PQclear(r);
        } else {
            PQclear(c->res);
            c->res = r;
        }
    }
}

static void conn_read_results(struct db_conn *c)
{
    if (c->state == DBC_PREPARING)
        conn_read_prepare(c);
    else
        conn_read_pipeline(c);
}

static void conn_connect_step(struct db_conn *c)
{
    switch (PQconnectPoll(c->pg)) {
    case PGRES_POLLING_READING:
        if (conn_watch(c, UV_READABLE) != 0)
            conn_fail(c, "cannot watch the database socket");
        break;
    case PGRES_POLLING_WRITING:
    case PGRES_POLLING_ACTIVE:
        if (conn_watch(c, UV_WRITABLE) != 0)
            conn_fail(c, "cannot watch the database socket");
        break;
    case PGRES_POLLING_OK:
        log_debug("database connection %d: connected (server %d)", c->index,
                  PQserverVersion(c->pg));
        conn_set_state(c, DBC_PREPARING);
        conn_send_prepare(c);
        break;
    case PGRES_POLLING_FAILED:
    default:
        conn_fail(c, PQerrorMessage(c->pg));
        break;
    }
}

static void conn_io(struct db_conn *c, int status, int events)
{
    if (status < 0 || (events & UV_READABLE)) {
        if (!PQconsumeInput(c->pg)) {
            conn_fail(c, PQerrorMessage(c->pg));
            return;
        }
        if (status < 0) {
            conn_fail(c, uv_strerror(status));
            return;
        }
    }
    if (PQstatus(c->pg) != CONNECTION_OK) {
        conn_fail(c, PQerrorMessage(c->pg));
        return;
    }
    if (c->flushing && conn_flush(c) != 0)
        return;
    if (c->state == DBC_IDLE) {
        PGnotify *n;
        while ((n = PQnotifies(c->pg)))
            PQfreemem(n);
        return;
    }
    conn_read_results(c);
}

static void poll_cb(uv_poll_t *h, int status, int events)
{
    struct db_watch *w = container_of(h, struct db_watch, poll);
    struct db_conn *c = w->conn;
    if (c->watch != w)
        return;
    if (status < 0)
        w->events = 0; /* libuv stopped the handle */
    switch (c->state) {
    case DBC_CONNECTING:
        conn_connect_step(c);
        break;
    case DBC_PREPARING:
    case DBC_IDLE:
    case DBC_BUSY:
        conn_io(c, status, events);
        break;
    default:
        break;
    }
}

static void timer_cb(uv_timer_t *t)
{
    struct db_conn *c = container_of(t, struct db_conn, timer);
    switch (c->state) {
    case DBC_BACKOFF:
        conn_start(c);
        break;
    case DBC_CONNECTING:
    case DBC_PREPARING:
        conn_fail(c, "timed out connecting to PostgreSQL");
        break;
    case DBC_BUSY:
        conn_fail(c, "PostgreSQL did not answer a statement in time");
        break;
    default:
        break;
    }
}

/* --- public ----------------------------------------------------------------- */

/* The backend options of every connection: statement_timeout, then the
 * caller's, then the operator's from the conninfo (later -c settings win).
 * NULL when out of memory. */
static char *pool_options(const char *extra, const char *operator_opts)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    if (!f)
        return NULL;
    fprintf(f, "-c statement_timeout=%d", DB_STATEMENT_TIMEOUT_MS);
    if (extra && *extra)
        fprintf(f, " %s", extra);
    if (operator_opts && *operator_opts)
        fprintf(f, " %s", operator_opts);
    if (fclose(f) != 0) {
        free(out);
        return NULL;
    }
    return out;
}

/* A single host name for DNS: not a socket directory (/...), not an abstract
 * socket (@...), not an address, not a list (host=a,b: left to libpq). */
static bool host_is_name(const char *h)
{
    unsigned char buf[sizeof(struct in6_addr)];
    return h[0] != '/' && h[0] != '@' && !strchr(h, ',') && inet_pton(AF_INET, h, buf) != 1 &&
           inet_pton(AF_INET6, h, buf) != 1;
}

struct db_pool *db_pool_new(uv_loop_t *loop, const char *conninfo, const char *options, int size,
                            long connect_timeout_ms, long reconnect_max_ms)
{
    if (size < 1 || connect_timeout_ms < 1)
        return NULL;
    char *operator_opts = NULL, *host_name = NULL;
    if (conninfo && *conninfo) {
        char *err = NULL;
        PQconninfoOption *opts = PQconninfoParse(conninfo, &err);
        if (!opts) {
            char msg[DB_ERRMSG_MAX];
            copy_msg(msg, sizeof msg, err ? err : "out of memory");
            log_error("database connection string: %s", msg);
            PQfreemem(err);
            return NULL;
        }
        bool oom = false;
        const char *host = NULL, *hostaddr = NULL;
        for (PQconninfoOption *o = opts; o->keyword; o++) {
            if (strcmp(o->keyword, "options") == 0 && o->val && *o->val)
                oom = !(operator_opts = strdup(o->val));
            else if (strcmp(o->keyword, "host") == 0 && o->val && *o->val)
                host = o->val;
            else if (strcmp(o->keyword, "hostaddr") == 0 && o->val && *o->val)
                hostaddr = o->val;
        }
        if (host && !hostaddr && host_is_name(host) && !oom)
            oom = !(host_name = strdup(host));
        PQconninfoFree(opts);
        if (oom) {
            free(operator_opts);
            return NULL;
        }
    }
    struct db_pool *p = calloc(1, sizeof *p);
    if (!p) {
        free(operator_opts);
        free(host_name);
        return NULL;
    }
    p->host_name = host_name;
    p->conns = calloc((size_t)size, sizeof *p->conns);
    p->conninfo = strdup(conninfo ? conninfo : "");
    p->options = pool_options(options, operator_opts);
    free(operator_opts);
    if (!p->conns || !p->conninfo || !p->options) {
        pool_free(p);
        return NULL;
    }
    p->loop = loop;
    p->size = size;
    p->connect_timeout_ms = connect_timeout_ms;
    p->reconnect_max_ms = reconnect_max_ms;
    p->rng = uv_hrtime() ^ ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)p;
    if (!p->rng)
        p->rng = 1;
    uv_idle_init(loop, &p->idle);
    p->n_state[DBC_BACKOFF] = size;
    for (int i = 0; i < size; i++) {
        struct db_conn *c = &p->conns[i];
        c->pool = p;
        c->index = i;
        c->state = DBC_BACKOFF;
        uv_timer_init(loop, &c->timer);
        p->open_handles++;
    }
    for (int i = 0; i < size; i++)
        conn_start(&p->conns[i]);
    return p;
}

int db_query(struct db_pool *p, const struct db_actor *actor, enum sql_stmt stmt, int nparams,
             const char *const *values, db_cb cb, void *data)
{
    size_t extra = 0;
    int n = nparams > 0 ? nparams : 0;
    for (int i = 0; i < n; i++)
        if (values && values[i])
            extra += strlen(values[i]) + 1;
    struct db_req *r = malloc(sizeof *r + (size_t)n * sizeof(char *) + extra);
    if (!r) {
        log_error("out of memory queuing a database request");
        abort();
    }
    memset(r, 0, sizeof *r);
    r->cb = cb;
    r->data = data;
    r->stmt = stmt;
    r->nparams = n;
    if (actor && actor->agency_id > 0)
        snprintf(r->actor_id, sizeof r->actor_id, "%lld", (long long)actor->agency_id);
    r->actor_all = actor && actor->all;
    r->values = (const char **)(void *)(r + 1);
    char *s = (char *)(r->values + n);
    for (int i = 0; i < n; i++) {
        if (!values || !values[i]) {
            r->values[i] = NULL;
            continue;
        }
        size_t len = strlen(values[i]) + 1;
        memcpy(s, values[i], len);
        r->values[i] = s;
        s += len;
    }

    if ((unsigned)stmt >= SQL__COUNT || n != sql_statements[stmt].nparams) {
        log_error("db_query: bad statement %d with %d parameters", (int)stmt, nparams);
        fail_req_later(p, r, TAMNONG__STATUS__INTERNAL, "bad statement");
        return 0;
    }
    if (p->closing) {
        fail_req_later(p, r, TAMNONG__STATUS__UNAVAILABLE, "the server is shutting down");
        return 0;
    }
    for (int i = 0; i < p->size; i++) {
        if (p->conns[i].state == DBC_IDLE) {
            conn_send(&p->conns[i], r);
            return 0;
        }
    }
    if (pool_accepting(p) == 0) {
        fail_req_later(p, r, TAMNONG__STATUS__UNAVAILABLE, "no connection to PostgreSQL");
        return 0;
    }
    if (p->queue.n >= DB_MAX_QUEUE) {
        fail_req_later(p, r, TAMNONG__STATUS__RESOURCE_EXHAUSTED,
                       "too many requests waiting for the database");
        return 0;
    }
    list_push(&p->queue, r);
    return 0;
}

bool db_pool_ready(const struct db_pool *p)
{
    return p && !p->closing && pool_ready_count(p) > 0;
}

void db_pool_get_stats(const struct db_pool *p, struct db_pool_stats *out)
{
    memset(out, 0, sizeof *out);
    if (!p)
        return;
    out->size = p->size;
    out->connected = pool_ready_count(p);
    out->busy = p->n_state[DBC_BUSY];
    out->queued = p->queue.n;
    out->reconnects = p->reconnects;
}

void db_pool_close(struct db_pool *p, void (*done)(void *), void *data)
{
    if (p->closing)
        return;
    p->closing = true;
    p->close_done = done;
    p->close_data = data;
    if (p->resolving) /* its callback still runs (UV_EAI_CANCELED) and ends it */
        uv_cancel((uv_req_t *)&p->resolve);
    fail_queue(p, "the server is shutting down");
    for (int i = 0; i < p->size; i++) {
        struct db_conn *c = &p->conns[i];
        if (c->state != DBC_BUSY && c->state != DBC_CLOSED)
            conn_close(c);
    }
    pool_maybe_finish(p);
}
