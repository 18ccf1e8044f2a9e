/* test_nn.c - unit tests of the layer kernels (nn.c) without Python:
 * derivatives against finite differences, normalisation invariants, the
 * dropout mask, embedding gather/scatter. */
#include "../kernels/elementwise.h"
#include "../kernels/nn.h"
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "check.h"

static int near(double a, double b, double tol) {
    return fabs(a - b) <= tol * (1 + fabs(b));
}

/* f' and f'' of every activation against central differences of f and f'. */
static void test_activation_derivatives(void) {
    static const char *names[PN_NACT] = {"leaky_relu", "elu",       "gelu",       "gelu_tanh",
                                         "softplus",   "hardtanh",  "silu",       "logsigmoid",
                                         "mish",       "selu",      "celu",       "hardsigmoid",
                                         "hardswish",  "threshold", "hardshrink", "softshrink"};
    pn_act_args args[PN_NACT] = {
        {PN_ACT_LEAKY_RELU, 0.1, 0}, {PN_ACT_ELU, 0.7, 0},        {PN_ACT_GELU, 0, 0},
        {PN_ACT_GELU_TANH, 0, 0},    {PN_ACT_SOFTPLUS, 2.0, 3},   {PN_ACT_HARDTANH, -0.5, 1.5},
        {PN_ACT_SILU, 0, 0},         {PN_ACT_LOGSIGMOID, 0, 0},   {PN_ACT_MISH, 0, 0},
        {PN_ACT_SELU, 0, 0},         {PN_ACT_CELU, 0.6, 0},       {PN_ACT_HARDSIGMOID, 0, 0},
        {PN_ACT_HARDSWISH, 0, 0},    {PN_ACT_THRESHOLD, 0.5, -2}, {PN_ACT_HARDSHRINK, 0.5, 0},
        {PN_ACT_SOFTSHRINK, 0.8, 0}};
    /* points away from the kinks (0, +-3, hardtanh bounds, softplus threshold x = 1.5,
     * the threshold 0.5, the shrink bounds +-0.5 and +-0.8) */
    double xs[8] = {-3.1, -1.3, -0.7, -0.2, 0.3, 0.9, 1.2, 2.6};
    const double h = 1e-5;
    for (int a = 0; a < PN_NACT; a++) {
        int ok1 = 1, ok2 = 1, okb = 1;
        for (int k = 0; k < 8; k++) {
            double x[3] = {xs[k] - h, xs[k], xs[k] + h}, y[3], d1[3], d2[3], g = 0.75, dx;
            pn_act_forward_f64(&args[a], x, y, 3);
            pn_act_deriv_f64(&args[a], 1, x, d1, 3);
            pn_act_deriv_f64(&args[a], 2, x, d2, 3);
            pn_act_backward_f64(&args[a], &g, &x[1], &dx, 1);
            ok1 &= near(d1[1], (y[2] - y[0]) / (2 * h), 1e-6);
            ok2 &= near(d2[1], (d1[2] - d1[0]) / (2 * h), 1e-6);
            okb &= near(dx, g * d1[1], 1e-15);
        }
        CHECK(ok1, "%s: f' matches finite differences", names[a]);
        CHECK(ok2, "%s: f'' matches finite differences", names[a]);
        CHECK(okb, "%s: backward is g * f'", names[a]);
    }
    /* values at known points */
    double x = 1.0, y;
    pn_act_forward_f64(&args[2], &x, &y, 1);
    CHECK(near(y, 0.8413447460685429, 1e-14), "gelu(1) = Phi(1) (got %.17g)", y);
    x = -2.0;
    pn_act_forward_f64(&args[0], &x, &y, 1);
    CHECK(y == -0.2, "leaky_relu(-2, 0.1) = -0.2 (got %g)", y);
    x = 5.0; /* beta x = 10 > threshold 3: the identity */
    pn_act_forward_f64(&args[4], &x, &y, 1);
    CHECK(y == 5.0, "softplus above the threshold is x (got %g)", y);
    float xf[3] = {-2.0f, 0.25f, 3.0f}, yf[3];
    pn_act_forward_f32(&args[5], xf, yf, 3);
    CHECK(yf[0] == -0.5f && yf[1] == 0.25f && yf[2] == 1.5f, "hardtanh clamps (float)");
}

/* The float spacing at |v|. */
static double ulp_of(double v) {
    float r = fabsf((float)v);
    double u = (double)nextafterf(r, INFINITY) - r;
    return u > 0 ? u : 1e-45;
}

