"""Top-level APIs that PyTorch scripts use on their first lines: pynet.cuda and
pynet.backends (a CPU-only build), finfo/iinfo, set_printoptions (honoured by repr),
pynet.testing (assert_close, make_tensor), deterministic-algorithm and matmul-precision
switches.

Values are checked against NumPy / hand-written expectations (always run) and against
PyTorch's behaviour, text and exception types (skipped per test without torch).
"""
import math
import warnings

import numpy as np
import pytest

import pynet
import pynet.backends
import pynet.cuda
import pynet.testing

from conftest import raises_like

NO_CUDA = "Torch not compiled with CUDA enabled"


@pytest.fixture(autouse=True)
def _restore_global_state():
    """Every test starts and ends with PyTorch's defaults (printing, flags, cudnn)."""
    yield
    pynet.set_printoptions(profile="default")
    pynet.use_deterministic_algorithms(False)
    pynet.set_float32_matmul_precision("highest")
    pynet.backends.cudnn.deterministic = False
    pynet.backends.cudnn.benchmark = False
    pynet.backends.cudnn.enabled = True


# ------------------------------------------------------------------ cuda / backends

def test_cuda_queries_say_no_gpu():
    assert pynet.cuda.is_available() is False
    assert pynet.cuda.device_count() == 0
    assert pynet.cuda.is_initialized() is False
    assert pynet.backends.mps.is_available() is False
    assert pynet.backends.mps.is_built() is False
    assert pynet.backends.cudnn.is_available() is False
    assert pynet.backends.cudnn.version() is None


def test_cuda_seeding_and_cache_are_noops_that_keep_the_cpu_stream():
    pynet.manual_seed(3)
    a = pynet.rand(4)
    pynet.manual_seed(3)
    assert pynet.cuda.manual_seed(123) is None
    assert pynet.cuda.manual_seed_all(7) is None
    assert pynet.cuda.seed() is None and pynet.cuda.seed_all() is None
    assert pynet.cuda.empty_cache() is None
    assert pynet.rand(4).tolist() == a.tolist()  # CPU generator untouched


@pytest.mark.parametrize("name", ["synchronize", "current_device", "get_device_name", "init"])
def test_cuda_device_calls_raise_not_compiled(name):
    with pytest.raises(AssertionError, match=NO_CUDA):
        getattr(pynet.cuda, name)()


@pytest.mark.parametrize("name", ["synchronize", "current_device", "get_device_name", "init",
                                  "manual_seed", "manual_seed_all", "empty_cache",
                                  "is_initialized", "device_count", "is_available"])
def test_cuda_functions_behave_like_torch_cpu_build(name, need_torch):
    args = (5,) if name.startswith("manual_seed") else ()
    try:
        expected = ("ok", getattr(need_torch.cuda, name)(*args))
    except Exception as e:  # noqa: BLE001 (the type is what is compared)
        expected = (type(e), str(e))
    try:
        got = ("ok", getattr(pynet.cuda, name)(*args))
    except Exception as e:  # noqa: BLE001
        got = (type(e), str(e))
    assert got == expected


def test_cuda_manual_seed_checks_the_seed_like_torch(need_torch):
    for bad in ("a", None):
        raises_like(lambda: pynet.cuda.manual_seed(bad),
                    lambda: need_torch.cuda.manual_seed(bad))


def test_cudnn_flags_settable_with_torch_defaults(need_torch):
    cudnn = pynet.backends.cudnn
    assert (cudnn.enabled, cudnn.deterministic, cudnn.benchmark) == (
        need_torch.backends.cudnn.enabled, need_torch.backends.cudnn.deterministic,
        need_torch.backends.cudnn.benchmark)
    cudnn.deterministic, cudnn.benchmark, cudnn.enabled = True, True, False
    assert (pynet.backends.cudnn.deterministic, pynet.backends.cudnn.benchmark,
            pynet.backends.cudnn.enabled) == (True, True, False)


def test_cuda_device_is_refused():
    # pynet refuses CUDA devices up front (torch: AssertionError "not compiled with CUDA")
    with pytest.raises((RuntimeError, AssertionError)):
        pynet.ones(2).to("cuda")
    with pytest.raises((RuntimeError, AssertionError)):
        pynet.ones(2, device="cuda")


