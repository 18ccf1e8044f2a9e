"""pynet.optim against torch.optim: same parameters after 100 steps, for every option.
Without PyTorch the same runs are checked against NumPy references of torch.optim's
documented update rules (np_step); only the direct torch comparisons skip.

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

from conftest import torch  # None without PyTorch: only the torch comparisons skip

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
    P, A, C, N = _quadratic_data(dtype, steps)
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


def _quadratic_data(dtype, steps=STEPS):
    """Start values P, curvatures A, centres C and per-step noise N of the quadratic model."""
    r = np.random.default_rng(0)
    P = [r.standard_normal(s).astype(dtype) for s in SHAPES]
    A = [r.uniform(0.1, 1, s).astype(dtype) for s in SHAPES]
    C = [r.standard_normal(s).astype(dtype) for s in SHAPES]
    N = [[(0.1 * r.standard_normal(s)).astype(dtype) for s in SHAPES] for _ in range(steps)]
    return P, A, C, N


# ------------------------------------------------- NumPy reference optimizers ---
# PyTorch's documented update rules (the algorithm boxes of torch.optim.SGD, Adam, AdamW,
# Adagrad, Adadelta and RMSprop), written in float64 NumPy in the order torch's
# single-tensor (for-loop) implementation performs them. These run without PyTorch.

NP_DEFAULTS = {  # the documented defaults of the algorithmic options
    "SGD": dict(lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False,
                maximize=False),
    "Adam": dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False,
                 maximize=False, decoupled_weight_decay=False),
    "AdamW": dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False,
                  maximize=False, decoupled_weight_decay=True),
    "Adagrad": dict(lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                    eps=1e-10, maximize=False),
    "Adadelta": dict(lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, maximize=False),
    "RMSprop": dict(lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                    centered=False, maximize=False),
}
# The per-parameter state each optimizer keeps (names as in torch's state_dict).
NP_STATE_KEYS = {
    "SGD": lambda h: {"momentum_buffer"} if h["momentum"] else set(),
    "Adam": lambda h: {"step", "exp_avg", "exp_avg_sq"} | ({"max_exp_avg_sq"} if h["amsgrad"]
                                                          else set()),
    "Adagrad": lambda h: {"step", "sum"},
    "Adadelta": lambda h: {"step", "square_avg", "acc_delta"},
    "RMSprop": lambda h: ({"step", "square_avg"} | ({"momentum_buffer"} if h["momentum"] > 0
                                                    else set())
                          | ({"grad_avg"} if h["centered"] else set())),
}
NP_STATE_KEYS["AdamW"] = NP_STATE_KEYS["Adam"]


def _lerp(a, b, w):
    """torch.lerp(a, b, w) = a + w (b - a), evaluated as torch does for w >= 0.5."""
    return a + w * (b - a) if w < 0.5 else b - (b - a) * (1 - w)


def np_step(name, h, p, g, st):
    """One step of optimizer `name` with hyperparameters h on parameter p (float64) with
    gradient g; st is the parameter's state dict (updated). Returns the new parameter."""
    g = -g if h["maximize"] else g
    lr, wd = h["lr"], h["weight_decay"]
    if name == "SGD":
        # g <- g + wd p;  b_1 = g, b_t = mu b_{t-1} + (1 - tau) g;
        # g <- g + mu b_t (nesterov) or b_t;  p <- p - lr g
        if wd != 0:
            g = g + wd * p
        mu = h["momentum"]
        if mu != 0:
            if "momentum_buffer" not in st:
                st["momentum_buffer"] = g.copy()
            else:
                st["momentum_buffer"] = mu * st["momentum_buffer"] + (1 - h["dampening"]) * g
            buf = st["momentum_buffer"]
            g = g + mu * buf if h["nesterov"] else buf
        return p - lr * g
    st["step"] = t = st.get("step", 0) + 1
    zeros = np.zeros_like(p)
    if name in ("Adam", "AdamW"):
        # (decoupled: p <- p (1 - lr wd), else g <- g + wd p);  m = lerp(m, g, 1 - b1);
        # v = b2 v + (1 - b2) g^2;  (amsgrad: v_max = max(v_max, v));
        # p <- p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
        b1, b2 = h["betas"]
        if wd != 0:
            if h["decoupled_weight_decay"]:
                p = p * (1 - lr * wd)
            else:
                g = g + wd * p
        m = st["exp_avg"] = _lerp(st.get("exp_avg", zeros), g, 1 - b1)
        v = st["exp_avg_sq"] = b2 * st.get("exp_avg_sq", zeros) + (1 - b2) * (g * g)
        if h["amsgrad"]:
            v = st["max_exp_avg_sq"] = np.maximum(st.get("max_exp_avg_sq", zeros), v)
        denom = np.sqrt(v) / (1 - b2 ** t) ** 0.5 + h["eps"]
        return p - lr / (1 - b1 ** t) * (m / denom)
    if wd != 0:
        g = g + wd * p
    if name == "Adagrad":
        # clr = lr / (1 + (t - 1) lr_decay);  s = s + g^2 (s_0 = initial_accumulator_value);
        # p <- p - clr g / (sqrt(s) + eps)
        clr = lr / (1 + (t - 1) * h["lr_decay"])
        s = st.get("sum", np.full_like(p, h["initial_accumulator_value"]))
        s = st["sum"] = s + g * g
        return p - clr * (g / (np.sqrt(s) + h["eps"]))
    if name == "Adadelta":
        # v = rho v + (1 - rho) g^2;  dx = sqrt(u + eps) / sqrt(v + eps) g;
        # u = rho u + (1 - rho) dx^2;  p <- p - lr dx
        rho, eps = h["rho"], h["eps"]
        v = st["square_avg"] = rho * st.get("square_avg", zeros) + (1 - rho) * (g * g)
        dx = np.sqrt(st.get("acc_delta", zeros) + eps) / np.sqrt(v + eps) * g
        st["acc_delta"] = rho * st.get("acc_delta", zeros) + (1 - rho) * (dx * dx)
        return p - lr * dx
    if name == "RMSprop":
        # v = alpha v + (1 - alpha) g^2;  centered: ga = lerp(ga, g, 1 - alpha), v~ = v - ga^2;
        # momentum: b = mu b + g / (sqrt(v~) + eps), p <- p - lr b;
        # else p <- p - lr g / (sqrt(v~) + eps)
        alpha = h["alpha"]
        v = st["square_avg"] = alpha * st.get("square_avg", zeros) + (1 - alpha) * (g * g)
        if h["centered"]:
            ga = st["grad_avg"] = _lerp(st.get("grad_avg", zeros), g, 1 - alpha)
            v = v - ga * ga
        avg = np.sqrt(v) + h["eps"]
        if h["momentum"] > 0:
            buf = st["momentum_buffer"] = h["momentum"] * st.get("momentum_buffer", zeros) + g / avg
            return p - lr * buf
        return p - lr * (g / avg)
    raise AssertionError(name)


