/* rpc_client: blocking mutual-TLS client for the tamnong protocol, with
 * poll() timeouts and failures explained in plain words (see rpc_client.h). */
#include "rpc_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "buf.h"
#include "envelope.h"
#include "exit_codes.h"
#include "frame.h"
#include "i18n.h"
#include "output.h"
#include "status.h"
#include "tamnong.pb-c.h"
#include "tls_util.h"

/* Warn when the server's clock and ours differ by more than this. */
#define CLOCK_SKEW_WARN_MS (5 * 60 * 1000)
#define READ_CHUNK         16384

struct rpc_client {
    int fd;
    SSL_CTX *ctx;
    SSL *ssl;
    char *where;       /* server as written in the config, for messages */
    char *config_path; /* for "set X in FILE" advice */
    char *ca_file, *cert_file, *server_name;
    long connect_timeout_ms, request_timeout_ms;
    int64_t connect_deadline; /* TCP connect and TLS handshake share one budget */
    uint32_t max_frame;
    struct buf in;
    uint64_t next_id;
    unsigned calls; /* completed exchanges: a TLS 1.3 refusal shows on the first */
    bool broken;
    bool skew_warned;
    int64_t clock_skew_ms;
    uint8_t session[64]; /* a person's session token (session.h), sent with every call */
    size_t session_len;
};

static void st_clear(struct rpc_status *st)
{
    memset(st, 0, sizeof *st);
    st->result = RPC_OK;
    st->code = TAMNONG__STATUS__OK;
}

static int st_fail(struct rpc_status *st, enum rpc_result r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int st_fail(struct rpc_status *st, enum rpc_result r, const char *fmt, ...)
{
    st->result = r;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(st->detail, sizeof st->detail, fmt, ap);
    va_end(ap);
    return -1;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for events on fd until the monotonic deadline. 1 ready, 0 timeout,
 * -1 error (errno). POLLERR/POLLHUP count as ready: the next call reports. */
static int wait_fd(int fd, short events, int64_t deadline)
{
    for (;;) {
        int64_t left = deadline - mono_ms();
        if (left <= 0)
            return 0;
        struct pollfd p = {.fd = fd, .events = events};
        int n = poll(&p, 1, left > 60000 ? 60000 : (int)left);
        if (n > 0)
            return 1;
        if (n < 0 && errno != EINTR)
            return -1;
    }
}

static bool is_ip_literal(const char *s)
{
    unsigned char tmp[sizeof(struct in6_addr)];
    return inet_pton(AF_INET, s, tmp) == 1 || inet_pton(AF_INET6, s, tmp) == 1;
}

static double secs(long ms)
{
    return (double)ms / 1000.0;
}

/* --- TCP --------------------------------------------------------------------------------- */

static int tcp_connect(struct rpc_client *c, const char *host, const char *port,
                       struct rpc_status *st)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0)
        return st_fail(st, RPC_E_RESOLVE,
                       _("Cannot find the server %s: %s.\nCheck the network connection and "
                         "'server' in %s."),
                       host, gai_strerror(rc), c->config_path);

    int64_t deadline = c->connect_deadline;
    int last_err = 0;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        char addr[INET6_ADDRSTRLEN + 8] = "?";
        getnameinfo(ai->ai_addr, ai->ai_addrlen, addr, sizeof addr, NULL, 0, NI_NUMERICHOST);
        out_verbose(_("connecting to %s (%s port %s)"), c->where, addr, port);
        int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            last_err = errno;
            continue;
        }
        int err = 0;
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
            err = errno;
            if (err == EINPROGRESS) {
                int w = wait_fd(fd, POLLOUT, deadline);
                if (w == 0)
                    err = ETIMEDOUT;
                else if (w < 0)
                    err = errno;
                else {
                    socklen_t len = sizeof err;
                    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
                        err = errno;
                }
            }
        }
        if (err == 0) {
            int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            c->fd = fd;
            freeaddrinfo(res);
            return 0;
        }
        close(fd);
        /* A refusal on one address says more than a timeout on another. */
        if (last_err != ECONNREFUSED)
            last_err = err;
        if (err == ETIMEDOUT && mono_ms() >= deadline)
            break;
    }
    freeaddrinfo(res);

    switch (last_err) {
    case ECONNREFUSED:
        return st_fail(st, RPC_E_CONNECT,
                       _("The server %s refused the connection. Is tamnongd running at %s? "
                         "Try again later, or check 'server' in %s."),
                       c->where, c->where, c->config_path);
    case ETIMEDOUT:
        return st_fail(st, RPC_E_TIMEOUT,
                       _("No answer from %s within %.0f seconds. Check the network connection "
                         "and try again later."),
                       c->where, secs(c->connect_timeout_ms));
    case ENETUNREACH:
    case EHOSTUNREACH:
    case ENETDOWN:
        return st_fail(st, RPC_E_CONNECT,
                       _("Cannot reach %s: %s. Check the network connection and try again "
                         "later."),
                       c->where, strerror(last_err));
    default:
        return st_fail(st, RPC_E_CONNECT, _("Cannot connect to %s: %s. Try again later."), c->where,
                       strerror(last_err ? last_err : EIO));
    }
}

