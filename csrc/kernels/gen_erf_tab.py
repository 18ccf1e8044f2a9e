"""Print pn_erf_tab, the table of fastmath.h's pn_erff_tab (defined in elementwise.c).

erf(a) for a = |x| in [2^-5, 4) is cut into 28 intervals, four per binade
([2^e (1 + k/4), 2^e (1 + (k+1)/4)), e = -5..1, k = 0..3), and on each
    erf(a) = c0 + r (c1 + r (c2 + ... + r c6)),  r = a - centre.
The centre is a float near the interval's middle whose erf lies within 2^-10 ulp of
a float (searched float by float), and c0 is that float: so c0 carries no
rounding error of its own, and the result rounds once, in the last fma. c1..c6
are fitted to (erf(a) - c0) / r for the least maximum error relative to erf
(least squares reweighted toward minimax, Lawson), rounded to float one at a time
with the rest refitted to absorb each rounding. Entry 0 (a < 2^-5, which the
odd series takes) repeats entry 1; entries 29-31 ([4, inf): erf is 1 in float)
are c0 = 1 with zero slopes. Needs mpmath and numpy: python gen_erf_tab.py
"""
import mpmath as mp
import numpy as np

mp.mp.dps = 50
F32 = np.float32
DEG = 6  # slopes c1..c6


def intervals():
    out = []
    for e in range(-5, 2):
        for k in range(4):
            lo = mp.mpf(2) ** e * (1 + mp.mpf(k) / 4)
            out.append((lo, lo + mp.mpf(2) ** e / 4))
    return out


def near_float_centre(lo, hi):
    """The float nearest the middle of [lo, hi) whose erf is within 2^-10 ulp of a float."""
    mid = np.array([float((lo + hi) / 2)], dtype=F32).view(np.int32)[0]
    for step in range(1 << 20):
        for sign in (1, -1):
            c = np.array([mid + sign * step], dtype=np.int32).view(F32)[0]
            e = mp.erf(mp.mpf(float(c)))
            c0 = F32(float(e))
            if abs(e - mp.mpf(float(c0))) <= float(np.spacing(c0)) / 1024:
                return c, c0
    raise RuntimeError("no centre in [%s, %s)" % (lo, hi))


def fit_slopes(lo, hi, centre, c0):
    """c1..c6 as floats, each rounded in turn and the rest refitted."""
    n = 300
    nodes = np.cos(np.pi * (np.arange(n) + 0.5) / n)
    xs = [lo + (hi - lo) * (1 + mp.mpf(float(t))) / 2 for t in nodes] + [lo, hi]
    rs = [x - mp.mpf(float(centre)) for x in xs]
    fs = [mp.erf(x) for x in xs]
    r = np.array([float(v) for v in rs])
    g = np.array([float((f - mp.mpf(float(c0))) / v) for f, v in zip(fs, rs)])
    weight = np.abs(r) / np.array([float(f) for f in fs])  # error of y = r (p - g), relative
    fixed = []
    for k in range(DEG):
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


def main():
    rows = []
    for j, (lo, hi) in enumerate(intervals(), start=1):
        centre, c0 = near_float_centre(lo, hi)
        slopes, err = fit_slopes(lo, hi, centre, c0)
        rows.append([centre, c0] + slopes)
        print("/* %2d: [%.7g, %.7g), fit error 2^%.1f relative */" % (j, lo, hi, np.log2(err)))
    rows = [rows[0]] + rows + [[F32(4.0), F32(1.0)] + [F32(0.0)] * DEG] * 3
    names = ["centres", "c0"] + ["c%d" % k for k in range(1, DEG + 1)]
    print("const float pn_erf_tab[%d][32] = {" % (DEG + 2))
    for i, name in enumerate(names):
        print("    /* %s */" % name)
        print("    {" + ", ".join("%.9ef" % float(row[i]) for row in rows) + "},")
    print("};")


if __name__ == "__main__":
    main()
