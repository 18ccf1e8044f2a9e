/* special.h - the gamma family and the inverse error function, in double.
 *
 * libm has lgamma but no digamma, polygamma or erfinv. These are scalar
 * functions of one double (float32 tensors call them on the widened value and
 * round once); their loops are the unary ops PN_LGAMMA, PN_DIGAMMA and
 * PN_ERFINV of elementwise.c, and pn_polygamma_loop below for polygamma(n, x),
 * whose order n is the loop's aux.
 * Special values are PyTorch's where PyTorch is consistent: digamma(+-0) =
 * -+inf, NaN at the poles -1, -2, ... and at -inf; polygamma(n >= 1) is +inf at
 * the poles 0, -1, -2, ... for odd n and -inf for even n, 0 at +inf, NaN at -inf
 * (PyTorch's float32 trigamma gives 1e15 at -1 and its n >= 2 NaN at +inf);
 * erfinv(+-1) = +-inf, NaN outside [-1, 1].
 */
#ifndef PN_SPECIAL_H
#define PN_SPECIAL_H
#include "iter.h"
#include <stdint.h>

/* log |Gamma(x)| (libm's, without its global sign variable where the C library
 * has lgamma_r: threads may call it at once). */
double pn_lgamma(double x);

/* digamma(x) = d/dx log Gamma(x). */
double pn_digamma(double x);

/* The Hurwitz zeta function zeta(s, q) = sum over k >= 0 of (q + k)^-s, s > 1
 * (s an integer when q < 0); +inf at s = 1 and at q = 0, -1, -2, ... */
double pn_zeta(double s, double q);

/* polygamma(n, x), the n-th derivative of digamma (n >= 0; n = 0 is digamma). */
double pn_polygamma_d(int64_t n, double x);

/* erfinv(y): the x with erf(x) = y, for y in [-1, 1]. */
double pn_erfinv(double y);

/* Loops {out, x} of polygamma(n, x) over float32 / float64 (NULL for other
 * dtypes); aux points to the int64_t n. */
pn_loop_fn pn_polygamma_loop(pn_dtype dt);

#endif
