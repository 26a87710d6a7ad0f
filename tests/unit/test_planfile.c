/* test_planfile: the plan file parser (common/planfile.c). Parses the Lạng Sơn
 * plan (deploy/plans/lang-son.plan) and checks its counts and spot facts
 * against the seed text; checks that the malformed samples in
 * tests/unit/data/ are refused with an error on the right line; and checks
 * the validation rules one by one on small in-memory files.
 * Run from the repository root. */
#include "planfile.h"
#include "unit.h"

#define LANG_SON "deploy/plans/lang-son.plan"
#define DATA     "tests/unit/data/"

static struct plan_date day(int y, int m, int d)
{
    struct plan_date x = {y, m, d};
    return x;
}

/* 1-based line of the nth (1-based) line of `path` containing `needle`; 0 if none. */
static int line_of(const char *path, const char *needle, int nth)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    char buf[4096];
    int line = 0, found = 0;
    while (fgets(buf, sizeof buf, f)) {
        line++;
        if (strstr(buf, needle) && ++found == nth) {
            fclose(f);
            return line;
        }
    }
    fclose(f);
    return 0;
}

static bool resolves_to(const struct plan *p, const char *ref, struct plan_date at,
                        const char *code)
{
    const struct plan_agency **v;
    size_t n = plan_resolve(p, ref, at, &v);
    bool found = false;
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i]->code, code) == 0)
            found = true;
    free(v);
    return found;
}

static size_t resolve_count(const struct plan *p, const char *ref, struct plan_date at)
{
    const struct plan_agency **v;
    size_t n = plan_resolve(p, ref, at, &v);
    free(v);
    return n;
}

static struct plan *lang_son;

static void dump_errors(const struct plan_errors *e)
{
    for (size_t i = 0; i < e->n; i++)
        fprintf(stderr, "  %s\n", e->v[i].msg);
}

TEST(lang_son_parses)
{
    struct plan_errors e;
    plan_errors_init(&e);
    int rc = planfile_parse(LANG_SON, &lang_son, &e);
    dump_errors(&e);
    CHECK_EQ_INT(rc, 0);
    CHECK_EQ_INT(e.n, 0);
    CHECK(lang_son != NULL);
    plan_errors_free(&e);
    /* the parser refuses a file whose counts differ from [declares] */
    CHECK_EQ_INT(lang_son->n_tasks, 39);
    CHECK_EQ_INT(lang_son->n_indicators, 45);
    CHECK_EQ_INT(lang_son->n_targets, 63);
    CHECK_EQ_STR(lang_son->meta.province, "Lạng Sơn");
    CHECK_EQ_STR(lang_son->meta.document_number, "176/KH-UBND");
    CHECK_EQ_STR(lang_son->meta.standing_agency, "SNNPTNT");
    CHECK_EQ_STR(lang_son->meta.time_zone, "Asia/Ho_Chi_Minh");
}

/* Every section of III has items a, b, c... in order, skipping f, with no gap;
 * the number of items per group is the seed's. */
TEST(lang_son_task_items_complete)
{
    CHECK(lang_son);
    static const struct {
        const char *section;
        int items;
    } groups[] = {{"III.1", 2},   {"III.2", 3}, {"III.3", 6}, {"III.4", 4},
                  {"III.5", 4},   {"III.6", 3}, {"III.7", 4}, {"III.8.1", 3},
                  {"III.8.2", 3}, {"III.9", 3}, {"III.10", 4}};
    static const char letters[] = "abcdeghiklmn";
    int total = 0;
    for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++) {
        CHECK(plan_find_section(lang_son, groups[g].section));
        for (int i = 0; i < groups[g].items + 1; i++) {
            char code[32];
            snprintf(code, sizeof code, "%s.%c", groups[g].section, letters[i]);
            const struct plan_task *t = plan_find_task(lang_son, code);
            if (i < groups[g].items) {
                if (!t)
                    fprintf(stderr, "missing task %s\n", code);
                CHECK(t);
                CHECK(t->title && t->text && t->lead);
                CHECK(strlen(t->text) > 100);
                total++;
            } else {
                CHECK(t == NULL);
            }
        }
    }
    CHECK_EQ_INT(total, (int)lang_son->n_tasks);
    CHECK(plan_find_section(lang_son, "III.8"));
}

