"""The top-level tensor functions of pynet: pynet.sum(x, 1) is x.sum(1), and so on.

Each function has PyTorch's signature (without out=) and forwards to the
Tensor method of the same name; a first argument that is not a Tensor (a
number, a list) is turned into one with pynet.tensor first, as torch does.
Aliases (multiply, divide, subtract, negative, clip, concat, concatenate) are
functions of their own with torch's signature for that name.

The names below shadow Python builtins (abs, sum, max, min, round, pow, any,
all) inside this module: do not use those builtins here.
"""
import builtins as _builtins
import inspect as _inspect

import numpy as np

from . import _C
from . import _memory_format as _mf
from ._C import cat
from ._creation import arange as _arange
from ._creation import tensor as _new_tensor
from ._tensor import (Tensor, _atleast, _block_diag, _bucketize, _cartesian_prod, _cdist,
                      _chain_matmul, _column_stack, _dstack, _einsum, _float_power, _hstack,
                      _isin, _meshgrid, _repeat_counts, _searchsorted, _tensordot, _var_mean,
                      _varargs, _vstack, _xlogy)

__all__ = [
    # unary math
    "abs", "neg", "negative", "exp", "log", "sqrt", "sqrt_", "sigmoid", "tanh", "relu", "sign",
    "reciprocal", "square", "sin", "cos", "log1p", "expm1", "floor", "ceil", "round", "trunc",
    "log2", "log10", "erf", "erfc", "tan", "atan", "arctan", "rsqrt", "atan2", "arctan2",
    "clamp", "clip",
    # binary math
    "add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "floor_divide",
    "remainder", "pow", "maximum", "minimum",
    # comparisons and logic
    "eq", "ne", "lt", "le", "gt", "ge", "isnan", "isinf", "isfinite", "logical_not",
    "logical_and", "logical_or", "logical_xor", "bitwise_not", "bitwise_and", "bitwise_or",
    "bitwise_xor",
    # reductions
    "sum", "mean", "prod", "amax", "amin", "max", "min", "argmax", "argmin", "var", "std",
    "logsumexp", "softmax", "log_softmax", "any", "all",
    # shapes, views, joins
    "reshape", "view_as", "transpose", "permute", "squeeze", "unsqueeze", "flatten", "narrow",
    "select", "t", "split", "chunk", "unbind", "flip", "concat", "concatenate",
    # linear algebra
    "matmul", "mm", "bmm", "dot",
    # sorting, scans, indexing along a dim (sequence ops)
    "sort", "argsort", "topk", "cumsum", "cumprod", "gather", "scatter", "scatter_add",
    "index_select", "index_add", "tril", "triu", "roll",
    # the rest
    "clone", "detach", "nonzero", "masked_fill", "masked_select", "numel", "isclose", "allclose",
    "equal", "norm",
    # more math: the C functions of the other unary/binary families and their NumPy names
    "asin", "arcsin", "acos", "arccos", "sinh", "cosh", "asinh", "arcsinh", "acosh", "arccosh",
    "atanh", "arctanh", "exp2", "lgamma", "digamma", "polygamma", "erfinv", "hypot", "fmod",
    # more math: compositions of the ops above
    "logit", "xlogy", "logaddexp", "logaddexp2", "lerp", "fmax", "fmin", "float_power", "frac",
    "sgn", "nan_to_num", "deg2rad", "rad2deg", "heaviside", "sinc", "positive", "absolute",
    "greater", "greater_equal", "less", "less_equal", "not_equal", "clamp_min", "clamp_max",
    # more shapes, joins and splits
    "hstack", "vstack", "row_stack", "dstack", "column_stack", "atleast_1d", "atleast_2d",
    "atleast_3d", "broadcast_to", "movedim", "moveaxis", "swapaxes", "swapdims", "as_strided",
    "angle", "tile", "ravel",
    "tensor_split", "hsplit", "vsplit", "dsplit", "take_along_dim", "take", "fliplr", "flipud",
    "rot90", "meshgrid", "cartesian_prod", "block_diag", "diagonal", "diag", "diag_embed",
    "diagflat", "trace",
    # more linear algebra
    "outer", "ger", "inner", "kron", "tensordot", "einsum", "addmm", "addmv", "addr", "addbmm",
    "baddbmm", "mv", "vdot", "chain_matmul",
    # scans with indices
    "cummax", "cummin", "logcumsumexp",
    # order statistics
    "median", "nanmedian", "kthvalue", "mode", "quantile", "nanquantile", "msort",
    # NaN-aware and small reductions
    "nansum", "nanmean", "count_nonzero", "aminmax", "std_mean", "var_mean",
    # counting and searching
    "unique", "unique_consecutive", "bincount", "histc", "searchsorted", "bucketize", "isin",
    "repeat_interleave", "diff",
    # statistics and distances
    "cov", "corrcoef", "cdist", "cross", "dist",
    # in-place forms
    "asin_", "acos_", "sinh_", "cosh_", "asinh_", "acosh_", "atanh_", "arcsin_", "arccos_", "arcsinh_", "arccosh_", "arctanh_", "arctan_", "exp2_", "frac_", "deg2rad_", "rad2deg_", "sinc_", "exp_", "log_", "sigmoid_", "tanh_", "relu_", "erf_", "erfc_", "sin_", "cos_", "tan_", "atan_", "abs_", "neg_", "negative_", "floor_", "ceil_", "round_", "trunc_", "rsqrt_", "reciprocal_", "square_", "log1p_", "expm1_", "log2_", "log10_", "zero_", "clamp_", "clip_", "clamp_min_", "clamp_max_", "fill_", "logit_", "xlogy_", "nan_to_num_", "addmv_",
    # pointwise products, index fills and copies, signs and integers
    "addcmul", "addcdiv", "index_fill", "index_copy", "index_put", "index_put_", "masked_scatter",
    "argwhere", "copysign", "signbit", "gcd", "gcd_", "lcm", "lcm_", "fix", "fix_", "ldexp",
    "ldexp_", "nextafter",
    # tests, integrals, indices
    "isposinf", "isneginf", "isreal", "is_nonzero", "is_floating_point", "unflatten", "vander", "trapezoid", "trapz", "cumulative_trapezoid", "unravel_index", "combinations",
    # torch.* aliases of pynet.nn.functional ops
    "conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d", "dropout", "dropout_",
    "alpha_dropout", "alpha_dropout_", "feature_alpha_dropout", "feature_alpha_dropout_",
    "layer_norm", "group_norm", "batch_norm", "instance_norm", "rms_norm", "max_pool1d",
    "max_pool2d", "avg_pool1d", "adaptive_avg_pool1d", "adaptive_max_pool1d", "pixel_shuffle",
    "pixel_unshuffle", "channel_shuffle", "prelu", "selu", "selu_", "celu", "celu_", "rrelu",
    "rrelu_", "threshold", "threshold_", "hardshrink", "pdist", "kl_div",
    "binary_cross_entropy_with_logits", "hinge_embedding_loss", "poisson_nll_loss",
    # small utilities
    "is_complex", "is_signed", "is_same_size", "fill", "rsub",
    # shifts, special math, scatters
    "bitwise_left_shift", "bitwise_right_shift", "i0", "i0_", "mvlgamma", "renorm", "histogram",
    "scatter_reduce", "index_reduce", "diagonal_scatter", "select_scatter", "slice_scatter",
    "gradient",
    # linear algebra (pynet.linalg)
    "det", "logdet", "slogdet", "inverse", "cholesky", "cholesky_solve", "cholesky_inverse", "qr", "svd", "pinverse", "matrix_power", "matrix_exp", "triangular_solve", "lu", "lu_unpack", "lu_solve", "orgqr",
    # aliases of functional ops whose first tensor torch names otherwise
    "embedding", "bilinear", "cosine_similarity", "pairwise_distance", "margin_ranking_loss", "cosine_embedding_loss", "triplet_margin_loss",
]


_range = _builtins.range  # pynet has its own range; these names shadow builtins here


def _t(x):
    """x itself if it is a Tensor, else pynet.tensor(x)."""
    return x if isinstance(x, Tensor) else _new_tensor(x)


# ------------------------------------------------------------------ unary math

def abs(input):
    """Elementwise absolute value |input|."""
    return _t(input).abs()


def neg(input):
    """Elementwise negation -input."""
    return _t(input).neg()


def negative(input):
    """Alias of pynet.neg: elementwise -input."""
    return _t(input).neg()


def exp(input):
    """Elementwise e ** input."""
    return _t(input).exp()


def log(input):
    """Elementwise natural logarithm."""
    return _t(input).log()


def sqrt(input):
    """Elementwise square root."""
    return _t(input).sqrt()


def sqrt_(input):
    """In-place elementwise square root of input; returns input."""
    return input.sqrt_()


def sigmoid(input):
    """Elementwise logistic sigmoid 1 / (1 + exp(-input))."""
    return _t(input).sigmoid()


def tanh(input):
    """Elementwise hyperbolic tangent."""
    return _t(input).tanh()


def relu(input):
    """Elementwise max(input, 0)."""
    return _t(input).relu()


def sign(input):
    """Elementwise sign: -1, 0 or 1."""
    return _t(input).sign()


def reciprocal(input):
    """Elementwise 1 / input."""
    return _t(input).reciprocal()


def square(input):
    """Elementwise input * input."""
    return _t(input).square()


def sin(input):
    """Elementwise sine."""
    return _t(input).sin()


def cos(input):
    """Elementwise cosine."""
    return _t(input).cos()


def log1p(input):
    """Elementwise log(1 + input), accurate for small input."""
    return _t(input).log1p()


def expm1(input):
    """Elementwise exp(input) - 1, accurate for small input."""
    return _t(input).expm1()

def log2(input):
    """Elementwise base-2 logarithm."""
    return _t(input).log2()


def log10(input):
    """Elementwise base-10 logarithm."""
    return _t(input).log10()


def erf(input):
    """Elementwise error function erf(x) = 2/sqrt(pi) * integral of exp(-t^2) dt from 0 to x."""
    return _t(input).erf()


def erfc(input):
    """Elementwise complementary error function 1 - erf(input), accurate where erf is near 1."""
    return _t(input).erfc()


def tan(input):
    """Elementwise tangent."""
    return _t(input).tan()


def atan(input):
    """Elementwise arctangent, in (-pi/2, pi/2)."""
    return _t(input).atan()


def arctan(input):
    """Alias of atan: elementwise arctangent."""
    return _t(input).atan()


