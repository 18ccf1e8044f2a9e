"""The elementwise functions computed in double (asin, acos, sinh, cosh, asinh, acosh,
atanh, exp2, lgamma, digamma, polygamma, erfinv), fmod and hypot, and the diagonal view.

float64 results are compared with NumPy / the math module (always run) and with PyTorch
(skipped per test without it); float32 results must be the float64 reference rounded once
(within 1 ulp: libm's double result rounds to the float nearest the true value but in
double-rounding cases). digamma, polygamma and erfinv have no NumPy counterpart: they
are checked by identities (recurrences, reflection, erf(erfinv(y)) = y) and known values,
and against PyTorch's float64 results. Gradients by gradcheck in float64, to second order.
"""
import math

import numpy as np
import pytest

import pynet
from pynet.autograd import gradcheck

from conftest import LAYOUTS, check, expected_exc, laid_out, torch

F64 = pynet.float64
EULER = 0.57721566490153286061

# name -> (NumPy's function or None, a float64 sample of the domain)
RNG = np.random.default_rng(0)
UNIT = RNG.uniform(-0.999, 0.999, (5, 7))
WIDE = RNG.uniform(-20, 20, (5, 7))
GAMMA = np.concatenate([RNG.uniform(-9.9, 20, 30), RNG.uniform(1e-4, 0.1, 5)]).reshape(5, 7)
OPS = {
    "asin": (np.arcsin, UNIT),
    "acos": (np.arccos, UNIT),
    "sinh": (np.sinh, WIDE),
    "cosh": (np.cosh, WIDE),
    "asinh": (np.arcsinh, WIDE * 100),
    "acosh": (np.arccosh, np.abs(WIDE) + 1.0001),
    "atanh": (np.arctanh, UNIT),
    "exp2": (np.exp2, WIDE * 5),
    "lgamma": (np.vectorize(math.lgamma), GAMMA),
    "digamma": (None, GAMMA),
    "erfinv": (None, UNIT),
}
# where each op's derivative is smooth (gradcheck's finite differences)
GRAD_INPUTS = {
    "asin": UNIT[:2, :3] * 0.9, "acos": UNIT[:2, :3] * 0.9, "sinh": WIDE[:2, :3] / 5,
    "cosh": WIDE[:2, :3] / 5, "asinh": WIDE[:2, :3], "acosh": np.abs(WIDE[:2, :3]) + 1.5,
    "atanh": UNIT[:2, :3] * 0.9, "exp2": WIDE[:2, :3] / 5, "lgamma": np.abs(GAMMA[:2, :3]) + 0.5,
    "digamma": np.abs(GAMMA[:2, :3]) + 0.5, "erfinv": UNIT[:2, :3] * 0.9,
}


def ulps32(got, want64):
    """|got - want| in float32 ulps of want (NaN where both are NaN or equal infinities)."""
    want = want64.astype(np.float32)
    same = (got == want) | (np.isnan(got) & np.isnan(want))
    spacing = np.spacing(np.abs(want).astype(np.float32))
    return np.where(same, 0.0, np.abs(got.astype(np.float64) - want64) / spacing)


def digamma_ref(x):
    """digamma by the recurrence and the asymptotic series, in Python floats (x > 0)."""
    acc = 0.0
    while x < 20:
        acc -= 1 / x
        x += 1
    z = 1 / (x * x)
    return acc + math.log(x) - 0.5 / x - z * (1 / 12 - z * (1 / 120 - z * (1 / 252 - z / 240)))


# ------------------------------------------------------------------ values ----

@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("name", [n for n, (f, _) in OPS.items() if f is not None])
def test_float64_matches_numpy(name, layout):
    ref, a = OPS[name]
    got = getattr(laid_out(a, layout), name)()
    check(got, ref(a), rtol=4e-16 if name != "lgamma" else 1e-14)


