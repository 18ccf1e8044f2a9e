/* test_optim.c - the fused optimizer kernels against plain reference loops.
 *
 * Each reference is the textbook update written one operation at a time in
 * double precision, the way torch/optim/ spells it. The float64 kernels must
 * agree to 1e-12 relative after 50 steps. The float32 kernels are held to 1e-3
 * against the same double reference: their inputs, gradients and state are
 * rounded to float at every step and the errors feed back through g = p - c,
 * which gives differences up to ~1e-4, while a wrong formula is off by O(1).
 * (Their precision is pinned down in tests/test_optim.py, at 1e-6 against
 * torch's float32 optimizers given identical gradients.) A gradient that depends on the
 * parameter (g = p - c + noise) makes every option feed back into later steps.
 */
#include "../kernels/optim.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#define N     37 /* not a multiple of any vector width: exercises loop tails */
#define STEPS 50

static double noise(int t, int i) {
    return 0.1 * sin(1.7 * t + 0.37 * i * i);
}
static double target(int i) {
    return cos(0.5 * i);
}
static double start(int i) {
    return 0.3 * i - 5.0;
}

/* largest |a - b| / (|a| + 1e-3) over n values */
static double max_rel(const double *a, const double *b, int n) {
    double m = 0;
    for (int i = 0; i < n; i++) {
        double r = fabs(a[i] - b[i]) / (fabs(a[i]) + 1e-3);
        if (r > m || r != r) m = r != r ? INFINITY : r;
    }
    return m;
}

/* ------------------------------------------------------------ references ---- */

static void ref_sgd(double *p, const pn_sgd_args *a) {
    double buf[N];
    for (int t = 1; t <= STEPS; t++)
        for (int i = 0; i < N; i++) {
            double g = p[i] - target(i) + noise(t, i);
            if (a->maximize) g = -g;
            g += a->weight_decay * p[i];
            if (a->momentum != 0) {
                buf[i] = t == 1 ? g : a->momentum * buf[i] + (1 - a->dampening) * g;
                g = a->nesterov ? g + a->momentum * buf[i] : buf[i];
            }
            p[i] -= a->lr * g;
        }
}

static void ref_adam(double *p, const pn_adam_args *a) {
    double m[N] = {0}, v[N] = {0}, vmax[N] = {0};
    for (int t = 1; t <= STEPS; t++)
        for (int i = 0; i < N; i++) {
            double g = p[i] - target(i) + noise(t, i);
            if (a->maximize) g = -g;
            if (a->decoupled)
                p[i] *= 1 - a->lr * a->weight_decay;
            else
                g += a->weight_decay * p[i];
            m[i] = a->beta1 * m[i] + (1 - a->beta1) * g;
            v[i] = a->beta2 * v[i] + (1 - a->beta2) * g * g;
            double vv = v[i];
            if (a->amsgrad) vv = vmax[i] = fmax(vmax[i], v[i]);
            double mhat = m[i] / (1 - pow(a->beta1, t)), vhat = vv / (1 - pow(a->beta2, t));
            p[i] -= a->lr * mhat / (sqrt(vhat) + a->eps);
        }
}

static void ref_adagrad(double *p, const pn_adagrad_args *a, double init) {
    double s[N];
    for (int i = 0; i < N; i++) s[i] = init;
    for (int t = 1; t <= STEPS; t++)
        for (int i = 0; i < N; i++) {
            double g = p[i] - target(i) + noise(t, i);
            if (a->maximize) g = -g;
            g += a->weight_decay * p[i];
            double clr = a->lr / (1 + (t - 1) * a->lr_decay);
            s[i] += g * g;
            p[i] -= clr * g / (sqrt(s[i]) + a->eps);
        }
}

static void ref_adadelta(double *p, const pn_adadelta_args *a) {
    double sq[N] = {0}, acc[N] = {0};
    for (int t = 1; t <= STEPS; t++)
        for (int i = 0; i < N; i++) {
            double g = p[i] - target(i) + noise(t, i);
            if (a->maximize) g = -g;
            g += a->weight_decay * p[i];
            sq[i] = a->rho * sq[i] + (1 - a->rho) * g * g;
            double delta = sqrt(acc[i] + a->eps) / sqrt(sq[i] + a->eps) * g;
            acc[i] = a->rho * acc[i] + (1 - a->rho) * delta * delta;
            p[i] -= a->lr * delta;
        }
}

