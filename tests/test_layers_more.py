"""nn layers added together: ParameterList/ParameterDict, padding modules, instance/RMS/local
response normalisation, pixel and channel shuffles, bilinear, the dropout family, in-place
activations, LP pooling, max unpooling and gumbel_softmax. NumPy references and gradchecks
always run; the torch comparisons skip per test without it."""
import warnings

import numpy as np
import pytest

import pynet
import pynet.nn as nn
import pynet.nn.functional as F
from conftest import P, T, check, gc, raises_like, to_np

RNG = np.random.default_rng(7)


def rand(*shape, dtype=np.float64):
    return RNG.standard_normal(shape).astype(dtype)


# ------------------------------------------------------------- ParameterList / Dict

def test_parameter_list_registers_and_wraps():
    pl = nn.ParameterList([nn.Parameter(pynet.ones(2)), pynet.zeros(3, dtype=pynet.float64)])
    pl.append(pynet.ones(1))
    pl.extend([pynet.ones(4)])
    assert len(pl) == 4
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in pl)
    assert list(pl.state_dict().keys()) == ["0", "1", "2", "3"]
    assert [tuple(p.shape) for p in pl.parameters()] == [(2,), (3,), (1,), (4,)]
    assert pl[-1] is pl[3] and pl[1].dtype == pynet.float64
    assert [tuple(p.shape) for p in pl[1:3]] == [(3,), (1,)]
    pl[0] = pynet.full((5,), 2.0)
    assert isinstance(pl[0], nn.Parameter) and pl[0].tolist() == [2.0] * 5
    with pytest.raises(IndexError):
        pl[4]
    with pytest.raises(TypeError):
        pl.extend(pynet.ones(2))
    model = nn.Module()
    model.plist = pl
    assert "plist.3" in model.state_dict()
    assert repr(pl).splitlines()[1] == "    (0): Parameter containing: [pynet.float32 of size 5]"


def test_parameter_list_keeps_other_objects_out_of_parameters():
    pl = nn.ParameterList([pynet.ones(2), 5])
    assert pl[1] == 5 and len(pl) == 2
    assert list(pl.state_dict()) == ["0"]
    assert "Object of type: int" in repr(pl)


def test_parameter_dict_behaves_like_torch():
    pd = nn.ParameterDict({"b": pynet.ones(1), "a": pynet.ones(2)})
    assert list(pd.keys()) == ["a", "b"]  # a plain dict is taken in sorted order
    pd.update([("z", pynet.zeros(3)), ("c", nn.Parameter(pynet.ones(1)))])
    assert list(pd) == ["a", "b", "z", "c"]
    assert isinstance(pd["z"], nn.Parameter) and "c" in pd and len(pd) == 4
    assert list(pd.state_dict()) == ["a", "b", "z", "c"]
    assert [k for k, _ in pd.items()] == list(pd.keys())
    assert pd.pop("b").shape == (1,) and "b" not in pd and "b" not in pd.state_dict()
    assert pd.get("nope") is None
    assert pd.setdefault("d", pynet.ones(2)).shape == (2,)
    assert pd.popitem()[0] == "d"
    del pd["a"]
    assert list(pd.keys()) == ["z", "c"]
    assert len(list(pd.parameters())) == 2
    with pytest.raises(TypeError):
        pd[1] = pynet.ones(1)
    with pytest.raises(TypeError):
        pd.update(5)
    with pytest.raises(ValueError):
        pd.update([("k", 1, 2)])
    assert repr(nn.ParameterDict({"w": pynet.ones(2)})) == \
        "ParameterDict(  (w): Parameter containing: [pynet.FloatTensor of size 2])"
    pd.clear()
    assert len(pd) == 0 and not list(pd.parameters())


def test_parameter_dict_or_and_copy():
    a = nn.ParameterDict({"x": pynet.ones(1)})
    b = a | {"y": pynet.zeros(1)}
    assert list(b) == ["x", "y"] and b["x"] is a["x"] and list(a) == ["x"]
    c = a.copy()
    assert c["x"] is a["x"] and c is not a


# ------------------------------------------------------------------------ padding

PAD_CASES = [("ZeroPad1d", ((1, 2),)), ("ZeroPad2d", ((1, 0, 2, 1),)), ("ZeroPad2d", (1,)),
             ("ConstantPad1d", (2, -1.5)), ("ConstantPad2d", ((0, 1, 2, 0), 3.0)),
             ("ReflectionPad1d", ((2, 1),)), ("ReflectionPad2d", ((1, 2, 2, 1),)),
             ("ReplicationPad1d", (3,)), ("ReplicationPad2d", ((0, 3, 1, 2),)),
             ("CircularPad1d", ((1, 2),)), ("CircularPad2d", ((2, 1, 1, 3),))]


@pytest.mark.parametrize("name,args", PAD_CASES)
def test_padding_modules_match_torch(need_torch, name, args):
    x = rand(2, 3, 4, 5) if name.endswith("2d") else rand(2, 3, 5)
    m, tm = getattr(nn, name)(*args), getattr(need_torch.nn, name)(*args)
    check(m(P(x)), tm(T(x)))
    check(m(P(x[0])), tm(T(x[0])))  # unbatched
    assert repr(m) == repr(tm) and m.padding == tm.padding


