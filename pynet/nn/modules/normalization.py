"""BatchNorm1d/2d/3d, LayerNorm, GroupNorm, InstanceNorm1d/2d, RMSNorm, LocalResponseNorm."""
import warnings

from ... import _C
from .. import functional as F
from ..parameter import Parameter
from .module import Module


def _affine_parameters(module, shape, affine, bias, dtype):
    """A normalisation's learnable weight (ones) and bias (zeros) of the given shape, or
    None for each that is switched off."""
    dtype = dtype or _C._get_default_dtype()
    module.register_parameter("weight", Parameter(_C.ones(shape, dtype=dtype)) if affine else None)
    module.register_parameter("bias", Parameter(_C.zeros(shape, dtype=dtype))
                              if affine and bias else None)


class _NormBase(Module):
    """What the batch and instance norms share: per-channel affine weight and bias, and the
    running_mean (zeros), running_var (ones) and num_batches_tracked buffers when
    track_running_stats (registered as None otherwise, so the keys stay fixed)."""

    # checkpoints from before PyTorch 0.4.1 have no num_batches_tracked: load_state_dict
    # keeps the current count rather than reporting the key missing, as PyTorch does
    _optional_buffers = ("num_batches_tracked",)

    def __init__(self, num_features, eps, momentum, affine, track_running_stats, dtype,
                 bias=True):
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        _affine_parameters(self, (num_features,), affine, bias, dtype)
        if track_running_stats:
            dtype = dtype or _C._get_default_dtype()
            self.register_buffer("running_mean", _C.zeros((num_features,), dtype=dtype))
            self.register_buffer("running_var", _C.ones((num_features,), dtype=dtype))
            self.register_buffer("num_batches_tracked", _C.zeros((), dtype=_C.int64))
        else:
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(name, None)

    def reset_running_stats(self):
        """Running mean 0, running variance 1 and the batch count 0 (when tracked)."""
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1)
            self.num_batches_tracked.zero_()

    def reset_parameters(self):
        """Resets the running statistics, weight to ones and bias to zeros."""
        self.reset_running_stats()
        if self.weight is not None:
            self.weight.data.fill_(1)
        if self.bias is not None:
            self.bias.data.zero_()


class BatchNorm1d(_NormBase):
    """Normalise each channel over the batch: input (N, C) or (N, C, L).

    Training uses the batch statistics and updates running_mean/running_var
    (unbiased) with `momentum` (None: cumulative average); eval uses them. affine adds a
    per-channel weight, and a bias unless bias=False.
    """

    _input_dims: tuple[int, ...] = (2, 3)  # the ranks _check_input_dim accepts

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, device=None, dtype=None, *, bias=True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, dtype, bias)

    def _check_input_dim(self, input):
        if input.ndim not in self._input_dims:
            expected = " or ".join(f"{d}D" for d in self._input_dims)
            raise ValueError(f"expected {expected} input (got {input.ndim}D input)")

    def forward(self, input):
        self._check_input_dim(input)
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:
                momentum = 1.0 / float(self.num_batches_tracked.item())
        use_batch = self.training or self.running_mean is None
        return F.batch_norm(input,
                            self.running_mean if not self.training or self.track_running_stats
                            else None,
                            self.running_var if not self.training or self.track_running_stats
                            else None,
                            self.weight, self.bias, use_batch, momentum, self.eps)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm2d(BatchNorm1d):
    """Normalise each channel of images (N, C, H, W) over the batch and both spatial dims.

    Training uses the batch statistics and updates running_mean/running_var
    (unbiased) with `momentum` (None: cumulative average); eval uses them.
    """

    _input_dims = (4,)

    # its own __init__ (not BatchNorm1d's), so argument errors name this class
    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, device=None, dtype=None, *, bias=True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device,
                         dtype, bias=bias)


class LayerNorm(Module):
    """Normalise over the trailing dims given by normalized_shape."""

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True,
                 device=None, dtype=None):
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        _affine_parameters(self, self.normalized_shape, elementwise_affine, bias, dtype)

    def forward(self, input):
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")


