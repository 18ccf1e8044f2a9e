"""pynet.linalg: values against NumPy (np.linalg as the reference), gradients by float64
gradcheck, and values / gradients / shapes / errors against torch.linalg where installed.

Decompositions whose factors are unique only up to signs (eigh, svd) are compared through
reconstructions, orthogonality and sign-invariant functions, never as raw vectors.
"""
import math

import numpy as np
import pytest

import pynet
import pynet.linalg as LA
from conftest import P, T, check, gc, raises_like, to_np


def rnd(shape, seed=0, dtype="float64"):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def spd(shape, seed=0, dtype="float64"):
    """Symmetric positive-definite matrices of shape (..., n, n)."""
    a = rnd(shape, seed)
    return (a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1])).astype(dtype)


def sym(shape, seed=0):
    a = rnd(shape, seed)
    return a + np.swapaxes(a, -1, -2)


def tol(dtype):
    return dict(rtol=1e-4, atol=1e-5) if dtype == "float32" else dict(rtol=1e-9, atol=1e-11)


def torch_grads(need_torch, fn_pn, fn_th, *arrays, seed=5):
    """Gradients of sum(w * f(inputs)) in pynet and torch, for a fixed random w."""
    torch = need_torch
    pn_in = [pynet.tensor(a, requires_grad=True) for a in arrays]
    th_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    out_p, out_t = fn_pn(*pn_in), fn_th(*th_in)
    w = rnd(tuple(out_t.shape), seed)
    (out_p * pynet.tensor(w)).sum().backward()
    (out_t * torch.tensor(w)).sum().backward()
    return [x.grad for x in pn_in], [x.grad for x in th_in]


def raises_linalg_error(pn_call, th_call, torch):
    """Where torch raises torch.linalg.LinAlgError, pynet raises pynet.linalg.LinAlgError (a
    RuntimeError subclass too; raises_like needs the very same class, which pynet cannot
    share)."""
    assert issubclass(LA.LinAlgError, RuntimeError)
    with pytest.raises(torch.linalg.LinAlgError):
        th_call()
    with pytest.raises(LA.LinAlgError):
        pn_call()


def assert_grads_match(need_torch, fn_pn, fn_th, *arrays, rtol=1e-7, atol=1e-9):
    gp, gt = torch_grads(need_torch, fn_pn, fn_th, *arrays)
    for a, b in zip(gp, gt):
        check(a, b, rtol=rtol, atol=atol)


# ----------------------------------------------------------------------------- norms

VEC_ORDS = [2, 1, math.inf, -math.inf, 0, 3, 0.5, -1]


