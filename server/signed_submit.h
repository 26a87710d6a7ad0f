/* signed_submit: the Submit of a report that carries a detached CMS
 * signature (issue 7). The signature is checked off the event loop
 * (uv_queue_work): its form and content over the submission's canonical
 * bytes (report_sign.c), then the signer's certificate against the province
 * CA and the CRL now loaded (cert_check.c); then submit_signed() in the
 * database checks that the certificate is registered to the submitting
 * agency and not revoked, and stores the signer with the revision. */
#ifndef TAMNONG_SIGNED_SUBMIT_H
#define TAMNONG_SIGNED_SUBMIT_H

#include <jansson.h>

#include "handler_util.h"
#include "tamnong.pb-c.h"

/* Answer the call: a refusal with the reason, or on_rows with the
 * receipt row of submit_signed. Takes doc (the report as submit_report takes
 * it; NULL when it could not be made). */
void signed_submit(struct call *call, ProtobufCClosure done, const Tamnong__SubmitRequest *in,
                   json_t *doc, handler_rows_fn on_rows);

#endif
