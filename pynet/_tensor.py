"""pynet.Tensor: the C TensorBase plus the methods that read better in Python.

Every method here arranges arguments, or composes pynet._C's differentiable ops (the
composite ops from broadcast_to on: hstack ... einsum, addmm ..., logit ..., as PyTorch's
CompositeImplicitAutograd ops are built); the work runs in pynet._C. A few whose gradient
PyTorch defines at special points (logit, xlogy, logaddexp, lerp) are autograd Functions
with PyTorch's backward formulas, themselves made of differentiable ops.
"""
from __future__ import annotations

import builtins
import collections
import math
import numbers
import operator
import string
import warnings
from typing import Any, Iterator, cast

import numpy as np
import numpy.typing as npt

from . import _C
from . import _memory_format as _mf
from ._generator import _drawing_from
from .autograd.function import Function


class Size(tuple):
    """The shape of a tensor: a tuple of ints that prints like torch.Size."""

    def __repr__(self):
        return f"pynet.Size({list(self)})"

    def numel(self):
        n = 1
        for s in self:
            n *= s
        return n


class Tensor(_C.TensorBase):
    """A strided n-dimensional array that can record operations for autograd."""

    # The methods written here carry return annotations for type checkers; those written in
    # C are typed in _C.pyi. Tensor has methods named float, int and bool, so the builtins
    # are spelled builtins.float ... in annotations inside the class.

    __module__ = "pynet"

    # --- conversion -------------------------------------------------------
    def numpy(self, *, force=False) -> npt.NDArray[Any]:
        """A NumPy array sharing this tensor's memory."""
        return _C._to_numpy(self, force)

    def __array__(self, dtype=None, copy=None):
        a = _C._to_numpy(self, True)
        return a if dtype is None else a.astype(dtype, copy=False)

    def tolist(self) -> Any:
        """The elements as (nested) Python lists of numbers; a 0-d tensor gives a number."""
        return _C._to_numpy(self, True).tolist()

    def to(self, *args, **kwargs) -> Tensor:
        """to(dtype) / to(device) / to(other): a tensor of the requested dtype (self if it has it
        and memory_format, default preserve_format, asks for no other layout)."""
        dtype = kwargs.pop("dtype", None)
        device = kwargs.pop("device", None)
        copy = kwargs.pop("copy", False)
        kwargs.pop("non_blocking", None)  # no meaning on the CPU
        fmt = kwargs.pop("memory_format", _mf.preserve_format)
        if kwargs:
            raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
        for a in args:
            if isinstance(a, _C.dtype):
                dtype = a
            elif isinstance(a, Tensor):
                dtype = a.dtype
            elif isinstance(a, (str, device_type)):
                device = a
            elif isinstance(a, int) and not isinstance(a, builtins.bool):
                device = device_type(a)  # an accelerator index: raises
            elif hasattr(a, "type") and hasattr(a, "index"):  # another library's device
                device = device_type(a)
            elif a is None:
                continue
            else:
                raise TypeError(f"to() received an invalid combination of arguments: {a!r}")
        if device is not None:
            _check_device(device, "to")
        if dtype is None or dtype == self.dtype:
            if copy:
                return self.clone(memory_format=fmt)
            if fmt is _mf.preserve_format or _mf.is_contiguous_as(self, fmt):
                return self
            return _mf.copy_as(self, fmt, "to")
        if _mf.target_strides(self, fmt, "to") is None:
            return self._to_dtype(dtype)
        return _mf.empty_as(self, fmt, dtype, "to").copy_(self)

    def contiguous(self, memory_format=_mf.contiguous_format) -> Tensor:
        """self if its elements lie in memory in the order memory_format gives (row-major by
        default; channels_last for 4-d, channels_last_3d for 5-d), else a copy that does."""
        if memory_format is _mf.contiguous_format:
            return _C.TensorBase.contiguous(self)
        return _mf.contiguous_as(self, memory_format)

    def is_contiguous(self, memory_format=_mf.contiguous_format) -> builtins.bool:
        """Whether the elements lie in memory in memory_format's order with no gaps (size-1
        dims may have any stride)."""
        if memory_format is _mf.contiguous_format:
            return _C.TensorBase.is_contiguous(self)
        return _mf.is_contiguous_as(self, memory_format)

    def clone(self, *, memory_format=_mf.preserve_format) -> Tensor:
        """A copy with its own memory, recorded by autograd; preserve_format keeps the strides
        of a tensor without gaps or overlaps (a transposed one stays transposed)."""
        if memory_format is _mf.preserve_format and _C.TensorBase.is_contiguous(self):
            return _C.TensorBase.clone(self)
        return _mf.copy_as(self, memory_format, "clone")

    def type(self, dtype=None):
        """type(): the type name, e.g. 'pynet.FloatTensor'; type(dtype): self.to(dtype), dtype
        a pynet dtype, a legacy class (pynet.LongTensor) or its name ('torch.LongTensor')."""
        if dtype is None:
            return _TYPE_NAMES[self.dtype]
        if isinstance(dtype, str):
            kind = dtype.rsplit(".", 1)[-1]
            for dt, name in _TYPE_NAMES.items():
                if dtype.split(".")[0] in ("pynet", "torch") and name.endswith("." + kind):
                    return self.to(dt)
            raise ValueError(f"invalid type: '{dtype}'")
        return self.to(getattr(dtype, "dtype", dtype))

    def float(self) -> Tensor:
        """self as float32 (self if it already is)."""
        return self.to(_C.float32)

    def double(self) -> Tensor:
        """self as float64 (self if it already is)."""
        return self.to(_C.float64)

    def long(self) -> Tensor:
        """self as int64 (self if it already is)."""
        return self.to(_C.int64)

    def int(self) -> Tensor:
        """self as int64, pynet's only integer dtype (self if it already is)."""
        return self.to(_C.int64)

    def bool(self) -> Tensor:
        """self as bool (self if it already is)."""
        return self.to(_C.bool)

    def cpu(self) -> Tensor:
        """self: pynet tensors are always on the CPU."""
        return self

    def cuda(self, device=None, non_blocking=False) -> Tensor:
        """Raises AssertionError, as a CPU-only PyTorch does: pynet has no CUDA."""
        _check_device("cuda" if device is None else device_type("cuda", device)
                      if isinstance(device, int) else device, "cuda")
        return self

    @property
    def is_cuda(self) -> builtins.bool:
        """False: pynet tensors live on the CPU."""
        return False

    @property
    def is_cpu(self) -> builtins.bool:
        """True: pynet tensors live on the CPU."""
        return True

    @property
    def device(self) -> device_type:
        """The device the tensor lives on: always pynet.device('cpu')."""
        return device_type("cpu")

    def is_floating_point(self) -> builtins.bool:
        """True if the dtype is float32 or float64."""
        return self.dtype.is_floating_point

    # --- autograd -----------------------------------------------------------
    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's .grad."""
        from .autograd import backward

        backward(self, gradient, retain_graph, create_graph, inputs)

    def register_hook(self, hook) -> _RemovableHook:
        """hook(grad) runs when this tensor's gradient is computed; it may return a new one."""
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is None:
            self._backward_hooks_list.append(hook)
        else:
            self.grad_fn._register_pre_hook(self.output_nr, hook)
        return _RemovableHook(self, hook, self.grad_fn)

    def retain_grad(self) -> None:
        """Keep .grad for this non-leaf tensor after backward."""
        if not self.requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is None or self.retains_grad:
            return
        import weakref

        ref = weakref.ref(self)

        def keep(g):
            t = ref()
            if t is not None:
                if t.grad is None:
                    t.grad = g.detach().clone()
                else:
                    t.grad = t.grad + g.detach()
            return None

        self.grad_fn._register_pre_hook(self.output_nr, keep, True)
        self.retains_grad = True

    # --- shape helpers ------------------------------------------------------
    def __len__(self) -> builtins.int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.shape[0]))

    def __contains__(self, item) -> builtins.bool:
        return bool((self == item).any())

    def __reversed__(self) -> Tensor:
        return self.flip(0)

    def flip(self, *dims) -> Tensor:
        """A copy with the order of elements reversed along each of dims."""
        if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
            dims = tuple(dims[0])
        wrapped = [_wrap_dim(d, self.ndim, "flip") for d in dims]  # IndexError naming the dim
        for d in set(wrapped):
            if wrapped.count(d) > 1:
                raise RuntimeError(f"flip: dim {d} appears multiple times in the list of dims "
                                   f"{list(dims)}")
        if self.ndim == 0 or not wrapped:  # nothing to reverse: a copy, as flip always returns
            return self.clone()
        return self._flip(sum(1 << d for d in wrapped))

    def flatten(self, start_dim=0, end_dim=-1) -> Tensor:
        """self with dimensions start_dim..end_dim merged into one (a view when possible)."""
        s, e = _wrap_dim(start_dim, self.ndim, "flatten"), _wrap_dim(end_dim, self.ndim, "flatten")
        if self.ndim == 0:
            return self.reshape(1)
        if s > e:
            raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
        shape = self.shape
        n = 1
        for x in shape[s:e + 1]:
            n *= x
        return self.reshape(*shape[:s], n, *shape[e + 1:])

    def unflatten(self, dim, sizes) -> Tensor:
        """self with dimension dim split into the given sizes."""
        dim = _wrap_dim(dim, self.ndim, "unflatten")
        return self.reshape(*self.shape[:dim], *sizes, *self.shape[dim + 1:])

    def view_as(self, other) -> Tensor:
        """self.view(other.shape)."""
        return self.view(other.shape)

    def reshape_as(self, other) -> Tensor:
        """self.reshape(other.shape)."""
        return self.reshape(other.shape)

    def expand_as(self, other) -> Tensor:
        """self.expand(other.shape)."""
        return self.expand(other.shape)

    def type_as(self, other) -> Tensor:
        """self cast to other's dtype."""
        return self.to(other.dtype)

    def split(self, split_size, dim=0) -> tuple[Tensor, ...]:
        """Pieces of split_size along dim (the last may be smaller), or of the listed sizes."""
        if self.ndim == 0:
            raise RuntimeError("split expects at least a 1-dimensional tensor")
        dim = _wrap_dim(dim, self.ndim, "split")
        size = self.shape[dim]
        if isinstance(split_size, int):
            if split_size <= 0 and size > 0:
                raise RuntimeError(f"split expects split_size be non-negative, but got split_size={split_size}")
            sizes = [split_size] * (size // split_size) if split_size else []
            if split_size and size % split_size:
                sizes.append(size % split_size)
            if not sizes:
                sizes = [0] if size == 0 else sizes
        else:
            sizes = list(split_size)
            if sum(sizes) != size:
                raise RuntimeError(
                    f"split_with_sizes expects split_sizes to sum exactly to {size} "
                    f"(input tensor's size at dimension {dim}), but got split_sizes={sizes}")
        return self._split_views(dim, sizes, 0 if isinstance(split_size, int) else 1)

    def chunk(self, chunks, dim=0) -> tuple[Tensor, ...]:
        """At most `chunks` pieces of equal size along dim (the last may be smaller)."""
        if self.ndim == 0:
            raise RuntimeError("chunk expects at least a 1-dimensional tensor")
        if chunks <= 0:
            raise RuntimeError("chunk expects `chunks` to be greater than 0, got: %d" % chunks)
        dim = _wrap_dim(dim, self.ndim, "chunk")
        size = self.shape[dim]
        if size == 0:  # torch gives `chunks` empty pieces
            return self._split_views(dim, [0] * chunks, 1)
        return self.split(-(-size // chunks), dim)

    def unbind(self, dim=0) -> tuple[Tensor, ...]:
        """The slices along dim, each without that dim."""
        if self.ndim == 0:
            raise IndexError("unbind: Dimension specified as 0 but tensor has no dimensions")
        dim = _wrap_dim(dim, self.ndim, "unbind")
        return self._split_views(dim, [1] * self.shape[dim], 2)

    def repeat(self, *repeats) -> Tensor:
        """repeat(*repeats): a copy tiled repeats[i] times along each dim i (leading repeats
        beyond self.ndim add new dims in front). Forms: repeat(2, 3), repeat((2, 3))."""
        if len(repeats) == 1 and isinstance(repeats[0], (tuple, list)):
            repeats = tuple(repeats[0])
        if not repeats and self.ndim:
            raise TypeError('repeat() missing 1 required positional arguments: "repeats"')
        repeats = tuple(operator.index(r) for r in repeats)
        if len(repeats) < self.ndim:
            raise RuntimeError("Number of dimensions of repeat dims can not be smaller than "
                               "number of dimensions of tensor")
        shape = (1,) * (len(repeats) - self.ndim) + tuple(self.shape)
        target = [r * n for r, n in zip(repeats, shape)]
        for r in repeats:
            if r < 0:
                bad = next(t for t in target if t < 0) if any(t < 0 for t in target) else r
                raise RuntimeError(f"Trying to create tensor with negative dimension {bad}: "
                                   f"{target}")
        # (.., 1, n, ..) expanded to (.., r, n, ..): the copies of each dim sit outside it
        paired = [d for n in shape for d in (1, n)]
        wide = [d for r, n in zip(repeats, shape) for d in (r, n)]
        out = self.reshape(paired).expand(wide).reshape(target)
        if out.numel() and out.data_ptr() == self.data_ptr():  # no copy happened: make one
            out = out.clone()
        return out

    def roll(self, shifts, dims=None) -> Tensor:
        """A copy with the elements shifted by shifts along dims, wrapping around; without
        dims, along the flattened tensor (shape kept)."""
        shifts = (shifts,) if isinstance(shifts, int) else tuple(shifts)
        if dims is None:
            if len(shifts) != 1:
                raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, "
                                   f"dims:0")
            return self.flatten().roll(shifts, 0).view(self.shape)
        dims = (dims,) if isinstance(dims, int) else tuple(dims)
        if not shifts:
            raise RuntimeError("`shifts` required")
        if len(shifts) != len(dims):
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, "
                               f"dims:{len(dims)}")
        out = self
        for shift, d in zip(shifts, dims):
            d = _wrap_dim(d, self.ndim, "roll")
            n = self.shape[d] if self.ndim else 1
            k = operator.index(shift) % n if n else 0
            if k:  # the last k elements move to the front
                out = _C.cat([out.narrow(d, n - k, k), out.narrow(d, 0, n - k)], d)
        return self.clone() if out is self else out

    def index_add(self, dim, index, source, *, alpha=1) -> Tensor:
        """A copy of self with alpha * source's slices added at the positions in the 1-D index
        along dim (repeated positions add up)."""
        return self.clone().index_add_(dim, index, source, alpha=alpha)

    def index_add_(self, dim, index, source, *, alpha=1) -> Tensor:
        """Add alpha * source's slices into self at the positions in the 1-D index along dim."""
        d = _wrap_dim(dim, self.ndim, "index_add_")
        if not isinstance(index, Tensor) or index.ndim > 1:
            got = f"dim: {index.ndim}" if isinstance(index, Tensor) else type(index).__name__
            raise IndexError(f"index_add_(): Index is supposed to be a vector, but got {got}")
        if index.dtype != _C.int64:
            raise RuntimeError(f"index_add_(): Expected dtype int64 for index but got: "
                               f"{index.dtype}")
        n, size = index.numel(), self.shape[d] if self.ndim else 1
        if source.ndim and source.shape[d if self.ndim else 0] != n:
            raise RuntimeError(f"index_add_(): Number of indices ({n}) should be equal to "
                               f"source.size(dim): ({source.shape[d]}), for dim: {d}")
        bad = index[(index < 0) | (index >= size)] if n else index
        if bad.numel():
            raise RuntimeError(f"index_add_(): index {bad[0].item()} is out of bounds for "
                               f"dimension {d} with size {size}")
        if not self.is_floating_point() and isinstance(alpha, float):
            alpha = int(alpha)  # torch truncates a float alpha for integer tensors
        if alpha != 1:
            source = source * alpha
        if self.ndim == 0:
            return self.scatter_add_(0, index.reshape(()), source.reshape(()))
        view = [1] * self.ndim
        view[d] = n
        return self.scatter_add_(d, index.reshape(view).expand(source.shape), source)

    # --- math helpers -------------------------------------------------------
    def any(self, dim=None, keepdim=False) -> Tensor:
        """True (a bool tensor) where any element is non-zero, over all elements or along dim."""
        return (self != 0).sum(dim, keepdim) > 0 if dim is not None else (self != 0).sum() > 0

    def all(self, dim=None, keepdim=False) -> Tensor:
        """True (a bool tensor) where every element is non-zero, over all elements or along dim."""
        return (self == 0).sum(dim, keepdim) == 0 if dim is not None else (self == 0).sum() == 0

    def clip(self, min=None, max=None) -> Tensor:
        """Alias of clamp: each element limited to [min, max]."""
        return self.clamp(min, max)

    def clip_(self, min=None, max=None) -> Tensor:
        """Alias of clamp_: in place, limits each element to [min, max]; returns self."""
        return self.clamp_(min, max)

    def masked_fill(self, mask, value) -> Tensor:
        """A copy of self (broadcast with mask) holding value where mask is True.

        value is a number or a 0-d tensor; the result keeps self's dtype, as in PyTorch."""
        return _C.where(mask, _masked_fill_value(self, mask, value, "masked_fill"), self)

    def masked_select(self, mask) -> Tensor:
        """The elements of self where the bool tensor mask (broadcast with self) is True,
        as a 1-D tensor."""
        from ._compare import masked_select
        return masked_select(self, mask)

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> Tensor:
        """Elementwise |self - other| <= atol + rtol |other| (bool), as torch.isclose."""
        from ._compare import isclose
        return isclose(self, other, rtol, atol, equal_nan)

    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> builtins.bool:
        """True when every element is close to other's (isclose): a Python bool."""
        from ._compare import allclose
        return allclose(self, other, rtol, atol, equal_nan)

    def equal(self, other) -> builtins.bool:
        """True when self and other have the same shape and elements."""
        from ._compare import equal
        return equal(self, other)

    def norm(self, p="fro", dim=None, keepdim=False, dtype=None) -> Tensor:
        """The vector p-norm over all elements or over dim (see pynet.norm)."""
        from ._compare import norm
        return norm(self, p, dim, keepdim, dtype)

    def masked_fill_(self, mask, value) -> Tensor:
        """Write value (a number or 0-d tensor) where mask (broadcast to self) is True."""
        value = _masked_fill_value(self, mask, value, "masked_fill_")
        shape = tuple(np.broadcast_shapes(tuple(self.shape), tuple(mask.shape)))
        if shape != tuple(self.shape):
            raise RuntimeError(f"masked_fill_: output with shape {list(self.shape)} doesn't match "
                               f"the broadcast shape {list(shape)}")
        self[mask.expand(self.shape)] = value
        return self

    def logical_not(self) -> Tensor:
        """Elementwise logical NOT (self == 0), as bool."""
        return self == 0

    def logical_and(self, other) -> Tensor:
        """Elementwise logical AND of self and other (non-zero is True), as bool."""
        return (self != 0) & (_as_tensor(other) != 0)

    def logical_or(self, other) -> Tensor:
        """Elementwise logical OR of self and other (non-zero is True), as bool."""
        return (self != 0) | (_as_tensor(other) != 0)

    def logical_xor(self, other) -> Tensor:
        """Elementwise logical XOR of self and other (non-zero is True), as bool."""
        return (self != 0) ^ (_as_tensor(other) != 0)

    def dot(self, other) -> Tensor:
        """The dot product of two 1-D tensors (a 0-d tensor)."""
        if self.ndim != 1 or other.ndim != 1:
            raise RuntimeError(f"1D tensors expected, but got {self.ndim}D and {other.ndim}D tensors")
        return self.matmul(other)

    def nonzero(self, as_tuple=False) -> Tensor | tuple[Tensor, ...]:
        """The indices of the non-zero elements: an (n, ndim) int64 tensor, or a tuple of
        1-D index tensors, one per dimension, if as_tuple."""
        if self.ndim == 0:  # a 0-d tensor: one (empty) index row if it is non-zero
            n = int(bool(self.item()))
            if as_tuple:
                return (_C.zeros((n,), dtype=_C.int64),)
            return _C.zeros((n, 0), dtype=_C.int64)
        idx = np.nonzero(_C._to_numpy(self, True))
        if as_tuple:
            return tuple(_C.from_numpy(np.ascontiguousarray(i, dtype=np.int64)) for i in idx)
        return _C.from_numpy(np.ascontiguousarray(np.stack(idx, axis=1), dtype=np.int64)) \
            if len(idx) else _C.from_numpy(np.zeros((int(bool(self.item())), 0), np.int64))

    def isnan(self) -> Tensor:
        """Elementwise: True where the element is NaN."""
        return self != self

    def isinf(self) -> Tensor:
        """Elementwise: True where the element is +inf or -inf."""
        return self.abs() == float("inf")

    def isfinite(self) -> Tensor:
        """Elementwise: True where the element is neither NaN nor infinite."""
        return ~(self.isnan() | self.isinf())

    def isposinf(self) -> Tensor:
        """Elementwise: True where the element is +inf (never for integers and bools)."""
        if not self.is_floating_point():
            return _C.zeros(tuple(self.shape), dtype=_C.bool)
        return self == math.inf

    def isneginf(self) -> Tensor:
        """Elementwise: True where the element is -inf (never for integers and bools)."""
        if not self.is_floating_point():
            return _C.zeros(tuple(self.shape), dtype=_C.bool)
        return self == -math.inf

    def isreal(self) -> Tensor:
        """Elementwise: True where the element is real; every element of pynet's real dtypes."""
        return _C.ones(tuple(self.shape), dtype=_C.bool)

    def is_nonzero(self) -> builtins.bool:
        """Whether the single element of self is non-zero (RuntimeError for any other size)."""
        if self.numel() != 1:
            raise RuntimeError("Boolean value of Tensor with "
                               + ("no values" if self.numel() == 0 else "more than one value")
                               + " is ambiguous")
        return builtins.bool(self.item() != 0)

    def uniform_(self, a=0.0, b=1.0, *, generator=None) -> Tensor:
        """In place: fills self with draws from the uniform distribution on [a, b); returns self."""
        with _drawing_from(generator):
            _fill_random(self, _C._fill_uniform_, a, b, "uniform_")
        return _C._cut_history(self, "uniform_", "UniformBackward0")

    def normal_(self, mean=0.0, std=1.0, *, generator=None) -> Tensor:
        """In place: fills self with draws from N(mean, std**2); returns self."""
        with _drawing_from(generator):
            _fill_random(self, _C._fill_normal_, mean, std, "normal_")
        return _C._cut_history(self, "normal_", "NormalBackward0")

    def exponential_(self, lambd=1.0, *, generator=None) -> Tensor:
        """Fill with draws from the exponential distribution of rate lambd (> 0)."""
        if not lambd > 0:
            raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd}")
        _C._check_writable(self, "exponential_")
        with _no_grad():
            self.uniform_(generator=generator)
            self.copy_((1 - self).log() / (-lambd))
        return _C._cut_history(self, "exponential_", "ExponentialBackward0")

    def bernoulli_(self, p=0.5, *, generator=None) -> Tensor:
        """In place: fills self with 1 with probability p, else 0; returns self."""
        _C._check_writable(self, "bernoulli_")
        with _no_grad(), _drawing_from(generator):
            self.copy_(_C._bernoulli(self.shape, float(p)))
        return _C._cut_history(self, "bernoulli_", "BernoulliBackward2")

    def new_zeros(self, *size, dtype=None, requires_grad=False) -> Tensor:
        """A tensor of zeros of shape size, with self's dtype unless dtype is given."""
        return _C.zeros(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, requires_grad=False) -> Tensor:
        """A tensor of ones of shape size, with self's dtype unless dtype is given."""
        return _C.ones(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_full(self, size, fill_value, dtype=None, requires_grad=False) -> Tensor:
        """A tensor of shape size filled with fill_value (dtype defaults to self's)."""
        return _C.full(size, fill_value, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_empty(self, *size, dtype=None, requires_grad=False) -> Tensor:
        """An uninitialized tensor of shape size, with self's dtype unless dtype is given."""
        return _C.empty(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_tensor(self, data, dtype=None, requires_grad=False) -> Tensor:
        """A new tensor (a copy) of data, with self's dtype unless dtype is given."""
        from ._creation import tensor

        return tensor(data, dtype=dtype or self.dtype, requires_grad=requires_grad)

    # --- shapes, joins and splits ---------------------------------------------------------
    # (hstack, vstack, meshgrid ... have no Tensor method in torch: they are the module-level
    # _hstack ... below, which pynet/_functions.py exports)
    def broadcast_to(self, size) -> Tensor:
        """A view of self expanded to size by the broadcasting rules (-1 keeps a size)."""
        return self.expand((size,) if isinstance(size, int) else tuple(size))

    def movedim(self, source, destination) -> Tensor:
        """A view with the dims in source (an int or a sequence) moved to the positions in
        destination; the other dims keep their order."""
        return _movedim(self, source, destination, "movedim")

    def moveaxis(self, source, destination) -> Tensor:
        """Alias of movedim (NumPy's name)."""
        return _movedim(self, source, destination, "moveaxis")

    def swapaxes(self, axis0, axis1) -> Tensor:
        """Alias of transpose (NumPy's name): a view with axis0 and axis1 swapped."""
        return self.transpose(axis0, axis1)

    def swapdims(self, dim0, dim1) -> Tensor:
        """Alias of transpose: a view with dim0 and dim1 swapped."""
        return self.transpose(dim0, dim1)

    def swapaxes_(self, axis0, axis1) -> Tensor:
        """Alias of transpose_ (NumPy's name): self becomes the view with axis0 and axis1
        swapped."""
        return self.transpose_(axis0, axis1)

    def swapdims_(self, dim0, dim1) -> Tensor:
        """Alias of transpose_: self becomes the view with dim0 and dim1 swapped."""
        return self.transpose_(dim0, dim1)

    def tile(self, *dims) -> Tensor:
        """A copy of self repeated dims[i] times along dim i; a dims shorter than self.ndim is
        padded with 1s in front (repeat is the same with len(dims) >= ndim).
        Forms: tile((2, 3)), tile(2, 3)."""
        if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
            dims = tuple(dims[0])
        reps = tuple(operator.index(d) for d in dims)
        if len(reps) < self.ndim:
            reps = (1,) * (self.ndim - len(reps)) + reps
        return self.repeat(reps)

    def ravel(self) -> Tensor:
        """self flattened to 1-D: a view of a contiguous self, else a contiguous copy."""
        return (self if self.is_contiguous() else self.contiguous()).reshape(-1)

    def tensor_split(self, indices_or_sections, dim=0) -> tuple[Tensor, ...]:
        """Views of self along dim: n pieces for an int n (the first size % n one longer), or
        the slices between the listed indices (a 0-d int64 tensor counts as an int, a 1-d
        one as the list)."""
        if self.ndim == 0:
            raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got "
                               "a tensor with 0 dims")
        ios = indices_or_sections
        if isinstance(ios, Tensor):
            if ios.dtype != _C.int64:
                raise RuntimeError(f"tensor_split expected tensor_indices_or_sections to have "
                                   f"dtype of int64, but got {_dname(ios.dtype)}")
            if ios.ndim > 1:
                raise RuntimeError(f"tensor_split expected tensor_indices_or_sections to be a "
                                   f"zero-dimensional or one-dimensional tensor, but got a "
                                   f"tensor with {ios.ndim} dims")
            ios = ios.item() if ios.ndim == 0 else ios.tolist()
        d = _wrap_dim(dim, self.ndim, "tensor_split")
        size = self.shape[d]
        pieces = []
        if isinstance(ios, (tuple, list)):
            cuts = [operator.index(i) for i in ios]
            for lo, hi in zip([0] + cuts, cuts + [size]):
                start, stop, _ = slice(lo, hi).indices(size)  # Python's slice rules
                pieces.append(self.narrow(d, start, builtins.max(stop - start, 0)))
            return tuple(pieces)
        n = operator.index(ios)
        if n <= 0:
            raise RuntimeError(f"tensor_split: number of sections must be larger than 0, got {n}")
        q, r = divmod(size, n)
        start = 0
        for i in range(n):
            length = q + (1 if i < r else 0)
            pieces.append(self.narrow(d, start, length))
            start += length
        return tuple(pieces)

    def hsplit(self, indices_or_sections) -> tuple[Tensor, ...]:
        """tensor_split along dim 1 (dim 0 for a 1-D tensor); an int must divide the size."""
        return _split_along(self, indices_or_sections, 1 if self.ndim >= 2 else 0, 1, "hsplit")

    def vsplit(self, indices_or_sections) -> tuple[Tensor, ...]:
        """tensor_split along dim 0 of a tensor with >= 2 dims; an int must divide the size."""
        return _split_along(self, indices_or_sections, 0, 2, "vsplit")

    def dsplit(self, indices_or_sections) -> tuple[Tensor, ...]:
        """tensor_split along dim 2 of a tensor with >= 3 dims; an int must divide the size."""
        return _split_along(self, indices_or_sections, 2, 3, "dsplit")

    def take_along_dim(self, indices, dim=None) -> Tensor:
        """The elements of self at the int64 indices along dim (self and indices broadcast
        against each other in the other dims; negative indices count from the end); with dim
        None, indices into the flattened self."""
        _need_tensor(indices, "take_along_dim", "indices")
        if dim is None:
            return self.reshape(-1).gather(0, indices.reshape(-1))
        if self.ndim != indices.ndim:
            raise RuntimeError(f"take_along_dim(): input and indices should have the same number "
                               f"of dimensions, but got {self.ndim} dimensions for input, and "
                               f"{indices.ndim} dimensions for indices")
        if indices.dtype != _C.int64:
            raise RuntimeError(f"take_along_dim(): dtype of indices should be int64 but got "
                               f"{_dname(indices.dtype)}")
        if self.ndim == 0:
            _wrap_dim(dim, 0, "take_along_dim")
            return self.reshape(1).take_along_dim(indices.reshape(1), 0).reshape(())
        d = _wrap_dim(dim, self.ndim, "take_along_dim")
        n = self.shape[d]
        wanted = list(self.shape)
        wanted[d] = indices.shape[d]
        shape = _broadcast_pair(wanted, indices.shape)
        idx = indices.expand(shape)
        shape[d] = n
        idx = _C.where(idx < 0, idx + n, idx)
        return self.expand(shape).gather(d, idx)

    def take(self, index) -> Tensor:
        """The elements of the flattened self at the int64 index (any shape; negative values
        count from the end), shaped like index."""
        _need_tensor(index, "take", "index")
        if index.dtype != _C.int64:
            raise RuntimeError(f"take(): Expected a long tensor for index, but got "
                               f"{_dname(index.dtype)}")
        n = self.numel()
        flat = index.reshape(-1)
        if flat.numel():
            if n == 0:
                raise IndexError("take(): tried to take from an empty tensor")
            bad = flat[(flat >= n) | (flat < -n)]
            if bad.numel():
                raise IndexError(f"take(): index {bad[0].item()} is out of range for a tensor "
                                 f"of {n} elements")
        flat = _C.where(flat < 0, flat + n, flat)
        return self.reshape(-1).gather(0, flat).reshape(index.shape)

    def fliplr(self) -> Tensor:
        """A copy with the order of dim 1 (the columns) reversed; self needs >= 2 dims."""
        if self.ndim < 2:
            raise RuntimeError(f"fliplr: input must be >= 2-d, but got a {self.ndim}-d tensor")
        return self.flip(1)

    def flipud(self) -> Tensor:
        """A copy with the order of dim 0 (the rows) reversed; self needs >= 1 dim."""
        if self.ndim < 1:
            raise RuntimeError("flipud: input must be >= 1-d, but got a 0-d tensor")
        return self.flip(0)

    def rot90(self, k=1, dims=(0, 1)) -> Tensor:
        """A copy rotated by 90 degrees k times in the plane of dims, from the first towards
        the second (k may be negative)."""
        dims = list(dims)
        if len(dims) != 2:
            raise RuntimeError(f"rot90: expected total rotation dims == 2, but got dims = "
                               f"{len(dims)}")
        if self.ndim < 2:
            raise RuntimeError(f"rot90: expected total dims >= 2, but got total dims = "
                               f"{self.ndim}")
        a, b = (_wrap_dim(d, self.ndim, "rot90") for d in dims)
        if a == b:
            raise RuntimeError(f"rot90: expected rotation dims to be different, but got dim0 = "
                               f"{dims[0]} and dim1 = {dims[1]}")
        turns = operator.index(k) % 4
        if turns == 1:
            return self.flip(b).transpose(a, b)
        if turns == 2:
            return self.flip(a, b)
        if turns == 3:
            return self.flip(a).transpose(a, b)
        return self.clone()

    # --- products -----------------------------------------------------------------------
    def outer(self, vec2) -> Tensor:
        """The outer product of two 1-D tensors: out[i, j] = self[i] * vec2[j]."""
        return _outer(self, vec2, "outer")

    def ger(self, vec2) -> Tensor:
        """Alias of outer (the older name)."""
        return _outer(self, vec2, "ger")

    def inner(self, other) -> Tensor:
        """Sums of products over the last dims of self and other (shape self.shape[:-1] +
        other.shape[:-1]); a 0-d operand multiplies instead."""
        _need_tensor(other, "inner", "other")
        if self.ndim == 0 or other.ndim == 0:
            return self * other
        if self.shape[-1] != other.shape[-1]:
            raise RuntimeError(f"inner() the last dimension must match on both input tensors but "
                               f"got shapes {list(self.shape)} and {list(other.shape)}")
        return _contract(self, other, [self.ndim - 1], [other.ndim - 1], "inner")

    def kron(self, other) -> Tensor:
        """The Kronecker product: blocks self[i...] * other, the fewer dims padded with
        leading 1s (shape: the products of the sizes)."""
        _need_tensor(other, "kron", "other")
        nd = builtins.max(self.ndim, other.ndim)
        sa = (1,) * (nd - self.ndim) + tuple(self.shape)
        sb = (1,) * (nd - other.ndim) + tuple(other.shape)
        a = self.reshape([s for n in sa for s in (n, 1)])
        b = other.reshape([s for n in sb for s in (1, n)])
        return (a * b).reshape([x * y for x, y in zip(sa, sb)])

    def mv(self, vec) -> Tensor:
        """The product of the matrix self and the 1-D tensor vec."""
        _need_tensor(vec, "mv", "vec")
        if self.ndim != 2 or vec.ndim != 1:
            raise RuntimeError(f"mv: vector + matrix @ vector expected, got 1, {self.ndim}, "
                               f"{vec.ndim}")
        if self.shape[1] != vec.shape[0]:
            raise RuntimeError(f"mv: size mismatch, got input ({self.shape[0]}), mat "
                               f"({self.shape[0]}x{self.shape[1]}), vec ({vec.shape[0]})")
        _same_dtypes("mv", self=self, vec=vec)
        return self.matmul(vec)

    def vdot(self, other) -> Tensor:
        """The dot product of two 1-D tensors of one dtype (for real tensors, dot)."""
        _need_tensor(other, "vdot", "other")
        if self.ndim != 1 or other.ndim != 1:
            raise RuntimeError(f"vdot: 1D tensors expected, but got {self.ndim}D and "
                               f"{other.ndim}D tensors")
        if self.dtype != other.dtype:
            raise RuntimeError(f"vdot: expected both vectors to have same dtype, but found "
                               f"{_dname(self.dtype)} and {_dname(other.dtype)}")
        if self.shape[0] != other.shape[0]:
            raise RuntimeError(f"vdot: inconsistent tensor size, expected tensor "
                               f"[{self.shape[0]}] and src [{other.shape[0]}] to have the same "
                               f"number of elements, but got {self.shape[0]} and "
                               f"{other.shape[0]} elements respectively")
        _no_bool("vdot", self.dtype)
        return self.matmul(other)

    def addmm(self, mat1, mat2, *, beta=1, alpha=1) -> Tensor:
        """beta * self + alpha * (mat1 @ mat2), self broadcast to the (n, p) result; with
        beta = 0 self is not read (its NaN do not propagate)."""
        _need_tensor(mat1, "addmm", "mat1")
        _need_tensor(mat2, "addmm", "mat2")
        for name, m in (("mat1", mat1), ("mat2", mat2)):
            if m.ndim != 2:
                raise RuntimeError(f"addmm: {name} must be a matrix, got {m.ndim}-D tensor")
        if mat1.shape[1] != mat2.shape[0]:
            raise RuntimeError(f"addmm: mat1 and mat2 shapes cannot be multiplied "
                               f"({mat1.shape[0]}x{mat1.shape[1]} and "
                               f"{mat2.shape[0]}x{mat2.shape[1]})")
        _same_dtypes("addmm", self=self, mat1=mat1, mat2=mat2)
        _no_bool("addmm", self.dtype)
        return _scaled_sum(self, mat1.mm(mat2), beta, alpha)

    def addmm_(self, mat1, mat2, *, beta=1, alpha=1) -> Tensor:
        """In place: self = beta * self + alpha * (mat1 @ mat2); returns self."""
        return _inplace(self, "addmm_", lambda s: s.addmm(mat1, mat2, beta=beta, alpha=alpha),
                        mat1, mat2)

    def addmv(self, mat, vec, *, beta=1, alpha=1) -> Tensor:
        """beta * self + alpha * (mat @ vec), self broadcast to the (n,) result; with beta = 0
        self is not read."""
        _need_tensor(mat, "addmv", "mat")
        _need_tensor(vec, "addmv", "vec")
        if self.ndim > 1 or mat.ndim != 2 or vec.ndim != 1:
            raise RuntimeError(f"addmv: vector + matrix @ vector expected, got {self.ndim}, "
                               f"{mat.ndim}, {vec.ndim}")
        if mat.shape[1] != vec.shape[0] or (self.ndim == 1
                                            and self.shape[0] not in (1, mat.shape[0])):
            got = f"({self.shape[0]})" if self.ndim else "()"
            raise RuntimeError(f"addmv: size mismatch, got input {got}, mat "
                               f"({mat.shape[0]}x{mat.shape[1]}), vec ({vec.shape[0]})")
        _same_dtypes("addmv", self=self, mat=mat, vec=vec)
        _no_bool("addmv", self.dtype)
        return _scaled_sum(self, mat.matmul(vec), beta, alpha)

    def addmv_(self, mat, vec, *, beta=1, alpha=1) -> Tensor:
        """In place: self = beta * self + alpha * (mat @ vec); returns self."""
        return _inplace(self, "addmv_", lambda s: s.addmv(mat, vec, beta=beta, alpha=alpha),
                        mat, vec)

    def addr(self, vec1, vec2, *, beta=1, alpha=1) -> Tensor:
        """beta * self + alpha * outer(vec1, vec2) (dtypes promoted); with beta = 0 self is
        not read. For bool tensors: (beta and self) or (alpha and outer)."""
        _need_tensor(vec1, "addr", "vec1")
        _need_tensor(vec2, "addr", "vec2")
        for name, v in (("vec1", vec1), ("vec2", vec2)):
            if v.ndim != 1:
                raise RuntimeError(f"addr: Expected 1-D argument {name}, but got {v.ndim}-D")
        # (self counts as the full (n, m) tensor it is broadcast to, as in torch)
        dtype = _promote_types(_promote_types(self.dtype, vec1.dtype), vec2.dtype)
        for name, s in (("beta", beta), ("alpha", alpha)):
            if not dtype.is_floating_point and isinstance(s, float):
                raise RuntimeError(f"addr: For integral input tensors, argument {name} must not "
                                   f"be a floating point number.")
            if dtype != _C.bool and isinstance(s, bool):
                raise RuntimeError(f"addr: Boolean {name} only supported for Boolean results.")
        outer = vec1.unsqueeze(1) * vec2
        if dtype == _C.bool:
            shape = tuple(outer.shape)
            out = outer if alpha else _C.zeros(shape, dtype=_C.bool)
            return out | self.expand(shape) if beta else out
        return _scaled_sum(self.to(dtype), outer.to(dtype), beta, alpha)

    def addr_(self, vec1, vec2, *, beta=1, alpha=1) -> Tensor:
        """In place: self = beta * self + alpha * outer(vec1, vec2); returns self."""
        return _inplace(self, "addr_", lambda s: s.addr(vec1, vec2, beta=beta, alpha=alpha),
                        vec1, vec2)

    def addbmm(self, batch1, batch2, *, beta=1, alpha=1) -> Tensor:
        """beta * self + alpha * (the sum over b of batch1[b] @ batch2[b]), self broadcast to
        the (n, p) result; with beta = 0 self is not read."""
        b, n, _, p = _check_batches("addbmm", batch1, batch2)
        _same_dtypes("addbmm", self=self, batch1=batch1, batch2=batch2)
        _no_bool("addbmm", self.dtype)
        k = batch1.shape[2]
        # (n, b*k) @ (b*k, p): one product summing over the batch and the inner dim
        prod = batch1.permute(1, 0, 2).reshape(n, b * k).mm(batch2.reshape(b * k, p))
        return _scaled_sum(self, prod, beta, alpha)

    def addbmm_(self, batch1, batch2, *, beta=1, alpha=1) -> Tensor:
        """In place: self = beta * self + alpha * sum_b batch1[b] @ batch2[b]; returns self."""
        return _inplace(self, "addbmm_",
                        lambda s: s.addbmm(batch1, batch2, beta=beta, alpha=alpha),
                        batch1, batch2)

    def baddbmm(self, batch1, batch2, *, beta=1, alpha=1) -> Tensor:
        """beta * self + alpha * bmm(batch1, batch2), self broadcast to the (b, n, p) result;
        with beta = 0 self is not read."""
        _check_batches("baddbmm", batch1, batch2)
        _same_dtypes("baddbmm", self=self, batch1=batch1, batch2=batch2)
        _no_bool("baddbmm", self.dtype)
        return _scaled_sum(self, batch1.bmm(batch2), beta, alpha)

    def baddbmm_(self, batch1, batch2, *, beta=1, alpha=1) -> Tensor:
        """In place: self = beta * self + alpha * bmm(batch1, batch2); returns self."""
        return _inplace(self, "baddbmm_",
                        lambda s: s.baddbmm(batch1, batch2, beta=beta, alpha=alpha),
                        batch1, batch2)

    # --- elementwise compositions ---------------------------------------------------------
    def logit(self, eps=None) -> Tensor:
        """log(p / (1 - p)) elementwise; with eps, p is first clamped into [eps, 1 - eps] (an
        eps < 0 is no eps). Integer and bool tensors give the default dtype."""
        x = self if self.is_floating_point() else self.to(_C._get_default_dtype())
        return _Logit.apply(x, None if eps is None or eps < 0 else float(eps))

    def logit_(self, eps=None) -> Tensor:
        """In place: self = logit(self, eps); returns self."""
        return _inplace(self, "logit_", lambda s: s.logit(eps))

    def xlogy(self, other) -> Tensor:
        """self * log(other) elementwise, 0 where self == 0 (NaN where other is NaN); other is
        a tensor or a number. Integer and bool operands give float32."""
        return _xlogy(self, other)

    def xlogy_(self, other) -> Tensor:
        """In place: self = xlogy(self, other); returns self."""
        return _inplace(self, "xlogy_", lambda s: _xlogy(s, other), other)

    def logaddexp(self, other) -> Tensor:
        """log(exp(self) + exp(other)) elementwise, computed without overflow."""
        return _logaddexp(self, other, False, "logaddexp")

    def logaddexp2(self, other) -> Tensor:
        """log2(2 ** self + 2 ** other) elementwise, computed without overflow."""
        return _logaddexp(self, other, True, "logaddexp2")

    def lerp(self, end, weight) -> Tensor:
        """self + weight * (end - self) elementwise (for |weight| >= 0.5 computed as
        end - (end - self) * (1 - weight), as PyTorch does); weight is a number or a tensor."""
        return _lerp(self, end, weight, "lerp")

    def lerp_(self, end, weight) -> Tensor:
        """In place: self = lerp(self, end, weight); returns self."""
        return _inplace(self, "lerp_", lambda s: _lerp(s, end, weight, "lerp_"), end, weight)

    def fmax(self, other) -> Tensor:
        """Elementwise maximum that ignores NaN: NaN only where both are NaN."""
        _need_tensor(other, "fmax", "other")
        a, b = _promoted(self, other)
        return _C.where((a >= b) | (b != b), a, b)

    def fmin(self, other) -> Tensor:
        """Elementwise minimum that ignores NaN: NaN only where both are NaN."""
        _need_tensor(other, "fmin", "other")
        a, b = _promoted(self, other)
        return _C.where((a <= b) | (b != b), a, b)

    def float_power(self, exponent) -> Tensor:
        """self ** exponent computed in float64 (the result is float64 for every dtype)."""
        e = exponent.to(_C.float64) if isinstance(exponent, Tensor) else exponent
        return self.to(_C.float64).pow(e)

    def float_power_(self, exponent) -> Tensor:
        """In place: self = self ** exponent in float64 (self must be float64); returns self."""
        if self.dtype != _C.float64:
            raise RuntimeError(f"float_power_: the base has dtype {_dname(self.dtype)} but the "
                               f"operation's result requires dtype float64")
        e = exponent.to(_C.float64) if isinstance(exponent, Tensor) else exponent
        return self.pow_(e)

    def frac(self) -> Tensor:
        """The fractional part self - trunc(self), with self's sign (floating point only)."""
        _float_only("frac", self.dtype)
        return self - self.trunc()

    def frac_(self) -> Tensor:
        """In place: self = frac(self); returns self."""
        return _inplace(self, "frac_", lambda s: s.frac())

    def sgn(self) -> Tensor:
        """The sign of each element (sign, for real tensors)."""
        return self.sign()

    def sgn_(self) -> Tensor:
        """In place: self = sgn(self); returns self."""
        return self.sign_()

    def nan_to_num(self, nan=0.0, posinf=None, neginf=None) -> Tensor:
        """A copy with NaN, +inf and -inf replaced by nan, posinf and neginf (by default 0 and
        the dtype's largest and lowest finite values); integer and bool tensors are copied."""
        if not self.is_floating_point():
            return self.clone()
        info = np.finfo(np.float32 if self.dtype == _C.float32 else np.float64)
        pos = float(info.max) if posinf is None else posinf
        neg = float(info.min) if neginf is None else neginf
        inf = math.inf
        return _C.where(self != self, _C.full((), nan, dtype=self.dtype),
                        _C.where(self == inf, _C.full((), pos, dtype=self.dtype),
                                 _C.where(self == -inf, _C.full((), neg, dtype=self.dtype),
                                          self)))

    def nan_to_num_(self, nan=0.0, posinf=None, neginf=None) -> Tensor:
        """In place: self = nan_to_num(self, nan, posinf, neginf); returns self."""
        return _inplace(self, "nan_to_num_", lambda s: s.nan_to_num(nan, posinf, neginf))

    def deg2rad(self) -> Tensor:
        """Angles in degrees converted to radians (integer and bool tensors give the default
        dtype)."""
        return (self if self.is_floating_point() else self.to(_C._get_default_dtype())) * _PI_180

    def deg2rad_(self) -> Tensor:
        """In place: self = deg2rad(self); returns self."""
        return _inplace(self, "deg2rad_", lambda s: s.deg2rad())

    def rad2deg(self) -> Tensor:
        """Angles in radians converted to degrees (integer and bool tensors give the default
        dtype)."""
        return (self if self.is_floating_point() else self.to(_C._get_default_dtype())) * _180_PI

    def rad2deg_(self) -> Tensor:
        """In place: self = rad2deg(self); returns self."""
        return _inplace(self, "rad2deg_", lambda s: s.rad2deg())

    def heaviside(self, values) -> Tensor:
        """The Heaviside step: 0 where self < 0 (and where NaN), 1 where self > 0, values where
        self == 0 (a tensor of self's dtype). Not differentiable, as in PyTorch."""
        _need_tensor(values, "heaviside", "values")
        if values.dtype != self.dtype:
            raise RuntimeError(f"heaviside is not yet implemented for tensors with different "
                               f"dtypes ({_dname(self.dtype)} and {_dname(values.dtype)})")
        return _Heaviside.apply(self, values)

    def heaviside_(self, values) -> Tensor:
        """In place: self = heaviside(self, values); returns self."""
        return _inplace(self, "heaviside_", lambda s: s.heaviside(values), values)

    def round(self, *, decimals=0) -> Tensor:
        """Elementwise round half to even; to `decimals` decimal places if given (negative:
        to tens, hundreds...), by scaling with 10 ** |decimals| in self's dtype as PyTorch."""
        if decimals == 0:
            return super().round()
        return _round_decimals(self, decimals)

    def round_(self, *, decimals=0) -> Tensor:
        """In place: self.round(decimals=decimals); returns self."""
        if decimals == 0:
            return super().round_()
        return self.copy_(_round_decimals(self, decimals))

    def sinc(self) -> Tensor:
        """The normalized sinc sin(pi x) / (pi x), 1 at x = 0 (integer and bool give the
        default dtype)."""
        x = self if self.is_floating_point() else self.to(_C._get_default_dtype())
        # Near 0, sin(t) / t with t = pi x, differentiated as written, subtracts two terms of
        # size 1/t whose difference is t/3 (a relative error of eps / t^2, and NaN once t^2
        # underflows); for |t| < 0.1 the series 1 - t^2/3! + t^4/5! - t^6/7! + t^8/9! (next
        # term t^10/11! < 3e-18) gives the value and its gradient.
        small = x.abs() < 0.1 / math.pi
        t = _C.where(small, 1.0, x) * math.pi  # 1 stands in for the small ones: no 0/0
        ts = _C.where(small, x, 0.0) * math.pi
        t2 = ts * ts
        series = 1.0 - t2 * (1.0 / 6 - t2 * (1.0 / 120 - t2 * (1.0 / 5040 - t2 / 362880)))
        return _C.where(small, series, t.sin() / t)

    def sinc_(self) -> Tensor:
        """In place: self = sinc(self); returns self."""
        return _inplace(self, "sinc_", lambda s: s.sinc())

    def positive(self) -> Tensor:
        """self itself (+self); not defined for bool tensors."""
        if self.dtype == _C.bool:
            raise RuntimeError("positive: the `+` operator, on a bool tensor is not supported.")
        return self

    def absolute(self) -> Tensor:
        """Alias of abs: elementwise |self| (not defined for bool tensors)."""
        _no_bool("absolute", self.dtype)
        return self.abs()

    def absolute_(self) -> Tensor:
        """Alias of abs_: in place, self = |self|; returns self."""
        _no_bool("absolute_", self.dtype)
        return self.abs_()

    def greater(self, other) -> Tensor:
        """Alias of gt: elementwise self > other, as bool."""
        return self.gt(other)

    def greater_(self, other) -> Tensor:
        """Alias of gt_: in place, self = (self > other) in self's dtype; returns self."""
        return self.gt_(other)

    def greater_equal(self, other) -> Tensor:
        """Alias of ge: elementwise self >= other, as bool."""
        return self.ge(other)

    def greater_equal_(self, other) -> Tensor:
        """Alias of ge_: in place, self = (self >= other) in self's dtype; returns self."""
        return self.ge_(other)

    def less(self, other) -> Tensor:
        """Alias of lt: elementwise self < other, as bool."""
        return self.lt(other)

    def less_(self, other) -> Tensor:
        """Alias of lt_: in place, self = (self < other) in self's dtype; returns self."""
        return self.lt_(other)

    def less_equal(self, other) -> Tensor:
        """Alias of le: elementwise self <= other, as bool."""
        return self.le(other)

    def less_equal_(self, other) -> Tensor:
        """Alias of le_: in place, self = (self <= other) in self's dtype; returns self."""
        return self.le_(other)

    def not_equal(self, other) -> Tensor:
        """Alias of ne: elementwise self != other, as bool."""
        return self.ne(other)

    def not_equal_(self, other) -> Tensor:
        """Alias of ne_: in place, self = (self != other) in self's dtype; returns self."""
        return self.ne_(other)

    def clamp_min(self, min) -> Tensor:
        """clamp(self, min=min): each element at least min (a number or a tensor; NaN in
        either gives NaN). A tie sends the gradient to self, as in PyTorch."""
        return self.clamp(min=min)

    def clamp_min_(self, min) -> Tensor:
        """In place: self = clamp_min(self, min); returns self."""
        _check_cast("clamp_min_", _result_type(self, min), self.dtype)
        return self.clamp_(min=min)

    def clamp_max(self, max) -> Tensor:
        """clamp(self, max=max): each element at most max (a number or a tensor; NaN in
        either gives NaN). A tie sends the gradient to self, as in PyTorch."""
        return self.clamp(max=max)

    def clamp_max_(self, max) -> Tensor:
        """In place: self = clamp_max(self, max); returns self."""
        _check_cast("clamp_max_", _result_type(self, max), self.dtype)
        return self.clamp_(max=max)

    # --- NumPy-style names of the inverse trigonometric and hyperbolic functions --------------
    def arcsin(self) -> Tensor:
        """Alias of asin: elementwise arcsine."""
        return self.asin()

    def arcsin_(self) -> Tensor:
        """Alias of asin_: in place, self = asin(self); returns self."""
        return self.asin_()

    def arccos(self) -> Tensor:
        """Alias of acos: elementwise arccosine."""
        return self.acos()

    def arccos_(self) -> Tensor:
        """Alias of acos_: in place, self = acos(self); returns self."""
        return self.acos_()

    def arcsinh(self) -> Tensor:
        """Alias of asinh: elementwise inverse hyperbolic sine."""
        return self.asinh()

    def arcsinh_(self) -> Tensor:
        """Alias of asinh_: in place, self = asinh(self); returns self."""
        return self.asinh_()

    def arccosh(self) -> Tensor:
        """Alias of acosh: elementwise inverse hyperbolic cosine."""
        return self.acosh()

    def arccosh_(self) -> Tensor:
        """Alias of acosh_: in place, self = acosh(self); returns self."""
        return self.acosh_()

    def arctanh(self) -> Tensor:
        """Alias of atanh: elementwise inverse hyperbolic tangent."""
        return self.atanh()

    def arctanh_(self) -> Tensor:
        """Alias of atanh_: in place, self = atanh(self); returns self."""
        return self.atanh_()

    # --- diagonals ----------------------------------------------------------------------
    def diag(self, diagonal=0) -> Tensor:
        """For 1-D self, the square matrix with self on its diagonal-th diagonal (> 0 above the
        main one), zeros elsewhere; for 2-D self, a copy of that diagonal."""
        if self.ndim == 1:
            return _diag_embed(self, diagonal, 0, 1, "diag")
        if self.ndim == 2:
            return self.diagonal(diagonal).clone()
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {self.ndim}D")

    def diag_embed(self, offset=0, dim1=-2, dim2=-1) -> Tensor:
        """A tensor with one more dim whose (dim1, dim2) planes hold self's last dim on their
        offset-th diagonal, zeros elsewhere."""
        return _diag_embed(self, offset, dim1, dim2, "diag_embed")

    def diagflat(self, offset=0) -> Tensor:
        """The square matrix with the flattened self on its offset-th diagonal."""
        return _diag_embed(self.reshape(-1), offset, 0, 1, "diagflat")

    def trace(self) -> Tensor:
        """The sum of the main diagonal of a 2-D tensor (integer for integer input)."""
        if self.ndim != 2:
            raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {self.ndim}")
        _no_bool("trace", self.dtype)
        return self.diagonal().sum()

    # --- order statistics ---------------------------------------------------------------
    def median(self, dim=None, keepdim=False) -> Any:
        """median(): the lower of the two middle elements of all elements (NaN if any is NaN;
        the gradient spread evenly over the elements equal to it); median(dim, keepdim=False):
        (values, indices) along dim, the gradient to the returned index."""
        if dim is None:
            return _median_all(self, False, "median")
        return _median_dim(self, dim, keepdim, False, "median")

    def nanmedian(self, dim=None, keepdim=False) -> Any:
        """median ignoring NaN: NaN only where every element is NaN."""
        if dim is None:
            return _median_all(self, True, "nanmedian")
        return _median_dim(self, dim, keepdim, True, "nanmedian")

    def kthvalue(self, k, dim=-1, keepdim=False) -> Any:
        """(values, indices) of the k-th smallest element (k from 1) along dim (NaN counts as
        the largest); the gradient to the returned index."""
        return _kthvalue(self, k, dim, keepdim)

    def mode(self, dim=-1, keepdim=False) -> Any:
        """(values, indices): the most frequent value along dim (the smallest of equally
        frequent ones) and the index of its last occurrence; the gradient to that index."""
        return _mode(self, dim, keepdim)

    def quantile(self, q, dim=None, keepdim=False, *, interpolation="linear") -> Tensor:
        """The q-th quantiles (q a number or a 1-D tensor in [0, 1]) over dim (None: all
        elements), interpolating between neighbours as `interpolation` says ('linear',
        'lower', 'higher', 'midpoint', 'nearest'); NaN where a reduced slice has NaN. A 1-D q
        adds a leading dim of its size."""
        return _quantile(self, q, dim, keepdim, interpolation, False, "quantile")

    def nanquantile(self, q, dim=None, keepdim=False, *, interpolation="linear") -> Tensor:
        """quantile ignoring NaN: NaN only where every element of the slice is NaN."""
        return _quantile(self, q, dim, keepdim, interpolation, True, "nanquantile")

    def msort(self) -> Tensor:
        """The values of self sorted along dim 0 (ascending, NaN last)."""
        return self.sort(0, stable=True)[0]

    # --- NaN-aware and small reductions -----------------------------------------------------
    def nansum(self, dim=None, keepdim=False, *, dtype=None) -> Tensor:
        """sum treating NaN as zero (no gradient reaches the NaN)."""
        x = _ZeroNan.apply(self) if self.is_floating_point() else self
        return x.sum(dim, keepdim, dtype=dtype)

    def nanmean(self, dim=None, keepdim=False, *, dtype=None) -> Tensor:
        """mean of the elements that are not NaN (floating-point self only)."""
        if not self.is_floating_point():
            raise RuntimeError(f"nanmean(): expected input to have floating point dtype but "
                               f"got {_dname(self.dtype)}")
        count = (~self.isnan()).sum(dim, keepdim)
        return self.nansum(dim, keepdim, dtype=dtype) / count

    def count_nonzero(self, dim=None) -> Tensor:
        """The number of non-zero elements (int64), over all elements or over dim (an int or
        a tuple of ints; an empty tuple means every dim)."""
        nz = self != 0
        if dim is None:
            return nz.sum()
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        wrapped = [_wrap_dim(operator.index(d), self.ndim, "count_nonzero") for d in dims]
        for d in wrapped:
            if wrapped.count(d) > 1:
                raise RuntimeError(f"count_nonzero: dim {d} appears multiple times in the list "
                                   f"of dims")
        return nz.sum(tuple(wrapped)) if wrapped and self.ndim else nz.sum()

    def aminmax(self, *, dim=None, keepdim=False) -> Any:
        """(min, max) named tuple: amin and amax over all elements or along dim."""
        return _aminmax(self, dim, keepdim)

    # --- counting and searching -------------------------------------------------------------
    def unique(self, sorted=True, return_inverse=False, return_counts=False,
               dim=None) -> Any:
        """The distinct elements in ascending order (NaN are each distinct, last), or the
        distinct slices along dim in lexicographic order; with return_inverse, where each
        element (slice) went, and with return_counts, how often each occurs. Not
        differentiable. (CPU torch sorts whatever `sorted` says, and so does pynet.)"""
        return _unique(self, return_inverse, return_counts, dim, False)

    def unique_consecutive(self, return_inverse=False, return_counts=False,
                           dim=None) -> Any:
        """self with each run of equal consecutive elements (slices along dim) kept once;
        inverse and counts as unique. Not differentiable."""
        return _unique(self, return_inverse, return_counts, dim, True)

    def bincount(self, weights=None, minlength=0) -> Tensor:
        """Counts of each value of a 1-D non-negative int64 tensor (length max + 1, at least
        minlength); with weights, sums of the weights instead (float32 weights give float32,
        others float64). Not differentiable."""
        return _bincount(self, weights, minlength)

    def histc(self, bins=100, min=0, max=0) -> Tensor:
        """A histogram of bins equal-width bins over [min, max] (min == max: the data's range);
        elements outside are ignored. Floating-point self only; not differentiable."""
        return _histc(self, bins, min, max)

    def repeat_interleave(self, repeats, dim=None, *, output_size=None) -> Tensor:
        """Each element (slice along dim) repeated: repeats an int, or an int64 tensor with one
        count per slice (or one for all); dim None flattens first."""
        return _repeat_interleave(self, repeats, dim, output_size)

    def diff(self, n=1, dim=-1, prepend=None, append=None) -> Tensor:
        """The n-th forward difference along dim (logical XOR for bool), after prepending and
        appending the given tensors along dim."""
        return _diff(self, n, dim, prepend, append)

    # --- statistics and distances ---------------------------------------------------------------
    def cov(self, *, correction=1, fweights=None, aweights=None) -> Tensor:
        """The covariance matrix of the variables in the rows of self (a 1-D self: one
        variable), observations in the columns; fweights (int) and aweights (float) weight
        the observations, correction is subtracted from their count (1: Bessel's)."""
        return _cov(self, correction, fweights, aweights)

    def corrcoef(self) -> Tensor:
        """The Pearson correlation coefficients of the rows of self, clipped to [-1, 1]."""
        if self.ndim > 2:
            raise RuntimeError(f"corrcoef(): expected input to have two or fewer dimensions but "
                               f"got an input with {self.ndim} dimensions")
        c = self.cov()
        if c.ndim == 0:
            return c / c
        sd = c.diagonal().sqrt()
        c = c / sd.reshape(-1, 1)
        c = c / sd.reshape(1, -1)
        return c.clamp(-1, 1)

    def cross(self, other, dim=None) -> Tensor:
        """The cross product of 3-vectors along dim (None: the first dim of size 3, deprecated
        as in PyTorch, which warns once); self and other broadcast in the other dims."""
        return _cross(self, other, dim)

    def dist(self, other, p=2) -> Tensor:
        """The p-norm of self - other (broadcast): a 0-d tensor."""
        _need_tensor(other, "dist", "other")
        from ._compare import norm
        a, b = _promoted(self, other)
        if isinstance(p, _C.TensorBase):
            p = p.item()
        return norm(a - b, p)

    # --- pointwise products and quotients, index fills and copies --------------------------
    def addcmul(self, tensor1, tensor2, *, value=1) -> Tensor:
        """self + value * tensor1 * tensor2 elementwise (all three broadcast, dtypes promoted;
        value is truncated for integer results)."""
        return _addc(self, tensor1, tensor2, value, "addcmul")

    def addcmul_(self, tensor1, tensor2, *, value=1) -> Tensor:
        """In place: self = self + value * tensor1 * tensor2; returns self."""
        return _inplace(self, "addcmul_", lambda s: _addc(s, tensor1, tensor2, value, "addcmul_"),
                        tensor1, tensor2)

    def addcdiv(self, tensor1, tensor2, *, value=1) -> Tensor:
        """self + value * tensor1 / tensor2 elementwise (broadcast, dtypes promoted); tensor1
        and tensor2 may not both be integer or bool (RuntimeError, as PyTorch)."""
        return _addc(self, tensor1, tensor2, value, "addcdiv")

    def addcdiv_(self, tensor1, tensor2, *, value=1) -> Tensor:
        """In place: self = self + value * tensor1 / tensor2; returns self."""
        return _inplace(self, "addcdiv_", lambda s: _addc(s, tensor1, tensor2, value, "addcdiv_"),
                        tensor1, tensor2)

    def index_fill(self, dim, index, value) -> Tensor:
        """A copy of self with the slices at the positions in index (int64, 0-d or 1-D,
        negative counts from the end) along dim set to value (a number or a 0-d tensor)."""
        return _index_fill(self, dim, index, value, "index_fill")

    def index_fill_(self, dim, index, value) -> Tensor:
        """In place: self = self.index_fill(dim, index, value); returns self."""
        return _inplace(self, "index_fill_",
                        lambda s: _index_fill(s, dim, index, value, "index_fill_"), value)

    def index_copy(self, dim, index, source) -> Tensor:
        """A copy of self with source's slices (along dim) written at the positions in index
        (int64, 0-d or 1-D); with repeated positions the last slice is kept."""
        return _index_copy(self, dim, index, source, "index_copy")

    def index_copy_(self, dim, index, source) -> Tensor:
        """In place: self = self.index_copy(dim, index, source); returns self."""
        return _inplace(self, "index_copy_",
                        lambda s: _index_copy(s, dim, index, source, "index_copy_"), source)

    def index_put(self, indices, values, accumulate=False) -> Tensor:
        """A copy of self with self[indices] = values (indices a tuple of int64 or bool index
        tensors for the leading dims); with accumulate, values are added (repeats add up)."""
        return _index_put(self, indices, values, accumulate, "index_put")

    def index_put_(self, indices, values, accumulate=False) -> Tensor:
        """In place: self = self.index_put(indices, values, accumulate); returns self."""
        return _inplace(self, "index_put_",
                        lambda s: _index_put(s, indices, values, accumulate, "index_put_"),
                        values)

    def masked_scatter(self, mask, source) -> Tensor:
        """self (broadcast with the bool mask) with the elements where mask is True replaced,
        in row-major order, by source's first elements."""
        return _masked_scatter(self, mask, source, "masked_scatter")

    def masked_scatter_(self, mask, source) -> Tensor:
        """In place: self = self.masked_scatter(mask, source) (mask broadcast to self's shape);
        returns self."""
        return _inplace(self, "masked_scatter_",
                        lambda s: _masked_scatter(s, mask, source, "masked_scatter_"), source)

    def argwhere(self) -> Tensor:
        """The indices of the non-zero elements: an (n, ndim) int64 tensor (nonzero())."""
        return cast(Tensor, self.nonzero())

    def sum_to_size(self, *size) -> Tensor:
        """self summed down to size (which must expand to self's shape); self itself when size
        is its shape. Forms: sum_to_size(*size), sum_to_size(size)."""
        if not size:
            raise TypeError('sum_to_size() missing 1 required positional arguments: "size"')
        if len(size) == 1 and not isinstance(size[0], numbers.Integral):
            size = tuple(size[0])
        size = tuple(operator.index(n) for n in size)
        shape = tuple(self.shape)
        lead = len(shape) - len(size)
        if lead < 0 or builtins.any(n not in (1, shape[lead + i]) for i, n in enumerate(size)):
            raise RuntimeError(f"sum_to_size: size {list(size)} is not expandable to size "
                               f"{list(shape)}")
        return self if size == shape else _sum_to(self, size)

    # --- elementwise: signs, integers, floating-point bits -----------------------------------
    def copysign(self, other) -> Tensor:
        """|self| with the sign bit of other (a tensor or number) elementwise, -0.0 and NaN's
        sign included; integer and bool operands give float32."""
        return _copysign(self, other)

    def copysign_(self, other) -> Tensor:
        """In place: self = copysign(self, other); returns self."""
        return _inplace(self, "copysign_", lambda s: _copysign(s, other), other)

    def signbit(self) -> Tensor:
        """Elementwise: True where the sign bit is set (negative numbers, -0.0, -inf and NaN
        with the sign bit), as bool."""
        return _signbit(self)

    def gcd(self, other) -> Tensor:
        """The greatest common divisor of self and other (int64 tensors, broadcast), >= 0
        except for PyTorch's int64-overflow cases; gcd(0, 0) = 0."""
        return _gcd_lcm(self, other, "gcd")

    def gcd_(self, other) -> Tensor:
        """In place: self = gcd(self, other); returns self."""
        return _inplace(self, "gcd_", lambda s: _gcd_lcm(s, other, "gcd_"), other)

    def lcm(self, other) -> Tensor:
        """The least common multiple of self and other (int64 tensors, broadcast); 0 where
        either is 0."""
        return _gcd_lcm(self, other, "lcm")

    def lcm_(self, other) -> Tensor:
        """In place: self = lcm(self, other); returns self."""
        return _inplace(self, "lcm_", lambda s: _gcd_lcm(s, other, "lcm_"), other)

    def fix(self) -> Tensor:
        """Alias of trunc: each element rounded toward zero."""
        return self.trunc()

    def fix_(self) -> Tensor:
        """Alias of trunc_: in place, each element rounded toward zero; returns self."""
        return self.trunc_()

    def logical_not_(self) -> Tensor:
        """In place: self = logical_not(self) (1 where self == 0, else 0); returns self."""
        return _inplace(self, "logical_not_", lambda s: s.logical_not())

    def ldexp(self, other) -> Tensor:
        """self * 2 ** other elementwise: exact (C's ldexp) for a floating-point self and an
        int64 other, else computed as self * 2.0 ** other, as PyTorch; integer and bool
        operands give float32."""
        _need_tensor(other, "ldexp", "other")
        if self.is_floating_point() and not other.is_floating_point():
            if other.dtype == _C.bool:
                raise NotImplementedError("ldexp: a floating-point self with a bool exponent is "
                                          "not implemented (as in PyTorch)")
            _broadcast_pair(self.shape, other.shape)
            return _LdexpInt.apply(self, other)  # exactly, as C's ldexp (PyTorch's kernel)
        return self * (2.0 ** other)

    def ldexp_(self, other) -> Tensor:
        """In place: self = ldexp(self, other); returns self."""
        return _inplace(self, "ldexp_", lambda s: s.ldexp(other), other)

    def nextafter(self, other) -> Tensor:
        """The next floating-point value after self toward other, elementwise (broadcast,
        dtypes promoted; floating point only). Its gradient is g to self, 0 to other."""
        return _nextafter(self, other)

    def nextafter_(self, other) -> Tensor:
        """In place: self = nextafter(self, other); returns self."""
        return _inplace(self, "nextafter_", lambda s: _nextafter(s, other), other)

    # --- random fills -------------------------------------------------------------------------
    def random_(self, *args, generator=None, **kwargs) -> Tensor:
        """In place: fills self with integers drawn uniformly from [from, to - 1]; returns
        self. Forms: random_() (float32: [0, 2**24], float64: [0, 2**53], int64:
        [0, 2**63 - 1], bool: [0, 1]), random_(to), random_(from, to) (to None: up to the
        dtype's limit as for random_()); `from` is a keyword only as random_(**{'from': f})."""
        lo, hi, form = _random_bounds(self.dtype, args, kwargs)
        _C._check_writable(self, "random_")
        with _no_grad(), _drawing_from(generator):
            self.copy_(_draw_ints(tuple(self.shape), lo, hi).to(self.dtype))
        return _C._cut_history(self, "random_", f"RandomBackward{form}")

    def geometric_(self, p, *, generator=None) -> Tensor:
        """In place: fills self with the number of Bernoulli(p) trials up to the first success
        (1, 2, ...), 0 < p < 1; returns self."""
        if self.dtype == _C.bool:
            raise NotImplementedError("geometric_: not implemented for 'bool' tensors")
        if not 0 < p < 1:
            raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p}")
        _C._check_writable(self, "geometric_")
        with _no_grad(), _drawing_from(generator):
            u = _uniform64(self.shape)  # in [0, 1): 1 - u in (0, 1]
            k = ((-u).log1p() / math.log1p(-p)).ceil().clamp(min=1)
            self.copy_(k.to(self.dtype))
        return _C._cut_history(self, "geometric_", "GeometricBackward0")

    def log_normal_(self, mean=1.0, std=2.0, *, generator=None) -> Tensor:
        """In place: fills self with exp(N(mean, std**2)) draws (std > 0, floating point
        only); returns self."""
        if not self.is_floating_point():
            raise NotImplementedError(f"log_normal_: not implemented for "
                                      f"'{_dname(self.dtype)}' tensors")
        if not std > 0:
            raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std}")
        _C._check_writable(self, "log_normal_")
        with _no_grad():
            self.normal_(mean, std, generator=generator)
            self.exp_()
        return _C._cut_history(self, "log_normal_", "LogNormalBackward0")

    def cauchy_(self, median=0.0, sigma=1.0, *, generator=None) -> Tensor:
        """In place: fills self with draws from the Cauchy distribution of location median
        and scale sigma (> 0; floating point only); returns self."""
        if not self.is_floating_point():
            raise RuntimeError(f"cauchy_: the Cauchy distribution is a continuous probability "
                               f"distribution; dtype must be a floating point but you "
                               f"specified {_dname(self.dtype)}")
        if not sigma > 0:
            raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={sigma}")
        _C._check_writable(self, "cauchy_")
        with _no_grad(), _drawing_from(generator):
            u = _uniform64(self.shape)
            self.copy_((((u - 0.5) * math.pi).tan() * float(sigma) + float(median))
                       .to(self.dtype))
        return _C._cut_history(self, "cauchy_", "CauchyBackward0")

    # --- shifts, Bessel, multivariate lgamma, renorm -----------------------------------------
    def bitwise_left_shift(self, other) -> Tensor:
        """self << other elementwise (int64 after promotion); shifts outside [0, 63] give 0."""
        return _shift(self, other, True, "bitwise_left_shift")

    def bitwise_left_shift_(self, other) -> Tensor:
        """In place: self = self << other; returns self."""
        return _inplace(self, "bitwise_left_shift_",
                        lambda s: _shift(s, other, True, "bitwise_left_shift_"), other)

    def bitwise_right_shift(self, other) -> Tensor:
        """self >> other elementwise (arithmetic, int64); shifts outside [0, 63] give 0 or -1
        (the sign)."""
        return _shift(self, other, False, "bitwise_right_shift")

    def bitwise_right_shift_(self, other) -> Tensor:
        """In place: self = self >> other; returns self."""
        return _inplace(self, "bitwise_right_shift_",
                        lambda s: _shift(s, other, False, "bitwise_right_shift_"), other)

    def __lshift__(self, other):
        return _shift(self, other, True, "__lshift__")

    def __rlshift__(self, other):
        return _shift(_as_tensor(other), self, True, "__rlshift__")

    def __ilshift__(self, other):
        return self.bitwise_left_shift_(other)

    def __rshift__(self, other):
        return _shift(self, other, False, "__rshift__")

    def __rrshift__(self, other):
        return _shift(_as_tensor(other), self, False, "__rrshift__")

    def __irshift__(self, other):
        return self.bitwise_right_shift_(other)

    def i0(self) -> Tensor:
        """The modified Bessel function of the first kind of order 0, elementwise (integer
        and bool input give the default dtype); its derivative is i1."""
        x = self if self.is_floating_point() else self.to(_C._get_default_dtype())
        return _I0.apply(x)

    def i0_(self) -> Tensor:
        """In place: self = i0(self) (floating-point self); returns self."""
        return _inplace(self, "i0_", lambda s: s.i0())

    def mvlgamma(self, p) -> Tensor:
        """The multivariate log-gamma of dimension p (>= 1), elementwise:
        p (p - 1) / 4 log(pi) + sum over i < p of lgamma(self - i / 2)."""
        return _mvlgamma(self, p, "mvlgamma")

    def mvlgamma_(self, p) -> Tensor:
        """In place: self = mvlgamma(self, p); returns self."""
        return _inplace(self, "mvlgamma_", lambda s: _mvlgamma(s, p, "mvlgamma_"))

    # --- aliases and the real-valued answers of PyTorch's complex/device/storage queries ------
    def arctan(self) -> Tensor:
        """Alias of atan."""
        return self.atan()

    def arctan_(self) -> Tensor:
        """Alias of atan_."""
        return self.atan_()

    def arctan2(self, other) -> Tensor:
        """Alias of atan2."""
        return self.atan2(other)

    def arctan2_(self, other) -> Tensor:
        """Alias of atan2_."""
        return self.atan2_(other)

    def divide(self, other, *, rounding_mode=None) -> Tensor:
        """Alias of div."""
        return self.div(other, rounding_mode=rounding_mode)

    def divide_(self, other, *, rounding_mode=None) -> Tensor:
        """Alias of div_."""
        return self.div_(other, rounding_mode=rounding_mode)

    def multiply(self, other) -> Tensor:
        """Alias of mul."""
        return self.mul(other)

    def multiply_(self, other) -> Tensor:
        """Alias of mul_."""
        return self.mul_(other)

    def subtract(self, other, *, alpha=1) -> Tensor:
        """Alias of sub."""
        return self.sub(other, alpha=alpha)

    def subtract_(self, other, *, alpha=1) -> Tensor:
        """Alias of sub_."""
        return self.sub_(other, alpha=alpha)

    def negative(self) -> Tensor:
        """Alias of neg."""
        return self.neg()

    def negative_(self) -> Tensor:
        """Alias of neg_."""
        return self.neg_()

    def logical_and_(self, other) -> Tensor:
        """In place: self = logical_and(self, other) in self's dtype; returns self."""
        return _inplace(self, "logical_and_", lambda s: s.logical_and(other).to(s.dtype), other)

    def logical_or_(self, other) -> Tensor:
        """In place: self = logical_or(self, other) in self's dtype; returns self."""
        return _inplace(self, "logical_or_", lambda s: s.logical_or(other).to(s.dtype), other)

    def logical_xor_(self, other) -> Tensor:
        """In place: self = logical_xor(self, other) in self's dtype; returns self."""
        return _inplace(self, "logical_xor_", lambda s: s.logical_xor(other).to(s.dtype), other)

    def cumsum_(self, dim, *, dtype=None) -> Tensor:
        """In place: self = cumsum(self, dim); returns self."""
        return _inplace(self, "cumsum_", lambda s: s.cumsum(dim, dtype=dtype))

    def cumprod_(self, dim, *, dtype=None) -> Tensor:
        """In place: self = cumprod(self, dim); returns self."""
        return _inplace(self, "cumprod_", lambda s: s.cumprod(dim, dtype=dtype))

    def fill_diagonal_(self, fill_value, wrap=False) -> Tensor:
        """Write fill_value on the main diagonal (all dims of one size when more than 2);
        wrap=True continues a tall matrix's diagonal every ncols + 1 rows, as PyTorch."""
        if self.ndim < 2:
            raise RuntimeError("fill_diagonal_: dimensions must larger than 1")
        if self.ndim > 2 and len(set(self.shape)) != 1:
            raise RuntimeError("fill_diagonal_: all dimensions of input must be of equal length")
        from ._creation import arange
        n = builtins.min(self.shape)
        idx: tuple[Tensor, ...]
        if self.ndim == 2 and n:  # flat positions k (ncols + 1) in row-major order
            rows, cols = self.shape
            count = (rows * cols + cols) // (cols + 1) if wrap and rows > cols else n
            flat = arange(count) * (cols + 1)
            idx = (flat // cols, flat % cols)
        else:
            idx = (arange(n),) * self.ndim
        self[idx] = fill_value
        return self

    def nelement(self) -> builtins.int:
        """Alias of numel."""
        return self.numel()

    def ndimension(self) -> builtins.int:
        """Alias of dim."""
        return self.dim()

    @property
    def nbytes(self) -> builtins.int:
        """numel() * element_size(): the bytes the elements take."""
        return self.numel() * self.element_size()

    def get_device(self) -> builtins.int:
        """-1: the tensor is on the CPU (an accelerator would give its index)."""
        return -1

    @property
    def is_meta(self) -> builtins.bool:
        """False: pynet has no meta tensors."""
        return False

    def is_inference(self) -> builtins.bool:
        """False: pynet's inference_mode makes ordinary tensors (it is no_grad)."""
        return False

    def is_conj(self) -> builtins.bool:
        """False: pynet tensors are real."""
        return False

    def is_neg(self) -> builtins.bool:
        """False: pynet tensors are real (no lazy negation bit)."""
        return False

    def conj(self) -> Tensor:
        """self: the conjugate of a real tensor is itself."""
        return self

    def resolve_conj(self) -> Tensor:
        """self (real tensors have no conjugate bit)."""
        return self

    def resolve_neg(self) -> Tensor:
        """self (pynet has no negative bit)."""
        return self

    @property
    def real(self) -> Tensor:
        """self: the real part of a real tensor."""
        return self

    @property
    def imag(self) -> Tensor:
        """Raises RuntimeError, as PyTorch for a real tensor."""
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")

    def angle(self) -> Tensor:
        """The argument of each (real) element: 0 for x >= 0, pi for x < 0, NaN for NaN."""
        x = self if self.is_floating_point() else self.to(_C._get_default_dtype())
        with _no_grad():  # pi, 0 (also for -0 and inf) or NaN, from x's values only
            vals = _C.where(x < 0, math.pi, _C.where(x != x, x, 0.0))
        # where(True, vals, x): the values, with a zero gradient for x, as PyTorch's
        return _C.where(_C.ones(x.shape, dtype=_C.bool), vals, x)

    @property
    def mH(self) -> Tensor:
        """The conjugate transpose of the last two dims: mT, for a real tensor."""
        return self.mT

    @property
    def H(self) -> Tensor:
        """The conjugate transpose of a matrix: t(), for a real tensor."""
        if self.ndim != 2:
            raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got "
                               f"{self.ndim}-D tensor.")
        return self.t()

    def adjoint(self) -> Tensor:
        """The conjugate transpose of the last two dims (mT for real tensors)."""
        return self.mT

    def split_with_sizes(self, split_sizes, dim=0) -> tuple[Tensor, ...]:
        """Split along dim into pieces of the given sizes (which must add up to the size)."""
        total = builtins.sum(split_sizes)
        if total != self.shape[_wrap_dim(dim, self.ndim, "split_with_sizes")]:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to "
                               f"{self.shape[dim]} (input tensor's size at dimension {dim}), "
                               f"but got split_sizes={list(split_sizes)}")
        return self.split(list(split_sizes), dim)

    def bernoulli(self, p=None, *, generator=None) -> Tensor:
        """1 with probability self (elementwise), else 0 (pynet.bernoulli)."""
        from ._creation import bernoulli
        return bernoulli(self, p, generator=generator)

    def multinomial(self, num_samples, replacement=False, *, generator=None) -> Tensor:
        """num_samples category indices drawn from the weights of each row (pynet.multinomial)."""
        from ._creation import multinomial
        return multinomial(self, num_samples, replacement, generator=generator)

    # --- linear algebra: the legacy torch.* forms over pynet.linalg (pynet/_functions.py) -----
    def det(self) -> Tensor:
        """The determinant of each square matrix of self (..., n, n)."""
        return _functions().det(self)

    def logdet(self) -> Tensor:
        """log det of each square matrix: NaN where the determinant is negative, -inf where 0."""
        return _functions().logdet(self)

    def slogdet(self):
        """(sign, logabsdet) of the determinant of each square matrix of self."""
        return _functions().slogdet(self)

    def inverse(self) -> Tensor:
        """The inverse of each square matrix of self."""
        return _functions().inverse(self)

    def cholesky(self, upper=False) -> Tensor:
        """The Cholesky factor of each symmetric positive-definite matrix (lower, or upper)."""
        return _functions().cholesky(self, upper)

    def cholesky_solve(self, input2, upper=False) -> Tensor:
        """X with A X = self, A = L L^T given by its Cholesky factor input2 (U^T U if upper)."""
        return _functions().cholesky_solve(self, input2, upper)

    def cholesky_inverse(self, upper=False) -> Tensor:
        """The inverse of A = L L^T (U^T U if upper) from its Cholesky factor self."""
        return _functions().cholesky_inverse(self, upper)

    def qr(self, some=True):
        """(Q, R) of self; some=True: the reduced factorization, else the complete one."""
        return _functions().qr(self, some)

    def svd(self, some=True, compute_uv=True):
        """(U, S, V) of self with V (not V^T); some=True: the thin factorization."""
        return _functions().svd(self, some, compute_uv)

    def pinverse(self, rcond=1e-15) -> Tensor:
        """The Moore-Penrose pseudo-inverse of each matrix of self."""
        return _functions().pinverse(self, rcond)

    def matrix_power(self, n) -> Tensor:
        """Each square matrix of self to the integer power n (n < 0: of its inverse)."""
        return _functions().matrix_power(self, n)

    def matrix_exp(self) -> Tensor:
        """The matrix exponential of each square matrix of self."""
        return _functions().matrix_exp(self)

    def triangular_solve(self, A, upper=True, transpose=False, unitriangular=False):
        """(X, A clone) with A X = self for triangular A."""
        return _functions().triangular_solve(self, A, upper, transpose, unitriangular)

    def lu(self, pivot=True, get_infos=False):
        """(LU, pivots[, infos]): the packed LU factorization with partial pivoting of self."""
        return _functions().lu(self, pivot, get_infos)

    def lu_solve(self, LU_data, LU_pivots) -> Tensor:
        """X with A X = self, A given by lu()'s packed factorization and pivots."""
        return _functions().lu_solve(self, LU_data, LU_pivots)

    def orgqr(self, input2) -> Tensor:
        """The product of the Householder reflectors (self, tau = input2)."""
        return _functions().orgqr(self, input2)

    def renorm(self, p, dim, maxnorm) -> Tensor:
        """self with each slice along dim whose p-norm exceeds maxnorm scaled down to norm
        maxnorm (by maxnorm / (norm + 1e-7), as PyTorch)."""
        return _renorm(self, p, dim, maxnorm, "renorm")

    def renorm_(self, p, dim, maxnorm) -> Tensor:
        """In place: self = renorm(self, p, dim, maxnorm); returns self."""
        return _inplace(self, "renorm_", lambda s: _renorm(s, p, dim, maxnorm, "renorm_"))

    # --- reducing scatters, scatters into views -----------------------------------------------
    def scatter_reduce(self, dim, index, src, reduce, *, include_self=True) -> Tensor:
        """A copy of self with src's elements reduced into it at index along dim (as scatter):
        reduce 'sum', 'prod', 'mean', 'amax' or 'amin'; include_self=False leaves self's
        values out where something is scattered."""
        return _ScatterReduce.apply(self, src, _scatter_plan(self, dim, index, src, reduce,
                                                             include_self, "scatter_reduce"))

    def scatter_reduce_(self, dim, index, src, reduce, *, include_self=True) -> Tensor:
        """In place: self = self.scatter_reduce(dim, index, src, reduce, ...); returns self."""
        return _inplace(self, "scatter_reduce_", lambda s: s.scatter_reduce(
            dim, index, src, reduce, include_self=include_self), src)

    def index_reduce(self, dim, index, source, reduce, *, include_self=True) -> Tensor:
        """A copy of self with the slices of source along dim reduced into the slices index[i]
        ('prod', 'mean', 'amax' or 'amin'; include_self=False leaves self's values out)."""
        return _index_reduce(self, dim, index, source, reduce, include_self, "index_reduce")

    def index_reduce_(self, dim, index, source, reduce, *, include_self=True) -> Tensor:
        """In place: self = self.index_reduce(dim, index, source, reduce, ...); returns self."""
        return _inplace(self, "index_reduce_", lambda s: _index_reduce(
            s, dim, index, source, reduce, include_self, "index_reduce_"), source)

    def diagonal_scatter(self, src, offset=0, dim1=0, dim2=1) -> Tensor:
        """A copy of self with src written into its diagonal (offset, dim1, dim2)."""
        return _view_scatter(self, src, lambda t: t.diagonal(offset, dim1, dim2),
                             "diagonal_scatter")

    def select_scatter(self, src, dim, index) -> Tensor:
        """A copy of self with src written into self.select(dim, index)."""
        return _view_scatter(self, src, lambda t: t.select(dim, index), "select_scatter")

    def slice_scatter(self, src, dim=0, start=None, end=None, step=1) -> Tensor:
        """A copy of self with src written into the slice start:end:step of dim."""
        if step <= 0:
            raise RuntimeError(f"slice_scatter: slice step must be positive, got {step}")
        d = _wrap_dim(dim, self.dim(), "slice_scatter")
        key = (slice(None),) * d + (slice(start, end, step),)
        return _view_scatter(self, src, lambda t: t[key], "slice_scatter")

    def histogram(self, bins=100, *, range=None, weight=None, density=False):
        """(hist, bin_edges): a histogram of self's values (floating point) in bins equal bins
        over range (default: the data's min and max) or between the edges of a 1-D tensor
        bins; weight weighs each element, density=True normalises to a density."""
        return _histogram(self, bins, range, weight, density)

    # --- small predicates, functional forms ---------------------------------------------------
    def is_complex(self) -> builtins.bool:
        """Whether self has a complex dtype: always False (pynet has no complex dtypes)."""
        return False

    def is_signed(self) -> builtins.bool:
        """Whether self's dtype is signed: True for int64, float32, float64; False for bool."""
        return self.dtype != _C.bool

    def is_same_size(self, other) -> builtins.bool:
        """Whether self and other (a Tensor) have the same shape."""
        if not isinstance(other, Tensor):
            raise TypeError(f"is_same_size(): argument 'other' (position 1) must be Tensor, "
                            f"not {type(other).__name__}")
        return tuple(self.shape) == tuple(other.shape)

    def prelu(self, weight) -> Tensor:
        """max(0, self) + weight * min(0, self): pynet.nn.functional.prelu(self, weight)."""
        from .nn import functional
        return functional.prelu(self, weight)

    def hardshrink(self, lambd=0.5) -> Tensor:
        """self where |self| > lambd, zero elsewhere: pynet.nn.functional.hardshrink."""
        from .nn import functional
        return functional.hardshrink(self, lambd)

    def __rmatmul__(self, other):
        return NotImplemented

    def __repr__(self):
        from ._repr import tensor_repr

        return tensor_repr(self)

    def __format__(self, spec):
        if self.ndim == 0:
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    def __reduce_ex__(self, proto):
        from ._creation import tensor

        return (_rebuild, (_C._to_numpy(self, True).copy(), self.requires_grad))

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        with _no_grad():
            new = self.clone()
        if type(self) is not Tensor:
            new = type(self)._make_subclass(type(self), new, self.requires_grad)
        else:
            new.requires_grad_(self.requires_grad)
        if self.grad is not None:
            new.grad = self.grad.clone()
        memo[id(self)] = new
        return new

    __array_priority__ = 1000


