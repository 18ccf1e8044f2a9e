"""Regressions from the fourth differential fuzz against PyTorch (optimizers, schedulers,
clipping; convolution, pooling, resampling, normalisation): each test failed before its fix.
Values come from the definitions (or NumPy); the torch comparisons skip without it."""
import math

import numpy as np
import pytest

import pynet
import pynet.nn.functional as F
from conftest import raises_like, torch


# ---- norms of one element: |x|, with no square that could overflow

@pytest.mark.parametrize("dtype,big", [("float32", 3e19), ("float64", 1e200)])
def test_norm_of_one_element_is_its_absolute_value(dtype, big):
    dt = getattr(pynet, dtype)
    big = float(np.asarray(big, dtype=dtype))  # the value as the dtype holds it
    for ord in (2, 3, 0.5, 1, math.inf):
        assert pynet.linalg.vector_norm(pynet.tensor([-big], dtype=dt), ord=ord).item() == big
    x = pynet.tensor([[-big], [3.0]], dtype=dt)
    assert pynet.linalg.vector_norm(x, dim=1).tolist() == [big, 3.0]
    assert pynet.linalg.vector_norm(x, dim=1, keepdim=True).shape == (2, 1)
    assert pynet.tensor(-big, dtype=dt).norm().item() == big
    assert math.isinf(pynet.linalg.vector_norm(x).item())  # two elements overflow, as torch's


def test_clip_grad_norm_of_one_huge_gradient():
    p = pynet.zeros(1, requires_grad=True)
    p.grad = pynet.tensor([3e19])
    total = pynet.nn.utils.clip_grad_norm_([p], 1.0)
    assert total.item() == pytest.approx(3e19, rel=1e-7)
    assert p.grad.item() == pytest.approx(1.0, rel=1e-6)  # was 0: the norm overflowed to inf


@pytest.mark.parametrize("norm_type", [math.inf, -1.0, -math.inf])
def test_total_norm_without_identity_refuses_an_empty_gradient(norm_type):
    grads = [pynet.zeros(0), pynet.ones(2)]
    raises_like(lambda: pynet.nn.utils.get_total_norm(grads, norm_type),
                (lambda: torch.nn.utils.get_total_norm([torch.zeros(0), torch.ones(2)],
                                                       norm_type)) if torch else None,
                exc=RuntimeError)


# ---- optimizers

def test_centered_rmsprop_survives_an_overflowing_square():
    # float32 g = 1e30: sq = 0.01 g^2 = inf and ga = 1e28; sq - ga^2 as one fma is inf,
    # so the step is g / inf = 0 (ga^2 on its own overflows and inf - inf is NaN)
    p = pynet.tensor([1.0], requires_grad=True)
    o = pynet.optim.RMSprop([p], lr=1e-3, centered=True)
    p.grad = pynet.tensor([1e30])
    o.step()
    assert p.tolist() == [1.0]


def test_centered_rmsprop_matches_torch(need_torch):
    t = need_torch
    rng = np.random.default_rng(0)
    init = rng.standard_normal(64)
    grads = [rng.standard_normal(64) * 10.0 ** rng.integers(-3, 3) for _ in range(8)]
    out = []
    for lib in (pynet, t):
        p = lib.tensor(init.copy(), requires_grad=True)
        o = lib.optim.RMSprop([p], lr=1e-2, centered=True, alpha=0.9, momentum=0.5)
        for g in grads:
            p.grad = lib.tensor(g)
            o.step()
        out.append(p.detach().numpy())
    np.testing.assert_allclose(out[0], out[1], rtol=1e-12, atol=1e-12)


def test_adagrad_steps_a_group_added_later():
    a, b = pynet.zeros(2, requires_grad=True), pynet.zeros(2, requires_grad=True)
    o = pynet.optim.Adagrad([a], lr=0.1, initial_accumulator_value=0.3)
    o.add_param_group({"params": [b], "initial_accumulator_value": 0.5})
    b.grad = pynet.ones(2)
    o.step()
    # the state starts from the optimizer's initial_accumulator_value (PyTorch's choice)
    assert o.state[b]["sum"].tolist() == pytest.approx([1.3, 1.3])
    assert b.tolist() == pytest.approx([-0.1 / (math.sqrt(1.3) + 1e-10)] * 2)


@pytest.mark.parametrize("name", ["Adam", "AdamW", "Adamax", "NAdam", "RAdam", "ASGD",
                                  "Adadelta", "RMSprop"])
