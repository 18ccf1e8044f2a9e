"""The statistics batch: order statistics (median ... msort), NaN-aware and small reductions
(nansum ... var_mean), counting and searching (unique ... diff), statistics and distances
(cov ... dist) and the top-level cummax, cummin, logcumsumexp.

Values are compared with NumPy (always run) and with PyTorch (skipped per test without it)
over dtypes, shapes (0-size and 0-d too) and memory layouts; gradients with PyTorch's (at ties
and zero distances too) and with gradcheck in float64; errors with PyTorch's exception types.
Where PyTorch leaves the index of tied elements unspecified (median/kthvalue along a dim),
the test checks that the index points at the value instead.
"""
import math
import warnings

import numpy as np
import pytest

import pynet
from pynet.autograd import gradcheck

from conftest import LAYOUTS, check, expected_exc, laid_out, rand_np, torch

NAN, INF = math.nan, math.inf


def P(a, requires_grad=False):
    return pynet.tensor(np.array(a, copy=True), requires_grad=requires_grad)


def T(a, requires_grad=False):
    return torch.tensor(np.array(a, copy=True)).requires_grad_(requires_grad)


def same_error(pn_call, th_call):
    """pn_call raises the exception type th_call raises in PyTorch."""
    with pytest.raises(Exception) as th:
        th_call()
    with pytest.raises(expected_exc(th.type)):
        pn_call()


def grads_match(pn_fn, th_fn, *arrays, seed=0, rtol=1e-6, atol=1e-9):
    """pn_fn and th_fn (returning a tensor or a tuple whose first item is differentiated) on
    the same float arrays: the same gradients for a random upstream gradient."""
    px = [P(a, True) for a in arrays]
    tx = [T(a, True) for a in arrays]
    py, ty = pn_fn(*px), th_fn(*tx)
    if isinstance(ty, tuple):
        py, ty = py[0], ty[0]
    check(py, ty, rtol=rtol, atol=atol)
    g = np.random.default_rng(seed).standard_normal(tuple(ty.shape))
    (py * pynet.tensor(g).to(py.dtype)).sum().backward()
    (ty * torch.tensor(g).to(ty.dtype)).sum().backward()
    for p, t in zip(px, tx):
        check(p.grad, t.grad, rtol=rtol, atol=atol)


def distinct_np(shape, seed=0, dtype="float64"):
    """Values without ties (so that every index is determined)."""
    n = int(np.prod(shape))
    rng = np.random.default_rng(seed)
    return (rng.permutation(n).reshape(shape) * 0.5 - n / 4).astype(dtype)


# ----------------------------------------------------------------- scans with indices

def test_cummax_cummin_logcumsumexp_forwarders():
    a = np.array([[1.0, 3.0, 2.0, 3.0], [-1.0, -2.0, 0.0, -3.0]])
    for name, acc in (("cummax", np.maximum), ("cummin", np.minimum)):
        v, i = getattr(pynet, name)(P(a), 1)
        check(v, acc.accumulate(a, axis=1))
        assert i.dtype == pynet.int64
        np.testing.assert_array_equal(np.take_along_axis(a, i.numpy(), 1), v.numpy())
        v0, _ = getattr(pynet, name)(a.tolist(), dim=0)  # a list input is made a tensor
        check(v0, acc.accumulate(a, axis=0), dtype=False)
    check(pynet.logcumsumexp(P(a), 1), np.log(np.cumsum(np.exp(a), 1)), rtol=1e-12)
    with pytest.raises(IndexError):
        pynet.cummax(P(a), 2)


# ------------------------------------------------------------------- order statistics