static void ref_rmsprop(double *p, const pn_rmsprop_args *a) {
    double sq[N] = {0}, ga[N] = {0}, buf[N] = {0};
    for (int t = 1; t <= STEPS; t++)
        for (int i = 0; i < N; i++) {
            double g = p[i] - target(i) + noise(t, i);
            if (a->maximize) g = -g;
            g += a->weight_decay * p[i];
            sq[i] = a->alpha * sq[i] + (1 - a->alpha) * g * g;
            double avg;
            if (a->centered) {
                ga[i] = a->alpha * ga[i] + (1 - a->alpha) * g;
                avg = sqrt(sq[i] - ga[i] * ga[i]) + a->eps;
            } else {
                avg = sqrt(sq[i]) + a->eps;
            }
            if (a->momentum > 0) {
                buf[i] = a->momentum * buf[i] + g / avg;
                p[i] -= a->lr * buf[i];
            } else {
                p[i] -= a->lr * g / avg;
            }
        }
}

/* -------------------------------------------------------- kernel drivers ---- */
/* Run STEPS steps of a kernel on float32 or float64 buffers, then widen p to double. */

typedef enum { K_SGD, K_ADAM, K_ADAGRAD, K_ADADELTA, K_RMSPROP } kind;

static int run_kernel(kind k, pn_dtype dt, const void *args, double init, double *out) {
    size_t sz = dt == PN_FLOAT32 ? 4 : 8;
    char *p = calloc(N, sz), *g = calloc(N, sz), *s[3];
    for (int j = 0; j < 3; j++) s[j] = calloc(N, sz);
    for (int i = 0; i < N; i++) {
        if (dt == PN_FLOAT32) {
            ((float *)p)[i] = (float)start(i);
            ((float *)s[0])[i] = (float)init;
        } else {
            ((double *)p)[i] = start(i);
            ((double *)s[0])[i] = init;
        }
    }
    int rc = PN_OK;
    for (int t = 1; t <= STEPS && rc == PN_OK; t++) {
        for (int i = 0; i < N; i++) { /* the gradient at the current parameters */
            if (dt == PN_FLOAT32) {
                float *P = (float *)p;
                ((float *)g)[i] = P[i] - (float)target(i) + (float)noise(t, i);
            } else {
                double *P = (double *)p;
                ((double *)g)[i] = P[i] - target(i) + noise(t, i);
            }
        }
        switch (k) {
        case K_SGD: {
            pn_sgd_args a = *(const pn_sgd_args *)args;
            a.first = t == 1;
            rc = pn_sgd_step(dt, p, g, s[0], N, &a);
            break;
        }
        case K_ADAM: {
            pn_adam_args a = *(const pn_adam_args *)args;
            a.step = t;
            rc = pn_adam_step(dt, p, g, s[0], s[1], s[2], N, &a);
            break;
        }
        case K_ADAGRAD: {
            pn_adagrad_args a = *(const pn_adagrad_args *)args;
            a.step = t;
            rc = pn_adagrad_step(dt, p, g, s[0], N, &a);
            break;
        }
        case K_ADADELTA:
            rc = pn_adadelta_step(dt, p, g, s[0], s[1], N, args);
            break;
        case K_RMSPROP:
            rc = pn_rmsprop_step(dt, p, g, s[0], s[1], s[2], N, args);
            break;
        }
    }
    for (int i = 0; i < N; i++)
        out[i] = dt == PN_FLOAT32 ? (double)((float *)p)[i] : ((double *)p)[i];
    free(p);
    free(g);
    for (int j = 0; j < 3; j++) free(s[j]);
    return rc;
}

