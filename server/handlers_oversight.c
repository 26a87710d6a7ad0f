/* handlers_oversight.c: task board, target progress, frozen figures, report feedback (issue 6).
 * Placeholder answers until that work lands. */
#include "call.h"
#include "handlers.h"
#include "handler_util.h"

HANDLER(task_board, TaskBoardRequest, TaskBoardResponse)
{
    (void)svc;
    (void)input;
    handler_fail(closure_data, (ProtobufCClosure)typed_done, TAMNONG__STATUS__UNIMPLEMENTED,
                 "not implemented yet");
}

HANDLER(target_progress, TargetProgressRequest, TargetProgressResponse)
{
    (void)svc;
    (void)input;
    handler_fail(closure_data, (ProtobufCClosure)typed_done, TAMNONG__STATUS__UNIMPLEMENTED,
                 "not implemented yet");
}

HANDLER(period_close, PeriodCloseRequest, PeriodCloseReceipt)
{
    (void)svc;
    (void)input;
    handler_fail(closure_data, (ProtobufCClosure)typed_done, TAMNONG__STATUS__UNIMPLEMENTED,
                 "not implemented yet");
}

HANDLER(report_feedback, ReportFeedbackRequest, ReportFeedbackResponse)
{
    (void)svc;
    (void)input;
    handler_fail(closure_data, (ProtobufCClosure)typed_done, TAMNONG__STATUS__UNIMPLEMENTED,
                 "not implemented yet");
}
