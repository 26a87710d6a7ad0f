/* handlers_deadline.c: period status and deadline extensions (issue 5). Placeholder answers until
 * that work lands. */
#include "call.h"
#include "handlers.h"
#include "handler_util.h"

HANDLER(period_status, PeriodStatusRequest, PeriodStatusResponse)
{
    (void)svc;
    (void)input;
    handler_fail(closure_data, (ProtobufCClosure)typed_done, TAMNONG__STATUS__UNIMPLEMENTED,
                 "not implemented yet");
}

HANDLER(deadline_extend, DeadlineExtendRequest, DeadlineExtendReceipt)
{
    (void)svc;
    (void)input;
    handler_fail(closure_data, (ProtobufCClosure)typed_done, TAMNONG__STATUS__UNIMPLEMENTED,
                 "not implemented yet");
}