def rsqrt(input):
    """Elementwise reciprocal square root 1 / sqrt(input)."""
    return _t(input).rsqrt()


def atan2(input, other):
    """Elementwise angle in [-pi, pi] of the point (other, input); other must be a Tensor."""
    return _t(input).atan2(other)


def arctan2(input, other):
    """Alias of atan2."""
    return _t(input).atan2(other)



def floor(input):
    """Elementwise largest integer <= input."""
    return _t(input).floor()


def ceil(input):
    """Elementwise smallest integer >= input."""
    return _t(input).ceil()


def round(input, *, decimals=0):
    """Elementwise round half to even, to `decimals` decimal places if given."""
    return _t(input).round(decimals=decimals)


def trunc(input):
    """Elementwise integer part, rounding towards zero."""
    return _t(input).trunc()


def clamp(input, min=None, max=None):
    """Elementwise clamp into [min, max]; min and max are numbers or Tensors, either may be None."""
    return _t(input).clamp(min, max)


def clip(input, min=None, max=None):
    """Alias of pynet.clamp: elementwise clamp into [min, max]."""
    return _t(input).clamp(min, max)


# ----------------------------------------------------------------- binary math

def add(input, other, *, alpha=1):
    """input + alpha * other, broadcasting."""
    return _t(input).add(other, alpha=alpha)


def sub(input, other, *, alpha=1):
    """input - alpha * other, broadcasting."""
    return _t(input).sub(other, alpha=alpha)


def subtract(input, other, *, alpha=1):
    """Alias of pynet.sub: input - alpha * other."""
    return _t(input).sub(other, alpha=alpha)


def mul(input, other):
    """input * other, broadcasting."""
    return _t(input).mul(other)


def multiply(input, other):
    """Alias of pynet.mul: input * other."""
    return _t(input).mul(other)


def div(input, other, *, rounding_mode=None):
    """input / other; rounding_mode None (true division), 'trunc' or 'floor'."""
    return _t(input).div(other, rounding_mode=rounding_mode)


def divide(input, other, *, rounding_mode=None):
    """Alias of pynet.div: input / other with an optional rounding_mode 'trunc' or 'floor'."""
    return _t(input).div(other, rounding_mode=rounding_mode)


def true_divide(input, other):
    """input / other as true (float) division; div with rounding_mode=None."""
    return _t(input).true_divide(other)


def floor_divide(input, other):
    """floor(input / other), elementwise."""
    return _t(input).floor_divide(other)


def remainder(input, other):
    """Elementwise remainder with the sign of the divisor (Python's %)."""
    return _t(input).remainder(other)


def pow(input, exponent):
    """input ** exponent; either (not both) may be a number: pow(2, t) is 2 ** t."""
    if isinstance(input, Tensor):
        return input.pow(exponent)
    if isinstance(exponent, Tensor):
        return input ** exponent  # number ** Tensor: Tensor.__rpow__
    return _new_tensor(input) ** exponent


def maximum(input, other):
    """Elementwise maximum of two tensors (NaN if either is NaN)."""
    return _t(input).maximum(other)


def minimum(input, other):
    """Elementwise minimum of two tensors (NaN if either is NaN)."""
    return _t(input).minimum(other)


# ---------------------------------------------------- comparisons and logic

def eq(input, other):
    """Elementwise input == other, as a bool tensor."""
    return _t(input).eq(other)


def ne(input, other):
    """Elementwise input != other, as a bool tensor."""
    return _t(input).ne(other)


def lt(input, other):
    """Elementwise input < other, as a bool tensor."""
    return _t(input).lt(other)


def le(input, other):
    """Elementwise input <= other, as a bool tensor."""
    return _t(input).le(other)


def gt(input, other):
    """Elementwise input > other, as a bool tensor."""
    return _t(input).gt(other)


def ge(input, other):
    """Elementwise input >= other, as a bool tensor."""
    return _t(input).ge(other)


def isnan(input):
    """Elementwise test for NaN, as a bool tensor."""
    return _t(input).isnan()


def isinf(input):
    """Elementwise test for +inf or -inf, as a bool tensor."""
    return _t(input).isinf()


def isfinite(input):
    """Elementwise test for a finite value (not NaN, not inf), as a bool tensor."""
    return _t(input).isfinite()


def isposinf(input):
    """Elementwise test for +inf, as a bool tensor."""
    return _t(input).isposinf()


def isneginf(input):
    """Elementwise test for -inf, as a bool tensor."""
    return _t(input).isneginf()


def isreal(input):
    """Elementwise test for a real value: True everywhere for pynet's real dtypes."""
    return _t(input).isreal()


def is_nonzero(input):
    """Whether input's single element is non-zero (a Python bool)."""
    return _t(input).is_nonzero()


def is_floating_point(input):
    """Whether input's dtype is a floating point one (float32, float64)."""
    return _t(input).is_floating_point()


def unflatten(input, dim, sizes):
    """input with dimension dim split into the given sizes."""
    return _t(input).unflatten(dim, sizes)


def vander(input, N=None, increasing=False):
    """The Vandermonde matrix of the 1-D input: columns x**(N-1) ... x**0 (or increasing)."""
    x = _t(input)
    if x.ndim != 1:
        raise RuntimeError(f"x must be a one-dimensional tensor, got {x.ndim} dimensions")
    n = x.shape[0] if N is None else N
    if n < 0:
        raise RuntimeError(f"N must be non-negative, got {n}")
    x = x if x.dtype != _C.bool else x.long()
    powers = _arange(n) if increasing else _arange(n - 1, -1, -1)
    if x.is_floating_point():
        powers = powers.to(x.dtype)
    return x.unsqueeze(1) ** powers.unsqueeze(0) if n else _C.zeros((x.shape[0], 0),
                                                                      dtype=x.dtype)


def _trapezoid_spacing(y, x, dx, dim, op):
    """(y, dim, spacing): spacing a number (dx) or the differences of x along dim."""
    if x is not None and dx is not None:
        raise TypeError(f"{op}(): pass either x or dx, not both")
    if y.ndim == 0:
        raise IndexError(f"{op}(): Dimension out of range (expected to be in range of [-1, 0], "
                         f"but got {dim})")
    if x is None:
        return 1.0 if dx is None else dx
    x = _t(x)
    return x.diff(dim=dim if x.ndim == y.ndim else -1)


def trapezoid(input, x=None, *, dx=None, dim=-1):
    """The integral of input along dim by the trapezoid rule (spacing dx, or the points x)."""
    y = _t(input)
    h = _trapezoid_spacing(y, x, dx, dim, "trapezoid")
    n = y.shape[dim]
    if n == 0:
        return y.sum(dim) * 0
    s = y.narrow(dim, 1, n - 1) + y.narrow(dim, 0, n - 1)
    return (s * h).sum(dim) / 2


def trapz(input, x=None, *, dx=None, dim=-1):
    """Alias of trapezoid: trapz(y, x, dim=...) or trapz(y, dx=..., dim=...)."""
    return trapezoid(input, x, dx=dx, dim=dim)


def cumulative_trapezoid(input, x=None, *, dx=None, dim=-1):
    """The running trapezoid-rule integral of input along dim (one element shorter)."""
    y = _t(input)
    h = _trapezoid_spacing(y, x, dx, dim, "cumulative_trapezoid")
    n = y.shape[dim]
    if n == 0:
        return y.narrow(dim, 0, 0)
    s = y.narrow(dim, 1, n - 1) + y.narrow(dim, 0, n - 1)
    return (s * h).cumsum(dim) / 2


def unravel_index(input, shape):
    """The coordinates in a tensor of the given shape of the flat indices input (a tuple)."""
    idx = _t(input)
    if idx.is_floating_point() or idx.dtype == _C.bool:
        raise TypeError(f"expected 'indices' to be integer dtype, but got {idx.dtype}")
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    if [d for d in shape if d < 0]:  # (this module's any is pynet.any)
        raise ValueError(f"'shape' cannot have negative values, but got {shape}")
    total = 1
    for d in shape:
        total *= d
    if idx.numel() and bool(((idx < -total) | (idx >= total)).any()):
        raise RuntimeError(f"unravel_index: some indices are out of bounds for shape {shape}")
    idx = idx % total if total else idx
    out = []
    for d in reversed(shape):
        out.append(idx % d)
        idx = idx // d
    return tuple(reversed(out))


def combinations(input, r=2, with_replacement=False):
    """The r-length combinations of the 1-D input's elements (itertools' order), as rows."""
    import itertools
    x = _t(input)
    if x.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(x.shape)}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return _C.empty(0, dtype=x.dtype)
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    rows = [list(c) for c in pick(range(x.shape[0]), r)]
    if not rows:
        return _C.empty((0, r), dtype=x.dtype)
    return x[_new_tensor(rows)]


def logical_not(input):
    """Elementwise logical NOT (zero is False), as a bool tensor."""
    return _t(input).logical_not()


def logical_and(input, other):
    """Elementwise logical AND (zero is False), as a bool tensor."""
    return _t(input).logical_and(other)


def logical_or(input, other):
    """Elementwise logical OR (zero is False), as a bool tensor."""
    return _t(input).logical_or(other)


def logical_xor(input, other):
    """Elementwise logical XOR (zero is False), as a bool tensor."""
    return _t(input).logical_xor(other)


def bitwise_not(input):
    """Elementwise bitwise NOT of an integer or bool tensor."""
    return _t(input).bitwise_not()


def bitwise_and(input, other):
    """Elementwise bitwise AND of integer or bool tensors."""
    return _t(input).bitwise_and(other)


def bitwise_or(input, other):
    """Elementwise bitwise OR of integer or bool tensors."""
    return _t(input).bitwise_or(other)


def bitwise_xor(input, other):
    """Elementwise bitwise XOR of integer or bool tensors."""
    return _t(input).bitwise_xor(other)


# ----------------------------------------------------------------- reductions

def sum(input, dim=None, keepdim=False, *, dtype=None):
    """Sum over dim (an int, a tuple of ints, or None for all dims), optionally in dtype."""
    return _t(input).sum(dim, keepdim, dtype=dtype)


def mean(input, dim=None, keepdim=False, *, dtype=None):
    """Mean over dim (an int, a tuple of ints, or None for all dims), optionally in dtype."""
    return _t(input).mean(dim, keepdim, dtype=dtype)