# ------------------------------------------------------------------ finfo / iinfo

def test_finfo_values_match_numpy():
    for dt, npt in ((pynet.float32, np.float32), (pynet.float64, np.float64)):
        f, n = pynet.finfo(dt), np.finfo(npt)
        assert (f.bits, f.eps, f.max, f.min, f.tiny, f.smallest_normal, f.resolution) == (
            n.bits, float(n.eps), float(n.max), float(n.min), float(n.tiny),
            float(n.smallest_normal), 10.0 ** -n.precision)
        assert f.dtype == str(npt.__name__)
    assert pynet.finfo(pynet.float32).eps == 2.0 ** -23
    assert pynet.finfo(pynet.float64).tiny == 2.0 ** -1022
    assert pynet.finfo() == pynet.finfo(pynet.get_default_dtype())
    i = pynet.iinfo(pynet.int64)
    assert (i.bits, i.max, i.min, i.dtype) == (64, 2 ** 63 - 1, -2 ** 63, "int64")
    assert isinstance(i.max, int) and isinstance(pynet.finfo(pynet.float32).max, float)


@pytest.mark.parametrize("name", ["float32", "float64"])
def test_finfo_equals_torch(name, need_torch):
    f, t = pynet.finfo(getattr(pynet, name)), need_torch.finfo(getattr(need_torch, name))
    for attr in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"):
        assert getattr(f, attr) == getattr(t, attr), attr
    assert repr(f) == repr(t) and str(f) == str(t)


def test_iinfo_equals_torch(need_torch):
    i, t = pynet.iinfo(pynet.int64), need_torch.iinfo(need_torch.int64)
    assert (i.bits, i.max, i.min, i.dtype, repr(i)) == (t.bits, t.max, t.min, t.dtype, repr(t))
    assert repr(pynet.finfo()) == repr(need_torch.finfo())


def test_finfo_iinfo_errors_like_torch(need_torch):
    raises_like(lambda: pynet.iinfo(pynet.bool), lambda: need_torch.iinfo(need_torch.bool))
    raises_like(lambda: pynet.iinfo(pynet.float32),
                lambda: need_torch.iinfo(need_torch.float32))
    raises_like(lambda: pynet.finfo(pynet.int64), lambda: need_torch.finfo(need_torch.int64))
    raises_like(lambda: pynet.finfo(pynet.bool), lambda: need_torch.finfo(need_torch.bool))
    raises_like(lambda: pynet.finfo("float32"), lambda: need_torch.finfo("float32"))
    with pytest.raises(TypeError, match="bool is not supported"):
        pynet.iinfo(pynet.bool)


# ------------------------------------------------------------------ print options

def _arrays():
    rng = np.random.default_rng(0)
    return [np.array([1.0, 2.0]), rng.standard_normal(5), rng.standard_normal((3, 4)) * 1000,
            np.array([1e-5, 1.0]), np.array([1e9, 1.0]), np.arange(2000.0),
            rng.standard_normal((40, 40)), np.arange(30).reshape(5, 6),
            np.array([True, False]), np.array(3.5), np.zeros((0, 3)),
            np.array([np.nan, np.inf, 1.0]), np.array([np.nan, 1.5, -np.inf]),
            rng.standard_normal((2, 3, 50)), np.array([0.0, 0.0]),
            np.array([123456.789, 0.5]), np.arange(100.0).reshape(10, 10)]


OPTIONS = [{}, {"precision": 2}, {"threshold": 5}, {"edgeitems": 1, "threshold": 5},
           {"linewidth": 30}, {"profile": "short"}, {"profile": "full"}, {"sci_mode": True},
           {"sci_mode": False}, {"edgeitems": 0, "threshold": 3},
           {"precision": 8, "linewidth": 200}, {"profile": "short", "precision": 6}]


