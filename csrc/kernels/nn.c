/* nn.c - see nn.h. Each kernel is written once as a macro over the element
 * type T and instantiated for float and double, one line per function, which
 * names it; arithmetic is done in double. */
#include "nn.h"
#include "cpuinfo.h"
#include "elementwise.h"
#include "fastmath.h"
#include "threadpool.h"
#include "vecmath.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SQRT1_2        0.70710678118654752440 /* 1 / sqrt(2)      */
#define INV_SQRT_2PI   0.39894228040143267794 /* 1 / sqrt(2 pi)   */
#define SQRT_2_OVER_PI 0.79788456080286535588 /* sqrt(2 / pi)     */
#define GELU_C         0.044715
#define SELU_ALPHA     1.6732632423543772848170429916717
#define SELU_SCALE     1.0507009873554804934193349852946

/* ---------------------------------------------------------- activations ---- */

/* The activations compute in double with vecmath.h's exp, expm1 and log1p, which
 * are written without calls or branches, so a loop over one activation vectorizes
 * (libm's are calls, one element at a time); their relative error is below 1e-15,
 * far under a float's 6e-8, so a float result is the correctly rounded one but for
 * rare near-halfway cases. */

/* exp for every double: pn_exp_v_d covers [-707, 709.78]; below -700 the result is
 * taken as exp(y + 64 ln2) 2^-64 (an exact scaling) down to where it is 0, and above
 * log(DBL_MAX) it is inf. NaN passes through the comparisons. */
PN_VINLINE double act_exp(double y) {
    const double ln2_64 = 44.361419555836499, max = 709.782712893384;
    double z = y < -700.0 ? y + ln2_64 : y;
    z = z < -707.0 ? -707.0 : z > max ? max : z;
    double e = pn_exp_v_d(z);
    return y > max ? INFINITY : y < -700.0 ? e * 0x1p-64 : e;
}

PN_VINLINE double sigmoid(double x) {
    return 1.0 / (1.0 + act_exp(-x));
}

/* log(1 + exp(z)) for z <= 0 (NaN passes): e = exp(z) in (0, 1], u = 1 + e rounded,
 * its rounding error d = e - (u - 1) recovered exactly, and log(1 + e) = log u + d/u.
 * (Written out rather than as pn_log1p_d(exp): GCC 12 does not vectorize that
 * combination after the clamp.) */
PN_VINLINE double log1p_exp(double z) {
    z = z < -707.0 ? -707.0 : z;
    double e = pn_exp_v_d(z), u = 1.0 + e, d = e - (u - 1.0);
    return pn_log_d(u) + d / u;
}

/* log(1 + exp(x)) without overflow: max(x, 0) + log1p(exp(-|x|)) */
PN_VINLINE double softplus1(double x) {
    return (x > 0 ? x : 0.0) + log1p_exp(-fabs(x));
}

/* Mish: t = tanh(softplus(x)) and s = sigmoid(x) = softplus'(x), from which
 * f = x t, f' = t + x (1 - t^2) s, and (with t' = (1 - t^2) s, s' = s (1 - s))
 * f'' = (1 - t^2) s (2 + x ((1 - s) - 2 t s)).
 * All from one exponential: with e = exp(x), exp(softplus(x)) = 1 + e, so
 *   t = ((1 + e)^2 - 1) / ((1 + e)^2 + 1) = w / (w + 2),  w = e (e + 2),
 *   1 - t^2 = 4 (w + 1) / (w + 2)^2,  s = e / (1 + e),  1 - s = 1 / (1 + e),
 * each a few roundings in double (t to ~4e-16 relative, no cancellation for any
 * x). e is taken at min(x, 20): above, t is 1 in double (1 - t < 1e-17), and
 * 1 - t^2 = 4 exp(-2x) is taken as 0 (x (1 - t^2) s < 4e-16 relative to t; the
 * capped e would give x times 4 exp(-40), wrong for large x). NaN passes. */
typedef struct {
    double t, omt2, s, oms; /* t, 1 - t^2, s, 1 - s */
} mish_parts;
PN_VINLINE mish_parts mish_of(double x) {
    double e = act_exp(x > 20.0 ? 20.0 : x), w = e * (e + 2.0), inv = 1.0 / (w + 2.0);
    double u = 1.0 / (1.0 + e);
    mish_parts m = {w * inv, x > 20.0 ? 0.0 : 4.0 * (w + 1.0) * inv * inv, e * u, u};
    return m;
}

/* The piecewise-linear activations, written once over the element type T and
 * computed in it, as PyTorch computes them: float32 results are PyTorch's bits, in
 * 8-lane float vectors. f(x) and f'(x); at the kinks (leaky_relu at 0, hardtanh at
 * its bounds, +-3, the shrink bounds) the value PyTorch uses is taken, and NaN goes
 * where PyTorch's does (see each line). */
#define DEFINE_PIECEWISE(T) \
    PN_VINLINE T pw_f_##T(pn_act act, T a, T b, T x) { \
        switch (act) { \
        case PN_ACT_LEAKY_RELU: \
            return x > 0 ? x : x * a; \
        case PN_ACT_HARDTANH: /* NaN passes through */ \
            return x < a ? a : x > b ? b : x; \
        case PN_ACT_HARDSIGMOID: /* NaN propagates: both comparisons are false */ \
            return (x + 3 < 0 ? 0 : x + 3 > 6 ? 6 : x + 3) / 6; \
        case PN_ACT_HARDSWISH: \
            return x * (x + 3 < 0 ? 0 : x + 3 > 6 ? 6 : x + 3) / 6; \
        case PN_ACT_THRESHOLD: /* a NaN is not <= the threshold: it passes */ \
            return x <= a ? b : x; \
        case PN_ACT_HARDSHRINK: \
            return x >= -a && x <= a ? 0 : x; \
        case PN_ACT_SOFTSHRINK: /* +0 inside the band, a NaN passes */ \
            return x >= -a && x <= a ? 0 : x > 0 ? x - a : x + a; \
        default: \
            return NAN; \
        } \
    } \
    PN_VINLINE T pw_d1_##T(pn_act act, T a, T b, T x) { \
        switch (act) { \
        case PN_ACT_LEAKY_RELU: \
            return x > 0 ? 1 : a; \
        case PN_ACT_HARDTANH: /* 0 at and beyond the bounds; a NaN passes the gradient */ \
            return x <= a || x >= b ? 0 : 1; \
        case PN_ACT_HARDSIGMOID: /* 1/6 strictly inside (-3, 3) */ \
            return x > -3 && x < 3 ? (T)1 / 6 : 0; \
        case PN_ACT_HARDSWISH: /* 0 up to -3, x/3 + 1/2 below 3, 1 from 3 (and NaN) */ \
            return x <= -3 ? 0 : x < 3 ? x / 3 + (T)0.5 : 1; \
        case PN_ACT_THRESHOLD: \
            return x <= a ? 0 : 1; \
        case PN_ACT_HARDSHRINK: /* 0 in the closed band; outside, and a NaN, get 1 */ \
        case PN_ACT_SOFTSHRINK: \
            return x >= -a && x <= a ? 0 : 1; \
        default: \
            return NAN; \
        } \
    }
DEFINE_PIECEWISE(float)
DEFINE_PIECEWISE(double)

/* Whether act is one of DEFINE_PIECEWISE's (f and f' come from there). */
PN_VINLINE int act_is_piecewise(pn_act act) {
    return act == PN_ACT_LEAKY_RELU || act == PN_ACT_HARDTANH || act == PN_ACT_HARDSIGMOID ||
           act == PN_ACT_HARDSWISH || act == PN_ACT_THRESHOLD || act == PN_ACT_HARDSHRINK ||
           act == PN_ACT_SOFTSHRINK;
}

/* The standard normal distribution function Phi(x) = erfc(-x / sqrt 2) / 2, from
 * libm's erfc so that the negative tail keeps its relative accuracy (1 + erf(x / sqrt 2)
 * cancels to 0 there: GELU(-8.4) would be 0 instead of -2.2e-16). */
static inline double phi_cdf(double x) {
    return 0.5 * erfc(-x * SQRT1_2);
}

/* GELU's tanh form through the logistic function, never forming 1 + tanh(u), which
 * cancels where u is very negative (from x = -5.9 on it was 0 in double while the
 * result is a float down to x = -10.3; PyTorch's float32 kernel has the same loss):
 *   y   = 0.5 x (1 + tanh u) = x s,  s = sigmoid(2u) = 1 / (1 + e),  e = exp(-2u),
 *   y'  = s + 2 x s (1 - s) u',  u = k (x + c x^3),  u' = k (1 + 3 c x^2),
 *   y'' = 4 s (1 - s) (u' + x (u''/2 - (2s - 1) u'^2)),  u'' = 6 k c x,
 * (4 s (1 - s) = 1 - tanh^2 u), with 1 - s = e s where s > 1/2 (no cancellation)
 * and 1 - s itself elsewhere (e may be inf there). e = GELU_TANH_E(x, EXP): EXP is
 * act_exp in float64, pn_exp_d (relative error below 1e-11) in float32's own gradient
 * loop (the forward's takes a cheaper exp: gelu_tanh_f32), whose results are then
 * rounded correctly but for near-halfway cases. */
#define GELU_TANH_E(x, EXP) EXP(-2.0 * (SQRT_2_OVER_PI * ((x) + GELU_C * (x) * (x) * (x))))
PN_VINLINE double gelu_tanh_f(double x, double e) {
    return x / (1.0 + e);
}
PN_VINLINE double gelu_tanh_d(double x, double e, int order) {
    double s = 1.0 / (1.0 + e), oms = e < 1.0 ? e * s : 1.0 - s;
    double du = SQRT_2_OVER_PI * (1.0 + 3.0 * GELU_C * x * x);
    if (order == 1) return s + 2.0 * x * s * oms * du;
    double ddu = SQRT_2_OVER_PI * 6.0 * GELU_C * x;
    return 4.0 * s * oms * (du + x * (0.5 * ddu - (s - oms) * du * du));
}

