"""pynet.nn.init against torch.nn.init's rules: gains, fans, bounds and standard deviations (with
statistical tolerances derived from the sample size), orthogonality, errors, seeding and
in-place initialisation of parameters that require grad."""
import math
import warnings

import numpy as np
import pytest

import pynet
import pynet.nn.init as init

from conftest import to_np

N_BIG = 200_000   # samples for the statistical checks
Z = 5.0           # tolerance in standard errors


def _std_tol(sigma, n, excess_kurtosis):
    """5 standard errors of the sample standard deviation: SE(s) ~ sigma*sqrt((k+2)/(4n)) for
    a distribution with excess kurtosis k (0 for a normal, -1.2 for a uniform)."""
    return Z * sigma * math.sqrt((excess_kurtosis + 2.0) / (4.0 * n))


def _mean_tol(sigma, n):
    return Z * sigma / math.sqrt(n)


def _check_normal(a, mean, std):
    a = a.astype(np.float64).ravel()
    assert abs(a.mean() - mean) < _mean_tol(std, a.size)
    assert abs(a.std() - std) < _std_tol(std, a.size, 0.0)


def _check_uniform(a, lo, hi):
    a = a.astype(np.float64).ravel()
    assert a.min() >= lo and a.max() <= hi
    sigma = (hi - lo) / math.sqrt(12.0)
    assert abs(a.mean() - (lo + hi) / 2) < _mean_tol(sigma, a.size)
    assert abs(a.std() - sigma) < _std_tol(sigma, a.size, -1.2)
    # the whole interval is used: the extremes lie within a sliver of the bounds
    assert a.min() < lo + (hi - lo) * 1e-3 and a.max() > hi - (hi - lo) * 1e-3


# ------------------------------------------------------------------------- calculate_gain

GAIN_CASES = [("linear", None), ("conv1d", None), ("conv2d", None), ("conv3d", None),
              ("conv_transpose1d", None), ("conv_transpose2d", None),
              ("conv_transpose3d", None), ("sigmoid", None), ("tanh", None), ("relu", None),
              ("leaky_relu", None), ("leaky_relu", 0), ("leaky_relu", 0.2), ("leaky_relu", 1),
              ("leaky_relu", -0.5), ("selu", None), ("tanh", 3.0)]


def test_calculate_gain_values():
    assert init.calculate_gain("linear") == 1
    assert init.calculate_gain("sigmoid") == 1
    assert init.calculate_gain("tanh") == 5.0 / 3
    assert init.calculate_gain("relu") == math.sqrt(2.0)
    assert init.calculate_gain("leaky_relu") == math.sqrt(2.0 / (1 + 0.01 ** 2))
    assert init.calculate_gain("leaky_relu", 0.2) == math.sqrt(2.0 / 1.04)
    assert init.calculate_gain("selu") == 0.75


@pytest.mark.parametrize("nl,param", GAIN_CASES)
def test_calculate_gain_matches_torch(need_torch, nl, param):
    assert init.calculate_gain(nl, param) == need_torch.nn.init.calculate_gain(nl, param)


@pytest.mark.parametrize("nl,param", [("softmax", None), ("ReLU", None), ("leaky_relu", "0.1"),
                                      ("leaky_relu", True)])
def test_calculate_gain_errors_match_torch(need_torch, nl, param):
    with pytest.raises(ValueError) as theirs:
        need_torch.nn.init.calculate_gain(nl, param)
    with pytest.raises(ValueError) as ours:
        init.calculate_gain(nl, param)
    assert str(ours.value) == str(theirs.value)


# -------------------------------------------------------------------------------- fans

@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (1, 1), (16, 3, 3, 3), (8, 4, 5),
                                   (2, 3, 4, 5, 6), (7, 0), (0, 4, 3, 3)])
def test_fans_match_torch(need_torch, shape):
    ours = init._calculate_fan_in_and_fan_out(pynet.empty(shape))
    theirs = need_torch.nn.init._calculate_fan_in_and_fan_out(need_torch.empty(shape))
    assert ours == theirs
    rf = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    assert ours == (shape[1] * rf, shape[0] * rf)


