"""pynet.nn._functional_layers against torch.nn.functional.

Every op is checked for forward values and the gradients of all its inputs
(float32 rtol 1e-5, float64 rtol 1e-10), on contiguous and non-contiguous
inputs, with 3-D (and 4-D) inputs where the op allows them; gradcheck in
float64; double backward (create_graph=True) against torch; error types.
"""
import numpy as np
import pytest

import pynet
from pynet.autograd import gradcheck
from pynet.nn import _functional_layers as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional

TOL = {"float32": dict(rtol=1e-5, atol=1e-6), "float64": dict(rtol=1e-10, atol=1e-12)}
DTYPES = ["float32", "float64"]


def rnd(*shape, seed=0, away=0.0, scale=1.0):
    """Normal values; |v| >= away from each point in `away` (a number or tuple)."""
    a = np.random.default_rng(seed).standard_normal(shape) * scale
    for k in np.atleast_1d(away):
        close = np.abs(a - k) < 0.05
        a = np.where(close, a + 0.1, a)
    return a


def leaves(arrays, dtype, noncontig=False):
    """pynet and torch leaf tensors with the same values, and the op inputs made
    from them: with noncontig, every >= 2-D input is a transposed view."""
    out = []
    for a in arrays:
        if a is None:
            out.append((None, None, None, None))
            continue
        isfloat = np.issubdtype(a.dtype, np.floating)
        dt = dtype if isfloat else "int64"
        if noncontig and a.ndim >= 2:
            base = np.ascontiguousarray(np.swapaxes(a, -1, -2))
        else:
            base = a
        p = pynet.tensor(base, dtype=getattr(pynet, dt), requires_grad=isfloat)
        t = torch.tensor(base, dtype=getattr(torch, dt), requires_grad=isfloat)
        if noncontig and a.ndim >= 2:
            pi, ti = p.transpose(-1, -2), t.transpose(-1, -2)
            if a.shape[-1] > 1 and a.shape[-2] > 1:
                assert not pi.is_contiguous()
        else:
            pi, ti = p, t
        out.append((p, t, pi, ti))
    return out


def close(p, t, dtype, what=""):
    pa = p.detach().numpy() if hasattr(p, "detach") else np.asarray(p)
    ta = t.detach().numpy()
    assert pa.shape == ta.shape, (what, pa.shape, ta.shape)
    np.testing.assert_allclose(pa, ta, err_msg=what, **TOL[dtype])


def parity(pfn, tfn, arrays, dtype, noncontig=False, seed=1):
    """Forward values and all gradients (random upstream gradient) vs torch."""
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
            close(p.grad, t.grad, dtype, f"grad of input {k}")
            n += 1
    assert n > 0
    return yp, yt


def double_parity(pfn, tfn, arrays, seed=2):
    """create_graph=True: gradients of sum(grad_i * v_i) vs torch (float64)."""
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
        close(a, b, "float64", "first derivative")
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
            close(a.grad, b.grad, "float64", f"second-order grad of input {k}")


def check_gradcheck(fn, arrays):
    ins = tuple(pynet.tensor(a, dtype=pynet.float64 if np.issubdtype(a.dtype, np.floating)
                        else pynet.int64,
                        requires_grad=bool(np.issubdtype(a.dtype, np.floating))) for a in arrays)
    assert gradcheck(fn, ins, eps=1e-6, atol=1e-7, rtol=1e-5)


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
def test_linear_parity(dtype, shapes, noncontig):
    arrays = [rnd(*s, seed=i) if s else None for i, s in enumerate(shapes)]
    if noncontig and len(shapes[0]) == 1:
        pytest.skip("1-D input has no transposed view")
    parity(lambda x, w, b: F.linear(x, w, b), lambda x, w, b: TF.linear(x, w, b), arrays, dtype,
           noncontig)


