"""Functions that make tensors: tensor(), arange, linspace, eye, rand ..."""
from __future__ import annotations

import builtins
import math
import numbers
import operator
import warnings

import numpy as np

from . import _C
from . import _memory_format as _mf
from typing import Any, Callable, Sequence, Union, cast

from ._generator import Generator, _drawing_from
from ._tensor import Tensor, _check_device, _uniform64, device_type

# The public functions are annotated for type checkers (pynet ships py.typed). A dtype
# is a pynet dtype, or Python's float, int or bool (taken as float64, int64, bool).
_DType = Union[_C.dtype, type[float], type[int], type[bool], None]
_Device = Union[str, device_type, None]
_Shape = Union[int, Sequence[int]]

_NP_OF = {_C.float32: np.float32, _C.float64: np.float64, _C.int64: np.int64, _C.bool: np.bool_}


def _dtype_of(dtype: _DType, op: str) -> _C.dtype | None:
    if dtype is None or isinstance(dtype, _C.dtype):
        return dtype
    if dtype is float:
        return _C.float64
    if dtype is int:
        return _C.int64
    if dtype is bool:
        return _C.bool
    raise TypeError(f"{op}(): dtype must be a pynet dtype such as pynet.float32, got {dtype!r}")


def _infer_numpy(data, op):
    """NumPy array for `data` with PyTorch's default dtypes (Python floats -> the default
    dtype)."""
    from_numpy = isinstance(data, (np.ndarray, np.generic))  # numpy keeps its dtype
    if data is None:
        raise RuntimeError(f"{op}(): Could not infer dtype of NoneType")
    if isinstance(data, Tensor):
        return _C._to_numpy(data, True), True
    if isinstance(data, (str, bytes)):
        raise TypeError(f"{op}(): new(): invalid data type '{type(data).__name__}'")
    try:
        arr = np.asarray(data) if from_numpy else np.array(data)
    except (ValueError, TypeError) as e:
        raise ValueError(f"{op}(): could not build a tensor from the given data: the nested "
                         f"sequences must be rectangular and hold numbers ({e})") from None
    if arr.dtype.kind in "USV":
        raise TypeError(f"{op}(): new(): invalid data type 'str'; expected numbers or nested "
                        f"sequences of numbers")
    if arr.dtype.kind == "O" and arr.size and all(isinstance(v, int) for v in arr.ravel()):
        big = max(arr.ravel(), key=abs)
        raise ValueError(f"{op}(): Overflow: {big} does not fit in int64, pynet's integer dtype")
    if arr.dtype.kind in "OMm":
        bad = arr.ravel()[0] if arr.size else data
        raise RuntimeError(f"{op}(): Could not infer dtype of {type(bad).__name__}")
    if arr.dtype.kind == "c":
        raise TypeError(f"{op}(): complex numbers are not supported")
    return arr, from_numpy


def _default_dtype(arr, from_numpy):
    k = arr.dtype.kind
    if k == "b":
        return _C.bool
    if k in "iu":
        return _C.int64
    if from_numpy and k == "f":  # NumPy's floats keep theirs (float16: float32, pynet's least)
        return _C.float64 if arr.dtype == np.float64 else _C.float32
    if arr.dtype in (np.float32, np.float16):  # a list of NumPy float32 scalars or arrays only
        return _C.float32
    return _C._get_default_dtype()


def _list_of_tensors_dtype(data: Any) -> _C.dtype | None:
    """For (nested) lists holding tensors, PyTorch's dtype: every element's promoted together
    (a tensor's own dtype, a Python float the default dtype, an int int64, a bool bool), so
    that float64 0-d tensors make a float64 tensor. None for lists without tensors."""
    kinds: list[_C.dtype] = []
    seen = [False]

    def walk(x):
        if isinstance(x, Tensor):
            seen[0] = True
            kinds.append(x.dtype)
        elif isinstance(x, (list, tuple)):
            for e in x:
                walk(e)
        elif isinstance(x, (bool, np.bool_)):
            kinds.append(_C.bool)
        elif isinstance(x, numbers.Integral):
            kinds.append(_C.int64)
        elif isinstance(x, numbers.Real):
            kinds.append(_C.float64 if isinstance(x, np.float64) else _C.float32
                         if isinstance(x, (np.float32, np.float16)) else _C._get_default_dtype())

    if not isinstance(data, (list, tuple)):
        return None
    walk(data)
    if not seen[0]:
        return None
    out = kinds[0]
    for k in kinds[1:]:
        out = _C._promote_types(out, k)
    return out


def tensor(data: Any, dtype: _DType = None, device: _Device = None, requires_grad: bool = False,
           pin_memory: bool = False) -> Tensor:
    """A new tensor holding a copy of data (a number, nested lists, an array or a tensor)."""
    if device is not None:
        _check_device(device, "tensor")
    arr, from_np = _infer_numpy(data, "tensor")
    dtype = (_dtype_of(dtype, "tensor") or (data.dtype if isinstance(data, Tensor) else None)
             or _list_of_tensors_dtype(data) or _default_dtype(arr, from_np))
    if dtype != _C.bool and arr.dtype.kind == "f" and not dtype.is_floating_point:
        arr = np.trunc(arr)
    if dtype == _C.int64 and arr.dtype.kind == "u" and arr.size and arr.max() > 2**63 - 1:
        raise ValueError(f"tensor(): Overflow: {arr.max()} does not fit in int64, pynet's "
                         f"integer dtype (it would wrap around to a negative number)")
    out = _aligned_copy(arr, dtype)
    if requires_grad:
        out.requires_grad_(True)
    return out