def test_capturable_is_refused_at_step(name):
    p = pynet.zeros(2, requires_grad=True)
    o = getattr(pynet.optim, name)([p], capturable=True)
    o.step()  # no gradient yet: nothing to refuse
    p.grad = pynet.ones(2)
    with pytest.raises(AssertionError):
        o.step()


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "Adagrad"])
def test_fused_and_foreach_together_are_refused(name):
    p = pynet.zeros(2, requires_grad=True)
    raises_like(lambda: getattr(pynet.optim, name)([p], lr=0.1, fused=True, foreach=True),
                (lambda: getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)],
                                                    lr=0.1, fused=True, foreach=True))
                if torch else None, exc=RuntimeError)


# ---- convolution, normalisation, pooling with empty dims

@pytest.mark.parametrize("first", [False, True])
def test_conv_without_input_channels_is_the_bias(first):
    # the sum over no input channels is 0: the output is the bias (a 0-byte workspace was
    # taken for out of memory when it was a thread's first convolution)
    if first:
        F.conv2d(pynet.ones(1, 1, 3, 3), pynet.ones(1, 1, 2, 2))
    x = pynet.ones(2, 0, 3, 3, requires_grad=True)
    w = pynet.ones(4, 0, 2, 2, requires_grad=True)
    b = pynet.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    y = F.conv2d(x, w, b)
    assert y.shape == (2, 4, 2, 2)
    np.testing.assert_array_equal(y.detach().numpy(), np.broadcast_to([[[[1.0]], [[2.0]],
                                                                        [[3.0]], [[4.0]]]],
                                                                      (2, 4, 2, 2)))
    y.sum().backward()
    assert b.grad.tolist() == [8.0] * 4 and w.grad.shape == (4, 0, 2, 2)


def test_batch_norm_of_an_empty_batch_in_training():
    bn = pynet.nn.BatchNorm1d(2)
    bn.running_mean.fill_(0.5)
    x = pynet.ones(0, 2, 3, requires_grad=True)
    y = bn(x)
    assert y.shape == (0, 2, 3)
    assert bn.running_mean.tolist() == [0.5, 0.5] and bn.running_var.tolist() == [1.0, 1.0]
    assert bn.num_batches_tracked.item() == 1
    y.sum().backward()
    assert bn.weight.grad.tolist() == [0.0, 0.0] and bn.bias.grad.tolist() == [0.0, 0.0]
    assert F.batch_norm(pynet.ones(0, 2), None, None, training=True).shape == (0, 2)
    with pytest.raises(ValueError):
        bn(pynet.ones(1, 2))  # one value per channel still is refused


def test_adaptive_average_pooling_with_empty_dims():
    assert F.adaptive_avg_pool1d(pynet.ones(2, 0, 5), 3).shape == (2, 0, 3)
    assert F.interpolate(pynet.ones(1, 0, 4), size=2, mode="area").shape == (1, 0, 2)
    assert math.isnan(F.adaptive_avg_pool2d(pynet.ones(1, 1, 0, 2), 1).item())  # mean of none
    with pytest.raises(RuntimeError):
        F.adaptive_avg_pool2d(pynet.ones(1, 2, 0, 3), (2, 2))  # PyTorch's check
    with pytest.raises(RuntimeError):
        F.adaptive_max_pool2d(pynet.ones(1, 0, 4, 4), 2)


def test_empty_pooling_matches_torch(need_torch):
    t = need_torch
    cases = [(lambda L: L.nn.functional.adaptive_avg_pool1d(L.ones(2, 0, 5), 3)),
             (lambda L: L.nn.functional.adaptive_avg_pool2d(L.ones(1, 1, 0, 2), 1)),
             (lambda L: L.nn.functional.adaptive_avg_pool2d(L.ones(3, 0, 4), 1)),
             (lambda L: L.nn.functional.adaptive_avg_pool1d(L.ones(2, 3, 0), 1)),
             (lambda L: L.nn.functional.interpolate(L.ones(1, 1, 0), size=2, mode="area"))]
    for f in cases:
        try:
            r = f(t)
        except RuntimeError:
            raises_like(lambda: f(pynet), lambda: f(t))
            continue
        p = f(pynet)
        assert tuple(p.shape) == tuple(r.shape)
        np.testing.assert_array_equal(p.numpy(), r.numpy())