def test_linear_large_float32_as_accurate_as_torch():
    # A float32 dot product of 784 terms cannot agree elementwise to rtol 1e-5 between
    # two summation orders where it cancels to near 0; so compare both libraries with
    # the exact (float64) result: pynet's error must be of torch's size.
    x, w, b = rnd(64, 784), rnd(256, 784, seed=1), rnd(256, seed=2)
    x32, w32, b32 = (a.astype(np.float32) for a in (x, w, b))
    exact = x32.astype(np.float64) @ w32.astype(np.float64).T + b32
    xp = pynet.tensor(x32, requires_grad=True)
    wp = pynet.tensor(w32, requires_grad=True)
    bp = pynet.tensor(b32, requires_grad=True)
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x32, w32, b32))
    yp, yt = F.linear(xp, wp, bp), TF.linear(xt, wt, bt)
    ep = np.abs(yp.detach().numpy() - exact).max()
    et = np.abs(yt.detach().numpy() - exact).max()
    assert ep <= 4 * et + 1e-6, (ep, et)
    assert ep < 1e-4 * np.abs(exact).max()
    g = rnd(64, 256, seed=3).astype(np.float32)
    yp.backward(pynet.tensor(g))
    yt.backward(torch.tensor(g))
    gd = g.astype(np.float64)
    for p, t, ex in [(xp, xt, gd @ w32.astype(np.float64)), (wp, wt, gd.T @ x32.astype(np.float64)),
                     (bp, bt, gd.sum(0))]:
        ep = np.abs(p.grad.numpy() - ex).max()
        et = np.abs(t.grad.numpy() - ex).max()
        assert ep <= 4 * et + 1e-6, (ep, et)


def test_linear_gradcheck_and_double_backward():
    arrays = [rnd(2, 3, 4), rnd(5, 4, seed=1), rnd(5, seed=2)]
    check_gradcheck(F.linear, arrays)
    double_parity(F.linear, TF.linear, arrays)


def test_linear_sliced_weight_is_not_copied_wrongly():
    # a weight view with a row stride larger than its width (a slice of a wider matrix)
    W = rnd(5, 9)
    x = rnd(4, 7, seed=3)
    wp = pynet.tensor(W, requires_grad=True)
    wt = torch.tensor(W, requires_grad=True)
    xp, xt = pynet.tensor(x), torch.tensor(x)
    yp, yt = F.linear(xp, wp[:, 1:8]), TF.linear(xt, wt[:, 1:8])
    close(yp, yt, "float64")
    yp.sum().backward()
    yt.sum().backward()
    close(wp.grad, wt.grad, "float64")


def test_linear_mismatched_features_error():
    x = rnd(4, 7)
    e = same_error(lambda: F.linear(pynet.tensor(x), pynet.zeros(5, 10, dtype=pynet.float64)),
                   lambda: TF.linear(torch.tensor(x), torch.zeros(5, 10, dtype=torch.float64)),
                   match=["10", "7"])
    assert "4x7 and 10x5" in str(e)


def test_linear_dtype_mismatch_error():
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
    ("relu", lambda m, x: m.relu(x), 0.0),
    ("sigmoid", lambda m, x: m.sigmoid(x), ()),
    ("tanh", lambda m, x: m.tanh(x), ()),
    ("softmax", lambda m, x: m.softmax(x, dim=-1), ()),
    ("log_softmax", lambda m, x: m.log_softmax(x, dim=1), ()),
    ("softmax_dtype", lambda m, x: m.softmax(x, 0, dtype=pynet.float64 if m is F
                                             else torch.float64), ()),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,fn,away", ACTS, ids=[a[0] for a in ACTS])
@pytest.mark.parametrize("shape,noncontig", [((5, 6), False), ((2, 3, 4), False),
                                             ((4, 5), True), ((2, 3, 4), True)])
def test_activation_parity(dtype, name, fn, away, shape, noncontig):
    x = rnd(*shape, away=away, scale=2.0)
    parity(lambda a: fn(F, a), lambda a: fn(TF, a), [x], dtype, noncontig)


@pytest.mark.parametrize("name,fn,away", ACTS[:12], ids=[a[0] for a in ACTS[:12]])
def test_activation_gradcheck_and_double_backward(name, fn, away):
    x = rnd(3, 4, away=away, scale=2.0)
    check_gradcheck(lambda a: fn(F, a), [x])
    double_parity(lambda a: fn(F, a), lambda a: fn(TF, a), [x])


