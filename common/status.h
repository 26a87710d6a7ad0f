/* status: names, retry rules and plain-words descriptions of the wire status
 * codes (enum Tamnong__Status in proto/tamnong.proto). */
#ifndef TAMNONG_STATUS_H
#define TAMNONG_STATUS_H

#include <stdbool.h>

#include "tamnong.pb-c.h"

/* "OK", "INVALID_ARGUMENT", ...; "UNKNOWN_STATUS" for values outside the enum. */
const char *status_name(int status);
/* True for the codes that mean "not processed, try again later":
 * UNAVAILABLE, RESOURCE_EXHAUSTED, DEADLINE_EXCEEDED, ABORTED. */
bool status_retryable(int status);
/* One sentence in English (msgid for gettext) saying what the status means to
 * a person and what to do. */
const char *status_describe(int status);

#endif
