"""The API batch of pointwise products (addcmul, addcdiv), index fills and copies (index_fill,
index_copy, index_put, masked_scatter, argwhere, sum_to_size), sign and integer ops (copysign,
signbit, gcd, lcm, fix, logical_not_, ldexp, nextafter) and random fills (random_,
geometric_, log_normal_, cauchy_), written in Python with pynet's differentiable ops.

Values are compared with NumPy (these always run) and with PyTorch (skipped per test without
it) over dtypes, shapes (0-size and 0-d too) and memory layouts; gradients with PyTorch's and
with gradcheck in float64; errors with PyTorch's exception types; the random fills by their
ranges, moments and quantiles, and by their determinism under a seed.
"""
import math
import warnings

import numpy as np
import pytest

import pynet
from pynet.autograd import gradcheck

from conftest import (DTYPES, LAYOUTS, check, expected_exc,
                      gc, laid_out, raises_like, rand_np, torch)

NAN, INF = math.nan, math.inf
M64 = -2**63


def T(a, requires_grad=False):
    return torch.tensor(np.array(a, copy=True)).requires_grad_(requires_grad)


def P(a, requires_grad=False):
    return pynet.tensor(np.array(a, copy=True), requires_grad=requires_grad)


def both(pn_fn, th_fn, *arrays, grad_of=None, seed=1, rtol=1e-6, atol=1e-12):
    """pn_fn and th_fn on the same arrays: the same value and the same gradient of every
    float input listed in grad_of (indices; default all float ones) for a random upstream."""
    grad_of = [i for i, a in enumerate(arrays) if np.asarray(a).dtype.kind == "f"] \
        if grad_of is None else grad_of
    px = [P(a, i in grad_of) for i, a in enumerate(arrays)]
    tx = [T(a, i in grad_of) for i, a in enumerate(arrays)]
    py, ty = pn_fn(*px), th_fn(*tx)
    check(py, ty, rtol=rtol, atol=atol)
    if not grad_of:
        return
    g = np.random.default_rng(seed).standard_normal(tuple(ty.shape))
    (py * pynet.tensor(g).to(py.dtype)).sum().backward()
    (ty * torch.tensor(g).to(ty.dtype)).sum().backward()
    for i in grad_of:
        check(px[i].grad, tx[i].grad, rtol=rtol, atol=atol)


# ================================================================ addcmul / addcdiv ====

@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("shapes", [[(3, 4), (3, 4), (3, 4)], [(2, 1), (1, 3), (3,)],
                                    [(), (2, 3), ()], [(0, 3), (1, 3), (3,)], [(), (), ()]])
def test_addcmul_addcdiv_match_numpy(shapes, layout):
    a, b, c = (rand_np(s, "float64", seed=i, nonzero=True) for i, s in enumerate(shapes))
    pa = laid_out(a, layout)
    check(pynet.addcmul(pa, P(b), laid_out(c, layout), value=0.5), a + (0.5 * b) * c)
    check(pa.addcdiv(P(b), P(c), value=-2), a + (-2 * b) / c)
    check(pynet.addcdiv(pa, P(b), P(c)), a + b / c)


@pytest.mark.parametrize("dtypes", [("int64", "int64", "int64"), ("float32", "int64", "int64"),
                                    ("int64", "float32", "int64"), ("int64", "bool", "bool"),
                                    ("float32", "float64", "float32"), ("bool", "bool", "bool"),
                                    ("int64", "float64", "bool")])
@pytest.mark.parametrize("value", [1, 2.7, -2.5, True])
def test_addcmul_addcdiv_dtypes_and_values_like_torch(dtypes, value, need_torch):
    arrays = [rand_np((2, 3), d, seed=i, nonzero=True) for i, d in enumerate(dtypes)]
    for name in ("addcmul", "addcdiv"):
        th = lambda: getattr(torch, name)(*[T(a) for a in arrays], value=value)  # noqa: E731
        pn = lambda: getattr(pynet, name)(*[P(a) for a in arrays], value=value)  # noqa: E731
        try:
            ref = th()
        except Exception as e:
            with pytest.raises(expected_exc(type(e))):
                pn()
            continue
        check(pn(), ref, rtol=1e-6)


def test_addcmul_scalar_operand_dtypes(need_torch):
    # a 0-d float64 self does not raise a float32 result to float64; 0-d operands promote
    # across kinds
    zd, f = np.array(1.5), rand_np((3,), "float32")
    check(pynet.addcmul(P(zd), P(f), P(f)), torch.addcmul(T(zd), T(f), T(f)))
    i = rand_np((3,), "int64")
    check(pynet.addcmul(P(i), P(np.array(2.0, np.float32)), P(i)),
          torch.addcmul(T(i), T(np.array(2.0, np.float32)), T(i)))
    # a float32 value rounded to float32 first, as torch
    check(pynet.addcmul(P(f), P(f), P(f), value=0.1), torch.addcmul(T(f), T(f), T(f), value=0.1),
          rtol=0)
    check(pynet.addcmul(P(f), P(f), P(f), value=pynet.tensor(2.0)),
          torch.addcmul(T(f), T(f), T(f), value=torch.tensor(2.0)))


def test_addcmul_addcdiv_special_values(need_torch):
    a = np.array([0.0, -0.0, NAN, INF, 1.0, -1.0])
    b = np.array([INF, 0.0, 1.0, -1.0, 0.0, -0.0])
    c = np.array([0.0, -1.0, INF, INF, 0.0, 0.0])
    for name in ("addcmul", "addcdiv"):
        check(getattr(pynet, name)(P(a), P(b), P(c)), getattr(torch, name)(T(a), T(b), T(c)))


def test_addcmul_addcdiv_gradients(need_torch):
    a, b, c = rand_np((2, 1), "float64", 0), rand_np((1, 3), "float64", 1), \
        rand_np((3,), "float64", 2, nonzero=True)
    for name in ("addcmul", "addcdiv"):
        both(lambda x, y, z: getattr(pynet, name)(x, y, z, value=0.7),
             lambda x, y, z: getattr(torch, name)(x, y, z, value=0.7), a, b, c)
        assert gc(lambda x, y, z: getattr(x, name)(y, z, value=-1.5), a, b, c)


