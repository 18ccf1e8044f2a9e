"""Gradient checks for every differentiable pynet op.

Each case is a function ``fn(lib, *tensors)`` written against the API that
pynet and PyTorch share, so the same case is checked twice:

* ``test_gradcheck``: pynet.autograd.gradcheck (central finite differences
  vs. pynet's backward, float64 inputs);
* ``test_matches_torch``: pynet's forward values and gradients (for a random
  upstream gradient) against torch's, rtol 1e-10 in float64.

Inputs are chosen away from the points where an op is not differentiable
(abs/relu at 0, ties in max/maximum, clamp bounds, remainder jumps), because
finite differences are meaningless there; the behaviour *at* those points is
compared with torch separately below.
"""
import math

import numpy as np
import pytest

import pynet
from pynet.autograd import Function, GradcheckError, gradcheck

F64 = pynet.float64


# ---------------------------------------------------------------- inputs ----

def _rng(seed):
    return np.random.default_rng(seed)


def rnd(*shape, seed=0):
    """Standard normal values, kept away from 0 (|v| >= 0.1)."""
    a = _rng(seed).standard_normal(shape)
    a = np.where(np.abs(a) < 0.1, np.sign(a + 1e-12) * (0.1 + np.abs(a)), a)
    return a


def pos(*shape, seed=0, lo=0.5, hi=2.0):
    return _rng(seed).uniform(lo, hi, shape)


def distinct(*shape, seed=0):
    """Values that are pairwise at least 0.05 apart (no ties for max/min/sort-like ops)."""
    n = int(np.prod(shape)) if shape else 1
    v = np.linspace(-1.5, 1.5, n)
    v = _rng(seed).permutation(v)
    return v.reshape(shape)


def away_from(*shape, points=(0.0,), gap=0.1, seed=0):
    a = _rng(seed).uniform(-2.0, 2.0, shape)
    for p in points:
        close = np.abs(a - p) < gap
        a = np.where(close, p + np.where(a >= p, gap, -gap) * 1.5, a)
    return a


def to_pynet(arrays):
    return [pynet.tensor(a.copy(), dtype=F64, requires_grad=True) for a in arrays]


# ---------------------------------------------------------------- cases -----
# name -> (fn(lib, *xs), [numpy inputs])
CASES = {}


def case(name, inputs):
    def deco(fn):
        assert name not in CASES, name
        CASES[name] = (fn, inputs)
        return fn
    return deco


def add_case(name, fn, *inputs):
    assert name not in CASES, name
    CASES[name] = (fn, list(inputs))


# --- binary arithmetic, incl. scalars on either side
add_case("add", lambda L, a, b: a + b, rnd(3, 4, seed=1), rnd(3, 4, seed=2))
add_case("sub", lambda L, a, b: a - b, rnd(3, 4, seed=1), rnd(3, 4, seed=2))
add_case("mul", lambda L, a, b: a * b, rnd(3, 4, seed=1), rnd(3, 4, seed=2))
add_case("div", lambda L, a, b: a / b, rnd(3, 4, seed=1), away_from(3, 4, gap=0.5, seed=2))
add_case("add_scalar", lambda L, a: a + 2.5, rnd(5, seed=3))
add_case("radd_scalar", lambda L, a: 2.5 + a, rnd(5, seed=3))
add_case("sub_scalar", lambda L, a: a - 2.5, rnd(5, seed=3))
add_case("rsub_scalar", lambda L, a: 2.5 - a, rnd(5, seed=3))
add_case("mul_scalar", lambda L, a: a * -1.5, rnd(5, seed=3))
add_case("rmul_scalar", lambda L, a: -1.5 * a, rnd(5, seed=3))
add_case("div_scalar", lambda L, a: a / 4.0, rnd(5, seed=3))
add_case("rdiv_scalar", lambda L, a: 3.0 / a, away_from(5, gap=0.4, seed=3))
add_case("add_method_alpha", lambda L, a, b: a.add(b, alpha=-2.0), rnd(4, seed=4), rnd(4, seed=5))
add_case("sub_method_alpha", lambda L, a, b: a.sub(b, alpha=3.0), rnd(4, seed=4), rnd(4, seed=5))
add_case("true_divide", lambda L, a, b: a.true_divide(b), rnd(4, seed=4), pos(4, seed=5))

# --- pow: tensor**tensor, tensor**scalar (int / float / negative / zero), scalar**tensor
add_case("pow_tensor_tensor", lambda L, a, b: a ** b, pos(3, 4, seed=6), rnd(3, 4, seed=7))
add_case("pow_int2", lambda L, a: a ** 2, rnd(3, 4, seed=8))
add_case("pow_int3_negative_base", lambda L, a: a ** 3, rnd(3, 4, seed=8))
add_case("pow_float", lambda L, a: a ** 2.5, pos(3, 4, seed=9))
add_case("pow_half", lambda L, a: a ** 0.5, pos(3, 4, seed=9))
add_case("pow_negative", lambda L, a: a ** -1.5, pos(3, 4, seed=9))
add_case("pow_zero", lambda L, a: a ** 0, rnd(3, seed=9))
add_case("pow_one", lambda L, a: a ** 1, rnd(3, seed=9))
add_case("pow_method", lambda L, a: a.pow(3.0), rnd(3, 4, seed=10))
add_case("pow_scalar_base", lambda L, a: 2.0 ** a, rnd(3, 4, seed=11))
add_case("pow_scalar_base_e", lambda L, a: math.e ** a, rnd(3, 4, seed=11))
add_case("pow_scalar_base_half", lambda L, a: 0.5 ** a, rnd(3, 4, seed=11))
add_case("pow_broadcast_exp", lambda L, a, b: a ** b, pos(3, 4, seed=6), rnd(4, seed=7))

