"""pynet.special: aliases, and entr, erfcx, log_ndtr, ndtr, ndtri, xlog1py against
high-precision reference values (computed with mpmath at 50+ digits), the math module, float64
gradchecks and (per test, when installed) torch.special."""
import math

import numpy as np
import pytest

import pynet
import pynet.special as S
from conftest import gc, raises_like

INF, NAN = math.inf, math.nan
F64 = pynet.float64


def t64(v, grad=False):
    return pynet.tensor(np.asarray(v, dtype=np.float64), requires_grad=grad)


def grad_of(fn, v):
    x = t64(v, grad=True)
    y = fn(x)
    y.sum().backward()
    return y.detach().numpy(), x.grad.numpy()


def rel_close(got, ref, rtol):
    np.testing.assert_allclose(np.asarray(got, dtype=np.float64), ref, rtol=rtol, atol=0,
                               equal_nan=True)


def vs_torch(torch, name, a, rtol, grtol, rtol32=2e-6, grtol32=2e-6, vmask=None, gmask=None):
    """pynet.special.name against torch.special.name: float64 values (rtol, where vmask) and
    gradients (grtol, where gmask) with torch's float64 ones; float32 results against torch's
    float64 results at the same (float32) inputs, rounded to float32 (torch's own float32
    results lose more than ours in the tails)."""
    vmask = np.ones(len(a), bool) if vmask is None else vmask
    gmask = np.ones(len(a), bool) if gmask is None else gmask
    for dt, rt, grt in (("float64", rtol, grtol), ("float32", rtol32, grtol32)):
        a_dt = a.astype(dt)
        tx = torch.tensor(a_dt.astype(np.float64), requires_grad=True)
        ty = getattr(torch.special, name)(tx)
        ty.sum().backward()
        with np.errstate(over="ignore"):  # float64 values beyond float32's range: inf
            ref, gref = ty.detach().numpy().astype(dt), tx.grad.numpy().astype(dt)
        x = pynet.tensor(a_dt, requires_grad=True)
        y = getattr(S, name)(x)
        y.sum().backward()
        assert y.dtype == getattr(pynet, dt)
        np.testing.assert_allclose(y.detach().numpy()[vmask], ref[vmask], rtol=rt,
                                   equal_nan=True)
        np.testing.assert_allclose(x.grad.numpy()[gmask], gref[gmask], rtol=grt,
                                   equal_nan=True)


# ------------------------------------------------------------------ aliases

ALIASES = [("erf", pynet.erf), ("erfc", pynet.erfc), ("exp2", pynet.exp2),
           ("expit", pynet.sigmoid), ("expm1", pynet.expm1), ("gammaln", pynet.lgamma),
           ("digamma", pynet.digamma), ("psi", pynet.digamma), ("i0", pynet.i0),
           ("log1p", pynet.log1p), ("sinc", pynet.sinc)]


@pytest.mark.parametrize("name,ref", ALIASES)
def test_unary_aliases(name, ref):
    x = pynet.tensor([0.3, 1.7, 2.5])
    np.testing.assert_array_equal(getattr(S, name)(x).numpy(), ref(x).numpy())
    with pytest.raises(NotImplementedError, match="out="):
        getattr(S, name)(x, out=pynet.empty(3))
    with pytest.raises(TypeError):
        getattr(S, name)([0.5])


