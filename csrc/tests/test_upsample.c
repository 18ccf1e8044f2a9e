/* test_upsample.c - unit tests of the resampling kernels (upsample.c) without Python:
 * nearest with an integer factor repeats each value, linear reproduces a ramp with
 * align_corners and keeps constants, out == in is the identity, the backward is the
 * adjoint of the forward (<U x, c> = <x, U^T c>) in every mode and dimension, the
 * result does not depend on the thread count, bad geometry is refused. Antialiased
 * bilinear: a 4 x 4 ramp to 2 x 2 by hand (windows of 3 with weights 3/7, 3/7, 1/7),
 * constants stay constant, the forward at 1 and 2 threads bit for bit. */
#include "../kernels/upsample.h"
#include "../kernels/threadpool.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

static double frand(unsigned *s) {
    *s = *s * 1103515245u + 12345u;
    return ((*s >> 8) & 0xffff) / 32768.0 - 1.0;
}

static int64_t numel(const int64_t *v, int nd, int64_t P) {
    for (int k = 0; k < nd; k++) P *= v[k];
    return P;
}

/* <U x, c> == <x, U^T c> for random x, c; and U^T at 1 and 2 threads bit for bit. */
static void check_adjoint(pn_upsample_geom g, unsigned seed) {
    int64_t nx = numel(g.in, g.nd, g.P), ny = numel(g.out, g.nd, g.P);
    double *x = malloc(sizeof(double) * nx), *y = malloc(sizeof(double) * ny);
    double *c = malloc(sizeof(double) * ny), *xt = malloc(sizeof(double) * nx);
    double *xt2 = malloc(sizeof(double) * nx);
    for (int64_t k = 0; k < nx; k++) x[k] = frand(&seed);
    for (int64_t k = 0; k < ny; k++) c[k] = frand(&seed);
    CHECK(pn_upsample(PN_FLOAT64, &g, x, y) == PN_OK, "forward runs");
    pn_set_num_threads(1);
    CHECK(pn_upsample_backward(PN_FLOAT64, &g, c, xt) == PN_OK, "backward runs");
    pn_set_num_threads(2);
    pn_upsample_backward(PN_FLOAT64, &g, c, xt2);
    double a = 0, b = 0;
    for (int64_t k = 0; k < ny; k++) a += y[k] * c[k];
    for (int64_t k = 0; k < nx; k++) b += x[k] * xt[k];
    CHECK(fabs(a - b) < 1e-10, "mode %d nd %d: backward is the adjoint (%g vs %g)", g.mode, g.nd, a,
          b);
    CHECK(memcmp(xt, xt2, sizeof(double) * nx) == 0, "backward independent of thread count");
    free(x), free(y), free(c), free(xt), free(xt2);
}

static void test_nearest_repeat(void) {
    /* 2 planes of 2 x 3, scale 3 x 2: y[p, i, j] = x[p, i / 3, j / 2] */
    pn_upsample_geom g = {2, 2, {2, 3}, {6, 6}, {3.0, 2.0}, PN_UPSAMPLE_NEAREST, 0};
    float x[12], y[72];
    for (int k = 0; k < 12; k++) x[k] = (float)k;
    CHECK(pn_upsample(PN_FLOAT32, &g, x, y) == PN_OK, "nearest runs");
    int ok = 1;
    for (int p = 0; p < 2; p++)
        for (int i = 0; i < 6; i++)
            for (int j = 0; j < 6; j++)
                ok &= y[(p * 6 + i) * 6 + j] == x[(p * 2 + i / 3) * 3 + j / 2];
    CHECK(ok, "nearest with integer factors repeats");
}

