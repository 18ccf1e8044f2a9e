"""Views (reshape, transpose, expand, narrow, split ...), memory sharing, cat/stack, and
indexing / index assignment: pynet vs NumPy (always) and torch (when importable)."""
import numpy as np
import pytest

import pynet
from conftest import P, T, check, pdt, rand_np, to_np, torch

HAS_TORCH = torch is not None


def base(shape=(2, 3, 4), dtype="float32"):
    """arange data (distinct values), so any mix-up of elements shows."""
    n = int(np.prod(shape))
    return np.arange(n).astype(dtype).reshape(shape)


def ref_check(pn_out, np_out, t_out=None):
    check(pn_out, np_out)
    if t_out is not None:
        check(pn_out, t_out)


def pn_strides(t):
    return tuple(t.stride())


def np_strides(a):
    return tuple(s // a.itemsize for s in a.strides)


# ---------------------------------------------------------------------------------------------
# view / reshape
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("new_shape", [(6, 4), (24,), (-1,), (4, -1), (2, 3, 2, 2), (1, 24, 1),
                                       (-1, 2, 3), (3, 8)], ids=str)
@pytest.mark.parametrize("fname", ["view", "reshape"])
def test_view_reshape_contiguous(fname, new_shape):
    a = base()
    x = P(a)
    out = getattr(x, fname)(*new_shape)
    ref = a.reshape(new_shape)
    check(out, ref)
    check(getattr(x, fname)(new_shape), ref)      # tuple form
    assert pn_strides(out) == np_strides(ref)
    # a view of a contiguous tensor shares memory: writing through it changes the base
    out.view(-1)[5] = -7.0
    assert to_np(x).reshape(-1)[5] == -7.0
    if HAS_TORCH:
        assert pn_strides(out) == getattr(T(a), fname)(*new_shape).stride()


def test_view_zero_dim_and_empty():
    x = P(np.array(3.5, dtype=np.float32))
    check(x.view(1), np.array([3.5], dtype=np.float32))
    check(x.reshape(1, 1), np.array([[3.5]], dtype=np.float32))
    check(P(np.array([2.0], dtype=np.float32)).view(()), np.array(2.0, dtype=np.float32))
    e = P(np.zeros((0, 4), dtype=np.float32))
    check(e.reshape(2, 0, 8), np.zeros((2, 0, 8), np.float32))
    check(e.view(-1, 2), np.zeros((0, 2), np.float32))


@pytest.mark.parametrize("make", ["transpose", "stepped", "permute", "expand"])
def test_reshape_noncontiguous_copies(make):
    a = base((4, 6))
    x = P(a)
    if make == "transpose":
        v, nv = x.t(), a.T
    elif make == "stepped":
        v, nv = x[:, ::4], a[:, ::4]
    elif make == "permute":
        v, nv = x.reshape(2, 2, 6).permute(2, 0, 1), a.reshape(2, 2, 6).transpose(2, 0, 1)
    else:
        v, nv = x[:1].expand(3, 6), np.broadcast_to(a[:1], (3, 6))
    out = v.reshape(-1)
    check(out, nv.reshape(-1))       # values in logical (row-major) order, not memory order
    check(v.flatten(), nv.reshape(-1))
    check(v.contiguous().view(-1), nv.reshape(-1))
    assert out.is_contiguous()
    before = to_np(x).copy()
    out[0] = 1000.0  # a copy: the base must not change
    np.testing.assert_array_equal(to_np(x), before)


@pytest.mark.parametrize("make", ["step2_rows", "step2", "T", "col", "expand", "slice_rows"])
def test_reshape_view_iff_torch_view(make, need_torch):
    """reshape returns a view exactly when torch's does (e.g. x[:, ::2] flattens to stride 2)."""
    a = base((4, 6))
    f = {"step2_rows": lambda t: t[::2], "step2": lambda t: t[:, ::2], "T": lambda t: t.t(),
         "col": lambda t: t[:, 1:2], "expand": lambda t: t[:1].expand(3, 6),
         "slice_rows": lambda t: t[1:3]}[make]
    x, tx = P(a), T(a)
    out, tout = f(x).reshape(-1), f(tx).reshape(-1)
    check(out, tout)
    t_is_view = tout.data_ptr() >= tx.data_ptr() and tout.data_ptr() < tx.data_ptr() + 96
    out[0] = 1000.0
    tout[0] = 1000.0
    check(x, tx)
    assert (to_np(x) != a).any() == t_is_view


def test_reshape_of_compatible_noncontiguous_is_view(need_torch):
    """reshape of a transposed tensor back to splits of the same dims can stay a view."""
    a = base((2, 3, 4))
    x = P(a).permute(1, 0, 2)     # (3, 2, 4) strides (4, 12, 1)
    v = x.reshape(3, 2, 2, 2)
    tv = T(a).permute(1, 0, 2).reshape(3, 2, 2, 2)
    check(v, tv)
    assert pn_strides(v) == tv.stride()


# ---------------------------------------------------------------------------------------------
# transpose / permute / T / t / mT
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dims", [(0, 1), (0, 2), (1, 2), (-1, 0), (2, 2), (-1, -2)], ids=str)
def test_transpose(dims):
    a = base()
    out = P(a).transpose(*dims)
    ref = np.swapaxes(a, *dims)
    check(out, ref)
    assert pn_strides(out) == np_strides(ref)
    check(pynet.transpose(P(a), *dims), ref)


@pytest.mark.parametrize("perm", [(0, 1, 2), (2, 0, 1), (1, 2, 0), (2, 1, 0), (-1, 0, 1)], ids=str)
def test_permute(perm):
    a = base()
    ref = np.transpose(a, perm)
    out = P(a).permute(*perm)
    check(out, ref)
    assert pn_strides(out) == np_strides(ref)
    check(P(a).permute(perm), ref)
    assert out.is_contiguous() == ref.flags["C_CONTIGUOUS"]


def test_T_t_mT():
    a = base((3, 4))
    check(P(a).T, a.T)
    check(P(a).t(), a.T)
    check(P(a).mT, a.T)
    check(pynet.t(P(a)), a.T)
    v = base((4,))
    check(P(v).t(), v)
    check(P(v).T, v)
    b = base((2, 3, 4))
    check(P(b).mT, np.swapaxes(b, -1, -2))


# ---------------------------------------------------------------------------------------------
# squeeze / unsqueeze / expand / flatten / narrow / select
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("args", [(), (0,), (2,), (-1,), (1,), (-4,)], ids=str)
def test_squeeze(args):
    a = base((1, 3, 1, 2))
    ref = np.squeeze(a, axis=args[0]) if args and a.shape[args[0]] == 1 else (
        a if args else np.squeeze(a))
    out = P(a).squeeze(*args)
    check(out, ref)
    if HAS_TORCH:
        check(out, T(a).squeeze(*args))


def test_squeeze_tuple_dims(need_torch):
    a = base((1, 3, 1, 2))
    check(P(a).squeeze((0, 2)), T(a).squeeze((0, 2)))
    check(P(a).squeeze((0, 1)), T(a).squeeze((0, 1)))


@pytest.mark.parametrize("dim", [0, 1, 2, 3, -1, -2, -4])
def test_unsqueeze(dim):
    a = base()
    out = P(a).unsqueeze(dim)
    ref = np.expand_dims(a, dim)
    check(out, ref)
    if HAS_TORCH:
        assert pn_strides(out) == T(a).unsqueeze(dim).stride()
    check(P(np.array(5.0, np.float32)).unsqueeze(0), np.array([5.0], np.float32))


@pytest.mark.parametrize("src,dst", [((3, 1), (3, 4)), ((1,), (5,)), ((3, 1), (2, 3, 4)),
                                     ((3, 1), (-1, 4)), ((3, 1), (3, 1)), ((1, 3), (0, 3)),
                                     ((), (2, 2)), ((3, 1), (2, -1, 5))], ids=str)
def test_expand(src, dst):
    a = rand_np(src, "float32")
    out = P(a).expand(*dst)
    target = tuple(s if d == -1 else d for s, d in zip((None,) * (len(dst) - len(src)) + src, dst))
    ref = np.broadcast_to(a, target)
    check(out, ref)
    check(P(a).expand(dst), ref)
    if HAS_TORCH:
        assert pn_strides(out) == T(a).expand(*dst).stride()


def test_expand_shares_memory():
    a = rand_np((3, 1), "float32")
    x = P(a)
    e = x.expand(3, 4)
    x[1, 0] = 42.0
    assert np.all(to_np(e)[1] == 42.0)
    check(e.sum(1), np.broadcast_to(to_np(x), (3, 4)).sum(1))


@pytest.mark.parametrize("se", [(0, -1), (1, 2), (0, 1), (-2, -1), (2, 2), (1, -1)], ids=str)
def test_flatten(se):
    a = base((2, 3, 4))
    s, e = se
    ss, ee = s % 3, e % 3
    ref = a.reshape(a.shape[:ss] + (-1,) + a.shape[ee + 1:])
    check(P(a).flatten(s, e), ref)
    check(pynet.flatten(P(a), s, e), ref)
    check(P(np.array(3.0, np.float32)).flatten(), np.array([3.0], np.float32))


@pytest.mark.parametrize("dim,start,length", [(0, 0, 1), (1, 1, 2), (2, 0, 4), (-1, 3, 1),
                                              (1, 3, 0), (0, -1, 1), (2, -3, 2)])
def test_narrow(dim, start, length):
    a = base()
    x = P(a)
    out = x.narrow(dim, start, length)
    st = start % a.shape[dim]
    sl = [slice(None)] * 3
    sl[dim] = slice(st, st + length)
    ref = a[tuple(sl)]
    check(out, ref)
    if HAS_TORCH:
        check(out, T(a).narrow(dim, start, length))
    if out.numel():
        out.fill_(-1.0)
        expected = a.copy()
        expected[tuple(sl)] = -1.0
        check(x, expected)


@pytest.mark.parametrize("dim,index", [(0, 0), (0, -1), (1, 2), (-1, 3), (2, -4)])
def test_select(dim, index):
    a = base()
    x = P(a)
    out = x.select(dim, index)
    ref = np.take(a, index, axis=dim)
    check(out, ref)
    assert pn_strides(out) == np_strides(np.moveaxis(a, dim, 0)[index])
    out.fill_(99.0)
    expected = a.copy()
    sl = [slice(None)] * 3
    sl[dim] = index
    expected[tuple(sl)] = 99.0
    check(x, expected)


# ---------------------------------------------------------------------------------------------
# contiguous / strides / memory sharing
# ---------------------------------------------------------------------------------------------
def test_contiguous_and_strides():
    a = base((2, 3, 4))
    x = P(a)
    assert x.is_contiguous()
    assert x.contiguous() is x
    assert pn_strides(x) == np_strides(a)
    assert x.stride(0) == np_strides(a)[0] and x.stride(-1) == 1
    t = x.transpose(0, 2)
    assert not t.is_contiguous()
    c = t.contiguous()
    assert c.is_contiguous() and c.data_ptr() != x.data_ptr()
    check(c, np.ascontiguousarray(a.transpose(2, 1, 0)))
    assert pn_strides(c) == np_strides(np.ascontiguousarray(a.transpose(2, 1, 0)))
    s = x[:, 1:, ::2]
    assert pn_strides(s) == np_strides(a[:, 1:, ::2])
    assert s.storage_offset() == 4
    assert not s.is_contiguous()
    # size-1 dims do not break contiguity
    assert P(base((3, 1))).t().is_contiguous() == np.ascontiguousarray(base((3, 1)).T).flags[
        "C_CONTIGUOUS"]


# Copies of permuted / transposed / sliced views go through row copies and blocked transposes
# (csrc/kernels/transpose.c); every element must land where NumPy puts it, bit for bit.
def _copy_src(rng, shape, dtype):
    if dtype == "bool":
        return rng.random(shape) < 0.5
    if dtype == "int64":
        return rng.integers(-(2 ** 62), 2 ** 62, shape)
    a = rng.standard_normal(shape).astype(dtype)
    flat = a.reshape(-1)
    specials = np.array([np.nan, -0.0, np.inf, -np.inf], dtype=dtype)
    flat[: min(4, flat.size)] = specials[: min(4, flat.size)]  # NaN and -0.0 must survive as bits
    return a


def _same_bits(t, ref):
    out = to_np(t)
    assert out.dtype == ref.dtype and out.shape == ref.shape
    assert t.is_contiguous()
    assert out.tobytes() == np.ascontiguousarray(ref).tobytes()


def _random_view(rng, ndim, dtype, max_numel=40000):
    """A random (base array, slices, permutation) with 0-size, 1-size and odd dims."""
    sizes = [0, 1, 2, 3, 4, 5, 7, 8, 9, 13, 16, 17, 31, 33, 40, 64, 67]
    while True:
        shape = [int(rng.choice(sizes)) for _ in range(ndim)]
        if rng.random() < 0.9:
            shape = [s if s else 3 for s in shape]  # mostly non-empty
        if np.prod(shape) <= max_numel:
            break
    slices = tuple(slice(int(rng.integers(0, 2)), None, int(rng.choice([1, 1, 2, 3])))
                   for _ in range(ndim))
    return _copy_src(rng, shape, dtype), slices, tuple(int(p) for p in rng.permutation(ndim))


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "bool"])
@pytest.mark.parametrize("ndim", [2, 3, 4, 5])
def test_contiguous_of_random_permuted_views(dtype, ndim):
    rng = np.random.default_rng(1000 * ndim + len(dtype))
    for _ in range(25):
        a, sl, perm = _random_view(rng, ndim, dtype)
        ref = a[sl].transpose(perm)
        x = P(a)
        _same_bits(x[sl].permute(*perm).contiguous(), np.ascontiguousarray(ref))
        if rng.random() < 0.5:  # the copy is the same on a view that starts at an offset
            _same_bits(x[sl].permute(*perm).clone(memory_format=pynet.contiguous_format), ref)