/* --- TLS failures in plain words ----------------------------------------------------------- */

/* Whether our own certificate is outside its validity period: +1 expired
 * (date = its end), -1 not valid yet (date = its start), 0 valid. */
static int our_cert_validity(const struct rpc_client *c, char *buf, size_t len)
{
    X509 *cert = c->ctx ? SSL_CTX_get0_certificate(c->ctx) : NULL;
    if (!cert)
        return 0;
    const ASN1_TIME *when;
    int v;
    if (X509_cmp_current_time(X509_get0_notAfter(cert)) < 0) {
        when = X509_get0_notAfter(cert);
        v = 1;
    } else if (X509_cmp_current_time(X509_get0_notBefore(cert)) > 0) {
        when = X509_get0_notBefore(cert);
        v = -1;
    } else {
        return 0;
    }
    struct tm tm;
    if (ASN1_TIME_to_tm(when, &tm) != 1 || strftime(buf, len, "%Y-%m-%d", &tm) == 0)
        snprintf(buf, len, "?");
    return v;
}

/* The events the TLS call that returned r waits for (POLLIN or POLLOUT), or
 * 0 when it failed; the SSL error in *e. */
static short tls_want(SSL *ssl, int r, int *e)
{
    *e = SSL_get_error(ssl, r);
    if (*e == SSL_ERROR_WANT_READ)
        return POLLIN;
    return *e == SSL_ERROR_WANT_WRITE ? POLLOUT : 0;
}

/* Explain a failed SSL call. `ret` and `err` are its return and
 * SSL_get_error(); `handshake` tells which phase it was. Always -1. */
static int tls_failure(struct rpc_client *c, int ret, int err, bool handshake,
                       struct rpc_status *st)
{
    int sys_errno = errno;
    int alert = 0;
    bool verify_failed = false, eof = false;
    char last[256] = "";
    unsigned long e;
    while ((e = ERR_get_error()) != 0) {
        int reason = ERR_GET_REASON(e);
        if (ERR_GET_LIB(e) == ERR_LIB_SSL) {
            if (reason == SSL_R_CERTIFICATE_VERIFY_FAILED)
                verify_failed = true;
            if (reason == SSL_R_UNEXPECTED_EOF_WHILE_READING)
                eof = true; /* closed without close_notify */
            /* A received alert is reported as SSL_AD_REASON_OFFSET + its number. */
            if (!alert && reason > SSL_AD_REASON_OFFSET && reason < SSL_AD_REASON_OFFSET + 256)
                alert = reason - SSL_AD_REASON_OFFSET;
        }
        ERR_error_string_n(e, last, sizeof last);
    }
    c->broken = true;

