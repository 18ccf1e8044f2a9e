"""Loss functions of pynet.nn.functional against NumPy references and PyTorch.

Most cases run twice through the `ref` fixture: against NumPy reference
implementations written below (always), and against the same call in torch
(skipped when torch is not installed).

- numpy: the loss in float32 and float64 is compared with a float64 NumPy
  reference computed from the same (rounded) inputs; the gradients of every
  differentiable input are checked by gradcheck in float64 (finite
  differences), and the float32 gradients must agree with the float64 ones.
- torch: the loss and the gradients of every differentiable input, for a
  random upstream gradient, in float32 (rtol 1e-5) and float64 (rtol 1e-10).

Values are compared with an absolute slack of rtol * max|reference| on top of
rtol, since gradient entries that nearly cancel cannot be compared
relatively. Then: gradcheck in float64, huge logits, all-ignored targets,
double backward (finite differences of the first gradients, and torch), and
the error types for bad arguments (torch).
"""
import warnings

import numpy as np
import pytest

import pynet
from conftest import torch
from pynet.autograd import gradcheck
from pynet.nn import _functional_loss as PF

TF = torch.nn.functional if torch is not None else None

RTOL = {"float32": 1e-5, "float64": 1e-10}
REDUCTIONS = ["mean", "sum", "none"]


@pytest.fixture(params=["numpy", "torch"])
def ref(request):
    """What a case is checked against: NumPy references (always) or torch (when installed)."""
    if request.param == "torch":
        pytest.importorskip("torch")
    return request.param


# ------------------------------------------------------- NumPy references ----
# All take float64 arrays and torch's argument names, and return float64 arrays.

def reduce_np(loss, reduction, denom=None):
    """torch's reductions: 'none' as is, 'sum', 'mean' = sum / denom (default: element count)."""
    if reduction == "none":
        return loss
    total = loss.sum()
    if reduction == "sum":
        return total
    with np.errstate(invalid="ignore", divide="ignore"):  # 0 / 0 = nan when all are ignored
        return np.float64(total) / np.float64(loss.size if denom is None else denom)


def log_softmax_np(x, axis):
    """Stable log-softmax along axis."""
    z = x - x.max(axis=axis, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=axis, keepdims=True))


def class_axis(x):
    """The class dimension: 0 for an unbatched (C,) input, 1 otherwise."""
    return 0 if x.ndim == 1 else 1


def nll_loss_np(input, target, weight=None, ignore_index=-100, reduction="mean"):
    """-weight[t] * input[n, t, ...] per position, 0 where t == ignore_index; 'mean' divides by
    the summed weights of the kept targets."""
    ax = class_axis(input)
    w = np.ones(input.shape[ax]) if weight is None else weight
    keep = target != ignore_index
    t = np.where(keep, target, 0)
    picked = np.take_along_axis(input, np.expand_dims(t, ax), ax).squeeze(ax)
    wt = np.where(keep, w[t], 0.0)
    return reduce_np(-wt * picked, reduction, wt.sum())


def cross_entropy_np(input, target, weight=None, ignore_index=-100, reduction="mean",
                     label_smoothing=0.0):
    """torch's cross_entropy: log_softmax over the class axis, then
    - class indices: (1 - ls) * nll + ls / C * smoothing term, the smoothing term being
      -sum_c weight[c] * logp[c] per kept position, its 'mean' divided by the summed weights of
      the kept targets (their count without weight);
    - probabilities: target mixed with the uniform distribution, -sum_c weight[c] y[c] logp[c]
      per position, 'mean' divided by the number of positions (numel / C)."""
    ax = class_axis(input)
    C = input.shape[ax]
    logp = log_softmax_np(input, ax)
    wb = 1.0 if weight is None else weight.reshape((C,) + (1,) * (input.ndim - ax - 1))
    if target.dtype.kind == "f":
        y = target * (1 - label_smoothing) + label_smoothing / C
        return reduce_np(-(logp * y * wb).sum(ax), reduction)
    nll = nll_loss_np(logp, target, weight, ignore_index, reduction)
    if label_smoothing == 0:
        return nll
    keep = target != ignore_index
    smooth = np.where(keep, -(logp * wb).sum(ax), 0.0)
    denom = keep.sum() if weight is None else weight[target[keep]].sum()
    return (1 - label_smoothing) * nll + label_smoothing / C * reduce_np(smooth, reduction, denom)


def mse_loss_np(input, target, reduction="mean"):
    """(x - y)^2, broadcast."""
    return reduce_np((input - target) ** 2, reduction)


def l1_loss_np(input, target, reduction="mean"):
    """|x - y|, broadcast."""
    return reduce_np(np.abs(input - target), reduction)


def smooth_l1_loss_np(input, target, reduction="mean", beta=1.0):
    """0.5 d^2 / beta where |d| < beta, |d| - 0.5 beta elsewhere; |d| for beta = 0."""
    a = np.abs(input - target)
    if beta == 0:
        return reduce_np(a, reduction)
    return reduce_np(np.where(a < beta, 0.5 * a ** 2 / beta, a - 0.5 * beta), reduction)


def huber_loss_np(input, target, reduction="mean", delta=1.0):
    """0.5 d^2 where |d| < delta, delta (|d| - 0.5 delta) elsewhere."""
    a = np.abs(input - target)
    return reduce_np(np.where(a < delta, 0.5 * a ** 2, delta * (a - 0.5 * delta)), reduction)


def binary_cross_entropy_np(input, target, weight=None, reduction="mean"):
    """-w (y log x + (1 - y) log(1 - x)), each log clamped at -100."""
    with np.errstate(divide="ignore"):
        lx, l1x = np.maximum(np.log(input), -100), np.maximum(np.log1p(-input), -100)
    loss = -(target * lx + (1 - target) * l1x)
    return reduce_np(loss if weight is None else weight * loss, reduction)


def binary_cross_entropy_with_logits_np(input, target, weight=None, reduction="mean",
                                        pos_weight=None):
    """-w (pos_weight y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))), with
    -log sigmoid(x) = log(1 + e^-x) and -log(1 - sigmoid(x)) = log(1 + e^x) (logaddexp)."""
    pw = 1.0 if pos_weight is None else pos_weight
    loss = pw * target * np.logaddexp(0, -input) + (1 - target) * np.logaddexp(0, input)
    return reduce_np(loss if weight is None else weight * loss, reduction)


