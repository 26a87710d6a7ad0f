/* unit.h: a tiny libuv-style unit test harness. Each test binary defines
 * TESTS(...) and gets a main() that runs them and prints a closing line.
 * Asserts print both operands. */
#ifndef TAMNONG_UNIT_H
#define TAMNONG_UNIT_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int unit_failures;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond);               \
            unit_failures++;                                                                       \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                                         \
    do {                                                                                           \
        long long a_ = (long long)(a), b_ = (long long)(b);                                        \
        if (a_ != b_) {                                                                            \
            fprintf(stderr, "%s:%d: %s == %s failed: %lld != %lld\n", __FILE__, __LINE__, #a, #b,  \
                    a_, b_);                                                                       \
            unit_failures++;                                                                       \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define CHECK_EQ_STR(a, b)                                                                         \
    do {                                                                                           \
        const char *a_ = (a), *b_ = (b);                                                           \
        if (!a_ || !b_ || strcmp(a_, b_) != 0) {                                                   \
            fprintf(stderr, "%s:%d: %s == %s failed: \"%s\" != \"%s\"\n", __FILE__, __LINE__, #a,  \
                    #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)");                                   \
            unit_failures++;                                                                       \
            return;                                                                                \
        }                                                                                          \
    } while (0)

struct unit_test {
    const char *name;
    void (*fn)(void);
};

#define TEST(name) static void name(void)
#define T(name)                                                                                    \
    {                                                                                              \
#name, name                                                                                \
    }

#define UNIT_MAIN(...)                                                                             \
    int main(void)                                                                                 \
    {                                                                                              \
        static const struct unit_test tests[] = {__VA_ARGS__};                                     \
        int passed = 0, failed = 0;                                                                \
        for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++) {                              \
            int before = unit_failures;                                                            \
            tests[i].fn();                                                                         \
            if (unit_failures == before) {                                                         \
                passed++;                                                                          \
                printf("ok   %s\n", tests[i].name);                                                \
            } else {                                                                               \
                failed++;                                                                          \
                printf("FAIL %s\n", tests[i].name);                                                \
            }                                                                                      \
        }                                                                                          \
        printf("%d passed, %d failed\n", passed, failed);                                          \
        return failed ? 1 : 0;                                                                     \
    }

#endif