/* |got - ref| in units of the float spacing at ref (ref in double). */
static double ulp_err(float got, double ref) {
    float r = (float)ref;
    double ulp = (double)nextafterf(fabsf(r), INFINITY) - fabsf(r);
    return fabs((double)got - ref) / (ulp > 0 ? ulp : 1e-45);
}

/* The vectorised float32 GELU against double over a dense grid of [-12, 12]: the
 * forward (on x86 pn_gelu_tab where |x| < 4, pn_phif beyond; pn_phif elsewhere)
 * within 4.5 ulp of x Phi(x), and within 2.1 on x86 where |x| < 4 (PyTorch's float GELU, which
 * takes 1 + erf for negative x too, is off by up to 2^24 ulp in the negative
 * tail, e.g. at x = -7.5); the backward Phi + x phi, a
 * difference of two terms that cancel near x = -0.75, within 4 ulp of the larger
 * term (as any float evaluation of that formula, PyTorch's included), and within
 * 1.24 on x86 where |x| < 4 (pn_gelu_grad_tab). Results below 1e-30 are skipped;
 * special values exactly. */
static void test_gelu_float(void) {
    pn_act_args p = {PN_ACT_GELU, 0, 0};
    double worst_f = 0, worst_b = 0, worst_in = 0, worst_b_in = 0;
    for (float x = -12.0f; x <= 12.0f; x += 1.0f / 1024.0f) {
        float y, one = 1.0f, dx;
        pn_act_forward_f32(&p, &x, &y, 1);
        pn_act_backward_f32(&p, &one, &x, &dx, 1);
        double X = x, Phi = 0.5 * erfc(-X / sqrt(2.0));
        double ry = X * Phi, rd = Phi + X * exp(-0.5 * X * X) / sqrt(2 * 3.14159265358979323846);
        double scale = fmax(fabs(Phi), fabs(X * exp(-0.5 * X * X)) / sqrt(2 * 3.14159265358979));
        if (fabs(ry) > 1e-30) worst_f = fmax(worst_f, ulp_err(y, ry));
        if (fabs(x) < 4.0f) worst_in = fmax(worst_in, ulp_err(y, ry));
        if (fabs(rd) > 1e-30) worst_b = fmax(worst_b, fabs(dx - rd) / ulp_of(scale));
        if (fabs(x) < 4.0f) worst_b_in = fmax(worst_b_in, fabs(dx - rd) / ulp_of(scale));
    }
    CHECK(worst_f <= 4.5, "float gelu is %.2f ulp from x Phi(x)", worst_f);
    CHECK(worst_in <= (PN_F32_TABLES ? 2.1 : 4.5),
          "float gelu is %.2f ulp from x Phi(x) in (-4, 4)", worst_in);
    CHECK(worst_b <= 4.0, "float gelu' is %.2f ulp from Phi + x phi", worst_b);
    CHECK(worst_b_in <= (PN_F32_TABLES ? 1.24 : 4.0),
          "float gelu' is %.2f ulp from Phi + x phi in (-4, 4)", worst_b_in);
    float sp[5] = {0.0f, -0.0f, INFINITY, -INFINITY, NAN}, y[5];
    pn_act_forward_f32(&p, sp, y, 5);
    CHECK(y[0] == 0 && y[1] == 0 && signbit(y[1]) && y[2] == INFINITY && isnan(y[4]),
          "gelu(0) = 0, gelu(-0) = -0, gelu(inf) = inf, gelu(nan) = nan");
    CHECK(y[3] == 0 || isnan(y[3]), "gelu(-inf) is -inf * 0 (PyTorch gives nan)");
    printf("float gelu: forward %.2f ulp, backward %.2f ulp (max over [-12, 12])\n", worst_f,
           worst_b);
}

/* The vectorised float32 SiLU against libm in double over a dense grid of
 * [-100, 100] (tails down to 1e-40): the forward (float arithmetic, x times the
 * logistic quotient q + rem inv: fastmath.h's pn_siluf_tab on x86, pn_siluf
 * elsewhere) within 1.49 ulp on x86 and 1.7 elsewhere (1.694 over every float, 0.5
 * where the result is subnormal: those are recomputed in double). The backward
 * s (1 + x t) (t = 1 - s; float arithmetic on the two parts of pn_logistic_pairs,
 * or on x86 pn_logistic_pairs_tab) has a zero at x = -1.2785 where 1 and x t
 * cancel, so it is measured as GELU's is: in ulps of the larger term, max(s, |x s
 * t|), within 2.5 (over every float in [-87, 100]: 2.464, the table's 2.441;
 * PyTorch's float formula, whose 1 - s keeps s's rounding error: 16.4 over every
 * 7th float); and in ulps of the result where |1 + x t| >= 1/64, within 2.4 on
 * this grid (over every float 2.385, the table's 2.407; PyTorch's: 109). Below
 * x = -87 it is recomputed in double.
 * Special values as x * sigmoid(x) in double. */
