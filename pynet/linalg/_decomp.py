"""Orthogonal decompositions (qr, eigh, svd) as autograd Functions with closed-form
backwards, and what is built on them (svdvals, matrix_rank, pinv, lstsq,
householder_product)."""
import math

from .. import _C
from .._creation import arange, eye
from ..autograd import Function
from . import _kernels as K
from ._lu import _TriSolve, _broadcast_pair, _no_out
from ._util import (EighResult, LinAlgError, LstsqResult, QRResult, SVDResult, check_float,
                    check_matrix, flat64, unflat)


def _batch(a):
    return tuple(a.shape[:-2])


def _qr_square_backward(q, r, gq, gr):
    """gA for A = Q R with R square (k x k): with M = R gR^T - gQ^T Q,
    gA = (gQ + Q copyltu(M)) R^-T, copyltu(M) the symmetric matrix from M's lower triangle."""
    m = r.matmul(gr.mT) - gq.mT.matmul(q)
    low = m.tril(-1)
    sym = low + low.mT + m.diagonal(0, -2, -1).diag_embed()
    b = gq + q.matmul(sym)
    return _TriSolve.apply(r, b.mT, True, False).mT  # b R^-T: solve R X^T = b^T


class _QR(Function):
    """Householder QR; backward for A with m >= n (reduced) or m < n (A = Q [X | Y]: X = R's
    square part, Y = Q^T A_Y)."""

    @staticmethod
    def forward(ctx, a, mode):
        m, n = a.shape[-2:]
        k = min(m, n)
        r, v, tau = K.householder(flat64(a))
        bt = _batch(a)
        if mode == "complete":
            q, r = K.form_q(v, tau, m), r.triu()
        else:
            q, r = K.form_q(v, tau, k), r[:, :k, :].triu()
        q, r = unflat(q, bt, a.dtype), unflat(r, bt, a.dtype)
        ctx.save_for_backward(q, r)
        ctx.mode = mode
        return q, r

    @staticmethod
    def backward(ctx, gq, gr):
        q, r = ctx.saved_tensors
        m, n = q.shape[-2], r.shape[-1]
        if ctx.mode == "r":
            raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed "
                               "when mode='r'. Please use linalg.qr(A, mode='reduced') if you "
                               "are going to differentiate through linalg.qr.")
        if ctx.mode == "complete" and m > n:
            raise RuntimeError("The QR decomposition is not differentiable when "
                               "mode='complete' and nrows > ncols.")
        if m >= n:
            return _qr_square_backward(q, r, gq, gr), None
        x, y = r[..., :, :m], r[..., :, m:]
        gx, gy = gr[..., :, :m], gr[..., :, m:]
        # Y = Q^T A_Y also depends on Q: it adds A_Y gY^T = Q Y gY^T to gQ
        ga_x = _qr_square_backward(q, x, gq + q.matmul(y.matmul(gy.mT)), gx)
        return _C.cat([ga_x, q.matmul(gy)], -1), None


def qr(A, mode="reduced", *, out=None):
    """The QR decomposition A = Q R by Householder reflections; mode 'reduced' (Q m x k),
    'complete' (Q m x m) or 'r' (R only, Q empty)."""
    _no_out(out, "linalg.qr")
    check_matrix(A, "linalg.qr")
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of "
                           "'reduced' (default), 'r', or 'complete'")
    q, r = _QR.apply(A, mode)
    if mode == "r":
        q = _C.empty((0,), dtype=A.dtype)
    return QRResult(q, r)


class _Eigh(Function):
    """Symmetric eigendecomposition by cyclic Jacobi (ascending eigenvalues); backward
    gA = V (diag(gw) + skew(V^T gV) / E) V^T, E_ij = w_j - w_i, skew(X) = (X - X^T) / 2."""

    @staticmethod
    def forward(ctx, a, upper):
        s = flat64(a)
        half = s.triu(1) if upper else s.tril(-1)
        w, v = K.jacobi_eigh(half + half.transpose(1, 2) + s.diagonal(0, 1, 2).diag_embed())
        bt = _batch(a)
        w, v = unflat(w, bt, a.dtype), unflat(v, bt, a.dtype)
        ctx.save_for_backward(w, v)
        return w, v

    @staticmethod
    def backward(ctx, gw, gv):
        w, v = ctx.saved_tensors
        vg = v.mT.matmul(gv)
        vg = 0.5 * (vg - vg.mT)
        e = w.unsqueeze(-2) - w.unsqueeze(-1)
        n = w.shape[-1]
        # where the eigenvectors carry no gradient (eigvalsh; or a zero entry of V^T gV) the
        # term is 0, also between equal eigenvalues (0 / 0 there would be NaN)
        diag = eye(n, dtype=w.dtype).to(_C.bool)
        off = diag | (vg == 0)
        inner = _C.where(diag, gw.unsqueeze(-1).expand(tuple(vg.shape)),
                         _C.where(off, _C.zeros((), dtype=w.dtype),
                                  vg / _C.where(off, _C.ones((), dtype=w.dtype), e)))
        return v.matmul(inner).matmul(v.mT), None


