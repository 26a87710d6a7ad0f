/* tls_util: small OpenSSL helpers shared by server and client, and the
 * lower-case hex text digests and ids are written in. */
#ifndef TAMNONG_TLS_UTIL_H
#define TAMNONG_TLS_UTIL_H

#include <stddef.h>
#include <openssl/x509.h>

/* n bytes as lower-case hex into out[2n+1]. */
void tls_hex(const unsigned char *d, size_t n, char *out);
/* Lower-case hex SHA-256 of n bytes into out[65] (session tokens are kept
 * only as this). 0 or -1. */
int tls_sha256_hex(const void *d, size_t n, char out[65]);
/* Lower-case hex SHA-256 of the DER certificate into out[65]. 0 or -1. */
int tls_cert_fingerprint(X509 *cert, char out[65]);
/* Fingerprint of the first certificate in a PEM file. 0 or -1. */
int tls_cert_file_fingerprint(const char *path, char out[65]);
/* The most recent OpenSSL error as text (for logs), and clear the queue. */
const char *tls_last_error(char *buf, size_t len);

#endif
