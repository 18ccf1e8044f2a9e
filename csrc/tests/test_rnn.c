/* test_rnn.c - unit tests of the recurrent layer kernels (rnn.c) without Python:
 * the float tanh/sigmoid against libm (and the tanh op's exact one), and for every mode (tanh,
 * relu, LSTM, LSTM with projection, GRU), both directions, padded and packed batches, the backward
 * against central finite differences of the forward in double. */
#include "../kernels/fastmath.h"
#include "../kernels/rnn.h"
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

enum { T = 4, B = 3, H = 3 };
static const int64_t PACKED[T] = {3, 3, 2, 1};

static double frand(unsigned *s) {
    *s = *s * 1103515245u + 12345u;
    return ((*s >> 8) & 0xffff) / 32768.0 - 1.0;
}

/* ulps between two floats of the same sign */
static double ulps(float a, double ref) {
    float r = (float)ref;
    return fabs((double)a - ref) / fmax(nextafterf(fabsf(r), INFINITY) - fabsf(r), 1e-45);
}

static void test_fast_functions(void) {
    double worst_t = 0, worst_s = 0;
    for (float x = -10.0f; x <= 10.0f; x += 1.0f / 4096.0f) {
        worst_t = fmax(worst_t, ulps(pn_tanhf(x), tanh((double)x)));
        worst_s = fmax(worst_s, ulps(pn_sigmoidf(x), 1.0 / (1.0 + exp(-(double)x))));
    }
    CHECK(worst_t <= 4.0, "pn_tanhf is %.2f ulp from tanh", worst_t);
    CHECK(worst_s <= 4.0, "pn_sigmoidf is %.2f ulp from the logistic", worst_s);
    CHECK(pn_tanhf(1e-30f) == 1e-30f && pn_tanhf(-0.0f) == 0.0f && signbit(pn_tanhf(-0.0f)),
          "tanh keeps tiny values and the sign of zero");
    CHECK(pn_tanhf(INFINITY) == 1.0f && pn_tanhf(-INFINITY) == -1.0f && pn_tanhf(60.0f) == 1.0f,
          "tanh saturates at +-1");
    CHECK(isnan(pn_tanhf(NAN)) && isnan(pn_sigmoidf(NAN)), "NaN propagates");
}

/* pn_tanhf_exact (the tanh op's float32 kernel, float arithmetic with the
 * roundings compensated) over every 37th float of [-10, 10] (about 60 million
 * values, subnormals included) against libm's double tanh: within 0.57 ulp
 * (every float: 0.565); special values as libm. */
static void test_tanh_exact(void) {
    double worst = 0;
    uint32_t hi = 0x41200000u; /* the bits of 10.0f */
    for (uint32_t b = 0; b <= hi; b += 37)
        for (int sgn = 0; sgn < 2; sgn++) {
            uint32_t bits = b | (sgn ? 0x80000000u : 0);
            float x;
            memcpy(&x, &bits, sizeof x);
            worst = fmax(worst, ulps(pn_tanhf_exact(x), tanh((double)x)));
        }
    CHECK(worst <= 0.57, "pn_tanhf_exact is %.3f ulp from tanh", worst);
    CHECK(pn_tanhf_exact(-0.0f) == 0.0f && signbit(pn_tanhf_exact(-0.0f)) &&
              !signbit(pn_tanhf_exact(0.0f)) && pn_tanhf_exact(1e-40f) == 1e-40f,
          "tanh keeps subnormals and the sign of zero");
    CHECK(pn_tanhf_exact(INFINITY) == 1.0f && pn_tanhf_exact(-INFINITY) == -1.0f &&
              pn_tanhf_exact(9.5f) == tanhf(9.5f) && pn_tanhf_exact(-FLT_MAX) == -1.0f &&
              pn_tanhf_exact(10.5f) == 1.0f && pn_tanhf_exact(-0.25f) == tanhf(-0.25f),
          "tanh saturates at +-1");
    CHECK(isnan(pn_tanhf_exact(NAN)), "NaN propagates");
}

/* One layer's inputs and record, all double. */
typedef struct {
    double xg[T * B * 4 * H], w_hh[4 * H * H], b_hh[4 * H], w_hr[H * H], h0[B * H], c0[B * H];
    double gates[T * B * 4 * H], hprev[T * B * H], cprev[T * B * H], aux[T * B * H],
        htil[T * B * H], y[T * B * H], h[B * H], c[B * H];
    /* the loss is <y, wy> + <h_n, wh> + <c_n, wc> */
    double wy[T * B * H], wh[B * H], wc[B * H];
} layer;

static pn_rnn_args args_of(layer *l, int mode, int P, int proj, int reverse, int packed) {
    pn_rnn_args a = {mode,     reverse,  PN_FLOAT64, T,
                     B,        H,        P,          packed ? PACKED : NULL,
                     l->xg,    l->w_hh,  l->b_hh,    proj ? l->w_hr : NULL,
                     l->gates, l->hprev, l->cprev,   l->aux,
                     l->htil,  l->y,     l->h,       l->c};
    return a;
}

