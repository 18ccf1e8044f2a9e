"""Kernels split across the thread pool give the same results at 1 and at 2 threads,
and match NumPy: elementwise, row kernels (softmax, log_softmax, max/argmax along a
dim), reductions."""
import numpy as np
import pytest

import pynet


@pytest.fixture(params=[1, 2])
def threads(request):
    prev = pynet.get_num_threads()
    pynet.set_num_threads(request.param)
    yield request.param
    pynet.set_num_threads(prev)


def _x(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


@pytest.mark.parametrize("shape,dim", [((300, 2000), 1), ((2000, 300), 0), ((40, 50, 60), 1)])
def test_softmax_rows(threads, shape, dim):
    x = _x(shape)
    e = np.exp(x.astype(np.float64) - x.max(axis=dim, keepdims=True))
    ref = e / e.sum(axis=dim, keepdims=True)
    out = pynet.from_numpy(x).softmax(dim).numpy()
    np.testing.assert_allclose(out, ref, rtol=2e-6, atol=1e-9)
    lout = pynet.from_numpy(x).log_softmax(dim).numpy()
    np.testing.assert_allclose(lout, np.log(ref), rtol=1e-5, atol=2e-6)


@pytest.mark.parametrize("shape,dim", [((300, 2000), 1), ((2000, 300), 0)])
def test_max_argmax_rows(threads, shape, dim):
    x = _x(shape, 1)
    v, i = pynet.from_numpy(x).max(dim)
    np.testing.assert_array_equal(v.numpy(), x.max(axis=dim))
    np.testing.assert_array_equal(i.numpy(), x.argmax(axis=dim))


def test_elementwise_and_sum_large(threads):
    a, b = _x((1000, 700), 2), _x((700,), 3)
    out = (pynet.from_numpy(a) * pynet.from_numpy(b) + 1.5).exp()
    np.testing.assert_allclose(out.numpy(), np.exp(a * b + 1.5), rtol=3e-6)
    s = pynet.from_numpy(a).sum(0).numpy()
    np.testing.assert_allclose(s, a.astype(np.float64).sum(0), rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("dims", [None, 0, 1, (0, 1)])
def test_parallel_reductions_all_kinds(threads, dims):
    a = _x((900, 800), 4)
    ax = dims if dims is None or isinstance(dims, int) else tuple(dims)
    t = pynet.from_numpy(a)
    ref64 = a.astype(np.float64)
    np.testing.assert_allclose(t.sum(dims).numpy() if dims is not None else t.sum().numpy(),
                               ref64.sum(axis=ax), rtol=1e-5, atol=1e-3)
    np.testing.assert_array_equal(t.amax(dims).numpy() if dims is not None else t.amax().numpy(),
                                  a.max(axis=ax))
    np.testing.assert_array_equal(t.amin(dims).numpy() if dims is not None else t.amin().numpy(),
                                  a.min(axis=ax))
    b = a > 0
    np.testing.assert_array_equal(
        pynet.from_numpy(b).sum(dims).numpy() if dims is not None else pynet.from_numpy(b).sum().numpy(),
        b.sum(axis=ax))
    ints = (a * 100).astype(np.int64)
    np.testing.assert_array_equal(
        pynet.from_numpy(ints).sum(dims).numpy() if dims is not None
        else pynet.from_numpy(ints).sum().numpy(), ints.sum(axis=ax))


def test_parallel_max_keeps_nan(threads):
    a = _x((1000, 700), 5)
    a[777, 3] = np.nan
    assert np.isnan(pynet.from_numpy(a).amax().item())
    assert np.isnan(pynet.from_numpy(a).sum().item())
