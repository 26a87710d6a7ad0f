/* report_sign: canonical bytes, CMS signing and the content check of a
 * signed report (see report_sign.h). */
#include "report_sign.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/objects.h>

int report_canonical(const Tamnong__SubmitRequest *in, uint8_t **out, size_t *len)
{
    Tamnong__SubmitRequest c = *in; /* shallow: only packed, never freed */
    c.request_uuid.data = NULL;
    c.request_uuid.len = 0;
    c.signature.data = NULL;
    c.signature.len = 0;
    c.base.n_unknown_fields = 0;
    c.base.unknown_fields = NULL;
    size_t n = tamnong__submit_request__get_packed_size(&c);
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf)
        return -1;
    *len = tamnong__submit_request__pack(&c, buf);
    *out = buf;
    return 0;
}

static void ossl_reason(char *err, size_t errlen, const char *what)
{
    char e[200];
    unsigned long code = ERR_get_error();
    ERR_error_string_n(code, e, sizeof e);
    snprintf(err, errlen, "%s%s%s", what, code ? ": " : "", code ? e : "");
    ERR_clear_error();
}

int report_sign(const uint8_t *data, size_t len, X509 *cert, EVP_PKEY *key, uint8_t **der,
                size_t *derlen, char *err, size_t errlen)
{
    int rc = -1;
    unsigned flags = CMS_DETACHED | CMS_BINARY | CMS_PARTIAL;
    BIO *in = BIO_new_mem_buf(data, (int)len);
    CMS_ContentInfo *cms = in ? CMS_sign(NULL, NULL, NULL, NULL, flags) : NULL;
    unsigned char *p = NULL;
    if (!cms || !CMS_add1_signer(cms, cert, key, EVP_sha256(), flags) ||
        !CMS_final(cms, in, NULL, flags)) {
        ossl_reason(err, errlen, "cannot sign the report with the agency key");
        goto out;
    }
    int n = i2d_CMS_ContentInfo(cms, &p);
    if (n <= 0) {
        ossl_reason(err, errlen, "cannot encode the signature");
        goto out;
    }
    *der = malloc((size_t)n);
    if (!*der) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    memcpy(*der, p, (size_t)n);
    *derlen = (size_t)n;
    rc = 0;
out:
    OPENSSL_free(p);
    CMS_ContentInfo_free(cms);
    BIO_free(in);
    return rc;
}

int report_verify(const uint8_t *sig, size_t siglen, const uint8_t *data, size_t len, X509 **signer,
                  STACK_OF(X509) * *certs, char *err, size_t errlen)
{
    int rc = -1;
    *signer = NULL;
    *certs = NULL;
    if (siglen == 0 || siglen > REPORT_SIGNATURE_MAX) {
        snprintf(err, errlen, "signature: expected a DER CMS signature of at most %d bytes",
                 REPORT_SIGNATURE_MAX);
        return -1;
    }
    const unsigned char *p = sig;
    CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, (long)siglen);
    BIO *content = NULL;
    X509_STORE *none = NULL;
    if (!cms || p != sig + siglen) {
        snprintf(err, errlen, "signature: not a DER-encoded CMS structure");
        goto out;
    }
    if (OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed) {
        snprintf(err, errlen, "signature: not a CMS SignedData");
        goto out;
    }
    if (CMS_is_detached(cms) != 1) {
        snprintf(err, errlen,
                 "signature: must be detached (the report's canonical bytes are not in it)");
        goto out;
    }
    STACK_OF(CMS_SignerInfo) *sis = CMS_get0_SignerInfos(cms);
    if (sk_CMS_SignerInfo_num(sis) != 1) {
        snprintf(err, errlen, "signature: must have exactly one signer, it has %d",
                 sk_CMS_SignerInfo_num(sis));
        goto out;
    }
    X509_ALGOR *dig = NULL;
    CMS_SignerInfo_get0_algs(sk_CMS_SignerInfo_value(sis, 0), NULL, NULL, &dig, NULL);
    if (!dig || OBJ_obj2nid(dig->algorithm) != NID_sha256) {
        snprintf(err, errlen, "signature: the digest must be SHA-256");
        goto out;
    }
    content = BIO_new_mem_buf(data, (int)len);
    none = X509_STORE_new();
    /* The signer's certificate is checked by the caller (CA, CRL, purpose,
     * agency); here only the signature over the content. */
    if (!content || !none ||
        CMS_verify(cms, NULL, none, content, NULL, CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY) != 1) {
        unsigned long e = ERR_peek_last_error();
        if (ERR_GET_REASON(e) == CMS_R_SIGNER_CERTIFICATE_NOT_FOUND)
            snprintf(err, errlen, "signature: the signer's certificate is not included");
        else
            snprintf(err, errlen,
                     "signature: does not match this report (its content was changed after "
                     "signing, or it was signed with a key that is not the certificate's)");
        goto out;
    }
    STACK_OF(X509) *signers = CMS_get0_signers(cms);
    if (sk_X509_num(signers) != 1) {
        sk_X509_free(signers);
        snprintf(err, errlen, "signature: the signer's certificate is not included");
        goto out;
    }
    *signer = sk_X509_value(signers, 0);
    X509_up_ref(*signer);
    sk_X509_free(signers);
    *certs = CMS_get1_certs(cms);
    rc = 0;
out:
    ERR_clear_error();
    X509_STORE_free(none);
    BIO_free(content);
    CMS_ContentInfo_free(cms);
    return rc;
}