# torch's device types: a pynet.device may name any of them, but tensors live on the CPU only
_DEVICE_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve",
                 "fpga", "maia", "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia",
                 "privateuseone")


class device_type:
    """pynet.device(type, index=None), as torch.device: a device type ('cpu', 'cuda', 'mps',
    ...) and an optional index, from 'type', 'type:index' or another device. Any of torch's
    device types can be named; tensors exist on 'cpu' only (placing one elsewhere raises
    what a CPU-only PyTorch raises)."""

    def __init__(self, type="cpu", index=None):
        if isinstance(type, device_type):
            type, index0 = type.type, type.index
            index = index0 if index is None else index
        if isinstance(type, int) and not isinstance(type, builtins.bool):
            raise RuntimeError(f"device({type}): a bare index names an accelerator device, "
                               "and pynet has none (it computes on the cpu)")
        if not isinstance(type, str) and not hasattr(type, "index"):  # torch.device passes
            raise TypeError(f"device() expected a device string, a device or an index, got "
                            f"{builtins.type(type).__name__}")
        text = str(type)
        name, _, idx = text.partition(":")
        if name not in _DEVICE_TYPES:
            raise RuntimeError("Expected one of " + ", ".join(_DEVICE_TYPES) + " device type "
                               f"at start of device string: {text}")
        if idx:
            if index is not None:
                raise RuntimeError("type (string) must not include an index because index was "
                                   f"passed explicitly: {text}")
            if not idx.isdigit() or (len(idx) > 1 and idx[0] == "0"):
                raise RuntimeError(f"Invalid device string: '{text}'")
            index = int(idx)
        if index is not None:
            index = operator.index(index)
            if index < 0:
                raise RuntimeError("Device index must not be negative")
        self.type, self.index = name, index

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        if isinstance(other, str):  # pynet's leniency: t.device == 'cpu' holds
            try:
                other = device_type(other)
            except RuntimeError:
                return False
        if not isinstance(other, device_type):
            return NotImplemented
        return (self.type, self.index) == (other.type, other.index)

    def __hash__(self):
        return hash((self.type, self.index))

    def __enter__(self):
        """`with pynet.device('cpu'):` - tensors are made on the cpu anyway; another device
        raises what placing a tensor there raises."""
        _check_device(self, "device")
        return self

    def __exit__(self, *exc):
        return False


