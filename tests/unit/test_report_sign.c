/* test_report_sign: the canonical bytes of a SubmitRequest (field-number
 * order whatever order the struct was filled in, defaults left out,
 * request_uuid / signature / unknown fields excluded, the same bytes after a
 * pack-unpack round trip: what the server recomputes), and the CMS signature
 * round trip of common/report_sign.c: made over the bytes, it verifies; over
 * one byte changed, or as garbage, it is refused with a reason. */
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "report_sign.h"
#include "unit.h"

static uint8_t uuid16[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

TEST(canonical_bytes)
{
    Tamnong__SubmitRequest r = TAMNONG__SUBMIT_REQUEST__INIT;
    r.proposals = (char *)"p";   /* field 7, filled first */
    r.period_code = (char *)"x"; /* field 2 */
    r.results = (char *)"";      /* default: left out */
    uint8_t *c1 = NULL;
    size_t n1 = 0;
    CHECK(report_canonical(&r, &c1, &n1) == 0);
    /* 2: "x", then 7: "p"; nothing else */
    const uint8_t want[] = {0x12, 0x01, 'x', 0x3a, 0x01, 'p'};
    CHECK_EQ_INT(n1, sizeof want);
    CHECK(memcmp(c1, want, sizeof want) == 0);

    /* request_uuid and signature do not count */
    r.request_uuid.data = uuid16;
    r.request_uuid.len = 16;
    uint8_t sig[3] = {0x30, 0x01, 0x00};
    r.signature.data = sig;
    r.signature.len = sizeof sig;
    uint8_t *c2 = NULL;
    size_t n2 = 0;
    CHECK(report_canonical(&r, &c2, &n2) == 0);
    CHECK_EQ_INT(n2, n1);
    CHECK(memcmp(c1, c2, n1) == 0);
    free(c2);

    /* what the server unpacks from the wire gives the same bytes */
    size_t wl = tamnong__submit_request__get_packed_size(&r);
    uint8_t *wire = malloc(wl);
    CHECK(wire);
    tamnong__submit_request__pack(&r, wire);
    Tamnong__SubmitRequest *u = tamnong__submit_request__unpack(NULL, wl, wire);
    free(wire);
    CHECK(u);
    CHECK(report_canonical(u, &c2, &n2) == 0);
    tamnong__submit_request__free_unpacked(u, NULL);
    CHECK_EQ_INT(n2, n1);
    CHECK(memcmp(c1, c2, n1) == 0);
    free(c2);
    free(c1);
}

/* A throwaway EC key and self-signed certificate. */
static int make_signer(EVP_PKEY **key, X509 **cert)
{
    *key = EVP_EC_gen("P-256");
    *cert = X509_new();
    if (!*key || !*cert)
        return -1;
    X509_set_version(*cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(*cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(*cert), 0);
    X509_gmtime_adj(X509_getm_notAfter(*cert), 3600);
    X509_NAME *n = X509_get_subject_name(*cert);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"UNIT", -1, -1, 0);
    X509_set_issuer_name(*cert, n);
    X509_set_pubkey(*cert, *key);
    return X509_sign(*cert, *key, EVP_sha256()) > 0 ? 0 : -1;
}

TEST(sign_and_verify)
{
    EVP_PKEY *key = NULL;
    X509 *cert = NULL;
    CHECK(make_signer(&key, &cert) == 0);
    uint8_t data[] = "canonical bytes of a report";
    uint8_t *der = NULL;
    size_t dlen = 0;
    char err[300];
    CHECK(report_sign(data, sizeof data, cert, key, &der, &dlen, err, sizeof err) == 0);

    X509 *signer = NULL;
    STACK_OF(X509) *certs = NULL;
    CHECK(report_verify(der, dlen, data, sizeof data, &signer, &certs, err, sizeof err) == 0);
    CHECK(X509_cmp(signer, cert) == 0);
    X509_free(signer);
    sk_X509_pop_free(certs, X509_free);

    data[0] ^= 1; /* one bit changed after signing */
    CHECK(report_verify(der, dlen, data, sizeof data, &signer, &certs, err, sizeof err) < 0);
    CHECK(strstr(err, "does not match this report"));
    CHECK(!signer && !certs);
    data[0] ^= 1;

    uint8_t garbage[] = {0x30, 0x82, 0xde, 0xad, 0xbe, 0xef};
    CHECK(report_verify(garbage, sizeof garbage, data, sizeof data, &signer, &certs, err,
                        sizeof err) < 0);
    CHECK(strstr(err, "not a DER-encoded CMS"));
    CHECK(report_verify(der, 0, data, sizeof data, &signer, &certs, err, sizeof err) < 0);
    free(der);
    X509_free(cert);
    EVP_PKEY_free(key);
}

UNIT_MAIN(T(canonical_bytes), T(sign_and_verify))
