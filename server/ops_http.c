/* ops_http: the operators' HTTP port (see ops_http.h). Deliberately tiny:
 * one GET per connection, at most OPS_MAX_REQUEST bytes of request head read
 * within OPS_TIMEOUT_MS, then one answer with `Connection: close`. It never
 * blocks the loop and serves at most OPS_MAX_CLIENTS at once. */
#include "ops_http.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "metrics.h"

#define OPS_MAX_REQUEST 4096
#define OPS_TIMEOUT_MS  5000
#define OPS_MAX_CLIENTS 32

struct ops_client;

struct ops_http {
    uv_loop_t *loop;
    uv_tcp_t listener;
    struct db_pool *db;
    struct ops_client *clients;
    int nclients;
    int refs; /* the listener and each client not yet freed */
    bool closing;
};

struct ops_client {
    struct ops_client *prev, *next;
    struct ops_http *o;
    uv_tcp_t tcp;
    uv_timer_t timer;
    uv_write_t wr;
    uv_shutdown_t sh;
    int handles; /* open among tcp and timer */
    bool closing;
    bool answered;
    size_t len;
    char req[OPS_MAX_REQUEST];
    char head[256];
    char *body; /* malloc'ed, or NULL */
};

static void ops_unref(struct ops_http *o)
{
    if (--o->refs == 0)
        free(o);
}

static void client_handle_closed(uv_handle_t *h)
{
    struct ops_client *cl = h->data;
    if (--cl->handles > 0)
        return;
    struct ops_http *o = cl->o;
    free(cl->body);
    free(cl);
    ops_unref(o);
}

static void client_close(struct ops_client *cl)
{
    if (cl->closing)
        return;
    cl->closing = true;
    struct ops_http *o = cl->o;
    if (cl->prev)
        cl->prev->next = cl->next;
    else
        o->clients = cl->next;
    if (cl->next)
        cl->next->prev = cl->prev;
    o->nclients--;
    uv_close((uv_handle_t *)&cl->tcp, client_handle_closed);
    uv_close((uv_handle_t *)&cl->timer, client_handle_closed);
}

static void timeout_cb(uv_timer_t *t)
{
    client_close(t->data);
}

static void shutdown_cb(uv_shutdown_t *req, int status)
{
    client_close(req->data);
}

static void write_cb(uv_write_t *req, int status)
{
    struct ops_client *cl = req->data;
    if (status < 0 || cl->closing) {
        client_close(cl);
        return;
    }
    cl->sh.data = cl;
    if (uv_shutdown(&cl->sh, (uv_stream_t *)&cl->tcp, shutdown_cb) != 0)
        client_close(cl);
}

static const char *reason_phrase(int code)
{
    switch (code) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 500:
        return "Internal Server Error";
    case 503:
        return "Service Unavailable";
    default:
        return "Error";
    }
}

/* Send the answer; body is taken over (freed with the client). */
static void respond(struct ops_client *cl, int code, const char *type, char *body, size_t len,
                    bool head_only)
{
    cl->answered = true;
    uv_read_stop((uv_stream_t *)&cl->tcp);
    cl->body = body;
    int n =
        snprintf(cl->head, sizeof cl->head,
                 "HTTP/1.1 %d %s\r\n"
                 "Content-Type: %s\r\n"
                 "Content-Length: %zu\r\n"
                 "Cache-Control: no-store\r\n"
                 "%s"
                 "Connection: close\r\n\r\n",
                 code, reason_phrase(code), type, len, code == 405 ? "Allow: GET, HEAD\r\n" : "");
    uv_buf_t bufs[2] = {uv_buf_init(cl->head, (unsigned)n), uv_buf_init(body, (unsigned)len)};
    cl->wr.data = cl;
    if (uv_write(&cl->wr, (uv_stream_t *)&cl->tcp, bufs, head_only || len == 0 ? 1 : 2, write_cb) !=
        0)
        client_close(cl);
}

static void respond_text(struct ops_client *cl, int code, const char *text, bool head_only)
{
    size_t len = strlen(text);
    char *body = malloc(len + 1);
    if (!body) {
        client_close(cl);
        return;
    }
    memcpy(body, text, len + 1);
    respond(cl, code, "text/plain; charset=utf-8", body, len, head_only);
}

static void serve_metrics(struct ops_client *cl, bool head_only)
{
    char *body = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&body, &len);
    if (!f) {
        respond_text(cl, 500, "cannot build the metrics\n", head_only);
        return;
    }
    metrics_write(f, cl->o->db);
    if (fclose(f) != 0) {
        free(body);
        respond_text(cl, 500, "cannot build the metrics\n", head_only);
        return;
    }
    respond(cl, 200, "text/plain; version=0.0.4; charset=utf-8", body, len, head_only);
}

