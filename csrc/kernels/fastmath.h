/* fastmath.h - vectorizable float32 exp, rsqrt, logistic, tanh, Phi, erf, the logarithms,
 * expm1 and softplus; the SIMD-clone attribute.
 *
 * libm's expf is a function call per element, which stops the compiler from
 * vectorizing loops over it. pn_expf is written so that it can be, in float
 * arithmetic (8 lanes per AVX2 vector, twice as many as in double):
 *
 *   exp(x) = 2^n * exp(r),   n = round(x / ln 2),   r = x - n ln 2 in [-ln2/2, ln2/2]
 *
 * and exp(r) = 1 + r + r^2 q(r), q the Taylor polynomial to r^6/8! (error below
 * r^9/9! < 2e-10 relative; a fitted degree-5 q, one fma less, measured 0.571
 * ulp instead of 0.560). What makes it accurate is where the roundings go:
 *   - r1 = x - n ln2_hi is exact (one fma; ln2_hi = float(ln 2)), and the rest,
 *     c = -n ln2_lo, is kept apart: r = r1 + c rounded, er its rounding error;
 *   - r^2 is taken exactly as rr + corr (fma), corrected for er;
 *   - 1 + (r1 + v), v = r^2 q + c, is summed with two Fast2Sums, so the only
 *     rounding of size 1/2 ulp is the last one.
 * Then 2^n is applied in two halves, each a normal float, so results in the
 * subnormal range and up to FLT_MAX come out right. NaN propagates, +inf -> inf,
 * -inf -> 0. fmaf is exact everywhere; without FMA hardware (the baseline
 * clone) it is a libm call, slower but the same bits.
 * Accuracy, every float swept by csrc/tests/test_vecmath.c: 0.57 ulp for
 * normal results, 0.76 ulp for subnormal ones (the final scaling rounds a second
 * time there). PyTorch's exp measures 0.55 ulp on normal results and flushes
 * subnormal ones to zero.
 */
#ifndef PN_FASTMATH_H
#define PN_FASTMATH_H
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "vecmath.h" /* pn_double_to_bits, pn_bits_to_double (pn_powf_tab) */

/* Compile a loop three times, for baseline x86-64, AVX2 and AVX-512, and pick one when the
 * library loads (GCC/clang function multi-versioning). Other CPUs: one version.
 * The AVX2 version targets x86-64-v3 (AVX2 + FMA + ...), not "avx2" alone, and the
 * AVX-512 one x86-64-v4, not "avx512f" alone: without FMA in the target, every
 * fmaf() in the loop (pn_phif's exact products, for one) becomes a call to libm and
 * the loop stays scalar, 20x slower (GELU on an AMD EPYC; softmax 7x slower than
 * PyTorch on a Zen 4, whose loader picked the AVX-512 clone).
 * The results do not change: fmaf is exact either way and -std=c11 never fuses
 * a * b + c by itself. GCC learned x86-64-v3 as a clone target in version 12. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__SANITIZE_ADDRESS__)
#if !defined(__clang__) && __GNUC__ >= 12
#define PN_SIMD_CLONES __attribute__((target_clones("default", "arch=x86-64-v3", "arch=x86-64-v4")))
#else
#define PN_SIMD_CLONES __attribute__((target_clones("default", "avx2", "avx512f")))
#endif
#else
#define PN_SIMD_CLONES
#endif

/* Always inlined: a call inside a loop stops it from vectorizing, and GCC's size
 * limits (or a select it takes for a cold branch) would otherwise leave the larger
 * functions (softplus, the logs) out of their loops. */
#if defined(__GNUC__)
#define PN_FINLINE static inline __attribute__((always_inline))
#else
#define PN_FINLINE static inline
#endif

PN_FINLINE float pn_bits_to_float(int32_t i) {
    float f;
    memcpy(&f, &i, sizeof f);
    return f;
}
PN_FINLINE int32_t pn_float_to_bits(float f) {
    int32_t i;
    memcpy(&i, &f, sizeof i);
    return i;
}

/* The argument reduction of pn_expf, for x in [-104, 89] (or NaN):
 * x = n ln2 + r1 + c with n = round(x / ln2), r1 = x - n ln2_hi exact (one fma;
 * ln2_hi = float(ln 2)) and c = -n ln2_lo, |c| < 2^-20 |r1| unless both are 0.
 * Returns r1; c and n through the pointers (n = 0 gives r1 = x, c = +0). */
PN_FINLINE float pn_exp_arg(float x, float *c, int32_t *n) {
    const float log2e = 1.44269504088896341f;
    const float ln2_hi = 0.693147182464599609375f, ln2_lo = -1.904654323148236e-09f;
    const float magic = 12582912.0f; /* 1.5 * 2^23: adding it rounds to an integer */
    float t = __builtin_fmaf(x, log2e, magic);
    *n = pn_float_to_bits(t) - pn_float_to_bits(magic); /* round(x / ln2) as an int */
    float nf = t - magic;
    *c = -nf * ln2_lo;
    return __builtin_fmaf(-nf, ln2_hi, x);
}

/* (exp(r) - 1 - r - r^2/2) / r^3 = 1/3! + r/4! + ... + r^5/8!, Taylor, for
 * |r| <= ln2 / 2: the terms left out are below r^6 / 9! < 2e-9 relative. */
PN_FINLINE float pn_exp_poly3(float r) {
    float q = 1.0f / 40320;
    q = __builtin_fmaf(q, r, 1.0f / 5040);
    q = __builtin_fmaf(q, r, 1.0f / 720);
    q = __builtin_fmaf(q, r, 1.0f / 120);
    q = __builtin_fmaf(q, r, 1.0f / 24);
    return __builtin_fmaf(q, r, 1.0f / 6);
}

/* The core of pn_expf, for x in [-104, 89] (or NaN): exp(x) = (p + *lo) 2^*n,
 * returned as p in [0.7, 1.42], *lo below ulp(p) / 2 (the part of the sum
 * 1 + r1 + v that p does not hold) and n. The pair is good to about 2^-28
 * relative (the rounding of v); pn_tanhf_exact uses it unrounded. */
PN_FINLINE float pn_exp_reduced(float x, float *lo, int32_t *n) {
    float c, r1 = pn_exp_arg(x, &c, n);
    float r = r1 + c, er = (r1 - r) + c; /* r + er = r1 + c */
    float q = __builtin_fmaf(pn_exp_poly3(r), r, 0.5f);
    float rr = r * r, corr = __builtin_fmaf(r, r, -rr); /* rr + corr = r^2 exactly */
    corr = __builtin_fmaf(r + r, er, corr);             /* (r + er)^2, to first order */
    float v = __builtin_fmaf(rr, q, __builtin_fmaf(q, corr, c));
    float s = r1 + v, es = (r1 - s) + v; /* Fast2Sum: s + es = r1 + v */
    float p = 1.0f + s, ep = (1.0f - p) + s;
    *lo = ep + es;
    return p;
}

/* 2^n = s1 * s2 for n in [-256, 254], each half a normal float, so that a
 * scaled result may be subnormal or up to FLT_MAX: s1 = 2^floor(n / 2), the
 * floor taken as (n + 256) / 2 - 128 in unsigned arithmetic, and the shifts
 * unsigned: for a NaN input n is garbage (the result is NaN anyway) and must
 * not make anything undefined behaviour. */
PN_FINLINE void pn_exp2_halves(int32_t n, float *s1, float *s2) {
    uint32_t n1 = (((uint32_t)n + 256u) >> 1) - 128u, n2 = (uint32_t)n - n1;
    *s1 = pn_bits_to_float((int32_t)((n1 + 127u) << 23));
    *s2 = pn_bits_to_float((int32_t)((n2 + 127u) << 23));
}

/* pn_expf's argument range: beyond [-104, 89], exp is 0 or inf in float either
 * way (and the scaling by 2^n produces them). Comparisons keep NaN as it is. */
#define PN_EXP_ARG_MAX 89.0f
#define PN_EXP_ARG_MIN (-104.0f)
PN_FINLINE float pn_exp_clamp(float x) {
    x = x > PN_EXP_ARG_MAX ? PN_EXP_ARG_MAX : x;
    return x < PN_EXP_ARG_MIN ? PN_EXP_ARG_MIN : x;
}

PN_FINLINE float pn_expf(float x) {
    x = pn_exp_clamp(x);
    float lo;
    int32_t n;
    float p = pn_exp_reduced(x, &lo, &n);
    float s1, s2;
    pn_exp2_halves(n, &s1, &s2);
    return (p + lo) * s1 * s2;
}

/* 2^(j/32), j = 0..31, as pairs of floats: pn_exp2_32[0][j] is the float nearest
 * and pn_exp2_32[1][j] the float nearest the rest (together good to 2^-48
 * relative). Computed with mpmath; defined in elementwise.c. */
extern const float pn_exp2_32[2][32];

/* exp(x) by a table, for the float32 exp op on x86 (elementwise.c; its AVX-512
 * and AVX2 kernels compute the same with vector permutes, to the bit):
 *   x = k ln2/32 + r, k = round(32 x / ln2), |r| <= ln2/64: x - k C_hi is exact
 *       (one fma, C_hi = float(ln2 / 32), as in pn_exp_arg), - k C_lo rounds once;
 *   exp(x) = 2^n 2^(j/32) e^r with k = 32 n + j, 0 <= j < 32;
 *   e^r - 1 = p = r + r^2 (c2 + c3 r), c2 and c3 fitted (minimax) to within 1e-10
 *       on |r| <= ln2/64, where the Taylor pair 1/2, 1/6 leaves 5.8e-10;
 *   exp(x) = (hi + (hi p + lo)) 2^n, 2^(j/32) = hi + lo from pn_exp2_32.
 * hi p + lo is at most 2.2% of the sum, so its roundings (and r's) cost under
 * 0.03 ulp, and the sum is rounded once. Measured over every float: 0.5252 ulp
 * for normal results (pn_expf: 0.57, PyTorch: 0.55), 0.754 for subnormal ones
 * (the sum is rounded, then scaled by 2^n); test_vecmath.c sweeps a subset.
 * x is clamped to [-104, 89] as in pn_expf; NaN propagates, +inf -> inf,
 * -inf -> 0. With the table in vector registers this is a third of pn_expf's
 * instructions; a loop the compiler vectorizes turns the lookups into gathers,
 * which is why the other kernels keep pn_expf. pn_exp_tab_sum returns the sum,
 * pn_exp_tab_pair its parts hi (the table's 2^(j/32), rounded) and *lo; 2^n in
 * two halves through *s1, *s2. */
#define PN_EXP_TAB_INV   46.16624069f     /* 32 / ln2 */
#define PN_EXP_TAB_C_HI  2.166084945e-02f /* ln2 / 32 = C_HI + C_LO */
#define PN_EXP_TAB_C_LO  (-5.952044413e-11f)
#define PN_EXP_TAB_C2    5.000040531e-01f /* e^r - 1 = r + r^2 (C2 + C3 r) */
#define PN_EXP_TAB_C3    1.666675657e-01f
#define PN_EXP_TAB_MAGIC 12582912.0f /* 1.5 * 2^23: adding it rounds to an integer */
/* pn_exp_tab_pair of x + dx for a small dx (|dx| < 2^-16), which joins r (exp of
 * x + dx, dx below x's ulp). */
PN_FINLINE float pn_exp_tab_pair_dx(float x, float dx, float *lo, float *s1, float *s2) {
    const float inv = PN_EXP_TAB_INV, c_hi = PN_EXP_TAB_C_HI, c_lo = PN_EXP_TAB_C_LO;
    const float c2 = PN_EXP_TAB_C2, c3 = PN_EXP_TAB_C3, magic = PN_EXP_TAB_MAGIC;
    x = pn_exp_clamp(x);
    float t = __builtin_fmaf(x, inv, magic);
    uint32_t k = (uint32_t)(pn_float_to_bits(t) - pn_float_to_bits(magic)); /* round(32 x / ln2) */
    float kf = t - magic;
    float r = __builtin_fmaf(-kf, c_lo, __builtin_fmaf(-kf, c_hi, x)) + dx;
    float p = __builtin_fmaf(r * r, __builtin_fmaf(r, c3, c2), r);
    float hi = pn_exp2_32[0][k & 31u];
    *lo = __builtin_fmaf(hi, p, pn_exp2_32[1][k & 31u]);
    /* n = floor(k / 32) in [-151, 128] (k >= -4802), taken in unsigned arithmetic */
    pn_exp2_halves((int32_t)((k + 8192u) >> 5) - 256, s1, s2);
    return hi;
}
PN_FINLINE float pn_exp_tab_pair(float x, float *lo, float *s1, float *s2) {
    return pn_exp_tab_pair_dx(x, -0.0f, lo, s1, s2); /* r + -0 is r: the compiler drops it */
}
PN_FINLINE float pn_exp_tab_sum(float x, float *s1, float *s2) {
    float lo, hi = pn_exp_tab_pair(x, &lo, s1, s2);
    return hi + lo;
}

/* exp(x) by the table: pn_exp_tab_sum scaled by 2^n (one rounding, as a single
 * multiplication by 2^n would). */
PN_FINLINE float pn_expf_tab(float x) {
    float s1, s2, s = pn_exp_tab_sum(x, &s1, &s2);
    return s * s1 * s2;
}

/* exp(x) for x <= 0 without pn_expf's compensations, for pn_erfc_fit and
 * pn_sigmoid_quot, whose other roundings are larger: 1 + r + r^2 q(r) summed
 * as it comes, within 0.98 ulp where the result is normal and 0.75 where it is
 * subnormal (measured over every x <= 0; test_nn.c and test_vecmath.c measure
 * GELU, erf and sigmoid as a whole). pn_expf's reduction; -inf -> 0, NaN -> NaN. */
PN_FINLINE float pn_expf_plain(float x) {
    x = x < -104.0f ? -104.0f : x;
    float c;
    int32_t n;
    float r1 = pn_exp_arg(x, &c, &n), r = r1 + c;
    float q = __builtin_fmaf(pn_exp_poly3(r), r, 0.5f);
    float p = __builtin_fmaf(r * r, q, r) + 1.0f;
    /* n in [-150, 0]: 2^(n + 25) is a normal float, and so is p 2^(n + 25);
     * the scaling by 2^-25 rounds only where the result is subnormal. (For a
     * NaN x, n is garbage, hence the unsigned shift, and p is NaN.) */
    float s = pn_bits_to_float((int32_t)((uint32_t)(n + 152) << 23));
    return p * s * 0x1p-25f;
}

/* 1 / sqrt(x) in float arithmetic: y = 1 / sqrtf(x) (two roundings, up to 1.5
 * ulp), then one step of the series 1/sqrt(x) = y (1 - r)^(-1/2), r = 1 - x y^2,
 *   y' = y + (y / 2) (r + 3/4 r^2),
 * whose residual r is formed exactly enough from t + et = x y (fma) as
 * fma(-et, y, fma(-t, y, 1)). Correctly rounded: every positive float was
 * checked against a long double 1/sqrtl (test_vecmath.c's sweep keeps the
 * bound 0.5 ulp). Without the r^2 term, 114 floats near halfway points rounded
 * the wrong way (the AVX-512 kernel, from another start, missed 114 others:
 * correct rounding is what makes the two agree). x y rather than y^2 keeps every
 * intermediate normal from the smallest subnormal x to FLT_MAX. Where y is 0,
 * infinite or NaN (x = inf, +-0, negative, NaN) y itself is the answer
 * (0, +-inf, NaN). Twice the lanes of the double version, at half its time. */
PN_FINLINE float pn_rsqrtf(float x) {
    float y = 1.0f / sqrtf(x);
    float t = x * y, et = __builtin_fmaf(x, y, -t); /* t + et = x y */
    float r = __builtin_fmaf(-et, y, __builtin_fmaf(-t, y, 1.0f));
    float c = __builtin_fmaf(0.5f * y, __builtin_fmaf(0.75f * r, r, r), y);
    return (y == 0 || !(y - y == 0)) ? y : c; /* y - y is 0 unless y is inf or NaN */
}

/* The logistic function 1 / (1 + exp(-x)), for the sigmoid op, SiLU and the
 * RNN gates, never exponentiating a large positive number:
 *   e = exp(-|x|) <= 1 rounded once (pn_sigmoid_quot: pn_expf_plain, within
 *       1 ulp; pn_logistic_quot takes it from its caller),
 *   1 + e = uh + ul exactly (Fast2Sum, 1 >= e),
 *   sigmoid = num / (1 + e), num = 1 for x >= 0 and e for x < 0,
 * returned as q + rem inv: the quotient q = num inv (inv = 1 / uh) and its
 * remainder rem = num - q (uh + ul) (fma: exact but for ul's product), so
 * that only e's error and the last rounding are left. pn_sigmoid_pair is the
 * compensated 0.57-ulp version, at 1.5x the instructions. */
PN_FINLINE float pn_logistic_quot(float x, float e, float *rem, float *inv) {
    float uh = 1.0f + e, ul = (1.0f - uh) + e;
    float num = x >= 0 ? 1.0f : e;
    float q = num * (*inv = 1.0f / uh);
    *rem = __builtin_fmaf(-q, ul, __builtin_fmaf(-q, uh, num));
    return q;
}
PN_FINLINE float pn_sigmoid_quot(float x, float *rem, float *inv) {
    return pn_logistic_quot(x, pn_expf_plain(-fabsf(x)), rem, inv);
}

/* sigmoid(x) = q + rem inv, rounded once: measured over every float by
 * csrc/tests/test_vecmath.c, 1.474 ulp, 0.75 for subnormal results (PyTorch's
 * sigmoid: 2.37 ulp). NaN propagates; +-inf give 1 and 0; sigmoid(+-0) = 0.5. */
PN_FINLINE float pn_sigmoidf(float x) {
    float rem, inv, q = pn_sigmoid_quot(x, &rem, &inv);
    return __builtin_fmaf(rem, inv, q);
}

/* The same with e = exp(-|x|) from the exp table (pn_expf_tab, 0.5253 ulp), for
 * the float32 sigmoid op on x86 (elementwise.c's AVX-512 and AVX2 kernels compute
 * the same, to the bit): over every float within 1.48 ulp (1.4797), 0.7532 for
 * subnormal results, as pn_sigmoidf, in two thirds of its instructions. (e's
 * error dominates; the plain quotient num / (1 + e), two roundings after e's,
 * reaches 2.40 ulp.) */
PN_FINLINE float pn_sigmoidf_tab(float x) {
    float rem, inv, q = pn_logistic_quot(x, pn_expf_tab(x < 0 ? x : -x), &rem, &inv);
    return __builtin_fmaf(rem, inv, q);
}

/* SiLU x sigmoid(x) = x (q + rem inv) from the logistic quotient, one rounding
 * more than the sigmoid, for the float32 SiLU kernels (elementwise.c), where
 * pn_silu_holds(x): x >= -87 (below, e = exp(-|x|) is not a normal float, and x
 * magnifies its lost bits; nn.c recomputes those elements in double) and x <= 2^126
 * (at x = inf, x (rem inv) is inf times 0). pn_siluf_tab (on x86, e from the exp
 * table; the AVX-512 and AVX2 kernels compute the same, to the bit): within 1.49 ulp
 * there (1.4836 over every such float); pn_siluf (pn_expf_plain's e): 1.7.
 * (x / (1 + exp(-x)) as it stands: 2.38.) */
#define PN_SILU_MIN (-87.0f)
#define PN_SILU_MAX 0x1p126f
PN_FINLINE int pn_silu_holds(float x) { /* false for NaN too */
    return x >= PN_SILU_MIN && x <= PN_SILU_MAX;
}
PN_FINLINE float pn_siluf(float x) {
    float rem, inv, q = pn_sigmoid_quot(x, &rem, &inv);
    return __builtin_fmaf(x, q, x * (rem * inv));
}
PN_FINLINE float pn_siluf_tab(float x) {
    float rem, inv, q = pn_logistic_quot(x, pn_expf_tab(x < 0 ? x : -x), &rem, &inv);
    return __builtin_fmaf(x, q, x * (rem * inv));
}

/* tanh, vectorizable like pn_expf.
 *
 *   |x| < 0.55:  the odd Taylor series x (1 - x^2/3 + 2x^4/15 - ...) to x^17;
 *                the series alternates, so the error is below the first term
 *                left out, 2.4e-4 |x|^19 < 3e-9 (0.1 ulp of tanh(0.55)).
 *   otherwise:   sign(x) (1 - 2 / (exp(2|x|) + 1)), which keeps its relative
 *                accuracy because the result is at least 0.5; exp overflowing
 *                (|x| > 44) gives exactly +-1, as tanh does in float.
 * NaN propagates. Accuracy: within 4 ulp of libm's tanhf (measured over a dense
 * grid of [-10, 10] by csrc/tests/test_rnn.c), for nets whose gates are tanh. */
PN_FINLINE float pn_tanhf(float x) {
    float a = x < 0 ? -x : x, z = x * x;
    float p = 6404582.0f / 10854718875.0f;
    p = p * z - 929569.0f / 638512875.0f;
    p = p * z + 21844.0f / 6081075.0f;
    p = p * z - 1382.0f / 155925.0f;
    p = p * z + 62.0f / 2835.0f;
    p = p * z - 17.0f / 315.0f;
    p = p * z + 2.0f / 15.0f;
    p = p * z - 1.0f / 3.0f;
    p = p * z * x + x;
    float t = 1.0f - 2.0f / (pn_expf(2.0f * a) + 1.0f);
    t = x < 0 ? -t : t;
    return a < 0.55f ? (x == 0 ? x : p) : t; /* x == 0: keep the sign of zero */
}

/* exp(y) in double, vectorizable, for the float kernels that compute in double
 * (NaN -> NaN, overflow -> inf, underflow -> 0): the same reduction as pn_expf,
 * y = n ln2 + r with |r| <= ln2 / 2, exp(r) by its Taylor polynomial to r^9
 * (relative error below r^10 / 10! < 1e-11, far under a float's 6e-8), and 2^n
 * from exponent bits in two halves so that neither leaves the normal range. */
