/* tls_stream: one server-side TLS session over two memory BIOs. The
 * connection feeds it the bytes read from the socket and takes from it the
 * bytes to write; it never touches a socket. This is the only file that calls
 * OpenSSL's handshake, read, write and shutdown functions.
 *
 * After every call that may produce output (handshake, read, write,
 * shutdown) the caller must drain tls_stream_take_output: TLS 1.3 writes
 * during reads too (alerts, key updates). */
#ifndef TAMNONG_TLS_STREAM_H
#define TAMNONG_TLS_STREAM_H

#include <stddef.h>
#include <sys/types.h>
#include <openssl/ssl.h>

#include "tls_ctx.h"

struct tls_stream {
    SSL *ssl; /* owns both BIOs */
    BIO *rbio;
    BIO *wbio;
};

/* 0, or -ENOMEM. The session takes a reference on ctx. */
int tls_stream_init(struct tls_stream *ts, SSL_CTX *ctx) __attribute__((warn_unused_result));
void tls_stream_free(struct tls_stream *ts);

/* Bytes read from the socket. 0, or -ENOMEM. */
int tls_stream_feed(struct tls_stream *ts, const void *data, size_t len)
    __attribute__((warn_unused_result));

/* 1 when the handshake is complete, 0 when it needs more input, or a
 * negative errno: -EACCES when the client certificate was refused or
 * missing (see tls_stream_verify_failure), -EPROTO for any other failure
 * (not TLS, no common version or cipher...); the OpenSSL error queue holds
 * the details for tls_stream_last_error. */
int tls_stream_handshake(struct tls_stream *ts);

/* Up to len bytes of plaintext: > 0 bytes, 0 when more input is needed,
 * -EPIPE when the peer closed the session cleanly (close_notify), other
 * negative errno on a protocol error. */
ssize_t tls_stream_read(struct tls_stream *ts, void *buf, size_t len);

/* Encrypt all of data into the output BIO (memory: never partial). 0 or
 * negative errno. */
int tls_stream_write(struct tls_stream *ts, const void *data, size_t len)
    __attribute__((warn_unused_result));

/* Queue our close_notify. */
void tls_stream_shutdown(struct tls_stream *ts);

/* Give back OpenSSL's record buffers (~34 KiB) when no partial record is
 * held: RELEASE_BUFFERS mode does not cover the ones the handshake leaves.
 * Cheap; call whenever a burst of input has been handled. */
void tls_stream_release_buffers(struct tls_stream *ts);
/* Also replace empty memory BIOs by fresh ones: a BIO keeps the capacity
 * of the most it ever held (the handshake flights, ~3.5 KiB together). For
 * connections going idle, not on every read. */
void tls_stream_trim(struct tls_stream *ts);

/* Encrypted bytes waiting to be sent, and taking up to len of them. */
size_t tls_stream_output_pending(const struct tls_stream *ts);
size_t tls_stream_take_output(struct tls_stream *ts, void *buf, size_t len);

/* After the handshake: the peer's certificate (not owned), or NULL. */
X509 *tls_stream_peer_cert(const struct tls_stream *ts);
/* "TLSv1.3", "TLS_AES_128_GCM_SHA256" (for logs). */
const char *tls_stream_version(const struct tls_stream *ts);
const char *tls_stream_cipher(const struct tls_stream *ts);
/* The certificate refusal recorded during the handshake, or NULL. */
const struct tls_verify_failure *tls_stream_verify_failure(const struct tls_stream *ts);
/* Text of the last OpenSSL error of this thread, for logs (clears it). */
const char *tls_stream_last_error(char *buf, size_t len);

#endif
