"""In-place ops on views of tensors in the graph (PyTorch's CopySlices), and fill_/zero_
on non-leaf tensors: gradients must equal PyTorch's, and the values and gradients derived
by hand in NumPy (REFS) when PyTorch is not installed."""
import numpy as np
import pytest

import pynet

from conftest import torch  # None without PyTorch: only the torch comparisons skip

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
    # a view made before its base (or another view of the base) was rewritten in place:
    # its history is rebuilt through the base's new one (PyTorch regenerates its grad_fn)
    "base_scaled_after_view": lambda L, x, w: _f10(L, x, w),
    "other_view_written": lambda L, x, w: _f11(L, x, w),
    "chained_view_after_base_add_": lambda L, x, w: _f12(L, x, w),
    # ... also when the base needed no grad until then: the view now requires grad
    "plain_base_given_history": lambda L, x, w: _f13(L, x, w),
    "plain_base_view_written": lambda L, x, w: _f14(L, x, w),
    "stale_plain_view_written": lambda L, x, w: _f15(L, x, w),
    # ... an expanded view reads a base element more than once: its gradient is the sum
    "stale_expanded_view": lambda L, x, w: _f16(L, x, w),
    "stale_expanded_view_of_nonleaf": lambda L, x, w: _f17(L, x, w),
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


def _f10(L, x, w):
    y = x * 1.0
    a = y[:2]
    y.mul_(w)
    return (a * a).sum() + y.sum()


def _f11(L, x, w):
    y = x * 1.0
    a, b = y[:2], y[1:3]
    a.mul_(w[:2])
    return (b * b).sum()


def _f12(L, x, w):
    y = x * 1.0
    a = y[:2].t()
    y.add_(w)
    return (a * a).sum()


def _f13(L, x, w):
    y = L.zeros(3, 4, dtype=x.dtype)
    a = y[:2]
    y.add_(x * w)
    return (a * x[:2]).sum()


def _f14(L, x, w):
    y = L.zeros(3, 4, dtype=x.dtype)
    a = y[1:].t()
    y[:2] += w[:2] * 2.0
    return (a * x[1:].t()).sum() + x.sum()


def _f16(L, x, w):
    y = L.zeros(4, dtype=x.dtype)
    e = y.expand(3, 4)
    y.add_(w[0] * 2.0)
    return (e * x).sum()


def _f17(L, x, w):
    y = x[0] * 1.0
    e = y[1:].unsqueeze(0).expand(3, 3)  # offset, then rows that share memory
    y.mul_(w[1])
    return (e * x[:, 1:]).sum()


def _f15(L, x, w):
    y = L.zeros(3, 4, dtype=x.dtype)
    a = y[:2]
    y.add_(w)
    if L is not pynet:
        # PyTorch takes this history-less view for a leaf and refuses the write ("a leaf
        # Variable that requires grad ...") unless its grad_fn was rebuilt, by reading it,
        # first; pynet rebuilds it either way.
        a.grad_fn
    a.mul_(x[:2])
    return y.sum()


# Hand-derived NumPy references: (value, d out/dx, d out/dw) of each case.

def _r1(x, w):  # y = x with row 0 scaled by 10; out = sum(y w)
    y = x.copy()
    y[0] *= 10.0
    dx = w.copy()
    dx[0] *= 10.0
    return (y * w).sum(), dx, y


def _r2(x, w):  # y = 2x, y[:, 1:3] += w[:, :2]; out = sum(y^2)
    y = 2.0 * x
    y[:, 1:3] += w[:, :2]
    dw = np.zeros_like(w)
    dw[:, :2] = 2 * y[:, 1:3]
    return (y ** 2).sum(), 2 * (2 * y), dw


def _r3(x, w):  # z = 0, z[1] = x[0] w[0], z[:, 0] += x[:, 1]; out = sum(z^2)
    z = np.zeros_like(x)
    z[1] = x[0] * w[0]
    z[:, 0] += x[:, 1]
    dz = 2 * z
    dx, dw = np.zeros_like(x), np.zeros_like(w)
    dx[0] += dz[1] * w[0]
    dx[:, 1] += dz[:, 0]
    dw[0] = dz[1] * x[0]
    return (z * z).sum(), dx, dw


