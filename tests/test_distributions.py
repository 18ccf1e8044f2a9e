"""pynet.distributions: Normal, Bernoulli, Categorical, Uniform, Exponential, Laplace,
OneHotCategorical, Independent and kl_divergence / register_kl.

References: NumPy formulas and gradcheck in float64 (always run); PyTorch's values,
gradients, shapes and validation errors on the same parameters (skipped per test without
torch); seeded sample statistics (10^5 draws, means and variances within a few standard
errors); rsample's pathwise gradients against their closed forms.
"""
import math

import numpy as np
import pytest

import pynet
import pynet.distributions as D
from pynet.distributions import constraints

from conftest import gc, raises_like

RNG = np.random.default_rng(1234)


def _params(name, batch, rng):
    """NumPy parameters (a dict of constructor kwargs) of a distribution with a batch shape,
    and values inside its support of shape (2,) + batch + event."""
    if name in ("Normal", "Laplace"):
        p = {"loc": rng.standard_normal(batch), "scale": rng.random(batch) + 0.5}
        v = rng.standard_normal((2,) + batch)
    elif name == "Uniform":
        low = rng.standard_normal(batch)
        p = {"low": low, "high": low + rng.random(batch) + 0.5}
        v = low + rng.random((2,) + batch) * 0.5
    elif name == "Exponential":
        p = {"rate": rng.random(batch) + 0.5}
        v = rng.random((2,) + batch) * 3
    elif name in ("Bernoulli", "BernoulliLogits"):
        p = ({"probs": rng.random(batch) * 0.8 + 0.1} if name == "Bernoulli"
             else {"logits": rng.standard_normal(batch)})
        v = (rng.random((2,) + batch) < 0.5).astype(np.float64)
    elif name in ("Categorical", "CategoricalLogits"):
        k = 4
        p = ({"probs": rng.random(batch + (k,)) + 0.1} if name == "Categorical"
             else {"logits": rng.standard_normal(batch + (k,))})
        v = rng.integers(0, k, (2,) + batch)
    else:  # OneHotCategorical
        k = 4
        p = {"probs": rng.random(batch + (k,)) + 0.1}
        v = np.eye(k)[rng.integers(0, k, (2,) + batch)]
    return p, v


NAMES = ["Normal", "Laplace", "Uniform", "Exponential", "Bernoulli", "BernoulliLogits",
         "Categorical", "CategoricalLogits", "OneHotCategorical"]
CONTINUOUS = ["Normal", "Laplace", "Uniform", "Exponential"]


def _cls(mod, name):
    return getattr(mod, name.replace("Logits", ""))


def _build(mod, name, params, dtype, requires_grad=False):
    """The distribution of module mod (pynet.distributions or torch.distributions) on
    tensors holding params (its leaves returned too)."""
    lib = pynet if mod is D else __import__("torch")
    leaves = {k: lib.tensor(np.asarray(v, dtype=dtype), requires_grad=requires_grad)
              for k, v in params.items()}
    return _cls(mod, name)(**leaves), leaves


def _vt(lib, name, v, dtype):
    """A value tensor: int64 category indices for Categorical, else of dtype."""
    if name.startswith("Categorical"):
        return lib.tensor(np.asarray(v, dtype=np.int64))
    return lib.tensor(np.asarray(v, dtype=dtype))


def _np(t):
    return t.detach().numpy()


# ------------------------------------------------------------------ values vs torch

