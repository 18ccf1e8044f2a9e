"""The margin / ranking / embedding / likelihood losses and the distance functions
(normalize, cosine_similarity, pairwise_distance, pdist) of pynet.nn._functional_loss, and
their modules, against NumPy references (always), gradcheck (always) and PyTorch (skipped
per test without it): values and gradients in float32 and float64, every reduction,
broadcasting and unbatched shapes, empty batches, the gradient at the kinks, error types.
"""
import math
import warnings

import numpy as np
import pytest

import pynet
from conftest import check, gc, raises_like, to_np, torch
from pynet.nn import _functional_loss as PF
from pynet.nn.functional import (cosine_embedding_loss, cosine_similarity,
                                       gaussian_nll_loss, hinge_embedding_loss,
                                       margin_ranking_loss, multi_margin_loss,
                                       multilabel_margin_loss, multilabel_soft_margin_loss,
                                       normalize, pairwise_distance, pdist, poisson_nll_loss,
                                       soft_margin_loss, triplet_margin_loss,
                                       triplet_margin_with_distance_loss)
from pynet.nn import CosineSimilarity, PairwiseDistance
from pynet.nn import (CosineEmbeddingLoss, GaussianNLLLoss, HingeEmbeddingLoss,
                                   HuberLoss, KLDivLoss, MarginRankingLoss, MultiLabelMarginLoss,
                                   MultiLabelSoftMarginLoss, MultiMarginLoss, PoissonNLLLoss,
                                   SoftMarginLoss, TripletMarginLoss,
                                   TripletMarginWithDistanceLoss)

TF = torch.nn.functional if torch is not None else None
RTOL = {"float32": 1e-5, "float64": 1e-10}
REDUCTIONS = ["none", "mean", "sum"]


def rng(seed=0):
    return np.random.default_rng(seed)


def red_np(loss, reduction):
    loss = np.asarray(loss, dtype=np.float64)
    return {"none": loss, "sum": loss.sum(), "mean": loss.mean()}[reduction]


def vnorm(d, p, axis=-1):
    """The vector p-norm along axis, p = inf, 0 or any positive number."""
    a = np.abs(d)
    if p == math.inf:
        return a.max(axis)
    if p == 0:
        return (a != 0).sum(axis).astype(np.float64)
    return (a ** p).sum(axis) ** (1.0 / p)


# ------------------------------------------------------------- NumPy references ----

def margin_ranking_np(x1, x2, y, red, margin):
    return red_np(np.maximum(0, -y * (x1 - x2) + margin), red)


def hinge_embedding_np(x, y, red, margin):
    return red_np(np.where(y != 1, np.maximum(0, margin - x), 0) + np.where(y != -1, x, 0), red)


def soft_margin_np(x, y, red):
    return red_np(np.log1p(np.exp(-x * y)), red)


def cosine_embedding_np(x1, x2, y, red, margin):
    ax = x1.ndim - 1
    cos = (x1 * x2).sum(ax) / np.sqrt(((x1 ** 2).sum(ax) + 1e-12) * ((x2 ** 2).sum(ax) + 1e-12))
    return red_np(np.where(y == 1, 1 - cos, 0) + np.where(y == -1, np.maximum(0, cos - margin),
                                                          0), red)


def poisson_np(x, y, red, log_input, full, eps=1e-8):
    loss = np.exp(x) - y * x if log_input else x - y * np.log(x + eps)
    if full:
        with np.errstate(divide="ignore", invalid="ignore"):
            st = y * np.log(y) - y + 0.5 * np.log(2 * np.pi * y)
        loss = loss + np.where(y <= 1, 0, st)
    return red_np(loss, red)


def gaussian_np(x, y, var, red, full, eps=1e-6):
    v = np.maximum(var, eps)
    if v.shape == x.shape[:-1]:
        v = v[..., None]
    loss = 0.5 * (np.log(v) + (x - y) ** 2 / v) + (0.5 * np.log(2 * np.pi) if full else 0)
    return red_np(np.broadcast_to(loss, np.broadcast_shapes(x.shape, y.shape, v.shape)), red)


def triplet_np(a, p, n, red, margin=1.0, pn=2, eps=1e-6, swap=False):
    def d(u, v):
        return vnorm(u - v + eps, pn)
    dneg = np.minimum(d(a, n), d(p, n)) if swap else d(a, n)
    return red_np(np.maximum(0, margin + d(a, p) - dneg), red)


def mlsm_np(x, y, red, weight=None):
    ls = lambda z: -np.logaddexp(0, -z)  # noqa: E731 (log sigmoid)
    loss = -(y * ls(x) + (1 - y) * ls(-x)) * (1 if weight is None else weight)
    return red_np(loss.mean(-1), red)


def multi_margin_np(x, t, red, p=1, margin=1.0, weight=None):
    x2 = x.reshape(-1, x.shape[-1] if x.ndim else 1)
    out = []
    for row, y in zip(x2, t.reshape(-1)):
        w = 1.0 if weight is None else weight[y]
        terms = [max(0.0, margin - row[y] + row[j]) ** p for j in range(len(row)) if j != y]
        out.append(w * sum(terms) / len(row))
    return red_np(np.array(out).reshape(t.shape), red)


def multilabel_margin_np(x, t, red):
    x2, t2 = x.reshape(-1, x.shape[-1] if x.ndim else 1), t.reshape(x2_rows(x), -1)
    out = []
    for row, ys in zip(x2, t2):
        labels = []
        for y in ys:
            if y == -1:
                break
            labels.append(int(y))
        others = [i for i in range(len(row)) if i not in labels]
        out.append(sum(max(0.0, 1 - row[j] + row[i]) for j in labels for i in others) / len(row))
    out = np.array(out)
    return red_np(out if x.ndim == 2 else out.reshape(()), red)


def x2_rows(x):
    return x.shape[0] if x.ndim == 2 else 1