@pytest.mark.parametrize("shape", [(7,), (4, 6), (3, 5, 2), (1,), ()])
@pytest.mark.parametrize("dtype", ["int64", "float32", "float64"])
def test_median_all_elements_matches_numpy_lower_median(shape, dtype):
    a = rand_np(shape, dtype, seed=len(shape))
    got = pynet.median(P(a))
    flat = np.sort(a.reshape(-1))
    check(got, flat[(flat.size - 1) // 2])
    assert got.ndim == 0
    check(P(a).nanmedian(), flat[(flat.size - 1) // 2])


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_median_along_dim_values_and_indices(layout, dim):
    a = rand_np((5, 6), "int64", seed=3, low=-2, high=2)  # many ties
    x = laid_out(a, layout)
    v, i = pynet.median(x, dim)
    m = a.shape[dim]
    check(v, np.take(np.sort(a, axis=dim), (m - 1) // 2, axis=dim))
    assert i.dtype == pynet.int64
    idx = np.expand_dims(i.numpy(), dim)
    np.testing.assert_array_equal(np.take_along_axis(a, idx, dim), np.expand_dims(v.numpy(), dim))
    vk, ik = x.median(dim, keepdim=True)
    assert tuple(vk.shape) == tuple(idx.shape)
    np.testing.assert_array_equal(ik.numpy(), idx)


def test_median_nan_and_nanmedian(need_torch):
    a = np.array([[2.0, NAN, 1.0, NAN], [3.0, 1.0, 2.0, 5.0], [NAN, NAN, NAN, NAN],
                  [NAN, 4.0, NAN, 0.0]])
    for name in ("median", "nanmedian"):
        pv, pi = getattr(pynet, name)(P(a), 1)
        tv, ti = getattr(torch, name)(T(a), 1)
        check(pv, tv)
        # median: the first NaN, as torch; nanmedian of an all-NaN row: torch's index comes
        # from std::nth_element's internals (0, 2, 3 ... by length), pynet's is the first NaN
        check(pi[:2], ti[:2])
        assert pi[2].item() == (0 if name == "nanmedian" else ti[2].item())
        check(pi[3], ti[3])
        check(getattr(pynet, name)(P(a)), getattr(torch, name)(T(a)))
        check(getattr(pynet, name)(P(a[1])), getattr(torch, name)(T(a[1])))
    check(pynet.nanmedian(P(a[3])), np.float64(0.0))  # the lower of {0, 4}
    check(pynet.median(P(np.zeros(0))), torch.median(torch.zeros(0, dtype=torch.float64)))


def test_median_gradients_match_torch(need_torch):
    tie = np.array([1.0, 2.0, 2.0, 3.0, 2.0])
    grads_match(lambda x: x.median(), lambda x: x.median(), tie)  # spread over the ties
    grads_match(lambda x: x.nanmedian(), lambda x: x.nanmedian(), np.array([1.0, NAN, 2.0]))
    grads_match(lambda x: x.median(), lambda x: x.median(), np.array([1.0, NAN, 2.0, NAN]))
    a = distinct_np((4, 5), seed=2)
    grads_match(lambda x: x.median(1), lambda x: x.median(1), a)
    grads_match(lambda x: x.median(0, True), lambda x: x.median(0, True), a)
    grads_match(lambda x: x.nanmedian(0), lambda x: x.nanmedian(0), a)
    x = P(a, True)
    assert gradcheck(lambda t: t.median(1)[0], (x,))
    assert gradcheck(lambda t: pynet.median(t), (x,))


def test_median_errors(need_torch):
    same_error(lambda: P(np.zeros((0, 3))).median(0), lambda: torch.zeros(0, 3).median(0))
    same_error(lambda: P(np.zeros(3)).median(1), lambda: torch.zeros(3).median(1))
    same_error(lambda: pynet.tensor([True]).median(), lambda: torch.tensor([True]).median())
    v, i = P(np.zeros((0, 3))).median(1)
    assert tuple(v.shape) == (0,) and tuple(i.shape) == (0,)
    v, i = pynet.tensor(3.0).median(0, keepdim=True)
    assert v.ndim == 0 and i.item() == 0


@pytest.mark.parametrize("dtype", ["int64", "float32", "float64"])
def test_kthvalue_matches_sorted_numpy(dtype):
    a = rand_np((4, 7), dtype, seed=5)
    for k in (1, 3, 7):
        v, i = pynet.kthvalue(P(a), k)
        check(v, np.sort(a, 1)[:, k - 1])
        np.testing.assert_array_equal(np.take_along_axis(a, i.numpy()[:, None], 1)[:, 0],
                                      v.numpy())
    v, i = laid_out(a, "transposed").kthvalue(2, 0, True)
    check(v, np.sort(a, 0)[1:2])
    v, i = pynet.tensor(3.0).kthvalue(1)
    assert v.item() == 3.0 and i.item() == 0 and v.ndim == 0


def test_kthvalue_torch_nan_grad_and_errors(need_torch):
    a = np.array([[3.0, NAN, 1.0, 2.0], [0.5, -1.0, 4.0, 2.5]])
    for k in (1, 2, 4):
        pv, pi = P(a).kthvalue(k, 1)
        tv, ti = T(a).kthvalue(k, 1)
        check(pv, tv)
        check(pi, ti)
    grads_match(lambda x: x.kthvalue(2, 0), lambda x: x.kthvalue(2, 0), distinct_np((5, 3)))
    assert gradcheck(lambda t: t.kthvalue(3, 1)[0], (P(distinct_np((2, 5)), True),))
    for k in (0, 5):
        same_error(lambda: P(a).kthvalue(k), lambda: T(a).kthvalue(k))
    same_error(lambda: P(a).kthvalue(1, 2), lambda: T(a).kthvalue(1, 2))
    same_error(lambda: pynet.tensor([True]).kthvalue(1), lambda: torch.tensor([True]).kthvalue(1))


@pytest.mark.parametrize("dtype", ["bool", "int64", "float64"])
def test_mode_matches_torch(need_torch, dtype):
    for seed in range(4):
        a = rand_np((5, 9), dtype, seed=seed, low=-2, high=2)
        for dim in (1, 0):
            pv, pi = P(a).mode(dim)
            tv, ti = T(a).mode(dim)
            check(pv, tv)
            check(pi, ti)  # (small slices: torch's index is the last occurrence)
    pv, pi = pynet.mode(P(np.array([2.0, 1.0, 2.0, 1.0, 1.0, 2.0])), keepdim=True)
    assert pv.tolist() == [1.0] and pi.tolist() == [4]
    v, i = pynet.tensor(2.0).mode()
    assert v.item() == 2.0 and i.item() == 0


def test_mode_grad_and_errors(need_torch):
    a = np.array([[2.0, 1.0, 2.0, 1.0, 3.0], [0.0, 0.0, 5.0, 5.0, 5.0]])
    grads_match(lambda x: x.mode(), lambda x: x.mode(), a)
    grads_match(lambda x: x.mode(0), lambda x: x.mode(0), a)
    for shape, dim in (((0,), -1), ((2, 0), 1), ((0, 2), 0)):
        same_error(lambda: P(np.zeros(shape)).mode(dim), lambda: torch.zeros(shape).mode(dim))
    v, i = P(np.zeros((2, 0))).mode(0)
    assert tuple(v.shape) == (0,)


INTERPOLATIONS = ["linear", "lower", "higher", "midpoint", "nearest"]


@pytest.mark.parametrize("interpolation", INTERPOLATIONS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_quantile_matches_numpy(interpolation, dtype):
    a = rand_np((5, 8), dtype, seed=7)
    qs = np.array([0.0, 0.1, 0.25, 0.5, 0.8, 1.0], dtype)
    method = interpolation
    for dim in (None, 0, 1):
        got = pynet.quantile(P(a), P(qs), dim=dim, interpolation=interpolation)
        ref = np.quantile(a, qs, axis=dim, method=method).astype(dtype)
        check(got, ref, rtol=1e-5 if dtype == "float32" else 1e-12, atol=1e-6)
        one = P(a).quantile(0.3, dim, keepdim=True, interpolation=interpolation)
        check(one, np.quantile(a, 0.3, axis=dim, keepdims=True, method=method).astype(dtype),
              rtol=1e-5, atol=1e-6)
    nq = pynet.nanquantile(laid_out(a, "transposed"), 0.5, 1)
    check(nq, np.median(a, 1).astype(dtype), rtol=1e-6)


def test_quantile_matches_torch_nan_shapes_and_grad(need_torch):
    a = np.array([[1.0, NAN, 3.0, 2.0], [4.0, 0.5, 2.5, 1.0], [NAN, NAN, NAN, NAN]])
    q = np.array([0.2, 0.5, 0.75])
    for fn in ("quantile", "nanquantile"):
        for interpolation in INTERPOLATIONS:
            for dim, keepdim in ((1, False), (0, True), (None, False), (None, True)):
                got = getattr(pynet, fn)(P(a), P(q), dim, keepdim, interpolation=interpolation)
                ref = getattr(torch, fn)(T(a), T(q), dim, keepdim, interpolation=interpolation)
                check(got, ref, rtol=1e-12)
            check(getattr(pynet, fn)(P(a), 0.4, 1), getattr(torch, fn)(T(a), 0.4, 1))
    x32 = rand_np((3, 4), "float32", seed=1)  # q rounded to float32 as torch
    check(pynet.quantile(P(x32), 0.3, 1), torch.quantile(T(x32), 0.3, 1), rtol=0)
    check(pynet.quantile(pynet.tensor(3.0), 0.5, 0, True), torch.quantile(torch.tensor(3.0),
                                                                          0.5, 0, True))
    check(pynet.quantile(P(x32), P(np.zeros(0, np.float32)), 1),
          torch.quantile(T(x32), T(np.zeros(0, np.float32)), 1))
    check(pynet.quantile(P(x32), P(np.float32(0.5)), 0), torch.quantile(T(x32),
                                                                        T(np.float32(0.5)), 0))
    b = rand_np((4, 5), "float64", seed=9)
    for interpolation in INTERPOLATIONS:
        grads_match(lambda x: x.quantile(P(q), 1, interpolation=interpolation),
                    lambda x: x.quantile(T(q), 1, interpolation=interpolation), b)
    grads_match(lambda x: x.quantile(0.5), lambda x: x.quantile(0.5), b)
    # the linear weights carry a gradient to q too, as in torch
    grads_match(lambda x, qq: x.quantile(qq, 1), lambda x, qq: x.quantile(qq, 1), b, q)
    grads_match(lambda x, qq: x.nanquantile(qq, 0, True), lambda x, qq: x.nanquantile(
        qq, 0, True), np.where(b > 1, NAN, b), q)
    grads_match(lambda x: x.nanquantile(0.3, 0), lambda x: x.nanquantile(0.3, 0),
                np.where(b > 1, NAN, b))
    assert gradcheck(lambda t: t.quantile(P(q), 0), (P(b, True),))


def test_quantile_errors(need_torch):
    f = np.array([1.0, 2.0])
    cases = [
        (lambda m: m.quantile(m.tensor([1, 2]), 0.5)),
        (lambda m: m.quantile(m.tensor(f), 1.5)),
        (lambda m: m.quantile(m.tensor(f), m.tensor([0.5, 1.5]))),
        (lambda m: m.quantile(m.tensor(f), m.tensor([0.5], dtype=m.float32))),
        (lambda m: m.quantile(m.tensor(f), m.tensor([[0.5]]))),
        (lambda m: m.quantile(m.zeros(0), 0.5)),
        (lambda m: m.quantile(m.zeros(2, 0), 0.5, dim=0)),
        (lambda m: m.quantile(m.tensor(f), 0.5, interpolation="foo")),
        (lambda m: m.quantile(m.tensor(f), 0.5, dim=1)),
        (lambda m: m.nanquantile(m.tensor([1, 2]), 0.5)),
    ]
    for c in cases:
        same_error(lambda: c(pynet), lambda: c(torch))


def test_msort(need_torch):
    a = rand_np((5, 3), "float64", seed=2)
    a[1, 1] = NAN
    check(pynet.msort(P(a)), torch.msort(T(a)))
    check(laid_out(a, "stepped").msort(), np.sort(a, 0))
    check(pynet.msort(pynet.tensor(2)), np.array(2))
    grads_match(pynet.msort, torch.msort, distinct_np((4, 3)))


# ------------------------------------------------------ NaN-aware and small reductions

@pytest.mark.parametrize("layout", LAYOUTS)
def test_nansum_nanmean_match_numpy(layout):
    a = rand_np((4, 5), "float64", seed=1)
    a[a > 1.5] = NAN
    a[0] = NAN
    x = laid_out(a, layout)
    check(pynet.nansum(x), np.nansum(a), rtol=1e-12)
    check(x.nansum(1, keepdim=True), np.nansum(a, 1, keepdims=True), rtol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # numpy: the all-NaN row
        check(pynet.nanmean(x, 1), np.nanmean(a, 1), rtol=1e-12)
        check(x.nanmean((0, 1)), np.nanmean(a), rtol=1e-12)
    check(pynet.nansum(P(np.zeros((0, 3))), 0), np.zeros(3))
    check(pynet.nansum(pynet.tensor([1, 2, 3])), np.int64(6))
    check(pynet.nansum(pynet.tensor([True, True])), np.int64(2))


def test_nansum_nanmean_torch_dtypes_grads_errors(need_torch):
    a = np.array([[1.0, NAN, 2.0], [NAN, NAN, NAN]])
    check(pynet.nansum(P(a), dtype=pynet.float32), torch.nansum(T(a), dtype=torch.float32))
    check(pynet.nanmean(P(a.astype(np.float32)), 1, dtype=pynet.float64),
          torch.nanmean(T(a.astype(np.float32)), 1, dtype=torch.float64))
    grads_match(lambda x: x.nansum(1), lambda x: x.nansum(1), a)
    grads_match(lambda x: x.nanmean(0), lambda x: x.nanmean(0), a)
    same_error(lambda: pynet.nanmean(pynet.tensor([1, 2])), lambda: torch.nanmean(
        torch.tensor([1, 2])))
    assert gradcheck(lambda t: t.nanmean(1), (P(np.where(a != a, 0.5, a), True),))


def test_count_nonzero(need_torch):
    a = rand_np((3, 4, 2), "int64", seed=4, low=-1, high=1)
    x = laid_out(a, "transposed")
    check(pynet.count_nonzero(x), np.count_nonzero(a))
    for dim in (0, -1, (0, 2), ()):
        check(x.count_nonzero(dim), torch.count_nonzero(T(a), dim))
    check(pynet.count_nonzero(P(np.array([NAN, 0.0, -0.0]))), np.int64(1))
    check(pynet.count_nonzero(pynet.tensor(3.0), 0), np.int64(1))
    check(pynet.count_nonzero(P(np.zeros((2, 0))), 1), np.zeros(2, np.int64))
    same_error(lambda: x.count_nonzero((0, 0)), lambda: T(a).count_nonzero((0, 0)))
    same_error(lambda: x.count_nonzero(3), lambda: T(a).count_nonzero(3))


@pytest.mark.parametrize("dtype", ["bool", "int64", "float32", "float64"])
def test_aminmax(dtype, need_torch):
    a = rand_np((3, 5), dtype, seed=6)
    r = pynet.aminmax(P(a))
    assert type(r).__name__ == "aminmax" and r._fields == ("min", "max")
    check(r.min, a.min())
    check(r.max, a.max())
    for dim in (0, 1):
        for keepdim in (False, True):
            pr = laid_out(a, "stepped").aminmax(dim=dim, keepdim=keepdim)
            tr = torch.aminmax(T(a), dim=dim, keepdim=keepdim)
            check(pr.min, tr.min)
            check(pr.max, tr.max)
    check(P(a).aminmax(keepdim=True).max, torch.aminmax(T(a), keepdim=True).max)
    check(pynet.tensor(3.0).aminmax(dim=0).min, np.float32(3.0))
    check(P(np.zeros((0, 3))).aminmax(dim=1).max, np.zeros(0))


def test_aminmax_grad_and_errors(need_torch):
    a = np.array([[1.0, 3.0, 3.0, 1.0], [2.0, 2.0, 0.0, 5.0]])
    grads_match(lambda x: sum(pynet.aminmax(x)), lambda x: sum(torch.aminmax(x)), a)
    px, tx = P(a, True), T(a, True)
    (pynet.aminmax(px, dim=1).min * 2 + pynet.aminmax(px, dim=1).max).sum().backward()
    (torch.aminmax(tx, dim=1).min * 2 + torch.aminmax(tx, dim=1).max).sum().backward()
    check(px.grad, tx.grad)
    same_error(lambda: pynet.aminmax(P(np.zeros(0))), lambda: torch.aminmax(torch.zeros(0)))
    same_error(lambda: pynet.aminmax(P(np.zeros((0, 3))), dim=0),
               lambda: torch.aminmax(torch.zeros(0, 3), dim=0))
    same_error(lambda: pynet.aminmax(P(a), dim=2), lambda: torch.aminmax(T(a), dim=2))


def test_std_mean_var_mean(need_torch):
    a = rand_np((4, 6), "float64", seed=8)
    calls = [((), {}), ((1,), {}), ((0, True, True), {}), ((False,), {}),
             ((), {"dim": (0, 1), "correction": 0}), ((), {"dim": 1, "keepdim": True,
                                                           "correction": 2})]
    for name in ("std_mean", "var_mean"):
        for args, kw in calls:
            ps, pm = getattr(pynet, name)(laid_out(a, "offset"), *args, **kw)
            ts, tm = getattr(torch, name)(T(a), *args, **kw)
            check(ps, ts, rtol=1e-12)
            check(pm, tm, rtol=1e-12)
        grads_match(lambda x: sum(getattr(pynet, name)(x, 1)),
                    lambda x: sum(getattr(torch, name)(x, 1)), a)
        same_error(lambda: getattr(pynet, name)(pynet.tensor([1, 2])),
                   lambda: getattr(torch, name)(torch.tensor([1, 2])))
    s, m = pynet.std_mean(P(a))
    check(s, np.std(a, ddof=1), rtol=1e-12)
    check(m, np.mean(a), rtol=1e-12)


# ------------------------------------------------------------ counting and searching

@pytest.mark.parametrize("dtype", ["bool", "int64", "float32", "float64"])
@pytest.mark.parametrize("shape", [(12,), (3, 4), (0,), ()])
def test_unique_matches_numpy(dtype, shape):
    a = rand_np(shape, dtype, seed=2, low=-2, high=2)
    if dtype.startswith("float"):
        a = np.round(a)
    vals, inv, counts = np.unique(a, return_inverse=True, return_counts=True)
    pv, pi, pc = pynet.unique(laid_out(a, "contiguous"), return_inverse=True,
                              return_counts=True)
    check(pv, vals)
    check(pi, inv.reshape(a.shape).astype(np.int64))
    check(pc, counts.astype(np.int64))
    check(pynet.unique(P(a), sorted=False), vals)
    check(P(a).unique(return_counts=True)[1], counts.astype(np.int64))


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_unique_dim_matches_numpy(dim):
    a = rand_np((6, 3, 2), "int64", seed=1, low=0, high=1)
    a[4] = a[1]
    vals, inv, counts = np.unique(a, axis=dim, return_inverse=True, return_counts=True)
    pv, pi, pc = laid_out(a, "transposed").unique(return_inverse=True, return_counts=True,
                                                  dim=dim)
    check(pv, vals)
    check(pi, inv.reshape(-1).astype(np.int64))
    check(pc, counts.astype(np.int64))


def test_unique_torch_nan_grad_and_errors(need_torch):
    a = np.array([3.0, NAN, 1.0, NAN, 3.0])
    for pr, tr in zip(pynet.unique(P(a), return_inverse=True, return_counts=True),
                      torch.unique(T(a), return_inverse=True, return_counts=True)):
        check(pr, tr)
    for pr, tr in zip(pynet.unique(pynet.tensor(5.0), return_inverse=True, return_counts=True),
                      torch.unique(torch.tensor(5.0), return_inverse=True, return_counts=True)):
        check(pr, tr)
    e = np.zeros((0, 3))
    for pr, tr in zip(pynet.unique(P(e), dim=0, return_inverse=True, return_counts=True),
                      torch.unique(T(e), dim=0, return_inverse=True, return_counts=True)):
        check(pr, tr)
    x = P(np.array([1.0, 2.0, 1.0]), True)
    u = pynet.unique(x)
    assert u.requires_grad  # as torch: the values require grad, backward raises
    same_error(lambda: u.sum().backward(),
               lambda: torch.unique(T(np.array([1.0, 2.0]), True)).sum().backward())
    same_error(lambda: pynet.unique(pynet.tensor(5.0), dim=0),
               lambda: torch.unique(torch.tensor(5.0), dim=0))
    same_error(lambda: pynet.unique(P(np.zeros((2, 0))), dim=0),
               lambda: torch.unique(torch.zeros(2, 0), dim=0))
    same_error(lambda: pynet.unique(P(np.zeros((2, 2))), dim=2),
               lambda: torch.unique(torch.zeros(2, 2), dim=2))


def test_unique_consecutive(need_torch):
    a = np.array([1, 1, 2, 2, 3, 1, 1, 2])
    for pr, tr in zip(pynet.unique_consecutive(P(a), True, True),
                      torch.unique_consecutive(T(a), True, True)):
        check(pr, tr)
    m = np.array([[1, 1, 2], [1, 1, 3], [2, 2, 3]])
    for dim in (0, 1):
        for pr, tr in zip(laid_out(m, "transposed").unique_consecutive(True, True, dim),
                          torch.unique_consecutive(T(m), True, True, dim)):
            check(pr, tr)
    check(pynet.unique_consecutive(P(np.array([NAN, NAN]))), np.array([NAN, NAN]))
    check(pynet.unique_consecutive(pynet.tensor(3)), np.array([3]))
    check(pynet.unique_consecutive(P(np.zeros(0)), return_counts=True)[1], np.zeros(0, np.int64))
    x = P(np.array([1.0, 1.0]), True)
    same_error(lambda: pynet.unique_consecutive(x).sum().backward(),
               lambda: torch.unique_consecutive(T(np.ones(2), True)).sum().backward())


def test_bincount(need_torch):
    rng = np.random.default_rng(0)
    a = rng.integers(0, 7, 30)
    check(pynet.bincount(P(a)), np.bincount(a))
    check(laid_out(a[None], "stepped")[0].bincount(minlength=12), np.bincount(a, minlength=12))
    for wdt in ("float32", "float64", "int64", "bool"):
        w = rand_np(a.shape, wdt, seed=1)
        check(pynet.bincount(P(a), P(w), 3), torch.bincount(T(a), T(w), 3), rtol=1e-5)
    empty = np.zeros(0, np.int64)
    check(pynet.bincount(P(empty)), torch.bincount(T(empty)))
    check(pynet.bincount(P(empty), P(np.zeros(0)), 2), torch.bincount(T(empty), T(np.zeros(0)),
                                                                        2))
    w = P(np.ones(a.shape), True)
    out = pynet.bincount(P(a), w)
    assert out.requires_grad
    same_error(lambda: out.sum().backward(),
               lambda: torch.bincount(T(a), T(np.ones(a.shape), True)).sum().backward())
    bad = [(np.array([1, -1]), {}), (np.array([[1]]), {}), (np.array([1.0]), {}),
           (np.array([True]), {}), (np.array([1]), {"minlength": -1})]
    for arr, kw in bad:
        same_error(lambda: pynet.bincount(P(arr), **kw), lambda: torch.bincount(T(arr), **kw))
    same_error(lambda: pynet.bincount(P(np.array([1, 2])), P(np.ones(1))),
               lambda: torch.bincount(T(np.array([1, 2])), T(np.ones(1))))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_histc(dtype, need_torch):
    a = rand_np((50,), dtype, seed=3)
    a[:3] = [-3.0, 3.0, 0.0]  # the edges: the last bin holds its right edge
    for bins, lo, hi in ((10, 0, 0), (7, -1, 2.5), (1, -3, 3), (13, 0.1, 0.7)):
        check(pynet.histc(laid_out(a[None], "offset")[0], bins, lo, hi),
              torch.histc(T(a), bins, lo, hi))
    ref, _ = np.histogram(a, 6, (-3, 3))
    check(P(a).histc(6, -3, 3), ref.astype(dtype))
    check(pynet.histc(P(np.array([1.0, 1.0], dtype)), 4), torch.histc(T(np.array([1.0, 1.0],
                                                                                  dtype)), 4))
    check(pynet.histc(P(np.array([1.0, NAN], dtype)), 4, 0, 2),
          torch.histc(T(np.array([1.0, NAN], dtype)), 4, 0, 2))
    check(pynet.histc(P(np.zeros(0, dtype)), 4), torch.histc(T(np.zeros(0, dtype)), 4))
    x = P(a, True)
    assert not pynet.histc(x).requires_grad
    for arr, args in ((np.array([1, 2]), (4, 0, 3)), (a, (0,)), (a, (4, 3, 1)),
                      (np.array([1.0, NAN]), (4,)), (np.array([1.0, INF]), (4,)),
                      (a, (4, 0, INF))):
        same_error(lambda: pynet.histc(P(arr), *args), lambda: torch.histc(T(arr), *args))


def test_searchsorted_matches_numpy():
    rng = np.random.default_rng(5)
    seq = np.sort(rng.integers(-5, 5, 20)).astype(np.float64)
    vals = rng.integers(-7, 7, (3, 8)).astype(np.float64)
    for side in ("left", "right"):
        check(pynet.searchsorted(P(seq), laid_out(vals, "transposed"), side=side),
              np.searchsorted(seq, vals, side=side).astype(np.int64))
        check(pynet.searchsorted(P(seq), P(vals), right=side == "right"),
              np.searchsorted(seq, vals, side=side).astype(np.int64))
    seq2 = np.sort(rng.standard_normal((2, 3, 9)), -1)
    vals2 = rng.standard_normal((2, 3, 4))
    got = pynet.searchsorted(P(seq2), P(vals2))
    ref = np.stack([np.searchsorted(s, v) for s, v in zip(seq2.reshape(6, 9),
                                                          vals2.reshape(6, 4))]).reshape(2, 3, 4)
    check(got, ref.astype(np.int64))
    perm = rng.permutation(20)
    check(pynet.searchsorted(P(seq[perm]), P(vals), sorter=P(np.argsort(seq[perm],
                                                                        kind="stable"))),
          np.searchsorted(seq, vals).astype(np.int64))
    check(pynet.searchsorted(P(seq), 0), np.int64(np.searchsorted(seq, 0)))
    check(pynet.searchsorted(P(np.zeros(0)), P(vals)), np.zeros(vals.shape, np.int64))
    check(pynet.searchsorted(P(seq), P(np.zeros((0, 2)))), np.zeros((0, 2), np.int64))


def test_searchsorted_bucketize_torch_nan_and_errors(need_torch):
    s = np.array([1.0, 2.0, 2.0, 3.0])
    v = np.array([2.0, NAN, 0.0, 5.0, 2.5])
    for right in (False, True):
        check(pynet.searchsorted(P(s), P(v), right=right), torch.searchsorted(T(s), T(v),
                                                                              right=right))
        check(pynet.searchsorted(P(np.array([1.0, 2.0, NAN])), P(v), right=right),
              torch.searchsorted(T(np.array([1.0, 2.0, NAN])), T(v), right=right))
        check(pynet.bucketize(P(v), P(s), right=right), torch.bucketize(T(v), T(s), right=right))
        check(pynet.bucketize(2, P(s), right=right), torch.bucketize(2, T(s), right=right))
    check(pynet.searchsorted(P(np.array([1, 2])), P(np.array([1.5]))),
          torch.searchsorted(T(np.array([1, 2])), T(np.array([1.5]))))
    check(pynet.searchsorted(P(s), 2.5, side="right"), torch.searchsorted(T(s), 2.5,
                                                                          side="right"))
    check(pynet.searchsorted(P(s), pynet.tensor(2.0)), torch.searchsorted(T(s),
                                                                          torch.tensor(2.0)))
    s2 = s.reshape(2, 2)
    bad = [(lambda m, f: m.searchsorted(f(s), f(np.array([2.0])), side="left", right=True)),
           (lambda m, f: m.searchsorted(f(s), f(np.array([2.0])), side="foo")),
           (lambda m, f: m.searchsorted(f(s2), f(np.array([2.0])))),
           (lambda m, f: m.searchsorted(f(s2), 2)),
           (lambda m, f: m.searchsorted(f(np.float64(2.0)), f(np.array([2.0])))),
           (lambda m, f: m.searchsorted(f(s), f(np.array([2.0])), sorter=f(np.array([0, 1, 2,
                                                                                       9])))),
           (lambda m, f: m.searchsorted(f(s), f(np.array([2.0])), sorter=f(np.ones(4)))),
           (lambda m, f: m.searchsorted(f(s), f(np.array([2.0])), sorter=f(np.array([0, 1])))),
           (lambda m, f: m.searchsorted(f(np.array([True])), f(np.array([True])))),
           (lambda m, f: m.bucketize(f(np.array([2])), f(s2))),
           (lambda m, f: m.bucketize(f(np.array([2])), f(np.float64(1.0))))]
    for c in bad:
        same_error(lambda: c(pynet, P), lambda: c(torch, T))
    with pytest.raises(NotImplementedError):  # pynet has no int32
        pynet.searchsorted(P(s), P(v), out_int32=True)


def test_isin(need_torch):
    rng = np.random.default_rng(2)
    e = rng.integers(0, 10, (4, 5))
    t = rng.integers(0, 10, 6)
    for invert in (False, True):
        check(pynet.isin(laid_out(e, "transposed"), P(t), invert=invert),
              np.isin(e, t, invert=invert))
        check(pynet.isin(P(e), P(t), assume_unique=False, invert=invert),
              torch.isin(T(e), T(t), invert=invert))
    cases = [(np.array([1, 2, 3]), np.array([2.0, 3.5])),
             (np.array([1.0, 2.0, NAN]), np.array([2.0, NAN])),
             (np.zeros(0), np.array([1.0])), (np.array([1.0]), np.zeros(0))]
    for a, b in cases:
        check(pynet.isin(P(a), P(b)), torch.isin(T(a), T(b)))
    check(pynet.isin(P(np.array([1.0, 2.0, NAN])), 2), torch.isin(T(np.array([1.0, 2.0, NAN])),
                                                                  2))
    check(pynet.isin(2, P(np.array([1, 2]))), torch.isin(2, T(np.array([1, 2]))))
    same_error(lambda: pynet.isin(2, 3), lambda: torch.isin(2, 3))
    same_error(lambda: pynet.isin(pynet.tensor([True]), pynet.tensor([1])),
               lambda: torch.isin(torch.tensor([True]), torch.tensor([1])))


def test_repeat_interleave(need_torch):
    a = rand_np((3, 4), "float64", seed=1)
    calls = [((2,), {}), ((P(np.array([1, 0, 3])), 0), {}), ((2, 1), {}), ((0, 1), {}),
             ((P(np.array([2])), 0), {}), ((pynet.tensor(2), -1), {}),
             ((P(np.array([1, 2, 0, 1])), 1), {"output_size": 4})]
    for args, kw in calls:
        targs = tuple(torch.tensor(x.numpy()) if isinstance(x, pynet.Tensor) else x for x in args)
        check(laid_out(a, "stepped").repeat_interleave(*args, **kw),
              T(a).repeat_interleave(*targs, **kw))
        grads_match(lambda x: pynet.repeat_interleave(x, *args, **kw),
                    lambda x: torch.repeat_interleave(x, *targs, **kw), a)
    check(pynet.repeat_interleave(P(np.array([2, 0, 1]))), np.array([0, 0, 2]))
    check(pynet.repeat_interleave(P(np.zeros(0, np.int64))), np.zeros(0, np.int64))
    check(pynet.repeat_interleave(pynet.tensor(5.0), 3), np.full(3, 5.0, np.float32))
    check(pynet.repeat_interleave(P(np.zeros((0, 2))), 3, 0), np.zeros((0, 2)))
    m = np.array([[1, 2], [3, 4]])
    bad = [(lambda x, f: x.repeat_interleave(f(np.array([1, 2, 3])), dim=0)),
           (lambda x, f: x.repeat_interleave(f(np.array([1, -2])), dim=0)),
           (lambda x, f: x.repeat_interleave(-1)),
           (lambda x, f: x.repeat_interleave(f(np.array([1.0, 2.0])), dim=0)),
           (lambda x, f: x.repeat_interleave(f(np.array([[1, 2]])), dim=0)),
           (lambda x, f: x.repeat_interleave(2, dim=0, output_size=3)),
           (lambda x, f: x.repeat_interleave(2, dim=2)),
           (lambda x, f: x.repeat_interleave())]
    for c in bad:
        same_error(lambda: c(P(m), P), lambda: c(T(m), T))
    same_error(lambda: pynet.tensor(5.0).repeat_interleave(3, dim=0),
               lambda: torch.tensor(5.0).repeat_interleave(3, dim=0))


@pytest.mark.parametrize("dtype", ["bool", "int64", "float32", "float64"])
def test_diff_matches_numpy(dtype):
    a = rand_np((4, 6), dtype, seed=3)
    for n in (0, 1, 2, 7):
        for dim in (0, 1, -1):
            check(laid_out(a, "transposed").diff(n, dim), np.diff(a, n, axis=dim))
    pre = rand_np((4, 2), dtype, seed=4)
    app = rand_np((4, 1), dtype, seed=5)
    check(pynet.diff(P(a), 2, 1, P(pre), P(app)), np.diff(a, 2, axis=1, prepend=pre, append=app))
    check(pynet.diff(P(np.zeros((0, 3), dtype)), dim=0), np.zeros((0, 3), dtype))


def test_diff_torch_grad_and_errors(need_torch):
    a = rand_np((3, 5), "float64", seed=1)
    grads_match(lambda x: x.diff(2, 1, prepend=x[:, :1] * 2), lambda x: x.diff(
        2, 1, prepend=x[:, :1] * 2), a)
    check(pynet.diff(P(np.array([1, 3, 7])), prepend=P(np.array([0.5]))),
          torch.diff(T(np.array([1, 3, 7])), prepend=T(np.array([0.5]))))
    assert gradcheck(lambda t: t.diff(1, 0), (P(a, True),))
    m = np.array([[1, 3, 7]])
    bad = [(lambda x, f: x.diff(n=-1)), (lambda x, f: x.diff(dim=2)),
           (lambda x, f: x.diff(prepend=f(np.array([0])))),
           (lambda x, f: x.diff(prepend=f(np.array([[0], [1]])))),
           (lambda x, f: x.diff(append=5))]
    for c in bad:
        same_error(lambda: c(P(m), P), lambda: c(T(m), T))
    same_error(lambda: pynet.tensor(3.0).diff(), lambda: torch.tensor(3.0).diff())


# ------------------------------------------------------------ statistics and distances

@pytest.mark.parametrize("dtype", ["int64", "float32", "float64"])
def test_cov_corrcoef_match_numpy(dtype):
    a = rand_np((3, 7), dtype, seed=2)
    rtol = 1e-5 if dtype != "float64" else 1e-12
    out_dt = "float64" if dtype == "float64" else "float32"
    check(pynet.cov(laid_out(a, "transposed")), np.cov(a).astype(out_dt), rtol=rtol)
    check(pynet.cov(P(a), correction=0), np.cov(a, ddof=0).astype(out_dt), rtol=rtol)
    check(P(a[0]).cov(), np.cov(a[0]).astype(out_dt), rtol=rtol)
    fw = np.array([1, 2, 0, 3, 1, 1, 2])
    aw = np.linspace(0.1, 1.0, 7)
    check(pynet.cov(P(a), fweights=P(fw), aweights=P(aw)), np.cov(a, fweights=fw, aweights=aw),
          rtol=1e-5, dtype=False)
    check(pynet.corrcoef(P(a)), np.corrcoef(a).astype(out_dt), rtol=rtol, atol=1e-6)


def test_cov_corrcoef_torch_grads_edges_and_errors(need_torch):
    a = rand_np((3, 6), "float64", seed=3)
    fw = np.array([1, 2, 0, 3, 1, 1])
    aw = np.linspace(0.1, 1.0, 6)
    for kw in ({}, {"correction": 0}, {"correction": 3}, {"fweights": fw}, {"aweights": aw},
               {"fweights": fw, "aweights": aw, "correction": 2}):
        pk = {k: P(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
        tk = {k: T(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
        grads_match(lambda x: x.cov(**pk), lambda x: x.cov(**tk), a, rtol=1e-10)
    ai = rand_np((2, 4), "int64", seed=1)
    check(pynet.cov(P(ai), fweights=P(np.array([1, 2, 1, 1]))),
          torch.cov(T(ai), fweights=T(np.array([1, 2, 1, 1]))), rtol=1e-6)
    check(pynet.cov(P(ai), aweights=P(np.array([1.0, 2, 1, 1]))),
          torch.cov(T(ai), aweights=T(np.array([1.0, 2, 1, 1]))), rtol=1e-12)
    grads_match(pynet.corrcoef, torch.corrcoef, a, rtol=1e-10)
    for arr in (np.array([1.0, 1.0, 1.0]), np.array([[1.0, 2, 4], [1, 1, 1]]), np.zeros((0, 3))):
        check(pynet.corrcoef(P(arr)), torch.corrcoef(T(arr)))
    with pytest.warns(UserWarning, match="degrees of freedom"):
        got = pynet.cov(P(np.array([3.0, 4.0])), correction=2)
    check(got, np.float64(INF))
    with pytest.warns(UserWarning):
        check(pynet.cov(P(np.zeros((2, 0)))), np.full((2, 2), NAN))
    m = np.array([[1.0, 2, 4], [0, 1, 1]])
    bad = [(lambda m_, f: m_.cov(f(m), fweights=f(np.array([1.0, 2, 1])))),
           (lambda m_, f: m_.cov(f(m), fweights=f(np.array([1, -2, 1])))),
           (lambda m_, f: m_.cov(f(m), fweights=f(np.array([0, 0, 0])))),
           (lambda m_, f: m_.cov(f(m), fweights=f(np.array([1, 1])))),
           (lambda m_, f: m_.cov(f(m), aweights=f(np.array([1, 1, 1])))),
           (lambda m_, f: m_.cov(f(m), aweights=f(np.array([1.0, -1, 1])))),
           (lambda m_, f: m_.cov(f(np.array([True])))),
           (lambda m_, f: m_.cov(f(np.ones((1, 1, 1))))),
           (lambda m_, f: m_.cov(f(m), correction=0.5)),
           (lambda m_, f: m_.corrcoef(f(np.ones((1, 1, 1)))))]
    for c in bad:
        same_error(lambda: c(pynet, P), lambda: c(torch, T))


CDIST_MODES = ["use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist",
               "donot_use_mm_for_euclid_dist"]


@pytest.mark.parametrize("p", [0.0, 0.5, 1.0, 1.5, 2.0, 3.0, INF])
def test_cdist_matches_torch_values_and_grads(p, need_torch):
    rng = np.random.default_rng(7)
    x1 = np.round(rng.standard_normal((2, 5, 3)), 1)
    x2 = np.round(rng.standard_normal((1, 4, 3)), 1)
    x2[0, 0] = x1[0, 1]  # a zero distance
    x2[0, 1, 0] = x1[1, 2, 0]  # a zero coordinate difference
    for mode in CDIST_MODES:
        grads_match(lambda a, b: pynet.cdist(a, b, p, mode),
                    lambda a, b: torch.cdist(a, b, p, mode), x1, x2, rtol=1e-9, atol=1e-9)
    y = rng.standard_normal((30, 3))  # more than 25 rows: the matrix-product path for p = 2
    grads_match(lambda a, b: pynet.cdist(a, b, p), lambda a, b: torch.cdist(a, b, p),
                y, x1[0], rtol=1e-9, atol=1e-9)


def test_cdist_numpy_shapes_gradcheck_errors(need_torch):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((4, 3)), rng.standard_normal((5, 3))
    ref = np.sqrt(((a[:, None] - b[None]) ** 2).sum(-1))
    check(pynet.cdist(laid_out(a, "transposed"), P(b)), ref, rtol=1e-12)
    check(pynet.cdist(P(a.astype(np.float32)), P(b.astype(np.float32)), 1.0),
          np.abs(a[:, None] - b[None]).sum(-1).astype(np.float32), rtol=1e-5)
    for s1, s2 in (((2, 3, 0), (1, 4, 0)), ((2, 0, 3), (4, 3)), ((2, 1, 2, 3), (3, 4, 3))):
        check(pynet.cdist(P(np.ones(s1)), P(np.ones(s2))), torch.cdist(T(np.ones(s1)),
                                                                       T(np.ones(s2))))
    for p in (1.0, 2.0, 3.0):
        assert gradcheck(lambda x, y: pynet.cdist(x, y, p), (P(a, True), P(b, True)))
    assert gradcheck(lambda x, y: pynet.cdist(x, y, compute_mode=CDIST_MODES[1]),
                     (P(a, True), P(b, True)))
    bad = [(lambda m, f: m.cdist(f(a), f(b), p=-1)), (lambda m, f: m.cdist(f(a[0]), f(b))),
           (lambda m, f: m.cdist(f(a), f(b[:, :1]))),
           (lambda m, f: m.cdist(f(a.astype(np.int64)), f(b.astype(np.int64)))),
           (lambda m, f: m.cdist(f(a), f(b.astype(np.float32)))),
           (lambda m, f: m.cdist(f(a), f(b), compute_mode="foo")),
           (lambda m, f: m.cdist(f(np.ones((2, 2, 3))), f(np.ones((3, 4, 3)))))]
    for c in bad:
        same_error(lambda: c(pynet, P), lambda: c(torch, T))


def test_cross(need_torch, monkeypatch):
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    check(pynet.cross(laid_out(a, "stepped"), P(b), dim=1), np.cross(a, b), rtol=1e-12)
    check(P(a.T).cross(P(b.T), 0), np.cross(a, b).T, rtol=1e-12)
    check(pynet.cross(P(a[:1]), P(b), dim=-1), np.cross(a[:1], b), rtol=1e-12)
    ai = rand_np((2, 3), "int64", seed=1)
    check(pynet.cross(P(ai), P(ai[::-1].copy()), 1), np.cross(ai, ai[::-1]))
    grads_match(lambda x, y: x.cross(y, dim=1), lambda x, y: x.cross(y, dim=1), a, b)
    assert gradcheck(lambda x, y: pynet.cross(x, y, 1), (P(a, True), P(b, True)))
    monkeypatch.setattr(pynet._tensor, "_cross_warned", [False])
    with pytest.warns(UserWarning, match="deprecated"):
        got = pynet.cross(P(np.ones((3, 1))), P(rng.standard_normal((3, 4))))
    assert tuple(got.shape) == (3, 4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = torch.cross(T(a), T(b))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # once per process, as torch
        check(pynet.cross(P(a), P(b)), ref, rtol=1e-12)
    bad = [(lambda m, f: m.cross(f(np.ones((2, 3))), f(np.ones((2, 3))), dim=0)),
           (lambda m, f: m.cross(f(np.ones((2, 2))), f(np.ones((2, 2))))),
           (lambda m, f: m.cross(f(np.ones(3)), f(np.ones((4, 3))), dim=-1)),
           (lambda m, f: m.cross(f(np.ones(3, np.int64)), f(np.ones(3)), dim=0)),
           (lambda m, f: m.cross(f(np.ones(3, bool)), f(np.ones(3, bool)), dim=0)),
           (lambda m, f: m.cross(f(np.ones(3)), f(np.ones(3)), dim=1))]
    for c in bad:
        same_error(lambda: c(pynet, P), lambda: c(torch, T))


def test_dist(need_torch):
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal(4)
    for p in (0, 1, 2, 3, 0.5, INF, -INF, -1):
        check(pynet.dist(laid_out(a, "offset"), P(b), p), torch.dist(T(a), T(b), p), rtol=1e-12)
        if p not in (0,):
            grads_match(lambda x, y: x.dist(y, p), lambda x, y: x.dist(y, p), a, b, rtol=1e-10)
    check(pynet.dist(P(a), P(b), pynet.tensor(3.0)), np.linalg.norm((a - b).ravel(), 3),
          rtol=1e-12)
    for p in (2, 3):  # the gradient at a zero distance is zero, as torch
        grads_match(lambda x, y: x.dist(y, p), lambda x, y: x.dist(y, p), b, b)
    check(pynet.dist(P(np.array([1.0, 2.0])), pynet.tensor([1, 2])), np.float64(0.0))
    same_error(lambda: pynet.dist(pynet.tensor([1, 2]), pynet.tensor([1, 2])),
               lambda: torch.dist(torch.tensor([1, 2]), torch.tensor([1, 2])))
    same_error(lambda: pynet.dist(P(a), P(np.ones(3))), lambda: torch.dist(T(a), T(np.ones(3))))