PN_FINLINE double pn_exp_d(double y) {
    const double log2e = 1.4426950408889634, ln2_hi = 0.6931471803691238,
                 ln2_lo = 1.9082149292705877e-10;
    const double magic = 6755399441055744.0; /* 1.5 * 2^52: adding it rounds to an integer */
    y = y > 710.0 ? 710.0 : y;               /* comparisons keep NaN as it is */
    y = y < -746.0 ? -746.0 : y;
    double t = y * log2e + magic;
    int64_t n;
    memcpy(&n, &t, sizeof n);
    n -= 0x4338000000000000LL; /* the bits of magic: round(y / ln2) as an int */
    double nf = t - magic;
    double r = (y - nf * ln2_hi) - nf * ln2_lo;
    /* Horner in fused multiply-adds: half the instructions, and the chain of ten
     * steps twice as short (x ** 2.5 over 131k floats, when this was x86's pow
     * too: 396 -> 377 us) */
    double p = 1.0 / 362880;
    p = __builtin_fma(p, r, 1.0 / 40320);
    p = __builtin_fma(p, r, 1.0 / 5040);
    p = __builtin_fma(p, r, 1.0 / 720);
    p = __builtin_fma(p, r, 1.0 / 120);
    p = __builtin_fma(p, r, 1.0 / 24);
    p = __builtin_fma(p, r, 1.0 / 6);
    p = __builtin_fma(p, r, 0.5);
    p = __builtin_fma(p, r, 1.0);
    p = __builtin_fma(p, r, 1.0);
    /* unsigned shifts: for a NaN y, n is garbage and must not make them undefined */
    int64_t n1 = n / 2, n2 = n - n1;
    uint64_t b1 = (uint64_t)(n1 + 1023) << 52, b2 = (uint64_t)(n2 + 1023) << 52;
    double s1, s2;
    memcpy(&s1, &b1, sizeof s1);
    memcpy(&s2, &b2, sizeof s2);
    return p * s1 * s2;
}

/* exp(y) in double within 2^-34 relative for y in [-708, 709]; inf above 709 (exp is
 * 8e307 there, inf from 709.78; exp(+inf) = inf), exp(-708) below, NaN -> NaN. For
 * float kernels that compute in double, need less than pn_exp_d's 1e-11 and nothing of
 * exp's extremes but their direction (GELU's tanh form). y = n ln2 + r, |r| <= ln2/2 (two-part ln2:
 * n ln2_hi is exact), exp r = 1 + r + r^2 Q(r) with Q of degree 5 fitted for the least relative
 * error (2^-34.2, gen_double_polys.py), and
 * 2^n (n in [-1021, 1023], a normal double) straight from the magic number's low bits.
 * Two fewer steps than pn_exp_d's polynomial and no split of 2^n in halves, which
 * the narrower range (no subnormal results) allows. */
PN_FINLINE double pn_exp_d34(double y) {
    const double log2e = 1.4426950408889634, ln2_hi = 0.6931471803691238,
                 ln2_lo = 1.9082149292705877e-10, magic = 0x1.8p52;
    int over = y > 709.0;
    double v = over ? 709.0 : y; /* comparisons keep NaN as it is */
    v = v < -708.0 ? -708.0 : v;
    double t = __builtin_fma(v, log2e, magic), n = t - magic;
    double r = __builtin_fma(-n, ln2_lo, __builtin_fma(-n, ln2_hi, v));
    double q = 0x1.9f0816997e93dp-13;
    q = __builtin_fma(q, r, 0x1.6d8db1d29f165p-10);
    q = __builtin_fma(q, r, 0x1.111271f950aabp-7);
    q = __builtin_fma(q, r, 0x1.55548d0eda296p-5);
    q = __builtin_fma(q, r, 0x1.55555441be55ap-3);
    q = __builtin_fma(q, r, 0x1.0000003a7255bp-1);
    double p = __builtin_fma(r, __builtin_fma(r, q, 1.0), 1.0);
    uint64_t b;
    memcpy(&b, &t, sizeof b); /* bits(magic) + n: n + 1023 in the low 12 bits after the add */
    b = (b + 1023) << 52;
    double s;
    memcpy(&s, &b, sizeof s);
    return over ? INFINITY : p * s;
}

/* The logistic split 1 = 1 / (1 + e) + e / (1 + e), e = exp(-|x|), in float
 * arithmetic with compensated roundings: both parts as unrounded pairs, for
 * sigmoid (one part or the other, pn_sigmoid_pair) and for SiLU's gradient
 * (which needs sigmoid(x) and sigmoid(-x), the other part, without forming
 * 1 - sigmoid(x)):
 *   e = exp(-|x|) = (ep + elo) 2^n unrounded (pn_exp_reduced, 2^-28 relative;
 *       -|x| capped at -104, where e / (1 + e) is 0 in float),
 *   1 + e = uh + ul exactly (Fast2Sum, 1 >= e), 1 / (1 + e) = q (1 + rem) with
 *       rem from the exact remainder of q = 1 / uh (fma),
 *   big = 1 / (1 + e) = q + q rem (returned, and *blo),
 *   small = e / (1 + e) = (ep q + ep q rem + elo q) 2^n = (*sh + *sl) *s1 *s2.
 * The pairs' errors come from e's: 2^-28 of each part, relative. */
PN_FINLINE float pn_logistic_pairs_of(float ep, float elo, float s1, float s2, float *blo,
                                      float *sh, float *sl) {
    float eh = ep * s1 * s2, el = elo * s1 * s2;
    float uh = 1.0f + eh, ul = ((1.0f - uh) + eh) + el; /* 1 + e */
    float q = 1.0f / uh;
    float rem = __builtin_fmaf(-q, ul, __builtin_fmaf(-q, uh, 1.0f)); /* 1 - q (uh + ul) */
    *sh = ep * q;
    *sl = __builtin_fmaf(ep, q, -*sh) + __builtin_fmaf(ep, q * rem, elo * q);
    *blo = q * rem;
    return q;
}
PN_FINLINE float pn_logistic_pairs(float x, float *blo, float *sh, float *sl, float *s1,
                                   float *s2) {
    float y = x < 0 ? x : -x; /* -|x|; NaN stays NaN */
    y = y < -104.0f ? -104.0f : y;
    float elo;
    int32_t n;
    float ep = pn_exp_reduced(y, &elo, &n); /* n in [-150, 0] */
    pn_exp2_halves(n, s1, s2);
    return pn_logistic_pairs_of(ep, elo, *s1, *s2, blo, sh, sl);
}

/* The same with e = exp(-|x|) from the exp table (pn_exp_tab_pair: hi + lo good to
 * 2^-30, renormalised by a Fast2Sum as |lo| <= 2.2% of hi), for the float32
 * gradients of SiLU, softplus and logsigmoid on x86 (elementwise.c's kernels). */
PN_FINLINE float pn_logistic_pairs_tab(float x, float *blo, float *sh, float *sl, float *s1,
                                       float *s2) {
    float lo, hi = pn_exp_tab_pair(x < 0 ? x : -x, &lo, s1, s2); /* clamped at -104 */
    float ep = hi + lo, elo = (hi - ep) + lo;
    return pn_logistic_pairs_of(ep, elo, *s1, *s2, blo, sh, sl);
}

/* SiLU's gradient g silu'(x) in float arithmetic from the logistic pairs (PAIRS:
 * pn_logistic_pairs, or on x86 pn_logistic_pairs_tab):
 *   silu'(x) = s (1 + x t),  s = sigmoid(x),  t = 1 - s = sigmoid(-x),
 * s and t both from one exp as pairs (s is the big part for x >= 0, t for x < 0),
 * so t never comes from 1 - s (which for x >= 0 would keep only s's rounding
 * error). w = 1 + x t is fma(x, th, 1) + x tl: near the zero of silu' at x =
 * -1.2785, where 1 and x t cancel, what is left of w carries only the pairs' error
 * (2^-28 or 2^-30; float t alone would leave 2^-24 of x t). Then s w with one
 * rounding, and g times it with one more. Measured over every float in [-87, 100]
 * (csrc/tests/test_nn.c's test_silu_float gives the bounds). Below x = -87, s is
 * not a normal float (pn_silu_grad_holds is false), and callers recompute. */
#define PN_SILU_GRAD(NAME, PAIRS) \
    PN_FINLINE float NAME(float g, float v) { \
        float blo, sh, sl, s1, s2, bh = PAIRS(v, &blo, &sh, &sl, &s1, &s2); \
        sh = sh * s1 * s2, sl = sl * s1 * s2; /* the small part, scaled */ \
        float s_hi = v >= 0 ? bh : sh, s_lo = v >= 0 ? blo : sl; \
        float t_hi = v >= 0 ? sh : bh, t_lo = v >= 0 ? sl : blo; \
        float w = __builtin_fmaf(v, t_hi, 1.0f) + v * t_lo; \
        return g * __builtin_fmaf(s_hi, w, s_lo * w); \
    }
PN_FINLINE int pn_silu_grad_holds(float x) { /* x >= -87; false for NaN too */
    return x >= PN_SILU_MIN;
}
PN_SILU_GRAD(pn_silu_gradf, pn_logistic_pairs)
PN_SILU_GRAD(pn_silu_gradf_tab, pn_logistic_pairs_tab)
#undef PN_SILU_GRAD

/* The logistic function in float arithmetic with compensated roundings, for
 * the gradients of softplus and logsigmoid and for SiLU (pn_sigmoidf above is
 * the sigmoid op's cheaper one): pn_logistic_pairs' big part for x >= 0, its
 * small part for x < 0, returned unrounded as (hi + *lo) *s1 *s2 (s1 = s2 = 1
 * for x >= 0): the pair is rounded before the scaling, which is exact unless
 * the result is subnormal. (The gradients of softplus and logsigmoid multiply
 * the pair by g with one rounding.) */
#define PN_SIGMOID_PAIR(NAME, PAIRS) \
    PN_FINLINE float NAME(float x, float *lo, float *s1, float *s2) { \
        float blo, sh, sl, q = PAIRS(x, &blo, &sh, &sl, s1, s2); \
        *s1 = x >= 0 ? 1.0f : *s1; \
        *s2 = x >= 0 ? 1.0f : *s2; \
        *lo = x >= 0 ? blo : sl; \
        return x >= 0 ? q : sh; \
    }
PN_SIGMOID_PAIR(pn_sigmoid_pair, pn_logistic_pairs)
PN_SIGMOID_PAIR(pn_sigmoid_pair_tab, pn_logistic_pairs_tab) /* x86: the exp table's pairs */
#undef PN_SIGMOID_PAIR

/* g sigmoid(x) with one rounding (but where the result is subnormal), for the
 * gradients of softplus (g sigmoid(x)) and logsigmoid (g sigmoid(-x)): g times the
 * unrounded pair, then the exact scaling by 2^n. It holds (pn_g_sigmoid_holds)
 * where x >= -104 (pn_logistic_pairs caps its argument there, while g sigmoid(x)
 * is a float down to x = -193) and |g| <= 2^126 (g hi must not overflow); the
 * callers recompute the other elements in double. pn_g_sigmoidf_tab takes the exp
 * table's pairs (elementwise.c's kernels on x86 compute the same, to the bit). */
PN_FINLINE int pn_g_sigmoid_holds(float g, float x) { /* false for NaN too */
    return x >= -104.0f && g >= -0x1p126f && g <= 0x1p126f;
}
#define PN_G_SIGMOID(NAME, PAIR) \
    PN_FINLINE float NAME(float g, float x) { \
        float lo, s1, s2, hi = PAIR(x, &lo, &s1, &s2); \
        return __builtin_fmaf(g, hi, g * lo) * s1 * s2; \
    }
PN_G_SIGMOID(pn_g_sigmoidf, pn_sigmoid_pair)
PN_G_SIGMOID(pn_g_sigmoidf_tab, pn_sigmoid_pair_tab)
#undef PN_G_SIGMOID

/* tanh's odd series for |x| < 1/4 (see pn_tanhf_exact). */
PN_FINLINE float pn_tanh_series(float x) {
    float z = x * x, Q = 21844.0f / 6081075.0f;
    Q = __builtin_fmaf(Q, z, -1382.0f / 155925.0f);
    Q = __builtin_fmaf(Q, z, 62.0f / 2835.0f);
    Q = __builtin_fmaf(Q, z, -17.0f / 315.0f);
    Q = __builtin_fmaf(Q, z, 2.0f / 15.0f);
    Q = __builtin_fmaf(Q, z, -1.0f / 3.0f);
    return __builtin_fmaf(x * z, Q, x);
}

/* tanh x from e = exp(2 min(|x|, 10)) = ehi + elo (unrounded, ehi >= 1) and the
 * series' value: the exact 1 + e, the compensated 2 / (1 + e), 1 - q (see
 * pn_tanhf_exact), the sign of x, and the series below |x| = 1/4. */
PN_FINLINE float pn_tanh_join(float x, float small, float ehi, float elo) {
    float a = x < 0 ? -x : x;
    float uh = ehi + 1.0f, ul = ((ehi - uh) + 1.0f) + elo; /* 1 + e, Fast2Sum (e >= 1) */
    float q = 2.0f / uh;
    float rem = __builtin_fmaf(-q, ul, __builtin_fmaf(-q, uh, 2.0f)); /* 2 - q (uh + ul) */
    float dlo = rem * q * 0.5f;                                       /* rem / (1 + e) */
    float th = 1.0f - q, te = (1.0f - th) - q;                        /* Fast2Sum */
    float t = th + (te - dlo);
    t = x < 0 ? -t : t;
    return a < 0.25f ? (x == 0 ? x : small) : t; /* x == 0: keep the sign of zero */
}

/* float tanh in float arithmetic, vectorizable, within 0.57 ulp (every float
 * swept by csrc/tests/test_rnn.c; libm's tanhf and PyTorch's are within 1 ulp):
 *   |x| < 1/4:  the odd series x + x z Q(z), z = x^2, Q to the x^13 term (the
 *               first term left out is below 1e-11 relative); x z Q is at most
 *               2% of the result, so its roundings cost under 0.1 ulp;
 *   otherwise:  sign(x) (1 - 2 / (e + 1)), e = exp(2|x|) kept unrounded as
 *               hi + lo (pn_exp_reduced, 2^-28 relative), 1 + e as an exact
 *               sum, 2 / (1 + e) as q + dlo with q rounded and dlo from its
 *               exact remainder (fma), and 1 - q exact (Fast2Sum): only the
 *               last addition rounds. |x| is capped at 10, where tanh is 1 in
 *               float already, so e stays finite.
 * NaN propagates, tanh(+-0) = +-0, tanh(+-inf) = +-1. Twice the lanes of the
 * double version it replaced (0.6 ulp) and 2.4x faster. */
PN_FINLINE float pn_tanhf_exact(float x) {
    float a = x < 0 ? -x : x, small = pn_tanh_series(x);
    float b = a > 10.0f ? 10.0f : a, elo;
    int32_t n;
    float ehi = pn_exp_reduced(b + b, &elo, &n);
    float scale = pn_bits_to_float((int32_t)((uint32_t)(n + 127) << 23)); /* n in [0, 29] */
    return pn_tanh_join(x, small, ehi * scale, elo * scale);
}

/* min(|x|, m) for m > 0, and m for a NaN x, on the bits: with the sign cleared, a
 * float's bits read as an integer grow with its value (NaNs above infinity), so
 * the cap is an integer min. The float ternary `a > m ? m : a` gives the same
 * numbers, but GCC 12 if-converts it by computing everything downstream of it
 * on both arms (where a = m, all of it constant) and blending the pairs: eight
 * extra blends in GELU's loop, which ran 1.88 ns per element against 1.38 this
 * way (Zen 3, AVX2). Callers must not need a NaN x to stay NaN in |x|. */
PN_FINLINE float pn_abs_capped(float x, float m) {
    int32_t b = pn_float_to_bits(x) & 0x7fffffff, mb = pn_float_to_bits(m);
    return pn_bits_to_float(b < mb ? b : mb);
}

/* erfc(z) for z >= 0 in float arithmetic, vectorizable, for pn_phif (GELU)
 * and pn_erff, with *gauss = exp(-z^2). One fit covers every z (no branches
 * between fits):
 *   erfc(z) = exp(-z^2) F(t),  F(t) = t P(t) = erfcx(z),  t = 1 / (1 + p z),
 * P of degree 10 in t, p = 0.3, fitted to erfcx by relative least squares
 * reweighted toward minimax on 800 Chebyshev points for z in [0, 10.4]
 * (beyond, exp(-z^2) is 0 in float): relative error 5.3e-10. Two inputs must
 * not round, so the caller passes them as exact pairs:
 *   - z^2 = hi + lo, and exp(-z^2) = exp(-hi) (1 - lo);
 *   - 1 + p z = d + dl: erfcx changes by up to 3.2x t's relative error, so the
 *     remainder rem = 1 - t (d + dl) of t = 1 / d is recovered (fma) and F
 *     corrected to first order:
 *     F(t (1 + rem)) = F + F'(t) t rem,  F'(t) t = -erfcx'(z) / (p t),
 *     erfcx'(z) = 2 z erfcx(z) - 2 / sqrt(pi),  1 / t = d. */
PN_FINLINE float pn_erfc_fit(float z, float hi, float lo, float d, float dl, float *gauss) {
    float e = pn_expf_plain(-hi) * (1.0f - lo);
    float t = 1.0f / d;
    float rem = __builtin_fmaf(-t, dl, __builtin_fmaf(-t, d, 1.0f)); /* 1 - t (d + dl) */
    /* written out: a loop over a coefficient array is not unrolled here, and then
     * the loop over the elements does not vectorize */
    float q = __builtin_fmaf(5.447089672e-02f, t, -3.251305223e-01f);
    q = __builtin_fmaf(q, t, 7.233855724e-01f);
    q = __builtin_fmaf(q, t, -8.073697686e-01f);
    q = __builtin_fmaf(q, t, 7.400553823e-01f);
    q = __builtin_fmaf(q, t, -2.609119415e-01f);
    q = __builtin_fmaf(q, t, 2.573517561e-01f);
    q = __builtin_fmaf(q, t, 1.130519882e-01f);
    q = __builtin_fmaf(q, t, 1.670800298e-01f);
    q = __builtin_fmaf(q, t, 1.687377840e-01f);
    q = __builtin_fmaf(q, t, 1.692788601e-01f);
    float F = t * q;
    F = __builtin_fmaf(__builtin_fmaf(2.0f * z, F, -1.12837917f), -rem * d * (1.0f / 0.3f), F);
    *gauss = e;
    return F * e;
}

/* The standard normal distribution function Phi(x) = erfc(-x / sqrt 2) / 2,
 * vectorizable, with *gauss = exp(-x^2 / 2) (GELU's derivative needs both):
 * pn_erfc_fit with z = |x| / sqrt 2, whose z^2 = x^2 / 2 is exact from x
 * (hi + lo, fma), and 1 + p z = 1 + c|x| (c = p / sqrt 2 is the float
 * 0.21213204, and p is c sqrt 2 to 1e-8). Then Phi = 1 - erfc/2 for x >= 0
 * and erfc/2 for x < 0, so the small Phi of a negative x keeps its relative
 * accuracy. A NaN x gives Phi = 0 (|x| is capped at 15 first), and GELU's
 * x Phi(x) and x phi(x) are NaN through x. Measured against double: GELU within
 * 3.77 ulp on csrc/tests/test_nn.c's grid of [-12, 12] (steps of 1/1024), 6.17
 * over every float there (outside the suite). */
PN_FINLINE float pn_phif(float x, float *gauss) {
    const float c = 0.21213204f;
    float a = pn_abs_capped(x, 15.0f); /* exp(-z^2) is 0 in float beyond: keeps inf out */
    float xx = a * a, hi = 0.5f * xx, lo = 0.5f * __builtin_fmaf(a, a, -xx); /* z^2 exactly */
    /* d + dl = 1 + c a (to 2^-48): 1 - d is exact for any float d >= 1 */
    float d = __builtin_fmaf(c, a, 1.0f), dl = __builtin_fmaf(c, a, 1.0f - d);
    float erfc = pn_erfc_fit(a * 0.70710678f, hi, lo, d, dl, gauss);
    return x >= 0 ? 1.0f - 0.5f * erfc : 0.5f * erfc;
}

/* GELU x Phi(x) for |x| < 4 by a table of polynomials, for the float32 GELU on
 * x86 (elementwise.c's AVX-512 and AVX2 kernels compute the same, to the bit;
 * pn_phif takes the other elements). No exp and no division:
 *   a = -|x| in (-4, 0], split into 16 intervals [a_j, a_j + 1/4), a_j = j/4 - 4,
 *       j = trunc(4 a + 16) (capped at 15, so a = 0 takes the last interval's
 *       end); u = a - a_j;
 *   P(a) = Phi(a) = c0 + u (c1 + u (... c7)): per interval a degree-7
 *       polynomial in u fitted to Phi by relative least squares reweighted toward
 *       minimax on 800 Chebyshev points (numpy, Phi from math.erfc; 1e-10
 *       relative before the coefficients are rounded to float). The expansion
 *       point is the interval's left end, where Phi is least, so every term of
 *       the last step is positive and nothing cancels (centred, the last step
 *       loses up to 1 ulp more). 16 intervals, so that a lookup is one permute
 *       (AVX-512) or two and a blend (AVX2);
 *   x Phi(x) = x P for x <= 0 and x (1 - P(-x)) = x - x P, rounded once, for x > 0
 *       (P <= 1/2: its error is halved relative to Phi).
 * Within 2.1 ulp of x Phi(x), 2.082 over every float below 4 in magnitude (the
 * worst at x = -3.84, where P's last rounding is amplified most: u c1 is 1.5 c0
 * at an interval's right end; test_vecmath.c sweeps every 251st float); pn_phif's
 * GELU there: 5.3 ulp, at twice the instructions. (PyTorch's float GELU is 0.2%
 * off at x = -4.)
 * The table is pn_gelu_phi16[k][j], coefficient k of interval j (elementwise.c).
 * pn_gelu_tab_holds(x) says whether x is in range (false for NaN). */
extern const float pn_gelu_phi16[8][16];
PN_FINLINE int pn_gelu_tab_holds(float x) {
    return (x < 0 ? -x : x) < 4.0f;
}
/* The table's polynomial at -|x|: tab[k][j] is coefficient k of interval j. */
PN_FINLINE float pn_gelu_poly(float x, const float tab[8][16]) {
    float a = pn_bits_to_float(pn_float_to_bits(x) | INT32_MIN); /* -|x| */
    a = a > -4.0f ? a : -4.0f; /* out of range (or NaN): any interval will do */
    int32_t j = (int32_t)__builtin_fmaf(a, 4.0f, 16.0f);
    j = j < 15 ? j : 15;
    float u = a - __builtin_fmaf((float)j, 0.25f, -4.0f);
    float p = tab[7][j];
    for (int k = 6; k >= 0; k--) p = __builtin_fmaf(p, u, tab[k][j]);
    return p;
}
PN_FINLINE float pn_gelu_tab(float x) {
    float p = pn_gelu_poly(x, pn_gelu_phi16);
    return x > 0 ? __builtin_fmaf(-x, p, x) : x * p; /* x (1 - P) rounded once; +-0 kept */
}

