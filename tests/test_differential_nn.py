"""Differential tests against PyTorch (issue #9, "keep it closed") for the op families beyond
the elementwise ones of test_differential.py: indexing (getitem, setitem, masked_fill, where),
matmul, linear, convolutions, pooling, normalisation and the losses. Hypothesis draws the
shapes (0-size where PyTorch allows it), the hyper-parameters (stride, padding, dilation,
groups, reductions, ...) and the layouts of the operands (test_differential's `operand` and
`_make`: contiguous, transposed, stepped, expanded, offset views); values and gradients are
compared. Anything pynet does differently on purpose is in the README's "Differences".

Sums of products (matmul, linear, conv) are compared with the classic error bound of a
float32 sum: |got - want| <= c * eps * sum|terms|, the sum of the absolute terms coming from
the same op run in float64 on the absolute values; everything else uses test_differential's
tolerances. The default run is short; PYNET_FUZZ=long draws many more examples.
"""
import contextlib
import warnings

import numpy as np
import pytest

import pynet
import pynet.nn.functional  # noqa: F401  (L.nn.functional below)

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import assume, given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from conftest import torch  # noqa: E402  (None without PyTorch: these tests skip)
from test_differential import LAYOUTS, SETTINGS, _close, _make, operand  # noqa: E402

if torch is not None:
    import torch.nn.functional  # noqa: F401


def F(L):
    return L.nn.functional


def _need_torch():
    if torch is None:
        pytest.skip("needs torch")


def _run(L, fn, operands, consts=(), abs_weights=False):
    """fn(L, *views, *consts), and the gradient of sum(result * w) for every operand's leaf.
    operands: (array, layout) pairs, made differentiable; consts: NumPy arrays (targets,
    indices, masks) made into tensors of L as they are, anything else passed unchanged."""
    made = [_make(L, a, lay, requires_grad=True) for a, lay in operands]
    cs = [L.tensor(c) if isinstance(c, np.ndarray) else c for c in consts]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # size-mismatch and kl_div 'mean' warnings, both libs
        out = fn(L, *[v for _, v in made], *cs)
    w = np.linspace(-1.0, 1.0, max(out.numel(), 1))[:out.numel()]
    w = np.abs(w) if abs_weights else w
    w = L.tensor(w.reshape(tuple(out.shape)).astype(str(out.dtype).split(".")[-1]))
    for leaf, v in made:
        if v is not leaf and v.requires_grad:
            v.retain_grad()
    if any(leaf.requires_grad for leaf, _ in made) and out.requires_grad:
        (out * w).sum().backward()
    _run.view_grads = [v.grad.numpy() if v.grad is not None else None for _, v in made]
    return (out.detach().numpy(),
            [leaf.grad.numpy() if leaf.grad is not None else None for leaf, _ in made])


def _dtype(operands):
    return str(np.result_type(*[a.dtype for a, _ in operands]))


def _close_bound(got, want, mag, dtype, coef=None):
    """|got - want| <= rtol |want| + atol + coef mag, mag the sum of the absolute terms that
    make each element (coef 64 eps by default; rtol, atol those of _close); nan where want is
    nan."""
    assert got.shape == want.shape, f"shape {got.shape} != {want.shape}"
    rtol, atol = (2e-5, 1e-6) if dtype == "float32" else (1e-10, 1e-12)
    coef = 64 * np.finfo(dtype).eps if coef is None else coef
    nan = np.isnan(want)
    assert np.array_equal(nan, np.isnan(got)), "nan in different places"
    with np.errstate(invalid="ignore"):
        tol = rtol * np.abs(want) + atol + coef * mag
        bad = ~(np.abs(got - want) <= tol) & ~(got == want)  # (inf == inf)
    assert not np.any(bad & ~nan), (f"{int(np.sum(bad))} elements differ; worst "
                                    f"{np.max(np.abs(got - want)[bad])} vs bound "
                                    f"{tol[bad].min()}\n got {got[bad][:5]}\nwant {want[bad][:5]}")


