"""The activation modules of pynet.nn and the activations written with other ops (glu,
softmin, rrelu, Softmax2d): values against NumPy, reprs and errors as PyTorch's.
(Values and gradients of every functional activation are in test_nn_functional.py.)"""
import numpy as np
import pytest

import pynet
import pynet.nn as nn
import pynet.nn.functional as F

try:
    import torch
    import torch.nn as tnn
    import torch.nn.functional as TF
except ImportError:  # pragma: no cover
    torch = tnn = TF = None


def _x(*shape, seed=0):
    return np.random.default_rng(seed).uniform(-5, 5, shape)


def _sig(x):
    return 1 / (1 + np.exp(-x))


# module name, constructor args, NumPy forward
MODULES = [
    ("SiLU", (), lambda x: x * _sig(x)),
    ("Mish", (), lambda x: x * np.tanh(np.logaddexp(0, x))),
    ("LogSigmoid", (), lambda x: -np.logaddexp(0, -x)),
    ("SELU", (), lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772
                                                         * np.expm1(x))),
    ("CELU", (0.5,), lambda x: np.where(x > 0, x, 0.5 * np.expm1(x / 0.5))),
    ("ReLU6", (), lambda x: np.clip(x, 0, 6)),
    ("Hardtanh", (-2.0, 3.0), lambda x: np.clip(x, -2, 3)),
    ("Hardsigmoid", (), lambda x: np.clip(x + 3, 0, 6) / 6),
    ("Hardswish", (), lambda x: x * np.clip(x + 3, 0, 6) / 6),
    ("Threshold", (0.1, 20.0), lambda x: np.where(x <= 0.1, 20.0, x)),
    ("Hardshrink", (1.5,), lambda x: np.where(np.abs(x) <= 1.5, 0, x)),
    ("Softshrink", (0.3,), lambda x: np.where(np.abs(x) <= 0.3, 0, x - 0.3 * np.sign(x))),
    ("Softsign", (), lambda x: x / (1 + np.abs(x))),
    ("Tanhshrink", (), lambda x: x - np.tanh(x)),
    ("Softmin", (1,), lambda x: np.exp(-x) / np.exp(-x).sum(1, keepdims=True)),
    ("GLU", (), lambda x: x[..., :2] * _sig(x[..., 2:])),
    ("Softmax2d", (), lambda x: np.exp(x) / np.exp(x).sum(-3, keepdims=True)),
]


@pytest.mark.parametrize("name,args,ref", MODULES, ids=[m[0] for m in MODULES])
def test_module_matches_numpy(name, args, ref):
    x = _x(2, 3, 4)
    m = getattr(nn, name)(*args)
    assert m.__doc__ and isinstance(m, nn.Module)
    for dt, rtol in [(pynet.float64, 1e-12), (pynet.float32, 2e-6)]:
        out = m(pynet.tensor(x, dtype=dt))
        assert out.dtype == dt
        np.testing.assert_allclose(out.numpy(), ref(x), rtol=rtol, atol=rtol)