def test_padding_modules_by_hand_and_gradient():
    x = np.arange(1.0, 4.0).reshape(1, 1, 3)
    check(nn.ReflectionPad1d(2)(P(x)), np.array([[[3, 2, 1, 2, 3, 2, 1]]], float))
    check(nn.ReplicationPad1d((1, 2))(P(x)), np.array([[[1, 1, 2, 3, 3, 3]]], float))
    check(nn.CircularPad1d((1, 1))(P(x)), np.array([[[3, 1, 2, 3, 1]]], float))
    check(nn.ConstantPad1d((1, 0), 7.0)(P(x)), np.array([[[7, 1, 2, 3]]], float))
    assert gc(nn.ReflectionPad2d((1, 2, 2, 1)), rand(1, 2, 3, 4))
    assert gc(nn.CircularPad2d(1), rand(2, 3, 3))
    with pytest.raises(ValueError):
        nn.CircularPad1d(1)(pynet.ones(1, 1, 1, 3))
    with pytest.raises(RuntimeError):
        nn.ReflectionPad1d(3)(pynet.ones(1, 1, 3))


# ------------------------------------------------------------------ normalisation

def np_instance_norm(x, w=None, b=None, eps=1e-5):
    axes = tuple(range(2, x.ndim))
    y = (x - x.mean(axes, keepdims=True)) / np.sqrt(x.var(axes, keepdims=True) + eps)
    shape = (1, -1) + (1,) * (x.ndim - 2)
    if w is not None:
        y = y * w.reshape(shape)
    if b is not None:
        y = y + b.reshape(shape)
    return y


def test_instance_norm_reference_and_running_stats():
    x, w, b = rand(3, 4, 5), rand(4), rand(4)
    rm, rv = pynet.zeros(4, dtype=pynet.float64), pynet.ones(4, dtype=pynet.float64)
    y = F.instance_norm(P(x), rm, rv, P(w), P(b), momentum=0.3)
    check(y, np_instance_norm(x, w, b), rtol=1e-10, atol=1e-12)
    # running stats: momentum towards the batch mean of per-instance means / unbiased vars
    check(rm, 0.7 * 0 + 0.3 * x.mean(2).mean(0), rtol=1e-10, atol=1e-12)
    check(rv, 0.7 * 1 + 0.3 * x.var(2, ddof=1).mean(0), rtol=1e-10)
    # use_input_stats=False: the running statistics normalise
    y = F.instance_norm(P(x), rm, rv, use_input_stats=False, eps=0.0)
    check(y, (x - to_np(rm)[:, None]) / np.sqrt(to_np(rv)[:, None]), rtol=1e-10, atol=1e-12)
    assert gc(lambda a, g, h: F.instance_norm(a, weight=g, bias=h), rand(2, 3, 4, 2), rand(3),
              rand(3))


def test_instance_norm_errors(need_torch):
    th = need_torch
    for shape in [(2, 3, 1), (2, 3), (3,)]:
        raises_like(lambda: F.instance_norm(pynet.ones(shape)),
                    lambda: th.nn.functional.instance_norm(th.ones(shape)), ValueError)
    raises_like(lambda: F.instance_norm(pynet.ones(2, 3, 4), use_input_stats=False),
                lambda: th.nn.functional.instance_norm(th.ones(2, 3, 4), use_input_stats=False))
    raises_like(lambda: F.instance_norm(pynet.ones(2, 3, 4), weight=pynet.ones(2)),
                lambda: th.nn.functional.instance_norm(th.ones(2, 3, 4), weight=th.ones(2)))
    raises_like(lambda: nn.InstanceNorm1d(3)(pynet.ones(3)),
                lambda: th.nn.InstanceNorm1d(3)(th.ones(3)))
    raises_like(lambda: nn.InstanceNorm2d(3, affine=True)(pynet.ones(2, 4, 5, 5)),
                lambda: th.nn.InstanceNorm2d(3, affine=True)(th.ones(2, 4, 5, 5)))


@pytest.mark.parametrize("cls,shape", [("InstanceNorm1d", (3, 4, 6)), ("InstanceNorm2d",
                                                                       (2, 4, 3, 5))])
def test_instance_norm_modules_match_torch(need_torch, cls, shape):
    th = need_torch
    x = rand(*shape, dtype=np.float32)
    m = getattr(nn, cls)(4, momentum=0.2, affine=True, track_running_stats=True)
    tm = getattr(th.nn, cls)(4, momentum=0.2, affine=True, track_running_stats=True)
    with pynet.no_grad():
        m.weight.copy_(P(rand(4, dtype=np.float32)))
    tm.weight.data = T(to_np(m.weight))
    xp, xt = P(x).requires_grad_(), T(x).requires_grad_()
    yp, yt = m(xp), tm(xt)
    check(yp, yt, rtol=1e-4, atol=1e-5)
    (yp * P(x)).sum().backward()
    (yt * T(x)).sum().backward()
    check(xp.grad, xt.grad, rtol=1e-3, atol=1e-4)
    check(m.weight.grad, tm.weight.grad, rtol=1e-3, atol=1e-4)
    check(m.running_mean, tm.running_mean, atol=1e-6)
    check(m.running_var, tm.running_var, rtol=1e-5)
    assert list(m.state_dict()) == list(tm.state_dict()) and repr(m) == repr(tm)
    m.eval()
    tm.eval()
    check(m(P(x)), tm(T(x)), rtol=1e-4, atol=1e-5)
    check(m(P(x[0])), tm(T(x[0])), rtol=1e-4, atol=1e-5)  # unbatched, running stats
    # without tracking, eval still uses the instance statistics
    plain = getattr(nn, cls)(4).eval()
    check(plain(P(x)), np_instance_norm(x.astype(np.float64)).astype(np.float32), atol=1e-5)
    assert not list(plain.state_dict()) and plain.weight is None