/* GELU's gradient g (Phi(x) + x phi(x)), phi(x) = exp(-x^2 / 2) / sqrt(2 pi), by
 * pn_phif: for any float x (NaN gives NaN), and off x86. Its two terms cancel near
 * x = -0.75 (the derivative's zero), so errors are measured in ulps of the larger
 * term: within 4.62 over every float below 4 in magnitude (measured outside the
 * suite), 2.78 on test_nn.c's grid beyond. */
PN_FINLINE float pn_gelu_gradf(float g, float x) {
    float e, P = pn_phif(x, &e);
    return g * (P + x * 0.39894228f * e);
}

/* The same for |x| < 4 by a table of polynomials, as pn_gelu_tab (x86's float32
 * GELU backward; elementwise.c's kernels compute the same, to the bit). D(a) = Phi(a)
 * + a phi(a) on the 16 intervals of a = -|x| (degree 7 at each interval's left end,
 * fitted as pn_gelu_phi16's but relative to the larger term, max(Phi, |a| phi):
 * 4.5e-11 of it before rounding to float; D is not one-signed, it crosses zero at
 * a = -0.75). For x > 0, Phi(x) + x phi(x) = 1 - D(-x) (Phi(x) = 1 - Phi(-x), phi is
 * even), and g (1 - D) = g - g D is rounded once. Within 1.24 ulp of the larger
 * term: 1.2391 over every float below 4 in magnitude (test_vecmath.c measures every
 * 251st: 1.2063), with no exp and no division. The table is pn_gelu_dphi16
 * (elementwise.c). */
extern const float pn_gelu_dphi16[8][16];
PN_FINLINE float pn_gelu_grad_tab(float g, float x) {
    float p = pn_gelu_poly(x, pn_gelu_dphi16);
    return x > 0 ? __builtin_fmaf(-g, p, g) : g * p;
}

/* float32 x ** y for x in (0, inf) and finite y (the pow op's common case) in
 * double, by tables of 16 and no division:
 *   log x:  x = 2^k m, m in [31/32, 31/16) (from the bits of x as a double: adding
 *           bits(1) - bits(31/32) carries into the exponent field exactly when
 *           m >= 31/16), j = round(16 (m - 1)), c_j = 1 / (1 + j/16) rounded to
 *           double, r = m c_j - 1 by one fma (|r| <= 1/32; c_0 = 1, so r = m - 1
 *           exactly near x = 1, where log x must keep its relative accuracy);
 *           log x = k ln2 + L_j + log1p(r), L_j = -log c_j (to the double), log1p
 *           by its Taylor series to r^10 (error below r^11 / 11, 1e-16 of r);
 *           the polynomials by Estrin's scheme: shorter dependency chains than
 *           Horner's (x ** 2.5 over 131k floats, 1 thread: 285 -> 263 us);
 *   t = y log x, clamped to [-110, 90] (beyond, the float result is 0 or inf);
 *   exp t:  t = (16 q + i) ln2 / 16 + s, i = the 16-interval (0..15), |s| <= ln2/32,
 *           ln2 / 16 in two parts (the first product exact in the fma), exp s by
 *           its Taylor polynomial to s^6 (error below s^7 / 7! = 5e-16), times
 *           2^(i/16) (table) and 2^q (exponent bits: a normal double throughout).
 * The double result is within about 3e-14 relative of x^y, so the float rounding
 * is the correct one except within 5e-7 ulp of a halfway case (test_vecmath.c
 * compares with libm's pow in double over 2 million pairs); pn_exp_d and pn_log_d
 * (pn_powf_v, the non-x86 path) take twice the instructions and a division. The
 * integers go through unsigned arithmetic on bit patterns, so every kernel
 * (elementwise.c: AVX-512 with permutes, AVX2 with gathers) gives the same bits.
 * pn_pow_tab[0] = c_j, [1] = L_j, [2] = 2^(j/16). */
extern const double pn_pow_tab[3][16];
/* The pairs pn_powf_tab takes: x in (0, inf), y finite (false for NaN). */
PN_FINLINE int pn_pow_plain(float x, float y) {
    return (x > 0) & (x < INFINITY) & (fabsf(y) < INFINITY);
}
/* The pairs pn_pow_signed finishes: x and y finite (false for NaN). */
PN_FINLINE int pn_pow_finite(float x, float y) {
    return (fabsf(x) < INFINITY) & (fabsf(y) < INFINITY);
}
/* x ** y for finite x and y by C's rules (C11 F.10.4.4, which PyTorch's follow), from
 * p = |x| ** y (pn_powf_tab, any value for x = +-0): for x < 0, |x| ** y with y's
 * parity as the sign, NaN where y is not an integer; for x = +-0, 0 (y > 0), inf
 * (y < 0) or 1, signed for a negative zero and an odd y. For x > 0 it returns p. y is
 * an integer if |y| >= 2^23 or rounding it to one (adding and taking away 2^23) leaves
 * it; odd if, below 2^24, y/2 (exact) is not one. No branch and no libm call, so a loop
 * over it vectorizes (elementwise.c's pow_run_f32). */
PN_FINLINE float pn_pow_signed(float p, float x, float y) {
    float ay = fabsf(y), h = 0.5f * ay;
    int yint = (ay >= 0x1p23f) | ((ay + 0x1p23f) - 0x1p23f == ay);
    int yodd = yint & (ay < 0x1p24f) & ((h + 0x1p23f) - 0x1p23f != h);
    float q = x == 0 ? (y > 0 ? 0.0f : y < 0 ? INFINITY : 1.0f) : p;
    q = (x < 0) & !yint ? -NAN : q; /* -NaN: glibc's powf and PyTorch's (x86's default NaN) */
    return pn_float_to_bits(x) < 0 && yodd ? -q : q;
}
PN_FINLINE float pn_powf_tab(float x, float y) {
    const double magic = 6755399441055744.0; /* 1.5 * 2^52: adding it rounds to an integer */
    const uint64_t one = 0x3ff0000000000000ULL, mbits = 0x4338000000000000ULL;
    uint64_t b = pn_double_to_bits((double)x);
    uint64_t e = (b + (one - 0x3fef000000000000ULL)) >> 52; /* k + 1023; 31/32 is 0x3fef.. */
    double m = pn_bits_to_double(b - (e << 52) + one), u = m + 1.0 / 32; /* exact */
    double k = pn_bits_to_double(0x4330000000000000ULL | e) - (0x1p52 + 1023);
    uint64_t j = (pn_double_to_bits(u) >> 48) & 15; /* u in [1, 2): floor(16 (u - 1)) */
    double r = __builtin_fma(m, pn_pow_tab[0][j], -1.0), r2 = r * r, r4 = r2 * r2;
    /* log1p(r) = r + r^2 Q(r), Q = -1/2 + r/3 - ... - r^8/10, by Estrin's scheme (a
     * dependency chain of four steps where Horner's has nine) */
    double q0 = __builtin_fma(1.0 / 3, r, -0.5), q1 = __builtin_fma(1.0 / 5, r, -1.0 / 4);
    double q2 = __builtin_fma(1.0 / 7, r, -1.0 / 6), q3 = __builtin_fma(1.0 / 9, r, -1.0 / 8);
    double qa = __builtin_fma(q1, r2, q0), qb = __builtin_fma(q3, r2, q2);
    double Q = __builtin_fma(__builtin_fma(-1.0 / 10, r4, qb), r4, qa);
    double lp = __builtin_fma(Q, r2, r);
    double lg = __builtin_fma(k, 0.6931471805598903, pn_pow_tab[1][j]) +
                __builtin_fma(k, 5.497923018708371e-14, lp); /* ln2 in 42 + 53 bits */
    double t = (double)y * lg;
    t = t > 90.0 ? 90.0 : t < -110.0 ? -110.0 : t;
    double v = __builtin_fma(t, 23.083120654223414, magic), nf = v - magic; /* 16 / ln2 */
    uint64_t nb = pn_double_to_bits(v) - mbits + 4096; /* n + 4096 > 0: n = 16 q + i, |n| < 2600 */
    double s1 = __builtin_fma(-nf, 0.04332169878499658, t); /* ln2 / 16 in two parts */
    s1 = __builtin_fma(-nf, 1.4494042586539372e-18, s1);
    /* exp(s) = 1 + s + s^2 / 2 + ... + s^6 / 720, Estrin's scheme in s^2 */
    double s2 = s1 * s1, e0 = 1.0 + s1, e1 = __builtin_fma(1.0 / 6, s1, 0.5);
    double e2 = __builtin_fma(1.0 / 120, s1, 1.0 / 24);
    double p = __builtin_fma(__builtin_fma(__builtin_fma(1.0 / 720, s2, e2), s2, e1), s2, e0);
    double scale = pn_bits_to_double(((nb >> 4) + 767) << 52); /* 2^q: q + 256 + 767 */
    return (float)(pn_pow_tab[2][nb & 15] * p * scale);
}

/* erf x for float x, vectorizable (the erf op's float32 kernel), in two parts
 * computed for every element (no branches):
 *   |x| < 1.5:  x + x R(x^2) in double, R(z) = erf(x) / x - 1 a degree-8
 *               polynomial fitted to it on [0, 2.25] (relative least squares
 *               reweighted toward minimax on 800 Chebyshev points: 6.9e-10
 *               of erf(x) / x), rounded once to float; erf(+-0) = +-0 and
 *               subnormals stay;
 *   |x| >= 1.5: sign(x) (1 - erfc|x|) in float, erfc from pn_erfc_fit (|x|^2
 *               exact as hi + lo, 1 + 0.3|x| as d + dl); erfc|x| <= 0.034, so
 *               an ulp of erfc is at most 1/16 of an ulp of erf, which damps
 *               erfc's error. |x| is capped at 4, where erf is 1 in float.
 * Within 0.64 ulp, measured over every float by csrc/tests/test_vecmath.c
 * (PyTorch's erf: 0.73); about 0.65x the time of the all-double version it
 * replaced (0.50 ulp). NaN propagates; erf(+-inf) = +-1. */
PN_FINLINE float pn_erff(float x) {
    double xd = x, z = xd * xd;
    double r = __builtin_fma(6.2403713537525709e-07, z, -1.135996317286584e-05);
    r = __builtin_fma(r, z, 0.00011321060642554615);
    r = __builtin_fma(r, z, -0.00084567987306042301);
    r = __builtin_fma(r, z, 0.0052171487632981899);
    r = __builtin_fma(r, z, -0.026863279298971681);
    r = __builtin_fma(r, z, 0.11283729996390136);
    r = __builtin_fma(r, z, -0.37612633823267883);
    r = __builtin_fma(r, z, 0.12837916640610234);
    float small = (float)__builtin_fma(xd, r, xd);
    float a = x < 0 ? -x : x, b = pn_abs_capped(x, 4.0f), hi = b * b,
          lo = __builtin_fmaf(b, b, -hi);
    /* d + dl = 1 + 0.3 b: the float 0.3f is 0.3 + 1.19e-8, taken off dl */
    float d = __builtin_fmaf(0.3f, b, 1.0f), g;
    float dl = __builtin_fmaf(-1.1920929e-8f, b, __builtin_fmaf(0.3f, b, 1.0f - d));
    float big = 1.0f - pn_erfc_fit(b, hi, lo, d, dl, &g);
    big = x < 0 ? -big : big;
    return !(a >= 1.5f) ? small : big; /* NaN: small (b is 4 there, big 1) */
}

/* ---- erf and tanh by a polynomial on each of 32 intervals of |x| ---- */

/* The interval tables of pn_erff_tab and pn_tanhf_poly, printed by gen_poly_tabs.py
 * (beside this file, which states how they were fitted) and defined in
 * elementwise.c. Row 0 holds each interval's centre, row 1 c0 = f(centre) (a float
 * within 2^-10 ulp of it: the centres were searched for that), rows 2..7 the
 * slopes c1..c6:  f(a) = c0 + r (c1 + r (c2 + ... + r c6)),  r = a - centre. The
 * intervals are four per binade: their index is the exponent and two mantissa bits
 * of a = |x| (bits >> 21) less a bias. */
extern const float pn_erf_tab[8][32];
extern const float pn_tanh_tab[8][32];
#define PN_ERF_TAB_BIAS  487 /* (bits of 2^-5) >> 21 less 1: erf's interval 1 */
#define PN_TANH_TAB_BIAS 491 /* (bits of 2^-4) >> 21 less 1: tanh's interval 1 */
/* the series below 2^-5: 2/sqrt(pi) = C1H + C1L, C3 = -C1H / 3, C5 = C1H / 10 */
#define PN_ERF_C1H 1.128379226e+00f
#define PN_ERF_C1L (-5.863538277e-08f)
#define PN_ERF_C3  (-3.761263788e-01f)
#define PN_ERF_C5  1.128379181e-01f

/* |x| capped at cap (NaN stays NaN) through *b, and its interval in a table of 32
 * whose interval 1 has the given bias (below it: interval 0; & 31: a NaN's, as the
 * vector permutes read it). */
/* min(|x|, cap), a NaN x staying NaN (unlike pn_abs_capped): the table functions'
 * NaN result comes from it. */
PN_FINLINE float pn_abs_min(float x, float cap) {
    float a = pn_bits_to_float(pn_float_to_bits(x) & 0x7fffffff);
    return a > cap ? cap : a;
}
PN_FINLINE int32_t pn_poly_tab_index(float x, float cap, int32_t bias, float *b) {
    *b = pn_abs_min(x, cap);
    int32_t j = (int32_t)((uint32_t)pn_float_to_bits(*b) >> 21) - bias;
    return (j < 0 ? 0 : j) & 31;
}

/* q = c2 + r (c3 + ... + r c6) of interval j of a table. */
PN_FINLINE float pn_poly_tab_tail(const float tab[8][32], int32_t j, float r) {
    float q = tab[7][j];
    for (int k = 6; k >= 3; k--) q = __builtin_fmaf(q, r, tab[k][j]);
    return q;
}

/* f(centre + r) = h + *pl on interval j of a table, the last rounding compensated
 * (pn_tanhf_poly, pn_erfcf_tab): h = c0 + c1 r rounded, *pl = e + r^2 q with
 * e = c0 + c1 r - h (exact but for one rounding of a number 2^-24 of h: Sterbenz
 * makes c0 - h exact, the fma the rest), so that h + *pl rounds once. */
PN_FINLINE float pn_poly_tab_split(const float tab[8][32], int32_t j, float r, float *pl) {
    float c0 = tab[1][j], c1 = tab[2][j];
    float h = __builtin_fmaf(c1, r, c0), e = __builtin_fmaf(c1, r, c0 - h);
    *pl = __builtin_fmaf(pn_poly_tab_tail(tab, j, r), r * r, e);
    return h;
}

/* erf x by intervals, for the float32 erf op on x86 (elementwise.c's AVX-512
 * kernel computes the same with vector permutes, to the bit):
 *   |x| < 2^-5:      the odd series (2/sqrt(pi)) (a - a^3/3 + a^5/10), a = |x|, as
 *                    a c1h + a w with 2/sqrt(pi) = c1h + c1l (floats) and
 *                    w = c1l + a^2 (c3 + a^2 c5) (the next term is 2e-11 of the
 *                    result); a is scaled by 2^24 and back, so that a w does not
 *                    fall into the subnormals for a just above FLT_MIN;
 *   2^-5 <= |x| < 4: pn_erf_tab's interval j >= 1: c0 + r (c1 + r q), the last
 *                    step an fma onto c0 = erf(centre), so the result rounds
 *                    once; |r (c1 + r q)| is at most an eighth of the result,
 *                    which keeps the roundings before it under 0.07 ulp;
 *   |x| >= 4:        1 (|x| capped at 4: interval 29 is c0 = 1, no slope).
 * The sign is x's. Measured over every float by csrc/tests/test_vecmath.c:
 * within 0.569 ulp for normal results, 0.75 for subnormal ones (the series is
 * rounded at 2^24 x, then scaled: two roundings); PyTorch's erf: 1.0 ulp.
 * erf(+-0) = +-0, erf(+-inf) = +-1, NaN -> NaN. 29 vector operations per 16
 * lanes in the AVX-512 kernel, 8 of them lookups (permutes). */
PN_FINLINE float pn_erff_tab(float x) {
    float b;
    int32_t j = pn_poly_tab_index(x, 4.0f, PN_ERF_TAB_BIAS, &b);
    float r = b - pn_erf_tab[0][j];
    float p = __builtin_fmaf(pn_poly_tab_tail(pn_erf_tab, j, r), r, pn_erf_tab[2][j]);
    float y = __builtin_fmaf(p, r, pn_erf_tab[1][j]);
    float z = b * b, w = __builtin_fmaf(__builtin_fmaf(z, PN_ERF_C5, PN_ERF_C3), z, PN_ERF_C1L);
    float as = b * 0x1p24f, s = __builtin_fmaf(as, PN_ERF_C1H, as * w) * 0x1p-24f;
    y = b < 0x1p-5f ? s : y;
    return pn_bits_to_float(pn_float_to_bits(y) | (pn_float_to_bits(x) & INT32_MIN));
}

/* tanh x by intervals, for the float32 tanh op on x86 (elementwise.c's AVX-512
 * kernel computes the same with vector permutes, to the bit): a = |x| capped at
 * 9.5 (tanh is 1 in float from 9.011), pn_tanh_tab's interval j, and
 *   h = c0 + c1 r rounded, e = c0 + c1 r - h (exact but for one rounding of a
 *   number 2^-24 of h: Sterbenz makes c0 - h exact, the fma the rest),
 *   tanh a = h + (e + r^2 q),  q = c2 + r (c3 + ... + r c6),
 * so the one rounding of size 1/2 ulp is the last addition: r^2 q is at most
 * about 1/80 of the result, and its roundings cost under 0.02 ulp. Interval 0 is
 * [0, 2^-4) with centre 0, c0 = 0 and c1 = 1: h = r exactly, e = 0, and r^2 q is
 * the odd series' tail (under 1/768 of the result; for subnormal x, 0). The sign
 * is x's. Measured over every float by csrc/tests/test_vecmath.c: within 0.514
 * ulp (the exp-based pn_tanhf_exact: 0.565; PyTorch: 0.567). tanh(+-0) = +-0,
 * tanh(+-inf) = +-1, NaN -> NaN. 24 vector operations per 16 lanes in the
 * AVX-512 kernel, 8 of them lookups (permutes), against 55 when e^(2|x|) came
 * from the exp table and 2 / (1 + e) needed a division. */
PN_FINLINE float pn_tanhf_poly(float x) {
    float b;
    int32_t j = pn_poly_tab_index(x, 9.5f, PN_TANH_TAB_BIAS, &b);
    float pl, h = pn_poly_tab_split(pn_tanh_tab, j, b - pn_tanh_tab[0][j], &pl);
    float y = h + pl;
    return pn_bits_to_float(pn_float_to_bits(y) | (pn_float_to_bits(x) & INT32_MIN));
}

/* ---- float64 exp by a table of 16 and a polynomial of degree 7 ---- */

/* 2^(j/16) = pn_exp2_16d[0][j] + pn_exp2_16d[1][j] (elementwise.c, from mpmath). */
extern const double pn_exp2_16d[2][16];
#define PN_EXP_D_16_LN2 0x1.71547652b82fep+4  /* 16 / ln2 */
#define PN_EXP_D_L1     0x1.62e42fefa0000p-5  /* ln2 / 16 to 36 bits: k L1 exact */
#define PN_EXP_D_L2     0x1.cf79abc9e3b3ap-44 /* ln2 / 16 - L1 */
#define PN_EXP_D_MAX    710.0                 /* exp is inf in double above 709.79 */
#define PN_EXP_D_MIN    (-746.0)              /* and 0 below -745.14 */

/* exp x in double, for the float64 exp op (elementwise.c's kernels compute the same, to
 * the bit). With x clamped to [-746, 710] (NaN stays),
 *   k = round(16 x / ln2) (the magic number 1.5 * 2^52: its low bits are then k),
 *   r = x - k ln2/16 in two parts (k L1 is exact, so is x - k L1: Sterbenz; the
 *       fma with L2 rounds once), |r| <= ln2/32 + a hair,
 *   p = e^r - 1 = r + r^2 (1/2 + r/6 + ... + r^5/5040) (Taylor's; the next term,
 *       r^8/8!, is under 2^-59 of the result),
 *   exp x = 2^m (T + (T p + Tl)),  k = 16 m + j,  2^(j/16) = T + Tl (the table),
 * so the one rounding of size 1/2 ulp is the last addition: T p + Tl is at most 0.023
 * of the result, and its roundings and r's cost under 0.06 ulp. 2^m scales exactly
 * (two normal factors; AVX-512's vscalefpd forms the same product) where the result is
 * normal; below 2^-1022 pn_exp_f64_sub rounds it. Measured by csrc/tests/test_vecmath.c
 * against long double: within 0.556 ulp (NumPy's and PyTorch's: 0.65), 0.521 where the
 * result is subnormal (PyTorch's: 0.506). exp(-inf) = 0, exp(inf) = inf, NaN -> NaN. */
/* A subnormal exp: Y = 2^(m + 1022) (T + small) < 1 (m <= -1022, mu = m + 2048), the
 * result Y 2^-1022, whose ulp is 2^-52 in Y's units: Y as an exact pair y + lo
 * (Fast2Sum), 1 + Y as the pair hi + lo2 (Fast2Sum again), hi + lo2 rounded once to
 * [1, 2), whose ulp is 2^-52, less 1 (exact). Scaling the product y 2^m instead rounds
 * twice: 0.76 ulp just below 2^-1022. Returns -1 where Y >= 1 (a normal result). */
PN_FINLINE double pn_exp_f64_sub(double t, double small, uint64_t mu) {
    double sc = pn_bits_to_double((mu - 3) << 52); /* 2^(m + 1022), m + 1022 >= -55 */
    double h = t * sc, s = small * sc, y = h + s, lo = (h - y) + s;
    double hi = 1.0 + y, lo2 = ((1.0 - hi) + y) + lo;
    return y < 1.0 ? ((hi + lo2) - 1.0) * 0x1p-1022 : -1.0;
}
/* 2^m = return * *s2 for mu = m + 2048, m in [-1077, 1024]: two normal factors, 2^floor(m/2)
 * and 2^(m - floor(m/2)) (2^m alone may be subnormal or beyond the range), so that y times
 * one then the other rounds once, where the result is normal (or overflows). */
