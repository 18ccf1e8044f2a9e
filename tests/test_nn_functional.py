"""pynet.nn._functional_layers against NumPy references and torch.nn.functional.

Most cases run twice through the `ref` fixture: against NumPy reference
implementations written below (always), and against torch (skipped when torch
is not installed). Every op is checked for forward values and the gradients
of all its inputs (float32 rtol 1e-5, float64 rtol 1e-10), on contiguous and
non-contiguous inputs, with 3-D (and 4-D) inputs where the op allows them.
Against NumPy, gradients come from NumPy reference gradients where one is
written below, otherwise from gradcheck in float64 plus float32-vs-float64
agreement. Then: gradcheck and double backward by finite differences (always),
double backward against torch, running stats, dropout statistics, and error
types (torch).
"""
import math

import numpy as np
import pytest

import pynet
from conftest import torch
from pynet.autograd import gradcheck
from pynet.nn import _functional_layers as F

TF = torch.nn.functional if torch is not None else None

TOL = {"float32": dict(rtol=1e-5, atol=1e-6), "float64": dict(rtol=1e-10, atol=1e-12)}
DTYPES = ["float32", "float64"]


@pytest.fixture(params=["numpy", "torch"])
def ref(request):
    """What a case is checked against: NumPy references (always) or torch (when installed)."""
    if request.param == "torch":
        pytest.importorskip("torch")
    return request.param


def rnd(*shape, seed=0, away=0.0, scale=1.0):
    """Normal values; |v| >= away from each point in `away` (a number or tuple)."""
    a = np.random.default_rng(seed).standard_normal(shape) * scale
    for k in np.atleast_1d(away):
        close = np.abs(a - k) < 0.05
        a = np.where(close, a + 0.1, a)
    return a


def isfloat(a):
    return a is not None and np.issubdtype(np.asarray(a).dtype, np.floating)


def dname(t):
    return str(t.dtype).split(".")[-1]


# ------------------------------------------------------- NumPy references ----
# Forward references take float64 arrays (or None) with torch's argument names and return
# float64; gradient references take the inputs and the upstream gradient g and return one
# gradient per input (None for inputs without one).

def sigmoid_np(x):
    return 1 / (1 + np.exp(-x))


def softmax_np(x, dim):
    e = np.exp(x - x.max(axis=dim, keepdims=True))
    return e / e.sum(axis=dim, keepdims=True)


def log_softmax_np(x, dim):
    z = x - x.max(axis=dim, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=dim, keepdims=True))


def softmax_grad_np(x, g, dim):
    """Vector-Jacobian product of softmax: s (g - sum(g s))."""
    s = softmax_np(x, dim)
    return s * (g - (g * s).sum(axis=dim, keepdims=True))


def log_softmax_grad_np(x, g, dim):
    """Vector-Jacobian product of log_softmax: g - softmax sum(g)."""
    return g - softmax_np(x, dim) * g.sum(axis=dim, keepdims=True)


_erf = np.vectorize(math.erf)
_K = math.sqrt(2 / math.pi)


def gelu_np(x, approximate="none"):
    """x Phi(x), or the tanh approximation 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    if approximate == "tanh":
        return 0.5 * x * (1 + np.tanh(_K * (x + 0.044715 * x ** 3)))
    return 0.5 * x * (1 + _erf(x / math.sqrt(2)))


def gelu_grad_np(x, approximate="none"):
    """d gelu / dx."""
    if approximate == "tanh":
        t = np.tanh(_K * (x + 0.044715 * x ** 3))
        return 0.5 * (1 + t) + 0.5 * x * (1 - t ** 2) * _K * (1 + 3 * 0.044715 * x ** 2)
    return 0.5 * (1 + _erf(x / math.sqrt(2))) + x * np.exp(-x ** 2 / 2) / math.sqrt(2 * math.pi)


def softplus_np(x, beta=1.0, threshold=20.0):
    """log(1 + e^(beta x)) / beta, x itself where beta x > threshold."""
    return np.where(beta * x > threshold, x, np.log1p(np.exp(beta * x)) / beta)


_SELU_A, _SELU_S = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


def silu_np(x):
    return x * sigmoid_np(x)


# Elementwise activations: (forward, derivative). The derivatives take torch's one-sided
# values at the kinks: relu'(0) = 0, leaky_relu'(0) = slope, elu'(0) = alpha,
# hardtanh'(min) = hardtanh'(max) = 0, softplus' = sigmoid(beta x) at beta x = threshold.
ELEMENTWISE_NP = {
    "leaky_relu": (lambda x: np.where(x > 0, x, 0.01 * x), lambda x: np.where(x > 0, 1, 0.01)),
    "leaky_relu_slope": (lambda x: np.where(x > 0, x, 0.2 * x), lambda x: np.where(x > 0, 1, 0.2)),
    "elu": (lambda x: np.where(x > 0, x, np.expm1(x)), lambda x: np.where(x > 0, 1, np.exp(x))),
    "elu_alpha": (lambda x: np.where(x > 0, x, 0.7 * np.expm1(x)),
                  lambda x: np.where(x > 0, 1, 0.7 * np.exp(x))),
    "gelu": (gelu_np, gelu_grad_np),
    "gelu_tanh": (lambda x: gelu_np(x, "tanh"), lambda x: gelu_grad_np(x, "tanh")),
    "softplus": (softplus_np, lambda x: np.where(x > 20, 1, sigmoid_np(x))),
    "softplus_beta_threshold": (lambda x: softplus_np(x, 2.0, 1.0),
                                lambda x: np.where(2 * x > 1, 1, sigmoid_np(2 * x))),
    "hardtanh": (lambda x: np.clip(x, -1, 1), lambda x: ((x > -1) & (x < 1)) * 1.0),
    "hardtanh_bounds": (lambda x: np.clip(x, -0.5, 2), lambda x: ((x > -0.5) & (x < 2)) * 1.0),
    "silu": (silu_np, lambda x: sigmoid_np(x) * (1 + x * (1 - sigmoid_np(x)))),
    "logsigmoid": (lambda x: np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x))),
                   lambda x: sigmoid_np(-x)),
    "mish": (lambda x: x * np.tanh(np.logaddexp(0, x)),
             lambda x: np.tanh(np.logaddexp(0, x))
             + x * (1 - np.tanh(np.logaddexp(0, x)) ** 2) * sigmoid_np(x)),
    "selu": (lambda x: _SELU_S * np.where(x > 0, x, _SELU_A * np.expm1(x)),
             lambda x: _SELU_S * np.where(x > 0, 1, _SELU_A * np.exp(x))),
    "celu": (lambda x: np.where(x > 0, x, 0.6 * np.expm1(x / 0.6)),
             lambda x: np.where(x > 0, 1, np.exp(x / 0.6))),
    "relu6": (lambda x: np.clip(x, 0, 6), lambda x: ((x > 0) & (x < 6)) * 1.0),
    "hardsigmoid": (lambda x: np.clip(x + 3, 0, 6) / 6, lambda x: ((x > -3) & (x < 3)) / 6.0),
    "hardswish": (lambda x: x * np.clip(x + 3, 0, 6) / 6,
                  lambda x: np.where(x <= -3, 0, np.where(x >= 3, 1, x / 3 + 0.5))),
    "threshold": (lambda x: np.where(x <= 0.5, -2.0, x), lambda x: (x > 0.5) * 1.0),
    "hardshrink": (lambda x: np.where(np.abs(x) <= 0.5, 0, x), lambda x: (np.abs(x) > 0.5) * 1.0),
    "softshrink": (lambda x: np.where(np.abs(x) <= 0.8, 0, x - np.sign(x) * 0.8),
                   lambda x: (np.abs(x) > 0.8) * 1.0),
    "softsign": (lambda x: x / (1 + np.abs(x)), lambda x: 1 / (1 + np.abs(x)) ** 2),
    "tanhshrink": (lambda x: x - np.tanh(x), lambda x: np.tanh(x) ** 2),
    "rrelu_eval": (lambda x: np.where(x >= 0, x, x * 11 / 48),
                   lambda x: np.where(x > 0, 1, 11 / 48)),
    "relu": (lambda x: np.maximum(x, 0), lambda x: (x > 0) * 1.0),
    "sigmoid": (sigmoid_np, lambda x: sigmoid_np(x) * (1 - sigmoid_np(x))),
    "tanh": (np.tanh, lambda x: 1 - np.tanh(x) ** 2),
}


def act_np(name):
    """(forward, gradient reference (x, g) -> [grad]) of an activation case of ACTS."""
    if name in ELEMENTWISE_NP:
        f, df = ELEMENTWISE_NP[name]
        return f, lambda x, g: [g * df(x)]
    dim = {"softmax": -1, "log_softmax": 1, "softmax_dtype": 0}[name]
    if name == "log_softmax":
        return lambda x: log_softmax_np(x, dim), lambda x, g: [log_softmax_grad_np(x, g, dim)]
    return lambda x: softmax_np(x, dim), lambda x, g: [softmax_grad_np(x, g, dim)]


def linear_np(x, w, b=None):
    """x w^T + b."""
    return x @ w.T + (0 if b is None else b)


def linear_grad_np(x, w, b, g):
    """g w, g^T x and sum(g) over the batch dimensions (all flattened)."""
    g2, x2 = g.reshape(-1, w.shape[0]), x.reshape(-1, w.shape[1])
    return [g @ w, g2.T @ x2, None if b is None else g2.sum(0)]


def prelu_np(x, w):
    """x where x >= 0, w x elsewhere; w per channel (dim 1) or a single value."""
    if x.ndim >= 2 and w.size > 1:
        w = w.reshape((-1,) + (1,) * (x.ndim - 2))
    return np.where(x >= 0, x, w * x)


def batch_norm_np(x, running_mean, running_var, weight=None, bias=None, training=False,
                  momentum=0.1, eps=1e-5):
    """(output, new running_mean, new running_var). Training normalises with the batch mean
    and biased variance over all dims but 1, and moves the running stats by momentum towards
    the mean and the unbiased variance; eval normalises with the running stats."""
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    rm, rv = running_mean, running_var
    if training:
        mean, var = x.mean(axis=axes), x.var(axis=axes)
        n = x.size // x.shape[1]
        if rm is not None:
            rm = (1 - momentum) * rm + momentum * mean
            rv = (1 - momentum) * rv + momentum * var * n / (n - 1)
    else:
        mean, var = running_mean, running_var
    y = (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps)
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return y, rm, rv


def layer_norm_np(x, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalise over the last len(normalized_shape) dims (biased variance), then w y + b."""
    k = 1 if isinstance(normalized_shape, int) else len(normalized_shape)
    axes = tuple(range(x.ndim - k, x.ndim))
    y = (x - x.mean(axis=axes, keepdims=True)) / np.sqrt(x.var(axis=axes, keepdims=True) + eps)
    return y * (1 if weight is None else weight) + (0 if bias is None else bias)


