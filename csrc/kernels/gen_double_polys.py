"""Print the coefficients of the polynomials that float kernels evaluate in double:
vecmath.h's sin, cos and tan and fastmath.h's pn_exp_d34. python gen_double_polys.py.
Needs mpmath and numpy.

    sin r = r (1 + z S(z)),  z = r^2,  |r| <= pi/2  (pn_sin_half_pi_d, degree 4 in z)
    sin r = r (1 + z T(z)),             |r| <= pi/4  (pn_tanf_v's sine, degree 3)
    cos r = 1 + z C(z),                 |r| <= pi/4  (pn_tanf_v's cosine, degree 4)
    exp r = 1 + r + r^2 Q(r),           |r| <= ln2/2 (pn_exp_d34, degree 5 in r)
Each fit is taken a little past its end (the reductions' r can overshoot by rounding) on
3000 Chebyshev points, for the least maximum error relative to the function (least
squares reweighted toward minimax, Lawson); the error printed is that of the polynomial
with its coefficients rounded to double, measured in mpmath on every third point.
"""
import mpmath as mp
import numpy as np

mp.mp.dps = 40


def fit(g, weight, zmax, deg, n=3000, rounds=60, zmin=0):
    """Coefficients of P (degree deg) with max |(P(z) - g(z)) weight(z)| least on [zmin, zmax]."""
    zs = [mp.mpf(zmin) + (mp.mpf(zmax) - zmin) * (1 - mp.cos(mp.pi * (k + 0.5) / n)) / 2
          for k in range(n)]
    target = np.array([float(g(z)) for z in zs])
    w = np.array([float(weight(z)) for z in zs])
    basis = np.vander(np.array([float(z) for z in zs]) / zmax, deg + 1, increasing=True)
    lw = np.ones(n)
    for _ in range(rounds):
        sw = np.sqrt(lw) * w
        c, *_ = np.linalg.lstsq(basis * sw[:, None], target * sw, rcond=None)
        lw *= np.abs((basis @ c - target) * w)
        lw /= lw.sum()
    c = [float(v) / zmax**k for k, v in enumerate(c)]
    err = max(abs((mp.polyval([mp.mpf(v) for v in c[::-1]], z) - g(z)) * weight(z)) for z in zs[::3])
    return c, float(err)


def sin_term(z):  # (sin r / r - 1) / z
    r = mp.sqrt(z)
    return (mp.sin(r) / r - 1) / z if z else mp.mpf(-1) / 6


def sin_weight(z):  # d(sin r) / dS relative to sin r: r z / sin r
    r = mp.sqrt(z)
    return z * r / mp.sin(r) if z else mp.mpf(0)


def cos_term(z):  # (cos r - 1) / z
    return (mp.cos(mp.sqrt(z)) - 1) / z if z else mp.mpf(-1) / 2


def cos_weight(z):
    return z / mp.cos(mp.sqrt(z))


def exp_term(r):  # (exp r - 1 - r) / r^2
    return (mp.exp(r) - 1 - r) / r**2 if r else mp.mpf(1) / 2


def exp_weight(r):  # d(exp r) / dQ relative to exp r
    return r * r / mp.exp(r)


def main():
    for name, g, w, rmax, deg in (("sin r, |r| <= 1.5710", sin_term, sin_weight, 1.5710, 4),
                                  ("tan's sin r, |r| <= 0.7856", sin_term, sin_weight, 0.7856, 3),
                                  ("tan's cos r, |r| <= 0.7856", cos_term, cos_weight, 0.7856, 4)):
        c, err = fit(g, w, rmax * rmax, deg)
        print("/* %s: error 2^%.1f relative, highest degree first */" % (name, np.log2(err)))
        print("    " + ", ".join(v.hex() for v in c[::-1]))
    half_ln2 = float(mp.log(2) / 2) * 1.001
    c, err = fit(exp_term, exp_weight, half_ln2, 5, zmin=-half_ln2)
    print("/* exp r, |r| <= ln2/2: error 2^%.1f relative, highest degree first */" % np.log2(err))
    print("    " + ", ".join(v.hex() for v in c[::-1]))


if __name__ == "__main__":
    main()
