/* test_kernels.c - unit tests of the kernel library without Python:
 * strided iteration, elementwise loops, casts, reductions, row kernels, RNG. */
#include "../kernels/elementwise.h"
#include "../kernels/random.h"
#include "../kernels/reduce.h"
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"

/* out[i][j] = a[i][j] + b[j] with a transposed in memory: exercises strides and broadcast. */
static void test_binary_broadcast_strided(void) {
    float a_mem[3 * 4], b[4], out[3 * 4];
    for (int k = 0; k < 12; k++) a_mem[k] = (float)k;
    for (int j = 0; j < 4; j++) b[j] = 100.0f * (float)j;
    /* a is the transpose of a 4x3 row-major matrix: a[i][j] = a_mem[j*3 + i] */
    int64_t shape[2] = {3, 4};
    int64_t st[3][PN_MAX_DIMS] = {{16, 4}, {4, 12}, {0, 4}};
    char *data[3] = {(char *)out, (char *)a_mem, (char *)b};
    pn_iter it;
    pn_iter_init(&it, 3, data, 2, shape, (const int64_t (*)[PN_MAX_DIMS])st);
    pn_iter_run(&it, pn_binary_loop(PN_ADD, PN_FLOAT32), NULL);
    int ok = 1;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 4; j++) ok &= out[i * 4 + j] == a_mem[j * 3 + i] + b[j];
    CHECK(ok, "strided broadcast add");
}

static void test_iter_merges_contiguous_dims(void) {
    int64_t shape[3] = {2, 3, 4};
    int64_t st[2][PN_MAX_DIMS] = {{48, 16, 4}, {48, 16, 4}};
    char buf[96];
    char *data[2] = {buf, buf};
    pn_iter it;
    pn_iter_init(&it, 2, data, 3, shape, (const int64_t (*)[PN_MAX_DIMS])st);
    CHECK(it.ndim == 1 && it.shape[0] == 24, "contiguous dims merge into one (got ndim %d)",
          it.ndim);
    /* a range that starts mid-row must visit exactly its elements */
    float x[24], y[24];
    for (int k = 0; k < 24; k++) x[k] = (float)k, y[k] = -1;
    /* shape (6, 4) laid out transposed: element (i, j) lives at memory index i + 4 j */
    int64_t st2[2][PN_MAX_DIMS] = {{4, 16}, {4, 16}};
    int64_t shape2[2] = {6, 4};
    char *d2[2] = {(char *)y, (char *)x};
    pn_iter_init(&it, 2, d2, 2, shape2, (const int64_t (*)[PN_MAX_DIMS])st2);
    pn_iter_run_range(&it, pn_unary_loop(PN_NEG, PN_FLOAT32), NULL, 5, 11);
    int ok = 1, touched[24] = {0};
    for (int f = 5; f < 11; f++) touched[(f / 4) + 4 * (f % 4)] = 1; /* flat f = (f/4, f%4) */
    for (int k = 0; k < 24; k++) ok &= y[k] == (touched[k] ? -x[k] : -1);
    CHECK(ok, "partial range visits exactly [5, 11)");
}

static void test_python_division_semantics(void) {
    int64_t a[4] = {7, -7, 7, -7}, b[4] = {2, 2, -2, -2}, q[4], r[4];
    int64_t shape[1] = {4};
    int64_t st[3][PN_MAX_DIMS] = {{8}, {8}, {8}};
    char *dq[3] = {(char *)q, (char *)a, (char *)b}, *dr[3] = {(char *)r, (char *)a, (char *)b};
    pn_iter it;
    pn_iter_init(&it, 3, dq, 1, shape, (const int64_t (*)[PN_MAX_DIMS])st);
    pn_iter_run(&it, pn_binary_loop(PN_FLOORDIV, PN_INT64), NULL);
    pn_iter_init(&it, 3, dr, 1, shape, (const int64_t (*)[PN_MAX_DIMS])st);
    pn_iter_run(&it, pn_binary_loop(PN_REM, PN_INT64), NULL);
    const int64_t eq[4] = {3, -4, -4, 3}, er[4] = {1, 1, -1, -1};
    int ok = 1;
    for (int k = 0; k < 4; k++) ok &= q[k] == eq[k] && r[k] == er[k] && q[k] * b[k] + r[k] == a[k];
    CHECK(ok, "floor division and remainder follow Python");
}