@pytest.mark.parametrize("opts", OPTIONS, ids=[str(o) for o in OPTIONS])
def test_repr_with_printoptions_equals_torch(opts, need_torch):
    try:
        for a in _arrays():
            for dt in ([None] if a.dtype.kind != "f" else [np.float32, np.float64]):
                b = a if dt is None else a.astype(dt)
                need_torch.set_printoptions(**opts)
                pynet.set_printoptions(**opts)
                expected = repr(need_torch.tensor(b))
                got = repr(pynet.tensor(b)).replace("pynet.", "torch.")
                assert got == expected, (opts, b.dtype, b.shape)
                assert str(pynet.tensor(b)).replace("pynet.", "torch.") == expected
    finally:
        need_torch.set_printoptions(profile="default")


def test_repr_suffix_wraps_at_linewidth_like_torch(need_torch):
    try:
        for opts in ({"linewidth": 40}, {}):
            need_torch.set_printoptions(**opts)
            pynet.set_printoptions(**opts)
            a = np.linspace(-1, 1, 7)
            expected = repr(need_torch.tensor(a, requires_grad=True))
            assert repr(pynet.tensor(a, requires_grad=True)).replace("pynet.", "torch.") == \
                expected
    finally:
        need_torch.set_printoptions(profile="default")


def test_printoptions_hand_checked_and_restored():
    pynet.set_printoptions(precision=2)
    assert repr(pynet.tensor([1.23456, 2.0])) == "tensor([1.23, 2.00])"
    pynet.set_printoptions(threshold=5)  # precision persists until reset
    assert repr(pynet.arange(10)) == "tensor([0, 1, 2,  ..., 7, 8, 9])"
    pynet.set_printoptions(sci_mode=True)
    assert repr(pynet.tensor([1.5])) == "tensor([1.50e+00])"
    pynet.set_printoptions(profile="default")
    assert pynet.get_printoptions() == {"precision": 4, "threshold": 1000, "edgeitems": 3,
                                        "linewidth": 80, "sci_mode": None}
    assert repr(pynet.tensor([1.23456])) == "tensor([1.2346])"
    pynet.set_printoptions(profile="full")
    assert pynet.get_printoptions()["threshold"] == math.inf
    assert "..." not in repr(pynet.arange(5000))


def test_get_printoptions_round_trips_like_torch(need_torch):
    pynet.set_printoptions(precision=3, linewidth=50, sci_mode=False)
    opts = pynet.get_printoptions()
    pynet.set_printoptions(profile="default")
    pynet.set_printoptions(**opts)
    assert pynet.get_printoptions() == opts
    need_torch.set_printoptions(precision=3, linewidth=50, sci_mode=False)
    try:
        assert need_torch._tensor_str.get_printoptions() == opts
    finally:
        need_torch.set_printoptions(profile="default")


def test_set_printoptions_rejects_unknown_profile():
    with pytest.raises(ValueError, match="profile"):
        pynet.set_printoptions(profile="long")


# ------------------------------------------------------------------ testing.assert_close

def _outcome(fn):
    try:
        fn()
        return "ok"
    except Exception as e:  # noqa: BLE001 (type and message are compared)
        return type(e).__name__, str(e).replace("torch.", "pynet.")


CLOSE_CASES = [
    lambda m: ([1.0, 2.0, 3.0], [1.0, 2.5, 3.1], {}),
    lambda m: ([1, 2, 3], [1, 4, 3], {}),
    lambda m: ([1, 2, 7], [1, 5, 3], {}),
    lambda m: ([[1.0, 2.0], [3.0, 4.0]], [[1.0, 2.0], [3.0, 5.0]], {}),
    lambda m: ([1.0, 2.0], [1.0, 2.0001], {}),
    lambda m: ([1.0, 2.0], [1.0, 2.000001], {}),
    lambda m: ([0.0], [1e-3], {}),
    lambda m: ([1.0, 2.0], [1.0, math.inf], {}),
    lambda m: ([math.nan], [math.nan], {}),
    lambda m: ([math.nan, 1.0], [math.nan, 1.0], {"equal_nan": True}),
    lambda m: ([0.0, math.nan], [1.0, math.nan], {}),
    lambda m: ([True, False], [True, True], {}),
    lambda m: ([1.0, 2.0], [1.0, 3.0], {"msg": "custom"}),
    lambda m: ([1.0, 2.0], [1.0, 3.0], {"msg": lambda s: "X" + s}),
    lambda m: ([1.0, 2.0], [1.0, 2.1], {"rtol": 0.1, "atol": 0.0}),
    lambda m: ([1.0, 2.0], [1.0, 2.1], {"rtol": 0.1}),
    lambda m: ([1.0, 2.0], [1.0, 2.0, 3.0], {}),
    lambda m: (3.0, 3.5, {}),
]


