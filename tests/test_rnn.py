"""nn.RNN, nn.LSTM, nn.GRU, their cells and nn.utils.rnn (issue #12).

Against PyTorch (same state dict -> same outputs, final states and every gradient)
for each mode and option; against a NumPy step-by-step reference and gradcheck
in float64 without PyTorch; packed sequences; errors; threads.
"""
import numpy as np
import pytest

import pynet
from pynet import nn
from pynet.autograd import gradcheck
from pynet.nn.utils import rnn as prnn

from conftest import to_np, torch

MODES = ["RNN", "LSTM", "GRU"]


def pair(cls, *args, dtype="float64", **kw):
    """The same module in PyTorch and pynet, pynet's loaded from PyTorch's state dict."""
    tm = getattr(torch.nn, cls)(*args, **kw).to(getattr(torch, dtype))
    pm = getattr(nn, cls)(*args, **kw).to(getattr(pynet, dtype))
    pm.load_state_dict({k: pynet.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    return tm, pm


def leaf(a, lib):
    return (torch.tensor(a, requires_grad=True) if lib is torch
            else pynet.tensor(a, requires_grad=True))


def scalar_loss(out, hidden, lib):
    """A loss touching every output with different weights, so every gradient is exercised."""
    hs = hidden if isinstance(hidden, tuple) else (hidden,)
    total = (out.sin() * 1.5).sum()
    for k, h in enumerate(hs):
        total = total + (h.cos() * (k + 2)).sum()
    return total


def assert_same_run(tm, pm, tx, px, thx=None, phx=None, rtol=1e-9, atol=1e-12):
    to, th = tm(tx) if thx is None else tm(tx, thx)
    po, ph = pm(px) if phx is None else pm(px, phx)
    np.testing.assert_allclose(to_np(po), to.detach().numpy(), rtol=rtol, atol=atol)
    ths = th if isinstance(th, tuple) else (th,)
    phs = ph if isinstance(ph, tuple) else (ph,)
    for a, b in zip(ths, phs):
        np.testing.assert_allclose(to_np(b), a.detach().numpy(), rtol=rtol, atol=atol)
    scalar_loss(to, th, torch).backward()
    scalar_loss(po, ph, pynet).backward()
    np.testing.assert_allclose(to_np(px.grad), tx.grad.numpy(), rtol=rtol, atol=atol)
    for (tn, tp), (pn, pp) in zip(tm.named_parameters(), pm.named_parameters()):
        assert tn == pn
        np.testing.assert_allclose(to_np(pp.grad), tp.grad.numpy(), rtol=rtol, atol=atol,
                                   err_msg=tn)


CONFIGS = [dict(), dict(num_layers=2), dict(bidirectional=True), dict(batch_first=True),
           dict(bias=False), dict(num_layers=3, bidirectional=True, batch_first=True)]


@pytest.mark.parametrize("cls", MODES)
@pytest.mark.parametrize("kw", CONFIGS, ids=lambda k: "-".join(k) or "default")
def test_module_matches_torch_values_and_gradients(need_torch, cls, kw):
    torch.manual_seed(0)
    tm, pm = pair(cls, 5, 7, **kw)
    x = np.random.default_rng(1).standard_normal((4, 3, 5))
    assert_same_run(tm, pm, leaf(x, torch), leaf(x, pynet))


@pytest.mark.parametrize("kw", [dict(proj_size=3), dict(proj_size=2, num_layers=2,
                                                          bidirectional=True)])
def test_lstm_projection_matches_torch(need_torch, kw):
    torch.manual_seed(1)
    tm, pm = pair("LSTM", 4, 6, **kw)
    x = np.random.default_rng(2).standard_normal((5, 2, 4))
    assert_same_run(tm, pm, leaf(x, torch), leaf(x, pynet))
    assert pm.weight_hr_l0.shape == (kw["proj_size"], 6)


def test_rnn_relu_and_given_initial_state_match_torch(need_torch):
    torch.manual_seed(2)
    tm, pm = pair("RNN", 3, 4, num_layers=2, nonlinearity="relu", bidirectional=True)
    rng = np.random.default_rng(3)
    x, h = rng.standard_normal((6, 2, 3)), rng.standard_normal((4, 2, 4))
    assert_same_run(tm, pm, leaf(x, torch), leaf(x, pynet), leaf(h, torch), leaf(h, pynet))


@pytest.mark.parametrize("cls", ["LSTM", "GRU"])
def test_given_states_get_gradients_like_torch(need_torch, cls):
    torch.manual_seed(3)
    tm, pm = pair(cls, 3, 5, num_layers=2)
    rng = np.random.default_rng(4)
    x, h, c = (rng.standard_normal(s) for s in [(4, 2, 3), (2, 2, 5), (2, 2, 5)])
    th, ph = leaf(h, torch), leaf(h, pynet)
    tc, pc = leaf(c, torch), leaf(c, pynet)
    if cls == "LSTM":
        assert_same_run(tm, pm, leaf(x, torch), leaf(x, pynet), (th, tc), (ph, pc))
        np.testing.assert_allclose(to_np(pc.grad), tc.grad.numpy(), rtol=1e-9, atol=1e-12)
    else:
        assert_same_run(tm, pm, leaf(x, torch), leaf(x, pynet), th, ph)
    np.testing.assert_allclose(to_np(ph.grad), th.grad.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("cls", MODES)
@pytest.mark.parametrize("batch_first", [False, True])
def test_unbatched_input_matches_torch(need_torch, cls, batch_first):
    torch.manual_seed(4)
    tm, pm = pair(cls, 3, 4, batch_first=batch_first, bidirectional=True)
    x = np.random.default_rng(5).standard_normal((5, 3))
    to, th = tm(torch.tensor(x))
    po, ph = pm(pynet.tensor(x))
    assert tuple(po.shape) == tuple(to.shape) == (5, 8)
    np.testing.assert_allclose(to_np(po), to.detach().numpy(), rtol=1e-9, atol=1e-12)
    th, ph = (th[0], ph[0]) if cls == "LSTM" else (th, ph)
    assert tuple(ph.shape) == tuple(th.shape) == (2, 4)


@pytest.mark.parametrize("cls", MODES)
def test_float32_matches_torch(need_torch, cls):
    torch.manual_seed(5)
    tm, pm = pair(cls, 8, 16, num_layers=2, dtype="float32")
    x = np.random.default_rng(6).standard_normal((10, 4, 8)).astype(np.float32)
    assert_same_run(tm, pm, leaf(x, torch), leaf(x, pynet), rtol=2e-5, atol=2e-6)


# ------------------------------------------------------------------ cells ----

@pytest.mark.parametrize("cls,kw", [("RNNCell", {}), ("RNNCell", {"nonlinearity": "relu"}),
                                    ("LSTMCell", {}), ("GRUCell", {}), ("GRUCell", {"bias": False})])
@pytest.mark.parametrize("batched", [True, False])
def test_cells_match_torch(need_torch, cls, kw, batched):
    torch.manual_seed(6)
    tm, pm = pair(cls, 3, 5, **kw)
    rng = np.random.default_rng(7)
    xs = (3, 3) if batched else (3,)
    hs = (3, 5) if batched else (5,)
    x, h, c = rng.standard_normal(xs), rng.standard_normal(hs), rng.standard_normal(hs)
    tx, px, th, ph, tc, pc = (leaf(a, lib) for a in (x, h, c) for lib in (torch, pynet))
    if cls == "LSTMCell":
        tout, pout = tm(tx, (th, tc)), pm(px, (ph, pc))
    else:
        tout, pout = (tm(tx, th),), (pm(px, ph),)
    for a, b in zip(tout, pout):
        np.testing.assert_allclose(to_np(b), a.detach().numpy(), rtol=1e-9, atol=1e-12)
    sum(((o.tanh() * (k + 1)).sum() for k, o in enumerate(tout))).backward()
    sum(((o.tanh() * (k + 1)).sum() for k, o in enumerate(pout))).backward()
    for a, b in [(tx, px), (th, ph)] + ([(tc, pc)] if cls == "LSTMCell" else []):
        np.testing.assert_allclose(to_np(b.grad), a.grad.numpy(), rtol=1e-9, atol=1e-12)
    for (n, tp), (_, pp) in zip(tm.named_parameters(), pm.named_parameters()):
        np.testing.assert_allclose(to_np(pp.grad), tp.grad.numpy(), rtol=1e-9, atol=1e-12,
                                   err_msg=n)


def test_cell_without_state_starts_from_zeros():
    cell = nn.GRUCell(3, 4).double()
    x = pynet.randn(2, 3, dtype=pynet.float64)
    np.testing.assert_array_equal(to_np(cell(x)), to_np(cell(x, pynet.zeros(2, 4,
                                                                            dtype=pynet.float64))))
    h, c = nn.LSTMCell(3, 4)(x.float())
    assert tuple(h.shape) == tuple(c.shape) == (2, 4)


# ------------------------------------------------- NumPy reference, no torch ----

def _sig(v):
    return 1 / (1 + np.exp(-v))


def numpy_layer(mode, x, p, h, c):
    """One layer, one direction, step by step in NumPy: the textbook equations."""
    outs = []
    for xt in x:
        gx = xt @ p["weight_ih_l0"].T + p["bias_ih_l0"]
        gh = h @ p["weight_hh_l0"].T + p["bias_hh_l0"]
        if mode == "LSTM":
            i, f, g, o = np.split(gx + gh, 4, axis=-1)
            c = _sig(f) * c + _sig(i) * np.tanh(g)
            h = _sig(o) * np.tanh(c)
        elif mode == "GRU":
            xr, xz, xn = np.split(gx, 3, axis=-1)
            hr, hz, hn = np.split(gh, 3, axis=-1)
            r, z = _sig(xr + hr), _sig(xz + hz)
            h = (1 - z) * np.tanh(xn + r * hn) + z * h
        else:
            h = np.tanh(gx + gh)
        outs.append(h)
    return np.stack(outs), h, c


@pytest.mark.parametrize("cls", MODES)
def test_module_matches_numpy_equations(cls):
    pynet.manual_seed(0)
    m = getattr(nn, cls)(3, 4).double()
    p = {k: to_np(v) for k, v in m.state_dict().items()}
    rng = np.random.default_rng(8)
    x, h0, c0 = rng.standard_normal((6, 2, 3)), rng.standard_normal((2, 4)), \
        rng.standard_normal((2, 4))
    ry, rh, rc = numpy_layer(cls, x, p, h0, c0)
    hx = (pynet.tensor(h0[None]), pynet.tensor(c0[None])) if cls == "LSTM" \
        else pynet.tensor(h0[None])
    y, hn = m(pynet.tensor(x), hx)
    np.testing.assert_allclose(to_np(y), ry, rtol=1e-12, atol=1e-14)
    if cls == "LSTM":
        hn, cn = hn
        np.testing.assert_allclose(to_np(cn[0]), rc, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(to_np(hn[0]), rh, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("cls,kw", [("RNN", {"nonlinearity": "tanh"}), ("GRU", {}),
                                    ("LSTM", {}), ("LSTM", {"proj_size": 2}),
                                    ("GRU", {"bidirectional": True, "num_layers": 2})])
def test_gradcheck_float64(cls, kw):
    pynet.manual_seed(1)
    m = getattr(nn, cls)(2, 3, **kw).double()
    D = 2 if kw.get("bidirectional") else 1
    L = kw.get("num_layers", 1)
    x = pynet.randn(3, 2, 2, dtype=pynet.float64, requires_grad=True)
    h = pynet.randn(L * D, 2, kw.get("proj_size") or 3, dtype=pynet.float64, requires_grad=True)
    c = pynet.randn(L * D, 2, 3, dtype=pynet.float64, requires_grad=True)
    params = list(m.parameters())

    def run(x, h, c, *ps):
        out, hid = m(x, (h, c)) if cls == "LSTM" else m(x, h)
        hs = hid if isinstance(hid, tuple) else (hid,)
        return (out,) + hs

    assert gradcheck(run, (x, h, c) + tuple(params))


def test_packed_gradcheck_float64():
    pynet.manual_seed(2)
    m = nn.LSTM(2, 3, bidirectional=True).double()
    x = pynet.randn(4, 3, 2, dtype=pynet.float64, requires_grad=True)

    def run(x, *ps):
        packed = prnn.pack_padded_sequence(x, [2, 4, 1], enforce_sorted=False)
        out, (h, c) = m(packed)
        return prnn.pad_packed_sequence(out)[0], h, c

    assert gradcheck(run, (x,) + tuple(m.parameters()))


# ------------------------------------------------------- packed sequences ----

@pytest.mark.parametrize("cls", MODES)
@pytest.mark.parametrize("batch_first", [False, True])
def test_packed_sequences_match_torch(need_torch, cls, batch_first):
    import torch.nn.utils.rnn as trnn
    torch.manual_seed(7)
    tm, pm = pair(cls, 3, 4, num_layers=2, bidirectional=True, batch_first=batch_first)
    lengths = [3, 5, 1, 5, 2]  # with a tie: the packing order must match PyTorch's
    shape = (5, 5, 3)
    x = np.random.default_rng(9).standard_normal(shape)
    tx, px = leaf(x, torch), leaf(x, pynet)
    tp = trnn.pack_padded_sequence(tx, lengths, batch_first=batch_first, enforce_sorted=False)
    pp = prnn.pack_padded_sequence(px, lengths, batch_first=batch_first, enforce_sorted=False)
    assert to_np(pp.batch_sizes).tolist() == tp.batch_sizes.tolist()
    assert to_np(pp.sorted_indices).tolist() == tp.sorted_indices.tolist()
    assert to_np(pp.unsorted_indices).tolist() == tp.unsorted_indices.tolist()
    np.testing.assert_array_equal(to_np(pp.data), tp.data.detach().numpy())
    to, th = tm(tp)
    po, ph = pm(pp)
    to, tl = trnn.pad_packed_sequence(to, batch_first=batch_first, total_length=6)
    po, pl = prnn.pad_packed_sequence(po, batch_first=batch_first, total_length=6)
    assert to_np(pl).tolist() == tl.tolist() == lengths
    np.testing.assert_allclose(to_np(po), to.detach().numpy(), rtol=1e-9, atol=1e-12)
    scalar_loss(to, th, torch).backward()
    scalar_loss(po, ph, pynet).backward()
    np.testing.assert_allclose(to_np(px.grad), tx.grad.numpy(), rtol=1e-9, atol=1e-12)
    for (n, tp_), (_, pp_) in zip(tm.named_parameters(), pm.named_parameters()):
        np.testing.assert_allclose(to_np(pp_.grad), tp_.grad.numpy(), rtol=1e-9, atol=1e-12,
                                   err_msg=n)


def test_packed_final_state_is_each_sequences_last_step():
    pynet.manual_seed(3)
    m = nn.GRU(2, 3).double()
    x = pynet.randn(4, 3, 2, dtype=pynet.float64)
    lengths = [4, 2, 3]
    out, h = m(prnn.pack_padded_sequence(x, lengths, enforce_sorted=False))
    for b, n in enumerate(lengths):  # the same sequence run alone, unpadded
        _, hb = m(x[:n, b:b + 1])
        np.testing.assert_allclose(to_np(h[:, b]), to_np(hb[:, 0]), rtol=1e-12, atol=1e-14)
    padded, _ = prnn.pad_packed_sequence(out, padding_value=-7.0)
    assert (to_np(padded)[2:, 1] == -7.0).all() and (to_np(padded)[3:, 2] == -7.0).all()


def test_pad_sequence_and_pack_sequence_round_trip():
    seqs = [pynet.randn(n, 2) for n in (3, 1, 4)]
    padded = prnn.pad_sequence(seqs, batch_first=True, padding_value=9.0)
    assert tuple(padded.shape) == (3, 4, 2)
    assert (to_np(padded)[1, 1:] == 9.0).all()
    left = prnn.pad_sequence(seqs, padding_side="left")
    np.testing.assert_array_equal(to_np(left)[3, 1], to_np(seqs[1])[0])
    back = prnn.unpack_sequence(prnn.pack_sequence(seqs, enforce_sorted=False))
    for a, b in zip(back, seqs):
        np.testing.assert_array_equal(to_np(a), to_np(b))


@pytest.mark.parametrize("call,exc", [
    (lambda x: prnn.pack_padded_sequence(x, [1, 3]), RuntimeError),       # not sorted
    (lambda x: prnn.pack_padded_sequence(x, [3, 0]), RuntimeError),       # a zero length
    (lambda x: prnn.pack_padded_sequence(x, [3, 2, 1]), RuntimeError),    # wrong count
    (lambda x: prnn.pad_packed_sequence(prnn.pack_padded_sequence(x, [3, 2]), total_length=2),
     ValueError),
])
def test_packing_errors(call, exc):
    with pytest.raises(exc):
        call(pynet.randn(3, 2, 4))


def test_packing_error_types_match_torch(need_torch):
    import torch.nn.utils.rnn as trnn
    for lengths in ([1, 3], [3, 0]):
        with pytest.raises(RuntimeError):
            trnn.pack_padded_sequence(torch.randn(3, 2, 4), lengths)
        with pytest.raises(RuntimeError):
            prnn.pack_padded_sequence(pynet.randn(3, 2, 4), lengths)


# ------------------------------------------------------- names, errors ----

def test_parameter_names_and_shapes_are_torchs():
    m = nn.LSTM(3, 5, num_layers=2, bidirectional=True, proj_size=2)
    names = [n for n, _ in m.named_parameters()]
    expected = []
    for layer in range(2):
        for sfx in ("", "_reverse"):
            expected += [f"{n}_l{layer}{sfx}" for n in ("weight_ih", "weight_hh", "bias_ih",
                                                         "bias_hh", "weight_hr")]
    assert names == expected
    assert tuple(m.weight_ih_l0.shape) == (20, 3) and tuple(m.weight_ih_l1.shape) == (20, 4)
    assert tuple(m.weight_hh_l1_reverse.shape) == (20, 2)
    assert len(m.all_weights) == 4 and m.all_weights[1][0] is m.weight_ih_l0_reverse


def test_repr_matches_torchs_format():
    assert repr(nn.GRU(3, 4, num_layers=2, bidirectional=True)) == \
        "GRU(3, 4, num_layers=2, bidirectional=True)"
    assert repr(nn.LSTM(3, 4, batch_first=True, proj_size=2)) == \
        "LSTM(3, 4, proj_size=2, batch_first=True)"
    assert repr(nn.RNNCell(3, 4, nonlinearity="relu")) == "RNNCell(3, 4, nonlinearity=relu)"


def test_initialisation_is_uniform_in_the_hidden_bound():
    m = nn.LSTM(10, 25)
    bound = 1 / 5
    for p in m.parameters():
        v = to_np(p)
        assert v.min() >= -bound and v.max() <= bound and v.std() > bound / 3


BAD_CALLS = [
    ("LSTM input 4-D", lambda lib: getattr(lib.nn, "LSTM")(3, 4)(lib.zeros(1, 2, 3, 3)),
     ValueError, "Expected input to be 2D or 3D"),
    ("GRU feature size", lambda lib: lib.nn.GRU(3, 4)(lib.zeros(5, 2, 6)), RuntimeError,
     "Expected 3, got 6"),
    ("RNN hidden size", lambda lib: lib.nn.RNN(3, 4)(lib.zeros(5, 2, 3), lib.zeros(1, 2, 5)),
     RuntimeError, "Expected hidden size (1, 2, 4), got [1, 2, 5]"),
    ("LSTM cell state size", lambda lib: lib.nn.LSTM(3, 4)(
        lib.zeros(5, 2, 3), (lib.zeros(1, 2, 4), lib.zeros(1, 3, 4))), RuntimeError,
     "Expected hidden[1] size (1, 2, 4), got [1, 3, 4]"),
    ("batched input 2-D hidden", lambda lib: lib.nn.GRU(3, 4)(lib.zeros(5, 2, 3),
                                                              lib.zeros(2, 4)),
     RuntimeError, "hx should also be 3-D"),
    ("input dtype", lambda lib: lib.nn.GRU(3, 4)(lib.zeros(5, 2, 3, dtype=lib.float64)),
     ValueError, "does not match weight dtype"),
    ("cell input size", lambda lib: lib.nn.GRUCell(3, 4)(lib.zeros(2, 5)), RuntimeError,
     "input has inconsistent input_size: got 5 expected 3"),
    ("cell hidden size", lambda lib: lib.nn.RNNCell(3, 4)(lib.zeros(2, 3), lib.zeros(2, 5)),
     RuntimeError, "hidden0 has inconsistent hidden_size: got 5, expected 4"),
    ("cell 3-D input", lambda lib: lib.nn.LSTMCell(3, 4)(lib.zeros(1, 2, 3)), ValueError,
     "Expected input to be 1D or 2D"),
    ("proj_size too big", lambda lib: lib.nn.LSTM(3, 4, proj_size=4), ValueError,
     "proj_size has to be smaller than hidden_size"),
    ("proj_size on GRU", lambda lib: lib.nn.GRU(3, 4, proj_size=2), ValueError,
     "only supported for LSTM"),
    ("bad nonlinearity", lambda lib: lib.nn.RNN(3, 4, nonlinearity="gelu"), ValueError,
     "Unknown nonlinearity"),
    ("dropout out of range", lambda lib: lib.nn.LSTM(3, 4, dropout=1.5), ValueError,
     "dropout should be a number in range [0, 1]"),
]


@pytest.mark.parametrize("name,call,exc,msg", BAD_CALLS, ids=[c[0] for c in BAD_CALLS])
def test_bad_calls_raise_with_a_message(name, call, exc, msg):
    with pytest.raises(exc) as info:
        call(pynet)
    assert msg in str(info.value)


@pytest.mark.parametrize("name,call,exc,msg", BAD_CALLS, ids=[c[0] for c in BAD_CALLS])
def test_bad_calls_raise_like_torch(need_torch, name, call, exc, msg):
    with pytest.raises(exc):
        call(torch)


def test_rnn_layer_op_checks_its_arguments():
    x, w = pynet.zeros(2, 3, 8), pynet.zeros(8, 2)
    with pytest.raises(RuntimeError, match="h0 must be"):
        pynet._C._rnn_layer(2, x, w, None, pynet.zeros(4, 2), pynet.zeros(3, 2), None, None,
                            False)
    bs = pynet.tensor([2, 3])
    with pytest.raises(RuntimeError, match="non-increasing"):
        pynet._C._rnn_layer(3, pynet.zeros(5, 6), pynet.zeros(6, 2), None, pynet.zeros(2, 2),
                            None, None, bs, False)


def test_double_backward_through_an_lstm_says_it_is_not_supported():
    m = nn.LSTM(2, 3)
    x = pynet.randn(4, 1, 2, requires_grad=True)
    out, _ = m(x)
    (g,) = pynet.autograd.grad(out.sum(), x, create_graph=True)
    with pytest.raises(NotImplementedError, match="double backward"):
        g.sum().backward()


def test_dropout_between_layers_only_in_training():
    pynet.manual_seed(4)
    m = nn.LSTM(3, 4, num_layers=2, dropout=0.5)
    x = pynet.randn(5, 2, 3)
    m.eval()
    a, _ = m(x)
    b, _ = m(x)
    np.testing.assert_array_equal(to_np(a), to_np(b))
    m.dropout = 0.0
    c, _ = m(x)
    np.testing.assert_array_equal(to_np(a), to_np(c))  # eval: dropout never applies
    m.train()
    m.dropout = 0.5
    d, _ = m(x)
    assert not np.allclose(to_np(d), to_np(a))


def _same_bits_at_one_and_two_threads(m, x, run):
    """run(m, x) -> the outputs to compare (Tensors), then the gradients of x and of
    m's parameters from its returned loss: all bit-identical at 1 and 2 threads."""
    runs = []
    for n in (1, 2):
        pynet.set_num_threads(n)
        try:
            loss, outs = run(m, x)
            loss.backward()
            runs.append([to_np(o) for o in outs] + [to_np(x.grad)] +
                        [to_np(p.grad) for p in m.parameters()])
        finally:
            pynet.set_num_threads(2)
        x.grad = None
        m.zero_grad()
    for a, b in zip(*runs):
        np.testing.assert_array_equal(a, b)


# From a batch of 16 on, each thread runs the whole recurrence on a share of the batch
# rows (rnn.c's forward_rows): batch 16 is cut 8 + 8 and 40 is cut 20 + 20 at two
# threads (a wrong row offset in the second part would differ from the one-thread run).
@pytest.mark.parametrize("make,batch", [
    (lambda: nn.LSTM(32, 64, num_layers=2), 16),
    (lambda: nn.LSTM(32, 128, num_layers=2), 40),
    (lambda: nn.LSTM(32, 128, proj_size=48), 40),
    (lambda: nn.GRU(32, 128, bidirectional=True), 40),
    (lambda: nn.RNN(32, 128), 40),
    (lambda: nn.RNN(32, 128, nonlinearity="relu"), 40),
], ids=["lstm-small", "lstm", "lstm-proj", "gru-bidir", "rnn-tanh", "rnn-relu"])
def test_results_are_bit_identical_at_one_and_two_threads(make, batch):
    pynet.manual_seed(5)

    def run(m, x):
        out, h = m(x)
        h = h[0] if isinstance(h, tuple) else h
        return out.sum() + h.sum(), [out]
    _same_bits_at_one_and_two_threads(make(), pynet.randn(12, batch, 32, requires_grad=True), run)


# Packed sequences split by rows: the parts' rows end at different steps (the first
# part's rows are the longest), forward and reverse.
@pytest.mark.parametrize("cls", ["LSTM", "GRU"])
def test_packed_sequences_are_bit_identical_at_one_and_two_threads(cls):
    pynet.manual_seed(6)
    lengths = [9, 1, 7, 3, 9, 5, 2, 8, 4, 6, 9, 1, 2, 7, 3, 5, 6, 8, 4, 9]

    def run(m, x):
        out, h = m(prnn.pack_padded_sequence(x, lengths, enforce_sorted=False))
        h = h[0] if isinstance(h, tuple) else h
        pad, _ = prnn.pad_packed_sequence(out)
        return (pad * pad).sum() + h.sum(), [pad, h]
    m = getattr(nn, cls)(8, 24, bidirectional=True)
    _same_bits_at_one_and_two_threads(m, pynet.randn(9, len(lengths), 8, requires_grad=True), run)


def test_clip_grad_norm_on_an_lstm_stack_matches_torch(need_torch):
    torch.manual_seed(8)
    tm, pm = pair("LSTM", 4, 6, num_layers=3, dtype="float32")
    x = np.random.default_rng(10).standard_normal((7, 2, 4)).astype(np.float32)
    (tm(torch.tensor(x))[0] ** 2).sum().backward()
    (pm(pynet.tensor(x))[0] ** 2).sum().backward()
    tn = torch.nn.utils.clip_grad_norm_(tm.parameters(), 0.5)
    pn = nn.utils.clip_grad_norm_(pm.parameters(), 0.5)
    np.testing.assert_allclose(float(pn), float(tn), rtol=1e-5)
    for tp, pp in zip(tm.parameters(), pm.parameters()):
        np.testing.assert_allclose(to_np(pp.grad), tp.grad.numpy(), rtol=1e-4, atol=1e-6)
