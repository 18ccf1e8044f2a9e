"""Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d (convolution layers) and Unfold, Fold
(their im2col/col2im building blocks)."""
import math

from ..._tensor import Size
from .. import functional as F
from .. import init
from .linear import _weight_and_bias
from .module import Module

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _tuple(value, n):
    """An int, or a sequence of 1 or n ints, as a tuple of n ints."""
    if isinstance(value, int):
        return (value,) * n
    t = tuple(value)
    return t * n if len(t) == 1 else t


class _ConvNd(Module):
    """What Conv1d and Conv2d share: the checks, parameters, initialisation and repr."""

    def __init__(self, nd, in_channels, out_channels, kernel_size, stride, padding, dilation,
                 groups, bias, padding_mode, device, dtype, transposed=False, output_padding=0):
        super().__init__()
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"padding_mode must be one of {set(_PADDING_MODES)}, but got "
                             f"padding_mode='{padding_mode}'")
        if device is not None and str(device) != "cpu":
            raise NotImplementedError(f"pynet runs on the CPU only, got device={device!r}")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size, self.stride = _tuple(kernel_size, nd), _tuple(stride, nd)
        self.dilation = _tuple(dilation, nd)
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"Invalid padding string {padding!r}, should be one of "
                                 f"{ {'valid', 'same'} }")
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
            self.padding = padding
        else:
            self.padding = _tuple(padding, nd)
        self.padding_mode = padding_mode
        self.transposed, self.output_padding = transposed, _tuple(output_padding, nd)
        self._reversed_padding_repeated_twice = self._padding_for_f_pad(nd)
        wshape = (in_channels, out_channels // groups) if transposed else \
            (out_channels, in_channels // groups)
        _weight_and_bias(self, wshape + self.kernel_size, out_channels, bias, dtype)
        self.reset_parameters()

    def _padding_for_f_pad(self, nd):
        """F.pad's list (last dim first, left and right) for padding_mode != 'zeros'."""
        out = []
        for i in reversed(range(nd)):
            if self.padding == "same":
                total = self.dilation[i] * (self.kernel_size[i] - 1)
                out += [total // 2, total - total // 2]
            elif self.padding == "valid":
                out += [0, 0]
            else:
                out += [self.padding[i], self.padding[i]]
        return out

    def reset_parameters(self):
        """PyTorch's initialisation: weight kaiming_uniform(a=sqrt(5)), i.e. uniform in
        +-1/sqrt(fan_in), bias uniform in +-1/sqrt(fan_in); fan_in = in/groups * prod(kernel)."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.weight.shape[1] * math.prod(self.kernel_size)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def _conv_forward(self, fn, input, weight, bias):
        if self.padding_mode != "zeros":
            input = F.pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            return fn(input, weight, bias, self.stride, 0, self.dilation, self.groups)
        return fn(input, weight, bias, self.stride, self.padding, self.dilation, self.groups)

    def extra_repr(self):
        nd = len(self.kernel_size)
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0,) * nd:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * nd:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * nd:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class Conv1d(_ConvNd):
    """1-D convolution layer: input (N, C_in, L) or (C_in, L) -> (N, C_out, L_out).

    weight (out_channels, in_channels / groups, kernel_size), bias (out_channels,).
    padding: int, 'valid' or 'same'; padding_mode: 'zeros', 'reflect', 'replicate' or
    'circular'. See pynet.nn.functional.conv1d.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__(1, in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, device, dtype)

    def forward(self, input):
        return self._conv_forward(F.conv1d, input, self.weight, self.bias)


class Conv2d(_ConvNd):
    """2-D convolution layer: input (N, C_in, H, W) or (C_in, H, W) -> (N, C_out, H_out, W_out).

    weight (out_channels, in_channels / groups, kH, kW), bias (out_channels,). kernel_size,
    stride, padding, dilation: an int or a pair; padding may be 'valid' or 'same';
    groups = in_channels gives a depthwise convolution; padding_mode: 'zeros', 'reflect',
    'replicate' or 'circular'. See pynet.nn.functional.conv2d.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__(2, in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, device, dtype)

    def forward(self, input):
        return self._conv_forward(F.conv2d, input, self.weight, self.bias)


class _ConvTransposeNd(_ConvNd):
    """What ConvTranspose1d and ConvTranspose2d share: zero padding only, output_size."""

    def __init__(self, nd, in_channels, out_channels, kernel_size, stride, padding,
                 output_padding, groups, bias, dilation, padding_mode, device, dtype):
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {type(self).__name__}')
        if isinstance(padding, str):
            raise ValueError(f"padding='{padding}' is not supported for {type(self).__name__}")
        super().__init__(nd, in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, device, dtype, True, output_padding)

    def _output_padding(self, input, output_size):
        """output_padding giving output_size (the last nd entries), as PyTorch checks it."""
        if output_size is None:
            return self.output_padding
        nd = len(self.kernel_size)
        output_size = tuple(output_size)[-nd:]
        if len(output_size) != nd:
            raise ValueError(f"ConvTranspose{nd}D: for {input.dim()}D input, output_size must "
                             f"have {nd} or {nd + 2} elements (got {len(output_size)})")
        spatial = tuple(input.shape[-nd:])
        lo = [(spatial[d] - 1) * self.stride[d] - 2 * self.padding[d]
              + self.dilation[d] * (self.kernel_size[d] - 1) + 1 for d in range(nd)]
        hi = [lo[d] + max(self.stride[d], self.dilation[d]) - 1 for d in range(nd)]
        if any(not lo[d] <= output_size[d] <= hi[d] for d in range(nd)):
            raise ValueError(f"requested an output size of {output_size}, but valid sizes range "
                             f"from {lo} to {hi} (for an input of {Size(spatial)})")
        return tuple(output_size[d] - lo[d] for d in range(nd))


class ConvTranspose1d(_ConvTransposeNd):
    """1-D transposed convolution layer: (N, C_in, L) -> (N, C_out, L_out), L_out =
    (L - 1) stride - 2 padding + dilation (kernel_size - 1) + output_padding + 1.

    weight (in_channels, out_channels / groups, kernel_size). forward(input, output_size=None):
    output_size picks output_padding. See pynet.nn.functional.conv_transpose1d.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, bias=True, dilation=1, padding_mode="zeros",
                 device=None, dtype=None):
        super().__init__(1, in_channels, out_channels, kernel_size, stride, padding,
                         output_padding, groups, bias, dilation, padding_mode, device, dtype)

    def forward(self, input, output_size=None):
        return F.conv_transpose1d(input, self.weight, self.bias, self.stride, self.padding,
                                  self._output_padding(input, output_size), self.groups,
                                  self.dilation)


class ConvTranspose2d(_ConvTransposeNd):
    """2-D transposed convolution layer: (N, C_in, H, W) -> (N, C_out, H_out, W_out), H_out =
    (H - 1) stride - 2 padding + dilation (kH - 1) + output_padding + 1 (W_out likewise).

    weight (in_channels, out_channels / groups, kH, kW). forward(input, output_size=None):
    output_size picks output_padding. See pynet.nn.functional.conv_transpose2d.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, bias=True, dilation=1, padding_mode="zeros",
                 device=None, dtype=None):
        super().__init__(2, in_channels, out_channels, kernel_size, stride, padding,
                         output_padding, groups, bias, dilation, padding_mode, device, dtype)

    def forward(self, input, output_size=None):
        return F.conv_transpose2d(input, self.weight, self.bias, self.stride, self.padding,
                                  self._output_padding(input, output_size), self.groups,
                                  self.dilation)


class Unfold(Module):
    """Extract sliding blocks: (N, C, H, W) -> (N, C * prod(kernel_size), L). See F.unfold."""

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.kernel_size, self.dilation = kernel_size, dilation
        self.padding, self.stride = padding, stride

    def forward(self, input):
        return F.unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")


class Fold(Module):
    """Sum sliding blocks back into images: (N, C * prod(kernel_size), L) -> (N, C, *output_size).
    See F.fold."""

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.output_size, self.kernel_size = output_size, kernel_size
        self.dilation, self.padding, self.stride = dilation, padding, stride

    def forward(self, input):
        return F.fold(input, self.output_size, self.kernel_size, self.dilation, self.padding,
                      self.stride)

    def extra_repr(self):
        return (f"output_size={self.output_size}, kernel_size={self.kernel_size}, "
                f"dilation={self.dilation}, padding={self.padding}, stride={self.stride}")
