"""Large-tensor ops (1000x1000 float32): pynet beside NumPy and PyTorch, one run.

pynet and torch use all threads unless --threads N is given; NumPy's elementwise
ops are single-threaded. Median of repetitions, milliseconds, ratios to torch.
"""
import statistics
import sys
import timeit

import numpy as np

import pynet

try:
    import torch
except ImportError:
    torch = None


def ms(fn, number=20, repeat=7):
    fn()
    return statistics.median(timeit.repeat(fn, number=number, repeat=repeat)) / number * 1e3


def main():
    if "--threads" in sys.argv:
        n = int(sys.argv[sys.argv.index("--threads") + 1])
        pynet.set_num_threads(n)
        if torch is not None:
            torch.set_num_threads(n)
    x = np.random.default_rng(0).random((1000, 1000), dtype=np.float32)
    idx = np.random.default_rng(1).integers(0, 1000, 500)
    libs = {"pynet": (pynet.from_numpy(x.copy()), pynet.from_numpy(idx), pynet)}
    if torch is not None:
        libs["torch"] = (torch.from_numpy(x.copy()), torch.from_numpy(idx), torch)
    npx = x.copy()
    cases = [
        ("a + b", lambda t, i, L: t + t, lambda: npx + npx),
        ("exp", lambda t, i, L: t.exp(), lambda: np.exp(npx)),
        ("relu", lambda t, i, L: t.relu(), lambda: np.maximum(npx, 0)),
        ("sum()", lambda t, i, L: t.sum(), lambda: npx.sum()),
        ("sum(0)", lambda t, i, L: t.sum(0), lambda: npx.sum(0)),
        ("sum(1)", lambda t, i, L: t.sum(1), lambda: npx.sum(1)),
        ("softmax(1)", lambda t, i, L: t.softmax(1), None),
        ("softmax(0)", lambda t, i, L: t.softmax(0), None),
        ("max(1)", lambda t, i, L: t.max(1), lambda: npx.max(1)),
        ("t().contiguous()", lambda t, i, L: t.t().contiguous(), lambda: np.ascontiguousarray(npx.T)),
        ("x[idx]", lambda t, i, L: t[i], lambda: npx[idx]),
        ("cat", lambda t, i, L: L.cat([t, t], 0), lambda: np.concatenate([npx, npx], 0)),
    ]
    print(f"1000x1000 float32, ms (median); pynet threads = {pynet.get_num_threads()}")
    print(f"{'op':18s}{'pynet':>9s}{'numpy':>9s}{'torch':>9s}   pynet/torch")
    for name, f, fnp in cases:
        row = {k: ms(lambda f=f, v=v: f(*v)) for k, v in libs.items()}
        row["numpy"] = ms(fnp) if fnp else float("nan")
        ratio = f"{row['pynet'] / row['torch']:10.2f}x" if "torch" in row else ""
        print(f"{name:18s}{row['pynet']:9.3f}{row['numpy']:9.3f}{row.get('torch', float('nan')):9.3f}"
              f"   {ratio}")


if __name__ == "__main__":
    main()
