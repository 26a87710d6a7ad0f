/* Unit tests of the consolidated report's renderers (client/report_*.c) on a
 * model built here: sections present, user texts escaped (HTML, Markdown),
 * CSV with a BOM and RFC 4180 quoting that parses back to the same texts,
 * numbers the Vietnamese way. With TN_REPORT_FIXTURE_HTML=FILE the HTML of
 * the fixture is also written to FILE, for tests/integration/
 * test_report_chromium.sh to render with Chromium. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_model.h"
#include "report_render.h"
#include "report_words.h"
#include "unit.h"

/* ------------------------------------------------------------- fixture */

#define EVIL_NAME "Hợp tác xã <b>\"Đá\" & 'Núi'</b>"
#define DIFFICULTIES                                                                               \
    "Thiếu vốn, \"khó\" khăn\nDòng 2 <script>alert(1)</script>\n- không phải danh sách"
#define FORMULA "=HYPERLINK(\"http://x\")"

static Tamnong__PeriodInfo period = TAMNONG__PERIOD_INFO__INIT;
static Tamnong__AgencyRef a_snn = TAMNONG__AGENCY_REF__INIT, a_cl = TAMNONG__AGENCY_REF__INIT,
                          a_evil = TAMNONG__AGENCY_REF__INIT, a_ret = TAMNONG__AGENCY_REF__INIT;
static Tamnong__ReporterStatus rs[4] = {
    TAMNONG__REPORTER_STATUS__INIT, TAMNONG__REPORTER_STATUS__INIT, TAMNONG__REPORTER_STATUS__INIT,
    TAMNONG__REPORTER_STATUS__INIT};
static Tamnong__ReporterStatus *rsp[4];
static Tamnong__KindCount kc[3] = {TAMNONG__KIND_COUNT__INIT, TAMNONG__KIND_COUNT__INIT,
                                   TAMNONG__KIND_COUNT__INIT};
static Tamnong__KindCount *kcp[3];
static Tamnong__PeriodStatusResponse pstatus = TAMNONG__PERIOD_STATUS_RESPONSE__INIT;

static Tamnong__TaskInfo task[2] = {TAMNONG__TASK_INFO__INIT, TAMNONG__TASK_INFO__INIT};
static Tamnong__AgencyRef *leads0[1], *leads1[2];
static Tamnong__TaskBoardRow row[2] = {TAMNONG__TASK_BOARD_ROW__INIT,
                                       TAMNONG__TASK_BOARD_ROW__INIT};
static Tamnong__TaskBoardRow *rowp[2];
static Tamnong__TaskBoardResponse board = TAMNONG__TASK_BOARD_RESPONSE__INIT;

static Tamnong__IndicatorInfo ind[2] = {TAMNONG__INDICATOR_INFO__INIT,
                                        TAMNONG__INDICATOR_INFO__INIT};
static Tamnong__TargetInfo ti[3] = {TAMNONG__TARGET_INFO__INIT, TAMNONG__TARGET_INFO__INIT,
                                    TAMNONG__TARGET_INFO__INIT};
static Tamnong__TargetCheck tc[3] = {TAMNONG__TARGET_CHECK__INIT, TAMNONG__TARGET_CHECK__INIT,
                                     TAMNONG__TARGET_CHECK__INIT};
static Tamnong__TargetCheck *tcp0[2], *tcp1[1];
static Tamnong__AgencyFigure fig[3] = {TAMNONG__AGENCY_FIGURE__INIT, TAMNONG__AGENCY_FIGURE__INIT,
                                       TAMNONG__AGENCY_FIGURE__INIT};
static Tamnong__AgencyFigure *figp[3];
static Tamnong__AgencyRef *missing0[1];
static Tamnong__IndicatorProgress ip[2] = {TAMNONG__INDICATOR_PROGRESS__INIT,
                                           TAMNONG__INDICATOR_PROGRESS__INIT};
static Tamnong__IndicatorProgress *ipp[2];
static Tamnong__TargetProgressResponse progress = TAMNONG__TARGET_PROGRESS_RESPONSE__INIT;

static Tamnong__AgencyFeedback fb[2] = {TAMNONG__AGENCY_FEEDBACK__INIT,
                                        TAMNONG__AGENCY_FEEDBACK__INIT};