def test_alias_values_by_hand():
    x = t64([0.5])
    assert S.erf(x).item() == pytest.approx(math.erf(0.5), rel=1e-15)
    assert S.erfc(x).item() == pytest.approx(math.erfc(0.5), rel=1e-15)
    assert S.erfinv(t64([math.erf(0.5)])).item() == pytest.approx(0.5, rel=1e-14)
    assert S.expit(x).item() == pytest.approx(1 / (1 + math.exp(-0.5)), rel=1e-15)
    assert S.gammaln(t64([4.5])).item() == pytest.approx(math.lgamma(4.5), rel=1e-15)
    assert S.exp2(t64([3.0])).item() == 8.0
    assert S.psi(t64([1.0])).item() == pytest.approx(-0.5772156649015329, rel=1e-14)
    assert S.polygamma(1, t64([1.0])).item() == pytest.approx(math.pi ** 2 / 6, rel=1e-14)
    assert S.polygamma(n=1, input=t64([1.0])).item() == pytest.approx(math.pi ** 2 / 6)
    # multigammaln(a, 2) = log(pi)/2 + lgamma(a) + lgamma(a - 1/2)
    assert S.multigammaln(t64([2.5]), 2).item() == pytest.approx(
        math.log(math.pi) / 2 + math.lgamma(2.5) + math.lgamma(2.0), rel=1e-14)
    assert S.logit(t64([0.25])).item() == pytest.approx(math.log(1 / 3), rel=1e-15)
    assert S.logit(t64([0.0]), eps=0.25).item() == pytest.approx(math.log(1 / 3), rel=1e-15)
    assert S.xlogy(t64([2.0]), 3.0).item() == pytest.approx(2 * math.log(3.0), rel=1e-15)
    assert S.xlogy(0.0, t64([0.0])).item() == 0.0
    v = t64([[1.0, 2.0], [3.0, 5.0]])
    lse = S.logsumexp(v, 1)
    np.testing.assert_allclose(lse.numpy(), [math.log(math.e + math.e ** 2),
                                             math.log(math.e ** 3 + math.e ** 5)], rtol=1e-15)
    assert S.logsumexp(v, dim=1, keepdim=True).shape == (2, 1)
    sm = S.softmax(v, 1)
    np.testing.assert_allclose(sm.numpy()[0], [1 / (1 + math.e), math.e / (1 + math.e)])
    np.testing.assert_allclose(S.log_softmax(v, 1).numpy(), np.log(sm.numpy()), rtol=1e-14)
    assert S.softmax(pynet.tensor([1.0, 2.0]), 0, dtype=F64).dtype == F64
    assert S.softmax(pynet.tensor([1.0, 2.0]), 0, F64).dtype == F64  # positional, as torch
    assert S.log_softmax(pynet.tensor([1.0, 2.0]), 0, dtype=F64).dtype == F64


def test_aliases_out_rejected():
    x = t64([0.5])
    for call in (lambda: S.logit(x, out=x), lambda: S.logsumexp(x, 0, out=x),
                 lambda: S.multigammaln(x + 2, 1, out=x), lambda: S.polygamma(1, x, out=x),
                 lambda: S.xlogy(x, x, out=x), lambda: S.round(x, out=x),
                 lambda: S.erfinv(x, out=x), lambda: S.entr(x, out=x),
                 lambda: S.ndtr(x, out=x), lambda: S.log_ndtr(x, out=x),
                 lambda: S.ndtri(x, out=x), lambda: S.erfcx(x, out=x),
                 lambda: S.xlog1py(x, x, out=x)):
        with pytest.raises(NotImplementedError, match="out="):
            call()


def test_aliases_vs_torch(need_torch):
    torch = need_torch
    a = np.array([0.1, 0.45, 0.9, 2.5], dtype=np.float64)
    for name in ["erf", "erfc", "erfinv", "exp2", "expit", "expm1", "gammaln", "digamma", "psi",
                 "i0", "log1p", "logit", "sinc", "round"]:
        for dt in ("float32", "float64"):
            got = getattr(S, name)(pynet.tensor(a.astype(dt))).numpy()
            ref = getattr(torch.special, name)(torch.tensor(a.astype(dt))).numpy()
            assert got.dtype == ref.dtype, name
            np.testing.assert_allclose(got, ref, rtol=1e-6 if dt == "float32" else 1e-14)
    x, tx = t64(a + 1), torch.tensor(a + 1)
    rel_close(S.multigammaln(x, 3).numpy(), torch.special.multigammaln(tx, 3).numpy(), 1e-14)
    rel_close(S.polygamma(2, x).numpy(), torch.special.polygamma(2, tx).numpy(), 1e-13)
    rel_close(S.xlogy(x, 2.0).numpy(), torch.special.xlogy(tx, 2.0).numpy(), 1e-15)
    rel_close(S.logit(x / 4, 0.2).numpy(), torch.special.logit(tx / 4, 0.2).numpy(), 1e-15)


