"""In-place ops on views of tensors in the graph (PyTorch's CopySlices), and fill_/zero_
on non-leaf tensors: gradients must equal PyTorch's."""
import numpy as np
import pytest

import pynet

torch = pytest.importorskip("torch")

CASES = {
    "view_mul_": lambda L, x, w: _f1(L, x, w),
    "slice_add_value": lambda L, x, w: _f2(L, x, w),
    "zeros_buffer_filled": lambda L, x, w: _f3(L, x, w),
    "zero_nonleaf": lambda L, x, w: _f4(L, x, w),
    "fill_view": lambda L, x, w: _f5(L, x, w),
    "setitem_view_of_nonleaf": lambda L, x, w: _f6(L, x, w),
    "column_relu_": lambda L, x, w: _f7(L, x, w),
    "copy_into_view": lambda L, x, w: _f8(L, x, w),
    "view_then_base_used_twice": lambda L, x, w: _f9(L, x, w),
}


def _f1(L, x, w):
    y = x * 1.0
    y[0].mul_(10.0)
    return (y * w).sum()


def _f2(L, x, w):
    y = x * 2.0
    y[:, 1:3] += w[:, :2]
    return (y ** 2).sum()


def _f3(L, x, w):
    z = L.zeros(3, 4, dtype=x.dtype)
    z[1] = x[0] * w[0]
    z[:, 0] += x[:, 1]
    return (z * z).sum()


def _f4(L, x, w):
    y = x * w
    y.zero_()
    return (y + x * 3.0).sum()


def _f5(L, x, w):
    y = x * 3.0
    y[1:, :2].fill_(0.5)
    return (y * w).sum()


def _f6(L, x, w):
    y = x + 0.0
    v = y[1]
    v[[0, 2]] = w[0, :2] * 3.0
    return (y * y).sum() + v.sum()


def _f7(L, x, w):
    y = x - 0.5
    y[:, 2].relu_()
    return (y * w).sum()


def _f8(L, x, w):
    y = x * 1.0
    y[0].copy_(w[1])
    return (y * x).sum()


def _f9(L, x, w):
    y = x * 1.0
    v = y[:2]
    v.mul_(w[:2])
    return y.sum() + (v * v).sum()


@pytest.mark.parametrize("name", sorted(CASES))
def test_inplace_on_views_matches_torch(name):
    rng = np.random.default_rng(0)
    xd, wd = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    grads = []
    for L in (pynet, torch):
        x = L.tensor(xd, requires_grad=True)
        w = L.tensor(wd, requires_grad=True)
        out = CASES[name](L, x, w)
        out.backward()
        grads.append((out.item(), x.grad.numpy() if x.grad is not None else None,
                      w.grad.numpy() if w.grad is not None else None))
    (pv, px, pw), (tv, tx, tw) = grads
    np.testing.assert_allclose(pv, tv, rtol=1e-12)
    for p, t in ((px, tx), (pw, tw)):
        assert (p is None) == (t is None)
        if p is not None:
            np.testing.assert_allclose(p, t, rtol=1e-12, atol=1e-12)


def test_zero_on_nonleaf_cuts_the_gradient():
    x = pynet.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.zero_()
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0])
    assert y.grad_fn.name() == "FillBackward0"


def test_view_of_leaf_requiring_grad_still_refused():
    x = pynet.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        x[0].mul_(2)


def test_modifying_a_saved_output_through_a_view_is_detected_like_torch():
    for L in (pynet, torch):
        x = L.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        y = x.exp()                 # exp saves its output for backward
        y[1:, :1].fill_(0.5)        # ... which this overwrites
        with pytest.raises(RuntimeError, match="inplace"):
            y.sum().backward()


def test_view_made_under_no_grad_then_modified_with_grad_is_refused_like_torch():
    for L in (pynet, torch):
        x = L.ones(3, requires_grad=True)
        y = x * 2
        with L.no_grad():
            v = y[:2]
        with pytest.raises(RuntimeError, match="no_grad"):
            v.mul_(3)