def embedding_np(idx, w):
    """Rows of w."""
    return w[idx]


def embedding_grad_np(idx, w, g, padding_idx=None):
    """g's rows summed into the rows they were taken from; none for the padding row."""
    gw = np.zeros_like(w)
    np.add.at(gw, idx, g)
    if padding_idx is not None:
        gw[padding_idx] = 0
    return [None, gw]


def one_hot_np(vals, num_classes=-1):
    """int64 indicator of each value among 0 .. num_classes - 1 (max + 1 for -1)."""
    v = np.asarray(vals, dtype=np.int64)
    n = v.max() + 1 if num_classes == -1 else num_classes
    return (v[..., None] == np.arange(n)).astype(np.int64)


def pad_np(x, pads, value=0.0):
    """Constant padding, (left, right) pairs from the last dim backwards; negative pads crop."""
    for i in range(len(pads) // 2):
        d, lo, hi = x.ndim - 1 - i, pads[2 * i], pads[2 * i + 1]
        crop = [slice(None)] * x.ndim
        crop[d] = slice(max(-lo, 0), x.shape[d] - max(-hi, 0))
        widths = [(0, 0)] * x.ndim
        widths[d] = (max(lo, 0), max(hi, 0))
        x = np.pad(x[tuple(crop)], widths, constant_values=value)
    return x


def pad_grad_np(x, g, pads):
    """The gradient of a padding is the opposite padding (with zeros) of g."""
    return [pad_np(g, [-p for p in pads])]


# ---------------------------------------------------------------- runners ----

def leaves(arrays, dtype, noncontig=False, libs=None):
    """pynet and torch leaf tensors with the same values, and the op inputs made
    from them: with noncontig, every >= 2-D input is a transposed view.
    (p, t, pi, ti) per array; t and ti are None when torch is not in libs."""
    libs = libs or (pynet, torch)
    out = []
    for a in arrays:
        if a is None:
            out.append((None, None, None, None))
            continue
        dt = dtype if isfloat(a) else "int64"
        if noncontig and a.ndim >= 2:
            base = np.ascontiguousarray(np.swapaxes(a, -1, -2))
        else:
            base = a
        pair = [lib.tensor(base, dtype=getattr(lib, dt), requires_grad=isfloat(a))
                if lib in libs else None for lib in (pynet, torch)]
        if noncontig and a.ndim >= 2:
            views = [None if t is None else t.transpose(-1, -2) for t in pair]
            if a.shape[-1] > 1 and a.shape[-2] > 1:
                assert not views[0].is_contiguous()
        else:
            views = pair
        out.append((*pair, *views))
    return out


def close(p, t, dtype, what=""):
    """A pynet result vs a reference (torch tensor, pynet tensor or NumPy array) at TOL[dtype]."""
    pa = p.detach().numpy() if hasattr(p, "detach") else np.asarray(p)
    ta = t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)
    assert pa.shape == ta.shape, (what, pa.shape, ta.shape)
    np.testing.assert_allclose(pa, ta, err_msg=what, **TOL[dtype])


def parity(pfn, tfn, arrays, dtype, noncontig=False, seed=1, grad_tol=None):
    """Forward values and all gradients (random upstream gradient) vs torch; gradients at
    TOL[grad_tol] when given."""
    ls = leaves(arrays, dtype, noncontig)
    yp = pfn(*[l[2] for l in ls])
    yt = tfn(*[l[3] for l in ls])
    close(yp, yt, dtype, "forward")
    assert str(yp.dtype).split(".")[-1] == str(yt.dtype).split(".")[-1]
    g = np.random.default_rng(seed).standard_normal(tuple(yt.shape))
    yp.backward(pynet.tensor(g, dtype=getattr(pynet, dtype)))
    yt.backward(torch.tensor(g, dtype=getattr(torch, dtype)))
    n = 0
    for k, (p, t, _, _) in enumerate(ls):
        if t is not None and t.requires_grad:
            assert p.grad is not None, f"input {k} got no gradient"
            close(p.grad, t.grad, grad_tol or dtype, f"grad of input {k}")
            n += 1
    assert n > 0
    return yp, yt


def double_parity(pfn, tfn, arrays, seed=2, tol="float64"):
    """create_graph=True: gradients of sum(grad_i * v_i) vs torch (float64, compared at
    TOL[tol])."""
    ls = leaves(arrays, "float64")
    ps = [l[0] for l in ls if l[1] is not None and l[1].requires_grad]
    ts = [l[1] for l in ls if l[1] is not None and l[1].requires_grad]
    yp = pfn(*[l[2] for l in ls])
    yt = tfn(*[l[3] for l in ls])
    rng = np.random.default_rng(seed)
    g = rng.standard_normal(tuple(yt.shape))
    # the upstream gradient requires grad too, so d(grad)/d(g) is checked as well
    gp = pynet.tensor(g, dtype=pynet.float64, requires_grad=True)
    gt = torch.tensor(g, dtype=torch.float64, requires_grad=True)
    dp = pynet.autograd.grad(yp, ps, gp, create_graph=True)
    dt = torch.autograd.grad(yt, ts, gt, create_graph=True, allow_unused=True)
    sp, st = 0, 0
    for a, b in zip(dp, dt):
        if b is None:
            continue
        v = rng.standard_normal(tuple(b.shape))
        close(a, b, tol, "first derivative")
        sp = sp + (a * pynet.tensor(v)).sum()
        st = st + (b * torch.tensor(v)).sum()
    sp.backward()
    st.backward()
    for k, (a, b) in enumerate(zip(ps + [gp], ts + [gt])):
        if b.grad is None:
            assert a.grad is None or np.all(a.grad.numpy() == 0), f"input {k}"
        elif a.grad is None:  # pynet leaves no gradient where torch's is identically zero
            assert np.all(b.grad.numpy() == 0), f"input {k} got no second-order gradient"
        else:
            assert a.grad is not None, f"input {k} got no second-order gradient"
            close(a.grad, b.grad, tol, f"second-order grad of input {k}")