def view_of(t, view):
    """Apply a NumPy-style view function (transpose(*perm), slicing) to a pynet tensor."""

    class _Adapter:
        def __init__(self, t):
            self.t = t

        def transpose(self, *perm):
            return self.t.permute(*perm)

        def __getitem__(self, idx):
            return _Adapter(self.t[idx])

    r = view(_Adapter(t))
    return r.t if isinstance(r, _Adapter) else r


LARGE_COPIES = {
    # name: (shape, view) - large enough for the threaded path (> 65536 elements)
    "t": ((300, 301), lambda v: v.transpose(1, 0)),
    "t odd": ((257, 263), lambda v: v.transpose(1, 0)),
    "heads": ((4, 130, 4, 33), lambda v: v.transpose(0, 2, 1, 3)),
    "heads inverse": ((4, 4, 130, 32), lambda v: v.transpose(0, 2, 1, 3)),
    "BTHD->BDHT": ((3, 70, 5, 72), lambda v: v.transpose(0, 3, 2, 1)),
    "5d": ((3, 17, 9, 40, 13), lambda v: v.transpose(4, 2, 0, 3, 1)),
    "stepped": ((301, 2, 520), lambda v: v[1::1, 1, ::2].transpose(1, 0)),
}


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "bool"])
@pytest.mark.parametrize("case", list(LARGE_COPIES))
def test_large_strided_copy_same_at_any_thread_count(case, dtype):
    shape, view = LARGE_COPIES[case]
    a = _copy_src(np.random.default_rng(7), shape, dtype)
    ref = np.ascontiguousarray(view(a))
    prev = pynet.get_num_threads()
    try:
        for n in (1, 2):
            pynet.set_num_threads(n)
            v = view_of(P(a), view)
            _same_bits(v.contiguous(), ref)
            _same_bits(v.reshape(-1), ref.reshape(-1))
            out = pynet.zeros(*ref.shape, dtype=pdt(dtype))
            out.copy_(v)
            _same_bits(out, ref)
    finally:
        pynet.set_num_threads(prev)


