"""pynet.optim.lr_scheduler against torch.optim.lr_scheduler: the same lr (and momentum)
sequences, step for step, with two param groups of different lrs."""
import math
import pickle
import warnings

import pytest

import pynet
import pynet.optim as optim
from pynet.optim import lr_scheduler as sched

torch = pytest.importorskip("torch")

STEPS = 50


def _make(lib, opt_name="SGD", **kw):
    if lib == "torch":
        a, b = torch.zeros(2, requires_grad=True), torch.zeros(3, requires_grad=True)
        mod = torch.optim
    else:
        a, b = pynet.zeros(2, requires_grad=True), pynet.zeros(3, requires_grad=True)
        mod = optim
    kw.setdefault("lr", 0.1)
    return getattr(mod, opt_name)([{"params": [a]}, {"params": [b], "lr": 0.03}], **kw)


def _sequence(lib, name, kwargs, opt_name="SGD", opt_kw=None, steps=STEPS, metrics=None):
    opt = _make(lib, opt_name, **(opt_kw or {}))
    mod = torch.optim.lr_scheduler if lib == "torch" else sched
    s = getattr(mod, name)(opt, **kwargs)
    seq = []
    for i in range(steps):
        opt.step()
        if metrics is None:
            s.step()
        else:
            s.step(metrics[i])
        lrs = list(s.get_last_lr())
        assert lrs == [g["lr"] for g in opt.param_groups]
        mom = [g.get("momentum", g.get("betas", (None,))[0]) for g in opt.param_groups]
        seq.append((lrs, mom))
    return seq, s, opt


CASES = [
    ("StepLR", dict(step_size=7, gamma=0.5), "SGD", {}),
    ("StepLR", dict(step_size=1), "SGD", {}),
    ("MultiStepLR", dict(milestones=[5, 12, 12, 30], gamma=0.3), "SGD", {}),
    ("ExponentialLR", dict(gamma=0.93), "SGD", {}),
    ("CosineAnnealingLR", dict(T_max=20), "SGD", {}),
    ("CosineAnnealingLR", dict(T_max=13, eta_min=1e-3), "Adam", {}),
    ("LambdaLR", dict(lr_lambda=lambda e: 0.95 ** e + 0.01 * (e % 3)), "SGD", {}),
    ("OneCycleLR", dict(max_lr=1.0, total_steps=STEPS), "SGD", dict(momentum=0.9)),
    ("OneCycleLR", dict(max_lr=[0.5, 2.0], total_steps=STEPS, anneal_strategy="linear"),
     "SGD", dict(momentum=0.9)),
    ("OneCycleLR", dict(max_lr=0.3, epochs=5, steps_per_epoch=10, three_phase=True,
                        pct_start=0.25), "Adam", {}),
    ("OneCycleLR", dict(max_lr=0.3, total_steps=STEPS, cycle_momentum=False, div_factor=10.0,
                        final_div_factor=100.0), "Adam", {}),
    ("OneCycleLR", dict(max_lr=0.3, total_steps=STEPS, base_momentum=0.7, max_momentum=0.99),
     "RMSprop", dict(momentum=0.5)),
]


