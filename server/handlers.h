/* handlers: every method handler of service Tamnong, one handlers_<area>.c
 * per feature area. service.c binds them with TAMNONG__TAMNONG__INIT, so a
 * method without a handler is a compile error. Each handler gets the call as
 * closure_data (call.h) and must answer through its closure exactly once. */
#ifndef TAMNONG_HANDLERS_H
#define TAMNONG_HANDLERS_H

#include "tamnong.pb-c.h"

#define HANDLER(fn, in, out)                                                                       \
    void handle_##fn(Tamnong__Tamnong_Service *svc, const Tamnong__##in *input,                    \
                     Tamnong__##out##_Closure typed_done, void *closure_data)

/* handlers_core.c */
HANDLER(ping, PingRequest, PingResponse);
/* handlers_plan.c */
HANDLER(plan_import, PlanImportRequest, PlanImportResponse);
HANDLER(plan_tasks, PlanTasksRequest, PlanTasksResponse);
HANDLER(plan_targets, PlanTargetsRequest, PlanTargetsResponse);
HANDLER(periods, PeriodsRequest, PeriodsResponse);
HANDLER(agencies, AgenciesRequest, AgenciesResponse);
/* handlers_report.c */
HANDLER(pull, PullRequest, PullResponse);
HANDLER(task_update, TaskUpdateRequest, TaskUpdateReceipt);
HANDLER(attachment_status, AttachmentStatusRequest, AttachmentStatusResponse);
HANDLER(attachment_chunk, AttachmentChunkRequest, AttachmentChunkResponse);
HANDLER(submit, SubmitRequest, SubmitReceipt);
HANDLER(review, ReviewRequest, ReviewReceipt);
HANDLER(submissions, SubmissionsRequest, SubmissionsResponse);
HANDLER(submission_get, SubmissionGetRequest, SubmissionGetResponse);

#endif