static Tamnong__AgencyFeedback *fbp[2];
static Tamnong__ReportFeedbackResponse feedback = TAMNONG__REPORT_FEEDBACK_RESPONSE__INIT;

static void agency(Tamnong__AgencyRef *a, const char *code, const char *name)
{
    a->code = (char *)code;
    a->name = (char *)name;
}

static void reporter(int i, Tamnong__AgencyRef *a, const char *kind, const char *st, bool on_time)
{
    rs[i].agency = a;
    rs[i].kind = (char *)kind;
    rs[i].status = (char *)st;
    rs[i].on_time = on_time;
    rs[i].revision = strcmp(st, "missing") ? 1 : 0;
    rs[i].received_at_ms = strcmp(st, "missing") ? 1749540000000LL : 0; /* 10/06/2025 14:20 */
    rsp[i] = &rs[i];
}

static void counts(int i, const char *kind, int e, int s, int ot, int late, int miss, int ret,
                   int acc)
{
    kc[i].kind = (char *)kind;
    kc[i].expected = e;
    kc[i].submitted = s;
    kc[i].on_time = ot;
    kc[i].late = late;
    kc[i].missing = miss;
    kc[i].returned = ret;
    kc[i].accepted = acc;
    kcp[i] = &kc[i];
}

static void target(int i, int year, const char *cmp, const char *value, const char *status)
{
    ti[i].year = year;
    ti[i].comparator = (char *)cmp;
    ti[i].value = (char *)value;
    ti[i].wording = (char *)"theo Kế hoạch";
    tc[i].target = &ti[i];
    tc[i].status = (char *)status;
    tc[i].expected_now = (char *)"51.75";
}

