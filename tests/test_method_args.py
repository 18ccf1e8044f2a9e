"""How the C Tensor methods with keyword arguments match their arguments (pyapi/args.c).

sum, mean, amax, amin, max, min, argmax, argmin, var, std, prod, logsumexp, softmax,
log_softmax, add, sub, div and clamp (and their in-place forms), and the sequence methods
sort, argsort, topk, cumsum, cumprod, gather, index_select, scatter(_), scatter_add(_),
tril(_) and triu(_), take METH_FASTCALL arguments and match them to their parameters
themselves. These tests check that every
way of passing an argument (by position, by name, by a name built at run time) gives
the same result as NumPy, and that every wrong call raises TypeError naming the method,
as PyTorch does.
"""
import numpy as np
import pytest

import pynet

from conftest import to_np

X = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)


def _x():
    return pynet.tensor(X)


# (method, positional form, the same call with keywords, NumPy reference)
SAME_CALLS = [
    ("sum", (1,), {"dim": 1}, X.sum(1)),
    ("sum", (1, True), {"dim": 1, "keepdim": True}, X.sum(1, keepdims=True)),
    ("sum", (), {"dtype": pynet.float64}, X.astype(np.float64).sum()),
    ("mean", (0, True), {"keepdim": True, "dim": 0}, X.mean(0, keepdims=True)),
    ("amax", ((0, 1),), {"dim": (0, 1)}, X.max()),
    ("amin", (1,), {"dim": 1}, X.min(1)),
    ("argmax", (1,), {"dim": 1}, X.argmax(1)),
    ("argmin", (0, True), {"dim": 0, "keepdim": True}, X.argmin(0)[None]),
    ("var", (1,), {"dim": 1}, X.var(1, ddof=1)),
    ("var", (1, False), {"dim": 1, "unbiased": False}, X.var(1)),
    ("std", (None, False), {"correction": 0}, X.std()),
    ("sum", (1, True), {"axis": 1, "keepdims": True}, X.sum(1, keepdims=True)),  # NumPy's names
    ("softmax", (1, pynet.float64), {"dim": 1, "dtype": pynet.float64},
     np.exp(X) / np.exp(X).sum(1, keepdims=True)),
    ("prod", (1,), {"dim": 1}, X.prod(1)),
    ("logsumexp", (1,), {"dim": 1}, np.log(np.exp(X).sum(1))),
    ("softmax", (1,), {"dim": 1}, np.exp(X) / np.exp(X).sum(1, keepdims=True)),
    ("log_softmax", (0,), {"dim": 0}, X - np.log(np.exp(X).sum(0, keepdims=True))),
    ("clamp", (-0.5, 0.5), {"min": -0.5, "max": 0.5}, X.clip(-0.5, 0.5)),
    ("clamp", (None, 0.5), {"max": 0.5}, np.minimum(X, 0.5)),
]


