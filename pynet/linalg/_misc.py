"""cholesky, matrix_power, matrix_exp and the thin wrappers (cross, vecdot, multi_dot,
diagonal, matmul) of pynet.linalg."""
import math
import operator

from .. import _C
from .._creation import eye
from ..autograd import Function
from . import _kernels as K
from ._lu import _TriSolve, _no_out, inv, solve
from ._util import CholeskyExResult, check_matrix, flat64, raise_info, unflat


class _Cholesky(Function):
    """Lower L with A = L L^T (from A's lower triangle); backward (torch's symmetric form)
    gA = L^-T M L^-1 with M = sym(tril(L^T gL)) (diagonal halved)."""

    @staticmethod
    def forward(ctx, a, check, fname):
        low, info = K.cholesky(flat64(a))
        info = info.reshape(tuple(a.shape[:-2]))
        if check:
            raise_info(info, fname, "pd")
        low = unflat(low, tuple(a.shape[:-2]), a.dtype)
        ctx.save_for_backward(low)
        ctx.mark_non_differentiable(info)
        return low, info

    @staticmethod
    def backward(ctx, g, _ginfo):
        low, = ctx.saved_tensors
        t = low.mT.matmul(g).tril()
        m = 0.5 * (t + t.tril(-1).mT)
        x = _TriSolve.apply(low.mT, m, True, False)               # L^-T M
        # Z = X L^-1 solves L^T Z^T = X^T
        return _TriSolve.apply(low.mT, x.mT, True, False).mT, None, None


def _cholesky(A, upper, check, fname):
    check_matrix(A, "linalg.cholesky", square=True)
    if upper:  # the upper factor U = L^T of A read from its upper triangle
        low, info = _Cholesky.apply(A.mT, check, fname)
        return low.mT, info
    return _Cholesky.apply(A, check, fname)


def cholesky(A, *, upper=False, out=None):
    """The Cholesky factor of symmetric positive-definite A: lower L with A = L L^T (or upper
    U with A = U^T U); raises LinAlgError when A is not positive-definite."""
    _no_out(out, "linalg.cholesky")
    return _cholesky(A, upper, True, "linalg.cholesky")[0]


def cholesky_ex(A, *, upper=False, check_errors=False, out=None):
    """(L, info): the Cholesky factor and the order of the first non positive-definite
    leading minor (0 where the factorization succeeded)."""
    _no_out(out, "linalg.cholesky_ex")
    return CholeskyExResult(*_cholesky(A, upper, bool(check_errors), "linalg.cholesky_ex"))


class _PowerZero(Function):
    """A^0: identity matrices of A's shape, whose gradient to A is zero."""

    @staticmethod
    def forward(ctx, a):
        ctx.shape, ctx.dtype = tuple(a.shape), a.dtype
        return eye(a.shape[-1], dtype=a.dtype).expand(tuple(a.shape)).clone()

    @staticmethod
    def backward(ctx, g):
        return _C.zeros(ctx.shape, dtype=ctx.dtype)


def matrix_power(A, n, *, out=None):
    """A raised to the integer power n (n = 0: identity; n < 0: inv(A) to the power -n), by
    repeated squaring."""
    _no_out(out, "linalg.matrix_power")
    if not isinstance(A, _C.TensorBase):
        raise TypeError(f"linalg.matrix_power(): argument 'A' must be Tensor, not "
                        f"{type(A).__name__}")
    try:
        n = operator.index(n)
    except TypeError:
        raise TypeError(f"linalg.matrix_power(): argument 'n' must be int, not "
                        f"{type(n).__name__}") from None
    if A.dim() < 2 or A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"linalg.matrix_power: A must be batches of square matrices, but "
                           f"got a tensor of shape {tuple(A.shape)}")
    if n == 0:  # the identity, in the graph with a zero gradient (as PyTorch's)
        return _PowerZero.apply(A)
    if n < 0:
        A, n = inv(A), -n
    result = None
    base = A
    while n:  # binary exponentiation: about 2 log2(n) matmuls
        if n & 1:
            result = base if result is None else result.matmul(base)
        n >>= 1
        if n:
            base = base.matmul(base)
    return result