/* f(x) */
PN_VINLINE double act_f(const pn_act_args *p, double x) {
    if (act_is_piecewise(p->act)) return pw_f_double(p->act, p->a, p->b, x);
    switch (p->act) {
    case PN_ACT_ELU:
        return x > 0 ? x : p->a * pn_expm1_d(x);
    case PN_ACT_GELU:
        return x * phi_cdf(x);
    case PN_ACT_GELU_TANH:
        return gelu_tanh_f(x, GELU_TANH_E(x, act_exp));
    case PN_ACT_SOFTPLUS:
        return x * p->a > p->b ? x : softplus1(x * p->a) / p->a;
    case PN_ACT_SILU:
        return x * sigmoid(x);
    case PN_ACT_LOGSIGMOID:
        return (x < 0 ? x : 0.0) - log1p_exp(-fabs(x));
    case PN_ACT_MISH:
        return x * mish_of(x).t;
    case PN_ACT_SELU:
        return SELU_SCALE * (x > 0 ? x : SELU_ALPHA * pn_expm1_d(x));
    case PN_ACT_CELU:
        return x > 0 ? x : p->a * pn_expm1_d(x / p->a);
    default:
        return NAN;
    }
}

/* f'(x). At the kinks (leaky_relu and elu at 0, hardtanh at its bounds) the
 * value PyTorch uses is taken: the left branch for x <= 0, zero at a bound. */
PN_VINLINE double act_d1(const pn_act_args *p, double x) {
    if (act_is_piecewise(p->act)) return pw_d1_double(p->act, p->a, p->b, x);
    switch (p->act) {
    case PN_ACT_ELU: /* the left branch for x <= 0; a NaN takes the right one, as PyTorch */
        return x <= 0 ? p->a * act_exp(x) : 1.0;
    case PN_ACT_GELU: /* Phi(x) + x phi(x) */
        return phi_cdf(x) + x * INV_SQRT_2PI * act_exp(-0.5 * x * x);
    case PN_ACT_GELU_TANH:
        return gelu_tanh_d(x, GELU_TANH_E(x, act_exp), 1);
    case PN_ACT_SOFTPLUS:
        return x * p->a > p->b ? 1.0 : sigmoid(x * p->a);
    case PN_ACT_SILU: { /* s + x s (1 - s) */
        double s = sigmoid(x);
        return s * (1.0 + x * (1.0 - s));
    }
    case PN_ACT_LOGSIGMOID: /* sigmoid(-x) */
        return 1.0 / (1.0 + act_exp(x));
    case PN_ACT_MISH: {
        mish_parts m = mish_of(x);
        return m.t + x * m.omt2 * m.s;
    }
    case PN_ACT_SELU:
        return x <= 0 ? SELU_SCALE * SELU_ALPHA * act_exp(x) : SELU_SCALE;
    case PN_ACT_CELU:
        return x <= 0 ? act_exp(x / p->a) : 1.0;
    default:
        return NAN;
    }
}

/* f''(x) */
PN_VINLINE double act_d2(const pn_act_args *p, double x) {
    switch (p->act) {
    case PN_ACT_LEAKY_RELU:
        return 0.0;
    case PN_ACT_ELU:
        return x > 0 ? 0.0 : p->a * act_exp(x);
    case PN_ACT_GELU: /* (Phi + x phi)' = phi + phi - x^2 phi = phi (2 - x^2) */
        return INV_SQRT_2PI * act_exp(-0.5 * x * x) * (2.0 - x * x);
    case PN_ACT_GELU_TANH:
        return gelu_tanh_d(x, GELU_TANH_E(x, act_exp), 2);
    case PN_ACT_SOFTPLUS: {
        if (x * p->a > p->b) return 0.0;
        double s = sigmoid(x * p->a);
        return p->a * s * (1.0 - s);
    }
    case PN_ACT_HARDTANH:
        return 0.0;
    case PN_ACT_SILU: { /* s (1 - s) (2 + x (1 - 2 s)) */
        double s = sigmoid(x);
        return s * (1.0 - s) * (2.0 + x * (1.0 - 2.0 * s));
    }
    case PN_ACT_LOGSIGMOID: { /* -s (1 - s) */
        double s = sigmoid(x);
        return -s * (1.0 - s);
    }
    case PN_ACT_MISH: {
        mish_parts m = mish_of(x);
        return m.omt2 * m.s * (2.0 + x * (m.oms - 2.0 * m.t * m.s));
    }
    case PN_ACT_SELU:
        return x > 0 ? 0.0 : SELU_SCALE * SELU_ALPHA * act_exp(x);
    case PN_ACT_CELU:
        return x > 0 ? 0.0 : act_exp(x / p->a) / p->a;
    case PN_ACT_HARDSWISH:
        return x > -3.0 && x < 3.0 ? 1.0 / 3.0 : 0.0;
    case PN_ACT_HARDSIGMOID:
    case PN_ACT_THRESHOLD:
    case PN_ACT_HARDSHRINK:
    case PN_ACT_SOFTSHRINK:
        return 0.0;
    default:
        return NAN;
    }
}

/* float32 GELU: y = x Phi(x) is elementwise.c's pn_gelu_f32 and its gradient
 * g (Phi(x) + x phi(x)), phi(x) = exp(-x^2 / 2) / sqrt(2 pi), pn_gelu_grad_f32 (tables
 * of polynomials on x86 where |x| < 4, pn_phif elsewhere). The other activations,
 * and float64, are computed in double by act_f / act_d1 in the loops below. */

/* float32 SiLU's gradient is elementwise.c's pn_silu_grad_f32 (fastmath.h's
 * pn_silu_gradf_tab on x86, pn_silu_gradf elsewhere: the derivation is by their
 * macro PN_SILU_GRAD) where pn_silu_grad_holds(x) (x >= -87; below, s is not a normal
 * float), and the other elements are recomputed in double (sigmoid_fixup_f32). */

/* float32 softplus with beta = 1 (F.softplus's default), logsigmoid and SiLU's
 * forward, in float arithmetic with compensated roundings. softplus and logsigmoid are
 * elementwise.c's pn_softplus_f32 (fastmath.h's pn_softplusf_tab on x86, a table of
 * polynomials: within 1.03 ulp, 0.7532 for subnormal results; pn_softplusf elsewhere:
 * 0.57, 0.76; twice the lanes of double). PyTorch's rule x * beta > threshold is x >=
 * xt, xt the least float above the threshold (softplus_threshold_f32). logsigmoid(x) =
 * -softplus(-x), its zero made +0 as min(x, 0) - log1p(exp(-|x|)) gives. g sigmoid(x)
 * (the gradients) is elementwise.c's pn_softplus_grad_f32: g times the unrounded pair
 * of the logistic split, one rounding (the scaling by 2^n rounds again only for
 * subnormal results; fastmath.h's pn_g_sigmoidf_tab on x86, pn_g_sigmoidf elsewhere),
 * where pn_g_sigmoid_holds: x >= -104 (the pairs cap their argument there, while g
 * sigmoid(x) is a float down to x = -193) and |g| <= 2^126 (g hi must not overflow).
 * silu(x) = x sigmoid(x) is elementwise.c's pn_silu_f32 (fastmath.h's pn_siluf_tab on
 * x86: within 1.49 ulp; pn_siluf elsewhere: 1.7) where pn_silu_holds(x) (x >= -87:
 * below, exp(x) has lost bits that x would magnify; x <= 2^126). The loops return 0
 * when an element is outside, and the caller recomputes those elements in double
 * (sigmoid_fixup_f32). */
static float softplus_threshold_f32(double threshold) {
    if (!(threshold < INFINITY)) return NAN; /* nothing is above inf or NaN */
    float f = (float)threshold;
    return (double)f > threshold ? f : nextafterf(f, INFINITY);
}
/* Each activation gets a loop of its own in which the activation is a constant,
 * so act_f's switch folds away and the loop vectorizes (GELU's erfc is libm's, so
 * its loops stay scalar: the float64 GELU's forward and backward take elementwise.c's
 * kernels instead, its derivatives here). LOOP, the loop in double, uses q, the
 * activation's arguments; PWLOOP is the loop of the piecewise-linear ones. */
#define ACT_CASE(A, LOOP) \
    case A: { \
        pn_act_args q = *p; \
        q.act = A; \
        LOOP; \
        break; \
    }
#define ACT_SWITCH(LOOP, PWLOOP) \
    switch (p->act) { \
        ACT_CASE(PN_ACT_LEAKY_RELU, PWLOOP) \
        ACT_CASE(PN_ACT_ELU, LOOP) \
        ACT_CASE(PN_ACT_GELU, LOOP) \
        ACT_CASE(PN_ACT_GELU_TANH, LOOP) \
        ACT_CASE(PN_ACT_SOFTPLUS, LOOP) \
        ACT_CASE(PN_ACT_HARDTANH, PWLOOP) \
        ACT_CASE(PN_ACT_SILU, LOOP) \
        ACT_CASE(PN_ACT_LOGSIGMOID, LOOP) \
        ACT_CASE(PN_ACT_MISH, LOOP) \
        ACT_CASE(PN_ACT_SELU, LOOP) \
        ACT_CASE(PN_ACT_CELU, LOOP) \
        ACT_CASE(PN_ACT_HARDSIGMOID, PWLOOP) \
        ACT_CASE(PN_ACT_HARDSWISH, PWLOOP) \
        ACT_CASE(PN_ACT_THRESHOLD, PWLOOP) \
        ACT_CASE(PN_ACT_HARDSHRINK, PWLOOP) \
        ACT_CASE(PN_ACT_SOFTSHRINK, PWLOOP) \
    default: \
        break; \
    }

