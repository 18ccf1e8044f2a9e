"""Tests for the extra optimizers (NAdam, RAdam, Adamax, ASGD, Rprop, LBFGS), lr schedulers
(LinearLR, ConstantLR, ..., CyclicLR) and nn.utils helpers, against PyTorch and by hand."""
import math
import warnings
from types import SimpleNamespace

import numpy as np
import pytest

import pynet
from pynet.nn.utils.weight_norm import WeightNorm
from pynet.optim import lr_scheduler as pls

from conftest import check, dname, gc, raises_like, to_np


# ---------------------------------------------------------------- lr schedulers
def _opt_pair(th, opt="SGD", lrs=(0.1, 0.02), **kw):
    """The same optimizer over two param groups (different lrs), in pynet and in torch."""
    def make(mod):
        groups = [{"params": [mod.zeros(2, requires_grad=True)], "lr": lr} for lr in lrs]
        return getattr(mod.optim, opt)(groups, **kw)
    return make(pynet), make(th)


def _run(sched, opt, n, epochs=None, key="momentum"):
    """lrs (and momentums / beta1) after each of n steps."""
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in range(n):
            opt.step()
            if epochs is None:
                sched.step()
            else:
                sched.step(epochs[i])
            out.append((list(sched.get_last_lr()),
                        [g.get(key) if key != "betas" else g["betas"][0]
                         for g in opt.param_groups]))
    return out


SCHEDS = {
    "linear": lambda m, o: m.optim.lr_scheduler.LinearLR(o, start_factor=0.1, end_factor=0.9,
                                                         total_iters=7),
    "linear_default": lambda m, o: m.optim.lr_scheduler.LinearLR(o),
    "constant": lambda m, o: m.optim.lr_scheduler.ConstantLR(o, factor=0.3, total_iters=4),
    "multiplicative": lambda m, o: m.optim.lr_scheduler.MultiplicativeLR(
        o, [lambda e: 0.95, lambda e: 1.0 - 0.01 * e]),
    "poly": lambda m, o: m.optim.lr_scheduler.PolynomialLR(o, total_iters=9, power=1.7),
    "warm": lambda m, o: m.optim.lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2,
                                                                          eta_min=0.001),
    "warm1": lambda m, o: m.optim.lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=4),
    "cyclic": lambda m, o: m.optim.lr_scheduler.CyclicLR(o, 0.01, [0.1, 0.2], step_size_up=3,
                                                         step_size_down=5),
    "cyclic2": lambda m, o: m.optim.lr_scheduler.CyclicLR(o, [0.01, 0.001], 0.1, step_size_up=4,
                                                          mode="triangular2",
                                                          base_momentum=0.7,
                                                          max_momentum=[0.95, 0.9]),
    "cyclic_exp": lambda m, o: m.optim.lr_scheduler.CyclicLR(o, 0.01, 0.1, step_size_up=2,
                                                             mode="exp_range", gamma=0.9),
    "cyclic_fn": lambda m, o: m.optim.lr_scheduler.CyclicLR(
        o, 0.01, 0.1, step_size_up=3, scale_fn=lambda x: 1.0 / (1 + x), scale_mode="iterations",
        cycle_momentum=False),
    "sequential": lambda m, o: m.optim.lr_scheduler.SequentialLR(
        o, [m.optim.lr_scheduler.LinearLR(o, 0.2, total_iters=4),
            m.optim.lr_scheduler.ExponentialLR(o, 0.9),
            m.optim.lr_scheduler.ConstantLR(o, 0.5, total_iters=3)], milestones=[5, 11]),
    "chained": lambda m, o: m.optim.lr_scheduler.ChainedScheduler(
        [m.optim.lr_scheduler.ConstantLR(o, 0.5, total_iters=6),
         m.optim.lr_scheduler.ExponentialLR(o, 0.9),
         m.optim.lr_scheduler.PolynomialLR(o, total_iters=12, power=2.0)]),
}


@pytest.mark.parametrize("name", sorted(SCHEDS))
def test_scheduler_sequence_matches_torch(need_torch, name):
    th = need_torch
    po, to = _opt_pair(th, momentum=0.9)
    ps, ts = SCHEDS[name](pynet, po), SCHEDS[name](th, to)
    assert ps.get_last_lr() == ts.get_last_lr()
    assert _run(ps, po, 30) == _run(ts, to, 30)  # exact float equality


def test_cyclic_momentum_beta1_matches_torch(need_torch):
    th = need_torch
    po, to = _opt_pair(th, opt="Adam")
    mk = lambda m, o: m.optim.lr_scheduler.CyclicLR(o, 0.001, 0.01, step_size_up=3)
    ps, ts = mk(pynet, po), mk(th, to)
    assert po.param_groups[0]["betas"] == to.param_groups[0]["betas"] == (0.9, 0.999)
    assert _run(ps, po, 12, key="betas") == _run(ts, to, 12, key="betas")