def prod(input, dim=None, keepdim=False, *, dtype=None):
    """Product over one dim (an int), or over all elements when dim is None."""
    return _t(input).prod(dim, keepdim, dtype=dtype)


def amax(input, dim=None, keepdim=False):
    """Maximum value over dim (an int, a tuple of ints, or None for all dims)."""
    return _t(input).amax(dim, keepdim)


def amin(input, dim=None, keepdim=False):
    """Minimum value over dim (an int, a tuple of ints, or None for all dims)."""
    return _t(input).amin(dim, keepdim)


def max(input, dim=None, keepdim=False):
    """Forms: max(input); max(input, dim, keepdim=False) -> (values, indices); max(input, other)."""
    return _t(input).max(dim, keepdim)


def min(input, dim=None, keepdim=False):
    """Forms: min(input); min(input, dim, keepdim=False) -> (values, indices); min(input, other)."""
    return _t(input).min(dim, keepdim)


def argmax(input, dim=None, keepdim=False):
    """Index of the largest element over dim, or in the flattened input when dim is None."""
    return _t(input).argmax(dim, keepdim)


def argmin(input, dim=None, keepdim=False):
    """Index of the smallest element over dim, or in the flattened input when dim is None."""
    return _t(input).argmin(dim, keepdim)


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Variance over dim, divided by N - correction (default 1); or var(input, unbiased)."""
    return _t(input).var(dim, unbiased, keepdim, correction=correction)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Standard deviation over dim, with var's correction (default 1); or std(input, unbiased)."""
    return _t(input).std(dim, unbiased, keepdim, correction=correction)


def logsumexp(input, dim, keepdim=False):
    """log(sum(exp(input), dim)), computed stably."""
    return _t(input).logsumexp(dim, keepdim)


def softmax(input, dim, dtype=None):
    """exp(input) / sum(exp(input), dim), optionally computed in dtype."""
    return _t(input).softmax(dim, dtype=dtype)


def log_softmax(input, dim, dtype=None):
    """log(softmax(input, dim)), computed stably, optionally in dtype."""
    return _t(input).log_softmax(dim, dtype=dtype)


def any(input, dim=None, keepdim=False):
    """True where any element over dim (or over all elements when dim is None) is non-zero."""
    return _t(input).any(dim, keepdim)


def all(input, dim=None, keepdim=False):
    """True where every element over dim (or over all elements when dim is None) is non-zero."""
    return _t(input).all(dim, keepdim)


# ------------------------------------------------------ shapes, views, joins

def reshape(input, shape):
    """input with the given shape (a view when possible, else a copy); one entry may be -1."""
    return _t(input).reshape(shape)


def view_as(input, other):
    """A view of input with other's shape."""
    return _t(input).view_as(other)


def transpose(input, dim0, dim1):
    """A view of input with dims dim0 and dim1 swapped."""
    return _t(input).transpose(dim0, dim1)


def permute(input, dims):
    """A view of input with its dims reordered as dims."""
    return _t(input).permute(dims)


def squeeze(input, dim=None):
    """input without its size-1 dims (only those among dim, an int or tuple, if given)."""
    return _t(input).squeeze(dim)


def unsqueeze(input, dim):
    """A view of input with a new size-1 dim inserted at position dim."""
    return _t(input).unsqueeze(dim)


def flatten(input, start_dim=0, end_dim=-1):
    """input with dims start_dim..end_dim merged into one."""
    return _t(input).flatten(start_dim, end_dim)


def narrow(input, dim, start, length):
    """A view of input restricted to [start, start + length) along dim."""
    return _t(input).narrow(dim, start, length)


def select(input, dim, index):
    """A view of input at index along dim, with dim removed."""
    return _t(input).select(dim, index)


def t(input):
    """Transpose of a tensor with <= 2 dims (a 0-d or 1-d tensor is returned as is)."""
    return _t(input).t()


def split(tensor, split_size_or_sections, dim=0):
    """Views of pieces along dim: of size split_size_or_sections (an int) or of the listed sizes."""
    return _t(tensor).split(split_size_or_sections, dim)


def chunk(input, chunks, dim=0):
    """Split input into (at most) chunks equal views along dim."""
    return _t(input).chunk(chunks, dim)


def unbind(input, dim=0):
    """The tuple of slices of input along dim, with dim removed."""
    return _t(input).unbind(dim)


def flip(input, dims):
    """A copy of input with the order of elements reversed along each of dims."""
    return _t(input).flip(dims)


def concat(tensors, dim=0):
    """Alias of pynet.cat: join a sequence of tensors along an existing dim."""
    return cat(tensors, dim)


def concatenate(tensors, axis=0, *, dim=None):
    """Alias of pynet.cat (NumPy's name): join tensors along axis (or dim, as torch allows)."""
    if dim is not None:
        if axis != 0:
            raise TypeError("concatenate() got both 'axis' and 'dim'")
        axis = dim
    return cat(tensors, axis)


# ------------------------------------------------------------- linear algebra

def matmul(input, other):
    """Matrix product with NumPy's matmul semantics: 1-d operands, batch broadcasting."""
    return _t(input).matmul(other)


def mm(input, mat2):
    """Matrix product of two 2-d tensors, (n, m) @ (m, p) -> (n, p)."""
    return _t(input).mm(mat2)


def bmm(input, mat2):
    """Batched matrix product of two 3-d tensors, (b, n, m) @ (b, m, p) -> (b, n, p)."""
    return _t(input).bmm(mat2)


def dot(input, tensor):
    """Inner product of two 1-d tensors."""
    return _t(input).dot(tensor)


# ------------------------------------------------------------------ the rest

def clone(input, *, memory_format=_mf.preserve_format):
    """A copy of input that autograd tracks, in memory_format's layout (default: input's)."""
    return _t(input).clone(memory_format=memory_format)


def detach(input):
    """A tensor sharing input's data, cut out of the autograd graph."""
    return _t(input).detach()


def nonzero(input, *, as_tuple=False):
    """Indices of the non-zero elements: an (n, ndim) int64 tensor, or one 1-d tensor per dim."""
    return _t(input).nonzero(as_tuple=as_tuple)


def sort(input, dim=-1, descending=False, *, stable=False):
    """(values, indices) of input sorted along dim (stable; NaN sorts as the largest value)."""
    return _t(input).sort(dim, descending, stable=stable)


def argsort(input, dim=-1, descending=False, *, stable=False):
    """The indices that sort input along dim (stable; NaN sorts as the largest value)."""
    return _t(input).argsort(dim, descending, stable=stable)


def topk(input, k, dim=-1, largest=True, sorted=True):
    """(values, indices) of the k largest (largest=False: smallest) elements along dim."""
    return _t(input).topk(k, dim, largest, sorted)


def cumsum(input, dim, *, dtype=None):
    """Cumulative sums of input along dim (bool and int64 inputs give int64)."""
    return _t(input).cumsum(dim, dtype=dtype)


def cumprod(input, dim, *, dtype=None):
    """Cumulative products of input along dim (bool and int64 inputs give int64)."""
    return _t(input).cumprod(dim, dtype=dtype)


def gather(input, dim, index, *, sparse_grad=False):
    """The elements of input picked along dim by index (shaped like index)."""
    return _t(input).gather(dim, index, sparse_grad=sparse_grad)


def scatter(input, dim, index, src=None, value=None, *, reduce=None):
    """A copy of input with src's elements (or the number value) written at index along dim."""
    if value is None:
        return _t(input).scatter(dim, index, src, reduce=reduce)
    return _t(input).scatter(dim, index, src, value, reduce=reduce)


def scatter_add(input, dim, index, src):
    """A copy of input with src's elements added at index along dim (repeats add up)."""
    return _t(input).scatter_add(dim, index, src)


def index_select(input, dim, index):
    """The slices of input at the positions in the 1-D int64 index along dim."""
    return _t(input).index_select(dim, index)


def index_add(input, dim, index, source, *, alpha=1):
    """A copy of input with alpha * source's slices added at index along dim."""
    return _t(input).index_add(dim, index, source, alpha=alpha)


def tril(input, diagonal=0):
    """The lower triangle (j - i <= diagonal) of input's last two dims, the rest zero."""
    return _t(input).tril(diagonal)


def triu(input, diagonal=0):
    """The upper triangle (j - i >= diagonal) of input's last two dims, the rest zero."""
    return _t(input).triu(diagonal)


def roll(input, shifts, dims=None):
    """A copy of input shifted by shifts along dims (wrapping); without dims, flattened."""
    return _t(input).roll(shifts, dims)


def masked_fill(input, mask, value):
    """A copy of input with value where the bool tensor mask is True."""
    return _t(input).masked_fill(mask, value)


def numel(input):
    """The number of elements of input."""
    return _t(input).numel()


def masked_select(input, mask):
    """The elements of input where the bool tensor mask is True, as a 1-D tensor."""
    return _t(input).masked_select(mask)


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Elementwise |input - other| <= atol + rtol |other| (bool), as torch.isclose."""
    return _t(input).isclose(other, rtol, atol, equal_nan)


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """True when every element of input is close to other's: a Python bool."""
    return _t(input).allclose(other, rtol, atol, equal_nan)


def equal(input, other):
    """True when input and other have the same shape and elements."""
    return _t(input).equal(other)


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    """The vector p-norm of input over all elements or over dim (p 'fro', 2, 1, inf, 0, ...)."""
    return _t(input).norm(p, dim, keepdim, dtype)


# --------------------------------------------- more math (compositions, and C aliases)

def asin(input):
    """Elementwise arcsine, in [-pi/2, pi/2] (NaN outside [-1, 1])."""
    return _t(input).asin()


def arcsin(input):
    """Alias of asin: elementwise arcsine."""
    return _t(input).asin()


def acos(input):
    """Elementwise arccosine, in [0, pi] (NaN outside [-1, 1])."""
    return _t(input).acos()


def arccos(input):
    """Alias of acos: elementwise arccosine."""
    return _t(input).acos()


def sinh(input):
    """Elementwise hyperbolic sine."""
    return _t(input).sinh()


def cosh(input):
    """Elementwise hyperbolic cosine."""
    return _t(input).cosh()


def asinh(input):
    """Elementwise inverse hyperbolic sine."""
    return _t(input).asinh()


def arcsinh(input):
    """Alias of asinh: elementwise inverse hyperbolic sine."""
    return _t(input).asinh()


def acosh(input):
    """Elementwise inverse hyperbolic cosine (NaN below 1)."""
    return _t(input).acosh()


