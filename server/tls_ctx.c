/* tls_ctx: builds the server SSL_CTX from the configured PEM files (see
 * tls_ctx.h). Everything that can be checked before a client connects is
 * checked here, so a bad CA, key or CRL stops start-up (or a SIGHUP reload)
 * with a clear message instead of refusing every agency later. */
#include "tls_ctx.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "log.h"
#include "tls_util.h"

/* TLS 1.2: forward secrecy and AEAD only (Mozilla "intermediate" minus CBC). */
static const char tls12_ciphers[] = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
                                    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
                                    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
static const char tls13_suites[] =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";

static int verify_idx = -1;

/* Set (on the loop thread, by tls_reload.c) while no valid CRL is loaded:
 * every client certificate is then refused, whatever the old CRL says. */
static char crl_closed_reason[320];

void tls_ctx_set_crl_closed(const char *reason)
{
    snprintf(crl_closed_reason, sizeof crl_closed_reason, "%s", reason ? reason : "");
}

const char *tls_ctx_crl_closed(void)
{
    return crl_closed_reason[0] ? crl_closed_reason : NULL;
}

static void verify_failure_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
                                void *argp)
{
    free(ptr);
}

/* Called by OpenSSL for every certificate of the peer's chain. We never
 * change its verdict; we only remember the first failure with the leaf's
 * fingerprint, because the certificate is not kept once the handshake fails
 * and the operator needs it to find the agency. */
static int verify_cb(int ok, X509_STORE_CTX *xs)
{
    bool closed = false;
    if (ok && crl_closed_reason[0] && X509_STORE_CTX_get_error_depth(xs) == 0) {
        /* Fail closed: without a valid CRL nobody's revocation can be known. */
        X509_STORE_CTX_set_error(xs, X509_V_ERR_UNABLE_TO_GET_CRL);
        ok = 0;
        closed = true;
    }
    if (ok)
        return 1;
    SSL *ssl = X509_STORE_CTX_get_ex_data(xs, SSL_get_ex_data_X509_STORE_CTX_idx());
    if (!ssl || verify_idx < 0 || SSL_get_ex_data(ssl, verify_idx))
        return 0;
    struct tls_verify_failure *f = calloc(1, sizeof *f);
    if (!f)
        return 0;
    f->error = X509_STORE_CTX_get_error(xs);
    f->reason = closed ? "no valid CRL is loaded (missing, unreadable or expired): every "
                         "certificate is refused until a valid CRL is published"
                       : X509_verify_cert_error_string(f->error);
    f->depth = X509_STORE_CTX_get_error_depth(xs);
    X509 *leaf = X509_STORE_CTX_get0_cert(xs);
    if (!leaf || tls_cert_fingerprint(leaf, f->fingerprint) < 0)
        snprintf(f->fingerprint, sizeof f->fingerprint, "unknown");
    if (!leaf || !X509_NAME_oneline(X509_get_subject_name(leaf), f->subject, sizeof f->subject))
        snprintf(f->subject, sizeof f->subject, "unknown");
    if (!SSL_set_ex_data(ssl, verify_idx, f))
        free(f);
    return 0;
}

const struct tls_verify_failure *tls_ctx_verify_failure(const SSL *ssl)
{
    if (verify_idx < 0)
        return NULL;
    return SSL_get_ex_data(ssl, verify_idx);
}

static int check_readable(const char *what, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s %s: %s", what, path, strerror(errno));
        return -1;
    }
    fclose(f);
    return 0;
}

static void openssl_err(const char *what, const char *path, char *err, size_t errlen)
{
    char e[256];
    snprintf(err, errlen, "%s %s: %s", what, path, tls_last_error(e, sizeof e));
}

/* Load the CA file as the only trust anchor (no system store) and as the
 * list of acceptable issuers sent in the CertificateRequest. The certificates
 * are also returned, for checking the CRL's signature. */
