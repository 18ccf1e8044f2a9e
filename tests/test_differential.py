"""Differential tests (issue #9, "keep it closed"): hypothesis draws shapes (0-d, 0-size,
broadcast), dtypes, layouts (contiguous, transposed, stepped, expanded, offset views) and
values (including nan, +-inf, +-0), runs an op in pynet and in PyTorch and compares the values
and the gradients. Where PyTorch's convention is deliberate (0 * inf, derivatives at 0), pynet
follows it; anything pynet does differently on purpose is listed in the README's
"Differences" section and left out here.

The default run is short; PYNET_FUZZ=long draws many more examples.
"""
import os

import numpy as np
import pytest

import pynet

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from conftest import torch  # noqa: E402  (None without PyTorch: these tests skip)

# torch warns when var/std of one element has no degrees of freedom: the nan is compared
pytestmark = pytest.mark.filterwarnings("ignore:.*degrees of freedom is <= 0:UserWarning")

LONG = os.environ.get("PYNET_FUZZ") == "long"
# Under AddressSanitizer (make asan: about 10x slower) fewer draws: that run is there to
# catch memory errors on the same code paths, which the first draws already take.
ASAN = os.environ.get("PYNET_ASAN") == "1"
SETTINGS = settings(max_examples=2000 if LONG else 12 if ASAN else 40, deadline=None,
                    derandomize=not LONG,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

SPECIAL = [0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 3.0, float("nan"), float("inf"), float("-inf")]
LAYOUTS = ["contiguous", "transposed", "stepped", "expanded", "offset"]


@st.composite
def operand(draw, ndim=None, shape=None, specials=True):
    """(numpy values, layout, dtype name): the tensor is built from them by _make."""
    if shape is None:
        ndim = draw(st.integers(0, 3)) if ndim is None else ndim
        shape = tuple(draw(st.lists(st.integers(0, 4), min_size=ndim, max_size=ndim)))
    dtype = draw(st.sampled_from(["float32", "float64"]))
    n = int(np.prod(shape))
    pool = st.sampled_from(SPECIAL) if specials else st.sampled_from(SPECIAL[:7])
    finite = st.floats(-4, 4, width=32)
    if not specials:
        # reductions: no magnitudes below 1e-15, whose squares underflow float32 in var/std
        # and whose quotients lose precision in prod's gradient (README, "Differences")
        finite = finite.filter(lambda v: v == 0 or abs(v) > 1e-15)
    vals = draw(st.lists(st.one_of(pool, finite), min_size=n, max_size=n))
    layout = draw(st.sampled_from(LAYOUTS))
    return np.array(vals, dtype=dtype).reshape(shape), layout


def _make(L, arr, layout, requires_grad=False):
    """The same values as a view of the given layout, in library L (pynet or torch); the leaf
    that requires grad is returned too (the view itself is not a leaf for most layouts)."""
    a = np.asarray(arr)
    if layout == "transposed" and a.ndim >= 2:
        leaf = L.tensor(np.ascontiguousarray(a.T), requires_grad=requires_grad)
        return leaf, leaf.permute(*reversed(range(a.ndim)))
    if layout == "stepped" and a.ndim >= 1:
        big = np.repeat(a, 2, axis=0)
        leaf = L.tensor(big, requires_grad=requires_grad)
        return leaf, leaf[::2]
    if layout == "offset" and a.ndim >= 1:
        big = np.concatenate([np.full((1,) + a.shape[1:], 7, a.dtype), a])
        leaf = L.tensor(big, requires_grad=requires_grad)
        return leaf, leaf[1:]
    if layout == "expanded" and a.ndim >= 1 and a.shape[0] > 0:
        leaf = L.tensor(np.ascontiguousarray(a[:1]), requires_grad=requires_grad)
        return leaf, leaf.expand(*a.shape)
    leaf = L.tensor(a, requires_grad=requires_grad)
    return leaf, leaf


def _np(t):
    return t.detach().numpy() if torch is not None and isinstance(t, torch.Tensor) \
        else t.detach().numpy()


def _close(got, want, dtype):
    rtol, atol = (2e-5, 1e-6) if dtype == "float32" else (1e-10, 1e-12)
    assert got.shape == want.shape, f"shape {got.shape} != {want.shape}"
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, equal_nan=True)


def _run(L, fn, operands):
    """fn's result, and the gradient of sum(result * w) for every operand's leaf."""
    made = [_make(L, a, lay, requires_grad=True) for a, lay in operands]
    out = fn(L, *[v for _, v in made])
    w = L.tensor(np.linspace(-1.0, 1.0, max(out.numel(), 1))[:out.numel()]
                 .reshape(tuple(out.shape)).astype(str(out.dtype).split(".")[-1]))
    (out * w).sum().backward()
    return _np(out), [_np(leaf.grad) if leaf.grad is not None else None for leaf, _ in made]


