"""pynet.optim against torch.optim: same parameters after 100 steps, for every option.

Two models:
* `quadratic`: p.grad = A * (p - C) + noise_t, set by hand. Every operation in
  it is a single IEEE-rounded +, - or *, so pynet and torch see bit-identical
  gradients for identical parameters and the comparison measures the optimizer
  alone. Used for the cross product of options, in float32 (1e-6 relative) and
  float64 (1e-12); see assert_params_close for what "relative" means.
* `mlp`: a two-layer perceptron trained with autograd. pynet's and torch's
  matmul sum in different orders, so float32 runs drift apart through the
  training dynamics for reasons unrelated to the optimizer; it runs in float64.
"""
import itertools
import pickle

import numpy as np
import pytest

import pynet
import pynet.optim as optim
from pynet.nn.utils.clip_grad import clip_grad_norm_, clip_grad_value_

torch = pytest.importorskip("torch")

STEPS = 100
SHAPES = [(5, 7), (7,), (3, 4)]


def _lib(lib):
    return torch if lib == "torch" else pynet


def _opt_class(lib, name):
    return getattr(torch.optim if lib == "torch" else optim, name)


def run_quadratic(lib, name, kw, dtype, steps=STEPS, groups=None, noncontig=False,
                  ascend_when_maximizing=True):
    """Train on f(p) = sum(A (p - C)^2 / 2) with gradient noise. With maximize=True
    (and ascend_when_maximizing) the gradient is that of -f, exactly negated, so the
    run climbs -f along the same well-conditioned path instead of diverging."""
    L = _lib(lib)
    r = np.random.default_rng(0)
    P = [r.standard_normal(s).astype(dtype) for s in SHAPES]
    A = [r.uniform(0.1, 1, s).astype(dtype) for s in SHAPES]
    C = [r.standard_normal(s).astype(dtype) for s in SHAPES]
    N = [[(0.1 * r.standard_normal(s)).astype(dtype) for s in SHAPES] for _ in range(steps)]
    if noncontig:  # parameters stored transposed: exercises the copy + write-back path
        ps = [L.tensor(np.ascontiguousarray(p.T)).t().detach().requires_grad_() for p in P]
    else:
        ps = [L.tensor(p, requires_grad=True) for p in P]
    As, Cs = [L.tensor(a) for a in A], [L.tensor(c) for c in C]
    params = ps if groups is None else [dict(g, params=[ps[i] for i in g["params"]])
                                        for g in groups]
    opt = _opt_class(lib, name)(params, **kw)
    flip = kw.get("maximize", False) and ascend_when_maximizing
    for t in range(steps):
        for p, a, c, n in zip(ps, As, Cs, N[t]):
            if flip:
                p.grad = a * (c - p.detach()) - L.tensor(n)
            else:
                p.grad = a * (p.detach() - c) + L.tensor(n)
        opt.step()
    return [p.detach().numpy().copy() for p in ps], opt


def assert_params_close(a, b, rtol):
    """Elementwise |b - a| <= rtol * (|a| + max|a|): relative error, measured against the
    tensor's scale for elements that training drove close to zero (whose value is the
    difference of O(1) numbers, so their own relative error is not meaningful)."""
    for x, y in zip(a, b):
        np.testing.assert_allclose(y, x, rtol=rtol, atol=rtol * np.max(np.abs(x)))


def combos(**options):
    keys = list(options)
    for values in itertools.product(*options.values()):
        yield dict(zip(keys, values))


def _valid_sgd(kw):
    return not kw["nesterov"] or (kw["momentum"] > 0 and kw["dampening"] == 0)


CASES = (
    [("SGD", dict(kw, lr=0.05)) for kw in combos(
        momentum=[0, 0.9], dampening=[0, 0.3], nesterov=[False, True], weight_decay=[0, 0.1],
        maximize=[False, True]) if _valid_sgd(kw)]
    + [("Adam", kw) for kw in combos(
        lr=[1e-2], betas=[(0.9, 0.999), (0.8, 0.9)], eps=[1e-8, 1e-2], weight_decay=[0, 0.1],
        amsgrad=[False, True], maximize=[False, True])]
    + [("AdamW", kw) for kw in combos(
        lr=[1e-2], weight_decay=[1e-2, 0.5], amsgrad=[False, True], maximize=[False, True],
        betas=[(0.9, 0.999), (0.5, 0.6)])]
    + [("Adagrad", kw) for kw in combos(
        lr=[0.05], lr_decay=[0, 0.05], weight_decay=[0, 0.1], initial_accumulator_value=[0, 0.5],
        eps=[1e-10, 1e-2], maximize=[False, True])]
    + [("Adadelta", kw) for kw in combos(
        lr=[1.0, 0.5], rho=[0.9, 0.5], eps=[1e-6, 1e-2], weight_decay=[0, 0.1],
        maximize=[False, True])]
    + [("RMSprop", kw) for kw in combos(
        lr=[1e-2], alpha=[0.99, 0.8], eps=[1e-8, 1e-2], weight_decay=[0, 0.1],
        momentum=[0, 0.5], centered=[False, True], maximize=[False, True])]
)


