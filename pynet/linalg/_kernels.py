"""Batched float64 factorization kernels written with pynet tensor ops (no LAPACK).

Every kernel takes matrices flattened to one batch dim, (B, m, n) float64, runs with
graph recording off (callers are autograd.Function forwards or no_grad blocks) and loops
in Python only over the matrix size (never over the batch), so the work per step is a
few vectorized pynet ops whose results do not depend on the thread count.
"""
import math

from .. import _C
from .._creation import arange, eye as _eye, ones_like, zeros_like

EPS = 2.220446049250313e-16  # float64 machine epsilon


def eye(n, batch):
    """(batch, n, n) float64 identity matrices."""
    return _eye(n, dtype=_C.float64).expand((batch, n, n)).clone()


def lu(a):
    """LU with partial pivoting (row swaps), LAPACK getrf style, of (B, m, n) a.

    Returns (lu, perm, pivots, info): lu holds unit-lower L below the diagonal and U on
    and above; perm (B, m) is the row order (P^T A = L U with rows of A taken in perm order);
    pivots (B, k) are getrf's 1-based swap rows; info (B,) is the 1-based index of the first
    exactly-zero pivot (0 if none). A zero pivot column is left unscaled, as getrf does.
    """
    a = a.clone()
    b, m, n = a.shape
    perm = arange(m).expand((b, m)).clone()
    k_all = min(m, n)
    pivots = _C.zeros((b, k_all), dtype=_C.int64)
    info = _C.zeros((b,), dtype=_C.int64)
    for k in range(k_all):
        p = a[:, k:, k].abs().argmax(-1) + k  # the largest |entry| in the column
        pivots[:, k] = p + 1
        _swap_rows(a, k, p)
        pk = perm[:, k].clone()
        pp = perm.gather(1, p.reshape((b, 1)))
        perm[:, k] = pp.reshape((b,))
        perm.scatter_(1, p.reshape((b, 1)), pk.reshape((b, 1)))
        piv = a[:, k, k]
        zero = piv == 0
        info = _C.where(zero & (info == 0), _C.full((b,), k + 1, dtype=_C.int64), info)
        l_col = a[:, k + 1:, k] / _C.where(zero, ones_like(piv), piv).reshape((b, 1))
        l_col = _C.where(zero.reshape((b, 1)), a[:, k + 1:, k], l_col)
        a[:, k + 1:, k] = l_col
        # Schur complement update; a zero pivot leaves multipliers unused (column is zero)
        upd = l_col.unsqueeze(2) * a[:, k, k + 1:].unsqueeze(1)
        upd = _C.where(zero.reshape((b, 1, 1)), zeros_like(upd), upd)
        a[:, k + 1:, k + 1:] = a[:, k + 1:, k + 1:] - upd
    return a, perm, pivots, info


def _swap_rows(a, k, p):
    """Swap row k with row p[i] of each a[i] in place (p: (B,) int64)."""
    b, _, n = a.shape
    idx = p.reshape((b, 1, 1)).expand((b, 1, n))
    row_k = a[:, k:k + 1, :].clone()
    a[:, k:k + 1, :] = a.gather(1, idx)
    a.scatter_(1, idx, row_k)


def tri_solve(t, rhs, upper, unit=False):
    """Solve T X = rhs for X by substitution, T (B, n, n) triangular, rhs (B, n, k)."""
    n = t.shape[-1]
    x = rhs.clone()
    order = range(n - 1, -1, -1) if upper else range(n)
    for i in order:
        s = x[:, i:i + 1, :]
        if upper and i + 1 < n:
            s = s - t[:, i:i + 1, i + 1:].matmul(x[:, i + 1:, :])
        elif not upper and i > 0:
            s = s - t[:, i:i + 1, :i].matmul(x[:, :i, :])
        x[:, i:i + 1, :] = s if unit else s / t[:, i:i + 1, i:i + 1]
    return x