def _check_device(device, op):
    """Nothing for a CPU device ('cpu', 'cpu:0', pynet.device('cpu')); otherwise what a
    CPU-only PyTorch raises: AssertionError for CUDA, RuntimeError for the other types (and
    for a string that names no device)."""
    d = device if isinstance(device, device_type) else device_type(device)
    if d.type == "cpu":
        return
    if d.type == "cuda":
        raise AssertionError(f"{op}: pynet is not compiled with CUDA enabled (it computes on the "
                             f"CPU only; got device {str(d)!r})")
    raise RuntimeError(f"{op}: pynet is not linked with support for {d.type} devices (it "
                       f"computes on the CPU only; got device {str(d)!r})")


def _rebuild(arr, requires_grad):
    t = _C.from_numpy(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


class _RemovableHook:
    def __init__(self, tensor, hook, node=None):
        self._tensor, self._hook, self._node = tensor, hook, node

    def remove(self):
        if self._node is not None:
            self._node._remove_pre_hook(self._hook)
            return
        hooks = self._tensor._backward_hooks_list
        if self._hook in hooks:
            hooks.remove(self._hook)


_FLOAT32_MAX = float(np.finfo(np.float32).max)


def _masked_fill_value(t, mask, value, op):
    """Check masked_fill's mask and value as PyTorch does; value as a 0-d tensor of t's dtype
    (a number is converted like PyTorch: truncated for int64, refused if it cannot fit)."""
    if not isinstance(mask, _C.TensorBase) or mask.dtype != _C.bool:
        got = mask.dtype if isinstance(mask, _C.TensorBase) else type(mask).__name__
        raise RuntimeError(f"{op} only supports boolean masks, but got mask with dtype {got}")
    if isinstance(value, _C.TensorBase):
        if value.ndim != 0:
            raise RuntimeError(f"{op} only supports a 0-dimensional value tensor, but got tensor "
                               f"with {value.ndim} dimension(s).")
        if value.dtype != t.dtype:
            _check_fill_fits(t, value.item(), op)
            value = value.to(t.dtype)
        return value
    if not isinstance(value, (bool, int, float)):
        raise TypeError(f"{op}(): argument 'value' must be a Number or a 0-d Tensor, not "
                        f"{type(value).__name__}")
    _check_fill_fits(t, value, op)
    return _C.full((), value, dtype=t.dtype)


def _check_fill_fits(t, value, op):
    """RuntimeError where the number value cannot be converted to t's dtype (PyTorch's)."""
    overflow = False
    if t.dtype == _C.int64 and not isinstance(value, bool):
        overflow = not (math.isfinite(value) and -2**63 <= value < 2**63)
    elif t.dtype == _C.float32:
        overflow = math.isfinite(value) and abs(value) > _FLOAT32_MAX
    if overflow:
        kind = "int64_t" if t.dtype == _C.int64 else "float"
        raise RuntimeError(f"{op}: value cannot be converted to type {kind} without overflow "
                           f"(got {value})")


def _wrap_dim(dim, ndim, op):
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"{op}: Dimension out of range (expected to be in range of "
                         f"[{-n}, {n - 1}], but got {dim})")
    return dim % n