@pytest.mark.parametrize("batch", [(), (3,), (2, 3)], ids=str)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", NAMES)
def test_values_and_gradients_like_torch(name, dtype, batch, need_torch):
    params, v = _params(name, batch, np.random.default_rng(len(batch)))
    pd, pl = _build(D, name, params, dtype, requires_grad=True)
    td, tl = _build(need_torch.distributions, name, params, dtype, requires_grad=True)
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == "float32" else dict(rtol=1e-10, atol=1e-12)
    assert pd.batch_shape == tuple(td.batch_shape) and pd.event_shape == tuple(td.event_shape)
    for attr in ("mean", "variance", "stddev", "mode"):
        np.testing.assert_allclose(_np(getattr(pd, attr)), _np(getattr(td, attr)), **tol)
        assert str(getattr(pd, attr).dtype).split(".")[1] == \
            str(getattr(td, attr).dtype).split(".")[1], attr
    outs = [("log_prob", pd.log_prob(_vt(pynet, name, v, dtype)),
             td.log_prob(_vt(need_torch, name, v, dtype))),
            ("entropy", pd.entropy(), td.entropy())]
    if name in CONTINUOUS:
        vv = np.clip(v, -5, None) if name != "Exponential" else v
        q = np.random.default_rng(5).random((2,) + batch) * 0.9 + 0.05
        outs += [("cdf", pd.cdf(_vt(pynet, name, vv, dtype)),
                  td.cdf(_vt(need_torch, name, vv, dtype))),
                 ("icdf", pd.icdf(pynet.tensor(q.astype(dtype))),
                  td.icdf(need_torch.tensor(q.astype(dtype))))]
    for what, p_out, t_out in outs:
        assert p_out.shape == tuple(t_out.shape), what
        np.testing.assert_allclose(_np(p_out), _np(t_out), err_msg=what, **tol)
        if not p_out.requires_grad:
            continue
        up = np.random.default_rng(7).standard_normal(tuple(p_out.shape)).astype(dtype)
        # retain_graph: the outputs share lazily computed parameters (probs/logits)
        pg = pynet.autograd.grad(p_out, list(pl.values()), pynet.tensor(up),
                                 retain_graph=True, allow_unused=True)
        tg = need_torch.autograd.grad(t_out, list(tl.values()), need_torch.tensor(up),
                                      retain_graph=True, allow_unused=True)
        for k, a, b in zip(pl, pg, tg):
            if b is None:
                assert a is None or not np.any(_np(a)), (what, k)
            else:
                np.testing.assert_allclose(_np(a), _np(b), err_msg=f"{what} d/d{k}", **tol)


@pytest.mark.parametrize("name", NAMES)
def test_log_prob_broadcasts_values_like_torch(name, need_torch):
    params, _ = _params(name, (3,), np.random.default_rng(0))
    pd, _ = _build(D, name, params, "float64")
    td, _ = _build(need_torch.distributions, name, params, "float64")
    s = tuple(td.sample((4, 1)).shape)  # (4, 1, 3) + event: broadcast over the batch
    sv = _np(td.sample((4, 1)))
    p_out, t_out = pd.log_prob(_vt(pynet, name, sv, "float64")), td.log_prob(
        _vt(need_torch, name, sv, "float64"))
    assert p_out.shape == tuple(t_out.shape) and len(s) >= 3
    np.testing.assert_allclose(_np(p_out), _np(t_out), rtol=1e-12)


# ------------------------------------------------------------------ NumPy references