def _r4(x, w):  # y = x w zeroed in place: out = sum(3x); w gets a zero gradient
    return (3.0 * x).sum(), np.full_like(x, 3.0), np.zeros_like(w)


def _r5(x, w):  # y = 3x with y[1:, :2] = 0.5; out = sum(y w)
    y = 3.0 * x
    y[1:, :2] = 0.5
    dx = 3.0 * w
    dx[1:, :2] = 0.0
    return (y * w).sum(), dx, y


def _r6(x, w):  # y = x, y[1, [0, 2]] = 3 w[0, :2]; out = sum(y^2) + sum(y[1])
    y = x.copy()
    y[1, [0, 2]] = w[0, :2] * 3.0
    dy = 2 * y
    dy[1] += 1.0
    dx = dy.copy()
    dx[1, [0, 2]] = 0.0
    dw = np.zeros_like(w)
    dw[0, :2] = 3.0 * dy[1, [0, 2]]
    return (y * y).sum() + y[1].sum(), dx, dw


def _r7(x, w):  # y = x - 0.5 with column 2 relu'd; out = sum(y w)
    y = x - 0.5
    y[:, 2] = np.maximum(y[:, 2], 0.0)
    dx = w.copy()
    dx[:, 2] *= y[:, 2] > 0
    return (y * w).sum(), dx, y


def _r8(x, w):  # y = x with row 0 replaced by w[1]; out = sum(y x)
    y = x.copy()
    y[0] = w[1]
    dx = y + x
    dx[0] = y[0]  # row 0 of y no longer depends on x
    dw = np.zeros_like(w)
    dw[1] = x[0]
    return (y * x).sum(), dx, dw


def _r9(x, w):  # y = x, v = y[:2] *= w[:2]; out = sum(y) + sum(v^2)
    y = x.copy()
    y[:2] *= w[:2]
    v = y[:2]
    dv = 1.0 + 2 * v
    dx, dw = np.ones_like(x), np.zeros_like(w)
    dx[:2] = dv * w[:2]
    dw[:2] = dv * x[:2]
    return y.sum() + (v * v).sum(), dx, dw


def _r10(x, w):  # y = x w, a = y[:2]; out = sum(a^2) + sum(y)
    y = x * w
    dy = np.ones_like(y)
    dy[:2] += 2 * y[:2]
    return (y[:2] ** 2).sum() + y.sum(), dy * w, dy * x


def _r11(x, w):  # y = x with rows :2 scaled by w; b = y[1:3]; out = sum(b^2)
    y = x.copy()
    y[:2] *= w[:2]
    dy = np.zeros_like(y)
    dy[1:3] = 2 * y[1:3]
    dx = dy.copy()
    dx[:2] *= w[:2]
    dw = np.zeros_like(w)
    dw[:2] = dy[:2] * x[:2]
    return (y[1:3] ** 2).sum(), dx, dw


def _r12(x, w):  # y = x + w, a = y[:2]^T; out = sum(a^2)
    y = x + w
    dy = np.zeros_like(y)
    dy[:2] = 2 * y[:2]
    return (y[:2] ** 2).sum(), dy, dy.copy()


def _r13(x, w):  # y = x w, a = y[:2]; out = sum(a x[:2]) = sum(x[:2]^2 w[:2])
    dx, dw = np.zeros_like(x), np.zeros_like(w)
    dx[:2], dw[:2] = 2 * x[:2] * w[:2], x[:2] ** 2
    return (x[:2] ** 2 * w[:2]).sum(), dx, dw


def _r14(x, w):  # y[:2] = 2 w[:2], a = y[1:]^T; out = sum(2 w[1] x[1]) + sum(x)
    dx, dw = np.ones_like(x), np.zeros_like(w)
    dx[1] += 2 * w[1]
    dw[1] = 2 * x[1]
    return (2 * w[1] * x[1]).sum() + x.sum(), dx, dw


def _r15(x, w):  # y = w with rows :2 scaled by x[:2]; out = sum(y)
    dx, dw = np.zeros_like(x), np.ones_like(w)
    dx[:2], dw[:2] = w[:2], x[:2]
    return (w[:2] * x[:2]).sum() + w[2].sum(), dx, dw


