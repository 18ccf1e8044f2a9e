"""nn.MultiheadAttention and the Transformer modules (issue #12): same state dict as
PyTorch -> same outputs, attention weights and gradients; masks; names; errors."""
import numpy as np
import pytest

import pynet
from pynet import nn
from pynet.autograd import gradcheck

from conftest import to_np, torch

# torch.nn.Transformer warns that its nested-tensor fast path is off (batch_first=False)
pytestmark = pytest.mark.filterwarnings("ignore:enable_nested_tensor")


def pair(cls, *args, **kw):
    tm = getattr(torch.nn, cls)(*args, **kw).double()
    pm = getattr(nn, cls)(*args, **kw).double()
    sd = tm.state_dict()
    assert list(sd) == list(pm.state_dict())  # PyTorch's names, in PyTorch's order
    pm.load_state_dict({k: pynet.tensor(v.detach().numpy()) for k, v in sd.items()})
    return tm, pm


def close(p, t, tol=1e-10):
    np.testing.assert_allclose(to_np(p), t.detach().numpy(), rtol=tol, atol=tol)


MHA_CONFIGS = [dict(), dict(batch_first=True), dict(add_bias_kv=True), dict(add_zero_attn=True),
               dict(kdim=5, vdim=3), dict(bias=False)]


@pytest.mark.parametrize("kw", MHA_CONFIGS, ids=lambda k: "-".join(k) or "default")
@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("masks", ["none", "bool", "float"])
def test_multihead_attention_matches_torch(need_torch, kw, need_weights, masks):
    torch.manual_seed(0)
    tm, pm = pair("MultiheadAttention", 8, 2, **kw)
    rng = np.random.default_rng(1)
    L, S, N = 4, 6, 3
    q = rng.standard_normal((L, N, 8))
    k = rng.standard_normal((S, N, kw.get("kdim", 8)))
    v = rng.standard_normal((S, N, kw.get("vdim", 8)))
    if kw.get("batch_first"):
        q, k, v = (a.swapaxes(0, 1) for a in (q, k, v))
    t_in = [torch.tensor(a, requires_grad=True) for a in (q, k, v)]
    p_in = [pynet.tensor(a, requires_grad=True) for a in (q, k, v)]
    tkw, pkw = {}, {}
    if masks != "none":
        kpm, am = rng.random((N, S)) > 0.6, rng.random((L, S)) > 0.7
        kpm[:, 0] = am[:, 0] = False  # no query row loses every key (PyTorch gives NaN there)
        if masks == "float":
            kpm, am = np.where(kpm, -1e9, 0.0), rng.standard_normal((L, S))
        tkw = dict(key_padding_mask=torch.tensor(kpm), attn_mask=torch.tensor(am))
        pkw = dict(key_padding_mask=pynet.tensor(kpm), attn_mask=pynet.tensor(am))
    to, tw = tm(*t_in, need_weights=need_weights, **tkw)
    po, pw = pm(*p_in, need_weights=need_weights, **pkw)
    close(po, to)
    if need_weights:
        close(pw, tw)
    else:
        assert pw is None
    to.sin().sum().backward()
    po.sin().sum().backward()
    for t, p in zip(t_in, p_in):
        close(p.grad, t.grad)
    for (n, tp), (_, pp) in zip(tm.named_parameters(), pm.named_parameters()):
        close(pp.grad, tp.grad)


def test_attention_weights_per_head_and_unbatched(need_torch):
    torch.manual_seed(1)
    tm, pm = pair("MultiheadAttention", 6, 3)
    x = np.random.default_rng(2).standard_normal((5, 6))
    to, tw = tm(*(torch.tensor(x),) * 3, average_attn_weights=False)
    po, pw = pm(*(pynet.tensor(x),) * 3, average_attn_weights=False)
    assert tuple(pw.shape) == tuple(tw.shape) == (3, 5, 5)
    close(po, to)
    close(pw, tw)


def test_attention_weights_are_a_distribution_without_torch():
    pynet.manual_seed(3)
    m = nn.MultiheadAttention(8, 4)
    x = pynet.randn(7, 2, 8)
    mask = nn.Transformer.generate_square_subsequent_mask(7)
    out, w = m(x, x, x, attn_mask=mask)
    w = to_np(w)
    assert tuple(out.shape) == (7, 2, 8) and w.shape == (2, 7, 7)
    np.testing.assert_allclose(w.sum(-1), 1.0, rtol=1e-6)
    assert (w[:, np.triu_indices(7, 1)[0], np.triu_indices(7, 1)[1]] == 0).all()  # causal
    # the fused path (need_weights=False) gives the same output
    out2, none = m(x, x, x, attn_mask=mask, need_weights=False)
    assert none is None
    np.testing.assert_allclose(to_np(out2), to_np(out), rtol=1e-5, atol=1e-6)


def test_multihead_attention_gradcheck():
    pynet.manual_seed(4)
    m = nn.MultiheadAttention(4, 2, add_bias_kv=True).double()
    q = pynet.randn(3, 2, 4, dtype=pynet.float64, requires_grad=True)
    kv = pynet.randn(5, 2, 4, dtype=pynet.float64, requires_grad=True)
    assert gradcheck(lambda q, kv: m(q, kv, kv, need_weights=False)[0], (q, kv))


ENC_CONFIGS = [dict(), dict(norm_first=True, activation="gelu", batch_first=True),
               dict(bias=False)]


