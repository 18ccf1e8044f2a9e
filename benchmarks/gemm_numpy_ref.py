"""NumPy (OpenBLAS) float32 matmul GFLOP/s on the shapes of bench_gemm_c.c.

    python3 benchmarks/gemm_numpy_ref.py            # both columns (runs itself twice)
    python3 benchmarks/gemm_numpy_ref.py --worker   # one column, threads from the env

The BLAS thread count is fixed when NumPy loads OpenBLAS, so the 1-thread and
all-thread columns are measured in separate processes with
OPENBLAS_NUM_THREADS (and OMP_NUM_THREADS) set before the import.
"""

import json
import os
import subprocess
import sys
import time

# name, transA, transB, M, N, K  (same list as benchmarks/bench_gemm_c.c)
SHAPES = [
    ("square 64", 0, 0, 64, 64, 64),
    ("square 128", 0, 0, 128, 128, 128),
    ("square 256", 0, 0, 256, 256, 256),
    ("square 512", 0, 0, 512, 512, 512),
    ("square 1024", 0, 0, 1024, 1024, 1024),
    ("square 2048", 0, 0, 2048, 2048, 2048),
    ("fc1 X@W 64x784@784x256", 0, 0, 64, 256, 784),
    ("fc2 X@W 64x256@256x256", 0, 0, 64, 256, 256),
    ("fc3 X@W 64x256@256x10", 0, 0, 64, 10, 256),
    ("fc1 dW=X^T@dY 784x64@64x256", 1, 0, 784, 256, 64),
    ("fc1 dX=dY@W^T 64x256@256x784", 0, 1, 64, 784, 256),
    ("fc2 dW=X^T@dY 256x64@64x256", 1, 0, 256, 256, 64),
    ("fc2 dX=dY@W^T 64x256@256x256", 0, 1, 64, 256, 256),
    ("fc3 dW=X^T@dY 256x64@64x10", 1, 0, 256, 10, 64),
    ("fc3 dX=dY@W^T 64x10@10x256", 0, 1, 64, 256, 10),
]


def worker(reps):
    import numpy as np

    rng = np.random.default_rng(0)
    out = {}
    for name, ta, tb, m, n, k in SHAPES:
        # Transposed operands are passed as .T views of the stored matrices,
        # which NumPy hands to BLAS as a transpose flag (no copy).
        a = rng.standard_normal((k, m) if ta else (m, k), dtype=np.float32)
        b = rng.standard_normal((n, k) if tb else (k, n), dtype=np.float32)
        a_op = a.T if ta else a
        b_op = b.T if tb else b
        c = np.empty((m, n), dtype=np.float32)
        flops = 2.0 * m * n * k
        inner = 1
        while True:  # warm-up and calibration: each sample runs >= 20 ms
            t0 = time.perf_counter()
            for _ in range(inner):
                np.matmul(a_op, b_op, out=c)
            if time.perf_counter() - t0 >= 0.02:
                break
            inner *= 2
        samples = []
        for _ in range(reps):
            t0 = time.perf_counter()
            for _ in range(inner):
                np.matmul(a_op, b_op, out=c)
            samples.append(flops * inner / (time.perf_counter() - t0) * 1e-9)
        samples.sort()
        out[name] = samples[len(samples) // 2]
    return out


def main():
    reps = int(os.environ.get("BENCH_REPS", "7"))
    if "--worker" in sys.argv:
        print(json.dumps(worker(reps)))
        return
    ncpu = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    cols = {}
    for nt in (1, ncpu):
        env = dict(os.environ, OPENBLAS_NUM_THREADS=str(nt), OMP_NUM_THREADS=str(nt))
        res = subprocess.run(
            [sys.executable, __file__, "--worker"], env=env, capture_output=True, text=True, check=True
        )
        cols[nt] = json.loads(res.stdout.strip().splitlines()[-1])
    import numpy as np

    print(f"NumPy {np.__version__} float32 matmul, GFLOP/s (median of {reps})")
    print(f"{'shape':32s} {'1 thread':>10s} {f'{ncpu} threads':>10s}")
    for name, *_ in SHAPES:
        print(f"{name:32s} {cols[1][name]:10.1f} {cols[ncpu][name]:10.1f}")


if __name__ == "__main__":
    main()
