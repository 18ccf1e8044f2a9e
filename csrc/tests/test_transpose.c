/* test_transpose.c - pn_copy_fast (row copies and blocked transposes) against a
 * plain element-by-element strided copy: permutations of 2-, 3- and 4-d arrays
 * with sizes that are not multiples of the blocks, elements of 1, 4 and 8
 * bytes, on one thread and split across the pool. */
#include "../kernels/threadpool.h"
#include "../kernels/transpose.h"
#include <stdlib.h>
#include <string.h>

#include "check.h"

/* Reference: dst (contiguous, shape permuted by perm) = src (contiguous, shape) viewed
 * through perm, one element at a time with an odometer. */
static void naive_permute(char *dst, const char *src, int nd, const int64_t *shape, const int *perm,
                          size_t E) {
    int64_t sstr[PN_MAX_DIMS], idx[PN_MAX_DIMS] = {0}, n = 1;
    for (int d = nd - 1; d >= 0; d--) {
        sstr[d] = n;
        n *= shape[d];
    }
    for (int64_t k = 0; k < n; k++) {
        int64_t off = 0;
        for (int d = 0; d < nd; d++) off += idx[d] * sstr[perm[d]];
        memcpy(dst + k * E, src + off * E, E);
        for (int d = nd - 1; d >= 0 && ++idx[d] == shape[perm[d]]; d--) idx[d] = 0;
    }
}

/* Copy through pn_copy_fast; returns 1 when it took a fast path and matched. */
static int fast_matches(int nd, const int64_t *shape, const int *perm, size_t E, int parallel,
                        int *took) {
    int64_t n = 1, oshape[PN_MAX_DIMS], sstr[PN_MAX_DIMS], st[2][PN_MAX_DIMS];
    for (int d = nd - 1; d >= 0; d--) {
        sstr[d] = n * (int64_t)E;
        n *= shape[d];
    }
    char *src = malloc(n * E), *want = malloc(n * E), *got = calloc(n, E);
    for (int64_t k = 0; k < n * (int64_t)E; k++) src[k] = (char)(k * 131 + (k >> 8) * 7);
    naive_permute(want, src, nd, shape, perm, E);
    int64_t o = (int64_t)E;
    for (int d = nd - 1; d >= 0; d--) { /* output strides: contiguous in permuted shape */
        oshape[d] = shape[perm[d]];
        st[0][d] = o;
        st[1][d] = sstr[perm[d]];
        o *= oshape[d];
    }
    pn_iter it;
    char *data[2] = {got, src};
    pn_iter_init(&it, 2, data, nd, oshape, (const int64_t (*)[PN_MAX_DIMS])st);
    *took = pn_copy_fast(&it, E, parallel);
    int ok = !*took || memcmp(got, want, n * E) == 0;
    free(src);
    free(want);
    free(got);
    return ok;
}

typedef struct {
    int nd;
    int64_t shape[4];
    int perm[4];
    int fast; /* expected to take a fast path */
} perm_case;

static void test_permutations(void) {
    static const perm_case cases[] = {
        {2, {37, 53}, {1, 0}, 1},              /* transpose, odd sizes */
        {2, {300, 301}, {1, 0}, 1},            /* large: several blocks, threaded */
        {2, {3, 100}, {1, 0}, 0},              /* too narrow to block: generic loop */
        {3, {5, 67, 33}, {0, 2, 1}, 1},        /* batched transpose */
        {3, {17, 9, 40}, {2, 0, 1}, 1},        /* a and b not adjacent */
        {4, {4, 130, 4, 33}, {0, 2, 1, 3}, 1}, /* (B,T,H,D) -> (B,H,T,D): rows as elements */
        {4, {4, 4, 130, 32}, {0, 2, 1, 3}, 1}, /* and back */
        {4, {6, 5, 7, 9}, {3, 1, 2, 0}, 1},
        {4, {2, 3, 4, 5}, {0, 1, 2, 3}, 0}, /* contiguous: left to the generic loop */
    };
    const size_t sizes[3] = {1, 4, 8};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
        for (int e = 0; e < 3; e++)
            for (int par = 0; par < 2; par++) {
                const perm_case *pc = &cases[c];
                int took = 0;
                int ok = fast_matches(pc->nd, pc->shape, pc->perm, sizes[e], par, &took);
                CHECK(ok, "case %zu, %zu-byte elements, parallel %d: values", c, sizes[e], par);
                CHECK(took == pc->fast, "case %zu: fast path taken %d, expected %d", c, took,
                      pc->fast);
            }
}

int main(void) {
    pn_set_num_threads(2);
    test_permutations();
    return CHECK_SUMMARY();
}