def _uplo(UPLO, fname):
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"{fname}: Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    return UPLO == "U"


def eigh(A, UPLO="L", *, out=None):
    """(eigenvalues ascending, eigenvectors as columns) of symmetric A, read from its lower
    (UPLO='L') or upper ('U') triangle."""
    _no_out(out, "linalg.eigh")
    check_matrix(A, "linalg.eigh", square=True)
    return EighResult(*_Eigh.apply(A, _uplo(UPLO, "linalg.eigh")))


def eigvalsh(A, UPLO="L", *, out=None):
    """The eigenvalues (ascending) of symmetric A, read from the UPLO triangle."""
    _no_out(out, "linalg.eigvalsh")
    check_matrix(A, "linalg.eigh", square=True)
    return _Eigh.apply(A, _uplo(UPLO, "linalg.eigvalsh"))[0]


def _svd_core(a, full):
    """(U, S, V) of (B, m, n) float64 a (V, not V^T); full: U m x m and V n x n. A NaN raises
    LinAlgError (as LAPACK's driver reports it through PyTorch); a matrix with an infinite
    entry gets NaN factors."""
    finite = a.isfinite()
    if not bool(finite.all()):
        if bool(a.isnan().any()):
            raise LinAlgError("linalg.svd: The algorithm failed to converge because the input "
                              "matrix contained non-finite values.")
        bad = (~finite).reshape((a.shape[0], -1)).any(1).reshape((a.shape[0], 1, 1))
        a = _C.where(bad, _C.full((), math.nan, dtype=a.dtype), a)
    m, n = a.shape[-2:]
    if m >= n:
        u, s, v, qf = K.jacobi_svd(a)
        if full:
            u = _C.cat([u, qf[:, :, n:]], 2)
        return u, s, v
    v, s, u, qf = K.jacobi_svd(a.transpose(1, 2))
    if full:
        v = _C.cat([v, qf[:, :, m:]], 2)
    return u, s, v


class _SVD(Function):
    """SVD by one-sided Jacobi; backward (torch's real formula, on the first k columns):
    gA = U [(J S + S K) / E + diag(gS)] V^T + (I - U U^T) gU S^-1 V^T
         + U S^-1 gV^T (I - V V^T), J = skew(U^T gU), K = skew(V^T gV), E_jk = s_k^2 - s_j^2."""

    @staticmethod
    def forward(ctx, a, full):
        u, s, v = _svd_core(flat64(a), full)
        bt = _batch(a)
        u, s, vh = unflat(u, bt, a.dtype), unflat(s, bt, a.dtype), unflat(v, bt, a.dtype).mT
        ctx.save_for_backward(u, s, vh)
        return u, s, vh

    @staticmethod
    def backward(ctx, gu, gs, gvh):
        u, s, vh = ctx.saved_tensors
        k = s.shape[-1]
        u, gu, v, gv = u[..., :, :k], gu[..., :, :k], vh[..., :k, :].mT, gvh[..., :k, :].mT
        m, n = u.shape[-2], v.shape[-2]
        ga = u.matmul(gs.unsqueeze(-1) * vh[..., :k, :])
        if not (bool(gu.ne(0).any()) or bool(gv.ne(0).any())):
            return ga, None
        s2 = s * s
        e = s2.unsqueeze(-2) - s2.unsqueeze(-1)
        diag = eye(k, dtype=s.dtype).to(_C.bool)
        e = _C.where(diag, _C.ones((), dtype=s.dtype), e)
        utgu, vtgv = u.mT.matmul(gu), v.mT.matmul(gv)
        j, kk = utgu - utgu.mT, vtgv - vtgv.mT
        inner = (j * s.unsqueeze(-2) + s.unsqueeze(-1) * kk) / e
        inner = _C.where(diag, _C.zeros((), dtype=s.dtype), inner)
        ga = ga + u.matmul(inner).matmul(v.mT)
        if m > k:
            ga = ga + ((gu - u.matmul(utgu)) / s.unsqueeze(-2)).matmul(v.mT)
        if n > k:
            ga = ga + u.matmul(((gv - v.matmul(vtgv)) / s.unsqueeze(-2)).mT)
        return ga, None