def test_batch_norm3d():
    x = rand(2, 3, 2, 3, 2, dtype=np.float32)
    m = nn.BatchNorm3d(3)
    y = m(P(x))
    axes = (0, 2, 3, 4)
    ref = (x - x.mean(axes, keepdims=True)) / np.sqrt(x.var(axes, keepdims=True) + 1e-5)
    check(y, ref, rtol=1e-4, atol=1e-5)
    check(m.running_mean, 0.1 * x.mean(axes), rtol=1e-4, atol=1e-6)
    with pytest.raises(ValueError):
        m(pynet.ones(2, 3, 4, 4))


def test_rms_norm_reference_default_eps_and_errors(need_torch):
    th = need_torch
    x, w = rand(2, 3, 4), rand(3, 4)
    ref = x / np.sqrt((x ** 2).mean((1, 2), keepdims=True) + 1e-3) * w
    check(F.rms_norm(P(x), (3, 4), P(w), 1e-3), ref, rtol=1e-10)
    tiny = np.full((2, 2), 1e-5, np.float32)  # mean square 1e-10: eps = finfo.eps matters
    check(F.rms_norm(P(tiny), [2]), th.nn.functional.rms_norm(T(tiny), [2]), rtol=1e-5)
    check(F.rms_norm(P(tiny.astype(np.float64)), [2]),
          th.nn.functional.rms_norm(T(tiny.astype(np.float64)), [2]), rtol=1e-12)
    assert gc(lambda a, b: F.rms_norm(a, [4], b), rand(3, 4), rand(4))
    raises_like(lambda: F.rms_norm(pynet.ones(2, 3), (2,)),
                lambda: th.nn.functional.rms_norm(th.ones(2, 3), (2,)))
    raises_like(lambda: F.rms_norm(pynet.ones(2, 3), (3,), pynet.ones(2)),
                lambda: th.nn.functional.rms_norm(th.ones(2, 3), (3,), th.ones(2)))
    raises_like(lambda: F.rms_norm(pynet.ones(2, 3), 3),
                lambda: th.nn.functional.rms_norm(th.ones(2, 3), 3))
    m, tm = nn.RMSNorm([3, 4]), th.nn.RMSNorm([3, 4])
    assert repr(m) == repr(tm) and list(m.state_dict()) == list(tm.state_dict())
    check(m(P(x.astype(np.float32))), tm(T(x.astype(np.float32))), rtol=1e-5)


