"""as_strided (function, method, in place) and empty_strided: views of a tensor's memory with
any shape and strides, against NumPy's as_strided, hand gradients, gradcheck and PyTorch."""
import numpy as np
import pytest
from numpy.lib.stride_tricks import as_strided as np_as_strided

import pynet

from conftest import gc, raises_like, to_np, torch

# (size, stride, storage_offset) over a 12-element memory
CASES = [((3, 4), (4, 1), None), ((4, 3), (1, 4), 0), ((2, 3, 2), (4, 1, 1), 0),
         ((3, 3), (2, 1), 1), ((5,), (0,), 3), ((2, 2), (0, 1), 10), ((0, 3), (1, 1), 5),
         ((), (), 7), ((6,), (2,), 0)]


def _np_view(a, size, stride, offset):
    flat = a.reshape(-1)
    off = 0 if offset is None else offset
    return np_as_strided(flat[off:], size, [s * flat.itemsize for s in stride])


@pytest.mark.parametrize("size,stride,offset", CASES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_values_are_numpys(size, stride, offset, dtype):
    a = np.arange(12, dtype=dtype)
    x = pynet.tensor(a)
    v = x.as_strided(size, stride, offset) if offset is not None else x.as_strided(size, stride)
    assert v.shape == size and v.stride() == stride
    assert v.storage_offset() == (offset or 0)
    np.testing.assert_array_equal(to_np(v), _np_view(a, size, stride, offset))
    np.testing.assert_array_equal(to_np(pynet.as_strided(x, size, stride, offset)), to_np(v))


def test_a_view_shares_memory_and_starts_at_the_input_offset_by_default():
    x = pynet.arange(12.0)
    tail = x[2:]
    v = tail.as_strided((2, 2), (1, 2))  # from tail's own offset, 2
    np.testing.assert_array_equal(to_np(v), [[2, 4], [3, 5]])
    v.fill_(-1)
    assert to_np(x)[2:6].tolist() == [-1, -1, -1, -1]
    w = tail.as_strided((2,), (1,), 0)  # an explicit offset counts from the memory's start
    np.testing.assert_array_equal(to_np(w), [0, 1])


@pytest.mark.parametrize("size,stride,offset", [c for c in CASES if c[2] is not None])
def test_gradient_adds_up_over_repeated_elements(size, stride, offset):
    a = np.arange(12.0)
    x = pynet.tensor(a, requires_grad=True)
    w = np.random.default_rng(0).standard_normal(size)
    (x.as_strided(size, stride, offset) * pynet.tensor(w)).sum().backward()
    expected = np.zeros(12)
    idx = _np_view(np.arange(12), size, stride, offset)
    np.add.at(expected, idx, w)
    np.testing.assert_allclose(to_np(x.grad), expected, rtol=1e-15)


def test_gradcheck_of_overlapping_windows():
    assert gc(lambda x: x.as_strided((3, 4), (2, 1), 1).exp(), np.linspace(-1, 1, 12))


def test_matches_torch(need_torch):
    a = np.random.default_rng(1).standard_normal(12)
    out = []
    for lib in (pynet, torch):
        x = lib.tensor(a, requires_grad=True)
        v = x.as_strided((3, 3), (2, 1), 1)
        (v.sin() * lib.arange(9.0).reshape(3, 3)).sum().backward()
        out.append((v.detach().numpy(), x.grad.numpy(), tuple(v.stride()), v.storage_offset()))
    np.testing.assert_allclose(out[0][0], out[1][0], rtol=1e-15)
    np.testing.assert_allclose(out[0][1], out[1][1], rtol=1e-15)
    assert out[0][2:] == out[1][2:]


def test_what_pynet_cannot_differentiate_says_so():
    x = pynet.arange(12.0, requires_grad=True)
    with pytest.raises(NotImplementedError, match="contiguous"):
        x.reshape(3, 4).t().as_strided((2,), (3,))  # a transposed (non-contiguous) input
    with pytest.raises(NotImplementedError, match="outside"):
        x[4:].as_strided((2,), (1,), 0)  # reaches before the input's first element
    with pynet.no_grad():  # without autograd both are plain views
        np.testing.assert_array_equal(to_np(x[4:].as_strided((2,), (1,), 0)), [0, 1])


def test_in_place_form_changes_self():
    a = pynet.tensor(np.arange(12.0), requires_grad=True)
    y = a * 2
    before = y._version
    assert y.as_strided_((3, 3), (2, 1), 1) is y
    assert y.shape == (3, 3) and y.stride() == (2, 1) and y._version == before + 1
    y.sum().backward()
    np.testing.assert_array_equal(to_np(a.grad), 2 * np.bincount(
        _np_view(np.arange(12), (3, 3), (2, 1), 1).ravel(), minlength=12))


BAD = [
    (lambda lib: lib.arange(12.0).as_strided((3, 3), (5, 5)), RuntimeError),  # out of bounds
    (lambda lib: lib.arange(12.0).as_strided((3,), (-1,)), RuntimeError),
    (lambda lib: lib.arange(12.0).as_strided((3,), (1, 2)), RuntimeError),
    (lambda lib: lib.arange(12.0).as_strided((3,), (1,), -1), RuntimeError),
    (lambda lib: lib.arange(12.0).as_strided((3,), (1,), 10), RuntimeError),
    (lambda lib: lib.arange(12.0).as_strided((3,), (1.5,)), TypeError),
    (lambda lib: lib.empty_strided((2,), (-1,)), RuntimeError),
    (lambda lib: lib.empty_strided((2, 3), (1,)), RuntimeError),
    (lambda lib: lib.empty_strided((-1,), (1,)), RuntimeError),
    (lambda lib: lib.empty_strided((2,), (1,), pin_memory=True), RuntimeError),
]


@pytest.mark.parametrize("call,exc", BAD)
def test_bad_calls_raise(call, exc):
    raises_like(lambda: call(pynet), (lambda: call(torch)) if torch else None, exc=exc)


@pytest.mark.parametrize("size,stride", [((2, 3), (1, 2)), ((2, 3), (3, 1)), ((4,), (0,)),
                                         ((2, 0), (1, 2)), ((), ()), ((3, 2), (5, 1))])
def test_empty_strided_has_the_layout_and_its_own_memory(size, stride):
    t = pynet.empty_strided(size, stride)
    assert t.shape == size and t.stride() == stride and t.dtype == pynet.float32
    assert t._base is None and t.storage_offset() == 0
    t.fill_(3.0)  # every element writable, inside the memory
    assert (to_np(t) == 3).all()
    d = pynet.empty_strided(size, stride, dtype=pynet.float64, requires_grad=True)
    assert d.dtype == pynet.float64 and d.requires_grad and d.is_leaf


def test_empty_strided_matches_torch(need_torch):
    for size, stride in [((2, 3), (1, 2)), ((4,), (0,)), ((2, 0), (1, 2))]:
        p, t = pynet.empty_strided(size, stride), torch.empty_strided(size, stride)
        assert tuple(p.shape) == tuple(t.shape) and p.stride() == t.stride()