@contextlib.contextmanager
def _torch_one_thread():
    """PyTorch's intra-op threads on these tiny tensors cost 50x the work on a busy machine
    (35 ms instead of 0.7 ms for a small conv and its backward)."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(n)


def _compare(fn, operands, consts=(), grads=True, bilinear=False, value_mag=None,
             grad_mag=None):
    """pynet against torch: values, and the gradients of every operand's leaf. The leaf of
    an expanded operand sums the gradients of its copies: each copy's share is held to
    _close's relative tolerance, so the sum to that times the sum of their magnitudes.
    value_mag: a magnitude of the terms that make each value, where they cancel (norms of
    constant groups), bounding the values' rounding (8 eps value_mag) instead of _close;
    grad_mag likewise for the gradients (a norm's backward cancels terms of that size)."""
    got, ggot = _run(pynet, fn, operands, consts)
    with _torch_one_thread():
        want, gwant = _run(torch, fn, operands, consts)
    vgrads = _run.view_grads
    dtype = _dtype(operands)
    if value_mag is not None:
        _close_bound(got, want, np.full(want.shape, float(value_mag)), dtype,
                     coef=8 * np.finfo(dtype).eps)
        bilinear_values = False
    else:
        bilinear_values = bilinear
    if bilinear:
        absops = [(np.abs(a).astype(np.float64), lay) for a, lay in operands]
        with _torch_one_thread():
            mag, gmag = _run(torch, fn, absops, consts, abs_weights=True)
        if bilinear_values:
            _close_bound(got, want, mag, dtype)
    elif value_mag is None:
        _close(got, want, dtype)
    if grads:
        for i, (g, h) in enumerate(zip(ggot, gwant)):
            assert (g is None) == (h is None), f"operand {i}: gradient {g} vs {h}"
            if g is None:
                continue
            if bilinear:
                _close_bound(g, h, gmag[i], dtype)
            elif operands[i][1] == "expanded" and vgrads[i] is not None and g.ndim >= 1:
                mag = np.abs(vgrads[i]).sum(axis=0, keepdims=True)
                _close_bound(g, h, mag, dtype, coef=2e-5 if dtype == "float32" else 1e-10)
            elif grad_mag is not None:
                _close_bound(g, h, np.full(h.shape, float(grad_mag)), dtype,
                             coef=8 * np.finfo(dtype).eps)
            else:
                _close(g, h, dtype)


def _finite(shape):
    """An operand of a fixed shape with finite values (incl. +-0), of any layout."""
    return operand(shape=shape, specials=False)


@st.composite
def _dense(draw, shape):
    """Like _finite, for the large operands of the sums of products: the values come from a
    drawn seed (uniform in [-4, 4], a fifth of them +-0 or +-1) instead of one draw each,
    which would spend most of the run generating them."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    dtype = draw(st.sampled_from(["float32", "float64"]))
    vals = rng.uniform(-4, 4, size=shape)
    pick = rng.random(size=shape) < 0.2
    vals[pick] = rng.choice([0.0, -0.0, 1.0, -1.0], size=int(pick.sum()))
    return np.asarray(vals, dtype=dtype), draw(st.sampled_from(LAYOUTS))


def _weights(data, shape, dtype):
    """Non-negative finite weights of a shape (a NumPy array even when 0-d)."""
    return np.array(np.abs(data.draw(_finite(shape))[0]), dtype=dtype).reshape(shape)


def _same_dtype(op, like):
    return (op[0].astype(like[0].dtype), op[1])


# ---------------------------------------------------------------------------------- indexing
@st.composite
def basic_index(draw, shape):
    """A tuple of ints, slices (positive steps) and None for the leading dims of shape, then
    maybe an Ellipsis and components for some trailing dims."""
    n = len(shape)
    a = draw(st.integers(0, n))                                 # dims [0, a) spelled out
    b = draw(st.integers(a, n)) if draw(st.booleans()) else None  # ..., then dims [b, n)

    def component(s):
        out = [None] if draw(st.integers(0, 5)) == 0 else []
        if s > 0 and draw(st.integers(0, 2)) == 0:
            return out + [draw(st.integers(-s, s - 1))]
        bound = st.one_of(st.none(), st.integers(-6, 6))
        return out + [slice(draw(bound), draw(bound), draw(st.one_of(st.none(),
                                                                     st.integers(1, 3))))]

    idx = [c for d in range(a) for c in component(shape[d])]
    if b is not None:
        idx.append(Ellipsis)
        idx += [c for d in range(b, n) for c in component(shape[d])]
    if draw(st.integers(0, 5)) == 0:
        idx.append(None)
    return tuple(idx)


@SETTINGS
@given(op=operand(), data=st.data())
def test_basic_getitem_matches_torch(op, data):
    _need_torch()
    idx = data.draw(basic_index(op[0].shape))
    _compare(lambda L, x: x[idx], [op])


@st.composite
def advanced_index(draw, shape):
    """A tuple mixing integer-array indices (tensors or lists, negative values too),
    boolean masks (over one dim or several) and slices/ints, as PyTorch accepts them."""
    idx, d = [], 0
    while d < len(shape):
        kind = draw(st.sampled_from(["int_array", "mask", "slice", "int", "stop"]))
        s = shape[d]
        if kind == "stop":
            break
        if kind == "int_array":
            ishape = draw(st.sampled_from([(), (0,), (1,), (2,), (3,), (2, 2)])) \
                if s > 0 else draw(st.sampled_from([(0,)]))
            vals = np.array(draw(st.lists(st.integers(-s, s - 1) if s else st.integers(0, 0),
                                          min_size=int(np.prod(ishape)),
                                          max_size=int(np.prod(ishape)))),
                            dtype=np.int64).reshape(ishape)
            as_list = draw(st.booleans()) and vals.ndim == 1
            idx.append(("list", vals.tolist()) if as_list else ("tensor", vals))
            d += 1
        elif kind == "mask":
            span = draw(st.integers(1, len(shape) - d))
            mshape = shape[d:d + span]
            bits = draw(st.lists(st.booleans(), min_size=int(np.prod(mshape)),
                                 max_size=int(np.prod(mshape))))
            idx.append(("tensor", np.array(bits, dtype=bool).reshape(mshape)))
            d += span
        elif kind == "slice":
            idx.append(("plain", slice(draw(st.one_of(st.none(), st.integers(-4, 4))), None,
                                       draw(st.integers(1, 2)))))
            d += 1
        elif s > 0:
            idx.append(("plain", draw(st.integers(-s, s - 1))))
            d += 1
    if not any(k != "plain" for k, _ in idx):
        return None
    return idx


def _build_index(L, idx):
    return tuple(L.tensor(v) if k == "tensor" else v for k, v in idx)


def _np_index(arr, idx):
    """arr[idx] as PyTorch (and pynet) read it, in NumPy: integers select first, then the
    rest is NumPy's indexing (NumPy counts integers among the advanced indices, which moves
    the broadcast dims to the front when an integer and an array are apart). A 0-d integer
    tensor is an integer to PyTorch."""
    idx = [("plain", int(v)) if k == "tensor" and np.ndim(v) == 0 and
           np.asarray(v).dtype != bool else (k, v) for k, v in idx]
    first = []
    for k, v in idx:
        if k == "plain" and (isinstance(v, int) or v is Ellipsis):
            first.append(v)
        elif v is None:
            continue
        elif k == "tensor" and np.asarray(v).dtype == bool:
            first += [slice(None)] * np.ndim(v)
        else:
            first.append(slice(None))
    rest = tuple(v for k, v in idx if not (k == "plain" and isinstance(v, int)))
    return arr[tuple(first)][rest]


def _np_set(arr, idx, val):
    """A copy of arr with arr[idx] = val in PyTorch's reading (see _np_index)."""
    out = arr.copy()
    pos = _np_index(np.arange(arr.size).reshape(arr.shape), idx)
    out.reshape(-1)[np.asarray(pos).reshape(-1)] = np.broadcast_to(val, np.shape(pos)).reshape(-1)
    return out