TEST(lang_son_spot_checks)
{
    CHECK(lang_son);
    const struct plan_task *t = plan_find_task(lang_son, "III.5.b");
    CHECK(t);
    CHECK_EQ_STR(t->lead, "SCT");
    const struct plan_agency *sct = plan_find_agency(lang_son, t->lead);
    CHECK(sct);
    CHECK_EQ_STR(sct->name, "Sở Công Thương");
    CHECK(strncmp(t->text, "Sở Công Thương: chủ trì", strlen("Sở Công Thương: chủ trì")) == 0);

    const struct plan_target *ocop = plan_find_target(lang_son, "ocop_products", 2030, NULL);
    CHECK(ocop);
    CHECK_EQ_INT(ocop->comparator, PLAN_CMP_AT_LEAST);
    CHECK(ocop->value.set && ocop->value.value == 180);
    CHECK(strstr(ocop->wording, "180 sản phẩm OCOP"));

    const struct plan_target *ntm =
        plan_find_target(lang_son, "new_rural_commune_share", 2025, NULL);
    CHECK(ntm);
    CHECK(ntm->comparator == PLAN_CMP_EXACTLY || ntm->comparator == PLAN_CMP_ABOUT);
    CHECK_EQ_STR(ntm->value.text, "63.5");
    CHECK(strstr(ntm->wording, "63,5%"));
    const struct plan_indicator *ind = plan_find_indicator(lang_son, "new_rural_commune_share");
    CHECK(ind);
    CHECK_EQ_INT(ind->rule, PLAN_RULE_RATIO);
    CHECK(ind->numerator && ind->denominator);

    /* a few more comparators as the text words them */
    const struct plan_target *x = plan_find_target(lang_son, "agri_forestry_share", 2025, NULL);
    CHECK(x && x->comparator == PLAN_CMP_RANGE && x->low.value == 16 && x->high.value == 17);
    x = plan_find_target(lang_son, "grdp_agri_growth", 2025, NULL);
    CHECK(x && x->comparator == PLAN_CMP_ABOUT && x->strive && x->value.value == 3);
    x = plan_find_target(lang_son, "rural_income", 2030, NULL);
    CHECK(x && x->comparator == PLAN_CMP_MULTIPLE_OF_BASELINE && x->value.value == 2.5);
    x = plan_find_target(lang_son, "new_cooperatives", 2025, NULL);
    CHECK(x && x->comparator == PLAN_CMP_PER_YEAR && x->low.value == 15 && x->high.value == 20);
    x = plan_find_target(lang_son, "high_tech_agri_value_share", 2030, NULL);
    CHECK(x && x->comparator == PLAN_CMP_MORE_THAN && x->value.value == 15);
    x = plan_find_target(lang_son, "fish_cages", 2030, NULL);
    CHECK(x && x->comparator == PLAN_CMP_MORE_THAN && x->value.value == 1500);
    x = plan_find_target(lang_son, "afforestation_area", 2030, "III.4.b");
    CHECK(x && x->low.value == 9000 && x->high.value == 10000);

    /* every II.2 target appears for 2025 and 2030 except the advanced district one */
    size_t n2025 = 0, n2030 = 0;
    for (size_t i = 0; i < lang_son->n_targets; i++) {
        const struct plan_target *tg = &lang_son->targets[i];
        if (tg->source && strcmp(tg->source, "II.2.a") == 0)
            n2025++;
        if (tg->source && strcmp(tg->source, "II.2.b") == 0)
            n2030++;
    }
    CHECK_EQ_INT(n2025, 17);
    CHECK_EQ_INT(n2030, 18);
}