def _as_tensor(x):
    if isinstance(x, Tensor):
        return x
    from ._creation import tensor

    return tensor(x)


def _fill_random(t, fn, a, b, op):
    _C._check_writable(t, op)  # expanded (one value per location) or read-only t
    with _no_grad():
        if t.is_contiguous():
            fn(t, float(a), float(b))
            return t
        tmp = _C.empty(t.shape, dtype=t.dtype)
        fn(tmp, float(a), float(b))
        t.copy_(tmp)
    return t


class _no_grad:
    def __enter__(self):
        self.prev = _C._set_grad_enabled(False)

    def __exit__(self, *exc):
        _C._set_grad_enabled(self.prev)


_TYPE_NAMES = {_C.float32: "pynet.FloatTensor", _C.float64: "pynet.DoubleTensor",
               _C.int64: "pynet.LongTensor", _C.bool: "pynet.BoolTensor"}


# ------------------------------------------------- helpers of the composite ops above ----
# (pynet.hstack, pynet.einsum ... without a Tensor method are the functions _hstack,
# _einsum ... here; pynet/_functions.py exports them)

_PI_180 = math.pi / 180  # the doubles of PyTorch's M_PI_180 and M_180_PI
_180_PI = 180 / math.pi
_KIND = {_C.bool: 0, _C.int64: 1, _C.float32: 2, _C.float64: 2}


def _dname(dtype):
    return str(dtype).rsplit(".", 1)[-1]


# PyTorch's promotion rules, in C (csrc/core/copy.c pn_result_type, dtype.c pn_promote):
# _promote_types(a, b) of two dtypes; _result_type(*operands) of tensors and numbers, where
# tensors with dims decide, a 0-d tensor counts only when of a higher kind (bool < integer <
# float), and a Python number only when of a higher kind again (then its default dtype).
_promote_types = _C._promote_types
_result_type = _C._result_type


def _promoted(a, b):
    """a and b (tensors) cast to their result type."""
    dtype = _result_type(a, b)
    return a.to(dtype), b.to(dtype)


def _as_operand(x, dtype):
    """A tensor operand cast to dtype; a number as a 0-d tensor of dtype."""
    if isinstance(x, _C.TensorBase):
        return x.to(dtype)
    return _C.full((), x, dtype=dtype)


def _check_cast(op, result, dtype):
    if _KIND[result] > _KIND[dtype]:
        raise RuntimeError(f"{op}: result type {_dname(result)} can't be cast to the desired "
                           f"output type {_dname(dtype)}")


def _need_tensor(x, op, name):
    if not isinstance(x, _C.TensorBase):
        raise TypeError(f"{op}(): argument '{name}' must be Tensor, not {type(x).__name__}")


def _no_bool(op, dtype):
    if dtype == _C.bool:
        raise NotImplementedError(f"{op}: not implemented for 'bool' tensors")


def _float_only(op, dtype):
    if not dtype.is_floating_point:
        raise NotImplementedError(f"{op}: not implemented for '{_dname(dtype)}' tensors (it "
                                  f"needs a floating-point tensor)")


def _same_dtypes(op, **tensors):
    names = list(tensors)
    first = tensors[names[0]].dtype
    if any(t.dtype != first for t in tensors.values()):
        got = ", ".join(f"{n} {_dname(t.dtype)}" for n, t in tensors.items())
        raise RuntimeError(f"{op}: expected {', '.join(names)} to have the same dtype, but got "
                           f"{got}")


def _broadcast_pair(a, b):
    """The broadcast shape of shapes a and b (a list), with PyTorch's message if none."""
    a, b = list(a), list(b)
    n = builtins.max(len(a), len(b))
    a, b = [1] * (n - len(a)) + a, [1] * (n - len(b)) + b
    out = []
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y and x != 1 and y != 1:
            raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b "
                               f"({y}) at non-singleton dimension {i}")
        out.append(y if x == 1 else x)
    return out


def _sum_to(g, shape):
    """g (broadcast from shape) summed back to shape: the gradient of the broadcast."""
    shape = tuple(shape)
    if tuple(g.shape) == shape:
        return g
    lead = g.ndim - len(shape)
    dims = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape)
                                      if n == 1 and g.shape[lead + i] != 1)
    if dims:
        g = g.sum(dims, True)
    return g.reshape(shape)


def _inplace(self, op, fn, *others):
    """self.copy_(fn(src)) under the in-place rules: the result must keep self's shape and be
    castable to its dtype. src is self, or a clone of it when autograd records, so that the
    graph of fn never saves the tensor copy_ then overwrites."""
    records = _C.is_grad_enabled() and (self.requires_grad or builtins.any(
        isinstance(o, _C.TensorBase) and o.requires_grad for o in others))
    _C._check_writable(self, op)
    out = fn(self.clone() if records else self)
    if tuple(out.shape) != tuple(self.shape):
        raise RuntimeError(f"{op}: output with shape {list(self.shape)} doesn't match the "
                           f"broadcast shape {list(out.shape)}")
    _check_cast(op, out.dtype, self.dtype)
    return self.copy_(out)


# --- shapes, joins and splits


def _movedim(t, source, destination, op):
    src = [source] if isinstance(source, int) else list(source)
    dst = [destination] if isinstance(destination, int) else list(destination)
    if len(src) != len(dst):
        raise RuntimeError(f"{op}: Invalid source or destination dims: source ({src} dims) "
                           f"should contain the same number of dims as destination ({dst} "
                           f"dims)")
    n = t.ndim
    s = [_wrap_dim(operator.index(d), n, op) for d in src]
    d = [_wrap_dim(operator.index(x), n, op) for x in dst]
    if len(set(s)) != len(s):
        raise RuntimeError(f"{op}: repeated dim in `source` ({src})")
    if len(set(d)) != len(d):
        raise RuntimeError(f"{op}: repeated dim in `destination` ({dst})")
    if n == 0:
        return t.view(())
    order = [-1] * n
    for a, b in zip(s, d):
        order[b] = a
    rest = iter(x for x in range(n) if x not in s)
    return t.permute([o if o >= 0 else next(rest) for o in order])