/* y = f(x), dx = g f'(x), d = f'(x) or f''(x), for T float or double. */
#define DEFINE_ACT_LOOPS(SUFFIX, T) \
    PN_SIMD_CLONES static void act_forward_##SUFFIX(const pn_act_args *p, const T *x, T *y, \
                                                    int64_t n) { \
        const T a = (T)p->a, b = (T)p->b; \
        ACT_SWITCH(for (int64_t i = 0; i < n; i++) y[i] = (T)act_f(&q, (double)x[i]), \
                   for (int64_t i = 0; i < n; i++) y[i] = pw_f_##T(q.act, a, b, x[i])) \
    } \
    PN_SIMD_CLONES static void act_backward_##SUFFIX(const pn_act_args *p, const T *g, const T *x, \
                                                     T *dx, int64_t n) { \
        const T a = (T)p->a, b = (T)p->b; \
        ACT_SWITCH(for (int64_t i = 0; i < n; i++) dx[i] = \
                       (T)((double)g[i] * act_d1(&q, (double)x[i])), \
                   for (int64_t i = 0; i < n; i++) dx[i] = g[i] * pw_d1_##T(q.act, a, b, x[i])) \
    } \
    PN_SIMD_CLONES void pn_act_deriv_##SUFFIX(const pn_act_args *p, int order, const T *x, T *d, \
                                              int64_t n) { \
        if (order == 1) \
            ACT_SWITCH(for (int64_t i = 0; i < n; i++) d[i] = (T)act_d1(&q, (double)x[i]), \
                       for (int64_t i = 0; i < n; i++) d[i] = (T)act_d1(&q, (double)x[i])) \
        else \
            ACT_SWITCH(for (int64_t i = 0; i < n; i++) d[i] = (T)act_d2(&q, (double)x[i]), \
                       for (int64_t i = 0; i < n; i++) d[i] = (T)act_d2(&q, (double)x[i])) \
    }
DEFINE_ACT_LOOPS(f32, float)
DEFINE_ACT_LOOPS(f64, double)

/* float32 GELU (tanh form) and its gradient: gelu_tanh_f and gelu_tanh_d in double,
 * one rounding to float. The forward y = x / (1 + e) takes e = exp(-2u) from
 * pn_exp_d34 (2^-34 relative; inf above -2u = 709, so x = -inf gives NaN as in float64
 * and PyTorch) on -2u = x (-2k - 2kc x^2) (x^2 exact in double): within 0.5009 ulp
 * (x86-64, every 7th float in [-11, 11]); pn_exp_d's 1e-11 bought nothing there but
 * time: 173 -> 104 us over 131k floats (the double division is most of the rest).
 * The gradient keeps pn_exp_d (see GELU_TANH_E): its two terms cancel near GELU's
 * minimum (x = -0.7518), which magnifies e's error (2^-34 would cost 0.05 ulp there). */
PN_SIMD_CLONES static void gelu_tanh_f32(const float *x, float *y, int64_t n) {
    const double k2 = -2.0 * SQRT_2_OVER_PI, k2c = -2.0 * SQRT_2_OVER_PI * GELU_C;
    for (int64_t i = 0; i < n; i++) {
        double v = x[i];
        y[i] = (float)gelu_tanh_f(v, pn_exp_d34(v * __builtin_fma(v * v, k2c, k2)));
    }
}
PN_SIMD_CLONES static void gelu_tanh_grad_f32(const float *g, const float *x, float *dx,
                                              int64_t n) {
    for (int64_t i = 0; i < n; i++) {
        double v = x[i];
        dx[i] = (float)((double)g[i] * gelu_tanh_d(v, GELU_TANH_E(v, pn_exp_d), 1));
    }
}

/* The elements of the float fast paths above outside their ranges (g the
 * gradient; NULL for silu's forward), recomputed in double. */
static void sigmoid_fixup_f32(const pn_act_args *p, const float *g, const float *x, float *out,
                              int64_t n, float xt, int negate) {
    for (int64_t i = 0; i < n; i++) {
        float xi = negate ? -x[i] : x[i];
        int held = p->act == PN_ACT_SILU ? (g ? pn_silu_grad_holds(x[i]) : pn_silu_holds(x[i]))
                                         : x[i] >= xt || pn_g_sigmoid_holds(g[i], xi);
        if (held) continue;
        if (g)
            act_backward_f32(p, g + i, x + i, out + i, 1);
        else
            act_forward_f32(p, x + i, out + i, 1);
    }
}

static void act_forward_run_f32(const pn_act_args *p, const float *x, float *y, int64_t n) {
    if (p->act == PN_ACT_GELU)
        pn_gelu_f32(x, y, n);
    else if (p->act == PN_ACT_GELU_TANH)
        gelu_tanh_f32(x, y, n);
    else if (p->act == PN_ACT_SILU) {
        if (!pn_silu_f32(x, y, n)) sigmoid_fixup_f32(p, NULL, x, y, n, NAN, 0);
    } else if (p->act == PN_ACT_SOFTPLUS && p->a == 1.0)
        pn_softplus_f32(x, y, n, softplus_threshold_f32(p->b), 0);
    else if (p->act == PN_ACT_LOGSIGMOID)
        pn_softplus_f32(x, y, n, NAN, 1);
    else
        act_forward_f32(p, x, y, n);
}
/* Long arrays in blocks, each prefetching x PN_PREFETCH_DISTANCE ahead (common.h). In place
 * (y == x), SiLU goes through a copy of x a block at a time: its fix-ups (sigmoid_fixup_f32)
 * reread x after the fast path has written y. */
#define ACT_COPY_BLOCK 512
void pn_act_forward_f32(const pn_act_args *p, const float *x, float *y, int64_t n) {
    if (x == y && p->act == PN_ACT_SILU) {
        float xb[ACT_COPY_BLOCK];
        for (int64_t b = 0; b < n; b += ACT_COPY_BLOCK) {
            int64_t m = n - b < ACT_COPY_BLOCK ? n - b : ACT_COPY_BLOCK;
            memcpy(xb, x + b, (size_t)m * sizeof *xb);
            act_forward_run_f32(p, xb, y + b, m);
        }
        return;
    }
    int64_t blk = pn_prefetch_blocksize(n);
    for (int64_t b = 0; b < n; b += blk) {
        int64_t m = n - b < blk ? n - b : blk;
        if (blk < n) pn_prefetch_block(x, b + m, n, sizeof *x);
        act_forward_run_f32(p, x + b, y + b, m);
    }
}
/* float64 GELU and SiLU: elementwise.c's kernels (pn_gelu_f64_tab's and pn_silu_f64_tab's
 * bits); the rest in loops. */
void pn_act_forward_f64(const pn_act_args *p, const double *x, double *y, int64_t n) {
    if (p->act == PN_ACT_GELU)
        pn_gelu_f64(x, y, n);
    else if (p->act == PN_ACT_SILU)
        pn_silu_f64(x, y, n);
    else
        act_forward_f64(p, x, y, n);
}

static void act_backward_run_f32(const pn_act_args *p, const float *g, const float *x, float *dx,
                                 int64_t n) {
    if (p->act == PN_ACT_GELU)
        pn_gelu_grad_f32(g, x, dx, n);
    else if (p->act == PN_ACT_GELU_TANH)
        gelu_tanh_grad_f32(g, x, dx, n);
    else if (p->act == PN_ACT_SILU) {
        if (!pn_silu_grad_f32(g, x, dx, n)) sigmoid_fixup_f32(p, g, x, dx, n, NAN, 0);
    } else if (p->act == PN_ACT_SOFTPLUS && p->a == 1.0) {
        float xt = softplus_threshold_f32(p->b);
        if (!pn_softplus_grad_f32(g, x, dx, n, xt, 0)) sigmoid_fixup_f32(p, g, x, dx, n, xt, 0);
    } else if (p->act == PN_ACT_LOGSIGMOID) {
        if (!pn_softplus_grad_f32(g, x, dx, n, NAN, 1)) sigmoid_fixup_f32(p, g, x, dx, n, NAN, 1);
    } else
        act_backward_f32(p, g, x, dx, n);
}
/* Long arrays in blocks, each prefetching g and x PN_PREFETCH_DISTANCE ahead. */
void pn_act_backward_f32(const pn_act_args *p, const float *g, const float *x, float *dx,
                         int64_t n) {
    int64_t blk = pn_prefetch_blocksize(n);
    for (int64_t b = 0; b < n; b += blk) {
        int64_t m = n - b < blk ? n - b : blk;
        if (blk < n) {
            pn_prefetch_block(g, b + m, n, sizeof *g);
            pn_prefetch_block(x, b + m, n, sizeof *x);
        }
        act_backward_run_f32(p, g + b, x + b, dx + b, m);
    }
}
void pn_act_backward_f64(const pn_act_args *p, const double *g, const double *x, double *dx,
                         int64_t n) {
    if (p->act == PN_ACT_GELU)
        pn_gelu_grad_f64(g, x, dx, n);
    else if (p->act == PN_ACT_SILU)
        pn_silu_grad_f64(g, x, dx, n);
    else
        act_backward_f64(p, g, x, dx, n);
}

/* x, y are (outer, C, inner); channel c's slope is w[c * wstride]. (Its backward
 * is written with differentiable ops in ops/activation.c.) */
#define DEFINE_PRELU_FORWARD(NAME, T) \
    void NAME(const T *x, const T *w, int64_t wstride, T *y, int64_t outer, int64_t C, \
              int64_t inner) { \
        for (int64_t o = 0; o < outer; o++) \
            for (int64_t c = 0; c < C; c++) { \
                T a = w[c * wstride]; \
                const T *xr = x + (o * C + c) * inner; \
                T *yr = y + (o * C + c) * inner; \
                for (int64_t k = 0; k < inner; k++) yr[k] = xr[k] > 0 ? xr[k] : a * xr[k]; \
            } \
    }
DEFINE_PRELU_FORWARD(pn_prelu_forward_f32, float)
DEFINE_PRELU_FORWARD(pn_prelu_forward_f64, double)

/* ----------------------------------------------------------- batch norm ---- */

/* The sums over a row (layer norm below; batch norm's runs here) run in LN_L
 * independent lanes (lane k takes elements k, k + LN_L, ...), added up in lane
 * order, then the tail: a serial double sum
 * waits 4 cycles on each add, and C does not let the compiler reorder one (the
 * rows of a Transformer's layer norm, D = 128, took 3.7x PyTorch's time). The
 * order depends on D only, so a row's bits do not depend on the threads. The
 * lanes are folded as a tree (lane k plus lane k + 8, then + 4, ...): four
 * dependent adds instead of sixteen. */
#define LN_L 16 /* ln_fold's tree is written for 16 */