@pytest.mark.parametrize("name,kwargs,opt_name,opt_kw", CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_sequence_matches_torch(name, kwargs, opt_name, opt_kw):
    ref, _, _ = _sequence("torch", name, kwargs, opt_name, opt_kw)
    got, _, _ = _sequence("pynet", name, kwargs, opt_name, opt_kw)
    assert got == ref  # the same floating-point computations, so exactly equal
    assert len({tuple(lrs) for lrs, _ in got}) > 1  # the lr does change


PLATEAU = [
    dict(),
    dict(patience=2, factor=0.5),
    dict(patience=1, factor=0.5, cooldown=3, min_lr=[0.01, 0.005]),
    dict(mode="max", patience=2, threshold=0.05, threshold_mode="abs"),
    dict(mode="max", patience=0, threshold=0.01, factor=0.3, eps=1e-3),
    dict(patience=1, threshold=0.1, threshold_mode="rel", factor=0.2, min_lr=1e-3),
]
# A loss that falls, plateaus, bumps and oscillates.
LOSSES = [1.0 / (1 + i) if i < 10 else 0.1 + 0.001 * ((i * 7) % 5) - 0.0005 * (i % 2)
          for i in range(STEPS)]


@pytest.mark.parametrize("kwargs", PLATEAU, ids=[str(k) for k in PLATEAU])
def test_reduce_lr_on_plateau(kwargs):
    ref, _, _ = _sequence("torch", "ReduceLROnPlateau", kwargs, metrics=LOSSES)
    got, s, _ = _sequence("pynet", "ReduceLROnPlateau", kwargs, metrics=LOSSES)
    assert got == ref
    assert got[-1][0] != got[0][0]  # it did reduce
    with pytest.raises(ValueError, match="Factor should be < 1.0"):
        sched.ReduceLROnPlateau(s.optimizer, factor=1.0)


def test_reduce_lr_on_plateau_metric_tensor_and_state_dict():
    opt = _make("pynet")
    s = sched.ReduceLROnPlateau(opt, patience=0)
    s.step(pynet.tensor(1.0))
    s.step(pynet.tensor(2.0))
    assert s.get_last_lr() == pytest.approx([0.01, 0.003])
    sd = s.state_dict()
    assert "optimizer" not in sd and sd["best"] == 1.0
    s2 = sched.ReduceLROnPlateau(_make("pynet"))
    s2.load_state_dict(sd)
    assert s2.best == 1.0 and s2.patience == 0


@pytest.mark.parametrize("name,kwargs", [("StepLR", dict(step_size=4, gamma=0.5)),
                                         ("CosineAnnealingLR", dict(T_max=10)),
                                         ("OneCycleLR", dict(max_lr=1.0, total_steps=STEPS))])
def test_state_dict_resume(name, kwargs):
    full, _, _ = _sequence("pynet", name, kwargs, opt_kw=dict(momentum=0.9))
    opt = _make("pynet", momentum=0.9)
    s = getattr(sched, name)(opt, **kwargs)
    for _ in range(20):
        opt.step()
        s.step()
    sd = pickle.loads(pickle.dumps(s.state_dict()))
    osd = opt.state_dict()
    opt2 = _make("pynet", momentum=0.9)
    s2 = getattr(sched, name)(opt2, **kwargs)
    opt2.load_state_dict(osd)
    s2.load_state_dict(sd)
    rest = []
    for _ in range(20, STEPS):
        opt2.step()
        s2.step()
        rest.append(s2.get_last_lr())
    assert rest == [lrs for lrs, _ in full[20:]]


def test_initial_lr_and_base_lrs():
    opt = _make("pynet")
    s = sched.StepLR(opt, step_size=2)
    assert s.base_lrs == [0.1, 0.03] and s.last_epoch == 0
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.03]
    assert s.get_last_lr() == [0.1, 0.03]
    with pytest.raises(KeyError, match="initial_lr"):
        sched.StepLR(_make("pynet"), step_size=2, last_epoch=3)
    with pytest.raises(TypeError, match="is not an Optimizer"):
        sched.StepLR(object(), step_size=2)


def test_lambda_lr_per_group_and_errors():
    opt = _make("pynet")
    s = sched.LambdaLR(opt, [lambda e: 1.0 / (e + 1), lambda e: 2.0])
    opt.step()
    s.step()
    assert s.get_last_lr() == [0.05, 0.06]
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas, but got 1"):
        sched.LambdaLR(opt, [lambda e: 1.0])


def test_closed_form_with_epoch_argument():
    for lib, mod in (("torch", torch.optim.lr_scheduler), ("pynet", sched)):
        opt = _make(lib)
        s = mod.MultiStepLR(opt, milestones=[3, 6], gamma=0.5)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            opt.step()
            s.step(7)
        if lib == "torch":
            ref = s.get_last_lr()
        else:
            assert s.get_last_lr() == ref == [0.025, 0.0075]


def test_warns_when_stepped_before_optimizer():
    opt = _make("pynet")
    s = sched.StepLR(opt, step_size=2)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        s.step()
    opt2 = _make("pynet")
    s2 = sched.StepLR(opt2, step_size=2)
    opt2.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s2.step()


def test_one_cycle_errors_and_cycle_momentum():
    opt = _make("pynet")  # SGD without momentum: momentum key exists (0)
    s = sched.OneCycleLR(opt, max_lr=1.0, total_steps=10)
    assert opt.param_groups[0]["momentum"] == 0.95
    for _ in range(10):
        opt.step()
        s.step()
    with pytest.raises(ValueError, match="Tried to step 11 times"):
        s.step()
    with pytest.raises(ValueError, match="total_steps OR"):
        sched.OneCycleLR(_make("pynet"), max_lr=1.0)
    with pytest.raises(ValueError, match="anneal_strategy"):
        sched.OneCycleLR(_make("pynet"), max_lr=1.0, total_steps=5, anneal_strategy="x")
    assert math.isclose(sched.OneCycleLR._annealing_cos(1.0, 0.0, 0.5), 0.5)


def test_scheduler_drives_training():
    """The lr the scheduler sets is the lr the next optimizer step uses."""
    p = pynet.zeros(1, requires_grad=True)
    opt = optim.SGD([p], lr=1.0)
    s = sched.StepLR(opt, step_size=1, gamma=0.5)
    for _ in range(3):
        p.grad = pynet.ones(1)
        opt.step()
        s.step()
    assert p.tolist() == [-(1.0 + 0.5 + 0.25)]