@pytest.mark.parametrize("shape,perm", [((2048, 2048), (1, 0)), ((2, 2080, 1041), (0, 2, 1)),
                                        ((32, 256, 16, 32), (0, 2, 1, 3)),
                                        ((7, 16, 601, 64), (0, 2, 1, 3))], ids=str)
def test_large_copy_streamed(shape, perm):
    """Outputs of 16 MB and more are written with non-temporal stores: same bits."""
    a = _copy_src(np.random.default_rng(11), shape, "float32")
    ref = np.ascontiguousarray(a.transpose(perm))
    prev = pynet.get_num_threads()
    try:
        for n in (1, 2):
            pynet.set_num_threads(n)
            _same_bits(P(a).permute(*perm).contiguous(), ref)
    finally:
        pynet.set_num_threads(prev)


def test_copy_into_transposed_destination():
    a = _copy_src(np.random.default_rng(3), (90, 70), "float32")
    out = pynet.zeros(70, 90)
    out.t().copy_(P(a))
    _same_bits(out, a.T)
    x = P(a.copy())
    x.copy_(x.t().contiguous().t())  # overlapping source: copied through a temporary
    _same_bits(x, a)


def test_autograd_through_permute_contiguous():
    rng = np.random.default_rng(5)
    a = rng.standard_normal((2, 9, 3, 8)).astype("float32")
    g = rng.standard_normal((2, 3, 9, 8)).astype("float32")
    x = pynet.tensor(a, requires_grad=True)
    y = x.permute(0, 2, 1, 3).contiguous()
    y.backward(P(g))
    check(y, np.ascontiguousarray(a.transpose(0, 2, 1, 3)))
    assert to_np(x.grad).tobytes() == np.ascontiguousarray(g.transpose(0, 2, 1, 3)).tobytes()
    x2 = pynet.tensor(a.reshape(18, 24), requires_grad=True)
    (x2.t().contiguous() * P(np.arange(18 * 24, dtype="float32").reshape(24, 18))).sum().backward()
    assert to_np(x2.grad).tobytes() == np.arange(18 * 24, dtype="float32").reshape(24, 18).T.tobytes()