@pytest.mark.parametrize("ord", VEC_ORDS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_vector_norm_numpy(ord, dtype):
    x = rnd((3, 4), 1, dtype)
    check(LA.vector_norm(P(x), ord), np.linalg.norm(x.ravel(), ord).astype(dtype), **tol(dtype))
    check(LA.vector_norm(P(x), ord, dim=1), np.linalg.norm(x, ord, axis=1).astype(dtype),
          **tol(dtype))
    ref = np.linalg.norm(x, ord, axis=0, keepdims=True).astype(dtype)
    check(LA.vector_norm(P(x), ord, dim=0, keepdim=True), ref, **tol(dtype))


@pytest.mark.parametrize("ord", [2, 1, math.inf, 3, 0.5, -1])
def test_vector_norm_grad(ord, need_torch):
    x = rnd((3, 4), 2)
    assert gc(lambda a: LA.vector_norm(a, ord, dim=(0, 1)), x)
    assert_grads_match(need_torch, lambda a: LA.vector_norm(a, ord, dim=-1),
                       lambda a: need_torch.linalg.vector_norm(a, ord, dim=-1), x)


def test_vector_norm_shapes_and_dtype(need_torch):
    torch = need_torch
    x = rnd((2, 3), 3, "float32")
    for kw in [dict(), dict(keepdim=True), dict(dim=(0, 1), keepdim=True), dict(ord=0, dim=0)]:
        check(LA.vector_norm(P(x), **kw), torch.linalg.vector_norm(T(x), **kw), rtol=1e-6)
    check(LA.vector_norm(P(x), dtype=pynet.float64),
          torch.linalg.vector_norm(T(x), dtype=torch.float64), rtol=1e-6)
    check(LA.vector_norm(P(np.zeros((0, 3))), -1, dim=1), np.zeros((0,)))
    raises_like(lambda: LA.vector_norm(P(np.zeros((0,))), math.inf),
                lambda: torch.linalg.vector_norm(T(np.zeros((0,))), math.inf), RuntimeError)
    raises_like(lambda: LA.vector_norm(P(np.ones(3, np.int64))),
                lambda: torch.linalg.vector_norm(T(np.ones(3, np.int64))), RuntimeError)


MAT_ORDS = ["fro", "nuc", math.inf, -math.inf, 1, -1, 2, -2]


@pytest.mark.parametrize("ord", MAT_ORDS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_matrix_norm_numpy(ord, dtype):
    a = rnd((2, 3, 4), 4, dtype)
    ref = np.linalg.norm(a.astype(np.float64), ord, axis=(-2, -1)).astype(dtype)
    check(LA.matrix_norm(P(a), ord), ref, **tol(dtype))
    ref = np.linalg.norm(a.astype(np.float64), ord, axis=(2, 0), keepdims=True).astype(dtype)
    check(LA.matrix_norm(P(a), ord, dim=(2, 0), keepdim=True), ref, **tol(dtype))


@pytest.mark.parametrize("ord", MAT_ORDS)
def test_matrix_norm_grad(ord, need_torch):
    a = rnd((2, 4, 3), 5)
    assert gc(lambda x: LA.matrix_norm(x, ord), a)
    assert_grads_match(need_torch, lambda x: LA.matrix_norm(x, ord),
                       lambda x: need_torch.linalg.matrix_norm(x, ord), a)


@pytest.mark.parametrize("ord,dim", [(None, None), (None, 1), (None, (0, 2)), (2, -1),
                                     ("fro", (1, 2)), ("nuc", (-2, -1)), (math.inf, 0),
                                     (1, (2, 1)), (-2, (0, 1))])
@pytest.mark.parametrize("keepdim", [False, True])
def test_norm_dispatch(ord, dim, keepdim, need_torch):
    a = rnd((2, 3, 4), 6)
    check(LA.norm(P(a), ord, dim, keepdim), need_torch.linalg.norm(T(a), ord, dim, keepdim),
          rtol=1e-10, atol=1e-12)


def test_norm_dispatch_numpy_and_errors(need_torch):
    torch = need_torch
    v, m = rnd((5,), 7), rnd((3, 4), 7)
    check(LA.norm(P(v), 1), np.linalg.norm(v, 1))
    check(LA.norm(P(m), "nuc"), np.linalg.norm(m, "nuc"), rtol=1e-12)
    check(LA.norm(P(m), -1), np.linalg.norm(m, -1), rtol=1e-12)
    check(LA.norm(P(rnd((2, 3, 4)))), np.linalg.norm(rnd((2, 3, 4)).ravel()), rtol=1e-12)
    a3 = rnd((2, 3, 4))
    raises_like(lambda: LA.norm(P(a3), 2), lambda: torch.linalg.norm(T(a3), 2), RuntimeError)
    raises_like(lambda: LA.norm(P(m), "fro", 0), lambda: torch.linalg.norm(T(m), "fro", 0),
                RuntimeError)
    raises_like(lambda: LA.matrix_norm(P(m), 3), lambda: torch.linalg.matrix_norm(T(m), 3),
                RuntimeError)
    raises_like(lambda: LA.matrix_norm(P(v)), lambda: torch.linalg.matrix_norm(T(v)),
                RuntimeError)


# --------------------------------------------------------------- det, slogdet, inv, solve

BATCHES = [(), (3,), (2, 1)]


@pytest.mark.parametrize("batch", BATCHES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_det_slogdet_inv_numpy(batch, dtype):
    a = rnd(batch + (4, 4), 8, dtype)
    a64 = a.astype(np.float64)
    check(LA.det(P(a)), np.linalg.det(a64).astype(dtype), **tol(dtype))
    sign, logabs = np.linalg.slogdet(a64)
    res = LA.slogdet(P(a))
    check(res.sign, sign.astype(dtype))
    check(res.logabsdet, logabs.astype(dtype), **tol(dtype))
    check(LA.inv(P(a)), np.linalg.inv(a64).astype(dtype), rtol=1e-3 if dtype == "float32"
          else 1e-9, atol=1e-4 if dtype == "float32" else 1e-11)
    inv_, info = LA.inv_ex(P(a))
    check(inv_, to_np(LA.inv(P(a))))
    check(info, np.zeros(batch, np.int64))


def test_det_known_values():
    check(LA.det(P(np.array([[2.0, 1.0], [1.0, 3.0]]))), np.array(5.0), rtol=1e-15)
    perm = np.eye(3)[[1, 0, 2]]  # one swap: det -1
    check(LA.det(P(perm)), np.array(-1.0))
    check(LA.det(P(np.zeros((2, 0, 0)))), np.ones(2))  # the empty product
    check(LA.det(P(np.ones((3, 3)))), np.array(0.0))
    res = LA.slogdet(P(np.ones((3, 3))))
    check(res.sign, np.array(0.0))
    check(res.logabsdet, np.array(-np.inf))


def test_det_inv_grad(need_torch):
    torch = need_torch
    a = rnd((2, 3, 3), 9)
    assert gc(LA.det, a)
    assert gc(lambda x: LA.slogdet(x).logabsdet, a)
    assert gc(LA.inv, a)
    assert gc(lambda x: LA.inv_ex(x).inverse, a)
    assert_grads_match(torch, LA.det, torch.linalg.det, a)
    assert_grads_match(torch, lambda x: LA.slogdet(x)[1], lambda x: torch.linalg.slogdet(x)[1], a)
    assert_grads_match(torch, LA.inv, torch.linalg.inv, a)


def test_det_grad_singular():
    """The gradient of det at a singular matrix is its cofactor matrix (finite)."""
    a = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])  # rank 2
    x = pynet.tensor(a, requires_grad=True)
    LA.det(x).backward()
    cof = np.array([[(-1) ** (i + j) * np.linalg.det(np.delete(np.delete(a, i, 0), j, 1))
                     for j in range(3)] for i in range(3)])  # the cofactor matrix by minors
    assert np.abs(cof).max() > 1  # (not the zero matrix)
    check(x.grad, cof, atol=1e-12)
    assert gc(LA.det, a)
    # (torch 2.x returns a zero gradient at exactly singular matrices: pynet's is the true one)


def test_inv_errors(need_torch):
    torch = need_torch
    z = np.zeros((2, 2))
    raises_linalg_error(lambda: LA.inv(P(z)), lambda: torch.linalg.inv(T(z)), torch)
    with pytest.raises(LA.LinAlgError, match="singular"):
        LA.inv(P(z))
    assert to_np(LA.inv_ex(P(np.stack([np.eye(2), z]))).info).tolist() == [0, 1]
    with pytest.raises(LA.LinAlgError):
        LA.inv_ex(P(z), check_errors=True)
    for bad in [np.ones((2, 3)), np.ones(3), np.ones((2, 2), np.int64)]:
        for fn in ["inv", "det", "slogdet", "cholesky", "eigh", "lu_factor", "qr", "svd"]:
            if fn in ("lu_factor", "qr", "svd") and bad.shape == (2, 3):
                continue
            raises_like(lambda: getattr(LA, fn)(P(bad)),
                        lambda: getattr(torch.linalg, fn)(T(bad)), RuntimeError)


def test_empty_batches(need_torch):
    torch = need_torch
    for shape in [(0, 3, 3), (2, 0, 0)]:
        a = np.zeros(shape)
        for fn in ["inv", "det", "slogdet", "cholesky", "eigh", "eigvalsh", "svd", "svdvals",
                   "qr", "lu", "lu_factor", "pinv", "matrix_rank", "matrix_exp"]:
            got, ref = getattr(LA, fn)(P(a)), getattr(torch.linalg, fn)(T(a))
            got = got if isinstance(got, tuple) else (got,)
            ref = ref if isinstance(ref, tuple) else (ref,)
            for g, r in zip(got, ref):
                assert tuple(g.shape) == tuple(r.shape), (fn, shape)
                if r.dtype != torch.int32:
                    check(g, r)


@pytest.mark.parametrize("a_shape,b_shape", [((3, 3), (3,)), ((3, 3), (3, 2)),
                                             ((2, 3, 3), (2, 3)), ((2, 3, 3), (3, 4)),
                                             ((2, 1, 3, 3), (4, 3, 1)), ((3, 3), (2, 3, 1)),
                                             ((0, 3, 3), (0, 3))])
def test_solve_numpy(a_shape, b_shape):
    a, b = rnd(a_shape, 10), rnd(b_shape, 11)
    x = LA.solve(P(a), P(b))
    vec = len(b_shape) == 1 or b_shape == a_shape[:-1]
    if vec:
        ref = np.linalg.solve(a, b[..., None])[..., 0]
    else:
        batch = np.broadcast_shapes(a_shape[:-2], b_shape[:-2])
        ref = np.linalg.solve(np.broadcast_to(a, batch + a_shape[-2:]),
                              np.broadcast_to(b, batch + b_shape[-2:]))
    check(x, ref, rtol=1e-9, atol=1e-11)


def test_solve_left_false_and_grad(need_torch):
    torch = need_torch
    a, b = rnd((2, 3, 3), 12), rnd((2, 4, 3), 13)
    check(LA.solve(P(a), P(b), left=False), b @ np.linalg.inv(a), rtol=1e-9, atol=1e-11)
    assert gc(LA.solve, a, rnd((3, 2), 14))
    assert gc(lambda x, y: LA.solve(x, y, left=False), a, b)
    assert gc(LA.solve, a, rnd((2, 3), 15))
    assert_grads_match(torch, LA.solve, torch.linalg.solve, rnd((2, 1, 3, 3), 16),
                       rnd((4, 3, 2), 17))
    assert_grads_match(torch, lambda x, y: LA.solve(x, y, left=False),
                       lambda x, y: torch.linalg.solve(x, y, left=False), a, b)


def test_solve_errors(need_torch):
    torch = need_torch
    a = rnd((3, 3))
    raises_linalg_error(lambda: LA.solve(P(np.zeros((3, 3))), P(rnd(3))),
                        lambda: torch.linalg.solve(T(np.zeros((3, 3))), T(rnd(3))), torch)
    raises_like(lambda: LA.solve(P(a), P(rnd(4))), lambda: torch.linalg.solve(T(a), T(rnd(4))),
                RuntimeError)
    raises_like(lambda: LA.solve(P(a), P(rnd(3, 1, "float32"))),
                lambda: torch.linalg.solve(T(a), T(rnd(3, 1, "float32"))), RuntimeError)
    raises_like(lambda: LA.solve(P(rnd((2, 3))), P(rnd(2))),
                lambda: torch.linalg.solve(T(rnd((2, 3))), T(rnd(2))), RuntimeError)


# ------------------------------------------------------------------------- LU, Cholesky

@pytest.mark.parametrize("shape", [(4, 4), (2, 3, 3), (5, 3), (2, 3, 5)])
def test_lu_reconstruction_and_torch(shape, need_torch):
    a = rnd(shape, 18)
    p, l_, u = LA.lu(P(a))
    check(p.matmul(l_).matmul(u), a, rtol=1e-12, atol=1e-13)
    ln, un = to_np(l_), to_np(u)
    assert np.allclose(np.triu(ln, 1), 0) and np.allclose(np.diagonal(ln, 0, -2, -1), 1)
    assert np.allclose(np.tril(un, -1), 0)
    assert np.abs(ln).max() <= 1 + 1e-15  # partial pivoting bounds the multipliers
    ref = need_torch.linalg.lu_factor(T(a))
    got = LA.lu_factor(P(a))
    check(got.LU, ref.LU, rtol=1e-12, atol=1e-13)
    check(got.pivots, ref.pivots.long())
    for g, r in zip(LA.lu(P(a)), need_torch.linalg.lu(T(a))):
        check(g, r, rtol=1e-12, atol=1e-13)


def test_lu_grad(need_torch):
    torch = need_torch
    a = rnd((2, 3, 3), 19)
    assert gc(lambda x: LA.lu_factor(x).LU, a)
    assert gc(lambda x: LA.lu(x).L, a)
    assert gc(lambda x: LA.lu(x).U, a)
    assert_grads_match(torch, lambda x: LA.lu_factor(x)[0], lambda x: torch.linalg.lu_factor(x)[0],
                       a)


@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("adjoint", [False, True])
def test_lu_solve(left, adjoint, need_torch):
    a, b = rnd((2, 3, 3), 20), rnd((2, 3, 2) if left else (2, 2, 3), 21)
    op = np.swapaxes(a, -1, -2) if adjoint else a
    ref = np.linalg.solve(op, b) if left else b @ np.linalg.inv(op)
    lu_, piv = LA.lu_factor(P(a))
    check(LA.lu_solve(lu_, piv, P(b), left=left, adjoint=adjoint), ref, rtol=1e-9, atol=1e-11)
    assert gc(lambda x, y: LA.lu_solve(*LA.lu_factor(x), y, left=left, adjoint=adjoint), a, b)
    torch = need_torch
    assert_grads_match(
        torch, lambda x, y: LA.lu_solve(*LA.lu_factor(x), y, left=left, adjoint=adjoint),
        lambda x, y: torch.linalg.lu_solve(*torch.linalg.lu_factor(x), y, left=left,
                                           adjoint=adjoint), a, b)


def test_lu_factor_ex_singular():
    a = np.array([[1.0, 2.0], [2.0, 4.0]])
    res = LA.lu_factor_ex(P(a))
    assert int(res.info) == 2
    with pytest.raises(LA.LinAlgError):
        LA.lu_factor(P(a))
    with pytest.raises(RuntimeError, match="without pivoting"):
        LA.lu_factor(P(a), pivot=False)


@pytest.mark.parametrize("batch", BATCHES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_cholesky_numpy(batch, dtype):
    a = spd(batch + (4, 4), 22, dtype)
    ref = np.linalg.cholesky(a.astype(np.float64)).astype(dtype)
    check(LA.cholesky(P(a)), ref, **tol(dtype))
    check(LA.cholesky(P(a), upper=True), np.swapaxes(ref, -1, -2), **tol(dtype))
    low, info = LA.cholesky_ex(P(a))
    check(low, ref, **tol(dtype))
    check(info, np.zeros(batch, np.int64))


def test_cholesky_reads_one_triangle_and_errors(need_torch):
    torch = need_torch
    a = spd((3, 3), 23)
    junk = np.tril(a) + np.triu(rnd((3, 3), 24), 1)  # garbage above the diagonal
    check(LA.cholesky(P(junk)), np.linalg.cholesky(a), rtol=1e-12)
    junk_u = np.triu(a) + np.tril(rnd((3, 3), 25), -1)
    check(LA.cholesky(P(junk_u), upper=True), np.linalg.cholesky(a).T, rtol=1e-12)
    bad = np.diag([1.0, -1.0, 1.0])
    raises_linalg_error(lambda: LA.cholesky(P(bad)), lambda: torch.linalg.cholesky(T(bad)),
                        torch)
    with pytest.raises(LA.LinAlgError, match="leading minor of order 2"):
        LA.cholesky(P(bad))
    assert to_np(LA.cholesky_ex(P(np.stack([a, bad]))).info).tolist() == [0, 2]
    with pytest.raises(LA.LinAlgError, match="Batch element 1"):
        LA.cholesky(P(np.stack([a, bad])))


def test_cholesky_grad(need_torch):
    torch = need_torch
    a = rnd((2, 3, 3), 26)

    def make_spd(x):  # a symmetric perturbation keeps the input SPD
        return x.matmul(x.mT) + 3 * pynet.eye(3, dtype=x.dtype)

    assert gc(lambda x: LA.cholesky(make_spd(x)), a)
    assert gc(lambda x: LA.cholesky(make_spd(x), upper=True), a)
    s = spd((2, 3, 3), 27)
    assert_grads_match(torch, LA.cholesky, torch.linalg.cholesky, s)
    assert_grads_match(torch, lambda x: LA.cholesky(x, upper=True),
                       lambda x: torch.linalg.cholesky(x, upper=True), s)


# ------------------------------------------------------------- matrix_power and friends

@pytest.mark.parametrize("n", [0, 1, 2, 5, -1, -3])
def test_matrix_power(n, need_torch):
    a = rnd((2, 3, 3), 28)
    check(LA.matrix_power(P(a), n), np.linalg.matrix_power(a, n), rtol=1e-9, atol=1e-11)
    if n != 0:
        assert gc(lambda x: LA.matrix_power(x, n), a)
        torch = need_torch
        assert_grads_match(torch, lambda x: LA.matrix_power(x, n),
                           lambda x: torch.linalg.matrix_power(x, n), a)


def test_matrix_power_int_and_errors(need_torch):
    torch = need_torch
    ai = np.array([[1, 2], [3, 4]], np.int64)
    check(LA.matrix_power(P(ai), 3), np.linalg.matrix_power(ai, 3))
    raises_like(lambda: LA.matrix_power(P(ai), -1), lambda: torch.linalg.matrix_power(T(ai), -1),
                RuntimeError)
    raises_like(lambda: LA.matrix_power(P(rnd((2, 3))), 2),
                lambda: torch.linalg.matrix_power(T(rnd((2, 3))), 2), RuntimeError)


def test_cross_vecdot_multi_dot_diagonal_matmul(need_torch):
    torch = need_torch
    x, y = rnd((2, 3), 29), rnd((1, 3), 30)
    check(LA.cross(P(x), P(y)), np.cross(x, y), rtol=1e-12)
    check(LA.cross(P(x.T.copy()), P(y.T.copy()), dim=0), np.cross(x.T, y.T, axis=0),
          rtol=1e-12)
    raises_like(lambda: LA.cross(P(rnd((2, 4))), P(rnd((2, 4)))),
                lambda: torch.linalg.cross(T(rnd((2, 4))), T(rnd((2, 4)))), RuntimeError)
    check(LA.vecdot(P(x), P(y)), (x * y).sum(-1), rtol=1e-12)
    check(LA.vecdot(P(x), P(y), dim=0), (x * y).sum(0), rtol=1e-12)
    mats = [rnd((3,), 31), rnd((3, 5), 32), rnd((5, 2), 33), rnd((2, 4), 34), rnd((4,), 35)]
    check(LA.multi_dot([P(m) for m in mats]), np.linalg.multi_dot(mats), rtol=1e-12)
    check(LA.multi_dot([P(m) for m in mats[1:4]]), np.linalg.multi_dot(mats[1:4]), rtol=1e-12)
    assert gc(lambda *ms: LA.multi_dot(list(ms)), *mats)
    raises_like(lambda: LA.multi_dot([P(mats[1])]),
                lambda: torch.linalg.multi_dot([T(mats[1])]), RuntimeError)
    raises_like(lambda: LA.multi_dot([P(mats[1]), P(mats[1])]),
                lambda: torch.linalg.multi_dot([T(mats[1]), T(mats[1])]), RuntimeError)
    a = rnd((2, 3, 4), 36)
    check(LA.diagonal(P(a)), np.diagonal(a, 0, -2, -1))
    check(LA.diagonal(P(a), offset=1, dim1=0, dim2=2), np.diagonal(a, 1, 0, 2))
    check(LA.matmul(P(a), P(rnd((4, 2), 37))), a @ rnd((4, 2), 37), rtol=1e-12)


# -------------------------------------------------------------------------------- QR

@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (4, 4), (2, 4, 3), (2, 3, 4)])
@pytest.mark.parametrize("mode", ["reduced", "complete", "r"])
def test_qr(shape, mode, need_torch):
    a = rnd(shape, 38)
    q, r = LA.qr(P(a), mode)
    m, n = shape[-2:]
    k = min(m, n)
    rn = to_np(r)
    assert np.allclose(np.tril(rn, -1), 0)
    # R is unique up to the signs of its rows: |R| matches NumPy's
    ref_r = np.linalg.qr(a, "complete" if mode == "complete" else "reduced")[1]
    np.testing.assert_allclose(np.abs(rn), np.abs(ref_r), rtol=1e-10, atol=1e-12)
    if mode == "r":
        assert tuple(q.shape) == (0,)
    else:
        qn = to_np(q)
        assert qn.shape == shape[:-2] + ((m, m) if mode == "complete" else (m, k))
        eye = np.broadcast_to(np.eye(qn.shape[-1]), qn.shape[:-2] + (qn.shape[-1],) * 2)
        np.testing.assert_allclose(np.swapaxes(qn, -1, -2) @ qn, eye, atol=1e-13)
        np.testing.assert_allclose(qn @ rn, a, atol=1e-13)
    ref = need_torch.linalg.qr(T(a), mode)  # same Householder sign convention as LAPACK
    check(r, ref.R, rtol=1e-10, atol=1e-12)
    if mode != "r":
        check(q, ref.Q, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("shape,mode", [((4, 3), "reduced"), ((3, 4), "reduced"),
                                        ((3, 4), "complete"), ((2, 3, 3), "complete")])
def test_qr_grad(shape, mode, need_torch):
    torch = need_torch
    a = rnd(shape, 39)
    assert gc(lambda x: LA.qr(x, mode).Q, a)
    assert gc(lambda x: LA.qr(x, mode).R, a)
    assert gc(lambda x: sum(LA.qr(x, mode)[1:]) + LA.qr(x, mode)[0].sum(), a)
    assert_grads_match(torch, lambda x: LA.qr(x, mode)[0], lambda x: torch.linalg.qr(x, mode)[0],
                       a)
    assert_grads_match(torch, lambda x: LA.qr(x, mode)[1], lambda x: torch.linalg.qr(x, mode)[1],
                       a)


def test_qr_errors(need_torch):
    torch = need_torch
    a = rnd((4, 3))
    raises_like(lambda: LA.qr(P(a), "bogus"), lambda: torch.linalg.qr(T(a), "bogus"),
                RuntimeError)
    x = pynet.tensor(a, requires_grad=True)
    with pytest.raises(RuntimeError, match="mode='r'"):
        LA.qr(x, "r").R.sum().backward()
    x = pynet.tensor(a, requires_grad=True)
    with pytest.raises(RuntimeError, match="complete"):
        LA.qr(x, "complete").Q.sum().backward()


# ------------------------------------------------------------------------ eigh, svd

@pytest.mark.parametrize("batch", BATCHES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("uplo", ["L", "U"])
def test_eigh_numpy(batch, dtype, uplo):
    a = sym(batch + (5, 5), 40).astype(dtype)
    tri = np.tril(a) if uplo == "L" else np.triu(a)
    junk = tri + (np.triu(rnd(a.shape, 41), 1) if uplo == "L" else np.tril(rnd(a.shape, 41), -1))
    w, v = LA.eigh(P(junk.astype(dtype)), UPLO=uplo)
    ref = np.linalg.eigvalsh(a.astype(np.float64)).astype(dtype)
    check(w, ref, **tol(dtype))
    check(LA.eigvalsh(P(junk.astype(dtype)), UPLO=uplo), ref, **tol(dtype))
    vn, wn = to_np(v).astype(np.float64), to_np(w).astype(np.float64)
    t = 1e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose((vn * wn[..., None, :]) @ np.swapaxes(vn, -1, -2), a, atol=t * 10)
    np.testing.assert_allclose(np.swapaxes(vn, -1, -2) @ vn, np.broadcast_to(np.eye(5), vn.shape),
                               atol=t)
    assert np.all(np.diff(wn, axis=-1) >= 0)  # ascending


def test_eigh_degenerate_and_known():
    w, v = LA.eigh(P(np.eye(4)))
    check(w, np.ones(4))
    a = np.array([[2.0, 1.0], [1.0, 2.0]])
    w, v = LA.eigh(P(a))
    check(w, np.array([1.0, 3.0]), rtol=1e-15)
    np.testing.assert_allclose(np.abs(to_np(v)), np.full((2, 2), 0.5 ** 0.5), rtol=1e-15)
    # a repeated eigenvalue: still an orthonormal eigenbasis
    q = np.linalg.qr(rnd((4, 4), 42))[0]
    a = (q * np.array([1.0, 2.0, 2.0, 5.0])) @ q.T
    w, v = LA.eigh(P(a))
    check(w, np.array([1.0, 2.0, 2.0, 5.0]), rtol=1e-12)
    vn = to_np(v)
    np.testing.assert_allclose(vn.T @ vn, np.eye(4), atol=1e-13)
    np.testing.assert_allclose(a @ vn, vn * to_np(w), atol=1e-12)


def test_eigh_grad(need_torch):
    torch = need_torch
    a = rnd((2, 4, 4), 43)

    def symm(x):
        return x + x.mT

    assert gc(lambda x: LA.eigvalsh(symm(x)), a)
    # V diag(f(w)) V^T and V*V do not depend on the eigenvectors' signs
    assert gc(lambda x: (lambda w, v: (v * w.exp().unsqueeze(-2)).matmul(v.mT))(*LA.eigh(
        symm(x))), a)
    assert gc(lambda x: LA.eigh(symm(x)).eigenvectors ** 2, a)
    s = sym((2, 4, 4), 44)
    assert_grads_match(torch, LA.eigvalsh, torch.linalg.eigvalsh, s)
    assert_grads_match(torch, lambda x: LA.eigh(x)[1] ** 2, lambda x: torch.linalg.eigh(x)[1] ** 2,
                       s)
    assert_grads_match(torch, lambda x: LA.eigh(x, "U")[1] ** 2,
                       lambda x: torch.linalg.eigh(x, "U")[1] ** 2, s)


@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (4, 4), (2, 4, 3), (3, 2, 5)])
@pytest.mark.parametrize("full", [True, False])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_svd_numpy(shape, full, dtype):
    a = rnd(shape, 45, dtype)
    u, s, vh = LA.svd(P(a), full_matrices=full)
    m, n = shape[-2:]
    k = min(m, n)
    ref = np.linalg.svd(a.astype(np.float64), compute_uv=False).astype(dtype)
    check(s, ref, **tol(dtype))
    check(LA.svdvals(P(a)), ref, **tol(dtype))
    un, sn, vn = (to_np(x).astype(np.float64) for x in (u, s, vh))
    assert un.shape[-2:] == ((m, m) if full else (m, k))
    assert vn.shape[-2:] == ((n, n) if full else (k, n))
    t = 1e-5 if dtype == "float32" else 1e-13
    np.testing.assert_allclose((un[..., :, :k] * sn[..., None, :]) @ vn[..., :k, :], a,
                               atol=10 * t)
    np.testing.assert_allclose(np.swapaxes(un, -1, -2) @ un,
                               np.broadcast_to(np.eye(un.shape[-1]), un.shape[:-2] +
                                               (un.shape[-1],) * 2), atol=t)
    np.testing.assert_allclose(vn @ np.swapaxes(vn, -1, -2),
                               np.broadcast_to(np.eye(vn.shape[-2]), vn.shape[:-2] +
                                               (vn.shape[-2],) * 2), atol=t)