    long vr = SSL_get_verify_result(c->ssl);
    if (handshake && (verify_failed || vr != X509_V_OK)) {
        switch (vr) {
        case X509_V_ERR_HOSTNAME_MISMATCH:
        case X509_V_ERR_IP_ADDRESS_MISMATCH:
            return st_fail(st, RPC_E_SERVER_NAME,
                           _("The server's certificate is not made out to '%s', so we cannot "
                             "be sure this is the province server. Check 'server' in %s; if "
                             "the address is right, set 'server_name' to the name in the "
                             "server's certificate."),
                           c->server_name, c->config_path);
        case X509_V_ERR_CERT_HAS_EXPIRED:
            return st_fail(st, RPC_E_SERVER_CERT,
                           _("The server's certificate has expired, or your computer's date is "
                             "wrong. Check the date, then tell the province operator."));
        case X509_V_ERR_CERT_NOT_YET_VALID:
            return st_fail(st, RPC_E_SERVER_CERT,
                           _("The server's certificate is not valid yet: your computer's date "
                             "and time are probably wrong. Correct them and try again."));
        default:
            return st_fail(st, RPC_E_SERVER_CERT,
                           _("The server %s is not trusted: its certificate is not signed by "
                             "the province CA in %s (%s). Check 'ca_file' in %s, or you may be "
                             "connected to the wrong server."),
                           c->where, c->ca_file, X509_verify_cert_error_string(vr), c->config_path);
        }
    }

    char date[32];
    bool refused_or_closed =
        alert == SSL_AD_CERTIFICATE_EXPIRED || alert == SSL_AD_BAD_CERTIFICATE ||
        alert == SSL_AD_UNSUPPORTED_CERTIFICATE || alert == SSL_AD_CERTIFICATE_UNKNOWN ||
        alert == SSL_AD_UNKNOWN_CA || alert == SSL_AD_ACCESS_DENIED ||
        alert == TLS13_AD_CERTIFICATE_REQUIRED || alert == SSL_AD_HANDSHAKE_FAILURE ||
        (!alert && (handshake || c->calls == 0));
    int validity = refused_or_closed ? our_cert_validity(c, date, sizeof date) : 0;
    if (validity > 0)
        return st_fail(st, RPC_E_CERT_REFUSED,
                       _("The server refused this agency's certificate: it expired on %s. "
                         "Ask the province operator for a new certificate."),
                       date);
    if (validity < 0)
        return st_fail(st, RPC_E_CERT_REFUSED,
                       _("The server refused this agency's certificate: it is valid only from "
                         "%s. Check your computer's date, or wait until then."),
                       date);
    switch (alert) {
    case SSL_AD_CERTIFICATE_REVOKED:
        return st_fail(st, RPC_E_CERT_REFUSED,
                       _("The server refused this agency's certificate: it has been revoked. "
                         "Ask the province operator for a new certificate."));
    case SSL_AD_CERTIFICATE_EXPIRED:
        return st_fail(st, RPC_E_CERT_REFUSED,
                       _("The server refused this agency's certificate as expired. Check your "
                         "computer's date, or ask the province operator for a new "
                         "certificate."));
    case SSL_AD_BAD_CERTIFICATE:
    case SSL_AD_UNSUPPORTED_CERTIFICATE:
    case SSL_AD_CERTIFICATE_UNKNOWN:
    case SSL_AD_UNKNOWN_CA:
    case SSL_AD_ACCESS_DENIED:
    case TLS13_AD_CERTIFICATE_REQUIRED:
        return st_fail(st, RPC_E_CERT_REFUSED,
                       _("The server refused this agency's certificate %s (%s). It must be "
                         "issued by the province CA and not revoked: check 'cert_file' and "
                         "'key_file' in %s, or ask the province operator."),
                       c->cert_file, SSL_alert_desc_string_long(alert), c->config_path);
    default:
        break;
    }
    if (alert)
        return st_fail(st, RPC_E_TLS,
                       _("The server %s ended the secure connection (%s). Check that this "
                         "program and tamnongd are up to date, and try again later."),
                       c->where, SSL_alert_desc_string_long(alert));

