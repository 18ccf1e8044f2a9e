"""set_default_dtype / get_default_dtype / set_default_tensor_type: the dtype of floating
point tensors made without one, as in PyTorch (factories, tensor() of Python floats,
layers' parameters, true division and float-only ops of integers, optimizer step counts)."""
import warnings

import numpy as np
import pytest

import pynet

from conftest import torch


@pytest.fixture
def float64_default():
    pynet.set_default_dtype(pynet.float64)
    try:
        yield
    finally:
        pynet.set_default_dtype(pynet.float32)


# (expression, dtype name with float64 as the default); lib is pynet or torch
MADE = [
    ("lib.zeros(2)", "float64"), ("lib.ones(2, 3)", "float64"), ("lib.empty(0)", "float64"),
    ("lib.full((2,), 1.5)", "float64"), ("lib.full((2,), 2)", "int64"),
    ("lib.randn(2)", "float64"), ("lib.rand(2)", "float64"),
    ("lib.normal(0., 1., (2,))", "float64"),
    ("lib.tensor([1.5, 2])", "float64"), ("lib.tensor(1.5)", "float64"),
    ("lib.tensor([1, 2])", "int64"), ("lib.tensor([True])", "bool"),
    ("lib.tensor(np.float32(1))", "float32"), ("lib.tensor(np.array([1.0]))", "float64"),
    ("lib.tensor([lib.tensor(1.0), 2.5])", "float64"),
    ("lib.arange(0., 3)", "float64"), ("lib.arange(3)", "int64"),
    ("lib.linspace(0, 1, 3)", "float64"), ("lib.logspace(0, 1, 3)", "float64"),
    ("lib.eye(2)", "float64"), ("lib.scalar_tensor(1)", "float64"),
    ("lib.tensor([1, 2]) / 2", "float64"), ("lib.tensor([1, 2]) * 1.5", "float64"),
    ("lib.tensor([1, 2]).sin()", "float64"), ("lib.tensor([1, 2]).float()", "float32"),
    ("lib.zeros(2, dtype=lib.float32)", "float32"), ("lib.randint(0, 3, (2,))", "int64"),
    ("lib.Tensor(2, 3)", "float64"), ("lib.Tensor([1, 2])", "float64"),
    ("lib.nn.Linear(2, 3).weight", "float64"), ("lib.nn.Conv2d(1, 2, 3).bias", "float64"),
    ("lib.nn.BatchNorm1d(3).running_mean", "float64"), ("lib.nn.LayerNorm(3).weight", "float64"),
    ("lib.nn.Embedding(3, 2).weight", "float64"), ("lib.nn.LSTM(2, 3).weight_ih_l0", "float64"),
    ("lib.nn.MultiheadAttention(4, 2).in_proj_weight", "float64"),
    # integer inputs of the functions composed in Python take the default too
    ("lib.logit(lib.tensor([1, 2]))", "float64"), ("lib.deg2rad(lib.tensor([1, 2]))", "float64"),
    ("lib.rad2deg(lib.tensor([1, 2]))", "float64"), ("lib.sinc(lib.tensor([0, 1]))", "float64"),
    ("lib.i0(lib.tensor([1, 2]))", "float64"), ("lib.tensor([-1, 2]).angle()", "float64"),
    ("lib.mvlgamma(lib.tensor([3, 4]), 2)", "float64"),
    ("lib.xlogy(lib.tensor([1, 2]), lib.tensor([2, 3]))", "float64"),
    ("lib.copysign(lib.tensor([1, 2]), -1)", "float64"),
    ("lib.gradient(lib.tensor([1, 4, 9]))[0]", "float64"), ("lib.block_diag()", "float64"),
    # NumPy float32 values keep float32 in lists, unless a Python float joins them
    ("lib.tensor([np.float32(1.5)])", "float32"), ("lib.as_tensor([np.float32(1.5)])", "float32"),
    ("lib.tensor([np.ones(2, np.float32)] * 2)", "float32"),
    ("lib.tensor([np.float32(1.5), 2.0])", "float64"),
    # the legacy constructor of a tensor keeps its dtype (and memory)
    ("lib.Tensor(lib.tensor([1.5]).float())", "float32"),
    ("lib.Tensor(lib.tensor([1, 2]))", "int64"),
]


@pytest.mark.parametrize("expr,want", MADE)
def test_what_is_made_without_a_dtype(float64_default, expr, want):
    lib = pynet  # noqa: F841 (used by eval)
    assert str(eval(expr).dtype) == "pynet." + want