PN_FINLINE double pn_exp_f64_factors(uint64_t mu, double *s2) {
    uint64_t m1u = mu >> 1; /* floor(m/2) + 1024 */
    *s2 = pn_bits_to_double((mu - m1u - 1) << 52);
    return pn_bits_to_double((m1u - 1) << 52);
}
PN_FINLINE double pn_exp_f64_tab(double x) {
    const double magic = 0x1.8p52;
    double c = x > PN_EXP_D_MAX ? PN_EXP_D_MAX : x < PN_EXP_D_MIN ? PN_EXP_D_MIN : x;
    double v = __builtin_fma(c, PN_EXP_D_16_LN2, magic), kf = v - magic;
    double r = __builtin_fma(kf, -PN_EXP_D_L2, __builtin_fma(kf, -PN_EXP_D_L1, c)); /* NaN: x's */
    uint64_t nb = pn_double_to_bits(v) - pn_double_to_bits(magic) + 32768; /* k + 2^15 >= 0 */
    uint64_t j = nb & 15, mu = nb >> 4;                                    /* mu = m + 2048 */
    double q = __builtin_fma(1.0 / 5040, r, 1.0 / 720);
    q = __builtin_fma(q, r, 1.0 / 120);
    q = __builtin_fma(q, r, 1.0 / 24);
    q = __builtin_fma(q, r, 1.0 / 6);
    q = __builtin_fma(q, r, 0.5);
    double p = __builtin_fma(r * r, q, r), t = pn_exp2_16d[0][j];
    double small = __builtin_fma(t, p, pn_exp2_16d[1][j]), y = t + small;
    double s2, s1 = pn_exp_f64_factors(mu, &s2);
    if (__builtin_expect(mu <= 1026, 0)) { /* m <= -1022: a branch, rarely taken */
        double sub = pn_exp_f64_sub(t, small, mu);
        if (sub >= 0) return sub;
    }
    return y * s1 * s2;
}

/* sigmoid x = 1 / (1 + e^-x) in double, for the float64 sigmoid op (elementwise.c's
 * kernels compute the same, to the bit): e = exp(-|x|) <= 1 (pn_exp_f64_tab), 1 + e as
 * the exact pair dh + dl (Fast2Sum), u = 1 / dh rounded and d = (1 - u dh) - u dl (the
 * fma's remainder is exact), so that u (1 + d) is 1 / (1 + e) to about 2^-100; then
 *   x >= 0:  1 / (1 + e) = u + u d, one rounding;
 *   x < 0:   e / (1 + e) = q + (q' + q d), q = e u rounded and q' its error (exact),
 * one rounding again: e's own error (0.556 ulp) is what remains, shrunk by 1 / (1 + e)
 * for x >= 0 and doubled for x < 0 where e / (1 + e) falls below a power of 2 that e is
 * above: at most 0.5 + 2 (0.556) = 1.61 ulp; searches there found 1.4993 (x = -10.397),
 * csrc/tests/test_vecmath.c checks 1.5 on random x (NumPy's 1 / (1 + exp(-x)): 1.86,
 * PyTorch's: 1.80 on random x in [-30, 30]). sigmoid(-inf) = 0,
 * sigmoid(inf) = 1, NaN -> NaN (x's, quieted). */
/* pn_sigmoid_f64_tab's parts: 1 / (1 + e) = u (1 + d) and e / (1 + e) = q + ql + q d, each
 * to about 2^-100, e = exp(-|x|). */
typedef struct {
    double u, d, q, ql;
} pn_sigmoid_parts;
PN_FINLINE pn_sigmoid_parts pn_sigmoid_f64_parts(double x) {
    double e = pn_exp_f64_tab(pn_bits_to_double(pn_double_to_bits(x) | 0x8000000000000000ULL));
    double dh = 1.0 + e, dl = (1.0 - dh) + e;
    double u = 1.0 / dh, d = __builtin_fma(-u, dh, 1.0) - u * dl;
    double q = e * u, ql = __builtin_fma(e, u, -q);
    return (pn_sigmoid_parts){u, d, q, ql};
}
PN_FINLINE double pn_sigmoid_f64_tab(double x) {
    pn_sigmoid_parts s = pn_sigmoid_f64_parts(x);
    double pos = __builtin_fma(s.u, s.d, s.u), neg = s.q + __builtin_fma(s.q, s.d, s.ql);
    return x != x ? x + x : x >= 0 ? pos : neg; /* x + x: a signalling NaN quieted */
}

/* silu x = x sigmoid(x) in double, for the float64 silu op (elementwise.c's kernels
 * compute the same, to the bit): sigmoid's parts (pn_sigmoid_f64_parts) h + hl + h d,
 * h = u and hl = 0 for x >= 0, h = q and hl = ql below, times x: p = x h rounded, its
 * error pe exact (fma), and
 *   silu x = p + (pe + x hl + p d),
 * one rounding. So only e's own error (0.556 ulp) remains, as in sigmoid: shrunk by
 * e / (1 + e) <= 1/2 for x >= 0, passed on whole below 0, where it can double as x e /
 * (1 + e) falls below a power of 2 that x e is above: at most 0.5 + 2 (0.556) = 1.61 ulp
 * (1.49 found by a reviewer; PyTorch's x / (1 + exp(-x)), two roundings after exp's: 2.22
 * found). silu(inf) = inf, silu(-inf) = NaN (x 0, as PyTorch), NaN -> NaN, silu(+-0) =
 * +-0. Below -708.4 e is subnormal, its relative error far above an ulp, while x e can
 * still be normal: below -708 silu x = (x E) E with E = e^(x/2) normal, 1 / (1 + e) being
 * 1 to a double: E's error twice (1.11 2^-53 relative each) and two roundings, 4.22 2^-53
 * relative, so within 4.3 ulp (2.68 found; PyTorch's exp(-x) overflows below -709.78,
 * where it returns -0). */
#define PN_SILU_D_TINY -708.0
PN_FINLINE double pn_silu_f64_tab(double x) {
    if (__builtin_expect(x < PN_SILU_D_TINY, 0)) { /* x e as (x E) E, E = e^(x/2) */
        double h2 = pn_exp_f64_tab(0.5 * x);
        return (x * h2) * h2;
    }
    pn_sigmoid_parts s = pn_sigmoid_f64_parts(x);
    double h = x >= 0 ? s.u : s.q, hl = x >= 0 ? 0.0 : s.ql;
    double p = x * h, pe = __builtin_fma(x, h, -p);
    double y = p + __builtin_fma(p, s.d, __builtin_fma(x, hl, pe));
    return x != x ? x + x : y == 0 || __builtin_isinf(x) ? p : y; /* p: +-0 kept, inf */
}
/* SiLU's gradient dx = g sigmoid(x) (1 + x (1 - sigmoid(x))) in double for the float64
 * backward: sigmoid and 1 - sigmoid are sigmoid's two results, 1 / (1 + e) and e / (1 + e)
 * (each within 1.61 ulp where e is normal), whichever way x's sign puts them; 1 + x (1 -
 * sigmoid) by one fma. Within 4.8 ulp of |s| + |x s (1 - s)| (the parts' errors summed:
 * 1.61 twice and three roundings; 3.13 found by a reviewer): near x = -1.2785, where the
 * gradient crosses 0, the sum cancels (as PyTorch's) and that is all the relative accuracy
 * there is. Below -708, as silu x, s (1 + x (1 - s)) = e (1 + x) to a double: dx = (g ((1 +
 * x) E)) E, 1 + x exact (4.3 ulp; PyTorch's s is 0 below -709.78, so g = inf gives NaN
 * there and -inf here). x = inf gives NaN (inf 0 in the sum), x = -inf too (0 (-inf) in
 * the product), as PyTorch; a NaN x comes out, else a NaN g (quieted: a product of two
 * NaNs would give either, by operand order). */
PN_FINLINE double pn_silu_grad_f64_tab(double g, double x) {
    double dx;
    if (__builtin_expect(x < PN_SILU_D_TINY, 0)) {
        double h2 = pn_exp_f64_tab(0.5 * x);
        dx = (g * ((1.0 + x) * h2)) * h2;
    } else {
        pn_sigmoid_parts s = pn_sigmoid_f64_parts(x);
        double pos = __builtin_fma(s.u, s.d, s.u), neg = s.q + __builtin_fma(s.q, s.d, s.ql);
        double sig = x >= 0 ? pos : neg, oms = x >= 0 ? neg : pos;
        dx = g * (sig * __builtin_fma(x, oms, 1.0));
    }
    return x != x ? x + x : g != g ? g + g : dx;
}

/* ---- float64 expm1 and tanh through exp's table, as exact pairs ---- */

/* e^c - 1 as the pair h + *lo (|*lo| <= ulp(h) / 2, within 2^-60 of h), for c in [-40,
 * 709.78] (pos: c >= 0), for elementwise.c's float64 expm1 and tanh (their kernels compute
 * the same, to the bit). pn_exp_f64_tab's reduction, k = 16 m + j and 2^(j/16) = T + Tl,
 * but r kept as the pair rh + rl (k L1 exact, k L2 rounded: an error near 2^-86) and
 * Taylor's polynomial one degree longer (r^8 / 8!: e^r - 1 is now as small as r, not 1),
 *   e^c - 1 = (S - 1) + S rh + S rh^2 / 2 + [S (rh^3 q + rl (1 + rh)) + Sl (1 + rh)],
 *   S = 2^m T, Sl = 2^m Tl (exact: m <= 1023, k capped at 16383, so r up to 0.054),
 * S - 1 an exact pair (Knuth's TwoSum; Fast2Sum where S >= 1), S rh and S rh^2 / 2 too
 * (fma; rh^2 as a pair), and the three high parts summed exactly (Fast2Sums: |S - 1| >=
 * |S rh| unless k = 0, where S - 1 is 0; they can cancel, as just beyond c = ln2/32,
 * 0.044 - 0.023; S rh^2 / 2 is 1/46 of the result there, so its roundings, left in the
 * bracket, had cost 0.03 ulp): what is left in the bracket is under 1/1000 of the result.
 * q (1/6 + r/24 + ..., Estrin's order for shorter chains). Near 0 (k = 0) r = c exactly. */
PN_FINLINE double pn_expm1_f64_pair(double c, double *lo, int pos) {
    const double magic = 0x1.8p52;
    double kf = __builtin_fma(c, PN_EXP_D_16_LN2, magic) - magic;
    kf = kf < 16383 ? kf : 16383; /* so that 2^m is finite (|r| up to 0.054 there) */
    double v = kf + magic;
    double a = __builtin_fma(kf, -PN_EXP_D_L1, c), kl2 = kf * PN_EXP_D_L2;
    double rh = a - kl2, rl = (a - rh) - kl2;
    double r2 = rh * rh, r2l = __builtin_fma(rh, rh, -r2), r4 = r2 * r2;
    double q = __builtin_fma(__builtin_fma(1.0 / 720, rh, 1.0 / 120), r2,
                             __builtin_fma(1.0 / 24, rh, 1.0 / 6)); /* Estrin's order */
    q = __builtin_fma(__builtin_fma(1.0 / 40320, rh, 1.0 / 5040), r4, q);
    double u = __builtin_fma(r2 * rh, q, __builtin_fma(rl, rh, rl));
    int64_t k = (int64_t)(pn_double_to_bits(v) - pn_double_to_bits(magic));
    double p2 = pn_bits_to_double((uint64_t)((k >> 4) + 1023) << 52); /* 2^m */
    double s_ = pn_exp2_16d[0][k & 15] * p2, sl = pn_exp2_16d[1][k & 15] * p2;
    double h0 = s_ - 1, b0 = h0 - s_;
    double e0 = pos ? (s_ - h0) - 1 : (s_ - (h0 - b0)) + (-1 - b0);
    double ph = s_ * rh, pl = __builtin_fma(s_, rh, -ph);
    double hs = 0.5 * s_, mh = hs * r2, ml = __builtin_fma(hs, r2l, __builtin_fma(hs, r2, -mh));
    double s1 = h0 + ph, e1 = (h0 - s1) + ph, s = s1 + mh, e2 = (s1 - s) + mh;
    double rest = (((e1 + e0) + pl) + (e2 + ml)) + __builtin_fma(s_, u, __builtin_fma(sl, rh, sl));
    double h = s + rest;
    *lo = (s - h) + rest;
    return h;
}
#define PN_EXPM1_D_MAX 0x1.62e42fefa39efp+9 /* exp's overflow threshold (709.78) */
#define PN_EXPM1_D_MIN (-40.0)              /* below, e^x - 1 is -1 */
/* expm1 x in double: the pair's sum for x in [-40, 709.78] (x below, as -40: -1), exp x
 * (pn_exp_f64_tab: inf) above, for inf and NaN; expm1(+-0) = +-0. Measured against
 * MPFR on 11 million x crowded at the k boundaries, at +-ln2/32 and near the limits:
 * within 0.505 ulp (PyTorch's: 0.92 on random x; glibc's: 0.76). */
PN_FINLINE double pn_expm1_f64_tab(double x) {
    if (__builtin_expect(!(x <= PN_EXPM1_D_MAX), 0)) return pn_exp_f64_tab(x);
    double lo, h = pn_expm1_f64_pair(x < PN_EXPM1_D_MIN ? PN_EXPM1_D_MIN : x, &lo, 0);
    return x == 0 ? x : h;
}
/* tanh x in double: with E = e^(2|x|) - 1 as the pair h + l (pn_expm1_f64_pair; 2|x|
 * capped at 40, where tanh is 1), tanh |x| = E / (E + 2), no cancellation anywhere:
 * D = E + 2 as the pair dh + dl (Fast2Sum, the larger of h and 2 first), q = h (1/dh),
 * its remainder (h + l) - q (dh + dl) by fmas and q corrected by it, one rounding. The
 * sign is x's. Measured against MPFR on 9.6 million x crowded at expm1's k boundaries:
 * within 0.5043 ulp (PyTorch's: 0.64, glibc's: 1.95). tanh(+-0) = +-0, tanh(+-inf) = +-1, NaN ->
 * NaN. */
PN_FINLINE double pn_tanh_f64_tab(double x) {
    double ax2 = 2 * __builtin_fabs(x), l, h = pn_expm1_f64_pair(ax2 < 40 ? ax2 : 40, &l, 1);
    double dh = 2 + h, dl = (((h > 2 ? h : 2) - dh) + (h < 2 ? h : 2)) + l;
    double inv = 1 / dh, q = h * inv;
    double rem = __builtin_fma(-q, dh, h) + __builtin_fma(-q, dl, l);
    double y = __builtin_fma(rem, inv, q);
    return x != x ? x + x : __builtin_copysign(y, x);
}

/* e^-(h + l) = 2^m (T + *sm), m = *mu - 2048, for h in [-710, 746] and |l| <= 2^-42
 * (a pair: l is h's rest), for erfc (e^(-a^2)) and pow (x^y = e^(y log x)):
 * pn_exp_f64_tab's reduction of -h with l taken into r (r as the pair r + rl: e^-rl = 1
 * - rl), the polynomial one degree longer and by Estrin's scheme, T = 2^(j/16) from the
 * table exactly and T r exact in the fma that forms *sm: T + *sm within about 2^-58 of
 * e^-(h + l) / 2^m. Returns T. */
PN_FINLINE double pn_exp_f64_neg_pair(double h, double l, double *sm, uint64_t *mu) {
    const double magic = 0x1.8p52;
    double v = __builtin_fma(-h, PN_EXP_D_16_LN2, magic), kf = v - magic;
    double x0 = __builtin_fma(kf, -PN_EXP_D_L1, -h), y0 = __builtin_fma(kf, PN_EXP_D_L2, l);
    double r = x0 - y0, rl = (x0 - r) - y0, r2 = r * r, r4 = r2 * r2;
    uint64_t nb = pn_double_to_bits(v) - pn_double_to_bits(magic) + 32768; /* k + 2^15 */
    *mu = nb >> 4;
    double qa = __builtin_fma(1.0 / 6, r, 0.5), qb = __builtin_fma(1.0 / 120, r, 1.0 / 24);
    double qc = __builtin_fma(1.0 / 5040, r, 1.0 / 720);
    double q = __builtin_fma(__builtin_fma(1.0 / 40320, r2, qc), r4, __builtin_fma(qb, r2, qa));
    double t = pn_exp2_16d[0][nb & 15];
    *sm = __builtin_fma(t, r, __builtin_fma(t, __builtin_fma(r2, q, rl), pn_exp2_16d[1][nb & 15]));
    return t;
}
/* 2^m (y + yl) for mu = m + 2048, m in [-1077, 1024]: rounded once (exp's two factors;
 * inf above the range), and where the result is subnormal, by pn_exp_f64_sub (one
 * rounding there too). */
PN_FINLINE double pn_exp_f64_scale(double y, double yl, uint64_t mu) {
    double s2, s1 = pn_exp_f64_factors(mu, &s2);
    double out = (y + yl) * s1 * s2;
    if (__builtin_expect(out < 0x1p-1022, 0)) {
        double sub = pn_exp_f64_sub(y, yl, mu);
        if (sub >= 0) return sub;
    }
    return out;
}

/* ---- float64 erfc through exp's table and a table of 16 polynomials ---- */

/* pn_erf16d[k][j] (gen_double_polys.py erf; elementwise.c): G = g0 + g1 v + v^2 R(v),
 * rows g0 high, g0 low, g1 high, g1 low, then R's coefficients r0..r8 (lowest first).
 * Column k mod 16 for k = 2..16: erfc's G(t) = erfcx(a) / t, t = 1 / (1 + a/4), about
 * t = k/16, v = t - k/16 (|v| <= 1/32); column 1 unused. Each is within 2^-61.4 of G
 * relative, its coefficients rounded. */
extern const double pn_erf16d[13][16];
#define PN_ERFC_D_MAX 27.3 /* a capped here: erfc rounds to 0 above 27.23 */

/* Column j's G at v as the pair return + *gl, and G'(v) to 2^-12 relative as *dg (g1 + 2
 * v R + v^2 r1): g1 v exact by an fma and added to g0 high exactly (Fast2Sum: |g1 v| <= g0
 * / 9), the rest (g0 low, the product's error, v^2 R(v): at most 1/120 of G) summed in
 * double; R by Estrin's scheme (a shorter chain of dependent operations than Horner's,
 * which had bound the kernels' speed). */
PN_FINLINE double pn_erf_g(uint64_t j, double v, double *gl, double *dg) {
    const double (*c)[16] = pn_erf16d;
    double v2 = v * v, v4 = v2 * v2;
    double e01 = __builtin_fma(c[5][j], v, c[4][j]), e23 = __builtin_fma(c[7][j], v, c[6][j]);
    double e45 = __builtin_fma(c[9][j], v, c[8][j]), e67 = __builtin_fma(c[11][j], v, c[10][j]);
    double f0 = __builtin_fma(e23, v2, e01), f1 = __builtin_fma(e67, v2, e45);
    double r = __builtin_fma(__builtin_fma(c[12][j], v4, f1), v4, f0);
    double p1 = c[2][j] * v, p1e = __builtin_fma(c[2][j], v, -p1);
    double gh = c[0][j] + p1, ge = (c[0][j] - gh) + p1;
    *dg = __builtin_fma(v, __builtin_fma(v, c[5][j], r + r), c[2][j]);
    *gl = __builtin_fma(v2, r, ge + ((c[1][j] + p1e) + c[3][j] * v));
    return gh;
}
/* erfc a for a + al in [0, PN_ERFC_D_MAX] (al: a's rounding error, or 0), a^2 = h + l
 * exactly, as 2^m (return + *yl), m = *mu - 2048, and e^(-a^2) as 2^m *e, by
 *   erfc a = e^(-a^2) t G(t),  t = 1 / (1 + a/4),
 * no cancellation anywhere (every factor positive), each as a pair:
 *   - e^(-h - l) = 2^m (T + sm) by pn_exp_f64_neg_pair, within about 2^-58;
 *   - 1 + a/4 = dh + dl (a/4 exact, Fast2Sum the larger first, al/4 added), th = 1/dh
 *     and tl = th (1 - th dh - th dl) its rest (the fma's remainder is exact);
 *   - the column k = round(16 th) (mod 16) and v = th - k/16 exact (Sterbenz), G(th) =
 *     gh + gl and G'(th) = dg by pn_erf_g (no division on the way: 16 th + 1.5 2^52
 *     holds k in its low bits);
 *   - E t = (T + sm)(th + tl) = uh + st + c1: uh = T th and st = sm th (st up to 1/40
 *     of uh), c1 the products' errors (fmas) and (T + sm) tl;
 *   - E t G(t) = uh gh + [uh gh's error + c1 gh + us tl dg + us gl + st gh], us = uh +
 *     st (t's rest moves G by G' tl, and t G' is up to 3 G), the small terms first and
 *     st gh last, so that one rounding only is of the size of st gh.
 * The one rounding of size 1/2 ulp is the caller's; what the pair misses was measured
 * up to 2^-56.9 of erfc (e^(-a^2) about 2^-58, G as evaluated 2^-59, the assembly 2^-57.6). */
PN_FINLINE double pn_erfc_f64_pair(double a, double al, double h, double l, double *yl,
                                   uint64_t *mu, double *e) {
    const double magic = 0x1.8p52;
    double sm, t = pn_exp_f64_neg_pair(h, l, &sm, mu);
    *e = t + sm;
    double qa4 = 0.25 * a, dh = __builtin_fma(a, 0.25, 1.0);
    double dl = (((qa4 > 1.0 ? qa4 : 1.0) - dh) + (qa4 < 1.0 ? qa4 : 1.0)) + 0.25 * al;
    double th = 1.0 / dh, tl = th * (__builtin_fma(-th, dh, 1.0) - th * dl);
    double uh = t * th, st = sm * th, us = uh + st, ue = __builtin_fma(t, th, -uh);
    double c1 = __builtin_fma(t, tl, ue) + __builtin_fma(sm, tl, __builtin_fma(sm, th, -st));
    double w = __builtin_fma(th, 16.0, magic), gl, dg;
    double gh =
        pn_erf_g(pn_double_to_bits(w) & 15, __builtin_fma(w - magic, -1.0 / 16, th), &gl, &dg);
    double yh = uh * gh, lo = __builtin_fma(c1, gh, __builtin_fma(uh, gh, -yh));
    *yl = __builtin_fma(st, gh, __builtin_fma(us, gl, __builtin_fma(us * tl, dg, lo)));
    return yh;
}
/* c - 2^m (y + yl) for c >= the pair (erfc of a negative x: 2 less erfc |x|), one
 * rounding: c - Y high exactly by Fast2Sum, the rest after. */
