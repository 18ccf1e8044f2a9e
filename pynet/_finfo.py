"""pynet.finfo / pynet.iinfo: the numerical limits of pynet's dtypes, as PyTorch reports them.

The values come from NumPy's finfo/iinfo of the matching NumPy type (IEEE-754 binary32 /
binary64, two's-complement int64), which are the same numbers PyTorch reports. As in
PyTorch, ``.dtype`` is the dtype's name (a str), and bool has no iinfo.
"""
import builtins as _builtins

import numpy as _np

from . import _C

__all__ = ["finfo", "iinfo"]


def _name(dtype):
    return str(dtype).split(".")[-1]


class finfo:
    """Machine limits of a floating-point dtype (default: the default dtype)."""

    __slots__ = ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype")

    def __init__(self, type=None):
        if type is None:
            from ._creation import get_default_dtype

            type = get_default_dtype()
        if not isinstance(type, _C.dtype):
            raise TypeError(f"finfo(): argument 'type' (position 1) must be torch.dtype, "
                            f"not {_builtins.type(type).__name__}")
        if type not in (_C.float32, _C.float64):
            raise TypeError(f"torch.finfo() requires a floating point input type, got "
                            f"{type}. Use torch.iinfo to handle 'torch.finfo'")
        info = _np.finfo(_np.float32 if type == _C.float32 else _np.float64)
        self.bits = int(info.bits)
        self.eps = float(info.eps)
        self.max = float(info.max)
        self.min = float(info.min)
        self.tiny = float(info.tiny)
        self.smallest_normal = float(info.smallest_normal)
        self.resolution = 10.0 ** -int(info.precision)  # exactly 10**-(decimal digits)
        self.dtype = _name(type)

    def __eq__(self, other):
        return isinstance(other, finfo) and self.dtype == other.dtype

    def __hash__(self):
        return hash(("finfo", self.dtype))

    def __repr__(self):
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
                f"eps={self.eps:g}, smallest_normal={self.smallest_normal:g}, "
                f"tiny={self.tiny:g}, dtype={self.dtype})")

    __str__ = __repr__


class iinfo:
    """Machine limits of an integer dtype (pynet's only one is int64; bool has none)."""

    __slots__ = ("bits", "max", "min", "dtype")

    def __init__(self, type):
        if not isinstance(type, _C.dtype):
            raise TypeError(f"iinfo(): argument 'type' (position 1) must be torch.dtype, "
                            f"not {_builtins.type(type).__name__}")
        if type == _C.bool:
            raise TypeError("torch.bool is not supported by torch.iinfo")
        if type != _C.int64:
            raise TypeError(f"torch.iinfo() requires an integer input type, got {type}. "
                            f"Use torch.finfo to handle 'torch.iinfo'")
        info = _np.iinfo(_np.int64)
        self.bits, self.max, self.min = int(info.bits), int(info.max), int(info.min)
        self.dtype = _name(type)

    def __eq__(self, other):
        return isinstance(other, iinfo) and self.dtype == other.dtype

    def __hash__(self):
        return hash(("iinfo", self.dtype))

    def __repr__(self):
        return f"iinfo(min={float(self.min):g}, max={float(self.max):g}, dtype={self.dtype})"

    __str__ = __repr__