@pytest.mark.parametrize("name,args,ref", MODULES, ids=[m[0] for m in MODULES])
def test_module_repr_and_values_as_torch(name, args, ref, need_torch):
    x = _x(2, 3, 4, seed=1)
    m, tm = getattr(nn, name)(*args), getattr(tnn, name)(*args)
    assert repr(m) == repr(tm)
    np.testing.assert_allclose(m(pynet.tensor(x)).numpy(), tm(torch.tensor(x)).numpy(),
                               rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("ctor", ["SiLU(inplace=True)", "Mish(True)", "SELU(True)",
                                  "CELU(0.7, True)", "ReLU6(True)", "Hardtanh(-1.0, 2.0, True)",
                                  "Hardsigmoid(True)", "Hardswish(True)",
                                  "Threshold(0.5, -1.0, True)", "RReLU(0.1, 0.3, True)"])
def test_inplace_modules_overwrite_input_and_repr(ctor):
    m = eval("nn." + ctor)
    x = pynet.tensor(_x(3, 4, seed=2))
    ref = eval("nn." + ctor.replace("True", "False"))
    ref.eval(), m.eval()
    expected = ref(x.clone()).numpy()
    out = m(x)
    assert out is x
    np.testing.assert_array_equal(x.numpy(), expected)
    if torch is not None:  # (torch's Hardsigmoid and Hardswish do not show inplace)
        assert repr(m) == repr(eval("tnn." + ctor))


def test_glu_halves_along_dim_and_errors():
    x = _x(4, 6, seed=3)
    np.testing.assert_allclose(F.glu(pynet.tensor(x), 0).numpy(), x[:2] * _sig(x[2:]), rtol=1e-12)
    np.testing.assert_allclose(F.glu(pynet.tensor(x)).numpy(), x[:, :3] * _sig(x[:, 3:]),
                               rtol=1e-12)
    with pytest.raises(RuntimeError, match="Halving dimension must be even, but dimension 1 "
                                           "is size 5"):
        F.glu(pynet.ones(3, 5), 1)
    with pytest.raises(RuntimeError, match="scalars"):
        F.glu(pynet.tensor(1.0))
    with pytest.raises(IndexError, match="Dimension out of range"):
        F.glu(pynet.ones(2, 4), 2)


def test_glu_gradient_matches_torch(need_torch):
    x = _x(3, 8, seed=4)
    px, tx = pynet.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    g = _x(3, 4, seed=5)
    F.glu(px).backward(pynet.tensor(g))
    TF.glu(tx).backward(torch.tensor(g))
    np.testing.assert_allclose(px.grad.numpy(), tx.grad.numpy(), rtol=1e-12)


def test_softmin_is_softmax_of_negation_and_warns_without_dim():
    x = _x(3, 5, seed=6)
    e = np.exp(-(x - x.min(0)))
    np.testing.assert_allclose(F.softmin(pynet.tensor(x), 0).numpy(), e / e.sum(0), rtol=1e-12)
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmin"):
        F.softmin(pynet.tensor(x))
    out = F.softmin(pynet.tensor(x, dtype=pynet.float32), 1, dtype=pynet.float64)
    assert out.dtype == pynet.float64


def test_rrelu_training_slopes_in_bounds_and_eval_uses_their_mean():
    x = pynet.tensor(-np.abs(_x(20000, seed=7)) - 0.1)
    pynet.manual_seed(0)
    y = F.rrelu(x, 0.1, 0.3, training=True)
    slopes = (y / x).numpy()
    assert slopes.min() >= 0.1 and slopes.max() <= 0.3
    assert abs(slopes.mean() - 0.2) < 0.005 and slopes.std() > 0.05  # uniform: std 0.0577
    pynet.manual_seed(0)
    np.testing.assert_array_equal(F.rrelu(x, 0.1, 0.3, training=True).numpy(), y.numpy())
    np.testing.assert_allclose(F.rrelu(x, 0.1, 0.3).numpy(), x.numpy() * 0.2, rtol=1e-6)
    pos = pynet.tensor(np.abs(_x(10, seed=8)))
    np.testing.assert_array_equal(F.rrelu(pos, training=True).numpy(), pos.numpy())
    m = nn.RReLU(0.1, 0.3)
    assert m.training and (m(x) / x).numpy().std() > 0.05
    m.eval()
    np.testing.assert_allclose(m(x).numpy(), x.numpy() * 0.2, rtol=1e-6)


def test_rrelu_gradient_is_the_drawn_slope():
    x = pynet.tensor(np.array([-2.0, -1.0, 3.0]), requires_grad=True)
    y = F.rrelu(x, 0.2, 0.25, training=True)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), (y / x).detach().numpy(), rtol=1e-15)


def test_threshold_on_integers():
    x = pynet.tensor([-3, 0, 1, 5])
    out = F.threshold(x, 1, 9)
    assert out.dtype == pynet.int64 and out.tolist() == [9, 9, 9, 5]