static void test_silu_float(void) {
    pn_act_args p = {PN_ACT_SILU, 0, 0};
    double worst_f = 0, worst_sub = 0, worst_b = 0, worst_bl = 0;
    for (float x = -100.0f; x <= 100.0f; x += 1.0f / 4096.0f) {
        float y, one = 1.0f, dx;
        pn_act_forward_f32(&p, &x, &y, 1);
        pn_act_backward_f32(&p, &one, &x, &dx, 1);
        double X = x, s = 1.0 / (1.0 + exp(-X)), t = 1.0 / (1.0 + exp(X)), w = 1.0 + X * t;
        double ry = X * s, rd = s * w, larger = fmax(s, fabs(X * s * t));
        if (fabs(ry) >= FLT_MIN) worst_f = fmax(worst_f, ulp_err(y, ry));
        if (fabs(ry) > 1e-40) worst_sub = fmax(worst_sub, ulp_err(y, ry));
        if (fabs(rd) > 1e-40) worst_bl = fmax(worst_bl, fabs(dx - rd) / ulp_of(larger));
        if (fabs(rd) > 1e-40 && fabs(w) >= 1.0 / 64) worst_b = fmax(worst_b, ulp_err(dx, rd));
    }
    CHECK(worst_f <= (PN_F32_TABLES ? 1.49 : 1.7), "float silu is %.3f ulp from x sigmoid(x)",
          worst_f);
    CHECK(worst_sub <= 1.7, "float silu is %.3f ulp from x sigmoid(x) (subnormal)", worst_sub);
    CHECK(worst_bl <= 2.5, "float silu' is %.3f ulp of the larger term from s (1 + x t)", worst_bl);
    CHECK(worst_b <= 2.4, "float silu' is %.3f ulp from s (1 + x t) (|1 + x t| >= 1/64)", worst_b);
    float sp[5] = {0.0f, -0.0f, INFINITY, -INFINITY, NAN}, y[5];
    pn_act_forward_f32(&p, sp, y, 5);
    CHECK(y[0] == 0 && !signbit(y[0]) && y[1] == 0 && signbit(y[1]) && y[2] == INFINITY &&
              isnan(y[3]) && isnan(y[4]),
          "silu(+-0) = +-0, silu(inf) = inf, silu(-inf) = -inf * 0 = nan, silu(nan) = nan");
    /* in place, with elements below -87 (recomputed after the fast path), over 1500 elements
     * (three of the in-place copy's blocks) */
    static float xs[1500], ys[1500];
    for (int i = 0; i < 1500; i++)
        xs[i] = i % 5 == 0 ? -95.0f - (float)(i % 7) : (float)i / 50 - 15;
    pn_act_forward_f32(&p, xs, ys, 1500);
    pn_act_forward_f32(&p, xs, xs, 1500);
    CHECK(memcmp(xs, ys, sizeof xs) == 0, "float silu in place (y == x) is silu out of place");
    printf("float silu: forward %.3f ulp; backward %.3f ulp of the larger term, %.3f ulp where "
           "|1 + x t| >= 1/64\n",
           worst_f, worst_bl, worst_b);
}

static void test_prelu(void) {
    /* x (outer 2, C 2, inner 2); slopes 0.5 and -1 */
    double x[8] = {1, -2, -3, 4, -1, 0, 2, -4}, w[2] = {0.5, -1}, y[8];
    pn_prelu_forward_f64(x, w, 1, y, 2, 2, 2);
    double want[8] = {1, -1, 3, 4, -0.5, 0, 2, 4};
    CHECK(memcmp(y, want, sizeof y) == 0, "prelu forward per channel");
}

/* loss = sum(r * y): dx from the kernel vs central differences, for batch norm
 * (training and eval) and layer norm. x is (N=3, C=2, L=2). */