    if (err == SSL_ERROR_ZERO_RETURN || eof ||
        (err == SSL_ERROR_SYSCALL && (ret == 0 || !sys_errno)) ||
        (err == SSL_ERROR_SYSCALL && (sys_errno == ECONNRESET || sys_errno == EPIPE))) {
        if (handshake)
            return st_fail(st, RPC_E_CLOSED,
                           _("The server %s closed the connection during the secure handshake; it "
                             "may be busy. Try again later; if this keeps happening, check that "
                             "'server' in %s is the address of tamnongd."),
                           c->where, c->config_path);
        if (c->calls == 0 && SSL_version(c->ssl) >= TLS1_3_VERSION)
            return st_fail(st, RPC_E_CLOSED,
                           _("The server %s closed the connection before answering. It may "
                             "have refused this agency's certificate; if this happens again, "
                             "ask the province operator."),
                           c->where);
        return st_fail(st, RPC_E_CLOSED,
                       _("The server %s closed the connection before answering. Try again "
                         "later."),
                       c->where);
    }
    if (err == SSL_ERROR_SYSCALL)
        return st_fail(st, RPC_E_CONNECT, _("The connection to %s failed: %s. Try again later."),
                       c->where, strerror(sys_errno));
    if (handshake)
        return st_fail(st, RPC_E_TLS,
                       _("The secure handshake with %s failed (%s). Is 'server' in %s the "
                         "address of tamnongd?"),
                       c->where, last[0] ? last : "?", c->config_path);
    return st_fail(st, RPC_E_TLS, _("The secure connection to %s failed (%s). Try again later."),
                   c->where, last[0] ? last : "?");
}

/* --- TLS set-up ------------------------------------------------------------------------- */

static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    *(bool *)u = true; /* never prompt: an encrypted key is a configuration error */
    return 0;
}

