/* tls_stream: OpenSSL over memory BIOs (see tls_stream.h). Every SSL_* I/O
 * call of tamnongd lives here, and every one starts with a clean error queue
 * so SSL_get_error reports about this call only. */
#include "tls_stream.h"

#include <errno.h>
#include <limits.h>
#include <openssl/buffer.h>
#include <openssl/err.h>

#include "tls_util.h"

int tls_stream_init(struct tls_stream *ts, SSL_CTX *ctx)
{
    ts->ssl = NULL;
    ts->rbio = ts->wbio = NULL;
    SSL *ssl = SSL_new(ctx);
    BIO *rbio = BIO_new(BIO_s_mem());
    BIO *wbio = BIO_new(BIO_s_mem());
    if (!ssl || !rbio || !wbio) {
        SSL_free(ssl);
        BIO_free(rbio);
        BIO_free(wbio);
        ERR_clear_error();
        return -ENOMEM;
    }
    /* An empty read BIO means "wait for more", not end of file. */
    BIO_set_mem_eof_return(rbio, -1);
    BIO_set_mem_eof_return(wbio, -1);
    SSL_set_bio(ssl, rbio, wbio);
    SSL_set_accept_state(ssl);
    ts->ssl = ssl;
    ts->rbio = rbio;
    ts->wbio = wbio;
    return 0;
}

void tls_stream_free(struct tls_stream *ts)
{
    SSL_free(ts->ssl); /* frees the BIOs too */
    ts->ssl = NULL;
    ts->rbio = ts->wbio = NULL;
}

int tls_stream_feed(struct tls_stream *ts, const void *data, size_t len)
{
    while (len > 0) {
        int chunk = len > INT_MAX ? INT_MAX : (int)len;
        int n = BIO_write(ts->rbio, data, chunk);
        if (n <= 0) {
            ERR_clear_error();
            return -ENOMEM;
        }
        data = (const char *)data + n;
        len -= (size_t)n;
    }
    return 0;
}

/* Map the outcome of an SSL call that returned rc <= 0. */
static int map_error(struct tls_stream *ts, int rc)
{
    switch (SSL_get_error(ts->ssl, rc)) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE: /* memory BIO: never really full */
        return 0;
    case SSL_ERROR_ZERO_RETURN:
        return -EPIPE;
    case SSL_ERROR_SYSCALL:
        return -ECONNRESET;
    default:
        return -EPROTO;
    }
}

int tls_stream_handshake(struct tls_stream *ts)
{
    ERR_clear_error();
    int rc = SSL_do_handshake(ts->ssl);
    if (rc == 1)
        return 1;
    int e = map_error(ts, rc);
    if (e == 0)
        return 0;
    /* Tell a refused certificate (or none at all) from other failures. */
    unsigned long err = ERR_peek_error();
    if (tls_ctx_verify_failure(ts->ssl) ||
        (ERR_GET_LIB(err) == ERR_LIB_SSL &&
         ERR_GET_REASON(err) == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE))
        return -EACCES;
    return e == -EPIPE ? -EPROTO : e;
}

ssize_t tls_stream_read(struct tls_stream *ts, void *buf, size_t len)
{
    ERR_clear_error();
    size_t n = 0;
    int rc = SSL_read_ex(ts->ssl, buf, len, &n);
    if (rc == 1)
        return (ssize_t)n;
    return map_error(ts, rc);
}

int tls_stream_write(struct tls_stream *ts, const void *data, size_t len)
{
    if (len == 0)
        return 0;
    ERR_clear_error();
    size_t n = 0;
    int rc = SSL_write_ex(ts->ssl, data, len, &n);
    if (rc == 1 && n == len)
        return 0;
    int e = rc == 1 ? -EIO : map_error(ts, rc);
    return e == 0 ? -EAGAIN : e;
}

void tls_stream_shutdown(struct tls_stream *ts)
{
    ERR_clear_error();
    /* Only after a completed handshake: otherwise there is no session to
     * close and OpenSSL would complain. */
    if (SSL_is_init_finished(ts->ssl))
        (void)SSL_shutdown(ts->ssl);
    ERR_clear_error();
}

void tls_stream_release_buffers(struct tls_stream *ts)
{
    /* Returns 0 (and keeps them) while a record is partly read. */
    (void)SSL_free_buffers(ts->ssl);
}

/* A fresh memory BIO when b is empty but holds an allocation; NULL to keep b. */
static BIO *fresh_bio(BIO *b)
{
    BUF_MEM *m = NULL;
    if (BIO_ctrl_pending(b) != 0 || BIO_get_mem_ptr(b, &m) != 1 || !m || m->max == 0)
        return NULL;
    BIO *n = BIO_new(BIO_s_mem());
    if (!n) {
        ERR_clear_error();
        return NULL;
    }
    BIO_set_mem_eof_return(n, -1);
    return n;
}

void tls_stream_trim(struct tls_stream *ts)
{
    tls_stream_release_buffers(ts);
    BIO *r = fresh_bio(ts->rbio);
    if (r) {
        SSL_set0_rbio(ts->ssl, r); /* frees the old one */
        ts->rbio = r;
    }
    BIO *w = fresh_bio(ts->wbio);
    if (w) {
        SSL_set0_wbio(ts->ssl, w);
        ts->wbio = w;
    }
}

size_t tls_stream_output_pending(const struct tls_stream *ts)
{
    return BIO_ctrl_pending(ts->wbio);
}

size_t tls_stream_take_output(struct tls_stream *ts, void *buf, size_t len)
{
    size_t n = 0;
    if (len == 0 || BIO_ctrl_pending(ts->wbio) == 0)
        return 0;
    if (BIO_read_ex(ts->wbio, buf, len, &n) != 1) {
        ERR_clear_error();
        return 0;
    }
    return n;
}

X509 *tls_stream_peer_cert(const struct tls_stream *ts)
{
    return SSL_get0_peer_certificate(ts->ssl);
}

const char *tls_stream_version(const struct tls_stream *ts)
{
    return SSL_get_version(ts->ssl);
}

const char *tls_stream_cipher(const struct tls_stream *ts)
{
    return SSL_get_cipher_name(ts->ssl);
}

const struct tls_verify_failure *tls_stream_verify_failure(const struct tls_stream *ts)
{
    return tls_ctx_verify_failure(ts->ssl);
}

const char *tls_stream_last_error(char *buf, size_t len)
{
    return tls_last_error(buf, len);
}