# --- unary
add_case("neg", lambda L, a: -a, rnd(3, 4, seed=12))
add_case("neg_method", lambda L, a: a.neg(), rnd(3, 4, seed=12))
add_case("abs", lambda L, a: a.abs(), rnd(3, 4, seed=13))
add_case("exp", lambda L, a: a.exp(), rnd(3, 4, seed=14))
add_case("log", lambda L, a: a.log(), pos(3, 4, seed=15))
add_case("sqrt", lambda L, a: a.sqrt(), pos(3, 4, seed=16))
add_case("sigmoid", lambda L, a: a.sigmoid(), rnd(3, 4, seed=17) * 3)
add_case("tanh", lambda L, a: a.tanh(), rnd(3, 4, seed=18))
add_case("relu", lambda L, a: a.relu(), rnd(3, 4, seed=19))
add_case("reciprocal", lambda L, a: a.reciprocal(), away_from(3, 4, gap=0.4, seed=20))
add_case("square", lambda L, a: a.square(), rnd(3, 4, seed=21))
add_case("sin", lambda L, a: a.sin(), rnd(3, 4, seed=22) * 3)
add_case("cos", lambda L, a: a.cos(), rnd(3, 4, seed=23) * 3)
add_case("log1p", lambda L, a: a.log1p(), pos(3, 4, seed=24, lo=-0.5, hi=3.0))
add_case("expm1", lambda L, a: a.expm1(), rnd(3, 4, seed=25))
add_case("log2", lambda L, a: a.log2(), pos(3, 4, seed=15))
add_case("log10", lambda L, a: L.log10(a), pos(3, 4, seed=15))
add_case("erf", lambda L, a: a.erf(), rnd(3, 4, seed=26) * 2)
add_case("erfc", lambda L, a: L.erfc(a), rnd(3, 4, seed=26) * 2)
add_case("tan", lambda L, a: a.tan(), rnd(3, 4, seed=27))
add_case("atan", lambda L, a: L.atan(a), rnd(3, 4, seed=28) * 3)
add_case("rsqrt", lambda L, a: a.rsqrt(), pos(3, 4, seed=16))
add_case("atan2", lambda L, a, b: L.atan2(a, b), rnd(3, 4, seed=29), away_from(3, 4, seed=30))
add_case("atan2_broadcast", lambda L, a, b: a.atan2(b), rnd(3, 4, seed=31), away_from(4, seed=32))
add_case("clamp_both", lambda L, a: a.clamp(-0.5, 0.7), away_from(4, 5, points=(-0.5, 0.7), seed=26))
add_case("clamp_min", lambda L, a: a.clamp(min=0.2), away_from(4, 5, points=(0.2,), seed=27))
add_case("clamp_max", lambda L, a: a.clamp(max=-0.3), away_from(4, 5, points=(-0.3,), seed=28))
add_case("clip", lambda L, a: a.clip(-1.0, 1.0), away_from(4, 5, points=(-1.0, 1.0), seed=29))
add_case("maximum", lambda L, a, b: L.maximum(a, b), distinct(3, 4, seed=30),
         distinct(3, 4, seed=31) + 0.025)
add_case("minimum", lambda L, a, b: L.minimum(a, b), distinct(3, 4, seed=32),
         distinct(3, 4, seed=33) + 0.025)
add_case("maximum_broadcast", lambda L, a, b: a.maximum(b), distinct(3, 4, seed=34),
         distinct(4, seed=35) + 0.025)
# remainder is piecewise x - floor(x/y)*y; keep x/y away from integers
add_case("remainder_scalar", lambda L, a: a.remainder(1.5),
         np.array([[0.2, 1.0, -0.4], [2.0, -2.5, 3.7]]))
add_case("remainder_tensor", lambda L, a, b: a.remainder(b),
         np.array([[0.7, 2.9, -1.3], [5.2, -4.1, 3.3]]),
         np.array([[2.0, 1.1, 2.2], [-1.5, 1.9, -2.4]]))
add_case("fmod_like_remainder_neg_divisor", lambda L, a: a % -1.25,
         np.array([0.3, 1.9, -0.7, 4.1]))


@case("where", [rnd(3, 4, seed=36), rnd(3, 4, seed=37)])
def _where(L, a, b):
    cond = L.tensor(np.array([[True, False, True, False], [False, False, True, True],
                              [True, True, False, False]]))
    return L.where(cond, a, b)


@case("where_broadcast", [rnd(3, 1, seed=38), rnd(4, seed=39)])
def _where_b(L, a, b):
    cond = L.tensor(np.array([[True, False, True, False], [False, False, True, True],
                              [True, True, False, False]]))
    return L.where(cond, a, b)


@case("where_method_scalar_other", [rnd(3, 4, seed=40)])
def _where_m(L, a):
    return L.where(a > 0, a, 0.0) * 3.0


@case("masked_fill", [rnd(3, 4, seed=41)])
def _masked_fill(L, a):
    mask = L.tensor(np.array([[True, False, True, False]] * 3))
    return a.masked_fill(mask, 2.0)


# --- broadcasting in binary ops: gradient summed back to the input's shape
add_case("bcast_add_col_row", lambda L, a, b: a + b, rnd(3, 1, seed=42), rnd(1, 4, seed=43))
add_case("bcast_mul_vec", lambda L, a, b: a * b, rnd(4, seed=44), rnd(3, 4, seed=45))
add_case("bcast_div_3d", lambda L, a, b: a / b, rnd(2, 1, 3, seed=46), pos(4, 1, seed=47))
add_case("bcast_sub_0d", lambda L, a, b: a - b, rnd(seed=48), rnd(2, 3, seed=49))
add_case("bcast_mul_both_expand", lambda L, a, b: a * b, rnd(2, 1, 4, seed=50), rnd(3, 1, seed=51))
add_case("bcast_pow_base", lambda L, a, b: a ** b, pos(3, 1, seed=52), rnd(1, 4, seed=53))
add_case("bcast_leading_ones", lambda L, a, b: a * b, rnd(1, 1, 3, seed=54), rnd(2, 3, seed=55))

