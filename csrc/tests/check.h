/* check.h - the tiny test harness shared by the C unit tests.
 *
 * CHECK(cond, fmt, ...) counts a pass, or prints the file, line and message of
 * a failure and counts it; CHECK_SUMMARY() prints "N passed, M failed" (the
 * line CI reads) and evaluates to the program's exit status.
 */
#ifndef PN_TEST_CHECK_H
#define PN_TEST_CHECK_H
#include <stdio.h>

static int passed = 0, failed = 0;

#define CHECK(cond, ...) \
    do { \
        if (cond) { \
            passed++; \
        } else { \
            failed++; \
            printf("FAIL %s:%d: ", __FILE__, __LINE__); \
            printf(__VA_ARGS__); \
            printf("\n"); \
        } \
    } while (0)

#define CHECK_SUMMARY() (printf("%d passed, %d failed\n", passed, failed), failed != 0)

#endif