def _id(case):
    name, kw = case
    return name + "-" + ",".join(f"{k}={v}" for k, v in kw.items())


@pytest.mark.parametrize("dtype,rtol", [(np.float32, 1e-6), (np.float64, 1e-12)])
@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_parity_quadratic(case, dtype, rtol):
    name, kw = case
    ref, _ = run_quadratic("torch", name, kw, dtype)
    got, _ = run_quadratic("pynet", name, kw, dtype)
    assert_params_close(ref, got, rtol)


# Every option, changed from its default alone, must change the result (so an
# option the implementation ignored would fail here), and pynet must still match
# torch with it.
NON_DEFAULT = [
    ("SGD", dict(lr=0.05), [("momentum", 0.9), ("weight_decay", 0.1), ("maximize", True)]),
    ("SGD", dict(lr=0.05, momentum=0.9), [("nesterov", True), ("dampening", 0.3)]),
    ("Adam", dict(lr=0.05), [("lr", 1e-2), ("betas", (0.8, 0.999)), ("betas", (0.9, 0.9)),
                             ("eps", 1e-3), ("weight_decay", 0.1), ("amsgrad", True),
                             ("maximize", True)]),
    ("Adam", dict(weight_decay=0.1), [("decoupled_weight_decay", True)]),
    ("AdamW", dict(lr=0.05), [("lr", 1e-2), ("betas", (0.8, 0.999)), ("betas", (0.9, 0.9)), ("eps", 1e-3),
                   ("weight_decay", 0.5), ("amsgrad", True), ("maximize", True)]),
    ("Adagrad", {}, [("lr", 0.05), ("lr_decay", 0.05), ("weight_decay", 0.1),
                     ("initial_accumulator_value", 0.5), ("eps", 1e-2), ("maximize", True)]),
    ("Adadelta", {}, [("lr", 0.5), ("rho", 0.5), ("eps", 1e-2), ("weight_decay", 0.1),
                      ("maximize", True)]),
    ("RMSprop", {}, [("lr", 1e-3), ("alpha", 0.8), ("eps", 1e-2), ("weight_decay", 0.1),
                     ("momentum", 0.5), ("centered", True), ("maximize", True)]),
]
OPTION_CASES = [(n, base, k, v) for n, base, opts in NON_DEFAULT for k, v in opts]


@pytest.mark.parametrize("name,base,key,value", OPTION_CASES,
                         ids=[f"{n}-{k}={v}" for n, b, k, v in OPTION_CASES])
def test_every_option_matters(name, base, key, value):
    plain, _ = run_quadratic("pynet", name, base, np.float64, ascend_when_maximizing=False)
    changed_kw = dict(base, **{key: value})
    changed, _ = run_quadratic("pynet", name, changed_kw, np.float64,
                               ascend_when_maximizing=False)
    assert max(np.max(np.abs(a - b)) for a, b in zip(plain, changed)) > 1e-6
    ref, _ = run_quadratic("torch", name, changed_kw, np.float64, ascend_when_maximizing=False)
    assert_params_close(ref, changed, 1e-12)


# ---------------------------------------------------------------- MLP -------