TEST(lang_son_agencies_and_reorganisations)
{
    CHECK(lang_son);
    static const char *const districts[] = {"UBND-TPLS",    "UBND-TRANGDINH", "UBND-VANLANG",
                                            "UBND-VANQUAN", "UBND-BINHGIA",   "UBND-BACSON",
                                            "UBND-HUULUNG", "UBND-CHILANG",   "UBND-CAOLOC",
                                            "UBND-LOCBINH", "UBND-DINHLAP"};
    for (size_t i = 0; i < 11; i++) {
        const struct plan_agency *a = plan_find_agency(lang_son, districts[i]);
        CHECK(a);
        CHECK_EQ_INT(a->kind, PLAN_AGENCY_DISTRICT);
        CHECK(plan_date_cmp(a->valid_to, day(2025, 6, 30)) == 0);
    }
    /* the 1 March 2025 mergers */
    static const struct {
        const char *from, *to;
    } merged[] = {{"SNNPTNT", "SNNMT"}, {"STNMT", "SNNMT"}, {"SKHDT", "STC"},
                  {"STTTT", "SKHCN"},   {"SLDTBXH", "SNV"}, {"BDT", "SDTTG"}};
    for (size_t i = 0; i < sizeof merged / sizeof merged[0]; i++) {
        bool found = false;
        for (size_t r = 0; r < lang_son->n_reorgs; r++) {
            const struct plan_reorg *ro = &lang_son->reorgs[r];
            bool has_from = false, has_to = false;
            for (size_t k = 0; k < ro->from.n; k++)
                has_from |= strcmp(ro->from.v[k], merged[i].from) == 0;
            for (size_t k = 0; k < ro->to.n; k++)
                has_to |= strcmp(ro->to.v[k], merged[i].to) == 0;
            if (has_from && has_to && plan_date_cmp(ro->effective, day(2025, 3, 1)) == 0)
                found = true;
        }
        if (!found)
            fprintf(stderr, "no reorganisation %s -> %s\n", merged[i].from, merged[i].to);
        CHECK(found);
        CHECK(!resolves_to(lang_son, merged[i].from, day(2025, 8, 1), merged[i].from) ||
              strcmp(merged[i].from, merged[i].to) == 0);
        CHECK(resolves_to(lang_son, merged[i].from, day(2025, 8, 1), merged[i].to));
    }
    /* tasks led by Sở NN&PTNT are led by Sở NN&MT after 1 March 2025 */
    const struct plan_task *t = plan_find_task(lang_son, "III.5.c");
    CHECK(t && strcmp(t->lead, "SNNPTNT") == 0);
    CHECK(resolves_to(lang_son, t->lead, day(2025, 2, 28), "SNNPTNT"));
    CHECK_EQ_INT(resolve_count(lang_son, t->lead, day(2025, 3, 1)), 1);
    CHECK(resolves_to(lang_son, t->lead, day(2025, 3, 1), "SNNMT"));
    /* the district level ends on 1 July 2025 */
    CHECK_EQ_INT(resolve_count(lang_son, "@districts", day(2025, 6, 30)), 11);
    CHECK_EQ_INT(resolve_count(lang_son, "@districts", day(2025, 8, 1)), 0);
    CHECK(resolves_to(lang_son, "@departments", day(2025, 8, 1), "SNNMT"));
    CHECK(!resolves_to(lang_son, "@departments", day(2025, 8, 1), "SNNPTNT"));
    CHECK(!resolves_to(lang_son, "@departments", day(2025, 8, 1), "SKHDT"));
    CHECK(resolves_to(lang_son, "@departments", day(2024, 1, 1), "SKHDT"));
    CHECK(!resolves_to(lang_son, "@departments", day(2024, 1, 1), "SNNMT"));
}

TEST(lang_son_periods)
{
    CHECK(lang_son);
    const struct plan_period_regime *six = NULL, *annual = NULL;
    for (size_t i = 0; i < lang_son->n_regimes; i++) {
        if (strcmp(lang_son->regimes[i].key, "six_month") == 0)
            six = &lang_son->regimes[i];
        if (strcmp(lang_son->regimes[i].key, "annual") == 0)
            annual = &lang_son->regimes[i];
    }
    CHECK(six && annual);
    struct plan_date ws, we, dl;
    CHECK_EQ_INT(plan_period_for(lang_son, six, 2025, &ws, &we, &dl), 0);
    CHECK(plan_date_cmp(ws, day(2024, 12, 15)) == 0);
    CHECK(plan_date_cmp(we, day(2025, 6, 14)) == 0);
    CHECK(plan_date_cmp(dl, day(2025, 6, 15)) == 0);
    CHECK_EQ_INT(plan_period_for(lang_son, annual, 2023, &ws, &we, &dl), 0);
    CHECK(plan_date_cmp(ws, day(2022, 12, 15)) == 0);
    CHECK(plan_date_cmp(we, day(2023, 12, 14)) == 0);
    CHECK(plan_date_cmp(dl, day(2023, 12, 15)) == 0);
    CHECK_EQ_INT(plan_period_for(lang_son, annual, 2031, &ws, &we, &dl), -1);
    CHECK_EQ_STR(six->time_zone, "Asia/Ho_Chi_Minh");
    plan_free(lang_son);
    lang_son = NULL;
}