def check_gradcheck(fn, arrays, noncontig=False):
    """gradcheck (float64) of fn with respect to its float inputs (None and int inputs pass
    through); with noncontig, fn gets transposed views of the >= 2-D leaves."""
    ls = leaves(arrays, "float64", noncontig, libs=(pynet,))

    def f(*ps):
        return fn(*[p.transpose(-1, -2) if noncontig and p is not None and p.ndim >= 2 else p
                    for p in ps])
    assert gradcheck(f, tuple(l[0] for l in ls), eps=1e-6, atol=1e-7, rtol=1e-5)


def check_gradgradcheck(fn, arrays, seed=2):
    """Double backward by finite differences (float64): gradcheck of the first derivatives,
    taken with create_graph=True for an upstream gradient that is an input too."""
    ins = tuple(l[0] for l in leaves(arrays, "float64", libs=(pynet,)))
    shape = tuple(fn(*ins).shape)
    g = pynet.tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=True)

    def first_grads(*args):
        xs = args[:-1]
        with pynet.enable_grad():  # gradcheck's finite differences run under no_grad
            return tuple(pynet.autograd.grad(fn(*xs), [x for x in xs if x is not None
                                                       and x.requires_grad],
                                             args[-1], create_graph=True))
    assert gradcheck(first_grads, ins + (g,), eps=1e-6, atol=1e-7, rtol=1e-5)


def pn_grads(pfn, arrays, dtype, noncontig=False, seed=1):
    """pynet output, the random upstream gradient, and the gradients of the float inputs
    in the inputs' layout (None for the others)."""
    ls = leaves(arrays, dtype, noncontig, libs=(pynet,))
    y = pfn(*[l[2] for l in ls])
    g = np.random.default_rng(seed).standard_normal(tuple(y.shape))
    y.backward(pynet.tensor(g, dtype=y.dtype))
    grads = []
    for k, (l, a) in enumerate(zip(ls, arrays)):
        if not isfloat(a):
            grads.append(None)
            continue
        assert l[0].grad is not None, f"input {k} got no gradient"
        swapped = noncontig and a.ndim >= 2  # the leaf is the transposed base
        grads.append(l[0].grad.transpose(-1, -2) if swapped else l[0].grad)
    return y, g, grads


def parity_np(pfn, npfn, arrays, dtype, noncontig=False, grad_np=None, out_dtype=None, seed=1):
    """Forward values vs npfn (float64, on the inputs rounded to dtype) and the output dtype
    (out_dtype, default dtype). Gradients of all float inputs for a random upstream gradient:
    vs grad_np(*inputs, g) when given; else by gradcheck in float64 and, in float32, against
    pynet's float64 gradients."""
    r = [a.astype(dtype).astype(np.float64) if isfloat(a) else a for a in arrays]
    y, g, grads = pn_grads(pfn, arrays, dtype, noncontig, seed)
    close(y, npfn(*r), dtype, "forward")
    assert dname(y) == (out_dtype or dtype), (y.dtype, out_dtype or dtype)
    if grad_np is not None:
        expected = grad_np(*r, g.astype(dname(y)).astype(np.float64))
    elif dtype == "float64":
        check_gradcheck(pfn, arrays, noncontig)
        return y
    else:
        expected = pn_grads(pfn, arrays, "float64", noncontig, seed)[2]
    for k, (a, e) in enumerate(zip(grads, expected)):
        if a is not None:
            close(a, e, dtype, f"grad of input {k}")
    return y


def check_op(ref, pfn, tfn, npfn, arrays, dtype, noncontig=False, grad_np=None, out_dtype=None,
             torch_grad_tol=None):
    """parity against torch or parity_np against the NumPy references, as `ref` says."""
    if ref == "torch":
        return parity(pfn, tfn, arrays, dtype, noncontig, grad_tol=torch_grad_tol)[0]
    return parity_np(pfn, npfn, arrays, dtype, noncontig, grad_np, out_dtype)


def same_error(pcall, tcall, match=None):
    with pytest.raises(Exception) as te:
        tcall()
    with pytest.raises(Exception) as pe:
        pcall()
    assert type(pe.value) is type(te.value), (pe.value, te.value)
    if match:
        for m in match:
            assert m in str(pe.value), (m, str(pe.value))
    return pe.value


# ---------------------------------------------------------------------- linear

LINEAR_SHAPES = [((4, 7), (5, 7), (5,)), ((2, 3, 7), (5, 7), (5,)), ((7,), (5, 7), (5,)),
                 ((4, 7), (5, 7), None), ((2, 2, 3, 6), (1, 6), (1,)), ((1, 7), (5, 7), (5,))]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shapes", LINEAR_SHAPES)
@pytest.mark.parametrize("noncontig", [False, True])
def test_linear_parity(ref, dtype, shapes, noncontig):
    arrays = [rnd(*s, seed=i) if s else None for i, s in enumerate(shapes)]
    if noncontig and len(shapes[0]) == 1:
        pytest.skip("1-D input has no transposed view")
    check_op(ref, lambda x, w, b: F.linear(x, w, b), lambda x, w, b: TF.linear(x, w, b),
             linear_np, arrays, dtype, noncontig, grad_np=linear_grad_np)


def _linear_large_float32(lib):
    """Errors against the exact (float64) results of a 64x784 @ 784x256 float32 linear and its
    gradients, computed by lib (pynet, torch, or NumPy's float32 BLAS as lib=None)."""
    x, w, b = rnd(64, 784), rnd(256, 784, seed=1), rnd(256, seed=2)
    x32, w32, b32 = (a.astype(np.float32) for a in (x, w, b))
    g = rnd(64, 256, seed=3).astype(np.float32)
    x64, w64, gd = x32.astype(np.float64), w32.astype(np.float64), g.astype(np.float64)
    exact = [x64 @ w64.T + b32, gd @ w64, gd.T @ x64, gd.sum(0)]
    if lib is None:
        got = [x32 @ w32.T + b32, g @ w32, g.T @ x32, g.sum(0)]
    else:
        F_ = F if lib is pynet else TF
        xs, ws, bs = (lib.tensor(a, requires_grad=True) for a in (x32, w32, b32))
        y = F_.linear(xs, ws, bs)
        y.backward(lib.tensor(g))
        got = [y.detach().numpy(), xs.grad.numpy(), ws.grad.numpy(), bs.grad.numpy()]
    return [np.abs(a - e).max() for a, e in zip(got, exact)], np.abs(exact[0]).max()


def test_linear_large_float32_as_accurate_as_numpy():
    # A float32 dot product of 784 terms cannot agree elementwise to rtol 1e-5 between
    # two summation orders where it cancels to near 0; so compare both with the exact
    # (float64) result: pynet's error must be of the size of NumPy's float32 product's.
    (ep, *egrads), scale = _linear_large_float32(pynet)
    (en, *ngrads), _ = _linear_large_float32(None)
    assert ep <= 4 * en + 1e-6, (ep, en)
    assert ep < 1e-4 * scale
    for a, b in zip(egrads, ngrads):
        assert a <= 4 * b + 1e-6, (a, b)