def test_svd_rank_deficient_and_zero():
    a = rnd((5, 3), 46)
    a[:, 2] = a[:, 0] - a[:, 1]  # rank 2
    u, s, vh = LA.svd(P(a))
    un, sn, vn = to_np(u), to_np(s), to_np(vh)
    assert sn[2] < 1e-14
    np.testing.assert_allclose(un.T @ un, np.eye(5), atol=1e-13)
    np.testing.assert_allclose((un[:, :3] * sn) @ vn, a, atol=1e-13)
    u, s, vh = LA.svd(P(np.zeros((3, 2))))
    check(s, np.zeros(2))
    np.testing.assert_allclose(to_np(u).T @ to_np(u), np.eye(3), atol=1e-15)
    np.testing.assert_allclose(to_np(vh) @ to_np(vh).T, np.eye(2), atol=1e-15)


def test_svd_grad(need_torch):
    torch = need_torch
    for shape in [(4, 3), (3, 4), (2, 3, 3)]:
        a = rnd(shape, 47)
        assert gc(LA.svdvals, a)
        # U Vh, U*U and Vh*Vh are invariant under the joint sign flips of singular vectors
        assert gc(lambda x: (lambda u, s, vh: u.matmul(vh))(*LA.svd(x, False)), a)
        assert gc(lambda x: LA.svd(x, False).U ** 2 + LA.svd(x, False).S.sum(), a)
        assert gc(lambda x: LA.svd(x, False).Vh ** 2, a)
        assert_grads_match(torch, LA.svdvals, torch.linalg.svdvals, a)
        assert_grads_match(torch, lambda x: (lambda u, s, vh: u.matmul(vh))(*LA.svd(x, False)),
                           lambda x: (lambda u, s, vh: u @ vh)(*torch.linalg.svd(x, False)), a)
        assert_grads_match(torch, lambda x: LA.svd(x, False)[0] ** 2,
                           lambda x: torch.linalg.svd(x, False)[0] ** 2, a)