def _r16(x, w):  # e = 2 w[0] broadcast to 3 rows; out = sum(e x)
    dx, dw = np.broadcast_to(2 * w[0], x.shape).copy(), np.zeros_like(w)
    dw[0] = 2 * x.sum(0)
    return (2 * w[0] * x).sum(), dx, dw


def _r17(x, w):  # out = sum_j x[0, j] w[1, j] s_j over j >= 1, s_j = sum_i x[i, j]
    s = x.sum(0)
    dx, dw = np.zeros_like(x), np.zeros_like(w)
    dx[:, 1:] = x[0, 1:] * w[1, 1:]
    dx[0, 1:] += w[1, 1:] * s[1:]
    dw[1, 1:] = x[0, 1:] * s[1:]
    return (x[0, 1:] * w[1, 1:] * s[1:]).sum(), dx, dw


REFS = {"view_mul_": _r1, "slice_add_value": _r2, "zeros_buffer_filled": _r3,
        "zero_nonleaf": _r4, "fill_view": _r5, "setitem_view_of_nonleaf": _r6,
        "column_relu_": _r7, "copy_into_view": _r8, "view_then_base_used_twice": _r9,
        "base_scaled_after_view": _r10, "other_view_written": _r11,
        "chained_view_after_base_add_": _r12, "plain_base_given_history": _r13,
        "plain_base_view_written": _r14, "stale_plain_view_written": _r15,
        "stale_expanded_view": _r16, "stale_expanded_view_of_nonleaf": _r17}


def _run(L, name):
    rng = np.random.default_rng(0)
    xd, wd = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    x = L.tensor(xd, requires_grad=True)
    w = L.tensor(wd, requires_grad=True)
    out = CASES[name](L, x, w)
    out.backward()
    return (xd, wd), (out.item(), x.grad.numpy() if x.grad is not None else None,
                      w.grad.numpy() if w.grad is not None else None)


def _assert_same(got, ref):
    (pv, px, pw), (tv, tx, tw) = got, ref
    np.testing.assert_allclose(pv, tv, rtol=1e-12)
    for p, t in ((px, tx), (pw, tw)):
        assert (p is None) == (t is None)
        if p is not None:
            np.testing.assert_allclose(p, t, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", sorted(CASES))
def test_inplace_on_views_matches_torch(name, need_torch):
    _assert_same(_run(pynet, name)[1], _run(torch, name)[1])


@pytest.mark.parametrize("name", sorted(CASES))
def test_inplace_on_views_matches_numpy(name):
    (xd, wd), got = _run(pynet, name)
    _assert_same(got, REFS[name](xd.copy(), wd.copy()))


@pytest.mark.parametrize("name", sorted(CASES))
def test_inplace_on_views_gradients_match_finite_differences(name):
    """The hand-derived gradients of REFS are those of the values they compute
    (central differences, which are exact up to rounding for these quadratics)."""
    rng = np.random.default_rng(0)
    xd, wd = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    _, dx, dw = REFS[name](xd.copy(), wd.copy())
    h = 1e-6
    for arr, grad, which in ((xd, dx, 0), (wd, dw, 1)):
        fd = np.zeros_like(arr)
        for i in np.ndindex(arr.shape):
            args = [xd.copy(), wd.copy()]
            args[which][i] += h
            up = REFS[name](*args)[0]
            args[which][i] -= 2 * h
            fd[i] = (up - REFS[name](*args)[0]) / (2 * h)
        np.testing.assert_allclose(fd, grad, rtol=1e-6, atol=1e-6)


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


def _overwrite_saved_output(L):
    x = L.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = x.exp()                 # exp saves its output for backward
    y[1:, :1].fill_(0.5)        # ... which this overwrites
    with pytest.raises(RuntimeError, match="inplace"):
        y.sum().backward()


def test_modifying_a_saved_output_through_a_view_is_detected():
    _overwrite_saved_output(pynet)


def test_modifying_a_saved_output_through_a_view_is_detected_like_torch(need_torch):
    _overwrite_saved_output(torch)


def _modify_no_grad_view(L):
    x = L.ones(3, requires_grad=True)
    y = x * 2
    with L.no_grad():
        v = y[:2]
    with pytest.raises(RuntimeError, match="no_grad"):
        v.mul_(3)


def test_view_made_under_no_grad_then_modified_with_grad_is_refused():
    _modify_no_grad_view(pynet)


def test_view_made_under_no_grad_then_modified_with_grad_is_refused_like_torch(need_torch):
    _modify_no_grad_view(torch)


# issue #9 High 1: a leaf that requires grad and is itself a view (reshape of a fresh
# tensor, then requires_grad_()) and every slice of it are protected like any leaf.
_LEAF_INPLACE = {
    "isub": lambda L, w: w.__isub__(0.01 * L.ones(10, 10)),
    "setitem": lambda L, w: w.__setitem__(0, 1.0),
    "fill_": lambda L, w: w.fill_(1.0),
    "mul_": lambda L, w: w.mul_(2),
    "zero_": lambda L, w: w.zero_(),
    "copy_": lambda L, w: w.copy_(L.ones(10, 10)),
    "exp_": lambda L, w: w.exp_(),
    "clamp_": lambda L, w: w.clamp_(0, 1),
    "slice_fill_": lambda L, w: w[0].fill_(1.0),
    "slice_mul_": lambda L, w: w[:, 1].mul_(2),
    "slice_zero_": lambda L, w: w[1:3].zero_(),
    "slice_copy_": lambda L, w: w[0].copy_(L.ones(10)),
    "slice_isub": lambda L, w: w[0].__isub__(1),
    "slice_setitem": lambda L, w: w[0].__setitem__(0, 1.0),
}


def _view_leaf(L):
    return L.randn(100).reshape(10, 10).requires_grad_()


def _inplace_on_view_leaf(L, name):
    w = _view_leaf(L)
    before = w.detach().clone()
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad is being "
                                           "used in an in-place operation"):
        _LEAF_INPLACE[name](L, w)
    assert w.is_leaf and w.grad_fn is None
    np.testing.assert_array_equal(w.detach().numpy(), before.numpy())


