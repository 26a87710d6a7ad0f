/* handlers_report: reporting and sync (issue 4). Being written: every method
 * answers UNIMPLEMENTED until its handler lands. */
#include "handler_util.h"
#include "handlers.h"

#define NOT_YET(fn, in, out)                                                                       \
    HANDLER(fn, in, out)                                                                           \
    {                                                                                              \
        handler_fail(closure_data, (ProtobufCClosure)typed_done, TAMNONG__STATUS__UNIMPLEMENTED,  \
                     "not available yet");                                                         \
    }

NOT_YET(pull, PullRequest, PullResponse)
NOT_YET(task_update, TaskUpdateRequest, TaskUpdateReceipt)
NOT_YET(attachment_status, AttachmentStatusRequest, AttachmentStatusResponse)
NOT_YET(attachment_chunk, AttachmentChunkRequest, AttachmentChunkResponse)
NOT_YET(submit, SubmitRequest, SubmitReceipt)
NOT_YET(review, ReviewRequest, ReviewReceipt)
NOT_YET(submissions, SubmissionsRequest, SubmissionsResponse)
NOT_YET(submission_get, SubmissionGetRequest, SubmissionGetResponse)