def np_hyper(name, kw, group=None):
    """The full hyperparameters of one parameter group: defaults < kw < group's own."""
    h = dict(NP_DEFAULTS[name], **kw)
    h.update({k: v for k, v in (group or {}).items() if k != "params"})
    return h


def run_quadratic_numpy(name, kw, dtype, steps=STEPS, groups=None, ascend_when_maximizing=True):
    """run_quadratic with the NumPy reference optimizer, in float64 from the same
    (dtype-rounded) start values, curvatures, centres and noise."""
    P, A, C, N = _quadratic_data(dtype, steps)
    f64 = lambda xs: [np.asarray(x, dtype=np.float64) for x in xs]  # noqa: E731
    ps, A, C, N = f64(P), f64(A), f64(C), [f64(n) for n in N]
    if groups is None:
        hs = [np_hyper(name, kw)] * len(ps)
    else:
        hs = [None] * len(ps)
        for g in groups:
            for i in g["params"]:
                hs[i] = np_hyper(name, kw, g)
    states = [{} for _ in ps]
    flip = kw.get("maximize", False) and ascend_when_maximizing
    for t in range(steps):
        for i, (a, c, n) in enumerate(zip(A, C, N[t])):
            g = a * (c - ps[i]) - n if flip else a * (ps[i] - c) + n
            ps[i] = np_step(name, hs[i], ps[i], g, states[i])
    return ps, states


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
def test_parity_quadratic(case, dtype, rtol, need_torch):
    name, kw = case
    ref, _ = run_quadratic("torch", name, kw, dtype)
    got, _ = run_quadratic("pynet", name, kw, dtype)
    assert_params_close(ref, got, rtol)