# --- reductions
X34 = rnd(3, 4, seed=60)
X234 = rnd(2, 3, 4, seed=61)
add_case("sum_all", lambda L, a: a.sum(), X234)
add_case("sum_dim0", lambda L, a: a.sum(0), X234)
add_case("sum_dim_neg", lambda L, a: a.sum(-1), X234)
add_case("sum_keepdim", lambda L, a: a.sum(1, keepdim=True), X234)
add_case("sum_dims_tuple", lambda L, a: a.sum((0, 2)), X234)
add_case("sum_dims_tuple_keepdim", lambda L, a: a.sum((0, 2), keepdim=True), X234)
add_case("sum_0d", lambda L, a: a.sum(), rnd(seed=62))
add_case("mean_all", lambda L, a: a.mean(), X234)
add_case("mean_dim", lambda L, a: a.mean(1), X234)
add_case("mean_keepdim", lambda L, a: a.mean(-1, keepdim=True), X234)
add_case("mean_dims_tuple", lambda L, a: a.mean((1, 2)), X234)
add_case("prod_all", lambda L, a: a.prod(), rnd(2, 3, seed=63))
add_case("prod_dim", lambda L, a: a.prod(1), rnd(3, 4, seed=64))
add_case("prod_dim_keepdim", lambda L, a: a.prod(0, keepdim=True), rnd(3, 4, seed=64))
add_case("prod_all_one_zero", lambda L, a: a.prod(),
         np.array([[1.5, 0.0, -2.0], [0.5, 3.0, -1.2]]))
add_case("prod_all_two_zeros", lambda L, a: a.prod(),
         np.array([[1.5, 0.0, -2.0], [0.5, 0.0, -1.2]]))
add_case("prod_dim_one_zero", lambda L, a: a.prod(1),
         np.array([[1.5, 0.0, -2.0], [0.5, 3.0, -1.2]]))
add_case("prod_dim_two_zeros", lambda L, a: a.prod(1),
         np.array([[1.5, 0.0, 0.0, 2.0], [0.5, 3.0, -1.2, 0.7]]))
add_case("prod_dim0_zeros", lambda L, a: a.prod(0),
         np.array([[0.0, 0.0, -2.0], [0.0, 3.0, -1.2], [2.0, 0.5, 0.0]]))
add_case("amax_all", lambda L, a: a.amax(), distinct(3, 4, seed=65))
add_case("amax_dim", lambda L, a: a.amax(1), distinct(3, 4, seed=65))
add_case("amax_dims_keepdim", lambda L, a: a.amax((0, 2), keepdim=True), distinct(2, 3, 4, seed=66))
add_case("amin_dim", lambda L, a: a.amin(0), distinct(3, 4, seed=67))
add_case("amin_dim_keepdim", lambda L, a: a.amin(-1, keepdim=True), distinct(2, 3, 4, seed=68))
add_case("max_dim", lambda L, a: a.max(1).values, distinct(3, 4, seed=69))
add_case("max_dim_keepdim", lambda L, a: a.max(0, keepdim=True)[0], distinct(3, 4, seed=70))
add_case("min_dim", lambda L, a: a.min(-1).values, distinct(2, 3, 4, seed=71))
add_case("min_dim_keepdim", lambda L, a: a.min(1, keepdim=True)[0], distinct(2, 3, 4, seed=72))
add_case("max_all", lambda L, a: a.max(), distinct(3, 4, seed=73))
add_case("min_all", lambda L, a: a.min(), distinct(3, 4, seed=74))
add_case("var_all", lambda L, a: a.var(), X34)
add_case("var_dim", lambda L, a: a.var(1), X34)
add_case("var_dim_biased_keepdim", lambda L, a: a.var(0, unbiased=False, keepdim=True), X34)
add_case("var_dims_tuple", lambda L, a: a.var((0, 2)), X234)
add_case("std_all", lambda L, a: a.std(), X34)
add_case("std_dim", lambda L, a: a.std(0), X34)
add_case("std_dim_biased_keepdim", lambda L, a: a.std(-1, unbiased=False, keepdim=True), X234)
add_case("logsumexp_dim", lambda L, a: a.logsumexp(1), X234)
add_case("logsumexp_keepdim", lambda L, a: a.logsumexp(0, keepdim=True), X234)
add_case("logsumexp_large", lambda L, a: a.logsumexp(-1), X34 * 50 + 300)
add_case("softmax_last", lambda L, a: a.softmax(-1), X234)
add_case("softmax_dim0", lambda L, a: a.softmax(0), X234)
add_case("softmax_dim1", lambda L, a: a.softmax(1), X234)
add_case("softmax_large", lambda L, a: a.softmax(1), X34 * 30 + 500)
add_case("log_softmax_last", lambda L, a: a.log_softmax(-1), X234)
add_case("log_softmax_dim0", lambda L, a: a.log_softmax(0), X234)
add_case("log_softmax_dim1", lambda L, a: a.log_softmax(1), X34)
add_case("log_softmax_large", lambda L, a: a.log_softmax(-1), X34 * 30 - 500)
add_case("softmax_1d", lambda L, a: a.softmax(0), rnd(5, seed=75))