static void test_linear_ramp(void) {
    /* align_corners: a ramp 0..4 (5 points) resampled to 9 points is 0, 0.5, ..., 4 */
    pn_upsample_geom g = {1, 1, {5}, {9}, {0}, PN_UPSAMPLE_LINEAR, 1};
    double x[5] = {0, 1, 2, 3, 4}, y[9];
    pn_upsample(PN_FLOAT64, &g, x, y);
    int ok = 1;
    for (int k = 0; k < 9; k++) ok &= fabs(y[k] - 0.5 * k) < 1e-15;
    CHECK(ok, "linear align_corners reproduces a ramp");
    /* half-pixel: 2 -> 4 gives x0, x0 + (x1 - x0) / 4, x0 + 3 (x1 - x0) / 4, x1 */
    pn_upsample_geom h = {1, 1, {2}, {4}, {0}, PN_UPSAMPLE_LINEAR, 0};
    double u[2] = {1, 5}, v[4];
    pn_upsample(PN_FLOAT64, &h, u, v);
    CHECK(v[0] == 1 && v[1] == 2 && v[2] == 4 && v[3] == 5, "half-pixel edges clamp: %g %g %g %g",
          v[0], v[1], v[2], v[3]);
    /* bilinear of a constant is that constant, same size is the identity */
    pn_upsample_geom b = {1, 2, {3, 4}, {7, 5}, {0}, PN_UPSAMPLE_LINEAR, 0};
    float c[12], out[35];
    for (int k = 0; k < 12; k++) c[k] = 2.5f;
    pn_upsample(PN_FLOAT32, &b, c, out);
    ok = 1;
    for (int k = 0; k < 35; k++) ok &= out[k] == 2.5f;
    CHECK(ok, "bilinear keeps a constant");
    pn_upsample_geom id = {1, 2, {3, 4}, {3, 4}, {0}, PN_UPSAMPLE_LINEAR, 0};
    for (int k = 0; k < 12; k++) c[k] = (float)(k * k);
    pn_upsample(PN_FLOAT32, &id, c, out);
    CHECK(memcmp(c, out, sizeof c) == 0, "same size is the identity");
}

/* 4 x 4 -> 2 x 2 antialiased: scale 2, support 2; output 0 has centre 1 and window
 * [trunc(-0.5), trunc(3.5)) = [0, 3) with triangle weights 1 - |j + 0.5 - 1| / 2 = 3/4, 3/4,
 * 1/4, i.e. 3/7, 3/7, 1/7; output 1 (centre 3) reads [1, 4) with 1/7, 3/7, 3/7. For
 * x[h][w] = 4 h + w each pass gives 5/7 and 16/7 of the step: y = 4 (5/7, 16/7) + (5/7, 16/7). */
static void test_antialias_by_hand(void) {
    pn_upsample_geom g = {1, 2, {4, 4}, {2, 2}, {0}, PN_UPSAMPLE_LINEAR_AA, 0};
    double x[16], y[4], want[4] = {25 / 7.0, 36 / 7.0, 69 / 7.0, 80 / 7.0};
    for (int k = 0; k < 16; k++) x[k] = k;
    CHECK(pn_upsample(PN_FLOAT64, &g, x, y) == PN_OK, "antialiased runs");
    int ok = 1;
    for (int k = 0; k < 4; k++) ok &= fabs(y[k] - want[k]) < 1e-13;
    CHECK(ok, "antialiased 4x4 -> 2x2: %g %g %g %g", y[0], y[1], y[2], y[3]);
    /* a constant stays constant at any sizes (weights sum to 1, borders included) */
    pn_upsample_geom c = {3, 2, {13, 9}, {4, 11}, {0}, PN_UPSAMPLE_LINEAR_AA, 0};
    float cx[3 * 13 * 9], cy[3 * 4 * 11];
    for (int k = 0; k < 3 * 13 * 9; k++) cx[k] = 0.75f;
    pn_upsample(PN_FLOAT32, &c, cx, cy);
    ok = 1;
    for (int k = 0; k < 3 * 4 * 11; k++) ok &= fabsf(cy[k] - 0.75f) < 1e-6f;
    CHECK(ok, "antialiased keeps a constant");
    /* the forward at 1 and 2 threads, bit for bit */
    pn_upsample_geom t = {6, 2, {31, 17}, {7, 40}, {0}, PN_UPSAMPLE_LINEAR_AA, 0};
    unsigned seed = 9;
    double *tx = malloc(sizeof(double) * 6 * 31 * 17), *ty[2];
    for (int k = 0; k < 6 * 31 * 17; k++) tx[k] = frand(&seed);
    for (int n = 0; n < 2; n++) {
        ty[n] = malloc(sizeof(double) * 6 * 7 * 40);
        pn_set_num_threads(n + 1);
        pn_upsample(PN_FLOAT64, &t, tx, ty[n]);
    }
    CHECK(memcmp(ty[0], ty[1], sizeof(double) * 6 * 7 * 40) == 0,
          "antialiased forward independent of thread count");
    free(tx), free(ty[0]), free(ty[1]);
    pn_upsample_geom bad = {1, 3, {2, 2, 2}, {1, 1, 1}, {0}, PN_UPSAMPLE_LINEAR_AA, 0};
    CHECK(pn_upsample(PN_FLOAT64, &bad, x, y) == PN_EINVAL, "antialiased needs 2 dims");
    pn_upsample_geom wide = {1, 2, {1LL << 41, 1}, {1, 1}, {0}, PN_UPSAMPLE_LINEAR_AA, 0};
    CHECK(pn_upsample(PN_FLOAT64, &wide, x, y) == PN_EOVERFLOW, "a window too wide refused");
    pn_upsample_geom big = {1, 2, {1, 1}, {1LL << 40, 1LL << 40}, {0}, PN_UPSAMPLE_LINEAR_AA, 0};
    CHECK(pn_upsample(PN_FLOAT64, &big, x, y) == PN_EOVERFLOW, "antialiased: overflowing sizes");
}

