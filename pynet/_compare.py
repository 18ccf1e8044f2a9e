"""Closeness tests, masked_select and vector norms: Tensor methods written with ops.

isclose/allclose/equal follow torch.isclose's rule: |a - b| <= atol + rtol |b|,
infinities close only to themselves, NaN close to NaN only with equal_nan.
norm follows torch.norm for vectors (p = 'fro', 2, 1, inf, -inf, 0 or any other
positive number) over all elements or over dims (an empty tuple: all); the gradients
are PyTorch's, 0 at the zero vector, not 0/0.
"""
import math
import operator

from . import _C
from .autograd.function import Function
from ._tensor import _wrap_dim


def _dims(t, dim):
    if dim is None:
        return tuple(range(t.dim()))
    return (dim,) if isinstance(dim, int) else tuple(dim)


def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Elementwise |a - b| <= atol + rtol * |b| (bool), broadcast; see the module."""
    from ._creation import tensor
    b = b if isinstance(b, _C.TensorBase) else tensor(b, dtype=a.dtype)
    if a.dtype != b.dtype:
        raise RuntimeError(f"isclose: expected both inputs to have the same dtype, but got "
                           f"{a.dtype} and {b.dtype}")
    if rtol < 0 or atol < 0:
        raise RuntimeError(f"isclose: rtol and atol must be non-negative, got rtol={rtol} and "
                           f"atol={atol}")
    if a.dtype == _C.bool:
        return a == b
    a, b = a.detach(), b.detach()
    af, bf = (a, b) if a.dtype in (_C.float32, _C.float64) else (a.double(), b.double())
    close = (a == b) | ((af - bf).abs() <= atol + rtol * bf.abs()) & af.isfinite() & bf.isfinite()
    if equal_nan:
        close = close | (af.isnan() & bf.isnan())
    return close


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """True when every element of a is close to b's (isclose); a Python bool."""
    return bool(isclose(a, b, rtol, atol, equal_nan).all())


def equal(a, b):
    """True when a and b have the same shape and the same elements (a Python bool)."""
    if tuple(a.shape) != tuple(b.shape):
        return False
    return bool((a.detach() == b.detach()).all())


def masked_select(t, mask):
    """The elements of t where the bool tensor mask (broadcast with t) is True, as 1-D."""
    if not isinstance(mask, _C.TensorBase) or mask.dtype != _C.bool:
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    import numpy as np
    shape = tuple(np.broadcast_shapes(tuple(t.shape), tuple(mask.shape)))
    return t.expand(shape)[mask.expand(shape)]


class _Norm2(Function):
    """sqrt(sum(x^2)) over dims; backward x / norm, 0 where the norm is 0."""

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        n = (x * x).sum(dims, True).sqrt()
        ctx.save_for_backward(x, n)
        return n if keepdim else n.squeeze(dims) if dims else n

    @staticmethod
    def backward(ctx, g):
        x, n = ctx.saved_tensors
        g = g.reshape(tuple(n.shape))  # the kept dims back (size 1)
        zero = n == 0
        return g * x / n.masked_fill(zero, 1.0) * (~zero), None, None


class _NormZero(Function):
    """The count of non-zeros over dims: a result in the graph, as PyTorch's, whose
    gradient is nothing (the count is piecewise constant)."""

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        nz = (x != 0).to(x.dtype)
        return nz.sum(dims, keepdim) if dims else nz

    @staticmethod
    def backward(ctx, g):
        return None, None, None


def norm(t, p="fro", dim=None, keepdim=False, dtype=None):
    """The vector p-norm of t over all elements (dim None) or over dim (an int or a
    tuple): p 'fro' or 2 (Euclidean), 1, inf, -inf, 0 (count of non-zeros) or any
    other number; a string p other than 'fro' ('nuc', ...) is a matrix norm over the two
    dims given (all of a matrix's when dim is None), pynet.linalg.matrix_norm."""
    if dtype is not None:
        t = t.to(dtype)
    if t.dtype not in (_C.float32, _C.float64):
        raise RuntimeError(f"norm(): input dtype should be either floating point or complex. "
                           f"Got {t.dtype} instead.")
    if isinstance(p, str) and p != "fro":  # 'nuc' and the other matrix norms, over 2 dims
        from .linalg import matrix_norm
        return matrix_norm(t, p, tuple(range(t.dim())) if dim is None else dim, keepdim)
    if dim is not None and not isinstance(dim, int) and len(tuple(dim)) == 0:
        dim = None  # torch: an empty tuple of dims means every dim, for norms
    dims = tuple(_wrap_dim(operator.index(d), t.dim(), "norm") for d in _dims(t, dim))
    repeated = [d for k, d in enumerate(dims) if d in dims[:k]]
    if repeated:
        raise RuntimeError(f"norm: dim {repeated[0]} appears multiple times in the list of dims")
    dims = dims if t.dim() else ()
    if dims and math.prod(t.shape[d] for d in dims) == 1 and p != 0:
        # one element per norm: |x|, as PyTorch, with no power that could overflow
        # (the 2-norm of [3e19] in float32 is 3e19, not sqrt(inf))
        a = t.abs()
        return a if keepdim else a.squeeze(dims)
    if p in ("fro", 2):
        return _Norm2.apply(t, dims, keepdim) if dims else t.abs()
    a = t.abs()
    if p == 1:
        return a.sum(dims, keepdim) if dims else a
    if p == math.inf:
        return a.amax(dims, keepdim) if dims else a
    if p == -math.inf:
        return a.amin(dims, keepdim) if dims else a
    if p == 0:
        return _NormZero.apply(t, dims, keepdim)
    return _NormP.apply(t, float(p), dims, keepdim) if dims else a


class _NormP(Function):
    """(sum |x|^p)^(1/p) over dims for any other p; backward PyTorch's, with its zeros:
      p < 1:      sgn(x) |x|^(p-1) (0 where x = 0) g n^(1-p)
      1 <= p < 2: sgn(x) |x|^(p-1) g / n^(p-1), 0 where n = 0
      p >= 2:     x |x|^(p-2) g / n^(p-1), 0 where n = 0
    ((|x|^p summed)^(1/p) differentiated as written gives NaN at the zero vector.)"""

    @staticmethod
    def forward(ctx, x, p, dims, keepdim):
        n = (x.abs() ** p).sum(dims, True) ** (1.0 / p)
        ctx.save_for_backward(x, n)
        ctx.p = p
        return n if keepdim else n.squeeze(dims)

    @staticmethod
    def backward(ctx, g):
        x, n = ctx.saved_tensors
        p = ctx.p
        g = g.reshape(tuple(n.shape))  # the kept dims back (size 1)
        if p < 1.0:
            scaled = x.sgn() * (x.abs() ** (p - 1)).masked_fill(x == 0, 0.0)
            return scaled * g * n ** (1 - p), None, None, None
        scaled = x.sgn() * x.abs() ** (p - 1) if p < 2.0 else x * x.abs() ** (p - 2)
        scale = (g / n ** (p - 1)).masked_fill(n == 0, 0.0)
        return scaled * scale, None, None, None