# --- matmul: every rank combination
MM = {
    "1d@1d": ((4,), (4,)),
    "1d@2d": ((3,), (3, 4)),
    "2d@1d": ((3, 4), (4,)),
    "2d@2d": ((2, 3), (3, 4)),
    "3d@3d": ((2, 3, 4), (2, 4, 2)),
    "3d@2d": ((2, 3, 4), (4, 2)),
    "2d@3d": ((3, 4), (2, 4, 2)),
    "1d@3d": ((3,), (2, 3, 4)),
    "3d@1d": ((2, 3, 4), (4,)),
    "bcast_4d@3d": ((2, 1, 2, 3), (3, 3, 2)),
    "bcast_1xx@2xx": ((1, 2, 3), (2, 3, 2)),
    "bcast_2x1@1x2": ((2, 1, 2, 3), (1, 2, 3, 2)),
}
for _i, (_name, (_sa, _sb)) in enumerate(MM.items()):
    add_case("matmul_" + _name, lambda L, a, b: a @ b, rnd(*_sa, seed=80 + _i),
             rnd(*_sb, seed=100 + _i))
add_case("matmul_method", lambda L, a, b: a.matmul(b), rnd(2, 3, seed=120), rnd(3, 2, seed=121))
add_case("mm", lambda L, a, b: a.mm(b), rnd(2, 3, seed=122), rnd(3, 4, seed=123))
add_case("mm_transposed_inputs", lambda L, a, b: a.t().mm(b.t()), rnd(3, 2, seed=124),
         rnd(4, 3, seed=125))
add_case("bmm", lambda L, a, b: a.bmm(b), rnd(2, 3, 4, seed=126), rnd(2, 4, 2, seed=127))
add_case("dot", lambda L, a, b: a.dot(b), rnd(5, seed=128), rnd(5, seed=129))
add_case("matmul_self", lambda L, a: a @ a, rnd(3, 3, seed=130))

# --- views and shape ops
add_case("view", lambda L, a: a.view(4, 6) * 1.0, X234)
add_case("view_neg1", lambda L, a: a.view(-1, 3), X234)
add_case("reshape", lambda L, a: a.reshape(6, 4), X234)
add_case("reshape_noncontig", lambda L, a: a.transpose(0, 2).reshape(-1), X234)
add_case("transpose", lambda L, a: a.transpose(0, 2), X234)
add_case("t", lambda L, a: a.t(), X34)
add_case("T", lambda L, a: a.T @ a, X34)
add_case("permute", lambda L, a: a.permute(2, 0, 1), X234)
add_case("expand", lambda L, a: a.expand(2, 3, 4), rnd(3, 1, seed=131))
add_case("expand_neg1", lambda L, a: a.expand(2, -1, 4), rnd(3, 1, seed=131))
add_case("expand_as", lambda L, a, b: a.expand_as(b) * b, rnd(1, 4, seed=132), rnd(3, 4, seed=133))
add_case("squeeze_all", lambda L, a: a.squeeze(), rnd(1, 3, 1, 2, seed=134))
add_case("squeeze_dim", lambda L, a: a.squeeze(2), rnd(1, 3, 1, 2, seed=134))
add_case("unsqueeze", lambda L, a: a.unsqueeze(1), X34)
add_case("unsqueeze_neg", lambda L, a: a.unsqueeze(-1), X34)
add_case("flatten", lambda L, a: a.flatten(), X234)
add_case("flatten_range", lambda L, a: a.flatten(1), X234)
add_case("narrow", lambda L, a: a.narrow(1, 1, 2), X234)
add_case("narrow_neg_dim", lambda L, a: a.narrow(-1, 2, 2), X234)
add_case("select", lambda L, a: a.select(1, 2), X234)
add_case("select_neg", lambda L, a: a.select(0, -1), X234)
add_case("int_index", lambda L, a: a[1], X234)
add_case("slice_step", lambda L, a: a[::2, 1::3], rnd(5, 7, seed=135))
add_case("slice_step_3d", lambda L, a: a[:, ::2, 1:4:2], rnd(2, 5, 6, seed=136))
add_case("slice_neg", lambda L, a: a[-2:, :-1], rnd(4, 5, seed=137))
add_case("slice_ellipsis_none", lambda L, a: a[..., None, 1:3], X234)
add_case("slice_of_slice", lambda L, a: a[1:][::2][:, 2], rnd(6, 4, seed=138))
add_case("contiguous", lambda L, a: a.t().contiguous(), X34)
add_case("clone", lambda L, a: a.clone(), X34)
add_case("view_as", lambda L, a, b: a.view_as(b) + b, X34, rnd(4, 3, seed=139))
add_case("unflatten", lambda L, a: a.unflatten(1, (2, 2)), X34)


@case("adv_index_repeated", [rnd(4, 3, seed=140)])
def _adv_rep(L, a):
    return a[L.tensor([0, 2, 0, 0, 3])]


@case("adv_index_list_repeated", [rnd(4, 3, seed=141)])
def _adv_list(L, a):
    return a[[1, 1, 3]]


@case("adv_index_dim1_repeated", [rnd(3, 5, seed=142)])
def _adv_dim1(L, a):
    return a[:, L.tensor([4, 0, 4, 4])]


@case("adv_index_pairs_repeated", [rnd(3, 4, seed=143)])
def _adv_pairs(L, a):
    return a[L.tensor([0, 2, 0, 2]), L.tensor([1, 3, 1, 1])]


@case("adv_index_2d_index", [rnd(5, 2, seed=144)])
def _adv_2d(L, a):
    return a[L.tensor([[0, 4], [4, 4], [1, 0]])]


@case("adv_index_negative", [rnd(5, seed=145)])
def _adv_neg(L, a):
    return a[L.tensor([-1, -1, 0, -5])]