# From this size on, tensor(), arange() and their kin copy into pynet's own storage
# (64-byte aligned, from the allocator's cache) instead of wrapping a NumPy copy, whose
# buffer malloc aligns to 16 bytes only: every 64-byte vector load of a misaligned array
# spans two cache lines (131k floats, 1 thread: relu 14.4 -> 11.3 us, exp 25.3 -> 22.6 us
# read from an aligned input). Smaller arrays keep the cheaper NumPy copy (about 0.5 us
# instead of 1.1), and so do bool arrays (from_numpy turns bytes other than 0 and 1, as
# in a uint8 array viewed as bool, into 1; a byte copy would keep them) and arrays of more
# dimensions than pynet has (from_numpy's error).
_ALIGNED_COPY_BYTES = 1024


def _aligned_copy(arr: np.ndarray, dtype: _C.dtype) -> Tensor:
    """A new C-contiguous tensor of dtype holding arr's values (cast as NumPy casts)."""
    np_dtype = _NP_OF[dtype]
    if arr.size * np.dtype(np_dtype).itemsize < _ALIGNED_COPY_BYTES or dtype == _C.bool \
            or arr.ndim > _C._MAX_DIMS:
        return _C.from_numpy(np.array(arr, dtype=np_dtype, copy=True, order="C"))
    out = _C.empty(arr.shape, dtype=dtype)
    np.copyto(out.numpy(), arr, casting="unsafe")
    return out


def as_tensor(data: Any, dtype: _DType = None, device: _Device = None) -> Tensor:
    """data as a tensor, sharing memory with a tensor or NumPy array of the same dtype where it can."""
    dtype = _dtype_of(dtype, "as_tensor")
    if isinstance(data, Tensor):
        return data if dtype is None else data.to(dtype)
    if isinstance(data, np.ndarray) and data.dtype in (np.float32, np.float64, np.int64, np.bool_) \
            and (dtype is None or _NP_OF[dtype] == data.dtype) and all(s >= 0 for s in data.strides):
        return _C.from_numpy(data)
    return tensor(data, dtype=dtype, device=device)


def from_numpy(arr):
    return _C.from_numpy(arr)


def _finish(t, requires_grad):
    if requires_grad:
        t.requires_grad_(True)
    return t


def arange(start: float | Tensor, end: float | Tensor | None = None, step: float | Tensor = 1, *,
           dtype: _DType = None, device: _Device = None, requires_grad: bool = False) -> Tensor:
    """Values from start to end (excluded) in steps of step: arange(end), arange(start, end[, step])."""
    if device is not None:
        _check_device(device, "arange")
    if end is None:
        start, end = 0, start
    # plain numbers from here on (a tensor argument gives its value)
    lo: Any
    hi: Any
    st: Any
    lo, hi, st = [float(v) if isinstance(v, Tensor) and v.dtype.is_floating_point else
                  (v.item() if isinstance(v, Tensor) else v) for v in (start, end, step)]
    if st == 0:
        raise RuntimeError("arange: step must be nonzero")
    if not all(math.isfinite(v) for v in (lo, hi, st)):
        raise RuntimeError(f"arange: unsupported range: {lo} -> {hi} (step {st})")
    if (hi - lo) / st < 0:
        raise RuntimeError(f"arange: upper bound and larger bound inconsistent with step sign "
                           f"(start={lo}, end={hi}, step={st})")
    dtype = _dtype_of(dtype, "arange")
    if dtype is None:
        dtype = (_C.int64 if all(isinstance(v, int) for v in (lo, hi, st))
                 else _C._get_default_dtype())
    n = math.ceil((hi - lo) / st)
    if n > 2 ** 40:
        raise RuntimeError(f"arange: the range {lo} to {hi} with step {st} has too many "
                           f"elements ({n})")
    base = (np.arange(n, dtype=np.float64) if dtype.is_floating_point
            else np.arange(n, dtype=np.int64))
    arr = lo + base * st
    return _finish(_aligned_copy(arr, dtype), requires_grad)


def _grid(start, end, steps, device, op):
    """The float64 grid of steps points from start to end (both included), checked."""
    if device is not None:
        _check_device(device, op)
    if not isinstance(steps, int) or steps < 0:
        raise RuntimeError(f"{op}: number of steps must be a non-negative int, got {steps!r}")
    return np.linspace(float(start), float(end), steps, dtype=np.float64)


def linspace(start: float, end: float, steps: int, *, dtype: _DType = None,
             device: _Device = None, requires_grad: bool = False) -> Tensor:
    """steps values evenly spaced from start to end (both included)."""
    arr = _grid(start, end, steps, device, "linspace")
    dtype = _dtype_of(dtype, "linspace") or _C._get_default_dtype()
    return _finish(_aligned_copy(arr, dtype), requires_grad)


def logspace(start: float, end: float, steps: int, base: float = 10.0, *, dtype: _DType = None,
             device: _Device = None, requires_grad: bool = False) -> Tensor:
    """steps values base ** x, x evenly spaced from start to end (both included)."""
    grid = _grid(start, end, steps, device, "logspace")
    dtype = _dtype_of(dtype, "logspace") or _C._get_default_dtype()
    arr = np.power(float(base), grid)
    if not dtype.is_floating_point:
        arr = np.trunc(arr)
    return _finish(_aligned_copy(arr, dtype), requires_grad)


def get_default_dtype() -> _C.dtype:
    """The dtype of floating point tensors made without one: pynet.float32 unless
    set_default_dtype changed it."""
    return _C._get_default_dtype()


def set_default_dtype(d: _C.dtype) -> None:
    """Make d (pynet.float32 or pynet.float64) the dtype of floating point tensors made
    without one: factory functions (zeros, randn, arange with floats, ...), tensor() of
    Python floats, nn layers' parameters, true division and float-only ops of integers.
    Tensors that exist keep their dtype."""
    if not isinstance(d, _C.dtype):
        raise TypeError(f"set_default_dtype(): argument 'd' must be a dtype, not "
                        f"{type(d).__name__}")
    _C._set_default_dtype(d)