def test_svd_driver_and_complex_only(need_torch):
    torch = need_torch
    a = rnd((3, 3))
    raises_like(lambda: LA.svd(P(a), driver="gesvd"),
                lambda: torch.linalg.svd(T(a), driver="gesvd"), RuntimeError)
    with pytest.raises(NotImplementedError, match="complex"):
        LA.eig(P(a))
    with pytest.raises(NotImplementedError, match="complex"):
        LA.eigvals(P(a))


# ------------------------------------------------- rank, pinv, lstsq, cond, exp, triangular

def test_matrix_rank(need_torch):
    torch = need_torch
    a = rnd((3, 5, 4), 48)
    a[1, :, 3] = a[1, :, 0] + a[1, :, 1]
    a[2] = 0
    check(LA.matrix_rank(P(a)), np.array([4, 3, 0]))
    check(LA.matrix_rank(P(a), atol=1.0, rtol=0.0), np.linalg.matrix_rank(a, tol=1.0))
    check(LA.matrix_rank(P(a), 1.0), np.linalg.matrix_rank(a, tol=1.0))
    s = sym((2, 4, 4), 49)
    check(LA.matrix_rank(P(s), hermitian=True), np.linalg.matrix_rank(s, hermitian=True))
    for kw in [dict(), dict(atol=0.5), dict(rtol=0.3), dict(atol=0.1, rtol=0.2),
               dict(hermitian=True)]:
        x = s if kw.get("hermitian") else a
        check(LA.matrix_rank(P(x), **kw), torch.linalg.matrix_rank(T(x), **kw))