@pytest.mark.parametrize("dtype", ["float32", "float64", None])
@pytest.mark.parametrize("case", range(len(CLOSE_CASES)))
def test_assert_close_tensors_like_torch(case, dtype, need_torch):
    a, e, kw = CLOSE_CASES[case](None)
    outcomes = []
    for m in (need_torch, pynet):
        def mk(x):
            arr = np.array(x)
            if dtype is not None and arr.dtype.kind == "f":
                arr = arr.astype(dtype)
            return m.tensor(arr)
        outcomes.append(_outcome(lambda: m.testing.assert_close(mk(a), mk(e), **kw)))
    assert outcomes[1] == outcomes[0]


@pytest.mark.parametrize("args", [
    (1.0, 1.5, {}), (1, 2, {}), (1.0, 1, {}), (1, 1.0, {"check_dtype": False}),
    (True, False, {}), (None, None, {}), (None, 1, {}), ([1.0, 2.0], [1.0, 2.5], {}),
    ([1.0, 2.0], [1.0], {}), ((1.0,), [1.0], {}), ({"a": 1}, {"b": 1}, {}),
    ([[1.0, [2.0]]], [[1.0, [2.5]]], {}), ("a", "b", {}), (0.0, 1e-8, {}),
    (np.array([1.0, 2.0]), np.array([1.0, 3.0]), {}),
    (np.array([1.0, 2.0], np.float32), np.array([1.0, 2.0], np.float32), {}),
    (np.float64(1.0), 1.0, {}),
], ids=str)
def test_assert_close_python_and_numpy_inputs_like_torch(args, need_torch):
    a, e, kw = args
    assert _outcome(lambda: pynet.testing.assert_close(a, e, **kw)) == \
        _outcome(lambda: need_torch.testing.assert_close(a, e, **kw))


def test_assert_close_mixed_inputs_like_torch(need_torch):
    pairs = [
        (lambda m: (m.tensor([1.0]), np.array([1.0])), {}),
        (lambda m: (1.0, m.tensor(1.0)), {}),
        (lambda m: ({"a": m.tensor([1.0])}, {"a": m.tensor([2.0])}), {}),
        (lambda m: ([m.tensor(1.0)], [m.tensor(2.0)]), {}),
        (lambda m: (m.tensor([1.0, 2.0]), m.tensor([1.0, 2.0], dtype=m.float64)), {}),
        (lambda m: (m.tensor([1, 2]), m.tensor([1.0, 2.1])), {"check_dtype": False}),
        (lambda m: (m.tensor([1, 2]), m.tensor([1.0, 2.0])), {"check_dtype": False}),
        (lambda m: (m.tensor(3), m.tensor(3.0)), {"check_dtype": False}),
        (lambda m: (m.tensor(1), m.tensor(2)), {}),
        (lambda m: (m.tensor([1.0], requires_grad=True), m.tensor([1.0])), {}),
    ]
    for make, kw in pairs:
        assert _outcome(lambda: pynet.testing.assert_close(*make(pynet), **kw)) == \
            _outcome(lambda: need_torch.testing.assert_close(*make(need_torch), **kw))