static int tls_context(struct rpc_client *c, const struct client_config *cfg, struct rpc_status *st)
{
    char why[256];
    c->ctx = SSL_CTX_new(TLS_client_method());
    if (!c->ctx)
        return st_fail(st, RPC_E_INTERNAL, _("Cannot start TLS: %s."),
                       tls_last_error(why, sizeof why));
    SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION);
    /* TLS 1.2: forward secrecy and AEAD only; TLS 1.3 suites are all AEAD. */
    SSL_CTX_set_cipher_list(c->ctx, "ECDHE+AESGCM:ECDHE+CHACHA20");
    SSL_CTX_set_options(c->ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
    SSL_CTX_set_mode(c->ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    bool asked_passphrase = false;
    SSL_CTX_set_default_passwd_cb(c->ctx, no_passphrase);
    SSL_CTX_set_default_passwd_cb_userdata(c->ctx, &asked_passphrase);
    /* Trust the province CA only: no system store. */
    if (SSL_CTX_load_verify_locations(c->ctx, cfg->ca_file, NULL) != 1)
        return st_fail(st, RPC_E_CONFIG,
                       _("The province CA file %s cannot be used (%s). It must hold the CA "
                         "certificate in PEM form; check 'ca_file' in %s."),
                       cfg->ca_file, tls_last_error(why, sizeof why), cfg->path);
    SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
    if (SSL_CTX_use_certificate_chain_file(c->ctx, cfg->cert_file) != 1)
        return st_fail(st, RPC_E_CONFIG,
                       _("The agency certificate %s cannot be used (%s). It must be a PEM "
                         "certificate; check 'cert_file' in %s."),
                       cfg->cert_file, tls_last_error(why, sizeof why), cfg->path);
    int key_ok = SSL_CTX_use_PrivateKey_file(c->ctx, cfg->key_file, SSL_FILETYPE_PEM);
    SSL_CTX_set_default_passwd_cb_userdata(c->ctx, NULL);
    if (key_ok != 1 && asked_passphrase) {
        ERR_clear_error();
        return st_fail(st, RPC_E_CONFIG,
                       _("The agency key %s is protected by a passphrase, which tamnong cannot "
                         "ask for. Use the key without a passphrase (kept safe by chmod 600)."),
                       cfg->key_file);
    }
    if (key_ok != 1 && ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH)
        ERR_clear_error();
    else if (key_ok != 1)
        return st_fail(st, RPC_E_CONFIG,
                       _("The agency key %s cannot be used (%s). It must be an unencrypted PEM "
                         "key; check 'key_file' in %s."),
                       cfg->key_file, tls_last_error(why, sizeof why), cfg->path);
    if (key_ok != 1 || SSL_CTX_check_private_key(c->ctx) != 1)
        return st_fail(st, RPC_E_CONFIG,
                       _("The agency key %s does not belong to the certificate %s. Check "
                         "'cert_file' and 'key_file' in %s."),
                       cfg->key_file, cfg->cert_file, cfg->path);
    char date[32];
    if (our_cert_validity(c, date, sizeof date) > 0)
        out_verbose(_("this agency's certificate %s expired on %s; the server will refuse it."),
                    cfg->cert_file, date);
    return 0;
}

static int tls_handshake(struct rpc_client *c, struct rpc_status *st)
{
    char why[256];
    c->ssl = SSL_new(c->ctx);
    if (!c->ssl || SSL_set_fd(c->ssl, c->fd) != 1)
        return st_fail(st, RPC_E_INTERNAL, _("Cannot start TLS: %s."),
                       tls_last_error(why, sizeof why));
    if (is_ip_literal(c->server_name)) {
        /* No SNI for an address; check the certificate's IP SAN. */
        if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), c->server_name) != 1)
            return st_fail(st, RPC_E_INTERNAL, _("Cannot start TLS: %s."),
                           tls_last_error(why, sizeof why));
    } else {
        SSL_set_hostflags(c->ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        if (SSL_set_tlsext_host_name(c->ssl, c->server_name) != 1 ||
            SSL_set1_host(c->ssl, c->server_name) != 1)
            return st_fail(st, RPC_E_CONFIG,
                           _("'%s' cannot be used as the server name; check 'server' and "
                             "'server_name' in %s."),
                           c->server_name, c->config_path);
    }
    int64_t deadline = c->connect_deadline;
    for (;;) {
        ERR_clear_error();
        errno = 0;
        int r = SSL_connect(c->ssl);
        if (r == 1)
            break;
        int e;
        short ev = tls_want(c->ssl, r, &e);
        if (!ev)
            return tls_failure(c, r, e, true, st);
        int w = wait_fd(c->fd, ev, deadline);
        if (w == 0) {
            c->broken = true;
            return st_fail(st, RPC_E_TIMEOUT,
                           _("The server %s accepted the connection but did not complete the "
                             "secure handshake within %.0f seconds. Try again later."),
                           c->where, secs(c->connect_timeout_ms));
        }
        if (w < 0) {
            c->broken = true;
            return st_fail(st, RPC_E_CONNECT, _("The connection to %s failed: %s."), c->where,
                           strerror(errno));
        }
    }
    if (out_verbose_level() > 0) {
        X509 *peer = SSL_get1_peer_certificate(c->ssl);
        char subject[256] = "?";
        if (peer)
            X509_NAME_oneline(X509_get_subject_name(peer), subject, sizeof subject);
        out_verbose(_("secure connection: %s, %s; server certificate: %s"), SSL_get_version(c->ssl),
                    SSL_get_cipher_name(c->ssl), subject);
        X509_free(peer);
    }
    return 0;
}