def np_lrn(x, size, alpha, beta, k):
    c = x.shape[1]
    sq = np.zeros_like(x)
    for ch in range(c):
        lo, hi = max(0, ch - size // 2), min(c, ch + (size - 1) // 2 + 1)
        sq[:, ch] = (x[:, lo:hi] ** 2).sum(1)
    return x / (k + alpha / size * sq) ** beta


@pytest.mark.parametrize("size", [1, 2, 3, 6])
def test_local_response_norm(size):
    x = rand(2, 5, 3, 2)
    check(F.local_response_norm(P(x), size, 0.5, 0.9, 2.0), np_lrn(x, size, 0.5, 0.9, 2.0),
          rtol=1e-10)
    check(nn.LocalResponseNorm(size, 0.5, 0.9, 2.0)(P(x[:, :, 0])),
          np_lrn(x[:, :, 0], size, 0.5, 0.9, 2.0), rtol=1e-10)
    assert gc(lambda a: F.local_response_norm(a, size, 0.5, 0.75, 1.0), rand(1, 4, 3))


def test_local_response_norm_torch_and_errors(need_torch):
    th = need_torch
    x = rand(2, 5, 2, 3, 2)
    check(F.local_response_norm(P(x), 3), th.nn.functional.local_response_norm(T(x), 3),
          rtol=1e-10)
    raises_like(lambda: F.local_response_norm(pynet.ones(2, 3), 2),
                lambda: th.nn.functional.local_response_norm(th.ones(2, 3), 2))
    assert F.local_response_norm(pynet.ones(0, 3, 4), 2).shape == (0, 3, 4)
    assert repr(nn.LocalResponseNorm(2)) == repr(th.nn.LocalResponseNorm(2))


# ------------------------------------------------------------- shuffles, bilinear

def test_pixel_shuffle_by_hand_and_round_trip():
    x = np.arange(8.0).reshape(1, 4, 1, 2)  # four channels -> one 2x4 image
    ref = np.array([[[[0, 2, 1, 3], [4, 6, 5, 7]]]], float)
    check(F.pixel_shuffle(P(x), 2), ref)
    check(F.pixel_unshuffle(P(ref), 2), x)
    y = rand(2, 3, 9, 2, 4)  # extra batch dims
    check(F.pixel_unshuffle(F.pixel_shuffle(P(y), 3), 3), y)
    check(F.channel_shuffle(P(np.arange(6.0).reshape(1, 6, 1)), 2),
          np.array([0, 3, 1, 4, 2, 5], float).reshape(1, 6, 1))
    weights = P(rand(1, 1, 4, 6))
    assert gc(lambda a: F.pixel_shuffle(a, 2) * weights, rand(1, 4, 2, 3))
    assert nn.PixelShuffle(2)(P(x)).shape == (1, 1, 2, 4)
    assert nn.PixelUnshuffle(2)(P(ref)).shape == (1, 4, 1, 2)
    assert nn.ChannelShuffle(3)(pynet.ones(2, 6, 2)).shape == (2, 6, 2)


def test_shuffles_match_torch(need_torch):
    th = need_torch
    x = rand(2, 8, 4, 6)
    check(F.pixel_shuffle(P(x), 2), th.nn.functional.pixel_shuffle(T(x), 2))
    check(F.pixel_unshuffle(P(x), 2), th.nn.functional.pixel_unshuffle(T(x), 2))
    check(F.channel_shuffle(P(x), 4), th.nn.functional.channel_shuffle(T(x), 4))
    fp, ft = F, th.nn.functional
    for call in [lambda f, o: f.pixel_shuffle(o.ones(5, 4), 2),
                 lambda f, o: f.pixel_shuffle(o.ones(5, 4, 2), 2),
                 lambda f, o: f.pixel_shuffle(o.ones(8, 4, 2), 0),
                 lambda f, o: f.pixel_unshuffle(o.ones(2, 3, 5, 4), 2),
                 lambda f, o: f.channel_shuffle(o.ones(2, 6, 4), 4),
                 lambda f, o: f.channel_shuffle(o.ones(2, 6), 3),
                 lambda f, o: f.channel_shuffle(o.ones(2, 6, 3), 0)]:
        raises_like(lambda: call(fp, pynet), lambda: call(ft, th))
    for name, arg in [("PixelShuffle", 2), ("PixelUnshuffle", 3), ("ChannelShuffle", 2)]:
        assert repr(getattr(nn, name)(arg)) == repr(getattr(th.nn, name)(arg))


def test_bilinear_reference_and_gradient():
    a, b, w, bias = rand(4, 3), rand(4, 2), rand(5, 3, 2), rand(5)
    check(F.bilinear(P(a), P(b), P(w), P(bias)), np.einsum("ni,kij,nj->nk", a, w, b) + bias,
          rtol=1e-10)
    check(F.bilinear(P(a[0]), P(b[0]), P(w)), np.einsum("i,kij,j->k", a[0], w, b[0]),
          rtol=1e-10)
    assert gc(F.bilinear, rand(2, 3, 3), rand(2, 3, 2), rand(4, 3, 2), rand(4))
    m = nn.Bilinear(9, 3, 2)
    assert m.weight.shape == (2, 9, 3) and m.bias.shape == (2,)
    assert float(m.weight.abs().max()) <= 1 / 3 and float(m.bias.abs().max()) <= 1 / 3
    assert float(m.weight.abs().max()) > 0.2  # uniform over the whole bound
    assert m(pynet.ones(7, 9), pynet.ones(7, 3)).shape == (7, 2)
    assert nn.Bilinear(2, 3, 4, bias=False).bias is None


def test_bilinear_matches_torch(need_torch):
    th = need_torch
    a, b, w, bias = rand(3, 2, 3), rand(3, 2, 4), rand(5, 3, 4), rand(5)
    pa, pb, pw, pbias = (P(v).requires_grad_() for v in (a, b, w, bias))
    ta, tb, tw, tbias = (T(v).requires_grad_() for v in (a, b, w, bias))
    yp, yt = F.bilinear(pa, pb, pw, pbias), th.nn.functional.bilinear(ta, tb, tw, tbias)
    check(yp, yt, rtol=1e-10)
    yp.pow(2).sum().backward()
    yt.pow(2).sum().backward()
    for gp, gt in ((pa, ta), (pb, tb), (pw, tw), (pbias, tbias)):
        check(gp.grad, gt.grad, rtol=1e-9)
    for args in [((2, 3), (3, 4), (5, 3, 4), None), ((2, 3), (2, 4), (5, 3, 3), None),
                 ((2, 3), (2, 4), (5, 3, 4), (4,))]:
        raises_like(lambda: F.bilinear(*[None if s is None else pynet.ones(s) for s in args]),
                    lambda: th.nn.functional.bilinear(*[None if s is None else th.ones(s)
                                                        for s in args]))
    assert repr(nn.Bilinear(2, 3, 4)) == repr(th.nn.Bilinear(2, 3, 4))


# ------------------------------------------------------------------------ dropout

def test_alpha_dropout_statistics_and_identity():
    pynet.manual_seed(0)
    x = pynet.randn(200000, dtype=pynet.float64)
    y = F.alpha_dropout(x, 0.3, training=True)
    v = to_np(y)
    assert abs(v.mean()) < 0.02 and abs(v.var() - 1) < 0.03  # zero mean, unit variance kept
    p, alpha = 0.3, 1.7580993408473766
    a = ((1 - p) * (1 + p * alpha ** 2)) ** -0.5
    dropped = np.isclose(v, -a * alpha + a * alpha * p)
    assert abs(dropped.mean() - p) < 0.01
    np.testing.assert_allclose(v[~dropped], a * to_np(x)[~dropped] + a * alpha * p, rtol=1e-12)
    assert F.alpha_dropout(x, 0.3) is x  # training=False by default
    assert F.alpha_dropout(x, 0.0, True) is x
    assert to_np(F.alpha_dropout(x[:10], 1.0, True)).tolist() == [0.0] * 10
    with pytest.raises(ValueError):
        F.alpha_dropout(x, 1.5, True)
    m = nn.AlphaDropout(0.3).eval()
    assert m(x) is x


def test_feature_alpha_dropout_whole_channels():
    pynet.manual_seed(1)
    x = pynet.randn(400, 300, 20, dtype=pynet.float64)
    y = to_np(F.feature_alpha_dropout(x, 0.4, training=True))
    assert abs(y.mean()) < 0.02 and abs(y.var() - 1) < 0.03
    p, alpha = 0.4, 1.7580993408473766
    a = ((1 - p) * (1 + p * alpha ** 2)) ** -0.5
    dropped = np.isclose(y, -a * alpha + a * alpha * p).all(-1)  # whole channels at once
    kept = np.isclose(y, a * to_np(x) + a * alpha * p).all(-1)
    assert (dropped ^ kept).all() and abs(dropped.mean() - p) < 0.01
    with pytest.raises(RuntimeError):
        F.feature_alpha_dropout(pynet.ones(3), 0.5, True)
    assert nn.FeatureAlphaDropout(0.4).train()(pynet.ones(2, 3)).shape == (2, 3)


@pytest.mark.parametrize("fn,shape", [(F.dropout1d, (60, 50, 7)), (F.dropout1d, (500, 7)),
                                      (F.dropout3d, (40, 50, 2, 3, 2)),
                                      (F.dropout3d, (500, 2, 3, 2))])
def test_channel_dropout_zeroes_whole_channels(fn, shape):
    pynet.manual_seed(2)
    y = to_np(fn(pynet.ones(shape, dtype=pynet.float64), 0.25, True))
    channels = y.reshape(-1, int(np.prod(shape[-1 if fn is F.dropout1d else -3:])))
    assert set(np.unique(channels)) == {0.0, 1 / 0.75}
    assert (channels.min(1) == channels.max(1)).all()
    assert abs((channels[:, 0] == 0).mean() - 0.25) < 0.03
    x = pynet.ones(shape)
    assert fn(x, 0.25, False) is x and fn(x, 0.0, True) is x
    with pytest.raises(ValueError):
        fn(x, -0.1, True)


def test_channel_dropout_inplace_and_gradient():
    pynet.manual_seed(3)
    x = pynet.ones(4, 6, 5, requires_grad=True)
    h = x * 1.0
    out = F.dropout1d(h, 0.5, True, inplace=True)
    assert out is h
    out.sum().backward()
    g = to_np(x.grad)
    np.testing.assert_array_equal(g, to_np(out.detach()))  # gradient = the mask itself
    m = nn.Dropout3d(0.5, inplace=True)
    assert repr(m) == "Dropout3d(p=0.5, inplace=True)"


def test_dropout_family_errors(need_torch):
    th = need_torch
    raises_like(lambda: F.dropout1d(pynet.ones(2, 3, 4, 5)),
                lambda: th.nn.functional.dropout1d(th.ones(2, 3, 4, 5)))
    raises_like(lambda: F.dropout1d(pynet.ones(3)), lambda: th.nn.functional.dropout1d(
        th.ones(3)))
    raises_like(lambda: nn.Dropout1d(1.5), lambda: th.nn.Dropout1d(1.5))
    with pytest.warns(UserWarning, match="dropout3d"):
        assert F.dropout3d(pynet.ones(2, 3, 4), 0.5, True).shape == (2, 3, 4)
    for name in ("AlphaDropout", "FeatureAlphaDropout", "Dropout1d", "Dropout3d"):
        assert repr(getattr(nn, name)(0.2)) == repr(getattr(th.nn, name)(0.2))


# ------------------------------------------------------------ in-place activations

INPLACE = [("elu_", "elu", (0.7,)), ("leaky_relu_", "leaky_relu", (0.2,)),
           ("hardtanh_", "hardtanh", (-0.5, 0.8)), ("selu_", "selu", ()),
           ("celu_", "celu", (1.5,)), ("rrelu_", "rrelu", (0.1, 0.3)),
           ("threshold_", "threshold", (0.1, -2.0))]


@pytest.mark.parametrize("name,base,args", INPLACE)
def test_inplace_activations(need_torch, name, base, args):
    th = need_torch
    x = np.array([-2.0, -0.4, 0.05, 0.3, 1.5])
    xp, xt = P(x).requires_grad_(), T(x).requires_grad_()
    hp, ht = xp * 1.0, xt * 1.0
    out = getattr(F, name)(hp, *args)
    getattr(th.nn.functional, name)(ht, *args)
    assert out is hp
    check(hp, ht, rtol=1e-12)
    check(hp, getattr(F, base)(P(x), *args), rtol=1e-12)
    (hp * P(x)).sum().backward()
    (ht * T(x)).sum().backward()
    check(xp.grad, xt.grad, rtol=1e-12)
    leaf = pynet.ones(2, requires_grad=True)
    raises_like(lambda: getattr(F, name)(leaf, *args),
                lambda: getattr(th.nn.functional, name)(th.ones(2, requires_grad=True), *args))


# ----------------------------------------------------------------- LP pool, unpool

def test_lp_pool_reference():
    x = np.abs(rand(2, 3, 4, 6)) + 0.1
    ref = (x.reshape(2, 3, 2, 2, 2, 3) ** 3).sum((3, 5)) ** (1 / 3)
    check(F.lp_pool2d(P(x), 3, (2, 3)), ref, rtol=1e-10)
    ref1 = np.sqrt((x[0].reshape(3, 4, 3, 2) ** 2).sum(-1))
    check(F.lp_pool1d(P(x[0]), 2, 2), ref1, rtol=1e-10)
    check(nn.LPPool1d(2, 2)(P(x[0])), ref1, rtol=1e-10)
    check(nn.LPPool2d(1, 2, stride=1)(P(x)), F.avg_pool2d(P(x), 2, 1) * 4, rtol=1e-10)
    assert gc(lambda a: F.lp_pool2d(a, 2, 2, 1), np.abs(rand(1, 2, 3, 3)) + 0.5)
    assert gc(lambda a: F.lp_pool1d(a, 3, 2), np.abs(rand(2, 5)) + 0.5)


def test_lp_pool_matches_torch(need_torch):
    th = need_torch
    x = rand(2, 3, 5, 7)
    for p in (1, 2, 4.0):
        check(F.lp_pool2d(P(x), p, (2, 3), 1, True),
              th.nn.functional.lp_pool2d(T(x), p, (2, 3), 1, True), rtol=1e-10)
        check(F.lp_pool1d(P(x[0]), p, 3, 2), th.nn.functional.lp_pool1d(T(x[0]), p, 3, 2),
              rtol=1e-10)
    assert repr(nn.LPPool2d(2, (2, 3), 1)) == repr(th.nn.LPPool2d(2, (2, 3), 1))


def test_max_unpool_inverts_max_pool():
    x = np.abs(rand(2, 3, 4, 6)) + 0.1  # positive, so the zeros never outrank a maximum
    y, idx = F.max_pool2d(P(x), 2, return_indices=True)
    up = to_np(F.max_unpool2d(y, idx, 2))
    assert up.shape == x.shape
    kept = up != 0
    np.testing.assert_array_equal(up[kept], x[kept])
    assert kept.reshape(2, 3, 2, 2, 3, 2).sum((3, 5)).tolist() == [[[[1] * 3] * 2] * 3] * 2
    check(F.max_pool2d(P(up), 2), to_np(y))  # the maxima sit where they came from
    y1, idx1 = F.max_pool1d(P(x[0]), 3, 2, 1, return_indices=True)
    up1 = F.max_unpool1d(y1, idx1, 3, 2, 1, output_size=[6])
    assert up1.shape == (3, 4, 6)
    mod = nn.MaxUnpool2d(2)
    check(mod(y, idx), up)
    assert gc(lambda a: F.max_unpool2d(a, idx, 2), to_np(y))
    # (non-overlapping windows: a value picked by two windows would be scattered twice)
    y2, idx2 = F.max_pool1d(P(x[0]), 2, return_indices=True)
    assert gc(lambda a: nn.MaxUnpool1d(2)(a, idx2, (3, 4, 6)), to_np(y2))


def test_max_unpool_matches_torch(need_torch):
    th = need_torch
    x = rand(2, 3, 5, 7)
    yp, ip = F.max_pool2d(P(x), 2, return_indices=True)
    yt, it = th.nn.functional.max_pool2d(T(x), 2, return_indices=True)
    check(F.max_unpool2d(yp, ip, 2, output_size=(5, 7)),
          th.nn.functional.max_unpool2d(yt, it, 2, output_size=(5, 7)))
    check(F.max_unpool2d(yp[0], ip[0], 2, output_size=(2, 3, 5, 6)),
          th.nn.functional.max_unpool2d(yt[0], it[0], 2, output_size=(2, 3, 5, 6)))
    yp, ip = F.max_pool1d(P(x[0]), 3, 2, 1, return_indices=True)
    yt, it = th.nn.functional.max_pool1d(T(x[0]), 3, 2, 1, return_indices=True)
    check(F.max_unpool1d(yp, ip, 3, 2, 1), th.nn.functional.max_unpool1d(yt, it, 3, 2, 1))
    yp, ip = F.max_pool2d(P(x), 2, return_indices=True)
    yt, it = th.nn.functional.max_pool2d(T(x), 2, return_indices=True)
    fp, ft = F.max_unpool2d, th.nn.functional.max_unpool2d
    raises_like(lambda: fp(yp, ip, 2), lambda: ft(yt, it, 2))  # index 17 past 4x6
    raises_like(lambda: fp(yp, ip, 2, output_size=(9, 7)),
                lambda: ft(yt, it, 2, output_size=(9, 7)))
    raises_like(lambda: fp(yp, ip, 2, output_size=(5,)), lambda: ft(yt, it, 2, output_size=(5,)))
    raises_like(lambda: fp(yp, ip[:1], 2), lambda: ft(yt, it[:1], 2))
    raises_like(lambda: fp(yp, ip.double(), 2), lambda: ft(yt, it.double(), 2))
    raises_like(lambda: fp(yp[0, 0], ip[0, 0], 2), lambda: ft(yt[0, 0], it[0, 0], 2))
    for name, args in [("MaxUnpool2d", (2,)), ("MaxUnpool1d", (2, 1, 1))]:
        assert repr(getattr(nn, name)(*args)) == repr(getattr(th.nn, name)(*args))


# ----------------------------------------------------------------- gumbel_softmax

def test_gumbel_softmax_soft_and_hard():
    pynet.manual_seed(4)
    logits = P(np.log(np.array([[0.1, 0.6, 0.3]] * 20000)))
    soft = F.gumbel_softmax(logits, tau=0.5)
    np.testing.assert_allclose(to_np(soft).sum(-1), 1.0, rtol=1e-12)
    hard = F.gumbel_softmax(logits, hard=True)
    h = to_np(hard)
    assert set(np.unique(h)) == {0.0, 1.0} and (h.sum(-1) == 1).all()
    # sampling argmax(logits + Gumbel) picks class i with probability softmax(logits)_i
    np.testing.assert_allclose(h.mean(0), [0.1, 0.6, 0.3], atol=0.015)
    # straight-through: the gradient is the soft sample's
    lg = pynet.tensor([[1.0, 2.0, 0.5, -1.0]], requires_grad=True)
    pynet.manual_seed(5)
    y_hard = F.gumbel_softmax(lg, tau=2.0, hard=True)
    (y_hard * pynet.arange(4.0)).sum().backward()
    g_hard = to_np(lg.grad)
    lg.grad = None
    pynet.manual_seed(5)
    y_soft = F.gumbel_softmax(lg, tau=2.0)
    (y_soft * pynet.arange(4.0)).sum().backward()
    np.testing.assert_allclose(g_hard, to_np(lg.grad), rtol=1e-6)
    assert int(to_np(y_hard).argmax()) == int(to_np(y_soft).argmax())
    assert F.gumbel_softmax(pynet.zeros(3, 2), dim=0).shape == (3, 2)
    with pytest.warns(UserWarning, match="eps"):
        F.gumbel_softmax(pynet.zeros(2), eps=1e-3)


def test_new_modules_are_exported():
    names = ["ParameterList", "ParameterDict", "ZeroPad1d", "CircularPad2d", "InstanceNorm1d",
             "InstanceNorm2d", "RMSNorm", "LocalResponseNorm", "BatchNorm3d", "PixelShuffle",
             "PixelUnshuffle", "ChannelShuffle", "Bilinear", "AlphaDropout",
             "FeatureAlphaDropout", "Dropout1d", "Dropout3d", "LPPool1d", "LPPool2d",
             "MaxUnpool1d", "MaxUnpool2d"]
    for n in names:
        cls = getattr(nn, n)
        assert issubclass(cls, nn.Module) and cls.__doc__, n
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert callable(F.instance_norm) and callable(F.gumbel_softmax)


# ------------------------------------------------------------------ embedding_bag

def np_bags(idx, w, bounds, mode, psw=None, padding_idx=None):
    out = np.zeros((len(bounds), w.shape[1]))
    for b, (s, e) in enumerate(bounds):
        keep = [j for j in range(s, e) if idx[j] != padding_idx]
        if not keep:
            continue
        rows = w[[idx[j] for j in keep]]
        if psw is not None:
            rows = rows * np.asarray(psw)[keep][:, None]
        out[b] = {"sum": rows.sum(0), "mean": rows.mean(0), "max": rows.max(0)}[mode]
    return out


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_reference_and_gradient(mode):
    w = rand(6, 3)
    idx = [1, 2, 4, 5, 4, 3, 0]
    for offsets, last, pad in [([0, 2, 2, 5], False, None), ([0, 3, 7], True, 4),
                               ([0, 0], False, None)]:
        ends = offsets[1:] if last else offsets[1:] + [len(idx)]
        bounds = list(zip(offsets[:len(ends)], ends))
        out = F.embedding_bag(pynet.tensor(idx), P(w), pynet.tensor(offsets), mode=mode,
                              include_last_offset=last, padding_idx=pad)
        check(out, np_bags(idx, w, bounds, mode, padding_idx=pad), rtol=1e-12)
    idx2 = pynet.tensor([[0, 2, 2], [5, 1, 3]])  # 2-D: fixed-length bags
    check(F.embedding_bag(idx2, P(w), mode=mode),
          np_bags([0, 2, 2, 5, 1, 3], w, [(0, 3), (3, 6)], mode), rtol=1e-12)
    assert gc(lambda a: F.embedding_bag(pynet.tensor([1, 2, 4, 1, 0]), a,
                                        pynet.tensor([0, 2, 2]), mode=mode), w)
    m = nn.EmbeddingBag(6, 3, mode=mode)
    check(m(idx2), np_bags([0, 2, 2, 5, 1, 3], to_np(m.weight), [(0, 3), (3, 6)],
                           mode).astype(np.float32), rtol=1e-6)


def test_embedding_bag_per_sample_weights():
    w, psw = rand(5, 2), rand(6)
    idx = [0, 1, 1, 4, 2, 3]
    out = F.embedding_bag(pynet.tensor(idx), P(w), pynet.tensor([0, 4]), mode="sum",
                          per_sample_weights=P(psw))
    check(out, np_bags(idx, w, [(0, 4), (4, 6)], "sum", psw), rtol=1e-12)
    assert gc(lambda a, b: F.embedding_bag(pynet.tensor(idx).reshape(2, 3), a, mode="sum",
                                           per_sample_weights=b), w, psw.reshape(2, 3))
    with pytest.raises(NotImplementedError):
        F.embedding_bag(pynet.tensor(idx), P(w), pynet.tensor([0]), mode="mean",
                        per_sample_weights=P(psw))
    with pytest.raises(NotImplementedError):
        F.embedding_bag(pynet.tensor(idx), P(w), pynet.tensor([0]), max_norm=1.0)


def test_embedding_bag_matches_torch(need_torch):
    th = need_torch
    w = rand(7, 3)
    idx, offsets = [1, 2, 4, 5, 4, 3, 6, 1], [0, 3, 3, 5]
    for mode in ("sum", "mean", "max"):
        wp, wt = P(w).requires_grad_(), T(w).requires_grad_()
        yp = F.embedding_bag(pynet.tensor(idx), wp, pynet.tensor(offsets), mode=mode,
                             padding_idx=-3)
        yt = th.nn.functional.embedding_bag(th.tensor(idx), wt, th.tensor(offsets), mode=mode,
                                            padding_idx=-3)
        check(yp, yt, rtol=1e-12)
        (yp * P(np.arange(12.0).reshape(4, 3))).sum().backward()
        (yt * T(np.arange(12.0).reshape(4, 3))).sum().backward()
        check(wp.grad, wt.grad, rtol=1e-12)
    fp, ft = F.embedding_bag, th.nn.functional.embedding_bag
    i_p, i_t, w_p, w_t = pynet.tensor(idx), th.tensor(idx), P(w), T(w)
    for kw in [dict(offsets=[1, 2]), dict(offsets=[0, 9]), dict(offsets=None),
               dict(offsets=[0, 1], mode="foo"), dict(offsets=[0], padding_idx=7),
               dict(offsets=[0], per_sample_weights=np.ones(5), mode="sum")]:
        kp, kt = dict(kw), dict(kw)
        for key in ("offsets", "per_sample_weights"):
            if kw.get(key) is not None:
                kp[key], kt[key] = P(np.asarray(kw[key])), T(np.asarray(kw[key]))
        raises_like(lambda: fp(i_p, w_p, **kp), lambda: ft(i_t, w_t, **kt))
    raises_like(lambda: fp(i_p + 3, w_p, pynet.tensor([0])),
                lambda: ft(i_t + 3, w_t, th.tensor([0])))
    raises_like(lambda: fp(i_p.reshape(2, 4), w_p, pynet.tensor([0])),
                lambda: ft(i_t.reshape(2, 4), w_t, th.tensor([0])))
    raises_like(lambda: fp(i_p.reshape(1, 2, 4), w_p), lambda: ft(i_t.reshape(1, 2, 4), w_t))
    for kw in [dict(), dict(mode="max", padding_idx=1), dict(mode="sum")]:
        assert repr(nn.EmbeddingBag(5, 3, **kw)) == repr(th.nn.EmbeddingBag(5, 3, **kw))
    bag = nn.EmbeddingBag(5, 3, padding_idx=1)
    assert to_np(bag.weight)[1].tolist() == [0.0] * 3
    pre = nn.EmbeddingBag.from_pretrained(P(w), mode="sum")
    assert not pre.weight.requires_grad and pre.mode == "sum"


EMPTY_CASES = {
    "instance_norm": lambda L: L.nn.functional.instance_norm(L.ones(0, 3, 4)),
    "rms_norm": lambda L: L.nn.functional.rms_norm(L.ones(0, 3), [3]),
    "pixel_shuffle": lambda L: L.nn.functional.pixel_shuffle(L.ones(0, 4, 2, 2), 2),
    "channel_shuffle": lambda L: L.nn.functional.channel_shuffle(L.ones(0, 4, 2), 2),
    "bilinear": lambda L: L.nn.functional.bilinear(L.ones(0, 3), L.ones(0, 2), L.ones(4, 3, 2)),
    "alpha_dropout": lambda L: L.nn.functional.alpha_dropout(L.ones(0, 3), 0.5, True),
    "dropout1d": lambda L: L.nn.functional.dropout1d(L.ones(0, 3, 2), 0.5, True),
    "dropout3d": lambda L: L.nn.functional.dropout3d(L.ones(0, 3, 2, 2, 2), 0.5, True),
    "max_unpool2d": lambda L: L.nn.functional.max_unpool2d(
        L.ones(0, 3, 2, 2), L.zeros(0, 3, 2, 2, dtype=L.int64), 2),
    "gumbel_softmax": lambda L: L.nn.functional.gumbel_softmax(L.ones(0, 3), hard=True),
    "embedding_bag_2d": lambda L: L.nn.functional.embedding_bag(
        L.zeros(0, 3, dtype=L.int64), L.ones(4, 2), mode="max"),
    "embedding_bag_no_offsets": lambda L: L.nn.functional.embedding_bag(
        L.zeros(3, dtype=L.int64), L.ones(4, 2), L.zeros(0, dtype=L.int64)),
}


@pytest.mark.parametrize("name", sorted(EMPTY_CASES))
def test_empty_batches_match_torch(need_torch, name):
    got, want = EMPTY_CASES[name](pynet), EMPTY_CASES[name](need_torch)
    check(got, want)