_TENSOR_TYPE_DTYPES = {"FloatTensor": _C.float32, "DoubleTensor": _C.float64}


def set_default_tensor_type(t: Any) -> None:
    """Deprecated in PyTorch (use set_default_dtype): t is pynet.FloatTensor or
    pynet.DoubleTensor, or its name as a string ("torch.DoubleTensor" works too); sets the
    default dtype to float32 or float64."""
    warnings.warn("set_default_tensor_type() is deprecated as of PyTorch 2.1, please use "
                  "set_default_dtype() instead", UserWarning, stacklevel=2)
    name = t if isinstance(t, str) else getattr(t, "__name__", None)
    if not isinstance(name, str):
        raise TypeError(f"invalid type object: {t!r}")
    if isinstance(t, str) and (name.count(".") != 1 or name.split(".")[0] not in ("torch",
                                                                                    "pynet")):
        raise TypeError(f"invalid type: '{name}' (pynet has no such tensor type; CPU "
                        f"tensors are 'torch.FloatTensor' and 'torch.DoubleTensor')")
    short = name.rsplit(".", 1)[-1]
    if short not in _TENSOR_TYPE_DTYPES:
        if short in ("LongTensor", "BoolTensor", "IntTensor"):
            raise TypeError("only floating-point types are supported as the default type")
        raise TypeError(f"invalid type: '{name}'")
    _C._set_default_dtype(_TENSOR_TYPE_DTYPES[short])


def _need_dtype(op: str, name: str, pos: int, value: Any) -> _C.dtype:
    if not isinstance(value, _C.dtype):
        raise TypeError(f"{op}(): argument '{name}' (position {pos}) must be pynet.dtype, not "
                        f"{type(value).__name__}")
    return value


def promote_types(type1: _C.dtype, type2: _C.dtype) -> _C.dtype:
    """The smallest dtype both dtypes cast to without losing their kind, as torch.promote_types:
    bool < int64 < float32 < float64."""
    return _C._promote_types(_need_dtype("promote_types", "type1", 1, type1),
                             _need_dtype("promote_types", "type2", 2, type2))


_KIND_RANK = {_C.bool: 0, _C.int64: 1, _C.float32: 2, _C.float64: 2}


def can_cast(from_: _C.dtype, to: _C.dtype) -> bool:
    """Whether PyTorch's casting rules allow an op computed in from_ to write into to: never
    to a lower kind (float to integer, integer to bool); within a kind, any size."""
    return _KIND_RANK[_need_dtype("can_cast", "from_", 1, from_)] <= \
        _KIND_RANK[_need_dtype("can_cast", "to", 2, to)]


def result_type(tensor: Tensor | float, other: Tensor | float) -> _C.dtype:
    """The dtype an elementwise op of tensor and other (tensors or numbers) computes in, as
    torch.result_type: tensors with dimensions decide; a 0-d tensor, then a Python number,
    counts only when of a higher kind (bool < integer < float)."""
    for x in (tensor, other):
        if not isinstance(x, (_C.TensorBase, numbers.Real)):
            raise TypeError(f"result_type(): expected Tensors or numbers, got "
                            f"({type(tensor).__name__}, {type(other).__name__})")
    return _C._result_type(tensor, other)


def eye(n: int, m: int | None = None, *, dtype: _DType = None, device: _Device = None,
        requires_grad: bool = False) -> Tensor:
    """The n x m identity matrix (m = n by default)."""
    if device is not None:
        _check_device(device, "eye")
    m = n if m is None else m
    if n < 0 or m < 0:
        raise RuntimeError(f"eye: n and m must be non-negative, got n={n}, m={m}")
    dtype = _dtype_of(dtype, "eye") or _C._get_default_dtype()
    return _finish(_C.from_numpy(np.eye(n, m, dtype=_NP_OF[dtype])), requires_grad)


def tril_indices(row: int, col: int, offset: int = 0, *, dtype: _DType = None,
                 device: _Device = None, layout: Any = None) -> Tensor:
    """The (2, N) int64 coordinates of the lower triangle (j - i <= offset) of a row x col
    matrix, in row-major order."""
    return _tri_indices(row, col, offset, dtype, device, np.tril_indices, "tril_indices")


def triu_indices(row: int, col: int, offset: int = 0, *, dtype: _DType = None,
                 device: _Device = None, layout: Any = None) -> Tensor:
    """The (2, N) int64 coordinates of the upper triangle (j - i >= offset) of a row x col
    matrix, in row-major order."""
    return _tri_indices(row, col, offset, dtype, device, np.triu_indices, "triu_indices")


def _tri_indices(row, col, offset, dtype, device, fn, op):
    if device is not None:
        _check_device(device, op)
    row, col, offset = operator.index(row), operator.index(col), operator.index(offset)
    if row < 0:
        raise RuntimeError(f"{op}: row must be non-negative, got {row}")
    if col < 0:
        raise RuntimeError(f"{op}: col must be non-negative, got {col}")
    dtype = _dtype_of(dtype, op) or _C.int64
    if dtype != _C.int64:
        name = {_C.float32: "Float", _C.float64: "Double", _C.bool: "Bool"}[dtype]
        raise NotImplementedError(f'"{op}" not implemented for \'{name}\'')
    i, j = fn(row, offset, col)
    return _C.from_numpy(np.ascontiguousarray(np.stack([i, j]), dtype=np.int64))


def _like(fn: Callable[..., Tensor]) -> Callable[..., Tensor]:
    def like(input, *, dtype=None, requires_grad=False, device=None,
             memory_format=_mf.preserve_format):
        if device is not None:
            _check_device(device, fn.__name__ + "_like")
        return _laid_out_as(lambda shape: fn(shape, dtype=dtype or input.dtype), input,
                            memory_format, fn.__name__ + "_like", requires_grad)
    like.__name__ = fn.__name__ + "_like"
    like.__doc__ = f"A tensor of input's shape (and dtype unless given) made by {fn.__name__}."
    return like