VIEWS = {
    # name: (pynet view fn, NumPy view fn giving the same elements as a NumPy *view*)
    "view": (lambda t: t.view(4, 6), lambda a: a.reshape(4, 6)),
    "T": (lambda t: t.squeeze(1).T, lambda a: a[:, 0, :].T),
    "slice": (lambda t: t[1:3, :, ::2], lambda a: a[1:3, :, ::2]),
    "select": (lambda t: t.select(0, 2), lambda a: a[2]),
    "narrow": (lambda t: t.narrow(2, 1, 3), lambda a: a[:, :, 1:4]),
    "unsqueeze": (lambda t: t.unsqueeze(0), lambda a: a[None]),
    "squeeze": (lambda t: t.squeeze(), lambda a: a[:, 0, :]),
    "permute": (lambda t: t.permute(2, 0, 1), lambda a: a.transpose(2, 0, 1)),
    "flatten": (lambda t: t.flatten(), lambda a: a.reshape(-1)),
    "split": (lambda t: t.split(2, 0)[1], lambda a: a[2:4]),
    "unbind": (lambda t: t.unbind(2)[3], lambda a: a[:, :, 3]),
    "chunk": (lambda t: t.chunk(3, 2)[2], lambda a: a[:, :, 4:6]),
    "transpose": (lambda t: t.transpose(0, 2), lambda a: a.transpose(2, 1, 0)),
    "reshape": (lambda t: t.reshape(2, 12), lambda a: a.reshape(2, 12)),
    "getitem_int": (lambda t: t[3], lambda a: a[3]),
    "getitem_none": (lambda t: t[None, :, 0], lambda a: a[None, :, 0]),
    "ellipsis": (lambda t: t[..., 2], lambda a: a[..., 2]),
    "detach": (lambda t: t.detach(), lambda a: a),
    "view_of_view": (lambda t: t.transpose(0, 2)[1:, :, 2:].select(1, 0),
                     lambda a: a.transpose(2, 1, 0)[1:, :, 2:][:, 0]),
}


@pytest.mark.parametrize("view", list(VIEWS))
def test_views_share_memory(view):
    pf, nf = VIEWS[view]
    a = base((4, 1, 6))
    x = P(a)
    v = pf(x)
    check(v, nf(a))
    # write through the view: the base sees it
    v.fill_(-5.0)
    ref = a.copy()
    nf(ref)[...] = -5.0
    check(x, ref)
    # write to the base: the view sees it
    x.fill_(3.0)
    assert np.all(to_np(v) == 3.0), "base write not visible through the view"
    # element assignment through the view
    if v.ndim:
        v[(0,) * v.ndim] = 11.0
        ref = np.full(a.shape, 3.0, np.float32)
        nf(ref)[(0,) * v.ndim] = 11.0
        check(x, ref)


def test_expand_view_reads_base():
    a = base((4, 1, 6))
    x = P(a)
    e = x.expand(4, 5, 6)
    check(e, np.broadcast_to(a, (4, 5, 6)))
    x.fill_(2.0)
    assert np.all(to_np(e) == 2.0)


def test_numpy_of_noncontiguous_view():
    a = base((3, 4))
    v = P(a).t()[1:, ::2]
    check(v, a.T[1:, ::2])
    np.testing.assert_array_equal(np.asarray(v), a.T[1:, ::2])
    assert v.tolist() == a.T[1:, ::2].tolist()


# ---------------------------------------------------------------------------------------------
# split / chunk / unbind / cat / stack
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("size,dim", [(2, 0), (3, 0), (1, 1), (4, 2), (5, 2), (3, -1), (10, 0)])
def test_split_int(size, dim):
    a = base((5, 3, 4))
    outs = P(a).split(size, dim)
    n = a.shape[dim]
    refs = np.split(a, list(range(size, n, size)), axis=dim)
    assert len(outs) == len(refs)
    for o, r in zip(outs, refs):
        check(o, r)
    if HAS_TORCH:
        touts = T(a).split(size, dim)
        assert len(outs) == len(touts)
        for o, r in zip(outs, touts):
            check(o, r)


@pytest.mark.parametrize("sizes,dim", [([1, 4], 0), ([2, 0, 3], 0), ([3], 1), ([1, 1, 2], -1)])
def test_split_sizes(sizes, dim):
    a = base((5, 3, 4))
    outs = P(a).split(sizes, dim)
    refs = np.split(a, np.cumsum(sizes)[:-1], axis=dim)
    assert len(outs) == len(refs)
    for o, r in zip(outs, refs):
        check(o, r)


@pytest.mark.parametrize("chunks,dim", [(2, 0), (3, 0), (5, 0), (6, 0), (2, 2), (3, -1), (1, 1)])
def test_chunk(chunks, dim, need_torch):
    a = base((5, 3, 4))
    outs = P(a).chunk(chunks, dim)
    touts = T(a).chunk(chunks, dim)
    assert len(outs) == len(touts)
    for o, r in zip(outs, touts):
        check(o, r)
    fouts = pynet.chunk(P(a), chunks, dim)
    assert len(fouts) == len(touts)


@pytest.mark.parametrize("dim", [0, 1, 2, -1])
def test_unbind(dim):
    a = base((2, 3, 4))
    outs = P(a).unbind(dim)
    assert isinstance(outs, tuple) and len(outs) == a.shape[dim]
    for i, o in enumerate(outs):
        check(o, np.take(a, i, axis=dim))


SPLITS = {  # name: (fn on a (5, 3, 4) tensor, the autograd node torch records)
    "split_int": (lambda t: t.split(2, 0), "SplitBackward0"),
    "split_sizes": (lambda t: t.split([1, 0, 3], 2), "SplitWithSizesBackward0"),
    "chunk": (lambda t: t.chunk(2, -2), "SplitBackward0"),
    "chunk_empty": (lambda t: t[:0].chunk(3, 0), "SplitWithSizesBackward0"),
    "unbind": (lambda t: t.unbind(1), "UnbindBackward0"),
    "unbind_last": (lambda t: t.unbind(-1), "UnbindBackward0"),
}