def test_assert_close_default_tolerances_hand_checked():
    ac = pynet.testing.assert_close
    ac(pynet.tensor([1.0]), pynet.tensor([1.0 + 1e-6]))            # float32 rtol 1.3e-6
    with pytest.raises(AssertionError, match="Mismatched elements: 1 / 1"):
        ac(pynet.tensor([1.0]), pynet.tensor([1.0 + 1e-4]))
    x64 = pynet.tensor([1.0], dtype=pynet.float64)
    with pytest.raises(AssertionError, match=r"up to 1e-07 allowed"):
        ac(x64, x64 + 1e-6)
    with pytest.raises(AssertionError, match="not equal"):
        ac(pynet.tensor([5]), pynet.tensor([6]))
    ac(pynet.tensor([5]), pynet.tensor([6]), rtol=0, atol=1)
    with pytest.raises(AssertionError, match=r"Greatest absolute difference: 0.5 at index "
                                             r"\(1, 0\)"):
        ac(pynet.tensor([[0.0], [1.0]]), pynet.tensor([[0.0], [1.5]]))
    with pytest.raises(ValueError, match="no atol"):
        ac(1.0, 1.0, rtol=0.1)
    with pytest.raises(TypeError):
        ac(pynet.tensor([1.0]), [1.0])


def test_assert_close_check_stride_and_subclasses():
    x = pynet.arange(6.0).reshape(2, 3)
    pynet.testing.assert_close(x.t(), x.t().contiguous())
    with pytest.raises(AssertionError, match="stride"):
        pynet.testing.assert_close(x.t(), x.t().contiguous(), check_stride=True)
    p = pynet.nn.Parameter(pynet.ones(2))
    pynet.testing.assert_close(p, pynet.ones(2))
    with pytest.raises(TypeError):
        pynet.testing.assert_close(p, pynet.ones(2), allow_subclasses=False)


# ------------------------------------------------------------------ testing.make_tensor

def test_make_tensor_ranges_and_dtypes():
    pynet.manual_seed(0)
    mt = pynet.testing.make_tensor
    f = mt(2000, dtype=pynet.float32, device="cpu")
    a = f.numpy()
    assert f.dtype == pynet.float32 and a.min() >= -9 and a.max() < 9 and a.std() > 4
    d = mt((3, 4), dtype=pynet.float64, device="cpu", low=2, high=3).numpy()
    assert d.shape == (3, 4) and d.min() >= 2 and d.max() < 3
    i = mt(2000, dtype=pynet.int64, device="cpu").numpy()
    assert set(np.unique(i)) == set(range(-9, 10))
    assert set(np.unique(mt(500, dtype=pynet.int64, device="cpu", low=-1, high=2,
                            exclude_zero=True).numpy())) == {-1, 1}
    b = mt(500, dtype=pynet.bool, device="cpu").numpy()
    assert b.dtype == np.bool_ and b.any() and not b.all()
    z = mt(50, dtype=pynet.float32, device="cpu", low=0, high=0, exclude_zero=True)
    assert (z.numpy() == np.finfo(np.float32).tiny).all()
    big = mt(100, dtype=pynet.float64, device="cpu", low=-1e308, high=1.7e308).numpy()
    assert np.isfinite(big).all()
    assert mt(2, 3, dtype=pynet.float32, device="cpu").shape == (2, 3)
    assert mt([2, 3], dtype=pynet.float32, device="cpu").shape == (2, 3)
    assert mt((), dtype=pynet.float32, device="cpu").shape == ()


def test_make_tensor_noncontiguous_and_grad():
    mt = pynet.testing.make_tensor
    x = mt(2, 3, dtype=pynet.float32, device="cpu", noncontiguous=True, requires_grad=True)
    assert x.shape == (2, 3) and not x.is_contiguous() and x.stride() == (6, 2)
    assert x.requires_grad and x.is_leaf
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * x.detach().numpy())
    assert mt(2, 1, dtype=pynet.int64, device="cpu", noncontiguous=True).stride() == (2, 2)
    assert mt(1, dtype=pynet.float32, device="cpu", noncontiguous=True).is_contiguous()