# ---- earlier fuzz reports' leftovers

def test_squeeze_keeps_the_strides_it_does_not_remove():
    x = pynet.zeros(1, 3)[:, ::2]
    assert x.squeeze(1).stride() == (3, 2)  # nothing removed: the view as it was
    y = pynet.empty_strided((2, 1, 3), (3, 7, 1))
    assert y.squeeze(0).stride() == (3, 7, 1) and y.squeeze((0, 1)).stride() == (3, 1)
    assert y.squeeze(1).stride() == (3, 1) and y.squeeze().stride() == (3, 1)
    z = pynet.zeros(4, 1, 3).transpose(0, 2)  # (3, 1, 4), strides (1, 3, 3)
    assert z.squeeze(1).stride() == (1, 3)
    assert z.squeeze(1).data_ptr() == z.data_ptr()


def test_bool_add_with_alpha_stays_bool():
    a, b = pynet.tensor([True, False]), pynet.tensor([True, True])
    for alpha, ref in [(2, [True, True]), (0, [True, False]), (-1, [True, True]),
                       (True, [True, True]), (False, [True, False])]:
        r = pynet.add(a, b, alpha=alpha)
        assert r.dtype == pynet.bool and r.tolist() == ref
    c = a.clone()
    assert c.add_(b, alpha=3).tolist() == [True, True] and c.dtype == pynet.bool
    assert pynet.add(a, 1, alpha=2).tolist() == [3, 2]  # an int other promotes
    with pytest.raises(RuntimeError):
        pynet.add(a, b, alpha=2.5)


def test_bool_clamp_between_bools_is_not_implemented():
    a = pynet.tensor([True, False])
    for kw in (dict(min=True), dict(max=False), dict(min=True, max=True)):
        raises_like(lambda: pynet.clamp(a, **kw),
                    (lambda: torch.clamp(torch.tensor([True, False]), **kw)) if torch else None,
                    exc=NotImplementedError)
    with pytest.raises(NotImplementedError):
        a.clone().clamp_(min=True)
    assert pynet.clamp(a, min=0, max=True).tolist() == [1, 0]  # an int bound promotes
    assert pynet.clamp(a, min=pynet.tensor(True)).tolist() == [True, True]


@pytest.mark.parametrize("dtype,rtol,atol", [("float64", 1e-13, 5e-322), ("float32", 2e-5, 2e-44)])
def test_sinc_gradient_near_zero(dtype, rtol, atol):
    # d/dx sin(pi x)/(pi x) = (cos t - sin(t)/t) pi / t, t = pi x: by its series near 0,
    # -pi t/3 (1 - t^2/10 + t^4/280 - t^6/15120); exactly as written elsewhere
    xs = np.concatenate([np.geomspace(1e-300 if dtype == "float64" else 1e-40, 0.5, 80),
                         [5e-324 if dtype == "float64" else 1e-45, 0.0, -1e-3, 2.5]])
    x = pynet.tensor(xs, dtype=getattr(pynet, dtype), requires_grad=True)
    pynet.sinc(x).sum().backward()
    xd = x.detach().numpy().astype(np.float64)
    t = np.pi * xd
    with np.errstate(divide="ignore", invalid="ignore"):
        direct = np.where(t != 0, (np.cos(t) - np.sin(t) / np.where(t != 0, t, 1)) * np.pi
                          / np.where(t != 0, t, 1), 0.0)
    t2 = t * t
    series = -np.pi * t / 3 * (1 - t2 / 10 + t2 * t2 / 280 - t2 ** 3 / 15120)
    ref = np.where(np.abs(t) < 0.3, series, direct)
    assert np.all(np.isfinite(x.grad.numpy()))
    np.testing.assert_allclose(x.grad.numpy(), ref, rtol=rtol, atol=atol)  # atol: subnormals


def test_polygamma_of_huge_arguments():
    # polygamma(n, x) ~ (-1)^(n+1) (n-1)! / x^n (1 + n / (2 x)) for large x
    x = np.array([1e8, 1e12, 1e155, 1e200, 1e300])
    for n in (1, 2, 3):
        with np.errstate(under="ignore"):
            ref = (-1) ** (n + 1) * math.factorial(n - 1) * (1 / x) ** n * (1 + n / (2 * x))
        got = pynet.polygamma(n, pynet.tensor(x, dtype=pynet.float64)).numpy()
        np.testing.assert_allclose(got, ref, rtol=1e-13, atol=5e-324 * 4)
    assert pynet.polygamma(1, pynet.tensor([1e200], dtype=pynet.float64)).item() > 0


