"""Memory formats: the order in which a tensor's elements lie in memory.

pynet's tensors are strided, so a memory format is only a choice of strides:
``contiguous_format`` is row-major (the last dim varies fastest), ``channels_last``
stores a 4-d (N, C, H, W) tensor as (N, H, W, C) - strides (H*W*C, 1, W*C, C) - and
``channels_last_3d`` a 5-d (N, C, D, H, W) one as (N, D, H, W, C). ``preserve_format``
(the default of clone, to and the *_like factories) keeps the strides of a tensor whose
elements fill a block of memory without gaps or overlaps, and is row-major otherwise.
The values never depend on the format; only ``stride()`` and ``is_contiguous()`` see it.
"""
from __future__ import annotations

from . import _C

__all__ = ["memory_format", "contiguous_format", "preserve_format", "channels_last",
           "channels_last_3d"]


class memory_format:
    """A memory format (pynet.contiguous_format, preserve_format, channels_last,
    channels_last_3d): the layout clone, contiguous, to and the *_like factories produce."""

    def __init__(self, name: str):
        self._name = name

    def __repr__(self) -> str:
        return "pynet." + self._name

    def __reduce__(self):
        return self._name


contiguous_format = memory_format("contiguous_format")
preserve_format = memory_format("preserve_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")

# The dims of a channels-last tensor from the fastest-varying to the slowest.
_CL_ORDER = {channels_last: (1, 3, 2, 0), channels_last_3d: (1, 4, 3, 2, 0)}


def _check(fmt, op: str):
    if not isinstance(fmt, memory_format):
        raise TypeError(f"{op}(): argument 'memory_format' must be torch.memory_format, not "
                        f"{type(fmt).__name__}")


def _channels_last_strides(shape, fmt, op: str):
    """The strides of a tensor of `shape` in channels_last(_3d) order; RuntimeError for the
    wrong rank, as PyTorch's."""
    order = _CL_ORDER[fmt]
    if len(shape) != len(order):
        raise RuntimeError(f"{op}: required rank {len(order)} tensor to use {fmt._name} format")
    strides = [0] * len(shape)
    step = 1
    for d in order:
        strides[d] = step
        step *= max(shape[d], 1)
    return tuple(strides)


def _is_dense(t) -> bool:
    """Whether t's elements fill a block of memory with no gaps or overlaps (any dim order)."""
    dims = sorted((d for d in range(t.dim()) if t.shape[d] != 1), key=lambda d: t.stride(d))
    step = 1
    for d in dims:
        if t.stride(d) != step:
            return False
        step *= t.shape[d]
    return True


def is_contiguous_as(t, fmt) -> bool:
    """t.is_contiguous(memory_format=fmt): size-1 dims may have any stride, as PyTorch's."""
    _check(fmt, "is_contiguous")
    if fmt is contiguous_format:
        return _C.TensorBase.is_contiguous(t)
    if fmt is preserve_format:  # as PyTorch's: row-major contiguity
        return _C.TensorBase.is_contiguous(t)
    order = _CL_ORDER[fmt]
    if t.dim() != len(order):
        return False
    step = 1
    for d in order:
        if t.shape[d] != 1:
            if t.stride(d) != step:
                return False
            step *= t.shape[d]
    return True


def target_strides(t, fmt, op: str):
    """The strides a copy of t in format fmt gets; None means row-major."""
    _check(fmt, op)
    if fmt is contiguous_format:
        return None
    if fmt is preserve_format:
        if _C.TensorBase.is_contiguous(t) or not _is_dense(t):
            return None
        return tuple(t.stride())
    return _channels_last_strides(tuple(t.shape), fmt, op)


def copy_as(t, fmt, op: str):
    """A copy of t (recorded by autograd) laid out in format fmt."""
    strides = target_strides(t, fmt, op)
    if strides is None:
        return _C.TensorBase.clone(t)
    out = _C._empty_strided(tuple(t.shape), strides, t.dtype)
    return out.copy_(t)  # records CopyBackwards when t requires grad


def contiguous_as(t, fmt):
    """t.contiguous(memory_format=fmt): t itself when it already is, else a copy."""
    if is_contiguous_as(t, fmt):
        return t
    if fmt is preserve_format:
        raise RuntimeError("preserve memory format is unsupported by the contiguous operator")
    return copy_as(t, fmt, "contiguous")


def empty_as(t, fmt, dtype, op: str):
    """An uninitialised tensor of t's shape and `dtype` in format fmt relative to t."""
    strides = target_strides(t, fmt, op)
    if strides is None:
        return _C.empty(tuple(t.shape), dtype=dtype)
    return _C._empty_strided(tuple(t.shape), strides, dtype)
