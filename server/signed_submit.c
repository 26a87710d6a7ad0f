/* signed_submit: verification of a signed report off the loop, then the one
 * statement that stores it (see signed_submit.h). */
#include "signed_submit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/ssl.h>
#include <uv.h>

#include "call.h"
#include "cert_check.h"
#include "log.h"
#include "report_sign.h"
#include "server.h"
#include "tls_ctx.h"
#include "tls_util.h"

struct verify_job {
    uv_work_t work;
    struct call *call;
    ProtobufCClosure done;
    handler_rows_fn on_rows;
    char *doc;    /* JSON text for submit_signed */
    char sha[65]; /* of the whole request (exactly-once) */
    char uuid[37];
    uint8_t *canon; /* canonical bytes */
    size_t canon_len;
    uint8_t *sig;
    size_t sig_len;
    X509_STORE *store; /* the CA and CRL in force when the request came */
    /* results */
    int status; /* TAMNONG__STATUS__OK or the refusal's */
    char error[600];
    struct cert_info signer;
};

static void job_free(struct verify_job *j)
{
    free(j->doc);
    free(j->canon);
    free(j->sig);
    X509_STORE_free(j->store);
    free(j);
}

static void verify_work(uv_work_t *w)
{
    struct verify_job *j = w->data;
    X509 *signer = NULL;
    STACK_OF(X509) *certs = NULL;
    if (report_verify(j->sig, j->sig_len, j->canon, j->canon_len, &signer, &certs, j->error,
                      sizeof j->error) < 0) {
        j->status = TAMNONG__STATUS__INVALID_ARGUMENT;
        return;
    }
    if (cert_check_x509(signer, certs, j->store, &j->signer) < 0) {
        j->status = TAMNONG__STATUS__INVALID_ARGUMENT;
        snprintf(j->error, sizeof j->error, "signature: the signer's %s", j->signer.error);
    } else {
        j->status = TAMNONG__STATUS__OK;
    }
    X509_free(signer);
    sk_X509_pop_free(certs, X509_free);
}

static void verify_after(uv_work_t *w, int status)
{
    struct verify_job *j = w->data;
    if (status < 0) {
        handler_fail(j->call, j->done, TAMNONG__STATUS__UNAVAILABLE,
                     "the signature check was cancelled; try again");
    } else if (j->status != TAMNONG__STATUS__OK) {
        log_notice("signed report from agency %s refused: %s",
                   call_agency(j->call) ? call_agency(j->call)->code : "?", j->error);
        handler_fail(j->call, j->done, j->status, "%s", j->error);
    } else {
        char aid[24];
        const struct agency_identity *who = call_agency(j->call);
        snprintf(aid, sizeof aid, "%lld", who ? (long long)who->id : -1LL);
        const char *params[] = {aid,    j->uuid,           j->sha,
                                j->doc, j->signer.subject, j->signer.fingerprint};
        handler_query(j->call, j->done, SQL_SUBMIT_SIGNED, 6, params, j->on_rows, NULL);
    }
    job_free(j);
}

void signed_submit(struct call *call, ProtobufCClosure done, const Tamnong__SubmitRequest *in,
                   json_t *doc, handler_rows_fn on_rows)
{
    struct server *srv = call_server(call);
    const char *closed = tls_ctx_crl_closed();
    if (closed) {
        json_decref(doc);
        handler_fail(call, done, TAMNONG__STATUS__UNAVAILABLE,
                     "signature: no valid CRL is loaded, so the signer cannot be checked; try "
                     "again later (%s)",
                     closed);
        return;
    }
    if (in->signature.len > REPORT_SIGNATURE_MAX) {
        json_decref(doc);
        handler_fail(call, done, TAMNONG__STATUS__INVALID_ARGUMENT, "signature: at most %d bytes",
                     REPORT_SIGNATURE_MAX);
        return;
    }
    struct verify_job *j = calloc(1, sizeof *j);
    char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    if (!j || !text || handler_request_sha256(&in->base, j->sha) != 0 ||
        report_canonical(in, &j->canon, &j->canon_len) < 0 ||
        !(j->sig = malloc(in->signature.len))) {
        free(text);
        if (j)
            job_free(j);
        handler_fail(call, done, TAMNONG__STATUS__RESOURCE_EXHAUSTED,
                     "the server is out of memory");
        return;
    }
    j->work.data = j;
    j->call = call;
    j->done = done;
    j->on_rows = on_rows;
    j->doc = text;
    memcpy(j->sig, in->signature.data, in->signature.len);
    j->sig_len = in->signature.len;
    handler_uuid_text(in->request_uuid.data, j->uuid);
    /* The store of the context in force: SIGHUP or a periodic reload may
     * swap the context meanwhile; the reference keeps this one alive. */
    j->store = SSL_CTX_get_cert_store(srv->ssl_ctx);
    X509_STORE_up_ref(j->store);
    int rc = uv_queue_work(srv->loop, &j->work, verify_work, verify_after);
    if (rc < 0) {
        job_free(j);
        handler_fail(call, done, TAMNONG__STATUS__UNAVAILABLE,
                     "cannot check the signature now (%s); try again", uv_strerror(rc));
    }
}