# ---- sequence models and the module machinery

def _rnn_grads(lib, M, sd, x, transposed_whh):
    m = getattr(lib.nn, M)(2, 3).double()
    state = {k: lib.tensor(v) for k, v in sd.items()}
    if transposed_whh:  # the same values, stored transposed
        state["weight_hh_l0"] = lib.tensor(np.ascontiguousarray(sd["weight_hh_l0"].T)).t()
    m.load_state_dict(state, assign=True)
    xi = lib.tensor(x, requires_grad=True)
    m(xi)[0].sum().backward()
    return xi.grad.numpy(), m.weight_hh_l0.grad.numpy(), m.weight_ih_l0.grad.numpy()


@pytest.mark.parametrize("M", ["RNN", "LSTM", "GRU"])
def test_rnn_gradients_with_a_non_contiguous_recurrent_weight(M):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 1, 2))
    sd = {k: v.numpy() for k, v in getattr(pynet.nn, M)(2, 3).double().state_dict().items()}
    ref = _rnn_grads(pynet, M, sd, x, False)  # the kernel's own layout
    got = _rnn_grads(pynet, M, sd, x, True)
    for a, b in zip(got, ref):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_relu_rnn_passes_the_gradient_through_nan():
    m = pynet.nn.RNN(1, 1, nonlinearity="relu", bias=False).double()
    with pynet.no_grad():
        m.weight_ih_l0.fill_(1.0), m.weight_hh_l0.fill_(0.5)
    x = pynet.tensor([[[float("nan")]], [[1.0]]], dtype=pynet.float64, requires_grad=True)
    m(x)[0].sum().backward()
    # step 2: h2 = relu(x2 + 0.5 h1) with h1 = NaN; relu'(NaN) = 1 (as F.relu, as PyTorch)
    assert x.grad.tolist() == [[[1.5]], [[1.0]]]


def test_double_keeps_parameters_and_tied_weights():
    nn = pynet.nn
    m = nn.Sequential(nn.Linear(3, 3), nn.Linear(3, 3))
    m[1].weight = m[0].weight
    p = m[0].weight
    p.grad = pynet.ones(3, 3)
    opt = pynet.optim.SGD(m.parameters(), lr=0.1)
    m.double()
    assert m[0].weight is p and m[1].weight is p and len(list(m.parameters())) == 3
    assert p.dtype == pynet.float64 and p.grad.dtype == pynet.float64
    before = p.detach().clone()
    opt.zero_grad()
    m(pynet.ones(2, 3, dtype=pynet.float64)).sum().backward()
    opt.step()  # the optimizer made before .double() still steps the model's weight
    assert (p.detach() - before).abs().sum().item() > 0


def test_load_state_dict_of_a_submodule_under_two_names():
    nn = pynet.nn
    m = nn.Module()
    m.a = nn.Linear(2, 2)
    m.alias = m.a
    r = m.load_state_dict(m.state_dict())
    assert r.missing_keys == [] and r.unexpected_keys == []
    assert repr(r) == "<All keys matched successfully>"
    sd = m.state_dict()
    del sd["alias.weight"]
    r = m.load_state_dict(sd, strict=False)
    assert r.missing_keys == ["alias.weight"] and r.unexpected_keys == []


@pytest.mark.parametrize("index,order", [(-1, "RTIS"), (-3, "IRTS"), (-2, "RITS"), (3, "RTSI"),
                                         (0, "IRTS")])
def test_sequential_insert_at_negative_index(index, order):
    nn = pynet.nn
    s = nn.Sequential(nn.ReLU(), nn.Tanh(), nn.Sigmoid())
    s.insert(index, nn.Identity())
    assert "".join(type(m).__name__[0] for m in s) == order  # list.insert's positions
    with pytest.raises(IndexError):
        s.insert(-6, nn.Identity())


