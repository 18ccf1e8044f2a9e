"""One training step of the course's MNIST network, pynet beside PyTorch (same run).

784-256-256-10 with ReLU, cross-entropy, SGD with momentum, at batch 16, 64 and 256:
forward, backward and the update, at 1 thread and at all threads, the four
configurations of a batch size timed in rotation (_timing.time_rotation) so that the
machine's drift reaches them alike; medians of repetitions, and for each library its
own speed-up from 1 thread to all. Issue #13's targets:
pynet/torch <= 0.36 at batch 16 and <= 0.6 at batch 64 (1 thread); pynet's batch-256
step at least 1.5x faster at 2 threads than at 1.
"""

import numpy as np

import pynet
from _timing import time_rotation  # noqa: E402

try:
    import torch
except ImportError:
    torch = None


def make(lib, seed=0):
    nn = lib.nn
    lib.manual_seed(seed)
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(),
                          nn.Linear(256, 10))
    opt = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    return model, opt


def step_fn(lib, model, opt, x, y, threads):
    """One training step at `threads` threads (set on each call: the steps of several
    configurations run in turn)."""
    loss_fn = lib.nn.functional.cross_entropy

    def step():
        lib.set_num_threads(threads)
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
    return step


def make_step(lib, threads, xs, ys):
    """A training step of lib at that many threads, on its own model."""
    model, opt = make(lib)
    return step_fn(lib, model, opt, lib.tensor(xs), lib.tensor(ys), threads)


def main():
    rng = np.random.default_rng(0)
    ncores = pynet.get_num_threads()
    libs = [pynet] + ([torch] if torch is not None else [])
    print("MNIST MLP 784-256-256-10: forward + backward + SGD(momentum) step, ms (median)")
    for batch in (16, 64, 256):
        xs = rng.standard_normal((batch, 784)).astype(np.float32)
        ys = rng.integers(0, 10, batch)
        configs = [(lib, n) for n in sorted({1, ncores}) for lib in libs]
        # every configuration's steps in rotation (10 warm-up steps, 7 timings of 50 each)
        ms = time_rotation([make_step(lib, n, xs, ys) for lib, n in configs], reps=7,
                           inner=50, warmup=10)
        t = {(lib.__name__, n): m for (lib, n), m in zip(configs, ms)}
        for n in sorted({1, ncores}):
            line = f"  batch {batch:3d}, {n} thread(s): pynet {t['pynet', n]:7.3f} ms"
            if torch is not None:
                line += (f"   torch {t['torch', n]:7.3f} ms"
                         f"   pynet/torch {t['pynet', n] / t['torch', n]:.2f}x")
            print(line)
        if ncores > 1:
            line = f"  batch {batch:3d}, speed-up 1 -> {ncores} threads: pynet " \
                   f"{t['pynet', 1] / t['pynet', ncores]:.2f}x"
            if torch is not None:
                line += f", torch {t['torch', 1] / t['torch', ncores]:.2f}x"
            print(line)
    for lib in libs:
        lib.set_num_threads(ncores)


if __name__ == "__main__":
    main()
