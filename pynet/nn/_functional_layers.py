"""Layer ops of pynet.nn.functional (PyTorch's torch.nn.functional signatures).

Each function checks and normalises its arguments the way PyTorch does, then
calls a C op of pynet._C (csrc/python/ops_nn.c) that runs forward and records
its own backward.
"""
import warnings

from .. import _C
from .._tensor import Tensor

__all__ = ["linear", "relu", "relu_", "leaky_relu", "elu", "gelu", "softplus", "prelu",
           "hardtanh", "silu", "sigmoid", "tanh", "softmax", "log_softmax", "dropout",
           "batch_norm", "layer_norm", "embedding", "one_hot", "pad"]

# activation kinds, as numbered in csrc/kernels/nn.h (pn_act)
_LEAKY_RELU, _ELU, _GELU, _GELU_TANH, _SOFTPLUS, _HARDTANH, _SILU = range(7)


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
    if not input.is_floating_point():
        return input.clamp_(min_val, max_val) if inplace else input.clamp(min_val, max_val)
    return _C._activation(input, _HARDTANH, float(min_val), float(max_val), bool(inplace))


def silu(input, inplace=False):
    """input * sigmoid(input) (also called swish)."""
    _check_tensor(input, "silu")
    return _C._activation(input, _SILU, 0.0, 0.0, bool(inplace))


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


# --------------------------------------------------------------------- dropout

def dropout(input, p=0.5, training=True, inplace=False):
    """Inverted dropout: zero each element with probability p, scale the rest by 1/(1-p)."""
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    _check_tensor(input, "dropout")
    if not training or p == 0 or input.numel() == 0:
        return input
    return _C._dropout(input, float(p), bool(inplace))


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
    if momentum is None:
        raise NotImplementedError("pynet batch_norm: momentum=None (cumulative average) is "
                                  "handled by the BatchNorm module, not the functional form")
    return _C._batch_norm(input, running_mean, running_var, weight, bias, bool(training),
                          float(momentum), float(eps))


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalise over the trailing dims given by normalized_shape."""
    _check_tensor(input, "layer_norm")
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    return _C._layer_norm(input, tuple(normalized_shape), weight, bias, float(eps))


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


def one_hot(tensor, num_classes=-1):
    """int64 tensor (*, num_classes) with a 1 at each index of tensor (-1: max + 1 classes)."""
    return _C._one_hot(tensor, num_classes)


# ------------------------------------------------------------------------- pad

def pad(input, pad, mode="constant", value=None):
    """Pad (or, with negative sizes, crop) the trailing dims: pad = (left, right, top, ...)."""
    if mode != "constant":
        raise NotImplementedError(f"pynet pad: only mode='constant' is supported, got '{mode}'")
    return _C._pad(input, tuple(pad), 0.0 if value is None else float(value))
