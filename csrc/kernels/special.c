/* special.c - lgamma, digamma, polygamma (through the Hurwitz zeta function) and
 * erfinv in double (see special.h for the special values). */
#define _DEFAULT_SOURCE /* lgamma_r in glibc's math.h */
#include "special.h"
#include <math.h>

#define PN_PI 3.14159265358979323846

double pn_lgamma(double x) {
#if defined(__GLIBC__)
    int sign;
    return lgamma_r(x, &sign);
#else
    return lgamma(x);
#endif
}

/* pi / tan(pi x) for a non-integer x, with the argument reduced first: tan has
 * period pi, so tan(pi x) = tan(pi r) with r = x - round(x) in [-1/2, 1/2], exact in
 * double (multiplying a large x by pi first would lose r's digits; x - floor(x) would
 * round to 1 for a tiny negative x). */
static double pi_cot_pi(double x) {
    double r = x - round(x);
    return PN_PI / tan(PN_PI * r);
}

/* digamma:
 *   x < 0 (not a pole): the reflection digamma(x) = digamma(1 - x) - pi / tan(pi x);
 *   0 < x < 10: the recurrence digamma(x) = digamma(x + 1) - 1 / x, up to x >= 10;
 *   x >= 10: the asymptotic series
 *     digamma(x) = ln x - 1/(2x) - sum_k B_2k / (2k x^2k)
 *                = ln x - 1/(2x) - 1/(12x^2) + 1/(120x^4) - 1/(252x^6) + 1/(240x^8)
 *                  - 1/(132x^10) + 691/(32760x^12) - 1/(12x^14),
 *     whose next term, 3617/(8160x^16), is below 5e-17 at x = 10. */
double pn_digamma(double x) {
    if (x != x || x == -INFINITY) return NAN;
    if (x == 0) return copysign(INFINITY, -x);
    if (x < 0) {
        if (x == floor(x)) return NAN;
        return pn_digamma(1 - x) - pi_cot_pi(x);
    }
    if (x == INFINITY) return x;
    double acc = 0;
    for (; x < 10; x += 1) acc -= 1 / x;
    double z = 1 / (x * x);
    double series =
        z *
        (1.0 / 12 -
         z * (1.0 / 120 -
              z * (1.0 / 252 - z * (1.0 / 240 - z * (1.0 / 132 - z * (691.0 / 32760 - z / 12))))));
    return acc + log(x) - 0.5 / x - series;
}

/* (2j)! / B_2j for j = 1..12 (B the Bernoulli numbers; B_12 = -691/2730,
 * B_24 = -236364091/2730): the Euler-Maclaurin correction terms of pn_zeta. */
static const double ZETA_EM[12] = {12.0,
                                   -720.0,
                                   30240.0,
                                   -1209600.0,
                                   47900160.0,
                                   -1.8924375803183791606e9,
                                   7.47242496e10,
                                   -2.950130727918164224e12,
                                   1.1646782814350067249e14,
                                   -4.5979787224074726105e15,
                                   1.8152105401943546773e17,
                                   -7.1661652561756670113e18};

/* Euler-Maclaurin: with f(k) = (q + k)^-s and w = q + N,
 *   zeta(s, q) = sum_{k <= N} f(k) - f(N)/2 + w^(1-s) / (s - 1)
 *                + sum_j B_2j/(2j)! s (s+1) ... (s+2j-2) w^(-s-2j+1).
 * The direct sum runs until w > 9 and w >= s (and at least 9 terms): the
 * correction terms then shrink by about ((s + 2j) / (2 pi w))^2 each. It stops
 * early once a term no longer changes the sum (large s). */
double pn_zeta(double s, double q) {
    if (s != s || q != q) return NAN;
    if (s == 1) return INFINITY;
    if (s < 1) return NAN;
    if (q <= 0) {
        if (q == floor(q)) return INFINITY; /* a pole (q = -inf included) */
        if (s != floor(s)) return NAN;      /* (q + k)^-s is not real */
    }
    if (q == INFINITY) return 0;
    if (q > 1e8 * s) /* the sum's first terms would underflow (q^-s = 0 for q = 1e200, s = 2);
                      * Euler-Maclaurin from k = 0 needs one correction (the next is ~s^4/q^4) */
        return pow(q, 1 - s) * (1 / (s - 1) + 0.5 / q + s / (12 * q * q));
    double sum = pow(q, -s), w = q, t = sum;
    for (int k = 0; k < 9 || w <= 9 || w < s;) {
        k++, w += 1;
        t = pow(w, -s);
        sum += t;
        if (fabs(t) <= 1e-17 * fabs(sum)) return sum;
    }
    sum += w * t / (s - 1) - 0.5 * t;
    double fac = s, wpow = t / w; /* s (s+1) ... (s+2j-2) and w^(-s-2j+1) */
    for (int j = 0; j < 12; j++) {
        double term = fac * wpow / ZETA_EM[j];
        sum += term;
        if (fabs(term) <= 1e-17 * fabs(sum)) break;
        fac *= (s + 2 * j + 1) * (s + 2 * j + 2);
        wpow /= w * w;
    }
    return sum;
}