def _compare(fn, operands, grads=True):
    got, ggot = _run(pynet, fn, operands)
    want, gwant = _run(torch, fn, operands)
    dtype = str(np.result_type(*[a.dtype for a, _ in operands]))
    _close(got, want, dtype)
    if grads:
        for g, h in zip(ggot, gwant):
            assert (g is None) == (h is None)
            if g is not None:
                _close(g, h, dtype)


UNARY = {
    "neg": lambda L, x: -x, "abs": lambda L, x: x.abs(), "exp": lambda L, x: x.exp(),
    "log": lambda L, x: x.log(), "sqrt": lambda L, x: x.sqrt(),
    "sigmoid": lambda L, x: x.sigmoid(), "tanh": lambda L, x: x.tanh(),
    "relu": lambda L, x: x.relu(), "sin": lambda L, x: x.sin(), "cos": lambda L, x: x.cos(),
    "square": lambda L, x: x.square(), "reciprocal": lambda L, x: x.reciprocal(),
    "clamp": lambda L, x: x.clamp(-1.0, 2.0), "pow_scalar": lambda L, x: x ** 2,
    "scalar_pow": lambda L, x: 2.0 ** x,
}


@pytest.mark.parametrize("name", sorted(UNARY))
@SETTINGS
@given(op=operand())
def test_unary_matches_torch(name, op):
    if torch is None:
        pytest.skip("needs torch")
    _compare(UNARY[name], [op])


BINARY = {
    "add": lambda L, a, b: a + b, "sub": lambda L, a, b: a - b, "mul": lambda L, a, b: a * b,
    "div": lambda L, a, b: a / b, "pow": lambda L, a, b: a ** b,
    "maximum": lambda L, a, b: L.maximum(a, b), "minimum": lambda L, a, b: L.minimum(a, b),
}


@st.composite
def broadcast_pair(draw):
    a = draw(operand())
    shape = a[0].shape
    # b: a suffix of a's shape with some dims set to 1 (broadcast), same dtype
    k = draw(st.integers(0, len(shape)))
    bshape = tuple(1 if draw(st.booleans()) else s for s in shape[len(shape) - k:])
    b = draw(operand(shape=bshape))
    return a, (b[0].astype(a[0].dtype), b[1])


@pytest.mark.parametrize("name", sorted(BINARY))
@SETTINGS
@given(pair=broadcast_pair())
def test_binary_with_broadcasting_matches_torch(name, pair):
    if torch is None:
        pytest.skip("needs torch")
    _compare(BINARY[name], list(pair))


REDUCTIONS = {
    "sum": lambda L, x, d: x.sum(d), "mean": lambda L, x, d: x.mean(d),
    "amax": lambda L, x, d: x.amax(d), "var": lambda L, x, d: x.var(d),
    "std": lambda L, x, d: x.std(d), "logsumexp": lambda L, x, d: x.logsumexp(d),
    "softmax": lambda L, x, d: x.softmax(d), "log_softmax": lambda L, x, d: x.log_softmax(d),
    "prod": lambda L, x, d: x.prod(d),
}


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
@SETTINGS
@given(op=operand(ndim=2, specials=False), data=st.data())
def test_reduction_over_a_dim_matches_torch(name, op, data):
    if torch is None:
        pytest.skip("needs torch")
    arr, _ = op
    if name in ("amax", "logsumexp", "softmax", "log_softmax", "prod") and 0 in arr.shape:
        return  # reductions of nothing: errors or conventions covered in test_tensor_ops
    dim = data.draw(st.integers(-2, 1))
    grads = name != "amax"
    if name == "std":
        # std's gradient (x - mean) / ((n - 1) std) is rounding noise over noise where a slice
        # is constant up to rounding: PyTorch's and pynet's forward roundings differ there
        vals = _make(pynet, *op)[1].numpy().astype(np.float64)
        with np.errstate(all="ignore"):
            spread = np.std(vals, axis=dim) if vals.shape[dim] > 1 else np.array([])
        grads = not np.any(spread <= 1e-5 * (np.abs(vals).max(initial=0) + 1e-30))
    _compare(lambda L, x: REDUCTIONS[name](L, x, dim), [op], grads=grads)


@SETTINGS
@given(op=operand())
def test_unary_values_match_numpy_without_torch(op):
    """The forward values of the elementwise ops over every layout, checked against NumPy
    (runs without PyTorch)."""
    arr, layout = op
    _, x = _make(pynet, arr, layout)
    arr = x.numpy().copy()  # an expanded view repeats the first row: compare with what it holds
    with np.errstate(all="ignore"):
        for name, ref in [("exp", np.exp), ("neg", np.negative), ("abs", np.abs),
                          ("sqrt", np.sqrt), ("tanh", np.tanh), ("square", np.square)]:
            _close(getattr(x, name)().numpy() if name != "neg" else (-x).numpy(),
                   ref(arr).astype(arr.dtype), str(arr.dtype))