def test_round_decimals(need_torch):
    torch = need_torch
    a = np.array([1.2345, -2.5, 125.0, 0.125, 1234.5, 0.5, 1.5])
    for dec in (0, 1, 2, -1, -2, 400, -400):
        for dt in ("float32", "float64"):
            got = S.round(pynet.tensor(a.astype(dt)), decimals=dec).numpy()
            ref = torch.special.round(torch.tensor(a.astype(dt)), decimals=dec).numpy()
            np.testing.assert_array_equal(got, ref)
    raises_like(lambda: S.round(pynet.tensor([15]), decimals=-1),
                lambda: torch.special.round(torch.tensor([15]), decimals=-1))
    raises_like(lambda: S.round(pynet.tensor([15])),
                lambda: torch.special.round(torch.tensor([15])))


def test_round_decimals_by_hand():
    got = S.round(t64([1.2345, 0.125, 0.375, 1250.0, -0.5]), decimals=2).numpy()
    np.testing.assert_array_equal(got, [1.23, 0.12, 0.38, 1250.0, -0.5])  # half to even
    assert S.round(t64([1250.0, 1350.0]), decimals=-2).tolist() == [1200.0, 1400.0]
    assert math.isnan(S.round(t64([1.5]), decimals=400).item())  # 10**400 = inf, as torch
    with pytest.raises(NotImplementedError):
        S.round(pynet.tensor([3]))


def test_type_errors(need_torch):
    torch = need_torch
    for name in ["entr", "ndtr", "log_ndtr", "ndtri", "erfcx", "erf", "gammaln"]:
        raises_like(lambda: getattr(S, name)(0.5), lambda: getattr(torch.special, name)(0.5))
    raises_like(lambda: S.xlog1py(1.0, 2.0), lambda: torch.special.xlog1py(1.0, 2.0))
    raises_like(lambda: S.xlogy(1.0, 2.0), lambda: torch.special.xlogy(1.0, 2.0))
    raises_like(lambda: S.polygamma(1, 0.5), lambda: torch.special.polygamma(1, 0.5))


# ------------------------------------------------------------------ entr

def test_entr_values_and_grad_by_hand():
    y, g = grad_of(S.entr, [-1.0, 0.0, 0.5, 2.0, INF, NAN])
    np.testing.assert_allclose(y[2:4], [0.5 * math.log(2), -2 * math.log(2)], rtol=1e-15)
    assert y[0] == -INF and y[1] == 0 and y[4] == -INF and math.isnan(y[5])
    # gradient -(ln x + 1) everywhere, as torch: +inf at 0, NaN for x < 0
    np.testing.assert_allclose(g[2:4], [math.log(2) - 1, -math.log(2) - 1], rtol=1e-15)
    assert math.isnan(g[0]) and g[1] == INF and g[4] == -INF and math.isnan(g[5])
    assert gc(S.entr, [0.2, 1.0, 3.0])
    assert S.entr(pynet.tensor([1, 0])).dtype == pynet.float32
    assert S.entr(pynet.tensor(0.5)).shape == () and S.entr(pynet.zeros(0, 2)).shape == (0, 2)


def test_entr_vs_torch(need_torch):
    a = np.array([-1.0, 0.0, 1e-300, 0.3, 1.0, 7.0, INF, NAN])
    vs_torch(need_torch, "entr", a, 1e-15, 1e-15)


# ------------------------------------------------------------------ xlog1py

def test_xlog1py_by_hand():
    y = S.xlog1py(t64([2.0, 0.0, 0.0, 0.0, 3.0]), t64([1e-20, -1.0, NAN, 5.0, -1.0]))
    assert y[0].item() == pytest.approx(2e-20, rel=1e-15)  # log1p keeps tiny other exact
    assert y[1].item() == 0 and math.isnan(y[2].item()) and y[3].item() == 0
    assert y[4].item() == -INF
    # broadcasting and Python numbers on either side
    b = S.xlog1py(t64([[1.0], [2.0]]), t64([0.5, 1.0, 3.0]))
    assert b.shape == (2, 3)
    np.testing.assert_allclose(b.numpy()[1], [2 * math.log1p(v) for v in (0.5, 1.0, 3.0)],
                               rtol=1e-15)
    assert S.xlog1py(2, t64([1.0])).item() == pytest.approx(2 * math.log(2), rel=1e-15)
    assert S.xlog1py(t64([2.0]), 1).item() == pytest.approx(2 * math.log(2), rel=1e-15)
    assert S.xlog1py(pynet.tensor([1, 2]), 3).dtype == pynet.float32
    assert S.xlog1py(pynet.tensor([1.0], dtype=pynet.float32), 3.0).dtype == pynet.float32
    assert S.xlog1py(t64(0.5), t64(2.0)).shape == ()
    assert S.xlog1py(pynet.zeros(0, 2), t64([1.0, 2.0])).shape == (0, 2)