static void test_cast_nan_to_int(void) {
    double x[3] = {NAN, 1e300, -2.7};
    int64_t y[3];
    int64_t shape[1] = {3};
    int64_t st[2][PN_MAX_DIMS] = {{8}, {8}};
    char *d[2] = {(char *)y, (char *)x};
    pn_iter it;
    pn_iter_init(&it, 2, d, 1, shape, (const int64_t (*)[PN_MAX_DIMS])st);
    pn_iter_run(&it, pn_cast_loop(PN_INT64, PN_FLOAT64), NULL);
    CHECK(y[0] == INT64_MIN && y[1] == INT64_MIN && y[2] == -2, "cast of NaN/huge/-2.7 to int64");
}

/* Column sums of a 3x4 float32 matrix accumulate in float64. */
static void test_reduce_columns(void) {
    float a[12];
    for (int k = 0; k < 12; k++) a[k] = (float)(k + 1);
    double acc[4];
    char ident[8];
    pn_reduce_identity(PN_RSUM, PN_FLOAT64, ident);
    for (int j = 0; j < 4; j++) memcpy(&acc[j], ident, 8);
    int64_t shape[2] = {3, 4};
    int64_t st[2][PN_MAX_DIMS] = {{0, 8}, {16, 4}};
    char *d[2] = {(char *)acc, (char *)a};
    pn_iter it;
    pn_iter_init(&it, 2, d, 2, shape, (const int64_t (*)[PN_MAX_DIMS])st);
    pn_iter_run_range(&it, pn_reduce_loop(PN_RSUM, PN_FLOAT32), NULL, 0, it.numel);
    CHECK(acc[0] == 15 && acc[1] == 18 && acc[2] == 21 && acc[3] == 24, "column sums");
    CHECK(pn_reduce_acc_dtype(PN_RSUM, PN_FLOAT32) == PN_FLOAT64, "float32 sums in float64");
}

static void test_max_propagates_nan(void) {
    float a[4] = {1, NAN, 3, 2}, acc = -INFINITY;
    int64_t shape[1] = {4};
    int64_t st[2][PN_MAX_DIMS] = {{0}, {4}};
    char *d[2] = {(char *)&acc, (char *)a};
    pn_iter it;
    pn_iter_init(&it, 2, d, 1, shape, (const int64_t (*)[PN_MAX_DIMS])st);
    pn_iter_run_range(&it, pn_reduce_loop(PN_RMAX, PN_FLOAT32), NULL, 0, 4);
    CHECK(isnan(acc), "max with a NaN is NaN");
}

static void test_softmax_rows(void) {
    /* rows of huge logits must not overflow: softmax([1000, 1000]) = [0.5, 0.5] */
    double x[4] = {1000, 1000, -1000, 0}, y[4], ly[4];
    pn_row_args r = {2, 8, 8};
    int64_t shape[1] = {2};
    int64_t st[2][PN_MAX_DIMS] = {{16}, {16}};
    char *d[2] = {(char *)y, (char *)x};
    pn_iter it;
    pn_iter_init(&it, 2, d, 1, shape, (const int64_t (*)[PN_MAX_DIMS])st);
    pn_iter_run(&it, pn_softmax_loop(0, PN_FLOAT64), &r);
    CHECK(fabs(y[0] - 0.5) < 1e-15 && fabs(y[1] - 0.5) < 1e-15, "softmax of large equal logits");
    CHECK(fabs(y[2] - 0.0) < 1e-300 && fabs(y[3] - 1.0) < 1e-15, "softmax of far-apart logits");
    d[0] = (char *)ly;
    pn_iter_init(&it, 2, d, 1, shape, (const int64_t (*)[PN_MAX_DIMS])st);
    pn_iter_run(&it, pn_softmax_loop(1, PN_FLOAT64), &r);
    CHECK(fabs(ly[0] - log(0.5)) < 1e-12 && fabs(ly[2] + 1000) < 1e-9, "log-softmax stable");
}

