"""Kernels split across the thread pool give the same results at 1 and at 2 threads,
and match NumPy: elementwise, row kernels (softmax, log_softmax, max/argmax along a
dim), reductions. test_bit_identical_one_and_two_threads compares the raw bytes of
1-thread and 2-thread results (matmul, F.linear with its gradients, reductions,
softmax, elementwise) and of two runs at 2 threads."""
import numpy as np
import pytest

import pynet


@pytest.fixture(params=[1, 2])
def threads(request):
    prev = pynet.get_num_threads()
    pynet.set_num_threads(request.param)
    yield request.param
    pynet.set_num_threads(prev)


def _x(shape, seed=0, dtype=np.float32):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("shape,dim", [((300, 2000), 1), ((2000, 300), 0), ((40, 50, 60), 1)])
def test_softmax_rows(threads, shape, dim):
    x = _x(shape)
    e = np.exp(x.astype(np.float64) - x.max(axis=dim, keepdims=True))
    ref = e / e.sum(axis=dim, keepdims=True)
    out = pynet.from_numpy(x).softmax(dim).numpy()
    np.testing.assert_allclose(out, ref, rtol=2e-6, atol=1e-9)
    lout = pynet.from_numpy(x).log_softmax(dim).numpy()
    np.testing.assert_allclose(lout, np.log(ref), rtol=1e-5, atol=2e-6)


@pytest.mark.parametrize("shape,dim", [((300, 2000), 1), ((2000, 300), 0)])
def test_max_argmax_rows(threads, shape, dim):
    x = _x(shape, 1)
    v, i = pynet.from_numpy(x).max(dim)
    np.testing.assert_array_equal(v.numpy(), x.max(axis=dim))
    np.testing.assert_array_equal(i.numpy(), x.argmax(axis=dim))


# max/min/argmax/argmin with NaN (the first one wins, and a later bigger value must not
# replace it) and ties (the first one wins), every dtype. Along a dim that is not the last
# of a contiguous input: the columns-as-lanes kernel (pn_argreduce_cols): outer blocks,
# column blocks of 1024 and a partial one, a single row. Along the last: rows of 32 or
# more in 16 lanes (ARG_LANES_RUN) and the scalar tail, shorter rows scalar.
ARG_CASES = [((300, 2500), 0), ((3, 70, 1100), 1), ((5, 1, 40), 1), ((7, 30, 2, 3), 1),
             ((2, 3, 4, 5), 0), ((64, 9), 0),
             ((300, 2500), 1), ((5, 33), 1), ((4, 47), 1), ((2, 100003), 1), ((6, 31), 1),
             ((3, 4, 64), 2)]