# ------------------------------------------------------------------------ cases ----
# A case: name, arrays (floats are cast to the dtype under test, integers kept), the indices
# of the differentiable arrays, call(F, reduction, *tensors) for F = pynet's or torch's
# functional namespace, and ref(reduction, *float64 arrays).

def _sign(shape, seed):
    return np.where(rng(seed).random(shape) < 0.5, -1.0, 1.0)


def _cases():
    r = rng(1)
    x45 = r.standard_normal((4, 5))
    mm_t = np.array([0, 4, 2, 2])
    mlm_t = np.array([[0, 4, -1, 2, 2], [1, 1, 2, -1, -1], [-1, 0, 0, 0, 0], [4, 3, 2, 1, 0]])
    pos = np.abs(r.standard_normal((3, 4))) + 0.1
    counts = np.array([[0.0, 0.5, 1.0, 3.0], [2.0, 7.0, 1.5, 0.0], [4.0, 1.0, 0.2, 9.0]])
    # full=True: no 0 (a NaN target gradient, tested apart) and no 1 (where Stirling's term
    # switches on: a jump that finite differences would straddle)
    counts_full = np.array([[0.3, 0.5, 0.9, 3.0], [2.0, 7.0, 1.5, 0.7], [4.0, 1.2, 0.2, 9.0]])
    w5 = np.abs(r.standard_normal(5)) + 0.2
    return [
        ("margin_ranking", [r.standard_normal(6), r.standard_normal(6), _sign(6, 2)], (0, 1),
         lambda F, red, a, b, y: F.margin_ranking_loss(a, b, y, margin=0.2, reduction=red),
         lambda red, a, b, y: margin_ranking_np(a, b, y, red, 0.2)),
        ("margin_ranking_bcast", [r.standard_normal((3, 1)), r.standard_normal((1, 4)),
                                  _sign((3, 4), 3)], (0, 1),
         lambda F, red, a, b, y: F.margin_ranking_loss(a, b, y, reduction=red),
         lambda red, a, b, y: margin_ranking_np(a, b, y, red, 0.0)),
        ("hinge_embedding", [r.standard_normal((2, 5)),
                             np.array([[1.0, -1, 0, 1, -1], [-1, -1, 1, 2, 1]])], (0,),
         lambda F, red, x, y: F.hinge_embedding_loss(x, y, margin=0.8, reduction=red),
         lambda red, x, y: hinge_embedding_np(x, y, red, 0.8)),
        ("soft_margin", [r.standard_normal((3, 4)), _sign((1, 4), 4)], (0,),
         lambda F, red, x, y: F.soft_margin_loss(x, y, reduction=red),
         lambda red, x, y: soft_margin_np(x, y, red)),
        ("cosine_embedding", [r.standard_normal((5, 4)), r.standard_normal((5, 4)),
                              np.array([1.0, -1, 1, -1, -1])], (0, 1),
         lambda F, red, a, b, y: F.cosine_embedding_loss(a, b, y, margin=-0.3, reduction=red),
         lambda red, a, b, y: cosine_embedding_np(a, b, y, red, -0.3)),
        ("cosine_embedding_unbatched", [r.standard_normal(4), r.standard_normal(4),
                                        np.array(-1.0)], (0, 1),
         lambda F, red, a, b, y: F.cosine_embedding_loss(a, b, y, margin=-0.5, reduction=red),
         lambda red, a, b, y: cosine_embedding_np(a, b, y, red, -0.5)),
        ("poisson_log_full", [r.standard_normal((3, 4)), counts_full], (0, 1),
         lambda F, red, x, y: F.poisson_nll_loss(x, y, full=True, reduction=red),
         lambda red, x, y: poisson_np(x, y, red, True, True)),
        ("poisson_rate", [pos, counts], (0, 1),
         lambda F, red, x, y: F.poisson_nll_loss(x, y, log_input=False, reduction=red),
         lambda red, x, y: poisson_np(x, y, red, False, False)),
        ("gaussian_full", [r.standard_normal((3, 4)), r.standard_normal((3, 4)), pos], (0, 1, 2),
         lambda F, red, x, y, v: F.gaussian_nll_loss(x, y, v, full=True, reduction=red),
         lambda red, x, y, v: gaussian_np(x, y, v, red, True)),
        ("gaussian_homoscedastic", [r.standard_normal((3, 4)), r.standard_normal((1, 4)),
                                    pos[:, 0]], (0, 1, 2),
         lambda F, red, x, y, v: F.gaussian_nll_loss(x, y, v, reduction=red),
         lambda red, x, y, v: gaussian_np(x, y, v, red, False)),
        ("triplet", [r.standard_normal((4, 3)) for _ in range(3)], (0, 1, 2),
         lambda F, red, a, p, n: F.triplet_margin_loss(a, p, n, margin=2.0, reduction=red),
         lambda red, a, p, n: triplet_np(a, p, n, red, 2.0)),
        ("triplet_p1_swap", [r.standard_normal((2, 3, 4)) for _ in range(3)], (0, 1, 2),
         lambda F, red, a, p, n: F.triplet_margin_loss(a, p, n, p=1, swap=True, reduction=red),
         lambda red, a, p, n: triplet_np(a, p, n, red, 1.0, 1, swap=True)),
        ("triplet_distance", [r.standard_normal((4, 3)) for _ in range(3)], (0, 1, 2),
         lambda F, red, a, p, n: F.triplet_margin_with_distance_loss(a, p, n, swap=True,
                                                                     reduction=red),
         lambda red, a, p, n: triplet_np(a, p, n, red, swap=True)),
        ("mlsm_weight", [x45, (r.random((4, 5)) < 0.5).astype(float), w5], (0, 1, 2),
         lambda F, red, x, y, w: F.multilabel_soft_margin_loss(x, y, weight=w, reduction=red),
         lambda red, x, y, w: mlsm_np(x, y, red, w)),
        ("multi_margin", [x45 * 0.5, mm_t], (0,),
         lambda F, red, x, t: F.multi_margin_loss(x, t, margin=0.7, reduction=red),
         lambda red, x, t: multi_margin_np(x, t, red, 1, 0.7)),
        ("multi_margin_p2_weight", [x45 * 0.5, mm_t, w5], (0,),
         lambda F, red, x, t, w: F.multi_margin_loss(x, t, p=2, weight=w, reduction=red),
         lambda red, x, t, w: multi_margin_np(x, t, red, 2, 1.0, w)),
        ("multi_margin_unbatched", [x45[0] * 0.5, np.array([3])], (0,),
         lambda F, red, x, t: F.multi_margin_loss(x, t, reduction=red),
         lambda red, x, t: multi_margin_np(x, t, red)),
        ("multilabel_margin", [x45 * 0.5, mlm_t], (0,),
         lambda F, red, x, t: F.multilabel_margin_loss(x, t, reduction=red),
         lambda red, x, t: multilabel_margin_np(x, t, red)),
        ("multilabel_margin_unbatched", [x45[1] * 0.5, mlm_t[1]], (0,),
         lambda F, red, x, t: F.multilabel_margin_loss(x, t, reduction=red),
         lambda red, x, t: multilabel_margin_np(x, t, red)),
    ]


