"""Top-level torch.* names added to pynet: aliases of functional ops with torch's top-level
signatures, small utilities and config switches, shifts, i0, mvlgamma, renorm, histogram,
scatter_reduce / index_reduce, the *_scatter functions, gradient and the window functions.
NumPy / hand-computed references always run; comparisons with PyTorch skip without it."""
import math
import warnings

import numpy as np
import pytest

import pynet
import pynet.nn.functional as F
from conftest import check, gc, raises_like, to_np

RNG = np.random.default_rng(7)


def arr(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


# ------------------------------------------------------------- functional aliases

def test_aliases_match_functional():
    x = pynet.tensor(arr(2, 3, 6))
    w = pynet.tensor(arr(4, 3, 2, seed=1))
    check(pynet.conv1d(x, w, None, 1, 1), to_np(F.conv1d(x, w, padding=1)))
    check(pynet.max_pool1d(x, 2), to_np(F.max_pool1d(x, 2)))
    check(pynet.avg_pool1d(x, 3, 1), to_np(F.avg_pool1d(x, 3, 1)))
    check(pynet.layer_norm(x, [6]), to_np(F.layer_norm(x, [6])))
    check(pynet.selu(x), to_np(F.selu(x)))
    check(pynet.hardshrink(x, 0.7), np.where(np.abs(to_np(x)) > 0.7, to_np(x), 0.0))
    check(x.hardshrink(), np.where(np.abs(to_np(x)) > 0.5, to_np(x), 0.0))
    check(pynet.threshold(x, 0.1, 5.0), np.where(to_np(x) <= 0.1, 5.0, to_np(x)))
    check(x.prelu(pynet.tensor([0.25], dtype=pynet.float64)),
          np.where(to_np(x) > 0, to_np(x), 0.25 * to_np(x)))
    # batch_norm / instance_norm take weight and bias first and have no defaults
    wt = pynet.tensor(arr(3, seed=2))
    check(pynet.batch_norm(x, wt, None, None, None, True, 0.1, 1e-5, False),
          to_np(F.batch_norm(x, None, None, wt, None, True)))
    values, idx = pynet.adaptive_max_pool1d(x, 2)
    check(values, to_np(x).reshape(2, 3, 2, 3).max(-1))
    check(idx, to_np(x).reshape(2, 3, 2, 3).argmax(-1) + np.array([0, 3]))


def test_alias_losses_take_integer_reductions():
    x, y = pynet.tensor(arr(2, 3)), pynet.tensor(np.abs(arr(2, 3, seed=1)))
    pointwise = to_np(y) * (np.log(to_np(y)) - to_np(x))
    check(pynet.kl_div(x, y), pointwise)  # PyTorch's top-level default: no reduction
    check(pynet.kl_div(x, y, 0), pointwise)
    check(pynet.kl_div(x, y, 1), pointwise.mean())
    check(pynet.kl_div(x, y, 2), pointwise.sum())
    check(pynet.hinge_embedding_loss(x, pynet.ones(2, 3), 1.0, 2), to_np(x).sum())
    check(pynet.poisson_nll_loss(x, y, True, False, 1e-8, 1),
          (np.exp(to_np(x)) - to_np(y) * to_np(x)).mean())
    with pytest.raises(TypeError):
        pynet.kl_div(x, y, "mean")
    with pytest.raises(ValueError):
        pynet.kl_div(x, y, 3)


def test_dropout_aliases():
    x = pynet.randn(4, 5)
    assert pynet.dropout(x, 0.5, False) is x
    assert pynet.alpha_dropout(x, 0.3, False) is x
    y = x.clone()
    assert pynet.dropout_(y, 1.0, True) is y and to_np(y).tolist() == np.zeros((4, 5)).tolist()
    with pytest.raises(TypeError):
        pynet.dropout(x, 0.5)  # no defaults at the top level
    for fn in (pynet.dropout, pynet.alpha_dropout, pynet.feature_alpha_dropout,
               pynet.dropout_, pynet.alpha_dropout_, pynet.feature_alpha_dropout_):
        with pytest.raises(RuntimeError):
            fn(x.clone(), 1.5, True)
    with pytest.raises(NotImplementedError):
        pynet.rrelu(x, generator=pynet.Generator())


def test_inplace_aliases_return_input():
    for fn, ref in ((pynet.selu_, lambda a: to_np(F.selu(pynet.tensor(a)))),
                    (pynet.celu_, lambda a: np.where(a > 0, a, np.expm1(a))),
                    (lambda t: pynet.threshold_(t, 0.0, -1.0), lambda a: np.where(a <= 0, -1, a)),
                    (pynet.rrelu_, lambda a: np.where(a >= 0, a, a * (1 / 8 + 1 / 3) / 2))):
        a = arr(3, 4)
        t = pynet.tensor(a)
        assert fn(t) is t
        check(t, ref(a))


def test_aliases_match_torch(need_torch):
    torch = need_torch
    a = arr(2, 4, 6)
    x, t = pynet.tensor(a), torch.tensor(a)
    w = arr(4, 2, 3, seed=3)
    cases = [
        (lambda m, v: m.conv1d(v, m.tensor(w), None, 2, 1, 1, 2)),
        (lambda m, v: m.conv_transpose1d(v, m.tensor(w), None, 2, 1, 1)),
        (lambda m, v: m.conv2d(v.unsqueeze(0), m.tensor(arr(3, 2, 2, 2)))),
        (lambda m, v: m.max_pool2d(v, 2, (), 1)), (lambda m, v: m.max_pool1d(v, 3, 2, 1)),
        (lambda m, v: m.avg_pool1d(v, 2, [], 0, True, False)),
        (lambda m, v: m.adaptive_avg_pool1d(v, 4)), (lambda m, v: m.adaptive_max_pool1d(v, 4)[1]),
        (lambda m, v: m.group_norm(v, 2)), (lambda m, v: m.rms_norm(v, [6])),
        (lambda m, v: m.instance_norm(v, None, None, None, None, True, 0.1, 1e-5, False)),
        (lambda m, v: m.pixel_shuffle(v.reshape(1, 4, 2, 6), 2)),
        (lambda m, v: m.pixel_unshuffle(v.reshape(2, 4, 6), 2)),
        (lambda m, v: m.channel_shuffle(v.unsqueeze(-1), 2)),
        (lambda m, v: m.prelu(v, m.tensor(arr(4, seed=5)))), (lambda m, v: m.celu(v, 0.5)),
        (lambda m, v: m.rrelu(v)), (lambda m, v: m.pdist(v[0])),
        (lambda m, v: m.kl_div(v, v.exp(), 1, log_target=True)),
        (lambda m, v: m.binary_cross_entropy_with_logits(v, v.sigmoid(), None,
                                                           v[0, 0].abs().detach())),
        (lambda m, v: m.hinge_embedding_loss(v, m.ones(2, 4, 6) * -1, 0.5)),
        (lambda m, v: m.poisson_nll_loss(v.abs(), v.abs(), False, True, 1e-8, 0)),
    ]
    for fn in cases:
        xp = x.clone().requires_grad_(True)
        tp = t.clone().requires_grad_(True)
        out_p, out_t = fn(pynet, xp), fn(torch, tp)
        check(out_p, out_t.detach(), rtol=1e-6, atol=1e-9)
        if out_p.is_floating_point() and out_p.requires_grad:
            g = arr(*out_p.shape, seed=9)
            (out_p * pynet.tensor(g)).sum().backward()
            (out_t * torch.tensor(g)).sum().backward()
            check(xp.grad, tp.grad, rtol=1e-6, atol=1e-9)
    raises_like(lambda: pynet.dropout(x, -0.1, True), lambda: torch.dropout(t, -0.1, True))
    raises_like(lambda: pynet.kl_div(x, x, "sum"), lambda: torch.kl_div(t, t, "sum"))


# ------------------------------------------------------------------ small utilities

def test_predicates():
    x = pynet.tensor([1.0, 2.0])
    assert pynet.is_complex(x) is False and x.is_complex() is False
    assert pynet.is_signed(x) and pynet.tensor([1]).is_signed()
    assert not pynet.tensor([True]).is_signed()
    assert pynet.is_same_size(x, pynet.zeros(2)) and not x.is_same_size(pynet.zeros(2, 1))
    with pytest.raises(TypeError):
        pynet.is_same_size(x, [1, 2])
    assert pynet.is_storage(x) is False
    assert pynet.typename(x) == "pynet.FloatTensor"
    assert pynet.typename(3) == "int"
    assert pynet.typename(pynet.nn.Linear(1, 1)) == "pynet.nn.modules.linear.Linear"


def test_fill_values_and_gradients():
    x = pynet.tensor(arr(2, 3), requires_grad=True)
    v = pynet.tensor(1.5, dtype=pynet.float64, requires_grad=True)
    y = pynet.fill(x, v)
    check(y, np.full((2, 3), 1.5))
    (y * pynet.tensor(arr(2, 3, seed=1))).sum().backward()
    check(x.grad, np.zeros((2, 3)))
    check(v.grad, np.array(arr(2, 3, seed=1).sum()))
    check(pynet.fill(pynet.tensor([1, 2]), 2.7), np.array([2, 2]))
    with pytest.raises(RuntimeError):
        pynet.fill(x, pynet.ones(2))
    assert gc(lambda a, b: pynet.fill(a, b), arr(3), np.array(0.5))


def test_rsub():
    a, b = arr(3), arr(3, seed=1)
    check(pynet.rsub(pynet.tensor(a), pynet.tensor(b), alpha=2), b - 2 * a)
    check(pynet.rsub(pynet.tensor([1, 2]), 2.5), np.array([1.5, 0.5], np.float32))
    check(pynet.rsub(pynet.tensor([1, 2]), 5), np.array([4, 3]))
    with pytest.raises(RuntimeError):
        pynet.rsub(pynet.tensor([1, 2]), pynet.tensor([3, 4]), alpha=2.5)
    assert gc(lambda p, q: pynet.rsub(p, q, alpha=3), a, b)


def test_scalar_tensor_and_asarray():
    s = pynet.scalar_tensor(3)
    assert s.shape == () and s.dtype == pynet.float32 and s.item() == 3.0
    assert pynet.scalar_tensor(2, dtype=pynet.int64).dtype == pynet.int64
    with pytest.raises(TypeError):
        pynet.scalar_tensor([1])
    a = np.arange(3.0)
    pynet.asarray(a)[0] = 7.0  # shares the array's memory
    assert a[0] == 7.0
    pynet.asarray(a, copy=True)[1] = 7.0
    assert a[1] == 1.0
    t = pynet.asarray(a, dtype=pynet.float32)
    assert t.dtype == pynet.float32 and to_np(t).tolist() == [7.0, 1.0, 2.0]
    with pytest.raises(ValueError):
        pynet.asarray(a, dtype=pynet.float32, copy=False)
    with pytest.raises(ValueError):
        pynet.asarray([1, 2], copy=False)
    assert pynet.asarray([1, 2]).dtype == pynet.int64
    x = pynet.tensor([1.0, 2.0])
    assert pynet.asarray(x) is x
    assert pynet.asarray(x, copy=True) is not x
    assert pynet.asarray(x, dtype=pynet.float64).dtype == pynet.float64


def test_range_is_inclusive_and_warns():
    with pytest.warns(UserWarning, match="deprecated"):
        r = pynet.range(0, 1, 0.25)
    check(r, np.array([0, 0.25, 0.5, 0.75, 1.0], np.float32))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check(pynet.range(0, 3, dtype=pynet.int64), np.array([0, 1, 2, 3]))
        check(pynet.range(0.0, -1.0, -0.5), np.array([0, -0.5, -1.0], np.float32))
        check(pynet.range(0, 1, 0.3), np.array([0, 0.3, 0.6, 0.9], np.float32))
        with pytest.raises(RuntimeError):
            pynet.range(0, 1, 0)
        with pytest.raises(RuntimeError):
            pynet.range(1, 0)


def test_config_switches():
    assert pynet.is_warn_always_enabled() is False
    pynet.set_warn_always(True)
    assert pynet.is_warn_always_enabled() is True
    pynet.set_warn_always(False)
    n = pynet.get_num_interop_threads()
    pynet.set_num_interop_threads(3)
    assert pynet.get_num_interop_threads() == 3
    pynet.set_num_interop_threads(n)
    with pytest.raises(RuntimeError):
        pynet.set_num_interop_threads(0)
    assert pynet.get_default_device() == pynet.device("cpu")
    pynet.set_default_device("cpu")
    pynet.set_default_device(None)
    with pytest.raises(AssertionError):
        pynet.set_default_device("cuda")
    assert pynet.is_anomaly_enabled() is False
    pynet.set_anomaly_enabled(False)
    with pytest.raises(NotImplementedError):
        pynet.set_anomaly_enabled(True)


def test_utilities_match_torch(need_torch):
    torch = need_torch
    x = arr(4)
    check(pynet.rsub(pynet.tensor(x), 2.0, alpha=3), torch.rsub(torch.tensor(x), 2.0, alpha=3))
    check(pynet.fill(pynet.tensor(x), -2), torch.fill(torch.tensor(x), -2))
    check(pynet.scalar_tensor(True), torch.scalar_tensor(True))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check(pynet.range(-1, 2, 0.5), torch.range(-1, 2, 0.5))
    raises_like(lambda: pynet.fill(pynet.tensor(x), pynet.tensor(x)),
                lambda: torch.fill(torch.tensor(x), torch.tensor(x)))
    raises_like(lambda: pynet.scalar_tensor("a"), lambda: torch.scalar_tensor("a"))


# ----------------------------------------------------------------- shifts, i0, mvlgamma

def test_shifts():
    a = np.array([-8, -1, 1, 5, 7])
    s = np.array([1, 63, 64, -1, 2])
    x, sh = pynet.tensor(a), pynet.tensor(s)
    check(pynet.bitwise_left_shift(x, sh), np.array([-16, -(2 ** 63), 0, 0, 28]))
    check(pynet.bitwise_right_shift(x, sh), np.array([-4, -1, 0, 0, 1]))
    check(x << 2, a << 2)
    check(x >> 1, a >> 1)
    check(2 << pynet.tensor([0, 3]), np.array([2, 16]))
    check(64 >> pynet.tensor([1, 3]), np.array([32, 8]))
    check(pynet.tensor([True, False]) << 1, np.array([2, 0]))
    y = x.clone()
    y <<= 1
    check(y, a << 1)
    y >>= 2
    check(y, (a << 1) >> 2)
    with pytest.raises(NotImplementedError):
        pynet.tensor([1.5]) << 1
    with pytest.raises(NotImplementedError):
        pynet.tensor([True]) >> pynet.tensor([True])


def test_i0_values_and_gradients():
    a = np.array([0.0, 0.5, -2.0, 3.0, 20.0])
    check(pynet.i0(pynet.tensor(a)), np.i0(a), rtol=1e-12)
    check(pynet.tensor([0, 1, 2]).i0(), np.i0([0.0, 1, 2]).astype(np.float32))
    # d/dx i0 = i1 = sum_k (x/2)^(2k+1) / (k! (k+1)!)
    x = pynet.tensor(a, requires_grad=True)
    x.i0().sum().backward()
    i1 = [sum((v / 2) ** (2 * k + 1) / (math.factorial(k) * math.factorial(k + 1))
              for k in range(60)) for v in a]
    check(x.grad, np.array(i1), rtol=1e-10)
    assert gc(pynet.i0, arr(6))
    t = pynet.tensor([1.0, 2.0])
    assert pynet.i0_(t) is t
    check(t, np.i0([1.0, 2.0]).astype(np.float32))


def test_mvlgamma():
    a = np.array([1.5, 2.5, 4.0])
    ref = [3 * 2 / 4 * math.log(math.pi) + sum(math.lgamma(v - i / 2) for i in range(3))
           for v in a]
    check(pynet.mvlgamma(pynet.tensor(a), 3), np.array(ref), rtol=1e-12)
    check(pynet.tensor([3]).mvlgamma(1), np.array([math.lgamma(3)], np.float32))
    assert gc(lambda t: t.mvlgamma(2), a + 1)
    with pytest.raises(RuntimeError):
        pynet.mvlgamma(pynet.tensor(a), 0)


def test_renorm():
    a = np.array([[1.0, 2.0], [0.1, 0.1]])
    norms = np.abs(a).sum(0)
    ref = a * np.where(norms > 1.5, 1.5 / (norms + 1e-7), 1.0)
    check(pynet.renorm(pynet.tensor(a), 1, 1, 1.5), ref)
    check(pynet.tensor(np.ones((2, 3))).renorm(float("inf"), 0, 0.5), np.full((2, 3), 0.5))
    assert gc(lambda t: t.renorm(2, 0, 1.0), arr(3, 4))
    for bad in ((pynet.ones(3), 2, 0, 1.0), (pynet.ones(2, 2), 0, 0, 1.0),
                (pynet.ones(2, 2), 2, 0, -1.0), (pynet.ones(2, 2, dtype=pynet.int64), 2, 0, 1.0)):
        with pytest.raises(RuntimeError):
            pynet.renorm(*bad)


def test_math_matches_torch(need_torch):
    torch = need_torch
    a = arr(3, 4)
    for fn in (lambda m, v: m.i0(v), lambda m, v: m.mvlgamma(v.abs() + 2, 2),
               lambda m, v: m.renorm(v, 2, 1, 0.8), lambda m, v: v.renorm(3, 0, 1.0)):
        xp = pynet.tensor(a, requires_grad=True)
        xt = torch.tensor(a, requires_grad=True)
        op, ot = fn(pynet, xp), fn(torch, xt)
        check(op, ot.detach(), rtol=1e-10)
        op.sum().backward()
        ot.sum().backward()
        check(xp.grad, xt.grad, rtol=1e-8)
    s = np.array([[0, 1, 62, 63, 64, 100, -3]])
    v = np.array([[-5], [9]])
    for name in ("bitwise_left_shift", "bitwise_right_shift"):
        check(getattr(pynet, name)(pynet.tensor(v), pynet.tensor(s)),
              getattr(torch, name)(torch.tensor(v), torch.tensor(s)))
    raises_like(lambda: pynet.tensor([1.5]) << 1, lambda: torch.tensor([1.5]) << 1)
    raises_like(lambda: pynet.renorm(pynet.ones(3), 2, 0, 1.0),
                lambda: torch.renorm(torch.ones(3), 2, 0, 1.0))


# ----------------------------------------------------------------------- histogram

def test_histogram():
    a = arr(50)
    h, e = pynet.histogram(pynet.tensor(a), 7)
    rh, re_ = np.histogram(a, 7)
    check(h, rh.astype(np.float64))
    check(e, re_)
    w = np.abs(arr(50, seed=1))
    h, e = pynet.tensor(a).histogram(pynet.tensor([-1.0, 0.0, 0.5, 3.0], dtype=pynet.float64),
                                     weight=pynet.tensor(w), density=True)
    check(h, np.histogram(a, [-1, 0, 0.5, 3], weights=w, density=True)[0])
    h, e = pynet.histogram(pynet.tensor([1.0, 1.0], dtype=pynet.float32), 2)
    check(h, np.array([0.0, 2.0], np.float32))
    check(e, np.array([0.5, 1.0, 1.5], np.float32))
    out = pynet.histogram(pynet.tensor(a), 3, range=(0.0, 3.0))
    assert out.hist is out[0] and out.bin_edges is out[1]
    with pytest.raises(NotImplementedError):
        pynet.histogram(pynet.tensor([1, 2]), 2)
    with pytest.raises(RuntimeError):
        pynet.histogram(pynet.tensor(a), 0)
    with pytest.raises(RuntimeError):
        pynet.histogram(pynet.tensor(a), 2, range=(3.0, 1.0))


def test_histogram_matches_torch(need_torch):
    torch = need_torch
    a = arr(40).astype(np.float32)
    for args, kw in (((5,), {}), ((4,), {"range": (-1.0, 1.0), "density": True}),
                     ((np.array([-2.0, 0.0, 0.1, 2.0], np.float32),), {})):
        pa = tuple(pynet.tensor(v) if isinstance(v, np.ndarray) else v for v in args)
        ta = tuple(torch.tensor(v) if isinstance(v, np.ndarray) else v for v in args)
        hp, ep = pynet.histogram(pynet.tensor(a), *pa, **kw)
        ht, et = torch.histogram(torch.tensor(a), *ta, **kw)
        check(hp, ht, rtol=1e-5)
        check(ep, et, rtol=1e-5, atol=1e-6)


# -------------------------------------------------------------- scatters and reductions

REDUCES = ["sum", "prod", "mean", "amax", "amin"]


def scatter_ref(s, dim, idx, v, reduce, include_self):
    """A loop over index: the reference of scatter_reduce."""
    out = s.copy()
    groups = {}
    for pos in np.ndindex(*idx.shape):
        tgt = list(pos)
        tgt[dim] = idx[pos]
        groups.setdefault(tuple(tgt), []).append(v[pos])
    for tgt, vals in groups.items():
        vals = ([s[tgt]] if include_self else []) + vals
        fn = {"sum": np.sum, "prod": np.prod, "mean": np.mean, "amax": np.max,
              "amin": np.min}[reduce]
        out[tgt] = fn(vals)
    return out


@pytest.mark.parametrize("reduce", REDUCES)
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_values(reduce, include_self):
    s, v = arr(3, 4), arr(3, 5, seed=1)
    idx = np.random.default_rng(2).integers(0, 4, (2, 4))
    got = pynet.scatter_reduce(pynet.tensor(s), 1, pynet.tensor(idx), pynet.tensor(v), reduce,
                               include_self=include_self)
    check(got, scatter_ref(s, 1, idx, v, reduce, include_self), rtol=1e-12)
    si = np.arange(6).reshape(2, 3)
    got = pynet.tensor(si).scatter_reduce(0, pynet.tensor([[1, 1, 0]]),
                                          pynet.tensor([[4, -7, 2]]), reduce,
                                          include_self=include_self)
    ref = scatter_ref(si, 0, np.array([[1, 1, 0]]), np.array([[4, -7, 2]]), reduce,
                      include_self)
    if reduce == "mean":  # integer means round down
        cnt = 1 + int(include_self)
        ref = si.copy()
        ref[1, 0:2] = (si[1, 0:2] * include_self + [4, -7]) // cnt
        ref[0, 2] = (si[0, 2] * include_self + 2) // cnt
    check(got, ref)


@pytest.mark.parametrize("reduce", REDUCES)
def test_scatter_reduce_gradients(reduce):
    idx = pynet.tensor([[0, 1, 0], [2, 0, 1]])
    s = arr(3, 3)
    v = arr(2, 4, seed=3)
    v[0, 0] = 0.0  # a zero among prod's factors
    for inc in (True, False):
        assert gc(lambda a, b: a.scatter_reduce(0, idx, b, reduce, include_self=inc), s, v)
    # ties share amax's gradient evenly
    a = pynet.tensor([1.0, 0.0], requires_grad=True)
    b = pynet.tensor([1.0, 1.0], requires_grad=True)
    if reduce == "amax":
        a.scatter_reduce(0, pynet.tensor([0, 0]), b, "amax").sum().backward()
        check(a.grad, np.array([1 / 3, 1.0], np.float32))
        check(b.grad, np.array([1 / 3, 1 / 3], np.float32))


def test_scatter_reduce_errors():
    x = pynet.zeros(3, 4)
    with pytest.raises(RuntimeError):
        x.scatter_reduce(0, pynet.tensor([[0, 1]]), pynet.ones(1, 2), "median")
    # 'max' and 'min' are PyTorch's other names of amax and amin
    got = x.scatter_reduce(0, pynet.tensor([[0, 0]]), pynet.tensor([[2.0, -1.0]]), "max")
    np.testing.assert_array_equal(got.numpy()[0], [2.0, 0.0, 0.0, 0.0])
    got = x.scatter_reduce(0, pynet.tensor([[1, 0]]), pynet.tensor([[-3.0, -1.0]]), "min")
    np.testing.assert_array_equal(got.numpy()[:2, :2], [[0.0, -1.0], [-3.0, 0.0]])
    with pytest.raises(RuntimeError):
        x.scatter_reduce(0, pynet.tensor([[0, 5]]), pynet.ones(1, 2), "sum")
    with pytest.raises(RuntimeError):
        x.scatter_reduce(0, pynet.tensor([[0, 1]]), pynet.ones(1, 2, dtype=pynet.float64), "sum")
    with pytest.raises(RuntimeError):
        x.scatter_reduce(0, pynet.tensor([0, 1]), pynet.ones(1, 2), "sum")
    y = x.clone()
    assert y.scatter_reduce_(0, pynet.tensor([[2]]), pynet.ones(1, 1), "sum") is y
    check(y, np.pad(np.ones((1, 1), np.float32), ((2, 0), (0, 3))))


@pytest.mark.parametrize("reduce", ["prod", "mean", "amax", "amin"])
def test_index_reduce(reduce):
    s, src = arr(4, 3), arr(3, 3, seed=4)
    idx = np.array([0, 2, 0])
    for inc in (True, False):
        got = pynet.index_reduce(pynet.tensor(s), 0, pynet.tensor(idx), pynet.tensor(src),
                                 reduce, include_self=inc)
        full = np.broadcast_to(idx[:, None], (3, 3))
        check(got, scatter_ref(s, 0, full, src, reduce, inc), rtol=1e-12)
        assert gc(lambda a, b: a.index_reduce(1, pynet.tensor([1, 1, 0]), b, reduce,
                                              include_self=inc), s, arr(4, 3, seed=5))
    with pytest.raises(RuntimeError):
        pynet.tensor(s).index_reduce(0, pynet.tensor(idx), pynet.tensor(src), "sum")
    with pytest.raises(IndexError):
        pynet.tensor(s).index_reduce(0, pynet.tensor([0, 9, 1]), pynet.tensor(src), reduce)


def test_view_scatters():
    s = arr(3, 4)
    out = pynet.diagonal_scatter(pynet.tensor(s), pynet.tensor([7.0, 8.0, 9.0]), 1)
    ref = s.copy()
    ref[[0, 1, 2], [1, 2, 3]] = [7, 8, 9]
    check(out, ref)
    ref = s.copy()
    ref[:, -1] = [1, 2, 3]
    check(pynet.select_scatter(pynet.tensor(s), pynet.tensor([1.0, 2, 3]), 1, -1), ref)
    ref = s.copy()
    ref[:, 0:4:2] = 5
    check(pynet.slice_scatter(pynet.tensor(s), pynet.full((3, 2), 5.0, dtype=pynet.float64),
                              1, 0, 4, 2), ref)
    assert gc(lambda a, b: a.diagonal_scatter(b), s, arr(3))
    assert gc(lambda a, b: a.select_scatter(b, 0, 1), s, arr(4))
    assert gc(lambda a, b: a.slice_scatter(b, 0, 1), s, arr(2, 4))
    with pytest.raises(RuntimeError):
        pynet.tensor(s).diagonal_scatter(pynet.ones(2, dtype=pynet.float64))
    with pytest.raises(RuntimeError):
        pynet.tensor(s).slice_scatter(pynet.ones(3, 2, dtype=pynet.float64), 1, 0, 4, -2)


def test_scatters_match_torch(need_torch):
    torch = need_torch
    s, v = arr(4, 5), arr(4, 5, seed=6)
    idx = np.random.default_rng(3).integers(0, 5, (3, 4))
    # src of index's shape: PyTorch's backward of some modes fails for a larger src
    cases = [lambda m, a, b, i, r=r, inc=inc: a.scatter_reduce(1, i, b[:3, :4], r,
                                                               include_self=inc)
             for r in REDUCES for inc in (True, False)]
    cases += [lambda m, a, b, i: m.index_reduce(a, 0, i[0, :4] % 4, b, "amax"),
              lambda m, a, b, i: m.diagonal_scatter(a, b[0, :4], -1, 1, 0),
              lambda m, a, b, i: m.select_scatter(a, b[:, 0], 1, 2),
              lambda m, a, b, i: m.slice_scatter(a, b[1:3], 0, 1, 3)]
    for fn in cases:
        ap, bp = pynet.tensor(s, requires_grad=True), pynet.tensor(v, requires_grad=True)
        at, bt = torch.tensor(s, requires_grad=True), torch.tensor(v, requires_grad=True)
        op, ot = fn(pynet, ap, bp, pynet.tensor(idx)), fn(torch, at, bt, torch.tensor(idx))
        check(op, ot.detach(), rtol=1e-12)
        g = arr(*op.shape, seed=8)
        (op * pynet.tensor(g)).sum().backward()
        (ot * torch.tensor(g)).sum().backward()
        check(ap.grad, at.grad, rtol=1e-10)
        check(bp.grad, bt.grad, rtol=1e-10)
    raises_like(lambda: pynet.zeros(2, 2).scatter_reduce(0, pynet.tensor([[3]]), pynet.ones(1, 1),
                                                         "sum"),
                lambda: torch.zeros(2, 2).scatter_reduce(0, torch.tensor([[3]]), torch.ones(1, 1),
                                                         "sum"))


# ------------------------------------------------------------ gradient, window functions

def test_gradient_matches_numpy():
    a = arr(5, 6)
    c = np.cumsum(np.abs(arr(5, seed=1)) + 0.1)
    for kw, npargs in (({}, ()), ({"spacing": 2.0, "dim": 1}, (2.0,)),
                       ({"spacing": [pynet.tensor(c)], "dim": 0, "edge_order": 2}, (c,))):
        got = pynet.gradient(pynet.tensor(a), **kw)
        axis = kw.get("dim")
        ref = np.gradient(a, *npargs, axis=axis, edge_order=kw.get("edge_order", 1))
        ref = list(ref) if isinstance(ref, (list, tuple)) else [ref]
        assert isinstance(got, tuple) and len(got) == len(ref)
        for g, r in zip(got, ref):
            check(g, r, rtol=1e-10)
    check(pynet.gradient(pynet.tensor([1, 4, 9, 16]))[0], np.array([3, 4, 6, 7], np.float32))
    assert gc(lambda t: pynet.gradient(t, spacing=[0.5, 2.0], edge_order=2), a)
    with pytest.raises(RuntimeError):
        pynet.gradient(pynet.tensor([1.0, 2.0]), edge_order=2)
    with pytest.raises(RuntimeError):
        pynet.gradient(pynet.tensor(a), edge_order=3)
    with pytest.raises(RuntimeError):
        pynet.gradient(pynet.tensor(a), spacing=[1.0, 2.0, 3.0])


def test_gradient_matches_torch(need_torch):
    torch = need_torch
    a = arr(4, 3, 5)
    c = np.cumsum(np.abs(arr(5, seed=2)) + 0.2)
    for kw in ({}, {"edge_order": 2}, {"dim": (0, -1), "spacing": (0.5, 3.0)},
               {"dim": 2, "spacing": [c], "edge_order": 2}):
        kp = {k: [pynet.tensor(x) for x in v] if k == "spacing" and isinstance(v, list) else v
              for k, v in kw.items()}
        kt = {k: [torch.tensor(x) for x in v] if k == "spacing" and isinstance(v, list) else v
              for k, v in kw.items()}
        for gp, gt in zip(pynet.gradient(pynet.tensor(a), **kp),
                          torch.gradient(torch.tensor(a), **kt)):
            check(gp, gt, rtol=1e-10, atol=1e-12)


WINDOWS = ["hann_window", "hamming_window", "blackman_window", "bartlett_window",
           "kaiser_window"]


def test_windows_match_numpy():
    np_of = {"hann_window": np.hanning, "hamming_window": np.hamming,
             "blackman_window": np.blackman, "bartlett_window": np.bartlett,
             "kaiser_window": lambda n: np.kaiser(n, 12.0)}
    for name in WINDOWS:
        fn = getattr(pynet, name)
        for n in (2, 7):
            check(fn(n, periodic=False, dtype=pynet.float64), np_of[name](n), atol=1e-12)
            check(fn(n, dtype=pynet.float64), np_of[name](n + 1)[:n], atol=1e-12)
        check(fn(1), np.ones(1, np.float32))  # a 1-point window, periodic or not
        w = fn(4)
        assert w.dtype == pynet.float32 and tuple(w.shape) == (4,)
        assert tuple(fn(0).shape) == (0,)
        with pytest.raises(RuntimeError):
            fn(-1)
        with pytest.raises(RuntimeError):
            fn(3, dtype=pynet.int64)


def test_windows_match_torch(need_torch):
    torch = need_torch
    for name in WINDOWS:
        for n in (0, 1, 5, 8):
            for periodic in (True, False):
                check(getattr(pynet, name)(n, periodic, dtype=pynet.float64),
                      getattr(torch, name)(n, periodic, dtype=torch.float64), atol=1e-12)
    check(pynet.hamming_window(6, True, 0.5, 0.4), torch.hamming_window(6, True, 0.5, 0.4),
          rtol=1e-6)
    check(pynet.kaiser_window(6, False, 5.0), torch.kaiser_window(6, False, 5.0), rtol=1e-6)


# -------------------------------------------------------------------------- poisson

@pytest.mark.parametrize("lam", [0.7, 4.0, 37.5])
def test_poisson_distribution(lam):
    pynet.manual_seed(3)
    n = 20000
    x = to_np(pynet.poisson(pynet.full((n,), lam, dtype=pynet.float64)))
    assert (x == np.round(x)).all() and (x >= 0).all()
    ks = np.arange(int(lam + 6 * math.sqrt(lam)) + 1)
    pmf = np.exp(-lam + ks * math.log(lam) - np.array([math.lgamma(k + 1) for k in ks]))
    freq = np.bincount(x.astype(np.int64), minlength=len(ks))[:len(ks)] / n
    # each frequency within 5 standard errors of its probability
    assert (np.abs(freq - pmf) <= 5 * np.sqrt(pmf * (1 - pmf) / n) + 1e-4).all()


def test_poisson_contract():
    pynet.manual_seed(5)
    a = pynet.poisson(pynet.tensor([[0.0, 3.0], [12.0, 500.0]]))
    pynet.manual_seed(5)
    b = pynet.poisson(pynet.tensor([[0.0, 3.0], [12.0, 500.0]]))
    assert a.dtype == pynet.float32 and to_np(a).tolist() == to_np(b).tolist()
    assert to_np(a)[0, 0] == 0.0
    g1, g2 = pynet.Generator().manual_seed(2), pynet.Generator().manual_seed(2)
    r = pynet.full((50,), 20.0)
    assert to_np(pynet.poisson(r, g1)).tolist() == to_np(pynet.poisson(r, g2)).tolist()
    x = pynet.tensor([1.0, 2.0], requires_grad=True)
    pynet.poisson(x).sum().backward()
    check(x.grad, np.zeros(2, np.float32))
    with pytest.raises(RuntimeError):
        pynet.poisson(pynet.tensor([-1.0]))
    with pytest.raises(NotImplementedError):
        pynet.poisson(pynet.tensor([1]))


@pytest.mark.parametrize("n,p", [(20, 0.3), (100, 0.4), (60, 0.8), (3, 0.9)])
def test_binomial_distribution(n, p):
    pynet.manual_seed(4)
    draws = 20000
    x = to_np(pynet.binomial(pynet.full((draws,), float(n), dtype=pynet.float64),
                             pynet.full((draws,), p, dtype=pynet.float64)))
    assert (x == np.round(x)).all() and x.min() >= 0 and x.max() <= n
    ks = np.arange(n + 1)
    pmf = np.array([math.comb(n, k) * p ** k * (1 - p) ** (n - k) for k in ks])
    freq = np.bincount(x.astype(np.int64), minlength=n + 1) / draws
    assert (np.abs(freq - pmf) <= 5 * np.sqrt(pmf * (1 - pmf) / draws) + 1e-4).all()


def test_binomial_contract():
    c, pr = pynet.tensor([[0.0], [-3.0], [7.0]]), pynet.tensor([0.5, 1.0])
    out = pynet.binomial(c, pr)
    assert tuple(out.shape) == (3, 2) and out.dtype == pynet.float32
    assert to_np(out)[:2].tolist() == [[0.0, 0.0], [0.0, 0.0]] and to_np(out)[2, 1] == 7.0
    g1, g2 = pynet.Generator().manual_seed(2), pynet.Generator().manual_seed(2)
    n = pynet.full((30,), 50.0)
    assert to_np(pynet.binomial(n, n * 0 + 0.3, g1)).tolist() == \
        to_np(pynet.binomial(n, n * 0 + 0.3, g2)).tolist()
    with pytest.raises(ValueError):
        pynet.binomial(pynet.tensor([5]), pynet.tensor([0.5]))
    with pytest.raises(RuntimeError):
        pynet.binomial(pynet.tensor([5.0]), pynet.tensor([0.5], dtype=pynet.float64))


def test_random_errors_match_torch(need_torch):
    torch = need_torch
    raises_like(lambda: pynet.poisson(pynet.tensor([-1.0])),
                lambda: torch.poisson(torch.tensor([-1.0])))
    raises_like(lambda: pynet.poisson(pynet.tensor([2])), lambda: torch.poisson(torch.tensor([2])))
    raises_like(lambda: pynet.binomial(pynet.tensor([5]), pynet.tensor([0.5])),
                lambda: torch.binomial(torch.tensor([5]), torch.tensor([0.5])))
    raises_like(lambda: pynet.binomial(pynet.ones(1), pynet.ones(1, dtype=pynet.float64)),
                lambda: torch.binomial(torch.ones(1), torch.ones(1, dtype=torch.float64)))


def test_zero_dim_inputs_keep_their_shape():
    s = pynet.tensor(5.0).scatter_reduce(0, pynet.tensor(0), pynet.tensor(2.0), "sum")
    assert s.shape == () and s.item() == 7.0
    assert (pynet.tensor(5) << 1).shape == () and (pynet.tensor(5) << 1).item() == 10
    assert pynet.i0(pynet.tensor(1.0)).shape == ()
    assert pynet.poisson(pynet.tensor(3.0)).shape == ()
    assert pynet.binomial(pynet.tensor(3.0), pynet.tensor(0.5)).shape == ()


def test_i0_second_derivative_matches_torch(need_torch):
    torch = need_torch
    a = np.array([0.0, 0.5, -2.0, 3.0])
    x = pynet.tensor(a, requires_grad=True)
    (g,) = pynet.autograd.grad(x.i0().sum(), x, create_graph=True)
    (g2,) = pynet.autograd.grad(g.sum(), x)
    t = torch.tensor(a, requires_grad=True)
    (h,) = torch.autograd.grad(t.i0().sum(), t, create_graph=True)
    (h2,) = torch.autograd.grad(h.sum(), t)
    check(g2, h2, rtol=1e-10)


def test_aliases_whose_first_tensor_torch_names_otherwise():
    rng = np.random.default_rng(5)
    a, b, c = (rng.standard_normal((4, 3)) for _ in range(3))
    t = np.array([1.0, -1.0, 1.0, -1.0])
    P_ = pynet.tensor
    cos = (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    np.testing.assert_allclose(pynet.cosine_similarity(P_(a), P_(b)).numpy(), cos, rtol=1e-12)
    np.testing.assert_allclose(pynet.pairwise_distance(P_(a), P_(b)).numpy(),
                               np.linalg.norm(a - b + 1e-6, axis=1), rtol=1e-12)
    # the top-level losses reduce nothing unless asked (PyTorch 2.13's behaviour)
    np.testing.assert_allclose(
        pynet.margin_ranking_loss(P_(a[:, 0]), P_(b[:, 0]), P_(t)).numpy(),
        np.maximum(0, -t * (a[:, 0] - b[:, 0])), rtol=1e-12)
    np.testing.assert_allclose(
        pynet.cosine_embedding_loss(P_(a), P_(b), P_(t), 0.0, 2).item(),
        np.where(t > 0, 1 - cos, np.maximum(0, cos)).sum(), rtol=1e-12)
    d = lambda x, y: np.linalg.norm(x - y + 1e-6, axis=1)  # noqa: E731
    np.testing.assert_allclose(pynet.triplet_margin_loss(P_(a), P_(b), P_(c)).numpy(),
                               np.maximum(d(a, b) - d(a, c) + 1.0, 0), rtol=1e-12)
    w = rng.standard_normal((5, 3))
    np.testing.assert_array_equal(pynet.embedding(P_(w), P_([4, 0])).numpy(), w[[4, 0]])
    W = rng.standard_normal((2, 3, 3))
    np.testing.assert_allclose(pynet.bilinear(P_(a), P_(b), P_(W)).numpy(),
                               np.einsum("ni,kij,nj->nk", a, W, b), rtol=1e-12)


def test_tensor_method_aliases_and_real_valued_queries():
    x = pynet.tensor([[1.0, -2.0], [float("nan"), 0.0]])
    np.testing.assert_array_equal(x.angle().numpy(), np.float32([[0.0, np.pi], [np.nan, 0.0]]))
    assert x.real is x and not x.is_conj() and x.conj() is x and x.get_device() == -1
    assert x.nbytes == 16 and x.nelement() == 4 and x.ndimension() == 2
    with pytest.raises(RuntimeError):
        x.imag
    np.testing.assert_array_equal(x.H.numpy(), x.numpy().T)
    assert x.mH.shape == (2, 2) and x.adjoint().shape == (2, 2)
    y = pynet.tensor([3.0, 4.0])
    assert y.divide(2).tolist() == [1.5, 2.0] and y.multiply(2).tolist() == [6.0, 8.0]
    assert y.subtract(1, alpha=2).tolist() == [1.0, 2.0] and y.negative().tolist() == [-3, -4]
    assert pynet.tensor([1.0, 2.0, 3.0]).cumsum_(0).tolist() == [1.0, 3.0, 6.0]
    assert pynet.tensor([1.0, 0.0]).logical_and_(pynet.tensor([1.0, 1.0])).tolist() == [1, 0]
    assert [t.tolist() for t in y.split_with_sizes([1, 1])] == [[3.0], [4.0]]
    with pytest.raises(RuntimeError):
        y.split_with_sizes([1, 2])


def test_fill_diagonal_wraps_as_torch():
    got = pynet.zeros(7, 3).fill_diagonal_(1.0, wrap=True).numpy()
    want = np.zeros((7, 3))
    for k in range(6):  # flat positions k (ncols + 1) = 0, 4, 8, 12, 16, 20
        want.flat[k * 4] = 1
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(pynet.zeros(5, 2).fill_diagonal_(1.0).numpy(),
                                  np.eye(5, 2))
    np.testing.assert_array_equal(pynet.zeros(3, 3, 3).fill_diagonal_(2.0).numpy(),
                                  2 * (np.indices((3, 3, 3)).std(0) == 0))
    x = pynet.ones(3, 3, requires_grad=True)
    y = x * 1
    y.fill_diagonal_(0.0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), 1 - np.eye(3))
    with pytest.raises(RuntimeError):
        pynet.zeros(2, 3, 3).fill_diagonal_(1.0)