def _laid_out_as(make: Callable[[tuple], Tensor], like: Tensor, fmt, op: str,
                 requires_grad: bool = False) -> Tensor:
    """make(shape) in the layout memory_format fmt gives relative to like (like's own strides
    for preserve_format when it has no gaps or overlaps): make fills a flat tensor that is
    copied into the strided one in memory order, so random values lie in memory in the
    order they were drawn, as PyTorch's do (and the result is no view)."""
    strides = _mf.target_strides(like, fmt, op)
    t = make(tuple(like.shape) if strides is None else (like.numel(),))
    if strides is not None:  # dense strides: memory order is one flat run of numel
        out = _C._empty_strided(tuple(like.shape), strides, t.dtype)
        out.as_strided((like.numel(),), (1,)).copy_(t)
        t = out
    return t.requires_grad_() if requires_grad else t


def empty_strided(size: Sequence[int], stride: Sequence[int], *, dtype: _DType = None,
                  layout: Any = None, device: _Device = None, requires_grad: bool = False,
                  pin_memory: bool = False) -> Tensor:
    """An uninitialised tensor of shape size with strides stride (in elements), in new memory
    just large enough for them (strides that overlap, or leave gaps, are allowed)."""
    if device is not None:
        _check_device(device, "empty_strided")
    if layout is not None and str(layout) not in ("torch.strided", "pynet.strided"):
        raise NotImplementedError(f"empty_strided: layout {layout} is not supported by pynet "
                                  f"(only the default, strided)")
    if pin_memory:
        raise RuntimeError("pin_memory=True requires a CUDA or other accelerator backend; no "
                           "pinned memory allocator is available on this system.")
    t = _C._empty_strided(tuple(size), tuple(stride), _dtype_of(dtype, "empty_strided"))
    return t.requires_grad_() if requires_grad else t


zeros_like = _like(_C.zeros)
ones_like = _like(_C.ones)
empty_like = _like(_C.empty)


def full_like(input: Tensor, fill_value: float, *, dtype: _DType = None,
              requires_grad: bool = False, device: _Device = None,
              memory_format=_mf.preserve_format) -> Tensor:
    """A tensor of input's shape (and dtype unless given) filled with fill_value."""
    if device is not None:
        _check_device(device, "full_like")
    return _laid_out_as(lambda shape: _C.full(shape, fill_value, dtype=dtype or input.dtype),
                        input, memory_format, "full_like", requires_grad)


def _size(size, op):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for s in size:
        if not isinstance(s, (int, np.integer)) or isinstance(s, bool):
            raise TypeError(f"{op}(): size must be a tuple of ints, got {type(s).__name__}")
        if s < 0:
            raise RuntimeError(f"{op}(): negative dimension {s}")
    return tuple(int(s) for s in size)


def _random(fill, a, b, size, dtype, requires_grad, op, generator=None, device=None):
    if device is not None:
        _check_device(device, op)
    dtype = _dtype_of(dtype, op) or _C._get_default_dtype()
    if not dtype.is_floating_point:  # PyTorch's type: its kernels exist for floats only
        raise NotImplementedError(f"{op}(): not implemented for {dtype}: expected a floating "
                                  f"point dtype")
    t = _C.empty(_size(size, op), dtype=dtype)
    with _drawing_from(generator):
        fill(t, float(a), float(b))
    return _finish(t, requires_grad)


def rand(*size: _Shape, dtype: _DType = None, device: _Device = None, requires_grad: bool = False,
         generator: Generator | None = None) -> Tensor:
    """Uniform samples from [0, 1)."""
    return _random(_C._fill_uniform_, 0.0, 1.0, size, dtype, requires_grad, "rand", generator,
                   device)


def randn(*size: _Shape, dtype: _DType = None, device: _Device = None, requires_grad: bool = False,
          generator: Generator | None = None) -> Tensor:
    """Samples from the standard normal distribution."""
    return _random(_C._fill_normal_, 0.0, 1.0, size, dtype, requires_grad, "randn", generator,
                   device)


def rand_like(input: Tensor, *, dtype: _DType = None, requires_grad: bool = False,
              device: _Device = None, memory_format=_mf.preserve_format) -> Tensor:
    """Uniform samples from [0, 1) in input's shape (and dtype unless given)."""
    return _laid_out_as(lambda shape: rand(shape, dtype=dtype or input.dtype, device=device),
                        input, memory_format, "rand_like", requires_grad)


def randn_like(input: Tensor, *, dtype: _DType = None, requires_grad: bool = False,
               device: _Device = None, memory_format=_mf.preserve_format) -> Tensor:
    """Standard normal samples in input's shape (and dtype unless given)."""
    return _laid_out_as(lambda shape: randn(shape, dtype=dtype or input.dtype, device=device),
                        input, memory_format, "randn_like", requires_grad)


def randint(low: int, high: int | Sequence[int] | None = None, size: Sequence[int] | None = None,
            *, dtype: _DType = None, device: _Device = None, requires_grad: bool = False,
            generator: Generator | None = None) -> Tensor:
    """Integers drawn uniformly from [low, high)."""
    if size is None and isinstance(high, (tuple, list)):
        size, high, low = high, low, 0
    if high is None:
        low, high = 0, low
    if size is None:
        raise TypeError("randint() missing required argument 'size'")
    if device is not None:
        _check_device(device, "randint")
    with _drawing_from(generator):
        t = _C._randint(int(low), int(cast(int, high)), _size(tuple(size), "randint"))
    dtype = _dtype_of(dtype, "randint")
    return t if dtype is None or dtype == _C.int64 else t.to(dtype)