int rpc_connect(const struct client_config *cfg, struct rpc_client **out, struct rpc_status *st)
{
    st_clear(st);
    *out = NULL;
    /* A write to a connection the server closed must fail with EPIPE, not
     * kill the program. */
    struct sigaction sa;
    if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL)
        signal(SIGPIPE, SIG_IGN);

    struct rpc_client *c = calloc(1, sizeof *c);
    if (!c)
        return st_fail(st, RPC_E_INTERNAL, _("Out of memory."));
    c->fd = -1;
    c->where = strdup(cfg->server ? cfg->server : "?");
    c->config_path = strdup(cfg->path ? cfg->path : "?");
    c->ca_file = strdup(cfg->ca_file ? cfg->ca_file : "?");
    c->cert_file = strdup(cfg->cert_file ? cfg->cert_file : "?");
    c->server_name = strdup(cfg->server_name ? cfg->server_name : cfg->host);
    c->connect_timeout_ms = cfg->connect_timeout_ms;
    c->request_timeout_ms = cfg->request_timeout_ms;
    c->max_frame = FRAME_DEFAULT_MAX;
    buf_init(&c->in, FRAME_HEADER_SIZE + (size_t)c->max_frame + READ_CHUNK);
    if (!c->where || !c->config_path || !c->ca_file || !c->cert_file || !c->server_name) {
        rpc_close(c);
        return st_fail(st, RPC_E_INTERNAL, _("Out of memory."));
    }
    c->connect_deadline = mono_ms() + c->connect_timeout_ms;
    if (tls_context(c, cfg, st) < 0 || tcp_connect(c, cfg->host, cfg->port, st) < 0 ||
        tls_handshake(c, st) < 0) {
        rpc_close(c);
        return -1;
    }
    *out = c;
    return 0;
}

/* --- request / response ---------------------------------------------------------------- */

static int tls_write_all(struct rpc_client *c, const uint8_t *data, size_t len, int64_t deadline,
                         struct rpc_status *st)
{
    while (len > 0) {
        ERR_clear_error();
        errno = 0;
        size_t n = 0;
        int r = SSL_write_ex(c->ssl, data, len, &n);
        if (r == 1) {
            data += n;
            len -= n;
            continue;
        }
        int e;
        short ev = tls_want(c->ssl, r, &e);
        if (!ev)
            return tls_failure(c, r, e, false, st);
        int w = wait_fd(c->fd, ev, deadline);
        if (w <= 0) {
            c->broken = true;
            return st_fail(st, RPC_E_TIMEOUT,
                           _("The server %s did not take the request within %.0f seconds. Try "
                             "again later."),
                           c->where, secs(c->request_timeout_ms));
        }
    }
    return 0;
}

/* Read what is available (at least one byte) into c->in. */
static int tls_read_some(struct rpc_client *c, int64_t deadline, struct rpc_status *st)
{
    size_t room = c->in.max - c->in.len;
    if (room > READ_CHUNK)
        room = READ_CHUNK;
    if (room == 0 || buf_reserve(&c->in, room) != 0) {
        c->broken = true;
        return st_fail(st, RPC_E_PROTOCOL, _("The server's answer is too large."));
    }
    for (;;) {
        ERR_clear_error();
        errno = 0;
        size_t n = 0;
        int r = SSL_read_ex(c->ssl, c->in.data + c->in.len, room, &n);
        if (r == 1) {
            c->in.len += n;
            return 0;
        }
        int e;
        short ev = tls_want(c->ssl, r, &e);
        if (!ev)
            return tls_failure(c, r, e, false, st);
        int w = wait_fd(c->fd, ev, deadline);
        if (w <= 0) {
            c->broken = true;
            return st_fail(st, RPC_E_TIMEOUT,
                           _("No answer from %s within %.0f seconds. Try again later."), c->where,
                           secs(c->request_timeout_ms));
        }
    }
}

static void note_server_time(struct rpc_client *c, int64_t server_ms)
{
    if (server_ms <= 0)
        return;
    c->clock_skew_ms = server_ms - wall_ms();
    int64_t skew = c->clock_skew_ms < 0 ? -c->clock_skew_ms : c->clock_skew_ms;
    if (skew <= CLOCK_SKEW_WARN_MS || c->skew_warned)
        return;
    c->skew_warned = true;
    unsigned long minutes = (unsigned long)((skew + 30000) / 60000);
    if (c->clock_skew_ms > 0)
        out_warn(ngettext("your computer's clock is %lu minute behind the server's. Correct "
                          "the date and time: deadlines are judged by the server's clock.",
                          "your computer's clock is %lu minutes behind the server's. Correct "
                          "the date and time: deadlines are judged by the server's clock.",
                          minutes),
                 minutes);
    else
        out_warn(ngettext("your computer's clock is %lu minute ahead of the server's. Correct "
                          "the date and time: deadlines are judged by the server's clock.",
                          "your computer's clock is %lu minutes ahead of the server's. Correct "
                          "the date and time: deadlines are judged by the server's clock.",
                          minutes),
                 minutes);
}

