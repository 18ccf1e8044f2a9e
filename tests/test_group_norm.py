"""GroupNorm / F.group_norm: values and gradients against PyTorch and NumPy, gradcheck
(first and second order), errors, the module's parameters and repr."""
import numpy as np
import pytest

import pynet
import pynet.nn as nn
import pynet.nn.functional as F
from pynet.autograd import gradcheck

from conftest import torch


def group_norm_np(x, g, w=None, b=None, eps=1e-5):
    n, c = x.shape[:2]
    xs = x.reshape(n, g, int(np.prod(x.shape[1:])) // g)
    mean = xs.mean(-1, keepdims=True)
    var = xs.var(-1, keepdims=True)
    y = ((xs - mean) / np.sqrt(var + eps)).reshape(x.shape)
    shape = (1, c) + (1,) * (x.ndim - 2)
    if w is not None:
        y = y * w.reshape(shape)
    if b is not None:
        y = y + b.reshape(shape)
    return y


CASES = [((2, 6, 5), 3), ((3, 4, 2, 3), 2), ((2, 4), 4), ((1, 8, 3, 3), 1), ((0, 4, 3), 2)]


@pytest.mark.parametrize("shape,groups", CASES)
@pytest.mark.parametrize("affine", [False, True])
def test_group_norm_matches_numpy(shape, groups, affine):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape) * 3 + 1
    w = rng.standard_normal(shape[1]) if affine else None
    b = rng.standard_normal(shape[1]) if affine else None
    got = F.group_norm(pynet.tensor(x), groups, None if w is None else pynet.tensor(w),
                       None if b is None else pynet.tensor(b))
    np.testing.assert_allclose(got.numpy(), group_norm_np(x, groups, w, b), rtol=1e-10,
                               atol=1e-12)


@pytest.mark.parametrize("shape,groups", CASES[:4])
def test_group_norm_values_and_gradients_match_torch(need_torch, shape, groups):
    rng = np.random.default_rng(1)
    x, w, b = (rng.standard_normal(shape), rng.standard_normal(shape[1]),
               rng.standard_normal(shape[1]))
    g = rng.standard_normal(shape)
    pins = [pynet.tensor(a, requires_grad=True) for a in (x, w, b)]
    tins = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
    py, ty = F.group_norm(pins[0], groups, pins[1], pins[2]), \
        torch.nn.functional.group_norm(tins[0], groups, tins[1], tins[2])
    np.testing.assert_allclose(py.detach().numpy(), ty.detach().numpy(), rtol=1e-10, atol=1e-12)
    (py * pynet.tensor(g)).sum().backward()
    (ty * torch.tensor(g)).sum().backward()
    for p, t in zip(pins, tins):
        np.testing.assert_allclose(p.grad.numpy(), t.grad.numpy(), rtol=1e-9, atol=1e-10)


def test_group_norm_gradcheck_first_and_second_order():
    rng = np.random.default_rng(2)
    x = pynet.tensor(rng.standard_normal((2, 4, 3)), requires_grad=True)
    w = pynet.tensor(rng.standard_normal(4), requires_grad=True)
    b = pynet.tensor(rng.standard_normal(4), requires_grad=True)
    f = lambda x, w, b: F.group_norm(x, 2, w, b)  # noqa: E731
    assert gradcheck(f, (x, w, b), eps=1e-6, atol=1e-7, rtol=1e-5)
    v = pynet.tensor(rng.standard_normal((2, 4, 3)), requires_grad=True)

    def first(x, w, b, v):
        with pynet.enable_grad():
            return pynet.autograd.grad(f(x, w, b), [x, w, b], v, create_graph=True)
    assert gradcheck(first, (x, w, b, v), eps=1e-6, atol=1e-7, rtol=1e-5)


@pytest.mark.parametrize("call", [
    lambda m, x: m.group_norm(x(2, 6, 3), 4),
    lambda m, x: m.group_norm(x(2, 6, 3), 3, x(5)),
    lambda m, x: m.group_norm(x(2, 6, 3), 3, None, x(2, 3)),
    lambda m, x: m.group_norm(x(6), 3),
])
def test_group_norm_errors(call):
    with pytest.raises(RuntimeError):
        call(F, lambda *s: pynet.ones(*s))
    if torch is not None:
        with pytest.raises(RuntimeError):
            call(torch.nn.functional, lambda *s: torch.ones(*s))


def test_group_norm_module():
    m = nn.GroupNorm(2, 6)
    assert [k for k, _ in m.named_parameters()] == ["weight", "bias"]
    assert m.weight.tolist() == [1.0] * 6 and m.bias.tolist() == [0.0] * 6
    assert repr(m) == "GroupNorm(2, 6, eps=1e-05, affine=True, bias=True)"
    assert repr(nn.GroupNorm(2, 6, affine=False)) == \
        "GroupNorm(2, 6, eps=1e-05, affine=False, bias=False)"
    assert list(nn.GroupNorm(3, 6, affine=False).parameters()) == []
    with pytest.raises(ValueError, match="divisible"):
        nn.GroupNorm(4, 6)
    x = pynet.randn(2, 6, 4, 4)
    want = group_norm_np(x.numpy().astype(np.float64), 2)
    np.testing.assert_allclose(m(x).detach().numpy(), want, rtol=1e-4, atol=1e-5)