@pytest.mark.parametrize("name", list(OPS))
def test_float32_is_the_double_result_rounded(name):
    a = OPS[name][1].astype(np.float32)
    want = getattr(pynet.tensor(a.astype(np.float64)), name)().numpy()
    got = getattr(pynet.tensor(a), name)()
    assert got.dtype == pynet.float32
    assert ulps32(got.numpy(), want).max() <= 1.0


@pytest.mark.parametrize("name", list(OPS))
@pytest.mark.parametrize("dtype", ["int64", "bool"])
def test_integer_and_bool_inputs_give_float32(name, dtype):
    a = np.array([[0, 1], [1, 0]]) if dtype == "bool" else np.array([[0, 1], [2, 3]])
    a = a.astype(dtype)
    got = getattr(pynet.tensor(a), name)()
    want = getattr(pynet.tensor(a.astype(np.float32)), name)()
    check(got, want.numpy(), rtol=0)


@pytest.mark.parametrize("name", list(OPS))
def test_matches_torch_float64_with_special_values(name, need_torch):
    a = np.concatenate([OPS[name][1].ravel(),
                        [0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.0, 2.0, -2.0, -2.5, 1e-300]])
    got = getattr(pynet.tensor(a), name)()
    want = getattr(torch.tensor(a), name)()
    # torch's digamma is Cephes' (1e-13 relative near its root and the poles' neighbours)
    check(got, want, rtol=1e-12 if name in ("digamma", "lgamma") else 4e-16)


def test_digamma_identities_and_known_values():
    x = np.array([1.0, 0.5, 2.0, 0.25, 7.5, 33.0, 1e-8, 1e6])
    d = pynet.tensor(x).digamma().numpy()
    assert d[0] == pytest.approx(-EULER, rel=1e-15)
    assert d[1] == pytest.approx(-EULER - 2 * math.log(2), rel=1e-15)
    assert d[2] == pytest.approx(1 - EULER, rel=1e-15)
    assert d[3] == pytest.approx(-EULER - math.pi / 2 - 3 * math.log(2), rel=1e-15)
    for v, got in zip(x[4:], d[4:]):
        assert got == pytest.approx(digamma_ref(float(v)), rel=1e-14)
    # recurrence psi(x + 1) = psi(x) + 1 / x, and reflection psi(1 - x) - psi(x) = pi cot(pi x)
    y = np.linspace(-7.3, 9.1, 40)
    y = y[np.abs(y - np.round(y)) > 0.05]
    p0, p1 = pynet.tensor(y).digamma().numpy(), pynet.tensor(y + 1).digamma().numpy()
    np.testing.assert_allclose(p1 - p0, 1 / y, rtol=1e-12, atol=1e-13)
    q = pynet.tensor(1 - y).digamma().numpy()
    np.testing.assert_allclose(q - p0, math.pi / np.tan(math.pi * y), rtol=1e-11, atol=1e-12)


def test_digamma_poles_and_infinities():
    got = pynet.tensor([0.0, -0.0, -1.0, -7.0, np.inf, -np.inf, np.nan]).digamma().tolist()
    assert got[:2] == [-np.inf, np.inf]
    assert all(math.isnan(v) for v in got[2:4]) and got[4] == np.inf
    assert math.isnan(got[5]) and math.isnan(got[6])


def test_polygamma_known_values_and_recurrence():
    zeta3 = 1.2020569031595942854
    one = pynet.tensor([1.0], dtype=F64)
    assert one.polygamma(1).item() == pytest.approx(math.pi ** 2 / 6, rel=1e-15)
    assert one.polygamma(2).item() == pytest.approx(-2 * zeta3, rel=1e-15)
    assert one.polygamma(3).item() == pytest.approx(math.pi ** 4 / 15, rel=1e-15)
    assert one.polygamma(0).item() == pytest.approx(-EULER, rel=1e-15)
    # psi_n(x + 1) = psi_n(x) + (-1)^n n! / x^(n + 1), for x of both signs
    x = np.array([0.3, 1.7, 4.2, 12.5, 80.0, -0.4, -3.6, -11.2])
    for n in (1, 2, 3, 6):
        p0 = pynet.tensor(x).polygamma(n).numpy()
        p1 = pynet.tensor(x + 1).polygamma(n).numpy()
        step = (-1) ** n * math.factorial(n) / x ** (n + 1)
        np.testing.assert_allclose(p1 - p0, step, rtol=1e-11, atol=1e-12 * np.abs(p0).max())