PN_VINLINE double ln_fold(const double *p) {
    double h[8], q[4];
    for (int k = 0; k < 8; k++) h[k] = p[k] + p[k + 8];
    for (int k = 0; k < 4; k++) q[k] = h[k] + h[k + 4];
    return (q[0] + q[2]) + (q[1] + q[3]);
}

/* Channel c of a (N, C, L) buffer is N runs of L values, run n at (n C + c) L.
 * Its sums run in LN_L double lanes within each run (lane k takes elements k,
 * k + LN_L, ... of every run) and one scalar for the runs' last L % LN_L values,
 * folded in a fixed order: the bits depend on N, C and L only, while the threads
 * split the channels (statistics, backward) or the runs (forward). (Serial
 * double sums on one thread waited 4 cycles per element: BatchNorm2d(32) forward
 * + backward over (16, 32, 28, 28) took 1.3x PyTorch's time at 1 thread and 2.2x
 * at 2.) BN_RUNS applies BODY(part, i, k) to channel c's elements i: part is lane
 * (lane k) or tail (k = 0). */
#define BN_MIN_WORK 16384 /* elements per share of the work at least */
#define BN_RUNS(BODY) \
    for (int64_t n = 0; n < N; n++) { \
        int64_t o = (n * C + c) * L, j = 0, nv = L - L % LN_L; \
        for (; j < nv; j += LN_L) \
            for (int k = 0; k < LN_L; k++) BODY(lane, o + j + k, k); \
        for (; j < L; j++) BODY(tail, o + j, 0); \
    }
typedef struct {
    const void *x, *g, *w, *b;
    const double *mean_in, *invstd;
    double *mean, *var, *dw, *db;
    void *y;
    int64_t N, C, L;
    int training;
} bn_job;

// x (N, C, L) -> mean (C), var (C) = mean of (x - mean)^2 (two passes): channels [c0, c1)
#define BN_ADD_X(P, i, k)  P[k] += (double)x[i]
#define BN_ADD_SQ(P, i, k) P[k] += ((double)x[i] - m) * ((double)x[i] - m)
#define DEFINE_BATCH_NORM_STATS(NAME, T) \
    PN_SIMD_CLONES static void NAME##_range(void *ctx, int64_t c0, int64_t c1) { \
        const bn_job *jb = ctx; \
        const T *x = jb->x; \
        int64_t N = jb->N, C = jb->C, L = jb->L; \
        double M = (double)(N * L); \
        for (int64_t c = c0; c < c1; c++) { \
            double lane[LN_L] = {0}, tail[1] = {0}, m; \
            BN_RUNS(BN_ADD_X) \
            m = (ln_fold(lane) + tail[0]) / M; \
            memset(lane, 0, sizeof lane), tail[0] = 0; \
            BN_RUNS(BN_ADD_SQ) \
            jb->mean[c] = m; \
            jb->var[c] = (ln_fold(lane) + tail[0]) / M; \
        } \
    } \
    void NAME(const T *x, int64_t N, int64_t C, int64_t L, double *mean, double *var) { \
        bn_job jb = {.x = x, .mean = mean, .var = var, .N = N, .C = C, .L = L}; \
        pn_parallel_for(C, BN_MIN_WORK / (N * L > 0 ? N * L : 1) + 1, NAME##_range, &jb); \
    }
DEFINE_BATCH_NORM_STATS(pn_batch_norm_stats_f32, float)
DEFINE_BATCH_NORM_STATS(pn_batch_norm_stats_f64, double)

// x (N, C, L) -> y = x scale + shift, scale = invstd[c] w[c], shift = b[c] - mean[c] scale:
// runs [i0, i1) of the N C
#define DEFINE_BATCH_NORM_FORWARD(NAME, T) \
    PN_SIMD_CLONES static void NAME##_range(void *ctx, int64_t i0, int64_t i1) { \
        const bn_job *jb = ctx; \
        const T *w = jb->w, *b = jb->b; \
        int64_t L = jb->L; \
        for (int64_t i = i0; i < i1; i++) { \
            int64_t c = i % jb->C; \
            double scale = jb->invstd[c] * (w ? (double)w[c] : 1.0); \
            double shift = (b ? (double)b[c] : 0.0) - jb->mean_in[c] * scale; \
            const T *xr = (const T *)jb->x + i * L; \
            T *yr = (T *)jb->y + i * L; \
            for (int64_t l = 0; l < L; l++) yr[l] = (T)((double)xr[l] * scale + shift); \
        } \
    } \
    void NAME(const T *x, const double *mean, const double *invstd, const T *w, const T *b, T *y, \
              int64_t N, int64_t C, int64_t L) { \
        bn_job jb = {.x = x, .w = w, .b = b, .mean_in = mean, .invstd = invstd, .y = y}; \
        jb.N = N, jb.C = C, jb.L = L; \
        pn_parallel_for(N * C, BN_MIN_WORK / (L > 0 ? L : 1) + 1, NAME##_range, &jb); \
    }
DEFINE_BATCH_NORM_FORWARD(pn_batch_norm_forward_f32, float)
DEFINE_BATCH_NORM_FORWARD(pn_batch_norm_forward_f64, double)

// g, x (N, C, L) -> db = sum g, dw = sum g xhat, dx (see nn.h): channels [c0, c1)
#define BN_ADD_G(P, i, k) (P[k] += (double)g[i], P##x[k] += (double)g[i] * ((double)x[i] - m))
#define DEFINE_BATCH_NORM_BACKWARD(NAME, T) \
    PN_SIMD_CLONES static void NAME##_range(void *ctx, int64_t c0, int64_t c1) { \
        const bn_job *jb = ctx; \
        const T *x = jb->x, *g = jb->g, *w = jb->w; \
        int64_t N = jb->N, C = jb->C, L = jb->L; \
        double M = (double)(N * L); \
        for (int64_t c = c0; c < c1; c++) { \
            double lane[LN_L] = {0}, lanex[LN_L] = {0}, tail[1] = {0}, tailx[1] = {0}; \
            double m = jb->mean_in[c], is = jb->invstd[c]; \
            BN_RUNS(BN_ADD_G) \
            double sg = ln_fold(lane) + tail[0], sgx = (ln_fold(lanex) + tailx[0]) * is; \
            if (jb->db) jb->db[c] = sg; \
            if (jb->dw) jb->dw[c] = sgx; /* sum g xhat */ \
            if (!jb->y) continue; \
            double k = is * (w ? (double)w[c] : 1.0); \
            double gm = jb->training ? sg / M : 0.0, xm = jb->training ? sgx / M : 0.0; \
            for (int64_t n = 0; n < N; n++) { \
                int64_t o = (n * C + c) * L; \
                T *dr = (T *)jb->y + o; \
                for (int64_t l = 0; l < L; l++) { \
                    double xhat = ((double)x[o + l] - m) * is; \
                    dr[l] = (T)(k * ((double)g[o + l] - gm - xhat * xm)); \
                } \
            } \
        } \
    } \
    void NAME(const T *g, const T *x, const double *mean, const double *invstd, const T *w, \
              int training, T *dx, double *dw, double *db, int64_t N, int64_t C, int64_t L) { \
        bn_job jb = {.x = x, .g = g, .w = w, .mean_in = mean, .invstd = invstd, .y = dx}; \
        jb.dw = dw, jb.db = db, jb.N = N, jb.C = C, jb.L = L, jb.training = training; \
        pn_parallel_for(C, BN_MIN_WORK / (N * L > 0 ? N * L : 1) + 1, NAME##_range, &jb); \
    }
DEFINE_BATCH_NORM_BACKWARD(pn_batch_norm_backward_f32, float)
DEFINE_BATCH_NORM_BACKWARD(pn_batch_norm_backward_f64, double)

/* ----------------------------------------------------------- layer norm ---- */

/* Layer norm is split by rows over the thread pool. The forward's rows are
 * independent. The backward's dx rows are too, but dweight and dbias sum over
 * all rows: the rows are cut into at most LN_PARTS parts whose size depends on
 * M and D only, each part sums its rows in order into its own accumulators, and
 * the parts are added in part order, so the bits are the same at any thread
 * count. (Serial, layer norm was a tenth of a small Transformer's step that
 * only the calling thread ran at two threads.) */
#define LN_PART_MIN 16384 /* elements per part at least: less is not worth a thread */
#define LN_PARTS    8

typedef struct {
    const void *x, *w, *b, *g;
    const double *wd, *bd; /* forward: w and b in double, or NULL (none, or no memory) */
    double eps;
    void *y;
    const double *mean_in, *rstd_in; /* backward */
    double *mean, *rstd;             /* forward */
    double *dw, *db, *acc;           /* acc: parts 1.. accumulators, 2 D each */
    int64_t M, D, rows;              /* rows per part (backward) */
} ln_job;

// x (D) -> mean, rstd = 1 / sqrt(var + eps), var the biased variance (two passes).
// (Arrays here, vector types in the backward below: here GCC keeps the arrays in
// registers and converts 16 floats at once; with the vector types it converted by
// halves, and the (32, 64, 128) forward took 257-261 us instead of 187-192.)
#define DEFINE_LN_ROW_STATS(NAME, T) \
    PN_VINLINE void NAME(const T *xr, int64_t D, double eps, double *mean, double *rstd) { \
        double ps[LN_L] = {0}, pq[LN_L] = {0}, s = 0, q = 0; \
        int64_t j, nv = D - D % LN_L; \
        for (j = 0; j < nv; j += LN_L) \
            for (int k = 0; k < LN_L; k++) ps[k] += (double)xr[j + k]; \
        s = ln_fold(ps); \
        for (; j < D; j++) s += (double)xr[j]; \
        double m = s / (double)D; \
        for (j = 0; j < nv; j += LN_L) \
            for (int k = 0; k < LN_L; k++) { \
                double d = (double)xr[j + k] - m; \
                pq[k] += d * d; \
            } \
        q = ln_fold(pq); \
        for (; j < D; j++) q += ((double)xr[j] - m) * ((double)xr[j] - m); \
        *mean = m; \
        *rstd = 1.0 / sqrt(q / (double)D + eps); \
    }
DEFINE_LN_ROW_STATS(ln_row_stats_f32, float)
DEFINE_LN_ROW_STATS(ln_row_stats_f64, double)

#define LN_STAT_ROWS 4
// x (M, D) -> y (M, D), mean, rstd (M): rows [i0, i1), the statistics LN_STAT_ROWS rows
// at a time (a row's two passes, folds, sqrt and division are one chain of latency that
// the next rows' passes overlap), w and b read as doubles converted once per call:
// (2048, 128) forward 188 -> 150 us (PyTorch 151)
#define DEFINE_LAYER_NORM_ROWS(NAME, T, SFX) \
    PN_SIMD_CLONES static void NAME(void *ctx, int64_t i0, int64_t i1) { \
        const ln_job *jb = ctx; \
        const T *w = jb->w, *b = jb->b; \
        const double *wd = jb->wd, *bd = jb->bd; \
        int64_t D = jb->D; \
        for (int64_t i = i0; i < i1; i++) { \
            if ((i - i0) % LN_STAT_ROWS == 0) \
                for (int64_t k = i; k < i + LN_STAT_ROWS && k < i1; k++) \
                    ln_row_stats_##SFX((const T *)jb->x + k * D, D, jb->eps, &jb->mean[k], \
                                       &jb->rstd[k]); \
            const T *xr = (const T *)jb->x + i * D; \
            T *yr = (T *)jb->y + i * D; \
            double m = jb->mean[i], r = jb->rstd[i]; \
            if (wd && bd) \
                for (int64_t j = 0; j < D; j++) \
                    yr[j] = (T)(((double)xr[j] - m) * r * wd[j] + bd[j]); \
            else \
                for (int64_t j = 0; j < D; j++) { \
                    double v = ((double)xr[j] - m) * r; \
                    if (w) v *= (double)w[j]; \
                    if (b) v += (double)b[j]; \
                    yr[j] = (T)v; \
                } \
        } \
    }
