"""Print the coefficients of the polynomials that float kernels evaluate in double:
vecmath.h's sin, cos and tan and fastmath.h's pn_exp_d34; with the argument `log`, the
tables and polynomials of fastmath.h's float64 logarithms (pn_log_f64_tab); with `trig`,
the table and the split of pi/32 of its float64 sine and cosine (pn_sincos_f64); with
`erf`, the table of fastmath.h's float64 erfc (pn_erf16d); with `erfx`, that of its
float64 erf (pn_erfx16d); with `pow`, the polynomial of its float64 pow's logarithm
(pn_pow_log_r).
python gen_double_polys.py [log | trig | erf | erfx | pow]. Needs mpmath and numpy.

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


LOG_OFF = 0.703125  # z = x / 2^k in [LOG_OFF, 2 LOG_OFF): bits(x) - bits(LOG_OFF)
LOG_GRID = 2.0**-42  # log_b c's high part: k log_b 2 + it exact for |k| <= 1075


def log_intervals():
    """The 16 intervals of z (by bits 51..48 of bits(z) - bits(LOG_OFF)) and each one's
    1/c: a multiple of 2^-p such that r = z (1/c) - 1 is exact over the interval (|r| <
    2^-p below 1, 2^(1-p) above), |r| least; 1/c = 1 on the interval holding 1."""
    import struct
    bits = lambda v: struct.unpack("<Q", struct.pack("<d", v))[0]
    dbl = lambda b: struct.unpack("<d", struct.pack("<Q", b))[0]
    out = []
    for j in range(16):
        lo, hi = dbl(bits(LOG_OFF) + (j << 48)), dbl(bits(LOG_OFF) + ((j + 1) << 48))
        best = None
        for p in range(1, 9):
            for n in range(int(2**p / hi) - 2, int(2**p / lo) + 3):
                invc = n / 2**p
                if lo <= 1.0 < hi and invc != 1:
                    continue
                below = max(abs(lo * invc - 1), abs(min(hi, 1.0) * invc - 1)) if lo < 1 else 0
                above = max(abs(max(lo, 1.0) * invc - 1), abs(hi * invc - 1)) if hi > 1 else 0
                if below >= 2.0**-p or above >= 2.0**(1 - p):
                    continue
                if best is None or max(below, above) < best[0]:
                    best = (max(below, above), invc)
        out.append(best)
    return out


def log1p_tail(a):  # a (log1p r - r + r^2/2 - r^3/3 + r^4/4) / r^5
    taylor = lambda r: sum((-1) ** (n + 1) * r**n / n for n in range(5, 40)) / r**5
    return lambda r: a * (taylor(r) if abs(r) < 1e-3 else
                          (mp.log1p(r) - r + r**2 / 2 - r**3 / 3 + r**4 / 4) / r**5)


def log_weight(r):  # d(log1p r) / dR relative to log1p r
    return r**5 / abs(mp.log1p(r)) if r else mp.mpf(0)


def split(v, grid):
    """v as hi + lo: hi a multiple of grid, lo the rest rounded to double."""
    hi = float(mp.nint(v / grid) * grid)
    return hi, float(v - hi)


def log_tables():
    ivs = log_intervals()
    rmax = max(r for r, _ in ivs) * 1.001
    print("/* |r| <= %.5f; 1/c of each interval */" % (rmax / 1.001))
    print("    " + ", ".join(float(v).hex() for _, v in ivs))
    for name, base in (("e", mp.e), ("2", 2), ("10", 10)):
        a = 1 / mp.log(base)
        khi, klo = split(mp.log(2) * a, LOG_GRID)
        ahi = float(a)
        alo = float(a - ahi)
        rows = [split(-mp.log(mp.mpf(v)) * a, LOG_GRID) for _, v in ivs]
        # Q(r) = (log1p r - r) / r^2: its first three Taylor terms, then R fitted (a fit of
        # all of Q in double could not resolve its last bits)
        tail, _ = fit(log1p_tail(a), log_weight, rmax, 5, zmin=-rmax)
        c = [float(-a / 2), float(a / 3), float(-a / 4)] + tail
        q = lambda r: mp.polyval([mp.mpf(v) for v in c[::-1]], r)
        err = max(abs(r * r * q(r) / (a * mp.log1p(r)) - (1 - r / mp.log1p(r)))
                  for r in mp.linspace(-rmax, rmax, 1001) if r)
        err = float(err)
        print("/* base %s: log_b 2 = %s + %s, 1/ln b = %s + %s */" % (name, khi.hex(), klo.hex(),
                                                                     ahi.hex(), alo.hex()))
        print("/* -log_b(1/c) high parts */\n    " + ", ".join(h.hex() for h, _ in rows))
        print("/* low parts */\n    " + ", ".join(l.hex() for _, l in rows))
        print("/* Q, error 2^%.1f relative, lowest degree first */" % np.log2(err))
        print("    " + ", ".join(v.hex() for v in c))


def trig_tables():
    """pi/32 as C1 + C2 + C3 + C4 (C1-C3 of 33 bits, so n Ck is exact for |n| < 2^20), and
    sin(j pi/32), cos(j pi/32) for j = 0..15, each as a double and the rest rounded."""
    mp.mp.dps = 80
    rest, parts = mp.pi / 32, []
    for bits in (33, 33, 33):
        e = int(mp.floor(mp.log(abs(rest), 2)))
        part = mp.nint(rest * mp.mpf(2) ** (bits - 1 - e)) / mp.mpf(2) ** (bits - 1 - e)
        parts.append(float(part))
        rest -= part
    parts.append(float(rest))
    print("/* pi/32 = C1 + C2 + C3 + C4 */")
    print("    " + ", ".join(v.hex() for v in parts))
    for name, f in (("sin", mp.sin), ("cos", mp.cos)):
        vals = [f(j * mp.pi / 32) for j in range(16)]
        hi = [float(v) for v in vals]
        print("/* %s(j pi/32), high parts */\n    " % name + ", ".join(v.hex() for v in hi))
        print("/* low parts */\n    " + ", ".join(float(v - h).hex() for v, h in zip(vals, hi)))


ERF_DEG = 8  # the degree of each column's R


def erf_tables():
    """pn_erf16d: erfc's G(t) = erfcx(a) / t, t = 1 / (1 + a/4), about c = k/16 for k = 2..16
    in column k mod 16, v = t - c (|v| <= 1/32); column 1 unused (zeros). Each as G = g0 + g1
    v + v^2 R(v) with g0 and g1 Taylor's (in two parts) and R of degree ERF_DEG interpolated
    at Chebyshev points (taylor2_column); the printed error is that of the whole, its
    coefficients rounded, relative to G."""
    mp.mp.dps = 50
    rsqpi = 1 / mp.sqrt(mp.pi)
    erfcx = lambda a: mp.exp(a * a) * mp.erfc(a)

    def g_t(t):  # G and dG/dt
        a = 4 / t - 4
        e = erfcx(a)
        return e / t, (2 * a * e - 2 * rsqpi) * (-4 / t**2) / t - e / t**2

    cols = []
    for j in range(16):
        if j == 1:  # unused: k runs from 2 to 16
            cols.append(([0.0] * (ERF_DEG + 5), 0.0))
            continue
        c = mp.mpf(j or 16) / 16
        cols.append(taylor2_column(g_t, c, c, mp.mpf(1) / 32, ERF_DEG))
    print("/* erfc's G, error 2^%.1f relative at most */" % np.log2(max(e for _, e in cols)))
    print_rows(cols, ERF_DEG)


def taylor2_column(f, c, mid, h, deg):
    """One column of a table of G = g0 + g1 u + u^2 R(u), u = v - c, for v in [mid - h, mid
    + h]: f(v) gives G and G'; g0 and g1 Taylor's (in two parts), R of degree deg
    interpolated at Chebyshev points. Returns the column and its error relative to G."""
    g0, g1 = f(c)

    def rest(v):
        if v == c:
            return mp.diff(lambda u: f(u)[0], c, 2) / 2
        return (f(v)[0] - g0 - g1 * (v - c)) / (v - c) ** 2

    n = deg + 1
    nodes = [mid + h * mp.cos(mp.pi * (2 * k + 1) / (2 * n)) for k in range(n)]
    # Newton's form through the nodes, then expanded in powers of u = v - c
    dd = [rest(v) for v in nodes]
    for k in range(1, n):
        for i in range(n - 1, k - 1, -1):
            dd[i] = (dd[i] - dd[i - 1]) / (nodes[i] - nodes[i - k])
    poly = [mp.mpf(0)] * n  # lowest degree first
    for k in range(n - 1, -1, -1):  # poly = poly (u + c - node_k) + dd[k]
        new = [mp.mpf(0)] * n
        for i in range(n - 1):
            new[i + 1] += poly[i]
        for i in range(n):
            new[i] += poly[i] * (c - nodes[k])
        new[0] += dd[k]
        poly = new
    g0h, g1h = float(g0), float(g1)
    col = [g0h, float(g0 - g0h), g1h, float(g1 - g1h)] + [float(v) for v in poly]
    err = 0
    for k in range(201):
        v = mid - h + 2 * h * k / 200
        u = v - c
        approx = (mp.mpf(col[0]) + col[1] + (mp.mpf(col[2]) + col[3]) * u +
                  u * u * mp.polyval([mp.mpf(x) for x in col[:3:-1]], u))
        err = max(err, abs(approx / f(v)[0] - 1))
    return col, float(err)


def print_rows(cols, deg):
    names = ["g0 high", "g0 low", "g1 high", "g1 low"] + ["r%d" % k for k in range(deg + 1)]
    for i, name in enumerate(names):
        print("/* %s */\n    {" % name + ", ".join(c[i].hex() for c, _ in cols) + "},")


ERFX_DEG = 11  # the degree of each column's R in pn_erfx16d


def erfx_tables():
    """pn_erfx16d: erf x about c_j = 0.3125 + 0.375 j in column j = 1..15 (x in [c_j -
    3/16, c_j + 3/16], a hair more: [0.5, 6.125) in all), u = x - c_j; column 0 erf(x) / x
    in v = x^2 (|x| < 1/2), its expansion about 0. G = g0 + g1 u + u^2 R(u), R of degree
    ERFX_DEG (each fitted a little beyond its column); the printed error is relative to G."""
    mp.mp.dps = 50
    rsqpi = 1 / mp.sqrt(mp.pi)

    def g_x(x):  # erf and its derivative
        return mp.erf(x), 2 * rsqpi * mp.exp(-x * x)

    def g_z(z):  # erf(x) / x by its series, and its derivative in z
        terms = [(-1) ** n * z**n / (mp.factorial(n) * (2 * n + 1)) for n in range(60)]
        dterms = [(-1) ** n * n * z ** (n - 1) / (mp.factorial(n) * (2 * n + 1)) for n in range(1, 60)]
        return 2 * rsqpi * sum(terms), 2 * rsqpi * sum(dterms)

    cols = [taylor2_column(g_z, mp.mpf(0), mp.mpf(1) / 8, mp.mpf(1) / 8 * 1.01, ERFX_DEG)]
    for j in range(1, 16):
        c = mp.mpf("0.3125") + mp.mpf("0.375") * j
        cols.append(taylor2_column(g_x, c, c, mp.mpf(3) / 16 * 1.01, ERFX_DEG))
    print("/* erf's G in x, error 2^%.1f relative at most (column 0: 2^%.1f) */" %
          (np.log2(max(e for _, e in cols[1:])), np.log2(cols[0][1])))
    print_rows(cols, ERFX_DEG)


POW_DEG = 7  # the degree of pow's R


def pow_tables():
    """The polynomial of fastmath.h's float64 pow's logarithm (pn_log_f64_pair), on
    log_tables' intervals: log1p r = r - r^2/2 + r^3/3 - r^4/4 + r^5 R(r), R of degree
    POW_DEG fitted as log_tables' tail; 1/3 in two parts. The error printed is that of the
    whole, R's coefficients rounded, relative to log1p r (what pow needs: 2^-68)."""
    mp.mp.dps = 50
    rmax = max(r for r, _ in log_intervals()) * 1.001
    tail, _ = fit(log1p_tail(1), log_weight, rmax, POW_DEG, zmin=-rmax)
    third = mp.mpf(1) / 3
    th = float(third)
    approx = lambda r: r - r**2 / 2 + r**3 * (mp.mpf(th) + float(third - th)) - r**4 / 4 + \
        r**5 * mp.polyval([mp.mpf(v) for v in tail[::-1]], r)
    err = max(abs(approx(r) / mp.log1p(r) - 1) for r in mp.linspace(-rmax, rmax, 2001) if r)
    print("/* 1/3 = %s + %s */" % (th.hex(), float(third - th).hex()))
    print("/* R, error 2^%.1f relative, lowest degree first */" % np.log2(float(err)))
    print("    " + ", ".join(v.hex() for v in tail))


if __name__ == "__main__":
    import sys
    {"log": log_tables, "trig": trig_tables, "erf": erf_tables, "erfx": erfx_tables,
     "pow": pow_tables}.get(sys.argv[1] if sys.argv[1:] else "", main)()
