/* test_report_rules: the shared report rules of common/report_rules.c
 * (decimals, their comparison, the SubmitRequest / TaskUpdateRequest /
 * ReviewRequest checks and their field names, the plan-dependent check) and
 * the raw string check of common/pb_text.c (a NUL or invalid UTF-8 inside a
 * nested, repeated string field is found and named). */
#include <stdbool.h>
#include <stdint.h>

#include "pb_text.h"
#include "report_rules.h"
#include "unit.h"

static uint8_t uuid16[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

TEST(decimals)
{
    const char *good[] = {"0", "63.5", "-2", "0.75", "450000", "007", "-0.0"};
    const char *bad[] = {"",
                         ".5",
                         "5.",
                         "1e3",
                         "+1",
                         "1,5",
                         "9.000,5",
                         " 1",
                         "1 ",
                         "--1",
                         "-",
                         "1.2.3",
                         "1234567890123456789012345678901"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        CHECK(rr_decimal_ok(good[i]));
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        CHECK(!rr_decimal_ok(bad[i]));
    CHECK_EQ_INT(rr_decimal_cmp("4500", "5000"), -1);
    CHECK_EQ_INT(rr_decimal_cmp("5000", "4500"), 1);
    CHECK_EQ_INT(rr_decimal_cmp("10", "9.99"), 1);
    CHECK_EQ_INT(rr_decimal_cmp("0010.50", "10.5"), 0);
    CHECK_EQ_INT(rr_decimal_cmp("-1", "0"), -1);
    CHECK_EQ_INT(rr_decimal_cmp("-2", "-1.5"), -1);
    CHECK_EQ_INT(rr_decimal_cmp("-0", "0.000"), 0);
    CHECK_EQ_INT(rr_decimal_cmp("0.1", "0.10001"), -1);
}

TEST(vocabulary)
{
    CHECK(rr_task_status_ok("in_progress"));
    CHECK(!rr_task_status_ok("done"));
    CHECK(rr_decision_ok("return"));
    CHECK(!rr_decision_ok("reject"));
    CHECK(rr_sha256_hex_ok("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    CHECK(!rr_sha256_hex_ok("E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"));
    CHECK(rr_code_ok("III.4.a"));
    CHECK(!rr_code_ok("III 4"));
    CHECK(!rr_code_ok(""));
}

/* A valid report with two values, one attachment and one task. */
struct report {
    Tamnong__SubmitRequest r;
    Tamnong__IndicatorValue v[2];
    Tamnong__IndicatorValue *vp[2];
    Tamnong__AttachmentRef a;
    Tamnong__AttachmentRef *ap[1];
    Tamnong__ReportTask t;
    Tamnong__ReportTask *tp[1];
};

static void report_init(struct report *x)
{
    tamnong__submit_request__init(&x->r);
    x->r.request_uuid.data = uuid16;
    x->r.request_uuid.len = 16;
    x->r.period_code = (char *)"2025-six_month";
    for (int i = 0; i < 2; i++) {
        tamnong__indicator_value__init(&x->v[i]);
        x->vp[i] = &x->v[i];
    }
    x->v[0].key = (char *)"ocop_products";
    x->v[0].value = (char *)"12";
    x->v[1].key = (char *)"clean_water_share";
    x->v[1].numerator = (char *)"4500";
    x->v[1].denominator = (char *)"5000";
    x->r.n_values = 2;
    x->r.values = x->vp;
    tamnong__attachment_ref__init(&x->a);
    x->a.sha256 = (char *)"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    x->a.size = 10;
    x->a.name = (char *)"biên bản.pdf";
    x->ap[0] = &x->a;
    x->r.n_attachments = 1;
    x->r.attachments = x->ap;
    tamnong__report_task__init(&x->t);
    x->t.task_code = (char *)"III.1.c";
    x->t.status = (char *)"in_progress";
    x->t.progress = 40;
    x->tp[0] = &x->t;
    x->r.n_tasks = 1;
    x->r.tasks = x->tp;
    x->r.results = (char *)"Kết quả '); DROP TABLE submission; --";
}

static bool has_line(const struct rr_problems *p, const char *want)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->lines[i], want) == 0)
            return true;
    return false;
}

TEST(submit_valid)
{
    struct report x;
    report_init(&x);
    struct rr_problems p;
    rr_problems_init(&p);
    CHECK_EQ_INT(rr_check_submit(&x.r, &p), 0);
    rr_problems_free(&p);
}

TEST(submit_every_problem_named)
{
    struct report x;
    report_init(&x);
    static char big[RR_MAX_NARRATIVE + 2];
    memset(big, 'a', RR_MAX_NARRATIVE + 1);
    x.r.request_uuid.len = 15;
    x.r.difficulties = big;
    x.r.proposals = (char *)"\xc3\x28";
    x.v[0].value = (char *)"9.000,5";
    x.v[1].numerator = (char *)"5001";
    x.t.status = (char *)"done";
    x.t.progress = 101;
    x.a.sha256 = (char *)"abc";
    struct rr_problems p;
    rr_problems_init(&p);
    CHECK_EQ_INT(rr_check_submit(&x.r, &p), 8);
    CHECK(has_line(&p, "request_uuid: must be 16 bytes (got 15)"));
    CHECK(has_line(&p, "difficulties: longer than 20000 bytes (20001)"));
    CHECK(has_line(&p, "proposals: not valid UTF-8 text"));
    CHECK(has_line(&p, "values[1].numerator: must not exceed the denominator"));
    CHECK(has_line(&p, "tasks[0].progress: must be 0 to 100"));
    CHECK(has_line(&p, "attachments[0].sha256: must be 64 lower-case hex digits"));
    char buf[4096];
    rr_problems_join(&p, buf, sizeof buf);
    CHECK(strstr(buf, "values[0].value: not a number") != NULL);
    CHECK(strstr(buf, "tasks[0].status: must be one of") != NULL);
    rr_problems_join(&p, buf, 100);
    CHECK(strstr(buf, "more") != NULL);
    rr_problems_free(&p);
}

TEST(submit_shares_and_duplicates)
{
    struct report x;
    report_init(&x);
    struct rr_problems p;
    rr_problems_init(&p);
    x.v[1].denominator = (char *)"0";
    x.v[1].numerator = (char *)"0";
    rr_check_submit(&x.r, &p);
    CHECK(has_line(&p, "values[1].denominator: must be greater than 0"));
    rr_problems_free(&p);
    x.v[1].denominator = (char *)"";
    x.v[1].numerator = (char *)"-1";
    rr_check_submit(&x.r, &p);
    CHECK(has_line(&p, "values[1].numerator: must not be negative"));
    CHECK(has_line(&p, "values[1].denominator: required with a numerator"));
    rr_problems_free(&p);
    report_init(&x);
    x.v[1].key = (char *)"ocop_products";
    x.v[1].numerator = x.v[1].denominator = (char *)"";
    rr_check_submit(&x.r, &p);
    CHECK(has_line(&p, "values[1].key: ocop_products is already given in values[0]"));
    CHECK(
        has_line(&p, "values[1]: no number given; give one, or say in the note why there is none"));
    rr_problems_free(&p);
}

TEST(submit_against_plan)
{
    struct report x;
    report_init(&x);
    Tamnong__ReportIndicator i[3];
    Tamnong__ReportIndicator *ip[3] = {&i[0], &i[1], &i[2]};
    for (int k = 0; k < 3; k++)
        tamnong__report_indicator__init(&i[k]);
    i[0].key = (char *)"ocop_products";
    i[0].rule = (char *)"sum";
    i[0].unit = (char *)"sản phẩm";
    i[0].required = true;
    i[1].key = (char *)"clean_water_share";
    i[1].rule = (char *)"ratio";
    i[1].required = true;
    i[2].key = (char *)"afforestation_area";
    i[2].rule = (char *)"sum";
    i[2].required = true;
    struct rr_problems p;
    rr_problems_init(&p);
    CHECK_EQ_INT(rr_check_submit_against(&x.r, ip, 2, &p), 0);
    CHECK_EQ_INT(rr_check_submit_against(&x.r, ip, 3, &p), 1);
    CHECK(has_line(&p, "values: indicator afforestation_area is required"));
    rr_problems_free(&p);
    x.v[0].key = (char *)"clean_water_share";
    x.v[1].key = (char *)"ocop_products";
    rr_check_submit_against(&x.r, ip, 2, &p);
    CHECK(has_line(&p, "values[0]: clean_water_share is a share; give the numerator and the "
                       "denominator"));
    CHECK(has_line(&p, "values[1].value: required for ocop_products (sản phẩm)"));
    rr_problems_free(&p);
}

TEST(task_update_and_review)
{
    Tamnong__TaskUpdateRequest t = TAMNONG__TASK_UPDATE_REQUEST__INIT;
    char *ev[] = {(char *)"https://example.org/a.pdf", (char *)"ftp://x", (char *)"sha256:12"};
    t.request_uuid.data = uuid16;
    t.request_uuid.len = 16;
    t.task_code = (char *)"III.4.a";
    t.status = (char *)"completed";
    t.progress = 100;
    struct rr_problems p;
    rr_problems_init(&p);
    CHECK_EQ_INT(rr_check_task_update(&t, &p), 0);
    t.evidence = ev;
    t.n_evidence = 3;
    t.base_version = -1;
    CHECK_EQ_INT(rr_check_task_update(&t, &p), 3);
    CHECK(has_line(&p, "evidence[1]: must be an http(s) URL or sha256:<hex> of an uploaded file"));
    CHECK(has_line(&p, "evidence[2]: sha256: must be followed by 64 lower-case hex digits"));
    rr_problems_free(&p);

    Tamnong__ReviewRequest r = TAMNONG__REVIEW_REQUEST__INIT;
    r.request_uuid.data = uuid16;
    r.request_uuid.len = 16;
    r.submission_id = 7;
    r.decision = (char *)"return";
    CHECK_EQ_INT(rr_check_review(&r, &p), 1);
    CHECK(has_line(&p, "reason: required to return a report"));
    rr_problems_free(&p);
}

/* Pack x, then replace the first occurrence of `from` by `to` (same length). */
static size_t pack_patched(const struct report *x, uint8_t *out, const char *from, const char *to)
{
    size_t n = tamnong__submit_request__pack(&x->r, out);
    size_t k = strlen(from);
    for (size_t i = 0; i + k <= n; i++)
        if (memcmp(out + i, from, k) == 0) {
            memcpy(out + i, to, k);
            break;
        }
    return n;
}

TEST(raw_strings)
{
    struct report x;
    report_init(&x);
    x.v[1].note = (char *)"ghi-chu";
    x.t.note = (char *)"xong";
    uint8_t buf[1024];
    char field[96];
    size_t n = tamnong__submit_request__get_packed_size(&x.r);
    CHECK(n < sizeof buf);
    n = pack_patched(&x, buf, "", "");
    CHECK(pb_text_check(&tamnong__submit_request__descriptor, buf, n, field, sizeof field));
    n = pack_patched(&x, buf, "ghi-chu", "ghi\0chu");
    CHECK(!pb_text_check(&tamnong__submit_request__descriptor, buf, n, field, sizeof field));
    CHECK_EQ_STR(field, "values[1].note");
    n = pack_patched(&x, buf, "xong", "xo\xff\xfe");
    CHECK(!pb_text_check(&tamnong__submit_request__descriptor, buf, n, field, sizeof field));
    CHECK_EQ_STR(field, "tasks[0].note");
    n = pack_patched(&x, buf, "2025-six", "2025\0six");
    CHECK(!pb_text_check(&tamnong__submit_request__descriptor, buf, n, field, sizeof field));
    CHECK_EQ_STR(field, "period_code");
    /* bytes fields may hold anything */
    uint8_t zero[16] = {0};
    x.r.request_uuid.data = zero;
    n = pack_patched(&x, buf, "", "");
    CHECK(pb_text_check(&tamnong__submit_request__descriptor, buf, n, field, sizeof field));
    /* truncated input is left to the unpacker */
    CHECK(pb_text_check(&tamnong__submit_request__descriptor, buf, n / 2, field, sizeof field));
}

UNIT_MAIN(T(decimals), T(vocabulary), T(submit_valid), T(submit_every_problem_named),
          T(submit_shares_and_duplicates), T(submit_against_plan), T(task_update_and_review),
          T(raw_strings))
