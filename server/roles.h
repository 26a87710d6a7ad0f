/* roles: who may call which method. ONE table (roles.c) gives, for every
 * method index of service Tamnong, the roles allowed to call it and whether
 * the call is written to the audit log; dispatch.c checks it before any
 * handler runs. A caller without a person session has the role "agency"
 * (its certificate's agency: reporter rights); the other roles come only
 * from a person session (docs/security.md). */
#ifndef TAMNONG_ROLES_H
#define TAMNONG_ROLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum role {
    ROLE_AGENCY = 0, /* a certificate without a person session */
    ROLE_REPORTER,   /* a person of an agency: its own agency's reports */
    ROLE_REVIEWER,   /* a person of the standing agency: reviews, deadlines, closing */
    ROLE_VIEWER,     /* leadership: reads everything, changes nothing */
    ROLE_OPERATOR,   /* accounts, certificates, plan import, and all the reviewer may do */
    ROLE__COUNT
};

#define ROLE_BIT(r) (1u << (r))

/* Methods of service Tamnong the table covers (indexes 0..ROLE_METHODS-1). */
#define ROLE_METHODS 28

enum role_audit {
    AUDIT_NO = 0,   /* a query: only denials are written */
    AUDIT_CHANGE,   /* state-changing: every outcome is written */
    AUDIT_COMPLETE, /* AttachmentChunk: the chunk that completes a file, and failures */
};

struct method_rule {
    const char *name; /* as in proto/tamnong.proto */
    unsigned roles;   /* ROLE_BIT()s allowed */
    enum role_audit audit;
};

extern const struct method_rule role_table[ROLE_METHODS];

/* False for an index outside the table. */
bool role_may_call(enum role r, uint32_t method);
/* "agency", "reporter", ... */
const char *role_name(enum role r);
/* The role a person may have (not "agency"), or -1. */
int role_parse(const char *s);
/* The role sees every agency's reports (reviewer, viewer, operator). */
bool role_sees_all(enum role r);
/* "reviewer or operator": the roles that may call method, in plain words
 * for a PERMISSION_DENIED message, into buf. */
const char *role_list(uint32_t method, char *buf, size_t len);

#endif