def kl_div_np(input, target, reduction="mean", log_target=False):
    """y (log y - x) with 0 log 0 = 0, or e^y (y - x) for log targets; 'batchmean' divides the
    sum by input.shape[0]."""
    if log_target:
        loss = np.exp(target) * (target - input)
    else:
        loss = np.where(target > 0, target * np.log(np.where(target > 0, target, 1)), 0.0) \
            - target * input
    if reduction == "batchmean":
        return loss.sum() / input.shape[0]
    return reduce_np(loss, reduction)


REFERENCES = {f.__name__[:-3]: f for f in [
    cross_entropy_np, nll_loss_np, mse_loss_np, l1_loss_np, smooth_l1_loss_np, huber_loss_np,
    binary_cross_entropy_np, binary_cross_entropy_with_logits_np, kl_div_np]}

# ------------------------------------------------------------------ data ----

def rng(seed):
    return np.random.default_rng(seed)


def logits(*shape, seed=0):
    return rng(seed).standard_normal(shape) * 2


def classes(shape, C, seed=1, ignore=None):
    t = rng(seed).integers(0, C, size=shape).astype(np.int64)
    if ignore is not None and t.size:  # make some positions ignored
        t.reshape(-1)[::3] = ignore
    return t


def probs(shape, axis=1, seed=2):
    e = np.exp(rng(seed).standard_normal(shape))
    return e / e.sum(axis=axis, keepdims=True)


def unit(*shape, seed=3, lo=0.05, hi=0.95):
    return rng(seed).uniform(lo, hi, size=shape)


def away(*shape, seed=4):
    """Normal values with |v| >= 0.1 (no kinks of l1 / huber / smooth_l1 at d = 0)."""
    a = rng(seed).standard_normal(shape)
    return np.where(np.abs(a) < 0.1, 0.1 + np.abs(a), a)


# ---------------------------------------------------------------- runner ----

def make(lib, arrays, diff, dtype):
    """Tensors of lib (pynet or torch) for the arrays; floats get dtype, diff ones require grad."""
    out = {}
    for k, v in arrays.items():
        v = np.asarray(v)
        if v.dtype.kind == "f":
            v = v.astype(dtype)
        t = lib.tensor(v)
        if k in diff:
            t.requires_grad_(True)
        out[k] = t
    return out


def run(lib, fname, arrays, diff, kwargs, dtype, seed=7):
    F = PF if lib is pynet else TF
    ts = make(lib, arrays, diff, dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = getattr(F, fname)(**ts, **kwargs)
    g = rng(seed).standard_normal(tuple(out.shape)).astype(dtype)
    grads = lib.autograd.grad(out, [ts[k] for k in diff], grad_outputs=lib.tensor(g)) if diff \
        else []
    return out, [x.detach().numpy() for x in grads]


def assert_close(got, ref, rtol, what):
    got, ref = np.asarray(got), np.asarray(ref)
    assert got.shape == ref.shape, f"{what}: shape {got.shape} != {ref.shape}"
    finite = ref[np.isfinite(ref)]
    scale = float(np.abs(finite).max()) if finite.size else 0.0
    np.testing.assert_allclose(got, ref, rtol=rtol, atol=rtol * scale, equal_nan=True,
                               err_msg=what)


def dname(t):
    return str(t.dtype).split(".")[-1]


def rounded(arrays, dtype):
    """The arrays as float64, floats first rounded to dtype (what the pynet call received)."""
    return {k: np.asarray(v).astype(dtype).astype(np.float64) if np.asarray(v).dtype.kind == "f"
            else np.asarray(v) for k, v in arrays.items()}


def pn_loss(fname, fixed, kwargs):
    """The pynet loss as a function of the tensors not in `fixed` (by name), for gradcheck."""
    def f(**ts):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return getattr(PF, fname)(**fixed, **ts, **kwargs)
    return f


def gradcheck_loss(fname, arrays, diff, kwargs):
    """gradcheck (float64 central differences) of the loss with respect to the inputs in diff."""
    ts = make(pynet, arrays, diff, "float64")
    f = pn_loss(fname, {k: v for k, v in ts.items() if k not in diff}, kwargs)
    assert gradcheck(lambda *xs: f(**dict(zip(diff, xs))), tuple(ts[k] for k in diff))


def gradgradcheck_loss(fname, arrays, diff, kwargs, seed=30):
    """Double backward by finite differences: gradcheck (float64) of the first gradients, taken
    with create_graph=True for an upstream gradient that is an input too."""
    ts = make(pynet, arrays, diff, "float64")
    f = pn_loss(fname, {k: v for k, v in ts.items() if k not in diff}, kwargs)
    shape = tuple(f(**{k: ts[k] for k in diff}).shape)
    g0 = pynet.tensor(rng(seed).standard_normal(shape), requires_grad=True)

    def first_grads(*args):
        with pynet.enable_grad():  # gradcheck's finite differences run under no_grad
            out = f(**dict(zip(diff, args[:-1])))
            return tuple(pynet.autograd.grad(out, list(args[:-1]), grad_outputs=args[-1],
                                             create_graph=True))
    assert gradcheck(first_grads, tuple(ts[k] for k in diff) + (g0,))


def compare_numpy(fname, arrays, diff=(), kwargs=None, dtypes=("float32", "float64")):
    """The loss in each dtype vs the float64 NumPy reference of the same rounded inputs; the
    gradients by gradcheck in float64, and the float32 gradients vs the float64 ones."""
    kwargs = kwargs or {}
    grads = {}
    for dt in dtypes:
        po, grads[dt] = run(pynet, fname, arrays, diff, kwargs, dt)
        assert dname(po) == dt, f"{fname}: dtype {po.dtype} != {dt}"
        expected = REFERENCES[fname](**rounded(arrays, dt), **kwargs)
        assert_close(po.detach().numpy(), expected, RTOL[dt], f"{fname} {dt} value")
    if diff:
        gradcheck_loss(fname, arrays, diff, kwargs)
        for k, a, b in zip(diff, grads.get("float32", ()), grads.get("float64", ())):
            assert_close(a, b, RTOL["float32"], f"{fname} float32 grad of {k} vs float64")


def compare(fname, arrays, diff=(), kwargs=None, dtypes=("float32", "float64")):
    """Loss and gradients (random upstream gradient) vs the same call in torch."""
    kwargs = kwargs or {}
    for dt in dtypes:
        po, pg = run(pynet, fname, arrays, diff, kwargs, dt)
        to, tg = run(torch, fname, arrays, diff, kwargs, dt)
        assert str(po.dtype).split(".")[-1] == str(to.dtype).split(".")[-1], \
            f"{fname}: dtype {po.dtype} != {to.dtype}"
        assert_close(po.detach().numpy(), to.detach().numpy(), RTOL[dt], f"{fname} {dt} value")
        for k, a, b in zip(diff, pg, tg):
            assert_close(a, b, RTOL[dt], f"{fname} {dt} grad of {k}")


def check_loss(ref, fname, arrays, diff=(), kwargs=None):
    """compare_numpy or compare (torch), as the ref fixture says."""
    (compare_numpy if ref == "numpy" else compare)(fname, arrays, diff, kwargs)


# ------------------------------------------------------------ cross entropy ----

@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.3])
@pytest.mark.parametrize("ignore", [None, 2])
def test_cross_entropy_class_indices(ref, reduction, weighted, smoothing, ignore):
    C = 5
    arrays = {"input": logits(6, C), "target": classes(6, C, ignore=ignore)}
    if weighted:
        arrays["weight"] = np.arange(1.0, C + 1)
    kw = {"reduction": reduction, "label_smoothing": smoothing}
    if ignore is not None:
        kw["ignore_index"] = ignore
    check_loss(ref, "cross_entropy", arrays, ("input",), kw)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_cross_entropy_spatial(ref, reduction, weighted, smoothing):
    C = 4
    arrays = {"input": logits(2, C, 3, 2), "target": classes((2, 3, 2), C, ignore=-100)}
    if weighted:
        arrays["weight"] = np.array([0.5, 2.0, 1.0, 3.0])
    check_loss(ref, "cross_entropy", arrays, ("input",),
               {"reduction": reduction, "label_smoothing": smoothing})


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_unbatched(ref, reduction):
    arrays = {"input": logits(7), "target": np.array(3)}
    check_loss(ref, "cross_entropy", arrays, ("input",),
               {"reduction": reduction, "label_smoothing": 0.1})
    check_loss(ref, "cross_entropy", {**arrays, "weight": np.arange(1.0, 8.0)}, ("input",),
               {"reduction": reduction})


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.25])
@pytest.mark.parametrize("shape", [(5, 4), (2, 3, 4), (6,)])
def test_cross_entropy_probabilities(ref, reduction, weighted, smoothing, shape):
    axis = 0 if len(shape) == 1 else 1
    arrays = {"input": logits(*shape), "target": probs(shape, axis=axis)}
    diff = ("input", "target")
    if weighted:
        arrays["weight"] = np.linspace(0.5, 2.0, shape[axis])
        diff = diff + ("weight",)  # differentiable in torch for probability targets
    check_loss(ref, "cross_entropy", arrays, diff,
               {"reduction": reduction, "label_smoothing": smoothing})