@pytest.mark.parametrize("shape", [(), (5,)])
def test_fans_need_two_dims(need_torch, shape):
    with pytest.raises(ValueError) as theirs:
        need_torch.nn.init._calculate_fan_in_and_fan_out(need_torch.empty(shape))
    with pytest.raises(ValueError) as ours:
        init._calculate_fan_in_and_fan_out(pynet.empty(shape))
    assert str(ours.value) == str(theirs.value)
    assert "fewer than 2 dimensions" in str(ours.value)
    for fn in (init.xavier_uniform_, init.xavier_normal_, init.kaiming_uniform_,
               init.kaiming_normal_):
        with pytest.raises(ValueError, match="fewer than 2 dimensions"):
            fn(pynet.empty(shape) if shape else pynet.empty(()))


def test_bad_fan_mode_matches_torch(need_torch):
    with pytest.raises(ValueError) as theirs:
        need_torch.nn.init.kaiming_uniform_(need_torch.empty(3, 4), mode="fan_avg")
    with pytest.raises(ValueError) as ours:
        init.kaiming_uniform_(pynet.empty(3, 4), mode="fan_avg")
    assert str(ours.value) == str(theirs.value)
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_normal_(pynet.empty(3, 4), mode="fan_avg")
    # the mode is case-insensitive, as in torch
    pynet.manual_seed(0)
    a = to_np(init.kaiming_uniform_(pynet.empty(3, 4), mode="FAN_OUT"))
    pynet.manual_seed(0)
    b = to_np(init.kaiming_uniform_(pynet.empty(3, 4), mode="fan_out"))
    np.testing.assert_array_equal(a, b)


# ------------------------------------------------------------------ simple fills

@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_uniform_and_normal(dtype):
    pynet.manual_seed(1)
    t = pynet.empty(N_BIG, dtype=getattr(pynet, dtype))
    assert init.uniform_(t, -2.0, 3.0) is t
    assert t.dtype == getattr(pynet, dtype)
    _check_uniform(to_np(t), -2.0, 3.0)
    init.uniform_(t)
    _check_uniform(to_np(t), 0.0, 1.0)
    assert init.normal_(t, 1.5, 0.25) is t
    _check_normal(to_np(t), 1.5, 0.25)
    init.normal_(t)
    _check_normal(to_np(t), 0.0, 1.0)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "bool"])
def test_constant_ones_zeros(dtype):
    dt = getattr(pynet, dtype)
    t = pynet.empty(4, 5, dtype=dt)
    assert init.constant_(t, 1 if dtype != "float32" else 0.3) is t
    expect = np.full((4, 5), 0.3 if dtype == "float32" else 1, dtype=dtype)
    np.testing.assert_array_equal(to_np(t), expect)
    assert init.zeros_(t) is t
    np.testing.assert_array_equal(to_np(t), np.zeros((4, 5), dtype=dtype))
    assert init.ones_(t) is t
    np.testing.assert_array_equal(to_np(t), np.ones((4, 5), dtype=dtype))
    assert t.dtype == dt


@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (4, 4), (1, 6)])
def test_eye(shape):
    t = pynet.full(shape, 7.0)
    assert init.eye_(t) is t
    np.testing.assert_array_equal(to_np(t), np.eye(*shape, dtype=np.float32))
    d = init.eye_(pynet.full(shape, 7.0, dtype=pynet.float64))
    assert d.dtype == pynet.float64
    np.testing.assert_array_equal(to_np(d), np.eye(*shape))


@pytest.mark.parametrize("shape", [(3,), (2, 3, 4), ()])
def test_eye_needs_2d(need_torch, shape):
    with pytest.raises(ValueError) as theirs:
        need_torch.nn.init.eye_(need_torch.empty(shape))
    with pytest.raises(ValueError) as ours:
        init.eye_(pynet.empty(shape))
    assert str(ours.value) == str(theirs.value) == "Only tensors with 2 dimensions are supported"


@pytest.mark.parametrize("shape,groups", [((4, 3, 3), 1), ((3, 5, 3, 3), 1), ((6, 2, 3, 4), 2),
                                          ((2, 2, 3, 3, 3), 1), ((6, 4, 5), 3),
                                          ((4, 4, 2, 2), 4)])