class GroupNorm(Module):
    """GroupNorm(num_groups, num_channels, eps=1e-5, affine=True, bias=True): group
    normalisation of (N, C, *) inputs (see nn.functional.group_norm), with a learnable
    per-channel weight (ones) and bias (zeros) when affine."""

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, bias=True, device=None,
                 dtype=None):
        super().__init__()
        if num_channels % num_groups != 0:
            raise ValueError(f"num_channels ({num_channels}) must be divisible by num_groups "
                             f"({num_groups})")
        self.num_groups, self.num_channels, self.eps, self.affine = (num_groups, num_channels,
                                                                      eps, affine)
        _affine_parameters(self, (num_channels,), affine, bias, dtype)

    def forward(self, input):
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")


class BatchNorm3d(BatchNorm1d):
    """Normalise each channel of volumes (N, C, D, H, W) over the batch and the three spatial
    dims.

    Training uses the batch statistics and updates running_mean/running_var
    (unbiased) with `momentum` (None: cumulative average); eval uses them.
    """

    _input_dims = (5,)

    # its own __init__ (not BatchNorm1d's), so argument errors name this class
    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, device=None, dtype=None, *, bias=True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device,
                         dtype, bias=bias)


class _InstanceNorm(_NormBase):
    """Shared constructor, forward and repr of InstanceNorm1d/2d (see F.instance_norm)."""

    _spatial = 1  # spatial dims of a batched input

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=False,
                 track_running_stats=False, device=None, dtype=None, *, bias=True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, dtype, bias)

    def forward(self, input):
        batched = self._spatial + 2
        if input.dim() not in (batched - 1, batched):
            raise ValueError(f"expected {batched - 1}D or {batched}D input (got {input.dim()}D "
                             "input)")
        feature_dim = input.dim() - self._spatial - 1
        if input.shape[feature_dim] != self.num_features:
            if self.affine:
                raise ValueError(f"expected input's size at dim={feature_dim} to match "
                                 f"num_features ({self.num_features}), but got: "
                                 f"{input.shape[feature_dim]}.")
            warnings.warn(f"input's size at dim={feature_dim} does not match num_features. You "
                          "can silence this warning by not passing in num_features, which is "
                          "not used because affine=False", stacklevel=2)
        unbatched = input.dim() == batched - 1
        x = input.unsqueeze(0) if unbatched else input
        y = F.instance_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                            self.training or not self.track_running_stats,
                            self.momentum if self.momentum is not None else 0.0, self.eps)
        return y.squeeze(0) if unbatched else y

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class InstanceNorm1d(_InstanceNorm):
    """Instance normalisation of (N, C, L) or unbatched (C, L): each channel of each sample
    standardised over L. affine adds a per-channel weight and bias; track_running_stats
    keeps running statistics (used in eval mode)."""


class InstanceNorm2d(_InstanceNorm):
    """Instance normalisation of (N, C, H, W) or unbatched (C, H, W): each channel of each
    sample standardised over H x W. affine adds a per-channel weight and bias;
    track_running_stats keeps running statistics (used in eval mode)."""

    _spatial = 2


class RMSNorm(Module):
    """Root-mean-square normalisation over the trailing dims normalized_shape, with a
    learnable elementwise weight (ones) when elementwise_affine. See F.rms_norm."""

    def __init__(self, normalized_shape, eps=None, elementwise_affine=True, device=None,
                 dtype=None):
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        _affine_parameters(self, self.normalized_shape, elementwise_affine, False, dtype)
        del self._parameters["bias"]  # RMSNorm has no bias at all

    def reset_parameters(self):
        """Weight back to ones."""
        if self.weight is not None:
            self.weight.data.fill_(1)

    def forward(self, input):
        return F.rms_norm(input, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")


class LocalResponseNorm(Module):
    """Normalisation of each channel by its neighbours' energy (see F.local_response_norm)."""

    def __init__(self, size, alpha=1e-4, beta=0.75, k=1.0):
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input):
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self):
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