def test_addcmul_addcdiv_in_place(need_torch):
    a, b, c = rand_np((2, 3), "float32", 0), rand_np((3,), "float32", 1), \
        rand_np((2, 1), "float32", 2, nonzero=True)
    x = P(a)
    assert x.addcmul_(P(b), P(c), value=2) is x
    check(x, T(a).addcmul_(T(b), T(c), value=2))
    x = P(a)
    assert x.addcdiv_(P(b), P(c)) is x
    check(x, T(a).addcdiv_(T(b), T(c)))
    # in place into a view, with a gradient through it
    base = P(np.zeros((2, 3)), True)
    y = base * 1
    y[0].addcmul_(P(np.ones(3)), P(np.full(3, 2.0)))
    (y * P(np.arange(6.0).reshape(2, 3))).sum().backward()
    check(base.grad, np.arange(6.0).reshape(2, 3))
    i = rand_np((3,), "int64")
    raises_like(lambda: P(i).addcmul_(P(a[0]), P(a[0])), lambda: T(i).addcmul_(T(a[0]), T(a[0])))
    raises_like(lambda: P(a).addcmul_(P(np.ones((4, 2, 3), np.float32)), P(c)),
                lambda: T(a).addcmul_(T(np.ones((4, 2, 3), np.float32)), T(c)))


def test_addcmul_addcdiv_errors(need_torch):
    f, i = rand_np((3,), "float32"), rand_np((3,), "int64", nonzero=True)
    b = rand_np((3,), "bool")
    raises_like(lambda: pynet.addcdiv(P(f), P(i), P(i)), lambda: torch.addcdiv(T(f), T(i), T(i)))
    raises_like(lambda: pynet.addcdiv(P(f), P(b), P(i)), lambda: torch.addcdiv(T(f), T(b), T(i)))
    raises_like(lambda: pynet.addcmul(P(b), P(b), P(b)), lambda: torch.addcmul(T(b), T(b), T(b)))
    raises_like(lambda: pynet.addcmul(P(f), P(f), 2.0), lambda: torch.addcmul(T(f), T(f), 2.0))
    raises_like(lambda: pynet.addcmul(P(f), P(f), P(f), value=1e300),
                lambda: torch.addcmul(T(f), T(f), T(f), value=1e300))
    raises_like(lambda: pynet.addcmul(P(i), P(i), P(i), value=2**70),
                lambda: torch.addcmul(T(i), T(i), T(i), value=2**70))
    raises_like(lambda: pynet.addcmul(P(f), P(np.ones(2, np.float32)), P(f)),
                lambda: torch.addcmul(T(f), T(np.ones(2, np.float32)), T(f)))


# ======================================================================= index_fill ====

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_index_fill_matches_numpy(dtype, layout):
    a = rand_np((3, 4, 2), dtype)
    for dim, idx in [(1, [0, 2]), (-1, [1]), (0, [2, -3, 2]), (1, []), (2, [-1])]:
        ref = a.copy()
        ref[(slice(None),) * (dim % 3) + (np.array(idx, dtype=np.int64),)] = 1
        out = laid_out(a, layout).index_fill(dim, pynet.tensor(idx, dtype=pynet.int64), 1)
        check(out, ref)
    ref = a.copy()
    ref[:, 3] = 0
    check(pynet.index_fill(laid_out(a, layout), 1, pynet.tensor(3), pynet.tensor(0)), ref)


def test_index_fill_values_like_torch(need_torch):
    a = np.arange(12.0).reshape(3, 4)
    idx = np.array([0, 2])
    for dt in ("float32", "float64", "int64", "bool"):
        x = a.astype(dt)
        for v in (2.7, -1, True, NAN, INF, np.array(1.5), np.array(3), np.array(2.5, np.float32)):
            if dt in ("int64", "bool") and isinstance(v, float) and not math.isfinite(v):
                continue
            pv = P(v) if isinstance(v, np.ndarray) else v
            tv = T(v) if isinstance(v, np.ndarray) else v
            check(P(x).index_fill(1, P(idx), pv), T(x).index_fill(1, T(idx), tv))
    # 0-d self, and the 0-size dim
    check(P(np.array(3.0)).index_fill(0, P(np.array([0])), -1),
          T(np.array(3.0)).index_fill(0, T(np.array([0])), -1))
    z = np.zeros((2, 0))
    check(P(z).index_fill(0, P(np.array([1])), 5.0), T(z).index_fill(0, T(np.array([1])), 5.0))


def test_index_fill_gradients(need_torch):
    a = rand_np((3, 4), "float64")
    idx = np.array([0, 0, 2])  # a repeated index: the value's gradient counts each slice once
    for v_shape in [()]:
        v = rand_np(v_shape, "float64", seed=5)
        both(lambda x, i, val: x.index_fill(1, i, val), lambda x, i, val: x.index_fill(1, i, val),
             a, idx, v, grad_of=[0, 2])
    both(lambda x, i: pynet.index_fill(x, 0, i, 2.0), lambda x, i: torch.index_fill(x, 0, i, 2.0),
         a, idx, grad_of=[0])
    assert gc(lambda x, val: x.index_fill(1, pynet.tensor([1, 3]), val), a, np.array(0.5))
    # in place, through a non-leaf
    x = P(a, True)
    y = x * 2
    assert y.index_fill_(1, P(np.array([1])), -1.0) is y
    y.sum().backward()
    ref = np.full((3, 4), 2.0)
    ref[:, 1] = 0
    check(x.grad, ref)


def test_index_fill_errors(need_torch):
    a = np.arange(12.0).reshape(3, 4)
    idx = np.array([0, 2])
    cases = [
        (lambda m, x: x.index_fill(1, m.tensor([0.0]), 1)),
        (lambda m, x: x.index_fill(1, m.tensor([[0]]), 1)),
        (lambda m, x: x.index_fill(1, m.tensor([4]), 1)),
        (lambda m, x: x.index_fill(1, m.tensor([-5]), 1)),
        (lambda m, x: x.index_fill(2, m.tensor(idx), 1)),
        (lambda m, x: x.index_fill(1, m.tensor(idx), m.tensor([1.0]))),
        (lambda m, x: x.index_fill(1, m.tensor(idx), 1e300)),
        (lambda m, x: x.index_fill(1, m.tensor(idx), "a")),
        (lambda m, x: x.index_fill(1, [0], 1)),
    ]
    for case in cases:
        raises_like(lambda: case(pynet, P(a.astype(np.float32))),
                    lambda: case(torch, T(a.astype(np.float32))))
    raises_like(lambda: pynet.tensor([1.0]).expand(3).index_fill_(0, pynet.tensor([0]), 1),
                exc=RuntimeError)


# ======================================================================= index_copy ====

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_index_copy_matches_numpy(dtype, layout):
    a = rand_np((3, 4, 2), dtype)
    for dim, idx in [(1, [3, 0]), (0, [2]), (-1, [1, 0]), (1, [])]:
        shape = list(a.shape)
        shape[dim] = len(idx)
        src = rand_np(tuple(shape), dtype, seed=9)
        ref = a.copy()
        sl = (slice(None),) * (dim % 3)
        ref[sl + (np.array(idx, dtype=np.int64),)] = src
        out = laid_out(a, layout).index_copy(dim, pynet.tensor(idx, dtype=pynet.int64),
                                             laid_out(src, layout))
        check(out, ref)
    check(pynet.index_copy(P(np.array(1.0)), 0, P(np.array([0])), P(np.array(5.0))),
          np.array(5.0))