static void compare(const char *what, kind k, const void *args, double init, const double *ref) {
    double out[N];
    int rc = run_kernel(k, PN_FLOAT64, args, init, out);
    double e64 = max_rel(ref, out, N);
    CHECK(rc == PN_OK && e64 < 1e-12, "%s float64: rc %d, max rel error %g", what, rc, e64);
    rc = run_kernel(k, PN_FLOAT32, args, init, out);
    double e32 = max_rel(ref, out, N);
    CHECK(rc == PN_OK && e32 < 1e-3, "%s float32: rc %d, max rel error %g", what, rc, e32);
}

/* The result must move when an option changes: guards against ignored options. */
static void differs(const char *what, kind k, const void *a1, const void *a2, double init) {
    double x[N], y[N];
    run_kernel(k, PN_FLOAT64, a1, init, x);
    run_kernel(k, PN_FLOAT64, a2, init, y);
    CHECK(max_rel(x, y, N) > 1e-6, "%s: changing the option changed nothing", what);
}

static void test_sgd(void) {
    for (int mask = 0; mask < 32; mask++) {
        pn_sgd_args a = {.lr = 0.05,
                         .momentum = mask & 1 ? 0.9 : 0,
                         .dampening = mask & 2 ? 0.3 : 0,
                         .weight_decay = mask & 4 ? 0.1 : 0,
                         .nesterov = (mask & 8) != 0,
                         .maximize = (mask & 16) != 0};
        if (a.nesterov && (a.momentum == 0 || a.dampening != 0)) continue;
        double p[N];
        for (int i = 0; i < N; i++) p[i] = start(i);
        ref_sgd(p, &a);
        char name[64];
        snprintf(name, sizeof name, "sgd options %d", mask);
        compare(name, K_SGD, &a, 0, p);
    }
    pn_sgd_args a = {.lr = 0.05, .momentum = 0.9}, b = a;
    b.dampening = 0.3;
    differs("sgd dampening", K_SGD, &a, &b, 0);
    b = a, b.nesterov = 1;
    differs("sgd nesterov", K_SGD, &a, &b, 0);
    CHECK(pn_sgd_step(PN_INT64, NULL, NULL, NULL, 0, &a) == PN_EINVAL, "sgd rejects int64");
    CHECK(pn_sgd_step(PN_FLOAT32, NULL, NULL, NULL, 0, &a) == PN_EINVAL,
          "sgd momentum needs a buffer");
}

static void test_adam(void) {
    for (int mask = 0; mask < 32; mask++) {
        pn_adam_args a = {.lr = 0.05,
                          .beta1 = mask & 1 ? 0.8 : 0.9,
                          .beta2 = 0.999,
                          .eps = mask & 2 ? 1e-2 : 1e-8,
                          .weight_decay = mask & 4 ? 0.1 : 0,
                          .amsgrad = (mask & 8) != 0,
                          .maximize = (mask & 16) != 0};
        for (int dec = 0; dec < 2; dec++) {
            a.decoupled = dec;
            double p[N];
            for (int i = 0; i < N; i++) p[i] = start(i);
            ref_adam(p, &a);
            char name[64];
            snprintf(name, sizeof name, "adam options %d decoupled %d", mask, dec);
            compare(name, K_ADAM, &a, 0, p);
        }
    }
    pn_adam_args a = {.lr = 0.05, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8, .weight_decay = 0.1};
    pn_adam_args b = a;
    b.decoupled = 1;
    differs("adam decoupled", K_ADAM, &a, &b, 0);
    b = a, b.amsgrad = 1;
    differs("adam amsgrad", K_ADAM, &a, &b, 0);
    b = a, b.beta2 = 0.9;
    differs("adam beta2", K_ADAM, &a, &b, 0);
    CHECK(pn_adam_step(PN_FLOAT32, NULL, NULL, NULL, NULL, NULL, 0, &b) == PN_OK, "empty ok");
    b.amsgrad = 1;
    CHECK(pn_adam_step(PN_FLOAT32, NULL, NULL, NULL, NULL, NULL, 0, &b) == PN_EINVAL,
          "amsgrad needs max_exp_avg_sq");
}

