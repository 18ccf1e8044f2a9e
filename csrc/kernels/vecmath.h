/* vecmath.h - vectorizable float32 trig, atan and erfc functions, and the double
 * log, log1p, expm1 and exp building blocks (the float32 logarithms and expm1 work
 * in float arithmetic: fastmath.h).
 *
 * Every float function here converts its argument to double, evaluates the
 * function in double with a relative error far below a float's half ulp
 * (2^-24 = 6e-8), and rounds once. The result is then the correctly rounded
 * float unless the exact value lies within that tiny error of a halfway point
 * between two floats. The double errors of atan, atan2 and erfc (below 1e-13
 * relative) can add at most 1e-13 / 2^-24 = 2e-6 ulp to the 0.5 ulp of rounding:
 * within 0.5001 ulp of the exact result. sin, cos and tan trade some of that margin
 * for speed (polynomials of lower degree, a two-part reduction): their double errors
 * stay below 2^-34 relative; measured over every float up to PN_TRIG_V_MAX: within
 * 0.5004 ulp. csrc/tests/test_vecmath.c checks
 * each bound against libm's double functions over every 251st float bit pattern.
 * libm's own float functions are within 1 ulp (glibc).
 *
 * Like fastmath.h, the code is written so GCC vectorizes a loop over it inside
 * a PN_SIMD_CLONES function: no libm calls, no data-dependent branches (both
 * sides are computed and one is selected with c ? a : b), no table lookups,
 * bit manipulation through memcpy, no int64 -> double conversion (x86 has
 * none before AVX-512), no signed 64-bit compares or shifts (baseline x86-64
 * has none): integers become doubles through the "magic number" 1.5 * 2^52
 * or 2^52 trick. The trig functions use fma (__builtin_fma), as fastmath.h's
 * float functions do: one instruction in the AVX2 and AVX-512 clones, a libm
 * call in the baseline one (exact too: the same bits, but that clone's trig
 * loops stay scalar). With GCC 12 at -O3 (the extension's flags) every other
 * loop over these functions vectorizes in all three clones (SSE2, AVX2,
 * AVX-512); plain -O2 vectorizes no loop of unknown length (its "very cheap"
 * cost model).
 *
 * Special values follow C's libm (and PyTorch): signed zeros, infinities,
 * NaN propagation, log of a negative number = NaN, and so on.
 * The one range limit: pn_sinf_v, pn_cosf_v, pn_tanf_v are accurate only for
 * |x| <= PN_TRIG_V_MAX; callers use libm's double sin/cos/tan beyond it.
 *
 * The polynomial coefficients are Taylor coefficients (written as fractions)
 * or least-squares fits on 1500 Chebyshev points, computed in double from
 * mpmath values with numpy.polynomial.Chebyshev.fit; sin's, cos's and tan's are
 * near-minimax fits printed by gen_double_polys.py.
 */
#ifndef PN_VECMATH_H
#define PN_VECMATH_H
#include <math.h> /* INFINITY and NAN only: nothing here calls libm */
#include <stdint.h>
#include <string.h>

/* Always inlined: a call inside a loop stops it from vectorizing, and GCC's size
 * limits would otherwise leave the larger ones (log, erfc) out of big callers. */
#if defined(__GNUC__)
#define PN_VINLINE static inline __attribute__((always_inline))
#else
#define PN_VINLINE static inline
#endif

/* sin, cos, tan reduce their argument accurately for |x| <= 2^23 only. */
#define PN_TRIG_V_MAX 8388608.0f

