/* handlers_cert.c: CertRegister (26) and CertRevoke (27), operator only. The
 * certificate is parsed and verified on the loop: it is bounded (CERT_PEM_MAX,
 * one parse and one chain verification, well under a millisecond) and the
 * same code checks `tamnongd register-cert` (cert_check.c). The database work
 * is one plpgsql function each (008_signatures.sql), exactly-once through
 * request_uuid. A committed revocation reaches the identity cache and the
 * connections identified by the certificate (auth_revoked). */
#include <stdio.h>
#include <string.h>
#include <jansson.h>

#include "auth.h"
#include "call.h"
#include "cert_check.h"
#include "handler_util.h"
#include "handlers.h"
#include "log.h"
#include "report_rules.h"
#include "server.h"
#include "tls_ctx.h"
#include "tls_util.h"

#define REVOKE_REASON_MAX 500

/* The caller's agency id, request uuid text and request SHA-256: what every
 * exactly-once function takes first. false after answering. */
static bool once_params(struct call *call, ProtobufCClosure done, const ProtobufCMessage *in,
                        const ProtobufCBinaryData *u, char aid[24], char uuid[37], char sha[65])
{
    if (u->len != 16) {
        handler_fail(call, done, TAMNONG__STATUS__INVALID_ARGUMENT,
                     "request_uuid: must be 16 bytes (a UUID)");
        return false;
    }
    if (handler_request_sha256(in, sha) != 0) {
        handler_fail(call, done, TAMNONG__STATUS__RESOURCE_EXHAUSTED,
                     "the server is out of memory");
        return false;
    }
    handler_uuid_text(u->data, uuid);
    const struct agency_identity *who = call_agency(call);
    snprintf(aid, 24, "%lld", who ? (long long)who->id : -1LL);
    return true;
}

/* ---------------------------------------------------------------- CertRegister */

static const char *agency_code_of(const Tamnong__AgencyRef *ag)
{
    return ag ? ag->code : "?";
}

static void register_rows(struct call *call, ProtobufCClosure done, const PGresult *res, void *arg)
{
    json_t *r = handler_answer_json(call, done, res);
    if (!r)
        return;
    struct arena a = {0};
    const Tamnong__CertRegisterResponse *resp =
        (const Tamnong__CertRegisterResponse *)arena_message(
            &a, &tamnong__cert_register_response__descriptor, r);
    if (resp && !resp->replay)
        log_notice("certificate %s (%s) registered to agency %s by %s", resp->fingerprint,
                   resp->subject, agency_code_of(resp->agency),
                   call_agency(call) ? call_agency(call)->code : "?");
    handler_answer_arena(call, done, resp ? &resp->base : NULL, &a);
    json_decref(r);
}

HANDLER(cert_register, CertRegisterRequest, CertRegisterResponse)
{
    const Tamnong__CertRegisterRequest *in = input;
    struct call *call = closure_data;
    ProtobufCClosure done = (ProtobufCClosure)typed_done;
    (void)svc;
    if (!handler_require_admin(call, done))
        return;
    if (!rr_code_ok(in->agency_code)) {
        handler_fail(call, done, TAMNONG__STATUS__INVALID_ARGUMENT,
                     "agency_code: must be an agency code (1 to 32 letters, digits, '.', '_' or "
                     "'-')");
        return;
    }
    struct server *srv = call_server(call);
    const char *closed = tls_ctx_crl_closed();
    if (closed) {
        handler_fail(call, done, TAMNONG__STATUS__UNAVAILABLE,
                     "no valid CRL is loaded, so revocation cannot be checked: %s", closed);
        return;
    }
    struct cert_info info;
    if (cert_check_pem(in->certificate_pem, strlen(in->certificate_pem),
                       SSL_CTX_get_cert_store(srv->ssl_ctx), &info) < 0) {
        handler_fail(call, done, TAMNONG__STATUS__INVALID_ARGUMENT, "%s", info.error);
        return;
    }
    char aid[24], uuid[37], sha[65];
    if (!once_params(call, done, &in->base, &in->request_uuid, aid, uuid, sha))
        return;
    const char *params[] = {aid, uuid, sha, info.fingerprint, in->agency_code, info.subject};
    handler_query(call, done, SQL_CERT_REGISTER, 6, params, register_rows, NULL);
}

/* ---------------------------------------------------------------- CertRevoke */

static void revoke_rows(struct call *call, ProtobufCClosure done, const PGresult *res, void *arg)
{
    json_t *r = handler_answer_json(call, done, res);
    if (!r)
        return;
    /* Committed: no new connection is identified by it (the database says
     * so); drop it from the cache and cut its live connections. */
    auth_revoked(jstr(r, "fingerprint"));
    struct arena a = {0};
    const Tamnong__CertRevokeResponse *resp = (const Tamnong__CertRevokeResponse *)arena_message(
        &a, &tamnong__cert_revoke_response__descriptor, r);
    if (resp && !resp->replay && !resp->already_revoked)
        log_notice("certificate %s of agency %s revoked by %s", resp->fingerprint,
                   agency_code_of(resp->agency), call_agency(call) ? call_agency(call)->code : "?");
    handler_answer_arena(call, done, resp ? &resp->base : NULL, &a);
    json_decref(r);
}

static bool hex64(const char *s)
{
    size_t n = strlen(s);
    if (n != 64)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

HANDLER(cert_revoke, CertRevokeRequest, CertRevokeResponse)
{
    const Tamnong__CertRevokeRequest *in = input;
    struct call *call = closure_data;
    ProtobufCClosure done = (ProtobufCClosure)typed_done;
    (void)svc;
    if (!handler_require_admin(call, done))
        return;
    if (!hex64(in->fingerprint)) {
        handler_fail(call, done, TAMNONG__STATUS__INVALID_ARGUMENT,
                     "fingerprint: must be the certificate's SHA-256 as 64 lower-case hex digits");
        return;
    }
    if (!field_text_ok(in->reason, REVOKE_REASON_MAX)) {
        handler_fail(call, done, TAMNONG__STATUS__INVALID_ARGUMENT,
                     "reason: at most %d bytes of text", REVOKE_REASON_MAX);
        return;
    }
    char aid[24], uuid[37], sha[65];
    if (!once_params(call, done, &in->base, &in->request_uuid, aid, uuid, sha))
        return;
    const char *params[] = {aid, uuid, sha, in->fingerprint, in->reason};
    handler_query(call, done, SQL_CERT_REVOKE, 5, params, revoke_rows, NULL);
}