def run_mlp(lib, name, kw, steps=STEPS, dtype=np.float64):
    L = _lib(lib)
    r = np.random.default_rng(1)
    X = r.standard_normal((32, 8)).astype(dtype)
    onehot = np.eye(4, dtype=dtype)[r.integers(0, 4, 32)]
    W = [r.standard_normal((8, 16)) * 0.5, r.standard_normal(16) * 0.1,
         r.standard_normal((16, 4)) * 0.5, r.standard_normal(4) * 0.1]
    ps = [L.tensor(w.astype(dtype), requires_grad=True) for w in W]
    x, y = L.tensor(X), L.tensor(onehot)
    opt = _opt_class(lib, name)(ps, **kw)

    def closure():
        opt.zero_grad()
        h = (x.matmul(ps[0]) + ps[1]).relu()
        loss = -(((h.matmul(ps[2]) + ps[3]).log_softmax(1)) * y).sum() / 32
        loss.backward()
        return loss

    losses = [float(opt.step(closure).detach()) for _ in range(steps)]
    return [p.detach().numpy().copy() for p in ps], losses


MLP_CASES = [("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-3)),
             ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.1)),
             ("Adam", dict(lr=1e-2, amsgrad=True)), ("AdamW", dict(lr=1e-2)),
             ("Adagrad", dict(lr=0.1, lr_decay=1e-3)), ("Adadelta", dict()),
             ("RMSprop", dict(lr=1e-3, centered=True, momentum=0.5))]


@pytest.mark.parametrize("name,kw", MLP_CASES, ids=[_id(c) for c in MLP_CASES])
def test_parity_mlp(name, kw):
    ref, ref_losses = run_mlp("torch", name, kw)
    got, losses = run_mlp("pynet", name, kw)
    assert_params_close(ref, got, 1e-9)
    np.testing.assert_allclose(losses, ref_losses, rtol=1e-9)
    assert losses[-1] < losses[0]  # it trains


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop"])
def test_noncontiguous_params(name):
    kw = dict(lr=0.05, momentum=0.9) if name != "Adam" else dict(lr=0.01)
    ref, _ = run_quadratic("torch", name, kw, np.float32)
    got, opt = run_quadratic("pynet", name, kw, np.float32, noncontig=True)
    assert not opt.param_groups[0]["params"][0].is_contiguous()
    assert_params_close(ref, got, 1e-6)


def test_param_groups_different_lrs():
    groups = [dict(params=[0, 2], lr=0.1, momentum=0.9), dict(params=[1], lr=0.01)]
    ref, _ = run_quadratic("torch", "SGD", dict(lr=0.5), np.float64, groups=groups)
    got, opt = run_quadratic("pynet", "SGD", dict(lr=0.5), np.float64, groups=groups)
    assert_params_close(ref, got, 1e-12)
    g0, g1 = opt.param_groups
    assert (g0["lr"], g0["momentum"], g1["lr"], g1["momentum"]) == (0.1, 0.9, 0.01, 0)
    # a single-group run differs, so the groups' options were used
    single, _ = run_quadratic("pynet", "SGD", dict(lr=0.5), np.float64)
    assert not np.allclose(single[1], got[1])


def test_add_param_group_and_defaults():
    a, b = pynet.zeros(2, requires_grad=True), pynet.zeros(3, requires_grad=True)
    opt = optim.Adam([a], lr=0.1)
    opt.add_param_group({"params": b, "betas": (0.5, 0.6)})
    assert opt.param_groups[1]["params"] == [b]
    assert opt.param_groups[1]["lr"] == 0.1 and opt.param_groups[1]["betas"] == (0.5, 0.6)
    tref = torch.optim.Adam([torch.zeros(2, requires_grad=True)], lr=0.1)
    assert set(opt.param_groups[0]) == set(tref.param_groups[0])
    assert opt.defaults == tref.defaults
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [a]})


def test_skips_params_without_grad_and_bumps_version():
    a, b = pynet.ones(3, requires_grad=True), pynet.ones(3, requires_grad=True)
    opt = optim.Adam([a, b], lr=0.1)
    a.grad = pynet.ones(3)
    v = a._version
    opt.step()
    assert b.tolist() == [1.0, 1.0, 1.0] and b not in opt.state
    assert a.tolist() != [1.0, 1.0, 1.0] and a._version > v
    assert float(opt.state[a]["step"]) == 1.0 and opt.state[a]["step"].dtype == pynet.float32
    assert not a.grad.requires_grad and a.grad_fn is None and a.requires_grad


def test_zero_grad():
    a = pynet.ones(3, requires_grad=True)
    opt = optim.SGD([a], lr=0.1)
    (a * 2).sum().backward()
    g = a.grad
    opt.zero_grad(set_to_none=False)
    assert a.grad is g and a.grad.tolist() == [0.0, 0.0, 0.0]
    opt.zero_grad()
    assert a.grad is None
    opt.zero_grad()  # no grads: nothing to do
    (a * 3).sum().backward()
    assert a.grad.tolist() == [3.0, 3.0, 3.0]