def test_index_copy_gradients(need_torch):
    a, idx = rand_np((2, 4), "float64"), np.array([3, 0, 1])
    s = rand_np((2, 3), "float64", seed=3)
    both(lambda x, i, y: x.index_copy(1, i, y), lambda x, i, y: x.index_copy(1, i, y), a, idx, s,
         grad_of=[0, 2])
    # repeated positions: the last slice is written, and torch's gradient reaches every one
    x, rep = P(a, True), P(np.array([0, 0, 2]))
    y = P(s, True)
    out = pynet.index_copy(x, 1, rep, y)
    ref = a.copy()
    ref[:, 0], ref[:, 2] = s[:, 1], s[:, 2]
    check(out, ref)
    tx, ty = T(a, True), T(s, True)
    g = np.arange(8.0).reshape(2, 4)
    out.backward(P(g))
    torch.index_copy(tx, 1, T(np.array([0, 0, 2])), ty).backward(T(g))
    check(x.grad, tx.grad)
    check(y.grad, ty.grad)
    assert gc(lambda x, y: x.index_copy(0, pynet.tensor([1, 0]), y), a,
              rand_np((2, 4), "float64", seed=4))
    # in place
    z = P(a)
    assert z.index_copy_(1, P(idx), P(s)) is z
    check(z, T(a).index_copy_(1, T(idx), T(s)))


def test_index_copy_errors(need_torch):
    a = np.arange(12.0, dtype=np.float32).reshape(3, 4)
    src = -np.ones((3, 2), np.float32)
    cases = [
        lambda m, x: x.index_copy(1, m.tensor([0, 2]), m.tensor(src).double()),
        lambda m, x: x.index_copy(1, m.tensor([0, 2]), m.tensor(np.ones((3, 3), np.float32))),
        lambda m, x: x.index_copy(1, m.tensor([9, 0]), m.tensor(src)),
        lambda m, x: x.index_copy(1, m.tensor([-1, 0]), m.tensor(src)),
        lambda m, x: x.index_copy(1, m.tensor([0.0, 2.0]), m.tensor(src)),
        lambda m, x: x.index_copy(1, m.tensor([[0, 2]]), m.tensor(src)),
        lambda m, x: x.index_copy(0, m.tensor([1]), m.tensor(np.ones(4, np.float32))),
        lambda m, x: x.index_copy(1, m.tensor([0, 1]), m.tensor(np.ones((2, 2), np.float32))),
        lambda m, x: x.index_copy(1, m.tensor([0, 2]), src),
    ]
    for case in cases:
        raises_like(lambda: case(pynet, P(a)), lambda: case(torch, T(a)))


# ======================================================================== index_put ====

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_index_put_matches_numpy(dtype, layout):
    a = rand_np((3, 4, 2), dtype)
    cases = [((np.array([0, 2]),), rand_np((2, 4, 2), dtype, 7)),
             ((np.array([2, -1]), np.array([[1], [3]])), rand_np((2,), dtype, 8)),
             ((np.array([1, 0]), np.array([3, 2]), np.array([0, -1])), rand_np((), dtype, 9)),
             ((rand_np((3, 4), "bool", 4),), rand_np((2,), dtype, 1)),
             ((np.array([], np.int64),), rand_np((2,), dtype, 2))]
    for idx, v in cases:
        ref = a.copy()
        ref[idx] = v
        out = laid_out(a, layout).index_put(tuple(P(i) for i in idx), P(v))
        check(out, ref)
    # accumulate sums repeated indices (bool: any)
    idx = (np.array([0, 2, 0, 0]), np.array([1, 1, 1, 3]))
    v = rand_np((4, 2), dtype, 3)
    ref = a.copy()
    if dtype == "bool":
        ref = ref.astype(np.int64)
        np.add.at(ref, idx, v.astype(np.int64))
        ref = ref != 0
    else:
        np.add.at(ref, idx, v)
    check(pynet.index_put(laid_out(a, layout), [P(i) for i in idx], P(v), accumulate=True), ref)


def test_index_put_like_torch_with_gradients(need_torch):
    a = rand_np((3, 4), "float64")
    v = rand_np((4,), "float64", seed=2)
    for acc, rows in [(False, [0, 2]), (True, [0, 0, 2])]:
        both(lambda x, i, y: x.index_put((i,), y, accumulate=acc),
             lambda x, i, y: x.index_put((i,), y, accumulate=acc), a, np.array(rows), v,
             grad_of=[0, 2])
    both(lambda x, i, j, y: x.index_put((i, j), y), lambda x, i, j, y: x.index_put((i, j), y),
         a, np.array([1, 2]), np.array([0, 3]), np.array(4.5), grad_of=[0, 3])
    assert gc(lambda x, y: x.index_put((pynet.tensor([2, 2, 0]),), y, accumulate=True), a, v)
    assert gc(lambda x, y: x.index_put((pynet.tensor([2, 0]), pynet.tensor([1, 1])), y), a,
              v[:2])
    x = P(a)
    assert pynet.index_put_(x, (P(np.array([1])),), P(v)) is x
    assert x.index_put_((P(np.array([0])),), P(v), True) is x
    check(x, T(a).index_put_((T(np.array([1])),), T(v)).index_put_((T(np.array([0])),), T(v),
                                                                    True))
    b = rand_np((3, 4), "bool")
    check(P(b).index_put((P(np.array([1, 1])),), P(np.array(True)), accumulate=True),
          T(b).index_put((T(np.array([1, 1])),), T(np.array(True)), accumulate=True))


def test_index_put_errors(need_torch):
    a = np.arange(12.0, dtype=np.float32).reshape(3, 4)
    i2 = np.array([0, 2])
    cases = [
        lambda m, x: x.index_put((m.tensor(i2),), m.tensor([5, 6])),
        lambda m, x: x.index_put((m.tensor(i2),), 5.0),
        lambda m, x: x.index_put((m.tensor(i2),), m.tensor(np.ones((3, 4), np.float32))),
        lambda m, x: x.index_put((None, m.tensor(i2)), m.tensor(5.0)),
        lambda m, x: x.index_put((m.tensor([0, 5]),), m.tensor(5.0)),
        lambda m, x: x.index_put((m.tensor([0, -4]),), m.tensor(5.0)),
        lambda m, x: x.index_put((m.tensor([0.0, 1.0]),), m.tensor(5.0)),
        lambda m, x: x.index_put((m.tensor([0]),) * 3, m.tensor(5.0)),
        lambda m, x: x.index_put((m.tensor([0, 1]), m.tensor([0, 1, 2])), m.tensor(5.0)),
        lambda m, x: x.index_put((m.tensor(np.ones((2, 4), bool)),), m.tensor(5.0)),
        lambda m, x: x.index_put(m.tensor([0]), m.tensor(5.0)),
    ]
    for case in cases:
        raises_like(lambda: case(pynet, P(a)), lambda: case(torch, T(a)))


