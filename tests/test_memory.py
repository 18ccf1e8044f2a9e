"""Memory: repeated forward/backward steps must not leak.

The process's resident set size (/proc/self/statm) is read after a warm-up
and again at the end; a leak of even one small tensor or graph node per step
(~100-200 bytes) would grow RSS by well over the allowed few MB.
Also checked: graphs are freed by reference counting alone (no reference
cycles that wait for the garbage collector), as in PyTorch.
"""
import ctypes
import gc
import os
import weakref

import numpy as np
import pytest

import pynet
from pynet.autograd import Function

PAGE = os.sysconf("SC_PAGE_SIZE")
MB = 1024 * 1024
ALLOWED = 3 * MB


def _malloc_trim():
    """Give free heap memory back to the OS (glibc), so that RSS counts memory in use:
    how much freed memory malloc keeps depends on its thresholds, which grow with the
    largest blocks freed so far (earlier tests in the same process), not on leaks."""
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


def rss():
    _malloc_trim()  # no gc.collect() here: one test measures with the collector off
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


def growth(step, warmup, total):
    """RSS growth (bytes) between step `warmup` and step `total`."""
    if os.environ.get("PYNET_ASAN") == "1":
        # AddressSanitizer keeps freed memory in a quarantine (so it can catch
        # use-after-free), which shows up as RSS growth; `make asan` checks the
        # same steps for memory errors, the plain run checks RSS.
        pytest.skip("RSS is not meaningful under AddressSanitizer's quarantine")
    for i in range(warmup):
        step(i)
    gc.collect()
    before = rss()
    for i in range(warmup, total):
        step(i)
    gc.collect()
    return rss() - before


def _check(step, warmup, total):
    g = growth(step, warmup, total)
    assert g < ALLOWED, f"RSS grew by {g / MB:.2f} MB over {total - warmup} steps"


pytestmark = pytest.mark.skipif(not os.path.exists("/proc/self/statm"),
                                reason="needs /proc/self/statm")


def test_basic_forward_backward_100k_steps():
    w = pynet.randn(10, requires_grad=True)
    x = pynet.randn(10)

    def step(i):
        loss = (w * x).sum()
        loss.backward()
        w.grad = None

    _check(step, 20_000, 100_000)
    # the gradient is still right after all those steps
    (w * x).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), x.numpy())


def test_accumulating_grad_without_reset():
    w = pynet.randn(10, dtype=pynet.float64, requires_grad=True)
    x = pynet.randn(10, dtype=pynet.float64)

    def step(i):
        ((w * x).exp() * 0.0 + w).sum().backward()

    n0, n1 = 5_000, 25_000
    _check(step, n0, n1)
    np.testing.assert_allclose(w.grad.numpy(), np.full(10, float(n1)), rtol=1e-12)


def test_retain_graph_graphs_dropped():
    w = pynet.randn(10, requires_grad=True)
    x = pynet.randn(10)

    def step(i):
        loss = (w * x).exp().sum()
        loss.backward(retain_graph=True)
        if i % 2:
            loss.backward(retain_graph=True)   # retained graph is then simply dropped
        w.grad = None

    _check(step, 5_000, 30_000)


def test_graphs_never_backwarded_are_freed():
    w = pynet.randn(10, requires_grad=True)
    x = pynet.randn(10)

    def step(i):
        y = (w * x).tanh().sum()
        del y

    _check(step, 5_000, 30_000)


def test_inplace_ops_on_nonleaf():
    w = pynet.randn(10, requires_grad=True)
    x = pynet.randn(10)

    def step(i):
        y = w * 2.0
        y.add_(1.0)
        y.mul_(x)
        y.sigmoid_()
        y.sum().backward()
        w.grad = None

    _check(step, 5_000, 30_000)


def test_inplace_error_path_does_not_leak():
    w = pynet.randn(10, requires_grad=True)

    def step(i):
        y = w.exp()
        y.add_(1.0)
        try:
            y.sum().backward()
        except RuntimeError:
            pass
        else:
            raise AssertionError("in-place modification not detected")

    _check(step, 3_000, 20_000)


def test_second_backward_error_path_does_not_leak():
    w = pynet.randn(10, requires_grad=True)

    def step(i):
        loss = (w * w).sum()
        loss.backward()
        try:
            loss.backward()
        except RuntimeError:
            pass
        else:
            raise AssertionError("second backward did not raise")
        w.grad = None

    _check(step, 3_000, 20_000)


def test_indexing_ops():
    w = pynet.randn(6, 4, requires_grad=True)
    idx = pynet.tensor([0, 2, 2, 5])
    mask = pynet.tensor(np.array([True, False, True, True]))
    v = pynet.randn(2, 4, requires_grad=True)

    def step(i):
        a = w[idx].sum()
        b = w[:, mask].sum()
        c = w[1::2, 1:3].sum() + w[3].sum()
        out = w.clone()
        out[pynet.tensor([1, 4])] = v
        (a + b + c + (out * out).sum()).backward()
        w.grad = None
        v.grad = None

    _check(step, 3_000, 20_000)