def test_multihead_attention_returns_the_dropped_weights_in_training():
    pynet.manual_seed(0)
    m = pynet.nn.MultiheadAttention(4, 1, dropout=0.5).train()
    x = pynet.randn(6, 1, 4)
    out, w = m(x, x, x)
    kept = w != 0
    assert 0 < int(kept.sum()) < w.numel()  # some weights dropped, the rest scaled by 2
    v = m.in_proj_weight[8:].matmul(x[:, 0].t()).t() + m.in_proj_bias[8:]
    ref = m.out_proj(w[0].matmul(v))  # the returned weights are the ones applied to V
    np.testing.assert_allclose(out[:, 0].detach().numpy(), ref.detach().numpy(), rtol=1e-5,
                               atol=1e-6)


def test_module_names_taken_by_another_registry():
    nn = pynet.nn
    lin = nn.Linear(2, 2)
    with pytest.raises(TypeError):
        lin.weight = nn.ReLU()  # a parameter's name takes a Parameter or None only
    assert isinstance(lin.weight, nn.Parameter)
    with pytest.raises(KeyError):
        lin.register_buffer("weight", pynet.zeros(2))
    with pytest.raises(KeyError):
        nn.Sequential(nn.ReLU()).register_parameter("0", None)
    m = nn.Module()
    m.register_buffer("b", pynet.zeros(1))
    with pytest.raises(KeyError):
        m.add_module("b", nn.ReLU())
    with pytest.raises(KeyError):
        lin.forward = nn.Parameter(pynet.zeros(1))  # a method's name
    # attribute assignment moves a name between registries, as PyTorch's
    m.b = nn.Parameter(pynet.ones(1))
    assert "b" in m._parameters and "b" not in m._buffers
    m.c = nn.ReLU()
    m.c = nn.Parameter(pynet.ones(1))
    assert "c" in m._parameters and "c" not in m._modules
    m.register_buffer("d", pynet.zeros(1))
    m.register_buffer("d", pynet.ones(1))  # its own registry: replaced
    assert m.d.tolist() == [1.0]


def test_empty_multinomial_and_empty_sequences_raise_runtime_error():
    with pytest.raises(RuntimeError):
        pynet.multinomial(pynet.ones(0), 1)
    with pytest.raises(RuntimeError):
        pynet.multinomial(pynet.ones(2, 0), 1, True)
    assert pynet.multinomial(pynet.ones(0, 3), 1).shape == (0, 1)
    for M in ("RNN", "LSTM", "GRU"):
        with pytest.raises(RuntimeError, match="sequence length"):
            getattr(pynet.nn, M)(2, 3)(pynet.zeros(0, 1, 2))
        with pytest.raises(RuntimeError, match="sequence length"):
            getattr(pynet.nn, M)(2, 3, batch_first=True)(pynet.zeros(1, 0, 2))
    assert pynet.nn.GRU(2, 3)(pynet.zeros(3, 0, 2))[0].shape == (3, 0, 3)  # an empty batch


def test_pad_refuses_sizes_pytorch_refuses():
    x = pynet.ones(1, 1, 3)
    for mode in ("replicate", "reflect"):
        with pytest.raises(RuntimeError, match="too small"):
            F.pad(x, [-1, -2], mode)  # output width 0
        assert F.pad(x, [-1, -1], mode).shape == (1, 1, 1)
    assert F.pad(x, [-1, -2], "circular").shape == (1, 1, 0)
    with pytest.raises(RuntimeError):
        F.pad(pynet.arange(4.0).reshape(1, 4), [4, -1], "circular")  # 4 > the 3 left
    assert F.pad(pynet.arange(4.0).reshape(1, 4), [3, -1], "circular").tolist() == \
        [[0.0, 1.0, 2.0, 0.0, 1.0, 2.0]]
    with pytest.raises(RuntimeError):
        F.pad(pynet.ones(1, 2), [1, -2], "circular")  # nothing left to wrap
    with pytest.raises(RuntimeError, match="narrow"):
        F.pad(pynet.ones(1, 1), [4, -2])  # the crop comes first: 1 - 2 < 0
    assert F.pad(x, [-3, 0]).shape == (1, 1, 0)


def test_max_pool_padding_bound_ignores_dilation():
    x = pynet.arange(10.0).reshape(1, 1, 10)
    with pytest.raises(RuntimeError):
        F.max_pool1d(x, 2, 3, padding=2, dilation=3)  # 2 > 2 // 2
    with pytest.raises(RuntimeError):
        F.max_pool2d(pynet.ones(1, 1, 6, 6), 3, padding=2, dilation=2)
    assert F.max_pool2d(pynet.ones(1, 1, 6, 6), 4, padding=2, dilation=2).shape == (1, 1, 1, 1)