# Pade [13/13] coefficients of exp (Higham 2005, "The scaling and squaring method for the
# matrix exponential revisited"), and the 1-norm bound up to which degree 13 is accurate.
_B13 = (64764752532480000., 32382376266240000., 7771770303897600., 1187353796428800.,
        129060195264000., 10559470521600., 670442572800., 33522128640., 1323241920.,
        40840800., 960960., 16380., 182., 1.)
_THETA13 = 5.371920351148152


def matrix_exp(A):
    """The matrix exponential of square matrices A, by scaling and squaring with a [13/13]
    Pade approximant (Higham 2005); differentiable through its matmuls and solve."""
    check_matrix(A, "linalg.matrix_exp", square=True)
    n = A.shape[-1]
    if A.numel() == 0:
        return A.clone()
    norm1 = float(A.detach().abs().sum(-2).amax())  # the largest 1-norm in the batch
    if not math.isfinite(norm1):  # inf or NaN somewhere: NaN everywhere, as PyTorch
        return A * math.nan
    s = 0
    while norm1 > _THETA13 * 2 ** s and s < 1100:  # (bounded: inf/NaN input)
        s += 1
    a = A / (2 ** s) if s else A
    ident = eye(n, dtype=A.dtype).expand(tuple(A.shape))
    a2 = a.matmul(a)
    a4 = a2.matmul(a2)
    a6 = a4.matmul(a2)
    b = _B13
    u = a.matmul(a6.matmul(b[13] * a6 + b[11] * a4 + b[9] * a2)
                 + b[7] * a6 + b[5] * a4 + b[3] * a2 + b[1] * ident)
    v = (a6.matmul(b[12] * a6 + b[10] * a4 + b[8] * a2)
         + b[6] * a6 + b[4] * a4 + b[2] * a2 + b[0] * ident)
    r = solve(v - u, v + u)  # exp(a) ~ (V - U)^-1 (V + U)
    for _ in range(s):  # exp(A) = exp(A / 2^s)^(2^s)
        r = r.matmul(r)
    return r


def cross(input, other, *, dim=-1, out=None):
    """The cross product of 3-vectors along dim (batch dims broadcast)."""
    _no_out(out, "linalg.cross")
    if input.dim() != other.dim():
        raise RuntimeError(f"linalg.cross: inputs must have the same number of dimensions, "
                           f"got {input.dim()} and {other.dim()}")
    d = dim + input.dim() if dim < 0 else dim
    if not 0 <= d < input.dim():
        raise IndexError(f"Dimension out of range (expected to be in range of "
                         f"[{-input.dim()}, {input.dim() - 1}], but got {dim})")
    if input.shape[d] != 3 or other.shape[d] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got "
                           f"{input.shape[d]} and {other.shape[d]}")
    return input.cross(other, dim=dim)


def vecdot(x, y, *, dim=-1, out=None):
    """The dot product of vectors along dim: (x * y).sum(dim), broadcasting the rest."""
    _no_out(out, "linalg.vecdot")
    if x.dtype != y.dtype:
        raise RuntimeError(f"linalg.vecdot: Expected x and y to have the same dtype, but "
                           f"found x of type {x.dtype} and y of type {y.dtype} instead.")
    return (x * y).sum(dim)


def _chain_order(dims):
    """Matrix-chain DP: split[i][j] is where to split product i..j for fewest flops."""
    k = len(dims) - 1
    cost = [[0] * k for _ in range(k)]
    split = [[0] * k for _ in range(k)]
    for length in range(1, k):
        for i in range(k - length):
            j = i + length
            cost[i][j] = None
            for s in range(i, j):
                c = cost[i][s] + cost[s + 1][j] + dims[i] * dims[s + 1] * dims[j + 1]
                if cost[i][j] is None or c < cost[i][j]:
                    cost[i][j], split[i][j] = c, s
    return split