@pytest.mark.parametrize("call", ["F.celu(X, 0.0)", "F.softshrink(X, -1.0)",
                                  "F.rrelu(X, 0.5, 0.1)", "F.mish(I)", "F.logsigmoid(I)",
                                  "F.hardswish(I)", "F.selu(I)", "F.glu(pynet.ones(3), 0)",
                                  "nn.Softmax2d()(pynet.ones(3))", "nn.Hardtanh(2.0, 1.0)"])
def test_errors_as_torch(call, need_torch):
    env = {"F": F, "nn": nn, "pynet": pynet, "X": pynet.ones(3), "I": pynet.tensor([1, 2])}
    tenv = {"F": TF, "nn": tnn, "pynet": torch, "X": torch.ones(3), "I": torch.tensor([1, 2])}
    with pytest.raises(Exception) as te:
        eval(call, tenv)
    with pytest.raises(type(te.value)):
        eval(call, env)


def test_selu_keeps_unit_variance():
    # the point of SELU's constants: standard normal in, mean ~0 and variance ~1 out
    x = np.random.default_rng(9).standard_normal(200000)
    y = F.selu(pynet.tensor(x)).numpy()
    assert abs(y.mean()) < 0.01 and abs(y.var() - 1) < 0.01


@pytest.mark.parametrize("call", ["F.leaky_relu(X, 0.01)", "F.leaky_relu(X, 0.3)",
                                  "F.hardtanh(X, -1.3, 2.2)", "F.relu6(X)", "F.hardsigmoid(X)",
                                  "F.hardswish(X)", "F.threshold(X, 0.7, -3.3)",
                                  "F.hardshrink(X, 0.6)", "F.softshrink(X, 0.45)"])
def test_piecewise_linear_float32_bits_as_torch(call, need_torch):
    """The piecewise-linear activations compute in float32 as PyTorch does: same bits,
    forward and backward."""
    rng = np.random.default_rng(11)
    x = (rng.standard_normal(10007) * 3).astype(np.float32)
    x[:6] = [-3.0, 3.0, 0.0, -0.0, 0.6, -0.45]
    g = rng.standard_normal(10007).astype(np.float32)
    px, tx = pynet.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    py, ty = eval(call, {"F": F, "X": px}), eval(call, {"F": TF, "X": tx})
    py.backward(pynet.tensor(g))
    ty.backward(torch.tensor(g))
    np.testing.assert_array_equal(py.detach().numpy(), ty.detach().numpy())
    np.testing.assert_array_equal(px.grad.numpy(), tx.grad.numpy())


@pytest.mark.parametrize("fn", ["relu", "tanh", "sigmoid"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_fused_backward_of_an_expanded_gradient(fn, dtype):
    # x.f().sum().backward() hands f's backward one value expanded over x (a scalar
    # first operand of the fused backward kernel, a loop of its own): same values
    # as with the gradient materialised, NaN and +-0 included.
    a = _x(70, 33, seed=3).astype(dtype)
    a[0, :4] = [np.nan, 0.0, -0.0, np.inf]
    grads = []
    for g in (pynet.tensor(np.array(1.5, dtype)).expand(70, 33), pynet.full((70, 33), 1.5,
                                                                           dtype=getattr(pynet, dtype))):
        x = pynet.tensor(a, requires_grad=True)
        getattr(pynet, fn)(x).backward(g)
        grads.append(x.grad.numpy())
    np.testing.assert_array_equal(grads[0], grads[1])
    # the kernels' formulas, in the dtype, on pynet's own forward output
    y = getattr(pynet, fn)(pynet.tensor(a)).numpy()
    g = np.asarray(1.5, dtype)
    ref = {"relu": lambda: np.where(y <= 0, np.zeros((), dtype), g),
           "tanh": lambda: g * (1 - y * y), "sigmoid": lambda: g * y * (1 - y)}[fn]()
    np.testing.assert_array_equal(grads[0], ref)