static int load_ca(SSL_CTX *ctx, const char *path, STACK_OF(X509) * cas, char *err, size_t errlen)
{
    if (check_readable("CA file", path, err, errlen) < 0)
        return -1;
    BIO *in = BIO_new_file(path, "r");
    if (!in) {
        openssl_err("CA file", path, err, errlen);
        return -1;
    }
    X509_STORE *store = SSL_CTX_get_cert_store(ctx);
    X509 *x;
    int rc = 0;
    while ((x = PEM_read_bio_X509(in, NULL, NULL, NULL)) != NULL) {
        if (!X509_STORE_add_cert(store, x) || !SSL_CTX_add_client_CA(ctx, x) ||
            !sk_X509_push(cas, x)) {
            X509_free(x);
            openssl_err("CA file", path, err, errlen);
            rc = -1;
            goto out;
        }
    }
    ERR_clear_error(); /* the loop ends on "no start line" */
    if (sk_X509_num(cas) == 0) {
        snprintf(err, errlen, "CA file %s: no PEM certificate in it", path);
        rc = -1;
    }
out:
    BIO_free(in);
    return rc;
}

static X509 *find_issuer(STACK_OF(X509) * cas, const X509_NAME *name)
{
    for (int i = 0; i < sk_X509_num(cas); i++) {
        X509 *ca = sk_X509_value(cas, i);
        if (X509_NAME_cmp(X509_get_subject_name(ca), name) == 0)
            return ca;
    }
    return NULL;
}

/* Load every CRL of the file into the store and turn CRL checking on. A CRL
 * that is missing, not from our CA, badly signed or past its next update
 * would make OpenSSL refuse every agency (or worse, silently check nothing),
 * so each is an error here. */
static int load_crl(SSL_CTX *ctx, const char *path, STACK_OF(X509) * cas, struct tls_ctx_info *info,
                    char *err, size_t errlen)
{
    info->crl_error = true; /* until the file proved good */
    if (check_readable("CRL file", path, err, errlen) < 0)
        return -1;
    BIO *in = BIO_new_file(path, "r");
    if (!in) {
        openssl_err("CRL file", path, err, errlen);
        return -1;
    }
    X509_STORE *store = SSL_CTX_get_cert_store(ctx);
    X509_CRL *crl;
    int n = 0, rc = 0;
    while ((crl = PEM_read_bio_X509_CRL(in, NULL, NULL, NULL)) != NULL) {
        X509 *ca = find_issuer(cas, X509_CRL_get_issuer(crl));
        char issuer[256];
        X509_NAME_oneline(X509_CRL_get_issuer(crl), issuer, sizeof issuer);
        const ASN1_TIME *next = X509_CRL_get0_nextUpdate(crl);
        if (!ca) {
            snprintf(err, errlen, "CRL file %s: CRL issued by %s, which is not in the CA file",
                     path, issuer);
            rc = -1;
        } else if (X509_CRL_verify(crl, X509_get0_pubkey(ca)) != 1) {
            snprintf(err, errlen, "CRL file %s: the signature of the CRL of %s does not verify",
                     path, issuer);
            rc = -1;
        } else if (next && X509_cmp_current_time(next) < 0) {
            snprintf(err, errlen,
                     "CRL file %s: the CRL of %s is past its next update; publish a new one", path,
                     issuer);
            rc = -1;
        } else if (!X509_STORE_add_crl(store, crl)) {
            openssl_err("CRL file", path, err, errlen);
            rc = -1;
        } else {
            STACK_OF(X509_REVOKED) *rev = X509_CRL_get_REVOKED(crl);
            char nu[64] = "never";
            BIO *b = BIO_new(BIO_s_mem());
            if (b && next && ASN1_TIME_print(b, next) > 0) {
                int len = BIO_read(b, nu, sizeof nu - 1);
                nu[len > 0 ? len : 0] = '\0';
            }
            BIO_free(b);
            size_t used = strlen(info->crl_summary);
            snprintf(info->crl_summary + used, sizeof info->crl_summary - used,
                     "%sCRL of %s: %d revoked certificate(s), next update %s", used ? "; " : "",
                     issuer, rev ? sk_X509_REVOKED_num(rev) : 0, nu);
            n++;
        }
        X509_CRL_free(crl);
        if (rc < 0)
            goto out;
    }
    ERR_clear_error();
    if (n == 0) {
        snprintf(err, errlen, "CRL file %s: no PEM CRL in it", path);
        rc = -1;
        goto out;
    }
    X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK);
    info->crl_error = false;