static double batch_norm_loss(const double *x, const double *w, const double *b, const double *r,
                              int training, const double *rm, const double *rv) {
    double mean[2], var[2], invstd[2], y[12], s = 0;
    if (training) {
        pn_batch_norm_stats_f64(x, 3, 2, 2, mean, var);
    } else {
        memcpy(mean, rm, sizeof mean), memcpy(var, rv, sizeof var);
    }
    for (int c = 0; c < 2; c++) invstd[c] = 1 / sqrt(var[c] + 1e-5);
    pn_batch_norm_forward_f64(x, mean, invstd, w, b, y, 3, 2, 2);
    for (int k = 0; k < 12; k++) s += r[k] * y[k];
    return s;
}

static void test_batch_norm(void) {
    double x[12], r[12], w[2] = {0.7, 1.3}, b[2] = {0.1, -0.2}, rm[2] = {0.2, -0.1},
                         rv[2] = {1.5, 0.6};
    for (int k = 0; k < 12; k++) x[k] = sin(1.7 * k) * 2 + 0.3, r[k] = cos(0.9 * k);
    double mean[2], var[2];
    pn_batch_norm_stats_f64(x, 3, 2, 2, mean, var);
    /* channel 0 is x[0,1,4,5,8,9] */
    double m0 = (x[0] + x[1] + x[4] + x[5] + x[8] + x[9]) / 6, v0 = 0;
    int i0[6] = {0, 1, 4, 5, 8, 9};
    for (int k = 0; k < 6; k++) v0 += (x[i0[k]] - m0) * (x[i0[k]] - m0) / 6;
    CHECK(near(mean[0], m0, 1e-15) && near(var[0], v0, 1e-14), "channel stats (biased var)");
    for (int training = 0; training <= 1; training++) {
        double invstd[2], dx[12], dw[2], db[2];
        if (training)
            pn_batch_norm_stats_f64(x, 3, 2, 2, mean, var);
        else
            memcpy(mean, rm, sizeof mean), memcpy(var, rv, sizeof var);
        for (int c = 0; c < 2; c++) invstd[c] = 1 / sqrt(var[c] + 1e-5);
        pn_batch_norm_backward_f64(r, x, mean, invstd, w, training, dx, dw, db, 3, 2, 2);
        int ok = 1;
        for (int k = 0; k < 12; k++) {
            double xp[12], xm[12], h = 1e-6;
            memcpy(xp, x, sizeof x), memcpy(xm, x, sizeof x);
            xp[k] += h, xm[k] -= h;
            double num = (batch_norm_loss(xp, w, b, r, training, rm, rv) -
                          batch_norm_loss(xm, w, b, r, training, rm, rv)) /
                         (2 * h);
            ok &= near(dx[k], num, 1e-7);
        }
        CHECK(ok, "batch norm dx matches finite differences (training=%d)", training);
        double wp[2] = {w[0] + 1e-6, w[1]}, wm[2] = {w[0] - 1e-6, w[1]};
        double numw = (batch_norm_loss(x, wp, b, r, training, rm, rv) -
                       batch_norm_loss(x, wm, b, r, training, rm, rv)) /
                      2e-6;
        double bp[2] = {b[0], b[1] + 1e-6}, bm[2] = {b[0], b[1] - 1e-6};
        double numb = (batch_norm_loss(x, w, bp, r, training, rm, rv) -
                       batch_norm_loss(x, w, bm, r, training, rm, rv)) /
                      2e-6;
        CHECK(near(dw[0], numw, 1e-7) && near(db[1], numb, 1e-7), "batch norm dw, db (training=%d)",
              training);
    }
}

static double layer_norm_loss(const double *x, const double *w, const double *r) {
    double y[12], mean[3], rstd[3], s = 0;
    pn_layer_norm_forward_f64(x, w, NULL, 1e-5, y, mean, rstd, 3, 4);
    for (int k = 0; k < 12; k++) s += r[k] * y[k];
    return s;
}