def arccosh(input):
    """Alias of acosh: elementwise inverse hyperbolic cosine."""
    return _t(input).acosh()


def atanh(input):
    """Elementwise inverse hyperbolic tangent (NaN outside [-1, 1])."""
    return _t(input).atanh()


def arctanh(input):
    """Alias of atanh: elementwise inverse hyperbolic tangent."""
    return _t(input).atanh()


def exp2(input):
    """Elementwise 2 ** input."""
    return _t(input).exp2()


def lgamma(input):
    """Elementwise log |Gamma(input)|."""
    return _t(input).lgamma()


def digamma(input):
    """Elementwise digamma function, the derivative of lgamma."""
    return _t(input).digamma()


def polygamma(input, *args, **kwargs):
    """Forms: polygamma(n, input), polygamma(n=n, input=x): the n-th derivative of digamma."""
    if args:
        if len(args) != 1 or kwargs:
            raise TypeError("polygamma() takes 2 arguments: (n, input)")
        n, x = input, args[0]
    else:
        if set(kwargs) != {"n"}:
            raise TypeError("polygamma() takes 2 arguments: (n, input)")
        n, x = kwargs["n"], input
    return _t(x).polygamma(n)


def erfinv(input):
    """Elementwise inverse of the error function (defined on [-1, 1])."""
    return _t(input).erfinv()


def hypot(input, other):
    """Elementwise sqrt(input ** 2 + other ** 2), without overflow."""
    return _t(input).hypot(other)


def fmod(input, other):
    """Elementwise remainder of input / other with the sign of input (C's fmod)."""
    return _t(input).fmod(other)


def logit(input, eps=None):
    """Elementwise log(p / (1 - p)), p clamped into [eps, 1 - eps] when eps is given."""
    return _t(input).logit(eps)


def xlogy(input, other):
    """Elementwise input * log(other), 0 where input == 0; either may be a number."""
    if isinstance(other, Tensor) and not isinstance(input, Tensor):
        return _xlogy(input, other)  # a number as input keeps its precision (a wrapped number)
    return _t(input).xlogy(other)


def logaddexp(input, other):
    """Elementwise log(exp(input) + exp(other)), without overflow."""
    return _t(input).logaddexp(other)


def logaddexp2(input, other):
    """Elementwise log2(2 ** input + 2 ** other), without overflow."""
    return _t(input).logaddexp2(other)


def lerp(input, end, weight):
    """Elementwise input + weight * (end - input); weight is a number or a tensor."""
    return _t(input).lerp(end, weight)


def fmax(input, other):
    """Elementwise maximum ignoring NaN (NaN only where both are NaN)."""
    return _t(input).fmax(other)


def fmin(input, other):
    """Elementwise minimum ignoring NaN (NaN only where both are NaN)."""
    return _t(input).fmin(other)


def float_power(input, exponent):
    """input ** exponent computed in float64; either may be a number."""
    return _float_power(input, exponent)


def frac(input):
    """Elementwise fractional part input - trunc(input)."""
    return _t(input).frac()


def sgn(input):
    """Elementwise sign (sign, for real tensors)."""
    return _t(input).sgn()


def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    """A copy with NaN, +inf, -inf replaced (by default: 0 and the dtype's extreme values)."""
    return _t(input).nan_to_num(nan, posinf, neginf)


def deg2rad(input):
    """Elementwise degrees to radians (float32 for integer and bool input)."""
    return _t(input).deg2rad()


def rad2deg(input):
    """Elementwise radians to degrees (float32 for integer and bool input)."""
    return _t(input).rad2deg()


def heaviside(input, values):
    """Elementwise step: 0 for input < 0, values where input == 0, 1 for input > 0."""
    return _t(input).heaviside(values)


def sinc(input):
    """Elementwise normalized sinc sin(pi x) / (pi x), 1 at 0."""
    return _t(input).sinc()


def positive(input):
    """input itself (+input); not defined for bool tensors."""
    return _t(input).positive()


def absolute(input):
    """Alias of abs: elementwise |input| (not defined for bool tensors)."""
    return _t(input).absolute()


def greater(input, other):
    """Alias of gt: elementwise input > other, as a bool tensor."""
    return _t(input).gt(other)


def greater_equal(input, other):
    """Alias of ge: elementwise input >= other, as a bool tensor."""
    return _t(input).ge(other)


def less(input, other):
    """Alias of lt: elementwise input < other, as a bool tensor."""
    return _t(input).lt(other)


def less_equal(input, other):
    """Alias of le: elementwise input <= other, as a bool tensor."""
    return _t(input).le(other)


def not_equal(input, other):
    """Alias of ne: elementwise input != other, as a bool tensor."""
    return _t(input).ne(other)


def clamp_min(input, min):
    """clamp(input, min=min): each element at least min."""
    return _t(input).clamp_min(min)


def clamp_max(input, max):
    """clamp(input, max=max): each element at most max."""
    return _t(input).clamp_max(max)


# ------------------------------------------------- more shapes, joins and splits

def hstack(tensors):
    """Join tensors column-wise: along dim 1, or dim 0 when they are 1-D (0-d count as 1-D)."""
    return _hstack(tensors)


def vstack(tensors):
    """Join tensors row-wise along dim 0, each seen as at least 2-D."""
    return _vstack(tensors)


def row_stack(tensors):
    """Alias of vstack: join tensors along dim 0, each seen as at least 2-D."""
    return _vstack(tensors, "row_stack")


def dstack(tensors):
    """Join tensors depth-wise along dim 2, each seen as at least 3-D."""
    return _dstack(tensors)


def column_stack(tensors):
    """Join tensors as columns along dim 1 (0-d and 1-d ones become (n, 1) columns)."""
    return _column_stack(tensors)


def atleast_1d(tensors=(), *more):
    """Forms: atleast_1d(t) -> t with >= 1 dim; atleast_1d(t0, t1, ...), ([t0, ...]) -> a tuple."""
    return _atleast(tensors, more, 1, "atleast_1d")


def atleast_2d(tensors=(), *more):
    """Forms: atleast_2d(t) -> t with >= 2 dims ((n) as (1, n)); several tensors -> a tuple."""
    return _atleast(tensors, more, 2, "atleast_2d")


def atleast_3d(tensors=(), *more):
    """Forms: atleast_3d(t) -> t with >= 3 dims ((m, n) as (m, n, 1)); several -> a tuple."""
    return _atleast(tensors, more, 3, "atleast_3d")


def broadcast_to(input, size):
    """A view of input expanded to size (a shape) by the broadcasting rules."""
    return _t(input).broadcast_to(size)


def movedim(input, source, destination):
    """A view of input with the dims source moved to the positions destination."""
    return _t(input).movedim(source, destination)


def moveaxis(input, source, destination):
    """Alias of movedim (NumPy's name)."""
    return _t(input).movedim(source, destination)


def swapaxes(input, axis0, axis1):
    """Alias of transpose (NumPy's name): a view with axis0 and axis1 swapped."""
    return _t(input).transpose(axis0, axis1)


def as_strided(input, size, stride, storage_offset=None):
    """A view of input's memory with any shape, strides and offset (Tensor.as_strided)."""
    return _t(input).as_strided(size, stride, storage_offset)


def angle(input):
    """The argument of each (real) element: 0 for x >= 0, pi for x < 0 (Tensor.angle)."""
    return _t(input).angle()


def swapdims(input, dim0, dim1):
    """Alias of transpose: a view with dim0 and dim1 swapped."""
    return _t(input).transpose(dim0, dim1)


def tile(input, dims):
    """A copy of input repeated dims[i] times along each dim (dims padded with leading 1s)."""
    return _t(input).tile(dims)


def ravel(input):
    """input flattened to 1-D (a view when possible)."""
    return _t(input).ravel()


def tensor_split(input, indices_or_sections, dim=0):
    """Views of input along dim: n nearly equal pieces (an int n) or split at the listed indices."""
    return _t(input).tensor_split(indices_or_sections, dim)


def hsplit(input, indices_or_sections):
    """tensor_split along dim 1 (dim 0 for 1-D input); an int must divide the size."""
    return _t(input).hsplit(indices_or_sections)


def vsplit(input, indices_or_sections):
    """tensor_split along dim 0 of input with >= 2 dims; an int must divide the size."""
    return _t(input).vsplit(indices_or_sections)


def dsplit(input, indices_or_sections):
    """tensor_split along dim 2 of input with >= 3 dims; an int must divide the size."""
    return _t(input).dsplit(indices_or_sections)


def take_along_dim(input, indices, dim=None):
    """The elements of input at indices along dim (broadcast), or of the flattened input."""
    return _t(input).take_along_dim(indices, dim)


def take(input, index):
    """The elements of the flattened input at index, shaped like index."""
    return _t(input).take(index)


def fliplr(input):
    """A copy of input with dim 1 reversed (input needs >= 2 dims)."""
    return _t(input).fliplr()


def flipud(input):
    """A copy of input with dim 0 reversed (input needs >= 1 dim)."""
    return _t(input).flipud()


def rot90(input, k=1, dims=(0, 1)):
    """A copy of input rotated by 90 degrees k times in the plane of dims."""
    return _t(input).rot90(k, dims)


def meshgrid(tensors=(), *more, indexing=None):
    """Forms: meshgrid(t0, t1, ..., indexing='ij'), meshgrid([t0, ...]): coordinate grids."""
    return _meshgrid(_varargs(tensors, more, "meshgrid"), indexing)


def cartesian_prod(tensors=(), *more):
    """Forms: cartesian_prod(t0, t1, ...), ([t0, ...]): all combinations, as (N, k) rows."""
    return _cartesian_prod(_varargs(tensors, more, "cartesian_prod"))


def block_diag(tensors=(), *more):
    """Forms: block_diag(t0, t1, ...), block_diag([t0, ...]): the block-diagonal matrix."""
    return _block_diag(_varargs(tensors, more, "block_diag"))


def diagonal(input, offset=0, dim1=0, dim2=1):
    """A view of the offset-th diagonal of input in the plane of dim1 and dim2, as the last dim."""
    return _t(input).diagonal(offset, dim1, dim2)


def diag(input, diagonal=0):
    """1-D input: the matrix with input on a diagonal; 2-D input: a copy of that diagonal."""
    return _t(input).diag(diagonal)


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """A tensor whose (dim1, dim2) planes hold input's last dim on a diagonal, zeros elsewhere."""
    return _t(input).diag_embed(offset, dim1, dim2)


