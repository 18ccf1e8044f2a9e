"""Layer ops of pynet.nn.functional (PyTorch's torch.nn.functional signatures).

Each function checks and normalises its arguments the way PyTorch does, then
calls a C op of pynet._C (csrc/python/ops_nn.c) that runs forward and records
its own backward.
"""
import math
import operator
import warnings

from .. import _C
from .._creation import tensor as _tensor
from .._tensor import Tensor

__all__ = ["linear", "relu", "relu_", "leaky_relu", "elu", "gelu", "softplus", "prelu",
           "logsigmoid", "mish", "selu", "celu", "relu6", "hardsigmoid", "hardswish", "threshold",
           "hardshrink", "softshrink", "softsign", "tanhshrink", "softmin", "glu", "rrelu", "elu_",
           "leaky_relu_", "hardtanh_", "selu_", "celu_", "rrelu_", "threshold_", "hardtanh",
           "silu", "sigmoid", "tanh", "softmax", "log_softmax", "dropout", "batch_norm",
           "layer_norm", "group_norm", "instance_norm", "rms_norm", "local_response_norm",
           "embedding", "embedding_bag", "one_hot", "pad", "dropout2d", "alpha_dropout",
           "feature_alpha_dropout", "dropout1d", "dropout3d", "pixel_shuffle", "pixel_unshuffle",
           "channel_shuffle", "bilinear", "conv1d", "conv2d", "conv_transpose1d",
           "conv_transpose2d", "unfold", "fold", "max_pool1d", "max_pool2d", "avg_pool1d",
           "avg_pool2d", "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_max_pool1d",
           "adaptive_max_pool2d", "interpolate", "lp_pool1d", "lp_pool2d", "max_unpool1d",
           "max_unpool2d", "gumbel_softmax", "scaled_dot_product_attention"]

# activation kinds, as numbered in csrc/kernels/nn.h (pn_act)
(_LEAKY_RELU, _ELU, _GELU, _GELU_TANH, _SOFTPLUS, _HARDTANH, _SILU, _LOGSIGMOID, _MISH, _SELU,
 _CELU, _HARDSIGMOID, _HARDSWISH, _THRESHOLD, _HARDSHRINK, _SOFTSHRINK) = range(16)


def _check_tensor(x, fn, name="input"):
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}(): argument '{name}' (position 1) must be Tensor, not "
                        f"{type(x).__name__}")


def linear(input, weight, bias=None):
    """y = input @ weight.T + bias.  input (*, in), weight (out, in), bias (out,) -> (*, out)"""
    return _C._linear(input, weight, bias)


# ----------------------------------------------------------------- activations

def relu(input, inplace=False):
    """max(input, 0) elementwise; with inplace=True, overwrite input."""
    _check_tensor(input, "relu")
    return _C._relu_(input) if inplace else input.relu()


def relu_(input):
    """In-place relu: input = max(input, 0); returns input."""
    return _C._relu_(input)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """input where input >= 0, negative_slope * input elsewhere."""
    _check_tensor(input, "leaky_relu")
    return _C._activation(input, _LEAKY_RELU, float(negative_slope), 0.0, bool(inplace))


def elu(input, alpha=1.0, inplace=False):
    """input where input > 0, alpha * (exp(input) - 1) elsewhere."""
    _check_tensor(input, "elu")
    return _C._activation(input, _ELU, float(alpha), 0.0, bool(inplace))


def gelu(input, approximate="none"):
    """input * Phi(input) (Gaussian CDF); approximate='tanh' uses the tanh formula."""
    _check_tensor(input, "gelu")
    if approximate == "none":
        kind = _GELU
    elif approximate == "tanh":
        kind = _GELU_TANH
    else:
        raise RuntimeError(f"approximate argument must be either none or tanh.")
    return _C._activation(input, kind, 0.0, 0.0, False)


def softplus(input, beta=1.0, threshold=20.0):
    """log(1 + exp(beta * input)) / beta, linear where beta * input > threshold."""
    _check_tensor(input, "softplus")
    return _C._activation(input, _SOFTPLUS, float(beta), float(threshold), False)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """input clamped into [min_val, max_val]."""
    _check_tensor(input, "hardtanh")
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _hardtanh(input, min_val, max_val, inplace)


def _hardtanh(input, min_val, max_val, inplace):
    """hardtanh without the min_val <= max_val check (hardtanh_ skips it, as in torch)."""
    if input.dtype == _C.bool:
        raise RuntimeError("hardtanh: Bool inputs not supported for hardtanh")
    if not input.is_floating_point():  # the bounds become the input's integers, as torch
        min_val, max_val = int(min_val), int(max_val)
    if min_val > max_val or not input.is_floating_point():
        # min > max: torch's clamp rule, max_val everywhere with a zero gradient
        return input.clamp_(min_val, max_val) if inplace else input.clamp(min_val, max_val)
    return _C._activation(input, _HARDTANH, float(min_val), float(max_val), bool(inplace))


def silu(input, inplace=False):
    """input * sigmoid(input) (also called swish)."""
    _check_tensor(input, "silu")
    return _C._activation(input, _SILU, 0.0, 0.0, bool(inplace))


def logsigmoid(input):
    """log(sigmoid(input)) = -softplus(-input), computed without overflow."""
    _check_tensor(input, "log_sigmoid")
    return _C._activation(input, _LOGSIGMOID, 0.0, 0.0, False)


def mish(input, inplace=False):
    """input * tanh(softplus(input)) (Misra, 2019)."""
    _check_tensor(input, "mish")
    return _C._activation(input, _MISH, 0.0, 0.0, bool(inplace))


def selu(input, inplace=False):
    """scale * elu(input, alpha) with the self-normalising constants alpha = 1.6732632...,
    scale = 1.0507009... (Klambauer et al., 2017)."""
    _check_tensor(input, "selu")
    return _C._activation(input, _SELU, 0.0, 0.0, bool(inplace))


def celu(input, alpha=1.0, inplace=False):
    """input where input > 0, alpha * (exp(input / alpha) - 1) elsewhere."""
    _check_tensor(input, "celu")
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    return _C._activation(input, _CELU, float(alpha), 0.0, bool(inplace))


def relu6(input, inplace=False):
    """min(max(input, 0), 6): hardtanh(input, 0, 6)."""
    return hardtanh(input, 0.0, 6.0, inplace)


def hardsigmoid(input, inplace=False):
    """min(max(input + 3, 0), 6) / 6, a piecewise-linear sigmoid."""
    _check_tensor(input, "hardsigmoid")
    return _C._activation(input, _HARDSIGMOID, 0.0, 0.0, bool(inplace))


def hardswish(input, inplace=False):
    """input * hardsigmoid(input) (Howard et al., 2019)."""
    _check_tensor(input, "hardswish")
    return _C._activation(input, _HARDSWISH, 0.0, 0.0, bool(inplace))


def threshold(input, threshold, value, inplace=False):
    """value where input <= threshold, input elsewhere (NaN passes)."""
    _check_tensor(input, "threshold")
    if input.dtype == _C.bool:
        raise NotImplementedError('threshold: "threshold_cpu" not implemented for \'bool\'')
    if not input.is_floating_point():
        out = input.masked_fill(input <= threshold, value)
        return input.copy_(out) if inplace else out
    return _C._activation(input, _THRESHOLD, float(threshold), float(value), bool(inplace))


_threshold = threshold  # for threshold_, whose argument `threshold` hides the function


def hardshrink(input, lambd=0.5):
    """0 where -lambd <= input <= lambd, input elsewhere."""
    _check_tensor(input, "hardshrink")
    return _C._activation(input, _HARDSHRINK, float(lambd), 0.0, False)


def softshrink(input, lambd=0.5):
    """input - lambd above lambd, input + lambd below -lambd, 0 between (lambd >= 0)."""
    _check_tensor(input, "softshrink")
    if not lambd >= 0:
        raise RuntimeError(f"softshrink: lambda must be in range [0, inf), but found {lambd}")
    return _C._activation(input, _SOFTSHRINK, float(lambd), 0.0, False)


def softsign(input):
    """input / (1 + |input|)."""
    return input / (input.abs() + 1)


def tanhshrink(input):
    """input - tanh(input)."""
    return input - input.tanh()


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """softmax(-input, dim): weights that favour the smallest entries."""
    if dim is None:
        dim = _softmax_dim("softmin", input.dim(), _stacklevel)
    return (-input).softmax(dim, dtype=dtype)