/* The sample must be refused with exactly one error, on `line`, whose message
 * contains `words`. */
static int refused_at(const char *path, int line, const char *words)
{
    struct plan_errors e;
    plan_errors_init(&e);
    struct plan *p = (struct plan *)1;
    int rc = planfile_parse(path, &p, &e);
    int ok = rc == -1 && p == NULL && e.n == 1 && e.v[0].line == line && line > 0 &&
             strstr(e.v[0].msg, words) != NULL;
    if (!ok) {
        fprintf(stderr, "%s: rc %d, want one error at line %d with \"%s\", got:\n", path, rc, line,
                words);
        dump_errors(&e);
    }
    plan_errors_free(&e);
    return ok;
}

TEST(samples_valid_base)
{
    struct plan_errors e;
    plan_errors_init(&e);
    struct plan *p;
    int rc = planfile_parse(DATA "valid.plan", &p, &e);
    dump_errors(&e);
    CHECK_EQ_INT(rc, 0);
    CHECK_EQ_INT(p->n_tasks, 2);
    plan_free(p);
    plan_errors_free(&e);
}

TEST(sample_bad_utf8)
{
    int line = line_of(DATA "bad-utf8.plan", "MISTAKE: bad UTF-8", 1);
    CHECK(line > 0);
    CHECK(refused_at(DATA "bad-utf8.plan", line, "not valid UTF-8"));
}

TEST(sample_unknown_agency)
{
    int line = line_of(DATA "unknown-agency.plan", "lead = SXX", 1);
    CHECK(line > 0);
    CHECK(refused_at(DATA "unknown-agency.plan", line, "unknown agency \"SXX\""));
}

TEST(sample_duplicate_task)
{
    int line = line_of(DATA "duplicate-task.plan", "[task III.1.a]", 2);
    int first = line_of(DATA "duplicate-task.plan", "[task III.1.a]", 1);
    CHECK(line > 0 && first > 0);
    char words[64];
    snprintf(words, sizeof words, "first defined at line %d", first);
    CHECK(refused_at(DATA "duplicate-task.plan", line, "duplicate task \"III.1.a\""));
    CHECK(refused_at(DATA "duplicate-task.plan", line, words));
}

TEST(sample_target_without_comparator)
{
    int line = line_of(DATA "target-no-comparator.plan", "[target ocop_products 2030]", 1);
    CHECK(line > 0);
    CHECK(
        refused_at(DATA "target-no-comparator.plan", line, "missing required key \"comparator\""));
}

/* ---- rules on small in-memory files ---- */

static const char head[] = "[declares]\ntasks = 0\nindicators = 1\ntargets = 1\n"
                           "[plan]\nprovince = P\ntitle = T\nstanding_agency = A\nversion = 1\n"
                           "[agency A]\nkind = department\nname = Sở A\n"
                           "[indicator x]\nname = X\nunit = ha\nrule = sum\nreporters = A\n";

/* Parse head + tail; return the number of errors and copy the first into msg. */
static size_t parse_tail(const char *tail, int *line, char *msg, size_t msglen)
{
    size_t n = strlen(head) + strlen(tail);
    char *buf = malloc(n + 1);
    memcpy(buf, head, strlen(head));
    memcpy(buf + strlen(head), tail, strlen(tail) + 1);
    struct plan_errors e;
    plan_errors_init(&e);
    struct plan *p;
    int rc = planfile_parse_buffer("t.plan", buf, n, &p, &e);
    size_t ne = e.n;
    *line = ne ? e.v[0].line : 0;
    snprintf(msg, msglen, "%s", ne ? e.v[0].msg : "");
    if (rc == 0)
        plan_free(p);
    else if (p != NULL)
        ne = 999; /* must not hand out a plan on error */
    plan_errors_free(&e);
    free(buf);
    return ne;
}

#define HEAD_LINES 17