PN_FINLINE double pn_erfc_f64_from(double c, double y, double yl, uint64_t mu) {
    double s2, s1 = pn_exp_f64_factors(mu, &s2);
    double sh = y * s1 * s2, sl = yl * s1 * s2, d = c - sh;
    return d + (((c - d) - sh) - sl);
}
/* erfc x in double, for the float64 erfc op (elementwise.c's kernels compute the same, to
 * the bit): pn_erfc_f64_pair for |x|, rounded once (pn_exp_f64_scale), or 2 less it for
 * x < 0. The pair is within 2^-56.9 of erfc (measured), so the result within 0.565 ulp;
 * the worst found, on 280 million x crowded at the columns' edges and exp's reduction
 * boundaries (against MPFR): 0.5547 (PyTorch's: 0.81, glibc's: 3.4).
 * erfc(-inf) = 2, erfc(inf) = 0, NaN -> NaN. */
PN_FINLINE double pn_erfc_f64_tab(double x) {
    double a = __builtin_fabs(x), ac = a < PN_ERFC_D_MAX ? a : PN_ERFC_D_MAX, h = ac * ac, yl, e;
    uint64_t mu;
    double y = pn_erfc_f64_pair(ac, 0.0, h, __builtin_fma(ac, ac, -h), &yl, &mu, &e);
    double out = x < 0 ? pn_erfc_f64_from(2.0, y, yl, mu) : pn_exp_f64_scale(y, yl, mu);
    return x != x ? x + x : out;
}
/* ---- float64 erf by a table of 16 polynomials in x ---- */

/* pn_erfx16d[k][j] (gen_double_polys.py erfx; elementwise.c): G = g0 + g1 v + v^2 (r0 +
 * v S(v)), rows g0 high, g0 low, g1 high, g1 low, then r0..r11 (lowest first). Column j =
 * 1..15: erf x about c = 0.3125 + 0.375 j, v = x - c (|v| <= 3/16 and a hair: the
 * column comes from a rounded product; exact: Sterbenz); column 0: erf(x) / x in v = x^2
 * (|x| < 1/2). Within 2^-58.8 of G relative (column 1, where erf'' peaks; column 0:
 * 2^-61.9), its coefficients rounded; in ulps column 2's 2^-59.3 costs most: 0.010. */
extern const double pn_erfx16d[16][16];
#define PN_ERF_D_SMALL 0.5 /* erf: |x| below by column 0 (relative to x), above by x itself */
#define PN_ERF_D_MAX   6.0 /* |x| capped here: erf rounds to +-1 from 5.9216 */

/* Column j's G at v + vl (vl: v's rounding error, or 0) as the pair return + *gl: g1 v
 * and r0 v^2 exact by fmas (v^2 as a pair too) and added to g0 high exactly (Fast2Sums:
 * |g1 v| <= g0 / 5, |r0 v^2| <= g0 / 30), the rest (g0 low, the products' errors, (g1 + 2
 * r0 v) vl, v^3 S(v): at most 1/400 of G) summed in double; S by Estrin's scheme. Where
 * the columns are as wide as these, r0 v^2 rounded had cost 0.03 ulp. */
PN_FINLINE double pn_erfx_g(uint64_t j, double v, double vl, double *gl) {
    const double (*c)[16] = pn_erfx16d;
    double v2 = v * v, v2l = __builtin_fma(v, v, -v2), v4 = v2 * v2;
    double e12 = __builtin_fma(c[6][j], v, c[5][j]), e34 = __builtin_fma(c[8][j], v, c[7][j]);
    double e56 = __builtin_fma(c[10][j], v, c[9][j]), e78 = __builtin_fma(c[12][j], v, c[11][j]);
    double e9a = __builtin_fma(c[14][j], v, c[13][j]);
    double f0 = __builtin_fma(e34, v2, e12), f1 = __builtin_fma(e78, v2, e56);
    double f2 = __builtin_fma(c[15][j], v2, e9a);
    double S = __builtin_fma(__builtin_fma(f2, v4, f1), v4, f0);
    double p1 = c[2][j] * v, p1e = __builtin_fma(c[2][j], v, -p1);
    double gh = c[0][j] + p1, ge = (c[0][j] - gh) + p1;
    double p2 = c[4][j] * v2, p2e = __builtin_fma(c[4][j], v2, -p2);
    double gh2 = gh + p2, ge2 = (gh - gh2) + p2;
    double rest = (c[1][j] + p1e) + __builtin_fma(c[4][j], v2l, p2e);
    double dv = __builtin_fma(c[4][j] + c[4][j], v, c[2][j]); /* G'(v), near enough for vl */
    *gl = __builtin_fma(v2 * v, S, (ge + ge2) + (rest + __builtin_fma(dv, vl, c[3][j] * v)));
    return gh2;
}
#define PN_ERF_D_TINY 0x1p-1000 /* erf: below, a G scaled by 2^64 (pn_erf_f64_tiny) */
/* a (gh + gl) for a < PN_ERF_D_TINY, where a gl would underflow: A = a 2^64 and A (gh +
 * gl) as the pair hi + lo, rounded once, onto the subnormal grid (2^-1010 once scaled:
 * the ulp of 2^-958) where the result is subnormal, as pn_exp_f64_sub does; then 2^-64
 * (exact). */
PN_FINLINE double pn_erf_f64_tiny(double a, double gh, double gl) {
    const double c = 0x1p-958;
    double aa = a * 0x1p64, hi = aa * gh, lo = __builtin_fma(aa, gh, -hi) + aa * gl;
    double s = c + hi, l2 = ((c - s) + hi) + lo;
    return (hi >= c ? hi + lo : (s + l2) - c) * 0x1p-64;
}
/* erf x in double, for the float64 erf op (elementwise.c's kernels compute the same, to
 * the bit), the sign x's, a = |x|:
 *   a < 1/2:  a G(a^2) by column 0 (v = a^2 = h + l: the fma gives l), a gh + a gl
 *             rounded once (fma; below 2^-1000, pn_erf_f64_tiny);
 *   a >= 1/2: G(a) by column j = round(a 8/3 - 5/6) (at least 1; a capped at 6), gh + gl
 *             rounded once.
 * No exp and no division (the erfc-based erf this replaced took 2.5 times the
 * operations). Before its rounding the pair is within 0.014 ulp (the table's 0.010 and
 * the evaluation's), so the result within 0.514 ulp; the worst a reviewer found on 230
 * million x crowded at the columns' edges, against quad precision: 0.5132 (x = 0.8789,
 * column 2's lower edge; PyTorch's: 0.76, glibc's: 1.1, the erfc-based one's: 0.5195).
 * erf(+-0) = +-0, erf(+-inf) = +-1, NaN -> NaN. */
PN_FINLINE double pn_erf_f64_tab(double x) {
    const double magic = 0x1.8p52;
    double a = __builtin_fabs(x), ac = a < PN_ERF_D_MAX ? a : PN_ERF_D_MAX, gl, out;
    if (a < PN_ERF_D_SMALL) {
        double z = a * a, gh = pn_erfx_g(0, z, __builtin_fma(a, a, -z), &gl);
        out = a < PN_ERF_D_TINY ? pn_erf_f64_tiny(a, gh, gl) : __builtin_fma(a, gh, a * gl);
    } else {
        double jf = (__builtin_fma(ac, 8.0 / 3, -5.0 / 6) + magic) - magic;
        jf = jf < 1 ? 1 : jf;
        double gh = pn_erfx_g((uint64_t)jf, ac - __builtin_fma(jf, 0.375, 0.3125), 0.0, &gl);
        out = gh + gl;
    }
    return x != x ? x + x : __builtin_copysign(out, x);
}

#define PN_SQRT1_2_HI 0x1.6a09e667f3bcdp-1 /* 1/sqrt 2 = HI + LO */
#define PN_SQRT1_2_LO (-0x1.bdd3413b26456p-55)
#define PN_2_SQRT_2PI 0x1.9884533d43651p-1 /* 2 / sqrt(2 pi) */
#define PN_GELU_D_MAX 38.6 /* |x| capped here (|x|/sqrt 2 < 27.3); Phi is 0 or 1 beyond */
/* erfc(|x|/sqrt 2) = 2^m (return + *yl) (m = *mu - 2048) and e^(-x^2/2) = 2^m *e, for the
 * float64 GELU and its gradient: a = |x|/sqrt 2 as a + al (1/sqrt 2 in two parts, the
 * product's error by an fma), a^2 = x^2/2 exactly (x^2 by an fma, halved), |x| capped at
 * PN_GELU_D_MAX; pn_erfc_f64_pair. */
PN_FINLINE double pn_phi_f64_core(double x, double *yl, uint64_t *mu, double *e) {
    double ax = __builtin_fabs(x), ac = ax < PN_GELU_D_MAX ? ax : PN_GELU_D_MAX;
    double xx = ac * ac, h = 0.5 * xx, l = 0.5 * __builtin_fma(ac, ac, -xx);
    double a = ac * PN_SQRT1_2_HI, al = __builtin_fma(ac, PN_SQRT1_2_HI, -a) + ac * PN_SQRT1_2_LO;
    return pn_erfc_f64_pair(a, al, h, l, yl, mu, e);
}
/* GELU x Phi(x), Phi(x) = erfc(-x/sqrt 2)/2, in double, for the float64 GELU (elementwise.c's
 * kernels compute the same, to the bit), by pn_phi_f64_core: x < 0: x Phi = 2^(m-1) x (y +
 * yl), the product rounded once (fma) and scaled (a second rounding only where the
 * result is subnormal: x < -37.5, and tiny x); x >= 0: Phi = 1 - 2^(m-1) (y + yl) as a
 * pair (Fast2Sum, as pn_erfc_f64_from), x times it rounded once. Beyond PN_GELU_D_MAX, x 0
 * or x 1 (GELU(inf) = inf, GELU(-inf) = NaN, as x Phi(x) in C and PyTorch). The pair
 * within 2^-56.9 (pn_erfc_f64_pair), so the result within 0.565 ulp; the worst found
 * against MPFR: 0.5556 (x = -2.2135), 0.77 where the result is subnormal (PyTorch's x (1 +
 * erf(x/sqrt 2))/2 cancels: 15 ulp at x = -2.2, 1e-10 relative at -5, 0 from -8.3). */
PN_FINLINE double pn_gelu_f64_tab(double x) {
    double yl, e, s2;
    uint64_t mu;
    double y = pn_phi_f64_core(x, &yl, &mu, &e), s1 = pn_exp_f64_factors(mu - 1, &s2);
    double sh = y * s1 * s2, sl = yl * s1 * s2, d = 1.0 - sh, lo = ((1.0 - d) - sh) - sl;
    if (x != x) return x + x; /* a signalling NaN quieted, as the kernels do */
    if (!(__builtin_fabs(x) <= PN_GELU_D_MAX)) return x * (x < 0 ? 0.0 : 1.0);
    return x < 0 ? __builtin_fma(x, y, x * yl) * s1 * s2 : __builtin_fma(x, d, x * lo);
}
/* GELU's derivative Phi(x) + x phi(x), phi(x) = e^(-x^2/2)/sqrt(2 pi), times g, in double
 * (the kernels' bits), with Phi's pair as pn_gelu_f64_tab's and phi from the same
 * e^(-x^2/2) = 2^m e: x >= 0: d + (x phi + Phi's low part); x < 0: 2^(m-1) (y + (x e C +
 * yl)) (scaled once, so that a subnormal Phi does not lose x's multiple of its rounding);
 * then the product with g: within 4.05 ulp of |Phi| + |x phi| (the two cancel near x =
 * -0.75; in units of 2^-1074 where that is subnormal). Beyond PN_GELU_D_MAX Phi is 0 or 1
 * and phi 0. */
PN_FINLINE double pn_gelu_grad_f64_tab(double g, double x) {
    double yl, e, s2;
    uint64_t mu;
    double y = pn_phi_f64_core(x, &yl, &mu, &e), s1 = pn_exp_f64_factors(mu - 1, &s2);
    double sh = y * s1 * s2, sl = yl * s1 * s2, d = 1.0 - sh, ec = e * PN_2_SQRT_2PI;
    double pos = d + __builtin_fma(x, ec * s1 * s2, ((1.0 - d) - sh) - sl);
    double neg = (y + __builtin_fma(x, ec, yl)) * s1 * s2; /* scaled once: Phi may be subnormal */
    double r = x < 0 ? neg : pos;
    if (!(__builtin_fabs(x) <= PN_GELU_D_MAX)) r = (x < 0 ? 0.0 : 1.0) + x * 0.0;
    return g * r;
}

/* ---- float64 sine and cosine by a table of 16 and short polynomials ---- */

/* sin(j pi/32) and cos(j pi/32), j = 0..15, each a double and the rest rounded
 * (gen_double_polys.py trig; elementwise.c): rows sin high, sin low, cos high, cos low. */
extern const double pn_trig32d[4][16];
#define PN_TRIG_D_MAX 0x1p16                /* beyond (and inf, NaN): libm's sin, cos */
#define PN_32_PI      0x1.45f306dc9c883p+3  /* 32 / pi */
#define PN_PI32_C1    0x1.921fb54400000p-4  /* pi/32 = C1 + C2 + C3 + C4, C1 to C3 of */
#define PN_PI32_C2    0x1.0b4611a600000p-38 /* 33 bits: n Ck is exact for |n| < 2^20 */
#define PN_PI32_C3    0x1.3198a2e000000p-73
#define PN_PI32_C4    0x1.b839a252049c1p-108

/* sin x (cosine = 0) or cos x (cosine = 1) for |x| <= 2^16, for elementwise.c's float64
 * sin and cos (their kernels compute the same, to the bit):
 *   x = n pi/32 + r,  n = round(32 x / pi),  |r| <= pi/64 (a hair more, by rounding),
 * r as the pair rh + rl from pi/32 in four parts: x - n C1 is exact (fma; Sterbenz), and
 * each of n C2, n C3 is exact and taken off with its error kept (Fast2Sum: where the two
 * are close, the difference is exact, as x near a multiple of pi/32 needs, with r as
 * small as 2^-60 relative to x); n C4 is rounded (2^-135). With n = 16 q + j,
 *   sin x = sin(phi + q pi/2),  phi = j pi/32 + r,
 * which is A cos r + B sin r with (A, B) = (S, C), (C, -S), (-S, -C), (-C, S) for q = 0..3
 * (S, C the table's sin and cos of j pi/32; cos x takes q + 1), and
 *   A cos r + B sin r = [A + B rh] + A_lo + B_lo rh + B rl + B rh^3 s(z)
 *                       + A (z c(z) - rh rl),   z = rh^2,
 * s and c Taylor's polynomials of (sin r - r) / r^3 and (cos r - 1) / r^2 to degree 6 in r
 * (the next terms are under 2^-70 of the result). A + B rh is summed exactly (the product
 * by fma, the sum by Fast2Sum: |A| >= sin(pi/32) > |B rh| unless A = 0), so the one
 * rounding of size 1/2 ulp is the last: where A + B rh cancels (to 0.049), the small
 * terms are still under 1/400 of the result. Measured against MPFR, 47 million x up to
 * 2^16 crowded next to multiples of pi/2 and pi/32: sin within 0.5049 ulp, cos 0.5043
 * (PyTorch's: 0.508 and 0.502 on random x, 0.52 at multiples of pi/32). */
/* The reduction of pn_sincos_f64_core: x = n pi/32 + rh + rl; returns the bits of the
 * magic sum, whose low bits are n's. */
PN_FINLINE uint64_t pn_trig_reduce(double x, double *rh, double *rl) {
    const double magic = 0x1.8p52;
    double v = __builtin_fma(x, PN_32_PI, magic), nf = v - magic;
    double a = __builtin_fma(-nf, PN_PI32_C1, x);
    double p2 = nf * PN_PI32_C2, b = a - p2, eb = (a - b) - p2;
    double p3 = nf * PN_PI32_C3, r = b - p3, ec = (b - r) - p3;
    *rh = r;
    *rl = __builtin_fma(-nf, PN_PI32_C4, eb + ec);
    return pn_double_to_bits(v);
}
/* A cos r + B sin r (A = ah + al, B = bh + bl, r = rh + rl) as the pair h + *lo, the sum
 * of pn_sincos_f64_core. */
PN_FINLINE double pn_trig_mix(double ah, double al, double bh, double bl, double rh, double rl,
                              double *lo) {
    double z = rh * rh;
    double s = __builtin_fma(
        __builtin_fma(__builtin_fma(1.0 / 362880, z, -1.0 / 5040), z, 1.0 / 120), z, -1.0 / 6);
    double c = __builtin_fma(__builtin_fma(__builtin_fma(1.0 / 40320, z, -1.0 / 720), z, 1.0 / 24),
                             z, -0.5);
    double p = bh * rh, pe = __builtin_fma(bh, rh, -p);
    double s1 = ah + p, e1 = (ah - s1) + p;
    double t = __builtin_fma(bh, rl, __builtin_fma(bl, rh, al));
    t = __builtin_fma(p * z, s, t);
    t = __builtin_fma(ah, __builtin_fma(z, c, -(rh * rl)), t);
    double rest = (e1 + pe) + t, h = s1 + rest;
    *lo = (s1 - h) + rest;
    return h;
}
PN_FINLINE double pn_sincos_f64_core(double x, int cosine) {
    double rh, rl, lo;
    uint64_t nb = pn_trig_reduce(x, &rh, &rl), j = nb & 15, q = ((nb >> 4) + (uint64_t)cosine) & 3;
    int odd = (int)(q & 1);
    double ah = pn_trig32d[odd ? 2 : 0][j], al = pn_trig32d[odd ? 3 : 1][j];
    double bh = pn_trig32d[odd ? 0 : 2][j], bl = pn_trig32d[odd ? 1 : 3][j];
    if (q & 2) ah = -ah, al = -al;
    if (((q >> 1) ^ q) & 1) bh = -bh, bl = -bl; /* q = 1, 2 */
    return pn_trig_mix(ah, al, bh, bl, rh, rl, &lo);
}
/* sin x in double: pn_sincos_f64_core, sin(+-0) = +-0, and libm's sin beyond 2^16, for
 * inf and NaN. */
PN_FINLINE double pn_sin_f64_tab(double x) {
    if (__builtin_expect(!(__builtin_fabs(x) <= PN_TRIG_D_MAX), 0)) return sin(x);
    return x == 0 ? x : pn_sincos_f64_core(x, 0);
}
/* cos x in double: pn_sincos_f64_core, and libm's cos beyond 2^16, for inf and NaN. */
PN_FINLINE double pn_cos_f64_tab(double x) {
    if (__builtin_expect(!(__builtin_fabs(x) <= PN_TRIG_D_MAX), 0)) return cos(x);
    return pn_sincos_f64_core(x, 1);
}
/* tan x in double for |x| <= 2^16: with phi = j pi/32 + r (pn_sincos_f64_core's), sin phi
 * and cos phi as pairs (pn_trig_mix; cos phi >= cos(31 pi/64) > 0.049), tan x = sin phi /
 * cos phi for even q and -cos phi / sin phi for odd, the quotient corrected by its
 * remainder as in pn_tanh_f64_tab: one rounding. */
PN_FINLINE double pn_tan_f64_core(double x) {
    double rh, rl, snl, csl;
    uint64_t nb = pn_trig_reduce(x, &rh, &rl), j = nb & 15;
    double sh = pn_trig32d[0][j], sl = pn_trig32d[1][j], ch = pn_trig32d[2][j],
           cl = pn_trig32d[3][j];
    double sn = pn_trig_mix(sh, sl, ch, cl, rh, rl, &snl);   /* sin phi */
    double cs = pn_trig_mix(ch, cl, -sh, -sl, rh, rl, &csl); /* cos phi */
    int odd = (int)(nb >> 4 & 1);
    double nh = odd ? cs : sn, nl = odd ? csl : snl, dh = odd ? sn : cs, dl = odd ? snl : csl;
    double inv = 1 / dh, q = nh * inv;
    double rem = __builtin_fma(-q, dh, nh) + __builtin_fma(-q, dl, nl);
    double y = __builtin_fma(rem, inv, q);
    return odd ? -y : y;
}
/* tan x in double: pn_tan_f64_core, tan(+-0) = +-0, and libm's tan beyond 2^16, for inf
 * and NaN. Measured against long double, 30 million x up to 2^16: within 0.5044 ulp
 * (PyTorch's: 0.542; glibc's beyond 2^16: 0.539). */
PN_FINLINE double pn_tan_f64_tab(double x) {
    if (__builtin_expect(!(__builtin_fabs(x) <= PN_TRIG_D_MAX), 0)) return tan(x);
    return x == 0 ? x : pn_tan_f64_core(x);
}

/* ---- float64 atan by a table of 16 and one division ---- */

/* atan(j/16), j = 0..15, a double and the rest rounded (mpmath; elementwise.c). */
extern const double pn_atan16d[2][16];
#define PN_HALF_PI_D_HI 0x1.921fb54442d18p+0
#define PN_HALF_PI_D_LO 0x1.1a62633145c07p-54

/* atan a for 0 <= a < inf, for elementwise.c's float64 atan (its kernels compute the same,
 * to the bit). With t = min(a, 1/a) (1/a in float: only to choose c), c = j/16, j =
 * min(round(16 t), 15):
 *   a <= 1:  atan a = atan c + atan d,           d = (a - c) / (1 + a c),
 *   a > 1:   atan a = pi/2 - atan c - atan d,    d = (1 - c a) / (a + c),
 * |d| <= 1/31. Numerator and denominator are exact pairs (c a by fma; a - c exact by
 * Sterbenz; 1 - c a exact as c a is in [2/3, 2] or c = 0; the sums by Fast2Sum), the
 * quotient d as dh + dl (one division, its remainder by fma), atan d = dh + dl + dh^3
 * P(dh^2) (Taylor's to d^13; the next term is under 2^-68 of d), and the base (atan c, or
 * pi/2 - atan c as a Fast2Sum) plus dh summed exactly (Fast2Sum: the base is at least
 * atan(1/16) > |d| unless 0), so the one rounding of size 1/2 ulp is the last. The sign
 * is x's. Measured against long double on 30 million x (next to the table's points and
 * their reciprocals among them): within 0.5005 ulp (PyTorch's: 0.513, glibc's: 0.507). */