/* Row `r` of a batch for test_softmax_short_rows, by pattern (r mod 10). */
static void short_row(float *x, int n, int r, uint64_t *seed) {
    for (int j = 0; j < n; j++) {
        *seed = *seed * 6364136223846793005ULL + 1442695040888963407ULL;
        double u = (double)(*seed >> 11) * 0x1p-53; /* [0, 1) */
        switch (r % 12) {
        case 0:
            x[j] = (float)(40 * u - 20);
            break; /* ordinary logits */
        case 1:
            x[j] = (float)(1e-3 * u);
            break; /* nearly equal */
        case 2:
            x[j] = (float)(-300 * u);
            break; /* exps that underflow */
        case 3:
            x[j] = j % 3 ? (float)(10 * u) : -INFINITY;
            break; /* some -inf */
        case 4:
            x[j] = j ? (float)(-60 - u) : 50.0f;
            break; /* one dominates */
        case 5:
            x[j] = j % 2 ? -0.0f : (j % 3 ? 0.0f : (float)-u);
            break; /* a zero max */
        case 6:
            x[j] = (float)((2 * u - 1) * 3.4e38);
            break; /* huge */
        case 7:
            x[j] = j == n / 2 ? NAN : (float)u;
            break; /* a NaN */
        case 8:
            x[j] = j == n - 1 ? INFINITY : (float)u;
            break; /* +inf */
        case 10:   /* one zero, the others' exps near underflow: log s rounds to 0 */
            x[j] = j == n / 3 ? (r % 24 < 12 ? 0.0f : -0.0f) : (float)(-100 - 10 * u);
            break;
        case 11: /* the max and a value whose exp rounds to 1 (two ones), the rest far below */
            x[j] = j == 0 ? 1.0f : j == n - 1 ? 0x1.fffffep-1f : (float)(-50 - u);
            break;
        default:
            x[j] = (float)(u * 1e-38);
            break; /* subnormal differences */
        }
    }
}

/* The rows of one kernel (pn_softmax_short_f32_kernel), or the dispatcher (k = NULL). */
static void softmax_short_rows_by(const char *name, pn_softmax_short_fn k) {
    enum { MAXR = 64, MAXN = 48 };
    static float x[MAXR * (MAXN + 3)], y[MAXR * (MAXN + 3)], want[MAXR * (MAXN + 3)];
    uint64_t seed = 1;
    int bad = 0, wrong_left = 0, taken = 0, split = 0, zero_max = 0, beyond = 0;
    for (int n = 1; n <= MAXN; n++)
        for (int rows = 4; rows <= MAXR; rows += rows < 12 ? 1 : 13)
            for (int log = 0; log < 2; log++) {
                /* rows apart by more than their length, or packed */
                const int ld = (rows + n) % 3 ? n + 3 : n;
                for (int r = 0; r < rows; r++) short_row(x + r * ld, n, r + n, &seed);
                memset(y, 0x7f, sizeof y);
                memset(want, 0x7f, sizeof want);
                pn_softmax_rows_ref_f32(x, ld, want, ld, rows, n, log);
                uint64_t left = k ? k(x, ld, y, ld, rows, n, log)
                                  : pn_softmax_short_f32(x, ld, y, ld, rows, n, log);
                for (int r = 0; r < rows; r++) {
                    int pat = (r + n) % 12, special = pat == 7 || pat == 8 || (pat == 3 && n == 1);
                    /* only a NaN, +inf, or all -inf (a row of 1 in pattern 3) */
                    wrong_left += (int)(left >> r & 1) != special;
                    if (left >> r & 1) continue;
                    taken++;
                    split += log && pat == 4 && n > 1; /* one value dominates */
                    zero_max += pat == 5;
                    bad += memcmp(y + r * ld, want + r * ld, (size_t)n * sizeof(float)) != 0;
                    for (int j = n; j < ld && r + 1 < rows; j++) /* the gaps stay untouched */
                        beyond += memcmp(y + r * ld + j, want + r * ld + j, sizeof(float)) != 0;
                }
                if (rows < 64) bad += (left >> rows) != 0;
            }
    CHECK(bad == 0 && beyond == 0,
          "short softmax rows (%s): %d rows differ from the row kernel's bits, %d gap values "
          "written",
          name, bad, beyond);
    if (k || pn_softmax_short_f32_ok())
        CHECK(wrong_left == 0 && taken > 15000 && split > 500 && zero_max > 1500,
              "%s takes every row but those with a NaN, +inf or all -inf (%d otherwise; %d taken, "
              "%d split "
              "log-softmax rows, %d with a zero max)",
              name, wrong_left, taken, split, zero_max);
    else
        CHECK(taken == 0, "without AVX-512 or AVX2 every row is left (%d taken)", taken);
}