def _split_along(t, ios, dim, need, op):
    if t.ndim < need:
        raise RuntimeError(f"{op} requires a tensor with at least {need} dimension(s), but got a "
                           f"tensor with {t.ndim} dimensions!")
    if isinstance(ios, _C.TensorBase) and ios.numel() == 1 and not ios.is_floating_point():
        ios = operator.index(ios)  # a one-element integer tensor is an int, as in torch
    if not isinstance(ios, (int, tuple, list)):
        raise TypeError(f"{op}(): argument 'indices_or_sections' must be an int or a sequence "
                        f"of ints, not {type(ios).__name__}")
    if isinstance(ios, int):
        size = t.shape[dim]
        if ios == 0 or size % ios:
            raise RuntimeError(f"{op} attempted to split along dimension {dim}, but the size of "
                               f"the dimension {size} is not divisible by the split_size "
                               f"{ios}!")
    return t.tensor_split(ios, dim)


def _tensor_list(tensors, op):
    """The tensors of a sequence argument (TypeError for anything else)."""
    if isinstance(tensors, _C.TensorBase) or not isinstance(tensors, (tuple, list)):
        raise TypeError(f"{op}(): argument 'tensors' must be a tuple or list of Tensors, not "
                        f"{type(tensors).__name__}")
    for i, t in enumerate(tensors):
        if not isinstance(t, _C.TensorBase):
            raise TypeError(f"{op}(): expected Tensor as element {i} in argument 'tensors', but "
                            f"got {type(t).__name__}")
    return list(tensors)


def _varargs(first, more, op):
    """The tensors of f(t0, t1, ...) or of f([t0, t1, ...])."""
    if not more and isinstance(first, (tuple, list)):
        return _tensor_list(first, op)
    return _tensor_list((first,) + tuple(more), op)


def _at_least(t, n):
    if t.ndim >= n:
        return t
    if n == 1 or t.ndim == 0:
        return t.reshape((1,) * n)
    if n == 2 or t.ndim == 2:  # (k,) -> (1, k); (m, k) -> (m, k, 1)
        return t.unsqueeze(0) if n == 2 else t.unsqueeze(-1)
    return t.unsqueeze(0).unsqueeze(-1)  # (k,) -> (1, k, 1)


def _atleast(first, more, n, op):
    if not more and isinstance(first, _C.TensorBase):
        return _at_least(first, n)
    return tuple(_at_least(t, n) for t in _varargs(first, more, op))


def _stack_along(tensors, n, dim, op):
    ts = [_at_least(t, n) for t in _tensor_list(tensors, op)]
    if not ts:
        raise RuntimeError(f"{op} expects a non-empty TensorList")
    return _C.cat(ts, dim(ts) if callable(dim) else dim)


def _hstack(tensors):
    return _stack_along(tensors, 1, lambda ts: 0 if ts[0].ndim == 1 else 1, "hstack")


def _vstack(tensors, op="vstack"):
    return _stack_along(tensors, 2, 0, op)


def _dstack(tensors):
    return _stack_along(tensors, 3, 2, "dstack")


def _column_stack(tensors):
    ts = _tensor_list(tensors, "column_stack")
    if not ts:
        raise RuntimeError("column_stack expects a non-empty TensorList")
    return _C.cat([t.reshape(t.numel(), 1) if t.ndim <= 1 else t for t in ts], 1)


def _meshgrid(tensors, indexing, warn_stacklevel=3):
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    if indexing is None:
        warnings.warn("pynet.meshgrid: in an upcoming release of PyTorch, it will be required to "
                      "pass the indexing argument; without it, indexing='ij' is used.",
                      UserWarning, stacklevel=warn_stacklevel)
        indexing = "ij"
    elif indexing not in ("ij", "xy"):
        raise RuntimeError(f'meshgrid: indexing must be one of "xy" or "ij", but received: '
                           f'{indexing}')
    for i, t in enumerate(tensors):
        if t.ndim > 1:
            raise RuntimeError(f"meshgrid: Expected 0D or 1D tensor in the tensor list but got "
                               f"a tensor of shape {list(t.shape)} (tensor {i})")
        if t.dtype != tensors[0].dtype:
            raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    shape = [t.numel() for t in tensors]
    where = list(range(len(tensors)))
    if indexing == "xy" and len(tensors) >= 2:  # the first two axes swap places
        shape[0], shape[1] = shape[1], shape[0]
        where[0], where[1] = 1, 0
    out = []
    for t, w in zip(tensors, where):
        view = [1] * len(tensors)
        view[w] = t.numel()
        out.append(t.reshape(view).expand(shape))
    return tuple(out)


def _cartesian_prod(tensors):
    for t in tensors:
        if t.ndim != 1:
            raise RuntimeError(f"cartesian_prod: expected 1D tensors, but got a tensor of shape "
                               f"{list(t.shape)}")
    if len(tensors) == 1:
        return tensors[0]
    return _C.stack([g.reshape(-1) for g in _meshgrid(tensors, "ij")], 1)


def _round_decimals(x, decimals):
    """x rounded to `decimals` places: x * 10^d rounded, / 10^d (or x / 10^-d, * 10^-d),
    in x's dtype; a scale past float64's range is inf, as in PyTorch (NaN results)."""
    decimals = operator.index(decimals)
    if not x.is_floating_point():
        raise NotImplementedError(f'"round" with decimals={decimals} is not implemented for '
                                  f'{x.dtype} tensors')
    scale = 10.0 ** abs(decimals) if abs(decimals) <= 308 else math.inf
    if decimals > 0:
        return _C.TensorBase.round(x * scale) / scale
    return _C.TensorBase.round(x / scale) * scale


def _block_diag(tensors):
    blocks = []
    for i, t in enumerate(tensors):
        if t.ndim > 2:
            raise RuntimeError(f"block_diag: Input tensors must have 2 or fewer dimensions. "
                               f"Input {i} has {t.ndim} dimensions")
        blocks.append(t.reshape(1, t.numel()) if t.ndim < 2 else t)
    if not blocks:
        return _C.zeros((1, 0), dtype=_C._get_default_dtype())
    dtype = _result_type(*tensors)  # a 0-d input ranks below the others, as in torch
    cols = builtins.sum(b.shape[1] for b in blocks)
    rows, left = [], 0
    for b in blocks:
        n, m = b.shape
        parts = [_C.zeros((n, left), dtype=dtype), b.to(dtype),
                 _C.zeros((n, cols - left - m), dtype=dtype)]
        rows.append(_C.cat(parts, 1))
        left += m
    return _C.cat(rows, 0)


# --- products


def _outer(a, b, op):
    _need_tensor(b, op, "vec2")
    for name, v in (("self", a), ("vec2", b)):
        if v.ndim != 1:
            raise RuntimeError(f"{op}: Expected 1-D argument {name}, but got {v.ndim}-D")
    return a.unsqueeze(1) * b


def _contract(a, b, dims_a, dims_b, op):
    """Sum of products of a and b over the paired dims dims_a[i] of a and dims_b[i] of b (a
    size 1 against a larger size sums the other side first); one matrix product. Result: a's
    other dims, then b's."""
    if a.dtype != b.dtype:
        raise RuntimeError(f"{op}: both inputs should have the same dtype, but got "
                           f"{_dname(a.dtype)} and {_dname(b.dtype)}")
    if len(dims_a) != len(dims_b):
        raise RuntimeError(f"{op}: both dimension lists should have same length")
    da = [_wrap_dim(operator.index(d), a.ndim, op) for d in dims_a]
    db = [_wrap_dim(operator.index(d), b.ndim, op) for d in dims_b]
    for ds in (da, db):
        if len(set(ds)) != len(ds):
            raise RuntimeError(f"{op}: a dim appears more than once in the contracted dims "
                               f"{list(dims_a)}, {list(dims_b)}")
    for i, (x, y) in enumerate(zip(da, db)):
        sa, sb = a.shape[x], b.shape[y]
        if sa == sb:
            continue
        if sa == 1:
            b = b.sum(y, True)
        elif sb == 1:
            a = a.sum(x, True)
        else:
            raise RuntimeError(f"{op}: contracted dimensions need to match, but first has size "
                               f"{sa} in dim {dims_a[i]} and second has size {sb} in dim "
                               f"{dims_b[i]}")
    free_a = [d for d in range(a.ndim) if d not in da]
    free_b = [d for d in range(b.ndim) if d not in db]
    ka = math.prod(a.shape[d] for d in da)
    left = a.permute(free_a + da).reshape(math.prod(a.shape[d] for d in free_a), ka)
    right = b.permute(db + free_b).reshape(ka, math.prod(b.shape[d] for d in free_b))
    return left.mm(right).reshape([a.shape[d] for d in free_a] + [b.shape[d] for d in free_b])


def _tensordot(a, b, dims):
    _need_tensor(a, "tensordot", "a")
    _need_tensor(b, "tensordot", "b")
    if isinstance(dims, _C.TensorBase):
        dims = dims.tolist() if dims.numel() > 1 else int(dims.item())
    if isinstance(dims, (tuple, list)):
        if len(dims) != 2 or not all(isinstance(d, (tuple, list)) for d in dims):
            raise TypeError(f"tensordot: dims must be an int or a pair of lists of ints, but got "
                            f"dims={dims!r}")
        return _contract(a, b, list(dims[0]), list(dims[1]), "tensordot")
    if not isinstance(dims, int):
        raise RuntimeError(f"tensordot expects dims to be int or tuple[list[int], list[int]] or "
                           f"list[list[int]] containing two lists, but got dims={dims!r}")
    if dims < 0:
        raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
    if dims > builtins.min(a.ndim, b.ndim):
        raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
    return _contract(a, b, list(range(a.ndim - dims, a.ndim)), list(range(dims)), "tensordot")


def _check_batches(op, batch1, batch2):
    _need_tensor(batch1, op, "batch1")
    _need_tensor(batch2, op, "batch2")
    if batch2.ndim < 3:  # torch reads batch2.size(2) first: an IndexError
        raise IndexError(f"{op}: batch2 must be a 3D tensor, got {batch2.ndim}-D")
    for name, m in (("batch1", batch1), ("batch2", batch2)):
        if m.ndim != 3:
            raise RuntimeError(f"{op}: {name} must be a 3D tensor, got {m.ndim}-D")
    (b, n, k), (b2, k2, p) = batch1.shape, batch2.shape
    if b != b2:
        raise RuntimeError(f"{op}: batch1 and batch2 must have same number of batches, got {b} "
                           f"and {b2}")
    if k != k2:
        raise RuntimeError(f"{op}: Incompatible matrix sizes for bmm ({n}x{k} and {k2}x{p})")
    return b, n, k, p


def _scaled_sum(inp, prod, beta, alpha):
    """beta * inp + alpha * prod, inp broadcast to prod's shape; beta == 0 does not read inp
    (NaN in it stay out) but still gives it a zero gradient, as PyTorch. Integer results take
    beta and alpha truncated to integers, as PyTorch does."""
    inp = inp.expand(prod.shape)
    if not prod.dtype.is_floating_point:
        beta, alpha = int(beta), int(alpha)
    if alpha != 1:
        prod = prod * alpha
    if beta == 0:
        return _C.where(_C.ones((), dtype=_C.bool), prod, inp)
    return prod + (inp if beta == 1 else inp * beta)


def _chain_matmul(matrices):
    warnings.warn("pynet.chain_matmul is deprecated, as torch.chain_matmul is (PyTorch "
                  "replaces it with torch.linalg.multi_dot)", UserWarning, stacklevel=3)
    if not matrices:
        raise RuntimeError("chain_matmul(): Expected one or more matrices")
    for i, m in enumerate(matrices):
        if m.ndim != 2:
            raise RuntimeError(f"chain_matmul(): Tensor dimension is {m.ndim}, expected 2 "
                               f"instead (tensor {i})")
        if m.dtype != matrices[0].dtype:
            raise RuntimeError(f"chain_matmul(): all tensors must have the same dtype, but "
                               f"tensor 0 is {_dname(matrices[0].dtype)} and tensor {i} is "
                               f"{_dname(m.dtype)}")
        if i and m.shape[0] != matrices[i - 1].shape[1]:
            raise RuntimeError(f"chain_matmul(): tensors {i - 1} and {i} with shapes "
                               f"{list(matrices[i - 1].shape)} and {list(m.shape)} cannot be "
                               f"multiplied")
    n = len(matrices)
    if n == 1:
        return matrices[0].clone()
    if n == 2:
        return matrices[0].mm(matrices[1])
    p = [matrices[0].shape[0]] + [m.shape[1] for m in matrices]
    if n == 3:  # PyTorch compares the two orders directly (ties: (AB)C)
        a, b, c, d = p
        if a * c * (b + d) > b * d * (a + c):
            return matrices[0].mm(matrices[1].mm(matrices[2]))
        return matrices[0].mm(matrices[1]).mm(matrices[2])
    # the cheapest order of the products (the textbook dynamic programme, first best split)
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            best = -1
            for k in range(i, j):
                q = cost[i][k] + cost[k + 1][j] + p[i] * p[k + 1] * p[j + 1]
                if best < 0 or q < best:
                    best, split[i][j] = q, k
            cost[i][j] = best

    def product(i, j):
        if i == j:
            return matrices[i]
        k = split[i][j]
        return product(i, k).mm(product(k + 1, j))

    return product(0, n - 1)


# --- elementwise


class _Logit(Function):
    """log(z / (1 - z)), z = x clamped into [eps, 1 - eps] (eps None: z = x). Backward:
    g / (x (1 - x)), 0 outside [eps, 1 - eps] (without eps: NaN outside [0, 1]), as PyTorch."""

    @staticmethod
    def forward(ctx, x, eps):
        ctx.save_for_backward(x)
        ctx.eps = eps
        z = x
        if eps is not None:  # bounds in x's dtype, 1 - eps computed there too (as PyTorch)
            lo = _C.full((), eps, dtype=x.dtype)
            hi = 1 - lo
            z = _C.where(x < lo, lo, _C.where(x > hi, hi, x))
        return (z / (1 - z)).log()

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        d = g / (x * (1 - x))
        if ctx.eps is None:
            return _C.where((x >= 0) & (x <= 1), d, math.nan), None
        lo = _C.full((), ctx.eps, dtype=x.dtype)
        return _C.where((x >= lo) & (x <= 1 - lo), d, 0.0), None


def _xlogy(x, y):
    if not isinstance(x, _C.TensorBase):
        _need_tensor(y, "xlogy", "other")
        if not isinstance(x, numbers.Real):
            x = _as_tensor(x)
    dtype = _result_type(x, y)
    if not dtype.is_floating_point:
        dtype = _C._get_default_dtype()
    return _Xlogy.apply(_as_operand(x, dtype), _as_operand(y, dtype))


class _Xlogy(Function):
    """x * log(y), 0 where x == 0, NaN where y is NaN. Backward as PyTorch: xlogy(g, y) for
    x, but 0 where x == 0 and y <= 0; g * x / y for y (NaN at x = y = 0)."""

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        out = _C.where(x == 0, 0.0, x * y.log())
        return _C.where(y != y, math.nan, out)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        gx = gy = None
        if ctx.needs_input_grad[0]:
            glogy = _C.where(y != y, math.nan, _C.where(g == 0, 0.0, g * y.log()))
            gx = _sum_to(_C.where((x == 0) & (y <= 0), 0.0, glogy), x.shape)
        if ctx.needs_input_grad[1]:
            gy = _sum_to(g * x / y, y.shape)
        return gx, gy


def _logaddexp(a, b, base2, op):
    _need_tensor(b, op, "other")
    dtype = _result_type(a, b)
    _float_only(op, dtype)
    return _LogAddExp.apply(a.to(dtype), b.to(dtype), base2)


class _LogAddExp(Function):
    """max(a, b) + log1p(exp(-|a - b|)) (base 2: log1p(2 ** -|a - b|) / log(2)); a where both
    are the same infinity. Backward as PyTorch: g / (1 + exp(b - a)) for a (2 ** for base 2)."""

    @staticmethod
    def forward(ctx, a, b, base2):
        ctx.save_for_backward(a, b)
        ctx.base2 = base2
        d = -(a - b).abs()
        if base2:
            out = a.maximum(b) + (2.0 ** d).log1p() * (1 / math.log(2))
        else:
            out = a.maximum(b) + d.exp().log1p()
        return _C.where(a.isinf() & (a == b), a, out)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors

        def grow(t):
            return 2.0 ** t if ctx.base2 else t.exp()

        ga = _sum_to(g / (1 + grow(b - a)), a.shape) if ctx.needs_input_grad[0] else None
        gb = _sum_to(g / (1 + grow(a - b)), b.shape) if ctx.needs_input_grad[1] else None
        return ga, gb, None


def _lerp(start, end, weight, op):
    _need_tensor(end, op, "end")
    if end.dtype != start.dtype:
        raise RuntimeError(f"{op}: expected dtype {_dname(start.dtype)} for `end` but got dtype "
                           f"{_dname(end.dtype)}")
    if isinstance(weight, _C.TensorBase):
        if weight.ndim and weight.dtype != start.dtype:
            raise RuntimeError(f"{op}: expected dtype {_dname(start.dtype)} for `weight` but got "
                               f"dtype {_dname(weight.dtype)}")
        _float_only(op, start.dtype)
        return _Lerp.apply(start, end, weight.to(start.dtype))
    if not isinstance(weight, numbers.Real):
        raise TypeError(f"{op}(): argument 'weight' must be a Tensor or a number, not "
                        f"{type(weight).__name__}")
    _float_only(op, start.dtype)
    return _Lerp.apply(start, end, float(weight))


class _Lerp(Function):
    """start + w (end - start) for |w| < 0.5, else end - (end - start) (1 - w), as PyTorch
    (with a number w rounded to the tensors' dtype first). Backward: g (1 - w), g w and
    g (end - start)."""

    @staticmethod
    def forward(ctx, start, end, w):
        ctx.save_for_backward(start, end, w if isinstance(w, _C.TensorBase) else None)
        ctx.w = w
        diff = end - start
        if isinstance(w, _C.TensorBase):
            return _C.where(w.abs() < 0.5, start + w * diff, end - diff * (1 - w))
        if start.dtype == _C.float32:  # w and 1 - w as float32 arithmetic gives them
            w32 = np.float32(w)
            small, w, one_minus = abs(w32) < 0.5, float(w32), float(np.float32(1) - w32)
        else:
            small, one_minus = abs(w) < 0.5, 1 - w
        return start + diff * w if small else end - diff * one_minus

    @staticmethod
    def backward(ctx, g):
        start, end, wt = ctx.saved_tensors
        w = ctx.w if wt is None else wt
        need = ctx.needs_input_grad
        gs = _sum_to(g * (1 - w), start.shape) if need[0] else None
        ge = _sum_to(g * w, end.shape) if need[1] else None
        gw = _sum_to(g * (end - start), wt.shape) if need[2] and wt is not None else None
        return gs, ge, gw


class _Heaviside(Function):
    """where(x == 0, values, x > 0); no derivative (backward raises, as PyTorch)."""

    @staticmethod
    def forward(ctx, x, values):
        return _C.where(x == 0, values, (x > 0).to(x.dtype))

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError("the derivative for 'heaviside' is not implemented")


def _float_power(base, exponent):
    if isinstance(base, numbers.Real) and not isinstance(base, _C.TensorBase):
        base = _C.full((), float(base), dtype=_C.float64)
    return _as_tensor(base).float_power(exponent)


for _op in (_Logit, _Xlogy, _LogAddExp, _Lerp, _Heaviside):  # grad_fn names like PyTorch's
    setattr(_op, "_backward_name", _op.__name__[1:] + "Backward0")


def _diag_embed(t, offset, dim1, dim2, op):
    """Zeros with t's last dim written into their offset-th diagonal in the (dim1, dim2)
    planes (through the diagonal view: the gradient is the diagonal of the gradient)."""
    nd = t.ndim + 1
    d1, d2 = _wrap_dim(dim1, nd, op), _wrap_dim(dim2, nd, op)
    if d1 == d2:
        raise RuntimeError(f"{op}: diagonal dimensions cannot be identical {dim1}, {dim2}")
    k = operator.index(offset)
    m = t.shape[-1] + abs(k)
    rest = iter(t.shape[:-1])
    shape = [m if d in (d1, d2) else next(rest) for d in range(nd)]
    out = _C.zeros(shape, dtype=t.dtype)
    out.diagonal(k, d1, d2).copy_(t)
    return out


# --- einsum

_LETTERS = string.ascii_uppercase + string.ascii_lowercase  # sublist ints 0..51, as PyTorch


def _einsum(args):
    """pynet.einsum: parse, then contract the operands left to right (see _einsum_contract)."""
    if args and isinstance(args[0], str):
        equation, operands = args[0], list(args[1:])
        if len(operands) == 1 and isinstance(operands[0], (tuple, list)):
            operands = list(operands[0])
    else:
        equation, operands = _einsum_sublists(args)
    if not operands:
        raise ValueError("einsum(): must specify the equation string and at least one operand, "
                         "or at least one operand and its subscripts list")
    operands = _tensor_list(operands, "einsum")
    terms, output = _einsum_parse(equation)
    if len(terms) != len(operands):
        raise RuntimeError(f"einsum(): {'fewer' if len(operands) < len(terms) else 'more'} "
                           f"operands were provided than specified in the equation")
    for k, t in enumerate(operands):
        if t.dtype != operands[0].dtype:
            raise RuntimeError(f"einsum(): expected all operands to have the same dtype, but "
                               f"operand 0 is {_dname(operands[0].dtype)} and operand {k} is "
                               f"{_dname(t.dtype)}")
    # each operand's labels: letters as their index in _LETTERS, the dims an ellipsis stands
    # for as 52 + j (j counted over the widest ellipsis, so that ellipses align on the right)
    ell = []
    for k, (term, t) in enumerate(zip(terms, operands)):
        named = len(term) - term.count(None)
        if None in term:
            if named > t.ndim:
                raise RuntimeError(f"einsum(): the number of subscripts in the equation ({named}) "
                                   f"is more than the number of dimensions ({t.ndim}) for "
                                   f"operand {k}")
            ell.append(t.ndim - named)
        else:
            if named != t.ndim:
                raise RuntimeError(f"einsum(): the number of subscripts in the equation ({named}) "
                                   f"does not match the number of dimensions ({t.ndim}) for "
                                   f"operand {k} and no ellipsis was given")
            ell.append(0)
    width = builtins.max(ell)
    labels = []
    for term, e in zip(terms, ell):
        out = []
        for c in term:
            if c is None:
                out += [52 + width - e + j for j in range(e)]
            else:
                out.append(_LETTERS.index(c))
        labels.append(out)
    if output is None:  # implicit: the ellipsis dims, then the letters seen exactly once
        counts = collections.Counter(x for ls in labels for x in ls if x < 52)
        out_labels = list(range(52, 52 + width)) + sorted(x for x, c in counts.items() if c == 1)
    else:
        seen = {x for ls in labels for x in ls}
        out_labels = []
        for c in output:
            if c is None:
                out_labels += list(range(52, 52 + width))
                continue
            x = _LETTERS.index(c)
            if x not in seen:
                raise RuntimeError(f"einsum(): output subscript {c} does not appear in the "
                                   f"equation for any input operand")
            if x in out_labels:
                raise RuntimeError(f"einsum(): output subscript {c} appears more than once in "
                                   f"the output")
            out_labels.append(x)
    return _einsum_contract(operands, labels, out_labels)


def _einsum_sublists(args):
    """einsum(op0, sublist0, op1, sublist1, ..., [sublist_out]) as an equation."""
    n = len(args) // 2
    operands, subs = list(args[0:2 * n:2]), list(args[1:2 * n:2])
    out = args[2 * n] if len(args) % 2 else None

    def term(sub):
        parts = []
        for s in sub:
            if s is Ellipsis:
                parts.append("...")
            elif isinstance(s, int) and 0 <= s < 52:
                parts.append(_LETTERS[s])
            else:
                raise ValueError("einsum(): subscript in subscript list is not within the valid "
                                 "range [0, 52)")
        return "".join(parts)

    equation = ",".join(term(s) for s in subs)
    if out is not None:
        equation += "->" + term(out)
    return equation, operands


def _einsum_parse(equation):
    """The input terms and the output term (None if implicit) of an equation; a term is a
    list of letters with None for the ellipsis."""
    terms = [[]]
    output = None
    i = 0
    while i < len(equation):
        c = equation[i]
        cur = terms[-1] if output is None else output
        where = f"operand {len(terms) - 1}" if output is None else "output"
        if c == " ":
            pass
        elif c == ",":
            if output is not None:
                raise RuntimeError("einsum(): found ',' in the output subscripts")
            terms.append([])
        elif c == "-" and equation[i + 1:i + 2] == ">":
            if output is not None:
                raise RuntimeError("einsum(): found '->' more than once in the equation")
            output = []
            i += 1
        elif c == ".":
            if None in cur:
                raise RuntimeError(f"einsum(): found '.' for {where} for which an ellipsis was "
                                   f"already found")
            if equation[i:i + 3] != "...":
                raise RuntimeError(f"einsum(): found '.' for {where} that is not part of any "
                                   f"ellipsis")
            cur.append(None)
            i += 2
        elif c in _LETTERS:
            cur.append(c)
        else:
            raise RuntimeError(f"einsum(): invalid subscript given at index {i} in the equation "
                               f"string, subscripts must be in [a-zA-Z]")
        i += 1
    return terms, output


