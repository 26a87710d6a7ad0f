/* report_sign: signed reports (issue 7). The canonical bytes of a
 * submission, the detached CMS signature a client makes over them with its
 * agency key, and the check of a signature's form and content the server
 * makes (the signer's certificate is then checked against the province CA
 * and CRL by the server, cert_check.c). docs/protocol.md, "Signed reports". */
#ifndef TAMNONG_REPORT_SIGN_H
#define TAMNONG_REPORT_SIGN_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "tamnong.pb-c.h"

/* Largest signature accepted (DER; one signer with its certificate is ~1-3 KiB). */
#define REPORT_SIGNATURE_MAX (16 * 1024)

/* The canonical bytes of a SubmitRequest: the message as protobuf-c packs
 * it with request_uuid and signature cleared and no unknown fields (fields
 * in field-number order, proto3 defaults left out: the same message always
 * gives the same bytes). malloc'ed into *out. 0, or -1 when out of memory. */
int report_canonical(const Tamnong__SubmitRequest *in, uint8_t **out, size_t *len);

/* A detached CMS SignedData (DER, SHA-256, signer certificate included)
 * over data by key/cert: CMS_sign with CMS_DETACHED | CMS_BINARY. malloc'ed
 * into *der. 0, or -1 with a reason in err. */
int report_sign(const uint8_t *data, size_t len, X509 *cert, EVP_PKEY *key, uint8_t **der,
                size_t *derlen, char *err, size_t errlen);

/* Check that sig is one detached CMS SignedData with exactly one signer,
 * digest SHA-256, whose signature verifies over data with the certificate it
 * carries. On success *signer (up-ref'd) and *certs (the certificates it
 * carries, for chain building; free with sk_X509_pop_free) are set. The
 * signer's certificate itself is NOT checked here. 0, or -1 with the reason
 * in plain words in err. CPU work: call it off the event loop. */
int report_verify(const uint8_t *sig, size_t siglen, const uint8_t *data, size_t len, X509 **signer,
                  STACK_OF(X509) * *certs, char *err, size_t errlen);

#endif