class _Cube(Function):
    @staticmethod
    def forward(ctx, x, k):
        ctx.save_for_backward(x)
        ctx.k = k
        return x * x * x * k

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3.0 * x * x * ctx.k, None


def test_custom_function():
    w = pynet.randn(10, requires_grad=True)

    def step(i):
        _Cube.apply(w, 2.0).sum().backward()
        w.grad = None

    _check(step, 3_000, 20_000)


def test_double_backward_create_graph():
    w = pynet.randn(10, dtype=pynet.float64, requires_grad=True)

    def step(i):
        y = (w ** 3).sum()
        (g,) = pynet.autograd.grad(y, w, create_graph=True)
        (h,) = pynet.autograd.grad(g.sum(), w)
        assert h.shape == w.shape

    _check(step, 3_000, 20_000)


def test_backward_create_graph_then_reset_grad():
    # like torch, x.grad holds a graph here; resetting it must release that graph
    w = pynet.randn(10, dtype=pynet.float64, requires_grad=True)

    def step(i):
        (w.sin() * w).sum().backward(create_graph=True)
        w.grad = None

    _check(step, 3_000, 20_000)


def test_hooks_and_retain_grad():
    w = pynet.randn(10, requires_grad=True)

    def step(i):
        y = w * 2.0
        y.register_hook(lambda g: g * 0.5)
        y.retain_grad()
        (y * y).sum().backward()
        w.grad = None

    _check(step, 3_000, 20_000)


def test_sgd_loop_matmul_no_grad_update():
    rng = np.random.default_rng(0)
    W = pynet.tensor(rng.standard_normal((8, 4)).astype(np.float32) * 0.1, requires_grad=True)
    X = pynet.tensor(rng.standard_normal((16, 8)).astype(np.float32))
    y = pynet.tensor(rng.integers(0, 4, 16))
    ar = pynet.arange(16)

    def step(i):
        loss = -((X @ W).log_softmax(1)[ar, y]).mean()
        loss.backward()
        with pynet.no_grad():
            W.sub_(0.01 * W.grad)
        W.grad = None

    _check(step, 2_000, 15_000)


# ---------------------------------------------------------------- refcounting

class _Marker:
    """Weakly referenceable object kept alive only by a hook closure on a graph node."""


def _node_ref(t):
    """A weakref that dies when t.grad_fn (which holds t's tensor hooks) is freed."""
    m = _Marker()
    t.register_hook(lambda g, m=m: None)
    return weakref.ref(m)


def _freed_without_gc(make):
    """make() builds a graph and returns (weakrefs to intermediates, root or None)."""
    was = gc.isenabled()
    gc.disable()
    try:
        refs = make()
        return [r() is None for r in refs]
    finally:
        if was:
            gc.enable()


def test_graph_freed_by_refcount_after_backward():
    w = pynet.randn(5, requires_grad=True)

    def make():
        h = w * 3.0
        e = h.exp()
        loss = (e * h).sum()
        refs = [weakref.ref(h), weakref.ref(e), weakref.ref(loss), _node_ref(loss), _node_ref(h)]
        loss.backward()
        del h, e, loss
        return refs

    assert all(_freed_without_gc(make))


def test_graph_freed_by_refcount_without_backward():
    w = pynet.randn(5, requires_grad=True)

    def make():
        h = w * 3.0
        loss = (h.tanh() @ h)
        refs = [weakref.ref(h), _node_ref(loss), _node_ref(h)]
        del h, loss
        return refs

    assert all(_freed_without_gc(make))


def test_custom_function_graph_freed_by_refcount():
    w = pynet.randn(5, requires_grad=True)

    def make():
        h = w * 1.0
        out = _Cube.apply(h, 1.0)
        refs = [weakref.ref(h), weakref.ref(out), _node_ref(out), _node_ref(h)]
        out.sum().backward()
        del h, out
        return refs

    assert all(_freed_without_gc(make))


def test_leaf_freed_after_graph_dropped():
    def make():
        w = pynet.randn(5, requires_grad=True)
        loss = (w * w).sum()
        loss.backward()
        refs = [weakref.ref(w)]
        del w, loss
        return refs

    assert all(_freed_without_gc(make))


def test_saved_tensors_released_after_backward():
    # after a backward without retain_graph, the graph no longer holds saved tensors
    w = pynet.randn(5, requires_grad=True)

    def make():
        h = w * 2.0
        s = h.exp()                    # ExpBackward saves its output s
        loss = s.sum()
        rs = weakref.ref(s)
        del s
        loss.backward()                # frees the saved output
        refs = [rs]
        keep = loss                    # the graph (loss.grad_fn) is still alive
        assert keep.grad_fn is not None
        return refs

    assert all(_freed_without_gc(make))


@pytest.mark.skipif(os.environ.get("PYNET_ASAN") == "1",
                    reason="RSS is not meaningful under AddressSanitizer's quarantine")