def svd(A, full_matrices=True, *, driver=None, out=None):
    """The singular value decomposition A = U diag(S) Vh, singular values descending
    (one-sided Jacobi); full_matrices=False gives the reduced U (m x k) and Vh (k x n)."""
    _no_out(out, "linalg.svd")
    check_matrix(A, "linalg.svd")
    if driver is not None:
        raise RuntimeError("torch.linalg.svd: keyword argument `driver=` is only supported on "
                           "CUDA inputs with cuSOLVER backend.")
    return SVDResult(*_SVD.apply(A, bool(full_matrices)))


def svdvals(A, *, driver=None, out=None):
    """The singular values of A, descending."""
    _no_out(out, "linalg.svdvals")
    check_matrix(A, "linalg.svdvals")
    if driver is not None:
        raise RuntimeError("torch.linalg.svdvals: keyword argument `driver=` is only supported "
                           "on CUDA inputs with cuSOLVER backend.")
    return _SVD.apply(A, False)[1]


def _tolerance(s_max, atol, rtol, dims, dtype, eps_dtype=None):
    """max(atol, rtol * s_max) with torch's defaults (rtol = eps * max(m, n) of eps_dtype
    (default dtype) unless only a positive atol is given); computed in dtype."""
    def val(x):  # a tensor atol / rtol holds one value per matrix of the batch
        if isinstance(x, _C.TensorBase):
            return x.detach().to(dtype).unsqueeze(-1)
        return _C.full((), float(x), dtype=dtype)
    if rtol is None:
        eps_dtype = dtype if eps_dtype is None else eps_dtype
        eps = 2.220446049250313e-16 if eps_dtype == _C.float64 else 1.1920928955078125e-07
        rtol = 0.0 if (atol is not None and _positive(atol)) else eps * max(dims)
    a = val(0.0 if atol is None else atol)
    r = val(rtol)
    return _C.where(a > r * s_max, a, r * s_max)


def _positive(x):
    return bool((x > 0).all()) if isinstance(x, _C.TensorBase) else x > 0


def _spectrum(A, hermitian, fname):
    """Singular values (descending) of A, or |eigenvalues| of symmetric A."""
    if hermitian:
        return _Eigh.apply(A, False)[0].abs().sort(-1, descending=True)[0]
    return _SVD.apply(A, False)[1]


def matrix_rank(A, tol=None, hermitian=False, *, atol=None, rtol=None, out=None):
    """The numerical rank of A: the number of singular values above
    max(atol, rtol * largest singular value) (tol: torch's deprecated form of atol)."""
    _no_out(out, "linalg.matrix_rank")
    check_matrix(A, "linalg.matrix_rank")
    if tol is not None:
        if atol is not None or rtol is not None:
            raise RuntimeError("linalg.matrix_rank: tol is deprecated and cannot be combined "
                               "with atol or rtol")
        atol, rtol = tol, 0.0
    s = _spectrum(A.detach(), hermitian, "linalg.matrix_rank")
    if s.shape[-1] == 0:
        return _C.zeros(tuple(A.shape[:-2]), dtype=_C.int64)
    tol_ = _tolerance(s[..., :1], atol, rtol, tuple(A.shape[-2:]), A.dtype)
    return (s > tol_).to(_C.int64).sum(-1)


class _Pinv(Function):
    """Pseudo-inverse X of A from its SVD (or eigh); backward (constant rank, Golub-Pereyra)
    gA = -X^T G X^T + (I - A X) G^T X X^T + X^T X G^T (I - X A)."""

    @staticmethod
    def forward(ctx, a, atol, rtol, hermitian):
        m, n = a.shape[-2:]
        f = flat64(a)
        if hermitian:  # A = V diag(w) V^T: singular values |w|
            w, v = K.jacobi_eigh(f.tril() + f.tril(-1).transpose(1, 2))
            u, s = v * _C.where(w < 0, -_C.ones((), dtype=w.dtype), _C.ones((), dtype=w.dtype)
                                ).unsqueeze(1), w.abs()
        else:
            u, s, v = _svd_core(f, False)
        bt = _batch(a)
        smax = (s.amax(-1, True) if s.shape[-1] else _C.zeros((s.shape[0], 1),
                                                                  dtype=s.dtype))
        smax = smax.reshape(bt + (1,))
        tol_ = _tolerance(smax, atol, rtol, (m, n), _C.float64, a.dtype)
        keep = s > tol_.expand(bt + (1,)).reshape((-1, 1))
        sinv = _C.where(keep, 1 / _C.where(keep, s, _C.ones((), dtype=s.dtype)),
                        _C.zeros((), dtype=s.dtype))
        x = unflat((v * sinv.unsqueeze(1)).matmul(u.transpose(1, 2)), _batch(a), a.dtype)
        ctx.save_for_backward(a, x)
        return x

    @staticmethod
    def backward(ctx, g):
        a, x = ctx.saved_tensors
        xt, gt = x.mT, g.mT
        res = -xt.matmul(g).matmul(xt)
        res = res + (gt - a.matmul(x.matmul(gt))).matmul(x).matmul(xt)
        res = res + xt.matmul(x).matmul(gt - gt.matmul(x).matmul(a))
        return res, None, None, None