def glu(input, dim=-1):
    """Gated linear unit: a * sigmoid(b), where a and b are the two halves of input along dim."""
    _check_tensor(input, "glu")
    if input.dim() == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = dim + input.dim() if dim < 0 else dim
    if not 0 <= d < input.dim():
        raise IndexError(f"Dimension out of range (expected to be in range of "
                         f"[{-input.dim()}, {input.dim() - 1}], but got {dim})")
    if input.shape[d] % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size "
                           f"{input.shape[d]}")
    a, b = input.chunk(2, d)
    return a * b.sigmoid()


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """Randomised leaky ReLU: in training, each negative element is scaled by a slope drawn
    uniformly from [lower, upper] (pynet's generator, so not torch's draws); in evaluation,
    by the fixed slope (lower + upper) / 2."""
    _check_tensor(input, "rrelu")
    if lower > upper:
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")
    if not training:
        return leaky_relu(input, (lower + upper) / 2, inplace)
    if not input.is_floating_point():
        raise NotImplementedError(f"\"rrelu_with_noise_cpu\" not implemented for "
                                  f"'{str(input.dtype).split('.')[-1]}'")
    slope = _C.empty(tuple(input.shape), dtype=input.dtype).uniform_(lower, upper)
    out = input * _C.where(input >= 0, _C.ones((), dtype=input.dtype), slope)
    return input.copy_(out) if inplace else out


# in-place forms: the activation with inplace=True (input overwritten and returned; a leaf
# that requires grad is refused, a non-leaf records the op in the graph, as relu_)

def elu_(input, alpha=1.0):
    """In-place elu: input = elu(input, alpha); returns input."""
    return elu(input, alpha, True)


def leaky_relu_(input, negative_slope=0.01):
    """In-place leaky_relu: input = leaky_relu(input, negative_slope); returns input."""
    return leaky_relu(input, negative_slope, True)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    """In-place hardtanh: input clamped into [min_val, max_val]; returns input. Unlike
    hardtanh, min_val > max_val is allowed (every value becomes max_val), as in torch."""
    _check_tensor(input, "hardtanh_")
    return _hardtanh(input, min_val, max_val, True)


def selu_(input):
    """In-place selu: input = selu(input); returns input."""
    return selu(input, True)


def celu_(input, alpha=1.0):
    """In-place celu: input = celu(input, alpha); returns input."""
    return celu(input, alpha, True)


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    """In-place rrelu: input = rrelu(input, lower, upper, training); returns input."""
    return rrelu(input, lower, upper, training, True)


def threshold_(input, threshold, value):
    """In-place threshold: value where input <= threshold; returns input."""
    return _threshold(input, threshold, value, True)


def prelu(input, weight):
    """input > 0 ? input : weight * input, weight with 1 or C = input.shape[1] entries."""
    return _C._prelu(input, weight)


def sigmoid(input):
    """Elementwise logistic sigmoid 1 / (1 + exp(-input))."""
    return input.sigmoid()


def tanh(input):
    """Elementwise hyperbolic tangent."""
    return input.tanh()