def test_make_tensor_errors_like_torch(need_torch):
    for kw in ({"low": 1, "high": 0}, {"low": math.nan}, {"low": 1e40, "high": 1e41}):
        raises_like(lambda: pynet.testing.make_tensor(2, dtype=pynet.float32, device="cpu",
                                                      **kw),
                    lambda: need_torch.testing.make_tensor(2, dtype=need_torch.float32,
                                                           device="cpu", **kw))
    raises_like(lambda: pynet.testing.make_tensor(2, dtype=pynet.int64, device="cpu",
                                                  requires_grad=True),
                lambda: need_torch.testing.make_tensor(2, dtype=need_torch.int64,
                                                       device="cpu", requires_grad=True))
    raises_like(lambda: pynet.testing.make_tensor(2, dtype=pynet.int64),
                lambda: need_torch.testing.make_tensor(2, dtype=need_torch.int64))
    with pytest.raises(NotImplementedError, match="memory_format"):
        pynet.testing.make_tensor(2, dtype=pynet.float32, device="cpu", memory_format=1)


# ------------------------------------------------------------------ global switches

def test_deterministic_flags_like_torch(need_torch):
    seq = [((True,), {}), ((True,), {"warn_only": True}), ((False,), {}),
           ((False,), {"warn_only": True}), ((False,), {})]
    try:
        for args, kw in seq:
            pynet.use_deterministic_algorithms(*args, **kw)
            need_torch.use_deterministic_algorithms(*args, **kw)
            assert pynet.are_deterministic_algorithms_enabled() == \
                need_torch.are_deterministic_algorithms_enabled()
            assert pynet.is_deterministic_algorithms_warn_only_enabled() == \
                need_torch.is_deterministic_algorithms_warn_only_enabled()
        for bad in (("x",), (1,)):
            raises_like(lambda: pynet.use_deterministic_algorithms(*bad),
                        lambda: need_torch.use_deterministic_algorithms(*bad))
        raises_like(lambda: pynet.use_deterministic_algorithms(True, warn_only=1),
                    lambda: need_torch.use_deterministic_algorithms(True, warn_only=1))
    finally:
        need_torch.use_deterministic_algorithms(False)


def test_deterministic_flags_hand_checked():
    assert pynet.are_deterministic_algorithms_enabled() is False
    pynet.use_deterministic_algorithms(True)
    assert pynet.are_deterministic_algorithms_enabled() is True
    assert pynet.is_deterministic_algorithms_warn_only_enabled() is False
    # pynet's kernels are deterministic: a matmul and a scatter_add repeat bit for bit
    x = pynet.randn(64, 64)
    idx = pynet.randint(0, 8, (500,))
    src = pynet.randn(500)
    r1 = (x @ x, pynet.zeros(8).scatter_add(0, idx, src))
    r2 = (x @ x, pynet.zeros(8).scatter_add(0, idx, src))
    assert all((a == b).all() for a, b in zip(r1, r2))


