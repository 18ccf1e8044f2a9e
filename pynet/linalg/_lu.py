"""LU-based linalg functions (det, slogdet, inv, solve, lu_factor, lu, lu_solve) and
triangular solves, each a pynet.autograd.Function with its closed-form backward."""
from .. import _C
from .._creation import arange, eye
from ..autograd import Function
from . import _kernels as K
from ._util import (InvExResult, LUFactorExResult, LUFactorResult, LUResult, SlogdetResult,
                    SolveExResult, check_float, check_matrix, flat64, raise_info, unflat)


def _batch(a):
    return tuple(a.shape[:-2])


def _inv_t(a):
    """A^-T of a float tensor (B..., n, n) computed in float64, returned in a's dtype."""
    lu_, perm, _, _ = K.lu(flat64(a))
    n = a.shape[-1]
    x = K.lu_solve(lu_, perm, K.eye(n, lu_.shape[0]))
    return unflat(x, _batch(a), a.dtype).mT


class _Inv(Function):
    """X = A^-1; backward gA = -X^T g X^T."""

    @staticmethod
    def forward(ctx, a, check, fname):
        lu_, perm, _, info = K.lu(flat64(a))
        if check:
            raise_info(info.reshape(_batch(a)), fname, "singular")
        x = K.lu_solve(lu_, perm, K.eye(a.shape[-1], lu_.shape[0]))
        x = unflat(x, _batch(a), a.dtype)
        ctx.save_for_backward(x)
        info = info.reshape(_batch(a))
        ctx.mark_non_differentiable(info)
        return x, info

    @staticmethod
    def backward(ctx, g, _ginfo):
        x, = ctx.saved_tensors
        xt = x.mT
        return -xt.matmul(g).matmul(xt), None, None


def inv_ex(A, *, check_errors=False, out=None):
    """The inverse of square matrices A and an info tensor (non-zero where A is singular)."""
    _no_out(out, "linalg.inv_ex")
    check_matrix(A, "linalg.inv", square=True)
    return InvExResult(*_Inv.apply(A, bool(check_errors), "linalg.inv"))


def inv(A, *, out=None):
    """The inverse of square matrices A (batched); raises LinAlgError if A is singular."""
    _no_out(out, "linalg.inv")
    check_matrix(A, "linalg.inv", square=True)
    return _Inv.apply(A, True, "linalg.inv")[0]


def _no_out(out, fname):
    if out is not None:
        raise NotImplementedError(f"pynet {fname}: the out= argument is not supported")


class _Det(Function):
    """det(A) = sign(P) prod(diag U); backward g det(A) A^-T (the cofactor matrix, taken
    from an SVD where A is singular so the gradient stays finite)."""

    @staticmethod
    def forward(ctx, a):
        lu_, perm, _, _ = K.lu(flat64(a))
        d = K.perm_sign(perm) * lu_.diagonal(0, 1, 2).prod(-1)
        d = unflat(d, _batch(a), a.dtype)
        ctx.save_for_backward(a, d)
        return d

    @staticmethod
    def backward(ctx, g):
        a, d = ctx.saved_tensors
        return g.unsqueeze(-1).unsqueeze(-1) * _cofactor(a, d)


def _cofactor(a, d):
    """det(A) A^-T, valid for singular A too: with A = U S V^T it is
    det(U) det(V) U diag(prod_{j != i} s_j) V^T."""
    if d.numel() and bool((d != 0).all()):
        return d.unsqueeze(-1).unsqueeze(-1) * _inv_t(a)
    n = a.shape[-1]
    u, s, v, _ = K.jacobi_svd(flat64(a))
    sign = (K.log_abs_det(*K.lu(u)[:2])[0] * K.log_abs_det(*K.lu(v)[:2])[0])
    idx = arange(n)
    others = _C.where((idx.unsqueeze(0) == idx.unsqueeze(1)).unsqueeze(0),
                      _C.ones((1, n, n), dtype=_C.float64), s.unsqueeze(1)).prod(-1)
    c = (u * (others * sign.unsqueeze(1)).unsqueeze(1)).matmul(v.transpose(1, 2))
    return unflat(c, _batch(a), a.dtype)


def det(A, *, out=None):
    """The determinant of square matrices A (batched)."""
    _no_out(out, "linalg.det")
    check_matrix(A, "linalg.det", square=True)
    return _Det.apply(A)