def test_polygamma_special_values_and_errors():
    x = pynet.tensor([0.0, -0.0, -2.0, np.inf, -np.inf, np.nan])
    for n, pole in ((1, np.inf), (2, -np.inf), (3, np.inf)):
        got = x.polygamma(n).tolist()
        assert got[:3] == [pole] * 3 and got[3] == 0.0
        assert math.isnan(got[4]) and math.isnan(got[5])
    with pytest.raises(RuntimeError, match="negative n"):
        x.polygamma(-1)
    with pytest.raises(TypeError):
        x.polygamma(1.5)
    assert pynet.tensor([1, 2]).polygamma(1).dtype == pynet.float32


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_polygamma_matches_torch(n, need_torch):
    a = np.concatenate([GAMMA.ravel(), [0.5, 3.0, 50.0, 1e-3, 1e4]])
    got = pynet.tensor(a).polygamma(n)
    # torch's trigamma (n = 1) uses a short asymptotic series: 1e-9 relative
    check(got, torch.polygamma(n, torch.tensor(a)), rtol=1e-8 if n == 1 else 1e-12)
    got32 = pynet.tensor(a.astype(np.float32)).polygamma(n).numpy()
    want = torch.polygamma(n, torch.tensor(a.astype(np.float32).astype(np.float64))).numpy()
    assert ulps32(got32, want).max() <= 2.0


def test_erfinv_inverts_erf():
    y = np.concatenate([np.linspace(-0.9999, 0.9999, 201), [1e-300, -1e-20, 0.5, 1 - 2 ** -52,
                                                             -(1 - 2 ** -40)]])
    x = pynet.tensor(y).erfinv().numpy()
    back = np.array([math.erf(v) for v in x])
    np.testing.assert_allclose(back, y, rtol=4e-16, atol=0)
    # near +-1, through erfc: 1 - y recovered to the last digits
    tail = y[np.abs(y) > 0.9]
    got = np.array([math.erfc(abs(v)) for v in pynet.tensor(tail).erfinv().numpy()])
    np.testing.assert_allclose(got, 1 - np.abs(tail), rtol=1e-13)
    special = pynet.tensor([0.0, -0.0, 1.0, -1.0, 1.5, -2.0, np.nan]).erfinv().tolist()
    assert special[:4] == [0.0, 0.0, np.inf, -np.inf] and math.copysign(1, special[1]) == -1
    assert all(math.isnan(v) for v in special[4:])


def test_lgamma_poles_and_sign():
    got = pynet.tensor([0.0, -1.0, -2.0, np.inf, -np.inf, 1.0, 2.0, -2.5], dtype=F64).lgamma().tolist()
    assert got[:5] == [np.inf] * 5 and got[5:7] == [0.0, 0.0]
    assert got[7] == pytest.approx(math.lgamma(-2.5), rel=1e-15)


@pytest.mark.parametrize("name", list(OPS))
def test_inplace_forms(name):
    a = OPS[name][1]
    x = pynet.tensor(a)
    y = getattr(x, name)()
    assert getattr(x, name + "_")() is x
    check(x, y.numpy(), rtol=0)
    with pytest.raises(RuntimeError, match="can't be cast"):
        getattr(pynet.tensor([1, 2]), name + "_")()
    p = pynet.tensor([0.5, 1.5], dtype=F64)
    assert p.polygamma_(1) is p
    assert p[0].item() == pytest.approx(math.pi ** 2 / 2, rel=1e-15)