def test_log_prob_entropy_cdf_match_numpy_formulas():
    x = np.array([-1.5, 0.2, 2.0])
    loc, scale = np.array([0.1, -0.3, 1.0]), np.array([0.7, 1.2, 2.0])
    n = D.Normal(pynet.tensor(loc), pynet.tensor(scale))
    np.testing.assert_allclose(_np(n.log_prob(pynet.tensor(x))),
                               -0.5 * ((x - loc) / scale) ** 2 - np.log(scale)
                               - 0.5 * np.log(2 * np.pi), rtol=1e-12)
    np.testing.assert_allclose(_np(n.entropy()), 0.5 * np.log(2 * np.pi * np.e * scale ** 2),
                               rtol=1e-12)
    erf = np.vectorize(math.erf)
    np.testing.assert_allclose(_np(n.cdf(pynet.tensor(x))),
                               0.5 * (1 + erf((x - loc) / (scale * np.sqrt(2)))), rtol=1e-12)
    la = D.Laplace(pynet.tensor(loc), pynet.tensor(scale))
    np.testing.assert_allclose(_np(la.log_prob(pynet.tensor(x))),
                               -np.log(2 * scale) - np.abs(x - loc) / scale, rtol=1e-12)
    cdf = np.where(x < loc, 0.5 * np.exp((x - loc) / scale),
                   1 - 0.5 * np.exp(-(x - loc) / scale))
    np.testing.assert_allclose(_np(la.cdf(pynet.tensor(x))), cdf, rtol=1e-12)
    np.testing.assert_allclose(_np(la.icdf(la.cdf(pynet.tensor(x)))), x, rtol=1e-9)
    e = D.Exponential(pynet.tensor(scale))
    np.testing.assert_allclose(_np(e.log_prob(pynet.tensor(np.abs(x)))),
                               np.log(scale) - scale * np.abs(x), rtol=1e-12)
    u = D.Uniform(pynet.tensor(loc), pynet.tensor(loc + 1))
    lp = _np(u.log_prob(pynet.tensor(np.array([0.5, 0.0, 1.5]))))
    np.testing.assert_allclose(lp, [0.0, 0.0, 0.0])
    p = np.array([0.2, 0.5, 0.9])
    b = D.Bernoulli(pynet.tensor(p))
    np.testing.assert_allclose(_np(b.log_prob(pynet.tensor([1.0, 0.0, 1.0],
                                                          dtype=pynet.float64))),
                               np.log([0.2, 0.5, 0.9]), rtol=1e-12)
    np.testing.assert_allclose(_np(b.entropy()), -(p * np.log(p) + (1 - p) * np.log(1 - p)),
                               rtol=1e-12)
    w = np.array([[1.0, 2.0, 7.0], [3.0, 3.0, 4.0]])
    c = D.Categorical(pynet.tensor(w))
    pr = w / w.sum(-1, keepdims=True)
    np.testing.assert_allclose(_np(c.log_prob(pynet.tensor([2, 0]))),
                               np.log([pr[0, 2], pr[1, 0]]), rtol=1e-12)
    np.testing.assert_allclose(_np(c.entropy()), -(pr * np.log(pr)).sum(-1), rtol=1e-12)
    assert c.mode.tolist() == [2, 2]


def test_edge_values():
    u = D.Uniform(0.0, 1.0, validate_args=False)
    assert u.log_prob(pynet.tensor([1.0, -0.5])).tolist() == [-math.inf, -math.inf]
    assert u.cdf(pynet.tensor([-1.0, 2.0])).tolist() == [0.0, 1.0]
    b = D.Bernoulli(pynet.tensor([0.0, 1.0, 0.5]))
    # probs are clamped to [eps, 1 - eps] for the logits: entropy 0 within ~eps
    assert b.entropy().tolist()[:2] == pytest.approx([0.0, 0.0], abs=2e-7)
    m = b.mode.tolist()
    assert m[:2] == [0.0, 1.0] and math.isnan(m[2])
    c = D.Categorical(pynet.tensor([0.0, 0.5, 0.5]))
    assert abs(c.entropy().item() - math.log(2)) < 1e-6  # 0 log 0 = 0
    # a zero probability is clamped to eps for the logits (as PyTorch does)
    assert c.log_prob(pynet.tensor(0)).item() == pytest.approx(math.log(2.0 ** -23))


# ------------------------------------------------------------------ gradcheck (float64)

@pytest.mark.parametrize("name", ["Normal", "Laplace", "Exponential", "BernoulliLogits",
                                  "CategoricalLogits"])
def test_log_prob_and_entropy_gradcheck(name):
    params, v = _params(name, (3,), np.random.default_rng(3))
    keys = list(params)
    # Laplace's |x - loc| has a kink at 0: the values are kept away from loc
    for method in ("log_prob", "entropy"):
        def fn(*ts):
            d = _cls(D, name)(**dict(zip(keys, ts)))
            return d.log_prob(_vt(pynet, name, v, "float64")) if method == "log_prob" \
                else d.entropy()
        assert gc(fn, *params.values())