def pinv(A, *, atol=None, rtol=None, hermitian=False, out=None, rcond=None):
    """The Moore-Penrose pseudo-inverse of A from its SVD (eigh if hermitian), singular values
    at or below max(atol, rtol * largest) treated as zero (rcond: the older name of rtol)."""
    _no_out(out, "linalg.pinv")
    if rcond is not None:
        if rtol is not None:
            raise RuntimeError("linalg.pinv: rcond and rtol cannot both be given")
        rtol = rcond
    check_matrix(A, "linalg.pinv")
    if hermitian:
        check_matrix(A, "linalg.pinv", square=True)
    return _Pinv.apply(A, atol, rtol, bool(hermitian))


def lstsq(A, B, rcond=None, *, driver=None):
    """The least-squares (minimum-norm) solution of A X = B, as (solution, residuals, rank,
    singular_values); like torch's CPU default driver 'gelsy', residuals and singular_values
    are empty. Computed from the pseudo-inverse (SVD) with cut-off rcond."""
    check_matrix(A, "linalg.lstsq")
    check_float(B, "linalg.lstsq", "B")
    if driver not in (None, "gelsy"):
        raise NotImplementedError(f"pynet linalg.lstsq: driver={driver!r} is not supported "
                                  "(only the default, 'gelsy')")
    if A.dtype != B.dtype:
        raise RuntimeError(f"torch.linalg.lstsq: Expected input and other to have the same "
                           f"dtype, but got input's dtype {A.dtype} and other's dtype "
                           f"{B.dtype}")
    if not 0 <= A.dim() - B.dim() <= 1:
        raise RuntimeError(f"torch.linalg.lstsq: input.dim() must be greater or equal to "
                           f"other.dim() and (input.dim() - other.dim()) <= 1 (got shapes "
                           f"{tuple(A.shape)} and {tuple(B.shape)})")
    vector = B.dim() == A.dim() - 1
    bm = B.unsqueeze(-1) if vector else B
    if bm.shape[-2] != A.shape[-2]:
        raise RuntimeError(f"torch.linalg.lstsq: input.size(-2) should match other.size(-2) "
                           f"(got shapes {tuple(A.shape)} and {tuple(B.shape)})")
    a, b = _broadcast_pair(A, bm, "linalg.lstsq")
    m, n = a.shape[-2:]
    eps = 2.220446049250313e-16 if A.dtype == _C.float64 else 1.1920928955078125e-07
    rc = eps * max(m, n) if rcond is None or rcond < 0 else float(rcond)
    x = pinv(a, rtol=rc).matmul(b)
    rank = matrix_rank(a.detach(), rtol=rc)
    if vector:
        x = x.squeeze(-1)
    empty = _C.empty((0,), dtype=A.dtype)
    return LstsqResult(x, empty, rank, empty.clone())


def householder_product(A, tau, *, out=None):
    """The first n columns of H_0 H_1 ... H_{k-1}, H_i = I - tau_i v_i v_i^T with v_i the
    i-th column of A below the diagonal and a 1 on it (LAPACK's orgqr)."""
    _no_out(out, "linalg.householder_product")
    check_matrix(A, "linalg.householder_product")
    check_float(tau, "linalg.householder_product", "tau")
    m, n = A.shape[-2:]
    k = tau.shape[-1] if tau.dim() else 0
    if m < n:
        raise RuntimeError("torch.linalg.householder_product: input.shape[-2] must be greater "
                           "than or equal to input.shape[-1]")
    if k > n:
        raise RuntimeError(f"torch.linalg.householder_product: input.shape[-1] must be greater "
                           f"than or equal to tau.shape[-1] (got input {tuple(A.shape)} and "
                           f"tau {tuple(tau.shape)})")
    if tuple(tau.shape[:-1]) != tuple(A.shape[:-2]):
        raise RuntimeError(f"torch.linalg.householder_product: Expected batch dimensions of "
                           f"tau to be equal to input.shape[:-2], but got "
                           f"{tuple(tau.shape[:-1])} and {tuple(A.shape[:-2])}")
    rows = arange(m).unsqueeze(-1)
    q = eye(m, n, dtype=A.dtype).expand(tuple(A.shape)).clone()
    for i in range(k - 1, -1, -1):  # Q = H_0 (H_1 (... (H_{k-1} I)))
        v = A[..., :, i:i + 1] * (rows > i).to(A.dtype) + (rows == i).to(A.dtype)
        q = q - tau[..., i:i + 1].unsqueeze(-1) * v.matmul(v.mT.matmul(q))
    return q