DEFINE_LAYER_NORM_ROWS(layer_norm_rows_f32, float, f32)
DEFINE_LAYER_NORM_ROWS(layer_norm_rows_f64, double, f64)

#define DEFINE_LAYER_NORM_FORWARD(NAME, ROWS, T) \
    void NAME(const T *x, const T *w, const T *b, double eps, T *y, double *mean, double *rstd, \
              int64_t M, int64_t D) { \
        ln_job jb = {.M = M, .D = D}; \
        jb.x = x, jb.w = w, jb.b = b, jb.eps = eps, jb.y = y, jb.mean = mean, jb.rstd = rstd; \
        double *wb = w && b && M > 1 ? malloc((size_t)(2 * D) * sizeof(double) + 8) : NULL; \
        for (int64_t j = 0; wb && j < D; j++) wb[j] = (double)w[j], wb[D + j] = (double)b[j]; \
        jb.wd = wb, jb.bd = wb ? wb + D : NULL; \
        pn_parallel_for(M, LN_PART_MIN / (D > 0 ? D : 1) + 1, ROWS, &jb); \
        free(wb); \
    }
static void layer_norm_rows_fast_f32(void *ctx, int64_t i0, int64_t i1); /* below */
DEFINE_LAYER_NORM_FORWARD(pn_layer_norm_forward_f32, layer_norm_rows_fast_f32, float)
DEFINE_LAYER_NORM_FORWARD(pn_layer_norm_forward_f64, layer_norm_rows_f64, double)

/* Four doubles from four floats or doubles (GCC/clang vector types, one ymm
 * register under AVX2: eight-double vectors, two registers each, made GCC 12's
 * AVX2 clone keep the lanes on the stack and the (2048, 128) backward took
 * 2.7 ns per element). Through a pointer: returning a 32-byte vector is
 * ABI-specific (the baseline clone has no ymm registers). */
typedef double ln_v4d __attribute__((vector_size(32)));
typedef float ln_v4f __attribute__((vector_size(16)));
PN_VINLINE void ln_load4_f32(ln_v4d *out, const float *p) {
    ln_v4f v;
    memcpy(&v, p, sizeof v);
    *out = __builtin_convertvector(v, ln_v4d);
}
PN_VINLINE void ln_load4_f64(ln_v4d *out, const double *p) {
    memcpy(out, p, sizeof *out);
}
/* Either of them by the pointer's type. */
#define ln_load4(out, p) \
    _Generic((p), \
        const float *: ln_load4_f32, \
        float *: ln_load4_f32, \
        const double *: ln_load4_f64, \
        double *: ln_load4_f64)(out, p)
/* *p += *v for four doubles at p (the dw, db accumulators; v by pointer for
 * the same ABI reason) */
PN_VINLINE void ln_add4(double *p, const ln_v4d *v) {
    ln_v4d a;
    memcpy(&a, p, sizeof a);
    a += *v;
    memcpy(p, &a, sizeof a);
}

/* Two sums over a run of n values in LN_L double lanes held as four vectors of four
 * each (a0..a3 and b0..b3; arrays of doubles here were left scalar by GCC 12): the
 * loop over whole groups of LN_L, STEP(o, A, B) adding lanes o .. o + 3 at column j,
 * then the folds (ln_fold) into ta, tb; the caller adds the tail from j on. */
#define LN_LANES_LOOP(STEP, n) \
    ln_v4d a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0}, b0 = {0}, b1 = {0}, b2 = {0}, b3 = {0}; \
    int64_t j, nv = (n) - (n) % LN_L; \
    for (j = 0; j < nv; j += LN_L) { \
        STEP(0, a0, b0) \
        STEP(4, a1, b1) \
        STEP(8, a2, b2) \
        STEP(12, a3, b3) \
    }
#define LN_LANES_FOLD(ta, tb) \
    double ta, tb; \
    { \
        double pa_[LN_L], pb_[LN_L]; \
        memcpy(pa_, &a0, sizeof a0), memcpy(pa_ + 4, &a1, sizeof a1); \
        memcpy(pa_ + 8, &a2, sizeof a2), memcpy(pa_ + 12, &a3, sizeof a3); \
        memcpy(pb_, &b0, sizeof b0), memcpy(pb_ + 4, &b1, sizeof b1); \
        memcpy(pb_ + 8, &b2, sizeof b2), memcpy(pb_ + 12, &b3, sizeof b3); \
        ta = ln_fold(pa_), tb = ln_fold(pb_); \
    }

/* Four lanes of a row's backward sums at column j (see ln_row_grad below): A, B
 * hold lanes o .. o + 3 of the LN_L lanes. */
#define LN_GRAD4(o, A, B) \
    { \
        ln_v4d g, xv, wv, xhat; \
        ln_load4(&g, gr + j + o); \
        ln_load4(&xv, xr + j + o); \
        xhat = (xv - m) * r; \
        if (dw) { \
            ln_v4d gx = g * xhat; \
            ln_add4(dw + j + o, &gx); \
        } \
        if (db) ln_add4(db + j + o, &g); \
        if (w) { \
            ln_load4(&wv, w + j + o); \
            g *= wv; \
        } \
        A += g; \
        B += g * xhat; \
    }

// g, x (D), one row -> dw += g xhat, db += g (when not NULL), and the sums
// sgw = sum_j g w, sgwx = sum_j g w xhat in LN_L lanes (four vectors of four),
// folded by ln_fold, then the tail: one pass over the row for all four.
#define DEFINE_LN_ROW_GRAD(NAME, T, SFX) \
    PN_VINLINE void NAME(const T *gr, const T *xr, const T *w, int64_t D, double m, double r, \
                         double *dw, double *db, double *sgw, double *sgwx) { \
        LN_LANES_LOOP(LN_GRAD4, D) \
        LN_LANES_FOLD(ta, tb) \
        for (; j < D; j++) { \
            double g = (double)gr[j], xhat = ((double)xr[j] - m) * r; \
            if (dw) dw[j] += g * xhat; \
            if (db) db[j] += g; \
            double gw = g * (w ? (double)w[j] : 1.0); \
            ta += gw; \
            tb += gw * xhat; \
        } \
        *sgw = ta; \
        *sgwx = tb; \
    }
DEFINE_LN_ROW_GRAD(ln_row_grad_f32, float, f32)
DEFINE_LN_ROW_GRAD(ln_row_grad_f64, double, f64)

// dx (D) of a row from its sums sgw, sgwx (ln_row_grad's), recomputing xhat and g w:
//   dx = rstd (g w - sgw / D - xhat sgwx / D)
#define DEFINE_LN_ROW_DX(NAME, T) \
    PN_VINLINE void NAME(const T *gr, const T *xr, const T *w, int64_t D, double m, double r, \
                         double sgw, double sgwx, T *dx) { \
        double a = sgw / (double)D, bq = sgwx / (double)D; \
        for (int64_t j = 0; j < D; j++) { \
            double xhat = ((double)xr[j] - m) * r; \
            double gw = (double)gr[j] * (w ? (double)w[j] : 1.0); \
            dx[j] = (T)(r * (gw - a - xhat * bq)); \
        } \
    }
DEFINE_LN_ROW_DX(ln_row_dx_f32, float)
DEFINE_LN_ROW_DX(ln_row_dx_f64, double)

// One row's whole backward: ln_row_grad, then dx (when not NULL) by ln_row_dx.
#define DEFINE_LN_ROW_BACKWARD(NAME, T, SFX) \
    PN_VINLINE void NAME(const T *gr, const T *xr, const T *w, int64_t D, double m, double r, \
                         double *dw, double *db, T *dx, double *sgw, double *sgwx) { \
        ln_row_grad_##SFX(gr, xr, w, D, m, r, dw, db, sgw, sgwx); \
        if (dx) ln_row_dx_##SFX(gr, xr, w, D, m, r, *sgw, *sgwx, dx); \
    }
DEFINE_LN_ROW_BACKWARD(ln_row_backward_f32, float, f32)
DEFINE_LN_ROW_BACKWARD(ln_row_backward_f64, double, f64)

