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