def test_uniform_and_cdf_icdf_gradcheck():
    assert gc(lambda lo, hi: D.Uniform(lo, hi).log_prob(pynet.tensor([0.3, 0.5],
                                                                        dtype=pynet.float64)),
              [0.0, 0.1], [1.0, 2.0])
    assert gc(lambda lo, hi: D.Uniform(lo, hi).entropy(), [0.0, 0.1], [1.0, 2.0])
    assert gc(lambda m, s: D.Normal(m, s).cdf(pynet.tensor([0.3, -1.0], dtype=pynet.float64)),
              [0.0, 0.5], [1.0, 2.0])
    assert gc(lambda m, s, q: D.Normal(m, s).icdf(q), [0.0, 0.5], [1.0, 2.0], [0.2, 0.9])
    assert gc(lambda r, q: D.Exponential(r).icdf(q), [0.5, 2.0], [0.2, 0.9])
    assert gc(lambda m, s, q: D.Laplace(m, s).icdf(q), [0.0, 0.5], [1.0, 2.0], [0.2, 0.9])


# ------------------------------------------------------------------ KL divergence

KL_PAIRS = {
    "Normal": lambda r, b: ({"loc": r.standard_normal(b), "scale": r.random(b) + 0.5},
                            {"loc": r.standard_normal(b), "scale": r.random(b) + 0.5}),
    "Laplace": lambda r, b: ({"loc": r.standard_normal(b), "scale": r.random(b) + 0.5},
                             {"loc": r.standard_normal(b), "scale": r.random(b) + 0.5}),
    "Exponential": lambda r, b: ({"rate": r.random(b) + 0.5}, {"rate": r.random(b) + 0.5}),
    "Bernoulli": lambda r, b: ({"probs": r.random(b) * 0.8 + 0.1},
                               {"probs": r.random(b) * 0.8 + 0.1}),
    "BernoulliLogits": lambda r, b: ({"logits": r.standard_normal(b)},
                                     {"logits": r.standard_normal(b)}),
    "Categorical": lambda r, b: ({"probs": r.random(b + (4,)) + 0.1},
                                 {"probs": r.random(b + (4,)) + 0.1}),
    "CategoricalLogits": lambda r, b: ({"logits": r.standard_normal(b + (4,))},
                                       {"logits": r.standard_normal(b + (4,))}),
    "OneHotCategorical": lambda r, b: ({"probs": r.random(b + (4,)) + 0.1},
                                       {"probs": r.random(b + (4,)) + 0.1}),
    "Uniform": lambda r, b: ({"low": np.full(b, 0.2), "high": np.full(b, 0.7)},
                             {"low": -r.random(b), "high": 1 + r.random(b)}),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", list(KL_PAIRS))
def test_kl_values_and_gradients_like_torch(name, dtype, need_torch):
    pp, qp = KL_PAIRS[name](np.random.default_rng(11), (2, 3))
    out, grads = [], []
    for mod in (D, need_torch.distributions):
        p, pl = _build(mod, name, pp, dtype, requires_grad=True)
        q, ql = _build(mod, name, qp, dtype, requires_grad=True)
        kl = mod.kl_divergence(p, q)
        lib = pynet if mod is D else need_torch
        up = lib.tensor(np.random.default_rng(2).standard_normal((2, 3)).astype(dtype))
        leaves = list(pl.values()) + list(ql.values())
        g = lib.autograd.grad(kl, leaves, up)
        out.append(_np(kl))
        grads.append([_np(x) for x in g])
    tol = dict(rtol=2e-5, atol=1e-6) if dtype == "float32" else dict(rtol=1e-10, atol=1e-12)
    assert out[0].shape == out[1].shape == (2, 3)
    np.testing.assert_allclose(out[0], out[1], **tol)
    for a, b in zip(*grads):
        np.testing.assert_allclose(a, b, **tol)


def test_kl_hand_checked_and_gradcheck():
    n0, n1 = D.Normal(0.0, 1.0), D.Normal(1.0, 2.0)
    expected = math.log(2) + (1 + 1) / (2 * 4) - 0.5
    assert abs(D.kl_divergence(n0, n1).item() - expected) < 1e-6
    for name, (pp, _) in [(n, KL_PAIRS[n](np.random.default_rng(0), (3,))) for n in KL_PAIRS]:
        p, _ = _build(D, name, pp, "float64")
        np.testing.assert_allclose(_np(D.kl_divergence(p, p)), 0, atol=1e-12, err_msg=name)
    # p's interval not inside q's: infinite; inside: log of the width ratio
    kl = D.kl_divergence(D.Uniform(pynet.tensor([0.0, 0.0]), pynet.tensor([1.0, 1.0])),
                         D.Uniform(pynet.tensor([0.5, -1.0]), pynet.tensor([2.0, 3.0])))
    assert kl.tolist()[0] == math.inf and abs(kl.tolist()[1] - math.log(4)) < 1e-6
    kb = D.kl_divergence(D.Bernoulli(pynet.tensor([0.0, 1.0, 0.5])),
                         D.Bernoulli(pynet.tensor([0.5, 0.5, 0.0])))
    assert kb.tolist()[:2] == pytest.approx([math.log(2), math.log(2)]) and \
        kb.tolist()[2] == math.inf
    kc = D.kl_divergence(D.Categorical(pynet.tensor([0.5, 0.5, 0.0])),
                         D.Categorical(pynet.tensor([0.25, 0.25, 0.5])))
    assert abs(kc.item() - math.log(2)) < 1e-6
    assert gc(lambda a, b, c, d: D.kl_divergence(D.Normal(a, b), D.Normal(c, d)),
              [0.0, 1.0], [1.0, 0.5], [0.3, -0.2], [2.0, 0.7])
    assert gc(lambda a, b: D.kl_divergence(D.Categorical(logits=a), D.Categorical(logits=b)),
              [[0.1, 0.5, -0.3]], [[1.0, 0.0, 0.2]])
    assert gc(lambda a, b: D.kl_divergence(D.Exponential(a), D.Exponential(b)),
              [0.5, 2.0], [1.0, 0.3])


def test_kl_independent_and_registry():
    p = D.Independent(D.Normal(pynet.zeros(2, 3), pynet.ones(2, 3)), 1)
    q = D.Independent(D.Normal(pynet.ones(2, 3), pynet.ones(2, 3)), 1)
    kl = D.kl_divergence(p, q)
    assert kl.shape == (2,) and np.allclose(_np(kl), 1.5)
    with pytest.raises(NotImplementedError, match="Normal.*Bernoulli"):
        D.kl_divergence(D.Normal(0.0, 1.0), D.Bernoulli(0.5))

    class MyNormal(D.Normal):
        pass

    # a subclass inherits its parent's KL, until it registers a more specific one
    assert abs(D.kl_divergence(MyNormal(0.0, 1.0), D.Normal(1.0, 1.0)).item() - 0.5) < 1e-6

    @D.register_kl(MyNormal, D.Normal)
    def _kl_my(p, q):
        return pynet.tensor(42.0)

    assert D.kl_divergence(MyNormal(0.0, 1.0), D.Normal(1.0, 1.0)).item() == 42.0
    assert abs(D.kl_divergence(D.Normal(0.0, 1.0), D.Normal(1.0, 1.0)).item() - 0.5) < 1e-6
    with pytest.raises(TypeError, match="Distribution subclass"):
        D.register_kl(int, D.Normal)


# ------------------------------------------------------------------ sampling

MOMENTS = [
    ("Normal", {"loc": [0.0, 2.0], "scale": [1.0, 0.5]}),
    ("Laplace", {"loc": [0.0, 1.0], "scale": [1.0, 2.0]}),
    ("Uniform", {"low": [0.0, -1.0], "high": [1.0, 3.0]}),
    ("Exponential", {"rate": [0.5, 2.0]}),
    ("Bernoulli", {"probs": [0.3, 0.9]}),
    ("OneHotCategorical", {"probs": [0.2, 0.35, 0.45]}),
]


@pytest.mark.parametrize("name,params", MOMENTS, ids=[m[0] for m in MOMENTS])
def test_sample_mean_and_variance_within_standard_errors(name, params):
    pynet.manual_seed(0)
    d = _cls(D, name)(**{k: pynet.tensor(v) for k, v in params.items()})
    n = 100_000
    x = _np(d.sample((n,))).astype(np.float64)
    mean, var = _np(d.mean).astype(np.float64), _np(d.variance).astype(np.float64)
    # standard errors: of the mean sqrt(var/n), of the variance sqrt((m4 - var^2)/n)
    m4 = ((x - mean) ** 4).mean(0)
    assert np.all(np.abs(x.mean(0) - mean) < 5 * np.sqrt(var / n)), name
    assert np.all(np.abs(x.var(0) - var) < 5 * np.sqrt((m4 - var ** 2) / n)), name


def test_categorical_sample_frequencies():
    pynet.manual_seed(1)
    p = np.array([[0.2, 0.3, 0.5], [0.7, 0.1, 0.2]])
    x = _np(D.Categorical(logits=pynet.tensor(np.log(p))).sample((100_000,)))
    assert x.dtype == np.int64 and x.shape == (100_000, 2)
    for b in range(2):
        freq = np.bincount(x[:, b], minlength=3) / x.shape[0]
        assert np.all(np.abs(freq - p[b]) < 5 * np.sqrt(p[b] * (1 - p[b]) / x.shape[0]))


def test_sampling_is_seeded_and_sample_has_no_grad():
    loc = pynet.zeros(3, requires_grad=True)
    d = D.Normal(loc, 1.0)
    pynet.manual_seed(5)
    a = d.sample((4,))
    pynet.manual_seed(5)
    b = d.sample((4,))
    assert (a == b).all() and not a.requires_grad
    assert d.rsample((4,)).requires_grad


@pytest.mark.parametrize("name", ["Normal", "Laplace", "Uniform", "Exponential"])
def test_rsample_pathwise_gradient_closed_form(name):
    params, _ = _params(name, (3,), np.random.default_rng(4))
    d, leaves = _build(D, name, params, "float64", requires_grad=True)
    x = d.rsample((5,))
    x.sum().backward()
    xs = _np(x)
    if name in ("Normal", "Laplace"):  # x = loc + scale * eps
        np.testing.assert_allclose(_np(leaves["loc"].grad), 5.0)
        np.testing.assert_allclose(_np(leaves["scale"].grad),
                                   ((xs - params["loc"]) / params["scale"]).sum(0), rtol=1e-10)
    elif name == "Uniform":  # x = low + u (high - low)
        u = (xs - params["low"]) / (params["high"] - params["low"])
        np.testing.assert_allclose(_np(leaves["low"].grad), (1 - u).sum(0), rtol=1e-10)
        np.testing.assert_allclose(_np(leaves["high"].grad), u.sum(0), rtol=1e-10)
    else:  # x = e / rate
        np.testing.assert_allclose(_np(leaves["rate"].grad),
                                   (-xs / params["rate"]).sum(0), rtol=1e-10)


def test_no_rsample_for_discrete():
    for d in (D.Bernoulli(0.5), D.Categorical(pynet.ones(3)),
              D.OneHotCategorical(pynet.ones(3))):
        assert d.has_rsample is False
        with pytest.raises(NotImplementedError):
            d.rsample()


# ------------------------------------------------------------------ shapes

SHAPE_CASES = [
    ("Normal", lambda m: m.Normal(m_t(m, np.zeros((2, 3))), 1.0)),
    ("NormalScalar", lambda m: m.Normal(0.0, 1.0)),
    ("Bernoulli", lambda m: m.Bernoulli(m_t(m, np.full((3,), 0.3)))),
    ("Categorical", lambda m: m.Categorical(m_t(m, np.ones((2, 4))))),
    ("Categorical1d", lambda m: m.Categorical(m_t(m, np.ones(4)))),
    ("OneHot", lambda m: m.OneHotCategorical(m_t(m, np.ones((2, 4))))),
    ("Uniform", lambda m: m.Uniform(m_t(m, np.zeros(3)), 1.0)),
    ("Exponential", lambda m: m.Exponential(m_t(m, np.ones((1, 3))))),
    ("Laplace", lambda m: m.Laplace(0.0, m_t(m, np.ones(2)))),
    ("Independent", lambda m: m.Independent(m.Normal(m_t(m, np.zeros((2, 3, 4))), 1.0), 2)),
    ("IndependentOneHot", lambda m: m.Independent(
        m.OneHotCategorical(m_t(m, np.ones((2, 3)))), 1)),
    ("EmptyBatch", lambda m: m.Normal(m_t(m, np.zeros((0, 3))), 1.0)),
]


def m_t(mod, a):
    lib = pynet if mod is D else __import__("torch")
    return lib.tensor(np.asarray(a, dtype=np.float32))


@pytest.mark.parametrize("case", SHAPE_CASES, ids=[c[0] for c in SHAPE_CASES])
def test_shapes_like_torch(case, need_torch):
    _, make = case
    pd, td = make(D), make(need_torch.distributions)
    assert pd.batch_shape == tuple(td.batch_shape) and pd.event_shape == tuple(td.event_shape)
    for ss in [(), (5,), (2, 1), (0,), pynet.Size([3])]:
        try:
            ts = td.sample(tuple(ss))
            td.log_prob(ts)
        except RuntimeError:  # torch refuses some empty samples: so must pynet
            raises_like(lambda: pd.log_prob(pd.sample(ss)),
                        lambda: td.log_prob(td.sample(tuple(ss))))
            continue
        ps = pd.sample(ss)
        assert ps.shape == tuple(ts.shape), ss
        assert str(ps.dtype).split(".")[1] == str(ts.dtype).split(".")[1]
        assert pd.log_prob(ps).shape == tuple(td.log_prob(ts).shape), ss
    assert pd.entropy().shape == tuple(td.entropy().shape)
    for batch in [(4,) + tuple(td.batch_shape), (2,) + tuple(td.batch_shape)]:
        pe, te = pd.expand(batch), td.expand(batch)
        assert type(pe) is type(pd)
        assert pe.batch_shape == tuple(te.batch_shape) and pe.event_shape == \
            tuple(te.event_shape)
        assert pe.sample((3,)).shape == tuple(te.sample((3,)).shape)
        np.testing.assert_allclose(_np(pe.entropy()), _np(te.entropy()), rtol=1e-6)
    if td.has_enumerate_support:
        for expand in (True, False):
            pv, tv = pd.enumerate_support(expand), td.enumerate_support(expand)
            np.testing.assert_array_equal(_np(pv), _np(tv))
            assert str(pv.dtype).split(".")[1] == str(tv.dtype).split(".")[1]
    assert pd.has_rsample == td.has_rsample
    assert pd.has_enumerate_support == td.has_enumerate_support


def test_expand_keeps_gradient_and_validation():
    loc = pynet.zeros(3, requires_grad=True)
    d = D.Normal(loc, 1.0).expand((2, 3))
    d.log_prob(pynet.ones(2, 3)).sum().backward()
    np.testing.assert_allclose(_np(loc.grad), [2.0, 2.0, 2.0])
    with pytest.raises(ValueError):
        d.log_prob(pynet.ones(4))
    with pytest.raises(RuntimeError):
        D.Normal(pynet.zeros(3), 1.0).expand((2, 4))


# ------------------------------------------------------------------ validation

BAD = [
    lambda m, t: m.Normal(t.tensor([0.0, 1.0]), t.tensor([1.0, -1.0])),
    lambda m, t: m.Normal(t.tensor([0.0, math.nan]), 1.0),
    lambda m, t: m.Normal(0.0, 1.0).log_prob(t.tensor(math.nan)),
    lambda m, t: m.Normal(0.0, 1.0).log_prob(1.0),
    lambda m, t: m.Normal(t.zeros(2), 1.0).log_prob(t.zeros(3)),
    lambda m, t: m.Bernoulli(probs=0.5, logits=0.0),
    lambda m, t: m.Bernoulli(),
    lambda m, t: m.Bernoulli(t.tensor([1.5])),
    lambda m, t: m.Bernoulli(0.5).log_prob(t.tensor(0.5)),
    lambda m, t: m.Categorical(t.tensor(1.0)),
    lambda m, t: m.Categorical(logits=t.tensor(1.0)),
    lambda m, t: m.Categorical(t.tensor([-1.0, 2.0])),
    lambda m, t: m.Categorical(t.tensor([[0.5, 0.5]])).log_prob(t.tensor([3])),
    lambda m, t: m.Uniform(1.0, 0.0),
    lambda m, t: m.Uniform(0.0, 1.0).log_prob(t.tensor(2.0)),
    lambda m, t: m.Exponential(t.tensor([0.0])),
    lambda m, t: m.Exponential(1.0).log_prob(t.tensor(-1.0)),
    lambda m, t: m.Laplace(0.0, -1.0),
    lambda m, t: m.Independent(m.Normal(t.zeros(2), 1.0), 2),
    lambda m, t: m.OneHotCategorical(t.ones(3)).log_prob(t.tensor([1.0, 1.0, 0.0])),
    lambda m, t: m.OneHotCategorical(t.ones(3)).log_prob(t.tensor([1.0, 0.0])),
]


@pytest.mark.parametrize("i", range(len(BAD)))
def test_validation_errors_like_torch(i, need_torch):
    outcomes = []
    for m, t in ((need_torch.distributions, need_torch), (D, pynet)):
        try:
            BAD[i](m, t)
            outcomes.append("ok")
        except Exception as e:  # noqa: BLE001 (type and message are compared)
            outcomes.append((type(e).__name__, str(e).replace("torch.", "pynet.")))
    assert outcomes[1] == outcomes[0]


def test_validation_can_be_turned_off():
    d = D.Normal(0.0, -1.0, validate_args=False)
    assert math.isnan(d.log_prob(pynet.tensor(0.0)).item())
    assert D.Bernoulli(0.5, validate_args=False).log_prob(pynet.tensor(0.5)).shape == ()
    D.Distribution.set_default_validate_args(False)
    try:
        D.Normal(0.0, -1.0)
    finally:
        D.Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError, match="scale"):
        D.Normal(0.0, -1.0)
    with pytest.raises(ValueError):
        D.Distribution.set_default_validate_args("yes")