def _softmax_dim(name, ndim, stacklevel):
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call "
                  "to include dim=X as an argument.", stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """exp(input) / sum(exp(input), dim), in dtype if given; dim=None warns and picks 0 or 1."""
    if dim is None:
        dim = _softmax_dim("softmax", input.dim(), _stacklevel)
    return input.softmax(dim, dtype=dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """log(softmax(input, dim)), computed stably; dtype and dim=None as in softmax."""
    if dim is None:
        dim = _softmax_dim("log_softmax", input.dim(), _stacklevel)
    return input.log_softmax(dim, dtype=dtype)


def gumbel_softmax(logits, tau=1.0, hard=False, eps=1e-10, dim=-1):
    """A sample of the Gumbel-softmax (concrete) distribution: softmax((logits + g) / tau,
    dim) with g standard Gumbel noise (-log of Exp(1) draws, from pynet's generator).
    hard=True returns the one-hot argmax in the forward pass with the soft sample's
    gradient (straight-through: y_hard - y_soft.detach() + y_soft). eps is unused, as in
    PyTorch (which deprecates it)."""
    _check_tensor(logits, "gumbel_softmax", "logits")
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    gumbels = -logits.detach().new_empty(tuple(logits.shape)).exponential_().log()
    y_soft = ((logits + gumbels) / tau).softmax(dim)
    if not hard:
        return y_soft
    index = y_soft.argmax(dim, keepdim=True)
    y_hard = logits.detach().new_zeros(tuple(logits.shape)).scatter_(dim, index, 1.0)
    return y_hard - y_soft.detach() + y_soft


# --------------------------------------------------------------------- dropout

def dropout(input, p=0.5, training=True, inplace=False):
    """Inverted dropout: zero each element with probability p, scale the rest by 1/(1-p)."""
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    _check_tensor(input, "dropout")
    if not training or p == 0 or input.numel() == 0:
        return input
    return _C._dropout(input, float(p), bool(inplace))


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Channel dropout: zero each whole channel (N, C) of input (N, C, H, W) with probability
    p and scale the rest by 1/(1-p). A 3-D input is read as (N, C, L), with PyTorch's
    warning."""
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    _check_tensor(input, "dropout2d")
    if input.dim() not in (3, 4):
        raise NotImplementedError(f"pynet dropout2d: expected a 3-D or 4-D input, got "
                                  f"{input.dim()}-D")
    if input.dim() == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise "
                      "1D dropout behavior is desired - input is interpreted as shape (N, C, L), "
                      "where C is the channel dim. This behavior will change in a future release "
                      "to interpret the input as one without a batch dimension, i.e. shape (C, H, "
                      "W). To maintain the 1D channel-wise dropout behavior, please switch to "
                      "using dropout1d instead.", stacklevel=2)
    if not training or p == 0:
        return input
    keep = input.new_empty(tuple(input.shape[:2]) + (1,) * (input.dim() - 2))
    # one draw per channel; the kept ones scaled so that the expectation is unchanged
    mask = keep.bernoulli_(1.0 - p) if p == 1 else keep.bernoulli_(1.0 - p).div_(1.0 - p)
    return input.mul_(mask) if inplace else input * mask


def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


# -alpha' of SELU (= scale * alpha): the value alpha dropout drops an element to
_SELU_NEG_SAT = 1.7580993408473766


def _noise_dropout(input, p, training, inplace, feature, alpha, fn):
    """The dropout variants on one draw: a keep-mask per element, or per (N, C) channel when
    feature (broadcast over the rest), and either the 1/(1-p) scaling of plain dropout or the
    affine map of alpha dropout, which sends a dropped element to SELU's negative saturation
    -alpha' and then rescales (a) and shifts (b) so that zero mean and unit variance are
    kept: a = ((1 - p)(1 + p alpha'^2))^-1/2, b = a alpha' p."""
    _check_p(p)
    _check_tensor(input, fn)
    if p == 0 or not training or input.numel() == 0:
        return input
    if feature and input.dim() < 2:
        raise RuntimeError(f"{fn}: Feature dropout requires at least 2 dimensions in the input")
    if not input.is_floating_point():
        raise RuntimeError(f"{fn}: expected a floating point input, got {input.dtype}")
    if p == 1:  # everything dropped: zeros (also what the affine map gives in the limit)
        return input.mul_(0.0) if inplace else input * 0.0
    shape = tuple(input.shape[:2]) + (1,) * (input.dim() - 2) if feature else tuple(input.shape)
    keep = input.new_empty(shape).bernoulli_(1.0 - p)
    if not alpha:
        keep = keep.div_(1.0 - p)
        return input.mul_(keep) if inplace else input * keep
    a = 1.0 / math.sqrt((_SELU_NEG_SAT ** 2 * p + 1) * (1 - p))
    shift = (keep - 1.0) * (_SELU_NEG_SAT * a) + _SELU_NEG_SAT * a * p
    keep = keep * a
    return input.mul_(keep).add_(shift) if inplace else input * keep + shift


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Alpha dropout (Klambauer et al., 2017), for SELU networks: dropped elements are set to
    SELU's negative saturation and the result is rescaled and shifted so that inputs of zero
    mean and unit variance keep them. The identity unless training (default False)."""
    return _noise_dropout(input, p, training, inplace, False, True, "alpha_dropout")


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Alpha dropout of whole channels: one draw per (N, C) of input (N, C, *), shared by all
    of the channel's positions. The identity unless training (default False)."""
    return _noise_dropout(input, p, training, inplace, True, True, "feature_alpha_dropout")


def _channel_dropout(input, p, training, inplace, batched_dim, fn):
    """Channel dropout of a batched (batched_dim-D) or unbatched input: the unbatched one gets
    a batch dim of 1 for the draw."""
    _check_p(p)
    _check_tensor(input, fn)
    batched = input.dim() == batched_dim
    x = input if batched else input.unsqueeze(0)
    out = _noise_dropout(x, p, training, inplace, True, False, fn)
    if out is x:  # identity (or in place): hand back the caller's tensor
        return input
    return out if batched else out.squeeze(0)


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Channel dropout of input (N, C, L) or unbatched (C, L): each whole channel is zeroed
    with probability p, the rest scaled by 1/(1-p)."""
    _check_tensor(input, "dropout1d")
    if input.dim() not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {input.dim()}D "
                           "input. Note that dropout1d exists to provide channel-wise dropout "
                           "on inputs with 1 spatial dimension, a channel dimension, and an "
                           "optional batch dimension (i.e. 2D or 3D inputs).")
    return _channel_dropout(input, p, training, inplace, 3, "dropout1d")


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Channel dropout of input (N, C, D, H, W) or unbatched (C, D, H, W): each whole channel
    is zeroed with probability p, the rest scaled by 1/(1-p). Other ranks warn, as in
    PyTorch, and are read as unbatched."""
    _check_tensor(input, "dropout3d")
    if input.dim() not in (4, 5):
        warnings.warn(f"dropout3d: Received a {input.dim()}-D input to dropout3d, which is "
                      "deprecated and will result in an error in a future release. To retain "
                      "the behavior and silence this warning, please use dropout instead. Note "
                      "that dropout3d exists to provide channel-wise dropout on inputs with 3 "
                      "spatial dimensions, a channel dimension, and an optional batch dimension "
                      "(i.e. 4D or 5D inputs).", stacklevel=2)
    return _channel_dropout(input, p, training, inplace, 5, "dropout3d")


# --------------------------------------------------------------- normalisation

def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Normalise each channel (dim 1) of input (N, C, *) over the other dims."""
    _check_tensor(input, "batch_norm")
    if training:
        size = input.size()
        n = 1
        for i, s in enumerate(size):
            if i != 1:
                n *= s
        if n == 1:
            raise ValueError("Expected more than 1 value per channel when training, got input "
                             f"size {size}")
    if momentum is None:  # PyTorch's type; the BatchNorm modules handle momentum=None
        raise TypeError("batch_norm(): argument 'momentum' must be float, not NoneType (a "
                        "cumulative average is the BatchNorm module's momentum=None)")
    for t in (running_mean, running_var):
        if t is not None and input.dtype.is_floating_point and t.dtype != input.dtype:
            raise RuntimeError(f"mixed dtype (CPU): batch_norm's running statistics are "
                               f"{t.dtype}, the input {input.dtype}; all must share one dtype")
    return _C._batch_norm(input, running_mean, running_var, weight, bias, bool(training),
                          float(momentum), float(eps))


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalise over the trailing dims given by normalized_shape."""
    _check_tensor(input, "layer_norm")
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    return _C._layer_norm(input, tuple(normalized_shape), weight, bias, float(eps))


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Group normalisation of x (N, C, *): each sample's C channels in num_groups groups,
    each group standardised over its channels and positions (biased variance), then
    scaled by weight and shifted by bias per channel (C,). One fused op forward and
    backward; its backward is an op too, so it is differentiable to any order."""
    _check_tensor(input, "group_norm")
    if input.dim() < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received "
                           f"{input.dim()}")
    n, c = input.shape[0], input.shape[1]
    if num_groups > 0:  # PyTorch's check (and message), though each group may hold many values
        size = [n * c // num_groups, num_groups] + list(input.shape[2:])
        if size[0] * math.prod(size[2:]) == 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input "
                             f"size {size}")
    if num_groups <= 0 or c % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by "
                           f"num_groups, but got input of shape {list(input.shape)} and "
                           f"num_groups={num_groups}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is None:
            continue
        if t.dim() != 1 or t.numel() != c:
            raise RuntimeError(f"Expected {name} to be a vector of size equal to the number of "
                               f"channels in input, but got {name} of shape {list(t.shape)} and "
                               f"input of shape {list(input.shape)}")
        if t.dtype != input.dtype:
            raise RuntimeError(f"group_norm: expected {name} of dtype {input.dtype} (the "
                               f"input's), got {t.dtype}")
    if input.numel():
        return _C._group_norm(input, num_groups, weight, bias, float(eps))
    y = input * 1.0  # nothing to normalise
    shape = (1, c) + (1,) * (input.dim() - 2)
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return y


def _verify_spatial_size(size, fn):
    """Instance statistics need more than one value per (sample, channel)."""
    if math.prod(size[2:]) == 1:
        raise ValueError(f"{fn}: Expected more than 1 spatial element when training, got input "
                         f"size {size}")


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats=True, momentum=0.1, eps=1e-5):
    """Instance normalisation of input (N, C, *): each (sample, channel) plane standardised
    over its own positions (biased variance), then weight and bias per channel (C,).

    With use_input_stats=False the running statistics are used instead (as batch_norm in
    eval mode). Otherwise, given running_mean/running_var (C,), they are updated in place
    with momentum from the batch mean of the per-instance means and unbiased variances.
    Computed as batch_norm of the (1, N * C, *) view, so it is differentiable.
    """
    _check_tensor(input, "instance_norm")
    if not use_input_stats:
        if running_mean is None or running_var is None:
            raise RuntimeError("instance_norm: Expected running_mean and running_var to be "
                               "defined when use_input_stats is false")
        return batch_norm(input, running_mean, running_var, weight, bias, False, momentum, eps)
    _verify_spatial_size(input.size(), "instance_norm")
    n, c = input.shape[0], input.shape[1]
    for name, t in (("weight", weight), ("bias", bias), ("running_mean", running_mean),
                    ("running_var", running_var)):
        if t is not None and t.numel() != c:
            raise RuntimeError(f"instance_norm: {name} should contain {c} elements (the input's "
                               f"channels) not {t.numel()}; input {list(input.shape)}")
    # every (sample, channel) pair becomes one channel of a single-sample batch
    x = input.reshape((1, n * c) + tuple(input.shape[2:]))
    rm = None if running_mean is None else running_mean.detach().repeat(n)
    rv = None if running_var is None else running_var.detach().repeat(n)
    y = _C._batch_norm(x, rm, rv, None if weight is None else weight.repeat(n),
                       None if bias is None else bias.repeat(n), True, float(momentum),
                       float(eps))
    prev = _C._set_grad_enabled(False)
    try:  # the running stats take the batch mean of the per-instance updates (NaN, the
        # mean of nothing, for an empty batch, as torch)
        for run, new in ((running_mean, rm), (running_var, rv)):
            if run is not None:
                run.copy_(new.reshape(n, c).mean(0))
    finally:
        _C._set_grad_enabled(prev)
    return y.reshape(input.shape)


# machine epsilon of each floating dtype: rms_norm's default eps
_FINFO_EPS = {"float32": 2.0 ** -23, "float64": 2.0 ** -52}


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """input / sqrt(mean(input^2) + eps) * weight, the mean over the trailing dims given by
    normalized_shape (Zhang and Sennrich, 2019). eps=None is the machine epsilon of the
    input's dtype."""
    _check_tensor(input, "rms_norm")
    if not isinstance(normalized_shape, (list, tuple)):
        raise TypeError("rms_norm(): argument 'normalized_shape' (position 2) must be tuple of "
                        f"ints, not {type(normalized_shape).__name__}")
    shape = [int(v) for v in normalized_shape]
    nd = len(shape)
    if nd == 0 or input.dim() < nd or list(input.shape[input.dim() - nd:]) != shape:
        raise RuntimeError(f"rms_norm: Given normalized_shape={shape}, expected input with "
                           f"shape [*, {', '.join(map(str, shape))}], but got input of size"
                           f"{list(input.shape)}")
    if weight is not None and list(weight.shape) != shape:
        raise RuntimeError("rms_norm: Expected weight to be of same shape as normalized_shape, "
                           f"but got weight of shape {list(weight.shape)} and normalized_shape "
                           f"= {shape}")
    if not input.is_floating_point():
        raise NotImplementedError(f'rms_norm: "rms_norm" not implemented for {input.dtype} '
                                  "input")
    if eps is None:
        eps = _FINFO_EPS[str(input.dtype).split(".")[-1]]
    dims = tuple(range(-nd, 0))
    y = input * (input.pow(2).mean(dims, keepdim=True) + eps).rsqrt()
    # the weight product is taken in the promoted dtype; the result keeps input's (torch)
    return y if weight is None else (y * weight).to(input.dtype)


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """input / (k + alpha * mean of input^2 over `size` neighbouring channels)^beta, for
    input (N, C, *) (Krizhevsky et al., 2012). The window of channel c spans channels
    c - size // 2 to c + (size - 1) // 2; channels beyond the edges count as zeros."""
    _check_tensor(input, "local_response_norm")
    if input.dim() < 3:
        raise ValueError("local_response_norm: Expected 3D or higher dimensionality input "
                         f"(got {input.dim()} dimensions)")
    if input.numel() == 0:
        return input
    if input.dtype == _C.bool:  # torch averages the squares with avg_pool, which has no bool
        raise NotImplementedError('local_response_norm: "avg_pool2d" not implemented for '
                                  "'bool' input")
    c = input.shape[1]
    # zero-pad the channel dim (F.pad lists the last dim first), then add size shifted slices
    sq = pad(input * input, [0, 0] * (input.dim() - 2) + [size // 2, (size - 1) // 2])
    total = sq.narrow(1, 0, c)
    for i in range(1, size):
        total = total + sq.narrow(1, i, c)
    return input / (total * (alpha / size) + k).pow(beta)


# ---------------------------------------------------------- embedding, one-hot

def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):
    """Rows of weight (num_embeddings, dim) picked by the integer tensor input."""
    if max_norm is not None or scale_grad_by_freq or sparse:
        raise NotImplementedError("pynet embedding: max_norm, scale_grad_by_freq and sparse are "
                                  "not supported")
    _check_tensor(weight, "embedding", "weight")
    if padding_idx is not None:
        if padding_idx > 0:
            assert padding_idx < weight.size(0), "Padding_idx must be within num_embeddings"
        elif padding_idx < 0:
            assert padding_idx >= -weight.size(0), "Padding_idx must be within num_embeddings"
            padding_idx = weight.size(0) + padding_idx
    else:
        padding_idx = -1
    return _C._embedding(input, weight, padding_idx)


def _bag_bounds(input, offsets, include_last_offset):
    """(flat indices as a tensor, [(start, end)] of each bag) for embedding_bag's 1-D input
    with offsets or 2-D input of fixed-length bags (PyTorch's checks and messages)."""
    if input.dim() == 2:
        if offsets is not None:
            raise ValueError("embedding_bag: if input is 2D, then offsets has to be None, as "
                             "input is treated is a mini-batch of fixed length sequences. "
                             f"However, found offsets of type {type(offsets).__name__}")
        b, n = input.shape
        return input.reshape(-1), [(i * n, (i + 1) * n) for i in range(b)]
    if input.dim() != 1:
        raise ValueError("embedding_bag: input has to be 1D or 2D Tensor, but got Tensor of "
                         f"dimension {input.dim()}")
    if offsets is None:
        raise ValueError("embedding_bag: offsets has to be a 1D Tensor but got None")
    _check_tensor(offsets, "embedding_bag", "offsets")
    if offsets.dim() != 1:
        raise ValueError(f"embedding_bag: offsets has to be a 1D Tensor, got shape "
                         f"{list(offsets.shape)}")
    starts, n = [int(v) for v in offsets.tolist()], input.shape[0]
    if starts and starts[0] != 0:
        raise RuntimeError("embedding_bag: offsets[0] has to be 0, i.e., the first sequence in "
                           f"the mini-batch has to start from position 0. However, got "
                           f"{starts[0]}")
    if starts and starts[-1] > n:
        raise RuntimeError(f"embedding_bag: offsets[-1] can not be greater than input's length "
                           f"{n} but got offsets[-1] of {starts[-1]}")
    if any(a > b for a, b in zip(starts, starts[1:])):
        raise RuntimeError(f"embedding_bag: offsets must be non-decreasing, got {starts}")
    ends = starts[1:] if include_last_offset else starts[1:] + [n]
    return input, list(zip(starts, ends))


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2,
                  scale_grad_by_freq=False, mode="mean", sparse=False, per_sample_weights=None,
                  include_last_offset=False, padding_idx=None):
    """Sum, mean or max of the rows of weight (num_embeddings, D) picked by each bag of
    indices -> (B, D), without building the (num_indices, D) lookup per bag.

    Bags: the rows of a 2-D input (B, N), or the runs of a 1-D input starting at offsets (B,)
    (with include_last_offset, offsets has B + 1 entries and the last ends the last bag).
    per_sample_weights (input's shape; mode 'sum' only) scales each row; entries equal to
    padding_idx are left out (not counted by the mean). Empty bags give zeros.
    """
    if max_norm is not None or scale_grad_by_freq or sparse:
        raise NotImplementedError("pynet embedding_bag: max_norm, scale_grad_by_freq and sparse "
                                  "are not supported")
    _check_tensor(input, "embedding_bag")
    _check_tensor(weight, "embedding_bag", "weight")
    if mode not in ("sum", "mean", "max"):
        raise ValueError("embedding_bag: mode has to be one of sum, mean or max")
    if per_sample_weights is not None:
        if mode != "sum":
            raise NotImplementedError("embedding_bag: per_sample_weights was not None. "
                                      "per_sample_weights is only supported for mode='sum' "
                                      f"(got mode='{mode}').")
        if tuple(per_sample_weights.shape) != tuple(input.shape):
            raise ValueError(f"embedding_bag: If per_sample_weights "
                             f"({list(per_sample_weights.shape)}) is not None, then it must "
                             f"have the same shape as the input ({list(input.shape)})")
    if weight.dim() != 2:
        raise ValueError(f"embedding_bag: weight has to be a 2D Tensor, but got Tensor of "
                         f"dimension {weight.dim()} (shape {list(weight.shape)})")
    if input.dtype != _C.int64:
        raise RuntimeError(f"embedding_bag: expected indices of dtype int64, got {input.dtype}")
    if not weight.is_floating_point():
        raise RuntimeError(f"embedding_bag: expected a floating point weight, got "
                           f"{weight.dtype}")
    if per_sample_weights is not None and per_sample_weights.dtype != weight.dtype:
        raise RuntimeError(f"embedding_bag: expected per_sample_weights of weight's dtype "
                           f"{weight.dtype}, got {per_sample_weights.dtype}")
    num, dim = weight.shape
    if padding_idx is not None:
        if not -num <= padding_idx < num:
            raise RuntimeError(f"embedding_bag: padding_idx must be within the number of "
                               f"embeddings, -{num} through {num - 1}, but got {padding_idx}")
        padding_idx %= num
    flat, bounds = _bag_bounds(input, offsets, include_last_offset)
    idx = flat.tolist()
    for i, v in enumerate(idx):
        if not 0 <= v < num:
            raise RuntimeError(f"embedding_bag: Index {i} of input takes value {v} which is not "
                               f"in the valid range [0, {num})")
    # the kept positions of every bag, in order (padding_idx entries dropped)
    bags = [[j for j in range(a, b) if idx[j] != padding_idx] for a, b in bounds]
    pos = [j for bag in bags for j in bag]
    rows = weight.index_select(0, _tensor([idx[j] for j in pos], dtype=_C.int64))
    if per_sample_weights is not None:
        w = per_sample_weights.reshape(-1).index_select(0, _tensor(pos, dtype=_C.int64))
        rows = rows * w.unsqueeze(1)
    return _reduce_bags(rows, bags, mode, weight, dim)


def _reduce_bags(rows, bags, mode, weight, dim):
    """Reduce rows (one per kept entry, bag by bag in order) to one row per bag."""
    counts = [len(b) for b in bags]
    if mode != "max":
        bag_of = [i for i, c in enumerate(counts) for _ in range(c)]
        out = weight.new_zeros((len(bags), dim)).index_add(
            0, _tensor(bag_of, dtype=_C.int64), rows.to(weight.dtype))
        if mode == "mean":
            out = out / _tensor([max(c, 1) for c in counts], dtype=weight.dtype).unsqueeze(1)
        return out
    # max: a (bags, longest, D) table whose gaps point at an extra row of -inf
    longest, n = max(counts, default=0), rows.shape[0]
    if longest == 0:
        # all bags empty: zeros, still attached to the graph (a zero gradient) as in torch
        return weight.new_zeros((len(bags), dim)) + rows.sum() * 0.0
    ext = _C.cat([rows, _C.full((1, dim), float("-inf"), dtype=rows.dtype)])
    table, k = [], 0
    for c in counts:
        table.append(list(range(k, k + c)) + [n] * (longest - c))
        k += c
    vals = ext[_tensor(table, dtype=_C.int64)].max(1).values
    empty = _tensor([c == 0 for c in counts], dtype=_C.bool).unsqueeze(1)
    return _C.where(empty, _C.zeros((), dtype=rows.dtype), vals)


def one_hot(tensor, num_classes=-1):
    """int64 tensor (*, num_classes) with a 1 at each index of tensor (-1: max + 1 classes)."""
    return _C._one_hot(tensor, num_classes)


# ------------------------------------------------------------------------- pad

def _pad_source_index(i, n, mode):
    """The input index that output index i (counted from the first original element, so
    negative in the left padding) copies, for a dimension of size n (reflect, replicate)."""
    if mode == "replicate":
        return min(max(i, 0), n - 1)
    return -i if i < 0 else (2 * (n - 1) - i if i >= n else i)  # reflect (edge not repeated)


def _pad_by_index(input, pads, mode):
    """Non-constant padding as an index gather along each padded dim (differentiable: the
    backward of the gather adds each copy's gradient into the element it came from)."""
    nd = input.dim()
    for k in range(len(pads) // 2):
        dim, (l, r) = nd - 1 - k, (pads[2 * k], pads[2 * k + 1])
        n, m = input.shape[dim], input.shape[dim] - max(0, -l) - max(0, -r)  # m: after crops
        if mode != "circular" and n + l + r < 1:
            raise RuntimeError(f"input ({'WHD'[k]}: {n}) is too small. Calculated output "
                               f"{'WHD'[k]}: {n + l + r}")
        if mode == "reflect" and (l >= n or r >= n):
            raise RuntimeError(f"Argument #4: Padding size should be less than the corresponding "
                               f"input dimension, but got: padding ({l}, {r}) at dimension "
                               f"{dim} of input {list(input.shape)}")
        if mode == "circular" and (l > m or r > m or m < 0):  # wraps what the crops leave
            raise RuntimeError("Padding value causes wrapping around more than once.")
        if mode == "replicate" and n == 0 and (l > 0 or r > 0):
            raise RuntimeError(f"pad(): cannot replicate-pad an empty dimension {dim}")
        if mode == "circular":  # PyTorch crops first, then wraps around what is left
            lo = max(0, -l)
            idx = [lo + i % m for i in range(-max(l, 0), m + max(r, 0))]
        else:
            idx = [_pad_source_index(i, n, mode) for i in range(-l, n + r)]
        input = input[(slice(None),) * dim + (_tensor(idx, dtype=_C.int64),)]
    return input


def pad(input, pad, mode="constant", value=None):
    """Pad (or, with negative sizes, crop) the trailing dims: pad = (left, right, top, ...).

    mode 'constant' fills with value (default 0); 'reflect' mirrors without repeating the
    edge, 'replicate' repeats the edge, 'circular' wraps around (these pad the last 1, 2 or 3
    dims of a batched or unbatched input, as in PyTorch).
    """
    if mode == "constant":
        pads = tuple(pad)
        for k in range(min(len(pads) // 2, input.dim() if isinstance(input, Tensor) else 0)):
            # PyTorch crops (narrows) by the negative sizes before it pads
            if input.shape[-1 - k] + min(pads[2 * k], 0) + min(pads[2 * k + 1], 0) < 0:
                raise RuntimeError("narrow(): length must be non-negative.")
        return _C._pad(input, pads, 0.0 if value is None else float(value))
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    _check_tensor(input, "pad")
    pads, nd = tuple(pad), input.dim()
    if len(pads) not in (2, 4, 6) or nd not in (len(pads) // 2 + 1, len(pads) // 2 + 2):
        raise NotImplementedError(
            f"Padding size {len(pads)} is not supported for {nd}D input tensor.\n"
            "Supported combinations for non-constant padding:\n"
            "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
            "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
            "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")
    return _pad_by_index(input, pads, mode)


# ------------------------------------------------------------- pixel shuffles

def _positive_factor(value, fn, what):
    if value <= 0:
        raise RuntimeError(f"{fn} expects a positive {what}, but got {value}")


def pixel_shuffle(input, upscale_factor):
    """(*, C r^2, H, W) -> (*, C, H r, W r): each group of r^2 channels becomes an r x r block
    of pixels (sub-pixel convolution; Shi et al., 2016)."""
    _check_tensor(input, "pixel_shuffle")
    r = operator.index(upscale_factor)
    if input.dim() < 3:
        raise RuntimeError("pixel_shuffle expects input to have at least 3 dimensions, but got "
                           f"input with {input.dim()} dimension(s)")
    _positive_factor(r, "pixel_shuffle", "upscale_factor")
    *batch, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError("pixel_shuffle expects its input's 'channel' dimension to be "
                           f"divisible by the square of upscale_factor, but input.size(-3)={c} "
                           f"is not divisible by {r * r}")
    nb = len(batch)
    x = input.reshape(tuple(batch) + (c // (r * r), r, r, h, w))
    # (.., C, r1, r2, H, W) -> (.., C, H, r1, W, r2)
    x = x.permute(*range(nb), nb, nb + 3, nb + 1, nb + 4, nb + 2)
    return x.reshape(tuple(batch) + (c // (r * r), h * r, w * r))


def pixel_unshuffle(input, downscale_factor):
    """(*, C, H r, W r) -> (*, C r^2, H, W), the inverse of pixel_shuffle: each r x r block of
    pixels becomes r^2 channels."""
    _check_tensor(input, "pixel_unshuffle")
    r = operator.index(downscale_factor)
    if input.dim() < 3:
        raise RuntimeError("pixel_unshuffle expects input to have at least 3 dimensions, but "
                           f"got input with {input.dim()} dimension(s)")
    _positive_factor(r, "pixel_unshuffle", "downscale_factor")
    *batch, c, h, w = input.shape
    for name, size, d in (("height", h, -2), ("width", w, -1)):
        if size % r:
            raise RuntimeError(f"pixel_unshuffle expects {name} to be divisible by "
                               f"downscale_factor, but input.size({d})={size} is not divisible "
                               f"by {r}")
    nb = len(batch)
    x = input.reshape(tuple(batch) + (c, h // r, r, w // r, r))
    # (.., C, H, r1, W, r2) -> (.., C, r1, r2, H, W)
    x = x.permute(*range(nb), nb, nb + 2, nb + 4, nb + 1, nb + 3)
    return x.reshape(tuple(batch) + (c * r * r, h // r, w // r))


def channel_shuffle(input, groups):
    """Interleave the channels of input (N, C, *) from `groups` groups: the channels read as
    (groups, C / groups) are transposed to (C / groups, groups) (ShuffleNet; Zhang et al.,
    2018)."""
    _check_tensor(input, "channel_shuffle")
    g = operator.index(groups)
    if input.dim() <= 2:
        raise RuntimeError("channel_shuffle expects input with > 2 dims, but got input with "
                           f"sizes {list(input.shape)}")
    if g <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of "
                           f"groups:{g}")
    n, c, rest = input.shape[0], input.shape[1], tuple(input.shape[2:])
    if c % g:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {c} channels "
                           f"and {g} groups.")
    return input.reshape((n, g, c // g) + rest).transpose(1, 2).reshape(input.shape)


def bilinear(input1, input2, weight, bias=None):
    """y_k = input1^T weight[k] input2 + bias[k]: input1 (*, in1), input2 (*, in2) with the same
    batch dims, weight (out, in1, in2), bias (out,) -> (*, out)."""
    for name, t in (("input1", input1), ("input2", input2), ("weight", weight)):
        _check_tensor(t, "bilinear", name)
    if input1.dim() != input2.dim():
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {input1.dim()} and "
                           f"{input2.dim()}")
    for d in range(input1.dim() - 1):
        if input1.shape[d] != input2.shape[d]:
            raise RuntimeError(f"bilinear(): input batch dimensions do not match at dim {d}: "
                               f"got {input1.shape[d]} and {input2.shape[d]}")
    if weight.dim() != 3:
        raise RuntimeError(f"bilinear(): weight must be 3-D (out, in1, in2), got shape "
                           f"{list(weight.shape)}")
    out, in1, in2 = weight.shape
    if input1.shape[-1] != in1:
        raise RuntimeError(f"bilinear(): input1 size does not match weight size: got "
                           f"{input1.shape[-1]} but expected {in1}")
    if input2.shape[-1] != in2:
        raise RuntimeError(f"bilinear(): input2 size does not match weight size: got "
                           f"{input2.shape[-1]} but expected {in2}")
    if bias is not None and tuple(bias.shape) != (out,):
        raise RuntimeError(f"bilinear(): bias size does not match weight size: got "
                           f"{bias.shape[-1] if bias.dim() else 0} but expected {out}")
    # input1 @ W as one matmul: (*, in1) @ (in1, out * in2) -> (*, out, in2), then dot with input2
    t = input1.matmul(weight.permute(1, 0, 2).reshape(in1, out * in2))
    y = (t.reshape(tuple(input1.shape[:-1]) + (out, in2)) * input2.unsqueeze(-2)).sum(-1)
    return y if bias is None else y + bias


# ---------------------------------------------------------------- convolution

def _conv_tuple(value, n, name):
    """An int, or a sequence of 1 or n ints, as a tuple of n ints (PyTorch's rule)."""
    if hasattr(value, "__index__") and not isinstance(value, (bool, Tensor)):
        return (operator.index(value),) * n
    if isinstance(value, Tensor) or not hasattr(value, "__len__"):
        raise TypeError(f"conv{n}d(): argument '{name}' must be tuple of ints, not "
                        f"{type(value).__name__}")
    t = tuple(value)
    if len(t) == 1:
        return t * n
    if len(t) != n:
        raise RuntimeError(f"expected {name} to be a single integer value or a list of {n} values "
                           f"to match the convolution dimensions, but got {name}={list(t)}")
    return t


def _same_padding(input, weight, dilation, nd):
    """padding='same': the total d (k - 1) per dim, split evenly; an odd total's extra
    element goes after the input (right/bottom), added by F.pad as PyTorch does.
    Returns (input, padding)."""
    if weight.dim() != nd + 2:
        return input, (0,) * nd  # the op reports the weight's shape
    total = [dilation[i] * (weight.shape[2 + i] - 1) for i in range(nd)]
    extra = [t % 2 for t in total]
    if any(extra):
        pads = []
        for i in reversed(range(nd)):  # F.pad lists the last dim first
            pads += [0, extra[i]]
        input = pad(input, pads)
    return input, tuple(t // 2 for t in total)


def _conv(input, weight, bias, stride, padding, dilation, groups, nd):
    """conv1d/conv2d: argument normalisation, 'same'/'valid', unbatched input."""
    name = f"conv{nd}d"
    _check_tensor(input, name)
    _check_tensor(weight, name, "weight")
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to "
                           f"{name}, but got input of size: {list(input.shape)}")
    stride = _conv_tuple(stride, nd, "stride")
    dilation = _conv_tuple(dilation, nd, "dilation")
    unbatched = input.dim() == nd + 1
    if unbatched:
        input = input.unsqueeze(0)
    if isinstance(padding, str):
        if padding == "valid":
            padding = (0,) * nd
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            input, padding = _same_padding(input, weight, dilation, nd)
        else:
            raise RuntimeError(f"Invalid padding string: '{padding}'")
    else:
        padding = _conv_tuple(padding, nd, "padding")
    if isinstance(groups, bool) or not isinstance(groups, int):
        raise TypeError(f"{name}(): argument 'groups' must be int, not {type(groups).__name__}")
    out = _C._convolution(input, weight, bias, stride, padding, dilation, groups)
    return out.squeeze(0) if unbatched else out


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution (cross-correlation) over input (N, C, L) or (C, L).

    weight (out_channels, C / groups, kW), bias (out_channels,) or None -> (N, out_channels, Lo)
    with Lo = floor((L + 2 padding - dilation (kW - 1) - 1) / stride) + 1. padding may be an
    int, a 1-tuple, 'valid' (no padding) or 'same' (output length L; stride 1 only).
    """
    return _conv(input, weight, bias, stride, padding, dilation, groups, 1)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution (cross-correlation) over input (N, C, H, W) or (C, H, W).

    weight (out_channels, C / groups, kH, kW), bias (out_channels,) or None ->
    (N, out_channels, Ho, Wo) with Ho = floor((H + 2 padding - dilation (kH - 1) - 1) / stride)
    + 1 (Wo likewise). stride, padding, dilation: an int or a pair; padding may also be 'valid'
    or 'same' (stride 1 only). groups splits the channels into independent convolutions
    (groups = C: depthwise). Computed by im2col + GEMM.
    """
    return _conv(input, weight, bias, stride, padding, dilation, groups, 2)


def _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, nd):
    """conv_transpose1d/2d: argument normalisation and unbatched input."""
    name = f"conv_transpose{nd}d"
    _check_tensor(input, name)
    _check_tensor(weight, name, "weight")
    if isinstance(padding, str):
        raise TypeError(f"{name}(): argument 'padding' must be tuple of ints, not str")
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to "
                           f"{name}, but got input of size: {list(input.shape)}")
    args = [_conv_tuple(v, nd, n) for v, n in ((stride, "stride"), (padding, "padding"),
                                               (dilation, "dilation"),
                                               (output_padding, "output_padding"))]
    if isinstance(groups, bool) or not isinstance(groups, int):
        raise TypeError(f"{name}(): argument 'groups' must be int, not {type(groups).__name__}")
    unbatched = input.dim() == nd + 1
    if unbatched:
        input = input.unsqueeze(0)
    out = _C._convolution(input, weight, bias, args[0], args[1], args[2], groups, True, args[3])
    return out.squeeze(0) if unbatched else out


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """1-D transposed convolution (the input gradient of conv1d) over input (N, C_in, L) or
    (C_in, L).

    weight (C_in, out_channels / groups, kW) -> (N, out_channels, Lo) with
    Lo = (L - 1) stride - 2 padding + dilation (kW - 1) + output_padding + 1.
    """
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups,
                           dilation, 1)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """2-D transposed convolution (the input gradient of conv2d; "deconvolution") over input
    (N, C_in, H, W) or (C_in, H, W).

    weight (C_in, out_channels / groups, kH, kW) -> (N, out_channels, Ho, Wo) with
    Ho = (H - 1) stride - 2 padding + dilation (kH - 1) + output_padding + 1 (Wo likewise);
    output_padding (smaller than stride or dilation) adds rows/columns at the end.
    """
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups,
                           dilation, 2)


def _fold_pair(value, name):
    """An int or a pair of ints as a pair (unfold/fold's rule)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return (value, value)
    t = tuple(value)
    if len(t) != 2:
        raise RuntimeError(f"It is expected {name} equals to 2, but got size {len(t)}")
    return t


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Sliding blocks of input (N, C, H, W) as columns: (N, C * kH * kW, L) (im2col).

    Column l holds the kH x kW block of every channel that the l-th position of the kernel
    covers (row-major over the Ho x Wo positions, L = Ho * Wo). conv2d(x, w) equals
    (w.view(O, -1) @ unfold(x, k)).view(N, O, Ho, Wo).
    """
    _check_tensor(input, "unfold")
    return _C._im2col(input, _fold_pair(kernel_size, "kernel_size"),
                      _fold_pair(dilation, "dilation"), _fold_pair(padding, "padding"),
                      _fold_pair(stride, "stride"))


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """The adjoint of unfold: columns (N, C * kH * kW, L) summed back into images
    (N, C, *output_size); values of overlapping blocks are added (col2im)."""
    _check_tensor(input, "fold")
    return _C._col2im(input, _fold_pair(output_size, "output_size"),
                      _fold_pair(kernel_size, "kernel_size"), _fold_pair(dilation, "dilation"),
                      _fold_pair(padding, "padding"), _fold_pair(stride, "stride"))


# -------------------------------------------------------------------- pooling

def _pool_pair(value, name, fn):
    """An int, or a sequence of one or two ints, as a pair (pooling's rule)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return (value, value)
    t = tuple(value)
    if len(t) not in (1, 2):
        raise RuntimeError(f"{fn}: {name} must either be a single int, or a tuple of two ints")
    return t * 2 if len(t) == 1 else t


def _pool_single(value, name, fn):
    """An int or a one-element sequence as an int (1-D pooling's rule)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    t = tuple(value)
    if len(t) != 1:
        raise RuntimeError(f"{fn}: {name} must be a single int, got {name}={list(t)}")
    return t[0]


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Maximum over kH x kW windows of input (N, C, H, W) or (C, H, W).

    stride defaults to kernel_size; padding (at most half the window) is never the maximum;
    output size floor((H + 2 padding - dilation (kH - 1) - 1) / stride) + 1, or rounded up
    with ceil_mode. return_indices=True also returns each maximum's flat index in its H x W
    plane (int64), as MaxUnpool expects.
    """
    _check_tensor(input, "max_pool2d")
    k = _pool_pair(kernel_size, "kernel_size", "max_pool2d")
    s = k if stride is None or (hasattr(stride, "__len__") and len(stride) == 0) else \
        _pool_pair(stride, "stride", "max_pool2d")
    return _C._max_pool2d(input, k, s, _pool_pair(padding, "padding", "max_pool2d"),
                          _pool_pair(dilation, "dilation", "max_pool2d"), bool(ceil_mode),
                          bool(return_indices))


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Maximum over windows of kernel_size along the last dim of input (N, C, L) or (C, L);
    as max_pool2d (which it calls with a unit height)."""
    _check_tensor(input, "max_pool1d")
    if input.dim() not in (2, 3):
        raise RuntimeError("max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 "
                           f"dim batch size for input, but got:{list(input.shape)}")
    k = _pool_single(kernel_size, "kernel_size", "max_pool1d")
    s = k if stride is None or (hasattr(stride, "__len__") and len(stride) == 0) else \
        _pool_single(stride, "stride", "max_pool1d")
    out = _C._max_pool2d(input.unsqueeze(-2), (1, k), (1, s),
                         (0, _pool_single(padding, "padding", "max_pool1d")),
                         (1, _pool_single(dilation, "dilation", "max_pool1d")), bool(ceil_mode),
                         bool(return_indices))
    if return_indices:
        return out[0].squeeze(-2), out[1].squeeze(-2)
    return out.squeeze(-2)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """Mean over kH x kW windows of input (N, C, H, W) or (C, H, W).

    stride defaults to kernel_size. The divisor is the window size, counting the zero
    padding (count_include_pad=True) or not, or divisor_override when given.
    """
    _check_tensor(input, "avg_pool2d")
    k = _pool_pair(kernel_size, "kernel_size", "avg_pool2d")
    s = k if stride is None or (hasattr(stride, "__len__") and len(stride) == 0) else \
        _pool_pair(stride, "stride", "avg_pool2d")
    return _C._avg_pool2d(input, k, s, _pool_pair(padding, "padding", "avg_pool2d"),
                          bool(ceil_mode), bool(count_include_pad), divisor_override)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    """Mean over windows along the last dim of input (N, C, L) or (C, L); as avg_pool2d
    (which it calls with a unit height)."""
    _check_tensor(input, "avg_pool1d")
    if input.dim() not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.dim()}-dimensional "
                           "tensor for argument #1 'self' (while checking arguments for "
                           "avg_pool1d)")
    k = _pool_single(kernel_size, "kernel_size", "avg_pool1d")
    s = k if stride is None or (hasattr(stride, "__len__") and len(stride) == 0) else \
        _pool_single(stride, "stride", "avg_pool1d")
    return _C._avg_pool2d(input.unsqueeze(-2), (1, k), (1, s),
                          (0, _pool_single(padding, "padding", "avg_pool1d")), bool(ceil_mode),
                          bool(count_include_pad), None).squeeze(-2)


def _lp_pool(input, norm_type, kernel, stride, ceil_mode, nd):
    """Shared body of lp_pool1d/2d; kernel is the int (nd=1) or pair (nd=2) window size."""
    fn = f"lp_pool{nd}d"
    max_pool, avg_pool = (max_pool1d, avg_pool1d) if nd == 1 else (max_pool2d, avg_pool2d)
    if isinstance(norm_type, (int, float)) and math.isinf(norm_type):
        # the limits of the power mean: max |x| for +inf, min |x| for -inf (as torch)
        if norm_type > 0:
            return max_pool(input.abs(), kernel, stride, 0, 1, ceil_mode)
        return -max_pool(-input.abs(), kernel, stride, 0, 1, ceil_mode)
    if nd == 2 and input.dim() < 3:  # torch's avg_pool2d fails on a missing dim: IndexError
        raise IndexError(f"{fn}: Dimension out of range (expected to be in range of "
                         f"[{-input.dim()}, {input.dim() - 1}], but got {-nd - 1})")
    size = kernel if nd == 1 else kernel[0] * kernel[1]
    powered = input.pow(norm_type)
    if powered.is_floating_point():
        out = avg_pool(powered, kernel, stride, 0, ceil_mode)
    else:
        # integer input to an integer power: torch averages in integer arithmetic, the
        # window sum divided by the window size with truncation toward zero. The float64
        # sums are exact integers (below 2**53), so round them back and divide as C does.
        sums = avg_pool(powered.double(), kernel, stride, 0, ceil_mode).mul(size).round()
        out = sums.long().div(size, rounding_mode="trunc")
    # sign * relu(|out|) is out itself, but its gradient is 0 (not undefined) where out = 0
    return (out.sign() * out.abs().relu()).mul(size).pow(1.0 / norm_type)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Power-average pooling: (sum over each kH x kW window of x^p)^(1/p), p = norm_type,
    over input (N, C, H, W) or (C, H, W); p = 1 is sum pooling. Computed as avg_pool2d of
    x^p times the window size (so no padding). p = inf gives max_pool2d(|x|) and p = -inf
    -max_pool2d(-|x|) (the min of |x|), the limits of the power mean."""
    _check_tensor(input, "lp_pool2d")
    k = _pool_pair(kernel_size, "kernel_size", "lp_pool2d")
    return _lp_pool(input, norm_type, k, stride, ceil_mode, 2)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Power-average pooling along the last dim of input (N, C, L) or (C, L): (sum over each
    window of x^p)^(1/p), p = norm_type; p = +-inf as in lp_pool2d."""
    _check_tensor(input, "lp_pool1d")
    k = _pool_single(kernel_size, "kernel_size", "lp_pool1d")
    return _lp_pool(input, norm_type, k, stride, ceil_mode, 1)


def _unpool_output_size(input, kernel_size, stride, padding, output_size):
    """Default (in - 1) stride - 2 padding + kernel per spatial dim, or output_size (of
    len(kernel_size) or that + 2 entries) checked to lie within a stride of it."""
    n = len(kernel_size)
    default = [(input.shape[input.dim() - n + d] - 1) * stride[d] + kernel_size[d] -
               2 * padding[d] for d in range(n)]
    if output_size is None:
        return default
    size = list(output_size)
    if len(size) == n + 2:
        size = size[2:]
    if len(size) != n:
        raise ValueError(f"output_size should be a sequence containing {n} or {n + 2} "
                         f"elements, but it has a length of '{len(size)}'")
    for d in range(n):
        lo, hi = default[d] - stride[d], default[d] + stride[d]
        if not lo < size[d] < hi:
            raise ValueError(f'invalid output_size "{output_size}" (dim {d} must be between '
                             f'{lo} and {hi})')
    return size


def _max_unpool(input, indices, size, fn):
    """Scatter input (*, H, W) into zeros (*, Ho, Wo) at the flat plane positions indices
    (as max_pool2d's return_indices gives); scatter's backward gathers the gradient back."""
    _check_tensor(input, fn)
    _check_tensor(indices, fn, "indices")
    if not input.is_floating_point():
        raise NotImplementedError(f'{fn}: "max_unpool2d" not implemented for {input.dtype} '
                                  "input")
    if input.dim() not in (3, 4):
        raise RuntimeError(f"{fn}: Input to max_unpooling2d should be a 3d or 4d Tensor, but "
                           f"got a tensor with {input.dim()} dimensions.")
    if tuple(indices.shape) != tuple(input.shape):
        raise RuntimeError(f"{fn}: Expected shape of indices to be same as that of the input "
                           f"tensor ({list(input.shape)}) but got indices tensor with shape: "
                           f"{list(indices.shape)}")
    if indices.dtype != _C.int64:
        raise RuntimeError(f"{fn}: elements in indices should be type int64 but got: "
                           f"{indices.dtype}")
    ho, wo = size
    lead, plane = tuple(input.shape[:-2]), input.shape[-2] * input.shape[-1]
    flat_idx = indices.reshape(lead + (plane,))
    if flat_idx.numel():
        lo, hi = flat_idx.min().item(), flat_idx.max().item()
        if lo < 0 or hi >= ho * wo:
            bad = hi if hi >= ho * wo else lo
            raise RuntimeError(f"{fn}: Found an invalid max index: {bad} (output volumes are "
                               f"of size {ho}x{wo})")
    out = input.new_zeros(lead + (ho * wo,))
    return out.scatter(-1, flat_idx, input.reshape(lead + (plane,))).reshape(lead + (ho, wo))


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Partial inverse of max_pool2d: each value of input (N, C, H, W) or (C, H, W) is put at
    the position its index names in an otherwise zero (Ho, Wo) plane; Ho, Wo default to
    (H - 1) stride - 2 padding + kernel_size (output_size picks another size within a
    stride)."""
    k = _pool_pair(kernel_size, "kernel_size", "max_unpool2d")
    s = k if stride is None else _pool_pair(stride, "stride", "max_unpool2d")
    pd = _pool_pair(padding, "padding", "max_unpool2d")
    _check_tensor(input, "max_unpool2d")
    size = _unpool_output_size(input, k, s, pd, output_size)
    return _max_unpool(input, indices, size, "max_unpool2d")


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Partial inverse of max_pool1d over input (N, C, L) or (C, L): as max_unpool2d on a unit
    width, output length (L - 1) stride - 2 padding + kernel_size by default."""
    k = (_pool_single(kernel_size, "kernel_size", "max_unpool1d"),)
    s = k if stride is None else (_pool_single(stride, "stride", "max_unpool1d"),)
    pd = (_pool_single(padding, "padding", "max_unpool1d"),)
    _check_tensor(input, "max_unpool1d")
    _check_tensor(indices, "max_unpool1d", "indices")
    size = _unpool_output_size(input, k, s, pd, output_size)
    return _max_unpool(input.unsqueeze(-1), indices.unsqueeze(-1), (size[0], 1),
                       "max_unpool1d").squeeze(-1)


def _adaptive_size(input, output_size, name):
    """output_size (an int, or a pair whose None entries keep the input's size) as a pair."""
    if isinstance(output_size, int) and not isinstance(output_size, bool):
        return (output_size, output_size)
    t = tuple(output_size)
    if len(t) != 2:
        raise RuntimeError(f"{name}: output_size must be 2")
    return tuple(input.shape[-2 + i] if v is None else v for i, v in enumerate(t))


def _adaptive_1d(input, output_size, name, max, return_indices):
    """The 1-D adaptive poolings: the 2-D op on a unit height."""
    _check_tensor(input, name)
    if input.dim() not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.dim()}-dimensional "
                           f"tensor for argument #1 'self' (while checking arguments for {name})")
    size = _pool_single(output_size, "output_size", name)
    out = _C._adaptive_pool2d(input.unsqueeze(-2), (1, size), max, return_indices)
    if max and return_indices:
        return out[0].squeeze(-2), out[1].squeeze(-2)
    return out.squeeze(-2)


def adaptive_avg_pool2d(input, output_size):
    """Mean pooling of input (N, C, H, W) or (C, H, W) to output_size (Ho, Wo): window i spans
    rows floor(i H / Ho) to ceil((i + 1) H / Ho), columns likewise. None keeps a size."""
    _check_tensor(input, "adaptive_avg_pool2d")
    return _C._adaptive_pool2d(input, _adaptive_size(input, output_size,
                                                     "adaptive_avg_pool2d"), False, False)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max pooling of input (N, C, H, W) or (C, H, W) to output_size (Ho, Wo), windows as in
    adaptive_avg_pool2d; return_indices=True also returns each maximum's flat index."""
    _check_tensor(input, "adaptive_max_pool2d")
    return _C._adaptive_pool2d(input, _adaptive_size(input, output_size,
                                                     "adaptive_max_pool2d"), True,
                               bool(return_indices))


def adaptive_avg_pool1d(input, output_size):
    """Mean pooling of input (N, C, L) or (C, L) to output_size windows along the last dim."""
    return _adaptive_1d(input, output_size, "adaptive_avg_pool1d", False, False)


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """Max pooling of input (N, C, L) or (C, L) to output_size windows along the last dim."""
    return _adaptive_1d(input, output_size, "adaptive_max_pool1d", True, bool(return_indices))


# -------------------------------------------------------------------- interpolate

_LINEAR_MODE_DIMS = {"linear": 3, "bilinear": 4, "trilinear": 5}


def _interp_sizes(input, size, scale_factor, dim):
    """(output_size, scale_factors) from interpolate's size and scale_factor: exactly one is a
    list of dim values, the other None (PyTorch's checks and messages)."""
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        if not isinstance(size, (list, tuple)):
            return [size] * dim, None
        if len(size) != dim:
            raise ValueError(
                "Input and output must have the same number of spatial dimensions, but got "
                f"input with spatial dimensions of {list(input.shape[2:])} and output size of "
                f"{size}. Please provide input tensor in (N, C, d1, d2, ...,dK) format and "
                "output size in (o1, o2, ...,oK) format.")
        if not all(isinstance(v, int) or (isinstance(v, Tensor) and v.dim() == 0 and
                                          not v.dtype.is_floating_point) for v in size):
            raise TypeError("expected size to be one of int or Tuple[int] or Tuple[int, int] or "
                            f"Tuple[int, int, int], but got size with types "
                            f"{[type(v) for v in size]}")
        return list(size), None
    if scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    if not isinstance(scale_factor, (list, tuple)):
        return None, [scale_factor] * dim
    if len(scale_factor) != dim:
        raise ValueError(
            "Input and scale_factor must have the same number of spatial dimensions, but got "
            f"input with spatial dimensions of {list(input.shape[2:])} and scale_factor of "
            f"shape {scale_factor}. Please provide input tensor in (N, C, d1, d2, ...,dK) "
            "format and scale_factor in (s1, s2, ...,sK) format.")
    return None, list(scale_factor)


def _interp_unsupported(input, mode, antialias, align_corners):
    """The modes pynet has no kernel for, and PyTorch's errors for a mode that does not fit
    the input's dims: always raises."""
    nd = input.dim()
    if mode == "bicubic" and nd == 4:
        raise NotImplementedError("interpolate: mode 'bicubic' is not implemented in pynet")
    if mode == "area" and nd == 5:
        raise NotImplementedError("interpolate: mode 'area' is not implemented in pynet for "
                                  "5-D input")
    if mode == "lanczos" and nd == 4:
        if align_corners:
            raise ValueError("Lanczos mode does not support align_corners=True")
        if not antialias:
            raise ValueError("Lanczos mode requires antialias=True")
        raise NotImplementedError("interpolate: mode 'lanczos' is not implemented in pynet")
    for m, need in _LINEAR_MODE_DIMS.items():
        if mode == m and nd in (3, 4, 5):
            raise NotImplementedError(f"Got {nd}D input, but {m} mode needs {need}D input")
    raise NotImplementedError(
        f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {nd}D) for the modes: "
        "nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact "
        f"(got {mode})")


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resample input (N, C, *spatial) to size, or by scale_factor, as torch's interpolate.

    Modes: 'nearest' and 'nearest-exact' (3-D, 4-D, 5-D input), 'linear' (3-D), 'bilinear'
    (4-D), 'trilinear' (5-D), with align_corners (default False: pixel centres, source index
    (o + 0.5) / scale - 0.5; True: corners, o (in - 1) / (out - 1)), and 'area' (3-D, 4-D:
    adaptive average pooling). With scale_factor the output size is floor(in * scale) and
    the source index uses 1 / scale_factor, unless recompute_scale_factor=True, which uses
    in / out as when a size is given.

    antialias=True (mode 'bilinear', 4-D input; PyTorch's _upsample_bilinear2d_aa): each
    output pixel averages the input under a triangle filter of half-width max(scale, 1)
    input pixels centred on scale (o + 0.5), weights normalised to sum 1, W first, then H;
    so downsampling averages over every input pixel instead of sampling two, and
    upsampling equals plain bilinear up to rounding. A dim whose size does not change is
    left as it is. Differentiable (twice and more). 'bicubic' and 'lanczos' raise
    NotImplementedError.
    """
    _check_tensor(input, "interpolate")
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating "
                             "modes: linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    dim = input.dim() - 2
    output_size, scale_factors = _interp_sizes(input, size, scale_factor, dim)
    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if mode == "area" and output_size is None:
        recompute_scale_factor = True
    if recompute_scale_factor:
        output_size = [int(input.shape[i + 2] * scale_factors[i]) for i in range(dim)]
        scale_factors = None
    if antialias and not (mode in ("bilinear", "bicubic", "lanczos") and input.dim() == 4):
        raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos "
                         "modes and requires a 4-D tensor as input")
    sizes = None if output_size is None else tuple(output_size)
    scales = None if scale_factors is None else tuple(scale_factors)
    if mode in ("nearest", "nearest-exact") and input.dim() in (3, 4, 5):
        return _C._interpolate(input, mode, sizes, scales, False)
    if mode == "area" and input.dim() in (3, 4):
        pool = adaptive_avg_pool1d if input.dim() == 3 else adaptive_avg_pool2d
        return pool(input, sizes if input.dim() == 4 else sizes[0])
    if _LINEAR_MODE_DIMS.get(mode) == input.dim():
        return _C._interpolate(input, "linear", sizes, scales, bool(align_corners),
                               bool(antialias))
    _interp_unsupported(input, mode, antialias, align_corners)


# ----------------------------------------------------------------- attention

def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None, enable_gqa=False):
    """softmax(query @ key^T * scale + mask) @ value, fused in C (no L x S matrix is
    stored; ``is_causal`` masks key j > query i without building a mask).

    query (*, L, E), key (*, S, E), value (*, S, Ev) -> (*, L, Ev); ``attn_mask`` bool
    (True: take part) or float (added), broadcastable to (*, L, S); ``scale``
    defaults to 1/sqrt(E). A query row whose keys are all masked gives zeros, as
    PyTorch's CPU kernel does. Dropout draws from pynet's global generator.
    """
    if enable_gqa:
        raise NotImplementedError("scaled_dot_product_attention: enable_gqa=True is not "
                                  "supported by pynet (repeat key and value over the heads)")
    for name, t in (("query", query), ("key", key), ("value", value)):
        _check_tensor(t, "scaled_dot_product_attention", name)
    batches = [tuple(t.shape[:-2]) for t in (query, key, value)]
    if min(t.dim() for t in (query, key, value)) >= 2 and len(set(batches)) > 1:
        # batch dims broadcast as PyTorch's (query (B, H, L, E) with key (1, H, S, E) ...):
        # expanded views, whose gradients the expand's backward sums back
        from .. import broadcast_shapes  # (pynet is fully imported by the first call)
        batch = broadcast_shapes(*batches)
        query, key, value = (t.expand(*batch, *t.shape[-2:]) for t in (query, key, value))
    return _C._sdpa(query, key, value, attn_mask, float(dropout_p), bool(is_causal),
                    None if scale is None else float(scale))