def diagflat(input, offset=0):
    """The square matrix with the flattened input on its offset-th diagonal."""
    return _t(input).diagflat(offset)


def trace(input):
    """The sum of the main diagonal of a 2-D tensor."""
    return _t(input).trace()


# ------------------------------------------------------- more linear algebra

def outer(input, vec2):
    """Outer product of two 1-D tensors: out[i, j] = input[i] * vec2[j]."""
    return _t(input).outer(vec2)


def ger(input, vec2):
    """Alias of outer (the older name)."""
    return _t(input).ger(vec2)


def inner(input, other):
    """Sums of products over the last dims of input and other (a 0-d operand multiplies)."""
    return _t(input).inner(other)


def kron(input, other):
    """The Kronecker product of input and other."""
    return _t(input).kron(other)


def tensordot(input, other, dims=2):
    """Sums of products over input's last dims and other's first (an int), or listed dims."""
    return _tensordot(_t(input), _t(other), dims)


def einsum(input, *args):
    """Einstein sum. Forms: einsum('ij,jk->ik', a, b), (eq, [a, b]), (a, [0, 1], b, [1, 2])."""
    return _einsum((input,) + args)


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """beta * input + alpha * (mat1 @ mat2) (input not read when beta == 0)."""
    return _t(input).addmm(mat1, mat2, beta=beta, alpha=alpha)


def addmv(input, mat, vec, *, beta=1, alpha=1):
    """beta * input + alpha * (mat @ vec) (input not read when beta == 0)."""
    return _t(input).addmv(mat, vec, beta=beta, alpha=alpha)


def addr(input, vec1, vec2, *, beta=1, alpha=1):
    """beta * input + alpha * outer(vec1, vec2) (input not read when beta == 0)."""
    return _t(input).addr(vec1, vec2, beta=beta, alpha=alpha)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """beta * input + alpha * sum over b of batch1[b] @ batch2[b]."""
    return _t(input).addbmm(batch1, batch2, beta=beta, alpha=alpha)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """beta * input + alpha * bmm(batch1, batch2)."""
    return _t(input).baddbmm(batch1, batch2, beta=beta, alpha=alpha)


def mv(input, vec):
    """The product of the matrix input and the 1-D tensor vec."""
    return _t(input).mv(vec)


def vdot(input, other):
    """The dot product of two 1-D tensors of one dtype."""
    return _t(input).vdot(other)


def chain_matmul(tensors=(), *more):
    """Forms: chain_matmul(m0, m1, ...): the matrix product, cheapest order first (deprecated)."""
    return _chain_matmul(_varargs(tensors, more, "chain_matmul"))


# ------------------------------------------------------------ scans with indices

def cummax(input, dim):
    """(values, indices): the running maximum along dim and where it was found."""
    return _t(input).cummax(dim)


def cummin(input, dim):
    """(values, indices): the running minimum along dim and where it was found."""
    return _t(input).cummin(dim)


def logcumsumexp(input, dim):
    """log(cumsum(exp(input), dim)), computed stably."""
    return _t(input).logcumsumexp(dim)


# ------------------------------------------------------------ order statistics

def median(input, dim=None, keepdim=False):
    """The lower median of all elements (a 0-d tensor), or (values, indices) along dim."""
    return _t(input).median(dim, keepdim)


def nanmedian(input, dim=None, keepdim=False):
    """median ignoring NaN: of all elements (0-d), or (values, indices) along dim."""
    return _t(input).nanmedian(dim, keepdim)


def kthvalue(input, k, dim=-1, keepdim=False):
    """(values, indices) of the k-th smallest element (k from 1) along dim."""
    return _t(input).kthvalue(k, dim, keepdim)


def mode(input, dim=-1, keepdim=False):
    """(values, indices): the most frequent value along dim (the smallest if tied)."""
    return _t(input).mode(dim, keepdim)


def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """The q-th quantiles (q a number or 1-D tensor in [0, 1]) over dim, or all elements."""
    return _t(input).quantile(q, dim, keepdim, interpolation=interpolation)


def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """quantile ignoring NaN (NaN only where a whole slice is NaN)."""
    return _t(input).nanquantile(q, dim, keepdim, interpolation=interpolation)


def msort(input):
    """input's values sorted along dim 0."""
    return _t(input).msort()


# ---------------------------------------------- NaN-aware and small reductions

def nansum(input, dim=None, keepdim=False, *, dtype=None):
    """sum over dim (or all elements) treating NaN as zero."""
    return _t(input).nansum(dim, keepdim, dtype=dtype)


def nanmean(input, dim=None, keepdim=False, *, dtype=None):
    """mean over dim (or all elements) of the elements that are not NaN."""
    return _t(input).nanmean(dim, keepdim, dtype=dtype)


def count_nonzero(input, dim=None):
    """The number of non-zero elements over dim (an int or tuple), or of all elements."""
    return _t(input).count_nonzero(dim)


def aminmax(input, *, dim=None, keepdim=False):
    """(min, max) named tuple: amin and amax over dim, or over all elements."""
    return _t(input).aminmax(dim=dim, keepdim=keepdim)


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """(std, mean) over dim, std with its correction (default 1); or std_mean(input, unbiased)."""
    return _var_mean(_t(input), dim, unbiased, keepdim, correction, "std_mean")


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """(var, mean) over dim, var with its correction (default 1); or var_mean(input, unbiased)."""
    return _var_mean(_t(input), dim, unbiased, keepdim, correction, "var_mean")


# ---------------------------------------------------------- counting and searching

