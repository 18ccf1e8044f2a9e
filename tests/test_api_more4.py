"""Small API gaps closed after a fuzz report: in-place clamp and add/sub refuse results their
integer tensors cannot hold (PyTorch's RuntimeErrors instead of truncating), round(decimals=),
and pynet.angle."""
import numpy as np
import pytest

import pynet

from conftest import raises_like, to_np, torch

REFUSED = [
    lambda lib: lib.tensor([1, 2]).clamp_(1.5, 2.5),
    lambda lib: lib.tensor([1, 2]).clamp_(min=1.5),
    lambda lib: lib.tensor([1, 2]).clamp_(lib.tensor(1.5)),
    lambda lib: lib.tensor([1, 5]).clamp_min_(2.5),
    lambda lib: lib.tensor([True]).clamp_(0.5),
    lambda lib: lib.tensor([True]).clamp_(0),
    lambda lib: lib.add(lib.tensor([1, 2]), lib.tensor([1, 2]), alpha=0.5),
    lambda lib: lib.tensor([1, 2]).add_(lib.tensor([1, 2]), alpha=0.5),
    lambda lib: lib.sub(lib.tensor([1, 2]), 1, alpha=0.5),
    lambda lib: lib.tensor([True]).sub(lib.tensor([True]), alpha=0.5),
]


@pytest.mark.parametrize("call", REFUSED)
def test_results_an_integer_tensor_cannot_hold_are_refused(call):
    raises_like(lambda: call(pynet), (lambda: call(torch)) if torch else None, exc=RuntimeError)


def test_the_refused_write_leaves_the_tensor_as_it_was():
    x = pynet.tensor([1, 2])
    with pytest.raises(RuntimeError, match="can't be cast"):
        x.clamp_(1.5, 2.5)
    assert x.tolist() == [1, 2] and x.dtype == pynet.int64


@pytest.mark.parametrize("lib_call,expected", [
    (lambda lib: lib.tensor([1, 5]).clamp_(2, 3), [2, 3]),
    (lambda lib: lib.tensor([1.0, 5.0]).clamp_(min=2), [2.0, 5.0]),
    (lambda lib: lib.add(lib.tensor([1, 2]), 1.5, alpha=0.5), [1.75, 2.75]),
    (lambda lib: lib.add(lib.tensor([1, 2]), lib.tensor([1, 2]), alpha=2), [3, 6]),
    (lambda lib: lib.nn.functional.hardtanh_(lib.tensor([0, 3]), -1.5, 1.5), [0, 1]),
    (lambda lib: lib.nn.functional.hardtanh_(lib.tensor([0, 3]), 2.0, 1.0), [1, 1]),
])
def test_what_fits_still_works(lib_call, expected):
    assert lib_call(pynet).tolist() == expected