@pytest.mark.parametrize("name,epochs", [
    ("linear", [0, 3, 5, 9, 2]), ("constant", [1, 4, 2, 7]), ("poly", [2, 5, 11, 0]),
    ("warm", [0.5, 2.5, 4, 9.25, 20, 1]), ("warm1", [3.5, 6, 13])])
def test_scheduler_closed_form_matches_torch(need_torch, name, epochs):
    th = need_torch
    po, to = _opt_pair(th)
    ps, ts = SCHEDS[name](pynet, po), SCHEDS[name](th, to)
    assert _run(ps, po, len(epochs), epochs) == _run(ts, to, len(epochs), epochs)


def test_scheduler_hand_values():
    opt = pynet.optim.SGD([pynet.zeros(1, requires_grad=True)], lr=1.0)
    s = pls.LinearLR(opt, start_factor=0.5, end_factor=1.0, total_iters=2)
    got = [s.get_last_lr()[0]]
    for _ in range(3):
        opt.step()
        s.step()
        got.append(s.get_last_lr()[0])
    assert got == pytest.approx([0.5, 0.75, 1.0, 1.0], abs=1e-15)
    opt = pynet.optim.SGD([pynet.zeros(1, requires_grad=True)], lr=1.0)
    s = pls.CosineAnnealingWarmRestarts(opt, T_0=2)
    got = [s.get_last_lr()[0]]
    for _ in range(4):
        opt.step()
        s.step()
        got.append(s.get_last_lr()[0])
    assert got == pytest.approx([1.0, 0.5, 1.0, 0.5, 1.0], abs=1e-15)
    opt = pynet.optim.SGD([pynet.zeros(1, requires_grad=True)], lr=1.0, momentum=0.9)
    s = pls.CyclicLR(opt, 0.0, 1.0, step_size_up=2, base_momentum=0.8, max_momentum=0.9)
    got = [(s.get_last_lr()[0], opt.param_groups[0]["momentum"])]
    for _ in range(4):
        opt.step()
        s.step()
        got.append((s.get_last_lr()[0], opt.param_groups[0]["momentum"]))
    assert [g[0] for g in got] == pytest.approx([0.0, 0.5, 1.0, 0.5, 0.0])
    assert [g[1] for g in got] == pytest.approx([0.9, 0.85, 0.8, 0.85, 0.9])


@pytest.mark.parametrize("name", ["linear", "cyclic2", "sequential", "chained", "warm",
                                  "multiplicative"])
def test_scheduler_state_dict_round_trip(name):
    def make():
        groups = [{"params": [pynet.zeros(2, requires_grad=True)], "lr": lr} for lr in (.1, .02)]
        opt = pynet.optim.SGD(groups, momentum=0.9)
        return opt, SCHEDS[name](pynet, opt)
    o1, s1 = make()
    _run(s1, o1, 6)
    o2, s2 = make()
    s2.load_state_dict(s1.state_dict())
    for g1, g2 in zip(o1.param_groups, o2.param_groups):  # the optimizer's lrs travel apart
        g2["lr"] = g1["lr"]
        g2["momentum"] = g1["momentum"]
    assert _run(s1, o1, 10) == _run(s2, o2, 10)


