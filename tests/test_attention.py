"""F.scaled_dot_product_attention (issue #12): the fused C kernel against PyTorch,
against the textbook formula in NumPy, and gradcheck in float64."""
import numpy as np
import pytest

import pynet
import pynet.nn.functional as F
from pynet.autograd import gradcheck

from conftest import to_np, torch


def reference(q, k, v, mask=None, causal=False, scale=None):
    """softmax(q k^T * scale + mask) v in NumPy; fully masked rows give 0."""
    scale = 1 / np.sqrt(q.shape[-1]) if scale is None else scale
    s = q @ np.swapaxes(k, -1, -2) * scale
    if causal:
        L, S = s.shape[-2:]
        s = np.where(np.tril(np.ones((L, S), bool)), s, -np.inf)
    if mask is not None:
        s = np.where(mask, s, -np.inf) if mask.dtype == bool else s + mask
    m = s.max(-1, keepdims=True, initial=-np.inf)
    e = np.exp(s - np.where(np.isfinite(m), m, 0))
    tot = e.sum(-1, keepdims=True)
    p = np.where(tot > 0, e / np.where(tot > 0, tot, 1), 0)
    return p @ v


SHAPES = [((2, 3, 5, 4), (2, 3, 7, 4), 6), ((4, 9, 8), (4, 6, 8), 3), ((5, 4), (5, 4), 4),
          ((1, 2, 70, 8), (1, 2, 300, 8), 8), ((2, 0, 4), (2, 3, 4), 2), ((2, 3, 4), (2, 0, 4), 2)]


@pytest.mark.parametrize("qs,ks,ev", SHAPES)
@pytest.mark.parametrize("causal", [False, True])
def test_matches_numpy_formula(qs, ks, ev, causal):
    rng = np.random.default_rng(0)
    q, k, v = rng.standard_normal(qs), rng.standard_normal(ks), rng.standard_normal(ks[:-1] + (ev,))
    out = F.scaled_dot_product_attention(pynet.tensor(q), pynet.tensor(k), pynet.tensor(v),
                                         is_causal=causal)
    np.testing.assert_allclose(to_np(out), reference(q, k, v, causal=causal), rtol=1e-12,
                               atol=1e-13)


def _masks(rng, L, S):
    bool_mask = rng.random((L, S)) > 0.4
    bool_mask[1] = False  # a fully masked row
    return [("bool", bool_mask), ("float broadcast", rng.standard_normal((3, 1, S))),
            ("bool per head", rng.random((2, 3, L, S)) > 0.3)]


@pytest.mark.parametrize("which", [0, 1, 2])
def test_masks_match_numpy(which):
    rng = np.random.default_rng(1)
    q, k, v = (rng.standard_normal(s) for s in [(2, 3, 5, 4), (2, 3, 7, 4), (2, 3, 7, 6)])
    name, m = _masks(rng, 5, 7)[which]
    out = F.scaled_dot_product_attention(pynet.tensor(q), pynet.tensor(k), pynet.tensor(v),
                                         attn_mask=pynet.tensor(m), scale=0.7)
    np.testing.assert_allclose(to_np(out), reference(q, k, v, mask=m, scale=0.7), rtol=1e-12,
                               atol=1e-13, err_msg=name)


