/* test_loss.c - unit tests of the loss kernels (../kernels/loss.c) without
 * Python: each kernel against a direct, slow reference written from the
 * formulas, plus finite differences for the gradients. */
#include "../kernels/loss.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"

static int close_to(double a, double b, double tol) {
    return fabs(a - b) <= tol * (1 + fabs(b));
}

/* deterministic pseudo-random numbers in [-1, 1) */
static double frand(unsigned *s) {
    *s = *s * 1103515245u + 12345u;
    return ((*s >> 8) & 0xffff) / 32768.0 - 1.0;
}

/* Reference: log softmax of the row (n, s) of x (N, C, S), the naive way. */
static double ref_logp(const double *x, int64_t C, int64_t S, int64_t n, int64_t s, int64_t c) {
    double sum = 0;
    for (int64_t k = 0; k < C; k++) sum += exp(x[(n * C + k) * S + s]);
    return x[(n * C + c) * S + s] - log(sum);
}

/* Reference cross entropy of one position, from the definition. */
static double ref_cross_entropy(const double *x, const pn_cross_entropy_args *a, int64_t n,
                                int64_t s) {
    const double *w = a->weight, *y = a->prob;
    double eps = a->smoothing, l = 0;
    int64_t C = a->C, S = a->S;
    if (a->target) {
        int64_t t = a->target[n * S + s];
        if (t == a->ignore_index) return 0;
        l -= (1 - eps) * (w ? w[t] : 1) * ref_logp(x, C, S, n, s, t);
        for (int64_t c = 0; c < C; c++) l -= eps / C * (w ? w[c] : 1) * ref_logp(x, C, S, n, s, c);
    } else {
        for (int64_t c = 0; c < C; c++)
            l -= (w ? w[c] : 1) * ((1 - eps) * y[(n * C + c) * S + s] + eps / C) *
                 ref_logp(x, C, S, n, s, c);
    }
    return l;
}

enum { N = 3, C = 5, S = 2 };

static void test_cross_entropy_forward_matches_reference(void) {
    unsigned seed = 1;
    double x[N * C * S], loss[N * S], lse[N * S], w[C], y[N * C * S];
    int64_t t[N * S] = {0, 4, 2, -100, 1, 3};
    for (int k = 0; k < N * C * S; k++) x[k] = 3 * frand(&seed), y[k] = 0.5 + frand(&seed) / 4;
    for (int k = 0; k < C; k++) w[k] = 1 + k * 0.5;
    for (int variant = 0; variant < 4; variant++) {
        int prob = variant & 1, weighted = variant & 2;
        pn_cross_entropy_args a = {
            N, C, S, prob ? NULL : t, prob ? y : NULL, weighted ? w : NULL, -100, 0.3};
        double wsum = -1;
        int64_t bad = 0;
        int rc = pn_cross_entropy_forward(PN_FLOAT64, &a, x, loss, lse, &wsum, &bad);
        int ok = rc == PN_OK;
        double want_wsum = 0;
        for (int64_t n = 0; n < N; n++)
            for (int64_t s = 0; s < S; s++) {
                ok &= close_to(loss[n * S + s], ref_cross_entropy(x, &a, n, s), 1e-12);
                int64_t tt = t[n * S + s];
                want_wsum += prob ? 1 : tt == -100 ? 0 : weighted ? w[tt] : 1;
            }
        CHECK(ok, "cross entropy forward, variant %d (prob %d, weighted %d)", variant, prob,
              weighted != 0);
        CHECK(close_to(wsum, want_wsum, 1e-12), "denominator %g, want %g", wsum, want_wsum);
    }
}