def lu_solve(lu_, perm, rhs):
    """Solve A X = rhs given getrf-style lu_ and perm of A (rhs (B, n, k))."""
    b, n, k = rhs.shape
    pb = rhs.gather(1, perm.reshape((b, n, 1)).expand((b, n, k)))
    y = tri_solve(lu_, pb, upper=False, unit=True)
    return tri_solve(lu_, y, upper=True)


def perm_sign(perm):
    """(+1 or -1) parity of each permutation in perm (B, n), as float64 (B,)."""
    b, n = perm.shape
    p = perm.clone()
    sign = _C.ones((b,), dtype=_C.float64)
    for k in range(n):
        # bring k to position k: find where it is, swap it there (a transposition)
        pos = (p == k).to(_C.int64).argmax(-1)
        moved = pos != k
        sign = _C.where(moved, -sign, sign)
        pk = p[:, k].clone()
        p[:, k] = k
        p.scatter_(1, pos.reshape((b, 1)), pk.reshape((b, 1)))
    return sign


def cholesky(a):
    """Lower Cholesky factor of (B, n, n) a from its lower triangle; returns (L, info).

    info is the 1-based order of the first leading minor that is not positive-definite
    (0 if none); columns from there on are left as in the input (LAPACK potrf).
    """
    b, n, _ = a.shape
    low = a.tril()
    info = _C.zeros((b,), dtype=_C.int64)
    for j in range(n):
        row = low[:, j, :j]
        d = low[:, j, j] - (row * row).sum(-1)
        bad = (d <= 0) | d.isnan()
        info = _C.where(bad & (info == 0), _C.full((b,), j + 1, dtype=_C.int64), info)
        ok = info == 0
        dj = _C.where(ok, d.clamp(min=0).sqrt(), low[:, j, j])
        low[:, j, j] = dj
        if j + 1 < n:
            col = low[:, j + 1:, j] - low[:, j + 1:, :j].matmul(row.unsqueeze(2)).squeeze(2)
            col = col / _C.where(ok, dj, ones_like(dj)).unsqueeze(1)
            low[:, j + 1:, j] = _C.where(ok.unsqueeze(1), col, low[:, j + 1:, j])
    return low, info


def householder(a):
    """Householder QR of (B, m, n) a: returns (R (B, m, n), V (B, m, k), tau (B, k)).

    Column j of V is the reflector v_j (v_j[j] = 1, zeros above) and
    H_j = I - tau_j v_j v_j^T; Q = H_0 H_1 ... H_{k-1} (LAPACK geqrf's convention,
    beta = -sign(alpha) ||x||, tau = 0 when the column below the diagonal is already 0).
    """
    r = a.clone()
    b, m, n = r.shape
    k_all = min(m, n)
    v_all = _C.zeros((b, m, k_all), dtype=_C.float64)
    tau = _C.zeros((b, k_all), dtype=_C.float64)
    for j in range(k_all):
        x = r[:, j:, j]
        alpha = x[:, 0]
        tail = (x[:, 1:] * x[:, 1:]).sum(-1)
        norm = (alpha * alpha + tail).sqrt()
        beta = _C.where(alpha >= 0, -norm, norm)
        skip = tail == 0
        beta_s = _C.where(skip, ones_like(beta), beta)
        denom = _C.where(skip, ones_like(alpha), alpha - beta_s)
        v = _C.where(skip.unsqueeze(1), zeros_like(x), x / denom.unsqueeze(1))
        v[:, 0] = 1.0
        t = _C.where(skip, zeros_like(beta), (beta_s - alpha) / beta_s)
        v_all[:, j:, j] = v
        tau[:, j] = t
        apply_reflector(r, v_all[:, :, j], t)
    return r, v_all, tau


def apply_reflector(c, v, t):
    """c <- (I - t v v^T) c in place for (B, m, p) c, (B, m) v, (B,) t."""
    w = v.unsqueeze(1).matmul(c)  # (B, 1, p)
    c.sub_(t.reshape((-1, 1, 1)) * v.unsqueeze(2) * w)


