"""Regression tests for the third differential fuzz of pynet.nn against PyTorch
(/tmp/fuzz3/REPORT.md): one small test per fixed finding. The references are worked out by
hand or with NumPy, so they run without torch; the `need_torch` tests add a comparison."""
import math
import warnings

import numpy as np
import pytest

import pynet
import pynet.nn as nn
import pynet.nn.functional as F

from conftest import check, gc, raises_like, to_np

INF, NAN = float("inf"), float("nan")


# ------------------------------------------------ 1. lp_pool with norm_type = +-inf

@pytest.mark.parametrize("p", [INF, -INF])
def test_lp_pool1d_inf_is_max_or_min_of_abs(p):
    x = np.array([[[1., -3., 2., .5, .7]]])
    y = F.lp_pool1d(pynet.tensor(x), p, 2, ceil_mode=True)
    a = np.abs(x[0, 0])
    pick = np.max if p > 0 else np.min
    check(y, np.array([[[pick(a[0:2]), pick(a[2:4]), pick(a[4:5])]]]))


@pytest.mark.parametrize("p", [INF, -INF])
def test_lp_pool2d_inf_values_and_gradient(p):
    x = np.array([[[[1., -3.], [2., .5]], [[-4., 0.25], [1., 2.]]]])
    xt = pynet.tensor(x, requires_grad=True)
    y = F.lp_pool2d(xt, p, 2)
    a = np.abs(x).reshape(2, 4)
    idx = a.argmax(1) if p > 0 else a.argmin(1)
    check(y, (a.max(1) if p > 0 else a.min(1)).reshape(1, 2, 1, 1))
    y.sum().backward()
    # d|x|/dx = sign(x) at the chosen element, 0 elsewhere
    g = np.zeros((2, 4))
    g[[0, 1], idx] = np.sign(x.reshape(2, 4)[[0, 1], idx])
    check(xt.grad, g.reshape(x.shape))
    assert gc(lambda t: F.lp_pool2d(t, p, 2), x)


def test_lppool_modules_inf(need_torch):
    torch = need_torch
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 6))
    for p in (INF, -INF):
        check(nn.LPPool2d(p, (2, 3), stride=1)(pynet.tensor(x)),
              torch.nn.LPPool2d(p, (2, 3), stride=1)(torch.tensor(x)))
        check(nn.LPPool1d(p, 3, stride=2)(pynet.tensor(x[0])),
              torch.nn.LPPool1d(p, 3, stride=2)(torch.tensor(x[0])))


def test_lp_pool_int64_averages_in_integer_arithmetic():
    # window sums 1 + 4 = 5 and 9 + 16 = 25, truncated to 2 and 12 by the integer mean
    y = F.lp_pool1d(pynet.tensor([[[1, 2, 3, 4]]]), 2, 2)
    check(y, np.array([[[2.0, math.sqrt(24)]]], dtype=np.float32))
    # 1 - 8 = -7 -> trunc(-7 / 2) = -3 -> -6, whose cube root is NaN in pow; -8 + 27 = 19
    # -> 9 -> 18
    y = F.lp_pool1d(pynet.tensor([[[1, -2, 3]]]), 3, 2, 1)
    check(y, np.array([[[NAN, 18 ** (1 / 3)]]], dtype=np.float32))
    check(F.lp_pool2d(pynet.tensor([[[[1, 2], [3, 4]]]]), 2, 2),
          np.array([[[[math.sqrt(28)]]]], dtype=np.float32))


def test_lp_pool_int64_and_errors_vs_torch(need_torch):
    torch = need_torch
    x = np.arange(-6, 18).reshape(1, 2, 3, 4)
    for p in (1, 2, 3):
        check(F.lp_pool2d(pynet.tensor(x), p, 2, 1),
              torch.nn.functional.lp_pool2d(torch.tensor(x), p, 2, 1))
        check(F.lp_pool1d(pynet.tensor(x[0]), p, 3, 1, True),
              torch.nn.functional.lp_pool1d(torch.tensor(x[0]), p, 3, 1, True))
    raises_like(lambda: F.lp_pool2d(pynet.ones(2, 4), 2, 2),
                lambda: torch.nn.functional.lp_pool2d(torch.ones(2, 4), 2, 2))
    with pytest.raises(IndexError):
        F.lp_pool2d(pynet.ones(2, 4), 2, 2)
    raises_like(lambda: F.lp_pool1d(pynet.ones(4), 2, 2),
                lambda: torch.nn.functional.lp_pool1d(torch.ones(4), 2, 2))


# --------------------------------------- 2. NaN in the margin losses: the term is skipped