@pytest.mark.parametrize("name,kw", [("SGD", dict(lr=0.05, momentum=0.9)),
                                     ("Adam", dict(lr=1e-2, amsgrad=True)),
                                     ("AdamW", dict(lr=1e-2)), ("Adagrad", dict(lr=0.1)),
                                     ("Adadelta", dict()),
                                     ("RMSprop", dict(centered=True, momentum=0.5))])
def test_state_dict_round_trip(name, kw):
    """Save after 40 steps, load into a fresh optimizer over fresh tensors (after a
    pickle round trip), continue: identical to the uninterrupted 100-step run."""
    full, _ = run_quadratic("pynet", name, kw, np.float64)
    r = np.random.default_rng(0)
    P = [r.standard_normal(s) for s in SHAPES]
    A = [r.uniform(0.1, 1, s) for s in SHAPES]
    C = [r.standard_normal(s) for s in SHAPES]
    N = [[0.1 * r.standard_normal(s) for s in SHAPES] for _ in range(STEPS)]

    def steps(ps, opt, ts):
        for t in ts:
            for p, a, c, n in zip(ps, A, C, N[t]):
                p.grad = pynet.tensor(a) * (p.detach() - pynet.tensor(c)) + pynet.tensor(n)
            opt.step()

    ps = [pynet.tensor(p, requires_grad=True) for p in P]
    opt = getattr(optim, name)(ps, **kw)
    steps(ps, opt, range(40))
    sd = opt.state_dict()
    assert sorted(sd) == ["param_groups", "state"]
    assert sd["param_groups"][0]["params"] == [0, 1, 2]
    assert sorted(sd["state"]) == [0, 1, 2]
    ref = torch.optim.__dict__[name]([torch.zeros(s, requires_grad=True) for s in SHAPES], **kw)
    for p in ref.param_groups[0]["params"]:
        p.grad = torch.ones_like(p)
    ref.step()
    assert set(sd["state"][0]) == set(ref.state_dict()["state"][0])
    assert set(sd["param_groups"][0]) == set(ref.state_dict()["param_groups"][0])
    ps2 = [pynet.tensor(p.detach().numpy().copy(), requires_grad=True) for p in ps]
    opt2 = getattr(optim, name)(ps2, **kw)
    opt2.load_state_dict(sd)
    for k, v in opt.state[ps[0]].items():  # loaded state is a copy
        if isinstance(v, pynet.Tensor):
            assert opt2.state[ps2[0]][k] is not v
            assert opt2.state[ps2[0]][k].tolist() == v.tolist()
    steps(ps2, opt2, range(40, STEPS))
    for x, y in zip(full, ps2):
        np.testing.assert_array_equal(y.detach().numpy(), x)


def test_closure_returns_loss_and_grad_enabled():
    a = pynet.tensor([1.0, -2.0], requires_grad=True)
    opt = optim.SGD([a], lr=0.1)
    calls = []

    def closure():
        opt.zero_grad()
        calls.append(pynet.is_grad_enabled())
        loss = (a * a).sum()
        loss.backward()
        return loss

    with pynet.no_grad():
        loss = opt.step(closure)
    assert float(loss) == 5.0 and calls == [True]
    assert np.allclose(a.tolist(), [0.8, -1.6])
    assert opt.step() is None


class PlainMomentum(optim.Optimizer):
    """A learner's optimizer: heavy-ball momentum written with tensor ops."""

    def __init__(self, params, lr=0.05, momentum=0.9):
        super().__init__(params, dict(lr=lr, momentum=momentum))

    @pynet.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with pynet.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if "buf" not in state:
                    state["buf"] = p.grad.clone()
                else:
                    state["buf"].mul_(group["momentum"]).add_(p.grad)
                p.sub_(group["lr"] * state["buf"])
        return loss


def test_python_subclass_matches_sgd():
    ref, _ = run_quadratic("torch", "SGD", dict(lr=0.05, momentum=0.9), np.float64)
    got, opt = _run_custom(PlainMomentum)
    assert isinstance(opt, pynet._C.OptimizerBase) and isinstance(opt, optim.Optimizer)
    assert_params_close(ref, got, 1e-12)
    sd = opt.state_dict()
    assert sorted(sd["state"]) == [0, 1, 2] and "buf" in sd["state"][0]
    seen = []
    h = opt.register_step_pre_hook(lambda o, a, k: seen.append("pre"))
    opt.register_step_post_hook(lambda o, a, k: seen.append("post"))
    opt.step()
    h.remove()
    opt.step()
    assert seen == ["pre", "post", "post"]