# --------------------------------------------------------------- gradients ----

@pytest.mark.parametrize("name", list(OPS))
def test_gradcheck_second_order(name):
    x = pynet.tensor(GRAD_INPUTS[name], requires_grad=True)
    fn = lambda t: getattr(t, name)()  # noqa: E731
    assert gradcheck(fn, (x,))
    v = pynet.tensor(RNG.standard_normal(x.shape), requires_grad=True)

    def first(a, g):
        with pynet.enable_grad():
            return pynet.autograd.grad(fn(a), [a], g, create_graph=True)
    assert gradcheck(first, (x, v))


def grad_of(fn):
    """t -> d(sum fn(t))/dt as a differentiable function (for second-order gradcheck)."""
    def first(t):
        with pynet.enable_grad():
            return pynet.autograd.grad(fn(t).sum(), [t], create_graph=True)[0]
    return first


def test_polygamma_gradcheck_second_order():
    x = pynet.tensor(np.abs(GAMMA[:2, :3]) + 0.5, requires_grad=True)
    for n in (0, 1, 2):
        assert gradcheck(lambda t: t.polygamma(n), (x,))
        assert gradcheck(grad_of(lambda t: t.polygamma(n)), (x,))


@pytest.mark.parametrize("name", list(OPS))
def test_gradients_and_nodes_match_torch(name, need_torch):
    a = GRAD_INPUTS[name]
    g = RNG.standard_normal(a.shape)
    x, xt = pynet.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    y, yt = getattr(x, name)(), getattr(xt, name)()
    assert y.grad_fn.name() == yt.grad_fn.name()
    y.backward(pynet.tensor(g))
    yt.backward(torch.tensor(g))
    # digamma's derivative is trigamma, PyTorch's within 1e-9 (a short asymptotic series)
    check(x.grad, xt.grad, rtol=1e-9 if name == "digamma" else 1e-12)


# ------------------------------------------------------------ fmod, hypot ----

def test_fmod_matches_numpy():
    a = RNG.uniform(-50, 50, (4, 6))
    b = RNG.uniform(-7, 7, (6,))
    check(pynet.tensor(a).fmod(pynet.tensor(b)), np.fmod(a, b), rtol=0)
    check(pynet.tensor(a.astype(np.float32)).fmod(2.5),
          np.fmod(a.astype(np.float32), np.float32(2.5)), rtol=0)
    check(laid_out(a, "transposed").fmod(-3.0), np.fmod(a, -3.0), rtol=0)
    i = RNG.integers(-100, 100, (3, 5))
    j = RNG.integers(1, 9, (3, 5)) * RNG.choice([-1, 1], (3, 5))
    check(pynet.tensor(i).fmod(pynet.tensor(j)), np.fmod(i, j))
    check(pynet.tensor(i).fmod(2.5), np.fmod(i, 2.5).astype(np.float32), rtol=1e-6)
    big = pynet.tensor([np.iinfo(np.int64).min, 7])
    assert big.fmod(-1).tolist() == [0, 0]
    special = pynet.tensor([5.0, -5.0, np.inf, 3.0, -0.0]).fmod(
        pynet.tensor([0.0, np.inf, 2.0, np.nan, 2.0])).tolist()
    assert math.isnan(special[0]) and special[1] == -5.0 and math.isnan(special[2])
    assert math.isnan(special[3]) and math.copysign(1, special[4]) == -1


def test_fmod_errors_and_inplace():
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        pynet.tensor([3, 4]).fmod(pynet.tensor([1, 0]))
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        pynet.tensor([3, 4]).fmod(0)
    with pytest.raises(RuntimeError, match="not implemented"):
        pynet.tensor([True]).fmod(pynet.tensor([True]))
    x = pynet.tensor([7.5, -7.5])
    assert x.fmod_(2) is x and x.tolist() == [1.5, -1.5]


