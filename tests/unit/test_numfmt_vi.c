/* Unit tests of numfmt_vi: the Vietnamese way of writing numbers from the
 * server's decimal text, and its rounding rule (half away from zero). */
#include "numfmt_vi.h"
#include "unit.h"

static const char *fmt(const char *dec, int frac)
{
    static char buf[NUMFMT_VI_MAX];
    if (numfmt_vi(dec, frac, buf, sizeof buf) != 0)
        return "(error)";
    return buf;
}

TEST(zero)
{
    CHECK_EQ_STR(fmt("0", 2), "0");
    CHECK_EQ_STR(fmt("0.00", 2), "0");
    CHECK_EQ_STR(fmt("000", 2), "0");
    CHECK_EQ_STR(fmt("-0", 2), "0");
    CHECK_EQ_STR(fmt("-0.001", 2), "0"); /* rounds to zero: no "-0" */
}

TEST(thousands_and_decimals)
{
    CHECK_EQ_STR(fmt("1234.5", 2), "1.234,5");
    CHECK_EQ_STR(fmt("1234567", 2), "1.234.567");
    CHECK_EQ_STR(fmt("123", 2), "123");
    CHECK_EQ_STR(fmt("1000", 2), "1.000");
    CHECK_EQ_STR(fmt("999999.5", 0), "1.000.000");
    CHECK_EQ_STR(fmt("0.25", 2), "0,25");
    CHECK_EQ_STR(fmt("25.00", 2), "25");
    CHECK_EQ_STR(fmt("3.", 2), "3");
    CHECK_EQ_STR(fmt("0012.50", 2), "12,5");
    CHECK_EQ_STR(fmt("12345678901234567890.1", 2), "12.345.678.901.234.567.890,1");
}

TEST(negatives)
{
    CHECK_EQ_STR(fmt("-1234.5", 2), "-1.234,5");
    CHECK_EQ_STR(fmt("-5", 2), "-5");
    CHECK_EQ_STR(fmt("-0.125", 2), "-0,13");
}

TEST(rounding_half_away_from_zero)
{
    CHECK_EQ_STR(fmt("33.333333", 2), "33,33");
    CHECK_EQ_STR(fmt("66.666", 2), "66,67");
    CHECK_EQ_STR(fmt("0.125", 2), "0,13");
    CHECK_EQ_STR(fmt("0.124999", 2), "0,12");
    CHECK_EQ_STR(fmt("2.5", 0), "3");
    CHECK_EQ_STR(fmt("9.995", 2), "10");
    CHECK_EQ_STR(fmt("999.999", 2), "1.000");
    /* Text, not binary floating point: 1.005 is exactly 1.005 here. */
    CHECK_EQ_STR(fmt("1.005", 2), "1,01");
    CHECK_EQ_STR(fmt("0.1", 2), "0,1");
}

TEST(refused)
{
    char buf[NUMFMT_VI_MAX];
    const char *bad[] = {"", "-", ".5", "1e3", "1,5", "1.2.3", " 1", "1 ", "abc", "+1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_EQ_INT(numfmt_vi(bad[i], 2, buf, sizeof buf), -1);
        CHECK_EQ_STR(buf, "");
    }
    CHECK(!numfmt_vi_decimal_ok(NULL));
    CHECK(numfmt_vi_decimal_ok("-12.0"));
    /* Too small an output buffer. */
    char small[5];
    CHECK_EQ_INT(numfmt_vi("1234.5", 2, small, sizeof small), -1);
    CHECK_EQ_INT(numfmt_vi("1234", 2, small, sizeof small), -1);
    CHECK_EQ_INT(numfmt_vi("123", 2, small, sizeof small), 0);
    /* The fallback shows what the server sent. */
    CHECK_EQ_STR(numfmt_vi_text("n/a", 2, buf, sizeof buf), "n/a");
    CHECK_EQ_STR(numfmt_vi_text("1500", 2, buf, sizeof buf), "1.500");
}

UNIT_MAIN(T(zero), T(thousands_and_decimals), T(negatives), T(rounding_half_away_from_zero),
          T(refused))
