"""Cases where pynet differed from PyTorch, found by differential fuzzing, each pinned to
PyTorch's answer (worked out by hand, so these run without torch; the last tests repeat
them against torch when it is installed).
"""
import math

import numpy as np
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


# ------------------------------------------------------ the second batch ----

def test_legacy_typed_constructors():
    assert pynet.LongTensor([1.7, 2]).tolist() == [1, 2]
    assert pynet.DoubleTensor([1, 2]).dtype == F64
    assert pynet.BoolTensor([1, 0]).dtype == pynet.bool
    assert pynet.FloatTensor(2, 3).shape == (2, 3) and pynet.FloatTensor().shape == (0,)
    assert pynet.LongTensor(pynet.Size([4])).dtype == pynet.int64
    assert isinstance(pynet.tensor([1]), pynet.LongTensor)
    assert not isinstance(pynet.tensor([1]), pynet.FloatTensor)
    assert pynet.tensor([1.5]).type(pynet.LongTensor).tolist() == [1]
    assert pynet.tensor([1.5]).type("torch.DoubleTensor").dtype == F64
    with pytest.raises(TypeError):
        pynet.FloatTensor(pynet.tensor([1]))


@pytest.mark.parametrize("fill,name", [("uniform_", "UniformBackward0"),
                                       ("normal_", "NormalBackward0"),
                                       ("exponential_", "ExponentialBackward0"),
                                       ("bernoulli_", "BernoulliBackward2")])
def test_random_fills_cut_the_gradient(fill, name):
    x = pynet.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 1
    getattr(y, fill)()
    assert y.grad_fn.name() == name
    (y * y).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]
    with pytest.raises(RuntimeError, match="leaf"):
        getattr(x, fill)()
    with pynet.no_grad():
        getattr(x, fill)()  # how nn.init fills parameters


def test_norm_of_no_dims_and_its_gradient_at_zero():
    x = pynet.tensor([[3.0, 4.0], [0.0, 0.0]])
    assert x.norm(2, dim=()).item() == 5.0 and x.norm("fro", dim=()).item() == 5.0
    for p in (3, 0.5, 1.5):
        z = pynet.zeros(2, requires_grad=True)
        z.norm(p).backward()
        assert z.grad.tolist() == [0.0, 0.0]
        v = pynet.tensor([0.0, 1.5, -2.0], dtype=F64, requires_grad=True)
        n = v.norm(p)
        n.backward()
        a = np.array([0.0, 1.5, -2.0])
        with np.errstate(divide="ignore"):  # d|x|/dx at x = 0 taken as 0, as PyTorch
            want = np.where(a == 0, 0.0, np.sign(a) * np.abs(a) ** (p - 1)) / n.item() ** (p - 1)
        np.testing.assert_allclose(v.grad.numpy(), want, rtol=1e-14)
    w = pynet.tensor([0.3, -1.2, 2.0], dtype=F64, requires_grad=True)
    assert pynet.autograd.gradcheck(lambda t: t.norm(3), (w,))


def test_fill_values_that_do_not_fit_and_fill_with_a_grad_value():
    with pytest.raises(RuntimeError, match="overflow"):
        pynet.zeros(2, dtype=pynet.int64).masked_fill(pynet.tensor([True, False]),
                                                      pynet.tensor(float("nan")))
    w = pynet.tensor(1.0, requires_grad=True)
    y = pynet.zeros(3, requires_grad=True) * 1
    y.fill_(w * 2)
    y.sum().backward()
    assert w.grad.item() == 6.0 and y.tolist() == [2.0, 2.0, 2.0]
    with pytest.raises(RuntimeError, match="0-dimension"):
        pynet.zeros(3).fill_(pynet.tensor([1.0]))


def test_atan2_gradient_at_the_origin_is_zero():
    a = pynet.tensor([0.0, 1.0], requires_grad=True)
    b = pynet.tensor([0.0, 2.0], requires_grad=True)
    pynet.atan2(a, b).sum().backward()
    assert a.grad.tolist() == [0.0, pytest.approx(0.4)]
    assert b.grad.tolist() == [0.0, pytest.approx(-0.2)]


def test_hardtanh_and_relu6_keep_integers():
    got = F.relu6(pynet.tensor([-2, 3, 8]))
    assert got.dtype == pynet.int64 and got.tolist() == [0, 3, 6]
    assert F.hardtanh(pynet.tensor([-2, 0, 3]), -0.5, 1.5).tolist() == [0, 0, 1]


