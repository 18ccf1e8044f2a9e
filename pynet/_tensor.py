"""pynet.Tensor: the C TensorBase plus the methods that read better in Python.

Every method here only arranges arguments; the work runs in pynet._C.
"""
from __future__ import annotations

import builtins
import math
import operator
from typing import Any, Iterator

import numpy as np
import numpy.typing as npt

from . import _C
from ._generator import _drawing_from


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
        """to(dtype) / to(device) / to(other): a tensor of the requested dtype (self if it has it)."""
        dtype = kwargs.pop("dtype", None)
        device = kwargs.pop("device", None)
        copy = kwargs.pop("copy", False)
        kwargs.pop("non_blocking", None)
        if kwargs:
            raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
        for a in args:
            if isinstance(a, _C.dtype):
                dtype = a
            elif isinstance(a, Tensor):
                dtype = a.dtype
            elif isinstance(a, (str, device_type)):
                device = a
            elif a is None:
                continue
            else:
                raise TypeError(f"to() received an invalid combination of arguments: {a!r}")
        if device is not None:
            _check_device(device, "to")
        if dtype is None or dtype == self.dtype:
            return self.clone() if copy else self
        return self._to_dtype(dtype)

    def type(self, dtype=None):
        """type(): the type name, e.g. 'pynet.FloatTensor'; type(dtype): self.to(dtype)."""
        if dtype is None:
            return _TYPE_NAMES[self.dtype]
        return self.to(dtype)

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

    def uniform_(self, a=0.0, b=1.0, *, generator=None) -> Tensor:
        """In place: fills self with draws from the uniform distribution on [a, b); returns self."""
        with _drawing_from(generator):
            return _fill_random(self, _C._fill_uniform_, a, b, "uniform_")

    def normal_(self, mean=0.0, std=1.0, *, generator=None) -> Tensor:
        """In place: fills self with draws from N(mean, std**2); returns self."""
        with _drawing_from(generator):
            return _fill_random(self, _C._fill_normal_, mean, std, "normal_")

    def exponential_(self, lambd=1.0, *, generator=None) -> Tensor:
        """Fill with draws from the exponential distribution of rate lambd (> 0)."""
        if not lambd > 0:
            raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd}")
        _C._check_writable(self, "exponential_")
        with _no_grad():
            self.uniform_(generator=generator)
            self.copy_((1 - self).log() / (-lambd))
        return self

    def bernoulli_(self, p=0.5, *, generator=None) -> Tensor:
        """In place: fills self with 1 with probability p, else 0; returns self."""
        _C._check_writable(self, "bernoulli_")
        with _no_grad(), _drawing_from(generator):
            self.copy_(_C._bernoulli(self.shape, float(p)))
        return self

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


class device_type:
    """pynet.device: only 'cpu' exists."""

    def __init__(self, type="cpu", index=None):
        type = str(type)
        _check_device(type, "device")
        self.type = "cpu"
        self.index = None

    def __repr__(self):
        return "device(type='cpu')"

    def __str__(self):
        return "cpu"

    def __eq__(self, other):
        return str(other) == "cpu"

    def __hash__(self):
        return hash("cpu")


def _check_device(device, op):
    if str(device).split(":")[0] != "cpu":
        raise RuntimeError(f"{op}: pynet only supports device='cpu' (got {device!r})")


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
        return value if value.dtype == t.dtype else value.to(t.dtype)
    if not isinstance(value, (bool, int, float)):
        raise TypeError(f"{op}(): argument 'value' must be a Number or a 0-d Tensor, not "
                        f"{type(value).__name__}")
    overflow = False
    if t.dtype == _C.int64 and not isinstance(value, bool):
        overflow = not (math.isfinite(value) and -2**63 <= value < 2**63)
    elif t.dtype == _C.float32:
        overflow = math.isfinite(value) and abs(value) > _FLOAT32_MAX
    if overflow:
        kind = "int64_t" if t.dtype == _C.int64 else "float"
        raise RuntimeError(f"{op}: value cannot be converted to type {kind} without overflow "
                           f"(got {value})")
    return _C.full((), value, dtype=t.dtype)


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