@pytest.mark.filterwarnings("ignore:Creating a tensor from a list of numpy")
@pytest.mark.parametrize("expr,want", MADE)
def test_what_is_made_without_a_dtype_as_in_torch(need_torch, float64_default, expr, want):
    torch.set_default_dtype(torch.float64)
    try:
        lib = torch  # noqa: F841 (used by eval)
        assert str(eval(expr).dtype) == "torch." + want
    finally:
        torch.set_default_dtype(torch.float32)


def test_the_legacy_constructor_of_a_tensor_shares_its_memory():
    x = pynet.tensor([1, 2])
    y = pynet.Tensor(x)
    y[0] = 7
    assert x.tolist() == [7, 2] and y.dtype == pynet.int64


def test_existing_tensors_keep_their_dtype_and_the_default_comes_back():
    a = pynet.zeros(2)
    pynet.set_default_dtype(pynet.float64)
    try:
        assert pynet.get_default_dtype() == pynet.float64
        assert a.dtype == pynet.float32 and (a + 1.5).dtype == pynet.float32
    finally:
        pynet.set_default_dtype(pynet.float32)
    assert pynet.get_default_dtype() == pynet.float32
    assert pynet.zeros(2).dtype == pynet.float32 and pynet.tensor(1.5).dtype == pynet.float32


def _train(lib, steps=3):
    """A few Adam steps of a small conv + linear net made under the current default."""
    lib.manual_seed(0)
    nn = lib.nn
    rng = np.random.default_rng(0)
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(2 * 4 * 4, 3))
    with lib.no_grad():
        for p in net.parameters():
            p.copy_(lib.tensor(rng.standard_normal(tuple(p.shape)) * 0.3))
    opt = lib.optim.Adam(net.parameters(), lr=0.01)
    x = lib.tensor(rng.standard_normal((4, 1, 6, 6)).tolist())  # Python floats: the default
    y = lib.tensor([0, 1, 2, 1])
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = lib.nn.functional.cross_entropy(net(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    step = opt.state[next(iter(net.parameters()))]["step"]
    return net, losses, step


def test_a_model_trains_in_float64_under_the_default(float64_default):
    net, losses, step = _train(pynet)
    assert all(p.dtype == pynet.float64 for p in net.parameters())
    assert step.dtype == pynet.float64 and step.item() == 3
    assert losses[-1] < losses[0]


def test_a_model_trained_in_float64_matches_torch(need_torch, float64_default):
    torch.set_default_dtype(torch.float64)
    try:
        _, theirs, tstep = _train(torch)
    finally:
        torch.set_default_dtype(torch.float32)
    _, ours, step = _train(pynet)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    assert str(step.dtype).split(".")[1] == str(tstep.dtype).split(".")[1]


def test_the_optimizer_step_count_is_float32_by_default():
    _, _, step = _train(pynet, steps=1)
    assert step.dtype == pynet.float32


@pytest.mark.parametrize("bad", [pynet.int64, pynet.bool, None, "float64", 1.0])
def test_only_floating_dtypes_can_be_the_default(bad):
    with pytest.raises(TypeError):
        pynet.set_default_dtype(bad)
    assert pynet.get_default_dtype() == pynet.float32


@pytest.mark.parametrize("bad", ["int64", "bool", None, "float64", 1.0])
def test_only_floating_dtypes_can_be_the_default_in_torch(need_torch, bad):
    with pytest.raises(TypeError):
        torch.set_default_dtype(getattr(torch, bad) if bad in ("int64", "bool") else bad)


@pytest.mark.parametrize("t,want", [("DoubleTensor", "float64"), ("torch.DoubleTensor", "float64"),
                                    ("FloatTensor", "float32")])
def test_set_default_tensor_type_warns_and_sets_the_dtype(t, want):
    arg = getattr(pynet, t) if not t.startswith("torch.") else t
    try:
        with pytest.warns(UserWarning, match="deprecated"):
            pynet.set_default_tensor_type(arg)
        assert str(pynet.get_default_dtype()) == "pynet." + want
        assert str(pynet.zeros(1).dtype) == "pynet." + want
    finally:
        pynet.set_default_dtype(pynet.float32)


@pytest.mark.parametrize("bad", ["torch.LongTensor", "nonsense", 3, "torch.cuda.FloatTensor",
                                 "DoubleTensor", "foo.DoubleTensor"])
def test_set_default_tensor_type_refuses_other_types(bad):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(TypeError):
            pynet.set_default_tensor_type(bad)
    assert pynet.get_default_dtype() == pynet.float32


def test_to_tensor_scales_pixels_in_the_default_dtype(float64_default):
    from pynet.vision.transforms import ToTensor
    x = ToTensor()(np.full((2, 2), 51, np.uint8))
    assert x.dtype == pynet.float64 and x[0, 0, 0].item() == 0.2  # 51 / 255 in float64