def test_cross_entropy_probabilities_promote_numpy():
    # float32 logits with float64 probabilities: a float64 loss, a float32 input gradient
    x, y = logits(3, 4).astype(np.float32), probs((3, 4))
    xs = pynet.tensor(x, requires_grad=True)
    out = PF.cross_entropy(xs, pynet.tensor(y))
    g = pynet.autograd.grad(out, xs)[0]
    assert out.dtype == pynet.float64 and g.dtype == pynet.float32
    x64 = x.astype(np.float64)
    assert abs(out.item() - cross_entropy_np(x64, y)) < 1e-5 * abs(cross_entropy_np(x64, y))
    # d/dx of mean_n -sum_c y log softmax(x) = (softmax(x) sum_c y - y) / N
    p = np.exp(log_softmax_np(x64, 1))
    assert_close(g.numpy(), (p * y.sum(1, keepdims=True) - y) / 3, 1e-5, "grad")


def test_cross_entropy_probabilities_promote(need_torch):
    # float32 logits with float64 probabilities: the loss is float64, like torch's
    x, y = logits(3, 4).astype(np.float32), probs((3, 4))
    res = []
    for lib, F in [(pynet, PF), (torch, TF)]:
        xs = lib.tensor(x, requires_grad=True)
        out = F.cross_entropy(xs, lib.tensor(y))
        g = lib.autograd.grad(out, xs)[0]
        res.append((str(out.dtype).split(".")[-1], out.item(), g.dtype, g.numpy()))
    assert res[0][0] == res[1][0] == "float64"
    # torch takes log_softmax in float32 before promoting, pynet in float64: float32 precision
    assert abs(res[0][1] - res[1][1]) < 1e-5 * abs(res[1][1])
    assert str(res[0][2]).endswith("float32")  # the gradient has the input's dtype
    assert_close(res[0][3], res[1][3], 1e-5, "grad")


def test_cross_entropy_noncontiguous_input_numpy():
    x = logits(5, 6)
    t = classes(6, 5)
    f = lambda xs: PF.cross_entropy(xs.t(), pynet.tensor(t), label_smoothing=0.1)  # noqa: E731
    out = f(pynet.tensor(x))  # (6, 5), strided
    assert_close(out.numpy(), cross_entropy_np(x.T, t, label_smoothing=0.1), 1e-10, "value")
    assert gradcheck(f, (pynet.tensor(x, requires_grad=True),))


def test_cross_entropy_noncontiguous_input(need_torch):
    x = logits(5, 6)
    t = classes(6, 5)
    for lib, F in [(pynet, PF), (torch, TF)]:
        xs = lib.tensor(x.astype(np.float64)).requires_grad_(True)
        out = F.cross_entropy(xs.t(), lib.tensor(t), label_smoothing=0.1)  # (6, 5), strided
        g = lib.autograd.grad(out, xs)[0]
        if lib is pynet:
            pv, pgr = out.detach().numpy(), g.numpy()
        else:
            assert_close(pv, out.detach().numpy(), 1e-10, "value")
            assert_close(pgr, g.numpy(), 1e-10, "grad")