# Against the float64 NumPy reference: float64 runs agree to rounding (1e-12, as with
# torch); float32 runs carry float32 rounding (2^-24 per operation, compounded over 100
# steps of the dynamics) against the exact-in-comparison float64 reference: 1e-5.
@pytest.mark.parametrize("dtype,rtol", [(np.float32, 1e-5), (np.float64, 1e-12)])
@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_quadratic_matches_numpy_reference(case, dtype, rtol):
    name, kw = case
    ref, ref_states = run_quadratic_numpy(name, kw, dtype)
    got, opt = run_quadratic("pynet", name, kw, dtype)
    assert_params_close(ref, got, rtol)
    h = np_hyper(name, kw)
    for p, st in zip(opt.param_groups[0]["params"], ref_states):
        state = opt.state[p]
        assert set(state) == set(st) == NP_STATE_KEYS[name](h)
        for k, v in st.items():
            if k == "step":
                assert float(state[k]) == v == STEPS
            else:
                assert_params_close([v], [state[k].numpy()], rtol)


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_numpy_reference_matches_torch(case, need_torch):
    """The NumPy reference itself follows torch.optim (so the test above checks pynet
    against PyTorch's algorithm even where PyTorch is not installed)."""
    name, kw = case
    ref, _ = run_quadratic("torch", name, kw, np.float64)
    got, _ = run_quadratic_numpy(name, kw, np.float64)
    assert_params_close(ref, got, 1e-12)


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
    for kw, got in ((base, plain), (changed_kw, changed)):
        ref, _ = run_quadratic_numpy(name, kw, np.float64, ascend_when_maximizing=False)
        assert_params_close(ref, got, 1e-12)


@pytest.mark.parametrize("name,base,key,value", OPTION_CASES,
                         ids=[f"{n}-{k}={v}" for n, b, k, v in OPTION_CASES])
def test_every_option_matches_torch(name, base, key, value, need_torch):
    changed_kw = dict(base, **{key: value})
    changed, _ = run_quadratic("pynet", name, changed_kw, np.float64,
                               ascend_when_maximizing=False)
    ref, _ = run_quadratic("torch", name, changed_kw, np.float64, ascend_when_maximizing=False)
    assert_params_close(ref, changed, 1e-12)


# ---------------------------------------------------------------- MLP -------

def _mlp_data(dtype):
    r = np.random.default_rng(1)
    X = r.standard_normal((32, 8)).astype(dtype)
    onehot = np.eye(4, dtype=dtype)[r.integers(0, 4, 32)]
    W = [r.standard_normal((8, 16)) * 0.5, r.standard_normal(16) * 0.1,
         r.standard_normal((16, 4)) * 0.5, r.standard_normal(4) * 0.1]
    return X, onehot, W