def test_scheduler_errors(need_torch):
    th = need_torch
    po, to = _opt_pair(th)
    L = lambda m: m.optim.lr_scheduler
    for bad in [dict(start_factor=0.0), dict(start_factor=1.5), dict(end_factor=-0.1)]:
        raises_like(lambda: L(pynet).LinearLR(po, **bad), lambda: L(th).LinearLR(to, **bad))
    raises_like(lambda: L(pynet).ConstantLR(po, factor=2.0), lambda: L(th).ConstantLR(to, 2.0))
    raises_like(lambda: L(pynet).MultiplicativeLR(po, 0.5),
                lambda: L(th).MultiplicativeLR(to, 0.5))
    raises_like(lambda: L(pynet).MultiplicativeLR(po, [lambda e: 1.0]),
                lambda: L(th).MultiplicativeLR(to, [lambda e: 1.0]))
    raises_like(lambda: L(pynet).CosineAnnealingWarmRestarts(po, T_0=0),
                lambda: L(th).CosineAnnealingWarmRestarts(to, T_0=0))
    raises_like(lambda: L(pynet).CosineAnnealingWarmRestarts(po, T_0=2, T_mult=1.5),
                lambda: L(th).CosineAnnealingWarmRestarts(to, T_0=2, T_mult=1.5))
    raises_like(lambda: L(pynet).CyclicLR(po, 0.1, 1.0, mode="nope"),
                lambda: L(th).CyclicLR(to, 0.1, 1.0, mode="nope"))
    raises_like(lambda: L(pynet).CyclicLR(po, [0.1], 1.0), lambda: L(th).CyclicLR(to, [0.1], 1.))
    pa, ta = _opt_pair(th, opt="Adagrad")
    raises_like(lambda: L(pynet).CyclicLR(pa, 0.1, 1.0), lambda: L(th).CyclicLR(ta, 0.1, 1.0))
    ps, ts = L(pynet).ExponentialLR(po, 0.9), L(th).ExponentialLR(to, 0.9)
    raises_like(lambda: L(pynet).SequentialLR(po, [ps, ps], milestones=[]),
                lambda: L(th).SequentialLR(to, [ts, ts], milestones=[]))
    raises_like(lambda: L(pynet).SequentialLR(po, [], milestones=[]),
                lambda: L(th).SequentialLR(to, [], milestones=[]))
    raises_like(lambda: L(pynet).ChainedScheduler([]), lambda: L(th).ChainedScheduler([]))
    pp = L(pynet).ReduceLROnPlateau(po)
    tp = L(th).ReduceLROnPlateau(to)
    raises_like(lambda: L(pynet).ChainedScheduler([ps, pp]),
                lambda: L(th).ChainedScheduler([ts, tp]))
    p2, t2 = _opt_pair(th)
    ps2, ts2 = L(pynet).ExponentialLR(p2, 0.9), L(th).ExponentialLR(t2, 0.9)
    raises_like(lambda: L(pynet).SequentialLR(po, [ps, ps2], milestones=[2]),
                lambda: L(th).SequentialLR(to, [ts, ts2], milestones=[2]))
    w = L(pynet).CosineAnnealingWarmRestarts(po, T_0=2)
    with pytest.raises(ValueError, match="non-negative epoch"):
        w.step(-1)


# ---------------------------------------------------------------- nn.utils
U = pynet.nn.utils


def test_parameters_to_vector_and_back():
    a = pynet.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    b = pynet.tensor(np.array([7.0, 8.0]), requires_grad=True)
    v = U.parameters_to_vector([a, b])
    check(v, np.array([0, 1, 2, 3, 4, 5, 7, 8.0]))
    (v * pynet.tensor(np.arange(8.0))).sum().backward()  # differentiable
    check(a.grad, np.arange(6.0).reshape(2, 3))
    check(b.grad, np.array([6.0, 7.0]))
    assert gc(lambda x, y: U.parameters_to_vector([x, y]), np.ones((2, 2)), np.ones(3))
    new = pynet.tensor(np.arange(10.0, 18.0))
    U.vector_to_parameters(new, [a, b])
    check(a, np.arange(10.0, 16.0).reshape(2, 3))
    check(b, np.array([16.0, 17.0]))
    assert a.requires_grad and tuple(a.shape) == (2, 3)
    new[0] = -1.0  # .data is a view of vec, as in torch
    assert float(a[0, 0]) == -1.0
    raises_like(lambda: U.vector_to_parameters([1.0], [a]), exc=TypeError)
    raises_like(lambda: U.parameters_to_vector([]), exc=ValueError)


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.5, math.inf])
def test_get_total_norm_and_clip_with_norm(need_torch, norm_type):
    th = need_torch
    arrs = [np.linspace(-2, 3, 6).reshape(2, 3), np.array([4.0, -0.5])]
    pn = [pynet.tensor(a) for a in arrs]
    tt = [th.tensor(a) for a in arrs]
    pt = U.get_total_norm(pn, norm_type)
    tt_norm = th.nn.utils.get_total_norm(tt, norm_type)
    check(pt, tt_norm, rtol=1e-12)
    check(U.get_total_norm(pn[0], norm_type), th.nn.utils.get_total_norm(tt[0], norm_type),
          rtol=1e-12)
    pp = [pynet.zeros(a.shape, dtype=pynet.float64, requires_grad=True) for a in arrs]
    tp = [th.zeros(a.shape, dtype=th.float64, requires_grad=True) for a in arrs]
    for p, t, a in zip(pp + tp, tt + tt, arrs + arrs):
        p.grad = pynet.tensor(a) if isinstance(p, pynet.Tensor) else th.tensor(a)
    assert U.clip_grads_with_norm_(pp, 1.5, pt) is None
    th.nn.utils.clip_grads_with_norm_(tp, 1.5, tt_norm)
    for p, t in zip(pp, tp):
        check(p.grad, t.grad, rtol=1e-12)


def test_get_total_norm_edge_cases():
    check(U.get_total_norm([]), np.float32(0.0))
    bad = [pynet.tensor(np.array([1.0, np.inf]))]
    with pytest.raises(RuntimeError, match="non-finite"):
        U.get_total_norm(bad, error_if_nonfinite=True)
    assert math.isinf(float(U.get_total_norm(bad)))
    p = pynet.zeros(2, requires_grad=True)
    p.grad = pynet.tensor(np.array([3.0, 4.0], dtype=np.float32))
    U.clip_grads_with_norm_(p, 10.0, pynet.tensor(np.float32(5.0)))  # no clipping needed
    check(p.grad, np.array([3.0, 4.0], dtype=np.float32))