int rpc_call(struct rpc_client *c, const char *method, const ProtobufCMessage *req,
             ProtobufCMessage **resp, struct rpc_status *st)
{
    st_clear(st);
    *resp = NULL;
    if (!c || c->broken)
        return st_fail(st, RPC_E_CLOSED,
                       _("The connection to the server is closed. Try again later."));
    const ProtobufCMethodDescriptor *m =
        protobuf_c_service_descriptor_get_method_by_name(&tamnong__tamnong__descriptor, method);
    if (!m || !req || req->descriptor != m->input)
        return st_fail(st, RPC_E_INTERNAL,
                       _("Internal error: wrong request for method %s. Please report this."),
                       method);

    int rc = -1;
    uint8_t *payload = NULL;
    struct buf out;
    buf_init(&out, 0);
    Tamnong__Response *r = NULL;

    size_t plen = protobuf_c_message_get_packed_size(req);
    payload = malloc(plen ? plen : 1);
    if (!payload) {
        st_fail(st, RPC_E_INTERNAL, _("Out of memory."));
        goto out;
    }
    protobuf_c_message_pack(req, payload);

    Tamnong__Request env = TAMNONG__REQUEST__INIT;
    env.id = ++c->next_id;
    env.method = (uint32_t)(m - tamnong__tamnong__descriptor.methods);
    /* The server gets a little less than we wait, so that we normally hear
     * its DEADLINE_EXCEEDED rather than time out ourselves. */
    long budget = c->request_timeout_ms;
    env.deadline_ms = (uint32_t)(budget > 2000 ? budget - 1000 : budget / 2);
    env.payload.data = payload;
    env.payload.len = plen;
    env.session_token.data = c->session;
    env.session_token.len = c->session_len;
    if (envelope_append_frame(&out, &env.base, c->max_frame) != 0) {
        st_fail(st, RPC_E_INTERNAL, _("The request is too large to send."));
        goto out;
    }

    int64_t deadline = mono_ms() + budget;
    if (tls_write_all(c, out.data, out.len, deadline, st) < 0)
        goto out;

    for (;;) {
        const uint8_t *p;
        uint32_t plen_in;
        size_t consumed;
        enum frame_result fr =
            frame_parse(c->in.data, c->in.len, c->max_frame, &p, &plen_in, &consumed);
        if (fr == FRAME_ERROR) {
            c->broken = true;
            st_fail(st, RPC_E_PROTOCOL,
                    _("The server %s sent an answer this program cannot read (frame of %u "
                      "bytes). Check that this program and tamnongd are up to date."),
                    c->where, (unsigned)plen_in);
            goto out;
        }
        if (fr == FRAME_OK) {
            r = envelope_decode_response(p, plen_in);
            buf_consume(&c->in, consumed);
            break;
        }
        if (tls_read_some(c, deadline, st) < 0)
            goto out;
    }
    c->calls++;
    if (!r || (r->id != env.id && r->id != 0)) {
        c->broken = true;
        st_fail(st, RPC_E_PROTOCOL,
                _("The server %s sent an answer this program cannot read. Check that this "
                  "program and tamnongd are up to date."),
                c->where);
        goto out;
    }
    note_server_time(c, r->server_time_ms);
    st->code = r->status;
    st->server_time_ms = r->server_time_ms;
    st->retry_after_ms = r->retry_after_ms;
    snprintf(st->server_message, sizeof st->server_message, "%s", r->message ? r->message : "");
    if (r->id == 0) {
        /* An answer to the connection, not to this request: the server is
         * about to close it (too many connections, shutting down...). */
        c->broken = true;
        if (st->code == TAMNONG__STATUS__OK)
            st->code = TAMNONG__STATUS__UNAVAILABLE;
    }
    if (st->code != TAMNONG__STATUS__OK) {
        st->result = RPC_STATUS;
        goto out;
    }
    *resp = protobuf_c_message_unpack(m->output, NULL, r->payload.len, r->payload.data);
    if (!*resp) {
        st_fail(st, RPC_E_PROTOCOL,
                _("The server %s sent an answer this program cannot read. Check that this "
                  "program and tamnongd are up to date."),
                c->where);
        goto out;
    }
    rc = 0;
out:
    if (r)
        tamnong__response__free_unpacked(r, NULL);
    buf_free(&out);
    free(payload);
    return rc;
}

