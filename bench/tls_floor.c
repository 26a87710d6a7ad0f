/* tls_floor: what the TLS library alone costs, as a floor for `make bench`.
 * In one process, with no sockets, a server SSL (memory BIOs, mutual TLS with
 * the CA and CRL, no tickets, no session cache, SSL_MODE_RELEASE_BUFFERS:
 * what tamnongd asks of OpenSSL) does full TLS 1.3 handshakes with a client
 * SSL. It reports the server side's CPU time per handshake (thread CPU time
 * around the server's calls only) and the heap an idle server SSL keeps after
 * its handshake and one small record each way. No network at all. */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

static struct {
    const char *ca, *crl, *cert, *key, *client_cert, *client_key;
    int handshakes;
    int idle;
    bool json;
} opt = {.handshakes = 2000, .idle = 500};

static void die(const char *what)
{
    fprintf(stderr, "tls_floor: %s\n", what);
    ERR_print_errors_fp(stderr);
    exit(2);
}

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t heap_in_use(void)
{
    struct mallinfo2 m = mallinfo2();
    return m.uordblks;
}

static void pump(BIO *from, BIO *to)
{
    char b[16384];
    int n;
    while ((n = BIO_read(from, b, sizeof b)) > 0)
        if (BIO_write(to, b, n) != n)
            die("BIO_write failed");
}

