/* handlers_cert.c: certificate registration and revocation over RPC (issue 7). Placeholder answers
 * until that work lands. */
#include "call.h"
#include "handlers.h"
#include "handler_util.h"

HANDLER(cert_register, CertRegisterRequest, CertRegisterResponse)
{
    (void)svc;
    (void)input;
    handler_fail(closure_data, (ProtobufCClosure)typed_done, TAMNONG__STATUS__UNIMPLEMENTED,
                 "not implemented yet");
}

HANDLER(cert_revoke, CertRevokeRequest, CertRevokeResponse)
{
    (void)svc;
    (void)input;
    handler_fail(closure_data, (ProtobufCClosure)typed_done, TAMNONG__STATUS__UNIMPLEMENTED,
                 "not implemented yet");
}