def _advanced_index_shape_ok(shape, idx):
    """Whether the index arrays broadcast (NumPy's verdict, PyTorch's rule)."""
    try:
        _np_index(np.empty(shape), idx)
        return True
    except IndexError:
        return False


@SETTINGS
@given(op=operand(), data=st.data())
def test_advanced_getitem_matches_torch(op, data):
    _need_torch()
    idx = data.draw(advanced_index(op[0].shape))
    assume(idx is not None and _advanced_index_shape_ok(op[0].shape, idx))
    _compare(lambda L, x: x[_build_index(L, idx)], [op])


def _unique_positions(shape, idx):
    """Whether the index selects each element at most once (setitem with repeated positions
    writes in an unspecified order in PyTorch)."""
    pos = _np_index(np.arange(int(np.prod(shape))).reshape(shape), idx)
    return len(np.unique(pos)) == np.size(pos)


@SETTINGS
@given(op=operand(specials=False), data=st.data())
def test_setitem_matches_torch(op, data):
    """y = x * 1; y[idx] = v: y's values, and the gradients of x (zero where overwritten) and of
    v (summed over broadcast dims), for basic and advanced indices."""
    _need_torch()
    shape = op[0].shape
    if data.draw(st.booleans()):
        idx = data.draw(advanced_index(shape))
        assume(idx is not None and _advanced_index_shape_ok(shape, idx))
        assume(_unique_positions(shape, idx))
    else:
        idx = [("plain", i) for i in data.draw(basic_index(shape))]
    target_shape = np.shape(_np_index(np.empty(shape), idx))
    k = data.draw(st.integers(0, len(target_shape)))
    vshape = tuple(1 if data.draw(st.booleans()) else s
                   for s in target_shape[len(target_shape) - k:])
    v = _same_dtype(data.draw(operand(shape=vshape)), op)

    def fn(L, x, val):
        y = x * 1
        y[_build_index(L, idx)] = val
        return y

    _compare(fn, [op, v])


@SETTINGS
@given(op=operand(), data=st.data())
def test_masked_fill_and_where_match_torch(op, data):
    _need_torch()
    shape = op[0].shape
    k = data.draw(st.integers(0, len(shape)))
    mshape = tuple(1 if data.draw(st.booleans()) else s for s in shape[len(shape) - k:])
    mask = np.array(data.draw(st.lists(st.booleans(), min_size=int(np.prod(mshape)),
                                       max_size=int(np.prod(mshape)))),
                    dtype=bool).reshape(mshape)
    value = data.draw(st.sampled_from([0.0, -0.0, 2.5, float("nan"), float("inf"),
                                       float("-inf")]))
    _compare(lambda L, x, m: x.masked_fill(m, value), [op], [mask])
    other = _same_dtype(data.draw(operand(shape=mshape)), op)
    _compare(lambda L, x, y, m: L.where(m, x, y), [op, other], [mask])
    _compare(lambda L, x, m: L.where(m, x, value), [op], [mask])


# ---------------------------------------------------------------------------- matmul, linear
@st.composite
def matmul_shapes(draw):
    """Shapes of a @ b for every rank combination 1-4 x 1-4, batch dims broadcasting, sizes
    0-4."""
    ra, rb = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    size = st.integers(0, 4)
    n, k, m = draw(size), draw(size), draw(size)
    batch = [draw(size) for _ in range(max(ra, rb) - 2)] if max(ra, rb) > 2 else []
    sa = (k,) if ra == 1 else tuple(batch[len(batch) - (ra - 2):] if ra > 2 else []) + (n, k)
    sb = (k,) if rb == 1 else tuple(batch[len(batch) - (rb - 2):] if rb > 2 else []) + (k, m)
    # some batch dims of one side become 1 (broadcast)
    sa = tuple(1 if i < len(sa) - 2 and draw(st.booleans()) else s for i, s in enumerate(sa))
    sb = tuple(1 if i < len(sb) - 2 and draw(st.booleans()) else s for i, s in enumerate(sb))
    return sa, sb