def test_fmod_gradients():
    a = pynet.tensor(RNG.uniform(-5, 5, (3, 4)), requires_grad=True)
    b = pynet.tensor(RNG.uniform(0.7, 2, (4,)), requires_grad=True)
    assert gradcheck(lambda x, y: x.fmod(y), (a, b))
    assert a.fmod(b).grad_fn.name() == "FmodBackward1"
    assert a.fmod(2.0).grad_fn.name() == "FmodBackward0"
    g = pynet.autograd.grad(a.fmod(1.5).sum(), [a])[0]
    assert g.tolist() == np.ones((3, 4)).tolist()


def test_hypot_matches_numpy_without_overflow():
    a = np.array([3.0, 1e300, 1e-300, -5.0, np.inf, np.nan, 0.0])
    b = np.array([4.0, 1e300, 1e-300, 12.0, np.nan, np.inf, -0.0])
    check(pynet.tensor(a).hypot(pynet.tensor(b)), np.hypot(a, b), rtol=2e-16)
    f, h = np.array([2e38, 1e-40, 3.0], np.float32), np.array([1e38, 1e-40, 4.0], np.float32)
    check(pynet.tensor(f).hypot(pynet.tensor(h)), np.hypot(f, h), rtol=1e-7)  # squares overflow
    m = RNG.standard_normal((3, 4))
    check(laid_out(m, "stepped").hypot(pynet.tensor(m[0])), np.hypot(m, m[0]), rtol=2e-16)


def test_hypot_errors_and_gradients():
    with pytest.raises(TypeError, match="must be Tensor"):
        pynet.tensor([1.0]).hypot(2.0)
    with pytest.raises(RuntimeError, match="not implemented"):
        pynet.tensor([1, 2]).hypot(pynet.tensor([1, 2]))
    a = pynet.tensor(RNG.standard_normal((3, 4)), requires_grad=True)
    b = pynet.tensor(RNG.standard_normal((4,)), requires_grad=True)
    assert gradcheck(lambda x, y: x.hypot(y), (a, b))
    assert a.hypot(b).grad_fn.name() == "HypotBackward0"


def test_fmod_hypot_match_torch(need_torch):
    a, b = RNG.uniform(-9, 9, (3, 4)), RNG.uniform(-3, 3, (3, 4))
    for name in ("fmod", "hypot"):
        x, y = pynet.tensor(a, requires_grad=True), pynet.tensor(b, requires_grad=True)
        xt, yt = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
        getattr(x, name)(y).sum().backward()
        getattr(xt, name)(yt).sum().backward()
        check(getattr(x.detach(), name)(y.detach()), getattr(xt, name)(yt), rtol=2e-16)
        check(x.grad, xt.grad, rtol=1e-14)
        check(y.grad, yt.grad, rtol=1e-14)
    for bad in (lambda L: L.tensor([1, 2]).hypot(L.tensor([1, 2])),
                lambda L: L.tensor([1, 2]).fmod(0)):
        with pytest.raises(Exception) as te:
            bad(torch)
        with pytest.raises(expected_exc(te.type)):
            bad(pynet)


# --------------------------------------------------------------- diagonal ----

@pytest.mark.parametrize("offset", [-4, -1, 0, 2, 5, 9])
@pytest.mark.parametrize("dims", [(0, 1), (1, 0), (0, 2), (2, 1), (-1, -3)])
@pytest.mark.parametrize("layout", ["contiguous", "transposed", "offset"])
def test_diagonal_matches_numpy(offset, dims, layout):
    a = np.arange(3 * 4 * 6, dtype=np.float64).reshape(3, 4, 6)
    x = pynet.tensor(a)
    if layout == "transposed":
        x = pynet.tensor(np.ascontiguousarray(a.transpose(2, 1, 0))).permute(2, 1, 0)
    elif layout == "offset":
        big = np.zeros((4, 4, 6))
        big[1:] = a
        x = pynet.tensor(big)[1:]
    got = x.diagonal(offset, *dims)
    check(got, np.diagonal(a, offset, *dims), rtol=0)
    if got.numel():  # a view: writes go through
        got.fill_(-1.0)
        assert (np.diagonal(x.numpy(), offset, *dims) == -1).all()


