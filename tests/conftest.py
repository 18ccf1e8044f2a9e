"""Small helpers shared by the op tests: compare pynet results with NumPy / torch."""
import os
import sys

import numpy as np
import pytest

import pynet

if os.environ.get("PYNET_TEST_WITHOUT_TORCH"):  # CI: run as on a machine without PyTorch
    sys.modules["torch"] = None

try:  # torch is optional: tests that need it call pytest.importorskip("torch")
    import torch
except ImportError:  # pragma: no cover
    torch = None

DTYPES = ["bool", "int64", "float32", "float64"]
FLOAT_DTYPES = ["float32", "float64"]


def dname(dt):
    """'float32' for pynet.float32, torch.float32, np.float32, np.dtype('float32')."""
    if isinstance(dt, pynet.dtype) or (torch is not None and isinstance(dt, torch.dtype)):
        return str(dt).split(".")[-1]
    return np.dtype(dt).name


def pdt(name):
    """pynet dtype object for a dtype name."""
    return getattr(pynet, name)


def tdt(name):
    return getattr(torch, name)


def to_np(t):
    """A NumPy copy of a pynet tensor (checks it really is a pynet tensor)."""
    assert isinstance(t, pynet.Tensor), f"expected a pynet.Tensor, got {type(t).__name__}"
    return np.array(t.detach().numpy(force=True), copy=True)


def P(a):
    """pynet tensor holding a copy of numpy array a (same dtype)."""
    return pynet.tensor(np.asarray(a))


def T(a):
    """torch tensor holding a copy of numpy array a (same dtype)."""
    return torch.tensor(np.asarray(a))


def check(pn_out, ref, rtol=1e-6, atol=0.0, dtype=True):
    """Compare a pynet tensor with a reference (NumPy array/scalar or torch tensor).

    Checks shape, dtype (dtype=True: same name as the reference's; a str: that name;
    False: not checked) and values (exact for bool/int, allclose with NaN==NaN otherwise).
    """
    if torch is not None and isinstance(ref, torch.Tensor):
        ref_dtype = dname(ref.dtype)
        ref = ref.detach().numpy()
    else:
        ref = np.asarray(ref)
        ref_dtype = ref.dtype.name
    got = to_np(pn_out)
    assert tuple(pn_out.shape) == ref.shape, f"shape {tuple(pn_out.shape)} != {ref.shape}"
    assert got.shape == ref.shape, f"numpy() shape {got.shape} != {ref.shape}"
    if dtype is True:
        assert dname(pn_out.dtype) == ref_dtype, f"dtype {pn_out.dtype} != {ref_dtype}"
    elif dtype:
        assert dname(pn_out.dtype) == dtype, f"dtype {pn_out.dtype} != {dtype}"
    assert dname(got.dtype) == dname(pn_out.dtype), "numpy() dtype differs from tensor dtype"
    if ref.dtype.kind in "biu" and got.dtype.kind in "biu":
        np.testing.assert_array_equal(got, ref)
    else:
        np.testing.assert_allclose(got, ref, rtol=rtol, atol=atol, equal_nan=True)


def rand_np(shape, dtype, seed=0, low=-3, high=3, nonzero=False):
    """Deterministic NumPy test data of a dtype (bool/int64/float32/float64)."""
    rng = np.random.default_rng(seed)
    if dtype == "bool":
        return np.asarray(rng.random(shape) < 0.5)
    if dtype == "int64":
        a = np.asarray(rng.integers(low, high + 1, size=shape), dtype=np.int64)
        if nonzero:
            a[a == 0] = 1
        return a
    a = np.asarray(rng.random(shape) * (high - low) + low, dtype=dtype)
    if nonzero:
        a[np.abs(a) < 0.1] = 0.5
    return a


LAYOUTS = ["contiguous", "transposed", "stepped", "offset"]


def laid_out(a, layout):
    """A pynet tensor holding NumPy array a in the given memory layout: a view for all but
    'contiguous' ('transposed': the first and last dims swapped in memory; 'stepped': every
    other element of a wider last dim; 'offset': not at the start of its storage;
    'expanded': a first dim of size 1 broadcast, else the offset view)."""
    if a.ndim == 0 or layout == "contiguous":
        return pynet.tensor(a)
    if layout == "transposed":
        return pynet.tensor(np.ascontiguousarray(np.swapaxes(a, 0, -1))).transpose(0, -1)
    if layout == "stepped":
        big = np.zeros(a.shape[:-1] + (2 * a.shape[-1],), a.dtype)
        big[..., ::2] = a
        return pynet.tensor(big)[..., ::2]
    if layout == "expanded" and a.shape[0] == 1:
        return pynet.tensor(a[0]).expand(a.shape)
    big = np.zeros((a.shape[0] + 1,) + a.shape[1:], a.dtype)  # offset
    big[1:] = a
    return pynet.tensor(big)[1:]


def expected_exc(torch_exc_type):
    """Exception types pynet may raise where torch raised torch_exc_type. torch's
    NotImplementedError ("... not implemented for 'Long'") is a RuntimeError subclass, and a
    plain RuntimeError is accepted for it; everything else must match exactly."""
    if torch_exc_type is NotImplementedError:
        return (NotImplementedError, RuntimeError)
    return (torch_exc_type,)


def raises_like(pn_call, th_call=None, exc=None):
    """pn_call raises what th_call raises in PyTorch (or exc, when torch is absent)."""
    if th_call is not None and torch is not None:
        with pytest.raises(Exception) as te:
            th_call()
        exc = expected_exc(type(te.value))
    with pytest.raises(exc):
        pn_call()


def gc(fn, *arrays):
    """pynet.autograd.gradcheck of fn at the given arrays, as float64 tensors."""
    return pynet.autograd.gradcheck(fn, tuple(
        pynet.tensor(np.asarray(a, dtype=np.float64), requires_grad=True) for a in arrays))


@pytest.fixture
def need_torch():
    return pytest.importorskip("torch")