def test_exception_types_as_pytorch():
    nn = pynet.nn
    m = nn.Linear(2, 2)
    m.weight = None
    with pytest.raises(AttributeError):
        m.get_parameter("weight")  # a parameter set to None is not one
    with pytest.raises(TypeError):
        nn.ModuleList([nn.ReLU()])[1.0]
    with pytest.raises(TypeError):
        nn.Linear(2, 2).requires_grad_(0)
    for init in (nn.init.uniform_, nn.init.normal_, nn.init.kaiming_normal_):
        with pytest.raises(NotImplementedError):
            init(pynet.zeros(3, 3, dtype=pynet.int64))
    with pytest.raises(ValueError):
        pynet.optim.SGD([pynet.zeros(2, requires_grad=True)], lr=pynet.tensor([0.1, 0.2]))
    pynet.optim.SGD([pynet.zeros(2, requires_grad=True)], lr=pynet.tensor(0.1))
    with pytest.raises(ValueError):
        pynet.optim.Adam([pynet.zeros(2, requires_grad=True)], lr=pynet.tensor(0.01),
                         foreach=True)
    with pytest.raises(ValueError):
        pynet.optim.AdamW([pynet.zeros(2, requires_grad=True)],
                          betas=(pynet.tensor(0.9), 0.99), foreach=True)
    with pytest.raises(TypeError):
        F.batch_norm(pynet.ones(2, 3), pynet.zeros(3), pynet.ones(3), training=True,
                     momentum=None)
    with pytest.raises(RuntimeError):
        F.batch_norm(pynet.ones(2, 3), pynet.zeros(3, dtype=pynet.float64),
                     pynet.ones(3, dtype=pynet.float64))
    with pytest.raises(NotImplementedError):
        F.conv_transpose1d(pynet.ones(1, 1, 3, dtype=pynet.bool), pynet.ones(1, 1, 2))
    with pytest.raises(RuntimeError, match="found Double"):
        F.conv1d(pynet.ones(1, 1, 3), pynet.ones(1, 1, 2, dtype=pynet.float64))


def test_dataloader_with_a_batch_sampler_and_fixed_attributes():
    data = pynet.utils.data
    d = data.DataLoader(list(range(6)), batch_sampler=[[0, 1], [2]])
    assert d.batch_size is None and d.drop_last is False
    assert [b.tolist() for b in d] == [[0, 1], [2]]
    d = data.DataLoader(list(range(6)), batch_size=4)
    for name, value in (("batch_size", 3), ("drop_last", True), ("dataset", [1])):
        with pytest.raises(ValueError, match="should not be set"):
            setattr(d, name, value)
    d.num_workers = 0  # others may change
    assert [b.tolist() for b in d] == [[0, 1, 2, 3], [4, 5]]


@pytest.mark.parametrize("qs,ks,vs", [((2, 3, 4), (1, 5, 4), (1, 5, 4)),
                                      ((2, 1, 3, 4), (1, 2, 5, 4), (1, 2, 5, 4)),
                                      ((2, 3, 4), (5, 4), (5, 4)), ((3, 4), (2, 5, 4), (2, 5, 4))])
def test_attention_broadcasts_batch_dims(qs, ks, vs):
    # the same as with the batch dims expanded by hand (values and summed gradients)
    rng = np.random.default_rng(0)
    arrs = [rng.standard_normal(s) for s in (qs, ks, vs)]
    batch = np.broadcast_shapes(*(s[:-2] for s in (qs, ks, vs)))
    a = [pynet.tensor(x, requires_grad=True) for x in arrs]
    b = [pynet.tensor(x, requires_grad=True) for x in arrs]
    y = F.scaled_dot_product_attention(*a, is_causal=True)
    z = F.scaled_dot_product_attention(*(t.expand(*batch, *t.shape[-2:]).contiguous()
                                         for t in b), is_causal=True)
    np.testing.assert_allclose(y.detach().numpy(), z.detach().numpy(), rtol=1e-13, atol=1e-15)
    g = pynet.tensor(rng.standard_normal(tuple(y.shape)))
    y.backward(g), z.backward(g)
    for p, q in zip(a, b):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-12, atol=1e-14)
    with pytest.raises(RuntimeError):
        F.scaled_dot_product_attention(pynet.ones(2, 3, 4), pynet.ones(3, 5, 4),
                                       pynet.ones(3, 5, 4))
