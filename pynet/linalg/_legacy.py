"""torch's older top-level linear-algebra signatures (torch.svd, torch.qr, torch.logdet...)
as thin forwards to pynet.linalg, for pynet's top-level aliases and Tensor methods."""
import math

from .. import _C
from .._creation import eye
from ._decomp import pinv, qr, svd
from ._lu import (_perm_matrix, _pivots_to_perm, _unpack_lu, lu_factor_ex, lu_solve,
                  slogdet, solve_triangular)
from ._util import _named, LegacyQRResult, LegacySVDResult, check_matrix, raise_info

SlogdetLegacy = _named("slogdet", ["sign", "logabsdet"])
TriangularSolveResult = _named("triangular_solve", ["solution", "cloned_coefficient"])
LUWithInfo = _named("_lu_with_info", ["LU", "pivots", "info"])
LUUnpackResult = _named("lu_unpack", ["P", "L", "U"])


def _logdet(input):
    """log(det(input)): NaN where the determinant is negative, -inf where it is zero."""
    sign, logabs = slogdet(input)
    nan = _C.full((), math.nan, dtype=input.dtype)
    return _C.where(sign < 0, nan, logabs)


def _slogdet_legacy(input):
    """torch.slogdet: linalg.slogdet as a 'slogdet' named tuple."""
    return SlogdetLegacy(*slogdet(input))


def _qr_legacy(input, some=True):
    """torch.qr: some=True is linalg.qr mode 'reduced', some=False mode 'complete'."""
    return LegacyQRResult(*qr(input, "reduced" if some else "complete"))


def _svd_legacy(input, some=True, compute_uv=True):
    """torch.svd: (U, S, V) with V (not V^T); some=True is full_matrices=False; with
    compute_uv=False, U and V are zero-filled m x m and n x n matrices."""
    if not compute_uv:
        check_matrix(input, "linalg.svd")
        m, n = input.shape[-2:]
        bt = tuple(input.shape[:-2])
        s = svd(input, False)[1]
        return LegacySVDResult(_C.zeros(bt + (m, m), dtype=input.dtype), s,
                               _C.zeros(bt + (n, n), dtype=input.dtype))
    u, s, vh = svd(input, not some)
    return LegacySVDResult(u, s, vh.mT)


def _pinverse(input, rcond=1e-15):
    """torch.pinverse: linalg.pinv with rtol=rcond."""
    return pinv(input, rtol=rcond)


def _triangular_solve(input, A, upper=True, transpose=False, unitriangular=False):
    """torch.triangular_solve(b, A): (X with op(A) X = b, a copy of A); op(A) = A^T if
    transpose."""
    check_matrix(A, "triangular_solve", square=True)
    a = A.mT if transpose else A
    x = solve_triangular(a, input, upper=upper != bool(transpose), unitriangular=unitriangular)
    return TriangularSolveResult(x, A.clone())


def _cholesky_solve(input, input2, upper=False):
    """torch.cholesky_solve(B, L): X with A X = B where A = L L^T (or U^T U if upper)."""
    check_matrix(input2, "cholesky_solve", square=True)
    low = input2.mT if upper else input2
    y = solve_triangular(low, input, upper=False)
    return solve_triangular(low.mT, y, upper=True)


def _cholesky_inverse(input, upper=False):
    """torch.cholesky_inverse(L): the inverse of A = L L^T (or U^T U if upper)."""
    check_matrix(input, "cholesky_inverse", square=True)
    n = input.shape[-1]
    ident = eye(n, dtype=input.dtype).expand(tuple(input.shape))
    return _cholesky_solve(ident, input, upper)


def _lu_legacy(A, pivot=True, get_infos=False):
    """torch.lu: (LU, pivots) or, with get_infos, (LU, pivots, info) without raising."""
    lu_, piv, info = lu_factor_ex(A, pivot=pivot)
    if get_infos:
        return LUWithInfo(lu_, piv, info)
    raise_info(info, "torch.linalg.lu_factor", "singular")
    return lu_, piv


def _lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True):
    """torch.lu_unpack: (P, L, U) from lu_factor's output; what is not unpacked is empty."""
    check_matrix(LU_data, "lu_unpack")
    empty = _C.empty((0,), dtype=LU_data.dtype)
    low, up = _unpack_lu(LU_data) if unpack_data else (empty, empty.clone())
    p = empty.clone()
    if unpack_pivots:
        p = _perm_matrix(_pivots_to_perm(LU_pivots, LU_data.shape[-2]), LU_data.dtype)
    return LUUnpackResult(p, low, up)


def _lu_solve_legacy(b, LU_data, LU_pivots):
    """torch.lu_solve(b, LU_data, LU_pivots): linalg.lu_solve(LU_data, LU_pivots, b)."""
    return lu_solve(LU_data, LU_pivots, b)