def randint_like(input: Tensor, low: int = 0, high: int | None = None, *, dtype: _DType = None,
                 requires_grad: bool = False, generator: Generator | None = None,
                 device: _Device = None, memory_format=_mf.preserve_format) -> Tensor:
    """Integers drawn uniformly from [low, high) in input's shape (and dtype unless given);
    randint_like(input, high) draws from [0, high)."""
    if high is None:
        low, high = 0, low
    dt = _dtype_of(dtype, "randint_like") or input.dtype

    def make(shape):
        return randint(low, high, shape, generator=generator, device=device).to(dt)
    return _finish(_laid_out_as(make, input, memory_format, "randint_like"), requires_grad)


def seed() -> int:
    """Seed the default generator from the operating system's entropy; returns the seed."""
    import os
    s = int.from_bytes(os.urandom(8), "little") & ((1 << 63) - 1)
    _C.manual_seed(s)
    return s


def randperm(n: int, *, dtype: _DType = None, device: _Device = None, requires_grad: bool = False,
             generator: Generator | None = None) -> Tensor:
    """A random permutation of 0 .. n-1."""
    if device is not None:
        _check_device(device, "randperm")
    with _drawing_from(generator):
        t = _C.randperm_(int(n))
    dtype = _dtype_of(dtype, "randperm")
    return t if dtype is None or dtype == _C.int64 else t.to(dtype)


def normal(mean: float | Tensor = 0.0, std: float | Tensor = 1.0, size: Sequence[int] | None = None,
           *, dtype: _DType = None, requires_grad: bool = False,
           generator: Generator | None = None, device: _Device = None) -> Tensor:
    """normal(mean, std, size) with numbers, or elementwise with tensors mean/std."""
    if device is not None:
        _check_device(device, "normal")
    ref = mean if isinstance(mean, Tensor) else std if isinstance(std, Tensor) else None
    if ref is not None:
        z = randn(ref.shape, dtype=ref.dtype, generator=generator)
        return z * std + mean
    if size is None:
        raise TypeError("normal(): with float mean and std, the size argument is required")
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    return _random(_C._fill_normal_, mean, std, tuple(size), dtype, requires_grad, "normal",
                   generator)


def bernoulli(input: Tensor, p: float | None = None, *,
              generator: Generator | None = None) -> Tensor:
    """1 with probability input (elementwise), else 0."""
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"bernoulli: not implemented for {input.dtype} input (the "
                                  f"probabilities, and the result's dtype, must be floating)")
    probs: Tensor | float = input if p is None else p
    with _nograd():
        if isinstance(probs, Tensor):
            outside = ~((probs >= 0) & (probs <= 1))  # nan is outside too
            if outside.any():
                raise RuntimeError(f"bernoulli expects all probabilities to be in [0, 1], but "
                                   f"got {probs[outside].flatten()[0].item()}")
        elif not 0 <= probs <= 1:
            raise RuntimeError(f"bernoulli expects p to be in [0, 1], but got p={probs}")
        u = rand(input.shape, dtype=input.dtype if input.dtype.is_floating_point else None,
                 generator=generator)
        return (u < probs).to(input.dtype)


class _nograd:
    def __enter__(self):
        self.prev = _C._set_grad_enabled(False)

    def __exit__(self, *a):
        _C._set_grad_enabled(self.prev)


def _inverse_cdf(w, u):
    """For each row r of the weights w (N, C) and each u[r, k] in [0, 1): the first
    category whose cumulative weight exceeds u[r, k] times the row's total, capped at the
    row's last category of positive weight (u * total may round up to the total). The
    count of cumulative weights <= u * total is that index (they never decrease): all
    rows at once while the comparisons fit in 4M booleans, a searchsorted per row beyond
    (a per-row Python loop made 64 rows of 65 cost 3x PyTorch's time)."""
    cdf = np.cumsum(w, 1)
    v = u * cdf[:, -1:]
    if cdf.size * u.shape[1] <= 1 << 22:
        out = (cdf[:, None, :] <= v[:, :, None]).sum(-1)
    else:
        out = np.stack([np.searchsorted(c, vv, side="right") for c, vv in zip(cdf, v)])
    last = w.shape[1] - 1 - np.argmax(w[:, ::-1] > 0, axis=1)  # the last live category
    return np.minimum(out, last[:, None])


def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *,
                generator: Generator | None = None) -> Tensor:
    """Draw num_samples category indices from the (unnormalised) weights of each row of
    input, (C,) or (N, C), with or without replacement -> int64 (num_samples,) or
    (N, num_samples). Uses pynet's generator (or `generator`): the same seed gives the
    same draws; the stream differs from PyTorch's."""
    if not isinstance(input, Tensor):
        raise TypeError(f"multinomial(): input must be a Tensor, not {type(input).__name__}")
    if input.dim() not in (1, 2):
        raise RuntimeError(f"multinomial(): prob_dist must be 1 or 2 dim, got {input.dim()}")
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"multinomial(): only floating point inputs are supported, "
                           f"got {input.dtype}")
    num_samples = int(num_samples)
    if num_samples <= 0:
        raise RuntimeError(f"multinomial(): cannot sample n_sample <= 0 samples, "
                           f"got {num_samples}")
    rows = input.shape[0] if input.dim() == 2 else 1
    w = np.array(input.detach().numpy(), dtype=np.float64).reshape(rows, input.shape[-1])
    if w.shape[1] == 0:
        raise RuntimeError("multinomial(): number of categories cannot be zero")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise RuntimeError("multinomial(): probability tensor contains either `inf`, `nan` "
                           "or element < 0")
    if np.any(w.sum(1) <= 0):
        raise RuntimeError("multinomial(): invalid multinomial distribution (sum of "
                           "probabilities <= 0)")
    if not replacement and num_samples > w.shape[1]:
        raise RuntimeError("multinomial(): cannot sample n_sample > prob_dist.size(-1) "
                           "samples without replacement")
    u = rand(w.shape[0], num_samples, dtype=_C.float64, generator=generator)
    if replacement or num_samples == 1:
        # inverse CDF: the first category whose cumulative weight exceeds u * total (a
        # single draw without replacement is the same draw)
        out = _inverse_cdf(w, u.numpy())
    else:  # successive draws without replacement, each renormalised over what is left;
        # once every positive weight is drawn, the zero-weight categories follow in index
        # order (as PyTorch's result shows): pn_multinomial_draws in csrc/kernels/random.c
        out = _C._multinomial_draws(_C.from_numpy(w), u).numpy()
    out = out.astype(np.int64).reshape(tuple(input.shape[:-1]) + (num_samples,))
    return _C.from_numpy(np.ascontiguousarray(out))