static void build(struct report_model *m)
{
    period.code = (char *)"2025-six_month";
    period.regime = (char *)"six_month";
    period.regime_name = (char *)"Báo cáo 6 tháng";
    period.year = 2025;
    period.window_start = (char *)"2024-12-15";
    period.window_end = (char *)"2025-06-14";
    period.deadline = (char *)"2025-06-15";

    agency(&a_snn, "SNNMT", "Sở Nông nghiệp và Môi trường");
    agency(&a_cl, "UBND-CAOLOC", "UBND huyện Cao Lộc");
    agency(&a_evil, "HTX", EVIL_NAME);
    agency(&a_ret, "UBND-A", "UBND huyện A");
    reporter(0, &a_snn, "department", "accepted", true);
    reporter(1, &a_cl, "district", "submitted", false);
    reporter(2, &a_evil, "district", "missing", false);
    reporter(3, &a_ret, "district", "returned", true);
    rs[3].review_reason = (char *)"Thiếu số liệu, cần bổ sung";
    counts(0, "", 4, 3, 2, 1, 1, 1, 1);
    counts(1, "department", 1, 1, 1, 0, 0, 0, 1);
    counts(2, "district", 3, 2, 1, 1, 1, 1, 0);
    pstatus.period = &period;
    pstatus.n_totals = 3;
    pstatus.totals = kcp;
    pstatus.n_reporters = 4;
    pstatus.reporters = rsp;

    leads0[0] = &a_snn;
    leads1[0] = &a_cl;
    leads1[1] = &a_evil;
    task[0].code = (char *)"III.10.a";
    task[0].section = (char *)"III.10";
    task[0].title = (char *)"Xây dựng nông thôn mới";
    task[0].n_lead = 1;
    task[0].lead = leads0;
    task[1].code = (char *)"III.2.b";
    task[1].section = (char *)"III.2";
    task[1].title = (char *)"Phát triển sản phẩm OCOP <mới>";
    task[1].n_lead = 2;
    task[1].lead = leads1;
    row[0].task = &task[0];
    row[0].status = (char *)"in_progress";
    row[0].progress = 40;
    row[0].deadline_state = (char *)"overdue";
    row[0].due_date = (char *)"2025-03-31";
    row[1].task = &task[1];
    row[1].status = (char *)"not_reported";
    row[1].deadline_state = (char *)"continuous";
    rowp[0] = &row[0];
    rowp[1] = &row[1];
    board.period = &period;
    board.n_rows = 2;
    board.rows = rowp;

    ind[0].key = (char *)"new_rural_commune_share";
    ind[0].name = (char *)"Tỷ lệ xã đạt chuẩn nông thôn mới";
    ind[0].unit = (char *)"%";
    ind[0].rule = (char *)"ratio";
    ind[0].baseline_year = 2020;
    ind[0].baseline = (char *)"40";
    target(0, 2025, "exactly", "63.5", "off_track");
    target(1, 2030, "exactly", "80", "off_track");
    tcp0[0] = &tc[0];
    tcp0[1] = &tc[1];
    ip[0].indicator = &ind[0];
    ip[0].value = (char *)"25";
    ip[0].numerator = (char *)"15";
    ip[0].denominator = (char *)"60";
    ip[0].status = (char *)"off_track";
    ip[0].n_targets = 2;
    ip[0].targets = tcp0;
    Tamnong__AgencyRef *who[3] = {&a_snn, &a_cl, &a_ret};
    const char *nums[3][3] = {{"50", "10", "20"}, {"50", "5", "10"}, {"0", "0", "30"}};
    for (int i = 0; i < 3; i++) {
        fig[i].agency = who[i];
        fig[i].value = (char *)nums[i][0];
        fig[i].numerator = (char *)nums[i][1];
        fig[i].denominator = (char *)nums[i][2];
        figp[i] = &fig[i];
    }
    fig[2].corrected = true;
    fig[2].frozen_value = (char *)"10";
    ip[0].n_breakdown = 3;
    ip[0].breakdown = figp;
    missing0[0] = &a_evil;
    ip[0].n_missing = 1;
    ip[0].missing = missing0;
    ip[0].frozen = true;
    ip[0].current_value = (char *)"26.6667";

    ind[1].key = (char *)"export_value";
    ind[1].name = (char *)"Kim ngạch xuất khẩu nông sản";
    ind[1].unit = (char *)"triệu USD";
    ind[1].rule = (char *)"sum";
    target(2, 2030, "at_least", "2000000", "on_track");
    tcp1[0] = &tc[2];
    ip[1].indicator = &ind[1];
    ip[1].value = (char *)"1234567.891";
    ip[1].status = (char *)"on_track";
    ip[1].n_targets = 1;
    ip[1].targets = tcp1;
    ipp[0] = &ip[0];
    ipp[1] = &ip[1];
    progress.period = &period;
    progress.closed = true;
    progress.closed_at_ms = 1750000000000LL;
    progress.n_indicators = 2;
    progress.indicators = ipp;

    fb[0].agency = &a_snn;
    fb[0].submission_id = 17;
    fb[0].revision = 2;
    fb[0].state = (char *)"accepted";
    fb[0].results = (char *)"Hoàn thành 1.250 ha";
    fb[0].difficulties = (char *)DIFFICULTIES;
    fb[0].recommendations = (char *)"Bổ sung kinh phí";
    fb[0].signer = (char *)"CN=Nguyễn Văn A";
    fb[1].agency = &a_cl;
    fb[1].submission_id = 18;
    fb[1].revision = 1;
    fb[1].state = (char *)"submitted";
    fb[1].proposals = (char *)FORMULA;
    fbp[0] = &fb[0];
    fbp[1] = &fb[1];
    feedback.period = &period;
    feedback.n_feedback = 2;
    feedback.feedback = fbp;

    memset(m, 0, sizeof *m);
    m->issuer = "Sở Nông nghiệp và Môi trường";
    m->issuer_code = "SNNMT";
    m->generated_at_ms = 1749600000000LL;
    m->status = &pstatus;
    m->board = &board;
    m->progress = &progress;
    m->feedback = &feedback;
}