def _einsum_contract(operands, labels, out_labels):
    """Each operand to the common label order (diagonals taken for repeated labels, missing
    labels as size-1 dims), then multiplied into the result left to right: a label summed
    once no later operand has it (a matrix product over the labels both sides have, a plain
    sum when only one side has it), and the result reshaped to the output labels."""
    n_ops = len(operands)
    order = list(out_labels)
    for ls in labels:
        for x in ls:
            if x not in order:
                order.append(x)
    pos = {x: i for i, x in enumerate(order)}
    last = {x: n_ops for x in out_labels}  # the last operand that has a label
    for k, ls in enumerate(labels):
        for x in ls:
            if x not in out_labels:
                last[x] = k
    sizes = {}
    aligned = []
    for k, (t, ls) in enumerate(zip(operands, labels)):
        ls = list(ls)
        for i, x in enumerate(ls):  # sizes: equal within an operand, broadcast across
            if x in ls[:i] and t.shape[i] != t.shape[ls.index(x)]:
                raise RuntimeError(f"einsum(): subscript {_einsum_name(x)} is repeated for "
                                   f"operand {k} but the sizes don't match, "
                                   f"{t.shape[ls.index(x)]} != {t.shape[i]}")
            s = sizes.get(x, 1)
            if t.shape[i] != s and s != 1 and t.shape[i] != 1:
                raise RuntimeError(f"einsum(): subscript {_einsum_name(x)} has size {t.shape[i]} "
                                   f"for operand {k} which does not broadcast with previously "
                                   f"seen size {s}")
            if s == 1:
                sizes[x] = t.shape[i]
        while len(set(ls)) < len(ls):  # a repeated label: its diagonal, moved to the end
            x = next(y for y in ls if ls.count(y) > 1)
            i = ls.index(x)
            j = ls.index(x, i + 1)
            t = t.diagonal(0, i, j)
            ls = [y for m, y in enumerate(ls) if m not in (i, j)] + [x]
        t = t.permute(sorted(range(len(ls)), key=lambda m: pos[ls[m]]))
        for p, x in enumerate(order):  # a size-1 dim for each label t does not have
            if x not in ls:
                t = t.unsqueeze(p)
        aligned.append(t)
    result = aligned[0]
    only = [pos[x] for x in labels[0] if last[x] == 0 and result.shape[pos[x]] != 1]
    if only:  # labels of the first operand alone
        result = result.sum(sorted(set(only)), True)
    for k in range(1, n_ops):
        t = aligned[k]
        contract = []
        for x, p in pos.items():
            if last[x] != k:
                continue
            if result.shape[p] == 1:
                if t.shape[p] != 1:
                    t = t.sum(p, True)
            elif t.shape[p] == 1:
                result = result.sum(p, True)
            else:
                contract.append(p)
        result = _einsum_pair(result, t, sorted(contract))
    return result.reshape([result.shape[pos[x]] for x in out_labels])


def _einsum_pair(a, b, contract):
    """sum over the dims `contract` of a * b (same ndim, broadcasting): one batched matrix
    product, or a plain product when nothing is summed (bool tensors too)."""
    if not contract:
        return a * b
    nd = a.ndim
    batch = [d for d in range(nd) if d not in contract and a.shape[d] != 1 and b.shape[d] != 1]
    left = [d for d in range(nd) if d not in contract and a.shape[d] != 1 and b.shape[d] == 1]
    right = [d for d in range(nd) if d not in contract and a.shape[d] == 1 and b.shape[d] != 1]
    rest = [d for d in range(nd) if d not in contract + batch + left + right]
    nb = math.prod(a.shape[d] for d in batch)
    nk = math.prod(a.shape[d] for d in contract)
    nl = math.prod(a.shape[d] for d in left)
    nr = math.prod(b.shape[d] for d in right)
    x = a.permute(batch + left + contract + right + rest).reshape(nb, nl, nk)
    y = b.permute(batch + contract + right + left + rest).reshape(nb, nk, nr)
    kept = batch + left + right
    out = x.bmm(y).reshape([a.shape[d] for d in batch + left] + [b.shape[d] for d in right]
                           + [1] * (nd - len(kept)))
    now = kept + [d for d in range(nd) if d not in kept]  # dim i of out is dim now[i]
    return out.permute(sorted(range(nd), key=lambda i: now[i]))


def _einsum_name(x):
    return _LETTERS[x] if x < 52 else "..."


# --- order statistics, counting and searching, statistics and distances
# (median ... cdist: the sort-based ones build on the stable C sort, and take their values
# with gather so that the gradient reaches the returned index, as PyTorch's does)


def _values_indices(values, indices):
    from . import _return_types  # pynet.return_types(values, indices), as max(dim) returns

    return _return_types(values, indices)


_MinMax = collections.namedtuple("aminmax", ["min", "max"])  # type: ignore[name-match]
_MinMax.__module__ = "pynet.return_types"


def _reduced_dim(t, dim, op):
    """(t as at least 1-D, the wrapped dim) for a reduction along dim that refuses an empty
    dim, as PyTorch's median, kthvalue and mode do."""
    d = _wrap_dim(operator.index(dim), t.ndim, op)
    x = t.reshape(1) if t.ndim == 0 else t
    if x.shape[d] == 0:
        raise IndexError(f"{op}(): Expected reduction dim {d} to have non-zero size.")
    return x, d


def _select_along(t, x, d, idx, keepdim):
    """(values, indices): x gathered at idx (size 1 along d), squeezed unless keepdim, and
    reshaped to 0-d for a 0-d t."""
    values = x.gather(d, idx)
    if t.ndim == 0:
        return _values_indices(values.reshape(()), idx.reshape(()))
    if not keepdim:
        values, idx = values.squeeze(d), idx.squeeze(d)
    return _values_indices(values, idx)


def _median_index(x, d, nan_aware):
    """The index along d of the (nan)median of x (>= 1-D, non-empty along d), size 1 along d:
    the lower middle of the stably sorted slice; a slice with NaN gives its first NaN for
    median, and nanmedian takes the middle of the non-NaN elements (the first NaN if all are)."""
    n = x.shape[d]
    _, order = x.sort(d, stable=True)
    shape = list(x.shape)
    shape[d] = 1
    k = _C.full(shape, (n - 1) // 2, dtype=_C.int64)
    if x.is_floating_point():
        nans = x.isnan().sum(d, True)
        if nan_aware:
            k = ((n - nans - 1) // 2).clamp(min=0)
        else:
            k = _C.where(nans > 0, n - nans, k)
    return order.gather(d, k)


def _median_dim(t, dim, keepdim, nan_aware, op):
    if t.dtype == _C.bool:
        raise NotImplementedError(f"{op}: not implemented for 'bool' tensors")
    x, d = _reduced_dim(t, dim, op)
    with _no_grad():
        idx = _median_index(x, d, nan_aware)
    return _select_along(t, x, d, idx, keepdim)


class _EvenlyDistribute(Function):
    """value (a 0-d tensor) as the result of a reduction of x whose gradient PyTorch spreads
    evenly over the elements of x equal to it (over the NaN ones for a NaN value)."""

    @staticmethod
    def forward(ctx, x, value):
        ctx.save_for_backward(x, value)
        return value.clone()

    @staticmethod
    def backward(ctx, g):
        x, value = ctx.saved_tensors
        mask = x.isnan() if bool(value.isnan().item()) else x == value
        return _C.where(mask, g / mask.sum(), 0.0), None


class _Median(_EvenlyDistribute):
    """median() of all elements (see _EvenlyDistribute)."""


class _Nanmedian(_EvenlyDistribute):
    """nanmedian() of all elements (see _EvenlyDistribute)."""


def _median_all(t, nan_aware, op):
    if t.dtype == _C.bool:
        raise NotImplementedError(f"{op}: not implemented for 'bool' tensors")
    flat = t.reshape(-1)
    if flat.numel() == 0:
        if not t.is_floating_point():
            raise RuntimeError(f"{op}(): cannot compute the median of an empty integer tensor")
        return _C.full((), math.nan, dtype=t.dtype)
    with _no_grad():
        value = flat.gather(0, _median_index(flat, 0, nan_aware)).reshape(())
    return (_Median if op == "median" else _Nanmedian).apply(t, value)


def _kthvalue(t, k, dim, keepdim):
    if t.dtype == _C.bool:
        raise NotImplementedError("kthvalue: not implemented for 'bool' tensors")
    k = operator.index(k)
    d = _wrap_dim(operator.index(dim), t.ndim, "kthvalue")
    x = t.reshape(1) if t.ndim == 0 else t
    if not 1 <= k <= x.shape[d]:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d} (k = "
                           f"{k}, size {x.shape[d]})")
    with _no_grad():
        idx = x.sort(d, stable=True)[1].narrow(d, k - 1, 1)
    return _select_along(t, x, d, idx, keepdim)


def _mode(t, dim, keepdim):
    from ._creation import arange

    x, d = _reduced_dim(t, dim, "mode")
    with _no_grad():
        xm = x.movedim(d, -1)
        n = xm.shape[-1]
        values, order = xm.sort(-1, stable=True)
        edge = _C.ones(tuple(xm.shape[:-1]) + (1,), dtype=_C.bool)
        change = values.narrow(-1, 1, n - 1) != values.narrow(-1, 0, n - 1)
        starts = _C.cat([edge, change], -1)
        ends = _C.cat([change, edge], -1)
        pos = arange(n).expand(xm.shape)
        first = _C.where(starts, pos, 0).cummax(-1)[0]  # where each element's run starts
        run = _C.where(ends, pos - first + 1, 0)  # run lengths, at the runs' last elements
        best = run.argmax(-1, keepdim=True)  # the first longest run: the smallest value
        idx = order.gather(-1, best).movedim(-1, d)
    return _select_along(t, x, d, idx, keepdim)


_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(t, q, dim, keepdim, interpolation, nan_aware, op):
    one_q = not isinstance(q, _C.TensorBase)
    if one_q:
        q = builtins.float(q)
        if not 0 <= q <= 1:
            raise RuntimeError(f"{op}() q must be in the range [0, 1] but got {q}")
    if t.dtype not in (_C.float32, _C.float64):
        raise RuntimeError(f"{op}() input tensor must be either float or double dtype")
    if one_q:
        qs = _C.full((1,), q, dtype=t.dtype)
    else:
        if q.ndim > 1:
            raise RuntimeError(f"{op}() q must be a scalar or 1D tensor")
        if q.dtype != t.dtype:
            raise RuntimeError(f"{op}() q tensor must be same dtype as the input tensor")
        one_q = q.ndim == 0
        qs = q.reshape(-1)  # (differentiable: the linear weights depend on q, as in PyTorch)
        if not bool(((qs.detach() >= 0) & (qs.detach() <= 1)).all().item()):
            raise RuntimeError(f"{op}() q values must be in the range [0, 1]")
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(f"{op}() interpolation must be one of linear, lower, higher, "
                           f"midpoint or nearest, but got {interpolation}")
    if dim is None:
        x, d = t.reshape(-1), 0
    else:
        d = _wrap_dim(operator.index(dim), t.ndim, op)
        x = t.reshape(1) if t.ndim == 0 else t
    if t.numel() == 0:
        raise RuntimeError(f"{op}() input tensor must be non-empty")
    ordered = x.movedim(d, -1).sort(-1, stable=True)[0]  # (..., n): NaN last
    n = ordered.shape[-1]
    nq = qs.numel()
    qv = qs.reshape((nq,) + (1,) * ordered.ndim)
    with _no_grad():
        nans = ordered.isnan()
    if nan_aware:  # ranks among the non-NaN elements (0 where all are NaN: NaN results)
        ranks = qv * ((~nans).sum(-1, True) - 1)
        ranks = _C.where(ranks < 0, 0.0, ranks)
    else:  # a slice with NaN takes its last element, a NaN
        ranks = _C.where(nans.any(-1, True), builtins.float(n - 1), qv * (n - 1))
    exact = ranks
    with _no_grad():
        if interpolation == "lower":
            ranks = ranks.floor()
        elif interpolation == "higher":
            ranks = ranks.ceil()
        elif interpolation == "nearest":
            ranks = ranks.round()  # half to even, as PyTorch
        below = ranks.to(_C.int64)
    wide = ordered.unsqueeze(0).expand((nq,) + tuple(ordered.shape))
    out = wide.gather(-1, below)
    if interpolation in ("linear", "midpoint"):
        with _no_grad():
            above = ranks.ceil().to(_C.int64)
        weights = exact - below if interpolation == "linear" else \
            _C.full(tuple(ranks.shape), 0.5, dtype=ranks.dtype)
        out = out.lerp(wide.gather(-1, above), weights)
    out = out.squeeze(-1)  # (nq, the other dims of x)
    if keepdim:
        if dim is None:
            out = out.reshape((nq,) + (1,) * t.ndim)
        elif t.ndim:
            out = out.unsqueeze(d + 1)
    return out.squeeze(0) if one_q else out


def _aminmax(t, dim, keepdim):
    if dim is None:
        if t.numel() == 0:
            raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as "
                               "the operation has no identity.")
        return _MinMax(t.amin(None, keepdim), t.amax(None, keepdim))
    x, d = t, _wrap_dim(operator.index(dim), t.ndim, "aminmax")
    if t.ndim and t.shape[d] == 0:
        raise IndexError(f"aminmax: Expected reduction dim {d} to have non-zero size.")
    if t.ndim == 0:
        return _MinMax(t.clone(), t.clone())
    return _MinMax(x.amin(d, keepdim), x.amax(d, keepdim))


def _var_mean(t, dim, unbiased, keepdim, correction, op):
    if not t.is_floating_point():
        raise RuntimeError(f"{op} only support floating point and complex dtypes")
    spread = t.std if op == "std_mean" else t.var
    s = spread(dim, unbiased, keepdim, correction=correction)
    if isinstance(dim, bool):  # std_mean(input, unbiased): over all elements
        return s, t.mean()
    return s, t.mean(dim, keepdim)


class _ZeroNan(Function):
    """x with NaN replaced by 0; backward g * (x is not NaN), as PyTorch's nansum (so an
    infinite g still gives NaN at the NaN elements)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _C.where(x.isnan(), 0.0, x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * (~x.isnan()).to(g.dtype)


class _NoDerivative(Function):
    """fn(x) for an op PyTorch gives no derivative: the result requires grad when x does,
    and backward raises PyTorch's error."""

    @staticmethod
    def forward(ctx, x, fn, exc, message):
        ctx.exc, ctx.message = exc, message
        return fn(x)

    @staticmethod
    def backward(ctx, g):
        raise ctx.exc(ctx.message)


def _no_derivative(x, fn, name, exc=NotImplementedError):
    if _C.is_grad_enabled() and x.requires_grad:
        message = (f"the derivative for '{name}' is not implemented." if exc is
                   NotImplementedError else f"derivative for aten::{name} is not implemented")
        return _NoDerivative.apply(x, fn, exc, message)
    with _no_grad():
        return fn(x)


def _lexsort_rows(rows):
    """The stable order that sorts the rows of the 2-D rows lexicographically (a stable sort
    by each column, from the last to the first)."""
    from ._creation import arange

    order = arange(rows.shape[0])
    for c in range(rows.shape[1] - 1, -1, -1):
        order = order.gather(0, rows.select(1, c).gather(0, order).sort(0, stable=True)[1])
    return order


def _unique(t, return_inverse, return_counts, dim, consecutive):
    from ._creation import arange

    name = "unique_consecutive" if consecutive else "_unique2"
    with _no_grad():
        if dim is None:
            x = t.reshape(-1)
            n = x.numel()
            rows = x.reshape(n, 1)
        else:
            if t.ndim == 0:
                raise IndexError("unique: Dimension specified as 0 but tensor has no dimensions")
            d = _wrap_dim(operator.index(dim), t.ndim, "unique")
            name = "unique_dim_consecutive" if consecutive else "unique_dim"
            x = t.movedim(d, 0)
            n = x.shape[0]
            if x.numel() == 0 and n:
                raise RuntimeError("There are 0 sized dimensions, and they aren't selected, so "
                                   "unique cannot be applied")
            rows = x.reshape(n, math.prod(x.shape[1:]))
        order = arange(n) if consecutive or n == 0 else _lexsort_rows(rows)
        if n:
            srt = rows.index_select(0, order)
            change = (srt.narrow(0, 1, n - 1) != srt.narrow(0, 0, n - 1)).any(1)
            starts = _C.cat([_C.ones((1,), dtype=_C.bool), change])
        else:
            starts = _C.zeros((0,), dtype=_C.bool)
        run = starts.to(_C.int64).cumsum(0) - 1  # each sorted row's group
        first = order[starts]  # where each group's first row is in x
        groups = first.numel()
    extra = []
    if return_inverse:
        with _no_grad():
            inverse = _C.zeros((n,), dtype=_C.int64).scatter(0, order, run)
        extra.append(inverse.reshape(t.shape) if dim is None else inverse)
    if return_counts:
        with _no_grad():
            extra.append(_C.zeros((groups,), dtype=_C.int64).scatter_add(
                0, run, _C.ones((n,), dtype=_C.int64)))

    def values(src):
        if dim is None:
            return src.reshape(-1).index_select(0, first)
        return src.movedim(d, 0).index_select(0, first).movedim(0, d)

    out = _no_derivative(t, values, name)
    return (out, *extra) if extra else out


def _bincount(t, weights, minlength):
    if t.dtype != _C.int64:
        raise NotImplementedError(f"bincount: not implemented for '{_dname(t.dtype)}' tensors "
                                  f"(it needs an int64 tensor)")
    minlength = operator.index(minlength)
    if minlength < 0:
        raise RuntimeError(f"bincount: minlength should be >= 0 (got {minlength})")
    if t.ndim != 1 or (t.numel() and bool((t < 0).any().item())):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if weights is not None:
        _need_tensor(weights, "bincount", "weights")
        if weights.ndim != 1 or weights.shape[0] != t.shape[0]:
            raise RuntimeError(f"bincount: weights should be 1-d and have the same length as "
                               f"input (got weights of shape {list(weights.shape)} for input of "
                               f"shape {list(t.shape)})")
    if t.numel() == 0:  # PyTorch: int64 zeros, weights or not
        return _C.zeros((minlength,), dtype=_C.int64)
    size = builtins.max(minlength, builtins.int(t.max().item()) + 1)
    if weights is None:
        return _C.zeros((size,), dtype=_C.int64).scatter_add(0, t, _C.ones(t.shape,
                                                                             dtype=_C.int64))
    dtype = _C.float32 if weights.dtype == _C.float32 else _C.float64
    return _no_derivative(weights, lambda w: _C.zeros((size,), dtype=dtype).scatter_add(
        0, t, w.to(dtype)), "bincount", RuntimeError)


def _histc(t, bins, lo, hi):
    if not t.is_floating_point():
        raise NotImplementedError(f"histc: not implemented for '{_dname(t.dtype)}' tensors (it "
                                  f"needs a floating-point tensor)")
    bins = operator.index(bins)
    if bins <= 0:
        raise RuntimeError(f"histc: bins must be > 0, but got {bins}")
    lo, hi = builtins.float(lo), builtins.float(hi)
    with _no_grad():
        if lo == hi and t.numel():
            lo, hi = builtins.float(t.min().item()), builtins.float(t.max().item())
        if lo == hi:
            lo, hi = lo - 1, hi + 1
        if not (math.isfinite(lo) and math.isfinite(hi)):
            raise RuntimeError(f"torch.histc: range of [{lo:g}, {hi:g}] is not finite")
        if not lo < hi:
            raise RuntimeError(f"torch.histc: max must be larger than min (got min={lo:g}, "
                               f"max={hi:g})")
        if t.dtype == _C.float32:  # the edges, and their distance, in float32 as PyTorch
            lo32, hi32 = np.float32(lo), np.float32(hi)
            lo, hi, width = builtins.float(lo32), builtins.float(hi32), \
                builtins.float(hi32 - lo32)
        else:
            width = hi - lo
        x = t.reshape(-1)
        x = x[(x >= lo) & (x <= hi)]
        pos = ((x - lo) * bins / width).to(_C.int64).clamp(max=bins - 1)
        return _C.zeros((bins,), dtype=t.dtype).scatter_add(0, pos, _C.ones(pos.shape,
                                                                              dtype=t.dtype))


def _scalar_tensor(v):
    """A Python number as the 0-d tensor PyTorch makes of it (a float as float64)."""
    if isinstance(v, (bool, np.bool_)):
        return _C.full((), builtins.bool(v), dtype=_C.bool)
    if isinstance(v, numbers.Integral):
        return _C.full((), builtins.int(v), dtype=_C.int64)
    if isinstance(v, numbers.Real):
        return _C.full((), builtins.float(v), dtype=_C.float64)
    raise TypeError(f"expected a Tensor or a number, got {type(v).__name__}")


def _bound(seq, values, right):
    """For each row of values (B, M), the insertion point in the row of seq (B, N): the
    lower (right: upper) bound, by PyTorch's binary search (a comparison with NaN is false,
    so a NaN value goes to the end)."""
    n = seq.shape[1]
    start = _C.zeros(tuple(values.shape), dtype=_C.int64)
    end = _C.full(tuple(values.shape), n, dtype=_C.int64)
    while True:
        active = start < end
        if not bool(active.any().item()):
            return start
        mid = (start + end) // 2
        at = seq.gather(1, mid.clamp(max=builtins.max(n - 1, 0)))
        right_of = ~(at > values) if right else ~(at >= values)
        start = _C.where(active & right_of, mid + 1, start)
        end = _C.where(active & ~right_of, mid, end)


def _searchsorted(seq, values, out_int32, right, side, sorter, op="searchsorted"):
    _need_tensor(seq, op, "sorted_sequence")
    if out_int32:
        raise NotImplementedError(f"{op}: out_int32=True needs the int32 dtype, which pynet "
                                  f"does not have")
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"{op}(): side can only be 'left' or 'right' but got {side}")
        if right and side == "left":
            raise RuntimeError(f"{op}(): side and right can't be set to opposites, got side of "
                               f"left while right was True")
        right = side == "right"
    if seq.ndim == 0:
        raise RuntimeError(f"{op}(): boundaries tensor should have positive dimension, but got "
                           f"0 dimension")
    if not isinstance(values, _C.TensorBase):
        values = _scalar_tensor(values)
        if seq.ndim != 1:
            raise RuntimeError(f"{op}(): input value can be a scalar only when boundaries tensor "
                               f"dimension is 1, but we got boundaries tensor dim({seq.ndim}) "
                               f"and input value's dim(0) numel(1)")
    if seq.ndim != 1 and (seq.ndim != values.ndim
                          or tuple(seq.shape[:-1]) != tuple(values.shape[:-1])):
        raise RuntimeError(f"{op}(): boundaries tensor should be 1 dimension or the first N-1 "
                           f"dimensions of boundaries tensor and input value tensor must "
                           f"match, but we got boundaries tensor {list(seq.shape)} and input "
                           f"value tensor {list(values.shape)}")
    if sorter is not None:
        _need_tensor(sorter, op, "sorter")
        if sorter.dtype != _C.int64:
            raise RuntimeError(f"{op}(): sorter must be a tensor of long dtype but got dtype "
                               f"{_dname(sorter.dtype)}")
        if tuple(sorter.shape) != tuple(seq.shape):
            raise RuntimeError(f"{op}(): boundary and sorter must have the same size, but got "
                               f"boundary tensor {list(seq.shape)} and got sorter tensor "
                               f"{list(sorter.shape)}")
        if sorter.numel() and bool(((sorter < 0) | (sorter >= seq.shape[-1])).any().item()):
            raise RuntimeError(f"{op}(): sorter index out of range")
    for x in (seq, values):
        if x.dtype == _C.bool:
            raise NotImplementedError(f"{op}: not implemented for 'bool' tensors")
    dtype = _promote_types(seq.dtype, values.dtype)
    with _no_grad():
        s = seq.detach().to(dtype)
        if sorter is not None:
            s = s.gather(-1, sorter)
        rows = math.prod(s.shape[:-1])
        s = s.reshape(rows, s.shape[-1])
        v = values.detach().to(dtype)
        v = v.reshape(rows, v.shape[-1] if v.ndim else 1) if seq.ndim > 1 else \
            v.reshape(1, v.numel())
        return _bound(s, v, right).reshape(values.shape)


def _bucketize(input, boundaries, out_int32, right):
    _need_tensor(boundaries, "bucketize", "boundaries")
    if boundaries.ndim != 1:
        raise RuntimeError(f"bucketize: boundaries tensor must be 1 dimension, but got "
                           f"dim({boundaries.ndim})")
    return _searchsorted(boundaries, input, out_int32, right, None, None, "bucketize")