def test_constraints_and_reprs_like_torch(need_torch):
    tc = need_torch.distributions.constraints
    pairs = [(constraints.real, tc.real), (constraints.positive, tc.positive),
             (constraints.nonnegative, tc.nonnegative),
             (constraints.unit_interval, tc.unit_interval), (constraints.boolean, tc.boolean),
             (constraints.simplex, tc.simplex), (constraints.one_hot, tc.one_hot),
             (constraints.integer_interval(0, 3), tc.integer_interval(0, 3)),
             (constraints.independent(constraints.real, 1), tc.independent(tc.real, 1)),
             (constraints.less_than(2.0), tc.less_than(2.0))]
    x = np.array([[-1.0, 0.0, 0.5, 1.0], [0.25, 0.25, 0.5, 0.0], [math.nan, 2.0, 3.0, 0.0]])
    for pc, tcn in pairs:
        assert repr(pc) == repr(tcn)
        assert (pc.event_dim, pc.is_discrete) == (tcn.event_dim, tcn.is_discrete), repr(pc)
        np.testing.assert_array_equal(_np(pc.check(pynet.tensor(x))),
                                      tcn.check(need_torch.tensor(x)).numpy(), err_msg=repr(pc))
    for name in NAMES:
        params, _ = _params(name, (3,), np.random.default_rng(0))
        pd, _ = _build(D, name, params, "float32")
        td, _ = _build(need_torch.distributions, name, params, "float32")
        assert repr(pd).replace("pynet.", "torch.") == repr(td)
        assert repr(pd.support) == repr(td.support)
        assert {k: repr(v) for k, v in pd.arg_constraints.items()} == \
            {k: repr(v) for k, v in td.arg_constraints.items()}
    ind = D.Independent(D.Normal(pynet.zeros(2), 1.0), 1)
    assert repr(ind.support) == "IndependentConstraint(Real(), 1)"
    assert constraints.is_dependent(constraints.dependent)


def test_public_api_documented():
    import inspect

    for name in D.__all__:
        obj = getattr(D, name)
        assert inspect.getdoc(obj), name
        if inspect.isclass(obj):
            for attr, member in vars(obj).items():
                if not attr.startswith("_") and (callable(member) or isinstance(member,
                                                                                property)):
                    assert inspect.getdoc(member), f"{name}.{attr}"
