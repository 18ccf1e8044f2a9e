"""Cases where pynet differed from PyTorch, found by differential fuzzing, each pinned to
PyTorch's answer (worked out by hand, so these run without torch; the last tests repeat
them against torch when it is installed).
"""
import math

import pytest

import pynet
import pynet.nn.functional as F

from conftest import check, torch

F64 = pynet.float64


# ------------------------------------- overwritten values get no gradient ----

def test_copy_from_a_constant_cuts_the_old_history():
    x = pynet.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 1
    y.copy_(pynet.tensor([5.0, 6.0, 7.0]))
    assert y.grad_fn.name() == "CopyBackwards"
    (y * y).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]
    x.grad = None
    y = x * 1
    y[1:].copy_(pynet.tensor([5.0, 6.0]))  # part of it: the rest keeps its gradient
    (y * y).sum().backward()
    assert x.grad.tolist() == [2.0, 0.0, 0.0]


def test_copy_from_a_tensor_that_requires_grad():
    x = pynet.tensor([1.0, 2.0, 3.0], requires_grad=True)
    s = pynet.tensor([5.0], dtype=F64, requires_grad=True)  # broadcast and cast
    y = x * 1
    y.copy_(s)
    (y * 2).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]
    assert s.grad.dtype == F64 and s.grad.tolist() == [6.0]


@pytest.mark.parametrize("op,name,want", [("gt_", "GtBackward0", [0, 1, 1]),
                                          ("le_", "LeBackward0", [1, 0, 0]),
                                          ("eq_", "EqBackward0", [0, 0, 0]),
                                          ("ne_", "NeBackward0", [1, 1, 1])])
def test_inplace_comparisons_cut_the_gradient(op, name, want):
    x = pynet.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 1
    getattr(y, op)(1.5)
    assert y.grad_fn.name() == name
    assert y.tolist() == want
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]


# ------------------------------------------------------------------- clamp ----

def test_clamp_with_a_nan_bound_gives_nan():
    x = pynet.tensor([1.0, 2.0, 3.0])
    assert all(math.isnan(v) for v in pynet.clamp(x, float("nan"), 2.5).tolist())
    assert all(math.isnan(v) for v in x.clamp(max=float("nan")).tolist())
    assert x.clamp(3.5, 1.0).tolist() == [1.0, 1.0, 1.0]  # min > max: max wins


def test_clamp_tensor_bounds_gradient_goes_to_the_input_at_ties():
    x = pynet.tensor([0.0, 1.0, 3.0, -2.0], requires_grad=True)
    lo = pynet.tensor([0.0, 0.0, 0.0, -1.0], requires_grad=True)
    hi = pynet.tensor([2.0, 1.0, 2.0, -3.0], requires_grad=True)
    pynet.clamp(x, lo).sum().backward()
    assert x.grad.tolist() == [1, 1, 1, 0] and lo.grad.tolist() == [0, 0, 0, 1]
    x.grad = lo.grad = None
    y = pynet.clamp(x, lo, hi)
    assert y.grad_fn.name() == "ClampBackward0"
    y.sum().backward()
    assert x.grad.tolist() == [1, 1, 0, 0]
    assert lo.grad.tolist() == [0, 0, 0, 0] and hi.grad.tolist() == [0, 0, 1, 1]
    b = pynet.tensor(0.5, requires_grad=True)  # a broadcast bound's gradient is summed
    pynet.clamp(x, b).sum().backward()
    assert b.grad.item() == 2.0
    with pytest.raises(TypeError):
        pynet.clamp(x, b, 2.0)  # a tensor and a number: torch refuses too


def test_clamp_tensor_bounds_gradcheck():
    x = pynet.tensor([0.1, 1.3, 3.2, -2.4], dtype=F64, requires_grad=True)
    lo = pynet.tensor([0.0, 0.5, 0.2, -1.0], dtype=F64, requires_grad=True)
    hi = pynet.tensor([2.0, 1.0, 2.5, 3.0], dtype=F64, requires_grad=True)
    assert pynet.autograd.gradcheck(lambda a, b, c: pynet.clamp(a, b, c), (x, lo, hi))


# --------------------------------------------------------- integer division ----

def test_sum_with_an_integer_dtype_casts_each_element_first():
    x = pynet.tensor([[0.6, 0.7], [-0.2, 1.9]])
    assert x.sum(0, dtype=pynet.int64).tolist() == [0, 1]
    assert pynet.tensor([0.6, 0.7]).sum(dtype=pynet.int64).item() == 0


def test_integer_trunc_division_is_exact_and_checks_zero():
    a = pynet.tensor([123456789, -123456789, 7, -7, -(2 ** 63)])
    b = pynet.tensor([7, 7, -2, 2, -1])
    got = pynet.div(a, b, rounding_mode="trunc")
    assert got.dtype == pynet.int64
    assert got.tolist() == [17636684, -17636684, -3, -3, -(2 ** 63)]  # the last wraps, as C
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        pynet.div(pynet.tensor([4, -8]), pynet.tensor([0, 1]), rounding_mode="trunc")
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        pynet.tensor([4]).div_(0, rounding_mode="trunc")
    with pytest.raises(NotImplementedError):
        pynet.div(pynet.tensor([True]), pynet.tensor([True]), rounding_mode="trunc")
    assert pynet.div(pynet.tensor([7.5, -7.5]), 2, rounding_mode="trunc").tolist() == [3, -3]
    with pytest.raises(RuntimeError, match="rounding_mode"):
        pynet.div(pynet.tensor([1.0]), 2, rounding_mode="round")


def test_integer_power_with_negative_tensor_exponents():
    got = pynet.tensor([2, 1, -1, 0, 3, -1]) ** pynet.tensor([-1, -2, -3, -1, 2, -2])
    assert got.tolist() == [0, 1, -1, 0, 9, 1]
    assert (2 ** pynet.tensor([2, -1])).tolist() == [4, 0]
    with pytest.raises(RuntimeError, match="negative integer powers"):
        pynet.tensor([2]) ** -1


def test_unsupported_dtypes_raise_not_implemented():
    with pytest.raises(NotImplementedError):
        pynet.tensor([1.0]) & pynet.tensor([1.0])
    with pytest.raises(NotImplementedError):
        pynet.tensor([[True]]) @ pynet.tensor([[True]])
    with pytest.raises(NotImplementedError):
        pynet.tensor([1.0]).bitwise_not()


# ------------------------------------------------------- against PyTorch ----

CASES = [
    lambda L: L.clamp(L.tensor([1.0, 2.0, 3.0]), float("nan"), 2.5),
    lambda L: L.tensor([[0.6, 0.7], [-0.2, 1.9]]).sum(0, dtype=L.int64),
    lambda L: L.div(L.tensor([123456789, -7]), L.tensor([7, 2]), rounding_mode="trunc"),
    lambda L: L.tensor([2, 1, -1, 0]) ** L.tensor([-1, -2, -3, -1]),
]


@pytest.mark.parametrize("case", range(len(CASES)))
def test_cases_match_torch(case, need_torch):
    check(CASES[case](pynet), CASES[case](torch))