/* The float32 row by AVX-512 registers: the same lanes (lane k takes elements
 * j + k; here lanes 0-7 and 8-15 are two vectors of eight doubles), the same
 * operations in the same order, the same fold and tail, so the same bits as
 * ln_row_backward_f32 (pn_ln_row_backward_f32_kernel gives both, to compare). Each
 * step loads 8 floats of g, x and w per vector and converts them once; GCC made
 * the portable loop's 4-float loads pairs of 2-float loads and conversions, and
 * that loop was 60% of LayerNorm(128)'s backward. Rows of up to LN_KEEP values
 * keep each xhat and g w (doubles, as computed for the sums) for dx, which then
 * only combines them instead of converting and recomputing. */
#if defined(__x86_64__) && defined(__GNUC__)
#define NORM_AVX512 1
#include <immintrin.h>
#define T512_LN __attribute__((target("avx512f")))
#define LN_KEEP 1024
/* The lanes of v: a row's 8 elements as doubles. */
static inline T512_LN __m512d ln_cvt8(const float *p) {
    return _mm512_cvtps_pd(_mm256_loadu_ps(p));
}
/* *p += v for 8 doubles. */
static inline T512_LN void ln_acc8(double *p, __m512d v) {
    _mm512_storeu_pd(p, _mm512_add_pd(_mm512_loadu_pd(p), v));
}
/* The sums (ln_row_grad_f32's), xhat and g w kept in kx, kg when they are not NULL. */
T512_LN static void ln_row_sums_f32_avx512(const float *gr, const float *xr, const float *w,
                                           int64_t D, double m, double r, double *dw, double *db,
                                           double *kx, double *kg, double *sgw, double *sgwx) {
    const __m512d vm = _mm512_set1_pd(m), vr = _mm512_set1_pd(r);
    __m512d A[2] = {_mm512_setzero_pd(), _mm512_setzero_pd()}, B[2] = {A[0], A[1]};
    int64_t j, nv = D - D % LN_L;
    for (j = 0; j < nv; j += LN_L)
        for (int h = 0; h < 2; h++) { /* lanes 8h .. 8h + 7 */
            int64_t o = j + 8 * h;
            __m512d g = ln_cvt8(gr + o);
            __m512d xhat = _mm512_mul_pd(_mm512_sub_pd(ln_cvt8(xr + o), vm), vr);
            if (dw) ln_acc8(dw + o, _mm512_mul_pd(g, xhat));
            if (db) ln_acc8(db + o, g);
            if (w) g = _mm512_mul_pd(g, ln_cvt8(w + o));
            if (kx) _mm512_storeu_pd(kx + o, xhat), _mm512_storeu_pd(kg + o, g);
            A[h] = _mm512_add_pd(A[h], g);
            B[h] = _mm512_add_pd(B[h], _mm512_mul_pd(g, xhat));
        }
    double pa[LN_L], pb[LN_L];
    _mm512_storeu_pd(pa, A[0]), _mm512_storeu_pd(pa + 8, A[1]);
    _mm512_storeu_pd(pb, B[0]), _mm512_storeu_pd(pb + 8, B[1]);
    double ta = ln_fold(pa), tb = ln_fold(pb);
    for (; j < D; j++) { /* the tail, as ln_row_grad_f32's */
        double g = (double)gr[j], xhat = ((double)xr[j] - m) * r;
        if (dw) dw[j] += g * xhat;
        if (db) db[j] += g;
        double gw = g * (w ? (double)w[j] : 1.0);
        if (kx) kx[j] = xhat, kg[j] = gw;
        ta += gw;
        tb += gw * xhat;
    }
    *sgw = ta;
    *sgwx = tb;
}
T512_LN static void ln_row_backward_f32_avx512(const float *gr, const float *xr, const float *w,
                                               int64_t D, double m, double r, double *dw,
                                               double *db, float *dx, double *sgw, double *sgwx) {
    double kx[LN_KEEP], kg[LN_KEEP];
    int keep = dx && D <= LN_KEEP;
    ln_row_sums_f32_avx512(gr, xr, w, D, m, r, dw, db, keep ? kx : NULL, keep ? kg : NULL, sgw,
                           sgwx);
    if (!dx) return;
    if (!keep) {
        ln_row_dx_f32(gr, xr, w, D, m, r, *sgw, *sgwx, dx);
        return;
    }
    double a = *sgw / (double)D, bq = *sgwx / (double)D; /* ln_row_dx_f32's arithmetic */
    const __m512d va = _mm512_set1_pd(a), vb = _mm512_set1_pd(bq), vr = _mm512_set1_pd(r);
    int64_t j = 0;
    for (; j + 8 <= D; j += 8) {
        __m512d t = _mm512_sub_pd(_mm512_sub_pd(_mm512_loadu_pd(kg + j), va),
                                  _mm512_mul_pd(_mm512_loadu_pd(kx + j), vb));
        _mm256_storeu_ps(dx + j, _mm512_cvtpd_ps(_mm512_mul_pd(vr, t)));
    }
    for (; j < D; j++) dx[j] = (float)(r * (kg[j] - a - kx[j] * bq));
}
/* The float32 forward's rows by AVX-512 (layer_norm_rows_f32, to the bit): each row
 * converted to doubles once, into kx, by the statistics' first pass, which the second
 * pass and the output then read instead of converting again. */
T512_LN static void ln_row_stats_keep_f32_avx512(const float *xr, int64_t D, double eps, double *kx,
                                                 double *mean, double *rstd) {
    __m512d S[2] = {_mm512_setzero_pd(), _mm512_setzero_pd()}, Q[2] = {S[0], S[1]};
    int64_t j, nv = D - D % LN_L;
    for (j = 0; j < nv; j += LN_L)
        for (int h = 0; h < 2; h++) {
            __m512d v = ln_cvt8(xr + j + 8 * h);
            _mm512_storeu_pd(kx + j + 8 * h, v);
            S[h] = _mm512_add_pd(S[h], v);
        }
    double ps[LN_L];
    _mm512_storeu_pd(ps, S[0]), _mm512_storeu_pd(ps + 8, S[1]);
    double sum = ln_fold(ps);
    for (; j < D; j++) kx[j] = (double)xr[j], sum += kx[j];
    double m = sum / (double)D;
    const __m512d vm = _mm512_set1_pd(m);
    for (j = 0; j < nv; j += LN_L)
        for (int h = 0; h < 2; h++) {
            __m512d d = _mm512_sub_pd(_mm512_loadu_pd(kx + j + 8 * h), vm);
            Q[h] = _mm512_add_pd(Q[h], _mm512_mul_pd(d, d));
        }
    _mm512_storeu_pd(ps, Q[0]), _mm512_storeu_pd(ps + 8, Q[1]);
    double q = ln_fold(ps);
    for (; j < D; j++) q += (kx[j] - m) * (kx[j] - m);
    *mean = m;
    *rstd = 1.0 / sqrt(q / (double)D + eps);
}
T512_LN static void layer_norm_rows_f32_avx512(void *ctx, int64_t i0, int64_t i1) {
    const ln_job *jb = ctx;
    const float *w = jb->w, *b = jb->b;
    const double *wd = jb->wd, *bd = jb->bd;
    int64_t D = jb->D;
    if (D > LN_KEEP) { /* rows too long to keep: the portable loop's */
        layer_norm_rows_f32(ctx, i0, i1);
        return;
    }
    double kx[LN_STAT_ROWS][LN_KEEP];
    for (int64_t i = i0; i < i1; i += LN_STAT_ROWS) {
        int nr = i1 - i < LN_STAT_ROWS ? (int)(i1 - i) : LN_STAT_ROWS;
        for (int k = 0; k < nr; k++)
            ln_row_stats_keep_f32_avx512((const float *)jb->x + (i + k) * D, D, jb->eps, kx[k],
                                         &jb->mean[i + k], &jb->rstd[i + k]);
        for (int k = 0; k < nr; k++) {
            float *yr = (float *)jb->y + (i + k) * D;
            double m = jb->mean[i + k], r = jb->rstd[i + k];
            const __m512d vm = _mm512_set1_pd(m), vr = _mm512_set1_pd(r);
            int64_t j = 0;
            if (wd && bd)
                for (; j + 8 <= D; j += 8) {
                    __m512d v = _mm512_mul_pd(_mm512_sub_pd(_mm512_loadu_pd(kx[k] + j), vm), vr);
                    v = _mm512_add_pd(_mm512_mul_pd(v, _mm512_loadu_pd(wd + j)),
                                      _mm512_loadu_pd(bd + j));
                    _mm256_storeu_ps(yr + j, _mm512_cvtpd_ps(v));
                }
            for (; j < D; j++) { /* the tail, and rows without both w and b */
                double v = (kx[k][j] - m) * r;
                if (wd && bd)
                    v = v * wd[j] + bd[j];
                else {
                    if (w) v *= (double)w[j];
                    if (b) v += (double)b[j];
                }
                yr[j] = (float)v;
            }
        }
    }
}
/* Whether this CPU (and its OS) runs the AVX-512 rows: pn_cpu_has_avx512 (cpuinfo.h),
 * asked once, as the rows call this for every row; benign to race. */
static int ln_has_avx512(void) {
    static int has = -1;
    int v = __atomic_load_n(&has, __ATOMIC_RELAXED);
    if (v < 0) {
        v = pn_cpu_has_avx512();
        __atomic_store_n(&has, v, __ATOMIC_RELAXED);
    }
    return v;
}
#else
#define NORM_AVX512 0
#endif

/* The forward's rows: the fastest this CPU has. */
static void layer_norm_rows_fast_f32(void *ctx, int64_t i0, int64_t i1) {
#if NORM_AVX512
    if (ln_has_avx512()) {
        layer_norm_rows_f32_avx512(ctx, i0, i1);
        return;
    }
#endif
    layer_norm_rows_f32(ctx, i0, i1);
}

/* The float32 forward with each kernel's rows, for pn_layer_norm_forward_f32_kernel
 * (declared static first: the definitions below then have internal linkage). */
typedef void ln_forward_f32_t(const float *x, const float *w, const float *b, double eps, float *y,
                              double *mean, double *rstd, int64_t M, int64_t D);
