/* linalg.c - the Jacobi sweeps of pynet.linalg's eigh and svd (see linalg.h). */
#include "linalg.h"
#include <float.h>
#include <math.h>

/* The rotation that zeroes the off-diagonal g of the symmetric 2x2 [[a, g], [g, b]]:
 *   theta = (b - a) / (2 g),  t = sign(theta) / (|theta| + sqrt(theta^2 + 1)),
 *   c = 1 / sqrt(t^2 + 1),  s = t c,
 * the smaller of the two angles (|t| <= 1), which keeps the rotation close to the
 * identity and the sweeps convergent. Where theta^2 would overflow, t = 1 / (2 theta).
 * Returns t (the diagonal then moves by -t g and +t g). */
static double jacobi_rotation(double a, double b, double g, double *c, double *s) {
    double th = (b - a) / (2.0 * g), ath = fabs(th);
    double t = 1.0 / (ath + (ath > 1e150 ? ath : sqrt(th * th + 1.0)));
    t = th >= 0 ? t : -t;
    *c = 1.0 / sqrt(t * t + 1.0);
    *s = t * *c;
    return t;
}

/* Rows x and y (n values each) <- (c x - s y, s x + c y). */
static void rotate_rows(double *restrict x, double *restrict y, int64_t n, double c, double s) {
    for (int64_t k = 0; k < n; k++) {
        double xk = x[k], yk = y[k];
        x[k] = c * xk - s * yk;
        y[k] = s * xk + c * yk;
    }
}

// a (n, n) symmetric, vt (n, n): one rotation of the pair (p, q), A <- J^T A J, V <- V J
static void eigh_rotate(double *a, double *vt, int64_t n, int64_t p, int64_t q) {
    double app = a[p * n + p], aqq = a[q * n + q], apq = a[p * n + q], c, s;
    double t = jacobi_rotation(app, aqq, apq, &c, &s);
    rotate_rows(a + p * n, a + q * n, n, c, s); /* J^T A: rows p and q */
    /* then A J on the columns: by symmetry, column p (q) off the 2x2 block is the new
     * row p (q); the block itself by the closed form, which zeroes a_pq exactly */
    for (int64_t k = 0; k < n; k++) {
        a[k * n + p] = a[p * n + k];
        a[k * n + q] = a[q * n + k];
    }
    a[p * n + p] = app - t * apq;
    a[q * n + q] = aqq + t * apq;
    a[p * n + q] = a[q * n + p] = 0.0;
    rotate_rows(vt + p * n, vt + q * n, n, c, s); /* V J: vt holds V's columns as rows */
}

int pn_jacobi_eigh_f64(double *a, double *vt, int64_t n, int max_sweeps) {
    for (int sweep = 0; sweep < max_sweeps; sweep++) {
        int rotated = 0;
        for (int64_t p = 0; p + 1 < n; p++)
            for (int64_t q = p + 1; q < n; q++) {
                double apq = a[p * n + q];
                /* negligible beside its diagonal: the eigenvalues keep high relative
                 * accuracy (NaN compares false: a NaN matrix stops after one sweep) */
                if (!(fabs(apq) > DBL_EPSILON * sqrt(fabs(a[p * n + p] * a[q * n + q])))) continue;
                eigh_rotate(a, vt, n, p, q);
                rotated = 1;
            }
        if (!rotated) return sweep + 1;
    }
    return -1;
}

/* The squared norms of x and y and their inner product, in four partial sums each
 * (a fixed order, so the same bits every run; the compiler can keep them in lanes). */
static void gram2(const double *x, const double *y, int64_t m, double *xx, double *yy, double *xy) {
    double sxx[4] = {0}, syy[4] = {0}, sxy[4] = {0};
    int64_t k = 0;
    for (; k + 4 <= m; k += 4)
        for (int l = 0; l < 4; l++) {
            sxx[l] += x[k + l] * x[k + l];
            syy[l] += y[k + l] * y[k + l];
            sxy[l] += x[k + l] * y[k + l];
        }
    for (; k < m; k++) sxx[0] += x[k] * x[k], syy[0] += y[k] * y[k], sxy[0] += x[k] * y[k];
    *xx = (sxx[0] + sxx[2]) + (sxx[1] + sxx[3]);
    *yy = (syy[0] + syy[2]) + (syy[1] + syy[3]);
    *xy = (sxy[0] + sxy[2]) + (sxy[1] + sxy[3]);
}

/* A column whose squared norm is at most this (eps |a|_F)^2 is numerically zero: its
 * singular value is below what any backward-stable SVD resolves, and rotating it against
 * the others would only shrink it geometrically, sweep after sweep, towards underflow
 * (a rank-deficient matrix never met the relative test below). */
static double null_column_sq(const double *ut, int64_t n, int64_t m) {
    double f = 0.0;
    for (int64_t i = 0; i < n * m; i++) f += ut[i] * ut[i];
    return DBL_EPSILON * DBL_EPSILON * f;
}

static void zero_if(double *x, int64_t m, int cond) {
    if (cond)
        for (int64_t k = 0; k < m; k++) x[k] = 0.0;
}

int pn_jacobi_svd_f64(double *ut, double *vt, int64_t n, int64_t m, int max_sweeps) {
    const double tiny = null_column_sq(ut, n, m); /* rotations keep |a|_F */
    for (int sweep = 0; sweep < max_sweeps; sweep++) {
        int rotated = 0;
        for (int64_t p = 0; p + 1 < n; p++)
            for (int64_t q = p + 1; q < n; q++) {
                double al, be, ga, c, s;
                gram2(ut + p * m, ut + q * m, m, &al, &be, &ga);
                if (al <= tiny || be <= tiny) {
                    /* made exactly zero: a singular value 0, whose vector the caller
                     * completes (and the pair needs no rotation) */
                    zero_if(ut + p * m, m, al <= tiny);
                    zero_if(ut + q * m, m, be <= tiny);
                    continue;
                }
                /* columns p and q of a are orthogonal enough (NaN compares false) */
                if (!(fabs(ga) > DBL_EPSILON * sqrt(al * be))) continue;
                jacobi_rotation(al, be, ga, &c, &s);
                rotate_rows(ut + p * m, ut + q * m, m, c, s);
                rotate_rows(vt + p * n, vt + q * n, n, c, s);
                rotated = 1;
            }
        if (!rotated) return sweep + 1;
    }
    return -1;
}