static void test_layer_norm(void) {
    double x[12], r[12], w[4] = {0.5, 1, 1.5, -0.7}, y[12], mean[3], rstd[3];
    for (int k = 0; k < 12; k++) x[k] = sin(2.3 * k) * 3 + k, r[k] = cos(1.1 * k);
    pn_layer_norm_forward_f64(x, NULL, NULL, 0.0, y, mean, rstd, 3, 4);
    int ok = 1;
    for (int i = 0; i < 3; i++) {
        double s = 0, q = 0;
        for (int j = 0; j < 4; j++) s += y[i * 4 + j], q += y[i * 4 + j] * y[i * 4 + j];
        ok &= fabs(s) < 1e-12 && near(q / 4, 1.0, 1e-12);
    }
    CHECK(ok, "layer norm rows have mean 0 and variance 1");
    double dx[12], dw[4] = {0}, db[4] = {0};
    pn_layer_norm_forward_f64(x, w, NULL, 1e-5, y, mean, rstd, 3, 4);
    pn_layer_norm_backward_f64(r, x, mean, rstd, w, dx, dw, db, 3, 4);
    ok = 1;
    for (int k = 0; k < 12; k++) {
        double xp[12], xm[12], h = 1e-6;
        memcpy(xp, x, sizeof x), memcpy(xm, x, sizeof x);
        xp[k] += h, xm[k] -= h;
        ok &= near(dx[k], (layer_norm_loss(xp, w, r) - layer_norm_loss(xm, w, r)) / (2 * h), 1e-7);
    }
    CHECK(ok, "layer norm dx matches finite differences");
    double wp[4], wm[4];
    memcpy(wp, w, sizeof w), memcpy(wm, w, sizeof w);
    wp[2] += 1e-6, wm[2] -= 1e-6;
    CHECK(near(dw[2], (layer_norm_loss(x, wp, r) - layer_norm_loss(x, wm, r)) / 2e-6, 1e-7),
          "layer norm dw");
    CHECK(near(db[1], r[1] + r[5] + r[9], 1e-15), "layer norm db sums over rows");
}

/* Group norm of x (2, 4, 20) in 2 groups: rows of 2 channels x 20 positions (the
 * channel sums take 16 lanes and a tail of 4). */
enum { GN_N = 2, GN_C = 4, GN_L = 20, GN_G = 2, GN_SIZE = GN_N * GN_C * GN_L };

static double group_norm_loss(const double *x, const double *w, const double *b, const double *r) {
    double y[GN_SIZE], mean[GN_N * GN_G], rstd[GN_N * GN_G], s = 0;
    pn_group_norm_forward_f64(x, w, b, 1e-5, y, mean, rstd, GN_N, GN_C, GN_L, GN_G);
    for (int k = 0; k < GN_SIZE; k++) s += r[k] * y[k];
    return s;
}

/* The float32 backward row kernels (pn_ln_row_backward_f32_kernel) against the
 * portable one, to the bit: every length to 70, 257, 600 and 1100 (past the AVX-512
 * kernel's kept rows), with and without w, dw, db, dx; the sums against double
 * arithmetic on the same floats, dx against the formula in double. */
static void test_layer_norm_row_kernels(void) {
    enum { N = 1100 };
    static float g[N], x[N], w[N], dx0[N], dx1[N];
    static double dw0[N], db0[N], dw1[N], db1[N];
    for (int j = 0; j < N; j++)
        g[j] = (float)sin(0.37 * j), x[j] = (float)(3 + 2 * cos(1.3 * j)),
        w[j] = (float)(1 + 0.1 * j);
    pn_ln_row_backward_f32_fn port = pn_ln_row_backward_f32_kernel("portable");
    pn_ln_row_backward_f32_fn fast = pn_ln_row_backward_f32_kernel("avx512");
    CHECK(port && !pn_ln_row_backward_f32_kernel("sse9"), "the layer norm row kernels' names");
    if (!port) return;
    long runs = 0, bad = 0;
    double worst = 0, worst_dx = 0;
    for (int li = 0; li < 74; li++) {
        int D = li <= 70 ? li : li == 71 ? 257 : li == 72 ? 600 : N; /* 0 .. 70, 257, 600, 1100 */
        for (int opt = 0; opt < 16; opt++) {
            const float *wp = opt & 1 ? w : NULL;
            double *dwa = opt & 2 ? dw0 : NULL, *dba = opt & 4 ? db0 : NULL;
            double *dwb = opt & 2 ? dw1 : NULL, *dbb = opt & 4 ? db1 : NULL;
            float *dxa = opt & 8 ? dx0 : NULL, *dxb = opt & 8 ? dx1 : NULL;
            for (int j = 0; j < N; j++)
                dw0[j] = dw1[j] = 0.25 * j, db0[j] = db1[j] = -0.5 * j, dx0[j] = dx1[j] = 7;
            double sa, qa, sb = 0, qb = 0, want_s = 0, want_q = 0;
            port(g, x, wp, D, 3.1, 0.7, dwa, dba, dxa, &sa, &qa);
            if (fast) {
                fast(g, x, wp, D, 3.1, 0.7, dwb, dbb, dxb, &sb, &qb);
                runs++;
                bad += memcmp(&sa, &sb, sizeof sa) || memcmp(&qa, &qb, sizeof qa) ||
                       memcmp(dw0, dw1, sizeof dw0) || memcmp(db0, db1, sizeof db0) ||
                       memcmp(dx0, dx1, sizeof dx0);
            }
            for (int j = 0; j < D; j++) {
                double gw = (double)g[j] * (wp ? (double)w[j] : 1.0),
                       xhat = ((double)x[j] - 3.1) * 0.7;
                want_s += gw, want_q += gw * xhat;
                if (dwa) worst = fmax(worst, fabs(dw0[j] - (0.25 * j + (double)g[j] * xhat)));
                if (dba) worst = fmax(worst, fabs(db0[j] - (-0.5 * j + (double)g[j])));
            }
            worst = fmax(worst, fmax(fabs(sa - want_s), fabs(qa - want_q)));
            for (int j = 0; dxa && j < D; j++) {
                double gw = (double)g[j] * (wp ? (double)w[j] : 1.0),
                       xhat = ((double)x[j] - 3.1) * 0.7;
                double want = 0.7 * (gw - want_s / D - xhat * want_q / D);
                worst_dx = fmax(worst_dx, fabs(dx0[j] - want) / (fabs(want) + 1e-3));
            }
        }
    }
    printf("layer norm rows: %ld kernel runs, %ld differ; sums within %.1e, dx %.1e\n", runs, bad,
           worst, worst_dx);
    CHECK(bad == 0, "the layer norm row kernels differ from the portable one (%ld)", bad);
    CHECK(worst < 1e-12 && worst_dx < 1e-6, "layer norm rows off: sums %.1e, dx %.1e", worst,
          worst_dx);
}

