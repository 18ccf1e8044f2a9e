"""One training step of the course's MNIST network, pynet beside PyTorch (same run).

784-256-256-10 with ReLU, cross-entropy, SGD with momentum, at batch 16, 64 and 256:
forward, backward and the update. Median of repetitions, at 1 thread and at all
threads; for each library its own speed-up from 1 thread to all. Issue #13's targets:
pynet/torch <= 0.36 at batch 16 and <= 0.6 at batch 64 (1 thread); pynet's batch-256
step at least 1.5x faster at 2 threads than at 1.
"""

import numpy as np

import pynet
from _timing import time_step as _time_step  # noqa: E402

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


def step_fn(lib, model, opt, x, y):
    loss_fn = lib.nn.functional.cross_entropy

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
    return step




def time_step(step):
    """Median ms of one training step (10 warm-up steps, 7 timings of 50)."""
    return _time_step(step, inner=50, warmup=10)


def measure(lib, threads, xs, ys):
    """Median ms of a training step of lib at that many threads."""
    lib.set_num_threads(threads)
    model, opt = make(lib)
    return time_step(step_fn(lib, model, opt, lib.tensor(xs), lib.tensor(ys)))


def main():
    rng = np.random.default_rng(0)
    ncores = pynet.get_num_threads()
    libs = [pynet] + ([torch] if torch is not None else [])
    print("MNIST MLP 784-256-256-10: forward + backward + SGD(momentum) step, ms (median)")
    for batch in (16, 64, 256):
        xs = rng.standard_normal((batch, 784)).astype(np.float32)
        ys = rng.integers(0, 10, batch)
        t = {(lib.__name__, n): measure(lib, n, xs, ys) for lib in libs
             for n in sorted({1, ncores})}
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