def scalar_tensor(s: float, *, dtype: _DType = None, layout: Any = None, device: _Device = None,
                  pin_memory: bool | None = None, requires_grad: bool = False) -> Tensor:
    """A 0-d tensor holding the number s, of the default dtype (float32) unless dtype is given."""
    if device is not None:
        _check_device(device, "scalar_tensor")
    if layout is not None:  # only the strided layout exists in pynet
        raise NotImplementedError("scalar_tensor: the layout argument is not supported")
    if isinstance(s, Tensor) or not isinstance(s, numbers.Number):
        raise TypeError(f"scalar_tensor(): argument 's' (position 1) must be Number, not "
                        f"{type(s).__name__}")
    dtype = _dtype_of(dtype, "scalar_tensor") or get_default_dtype()
    return tensor(s, dtype=dtype, requires_grad=requires_grad)


def _asarray_tensor(obj, dtype, copy, requires_grad):
    """asarray of a Tensor: obj itself (aliased) unless a copy or another dtype is needed."""
    if dtype is not None and dtype != obj.dtype:
        if copy is False:
            raise ValueError(f"asarray: can't alias a tensor of dtype {obj.dtype} into dtype "
                             f"{dtype} (copy=False)")
        out = obj.to(dtype)
    else:
        out = obj.clone() if copy else obj
    if requires_grad is False and out.requires_grad:
        out = out.detach()  # shares memory, leaves obj's graph
    elif requires_grad:
        out.requires_grad_(True)
    return out


def asarray(obj: Any, *, dtype: _DType = None, device: _Device = None, copy: bool | None = None,
            requires_grad: bool | None = None) -> Tensor:
    """obj as a tensor, sharing memory with a Tensor or NumPy array of the wanted dtype unless
    copy=True; copy=False raises ValueError where sharing is impossible."""
    if device is not None:
        _check_device(device, "asarray")
    dtype = _dtype_of(dtype, "asarray")
    if isinstance(obj, Tensor):
        # requires_grad=None keeps obj's (PyTorch's current default, without its warning)
        return _asarray_tensor(obj, dtype, copy, requires_grad)
    if isinstance(obj, np.ndarray):
        shared = obj.dtype in (np.float32, np.float64, np.int64, np.bool_) and (
            dtype is None or _NP_OF[dtype] == obj.dtype) and all(s >= 0 for s in obj.strides)
        if shared and not copy:
            return _finish(_C.from_numpy(obj), bool(requires_grad))
        if copy is False:  # another dtype (pynet has four) or a negative stride
            raise ValueError(f"asarray: can't alias a NumPy array of dtype {obj.dtype} and "
                             f"strides {obj.strides} into a pynet tensor (copy=False)")
    elif copy is False:
        raise ValueError(f"asarray: can't alias a {type(obj).__name__} into a tensor "
                         f"(copy=False needs a Tensor or a NumPy array)")
    return tensor(obj, dtype=dtype, requires_grad=bool(requires_grad))


# pynet.range shadows the builtin range in this module from here on: do not use it here.
def range(start: float, end: float, step: float = 1, *,  # noqa: A001 (torch's name)
          dtype: _DType = None, layout: Any = None, device: _Device = None,
          requires_grad: bool = False) -> Tensor:
    """Deprecated: start, start + step, ... up to and including end (use arange, which
    excludes end); of the default dtype (float32) unless dtype is given."""
    warnings.warn("pynet.range is deprecated and will be removed in a future release because "
                  "its behavior is inconsistent with Python's range builtin. Instead, use "
                  "pynet.arange, which produces values in [start, end).", UserWarning,
                  stacklevel=2)
    if device is not None:
        _check_device(device, "range")
    if layout is not None:
        raise NotImplementedError("range: the layout argument is not supported")
    if step == 0:
        raise RuntimeError("range: step must be nonzero")
    if (end - start) / step < 0:
        raise RuntimeError(f"range: upper bound and lower bound inconsistent with step sign "
                           f"(start={start}, end={end}, step={step})")
    dtype = _dtype_of(dtype, "range") or get_default_dtype()
    # floor((end - start) / step) + 1 values, the last one end itself when step divides
    n = math.floor((end - start) / step) + 1
    base: Any = np.arange(n, dtype=np.float64 if dtype.is_floating_point else np.int64)
    arr = start + base * step
    return _finish(_aligned_copy(arr, dtype), requires_grad)


def _window(name, window_length, periodic, dtype, layout, device, requires_grad, values):
    """A window of window_length points: values(n, N) for n = 0 .. window_length - 1 of the
    symmetric window of N points, N = window_length + 1 when periodic (the periodic window
    is the symmetric one with its last point dropped, for spectral analysis)."""
    if device is not None:
        _check_device(device, name)
    if layout is not None:
        raise NotImplementedError(f"{name}: the layout argument is not supported")
    dtype = _dtype_of(dtype, name) or get_default_dtype()
    if not dtype.is_floating_point:
        raise RuntimeError(f"{name} expects floating point dtypes, got {dtype}")
    if isinstance(window_length, bool) or not isinstance(window_length, numbers.Integral):
        raise TypeError(f"{name}(): argument 'window_length' must be int, not "
                        f"{type(window_length).__name__}")
    if window_length < 0:
        raise RuntimeError(f"{name} requires non-negative window_length, got "
                           f"window_length={window_length}")
    if window_length <= 1:  # a 1-point window is [1.]
        arr = np.ones(window_length)
    else:
        n_total = window_length + 1 if periodic else window_length
        arr = values(np.arange(window_length, dtype=np.float64), n_total)
    return _finish(_aligned_copy(arr, dtype), requires_grad)


