"""softmax, log_softmax and logsumexp row kernels (csrc/kernels/reduce.c) and their
fused backward (csrc/ops/softmax.c, csrc/ops/reduce.c):

* float32 outputs within 2 ulp of a float64 NumPy reference (the bound the
  kernels are built for; measured max printed by -s), on contiguous rows, columns,
  a middle dimension and non-contiguous inputs, with values far from the max;
* special values as PyTorch: NaN rows, -inf entries, all -inf rows, +inf, empty;
* results bit-identical at 1 and 2 threads, and run to run;
* gradients (fused backward without create_graph) as PyTorch's.
"""
import zlib

import numpy as np
import pytest

import pynet
import pynet.nn.functional as F

try:  # only the comparisons with PyTorch need it (the need_torch fixture skips them)
    import torch
except ImportError:  # pragma: no cover
    torch = None

OPS = ("softmax", "log_softmax", "logsumexp")


def _ref(op, x64, dim):
    m = x64.max(axis=dim, keepdims=True)
    e = np.exp(x64 - m)
    if op == "softmax":
        return e / e.sum(axis=dim, keepdims=True)
    # log(sum) as log1p(sum - 1) with the 1 (the max's term) left out of the sum:
    # log(1 + tiny) in double would lose the tiny part's low bits
    ones = (x64 == m).sum(axis=dim, keepdims=True)
    ls = np.log1p((ones - 1) + np.where(x64 == m, 0.0, e).sum(axis=dim, keepdims=True))
    if op == "log_softmax":
        return (x64 - m) - ls
    return np.squeeze(m + ls, axis=dim)


def _pn(op, t, dim):
    if op == "softmax":
        return F.softmax(t, dim=dim)
    if op == "log_softmax":
        return F.log_softmax(t, dim=dim)
    return pynet.logsumexp(t, dim=dim)


def _ulps(out, ref):
    """|out - ref| in units of the float32 spacing at ref (subnormal spacing below)."""
    ref32 = ref.astype(np.float32)
    sp = np.spacing(np.abs(ref32)).astype(np.float64)
    return np.abs(out.astype(np.float64) - ref) / sp


CASES = [((256, 512), -1, False), ((256, 512), 0, False), ((7, 33, 5), 1, False),
         ((33, 20), 0, True), ((20, 33), -1, True), ((3, 1000), -1, False), ((5, 7), 1, False),
         ((1, 17), 0, False),
         # short rows (up to 48): float32 softmax and log_softmax rows of 9 or more values
         # through softmax_short.c's register kernels on AVX2/AVX-512 machines, the rest 16
         # at a time through the column kernel and the leftovers alone
         ((40, 10), -1, False), ((37, 48), -1, False), ((19, 1), -1, False), ((3, 17, 5), -1, False),
         # whose multiples of 8 columns move as 8x8 tiles
         ((64, 16), -1, False), ((35, 24), -1, False)]


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("shape,dim,transposed", CASES)
@pytest.mark.parametrize("scale", [3.0, 40.0])
def test_ulp_accuracy(op, shape, dim, transposed, scale):
    # a seed that is the same in every process (hash() of a str is salted per process)
    rng = np.random.default_rng(zlib.crc32(repr((op, shape, dim, scale)).encode()))
    x = rng.uniform(-scale, scale, shape).astype(np.float32)
    t = pynet.from_numpy(x)
    if transposed:  # a non-contiguous view: the strided kernels
        x = np.ascontiguousarray(x.T)
        t = t.t()
    out = _pn(op, t, dim).numpy()
    ulps = _ulps(out, _ref(op, x.astype(np.float64), dim))
    assert ulps.max() <= 2.0, (op, shape, dim, ulps.max())


LOG_FWD_ULPS = 1.5  # (x - m) - ls in float32, ls = log(s) rounded once: 1.32 measured


def _log_softmax_rows(kind, rng, shape):
    if kind == "uniform":
        return rng.uniform(-3, 3, shape)
    if kind == "wide":
        return rng.uniform(-40, 40, shape)
    if kind == "offset":  # x - m rounds where x < m / 2
        return rng.normal(1000, 300, shape)
    if kind == "dominant":  # log(s) tiny: the output at the max is -log(s) itself
        x = rng.uniform(-30, 0, shape)
        x[..., 0] = 20
        return x
    return rng.standard_normal(shape) * 10.0 ** rng.uniform(-8, 3)  # "scaled"