/* (atan d - d) / d^3 as Taylor's polynomial in z = d^2, to d^13 (|d| <= 1/31). */
PN_FINLINE double pn_atan_d_poly(double z) {
    double p = __builtin_fma(__builtin_fma(1.0 / 13, z, -1.0 / 11), z, 1.0 / 9);
    p = __builtin_fma(__builtin_fma(p, z, -1.0 / 7), z, 1.0 / 5);
    return __builtin_fma(p, z, -1.0 / 3);
}
PN_FINLINE double pn_atan_f64_core(double a) {
    const double magic = 0x1.8p52;
    int big = a > 1;
    double t = big ? (double)(1.0f / (float)a) : a;
    double jf = __builtin_fma(t, 16.0, magic) - magic;
    jf = jf < 15 ? jf : 15;
    double c = jf * 0.0625;
    unsigned j = (unsigned)jf;
    double ph = c * a, pl = __builtin_fma(c, a, -ph);
    double u1 = big ? 1 : a, u2 = big ? ph : c, w1 = big ? a : 1, w2 = big ? c : ph;
    double nh = u1 - u2, nl = big ? -pl : 0;
    double dh = w1 + w2, dl = ((w1 - dh) + w2) + (big ? 0 : pl);
    double inv = 1 / dh, qh = nh * inv;
    double rem = __builtin_fma(-qh, dh, nh) + __builtin_fma(-qh, dl, nl), ql = rem * inv;
    double z = qh * qh;
    double p = pn_atan_d_poly(z);
    double ah = pn_atan16d[0][j], al = pn_atan16d[1][j];
    double bh = big ? PN_HALF_PI_D_HI - ah : ah;
    double bl = big ? ((PN_HALF_PI_D_HI - bh) - ah) + (PN_HALF_PI_D_LO - al) : al;
    double sg = big ? -1.0 : 1.0, sq = sg * qh;
    double s = bh + sq, e = (bh - s) + sq;
    return s + ((e + bl) + sg * __builtin_fma(qh * z, p, ql));
}
/* atan x in double: pn_atan_f64_core of |x|, x's sign; atan(+-inf) = +-pi/2, NaN -> NaN. */
PN_FINLINE double pn_atan_f64_tab(double x) {
    double a = __builtin_fabs(x);
    if (__builtin_expect(!(a < INFINITY), 0))
        return a == INFINITY ? __builtin_copysign(PN_HALF_PI_D_HI, x) : x + x;
    return __builtin_copysign(pn_atan_f64_core(a), x);
}

#define PN_PI_D_HI     0x1.921fb54442d18p+1
#define PN_PI_D_LO     0x1.1a62633145c07p-53
#define PN_ATAN2_D_MIN 0x1p-500 /* |x| and |y| in [2^-500, 2^500]: pn_atan2_f64_core; */
#define PN_ATAN2_D_MAX 0x1p500  /* elsewhere (zeros, inf, NaN, extremes) libm's atan2 */
/* atan2(y, x) for |x|, |y| in [2^-500, 2^500] (so that every product and quotient below
 * is normal), for elementwise.c's float64 atan2 (its kernels compute the same, to the
 * bit): pn_atan_f64_core's way on t = num / den, num and den the smaller and the larger of
 * |y| and |x|, without rounding t: c = j/16 near t (t by a division, only to choose c),
 *   atan t = atan c + atan d,   d = (num - c den) / (den + c num),
 * both exact pairs (c den and c num by fma; num - c den exact by Sterbenz); then
 *   theta = atan(|y| / |x|) = big ? pi/2 - atan t : atan t,  big = |y| > |x|,
 * and pi - theta for x < 0: a base K + s atan c (K in {0, pi/2, pi}, s = +-1, a Fast2Sum)
 * plus s atan d, summed exactly as in pn_atan_f64_core; the sign is y's. */
PN_FINLINE double pn_atan2_f64_core(double y, double x) {
    const double magic = 0x1.8p52;
    double ay = __builtin_fabs(y), ax = __builtin_fabs(x);
    int big = ay > ax, neg = x < 0;
    double num = big ? ax : ay, den = big ? ay : ax;
    double jf = __builtin_fma(num / den, 16.0, magic) - magic;
    jf = jf < 15 ? jf : 15;
    double c = jf * 0.0625;
    unsigned j = (unsigned)jf;
    double ph = c * den, pl = __builtin_fma(c, den, -ph), nh = num - ph;
    double qh = c * num, ql = __builtin_fma(c, num, -qh);
    double dh = den + qh, dl = ((den - dh) + qh) + ql;
    double inv = 1 / dh, dq = nh * inv;
    double rem = __builtin_fma(-dq, dh, nh) - __builtin_fma(dq, dl, pl), dql = rem * inv;
    double z = dq * dq;
    double p = pn_atan_d_poly(z);
    double kh = big ? PN_HALF_PI_D_HI : neg ? PN_PI_D_HI : 0;
    double kl = big ? PN_HALF_PI_D_LO : neg ? PN_PI_D_LO : 0;
    double sa = big != neg ? -1.0 : 1.0, sah = sa * pn_atan16d[0][j];
    double bh = kh + sah, bl = ((kh - bh) + sah) + (kl + sa * pn_atan16d[1][j]);
    double sd = sa * dq, s = bh + sd, e = (bh - s) + sd;
    double r = s + ((e + bl) + sa * __builtin_fma(dq * z, p, dql));
    return __builtin_copysign(r, y);
}
/* atan2(y, x) in double: pn_atan2_f64_core where |x| and |y| are in [2^-500, 2^500], libm's
 * atan2 elsewhere (signed zeros, infinities, NaN, the extremes). Measured against long
 * double on 20 million pairs (y/x next to j/16 and 16/j among them): within 0.5005 ulp
 * (glibc's: 0.5215). */
PN_FINLINE double pn_atan2_f64_tab(double y, double x) {
    double ay = __builtin_fabs(y), ax = __builtin_fabs(x);
    double lo = ay < ax ? ay : ax, hi = ay < ax ? ax : ay;
    if (__builtin_expect(!(lo >= PN_ATAN2_D_MIN && hi <= PN_ATAN2_D_MAX), 0)) return atan2(y, x);
    return pn_atan2_f64_core(y, x);
}

/* ---- float64 logarithms by a table of 16 and a polynomial of degree 8 ---- */

/* x = 2^k z with z in [0.703125, 1.40625): bits(x) - PN_LOG_OFF holds k in its top 12
 * bits (an arithmetic shift) and z's interval j in the next 4. */
#define PN_LOG_OFF      0x3fe6800000000000ULL /* bits of 0.703125 */
#define PN_LOG_EXP_MASK 0xfff0000000000000ULL
/* 1/c for each interval j (gen_double_polys.py log; elementwise.c): a multiple of 2^-p,
 * p from 1 to 6, such that r = z (1/c) - 1 is exact over the interval (it needs at most
 * 53 bits: |r| < 2^-p below 1, where z's ulp is 2^-53, and < 2^(1-p) above), |r| <=
 * 0.03418; 1/c = 1 on interval 9, [0.984375, 1.03125), which holds 1. */
extern const double pn_log_invc16[16];
/* One base b's constants (gen_double_polys.py log; elementwise.c). */
typedef struct {
    double hi[16], lo[16]; /* log_b c_j = hi + lo, hi a multiple of 2^-42 */
    double k_hi, k_lo;     /* log_b 2 = k_hi + k_lo, k_hi a multiple of 2^-42 */
    double a_hi, a_lo;     /* 1 / ln b = a_hi + a_lo (1 and 0 for base e) */
    double q[9];           /* Q(r) ~ (log_b(1 + r) - r / ln b) / r^2, lowest degree first */
} pn_log_base;
extern const pn_log_base pn_log_base_e, pn_log_base_2, pn_log_base_10;
/* pn_log_f64_core's kinds: log, log2 and log10, log1p. */
enum { PN_LOGD_E, PN_LOGD_SCALED, PN_LOGD_1P };

/* log_b of the positive double whose bits are ix (a subnormal's: bits(x 2^52) - 52 << 52,
 * which the shift reads as k - 52), for elementwise.c's float64 log, log2, log10 and
 * log1p (their kernels compute the same, to the bit):
 *   log_b x = k log_b 2 + log_b c + log_b(1 + r),   r = z/c - 1 = z (1/c) - 1 (exact),
 *   w = k k_hi + hi_j exactly (both multiples of 2^-42, |w| < 2^11),
 *   log_b(1 + r) = r / ln b + r^2 Q(r)   (Q: three Taylor terms and a fitted rest, within
 *                                          2^-59.5 of the result where c = 1),
 * r / ln b as rh + its remainder (PN_LOGD_SCALED; r itself for base e), w + rh as the exact
 * pair hi + (w - hi) + rh (Fast2Sum: |w| >= 1.8 |r| where w is not 0), then Q's first
 * term q0 r^2 added to hi exactly too (r^2 as a pair by fma; Fast2Sum again): where k = 0
 * next to interval 9 the result is as small as r and q0 r^2 is 1/57 of it, so its
 * roundings had cost 0.05 ulp. The small terms (k k_lo + lo_j, the remainders, r^3 times
 * the rest of Q) go to the low part, so the one rounding of size 1/2 ulp is the last
 * addition. Near 1, where log x is small, c = 1 and k = 0: w
 * = 0 and the result is r + r^2 Q(r), r exact, so relative accuracy holds down to the
 * smallest |x - 1|. PN_LOGD_1P: ix is u = 1 + x rounded, e its error (exact) and x1 x.
 * On interval 9 with k = 0, u (1/c) 2^-k - 1 + e = (u - 1) + e is x1 itself, taken as r.
 * Elsewhere log(u + e) = log u + log1p(e / u),  e / u = d / (1 + r),  d = e (1/c) 2^-k,
 * the second term as d (1 - r + r^2) (what is left out, d r^3 and d^2, is under 2^-67;
 * the result is at least 0.0155 there). 2^-k is capped at 2^-1022 (where k is larger, d
 * is far below the result's ulp). */
PN_FINLINE double pn_log_f64_core(uint64_t ix, double e, double x1, const pn_log_base *b,
                                  int kind) {
    uint64_t tmp = ix - PN_LOG_OFF;
    int64_t k = (int64_t)tmp >> 52; /* arithmetic: k in [-1074, 1024] */
    unsigned j = (unsigned)(tmp >> 48) & 15;
    double z = pn_bits_to_double(ix - (tmp & PN_LOG_EXP_MASK)); /* 2^-k x, in [0.703, 1.406) */
    double invc = pn_log_invc16[j], r = __builtin_fma(z, invc, -1.0), kd = (double)k;
    double w = __builtin_fma(kd, b->k_hi, b->hi[j]), t = __builtin_fma(kd, b->k_lo, b->lo[j]);
    double rh = r;
    if (kind == PN_LOGD_SCALED) {
        rh = r * b->a_hi;
        t += __builtin_fma(r, b->a_lo, __builtin_fma(r, b->a_hi, -rh));
    } else if (kind == PN_LOGD_1P) {
        double s = pn_bits_to_double((uint64_t)(1023 - (k < 1022 ? k : 1022)) << 52);
        double d = e * invc * s;
        if ((tmp >> 48) == 9) r = rh = x1, d = 0; /* k = 0, interval 9 */
        t += __builtin_fma(-d, __builtin_fma(-r, r, r), d);
    }
    double hi = w + rh, lo = ((w - hi) + rh) + t;
    double rr = r * r, rrl = __builtin_fma(r, r, -rr), q0 = b->q[0];
    double p = q0 * rr, pl = __builtin_fma(q0, rrl, __builtin_fma(q0, rr, -p));
    double s = hi + p, q = b->q[8];
    lo += ((hi - s) + p) + pl;
    for (int i = 7; i >= 1; i--) q = __builtin_fma(q, r, b->q[i]);
    return s + __builtin_fma(rr * r, q, lo);
}
/* True unless x is positive and normal (a subnormal, 0, negative, inf or NaN). */
PN_FINLINE int pn_log_f64_special(double x) {
    return pn_double_to_bits(x) - 0x0010000000000000ULL >= 0x7fe0000000000000ULL;
}
/* log_b x (pn_log_f64_core) with C's special values: log(+-0) = -inf, log(x < 0) = NaN
 * (positive, as PyTorch's), log(inf) = inf, NaN -> NaN (quieted). Measured by
 * csrc/tests/test_vecmath.c against long double, and on 8 million x crowded at the
 * intervals' edges and next to 1: log within 0.5068 ulp, log2 0.5064, log10 0.5083, the
 * worst near 1.03 (PyTorch's: 0.59, 0.51, 0.57 on random x, 0.505, 0.5005, 0.509 there;
 * glibc's log10 1.55). */
PN_FINLINE double pn_log_f64_tab(double x, const pn_log_base *b, int kind) {
    if (__builtin_expect(pn_log_f64_special(x), 0)) {
        if (x != x) return x + x;
        if (x == 0) return -INFINITY;
        if (x < 0) return NAN;
        if (x == INFINITY) return x;
        return pn_log_f64_core(pn_double_to_bits(x * 0x1p52) - (52ULL << 52), 0, 0, b, kind);
    }
    return pn_log_f64_core(pn_double_to_bits(x), 0, 0, b, kind);
}
/* log, log2 and log10 in double. */
PN_FINLINE double pn_log_f64_e(double x) {
    return pn_log_f64_tab(x, &pn_log_base_e, PN_LOGD_E);
}
PN_FINLINE double pn_log_f64_2(double x) {
    return pn_log_f64_tab(x, &pn_log_base_2, PN_LOGD_SCALED);
}
PN_FINLINE double pn_log_f64_10(double x) {
    return pn_log_f64_tab(x, &pn_log_base_10, PN_LOGD_SCALED);
}
/* log1p x = log(1 + x): u = 1 + x rounded and its error e exactly (Fast2Sum, the larger
 * of 1 and x first), then pn_log_f64_core's PN_LOGD_1P. u is never subnormal: 0 (x = -1:
 * -inf), negative (x < -1: NaN), inf (x = inf) and NaN as in pn_log_f64_tab; x = +-0
 * gives x. Within 0.5073 ulp (PyTorch's: 0.71, glibc's: 0.77). */
PN_FINLINE double pn_log1p_f64_tab(double x) {
    double u = 1.0 + x, big = x > 1.0 ? x : 1.0, small = x > 1.0 ? 1.0 : x;
    double e = (big - u) + small;
    if (__builtin_expect(pn_log_f64_special(u), 0)) {
        if (u != u) return u + u;
        return u == 0 ? -INFINITY : u < 0 ? NAN : u;
    }
    return x == 0 ? x : pn_log_f64_core(pn_double_to_bits(u), e, x, &pn_log_base_e, PN_LOGD_1P);
}

/* ---- float64 pow: the logarithm as a pair, exp of the pair ---- */

/* R of log1p r = r - r^2/2 + r^3/3 - r^4/4 + r^5 R(r) on the logarithms' intervals (|r| <=
 * 0.0342), lowest degree first (gen_double_polys.py pow; elementwise.c): the whole within
 * 2^-70.9 of log1p r, relative. */
extern const double pn_pow_log_r[8];
#define PN_THIRD_HI 0x1.5555555555555p-2 /* 1/3 = HI + LO */
#define PN_THIRD_LO 0x1.5555555555555p-56

/* log x = return + *lo (|*lo| <= ulp/2), within 2^-68.3 of log x relative, for the bits ix of a
 * positive normal double (of a subnormal: as pn_log_f64_core reads them), for pow
 * (x^y = e^(y log x): an error d in y log x is an error d in x^y, relative, and |y log x|
 * reaches 745, so log x must be 2^-68 good for 0.02 ulp). pn_log_f64_core's reduction
 * (x = 2^k z, r = z (1/c) - 1 exact, w = k log 2 + log c exact in its high part) and
 *   log x = w + r - r^2/2 + r^3/3 + r^4 (-1/4 + r R(r)) + [k log 2 + log c's low part],
 * the first four terms summed exactly (Fast2Sums: each term is smaller than the sum
 * before it; r^2 by an fma; r^3/3 as a pair, 1/3 in two parts: its rounding alone had
 * cost 2^-64 of r), the rest, under 2^-16 of the result, in the low part (r^4 as a pair
 * too: rr^2's rounding and the missing 2 rr rrl had cost 2^-68 near 1.032), and the pair
 * summed again (Fast2Sum), so that y times the low part is small for pow. Near 1 (k = 0,
 * the interval with c = 1) w = 0 and the result is r's series, relative to r. Measured
 * against quad precision (logq) on 4 million x of every size, near 1 and over the
 * intervals next to it: within 2^-68.3 (at 1.032, where w and r cancel to half). */
PN_FINLINE double pn_log_f64_pair(uint64_t ix, double *lo) {
    uint64_t tmp = ix - PN_LOG_OFF;
    int64_t k = (int64_t)tmp >> 52; /* arithmetic: k in [-1074, 1024] */
    unsigned j = (unsigned)(tmp >> 48) & 15;
    const pn_log_base *b = &pn_log_base_e;
    const double *c = pn_pow_log_r;
    double z = pn_bits_to_double(ix - (tmp & PN_LOG_EXP_MASK)), kd = (double)k;
    double r = __builtin_fma(z, pn_log_invc16[j], -1.0);
    double w = __builtin_fma(kd, b->k_hi, b->hi[j]), t = __builtin_fma(kd, b->k_lo, b->lo[j]);
    double rr = r * r, rrl = __builtin_fma(r, r, -rr), r4 = rr * rr;
    double r4l = __builtin_fma(rr, rr, -r4) + 2 * rr * rrl;        /* r^4 = r4 + r4l */
    double c3 = rr * r, c3l = __builtin_fma(rr, r, -c3) + rrl * r; /* r^3 = c3 + c3l */
    double m = c3 * PN_THIRD_HI;
    double ml =
        __builtin_fma(c3, PN_THIRD_HI, -m) + __builtin_fma(c3, PN_THIRD_LO, c3l * PN_THIRD_HI);
    double h1 = w + r, e1 = (w - h1) + r, p = -0.5 * rr; /* -r^2/2 = p - rrl/2, exact */
    double h2 = h1 + p, e2 = (h1 - h2) + p, h3 = h2 + m, e3 = (h2 - h3) + m;
    double r2 = __builtin_fma(c[3], r, c[2]), r1 = __builtin_fma(c[1], r, c[0]); /* Estrin */
    double r3 = __builtin_fma(c[5], r, c[4]), r5 = __builtin_fma(c[7], r, c[6]);
    double R = __builtin_fma(__builtin_fma(r5, rr, r3), r4, __builtin_fma(r2, rr, r1));
    double q4 = __builtin_fma(r, R, -0.25), d = __builtin_fma(r4, q4, r4l * q4);
    double l = (((t + e1) + (e2 + e3)) + __builtin_fma(-0.5, rrl, ml)) + d, hi = h3 + l;
    *lo = (h3 - hi) + l;
    return hi;
}
/* The pairs pn_pow_f64_tab takes: x in (0, inf), y finite (false for NaN). */
PN_FINLINE int pn_pow_plain_d(double x, double y) {
    return (x > 0) & (x < INFINITY) & (__builtin_fabs(y) < INFINITY);
}
/* The pairs pn_pow_signed_d finishes: x and y finite (false for NaN). */
PN_FINLINE int pn_pow_finite_d(double x, double y) {
    return (__builtin_fabs(x) < INFINITY) & (__builtin_fabs(y) < INFINITY);
}
/* pn_pow_signed in double: x ** y for finite x and y from p = |x| ** y (any value for x
 * = +-0), by C's rules: y an integer if |y| >= 2^52 or rounding it (adding and taking
 * away 2^52) leaves it; odd if, below 2^53, y/2 is not one. */
PN_FINLINE double pn_pow_signed_d(double p, double x, double y) {
    double ay = __builtin_fabs(y), h = 0.5 * ay;
    int yint = (ay >= 0x1p52) | ((ay + 0x1p52) - 0x1p52 == ay);
    int yodd = yint & (ay < 0x1p53) & ((h + 0x1p52) - 0x1p52 != h);
    double q = x == 0 ? (y > 0 ? 0.0 : y < 0 ? INFINITY : 1.0) : p;
    q = (x < 0) & !yint ? -NAN : q; /* -NaN: glibc's pow (x86's default NaN) */
    return (int64_t)pn_double_to_bits(x) < 0 && yodd ? -q : q;
}
/* x ** y for x in (0, inf) and finite y in double, for the float64 pow op (elementwise.c's
 * kernels compute the same, to the bit): log x = hi + lo (pn_log_f64_pair; a subnormal x
 * scaled by 2^52 first, as pn_log_f64_tab does), y log x as the pair yh + yl (the fma
 * gives y hi's error), then e^(yh + yl) by pn_exp_f64_neg_pair on -yh - yl (-y times the
 * pair: the same bits) and pn_exp_f64_scale, one rounding. yh is capped to exp's range
 * [-746, 710] (yl then 0): inf and 0 beyond, subnormal results rounded once. The pair
 * misses y log x by at most 745 2^-68.3 (the logarithm's share: 2^-58.8 of the result
 * at the range's ends), exp's pair misses by 2^-57.9: so within 0.56 ulp. Measured
 * against powl on 20 million random pairs (x of every size, x next to 1 with |y| up to
 * 2^19, results next to the overflow and underflow thresholds and subnormal, subnormal
 * x): within 0.5264 ulp (glibc's pow, which the op used before: 0.5073; PyTorch's:
 * 0.75); a reviewer's search where both shares peak (x near 1.032, |y log x| near 700)
 * found 0.539 at most, its unrounded value 0.043 ulp off at most. */
PN_FINLINE double pn_pow_f64_tab(double x, double y) {
    uint64_t ix = pn_double_to_bits(x);
    if (__builtin_expect(x < 0x1p-1022, 0)) ix = pn_double_to_bits(x * 0x1p52) - (52ULL << 52);
    double lo, hi = pn_log_f64_pair(ix, &lo), ny = -y;
    double h = ny * hi, l = __builtin_fma(ny, hi, -h) + ny * lo;
    double hc = h < -PN_EXP_D_MAX ? -PN_EXP_D_MAX : h > -PN_EXP_D_MIN ? -PN_EXP_D_MIN : h;
    double sm;
    uint64_t mu;
    double t = pn_exp_f64_neg_pair(hc, hc == h ? l : 0.0, &sm, &mu);
    return pn_exp_f64_scale(t, sm, mu);
}