def test_clip_grad_norm_deprecated_alias():
    p = pynet.zeros(2, requires_grad=True)
    p.grad = pynet.tensor(np.array([3.0, 4.0], dtype=np.float32))
    with pytest.warns(FutureWarning, match="clip_grad_norm_"):
        total = U.clip_grad_norm(p, 1.0)
    check(total, np.float32(5.0))
    check(p.grad, np.array([0.6, 0.8], dtype=np.float32), rtol=1e-5)
    with pytest.warns(UserWarning, match="empty generator"):
        U.clip_grad_norm_((q for q in []), 1.0)


def _bn_eval(mod, n, seed):
    bn = getattr(mod.nn, "BatchNorm2d" if seed % 2 else "BatchNorm1d")(n).double()
    rng = np.random.default_rng(seed)
    with mod.no_grad():
        bn.running_mean.copy_(mod.tensor(rng.normal(size=n)))
        bn.running_var.copy_(mod.tensor(rng.random(n) + 0.5))
        bn.weight.copy_(mod.tensor(rng.normal(size=n)))
        bn.bias.copy_(mod.tensor(rng.normal(size=n)))
    return bn.eval()


@pytest.mark.parametrize("bias", [True, False])
def test_fuse_conv_bn_eval(bias):
    rng = np.random.default_rng(3)
    conv = pynet.nn.Conv2d(2, 3, 3, bias=bias).double().eval()
    bn = _bn_eval(pynet, 3, 1)
    x = pynet.tensor(rng.normal(size=(2, 2, 5, 5)))
    fused = U.fuse_conv_bn_eval(conv, bn)
    assert fused is not conv and isinstance(fused.bias, pynet.nn.Parameter)
    check(fused(x), to_np(bn(conv(x))), rtol=1e-10, atol=1e-12)
    assert fused.weight.is_leaf and fused.weight.requires_grad
    conv.train()
    with pytest.raises(AssertionError, match="eval"):
        U.fuse_conv_bn_eval(conv, bn)


def test_fuse_conv_transpose_bn_eval():
    rng = np.random.default_rng(4)
    conv = pynet.nn.ConvTranspose2d(2, 3, 3).double().eval()
    bn = _bn_eval(pynet, 3, 1)
    x = pynet.tensor(rng.normal(size=(1, 2, 4, 4)))
    fused = U.fuse_conv_bn_eval(conv, bn, transpose=True)
    check(fused(x), to_np(bn(conv(x))), rtol=1e-10, atol=1e-12)


def test_fuse_weights_match_torch(need_torch):
    th = need_torch
    rng = np.random.default_rng(5)
    w, b = rng.normal(size=(4, 2, 3)), rng.normal(size=4)
    rm, rv = rng.normal(size=4), rng.random(4) + 0.1
    bw, bb = rng.normal(size=4), rng.normal(size=4)
    for args in [(w, b, rm, rv, 1e-3, bw, bb), (w, None, rm, rv, 1e-5, None, None)]:
        pn = U.fuse_conv_bn_weights(*[pynet.tensor(a) if isinstance(a, np.ndarray) else a
                                      for a in args])
        tt = th.nn.utils.fuse_conv_bn_weights(*[th.tensor(a) if isinstance(a, np.ndarray)
                                                else a for a in args])
        for p, t in zip(pn, tt):
            check(p, t, rtol=1e-12)
    lw, lb = rng.normal(size=(4, 3)), rng.normal(size=4)
    for args in [(lw, lb, rm, rv, 1e-5, bw, bb), (lw, None, rm, rv, 1e-5, bw, bb)]:
        pn = U.fuse_linear_bn_weights(*[pynet.tensor(a) if isinstance(a, np.ndarray) else a
                                        for a in args])
        tt = th.nn.utils.fuse_linear_bn_weights(*[th.tensor(a) if isinstance(a, np.ndarray)
                                                  else a for a in args])
        for p, t in zip(pn, tt):
            check(p, t, rtol=1e-12)


def test_fuse_linear_bn_eval():
    rng = np.random.default_rng(6)
    lin = pynet.nn.Linear(3, 4).double().eval()
    bn = _bn_eval(pynet, 4, 2)
    x = pynet.tensor(rng.normal(size=(5, 3)))
    check(U.fuse_linear_bn_eval(lin, bn)(x), to_np(bn(lin(x))), rtol=1e-10, atol=1e-12)
    with pytest.raises(AssertionError, match="out_features"):
        U.fuse_linear_bn_eval(lin, _bn_eval(pynet, 3, 2))