@case("gather_like_nll", [rnd(4, 5, seed=146)])
def _gather_like(L, a):
    return a.log_softmax(1)[L.arange(4), L.tensor([1, 0, 4, 1])]


@case("bool_mask", [rnd(3, 4, seed=147)])
def _mask(L, a):
    m = L.tensor(np.array([[True, False, True, True], [False, False, False, True],
                           [True, True, False, False]]))
    return a[m]


@case("bool_mask_rows", [rnd(4, 3, seed=148)])
def _mask_rows(L, a):
    return a[L.tensor(np.array([True, False, True, True]))]


@case("bool_mask_from_data", [rnd(3, 4, seed=149)])
def _mask_data(L, a):
    return a[a > 0] * 2.0


# --- join / split
add_case("cat0", lambda L, a, b: L.cat([a, b], 0), rnd(2, 3, seed=150), rnd(4, 3, seed=151))
add_case("cat1", lambda L, a, b, c: L.cat([a, b, c], 1), rnd(2, 3, seed=152),
         rnd(2, 1, seed=153), rnd(2, 2, seed=154))
add_case("cat_neg_dim", lambda L, a, b: L.cat((a, b), -1), rnd(2, 2, 3, seed=155),
         rnd(2, 2, 1, seed=156))
add_case("cat_same_tensor_twice", lambda L, a: L.cat([a, a * 2.0, a], 0), rnd(2, 3, seed=157))
add_case("stack0", lambda L, a, b: L.stack([a, b]), rnd(2, 3, seed=158), rnd(2, 3, seed=159))
add_case("stack_last", lambda L, a, b, c: L.stack([a, b, c], -1), rnd(2, 3, seed=160),
         rnd(2, 3, seed=161), rnd(2, 3, seed=162))
add_case("stack_same_tensor", lambda L, a: L.stack([a, a], 1), rnd(3, seed=163))
add_case("split_int", lambda L, a: a.split(2, 0), rnd(5, 3, seed=164))
add_case("split_sizes", lambda L, a: a.split([1, 3], 1), rnd(2, 4, seed=165))
add_case("split_partial_use", lambda L, a: a.split(2, 1)[1] * 3.0, rnd(2, 5, seed=166))
add_case("chunk", lambda L, a: a.chunk(3, 1), rnd(2, 7, seed=167))
add_case("chunk_recombined", lambda L, a: a.chunk(2, 0)[0] * a.chunk(2, 0)[1], rnd(4, 3, seed=168))
add_case("unbind", lambda L, a: a.unbind(1), rnd(2, 3, seed=169))


# --- index assignment: out = x.clone(); out[idx] = y  (grads flow to x and y)
@case("index_put_rows", [rnd(4, 3, seed=170), rnd(2, 3, seed=171)])
def _iput_rows(L, x, y):
    out = x.clone()
    out[L.tensor([3, 1])] = y
    return out


@case("index_put_broadcast_value", [rnd(4, 3, seed=172), rnd(3, seed=173)])
def _iput_bcast(L, x, y):
    out = x.clone()
    out[L.tensor([0, 2])] = y
    return out * 2.0


@case("index_put_slice", [rnd(4, 5, seed=174), rnd(4, 2, seed=175)])
def _iput_slice(L, x, y):
    out = x.clone()
    out[:, 1:5:2] = y
    return out


@case("index_put_int", [rnd(3, 4, seed=176), rnd(4, seed=177)])
def _iput_int(L, x, y):
    out = x.clone()
    out[1] = y
    return out


@case("index_put_mask", [rnd(3, 4, seed=178), rnd(5, seed=179)])
def _iput_mask(L, x, y):
    m = L.tensor(np.array([[True, False, True, False], [False, False, True, True],
                           [False, True, False, False]]))
    out = x.clone()
    out[m] = y
    return out


@case("index_put_pairs", [rnd(3, 4, seed=180), rnd(3, seed=181)])
def _iput_pairs(L, x, y):
    out = x.clone()
    out[L.tensor([0, 2, 1]), L.tensor([3, 0, 1])] = y
    return out


@case("index_put_scalar_value", [rnd(3, 4, seed=182)])
def _iput_scalar(L, x):
    out = x * 1.0
    out[L.tensor([0, 2])] = 5.0
    return out


@case("index_put_then_used", [rnd(3, 4, seed=183), rnd(4, seed=184)])
def _iput_used(L, x, y):
    out = x.exp() + 1.0      # (exp saves its output; AddBackward saves nothing)
    out[2] = y * y
    return (out * x).sum(0)


# --- compositions
add_case("composite_mlp", lambda L, x, w1, w2: ((x @ w1).relu() @ w2).log_softmax(1),
         rnd(3, 4, seed=190), rnd(4, 5, seed=191), rnd(5, 2, seed=192))
add_case("composite_same_input_many_paths", lambda L, a: (a * a.exp() + a.sin() * a).sum(0),
         rnd(3, 4, seed=193))
add_case("composite_normalize", lambda L, a: (a - a.mean(1, keepdim=True)) / a.std(1, keepdim=True),
         rnd(3, 5, seed=194))

NAMES = sorted(CASES)


# ---------------------------------------------------------------- tests -----

def _outputs_tuple(out):
    return out if isinstance(out, tuple) else (out,)


@pytest.mark.parametrize("name", NAMES)
def test_gradcheck(name):
    fn, arrays = CASES[name]
    xs = to_pynet(arrays)
    assert all(x.dtype == F64 for x in xs)
    assert gradcheck(lambda *t: fn(pynet, *t), tuple(xs)) is True
    # and the output(s) must actually be connected to the graph
    outs = _outputs_tuple(fn(pynet, *xs))
    assert any(o.requires_grad for o in outs)


