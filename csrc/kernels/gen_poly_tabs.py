"""Print the interval tables of fastmath.h's pn_erff_tab, pn_tanhf_poly, pn_atan2f_poly,
pn_atanf_poly and pn_erfcf_tab, as the X-macro lists elementwise.c lays out twice (by
coefficient for the scalar functions and the AVX-512 registers, by interval for the AVX2
loads): python gen_poly_tabs.py erf|tanh|atan|atanx|erfcx.
Needs mpmath and numpy.

Each function f of a = |x| is cut into intervals, four per binade
([2^e (1 + k/4), 2^e (1 + (k+1)/4))), and on each
    f(a) = c0 + r (c1 + r (c2 + ... + r c6)),  r = a - centre.
The centre is a float near the interval's middle whose f lies within 2^-10 ulp of
a float (searched float by float), and c0 is that float: so c0 carries no
rounding error of its own. c1..c6 are fitted to (f(a) - c0) / r for the least
maximum error relative to f (least squares reweighted toward minimax, Lawson),
rounded to float one at a time with the rest refitted to absorb each rounding.
  erf:  28 intervals from 2^-5 to 4 (entries 1-28); entry 0 (a < 2^-5, which the odd
        series takes) repeats entry 1; entries 29-31 ([4, inf): erf is 1 in float) are
        c0 = 1 with zero slopes.
  tanh: entry 0 is [0, 2^-4) with centre 0, c0 = 0 and c1 = 1 exactly; entries
        1-29 are the intervals from 2^-4 to 10, the last fitted on [8, 9.5] only
        (pn_tanhf_poly caps |x| at 9.5, where tanh is 1 in float); 30 and 31 repeat 29.
  atan (pn_atan2f_poly's): two functions of t = min/max (<= 1). Entries 0-17 are atan t: 0 is
        [0, 2^-4) as tanh's, 1-16 the intervals from 2^-4 to 1, 17 repeats 16 (for t = 1:
        each fit takes both ends of its interval). Entries 18-30 are pi/2 - atan t: 18 is
        [0, 2^-3) with its centre searched as the others', 19-30 the intervals from 2^-3
        to 1; 31 repeats 30.
  atanx (pn_atanf_poly's): atan a for a = |x| < 8: entry 0 is [0, 2^-4) as tanh's, 1-28
        the intervals from 2^-4 to 8; 29-31 repeat 28.
  erfcx: erfcx a = exp(a^2) erfc a, for pn_erfcf_tab: entry 0 is [0, 2^-4) with centre 0
        and c0 = 1 exactly, 1-30 the intervals from 2^-4 to 10.1 (pn_erfcf_tab's cap);
        31 repeats 30.
"""
import sys

import mpmath as mp
import numpy as np

mp.mp.dps = 50
F32 = np.float32
DEG = 6  # slopes c1..c6


def quarter_binades(e_lo, e_hi, cap=None):
    out = []
    for e in range(e_lo, e_hi + 1):
        for k in range(4):
            lo = mp.mpf(2) ** e * (1 + mp.mpf(k) / 4)
            hi = lo + mp.mpf(2) ** e / 4
            if cap is not None and lo >= cap:
                return out
            out.append((lo, hi if cap is None else min(hi, cap)))
    return out


def near_float_centre(f, lo, hi):
    """The float nearest the middle of [lo, hi) whose f is within 2^-10 ulp of a float."""
    mid = np.array([float((lo + hi) / 2)], dtype=F32).view(np.int32)[0]
    for step in range(1 << 20):
        for sign in (1, -1):
            c = np.array([mid + sign * step], dtype=np.int32).view(F32)[0]
            v = f(mp.mpf(float(c)))
            c0 = F32(float(v))
            if abs(v - mp.mpf(float(c0))) <= float(np.spacing(c0)) / 1024:
                return c, c0
    raise RuntimeError("no centre in [%s, %s)" % (lo, hi))


def fit_slopes(f, lo, hi, centre, c0, c1=None):
    """c1..c6 as floats, each rounded in turn and the rest refitted (c1 given or fitted)."""
    n = 300
    nodes = np.cos(np.pi * (np.arange(n) + 0.5) / n)
    lo = max(lo, (hi - lo) * mp.mpf(2) ** -30)  # r = 0 is no node where c0 = 0
    xs = [lo + (hi - lo) * (1 + mp.mpf(float(t))) / 2 for t in nodes] + [lo, hi]
    rs = [x - mp.mpf(float(centre)) for x in xs]
    fs = [f(x) for x in xs]
    r = np.array([float(v) for v in rs])
    g = np.array([float((fx - mp.mpf(float(c0))) / v) for fx, v in zip(fs, rs)])
    weight = np.abs(r) / np.array([float(v) for v in fs])  # error of y = r (p - g), relative
    fixed = [] if c1 is None else [F32(c1)]
    for k in range(len(fixed), DEG):
        target = g - sum(c * r**i for i, c in enumerate(fixed))
        basis = np.stack([r**i for i in range(k, DEG)], 1)
        w = weight.copy()
        for _ in range(40):
            c, *_ = np.linalg.lstsq(basis * w[:, None], target * w, rcond=None)
            err = np.abs((basis @ c - target) * weight)
            w = w * (err / err.max() + 1e-6) ** 0.5
        fixed.append(F32(c[0]))
    p = sum(float(c) * r**i for i, c in enumerate(fixed))
    return fixed, np.abs((p - g) * weight).max()