def run_mlp_numpy(name, kw, steps=STEPS):
    """run_mlp in NumPy: the loss -sum(onehot * log_softmax(relu(X W0 + b0) W1 + b1)) / 32
    and its hand-derived gradient, stepped by the NumPy reference optimizer."""
    X, Y, W = _mlp_data(np.float64)
    ps, h = list(W), np_hyper(name, kw)
    states = [{} for _ in ps]
    losses = []
    for _ in range(steps):
        pre = X @ ps[0] + ps[1]
        hid = np.maximum(pre, 0)
        z = hid @ ps[2] + ps[3]
        zmax = z.max(axis=1, keepdims=True)
        lse = zmax + np.log(np.exp(z - zmax).sum(axis=1, keepdims=True))
        losses.append(-((z - lse) * Y).sum() / 32)
        dz = (np.exp(z - lse) - Y) / 32  # each row of Y sums to 1
        dhid = dz @ ps[2].T
        dpre = dhid * (pre > 0)
        grads = [X.T @ dpre, dpre.sum(0), hid.T @ dz, dz.sum(0)]
        ps = [np_step(name, h, p, g, st) for p, g, st in zip(ps, grads, states)]
    return ps, losses


def run_mlp(lib, name, kw, steps=STEPS, dtype=np.float64):
    L = _lib(lib)
    X, onehot, W = _mlp_data(dtype)
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
def test_parity_mlp(name, kw, need_torch):
    ref, ref_losses = run_mlp("torch", name, kw)
    got, losses = run_mlp("pynet", name, kw)
    assert_params_close(ref, got, 1e-9)
    np.testing.assert_allclose(losses, ref_losses, rtol=1e-9)
    assert losses[-1] < losses[0]  # it trains


@pytest.mark.parametrize("name,kw", MLP_CASES, ids=[_id(c) for c in MLP_CASES])
def test_mlp_matches_numpy_reference(name, kw):
    ref, ref_losses = run_mlp_numpy(name, kw)
    got, losses = run_mlp("pynet", name, kw)
    assert_params_close(ref, got, 1e-9)
    np.testing.assert_allclose(losses, ref_losses, rtol=1e-9)
    assert losses[-1] < losses[0]  # it trains


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop"])
def test_noncontiguous_params(name, need_torch):
    kw = dict(lr=0.05, momentum=0.9) if name != "Adam" else dict(lr=0.01)
    ref, _ = run_quadratic("torch", name, kw, np.float32)
    got, opt = run_quadratic("pynet", name, kw, np.float32, noncontig=True)
    assert not opt.param_groups[0]["params"][0].is_contiguous()
    assert_params_close(ref, got, 1e-6)


@pytest.mark.parametrize("dtype,rtol", [(np.float32, 1e-5), (np.float64, 1e-12)])
@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop"])
def test_noncontiguous_params_match_numpy_reference(name, dtype, rtol):
    kw = dict(lr=0.05, momentum=0.9) if name != "Adam" else dict(lr=0.01)
    ref, _ = run_quadratic_numpy(name, kw, dtype)
    got, opt = run_quadratic("pynet", name, kw, dtype, noncontig=True)
    p0 = opt.param_groups[0]["params"][0]
    assert not p0.is_contiguous() and p0.stride() == (1, 5)  # still the transposed layout
    assert_params_close(ref, got, rtol)


@pytest.fixture
def param_groups_run():
    groups = [dict(params=[0, 2], lr=0.1, momentum=0.9), dict(params=[1], lr=0.01)]
    got, opt = run_quadratic("pynet", "SGD", dict(lr=0.5), np.float64, groups=groups)
    return groups, got, opt


def test_param_groups_different_lrs_match_torch(need_torch, param_groups_run):
    groups, got, _ = param_groups_run
    ref, _ = run_quadratic("torch", "SGD", dict(lr=0.5), np.float64, groups=groups)
    assert_params_close(ref, got, 1e-12)


def test_param_groups_different_lrs(param_groups_run):
    groups, got, opt = param_groups_run
    ref, _ = run_quadratic_numpy("SGD", dict(lr=0.5), np.float64, groups=groups)
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
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [a]})


@pytest.mark.parametrize("name", sorted(NP_DEFAULTS))
def test_documented_defaults(name):
    opt = getattr(optim, name)([pynet.zeros(2, requires_grad=True)])
    for k, v in NP_DEFAULTS[name].items():
        assert opt.defaults[k] == v and type(opt.defaults[k]) is type(v), k
        assert opt.param_groups[0][k] == v, k
    assert set(opt.param_groups[0]) == set(opt.defaults) | {"params"}


