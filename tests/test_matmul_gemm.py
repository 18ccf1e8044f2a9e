"""pynet.matmul through the C GEMM: every micro-kernel this CPU supports, odd shapes,
transposed operands (no copies), float32/float64 against a float64 NumPy reference,
and calls from several Python threads at once."""
import threading

import numpy as np
import pytest

import pynet

KERNELS = []
for _k in ["avx512", "avx2", "generic"]:
    try:
        pynet._C._gemm_set_kernel(_k)
        KERNELS.append(_k)
    except ValueError:
        pass
DEFAULT = pynet._C._cpu_info()["kernel"]
pynet._C._gemm_set_kernel(DEFAULT)

SHAPES = [(0, 3, 4), (3, 0, 4), (3, 4, 0), (1, 1, 1), (1, 7, 1), (7, 1, 5), (13, 17, 19),
          (31, 64, 33), (64, 784, 256), (97, 101, 103), (128, 1, 128), (2, 300, 3),
          # few rows with B transposed: the dot-product path (M <= 24, K >= 32, 16 M)
          (16, 784, 256), (5, 97, 13), (24, 400, 300), (25, 1000, 30), (1, 32, 1),
          # more rows than one A block (192): A packed many slivers per call, the
          # block's last sliver short (205 = 192 + 13 rows at 1 thread, 410 at 2)
          (205, 131, 70), (410, 67, 45)]


@pytest.fixture(params=KERNELS)
def kernel(request):
    pynet._C._gemm_set_kernel(request.param)
    yield request.param
    pynet._C._gemm_set_kernel(DEFAULT)


def reference(a, b):
    return a.astype(np.float64) @ b.astype(np.float64)


@pytest.mark.parametrize("M,K,N", SHAPES)
@pytest.mark.parametrize("ta", [False, True])
@pytest.mark.parametrize("tb", [False, True])
def test_matmul_all_kernels_shapes_transposes(kernel, M, K, N, ta, tb):
    rng = np.random.default_rng(M * 10000 + K * 100 + N)
    a = rng.standard_normal((K, M) if ta else (M, K)).astype(np.float32)
    b = rng.standard_normal((N, K) if tb else (K, N)).astype(np.float32)
    pa, pb = pynet.from_numpy(a), pynet.from_numpy(b)
    pa, pb = (pa.t() if ta else pa), (pb.t() if tb else pb)
    na, nb = (a.T if ta else a), (b.T if tb else b)
    out = (pa @ pb).numpy()
    ref = reference(na, nb)
    assert out.shape == ref.shape
    # float32 accumulation over K terms: error bound ~ K * eps * sum|a||b|
    bound = 4 * max(K, 1) * np.finfo(np.float32).eps * (np.abs(na) @ np.abs(nb) + 1e-30)
    assert np.all(np.abs(out - ref) <= bound)


@pytest.mark.parametrize("M,K,N", [(5, 7, 3), (64, 65, 66), (1, 200, 1)])
def test_matmul_float64_exactness(M, K, N):
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((M, K)), rng.standard_normal((K, N))
    np.testing.assert_allclose((pynet.from_numpy(a) @ pynet.from_numpy(b)).numpy(), a @ b,
                               rtol=1e-12, atol=1e-12)


def test_matmul_nan_inf_propagate(kernel):
    a = np.ones((5, 6), np.float32)
    b = np.ones((6, 7), np.float32)
    a[2, 3] = np.nan
    b[1, 4] = np.inf
    out = (pynet.from_numpy(a) @ pynet.from_numpy(b)).numpy()
    ref = reference(a, b)
    np.testing.assert_array_equal(np.isnan(out), np.isnan(ref))
    np.testing.assert_array_equal(np.isinf(out), np.isinf(ref))


def test_matmul_padded_rows_no_copy(kernel):
    # a slice of a wider matrix: the GEMM reads it with a leading dimension > width
    rng = np.random.default_rng(3)
    big = rng.standard_normal((40, 50)).astype(np.float32)
    w = rng.standard_normal((20, 30)).astype(np.float32)
    out = (pynet.from_numpy(big)[5:35, 10:30] @ pynet.from_numpy(w)).numpy()
    ref = reference(big[5:35, 10:30], w)
    np.testing.assert_allclose(out, ref, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("threads", [1, 2])
def test_matmul_thread_counts_agree(threads):
    prev = pynet.get_num_threads()
    rng = np.random.default_rng(4)
    a = rng.standard_normal((300, 257)).astype(np.float32)
    b = rng.standard_normal((257, 311)).astype(np.float32)
    try:
        pynet.set_num_threads(threads)
        out = (pynet.from_numpy(a) @ pynet.from_numpy(b)).numpy()
    finally:
        pynet.set_num_threads(prev)
    np.testing.assert_allclose(out, reference(a, b), rtol=1e-4, atol=1e-3)


def test_set_num_threads_validates():
    with pytest.raises(ValueError):
        pynet.set_num_threads(0)
    assert pynet.get_num_threads() >= 1


def test_matmul_from_several_python_threads():
    rng = np.random.default_rng(5)
    mats = [(rng.standard_normal((120, 130)).astype(np.float32),
             rng.standard_normal((130, 140)).astype(np.float32)) for _ in range(6)]
    results, errors = [None] * 6, []

    def work(i):
        try:
            a, b = mats[i]
            for _ in range(5):
                results[i] = (pynet.from_numpy(a) @ pynet.from_numpy(b)).numpy()
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for (a, b), r in zip(mats, results):
        np.testing.assert_allclose(r, reference(a, b), rtol=1e-4, atol=1e-3)


def test_unknown_kernel_rejected():
    with pytest.raises(ValueError):
        pynet._C._gemm_set_kernel("sse9")


def test_cpu_info_peak_from_the_timed_fmas():
    """_cpu_info's peak (for the benchmarks) is lanes x 2 flops x the vector FMAs per
    second it timed at the kernel's width, which the SIMD kernels can always time; the
    generic kernel's is the 2-FMA-unit assumption at the measured clock."""
    info = pynet._C._cpu_info()
    assert info["lanes"] == {"avx512": 16, "avx2": 8}.get(info["kernel"], 4)
    assert info["ghz"] > 0
    if info["kernel"] in ("avx512", "avx2"):
        assert info["fma_per_second"] > 0
        assert info["peak_gflops"] == pytest.approx(info["lanes"] * 2 * info["fma_per_second"] * 1e-9)
        assert info["fma_per_cycle"] == pytest.approx(info["fma_per_second"] / (info["ghz"] * 1e9))
    else:
        assert info["fma_per_second"] == 0
        assert info["peak_gflops"] == pytest.approx(info["lanes"] * 4 * info["ghz"])