def test_linear_large_float32_as_accurate_as_torch(need_torch):
    # the same, with torch's float32 linear as the yardstick
    (ep, *egrads), scale = _linear_large_float32(pynet)
    (et, *tgrads), _ = _linear_large_float32(torch)
    assert ep <= 4 * et + 1e-6, (ep, et)
    assert ep < 1e-4 * scale
    for a, b in zip(egrads, tgrads):
        assert a <= 4 * b + 1e-6, (a, b)


def test_linear_gradcheck_and_gradgradcheck():
    arrays = [rnd(2, 3, 4), rnd(5, 4, seed=1), rnd(5, seed=2)]
    check_gradcheck(F.linear, arrays)
    check_gradgradcheck(F.linear, arrays)


def test_linear_double_backward(need_torch):
    double_parity(F.linear, TF.linear, [rnd(2, 3, 4), rnd(5, 4, seed=1), rnd(5, seed=2)])


def test_linear_sliced_weight_is_not_copied_wrongly(ref):
    # a weight view with a row stride larger than its width (a slice of a wider matrix)
    W = rnd(5, 9)
    x = rnd(4, 7, seed=3)
    wp = pynet.tensor(W, requires_grad=True)
    yp = F.linear(pynet.tensor(x), wp[:, 1:8])
    yp.sum().backward()
    if ref == "numpy":
        y, gw = x @ W[:, 1:8].T, np.zeros_like(W)
        gw[:, 1:8] = np.ones((5, 4)) @ x  # d sum(x W^T) / dW = 1^T x on the sliced columns
    else:
        wt = torch.tensor(W, requires_grad=True)
        y = TF.linear(torch.tensor(x), wt[:, 1:8])
        y.sum().backward()
        gw = wt.grad
    close(yp, y, "float64")
    close(wp.grad, gw, "float64")


def test_linear_mismatched_features_error(need_torch):
    x = rnd(4, 7)
    e = same_error(lambda: F.linear(pynet.tensor(x), pynet.zeros(5, 10, dtype=pynet.float64)),
                   lambda: TF.linear(torch.tensor(x), torch.zeros(5, 10, dtype=torch.float64)),
                   match=["10", "7"])
    assert "4x7 and 10x5" in str(e)


def test_linear_dtype_mismatch_error(need_torch):
    same_error(lambda: F.linear(pynet.ones(2, 3), pynet.ones(4, 3, dtype=pynet.float64)),
               lambda: TF.linear(torch.ones(2, 3), torch.ones(4, 3, dtype=torch.float64)))


def test_linear_grad_fn_and_no_grad():
    x, w = pynet.randn(3, 4, requires_grad=True), pynet.randn(2, 4)
    assert F.linear(x, w).grad_fn is not None
    with pynet.no_grad():
        assert F.linear(x, w).grad_fn is None
    assert F.linear(x.detach(), w).grad_fn is None


# ------------------------------------------------------------------ activations

ACTS = [
    ("leaky_relu", lambda m, x: m.leaky_relu(x), 0.0),
    ("leaky_relu_slope", lambda m, x: m.leaky_relu(x, negative_slope=0.2), 0.0),
    ("elu", lambda m, x: m.elu(x), 0.0),
    ("elu_alpha", lambda m, x: m.elu(x, alpha=0.7), 0.0),
    ("gelu", lambda m, x: m.gelu(x), ()),
    ("gelu_tanh", lambda m, x: m.gelu(x, approximate="tanh"), ()),
    ("softplus", lambda m, x: m.softplus(x), ()),
    ("softplus_beta_threshold", lambda m, x: m.softplus(x, beta=2.0, threshold=1.0), 0.5),
    ("hardtanh", lambda m, x: m.hardtanh(x), (-1.0, 1.0)),
    ("hardtanh_bounds", lambda m, x: m.hardtanh(x, min_val=-0.5, max_val=2.0), (-0.5, 2.0)),
    ("silu", lambda m, x: m.silu(x), ()),
    ("logsigmoid", lambda m, x: m.logsigmoid(x), ()),
    ("mish", lambda m, x: m.mish(x), ()),
    ("selu", lambda m, x: m.selu(x), 0.0),
    ("celu", lambda m, x: m.celu(x, alpha=0.6), 0.0),
    ("relu6", lambda m, x: m.relu6(x), (0.0, 6.0)),
    ("hardsigmoid", lambda m, x: m.hardsigmoid(x), (-3.0, 3.0)),
    ("hardswish", lambda m, x: m.hardswish(x), (-3.0, 3.0)),
    ("threshold", lambda m, x: m.threshold(x, 0.5, -2.0), 0.5),
    ("hardshrink", lambda m, x: m.hardshrink(x), (-0.5, 0.5)),
    ("softshrink", lambda m, x: m.softshrink(x, 0.8), (-0.8, 0.8)),
    ("softsign", lambda m, x: m.softsign(x), ()),
    ("tanhshrink", lambda m, x: m.tanhshrink(x), ()),
    ("rrelu_eval", lambda m, x: m.rrelu(x), 0.0),
    ("relu", lambda m, x: m.relu(x), 0.0),
    ("sigmoid", lambda m, x: m.sigmoid(x), ()),
    ("tanh", lambda m, x: m.tanh(x), ()),
    ("softmax", lambda m, x: m.softmax(x, dim=-1), ()),
    ("log_softmax", lambda m, x: m.log_softmax(x, dim=1), ()),
    ("softmax_dtype", lambda m, x: m.softmax(x, 0, dtype=pynet.float64 if m is F
                                             else torch.float64), ()),
]


# the activations with a C kernel of their own (and second derivatives), before relu in ACTS
N_C_ACTS = [a[0] for a in ACTS].index("relu")


# PyTorch computes these float64 gradients with float32 constants (hardsigmoid's 1/6 is
# 1.0f / 6.0f; its celu gradient is off by up to 3e-7 relative), so against torch they agree
# to float32 precision only; the NumPy references check pynet's at full float64 precision.
TORCH_F32_PRECISION_GRADS = {"celu", "hardsigmoid"}


def check_act(ref, name, fn, x, dtype, noncontig=False):
    """An activation case of ACTS vs torch or its NumPy forward and gradient references."""
    f_np, grad_np = act_np(name)
    loose = dtype == "float64" and name in TORCH_F32_PRECISION_GRADS
    check_op(ref, lambda a: fn(F, a), lambda a: fn(TF, a), f_np, [x], dtype, noncontig,
             grad_np=grad_np, out_dtype="float64" if name == "softmax_dtype" else None,
             torch_grad_tol="float32" if loose else None)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,fn,away", ACTS, ids=[a[0] for a in ACTS])
@pytest.mark.parametrize("shape,noncontig", [((5, 6), False), ((2, 3, 4), False),
                                             ((4, 5), True), ((2, 3, 4), True)])
def test_activation_parity(ref, dtype, name, fn, away, shape, noncontig):
    check_act(ref, name, fn, rnd(*shape, away=away, scale=2.0), dtype, noncontig)


@pytest.mark.parametrize("name,fn,away", ACTS[:N_C_ACTS], ids=[a[0] for a in ACTS[:N_C_ACTS]])
def test_activation_gradcheck_and_gradgradcheck(name, fn, away):
    x = rnd(3, 4, away=away, scale=2.0)
    check_gradcheck(lambda a: fn(F, a), [x])
    check_gradgradcheck(lambda a: fn(F, a), [x])


@pytest.mark.parametrize("name,fn,away", ACTS[:N_C_ACTS], ids=[a[0] for a in ACTS[:N_C_ACTS]])
def test_activation_double_backward(need_torch, name, fn, away):
    if name == "hardsigmoid":  # torch: "derivative for aten::hardsigmoid_backward is not
        # implemented"; pynet's is f'' = 0 (checked by gradgradcheck above)
        x = pynet.tensor(rnd(3, 4, away=away, scale=2.0), requires_grad=True)
        (d,) = pynet.autograd.grad(F.hardsigmoid(x).sum(), x, create_graph=True)
        (d2,) = pynet.autograd.grad(d.sum(), x)
        assert np.all(d2.numpy() == 0)
        return
    double_parity(lambda a: fn(F, a), lambda a: fn(TF, a), [rnd(3, 4, away=away, scale=2.0)],
                  tol="float32" if name in TORCH_F32_PRECISION_GRADS else "float64")