def test_dirac_matches_torch(need_torch, shape, groups):
    ours = init.dirac_(pynet.full(shape, 5.0), groups)
    theirs = need_torch.nn.init.dirac_(need_torch.full(shape, 5.0), groups)
    np.testing.assert_array_equal(to_np(ours), theirs.numpy())
    # each group's min(out/groups, in) channels carry exactly one 1
    assert to_np(ours).sum() == groups * min(shape[0] // groups, shape[1])


def test_dirac_errors(need_torch):
    for shape, groups in [((3, 3), 1), ((2, 2, 2, 2, 2, 2), 1), ((5, 2, 3), 2)]:
        with pytest.raises(ValueError) as theirs:
            need_torch.nn.init.dirac_(need_torch.empty(shape), groups)
        with pytest.raises(ValueError) as ours:
            init.dirac_(pynet.empty(shape), groups)
        assert str(ours.value) == str(theirs.value)


# ---------------------------------------------------------------- xavier and kaiming

@pytest.mark.parametrize("shape", [(400, 500), (64, 32, 5, 5)])
@pytest.mark.parametrize("gain", [1.0, init.calculate_gain("relu")])
def test_xavier_uniform(shape, gain):
    pynet.manual_seed(2)
    t = pynet.empty(shape)
    assert init.xavier_uniform_(t, gain=gain) is t
    fan_in, fan_out = init._calculate_fan_in_and_fan_out(t)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    _check_uniform(to_np(t), -bound, bound)


@pytest.mark.parametrize("shape", [(400, 500), (64, 32, 5, 5)])
@pytest.mark.parametrize("gain", [1.0, 5.0 / 3])
def test_xavier_normal(shape, gain):
    pynet.manual_seed(3)
    t = pynet.empty(shape)
    assert init.xavier_normal_(t, gain) is t
    fan_in, fan_out = init._calculate_fan_in_and_fan_out(t)
    _check_normal(to_np(t), 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)))


KAIMING_CASES = [
    ((400, 500), {}, math.sqrt(2.0 / (1 + 0.0)) , 500),            # a=0 leaky_relu -> sqrt(2)
    ((400, 500), {"mode": "fan_out"}, math.sqrt(2.0), 400),
    ((400, 500), {"a": 0.2}, math.sqrt(2.0 / 1.04), 500),
    ((400, 500), {"nonlinearity": "relu"}, math.sqrt(2.0), 500),
    ((400, 500), {"nonlinearity": "tanh", "mode": "fan_out"}, 5.0 / 3, 400),
    ((64, 32, 5, 5), {"a": math.sqrt(5)}, math.sqrt(2.0 / 6.0), 32 * 25),   # nn.Linear/Conv
    ((64, 32, 5, 5), {"mode": "fan_out", "nonlinearity": "relu"}, math.sqrt(2.0), 64 * 25),
]


@pytest.mark.parametrize("shape,kw,gain,fan", KAIMING_CASES)
def test_kaiming_uniform(shape, kw, gain, fan):
    pynet.manual_seed(4)
    t = pynet.empty(shape)
    assert init.kaiming_uniform_(t, **kw) is t
    bound = gain * math.sqrt(3.0 / fan)
    _check_uniform(to_np(t), -bound, bound)


@pytest.mark.parametrize("shape,kw,gain,fan", KAIMING_CASES)
def test_kaiming_normal(shape, kw, gain, fan):
    pynet.manual_seed(5)
    t = pynet.empty(shape)
    assert init.kaiming_normal_(t, **kw) is t
    _check_normal(to_np(t), 0.0, gain / math.sqrt(fan))


@pytest.mark.parametrize("fn", [init.kaiming_uniform_, init.kaiming_normal_])
def test_kaiming_zero_element_is_noop_with_warning(fn):
    t = pynet.empty(0, 3)
    with pytest.warns(UserWarning, match="zero-element"):
        assert fn(t) is t
    assert tuple(t.shape) == (0, 3)


# ------------------------------------------------------------------------ trunc_normal_