def test_rss_growth_with_gc_disabled():
    # no per-step garbage that needs the cycle collector
    w = pynet.randn(10, requires_grad=True)
    x = pynet.randn(10)

    def step(i):
        y = (w * x).exp()
        y.retain_grad()
        y.sum().backward()
        w.grad = None

    was = gc.isenabled()
    gc.disable()
    try:
        for i in range(3_000):
            step(i)
        before = rss()
        for i in range(3_000, 30_000):
            step(i)
        g = rss() - before
    finally:
        if was:
            gc.enable()
        gc.collect()
    assert g < ALLOWED, f"RSS grew by {g / MB:.2f} MB with the cycle collector off"


def _cache(large=True):
    info = pynet._C._storage_cache_info(large)
    if not info["capacity"]:
        pytest.skip("the freed-block cache is off in this build (AddressSanitizer)")
    return info


@pytest.mark.parametrize("numel,large", [(300_000, True), (1, False), (5000, False)])
def test_storage_cache_reuses_the_newest_freed_block(numel, large):
    _cache(large)
    x = pynet.empty(numel)
    ptr = x.data_ptr()
    del x
    before = _cache(large)
    y = pynet.empty(numel)  # same size class: the block just freed
    assert y.data_ptr() == ptr
    assert _cache(large)["bytes"] < before["bytes"]


def test_storage_cache_pools_stay_within_their_caps():
    """Many small tensors freed at once fill the small pool only up to its cap, and
    never take room from the large blocks' pool."""
    large = _cache(True)["bytes"]
    cap = _cache(False)["capacity"]
    xs = [pynet.empty(16) for _ in range(cap // 128 + 1000)]  # 128-byte blocks
    del xs
    small = _cache(False)
    assert cap - 1000 * 128 <= small["bytes"] <= cap
    assert _cache(True)["bytes"] == large


def test_storage_cache_full_of_old_sizes_makes_room_for_a_new_one():
    """Blocks freed long ago give way: a cache filled with 16 MB tensors must still
    keep a freed 32 MB one, or every 32 MB tensor would get fresh pages (9x a cat's time)."""
    cap = _cache()["capacity"]
    old = [pynet.empty(4 << 20) for _ in range(cap // (16 << 20) + 2)]
    del old  # more than the cache holds: it is full of 16 MB blocks
    full = _cache()
    assert full["bytes"] <= cap and full["bytes"] > cap - (40 << 20)
    big = pynet.empty(8 << 20)  # 32 MB: a size class the cache does not hold
    del big
    kept = _cache()
    assert kept["bytes"] <= cap
    again = pynet.empty(8 << 20)  # taken from the cache: its bytes drop by the block
    assert kept["bytes"] - _cache()["bytes"] >= 32 << 20
    del again
    assert _cache()["bytes"] <= cap


def _vm_flags(ptr):
    """The VmFlags of the mapping holding address ptr (/proc/self/smaps), or None."""
    with open("/proc/self/smaps") as f:
        inside = False
        for line in f:
            head = line.split()[0]
            if "-" in head and all(c in "0123456789abcdef-" for c in head):
                lo, hi = (int(v, 16) for v in head.split("-"))
                inside = lo <= ptr < hi
            elif inside and line.startswith("VmFlags:"):
                return line.split()[1:]
    return None


def test_large_tensors_are_on_memory_advised_for_huge_pages():
    """Storage of 2 MB or more is mapped 2 MB-aligned and advised MADV_HUGEPAGE (the
    'hg' flag), where Linux has transparent huge pages. (Smaller storage comes from
    malloc's heap, which other libraries may have advised in places: NumPy does so for
    its large arrays.)"""
    _cache()
    if not os.path.exists("/sys/kernel/mm/transparent_hugepage/enabled"):
        pytest.skip("no transparent huge pages in this kernel")
    for numel in (1 << 19, 1 << 20, 3 << 20):  # 2 MB (+ the header: a larger class), 4, 12
        x = pynet.empty(numel)
        header = x.data_ptr() % (2 << 20)
        assert 0 < header <= 256  # the block starts on a 2 MB boundary, then the header
        assert "hg" in _vm_flags(x.data_ptr())


def test_huge_page_blocks_survive_reuse_and_eviction():
    """Values written to blocks that are cached, taken again, and pushed out of the cache
    (unmapped) by larger ones come back intact, and the cache stays within its cap."""
    cap = _cache()["capacity"]
    for rnd in range(2):
        sizes = [(3 << 20) + k * (5 << 19) for k in range(cap // (8 << 20) + 3)]
        kept = []
        for k, n in enumerate(sizes):
            x = pynet.full((n,), float(k + rnd))
            y = x * 2  # a second block of the class
            assert float(y[n - 1]) == 2.0 * (k + rnd) and float(y[0]) == 2.0 * (k + rnd)
            kept.append(float(y[n // 2]))
            del x, y
        assert kept == [2.0 * (k + rnd) for k in range(len(sizes))]
        assert _cache()["bytes"] <= cap