@pytest.mark.parametrize("name", sorted(_LEAF_INPLACE))
def test_inplace_on_a_leaf_that_is_a_view_is_refused(name):
    _inplace_on_view_leaf(pynet, name)


@pytest.mark.parametrize("name", sorted(_LEAF_INPLACE))
def test_inplace_on_a_leaf_that_is_a_view_is_refused_like_torch(name, need_torch):
    _inplace_on_view_leaf(torch, name)


@pytest.mark.parametrize("name,method", [("isub", "sub_"), ("setitem", "index_put_"),
                                         ("slice_fill_", "fill_"), ("exp_", "exp_"),
                                         ("slice_mul_", "mul_")])
def test_inplace_on_a_view_leaf_message_names_the_method_and_the_remedy(name, method):
    """PyTorch says only "a view of a leaf Variable that requires grad is being used in an
    in-place operation."; pynet's message starts with the in-place method (sub_ for -=, not
    the out-of-place sub) and says what to do instead."""
    w = _view_leaf(pynet)
    with pytest.raises(RuntimeError) as e:
        _LEAF_INPLACE[name](pynet, w)
    msg = str(e.value)
    assert msg.startswith(method + ": a view of a leaf Variable that requires grad"), msg
    assert "with pynet.no_grad():" in msg and ".data" in msg, msg
    with pytest.raises(RuntimeError, match=r"^add_: a leaf Variable .*pynet\.no_grad"):
        pynet.ones(2, requires_grad=True).add_(1)


def _manual_sgd_on_view_leaf(L, steps=3):
    w = L.arange(100, dtype=L.float32).reshape(10, 10).requires_grad_()
    for _ in range(steps):
        (w * w).sum().backward()
        with L.no_grad():
            w -= 0.01 * w.grad
            w[0, 0] = 1.0
            w[1].mul_(1.0)
        w.grad = None
    assert w.is_leaf and w.grad_fn is None and w.requires_grad
    return w.detach().numpy().copy()


def test_manual_sgd_on_a_view_leaf_under_no_grad_stays_a_leaf():
    got = _manual_sgd_on_view_leaf(pynet)
    want = np.arange(100, dtype=np.float32).reshape(10, 10) * np.float32(0.98) ** 3
    want[0, 0] = 1.0
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_manual_sgd_on_a_view_leaf_matches_torch(need_torch):
    np.testing.assert_array_equal(_manual_sgd_on_view_leaf(pynet), _manual_sgd_on_view_leaf(torch))