static void test_adagrad(void) {
    for (int mask = 0; mask < 32; mask++) {
        pn_adagrad_args a = {.lr = 0.05,
                             .lr_decay = mask & 1 ? 0.05 : 0,
                             .weight_decay = mask & 2 ? 0.1 : 0,
                             .eps = mask & 4 ? 1e-2 : 1e-10,
                             .maximize = (mask & 8) != 0};
        double init = mask & 16 ? 0.5 : 0, p[N];
        for (int i = 0; i < N; i++) p[i] = start(i);
        ref_adagrad(p, &a, init);
        char name[64];
        snprintf(name, sizeof name, "adagrad options %d", mask);
        compare(name, K_ADAGRAD, &a, init, p);
    }
    pn_adagrad_args a = {.lr = 0.05, .eps = 1e-10}, b = a;
    b.lr_decay = 0.05;
    differs("adagrad lr_decay", K_ADAGRAD, &a, &b, 0);
}

static void test_adadelta(void) {
    for (int mask = 0; mask < 32; mask++) {
        pn_adadelta_args a = {.lr = mask & 1 ? 0.5 : 1.0,
                              .rho = mask & 2 ? 0.5 : 0.9,
                              .eps = mask & 4 ? 1e-2 : 1e-6,
                              .weight_decay = mask & 8 ? 0.1 : 0,
                              .maximize = (mask & 16) != 0};
        double p[N];
        for (int i = 0; i < N; i++) p[i] = start(i);
        ref_adadelta(p, &a);
        char name[64];
        snprintf(name, sizeof name, "adadelta options %d", mask);
        compare(name, K_ADADELTA, &a, 0, p);
    }
}

static void test_rmsprop(void) {
    for (int mask = 0; mask < 64; mask++) {
        pn_rmsprop_args a = {.lr = 0.01,
                             .alpha = mask & 1 ? 0.8 : 0.99,
                             .eps = mask & 2 ? 1e-2 : 1e-8,
                             .weight_decay = mask & 4 ? 0.1 : 0,
                             .momentum = mask & 8 ? 0.5 : 0,
                             .centered = (mask & 16) != 0,
                             .maximize = (mask & 32) != 0};
        double p[N];
        for (int i = 0; i < N; i++) p[i] = start(i);
        ref_rmsprop(p, &a);
        char name[64];
        snprintf(name, sizeof name, "rmsprop options %d", mask);
        compare(name, K_RMSPROP, &a, 0, p);
    }
    pn_rmsprop_args a = {.lr = 0.01, .alpha = 0.99, .eps = 1e-8}, b = a;
    b.centered = 1;
    CHECK(pn_rmsprop_step(PN_FLOAT64, NULL, NULL, NULL, NULL, NULL, 0, &b) == PN_EINVAL,
          "centered needs grad_avg");
    differs("rmsprop centered", K_RMSPROP, &a, &b, 0);
}

/* A large buffer: many parallel chunks must together cover every element once. */
static void test_large_buffer(void) {
    const int64_t n = 100003;
    float *p = malloc(n * sizeof *p), *g = malloc(n * sizeof *g);
    float *m = calloc(n, sizeof *m), *v = calloc(n, sizeof *v);
    for (int64_t i = 0; i < n; i++) p[i] = 1.0f, g[i] = (float)(i % 7) - 3.0f;
    pn_adam_args a = {.lr = 0.1, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8, .step = 1};
    pn_adam_step(PN_FLOAT32, p, g, m, v, NULL, n, &a);
    int ok = 1;
    for (int64_t i = 0; i < n; i++) {
        /* first Adam step: p -= lr * sign(g) (up to eps) */
        float gi = g[i], want = gi == 0 ? 1.0f : 1.0f - 0.1f * (gi > 0 ? 1.0f : -1.0f);
        ok &= fabsf(p[i] - want) < 1e-6f;
    }
    CHECK(ok, "first adam step is lr * sign(g) over a large buffer");
    free(p), free(g), free(m), free(v);
}

int main(void) {
    test_sgd();
    test_adam();
    test_adagrad();
    test_adadelta();
    test_rmsprop();
    test_large_buffer();
    return CHECK_SUMMARY();
}