@pytest.mark.parametrize("name,args,kwargs,want", SAME_CALLS,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(SAME_CALLS)])
def test_positional_and_keyword_calls_agree(name, args, kwargs, want):
    by_pos = getattr(_x(), name)(*args)
    by_name = getattr(_x(), name)(**kwargs)
    np.testing.assert_allclose(to_np(by_pos), want, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(to_np(by_pos), to_np(by_name))


IDX = np.array([[0, 2, 1, 0], [3, 3, 0, 1]])


def _seq_results(r):
    """The arrays of a method's result: a tensor, or (values, indices)."""
    return [to_np(t) for t in (r if isinstance(r, tuple) else (r,))]


# the sequence methods (pyapi/seq_methods.c): (method, positional, keywords, NumPy reference)
SEQ_CALLS = [
    ("sort", (0, True), {"dim": 0, "descending": True}, [-np.sort(-X, 0), np.argsort(-X, 0)]),
    ("argsort", (1,), {"dim": 1, "stable": True}, [np.argsort(X, 1, kind="stable")]),
    ("topk", (2, 1, False), {"k": 2, "dim": 1, "largest": False},
     [np.sort(X, 1)[:, :2], np.argsort(X, 1)[:, :2]]),
    ("cumsum", (1,), {"dim": 1}, [np.cumsum(X, 1)]),
    ("cumprod", (0,), {"dim": 0}, [np.cumprod(X, 0)]),
    ("tril", (1,), {"diagonal": 1}, [np.tril(X, 1)]),
    ("triu", (-1,), {"diagonal": -1}, [np.triu(X, -1)]),
]


@pytest.mark.parametrize("name,args,kwargs,want", SEQ_CALLS, ids=[c[0] for c in SEQ_CALLS])
def test_sequence_methods_by_position_and_keyword(name, args, kwargs, want):
    by_pos = _seq_results(getattr(_x(), name)(*args))
    by_name = _seq_results(getattr(_x(), name)(**kwargs))
    for p, k, w in zip(by_pos, by_name, want):
        np.testing.assert_allclose(p, w, rtol=1e-5)
        np.testing.assert_array_equal(p, k)


def test_index_methods_by_position_and_keyword():
    idx = pynet.tensor(IDX[:, :3] % 3)
    want = np.take_along_axis(X[:2, :3], IDX[:, :3] % 3, 1)
    for got in (_x()[:2, :3].gather(1, idx), _x()[:2, :3].gather(dim=1, index=idx)):
        np.testing.assert_array_equal(to_np(got), want)
    sel = pynet.tensor(np.array([2, 0]))
    for got in (_x().index_select(1, sel), _x().index_select(index=sel, dim=1)):
        np.testing.assert_array_equal(to_np(got), X[:, [2, 0]])
    src = pynet.tensor(np.ones((2, 4), np.float32))
    ref = np.zeros((4, 4), np.float32)
    np.add.at(ref, (IDX, np.arange(4)[None].repeat(2, 0)), 1)
    for got in (pynet.zeros(4, 4).scatter_add(0, pynet.tensor(IDX), src),
                pynet.zeros(4, 4).scatter_add(dim=0, index=pynet.tensor(IDX), src=src),
                pynet.zeros(4, 4).scatter(0, pynet.tensor(IDX), src, reduce="add")):
        np.testing.assert_array_equal(to_np(got), ref)
    t = pynet.zeros(4, 4)
    assert t.scatter_(0, pynet.tensor(IDX[:1]), value=2.0) is t
    assert to_np(t)[0, 0] == 2 and to_np(t).sum() == 8


SEQ_BAD_CALLS = [
    ("sort", (0,), {"dim": 0}, ["sort()", "'dim'"]),
    ("sort", (0, False, True), {}, ["sort()", "at most 2"]),
    ("topk", (), {"dim": 0}, ["topk()", "'k'"]),
    ("topk", (1.5,), {}, ["float"]),
    ("cumsum", (), {}, ["cumsum()", "'dim'"]),
    ("cumsum", (0, pynet.float64), {}, ["cumsum()", "at most 1"]),
    ("gather", (0,), {}, ["gather()", "'index'"]),
    ("index_select", (0,), {"idx": 1}, ["index_select()", "'idx'"]),
    ("scatter", (0, pynet.tensor(IDX), pynet.ones(2, 4)), {"reduce": 3}, ["scatter()", "reduce"]),
    ("scatter_add", (0, pynet.tensor(IDX)), {}, ["scatter_add()", "'src'"]),
    ("tril", (0, 1), {}, ["tril()", "at most 1"]),
    ("triu_", (), {"k": 1}, ["triu_()", "'k'"]),
]


def test_keyword_name_built_at_run_time():
    # a name made at run time is not the interned string the method keeps: it is
    # compared by value
    key = "".join(["di", "m"])
    np.testing.assert_array_equal(to_np(_x().sum(**{key: 1})), to_np(_x().sum(1)))
    np.testing.assert_array_equal(to_np(_x().softmax(**{key: 0})), to_np(_x().softmax(0)))


def test_max_with_dim_returns_values_and_indices_by_keyword():
    v, i = _x().max(dim=1, keepdim=True)
    np.testing.assert_array_equal(to_np(v), X.max(1, keepdims=True))
    np.testing.assert_array_equal(to_np(i), X.argmax(1)[:, None])


def test_binary_methods_with_keywords():
    y = np.random.default_rng(1).uniform(1, 2, (3, 4)).astype(np.float32)
    np.testing.assert_allclose(to_np(_x().add(pynet.tensor(y), alpha=2)), X + 2 * y, rtol=1e-6)
    np.testing.assert_allclose(to_np(_x().sub(other=pynet.tensor(y))), X - y, rtol=1e-6)
    np.testing.assert_array_equal(to_np(_x().div(pynet.tensor(y), rounding_mode="floor")),
                                  np.floor(X / y))
    np.testing.assert_array_equal(to_np(_x().div(pynet.tensor(y), rounding_mode=None)),
                                  to_np(_x() / pynet.tensor(y)))
    t = _x()
    assert t.add_(1.0, alpha=3) is t
    np.testing.assert_allclose(to_np(t), X + 3, rtol=1e-6)
    t = _x()
    assert t.clamp_(max=0.0) is t
    np.testing.assert_array_equal(to_np(t), np.minimum(X, 0))


# (method, args, kwargs, words the TypeError message must contain)
BAD_CALLS = [
    ("sum", (), {"dims": 1}, ["sum()", "'dims'"]),
    ("sum", (1,), {"dim": 1}, ["sum()", "'dim'", "position (1)"]),
    ("sum", (1,), {"axis": 1}, ["sum()", "'dim'", "position (1)"]),
    ("sum", (1, False, None), {}, ["sum()", "at most 2 positional"]),
    ("mean", (), {"axes": 0}, ["mean()", "'axes'"]),
    ("max", (1,), {"keepdim": True, "out": None}, ["max()", "'out'"]),
    ("argmax", (0, False, 1), {}, ["argmax()", "at most 2"]),
    ("var", (), {"ddof": 1}, ["var()", "'ddof'"]),
    ("amax", (0,), {"dtype": pynet.float64}, ["amax()", "'dtype'"]),  # amax has no dtype
    ("amin", (0, False, None), {}, ["amin()", "at most 2"]),
    ("logsumexp", (), {}, ["logsumexp()", "'dim'"]),
    ("logsumexp", (), {"keepdim": True}, ["logsumexp()", "missing", "'dim'"]),
    ("softmax", (0, None, 1), {}, ["softmax()", "at most 2"]),
    ("add", (), {}, ["add()", "'other'"]),
    ("add", (pynet.tensor(1.0), 2, 3), {}, ["add()", "at most 1"]),
    ("sub", (pynet.tensor(1.0),), {"beta": 2}, ["sub()", "'beta'"]),
    ("amax", (0,), {"dim": 1}, ["amax()", "'dim'", "position (1)"]),
    ("div", (1.0,), {"rounding_mode": 3}, ["div()", "rounding_mode"]),
    ("div_", (1.0,), {"mode": "floor"}, ["div_()", "'mode'"]),
    ("clamp", (0.0, 1.0, 2.0), {}, ["clamp()", "at most 2"]),
]


@pytest.mark.parametrize("name,args,kwargs,words", BAD_CALLS + SEQ_BAD_CALLS,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(BAD_CALLS + SEQ_BAD_CALLS)])
def test_bad_calls_raise_type_error_naming_the_method(name, args, kwargs, words):
    with pytest.raises(TypeError) as info:
        getattr(_x(), name)(*args, **kwargs)
    for w in words:
        assert w in str(info.value), (w, str(info.value))


