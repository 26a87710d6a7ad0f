/* tls_reload: periodic and SIGHUP reload of the TLS files off the loop (see
 * tls_reload.h). One reload runs at a time; a trigger meanwhile runs another
 * right after it, so the files read are never older than the last trigger. */
#include "tls_reload.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "tls_ctx.h"

struct reload {
    uv_work_t work;
    struct server *srv;
    const char *why;
    SSL_CTX *ctx;
    struct tls_ctx_info info;
    char err[512];
};

static uv_timer_t timer;
static bool timer_on, running, again, stopped;
static const char *again_why;
static char last_summary[512]; /* what the last good load found, logged on change */
static char last_err[512];     /* the last failure, logged on change */
static uint64_t last_crit_ms;  /* when the fail-closed line was last repeated */

#define CRIT_REPEAT_MS 60000

static void run_reload(struct server *srv, const char *why);

static void reload_work(uv_work_t *w)
{
    struct reload *r = w->data;
    r->ctx = tls_ctx_build(r->srv->cfg, &r->info, r->err, sizeof r->err);
}

static void reload_after(uv_work_t *w, int status)
{
    struct reload *r = w->data;
    struct server *srv = r->srv;
    bool sighup = strcmp(r->why, "SIGHUP") == 0;
    running = false;
    if (stopped || status < 0) {
        SSL_CTX_free(r->ctx);
    } else if (r->ctx) {
        /* Live connections hold their own reference on the old context. */
        SSL_CTX_free(srv->ssl_ctx);
        srv->ssl_ctx = r->ctx;
        if (tls_ctx_crl_closed()) {
            tls_ctx_set_crl_closed(NULL);
            log_notice("%s: a valid CRL is in place again (%s); accepting agency connections "
                       "again",
                       r->why, r->info.crl_summary);
        } else if (sighup) {
            log_notice("SIGHUP: TLS certificate, key, CA and CRL reloaded (%s); new connections "
                       "use them",
                       r->info.crl_summary);
        } else if (strcmp(last_summary, r->info.crl_summary) != 0) {
            log_info("%s: TLS files reloaded (%s)", r->why, r->info.crl_summary);
        }
        snprintf(last_summary, sizeof last_summary, "%s", r->info.crl_summary);
        last_err[0] = '\0';
    } else if (r->info.crl_error) {
        uint64_t now = uv_now(srv->loop);
        bool changed = !tls_ctx_crl_closed() || strcmp(last_err, r->err) != 0;
        tls_ctx_set_crl_closed(r->err);
        if (changed || sighup || now - last_crit_ms >= CRIT_REPEAT_MS) {
            log_msg(LOG_CRIT,
                    "%s: NO VALID CRL: %s. Every new agency connection is refused (fail closed) "
                    "until a valid CRL of the province CA is published at %s (run: tamnong-pki.sh "
                    "crl CA-DIR, then copy crl.pem there); it is re-read every %ld s",
                    r->why, r->err, srv->cfg->tls_crl_file,
                    srv->cfg->crl_reload_interval_ms / 1000);
            last_crit_ms = now;
        }
        snprintf(last_err, sizeof last_err, "%s", r->err);
    } else if (sighup || strcmp(last_err, r->err) != 0) {
        log_error("%s: reload failed, still using the previous certificates%s: %s", r->why,
                  tls_ctx_crl_closed() ? "" : " and CRL", r->err);
        snprintf(last_err, sizeof last_err, "%s", r->err);
    }
    free(r);
    if (again && !stopped) {
        again = false;
        run_reload(srv, again_why);
    }
}

static void run_reload(struct server *srv, const char *why)
{
    if (running) {
        again = true;
        again_why = why;
        return;
    }
    struct reload *r = calloc(1, sizeof *r);
    if (!r) {
        log_error("%s: out of memory; TLS files not reloaded", why);
        return;
    }
    r->work.data = r;
    r->srv = srv;
    r->why = why;
    int rc = uv_queue_work(srv->loop, &r->work, reload_work, reload_after);
    if (rc < 0) {
        log_error("%s: cannot queue the TLS reload: %s", why, uv_strerror(rc));
        free(r);
        return;
    }
    running = true;
}

static void on_timer(uv_timer_t *t)
{
    run_reload(t->data, "periodic reload");
}

int tls_reload_start(struct server *srv)
{
    int rc = uv_timer_init(srv->loop, &timer);
    if (rc < 0)
        return rc;
    timer.data = srv;
    uint64_t every = (uint64_t)srv->cfg->crl_reload_interval_ms;
    rc = uv_timer_start(&timer, on_timer, every, every);
    if (rc < 0)
        return rc;
    timer_on = true;
    stopped = false;
    return 0;
}

void tls_reload_now(struct server *srv, const char *why)
{
    if (!stopped)
        run_reload(srv, why);
}

void tls_reload_stop(struct server *srv)
{
    (void)srv;
    stopped = true;
    if (timer_on) {
        uv_timer_stop(&timer);
        uv_close((uv_handle_t *)&timer, NULL);
        timer_on = false;
    }
}
