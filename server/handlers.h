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
/* handlers_deadline.c (issue 5) */
HANDLER(period_status, PeriodStatusRequest, PeriodStatusResponse);
HANDLER(deadline_extend, DeadlineExtendRequest, DeadlineExtendReceipt);
/* handlers_oversight.c (issue 6) */
HANDLER(task_board, TaskBoardRequest, TaskBoardResponse);
HANDLER(target_progress, TargetProgressRequest, TargetProgressResponse);
HANDLER(period_close, PeriodCloseRequest, PeriodCloseReceipt);
HANDLER(report_feedback, ReportFeedbackRequest, ReportFeedbackResponse);
/* handlers_identity.c (issue 7) */
HANDLER(login, LoginRequest, LoginResponse);
HANDLER(logout, LogoutRequest, LogoutResponse);
HANDLER(whoami, WhoamiRequest, WhoamiResponse);
HANDLER(user_add, UserAddRequest, UserAddResponse);
HANDLER(user_update, UserUpdateRequest, UserUpdateResponse);
HANDLER(audit_verify, AuditVerifyRequest, AuditVerifyResponse);
/* handlers_cert.c (issue 7) */
HANDLER(cert_register, CertRegisterRequest, CertRegisterResponse);
HANDLER(cert_revoke, CertRevokeRequest, CertRevokeResponse);

#endif