@pytest.mark.parametrize("name", NAMES)
def test_matches_torch(name):
    torch = pytest.importorskip("torch")
    fn, arrays = CASES[name]
    pxs = to_pynet(arrays)
    txs = [torch.tensor(a.copy(), dtype=torch.float64, requires_grad=True) for a in arrays]
    pouts = _outputs_tuple(fn(pynet, *pxs))
    touts = _outputs_tuple(fn(torch, *txs))
    assert len(pouts) == len(touts)
    rng = _rng(12345)
    p_grads_out, t_grads_out = [], []
    for po, to in zip(pouts, touts):
        assert tuple(po.shape) == tuple(to.shape), name
        np.testing.assert_allclose(po.detach().numpy(), to.detach().numpy(), rtol=1e-10, atol=1e-12)
        g = rng.standard_normal(tuple(to.shape))
        p_grads_out.append(pynet.tensor(g, dtype=F64))
        t_grads_out.append(torch.tensor(g, dtype=torch.float64))
    pg = pynet.autograd.grad(list(pouts), pxs, p_grads_out, allow_unused=True)
    tg = torch.autograd.grad(list(touts), txs, t_grads_out, allow_unused=True)
    for i, (a, b) in enumerate(zip(pg, tg)):
        if b is None:
            assert a is None or np.all(a.numpy() == 0), (name, i)
            continue
        assert a is not None, f"{name}: no gradient for input {i}"
        assert tuple(a.shape) == tuple(b.shape) == tuple(arrays[i].shape)
        assert a.dtype == F64
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-10, atol=1e-12,
                                   err_msg=f"{name}: grad of input {i}")


# --- explicit expected values (from math, not from pynet) ---------------------

def test_repeated_index_gradient_accumulates():
    x = pynet.zeros(5, dtype=F64, requires_grad=True)
    x[pynet.tensor([1, 3, 1, 1, 0])].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 3.0, 0.0, 1.0, 0.0])


def test_repeated_index_pairs_accumulate_weighted():
    x = pynet.zeros(2, 3, dtype=F64, requires_grad=True)
    w = pynet.tensor([1.0, 10.0, 100.0, 1000.0], dtype=F64)
    (x[pynet.tensor([0, 1, 0, 0]), pynet.tensor([2, 1, 2, 0])] * w).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[1000.0, 0.0, 101.0], [0.0, 10.0, 0.0]])


def test_index_put_grads_to_x_and_y():
    x = pynet.ones(4, 2, dtype=F64, requires_grad=True)
    y = pynet.ones(2, 2, dtype=F64, requires_grad=True)
    out = x.clone()
    out[pynet.tensor([0, 3])] = y
    (out * pynet.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0]], dtype=F64)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 0], [3, 4], [5, 6], [0, 0]])
    np.testing.assert_array_equal(y.grad.numpy(), [[1, 2], [7, 8]])


def test_broadcast_grad_summed_to_input_shape():
    a = pynet.ones(3, 1, dtype=F64, requires_grad=True)
    b = pynet.ones(4, dtype=F64, requires_grad=True)
    c = pynet.ones(2, 1, 1, dtype=F64, requires_grad=True)
    (a * b * c).sum().backward()
    assert tuple(a.grad.shape) == (3, 1) and tuple(b.grad.shape) == (4,)
    assert tuple(c.grad.shape) == (2, 1, 1)
    np.testing.assert_array_equal(a.grad.numpy(), np.full((3, 1), 8.0))
    np.testing.assert_array_equal(b.grad.numpy(), np.full(4, 6.0))
    np.testing.assert_array_equal(c.grad.numpy(), np.full((2, 1, 1), 12.0))


def test_broadcast_0d_grad_shape():
    s = pynet.tensor(2.0, dtype=F64, requires_grad=True)
    v = pynet.tensor([1.0, 2.0, 3.0], dtype=F64, requires_grad=True)
    (s * v).sum().backward()
    assert tuple(s.grad.shape) == ()
    assert s.grad.item() == 6.0
    np.testing.assert_array_equal(v.grad.numpy(), [2.0, 2.0, 2.0])


def test_dtype_promotion_grad_dtypes():
    a = pynet.tensor([1.0, 2.0, 3.0], dtype=pynet.float32, requires_grad=True)
    b = pynet.tensor([0.5, -1.0, 4.0], dtype=F64, requires_grad=True)
    out = a * b + a
    assert out.dtype == F64
    out.sum().backward()
    assert a.grad.dtype == pynet.float32
    assert b.grad.dtype == F64
    np.testing.assert_allclose(a.grad.numpy(), [1.5, 0.0, 5.0])
    np.testing.assert_allclose(b.grad.numpy(), [1.0, 2.0, 3.0])


def test_dtype_promotion_broadcast_float32_scalar_tensor():
    a = pynet.tensor(3.0, dtype=pynet.float32, requires_grad=True)
    b = pynet.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=F64, requires_grad=True)
    (b / a).sum().backward()
    assert a.grad.dtype == pynet.float32 and tuple(a.grad.shape) == ()
    np.testing.assert_allclose(a.grad.item(), -10.0 / 9.0, rtol=1e-6)
    np.testing.assert_allclose(b.grad.numpy(), np.full((2, 2), 1 / 3.0), rtol=1e-6)


def test_dtype_promotion_gradcheck_float32_input():
    torch = pytest.importorskip("torch")
    a = np.array([0.5, -1.25, 2.0], dtype=np.float32)
    b = np.array([1.5, 2.0, -0.75])
    pa = pynet.tensor(a, requires_grad=True)
    pb = pynet.tensor(b, dtype=F64, requires_grad=True)
    ta = torch.tensor(a, requires_grad=True)
    tb = torch.tensor(b, dtype=torch.float64, requires_grad=True)
    (pa.exp() * pb).sum().backward()
    (ta.exp() * tb).sum().backward()
    assert pa.grad.dtype == pynet.float32
    np.testing.assert_allclose(pa.grad.numpy(), ta.grad.numpy(), rtol=1e-6)
    np.testing.assert_allclose(pb.grad.numpy(), tb.grad.numpy(), rtol=1e-6)