@pytest.mark.parametrize("name", list(SPLITS))
@pytest.mark.parametrize("skip", [None, 0, 1])
def test_split_gradient_one_node(name, skip):
    """split/chunk/unbind record one node with an output per piece (as torch's SplitBackward0);
    its gradient puts each piece's gradient in place and zeros where a piece is unused."""
    fn, node = SPLITS[name]
    a = rand_np((5, 3, 4), "float64", 3)
    x = pynet.tensor(a, requires_grad=True)
    outs = fn(x)
    assert all(o.grad_fn is outs[0].grad_fn for o in outs)
    assert outs[0].grad_fn.name() == node
    assert [o.output_nr for o in outs] == list(range(len(outs)))
    used = [k for k in range(len(outs)) if k != skip]
    if not any(outs[k].numel() for k in used):
        return
    ws = [rand_np(tuple(o.shape), "float64", 10 + k) for k, o in enumerate(outs)]
    sum((outs[k] * pynet.tensor(ws[k])).sum() for k in used).backward()
    # reference: the same pieces of a NumPy array of gradients, written through views
    ref = np.zeros_like(a)
    ref_outs = fn(pynet.tensor(np.arange(a.size, dtype=np.float64).reshape(a.shape)))
    for k in used:
        idx = np.asarray(ref_outs[k]).astype(np.int64)
        np.put(ref, idx, ws[k])
    np.testing.assert_array_equal(to_np(x.grad), ref)


@pytest.mark.parametrize("name", list(SPLITS))
def test_split_node_name_and_inplace_error_match_torch(name, need_torch):
    fn, node = SPLITS[name]
    a = rand_np((5, 3, 4), "float32", 4)
    touts = fn(torch.tensor(a, requires_grad=True) * 1)
    outs = fn(pynet.tensor(a, requires_grad=True) * 1)
    assert [o.grad_fn.name() for o in outs] == [o.grad_fn.name() for o in touts]
    for lib_outs, lib in ((outs, "pynet"), (touts, "torch")):
        if len(lib_outs) < 2:
            continue
        with pytest.raises(RuntimeError, match="Output 1 of .* is a view and is being modified "
                                               "inplace"):
            lib_outs[1].add_(1)
        with pytest.raises(RuntimeError, match="is a view and is being modified inplace"):
            lib_outs[1][..., :1].mul_(2)  # a view of a piece is refused too


def test_split_inplace_allowed_without_grad():
    """Pieces made in no_grad mode, of a tensor that needs no grad, or copied, may be written."""
    x = pynet.ones(4, 3, requires_grad=True)
    with pynet.no_grad():
        y = x * 1
        y.split(2)[1].add_(1)
    np.testing.assert_array_equal(to_np(y), [[1] * 3] * 2 + [[2] * 3] * 2)
    z = pynet.ones(4, 3)
    z.unbind(0)[3].mul_(5)
    assert z[3].tolist() == [5.0] * 3
    piece = (x * 1).chunk(2)[0].clone()
    piece.add_(1)
    assert piece.tolist() == [[2.0] * 3] * 2


@pytest.mark.parametrize("name", ["split_int", "split_sizes", "unbind"])
def test_split_gradcheck_and_double_backward(name):
    fn, _ = SPLITS[name]
    x = pynet.tensor(rand_np((5, 3, 4), "float64", 5), requires_grad=True)
    assert pynet.autograd.gradcheck(lambda t: fn(t)[-1] ** 2 + 1, (x,))
    # second derivative of sum(piece_0 ** 3): 6 * x inside piece 0, zero elsewhere
    g, = pynet.autograd.grad((fn(x)[0] ** 3).sum(), x, create_graph=True)
    h, = pynet.autograd.grad(g.sum(), x)
    mask = to_np(g) != 0
    np.testing.assert_allclose(to_np(h)[mask], 6 * to_np(x)[mask])
    assert (to_np(h)[~mask] == 0).all()


@pytest.mark.parametrize("dim", [0, 1, 2, -1, -3])
def test_cat(dim):
    a = base((2, 3, 4))
    b = rand_np((2, 3, 4), "float32", 1)
    shape_c = list(a.shape)
    shape_c[dim] = 1
    c = rand_np(tuple(shape_c), "float32", 2)
    ref = np.concatenate([a, b, c], axis=dim)
    check(pynet.cat([P(a), P(b), P(c)], dim), ref)
    check(pynet.cat((P(a), P(b), P(c)), dim=dim), ref)
    check(pynet.concat([P(a), P(b), P(c)], dim), ref)
    # non-contiguous inputs
    check(pynet.cat([P(a).transpose(0, 1), P(b).transpose(0, 1)], 1 if dim == 0 else 0),
          np.concatenate([a.transpose(1, 0, 2), b.transpose(1, 0, 2)], 1 if dim == 0 else 0))


def test_cat_empty_and_single():
    a = base((2, 3))
    check(pynet.cat([P(a)]), a)
    e = np.zeros((0, 3), np.float32)
    check(pynet.cat([P(e), P(a), P(e)]), np.concatenate([e, a, e]))
    out = pynet.cat([P(a)])
    out.fill_(0.0)
    assert to_np(P(a)).sum() == a.sum()  # cat copies


def test_cat_legacy_empty_1d(need_torch):
    a = base((2, 3))
    e = np.zeros((0,), np.float32)
    check(pynet.cat([P(e), P(a)]), torch.cat([T(e), T(a)]))