@pytest.mark.parametrize("kind", ["uniform", "wide", "offset", "dominant", "scaled"])
@pytest.mark.parametrize("shape,dim", [((64, 65), -1), ((32, 1000), -1), ((64, 10), -1),
                                       ((64, 33), -1), ((65, 64), 0), ((7, 48), 0)])
def test_log_softmax_float32_ulps(kind, shape, dim):
    # the row, short-row and column kernels' output pass, in float32 after log(s)
    rng = np.random.default_rng(zlib.crc32(repr((kind, shape, dim)).encode()))
    x = _log_softmax_rows(kind, rng, shape if dim == -1 else shape[::-1])
    x = (x if dim == -1 else np.ascontiguousarray(x.T)).astype(np.float32)
    out = F.log_softmax(pynet.from_numpy(x), dim=dim).numpy()
    ulps = _ulps(out, _ref("log_softmax", x.astype(np.float64), dim))
    assert ulps.max() <= LOG_FWD_ULPS, (kind, shape, dim, ulps.max())


@pytest.mark.parametrize("shape,dim,lo,hi", [
    ((400, 5), -1, -3.0, 0.0),      # short rows, sixteen at a time, and the rest alone
    ((400, 64), -1, -4.4, -4.0),    # the row kernel: sums near 64, maxima near -log(64)
    ((64, 400), 0, -4.4, -4.0)])    # the column kernel
def test_logsumexp_where_max_and_log_sum_cancel(shape, dim, lo, hi):
    # a negative max m with log(sum) near -m: logsumexp near 0, where the float exps'
    # errors in log(sum) would be many ulps of the result (60 for the row below)
    x = np.random.default_rng(11).uniform(lo, hi, shape).astype(np.float32)
    row = np.array([-2.4145124, -1.4149898, -2.497092, -1.6301769, -0.938131], np.float32)
    if shape[1] == 5:
        x[7] = row
    ref = _ref("logsumexp", x.astype(np.float64), dim)
    assert np.abs(ref).min() < 2e-3  # the inputs do reach the cancellation
    ulps = _ulps(pynet.logsumexp(pynet.from_numpy(x), dim=dim).numpy(), ref)
    assert ulps.max() <= 2.0, ulps.max()


@pytest.mark.parametrize("shape,dims", [((50, 5, 1), (1, 2)), ((4, 30, 6), (0, 2)),
                                        ((6, 5, 4), (2, 0)), ((3, 4), (0, 1))])