/* ---- atan by a polynomial on each of 29 intervals of |x| < 8 ---- */

/* The table of pn_atanf_poly (gen_poly_tabs.py atanx; elementwise.c), rows as in
 * pn_erf_tab: entry 0 holds atan a on [0, 2^-4) (centre 0, c0 = 0, c1 = 1), entries
 * 1-28 the quarter binades of [2^-4, 8); 29-31 repeat 28. */
extern const float pn_atanx_tab[8][32];
#define PN_ATANX_TAB_BIAS 491            /* (bits of 2^-4) >> 21 less 1: interval 1 */
#define PN_ATANX_FAR      8.0f           /* from here atan a = pi/2 - atan(1/a) (pn_atanf_far) */
#define PN_ATAN_CAP       0x1p28f        /* atan is pi/2 in float from 2^26 */
#define PN_HALF_PI_HI     0x1.921fb6p+0f /* pi/2 rounded to float */
#define PN_HALF_PI_LO     (-0x1.777a5cp-25f) /* pi/2 - PN_HALF_PI_HI rounded */

/* atan a for 0 <= a < 8 (beyond, garbage, which pn_atanf_poly does not take):
 * with j the interval (a's exponent and two mantissa bits, less a bias, 0 below
 * 2^-4) and r = a - centre, exact (Sterbenz; in interval 0, r = a),
 *   atan a = h + (e + r^2 q),  h = c0 + c1 r rounded, e its error,
 * as pn_tanhf_poly (pn_poly_tab_split): the one rounding of size 1/2 ulp is the last
 * addition. In interval 0, h = a exactly, e = 0 and r^2 q is the odd series' tail
 * (under 1/768 of the result; for subnormal a, 0). An interval 0 up to 2^-3 (and
 * atan's table up to 16) measured 0.5152 ulp: r^2 q's roundings count 4 times more. */
PN_FINLINE float pn_atanf_near(float a) {
    int32_t j = (int32_t)((uint32_t)pn_float_to_bits(a) >> 21) - PN_ATANX_TAB_BIAS;
    j = (j < 0 ? 0 : j) & 31; /* & 31: a's beyond 8, as the permutes read them */
    float pl, h = pn_poly_tab_split(pn_atanx_tab, j, a - pn_atanx_tab[0][j], &pl);
    return h + pl;
}

/* atan a for a >= 8 (+inf and NaN too) as pi/2 - atan t, t = 1/b, b = min(a, 2^28):
 *   t + dt = 1/b within 2^-46, dt = t (1 - t b) (the fma's remainder is exact);
 *   pi/2 - atan(t + dt) = pi/2 - t - dt + t^3 (1/3 - t^2/5 + t^4/7 - t^6/9) (the
 *       series' next term, t^11 / 11 <= 2^-36, and dt's share of t^3's, t^2 dt <=
 *       2^-33 (2^-10 ulp), are left out);
 *   pi/2 = hi + lo (floats), h = hi - t rounded and its error (hi - h) - t exact
 *       (Fast2Sum: hi > t), so that
 *   atan a = h + (((hi - h) - t + lo - dt) + t^3 (...)): one rounding of size 1/2
 *       ulp, the last addition (the rest is under 2^-9 of the result).
 * At the cap (a >= 2^26 in float) this is pi/2 rounded, atan(+inf) as C's; NaN ->
 * NaN. */
PN_FINLINE float pn_atanf_far(float a) {
    float b = a > PN_ATAN_CAP ? PN_ATAN_CAP : a;
    float t = 1.0f / b, dt = t * __builtin_fmaf(-t, b, 1.0f), z = t * t;
    float h = PN_HALF_PI_HI - t, e = ((PN_HALF_PI_HI - h) - t + PN_HALF_PI_LO) - dt;
    float q = __builtin_fmaf(__builtin_fmaf(__builtin_fmaf(z, -1.0f / 9, 1.0f / 7), z, -0.2f), z,
                             1.0f / 3);
    return h + __builtin_fmaf(t * z, q, e);
}

/* atan x, for the float32 atan op on x86 (elementwise.c's kernels compute the same,
 * to the bit): a = |x| by pn_atanf_near below 8 (no division: the kernels take the
 * other way only for the lanes of a vector with an |x| of 8 or more among them), by
 * pn_atanf_far from 8; the sign is x's. Measured over every float
 * (csrc/tests/test_vecmath.c sweeps a subset): within 0.51383 ulp (PyTorch's atan:
 * 0.515; the double-based pn_atanf_v: 0.5001). atan(+-0) = +-0, atan(+-inf) = +-pi/2
 * rounded, NaN -> NaN. 25 vector operations per 16 lanes below 8 in the AVX-512
 * kernel, 8 of them lookups (permutes), against 34 and a division when every |x| above
 * 1 took pi/2 - atan(1/|x|). */
PN_FINLINE float pn_atanf_poly(float x) {
    float a = pn_bits_to_float(pn_float_to_bits(x) & 0x7fffffff);
    float y = a < PN_ATANX_FAR ? pn_atanf_near(a) : pn_atanf_far(a);
    return pn_bits_to_float(pn_float_to_bits(y) | (pn_float_to_bits(x) & INT32_MIN));
}

/* ---- atan2 by a polynomial on each of 30 intervals of t = min / max ---- */

/* The table of pn_atan2f_poly (gen_poly_tabs.py atan; elementwise.c), rows as in
 * pn_erf_tab: entries 0-17 hold atan t on [0, 2^-4) (centre 0, c0 = 0, c1 = 1)
 * and the quarter binades of [2^-4, 1] (17, for t = 1, repeats 16); entries
 * 18-30 hold pi/2 - atan t on [0, 2^-3) (centre near 1/16) and the quarter binades of
 * [2^-3, 1); 31 repeats 30. */
extern const float pn_atan_tab[8][32];
#define PN_ATAN_TAB_BIAS 491 /* (bits of 2^-4) >> 21 less 1: atan's interval 1 */

/* The table step of pn_atan2f_poly: f(t + dt) = h + *tail (f = atan for big = 0,
 * pi/2 - atan for big = 1), t in [0, 1] (a little more is fine) and dt = p q, the part
 * of the argument t lacks, which joins the error of r. j counts t's quarter binades
 * from 2^-4 (big = 0) or 2^-3 (big = 1; the index is t's exponent and two mantissa
 * bits, less a bias, 0 below the first); from the entry's centre c and c0..c6,
 *   r = t - c, exact (Sterbenz) but in pi/2 - atan's interval 0, where
 *       c = 0.0624995 and t is down to 2^-28: there r's rounding error
 *       t - (r + c) is exact for t <= c (Fast2Sum) and joins dt; above c, r is
 *       exact (Sterbenz up to 2c, and beyond it t and c are multiples of 2^-27,
 *       which gen_poly_tabs.py checks), so the error term is 0,
 *   h = c0 + c1 r rounded, e = its error (Sterbenz makes c0 - h exact),
 *   f(t + dt) = h + (e + c1 dt + (r + dt)^2 q),  q = c2 + r (c3 + ... + r c6)
 *       (q taken at r + dt),
 * so the one rounding of size 1/2 ulp is the last addition, as in pn_tanhf_poly.
 * In atan's interval 0, h = t exactly and (for subnormal t) the rest is 0. */
PN_FINLINE float pn_atan_tab_split(float t, int big, float p, float q, float *tail) {
    int32_t j = (int32_t)((uint32_t)pn_float_to_bits(t) >> 21) - PN_ATAN_TAB_BIAS - 4 * big;
    j = ((j < 0 ? 0 : j) + 18 * big) & 31; /* & 31: a NaN's, as the permutes read it */
    float c = pn_atan_tab[0][j], r = t - c, dt = __builtin_fmaf(p, q, t - (r + c));
    float c0 = pn_atan_tab[1][j], c1 = pn_atan_tab[2][j];
    float h = __builtin_fmaf(c1, r, c0), e = __builtin_fmaf(c1, r, c0 - h);
    float rr = r + dt;
    e = __builtin_fmaf(c1, dt, e);
    *tail = __builtin_fmaf(pn_poly_tab_tail(pn_atan_tab, j, rr), rr * rr, e);
    return h;
}

/* atan2(y, x), the angle of the point (x, y) in [-pi, pi], by atan's table, for the
 * float32 atan2 op on x86 (elementwise.c's kernels compute the same, to the bit).
 * With a = |y| and b = |x|, lo = min(a, b) and hi = max:
 *   t = lo u with u = 1/hi (one division; t is within 2 ulp of lo / hi), and
 *       lo / hi = t + dt, dt = (lo - t hi) u: the fma's remainder lo - t hi is
 *       rounded once (2^-24 relative, as is u) and dt is 2^-22 of t at most, so
 *       t + dt is within 2^-45 of lo / hi;
 *   r = atan(t + dt) (a <= b) or pi/2 - atan(t + dt) (a > b: the angle from the
 *       y axis) as h + tail from pn_atan_tab_split;
 *   x with its sign bit set (the left half-plane, x = -0 too): pi - r, as
 *       s = pi_hi - h rounded, its error (pi_hi - s) - h exact (Fast2Sum: pi_hi >=
 *       h), and s + ((error + pi_lo) - tail): one rounding of size 1/2 ulp again;
 *   the sign of y (so atan2(+-0, x) is +-0 or +-pi).
 * 0/0 and x/inf give t = 0, inf/inf t = 1 (dt = 0): C's table, atan2(+-0, -0) =
 * +-pi, atan2(+-inf, -inf) = +-3pi/4 and so on. NaN -> NaN. lo below 2^-100 is scaled
 * by 2^64 with hi first (exact; hi may become inf, a case above), or lo - t hi would
 * fall among the subnormals. For hi above 2^126, u is subnormal (22 bits at FLT_MAX):
 * t is then off by 2^-22, which dt still carries within 2^-44.
 * Error, where the result is 2^-100 or more: 0.5159 ulp on 200 million random pairs
 * (random bit patterns, and close magnitudes), but t + dt falls between floats, which
 * random pairs rarely probe: searches around the ends of the table's intervals found
 * 0.5179 (lo/hi just above 1/2: the result drops below 1/2, where its ulp halves and
 * the polynomial's error counts double). Below 2^-100, dt is among the subnormals and
 * its rounding costs up to 1/4 ulp more: 0.75 + 2^-24 (where dt = 2^-149 makes t + dt
 * a tie). test_vecmath.c checks both, with the pairs found. PyTorch's atan2: 0.996 on
 * random pairs; the double-based pn_atan2f_v: 0.5001. About 57 vector operations per
 * 16 lanes in the AVX-512 kernel, one a division and 8 lookups (permutes). */
#define PN_PI_HI 0x1.921fb6p+1f     /* pi rounded to float */
#define PN_PI_LO (-0x1.777a5cp-24f) /* pi - PN_PI_HI rounded */
PN_FINLINE float pn_atan2f_poly(float y, float x) {
    float a = pn_bits_to_float(pn_float_to_bits(y) & 0x7fffffff);
    float b = pn_bits_to_float(pn_float_to_bits(x) & 0x7fffffff);
    int big = a > b;
    float lo = big ? b : a, hi = big ? a : b, k = lo < 0x1p-100f ? 0x1p64f : 1.0f;
    lo *= k, hi *= k; /* so that lo - t hi does not underflow (hi may become inf) */
    float u = 1.0f / hi, t = lo * u, rem = __builtin_fmaf(-t, hi, lo);
    int edge = (hi == 0.0f) | (hi == INFINITY); /* 0/0, finite/inf, inf/inf */
    t = edge ? (lo == INFINITY ? 1.0f : 0.0f) : t;
    rem = edge ? 0.0f : rem, u = edge ? 0.0f : u; /* dt = 0 (0 inf or inf 0 is NaN) */
    float tail, h = pn_atan_tab_split(t, big, rem, u, &tail);
    float s = PN_PI_HI - h, err = (PN_PI_HI - s) - h;
    float r = pn_float_to_bits(x) & INT32_MIN ? s + ((err + PN_PI_LO) - tail) : h + tail;
    r = pn_bits_to_float(pn_float_to_bits(r) | (pn_float_to_bits(y) & INT32_MIN));
    return x != x || y != y ? x + y : r;
}

/* ---- erfc as exp(-x^2) times erfcx, by the exp table and 31 intervals ---- */

/* The table of pn_erfcf_tab (gen_poly_tabs.py erfcx; elementwise.c), rows as in
 * pn_erf_tab: erfcx a = exp(a^2) erfc a on entry 0 = [0, 2^-4) (centre 0, c0 = 1)
 * and the quarter binades of [2^-4, 10.1] (entries 1-30; 31 repeats 30). */
extern const float pn_erfcx_tab[8][32];
#define PN_ERFCX_TAB_BIAS 491   /* (bits of 2^-4) >> 21 less 1: interval 1 */
#define PN_ERFC_CAP       10.1f /* erfc(10.1) = 2.8e-46 rounds to 0 in float */

/* erfc x by the exp table and intervals, for the float32 erfc op on x86
 * (elementwise.c's kernels compute the same, to the bit). With a = |x| capped at
 * 10.1,
 *   erfc a = exp(-a^2) erfcx a,
 *   -a^2 = ns + nsl exactly (nsl by an fma; |nsl| <= 2^-24 a^2 <= 2^-18),
 *       exp(ns + nsl) = 2^n (hi + lo) from pn_exp_tab_pair_dx (nsl joins the
 *       reduced argument r, which then rounds twice: within 2^-30),
 *   erfcx a = h + pl on a's interval: r = a - centre (exact: Sterbenz, and
 *       centre 0 in interval 0), h = c0 + c1 r rounded, pl = e + r^2 q with
 *       e = c0 + c1 r - h (exact but for one rounding of a number 2^-24 of h,
 *       as in pn_tanhf_poly) and q = c2 + r (c3 + ... + r c6),
 *   erfc a = 2^n (hi h + (hi pl + lo (h + pl))),
 * the last fma the one rounding of size 1/2 ulp (lo is at most 2.2% of hi, pl
 * a few % of h), then the scaling by 2^n: exact for normal results; subnormal
 * ones (from a = 9.1945) round a second time. For x < 0, erfc x = 2 - erfc a
 * with erfc a <= 1, whose error (0.51 of its ulp, at most half the result's)
 * adds about 0.27 ulp to the last rounding's 0.5. Measured
 * over every float (test_vecmath.c sweeps a subset): within 0.7636 ulp for normal
 * results (at x = -0.1097, by 2 - erfc a), 0.7802 for subnormal ones (PyTorch's:
 * 0.822; the double-based pn_erfcf_v: 0.5001). erfc(+-0) = 1, erfc(inf) = 0,
 * erfc(-inf) = 2, NaN -> NaN. 44 vector operations per 16 lanes in the AVX-512
 * kernel, 10 of them lookups (permutes). */
PN_FINLINE float pn_erfcf_tab(float x) {
    float b;
    int32_t j = pn_poly_tab_index(x, PN_ERFC_CAP, PN_ERFCX_TAB_BIAS, &b);
    float ns = -(b * b), nsl = __builtin_fmaf(-b, b, -ns); /* -a^2 = ns + nsl */
    float lo, s1, s2, hi = pn_exp_tab_pair_dx(ns, nsl, &lo, &s1, &s2);
    float pl, h = pn_poly_tab_split(pn_erfcx_tab, j, b - pn_erfcx_tab[0][j], &pl);
    float y = __builtin_fmaf(hi, h, __builtin_fmaf(lo, h + pl, hi * pl)) * s1 * s2;
    return x < 0 ? 2.0f - y : y;
}

/* ---- the logarithms, expm1 and softplus, in float arithmetic with compensated roundings ---- */

/* The exponent split of the logarithms, for a finite u > 0:
 *   u = 2^k m,  m in [sqrt(1/2), sqrt(2)),  returns f = m - 1 (exact, Sterbenz),
 * *k as a float and, in *ke, k + 127 (the field the bits of 2^-k need).
 * Subnormal u are scaled by 2^23 first. Other u (0, inf, NaN, negative) give
 * garbage: callers select. */
PN_FINLINE float pn_log_split(float u, float *k, uint32_t *ke) {
    int tiny = u < 0x1p-126f;
    float us = tiny ? u * 0x1p23f : u;
    uint32_t b = (uint32_t)pn_float_to_bits(us);
    uint32_t e = (b + (0x3f800000u - 0x3f3504f3u)) >> 23; /* k + 127: m >= sqrt 2 carries */
    float m = pn_bits_to_float((int32_t)(b - ((e - 127u) << 23)));
    *k = (float)((int32_t)e - 127) - (tiny ? 23.0f : 0.0f);
    *ke = e;
    return m - 1.0f;
}

/* log(m + g) = 2 atanh(s),  s = (f + g) / (2 + f + g) = s + sl (an unrounded pair),
 *   2 atanh(s) = 2s + 2s^3 (1/3 + s^2/5 + s^4/7 + s^6/9 + s^8/11),
 * |s| <= 0.1716: the first term left out, 2 s^13 / 13, is below 5e-11 relative, and
 * the s^3 tail is at most 1% of the result, so its roundings cost < 0.03 ulp.
 * Returns hi = 2s, *lo = 2 sl + tail (|lo| <= 1% |hi|). */
PN_FINLINE float pn_log_atanh(float s, float sl, float *lo) {
    float z = s * s, t = 2.0f / 11;
    t = __builtin_fmaf(t, z, 2.0f / 9);
    t = __builtin_fmaf(t, z, 2.0f / 7);
    t = __builtin_fmaf(t, z, 2.0f / 5);
    t = __builtin_fmaf(t, z, 2.0f / 3);
    *lo = __builtin_fmaf(s * z, t, sl + sl);
    return s + s;
}

/* log u for a finite u > 0, as k ln2 + (hi + *lo) unrounded:
 *   log m = 2 atanh(s),  s = f / (2 + f)   (pn_log_split, pn_log_atanh).
 * What must not round is s: s = f q with q = 1 / (2 + f), and its error comes
 * back exactly enough from the remainder f - s (2 + f), one fma (2 + f itself
 * is an exact Fast2Sum pair d + dl). Returns hi and *k as a float. */
PN_FINLINE float pn_log_reduced(float u, float *lo, float *k) {
    uint32_t ke;
    float f = pn_log_split(u, k, &ke);
    float d = 2.0f + f, dl = (2.0f - d) + f; /* d + dl = 2 + f */
    float q = 1.0f / d, s = f * q;
    float rem = __builtin_fmaf(-s, dl, __builtin_fmaf(-s, d, f)); /* f - s (d + dl) */
    return pn_log_atanh(s, rem * q, lo);
}

/* log(u + ul), as pn_log_reduced, for a small correction ul (|ul| <= ulp(u) / 2)
 * carried in g = ul 2^-k: s = (f + g) / (2 + f + g), its remainder
 * f + g - s (2 + f + g). (A separate function: with ul = 0 the g terms cost
 * pn_logf 20% of its time, and the compiler cannot drop them, -0 + 0 being +0.) */
PN_FINLINE float pn_log_reduced_pair(float u, float ul, float *lo, float *k) {
    uint32_t ke;
    float f = pn_log_split(u, k, &ke);
    ke = ke > 253u ? 253u : ke; /* 2^-k for g, a normal float (k <= 126 only matters) */
    float g = ul * pn_bits_to_float((int32_t)((254u - ke) << 23));
    float d = 2.0f + f, dl = ((2.0f - d) + f) + g; /* d + dl = 2 + f + g */
    float q = 1.0f / d;
    float s = (f + g) * q;
    float rem = __builtin_fmaf(-s, dl, __builtin_fmaf(-s, d, f) + g); /* f + g - s (d + dl) */
    return pn_log_atanh(s, rem * q, lo);
}

/* The table of the float32 log1p op on x86 (pn_log_tab_pair): 1 / c_j, and
 * -log(1 / c_j) as hi + lo, for the 8 intervals j of [0.71875, 1.4375); from
 * mpmath, defined in elementwise.c. */
extern const float pn_log_tab[3][8];
#define PN_LOG_TAB_OFF 0x3f380000u /* 0.71875, the bits where interval 0 starts */

/* log u for a finite u > 0 by that table, the core of pn_log1pf_tab (elementwise.c's
 * AVX-512 and AVX2 kernels compute the same with permutes, to the bit), as
 * k ln2 + (hi + *lo) unrounded:
 *   u = 2^k z, z in [0.71875, 1.4375): the bits of u less PN_LOG_TAB_OFF have
 *       k in the exponent field and j, the interval of z, in the top 3 mantissa
 *       bits (2^-4 wide below 1, 2^-3 above; the one of 1 is [0.96875, 1.0625));
 *   log z = log c_j + log1p(r),  r = z / c_j - 1 = z (1/c_j) - 1 exactly as
 *       rh + pl: the product rounded and its error (fma), and ph - 1 exact
 *       (c_j the middle of interval j, c = 1 for the interval of 1: |r| <= 1/16);
 *   log1p(rh + pl) = rh - rh^2/2 + rh^3 P(rh) + pl (1 - rh + rh^2): P the
 *       Taylor polynomial to the r^8 term (the first term left out, r^9/9, is
 *       below 3e-11 |r|), rh^2
 *       as an exact pair, rh - rh^2/2 an exact Fast2Sum; the pl (1 - rh) of a
 *       first-order correction would leave pl rh^2, up to 0.05 ulp near 1;
 *   log c_j + (rh - rh^2/2) an exact Fast2Sum (|log c_j| >= 0.0645 > |r|, or 0).
 * Subnormal u are scaled by 2^23 first; other u give garbage (pn_log_special). */
/* The split of that scheme: z and k (a float) through the pointers, the
 * interval j returned, and *e = k + 127 for a normal u. */
PN_FINLINE uint32_t pn_log_tab_split(float u, float *z, float *k, uint32_t *e) {
    const uint32_t off = PN_LOG_TAB_OFF;
    int tiny = u < 0x1p-126f;
    float us = tiny ? u * 0x1p23f : u;
    uint32_t b = (uint32_t)pn_float_to_bits(us);
    *e = (b + (0x3f800000u - off)) >> 23;
    *z = pn_bits_to_float((int32_t)(b - ((*e - 127u) << 23)));
    *k = (float)((int32_t)*e - 127) - (tiny ? 23.0f : 0.0f);
    return ((b - off) >> 20) & 7u;
}

/* log c + log1p(rh + pl) = hi + *lo for |rh| <= 1/16, |pl| <= 2^-23 |rh| or
 * 2^-24 (see above), log c = ch + cl. */