# =================================================================== masked_scatter ====

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_masked_scatter_matches_numpy(dtype, layout):
    a = rand_np((3, 4), dtype)
    src = rand_np((5, 4), dtype, seed=3)
    for mshape in [(3, 4), (4,), (3, 1), ()]:
        m = rand_np(mshape, "bool", seed=len(mshape))
        me = np.broadcast_to(m, a.shape)
        ref = a.copy()
        ref[me] = src.reshape(-1)[:me.sum()]
        check(laid_out(a, layout).masked_scatter(P(m), laid_out(src, layout)), ref)
    # self broadcast to the mask's shape (out of place only), and 0-size
    m = rand_np((2, 3, 4), "bool")
    ref = np.broadcast_to(a, m.shape).copy()
    ref[m] = src.reshape(-1)[:m.sum()]
    check(pynet.masked_scatter(P(a), P(m), P(src)), ref)
    e = np.zeros((0, 4), dtype)
    check(P(e).masked_scatter(P(np.zeros((0, 4), bool)), P(np.zeros(0, dtype))), e)
    check(P(a).masked_scatter(P(np.zeros(4, bool)), P(np.zeros(0, dtype))), a)


def test_masked_scatter_gradients_and_errors(need_torch):
    a, s = rand_np((3, 4), "float64"), rand_np((20,), "float64", seed=1)
    m = np.array([True, False, True, True])
    both(lambda x, k, y: x.masked_scatter(k, y), lambda x, k, y: x.masked_scatter(k, y),
         a, m, s, grad_of=[0, 2])
    both(lambda x, k, y: x.masked_scatter(k, y), lambda x, k, y: x.masked_scatter(k, y),
         a[:1], np.ones((3, 4), bool), s, grad_of=[0, 2])
    assert gc(lambda x, y: x.masked_scatter(pynet.tensor(m), y), a, s[:12])
    x = P(a)
    assert x.masked_scatter_(P(m), P(s)) is x
    check(x, T(a).masked_scatter_(T(m), T(s)))
    mm = np.tile(m, (3, 1))
    cases = [
        lambda t, x: x.masked_scatter(t.tensor(mm), t.tensor(s[:3])),
        lambda t, x: x.masked_scatter(t.tensor(mm.astype(np.int64)), t.tensor(s)),
        lambda t, x: x.masked_scatter(t.tensor(mm), t.tensor(s.astype(np.float32))),
        lambda t, x: x.masked_scatter(t.tensor(mm), list(s)),
        lambda t, x: x[:1].clone().masked_scatter_(t.tensor(mm), t.tensor(s)),
        lambda t, x: x.masked_scatter(t.tensor(np.ones(3, bool)), t.tensor(s)),
    ]
    for case in cases:
        raises_like(lambda: case(pynet, P(a)), lambda: case(torch, T(a)))


# ========================================================== argwhere / sum_to_size ====

@pytest.mark.parametrize("shape", [(3, 4), (5,), (), (2, 0, 3), (2, 1, 3)])
@pytest.mark.parametrize("dtype", DTYPES)
def test_argwhere_matches_numpy(shape, dtype):
    a = rand_np(shape, dtype, low=-1, high=1)
    if dtype.startswith("float"):
        a = np.where(a > 0.3, np.nan, np.where(a < -0.3, 0.0, a)).astype(dtype)
    ref = np.argwhere(a).astype(np.int64)
    check(pynet.argwhere(P(a)), ref)
    check(P(a).argwhere(), ref)


def test_argwhere_zero_d_like_torch(need_torch):
    for v in (3.0, 0.0, -0.0, NAN):
        check(pynet.argwhere(P(np.array(v))), torch.argwhere(T(np.array(v))))


@pytest.mark.parametrize("dtype", DTYPES)
def test_sum_to_size_like_torch(dtype, need_torch):
    a = rand_np((2, 3, 4), dtype)
    for size in [(1, 4), ((4,),), (2, 1, 1), (3, 1), (1,), (), (2, 3, 4), (pynet.Size([1, 1]),)]:
        tsize = tuple(torch.Size(s) if isinstance(s, pynet.Size) else s for s in size)
        if size == ():
            raises_like(lambda: P(a).sum_to_size(), lambda: T(a).sum_to_size())
            continue
        check(P(a).sum_to_size(*size), T(a).sum_to_size(*tsize))
    x = P(a)
    assert x.sum_to_size(2, 3, 4) is x
    for bad in [(2, 4), (1, 2, 3, 4), (2, 2, 4)]:
        raises_like(lambda: P(a).sum_to_size(*bad), lambda: T(a).sum_to_size(*bad))


def test_sum_to_size_gradient():
    a = rand_np((2, 3, 4), "float64")
    check(P(a).sum_to_size(3, 1), a.sum(axis=(0, 2)).reshape(3, 1))
    assert gc(lambda x: x.sum_to_size(1, 3, 1), a)


# ========================================================================= copysign ====

SIGNED = np.array([1.5, -2.0, 0.0, -0.0, INF, -INF, NAN, -NAN])


def bits(t):
    a = t.detach().numpy(force=True) if isinstance(t, pynet.Tensor) else t.detach().numpy()
    return a.view(np.uint64 if a.dtype == np.float64 else np.uint32)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_copysign_matches_numpy_bit_for_bit(layout):
    a = np.tile(SIGNED, (8, 1))
    b = a.T.copy()
    out = pynet.copysign(laid_out(a, layout), laid_out(b, layout))
    ref = np.copysign(a, b)
    check(out, ref)
    np.testing.assert_array_equal(bits(out), ref.view(np.uint64))
    out = P(SIGNED.astype(np.float32)).copysign(-0.0)
    np.testing.assert_array_equal(bits(out), np.copysign(SIGNED.astype(np.float32), -0.0)
                                  .view(np.uint32))


@pytest.mark.parametrize("da", DTYPES)
@pytest.mark.parametrize("db", DTYPES + ["number"])
def test_copysign_dtypes_like_torch(da, db, need_torch):
    a = rand_np((2, 3), da)
    b = -1.5 if db == "number" else rand_np((3,), db, seed=2)
    tb, pb = (b, b) if db == "number" else (T(b), P(b))
    check(pynet.copysign(P(a), pb), torch.copysign(T(a), tb))