def test_cast_grad_dtype():
    a = pynet.tensor([1.0, 2.0], dtype=pynet.float32, requires_grad=True)
    (a.double() * 3.0).sum().backward()
    assert a.grad.dtype == pynet.float32
    np.testing.assert_array_equal(a.grad.numpy(), [3.0, 3.0])


def test_prod_grad_with_zeros_exact():
    # d/dx_i prod(x) = prod_{j != i} x_j
    x = pynet.tensor([2.0, 0.0, 3.0, 4.0], dtype=F64, requires_grad=True)
    x.prod().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 24.0, 0.0, 0.0])
    x2 = pynet.tensor([2.0, 0.0, 3.0, 0.0], dtype=F64, requires_grad=True)
    x2.prod().backward()
    np.testing.assert_array_equal(x2.grad.numpy(), [0.0, 0.0, 0.0, 0.0])
    x3 = pynet.tensor([[0.0, 5.0], [2.0, 3.0]], dtype=F64, requires_grad=True)
    x3.prod(1).sum().backward()
    np.testing.assert_array_equal(x3.grad.numpy(), [[5.0, 0.0], [3.0, 2.0]])


# --- non-differentiable points: compare with torch's conventions --------------

TIE_CASES = {
    "amax_ties": lambda L, a: a.amax(1),
    "amin_ties": lambda L, a: a.amin(),
    "max_all_ties": lambda L, a: a.max(),
    "maximum_ties": lambda L, a: L.maximum(a, L.tensor([[1.0, 0.0, 2.0], [3.0, 3.0, -1.0]],
                                                       dtype=a.dtype)),
    "minimum_ties": lambda L, a: L.minimum(a, L.tensor([[1.0, 0.0, 2.0], [3.0, 3.0, -1.0]],
                                                       dtype=a.dtype)),
    "abs_at_zero": lambda L, a: a.abs(),
    "relu_at_zero": lambda L, a: a.relu(),
    "clamp_at_bounds": lambda L, a: a.clamp(0.0, 3.0),
    "sqrt_then_mul_at_positive": lambda L, a: (a * a + 1.0).sqrt(),
}


@pytest.mark.parametrize("name", sorted(TIE_CASES))
def test_nondifferentiable_points_match_torch(name):
    torch = pytest.importorskip("torch")
    data = np.array([[1.0, 0.0, 1.0], [3.0, 3.0, -1.0]])
    fn = TIE_CASES[name]
    p = pynet.tensor(data, dtype=F64, requires_grad=True)
    t = torch.tensor(data, dtype=torch.float64, requires_grad=True)
    po, to = fn(pynet, p), fn(torch, t)
    g = np.arange(1.0, 1.0 + to.numel()).reshape(tuple(to.shape))
    po.backward(pynet.tensor(g, dtype=F64))
    to.backward(torch.tensor(g, dtype=torch.float64))
    np.testing.assert_allclose(p.grad.numpy(), t.grad.numpy(), rtol=1e-12, atol=0)


def test_max_dim_ties_gradient_goes_to_returned_index():
    # torch: the gradient of max(dim).values goes to the element at .indices only
    x = pynet.tensor([[2.0, 5.0, 5.0], [1.0, 1.0, 0.0]], dtype=F64, requires_grad=True)
    r = x.max(1)
    r.values.sum().backward()
    idx = r.indices.numpy()
    expected = np.zeros((2, 3))
    expected[[0, 1], idx] = 1.0
    np.testing.assert_array_equal(x.grad.numpy(), expected)
    assert x.grad.numpy().sum() == 2.0


# --- gradcheck must catch wrong gradients ------------------------------------