def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The sorted distinct elements (or slices along dim), with inverse indices and counts."""
    return _t(input).unique(sorted, return_inverse, return_counts, dim)


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    """input with runs of equal consecutive elements (or slices along dim) kept once."""
    return _t(input).unique_consecutive(return_inverse, return_counts, dim)


def bincount(input, weights=None, minlength=0):
    """Counts (or sums of weights) of each value of a 1-D non-negative int64 tensor."""
    return _t(input).bincount(weights, minlength)


def histc(input, bins=100, min=0, max=0):
    """A histogram of bins equal bins over [min, max] (min == max: the data's range)."""
    return _t(input).histc(bins, min, max)


def searchsorted(input, values, *, out_int32=False, right=False, side=None, sorter=None):
    """Where values go in the sorted last dim of input (torch's sorted_sequence): int64 indices."""
    return _searchsorted(input, values, out_int32, right, side, sorter)


def bucketize(input, boundaries, *, out_int32=False, right=False):
    """The index of the bucket of 1-D sorted boundaries that holds each element of input."""
    return _bucketize(input, boundaries, out_int32, right)


def isin(input, test_elements, *, assume_unique=False, invert=False):
    """Elementwise: True where input (torch's elements) is in test_elements (bool)."""
    return _isin(input, test_elements, assume_unique, invert)


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """Each element (slice along dim) repeated repeats times; repeat_interleave(counts) too."""
    if repeats is None:  # repeat_interleave(counts): each index i repeated counts[i] times
        return _repeat_counts(_t(input), output_size)
    return _t(input).repeat_interleave(repeats, dim, output_size=output_size)


def diff(input, n=1, dim=-1, prepend=None, append=None):
    """The n-th forward difference along dim, after prepend and append are joined on."""
    return _t(input).diff(n, dim, prepend, append)


# ----------------------------------------------------------- statistics and distances

def cov(input, *, correction=1, fweights=None, aweights=None):
    """The covariance matrix of the rows (variables) of input over its columns (observations)."""
    return _t(input).cov(correction=correction, fweights=fweights, aweights=aweights)


def corrcoef(input):
    """The Pearson correlation coefficients of the rows of input."""
    return _t(input).corrcoef()


def cdist(input, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """The p-norm distances between the rows of input (torch's x1) and x2, batched."""
    return _cdist(input, x2, p, compute_mode)


def cross(input, other, dim=None):
    """The cross product of 3-vectors along dim (None: the first dim of size 3, deprecated)."""
    return _t(input).cross(other, dim)


def dist(input, other, p=2):
    """The p-norm of input - other (broadcast), a 0-d tensor."""
    return _t(input).dist(other, p)


# ------------------------------------------------------ in-place forms (torch.exp_ ...)

def asin_(input):
    """In place: input.asin_() (asin of each element); returns input."""
    return input.asin_()


def acos_(input):
    """In place: input.acos_() (acos of each element); returns input."""
    return input.acos_()


def sinh_(input):
    """In place: input.sinh_() (sinh of each element); returns input."""
    return input.sinh_()


def cosh_(input):
    """In place: input.cosh_() (cosh of each element); returns input."""
    return input.cosh_()


def asinh_(input):
    """In place: input.asinh_() (asinh of each element); returns input."""
    return input.asinh_()


def acosh_(input):
    """In place: input.acosh_() (acosh of each element); returns input."""
    return input.acosh_()


def atanh_(input):
    """In place: input.atanh_() (atanh of each element); returns input."""
    return input.atanh_()


def arcsin_(input):
    """In place: input.asin_() (asin of each element); returns input."""
    return input.asin_()


def arccos_(input):
    """In place: input.acos_() (acos of each element); returns input."""
    return input.acos_()


def arcsinh_(input):
    """In place: input.asinh_() (asinh of each element); returns input."""
    return input.asinh_()


def arccosh_(input):
    """In place: input.acosh_() (acosh of each element); returns input."""
    return input.acosh_()


def arctanh_(input):
    """In place: input.atanh_() (atanh of each element); returns input."""
    return input.atanh_()


def arctan_(input):
    """In place: input.atan_() (atan of each element); returns input."""
    return input.atan_()


def exp2_(input):
    """In place: input.exp2_() (exp2 of each element); returns input."""
    return input.exp2_()


def frac_(input):
    """In place: input.frac_() (frac of each element); returns input."""
    return input.frac_()


def deg2rad_(input):
    """In place: input.deg2rad_() (deg2rad of each element); returns input."""
    return input.deg2rad_()


def rad2deg_(input):
    """In place: input.rad2deg_() (rad2deg of each element); returns input."""
    return input.rad2deg_()


def sinc_(input):
    """In place: input.sinc_() (sinc of each element); returns input."""
    return input.sinc_()


def exp_(input):
    """In place: input.exp_() (exp of each element); returns input."""
    return input.exp_()


def log_(input):
    """In place: input.log_() (log of each element); returns input."""
    return input.log_()


def sigmoid_(input):
    """In place: input.sigmoid_() (sigmoid of each element); returns input."""
    return input.sigmoid_()


def tanh_(input):
    """In place: input.tanh_() (tanh of each element); returns input."""
    return input.tanh_()


def relu_(input):
    """In place: input.relu_() (relu of each element); returns input."""
    return input.relu_()


def erf_(input):
    """In place: input.erf_() (erf of each element); returns input."""
    return input.erf_()


def erfc_(input):
    """In place: input.erfc_() (erfc of each element); returns input."""
    return input.erfc_()


def sin_(input):
    """In place: input.sin_() (sin of each element); returns input."""
    return input.sin_()


def cos_(input):
    """In place: input.cos_() (cos of each element); returns input."""
    return input.cos_()


def tan_(input):
    """In place: input.tan_() (tan of each element); returns input."""
    return input.tan_()


def atan_(input):
    """In place: input.atan_() (atan of each element); returns input."""
    return input.atan_()


def abs_(input):
    """In place: input.abs_() (abs of each element); returns input."""
    return input.abs_()


def neg_(input):
    """In place: input.neg_() (neg of each element); returns input."""
    return input.neg_()


def negative_(input):
    """In place: input.neg_() (neg of each element); returns input."""
    return input.neg_()


def floor_(input):
    """In place: input.floor_() (floor of each element); returns input."""
    return input.floor_()


def ceil_(input):
    """In place: input.ceil_() (ceil of each element); returns input."""
    return input.ceil_()


def round_(input, *, decimals=0):
    """In place: input.round_(decimals=decimals); returns input."""
    return input.round_(decimals=decimals)


def trunc_(input):
    """In place: input.trunc_() (trunc of each element); returns input."""
    return input.trunc_()


def rsqrt_(input):
    """In place: input.rsqrt_() (rsqrt of each element); returns input."""
    return input.rsqrt_()


def reciprocal_(input):
    """In place: input.reciprocal_() (reciprocal of each element); returns input."""
    return input.reciprocal_()


def square_(input):
    """In place: input.square_() (square of each element); returns input."""
    return input.square_()


def log1p_(input):
    """In place: input.log1p_() (log1p of each element); returns input."""
    return input.log1p_()


def expm1_(input):
    """In place: input.expm1_() (expm1 of each element); returns input."""
    return input.expm1_()


def log2_(input):
    """In place: input.log2_() (log2 of each element); returns input."""
    return input.log2_()


def log10_(input):
    """In place: input.log10_() (log10 of each element); returns input."""
    return input.log10_()


def zero_(input):
    """In place: input.zero_() (zero of each element); returns input."""
    return input.zero_()


def clamp_(input, min=None, max=None):
    """In place: input.clamp_(min, max); returns input."""
    return input.clamp_(min, max)


def clip_(input, min=None, max=None):
    """In place: input.clip_(min, max), clamp_'s alias; returns input."""
    return input.clip_(min, max)


def clamp_min_(input, min):
    """In place: input.clamp_min_(min); returns input."""
    return input.clamp_min_(min)


def clamp_max_(input, max):
    """In place: input.clamp_max_(max); returns input."""
    return input.clamp_max_(max)


def fill_(input, value):
    """In place: every element of input set to value; returns input."""
    return input.fill_(value)


def logit_(input, eps=None):
    """In place: input.logit_(eps); returns input."""
    return input.logit_(eps)


def xlogy_(input, other):
    """In place: input.xlogy_(other); returns input."""
    return input.xlogy_(other)


def nan_to_num_(input, nan=0.0, posinf=None, neginf=None):
    """In place: input.nan_to_num_(nan, posinf, neginf); returns input."""
    return input.nan_to_num_(nan, posinf, neginf)


def addmv_(input, mat, vec, *, beta=1, alpha=1):
    """In place: input = beta * input + alpha * (mat @ vec); returns input."""
    return input.addmv_(mat, vec, beta=beta, alpha=alpha)


# ------------------------------- pointwise products, index fills and copies, signs and integers

def addcmul(input, tensor1, tensor2, *, value=1):
    """input + value * tensor1 * tensor2 elementwise (broadcast, dtypes promoted)."""
    return _t(input).addcmul(tensor1, tensor2, value=value)


def addcdiv(input, tensor1, tensor2, *, value=1):
    """input + value * tensor1 / tensor2 elementwise (not both tensor1, tensor2 integer)."""
    return _t(input).addcdiv(tensor1, tensor2, value=value)


def index_fill(input, dim, index, value):
    """A copy of input with the slices at index (int64) along dim set to value."""
    return _t(input).index_fill(dim, index, value)


def index_copy(input, dim, index, source):
    """A copy of input with source's slices written at the positions in index along dim."""
    return _t(input).index_copy(dim, index, source)


def index_put(input, indices, values, accumulate=False):
    """A copy of input with input[indices] = values (added instead with accumulate)."""
    return _t(input).index_put(indices, values, accumulate)


def index_put_(input, indices, values, accumulate=False):
    """In place: input[indices] = values (or += with accumulate); returns input."""
    return input.index_put_(indices, values, accumulate)


def masked_scatter(input, mask, source):
    """input with the elements where mask is True replaced by source's, in order."""
    return _t(input).masked_scatter(mask, source)


def argwhere(input):
    """The indices of input's non-zero elements: an (n, ndim) int64 tensor."""
    return _t(input).argwhere()


def copysign(input, other):
    """|input| with the sign bit of other elementwise (a floating-point result)."""
    return _t(input).copysign(other)


def signbit(input):
    """Elementwise: True where input's sign bit is set (-0.0 and -NaN included)."""
    return _t(input).signbit()


def gcd(input, other):
    """The elementwise greatest common divisor of two int64 tensors."""
    return _t(input).gcd(other)


def gcd_(input, other):
    """In place: input = gcd(input, other); returns input."""
    return input.gcd_(other)


def lcm(input, other):
    """The elementwise least common multiple of two int64 tensors."""
    return _t(input).lcm(other)


def lcm_(input, other):
    """In place: input = lcm(input, other); returns input."""
    return input.lcm_(other)


def fix(input):
    """Alias of trunc: each element rounded toward zero."""
    return _t(input).fix()


def fix_(input):
    """In place: input.fix_() (trunc of each element); returns input."""
    return input.fix_()


def ldexp(input, other):
    """input * 2 ** other elementwise."""
    return _t(input).ldexp(other)


def ldexp_(input, other):
    """In place: input = input * 2 ** other; returns input."""
    return input.ldexp_(other)


def nextafter(input, other):
    """The next floating-point value after input toward other, elementwise."""
    return _t(input).nextafter(other)


# ------------------------------------ torch.* aliases of functional ops (torch's signatures)

def _F():
    """pynet.nn.functional, imported on first use (pynet.nn imports this module)."""
    from .nn import functional
    return functional


# torch's top-level losses take the reduction as an int enum. Their documented default is 1
# (mean), but PyTorch's argument parser reads that default as 0: called without it they
# return the unreduced loss. pynet's defaults of 0 give the results PyTorch gives.
_REDUCTION_NAMES = {0: "none", 1: "mean", 2: "sum"}


def _reduction(reduction, fn):
    """The reduction string for torch's integer reduction enum (0 none, 1 mean, 2 sum)."""
    if isinstance(reduction, bool) or not isinstance(reduction, int):
        raise TypeError(f"{fn}(): argument 'reduction' must be int (0 none, 1 mean, 2 sum), "
                        f"not {type(reduction).__name__}")
    if reduction not in _REDUCTION_NAMES:
        raise ValueError(f"{fn}(): reduction {reduction} is not 0 (none), 1 (mean) or 2 (sum)")
    return _REDUCTION_NAMES[reduction]


def _no_generator(generator, fn):
    if generator is not None:  # rrelu draws from pynet's global generator only
        raise NotImplementedError(f"{fn}: the generator argument is not supported by pynet")


def _no_stride(stride):
    """torch's top-level pools take stride=[] (empty) for 'the kernel size'."""
    return None if stride is None or (not isinstance(stride, int) and len(stride) == 0) \
        else stride


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """pynet.nn.functional.conv1d: 1-D convolution (cross-correlation) of input (N, C, L)."""
    return _F().conv1d(input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """pynet.nn.functional.conv2d: 2-D convolution (cross-correlation) of input (N, C, H, W)."""
    return _F().conv2d(input, weight, bias, stride, padding, dilation, groups)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """pynet.nn.functional.conv_transpose1d: the 1-D transposed convolution."""
    return _F().conv_transpose1d(input, weight, bias, stride, padding, output_padding, groups,
                                 dilation)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """pynet.nn.functional.conv_transpose2d: the 2-D transposed convolution."""
    return _F().conv_transpose2d(input, weight, bias, stride, padding, output_padding, groups,
                                 dilation)


def _dropout_p(p):
    """p, checked as torch's top-level dropouts do (RuntimeError, where F's raise ValueError)."""
    if not 0.0 <= p <= 1.0:
        raise RuntimeError(f"dropout probability has to be between 0 and 1, but got {p}")
    return p


def dropout(input, p, train):
    """Dropout with probability p when train (torch.dropout has no defaults)."""
    return _F().dropout(input, _dropout_p(p), train)


def dropout_(input, p, train):
    """In place: dropout(input, p, train) written into input; returns input."""
    return _F().dropout(input, _dropout_p(p), train, True)


def alpha_dropout(input, p, train):
    """Alpha dropout (for SELU networks) with probability p when train."""
    return _F().alpha_dropout(input, _dropout_p(p), train)


def alpha_dropout_(input, p, train):
    """In place: alpha_dropout(input, p, train) written into input; returns input."""
    return _F().alpha_dropout(input, _dropout_p(p), train, True)


def feature_alpha_dropout(input, p, train):
    """Alpha dropout of whole channels (N, C) with probability p when train."""
    return _F().feature_alpha_dropout(input, _dropout_p(p), train)


def feature_alpha_dropout_(input, p, train):
    """In place: feature_alpha_dropout(input, p, train) written into input; returns input."""
    return _F().feature_alpha_dropout(input, _dropout_p(p), train, True)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5, cudnn_enable=True):
    """Layer normalisation over the trailing normalized_shape dims (cudnn_enable: no effect)."""
    return _F().layer_norm(input, normalized_shape, weight, bias, eps)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5, cudnn_enabled=True):
    """Group normalisation of input (N, C, *) (cudnn_enabled: no effect on the CPU)."""
    return _F().group_norm(input, num_groups, weight, bias, eps)


def batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps,
               cudnn_enabled):
    """Batch normalisation, torch.batch_norm's argument order (no defaults, weight first)."""
    return _F().batch_norm(input, running_mean, running_var, weight, bias, training, momentum,
                           eps)


