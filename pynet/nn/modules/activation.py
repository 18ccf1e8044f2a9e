"""Activation layers; each is a thin wrapper over pynet.nn.functional."""
from ... import _C
from .. import functional as F
from ..parameter import Parameter
from .module import Module


class ReLU(Module):
    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.relu(input, inplace=self.inplace)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class LeakyReLU(Module):
    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, input):
        return F.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class PReLU(Module):
    """LeakyReLU whose slope is learned: one shared, or one per channel (dim 1)."""

    def __init__(self, num_parameters=1, init=0.25, device=None, dtype=None):
        super().__init__()
        self.num_parameters = num_parameters
        self.weight = Parameter(_C.full((num_parameters,), float(init),
                                        dtype=dtype or _C.float32))

    def forward(self, input):
        return F.prelu(input, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"


class ELU(Module):
    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, input):
        return F.elu(input, self.alpha, self.inplace)

    def extra_repr(self):
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class GELU(Module):
    def __init__(self, approximate="none"):
        super().__init__()
        self.approximate = approximate

    def forward(self, input):
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class Sigmoid(Module):
    def forward(self, input):
        return input.sigmoid()


class Tanh(Module):
    def forward(self, input):
        return input.tanh()


class Softplus(Module):
    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, input):
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class Softmax(Module):
    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.softmax(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSoftmax(Module):
    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.log_softmax(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class Maxout(Module):
    """pynet extra (the course's Maxout unit; PyTorch has no Maxout layer).

    Splits dim `dim` (default 1, the features) into groups of `pool_size`
    consecutive values and keeps the maximum of each group:
    (N, C) -> (N, C // pool_size). Put it after a Linear with k times the
    units to get the classic maxout layer max_j (x W_j + b_j).
    """

    def __init__(self, pool_size, dim=1):
        super().__init__()
        if pool_size < 1:
            raise ValueError(f"Maxout: pool_size must be >= 1, got {pool_size}")
        self.pool_size, self.dim = pool_size, dim

    def forward(self, input):
        d = self.dim % input.ndim
        c = input.shape[d]
        if c % self.pool_size:
            raise RuntimeError(f"Maxout: size {c} of dim {d} is not a multiple of "
                               f"pool_size {self.pool_size}")
        shape = tuple(input.shape)
        grouped = input.reshape(*shape[:d], c // self.pool_size, self.pool_size, *shape[d + 1:])
        return grouped.amax(d + 1)

    def extra_repr(self):
        return f"pool_size={self.pool_size}, dim={self.dim}"