def test_copysign_gradients_and_in_place(need_torch):
    a, b = SIGNED[:6], np.array([-1.0, 1.0, -1.0, 1.0, NAN, -0.0])
    both(pynet.copysign, torch.copysign, a, b)
    both(lambda x: x.copysign(-2.0), lambda x: x.copysign(-2.0), a)
    # only other requires grad: the result still does, with a zero gradient (as torch)
    y = P(b, True)
    out = pynet.copysign(P(a), y)
    assert out.requires_grad
    out.sum().backward()
    check(y.grad, np.zeros(6))
    assert gc(pynet.copysign, rand_np((3,), "float64", nonzero=True), rand_np((2, 1), "float64"))
    x = P(a)
    assert x.copysign_(P(b)) is x
    check(x, T(a).copysign_(T(b)))
    i = rand_np((3,), "int64")
    raises_like(lambda: P(i).copysign_(P(i)), lambda: T(i).copysign_(T(i)))


def test_signbit_reads_the_sign_bit(need_torch):
    for dt in ("float32", "float64"):
        a = SIGNED.astype(dt)
        out = pynet.signbit(P(a))
        check(out, np.signbit(a))
        check(out, torch.signbit(T(a)))
        check(laid_out(np.tile(a, (2, 1)), "transposed").signbit(), np.signbit(np.tile(a, (2, 1))))
    check(pynet.signbit(P(np.array([-3, 0, 4]))), np.array([True, False, False]))
    check(pynet.signbit(P(np.array([True, False]))), np.array([False, False]))
    check(pynet.signbit(P(np.zeros((0, 2)))), np.zeros((0, 2), bool))
    check(pynet.signbit(P(np.array(-0.0))), np.array(True))
    assert not pynet.signbit(P(SIGNED, True)).requires_grad


# ======================================================================= gcd / lcm ====

@pytest.mark.parametrize("layout", LAYOUTS)
def test_gcd_lcm_match_numpy(layout):
    a = rand_np((6, 5), "int64", low=-40, high=40)
    b = rand_np((6, 5), "int64", seed=1, low=-40, high=40)
    a[0, :2] = 0
    b[0, 1:3] = 0
    check(pynet.gcd(laid_out(a, layout), laid_out(b, layout)), np.gcd(a, b))
    check(laid_out(a, layout).lcm(laid_out(b, layout)), np.lcm(a, b))
    big = np.array([2**61, 3 * 2**40, 1071, 832040])
    other = np.array([3, 5 * 2**40, 462, 514229])  # ... and consecutive Fibonacci numbers
    check(pynet.gcd(P(big), P(other)), np.gcd(big, other))
    check(pynet.lcm(P(big), P(other)), np.lcm(big, other))
    check(pynet.gcd(P(np.zeros((0, 3), np.int64)), P(np.zeros(3, np.int64))),
          np.zeros((0, 3), np.int64))


def test_gcd_lcm_like_torch(need_torch):
    # the int64 minimum, whose absolute value overflows, as torch (Euclid on C remainders)
    a = np.array([M64, M64, M64, M64, 6, M64, 5, 7, 0])
    b = np.array([6, 3, -1, M64, M64, 0, M64, M64, M64])
    check(pynet.gcd(P(a), P(b)), torch.gcd(T(a), T(b)))
    keep = [0, 1, 3, 4, 5, 6]  # (torch's own lcm traps on M64 / -1)
    check(pynet.lcm(P(a[keep]), P(b[keep])), torch.lcm(T(a[keep]), T(b[keep])))
    i, bo = rand_np((2, 3), "int64", low=-9, high=9), rand_np((3,), "bool")
    check(pynet.gcd(P(i), P(bo)), torch.gcd(T(i), T(bo)))
    check(pynet.lcm(P(np.array(4)), P(i)), torch.lcm(T(np.array(4)), T(i)))
    x = P(i)
    assert x.gcd_(P(np.array([2, 3, 4]))) is x and pynet.lcm_(x, P(np.array(5))) is x
    check(x, T(i).gcd_(T(np.array([2, 3, 4]))).lcm_(T(np.array(5))))
    f = rand_np((3,), "float32")
    for name in ("gcd", "lcm"):
        fn, tfn = getattr(pynet, name), getattr(torch, name)
        raises_like(lambda: fn(P(f), P(f)), lambda: tfn(T(f), T(f)))
        raises_like(lambda: fn(P(bo), P(bo)), lambda: tfn(T(bo), T(bo)))
        raises_like(lambda: fn(P(i), P(f)), lambda: tfn(T(i), T(f)))
        raises_like(lambda: fn(P(i), 2), lambda: tfn(T(i), 2))
    raises_like(lambda: P(bo).gcd_(P(np.array([1, 2, 3]))),
                lambda: T(bo).gcd_(T(np.array([1, 2, 3]))))


# =========================================================== fix, logical_not_, ldexp ====

@pytest.mark.parametrize("dtype", DTYPES)
def test_fix_is_trunc(dtype, need_torch):
    a = rand_np((2, 5), dtype)
    if dtype.startswith("float"):
        a[0] = [-0.5, 0.5, NAN, -INF, 2.5]
    raises_like_or_check(lambda: pynet.fix(P(a)), lambda: torch.fix(T(a)))
    x = P(a)
    if dtype != "bool":
        assert pynet.fix_(x) is x
        check(x, torch.fix(T(a)))
        assert x.fix_() is x
    both(pynet.fix, torch.fix, rand_np((3,), "float64"))


def raises_like_or_check(pn_call, th_call):
    try:
        ref = th_call()
    except Exception as e:
        with pytest.raises(expected_exc(type(e))):
            pn_call()
        return
    check(pn_call(), ref)


@pytest.mark.parametrize("dtype", DTYPES)
def test_logical_not_in_place(dtype, need_torch):
    a = rand_np((3, 4), dtype, low=-1, high=1)
    x = laid_out(a, "transposed")
    assert x.logical_not_() is x
    check(x, T(a).logical_not_())
    check(x, (a == 0).astype(dtype))


@pytest.mark.parametrize("da", DTYPES)
@pytest.mark.parametrize("db", DTYPES)
def test_ldexp_like_torch(da, db, need_torch):
    a = rand_np((2, 3), da)
    b = rand_np((3,), db, seed=1, low=-4, high=4)
    raises_like_or_check(lambda: pynet.ldexp(P(a), P(b)), lambda: torch.ldexp(T(a), T(b)))
    x, tx = P(a), T(a)
    raises_like_or_check(lambda: x.ldexp_(P(b)), lambda: tx.ldexp_(T(b)))


