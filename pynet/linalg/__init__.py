"""pynet.linalg: PyTorch's torch.linalg (real float32/float64 only).

Every algorithm is written with pynet tensor ops (no LAPACK): LU with partial pivoting,
Cholesky, Householder QR, cyclic Jacobi (eigh) and one-sided Jacobi (svd), computed in
float64 and cast back. Decompositions are autograd Functions with closed-form backwards.
Functions whose torch results are complex (eig, eigvals) raise NotImplementedError.
"""
from ._decomp import (eigh, eigvalsh, householder_product, lstsq, matrix_rank, pinv, qr, svd,
                      svdvals)
from ._lu import (det, inv, inv_ex, lu, lu_factor, lu_factor_ex, lu_solve, slogdet, solve,
                  solve_ex, solve_triangular)
from ._misc import (cholesky, cholesky_ex, cross, diagonal, matmul, matrix_exp, matrix_power,
                    multi_dot, tensorinv, tensorsolve, vander, vecdot)
from ._norms import cond, matrix_norm, norm, vector_norm
from ._util import LinAlgError


def _complex(name):
    raise NotImplementedError(f"pynet linalg.{name}: the result is complex-valued, and pynet "
                              "has no complex dtypes")


def eig(A, *, out=None):
    """Not supported: torch returns complex eigenvalues/eigenvectors (use eigh for
    symmetric matrices)."""
    _complex("eig")


def eigvals(A, *, out=None):
    """Not supported: torch returns complex eigenvalues (use eigvalsh for symmetric
    matrices)."""
    _complex("eigvals")


__all__ = ["LinAlgError", "cholesky", "cholesky_ex", "cond", "cross", "det", "diagonal", "eig",
           "eigh", "eigvals", "eigvalsh", "householder_product", "inv", "inv_ex", "lstsq",
           "lu", "lu_factor", "lu_factor_ex", "lu_solve", "matmul", "matrix_exp",
           "matrix_norm", "matrix_power", "matrix_rank", "multi_dot", "norm", "pinv", "qr",
           "slogdet", "solve", "solve_ex", "solve_triangular", "svd", "svdvals", "tensorinv",
           "tensorsolve", "vander", "vecdot", "vector_norm"]