def hann_window(window_length: int, periodic: bool = True, *, dtype: _DType = None,
                layout: Any = None, device: _Device = None,
                requires_grad: bool = False) -> Tensor:
    """The Hann window 0.5 - 0.5 cos(2 pi n / (N - 1)) (periodic: N = window_length + 1)."""
    return _window("hann_window", window_length, periodic, dtype, layout, device,
                   requires_grad, lambda n, N: 0.5 - 0.5 * np.cos(2 * np.pi * n / (N - 1)))


def hamming_window(window_length: int, periodic: bool = True, alpha: float = 0.54,
                   beta: float = 0.46, *, dtype: _DType = None, layout: Any = None,
                   device: _Device = None, requires_grad: bool = False) -> Tensor:
    """The Hamming window alpha - beta cos(2 pi n / (N - 1)) (periodic: N = length + 1)."""
    return _window("hamming_window", window_length, periodic, dtype, layout, device,
                   requires_grad,
                   lambda n, N: alpha - beta * np.cos(2 * np.pi * n / (N - 1)))


def blackman_window(window_length: int, periodic: bool = True, *, dtype: _DType = None,
                    layout: Any = None, device: _Device = None,
                    requires_grad: bool = False) -> Tensor:
    """The Blackman window 0.42 - 0.5 cos(2 pi n / (N - 1)) + 0.08 cos(4 pi n / (N - 1))."""
    return _window("blackman_window", window_length, periodic, dtype, layout, device,
                   requires_grad, lambda n, N: 0.42 - 0.5 * np.cos(2 * np.pi * n / (N - 1))
                   + 0.08 * np.cos(4 * np.pi * n / (N - 1)))


def bartlett_window(window_length: int, periodic: bool = True, *, dtype: _DType = None,
                    layout: Any = None, device: _Device = None,
                    requires_grad: bool = False) -> Tensor:
    """The triangular Bartlett window 1 - |2 n / (N - 1) - 1|."""
    return _window("bartlett_window", window_length, periodic, dtype, layout, device,
                   requires_grad, lambda n, N: 1 - np.abs(2 * n / (N - 1) - 1))


def kaiser_window(window_length: int, periodic: bool = True, beta: float = 12.0, *,
                  dtype: _DType = None, layout: Any = None, device: _Device = None,
                  requires_grad: bool = False) -> Tensor:
    """The Kaiser window i0(beta sqrt(1 - (2 n / (N - 1) - 1)^2)) / i0(beta)."""
    return _window("kaiser_window", window_length, periodic, dtype, layout, device,
                   requires_grad, lambda n, N: np.i0(beta * np.sqrt(np.clip(
                       1 - (2 * n / (N - 1) - 1) ** 2, 0, None))) / np.i0(beta))


def _poisson_small(lam, uniform):
    """Poisson draws for rates below 10 by inversion: the smallest k with CDF(k) >= u,
    the CDF summed term by term (p_k = p_{k-1} lam / k) for all draws at once."""
    u = uniform(lam.shape)
    k = np.zeros(lam.shape)
    p = np.exp(-lam)
    cdf = p.copy()
    todo = u > cdf
    for step in builtins.range(1, 200):  # P(k >= 200) < 1e-200 for lam < 10
        if not todo.any():
            break
        p = p * lam / step
        cdf = cdf + p
        k[todo] = step
        todo &= u > cdf
    return k


def _poisson_ptrs(lam, uniform):
    """Poisson draws for rates >= 10 by Hormann's transformed rejection with squeeze (PTRS,
    1993, as NumPy): two uniforms per try, about 1.1 tries per draw."""
    out = np.zeros(lam.shape)
    todo = np.ones(lam.shape, bool)
    slam, loglam = np.sqrt(lam), np.log(lam)
    b = 0.931 + 2.53 * slam
    a = -0.059 + 0.02483 * b
    invalpha = 1.1239 + 1.1328 / (b - 3.4)
    vr = 0.9277 - 3.6224 / (b - 2)
    lgamma = np.vectorize(math.lgamma, otypes=[np.float64])
    while todo.any():
        i = np.flatnonzero(todo)
        uu, v = uniform(i.shape) - 0.5, uniform(i.shape)
        us = 0.5 - np.abs(uu)
        k = np.floor((2 * a[i] / us + b[i]) * uu + lam[i] + 0.43)
        fast = (us >= 0.07) & (v <= vr[i])
        ok = fast | ((k >= 0) & ~((us < 0.013) & (v > us)))
        slow = ok & ~fast
        with np.errstate(divide="ignore", invalid="ignore"):
            lhs = np.log(v) + np.log(invalpha[i]) - np.log(a[i] / (us * us) + b[i])
            rhs = -lam[i] + k * loglam[i] - lgamma(np.maximum(k, 0) + 1)
        ok = fast | (slow & (lhs <= rhs))
        out[i[ok]] = k[ok]
        todo[i[ok]] = False
    return out


