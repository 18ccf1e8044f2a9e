"""pynet: a deep-learning library to learn on, with PyTorch's API over a small C core.

    import pynet as torch
    x = torch.randn(3, requires_grad=True)
    (x * x).sum().backward()
    x.grad   # 2 * x
"""
from collections import namedtuple as _namedtuple

from . import _C
from ._C import bool, float32, float64, int64, dtype  # noqa: A004 (the dtype objects)
from ._C import (cat, empty, from_numpy, full, get_num_threads, get_rng_state, initial_seed,
                 is_grad_enabled, manual_seed, ones, set_num_threads, set_rng_state, stack, where,
                 zeros)
from ._tensor import Size, Tensor, device_type as device
from ._creation import (arange, as_tensor, bernoulli, empty_like, eye, full_like, linspace,
                        normal, ones_like, rand, rand_like, randint, randn, randn_like, randperm,
                        tensor, zeros_like)
from . import autograd
from .autograd import enable_grad, inference_mode, no_grad, set_grad_enabled
from .serialization import load, save
from . import nn, optim  # noqa: E402
from .nn.summary import summary  # noqa: E402

float = float32  # noqa: A001  (torch.float is float32)
double = float64
long = int64
int = int64  # noqa: A001  (pynet has one integer type)
__version__ = "0.1.0"

_return_types = _namedtuple("return_types", ["values", "indices"])
_C._set_classes(Tensor, Size, _return_types)

FloatTensor = DoubleTensor = LongTensor = BoolTensor = Tensor


def is_tensor(obj):
    return isinstance(obj, Tensor)


def numel(input):
    return input.numel()


def _method(name, doc=None):
    def fn(input, *args, **kwargs):
        if not isinstance(input, Tensor):
            input = tensor(input)
        return getattr(input, name)(*args, **kwargs)
    fn.__name__ = name
    fn.__doc__ = doc or f"pynet.{name}(input, ...) is input.{name}(...)"
    return fn


for _name in ["abs", "neg", "exp", "log", "sqrt", "sigmoid", "tanh", "relu", "sign", "reciprocal",
              "square", "sin", "cos", "log1p", "expm1", "floor", "ceil", "round", "trunc",
              "clamp", "clip", "sum", "mean", "prod", "amax", "amin", "argmax", "argmin", "var",
              "std", "logsumexp", "softmax", "log_softmax", "reshape", "view_as", "transpose",
              "permute", "squeeze", "unsqueeze", "flatten", "narrow", "select", "t", "split",
              "chunk", "unbind", "matmul", "mm", "bmm", "dot", "eq", "ne", "lt", "le", "gt", "ge",
              "maximum", "minimum", "any", "all", "clone", "detach", "isnan", "isinf",
              "isfinite", "nonzero", "flip", "masked_fill", "logical_not", "logical_and",
              "logical_or", "logical_xor", "bitwise_not", "bitwise_and", "bitwise_or",
              "bitwise_xor", "floor_divide", "remainder", "true_divide", "max", "min", "add",
              "sub", "mul", "div", "pow", "numel"]:
    globals()[_name] = _method(_name)

multiply, divide, subtract, negative = mul, div, sub, neg  # noqa: F821


def sqrt_(x):
    return x.sqrt_()


def concat(tensors, dim=0):
    return cat(tensors, dim)


concatenate = concat


def _pow_wrapper(input, exponent):
    if isinstance(input, Tensor):
        return input.pow(exponent)
    return tensor(input) ** exponent if not isinstance(exponent, Tensor) else input ** exponent


pow = _pow_wrapper  # noqa: A001


def broadcast_shapes(*shapes):
    import numpy as _np

    return Size(_np.broadcast_shapes(*shapes))


def broadcast_tensors(*tensors):
    shape = broadcast_shapes(*(t.shape for t in tensors))
    return tuple(t.expand(shape) for t in tensors)