@pytest.mark.parametrize("name,fn,away", ACTS[:N_C_ACTS], ids=[a[0] for a in ACTS[:N_C_ACTS]])
def test_activation_at_kinks(ref, name, fn, away):
    # the points where the derivative jumps: the chosen one-sided value must be torch's
    # (written into the NumPy derivatives of ELEMENTWISE_NP)
    x = np.array([0.0, -1.0, 1.0, -0.5, 2.0, 0.5, 25.0, -25.0, 10.5])
    check_act(ref, name, fn, x, "float64")


@pytest.mark.parametrize("name", ["leaky_relu", "elu", "hardtanh", "silu", "relu"])
def test_activation_inplace(ref, name):
    x = rnd(3, 4, away=(0.0, 1.0, -1.0))
    xp = pynet.tensor(x, requires_grad=True)
    hp = xp * 2
    rp = getattr(F, name)(hp, inplace=True)
    assert rp is hp
    (rp * rp).sum().backward()
    p2 = pynet.tensor(x)  # without autograd, in place on a plain tensor
    getattr(F, name)(p2, inplace=True)
    if ref == "numpy":
        f, df = ELEMENTWISE_NP[name]
        h, gx, y2 = f(2 * x), 2 * f(2 * x) * df(2 * x) * 2, f(x)  # d sum(f(2x)^2) / dx
    else:
        xt = torch.tensor(x, requires_grad=True)
        h = xt * 2
        rt = getattr(TF, name)(h, inplace=True)
        (rt * rt).sum().backward()
        gx, y2 = xt.grad, torch.tensor(x)
        getattr(TF, name)(y2, inplace=True)
    close(hp, h, "float64")
    close(xp.grad, gx, "float64")
    close(p2, y2, "float64")


def test_activation_inplace_on_leaf_requiring_grad_errors(need_torch):
    same_error(lambda: F.elu(pynet.ones(3, requires_grad=True), inplace=True),
               lambda: TF.elu(torch.ones(3, requires_grad=True), inplace=True))


@pytest.mark.parametrize("name", ["leaky_relu", "elu", "gelu", "softplus", "silu"])
def test_activation_int_input_errors(need_torch, name):
    same_error(lambda: getattr(F, name)(pynet.tensor([1, 2])),
               lambda: getattr(TF, name)(torch.tensor([1, 2])))


def test_int_input_errors_of_other_ops(need_torch):
    i = [1, 2, 3, 4]
    same_error(lambda: F.prelu(pynet.tensor(i), pynet.tensor([1])),
               lambda: TF.prelu(torch.tensor(i), torch.tensor([1])))
    same_error(lambda: F.dropout(pynet.tensor(i), 0.5), lambda: TF.dropout(torch.tensor(i), 0.5))
    same_error(lambda: F.layer_norm(pynet.tensor(i), (4,)),
               lambda: TF.layer_norm(torch.tensor(i), (4,)))
    same_error(lambda: F.batch_norm(pynet.tensor(i).view(2, 2), None, None, training=True),
               lambda: TF.batch_norm(torch.tensor(i).view(2, 2), None, None, training=True))


def test_hardtanh_int_input_clamps(ref):
    a = [-3, 0, 2, 5]
    got = F.hardtanh(pynet.tensor(a), -1, 2)
    assert got.dtype == pynet.int64
    expected = np.clip(a, -1, 2) if ref == "numpy" else TF.hardtanh(torch.tensor(a), -1, 2).numpy()
    np.testing.assert_array_equal(got.numpy(), expected)


def test_gelu_bad_approximate(need_torch):
    same_error(lambda: F.gelu(pynet.ones(2), approximate="fast"),
               lambda: TF.gelu(torch.ones(2), approximate="fast"))


def test_softmax_implicit_dim_warns(ref):
    x = rnd(2, 3, 4)
    with pytest.warns(UserWarning):
        yp = F.softmax(pynet.tensor(x))
    if ref == "numpy":
        expected = softmax_np(x, 0)  # torch's legacy rule: dim 0 for 0-, 1- and 3-D inputs
    else:
        with pytest.warns(UserWarning):
            expected = TF.softmax(torch.tensor(x))
    close(yp, expected, "float64")


def _np_softmax(x, dim, log):
    """softmax / log_softmax of a NumPy array along dim, in float64."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 0:
        return np.zeros_like(x) if log else np.ones_like(x)
    z = x - x.max(axis=dim, keepdims=True)
    lse = np.log(np.exp(z).sum(axis=dim, keepdims=True))
    return z - lse if log else np.exp(z - lse)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("shape", [(), (5,), (3, 4), (2, 3, 4), (2, 3, 2, 2)])
def test_softmax_implicit_dim_and_dtype(name, shape):
    """The public pynet.nn.functional softmax / log_softmax (the one definition
    left): dim=None picks torch's legacy dim (0 for 0-, 1- and 3-d input, else 1)
    with torch's warning pointing at the caller, and dtype= casts first."""
    import pynet.nn.functional as PF

    x = rnd(*shape, seed=3)
    legacy = 0 if len(shape) in (0, 1, 3) else 1
    with pytest.warns(UserWarning, match="Implicit dimension choice") as rec:
        yp = getattr(PF, name)(pynet.tensor(x, dtype=pynet.float32))
    assert rec[0].filename == __file__
    close(yp, _np_softmax(x.astype(np.float32), legacy, name == "log_softmax"), "float32")
    yp = getattr(PF, name)(pynet.tensor(x, dtype=pynet.float32), -1, dtype=pynet.float64)
    assert yp.dtype == pynet.float64
    close(yp, _np_softmax(x.astype(np.float32), -1, name == "log_softmax"), "float64")


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("shape", [(), (5,), (3, 4), (2, 3, 4), (2, 3, 2, 2)])
def test_softmax_implicit_dim_and_dtype_match_torch(need_torch, name, shape):
    """The same calls give torch's numbers (and torch warns too)."""
    import pynet.nn.functional as PF

    x = rnd(*shape, seed=3)
    with pytest.warns(UserWarning, match="Implicit dimension choice"):
        yp = getattr(PF, name)(pynet.tensor(x, dtype=pynet.float32))
    with pytest.warns(UserWarning):
        yt = getattr(TF, name)(torch.tensor(x, dtype=torch.float32))
    close(yp, yt, "float32")
    yp = getattr(PF, name)(pynet.tensor(x, dtype=pynet.float32), -1, dtype=pynet.float64)
    yt = getattr(TF, name)(torch.tensor(x, dtype=torch.float32), -1, dtype=torch.float64)
    close(yp, yt, "float64")


# ----------------------------------------------------------------------- prelu

