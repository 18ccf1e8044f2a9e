"""vector_norm, matrix_norm, norm and cond of pynet.linalg."""
import math

from .. import _C
from .._compare import norm as _vnorm
from ._decomp import _SVD
from ._lu import _no_out, inv_ex
from ._util import check_float, check_matrix


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None, out=None):
    """The vector ord-norm of x over dim (None: all elements): ord any number, inf, -inf
    (max/min |x|) or 0 (count of non-zeros)."""
    _no_out(out, "linalg.vector_norm")
    check_float(x, "linalg.vector_norm", "x")
    if isinstance(ord, str):
        raise RuntimeError(f"linalg.vector_norm: ord must be a number, got {ord!r}")
    if dtype is not None:
        if dtype not in (_C.float32, _C.float64):
            raise RuntimeError(f"linalg.vector_norm: dtype should be floating point, got "
                               f"{dtype}")
        x = x.to(dtype)
    if (ord < 0 or ord == math.inf) and _reduced_size(x, dim) == 0:
        raise RuntimeError(f"linalg.vector_norm cannot compute the {ord} norm on an empty "
                           "tensor because the operation does not have an identity")
    if dim is None:
        r = _vnorm(x.reshape((-1,)), ord, 0, False)
        return r.reshape((1,) * x.dim()) if keepdim else r
    return _vnorm(x, ord, dim, keepdim)


def _reduced_size(x, dim):
    """How many elements each norm reduces over (x.numel() for dim None)."""
    if dim is None:
        return x.numel()
    size = 1
    for d in ((dim,) if isinstance(dim, int) else dim):
        size *= x.shape[d]
    return size


def _matrix_dims(A, dim, fname):
    dim = (dim,) if isinstance(dim, int) else tuple(dim)
    if len(dim) != 2:
        raise RuntimeError(f"{fname}: dim must be a 2-tuple. Got {dim}")
    d = tuple(x + A.dim() if x < 0 else x for x in dim)
    if not all(0 <= x < A.dim() for x in d):
        bad = [x for x in dim if not -A.dim() <= x < A.dim()][0]
        raise IndexError(f"Dimension out of range (expected to be in range of "
                         f"[{-A.dim()}, {A.dim() - 1}], but got {bad})")
    if d[0] == d[1]:
        raise RuntimeError(f"{fname}: dims must be different. Got ({dim[0]}, {dim[1]})")
    return d


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None, out=None):
    """The matrix norm of A over the two dims: 'fro', 'nuc', inf / -inf (max / min row
    abs-sum), 1 / -1 (max / min column abs-sum), 2 / -2 (largest / smallest singular value)."""
    _no_out(out, "linalg.matrix_norm")
    check_float(A, "linalg.matrix_norm", "A")
    if A.dim() < 2:
        raise RuntimeError(f"linalg.matrix_norm: The input tensor A must have at least 2 "
                           f"dimensions.")
    if dtype is not None:
        A = A.to(dtype)
    d0, d1 = _matrix_dims(A, dim, "linalg.matrix_norm")
    if ord == "fro":
        return vector_norm(A, 2, (d0, d1), keepdim)
    if ord not in ("nuc", 2, -2, 1, -1, math.inf, -math.inf):
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    if (A.shape[d0] == 0 or A.shape[d1] == 0) and (ord == "nuc" or ord > 0):
        # an empty matrix: its largest sum or singular value is 0, as PyTorch gives
        r = A.abs().sum((d0, d1), True)
        return r if keepdim else r.squeeze((d0, d1))
    if ord in ("nuc", 2, -2):
        s = _SVD.apply(A.movedim((d0, d1), (-2, -1)), False)[1]
        r = s.sum(-1) if ord == "nuc" else s.amax(-1) if ord == 2 else s.amin(-1)
        if keepdim:
            r = r.unsqueeze(min(d0, d1)).unsqueeze(max(d0, d1))
        return r
    # 1-type norms: reduce |A| over rows (d0) for column sums, then max/min over columns
    inner, outer = (d0, d1) if abs(ord) == 1 else (d1, d0)
    sums = A.abs().sum(inner, True)
    r = sums.amax(outer, True) if ord > 0 else sums.amin(outer, True)
    return r if keepdim else r.squeeze((d0, d1))


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None, out=None):
    """A vector norm (dim an int, or A 1-D) or a matrix norm (dim a 2-tuple, or A 2-D with
    ord given); ord=None, dim=None: the 2-norm of A flattened."""
    _no_out(out, "linalg.norm")
    check_float(A, "linalg.norm", "A")
    if dim is not None:
        dim = (dim,) if isinstance(dim, int) else tuple(dim)
        if len(dim) not in (1, 2):
            raise RuntimeError(f"linalg.norm: If dim is specified, it must be of length 1 or "
                               f"2. Got {list(dim)}")
    elif ord is not None:
        if A.dim() not in (1, 2):
            raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input "
                               f"must be 1D or 2D. Got {A.dim()}D.")
        dim = tuple(range(A.dim()))
    if dim is not None and (len(dim) == 2 or isinstance(ord, str)):
        return matrix_norm(A, "fro" if ord is None else ord, dim, keepdim, dtype=dtype)
    return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype)


def cond(A, p=None, *, out=None):
    """The condition number of A in the p-norm: for p None / 2 / -2 the ratio of extreme
    singular values, otherwise matrix_norm(A, p) * matrix_norm(inv(A), p) (square A; inf
    where A is singular)."""
    _no_out(out, "linalg.cond")
    check_matrix(A, "linalg.cond")
    if p in (None, 2, -2):
        s = _SVD.apply(A, False)[1]
        if s.shape[-1] == 0:
            return _C.zeros(tuple(A.shape[:-2]), dtype=A.dtype)
        hi, lo = s[..., 0], s[..., -1]
        return hi / lo if p in (None, 2) else lo / hi
    if p not in ("fro", "nuc", 1, -1, math.inf, -math.inf):
        raise RuntimeError(f"linalg.cond got an invalid norm type: {p}")
    check_matrix(A, "linalg.cond", square=True)
    a_inv, info = inv_ex(A)
    r = matrix_norm(A, p) * matrix_norm(_C.where((info != 0).unsqueeze(-1).unsqueeze(-1),
                                                 _C.zeros((), dtype=A.dtype), a_inv), p)
    return _C.where(info != 0, _C.full((), math.inf, dtype=A.dtype), r)  # singular: inf
