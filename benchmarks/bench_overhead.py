"""Per-op overhead on tiny tensors: pynet beside PyTorch (if installed) and NumPy.

Targets (issue #2, tensors of 10 elements): `a + b` <= 0.5 us,
`(a * b).sum().backward()` <= 3 us, `import pynet` < 0.1 s.
Each figure is the median of several repetitions of a timeit loop.
"""
import statistics
import subprocess
import sys
import timeit

import _timing  # noqa: F401  (prints the host's steal share at exit)

REPEAT, NUMBER = 7, 20000


def per_call_us(stmt, setup):
    times = timeit.repeat(stmt, setup=setup, repeat=REPEAT, number=NUMBER)
    return statistics.median(times) / NUMBER * 1e6


def import_time(module):
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    runs = [float(subprocess.check_output([sys.executable, "-c", code])) for _ in range(5)]
    return statistics.median(runs)


def main():
    libs = {"pynet": "import pynet as T\n", "numpy": "import numpy as T\n"}
    try:
        import torch  # noqa: F401
        libs["torch"] = "import torch as T\n"
    except ImportError:
        pass
    make = {
        "pynet": "a = T.rand(10); b = T.rand(10); w = T.rand(10, requires_grad=True)",
        "torch": "a = T.rand(10); b = T.rand(10); w = T.rand(10, requires_grad=True)",
        "numpy": "a = T.random.rand(10).astype('float32'); b = T.random.rand(10).astype('float32')",
    }
    cases = [
        ("a + b", "a + b", None),
        ("a * b", "a * b", None),
        ("a.sum()", "a.sum()", None),
        ("(w * b).sum().backward()", "(w * b).sum().backward(); w.grad = None", "grad"),
    ]
    results = {}
    print(f"{'op (10 elements)':28s}" + "".join(f"{k:>12s}" for k in libs) + "   pynet/torch")
    for name, stmt, kind in cases:
        row = {}
        for lib, imp in libs.items():
            if kind == "grad" and lib == "numpy":
                continue
            row[lib] = per_call_us(stmt, imp + make[lib])
        results[name] = row
        ratio = f"{row['pynet'] / row['torch']:10.2f}x" if "torch" in row else ""
        print(f"{name:28s}" + "".join(f"{row[k]:10.3f}us" if k in row else f"{'-':>12s}"
                                      for k in libs) + "   " + ratio)
    print(f"\nimport time: pynet {import_time('pynet'):.3f} s", end="")
    print(f", numpy {import_time('numpy'):.3f} s", end="")
    if "torch" in libs:
        print(f", torch {import_time('torch'):.3f} s", end="")
    print()
    print("targets: a + b <= 0.5 us, (w * b).sum().backward() <= 3 us, import < 0.1 s")
    return results


if __name__ == "__main__":
    main()
