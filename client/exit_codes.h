/* exit_codes: what tamnong's exit status means (sysexits.h values), so a
 * script or a scheduled sync can tell "fix your data" from "try later".
 * `tamnong --help` prints the same list. */
#ifndef TAMNONG_CLIENT_EXIT_CODES_H
#define TAMNONG_CLIENT_EXIT_CODES_H

enum tn_exit {
    TN_EXIT_OK = 0,        /* done */
    TN_EXIT_USAGE = 64,    /* the command line is wrong */
    TN_EXIT_DATA = 65,     /* the server refused the data: INVALID_ARGUMENT, FAILED_PRECONDITION,
                              ALREADY_EXISTS, OUT_OF_RANGE, NOT_FOUND */
    TN_EXIT_SOFTWARE = 70, /* internal error: INTERNAL, DATA_LOSS, UNKNOWN, UNIMPLEMENTED,
                              a garbled answer, a bug in this program */
    TN_EXIT_TEMPFAIL = 75, /* try later: server unreachable, timeout, TLS failure, UNAVAILABLE,
                              RESOURCE_EXHAUSTED, DEADLINE_EXCEEDED, ABORTED, CANCELLED */
    TN_EXIT_NOPERM = 77,   /* not allowed: the server refused our certificate,
                              UNAUTHENTICATED, PERMISSION_DENIED */
    TN_EXIT_CONFIG = 78,   /* configuration problem: config file, CA, certificate, key, or the
                              server's certificate does not match ca_file / server_name */
};

#endif