static ln_forward_f32_t ln_forward_f32_portable;
DEFINE_LAYER_NORM_FORWARD(ln_forward_f32_portable, layer_norm_rows_f32, float)
#if NORM_AVX512
static ln_forward_f32_t ln_forward_f32_avx512;
DEFINE_LAYER_NORM_FORWARD(ln_forward_f32_avx512, layer_norm_rows_f32_avx512, float)
#endif
pn_layer_norm_forward_f32_fn pn_layer_norm_forward_f32_kernel(const char *name) {
    if (!strcmp(name, "portable")) return ln_forward_f32_portable;
#if NORM_AVX512
    if (!strcmp(name, "avx512") && ln_has_avx512()) return ln_forward_f32_avx512;
#endif
    return NULL;
}

/* A plain function around the inlined portable row, for pn_ln_row_backward_f32_kernel. */
static void ln_row_backward_f32_portable(const float *gr, const float *xr, const float *w,
                                         int64_t D, double m, double r, double *dw, double *db,
                                         float *dx, double *sgw, double *sgwx) {
    ln_row_backward_f32(gr, xr, w, D, m, r, dw, db, dx, sgw, sgwx);
}

pn_ln_row_backward_f32_fn pn_ln_row_backward_f32_kernel(const char *name) {
    if (!strcmp(name, "portable")) return ln_row_backward_f32_portable;
#if NORM_AVX512
    if (!strcmp(name, "avx512") && ln_has_avx512()) return ln_row_backward_f32_avx512;
#endif
    return NULL;
}

/* The row kernels the backward runs: the fastest this CPU has. */
#if NORM_AVX512
#define ln_row_backward_fast_f32(...) \
    (ln_has_avx512() ? ln_row_backward_f32_avx512(__VA_ARGS__) : ln_row_backward_f32(__VA_ARGS__))
#else
#define ln_row_backward_fast_f32 ln_row_backward_f32
#endif
#define ln_row_backward_fast_f64 ln_row_backward_f64

// Backward of y = xhat w + b, xhat = (x - mean) rstd, for the parts [p0, p1):
//   dw += g xhat,  db += g  (summed over the part's rows, into the part's accumulators)
//   dx = rstd (g w - mean_j(g w) - xhat mean_j(g w xhat))
#define DEFINE_LAYER_NORM_BACKWARD_PARTS(NAME, T, SFX) \
    PN_SIMD_CLONES static void NAME(void *ctx, int64_t p0, int64_t p1) { \
        const ln_job *jb = ctx; \
        const T *w = jb->w; \
        int64_t D = jb->D; \
        for (int64_t p = p0; p < p1; p++) { \
            double *dw = jb->dw, *db = jb->db; \
            if (p > 0) { /* (dw or db NULL: the part's accumulator is not read) */ \
                dw = dw ? jb->acc + (p - 1) * 2 * D : NULL; \
                db = db ? jb->acc + (p - 1) * 2 * D + D : NULL; \
            } \
            int64_t i1 = (p + 1) * jb->rows < jb->M ? (p + 1) * jb->rows : jb->M; \
            for (int64_t i = p * jb->rows; i < i1; i++) { \
                const T *gr = (const T *)jb->g + i * D, *xr = (const T *)jb->x + i * D; \
                double m = jb->mean_in[i], r = jb->rstd_in[i], sgw, sgwx; \
                T *dx = jb->y ? (T *)jb->y + i * D : NULL; \
                ln_row_backward_fast_##SFX(gr, xr, w, D, m, r, dw, db, dx, &sgw, &sgwx); \
            } \
        } \
    }
DEFINE_LAYER_NORM_BACKWARD_PARTS(layer_norm_backward_parts_f32, float, f32)
DEFINE_LAYER_NORM_BACKWARD_PARTS(layer_norm_backward_parts_f64, double, f64)

/* The backward over all rows (dx into jb->y): the parts, then their sums in order.
 * Without memory for the parts' accumulators it runs as one part. */
static void layer_norm_backward_run(ln_job *jb, pn_range_fn parts) {
    int64_t M = jb->M, D = jb->D, min_rows = LN_PART_MIN / (D > 0 ? D : 1) + 1;
    int64_t rows = (M + LN_PARTS - 1) / LN_PARTS;
    rows = rows < min_rows ? min_rows : rows;
    int64_t np = M > 0 ? (M + rows - 1) / rows : 1;
    jb->acc = NULL;
    if (np > 1 && (jb->dw || jb->db) &&
        !(jb->acc = calloc((size_t)((np - 1) * 2 * D), sizeof(double))))
        rows = M, np = 1;
    jb->rows = rows > 0 ? rows : 1;
    pn_parallel_for_dynamic(np, 1, parts, jb);
    for (int64_t p = 1; p < np && jb->acc; p++)
        for (int64_t j = 0; j < D; j++) {
            if (jb->dw) jb->dw[j] += jb->acc[(p - 1) * 2 * D + j];
            if (jb->db) jb->db[j] += jb->acc[(p - 1) * 2 * D + D + j];
        }
    free(jb->acc);
}

#define DEFINE_LAYER_NORM_BACKWARD(NAME, PARTS, T) \
    void NAME(const T *g, const T *x, const double *mean, const double *rstd, const T *w, T *dx, \
              double *dw, double *db, int64_t M, int64_t D) { \
        ln_job jb = {.dw = dw, .db = db, .M = M, .D = D}; \
        jb.x = x, jb.w = w, jb.g = g, jb.y = dx, jb.mean_in = mean, jb.rstd_in = rstd; \
        layer_norm_backward_run(&jb, PARTS); \
    }
DEFINE_LAYER_NORM_BACKWARD(pn_layer_norm_backward_f32, layer_norm_backward_parts_f32, float)
DEFINE_LAYER_NORM_BACKWARD(pn_layer_norm_backward_f64, layer_norm_backward_parts_f64, double)

/* ----------------------------------------------------------- group norm ---- */

/* Group norm is split by rows (n, k) of the (N G, D) view over the thread pool.
 * A row's statistics are a layer norm row's (ln_row_stats). The backward sums
 * each channel's g and g xhat over its L positions within the row (in LN_L
 * lanes, as batch norm's channel runs); dx needs only the row's own sums, while
 * dw and db add each channel's sums over the N items: they are kept per (n, c)
 * and added in item order afterwards, so the bits do not depend on the threads.
 * (Composed of layer_norm, a broadcast multiply and add, GroupNorm(8, 32) over
 * (16, 32, 28, 28) took 2.2x PyTorch's time forward + backward at 1 thread.) */
typedef struct {
    const void *x, *w, *b, *g;
    double eps;
    void *y;
    double *mean, *rstd; /* forward: written; backward: read */
    double *sg, *sgx;    /* backward: per (n, c) sums of g and g xhat, N C each */
    int64_t N, C, L, G;
} gn_job;

// x row (n, k) (Cg L) -> mean, rstd; y = x scale + shift per channel c of the row,
// scale = rstd w[c], shift = b[c] - mean scale: rows [r0, r1)
#define DEFINE_GROUP_NORM_ROWS(NAME, T, SFX) \
    PN_SIMD_CLONES static void NAME(void *ctx, int64_t r0, int64_t r1) { \
        const gn_job *jb = ctx; \
        const T *w = jb->w, *b = jb->b; \
        int64_t L = jb->L, Cg = jb->C / jb->G, D = Cg * L; \
        for (int64_t r = r0; r < r1; r++) { \
            const T *xr = (const T *)jb->x + r * D; \
            T *yr = (T *)jb->y + r * D; \
            ln_row_stats_##SFX(xr, D, jb->eps, &jb->mean[r], &jb->rstd[r]); \
            double m = jb->mean[r], rs = jb->rstd[r]; \
            for (int64_t cc = 0; cc < Cg; cc++) { \
                int64_t c = r % jb->G * Cg + cc; \
                double scale = rs * (w ? (double)w[c] : 1.0); \
                double shift = (b ? (double)b[c] : 0.0) - m * scale; \
                for (int64_t l = 0; l < L; l++) \
                    yr[cc * L + l] = (T)((double)xr[cc * L + l] * scale + shift); \
            } \
        } \
    }
DEFINE_GROUP_NORM_ROWS(group_norm_rows_f32, float, f32)
DEFINE_GROUP_NORM_ROWS(group_norm_rows_f64, double, f64)

#define DEFINE_GROUP_NORM_FORWARD(NAME, ROWS, T) \
    void NAME(const T *x, const T *w, const T *b, double eps, T *y, double *mean, double *rstd, \
              int64_t N, int64_t C, int64_t L, int64_t G) { \
        gn_job jb = {.x = x, .w = w, .b = b, .eps = eps, .y = y, .mean = mean, .rstd = rstd}; \
        jb.N = N, jb.C = C, jb.L = L, jb.G = G; \
        int64_t D = C / G * L; \
        pn_parallel_for(N * G, LN_PART_MIN / (D > 0 ? D : 1) + 1, ROWS, &jb); \
    }
DEFINE_GROUP_NORM_FORWARD(pn_group_norm_forward_f32, group_norm_rows_f32, float)
DEFINE_GROUP_NORM_FORWARD(pn_group_norm_forward_f64, group_norm_rows_f64, double)

// One channel's L values of g and x -> *sg = sum g, *sgx = sum g (x - m), in LN_L double
// lanes (LN_LANES_LOOP, as ln_row_grad), then the tail
#define GN_SUM4(o, A, B) \
    { \
        ln_v4d gv, xv; \
        ln_load4(&gv, gr + j + o); \
        ln_load4(&xv, xr + j + o); \
        A += gv; \
        B += gv * (xv - m); \
    }
#define DEFINE_GN_CHANNEL_SUMS(NAME, T) \
    PN_VINLINE void NAME(const T *gr, const T *xr, int64_t L, double m, double *sg, double *sgx) { \
        LN_LANES_LOOP(GN_SUM4, L) \
        LN_LANES_FOLD(ta, tb) \
        for (; j < L; j++) { \
            ta += (double)gr[j]; \
            tb += (double)gr[j] * ((double)xr[j] - m); \
        } \
        *sg = ta, *sgx = tb; \
    }
DEFINE_GN_CHANNEL_SUMS(gn_channel_sums_f32, float)
DEFINE_GN_CHANNEL_SUMS(gn_channel_sums_f64, double)

