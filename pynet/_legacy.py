"""pynet.FloatTensor, DoubleTensor, LongTensor and BoolTensor: PyTorch's legacy typed
constructors. Calling one builds a pynet.Tensor of its dtype; isinstance(t, pynet.LongTensor)
is True for an int64 tensor only, as in PyTorch.
"""
from . import _C
from ._creation import tensor as _tensor
from ._tensor import Size, Tensor


class _LegacyType(type):
    """The metaclass of the legacy constructors: isinstance checks the dtype."""

    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj.dtype == cls.dtype

    def __repr__(cls):
        return f"<class 'pynet.{cls.__name__}'>"


def _construct(cls, *args, device=None):
    """cls() empty; cls(2, 3) or cls(pynet.Size([2, 3])) uninitialized of that size; cls(data)
    the data as cls's dtype; cls(tensor) that tensor if it has cls's dtype."""
    if device is not None and str(device) != "cpu":
        raise RuntimeError(f"{cls.__name__}: pynet has only the cpu device, got '{device}'")
    if not args:
        return _C.empty(0, dtype=cls.dtype)
    first = args[0]
    sizes = len(args) > 1 or isinstance(first, Size) or (
        isinstance(first, int) and not isinstance(first, bool))
    if sizes:
        if len(args) == 1 and isinstance(first, Size):
            args = tuple(first)
        if not all(isinstance(a, int) and not isinstance(a, bool) for a in args):
            raise TypeError(f"{cls.__name__}(): expected a sequence of ints as the size, got "
                            f"{tuple(type(a).__name__ for a in args)}")
        return _C.empty(*args, dtype=cls.dtype)
    if isinstance(first, Tensor):
        if first.dtype != cls.dtype:
            raise TypeError(f"expected {cls.dtype} (got {first.dtype})")
        return first
    return _tensor(first, dtype=cls.dtype)


def _legacy(name, dtype, kind):
    """The legacy constructor class `name` for dtype."""
    doc = (f"pynet.{name}(data) / (*sizes): a tensor of dtype {kind} (PyTorch's legacy "
           f"constructor); isinstance(t, pynet.{name}) is True for a {kind} tensor only.")
    return _LegacyType(name, (), {"dtype": dtype, "__new__": _construct, "__doc__": doc,
                                  "__module__": "pynet"})


FloatTensor = _legacy("FloatTensor", _C.float32, "float32")
DoubleTensor = _legacy("DoubleTensor", _C.float64, "float64")
LongTensor = _legacy("LongTensor", _C.int64, "int64")
BoolTensor = _legacy("BoolTensor", _C.bool, "bool")