out:
    BIO_free(in);
    return rc;
}

SSL_CTX *tls_ctx_new(const struct srv_config *c, char *err, size_t errlen)
{
    struct tls_ctx_info info;
    SSL_CTX *ctx = tls_ctx_build(c, &info, err, errlen);
    if (ctx)
        log_info("%s", info.crl_summary);
    return ctx;
}

SSL_CTX *tls_ctx_build(const struct srv_config *c, struct tls_ctx_info *info, char *err,
                       size_t errlen)
{
    STACK_OF(X509) *cas = NULL;
    SSL_CTX *ctx = NULL;
    char e[256];

    memset(info, 0, sizeof *info);
    ERR_clear_error();
    if (verify_idx < 0) {
        verify_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, verify_failure_free);
        if (verify_idx < 0) {
            snprintf(err, errlen, "SSL_get_ex_new_index: %s", tls_last_error(e, sizeof e));
            return NULL;
        }
    }
    cas = sk_X509_new_null();
    ctx = SSL_CTX_new(TLS_server_method());
    if (!cas || !ctx) {
        snprintf(err, errlen, "SSL_CTX_new: %s", tls_last_error(e, sizeof e));
        goto fail;
    }
    if (!SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) ||
        !SSL_CTX_set_cipher_list(ctx, tls12_ciphers) ||
        !SSL_CTX_set_ciphersuites(ctx, tls13_suites) ||
        !SSL_CTX_set1_groups_list(ctx, "X25519:P-256:P-384")) {
        snprintf(err, errlen, "TLS settings: %s", tls_last_error(e, sizeof e));
        goto fail;
    }
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                                 SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_TICKET);
    /* Our clients are short-lived CLI runs and load generators: resumption
     * would save little and cost a cache; no tickets, no session cache. */
    SSL_CTX_set_num_tickets(ctx, 0);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_session_id_context(ctx, (const unsigned char *)"tamnongd", 8);
    /* Idle connections give their record buffers back (memory per connection). */
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);

    if (check_readable("certificate file", c->tls_cert_file, err, errlen) < 0)
        goto fail;
    if (SSL_CTX_use_certificate_chain_file(ctx, c->tls_cert_file) != 1) {
        openssl_err("certificate file", c->tls_cert_file, err, errlen);
        goto fail;
    }
    if (check_readable("key file", c->tls_key_file, err, errlen) < 0)
        goto fail;
    if (SSL_CTX_use_PrivateKey_file(ctx, c->tls_key_file, SSL_FILETYPE_PEM) != 1) {
        openssl_err("key file", c->tls_key_file, err, errlen);
        goto fail;
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        snprintf(err, errlen, "key file %s does not match certificate %s", c->tls_key_file,
                 c->tls_cert_file);
        goto fail;
    }

    if (load_ca(ctx, c->tls_ca_file, cas, err, errlen) < 0)
        goto fail;
    if (load_crl(ctx, c->tls_crl_file, cas, info, err, errlen) < 0)
        goto fail;
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, verify_cb);
    SSL_CTX_set_verify_depth(ctx, 4);

    sk_X509_pop_free(cas, X509_free);
    return ctx;
fail:
    sk_X509_pop_free(cas, X509_free);
    SSL_CTX_free(ctx);
    return NULL;
}