class _Slogdet(Function):
    """(sign, log|det A|); backward of logabsdet: g A^-T (sign is not differentiable)."""

    @staticmethod
    def forward(ctx, a):
        lu_, perm, _, _ = K.lu(flat64(a))
        sign, logabs = K.log_abs_det(lu_, perm)
        sign = unflat(sign, _batch(a), a.dtype)
        ctx.save_for_backward(a)
        ctx.mark_non_differentiable(sign)
        return sign, unflat(logabs, _batch(a), a.dtype)

    @staticmethod
    def backward(ctx, _gsign, g):
        a, = ctx.saved_tensors
        return g.unsqueeze(-1).unsqueeze(-1) * _inv_t(a)


def slogdet(A, *, out=None):
    """(sign, logabsdet) of the determinant of square matrices A: det = sign * exp(logabsdet)."""
    _no_out(out, "linalg.slogdet")
    check_matrix(A, "linalg.slogdet", square=True)
    return SlogdetResult(*_Slogdet.apply(A))


class _Solve(Function):
    """X = A^-1 B for A (b..., n, n), B (b..., n, k) of one batch shape;
    backward gB = A^-T g, gA = -gB X^T."""

    @staticmethod
    def forward(ctx, a, b, check):
        lu_, perm, _, info = K.lu(flat64(a))
        info = info.reshape(_batch(a))
        if check:
            raise_info(info, "torch.linalg.solve", "solve")
        x = K.lu_solve(lu_, perm, flat64(b))
        x = unflat(x, _batch(b), b.dtype)
        ctx.save_for_backward(a, x)
        ctx.mark_non_differentiable(info)
        return x, info

    @staticmethod
    def backward(ctx, g, _ginfo):
        a, x = ctx.saved_tensors
        lu_, perm, _, _ = K.lu(flat64(a.mT))
        gb = unflat(K.lu_solve(lu_, perm, flat64(g)), _batch(g), g.dtype)
        return -gb.matmul(x.mT), gb, None


def _broadcast_pair(a, b, fname):
    """Expand the batch dims of matrices a (.., r, c) and b (.., p, q) to a common shape."""
    try:
        batch = _broadcast_shapes(_batch(a), _batch(b))
    except ValueError:
        raise RuntimeError(f"{fname}: the batch dimensions of A {tuple(a.shape)} and B "
                           f"{tuple(b.shape)} cannot be broadcast") from None
    return a.expand(batch + tuple(a.shape[-2:])), b.expand(batch + tuple(b.shape[-2:]))


def _broadcast_shapes(s, t):
    out = []
    for i in range(1, max(len(s), len(t)) + 1):
        x = s[-i] if i <= len(s) else 1
        y = t[-i] if i <= len(t) else 1
        if x != y and 1 not in (x, y):
            raise ValueError
        out.append(y if x == 1 else x)
    return tuple(reversed(out))


def solve(A, B, *, left=True, out=None):
    """The solution X of A X = B (left=True) or X A = B (left=False) for square A, with B a
    (batch of) vector(s) or matrix(ces); batch dims broadcast."""
    _no_out(out, "linalg.solve")
    return _solve(A, B, left, True)[0]


def solve_ex(A, B, *, left=True, check_errors=False, out=None):
    """(result, info): solve that reports singular A in info (its first zero pivot, 1-based)
    instead of raising, unless check_errors."""
    _no_out(out, "linalg.solve_ex")
    return SolveExResult(*_solve(A, B, left, bool(check_errors)))


def _solve(A, B, left, check):
    check_matrix(A, "linalg.solve", square=True)
    check_float(B, "linalg.solve", "B")
    if A.dtype != B.dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found "
                           f"A of type {A.dtype} and B of type {B.dtype} instead")
    vector = B.dim() == 1 or (B.dim() == A.dim() - 1 and tuple(B.shape) == tuple(A.shape[:-1]))
    if not left:
        if vector:
            raise RuntimeError("linalg.solve: Vector broadcasting of the left hand side is "
                               "not supported for left=False. In this case linalg.solve is "
                               "equivalent to B / A.squeeze(-1)")
        x, info = _solve(A.mT, B.mT, True, check)
        return x.mT, info
    bm = B.unsqueeze(-1) if vector else B
    n = A.shape[-1]
    if bm.dim() < 2 or bm.shape[-2] != n:
        k = 1 if vector else (bm.shape[-1] if bm.dim() else 1)
        rows = bm.shape[-2] if bm.dim() >= 2 else bm.numel()
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation "
                           f"AX = B ({n}x{n} and {rows}x{k})")
    a, b = _broadcast_pair(A, bm, "linalg.solve")
    x, info = _Solve.apply(a, b, check)
    return (x.squeeze(-1) if vector else x), info


