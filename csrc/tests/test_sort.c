/* test_sort.c - unit tests of the sequence kernels (sort.c, gather.c) without
 * Python: the row sort against a brute-force stable selection (NaN last,
 * ties in order, both directions, every dtype), cumsum/cumprod against running
 * loops (both directions, int64 wrap-around), the triangle mask, and gather /
 * scatter / scatter-add with their out-of-range index reports. */
#include "../kernels/sort.h"
#include "../kernels/gather.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

static unsigned seed = 7;
static int rnd(int m) {
    seed = seed * 1103515245u + 12345u;
    return (int)((seed >> 8) % (unsigned)m);
}

/* a before b ascending: smaller, or a number before NaN */
static int before(double a, double b) {
    return a < b || (!isnan(a) && isnan(b));
}

/* The stable order by repeated selection: the first not-yet-taken element that
 * nothing untaken comes before. */
static void brute_order(const double *x, int n, int desc, int64_t *out) {
    char taken[256] = {0};
    for (int k = 0; k < n; k++) {
        int best = -1;
        for (int i = 0; i < n; i++) {
            if (taken[i]) continue;
            if (best < 0 || (desc ? before(x[best], x[i]) : before(x[i], x[best]))) best = i;
        }
        taken[best] = 1;
        out[k] = best;
    }
}

static void test_sort_f64(void) {
    for (int trial = 0; trial < 200; trial++) {
        int n = 1 + rnd(100), desc = trial & 1;
        double x[256], vals[256];
        int64_t idx[256], want[256];
        for (int i = 0; i < n; i++) x[i] = rnd(10) == 0 ? NAN : (double)(rnd(7) - 3); /* ties */
        brute_order(x, n, desc, want);
        CHECK(pn_sort_rows(PN_FLOAT64, 1, n, x, vals, idx, desc) == PN_OK, "sort runs");
        int same = 1;
        for (int k = 0; k < n; k++) {
            same &= idx[k] == want[k];
            same &= (isnan(vals[k]) && isnan(x[want[k]])) || vals[k] == x[want[k]];
        }
        CHECK(same, "stable order with NaN largest, n=%d desc=%d", n, desc);
    }
}

static void test_sort_other_dtypes(void) {
    int64_t xi[5] = {INT64_MAX, -5, INT64_MIN, -5, 0}, idx[5];
    int64_t want_i[5] = {2, 1, 3, 4, 0};
    pn_sort_rows(PN_INT64, 1, 5, xi, NULL, idx, 0);
    CHECK(!memcmp(idx, want_i, sizeof idx), "int64 sort (extremes, ties in order)");
    uint8_t xb[6] = {1, 0, 1, 0, 0, 1}, vb[6];
    int64_t want_b[6] = {0, 2, 5, 1, 3, 4}, ib[6];
    pn_sort_rows(PN_BOOL, 1, 6, xb, vb, ib, 1);
    CHECK(!memcmp(ib, want_b, sizeof ib) && vb[0] == 1 && vb[5] == 0, "bool sort descending");
    float xf[2][3] = {{2, -1, NAN}, {0.5f, 0.5f, -0.5f}};
    int64_t iff[2][3], want_f[2][3] = {{1, 0, 2}, {2, 0, 1}};
    pn_sort_rows(PN_FLOAT32, 2, 3, xf, NULL, &iff[0][0], 0);
    CHECK(!memcmp(iff, want_f, sizeof iff), "float32 sorts each row on its own");
}

/* topk = the sorted row cut at k, in both regimes (buffer for k <= 32, full sort above). */
static void test_topk(void) {
    for (int trial = 0; trial < 120; trial++) {
        int n = 1 + rnd(120), k = rnd(n + 1), desc = trial & 1, rows = 1 + rnd(3);
        double x[3 * 128], v[3 * 128], sv[3 * 128];
        int64_t ix[3 * 128], si[3 * 128];
        for (int i = 0; i < rows * n; i++) x[i] = rnd(12) == 0 ? NAN : (double)(rnd(9) - 4);
        if (trial % 7 == 0)
            for (int i = 0; i < rows * n; i++) x[i] = i % n; /* sorted: worst case of the buffer */
        CHECK(pn_topk_rows(PN_FLOAT64, rows, n, k, x, v, ix, desc) == PN_OK, "topk runs");
        pn_sort_rows(PN_FLOAT64, rows, n, x, sv, si, desc);
        int same = 1;
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < k; j++) {
                same &= ix[r * k + j] == si[r * n + j];
                same &=
                    v[r * k + j] == sv[r * n + j] || (isnan(v[r * k + j]) && isnan(sv[r * n + j]));
            }
        CHECK(same, "topk is the sort cut at k: n=%d k=%d desc=%d", n, k, desc);
    }
    int64_t xi[4] = {5, 9, 9, 1}, vi[2], ii[2];
    pn_topk_rows(PN_INT64, 1, 4, 2, xi, vi, ii, 1);
    CHECK(ii[0] == 1 && ii[1] == 2 && vi[0] == 9, "int64 topk keeps tie order");
}