def test_tensors_from_int_scalars_and_long_long_arrays():
    assert pynet.tensor([pynet.tensor(1), pynet.tensor(2)]).tolist() == [1, 2]
    assert pynet.tensor(list(pynet.tensor([3, 4]))).dtype == pynet.int64
    a = np.array([1, 2], dtype=np.longlong)
    assert pynet.from_numpy(a).dtype == pynet.int64 and pynet.tensor(a).tolist() == [1, 2]


def test_kl_div_with_a_broadcast_target():
    x = pynet.tensor([-0.5, -1.0], requires_grad=True)
    for red, scale in (("sum", 1.0), ("batchmean", 0.5), ("none", 1.0)):
        F.kl_div(x, pynet.tensor(0.3), reduction=red).sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), [-0.3 * scale] * 2, rtol=1e-6)
        x.grad = None


def test_batchnorm_loads_checkpoints_without_num_batches_tracked():
    bn = pynet.nn.BatchNorm1d(3)
    bn.num_batches_tracked.fill_(7)
    sd = {k: v for k, v in bn.state_dict().items() if k != "num_batches_tracked"}
    res = bn.load_state_dict(sd)
    assert res.missing_keys == [] and bn.num_batches_tracked.item() == 7
    with pytest.raises(RuntimeError, match="Missing key"):
        bn.load_state_dict({k: v for k, v in sd.items() if k != "running_mean"})


def test_exception_types_of_empty_argmax_and_broadcast_shapes():
    with pytest.raises(IndexError):
        pynet.zeros(0, 1).argmax()
    with pytest.raises(RuntimeError):
        pynet.zeros(0, 1).max()
    with pytest.raises(RuntimeError):
        pynet.broadcast_shapes((2, 1), (3, 2))
    assert pynet.broadcast_shapes((2, 1), (1, 3)) == (2, 3)


def test_calls_torch_refuses_are_refused():
    b = pynet.tensor([True, False])
    for fn in (lambda: b.abs(), lambda: b.floor(), lambda: b.ceil(), lambda: b.round(),
               lambda: b.trunc(), lambda: b ** b, lambda: True ** b, lambda: b // b,
               lambda: b % b, lambda: pynet.tensor([1, 2]).softmax(0),
               lambda: pynet.tensor([1, 2]).log_softmax(0)):
        with pytest.raises(NotImplementedError):
            fn()
    assert (b ** True).tolist() == [True, False] and (b ** 2).tolist() == [1, 0]
    assert pynet.tensor([1, 2]).softmax(0, dtype=F64).dtype == F64
    with pytest.raises(RuntimeError, match="Bool"):
        b.argmax()
    v, i = pynet.tensor([[True, False], [True, True]]).max(0)  # max(dim) of bool is fine
    assert v.tolist() == [True, True] and i.tolist() == [0, 1]
    for fn in (lambda: pynet.maximum(pynet.tensor([1, 2]), 1),
               lambda: pynet.tensor([1.0]).minimum(0.5)):
        with pytest.raises(TypeError):
            fn()