static void test_cross_entropy_rejects_bad_target(void) {
    double x[2 * 3] = {0};
    double loss[2], lse[2], wsum;
    int64_t t[2] = {1, 3}, bad = 0;
    pn_cross_entropy_args a = {2, 3, 1, t, NULL, NULL, -100, 0};
    int rc = pn_cross_entropy_forward(PN_FLOAT64, &a, x, loss, lse, &wsum, &bad);
    CHECK(rc == PN_EINVAL && bad == 3, "target 3 of 3 classes is out of range (rc %d bad %lld)", rc,
          (long long)bad);
    t[1] = -1;
    rc = pn_nll_loss_forward(PN_FLOAT64, &a, x, loss, &wsum, &bad);
    CHECK(rc == PN_EINVAL && bad == -1, "nll: target -1 is out of range");
    t[1] = -100; /* the ignore index is not an error */
    rc = pn_nll_loss_forward(PN_FLOAT64, &a, x, loss, &wsum, &bad);
    CHECK(rc == PN_OK && loss[1] == 0 && wsum == 1, "ignored target contributes 0");
}

static void test_cross_entropy_huge_logits(void) {
    float x[4] = {1e4f, -1e4f, 2e4f, 0.0f}, loss[1], gx[4], g = 1;
    double lse[1], wsum;
    int64_t t[1] = {0}, bad;
    pn_cross_entropy_args a = {1, 4, 1, t, NULL, NULL, -100, 0};
    pn_cross_entropy_forward(PN_FLOAT32, &a, x, loss, lse, &wsum, &bad);
    CHECK(isfinite(loss[0]) && close_to(loss[0], 1e4, 1e-6), "loss %g (want 1e4)", loss[0]);
    pn_cross_entropy_backward(PN_FLOAT32, &a, x, lse, &g, 0, 1.0, gx, NULL, NULL);
    /* softmax is (0, 0, 1, 0): gradient (-1, 0, 1, 0) */
    CHECK(gx[0] == -1 && gx[1] == 0 && gx[2] == 1 && gx[3] == 0, "grad %g %g %g %g", gx[0], gx[1],
          gx[2], gx[3]);
}

/* Finite differences of the summed loss against the backward kernel. */
static void test_cross_entropy_backward_finite_differences(void) {
    unsigned seed = 7;
    double x[N * C * S], loss[N * S], lse[N * S], w[C], y[N * C * S], g[N * S];
    double gx[N * C * S], gy[N * C * S], gw[C];
    int64_t t[N * S] = {1, 0, -100, 4, 2, 2};
    for (int k = 0; k < N * C * S; k++) x[k] = 2 * frand(&seed), y[k] = 0.5 + frand(&seed) / 4;
    for (int k = 0; k < C; k++) w[k] = 1 + frand(&seed) / 2;
    for (int k = 0; k < N * S; k++) g[k] = frand(&seed);
    for (int prob = 0; prob < 2; prob++) {
        pn_cross_entropy_args a = {N, C, S, prob ? NULL : t, prob ? y : NULL, w, -100, 0.2};
        double wsum;
        int64_t bad;
        pn_cross_entropy_forward(PN_FLOAT64, &a, x, loss, lse, &wsum, &bad);
        pn_cross_entropy_backward(PN_FLOAT64, &a, x, lse, g, 1, 1.0, gx, prob ? gy : NULL,
                                  prob ? gw : NULL);
        /* f = sum_i g_i loss_i; numerically differentiate w.r.t. x, y, w */
        double *vars[3] = {x, y, w}, *grads[3] = {gx, gy, gw};
        int sizes[3] = {N * C * S, N * C * S, C};
        for (int v = 0; v < (prob ? 3 : 1); v++) {
            int ok = 1;
            for (int k = 0; k < sizes[v]; k++) {
                double keep = vars[v][k], f[2];
                for (int side = 0; side < 2; side++) {
                    vars[v][k] = keep + (side ? -1e-6 : 1e-6);
                    pn_cross_entropy_forward(PN_FLOAT64, &a, x, loss, lse, &wsum, &bad);
                    f[side] = 0;
                    for (int i = 0; i < N * S; i++) f[side] += g[i] * loss[i];
                }
                vars[v][k] = keep;
                double num = (f[0] - f[1]) / 2e-6;
                if (!(fabs(num - grads[v][k]) < 1e-6)) {
                    ok = 0;
                    printf("  var %d elem %d: numeric %g analytic %g\n", v, k, num, grads[v][k]);
                }
            }
            CHECK(ok, "cross entropy gradient %d (prob %d) matches finite differences", v, prob);
        }
    }
}