@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (2, 4, 4)])
def test_pinv(shape, need_torch):
    torch = need_torch
    a = rnd(shape, 50)
    check(LA.pinv(P(a)), np.linalg.pinv(a), rtol=1e-9, atol=1e-11)
    assert gc(LA.pinv, a)
    assert_grads_match(torch, LA.pinv, torch.linalg.pinv, a)
    d = rnd((5, 3), 51)
    d[:, 2] = d[:, 1]
    check(LA.pinv(P(d)), np.linalg.pinv(d), rtol=1e-9, atol=1e-11)
    s = sym((2, 4, 4), 52)
    check(LA.pinv(P(s), hermitian=True), np.linalg.pinv(s, hermitian=True), rtol=1e-9,
          atol=1e-11)
    assert_grads_match(torch, lambda x: LA.pinv(x, hermitian=True),
                       lambda x: torch.linalg.pinv(x, hermitian=True), s)
    check(LA.pinv(P(a), atol=1.0), torch.linalg.pinv(T(a), atol=1.0), rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("a_shape,b_shape", [((5, 3), (5, 2)), ((5, 3), (5,)),
                                             ((2, 4, 4), (2, 4, 1)), ((3, 5), (3, 2))])
def test_lstsq(a_shape, b_shape, need_torch):
    torch = need_torch
    a, b = rnd(a_shape, 53), rnd(b_shape, 54)
    res = LA.lstsq(P(a), P(b))
    ref = np.linalg.lstsq(a, b, rcond=None)[0] if len(a_shape) == 2 else np.linalg.solve(a, b)
    check(res.solution, ref, rtol=1e-9, atol=1e-11)
    tr = torch.linalg.lstsq(T(a), T(b))
    check(res.solution, tr.solution, rtol=1e-9, atol=1e-11)
    check(res.rank, tr.rank)
    assert tuple(res.residuals.shape) == tuple(tr.residuals.shape)
    assert tuple(res.singular_values.shape) == tuple(tr.singular_values.shape)
    assert gc(lambda x, y: LA.lstsq(x, y).solution, a, b)
    assert_grads_match(torch, lambda x, y: LA.lstsq(x, y).solution,
                       lambda x, y: torch.linalg.lstsq(x, y).solution, a, b)
    with pytest.raises(NotImplementedError, match="gelsd"):
        LA.lstsq(P(a), P(b), driver="gelsd")


def test_cond(need_torch):
    torch = need_torch
    a = rnd((2, 4, 4), 55)
    for p in [None, 2, -2, "fro", "nuc", 1, -1, math.inf, -math.inf]:
        check(LA.cond(P(a), p), np.linalg.cond(a, p), rtol=1e-9)
        check(LA.cond(P(a), p), torch.linalg.cond(T(a), p), rtol=1e-9)
    check(LA.cond(P(rnd((5, 3), 56))), np.linalg.cond(rnd((5, 3), 56)), rtol=1e-9)
    assert gc(LA.cond, a)


def test_matrix_exp(need_torch):
    torch = need_torch
    s = sym((2, 4, 4), 57)
    w, v = np.linalg.eigh(s)
    ref = (v * np.exp(w)[..., None, :]) @ np.swapaxes(v, -1, -2)  # exp of symmetric matrices
    check(LA.matrix_exp(P(s)), ref, rtol=1e-11)
    rot = np.array([[0.0, -1.0], [1.0, 0.0]]) * 0.7  # exp of a generator of rotations
    check(LA.matrix_exp(P(rot)), np.array([[np.cos(0.7), -np.sin(0.7)],
                                           [np.sin(0.7), np.cos(0.7)]]), rtol=1e-14, atol=1e-15)
    a = rnd((3, 3), 58)
    check(LA.matrix_exp(P(a)), torch.linalg.matrix_exp(T(a)), rtol=1e-12)
    check(LA.matrix_exp(P(a.astype("float32"))), torch.linalg.matrix_exp(T(a.astype("float32"))),
          rtol=1e-5, atol=1e-6)
    assert gc(LA.matrix_exp, a)
    assert gc(LA.matrix_exp, 0.01 * a)
    assert_grads_match(torch, LA.matrix_exp, torch.linalg.matrix_exp, a)


@pytest.mark.parametrize("upper", [True, False])
@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("unit", [False, True])
def test_solve_triangular(upper, left, unit, need_torch):
    torch = need_torch
    a = rnd((2, 3, 3), 59) + 3 * np.eye(3)
    b = rnd((2, 3, 2) if left else (2, 2, 3), 60)
    tri = np.triu(a) if upper else np.tril(a)
    if unit:  # the diagonal of a is ignored, taken as ones
        tri[..., np.arange(3), np.arange(3)] = 1.0
    ref = np.linalg.solve(tri, b) if left else b @ np.linalg.inv(tri)
    kw = dict(upper=upper, left=left, unitriangular=unit)
    check(LA.solve_triangular(P(a), P(b), **kw), ref, rtol=1e-9, atol=1e-11)
    assert gc(lambda x, y: LA.solve_triangular(x, y, **kw), a, b)
    assert_grads_match(torch, lambda x, y: LA.solve_triangular(x, y, **kw),
                       lambda x, y: torch.linalg.solve_triangular(x, y, **kw), a, b)


def test_householder_product(need_torch):
    torch = need_torch
    a, tau = rnd((2, 5, 3), 61), rnd((2, 3), 62)
    ref = np.zeros((2, 5, 3))
    for i in range(2):
        q = np.eye(5)
        for j in range(3):
            v = np.zeros(5)
            v[j] = 1.0
            v[j + 1:] = a[i, j + 1:, j]
            q = q @ (np.eye(5) - tau[i, j] * np.outer(v, v))
        ref[i] = q[:, :3]
    check(LA.householder_product(P(a), P(tau)), ref, rtol=1e-12, atol=1e-14)
    check(LA.householder_product(P(a), P(tau[:, :2])),
          torch.linalg.householder_product(T(a), T(tau[:, :2])), rtol=1e-12, atol=1e-14)
    assert gc(LA.householder_product, a, tau)
    raises_like(lambda: LA.householder_product(P(rnd((3, 5))), P(rnd(2))),
                lambda: torch.linalg.householder_product(T(rnd((3, 5))), T(rnd(2))),
                RuntimeError)


def test_results_do_not_depend_on_threads():
    a = rnd((4, 6, 6), 63)
    s = sym((4, 6, 6), 64)
    before = pynet.get_num_threads()
    outs = []
    try:
        for n in (1, 2):
            pynet.set_num_threads(n)
            outs.append([to_np(x) for x in (*LA.svd(P(a)), *LA.eigh(P(s)), LA.inv(P(a)),
                                            *LA.qr(P(a)))])
    finally:
        pynet.set_num_threads(before)
    for x, y in zip(*outs):
        np.testing.assert_array_equal(x, y)


# ------------------------------------------------------------------- legacy signatures

@pytest.mark.filterwarnings("ignore::UserWarning")  # torch's deprecation warnings
def test_legacy_forms(need_torch):
    from pynet.linalg import _legacy as L
    torch = need_torch
    a, b = rnd((2, 3, 3), 65), rnd((2, 3, 2), 66)
    s = spd((2, 3, 3), 67)
    check(L._logdet(P(s)), torch.logdet(T(s)), rtol=1e-12)
    check(L._logdet(P(-np.eye(3))), np.array(np.nan))
    check(L._logdet(P(np.zeros((2, 2)))), np.array(-np.inf))
    assert type(L._slogdet_legacy(P(a))).__name__ == "slogdet"
    for some in [True, False]:
        q, r = L._qr_legacy(P(rnd((4, 3))), some)
        tq, tr = torch.linalg.qr(T(rnd((4, 3))), "reduced" if some else "complete")
        check(q, tq, rtol=1e-10, atol=1e-12)
        check(r, tr, rtol=1e-10, atol=1e-12)
        u, sv, v = L._svd_legacy(P(rnd((4, 3))), some)
        tu, ts, tv = torch.svd(T(rnd((4, 3))), some)
        assert tuple(u.shape) == tuple(tu.shape) and tuple(v.shape) == tuple(tv.shape)
        check((u[:, :3] * sv).matmul(v.mT), rnd((4, 3)), atol=1e-13)
    u, sv, v = L._svd_legacy(P(rnd((4, 3))), compute_uv=False)
    for g, r in zip((u, sv, v), torch.svd(T(rnd((4, 3))), compute_uv=False)):
        check(g, r, rtol=1e-12)
    check(L._pinverse(P(rnd((4, 3)))), torch.pinverse(T(rnd((4, 3)))), rtol=1e-9, atol=1e-12)
    for upper, trans, unit in [(True, False, False), (False, True, False), (True, True, True)]:
        got = L._triangular_solve(P(b), P(a), upper, trans, unit)
        ref = torch.triangular_solve(T(b), T(a), upper, trans, unit)
        check(got.solution, ref.solution, rtol=1e-9, atol=1e-11)
        check(got.cloned_coefficient, ref.cloned_coefficient)
    c = np.linalg.cholesky(s)
    check(L._cholesky_solve(P(b), P(c)), torch.cholesky_solve(T(b), T(c)), rtol=1e-9)
    ct = np.swapaxes(c, -1, -2).copy()
    check(L._cholesky_solve(P(b), P(ct), True), torch.cholesky_solve(T(b), T(ct), True),
          rtol=1e-9)
    check(L._cholesky_inverse(P(c[0])), torch.cholesky_inverse(T(c[0])), rtol=1e-9)
    lu_, piv = L._lu_legacy(P(a))
    tlu, tpiv = torch.linalg.lu_factor(T(a))
    check(lu_, tlu, rtol=1e-12)
    assert len(L._lu_legacy(P(a), get_infos=True)) == 3
    for g, r in zip(L._lu_unpack(lu_, piv), torch.lu_unpack(tlu, tpiv)):
        check(g, r, rtol=1e-12, atol=1e-15)
    p_, l_, u_ = L._lu_unpack(lu_, piv, unpack_data=False)
    assert tuple(l_.shape) == (0,) and tuple(p_.shape) == (2, 3, 3)
    check(L._lu_solve_legacy(P(b), lu_, piv), np.linalg.solve(a, b), rtol=1e-9)


def test_solve_ex_tensorinv_tensorsolve_vander(need_torch):
    torch = need_torch
    a, b = rnd((2, 3, 3), 70), rnd((2, 3), 71)
    res = LA.solve_ex(P(a), P(b))
    check(res.result, np.linalg.solve(a, b[..., None])[..., 0], rtol=1e-9)
    check(res.info, np.zeros(2, np.int64))
    sing = np.stack([a[0], np.zeros((3, 3))])
    assert to_np(LA.solve_ex(P(sing), P(b)).info).tolist() == [0, 1]
    with pytest.raises(LA.LinAlgError):
        LA.solve_ex(P(sing), P(b), check_errors=True)
    t = rnd((4, 6, 8, 3), 72)
    inv_t = LA.tensorinv(P(t), ind=2)
    check(inv_t, np.linalg.tensorinv(t, ind=2), rtol=1e-8, atol=1e-10)
    check(inv_t, torch.linalg.tensorinv(T(t), ind=2), rtol=1e-8, atol=1e-10)
    ta, tb = rnd((2, 3, 6), 73), rnd((2, 3), 74)
    check(LA.tensorsolve(P(ta), P(tb)), np.linalg.tensorsolve(ta, tb), rtol=1e-9)
    tc = np.moveaxis(ta, 2, 0).copy()
    check(LA.tensorsolve(P(tc), P(tb), dims=(0,)),
          torch.linalg.tensorsolve(T(tc), T(tb), dims=(0,)), rtol=1e-9)
    assert gc(lambda x, y: LA.tensorsolve(x, y), ta, tb)
    raises_like(lambda: LA.tensorinv(P(rnd((2, 3))), ind=1),
                lambda: torch.linalg.tensorinv(T(rnd((2, 3))), ind=1), RuntimeError)
    x = rnd((2, 4), 75)
    check(LA.vander(P(x)), np.flip(np.stack([np.vander(r) for r in x]), -1).copy(), rtol=1e-12)
    check(LA.vander(P(x), N=2), torch.linalg.vander(T(x), N=2))
    raises_like(lambda: LA.vander(P(x), N=1), lambda: torch.linalg.vander(T(x), N=1),
                RuntimeError)
    xi = np.array([1, 2, 3], np.int64)
    check(LA.vander(P(xi)), torch.linalg.vander(T(xi)))
    assert gc(lambda v: LA.vander(v, N=4), np.array([0.0, 0.5, -2.0]))


def test_cond_singular_and_svd_full_grad(need_torch):
    torch = need_torch
    z = np.stack([np.eye(3), np.zeros((3, 3))])
    for p in ["fro", 1, math.inf]:
        check(LA.cond(P(z), p), torch.linalg.cond(T(z), p))
    a = rnd((4, 3), 76)
    # full U: only the first k columns are determined; the gradient uses those
    assert_grads_match(torch, lambda x: LA.svd(x)[0][:, :3] ** 2,
                       lambda x: torch.linalg.svd(x)[0][:, :3] ** 2, a)


@pytest.mark.parametrize("layout", ["transposed", "stepped", "offset", "expanded"])
def test_strided_inputs(layout):
    from conftest import laid_out
    a = rnd((1, 4, 4), 77) + 4 * np.eye(4)
    x = laid_out(a, layout)
    check(LA.inv(x), np.linalg.inv(a), rtol=1e-10, atol=1e-12)
    check(LA.det(x), np.linalg.det(a), rtol=1e-10)
    check(LA.svdvals(x), np.linalg.svd(a, compute_uv=False), rtol=1e-10)
    check(LA.eigvalsh(x), np.linalg.eigvalsh(a), rtol=1e-10)
    check(LA.solve(x, x), np.broadcast_to(np.eye(4), (1, 4, 4)), atol=1e-12)


def test_tensor_tolerances(need_torch):
    torch = need_torch
    a = rnd((2, 3, 5, 4), 78)
    at = np.abs(rnd((2, 3), 79)) * 2
    check(LA.matrix_rank(P(a), atol=P(at)), torch.linalg.matrix_rank(T(a), atol=T(at)))
    check(LA.pinv(P(a), atol=P(at)), torch.linalg.pinv(T(a), atol=T(at)), rtol=1e-9,
          atol=1e-12)
    check(LA.pinv(P(a), rtol=0.5), torch.linalg.pinv(T(a), rtol=0.5), rtol=1e-9, atol=1e-12)


# ------------------------------------------- the top-level and Tensor-method forms (torch.det ...)

def test_legacy_forms_at_top_level_and_as_methods():
    a, s = rnd((2, 3, 3), 90), spd((3, 3), 91)
    x, xs = P(a), P(s)
    for fn, ref in [("det", np.linalg.det(a)), ("inverse", np.linalg.inv(a)),
                    ("matrix_exp", None), ("pinverse", np.linalg.pinv(a))]:
        top, meth = getattr(pynet, fn)(x), getattr(x, fn)()
        np.testing.assert_array_equal(to_np(top), to_np(meth))
        if ref is not None:
            np.testing.assert_allclose(to_np(top), ref, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(to_np(x.matrix_power(3)), np.linalg.matrix_power(a, 3), rtol=1e-10)
    sign, logabs = pynet.slogdet(x)
    ref_sign, ref_log = np.linalg.slogdet(a)
    check(sign, ref_sign)
    np.testing.assert_allclose(to_np(logabs), ref_log, rtol=1e-12)
    np.testing.assert_allclose(to_np(x.logdet()), np.where(ref_sign > 0, ref_log, np.nan),
                               rtol=1e-12)
    chol = pynet.cholesky(xs)
    np.testing.assert_allclose(to_np(chol), np.linalg.cholesky(s), rtol=1e-12)
    np.testing.assert_allclose(to_np(xs.cholesky(upper=True)), np.linalg.cholesky(s).T,
                               rtol=1e-12)
    b = rnd((3, 2), 92)
    np.testing.assert_allclose(to_np(pynet.cholesky_solve(P(b), chol)), np.linalg.solve(s, b),
                               rtol=1e-10)
    np.testing.assert_allclose(to_np(chol.cholesky_inverse()), np.linalg.inv(s), rtol=1e-10)
    q, r = x.qr()
    np.testing.assert_allclose(to_np(q.matmul(r)), a, atol=1e-13)
    u, sv, v = pynet.svd(x)  # V, not V^T
    np.testing.assert_allclose(to_np(u.matmul(sv.diag_embed()).matmul(v.mT)), a, atol=1e-13)
    lu, piv = x.lu()
    p_, l_, u_ = pynet.lu_unpack(lu, piv)
    np.testing.assert_allclose(to_np(p_.matmul(l_).matmul(u_)), a, atol=1e-13)
    sol = P(b).unsqueeze(0).expand((2, 3, 2)).lu_solve(lu, piv)
    np.testing.assert_allclose(to_np(x.matmul(sol)), np.broadcast_to(b, (2, 3, 2)), atol=1e-12)
    tri = P(np.triu(a[0]) + 3 * np.eye(3))
    xsol, clone = pynet.triangular_solve(P(b), tri)
    np.testing.assert_allclose(to_np(tri.matmul(xsol)), b, atol=1e-12)
    np.testing.assert_array_equal(to_np(clone), to_np(tri))
    assert gc(lambda t: pynet.det(t), a[0])
    assert gc(lambda t: t.inverse(), a[0])


def test_norm_matrix_orders_and_the_zero_norm():
    a = rnd((2, 3, 4), 93)
    np.testing.assert_allclose(to_np(pynet.norm(P(a[0]), "nuc")),
                               np.linalg.norm(a[0], "nuc"), rtol=1e-12)
    np.testing.assert_allclose(to_np(P(a).norm("nuc", dim=(1, 2))),
                               [np.linalg.norm(m, "nuc") for m in a], rtol=1e-12)
    with pytest.raises(RuntimeError):
        pynet.norm(P(a), "nuc")  # three dims: not a matrix norm
    x = pynet.tensor([0.0, 1.5, -2.0], requires_grad=True)
    y = pynet.norm(x, 0)  # the count of non-zeros: in the graph, with no gradient
    assert y.item() == 2.0 and y.requires_grad
    y.backward()
    assert x.grad is None


def test_fuzz_findings():
    # eigvalsh's gradient with equal eigenvalues: V^T gV is 0, so no 0 / 0 (was all NaN)
    x = pynet.eye(3, dtype=pynet.float64).requires_grad_()
    LA.eigvalsh(x).sum().backward()
    np.testing.assert_array_equal(to_np(x.grad), np.eye(3))
    x = P(np.diag([1.0, 1.0, 2.0])).requires_grad_()
    LA.eigh(x)[0].sum().backward()
    np.testing.assert_allclose(to_np(x.grad), np.eye(3), atol=1e-15)
    # matrix_exp of inf/NaN is NaN (raised); norms of an empty matrix are 0 (raised)
    assert np.isnan(to_np(LA.matrix_exp(P(np.array([[np.inf, 0.0], [0.0, 1.0]]))))).all()
    for ord in (2, 1, math.inf, "nuc"):
        assert LA.matrix_norm(pynet.zeros(0, 0), ord).item() == 0.0
    # A^0 is in the graph with a zero gradient (backward raised); pinv's older rcond name
    x = pynet.eye(2, requires_grad=True)
    LA.matrix_power(x, 0).sum().backward()
    np.testing.assert_array_equal(to_np(x.grad), np.zeros((2, 2)))
    np.testing.assert_allclose(to_np(LA.pinv(P(np.diag([1.0, 1e-8])), rcond=1e-5)),
                               np.diag([1.0, 0.0]), atol=1e-15)
    # slogdet of a matrix holding NaN: sign 0
    sign, logabs = LA.slogdet(P(np.array([[1.0, np.nan], [0.0, 1.0]])))
    assert sign.item() == 0.0 and np.isnan(logabs.item())
    # tensor() of a list of float64 0-d tensors is float64 (was float32)
    assert pynet.tensor([pynet.tensor(1.5, dtype=pynet.float64)] * 2).dtype == pynet.float64
    assert pynet.tensor([1, pynet.tensor(2.5)]).dtype == pynet.float32


def test_svd_of_non_finite_matrices_as_torch():
    a = P(np.array([[1.0, np.nan], [0.0, 1.0]]))
    for fn in (LA.svd, LA.svdvals, LA.pinv, LA.matrix_rank):
        with pytest.raises(LA.LinAlgError, match="non-finite"):
            fn(a)
    # an infinite entry: the whole matrix's factors are NaN, the others' untouched
    s = to_np(LA.svdvals(pynet.stack([P(np.array([[1.0, np.inf], [0.0, 1.0]])),
                                      pynet.eye(2, dtype=pynet.float64)])))
    assert np.isnan(s[0]).all()
    np.testing.assert_allclose(s[1], [1.0, 1.0], rtol=1e-15)