@pytest.mark.parametrize("da", ["bool", "int64", "float32", "float64"])
@pytest.mark.parametrize("db", ["bool", "int64", "float32", "float64"])
def test_cat_stack_dtype_promotion(da, db, need_torch):
    a = rand_np((2, 3), da, 0)
    b = rand_np((1, 3), db, 1)
    check(pynet.cat([P(a), P(b)]), torch.cat([T(a), T(b)]))
    b2 = rand_np((2, 3), db, 1)
    check(pynet.stack([P(a), P(b2)]), torch.stack([T(a), T(b2)]))


@pytest.mark.parametrize("dim", [0, 1, 2, 3, -1, -4])
def test_stack(dim):
    arrs = [rand_np((2, 3, 4), "float32", s) for s in range(3)]
    ref = np.stack(arrs, axis=dim)
    check(pynet.stack([P(x) for x in arrs], dim), ref)
    check(pynet.stack([P(x) for x in arrs], dim=dim), ref)
    # stack of transposed (non-contiguous) views
    ref_t = np.stack([x.transpose(2, 0, 1) for x in arrs], axis=dim)
    check(pynet.stack([P(x).permute(2, 0, 1) for x in arrs], dim), ref_t)


def test_stack_zero_dim():
    vals = [np.array(v, np.float32) for v in (1.5, -2.0, 3.25)]
    check(pynet.stack([P(v) for v in vals]), np.stack(vals))


# ---------------------------------------------------------------------------------------------
# indexing (reading)
# ---------------------------------------------------------------------------------------------
A = np.arange(4 * 5 * 6).reshape(4, 5, 6).astype(np.float32)
M5 = np.array([True, False, True, True, False])
M4 = np.array([False, True, True, False])

# (id, index built from numpy pieces, where numpy's semantics == torch's)
INDICES = [
    ("int", 1), ("neg_int", -1), ("ints", (1, 2)), ("neg_ints", (-1, -2, -3)),
    ("full_int", (3, 4, 5)), ("slice", slice(1, 3)), ("slice_step", slice(None, None, 2)),
    ("slice_step3", (slice(None), slice(1, None, 3))), ("slice_neg_bounds", slice(-3, -1)),
    ("slice_oob", slice(2, 100)), ("slice_empty", slice(3, 1)),
    ("slice_int", (slice(None), 2)), ("int_slice", (2, slice(1, 4, 2))),
    ("ellipsis", Ellipsis), ("ellipsis_int", (Ellipsis, 1)), ("int_ellipsis", (1, Ellipsis)),
    ("ellipsis_mid", (0, Ellipsis, 2)), ("none", None), ("none_int", (None, 1)),
    ("int_none_slice_none", (1, None, slice(None), None)), ("ellipsis_none", (Ellipsis, None)),
    ("list", [0, 2]), ("list_neg", [-1, 0, -1]), ("tensor_idx", np.array([3, 0, 1])),
    ("tensor_idx_2d", np.array([[0, 1], [2, 3]])), ("tensor_0d", np.array(2)),
    ("slice_then_list", (slice(None), [0, 4, 2])), ("two_adv_front", ([0, 1], [1, 2])),
    ("two_adv_mid", (slice(None), [0, 1], [1, 2])),
    ("two_adv_broadcast", (np.array([[0], [3]]), np.array([1, 2, 4]))),
    ("adv_non_adjacent", ([0, 1], slice(None), [1, 2])),
    ("three_adv", ([0, 3], [1, 4], [5, 0])),
    ("adv_slice_step", ([3, 1], slice(None, None, 2))),
    ("adv_none", (None, [0, 1], slice(None), [0, 1])),
    ("adv_ellipsis_adv", ([0, 1], Ellipsis, [0, 1])),
    ("adv_int_adjacent", ([0, 1], 2)),
    ("mask_first", M4), ("mask_second", (slice(None), M5)), ("mask_full", A > 50),
    ("mask_2d", (A > 50).any(2)), ("mask_and_int", (M4, 2)),
    ("mask_none", (None, M4)), ("ellipsis_mask", (Ellipsis, np.arange(6) % 2 == 0)),
    ("mask_all_false", np.zeros(4, bool)),
    ("bool_list", [True, False, True, True]), ("list_of_lists", [[0, 1], [1, 2]]),
    ("np_int_scalar", np.int64(2)), ("big_step", (slice(None, None, 10), slice(1, None, 7))),
    ("adv_then_mask", ([0, 2], slice(None), np.arange(6) < 2)),
    ("list_with_none_after", ([1, 2], None)),
]

# cases where torch's semantics differ from NumPy's: torch is the reference
TORCH_ONLY = [
    ("int_slice_adv", (1, slice(None), [0, 2])),
]


def to_lib(idx, lib):
    def conv(i):
        if isinstance(i, np.ndarray):
            if lib == "pn":
                return pynet.tensor(i)
            if lib == "t":
                return torch.tensor(i)
        return i
    return tuple(conv(i) for i in idx) if isinstance(idx, tuple) else conv(idx)


# torch 2.x still reads a nested list as a tuple of indices (deprecated); NumPy's reading
# (one 2-D index) is what torch announced for the future, so only NumPy is the reference
NUMPY_ONLY = {"list_of_lists"}


@pytest.mark.parametrize("name,idx", INDICES, ids=[n for n, _ in INDICES])
def test_getitem(name, idx):
    x = P(A)
    out = x[to_lib(idx, "pn")]
    ref = A[idx]
    check(out, ref)
    if HAS_TORCH and name not in NUMPY_ONLY:
        check(out, T(A)[to_lib(idx, "t")])


@pytest.mark.parametrize("idx", [i for _, i in TORCH_ONLY], ids=[n for n, _ in TORCH_ONLY])
def test_getitem_torch_semantics(idx, need_torch):
    check(P(A)[to_lib(idx, "pn")], T(A)[to_lib(idx, "t")])


@pytest.mark.parametrize("idx", [1, (slice(None), 2), (Ellipsis, 1), (None, 1),
                                 (slice(1, 3), slice(None, None, 2))], ids=str)
def test_basic_getitem_is_view(idx):
    x = P(A)
    v = x[idx]
    v.fill_(-1.0)
    ref = A.copy()
    ref[idx] = -1.0
    check(x, ref)


