/* status: status code names, retry rules and descriptions (see status.h). */
#include "status.h"

#include <stddef.h>

#define N_(s) (s)

static const struct {
    const char *name;
    const char *describe;
} statuses[] = {
    [TAMNONG__STATUS__OK] = {"OK", N_("Done.")},
    [TAMNONG__STATUS__CANCELLED] = {"CANCELLED", N_("The request was cancelled.")},
    [TAMNONG__STATUS__UNKNOWN] = {"UNKNOWN", N_("The server reported an unknown error.")},
    [TAMNONG__STATUS__INVALID_ARGUMENT] = {"INVALID_ARGUMENT",
                                           N_("The request has a wrong value; correct it and "
                                              "try again.")},
    [TAMNONG__STATUS__DEADLINE_EXCEEDED] = {"DEADLINE_EXCEEDED",
                                            N_("The server did not answer in time; try again "
                                               "later.")},
    [TAMNONG__STATUS__NOT_FOUND] = {"NOT_FOUND", N_("Not found.")},
    [TAMNONG__STATUS__ALREADY_EXISTS] = {"ALREADY_EXISTS",
                                         N_("This was already sent with different content.")},
    [TAMNONG__STATUS__PERMISSION_DENIED] = {"PERMISSION_DENIED",
                                            N_("Your agency is not allowed to do this.")},
    [TAMNONG__STATUS__RESOURCE_EXHAUSTED] = {"RESOURCE_EXHAUSTED",
                                             N_("The server is busy or a limit was reached; try "
                                                "again later.")},
    [TAMNONG__STATUS__FAILED_PRECONDITION] = {"FAILED_PRECONDITION",
                                              N_("This cannot be done in the current state.")},
    [TAMNONG__STATUS__ABORTED] = {"ABORTED", N_("The request was interrupted; try again.")},
    [TAMNONG__STATUS__OUT_OF_RANGE] = {"OUT_OF_RANGE", N_("A value is out of range.")},
    [TAMNONG__STATUS__UNIMPLEMENTED] = {"UNIMPLEMENTED",
                                        N_("The server does not know this request; it may be "
                                           "older than this program.")},
    [TAMNONG__STATUS__INTERNAL] = {"INTERNAL",
                                   N_("The server had an internal error; tell the operator.")},
    [TAMNONG__STATUS__UNAVAILABLE] = {"UNAVAILABLE",
                                      N_("The service is unavailable for now; your data is kept "
                                         "and will be sent later.")},
    [TAMNONG__STATUS__DATA_LOSS] = {"DATA_LOSS", N_("Data was lost or damaged.")},
    [TAMNONG__STATUS__UNAUTHENTICATED] = {"UNAUTHENTICATED",
                                          N_("The server did not accept who is calling: "
                                             "the certificate or the log-in.")},
};

const char *status_name(int s)
{
    if (s < 0 || (size_t)s >= sizeof statuses / sizeof statuses[0] || !statuses[s].name)
        return "UNKNOWN_STATUS";
    return statuses[s].name;
}

const char *status_describe(int s)
{
    if (s < 0 || (size_t)s >= sizeof statuses / sizeof statuses[0] || !statuses[s].name)
        return N_("The server answered with a status this program does not know.");
    return statuses[s].describe;
}

bool status_retryable(int s)
{
    return s == TAMNONG__STATUS__UNAVAILABLE || s == TAMNONG__STATUS__RESOURCE_EXHAUSTED ||
           s == TAMNONG__STATUS__DEADLINE_EXCEEDED || s == TAMNONG__STATUS__ABORTED;
}
