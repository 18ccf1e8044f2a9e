"""Adam step on a 10M-parameter float32 model: pynet's fused kernel vs torch.optim.Adam.

An Adam step reads p, g, m, v and writes p, m, v: 7 * 4 bytes per float32
parameter, so the step is limited by memory bandwidth; GB/s below is that
minimum traffic divided by the median step time.

    python benchmarks/bench_optim.py [--params 10000000] [--reps 20]
"""
import argparse
import statistics
import time

import numpy as np

import pynet
import pynet.optim
import _timing  # noqa: F401,E402  (prints the host's steal share at exit)


def bench(step, reps, warmup=3):
    for _ in range(warmup):
        step()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--params", type=int, default=10_000_000)
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--threads", type=int, default=None, help="torch/pynet thread count")
    args = ap.parse_args()

    # a few big tensors, like the layers of a model
    sizes = [args.params // 2, args.params // 4, args.params // 8]
    sizes.append(args.params - sum(sizes))
    rng = np.random.default_rng(0)
    P = [rng.standard_normal(n).astype(np.float32) for n in sizes]
    G = [rng.standard_normal(n).astype(np.float32) for n in sizes]
    nbytes = 7 * 4 * args.params

    results = []

    ps = [pynet.tensor(p, requires_grad=True) for p in P]
    for p, g in zip(ps, G):
        p.grad = pynet.tensor(g)
    opt = pynet.optim.Adam(ps, lr=1e-3)
    results.append(("pynet Adam (fused C kernel)", bench(opt.step, args.reps)))

    try:
        import torch
    except ImportError:
        torch = None
    if torch is not None:
        if args.threads:
            torch.set_num_threads(args.threads)
        variants = [("torch Adam (default: for-loop)", dict()),
                    ("torch Adam (foreach=True)", dict(foreach=True))]
        try:
            torch.optim.Adam([torch.zeros(1, requires_grad=True)], fused=True)
            variants.append(("torch Adam (fused=True)", dict(fused=True)))
        except (RuntimeError, ValueError):
            pass
        for name, kw in variants:
            ts = [torch.tensor(p, requires_grad=True) for p in P]
            for t, g in zip(ts, G):
                t.grad = torch.tensor(g)
            topt = torch.optim.Adam(ts, lr=1e-3, **kw)
            try:
                results.append((name, bench(topt.step, args.reps)))
            except RuntimeError as e:
                print(f"{name}: unavailable ({e})")
        print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")

    print(f"Adam step, {args.params / 1e6:.1f}M float32 parameters in {len(sizes)} tensors, "
          f"median of {args.reps}; traffic {nbytes / 1e6:.0f} MB per step")
    base = results[0][1]
    for name, t in results:
        print(f"  {name:34s} {t * 1e3:8.2f} ms  {nbytes / t / 1e9:6.2f} GB/s  "
              f"{t / base:5.2f}x pynet's time")


if __name__ == "__main__":
    main()