def fitted_rows(f, intervals, first=1):
    rows = []
    for j, (lo, hi) in enumerate(intervals, start=first):
        centre, c0 = near_float_centre(f, lo, hi)
        slopes, err = fit_slopes(f, lo, hi, centre, c0)
        rows.append([centre, c0] + slopes)
        print("/* %2d: [%.7g, %.7g), fit error 2^%.1f relative */" % (j, lo, hi, np.log2(err)))
    return rows


def row_at_zero(f, hi, c0, c1=None):
    """Interval 0 = [0, hi) with centre 0 and the given c0 (and c1, else fitted)."""
    slopes, err = fit_slopes(f, mp.mpf(0), hi, F32(0), F32(c0), c1=c1)
    print("/*  0: [0, %.7g), fit error 2^%.1f relative */" % (hi, np.log2(err)))
    return [F32(0), F32(c0)] + slopes


def erf_rows():
    rows = fitted_rows(mp.erf, quarter_binades(-5, 1))
    return [rows[0]] + rows + [[F32(4.0), F32(1.0)] + [F32(0.0)] * DEG] * 3


def tanh_rows():
    rows = [row_at_zero(mp.tanh, mp.mpf(2) ** -4, 0.0, c1=1.0)]
    rows += fitted_rows(mp.tanh, quarter_binades(-4, 3, cap=9.5))
    return rows + [rows[-1]] * (32 - len(rows))


def atan_rows():
    """Entries 0-17 are atan t for t <= 1, 18-31 are pi/2 - atan t for t < 1 (atan2)."""
    rows = [row_at_zero(mp.atan, mp.mpf(2) ** -4, 0.0, c1=1.0)]
    rows += fitted_rows(mp.atan, quarter_binades(-4, -1))
    acot = lambda t: mp.pi / 2 - mp.atan(t)
    big = fitted_rows(acot, [(mp.mpf(0), mp.mpf(2) ** -3)] + quarter_binades(-3, -1), first=18)
    # r = t - centre is exact in entry 18 for t in [2^-4, 2^-3) only if the centre is a
    # multiple of 2^-27, t's ulp there (pn_atan_tab_split)
    assert float(big[0][0]) % 2.0 ** -27 == 0
    return rows + [rows[-1]] + big + [big[-1]]  # entry 17: t = 1 (x = +-1)


def atanx_rows():
    """atan a itself for a = |x| < 8: entry 0 is [0, 2^-4) as tanh's, 1-28 the intervals
    from 2^-4 to 8; 29-31 repeat 28."""
    rows = [row_at_zero(mp.atan, mp.mpf(2) ** -4, 0.0, c1=1.0)]
    rows += fitted_rows(mp.atan, quarter_binades(-4, 2))
    return rows + [rows[-1]] * (32 - len(rows))


def erfcx_rows():
    """erfcx a = exp(a^2) erfc a: entry 0 is [0, 2^-4) with centre 0 and c0 = 1 (exact),
    1-30 the intervals from 2^-4 to the cap 10.1; 31 repeats 30."""
    erfcx = lambda a: mp.exp(a * a) * mp.erfc(a)
    rows = [row_at_zero(erfcx, mp.mpf(2) ** -4, 1.0)]
    rows += fitted_rows(erfcx, quarter_binades(-4, 3, cap=10.1))
    return rows + [rows[-1]] * (32 - len(rows))


def main():
    name = sys.argv[1] if len(sys.argv) > 1 else "erf"
    rows = {"erf": erf_rows, "tanh": tanh_rows, "atan": atan_rows, "atanx": atanx_rows,
            "erfcx": erfcx_rows}[name]()
    assert len(rows) == 32
    print("/* centre, c0, c1, ..., c6 of each interval, as X(...) for PN_POLY_TABLES (elementwise.c) */")
    print("#define PN_%s_ROWS(X) \\" % name.upper())
    for j, row in enumerate(rows):
        end = " \\" if j < len(rows) - 1 else ""
        print("    X(" + ", ".join("%.9ef" % float(v) for v in row) + ")" + end)


if __name__ == "__main__":
    main()