class _TriSolve(Function):
    """X = T^-1 B for triangular T (b..., n, n), B (b..., n, k); backward gB = T^-T g,
    gT = -gB X^T restricted to T's triangle (strictly, when unitriangular)."""

    @staticmethod
    def forward(ctx, t, b, upper, unit):
        x = K.tri_solve(flat64(t), flat64(b), upper, unit)
        x = unflat(x, _batch(b), b.dtype)
        ctx.save_for_backward(t, x)
        ctx.upper, ctx.unit = upper, unit
        return x

    @staticmethod
    def backward(ctx, g):
        t, x = ctx.saved_tensors
        gb = K.tri_solve(flat64(t.mT), flat64(g), not ctx.upper, ctx.unit)
        gb = unflat(gb, _batch(g), g.dtype)
        gt = -gb.matmul(x.mT)
        off = 1 if ctx.unit else 0
        gt = gt.triu(off) if ctx.upper else gt.tril(-off)
        return gt, gb, None, None


def solve_triangular(A, B, *, upper, left=True, unitriangular=False, out=None):
    """The solution X of A X = B (left=True) or X A = B (left=False) for triangular A (only
    its upper or lower triangle is read; unitriangular: its diagonal taken as ones)."""
    _no_out(out, "linalg.solve_triangular")
    check_matrix(A, "linalg.solve_triangular", square=True)
    check_matrix(B, "linalg.solve_triangular", arg="B")
    if A.dtype != B.dtype:
        raise RuntimeError(f"linalg.solve_triangular: Expected A and B to have the same dtype, "
                           f"but found A of type {A.dtype} and B of type {B.dtype} instead")
    if not left:
        return solve_triangular(A.mT, B.mT, upper=not upper, unitriangular=unitriangular).mT
    if B.shape[-2] != A.shape[-1]:
        raise RuntimeError(f"linalg.solve_triangular: Incompatible shapes of A and B for the "
                           f"equation AX = B ({A.shape[-2]}x{A.shape[-1]} and "
                           f"{B.shape[-2]}x{B.shape[-1]})")
    a, b = _broadcast_pair(A, B, "linalg.solve_triangular")
    return _TriSolve.apply(a, b, bool(upper), bool(unitriangular))


class _LUFactor(Function):
    """Packed LU (L strictly below the diagonal, U on and above) with getrf pivots; backward
    (square A = P L U): gA = P L^-T (tril(L^T gL, -1) + triu(gU U^T)) U^-T."""

    @staticmethod
    def forward(ctx, a):
        lu_, perm, piv, info = K.lu(flat64(a))
        bt = _batch(a)
        out = unflat(lu_, bt, a.dtype)
        piv = piv.reshape(bt + tuple(piv.shape[1:]))
        perm = perm.reshape(bt + tuple(perm.shape[1:]))
        info = info.reshape(bt)
        ctx.save_for_backward(out, perm)
        ctx.mark_non_differentiable(piv, perm, info)
        return out, piv, perm, info

    @staticmethod
    def backward(ctx, g, _gp, _gperm, _gi):
        lu_, perm = ctx.saved_tensors
        m, n = lu_.shape[-2:]
        if m != n:
            raise NotImplementedError("pynet linalg.lu_factor/lu: the gradient of the LU "
                                      f"decomposition of non-square ({m}x{n}) matrices is not "
                                      "implemented")
        low = lu_.tril(-1) + eye(n, dtype=lu_.dtype)
        up = lu_.triu()
        x = low.mT.matmul(g.tril(-1)).tril(-1) + g.triu().matmul(up.mT).triu()
        y = _TriSolve.apply(lu_.mT, x, True, True)             # L^-T x
        z = _TriSolve.apply(up, y.mT, True, False).mT            # (L^-T x) U^-T
        idx = perm.unsqueeze(-1).expand(tuple(z.shape))
        return _C.zeros(tuple(z.shape), dtype=z.dtype).scatter(-2, idx, z)


def _lu_factor(A, fname, pivot):
    check_matrix(A, fname)
    if not pivot:
        raise RuntimeError(f"{fname}: LU without pivoting is not implemented on the CPU")
    return _LUFactor.apply(A)