static SSL_CTX *server_ctx(void)
{
    SSL_CTX *c = SSL_CTX_new(TLS_server_method());
    if (!c || SSL_CTX_use_certificate_chain_file(c, opt.cert) != 1 ||
        SSL_CTX_use_PrivateKey_file(c, opt.key, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_load_verify_locations(c, opt.ca, NULL) != 1)
        die("cannot set up the server context");
    if (opt.crl) {
        X509_STORE *st = SSL_CTX_get_cert_store(c);
        if (X509_STORE_load_file(st, opt.crl) != 1)
            die("cannot load the CRL");
        X509_STORE_set_flags(st, X509_V_FLAG_CRL_CHECK);
    }
    SSL_CTX_set_verify(c, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    SSL_CTX_set_min_proto_version(c, TLS1_3_VERSION);
    SSL_CTX_set_options(c, SSL_OP_NO_TICKET);
    SSL_CTX_set_num_tickets(c, 0);
    SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_mode(c, SSL_MODE_RELEASE_BUFFERS);
    return c;
}

static SSL_CTX *client_ctx(void)
{
    SSL_CTX *c = SSL_CTX_new(TLS_client_method());
    if (!c || SSL_CTX_use_certificate_chain_file(c, opt.client_cert) != 1 ||
        SSL_CTX_use_PrivateKey_file(c, opt.client_key, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_load_verify_locations(c, opt.ca, NULL) != 1)
        die("cannot set up the client context");
    SSL_CTX_set_verify(c, SSL_VERIFY_PEER, NULL);
    SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
    return c;
}

static BIO *mem_bio(void)
{
    BIO *b = BIO_new(BIO_s_mem());
    if (!b)
        die("out of memory");
    BIO_set_mem_eof_return(b, -1);
    return b;
}

/* One full handshake and one small record each way. Returns the server SSL
 * (kept when keep, else freed) and adds the server side's CPU to *srv. */
static SSL *one_connection(SSL_CTX *sc, SSL_CTX *cc, double *srv, bool keep)
{
    double a = cpu_now();
    SSL *s = SSL_new(sc);
    BIO *srb = mem_bio(), *swb = mem_bio();
    if (!s)
        die("SSL_new failed");
    SSL_set_bio(s, srb, swb);
    SSL_set_accept_state(s);
    *srv += cpu_now() - a;

    SSL *c = SSL_new(cc);
    BIO *crb = mem_bio(), *cwb = mem_bio();
    if (!c)
        die("SSL_new failed");
    SSL_set_bio(c, crb, cwb);
    SSL_set_connect_state(c);
    for (int round = 0; round < 8 && !SSL_is_init_finished(s); round++) {
        SSL_do_handshake(c);
        pump(cwb, srb);
        a = cpu_now();
        SSL_do_handshake(s);
        *srv += cpu_now() - a;
        pump(swb, crb);
    }
    if (!SSL_is_init_finished(s))
        die("the handshake did not complete");
    char buf[64];
    if (SSL_write(c, "ping", 4) != 4)
        die("client write failed");
    pump(cwb, srb);
    a = cpu_now();
    int n = SSL_read(s, buf, sizeof buf);
    if (n != 4 || SSL_write(s, "pong", 4) != 4)
        die("server read/write failed");
    SSL_read(s, buf, sizeof buf); /* nothing more: WANT_READ, as when idle */
    ERR_clear_error();
    *srv += cpu_now() - a;
    pump(swb, crb);
    if (SSL_read(c, buf, sizeof buf) != 4)
        die("client read failed");
    SSL_free(c);
    if (keep)
        return s;
    a = cpu_now();
    SSL_free(s);
    *srv += cpu_now() - a;
    return NULL;
}

static void usage(FILE *f)
{
    fprintf(f, "Usage: tls_floor --ca FILE [--crl FILE] --cert FILE --key FILE\n"
               "                 --client-cert FILE --client-key FILE [-n HANDSHAKES]\n"
               "                 [--idle N] [--json]\n"
               "Server-side CPU per full TLS 1.3 mutual handshake and heap per idle\n"
               "server SSL, in one process over memory BIOs (no network).\n");
}

int main(int argc, char **argv)
{
    static const struct option lo[] = {
        {"ca", required_argument, NULL, 'a'},
        {"crl", required_argument, NULL, 'r'},
        {"cert", required_argument, NULL, 'c'},
        {"key", required_argument, NULL, 'k'},
        {"client-cert", required_argument, NULL, 'C'},
        {"client-key", required_argument, NULL, 'K'},
        {"idle", required_argument, NULL, 'i'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int ch;
    while ((ch = getopt_long(argc, argv, "n:h", lo, NULL)) != -1) {
        switch (ch) {
        case 'a':
            opt.ca = optarg;
            break;
        case 'r':
            opt.crl = optarg;
            break;
        case 'c':
            opt.cert = optarg;
            break;
        case 'k':
            opt.key = optarg;
            break;
        case 'C':
            opt.client_cert = optarg;
            break;
        case 'K':
            opt.client_key = optarg;
            break;
        case 'n':
            opt.handshakes = atoi(optarg);
            break;
        case 'i':
            opt.idle = atoi(optarg);
            break;
        case 'j':
            opt.json = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (!opt.ca || !opt.cert || !opt.key || !opt.client_cert || !opt.client_key ||
        opt.handshakes < 1 || opt.handshakes > 1000000 || opt.idle < 1 || opt.idle > 100000) {
        usage(stderr);
        return 2;
    }
    SSL_CTX *sc = server_ctx(), *cc = client_ctx();

    /* warm-up, then the timed handshakes */
    double srv = 0;
    for (int i = 0; i < 50; i++)
        one_connection(sc, cc, &srv, false);
    srv = 0;
    for (int i = 0; i < opt.handshakes; i++)
        one_connection(sc, cc, &srv, false);
    double us = srv / opt.handshakes * 1e6;

    /* idle connections kept: heap in use per server SSL */
    SSL **kept = calloc((size_t)opt.idle, sizeof *kept);
    if (!kept)
        die("out of memory");
    double ignored = 0;
    size_t h0 = heap_in_use();
    for (int i = 0; i < opt.idle; i++)
        kept[i] = one_connection(sc, cc, &ignored, true);
    double kib = (double)(heap_in_use() - h0) / opt.idle / 1024.0;
    for (int i = 0; i < opt.idle; i++)
        SSL_free(kept[i]);
    free(kept);

    if (opt.json)
        printf("{\"handshake_server_us\":%.1f,\"handshakes_per_core_s\":%.0f,"
               "\"idle_heap_kib\":%.2f,\"openssl\":\"%s\"}\n",
               us, 1e6 / us, kib, OpenSSL_version(OPENSSL_VERSION));
    else
        printf("%s: server side of a full TLS 1.3 mutual handshake %.0f µs of CPU (%.0f per "
               "core-second); an idle server SSL keeps %.1f KiB of heap\n",
               OpenSSL_version(OPENSSL_VERSION), us, 1e6 / us, kib);
    SSL_CTX_free(sc);
    SSL_CTX_free(cc);
    return 0;
}