PRELU_CASES = [((4, 3), 3), ((4, 3), 1), ((2, 3, 5), 3), ((2, 3, 2, 2), 3), ((2, 3, 5), 1),
               ((6,), 1)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("xshape,nw", PRELU_CASES)
@pytest.mark.parametrize("noncontig", [False, True])
def test_prelu_parity(ref, dtype, xshape, nw, noncontig):
    if noncontig and len(xshape) < 2:
        pytest.skip("1-D")
    x = rnd(*xshape, away=0.0)
    w = np.linspace(-0.5, 0.7, nw)
    check_op(ref, F.prelu, lambda x, w: TF.prelu(x, w), prelu_np, [x, w], dtype, noncontig)


def test_prelu_gradcheck_and_gradgradcheck():
    arrays = [rnd(2, 3, 4, away=0.0), np.array([0.1, -0.3, 0.25])]
    check_gradcheck(F.prelu, arrays)
    check_gradgradcheck(F.prelu, arrays)


def test_prelu_double_backward(need_torch):
    double_parity(F.prelu, TF.prelu, [rnd(2, 3, 4, away=0.0), np.array([0.1, -0.3, 0.25])])


def test_prelu_wrong_weight_size(need_torch):
    same_error(lambda: F.prelu(pynet.ones(2, 3), pynet.ones(2)),
               lambda: TF.prelu(torch.ones(2, 3), torch.ones(2)))


# --------------------------------------------------------------------- dropout

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_statistics_and_exact_scaling(dtype, p):
    pynet.manual_seed(0)
    n = 200_000
    x = pynet.ones(n, dtype=getattr(pynet, dtype)) * 3
    y = F.dropout(x, p=p).numpy()
    kept = y != 0
    frac = kept.mean()
    # binomial standard deviation sqrt(p (1-p) / n) <= 0.0012: 5 sigma
    assert abs(frac - (1 - p)) < 0.006, frac
    npdt = np.float32 if dtype == "float32" else np.float64
    expected = npdt(3) * (npdt(1) / npdt(1 - p))  # torch scales by 1/(1-p) in the dtype
    assert np.all(y[kept] == expected)


def test_dropout_scaling_float32(ref):
    # same kept positions as pynet's mask: the kept values of torch's _dropout (mask / (1 - p)
    # in float32, times x), done in torch or in NumPy float32, must equal pynet's bit for bit
    pynet.manual_seed(3)
    x = rnd(1000, seed=4).astype(np.float32)
    yp = F.dropout(pynet.tensor(x), p=0.3).numpy()
    mask = yp != 0
    if ref == "numpy":
        yt = x * (mask.astype(np.float32) / np.float32(1 - 0.3))
    else:
        noise = torch.tensor(mask, dtype=torch.float32).div_(1 - 0.3)  # what torch's _dropout does
        yt = (torch.tensor(x) * noise).numpy()
    assert yt.dtype == np.float32
    np.testing.assert_array_equal(yp, yt)


def test_dropout_reproducible_under_manual_seed():
    x = pynet.randn(50, 20)
    pynet.manual_seed(123)
    a = F.dropout(x, 0.4).numpy()
    b = F.dropout(x, 0.4).numpy()
    pynet.manual_seed(123)
    c = F.dropout(x, 0.4).numpy()
    np.testing.assert_array_equal(a, c)
    assert not np.array_equal(a != 0, b != 0)


def test_dropout_backward_uses_the_same_mask():
    pynet.manual_seed(7)
    x = pynet.randn(30, 40, requires_grad=True)
    y = F.dropout(x, 0.5)
    g = pynet.randn(30, 40)
    y.backward(g)
    scale = (y.detach() / x.detach()).numpy()  # 0 or 2 at each position
    assert set(np.unique(np.round(scale, 5))) <= {0.0, 2.0}
    np.testing.assert_allclose(x.grad.numpy(), g.numpy() * scale, rtol=1e-6)
    assert y.grad_fn is not None


def test_dropout_noncontiguous_and_3d():
    pynet.manual_seed(1)
    base = pynet.randn(4, 5, 6)
    x = base.transpose(0, 2)
    y = F.dropout(x, 0.5)
    assert tuple(y.shape) == (6, 5, 4)
    yn, xn = y.numpy(), x.numpy()
    kept = yn != 0
    np.testing.assert_allclose(yn[kept], xn[kept] * 2, rtol=1e-6)


def test_dropout_identity_and_extremes():
    x = pynet.randn(10, 10, requires_grad=True)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    y = F.dropout(x, 1.0)
    assert np.all(y.detach().numpy() == 0) and not np.any(np.isnan(y.detach().numpy()))
    y.sum().backward()
    assert np.all(x.grad.numpy() == 0)


def test_dropout_inplace():
    pynet.manual_seed(5)
    x = pynet.randn(100, requires_grad=True)
    h = x * 1
    r = F.dropout(h, 0.5, inplace=True)
    assert r is h
    r.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy() != 0, h.detach().numpy() != 0)


@pytest.mark.parametrize("p", [-0.1, 1.5])
def test_dropout_bad_p(need_torch, p):
    same_error(lambda: F.dropout(pynet.ones(3), p), lambda: TF.dropout(torch.ones(3), p))


# ------------------------------------------------------------------ batch_norm