static void test_nll_loss_and_weighted_target(void) {
    double logp[N * C * S], loss[N * S], q[N * C * S], w[C] = {1, 2, 3, 4, 5};
    double wsum;
    int64_t t[N * S] = {1, 0, -100, 4, 2, 2}, bad;
    for (int k = 0; k < N * C * S; k++) logp[k] = -0.1 * (k + 1);
    pn_cross_entropy_args a = {N, C, S, t, NULL, w, -100, 0};
    pn_nll_loss_forward(PN_FLOAT64, &a, logp, loss, &wsum, &bad);
    int ok = 1;
    for (int n = 0; n < N; n++)
        for (int s = 0; s < S; s++) {
            int64_t tt = t[n * S + s];
            double want = tt == -100 ? 0 : -w[tt] * logp[(n * C + tt) * S + s];
            ok &= loss[n * S + s] == want;
        }
    CHECK(ok, "nll forward picks -w_t logp[t]");
    CHECK(wsum == 2 + 1 + 5 + 3 + 3, "nll weight sum %g", wsum);
    pn_cross_entropy_weighted_target(PN_FLOAT64, &a, q); /* nll's gradient is -g q */
    double total = 0;
    for (int k = 0; k < N * C * S; k++) total += q[k];
    CHECK(total == wsum, "one-hot target mass %g equals the weight sum", total);
}

/* Reference pointwise losses, written from the definitions. */
static double ref_pointwise(pn_pointwise_loss kind, double x, double y, double w, double pw,
                            double p) {
    double d = x - y;
    switch (kind) {
    case PN_LOSS_MSE:
        return d * d;
    case PN_LOSS_L1:
        return fabs(d);
    case PN_LOSS_SMOOTH_L1:
        return fabs(d) < p ? d * d / (2 * p) : fabs(d) - p / 2;
    case PN_LOSS_HUBER:
        return fabs(d) < p ? d * d / 2 : p * (fabs(d) - p / 2);
    case PN_LOSS_BCE:
        return -w * (y * log(x) + (1 - y) * log(1 - x));
    case PN_LOSS_BCE_LOGITS: {
        double sig = 1 / (1 + exp(-x));
        return -w * (pw * y * log(sig) + (1 - y) * log(1 - sig));
    }
    case PN_LOSS_KL:
        return y * (log(y) - x);
    case PN_LOSS_KL_LOG:
        return exp(y) * (y - x);
    default:
        return NAN;
    }
}