def _isin(elements, test_elements, assume_unique, invert):
    e_tensor = isinstance(elements, _C.TensorBase)
    t_tensor = isinstance(test_elements, _C.TensorBase)
    if not (e_tensor or t_tensor):
        raise TypeError(f"isin() received an invalid combination of arguments - got "
                        f"({type(elements).__name__}, {type(test_elements).__name__}): one of "
                        f"elements and test_elements must be a Tensor")
    for x in (elements, test_elements):
        if isinstance(x, _C.TensorBase) and x.dtype == _C.bool:
            raise RuntimeError("Unsupported input type encountered for isin(): Bool")
    with _no_grad():
        if not t_tensor:  # isin(tensor, number): elements == number
            out = elements == test_elements
        elif not e_tensor:  # isin(number, tensor): any(test_elements == number)
            out = (test_elements == elements).any()
        else:
            dtype = _promote_types(elements.dtype, test_elements.dtype)
            e = elements.detach().to(dtype).reshape(1, -1)
            pool = test_elements.detach().to(dtype).reshape(-1)
            pool = pool[~pool.isnan()].sort(0)[0]  # NaN match nothing
            if pool.numel() == 0:
                out = _C.zeros(tuple(elements.shape), dtype=_C.bool)
            else:
                at = _bound(pool.reshape(1, -1), e, False).clamp(max=pool.numel() - 1)
                out = (pool.reshape(1, -1).gather(1, at) == e).reshape(elements.shape)
        return ~out if invert else out


def _repeat_counts(repeats, output_size):
    """repeat_interleave(repeats): each index i repeated repeats[i] times."""
    from ._creation import arange

    if repeats.ndim != 1:
        raise RuntimeError(f"repeat_interleave only accept 1D vector as repeat (got a "
                           f"{repeats.ndim}-D tensor)")
    if repeats.dtype != _C.int64:
        raise NotImplementedError(f"repeat_interleave: not implemented for "
                                  f"'{_dname(repeats.dtype)}' repeats (they must be int64)")
    if repeats.numel() and bool((repeats < 0).any().item()):
        raise RuntimeError("repeat_interleave: repeats can not be negative")
    with _no_grad():
        ends = repeats.cumsum(0)
        total = builtins.int(ends[-1].item()) if repeats.numel() else 0
        if output_size is not None and output_size != total:
            raise RuntimeError(f"repeat_interleave: Invalid output_size, expected {total} but "
                               f"got {output_size}")
        if total == 0:
            return _C.zeros((0,), dtype=_C.int64)
        return _bound(ends.reshape(1, -1), arange(total).reshape(1, -1), True).reshape(-1)


def _repeat_interleave(t, repeats, dim, output_size):
    from ._creation import arange

    if dim is None:
        x, d = t.reshape(-1), 0
    else:
        if t.ndim == 0:
            raise IndexError(f"repeat_interleave: Dimension out of range (a 0-d tensor has no "
                             f"dim {dim})")
        x, d = t, _wrap_dim(operator.index(dim), t.ndim, "repeat_interleave")
    n = x.shape[d]
    if isinstance(repeats, _C.TensorBase):
        if repeats.ndim > 1:
            raise RuntimeError("repeat_interleave: repeats must be 0-dim or 1-dim tensor")
        if repeats.numel() == 1:
            repeats = repeats.reshape(1).expand(n)
        elif repeats.shape[0] != n:
            raise RuntimeError(f"repeats must have the same size as input along dim, but got "
                               f"repeats.size(0) = {repeats.shape[0]} and input.size({d}) = {n}")
        index = _repeat_counts(repeats, output_size)
    else:
        r = operator.index(repeats)
        if r < 0:
            raise RuntimeError(f"repeat_interleave: Repeats must be non-negative (got {r})")
        if output_size is not None and output_size != n * r:
            raise RuntimeError(f"repeat_interleave: Invalid output_size, expected {n * r} but "
                               f"got {output_size}")
        index = arange(n).unsqueeze(1).expand(n, r).reshape(-1)
    return x.index_select(d, index)


def _diff(t, n, dim, prepend, append):
    if t.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    n = operator.index(n)
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    d = _wrap_dim(operator.index(dim), t.ndim, "diff")
    if n == 0:  # torch returns the input itself, prepend and append unused
        return t
    parts = []
    for name, o in (("prepend", prepend), (None, t), ("append", append)):
        if o is None:
            continue
        if name is not None:
            _need_tensor(o, "diff", name)
            if o.ndim != t.ndim:
                raise RuntimeError(f"diff expects prepend or append to be the same dimension as "
                                   f"input (got {o.ndim} and {t.ndim})")
            for i in range(t.ndim):
                if i != d and o.shape[i] != t.shape[i]:
                    raise RuntimeError(f"diff expects the shape of tensor to prepend or append to "
                                       f"match that of input except along the differencing "
                                       f"dimension; input.size({i}) = {t.shape[i]}, but got "
                                       f"tensor.size({i}) = {o.shape[i]}")
        parts.append(o)
    x = _C.cat(parts, d) if len(parts) > 1 else t
    if n == 0:
        return x.clone() if x is t else x
    for _ in range(n):
        m = x.shape[d]
        if m == 0:
            break
        hi, lo = x.narrow(d, 1, m - 1), x.narrow(d, 0, m - 1)
        x = hi ^ lo if x.dtype == _C.bool else hi - lo
    return x


def _cov(t, correction, fweights, aweights):
    if isinstance(correction, bool) or not isinstance(correction, numbers.Integral):
        raise TypeError(f"cov(): argument 'correction' must be int, not "
                        f"{type(correction).__name__}")
    if t.ndim > 2:
        raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got an "
                           f"input with {t.ndim} dimensions")
    if t.dtype == _C.bool:
        raise RuntimeError("cov(): bool dtype is not supported for input")
    x = t if t.ndim == 2 else t.reshape(1, -1)
    nobs = x.shape[1]
    w = None
    for name, wt in (("fweights", fweights), ("aweights", aweights)):
        if wt is None:
            continue
        _need_tensor(wt, "cov", name)
        if wt.ndim > 1:
            raise RuntimeError(f"cov(): expected {name} to have one or fewer dimensions but got "
                               f"{name} with {wt.ndim} dimensions")
        if name == "fweights" and wt.dtype != _C.int64:
            raise RuntimeError(f"cov(): expected fweights to have integral dtype but got "
                               f"fweights with {_dname(wt.dtype)} dtype")
        if name == "aweights" and not wt.is_floating_point():
            raise RuntimeError(f"cov(): expected aweights to have floating point dtype but got "
                               f"aweights with {_dname(wt.dtype)} dtype")
        if wt.numel() != nobs:
            raise RuntimeError(f"cov(): expected {name} to have the same numel as there are "
                               f"observations in the input but got {wt.numel()} != {nobs}")
        if nobs and bool((wt < 0).any().item()):
            raise RuntimeError(f"cov(): {name} cannot be negative")
        w = wt if w is None else w * wt
    if w is None:
        w_sum = _C.full((), nobs, dtype=_C.int64)
    else:
        w_sum = w.sum()
        if not bool((w_sum != 0).item()):
            raise RuntimeError("cov(): weights sum to zero, can't be normalized")
    avg = (x if w is None else x * w).sum(1) / w_sum
    if w is not None and correction != 0 and aweights is not None:
        norm = w_sum - correction * (w * aweights).sum() / w_sum
    else:
        norm = w_sum - correction
    if bool((norm <= 0).item()):
        warnings.warn("cov(): degrees of freedom is <= 0. Correction should be strictly less "
                      "than the number of observations.", UserWarning, stacklevel=4)
        norm = _C.zeros((), dtype=norm.dtype)
    xc = x - avg.unsqueeze(1)
    c = xc.mm((xc if w is None else xc * w).t())
    return c.true_divide(norm).squeeze()


_cross_warned = [False]


def _cross(a, b, dim):
    _need_tensor(b, "cross", "other")
    if dim is None:
        if not _cross_warned[0]:  # once per process, as PyTorch's TORCH_WARN_ONCE
            _cross_warned[0] = True
            warnings.warn("Using pynet.cross without specifying the dim arg is deprecated, as "
                          "torch.cross is. Please either pass the dim explicitly or simply use "
                          "linalg.cross.\nThe default value of dim will change to agree with "
                          "that of linalg.cross in a future release.", UserWarning, stacklevel=4)
        d = next((i for i, s in enumerate(a.shape) if s == 3), None)
        if d is None:
            raise RuntimeError(f"cross: no dimension of size 3 in input (shape "
                               f"{list(a.shape)})")
    else:
        d = _wrap_dim(operator.index(dim), a.ndim, "cross")
    if a.ndim != b.ndim:
        raise RuntimeError(f"linalg.cross: inputs must have the same number of dimensions "
                           f"(got {a.ndim} and {b.ndim}).")
    _no_bool("cross", a.dtype)  # before the dtype check, as torch
    if a.dtype != b.dtype:
        raise RuntimeError(f"cross: expected scalar type {_dname(a.dtype)} but found "
                           f"{_dname(b.dtype)}")
    if a.shape[d] != 3 or b.shape[d] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {d} must have length 3. Got "
                           f"{a.shape[d]} and {b.shape[d]}")
    _broadcast_pair(a.shape, b.shape)
    a0, a1, a2 = (a.narrow(d, i, 1) for i in range(3))
    b0, b1, b2 = (b.narrow(d, i, 1) for i in range(3))
    return _C.cat([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], d)


_CDIST_MODES = ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist",
                "donot_use_mm_for_euclid_dist")


def _cdist(x1, x2, p, compute_mode):
    _need_tensor(x1, "cdist", "x1")
    _need_tensor(x2, "cdist", "x2")
    if compute_mode is None:
        compute_mode = _CDIST_MODES[0]
    if compute_mode not in _CDIST_MODES:
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    for name, x in (("X1", x1), ("X2", x2)):
        if x.ndim < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {name} got: {x.ndim}D")
        if not x.is_floating_point():
            raise RuntimeError(f"cdist only supports floating-point dtypes, {name} got: "
                               f"{_dname(x.dtype)}")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: "
                           f"{x1.shape[-1]} X2: {x2.shape[-1]}")
    if x1.dtype != x2.dtype:
        raise RuntimeError(f"cdist: expected scalar type {_dname(x1.dtype)} but found "
                           f"{_dname(x2.dtype)}")
    p = builtins.float(p)
    if not p >= 0:
        raise RuntimeError(f"cdist only supports non-negative p values (got {p})")
    batch = _broadcast_pair(x1.shape[:-2], x2.shape[:-2])
    a = x1.expand(batch + list(x1.shape[-2:]))
    b = x2.expand(batch + list(x2.shape[-2:]))
    r1, r2 = a.shape[-2], b.shape[-2]
    if p == 2 and (compute_mode == _CDIST_MODES[1]
                   or (compute_mode == _CDIST_MODES[0] and (r1 > 25 or r2 > 25))):
        return _EuclidDist.apply(a, b)
    return _Cdist.apply(a, b, p)


class _EuclidDist(Function):
    """The Euclidean distances of the rows of a and b through one matrix product, as
    PyTorch's _euclidean_dist: sqrt(clamp(|a|^2 - 2 a.b + |b|^2, 0)); backward its formula,
    with 0 where the distance is 0."""

    @staticmethod
    def forward(ctx, a, b):
        an = (a * a).sum(-1, True)
        bn = (b * b).sum(-1, True)
        left = _C.cat([a * -2, an, _C.ones(tuple(an.shape), dtype=a.dtype)], -1)
        right = _C.cat([b, _C.ones(tuple(bn.shape), dtype=b.dtype), bn], -1)
        d = left.matmul(right.transpose(-2, -1)).clamp(min=0).sqrt()
        ctx.save_for_backward(a, b, d)
        return d

    @staticmethod
    def backward(ctx, g):
        a, b, d = ctx.saved_tensors
        ratio = _C.where(d == 0, 0.0, g / d)
        ga = a * ratio.sum(-1, True) - ratio.matmul(b)
        gb = b * ratio.sum(-2).unsqueeze(-1) - ratio.transpose(-2, -1).matmul(a)
        return ga, gb


class _Cdist(Function):
    """The p-norm distances of the rows of a (..., r1, m) and b (..., r2, m) from their
    differences; backward PyTorch's _cdist_backward formulas (0 where the distance is 0)."""

    @staticmethod
    def forward(ctx, a, b, p):
        diff = a.unsqueeze(-2) - b.unsqueeze(-3)  # (..., r1, r2, m)
        if p == 0:
            d = (diff != 0).sum(-1).to(a.dtype)
        elif p == 1:
            d = diff.abs().sum(-1)
        elif p == 2:
            d = (diff * diff).sum(-1).sqrt()
        elif math.isinf(p):
            d = diff.abs().amax(-1) if diff.shape[-1] else diff.sum(-1)
        else:
            d = (diff.abs() ** p).sum(-1) ** (1.0 / p)
        ctx.save_for_backward(a, b, d)
        ctx.p = p
        return d

    @staticmethod
    def backward(ctx, g):
        a, b, d = ctx.saved_tensors
        p = ctx.p
        diff = a.unsqueeze(-2) - b.unsqueeze(-3)
        gg, dd = g.unsqueeze(-1), d.unsqueeze(-1)
        if p == 0:
            term = diff * 0.0
        elif p == 1:
            term = gg * diff.sign()
        elif p < 2:
            term = diff.sign() * diff.abs() ** (p - 1) * gg / dd ** (p - 1)
            term = _C.where(dd == 0, 0.0, term)
            if p < 1:
                term = _C.where(diff == 0, 0.0, term)
        elif p == 2:
            term = _C.where(dd == 0, 0.0, gg * diff / dd)
        elif math.isinf(p):
            hit = 1 - ((diff.abs() - dd).abs().ceil()).clamp(max=1)
            term = gg * diff.sign() * hit
        else:
            term = _C.where(dd == 0, 0.0, diff * diff.abs() ** (p - 2) * gg / dd ** (p - 1))
        return term.sum(-2), -term.sum(-3), None


for _stat_op in (_Median, _Nanmedian, _ZeroNan, _NoDerivative, _EuclidDist, _Cdist):
    setattr(_stat_op, "_backward_name", _stat_op.__name__[1:] + "Backward0")


# --- addcmul ... random_: helpers of the methods of those names ------------------------------

def _scalar_for(value, dtype, op):
    """A Scalar argument (a number or a 0-d tensor) as a 0-d tensor of dtype, converted as
    PyTorch converts it (truncated for int64; refused where it does not fit)."""
    if isinstance(value, _C.TensorBase):
        if value.numel() != 1:
            raise RuntimeError(f"{op}: a Tensor with {value.numel()} elements cannot be "
                               f"converted to Scalar")
        value = value.item()
    if not isinstance(value, (bool, numbers.Real)):
        raise TypeError(f"{op}(): argument 'value' must be Number, not {type(value).__name__}")
    if dtype == _C.int64 and isinstance(value, numbers.Integral) and not isinstance(value, bool):
        if not -2**63 <= value < 2**63:
            raise OverflowError(f"{op}: value {value} is too big to convert to int64")
    else:
        _check_fill_fits(_C.empty((0,), dtype=dtype), value, op)
    if dtype == _C.int64 and not isinstance(value, numbers.Integral):
        value = int(value)  # toward zero, as PyTorch's cast
    return _C.full((), value, dtype=dtype)


def _addc(t, t1, t2, value, op):
    """t + value * t1 * t2 (or / t2), in PyTorch's order of operations and result dtype."""
    _need_tensor(t1, op, "tensor1")
    _need_tensor(t2, op, "tensor2")
    div = op.startswith("addcdiv")
    if div and not t1.dtype.is_floating_point and not t2.dtype.is_floating_point:
        raise RuntimeError(f"{op}: integer division with addcdiv is no longer supported (got "
                           f"tensor1 {_dname(t1.dtype)} and tensor2 {_dname(t2.dtype)}); for "
                           f"the historic behaviour use input + value * trunc(tensor1 / tensor2), "
                           f"for a true division make tensor1 or tensor2 floating point")
    dtype = _result_type(t, t1, t2)
    _no_bool(op, dtype)
    prod = t1.to(dtype) * _scalar_for(value, dtype, op)
    prod = prod / t2.to(dtype) if div else prod * t2.to(dtype)
    return t.to(dtype) + prod


def _fill_value(t, value, op):
    """A fill value (a number or a 0-d tensor) as a 0-d tensor of t's dtype, checked and
    converted as PyTorch's index_fill / masked_fill do (a tensor keeps its history)."""
    if isinstance(value, _C.TensorBase):
        if value.ndim != 0:
            raise RuntimeError(f"{op} only supports a 0-dimensional value tensor, but got tensor "
                               f"with {value.ndim} dimension(s).")
        if value.dtype != t.dtype:
            _check_fill_fits(t, value.item(), op)
            value = value.to(t.dtype)
        return value
    if not isinstance(value, (bool, numbers.Real)):
        raise TypeError(f"{op}(): argument 'value' must be a Number or a 0-d Tensor, not "
                        f"{type(value).__name__}")
    _check_fill_fits(t, value, op)
    return _C.full((), value, dtype=t.dtype)


def _index_positions(t, dim, index, op, negative):
    """(dim wrapped, the 1-D int64 positions of index along dim as a NumPy array, the size of
    that dim) after PyTorch's checks; negative: whether -1 ... count from the end."""
    d = _wrap_dim(dim, t.ndim, op)
    _need_tensor(index, op, "index")
    copy = op.startswith("index_copy")
    if index.dtype != _C.int64:
        if copy:
            raise RuntimeError(f"{op}(): Expected a long tensor for index, but got "
                               f"{_dname(index.dtype)}")
        raise IndexError(f"{op}(): Expected dtype int64 for index, but got "
                         f"{_dname(index.dtype)}")
    if index.ndim > 1:
        if copy:
            raise IndexError(f"{op}(): Index should have dimension 1 or 0 (got {index.ndim})")
        raise RuntimeError(f"{op}(): Index has to be a vector/scalar (got {index.ndim} dims)")
    size = t.shape[d] if t.ndim else 1
    pos = np.array(index.detach().numpy(force=True), dtype=np.int64).reshape(-1)
    low = -size if negative else 0
    bad = pos[(pos < low) | (pos >= size)]
    if bad.size:
        raise IndexError(f"{op}(): index {int(bad[0])} is out of bounds for dimension {d} with "
                         f"size {size}")
    return d, np.where(pos < 0, pos + size, pos), size


def _along(t, d, flat):
    """The 1-D tensor flat shaped to broadcast along dim d of t."""
    view = [1] * t.ndim
    if t.ndim:
        view[d] = flat.shape[0]
    return flat.reshape(view)


def _index_fill(t, dim, index, value, op):
    d, pos, size = _index_positions(t, dim, index, op, negative=True)
    value = _fill_value(t, value, op)
    hit = np.zeros(size, dtype=bool)
    hit[pos] = True
    return _C.where(_along(t, d, _C.from_numpy(hit)), value, t)


def _index_copy(t, dim, index, source, op):
    _need_tensor(source, op, "source")
    d, pos, size = _index_positions(t, dim, index, op, negative=False)
    if source.dtype != t.dtype:
        raise RuntimeError(f"{op}(): self and source expected to have the same dtype, but got "
                           f"(self) {_dname(t.dtype)} and (source) {_dname(source.dtype)}")
    if t.ndim == 0 or source.ndim == 0:  # a scalar on either side: one element each
        if t.numel() != 1 or source.numel() != 1 or pos.size != 1:
            raise IndexError(f"{op}(): with a scalar self or source both must hold one element "
                             f"and index one position (self {list(t.shape)}, source "
                             f"{list(source.shape)}, {pos.size} indices)")
        return _index_copy(t.reshape(1), 0, index.reshape(1), source.reshape(1),
                           op).reshape(t.shape)
    if source.ndim != t.ndim:
        raise IndexError(f"{op}(): When source and destination are not scalars, their "
                         f"dimensionality must match. Source dimensionality ({source.ndim}), "
                         f"destination dimensionality ({t.ndim})")
    if source.shape[d] != pos.size:
        raise IndexError(f"{op}(): Number of indices ({pos.size}) should be equal to "
                         f"source.size(dim) ({source.shape[d]})")
    for i in range(t.ndim):
        if i != d and source.shape[i] != t.shape[i]:
            raise RuntimeError(f"{op}(): Source/destination tensor must have same slice "
                               f"shapes: self {list(t.shape)} and source {list(source.shape)} "
                               f"differ at dimension {i} (dim is {d})")
    if pos.size == 0:
        return t.clone()
    hit = np.zeros(size, dtype=bool)
    hit[pos] = True
    which = np.zeros(size, dtype=np.int64)  # the source slice each position takes (the last)
    which[pos] = np.arange(pos.size)
    return _IndexCopy.apply(t, source, d, _C.from_numpy(pos),
                            _along(t, d, _C.from_numpy(hit)), _C.from_numpy(which))


class _IndexCopy(Function):
    """where(hit, source's slices moved into place, t). Backward as PyTorch: g zeroed at the
    written slices for t, g's slices at index for source (repeats included)."""

    @staticmethod
    def forward(ctx, t, source, d, index, hit, which):
        ctx.d, ctx.index, ctx.hit = d, index, hit
        return _C.where(hit, source.index_select(d, which), t)

    @staticmethod
    def backward(ctx, g):
        return (_C.where(ctx.hit, 0.0, g), g.index_select(ctx.d, ctx.index), None, None, None,
                None)


def _index_put(t, indices, values, accumulate, op):
    if not isinstance(indices, (tuple, list)):
        raise TypeError(f"{op}(): argument 'indices' must be tuple of Tensors, not "
                        f"{type(indices).__name__}")
    _need_tensor(values, op, "values")
    if values.dtype != t.dtype:
        raise RuntimeError(f"{op}: Index put requires the source and destination dtypes match, "
                           f"got {_dname(t.dtype)} for the destination and "
                           f"{_dname(values.dtype)} for the source.")
    if not indices:
        raise RuntimeError(f"{op}: expected at least one index tensor, got none")
    longs = []  # one int64 index tensor per indexed dim (a bool mask gives one per its dims)
    for i, ix in enumerate(indices):
        if not isinstance(ix, _C.TensorBase):
            raise TypeError(f"{op}(): expected Tensor as element {i} in argument 0, but got "
                            f"{type(ix).__name__}")
        if ix.dtype == _C.bool:
            if ix.ndim == 0:
                raise NotImplementedError(f"{op}: a 0-d bool index is not supported")
            at = len(longs)
            have = list(t.shape[at:at + ix.ndim])
            if list(ix.shape) != have:
                raise IndexError(f"The shape of the mask {list(ix.shape)} at index {i} does not "
                                 f"match the shape of the indexed tensor {list(t.shape)} at "
                                 f"index {at}")
            longs += list(ix.nonzero(as_tuple=True))
        elif ix.dtype == _C.int64:
            longs.append(ix)
        else:
            raise IndexError(f"{op}: tensors used as indices must be long or bool tensors, got "
                             f"{_dname(ix.dtype)}")
    k = len(longs)
    if k > t.ndim:
        raise IndexError(f"too many indices for tensor of dimension {t.ndim} (got {k})")
    try:
        shape = list(np.broadcast_shapes(*(tuple(ix.shape) for ix in longs)))
    except ValueError:
        got = ", ".join(str(list(ix.shape)) for ix in longs)
        raise IndexError(f"{op}: shape mismatch: indexing tensors could not be broadcast "
                         f"together with shapes {got}") from None
    lead, rest = list(t.shape[:k]), list(t.shape[k:])
    flat = np.zeros(shape, dtype=np.int64)  # row-major position in the first k dims
    for i, ix in enumerate(longs):
        pos = np.array(ix.detach().numpy(force=True), dtype=np.int64)
        bad = pos[(pos < -lead[i]) | (pos >= lead[i])]
        if bad.size:
            raise IndexError(f"{op}: index {int(bad[0])} is out of bounds for dimension {i} "
                             f"with size {lead[i]}")
        flat = flat * lead[i] + np.where(pos < 0, pos + lead[i], pos)
    target = shape + rest
    fits = values.ndim <= len(target) and builtins.all(
        v in (1, w) for v, w in zip(reversed(values.shape), reversed(target)))
    if not fits:
        raise RuntimeError(f"{op}: shape mismatch: value tensor of shape {list(values.shape)} "
                           f"cannot be broadcast to indexing result of shape {target}")
    n = int(np.prod(lead, dtype=np.int64))
    rows = t.reshape([n] + rest)
    vals = values.expand(target).reshape([flat.size] + rest)
    where = _C.from_numpy(np.ascontiguousarray(flat.reshape(-1)))
    if not accumulate:
        return _index_copy(rows, 0, where, vals, op).reshape(t.shape)
    if t.dtype == _C.bool:  # accumulating bools: True where any is True
        out = rows.to(_C.int64).index_add(0, where, vals.to(_C.int64)) != 0
    else:
        out = rows.index_add(0, where, vals)
    return out.reshape(t.shape)


def _masked_scatter(t, mask, source, op):
    if not isinstance(mask, _C.TensorBase) or mask.dtype != _C.bool:
        got = _dname(mask.dtype) if isinstance(mask, _C.TensorBase) else type(mask).__name__
        raise RuntimeError(f"{op} only supports boolean masks, but got mask with dtype {got}")
    _need_tensor(source, op, "source")
    if source.dtype != t.dtype:
        raise RuntimeError(f"{op}: expected self and source to have same dtypes but got "
                           f"{_dname(t.dtype)} and {_dname(source.dtype)}")
    shape = _broadcast_pair(t.shape, mask.shape)
    m = mask.expand(shape)
    count = int(m.sum().item())
    if source.numel() < count:
        raise RuntimeError(f"{op}: Number of elements of source ({source.numel()}) < number of "
                           f"ones in mask ({count})")
    src = source.reshape(-1)
    if src.numel() == 0:  # nothing is taken from it: a stand-in element to index
        src = _C.zeros((1,), dtype=t.dtype)
    # the element of source each True of the mask takes: its rank among the Trues
    take = (m.reshape(-1).to(_C.int64).cumsum(0) - 1).clamp(min=0)
    return _C.where(m, src.index_select(0, take).reshape(shape), t)