def test_ldexp_values_and_gradients(need_torch):
    a = np.array([1.0, -3.0, 0.5, NAN, INF, -0.0])
    e = np.array([2000, -2, 0, 3, -1, 5])
    check(pynet.ldexp(P(a.astype(np.float32)), P(e)), torch.ldexp(T(a.astype(np.float32)), T(e)))
    with np.errstate(over="ignore"):
        check(pynet.ldexp(P(a), P(e)), np.ldexp(a, e))
    a32, e150 = np.array([3.0, 1e-45, 1.5], np.float32), np.array([-150, -1, 127])
    check(pynet.ldexp(P(a32), P(e150)), torch.ldexp(T(a32), T(e150)), rtol=0)  # exact
    check(pynet.ldexp(P(a32), P(e150)), np.ldexp(a32, e150), rtol=0)
    # (torch's gradient for an int exponent computes 2 ** e in int64: 0 for e < 0; compared
    # where that is right, and with gradcheck below)
    both(lambda x, k: x.ldexp(k), lambda x, k: x.ldexp(k), a[:3], np.array([3, 0, 10]),
         grad_of=[0])
    x = P(np.array([1.0, 2.0]), True)
    pynet.ldexp(x, P(np.array([-2, 1]))).backward(P(np.array([1.0, 1.0])))
    check(x.grad, np.array([0.25, 2.0]))
    assert gc(lambda t: t.ldexp(pynet.tensor([[-3], [2]])), rand_np((3,), "float64"))
    both(pynet.ldexp, torch.ldexp, rand_np((3,), "float64"), rand_np((2, 1), "float64", 1))
    assert gc(pynet.ldexp, rand_np((3,), "float64"), rand_np((3,), "float64", 1))
    raises_like(lambda: pynet.ldexp(P(a), 2), lambda: torch.ldexp(T(a), 2))
    x = P(a)
    assert pynet.ldexp_(x, P(e)) is x


# ======================================================================== nextafter ====

@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_nextafter_matches_numpy(dtype):
    a = np.array([1.0, 1.0, 0.0, -0.0, 0.0, INF, NAN, 1.0, np.finfo(dtype).max, -2.5], dtype)
    b = np.array([2.0, 0.0, 1.0, -1.0, 0.0, 0.0, 1.0, NAN, INF, -2.5], dtype)
    out = pynet.nextafter(P(a), P(b))
    with np.errstate(over="ignore"):
        ref = np.nextafter(a, b)
    check(out, ref, rtol=0)
    np.testing.assert_array_equal(bits(out), ref.view(np.uint32 if dtype == "float32"
                                                      else np.uint64))
    t = laid_out(np.tile(a, (3, 1)), "stepped")
    with np.errstate(over="ignore"):
        check(t.nextafter(P(np.array(INF, dtype))), np.nextafter(np.tile(a, (3, 1)), INF), rtol=0)


def test_nextafter_dtypes_gradients_errors(need_torch):
    f, d = rand_np((2, 3), "float32"), rand_np((3,), "float64", 1)
    check(pynet.nextafter(P(f), P(d)), torch.nextafter(T(f), T(d)), rtol=0)
    check(pynet.nextafter(P(f), P(np.array(2.0))), torch.nextafter(T(f), T(np.array(2.0))),
          rtol=0)
    both(pynet.nextafter, torch.nextafter, rand_np((2, 3), "float64"), d)
    x = P(f)
    assert x.nextafter_(P(f + 1)) is x
    check(x, T(f).nextafter_(T(f + 1)), rtol=0)
    i, i3 = np.array([1, 2]), np.array([1, 2, 3])
    raises_like(lambda: pynet.nextafter(P(i), P(i)), lambda: torch.nextafter(T(i), T(i)))
    raises_like(lambda: pynet.nextafter(P(f), 2), lambda: torch.nextafter(T(f), 2))
    check(P(f).nextafter_(P(d)), T(f).nextafter_(T(d)), rtol=0)  # in float64, cast back
    raises_like(lambda: P(i3).nextafter_(P(d)), lambda: T(i3).nextafter_(T(d)))
    raises_like(lambda: pynet.nextafter(P(f), P(d[:2])), lambda: torch.nextafter(T(f), T(d[:2])))


# ===================================================================== random fills ====

N = 20000


@pytest.mark.parametrize("dtype", DTYPES)
def test_random_default_ranges(dtype):
    pynet.manual_seed(0)
    x = pynet.empty(N, dtype=pynet.__dict__[dtype])
    assert x.random_() is x
    a = x.numpy().astype(np.float64)
    top = {"bool": 1, "int64": 2**63 - 1, "float32": 2**24, "float64": 2**53}[dtype]
    assert a.min() >= 0 and a.max() <= top
    assert np.all(a == np.floor(a))
    assert abs(a.mean() / top - 0.5) < 0.02  # uniform on [0, top]
    assert a.max() > 0.99 * top and a.min() < 0.01 * top


@pytest.mark.parametrize("dtype", ["int64", "float32", "float64"])
def test_random_bounds_and_uniformity(dtype):
    pynet.manual_seed(1)
    x = pynet.empty(N, dtype=pynet.__dict__[dtype])
    counts = np.bincount(x.random_(5).numpy().astype(np.int64), minlength=5)
    assert counts.size == 5 and np.all(np.abs(counts / N - 0.2) < 0.02)
    v = x.random_(-3, 4).numpy()
    assert set(np.unique(v).tolist()) == set(range(-3, 4))
    v = x.random_(**{"from": 10, "to": 12}).numpy()
    assert set(np.unique(v).tolist()) == {10, 11}
    v = x.random_(2, None).numpy().astype(np.float64)
    assert v.min() >= 2 and v.mean() > 1e6
    b = pynet.empty(N, dtype=pynet.bool)
    assert b.random_(1, None).all().item()
    assert not b.random_(0, 1).any().item()


def test_random_int64_full_range_and_large_bounds():
    pynet.manual_seed(2)
    x = pynet.empty(N, dtype=pynet.int64)
    a = x.random_(M64, None).numpy()
    assert (a < 0).mean() == pytest.approx(0.5, abs=0.02) and a.min() < -2**62
    a = x.random_(2**63 - 4, None).numpy()
    assert set(np.unique(a).tolist()) == {2**63 - 4, 2**63 - 3, 2**63 - 2, 2**63 - 1}
    a = x.random_(M64, M64 + 2).numpy()
    assert set(np.unique(a).tolist()) == {M64, M64 + 1}