PN_FINLINE float pn_log_tab_core(float rh, float pl, float ch, float cl, float *lo) {
    float sq = rh * rh, sql = __builtin_fmaf(rh, rh, -sq);
    float t = -0.5f * sq, s1 = rh + t, e1 = (rh - s1) + t; /* Fast2Sum */
    float P = __builtin_fmaf(-1.0f / 8, rh, 1.0f / 7);
    P = __builtin_fmaf(P, rh, -1.0f / 6);
    P = __builtin_fmaf(P, rh, 1.0f / 5);
    P = __builtin_fmaf(P, rh, -1.0f / 4);
    P = __builtin_fmaf(P, rh, 1.0f / 3);
    float tail = __builtin_fmaf(pl, __builtin_fmaf(rh, rh, -rh), pl) +
                 __builtin_fmaf(-0.5f, sql, sq * rh * P);
    float hi = ch + s1, es = (ch - hi) + s1; /* Fast2Sum */
    *lo = es + (cl + (e1 + tail));
    return hi;
}

/* k c_hi + (hi + lo) as one rounded float: c_hi k is exact (c_hi has 14
 * significant bits, |k| <= 151), |hi| <= |c_hi k| for k != 0 (|log z| <= 0.363
 * for log1p's table's z, 0.347 for pn_log_split's m), so hi joins it in an exact
 * Fast2Sum and only the last addition rounds. */
PN_FINLINE float pn_log_join(float k, float c_hi, float c_lo, float hi, float lo) {
    float a = k * c_hi, sum = a + hi, err = (a - sum) + hi;
    return sum + (err + __builtin_fmaf(k, c_lo, lo));
}

/* Special values of the logarithms: log(+-0) = -inf, log(inf) = inf,
 * log(x < 0) = NaN, NaN -> NaN. */
PN_FINLINE float pn_log_special(float x, float r) {
    r = x == INFINITY ? x : r;
    r = x == 0 ? -INFINITY : r;
    r = x < 0 ? NAN : r;
    return x != x ? x : r;
}

/* log(x) / c as one rounded float from x = 2^k z and log z = hi + lo, for c =
 * ln 2 or ln 10, given ln2 / c = kc_hi + kc_lo (kc_hi with 14 significant bits)
 * and 1 / c = ic_hi + ic_lo: hi + lo is multiplied by 1/c keeping its
 * product's rounding error (fma), then joined to k ln2 / c by pn_log_join.
 * c = e is kc = ln 2 and ic = 1: the join alone. */
#define PN_LOG_E  0x1.62e4p-1f, 0x1.7f7d1cp-20f, 1.0f, 0.0f
#define PN_LOG_2  1.0f, 0.0f, 0x1.715476p+0f, 0x1.4ae0cp-26f
#define PN_LOG_10 0x1.3442p-2f, -0x1.95ec1p-19f, 0x1.bcb7b2p-2f, -0x1.5b235ep-27f
PN_FINLINE float pn_log_finish(float x, float k, float hi, float lo, float kc_hi, float kc_lo,
                               float ic_hi, float ic_lo) {
    if (ic_hi != 1.0f) { /* a constant once inlined */
        float p = hi * ic_hi, pl = __builtin_fmaf(hi, ic_hi, -p);
        lo = __builtin_fmaf(hi, ic_lo, __builtin_fmaf(lo, ic_hi, pl));
        hi = p;
    }
    return pn_log_special(x, pn_log_join(k, kc_hi, kc_lo, hi, lo));
}

/* log x by pn_log_reduced (the atanh series), within 0.55 ulp (every float swept
 * by csrc/tests/test_vecmath.c). log 1 = +0. log2 x: k + log(m) / ln2, exact for
 * powers of two, within 0.57 ulp. log10 x: k log10(2) + log(m) / ln10 (exact for
 * 10^k, k <= 10), within 0.56 ulp. Vectorizable without gathers: the float32 ops
 * on CPUs other than x86 (see PN_F32_TABLES in elementwise.h). */
PN_FINLINE float pn_logf_base(float x, float kc_hi, float kc_lo, float ic_hi, float ic_lo) {
    float lo, k, hi = pn_log_reduced(x, &lo, &k);
    return pn_log_finish(x, k, hi, lo, kc_hi, kc_lo, ic_hi, ic_lo);
}
PN_FINLINE float pn_logf(float x) {
    return pn_logf_base(x, PN_LOG_E);
}
PN_FINLINE float pn_log2f(float x) {
    return pn_logf_base(x, PN_LOG_2);
}
PN_FINLINE float pn_log10f(float x) {
    return pn_logf_base(x, PN_LOG_10);
}

/* log_b x for the float32 log, log2 and log10 ops on x86 (b = e, 2, 10), by a
 * table of 32 entries that the AVX-512 kernel looks up with one permute each
 * (elementwise.c; its kernels compute the same, to the bit):
 *   x = 2^e z, z in [1, 2): e and z from the bits (subnormal x scaled by 2^23
 *       first; AVX-512's getexp and getmant give the same);
 *   j = the top 5 mantissa bits, z's interval [1 + j/32, 1 + (j+1)/32);
 *   c_j = about 1 / (the interval's middle), a multiple of 2^-6: then
 *       r = z c_j - 1 is exact in one fma (z c_j has at most 30 significant
 *       bits and |r| < 2^-5). c_0 = 1 and c_31 = 1/2, so that x near 1 gives
 *       r = x - 1 with nothing added (c_31 with e = -1 cancels exactly below);
 *   log_b x = e log_b 2 + T_j + log1p(r) / ln b,  T_j = -log_b c_j;
 *   H = e L_hi + T_hi exact: L_hi (log_b 2) and T_hi multiples of 2^-16 with
 *       |H| < 2^8 (log2 of the least subnormal: -149), so H fits in 24 bits;
 *       L_lo, T_lo the rest;
 *   log1p(r) = r + a r + r^3 Q(r), a = -r/2 exact, Q the Taylor polynomial to
 *       the r^6 term (the first left out, r^7/7 < 2^-37, is below 2^-32.8 |r|); for
 *       b != e, r / ln b as rh + the rounding error of r ic_hi (fma) + r ic_lo;
 *   H + rh an exact Fast2Sum (|H| > |rh| whenever H != 0: checked over every
 *       e and j when the table was made), and the small terms summed into lo,
 *       so that one rounding of about 1/2 ulp dominates.
 * Every float swept (csrc/tests/test_vecmath.c with STRIDE 1): log within
 * 0.5093 ulp, log2 0.5094, log10 0.5088 (the earlier 8-entry table with r as a
 * pair: 0.5024, 0.5027, 0.5029, at twice the operations). PyTorch's, over every positive float:
 * 0.5486, 0.5339, 0.5323 (MKL on an Intel Xeon), 0.53, 0.52, 0.52 (SLEEF on an
 * AMD EPYC). The table from mpmath is pn_log32_tab in elementwise.c. */
extern const float pn_log32_tab[7][32]; /* c_j, then T_hi, T_lo for b = e, 2, 10 */
/* Row of T_hi, L_hi, L_lo, ic_hi, ic_lo (ic: 1 / ln b) of each base. */
#define PN_LOG32_E  1, 0x1.62e4p-1f, 0x1.7f7d1cp-20f, 1.0f, 0.0f
#define PN_LOG32_2  3, 1.0f, 0.0f, 0x1.715476p+0f, 0x1.4ae0cp-26f
#define PN_LOG32_10 5, 0x1.344p-2f, 0x1.3509f8p-18f, 0x1.bcb7b2p-2f, -0x1.5b235ep-27f

/* The end of pn_log32_base from r, e, H and T_lo: log1p(r)'s series, the
 * Fast2Sum and the sum of the small terms (the vector kernels do the same). */
PN_FINLINE float pn_log32_sum(float r, float e, float H, float tlo, float l2lo, float ic_hi,
                              float ic_lo) {
    float q = __builtin_fmaf(__builtin_fmaf(__builtin_fmaf(-1.0f / 6, r, 1.0f / 5), r, -0.25f), r,
                             1.0f / 3);
    float w = (r * r) * (r * q), a = r * -0.5f, rh = r, rl;
    if (ic_hi != 1.0f) { /* constants once inlined */
        rh = r * ic_hi;
        float t1 = __builtin_fmaf(r, ic_lo, __builtin_fmaf(r, ic_hi, -rh));
        rl = __builtin_fmaf(a, rh, __builtin_fmaf(a, t1, __builtin_fmaf(w, ic_hi, t1)));
    } else {
        rl = __builtin_fmaf(a, r, w);
    }
    float hi = H + rh, ef = (H - hi) + rh; /* Fast2Sum */
    float tl = l2lo != 0.0f ? __builtin_fmaf(e, l2lo, tlo) : tlo;
    return hi + ((ef + tl) + rl);
}
PN_FINLINE float pn_log32_base(float x, int row, float l2hi, float l2lo, float ic_hi, float ic_lo) {
    int tiny = x < 0x1p-126f;
    uint32_t b = (uint32_t)pn_float_to_bits(tiny ? x * 0x1p23f : x);
    float e = (float)((int32_t)((b >> 23) & 0xffu) - 127) - (tiny ? 23.0f : 0.0f);
    float z = pn_bits_to_float((int32_t)((b & 0x7fffffu) | 0x3f800000u));
    uint32_t j = (b >> 18) & 31u;
    float r = __builtin_fmaf(z, pn_log32_tab[0][j], -1.0f);
    float H = __builtin_fmaf(e, l2hi, pn_log32_tab[row][j]);
    float y = pn_log32_sum(r, e, H, pn_log32_tab[row + 1][j], l2lo, ic_hi, ic_lo);
    return pn_log_special(x, y);
}
PN_FINLINE float pn_logf_tab(float x) {
    return pn_log32_base(x, PN_LOG32_E);
}
PN_FINLINE float pn_log2f_tab(float x) {
    return pn_log32_base(x, PN_LOG32_2);
}
PN_FINLINE float pn_log10f_tab(float x) {
    return pn_log32_base(x, PN_LOG32_10);
}

/* log(1 + x): u = 1 + x rounded, its rounding error ul recovered exactly
 * (2Sum), and log(u + ul) as in pn_logf, so that tiny x give x - x^2/2
 * (|x| < 2^-25 gives x itself: 2s would round a subnormal x twice).
 * log1p(+-0) = +-0, log1p(-1) = -inf, log1p(x < -1) = NaN. Within 0.57 ulp. */
PN_FINLINE float pn_log1pf(float x) {
    float u = 1.0f + x, t = u - 1.0f, ul = (1.0f - (u - t)) + (x - t);
    float lo, k, hi = pn_log_reduced_pair(u, ul, &lo, &k);
    float r = pn_log_special(u, pn_log_join(k, 0x1.62e4p-1f, 0x1.7f7d1cp-20f, hi, lo));
    float ax = x < 0 ? -x : x;
    return ax < 0x1p-25f ? x : r; /* x - x^2/2 rounds to x; keeps the sign of zero */
}

/* log(u + ul) = k ln2 + hi + *lo for a normal u > 0 and its low part ul: as
 * the table scheme above takes log u, with z + ul 2^-k in place of z, r = (z + g) / c - 1
 * = rh + (pl + g / c), g = ul 2^-k (2^-k clamped to 2^-126); where small, the
 * series on the pair sh + sl itself instead (log1p of a small number: u's rounding
 * would be a large part of it). For pn_log1pf_tab. */
PN_FINLINE float pn_log_tab_pair(float u, float ul, int small, float sh, float sl, float *lo,
                                 float *k) {
    float z;
    uint32_t e, j = pn_log_tab_split(u, &z, k, &e);
    e = e > 253u ? 253u : e;
    float g = ul * pn_bits_to_float((int32_t)((254u - e) << 23)); /* ul 2^-k */
    float invc = pn_log_tab[0][j], ch = pn_log_tab[1][j], cl = pn_log_tab[2][j];
    float ph = z * invc, pl = __builtin_fmaf(z, invc, -ph) + g * invc, rh = ph - 1.0f;
    return pn_log_tab_core(small ? sh : rh, small ? sl : pl, small ? 0.0f : ch, small ? 0.0f : cl,
                           lo);
}

/* log(1 + x) by the table, for the float32 log1p op on x86 (elementwise.c's kernels
 * compute the same, to the bit):
 *   |x| < 1/32:  log1p(x) = pn_log_tab_core(x, 0, 0, 0), the series on x itself;
 *   otherwise:   u = 1 + x rounded, its error ul (2Sum), and log(u + ul) as
 *                the table scheme's with z + ul 2^-k in place of z: r = (z + g)
 *                / c - 1 = rh + (pl + g / c), g = ul 2^-k. The added term is at most
 *                2^-24 of r, and of log1p(x) >= 0.031 at most 2^-19, so one rounding
 *                of pl + g / c costs nothing; 2^-k is clamped to 2^-126 (log u >= 87
 *                beyond, where g / u is far below an ulp).
 * |x| < 2^-25 gives x (x - x^2/2 rounds to it; the sign of zero kept). log1p(-1) =
 * -inf, log1p(x < -1) = NaN, log1p(inf) = inf, NaN -> NaN. Over every float:
 * within 0.5061 ulp (the atanh version: 0.57; the most, near x = 0.06, from
 * pl (1 - rh + rh^2) leaving pl rh^3 where pl holds ul). */
PN_FINLINE float pn_log1pf_tab(float x) {
    float u = 1.0f + x, t = u - 1.0f, ul = (1.0f - (u - t)) + (x - t);
    float ax = x < 0 ? -x : x, k, lo, hi = pn_log_tab_pair(u, ul, ax < 0x1p-5f, x, 0.0f, &lo, &k);
    float r = pn_log_special(u, pn_log_join(k, 0x1.62e4p-1f, 0x1.7f7d1cp-20f, hi, lo));
    return ax < 0x1p-25f ? x : r;
}

/* softplus(x) = log(1 + exp(x)) for the float32 softplus and logsigmoid on x86
 * (elementwise.c's pn_softplus_f32 kernels compute the same, to the bit), with no
 * log and, for |x| < 8, no exp:
 *   |x| < 8: 32 intervals [a_j, a_j + 1/2), a_j = j/2 - 8, j = trunc(2x + 16)
 *       (capped to [0, 31]), u = x - a_j (exact); per interval a degree-7
 *       polynomial in u fitted to softplus by relative least squares reweighted
 *       toward minimax on 400 Chebyshev points (mpmath references; 6.8e-12 relative
 *       before rounding to float), c0 as a float pair c0h + c0l. The expansion point
 *       is the interval's left end, where softplus (increasing) is least, so every
 *       term of the last step is positive. q = c1 + u (c2 + ... u c7) in fmas, then
 *       c0 + u q with the rounding errors of u q (fma) and of c0h + u q (Fast2Sum:
 *       c0h >= u q) added back with c0l, so that after q's roundings only the final
 *       addition rounds (a plain fma for the last step: 1.22 ulp). The table is
 *       pn_softplus32[k][j] (elementwise.c): k = 0, 1 c0h, c0l; k = 2 .. 8 c1 .. c7.
 *   |x| >= 8: e = exp(-|x|) <= 3.4e-4 by pn_expf_tab (0.53 ulp), and
 *       x >= 8: x + e (1 - e/2), one rounding of x plus a small term;
 *       x <= -8: log1p(e) = e (1 - e (1/2 - e/3)) (e^4/4 is 1e-11 of it): e's error
 *       and one rounding.
 * Within 1.03 ulp: 1.0202 over every float, at x = -7.004 (an interval's right
 * end, where u q is 0.39 of the result and q's roundings show); 0.7532 where the
 * result is subnormal (test_vecmath.c sweeps a subset). The logarithm-based version
 * this replaced was 0.525 ulp at three times the instructions (an exp, a log and
 * their compensations); PyTorch's float softplus: 1.45. softplus(-inf) = 0,
 * softplus(inf) = inf, NaN -> NaN. (PyTorch returns x itself above its threshold,
 * 20 by default; callers select that.) */
extern const float pn_softplus32[9][32];
#define PN_SOFTPLUS_TAB_MAX 8.0f /* the table's range: |x| < this */
PN_FINLINE float pn_softplus_poly(float x) {
    float a = x < 8.0f ? x : 8.0f; /* out of range (or NaN): any interval will do */
    a = a > -8.0f ? a : -8.0f;
    int32_t j = (int32_t)__builtin_fmaf(a, 2.0f, 16.0f);
    j = j < 31 ? j : 31;
    float u = a - __builtin_fmaf((float)j, 0.5f, -8.0f);
    float q = pn_softplus32[8][j];
    for (int k = 7; k >= 2; k--) q = __builtin_fmaf(q, u, pn_softplus32[k][j]);
    float c0 = pn_softplus32[0][j], m = u * q, me = __builtin_fmaf(u, q, -m);
    float t = c0 + m, te = (c0 - t) + m; /* Fast2Sum: c0 >= m */
    return t + (te + (me + pn_softplus32[1][j]));
}
PN_FINLINE float pn_softplus_far(float x) { /* |x| >= 8 (or NaN) */
    float e = pn_expf_tab(x < 0 ? x : -x);
    float w = e * __builtin_fmaf(e, -1.0f / 3, 0.5f);
    return x > 0 ? __builtin_fmaf(e, __builtin_fmaf(e, -0.5f, 1.0f), x) : __builtin_fmaf(-e, w, e);
}
PN_FINLINE float pn_softplusf_tab(float x) {
    float p = pn_softplus_poly(x), f = pn_softplus_far(x);
    return (x < 0 ? -x : x) < PN_SOFTPLUS_TAB_MAX ? p : f; /* NaN: f's NaN */
}

/* exp(x) - 1 without cancellation. With pn_exp_arg's x = n ln2 + r1 + c
 * (r = r1 + c = r + er as an exact pair):
 *   expm1(r) = r1 + r^2/2 + (c + r^3 P(r)) = S + Sl,
 * where r^2 = rr + corr exactly (fma, corrected for er), r1 + rr/2 is an
 * exact Fast2Sum pair and the rest is under 6% of the result, so its roundings
 * cost < 0.1 ulp. For n = 0 (|x| < ln2/2; r1 = x, c = 0) the result is
 * S + Sl. Otherwise expm1(x) = 2^n (p + lo) - 1 with p + lo = 1 + S + Sl
 * (Fast2Sum, |S| < 1) and 2^n p - 1 an exact Fast2Sum too (|2^n p| >= 1.4 for
 * n > 0, < 0.71 for n < 0); the scaling is pn_exp2_halves'. Within 0.57 ulp
 * (every float swept by test_vecmath.c). expm1(+-0) = +-0, expm1(-inf) = -1,
 * inf above 88.72, NaN -> NaN. */
PN_FINLINE float pn_expm1f(float x) {
    float y = x > 89.0f ? 89.0f : x < -104.0f ? -104.0f : x, c;
    int32_t n;
    float r1 = pn_exp_arg(y, &c, &n);
    float r = r1 + c, er = (r1 - r) + c;
    float rr = r * r, corr = __builtin_fmaf(r + r, er, __builtin_fmaf(r, r, -rr));
    float h = 0.5f * rr, w = __builtin_fmaf(rr * r, pn_exp_poly3(r), __builtin_fmaf(0.5f, corr, c));
    float S = r1 + h, Sl = ((r1 - S) + h) + w;
    float p = 1.0f + S, lo = ((1.0f - p) + S) + Sl, s1, s2;
    pn_exp2_halves(n, &s1, &s2);
    float a = p * s1 * s2, one = -1.0f;
    float big = n > 0 ? a : one, other = n > 0 ? one : a;
    float sum = big + other, err = (big - sum) + other;
    float res = sum + (err + lo * s1 * s2);
    res = sum == INFINITY ? sum : res; /* err is NaN there */
    res = n == 0 ? S + Sl : res;
    return x == 0 ? x : res; /* keeps the sign of zero */
}

/* softplus(x) = log(1 + exp(x)) = max(x, 0) + log(1 + e),  e = exp(-|x|) <= 1,
 * never exponentiating a large number. e = (ep + elo) 2^n stays unrounded
 * (pn_exp_reduced), 1 + e is an exact pair u + ul, log(u + ul) = k ln2 + hi + lo
 * (pn_log_reduced_pair; k is 0 or 1), and max(x, 0) + k ln2_hi + hi is summed with
 * exact error terms (Fast2Sum, 2Sum), so only the last addition rounds in full.
 * Where e < 2^-10 (x < -6.9), the rounding of ul would cost up to 1/4 ulp,
 * and the result is the series e - e^2/2 + e^3/3 (to 2^-32) on the pair
 * instead; where e < 2^-100 (x < -69) it is e itself, rounded once from the
 * pair (log(1 + e) = e (1 - e/2) is e to 2^-101). Measured over every float by
 * csrc/tests/test_vecmath.c: 0.57 ulp, 0.76 where the result is subnormal.
 * softplus(-inf) = 0, softplus(inf) = inf, NaN -> NaN. (PyTorch returns x
 * itself above its threshold, 20 by default; callers select that.) */
PN_FINLINE float pn_softplusf(float x) {
    const float ln2_hi = 0x1.62e4p-1f, ln2_lo = 0x1.7f7d1cp-20f;
    float y = x < 0 ? x : -x; /* -|x|; NaN stays NaN */
    y = y < -104.0f ? -104.0f : y;
    float elo, s1, s2;
    int32_t n;
    float ep = pn_exp_reduced(y, &elo, &n);
    pn_exp2_halves(n, &s1, &s2);
    float eh = ep * s1 * s2, el = elo * s1 * s2;
    float u = 1.0f + eh, ul = ((1.0f - u) + eh) + el; /* 1 + e, Fast2Sum */
    float lo, k, hi = pn_log_reduced_pair(u, ul, &lo, &k);
    float a = k * ln2_hi, l = a + hi, el2 = (a - l) + hi; /* Fast2Sum: |hi| <= a / 2 or a = 0 */
    float z = x > 0 ? x : 0.0f, t = z + l, bb = t - z;
    float et = (z - (t - bb)) + (l - bb); /* 2Sum: t + et = z + l */
    float r = t + (et + (el2 + __builtin_fmaf(k, ln2_lo, lo)));
    float ee = eh * eh, series = eh + __builtin_fmaf(ee, __builtin_fmaf(eh, 1.0f / 3, -0.5f), el);
    r = eh < 0x1p-10f && x <= 0 ? series : r;
    r = eh < 0x1p-100f && x <= 0 ? (ep + elo) * s1 * s2 : r;
    return x == INFINITY ? x : r;
}

#endif