def test_xlog1py_grad_by_hand():
    x, y = t64([[2.0, 0.0, -1.5]], grad=True), t64([[0.5], [3.0]], grad=True)
    S.xlog1py(x, y).sum().backward()
    # d/dx = log1p(y) summed over the broadcast rows; d/dy = x / (1 + y) summed over columns
    np.testing.assert_allclose(x.grad.numpy(), [[math.log1p(0.5) + math.log1p(3.0)] * 3],
                               rtol=1e-15)
    np.testing.assert_allclose(y.grad.numpy(), [[0.5 / 1.5], [0.5 / 4.0]], rtol=1e-15)
    assert gc(S.xlog1py, [0.5, -2.0, 3.0], [0.2, 1.5, -0.5])
    assert gc(lambda a: S.xlog1py(a, 2.0), [0.5, -2.0])
    assert gc(lambda b: S.xlog1py(3, b), [0.5, -0.3])


def test_xlog1py_vs_torch(need_torch):
    torch = need_torch
    xa = np.array([[0.0], [1.5], [-2.0], [0.0]])
    ya = np.array([-1.0, -0.5, 0.0, 2.0, INF, NAN, -2.0])
    for dt in ("float32", "float64"):
        x = pynet.tensor(xa.astype(dt), requires_grad=True)
        y = pynet.tensor(ya.astype(dt), requires_grad=True)
        tx = torch.tensor(xa.astype(dt), requires_grad=True)
        ty = torch.tensor(ya.astype(dt), requires_grad=True)
        out, tout = S.xlog1py(x, y), torch.special.xlog1py(tx, ty)
        rtol = 1e-6 if dt == "float32" else 1e-15
        np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=rtol)
        mask = np.isfinite(tout.detach().numpy())  # sums of inf gradients are not compared
        g = np.where(mask, 1.0, 0.0).astype(dt)
        out.backward(pynet.tensor(g))
        tout.backward(torch.tensor(g))
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=rtol)
        np.testing.assert_allclose(y.grad.numpy(), ty.grad.numpy(), rtol=rtol)
    for a, b in ((2, torch.tensor([1.0, 0.5])), (torch.tensor([1, 2]), 3),
                 (torch.tensor([0.5], dtype=torch.float32), 2.5)):
        pa = pynet.tensor(a.numpy()) if isinstance(a, torch.Tensor) else a
        pb = pynet.tensor(b.numpy()) if isinstance(b, torch.Tensor) else b
        got, ref = S.xlog1py(pa, pb), torch.special.xlog1py(a, b)
        assert str(got.dtype).split(".")[-1] == str(ref.dtype).split(".")[-1]
        np.testing.assert_allclose(got.numpy(), ref.numpy(), rtol=1e-6)


# ------------------------------------------------------------------ ndtr

def test_ndtr_by_hand():
    xs = [-38.0, -20.0, -5.0, -0.5, 0.0, 1e-10, 0.5, 3.0, 9.0]
    y, g = grad_of(S.ndtr, xs)
    rel_close(y, [0.5 * math.erfc(-v / math.sqrt(2)) for v in xs], 1e-13)
    rel_close(g, [math.exp(-v * v / 2) / math.sqrt(2 * math.pi) for v in xs], 1e-13)
    assert y[0] > 0  # the left tail keeps relative accuracy (0.5 * (1 + erf) would be 0)
    assert S.ndtr(t64([-INF, INF])).tolist() == [0.0, 1.0]
    assert math.isnan(S.ndtr(t64([NAN])).item())
    assert S.ndtr(pynet.tensor([0, 1])).dtype == pynet.float32
    assert S.ndtr(pynet.tensor(0.0)).item() == 0.5 and S.ndtr(pynet.zeros(0)).shape == (0,)
    assert gc(S.ndtr, [-3.0, 0.2, 2.0])