def instance_norm(input, weight, bias, running_mean, running_var, use_input_stats, momentum,
                  eps, cudnn_enabled):
    """Instance normalisation, torch.instance_norm's argument order (no defaults)."""
    return _F().instance_norm(input, running_mean, running_var, weight, bias, use_input_stats,
                              momentum, eps)


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """RMS normalisation over the trailing normalized_shape dims."""
    return _F().rms_norm(input, normalized_shape, weight, eps)


def max_pool1d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    """Maximum over windows of the last dim of input (N, C, L) (stride () is kernel_size)."""
    return _F().max_pool1d(input, kernel_size, _no_stride(stride), padding, dilation, ceil_mode)


def max_pool2d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    """Maximum over windows of input (N, C, H, W) (stride () is kernel_size)."""
    return _F().max_pool2d(input, kernel_size, _no_stride(stride), padding, dilation, ceil_mode)


def avg_pool1d(input, kernel_size, stride=(), padding=0, ceil_mode=False,
               count_include_pad=True):
    """Mean over windows of the last dim of input (N, C, L) (stride () is kernel_size)."""
    return _F().avg_pool1d(input, kernel_size, _no_stride(stride), padding, ceil_mode,
                           count_include_pad)


def adaptive_avg_pool1d(input, output_size):
    """Mean over output_size windows spanning the last dim of input (N, C, L)."""
    return _F().adaptive_avg_pool1d(input, output_size)


def adaptive_max_pool1d(input, output_size):
    """(values, indices): maximum over output_size windows spanning the last dim."""
    return tuple(_F().adaptive_max_pool1d(input, output_size, True))


def pixel_shuffle(input, upscale_factor):
    """(*, C r^2, H, W) -> (*, C, H r, W r)."""
    return _F().pixel_shuffle(input, upscale_factor)


def pixel_unshuffle(input, downscale_factor):
    """(*, C, H r, W r) -> (*, C r^2, H, W), the inverse of pixel_shuffle."""
    return _F().pixel_unshuffle(input, downscale_factor)


def channel_shuffle(input, groups):
    """Channels (dim 1) of input regrouped: (g, C/g) read as (C/g, g)."""
    return _F().channel_shuffle(input, groups)


def prelu(input, weight):
    """max(0, x) + weight * min(0, x), weight one value or one per channel (dim 1)."""
    return _F().prelu(input, weight)


def selu(input):
    """Elementwise scaled ELU (self-normalising networks)."""
    return _F().selu(input)


def selu_(input):
    """In place: input = selu(input); returns input."""
    return _F().selu(input, True)


def celu(input, alpha=1.0):
    """Elementwise max(0, x) + min(0, alpha * (exp(x / alpha) - 1))."""
    return _F().celu(input, alpha)


def celu_(input, alpha=1.0):
    """In place: input = celu(input, alpha); returns input."""
    return _F().celu(input, alpha, True)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, generator=None):
    """Randomised leaky ReLU (slopes drawn in [lower, upper] when training)."""
    _no_generator(generator, "rrelu")
    return _F().rrelu(input, lower, upper, training)


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False, generator=None):
    """In place: input = rrelu(input, lower, upper, training); returns input."""
    _no_generator(generator, "rrelu_")
    return _F().rrelu(input, lower, upper, training, True)


def threshold(input, threshold, value):
    """value where input <= threshold, input elsewhere."""
    return _F().threshold(input, threshold, value)


def threshold_(input, threshold, value):
    """In place: value where input <= threshold; returns input."""
    return _F().threshold(input, threshold, value, True)


def hardshrink(input, lambd=0.5):
    """input where |input| > lambd, zero elsewhere."""
    return _F().hardshrink(input, lambd)


def pdist(input, p=2):
    """The p-norm distances between each pair of rows of input (N, M), as N(N-1)/2 values."""
    return _F().pdist(input, p)


def kl_div(input, target, reduction=0, *, log_target=False):
    """Kullback-Leibler divergence of log-probabilities input; reduction 0 none/1 mean/2 sum."""
    red = _reduction(reduction, "kl_div")
    # the mean over all elements, without F.kl_div's warning about 'mean' (torch.kl_div's
    # integer reduction has no 'batchmean' to steer to, and PyTorch does not warn here)
    loss = _F().kl_div(input, target, reduction="none" if red == "mean" else red,
                       log_target=log_target)
    return loss.mean() if red == "mean" else loss


def binary_cross_entropy_with_logits(input, target, weight=None, pos_weight=None, reduction=0):
    """Binary cross entropy of sigmoid(input); reduction 0 none, 1 mean, 2 sum."""
    red = _reduction(reduction, "binary_cross_entropy_with_logits")
    return _F().binary_cross_entropy_with_logits(input, target, weight, reduction=red,
                                                 pos_weight=pos_weight)


def hinge_embedding_loss(input, target, margin=1.0, reduction=0):
    """Hinge embedding loss of input for targets +1/-1; reduction 0 none, 1 mean, 2 sum."""
    return _F().hinge_embedding_loss(input, target, margin,
                                     reduction=_reduction(reduction, "hinge_embedding_loss"))


def poisson_nll_loss(input, target, log_input, full, eps, reduction):
    """Poisson negative log likelihood (torch.poisson_nll_loss: no defaults)."""
    return _F().poisson_nll_loss(input, target, log_input, full, eps=eps,
                                 reduction=_reduction(reduction, "poisson_nll_loss"))



# ------------------------------------------------------------------- small utilities

def is_complex(input):
    """Whether input has a complex dtype: always False (pynet has no complex dtypes)."""
    return _t(input).is_complex()


def is_signed(input):
    """Whether input's dtype is signed (all but bool)."""
    return _t(input).is_signed()


def is_same_size(input, other):
    """Whether input and other (a Tensor) have the same shape."""
    return _t(input).is_same_size(other)


def fill(input, value):
    """A new tensor of input's shape and dtype filled with value (a number or 0-d tensor)."""
    x = _t(input)
    if isinstance(value, Tensor):
        if value.dim() != 0:
            raise RuntimeError(f"fill only supports 0-dimension value tensor but got tensor "
                               f"with {value.dim()} dimensions.")
        value = value.to(x.dtype)
    elif isinstance(value, (bool, int, float)):
        value = _new_tensor(value, dtype=x.dtype)
    else:
        raise TypeError(f"fill(): argument 'value' must be a Number or a 0-d Tensor, not "
                        f"{type(value).__name__}")
    # where() makes the result differentiable: the gradient goes to a tensor value (summed),
    # and zeros go to input, as in PyTorch
    return _C.where(_C.ones(tuple(x.shape), dtype=_C.bool), value, x)


def rsub(input, other, *, alpha=1):
    """other - alpha * input (input a tensor, other a tensor or number)."""
    x = _t(input)
    if isinstance(alpha, float) and not x.is_floating_point() and not (
            isinstance(other, Tensor) and other.is_floating_point()):
        raise RuntimeError("rsub: for integral input tensors, argument alpha must not be a "
                           "floating point number.")
    if isinstance(other, Tensor):
        return other.sub(x, alpha=alpha)
    return (x if alpha == 1 else x * alpha).__rsub__(other)



# --------------------------------------------------- shifts, special math, scatters

def bitwise_left_shift(input, other):
    """input << other elementwise (int64 after promotion); shifts outside [0, 63] give 0."""
    return _t(input).bitwise_left_shift(other)


def bitwise_right_shift(input, other):
    """input >> other elementwise (arithmetic, int64); shifts outside [0, 63] give 0 or -1."""
    return _t(input).bitwise_right_shift(other)


def i0(input):
    """The modified Bessel function of the first kind of order 0, elementwise."""
    return _t(input).i0()


def i0_(input):
    """In place: input = i0(input); returns input."""
    return input.i0_()


def mvlgamma(input, p):
    """The multivariate log-gamma function of dimension p, elementwise."""
    return _t(input).mvlgamma(p)


def renorm(input, p, dim, maxnorm):
    """input with each slice along dim of p-norm over maxnorm scaled down to norm maxnorm."""
    return _t(input).renorm(p, dim, maxnorm)


def histogram(input, bins=100, *, range=None, weight=None, density=False):
    """(hist, bin_edges): a histogram of input in bins equal bins, or between given edges."""
    return _t(input).histogram(bins, range=range, weight=weight, density=density)


def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
    """A copy of input with src reduced in at index along dim (sum/prod/mean/amax/amin)."""
    return _t(input).scatter_reduce(dim, index, src, reduce, include_self=include_self)


def index_reduce(input, dim, index, source, reduce, *, include_self=True):
    """A copy of input with source's slices reduced into slices index along dim."""
    return _t(input).index_reduce(dim, index, source, reduce, include_self=include_self)


def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1):
    """A copy of input with src written into its diagonal (offset, dim1, dim2)."""
    return _t(input).diagonal_scatter(src, offset, dim1, dim2)


def select_scatter(input, src, dim, index):
    """A copy of input with src written into input.select(dim, index)."""
    return _t(input).select_scatter(src, dim, index)


def slice_scatter(input, src, dim=0, start=None, end=None, step=1):
    """A copy of input with src written into the slice start:end:step along dim."""
    return _t(input).slice_scatter(src, dim, start, end, step)



# ------------------------------------------------------------------ numerical gradient

def _gradient_weights(coords, edge_order):
    """The finite-difference weights (for f[i-1], f[i], f[i+1]) of the interior points, and
    of the first and last edge_order + 1 points for the two ends, from the sample
    coordinates (NumPy's second-order scheme for uneven spacing: exact for quadratics)."""
    dx = np.diff(coords)
    hd, hs = dx[:-1], dx[1:]
    interior = np.stack([-hs / (hd * (hd + hs)), (hs - hd) / (hd * hs), hd / (hs * (hd + hs))])
    if edge_order == 1:
        first = np.array([-1.0, 1.0]) / dx[0]  # weights of f[0], f[1]
        last = np.array([-1.0, 1.0]) / dx[-1]  # of f[n-2], f[n-1]
    else:  # one-sided second-order differences over the first and last three points
        d1, d2 = dx[0], dx[1]
        first = np.array([-(2 * d1 + d2) / (d1 * (d1 + d2)), (d1 + d2) / (d1 * d2),
                          -d1 / (d2 * (d1 + d2))])
        d1, d2 = dx[-2], dx[-1]
        last = np.array([d2 / (d1 * (d1 + d2)), -(d2 + d1) / (d1 * d2),
                         (2 * d2 + d1) / (d2 * (d1 + d2))])
    return interior, first, last