static double loss(layer *l, const pn_rnn_args *a, int64_t N) {
    memcpy(l->h, l->h0, sizeof l->h), memcpy(l->c, l->c0, sizeof l->c);
    if (pn_rnn_forward(a)) return NAN;
    double s = 0;
    for (int64_t k = 0; k < N * a->P; k++) s += l->y[k] * l->wy[k];
    for (int64_t k = 0; k < B * a->P; k++) s += l->h[k] * l->wh[k];
    for (int64_t k = 0; k < B * H; k++) s += a->mode == PN_RNN_LSTM ? l->c[k] * l->wc[k] : 0;
    return s;
}

/* The largest |analytic - numeric| over the n entries of p, relative to 1 + |numeric|. */
static double fd_error(layer *l, const pn_rnn_args *a, int64_t N, double *p, const double *grad,
                       int64_t n) {
    double worst = 0;
    for (int64_t k = 0; k < n; k++) {
        double keep = p[k], e = 1e-6;
        p[k] = keep + e;
        double up = loss(l, a, N);
        p[k] = keep - e;
        double down = loss(l, a, N);
        p[k] = keep;
        double num = (up - down) / (2 * e);
        worst = fmax(worst, fabs(grad[k] - num) / (1 + fabs(num)));
    }
    return worst;
}

static void test_backward(int mode, int proj, int reverse, int packed) {
    static layer l;
    unsigned seed = 7u + (unsigned)(mode * 8 + proj * 4 + reverse * 2 + packed);
    int P = proj ? 2 : H, G = pn_rnn_gates(mode) * H;
    int64_t N = packed ? 9 : T * B;
    double *all = (double *)&l;
    for (size_t k = 0; k < sizeof l / sizeof(double); k++) all[k] = frand(&seed);
    pn_rnn_args a = args_of(&l, mode, P, proj, reverse, packed);
    loss(&l, &a, N); /* the record the backward reads */
    static double dxg[T * B * 4 * H], dw_hh[4 * H * H], db_hh[4 * H], dw_hr[H * H], dh[B * H],
        dc[B * H];
    memcpy(dh, l.wh, sizeof dh), memcpy(dc, l.wc, sizeof dc);
    pn_rnn_grads d = {
        l.wy, dh, mode == PN_RNN_LSTM ? dc : NULL, dxg, dw_hh, db_hh, proj ? dw_hr : NULL};
    CHECK(pn_rnn_backward(&a, &d) == 0, "backward runs");
    double err = fd_error(&l, &a, N, l.xg, dxg, N * G);
    err = fmax(err, fd_error(&l, &a, N, l.w_hh, dw_hh, (int64_t)G * P));
    err = fmax(err, fd_error(&l, &a, N, l.b_hh, db_hh, G));
    err = fmax(err, fd_error(&l, &a, N, l.h0, dh, (int64_t)B * P));
    if (mode == PN_RNN_LSTM) err = fmax(err, fd_error(&l, &a, N, l.c0, dc, B * H));
    if (proj) err = fmax(err, fd_error(&l, &a, N, l.w_hr, dw_hr, (int64_t)P * H));
    CHECK(err < 1e-7, "mode %d proj %d reverse %d packed %d: gradient off by %g", mode, proj,
          reverse, packed, err);
}

/* Packed rows that have finished keep their state: a sequence of length 1 in a
 * forward packed batch ends with the state of its first step. */
static void test_packed_final_state(void) {
    static layer l;
    unsigned seed = 3;
    double *all = (double *)&l;
    for (size_t k = 0; k < sizeof l / sizeof(double); k++) all[k] = frand(&seed);
    pn_rnn_args a = args_of(&l, PN_RNN_TANH, H, 0, 0, 1);
    loss(&l, &a, 9);
    /* PACKED = {3, 3, 2, 1}: batch row 2 ends at step 1 (record rows 3..5), row 1 at step 2 */
    CHECK(memcmp(l.h + 2 * H, l.y + 5 * H, H * sizeof(double)) == 0, "row 2 ends at step 1");
    CHECK(memcmp(l.h + 1 * H, l.y + 7 * H, H * sizeof(double)) == 0, "row 1 ends at step 2");
    CHECK(memcmp(l.h, l.y + 8 * H, H * sizeof(double)) == 0, "row 0 ends at step 3");
}

int main(void) {
    test_fast_functions();
    test_tanh_exact();
    int modes[] = {PN_RNN_TANH, PN_RNN_RELU, PN_RNN_LSTM, PN_RNN_GRU};
    for (int m = 0; m < 4; m++)
        for (int proj = 0; proj <= (modes[m] == PN_RNN_LSTM); proj++)
            for (int rev = 0; rev < 2; rev++)
                for (int packed = 0; packed < 2; packed++)
                    test_backward(modes[m], proj, rev, packed);
    test_packed_final_state();
    return CHECK_SUMMARY();
}
