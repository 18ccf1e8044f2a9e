"""pynet: a deep-learning library to learn on, with PyTorch's API over a small C core.

    import pynet as torch
    x = torch.randn(3, requires_grad=True)
    (x * x).sum().backward()
    x.grad   # 2 * x
"""
from collections import namedtuple as _namedtuple

try:
    from . import _C
except ImportError as _e:  # a source folder without the built extension shadows pynet
    import os as _os
    _here = _os.path.dirname(_os.path.abspath(__file__))
    raise ImportError(
        f"pynet's C extension (pynet._C) is not built in {_here}. This folder is pynet's "
        f"source, and Python imports it instead of an installed pynet because it is on the "
        f"path (the current directory). Either build it here with `pip install -e .` (run in "
        f"{_os.path.dirname(_here)}), or run Python from another directory to use the "
        f"installed pynet. (Original error: {_e})") from None
from ._C import bool, float32, float64, int64, dtype  # noqa: A004 (the dtype objects)
from ._C import (cat, empty, from_numpy, full, get_num_threads, get_rng_state, initial_seed,
                 is_grad_enabled, manual_seed, ones, set_num_threads, set_rng_state, stack, where,
                 zeros)
from ._tensor import Size, Tensor, device_type as device
from ._memory_format import (channels_last, channels_last_3d, contiguous_format, memory_format,
                             preserve_format)
from ._creation import (arange, as_tensor, bernoulli, empty_like, eye, full_like, linspace,
                        logspace, get_default_dtype, set_default_dtype, empty_strided,
                        set_default_tensor_type, randint_like, seed, promote_types, can_cast,
                        result_type,
                        asarray, binomial, range, scalar_tensor, poisson,
                        bartlett_window, blackman_window,
                        hamming_window, hann_window, kaiser_window,
                        multinomial, normal, ones_like, rand, rand_like, randint, randn,
                        randn_like, randperm, tensor, tril_indices, triu_indices,
                        zeros_like)
from ._generator import Generator
from . import autograd
from .autograd import enable_grad, inference_mode, no_grad, set_grad_enabled
from .serialization import load, save
from ._functions import (abs, add, all, arctan, arctan2, atan, atan2, erf, erfc, log2, log10,
                         rsqrt, tan, allclose, amax, amin, any, argmax, argmin, argsort,
                         bitwise_and, equal, isclose, masked_select, norm,
                         bitwise_not, bitwise_or, bitwise_xor, bmm, ceil, chunk, clamp, clip,
                         clone, concat, concatenate, cos, cumprod, cumsum, detach, div, divide,
                         dot, eq, exp, expm1, flatten, flip, floor, floor_divide, gather, ge, gt,
                         index_add, index_select, isfinite, isinf, isnan, le, log, log1p,
                         log_softmax, logical_and, logical_not, logical_or, logical_xor,
                         logsumexp, lt, masked_fill, matmul, max, maximum, mean, min, minimum, mm,
                         mul, multiply, narrow, ne, neg, negative, nonzero, numel, permute, pow,
                         prod, reciprocal, relu, remainder, reshape, roll, round, scatter,
                         scatter_add, select, sigmoid, sign, sin, softmax, sort, split, sqrt,
                         sqrt_, square, squeeze, std, sub, subtract, sum, t, tanh, topk,
                         transpose, tril, triu, true_divide, trunc, unbind, unsqueeze, var,
                         view_as)  # noqa: A004 (abs, sum, max... are torch's names)
from ._functions import (absolute, acos, acosh, addbmm, addmm, addmv, addr, arccos, arccosh,
                         arcsin, arcsinh, arctanh, asin, asinh, atanh, atleast_1d, atleast_2d,
                         atleast_3d, baddbmm, block_diag, broadcast_to, cartesian_prod,
                         chain_matmul, clamp_max, clamp_min, column_stack, cosh, deg2rad, diag,
                         diag_embed, diagflat, diagonal, digamma, dsplit, dstack, einsum, erfinv,
                         exp2, fliplr, flipud, float_power, fmax, fmin, fmod, frac, ger, greater,
                         greater_equal, heaviside, hsplit, hstack, hypot, inner, kron, lerp, less,
                         less_equal, lgamma, logaddexp, logaddexp2, logit, meshgrid, moveaxis,
                         movedim, mv, nan_to_num, not_equal, outer, polygamma, positive, rad2deg,
                         ravel, rot90, row_stack, sgn, sinc, sinh, swapaxes, swapdims, as_strided,
                         angle, take,
                         take_along_dim, tensor_split, tensordot, tile, trace, vdot, vsplit,
                         vstack, xlogy)
from ._functions import (aminmax, bincount, bucketize, cdist, corrcoef, count_nonzero, cov, cross,
                         cummax, cummin, diff, dist, histc, isin, kthvalue, logcumsumexp, median,
                         mode, msort, nanmean, nanmedian, nanquantile, nansum, quantile,
                         repeat_interleave, searchsorted, std_mean, unique, unique_consecutive,
                         var_mean)