/* polygamma(n, x) = (-1)^(n+1) n! zeta(n + 1, x) for n >= 1. */
double pn_polygamma_d(int64_t n, double x) {
    if (n == 0) return pn_digamma(x);
    if (x == -INFINITY) return NAN;
    double fact = 1;
    for (int64_t k = 2; k <= n && fact < INFINITY; k++) fact *= (double)k;
    double z = pn_zeta((double)n + 1, x);
    return (n % 2 ? fact : -fact) * z;
}

/* A first erfinv within ~1e-7 relative for |y| < 1 - 1e-16, from M. Giles,
 * "Approximating the erfinv function" (GPU Computing Gems, 2011): polynomials in
 * w = -log(1 - y^2), one below w = 5 and one in sqrt(w) above. */
static double erfinv_guess(double y) {
    double w = -log((1 - y) * (1 + y)), p;
    if (w < 5) {
        w -= 2.5;
        p = 2.81022636e-08;
        p = 3.43273939e-07 + p * w, p = -3.5233877e-06 + p * w, p = -4.39150654e-06 + p * w;
        p = 0.00021858087 + p * w, p = -0.00125372503 + p * w, p = -0.00417768164 + p * w;
        p = 0.246640727 + p * w, p = 1.50140941 + p * w;
    } else {
        w = sqrt(w) - 3;
        p = -0.000200214257;
        p = 0.000100950558 + p * w, p = 0.00134934322 + p * w, p = -0.00367342844 + p * w;
        p = 0.00573950773 + p * w, p = -0.0076224613 + p * w, p = 0.00943887047 + p * w;
        p = 1.00167406 + p * w, p = 2.83297682 + p * w;
    }
    return p * y;
}

/* erfinv(y) for y >= 0: the guess, then Halley steps on f(x) = erf(x) - y,
 *   x <- x - f / (f' - f f'' / (2 f')) = x - f / (d + x f),  d = f' = 2/sqrt(pi) e^(-x^2),
 * (f'' = -2 x d), each tripling the correct digits. Above y = 1/2, f is taken as
 * (1 - y) - erfc(x): 1 - y is exact there, and erfc keeps its relative accuracy
 * where erf(x) and y agree in most of their digits. */
double pn_erfinv(double y) {
    if (!(fabs(y) <= 1)) return NAN;
    if (fabs(y) == 1) return copysign(INFINITY, y);
    if (y == 0) return y;
    double a = fabs(y), x = erfinv_guess(a);
    for (int it = 0; it < 6; it++) {
        double f = a > 0.5 ? (1 - a) - erfc(x) : erf(x) - a;
        double d = 1.12837916709551257390 * exp(-x * x);
        double dx = f / (d + x * f);
        x -= dx;
        if (fabs(dx) <= 1e-17 * x) break;
    }
    return copysign(x, y);
}

/* ---- polygamma(n, x) over tensors: aux is the int64_t n ---- */
#define POLYGAMMA_LOOP(NAME, T) \
    static void NAME(char **p, const int64_t *s, int64_t len, const void *aux) { \
        int64_t n = *(const int64_t *)aux; \
        for (int64_t i = 0; i < len; i++) \
            *(T *)(p[0] + i * s[0]) = (T)pn_polygamma_d(n, (double)*(const T *)(p[1] + i * s[1])); \
    }
POLYGAMMA_LOOP(polygamma_f32, float)
POLYGAMMA_LOOP(polygamma_f64, double)

pn_loop_fn pn_polygamma_loop(pn_dtype dt) {
    return dt == PN_FLOAT32 ? polygamma_f32 : dt == PN_FLOAT64 ? polygamma_f64 : NULL;
}