static void test_softmax_short_rows(void) {
    /* softmax_short.c's kernels give the row kernel's bits for every row they do not
     * leave to it; rows with a NaN or +inf are left; without a kernel every row is */
    const char *names[] = {"avx512", "avx2"};
    for (int i = 0; i < 2; i++) {
        pn_softmax_short_fn k = pn_softmax_short_f32_kernel(names[i]);
        if (k)
            softmax_short_rows_by(names[i], k);
        else
            printf("short softmax rows: no %s kernel on this CPU\n", names[i]);
    }
    softmax_short_rows_by("dispatch", NULL);
    float x3[3 * 5] = {0}, y3[3 * 5];
    CHECK(pn_softmax_short_f32(x3, 5, y3, 5, 3, 5, 0) == 7, "fewer than 4 rows are all left");
    /* rows walked backwards (a negative step), as a flipped view would give */
    enum { NR = 11, NN = 21 };
    static float xn[NR * NN], yn[NR * NN], wn[NR * NN];
    uint64_t sd = 5;
    for (int r = 0; r < NR; r++) short_row(xn + r * NN, NN, r, &sd);
    int nbad = 0;
    for (int log = 0; log < 2; log++) {
        pn_softmax_rows_ref_f32(xn + (NR - 1) * NN, -NN, wn + (NR - 1) * NN, -NN, NR, NN, log);
        uint64_t left =
            pn_softmax_short_f32(xn + (NR - 1) * NN, -NN, yn + (NR - 1) * NN, -NN, NR, NN, log);
        for (int r = 0; r < NR; r++) /* call row r is memory row NR - 1 - r */
            if (!(left >> r & 1))
                nbad +=
                    memcmp(yn + (NR - 1 - r) * NN, wn + (NR - 1 - r) * NN, sizeof(float) * NN) != 0;
    }
    CHECK(nbad == 0, "short softmax rows with a negative step: %d rows differ", nbad);
    CHECK(!pn_softmax_short_f32_kernel("sse9"), "pn_softmax_short_f32_kernel's names");
}

static void test_argmax_first_of_ties(void) {
    float x[5] = {1, 5, 5, -1, 5};
    int64_t idx;
    float val;
    pn_row_args r = {5, 4, 0};
    int64_t shape[1] = {1};
    int64_t st[3][PN_MAX_DIMS] = {{8}, {4}, {20}};
    char *d[3] = {(char *)&idx, (char *)&val, (char *)x};
    pn_iter it;
    pn_iter_init(&it, 3, d, 1, shape, (const int64_t (*)[PN_MAX_DIMS])st);
    pn_iter_run(&it, pn_argreduce_loop(1, PN_FLOAT32), &r);
    CHECK(idx == 1 && val == 5, "argmax picks the first maximum (got %lld)", (long long)idx);
}

static void test_rng(void) {
    pn_rng g, h;
    pn_rng_seed(&g, 42);
    pn_rng_seed(&h, 42);
    int same = 1;
    for (int k = 0; k < 100; k++) same &= pn_rng_next(&g) == pn_rng_next(&h);
    CHECK(same, "same seed, same stream");
    enum { N = 200000 };
    static double v[N];
    pn_rng_fill_normal_f64(&g, v, N, 0.0, 1.0);
    double m = 0, s = 0;
    for (int k = 0; k < N; k++) m += v[k];
    m /= N;
    for (int k = 0; k < N; k++) s += (v[k] - m) * (v[k] - m);
    s = sqrt(s / N);
    /* standard error of the mean is 1/sqrt(N) ~ 0.0022: 5 sigma bounds */
    CHECK(fabs(m) < 0.012 && fabs(s - 1) < 0.01, "normal mean %g std %g", m, s);
    int64_t perm[1000];
    pn_rng_permutation(&g, perm, 1000);
    int seen[1000] = {0}, ok = 1;
    for (int k = 0; k < 1000; k++) ok &= perm[k] >= 0 && perm[k] < 1000 && !seen[perm[k]]++;
    CHECK(ok, "randperm is a permutation");
    int counts[7] = {0};
    for (int k = 0; k < 70000; k++) counts[pn_rng_below(&g, 7)]++;
    int fair = 1;
    for (int k = 0; k < 7; k++) fair &= counts[k] > 9500 && counts[k] < 10500;
    CHECK(fair, "pn_rng_below(7) is uniform");
}

int main(void) {
    test_binary_broadcast_strided();
    test_iter_merges_contiguous_dims();
    test_python_division_semantics();
    test_cast_nan_to_int();
    test_reduce_columns();
    test_max_propagates_nan();
    test_softmax_rows();
    test_softmax_short_rows();
    test_argmax_first_of_ties();
    test_rng();
    return CHECK_SUMMARY();
}