CASES = {c[0]: c for c in _cases()}


def _distance_cases():
    r = rng(5)
    m = r.standard_normal((5, 3))
    m[3] = m[1]  # a zero distance, whose gradient is defined as 0
    return [
        ("normalize", [r.standard_normal((3, 4))], lambda F, x: F.normalize(x),
         lambda x: x / np.maximum(vnorm(x, 2, 1), 1e-12)[:, None]),
        ("normalize_p3_dims", [r.standard_normal((2, 3, 4))],
         lambda F, x: F.normalize(x, p=3, dim=(0, 2)),
         lambda x: x / ((np.abs(x) ** 3).sum((0, 2), keepdims=True)) ** (1 / 3)),
        ("cosine_similarity", [r.standard_normal((2, 3, 4)), r.standard_normal((3, 1))],
         lambda F, a, b: F.cosine_similarity(a, b),
         lambda a, b: (a * b).sum(1) / (vnorm(a, 2, 1) * vnorm(np.broadcast_to(b, a.shape), 2,
                                                              1))),
        ("cosine_similarity_dim_last", [r.standard_normal((3, 4)), r.standard_normal((3, 4))],
         lambda F, a, b: F.cosine_similarity(a, b, dim=-1, eps=0.0),
         lambda a, b: (a * b).sum(-1) / (vnorm(a, 2) * vnorm(b, 2))),
        ("pairwise_distance", [r.standard_normal((4, 3)), r.standard_normal((4, 3))],
         lambda F, a, b: F.pairwise_distance(a, b), lambda a, b: vnorm(a - b + 1e-6, 2)),
        ("pairwise_distance_p1_keepdim", [r.standard_normal((2, 4, 3)), r.standard_normal(3)],
         lambda F, a, b: F.pairwise_distance(a, b, p=1, eps=0.01, keepdim=True),
         lambda a, b: vnorm(a - b + 0.01, 1)[..., None]),
        ("pairwise_distance_p3", [r.standard_normal((4, 3)), r.standard_normal((4, 3))],
         lambda F, a, b: F.pairwise_distance(a, b, 3.0), lambda a, b: vnorm(a - b + 1e-6, 3)),
        ("pairwise_distance_pinf", [r.standard_normal((4, 3)), r.standard_normal((4, 3))],
         lambda F, a, b: F.pairwise_distance(a, b, math.inf),
         lambda a, b: vnorm(a - b + 1e-6, math.inf)),
        ("pairwise_distance_unbatched", [r.standard_normal(3), r.standard_normal(3)],
         lambda F, a, b: F.pairwise_distance(a, b), lambda a, b: vnorm(a - b + 1e-6, 2)),
    ] + [
        (f"pdist_p{p}", [m], (lambda p: lambda F, x: F.pdist(x, p))(p),
         (lambda p: lambda x: np.array([vnorm(x[i] - x[j], p) for i in range(len(x))
                                        for j in range(i + 1, len(x))]))(p))
        for p in (2, 1, 0.5, 3, math.inf)
    ]


DISTANCES = {c[0]: c for c in _distance_cases()}


def _as(a, dtype):
    return a.astype(dtype) if a.dtype.kind == "f" else a


def _pn(arrays, dtype, diff=()):
    return [pynet.tensor(_as(a, dtype), requires_grad=i in diff) for i, a in enumerate(arrays)]


def _th(arrays, dtype, diff=()):
    return [torch.tensor(_as(a, dtype), requires_grad=i in diff) for i, a in enumerate(arrays)]


def _rounded(arrays, dtype):
    return [_as(a, dtype).astype(np.float64) if a.dtype.kind == "f" else a for a in arrays]


# ------------------------------------------------------- references (always run) ----

@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", sorted(CASES))
def test_loss_numpy(name, reduction, dtype):
    _, arrays, _, call, ref = CASES[name]
    out = call(PF, reduction, *_pn(arrays, dtype))
    want = ref(reduction, *_rounded(arrays, dtype))
    check(out, want.astype(dtype), rtol=RTOL[dtype], atol=RTOL[dtype])


