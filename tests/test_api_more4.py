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
    np.testing.assert_array_equal(to_np(pynet.angle(x)), np.array([np.pi, 0, 0, np.nan], np.float32))
    assert pynet.angle(pynet.tensor([-3, 4])).dtype == pynet.float32
