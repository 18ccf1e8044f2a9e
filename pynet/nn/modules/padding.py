"""Padding layers: constant (and zero), reflection, replication and circular padding of the
last one, two or three dims, each a thin wrapper over F.pad."""
from .. import functional as F
from .module import Module


def _padding_tuple(padding, n):
    """An int as n equal sizes; a sequence as a tuple (F.pad checks its length)."""
    if isinstance(padding, int) and not isinstance(padding, bool):
        return (padding,) * n
    return tuple(padding)


class _PadNd(Module):
    """Shared constructor, forward and repr: F.pad(input, padding, mode) with the sizes
    (left, right[, top, bottom[, front, back]])."""

    _mode = "constant"
    _n = 2  # padding entries: 2 for 1-D, 4 for 2-D, 6 for 3-D

    def __init__(self, padding):
        super().__init__()
        self.padding = _padding_tuple(padding, self._n)

    def forward(self, input):
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self):
        return f"{self.padding}"


class ConstantPad1d(_PadNd):
    """Pads the last dim of (C, W) or (N, C, W) with value: padding (left, right) or an int."""

    def __init__(self, padding, value):
        super().__init__(padding)
        self.value = value

    def forward(self, input):
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


class ConstantPad2d(ConstantPad1d):
    """Pads the last two dims of (C, H, W) or (N, C, H, W) with value: padding (left, right,
    top, bottom) or an int."""

    _n = 4


class ConstantPad3d(ConstantPad1d):
    """Pads the last three dims of (C, D, H, W) or (N, C, D, H, W) with value: padding (left,
    right, top, bottom, front, back) or an int."""

    _n = 6


class ZeroPad1d(ConstantPad1d):
    """Pads the last dim of (C, W) or (N, C, W) with zeros: padding (left, right) or an int."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad2d(ZeroPad1d):
    """Pads the last two dims of (C, H, W) or (N, C, H, W) with zeros: padding (left, right,
    top, bottom) or an int."""

    _n = 4


class ZeroPad3d(ZeroPad1d):
    """Pads the last three dims of (C, D, H, W) or (N, C, D, H, W) with zeros: padding (left,
    right, top, bottom, front, back) or an int."""

    _n = 6


class ReflectionPad1d(_PadNd):
    """Mirrors the last dim of (C, W) or (N, C, W) about its edges (edge not repeated);
    each padding size must be smaller than W."""

    _mode = "reflect"


class ReflectionPad2d(ReflectionPad1d):
    """Mirrors the last two dims of (C, H, W) or (N, C, H, W) about their edges."""

    _n = 4


class ReflectionPad3d(ReflectionPad1d):
    """Mirrors the last three dims of (C, D, H, W) or (N, C, D, H, W) about their edges."""

    _n = 6


class ReplicationPad1d(_PadNd):
    """Repeats the edge values of the last dim of (C, W) or (N, C, W)."""

    _mode = "replicate"


class ReplicationPad2d(ReplicationPad1d):
    """Repeats the edge values of the last two dims of (C, H, W) or (N, C, H, W)."""

    _n = 4


class ReplicationPad3d(ReplicationPad1d):
    """Repeats the edge values of the last three dims of (C, D, H, W) or (N, C, D, H, W)."""

    _n = 6


class CircularPad1d(_PadNd):
    """Wraps the last dim of (C, W) or (N, C, W) around (periodic padding)."""

    _mode = "circular"

    def _check_input_dim(self, input):
        if input.dim() not in (self._n // 2 + 1, self._n // 2 + 2):
            raise ValueError(f"expected {self._n // 2 + 1}D or {self._n // 2 + 2}D input "
                             f"(got {input.dim()}D input)")

    def forward(self, input):
        self._check_input_dim(input)
        return super().forward(input)


class CircularPad2d(CircularPad1d):
    """Wraps the last two dims of (C, H, W) or (N, C, H, W) around (periodic padding)."""

    _n = 4


class CircularPad3d(CircularPad1d):
    """Wraps the last three dims of (C, D, H, W) or (N, C, D, H, W) around (periodic
    padding)."""

    _n = 6