def lu_factor(A, *, pivot=True, out=None):
    """The packed LU factorization of A with partial pivoting, as (LU, pivots): pivots are
    LAPACK's 1-based row swaps (int64 in pynet, int32 in torch)."""
    _no_out(out, "linalg.lu_factor")
    lu_, piv, _, info = _lu_factor(A, "linalg.lu_factor", pivot)
    raise_info(info, "torch.linalg.lu_factor", "singular")
    return LUFactorResult(lu_, piv)


def lu_factor_ex(A, *, pivot=True, check_errors=False, out=None):
    """lu_factor that also returns info (the 1-based index of a zero pivot, else 0)."""
    _no_out(out, "linalg.lu_factor_ex")
    lu_, piv, _, info = _lu_factor(A, "linalg.lu_factor_ex", pivot)
    if check_errors:
        raise_info(info, "torch.linalg.lu_factor_ex", "singular")
    return LUFactorExResult(lu_, piv, info)


def lu(A, *, pivot=True, out=None):
    """(P, L, U) with A = P L U: P a permutation matrix, L unit lower-trapezoidal (m, k),
    U upper-trapezoidal (k, n), k = min(m, n)."""
    _no_out(out, "linalg.lu")
    lu_, _, perm, _ = _lu_factor(A, "linalg.lu", pivot)
    return LUResult(_perm_matrix(perm, A.dtype), *_unpack_lu(lu_))


def _unpack_lu(lu_):
    """(L, U) from packed lu_ (..., m, n): L unit lower m x k, U upper k x n."""
    m, n = lu_.shape[-2:]
    k = min(m, n)
    return lu_[..., :, :k].tril(-1) + eye(m, k, dtype=lu_.dtype), lu_[..., :k, :].triu()


def _perm_matrix(perm, dtype):
    """P with P^T A = A[perm]: row i of P^T A is row perm[i] of A, so P[perm[i], i] = 1."""
    m = perm.shape[-1]
    shape = tuple(perm.shape) + (m,)
    ident = eye(m, dtype=dtype).expand(shape)
    return _C.zeros(shape, dtype=dtype).scatter(-2, perm.unsqueeze(-1).expand(shape), ident)


def _pivots_to_perm(piv, m):
    """Row order perm (..., m) from getrf's sequential 1-based swaps piv (..., k)."""
    bt = tuple(piv.shape[:-1])
    piv = piv.reshape((-1, piv.shape[-1])) - 1
    perm = arange(m).expand((piv.shape[0], m)).clone()
    for i in range(piv.shape[-1]):
        p = piv[:, i:i + 1]
        row_i = perm[:, i:i + 1].clone()
        perm[:, i:i + 1] = perm.gather(1, p)
        perm.scatter_(1, p, row_i)
    return perm.reshape(bt + (m,))


def lu_solve(LU, pivots, B, *, left=True, adjoint=False, out=None):
    """The solution X of A X = B (A^T X = B if adjoint; X A = B if not left) given the
    lu_factor (LU, pivots) of square A."""
    _no_out(out, "linalg.lu_solve")
    check_matrix(LU, "linalg.lu_solve", square=True, arg="LU")
    check_matrix(B, "linalg.lu_solve", arg="B")
    if pivots.dtype != _C.int64:
        raise RuntimeError("linalg.lu_solve: pivots should be a Tensor of integers")
    if not left:
        return lu_solve(LU, pivots, B.mT, adjoint=not adjoint).mT
    n = LU.shape[-1]
    if B.shape[-2] != n or tuple(pivots.shape[-1:]) != (n,):
        raise RuntimeError(f"linalg.lu_solve: Incompatible shapes of A and B for the equation "
                           f"AX = B ({n}x{n} and {B.shape[-2]}x{B.shape[-1]})")
    perm = _pivots_to_perm(pivots, n)
    lu_, b = _broadcast_pair(LU, B, "linalg.lu_solve")
    perm = perm.expand(tuple(b.shape[:-2]) + (n,))
    if not adjoint:  # X = U^-1 L^-1 P^T B, (P^T B)[i] = B[perm[i]]
        pb = b.gather(-2, perm.unsqueeze(-1).expand(tuple(b.shape)))
        y = _TriSolve.apply(lu_, pb, False, True)
        return _TriSolve.apply(lu_, y, True, False)
    # A^T = U^T L^T P^T, so X = P L^-T U^-T B and X[perm[i]] = Z[i]
    y = _TriSolve.apply(lu_.mT, b, False, False)
    z = _TriSolve.apply(lu_.mT, y, True, True)
    inv_perm = perm.argsort(-1)
    return z.gather(-2, inv_perm.unsqueeze(-1).expand(tuple(z.shape)))