@pytest.mark.parametrize("name,fn,away", ACTS[:12], ids=[a[0] for a in ACTS[:12]])
def test_activation_at_kinks(name, fn, away):
    # the points where the derivative jumps: the chosen one-sided value must be torch's
    x = np.array([0.0, -1.0, 1.0, -0.5, 2.0, 0.5, 25.0, -25.0, 10.5])
    parity(lambda a: fn(F, a), lambda a: fn(TF, a), [x], "float64")


@pytest.mark.parametrize("name", ["leaky_relu", "elu", "hardtanh", "silu", "relu"])
def test_activation_inplace(name):
    x = rnd(3, 4, away=(0.0, 1.0, -1.0))
    xp = pynet.tensor(x, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    hp, ht = xp * 2, xt * 2
    rp = getattr(F, name)(hp, inplace=True)
    rt = getattr(TF, name)(ht, inplace=True)
    assert rp is hp
    close(hp, ht, "float64")
    (rp * rp).sum().backward()
    (rt * rt).sum().backward()
    close(xp.grad, xt.grad, "float64")
    # without autograd, in place on a plain tensor
    p2, t2 = pynet.tensor(x), torch.tensor(x)
    getattr(F, name)(p2, inplace=True)
    getattr(TF, name)(t2, inplace=True)
    close(p2, t2, "float64")


def test_activation_inplace_on_leaf_requiring_grad_errors():
    same_error(lambda: F.elu(pynet.ones(3, requires_grad=True), inplace=True),
               lambda: TF.elu(torch.ones(3, requires_grad=True), inplace=True))


@pytest.mark.parametrize("name", ["leaky_relu", "elu", "gelu", "softplus", "silu"])
def test_activation_int_input_errors(name):
    same_error(lambda: getattr(F, name)(pynet.tensor([1, 2])),
               lambda: getattr(TF, name)(torch.tensor([1, 2])))


def test_int_input_errors_of_other_ops():
    i = [1, 2, 3, 4]
    same_error(lambda: F.prelu(pynet.tensor(i), pynet.tensor([1])),
               lambda: TF.prelu(torch.tensor(i), torch.tensor([1])))
    same_error(lambda: F.dropout(pynet.tensor(i), 0.5), lambda: TF.dropout(torch.tensor(i), 0.5))
    same_error(lambda: F.layer_norm(pynet.tensor(i), (4,)),
               lambda: TF.layer_norm(torch.tensor(i), (4,)))
    same_error(lambda: F.batch_norm(pynet.tensor(i).view(2, 2), None, None, training=True),
               lambda: TF.batch_norm(torch.tensor(i).view(2, 2), None, None, training=True))


def test_hardtanh_int_input_clamps_like_torch():
    a = [-3, 0, 2, 5]
    np.testing.assert_array_equal(F.hardtanh(pynet.tensor(a), -1, 2).numpy(),
                                  TF.hardtanh(torch.tensor(a), -1, 2).numpy())


def test_gelu_bad_approximate():
    same_error(lambda: F.gelu(pynet.ones(2), approximate="fast"),
               lambda: TF.gelu(torch.ones(2), approximate="fast"))


def test_softmax_implicit_dim_warns_like_torch():
    x = rnd(2, 3, 4)
    with pytest.warns(UserWarning):
        yp = F.softmax(pynet.tensor(x))
    with pytest.warns(UserWarning):
        yt = TF.softmax(torch.tensor(x))
    close(yp, yt, "float64")


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("shape", [(), (5,), (3, 4), (2, 3, 4), (2, 3, 2, 2)])
def test_softmax_implicit_dim_and_dtype_match_torch(name, shape):
    """The public pynet.nn.functional softmax / log_softmax (the one definition
    left): dim=None picks torch's legacy dim (0 for 0-, 1- and 3-d input, else 1)
    with torch's warning pointing at the caller, and dtype= casts first."""
    import pynet.nn.functional as PF

    x = rnd(*shape, seed=3)
    with pytest.warns(UserWarning, match="Implicit dimension choice") as rec:
        yp = getattr(PF, name)(pynet.tensor(x, dtype=pynet.float32))
    assert rec[0].filename == __file__
    with pytest.warns(UserWarning):
        yt = getattr(TF, name)(torch.tensor(x, dtype=torch.float32))
    close(yp, yt, "float32")
    yp = getattr(PF, name)(pynet.tensor(x, dtype=pynet.float32), -1, dtype=pynet.float64)
    yt = getattr(TF, name)(torch.tensor(x, dtype=torch.float32), -1, dtype=torch.float64)
    assert yp.dtype == pynet.float64
    close(yp, yt, "float64")


# ----------------------------------------------------------------------- prelu

PRELU_CASES = [((4, 3), 3), ((4, 3), 1), ((2, 3, 5), 3), ((2, 3, 2, 2), 3), ((2, 3, 5), 1),
               ((6,), 1)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("xshape,nw", PRELU_CASES)
@pytest.mark.parametrize("noncontig", [False, True])
def test_prelu_parity(dtype, xshape, nw, noncontig):
    if noncontig and len(xshape) < 2:
        pytest.skip("1-D")
    x = rnd(*xshape, away=0.0)
    w = np.linspace(-0.5, 0.7, nw)
    parity(F.prelu, TF.prelu, [x, w], dtype, noncontig)


def test_prelu_gradcheck_and_double_backward():
    arrays = [rnd(2, 3, 4, away=0.0), np.array([0.1, -0.3, 0.25])]
    check_gradcheck(F.prelu, arrays)
    double_parity(F.prelu, TF.prelu, arrays)


def test_prelu_wrong_weight_size():
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


def test_dropout_scaling_matches_torch_float32():
    # same kept positions as pynet's mask: torch's kept values must equal pynet's bit for bit
    pynet.manual_seed(3)
    x = rnd(1000, seed=4).astype(np.float32)
    yp = F.dropout(pynet.tensor(x), p=0.3).numpy()
    mask = yp != 0
    noise = torch.tensor(mask, dtype=torch.float32).div_(1 - 0.3)  # what torch's _dropout does
    yt = torch.tensor(x) * noise
    np.testing.assert_array_equal(yp, yt.numpy())


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
def test_dropout_bad_p(p):
    same_error(lambda: F.dropout(pynet.ones(3), p), lambda: TF.dropout(torch.ones(3), p))


# ------------------------------------------------------------------ batch_norm

BN_SHAPES = [(8, 3), (4, 3, 5), (2, 3, 2, 4)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", BN_SHAPES)
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("noncontig", [False, True])
def test_batch_norm_parity(dtype, shape, training, affine, noncontig):
    x = rnd(*shape) * 2 + 0.5
    C = shape[1]
    rm, rv = np.linspace(-0.2, 0.3, C), np.linspace(0.5, 1.5, C)
    w = np.linspace(0.5, 1.5, C) if affine else None
    b = np.linspace(-0.3, 0.2, C) if affine else None
    pdt, tdt = getattr(pynet, dtype), getattr(torch, dtype)
    prm, prv = pynet.tensor(rm, dtype=pdt), pynet.tensor(rv, dtype=pdt)
    trm, trv = torch.tensor(rm, dtype=tdt), torch.tensor(rv, dtype=tdt)
    parity(lambda x, w, b: F.batch_norm(x, prm, prv, w, b, training=training, momentum=0.2,
                                        eps=1e-3),
           lambda x, w, b: TF.batch_norm(x, trm, trv, w, b, training=training, momentum=0.2,
                                         eps=1e-3),
           [x, w, b], dtype, noncontig)
    close(prm, trm, dtype, "running_mean")
    close(prv, trv, dtype, "running_var")
    if not training:
        np.testing.assert_array_equal(prm.numpy(), rm.astype(prm.numpy().dtype))


@pytest.mark.parametrize("dtype", DTYPES)
def test_batch_norm_running_stats_over_steps(dtype):
    C = 4
    pdt, tdt = getattr(pynet, dtype), getattr(torch, dtype)
    prm, prv = pynet.zeros(C, dtype=pdt), pynet.ones(C, dtype=pdt)
    trm, trv = torch.zeros(C, dtype=tdt), torch.ones(C, dtype=tdt)
    for step in range(5):
        x = rnd(6, C, 3, seed=10 + step) * (step + 1) + step
        yp = F.batch_norm(pynet.tensor(x, dtype=pdt), prm, prv, training=True)
        yt = TF.batch_norm(torch.tensor(x, dtype=tdt), trm, trv, training=True)
        close(yp, yt, dtype, f"output step {step}")
        close(prm, trm, dtype, f"running_mean step {step}")
        close(prv, trv, dtype, f"running_var step {step}")
    # unbiased variance: after one step from (0, 1) with momentum 1 the running var is var(ddof=1)
    x = rnd(5, 2, seed=99)
    rm, rv = pynet.zeros(2, dtype=pynet.float64), pynet.ones(2, dtype=pynet.float64)
    F.batch_norm(pynet.tensor(x), rm, rv, training=True, momentum=1.0)
    np.testing.assert_allclose(rv.numpy(), x.var(axis=0, ddof=1), rtol=1e-12)
    np.testing.assert_allclose(rm.numpy(), x.mean(axis=0), rtol=1e-12)
    # eval then uses these running statistics
    y = F.batch_norm(pynet.tensor(x), rm, rv, training=False, eps=0.0).numpy()
    np.testing.assert_allclose(y, (x - x.mean(0)) / np.sqrt(x.var(0, ddof=1)), rtol=1e-10)


def test_batch_norm_without_running_stats_uses_batch_stats():
    x = rnd(6, 3, seed=4)
    parity(lambda x: F.batch_norm(x, None, None, training=True),
           lambda x: TF.batch_norm(x, None, None, training=True), [x], "float64")
    same_error(lambda: F.batch_norm(pynet.tensor(x), None, None, training=False),
               lambda: TF.batch_norm(torch.tensor(x), None, None, training=False))


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_gradcheck_and_double_backward(training):
    C = 3
    rm, rv = np.linspace(-0.2, 0.3, C), np.linspace(0.5, 1.5, C)
    arrays = [rnd(4, C, 3), np.array([0.5, 1.0, 1.5]), np.array([0.1, -0.2, 0.3])]

    def pf(x, w, b):  # fresh running stats per call: gradcheck calls it many times
        return F.batch_norm(x, pynet.tensor(rm), pynet.tensor(rv), w, b, training=training)

    def tf(x, w, b):
        return TF.batch_norm(x, torch.tensor(rm), torch.tensor(rv), w, b, training=training)

    check_gradcheck(pf, arrays)
    double_parity(pf, tf, arrays)


def test_batch_norm_one_value_per_channel_errors():
    e = same_error(lambda: F.batch_norm(pynet.ones(1, 3), None, None, training=True),
                   lambda: TF.batch_norm(torch.ones(1, 3), None, None, training=True))
    assert "Expected more than 1 value per channel when training" in str(e)
    # fine in eval mode
    F.batch_norm(pynet.ones(1, 3), pynet.zeros(3), pynet.ones(3), training=False)


def test_batch_norm_wrong_channel_count_errors():
    same_error(lambda: F.batch_norm(pynet.ones(4, 3), pynet.zeros(4), pynet.ones(4)),
               lambda: TF.batch_norm(torch.ones(4, 3), torch.zeros(4), torch.ones(4)))


# ------------------------------------------------------------------ layer_norm

LN_CASES = [((4, 6), (6,)), ((2, 3, 5), (5,)), ((2, 3, 5), (3, 5)), ((3, 2, 2, 4), (2, 4))]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,ns", LN_CASES)
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("noncontig", [False, True])
def test_layer_norm_parity(dtype, shape, ns, affine, noncontig):
    x = rnd(*shape) * 3 + 1
    w = rnd(*ns, seed=5) if affine else None
    b = rnd(*ns, seed=6) if affine else None
    parity(lambda x, w, b: F.layer_norm(x, ns, w, b, eps=1e-4),
           lambda x, w, b: TF.layer_norm(x, ns, w, b, eps=1e-4), [x, w, b], dtype, noncontig)


def test_layer_norm_weight_only_and_int_shape():
    x, w = rnd(3, 4), rnd(4, seed=1)
    parity(lambda x, w: F.layer_norm(x, 4, w), lambda x, w: TF.layer_norm(x, (4,), w), [x, w],
           "float64")


def test_layer_norm_gradcheck_and_double_backward():
    arrays = [rnd(2, 3, 4), rnd(3, 4, seed=1), rnd(3, 4, seed=2)]
    fp = lambda x, w, b: F.layer_norm(x, (3, 4), w, b)  # noqa: E731
    ft = lambda x, w, b: TF.layer_norm(x, (3, 4), w, b)  # noqa: E731
    check_gradcheck(fp, arrays)
    double_parity(fp, ft, arrays)


def test_layer_norm_shape_errors():
    same_error(lambda: F.layer_norm(pynet.ones(2, 3, 4), (5,)),
               lambda: TF.layer_norm(torch.ones(2, 3, 4), (5,)), match=["[5]", "[2, 3, 4]"])
    same_error(lambda: F.layer_norm(pynet.ones(2, 4), (4,), pynet.ones(3)),
               lambda: TF.layer_norm(torch.ones(2, 4), (4,), torch.ones(3)))


# ------------------------------------------------------------------- embedding

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("idx", [[1, 3, 3, 0, 9], [[0, 2, 2], [5, 5, 5]], 4])
@pytest.mark.parametrize("padding_idx", [None, 2, -5])
def test_embedding_parity(dtype, idx, padding_idx):
    idx = np.array(idx)
    W = rnd(10, 4)
    yp, yt = parity(lambda i, w: F.embedding(i, w, padding_idx=padding_idx),
                    lambda i, w: TF.embedding(i, w, padding_idx=padding_idx), [idx, W], dtype)


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


def test_embedding_noncontiguous():
    W = rnd(4, 7)
    idx = np.array([[1, 0], [3, 3], [2, 1]])
    parity(F.embedding, TF.embedding, [idx, W], "float64", noncontig=True)


def test_embedding_double_backward():
    idx = np.array([1, 3, 3, 0])
    fp = lambda i, w: F.embedding(i, w, padding_idx=3) ** 2  # noqa: E731
    ft = lambda i, w: TF.embedding(i, w, padding_idx=3) ** 2  # noqa: E731
    double_parity(fp, ft, [idx, rnd(5, 2)])
    # gradcheck without padding_idx (whose row's gradient is 0 on purpose)
    check_gradcheck(lambda i, w: F.embedding(i, w) ** 2, [idx, rnd(5, 2)])


def test_embedding_errors():
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
def test_one_hot(vals, nc):
    p = F.one_hot(pynet.tensor(vals, dtype=pynet.int64), nc)
    t = TF.one_hot(torch.tensor(vals, dtype=torch.int64), nc)
    assert p.dtype == pynet.int64
    np.testing.assert_array_equal(p.numpy(), t.numpy())


@pytest.mark.parametrize("vals,nc", [([0, -1], -1), ([0, 3], 3), ([], -1)])
def test_one_hot_errors(vals, nc):
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
def test_pad_parity(dtype, shape, pads, value, noncontig):
    parity(lambda x: F.pad(x, pads, value=value), lambda x: TF.pad(x, pads, value=value),
           [rnd(*shape)], dtype, noncontig)


def test_pad_int_tensor_and_gradcheck():
    a = np.arange(12).reshape(3, 4)
    np.testing.assert_array_equal(F.pad(pynet.tensor(a), (1, 1, 2, 0), value=7).numpy(),
                                  TF.pad(torch.tensor(a), (1, 1, 2, 0), value=7).numpy())
    check_gradcheck(lambda x: F.pad(x, (1, -1, 2, 0)), [rnd(3, 4)])
    double_parity(lambda x: F.pad(x, (1, -1, 2, 0)) ** 2,
                  lambda x: TF.pad(x, (1, -1, 2, 0)) ** 2, [rnd(3, 4)])


@pytest.mark.parametrize("pads", [(1,), (1, 1, 1, 1, 1, 1), (-3, 0)])
def test_pad_errors(pads):
    same_error(lambda: F.pad(pynet.ones(2, 2), pads), lambda: TF.pad(torch.ones(2, 2), pads))
