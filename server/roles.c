/* roles: the method -> roles table (see roles.h) and its helpers. The table
 * is indexed by the method index of service Tamnong; a unit test checks it
 * against the generated service descriptor, so a new method without a row
 * fails the build's tests. */
#include "roles.h"

#include <stdio.h>
#include <string.h>

#define A        ROLE_BIT(ROLE_AGENCY)
#define RP       ROLE_BIT(ROLE_REPORTER)
#define RV       ROLE_BIT(ROLE_REVIEWER)
#define VW       ROLE_BIT(ROLE_VIEWER)
#define OP       ROLE_BIT(ROLE_OPERATOR)
#define ANYONE   (A | RP | RV | VW | OP)
#define REPORT   (A | RP | RV | OP) /* the caller's own agency's reporting */
#define OVERSEE  (RV | VW | OP)     /* read every agency's reports and aggregates */
#define DECIDE   (RV | OP)          /* reviews, deadlines, closing periods */
#define OPERATOR OP

const struct method_rule role_table[ROLE_METHODS] = {
    [0] = {"Ping", ANYONE, AUDIT_NO},
    [1] = {"PlanImport", OPERATOR, AUDIT_CHANGE},
    [2] = {"PlanTasks", ANYONE, AUDIT_NO},
    [3] = {"PlanTargets", ANYONE, AUDIT_NO},
    [4] = {"Periods", ANYONE, AUDIT_NO},
    [5] = {"Agencies", ANYONE, AUDIT_NO},
    [6] = {"Pull", REPORT | VW, AUDIT_NO},
    [7] = {"TaskUpdate", REPORT, AUDIT_CHANGE},
    [8] = {"AttachmentStatus", REPORT, AUDIT_NO},
    [9] = {"AttachmentChunk", REPORT, AUDIT_COMPLETE},
    [10] = {"Submit", REPORT, AUDIT_CHANGE},
    [11] = {"Review", DECIDE, AUDIT_CHANGE},
    /* Own agency's reports for agency and reporter; all for the others. */
    [12] = {"Submissions", ANYONE, AUDIT_NO},
    [13] = {"SubmissionGet", ANYONE, AUDIT_NO},
    [14] = {"PeriodStatus", OVERSEE, AUDIT_NO},
    [15] = {"DeadlineExtend", DECIDE, AUDIT_CHANGE},
    [16] = {"TaskBoard", OVERSEE, AUDIT_NO},
    [17] = {"TargetProgress", OVERSEE, AUDIT_NO},
    [18] = {"PeriodClose", DECIDE, AUDIT_CHANGE},
    [19] = {"ReportFeedback", OVERSEE, AUDIT_NO},
    [20] = {"Login", ANYONE, AUDIT_CHANGE},
    [21] = {"Logout", ANYONE, AUDIT_CHANGE},
    [22] = {"Whoami", ANYONE, AUDIT_NO},
    [23] = {"UserAdd", OPERATOR, AUDIT_CHANGE},
    [24] = {"UserUpdate", OPERATOR, AUDIT_CHANGE},
    [25] = {"AuditVerify", OPERATOR, AUDIT_CHANGE},
    [26] = {"CertRegister", OPERATOR, AUDIT_CHANGE},
    [27] = {"CertRevoke", OPERATOR, AUDIT_CHANGE},
};

static const char *const names[ROLE__COUNT] = {"agency", "reporter", "reviewer", "viewer",
                                               "operator"};

bool role_may_call(enum role r, uint32_t method)
{
    return method < ROLE_METHODS && (unsigned)r < ROLE__COUNT &&
           (role_table[method].roles & ROLE_BIT(r)) != 0;
}

const char *role_name(enum role r)
{
    return (unsigned)r < ROLE__COUNT ? names[r] : "?";
}

int role_parse(const char *s)
{
    for (int r = ROLE_REPORTER; r < ROLE__COUNT; r++)
        if (strcmp(s, names[r]) == 0)
            return r;
    return -1;
}

bool role_sees_all(enum role r)
{
    return r == ROLE_REVIEWER || r == ROLE_VIEWER || r == ROLE_OPERATOR;
}

const char *role_list(uint32_t method, char *buf, size_t len)
{
    size_t n = 0;
    buf[0] = '\0';
    if (method >= ROLE_METHODS)
        return buf;
    unsigned bits = role_table[method].roles;
    int count = 0, total = 0;
    for (int r = 0; r < ROLE__COUNT; r++)
        total += (bits & ROLE_BIT(r)) != 0;
    for (int r = 0; r < ROLE__COUNT && n < len; r++) {
        if (!(bits & ROLE_BIT(r)))
            continue;
        count++;
        const char *sep = count == 1 ? "" : count == total ? " or " : ", ";
        int w = snprintf(buf + n, len - n, "%s%s%s", sep,
                         strchr("aeiou", names[r][0]) ? "an " : "a ", names[r]);
        if (w < 0)
            break;
        n += (size_t)w;
    }
    return buf;
}