def test_group_norm_module_repr_matches_torch(need_torch):
    for kw in ({}, {"affine": False}, {"bias": False}, {"eps": 1e-3}):
        assert repr(nn.GroupNorm(2, 6, **kw)) == repr(torch.nn.GroupNorm(2, 6, **kw))


# The fused kernel (kernels/nn.c): rows of the (N G, C/G L) view, each channel's positions
# summed in 16 lanes plus a tail, per-item sums of dw and db added in item order.
LANE_CASES = [((2, 6, 40), 3), ((3, 4, 5, 7), 2), ((2, 8, 16), 4), ((4, 6, 17), 6),
              ((2, 4, 1), 1), ((1, 32, 28, 28), 8)]


@pytest.mark.parametrize("shape,groups", LANE_CASES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
# (a bias without a weight is checked by gradcheck below: PyTorch 2.x's backward of
# that case fails with "tensor does not have a device")
@pytest.mark.parametrize("affine", ["both", "weight", "none"])
def test_group_norm_kernel_values_and_gradients_match_torch(need_torch, shape, groups, dtype,
                                                            affine):
    rng = np.random.default_rng(3)
    x, g = rng.standard_normal(shape) * 2 - 1, rng.standard_normal(shape)
    w, b = rng.standard_normal(shape[1]), rng.standard_normal(shape[1])
    w = w if affine in ("both", "weight") else None
    b = b if affine in ("both", "bias") else None
    out = []
    for lib in (pynet, torch):
        ins = [None if a is None else lib.tensor(a.astype(dtype), requires_grad=True)
               for a in (x, w, b)]
        y = lib.nn.functional.group_norm(ins[0], groups, ins[1], ins[2])
        y.backward(lib.tensor(g.astype(dtype)))
        out.append([y.detach().numpy()] + [None if t is None else t.grad.numpy() for t in ins])
    tol = dict(rtol=2e-5, atol=2e-5) if dtype == "float32" else dict(rtol=1e-9, atol=1e-11)
    for p, t in zip(*out):
        if t is not None:
            assert p.dtype == t.dtype
            np.testing.assert_allclose(p, t, **tol)


def test_group_norm_of_strided_input_matches_its_contiguous_copy():
    rng = np.random.default_rng(4)
    base = pynet.tensor(rng.standard_normal((5, 6, 4)), requires_grad=True)
    x = base.transpose(0, 2)  # (4, 6, 5), not contiguous
    w, b = pynet.tensor(rng.standard_normal(6)), pynet.tensor(rng.standard_normal(6))
    y = F.group_norm(x, 3, w, b)
    y.backward(pynet.ones_like(y))
    want = group_norm_np(x.detach().numpy().copy(), 3, w.numpy(), b.numpy())
    np.testing.assert_allclose(y.detach().numpy(), want, rtol=1e-10, atol=1e-12)
    xc = x.detach().contiguous().requires_grad_()
    F.group_norm(xc, 3, w, b).sum().backward()
    np.testing.assert_allclose(base.grad.numpy().transpose(2, 1, 0), xc.grad.numpy(),
                               rtol=1e-10, atol=1e-12)


def test_group_norm_gradcheck_second_order_through_lanes_without_weight():
    # 20 positions a channel: the lane sums and their tail; no weight, a bias
    rng = np.random.default_rng(5)
    x = pynet.tensor(rng.standard_normal((2, 4, 20)), requires_grad=True)
    b = pynet.tensor(rng.standard_normal(4), requires_grad=True)
    f = lambda x, b: F.group_norm(x, 2, None, b)  # noqa: E731
    assert gradcheck(f, (x, b), eps=1e-6, atol=1e-7, rtol=1e-5)
    v = pynet.tensor(rng.standard_normal((2, 4, 20)), requires_grad=True)

    def first(x, b, v):
        with pynet.enable_grad():
            return pynet.autograd.grad(f(x, b), [x, b], v, create_graph=True)
    assert gradcheck(first, (x, b, v), eps=1e-6, atol=1e-7, rtol=1e-5)


def test_group_norm_same_bits_at_one_and_two_threads():
    # 128 rows of 3136 values: the rows split over the pool at 2 threads
    rng = np.random.default_rng(6)
    x = rng.standard_normal((16, 32, 28, 28)).astype(np.float32)
    g = rng.standard_normal((16, 32, 28, 28)).astype(np.float32)
    w, b = rng.standard_normal(32).astype(np.float32), rng.standard_normal(32).astype(np.float32)
    res, old = [], pynet.get_num_threads()
    try:
        for threads in (1, 2):
            pynet.set_num_threads(threads)
            ins = [pynet.tensor(a, requires_grad=True) for a in (x, w, b)]
            y = F.group_norm(ins[0], 8, ins[1], ins[2])
            y.backward(pynet.tensor(g))
            res.append([y.detach().numpy()] + [t.grad.numpy() for t in ins])
    finally:
        pynet.set_num_threads(old)
    for a, c in zip(*res):
        assert np.array_equal(a, c)


def test_group_norm_node_name_matches_torch():
    x = pynet.randn(2, 4, 3, requires_grad=True)
    y = F.group_norm(x, 2, pynet.ones(4, requires_grad=True), None)
    assert y.grad_fn.name() == "NativeGroupNormBackward0"