@pytest.mark.parametrize("name,args,kwargs,words", BAD_CALLS,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(BAD_CALLS)])
def test_bad_calls_raise_what_torch_raises(name, args, kwargs, words):
    torch = pytest.importorskip("torch")
    args = tuple(torch.tensor(a.item()) if isinstance(a, pynet.Tensor) else a for a in args)
    kwargs = {k: torch.tensor(v.item()) if isinstance(v, pynet.Tensor) else v
              for k, v in kwargs.items()}
    with pytest.raises(TypeError):
        getattr(torch.tensor(X), name)(*args, **kwargs)


def test_a_parameter_and_its_alias_both_by_name():
    with pytest.raises(TypeError, match=r"sum\(\) got multiple values for argument 'dim'"):
        _x().sum(dim=0, axis=1)
    with pytest.raises(TypeError, match=r"amax\(\) got multiple values for argument 'keepdim'"):
        _x().amax(0, keepdim=True, keepdims=False)


def test_keepdim_takes_any_truth_value_and_propagates_its_error():
    np.testing.assert_array_equal(to_np(_x().sum(1, keepdim=1)), to_np(_x().sum(1, True)))
    assert _x().sum(1, keepdim=1).shape == (3, 1)

    class Bad:
        def __bool__(self):
            raise ValueError("no truth here")

    with pytest.raises(ValueError, match="no truth here"):
        _x().sum(1, keepdim=Bad())