def test_advanced_getitem_is_copy():
    x = P(A)
    c = x[[0, 1]]
    c.fill_(-1.0)
    check(x, A)
    m = x[P(A) > 10]
    m.fill_(-1.0)
    check(x, A)


def test_getitem_noncontiguous_base():
    x = P(A).permute(2, 0, 1)[::2]
    a = A.transpose(2, 0, 1)[::2]
    check(x[1], a[1])
    check(x[:, [0, 3], 1:], a[:, [0, 3], 1:])
    check(x[a > 30], a[a > 30])


# Whole rows gathered (a DataLoader batch): one copy per row, split over the pool when the
# result passes 256 KB. Every dtype, repeated and negative indices, a 2-D index, an offset
# view, and a size-1 dim inside the rows; the bytes must be NumPy's at 1 and 2 threads.
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "bool"])
@pytest.mark.parametrize("rows,shape", [(7, (5, 3)), (300, (1, 28, 28)), (2000, (40,)),
                                        (50, (3, 1, 700))])
def test_getitem_whole_rows(dtype, rows, shape):
    rng = np.random.default_rng(rows)
    a = (rng.standard_normal((rows + 3, *shape)) * 50).astype(dtype)
    idx = rng.integers(-rows, rows, size=rows + 5)
    idx[:3] = idx[3]  # repeats
    prev = pynet.get_num_threads()
    try:
        for n in (1, 2):
            pynet.set_num_threads(n)
            x = P(a)[3:]  # an offset view
            check(x[P(idx)], a[3:][idx])
            check(x[P(idx.reshape(-1, 1))], a[3:][idx.reshape(-1, 1)])
            check(x[idx.tolist()], a[3:][idx])
    finally:
        pynet.set_num_threads(prev)


def test_getitem_whole_rows_gradient():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((400, 300))
    idx = rng.integers(0, 400, size=500)
    x = pynet.tensor(a, requires_grad=True)
    y = x[pynet.tensor(idx)]
    g = rng.standard_normal(y.shape)
    y.backward(pynet.tensor(g))
    ref = np.zeros_like(a)
    np.add.at(ref, idx, g)
    check(x.grad, ref, rtol=1e-12)


def test_getitem_1d_and_0d():
    v = np.arange(5).astype(np.int64)
    x = P(v)
    for idx in [0, -1, slice(None, None, 2), [4, 0], None, Ellipsis, (Ellipsis, None)]:
        check(x[idx], v[idx])
    s = P(np.array(7.0, np.float32))
    check(s[None], np.array([7.0], np.float32))
    check(s[...], np.array(7.0, np.float32))
    check(s[()], np.array(7.0, np.float32))


def test_getitem_with_int_tensor_scalar_index():
    x = P(A)
    i = P(np.array(2))
    check(x[i], A[2])
    check(x[1, i], A[1, 2])


def test_getitem_bool_tensor_of_int_dtype_is_not_mask():
    x = P(np.arange(5).astype(np.float32))
    idx = np.array([1, 0, 1])  # int64 values: gather, not a mask
    check(x[P(idx)], np.arange(5).astype(np.float32)[idx])


# ---------------------------------------------------------------------------------------------
# indexing (assignment)
# ---------------------------------------------------------------------------------------------
def setitem_cases():
    rng = np.random.default_rng(0)
    return [
        ("mask_scalar", A > 40, 0.0),
        ("mask_values", A > 100, rng.random(int((A > 100).sum())).astype(np.float32)),
        ("mask_first_rows", M4, rng.random((2, 5, 6)).astype(np.float32)),
        ("mask_first_bcast", M4, rng.random((6,)).astype(np.float32)),
        ("int", 1, 5.0),
        ("int_tensor_bcast", 1, rng.random((6,)).astype(np.float32)),
        ("slice_tensor", slice(1, 3), rng.random((2, 5, 6)).astype(np.float32)),
        ("slice_step", (slice(None), slice(None, None, 2)), rng.random((4, 3, 6)).astype(np.float32)),
        ("slice_bcast", (slice(1, 3), 0), rng.random((1, 6)).astype(np.float32)),
        ("cols_list", (slice(None), [0, 2]), rng.random((4, 2, 6)).astype(np.float32)),
        ("cols_list_scalar", (slice(None), [0, 2]), -3.0),
        ("last_list", (Ellipsis, [0, 5]), rng.random((2,)).astype(np.float32)),
        ("idx_tensor", np.array([3, 0]), rng.random((2, 5, 6)).astype(np.float32)),
        ("two_adv", ([0, 1], [1, 2]), rng.random((2, 6)).astype(np.float32)),
        ("adv_non_adjacent", ([0, 1], slice(None), [1, 2]), rng.random((2, 5)).astype(np.float32)),
        ("ellipsis", (Ellipsis, 2), 8.0),
        ("none", (None, 1), rng.random((1, 5, 6)).astype(np.float32)),
        ("neg", (-1, -1, -1), 123.0),
        ("all", slice(None), 2.5),
        ("mask_2d", (A > 50).any(2), 1.0),
        ("mask_full_tensor_value_0d", A < 20, np.array(4.0, np.float32)),
    ]


@pytest.mark.parametrize("case", setitem_cases(), ids=[c[0] for c in setitem_cases()])
def test_setitem(case):
    _, idx, val = case
    ref = A.copy()
    ref[idx] = val
    x = P(A)
    ptr = x.data_ptr()
    x[to_lib(idx, "pn")] = P(val) if isinstance(val, np.ndarray) else val
    assert x.data_ptr() == ptr
    check(x, ref)
    if HAS_TORCH:
        tx = T(A)
        tx[to_lib(idx, "t")] = T(val) if isinstance(val, np.ndarray) else val
        check(x, tx)


def test_setitem_through_noncontiguous_view():
    x = P(A)
    v = x.transpose(0, 2)[::2]          # (3, 5, 4) view
    v[1, [0, 4]] = -1.0
    v[v > 100] = 0.0
    ref = A.copy()
    rv = ref.transpose(2, 1, 0)[::2]
    rv[1, [0, 4]] = -1.0
    rv[rv > 100] = 0.0
    check(x, ref)