def test_multi_margin_loss_skips_nan_terms():
    x = pynet.tensor([[NAN, .1, .2, .3]], requires_grad=True)
    loss = F.multi_margin_loss(x, pynet.tensor([1]), reduction="none")
    # terms for j = 2, 3: 1 - .1 + .2 and 1 - .1 + .3; the NaN term (j = 0) is left out
    check(loss, np.array([(1.1 + 1.2) / 4], dtype=np.float32))
    loss.sum().backward()
    check(x.grad, np.array([[0, -.5, .25, .25]], dtype=np.float32))
    loss2 = F.multi_margin_loss(pynet.tensor([[.5, NAN]]), pynet.tensor([1]), p=2)
    check(loss2, np.array(0, dtype=np.float32))  # every term involves x[y] = NaN


def test_multilabel_margin_loss_skips_nan_terms(need_torch):
    torch = need_torch
    x = np.array([[NAN, .1, .2, .3], [.4, NAN, -.2, 1.]])
    y = np.array([[1, -1, 0, 0], [0, 3, -1, 2]])
    xp = pynet.tensor(x, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    lp = F.multilabel_margin_loss(xp, pynet.tensor(y), reduction="none")
    lt = torch.nn.functional.multilabel_margin_loss(xt, torch.tensor(y), reduction="none")
    check(lp, lt)
    check(lp[:1], np.array([(1.1 + 1.2) / 4]))
    lp.sum().backward()
    lt.sum().backward()
    check(xp.grad, xt.grad)


# ------------------------------------------- 3. instance_norm running stats, empty batch

def test_instance_norm_empty_batch_writes_nan_running_stats():
    rm, rv = pynet.zeros(3), pynet.ones(3)
    out = F.instance_norm(pynet.zeros(0, 3, 4), rm, rv, use_input_stats=True)
    assert tuple(out.shape) == (0, 3, 4)
    assert np.isnan(to_np(rm)).all() and np.isnan(to_np(rv)).all()
    m = nn.InstanceNorm1d(3, track_running_stats=True)
    m(pynet.zeros(0, 3, 4))
    m.eval()
    assert np.isnan(to_np(m(pynet.ones(1, 3, 4)))).all()


# ------------------------------------------- 4. result dtype with mixed precision

def test_mixed_precision_keeps_input_dtype():
    x = pynet.tensor([0.5, -2.0, 3.0])
    t64 = pynet.tensor([1.0, -1.0, 1.0], dtype=pynet.float64)
    for red in ("none", "mean", "sum"):
        sm = F.soft_margin_loss(x, t64, reduction=red)
        ref = np.log1p(np.exp(-np.array([0.5, 2.0, 3.0])))
        ref = {"none": ref, "mean": ref.mean(), "sum": ref.sum()}[red]
        check(sm, ref.astype(np.float32))
        hb = F.huber_loss(x, t64 * 0.25, reduction=red, delta=1.0)
        d = np.abs(np.array([0.5, -2.0, 3.0]) - np.array([.25, -.25, .25]))
        ref = np.where(d < 1, 0.5 * d * d, d - 0.5)
        ref = {"none": ref, "mean": ref.mean(), "sum": ref.sum()}[red]
        check(hb, ref.astype(np.float32))
    assert nn.HuberLoss()(pynet.ones(2), pynet.zeros(2, dtype=pynet.float64)).dtype == \
        pynet.float32
    w = pynet.tensor([2.0, 3.0], dtype=pynet.float64)
    y = F.rms_norm(pynet.tensor([[3.0, 4.0]]), (2,), weight=w)
    r = np.array([3.0, 4.0]) / math.sqrt(12.5 + 2.0 ** -23) * np.array([2.0, 3.0])
    check(y, r[None].astype(np.float32))
    # the other way round the result is float64, as the input
    assert F.soft_margin_loss(x.double(), pynet.ones(3)).dtype == pynet.float64


def test_mixed_precision_gradients(need_torch):
    torch = need_torch
    x = np.array([0.5, -2.0, 3.0], dtype=np.float32)
    t = np.array([0.3, -1.0, 1.5])
    xp = pynet.tensor(x, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    lp = F.soft_margin_loss(xp, pynet.tensor(t))
    lt = torch.nn.functional.soft_margin_loss(xt, torch.tensor(t))
    check(lp, lt)
    lp.backward()
    lt.backward()
    check(xp.grad, xt.grad)
    # torch's huber backward fails on mixed dtypes ("Found dtype Double but expected
    # Float"): compare the value with torch, the gradient with clip(x - t, -1, 1) / n
    xp = pynet.tensor(x, requires_grad=True)
    lp = F.huber_loss(xp, pynet.tensor(t))
    check(lp, torch.nn.functional.huber_loss(torch.tensor(x), torch.tensor(t)))
    lp.backward()
    check(xp.grad, (np.clip(x - t, -1, 1) / 3).astype(np.float32))


# ------------------------------- 5. InstanceNorm old checkpoints, BatchNorm(bias=...)

@pytest.mark.parametrize("cls", [nn.InstanceNorm1d, nn.InstanceNorm2d])
def test_instance_norm_loads_checkpoint_without_num_batches_tracked(cls):
    m = cls(3, track_running_stats=True)
    m.num_batches_tracked.fill_(5)
    res = m.load_state_dict({"running_mean": pynet.full((3,), 2.0),
                             "running_var": pynet.full((3,), 4.0)})
    assert list(res.missing_keys) == [] and list(res.unexpected_keys) == []
    assert m.num_batches_tracked.item() == 5  # kept, as torch
    check(m.running_mean, np.full(3, 2.0, dtype=np.float32))
    with pytest.raises(RuntimeError, match="running_var"):
        cls(3, track_running_stats=True).load_state_dict({"running_mean": pynet.zeros(3)})


@pytest.mark.parametrize("cls, shape", [(nn.BatchNorm1d, (4, 3)), (nn.BatchNorm2d, (4, 3, 2, 2)),
                                        (nn.BatchNorm3d, (4, 3, 1, 2, 2))])
def test_batch_norm_bias_argument(cls, shape):
    name = cls.__name__
    assert repr(cls(3)) == (f"{name}(3, eps=1e-05, momentum=0.1, affine=True, bias=True, "
                            "track_running_stats=True)")
    m = cls(3, bias=False)
    assert "bias=False" in repr(m) and m.bias is None
    assert [n for n, _ in m.named_parameters()] == ["weight"]
    assert "bias=False" in repr(cls(3, affine=False))
    x = np.random.default_rng(1).standard_normal(shape)
    m.weight.data.fill_(2.0)
    axes = tuple(d for d in range(len(shape)) if d != 1)
    ref = 2 * (x - x.mean(axes, keepdims=True)) / np.sqrt(x.var(axes, keepdims=True) + 1e-5)
    check(m(pynet.tensor(x, dtype=pynet.float32)), ref.astype(np.float32), rtol=1e-5, atol=1e-6)
    with pytest.raises(TypeError, match=f"{name}.__init__"):
        cls(3, foo=1)
    with pytest.raises(TypeError):
        cls(3, 1e-5, 0.1, True, True, None, None, False)  # bias is keyword-only


# --------------------------------------------------------- 6. the 3-D padding modules

def test_pad3d_modules_values():
    x = np.arange(2 * 2 * 3 * 3, dtype=np.float64).reshape(1, 2, 2, 3, 3)
    pads = (1, 0, 2, 1, 0, 1)  # (left, right, top, bottom, front, back)
    npw = ((0, 0), (0, 0), (0, 1), (2, 1), (1, 0))
    cases = [(nn.ZeroPad3d(pads), np.pad(x, npw)),
             (nn.ConstantPad3d(pads, 2.5), np.pad(x, npw, constant_values=2.5)),
             (nn.ReflectionPad3d(pads), np.pad(x, npw, mode="reflect")),
             (nn.ReplicationPad3d(pads), np.pad(x, npw, mode="edge")),
             (nn.CircularPad3d(pads), np.pad(x, npw, mode="wrap"))]
    for m, ref in cases:
        check(m(pynet.tensor(x)), ref)
        check(m(pynet.tensor(x[0])), ref[0])  # unbatched (C, D, H, W)
    assert repr(nn.ZeroPad3d(1)) == "ZeroPad3d((1, 1, 1, 1, 1, 1))"
    assert repr(nn.ConstantPad3d(1, 2.5)) == \
        "ConstantPad3d(padding=(1, 1, 1, 1, 1, 1), value=2.5)"
    assert repr(nn.ReflectionPad3d(pads)) == "ReflectionPad3d((1, 0, 2, 1, 0, 1))"
    with pytest.raises(ValueError, match="expected 4D or 5D input"):
        nn.CircularPad3d(1)(pynet.zeros(2, 3, 3))
    with pytest.raises(NotImplementedError):
        nn.ReflectionPad3d((1, 1))(pynet.zeros(1, 1, 2, 3, 3))
    assert gc(lambda t: nn.ReflectionPad3d(1)(t), np.random.default_rng(2).random((1, 2, 2, 3)))


def test_pad3d_modules_vs_torch(need_torch):
    torch = need_torch
    x = np.random.default_rng(3).standard_normal((2, 2, 3, 3, 4))
    for name in ("ZeroPad3d", "ReflectionPad3d", "ReplicationPad3d", "CircularPad3d"):
        xp, xt = pynet.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        yp, yt = getattr(nn, name)((2, 1, 0, 2, 1, 1))(xp), \
            getattr(torch.nn, name)((2, 1, 0, 2, 1, 1))(xt)
        check(yp, yt)
        (yp * yp).sum().backward()
        (yt * yt).sum().backward()
        check(xp.grad, xt.grad)
        assert repr(getattr(nn, name)(2)) == repr(getattr(torch.nn, name)(2))


# ---------------------------------------------------------------- 7. exception types

def test_exception_types_without_torch():
    with pytest.raises(RuntimeError):
        F.normalize(pynet.zeros(0, 3), p=INF, dim=0)
    with pytest.raises(RuntimeError):
        F.normalize(pynet.zeros(3, 0), p=-INF, dim=(1,))
    check(F.normalize(pynet.zeros(0, 3), p=2, dim=0), np.zeros((0, 3), np.float32))
    with pytest.raises(NotImplementedError):
        F.rms_norm(pynet.tensor([[1, 2]]), (2,))
    with pytest.raises(ValueError):
        F.embedding_bag(pynet.tensor([[1, 2]]), pynet.ones(6))
    p = nn.Parameter(pynet.ones(2))
    p.grad = pynet.ones(2)
    with pytest.raises(TypeError):
        nn.utils.clip_grads_with_norm_([p], 1.0, 3.0)
    nn.utils.clip_grads_with_norm_([p], 1.0, pynet.tensor(4.0))
    check(p.grad, np.full(2, 1 / (4 + 1e-6), dtype=np.float32))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        for d in (2, -3):
            with pytest.raises(IndexError):
                nn.utils.weight_norm(nn.Linear(3, 4), dim=d)
        assert tuple(nn.utils.weight_norm(nn.Linear(3, 4), dim=-2).weight_g.shape) == (4, 1)
        assert tuple(nn.utils.weight_norm(nn.Linear(3, 4), dim=-1).weight_g.shape) == ()


def test_hardtanh_inplace_allows_min_above_max():
    x = pynet.tensor([0., 1.5, 3.], requires_grad=True)
    y = x * 1
    F.hardtanh_(y, 2., 1.)
    check(y, np.ones(3, np.float32))  # clamp's rule: max_val everywhere
    y.sum().backward()
    check(x.grad, np.zeros(3, np.float32))
    check(F.hardtanh_(pynet.tensor([0, 3]), 2., 1.), np.array([1, 1]))
    with pytest.raises(ValueError):
        F.hardtanh(pynet.zeros(2), 2., 1.)


def test_exception_types_vs_torch(need_torch):
    torch = need_torch
    TF = torch.nn.functional
    raises_like(lambda: F.normalize(pynet.zeros(0, 3), p=INF, dim=0),
                lambda: TF.normalize(torch.zeros(0, 3), p=INF, dim=0))
    raises_like(lambda: F.rms_norm(pynet.tensor([[True, False]]), (2,)),
                lambda: TF.rms_norm(torch.tensor([[True, False]]), (2,)))
    raises_like(lambda: F.embedding_bag(pynet.tensor([[1, 2]]), pynet.ones(6, 2, 2)),
                lambda: TF.embedding_bag(torch.tensor([[1, 2]]), torch.ones(6, 2, 2)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        raises_like(lambda: nn.utils.weight_norm(nn.Conv1d(2, 4, 3), dim=3),
                    lambda: torch.nn.utils.weight_norm(torch.nn.Conv1d(2, 4, 3), dim=3))
    x = np.array([0., 1.5, 3., -1.])
    check(F.hardtanh_(pynet.tensor(x), 2., 1.), TF.hardtanh_(torch.tensor(x), 2., 1.))


# ------------------------------------------- 8. inputs torch rejects are now rejected

def test_rejected_inputs_without_torch():
    i64, b = pynet.tensor([1, 2]), pynet.tensor([True, False])
    with pytest.raises(RuntimeError):
        F.hinge_embedding_loss(i64, pynet.tensor([1, -1]))
    with pytest.raises(RuntimeError):
        F.huber_loss(i64, pynet.tensor([1., 0.]))
    for inp, tgt in ((pynet.randn(2), i64), (i64.float(), b), (i64, pynet.randn(2))):
        with pytest.raises(RuntimeError, match="Integral"):
            F.kl_div(inp, tgt, reduction="sum")
    with pytest.raises(RuntimeError):
        F.embedding_bag(pynet.tensor([[0, 1]]), pynet.tensor([[1, 2], [3, 4]]))
    with pytest.raises(RuntimeError):
        F.embedding_bag(pynet.tensor([[0, 1]]), pynet.ones(2, 2), mode="sum",
                        per_sample_weights=pynet.ones(1, 2, dtype=pynet.float64))
    for x in (pynet.tensor([[[5, 1]]]), pynet.tensor([[[True, False]]])):
        with pytest.raises(NotImplementedError):
            F.max_unpool1d(x, pynet.tensor([[[0, 2]]]), 2)
    with pytest.raises(RuntimeError):
        F.hardtanh_(b.clone())
    with pytest.raises(RuntimeError):
        F.relu6(b)
    with pytest.raises(NotImplementedError):
        F.threshold_(b.clone(), 0.5, 2)
    check(F.threshold_(pynet.tensor([1, 2]), 1, 7), np.array([7, 2]))  # int still works
    with pytest.raises(NotImplementedError):
        F.local_response_norm(pynet.tensor([[[True, False]]]), 2)
    check(F.local_response_norm(pynet.zeros(0, 2, 2, dtype=pynet.bool), 2),
          np.zeros((0, 2, 2), bool))
    with pytest.raises(RuntimeError, match="target"):
        F.soft_margin_loss(pynet.ones(2, requires_grad=True), pynet.ones(2, requires_grad=True))
    with pynet.no_grad():  # no graph, so nothing to refuse
        F.soft_margin_loss(pynet.ones(2), pynet.ones(2, requires_grad=True))
    with pytest.raises(ValueError, match="in1_features"):
        nn.Bilinear(0, 3, 4)
    assert tuple(nn.Bilinear(3, 0, 4).weight.shape) == (4, 3, 0)
    pd = nn.ParameterDict()
    for key in ("a.b", ""):
        with pytest.raises(KeyError):
            pd[key] = pynet.ones(1)
    with pytest.raises(KeyError):
        nn.ParameterDict({"x.y": pynet.ones(1)})
    assert len(pd) == 0


def test_rejected_inputs_vs_torch(need_torch):
    torch = need_torch
    TF = torch.nn.functional
    cases = [
        (lambda L, G: G.hinge_embedding_loss(L.tensor([1, 2]), L.tensor([1, -1]))),
        (lambda L, G: G.huber_loss(L.tensor([1, 2]), L.tensor([1., 0.]))),
        (lambda L, G: G.huber_loss(L.tensor([1, 2]), L.tensor([1, 0]))),
        (lambda L, G: G.kl_div(L.randn(2), L.tensor([1, 0]), reduction="none")),
        (lambda L, G: G.embedding_bag(L.tensor([[0, 1]]), L.tensor([[True], [False]]))),
        (lambda L, G: G.max_unpool2d(L.tensor([[[[5]]]]), L.tensor([[[[0]]]]), 2)),
        (lambda L, G: G.hardtanh(L.tensor([True]))),
        (lambda L, G: G.threshold(L.tensor([True]), 0.5, 2)),
        (lambda L, G: G.local_response_norm(L.ones(1, 2, 2, dtype=L.bool), 2)),
        (lambda L, G: G.soft_margin_loss(L.ones(2), L.ones(2, requires_grad=True))),
    ]
    for case in cases:
        raises_like(lambda: case(pynet, F), lambda: case(torch, TF))
    raises_like(lambda: nn.Bilinear(0, 2, 2), lambda: torch.nn.Bilinear(0, 2, 2))
    raises_like(lambda: nn.ParameterDict({"a.b": pynet.ones(1)}),
                lambda: torch.nn.ParameterDict({"a.b": torch.ones(1)}))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_activation_gradients_at_nan_as_torch(dtype):
    # PyTorch's backward kernels test the left branch (x <= 0, inside the band, at a bound)
    # and give a NaN the other one: the gradient passes (elu, selu, celu, hardtanh, relu6,
    # hardshrink, softshrink, hardswish); these gave NaN or 0
    import pynet.nn.functional as F
    want = {"elu": 1.0, "selu": 1.0507009873554805, "celu": 1.0, "hardtanh": 1.0, "relu6": 1.0,
            "hardshrink": 1.0, "softshrink": 1.0, "hardswish": 1.0, "leaky_relu": 0.01,
            "hardsigmoid": 0.0}
    for name, g in want.items():
        x = pynet.tensor([float("nan")], dtype=getattr(pynet, dtype), requires_grad=True)
        getattr(F, name)(x).sum().backward()
        assert abs(x.grad.item() - g) <= 1e-7 * abs(g), (name, x.grad.item())