def _run_custom(cls):
    r = np.random.default_rng(0)
    P = [r.standard_normal(s) for s in SHAPES]
    A = [r.uniform(0.1, 1, s) for s in SHAPES]
    C = [r.standard_normal(s) for s in SHAPES]
    N = [[0.1 * r.standard_normal(s) for s in SHAPES] for _ in range(STEPS)]
    ps = [pynet.tensor(p, requires_grad=True) for p in P]
    opt = cls(ps)
    for t in range(STEPS):
        for p, a, c, n in zip(ps, A, C, N[t]):
            p.grad = pynet.tensor(a) * (p.detach() - pynet.tensor(c)) + pynet.tensor(n)
        opt.step()
    return [p.detach().numpy().copy() for p in ps], opt


def test_optimizer_pickle_and_repr():
    a = pynet.ones(2, requires_grad=True)
    opt = optim.SGD([a], lr=0.5, momentum=0.1)
    s = repr(opt)
    assert s.startswith("SGD (\nParameter Group 0\n") and "    lr: 0.5\n" in s
    ref = torch.optim.SGD([torch.ones(2, requires_grad=True)], lr=0.5, momentum=0.1)
    assert s == repr(ref)
    opt2 = pickle.loads(pickle.dumps(opt))
    assert type(opt2) is optim.SGD and opt2.param_groups[0]["lr"] == 0.5
    assert opt2.defaults == opt.defaults


# --------------------------------------------------------------- errors ----

def test_errors():
    a = pynet.ones(2, requires_grad=True)
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        optim.SGD([])
    with pytest.raises(TypeError, match="should be an iterable of Tensors or dicts"):
        optim.SGD(a)
    with pytest.raises(TypeError, match="optimizer can only optimize Tensors"):
        optim.Adam([a, 1.0])
    with pytest.raises(ValueError, match="some parameters appear in more than one"):
        optim.SGD([{"params": [a]}, {"params": [a]}])
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        optim.SGD([a * 2])
    with pytest.raises(TypeError, match="ordered collections"):
        optim.SGD([{"params": {a}}])
    with pytest.raises(NotImplementedError):
        optim.Optimizer([a], {}).step()


ERRORS = [
    ("SGD", dict(lr=-1), "Invalid learning rate: -1"),
    ("SGD", dict(momentum=-0.1), "Invalid momentum value: -0.1"),
    ("SGD", dict(weight_decay=-1), "Invalid weight_decay value: -1"),
    ("SGD", dict(nesterov=True), "Nesterov momentum requires a momentum and zero dampening"),
    ("SGD", dict(nesterov=True, momentum=0.9, dampening=0.1),
     "Nesterov momentum requires a momentum and zero dampening"),
    ("Adam", dict(lr=-1e-3), "Invalid learning rate"),
    ("Adam", dict(eps=-1), "Invalid epsilon value: -1"),
    ("Adam", dict(betas=(1.0, 0.999)), "Invalid beta parameter at index 0: 1.0"),
    ("Adam", dict(betas=(0.9, -0.1)), "Invalid beta parameter at index 1: -0.1"),
    ("Adam", dict(weight_decay=-1), "Invalid weight_decay value: -1"),
    ("AdamW", dict(betas=(0.9, 1.5)), "Invalid beta parameter at index 1: 1.5"),
    ("Adagrad", dict(lr_decay=-1), "Invalid lr_decay value: -1"),
    ("Adagrad", dict(initial_accumulator_value=-1), "Invalid initial_accumulator_value"),
    ("Adagrad", dict(eps=-1), "Invalid epsilon value"),
    ("Adadelta", dict(rho=1.5), "Invalid rho value: 1.5"),
    ("Adadelta", dict(weight_decay=-1), "Invalid weight_decay value"),
    ("RMSprop", dict(alpha=-1), "Invalid alpha value: -1"),
    ("RMSprop", dict(momentum=-1), "Invalid momentum value: -1"),
    ("RMSprop", dict(eps=-1), "Invalid epsilon value"),
]