def test_random_errors_and_warnings(need_torch):
    for dt in ("float32", "int64", "bool"):
        for args in [(5, 5), (3, 2), (-1,), (0, 2**64), (2.5, 7.9), (None,), (1, 2, 3), (2, 3.0),
                     (2**25, None), (-3, 5), (5,), (2, None), (True,)]:
            raises_like_or_check(
                lambda: pynet.empty(0, dtype=getattr(pynet, dt)).random_(*args),
                lambda: torch.empty(0, dtype=getattr(torch, dt)).random_(*args))
    for kwargs in [{"from": 2}, {"to": 3, "from": 4}, {"frm": 1}]:
        raises_like_or_check(lambda: pynet.empty(2).random_(**kwargs),
                             lambda: torch.empty(2).random_(**kwargs))
    with pytest.warns(UserWarning, match="out of bounds"):
        pynet.empty(3).random_(0, 2**60)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pynet.empty(3, dtype=pynet.float64).random_(0, 2**50)
        pynet.empty(3, dtype=pynet.int64).random_(0, 2**60)
    with pytest.raises(RuntimeError):
        pynet.empty(3).expand(2, 3).random_()


def test_geometric_distribution(need_torch):
    pynet.manual_seed(3)
    for dt in (pynet.float32, pynet.float64, pynet.int64):
        x = pynet.empty(N, dtype=dt)
        assert x.geometric_(0.3) is x and x.dtype == dt
        a = x.numpy().astype(np.float64)
        assert a.min() == 1 and np.all(a == np.floor(a))
        assert a.mean() == pytest.approx(1 / 0.3, rel=0.04)  # mean 1/p
        assert (a == 1).mean() == pytest.approx(0.3, abs=0.015)  # P(X = 1) = p
    a = pynet.empty(N).geometric_(0.999).numpy()
    assert (a == 1).mean() > 0.99
    for p in (0, 1, 1.5, -0.1, NAN):
        raises_like(lambda: pynet.empty(3).geometric_(p), lambda: torch.empty(3).geometric_(p))
    raises_like(lambda: pynet.empty(3, dtype=pynet.bool).geometric_(0.5),
                lambda: torch.empty(3, dtype=torch.bool).geometric_(0.5))


def test_log_normal_distribution(need_torch):
    pynet.manual_seed(4)
    for dt in (pynet.float32, pynet.float64):
        x = pynet.empty(N, dtype=dt)
        assert x.log_normal_() is x
        logs = np.log(x.numpy().astype(np.float64))
        assert logs.mean() == pytest.approx(1.0, abs=0.05)  # defaults mean 1, std 2
        assert logs.std() == pytest.approx(2.0, rel=0.03)
        logs = np.log(x.log_normal_(-1.0, 0.5).numpy().astype(np.float64))
        assert logs.mean() == pytest.approx(-1.0, abs=0.02)
        assert logs.std() == pytest.approx(0.5, rel=0.03)
    for args in [(1, 0), (1, -1), (0, NAN)]:
        raises_like(lambda: pynet.empty(3).log_normal_(*args),
                    lambda: torch.empty(3).log_normal_(*args))
    for dt in ("int64", "bool"):
        raises_like(lambda: pynet.empty(3, dtype=getattr(pynet, dt)).log_normal_(),
                    lambda: torch.empty(3, dtype=getattr(torch, dt)).log_normal_())


def test_cauchy_distribution(need_torch):
    pynet.manual_seed(5)
    for dt in (pynet.float32, pynet.float64):
        x = pynet.empty(N, dtype=dt)
        assert x.cauchy_() is x
        a = x.numpy()
        # the quartiles of Cauchy(median, sigma) are median -+ sigma
        q = np.quantile(a, [0.25, 0.5, 0.75])
        np.testing.assert_allclose(q, [-1, 0, 1], atol=0.06)
        q = np.quantile(x.cauchy_(3.0, 0.5).numpy(), [0.25, 0.5, 0.75])
        np.testing.assert_allclose(q, [2.5, 3.0, 3.5], atol=0.03)
    for args in [(0, 0), (0, -1), (0, NAN)]:
        raises_like(lambda: pynet.empty(3).cauchy_(*args), lambda: torch.empty(3).cauchy_(*args))
    for dt in ("int64", "bool"):
        raises_like(lambda: pynet.empty(3, dtype=getattr(pynet, dt)).cauchy_(),
                    lambda: torch.empty(3, dtype=getattr(torch, dt)).cauchy_())


@pytest.mark.parametrize("fill", [lambda x, **k: x.random_(**k),
                                  lambda x, **k: x.random_(-5, 100, **k),
                                  lambda x, **k: x.geometric_(0.2, **k),
                                  lambda x, **k: x.log_normal_(**k),
                                  lambda x, **k: x.cauchy_(**k)])
def test_random_fills_reproducible_with_seed_and_generator(fill):
    pynet.manual_seed(7)
    a = fill(pynet.empty(50, dtype=pynet.float64)).numpy().copy()
    b = fill(pynet.empty(50, dtype=pynet.float64)).numpy().copy()
    pynet.manual_seed(7)
    check(fill(pynet.empty(50, dtype=pynet.float64)), a)
    assert not np.array_equal(a, b)
    # a generator's own stream leaves the global one where it was
    g = pynet.Generator().manual_seed(11)
    state = pynet.get_rng_state()
    c = fill(pynet.empty(50, dtype=pynet.float64), generator=g).numpy().copy()
    assert bytes(pynet.get_rng_state()) == bytes(state)
    check(fill(pynet.empty(50, dtype=pynet.float64),
               generator=pynet.Generator().manual_seed(11)), c)
    # non-contiguous targets are filled in place, with no history to differentiate
    base = pynet.zeros(4, 10, dtype=pynet.float64)
    view = base.t()
    assert fill(view) is view and (base != 0).any().item()
    leaf = pynet.zeros(5, dtype=pynet.float64, requires_grad=True)
    y = leaf * 1
    fill(y)
    y.sum().backward()
    check(leaf.grad, np.zeros(5))


def test_random_fills_history_names(need_torch):
    for call, name in [(lambda y: y.random_(), "RandomBackward2"),
                       (lambda y: y.random_(5), "RandomBackward1"),
                       (lambda y: y.random_(1, 5), "RandomBackward0"),
                       (lambda y: y.geometric_(0.5), "GeometricBackward0"),
                       (lambda y: y.log_normal_(), "LogNormalBackward0"),
                       (lambda y: y.cauchy_(), "CauchyBackward0")]:
        y = pynet.ones(3, requires_grad=True) * 1
        call(y)
        assert y.grad_fn.name() == name
        ty = torch.ones(3, requires_grad=True) * 1
        call(ty)
        assert ty.grad_fn.name() == name
        raises_like(lambda: call(pynet.ones(3, requires_grad=True)),
                    lambda: call(torch.ones(3, requires_grad=True)))