static void test_scan(void) {
    /* (outer 2, n 3, inner 2) */
    double x[12], ref[12];
    for (int k = 0; k < 12; k++) x[k] = ref[k] = rnd(9) - 4;
    pn_scan(PN_FLOAT64, PN_SCAN_SUM, 0, 2, 3, 2, x, x);
    int ok = 1;
    for (int o = 0; o < 2; o++)
        for (int j = 0; j < 2; j++) {
            double acc = 0;
            for (int i = 0; i < 3; i++) {
                acc += ref[(o * 3 + i) * 2 + j];
                ok &= x[(o * 3 + i) * 2 + j] == acc;
            }
        }
    CHECK(ok, "cumsum along the middle dim");
    double p[4] = {2, 3, 0, 5};
    pn_scan(PN_FLOAT64, PN_SCAN_PROD, 1, 1, 4, 1, p, p);
    CHECK(p[0] == 0 && p[1] == 0 && p[2] == 0 && p[3] == 5, "reverse cumprod");
    int64_t w[2] = {INT64_MAX, 1};
    pn_scan(PN_INT64, PN_SCAN_SUM, 0, 1, 2, 1, w, w);
    CHECK(w[1] == INT64_MIN, "int64 cumsum wraps around");
    float f[3] = {1e8f, 1, -1e8f};
    pn_scan(PN_FLOAT32, PN_SCAN_SUM, 0, 1, 3, 1, f, f);
    CHECK(f[2] == 1.0f, "float32 accumulates in double");
    CHECK(pn_scan(PN_BOOL, PN_SCAN_SUM, 0, 1, 1, 1, f, f) == PN_EINVAL, "bool is refused");
}

static void test_tri(void) {
    for (int lower = 0; lower < 2; lower++)
        for (int64_t k = -4; k <= 5; k++) {
            double a[2 * 3 * 4];
            for (int i = 0; i < 24; i++) a[i] = 1;
            pn_tri_zero(sizeof(double), 2, 3, 4, k, lower, a);
            int ok = 1;
            for (int b = 0; b < 2; b++)
                for (int i = 0; i < 3; i++)
                    for (int j = 0; j < 4; j++) {
                        int keep = lower ? j - i <= k : j - i >= k;
                        ok &= a[(b * 3 + i) * 4 + j] == (keep ? 1 : 0);
                    }
            CHECK(ok, "tri lower=%d k=%lld", lower, (long long)k);
        }
    double one = 1;
    pn_tri_zero(sizeof one, 1, 1, 1, INT64_MAX, 0, &one);
    CHECK(one == 0, "huge diagonal does not overflow");
}

static void test_gather_scatter(void) {
    /* a row of 4 doubles, indices 3 0 3 */
    double src[4] = {10, 11, 12, 13}, out[3];
    int64_t idx[3] = {3, 0, 3};
    int failed = 0;
    int64_t bad = 0;
    pn_gather_args a = {4, sizeof(double), &failed, &bad};
    char *p[3] = {(char *)out, (char *)idx, (char *)src};
    int64_t st[3] = {sizeof(double), sizeof(int64_t), 0};
    pn_gather_loop(PN_FLOAT64)(p, st, 3, &a);
    CHECK(!failed && out[0] == 13 && out[1] == 10 && out[2] == 13, "gather");
    double dst[4] = {0}, one[3] = {1, 2, 4};
    char *q[3] = {(char *)dst, (char *)idx, (char *)one};
    int64_t sq[3] = {0, sizeof(int64_t), sizeof(double)};
    pn_scatter_loop(PN_FLOAT64, 1)(q, sq, 3, &a);
    CHECK(dst[3] == 5 && dst[0] == 2, "scatter_add adds repeats");
    pn_scatter_loop(PN_FLOAT64, 0)(q, sq, 3, &a);
    CHECK(dst[3] == 4 && dst[0] == 2, "scatter keeps the last of repeats");
    int64_t wrong[2] = {1, -1};
    char *r[3] = {(char *)out, (char *)wrong, (char *)src};
    pn_gather_loop(PN_FLOAT64)(r, st, 2, &a);
    CHECK(failed && bad == -1 && out[0] == 11, "a negative index is reported, not followed");
}

int main(void) {
    test_sort_f64();
    test_sort_other_dtypes();
    test_topk();
    test_scan();
    test_tri();
    test_gather_scatter();
    return CHECK_SUMMARY();
}
