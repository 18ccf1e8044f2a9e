/* test_loss.c - unit tests of the loss kernels (../kernels/loss.c) without
 * Python: each kernel against a direct, slow reference written from the
 * formulas. (Their gradients are ops, tested from Python with gradcheck.) */
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

enum { N = 3, C = 5, S = 2 };

static void test_nll_loss_rejects_bad_target(void) {
    double x[2 * 3] = {0};
    double loss[2], wsum;
    int64_t t[2] = {1, 3}, bad = 0;
    pn_nll_loss_args a = {2, 3, 1, t, NULL, -100};
    int rc = pn_nll_loss_forward(PN_FLOAT64, &a, x, loss, &wsum, &bad);
    CHECK(rc == PN_EINVAL && bad == 3, "target 3 of 3 classes is out of range (rc %d bad %lld)", rc,
          (long long)bad);
    t[1] = -1;
    rc = pn_nll_loss_forward(PN_FLOAT64, &a, x, loss, &wsum, &bad);
    CHECK(rc == PN_EINVAL && bad == -1, "nll: target -1 is out of range");
    t[1] = -100; /* the ignore index is not an error */
    rc = pn_nll_loss_forward(PN_FLOAT64, &a, x, loss, &wsum, &bad);
    CHECK(rc == PN_OK && loss[1] == 0 && wsum == 1, "ignored target contributes 0");
}

static void test_nll_loss_and_backward(void) {
    double logp[N * C * S], loss[N * S], q[N * C * S], w[C] = {1, 2, 3, 4, 5};
    double wsum;
    int64_t t[N * S] = {1, 0, -100, 4, 2, 2}, bad;
    for (int k = 0; k < N * C * S; k++) logp[k] = -0.1 * (k + 1);
    pn_nll_loss_args a = {N, C, S, t, w, -100};
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
    double m1 = -1, g[N * S], dx[N * C * S];
    pn_nll_loss_backward(PN_FLOAT64, &a, &m1, 0, q); /* g = -1: the one-hot q itself */
    double total = 0;
    for (int k = 0; k < N * C * S; k++) total += q[k];
    CHECK(total == wsum, "one-hot target mass %g equals the weight sum", total);
    for (int k = 0; k < C; k++) ok &= q[(0 * C + k) * S + 0] == (k == 1 ? w[1] : 0);
    CHECK(ok, "q holds w_t at the target class of position (0, 0) and 0 elsewhere");
    for (int k = 0; k < N * S; k++) g[k] = 0.5 * (k + 1) * (k % 2 ? -1 : 1);
    pn_nll_loss_backward(PN_FLOAT64, &a, g, 1, dx); /* a gradient per position */
    for (int n = 0; n < N; n++)
        for (int k = 0; k < C; k++)
            for (int s = 0; s < S; s++) {
                int64_t tt = t[n * S + s];
                double gv = g[n * S + s], d = dx[(n * C + k) * S + s];
                ok &= tt == k ? d == -gv * w[k] : d == 0 && signbit(d) == (gv >= 0);
            }
    CHECK(ok, "dx = -g w_t at each target, -(g 0) elsewhere, per position");
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
    double x[M], y[M], w[M], pw[M], out[M];
    for (int kind = 0; kind < PN_NLOSS; kind++) {
        for (int i = 0; i < M; i++) {
            int prob = kind == PN_LOSS_BCE || kind == PN_LOSS_KL;
            x[i] = kind == PN_LOSS_BCE ? 0.5 + 0.45 * frand(&seed) : 2 * frand(&seed);
            y[i] = prob ? 0.5 + 0.45 * frand(&seed) : 2 * frand(&seed);
            if (kind == PN_LOSS_BCE_LOGITS) y[i] = 0.5 + 0.5 * frand(&seed);
            if (fabs(x[i] - y[i]) < 0.05) x[i] += 0.1; /* keep away from the kinks */
            if (kind == PN_LOSS_BCE && x[i] >= 1) x[i] = 0.9;
            w[i] = 1 + frand(&seed) / 2, pw[i] = 1.5 + frand(&seed);
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
    test_nll_loss_rejects_bad_target();
    test_nll_loss_and_backward();
    test_pointwise_losses();
    test_pointwise_edge_cases();
    return CHECK_SUMMARY();
}
