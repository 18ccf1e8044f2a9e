"""pynet.optim.lr_scheduler against torch.optim.lr_scheduler: the same lr (and momentum)
sequences, step for step, with two param groups of different lrs. Without PyTorch the
sequences are checked against references written here from the formulas of PyTorch's
documentation (ref_sequence); only the direct torch comparisons skip."""
import math
import pickle
import warnings
from bisect import bisect_right
from collections import Counter

import pytest

import pynet
import pynet.optim as optim
from pynet.optim import lr_scheduler as sched

from conftest import torch  # None without PyTorch: only the torch comparisons skip

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


# ----------------------------------------------------------- references ---
# The schedules of torch.optim.lr_scheduler as documented. Recursive ("chainable") forms
# are what step() evaluates, in the same floating-point order, so they are compared
# exactly; each is also checked against its documented closed form.

def _closed_form(name, kw, base, e):
    """The documented closed form of the lr at epoch e (None if there is none)."""
    if name == "StepLR":
        return base * kw.get("gamma", 0.1) ** (e // kw["step_size"])
    if name == "MultiStepLR":
        return base * kw.get("gamma", 0.1) ** bisect_right(sorted(kw["milestones"]), e)
    if name == "ExponentialLR":
        return base * kw["gamma"] ** e
    if name == "CosineAnnealingLR":
        eta_min = kw.get("eta_min", 0.0)
        return eta_min + (base - eta_min) * (1 + math.cos(math.pi * e / kw["T_max"])) / 2
    return None


def _recursive_lr(name, kw, base, lr, e):
    """lr at epoch e >= 1 from the lr at epoch e - 1."""
    if name == "StepLR":  # decay by gamma every step_size epochs
        return lr * kw.get("gamma", 0.1) if e % kw["step_size"] == 0 else lr
    if name == "MultiStepLR":  # by gamma at each milestone (gamma^n if listed n times)
        n = Counter(kw["milestones"])[e]
        return lr * kw.get("gamma", 0.1) ** n if n else lr
    if name == "ExponentialLR":
        return lr * kw["gamma"]
    if name == "CosineAnnealingLR":
        # eta_{t+1} = eta_min + (eta_t - eta_min) (1 + cos(pi (T+1) / T_max))
        #                                         / (1 + cos(pi T / T_max)),
        # and eta_{t+1} = eta_t + (eta_max - eta_min) (1 - cos(pi / T_max)) / 2 when
        # T = (2k + 1) T_max (where the ratio above is 0/0)
        T, eta_min = kw["T_max"], kw.get("eta_min", 0.0)
        if (e - 1 - T) % (2 * T) == 0:
            return lr + (base - eta_min) * (1 - math.cos(math.pi / T)) / 2
        return ((1 + math.cos(math.pi * e / T)) / (1 + math.cos(math.pi * (e - 1) / T))
                * (lr - eta_min) + eta_min)
    if name == "LambdaLR":  # base_lr * lambda(epoch)
        return base * kw["lr_lambda"](e)
    raise AssertionError(name)


def _anneal(strategy, start, end, pct):
    if strategy == "cos":  # cosine from start to end as pct goes 0 -> 1
        return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
    return (end - start) * pct + start


def _one_cycle(kw, e, group):
    """OneCycleLR (Smith & Topin): lr from max_lr / div_factor up to max_lr over the first
    pct_start of total_steps, then down to initial_lr / final_div_factor (three_phase: back
    to initial_lr over as many steps, then down to the minimum); momentum the other way
    between max_momentum and base_momentum. Phase ends are at step pct_start * total - 1
    (three_phase: and 2 pct_start * total - 2) and total - 1."""
    total = kw.get("total_steps") or kw["epochs"] * kw["steps_per_epoch"]
    pct_start = kw.get("pct_start", 0.3)
    if kw.get("three_phase", False):
        phases = [(float(pct_start * total) - 1, "initial_lr", "max_lr", "max_m", "base_m"),
                  (float(2 * pct_start * total) - 2, "max_lr", "initial_lr", "base_m", "max_m"),
                  (total - 1, "initial_lr", "min_lr", "max_m", "max_m")]
    else:
        phases = [(float(pct_start * total) - 1, "initial_lr", "max_lr", "max_m", "base_m"),
                  (total - 1, "max_lr", "min_lr", "base_m", "max_m")]
    strategy = kw.get("anneal_strategy", "cos")
    start = 0.0
    for i, (end, lr0, lr1, m0, m1) in enumerate(phases):
        if e <= end or i == len(phases) - 1:
            pct = (e - start) / (end - start)
            return (_anneal(strategy, group[lr0], group[lr1], pct),
                    _anneal(strategy, group[m0], group[m1], pct))
        start = end


def _per_group(v, n=2):
    return list(v) if isinstance(v, (list, tuple)) else [v] * n


def ref_sequence(name, kwargs, opt_name="SGD", opt_kw=None, steps=STEPS, metrics=None):
    """What _sequence records (lrs and momenta of the two groups after each step), from the
    documented schedules. The groups start at lr (default 0.1) and 0.03; the momentum is
    SGD's / RMSprop's momentum (default 0) or Adam's beta1 (default 0.9)."""
    opt_kw = opt_kw or {}
    base = [opt_kw.get("lr", 0.1), 0.03]
    mom = [0.9 if opt_name == "Adam" else opt_kw.get("momentum", 0)] * 2
    lrs = list(base)
    seq = []
    if name == "OneCycleLR":
        groups = []
        for max_lr, max_m, base_m in zip(_per_group(kwargs["max_lr"]),
                                         _per_group(kwargs.get("max_momentum", 0.95)),
                                         _per_group(kwargs.get("base_momentum", 0.85))):
            initial = max_lr / kwargs.get("div_factor", 25.0)
            groups.append(dict(initial_lr=initial, max_lr=max_lr,
                               min_lr=initial / kwargs.get("final_div_factor", 1e4),
                               max_m=max_m, base_m=base_m))
        for e in range(1, steps + 1):
            lrs, moms = zip(*(_one_cycle(kwargs, e, g) for g in groups))
            if kwargs.get("cycle_momentum", True):
                mom = list(moms)
            seq.append((list(lrs), list(mom)))
        return seq
    if name == "ReduceLROnPlateau":
        mode, threshold = kwargs.get("mode", "min"), kwargs.get("threshold", 1e-4)
        rel = kwargs.get("threshold_mode", "rel") == "rel"
        patience, cooldown = kwargs.get("patience", 10), kwargs.get("cooldown", 0)
        factor, eps = kwargs.get("factor", 0.1), kwargs.get("eps", 1e-8)
        min_lrs = _per_group(kwargs.get("min_lr", 0))
        best = math.inf if mode == "min" else -math.inf
        bad = cooldown_left = 0
        for m in metrics[:steps]:
            # better: below best * (1 - threshold) (rel) or best - threshold (abs) in min
            # mode; above best * (1 + threshold) or best + threshold in max mode
            if mode == "min":
                better = m < (best * (1 - threshold) if rel else best - threshold)
            else:
                better = m > (best * (threshold + 1) if rel else best + threshold)
            if better:
                best, bad = m, 0
            else:
                bad += 1
            if cooldown_left > 0:  # bad epochs in cooldown are ignored
                cooldown_left -= 1
                bad = 0
            if bad > patience:  # lr <- max(lr * factor, min_lr) unless that changes < eps
                for i, lr in enumerate(lrs):
                    new = max(lr * factor, min_lrs[i])
                    if lr - new > eps:
                        lrs[i] = new
                cooldown_left, bad = cooldown, 0
            seq.append((list(lrs), list(mom)))
        return seq
    for e in range(1, steps + 1):
        lrs = [_recursive_lr(name, kwargs, b, lr, e) for b, lr in zip(base, lrs)]
        for b, lr in zip(base, lrs):
            closed = _closed_form(name, kwargs, b, e)
            if closed is not None:  # the recursion follows the closed form
                assert lr == pytest.approx(closed, rel=1e-12, abs=1e-15)
        seq.append((lrs, list(mom)))
    return seq


@pytest.mark.parametrize("name,kwargs,opt_name,opt_kw", CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_sequence_matches_reference(name, kwargs, opt_name, opt_kw):
    ref = ref_sequence(name, kwargs, opt_name, opt_kw)
    got, _, _ = _sequence("pynet", name, kwargs, opt_name, opt_kw)
    assert got == ref  # the same floating-point computations, so exactly equal
    assert len({tuple(lrs) for lrs, _ in got}) > 1  # the lr does change


@pytest.mark.parametrize("name,kwargs,opt_name,opt_kw", CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_sequence_matches_torch(name, kwargs, opt_name, opt_kw, need_torch):
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
def test_reduce_lr_on_plateau_matches_torch(kwargs, need_torch):
    ref, _, _ = _sequence("torch", "ReduceLROnPlateau", kwargs, metrics=LOSSES)
    got, s, _ = _sequence("pynet", "ReduceLROnPlateau", kwargs, metrics=LOSSES)
    assert got == ref


@pytest.mark.parametrize("kwargs", PLATEAU, ids=[str(k) for k in PLATEAU])
def test_reduce_lr_on_plateau(kwargs):
    ref = ref_sequence("ReduceLROnPlateau", kwargs, metrics=LOSSES)
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


def _step_to_epoch_7(lib):
    opt = _make(lib)
    mod = torch.optim.lr_scheduler if lib == "torch" else sched
    s = mod.MultiStepLR(opt, milestones=[3, 6], gamma=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        opt.step()
        s.step(7)
    return s.get_last_lr()


def test_closed_form_with_epoch_argument():
    # step(epoch) uses the closed form base_lr * gamma ** bisect_right(milestones, epoch)
    ref = [_closed_form("MultiStepLR", dict(milestones=[3, 6], gamma=0.5), b, 7)
           for b in (0.1, 0.03)]
    assert _step_to_epoch_7("pynet") == ref == [0.025, 0.0075]


def test_closed_form_with_epoch_argument_matches_torch(need_torch):
    assert _step_to_epoch_7("pynet") == _step_to_epoch_7("torch") == [0.025, 0.0075]


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
