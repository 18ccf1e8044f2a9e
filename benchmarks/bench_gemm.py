"""GEMM speed: pynet beside NumPy's BLAS and PyTorch, GFLOP/s, one run.

Square n = 64 ... 2048 and the course's MLP shapes (784-256-256-10, batch 64)
with the transposed products their backward needs, plus three batch-16 products as
nn.Linear runs them (x W^T, which takes the GEMM's dot-product path, and the K = 16
weight gradient), at 1 thread and at all
threads, plus the machine's single-core float32 peak (SIMD lanes x 2 flops x
vector FMAs per second, measured: Zen 4 retires one 512-bit FMA per cycle, Intel's
server cores two) and the fraction pynet reaches.
Each figure is the median of several repetitions (the machine is shared).

    python benchmarks/bench_gemm.py [--quick]
"""
import os
import statistics
import subprocess
import sys
import time

import numpy as np

import pynet
import _timing  # noqa: F401,E402  (prints the host's steal share at exit)

try:
    import torch
except ImportError:
    torch = None

SQUARE = [64, 128, 256, 512, 1024, 2048]
# (name, M, K, N, transA, transB): C(MxN) = op(A) op(B), as in a batch-64 MLP
COURSE = [
    ("fwd 64x784 @ 784x256", 64, 784, 256, False, False),
    ("fwd 64x256 @ 256x256", 64, 256, 256, False, False),
    ("fwd 64x256 @ 256x10", 64, 256, 10, False, False),
    ("dW  784x64 @ 64x256 (A^T)", 784, 64, 256, True, False),
    ("dX  64x256 @ 256x784 (B^T)", 64, 256, 784, False, True),
    ("dW  256x64 @ 64x256 (A^T)", 256, 64, 256, True, False),
    ("dX  64x10 @ 10x256 (B^T)", 64, 10, 256, False, True),
    # batch 16, as nn.Linear runs it: x W^T (few rows, B^T: the dot-product path) and
    # the weight gradient g^T x (K = 16: the C tile is stored after only 16 steps)
    ("b16 x W^T 16x784 @ 784x256 (B^T)", 16, 784, 256, False, True),
    ("b16 x W^T 16x256 @ 256x256 (B^T)", 16, 256, 256, False, True),
    ("b16 dW 256x16 @ 16x784 (A^T)", 256, 16, 784, True, False),
]


def operands(M, K, N, ta, tb, rng):
    a = rng.standard_normal((K, M) if ta else (M, K)).astype(np.float32)
    b = rng.standard_normal((N, K) if tb else (K, N)).astype(np.float32)
    return a, b


def gflops(fn, flops, min_time=0.2, reps=5):
    fn()
    n, t = 1, 0.0
    while True:  # calibrate the inner count to ~min_time/reps per repetition
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        t = time.perf_counter() - t0
        if t > min_time / reps:
            break
        n *= 2
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        times.append((time.perf_counter() - t0) / n)
    return flops / statistics.median(times) / 1e9


def libs_for(a, b, ta, tb):
    pa, pb = pynet.from_numpy(a), pynet.from_numpy(b)
    pa, pb = (pa.t() if ta else pa), (pb.t() if tb else pb)
    na, nb = (a.T if ta else a), (b.T if tb else b)
    out = {"pynet": lambda: pa @ pb, "numpy": lambda: na @ nb}
    if torch is not None:
        ta_, tb_ = torch.from_numpy(a), torch.from_numpy(b)
        ta_, tb_ = (ta_.t() if ta else ta_), (tb_.t() if tb else tb_)
        out["torch"] = lambda: ta_ @ tb_
    return out


def run(threads, quick):
    """Measure in a child process so that every library starts with `threads` threads."""
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads),
               MKL_NUM_THREADS=str(threads), PYNET_BENCH_CHILD=str(threads))
    args = [sys.executable, __file__] + (["--quick"] if quick else [])
    return subprocess.run(args, env=env, capture_output=True, text=True, check=True).stdout


def child(threads, quick):
    pynet.set_num_threads(threads)
    if torch is not None:
        torch.set_num_threads(threads)
    rng = np.random.default_rng(0)
    shapes = [(f"square n={n}", n, n, n, False, False) for n in SQUARE[:4 if quick else None]]
    for name, M, K, N, ta, tb in shapes + COURSE:
        a, b = operands(M, K, N, ta, tb, rng)
        res = {k: gflops(f, 2.0 * M * N * K) for k, f in libs_for(a, b, ta, tb).items()}
        print(name + "|" + "|".join(f"{k}={v:.1f}" for k, v in res.items()))


def main():
    quick = "--quick" in sys.argv
    if "PYNET_BENCH_CHILD" in os.environ:
        child(int(os.environ["PYNET_BENCH_CHILD"]), quick)
        return
    info = pynet._C._cpu_info() if hasattr(pynet._C, "_cpu_info") else None
    ncores = pynet.get_num_threads()
    if info:
        print(f"GEMM kernel: {info['kernel']}; clock {info['ghz']:.2f} GHz (measured); "
              f"1-core float32 peak = {info['lanes']} lanes x 2 x vector FMAs per second "
              f"({'measured' if info['fma_per_second'] > 0 else 'assumed 2 per cycle'}: "
              f"{info['fma_per_cycle']:.2f} per cycle) = {info['peak_gflops']:.0f} GFLOP/s")
    results = {}
    for threads in sorted({1, ncores}):
        for line in run(threads, quick).splitlines():
            name, *vals = line.split("|")
            results.setdefault(name, {})[threads] = dict(v.split("=") for v in vals)
    cols = ["pynet", "numpy"] + (["torch"] if torch is not None else [])
    for threads in sorted({1, ncores}):
        print(f"\n{threads} thread(s), GFLOP/s (median)")
        hdr = f"{'shape':32s}" + "".join(f"{c:>9s}" for c in cols) + "  pynet/numpy"
        if info and threads == 1:
            hdr += "  %peak"
        print(hdr)
        for name, per in results.items():
            r = per[threads]
            line = f"{name:32s}" + "".join(f"{float(r[c]):9.1f}" for c in cols)
            line += f"  {float(r['pynet']) / float(r['numpy']):10.2f}x"
            if info and threads == 1:
                line += f"  {100 * float(r['pynet']) / info['peak_gflops']:4.0f}%"
            print(line)
    if ncores > 1:
        print(f"\nscaling 1 -> {ncores} threads (pynet):")
        for name, per in results.items():
            print(f"  {name:32s} {float(per[ncores]['pynet']) / float(per[1]['pynet']):.2f}x")


if __name__ == "__main__":
    main()
