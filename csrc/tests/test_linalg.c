/* test_linalg.c - the Jacobi sweeps of kernels/linalg.c: eigen- and singular value
 * decompositions reconstruct their matrix, with orthonormal vectors, in a few sweeps;
 * rank-deficient and zero matrices converge; a diagonal matrix needs no rotation. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../kernels/linalg.h"
#include "check.h"

#define NMAX 24

static double frand(uint64_t *s) { /* uniform in [-1, 1) from a 64-bit LCG */
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*s >> 11) / 4503599627370496.0 - 1.0;
}

static void identity(double *v, int64_t n) {
    memset(v, 0, sizeof(double) * (size_t)(n * n));
    for (int64_t i = 0; i < n; i++) v[i * n + i] = 1.0;
}

/* max |rows of x (k, len) orthonormal - I| */
static double orth_error(const double *x, int64_t k, int64_t len) {
    double worst = 0;
    for (int64_t i = 0; i < k; i++)
        for (int64_t j = 0; j < k; j++) {
            double d = 0;
            for (int64_t l = 0; l < len; l++) d += x[i * len + l] * x[j * len + l];
            worst = fmax(worst, fabs(d - (i == j)));
        }
    return worst;
}

static void test_eigh(int64_t n, uint64_t seed) {
    double a[NMAX * NMAX], a0[NMAX * NMAX], vt[NMAX * NMAX];
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j <= i; j++) a[i * n + j] = a[j * n + i] = frand(&seed);
    memcpy(a0, a, sizeof a);
    identity(vt, n);
    int sweeps = pn_jacobi_eigh_f64(a, vt, n, 60);
    CHECK(sweeps > 0 && sweeps < 15, "eigh n=%lld: %d sweeps", (long long)n, sweeps);
    double worst = 0; /* a0 = vt^T diag(a) vt */
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < n; j++) {
            double r = 0;
            for (int64_t k = 0; k < n; k++) r += vt[k * n + i] * a[k * n + k] * vt[k * n + j];
            worst = fmax(worst, fabs(r - a0[i * n + j]));
        }
    CHECK(worst < 1e-13, "eigh n=%lld reconstructs to %g", (long long)n, worst);
    CHECK(orth_error(vt, n, n) < 1e-13, "eigh n=%lld vectors orthonormal", (long long)n);
}

static void test_svd(int64_t n, int64_t m, int rank, uint64_t seed) {
    double ut[NMAX * NMAX], a0[NMAX * NMAX], vt[NMAX * NMAX];
    for (int64_t j = 0; j < n; j++) /* column j of a is row j of ut; the last n - rank
                                     * columns are sums of earlier ones */
        for (int64_t k = 0; k < m; k++)
            ut[j * m + k] = j < rank ? frand(&seed) : ut[(j - rank) * m + k] + ut[k];
    memcpy(a0, ut, sizeof ut);
    identity(vt, n);
    int sweeps = pn_jacobi_svd_f64(ut, vt, n, m, 60);
    CHECK(sweeps > 0 && sweeps < 20, "svd %lldx%lld rank %d: %d sweeps", (long long)m, (long long)n,
          rank, sweeps);
    double worst = 0; /* a0 = (ut^T vt): column j of a0 = sum_k vt[k][j] row k of ut */
    for (int64_t j = 0; j < n; j++)
        for (int64_t l = 0; l < m; l++) {
            double r = 0;
            for (int64_t k = 0; k < n; k++) r += vt[k * n + j] * ut[k * m + l];
            worst = fmax(worst, fabs(r - a0[j * m + l]));
        }
    CHECK(worst < 1e-13, "svd reconstructs to %g", worst);
    CHECK(orth_error(vt, n, n) < 1e-13, "svd right vectors orthonormal");
    int zeros = 0; /* the rows of ut are mutually orthogonal; rank-deficient ones are 0 */
    for (int64_t i = 0; i < n; i++) {
        double nn = 0;
        for (int64_t l = 0; l < m; l++) nn += ut[i * m + l] * ut[i * m + l];
        zeros += nn == 0.0;
        for (int64_t j = i + 1; j < n; j++) {
            double d = 0, mm = 0;
            for (int64_t l = 0; l < m; l++) d += ut[i * m + l] * ut[j * m + l];
            for (int64_t l = 0; l < m; l++) mm += ut[j * m + l] * ut[j * m + l];
            CHECK(fabs(d) <= 1e-14 * sqrt(nn * mm) + 1e-300, "svd rows %lld, %lld orthogonal",
                  (long long)i, (long long)j);
        }
    }
    CHECK(zeros == n - rank, "svd rank %d: %d zero columns", rank, zeros);
}

static void test_trivial(void) {
    double a[9] = {3, 0, 0, 0, -1, 0, 0, 0, 2}, vt[9];
    identity(vt, 3);
    CHECK(pn_jacobi_eigh_f64(a, vt, 3, 60) == 1, "a diagonal matrix takes one sweep");
    CHECK(a[0] == 3 && a[4] == -1 && a[8] == 2 && vt[0] == 1 && vt[4] == 1,
          "and is left as it was");
    double z[6] = {0}, w[4];
    identity(w, 2);
    CHECK(pn_jacobi_svd_f64(z, w, 2, 3, 60) == 1, "a zero matrix takes one sweep");
}

int main(void) {
    for (int64_t n = 1; n <= NMAX; n += 5) test_eigh(n, 7 + (uint64_t)n);
    test_svd(3, 5, 3, 11);
    test_svd(6, 6, 4, 12);
    test_svd(10, 20, 7, 13);
    test_svd(NMAX, NMAX, NMAX, 14);
    test_trivial();
    return CHECK_SUMMARY();
}