def _truncnorm_moments(mean, std, a, b):
    phi = lambda x: math.exp(-x * x / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    Phi = lambda x: (1 + math.erf(x / math.sqrt(2))) / 2  # noqa: E731
    al, be = (a - mean) / std, (b - mean) / std
    zz = Phi(be) - Phi(al)
    m = mean + std * (phi(al) - phi(be)) / zz
    var = std ** 2 * (1 + (al * phi(al) - be * phi(be)) / zz - ((phi(al) - phi(be)) / zz) ** 2)
    return m, math.sqrt(var)


@pytest.mark.parametrize("mean,std,a,b", [(0.0, 1.0, -2.0, 2.0), (0.5, 2.0, -1.0, 1.0),
                                          (0.0, 1.0, 2.0, 3.0), (0.0, 0.02, -0.04, 0.04)])
def test_trunc_normal(mean, std, a, b):
    pynet.manual_seed(6)
    t = pynet.empty(N_BIG)
    assert init.trunc_normal_(t, mean, std, a, b) is t
    x = to_np(t).astype(np.float64)
    assert x.min() >= np.float32(a) and x.max() <= np.float32(b)
    m, s = _truncnorm_moments(mean, std, a, b)
    assert abs(x.mean() - m) < _mean_tol(s, x.size)
    # a truncated normal has excess kurtosis in (-1.2, 0]; -1.2+2 = 0.8 < 2: use the larger 0
    assert abs(x.std() - s) < _std_tol(s, x.size, 0.0)


def test_trunc_normal_default_args_in_bounds():
    pynet.manual_seed(7)
    x = to_np(init.trunc_normal_(pynet.empty(50, 60)))
    assert x.min() >= -2 and x.max() <= 2 and x.std() > 0.5


# --------------------------------------------------------------------------- orthogonal_

@pytest.mark.parametrize("shape", [(5, 5), (3, 7), (7, 3), (6, 2, 2, 2), (50, 40)])
@pytest.mark.parametrize("gain", [1.0, 2.5])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_orthogonal(shape, gain, dtype):
    pynet.manual_seed(8)
    t = pynet.empty(shape, dtype=getattr(pynet, dtype))
    assert init.orthogonal_(t, gain) is t
    assert t.dtype == getattr(pynet, dtype)
    w = to_np(t).reshape(shape[0], -1).astype(np.float64)
    rows, cols = w.shape
    tol = 1e-5 if dtype == "float32" else 1e-12
    if rows <= cols:
        np.testing.assert_allclose(w @ w.T, gain ** 2 * np.eye(rows), atol=tol * gain ** 2)
    if rows >= cols:
        np.testing.assert_allclose(w.T @ w, gain ** 2 * np.eye(cols), atol=tol * gain ** 2)


@pytest.mark.parametrize("shape", [(6, 4), (4, 6)])
def test_orthogonal_is_q_of_drawn_matrix_with_sign_correction(shape):
    """W (transposed if wide) is the Q of the QR of the normal matrix drawn from the global
    generator, with columns signed so that R = Q^T A has a positive diagonal."""
    pynet.manual_seed(9)
    a = to_np(pynet.empty(shape).normal_(0, 1)).astype(np.float64)
    pynet.manual_seed(9)
    w = to_np(init.orthogonal_(pynet.empty(shape))).astype(np.float64)
    if shape[0] < shape[1]:
        a, w = a.T, w.T
    r = w.T @ a
    np.testing.assert_allclose(np.tril(r, -1), 0, atol=1e-5)
    assert (np.diag(r) > 0).all()


def test_orthogonal_errors_and_empty(need_torch):
    with pytest.raises(ValueError) as theirs:
        need_torch.nn.init.orthogonal_(need_torch.empty(4))
    with pytest.raises(ValueError) as ours:
        init.orthogonal_(pynet.empty(4))
    assert str(ours.value) == str(theirs.value)
    e = pynet.empty(0, 3)
    assert init.orthogonal_(e) is e


# ------------------------------------------------------------------------------- sparse_

def test_sparse():
    pynet.manual_seed(10)
    rows, cols = 1000, 200
    t = pynet.empty(rows, cols)
    assert init.sparse_(t, sparsity=0.3, std=0.05) is t
    w = to_np(t)
    zeros_per_col = (w == 0).sum(axis=0)
    assert (zeros_per_col == math.ceil(0.3 * rows)).all()
    nz = w[w != 0].astype(np.float64)
    _check_normal(nz, 0.0, 0.05)
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions are supported"):
        init.sparse_(pynet.empty(2, 3, 4), 0.1)


# ---------------------------------------- requires_grad, seeding, views, misc API

def _all_inits():
    return [
        ("uniform_", lambda t: init.uniform_(t, -1, 1)),
        ("normal_", lambda t: init.normal_(t, 0, 1)),
        ("trunc_normal_", lambda t: init.trunc_normal_(t)),
        ("constant_", lambda t: init.constant_(t, 0.5)),
        ("ones_", init.ones_),
        ("eye_", init.eye_),
        ("xavier_uniform_", init.xavier_uniform_),
        ("xavier_normal_", init.xavier_normal_),
        ("kaiming_uniform_", init.kaiming_uniform_),
        ("kaiming_normal_", init.kaiming_normal_),
        ("orthogonal_", init.orthogonal_),
        ("sparse_", lambda t: init.sparse_(t, 0.5)),
    ]


@pytest.mark.parametrize("name,fn", _all_inits())
def test_init_parameter_that_requires_grad(name, fn):
    w = pynet.full((6, 8), 123.0, requires_grad=True)
    out = fn(w)
    assert out is w
    assert w.requires_grad and w.is_leaf and w.grad_fn is None
    assert not (to_np(w) == 123.0).any()
    # still a working leaf afterwards
    (w * 2).sum().backward()
    np.testing.assert_array_equal(to_np(w.grad), np.full((6, 8), 2.0, dtype=np.float32))


def test_zeros_on_parameter_that_requires_grad():
    w = pynet.ones(3, 4, requires_grad=True)
    assert init.zeros_(w) is w
    assert w.requires_grad and w.is_leaf
    np.testing.assert_array_equal(to_np(w), np.zeros((3, 4), dtype=np.float32))


def test_dirac_on_parameter_that_requires_grad():
    w = pynet.full((3, 3, 3, 3), 9.0, requires_grad=True)
    assert init.dirac_(w) is w
    assert w.requires_grad and w.is_leaf and w.grad_fn is None
    assert to_np(w).sum() == 3.0


@pytest.mark.parametrize("name,fn", [c for c in _all_inits()
                                     if c[0] not in ("constant_", "ones_", "eye_")])
def test_reproducible_under_manual_seed(name, fn):
    pynet.manual_seed(1234)
    a = to_np(fn(pynet.empty(6, 8)))
    pynet.manual_seed(1234)
    b = to_np(fn(pynet.empty(6, 8)))
    np.testing.assert_array_equal(a, b)
    c = to_np(fn(pynet.empty(6, 8)))  # the generator moved on
    assert not np.array_equal(a, c)


def test_init_writes_through_a_non_contiguous_view():
    base = pynet.zeros(50, 40)
    view = base.t()
    assert not view.is_contiguous()
    init.kaiming_uniform_(view)  # fan_in of the (40, 50) view is 50
    bound = math.sqrt(2.0) * math.sqrt(3.0 / 50)
    b = to_np(base)
    assert (b != 0).all() and np.abs(b).max() <= bound
    init.orthogonal_(view)
    v = to_np(base).T.astype(np.float64)   # (40, 50): rows orthonormal
    np.testing.assert_allclose(v @ v.T, np.eye(40), atol=1e-5)


def test_deprecated_aliases_warn_and_work():
    t = pynet.empty(3, 4)
    with pytest.warns(FutureWarning, match=r"nn\.init\.constant` is now deprecated"):
        assert init.constant(t, 2.0) is t
    np.testing.assert_array_equal(to_np(t), np.full((3, 4), 2.0, dtype=np.float32))
    with pytest.warns(FutureWarning):
        init.xavier_uniform(t)
    assert np.abs(to_np(t)).max() <= math.sqrt(6.0 / 7)


def test_generator_argument_draws_from_it():
    a = init.normal_(pynet.empty(3), generator=pynet.Generator().manual_seed(4))
    b = init.normal_(pynet.empty(3), generator=pynet.Generator().manual_seed(4))
    assert a.tolist() == b.tolist()
    with pytest.raises(TypeError, match="Generator"):  # torch raises TypeError too
        init.uniform_(pynet.empty(3), generator=object())


def test_all_exports_match_torch(need_torch):
    assert set(init.__all__) == set(need_torch.nn.init.__all__)
    for name in init.__all__:
        assert callable(getattr(init, name))


def test_no_warnings_for_normal_use():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        init.kaiming_uniform_(pynet.empty(3, 4), a=math.sqrt(5))
        init.trunc_normal_(pynet.empty(3, 4), std=0.02)