# per channel, runs of L >= 16 go through the kernels' 16 lanes, then the rest of each run
BN_SHAPES = [(8, 3), (4, 3, 5), (2, 3, 2, 4), (3, 2, 37), (2, 3, 8, 8)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", BN_SHAPES)
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("noncontig", [False, True])
def test_batch_norm_parity(ref, dtype, shape, training, affine, noncontig):
    x = rnd(*shape) * 2 + 0.5
    C = shape[1]
    rm, rv = np.linspace(-0.2, 0.3, C), np.linspace(0.5, 1.5, C)
    w = np.linspace(0.5, 1.5, C) if affine else None
    b = np.linspace(-0.3, 0.2, C) if affine else None
    pdt = getattr(pynet, dtype)
    prm, prv = pynet.tensor(rm, dtype=pdt), pynet.tensor(rv, dtype=pdt)
    kw = dict(training=training, momentum=0.2, eps=1e-3)
    if ref == "numpy":
        r = [a.astype(dtype).astype(np.float64) for a in (rm, rv)]
        # fresh running stats per call, in x's dtype (PyTorch refuses mixed dtypes): the
        # gradient checks call it several times, in float64
        parity_np(lambda x, w, b: F.batch_norm(x, pynet.tensor(rm.astype(dtype), dtype=x.dtype),
                                               pynet.tensor(rv.astype(dtype), dtype=x.dtype),
                                               w, b, **kw),
                  lambda x, w, b: batch_norm_np(x, *r, w, b, **kw)[0], [x, w, b], dtype,
                  noncontig)
        F.batch_norm(pynet.tensor(x, dtype=pdt), prm, prv, **kw)
        _, trm, trv = batch_norm_np(x.astype(dtype).astype(np.float64), *r, **kw)
    else:
        tdt = getattr(torch, dtype)
        trm, trv = torch.tensor(rm, dtype=tdt), torch.tensor(rv, dtype=tdt)
        parity(lambda x, w, b: F.batch_norm(x, prm, prv, w, b, **kw),
               lambda x, w, b: TF.batch_norm(x, trm, trv, w, b, **kw),
               [x, w, b], dtype, noncontig)
    close(prm, trm, dtype, "running_mean")
    close(prv, trv, dtype, "running_var")
    if not training:
        np.testing.assert_array_equal(prm.numpy(), rm.astype(prm.numpy().dtype))


@pytest.mark.parametrize("dtype", DTYPES)
def test_batch_norm_running_stats_over_steps(ref, dtype):
    C = 4
    pdt = getattr(pynet, dtype)
    prm, prv = pynet.zeros(C, dtype=pdt), pynet.ones(C, dtype=pdt)
    if ref == "numpy":
        trm, trv = np.zeros(C), np.ones(C)
    else:
        tdt = getattr(torch, dtype)
        trm, trv = torch.zeros(C, dtype=tdt), torch.ones(C, dtype=tdt)
    for step in range(5):
        x = rnd(6, C, 3, seed=10 + step) * (step + 1) + step
        yp = F.batch_norm(pynet.tensor(x, dtype=pdt), prm, prv, training=True)
        if ref == "numpy":
            yt, trm, trv = batch_norm_np(x.astype(dtype).astype(np.float64), trm, trv,
                                         training=True)
        else:
            yt = TF.batch_norm(torch.tensor(x, dtype=tdt), trm, trv, training=True)
        close(yp, yt, dtype, f"output step {step}")
        close(prm, trm, dtype, f"running_mean step {step}")
        close(prv, trv, dtype, f"running_var step {step}")


def test_batch_norm_unbiased_running_var_and_eval():
    # unbiased variance: after one step from (0, 1) with momentum 1 the running var is var(ddof=1)
    x = rnd(5, 2, seed=99)
    rm, rv = pynet.zeros(2, dtype=pynet.float64), pynet.ones(2, dtype=pynet.float64)
    F.batch_norm(pynet.tensor(x), rm, rv, training=True, momentum=1.0)
    np.testing.assert_allclose(rv.numpy(), x.var(axis=0, ddof=1), rtol=1e-12)
    np.testing.assert_allclose(rm.numpy(), x.mean(axis=0), rtol=1e-12)
    # eval then uses these running statistics
    y = F.batch_norm(pynet.tensor(x), rm, rv, training=False, eps=0.0).numpy()
    np.testing.assert_allclose(y, (x - x.mean(0)) / np.sqrt(x.var(0, ddof=1)), rtol=1e-10)


def test_batch_norm_without_running_stats_uses_batch_stats(ref):
    x = rnd(6, 3, seed=4)
    check_op(ref, lambda x: F.batch_norm(x, None, None, training=True),
             lambda x: TF.batch_norm(x, None, None, training=True),
             lambda x: batch_norm_np(x, None, None, training=True)[0], [x], "float64")


def test_batch_norm_eval_without_running_stats_errors(need_torch):
    x = rnd(6, 3, seed=4)
    same_error(lambda: F.batch_norm(pynet.tensor(x), None, None, training=False),
               lambda: TF.batch_norm(torch.tensor(x), None, None, training=False))


def _bn_fns(training):
    """pynet and torch batch_norm of (x, w, b) with fresh running stats per call."""
    rm, rv = np.linspace(-0.2, 0.3, 3), np.linspace(0.5, 1.5, 3)

    def pf(x, w, b):  # fresh running stats per call: gradcheck calls it many times
        return F.batch_norm(x, pynet.tensor(rm), pynet.tensor(rv), w, b, training=training)

    def tf(x, w, b):
        return TF.batch_norm(x, torch.tensor(rm), torch.tensor(rv), w, b, training=training)
    return pf, tf


BN_GRAD_ARRAYS = [rnd(4, 3, 3), np.array([0.5, 1.0, 1.5]), np.array([0.1, -0.2, 0.3])]


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_gradcheck_and_gradgradcheck(training):
    pf, _ = _bn_fns(training)
    check_gradcheck(pf, BN_GRAD_ARRAYS)
    check_gradgradcheck(pf, BN_GRAD_ARRAYS)


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_double_backward(need_torch, training):
    double_parity(*_bn_fns(training), BN_GRAD_ARRAYS)


def _first_grads_flat(fn):
    """x, w, b -> the first derivatives of sum(fn(x, w, b)^3) in x and w, taken with
    create_graph=True and flattened into one tensor: its gradgradcheck checks the
    second *and third* derivatives of fn (the double backward must be differentiable)."""
    def f(x, w, b):
        with pynet.enable_grad():
            gx, gw = pynet.autograd.grad((fn(x, w, b) ** 3).sum(), [x, w], create_graph=True)
        return pynet.cat([gx.reshape(-1), gw.reshape(-1)])
    return f


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_third_derivative(training):
    pf, _ = _bn_fns(training)
    check_gradgradcheck(_first_grads_flat(pf), BN_GRAD_ARRAYS)


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_double_backward_without_weight(training):
    """No weight: the double backward's d/dg and d/dx paths without w, against finite
    differences, on a 4-D input (statistics over N, H, W)."""
    rm, rv = np.linspace(-0.2, 0.3, 2), np.linspace(0.5, 1.5, 2)

    def pf(x, b):
        return F.batch_norm(x, pynet.tensor(rm), pynet.tensor(rv), None, b, training=training)
    arrays = [rnd(3, 2, 2, 2, seed=7), np.array([0.1, -0.2])]
    check_gradcheck(pf, arrays)
    check_gradgradcheck(pf, arrays)


def test_batch_norm_one_value_per_channel_errors(need_torch):
    e = same_error(lambda: F.batch_norm(pynet.ones(1, 3), None, None, training=True),
                   lambda: TF.batch_norm(torch.ones(1, 3), None, None, training=True))
    assert "Expected more than 1 value per channel when training" in str(e)


def test_batch_norm_one_value_per_channel_fine_in_eval():
    y = F.batch_norm(pynet.ones(1, 3), pynet.zeros(3), pynet.ones(3), training=False)
    assert tuple(y.shape) == (1, 3)


def test_batch_norm_wrong_channel_count_errors(need_torch):
    same_error(lambda: F.batch_norm(pynet.ones(4, 3), pynet.zeros(4), pynet.ones(4)),
               lambda: TF.batch_norm(torch.ones(4, 3), torch.zeros(4), torch.ones(4)))


# ------------------------------------------------------------------ layer_norm

LN_CASES = [((4, 6), (6,)), ((2, 3, 5), (5,)), ((2, 3, 5), (3, 5)), ((3, 2, 2, 4), (2, 4))]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,ns", LN_CASES)
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("noncontig", [False, True])
def test_layer_norm_parity(ref, dtype, shape, ns, affine, noncontig):
    x = rnd(*shape) * 3 + 1
    w = rnd(*ns, seed=5) if affine else None
    b = rnd(*ns, seed=6) if affine else None
    check_op(ref, lambda x, w, b: F.layer_norm(x, ns, w, b, eps=1e-4),
             lambda x, w, b: TF.layer_norm(x, ns, w, b, eps=1e-4),
             lambda x, w, b: layer_norm_np(x, ns, w, b, eps=1e-4), [x, w, b], dtype, noncontig)


def test_layer_norm_weight_only_and_int_shape(ref):
    x, w = rnd(3, 4), rnd(4, seed=1)
    check_op(ref, lambda x, w: F.layer_norm(x, 4, w), lambda x, w: TF.layer_norm(x, (4,), w),
             lambda x, w: layer_norm_np(x, 4, w), [x, w], "float64")


# Layer norm is split by rows over the pool; its backward sums dweight and dbias in at
# most 8 parts of rows fixed by the sizes. These shapes split (8, 2 and 5 parts): the
# gradients must match float64 NumPy, and be the same bits at 1 and 2 threads.
@pytest.mark.parametrize("dtype,shape,affine", [
    ("float32", (2048, 128), "wb"), ("float64", (300, 70), "w"), ("float64", (5, 40000), "wb"),
    ("float32", (600, 64), "")])
def test_layer_norm_split_rows(dtype, shape, affine):
    rng = np.random.default_rng(shape[0])
    x = (rng.standard_normal(shape) * 2 + 1).astype(dtype)
    g = rng.standard_normal(shape).astype(dtype)
    w = rng.standard_normal(shape[1]).astype(dtype) if "w" in affine else None
    b = rng.standard_normal(shape[1]).astype(dtype) if "b" in affine else None
    m = x.astype(np.float64).mean(1, keepdims=True)
    r = 1 / np.sqrt(((x - m) ** 2).mean(1, keepdims=True) + 1e-5)
    xhat = (x - m) * r
    gw = g * (w if w is not None else 1.0)
    dx = r * (gw - gw.mean(1, keepdims=True) - xhat * (gw * xhat).mean(1, keepdims=True))
    want = {"y": xhat * (w if w is not None else 1) + (b if b is not None else 0), "dx": dx,
            "dw": (g * xhat).sum(0), "db": g.astype(np.float64).sum(0)}
    tol = 2e-4 if dtype == "float32" else 1e-10
    prev, runs = pynet.get_num_threads(), []
    try:
        for n in (1, 2):
            pynet.set_num_threads(n)
            px = pynet.tensor(x, requires_grad=True)
            pw = pynet.tensor(w, requires_grad=True) if w is not None else None
            pb = pynet.tensor(b, requires_grad=True) if b is not None else None
            y = F.layer_norm(px, (shape[1],), pw, pb)
            y.backward(pynet.tensor(g))
            got = {"y": y, "dx": px.grad, "dw": pw.grad if pw is not None else None,
                   "db": pb.grad if pb is not None else None}
            got = {k: v.detach().numpy() for k, v in got.items() if v is not None}
            for k, v in got.items():
                np.testing.assert_allclose(v, want[k], rtol=tol, atol=tol * np.abs(want[k]).max())
            runs.append(got)
    finally:
        pynet.set_num_threads(prev)
    for k in runs[0]:
        np.testing.assert_array_equal(runs[0][k], runs[1][k])


LN_GRAD_ARRAYS = [rnd(2, 3, 4), rnd(3, 4, seed=1), rnd(3, 4, seed=2)]


def test_layer_norm_gradcheck_and_gradgradcheck():
    fp = lambda x, w, b: F.layer_norm(x, (3, 4), w, b)  # noqa: E731
    check_gradcheck(fp, LN_GRAD_ARRAYS)
    check_gradgradcheck(fp, LN_GRAD_ARRAYS)


def test_layer_norm_third_derivative():
    fp = lambda x, w, b: F.layer_norm(x, (3, 4), w, b)  # noqa: E731
    check_gradgradcheck(_first_grads_flat(fp), LN_GRAD_ARRAYS)


def test_layer_norm_double_backward_without_affine():
    fp = lambda x: F.layer_norm(x, (4,))  # noqa: E731
    check_gradgradcheck(fp, [rnd(3, 4, seed=3)])


def test_layer_norm_double_backward(need_torch):
    fp = lambda x, w, b: F.layer_norm(x, (3, 4), w, b)  # noqa: E731
    ft = lambda x, w, b: TF.layer_norm(x, (3, 4), w, b)  # noqa: E731
    double_parity(fp, ft, LN_GRAD_ARRAYS)


def test_layer_norm_shape_errors(need_torch):
    same_error(lambda: F.layer_norm(pynet.ones(2, 3, 4), (5,)),
               lambda: TF.layer_norm(torch.ones(2, 3, 4), (5,)), match=["[5]", "[2, 3, 4]"])
    same_error(lambda: F.layer_norm(pynet.ones(2, 4), (4,), pynet.ones(3)),
               lambda: TF.layer_norm(torch.ones(2, 4), (4,), torch.ones(3)))


# ------------------------------------------------------------------- embedding

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("idx", [[1, 3, 3, 0, 9], [[0, 2, 2], [5, 5, 5]], 4])
@pytest.mark.parametrize("padding_idx", [None, 2, -5])
def test_embedding_parity(ref, dtype, idx, padding_idx):
    idx = np.array(idx)
    W = rnd(10, 4)
    pad = None if padding_idx is None else padding_idx % 10
    check_op(ref, lambda i, w: F.embedding(i, w, padding_idx=padding_idx),
             lambda i, w: TF.embedding(i, w, padding_idx=padding_idx), embedding_np, [idx, W],
             dtype, grad_np=lambda i, w, g: embedding_grad_np(i, w, g, pad))


def test_embedding_padding_row_gets_no_gradient():
    w = pynet.randn(6, 3, requires_grad=True)
    idx = pynet.tensor([[1, 2, 2], [2, 4, 1]])
    F.embedding(idx, w, padding_idx=2).sum().backward()
    g = w.grad.numpy()
    assert np.all(g[2] == 0)
    np.testing.assert_array_equal(g[1], [2, 2, 2])
    np.testing.assert_array_equal(g[4], [1, 1, 1])
    # but the forward still returns the padding row's values
    np.testing.assert_array_equal(F.embedding(idx, w, padding_idx=2)[0, 1].detach().numpy(),
                                  w[2].detach().numpy())


def test_embedding_noncontiguous(ref):
    W = rnd(4, 7)
    idx = np.array([[1, 0], [3, 3], [2, 1]])
    check_op(ref, F.embedding, lambda i, w: TF.embedding(i, w), embedding_np, [idx, W],
             "float64", noncontig=True, grad_np=lambda i, w, g: embedding_grad_np(i, w, g))


EMB_IDX = np.array([1, 3, 3, 0])


def test_embedding_gradcheck_and_gradgradcheck():
    check_gradgradcheck(lambda i, w: F.embedding(i, w, padding_idx=3) ** 2, [EMB_IDX, rnd(5, 2)])
    # gradcheck without padding_idx (whose row's gradient is 0 on purpose)
    check_gradcheck(lambda i, w: F.embedding(i, w) ** 2, [EMB_IDX, rnd(5, 2)])


def test_embedding_double_backward(need_torch):
    fp = lambda i, w: F.embedding(i, w, padding_idx=3) ** 2  # noqa: E731
    ft = lambda i, w: TF.embedding(i, w, padding_idx=3) ** 2  # noqa: E731
    double_parity(fp, ft, [EMB_IDX, rnd(5, 2)])


def test_embedding_errors(need_torch):
    w = pynet.randn(5, 2)
    same_error(lambda: F.embedding(pynet.tensor([0, 5]), w),
               lambda: TF.embedding(torch.tensor([0, 5]), torch.randn(5, 2)))
    same_error(lambda: F.embedding(pynet.tensor([-1]), w),
               lambda: TF.embedding(torch.tensor([-1]), torch.randn(5, 2)))
    same_error(lambda: F.embedding(pynet.tensor([0]), w, padding_idx=5),
               lambda: TF.embedding(torch.tensor([0]), torch.randn(5, 2), padding_idx=5))


# --------------------------------------------------------------------- one_hot

@pytest.mark.parametrize("vals,nc", [([0, 2, 1, 2], -1), ([[0, 1], [3, 1]], 5), (3, 4),
                                     ([], 3)])
def test_one_hot(ref, vals, nc):
    p = F.one_hot(pynet.tensor(vals, dtype=pynet.int64), nc)
    if ref == "numpy":
        expected = one_hot_np(vals, nc)
    else:
        expected = TF.one_hot(torch.tensor(vals, dtype=torch.int64), nc).numpy()
    assert p.dtype == pynet.int64
    assert p.numpy().shape == expected.shape
    np.testing.assert_array_equal(p.numpy(), expected)


@pytest.mark.parametrize("vals,nc", [([0, -1], -1), ([0, 3], 3), ([], -1)])
def test_one_hot_errors(need_torch, vals, nc):
    same_error(lambda: F.one_hot(pynet.tensor(vals, dtype=pynet.int64), nc),
               lambda: TF.one_hot(torch.tensor(vals, dtype=torch.int64), nc))
    same_error(lambda: F.one_hot(pynet.tensor([1.0]), 3), lambda: TF.one_hot(torch.tensor([1.0]), 3))


# ------------------------------------------------------------------------- pad

PAD_CASES = [((3, 4), (1, 2)), ((3, 4), (1, 2, 0, 3)), ((2, 3, 4), (-1, 2, 1, -1)),
             ((2, 3, 4), (0, 0, 0, 0, 1, 1)), ((2, 2, 3, 3), (1, 1, 2, 0)),
             ((3, 4), (-2, -2)), ((5,), (3, -4))]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,pads", PAD_CASES)
@pytest.mark.parametrize("value", [0.0, -1.5])
@pytest.mark.parametrize("noncontig", [False, True])
def test_pad_parity(ref, dtype, shape, pads, value, noncontig):
    check_op(ref, lambda x: F.pad(x, pads, value=value), lambda x: TF.pad(x, pads, value=value),
             lambda x: pad_np(x, pads, value), [rnd(*shape)], dtype, noncontig,
             grad_np=lambda x, g: pad_grad_np(x, g, pads))


def test_pad_int_tensor(ref):
    a = np.arange(12).reshape(3, 4)
    got = F.pad(pynet.tensor(a), (1, 1, 2, 0), value=7)
    assert got.dtype == pynet.int64
    expected = pad_np(a, (1, 1, 2, 0), 7) if ref == "numpy" else \
        TF.pad(torch.tensor(a), (1, 1, 2, 0), value=7).numpy()
    np.testing.assert_array_equal(got.numpy(), expected)


def test_pad_gradcheck_and_gradgradcheck():
    check_gradcheck(lambda x: F.pad(x, (1, -1, 2, 0)), [rnd(3, 4)])
    check_gradgradcheck(lambda x: F.pad(x, (1, -1, 2, 0)) ** 2, [rnd(3, 4)])


def test_pad_double_backward(need_torch):
    double_parity(lambda x: F.pad(x, (1, -1, 2, 0)) ** 2,
                  lambda x: TF.pad(x, (1, -1, 2, 0)) ** 2, [rnd(3, 4)])


@pytest.mark.parametrize("pads", [(1,), (1, 1, 1, 1, 1, 1), (-3, 0)])
def test_pad_errors(need_torch, pads):
    same_error(lambda: F.pad(pynet.ones(2, 2), pads), lambda: TF.pad(torch.ones(2, 2), pads))