@pytest.mark.parametrize("qs,ks,ev", SHAPES[:4])
@pytest.mark.parametrize("kw", [{}, {"is_causal": True}, {"scale": 0.3}, {"mask": 0}, {"mask": 1}])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_values_and_gradients_match_torch(need_torch, qs, ks, ev, kw, dtype):
    rng = np.random.default_rng(2)
    q, k, v = rng.standard_normal(qs), rng.standard_normal(ks), rng.standard_normal(ks[:-1] + (ev,))
    kw = dict(kw)
    mask = None
    if "mask" in kw:
        mask = _masks(rng, qs[-2], ks[-2])[kw.pop("mask")][1]
        try:
            if mask.ndim > len(qs):  # (PyTorch and pynet both refuse this)
                raise ValueError
            np.broadcast_shapes(mask.shape, qs[:-1] + (ks[-2],))
        except ValueError:
            pytest.skip("this mask does not broadcast to these scores")
        mask = mask.astype(dtype) if mask.dtype != bool else mask
    np_dt = np.dtype(dtype)
    tq, tk, tv = (torch.tensor(a.astype(np_dt), requires_grad=True) for a in (q, k, v))
    pq, pk, pv = (pynet.tensor(a.astype(np_dt), requires_grad=True) for a in (q, k, v))
    tm = None if mask is None else torch.tensor(mask)
    pm = None if mask is None else pynet.tensor(mask)
    to = torch.nn.functional.scaled_dot_product_attention(tq, tk, tv, attn_mask=tm, **kw)
    po = F.scaled_dot_product_attention(pq, pk, pv, attn_mask=pm, **kw)
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == "float32" else dict(rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(to_np(po), to.detach().numpy(), **tol)
    g = rng.standard_normal(tuple(to.shape)).astype(np_dt)
    to.backward(torch.tensor(g))
    po.backward(pynet.tensor(g))
    for t, p in ((tq, pq), (tk, pk), (tv, pv)):
        np.testing.assert_allclose(to_np(p.grad), t.grad.numpy(), **tol)


def test_strided_inputs_match_contiguous_ones():
    rng = np.random.default_rng(3)
    base = pynet.tensor(rng.standard_normal((2, 6, 3, 4)))  # (B, L, heads, E) as after a linear
    q = base.transpose(1, 2)  # (B, heads, L, E), not contiguous
    k, v = q[:, :, ::2], q[:, :, 1::2]
    out = F.scaled_dot_product_attention(q, k, v)
    ref = F.scaled_dot_product_attention(q.contiguous(), k.contiguous(), v.contiguous())
    np.testing.assert_array_equal(to_np(out), to_np(ref))


@pytest.mark.parametrize("kw", [{}, {"is_causal": True}, {"mask": True}])
def test_gradcheck_float64(kw):
    rng = np.random.default_rng(4)
    q, k, v = (pynet.tensor(rng.standard_normal(s), requires_grad=True)
               for s in [(2, 3, 2), (2, 4, 2), (2, 4, 3)])
    mask = pynet.tensor(rng.random((3, 4)) > 0.3) if kw.get("mask") else None
    causal = kw.get("is_causal", False)
    assert gradcheck(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=mask,
                                                                    is_causal=causal),
                     (q, k, v))


def test_dropout_is_seeded_and_its_gradient_is_exact():
    rng = np.random.default_rng(5)
    q, k, v = (pynet.tensor(rng.standard_normal(s), requires_grad=True)
               for s in [(2, 3, 2), (2, 4, 2), (2, 4, 3)])

    def run(q, k, v):
        pynet.manual_seed(7)  # the same mask at every call: a deterministic function
        return F.scaled_dot_product_attention(q, k, v, dropout_p=0.4)

    a, b = run(q, k, v), run(q, k, v)
    np.testing.assert_array_equal(to_np(a), to_np(b))
    assert not np.allclose(to_np(a), to_np(F.scaled_dot_product_attention(q, k, v)))
    assert gradcheck(run, (q, k, v))


def test_dropout_keeps_the_expectation():
    pynet.manual_seed(0)
    q = pynet.zeros(1, 200, 4)  # uniform attention over 200 keys
    v = pynet.ones(1, 200, 1)
    out = F.scaled_dot_product_attention(q, q, v, dropout_p=0.3)
    assert abs(float(out.mean()) - 1.0) < 0.03
    assert float(F.scaled_dot_product_attention(q, q, v, dropout_p=1.0).abs().max()) == 0.0