def test_ndtr_vs_torch(need_torch):
    # float32: the rounding of x / sqrt 2 costs ~x^2 float32 ulps in the tails (as in torch)
    # torch 2.x computes (1 + erf(x / sqrt 2)) / 2, which is 0 below x ~ -8.3 (and inaccurate
    # in the whole left tail): values are compared for x >= -1 only (the left tail is checked
    # against math.erfc above); gradients everywhere.
    a = np.array([-37.0, -10.0, -1.5, -1.0, -0.1, 0.0, 0.7, 4.0, 10.0, INF, -INF, NAN])
    vs_torch(need_torch, "ndtr", a, 1e-13, 1e-13, 1e-4, 1e-4, vmask=~(a < -1))


# ------------------------------------------------------------------ erfcx

# (x, erfcx(x), erfcx'(x)) to 20 digits (mpmath, 50 digits)
ERFCX_REF = [
    (-26.5, 1.9245531624185688092e+305, -1.0200131760818414689e+307),
    (-20.0, 1.0442939379528287901e+174, -4.1771757518113151605e+175),
    (-6.5, 4466546463040817118.7, -58065104019530622544.0),
    (-1.0, 5.0089800807622834663, -11.146339328620079507),
    (0.0, 1.0, -1.1283791670955125739),
    (0.5, 0.61569034419292587487, -0.51268882290258669903),
    (3.0, 0.17900115118138995042, -0.05437226000717287138),
    (10.0, 0.056140992743822585858, -0.0055593122190608567458),
    (25.5, 0.022108108052519826561, -0.00086565641700141926575),
    (26.5, 0.021275046685371105955, -0.00080169277084395826995),
    (100.0, 0.0056416137829894329036, -0.000056410497625993184868),
    (100000.0, 5.6418958351954680777e-6, -5.6418958346312796e-11),
    (1e+200, 5.6418958354775630402e-201, 0.0),  # the derivative underflows
]


def test_erfcx_reference_values_and_grads():
    xs, ref, dref = (np.array(c) for c in zip(*ERFCX_REF))
    y, g = grad_of(S.erfcx, xs)
    rel_close(y, ref, 1e-15)
    # 2 x erfcx - 2/sqrt(pi) cancels for 0 < x < 26 (about 2 x^2 ulps), as in torch
    rel_close(g, dref, 4e-13)
    rel_close(g[xs >= 26], dref[xs >= 26], 1e-15)  # the asymptotic series' own derivative


def test_erfcx_special_values():
    y, g = grad_of(S.erfcx, [-INF, -1e300, -27.0, INF, NAN])
    assert y[:3].tolist() == [INF] * 3 and y[3] == 0 and math.isnan(y[4])
    assert g[:3].tolist() == [-INF] * 3 and g[3] == 0 and math.isnan(g[4])
    # the defining formula where it does not overflow
    for v in (-3.0, 0.7, 4.0):
        assert S.erfcx(t64([v])).item() == pytest.approx(math.exp(v * v) * math.erfc(v),
                                                         rel=1e-14)
    assert S.erfcx(pynet.tensor([1, 0])).dtype == pynet.float32
    assert S.erfcx(t64(0.0)).item() == 1.0 and S.erfcx(pynet.zeros(2, 0)).shape == (2, 0)
    assert gc(S.erfcx, [-2.0, 0.3, 5.0, 30.0, 200.0])


def test_erfcx_double_backward():
    x = t64([-1.0, 0.5, 30.0], grad=True)
    g, = pynet.autograd.grad(S.erfcx(x).sum(), [x], create_graph=True)
    g2, = pynet.autograd.grad(g.sum(), [x])
    # erfcx'' = 2 erfcx + 2 x erfcx'
    e = S.erfcx(x).detach().numpy()
    d = g.detach().numpy()
    rel_close(g2.numpy(), 2 * e + 2 * x.detach().numpy() * d, 1e-12)


def test_erfcx_vs_torch(need_torch):
    a = np.array([-26.0, -8.0, -2.0, -0.5, 0.0, 0.3, 2.0, 7.0, 25.9, 26.1, 60.0, -INF, NAN])
    vs_torch(need_torch, "erfcx", a, 1e-14, 1e-12)
    # at x = inf torch's 2 x erfcx(x) - 2/sqrt(pi) is inf * 0 = NaN; the limit is 0
    assert grad_of(S.erfcx, [INF])[1][0] == 0


