/* test_roles: the method -> roles table of server/roles.c: one row per
 * method of service Tamnong, named as the generated descriptor names it;
 * the certificate alone and a reporter reach no admin method; a viewer
 * changes nothing; only an operator manages persons, certificates, the plan
 * and the audit check; every state-changing method is audited. */
#include <string.h>

#include "roles.h"
#include "tamnong.pb-c.h"
#include "unit.h"

static const char *const admin_methods[] = {
    "PlanImport",     "Review",       "PeriodStatus",   "DeadlineExtend", "TaskBoard",
    "TargetProgress", "PeriodClose",  "ReportFeedback", "UserAdd",        "UserUpdate",
    "AuditVerify",    "CertRegister", "CertRevoke"};
static const char *const operator_only[] = {"PlanImport",  "UserAdd",      "UserUpdate",
                                            "AuditVerify", "CertRegister", "CertRevoke"};
static const char *const changes[] = {
    "PlanImport", "TaskUpdate", "Submit",  "Review",     "DeadlineExtend", "PeriodClose",
    "Login",      "Logout",     "UserAdd", "UserUpdate", "CertRegister",   "CertRevoke"};

static uint32_t index_of(const char *name)
{
    for (uint32_t i = 0; i < ROLE_METHODS; i++)
        if (role_table[i].name && strcmp(role_table[i].name, name) == 0)
            return i;
    return UINT32_MAX;
}

TEST(every_method_has_a_row)
{
    CHECK_EQ_INT((int)tamnong__tamnong__descriptor.n_methods, ROLE_METHODS);
    for (unsigned i = 0; i < tamnong__tamnong__descriptor.n_methods; i++) {
        CHECK(role_table[i].name != NULL);
        if (role_table[i].name)
            CHECK_EQ_STR(role_table[i].name, tamnong__tamnong__descriptor.methods[i].name);
        CHECK(role_table[i].roles != 0);
    }
    CHECK(role_may_call(ROLE_AGENCY, index_of("Login")));
    CHECK(role_may_call(ROLE_AGENCY, index_of("Ping")));
    CHECK(role_may_call(ROLE_VIEWER, index_of("Whoami")));
    CHECK(!role_may_call(ROLE_OPERATOR, ROLE_METHODS));
    CHECK(!role_may_call(ROLE__COUNT, 0));
}

TEST(agency_and_reporter_reach_no_admin_method)
{
    for (size_t i = 0; i < sizeof admin_methods / sizeof admin_methods[0]; i++) {
        uint32_t m = index_of(admin_methods[i]);
        CHECK(m != UINT32_MAX);
        CHECK(!role_may_call(ROLE_AGENCY, m));
        CHECK(!role_may_call(ROLE_REPORTER, m));
    }
    CHECK(role_may_call(ROLE_AGENCY, index_of("Submit")));
    CHECK(role_may_call(ROLE_REPORTER, index_of("TaskUpdate")));
    CHECK(!role_sees_all(ROLE_AGENCY));
    CHECK(!role_sees_all(ROLE_REPORTER));
}

TEST(viewer_changes_nothing)
{
    for (uint32_t m = 0; m < ROLE_METHODS; m++)
        if (role_table[m].audit != AUDIT_NO && strcmp(role_table[m].name, "Login") != 0 &&
            strcmp(role_table[m].name, "Logout") != 0)
            CHECK(!role_may_call(ROLE_VIEWER, m));
    CHECK(role_may_call(ROLE_VIEWER, index_of("TaskBoard")));
    CHECK(role_sees_all(ROLE_VIEWER));
}

TEST(only_the_operator_manages)
{
    for (size_t i = 0; i < sizeof operator_only / sizeof operator_only[0]; i++) {
        uint32_t m = index_of(operator_only[i]);
        CHECK(role_may_call(ROLE_OPERATOR, m));
        CHECK(!role_may_call(ROLE_REVIEWER, m));
        CHECK(!role_may_call(ROLE_VIEWER, m));
    }
    CHECK(role_may_call(ROLE_REVIEWER, index_of("Review")));
    CHECK(role_may_call(ROLE_REVIEWER, index_of("PeriodClose")));
}

TEST(state_changes_are_audited)
{
    for (size_t i = 0; i < sizeof changes / sizeof changes[0]; i++)
        CHECK(role_table[index_of(changes[i])].audit == AUDIT_CHANGE);
    CHECK(role_table[index_of("AttachmentChunk")].audit == AUDIT_COMPLETE);
    CHECK(role_table[index_of("Pull")].audit == AUDIT_NO);
}

TEST(names_and_lists)
{
    CHECK_EQ_INT(role_parse("operator"), ROLE_OPERATOR);
    CHECK_EQ_INT(role_parse("agency"), -1); /* not a person's role */
    CHECK_EQ_INT(role_parse("Operator"), -1);
    CHECK_EQ_STR(role_name(ROLE_VIEWER), "viewer");
    char buf[128];
    CHECK_EQ_STR(role_list(index_of("Review"), buf, sizeof buf), "a reviewer or an operator");
    CHECK_EQ_STR(role_list(index_of("UserAdd"), buf, sizeof buf), "an operator");
}

UNIT_MAIN(T(every_method_has_a_row), T(agency_and_reporter_reach_no_admin_method),
          T(viewer_changes_nothing), T(only_the_operator_manages), T(state_changes_are_audited),
          T(names_and_lists))