def _heads(x, n):
    """(B, T, 3E) -> q, k, v of (B, n, T, E / n): views of x, as a GPT's attention cuts them."""
    B, T, E3 = x.shape
    return [t.reshape(B, T, n, E3 // 3 // n).transpose(1, 2) for t in x.chunk(3, -1)]


LAYOUTS = {  # q, k, v from one (B, T, 3E) tensor x, in layouts the kernel reads in place or not
    "heads of one projection": lambda x: _heads(x, 4),
    "last dim strided (copied)": lambda x: [t[..., ::2] for t in _heads(x, 2)],
    "rows transposed (copied)": lambda x: [t.transpose(-1, -2)[..., :5, :] for t in _heads(x, 4)],
    "batch dim expanded": lambda x: [t[:1].expand(3, -1, -1, -1) for t in _heads(x, 4)],
}


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("causal", [False, True])
def test_strided_values_and_gradients_are_the_contiguous_ones(layout, causal):
    # The kernel reads q, k, v and the output's gradient where they lie (rows apart by
    # their stride, each head at its own offset) and writes the output and the
    # gradients in the inputs' layout: the same bits as for contiguous copies.
    x0 = np.random.default_rng(4).standard_normal((3, 10, 72))
    g = np.random.default_rng(5).standard_normal((3, 4, 10, 10))
    runs = []
    for contiguous in (False, True):
        x = pynet.tensor(x0, requires_grad=True)
        q, k, v = LAYOUTS[layout](x)
        if contiguous:
            q, k, v = q.contiguous(), k.contiguous(), v.contiguous()
        out = F.scaled_dot_product_attention(q, k, v, is_causal=causal)
        gout = pynet.tensor(g[tuple(slice(0, n) for n in out.shape)].copy())
        out.backward(gout.transpose(1, 2).contiguous().transpose(1, 2))  # a strided gradient
        runs.append((to_np(out), to_np(x.grad)))
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    np.testing.assert_array_equal(runs[0][1], runs[1][1])
    assert np.abs(runs[0][1]).sum() > 0
    q, k, v = (t.detach().numpy() for t in LAYOUTS[layout](pynet.tensor(x0)))
    np.testing.assert_allclose(runs[0][0], reference(q, k, v, causal=causal), rtol=1e-12,
                               atol=1e-13)


def test_output_is_laid_out_as_the_query():
    x = pynet.randn(2, 5, 48)
    q, k, v = _heads(x, 4)
    out = F.scaled_dot_product_attention(q, k, v)
    assert out.transpose(1, 2).is_contiguous()  # (B, T, H, D) memory: merging heads is a view
    assert F.scaled_dot_product_attention(q.contiguous(), k, v).is_contiguous()
    # a value width other than the query's keeps the query's order of dims
    v3 = pynet.randn(2, 5, 4, 3).transpose(1, 2)
    out = F.scaled_dot_product_attention(q, k, v3)
    assert out.shape == (2, 4, 5, 3) and out.stride() == (60, 3, 12, 1)


def test_output_layout_matches_torch(need_torch):
    x = np.random.default_rng(5).standard_normal((2, 5, 48)).astype(np.float32)
    p = F.scaled_dot_product_attention(*_heads(pynet.tensor(x), 4), is_causal=True)
    t = torch.nn.functional.scaled_dot_product_attention(*_heads(torch.tensor(x), 4),
                                                         is_causal=True)
    assert p.stride() == t.stride()
    np.testing.assert_allclose(to_np(p), t.numpy(), rtol=1e-5, atol=1e-6)


def test_output_changed_in_place_makes_the_backward_raise():
    # The backward reads the saved output (as PyTorch's does): writing into it is refused.
    q = pynet.randn(2, 3, 4, 5, requires_grad=True)
    out = F.scaled_dot_product_attention(q, q, q)
    out.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("L,S", [(64, 64), (70, 70), (50, 90), (90, 50)])
def test_causal_gradients_over_several_row_blocks_match_the_composite_graph(dtype, L, S):
    # Causal rows go in blocks of 24 (each block computing only the keys its rows
    # see): the fused values and gradients must be those of the unfused graph
    # softmax(q k^T scale + causal mask) v, differentiated op by op.
    rng = np.random.default_rng(11)
    shapes = [(2, 3, L, 8), (2, 3, S, 8), (2, 3, S, 5)]
    arrays = [rng.standard_normal(s).astype(dtype) for s in shapes]
    g = pynet.tensor(rng.standard_normal((2, 3, L, 5)).astype(dtype))
    results = []
    for fused in (True, False):
        q, k, v = (pynet.tensor(a, requires_grad=True) for a in arrays)
        if fused:
            out = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:
            keep = pynet.tensor(np.tril(np.ones((L, S), bool)))
            s = (q @ k.transpose(-1, -2) / np.sqrt(8)).masked_fill(~keep, float("-inf"))
            out = pynet.softmax(s, -1) @ v
        out.backward(g)
        results.append([to_np(t) for t in (out, q.grad, k.grad, v.grad)])
    tol = dict(rtol=2e-5, atol=2e-6) if dtype == "float32" else dict(rtol=1e-11, atol=1e-12)
    for name, a, b in zip(("out", "dq", "dk", "dv"), *results):
        np.testing.assert_allclose(a, b, err_msg=name, **tol)


def test_bit_identical_at_one_and_two_threads():
    pynet.manual_seed(1)
    q = pynet.randn(4, 4, 100, 16, requires_grad=True)
    runs = []
    for n in (1, 2):
        pynet.set_num_threads(n)
        try:
            out = F.scaled_dot_product_attention(q, q * 0.5, q.flip(-1), is_causal=True)
            out.sum().backward()
            runs.append((to_np(out), to_np(q.grad)))
        finally:
            pynet.set_num_threads(2)
        q.grad = None
    for a, b in zip(*runs):
        np.testing.assert_array_equal(a, b)


def test_double_backward_says_it_is_not_supported():
    q = pynet.randn(2, 3, 4, requires_grad=True)
    (g,) = pynet.autograd.grad(F.scaled_dot_product_attention(q, q, q).sum(), q,
                               create_graph=True)
    with pytest.raises(NotImplementedError, match="scaled_dot_product_attention"):
        g.sum().backward()


BAD = [
    ("dtypes differ", lambda lib: lib.nn.functional.scaled_dot_product_attention(
        lib.zeros(2, 3, 4), lib.zeros(2, 3, 4, dtype=lib.float64), lib.zeros(2, 3, 4)),
     RuntimeError),
    ("mask and causal", lambda lib: lib.nn.functional.scaled_dot_product_attention(
        lib.zeros(2, 3, 4), lib.zeros(2, 3, 4), lib.zeros(2, 3, 4),
        attn_mask=lib.ones(3, 3, dtype=lib.bool), is_causal=True), RuntimeError),
    ("embed sizes differ", lambda lib: lib.nn.functional.scaled_dot_product_attention(
        lib.zeros(2, 3, 4), lib.zeros(2, 3, 5), lib.zeros(2, 3, 4)), RuntimeError),
    ("mask does not broadcast", lambda lib: lib.nn.functional.scaled_dot_product_attention(
        lib.zeros(2, 3, 4), lib.zeros(2, 5, 4), lib.zeros(2, 5, 4),
        attn_mask=lib.ones(3, 4, dtype=lib.bool)), RuntimeError),
]


@pytest.mark.parametrize("name,call,exc", BAD, ids=[b[0] for b in BAD])
def test_bad_calls_raise(name, call, exc):
    with pytest.raises(exc):
        call(pynet)


@pytest.mark.parametrize("name,call,exc", BAD, ids=[b[0] for b in BAD])
def test_bad_calls_raise_like_torch(need_torch, name, call, exc):
    with pytest.raises(exc):
        call(torch)


def test_enable_gqa_is_refused_clearly():
    x = pynet.zeros(2, 3, 4)
    with pytest.raises(NotImplementedError, match="enable_gqa"):
        F.scaled_dot_product_attention(x, x, x, enable_gqa=True)