@pytest.mark.parametrize("kw", ENC_CONFIGS, ids=lambda k: "-".join(k) or "default")
def test_encoder_and_decoder_layers_match_torch(need_torch, kw):
    torch.manual_seed(5)
    rng = np.random.default_rng(6)
    x = rng.standard_normal((5, 3, 8))
    mem = rng.standard_normal((5, 4, 8) if kw.get("batch_first") else (4, 3, 8))
    T = x.shape[1] if kw.get("batch_first") else x.shape[0]
    tmask = torch.nn.Transformer.generate_square_subsequent_mask(T).double()
    pmask = nn.Transformer.generate_square_subsequent_mask(T, dtype=pynet.float64)
    np.testing.assert_array_equal(to_np(pmask), tmask.numpy())
    for cls in ("TransformerEncoderLayer", "TransformerDecoderLayer"):
        tm, pm = pair(cls, 8, 2, 16, dropout=0.0, **kw)
        tx, px = torch.tensor(x, requires_grad=True), pynet.tensor(x, requires_grad=True)
        if cls == "TransformerEncoderLayer":
            to = tm(tx, src_mask=tmask, is_causal=True)
            po = pm(px, src_mask=pmask, is_causal=True)
        else:
            to = tm(tx, torch.tensor(mem), tgt_mask=tmask)
            po = pm(px, pynet.tensor(mem), tgt_mask=pmask)
        close(po, to)
        to.sin().sum().backward()
        po.sin().sum().backward()
        close(px.grad, tx.grad)
        for (n, tp), (_, pp) in zip(tm.named_parameters(), pm.named_parameters()):
            close(pp.grad, tp.grad)


def test_transformer_matches_torch(need_torch):
    torch.manual_seed(7)
    tm, pm = pair("Transformer", 8, 2, 2, 2, 16, dropout=0.0)
    rng = np.random.default_rng(8)
    s, t = rng.standard_normal((5, 3, 8)), rng.standard_normal((4, 3, 8))
    kpm = rng.random((3, 5)) > 0.7
    kpm[:, 0] = False
    ts, tt = torch.tensor(s, requires_grad=True), torch.tensor(t, requires_grad=True)
    ps, pt = pynet.tensor(s, requires_grad=True), pynet.tensor(t, requires_grad=True)
    to = tm(ts, tt, tgt_mask=torch.nn.Transformer.generate_square_subsequent_mask(4).double(),
            src_key_padding_mask=torch.tensor(kpm), memory_key_padding_mask=torch.tensor(kpm))
    po = pm(ps, pt, tgt_mask=nn.Transformer.generate_square_subsequent_mask(
        4, dtype=pynet.float64), src_key_padding_mask=pynet.tensor(kpm),
        memory_key_padding_mask=pynet.tensor(kpm))
    close(po, to)
    to.sin().sum().backward()
    po.sin().sum().backward()
    close(ps.grad, ts.grad)
    close(pt.grad, tt.grad)


def test_encoder_layers_are_independent_copies():
    layer = nn.TransformerEncoderLayer(8, 2, 16)
    enc = nn.TransformerEncoder(layer, 3, norm=nn.LayerNorm(8))
    ws = [lay.linear1.weight for lay in enc.layers]
    assert len({id(w) for w in ws}) == 3 and ws[0] is not layer.linear1.weight
    np.testing.assert_array_equal(to_np(ws[0]), to_np(ws[2]))  # copies of one layer
    assert len(list(enc.parameters())) == 3 * len(list(layer.parameters())) + 2


def test_transformer_initialisation_is_xavier_uniform():
    pynet.manual_seed(9)
    m = nn.Transformer(16, 2, 1, 1, 32)
    w = to_np(m.encoder.layers[0].linear1.weight)  # (32, 16)
    bound = np.sqrt(6 / (16 + 32))
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.8 * bound


BAD = [
    ("heads do not divide", lambda lib: lib.nn.MultiheadAttention(6, 4), AssertionError),
    ("embedding size", lambda lib: lib.nn.MultiheadAttention(8, 2)(
        *(lib.zeros(3, 2, 6),) * 3), AssertionError),
    ("attn_mask shape", lambda lib: lib.nn.MultiheadAttention(8, 2)(
        *(lib.zeros(3, 2, 8),) * 3, attn_mask=lib.zeros(3, 4)), RuntimeError),
    ("key_padding_mask shape", lambda lib: lib.nn.MultiheadAttention(8, 2)(
        *(lib.zeros(3, 2, 8),) * 3, key_padding_mask=lib.zeros(2, 4, dtype=lib.bool)),
     AssertionError),
    ("is_causal without a mask", lambda lib: lib.nn.MultiheadAttention(8, 2)(
        *(lib.zeros(3, 2, 8),) * 3, is_causal=True), RuntimeError),
    ("bad activation", lambda lib: lib.nn.TransformerEncoderLayer(8, 2, activation="tanh"),
     RuntimeError),
    ("src/tgt batch", lambda lib: lib.nn.Transformer(8, 2, 1, 1, 16)(
        lib.zeros(3, 2, 8), lib.zeros(3, 4, 8)), RuntimeError),
]


@pytest.mark.parametrize("name,call,exc", BAD, ids=[b[0] for b in BAD])
def test_bad_calls_raise(name, call, exc):
    with pytest.raises(exc):
        call(pynet)


@pytest.mark.parametrize("name,call,exc", BAD, ids=[b[0] for b in BAD])
def test_bad_calls_raise_like_torch(need_torch, name, call, exc):
    with pytest.raises(exc):
        call(torch)