int main(void) {
    test_nearest_repeat();
    test_linear_ramp();
    test_antialias_by_hand();
    check_adjoint((pn_upsample_geom){2, 2, {9, 6}, {4, 13}, {0}, PN_UPSAMPLE_LINEAR_AA, 0}, 5);
    check_adjoint((pn_upsample_geom){3, 2, {7, 8}, {7, 3}, {0.45, 0.4}, PN_UPSAMPLE_LINEAR_AA, 1},
                  6);
    check_adjoint((pn_upsample_geom){2, 2, {5, 11}, {5, 11}, {1.1, 1.0}, PN_UPSAMPLE_LINEAR_AA, 0},
                  7);
    check_adjoint((pn_upsample_geom){1, 2, {12, 1}, {1, 5}, {0}, PN_UPSAMPLE_LINEAR_AA, 0}, 8);
    for (int mode = 0; mode < 3; mode++) {
        check_adjoint((pn_upsample_geom){3, 1, {7}, {12}, {0}, mode, 0}, 1);
        check_adjoint((pn_upsample_geom){2, 2, {5, 6}, {3, 13}, {0}, mode, 0}, 2);
        check_adjoint((pn_upsample_geom){2, 2, {5, 6}, {8, 4}, {1.7, 0.6}, mode, 0}, 3);
        check_adjoint((pn_upsample_geom){2, 3, {3, 4, 5}, {5, 3, 9}, {0}, mode, mode == 2}, 4);
    }
    pn_upsample_geom bad = {1, 2, {0, 3}, {2, 2}, {0}, PN_UPSAMPLE_LINEAR, 0};
    double z[4];
    CHECK(pn_upsample(PN_FLOAT64, &bad, z, z) == PN_EINVAL, "empty input dim refused");
    bad.in[0] = 1, bad.nd = 4;
    CHECK(pn_upsample(PN_FLOAT64, &bad, z, z) == PN_EINVAL, "4 spatial dims refused");
    bad.nd = 2;
    CHECK(pn_upsample(PN_INT64, &bad, z, z) == PN_EINVAL, "integer dtype refused");
    pn_upsample_geom huge = {1, 3, {1, 1, 1}, {1LL << 40, 1LL << 40, 1LL << 40}, {0}, 0, 0};
    CHECK(pn_upsample(PN_FLOAT64, &huge, z, z) == PN_EOVERFLOW, "overflowing sizes refused");
    return CHECK_SUMMARY();
}