# issue #9 High 3 / Medium 5: an in-place write to a tensor whose elements share memory
# (expand, numpy broadcast_to) would write each location once per element; PyTorch
# refuses it, and so does pynet. Writing one value everywhere (fill_, zero_) is allowed.
_OVERLAP_MSG = ("unsupported operation: more than one element of the written-to tensor refers "
                "to a single memory location. Please clone")
_OVERLAP_WRITES = {
    "exp_": lambda L, x: x.exp_(),
    "add_": lambda L, x: x.add_(1),
    "add_tensor": lambda L, x: x.add_(L.arange(5.0)),
    "iadd": lambda L, x: x.__iadd__(1),
    "sub_": lambda L, x: x.sub_(2),
    "mul_": lambda L, x: x.mul_(2),
    "div_": lambda L, x: x.div_(2),
    "pow_": lambda L, x: x.pow_(2),
    "neg_": lambda L, x: x.neg_(),
    "clamp_": lambda L, x: x.clamp_(0, 0.5),
    "relu_": lambda L, x: x.relu_(),
    "sigmoid_": lambda L, x: x.sigmoid_(),
    "copy_": lambda L, x: x.copy_(L.arange(5.0)),
    "uniform_": lambda L, x: x.uniform_(),
    "normal_": lambda L, x: x.normal_(),
    "setitem_slice": lambda L, x: x.__setitem__(slice(1, 3), 2.0),
}
_SAFE_WRITES = {
    "fill_": (lambda L, x: x.fill_(2.0), [2.0] * 5),
    "zero_": (lambda L, x: x.zero_(), [0.0] * 5),
    "setitem_int": (lambda L, x: x.__setitem__(0, 2.0), [2.0] * 5),
}


@pytest.mark.parametrize("name", sorted(_OVERLAP_WRITES))
def test_inplace_write_to_expanded_tensor_is_refused(name):
    base = pynet.ones(1)
    with pytest.raises(RuntimeError, match=_OVERLAP_MSG) as info:
        _OVERLAP_WRITES[name](pynet, base.expand(5))
    region = "(2,)" if name == "setitem_slice" else "(5,)"  # the message names the written region
    assert f"shape {region} with strides (0,)" in str(info.value)
    assert base.tolist() == [1.0]  # nothing was written


@pytest.mark.parametrize("name", sorted(_OVERLAP_WRITES))
def test_inplace_write_to_expanded_tensor_is_refused_like_torch(name, need_torch):
    with pytest.raises(RuntimeError, match=_OVERLAP_MSG):
        _OVERLAP_WRITES[name](need_torch, need_torch.ones(1).expand(5))


@pytest.mark.parametrize("name", sorted(_SAFE_WRITES))
def test_writing_one_value_into_an_expanded_tensor_is_allowed(name):
    fn, want = _SAFE_WRITES[name]
    x = pynet.ones(1).expand(5)
    fn(pynet, x)
    assert x.tolist() == want


@pytest.mark.parametrize("name", sorted(_SAFE_WRITES))
def test_writing_one_value_into_an_expanded_tensor_is_allowed_like_torch(name, need_torch):
    fn, want = _SAFE_WRITES[name]
    x = need_torch.ones(1).expand(5)
    fn(need_torch, x)
    assert x.tolist() == want


def test_overlap_check_looks_at_the_written_region():
    x = pynet.ones(3, 1).expand(3, 4)       # rows share memory, columns do not
    x[:, 0].add_(1)                          # a column: every element its own location
    x[:, 1] = 5.0
    assert x[:, 0].tolist() == [5.0, 5.0, 5.0]
    with pytest.raises(RuntimeError, match=_OVERLAP_MSG):
        x[0].add_(1)                         # a row: 4 elements, one location
    with pytest.raises(RuntimeError, match=_OVERLAP_MSG):
        x[1] = 0.0
    assert pynet.ones(1).expand(1).add_(1).tolist() == [2.0]  # size-1 dims never overlap


def test_inplace_write_to_numpy_broadcast_view_is_refused():
    arr = np.broadcast_to(np.ones(1, np.float32), (5,))
    with pytest.raises(RuntimeError, match=_OVERLAP_MSG):
        pynet.from_numpy(arr).add_(1)
    np.testing.assert_array_equal(arr, np.ones(5, np.float32))