/* The float32 forward kernels (pn_layer_norm_forward_f32_kernel) against the portable
 * one, to the bit: 7 rows of every width to 70, 128, 257, 1024 and 1100 (past the
 * AVX-512 kernel's kept rows), with w and b, only one of them, or neither. */
static void test_layer_norm_forward_kernels(void) {
    enum { M = 7, N = 1100 };
    static float x[M * N], w[N], b[N], y0[M * N], y1[M * N];
    static double m0[M], r0[M], m1[M], r1[M];
    for (int j = 0; j < M * N; j++) x[j] = (float)(5 + 3 * sin(0.71 * j) + 0.01 * j);
    for (int j = 0; j < N; j++) w[j] = (float)(1 + 0.3 * cos(0.2 * j)), b[j] = (float)(0.05 * j);
    pn_layer_norm_forward_f32_fn port = pn_layer_norm_forward_f32_kernel("portable");
    pn_layer_norm_forward_f32_fn fast = pn_layer_norm_forward_f32_kernel("avx512");
    CHECK(port && !pn_layer_norm_forward_f32_kernel("sse9"),
          "the layer norm forward kernels' names");
    if (!port || !fast) return;
    long runs = 0, bad = 0;
    for (int li = 0; li < 75; li++) {
        int D = li <= 70 ? li : li == 71 ? 128 : li == 72 ? 257 : li == 73 ? 1024 : N;
        for (int opt = 0; opt < 4; opt++) {
            const float *wp = opt & 1 ? w : NULL, *bp = opt & 2 ? b : NULL;
            port(x, wp, bp, 1e-5, y0, m0, r0, M, D);
            fast(x, wp, bp, 1e-5, y1, m1, r1, M, D);
            runs++;
            bad += memcmp(y0, y1, sizeof(float) * M * D) || memcmp(m0, m1, sizeof m0) ||
                   memcmp(r0, r1, sizeof r0);
        }
    }
    printf("layer norm forward: %ld kernel runs, %ld differ\n", runs, bad);
    CHECK(bad == 0, "the layer norm forward kernels differ from the portable one (%ld)", bad);
}

/* The float32 group norm channel kernels (pn_gn_channel_sums_f32_kernel) against the
 * portable one, to the bit, at every length to 70 and two long ones, and against double
 * arithmetic on the same floats. */