# ------------------------------------------------------------------ log_ndtr

# (x, log Phi(x), phi(x) / Phi(x)); |x| >= 1e4 from the asymptotic series of Phi
LOG_NDTR_REF = [
    (-100000.0, -5000000012.4318639983, 100000.00001),
    (-10000.0, -50000010.129278915181, 10000.000099999998),
    (-100.0, -5005.5242086942050886, 100.00999800099926071),
    (-38.0, -726.5572160188201301, 38.026279466575868988),
    (-20.0, -203.91715537109726394, 20.049753068527850542),
    (-5.0, -15.064998393988725736, 5.1865039671258421156),
    (-1.0, -1.8410216450092635058, 1.5251352761609812091),
    (0.0, -0.69314718055994530942, 0.79788456080286535588),
    (2.0, -0.023012909328963488465, 0.055247862678989959102),
    (8.0, -6.2209605742717860585e-16, 5.0522710835368954309e-15),
]


def test_log_ndtr_reference_values_and_grads():
    xs, ref, dref = (np.array(c) for c in zip(*LOG_NDTR_REF))
    y, g = grad_of(S.log_ndtr, xs)
    # x > 0: log Phi = log1p(-erfc(x / sqrt 2) / 2), where the rounding of x / sqrt 2 costs
    # ~x^2 ulps of the (tiny) result, as in torch
    rel_close(y[xs <= 2], ref[xs <= 2], 2e-15)
    rel_close(y[xs > 2], ref[xs > 2], 1e-14)
    rel_close(g, dref, 2e-15)


def test_log_ndtr_tails_and_special_values():
    # far left tail: log Phi(x) ~ -x^2/2 - log(-x sqrt(2 pi)), gradient ~ -x - 1/x, finite
    y, g = grad_of(S.log_ndtr, [-1e150, -1e300, -INF, INF, NAN])
    assert y[0] == pytest.approx(-5e299, rel=1e-14) and g[0] == pytest.approx(1e150, rel=1e-14)
    assert y[1] == -INF and g[1] == pytest.approx(1e300, rel=1e-14)
    assert y[2] == -INF and g[2] == INF
    assert y[3] == 0 and g[3] == 0 and math.isnan(y[4]) and math.isnan(g[4])
    # moderate x against the math module
    for v in (-3.0, -0.5, 0.4, 2.5):
        assert S.log_ndtr(t64([v])).item() == pytest.approx(
            math.log(0.5 * math.erfc(-v / math.sqrt(2))), rel=1e-14)
    assert S.log_ndtr(pynet.tensor([1, 0])).dtype == pynet.float32
    assert S.log_ndtr(t64(0.0)).shape == () and S.log_ndtr(pynet.zeros(0)).shape == (0,)
    assert gc(S.log_ndtr, [-50.0, -3.0, -1.0, -0.999, 0.5, 6.0])


def test_log_ndtr_double_backward():
    x = t64([-30.0, -2.0, 0.5], grad=True)
    g, = pynet.autograd.grad(S.log_ndtr(x).sum(), [x], create_graph=True)
    g2, = pynet.autograd.grad(g.sum(), [x])
    # (phi/Phi)' = -(phi/Phi) (x + phi/Phi)
    d, xv = g.detach().numpy(), x.detach().numpy()
    rel_close(g2.numpy(), -d * (xv + d), 1e-10)


def test_log_ndtr_vs_torch(need_torch):
    a = np.concatenate([-np.logspace(4, -3, 40), np.linspace(0, 10, 15), [-1.0, NAN]])
    # torch's gradient exp(-(log Phi + x^2/2)) / sqrt(2 pi) loses ~x^2 ulps in the left tail:
    # compare where it is accurate (x >= -30); the far tail is checked against references
    vs_torch(need_torch, "log_ndtr", a, 1e-14, 1e-12, gmask=a >= -30)
    vs_torch(need_torch, "log_ndtr", a[a < -30], 1e-14, 1e-7)


# ------------------------------------------------------------------ ndtri