def multi_dot(tensors, *, out=None):
    """The product of a chain of matrices, multiplied in the cheapest order; the first and
    last may be 1-D (a row and a column vector), and their dims are dropped from the result."""
    _no_out(out, "linalg.multi_dot")
    ts = list(tensors)
    shapes = [list(t.shape) for t in ts]
    if len(ts) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(ts)}")
    first_vec, last_vec = ts[0].dim() == 1, ts[-1].dim() == 1
    if first_vec:
        ts[0] = ts[0].unsqueeze(0)
    if last_vec:
        ts[-1] = ts[-1].unsqueeze(-1)
    for i, t in enumerate(ts):
        if t.dim() != 2:
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {t.dim()}D")
        if t.dtype != ts[0].dtype:
            raise RuntimeError(f"multi_dot(): all tensors must have be the same dtype but "
                               f"tensor 0 is {ts[0].dtype} and tensor {i} {t.dtype}")
        if i and ts[i - 1].shape[1] != t.shape[0]:
            raise RuntimeError(f"multi_dot(): tensors {i - 1} and {i} with shapes "
                               f"{shapes[i - 1]} and {shapes[i]} cannot be multiplied")
    split = _chain_order([ts[0].shape[0]] + [t.shape[1] for t in ts])

    def prod(i, j):
        if i == j:
            return ts[i]
        return prod(i, split[i][j]).matmul(prod(split[i][j] + 1, j))

    r = prod(0, len(ts) - 1)
    if first_vec:
        r = r.squeeze(0)
    if last_vec:
        r = r.squeeze(-1)
    return r


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    """The diagonal (offset above/below the main one) of the matrices in dims dim1, dim2."""
    return A.diagonal(offset, dim1, dim2)


def matmul(input, other, *, out=None):
    """The matrix product of input and other (pynet.matmul)."""
    _no_out(out, "linalg.matmul")
    return input.matmul(other)


def _prod(shape):
    n = 1
    for s in shape:
        n *= s
    return n


def tensorinv(A, ind=2, *, out=None):
    """The inverse of A for tensordot: tensordot(tensorinv(A, ind), A, ind) is the identity;
    A reshaped to prod(shape[:ind]) x prod(shape[ind:]) must be square and invertible."""
    _no_out(out, "linalg.tensorinv")
    if not isinstance(ind, int) or ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    rows, cols = tuple(A.shape[:ind]), tuple(A.shape[ind:])
    if _prod(rows) != _prod(cols):
        raise RuntimeError(f"Expected self to satisfy the requirement prod(self.shape[ind:]) "
                           f"== prod(self.shape[:ind]), but got {_prod(cols)} != {_prod(rows)}")
    return inv(A.reshape((_prod(rows), _prod(cols)))).reshape(cols + rows)


def tensorsolve(A, B, dims=None, *, out=None):
    """X with tensordot(A, X, X.ndim) == B: X has shape A.shape[B.ndim:] (after moving the
    dims of A listed in dims to the end)."""
    _no_out(out, "linalg.tensorsolve")
    if dims is not None:
        dims = tuple(dims)
        A = A.movedim(dims, tuple(range(A.dim() - len(dims), A.dim())))
    rest = tuple(A.shape[B.dim():])
    n = B.numel()
    if _prod(rest) != n or tuple(A.shape[:B.dim()]) != tuple(B.shape):
        raise RuntimeError(f"Expected self to satisfy the requirement "
                           f"prod(self.shape[other.ndim:]) == prod(self.shape[:other.ndim]), "
                           f"but got {_prod(rest)} != {n} (A {tuple(A.shape)}, B "
                           f"{tuple(B.shape)})")
    return solve(A.reshape((n, n)), B.reshape((n,))).reshape(rest)


def vander(x, *, N=None):
    """The Vandermonde matrices of the vectors x (..., n): columns x^0, x^1, ..., x^(N-1)
    (ascending, unlike pynet.vander); N defaults to n."""
    if x.dim() == 0:
        raise RuntimeError("linalg.vander: x must have at least one dimension")
    n = x.shape[-1] if N is None else N
    if n <= 1:
        raise RuntimeError(f"N must be greater than 1 (got {n}).")
    cols = [_C.ones(tuple(x.shape), dtype=x.dtype)]
    for _ in range(n - 1):  # repeated products: exact for integers, a finite grad at x = 0
        cols.append(cols[-1] * x)
    return _C.stack(cols, -1)