def _gradient_along(f, d, coords, edge_order):
    """The derivative of f along dim d sampled at coords, as the same-shaped tensor."""
    n = f.shape[d]
    interior, first, last = _gradient_weights(coords, edge_order)
    view = [1] * f.dim()
    view[d] = n - 2

    def w(a):  # weights broadcast along d, in f's dtype
        return _new_tensor(np.asarray(a).reshape(view if np.ndim(a) else ()), dtype=f.dtype)

    mid = (f.narrow(d, 0, n - 2) * w(interior[0]) + f.narrow(d, 1, n - 2) * w(interior[1])
           + f.narrow(d, 2, n - 2) * w(interior[2]))
    ends = edge_order + 1
    lo = _builtins.sum(f.narrow(d, k, 1) * float(first[k]) for k in _range(ends))
    hi = _builtins.sum(f.narrow(d, n - ends + k, 1) * float(last[k]) for k in _range(ends))
    return cat([lo, mid, hi], d)


def gradient(input, *, spacing=1, dim=None, edge_order=1):
    """The derivatives of input along dim (default all) by central differences, as a tuple."""
    x = _t(input)
    if edge_order not in (1, 2):
        raise RuntimeError("torch.gradient only supports edge_order=1 and edge_order=2.")
    dims = list(_range(x.dim())) if dim is None else [dim] if isinstance(dim, int) else \
        list(dim)
    dims = [d + x.dim() if -x.dim() <= d < 0 else d for d in dims]
    if _builtins.any(not 0 <= d < x.dim() for d in dims) or len(set(dims)) != len(dims):
        raise IndexError(f"gradient: dim {dim} is out of range or repeated for a tensor of "
                         f"{x.dim()} dims")
    steps = list(spacing) if isinstance(spacing, (list, tuple)) else [spacing] * len(dims)
    if len(steps) != len(dims):
        raise RuntimeError(f"torch.gradient expected spacing to be unspecified, a scalar or "
                           f"it's spacing and dim arguments to have the same length, but got "
                           f"a spacing argument of length {len(steps)} and a dim argument of "
                           f"length {len(dims)}.")
    if not x.is_floating_point():
        x = x.to(_C._get_default_dtype())
    out = []
    for d, h in zip(dims, steps):
        n = x.shape[d]
        if n < edge_order + 1:
            raise RuntimeError("torch.gradient expected each dimension size to be at least "
                               "edge_order+1")
        if isinstance(h, Tensor):
            if h.dim() != 1 or h.shape[0] != n:
                raise RuntimeError(f"torch.gradient expected each tensor to be on the same "
                                   f"device and of size {n} along dim {d}, got shape "
                                   f"{list(h.shape)}")
            coords = h.detach().numpy(force=True).astype(np.float64)
        else:
            coords = np.arange(n, dtype=np.float64) * float(h)
        out.append(_gradient_along(x, d, coords, edge_order))
    return tuple(out)


# ------------------------------------------------------- the fast path for Tensors

# The functions above that are exactly their Tensor method: the same parameters after
# input, passed on as they came; or the method takes them by position only, in the same
# order (then a call by keyword takes the Python function). With a pynet.Tensor first
# they run as builtins calling the method's C code (csrc/pyapi/forward.c), without the
# two Python calls: pynet.sum(x, dim=0) on a small tensor costs what x.sum(dim=0) does,
# about 0.4 us less. The Python functions above remain what runs for anything else, and
# the reference: tests/test_functions_forward.py compares both ways on every name.
_FORWARDED = (
    "abs", "neg", "exp", "log", "sqrt", "sigmoid", "tanh", "relu", "sign", "reciprocal",
    "square", "sin", "cos", "log1p", "expm1", "log2", "log10", "erf", "erfc", "tan", "atan",
    "rsqrt", "floor", "ceil", "trunc", "clamp", "add", "sub", "div", "bitwise_not",
    "sum", "mean", "prod", "amax", "amin", "max", "min", "argmax", "argmin", "logsumexp", "t",
    "detach", "sort", "argsort", "topk", "cumsum", "cumprod", "gather", "scatter_add",
    "index_select", "tril", "triu", "numel",
    "atan2", "mul", "true_divide", "floor_divide", "remainder", "maximum", "minimum", "eq",
    "ne", "lt", "le", "gt", "ge", "bitwise_and", "bitwise_or", "bitwise_xor", "matmul", "mm",
    "bmm", "transpose", "unsqueeze", "squeeze", "narrow", "select",
)


_PYTHON: dict = {}  # name -> the Python function each builtin falls back to


def _forward_all(names):
    g = globals()
    for name in names:
        py = _PYTHON[name] = g[name]
        doc = f"{name}{_inspect.signature(py)}\n--\n\n{py.__doc__}"
        g[name] = _C._forwarder(py, getattr(Tensor, name), Tensor, name, doc)


_forward_all(_FORWARDED)


# ------------------------------------------------- linear algebra (torch.det ... over pynet.linalg)

def _LA():
    """pynet.linalg, imported on first use (with its _legacy module of torch's older forms)."""
    from . import linalg
    from .linalg import _legacy  # noqa: F401 (binds linalg._legacy)
    return linalg


def det(input):
    """The determinant of each square matrix of input (..., n, n)."""
    return _LA().det(input)


def logdet(input):
    """log det of each square matrix: NaN where the determinant is negative, -inf where 0."""
    return _LA()._legacy._logdet(input)


def slogdet(input):
    """(sign, logabsdet) of the determinant of each square matrix of input."""
    return _LA()._legacy._slogdet_legacy(input)


def inverse(input):
    """The inverse of each square matrix of input (linalg.inv)."""
    return _LA().inv(input)


def cholesky(input, upper=False):
    """The Cholesky factor of each symmetric positive-definite matrix (lower, or upper)."""
    return _LA().cholesky(input, upper=upper)


def cholesky_solve(input, input2, upper=False):
    """X with A X = input, A = L L^T given by its Cholesky factor input2 (U^T U if upper)."""
    return _LA()._legacy._cholesky_solve(input, input2, upper)


def cholesky_inverse(input, upper=False):
    """The inverse of A = L L^T (U^T U if upper) from its Cholesky factor input."""
    return _LA()._legacy._cholesky_inverse(input, upper)


def qr(input, some=True):
    """(Q, R) of input; some=True: the reduced factorization, else the complete one."""
    return _LA()._legacy._qr_legacy(input, some)


def svd(input, some=True, compute_uv=True):
    """(U, S, V) of input with V (not V^T); some=True: the thin factorization."""
    return _LA()._legacy._svd_legacy(input, some, compute_uv)


def pinverse(input, rcond=1e-15):
    """The Moore-Penrose pseudo-inverse of each matrix (singular values < rcond * max: 0)."""
    return _LA()._legacy._pinverse(input, rcond)


def matrix_power(input, n):
    """Each square matrix of input to the integer power n (n < 0: of its inverse)."""
    return _LA().matrix_power(input, n)


def matrix_exp(input):
    """The matrix exponential of each square matrix of input."""
    return _LA().matrix_exp(input)


def triangular_solve(input, A, upper=True, transpose=False, unitriangular=False):
    """(X, A clone) with A X = input for triangular A (torch.triangular_solve's order)."""
    return _LA()._legacy._triangular_solve(input, A, upper, transpose, unitriangular)


def lu(input, pivot=True, get_infos=False):
    """(LU, pivots[, infos]): the packed LU factorization with partial pivoting of input."""
    return _LA()._legacy._lu_legacy(input, pivot, get_infos)


def lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True):
    """(P, L, U) unpacked from lu()'s packed factorization and its pivots."""
    return _LA()._legacy._lu_unpack(LU_data, LU_pivots, unpack_data, unpack_pivots)


def lu_solve(input, LU_data, LU_pivots):
    """X with A X = input, A given by lu()'s packed factorization and pivots."""
    return _LA()._legacy._lu_solve_legacy(input, LU_data, LU_pivots)


def orgqr(input, input2):
    """The product of Householder reflectors (input, tau = input2): linalg.householder_product."""
    return _LA().householder_product(input, input2)


# --- the aliases whose tensors torch names otherwise (weight, input1, x1, anchor) -------------

def embedding(weight, indices, padding_idx=-1, scale_grad_by_freq=False, sparse=False):
    """Rows of weight picked by indices (weight first; padding_idx -1: none, else no grad)."""
    return _F().embedding(indices, weight, None if padding_idx < 0 else padding_idx,
                          scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)


def bilinear(input1, input2, weight, bias=None):
    """y = x1^T A x2 + b for each output feature (F.bilinear)."""
    return _F().bilinear(input1, input2, weight, bias)


def cosine_similarity(x1, x2, dim=1, eps=1e-08):
    """The cosine of the angle between x1 and x2 along dim (F.cosine_similarity)."""
    return _F().cosine_similarity(x1, x2, dim, eps)


def pairwise_distance(x1, x2, p=2.0, eps=1e-06, keepdim=False):
    """The p-norm of x1 - x2 + eps along the last dim (F.pairwise_distance)."""
    return _F().pairwise_distance(x1, x2, p, eps, keepdim)


def margin_ranking_loss(input1, input2, target, margin=0.0, reduction=0):
    """max(0, -target (input1 - input2) + margin); reduction 0 none, 1 mean, 2 sum."""
    return _F().margin_ranking_loss(input1, input2, target, margin,
                                    reduction=_reduction(reduction, "margin_ranking_loss"))


def cosine_embedding_loss(input1, input2, target, margin=0.0, reduction=0):
    """1 - cos(x1, x2) for target 1, max(0, cos - margin) for -1; reduction 0/1/2."""
    return _F().cosine_embedding_loss(input1, input2, target, margin,
                                      reduction=_reduction(reduction, "cosine_embedding_loss"))


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2.0, eps=1e-06, swap=False,
                        reduction=0):
    """max(d(a, p) - d(a, n) + margin, 0) with p-norm distances; reduction 0/1/2."""
    return _F().triplet_margin_loss(anchor, positive, negative, margin, p, eps, swap,
                                    reduction=_reduction(reduction, "triplet_margin_loss"))
