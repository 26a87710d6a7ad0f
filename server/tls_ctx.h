/* tls_ctx: the server's SSL_CTX, built from the configured files: TLS 1.2
 * minimum (1.3 preferred), ECDHE + AEAD suites only, mutual TLS with the
 * province CA as the only trust anchor and its CRL checked for every client
 * certificate. Built at start-up, by --check-config, and again on SIGHUP. */
#ifndef TAMNONG_TLS_CTX_H
#define TAMNONG_TLS_CTX_H

#include <stdbool.h>
#include <stddef.h>
#include <openssl/ssl.h>

#include "srv_config.h"

/* A new context, or NULL with a one-line reason in err (a missing or
 * unreadable CA, certificate, key or CRL is an error: fail closed). */
SSL_CTX *tls_ctx_new(const struct srv_config *c, char *err, size_t errlen);

/* What a build found besides the context. */
struct tls_ctx_info {
    bool crl_error;        /* the failure (if any) is the CRL's: fail closed */
    char crl_summary[512]; /* "CRL of ...: N revoked certificate(s), next update ..." */
};

/* tls_ctx_new without logging (it only reads files and computes: safe on a
 * worker thread, see tls_reload.c). */
SSL_CTX *tls_ctx_build(const struct srv_config *c, struct tls_ctx_info *info, char *err,
                       size_t errlen);

/* Fail closed: with a reason, every client certificate is refused in the
 * handshake (the CRL is missing or expired); NULL opens again. Loop thread. */
void tls_ctx_set_crl_closed(const char *reason);
/* The reason set above, or NULL while a valid CRL is loaded. */
const char *tls_ctx_crl_closed(void);

/* Why the peer's certificate was refused, captured by the verify callback
 * during the handshake (the certificate itself is gone once it fails). */
struct tls_verify_failure {
    int error;            /* X509_V_ERR_* */
    const char *reason;   /* OpenSSL's text for error (static) */
    int depth;            /* where in the chain it failed */
    char fingerprint[65]; /* SHA-256 of the peer's own (depth 0) certificate */
    char subject[128];
};

/* The failure recorded on this connection, or NULL when verification did not
 * fail (e.g. no certificate was sent at all). */
const struct tls_verify_failure *tls_ctx_verify_failure(const SSL *ssl);

#endif