def test_add_param_group_and_defaults_match_torch(need_torch):
    opt = optim.Adam([pynet.zeros(2, requires_grad=True)], lr=0.1)
    tref = torch.optim.Adam([torch.zeros(2, requires_grad=True)], lr=0.1)
    assert set(opt.param_groups[0]) == set(tref.param_groups[0])
    assert opt.defaults == tref.defaults


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
    assert set(sd["state"][0]) == NP_STATE_KEYS[name](np_hyper(name, kw))
    assert set(sd["param_groups"][0]) == set(opt.defaults) | {"params"}
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


@pytest.mark.parametrize("name,kw", [("SGD", dict(lr=0.05, momentum=0.9)),
                                     ("Adam", dict(lr=1e-2, amsgrad=True)),
                                     ("AdamW", dict(lr=1e-2)), ("Adagrad", dict(lr=0.1)),
                                     ("Adadelta", dict()),
                                     ("RMSprop", dict(centered=True, momentum=0.5))])
def test_state_dict_keys_match_torch(name, kw, need_torch):
    ps = [pynet.zeros(s, requires_grad=True) for s in SHAPES]
    opt = getattr(optim, name)(ps, **kw)
    ref = torch.optim.__dict__[name]([torch.zeros(s, requires_grad=True) for s in SHAPES], **kw)
    for p in ps:
        p.grad = pynet.ones(p.shape)
    for p in ref.param_groups[0]["params"]:
        p.grad = torch.ones_like(p)
    opt.step()
    ref.step()
    sd = opt.state_dict()
    assert set(sd["state"][0]) == set(ref.state_dict()["state"][0])
    assert set(sd["param_groups"][0]) == set(ref.state_dict()["param_groups"][0])


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


def test_python_subclass_matches_sgd_in_torch(need_torch):
    ref, _ = run_quadratic("torch", "SGD", dict(lr=0.05, momentum=0.9), np.float64)
    got, _ = _run_custom(PlainMomentum)
    assert_params_close(ref, got, 1e-12)


def test_python_subclass_matches_sgd():
    ref, _ = run_quadratic_numpy("SGD", dict(lr=0.05, momentum=0.9), np.float64)
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


def test_optimizer_repr_matches_torch(need_torch):
    opt = optim.SGD([pynet.ones(2, requires_grad=True)], lr=0.5, momentum=0.1)
    ref = torch.optim.SGD([torch.ones(2, requires_grad=True)], lr=0.5, momentum=0.1)
    assert repr(opt) == repr(ref)


def test_optimizer_pickle_and_repr():
    a = pynet.ones(2, requires_grad=True)
    opt = optim.SGD([a], lr=0.5, momentum=0.1)
    s = repr(opt)
    assert s.startswith("SGD (\nParameter Group 0\n") and "    lr: 0.5\n" in s
    # torch's Optimizer.__repr__: the class name, then per group its options but params,
    # sorted by key, one "    key: value" line each
    group = opt.param_groups[0]
    assert s == "SGD (\nParameter Group 0\n" + "".join(
        f"    {k}: {group[k]}\n" for k in sorted(group) if k != "params") + ")"
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


@pytest.mark.parametrize("name,kw,msg", ERRORS, ids=[f"{n}-{m[:20]}" for n, _, m in ERRORS])
def test_invalid_options_torch_says_the_same(name, kw, msg, need_torch):
    with pytest.raises(ValueError, match=msg):
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