# ================================= isposinf ... combinations (top-level functions) ====

def test_infinity_tests_and_is_nonzero():
    a = np.array([np.inf, -np.inf, 1.0, np.nan, -0.0])
    for dt in ("float32", "float64"):
        x = pynet.tensor(a.astype(dt))
        check(pynet.isposinf(x), np.isposinf(a))
        check(x.isneginf(), np.isneginf(a))
        check(pynet.isreal(x), np.ones(5, bool))
    check(pynet.isposinf(pynet.tensor([1, 2])), np.zeros(2, bool))
    assert pynet.is_nonzero(pynet.tensor([2.0])) and not pynet.tensor(0).is_nonzero()
    for bad in (pynet.tensor([]), pynet.tensor([1.0, 2.0])):
        with pytest.raises(RuntimeError, match="ambiguous"):
            pynet.is_nonzero(bad)
    assert pynet.is_floating_point(pynet.tensor(1.0)) and not pynet.is_floating_point([1])
    assert pynet.unflatten(pynet.zeros(6), 0, (2, 3)).shape == (2, 3)


@pytest.mark.parametrize("N,increasing", [(None, False), (4, False), (2, True), (0, False)])
def test_vander_matches_numpy(N, increasing):
    for a in (np.array([1, 2, 3]), np.array([0.5, -2.0, 3.0])):
        check(pynet.vander(pynet.tensor(a), N=N, increasing=increasing),
              np.vander(a, N=N, increasing=increasing), rtol=1e-6)
    with pytest.raises(RuntimeError):
        pynet.vander(pynet.zeros(2, 2))


def test_trapezoid_rules_match_numpy_and_gradcheck():
    y = rand_np((3, 5), "float64", 7)
    x = np.sort(rand_np((5,), "float64", 8))
    np.testing.assert_allclose(pynet.trapezoid(pynet.tensor(y)).numpy(), np.trapezoid(y), rtol=1e-14)
    np.testing.assert_allclose(pynet.trapz(pynet.tensor(y), dx=0.5, dim=0).numpy(),
                               np.trapezoid(y, dx=0.5, axis=0), rtol=1e-14)
    np.testing.assert_allclose(pynet.trapezoid(pynet.tensor(y), pynet.tensor(x)).numpy(),
                               np.trapezoid(y, x), rtol=1e-14)
    cum = np.cumsum((y[:, 1:] + y[:, :-1]) / 2 * np.diff(x), axis=1)
    np.testing.assert_allclose(
        pynet.cumulative_trapezoid(pynet.tensor(y), pynet.tensor(x)).numpy(), cum, rtol=1e-14)
    assert pynet.trapezoid(pynet.zeros(0)).item() == 0.0
    assert gc(lambda t: pynet.trapezoid(t, dx=0.3), y)
    with pytest.raises(TypeError):
        pynet.trapezoid(pynet.tensor(y), pynet.tensor(x), dx=1.0)


def test_unravel_index_and_combinations():
    flat = np.array([4, 1, 0, 5, -1])
    got = pynet.unravel_index(pynet.tensor(flat), (2, 3))
    want = np.unravel_index(flat % 6, (2, 3))
    assert [g.tolist() for g in got] == [w.tolist() for w in want]
    with pytest.raises(RuntimeError):
        pynet.unravel_index(pynet.tensor([6]), (2, 3))
    with pytest.raises(TypeError):
        pynet.unravel_index(pynet.tensor([1.0]), (2, 3))
    import itertools
    v = np.array([5, 7, 9, 11])
    for r, rep in ((2, False), (3, False), (2, True), (5, False)):
        pick = itertools.combinations_with_replacement if rep else itertools.combinations
        want = np.array([list(c) for c in pick(v, r)], dtype=np.int64).reshape(-1, r)
        check(pynet.combinations(pynet.tensor(v), r, rep), want)
    assert pynet.combinations(pynet.tensor(v), 0).shape == (0,)
    x = pynet.tensor([1.0, 2.0, 3.0], requires_grad=True)
    pynet.combinations(x).sum().backward()  # each element is in 2 of the 3 pairs
    assert x.grad.tolist() == [2.0, 2.0, 2.0]


DT = [pynet.bool, pynet.int64, pynet.float32, pynet.float64]


def test_promote_types_and_can_cast():
    kind = {pynet.bool: 0, pynet.int64: 1, pynet.float32: 2, pynet.float64: 3}
    for a in DT:
        for b in DT:  # the higher of the two on bool < int64 < float32 < float64
            assert pynet.promote_types(a, b) == (a if kind[a] >= kind[b] else b)
            assert pynet.can_cast(a, b) == (min(kind[a], 2) <= min(kind[b], 2))
    with pytest.raises(TypeError):
        pynet.promote_types(pynet.float32, 3)
    with pytest.raises(TypeError):
        pynet.can_cast(pynet.float32, "a")


def test_result_type_rules():
    v = {dt: pynet.zeros(2, dtype=dt) for dt in DT}
    z = {dt: pynet.zeros((), dtype=dt) for dt in DT}
    assert pynet.result_type(v[pynet.int64], z[pynet.float64]) == pynet.float64  # higher kind
    assert pynet.result_type(v[pynet.float32], z[pynet.float64]) == pynet.float32  # same kind
    assert pynet.result_type(v[pynet.int64], 2.5) == pynet.float32
    assert pynet.result_type(v[pynet.bool], 3) == pynet.int64
    assert pynet.result_type(v[pynet.float64], 3) == pynet.float64
    assert pynet.result_type(True, 2) == pynet.int64
    assert pynet.result_type(1, 2.0) == pynet.float32
    with pytest.raises(TypeError):
        pynet.result_type([1], 2)


def test_result_type_as_torch(need_torch):
    tdt = {pynet.bool: need_torch.bool, pynet.int64: need_torch.int64,
           pynet.float32: need_torch.float32, pynet.float64: need_torch.float64}
    operands = [lambda L, d: L.zeros(2, dtype=d), lambda L, d: L.zeros((), dtype=d)]
    for a in DT:
        for b in DT:
            for fa in operands:
                for fb in operands:
                    got = pynet.result_type(fa(pynet, a), fb(pynet, b))
                    assert tdt[got] == need_torch.result_type(fa(need_torch, tdt[a]),
                                                              fb(need_torch, tdt[b]))
            for num in (True, 3, 2.5):
                assert tdt[pynet.result_type(pynet.zeros(2, dtype=a), num)] == \
                    need_torch.result_type(need_torch.zeros(2, dtype=tdt[a]), num)
