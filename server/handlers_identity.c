/* handlers_identity.c: persons, sessions, roles and audit (issue 7). Placeholder answers until that
 * work lands. */
#include "call.h"
#include "handlers.h"
#include "handler_util.h"

HANDLER(login, LoginRequest, LoginResponse)
{
    (void)svc;
    (void)input;
    handler_fail(closure_data, (ProtobufCClosure)typed_done, TAMNONG__STATUS__UNIMPLEMENTED,
                 "not implemented yet");
}

HANDLER(logout, LogoutRequest, LogoutResponse)
{
    (void)svc;
    (void)input;
    handler_fail(closure_data, (ProtobufCClosure)typed_done, TAMNONG__STATUS__UNIMPLEMENTED,
                 "not implemented yet");
}

HANDLER(whoami, WhoamiRequest, WhoamiResponse)
{
    (void)svc;
    (void)input;
    handler_fail(closure_data, (ProtobufCClosure)typed_done, TAMNONG__STATUS__UNIMPLEMENTED,
                 "not implemented yet");
}

HANDLER(user_add, UserAddRequest, UserAddResponse)
{
    (void)svc;
    (void)input;
    handler_fail(closure_data, (ProtobufCClosure)typed_done, TAMNONG__STATUS__UNIMPLEMENTED,
                 "not implemented yet");
}

HANDLER(user_update, UserUpdateRequest, UserUpdateResponse)
{
    (void)svc;
    (void)input;
    handler_fail(closure_data, (ProtobufCClosure)typed_done, TAMNONG__STATUS__UNIMPLEMENTED,
                 "not implemented yet");
}

HANDLER(audit_verify, AuditVerifyRequest, AuditVerifyResponse)
{
    (void)svc;
    (void)input;
    handler_fail(closure_data, (ProtobufCClosure)typed_done, TAMNONG__STATUS__UNIMPLEMENTED,
                 "not implemented yet");
}