def _clipped_grads(norm_type):
    r = np.random.default_rng(3)
    G = [r.standard_normal(s) for s in SHAPES]
    ps = [pynet.zeros(s, dtype=pynet.float64, requires_grad=True) for s in SHAPES]
    for p, g in zip(ps, G):
        p.grad = pynet.tensor(g)
    total = clip_grad_norm_(ps, 1.5, norm_type=norm_type)
    assert isinstance(total, pynet.Tensor) and total.ndim == 0
    return G, ps, total


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, float("inf")])
def test_clip_grad_norm_matches_torch(norm_type, need_torch):
    G, ps, total = _clipped_grads(norm_type)
    ts = [torch.zeros(s, dtype=torch.float64, requires_grad=True) for s in SHAPES]
    for t, g in zip(ts, G):
        t.grad = torch.tensor(g)
    ref = torch.nn.utils.clip_grad_norm_(ts, 1.5, norm_type=norm_type)
    np.testing.assert_allclose(float(total), float(ref), rtol=1e-12)
    for p, t in zip(ps, ts):
        np.testing.assert_allclose(p.grad.numpy(), t.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, float("inf")])
def test_clip_grad_norm(norm_type):
    G, ps, total = _clipped_grads(norm_type)
    # torch.nn.utils.clip_grad_norm_: the norm of all gradients together (max |g| for inf),
    # each gradient scaled by min(1, max_norm / (total + 1e-6))
    flat = np.abs(np.concatenate([g.ravel() for g in G]))
    ref = flat.max() if norm_type == float("inf") else (flat ** norm_type).sum() ** (1 / norm_type)
    np.testing.assert_allclose(float(total), ref, rtol=1e-12)
    coef = min(1.0, 1.5 / (ref + 1e-6))
    assert coef < 1  # the gradients were clipped
    for p, g in zip(ps, G):
        np.testing.assert_allclose(p.grad.numpy(), g * coef, rtol=1e-12)
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


# issue #9 High 2: every optimizer hook loop runs over a snapshot, so a hook may register
# or remove hooks (itself included); the change applies from the next call. PyTorch
# raises "OrderedDict mutated during iteration" here for all but nothing is silently
# skipped either way (listed in the README's differences).
@pytest.mark.parametrize("which", ["step_pre", "step_post", "state_dict_pre", "state_dict_post",
                                   "load_state_dict_pre", "load_state_dict_post"])
@pytest.mark.parametrize("action", ["remove", "register"])
def test_optimizer_hook_mutating_hooks_while_running(which, action):
    w = pynet.ones(2, requires_grad=True)
    w.grad = pynet.ones(2)
    opt = optim.SGD([w], lr=0.1)
    register = getattr(opt, f"register_{which}_hook")
    calls, handles = [], {}

    def x(*args):
        calls.append("x")
        if action == "remove":
            handles["x"].remove()
        elif len(calls) < 100:
            register(x)

    handles["x"] = register(x)
    register(lambda *args: calls.append("y"))
    if which.startswith("step"):
        go = opt.step
    elif which.startswith("state"):
        go = opt.state_dict
    else:
        sd = optim.SGD([pynet.ones(2, requires_grad=True)], lr=0.1).state_dict()
        go = lambda: opt.load_state_dict(sd)  # noqa: E731
    go()
    first = list(calls)
    go()
    assert (first, calls[len(first):]) == (["x", "y"], ["y"] if action == "remove" else ["x", "y", "x"])


# issue #9 Medium 12: deepcopy of a model and its optimizer together keeps the optimizer
# pointing at the copied parameters, with its state copied too.
def test_deepcopy_of_model_and_optimizer_together():
    import copy

    model = pynet.nn.Linear(2, 1)
    opt = optim.Adam(model.parameters(), lr=0.1)
    model(pynet.ones(3, 2)).sum().backward()
    opt.step()
    m2, o2 = copy.deepcopy((model, opt))
    assert o2.param_groups[0]["params"][0] is m2.weight
    assert o2.state[m2.weight]["exp_avg"].tolist() == opt.state[model.weight]["exp_avg"].tolist()
    assert o2.state[m2.weight]["exp_avg"] is not opt.state[model.weight]["exp_avg"]
    m2(pynet.ones(3, 2)).sum().backward()
    before = model.weight.tolist()
    o2.step()
    assert model.weight.tolist() == before and m2.weight.tolist() != before