@pytest.mark.parametrize("opt", ["SGD", "Adam"])
def test_optimizer_step_on_an_expanded_parameter_is_refused(opt):
    p = pynet.nn.Parameter(pynet.ones(5))
    p.data = pynet.ones(1).expand(5)
    p.grad = pynet.arange(5.0)
    with pytest.raises(RuntimeError, match=_OVERLAP_MSG):
        getattr(pynet.optim, opt)([p], lr=0.1).step()
    assert p.tolist() == [1.0] * 5


def _stale_split_piece(L):
    x = L.ones(4, 3, requires_grad=True)
    y = x * 1.0
    piece = y.split(2)[1]
    y.mul_(2.0)
    return piece


def test_piece_of_split_whose_base_was_rewritten_is_refused():
    """A piece of split/chunk/unbind cannot be rebuilt as one of n outputs: using it (or
    asking for its grad_fn) after its base changed in place raises, as in PyTorch."""
    piece = _stale_split_piece(pynet)
    with pytest.raises(RuntimeError, match="Output 1 of Split is a view and its base or "
                                           "another view of its base has been modified inplace"):
        (piece * 2).sum()
    with pytest.raises(RuntimeError, match="has been modified inplace"):
        piece.grad_fn


def test_piece_of_split_whose_base_was_rewritten_is_refused_like_torch(need_torch):
    for L in (pynet, torch):
        with pytest.raises(RuntimeError, match="Output 1 of Split is a view and its base"):
            (_stale_split_piece(L) * 2).sum()


def test_stale_view_grad_fn_is_rebuilt_like_torch(need_torch):
    """The rebuilt history's node is PyTorch's (AsStridedBackward0), and a view made after
    the in-place op keeps its own node."""
    names = []
    for L in (pynet, torch):
        y = L.ones(4, 3, requires_grad=True) * 1.0
        a = y[:2]
        y.mul_(2.0)
        b = y[2:]
        names.append((a.grad_fn.name(), b.grad_fn.name()))
    assert names[0] == names[1] == ("AsStridedBackward0", "SliceBackward0")


def _plain_base_given_history(L, no_grad_view=False, kind="slice"):
    """A view of y (no grad), then an in-place op with grad gives y a history."""
    y = L.zeros(4, 3)
    if no_grad_view:
        with L.no_grad():
            a = y[:2]
    else:
        a = y[:2] if kind == "slice" else y.unbind(0)[0]
    y[1:] += L.ones(3, 3, requires_grad=True) * 2.0
    return a


def test_view_of_a_tensor_that_gains_a_history_requires_grad():
    """PyTorch: such a view shows its base's new values, so it requires grad and its
    grad_fn is rebuilt (AsStridedBackward0) when asked for or used."""
    a = _plain_base_given_history(pynet)
    assert a.requires_grad
    assert not a.is_leaf
    assert a.grad_fn.name() == "AsStridedBackward0"
    assert (a * 2).requires_grad


def test_view_of_a_tensor_that_gains_a_history_like_torch(need_torch):
    got = []
    for L in (pynet, torch):
        a = _plain_base_given_history(L)
        got.append((a.requires_grad, a.is_leaf, a.grad_fn.name()))
    assert got[0] == got[1]


def test_base_written_under_no_grad_gives_its_views_no_history():
    y = pynet.zeros(4, 3)
    a = y[:2]
    with pynet.no_grad():
        y.add_(pynet.ones(4, 3, requires_grad=True))
    assert not a.requires_grad and a.grad_fn is None and a.is_leaf


_NO_GRAD_STALE = ("A view was created in no_grad mode and its base or another view of its "
                  "base has been modified inplace with grad mode enabled")


@pytest.mark.parametrize("kind", ["no_grad_view", "unbind_piece"])
def test_history_less_view_whose_base_gained_a_history_is_refused(kind):
    """A view made in no_grad mode, or a piece of unbind of a tensor needing no grad, cannot
    be given a history afterwards: PyTorch raises when it is used; so does pynet."""
    for L in (pynet, torch) if torch is not None else (pynet,):
        a = _plain_base_given_history(L, no_grad_view=kind == "no_grad_view",
                                      kind="unbind")
        assert a.requires_grad
        with pytest.raises(RuntimeError, match=_NO_GRAD_STALE):
            a * 2
        with pytest.raises(RuntimeError, match=_NO_GRAD_STALE):
            a.grad_fn