def test_skip_init():
    m = U.skip_init(pynet.nn.Linear, 5, 2, bias=False)
    assert isinstance(m, pynet.nn.Linear) and tuple(m.weight.shape) == (2, 5) and m.bias is None
    m = U.skip_init(pynet.nn.Linear, in_features=6, out_features=1)
    assert tuple(m.weight.shape) == (1, 6)
    with pytest.raises(RuntimeError, match="Expected a Module"):
        U.skip_init(int)
    with pytest.raises(RuntimeError, match="device"):
        U.skip_init(pynet.nn.ReLU)


# ---------------------------------------------------------------- optimizers
def _problem(mod, dtype, seed=0):
    """Two parameters and an elementwise loss (same gradients in pynet and torch)."""
    rng = np.random.default_rng(seed)
    a0, b0 = rng.normal(size=(3, 4)), rng.normal(size=4)
    c0, w0 = rng.normal(size=(3, 4)), rng.random((3, 4)) + 0.5
    a = mod.tensor(a0.astype(dtype), requires_grad=True)
    b = mod.tensor(b0.astype(dtype), requires_grad=True)
    c, w = mod.tensor(c0.astype(dtype)), mod.tensor(w0.astype(dtype))

    def loss_fn(sign=1.0):
        return sign * ((((a - c) ** 2) * w).sum() + ((b - 1) ** 2).sum()
                       + (a * a * a * a).sum() * 0.05)
    return a, b, loss_fn


def _trajectory(mod, cls, dtype, steps=12, state_from=None, **kw):
    a, b, loss_fn = _problem(mod, dtype)
    opt = getattr(mod.optim, cls)([{"params": [a]}, {"params": [b], "lr": 0.003}], **kw)
    sign = -1.0 if kw.get("maximize") else 1.0
    out = []
    for _ in range(steps):
        opt.zero_grad()
        loss_fn(sign).backward()
        opt.step()
        out.append(np.concatenate([a.detach().numpy().ravel(), b.detach().numpy().ravel()]))
    return np.array(out), opt


