/* cert_check: parse and verify one agency certificate (see cert_check.h).
 * Verification is OpenSSL's chain verification with the TLS-client purpose,
 * so a certificate is accepted here exactly when mTLS would accept it. */
#include "cert_check.h"

#include <stdio.h>
#include <string.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "tls_util.h"

static void subject_of(X509 *cert, char *out, size_t len)
{
    out[0] = '\0';
    BIO *bio = BIO_new(BIO_s_mem());
    if (bio && X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0,
                                  XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
        int n = BIO_read(bio, out, (int)len - 1);
        out[n > 0 ? n : 0] = '\0';
    }
    BIO_free(bio);
}

int cert_check_x509(X509 *cert, STACK_OF(X509) * untrusted, X509_STORE *store,
                    struct cert_info *info)
{
    info->error[0] = '\0';
    if (tls_cert_fingerprint(cert, info->fingerprint) < 0) {
        snprintf(info->error, sizeof info->error, "cannot compute the certificate's fingerprint");
        return -1;
    }
    subject_of(cert, info->subject, sizeof info->subject);
    X509_STORE_CTX *xs = X509_STORE_CTX_new();
    if (!xs || !X509_STORE_CTX_init(xs, store, cert, untrusted) ||
        !X509_STORE_CTX_set_purpose(xs, X509_PURPOSE_SSL_CLIENT)) {
        X509_STORE_CTX_free(xs);
        snprintf(info->error, sizeof info->error, "out of memory checking the certificate");
        ERR_clear_error();
        return -1;
    }
    int ok = X509_verify_cert(xs);
    if (ok != 1) {
        int e = X509_STORE_CTX_get_error(xs);
        const char *why = X509_verify_cert_error_string(e);
        if (e == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY ||
            e == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT ||
            e == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN)
            why = "not issued by the province CA";
        else if (e == X509_V_ERR_CERT_HAS_EXPIRED)
            why = "expired";
        else if (e == X509_V_ERR_CERT_NOT_YET_VALID)
            why = "not valid yet";
        else if (e == X509_V_ERR_CERT_REVOKED)
            why = "revoked (on the province CA's CRL)";
        else if (e == X509_V_ERR_INVALID_PURPOSE)
            why = "not a TLS client certificate (extended key usage)";
        snprintf(info->error, sizeof info->error, "certificate (sha256 %s): %s", info->fingerprint,
                 why);
    }
    X509_STORE_CTX_free(xs);
    ERR_clear_error();
    return ok == 1 ? 0 : -1;
}

int cert_check_pem(const char *pem, size_t len, X509_STORE *store, struct cert_info *info)
{
    memset(info, 0, sizeof *info);
    if (len == 0 || len > CERT_PEM_MAX) {
        snprintf(info->error, sizeof info->error,
                 "certificate: expected one PEM certificate of at most %d bytes, got %zu bytes",
                 CERT_PEM_MAX, len);
        return -1;
    }
    BIO *in = BIO_new_mem_buf(pem, (int)len);
    X509 *cert = in ? PEM_read_bio_X509(in, NULL, NULL, NULL) : NULL;
    if (!cert) {
        BIO_free(in);
        ERR_clear_error();
        snprintf(info->error, sizeof info->error,
                 "certificate: not a PEM certificate (-----BEGIN CERTIFICATE-----)");
        return -1;
    }
    X509 *more = PEM_read_bio_X509(in, NULL, NULL, NULL);
    BIO_free(in);
    ERR_clear_error();
    if (more) {
        X509_free(more);
        X509_free(cert);
        snprintf(info->error, sizeof info->error,
                 "certificate: give the agency's certificate alone, not a chain");
        return -1;
    }
    int rc = cert_check_x509(cert, NULL, store, info);
    X509_free(cert);
    return rc;
}

X509_STORE *cert_store_from_files(const char *ca_file, const char *crl_file, char *err,
                                  size_t errlen)
{
    X509_STORE *store = X509_STORE_new();
    X509_LOOKUP *lk = store ? X509_STORE_add_lookup(store, X509_LOOKUP_file()) : NULL;
    char e[256];
    if (!lk || X509_LOOKUP_load_file(lk, ca_file, X509_FILETYPE_PEM) <= 0) {
        snprintf(err, errlen, "CA file %s: %s", ca_file, tls_last_error(e, sizeof e));
        X509_STORE_free(store);
        return NULL;
    }
    if (X509_load_crl_file(lk, crl_file, X509_FILETYPE_PEM) <= 0) {
        snprintf(err, errlen, "CRL file %s: %s", crl_file, tls_last_error(e, sizeof e));
        X509_STORE_free(store);
        return NULL;
    }
    X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK);
    return store;
}