#define EXPECT_ONE(tail, want_line, words)                                                         \
    do {                                                                                           \
        int l_;                                                                                    \
        char m_[512];                                                                              \
        size_t n_ = parse_tail(tail, &l_, m_, sizeof m_);                                          \
        if (n_ != 1 || l_ != (want_line) || !strstr(m_, words))                                    \
            fprintf(stderr, "got %zu errors, first: %s\n", n_, m_);                                \
        CHECK_EQ_INT(n_, 1);                                                                       \
        CHECK_EQ_INT(l_, want_line);                                                               \
        CHECK(strstr(m_, words));                                                                  \
    } while (0)

TEST(rules_ok_tail)
{
    int l;
    char m[512];
    CHECK_EQ_INT(parse_tail("[target x 2030]\ncomparator = at_least\nvalue = 5\nwording = w\n", &l,
                            m, sizeof m),
                 0);
}

TEST(rules_numbers)
{
    EXPECT_ONE("[target x 2030]\ncomparator = exactly\nvalue = 63,5\nwording = w\n", HEAD_LINES + 3,
               "decimal separator");
    EXPECT_ONE("[target x 2030]\ncomparator = exactly\nvalue = 9.000\nwording = w\n",
               HEAD_LINES + 3, "thousands");
    EXPECT_ONE("[target x 2030]\ncomparator = exactly\nvalue = 1e5\nwording = w\n", HEAD_LINES + 3,
               "not a number");
    EXPECT_ONE("[target x 2030]\ncomparator = range\nlow = 20\nhigh = 15\nwording = w\n",
               HEAD_LINES + 3, "greater than");
    EXPECT_ONE("[target x 2030]\ncomparator = range\nlow = 20\nwording = w\n", HEAD_LINES + 1,
               "needs \"low\" and \"high\"");
    EXPECT_ONE("[target x 2030]\ncomparator = about\nwording = w\n", HEAD_LINES + 1,
               "needs \"value\"");
    EXPECT_ONE("[target x 2030]\ncomparator = roughly\nvalue = 1\nwording = w\n", HEAD_LINES + 2,
               "unknown value \"roughly\"");
    EXPECT_ONE("[target x 2030]\ncomparator = exactly\nvalue = 1\nper_year_bound = at_least\n"
               "wording = w\n",
               HEAD_LINES + 4, "only for comparator = per_year");
}

TEST(rules_dates_and_keys)
{
    EXPECT_ONE("[agency B]\nkind = district\nname = B\nvalid_to = 2025-02-30\n"
               "[target x 2030]\ncomparator = exactly\nvalue = 1\nwording = w\n",
               HEAD_LINES + 4, "not a valid date");
    EXPECT_ONE("[target x 2030]\ncomparator = exactly\nvalue = 1\nwording = w\ncolour = red\n",
               HEAD_LINES + 5, "unknown key \"colour\"");
    EXPECT_ONE("[target x 2030]\ncomparator = exactly\nvalue = 1\nvalue = 2\nwording = w\n",
               HEAD_LINES + 4, "given twice");
    EXPECT_ONE(
        "[target x 2030]\ncomparator = exactly\nvalue = 1\nwording = w\nnote = \"\"\"\nabc\n",
        HEAD_LINES + 5, "never closed");
    EXPECT_ONE("[target x 2030]\ncomparator = exactly\nvalue = 1\nwording = w\nno equals sign\n",
               HEAD_LINES + 5, "key = value");
    EXPECT_ONE("[target x 2030]\ncomparator = exactly\nvalue = 1\nwording = w\n[targets y]\n",
               HEAD_LINES + 5, "unknown block");
    EXPECT_ONE("[target x 2030]\ncomparator = exactly\nvalue = 1\nwording = w\n[target x 2025]\n"
               "comparator = exactly\nvalue = 1\nwording = w\n",
               4, "declares targets = 1 but the file has 2");
}