OPT_CASES = [
    ("NAdam", {}), ("NAdam", dict(weight_decay=0.1)),
    ("NAdam", dict(weight_decay=0.1, decoupled_weight_decay=True, momentum_decay=0.01)),
    ("NAdam", dict(maximize=True, betas=(0.8, 0.95), eps=1e-6)),
    ("RAdam", {}), ("RAdam", dict(weight_decay=0.1)),
    ("RAdam", dict(weight_decay=0.1, decoupled_weight_decay=True)),
    ("RAdam", dict(maximize=True, betas=(0.8, 0.9))),  # rho_t > 5 from step 6 on
    ("Adamax", {}), ("Adamax", dict(weight_decay=0.1)), ("Adamax", dict(maximize=True)),
    ("ASGD", {}), ("ASGD", dict(t0=5, lambd=0.01, alpha=0.5)),
    ("ASGD", dict(weight_decay=0.1, maximize=True, t0=3)),
    ("Rprop", {}), ("Rprop", dict(etas=(0.3, 1.5), step_sizes=(1e-3, 0.05))),
    ("Rprop", dict(maximize=True)),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("cls,kw", OPT_CASES)
def test_optimizer_trajectory_matches_torch(need_torch, cls, kw, dtype):
    p, po = _trajectory(pynet, cls, dtype, lr=0.05, **kw)
    t, to = _trajectory(need_torch, cls, dtype, lr=0.05, **kw)
    # float32: pynet's sqrt is correctly rounded and torch's lerp uses FMA, so single
    # roundings differ by an ulp now and then; float64 agrees to rounding
    rtol, atol = (1e-5, 1e-6) if dtype == "float32" else (1e-12, 1e-13)
    np.testing.assert_allclose(p, t, rtol=rtol, atol=atol)
    assert np.abs(p[-1] - p[0]).max() > 1e-3  # the parameters did move
    ps, ts = po.state_dict(), to.state_dict()
    assert ps["param_groups"] == ts["param_groups"]
    for i in (0, 1):
        assert list(ps["state"][i]) == list(ts["state"][i])  # torch's keys, in its order
        for k, v in ps["state"][i].items():
            check(v, ts["state"][i][k], rtol=1e-4 if dtype == "float32" else 1e-11,
                  atol=1e-6 if dtype == "float32" else 1e-13)


def test_adamax_and_asgd_by_hand():
    p = pynet.tensor(np.array([1.0, -2.0]), requires_grad=True)
    opt = pynet.optim.Adamax([p], lr=0.1, betas=(0.5, 0.9), eps=0.0)
    p.grad = pynet.tensor(np.array([2.0, -4.0]))
    opt.step()  # m = 0.5 g, u = |g|, p -= 0.1 / 0.5 * m / u = 0.1 * sign(g)
    check(p, np.array([0.9, -1.9]), rtol=1e-14)
    q = pynet.tensor(np.array([1.0]), requires_grad=True)
    opt = pynet.optim.ASGD([q], lr=0.5, lambd=0.0, t0=0)
    for expected_q, expected_ax in [(0.5, 0.5), (0.25, 0.25), (0.125, 0.1875)]:
        q.grad = q.detach().clone()  # f = q^2 / 2
        opt.step()
        check(q, np.array([expected_q]), rtol=1e-14)
        check(opt.state[q]["ax"], np.array([expected_ax]), rtol=1e-14)


def test_rprop_by_hand():
    p = pynet.tensor(np.array([0.0, 0.0, 0.0]), requires_grad=True)
    opt = pynet.optim.Rprop([p], lr=0.1, etas=(0.5, 2.0), step_sizes=(0.01, 0.3))
    for g in ([1.0, 1.0, 0.0], [1.0, -1.0, 1.0], [1.0, 1.0, 1.0], [1.0, 1.0, 1.0]):
        p.grad = pynet.tensor(np.array(g))
        opt.step()
    # coordinate 0: steps 0.1, 0.2, 0.3 (capped), 0.3; coordinate 1: 0.1, flip (0.05, no
    # move), 0.05, 0.1; coordinate 2: no move, 0.1, 0.2, 0.3 (capped)
    check(p, np.array([-0.9, -0.25, -0.6]), rtol=1e-14)
    check(opt.state[p]["step_size"], np.array([0.3, 0.1, 0.3]), rtol=1e-14)


@pytest.mark.parametrize("cls,kw", [("NAdam", dict(weight_decay=0.1)), ("RAdam", {}),
                                    ("Adamax", {}), ("ASGD", dict(t0=2)), ("Rprop", {})])
def test_optimizer_state_dict_round_trip(cls, kw):
    full, _ = _trajectory(pynet, cls, "float64", steps=10, lr=0.05, **kw)
    part, opt = _trajectory(pynet, cls, "float64", steps=4, lr=0.05, **kw)
    sd = opt.state_dict()
    a, b, loss_fn = _problem(pynet, "float64")
    with pynet.no_grad():
        a.copy_(pynet.tensor(part[-1][:12].reshape(3, 4)))
        b.copy_(pynet.tensor(part[-1][12:]))
    opt2 = getattr(pynet.optim, cls)([{"params": [a]}, {"params": [b], "lr": 0.003}],
                                     lr=0.05, **kw)
    opt2.load_state_dict(sd)
    assert opt2.state[a]["step"] is not sd["state"][0]["step"]  # copied
    rest = []
    for _ in range(6):
        opt2.zero_grad()
        loss_fn().backward()
        opt2.step()
        rest.append(np.concatenate([to_np(a).ravel(), to_np(b).ravel()]))
    # load_state_dict casts the float32 scalars mu_product (NAdam) and eta, mu (ASGD) to
    # the parameter's dtype, as PyTorch does, so those continue from a rounded value
    tol = 1e-6 if cls in ("NAdam", "ASGD") else 1e-14
    np.testing.assert_allclose(np.array(rest), full[4:], rtol=tol, atol=tol)
    assert all(dname(v.dtype) == ("float32" if k == "step" else "float64")
               for k, v in opt2.state[a].items())


def test_optimizer_skips_params_without_grad_and_returns_closure_loss():
    p, q = pynet.ones(2, requires_grad=True), pynet.ones(2, requires_grad=True)
    for cls in ("NAdam", "RAdam", "Adamax", "ASGD", "Rprop"):
        opt = getattr(pynet.optim, cls)([p, q])

        def closure():
            opt.zero_grad()
            loss = (p * p).sum()
            loss.backward()
            return loss
        assert float(opt.step(closure)) == 2.0
        assert q not in opt.state or len(opt.state[q]) == 0
        check(q, np.ones(2, dtype=np.float32))
        assert float(p[0]) < 1.0
        with pynet.no_grad():
            p.fill_(1.0)


@pytest.mark.parametrize("cls,bad", [
    ("NAdam", dict(lr=-1.0)), ("NAdam", dict(eps=-1.0)), ("NAdam", dict(betas=(1.0, 0.9))),
    ("NAdam", dict(betas=(0.9, -0.1))), ("NAdam", dict(weight_decay=-1)),
    ("NAdam", dict(momentum_decay=-1)), ("RAdam", dict(lr=-1.0)),
    ("RAdam", dict(betas=(0.9, 1.0))), ("Adamax", dict(eps=-1.0)),
    ("Adamax", dict(weight_decay=-0.5)), ("ASGD", dict(lr=-0.1)),
    ("ASGD", dict(weight_decay=-0.1)), ("Rprop", dict(lr=-1.0)),
    ("Rprop", dict(etas=(1.1, 1.2))), ("Rprop", dict(etas=(0.5, 0.9))),
    ("LBFGS", dict(lr=-1.0))])
def test_optimizer_constructor_errors(need_torch, cls, bad):
    th = need_torch
    raises_like(lambda: getattr(pynet.optim, cls)([pynet.zeros(2, requires_grad=True)], **bad),
                lambda: getattr(th.optim, cls)([th.zeros(2, requires_grad=True)], **bad))


@pytest.mark.parametrize("cls", ["NAdam", "RAdam", "Adamax", "ASGD", "Rprop"])
def test_optimizer_differentiable_not_implemented(cls):
    with pytest.raises(NotImplementedError, match="differentiable"):
        getattr(pynet.optim, cls)([pynet.zeros(2, requires_grad=True)], differentiable=True)
    opt = getattr(pynet.optim, cls)([pynet.zeros(2, requires_grad=True)], foreach=True,
                                    capturable=False)
    assert opt.defaults["foreach"] is True and opt.defaults["differentiable"] is False


def test_optimizer_defaults_match_torch(need_torch):
    th = need_torch
    for cls in ("NAdam", "RAdam", "Adamax", "ASGD", "Rprop", "LBFGS"):
        po = getattr(pynet.optim, cls)([pynet.zeros(2, requires_grad=True)])
        to = getattr(th.optim, cls)([th.zeros(2, requires_grad=True)])
        assert po.defaults == to.defaults, cls
        assert po.param_groups[0].keys() == to.param_groups[0].keys()


# ---------------------------------------------------------------- LBFGS
def _rosenbrock_run(mod, dtype, steps, **kw):
    x = mod.tensor(np.array([-1.5, 2.0], dtype=dtype), requires_grad=True)
    opt = mod.optim.LBFGS([x], **kw)

    def closure():
        opt.zero_grad()
        loss = (1 - x[0]) ** 2 + 100 * (x[1] - x[0] * x[0]) ** 2
        loss.backward()
        return loss
    xs, losses = [], []
    for _ in range(steps):
        losses.append(float(opt.step(closure).detach()))
        xs.append(x.detach().numpy().copy())
    st = opt.state[x]
    return np.array(xs), np.array(losses), (st["func_evals"], st["n_iter"]), opt


@pytest.mark.parametrize("kw,steps", [
    (dict(line_search_fn="strong_wolfe"), 3),
    (dict(line_search_fn="strong_wolfe", max_iter=1), 25),
    (dict(line_search_fn="strong_wolfe", history_size=2, max_eval=10, tolerance_change=1e-5),
     2),
    (dict(max_iter=1), 10),
    (dict(max_iter=3, history_size=3, lr=0.5), 3)])
def test_lbfgs_rosenbrock_matches_torch(need_torch, kw, steps):
    pxs, pl, pcount, _ = _rosenbrock_run(pynet, "float64", steps, **kw)
    txs, tl, tcount, _ = _rosenbrock_run(need_torch, "float64", steps, **kw)
    assert pcount == tcount  # same number of closure calls and iterations
    np.testing.assert_allclose(pxs, txs, rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(pl, tl, rtol=1e-10, atol=1e-14)


def test_lbfgs_minimises_rosenbrock():
    xs, losses, _, opt = _rosenbrock_run(pynet, "float64", 3, line_search_fn="strong_wolfe")
    np.testing.assert_allclose(xs[-1], [1.0, 1.0], atol=1e-4)
    assert losses[0] > 1 and losses[-1] < 1e-6
    xs, losses, _, _ = _rosenbrock_run(pynet, "float32", 4, line_search_fn="strong_wolfe")
    np.testing.assert_allclose(xs[-1], [1.0, 1.0], atol=1e-3)


def test_lbfgs_quadratic_matches_torch_and_numpy(need_torch):
    th = need_torch
    rng = np.random.default_rng(2)
    m = rng.normal(size=(4, 4))
    A, bvec = m @ m.T + 4 * np.eye(4), rng.normal(size=4)

    def run(mod, **kw):
        x = mod.zeros(4, dtype=mod.float64, requires_grad=True)
        A_, b_ = mod.tensor(A), mod.tensor(bvec)
        opt = mod.optim.LBFGS([x], **kw)

        def closure():
            opt.zero_grad()
            loss = 0.5 * (x * (A_ @ x)).sum() - (b_ * x).sum()
            loss.backward()
            return loss
        out = []
        for _ in range(3):
            opt.step(closure)
            out.append(x.detach().numpy().copy())
        return np.array(out)
    for kw in [dict(max_iter=4, lr=0.3), dict(history_size=2, max_iter=5),
               dict(line_search_fn="strong_wolfe", tolerance_grad=1e-12, tolerance_change=1e-15)]:
        p, t = run(pynet, **kw), run(th, **kw)
        np.testing.assert_allclose(p, t, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(p[-1], np.linalg.solve(A, bvec), rtol=1e-6)


def test_lbfgs_state_dict_and_errors(need_torch):
    th = need_torch
    _, _, _, opt = _rosenbrock_run(pynet, "float64", 1, line_search_fn="strong_wolfe")
    _, _, _, topt = _rosenbrock_run(th, "float64", 1, line_search_fn="strong_wolfe")
    ps, ts = opt.state_dict(), topt.state_dict()
    assert ps["param_groups"] == ts["param_groups"]
    assert sorted(ps["state"][0]) == sorted(ts["state"][0])
    np.testing.assert_allclose(to_np(ps["state"][0]["d"]), ts["state"][0]["d"].numpy(),
                               rtol=1e-11)
    x = pynet.tensor(np.array([-1.5, 2.0]), requires_grad=True)
    opt2 = pynet.optim.LBFGS([x], line_search_fn="strong_wolfe")
    opt2.load_state_dict(ps)
    assert opt2.state[x]["n_iter"] == ps["state"][0]["n_iter"]
    assert len(opt2.state[x]["old_dirs"]) == len(ps["state"][0]["old_dirs"])
    raises_like(lambda: pynet.optim.LBFGS([{"params": [x]}, {"params": [pynet.ones(1)]}]),
                lambda: th.optim.LBFGS([{"params": [th.ones(1, requires_grad=True)]},
                                        {"params": [th.ones(1, requires_grad=True)]}]))
    bad = pynet.optim.LBFGS([x], line_search_fn="armijo")

    def closure():
        bad.zero_grad()
        loss = (x * x).sum()
        loss.backward()
        return loss
    with pytest.raises(RuntimeError, match="strong_wolfe"):
        bad.step(closure)
    with pytest.raises(TypeError):
        bad.step()
    assert pynet.optim.LBFGS([x]).defaults["max_eval"] == 25


# ---------------------------------------------------------------- weight_norm
@pytest.mark.parametrize("dim", [0, 1, None, -1])
def test_weight_norm_matches_torch(need_torch, dim):
    th = need_torch
    rng = np.random.default_rng(7)
    w0, b0, x0 = rng.normal(size=(4, 3)), rng.normal(size=4), rng.normal(size=(5, 3))
    mods = []
    for mod in (pynet, th):
        lin = mod.nn.Linear(3, 4).double()
        with mod.no_grad():
            lin.weight.copy_(mod.tensor(w0))
            lin.bias.copy_(mod.tensor(b0))
        with pytest.warns(FutureWarning, match="deprecated"):
            mod.nn.utils.weight_norm(lin, dim=dim)
        mods.append(lin)
    pl, tl = mods
    assert sorted(n for n, _ in pl.named_parameters()) == sorted(
        n for n, _ in tl.named_parameters()) == ["bias", "weight_g", "weight_v"]
    check(pl.weight_g, tl.weight_g, rtol=1e-12)
    check(pl.weight, tl.weight, rtol=1e-12)  # = the original weight
    with pynet.no_grad():
        pl.weight_g.mul_(2.0)
    with th.no_grad():
        tl.weight_g.mul_(2.0)
    px, tx = pynet.tensor(x0), th.tensor(x0)
    py, ty = pl(px), tl(tx)  # the hook recomputes the weight from the new g
    check(py, ty, rtol=1e-12)
    (py * py).sum().backward()
    (ty * ty).sum().backward()
    check(pl.weight_g.grad, tl.weight_g.grad, rtol=1e-10)
    check(pl.weight_v.grad, tl.weight_v.grad, rtol=1e-10)
    for mod, lin in ((pynet, pl), (th, tl)):
        mod.nn.utils.remove_weight_norm(lin)
    assert isinstance(pl.weight, pynet.nn.Parameter) and not hasattr(pl, "weight_g")
    check(pl.weight, tl.weight, rtol=1e-12)
    check(pl(px), tl(tx), rtol=1e-12)


def test_weight_norm_by_hand_and_errors():
    conv = pynet.nn.Conv1d(2, 3, 2).double()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        U.weight_norm(conv)
        with pytest.raises(RuntimeError, match="two weight_norm hooks"):
            U.weight_norm(conv)
    w = to_np(conv.weight_v)
    norms = np.sqrt((w ** 2).sum(axis=(1, 2), keepdims=True))
    check(conv.weight_g, norms, rtol=1e-12)
    for dim, g0 in ((0, norms), (1, np.sqrt((w ** 2).sum(axis=(0, 2), keepdims=True))),
                    (-1, np.sqrt((w ** 2).sum()))):
        wn = WeightNorm("weight", dim)
        assert gc(lambda g, v: wn.compute_weight(SimpleNamespace(weight_g=g, weight_v=v)),
                  g0 * 1.5, w)
    U.remove_weight_norm(conv)
    with pytest.raises(ValueError, match="weight_norm of 'weight' not found"):
        U.remove_weight_norm(conv)
    check(conv.weight, w, rtol=1e-12)