def form_q(v_all, tau, cols):
    """The first `cols` columns of Q = H_0 ... H_{k-1} from householder's V and tau."""
    b, m, k = v_all.shape
    q = _eye(m, dtype=_C.float64)[:, :cols].expand((b, m, cols)).clone()
    for j in range(k - 1, -1, -1):
        apply_reflector(q, v_all[:, :, j], tau[:, j])
    return q


def jacobi_eigh(a):
    """Eigen-decomposition of symmetric (B, n, n) a by cyclic Jacobi rotations, in C
    (_C._jacobi_eigh_, csrc/kernels/linalg.c: one sweep is O(n^3) work).

    Returns (w ascending (B, n), V (B, n, n)) with a = V diag(w) V^T. An entry a_pq is
    rotated away unless |a_pq| <= eps sqrt(|a_pp a_qq|) (negligible relative to its diagonal,
    which gives eigenvalues to high relative accuracy); sweeps stop when none is rotated.
    """
    a = a.contiguous().clone()
    b, n, _ = a.shape
    vt = eye(n, b)
    _C._jacobi_eigh_(a, vt)
    w, order = a.diagonal(0, 1, 2).sort(-1)
    v = vt.transpose(1, 2).gather(2, order.unsqueeze(1).expand((b, n, n)))
    return w, v


def jacobi_svd(a):
    """Thin SVD of (B, m, n) a with m >= n by one-sided (Hestenes) Jacobi on its R factor,
    the sweeps in C (_C._jacobi_svd_, csrc/kernels/linalg.c).

    Returns (U (B, m, n), S descending (B, n), V (B, n, n), Qfull (B, m, m)) with
    a = U diag(S) V^T; Qfull's trailing m - n columns complete U to an orthonormal basis.
    """
    b, m, n = a.shape
    r, v_all, tau = householder(a)
    qfull = form_q(v_all, tau, m)
    ut = r[:, :n, :].triu().transpose(1, 2).contiguous()  # the columns of R as rows
    vt = eye(n, b)
    _C._jacobi_svd_(ut, vt)
    u, v = ut.transpose(1, 2), vt.transpose(1, 2)
    sv = (u * u).sum(1).sqrt()
    sv, order = sv.sort(-1, descending=True)
    u = u.gather(2, order.unsqueeze(1).expand((b, n, n)))
    v = v.gather(2, order.unsqueeze(1).expand((b, n, n)))
    zero = sv == 0
    u = u / _C.where(zero, ones_like(sv), sv).unsqueeze(1)
    u = _complete_basis(u, zero)
    return qfull[:, :, :n].matmul(u), sv, v, qfull


def _complete_basis(u, missing):
    """Replace the columns of orthonormal-or-zero u (B, n, n) flagged in missing (B, n) by
    unit vectors orthogonal to all the others (Gram-Schmidt of the least covered e_k)."""
    b, n, _ = u.shape
    if b == 0 or not bool(missing.any()):
        return u
    u = _C.where(missing.unsqueeze(1), zeros_like(u), u)
    basis = eye(n, b)
    for j in range(n):
        need = missing[:, j]
        if not bool(need.any()):
            continue
        k = (u * u).sum(2).argmin(-1)  # the e_k with the smallest projection onto span(u)
        cand = basis.gather(2, k.reshape((b, 1, 1)).expand((b, n, 1)))
        for _ in range(2):  # twice is enough (Kahan: "twice is enough")
            cand = cand - u.matmul(u.transpose(1, 2).matmul(cand))
        cand = cand / (cand * cand).sum(1, True).sqrt()
        u[:, :, j:j + 1] = _C.where(need.reshape((b, 1, 1)), cand, u[:, :, j:j + 1])
    return u


def log_abs_det(lu_, perm):
    """(sign, log|det|) from getrf-style lu_ and perm, both (B,) float64."""
    d = lu_.diagonal(0, 1, 2)
    sign = perm_sign(perm) * _C.where(d < 0, -ones_like(d), ones_like(d)).prod(-1)
    logabs = d.abs().log().sum(-1)
    # a singular matrix (log 0) or one holding NaN has sign 0, as PyTorch's
    sign = _C.where((logabs == -math.inf) | (logabs != logabs), zeros_like(sign), sign)
    return sign, logabs