TEST(rules_references)
{
    EXPECT_ONE("[group @g]\nname = G\ninclude = @g\n"
               "[target x 2030]\ncomparator = exactly\nvalue = 1\nwording = w\n",
               HEAD_LINES + 3, "includes itself");
    /* B ends after the merger takes effect */
    EXPECT_ONE("[agency B]\nkind = department\nname = B\nvalid_to = 2025-03-01\n"
               "[agency C]\nkind = department\nname = C\nvalid_from = 2025-03-01\n"
               "[reorganisation m]\nkind = merger\neffective = 2025-03-01\nfrom = B, C\nto = C\n"
               "[target x 2030]\ncomparator = exactly\nvalue = 1\nwording = w\n",
               HEAD_LINES + 12, "still valid");
    EXPECT_ONE("[target y 2030]\ncomparator = exactly\nvalue = 1\nwording = w\n", HEAD_LINES + 1,
               "indicator y is not declared");
}

TEST(rules_bytes)
{
    /* a NUL byte, CRLF and a byte-order mark */
    static const char nul[] = "[declares]\ntasks = 0\nindicators = 0\ntargets = 0\n"
                              "# a\0b\n"
                              "[plan]\nprovince = P\ntitle = T\nstanding_agency = A\nversion = 1\n"
                              "[agency A]\nkind = department\nname = A\n";
    struct plan_errors e;
    plan_errors_init(&e);
    struct plan *p;
    CHECK_EQ_INT(planfile_parse_buffer("t.plan", nul, sizeof nul - 1, &p, &e), -1);
    CHECK_EQ_INT(e.n, 1);
    CHECK_EQ_INT(e.v[0].line, 5);
    CHECK(strstr(e.v[0].msg, "NUL"));
    plan_errors_free(&e);

    static const char crlf[] =
        "\xEF\xBB\xBF[declares]\r\ntasks = 0\r\nindicators = 0\r\ntargets = 0\r\n"
        "[plan]\r\nprovince = Lạng Sơn\r\ntitle = T\r\nstanding_agency = A\r\nversion = 1\r\n"
        "preamble = \"\"\"\r\nmột\r\nhai\r\n\r\nba\r\n\"\"\"\r\n"
        "[agency A]\r\nkind = department\r\nname = A\r\n";
    CHECK_EQ_INT(planfile_parse_buffer("t.plan", crlf, sizeof crlf - 1, &p, &e), 0);
    CHECK_EQ_STR(p->meta.province, "Lạng Sơn");
    CHECK_EQ_STR(p->meta.preamble, "một hai\nba");
    plan_free(p);
    plan_errors_free(&e);

    /* overlong encoding and a lone continuation byte */
    static const char *const bad[] = {"# \xC0\xAF\n", "# \x80\n", "# \xED\xA0\x80\n",
                                      "# \xF4\x90\x80\x80\n"};
    for (size_t i = 0; i < 4; i++) {
        CHECK_EQ_INT(planfile_parse_buffer("t.plan", bad[i], strlen(bad[i]), &p, &e), -1);
        CHECK(e.n >= 1 && e.v[0].line == 1 && strstr(e.v[0].msg, "UTF-8"));
        plan_errors_free(&e);
    }
}

TEST(errors_sorted_by_line)
{
    /* cross-reference errors come from a later pass but are reported in line order */
    static const char src[] = "[declares]\ntasks = 0\nindicators = 0\ntargets = 0\n"
                              "[plan]\nprovince = P\ntitle = T\nstanding_agency = NOPE\n"
                              "version = 1\n"
                              "[agency A]\nkind = planet\nname = A\n";
    struct plan_errors e;
    plan_errors_init(&e);
    struct plan *p;
    CHECK_EQ_INT(planfile_parse_buffer("t.plan", src, sizeof src - 1, &p, &e), -1);
    CHECK_EQ_INT(e.n, 2);
    CHECK_EQ_INT(e.v[0].line, 8);
    CHECK(strstr(e.v[0].msg, "t.plan:8: plan: standing_agency: unknown agency \"NOPE\""));
    CHECK_EQ_INT(e.v[1].line, 11);
    plan_errors_free(&e);
}

UNIT_MAIN(T(lang_son_parses), T(lang_son_task_items_complete), T(lang_son_spot_checks),
          T(lang_son_agencies_and_reorganisations), T(lang_son_periods), T(samples_valid_base),
          T(sample_bad_utf8), T(sample_unknown_agency), T(sample_duplicate_task),
          T(sample_target_without_comparator), T(rules_ok_tail), T(rules_numbers),
          T(rules_dates_and_keys), T(rules_references), T(rules_bytes), T(errors_sorted_by_line))