/* The float32 channel by AVX-512 registers, as ln_row_grad_f32_avx512 is to its row:
 * the same lanes, order, fold and tail, so the same bits as gn_channel_sums_f32
 * (pn_gn_channel_sums_f32_kernel gives both). */
#if NORM_AVX512
T512_LN static void gn_channel_sums_f32_avx512(const float *gr, const float *xr, int64_t L,
                                               double m, double *sg, double *sgx) {
    const __m512d vm = _mm512_set1_pd(m);
    __m512d A[2] = {_mm512_setzero_pd(), _mm512_setzero_pd()}, B[2] = {A[0], A[1]};
    int64_t j, nv = L - L % LN_L;
    for (j = 0; j < nv; j += LN_L)
        for (int h = 0; h < 2; h++) { /* lanes 8h .. 8h + 7 */
            __m512d g = ln_cvt8(gr + j + 8 * h);
            A[h] = _mm512_add_pd(A[h], g);
            B[h] =
                _mm512_add_pd(B[h], _mm512_mul_pd(g, _mm512_sub_pd(ln_cvt8(xr + j + 8 * h), vm)));
        }
    double pa[LN_L], pb[LN_L];
    _mm512_storeu_pd(pa, A[0]), _mm512_storeu_pd(pa + 8, A[1]);
    _mm512_storeu_pd(pb, B[0]), _mm512_storeu_pd(pb + 8, B[1]);
    double ta = ln_fold(pa), tb = ln_fold(pb);
    for (; j < L; j++) { /* the tail, as gn_channel_sums_f32's */
        ta += (double)gr[j];
        tb += (double)gr[j] * ((double)xr[j] - m);
    }
    *sg = ta, *sgx = tb;
}
#define gn_channel_sums_fast_f32(...) \
    (ln_has_avx512() ? gn_channel_sums_f32_avx512(__VA_ARGS__) : gn_channel_sums_f32(__VA_ARGS__))
#else
#define gn_channel_sums_fast_f32 gn_channel_sums_f32
#endif
#define gn_channel_sums_fast_f64 gn_channel_sums_f64

/* A plain function around the inlined portable channel, for pn_gn_channel_sums_f32_kernel. */
static void gn_channel_sums_f32_portable(const float *gr, const float *xr, int64_t L, double m,
                                         double *sg, double *sgx) {
    gn_channel_sums_f32(gr, xr, L, m, sg, sgx);
}

pn_gn_channel_sums_f32_fn pn_gn_channel_sums_f32_kernel(const char *name) {
    if (!strcmp(name, "portable")) return gn_channel_sums_f32_portable;
#if NORM_AVX512
    if (!strcmp(name, "avx512") && ln_has_avx512()) return gn_channel_sums_f32_avx512;
#endif
    return NULL;
}

// g, x row (n, k) -> sg[n, c] = sum_l g, sgx[n, c] = sum_l g xhat for the row's channels,
// and dx = rstd (g w[c] - A / D - xhat B / D), A = sum_c w[c] sg, B = sum_c w[c] sgx
// (the row's sums of g w and g w xhat): rows [r0, r1)
#define DEFINE_GROUP_NORM_BACKWARD_ROWS(NAME, T, SFX) \
    PN_SIMD_CLONES static void NAME(void *ctx, int64_t r0, int64_t r1) { \
        const gn_job *jb = ctx; \
        const T *w = jb->w; \
        int64_t L = jb->L, Cg = jb->C / jb->G, D = Cg * L; \
        for (int64_t r = r0; r < r1; r++) { \
            const T *g = (const T *)jb->g + r * D, *x = (const T *)jb->x + r * D; \
            double m = jb->mean[r], rs = jb->rstd[r], A = 0, B = 0, sg, sgx; \
            int64_t c0 = r % jb->G * Cg, n = r / jb->G; \
            for (int64_t cc = 0; cc < Cg; cc++) { \
                gn_channel_sums_fast_##SFX(g + cc * L, x + cc * L, L, m, &sg, &sgx); \
                double wc = w ? (double)w[c0 + cc] : 1.0; \
                sgx *= rs; \
                jb->sg[n * jb->C + c0 + cc] = sg, jb->sgx[n * jb->C + c0 + cc] = sgx; \
                A += wc * sg, B += wc * sgx; \
            } \
            if (!jb->y) continue; \
            double a = A / (double)D, bq = B / (double)D; \
            for (int64_t cc = 0; cc < Cg; cc++) { \
                const T *gr = g + cc * L, *xr = x + cc * L; \
                T *dr = (T *)jb->y + r * D + cc * L; \
                double k = rs * (w ? (double)w[c0 + cc] : 1.0), kx = rs * bq, k0 = rs * a; \
                for (int64_t l = 0; l < L; l++) { \
                    double xhat = ((double)xr[l] - m) * rs; \
                    dr[l] = (T)(k * (double)gr[l] - k0 - xhat * kx); \
                } \
            } \
        } \
    }
DEFINE_GROUP_NORM_BACKWARD_ROWS(group_norm_backward_rows_f32, float, f32)
DEFINE_GROUP_NORM_BACKWARD_ROWS(group_norm_backward_rows_f64, double, f64)

/* The backward over all rows, then dw, db: each channel's per-item sums added in
 * item order. Without memory for the per-item sums nothing is written. */
static int group_norm_backward_run(gn_job *jb, pn_range_fn rows, double *dw, double *db) {
    int64_t N = jb->N, C = jb->C, D = C / jb->G * jb->L;
    jb->sg = malloc((size_t)(2 * N * C) * sizeof(double) + 8);
    if (!jb->sg) return PN_ENOMEM;
    jb->sgx = jb->sg + N * C;
    pn_parallel_for(N * jb->G, LN_PART_MIN / (D > 0 ? D : 1) + 1, rows, jb);
    for (int64_t c = 0; c < C; c++) {
        double s = 0, sx = 0;
        for (int64_t n = 0; n < N; n++) s += jb->sg[n * C + c], sx += jb->sgx[n * C + c];
        if (db) db[c] = s;
        if (dw) dw[c] = sx;
    }
    free(jb->sg);
    return PN_OK;
}

#define DEFINE_GROUP_NORM_BACKWARD(NAME, ROWS, T) \
    int NAME(const T *g, const T *x, const double *mean, const double *rstd, const T *w, T *dx, \
             double *dw, double *db, int64_t N, int64_t C, int64_t L, int64_t G) { \
        gn_job jb = {.x = x, .w = w, .g = g, .y = dx, .mean = (double *)mean}; \
        jb.rstd = (double *)rstd, jb.N = N, jb.C = C, jb.L = L, jb.G = G; \
        return group_norm_backward_run(&jb, ROWS, dw, db); \
    }
DEFINE_GROUP_NORM_BACKWARD(pn_group_norm_backward_f32, group_norm_backward_rows_f32, float)
DEFINE_GROUP_NORM_BACKWARD(pn_group_norm_backward_f64, group_norm_backward_rows_f64, double)

/* -------------------------------------------------------------- dropout ---- */

/* Element i is kept when its uniform u = k 2^-53 (k = the top 53 bits of a draw,
 * pn_rng_uniform) is below 1 - p. As integers: k < t = (1 - p) 2^53 (exact: a
 * power-of-two scaling) exactly when k < ceil(t), and the kept/dropped choice is
 * then a bit mask on the scale, not a branch: a branch on a random
 * choice is mispredicted about every fourth element at p = 0.25, which made
 * the mask loop take 6 ns per element. */
#define DEFINE_DROPOUT_MASK(NAME, T, U) \
    void NAME(pn_rng *g, T *mask, int64_t n, double p) { \
        /* the scale is computed in T, as PyTorch divides a T mask by (1 - p) */ \
        T scale = p >= 1.0 ? (T)0 : (T)1 / (T)(1.0 - p); \
        uint64_t keep_below = (uint64_t)ceil((1.0 - p) * 0x1p53); \
        U bits; /* the scale's bits, and'ed with all ones (kept) or zeros */ \
        memcpy(&bits, &scale, sizeof bits); \
        pn_rng r = *g; /* a local copy stays in registers: the stores to mask may alias g */ \
        for (int64_t i = 0; i < n; i++) { \
            U m = bits & ((U)0 - (U)((pn_rng_next(&r) >> 11) < keep_below)); \
            memcpy(mask + i, &m, sizeof m); \
        } \
        *g = r; \
    }
DEFINE_DROPOUT_MASK(pn_dropout_mask_f32, float, uint32_t)
DEFINE_DROPOUT_MASK(pn_dropout_mask_f64, double, uint64_t)

/* ------------------------------------------------------------ embedding ---- */

#define DEFINE_EMBEDDING(NAME, T) \
    int NAME(const int64_t *idx, int64_t n, const T *weight, int64_t V, int64_t D, T *out, \
             int zero_pad, int64_t pad, int64_t *bad) { \
        for (int64_t i = 0; i < n; i++) \
            if (idx[i] < 0 || idx[i] >= V) { \
                *bad = idx[i]; \
                return PN_EINVAL; \
            } \
        for (int64_t i = 0; i < n; i++) { \
            if (zero_pad && idx[i] == pad) \
                memset(out + i * D, 0, sizeof(T) * (size_t)D); \
            else \
                memcpy(out + i * D, weight + idx[i] * D, sizeof(T) * (size_t)D); \
        } \
        return PN_OK; \
    }
DEFINE_EMBEDDING(pn_embedding_f32, float)
DEFINE_EMBEDDING(pn_embedding_f64, double)

#define DEFINE_EMBEDDING_BACKWARD(NAME, T) \
    void NAME(const int64_t *idx, int64_t n, const T *g, int64_t D, T *dweight, int64_t pad) { \
        for (int64_t i = 0; i < n; i++) { \
            if (idx[i] == pad) continue; \
            T *row = dweight + idx[i] * D; \
            const T *gr = g + i * D; \
            for (int64_t j = 0; j < D; j++) row[j] += gr[j]; \
        } \
    }
DEFINE_EMBEDDING_BACKWARD(pn_embedding_backward_f32, float)
DEFINE_EMBEDDING_BACKWARD(pn_embedding_backward_f64, double)
