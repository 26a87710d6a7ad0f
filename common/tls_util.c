/* tls_util: certificate fingerprints, hex text and OpenSSL error text (see tls_util.h). */
#include "tls_util.h"

#include <stdio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

void tls_hex(const unsigned char *d, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[d[i] >> 4];
        out[2 * i + 1] = digits[d[i] & 15];
    }
    out[2 * n] = '\0';
}

int tls_sha256_hex(const void *d, size_t n, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!EVP_Digest(d, n, md, &len, EVP_sha256(), NULL) || len != 32)
        return -1;
    tls_hex(md, len, out);
    return 0;
}

int tls_cert_fingerprint(X509 *cert, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (!cert || !X509_digest(cert, EVP_sha256(), md, &n) || n != 32)
        return -1;
    tls_hex(md, n, out);
    return 0;
}

int tls_cert_file_fingerprint(const char *path, char out[65])
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    X509 *cert = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    int rc = tls_cert_fingerprint(cert, out);
    X509_free(cert);
    return rc;
}

const char *tls_last_error(char *buf, size_t len)
{
    unsigned long e = ERR_get_error();
    if (!e)
        snprintf(buf, len, "no OpenSSL error");
    else
        ERR_error_string_n(e, buf, len);
    ERR_clear_error();
    return buf;
}