@pytest.mark.parametrize("reduction", ["none", "mean"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_loss_gradcheck(name, reduction):
    _, arrays, diff, call, _ = CASES[name]
    fixed = list(arrays)

    def fn(*xs):
        args = [pynet.tensor(_as(a, "float64")) for a in fixed]
        for i, x in zip(diff, xs):
            args[i] = x
        return call(PF, reduction, *args)
    assert gc(fn, *[arrays[i] for i in diff])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(DISTANCES))
def test_distance_numpy(name, dtype):
    _, arrays, call, ref = DISTANCES[name]
    check(call(PF, *_pn(arrays, dtype)), ref(*_rounded(arrays, dtype)).astype(dtype),
          rtol=RTOL[dtype], atol=RTOL[dtype])


@pytest.mark.parametrize("name", [n for n in sorted(DISTANCES) if not n.startswith("pdist")])
def test_distance_gradcheck(name):
    _, arrays, call, _ = DISTANCES[name]
    assert gc(lambda *xs: call(PF, *xs), *arrays)


def test_pdist_gradient_at_zero_distance():
    # rows 0 and 1 coincide: that pair contributes 0 to the gradient (for p = 2, 1 and 3);
    # the other pairs give (x_i - x_j) / d (p = 2), sign(x_i - x_j) (p = 1)
    x = pynet.tensor([[1.0, 2.0], [1.0, 2.0], [0.0, 0.0]], dtype=pynet.float64,
                     requires_grad=True)
    pdist(x).sum().backward()
    u = np.array([1.0, 2.0]) / math.sqrt(5)
    np.testing.assert_allclose(to_np(x.grad), [u, u, -2 * u], rtol=1e-12)
    x.grad = None
    pdist(x, 1).sum().backward()
    np.testing.assert_allclose(to_np(x.grad), [[1, 1], [1, 1], [-2, -2]])


def test_pdist_inf_ties_get_the_full_gradient():
    # rows 0 and 1 differ by (-1, -1): both entries reach the max, each gets sign * g (torch's
    # pdist; not the half each that amax would give)
    x = pynet.tensor([[1.0, 2.0], [2.0, 3.0], [0.0, -1.0]], dtype=pynet.float64,
                     requires_grad=True)
    d = pdist(x, math.inf)
    np.testing.assert_allclose(to_np(d), [1.0, 3.0, 4.0])
    d.sum().backward()
    # pairs (0, 1): d = (-1, -1), a tie; (0, 2): d = (1, 3); (1, 2): d = (2, 4)
    np.testing.assert_allclose(to_np(x.grad), [[-1, 0], [1, 2], [0, -2]])


def test_pdist_p0_counts_differences():
    x = pynet.tensor([[1.0, 2.0], [1.0, 3.0], [1.0, 2.0]])
    check(pdist(x, 0), np.array([1.0, 0.0, 1.0], np.float32))


@pytest.mark.parametrize("n", [0, 1])
def test_pdist_fewer_than_two_rows(n):
    check(pdist(pynet.zeros(n, 3)), np.zeros(0, np.float32))


def test_pdist_zero_columns():
    check(pdist(pynet.zeros(3, 0)), np.zeros(3, np.float32))


def test_normalize_clamps_small_norms():
    # norm 1e-13 < eps: divided by eps, and the gradient is 1 / eps, nothing through the norm
    x = pynet.tensor([[1e-13, 0.0], [3.0, 4.0]], dtype=pynet.float64, requires_grad=True)
    out = normalize(x)
    np.testing.assert_allclose(to_np(out), [[0.1, 0.0], [0.6, 0.8]], rtol=1e-12)
    out.sum().backward()
    np.testing.assert_allclose(to_np(x.grad)[0], [1e12, 1e12], rtol=1e-12)
    np.testing.assert_allclose(to_np(x.grad)[1], [0.032, -0.024], rtol=1e-12)


def test_cosine_similarity_clamped_norm_gradient():
    # x1 = 0: its norm is clamped to eps in value (result 0), yet the gradient is x2_hat / eps
    # with nothing from the norm (torch clamps the norms' values only)
    a = pynet.tensor([[0.0, 0.0], [3.0, 4.0]], dtype=pynet.float64, requires_grad=True)
    b = pynet.tensor([[1.0, 0.0], [0.0, 0.0]], dtype=pynet.float64, requires_grad=True)
    out = cosine_similarity(a, b)
    check(out, np.zeros(2))
    out.sum().backward()
    np.testing.assert_allclose(to_np(a.grad), [[1e8, 0.0], [0.0, 0.0]], rtol=1e-12)
    np.testing.assert_allclose(to_np(b.grad), [[0.0, 0.0], [6e7, 8e7]], rtol=1e-12)


def test_cosine_similarity_dtypes():
    i = pynet.tensor([[1, 2]])
    f = pynet.tensor([[1.0, 3.0]], dtype=pynet.float64)
    want = np.array([7 / math.sqrt(50)])
    check(cosine_similarity(i, f), want)
    check(cosine_similarity(f.float(), pynet.tensor([[True, False]])),
          np.array([1 / math.sqrt(10)], np.float32), rtol=1e-6)
    with pytest.raises(RuntimeError):
        cosine_similarity(i, i)


def test_distance_shapes():
    check(cosine_similarity(pynet.tensor(2.0), pynet.tensor(-3.0), dim=0), np.float32(-1.0))
    check(cosine_similarity(pynet.zeros(0, 3), pynet.zeros(0, 3)), np.zeros(0, np.float32))
    check(cosine_similarity(pynet.ones(2, 0), pynet.ones(2, 0)), np.zeros(2, np.float32))
    check(pairwise_distance(pynet.tensor(1.0), pynet.tensor(3.0), keepdim=True),
          np.float32(2.0 - 1e-6), rtol=1e-6)
    check(pairwise_distance(pynet.tensor([1, 2]), pynet.tensor([1, 3])),
          np.float32(np.hypot(1e-6, 1 - 1e-6)), rtol=1e-6)
    check(pairwise_distance(pynet.zeros(0, 3), pynet.zeros(0, 3)), np.zeros(0, np.float32))
    check(normalize(pynet.tensor(-3.0), dim=0), np.float32(-1.0))
    check(normalize(pynet.zeros(0, 3)), np.zeros((0, 3), np.float32))


@pytest.mark.parametrize("call", [
    lambda: cosine_similarity(pynet.randn(3), pynet.randn(3)),  # dim 1 of a 1-D input
    lambda: cosine_similarity(pynet.randn(2, 3), pynet.randn(2, 3), dim=2),
    lambda: normalize(pynet.randn(3)),
    lambda: normalize(pynet.randn(2, 3), dim=(0, 2)),
])
def test_distance_dim_out_of_range(call):
    with pytest.raises(IndexError):
        call()


# ------------------------------------------------------------- kinks, by hand ----

def _grads(fn, *arrays):
    xs = [pynet.tensor(np.asarray(a, np.float64), requires_grad=True) for a in arrays]
    fn(*xs).sum().backward()
    return [to_np(x.grad) for x in xs]


def test_kink_gradients():
    # clamp_min kinks pass the gradient on (margin ranking, hinge, triplet) ...
    y = pynet.tensor([1.0, -1.0], dtype=pynet.float64)
    ga, gb = _grads(lambda a, b: margin_ranking_loss(a, b, y, reduction="none"), [1, 1], [1, 1])
    np.testing.assert_array_equal(ga, [-1, 1])
    np.testing.assert_array_equal(gb, [1, -1])
    t = pynet.tensor([-1.0, -1.0, 1.0, 0.0], dtype=pynet.float64)
    (g,) = _grads(lambda x: hinge_embedding_loss(x, t, reduction="none"), [1, 0.5, 1, 1])
    np.testing.assert_array_equal(g, [-1, -1, 1, 0])
    # ... the multi-class margins count a term only where it is > 0 (torch's kernels)
    (g,) = _grads(lambda x: multi_margin_loss(x, pynet.tensor([0]), reduction="none"),
                  [[1.0, 0.0, 0.5]])
    np.testing.assert_allclose(g, [[-1 / 3, 0, 1 / 3]])
    (g,) = _grads(lambda x: multilabel_margin_loss(x, pynet.tensor([0, -1, 2])), [1, 0, 0.5])
    np.testing.assert_allclose(g, [-1 / 3, 0, 1 / 3])


def test_gaussian_var_clamp_keeps_gradient():
    # var 1e-8 < eps is used as 1e-6 in value, and its gradient is d/dv at v = 1e-6
    gx, gy, gv = _grads(lambda x, y, v: gaussian_nll_loss(x, y, v, reduction="none"),
                        [1, 1], [0, 0], [1e-8, 0.5])
    np.testing.assert_allclose(gx, [1e6, 2], rtol=1e-12)
    np.testing.assert_allclose(gv, [0.5 * (1e6 - 1e12), -1], rtol=1e-12)


def test_soft_margin_stays_finite():
    x = pynet.tensor([1000.0], dtype=pynet.float64, requires_grad=True)
    out = soft_margin_loss(x, pynet.tensor([-1.0], dtype=pynet.float64))
    out.backward()
    check(out, np.float64(1000.0))
    check(x.grad, np.array([1.0]))


def test_empty_batches():
    e = pynet.zeros(0)
    assert math.isnan(margin_ranking_loss(e, e, e).item())
    assert margin_ranking_loss(e, e, e, reduction="sum").item() == 0
    assert math.isnan(hinge_embedding_loss(e, e).item())
    check(multi_margin_loss(pynet.zeros(0, 4), pynet.zeros(0, dtype=pynet.int64),
                            reduction="none"), np.zeros(0, np.float32))
    check(multilabel_margin_loss(pynet.zeros(0, 4), pynet.zeros(0, 4, dtype=pynet.int64),
                                 reduction="none"), np.zeros(0, np.float32))
    check(triplet_margin_loss(pynet.zeros(0, 3), pynet.zeros(0, 3), pynet.zeros(0, 3),
                              reduction="sum"), np.float32(0))
    check(cosine_embedding_loss(pynet.zeros(0, 3), pynet.zeros(0, 3), pynet.zeros(0),
                                reduction="none"), np.zeros(0, np.float32))


def test_legacy_reduction_flags():
    x, y = pynet.randn(4), pynet.tensor([1.0, -1.0, 1.0, -1.0])
    with pytest.warns(UserWarning, match="reduction='sum'"):
        out = soft_margin_loss(x, y, size_average=False)
    np.testing.assert_allclose(out.item(), soft_margin_loss(x, y, reduction="sum").item())
    with pytest.warns(UserWarning):
        out = hinge_embedding_loss(x, y, reduce=False)
    assert tuple(out.shape) == (4,)
    with pytest.warns(UserWarning):
        assert MarginRankingLoss(size_average=False).reduction == "sum"


# ------------------------------------------------------------------ PyTorch ----

def _torch_compare(call_pn, call_th, arrays, diff, dtype, tol=None):
    pn, th = _pn(arrays, dtype, diff), _th(arrays, dtype, diff)
    out, ref = call_pn(*pn), call_th(*th)
    tol = tol or RTOL[dtype]
    check(out, ref, rtol=tol, atol=tol)
    if not diff:
        return
    g = rng(9).standard_normal(tuple(ref.shape)).astype(dtype)
    out.backward(pynet.tensor(g))
    ref.backward(torch.tensor(g))
    for i in diff:
        check(pn[i].grad, th[i].grad, rtol=tol, atol=tol * 10)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", sorted(CASES))
def test_loss_vs_torch(need_torch, name, reduction, dtype):
    _, arrays, diff, call, _ = CASES[name]
    _torch_compare(lambda *t: call(PF, reduction, *t), lambda *t: call(TF, reduction, *t),
                   arrays, diff, dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(DISTANCES))
def test_distance_vs_torch(need_torch, name, dtype):
    _, arrays, call, _ = DISTANCES[name]
    _torch_compare(lambda *t: call(PF, *t), lambda *t: call(TF, *t), arrays,
                   tuple(range(len(arrays))), dtype)


@pytest.mark.parametrize("case", [
    ("cosine_similarity", [np.zeros((2, 3)), np.ones((2, 3))], {}),
    ("cosine_similarity", [np.array([[1e-9, 0.0]]), np.array([[0.0, 2e-9]])], {}),
    ("normalize", [np.array([[0.0, 0.0], [1e-13, 0.0]])], {}),
    ("pairwise_distance", [np.ones((2, 3)), np.ones((2, 3))], {"p": 0.5}),
    ("cosine_embedding_loss", [np.zeros((2, 2)), np.array([[1.0, 0.0], [0.0, 0.0]]),
                               np.array([1.0, -1.0])], {"reduction": "none"}),
    ("triplet_margin_loss", [np.array([[0.0, 0.0]]), np.array([[1.0, 0.0]]),
                             np.array([[0.5, 0.0]])], {"swap": True}),
    ("pdist", [np.array([[1.0, 2.0], [1.0, 3.0], [0.0, 0.0]])], {"p": 0.5}),
    # a target of 0 with full=True: 0 log 0 is masked out in value, NaN in the gradient
    ("poisson_nll_loss", [np.array([[0.5, 0.2]]), np.array([[0.0, 3.0]])], {"full": True}),
])
def test_edge_gradients_vs_torch(need_torch, case):
    name, arrays, kw = case
    diff = tuple(i for i, a in enumerate(arrays) if a.ndim > 1)
    # rtol 1e-8: gradients of order 1 / eps, which torch's formulas round differently
    _torch_compare(lambda *t: getattr(PF, name)(*t, **kw),
                   lambda *t: getattr(TF, name)(*t, **kw), arrays, diff, "float64", 1e-8)


@pytest.mark.parametrize("case", [
    ("margin_ranking_loss", [np.array([1, 2]), np.array([1, 3]), np.array([1, -1])], {}),
    ("pairwise_distance", [np.array([[1, 2]]), np.array([[1.0, 3.0]])], {}),
    ("poisson_nll_loss", [np.array([0, 1, 3]), np.array([0, 1, 3])], {"full": True}),
    ("poisson_nll_loss", [np.array([0.5, 1.0, 2.0]), np.array([0, 2, 3])],
     {"full": True, "reduction": "none"}),
    ("cosine_embedding_loss", [np.ones((2, 3)), np.ones((2, 3), np.int64),
                               np.array([1, -1])], {}),
    ("multilabel_soft_margin_loss", [np.ones((2, 3)), np.array([[1, 0, 1], [0, 0, 1]])], {}),
    ("soft_margin_loss", [np.ones((2, 3)), np.array([1, -1, 1])], {"reduction": "none"}),
    ("gaussian_nll_loss", [np.ones(2), np.zeros(2, np.int64), np.ones(2)], {}),
    ("triplet_margin_loss", [np.ones((2, 3), np.int64), np.zeros((2, 3), np.int64),
                             np.ones((2, 3), np.int64)], {}),
    ("multilabel_soft_margin_loss", [np.ones(3), np.ones((2, 3))], {"reduction": "none"}),
])
def test_dtypes_and_odd_shapes_vs_torch(need_torch, case):
    name, arrays, kw = case
    _torch_compare(lambda *t: getattr(PF, name)(*t, **kw),
                   lambda *t: getattr(TF, name)(*t, **kw), arrays, (), "float32")


def _t(*shape, dtype="float32"):
    return np.ones(shape, dtype)


def _l(*values):
    return np.array(values, np.int64)


ERRORS = [  # (function, arrays, kwargs, exception type without torch)
    ("margin_ranking_loss", [_t(3), _t(3), _t(3, 1)], {}, RuntimeError),
    ("margin_ranking_loss", [_t(3), _t(4), _t(3)], {}, RuntimeError),
    ("margin_ranking_loss", [_t(2), _t(2), _t(2)], {"reduction": "avg"}, ValueError),
    ("hinge_embedding_loss", [_t(3), _t(4)], {}, RuntimeError),
    ("soft_margin_loss", [_t(3, 1), _t(1, 3)], {}, RuntimeError),
    ("soft_margin_loss", [_t(3), _t(4)], {}, RuntimeError),
    ("soft_margin_loss", [_l(1, 2), _t(2)], {}, RuntimeError),
    ("cosine_embedding_loss", [_t(3), _t(3), _t(1)], {}, RuntimeError),
    ("cosine_embedding_loss", [_t(2, 3), _t(2, 3), _t()], {}, RuntimeError),
    ("cosine_embedding_loss", [_t(2, 3), _t(2, 3), _t(2, 1)], {}, RuntimeError),
    ("cosine_embedding_loss", [_t(2, 3), _t(2, 4), _t(2)], {}, RuntimeError),
    ("cosine_embedding_loss", [_t(2, 3), _t(2, 3), _t(3)], {}, RuntimeError),
    ("poisson_nll_loss", [_t(3), _t(4)], {}, RuntimeError),
    ("poisson_nll_loss", [_t(3), _t(3)], {"reduction": "x"}, ValueError),
    ("gaussian_nll_loss", [_t(2, 3), _t(2, 3), _t(3)], {}, ValueError),
    ("gaussian_nll_loss", [_t(2, 3), _t(2, 3), _t(1, 1)], {}, ValueError),
    ("gaussian_nll_loss", [_t(2, 3), _t(2, 3), -_t(2, 3)], {}, ValueError),
    ("gaussian_nll_loss", [_t(2, 3), _t(2, 3), _t(2, 3)], {"reduction": "x"}, ValueError),
    ("gaussian_nll_loss", [_t(2, 3), _t(2, 4), _t(2, 3)], {}, RuntimeError),
    ("gaussian_nll_loss", [_t(2), _t(2), _l(1, 1)], {}, RuntimeError),
    ("triplet_margin_loss", [_t(2, 3), _t(3), _t(2, 3)], {}, RuntimeError),
    ("triplet_margin_loss", [_t(2, 3), _t(2, 3), _t(2, 3)], {"margin": 0.0}, ValueError),
    ("triplet_margin_with_distance_loss", [_t(2, 3), _t(2, 3), _t(3)], {}, RuntimeError),
    ("triplet_margin_with_distance_loss", [_t(3), _t(3), _t(3)], {"margin": -1}, ValueError),
    ("triplet_margin_with_distance_loss", [_t(3), _t(3), _t(3)], {"reduction": "x"},
     ValueError),
    ("multilabel_soft_margin_loss", [_t(), _t()], {}, IndexError),
    ("multilabel_soft_margin_loss", [_t(2, 3), _t(2, 4)], {}, RuntimeError),
    ("multilabel_soft_margin_loss", [_t(2, 3), _t(2, 3)], {"reduction": "x"}, ValueError),
    ("multi_margin_loss", [_t(2, 3, 4), _l(0, 1)], {}, RuntimeError),
    ("multi_margin_loss", [_t(2, 0), _l(0, 0)], {}, RuntimeError),
    ("multi_margin_loss", [_t(2, 4), _l(3, 0)], {"p": 3}, ValueError),
    ("multi_margin_loss", [_t(2, 4), _l(4, 0)], {}, RuntimeError),
    ("multi_margin_loss", [_t(2, 4), _l(-1, 0)], {}, RuntimeError),
    ("multi_margin_loss", [_t(2, 4), _t(2)], {}, RuntimeError),
    ("multi_margin_loss", [_t(2, 4), _l(3, 0, 1)], {}, RuntimeError),
    ("multi_margin_loss", [_t(2, 4), _l(3, 0).reshape(2, 1)], {}, RuntimeError),
    ("multi_margin_loss", [_l(1, 2), _l(0)], {}, NotImplementedError),
    ("multilabel_margin_loss", [_t(2, 3, 4), _l(0, 1)], {}, RuntimeError),
    ("multilabel_margin_loss", [_t(2, 4), np.zeros((2, 3), np.int64)], {}, RuntimeError),
    ("multilabel_margin_loss", [_t(2, 4), _l(0, 1, 2, 3)], {}, RuntimeError),
    ("multilabel_margin_loss", [_t(4), _l(0)], {}, RuntimeError),
    ("multilabel_margin_loss", [_t(2, 4), _l([4, -1, 0, 0], [0, -1, 0, 0])], {}, RuntimeError),
    ("multilabel_margin_loss", [_t(2, 4), _l([0, -1, 7, 0], [0, -1, 0, 0])], {}, RuntimeError),
    ("multilabel_margin_loss", [_t(2, 4), _t(2, 4)], {}, RuntimeError),
    ("cosine_similarity", [_t(2, 3), _t(2, 4)], {}, RuntimeError),
    ("cosine_similarity", [_t(2, 3), _t(2, 3)], {"eps": -1.0}, RuntimeError),
    ("pairwise_distance", [_t(2, 3), _t(2, 4)], {}, RuntimeError),
    ("pdist", [_t(3)], {}, RuntimeError),
    ("pdist", [_t(3, 2, 2)], {}, RuntimeError),
    ("pdist", [_l([1, 2], [3, 4])], {}, RuntimeError),
    ("pdist", [_t(3, 2)], {"p": -1}, RuntimeError),
    ("normalize", [_l([3, 4])], {}, RuntimeError),
]


@pytest.mark.parametrize("case", ERRORS, ids=[f"{c[0]}-{i}" for i, c in enumerate(ERRORS)])
def test_errors(case):
    name, arrays, kw, exc = case
    th_call = None
    if torch is not None:
        def th_call():
            return getattr(TF, name)(*[torch.tensor(a) for a in arrays], **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raises_like(lambda: getattr(PF, name)(*[pynet.tensor(a) for a in arrays], **kw),
                    th_call, exc)


def test_argument_type_errors():
    x = pynet.ones(2, 3)
    with pytest.raises(TypeError):
        pairwise_distance(x, x, "fro")
    with pytest.raises(TypeError):
        gaussian_nll_loss(x, x, 2)  # torch also refuses an int var (only float or Tensor)
    with pytest.raises(ValueError):
        multi_margin_loss(x, pynet.tensor([0, 1]), weight=pynet.ones(1, 3))
    with pytest.raises(NotImplementedError, match="out"):
        normalize(x, out=pynet.empty(2, 3))


def test_gaussian_var_float(need_torch):
    r = rng(3)
    a, b = r.standard_normal((2, 3)), r.standard_normal((2, 3))
    check(gaussian_nll_loss(pynet.tensor(a), pynet.tensor(b), 0.5, reduction="none"),
          TF.gaussian_nll_loss(torch.tensor(a), torch.tensor(b), 0.5, reduction="none"),
          rtol=1e-12)
    with pytest.raises(ValueError):
        gaussian_nll_loss(pynet.tensor(a), pynet.tensor(b), -0.5)


def test_multi_margin_output_shapes(need_torch):
    for x, t in [((4,), [2]), ((4,), 2), ((), 0), ((), [0]), ((1, 4), 1)]:
        a = rng(2).standard_normal(x)
        pn = multi_margin_loss(pynet.tensor(a), pynet.tensor(t), reduction="none")
        check(pn, TF.multi_margin_loss(torch.tensor(a), torch.tensor(t), reduction="none"),
              rtol=1e-12)
    for x, t in [((), 0), ((), -1), ((), [0])]:
        a = np.asarray(0.5)
        check(multilabel_margin_loss(pynet.tensor(a), pynet.tensor(t), reduction="none"),
              TF.multilabel_margin_loss(torch.tensor(a), torch.tensor(t), reduction="none"))


# ------------------------------------------------------------------- modules ----

MODULES = [  # (pynet module, torch name, kwargs, functional, inputs)
    (HuberLoss, {"delta": 0.5}, "huber_loss", ["x", "y"]),
    (KLDivLoss, {"reduction": "batchmean"}, "kl_div", ["logp", "p"]),
    (KLDivLoss, {"reduction": "sum", "log_target": True}, "kl_div", ["logp", "logp2"]),
    (MarginRankingLoss, {"margin": 0.3}, "margin_ranking_loss", ["x", "y", "s"]),
    (HingeEmbeddingLoss, {"margin": 0.5, "reduction": "sum"}, "hinge_embedding_loss",
     ["x", "s"]),
    (SoftMarginLoss, {"reduction": "none"}, "soft_margin_loss", ["x", "s"]),
    (CosineEmbeddingLoss, {"margin": 0.2}, "cosine_embedding_loss", ["x", "y", "s1"]),
    (PoissonNLLLoss, {"full": True}, "poisson_nll_loss", ["x", "c"]),
    (GaussianNLLLoss, {"full": True, "eps": 1e-3}, "gaussian_nll_loss", ["x", "y", "v"]),
    (TripletMarginLoss, {"margin": 0.5, "p": 1.0, "swap": True}, "triplet_margin_loss",
     ["x", "y", "z"]),
    (TripletMarginWithDistanceLoss, {"margin": 0.5}, "triplet_margin_with_distance_loss",
     ["x", "y", "z"]),
    (MultiLabelSoftMarginLoss, {"reduction": "sum"}, "multilabel_soft_margin_loss",
     ["x", "b"]),
    (MultiMarginLoss, {"p": 2, "margin": 0.5}, "multi_margin_loss", ["x", "k"]),
    (MultiLabelMarginLoss, {}, "multilabel_margin_loss", ["x", "kk"]),
    (CosineSimilarity, {"dim": 0}, "cosine_similarity", ["x", "y"]),
    (PairwiseDistance, {"p": 3.0, "keepdim": True}, "pairwise_distance", ["x", "y"]),
]


def _module_inputs():
    r = rng(4)
    logp = np.log(r.dirichlet(np.ones(4), 3))
    return {"x": r.standard_normal((3, 4)), "y": r.standard_normal((3, 4)),
            "z": r.standard_normal((3, 4)), "s": _sign((3, 4), 8), "s1": _sign(3, 9),
            "logp": logp, "p": np.exp(np.log(r.dirichlet(np.ones(4), 3))),
            "logp2": np.log(r.dirichlet(np.ones(4), 3)),
            "c": np.floor(np.abs(r.standard_normal((3, 4))) * 4),
            "v": np.abs(r.standard_normal(3)),
            "b": (r.random((3, 4)) < 0.5).astype(float), "k": _l(3, 0, 1),
            "kk": _l([0, 2, -1, 1], [3, -1, 0, 0], [1, 2, 3, 0])}


@pytest.mark.parametrize("case", MODULES, ids=[f"{c[0].__name__}-{i}"
                                               for i, c in enumerate(MODULES)])
def test_module_matches_functional(case):
    cls, kw, fname, names = case
    data = _module_inputs()
    args = [pynet.tensor(data[n]) for n in names]
    fkw = {("norm" if k == "p" and cls is PairwiseDistance else k): v for k, v in kw.items()}
    fkw.pop("norm", None)
    got = cls(**kw)(*args)
    if cls is PairwiseDistance:
        want = PF.pairwise_distance(*args, p=kw["p"], keepdim=True)
    else:
        want = getattr(PF, fname)(*args, **fkw)
    check(got, to_np(want), rtol=1e-12)


@pytest.mark.parametrize("case", MODULES, ids=[f"{c[0].__name__}-{i}"
                                               for i, c in enumerate(MODULES)])
def test_module_vs_torch(need_torch, case):
    cls, kw, _, names = case
    data = _module_inputs()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = cls(**kw)(*[pynet.tensor(data[n]) for n in names])
        want = getattr(torch.nn, cls.__name__)(**kw)(*[torch.tensor(data[n]) for n in names])
    check(got, want, rtol=1e-10, atol=1e-12)


def test_module_constructor_checks():
    with pytest.raises(ValueError):
        TripletMarginLoss(margin=0)
    with pytest.raises(ValueError):
        TripletMarginWithDistanceLoss(margin=-1.0)
    with pytest.raises(ValueError):
        MultiMarginLoss(p=3)
    with pytest.raises(ValueError):
        MultiMarginLoss(weight=pynet.ones(2, 2))
    with pytest.raises(ValueError):
        HuberLoss(reduction="batchmean")  # only KLDivLoss takes 'batchmean'
    assert KLDivLoss(reduction="batchmean").reduction == "batchmean"
    with pytest.raises(TypeError):
        GaussianNLLLoss(True)  # keyword-only, as in torch


def test_module_weight_is_a_buffer():
    w = pynet.tensor([1.0, 2.0, 3.0])
    m = MultiMarginLoss(weight=w)
    assert "weight" in dict(m.named_buffers())
    assert "weight" in MultiLabelSoftMarginLoss(weight=w).state_dict()


def test_triplet_with_custom_distance():
    r = rng(6)
    a, p, n = (r.standard_normal((4, 3)) for _ in range(3))

    def cos_dist(u, v):
        return 1 - cosine_similarity(u, v, dim=-1)
    m = TripletMarginWithDistanceLoss(distance_function=cos_dist, margin=0.4,
                                      reduction="none")
    got = m(pynet.tensor(a), pynet.tensor(p), pynet.tensor(n))

    def cd(u, v):
        return 1 - (u * v).sum(-1) / (vnorm(u, 2) * vnorm(v, 2))
    check(got, np.maximum(0, 0.4 + cd(a, p) - cd(a, n)), rtol=1e-12)
    # the default distance is a PairwiseDistance module
    assert isinstance(TripletMarginWithDistanceLoss().distance_function, PairwiseDistance)
