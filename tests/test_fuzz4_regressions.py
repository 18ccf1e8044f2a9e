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