def test_float32_matmul_precision(need_torch):
    assert pynet.get_float32_matmul_precision() == "highest"
    a, b = pynet.randn(30, 40), pynet.randn(40, 20)
    exact = (a.double() @ b.double()).numpy()
    for p in ("high", "medium", "highest"):
        pynet.set_float32_matmul_precision(p)
        assert pynet.get_float32_matmul_precision() == p
        # full float32 precision whatever the setting (allowed by PyTorch's doc)
        np.testing.assert_allclose((a @ b).numpy(), exact, rtol=1e-5, atol=1e-5)
    pynet.set_float32_matmul_precision("medium")
    with pytest.warns(UserWarning, match="no effect"):
        pynet.set_float32_matmul_precision("fast")
    assert pynet.get_float32_matmul_precision() == "medium"
    raises_like(lambda: pynet.set_float32_matmul_precision(1),
                lambda: need_torch.set_float32_matmul_precision(1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            need_torch.set_float32_matmul_precision("fast")
            assert need_torch.get_float32_matmul_precision() == "highest"  # unchanged too
        finally:
            need_torch.set_float32_matmul_precision("highest")


def test_new_names_documented_with_signatures():
    import inspect

    names = [pynet.finfo, pynet.iinfo, pynet.set_printoptions, pynet.get_printoptions,
             pynet.use_deterministic_algorithms, pynet.are_deterministic_algorithms_enabled,
             pynet.is_deterministic_algorithms_warn_only_enabled,
             pynet.set_float32_matmul_precision, pynet.get_float32_matmul_precision,
             pynet.testing.assert_close, pynet.testing.make_tensor]
    names += [getattr(pynet.cuda, n) for n in pynet.cuda.__all__]
    names += [pynet.backends.mps.is_available, pynet.backends.mps.is_built,
              pynet.backends.cudnn.is_available, pynet.backends.cudnn.version]
    for fn in names:
        assert inspect.getdoc(fn), fn
        inspect.signature(fn)


# ------------------------------------------------------------------------- devices ----

def test_device_objects_parse_like_torch():
    assert repr(pynet.device("cuda:1")) == "device(type='cuda', index=1)"
    assert str(pynet.device("cuda", 0)) == "cuda:0"
    assert pynet.device("cuda").index is None and pynet.device("mps").type == "mps"
    assert pynet.device(pynet.device("cpu:0")) == pynet.device("cpu", 0)
    assert pynet.device("cuda") != pynet.device("cuda:0")
    assert pynet.ones(2).device == "cpu"  # pynet's leniency: compares with a string
    for bad in ("foo", "cuda:x", "cuda:-1"):
        with pytest.raises(RuntimeError):
            pynet.device(bad)
    with pytest.raises(RuntimeError):
        pynet.device("cuda:0", 1)  # an index twice


CUDA_CALLS = [lambda: pynet.ones(2).to("cuda"), lambda: pynet.ones(2).cuda(),
              lambda: pynet.ones(2).to(pynet.device("cuda")),
              lambda: pynet.zeros(2, device="cuda"), lambda: pynet.empty(2, device="cuda:0"),
              lambda: pynet.randn(2, device="cuda"), lambda: pynet.rand(2, device="cuda"),
              lambda: pynet.randint(0, 3, (2,), device="cuda"),
              lambda: pynet.randperm(3, device="cuda"),
              lambda: pynet.normal(0.0, 1.0, (2,), device="cuda"),
              lambda: pynet.zeros_like(pynet.ones(2), device="cuda"),
              lambda: pynet.randn_like(pynet.ones(2), device="cuda"),
              lambda: pynet.full_like(pynet.ones(2), 3.0, device="cuda"),
              lambda: pynet.tensor([1.0], device="cuda"),
              lambda: pynet.nn.Linear(2, 2).cuda(), lambda: pynet.nn.Linear(2, 2).to("cuda"),
              lambda: pynet.nn.Linear(2, 2).to(pynet.device("cuda"))]


@pytest.mark.parametrize("k", range(len(CUDA_CALLS)))
def test_cuda_placement_raises_assertion_error(k):
    # what a CPU-only PyTorch raises ("Torch not compiled with CUDA enabled"); these were
    # RuntimeError, or silently ignored (randn, randint, randperm, *_like, Module.to(device))
    with pytest.raises(AssertionError, match="CUDA"):
        CUDA_CALLS[k]()


def test_other_devices_raise_runtime_error_and_cpu_indices_pass():
    for call in (lambda: pynet.ones(2).to("mps"), lambda: pynet.zeros(2, device="mps"),
                 lambda: pynet.nn.Linear(2, 2).to(device="mps"),
                 lambda: pynet.rand(2, device="foo")):
        with pytest.raises(RuntimeError):
            call()
    assert pynet.zeros(2, device="cpu:0").shape == (2,)
    assert pynet.ones(2).to("cpu:1").tolist() == [1.0, 1.0]
    assert pynet.arange(3, device=pynet.device("cpu")).tolist() == [0, 1, 2]
    assert pynet.ones(2).is_cpu and not pynet.ones(2).is_cuda


def test_device_edge_cases():
    with pytest.raises(TypeError):
        pynet.device(None)
    for bad in (lambda: pynet.device(0), lambda: pynet.ones(2).to(0),
                lambda: pynet.device("cpu:01")):
        with pytest.raises(RuntimeError):
            bad()
    with pynet.device("cpu"):
        assert pynet.ones(1).device == pynet.device("cpu")
    with pytest.raises(AssertionError):
        with pynet.device("cuda"):
            pass


def test_torch_devices_are_read_by_name(need_torch):
    assert pynet.device(need_torch.device("cpu")) == pynet.device("cpu")
    assert pynet.ones(2).to(need_torch.device("cpu")).shape == (2,)