# (p, ndtri(p), 1 / phi(ndtri(p))), p the float64 nearest the literal
NDTRI_REF = [
    (1e-300, -37.047096299361199237, 2.6973044650426119799e+298),
    (1e-20, -9.2623400897984075796, 10674725333013998622.0),
    (0.001, -3.0902323061678135354, 296.99235158923112828),
    (0.1, -1.2815515655446004353, 5.698059856117003872),
    (0.3, -0.52440051270804081597, 2.8761036592642923801),
    (0.5, 0.0, 2.5066282746310005024),
    (0.9, 1.2815515655446005935, 5.6980598561170050269),
    (0.999999, 4.7534243088170877657, 202088.27038355489025),
]


def test_ndtri_reference_values_and_grads():
    ps, ref, dref = (np.array(c) for c in zip(*NDTRI_REF))
    y, g = grad_of(S.ndtri, ps)
    rel_close(y, ref, 1e-15)
    rel_close(g, dref, 1e-15)


def test_ndtri_special_values_and_roundtrip():
    y, g = grad_of(S.ndtri, [0.0, 1.0, -0.1, 1.5, NAN])
    assert y[0] == -INF and y[1] == INF and np.isnan(y[2:]).all()
    assert g[0] == INF and g[1] == INF and np.isnan(g[2:]).all()
    ps = np.array([5e-324, 1e-200, 1e-7, 0.02, 0.2499, 0.25, 0.5 + 1e-12, 0.75, 0.7501, 0.98])
    x = S.ndtri(t64(ps))
    # Phi(Phi^-1(p)) = p, also for tiny p (up to ndtr's own ~x^2 ulps)
    rel_close(S.ndtr(x).numpy()[:-1], ps[:-1], 1e-12)
    # small p - 1/2: x ~ sqrt(2 pi) (p - 1/2), with full relative accuracy
    assert x[6].item() == pytest.approx(math.sqrt(2 * math.pi) * 1e-12, rel=1e-4)
    assert S.ndtri(pynet.tensor([0, 1])).tolist() == [-INF, INF]
    assert S.ndtri(pynet.tensor([0, 1])).dtype == pynet.float32
    assert S.ndtri(t64(0.5)).item() == 0 and S.ndtri(pynet.zeros(0)).shape == (0,)
    assert gc(S.ndtri, [0.002, 0.03, 0.4, 0.5, 0.8, 0.999])


def test_ndtri_double_backward():
    p = t64([1e-8, 0.3, 0.9], grad=True)
    g, = pynet.autograd.grad(S.ndtri(p).sum(), [p], create_graph=True)
    g2, = pynet.autograd.grad(g.sum(), [p])
    # d/dp (1/phi(x)) = x / phi(x)^2
    x = S.ndtri(p).detach().numpy()
    rel_close(g2.numpy(), x * g.detach().numpy() ** 2, 1e-12)


def test_ndtri_vs_torch(need_torch):
    a = np.concatenate([np.logspace(-300, -1, 25), np.linspace(0.1, 0.9, 17),
                        1 - np.logspace(-15, -1, 10), [0.0, 1.0, -0.5, 2.0, NAN]])
    # torch's gradient sqrt(2 pi) exp(x^2 / 2) carries ~x^2 ulps of x's rounding
    vs_torch(need_torch, "ndtri", a, 1e-14, 1e-12, 1e-6, 1e-5)


def test_double_backward_vs_torch(need_torch):
    torch = need_torch
    for name, a in (("erfcx", [-1.5, 0.5, 3.0]), ("log_ndtr", [-20.0, -1.5, 0.5]),
                    ("ndtri", [0.01, 0.3, 0.9]), ("entr", [0.3, 2.0])):
        x, tx = t64(a, grad=True), torch.tensor(a, dtype=torch.float64, requires_grad=True)
        g, = pynet.autograd.grad(getattr(S, name)(x).sum(), [x], create_graph=True)
        tg, = torch.autograd.grad(getattr(torch.special, name)(tx).sum(), [tx],
                                  create_graph=True)
        g2, = pynet.autograd.grad(g.sum(), [x])
        tg2, = torch.autograd.grad(tg.sum(), [tx])
        rel_close(g2.numpy(), tg2.numpy(), 1e-10)
