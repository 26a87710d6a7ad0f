/* cert_check: what tamnongd checks about an agency certificate before it is
 * registered, shared by `tamnongd register-cert` (admin_cli.c) and the
 * CertRegister RPC (handlers_cert.c), and the check of a report signer's
 * certificate: one PEM certificate, issued by the province CA (chain and CRL
 * as the store has them), valid now, usable as a TLS client certificate. */
#ifndef TAMNONG_CERT_CHECK_H
#define TAMNONG_CERT_CHECK_H

#include <stddef.h>
#include <openssl/x509.h>

/* Largest PEM text accepted (a certificate is 1-3 KiB). */
#define CERT_PEM_MAX (16 * 1024)

struct cert_info {
    char fingerprint[65]; /* SHA-256 of the DER, lower-case hex */
    char subject[512];    /* RFC 2253 */
    char error[512];      /* why it was refused, in plain words */
};

/* Check pem (len bytes, not NUL-terminated necessarily) against store.
 * 0 with info filled, or -1 with info->error set. CPU only, bounded by
 * CERT_PEM_MAX: one parse and one chain verification. */
int cert_check_pem(const char *pem, size_t len, X509_STORE *store, struct cert_info *info);

/* Check an already parsed certificate (a report signer's) the same way;
 * `untrusted` are extra intermediates (may be NULL). */
int cert_check_x509(X509 *cert, STACK_OF(X509) * untrusted, X509_STORE *store,
                    struct cert_info *info);

/* A store with the CA file as trust anchor and the CRL file checked, for the
 * command line (the server uses its SSL_CTX's store). NULL with err set. */
X509_STORE *cert_store_from_files(const char *ca_file, const char *crl_file, char *err,
                                  size_t errlen);

#endif
