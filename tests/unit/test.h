/*
 * A tiny test runner for unit tests: TEST(name) defines a case, CHECK*
 * macros record failures without stopping the case, and TEST_MAIN runs
 * every registered case and prints "N passed, N failed" (the line CI reads).
 */
#ifndef AXON_TEST_H
#define AXON_TEST_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*test_fn)(void);
struct test_case { const char *name; test_fn fn; };

static struct test_case test_cases[512];
static int test_count;
static int test_failed_checks;

#define TEST(tname)                                                          \
    static void test_##tname(void);                                          \
    __attribute__((constructor)) static void register_##tname(void)          \
    {                                                                        \
        test_cases[test_count].name = #tname;                                \
        test_cases[test_count++].fn = test_##tname;                          \
    }                                                                        \
    static void test_##tname(void)

#define CHECK(cond)                                                          \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "  %s:%d: CHECK(%s) failed\n", __FILE__,         \
                    __LINE__, #cond);                                        \
            test_failed_checks++;                                            \
        }                                                                    \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                   \
    do {                                                                     \
        long long va_ = (long long)(a), vb_ = (long long)(b);                \
        if (va_ != vb_) {                                                    \
            fprintf(stderr, "  %s:%d: %s == %s failed (%lld vs %lld)\n",     \
                    __FILE__, __LINE__, #a, #b, va_, vb_);                   \
            test_failed_checks++;                                            \
        }                                                                    \
    } while (0)

#define CHECK_NEAR(a, b, tol)                                                \
    do {                                                                     \
        double va_ = (double)(a), vb_ = (double)(b);                         \
        if (!(fabs(va_ - vb_) <= (tol))) {                                   \
            fprintf(stderr, "  %s:%d: %s ~= %s failed (%g vs %g)\n",         \
                    __FILE__, __LINE__, #a, #b, va_, vb_);                   \
            test_failed_checks++;                                            \
        }                                                                    \
    } while (0)

#define CHECK_STR(a, b)                                                      \
    do {                                                                     \
        const char *va_ = (a), *vb_ = (b);                                   \
        if (!va_ || !vb_ || strcmp(va_, vb_) != 0) {                         \
            fprintf(stderr, "  %s:%d: %s == \"%s\" failed (got \"%s\")\n",   \
                    __FILE__, __LINE__, #a, vb_ ? vb_ : "(null)",            \
                    va_ ? va_ : "(null)");                                   \
            test_failed_checks++;                                            \
        }                                                                    \
    } while (0)

#define TEST_MAIN()                                                          \
    int main(int argc, char **argv)                                          \
    {                                                                        \
        int passed = 0, failed = 0;                                          \
        for (int i = 0; i < test_count; i++) {                               \
            if (argc > 1 && !strstr(test_cases[i].name, argv[1]))            \
                continue;                                                    \
            int before = test_failed_checks;                                 \
            test_cases[i].fn();                                              \
            if (test_failed_checks == before) {                              \
                passed++;                                                    \
            } else {                                                         \
                failed++;                                                    \
                fprintf(stderr, "FAIL %s\n", test_cases[i].name);            \
            }                                                                \
        }                                                                    \
        printf("%d passed, %d failed\n", passed, failed);                    \
        return failed ? 1 : 0;                                               \
    }

#endif