def _signbit(x):
    """Elementwise sign bit (bool), read from the bits for floating point."""
    if x.dtype == _C.bool:
        return _C.zeros(tuple(x.shape), dtype=_C.bool)
    if not x.is_floating_point():
        return x.detach() < 0
    return _C.from_numpy(np.array(np.signbit(x.detach().numpy(force=True))))


def _copysign(a, b):
    if not isinstance(b, (_C.TensorBase, bool, numbers.Real)):
        raise TypeError(f"copysign(): argument 'other' must be Tensor or Number, not "
                        f"{type(b).__name__}")
    dtype = _result_type(a, b)
    if not dtype.is_floating_point:
        dtype = _C._get_default_dtype()
    return _Copysign.apply(a.to(dtype), _as_operand(b, dtype))


class _Copysign(Function):
    """where(signbit(b), -|a|, |a|). Backward as PyTorch: g * out / a (0 where a == 0) for a,
    zeros for b."""

    @staticmethod
    def forward(ctx, a, b):
        mag = a.abs()
        out = _C.where(_signbit(b), -mag, mag)
        ctx.save_for_backward(a, out)
        ctx.b_shape = tuple(b.shape)
        return out

    @staticmethod
    def backward(ctx, g):
        a, out = ctx.saved_tensors
        ga = gb = None
        if ctx.needs_input_grad[0]:
            ga = _sum_to(g * _C.where(a == 0, 0.0, out / a), a.shape)
        if ctx.needs_input_grad[1]:
            gb = _C.zeros(ctx.b_shape, dtype=g.dtype)
        return ga, gb


def _gcd_lcm(a, b, op):
    _need_tensor(b, op, "other")
    dtype = _result_type(a, b)
    if dtype != _C.int64:
        raise NotImplementedError(f"{op}: not implemented for '{_dname(dtype)}' (it needs "
                                  f"integer tensors)")
    shape = _broadcast_pair(a.shape, b.shape)
    with _no_grad():
        x, y = a.to(_C.int64).expand(shape), b.to(_C.int64).expand(shape)
        g = _gcd(x, y)
        if op.startswith("gcd"):
            return g
        # lcm = |x / g * y|, 0 where g == 0; -1 (from the int64 minimum) divides by negation
        minus = g == -1
        q = x // _C.where((g == 0) | minus, 1, g)
        q = _C.where(minus, -q, q)
        return _C.where(g == 0, 0, (q * y).abs())


def _gcd(a, b):
    """PyTorch's Euclid on |a|, |b| with C's truncating remainder (so the int64 minimum, whose
    absolute value overflows, gives the same results as PyTorch)."""
    a, b = a.abs(), b.abs()
    while True:
        live = a != 0
        if not live.any().item():
            return b.clone() if b.numel() else b.contiguous()
        a, b = _C.where(live, b.fmod(_C.where(live, a, 1)), 0), _C.where(live, a, b)


class _LdexpInt(Function):
    """C's ldexp (NumPy's) of a floating-point x and int64 exponents e, broadcast. Backward:
    ldexp(g, e), exact (PyTorch's own backward computes 2 ** e in int64, 0 for e < 0)."""

    @staticmethod
    def forward(ctx, x, e):
        ctx.e, ctx.x_shape = e, tuple(x.shape)
        m, k = np.broadcast_arrays(x.detach().numpy(force=True), e.detach().numpy(force=True))
        with np.errstate(all="ignore"):
            return _C.from_numpy(np.array(np.ldexp(m, k), dtype=m.dtype))

    @staticmethod
    def backward(ctx, g):
        return _sum_to(_LdexpInt.apply(g, ctx.e), ctx.x_shape), None


def _nextafter(a, b):
    _need_tensor(b, "nextafter", "other")
    dtype = _result_type(a, b)
    if not dtype.is_floating_point:
        raise NotImplementedError(f"nextafter: not implemented for '{_dname(dtype)}' tensors "
                                  f"(it needs floating point)")
    _broadcast_pair(a.shape, b.shape)
    return _Nextafter.apply(a.to(dtype), b.to(dtype))


class _Nextafter(Function):
    """NumPy's nextafter on the data. Backward as PyTorch: g for a, zeros for b."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.a_shape, ctx.b_shape = tuple(a.shape), tuple(b.shape)
        x, y = a.detach().numpy(force=True), b.detach().numpy(force=True)
        with np.errstate(all="ignore"):
            return _C.from_numpy(np.array(np.nextafter(x, y), dtype=x.dtype))

    @staticmethod
    def backward(ctx, g):
        ga = _sum_to(g, ctx.a_shape) if ctx.needs_input_grad[0] else None
        gb = _C.zeros(ctx.b_shape, dtype=g.dtype) if ctx.needs_input_grad[1] else None
        return ga, gb


_INT64_MAX = 2**63 - 1
_RANDOM_DIGITS = {_C.float32: 24, _C.float64: 53}  # floats hold every integer up to 2**digits


def _random_int_arg(v, name):
    if isinstance(v, bool) or not isinstance(v, numbers.Integral):
        raise TypeError(f"random_(): argument '{name}' must be int, not {type(v).__name__}")
    v = int(v)
    if not -2**63 <= v <= _INT64_MAX:
        raise ValueError(f"random_(): argument '{name}' = {v} overflows int64")
    return v


def _random_bounds(dtype, args, kwargs):
    """(lo, hi) inclusive and the form number (PyTorch's RandomBackward0/1/2) of random_'s
    arguments: (), (to), (from, to) or (from, None)."""
    unknown = set(kwargs) - {"from", "to"}
    if unknown:
        raise TypeError(f"random_() got an unexpected keyword argument '{sorted(unknown)[0]}'")
    if len(args) > 2:
        raise TypeError(f"random_() takes at most 2 positional arguments ({len(args)} given)")
    if len(args) == 2 and kwargs or len(args) == 1 and "from" in kwargs:
        raise TypeError("random_() got multiple values for argument 'from' or 'to'")
    params = dict(zip(("from", "to"), args)) if len(args) != 1 or kwargs else {"to": args[0]}
    params.update(kwargs)
    digits = _RANDOM_DIGITS.get(dtype)
    top = 1 if dtype == _C.bool else _INT64_MAX if digits is None else 2**digits
    if not params:
        return 0, top, 2
    if "from" not in params:  # random_(to)
        form, lo, to = 1, 0, _random_int_arg(params["to"], "to")
    elif "to" not in params:
        raise TypeError("random_() missing required argument 'to' (random_(from, to))")
    else:
        form, lo = 0, _random_int_arg(params["from"], "from")
        to = None if params["to"] is None else _random_int_arg(params["to"], "to")
    if to is not None and lo >= to:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={lo} >= "
                           f"to={to}")
    if dtype == _C.bool:
        if not 0 <= lo <= 1:
            raise RuntimeError(f"random_: from is out of bounds for bool (got from={lo})")
        if to is not None and not 0 <= to - 1 <= 1:
            raise RuntimeError(f"random_: to - 1 is out of bounds for bool (got to={to})")
    if to is None:
        if lo > top:
            raise RuntimeError(f"random_ expects 'from' casted to dtype to be less than or equal "
                               f"to 'to_inc' casted to dtype, but got from={lo} > to_inc={top}")
        return lo, top, form
    if digits is not None:
        for name, v in (("from", lo), ("to - 1", to - 1)):
            if not -2**digits <= v <= 2**digits:
                warnings.warn(f"random_: {name} is out of bounds [-(2^{digits}), 2^{digits}]. "
                              f"Due to precision limitations {_dname(dtype)} can support "
                              f"discrete uniform distribution only within this range.",
                              UserWarning, stacklevel=3)
    return lo, to - 1, form


def _draw_ints(shape, lo, hi):
    """int64 draws uniform on [lo, hi] (inclusive, any int64 bounds) from the generator."""
    if hi < _INT64_MAX:
        return _C._randint(lo, hi + 1, shape)
    if lo > -2**63:
        return _C._randint(lo - 1, hi, shape) + 1
    top = _C._randint(-2**31, 2**31, shape)  # the whole int64 range: 32 + 32 random bits
    return top * 2**32 + _C._randint(0, 2**32, shape)


def _uniform64(shape):
    u = _C.empty(tuple(shape), dtype=_C.float64)
    _C._fill_uniform_(u, 0.0, 1.0)
    return u


for _more_op in (_IndexCopy, _Copysign, _Nextafter, _LdexpInt):
    setattr(_more_op, "_backward_name", _more_op.__name__[1:] + "Backward0")


# --- shifts, Bessel functions, multivariate lgamma, renorm

def _contig(a, dtype=None):
    """a as a C-contiguous array, keeping a 0-d shape (np.ascontiguousarray makes it 1-d)."""
    return np.asarray(a, dtype=dtype, order="C")


def _shift(a, b, left, op):
    """a << b or a >> b (int64 after promotion), as PyTorch's kernels: a shift outside
    [0, 63] gives 0 (left) or the sign, a >> 63 (right); left shifts wrap around."""
    dtype = _result_type(a, b)
    if dtype != _C.int64:
        raise NotImplementedError(f'"{op}" not implemented for \'{_dname(dtype)}\' '
                                  f'(shifts need integer operands)')
    bv = b.detach().numpy(force=True) if isinstance(b, Tensor) else np.asarray(b)
    try:
        x, s = np.broadcast_arrays(a.detach().numpy(force=True).astype(np.int64),
                                   bv.astype(np.int64))
    except ValueError:
        raise RuntimeError(f"{op}: shapes {list(a.shape)} and {list(np.shape(bv))} cannot be "
                           f"broadcast together") from None
    valid = (s >= 0) & (s < 64)
    s = np.where(valid, s, 0)
    with np.errstate(over="ignore"):
        out = np.where(valid, x << s, 0) if left else np.where(valid, x >> s, x >> 63)
    return _C.from_numpy(_contig(out, dtype=np.int64))


def _bessel_i1(x):
    """I1(x) of a float64 NumPy array. I1 is odd: computed at |x| and given x's sign.
      |x| < 15:  the power series (x/2) sum_k (x^2/4)^k / (k! (k+1)!), all terms positive
                 (60 terms: the last is below 1e-40 of the sum), so small x keep their
                 relative accuracy (I1(x) ~ x/2);
      otherwise: the trapezoid rule on I1(x) = 1/pi * integral over [0, pi] of
                 exp(x cos t) cos t dt, smooth and periodic, so it converges geometrically
                 (40 + |x| nodes reach rounding error; |x| capped at 720, where I1 is
                 inf in float64); exp(|x|) factored out so that only the result overflows.
    inf -> inf, NaN -> NaN."""
    ax = np.abs(x)
    out = np.full(ax.shape, np.nan)
    small = ax < 15.0  # NaN: neither part
    h = ax[small] / 2.0
    term, q = h.copy(), h * h
    s = h.copy()
    for k in range(1, 61):
        term = term * q / (k * (k + 1))
        s = s + term
    out[small] = s
    big = ax >= 15.0
    xb = np.minimum(ax[big], 720.0)
    n = 40 + int(np.ceil(xb.max(initial=0.0)))
    t = np.linspace(0.0, np.pi, n + 1)
    w = np.full(n + 1, 1.0 / n)
    w[[0, -1]] = 0.5 / n
    e = np.exp(xb[..., None] * (np.cos(t) - 1))
    with np.errstate(over="ignore"):
        out[big] = (e * np.cos(t) * w).sum(-1) * np.exp(xb)
    return np.sign(x) * out


class _I0(Function):
    """i0 (NumPy's, Clenshaw's Chebyshev series); d/dx i0(x) = i1(x)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        a = x.detach().numpy(force=True)
        with np.errstate(over="ignore", invalid="ignore"):  # inf beyond 713, NaN stays
            return _C.from_numpy(_contig(np.i0(a.astype(np.float64)), dtype=a.dtype))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * _I1.apply(x)


class _I1(Function):
    """i1, for the gradient of i0; d/dx i1(x) = i0(x) - i1(x) / x (1/2 at x = 0)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        a = x.detach().numpy(force=True)
        return _C.from_numpy(_contig(_bessel_i1(a.astype(np.float64)),
                                                  dtype=a.dtype))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        safe = x.masked_fill(x == 0, 1.0)
        ratio = (_I1.apply(safe) / safe).masked_fill(x == 0, 0.5)
        return g * (_I0.apply(x) - ratio)


def _mvlgamma(x, p, op):
    if isinstance(p, builtins.bool) or not isinstance(p, numbers.Integral):
        raise TypeError(f"{op}(): argument 'p' must be int, not {type(p).__name__}")
    if p < 1:
        raise RuntimeError(f"{op}: p has to be greater than or equal to 1, got {p}")
    if not x.is_floating_point():
        x = x.to(_C._get_default_dtype())
    # log Gamma_p(x) = p (p - 1) / 4 log(pi) + sum_{i < p} lgamma(x - i / 2)
    halves = _C.from_numpy(np.arange(p, dtype=np.float64) / 2).to(x.dtype)
    return (x.unsqueeze(-1) - halves).lgamma().sum(-1) + p * (p - 1) / 4 * math.log(math.pi)


def _renorm(x, p, dim, maxnorm, op):
    if x.dim() < 2:
        raise RuntimeError(f"{op}: input needs at least 2 dimensions, got {x.dim()} dimensions")
    if not x.is_floating_point():
        raise RuntimeError(f"{op}: expected a floating-point input, got {_dname(x.dtype)}")
    if not p > 0:
        raise RuntimeError(f"{op}: non-positive-norm not supported (p={p})")
    if maxnorm < 0:
        raise RuntimeError(f"{op}: expected maxnorm to be >= 0 but got {maxnorm}")
    d = _wrap_dim(dim, x.dim(), op)
    others = tuple(i for i in builtins.range(x.dim()) if i != d)
    norms = x.norm(p, dim=others, keepdim=True)
    # slices over maxnorm are scaled by maxnorm / (norm + 1e-7), the rest left as they are
    factor = (maxnorm / (norms + 1e-7)).masked_fill(norms <= maxnorm, 1.0)
    return x * factor


# --- reducing scatters

_SCATTER_REDUCES = ("sum", "prod", "mean", "amax", "amin")


def _scatter_plan(self, dim, index, src, reduce, include_self, op):
    """Checks scatter_reduce's arguments as PyTorch does; returns (targets, reduce,
    include_self, src_key): the flat position in self of each element of index, and the
    slices of src that index covers."""
    reduce = {"max": "amax", "min": "amin"}.get(reduce, reduce)  # PyTorch accepts these too
    if reduce not in _SCATTER_REDUCES:
        raise RuntimeError(f"{op}: reduce argument must be either sum, prod, mean, amax or "
                           f"amin, got {reduce!r}")
    _need_tensor(index, op, "index")
    _need_tensor(src, op, "src")
    if index.dtype != _C.int64:
        raise RuntimeError(f"{op}: expected dtype int64 for index, got {_dname(index.dtype)}")
    if src.dtype != self.dtype:
        raise RuntimeError(f"{op}: expected self.dtype ({_dname(self.dtype)}) to be equal to "
                           f"src.dtype ({_dname(src.dtype)})")
    d = _wrap_dim(dim, builtins.max(self.dim(), 1), op)
    shape, ishape = tuple(self.shape) or (1,), tuple(index.shape) or (1,)
    sshape = tuple(src.shape) or (1,)
    if not len(shape) == len(ishape) == len(sshape):
        raise RuntimeError(f"{op}: index tensor must have the same number of dimensions as "
                           f"self and src (got {list(index.shape)}, {list(self.shape)}, "
                           f"{list(src.shape)})")
    if builtins.any(i > s for i, s in zip(ishape, sshape)) or builtins.any(
            i > s for k, (i, s) in enumerate(zip(ishape, shape)) if k != d):
        raise RuntimeError(f"{op}: expected index {list(ishape)} to be no larger than self "
                           f"{list(shape)} apart from dimension {d} and to be no larger "
                           f"than src {list(sshape)}")
    idx = index.numpy(force=True).reshape(ishape)
    bad = (idx < 0) | (idx >= shape[d])
    if bad.any():
        raise RuntimeError(f"{op}: index {idx[bad][0]} is out of bounds for dimension {d} "
                           f"with size {shape[d]}")
    coords = list(np.indices(ishape))
    coords[d] = idx
    targets = np.ravel_multi_index(coords, shape).ravel() if idx.size else \
        np.zeros(0, np.int64)
    return targets, reduce, include_self, tuple(slice(0, n) for n in ishape)


class _ScatterReduce(Function):
    """scatter_reduce in NumPy (ufunc.at); the backward gives each contribution (self's
    element, each scattered src element) its share: g for sum, g / count for mean, g times
    the product of the other contributions for prod, and for amax/amin g split evenly
    among the contributions equal to the result (PyTorch's rule)."""

    @staticmethod
    def forward(ctx, self, src, plan):
        targets, reduce, include_self, key = plan
        base = self.detach().numpy(force=True)
        x = base.reshape(-1).copy()
        v = src.detach().numpy(force=True).reshape(tuple(src.shape) or (1,))[key].ravel()
        hit = np.zeros(x.size, bool)
        hit[targets] = True
        own = ~hit | include_self  # where self's own value takes part
        count = own.astype(np.int64)
        np.add.at(count, targets, 1)
        if not include_self:  # the reduction's identity where self is left out
            ident = {"sum": 0, "mean": 0, "prod": 1, "amax": -np.inf, "amin": np.inf}[reduce]
            if x.dtype.kind != "f" and reduce in ("amax", "amin"):
                info = np.iinfo(np.int64) if x.dtype == np.int64 else None
                ident = (info.min if reduce == "amax" else info.max) if info else \
                    (reduce == "amin")
            x[hit] = ident
        ufunc = {"sum": np.add, "mean": np.add, "prod": np.multiply, "amax": np.maximum,
                 "amin": np.minimum}[reduce]
        if x.dtype == np.bool_ and reduce in ("sum", "mean"):
            ufunc = np.logical_or  # bool sums saturate at True, as a cast back would
        ufunc.at(x, targets, v)
        if reduce == "mean":
            c = np.maximum(count, 1)
            x = x // c if x.dtype.kind in "iu" else (x / c).astype(x.dtype)
        ctx.saved = (targets, reduce, own, count, base.reshape(-1), v, x, base.shape,
                     tuple(src.shape), key)
        return _C.from_numpy(_contig(x.reshape(base.shape)))

    @staticmethod
    def backward(ctx, g):
        targets, reduce, own, count, s, v, out, shape, sshape, key = ctx.saved
        gn = g.detach().numpy(force=True).reshape(-1).astype(s.dtype)
        if reduce in ("sum", "mean"):
            share = gn / np.maximum(count, 1) if reduce == "mean" else gn
            gs, gv = share * own, share[targets]
        elif reduce == "prod":
            gs, gv = _prod_shares(gn, targets, own, s, v)
        else:  # amax / amin: ties share the gradient evenly
            is_s = own & (s == out)
            is_v = v == out[targets]
            ties = is_s.astype(s.dtype)
            np.add.at(ties, targets, is_v)
            share = gn / np.maximum(ties, 1)
            gs, gv = share * is_s, share[targets] * is_v
        gsrc = np.zeros(sshape or (1,), s.dtype)
        gsrc[key] = gv.reshape(tuple(k.stop for k in key))
        return (_C.from_numpy(_contig(gs.reshape(shape), dtype=s.dtype)),
                _C.from_numpy(_contig(gsrc.reshape(sshape), dtype=s.dtype)), None)


def _prod_shares(gn, targets, own, s, v):
    """The gradients of prod contributions: g times the product of the other contributions
    at the same position, computed without dividing by zero from the product of the
    non-zero contributions and the number of zeros."""
    nz = np.where(own & (s != 0), s, 1.0)
    zeros = (own & (s == 0)).astype(np.int64)
    np.multiply.at(nz, targets, np.where(v != 0, v, 1.0))
    np.add.at(zeros, targets, v == 0)

    def share(val, nz_at, zeros_at, g_at):
        safe = np.where(val != 0, val, 1.0)
        other = np.where(zeros_at == 0, nz_at / safe,
                         np.where((zeros_at == 1) & (val == 0), nz_at, 0.0))
        return g_at * other

    gs = share(s, nz, zeros, gn) * own
    gv = share(v, nz[targets], zeros[targets], gn[targets])
    return gs, gv


def _index_reduce(self, dim, index, source, reduce, include_self, op):
    """index_reduce as a scatter_reduce: index[i] repeated over source's slice i along dim."""
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise RuntimeError(f"{op}(): Expected reduce to be one of prod, mean, amax or amin but "
                           f"got {reduce}.")
    _need_tensor(index, op, "index")
    _need_tensor(source, op, "source")
    if index.dim() > 1:
        raise IndexError(f"{op}(): Index is supposed to be a vector, but got dim: "
                         f"{index.dim()} with size {list(index.shape)}")
    d = _wrap_dim(dim, builtins.max(self.dim(), 1), op)
    if source.dim() != self.dim() or builtins.any(
            a != b for k, (a, b) in enumerate(zip(self.shape, source.shape)) if k != d):
        raise RuntimeError(f"{op}: source tensor shape must match self tensor shape, excluding "
                           f"the specified dimension. Got self.shape = {list(self.shape)} "
                           f"source.shape = {list(source.shape)}")
    n = index.numel()
    if n != (source.shape[d] if source.dim() else 1):
        raise RuntimeError(f"{op}(): Number of indices ({n}) should be equal to "
                           f"source.size(dim): ({source.shape[d]}), for dim: {d}")
    size = self.shape[d] if self.dim() else 1
    idx = index.reshape(-1)
    if n and ((idx < 0).any() or (idx >= size).any()):
        raise IndexError(f"{op}: index out of range in self (dim {d} has size {size})")
    if self.dim() == 0:
        return self.scatter_reduce(0, index.reshape(()), source, reduce,
                                   include_self=include_self)
    view = [1] * self.dim()
    view[d] = n
    full = idx.reshape(view).expand(tuple(source.shape))
    return self.scatter_reduce(d, full, source, reduce, include_self=include_self)


def _view_scatter(self, src, view_of, op):
    """A copy of self with src copied into the view view_of(copy) (shapes must match)."""
    _need_tensor(src, op, "src")
    out = self.clone()
    view = view_of(out)
    if tuple(view.shape) != tuple(src.shape):
        raise RuntimeError(f"{op}: expected src to have a size equal to the slice of self. "
                           f"src size = {list(src.shape)}, slice size = {list(view.shape)}")
    view.copy_(src)
    return out


_Histogram = collections.namedtuple("histogram", ["hist", "bin_edges"])  # type: ignore[name-match]


def _histogram(x, bins, range, weight, density):
    """torch.histogram (NumPy's histogram rules: the last bin is closed, a zero-width range
    widens to +-0.5, an empty input to [0, 1]); the result is not differentiable."""
    if not x.is_floating_point():
        raise NotImplementedError(f"histogram: not implemented for '{_dname(x.dtype)}' tensors "
                                  f"(it needs floating point)")
    data = x.detach().numpy(force=True).ravel()
    w = None
    if weight is not None:
        _need_tensor(weight, "histogram", "weight")
        if tuple(weight.shape) != tuple(x.shape) or weight.dtype != x.dtype:
            raise RuntimeError(f"histogram: weight should have the same shape and dtype as "
                               f"input, got {list(weight.shape)} {_dname(weight.dtype)}")
        w = weight.detach().numpy(force=True).ravel()
    if isinstance(bins, Tensor):
        if bins.dim() != 1 or bins.dtype != x.dtype:
            raise RuntimeError(f"histogram: bins should be a 1-D tensor of input's dtype, got "
                               f"{list(bins.shape)} {_dname(bins.dtype)}")
        if range is not None:
            raise TypeError("histogram(): range is only accepted with an int number of bins")
        edges = bins.detach().numpy(force=True).astype(np.float64)
        if (np.diff(edges) < 0).any():
            raise RuntimeError(f"histogram: bin edges must increase monotonically, got "
                               f"{edges.tolist()}")
    else:
        if isinstance(bins, builtins.bool) or not isinstance(bins, numbers.Integral):
            raise TypeError(f"histogram(): bins must be an int or a 1-D tensor, not "
                            f"{type(bins).__name__}")
        if bins <= 0:
            raise RuntimeError(f"histogram: bins must be > 0, but got {bins}")
        if range is not None and range[0] > range[1]:
            raise RuntimeError(f"histogram: min should not exceed max, but got min {range[0]} "
                               f"max {range[1]}")
        if range is None and data.size and not np.isfinite(data).all():
            raise RuntimeError("histogram: the range of the data is not finite (NaN or inf)")
        edges = bins
    hist, edges = np.histogram(data.astype(np.float64), edges, range, weights=w,
                               density=density)
    return _Histogram(_C.from_numpy(_contig(hist, dtype=data.dtype)),
                      _C.from_numpy(_contig(edges, dtype=data.dtype)))


def _functions():
    """pynet._functions, imported on first use (it imports this module)."""
    from . import _functions as f
    return f