def test_diagonal_keywords_dtypes_and_errors():
    a = np.arange(12).reshape(3, 4)
    check(pynet.tensor(a).diagonal(dim1=1, dim2=0, offset=-1), np.diagonal(a, -1, 1, 0))
    check(pynet.tensor(a > 4).diagonal(1), np.diagonal(a > 4, 1))
    with pytest.raises(IndexError):
        pynet.tensor([1.0, 2.0]).diagonal()
    with pytest.raises(RuntimeError, match="cannot be identical"):
        pynet.tensor(a).diagonal(0, 1, -1)
    with pytest.raises(TypeError):
        pynet.tensor(a).diagonal(0.5)


def test_diagonal_gradients():
    x = pynet.tensor(RNG.standard_normal((3, 4, 2)), requires_grad=True)
    for args in ((0, 0, 1), (1, 0, 1), (-2, 1, 0), (0, 2, 0)):
        fn = lambda t: t.diagonal(*args) ** 2  # noqa: E731
        assert gradcheck(fn, (x,))
        assert gradcheck(grad_of(fn), (x,))
    y = x.diagonal(1)
    assert y.grad_fn.name() == "DiagonalBackward0"
    y.sum().backward()
    want = np.zeros((3, 4, 2))
    for i in range(3):
        want[i, i + 1] = 1
    check(x.grad, want, rtol=0)


# ------------------------------------------------------------------ unfold ----

@pytest.mark.parametrize("dim,size,step", [(0, 2, 1), (1, 3, 2), (-1, 1, 3), (1, 7, 1),
                                           (0, 0, 1), (1, 2, 5)])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_unfold_matches_sliding_windows(dim, size, step, layout):
    a = np.arange(4 * 7 * 3, dtype=np.float64).reshape(4, 7, 3)
    x = laid_out(a, layout)
    got = x.unfold(dim, size, step)
    ax = dim % 3
    want = np.lib.stride_tricks.sliding_window_view(a, size, axis=ax)
    want = want[(slice(None),) * ax + (slice(None, None, step),)]
    check(got, np.ascontiguousarray(want), rtol=0)
    if got.numel():  # a view: writes go through
        got.fill_(-1.0)
        assert (x.numpy() == -1).sum() > 0


def test_unfold_gradients_errors_and_0d():
    x = pynet.tensor(RNG.standard_normal((3, 6)), requires_grad=True)
    for args in ((1, 3, 1), (1, 2, 2), (0, 2, 1), (1, 4, 3)):
        fn = lambda t: t.unfold(*args) ** 2  # noqa: E731
        assert gradcheck(fn, (x,))
        assert gradcheck(grad_of(fn), (x,))
    y = pynet.arange(6.0, requires_grad=True)
    z = y.unfold(0, 3, 1)
    assert z.grad_fn.name() == "UnfoldBackward0"
    z.sum().backward()
    assert y.grad.tolist() == [1, 2, 3, 3, 2, 1]  # each element counted once per window
    assert pynet.tensor(3.0).unfold(0, 1, 1).tolist() == [3.0]
    with pytest.raises(RuntimeError, match="maximum size"):
        pynet.arange(5.0).unfold(0, 6, 1)
    with pytest.raises(RuntimeError, match="step"):
        pynet.arange(5.0).unfold(0, 2, 0)
    with pytest.raises(IndexError):
        pynet.arange(5.0).unfold(1, 1, 1)
