"""In-place view ops (t_, transpose_, swapaxes_, swapdims_, squeeze_, unsqueeze_): self
takes the view's shape and strides and, with autograd, the view op's node on top of its
previous history; the version moves on; leaves that require grad are refused."""
import numpy as np
import pytest

import pynet

from conftest import to_np, torch

CALLS = [("t_", ()), ("transpose_", (0, 1)), ("transpose_", (-1, 0)), ("swapaxes_", (1, 0)),
         ("swapdims_", (0, -1)), ("unsqueeze_", (0,)), ("unsqueeze_", (-1,)), ("unsqueeze_", (1,)),
         ("squeeze_", ()), ("squeeze_", (0,)), ("squeeze_", ((0, 2),))]
OUT_OF_PLACE = {"t_": "t", "transpose_": "transpose", "swapaxes_": "transpose",
                "swapdims_": "transpose", "unsqueeze_": "unsqueeze", "squeeze_": "squeeze"}


def _input(name):
    # squeeze_ needs size-1 dims to remove; the others a 2-D matrix
    shape = (1, 3, 1) if name == "squeeze_" else (2, 3)
    return np.arange(np.prod(shape), dtype=np.float64).reshape(shape) - 2.5


@pytest.mark.parametrize("name,args", CALLS)
def test_self_becomes_the_view(name, args):
    x = pynet.tensor(_input(name))
    ref = getattr(x, OUT_OF_PLACE[name])(*args)
    before = x._version
    out = getattr(x, name)(*args)
    assert out is x
    assert x.shape == ref.shape and x.stride() == ref.stride()
    np.testing.assert_array_equal(to_np(x), to_np(ref))
    assert x._version == before + 1


@pytest.mark.parametrize("name,args", CALLS)
def test_gradient_flows_through_the_new_shape(name, args):
    a = _input(name)
    x = pynet.tensor(a, requires_grad=True)
    y = x * 3
    getattr(y, name)(*args)
    w = np.random.default_rng(0).standard_normal(tuple(y.shape))
    (y * pynet.tensor(w)).sum().backward()
    # d/dx sum(w * view(3 x)) = 3 * w laid back in x's shape
    transposed = OUT_OF_PLACE[name] in ("t", "transpose")
    expected = 3 * (np.transpose(w) if transposed else w.reshape(a.shape))
    np.testing.assert_allclose(to_np(x.grad), expected, rtol=1e-15)


@pytest.mark.parametrize("name,args", CALLS)
def test_matches_torch(need_torch, name, args):
    a = _input(name)
    results = []
    for lib in (pynet, torch):
        x = lib.tensor(a, requires_grad=True)
        y = x.sin()  # saves x, not y: y may change shape before the backward
        getattr(y, name)(*args)
        w = lib.tensor(np.linspace(-1, 1, y.numel()).reshape(tuple(y.shape)))
        (y * w).sum().backward()
        results.append((tuple(y.shape), tuple(y.stride()), y.detach().numpy(), x.grad.numpy()))
    assert results[0][:2] == results[1][:2]
    np.testing.assert_allclose(results[0][2], results[1][2], rtol=1e-15)
    np.testing.assert_allclose(results[0][3], results[1][3], rtol=1e-15)


@pytest.mark.parametrize("name,args", CALLS)
def test_a_leaf_that_requires_grad_is_refused_outside_no_grad(name, args):
    x = pynet.tensor(_input(name), requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        getattr(x, name)(*args)
    assert x.shape == _input(name).shape  # unchanged
    with pynet.no_grad():
        getattr(x, name)(*args)
    assert x.requires_grad and x.grad_fn is None


def test_a_saved_tensor_changed_by_a_view_op_stops_the_backward():
    w = pynet.randn(3, 2, requires_grad=True)
    x = pynet.randn(2, 3)
    y = x.t() * w  # saves a view of x in its old layout
    x.t_()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_a_saved_output_changed_by_a_view_op_stops_the_backward():
    x = pynet.randn(2, 3, requires_grad=True)
    y = x.exp()  # ExpBackward0 saves y
    y.t_()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_views_of_the_tensor_keep_their_own_gradient():
    a = pynet.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    b = a * 1
    c = b.unsqueeze(0)  # a view of b, made before b changed shape
    b.unsqueeze_(1)
    assert c.shape == (1, 4) and b.shape == (4, 1)
    (c * pynet.arange(4.0)).sum().backward()
    np.testing.assert_array_equal(to_np(a.grad), [0, 1, 2, 3])


def test_a_view_changed_in_place_stays_a_view_of_its_base():
    base = pynet.zeros(2, 3)
    row = base[1]
    row.unsqueeze_(0)
    assert row.shape == (1, 3)
    row.fill_(5)
    np.testing.assert_array_equal(to_np(base), [[0, 0, 0], [5, 5, 5]])


def test_t_of_0d_and_1d_is_the_tensor_itself():
    for shape in [(), (4,)]:
        x = pynet.randn(*shape)
        before = to_np(x).copy()
        assert x.t_() is x and x.shape == shape
        np.testing.assert_array_equal(to_np(x), before)


@pytest.mark.parametrize("call,exc", [
    (lambda lib: lib.zeros(2, 3, 4).t_(), RuntimeError),
    (lambda lib: lib.zeros(2, 3).transpose_(0, 5), IndexError),
    (lambda lib: lib.zeros(2, 3).unsqueeze_(5), IndexError),
    (lambda lib: lib.zeros(2, 3).squeeze_(5), IndexError),
    (lambda lib: lib.zeros(2, 3).unsqueeze_(1.5), TypeError),
])
def test_bad_calls_raise(call, exc):
    with pytest.raises(exc):
        call(pynet)


@pytest.mark.parametrize("call,exc", [
    (lambda lib: lib.zeros(2, 3, 4).t_(), RuntimeError),
    (lambda lib: lib.zeros(2, 3).transpose_(0, 5), IndexError),
    (lambda lib: lib.zeros(2, 3).unsqueeze_(5), IndexError),
    (lambda lib: lib.zeros(2, 3).squeeze_(5), IndexError),
])
def test_bad_calls_raise_like_torch(need_torch, call, exc):
    with pytest.raises(exc):
        call(torch)