def test_cross_entropy_grad_fn_and_dtype():
    x = pynet.tensor(logits(3, 4).astype(np.float32), requires_grad=True)
    out = PF.cross_entropy(x, pynet.tensor(np.array([0, 1, 3])))
    assert out.dtype == pynet.float32 and tuple(out.shape) == ()
    assert out.grad_fn is not None and "Backward" in out.grad_fn.name()
    with pynet.no_grad():
        assert PF.cross_entropy(x, pynet.tensor(np.array([0, 1, 3]))).grad_fn is None


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_cross_entropy_large_logits_finite_numpy(dtype, smoothing):
    x = logits(4, 6) * 1e4  # exp(1e4) overflows in any dtype: only a stable kernel survives
    t = np.array([0, 5, 2, 3])
    arrays = {"input": x, "target": t}
    po, (pg,) = run(pynet, "cross_entropy", arrays, ("input",), {"label_smoothing": smoothing},
                    dtype)
    assert np.isfinite(po.detach().numpy()).all() and np.isfinite(pg).all()
    xr = x.astype(dtype).astype(np.float64)
    assert_close(po.detach().numpy(), cross_entropy_np(xr, t, label_smoothing=smoothing),
                 RTOL[dtype], "value")
    # d/dx of the mean loss: (softmax(x) - smoothed one-hot) / N, times run()'s upstream gradient
    g = rng(7).standard_normal(()).astype(dtype).astype(np.float64)
    soft = (1 - smoothing) * np.eye(6)[t] + smoothing / 6
    assert_close(pg, g * (np.exp(log_softmax_np(xr, 1)) - soft) / 4, RTOL[dtype], "grad")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_cross_entropy_large_logits_finite(need_torch, dtype, smoothing):
    x = logits(4, 6) * 1e4  # exp(1e4) overflows in any dtype: only a stable kernel survives
    t = np.array([0, 5, 2, 3])
    arrays = {"input": x, "target": t}
    po, (pg,) = run(pynet, "cross_entropy", arrays, ("input",), {"label_smoothing": smoothing},
                    dtype)
    to, (tg,) = run(torch, "cross_entropy", arrays, ("input",), {"label_smoothing": smoothing},
                    dtype)
    assert np.isfinite(po.detach().numpy()).all() and np.isfinite(pg).all()
    assert_close(po.detach().numpy(), to.detach().numpy(), RTOL[dtype], "value")
    assert_close(pg, tg, RTOL[dtype], "grad")