@pytest.mark.parametrize("name,kw,msg", ERRORS, ids=[f"{n}-{m[:20]}" for n, _, m in ERRORS])
def test_invalid_options(name, kw, msg):
    with pytest.raises(ValueError, match=msg):
        getattr(optim, name)([pynet.ones(2, requires_grad=True)], **kw)
    with pytest.raises(ValueError, match=msg):  # torch says the same
        getattr(torch.optim, name)([torch.ones(2, requires_grad=True)], **kw)


def test_load_state_dict_errors():
    a, b = pynet.ones(2, requires_grad=True), pynet.ones(2, requires_grad=True)
    sd = optim.SGD([a, b]).state_dict()
    with pytest.raises(ValueError, match="different number of parameter groups"):
        optim.SGD([{"params": [a]}, {"params": [b]}]).load_state_dict(sd)
    with pytest.raises(ValueError, match="doesn't match the size"):
        optim.SGD([a]).load_state_dict(sd)


def test_kernel_argument_checks():
    a, g = pynet.ones(2), pynet.ones(3)
    with pytest.raises(RuntimeError, match="shape"):
        pynet._C._sgd_step([a], [g], None, 0.1, 0.0, 0.0, 0.0, False, False)
    with pytest.raises(RuntimeError, match="dtype"):
        pynet._C._sgd_step([a], [pynet.ones(2, dtype=pynet.float64)], None, 0.1, 0.0, 0.0, 0.0,
                           False, False)
    b = pynet.tensor([1, 2])
    with pytest.raises(TypeError, match="float32 or float64"):
        pynet._C._sgd_step([b], [b], None, 0.1, 0.0, 0.0, 0.0, False, False)


# ------------------------------------------------------------ clip_grad ----

@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, float("inf")])
def test_clip_grad_norm(norm_type):
    r = np.random.default_rng(3)
    G = [r.standard_normal(s) for s in SHAPES]
    ps = [pynet.zeros(s, dtype=pynet.float64, requires_grad=True) for s in SHAPES]
    ts = [torch.zeros(s, dtype=torch.float64, requires_grad=True) for s in SHAPES]
    for p, t, g in zip(ps, ts, G):
        p.grad, t.grad = pynet.tensor(g), torch.tensor(g)
    total = clip_grad_norm_(ps, 1.5, norm_type=norm_type)
    ref = torch.nn.utils.clip_grad_norm_(ts, 1.5, norm_type=norm_type)
    assert isinstance(total, pynet.Tensor) and total.ndim == 0
    np.testing.assert_allclose(float(total), float(ref), rtol=1e-12)
    for p, t in zip(ps, ts):
        np.testing.assert_allclose(p.grad.numpy(), t.grad.numpy(), rtol=1e-12)
    # the clipped gradients now have norm max_norm (up to the 1e-6 in the coefficient)
    assert float(clip_grad_norm_(ps, 100.0, norm_type)) == pytest.approx(1.5, rel=1e-5)
    # below the threshold nothing changes
    before = [p.grad.numpy().copy() for p in ps]
    clip_grad_norm_(ps, 100.0, norm_type)
    for b, p in zip(before, ps):
        np.testing.assert_array_equal(b, p.grad.numpy())


def test_clip_grad_norm_single_tensor_nonfinite_and_empty():
    a = pynet.zeros(3, requires_grad=True)
    a.grad = pynet.tensor([3.0, 4.0, 0.0])
    assert float(clip_grad_norm_(a, 1.0)) == pytest.approx(5.0)
    assert np.allclose(a.grad.tolist(), [0.6, 0.8, 0.0], atol=1e-6)
    a.grad = pynet.tensor([float("inf"), 1.0, 0.0])
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_([a], 1.0, error_if_nonfinite=True)
    b = pynet.zeros(2, requires_grad=True)
    assert float(clip_grad_norm_([b], 1.0)) == 0.0


def test_clip_grad_value():
    a = pynet.zeros(4, requires_grad=True)
    b = pynet.zeros(2, requires_grad=True)
    a.grad = pynet.tensor([-3.0, -0.5, 0.5, 3.0])
    clip_grad_value_([a, b], 1.0)
    assert a.grad.tolist() == [-1.0, -0.5, 0.5, 1.0] and b.grad is None
    v = a.grad._version
    clip_grad_value_(a, 0.25)
    assert a.grad.tolist() == [-0.25, -0.25, 0.25, 0.25] and a.grad._version > v