static void test_pointwise_losses(void) {
    enum { M = 16 };
    unsigned seed = 11;
    double x[M], y[M], w[M], pw[M], out[M], gx[M], gy[M], g[M];
    for (int kind = 0; kind < PN_NLOSS; kind++) {
        for (int i = 0; i < M; i++) {
            int prob = kind == PN_LOSS_BCE || kind == PN_LOSS_KL;
            x[i] = kind == PN_LOSS_BCE ? 0.5 + 0.45 * frand(&seed) : 2 * frand(&seed);
            y[i] = prob ? 0.5 + 0.45 * frand(&seed) : 2 * frand(&seed);
            if (kind == PN_LOSS_BCE_LOGITS) y[i] = 0.5 + 0.5 * frand(&seed);
            if (fabs(x[i] - y[i]) < 0.05) x[i] += 0.1; /* keep away from the kinks */
            if (kind == PN_LOSS_BCE && x[i] >= 1) x[i] = 0.9;
            w[i] = 1 + frand(&seed) / 2, pw[i] = 1.5 + frand(&seed);
            g[i] = frand(&seed);
        }
        double p = kind == PN_LOSS_SMOOTH_L1 ? 0.7 : 0.9;
        int weighted = kind == PN_LOSS_BCE || kind == PN_LOSS_BCE_LOGITS;
        const double *wp = weighted ? w : NULL, *pwp = kind == PN_LOSS_BCE_LOGITS ? pw : NULL;
        int rc = pn_pointwise_loss_forward(kind, PN_FLOAT64, M, x, y, wp, pwp, p, out);
        int ok = rc == PN_OK;
        for (int i = 0; i < M; i++)
            ok &= close_to(
                out[i], ref_pointwise(kind, x[i], y[i], wp ? w[i] : 1, pwp ? pw[i] : 1, p), 1e-12);
        CHECK(ok, "pointwise loss %d forward matches the reference", kind);
        pn_pointwise_loss_backward(kind, PN_FLOAT64, M, x, y, wp, pwp, p, g, 1, 1.0, gx, gy);
        ok = 1;
        for (int i = 0; i < M; i++) {
            double h = 1e-6, ww = wp ? w[i] : 1, pp = pwp ? pw[i] : 1;
            double nx = (ref_pointwise(kind, x[i] + h, y[i], ww, pp, p) -
                         ref_pointwise(kind, x[i] - h, y[i], ww, pp, p)) /
                        (2 * h) * g[i];
            double ny = (ref_pointwise(kind, x[i], y[i] + h, ww, pp, p) -
                         ref_pointwise(kind, x[i], y[i] - h, ww, pp, p)) /
                        (2 * h) * g[i];
            if (!(fabs(nx - gx[i]) < 1e-6 && fabs(ny - gy[i]) < 1e-6)) {
                ok = 0;
                printf("  kind %d elem %d: dx %g vs %g, dy %g vs %g\n", kind, i, gx[i], nx, gy[i],
                       ny);
            }
        }
        CHECK(ok, "pointwise loss %d gradients match finite differences", kind);
    }
}

static void test_pointwise_edge_cases(void) {
    double x[3] = {0.0, 1.0, 0.5}, y[3] = {1.0, 0.0, 0.5}, out[3];
    pn_pointwise_loss_forward(PN_LOSS_BCE, PN_FLOAT64, 3, x, y, NULL, NULL, 0, out);
    CHECK(out[0] == 100 && out[1] == 100 && close_to(out[2], log(2.0), 1e-15),
          "bce clamps log at -100 (%g %g %g)", out[0], out[1], out[2]);
    double bad[2] = {0.5, 1.5};
    CHECK(pn_pointwise_loss_forward(PN_LOSS_BCE, PN_FLOAT64, 2, bad, y, NULL, NULL, 0, out) ==
              PN_EINVAL,
          "bce rejects inputs outside [0, 1]");
    float lx[2] = {-1e4f, 1e4f}, ly[2] = {1.0f, 0.0f}, lo[2];
    pn_pointwise_loss_forward(PN_LOSS_BCE_LOGITS, PN_FLOAT32, 2, lx, ly, NULL, NULL, 0, lo);
    CHECK(lo[0] == 1e4f && lo[1] == 1e4f, "bce with logits is stable (%g %g)", lo[0], lo[1]);
    double kx[1] = {-2.0}, ky[1] = {0.0}, ko[1];
    pn_pointwise_loss_forward(PN_LOSS_KL, PN_FLOAT64, 1, kx, ky, NULL, NULL, 0, ko);
    CHECK(ko[0] == 0, "kl_div of a zero target is 0");
    float f[10];
    for (int i = 0; i < 10; i++) f[i] = 0.1f * (float)i;
    CHECK(close_to(pn_loss_sum(PN_FLOAT32, 10, f), 4.5, 1e-7), "pn_loss_sum");
}

int main(void) {
    test_cross_entropy_forward_matches_reference();
    test_cross_entropy_rejects_bad_target();
    test_cross_entropy_huge_logits();
    test_cross_entropy_backward_finite_differences();
    test_nll_loss_and_weighted_target();
    test_pointwise_losses();
    test_pointwise_edge_cases();
    return CHECK_SUMMARY();
}