@pytest.mark.parametrize("values,decimals", [([1.25, 2.35, -0.05, 1e-3], 1),
                                             ([125.0, 2351.0, -49.9], -2),
                                             ([0.123456, 9.87654], 3), ([1.5, 2.5], 0)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_round_to_decimals_scales_in_the_dtype(values, decimals, dtype):
    a = np.array(values, dtype=dtype)
    scale = a.dtype.type(10.0 ** abs(decimals))
    want = np.round(a * scale) / scale if decimals >= 0 else np.round(a / scale) * scale
    x = pynet.tensor(a)
    np.testing.assert_array_equal(to_np(pynet.round(x, decimals=decimals)), want)
    np.testing.assert_array_equal(to_np(x.round(decimals=decimals)), want)
    assert x.round_(decimals=decimals) is x
    np.testing.assert_array_equal(to_np(x), want)


def test_round_to_decimals_matches_torch(need_torch):
    a = np.random.default_rng(0).uniform(-100, 100, 50)
    for dtype in ("float32", "float64"):
        for d in (-1, 0, 1, 2, 5):
            p = pynet.tensor(a.astype(dtype)).round(decimals=d)
            t = torch.tensor(a.astype(dtype)).round(decimals=d)
            np.testing.assert_array_equal(to_np(p), t.numpy())


def test_round_to_decimals_has_a_zero_gradient_and_refuses_integers():
    x = pynet.tensor([1.26, 3.14], requires_grad=True)
    x.round(decimals=1).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0]
    with pytest.raises(NotImplementedError):
        pynet.round(pynet.tensor([1, 2]), decimals=1)
    with pytest.raises(TypeError):
        pynet.tensor([1.2]).round(decimals=1.5)
    assert pynet.round(pynet.tensor([3, 4])).tolist() == [3, 4]


def test_angle_function():
    x = pynet.tensor([-1.0, 0.0, 2.0, float("nan")])
    np.testing.assert_array_equal(to_np(pynet.angle(x)),
                                  np.array([np.pi, 0, 0, np.nan], np.float32))
    assert pynet.angle(pynet.tensor([-3, 4])).dtype == pynet.float32


def test_total_norm_of_mixed_float_dtypes_is_promoted():
    # float32 and float64 gradients: the norm of their norms in float64, as PyTorch's stack
    a, b = pynet.tensor([3.0, 4.0]), pynet.tensor([1.0], dtype=pynet.float64)
    total = pynet.nn.utils.get_total_norm([a, b])
    assert total.dtype == pynet.float64 and total.item() == np.sqrt(26.0)
    p, q = pynet.nn.Parameter(a.clone()), pynet.nn.Parameter(b.clone())
    p.grad, q.grad = a.clone(), b.clone()
    assert pynet.nn.utils.clip_grad_norm_([p, q], 1.0).dtype == pynet.float64
    np.testing.assert_allclose(to_np(p.grad), [3 / np.sqrt(26), 4 / np.sqrt(26)], rtol=1e-6)


@pytest.mark.parametrize("call", [
    lambda lib: lib.bernoulli(lib.tensor([0, 1])),
    lambda lib: lib.tensor([0, 1]).bernoulli(),
    lambda lib: lib.rand_like(lib.tensor([0, 1])),
    lambda lib: lib.randn(2, dtype=lib.int64),
    lambda lib: lib.randn_like(lib.tensor([0, 1])),
])
def test_random_floats_of_integer_dtypes_are_not_implemented(call):
    raises_like(lambda: call(pynet), (lambda: call(torch)) if torch else None,
                exc=NotImplementedError)


@pytest.mark.parametrize("op", ["mul_", "div_", "pow_", "atan2_", "hypot_", "add_"])
@pytest.mark.parametrize("other", ["self", "detach", "view"])
def test_an_in_place_op_reading_its_own_memory_cannot_backward_with_new_values(op, other):
    # x.mul_(x): the op saves `other`, which the write then changes: PyTorch's backward
    # refuses; pynet's used to differentiate with the new values (a wrong gradient)
    a = pynet.tensor([0.5, 1.0, 2.0], requires_grad=True)
    x = a + 1
    o = {"self": x, "detach": x.detach(), "view": x.view(3)}[other]
    getattr(x, op)(o)
    if op == "add_":  # add saves nothing: the gradient is right, 1 + 1 (other is x)
        x.sum().backward()
        assert a.grad.tolist() == [2.0 if other != "detach" else 1.0] * 3
        return
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        x.sum().backward()


def test_any_in_place_op_whose_saved_operand_is_its_own_memory_refuses_to_backward():
    # the rule sits where every in-place op writes (pn_inplace_finish): clamp_ with a tensor
    # bound in self's memory saves that bound, as PyTorch's, and refuses alike
    a = pynet.tensor([0.5, 1.0, 2.0], requires_grad=True)
    x = a + 1
    x.clamp_(min=x.detach())
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        x.sum().backward()
    b = pynet.tensor([0.5, 1.0], requires_grad=True)
    y = b + 1
    y.mul_(2)  # nothing saved in y's memory: the version moves once, the gradient flows
    y.sum().backward()
    assert y._version == 1 and b.grad.tolist() == [2.0, 2.0]


def test_angle_of_special_values_and_its_zero_gradient():
    x = pynet.tensor([-1.0, -0.0, 0.0, 2.0, float("inf"), float("-inf"), float("nan")],
                     requires_grad=True)
    y = pynet.angle(x)
    got = to_np(y)
    np.testing.assert_array_equal(got, np.array([np.pi, 0, 0, 0, 0, np.pi, np.nan], np.float32))
    assert not np.signbit(got[1])  # angle(-0.0) is +0, as PyTorch's
    y.sum().backward()
    assert to_np(x.grad)[:6].tolist() == [0.0] * 6


def test_i0_gradient_is_i1_from_tiny_to_huge_arguments():
    x = pynet.tensor([1e-300, 1e-20, 1e-10, 1.0, -3.0, 14.9, 15.1, 100.0, 1e200,
                      float("inf"), float("nan"), 0.0], dtype=pynet.float64, requires_grad=True)
    pynet.i0(x).sum().backward()
    g = to_np(x.grad)
    np.testing.assert_allclose(g[:3], [5e-301, 5e-21, 5e-11], rtol=1e-15)  # I1(x) ~ x / 2
    # I1 by its series in exact rational steps (math.fsum), at the regular points
    import math
    for v, got in zip([1.0, -3.0, 14.9, 15.1, 100.0], g[3:8]):
        h = abs(v) / 2
        terms, t = [h], h
        for k in range(1, 200):
            t = t * h * h / (k * (k + 1))
            terms.append(t)
        np.testing.assert_allclose(got, math.copysign(math.fsum(terms), v), rtol=1e-13)
    assert g[8] == np.inf and g[9] == np.inf and np.isnan(g[10]) and g[11] == 0.0


def test_as_strided_empty_view_anywhere_and_a_refused_in_place_call():
    assert pynet.as_strided(pynet.arange(4.0), (0,), (1,), 10).shape == (0,)
    x = pynet.arange(4.0)
    before = x._version
    with pytest.raises(RuntimeError):
        x.as_strided_((3,), (5,))
    assert x._version == before and x.shape == (4,)