@pytest.mark.parametrize("fname", ["cross_entropy", "nll_loss"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_all_targets_ignored(ref, fname, reduction, weighted):
    arrays = {"input": logits(3, 4), "target": np.array([1, 1, 1])}
    if weighted:
        arrays["weight"] = np.array([1.0, 2.0, 3.0, 4.0])
    kw = {"reduction": reduction, "ignore_index": 1}
    po, (pg,) = run(pynet, fname, arrays, ("input",), kw, "float64")
    if ref == "numpy":
        expected, eg = REFERENCES[fname](**arrays, **kw), np.zeros_like(pg)
    else:
        to, (eg,) = run(torch, fname, arrays, ("input",), kw, "float64")
        expected = to.detach().numpy()
    if reduction == "mean":
        assert np.isnan(po.item()) and np.isnan(expected)  # 0 / 0, as torch
    else:
        assert (po.detach().numpy() == 0).all()
    assert_close(po.detach().numpy(), expected, 1e-10, "value")
    assert_close(pg, eg, 1e-10, "grad")
    assert (pg == 0).all()


def test_cross_entropy_ignored_excluded_from_weighted_mean():
    # mean = sum of weighted losses / sum of weights of the non-ignored targets
    x = logits(4, 3)
    t = np.array([0, 2, -100, 1])
    w = np.array([1.0, 2.0, 4.0])
    got = PF.cross_entropy(pynet.tensor(x), pynet.tensor(t), weight=pynet.tensor(w)).item()
    logp = x - np.log(np.exp(x).sum(1, keepdims=True))
    keep = t != -100
    num = -sum(w[c] * logp[i, c] for i, c in enumerate(t) if keep[i])
    assert abs(got - num / w[t[keep]].sum()) < 1e-12


# ------------------------------------------------------------------- nll ----

@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("shape", [(6, 5), (2, 5, 3), (5,)])
def test_nll_loss(ref, reduction, weighted, shape):
    C = 5
    x = np.log(probs(shape, axis=0 if len(shape) == 1 else 1))
    tshape = () if len(shape) == 1 else (shape[0],) + shape[2:]
    arrays = {"input": x, "target": classes(tshape, C, ignore=None if not tshape else 4)}
    if weighted:
        arrays["weight"] = np.array([1.0, 0.5, 2.0, 3.0, 1.5])
    check_loss(ref, "nll_loss", arrays, ("input",), {"reduction": reduction, "ignore_index": 4})


def test_cross_entropy_equals_nll_of_log_softmax():
    x = pynet.tensor(logits(5, 7))
    t = pynet.tensor(classes(5, 7))
    a = PF.cross_entropy(x, t, reduction="none").numpy()
    b = PF.nll_loss(x.log_softmax(1), t, reduction="none").numpy()
    np.testing.assert_allclose(a, b, rtol=1e-12)


# ------------------------------------------------------- pointwise losses ----

POINTWISE = [
    ("mse_loss", {}),
    ("l1_loss", {}),
    ("smooth_l1_loss", {}),
    ("smooth_l1_loss", {"beta": 0.5}),
    ("smooth_l1_loss", {"beta": 0.0}),
    ("huber_loss", {}),
    ("huber_loss", {"delta": 0.3}),
]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("fname,kw", POINTWISE)
def test_regression_losses(ref, fname, kw, reduction):
    x = away(4, 5, seed=10)
    y = x - away(4, 5, seed=11) * 1.5  # d = x - y kept away from 0
    check_loss(ref, fname, {"input": x, "target": y}, ("input", "target"),
               {**kw, "reduction": reduction})


@pytest.mark.parametrize("fname", ["mse_loss", "l1_loss", "huber_loss"])
def test_regression_losses_broadcast_target(ref, fname):
    x = away(4, 5, seed=12)
    y = away(5, seed=13) * 3
    check_loss(ref, fname, {"input": x, "target": y}, ("input", "target"), {"reduction": "mean"})


def test_mse_promotes_dtypes_numpy():
    x32, y = away(3).astype(np.float32), away(3, seed=9)
    out = PF.mse_loss(pynet.tensor(x32), pynet.tensor(y))
    assert out.dtype == pynet.float64
    assert abs(out.item() - mse_loss_np(x32.astype(np.float64), y)) < 1e-6


def test_mse_promotes_dtypes(need_torch):
    x = pynet.tensor(away(3).astype(np.float32))
    y = pynet.tensor(away(3, seed=9))
    out = PF.mse_loss(x, y)
    ref = TF.mse_loss(torch.tensor(away(3).astype(np.float32)), torch.tensor(away(3, seed=9)))
    assert out.dtype == pynet.float64 and ref.dtype == torch.float64
    assert abs(out.item() - ref.item()) < 1e-6


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_binary_cross_entropy(ref, reduction, weighted):
    arrays = {"input": unit(4, 3), "target": unit(4, 3, seed=5, lo=0, hi=1)}
    if weighted:
        arrays["weight"] = unit(4, 3, seed=6, lo=0.5, hi=2)
    check_loss(ref, "binary_cross_entropy", arrays, ("input", "target"), {"reduction": reduction})


def test_binary_cross_entropy_log_clamped(ref):
    # log(0) = -inf is clamped at -100: finite loss for probabilities of exactly 0 and 1
    arrays = {"input": np.array([0.0, 1.0, 0.0, 1.0, 0.5]),
              "target": np.array([1.0, 0.0, 0.0, 1.0, 0.5])}
    for dt in ["float32", "float64"]:
        po, _ = run(pynet, "binary_cross_entropy", arrays, (), {"reduction": "none"}, dt)
        if ref == "numpy":
            expected = binary_cross_entropy_np(**rounded(arrays, dt), reduction="none")
        else:
            expected = run(torch, "binary_cross_entropy", arrays, (), {"reduction": "none"},
                           dt)[0].numpy()
        assert po.numpy()[0] == 100.0 and po.numpy()[1] == 100.0
        assert_close(po.numpy(), expected, RTOL[dt], "clamped bce")


@pytest.mark.parametrize("target", [[1.5, 0.0], [float("nan"), 0.5], [0.5, -0.01]])
def test_binary_cross_entropy_refuses_targets_outside_0_1(target):
    x = pynet.tensor([0.5, 0.2])
    with pytest.raises(RuntimeError, match="all elements of target should be between 0 and 1"):
        PF.binary_cross_entropy(x, pynet.tensor(target))
    if torch is not None:  # PyTorch raises the same
        with pytest.raises(RuntimeError, match="target should be between 0 and 1"):
            torch.nn.functional.binary_cross_entropy(torch.tensor([0.5, 0.2]),
                                                     torch.tensor(target))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("pos_weight", [None, "full", "broadcast"])
def test_binary_cross_entropy_with_logits(ref, reduction, weighted, pos_weight):
    arrays = {"input": logits(4, 3), "target": unit(4, 3, seed=5, lo=0, hi=1)}
    if weighted:
        arrays["weight"] = unit(3, seed=6, lo=0.5, hi=2)  # broadcasts over the batch
    if pos_weight == "full":
        arrays["pos_weight"] = unit(4, 3, seed=8, lo=0.5, hi=3)
    elif pos_weight == "broadcast":
        arrays["pos_weight"] = np.array([0.5, 2.0, 3.0])
    check_loss(ref, "binary_cross_entropy_with_logits", arrays, ("input", "target"),
               {"reduction": reduction})


def test_binary_cross_entropy_with_logits_stable(ref):
    x = np.array([-1e4, 1e4, -800.0, 800.0, 0.0])
    y = np.array([1.0, 0.0, 0.0, 1.0, 0.5])
    for dt in ["float32", "float64"]:
        arrays = {"input": x, "target": y, "pos_weight": np.full(5, 2.0)}
        po, (pg,) = run(pynet, "binary_cross_entropy_with_logits", arrays, ("input",),
                        {"reduction": "none"}, dt)
        assert np.isfinite(po.detach().numpy()).all() and np.isfinite(pg).all()
        if ref == "numpy":
            r = rounded(arrays, dt)
            expected = binary_cross_entropy_with_logits_np(**r, reduction="none")
            # d/dx of pw y log(1 + e^-x) + (1 - y) log(1 + e^x): pw y (s - 1) + (1 - y) s,
            # s = sigmoid(x), times run()'s upstream gradient
            s = np.exp(-np.logaddexp(0, -r["input"]))
            g = rng(7).standard_normal(5).astype(dt).astype(np.float64)
            eg = g * (2.0 * r["target"] * (s - 1) + (1 - r["target"]) * s)
        else:
            to, (eg,) = run(torch, "binary_cross_entropy_with_logits", arrays, ("input",),
                            {"reduction": "none"}, dt)
            expected = to.detach().numpy()
        assert_close(po.detach().numpy(), expected, RTOL[dt], "value")
        assert_close(pg, eg, RTOL[dt], "grad")


@pytest.mark.parametrize("reduction", REDUCTIONS + ["batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div(ref, reduction, log_target):
    x = np.log(probs((4, 5), seed=20))
    y = probs((4, 5), seed=21)
    if log_target:
        y = np.log(y)
    check_loss(ref, "kl_div", {"input": x, "target": y}, ("input", "target"),
               {"reduction": reduction, "log_target": log_target})


def test_kl_div_zero_target(ref):
    x = np.log(probs((2, 3), seed=22))
    y = np.array([[0.0, 0.5, 0.5], [1.0, 0.0, 0.0]])  # xlogy(0, 0) = 0
    check_loss(ref, "kl_div", {"input": x, "target": y}, ("input",), {"reduction": "sum"})


# -------------------------------------------------------------- gradcheck ----

def _p(a, rg=True):
    return pynet.tensor(np.asarray(a, dtype=np.float64) if np.asarray(a).dtype.kind == "f"
                        else np.asarray(a), requires_grad=rg)


GRADCHECK = [
    ("ce", lambda x: PF.cross_entropy(x, _p(np.array([0, 2, 1]), False)), [logits(3, 4)]),
    ("ce_smooth_weight_ignore",
     lambda x: PF.cross_entropy(x, _p(np.array([0, 2, -100]), False),
                                weight=_p(np.array([1.0, 2.0, 0.5, 3.0]), False),
                                label_smoothing=0.3), [logits(3, 4)]),
    ("ce_spatial_none",
     lambda x: PF.cross_entropy(x, _p(classes((2, 3), 4), False), reduction="none"),
     [logits(2, 4, 3)]),
    ("ce_prob", lambda x, y, w: PF.cross_entropy(x, y, weight=w, label_smoothing=0.2),
     [logits(3, 4), probs((3, 4)), np.array([1.0, 2.0, 0.5, 3.0])]),
    ("nll_weight", lambda x: PF.nll_loss(x, _p(np.array([0, 2, 1]), False),
                                         weight=_p(np.array([1.0, 2.0, 0.5, 3.0]), False)),
     [logits(3, 4)]),
    ("mse", lambda x, y: PF.mse_loss(x, y), [away(3, 2), away(3, 2, seed=5)]),
    ("l1", lambda x, y: PF.l1_loss(x, y, reduction="sum"), [away(3, 2), away(3, 2, seed=5) + 3]),
    ("smooth_l1", lambda x, y: PF.smooth_l1_loss(x, y, beta=0.7), [away(6) * 2, np.zeros(6) + 0.05]),
    ("huber", lambda x, y: PF.huber_loss(x, y, delta=0.6, reduction="none"),
     [away(6) * 2, np.zeros(6) + 0.05]),
    ("bce", lambda x, y: PF.binary_cross_entropy(x, y, weight=_p(unit(5, seed=9), False)),
     [unit(5), unit(5, seed=8)]),
    ("bce_logits", lambda x, y: PF.binary_cross_entropy_with_logits(
        x, y, weight=_p(unit(5, seed=9), False), pos_weight=_p(unit(5, seed=7) * 3, False)),
     [logits(5), unit(5, seed=8)]),
    ("kl", lambda x, y: PF.kl_div(x, y, reduction="batchmean"),
     [np.log(probs((2, 3))), probs((2, 3), seed=3)]),
    ("kl_log", lambda x, y: PF.kl_div(x, y, reduction="sum", log_target=True),
     [np.log(probs((2, 3))), np.log(probs((2, 3), seed=3))]),
]


@pytest.mark.parametrize("name,fn,arrays", GRADCHECK, ids=[c[0] for c in GRADCHECK])
def test_gradcheck(name, fn, arrays):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert gradcheck(fn, tuple(_p(a) for a in arrays))


# -------------------------------------------------------- double backward ----

DOUBLE = [
    ("cross_entropy", {"input": logits(4, 5), "target": np.array([0, 4, 2, 1])},
     ("input",), {}),
    ("cross_entropy", {"input": logits(4, 5), "target": np.array([0, 4, -100, 1]),
                       "weight": np.linspace(0.5, 2, 5)}, ("input",), {"label_smoothing": 0.2}),
    ("cross_entropy", {"input": logits(2, 3, 4), "target": classes((2, 4), 3)},
     ("input",), {"reduction": "none"}),
    ("cross_entropy", {"input": logits(4, 5), "target": probs((4, 5)),
                       "weight": np.linspace(0.5, 2, 5)},
     ("input", "target", "weight"), {"label_smoothing": 0.1, "reduction": "sum"}),
    ("mse_loss", {"input": away(3, 4), "target": away(3, 4, seed=5)}, ("input", "target"), {}),
    ("mse_loss", {"input": away(3, 4), "target": away(4, seed=5)}, ("input", "target"),
     {"reduction": "none"}),
    ("smooth_l1_loss", {"input": away(8) * 2, "target": np.zeros(8)}, ("input", "target"),
     {"beta": 0.5}),
    ("huber_loss", {"input": away(8) * 2, "target": np.zeros(8)}, ("input", "target"), {}),
    ("binary_cross_entropy", {"input": unit(5), "target": unit(5, seed=8),
                              "weight": unit(5, seed=9)}, ("input", "target"), {}),
    ("binary_cross_entropy_with_logits", {"input": logits(5), "target": unit(5, seed=8),
                                          "pos_weight": unit(5, seed=9) * 3},
     ("input", "target"), {}),
    ("kl_div", {"input": np.log(probs((2, 3))), "target": probs((2, 3), seed=3)},
     ("input", "target"), {"reduction": "batchmean"}),
    ("kl_div", {"input": np.log(probs((2, 3))), "target": np.log(probs((2, 3), seed=3))},
     ("input", "target"), {"log_target": True}),
]


def _double(lib, fname, arrays, diff, kw, dt):
    F = PF if lib is pynet else TF
    ts = make(lib, arrays, diff, dt)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = getattr(F, fname)(**ts, **kw)
    g0 = lib.tensor(rng(30).standard_normal(tuple(out.shape)).astype(dt))
    grads = lib.autograd.grad(out, [ts[k] for k in diff], grad_outputs=g0, create_graph=True)
    # a scalar of the first gradients, differentiated again
    s = sum((g * lib.tensor(rng(31 + i).standard_normal(tuple(g.shape)).astype(dt))).sum()
            for i, g in enumerate(grads))
    gg = lib.autograd.grad(s, [ts[k] for k in diff], allow_unused=True)
    return [g.detach().numpy() for g in grads], [None if g is None else g.numpy() for g in gg]


@pytest.mark.parametrize("fname,arrays,diff,kw", DOUBLE,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(DOUBLE)])
def test_double_backward_gradgradcheck(fname, arrays, diff, kw):
    gradgradcheck_loss(fname, arrays, diff, kw)


@pytest.mark.parametrize("dt", ["float32", "float64"])
@pytest.mark.parametrize("fname,arrays,diff,kw", DOUBLE,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(DOUBLE)])
def test_double_backward(need_torch, fname, arrays, diff, kw, dt):
    pg, pgg = _double(pynet, fname, arrays, diff, kw, dt)
    tg, tgg = _double(torch, fname, arrays, diff, kw, dt)
    for k, a, b in zip(diff, pg, tg):
        assert_close(a, b, RTOL[dt], f"first grad of {k}")
    for k, a, b in zip(diff, pgg, tgg):
        if b is None:  # torch: this input does not reach the first gradient
            assert a is None or not np.any(a), f"second grad of {k} should be zero"
        else:
            assert a is not None, f"second grad of {k} missing"
            assert_close(a, b, RTOL[dt], f"second grad of {k}")


def test_double_backward_cross_entropy_nonzero():
    # the Hessian of cross entropy is diag(p) - p p^T: the second gradient must not vanish
    x = pynet.tensor(logits(3, 4), requires_grad=True)
    g, = pynet.autograd.grad(PF.cross_entropy(x, pynet.tensor(np.array([0, 1, 2]))), x,
                             create_graph=True)
    gg, = pynet.autograd.grad((g * g).sum(), x)
    assert np.abs(gg.numpy()).max() > 1e-3


@pytest.mark.parametrize("dt", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(6,), (5, 7), (3, 4, 5), (2, 3, 4, 2), (0, 3)])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
def test_nll_gradient_direct_equals_recorded(dt, shape, reduction, weighted):
    # nll_loss's backward writes -g w_t directly when no graph is recorded, and goes
    # through differentiable ops under create_graph: both give the same values
    rng = np.random.default_rng(7)
    C = shape[0] if len(shape) == 1 else shape[1]
    tshape = () if len(shape) == 1 else (shape[0],) + shape[2:]
    t = rng.integers(0, C, tshape)
    if t.size > 1:
        t.flat[-1] = 1  # ignored below
    w = pynet.tensor(rng.uniform(0.5, 2, C).astype(dt)) if weighted else None
    x = pynet.tensor(rng.standard_normal(shape).astype(dt), requires_grad=True)
    loss = PF.nll_loss(x, pynet.tensor(t), weight=w, ignore_index=1, reduction=reduction)
    g = pynet.tensor(rng.standard_normal(tuple(loss.shape)).astype(dt))
    direct, = pynet.autograd.grad(loss, x, g, retain_graph=True)
    recorded, = pynet.autograd.grad(loss, x, g.clone().requires_grad_(True), create_graph=True)
    assert direct.dtype == recorded.dtype and tuple(direct.shape) == shape
    np.testing.assert_array_equal(direct.numpy(), recorded.detach().numpy())
    expect = np.zeros(shape, dt)  # -g w_t at each target that is not ignored
    gv = np.broadcast_to(g.numpy(), tshape) if reduction == "none" else g.numpy()
    scale = 1.0
    if reduction == "mean":
        wt = (w.numpy()[t] if weighted else np.ones(tshape)) * (t != 1)
        scale = 1.0 / wt.sum() if wt.sum() else 0.0
    for pos in np.ndindex(tshape):
        if t[pos] != 1:
            idx = (pos[0], t[pos]) + pos[1:] if pos else (t[pos],)
            gp = gv[pos] if reduction == "none" else gv
            expect[idx] = -gp * scale * (w.numpy()[t[pos]] if weighted else 1)
    np.testing.assert_allclose(direct.numpy(), expect, rtol=1e-6, atol=0)


# ------------------------------------------------------------------ errors ----

def _err(lib, f):
    F = PF if lib is pynet else TF
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            f(lib, F)
    except Exception as e:  # noqa: BLE001 - the type is what we compare
        return e
    return None


def _t(lib, a, **kw):
    return lib.tensor(np.asarray(a), **kw)


ERRORS = [
    ("target_out_of_range", lambda L, F: F.cross_entropy(_t(L, logits(3, 5)),
                                                         _t(L, [1, 2, 5])), "5"),
    ("target_negative", lambda L, F: F.cross_entropy(_t(L, logits(3, 5)),
                                                     _t(L, [1, -3, 0])), "-3"),
    ("nll_target_out_of_range", lambda L, F: F.nll_loss(_t(L, logits(3, 5)),
                                                         _t(L, [1, 7, 0])), "7"),
    ("spatial_target_out_of_range", lambda L, F: F.cross_entropy(
        _t(L, logits(2, 3, 4)), _t(L, np.full((2, 4), 3))), "3"),
    ("batch_mismatch", lambda L, F: F.cross_entropy(_t(L, logits(3, 5)), _t(L, [1, 2])), "3"),
    ("spatial_mismatch", lambda L, F: F.cross_entropy(_t(L, logits(2, 3, 4)),
                                                      _t(L, np.zeros((2, 5), np.int64))), "5"),
    ("float_class_target", lambda L, F: F.cross_entropy(_t(L, logits(3, 5)),
                                                        _t(L, [1.0, 2.0, 3.0])), None),
    ("long_prob_target", lambda L, F: F.cross_entropy(_t(L, logits(3, 5)),
                                                      _t(L, np.ones((3, 5), np.int64))), None),
    ("nll_float_target", lambda L, F: F.nll_loss(_t(L, logits(3, 5)), _t(L, [1.0, 2.0, 3.0])),
     None),
    ("bad_reduction", lambda L, F: F.cross_entropy(_t(L, logits(3, 5)), _t(L, [1, 2, 3]),
                                                   reduction="foo"), "foo"),
    ("bad_reduction_mse", lambda L, F: F.mse_loss(_t(L, logits(3)), _t(L, logits(3)),
                                                  reduction="avg"), "avg"),
    ("bad_reduction_nll", lambda L, F: F.nll_loss(_t(L, logits(3, 5)), _t(L, [1, 2, 3]),
                                                  reduction="max"), "max"),
    ("weight_size", lambda L, F: F.cross_entropy(_t(L, logits(3, 5)), _t(L, [1, 2, 3]),
                                                 weight=_t(L, np.ones(3))), "5"),
    ("label_smoothing_range", lambda L, F: F.cross_entropy(
        _t(L, logits(3, 5)), _t(L, [1, 2, 3]), label_smoothing=1.5), "1.5"),
    ("nll_weight_requires_grad", lambda L, F: F.nll_loss(
        _t(L, logits(3, 5)), _t(L, [1, 2, 3]), weight=_t(L, np.ones(5), requires_grad=True)),
     "weight"),
    ("weight_dtype", lambda L, F: F.cross_entropy(_t(L, logits(3, 5).astype(np.float32)),
                                                  _t(L, [1, 2, 3]), weight=_t(L, np.ones(5))),
     "Double"),
    ("nll_weight_dtype", lambda L, F: F.nll_loss(_t(L, logits(3, 5).astype(np.float32)),
                                                 _t(L, [1, 2, 3]), weight=_t(L, np.ones(5))),
     "Double"),
    ("mse_not_broadcastable", lambda L, F: F.mse_loss(_t(L, logits(3)), _t(L, logits(4))), "4"),
    ("bce_size", lambda L, F: F.binary_cross_entropy(_t(L, unit(3)), _t(L, unit(3, 1))), None),
    ("bce_logits_size", lambda L, F: F.binary_cross_entropy_with_logits(
        _t(L, logits(3)), _t(L, unit(3, 1))), None),
    ("bce_dtype", lambda L, F: F.binary_cross_entropy(_t(L, unit(3).astype(np.float32)),
                                                      _t(L, unit(3))), None),
    ("bce_out_of_range", lambda L, F: F.binary_cross_entropy(_t(L, unit(3) * 2 + 0.5),
                                                             _t(L, unit(3))), "between 0 and 1"),
    ("bce_weight_requires_grad", lambda L, F: F.binary_cross_entropy(
        _t(L, unit(3)), _t(L, unit(3)), weight=_t(L, unit(3), requires_grad=True)), "weight"),
    ("smooth_l1_negative_beta", lambda L, F: F.smooth_l1_loss(_t(L, logits(3)),
                                                              _t(L, logits(3)), beta=-1.0), None),
    ("huber_zero_delta", lambda L, F: F.huber_loss(_t(L, logits(3)), _t(L, logits(3)),
                                                   delta=0.0), None),
]


@pytest.mark.parametrize("name,f,needle", ERRORS, ids=[e[0] for e in ERRORS])
def test_error_types_match_torch(need_torch, name, f, needle):
    pe, te = _err(pynet, f), _err(torch, f)
    assert te is not None, "torch raised nothing: the case is wrong"
    assert pe is not None, f"pynet raised nothing, torch raised {type(te).__name__}: {te}"
    assert type(pe) is type(te), f"pynet {type(pe).__name__}: {pe} / torch {type(te).__name__}"
    if needle is not None:
        assert needle in str(pe), f"{needle!r} not in {pe}"


def test_legacy_size_average_reduce_numpy():
    x, t = logits(4, 3), np.array([0, 1, 2, 1])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = PF.cross_entropy(pynet.tensor(x), pynet.tensor(t), size_average=False).item()
    assert abs(a - cross_entropy_np(x, t, reduction="sum")) < 1e-12


def test_legacy_size_average_reduce(need_torch):
    x, t = logits(4, 3), np.array([0, 1, 2, 1])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = PF.cross_entropy(pynet.tensor(x), pynet.tensor(t), size_average=False).item()
        b = TF.cross_entropy(torch.tensor(x), torch.tensor(t), size_average=False).item()
    assert abs(a - b) < 1e-12


@pytest.mark.parametrize("beta", [0.5, 2.0])
def test_smooth_l1_gradient_is_nan_where_the_difference_is_nan(beta):
    """d = x - y NaN (or inf - inf): the gradient is NaN, as PyTorch's d / beta branch gives;
    it used to fall into the sign(d) branch, sign(NaN) = 0, silently zero (found by
    test_differential_nn)."""
    nan, inf = float("nan"), float("inf")
    x = pynet.tensor([0.0, nan, inf, 1.0, 0.2, -3.0], requires_grad=True)
    y = pynet.tensor([nan, 1.0, inf, 0.0, 0.0, 0.0], requires_grad=True)
    pynet.nn.functional.smooth_l1_loss(x, y, reduction="sum", beta=beta).backward()
    want = np.array([nan, nan, nan, min(1.0 / beta, 1.0), 0.2 / beta, -1.0])
    np.testing.assert_allclose(x.grad.numpy(), want.astype(np.float32), rtol=1e-6)
    np.testing.assert_allclose(y.grad.numpy(), -want.astype(np.float32), rtol=1e-6)


def test_binary_cross_entropy_gradient_clamp_is_torchs_float_epsilon():
    """Where x (1 - x) < 1e-12 the gradient divides by PyTorch's EPSILON, 1e-12 rounded to
    float, also in float64 (pynet used the double 1e-12: 4e-9 apart, found by
    test_differential_nn)."""
    x = pynet.tensor([0.0, 1.0, 0.5], dtype=pynet.float64, requires_grad=True)
    y = pynet.tensor([1.0, 0.0, 1.0], dtype=pynet.float64)
    pynet.nn.functional.binary_cross_entropy(x, y, reduction="sum").backward()
    eps = float(np.float32(1e-12))
    assert x.grad.tolist() == [-1.0 / eps, 1.0 / eps, -0.5 / 0.25]


def test_bce_with_logits_target_gradient_at_infinite_logits_with_pos_weight():
    """d loss / d y = pw softplus(-x) - softplus(x): +inf at x = -inf for any pw > 0 (pynet
    computed -x + (pw - 1) softplus(-x), NaN = inf + 0 * inf at pw = 1), -inf at x = +inf, as
    in PyTorch (found by test_differential_nn)."""
    x = pynet.tensor([-np.inf, -np.inf, np.inf, -3.0, 0.5], requires_grad=True)
    y = pynet.tensor([0.0, 1.0, 0.0, 1.0, 0.3], requires_grad=True)
    pw = pynet.tensor([1.0, 2.0, 1.0, 1.0, 0.5])
    F = pynet.nn.functional
    F.binary_cross_entropy_with_logits(x, y, pos_weight=pw, reduction="sum").backward()
    sp = np.logaddexp(0, [3.0, -0.5])  # softplus(-x) for the finite logits
    want = [np.inf, np.inf, -np.inf, 1.0 * sp[0] - np.logaddexp(0, -3.0),
            0.5 * sp[1] - np.logaddexp(0, 0.5)]
    np.testing.assert_allclose(y.grad.numpy(), np.array(want, np.float32), rtol=1e-6)


# ------------------------------------------------------------- pointwise losses in chunks
# kernels/loss.c runs them in chunks of 16384 elements over the thread pool and, for 'mean'
# and 'sum', adds each chunk's losses without writing them out.
def _regression_ref(name, x, y, p):
    d = x - y
    ad = np.abs(d)
    if name == "mse_loss":
        return d * d
    if name == "l1_loss":
        return ad
    if name == "smooth_l1_loss":
        return ad if p == 0 else np.where(ad < p, 0.5 * d * d / p, ad - 0.5 * p)
    return np.where(ad < p, 0.5 * d * d, p * (ad - 0.5 * p))  # huber_loss


@pytest.mark.parametrize("name,param", [("mse_loss", None), ("l1_loss", None),
                                        ("smooth_l1_loss", 0.0), ("smooth_l1_loss", 0.7),
                                        ("huber_loss", 1.3)])
@pytest.mark.parametrize("n", [16384, 3 * 16384 + 1000])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_regression_losses_over_many_chunks_match_numpy(name, param, n, dtype):
    rng = np.random.default_rng(n)
    x, y = (rng.standard_normal(n) * 2).astype(dtype), rng.standard_normal(n).astype(dtype)
    kw = {} if param is None else {"beta" if name == "smooth_l1_loss" else "delta": param}
    ref = _regression_ref(name, x.astype(np.float64), y.astype(np.float64), param)
    f = getattr(pynet.nn.functional, name)
    tol = 1e-6 if dtype == "float32" else 1e-13
    none = f(pynet.tensor(x), pynet.tensor(y), reduction="none", **kw).numpy()
    np.testing.assert_allclose(none, ref, rtol=tol, atol=tol)
    for reduction, want in (("sum", ref.sum()), ("mean", ref.mean())):
        got = f(pynet.tensor(x), pynet.tensor(y), reduction=reduction, **kw).item()
        assert abs(got - want) <= 1e-5 * abs(want) if dtype == "float32" else \
            abs(got - want) <= 1e-12 * abs(want), (reduction, got, want)


def test_pointwise_loss_sums_same_bits_at_one_and_two_threads():
    rng = np.random.default_rng(7)
    x, y = rng.standard_normal(200003).astype(np.float32), rng.standard_normal(200003).astype(
        np.float32)
    old, got = pynet.get_num_threads(), []
    try:
        for threads in (1, 2):
            pynet.set_num_threads(threads)
            px, py = pynet.tensor(x), pynet.tensor(y)
            got.append([getattr(pynet.nn.functional, f)(px, py, reduction=r).numpy()
                        for f in ("mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss")
                        for r in ("none", "sum", "mean")])
    finally:
        pynet.set_num_threads(old)
    for a, b in zip(*got):
        assert np.array_equal(a, b)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("bad", ["input", "target"])
def test_binary_cross_entropy_finds_a_bad_value_in_a_late_chunk(reduction, bad):
    n = 5 * 16384 + 7
    x, y = np.full(n, 0.5, np.float32), np.full(n, 0.25, np.float32)
    (x if bad == "input" else y)[n - 3] = 1.5
    with pytest.raises(RuntimeError, match=f"all elements of {bad} should be between 0 and 1"):
        pynet.nn.functional.binary_cross_entropy(pynet.tensor(x), pynet.tensor(y),
                                                 reduction=reduction)