static char *render(int (*fn)(const struct report_model *, FILE *))
{
    struct report_model m;
    build(&m);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    int rc = fn(&m, f);
    fclose(f);
    if (rc != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

#define CHECK_HAS(hay, needle)                                                                     \
    do {                                                                                           \
        if (!strstr((hay), (needle))) {                                                            \
            fprintf(stderr, "%s:%d: output lacks \"%s\"\n", __FILE__, __LINE__, (needle));         \
            unit_failures++;                                                                       \
            free(hay);                                                                             \
            return;                                                                                \
        }                                                                                          \
    } while (0)
#define CHECK_LACKS(hay, needle)                                                                   \
    do {                                                                                           \
        if (strstr((hay), (needle))) {                                                             \
            fprintf(stderr, "%s:%d: output has \"%s\"\n", __FILE__, __LINE__, (needle));           \
            unit_failures++;                                                                       \
            free(hay);                                                                             \
            return;                                                                                \
        }                                                                                          \
    } while (0)

/* ---------------------------------------------------------------- HTML */

TEST(html_document)
{
    char *h = render(report_render_html);
    CHECK(h);
    CHECK(strncmp(h, "<!DOCTYPE html>", 15) == 0);
    CHECK_HAS(h, "<meta charset=\"utf-8\">");
    CHECK_HAS(h, "<html lang=\"vi\">");
    CHECK_HAS(h, "@page { size: A4;");
    CHECK_HAS(h, "font-family: \"Times New Roman\", \"Liberation Serif\", Times, serif;");
    /* Self-contained: nothing loaded from elsewhere. */
    CHECK_LACKS(h, "<link");
    CHECK_LACKS(h, "src=");
    CHECK_LACKS(h, "@import");
    CHECK_LACKS(h, "url(");
    /* Sections. */
    CHECK_HAS(h, "Báo cáo 6 tháng năm 2025 (kỳ 2025-six_month)");
    CHECK_HAS(h, "I. Tình hình gửi báo cáo");
    CHECK_HAS(h, "Cơ quan chưa gửi báo cáo");
    CHECK_HAS(h, "Cơ quan gửi báo cáo muộn");
    CHECK_HAS(h, "II. Tiến độ thực hiện nhiệm vụ");
    CHECK_HAS(h, "III. Kết quả thực hiện các chỉ tiêu");
    CHECK_HAS(h, "V. Khó khăn, vướng mắc");
    CHECK_HAS(h, "VI. Kiến nghị");
    CHECK_HAS(h, "VII. Đề xuất điều chỉnh Kế hoạch");
    CHECK_HAS(h, "Phụ lục 2. Báo cáo đã ký số");
    CHECK_HAS(h, "Thiếu số liệu, cần bổ sung"); /* why returned */
    /* Charts: a bar per target (3) and the status grid, with text labels. */
    size_t bars = 0;
    for (const char *p = h; (p = strstr(p, "<svg class=\"bar\"")); p++)
        bars++;
    CHECK_EQ_INT(bars, 3);
    CHECK_HAS(h, "<svg class=\"grid\"");
    CHECK_HAS(h, ">Chấp nhận</text>");
    CHECK_HAS(h, ">Chưa gửi</text>");
    CHECK_HAS(h, ">Muộn</text>");
    free(h);
}

TEST(html_escapes_user_text)
{
    char *h = render(report_render_html);
    CHECK(h);
    CHECK_LACKS(h, "<script>");
    CHECK_LACKS(h, "<b>\"Đá\"");
    CHECK_LACKS(h, "<mới>");
    CHECK_HAS(h, "&lt;script&gt;alert(1)&lt;/script&gt;");
    CHECK_HAS(h, "Hợp tác xã &lt;b&gt;&quot;Đá&quot; &amp; &#39;Núi&#39;&lt;/b&gt;");
    CHECK_HAS(h, "Phát triển sản phẩm OCOP &lt;mới&gt;");
    CHECK_HAS(h, "Thiếu vốn, &quot;khó&quot; khăn\nDòng 2");
    free(h);
}

TEST(html_numbers_and_order)
{
    char *h = render(report_render_html);
    CHECK(h);
    CHECK_HAS(h, "1.234.567,89 triệu USD");
    CHECK_HAS(h, "≥ 2.000.000 triệu USD");
    CHECK_HAS(h, "Năm 2025: 63,5%");
    CHECK_HAS(h, "25%");
    CHECK_HAS(h, "sau điều chỉnh: 26,67%");
    CHECK_HAS(h, "10/20 = 50%");
    CHECK_HAS(h, "Điều chỉnh sau khi khoá kỳ; số liệu chốt: 10%");
    CHECK_HAS(h, "Người ký");
    CHECK_HAS(h, "<td>CN=Nguyễn Văn A</td>");
    CHECK_HAS(h, "<td>—</td>"); /* the unsigned one */
    /* Sections in natural order: III.2 before III.10. */
    const char *s2 = strstr(h, "<h3>Mục III.2</h3>"), *s10 = strstr(h, "<h3>Mục III.10</h3>");
    CHECK(s2 && s10 && s2 < s10);
    /* The overdue task is marked. */
    CHECK_HAS(h, "Quá hạn (31/03/2025)");
    free(h);
}

/* ------------------------------------------------------------ Markdown */

TEST(markdown)
{
    char *d = render(report_render_md);
    CHECK(d);
    CHECK_HAS(d, "# Báo cáo tổng hợp tình hình thực hiện Kế hoạch");
    CHECK_HAS(d, "## I. Tình hình gửi báo cáo");
    CHECK_HAS(d, "## II. Tiến độ thực hiện nhiệm vụ");
    CHECK_HAS(d, "### Mục III.2");
    CHECK_HAS(d, "## III. Kết quả thực hiện các chỉ tiêu");
    CHECK_HAS(d, "## V. Khó khăn, vướng mắc");
    CHECK_HAS(d, "## VII. Đề xuất điều chỉnh Kế hoạch");
    CHECK_HAS(d, "1.234.567,89 triệu USD");
    CHECK_HAS(d, "Năm 2025: 63,5%");
    /* No raw HTML from users, and table cells stay cells. */
    CHECK_LACKS(d, "<script>");
    CHECK_LACKS(d, "<b>");
    CHECK_HAS(d, "&lt;script&gt;");
    CHECK_HAS(d, "Hợp tác xã &lt;b&gt;\"Đá\" &amp; 'Núi'&lt;/b&gt;");
    /* A line of a report text that would start a list is defused. */
    CHECK_HAS(d, "\\\n\\- không phải danh sách");
    CHECK_HAS(d, "| CN=Nguyễn Văn A |");
    CHECK_HAS(d, "| — |");
    free(d);
}

/* ----------------------------------------------------------------- CSV */

/* Parse RFC 4180 text into records of fields (a small reader for the
 * test). Returns the number of records; fields[r][c] malloc'd. */
#define MAXREC 64
#define MAXFLD 16
static char *fields[MAXREC][MAXFLD];
static int nfields[MAXREC];

static int csv_parse(const char *s)
{
    int r = 0;
    memset(fields, 0, sizeof fields);
    memset(nfields, 0, sizeof nfields);
    while (*s && r < MAXREC) {
        int c = 0;
        for (;;) {
            char *buf = malloc(strlen(s) + 1);
            size_t o = 0;
            if (*s == '"') {
                for (s++; *s; s++) {
                    if (*s == '"' && s[1] == '"')
                        buf[o++] = *s++;
                    else if (*s == '"')
                        break;
                    else
                        buf[o++] = *s;
                }
                if (*s == '"')
                    s++;
            } else {
                while (*s && *s != ',' && *s != '\r' && *s != '\n')
                    buf[o++] = *s++;
            }
            buf[o] = '\0';
            if (c < MAXFLD)
                fields[r][c++] = buf;
            else
                free(buf);
            if (*s == ',') {
                s++;
                continue;
            }
            break;
        }
        nfields[r++] = c;
        if (s[0] == '\r' && s[1] == '\n')
            s += 2;
        else if (*s)
            return -1; /* a record must end with CRLF */
    }
    return r;
}

static void csv_free(void)
{
    for (int r = 0; r < MAXREC; r++)
        for (int c = 0; c < MAXFLD; c++)
            free(fields[r][c]);
}

/* The record whose first field is first, or -1. */
static int record(int n, const char *first)
{
    for (int r = 0; r < n; r++)
        if (nfields[r] > 0 && strcmp(fields[r][0], first) == 0)
            return r;
    return -1;
}

TEST(csv)
{
    char *c = render(report_render_csv);
    CHECK(c);
    CHECK(strncmp(c, "\xef\xbb\xbf", 3) == 0);
    /* Every line ends with CRLF: no bare LF outside quoted fields is checked
     * by the parser; quoted newlines stay. */
    CHECK_HAS(c, "\"Thiếu vốn, \"\"khó\"\" khăn\nDòng 2 <script>alert(1)</script>\n- không phải "
                 "danh sách\"");
    CHECK_HAS(c, "\"'=HYPERLINK(\"\"http://x\"\")\""); /* a formula is defused */
    CHECK_HAS(c, "\"1.234.567,89\"");
    int n = csv_parse(c + 3);
    if (n < 0)
        csv_free();
    CHECK(n > 0);
    int r = record(n, "SNNMT");
    int k = -1;
    /* The feedback row of SNNMT: code, name, id, revision, state, signer,
     * results, difficulties... (the reporters' table has SNNMT first too:
     * take the one with 10 fields). */
    for (int i = 0; i < n; i++)
        if (nfields[i] == 10 && strcmp(fields[i][0], "SNNMT") == 0)
            k = i;
    bool ok = r >= 0 && k >= 0 && strcmp(fields[k][1], "Sở Nông nghiệp và Môi trường") == 0 &&
              strcmp(fields[k][5], "CN=Nguyễn Văn A") == 0 &&
              strcmp(fields[k][7], DIFFICULTIES) == 0;
    int ti0 = record(n, "Bảng 4. Kết quả thực hiện các chỉ tiêu");
    bool blocks = ti0 >= 0 && record(n, "Bảng 1. Tình hình gửi báo cáo theo loại cơ quan") >= 0 &&
                  record(n, "Bảng 3. Tiến độ thực hiện nhiệm vụ") >= 0 &&
                  record(n, "Bảng 7. Nội dung báo cáo của các cơ quan") >= 0;
    /* The first indicator row: value 25, numerator 15, denominator 60. */
    bool figures = ti0 >= 0 && ti0 + 2 < n && nfields[ti0 + 2] == 13 &&
                   strcmp(fields[ti0 + 2][6], "25") == 0 && strcmp(fields[ti0 + 2][5], "40") == 0 &&
                   strcmp(fields[ti0 + 2][10], "26,67") == 0;
    int evil = record(n, "HTX");
    bool names = evil >= 0 && strcmp(fields[evil][1], EVIL_NAME) == 0;
    csv_free();
    free(c);
    CHECK(ok);
    CHECK(blocks);
    CHECK(figures);
    CHECK(names);
}

/* ------------------------------------------------------ target wording */

TEST(target_wording)
{
    char buf[256];
    Tamnong__TargetInfo t = TAMNONG__TARGET_INFO__INIT;
    t.comparator = (char *)"per_year"; /* "15 - 20 a year": bounds, no value */
    t.low = (char *)"15";
    t.high = (char *)"20";
    CHECK_EQ_STR(rw_target(&t, "hợp tác xã", buf, sizeof buf), "15–20 hợp tác xã/năm");
    t.comparator = (char *)"range";
    t.low = (char *)"16";
    t.high = (char *)"17.5";
    CHECK_EQ_STR(rw_target(&t, "%", buf, sizeof buf), "16–17,5%");
    Tamnong__TargetInfo u = TAMNONG__TARGET_INFO__INIT;
    u.comparator = (char *)"at_least";
    u.value = (char *)"1800";
    CHECK_EQ_STR(rw_target(&u, "sản phẩm", buf, sizeof buf), "≥ 1.800 sản phẩm");
    u.comparator = (char *)"multiple_of_baseline";
    u.value = (char *)"1.3";
    CHECK_EQ_STR(rw_target(&u, "triệu đồng", buf, sizeof buf), "gấp 1,3 lần năm gốc");
    u.comparator = (char *)"about";
    u.value = (char *)"";
    CHECK_EQ_STR(rw_target(&u, "%", buf, sizeof buf), "khoảng —");
}

/* ---------------------------------------------- the HTML for Chromium */

TEST(write_fixture_html)
{
    const char *path = getenv("TN_REPORT_FIXTURE_HTML");
    if (!path)
        return; /* only tests/integration/test_report_chromium.sh asks */
    struct report_model m;
    build(&m);
    FILE *f = fopen(path, "w");
    CHECK(f);
    CHECK_EQ_INT(report_render_html(&m, f), 0);
    CHECK_EQ_INT(fclose(f), 0);
}

UNIT_MAIN(T(html_document), T(html_escapes_user_text), T(html_numbers_and_order), T(markdown),
          T(csv), T(target_wording), T(write_fixture_html))