@pytest.mark.parametrize("keepdim", [False, True])
def test_logsumexp_several_dims(shape, dims, keepdim):
    # several dims go through the one-dim kernel (moved last and flattened): its accuracy
    # where max and log(sum) cancel, and the gradient softmax(x) * g through the reshape
    x = np.random.default_rng(5).uniform(-3, 0, shape).astype(np.float32)
    t = pynet.from_numpy(x).requires_grad_()
    y = pynet.logsumexp(t, dim=dims, keepdim=keepdim)
    x64 = x.astype(np.float64)
    m = x64.max(axis=dims, keepdims=True)
    ref_k = m + np.log(np.exp(x64 - m).sum(axis=dims, keepdims=True))
    ref = ref_k if keepdim else np.squeeze(ref_k, axis=dims)
    assert tuple(y.shape) == ref.shape
    assert _ulps(y.detach().numpy(), ref).max() <= 2.0
    g = np.random.default_rng(6).standard_normal(ref.shape).astype(np.float32)
    y.backward(pynet.from_numpy(g))
    gk = g.reshape(ref_k.shape).astype(np.float64)
    np.testing.assert_allclose(t.grad.numpy(), gk * np.exp(x64 - ref_k), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("dim", [-1, 0])
def test_special_values_as_torch(op, dim, need_torch):
    inf, nan = np.inf, np.nan
    rows = [[0.0, 1.0, 2.0, 3.0], [nan, 1.0, 2.0, 3.0], [-inf, 1.0, -inf, 0.5],
            [-inf, -inf, -inf, -inf], [inf, 1.0, 2.0, 3.0], [inf, -inf, 0.0, 1.0],
            [1e30, -1e30, 0.0, 1e-30], [-200.0, 0.0, -100.0, -87.5], [0.0, -inf, -inf, -inf]]
    x = np.array(rows, dtype=np.float32)
    x = np.tile(x, (1, 5))  # rows of 20: the vector loops and their tails
    if dim == 0:
        x = np.ascontiguousarray(x.T)
    tx = torch.from_numpy(x)
    want = {"softmax": lambda: torch.softmax(tx, dim), "log_softmax": lambda: torch.log_softmax(tx, dim),
            "logsumexp": lambda: torch.logsumexp(tx, dim)}[op]().numpy()
    got = _pn(op, pynet.from_numpy(x), dim).numpy()
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    ok = ~np.isnan(want)
    np.testing.assert_allclose(got[ok], want[ok], rtol=3e-6, atol=0)


@pytest.mark.parametrize("op", OPS)
def test_empty(op, need_torch):
    for shape, dim in (((0, 4), -1), ((0, 4), 0), ((3, 0), 0)):
        x = np.zeros(shape, np.float32)
        tx = torch.from_numpy(x)
        want = {"softmax": torch.softmax, "log_softmax": torch.log_softmax,
                "logsumexp": torch.logsumexp}[op](tx, dim).numpy()
        got = _pn(op, pynet.from_numpy(x), dim).numpy()
        assert got.shape == want.shape
        np.testing.assert_array_equal(got, want)


def _run(op, x, dim, threads, bwd):
    prev = pynet.get_num_threads()
    pynet.set_num_threads(threads)
    try:
        t = pynet.from_numpy(x).requires_grad_(bwd)
        y = _pn(op, t, dim)
        if not bwd:
            return y.numpy().tobytes()
        g = pynet.from_numpy(np.random.default_rng(1).standard_normal(tuple(y.shape)).astype(np.float32))
        y.backward(g)
        return y.detach().numpy().tobytes() + t.grad.numpy().tobytes()
    finally:
        pynet.set_num_threads(prev)


LOG_BWD_ULPS = 1.6  # exp(y) is within about 1 ulp (pn_exp_shift_f), then one rounding


@pytest.mark.parametrize("op", ["softmax", "log_softmax"])
@pytest.mark.parametrize("length", [3, 10, 16, 17, 65, 513])
@pytest.mark.parametrize("dim", [-1, 0])
@pytest.mark.parametrize("kind", ["normal", "cancelling", "wide"])
def test_softmax_backward_float32_ulps(op, length, dim, kind):
    # float32 softmax's dx = y (g - s) (s in double) is within 1.5 ulp of the larger
    # term |y| (|g| + |s|), against float64 from the same y and g: where g - s cancels,
    # the result's own ulps say nothing of the computation (s's last bit is all of it).
    # log_softmax's dx = g - exp(y) S (S = sum g): within LOG_BWD_ULPS of |g| + |exp(y) S|
    rng = np.random.default_rng(length + 7 * (dim + 1))
    shape = (41, length) if dim == -1 else (length, 41)
    x = (rng.standard_normal(shape) * rng.choice([0.3, 3.0, 20.0])).astype(np.float32)
    if kind == "normal":
        g = rng.standard_normal(shape)
    elif kind == "cancelling":  # g nearly constant along dim: g - s is small
        g = (rng.standard_normal((41, 1) if dim == -1 else (1, 41))
             + rng.standard_normal(shape) * 1e-4)
    else:
        g = rng.standard_normal(shape) * np.exp(rng.uniform(-20, 20, shape))
    g = g.astype(np.float32)
    t = pynet.from_numpy(x).requires_grad_()
    y = _pn(op, t, dim)
    dx, = pynet.autograd.grad(y, t, pynet.from_numpy(g))
    y64, g64 = y.detach().numpy().astype(np.float64), g.astype(np.float64)
    if op == "softmax":
        s = (g64 * y64).sum(axis=dim, keepdims=True)
        ref = y64 * (g64 - s)
        larger = np.abs(y64) * (np.abs(g64) + np.abs(s))
    else:
        es = np.exp(y64) * g64.sum(axis=dim, keepdims=True)
        ref, larger = g64 - es, np.abs(g64) + np.abs(es)
    larger = np.maximum(larger, np.finfo(np.float32).tiny).astype(np.float32)
    err = np.abs(dx.numpy().astype(np.float64) - ref) / np.spacing(larger).astype(np.float64)
    assert err.max() <= (1.5 if op == "softmax" else LOG_BWD_ULPS), err.max()


def test_softmax_backward_infinite_gradient_as_double_formula():
    # a row whose sum is inf (an inf in g) keeps the double formula: -inf y where g is
    # finite, NaN at the inf itself
    x = pynet.from_numpy(np.array([[0.0, 1.0, 2.0], [0.5, 0.25, 0.0]], np.float32))
    x.requires_grad_()
    g = np.array([[1.0, np.inf, 2.0], [1.0, 2.0, 3.0]], np.float32)
    dx, = pynet.autograd.grad(F.softmax(x, dim=1), x, pynet.from_numpy(g))
    d = dx.numpy()
    assert np.isnan(d[0, 1]) and d[0, 0] == -np.inf and d[0, 2] == -np.inf
    assert np.isfinite(d[1]).all()


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("length", [1, 8, 10, 16, 33, 48, 49, 65, 130])
def test_short_rows_same_bits_in_a_block_or_alone(op, length):
    # short rows in a block (16 in the column kernel, or 8 in the register kernels) and a
    # row alone give the same bits; so do rows whose starts are strided (every other
    # row), and longer rows that the row kernel takes 4 at a time
    x = np.random.default_rng(length).uniform(-20, 20, (2 * 37, length)).astype(np.float32)
    x[3, :] = -np.inf
    x[5, 0] = np.nan
    x[7, -1] = np.inf
    g = np.random.default_rng(1).standard_normal(x.shape[:1] if op == "logsumexp" else x.shape)
    g = g.astype(np.float32)

    def run(rows):  # the output and the gradient of rows of x (a view of it)
        t = pynet.from_numpy(x).requires_grad_()
        y = _pn(op, t[rows], -1)
        y.backward(pynet.from_numpy(np.ascontiguousarray(g[rows])))
        return y.detach().numpy(), t.grad.numpy()[rows]

    whole, dwhole = run(slice(None))
    stepped, dstepped = run(slice(None, None, 2))
    for i in range(0, 2 * 37, 5):
        alone, dalone = run(slice(i, i + 1))
        np.testing.assert_array_equal(whole[i:i + 1], alone)
        np.testing.assert_array_equal(dwhole[i:i + 1], dalone)
        if i % 2 == 0:
            np.testing.assert_array_equal(stepped[i // 2:i // 2 + 1], alone)
            np.testing.assert_array_equal(dstepped[i // 2:i // 2 + 1], dalone)
    # and the gradient is right: float64 reference on the rows without specials
    ok = np.isfinite(x).all(axis=1)
    x64, g64 = x[ok].astype(np.float64), g[ok].astype(np.float64)
    p = np.exp(x64 - x64.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    if op == "softmax":
        want = p * (g64 - (g64 * p).sum(axis=1, keepdims=True))
    elif op == "log_softmax":
        want = g64 - p * g64.sum(axis=1, keepdims=True)
    else:
        want = g64[:, None] * p
    np.testing.assert_allclose(dwhole[ok], want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("op", ["softmax", "log_softmax"])
@pytest.mark.parametrize("length", [1, 7, 10, 16])
def test_short_row_backward_ignores_what_lies_past_each_row(op, length):
    # the backward reads 16 values from a short row's start and masks the rest: rows that
    # are slices of wider rows, with NaN and inf past each, give the bits of dense rows
    wide = np.full((40, 20), np.nan, np.float32)
    wide[:, length + 1:] = np.inf
    wide[:, :length] = np.random.default_rng(length).uniform(-5, 5, (40, length))
    gwide = np.full((40, 20), np.nan, np.float32)
    gwide[:, :length] = np.random.default_rng(7).standard_normal((40, length))

    def grad(x, g):
        t = x.requires_grad_()
        _pn(op, t, -1).backward(g)
        return t.grad.numpy()

    sliced = grad(pynet.from_numpy(wide)[:, :length], pynet.from_numpy(gwide)[:, :length])
    dense = grad(pynet.from_numpy(np.ascontiguousarray(wide[:, :length])),
                 pynet.from_numpy(np.ascontiguousarray(gwide[:, :length])))
    assert np.isfinite(dense).all()
    np.testing.assert_array_equal(sliced, dense)


@pytest.mark.parametrize("op", ["softmax", "log_softmax"])
@pytest.mark.parametrize("length", [16, 40, 64])
def test_many_short_rows_as_rows_alone(op, length):
    # above 2^18 elements, short rows prefetch rows ahead (reduce.c's sm_prefetch_ahead),
    # forward and backward, at 1 thread (where one call takes every row): the same bits
    # as rows computed in a small array, at the start, the middle and the end
    rows = (1 << 18) // length + 37
    rng = np.random.default_rng(length)
    x = rng.uniform(-20, 20, (rows, length)).astype(np.float32)
    g = rng.standard_normal((rows, length)).astype(np.float32)
    whole = _run_rows(op, x, g, 1)
    for i in (0, rows // 2, rows - 5):
        part = _run_rows(op, x[i:i + 5], g[i:i + 5], 1)
        for a, b in zip(whole, part):
            np.testing.assert_array_equal(a[i:i + 5], b)


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_far_apart_columns_staged_as_in_place(op, dtype):
    # along dim 0, columns whose rows are 4 KB or more apart are copied 16 at a time
    # into a contiguous stage (reduce.c's SOFTMAX_STAGED16, SOFTMAX_BWD_STAGED16), the
    # rest read in place: the same bits as the same columns of a narrow copy, forward
    # and backward, with -inf, NaN and inf in some columns
    rng = np.random.default_rng(11)
    x = rng.uniform(-20, 20, (300, 1040)).astype(dtype)
    x[:, 3] = -np.inf
    x[7, 5] = np.nan
    x[9, 20] = np.inf
    g = rng.standard_normal((1040,) if op == "logsumexp" else x.shape).astype(dtype)

    def run(cols):
        t = pynet.from_numpy(np.ascontiguousarray(x[:, cols])).requires_grad_()
        y = _pn(op, t, 0)
        y.backward(pynet.from_numpy(np.ascontiguousarray(g[cols] if op == "logsumexp"
                                                         else g[:, cols])))
        return y.detach().numpy(), t.grad.numpy()

    wide, narrow = run(slice(None)), run(slice(0, 40))
    for a, b in zip(wide, narrow):
        np.testing.assert_array_equal(a[..., :40], b)


def _run_rows(op, x, g, threads):
    """(y, dx) of op over the rows of x with upstream g, at `threads` threads."""
    prev = pynet.get_num_threads()
    pynet.set_num_threads(threads)
    try:
        t = pynet.from_numpy(np.ascontiguousarray(x)).requires_grad_()
        y = _pn(op, t, -1)
        y.backward(pynet.from_numpy(np.ascontiguousarray(g)))
        return y.detach().numpy(), t.grad.numpy()
    finally:
        pynet.set_num_threads(prev)


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("shape,dim", [((512, 1024), -1), ((1024, 515), 0), ((30, 301, 20), 1),
                                       ((4099, 10), -1), ((1001, 33), -1)])
@pytest.mark.parametrize("bwd", [False, True])
def test_bit_identical_threads(op, shape, dim, bwd):
    x = np.random.default_rng(2).uniform(-10, 10, shape).astype(np.float32)
    one = _run(op, x, dim, 1, bwd)
    assert one == _run(op, x, dim, 2, bwd)
    assert one == _run(op, x, dim, 2, bwd)


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("shape,dim,transposed", CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_backward_as_torch(op, shape, dim, transposed, dtype, need_torch):
    rng = np.random.default_rng(3)
    x = rng.uniform(-5, 5, shape).astype(dtype)
    t, tt = pynet.from_numpy(x), torch.from_numpy(x)
    if transposed:
        t, tt = t.t(), tt.t()
    t.requires_grad_(True)
    tt.requires_grad_(True)
    fn = {"softmax": torch.softmax, "log_softmax": torch.log_softmax, "logsumexp": torch.logsumexp}[op]
    yt = fn(tt, dim)
    g = rng.standard_normal(tuple(yt.shape)).astype(dtype)
    yt.backward(torch.from_numpy(g))
    y = _pn(op, t, dim)
    gp = pynet.from_numpy(g)
    if op != "logsumexp":  # a non-contiguous upstream gradient
        gp = pynet.from_numpy(np.ascontiguousarray(g.T)).t() if g.ndim == 2 else gp
    y.backward(gp)
    tol = 2e-6 if dtype == np.float32 else 1e-13
    np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), rtol=tol * 2, atol=tol)
    np.testing.assert_allclose(t.grad.numpy(), tt.grad.numpy(), rtol=tol * 5, atol=tol)