@SETTINGS
@given(shapes=matmul_shapes(), data=st.data())
def test_matmul_matches_torch(shapes, data):
    _need_torch()
    a = data.draw(_dense(shapes[0]))
    b = _same_dtype(data.draw(_dense(shapes[1])), a)
    _compare(lambda L, x, y: x @ y, [a, b], bilinear=True)


@SETTINGS
@given(data=st.data())
def test_linear_matches_torch(data):
    _need_torch()
    lead = tuple(data.draw(st.lists(st.integers(0, 3), min_size=0, max_size=2)))
    fin, fout = data.draw(st.integers(0, 4)), data.draw(st.integers(0, 4))
    x = data.draw(_dense(lead + (fin,)))
    w = _same_dtype(data.draw(_dense((fout, fin))), x)
    if data.draw(st.booleans()):
        b = _same_dtype(data.draw(_dense((fout,))), x)
        _compare(lambda L, x, w, b: F(L).linear(x, w, b), [x, w, b], bilinear=True)
    else:
        _compare(lambda L, x, w: F(L).linear(x, w), [x, w], bilinear=True)


# ------------------------------------------------------------------------------ convolution
@st.composite
def conv_case(draw, nd, transposed=False):
    """(input shape, weight shape, bias?, kwargs) of a valid conv{nd}d / conv_transpose{nd}d."""
    groups = draw(st.integers(1, 3))
    cin, cout = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    k = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    dil = tuple(draw(st.integers(1, 2)) for _ in range(nd))
    batch = draw(st.integers(0, 2))
    if transposed:
        pad = tuple(draw(st.integers(0, 2)) for _ in range(nd))
        outpad = tuple(draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dil))
        size = tuple(draw(st.integers(1, 4)) for _ in range(nd))
        out = [(i - 1) * s - 2 * p + d * (kk - 1) + op + 1
               for i, s, p, d, kk, op in zip(size, stride, pad, dil, k, outpad)]
        assume(all(o > 0 for o in out))
        wshape = (cin, cout // groups) + k
        kw = dict(stride=stride, padding=pad, output_padding=outpad, groups=groups,
                  dilation=dil)
    else:
        if draw(st.integers(0, 4)) == 0:
            pad, stride = draw(st.sampled_from(["same", "valid"])), (1,) * nd
        else:
            pad = tuple(draw(st.integers(0, 2)) for _ in range(nd))
        extent = [d * (kk - 1) + 1 for d, kk in zip(dil, k)]
        padn = (0,) * nd if pad in ("same", "valid") else pad
        # PyTorch refuses a 0-size spatial dim (a 0 batch is fine) and a kernel wider than
        # the padded input ('same' pads by the kernel's extent - 1 in total)
        lo = [max(1, e - 2 * p) for e, p in zip(extent, padn)]
        if pad == "same":
            lo = [1] * nd
        size = tuple(draw(st.integers(lo_i, lo_i + 4)) for lo_i in lo)
        wshape = (cout, cin // groups) + k
        kw = dict(stride=stride, padding=pad, dilation=dil, groups=groups)
    bias = draw(st.booleans())
    return (batch, cin) + size, wshape, (cout if bias else None), kw


def _conv_test(data, nd, transposed=False):
    _need_torch()
    xs, ws, bias, kw = data.draw(conv_case(nd, transposed))
    x = data.draw(_dense(xs))
    w = _same_dtype(data.draw(_dense(ws)), x)
    name = f"conv_transpose{nd}d" if transposed else f"conv{nd}d"
    if bias is None:
        _compare(lambda L, x, w: getattr(F(L), name)(x, w, **kw), [x, w], bilinear=True)
    else:
        b = _same_dtype(data.draw(_dense((bias,))), x)
        _compare(lambda L, x, w, b: getattr(F(L), name)(x, w, b, **kw), [x, w, b],
                 bilinear=True)


@SETTINGS
@given(data=st.data())
def test_conv1d_matches_torch(data):
    _conv_test(data, 1)


@SETTINGS
@given(data=st.data())
def test_conv2d_matches_torch(data):
    _conv_test(data, 2)


@SETTINGS
@given(data=st.data())
def test_conv_transpose2d_matches_torch(data):
    _conv_test(data, 2, transposed=True)


@SETTINGS
@given(data=st.data())
def test_conv_transpose1d_matches_torch(data):
    _conv_test(data, 1, transposed=True)


# ---------------------------------------------------------------------------------- pooling
@st.composite
def pool_case(draw, nd, kind):
    k = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    pad = tuple(draw(st.integers(0, kk // 2)) for kk in k)
    dil = tuple(draw(st.integers(1, 2)) for _ in range(nd)) if kind == "max" else (1,) * nd
    ceil = draw(st.booleans())
    extent = [d * (kk - 1) + 1 for d, kk in zip(dil, k)]
    size = tuple(draw(st.integers(max(1, e - 2 * p), max(1, e - 2 * p) + 4))
                 for e, p in zip(extent, pad))
    if kind == "max":  # PyTorch's gradient is wrong there (README, "Differences")
        assume(not any(_window_all_padding(*a, ceil) for a in zip(size, k, stride, pad, dil)))
    lead = (draw(st.integers(0, 2)), draw(st.integers(1, 2)))
    if draw(st.booleans()):
        lead = lead[1:]  # unbatched
    kw = dict(kernel_size=k, stride=stride, padding=pad, ceil_mode=ceil)
    if kind == "max":
        kw["dilation"] = dil
    else:
        kw["count_include_pad"] = draw(st.booleans())
    return lead + size, kw


def _window_all_padding(n, k, s, p, d, ceil):
    """Whether some window of a max pooling along one dim has all its taps in the padding."""
    span = n + 2 * p - d * (k - 1) - 1 + ((s - 1) if ceil else 0)
    out = span // s + 1
    if ceil and (out - 1) * s >= n + p:
        out -= 1
    return any(all(not 0 <= o * s - p + i * d < n for i in range(k)) for o in range(out))


def _pool_test(data, nd, kind):
    _need_torch()
    shape, kw = data.draw(pool_case(nd, kind))
    x = data.draw(operand(shape=shape))
    name = f"{kind}_pool{nd}d"
    _compare(lambda L, x: getattr(F(L), name)(x, **kw), [x])


@SETTINGS
@given(data=st.data())
def test_max_pool1d_matches_torch(data):
    _pool_test(data, 1, "max")


@SETTINGS
@given(data=st.data())
def test_max_pool2d_matches_torch(data):
    _pool_test(data, 2, "max")


@SETTINGS
@given(data=st.data())
def test_avg_pool1d_matches_torch(data):
    _pool_test(data, 1, "avg")


@SETTINGS
@given(data=st.data())
def test_avg_pool2d_matches_torch(data):
    _pool_test(data, 2, "avg")


@SETTINGS
@given(data=st.data())
def test_adaptive_pools_match_torch(data):
    _need_torch()
    nd = data.draw(st.integers(1, 2))
    shape = (data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2))) + \
        tuple(data.draw(st.integers(1, 6)) for _ in range(nd))
    out = tuple(data.draw(st.integers(1, 4)) for _ in range(nd))
    x = data.draw(operand(shape=shape))
    for kind in ("avg", "max"):
        name = f"adaptive_{kind}_pool{nd}d"
        _compare(lambda L, x: getattr(F(L), name)(x, out), [x])


# ---------------------------------------------------------------------------- normalisation
def _norm_values(data, shape):
    return data.draw(_finite(shape))


def _groups_vary(x, groups_first):
    """False when some normalising group is constant up to rounding: there the gradient is
    rounding noise times 1 / sqrt(eps), and PyTorch's and pynet's roundings differ (values
    are still compared). groups_first: x's values as (groups, members)."""
    vals = groups_first.astype(np.float64)
    if vals.size == 0:
        return True
    spread = vals.max(axis=1) - vals.min(axis=1)
    return not np.any(spread <= 1e-5 * (np.abs(vals).max() + 1e-30))


def _view_values(x):
    return _make(pynet, *x)[1].numpy()


def _norm_grad_mag(groups, wb, eps, var=None):
    """The size of the terms a norm's backward cancels: n max(1, |w|) (1 / sqrt(var + eps) + 1)
    for groups of n values ((groups, n) array; or the running variances var in eval mode)."""
    g = groups.astype(np.float64)
    if var is None:
        var = g.var(axis=1) if g.size else np.ones(1)
    big = max([1.0] + [float(np.abs(a).max(initial=0)) for a, _ in wb[:1]])
    return 4 * max(g.shape[1], 1) * big * (1 / np.sqrt(np.min(var) + eps) + 1)


def _norm_value_mag(x, wb, eps, groups, var=None):
    """The terms' size in a normalised value (x - mean) / sqrt(var + eps) w + b."""
    big = [float(np.abs(a).max(initial=0)) for a, _ in wb]
    g = groups.astype(np.float64)
    if var is None:
        var = g.var(axis=1) if g.size else np.ones(1)
    return (np.abs(x[0]).max(initial=0) / np.sqrt(np.min(var) + eps) * max([1.0] + big[:1])
            + (big[1] if len(big) > 1 else 0))


@SETTINGS
@given(data=st.data())
def test_batch_norm_matches_torch(data):
    """Training (batch statistics, running stats updated) and evaluation (running stats),
    with and without the affine parameters."""
    _need_torch()
    c = data.draw(st.integers(1, 3))
    shape = (data.draw(st.integers(1, 3)), c) + tuple(data.draw(
        st.lists(st.integers(1, 3), min_size=0, max_size=2)))
    training = data.draw(st.booleans())
    assume(not training or int(np.prod(shape)) // c > 1)
    x = _norm_values(data, shape)
    rm = np.array(data.draw(st.lists(st.floats(-2, 2), min_size=c, max_size=c)), x[0].dtype)
    rv = np.array(data.draw(st.lists(st.floats(0.1, 3), min_size=c, max_size=c)), x[0].dtype)
    momentum = data.draw(st.sampled_from([0.1, 0.5, 1.0]))
    affine = data.draw(st.booleans())
    stats = {}

    def fn(L, x, *wb):
        m, v = L.tensor(rm), L.tensor(rv)
        # PyTorch's backward goes wrong on some strides (a (1, 2, 1, 2) view of a
        # (2, 1, 2, 1) tensor gets its gradient in the leaf's order; in eval mode a weight
        # w[::2] is read as if contiguous): it gets contiguous copies, same values and the
        # same gradients for the leaves
        if L is torch:
            x, wb = x.contiguous(), [t.contiguous() for t in wb]
        out = F(L).batch_norm(x, m, v, *wb, training=training, momentum=momentum, eps=1e-3)
        stats[L.__name__] = (m.numpy(), v.numpy())
        return out

    ops = [x]
    if affine:
        ops += [_same_dtype(data.draw(_finite((c,))), x) for _ in range(2)]
    groups = np.moveaxis(_view_values(x), 1, 0).reshape(c, -1)
    grads = _groups_vary(x, groups) if training else True
    var = None if training else rv
    _compare(fn, ops, grads=grads, value_mag=_norm_value_mag(x, ops[1:], 1e-3, groups, var),
             grad_mag=_norm_grad_mag(groups, ops[1:], 1e-3, var))
    for a, b in zip(stats["pynet"], stats["torch"]):
        _close(a, b, str(x[0].dtype))


@SETTINGS
@given(data=st.data())
def test_layer_norm_matches_torch(data):
    _need_torch()
    shape = tuple(data.draw(st.lists(st.integers(1, 4), min_size=1, max_size=3)))
    k = data.draw(st.integers(1, len(shape)))
    norm_shape = shape[len(shape) - k:]
    x = _norm_values(data, shape)
    groups = _view_values(x).reshape(-1, int(np.prod(norm_shape)))
    grads = _groups_vary(x, groups)
    if data.draw(st.booleans()):
        w, b = [_same_dtype(data.draw(_finite(norm_shape)), x) for _ in range(2)]
        _compare(lambda L, x, w, b: F(L).layer_norm(x, norm_shape, w, b, eps=1e-3), [x, w, b],
                 grads=grads, value_mag=_norm_value_mag(x, [w, b], 1e-3, groups),
                 grad_mag=_norm_grad_mag(groups, [w, b], 1e-3))
    else:
        _compare(lambda L, x: F(L).layer_norm(x, norm_shape, eps=1e-3), [x], grads=grads,
                 value_mag=_norm_value_mag(x, [], 1e-3, groups),
                 grad_mag=_norm_grad_mag(groups, [], 1e-3))


@SETTINGS
@given(data=st.data())
def test_group_norm_matches_torch(data):
    _need_torch()
    groups = data.draw(st.integers(1, 3))
    c = groups * data.draw(st.integers(1, 2))
    shape = (data.draw(st.integers(1, 2)), c) + tuple(data.draw(
        st.lists(st.integers(1, 3), min_size=0, max_size=2)))
    # PyTorch's ValueError (test_errors) where batch * channels per group * positions is 1
    assume(shape[0] * c // groups * int(np.prod(shape[2:])) > 1)
    x = _norm_values(data, shape)
    members = _view_values(x).reshape(shape[0] * groups, -1)
    grads = _groups_vary(x, members)
    if data.draw(st.booleans()):
        w, b = [_same_dtype(data.draw(_finite((c,))), x) for _ in range(2)]
        _compare(lambda L, x, w, b: F(L).group_norm(x, groups, w, b, eps=1e-3), [x, w, b],
                 grads=grads, value_mag=_norm_value_mag(x, [w, b], 1e-3, members),
                 grad_mag=_norm_grad_mag(members, [w, b], 1e-3))
    else:
        _compare(lambda L, x: F(L).group_norm(x, groups, eps=1e-3), [x], grads=grads,
                 value_mag=_norm_value_mag(x, [], 1e-3, members),
                 grad_mag=_norm_grad_mag(members, [], 1e-3))


# ----------------------------------------------------------------------------------- losses
REDUCTIONS = st.sampled_from(["none", "mean", "sum"])


@st.composite
def same_shape_pair(draw, specials=True):
    a = draw(operand(specials=specials))
    b = draw(operand(shape=a[0].shape, specials=specials))
    return a, _same_dtype(b, a)


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss"])
@SETTINGS
@given(pair=same_shape_pair(), reduction=REDUCTIONS, param=st.sampled_from([0.0, 0.5, 1.0, 2.0]))
def test_regression_losses_match_torch(name, pair, reduction, param):
    """Gradients with respect to both the input and the target."""
    _need_torch()
    kw = {"smooth_l1_loss": {"beta": param}, "huber_loss": {"delta": param or 1.0}}.get(name, {})
    _compare(lambda L, x, y: getattr(F(L), name)(x, y, reduction=reduction, **kw), list(pair))


@st.composite
def probabilities(draw, shape, dtype, closed=True):
    """Values in [0, 1] (with 0 and 1 themselves when closed) of a shape."""
    n = int(np.prod(shape))
    ends = [0.0, 1.0, 0.5] if closed else [0.5]
    vals = draw(st.lists(st.one_of(st.sampled_from(ends), st.floats(1e-3, 1 - 1e-3)),
                         min_size=n, max_size=n))
    return np.array(vals, dtype=dtype).reshape(shape)


@SETTINGS
@given(data=st.data(), reduction=REDUCTIONS)
def test_binary_cross_entropy_matches_torch(data, reduction):
    """Input probabilities including 0 and 1 (the logs are clamped at -100), targets in
    [0, 1], an optional weight broadcast over the input."""
    _need_torch()
    shape = tuple(data.draw(st.lists(st.integers(0, 3), min_size=0, max_size=3)))
    dtype = data.draw(st.sampled_from(["float32", "float64"]))
    p = (data.draw(probabilities(shape, dtype)), data.draw(st.sampled_from(
        ["contiguous", "transposed", "offset"])))
    y = data.draw(probabilities(shape, dtype))
    consts = [y]
    if data.draw(st.booleans()):
        consts.append(_weights(data, shape[len(shape) - 1:], dtype))
        _compare(lambda L, p, y, w: F(L).binary_cross_entropy(p, y, w, reduction=reduction),
                 [p], consts)
    else:
        _compare(lambda L, p, y: F(L).binary_cross_entropy(p, y, reduction=reduction), [p],
                 consts)


@SETTINGS
@given(pair=same_shape_pair(), data=st.data(), reduction=REDUCTIONS)
def test_binary_cross_entropy_with_logits_matches_torch(pair, data, reduction):
    """Logits with nan/inf/0, targets in [0, 1] (gradients to both), weight and pos_weight."""
    _need_torch()
    x = pair[0]
    shape, dtype = x[0].shape, x[0].dtype
    y = (data.draw(probabilities(shape, dtype)), data.draw(st.sampled_from(LAYOUTS_NO_EXPAND)))
    last = shape[len(shape) - 1:]
    kw_arrays = {}
    if data.draw(st.booleans()):
        kw_arrays["weight"] = _weights(data, last, dtype)
    if data.draw(st.booleans()):
        kw_arrays["pos_weight"] = _weights(data, last, dtype)
    names = sorted(kw_arrays)

    def fn(L, x, y, *ws):
        return F(L).binary_cross_entropy_with_logits(x, y, reduction=reduction,
                                                     **dict(zip(names, ws)))

    _compare(fn, [x, y], [kw_arrays[k] for k in names])


LAYOUTS_NO_EXPAND = ["contiguous", "transposed", "stepped", "offset"]


@st.composite
def classification_case(draw):
    """(logits shape, class count, target shape) for (C,), (N, C) and (N, C, d1, ...)."""
    c = draw(st.integers(1, 4))
    kind = draw(st.sampled_from(["single", "batch", "batch", "spatial"]))
    if kind == "single":
        return (c,), c, ()
    n = draw(st.integers(0, 3))
    if kind == "batch":
        return (n, c), c, (n,)
    extra = tuple(draw(st.lists(st.integers(0, 3), min_size=1, max_size=2)))
    return (n, c) + extra, c, (n,) + extra


def _class_targets(draw, tshape, c, ignore_index):
    n = int(np.prod(tshape))
    choices = st.integers(0, c - 1)
    if ignore_index is not None:
        choices = st.one_of(choices, st.just(ignore_index))
    return np.array(draw(st.lists(choices, min_size=n, max_size=n)), dtype=np.int64).reshape(tshape)


def _zero_weight_mean(reduction, target, weight, ignore):
    """'mean' over targets that are not all ignored but whose weights sum to 0: the loss is
    0 / 0 = NaN in both libraries; pynet's gradient is 0 there, as for all-ignored targets
    (README, "Differences"), PyTorch's NaN."""
    kept = target[target != ignore] if ignore is not None else target.ravel()
    return (reduction == "mean" and weight is not None and kept.size > 0
            and float(np.sum(weight[kept])) == 0.0)


@SETTINGS
@given(data=st.data(), reduction=REDUCTIONS)
def test_nll_loss_matches_torch(data, reduction):
    _need_torch()
    shape, c, tshape = data.draw(classification_case())
    x = data.draw(operand(shape=shape))
    ignore = data.draw(st.sampled_from([None, -100, 0, c - 1]))
    target = _class_targets(data.draw, tshape, c, ignore)
    kw = {} if ignore is None else {"ignore_index": ignore}
    # PyTorch's backward of a K-dim nll_loss refuses a non-contiguous input ("grad_input must
    # be contiguous", a PyTorch bug): it gets a contiguous copy (same values, same gradient)
    fix = (lambda L, x: x.contiguous() if L is torch else x)
    if data.draw(st.booleans()):
        wt = _weights(data, (c,), x[0].dtype)
        _compare(lambda L, x, t, w: F(L).nll_loss(fix(L, x), t, w, reduction=reduction,
                                                  **kw), [x], [target, wt],
                 grads=not _zero_weight_mean(reduction, target, wt, ignore))
    else:
        _compare(lambda L, x, t: F(L).nll_loss(fix(L, x), t, reduction=reduction, **kw), [x],
                 [target])


@SETTINGS
@given(data=st.data(), reduction=REDUCTIONS)
def test_cross_entropy_matches_torch(data, reduction):
    """Class-index targets (ignore_index, weights) and class-probability targets (gradient to
    them too), each with label smoothing."""
    _need_torch()
    shape, c, tshape = data.draw(classification_case())
    x = data.draw(operand(shape=shape, specials=data.draw(st.booleans())))
    smoothing = data.draw(st.sampled_from([0.0, 0.0, 0.1, 0.5, 1.0]))
    weight = _weights(data, (c,), x[0].dtype) if data.draw(st.booleans()) else None
    wc = [] if weight is None else [weight]
    if data.draw(st.booleans()):
        ignore = data.draw(st.sampled_from([None, -100, 0, c - 1]))
        target = _class_targets(data.draw, tshape, c, ignore)
        kw = dict(reduction=reduction, label_smoothing=smoothing)
        if ignore is not None:
            kw["ignore_index"] = ignore
        _compare(lambda L, x, t, *w: F(L).cross_entropy(x, t, *w, **kw), [x], [target] + wc,
                 grads=not _zero_weight_mean(reduction, target, weight, ignore))
    else:
        probs = (data.draw(probabilities(shape, x[0].dtype)),
                 data.draw(st.sampled_from(LAYOUTS_NO_EXPAND)))
        kw = dict(reduction=reduction, label_smoothing=smoothing)
        _compare(lambda L, x, p, *w: F(L).cross_entropy(x, p, *w, **kw), [x, probs], wc)


@SETTINGS
@given(data=st.data(), reduction=st.sampled_from(["none", "mean", "sum", "batchmean"]),
       log_target=st.booleans())
def test_kl_div_matches_torch(data, reduction, log_target):
    """Input log-probabilities with nan/inf; targets probabilities (0 included: 0 log 0 = 0)
    or log-probabilities (-inf included); gradients to both."""
    _need_torch()
    x = data.draw(operand(ndim=data.draw(st.integers(1, 3))))
    shape, dtype = x[0].shape, x[0].dtype
    if log_target:
        t = data.draw(operand(shape=shape))
        t = _same_dtype(t, x)
    else:
        t = (data.draw(probabilities(shape, dtype)), data.draw(st.sampled_from(LAYOUTS_NO_EXPAND)))
    _compare(lambda L, x, t: F(L).kl_div(x, t, reduction=reduction, log_target=log_target),
             [x, t])


# ----------------------------------------------------------------- without PyTorch: NumPy
@SETTINGS
@given(op=operand(), data=st.data())
def test_getitem_and_setitem_match_numpy_without_torch(op, data):
    """Basic and advanced indexing read and write the elements NumPy's indexing does, over
    every layout (runs without PyTorch)."""
    arr, layout = op
    x = _make(pynet, arr, layout)[1]
    ref = x.numpy().copy()  # what the view holds (an expanded view repeats its first row)
    if data.draw(st.booleans()):
        idx = data.draw(advanced_index(arr.shape))
        assume(idx is not None and _advanced_index_shape_ok(arr.shape, idx))
    else:
        idx = [("plain", i) for i in data.draw(basic_index(arr.shape))]
    got = x[_build_index(pynet, idx)]
    want = _np_index(ref, idx)
    _close(got.numpy(), np.asarray(want), str(arr.dtype))
    if not all(k == "plain" for k, _ in idx):
        assume(_unique_positions(arr.shape, idx))
    y = x.clone()
    val = np.arange(np.asarray(want).size, dtype=arr.dtype).reshape(np.shape(want)) + 100
    y[_build_index(pynet, idx)] = pynet.tensor(val)
    ref = _np_set(ref, idx, val)
    _close(y.numpy(), ref, str(arr.dtype))


@SETTINGS
@given(shapes=matmul_shapes(), data=st.data())
def test_matmul_matches_numpy_without_torch(shapes, data):
    a, la = data.draw(_dense(shapes[0]))
    b, lb = data.draw(_dense(shapes[1]))
    b = b.astype(a.dtype)
    got = (_make(pynet, a, la)[1] @ _make(pynet, b, lb)[1]).numpy()
    va, vb = _make(pynet, a, la)[1].numpy(), _make(pynet, b, lb)[1].numpy()
    want = np.matmul(va.astype(np.float64), vb.astype(np.float64))
    mag = np.matmul(np.abs(va).astype(np.float64), np.abs(vb).astype(np.float64))
    _close_bound(got, want.astype(a.dtype), mag, str(a.dtype))


def _conv2d_numpy(x, w, b, stride, padding, dilation, groups):
    """The definition: y[n, o, p, q] = b[o] + sum over the group's channels c and taps (i, j)
    of x_padded[n, c, p sh + i dh, q sw + j dw] w[o, c, i, j], in float64."""
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    x = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    n, c, hp, wp = x.shape
    o, cg, kh, kw = w.shape
    ho, wo = (hp - dh * (kh - 1) - 1) // sh + 1, (wp - dw * (kw - 1) - 1) // sw + 1
    y = np.zeros((n, o, ho, wo))
    og = o // groups
    for g in range(groups):
        xs = x[:, g * cg:(g + 1) * cg]
        for i in range(kh):
            for j in range(kw):
                patch = xs[:, :, i * dh:i * dh + sh * (ho - 1) + 1:sh,
                           j * dw:j * dw + sw * (wo - 1) + 1:sw]
                y[:, g * og:(g + 1) * og] += np.einsum("nchw,oc->nohw", patch,
                                                       w[g * og:(g + 1) * og, :, i, j])
    return y + (0 if b is None else b.reshape(1, -1, 1, 1))


@SETTINGS
@given(data=st.data())
def test_conv2d_matches_numpy_without_torch(data):
    """conv2d's values against the definition (runs without PyTorch)."""
    xs, ws, bias, kw = data.draw(conv_case(2))
    assume(kw["padding"] not in ("same", "valid"))
    x, lx = data.draw(_dense(xs))
    w, lw = data.draw(_dense(ws))
    w = w.astype(x.dtype)
    b = None if bias is None else data.draw(_dense((bias,)))[0].astype(x.dtype)
    xv, wv = _make(pynet, x, lx)[1], _make(pynet, w, lw)[1]
    got = F(pynet).conv2d(xv, wv, None if b is None else pynet.tensor(b), **kw).numpy()
    args = (kw["stride"], kw["padding"], kw["dilation"], kw["groups"])
    want = _conv2d_numpy(xv.numpy(), wv.numpy(), b, *args)
    mag = _conv2d_numpy(np.abs(xv.numpy()), np.abs(wv.numpy()),
                        None if b is None else np.abs(b), *args)
    _close_bound(got, want.astype(x.dtype), mag, str(x.dtype))