from ._functions import (  # noqa: E402 (the in-place forms)
                        asin_, acos_, sinh_, cosh_, asinh_, acosh_, atanh_, arcsin_,
                        arccos_, arcsinh_, arccosh_, arctanh_, arctan_, exp2_, frac_,
                        deg2rad_, rad2deg_, sinc_, exp_, log_, sigmoid_, tanh_, relu_,
                        erf_, erfc_, sin_, cos_, tan_, atan_, abs_, neg_, negative_,
                        floor_, ceil_, round_, trunc_, rsqrt_, reciprocal_, square_,
                        log1p_, expm1_, log2_, log10_, zero_, clamp_, clip_, clamp_min_,
                        clamp_max_, fill_, logit_, xlogy_, nan_to_num_, addmv_)
from ._functions import (  # noqa: E402 (pointwise products, index fills, signs, integers)
                        addcdiv, addcmul, argwhere, copysign, fix, fix_, gcd, gcd_,
                        index_copy, index_fill, index_put, index_put_, lcm, lcm_, ldexp, ldexp_,
                        masked_scatter, nextafter, signbit)
from ._functions import (combinations, cumulative_trapezoid, is_floating_point,  # noqa: E402
                         is_nonzero, isneginf, isposinf, isreal, trapezoid, trapz, unflatten,
                         unravel_index, vander)
from ._functions import (  # noqa: E402 (torch.* aliases of pynet.nn.functional ops)
                        adaptive_avg_pool1d, adaptive_max_pool1d, alpha_dropout, alpha_dropout_,
                        avg_pool1d, batch_norm, binary_cross_entropy_with_logits, celu, celu_,
                        channel_shuffle, conv1d, conv2d, conv_transpose1d, conv_transpose2d,
                        dropout, dropout_, feature_alpha_dropout, feature_alpha_dropout_,
                        group_norm, hardshrink, hinge_embedding_loss, instance_norm, kl_div,
                        layer_norm, max_pool1d, max_pool2d, pdist, pixel_shuffle,
                        pixel_unshuffle, poisson_nll_loss, prelu, rms_norm, rrelu, rrelu_, selu,
                        selu_, threshold, threshold_)
from ._functions import fill, is_complex, is_same_size, is_signed, rsub  # noqa: E402
from ._functions import (bitwise_left_shift, bitwise_right_shift,  # noqa: E402
                         diagonal_scatter, gradient, histogram, i0, i0_, index_reduce, mvlgamma,
                         renorm, scatter_reduce, select_scatter, slice_scatter)
from . import nn, optim  # noqa: E402
from . import linalg  # noqa: E402
from . import special  # noqa: E402
from ._functions import (bilinear, cosine_embedding_loss, cosine_similarity,  # noqa: E402
                         embedding, margin_ranking_loss, pairwise_distance,
                         triplet_margin_loss)
from ._functions import (cholesky, cholesky_inverse, cholesky_solve, det,  # noqa: E402
                         inverse, logdet, lu, lu_solve, lu_unpack, matrix_exp, matrix_power,
                         orgqr, pinverse, qr, slogdet, svd, triangular_solve)
from . import backends, cuda, distributions, testing  # noqa: E402
from ._finfo import finfo, iinfo  # noqa: E402
from ._repr import get_printoptions, set_printoptions  # noqa: E402
from ._config import (are_deterministic_algorithms_enabled,  # noqa: E402
                      get_float32_matmul_precision,
                      is_deterministic_algorithms_warn_only_enabled,
                      set_float32_matmul_precision, use_deterministic_algorithms)
from ._config import (get_default_device, get_num_interop_threads,  # noqa: E402
                      is_anomaly_enabled, is_warn_always_enabled, set_anomaly_enabled,
                      set_default_device, set_num_interop_threads, set_warn_always)
from . import utils  # noqa: E402
from .utils import data as _data  # noqa: E402,F401  (pynet.utils.data)
from .nn.summary import summary  # noqa: E402
from . import viz  # noqa: E402  (teaching instruments; matplotlib only when a plot is drawn)

float = float32  # noqa: A001  (torch.float is float32)
double = float64
long = int64
int = int64  # noqa: A001  (pynet has one integer type)
__version__ = "0.1.0"

_return_types = _namedtuple("return_types", ["values", "indices"])  # type: ignore[name-match]
_C._set_classes(Tensor, Size, _return_types)

from ._legacy import BoolTensor, DoubleTensor, FloatTensor, LongTensor  # noqa: E402


def is_tensor(obj):
    """True if obj is a pynet.Tensor."""
    return isinstance(obj, Tensor)


def is_storage(obj):
    """True if obj is a storage object: always False (pynet tensors have no separate storage
    objects)."""
    return False


def typename(obj):
    """The type name of obj: 'pynet.FloatTensor' ... for a tensor, else the module-qualified
    class name (or 'int', 'str', ... for builtins)."""
    if isinstance(obj, Tensor):
        return obj.type()
    cls = type(obj)
    module = cls.__module__
    if module in ("builtins", "__builtin__", None):
        return cls.__qualname__
    return f"{module}.{cls.__qualname__}"


def broadcast_shapes(*shapes):
    """The shape that tensors of the given shapes broadcast to (RuntimeError if none)."""
    import numpy as _np

    try:
        return Size(_np.broadcast_shapes(*shapes))
    except ValueError as e:  # torch raises RuntimeError for shapes that do not broadcast
        raise RuntimeError(f"broadcast_shapes: shapes {list(shapes)} cannot be broadcast "
                           f"together ({e})") from None


def broadcast_tensors(*tensors):
    """The tensors expanded (as views) to their common broadcast shape."""
    shape = broadcast_shapes(*(t.shape for t in tensors))
    return tuple(t.expand(shape) for t in tensors)


