"""Linear, Identity, Flatten, Unflatten."""
import math

from ... import _C
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module


def _weight_and_bias(module, weight_shape, bias_size, bias, dtype):
    """Registers module.weight (uninitialised, weight_shape) and module.bias ((bias_size,), or
    None when bias is False), in that order, of dtype
    (default: the default dtype, float32 unless set_default_dtype changed it)."""
    dtype = dtype or _C._get_default_dtype()
    module.weight = Parameter(_C.empty(weight_shape, dtype=dtype))
    if bias:
        module.bias = Parameter(_C.empty((bias_size,), dtype=dtype))
    else:
        module.register_parameter("bias", None)


def _uniform_weight_and_bias(module, fan_in):
    """Weight and bias (if any) uniform in [-1/sqrt(fan_in), 1/sqrt(fan_in)]; zeros when
    fan_in is 0 (no 1/0 bound)."""
    bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
    init.uniform_(module.weight, -bound, bound)
    if module.bias is not None:
        init.uniform_(module.bias, -bound, bound)


class Identity(Module):
    """Returns its input unchanged (arguments are accepted and ignored)."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


class Linear(Module):
    """y = x W^T + b, with W of shape (out_features, in_features).

    Initialised as PyTorch does: W and b uniform in [-1/sqrt(in), 1/sqrt(in)]
    (kaiming_uniform with a = sqrt(5) reduces to this bound).
    """

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        _weight_and_bias(self, (out_features, in_features), out_features, bias, dtype)
        self.reset_parameters()

    def reset_parameters(self):
        """Weight and bias uniform in [-1/sqrt(in_features), 1/sqrt(in_features)]."""
        _uniform_weight_and_bias(self, self.in_features)

    def forward(self, input):
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Flatten(Module):
    """Flatten dims start_dim..end_dim (default: all but the batch dim)."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, input):
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Expand dim into the shape unflattened_size."""

    def __init__(self, dim, unflattened_size):
        super().__init__()
        self.dim, self.unflattened_size = dim, tuple(unflattened_size)

    def forward(self, input):
        return input.unflatten(self.dim, self.unflattened_size)

    def extra_repr(self):
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


class Bilinear(Module):
    """y = x1^T A x2 + b, with A of shape (out_features, in1_features, in2_features).

    Initialised as PyTorch does: A and b uniform in [-1/sqrt(in1), 1/sqrt(in1)].
    """

    def __init__(self, in1_features, in2_features, out_features, bias=True, device=None,
                 dtype=None):
        super().__init__()
        self.in1_features, self.in2_features = in1_features, in2_features
        self.out_features = out_features
        _weight_and_bias(self, (out_features, in1_features, in2_features), out_features, bias,
                         dtype)
        self.reset_parameters()

    def reset_parameters(self):
        """Weight and bias uniform in [-1/sqrt(in1_features), 1/sqrt(in1_features)]."""
        if self.in1_features <= 0:  # the bound 1/sqrt(in1_features) needs in1_features > 0
            raise ValueError(f"in1_features must be > 0, but got "
                             f"(in1_features={self.in1_features})")
        _uniform_weight_and_bias(self, self.weight.shape[1])

    def forward(self, input1, input2):
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self):
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")
