/* listener: binds the agency port and passes every accepted connection to
 * conn.c (see listener.h). */
#include "listener.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "conn.h"
#include "log.h"

/* The kernel caps it at net.core.somaxconn; a large backlog absorbs bursts
 * of handshakes (every agency reconnecting after a restart). */
#define LISTEN_BACKLOG 4096

struct listener {
    uv_tcp_t tcp;
    struct server *srv;
};

static void on_connection(uv_stream_t *s, int status)
{
    struct listener *l = s->data;
    if (status < 0) {
        log_warning("accept on the agency port: %s", uv_strerror(status));
        return;
    }
    conn_accept(l->srv, s);
}

static void on_close(uv_handle_t *h)
{
    free(h->data);
}

int listener_start(struct server *srv, const char *address, int port, struct listener **out,
                   char *err, size_t errlen)
{
    struct sockaddr_storage ss;
    int rc;
    *out = NULL;
    if (uv_ip4_addr(address, port, (struct sockaddr_in *)&ss) != 0 &&
        uv_ip6_addr(address, port, (struct sockaddr_in6 *)&ss) != 0) {
        snprintf(err, errlen, "listen_address '%s' is not an IPv4 or IPv6 address", address);
        return -EINVAL;
    }
    struct listener *l = calloc(1, sizeof *l);
    if (!l) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    l->srv = srv;
    uv_tcp_init(srv->loop, &l->tcp);
    l->tcp.data = l;
    if ((rc = uv_tcp_bind(&l->tcp, (const struct sockaddr *)&ss, 0)) < 0 ||
        (rc = uv_listen((uv_stream_t *)&l->tcp, LISTEN_BACKLOG, on_connection)) < 0) {
        snprintf(err, errlen, "cannot listen on %s port %d: %s", address, port, uv_strerror(rc));
        uv_close((uv_handle_t *)&l->tcp, on_close);
        return rc;
    }
    *out = l;
    return 0;
}

void listener_close(struct listener *l)
{
    if (l)
        uv_close((uv_handle_t *)&l->tcp, on_close);
}