def test_setitem_value_from_noncontiguous_and_other_dtype(need_torch):
    x, tx = P(A), T(A)
    src = np.arange(20).reshape(5, 4).astype(np.int64)
    x[0, :, :4] = P(src)
    tx[0, :, :4] = T(src)
    x[1, :, :5] = P(src.T.copy()).T[:, :1].expand(5, 5) if False else P(src)[:, :1].expand(5, 5)
    tx[1, :, :5] = T(src)[:, :1].expand(5, 5)
    x[2] = P(A[3].T.copy()).T                       # transposed source
    tx[2] = T(A[3].T.copy()).T
    x[3, 0] = True
    tx[3, 0] = True
    check(x, tx)


def test_setitem_int_tensor_with_float_value_truncates(need_torch):
    a = np.arange(6).astype(np.int64)
    x, tx = P(a), T(a)
    x[1] = 2.7
    tx[1] = 2.7
    x[3:5] = P(np.array([-1.9, 9.9], np.float32))
    tx[3:5] = T(np.array([-1.9, 9.9], np.float32))
    check(x, tx)


def test_setitem_overlapping_self_copy(need_torch):
    a = np.arange(8).astype(np.float32)
    x, tx = P(a), T(a)
    x[1:] = x[:-1].clone()
    tx[1:] = tx[:-1].clone()
    check(x, tx)


def test_setitem_bool_tensor_index_with_tensor_value(need_torch):
    a = rand_np((5, 3), "float32")
    m = np.array([True, False, True, False, True])
    x, tx = P(a), T(a)
    x[P(m)] = P(np.arange(3).astype(np.float32))
    tx[T(m)] = T(np.arange(3).astype(np.float32))
    check(x, tx)


def test_masked_fill():
    a = rand_np((3, 4), "float32")
    m = a > 0
    ref = np.where(m, -9.0, a).astype(np.float32)
    check(P(a).masked_fill(P(m), -9.0), ref)
    x = P(a)
    r = x.masked_fill_(P(m), -9.0)
    assert r is x
    check(x, ref)
    # broadcast mask
    mb = np.array([True, False, False, True])
    check(P(a).masked_fill(P(mb), 1.0), np.where(mb, 1.0, a).astype(np.float32))


# ---------------------------------------------------------------------------------------------
# corner cases found by probing against torch / NumPy
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("idx", [True, False, np.array(True), np.array(False), (1, True),
                                 (Ellipsis, None, False)], ids=repr)
def test_getitem_bool_scalar_index(idx):
    """A Python bool / 0-d bool tensor index adds a dim of size 1 (True) or 0 (False)."""
    a = np.arange(6).reshape(2, 3)
    check(P(a)[to_lib(idx, "pn")], a[idx])
    if HAS_TORCH:
        check(P(a)[to_lib(idx, "pn")], T(a)[to_lib(idx, "t")])


def test_getitem_empty_list_and_empty_index_tensor():
    a = np.arange(6).reshape(2, 3)
    check(P(a)[[]], a[np.array([], dtype=np.int64)])
    check(P(a)[P(np.array([], dtype=np.int64))], a[np.array([], dtype=np.int64)])
    check(P(a)[:, P(np.array([], dtype=np.int64))], a[:, np.array([], dtype=np.int64)])


def test_setitem_value_with_extra_leading_unit_dims():
    """NumPy and torch accept a source with extra leading size-1 dims (x[1] = row[None])."""
    a = np.zeros((3, 4), np.float32)
    row = np.arange(4, dtype=np.float32)[None]           # (1, 4) into a (4,) slot
    ref = a.copy()
    ref[1] = row
    x = P(a)
    x[1] = P(row)
    check(x, ref)
    ref[:, 2] = row[:, :3]                                # (1, 3) into a (3,) column
    x[:, 2] = P(row[:, :3])
    check(x, ref)


def test_empty_tensors_are_contiguous(need_torch):
    for shape, f in [((2, 0), lambda t: t.t()), ((0, 3), lambda t: t[:, ::2]),
                     ((3, 0, 2), lambda t: t.permute(2, 0, 1))]:
        assert f(pynet.zeros(shape)).is_contiguous() == f(torch.zeros(shape)).is_contiguous()


@pytest.mark.parametrize("shape,chunks,dim", [((5, 0), 3, 1), ((0,), 2, 0), ((2,), 4, 0),
                                              ((0, 4), 3, 0)], ids=str)
def test_chunk_of_empty_or_small(shape, chunks, dim, need_torch):
    outs = pynet.zeros(shape).chunk(chunks, dim)
    touts = torch.zeros(shape).chunk(chunks, dim)
    assert len(outs) == len(touts)
    for o, r in zip(outs, touts):
        check(o, r)


OVERLAP = {
    # name: fn applied to a fresh arange(9.).reshape(3, 3) (pynet or NumPy array, in place)
    "shift_right": lambda x: x.reshape(-1).__setitem__(slice(1, None), x.reshape(-1)[:-1]),
    "shift_left": lambda x: x.reshape(-1).__setitem__(slice(None, -1), x.reshape(-1)[1:]),
    "assign_transpose": lambda x: x.__setitem__(Ellipsis, x.T),
    "iadd_transpose": lambda x: x.__iadd__(x.T),
    "iadd_row0": lambda x: x.__iadd__(x[0]),
    "imul_col": lambda x: x.__imul__(x[:, :1]),
}


@pytest.mark.parametrize("name", list(OVERLAP))
def test_inplace_with_overlapping_operand(name):
    """torch refuses in-place ops whose input overlaps the output; NumPy buffers and gives the
    mathematically expected result. pynet must do one of the two, never silently corrupt."""
    a = np.arange(9.0).reshape(3, 3).astype(np.float32)
    ref = a.copy()
    OVERLAP[name](ref)
    x = P(a)
    try:
        OVERLAP[name](x)
    except RuntimeError:
        return
    check(x, ref)