/* The request head is complete in cl->req[0..len): answer it. */
static void handle_request(struct ops_client *cl)
{
    char *line_end = memchr(cl->req, '\n', cl->len);
    size_t n = line_end ? (size_t)(line_end - cl->req) : 0;
    if (n > 0 && cl->req[n - 1] == '\r')
        n--;
    char line[OPS_MAX_REQUEST];
    memcpy(line, cl->req, n);
    line[n] = '\0';
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)line[i] < 0x20 || (unsigned char)line[i] >= 0x7f) {
            respond_text(cl, 400, "bad request\n", false);
            return;
        }
    }
    /* METHOD SP TARGET SP HTTP/1.x */
    char *sp1 = strchr(line, ' ');
    char *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
    if (!sp1 || !sp2 || sp1 == line || sp1[1] != '/' || strchr(sp2 + 1, ' ') ||
        (strcmp(sp2 + 1, "HTTP/1.1") != 0 && strcmp(sp2 + 1, "HTTP/1.0") != 0)) {
        respond_text(cl, 400, "bad request\n", false);
        return;
    }
    *sp1 = '\0';
    *sp2 = '\0';
    const char *method = line, *target = sp1 + 1;
    char path[OPS_MAX_REQUEST];
    snprintf(path, sizeof path, "%.*s", (int)strcspn(target, "?#"), target);
    bool get = strcmp(method, "GET") == 0, head = strcmp(method, "HEAD") == 0;
    bool healthz = strcmp(path, "/healthz") == 0, metrics = strcmp(path, "/metrics") == 0;
    if (!healthz && !metrics) {
        respond_text(cl, 404, "not found\n", head);
        return;
    }
    if (!get && !head) {
        respond_text(cl, 405, "only GET and HEAD\n", false);
        return;
    }
    if (healthz) {
        if (db_pool_ready(cl->o->db))
            respond_text(cl, 200, "ok\n", head);
        else
            respond_text(cl, 503, "database unavailable\n", head);
    } else {
        serve_metrics(cl, head);
    }
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct ops_client *cl = h->data;
    *buf = uv_buf_init(cl->req + cl->len, (unsigned)(sizeof cl->req - cl->len));
}

static bool head_complete(const char *p, size_t len)
{
    for (size_t i = 0; i + 1 < len; i++) {
        if (p[i] == '\n' &&
            (p[i + 1] == '\n' || (p[i + 1] == '\r' && i + 2 < len && p[i + 2] == '\n')))
            return true;
    }
    return false;
}

static void read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    struct ops_client *cl = s->data;
    if (nread < 0) {
        client_close(cl);
        return;
    }
    if (nread == 0 || cl->answered)
        return;
    cl->len += (size_t)nread;
    if (head_complete(cl->req, cl->len))
        handle_request(cl);
    else if (cl->len == sizeof cl->req)
        respond_text(cl, 400, "request too large\n", false);
}

static void reject_closed(uv_handle_t *h)
{
    struct ops_http *o = h->data;
    free(h);
    ops_unref(o);
}

static void connection_cb(uv_stream_t *server, int status)
{
    struct ops_http *o = server->data;
    if (status < 0 || o->closing)
        return;
    if (o->nclients >= OPS_MAX_CLIENTS) {
        /* accept and drop it at once, so it does not sit in the backlog */
        uv_tcp_t *t = malloc(sizeof *t);
        if (!t || uv_tcp_init(o->loop, t) != 0) {
            free(t);
            return;
        }
        t->data = o;
        o->refs++;
        uv_accept(server, (uv_stream_t *)t);
        uv_close((uv_handle_t *)t, reject_closed);
        return;
    }
    struct ops_client *cl = calloc(1, sizeof *cl);
    if (!cl)
        return;
    cl->o = o;
    uv_tcp_init(o->loop, &cl->tcp);
    uv_timer_init(o->loop, &cl->timer);
    cl->tcp.data = cl->timer.data = cl;
    cl->handles = 2;
    o->refs++;
    cl->next = o->clients;
    if (o->clients)
        o->clients->prev = cl;
    o->clients = cl;
    o->nclients++;
    if (uv_accept(server, (uv_stream_t *)&cl->tcp) != 0 ||
        uv_read_start((uv_stream_t *)&cl->tcp, alloc_cb, read_cb) != 0) {
        client_close(cl);
        return;
    }
    uv_timer_start(&cl->timer, timeout_cb, OPS_TIMEOUT_MS, 0);
}

static void listener_closed(uv_handle_t *h)
{
    ops_unref(h->data);
}

struct ops_http *ops_http_start(uv_loop_t *loop, const char *address, int port, struct db_pool *db,
                                char *err, size_t errlen)
{
    union {
        struct sockaddr sa;
        struct sockaddr_in in4;
        struct sockaddr_in6 in6;
    } addr;
    const char *host = address && *address ? address : "127.0.0.1";
    if (strcmp(host, "localhost") == 0)
        host = "127.0.0.1";
    if (port < 0 || port > 65535 ||
        (uv_ip4_addr(host, port, &addr.in4) != 0 && uv_ip6_addr(host, port, &addr.in6) != 0)) {
        snprintf(err, errlen, "ops HTTP address %s port %d is not a numeric IP address and port",
                 host, port);
        return NULL;
    }
    struct ops_http *o = calloc(1, sizeof *o);
    if (!o) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    o->loop = loop;
    o->db = db;
    o->refs = 1;
    uv_tcp_init(loop, &o->listener);
    o->listener.data = o;
    int rc = uv_tcp_bind(&o->listener, &addr.sa, 0);
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)&o->listener, 64, connection_cb);
    if (rc != 0) {
        snprintf(err, errlen, "cannot listen for ops HTTP on %s port %d: %s", host, port,
                 uv_strerror(rc));
        o->closing = true;
        uv_close((uv_handle_t *)&o->listener, listener_closed);
        return NULL;
    }
    log_info("ops HTTP (/healthz, /metrics) on %s port %d", host, port);
    return o;
}

void ops_http_close(struct ops_http *o)
{
    if (!o || o->closing)
        return;
    o->closing = true;
    uv_close((uv_handle_t *)&o->listener, listener_closed);
    while (o->clients)
        client_close(o->clients);
}
