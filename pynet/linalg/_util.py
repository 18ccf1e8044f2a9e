"""Shared checks, result types and batch helpers of pynet.linalg."""
import collections

from .. import _C


class LinAlgError(RuntimeError):
    """Raised when a factorization fails (singular or not positive-definite input)."""


def _named(name, fields):
    cls = collections.namedtuple(name, fields)  # type: ignore[misc]
    cls.__module__ = "pynet.return_types"
    return cls


SlogdetResult = _named("linalg_slogdet", ["sign", "logabsdet"])
InvExResult = _named("linalg_inv_ex", ["inverse", "info"])
CholeskyExResult = _named("linalg_cholesky_ex", ["L", "info"])
LUFactorResult = _named("linalg_lu_factor", ["LU", "pivots"])
LUFactorExResult = _named("linalg_lu_factor_ex", ["LU", "pivots", "info"])
LUResult = _named("linalg_lu", ["P", "L", "U"])
QRResult = _named("linalg_qr", ["Q", "R"])
EighResult = _named("linalg_eigh", ["eigenvalues", "eigenvectors"])
SVDResult = _named("linalg_svd", ["U", "S", "Vh"])
LstsqResult = _named("linalg_lstsq", ["solution", "residuals", "rank", "singular_values"])
SolveExResult = _named("linalg_solve_ex", ["result", "info"])
LegacySVDResult = _named("svd", ["U", "S", "V"])
LegacyQRResult = _named("qr", ["Q", "R"])


def dname(dtype):
    """torch's short dtype name in messages (Long, Float, Double, Bool)."""
    return {_C.int64: "Long", _C.float32: "Float", _C.float64: "Double",
            _C.bool: "Bool"}.get(dtype, str(dtype))


def check_float(x, fname, arg="input"):
    """x must be a float32/float64 tensor (torch's error otherwise)."""
    if not isinstance(x, _C.TensorBase):
        raise TypeError(f"{fname}(): argument '{arg}' must be Tensor, not {type(x).__name__}")
    if x.dtype not in (_C.float32, _C.float64):
        raise RuntimeError(f"{fname}: Expected a floating point or complex tensor as input. "
                           f"Got {dname(x.dtype)}")


def check_matrix(a, fname, square=False, arg="A"):
    """a must be a float tensor of (batches of) matrices, square if asked."""
    check_float(a, fname, arg)
    if a.dim() < 2:
        raise RuntimeError(f"{fname}: The input tensor {arg} must have at least 2 dimensions.")
    if square and a.shape[-1] != a.shape[-2]:
        raise RuntimeError(f"{fname}: {arg} must be batches of square matrices, but they are "
                           f"{a.shape[-2]} by {a.shape[-1]} matrices")


def flat64(a):
    """(B, m, n) float64 copy-free view/cast of a (..., m, n), detached."""
    a = a.detach()
    if a.dtype != _C.float64:
        a = a.to(_C.float64)
    b = 1
    for s in a.shape[:-2]:
        b *= s
    return a.reshape((b,) + tuple(a.shape[-2:]))


def unflat(x, batch, dtype):
    """x (B, ...) back to batch + x's trailing shape, cast to dtype."""
    x = x.reshape(tuple(batch) + tuple(x.shape[1:]))
    return x if x.dtype == dtype else x.to(dtype)


def raise_info(info, fname, kind):
    """Raise torch's LinAlgError when any info entry is non-zero."""
    if info.numel() == 0 or not bool((info != 0).any()):
        return
    bad = info.reshape((-1,))
    idx = int((bad != 0).to(_C.int64).argmax())
    code = int(bad[idx])
    where = f"(Batch element {idx}): " if info.dim() > 0 else ""
    if kind == "singular":
        raise LinAlgError(f"{fname}: {where}The diagonal element {code} is zero, the inversion "
                          "could not be completed because the input matrix is singular.")
    if kind == "solve":
        raise LinAlgError(f"{fname}: {where}The solver failed because the input matrix is "
                          "singular.")
    raise LinAlgError(f"{fname}: {where}The factorization could not be completed because the "
                      f"input is not positive-definite (the leading minor of order {code} is "
                      "not positive-definite).")