def test_empty_and_integer_edge_cases():
    assert (pynet.zeros(0, dtype=pynet.int64) // 0).shape == (0,)  # nothing is divided
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        pynet.tensor([3]) // 0
    with pytest.raises(RuntimeError, match="should be positive"):
        pynet.zeros(0, 3).index_select(0, pynet.tensor([0]))
    assert pynet.zeros(0, 3).index_select(0, pynet.tensor([], dtype=pynet.int64)).shape == (0, 3)
    with pytest.raises(NotImplementedError):
        F.mse_loss(pynet.tensor([1, 2]), pynet.tensor([1, 3]))


def test_float32_std_of_huge_values_does_not_overflow():
    x = pynet.tensor([1e30, 0.0], requires_grad=True)
    s = x.std(unbiased=False)
    assert s.grad_fn.name() == "StdBackward0"
    assert s.item() == pytest.approx(5e29, rel=1e-6)
    s.backward()
    assert x.grad.tolist() == [0.5, -0.5]
    y = pynet.tensor([[1e25, -1e25, 3e25], [1.0, 2.0, 3.0]])
    np.testing.assert_allclose(y.std(1).numpy(), [2e25, 1.0], rtol=1e-6)
    assert y.var(1).tolist()[0] == math.inf  # the variance itself is beyond float32


# ---------------------------------------- found by fuzzing the new functions ----

def test_digamma_just_below_zero_and_the_negative_integers():
    x = np.array([-1e-20, -1e-10, -3.000000001, -0.5, -2.5])
    got = pynet.tensor(x).digamma().numpy()
    # psi(x) = psi(x + 4) - 1/x - 1/(x+1) - 1/(x+2) - 1/(x+3), psi(x + 4) at a positive point
    up = pynet.tensor(x + 4).digamma().numpy()
    want = up - 1 / x - 1 / (x + 1) - 1 / (x + 2) - 1 / (x + 3)
    np.testing.assert_allclose(got, want, rtol=1e-9)
    assert pynet.tensor([-1e-30]).digamma().item() == pytest.approx(1e30, rel=1e-6)


def test_new_functions_edge_cases():
    x = pynet.tensor([1.0, 2.0, 3.0, 4.0])
    assert pynet.diff(x, n=0, prepend=pynet.tensor([0.0])).tolist() == [1, 2, 3, 4]
    s = pynet.arange(6.0)[::2]
    r = s.ravel()
    r.fill_(9)
    assert s.tolist() == [0.0, 2.0, 4.0] and r.is_contiguous()  # a copy, as torch
    assert pynet.block_diag(pynet.ones(1, 1), pynet.tensor(2.0, dtype=F64)).dtype == pynet.float32
    with pytest.raises(RuntimeError):
        pynet.addbmm(pynet.zeros(2, 2), pynet.zeros(2, 2), pynet.zeros(2, 2, 2))
    with pytest.raises(IndexError):
        pynet.addbmm(pynet.zeros(2, 2), pynet.zeros(2, 2, 2), pynet.zeros(2, 2))
    with pytest.raises(NotImplementedError):
        pynet.cross(pynet.ones(3, dtype=pynet.bool), pynet.ones(3), dim=0)
    rows, cols = pynet.where(pynet.tensor([[1.0, 0.0], [0.0, 2.0]]))
    assert rows.tolist() == [0, 1] and cols.tolist() == [0, 1]
    t = pynet.zeros(3, dtype=pynet.int64).index_add(0, pynet.tensor([0]), pynet.tensor([3]),
                                                    alpha=2.7)
    assert t.tolist() == [6, 0, 0]  # alpha truncated for integers, as torch


@pytest.mark.parametrize("name,want", [
    ("max", [[0, 1, 0], [0, 0, 0]]),  # max() sends the gradient to the NaN
    ("amax", [[math.nan] * 3] * 2),   # amax's (g / count) * mask: NaN everywhere
])
def test_max_and_amax_gradients_through_nan(name, want):
    x = pynet.tensor([[1.0, math.nan, 2.0], [3.0, 1.0, 3.0]], requires_grad=True)
    getattr(x, name)().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.array(want, dtype=np.float32))
    y = pynet.tensor([[1.0, math.nan, 2.0], [3.0, 1.0, 3.0]], requires_grad=True)
    y.amax(0).sum().backward()
    np.testing.assert_array_equal(y.grad.numpy(), [[0, math.nan, 0], [1, math.nan, 1]])


def test_top_level_in_place_forms():
    x = pynet.tensor([0.5, -0.25], dtype=F64)
    assert pynet.asin_(x) is x
    np.testing.assert_allclose(x.numpy(), np.arcsin([0.5, -0.25]), rtol=1e-15)
    y = pynet.tensor([3.0, -3.0])
    assert pynet.clamp_(y, -1, 1).tolist() == [1.0, -1.0]
    assert pynet.exp_(pynet.tensor([0.0])).tolist() == [1.0]
    assert pynet.zero_(pynet.ones(2)).tolist() == [0.0, 0.0]
    assert pynet.nan_to_num_(pynet.tensor([math.nan])).tolist() == [0.0]


def test_norm_checks_its_dims():
    # found by the loss helper: norm(p, dim) wrapped any dim modulo ndim instead of refusing it
    x = pynet.tensor([3.0, 4.0])
    for dim in (1, -2, 5, (0, 1)):
        with pytest.raises(IndexError):
            x.norm(2, dim)
    with pytest.raises(RuntimeError):
        pynet.ones(2, 3).norm(2, (0, -2))  # the same dim twice
    assert x.norm(2, -1).item() == 5.0
    assert pynet.tensor(-2.0).norm(1, 0).item() == 2.0  # a 0-d tensor takes dim 0 and -1