void rpc_set_session(struct rpc_client *c, const uint8_t *token, size_t len)
{
    if (!c)
        return;
    c->session_len = len <= sizeof c->session ? len : 0;
    if (c->session_len)
        memcpy(c->session, token, c->session_len);
}

int64_t rpc_clock_skew_ms(const struct rpc_client *c)
{
    return c ? c->clock_skew_ms : 0;
}

void rpc_close(struct rpc_client *c)
{
    if (!c)
        return;
    if (c->ssl) {
        if (!c->broken) {
            ERR_clear_error();
            SSL_shutdown(c->ssl); /* one non-blocking attempt at close_notify */
        }
        SSL_free(c->ssl);
    }
    ERR_clear_error();
    SSL_CTX_free(c->ctx);
    if (c->fd >= 0)
        close(c->fd);
    buf_free(&c->in);
    free(c->where);
    free(c->config_path);
    free(c->ca_file);
    free(c->cert_file);
    free(c->server_name);
    free(c);
}

int rpc_exit_code(const struct rpc_status *st)
{
    switch (st->result) {
    case RPC_OK:
        return TN_EXIT_OK;
    case RPC_STATUS:
        break;
    case RPC_E_CONFIG:
    case RPC_E_SERVER_CERT:
    case RPC_E_SERVER_NAME:
        return TN_EXIT_CONFIG;
    case RPC_E_CERT_REFUSED:
        return TN_EXIT_NOPERM;
    case RPC_E_RESOLVE:
    case RPC_E_CONNECT:
    case RPC_E_TIMEOUT:
    case RPC_E_TLS:
    case RPC_E_CLOSED:
        return TN_EXIT_TEMPFAIL;
    case RPC_E_PROTOCOL:
    case RPC_E_INTERNAL:
        return TN_EXIT_SOFTWARE;
    }
    switch (st->code) {
    case TAMNONG__STATUS__OK:
        return TN_EXIT_OK;
    case TAMNONG__STATUS__INVALID_ARGUMENT:
    case TAMNONG__STATUS__FAILED_PRECONDITION:
    case TAMNONG__STATUS__ALREADY_EXISTS:
    case TAMNONG__STATUS__OUT_OF_RANGE:
    case TAMNONG__STATUS__NOT_FOUND:
        return TN_EXIT_DATA;
    case TAMNONG__STATUS__UNAVAILABLE:
    case TAMNONG__STATUS__RESOURCE_EXHAUSTED:
    case TAMNONG__STATUS__DEADLINE_EXCEEDED:
    case TAMNONG__STATUS__ABORTED:
    case TAMNONG__STATUS__CANCELLED:
        return TN_EXIT_TEMPFAIL;
    case TAMNONG__STATUS__UNAUTHENTICATED:
    case TAMNONG__STATUS__PERMISSION_DENIED:
        return TN_EXIT_NOPERM;
    default: /* INTERNAL, DATA_LOSS, UNKNOWN, UNIMPLEMENTED, codes we do not know */
        return TN_EXIT_SOFTWARE;
    }
}

bool rpc_retryable(const struct rpc_status *st)
{
    return rpc_exit_code(st) == TN_EXIT_TEMPFAIL;
}