@pytest.mark.parametrize("shape,dim", ARG_CASES)
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "bool"])
def test_max_argmax_nan_and_ties(threads, shape, dim, dtype):
    rng = np.random.default_rng(sum(shape))
    if dtype == "bool":
        x = rng.integers(0, 2, shape).astype(bool)
    elif dtype == "int64":
        x = rng.integers(-5, 5, shape)  # many ties
    else:
        x = np.round(rng.standard_normal(shape), 1).astype(dtype)  # ties too
        flat = x.reshape(-1)
        flat[rng.choice(flat.size, max(1, flat.size // 50), replace=False)] = np.nan
        x.reshape(-1)[-1] = np.inf  # a bigger value after the NaNs
    t = pynet.from_numpy(x)
    for is_max in (True, False):
        v, i = t.max(dim) if is_max else t.min(dim)
        ref_v = (np.max if is_max else np.min)(x, axis=dim)
        ref_i = (np.argmax if is_max else np.argmin)(x, axis=dim)
        np.testing.assert_array_equal(v.numpy(), ref_v)
        np.testing.assert_array_equal(i.numpy(), ref_i)
        if dtype == "bool":  # torch's argmax/argmin refuse bool (max/min do not)
            with pytest.raises(RuntimeError, match="not implemented for 'Bool'"):
                t.argmax(dim) if is_max else t.argmin(dim)
            continue
        arg = t.argmax(dim, keepdim=True) if is_max else t.argmin(dim, keepdim=True)
        np.testing.assert_array_equal(arg.numpy(), np.expand_dims(ref_i, dim))


def test_elementwise_and_sum_large(threads):
    a, b = _x((1000, 700), 2), _x((700,), 3)
    out = (pynet.from_numpy(a) * pynet.from_numpy(b) + 1.5).exp()
    np.testing.assert_allclose(out.numpy(), np.exp(a * b + 1.5), rtol=3e-6)
    s = pynet.from_numpy(a).sum(0).numpy()
    np.testing.assert_allclose(s, a.astype(np.float64).sum(0), rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("shape,dims", [
    ((4096, 32), 1), ((40_000, 3), -1), ((3, 5, 7), (1, 2)), ((64, 1), 1), ((1, 5000), 1),
    ((8, 300_000), 1), ((20, 70_000), -1), ((17, 2, 100_000), (1, 2)), ((6, 4, 9), (-1, -2)),
    ((2, 3, 0), 2), ((0, 4), 1),
    # tails taken in vector steps of 16 and 8 (plus 0-7 one by one)
    ((4096, 24), 1), ((500, 48), 1), ((64, 8, 28, 28), (2, 3)), ((100, 57), 1), ((9, 63), 1),
    # runs shorter than the main step (sum_short_f32): a classifier's 10, each tail shape
    ((2048, 10), 1), ((100, 7), 1), ((50, 8), 1), ((50, 15), 1), ((50, 16), 1), ((50, 17), 1),
    ((40, 31), 1), ((30, 2), -1)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_row_sums(threads, shape, dims, dtype):
    """Sums over the trailing dims of a contiguous tensor (whole rows per thread, or
    parts that cut long rows when there are few of them) against float64 NumPy."""
    a = _x(shape, 7, dtype) + dtype(0.5)
    t = pynet.from_numpy(a)
    a64 = a.astype(np.float64)
    ref, mag = a64.sum(axis=dims), np.abs(a64).sum(axis=dims)
    # float32: the pairs' roundings (2^-24 of each pair, so of sum|x|) and the final
    # one; float64: 16 partial sums, far inside 2^-44 sum|x| for these lengths
    tol = 2.0**-24 * (mag + np.abs(ref)) if dtype == np.float32 else 2.0**-44 * mag
    n = a.size // ref.size if ref.size else 0
    with np.errstate(invalid="ignore", divide="ignore"):
        cases = ((t.sum(dims), ref, tol), (t.mean(dims), ref / n, tol / n))
    for got, want, bound in cases:
        assert got.dtype == t.dtype and got.shape == want.shape
        g = got.numpy().astype(np.float64)
        np.testing.assert_array_equal(np.isnan(g), np.isnan(want))
        ok = np.isnan(want) | (np.abs(g - want) <= bound)
        assert ok.all(), f"{shape} {dims}: worst {np.max(np.abs(g - want) - bound)} over the bound"


@pytest.mark.parametrize("length", [1, 7, 8, 10, 15, 16, 17, 24, 31])
def test_short_row_sums_same_bits_in_blocks_or_alone(length):
    """Float32 rows shorter than 32 are summed 16 at a time as vector lanes (reduce.c's
    sum_short16_f32), the rows left over one by one (sum_short_f32): each row's sum
    has the same bits either way, with inf, NaN and rows of -0."""
    a = _x((16 * 5 + 3, length), 3, np.float32)
    a[2, 0], a[5, -1], a[20, :] = np.inf, np.nan, -0.0
    whole = pynet.from_numpy(a).sum(1).numpy()
    for i in range(len(a)):
        assert whole[i:i + 1].tobytes() == pynet.from_numpy(a[i:i + 1]).sum(1).numpy().tobytes()


def test_short_row_sums_same_bits_at_one_and_two_threads():
    """Rows that mix NaN with inf - inf: which NaN comes out depends on the order of the
    additions, so each row takes the same path (16-row blocks counted from row 0, the
    rest alone) whatever the split between threads."""
    a = np.random.default_rng(3).choice(np.float32([np.inf, -np.inf, np.nan, 1]), (5003, 25))
    prev, out = pynet.get_num_threads(), []
    try:
        for n in (1, 2):
            pynet.set_num_threads(n)
            out.append(pynet.from_numpy(a).sum(1).numpy().tobytes())
    finally:
        pynet.set_num_threads(prev)
    assert out[0] == out[1]


@pytest.mark.parametrize("dims", [None, 0, 1, (0, 1)])
def test_parallel_reductions_all_kinds(threads, dims):
    a = _x((900, 800), 4)
    ax = dims if dims is None or isinstance(dims, int) else tuple(dims)
    t = pynet.from_numpy(a)
    ref64 = a.astype(np.float64)
    np.testing.assert_allclose(t.sum(dims).numpy() if dims is not None else t.sum().numpy(),
                               ref64.sum(axis=ax), rtol=1e-5, atol=1e-3)
    np.testing.assert_array_equal(t.amax(dims).numpy() if dims is not None else t.amax().numpy(),
                                  a.max(axis=ax))
    np.testing.assert_array_equal(t.amin(dims).numpy() if dims is not None else t.amin().numpy(),
                                  a.min(axis=ax))
    b = a > 0
    np.testing.assert_array_equal(
        pynet.from_numpy(b).sum(dims).numpy() if dims is not None else pynet.from_numpy(b).sum().numpy(),
        b.sum(axis=ax))
    ints = (a * 100).astype(np.int64)
    np.testing.assert_array_equal(
        pynet.from_numpy(ints).sum(dims).numpy() if dims is not None
        else pynet.from_numpy(ints).sum().numpy(), ints.sum(axis=ax))


def test_parallel_max_keeps_nan(threads):
    a = _x((1000, 700), 5)
    a[777, 3] = np.nan
    assert np.isnan(pynet.from_numpy(a).amax().item())
    assert np.isnan(pynet.from_numpy(a).sum().item())


# ------------------------------------------- bit-identical at 1 and 2 threads
#
# The tests above compare each thread count with a reference within a
# tolerance. These compare the raw bytes of the results: a kernel that splits
# its work across threads must give exactly the result it gives on one thread,
# and the same result on every run. The sizes are well above the thresholds
# at which the kernels split (GEMM: 2 MFLOP, PN_GEMM_PARALLEL_FLOPS in gemm.c;
# reductions: 4 * 32768 elements and at least 8 inputs per accumulator,
# reduce_raw in ops_reduce.c; elementwise and row kernels: 32768 elements).

def _at_threads(n, fn):
    """fn() run with n threads; the previous thread count is restored."""
    prev = pynet.get_num_threads()
    pynet.set_num_threads(n)
    try:
        assert pynet.get_num_threads() == n
        return fn()
    finally:
        pynet.set_num_threads(prev)


def _raw(out):
    """(dtype, shape, bytes) of a tensor, or a tuple of them for a tuple of tensors."""
    if isinstance(out, (tuple, list)):
        return tuple(_raw(o) for o in out)
    a = out.detach().numpy()
    return str(a.dtype), a.shape, np.frombuffer(a.tobytes(), dtype=np.uint8)


def _assert_bit_identical(r1, r2, what, exc=AssertionError):
    if isinstance(r1, tuple) and isinstance(r1[0], tuple):
        assert len(r1) == len(r2), what
        for i, (x, y) in enumerate(zip(r1, r2)):
            _assert_bit_identical(x, y, f"{what}[{i}]", exc)
        return
    (dt1, s1, b1), (dt2, s2, b2) = r1, r2
    assert (dt1, s1) == (dt2, s2), what
    if not np.array_equal(b1, b2):
        x, y = b1.view(dt1), b2.view(dt2)
        nbad = int(np.count_nonzero(x != y))
        diff = float(np.max(np.abs(x.astype(np.float64) - y.astype(np.float64))))
        raise exc(f"{what}: {nbad} of {x.size} elements differ (max |diff| {diff:.3g})")


def _linear_fwd_bwd(m, k, n, seed):
    import pynet.nn.functional as F

    x0, w0, b0 = _x((m, k), seed), _x((n, k), seed + 1), _x((n,), seed + 2)
    g0 = _x((m, n), seed + 3)

    def run():
        x, w, b = (pynet.tensor(a, requires_grad=True) for a in (x0, w0, b0))
        y = F.linear(x, w, b)
        y.backward(pynet.from_numpy(g0))
        return y, x.grad, w.grad, b.grad
    return run


def _unary(shape, seed, f, dtype=np.float32):
    a = _x(shape, seed, dtype)
    return lambda: f(pynet.from_numpy(a))


def _reduce(shape, seed, f, dtype=np.float32):
    """Like _unary, on data with mean 0.5: a sum of it grows with the number of terms,
    so each partial sum has rounding errors of its own, which the split changes."""
    a = _x(shape, seed, dtype) + dtype(0.5)
    return lambda: f(pynet.from_numpy(a))


def _binary(sa, sb, seed, f, dtype=np.float32):
    a, b = _x(sa, seed, dtype), _x(sb, seed + 1, dtype)
    return lambda: f(pynet.from_numpy(a), pynet.from_numpy(b))


BIG = (1024, 1100)  # 1.13M elements

# reduce_raw (csrc/ops/reduce.c) cuts a big reduction into parts, each with its own
# accumulators, added up in order at the end. The number of parts depends only on the
# sizes, so float64 sums, whose rounding the grouping changes, must still come out
# bit-identical at any thread count.

def _gelu(t):
    import pynet.nn.functional as F

    return F.gelu(t)


def _activations_fwd_bwd(shape, seed):
    import pynet.nn.functional as F

    a, g = _x(shape, seed), _x(shape, seed + 1)

    def run():
        x = pynet.tensor(a, requires_grad=True)
        ys = [F.gelu(x), F.silu(x), F.softplus(x), F.elu(x), F.gelu(x, approximate="tanh")]
        sum(ys).backward(pynet.tensor(g))
        return (*ys, x.grad)
    return run


def _batch_norm_fwd_bwd(shape, seed, dtype=np.float32):
    import pynet.nn.functional as F

    a, g = _x(shape, seed, dtype) + dtype(0.5), _x(shape, seed + 1, dtype)
    c = shape[1]

    def run():
        x = pynet.tensor(a, requires_grad=True)
        w, b = (pynet.tensor(_x((c,), seed + k, dtype), requires_grad=True) for k in (2, 3))
        rm, rv = pynet.zeros(c, dtype=x.dtype), pynet.ones(c, dtype=x.dtype)
        y = F.batch_norm(x, rm, rv, w, b, training=True)
        y.backward(pynet.tensor(g))
        return y, x.grad, w.grad, b.grad, rm, rv
    return run


def _case(name, make, marks=()):
    return pytest.param(name, make, id=name, marks=marks)


F64 = np.float64
BIT_CASES = [
    # matmul: one big GEMM, odd sizes, transposed operands, batches, float64
    _case("matmul_512x700x300",
          lambda: _binary((512, 700), (700, 300), 10, lambda a, b: a @ b)),
    _case("matmul_odd_333x1031x517",
          lambda: _binary((333, 1031), (1031, 517), 11, pynet.matmul)),
    # few rows: B packed sliver by sliver (one thread's half of 150 rows too)
    _case("matmul_small_m_32x300x1024",
          lambda: _binary((32, 300), (300, 1024), 31, pynet.matmul)),
    _case("matmul_small_m_150x1031x517",
          lambda: _binary((150, 1031), (1031, 517), 32, pynet.matmul)),
    _case("mm_transposed",
          lambda: _binary((700, 512), (300, 700), 12, lambda a, b: a.t().mm(b.t()))),
    _case("matvec_2000x1500",
          lambda: _binary((2000, 1500), (1500,), 13, lambda a, b: a @ b)),
    _case("bmm_16x128x96x200",
          lambda: _binary((16, 128, 96), (16, 96, 200), 14, pynet.bmm)),
    _case("matmul_broadcast_batch",
          lambda: _binary((4, 1, 256, 64), (3, 64, 128), 15, lambda a, b: a @ b)),
    _case("matmul_float64",
          lambda: _binary((256, 300), (300, 200), 16, lambda a, b: a @ b, F64)),
    _case("linear_fwd_bwd_512x700x300", lambda: _linear_fwd_bwd(512, 700, 300, 17)),
    _case("linear_fwd_bwd_2048x256x384", lambda: _linear_fwd_bwd(2048, 256, 384, 18)),
    _case("linear_fwd_bwd_16x784x256", lambda: _linear_fwd_bwd(16, 784, 256, 19)),
    # reductions over >= 1M elements (float32)
    _case("sum", lambda: _reduce(BIG, 20, lambda t: t.sum())),
    _case("sum_flat_3M", lambda: _reduce((3_000_001,), 21, lambda t: t.sum())),
    _case("mean", lambda: _reduce(BIG, 22, lambda t: t.mean())),
    _case("var", lambda: _reduce(BIG, 23, lambda t: t.var())),
    _case("std_dim0", lambda: _reduce(BIG, 24, lambda t: t.std(0))),
    _case("sum_dim0", lambda: _reduce(BIG, 25, lambda t: t.sum(0))),
    _case("sum_dim1", lambda: _reduce(BIG, 26, lambda t: t.sum(1))),
    _case("sum_short_rows", lambda: _reduce((40_000, 32), 34, lambda t: (t.sum(1), t.mean(-1)))),
    _case("sum_dims12", lambda: _reduce((300, 60, 70), 35, lambda t: t.sum((1, 2)))),
    _case("sum_dims02_keepdim", lambda: _reduce((64, 128, 160), 27, lambda t: t.sum((0, 2), True))),
    _case("mean_dim0", lambda: _reduce(BIG, 28, lambda t: t.mean(0))),
    _case("logsumexp_all", lambda: _reduce(BIG, 29, lambda t: t.logsumexp((0, 1)))),
    _case("logsumexp_dim0", lambda: _reduce(BIG, 30, lambda t: t.logsumexp(0))),
    _case("logsumexp_dim1", lambda: _reduce(BIG, 31, lambda t: t.logsumexp(1))),
    _case("amax_argmax", lambda: _reduce(BIG, 32, lambda t: (t.amax(), t.amax(0), t.argmax(1)))),
    _case("sum_int64", lambda: _reduce(BIG, 33, lambda t: (t * 1000).long().sum())),
    # float64 reductions along the inner dim: each accumulator is filled by one part
    _case("f64_sum_dim1", lambda: _reduce(BIG, 40, lambda t: t.sum(1), F64)),
    _case("f64_logsumexp_dim1", lambda: _reduce(BIG, 41, lambda t: t.logsumexp(1), F64)),
    # float64 reductions into few accumulators (their rounding depends on the grouping)
    _case("f64_sum", lambda: _reduce(BIG, 42, lambda t: t.sum(), F64)),
    _case("f64_sum_dim0", lambda: _reduce(BIG, 43, lambda t: t.sum(0), F64)),
    _case("f64_mean", lambda: _reduce(BIG, 44, lambda t: t.mean(), F64)),
    _case("f64_var", lambda: _reduce(BIG, 45, lambda t: t.var(), F64)),
    _case("f64_logsumexp_all",
          lambda: _reduce(BIG, 46, lambda t: t.logsumexp((0, 1)), F64)),
    # softmax / log_softmax (row kernels), both dims, float32 and float64
    _case("softmax_dim1", lambda: _unary(BIG, 50, lambda t: t.softmax(1))),
    _case("softmax_dim0", lambda: _unary(BIG, 51, lambda t: t.softmax(0))),
    _case("log_softmax_dim1", lambda: _unary(BIG, 52, lambda t: t.log_softmax(1))),
    _case("log_softmax_dim0", lambda: _unary(BIG, 53, lambda t: t.log_softmax(0))),
    _case("softmax_3d_dim1", lambda: _unary((40, 300, 100), 54, lambda t: t.softmax(1))),
    _case("f64_softmax_log_softmax",
          lambda: _unary(BIG, 55, lambda t: (t.softmax(1), t.log_softmax(0)), F64)),
    # elementwise, odd sizes so the pieces do not end on a vector boundary
    _case("exp_tanh_sigmoid",
          lambda: _unary((1_000_003,), 60, lambda t: (t.exp(), t.tanh(), t.sigmoid()))),
    _case("mul_add_div",
          lambda: _binary((1021, 1031), (1021, 1031), 61, lambda a, b: (a * b + 1.5, a / b))),
    _case("broadcast_add_pow",
          lambda: _binary((1021, 1031), (1031,), 62, lambda a, b: (a + b, a.abs() ** 1.7))),
    _case("noncontig_log1p", lambda: _unary((1021, 1031), 63, lambda t: t.t().abs().log1p())),
    _case("f64_exp_gelu",
          lambda: _unary((1_000_003,), 64, lambda t: (t.exp(), _gelu(t)), F64)),
    # batch_norm (csrc/kernels/nn.c): statistics and backward by channel, forward by run
    _case("batch_norm_2d", lambda: _batch_norm_fwd_bwd((16, 32, 28, 28), 70)),
    _case("batch_norm_2d_tails", lambda: _batch_norm_fwd_bwd((256, 8, 5, 7), 71)),
    _case("batch_norm_1d", lambda: _batch_norm_fwd_bwd((4096, 64), 72)),
    _case("f64_batch_norm_2d", lambda: _batch_norm_fwd_bwd((16, 8, 30, 30), 73, F64)),
    # activations (csrc/ops/activation.c) are split across the pool: forward and backward
    _case("activations_fwd_bwd", lambda: _activations_fwd_bwd((1_000_003,), 65)),
]


@pytest.mark.parametrize("name,make", BIT_CASES)
def test_bit_identical_one_and_two_threads(name, make):
    """Same bytes at 1 thread and at 2 threads, and on two runs at 2 threads."""
    run = make()
    r1 = _at_threads(1, lambda: _raw(run()))
    r2 = _at_threads(2, lambda: _raw(run()))
    r2_again = _at_threads(2, lambda: _raw(run()))
    _assert_bit_identical(r2, r2_again, f"{name}: two runs at 2 threads")
    _assert_bit_identical(r1, r2, f"{name}: 1 thread vs 2 threads")


# Arrays of 2^18 elements or more run through the transcendental kernels (unary, atan2,
# activations) in blocks of 1024, each after prefetching the next (kernels/common.h):
# the results must be those of short pieces, which run as one block, to the bit; with
# a ragged end.
LONG_N = (1 << 19) + 1000 + 7
F = pynet.nn.functional
PREFETCHED = [("exp", pynet.exp), ("tanh", pynet.tanh), ("erfc", pynet.erfc),
              ("log1p", lambda t: pynet.log1p(t.abs())), ("sigmoid", pynet.sigmoid),
              ("gelu", F.gelu), ("gelu_tanh", lambda t: F.gelu(t, approximate="tanh")),
              ("silu", F.silu), ("softplus", F.softplus), ("logsigmoid", F.logsigmoid),
              ("mish", F.mish), ("atan", pynet.atan),
              ("atan2", lambda t: pynet.atan2(t, t * 0.5 + 1.0))]


@pytest.mark.parametrize("name,f", PREFETCHED)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_long_arrays_in_prefetched_blocks(threads, name, f, dtype):
    x = _x(LONG_N, 7, dtype) * 4
    g = _x(LONG_N, 8, dtype)
    xt = pynet.from_numpy(x).requires_grad_()
    y = f(xt)
    y.backward(pynet.from_numpy(g))
    pieces, grads = [], []
    for s in range(0, LONG_N, 4096):
        xs = pynet.from_numpy(x[s:s + 4096].copy()).requires_grad_()
        ys = f(xs)
        ys.backward(pynet.from_numpy(g[s:s + 4096].copy()))
        pieces.append(ys.detach().numpy())
        grads.append(xs.grad.numpy())
    np.testing.assert_array_equal(y.detach().numpy(), np.concatenate(pieces))
    np.testing.assert_array_equal(xt.grad.numpy(), np.concatenate(grads))