PN_VINLINE uint64_t pn_double_to_bits(double d) {
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}
PN_VINLINE double pn_bits_to_double(uint64_t u) {
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

/* |x| with the sign of s (copysign, as bit operations). */
PN_VINLINE double pn_with_sign_d(double x, double s) {
    const uint64_t sign = 0x8000000000000000ULL;
    return pn_bits_to_double((pn_double_to_bits(x) & ~sign) | (pn_double_to_bits(s) & sign));
}

/* Natural logarithm in double, for every double x (subnormals included).
 *
 *   x = 2^k m,  m in [sqrt(1/2), sqrt(2)),  log x = k ln2 + log m,
 *   log m = 2 atanh(s) = 2 (s + s^3/3 + s^5/5 + ...),  s = (m - 1) / (m + 1).
 * |s| <= 0.1716, so s^2 <= 0.0295: the series to s^19 leaves out terms below
 * s^21 / 21 < 2.3e-17 s. k and m come from the exponent bits: adding
 * bits(1) - bits(sqrt(1/2)) to x's bit pattern carries into the exponent field
 * exactly when x's mantissa is >= sqrt 2; the exponent field is then k + 1023.
 * Subnormals are first scaled by 2^54.
 * k ln2 is added in two parts (ln2_hi has 32 bits, so k ln2_hi is exact), and
 * |log m| <= 0.35 <= |k ln2| / 2 for k != 0, so the sum cannot cancel.
 * Accuracy: relative error below 1e-15 (a few double ulps: m - 1 is exact, s
 * has 2 roundings; measured 3.3e-16 by the test over 2 million doubles).
 * log(+-0) = -inf, log(x < 0) = NaN, log(inf) = inf, NaN -> NaN. */
PN_VINLINE double pn_log_d(double x) {
    const double ln2_hi = 0.6931471803691238, ln2_lo = 1.9082149292705877e-10;
    int tiny = x < 0x1p-1022;
    double xs = tiny ? x * 0x1p54 : x;
    uint64_t b = pn_double_to_bits(xs);
    uint64_t e = (b + (0x3ff0000000000000ULL - 0x3fe6a09e667f3bcdULL)) >> 52; /* k + 1023 */
    double m = pn_bits_to_double(b - (e << 52) + 0x3ff0000000000000ULL);      /* x / 2^k */
    /* k as a double: 2^52 + e has e as its low mantissa bits */
    double k = (pn_bits_to_double(0x4330000000000000ULL | e) - (0x1p52 + 1023)) - (tiny ? 54 : 0);
    double f = m - 1.0, s = f / (2.0 + f), z = s * s;
    double p = 1.0 / 19;
    p = __builtin_fma(p, z, 1.0 / 17);
    p = __builtin_fma(p, z, 1.0 / 15);
    p = __builtin_fma(p, z, 1.0 / 13);
    p = __builtin_fma(p, z, 1.0 / 11);
    p = __builtin_fma(p, z, 1.0 / 9);
    p = __builtin_fma(p, z, 1.0 / 7);
    p = __builtin_fma(p, z, 1.0 / 5);
    p = __builtin_fma(p, z, 1.0 / 3);
    double s2 = 2.0 * s;
    double r = k * ln2_hi + (s2 * z * p + s2 + k * ln2_lo);
    r = x == INFINITY ? x : r;
    r = x == 0 ? -INFINITY : r;
    r = x < 0 ? NAN : r;
    return x != x ? x : r;
}

/* log(1 + y) in double, for every double y, relative error below 1.5e-15
 * (measured 4.4e-16).
 *
 * u = 1 + y is rounded, but the rounding error d = (1 + y) - u is recovered
 * (exactly for |y| <= 1, Fast2Sum) as y - (u - 1), and
 *   log(1 + y) = log(u + d) = log u + log(1 + d/u) = log u + d/u,
 * as (d/u)^2 < 2^-106. For tiny y, u = 1 and the result is d = y itself.
 * log1p(+-0) = +-0, log1p(-1) = -inf, log1p(y < -1) = NaN, log1p(inf) = inf. */
PN_VINLINE double pn_log1p_d(double y) {
    double u = 1.0 + y;
    double d = y - (u - 1.0);
    d = (u == 0 || u == INFINITY) ? 0.0 : d / u; /* there d / u would be 0/0 or inf/inf */
    double r = pn_log_d(u) + d;
    return y == 0 ? y : r; /* keeps the sign of zero */
}

/* The common core of pn_expm1_d and pn_exp_v_d, for y in [-707, 709.78]
 * (below -707, 2^(n-1) would be subnormal and the exponent trick fails):
 *   y = n ln2 + r,  n = round(y / ln2),  |r| <= ln2/2 (r exact: Cody-Waite,
 *                   ln2_hi has 32 bits so n ln2_hi is exact),
 *   returns expm1(r) = r (1 + r/2! + r^2/3! + ... + r^12/13!) (Taylor; the
 *   terms left out are below r^13 / 14! < 1.3e-17 |r|), *half = 2^(n-1).
 * Then exp(y) = 2 *half (1 + expm1(r)). 2^(n-1) rather than 2^n, so that
 * n = 1024 (y near 709.78) does not overflow the scale factor; it is made by
 * adding 1022 and shifting into the exponent field (unsigned: no UB for NaN). */
PN_VINLINE double pn_exp_reduce_d(double y, double *half) {
    const double log2e = 1.4426950408889634, ln2_hi = 0.6931471803691238,
                 ln2_lo = 1.9082149292705877e-10;
    const double magic = 0x1.8p52; /* adding 1.5 * 2^52 rounds to an integer */
    double t = y * log2e + magic, nf = t - magic;
    uint64_t n = pn_double_to_bits(t) - pn_double_to_bits(magic); /* n, two's complement */
    double r = (y - nf * ln2_hi) - nf * ln2_lo;
    double p = 1.0 / 6227020800; /* 1/13! */
    p = __builtin_fma(p, r, 1.0 / 479001600);
    p = __builtin_fma(p, r, 1.0 / 39916800);
    p = __builtin_fma(p, r, 1.0 / 3628800);
    p = __builtin_fma(p, r, 1.0 / 362880);
    p = __builtin_fma(p, r, 1.0 / 40320);
    p = __builtin_fma(p, r, 1.0 / 5040);
    p = __builtin_fma(p, r, 1.0 / 720);
    p = __builtin_fma(p, r, 1.0 / 120);
    p = __builtin_fma(p, r, 1.0 / 24);
    p = __builtin_fma(p, r, 1.0 / 6);
    p = __builtin_fma(p, r, 0.5);
    *half = pn_bits_to_double((n + 1022) << 52);
    return __builtin_fma(p, r, 1.0) * r; /* r = -0 gives -0 */
}

/* exp(y) - 1 in double, for every double y, relative error below 1e-15
 * (measured 5.2e-16).
 * With pn_exp_reduce_d's n and r:
 *   expm1(y) = expm1(r)            for n = 0 (|y| < ln2/2: no cancellation,
 *                                  the sign of zero kept),
 *            = 2^n (1 + expm1(r)) - 1 otherwise, where 2^n (1 + expm1(r)) is
 *              >= 1.41 or <= 0.71, so the subtraction loses under 2 bits.
 * y is clamped to [-40, 710] (NaN kept): expm1 is -1 in double below -38 and
 * overflows to inf above 709.79. */
PN_VINLINE double pn_expm1_d(double y) {
    y = y > 710.0 ? 710.0 : y;
    y = y < -40.0 ? -40.0 : y;
    double half, em = pn_exp_reduce_d(y, &half);
    return half == 0.5 ? em : (1.0 + em) * half * 2.0 - 1.0;
}

/* exp(y) in double for y in [-707, 709.78] (NaN -> NaN; outside, clamp first),
 * relative error below 1e-15 (measured 2.2e-16): 2^n (1 + expm1(r)). More
 * accurate than fastmath.h's pn_exp_d (1e-11), and vectorizable on baseline
 * x86-64 too (pn_exp_d's signed 64-bit n / 2 needs SSE4.2). */
PN_VINLINE double pn_exp_v_d(double y) {
    double half, em = pn_exp_reduce_d(y, &half);
    return (1.0 + em) * half * 2.0;
}

/* c ? x : y as bit operations. Where x and y are quotients, a ternary lets GCC
 * move the division into both arms (two masked vector divisions for one
 * result); selecting the numerator and denominator with this keeps one, and
 * the divider is what bounds atan's and tan's loops. */
PN_VINLINE double pn_select_d(int c, double x, double y) {
    uint64_t m = (uint64_t)0 - (uint64_t)(c != 0);
    return pn_bits_to_double((pn_double_to_bits(x) & m) | (pn_double_to_bits(y) & ~m));
}

/* atan(v) for |v| <= tan(pi/8) = 0.4142 (NaN -> NaN), relative error 2.8e-16:
 *   atan(v) = v + v z Q(z),  z = v^2 <= 0.1716,
 * with Q of degree 9 fitted to (atan(v)/v - 1)/z on [0, 0.175]. v^2 = z is
 * rounded but only enters the correction term, 1/3 of the result at most. */
PN_VINLINE double pn_atan_poly_d(double v) {
    double z = v * v;
    double q = 0.022491307091102305;
    q = __builtin_fma(q, z, -0.04464398051551571);
    q = __builtin_fma(q, z, 0.0573059406141595);
    q = __builtin_fma(q, z, -0.06648680932558583);
    q = __builtin_fma(q, z, 0.0769096732777844);
    q = __builtin_fma(q, z, -0.09090847734505705);
    q = __builtin_fma(q, z, 0.11111109489117564);
    q = __builtin_fma(q, z, -0.1428571426386552);
    q = __builtin_fma(q, z, 0.19999999999885631);
    q = __builtin_fma(q, z, -0.3333333333333322);
    return __builtin_fma(v * z, q, v);
}

/* atan(lo / hi) for 0 <= lo <= hi (NaN -> NaN), relative error below 1e-15,
 * with one division: for lo / hi > tan(pi/8), atan(lo / hi) = pi/4 + atan(v)
 * with v = (lo - hi) / (lo + hi), otherwise v = lo / hi; either way
 * |v| <= tan(pi/8) (pn_atan_poly_d), and pi/4 + atan(v) >= pi/8 does not
 * cancel. For floats lo and hi (in double), lo - hi and lo + hi are exact
 * (their exponents differ by at most 2), so v is rounded once. 0 / 0 is taken
 * as atan 0 and inf / inf as atan 1 (C's atan2 table). */
PN_VINLINE double pn_atan_ratio_d(double lo, double hi) {
    int big = (lo > 0.41421356237309503 * hi) | (lo == INFINITY); /* | not ||: no branch */
    double num = pn_select_d(big, lo - hi, lo), den = pn_select_d(big, lo + hi, hi);
    num = pn_select_d((hi == 0) | (lo == INFINITY), 0.0, num);
    den = pn_select_d(hi == 0, 1.0, den);
    double a = pn_atan_poly_d(num / den);
    return big ? 0.78539816339744831 + a : a;
}

/* atan in double, for every double x, relative error below 1e-15, with one
 * division: with a = |x|,
 *   a <= tan(pi/8):             atan a = atan(v),         v = a,
 *   a <= tan(3pi/8) = 2.4142:   atan a = pi/4 + atan(v),  v = (a - 1) / (a + 1),
 *   otherwise:                  atan a = pi/2 + atan(v),  v = -1 / a,
 * so |v| <= tan(pi/8) (pn_atan_poly_d), and the sums (>= pi/8) do not cancel.
 * For float x, a - 1 and a + 1 are exact in double, so v is rounded once.
 * The sign is x's: atan(+-0) = +-0, atan(+-inf) = +-pi/2 (v = -0), NaN -> NaN. */
PN_VINLINE double pn_atan_d(double x) {
    double a = x < 0 ? -x : x;
    int mid = a > 0.41421356237309503, big = a > 2.4142135623730951;
    double num = pn_select_d(big, -1.0, pn_select_d(mid, a - 1.0, a));
    double den = pn_select_d(big, a, pn_select_d(mid, a + 1.0, 1.0));
    double off = big ? 1.5707963267948966 : (mid ? 0.78539816339744831 : 0.0);
    double r = off + pn_atan_poly_d(num / den);
    return x != x ? x : pn_with_sign_d(r, x);
}

/* erfc(x) for 0 <= x <= 10.1 (NaN -> NaN), relative error below 1e-13 (the
 * fit's 9e-14 and pn_exp_v_d's 1e-15).
 *
 *   erfc(x) = exp(-x^2) R(t),  t = (x - 4) / (x + 4),
 * where R(t) = erfcx(x) = exp(x^2) erfc(x) is smooth in t on [-1, 0.433]
 * (x in [0, 10.1]) and R is a degree-16 least-squares fit (relative error
 * 9e-14). x is clamped to 10.1: beyond it the result stays erfc(10.1) =
 * 3.7e-46, which is not erfc(x) in double but rounds to 0 in float, as
 * erfc(x) does. For float x, x^2 is exact in double, and exp(-x^2) >= 2.3e-45
 * stays a normal double. */
PN_VINLINE double pn_erfc_pos_d(double x) {
    x = x > 10.1 ? 10.1 : x;
    double t = (x - 4.0) / (x + 4.0);
    double p = -1.6819383980013416e-07;
    p = __builtin_fma(p, t, 1.9289639656984993e-07);
    p = __builtin_fma(p, t, 3.5878488686779465e-06);
    p = __builtin_fma(p, t, -1.8420338678331357e-06);
    p = __builtin_fma(p, t, -2.2881920513319496e-05);
    p = __builtin_fma(p, t, 7.881441375805471e-05);
    p = __builtin_fma(p, t, -2.1717184348047866e-05);
    p = __builtin_fma(p, t, -0.0007990768850504616);
    p = __builtin_fma(p, t, 0.00406026498718363);
    p = __builtin_fma(p, t, -0.012843952364600794);
    p = __builtin_fma(p, t, 0.03129905577589549);
    p = __builtin_fma(p, t, -0.06310781525162909);
    p = __builtin_fma(p, t, 0.10896317745147403);
    p = __builtin_fma(p, t, -0.16425781670798306);
    p = __builtin_fma(p, t, 0.21871967891715174);
    p = __builtin_fma(p, t, -0.25906804876007994);
    p = __builtin_fma(p, t, 0.13699945762506496);
    return p * pn_exp_v_d(-(x * x));
}

/* ---- the float functions ---- */

/* The trig reduction, for |x| <= PN_TRIG_V_MAX = 2^23: x = n h + r with h = pi (sin,
 * cos) or pi/2 (tan), n = round(x / h) and |r| <= h/2 (and a hair more: n comes from
 * x / h rounded to double). Two-part h = P1 + P2 (Cody-Waite): P1 is h cut to 27
 * significant bits and n <= 2^22.4 (2^21.4 for sin; cos takes m = 2n + 1 halves of pi,
 * m <= 2^22.4), so n P1 is exact, and so is x - n P1 wherever the
 * two nearly cancel (for |x| >= 1/2 it is a multiple of 2^-26 below 2; below 1/2, n = 0
 * or the cosine's r is near pi/2, where one rounding costs nothing). P2 > 0 (P1 is cut
 * down), so x = -0 gives r = -0. The fma with P2 rounds once (2^-53 relative); the rest
 * n (h - P1 - P2) <= 2^21.4 * 3.3e-26 (pi) or 2^22.4 * 1.6e-26 (pi/2) = 2^-63.3; no
 * float in [1, 2^32) lies closer than 2^-27.8 to a multiple of pi/2, so r is within
 * 2^-35.5 relative of x - n h: under 0.001 ulp of the float result. (Beyond 2^23, n P1
 * would not stay exact.) */
#define PN_TRIG_PI_1      0x1.921fb54p+1
#define PN_TRIG_PI_2      0x1.10b4611a62633p-29
#define PN_TRIG_HALF_PI_1 0x1.921fb54p+0
#define PN_TRIG_HALF_PI_2 0x1.10b4611a62633p-30

/* sin r for |r| <= 1.5710 (pi/2 and the reduction's overshoot):
 *   sin r = r (1 + z S(z)),  z = r^2,
 * S of degree 4 fitted for the least relative error of sin r (gen_double_polys.py):
 * 2^-35.3, under 0.0004 ulp of a float result. r (1 + z S) rather than r + r z S:
 * the product keeps the sign of r = -0. */
PN_VINLINE double pn_sin_half_pi_d(double r) {
    double z = r * r;
    double p = -0x1.9a67329e2168ep-26;
    p = __builtin_fma(p, z, 0x1.71707159630ddp-19);
    p = __builtin_fma(p, z, -0x1.a017d92fbaa92p-13);
    p = __builtin_fma(p, z, 0x1.11110c48b1c63p-7);
    p = __builtin_fma(p, z, -0x1.555555476494fp-3);
    return r * __builtin_fma(z, p, 1.0);
}

/* sin x (odd = 0) or cos x (odd = 1) for |x| <= PN_TRIG_V_MAX, by one reduction
 * and one polynomial on |r| <= pi/2:
 *   sin x = (-1)^n sin r,   n = round(x / pi),         r = x - n pi,
 *   cos x = (-1)^n sin r',  n = round(x / pi - 1/2),  r' = (n + 1/2) pi - x
 * (cos x = -sin(x - pi/2), and x - pi/2 = n pi + (x - (n + 1/2) pi)). The cosine
 * subtracts m = 2n + 1 halves of pi, with m < 2^23.4 as the reduction needs. n comes
 * from the magic number 1.5 * 2^52, whose lowest bit is then n's parity: the sign
 * flip. (One series on pi/2 rather than two on pi/4 and a quadrant choice: half the
 * work.) Measured on every float up to PN_TRIG_V_MAX: sin within 0.500394 ulp, cos
 * within 0.500395. */
PN_VINLINE float pn_sin_or_cos(float xf, int odd) {
    const double magic = 0x1.8p52;
    double x = xf, r;
    if (odd) {
        double t = __builtin_fma(x, 0.31830988618379067, -0.5) + magic;
        double m = __builtin_fma(t - magic, 2.0, 1.0);
        r = __builtin_fma(m, PN_TRIG_HALF_PI_2, __builtin_fma(m, PN_TRIG_HALF_PI_1, -x));
        r = pn_bits_to_double(pn_double_to_bits(r) ^ pn_double_to_bits(t) << 63);
    } else {
        double t = __builtin_fma(x, 0.31830988618379067, magic), n = t - magic;
        r = __builtin_fma(-n, PN_TRIG_PI_2, __builtin_fma(-n, PN_TRIG_PI_1, x));
        r = pn_bits_to_double(pn_double_to_bits(r) ^ pn_double_to_bits(t) << 63);
    }
    return (float)pn_sin_half_pi_d(r); /* sin is odd: flipping r flips the result */
}

/* sin x for |x| <= PN_TRIG_V_MAX (see pn_sin_or_cos). sin(+-0) = +-0. */
PN_VINLINE float pn_sinf_v(float x) {
    return pn_sin_or_cos(x, 0);
}

/* cos x for |x| <= PN_TRIG_V_MAX (see pn_sin_or_cos). */
PN_VINLINE float pn_cosf_v(float x) {
    return pn_sin_or_cos(x, 1);
}

/* tan x for |x| <= PN_TRIG_V_MAX: x = n pi/2 + r, |r| <= pi/4, and
 *   tan x = sin r / cos r (n even),  -cos r / sin r (n odd),
 * sin r = r (1 + z T(z)) and cos r = 1 + z C(z), of degrees 3 and 4 in z = r^2
 * (gen_double_polys.py: 2^-37.5 and 2^-43.6 relative), one double division. Measured
 * on every float up to PN_TRIG_V_MAX: within 0.500085 ulp. tan(+-0) = +-0. The divider bounds this
 * loop: two double divisions per 16 floats take most of its time. */
PN_VINLINE float pn_tanf_v(float xf) {
    const double magic = 0x1.8p52;
    double x = xf;
    double t = __builtin_fma(x, 0.63661977236758134, magic), n = t - magic;
    double r = __builtin_fma(-n, PN_TRIG_HALF_PI_2, __builtin_fma(-n, PN_TRIG_HALF_PI_1, x));
    double z = r * r;
    double p = 0x1.6cd1480ae31d2p-19;
    p = __builtin_fma(p, z, -0x1.a00f7c5f406f9p-13);
    p = __builtin_fma(p, z, 0x1.11110866ecfa7p-7);
    p = __builtin_fma(p, z, -0x1.5555554c6d0f0p-3);
    double s = r * __builtin_fma(z, p, 1.0);
    double q = -0x1.23c8f3665a458p-22;
    q = __builtin_fma(q, z, 0x1.a00eb6b0ce449p-16);
    q = __builtin_fma(q, z, -0x1.6c16b34315c15p-10);
    q = __builtin_fma(q, z, 0x1.55555545bcc21p-5);
    q = __builtin_fma(q, z, -0x1.ffffffffe97bap-2);
    double c = __builtin_fma(z, q, 1.0);
    int odd = (int)(pn_double_to_bits(t) & 1);                        /* n's parity */
    return (float)(pn_select_d(odd, -c, s) / pn_select_d(odd, s, c)); /* one division */
}

/* atan x, see pn_atan_d: atan(+-inf) = +-pi/2 rounded to float. */
PN_VINLINE float pn_atanf_v(float x) {
    return (float)pn_atan_d(x);
}

/* atan2(y, x), the angle of the point (x, y), in [-pi, pi].
 * With a = |y|, b = |x|: r = atan(min/max) in [0, pi/4], then
 *   r -> pi/2 - r if a > b (the angle from the y axis),
 *   r -> pi - r   if x has its sign bit set (left half-plane, x = -0 included),
 *   the sign of y (so atan2(+-0, x) = +-0 or +-pi).
 * atan(min/max) is pn_atan_ratio_d's (one division, which neither underflows
 * nor loses accuracy for float inputs in double), with 0/0 taken as ratio 0
 * and inf/inf as ratio 1, which gives C's table: atan2(+-0, -0) = +-pi, atan2(+-inf, -inf) =
 * +-3pi/4, atan2(+-inf, +inf) = +-pi/4, atan2(y, +-0) = +-pi/2. NaN -> NaN. The results pi/2 - r
 * (>= pi/4) and pi - r (>= pi/2) do not cancel, so the relative error stays near pn_atan_ratio_d's
 * 1e-15: within 0.5001 ulp (measured 0.500000 on a 2-D grid of 1.7 million points). */
PN_VINLINE float pn_atan2f_v(float yf, float xf) {
    double y = yf, x = xf, a = y < 0 ? -y : y, b = x < 0 ? -x : x;
    double lo = a < b ? a : b, hi = a < b ? b : a;
    double r = pn_atan_ratio_d(lo, hi);
    r = a > b ? 1.5707963267948966 - r : r;
    r = pn_with_sign_d(1.0, x) < 0 ? 3.1415926535897931 - r : r; /* x = -0 too */
    r = pn_with_sign_d(r, y);
    return (float)((x != x || y != y) ? x + y : r);
}

/* erfc x, see pn_erfc_pos_d; for x < 0, erfc x = 2 - erfc|x| (>= 1, no
 * cancellation). Underflows to 0 (through the subnormals, correctly rounded:
 * erfc(10) = 2.09e-45 gives 1.4e-45, where glibc's erfcf gives 2.8e-45) near
 * x = 10.05; erfc(-inf) = 2, erfc(inf) = 0, NaN -> NaN. */
PN_VINLINE float pn_erfcf_v(float xf) {
    double x = xf, e = pn_erfc_pos_d(x < 0 ? -x : x);
    return (float)(x < 0 ? 2.0 - e : e);
}

#endif
