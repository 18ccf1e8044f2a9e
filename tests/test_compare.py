"""isclose, allclose, equal, masked_select and norm: against NumPy, PyTorch and gradcheck."""
import math

import numpy as np
import pytest

import pynet
from pynet.autograd import gradcheck

from conftest import to_np, torch

PS = ["fro", 2, 1, math.inf, -math.inf, 0, 3, 0.5]
DIMS = [None, 1, (0, 1), -1, (0, 2)]


@pytest.mark.parametrize("p", PS, ids=str)
@pytest.mark.parametrize("dim", DIMS, ids=str)
@pytest.mark.parametrize("keepdim", [False, True])
def test_norm_matches_numpy(p, dim, keepdim):
    x = np.random.default_rng(0).standard_normal((3, 4, 2))
    x[0, 0, 0] = 0.0
    axis = dim
    ref = (np.linalg.norm(x.reshape(-1), ord=2 if p == "fro" else p) if dim is None
           else np.linalg.norm(x, ord=2 if p == "fro" else p, axis=axis, keepdims=keepdim)
           if isinstance(dim, int) else
           (np.sum(np.abs(x) ** p, axis=axis, keepdims=keepdim) ** (1 / p) if p not in
            ("fro", 2, 1, 0, math.inf, -math.inf) else None))
    if ref is None:  # numpy's 2-axis norm is a matrix norm: the vector one by hand
        a = np.abs(x)
        ref = {"fro": np.sqrt((a * a).sum(axis, keepdims=keepdim)), 2: np.sqrt(
            (a * a).sum(axis, keepdims=keepdim)), 1: a.sum(axis, keepdims=keepdim),
            0: (x != 0).sum(axis, keepdims=keepdim).astype(float),
            math.inf: a.max(axis, keepdims=keepdim),
            -math.inf: a.min(axis, keepdims=keepdim)}[p]
    if dim is None and keepdim:  # every dim reduced and kept, as PyTorch
        ref = np.reshape(ref, (1,) * x.ndim)
    got = pynet.tensor(x).norm(p, dim, keepdim)
    np.testing.assert_allclose(to_np(got), ref, rtol=1e-12)


@pytest.mark.parametrize("p", PS, ids=str)
@pytest.mark.parametrize("dim", DIMS, ids=str)
def test_norm_values_and_gradients_match_torch(need_torch, p, dim):
    x = np.random.default_rng(1).standard_normal((3, 4, 2))
    a, b = pynet.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ra, rb = a.norm(p, dim), b.norm(p, dim)
    np.testing.assert_allclose(to_np(ra), rb.detach().numpy(), rtol=1e-12)
    if p != 0:
        ra.sum().backward()
        rb.sum().backward()
        np.testing.assert_allclose(to_np(a.grad), b.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_norm_gradient_is_zero_at_the_zero_vector_and_passes_gradcheck():
    z = pynet.zeros(2, 3, dtype=pynet.float64, requires_grad=True)
    z.norm(dim=1).sum().backward()
    assert (to_np(z.grad) == 0).all()
    x = pynet.randn(3, 4, dtype=pynet.float64, requires_grad=True)
    assert gradcheck(lambda x: x.norm(dim=(0, 1), keepdim=True), (x,))
    assert gradcheck(lambda x: pynet.norm(x, 3, 1), (x,))


def test_norm_refuses_integers_and_takes_matrix_norms():
    with pytest.raises(RuntimeError, match="floating point"):
        pynet.tensor([1, 2]).norm()
    # 'nuc' goes to linalg.matrix_norm: ones(2, 2) has singular values 2 and 0
    assert abs(pynet.ones(2, 2).norm("nuc").item() - 2.0) < 1e-6


def test_isclose_follows_torchs_rule():
    a = pynet.tensor([1.0, float("inf"), float("-inf"), float("nan"), 2.0, 1e-9, 100.0])
    b = pynet.tensor([1.000001, float("inf"), float("inf"), float("nan"), 2.1, 0.0, 100.001])
    ref = np.isclose(to_np(a), to_np(b))  # NumPy's rule is the same: atol + rtol |b|
    np.testing.assert_array_equal(to_np(pynet.isclose(a, b)), ref)
    np.testing.assert_array_equal(to_np(a.isclose(b, equal_nan=True)),
                                  np.isclose(to_np(a), to_np(b), equal_nan=True))
    assert not pynet.allclose(a, b) and pynet.allclose(a[:2], b[:2])
    assert pynet.allclose(pynet.tensor([3, 4]), pynet.tensor([3, 4]))
    with pytest.raises(RuntimeError, match="same dtype"):
        pynet.isclose(pynet.ones(2), pynet.ones(2, dtype=pynet.float64))


def test_isclose_matches_torch(need_torch):
    rng = np.random.default_rng(2)
    x = rng.standard_normal(50)
    y = x + rng.standard_normal(50) * np.logspace(-10, 0, 50)
    for rtol, atol in [(1e-5, 1e-8), (0, 1e-3), (1e-2, 0)]:
        np.testing.assert_array_equal(
            to_np(pynet.isclose(pynet.tensor(x), pynet.tensor(y), rtol, atol)),
            torch.isclose(torch.tensor(x), torch.tensor(y), rtol, atol).numpy())


def test_equal_and_masked_select():
    a = pynet.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert pynet.equal(a, a.clone()) and not pynet.equal(a, a.t()) and \
        not pynet.equal(a, a.reshape(4))
    m = pynet.tensor([True, False])
    np.testing.assert_array_equal(to_np(a.masked_select(m)), [1.0, 3.0])  # broadcast rows
    x = pynet.tensor([1.0, 2.0, 3.0], requires_grad=True)
    pynet.masked_select(x, x > 1.5).sum().backward()
    np.testing.assert_array_equal(to_np(x.grad), [0.0, 1.0, 1.0])
    with pytest.raises(RuntimeError, match="BoolTensor"):
        a.masked_select(pynet.tensor([1, 0]))