static void test_group_norm_channel_kernels(void) {
    enum { N = 800 };
    static float g[N], x[N];
    for (int j = 0; j < N; j++) g[j] = (float)cos(0.41 * j), x[j] = (float)(2 + sin(0.9 * j));
    pn_gn_channel_sums_f32_fn port = pn_gn_channel_sums_f32_kernel("portable");
    pn_gn_channel_sums_f32_fn fast = pn_gn_channel_sums_f32_kernel("avx512");
    CHECK(port && !pn_gn_channel_sums_f32_kernel("sse9"), "the group norm channel kernels' names");
    if (!port) return;
    long runs = 0, bad = 0;
    double worst = 0;
    for (int li = 0; li < 73; li++) {
        int L = li <= 70 ? li : li == 71 ? 784 : N; /* 0 .. 70, a 28 x 28 plane, 800 */
        double sa, qa, sb, qb, want_s = 0, want_q = 0;
        port(g, x, L, 2.05, &sa, &qa);
        if (fast) {
            fast(g, x, L, 2.05, &sb, &qb);
            runs++;
            bad += memcmp(&sa, &sb, sizeof sa) || memcmp(&qa, &qb, sizeof qa);
        }
        for (int j = 0; j < L; j++) want_s += g[j], want_q += (double)g[j] * ((double)x[j] - 2.05);
        worst = fmax(worst, fmax(fabs(sa - want_s), fabs(qa - want_q)));
    }
    printf("group norm channels: %ld kernel runs, %ld differ; sums within %.1e\n", runs, bad,
           worst);
    CHECK(bad == 0, "the group norm channel kernels differ from the portable one (%ld)", bad);
    CHECK(worst < 1e-12, "group norm channel sums off by %.1e", worst);
}

static void test_group_norm(void) {
    double x[GN_SIZE], r[GN_SIZE], y[GN_SIZE], mean[GN_N * GN_G], rstd[GN_N * GN_G];
    double w[GN_C] = {0.5, 1, 1.5, -0.7}, b[GN_C] = {0.1, -0.2, 0.3, 0.4};
    for (int k = 0; k < GN_SIZE; k++) x[k] = sin(2.3 * k) * 3 + 0.1 * k, r[k] = cos(1.1 * k);
    pn_group_norm_forward_f64(x, NULL, NULL, 0.0, y, mean, rstd, GN_N, GN_C, GN_L, GN_G);
    int ok = 1, D = GN_C / GN_G * GN_L;
    for (int i = 0; i < GN_N * GN_G; i++) {
        double s = 0, q = 0;
        for (int j = 0; j < D; j++) s += y[i * D + j], q += y[i * D + j] * y[i * D + j];
        ok &= fabs(s) < 1e-12 && near(q / D, 1.0, 1e-12);
    }
    CHECK(ok, "group norm groups have mean 0 and variance 1");
    double dx[GN_SIZE], dw[GN_C], db[GN_C];
    pn_group_norm_forward_f64(x, w, b, 1e-5, y, mean, rstd, GN_N, GN_C, GN_L, GN_G);
    CHECK(pn_group_norm_backward_f64(r, x, mean, rstd, w, dx, dw, db, GN_N, GN_C, GN_L, GN_G) == 0,
          "group norm backward runs");
    ok = 1;
    for (int k = 0; k < GN_SIZE; k++) {
        double xp[GN_SIZE], xm[GN_SIZE], h = 1e-6;
        memcpy(xp, x, sizeof x), memcpy(xm, x, sizeof x);
        xp[k] += h, xm[k] -= h;
        ok &= near(dx[k], (group_norm_loss(xp, w, b, r) - group_norm_loss(xm, w, b, r)) / (2 * h),
                   1e-7);
    }
    CHECK(ok, "group norm dx matches finite differences");
    ok = 1;
    for (int c = 0; c < GN_C; c++) {
        double wp[GN_C], wm[GN_C], bp[GN_C], bm[GN_C];
        memcpy(wp, w, sizeof w), memcpy(wm, w, sizeof w), memcpy(bp, b, sizeof b);
        memcpy(bm, b, sizeof b);
        wp[c] += 1e-6, wm[c] -= 1e-6, bp[c] += 1e-6, bm[c] -= 1e-6;
        ok &=
            near(dw[c], (group_norm_loss(x, wp, b, r) - group_norm_loss(x, wm, b, r)) / 2e-6, 1e-7);
        ok &=
            near(db[c], (group_norm_loss(x, w, bp, r) - group_norm_loss(x, w, bm, r)) / 2e-6, 1e-7);
    }
    CHECK(ok, "group norm dw and db (sums over the items) match finite differences");
}