def poisson(input: Tensor, generator: Generator | None = None) -> Tensor:
    """Draws from the Poisson distribution of rate input (elementwise, floating point,
    >= 0), of input's dtype; its gradient to input is zero, as in PyTorch."""
    if not isinstance(input, Tensor):
        raise TypeError(f"poisson(): argument 'input' must be Tensor, not "
                        f"{type(input).__name__}")
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"poisson: not implemented for '{input.dtype}' tensors "
                                  f"(rates must be floating point)")
    lam = input.detach().numpy(force=True).astype(np.float64).reshape(-1)
    if not (lam >= 0).all() or not np.isfinite(lam).all():
        raise RuntimeError("poisson: invalid Poisson rate, expected rate to be non-negative "
                           "and finite")
    with _drawing_from(generator):
        def uniform(shape):
            return _uniform64(shape).numpy()

        out = np.zeros(lam.shape)
        small = lam < 10
        if small.any():
            out[small] = _poisson_small(lam[small], uniform)
        if (~small).any():
            out[~small] = _poisson_ptrs(lam[~small], uniform)
    res = _C.from_numpy(np.asarray(out.reshape(tuple(input.shape)), dtype=_NP_OF[input.dtype],
                                   order="C"))
    if input.requires_grad and _C.is_grad_enabled():
        res = res + (input - input.detach()) * 0  # PyTorch's zero gradient to the rates
    return res


def _stirling_tail(k):
    """lgamma(k + 1) minus its Stirling approximation (k + 1/2) log(k + 1) - (k + 1)
    + log(2 pi) / 2."""
    lgamma = np.vectorize(math.lgamma, otypes=[np.float64])
    return lgamma(k + 1) - (k + 0.5) * np.log(k + 1) + (k + 1) - 0.5 * math.log(2 * math.pi)


def _binomial_btrs(n, p, uniform):
    """Binomial draws for n p >= 10 (p <= 1/2) by Hormann's transformed rejection (BTRS,
    1993), accepting k by the exact log-ratio bound of the binomial probabilities."""
    out = np.zeros(n.shape)
    todo = np.ones(n.shape, bool)
    spq = np.sqrt(n * p * (1 - p))
    b = 1.15 + 2.53 * spq
    a = -0.0873 + 0.0248 * b + 0.01 * p
    c = n * p + 0.5
    vr = 0.92 - 4.2 / b
    r = p / (1 - p)
    alpha = (2.83 + 5.1 / b) * spq
    m = np.floor((n + 1) * p)
    while todo.any():
        i = np.flatnonzero(todo)
        u, v = uniform(i.shape) - 0.5, uniform(i.shape)
        us = 0.5 - np.abs(u)
        k = np.floor((2 * a[i] / us + b[i]) * u + c[i])
        inside = (k >= 0) & (k <= n[i])
        fast = inside & (us >= 0.07) & (v <= vr[i])
        kk, ni, mi, ri = np.clip(k, 0, n[i]), n[i], m[i], r[i]
        with np.errstate(divide="ignore", invalid="ignore"):
            lv = np.log(v * alpha[i] / (a[i] / (us * us) + b[i]))
            bound = ((mi + 0.5) * np.log((mi + 1) / (ri * (ni - mi + 1)))
                     + (ni + 1) * np.log((ni - mi + 1) / (ni - kk + 1))
                     + (kk + 0.5) * np.log(ri * (ni - kk + 1) / (kk + 1))
                     + _stirling_tail(mi) + _stirling_tail(ni - mi)
                     - _stirling_tail(kk) - _stirling_tail(ni - kk))
        ok = fast | (inside & (lv <= bound))
        out[i[ok]] = k[ok]
        todo[i[ok]] = False
    return out


def _binomial_inversion(n, p, uniform):
    """Binomial draws for n p < 10 (p <= 1/2) by inversion: the smallest k with
    CDF(k) >= u, the terms P(k) = P(k-1) (n - k + 1) / k p / (1 - p) summed for all draws."""
    u = uniform(n.shape)
    k = np.zeros(n.shape)
    term = np.exp(n * np.log1p(-p))
    cdf = term.copy()
    todo = (u > cdf) & (n > 0)
    step = 0
    while todo.any() and step < 10000:
        step += 1
        term = term * np.maximum(n - step + 1, 0) / step * p / (1 - p)
        cdf = cdf + term
        k[todo] = step
        todo &= (u > cdf) & (step < n)
    return k


def binomial(count: Tensor, prob: Tensor, generator: Generator | None = None) -> Tensor:
    """Draws from Binomial(count, prob) elementwise (count and prob floating point of one
    dtype, broadcast); count <= 0 gives 0, prob is clamped to [0, 1]."""
    for name, t in (("count", count), ("prob", prob)):
        if not isinstance(t, Tensor):
            raise TypeError(f"binomial(): argument '{name}' must be Tensor, not "
                            f"{type(t).__name__}")
    if not count.dtype.is_floating_point:
        raise ValueError(f"binomial only supports floating-point dtypes for count, got: "
                         f"{count.dtype}")
    if prob.dtype != count.dtype:
        raise RuntimeError(f"binomial: prob has dtype {prob.dtype} but count has {count.dtype}")
    n, p = np.broadcast_arrays(np.floor(np.maximum(count.numpy(force=True), 0)),
                               np.clip(prob.numpy(force=True), 0, 1))
    n, p = n.astype(np.float64).ravel(), p.astype(np.float64).ravel()
    flip = p > 0.5  # draw the failures instead: Binomial(n, 1 - p) = n - Binomial(n, p)
    q = np.where(flip, 1 - p, p)
    out = np.zeros(n.shape)
    with _drawing_from(generator):
        def uniform(shape):
            return _uniform64(shape).numpy()

        big = n * q >= 10
        if (~big).any():
            out[~big] = _binomial_inversion(n[~big], q[~big], uniform)
        if big.any():
            out[big] = _binomial_btrs(n[big], q[big], uniform)
    shape = np.broadcast_shapes(tuple(count.shape), tuple(prob.shape))
    res = np.where(flip, n - out, out).reshape(shape)
    return _C.from_numpy(np.asarray(res, dtype=_NP_OF[count.dtype], order="C"))