class _WrongAtOneElement(Function):
    """out = a * b, but backward corrupts d/db at element (1, 2)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        gb = (g * a).clone()
        gb[1, 2] = gb[1, 2] + 7.0
        return g * b, gb


class _HalfGradient(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * x          # should be 2 * g * x


class _CorrectSquare(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 2.0 * g * x


def test_gradcheck_catches_wrong_gradient_and_names_input_and_element():
    a = pynet.tensor(rnd(2, 3, seed=300), dtype=F64, requires_grad=True)
    b = pynet.tensor(rnd(2, 3, seed=301), dtype=F64, requires_grad=True)
    with pytest.raises(RuntimeError) as info:
        gradcheck(_WrongAtOneElement.apply, (a, b))
    assert isinstance(info.value, GradcheckError)
    msg = str(info.value)
    assert "input 1" in msg, msg
    assert "(1, 2)" in msg, msg
    assert "input 0" not in msg


def test_gradcheck_catches_uniformly_wrong_gradient():
    x = pynet.tensor(rnd(4, seed=302), dtype=F64, requires_grad=True)
    with pytest.raises(RuntimeError):
        gradcheck(_HalfGradient.apply, (x,))
    assert gradcheck(_HalfGradient.apply, (x,), raise_exception=False) is False


def test_gradcheck_accepts_correct_custom_function():
    x = pynet.tensor(rnd(2, 3, seed=303), dtype=F64, requires_grad=True)
    assert gradcheck(_CorrectSquare.apply, (x,)) is True


def test_gradcheck_catches_wrong_gradient_of_second_output_only():
    class TwoOut(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * 2.0, x * x

        @staticmethod
        def backward(ctx, g1, g2):
            (x,) = ctx.saved_tensors
            return g1 * 2.0 + g2 * 3.0 * x    # d(x*x)/dx is 2x, not 3x

    x = pynet.tensor(rnd(3, seed=304), dtype=F64, requires_grad=True)
    with pytest.raises(RuntimeError) as info:
        gradcheck(TwoOut.apply, (x,))
    # like torch ("Jacobian mismatch for output 1 with respect to input 0"), the
    # message must name the output whose gradient is wrong: output 1, not output 0
    assert "output 1" in str(info.value), str(info.value)


def test_gradcheck_noncontiguous_and_0d_inputs():
    base1 = pynet.tensor(rnd(3, 4, seed=307), dtype=F64)
    base2 = pynet.tensor(rnd(3, 4, seed=308), dtype=F64)   # (inputs must not share memory)
    xt = base1.t().detach().requires_grad_()
    xs = base2[:, ::2].detach().requires_grad_()
    x0 = pynet.tensor(0.7, dtype=F64, requires_grad=True)
    assert not xt.is_contiguous() and not xs.is_contiguous()
    assert gradcheck(lambda a, b, c: (a[:2, :2] * b[:2] * c).exp(), (xt, xs, x0)) is True
    # and a wrong gradient is still caught with non-contiguous inputs
    with pytest.raises(RuntimeError):
        gradcheck(_HalfGradient.apply, (xt,))


def test_gradcheck_catches_missing_broadcast_reduction():
    class BadBroadcastMul(Function):
        # out = a * b with b broadcast over rows; backward forgets the sum for b
        @staticmethod
        def forward(ctx, a, b):
            ctx.save_for_backward(a, b)
            return a * b

        @staticmethod
        def backward(ctx, g):
            a, b = ctx.saved_tensors
            return g * b, (g * a)[0]

    a = pynet.tensor(rnd(3, 4, seed=305), dtype=F64, requires_grad=True)
    b = pynet.tensor(rnd(4, seed=306), dtype=F64, requires_grad=True)
    with pytest.raises(RuntimeError) as info:
        gradcheck(BadBroadcastMul.apply, (a, b))
    assert "input 1" in str(info.value)


@pytest.mark.parametrize("name", NAMES)
def test_matches_torch_noncontiguous_inputs(name):
    """Same as test_matches_torch, but every input is a strided (non-contiguous) view
    leaf[..., 0] of a leaf with a trailing size-2 dim; the other half gets zero grad."""
    torch = pytest.importorskip("torch")
    fn, arrays = CASES[name]
    big = [np.stack([a, np.full_like(a, 7.0)], axis=-1) for a in arrays]
    pleaves = to_pynet(big)
    tleaves = [torch.tensor(b.copy(), dtype=torch.float64, requires_grad=True) for b in big]
    pxs = [x[..., 0] for x in pleaves]
    txs = [x[..., 0] for x in tleaves]
    assert all(not x.is_contiguous() for x in pxs if x.ndim >= 1)
    pouts = _outputs_tuple(fn(pynet, *pxs))
    touts = _outputs_tuple(fn(torch, *txs))
    rng = _rng(54321)
    pg_out, tg_out = [], []
    for po, to in zip(pouts, touts):
        np.testing.assert_allclose(po.detach().numpy(), to.detach().numpy(), rtol=1e-10, atol=1e-12)
        g = rng.standard_normal(tuple(to.shape))
        pg_out.append(pynet.tensor(g, dtype=F64))
        tg_out.append(torch.tensor(g, dtype=torch.float64))
    pg = pynet.autograd.grad(list(pouts), pleaves, pg_out, allow_unused=True)
    tg = torch.autograd.grad(list(touts), tleaves, tg_out, allow_unused=True)
    for i, (a, b) in enumerate(zip(pg, tg)):
        if b is None:
            assert a is None or np.all(a.numpy() == 0), (name, i)
            continue
        assert a is not None, f"{name}: no gradient for input {i}"
        assert tuple(a.shape) == tuple(b.shape)
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-10, atol=1e-12,
                                   err_msg=f"{name}: grad of input {i}")
        assert np.all(a.numpy()[..., 1] == 0)


# float32: same comparison, rtol 1e-5 (cases with large magnitudes are float64-only)
F32_SKIP = {n for n in NAMES if "large" in n}


@pytest.mark.parametrize("name", [n for n in NAMES if n not in F32_SKIP])
def test_matches_torch_float32(name):
    torch = pytest.importorskip("torch")
    fn, arrays = CASES[name]
    pxs = [pynet.tensor(a.astype(np.float32), requires_grad=True) for a in arrays]
    txs = [torch.tensor(a.astype(np.float32), requires_grad=True) for a in arrays]
    pouts = _outputs_tuple(fn(pynet, *pxs))
    touts = _outputs_tuple(fn(torch, *txs))
    rng = _rng(777)
    pg_out, tg_out = [], []
    for po, to in zip(pouts, touts):
        assert po.dtype == pynet.float32
        np.testing.assert_allclose(po.detach().numpy(), to.detach().numpy(), rtol=1e-5, atol=1e-6)
        g = rng.standard_normal(tuple(to.shape)).astype(np.float32)
        pg_out.append(pynet.tensor(g))
        tg_out.append(torch.tensor(g))
    pg = pynet.autograd.grad(list(pouts), pxs, pg_out, allow_unused=True)
    tg = torch.autograd.grad(list(touts), txs, tg_out, allow_unused=True)
    for i, (a, b) in enumerate(zip(pg, tg)):
        if b is None:
            assert a is None or np.all(a.numpy() == 0), (name, i)
            continue
        assert a is not None and a.dtype == pynet.float32
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-5,
                                   err_msg=f"{name}: grad of input {i}")