static void test_dropout(void) {
    enum { N = 100000 };
    static float m1[N], m2[N];
    pn_rng g;
    pn_rng_seed(&g, 42);
    pn_dropout_mask_f32(&g, m1, N, 0.25);
    int kept = 0, ok = 1;
    for (int k = 0; k < N; k++) {
        kept += m1[k] != 0;
        ok &= m1[k] == 0 || m1[k] == 1.0f / 0.75f;
    }
    CHECK(ok, "dropout mask holds 0 or 1/(1-p)");
    /* binomial sd sqrt(N p (1-p)) ~ 137: 5 sigma */
    CHECK(kept > 75000 - 700 && kept < 75000 + 700, "dropout keeps ~ 1-p (kept %d)", kept);
    pn_rng_seed(&g, 42);
    pn_dropout_mask_f32(&g, m2, N, 0.25);
    CHECK(memcmp(m1, m2, sizeof m1) == 0, "same seed, same mask");
    pn_dropout_mask_f32(&g, m2, 1000, 1.0);
    ok = 1;
    for (int k = 0; k < 1000; k++) ok &= m2[k] == 0;
    CHECK(ok, "p = 1 drops everything (no inf scale)");
    /* element k kept exactly when its uniform draw u_k < 1 - p (the rule the
     * mask's integer threshold implements), for p whose (1 - p) 2^53 is and is
     * not an integer, the generator left where the reference leaves it */
    static const double ps[] = {0.25, 0.1, 0.5, 1e-9, 0.999999, 0.0};
    for (int t = 0; t < 6; t++) {
        pn_rng a, b;
        pn_rng_seed(&a, 7 + (uint64_t)t);
        b = a;
        double dm[2000];
        pn_dropout_mask_f64(&a, dm, 2000, ps[t]);
        ok = 1;
        for (int k = 0; k < 2000; k++) {
            double keep = pn_rng_uniform(&b) < 1.0 - ps[t] ? 1.0 / (1.0 - ps[t]) : 0.0;
            ok &= dm[k] == keep;
        }
        ok &= pn_rng_next(&a) == pn_rng_next(&b);
        CHECK(ok, "dropout mask == (uniform < 1 - p) / (1 - p), p = %g", ps[t]);
    }
}

static void test_embedding(void) {
    double w[4 * 2] = {0, 1, 10, 11, 20, 21, 30, 31}, out[3 * 2];
    int64_t idx[3] = {2, 0, 2}, bad = -7;
    int rc = pn_embedding_f64(idx, 3, w, 4, 2, out, 0, -1, &bad);
    CHECK(rc == PN_OK && out[0] == 20 && out[1] == 21 && out[2] == 0 && out[5] == 21,
          "embedding gathers rows");
    rc = pn_embedding_f64(idx, 3, w, 4, 2, out, 1, 2, &bad);
    CHECK(rc == PN_OK && out[0] == 0 && out[1] == 0 && out[2] == 0 && out[3] == 1,
          "zero_pad zeroes the padding positions");
    int64_t oob[2] = {1, 4};
    rc = pn_embedding_f64(oob, 2, w, 4, 2, out, 0, -1, &bad);
    CHECK(rc == PN_EINVAL && bad == 4, "index out of range reported (bad %lld)", (long long)bad);
    int64_t neg[1] = {-1};
    rc = pn_embedding_f64(neg, 1, w, 4, 2, out, 0, -1, &bad);
    CHECK(rc == PN_EINVAL && bad == -1, "negative index rejected");
    double gr[3 * 2] = {1, 2, 3, 4, 5, 6}, dw[4 * 2] = {0};
    pn_embedding_backward_f64(idx, 3, gr, 2, dw, -1);
    CHECK(dw[4] == 6 && dw[5] == 8 && dw[0] == 3 && dw[1] == 4 && dw[2] == 0,
          "repeated indices accumulate");
    memset(dw, 0, sizeof dw);
    pn_embedding_backward_f64(idx, 3, gr, 2, dw, 2);
    CHECK(dw[4] == 0 && dw[5] == 0 && dw[0] == 3, "padding row gets no gradient");
}

int main(void) {
    test_activation_derivatives();
    test_gelu_float();
    test_silu_float();
    test_prelu();
    test_batch_norm();
    test_layer_norm();
    test_layer_norm_row_kernels();
    test_layer_norm_forward_kernels();
    test_group_norm();
    test_group_norm_channel_kernels();
    test_dropout();
    test_embedding();
    return CHECK_SUMMARY();
}