_WRITE_MSG = {
    "multi": "A view was created in no_grad mode and is being modified inplace with grad mode "
             "enabled. This view is the output of a function that returns multiple views.",
    "no_grad": "A view was created in no_grad mode and is being modified inplace with grad "
               "mode enabled. Given that this use case is ambiguous",
}
_GRAD_WRITES = {
    "unbind_piece": ("multi", lambda L, y: y.unbind(0)[1]),
    "view_of_chunk": ("multi", lambda L, y: y.chunk(2)[0][1]),
    "view_of_no_grad_view": ("no_grad", None),
}


@pytest.mark.parametrize("name", sorted(_GRAD_WRITES))
def test_write_with_grad_into_view_of_plain_tensor_is_refused(name):
    """Writing a value that requires grad into a piece of split/unbind, or into a view made
    in no_grad mode (or a view of one), of a tensor needing no grad: PyTorch raises, and the
    tensor is left as it was."""
    which, make = _GRAD_WRITES[name]
    for L in (pynet, torch) if torch is not None else (pynet,):
        y = L.zeros(4, 3)
        if make is None:
            with L.no_grad():
                v = y[1:]
            piece = v[0]
        else:
            piece = make(L, y)
        with pytest.raises(RuntimeError, match=_WRITE_MSG[which]):
            piece.add_(L.ones(3, requires_grad=True))
        if L is pynet:
            assert not y.numpy().any() and not y.requires_grad
        piece.add_(1.0)  # a write without grad is allowed
        assert y.sum().item() == 3.0


def _libs():
    return (pynet, torch) if torch is not None else (pynet,)


def test_view_of_a_base_given_new_memory_is_not_rebuilt():
    """After `y.data = other`, a view made before shows y's old memory: an in-place op
    on y must not rebuild the view's history over y's new memory (pynet read its region
    at an offset computed across two buffers and wrote outside one)."""
    y = pynet.zeros(4, 3)
    a = y[2:]
    y.data = pynet.zeros(2, 3)
    y.add_(pynet.ones(2, 3, requires_grad=True))
    assert not a.requires_grad and a.grad_fn is None
    with pytest.raises(RuntimeError, match="given other memory"):
        y2 = pynet.zeros(4, 3)
        v = y2[2:]
        y2.data = pynet.zeros(2, 3)
        v.add_(pynet.ones(2, 3, requires_grad=True))


@pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True")
def test_zero_grad_after_create_graph_on_a_view_gradient():
    """backward(create_graph=True) stores a differentiable gradient; when the incoming one
    is a view (here through reshape) it is copied first, so zero_grad can detach it."""
    for L in _libs():
        p = L.ones(2, 3, requires_grad=True)
        c = L.arange(6.0, requires_grad=True)
        (p.reshape(6) * c).sum().backward(create_graph=True)
        assert p.grad._base is None
        np.testing.assert_array_equal(p.grad.detach().numpy(), np.arange(6.0).reshape(2, 3))
        L.optim.SGD([p, c], lr=0.1).zero_grad(set_to_none=False)
        assert not p.grad.numpy().any() and p.grad.grad_fn is None


def test_detached_piece_and_temporary_views_may_be_written_with_grad():
    """Only real views are refused: a detached split piece, and an op's result that pynet
    happens to return as a view of a temporary (norm over a dim), as in PyTorch."""
    for L in _libs():
        p = L.zeros(4, 3).unbind(0)[0].detach()
        p[:2].add_(L.ones(2, requires_grad=True))
        assert p.tolist() == [1.0, 1.0, 0.0]
        y = L.ones(4, 4)
        with L.no_grad():
            n = y.norm(dim=1)
        n.mul_(L.ones(4, requires_grad=True))
        assert n.requires_grad


def test_repr_of_a_view_whose_history_cannot_be_rebuilt():
    for L in _libs():
        x = L.ones(4, 3, requires_grad=True)
        y = x * 1.0
        p = y.split(2)[1]
        y.mul_(2.0)
        assert repr(p).endswith("grad_fn=<Invalid>)")
