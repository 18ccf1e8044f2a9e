"""One training step of the course's MNIST network, pynet beside PyTorch (same run).

784-256-256-10 with ReLU, cross-entropy, SGD with momentum, batch 64: forward,
backward and the update. Median of repetitions, at 1 thread and at all threads.
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


def main():
    rng = np.random.default_rng(0)
    xs = rng.standard_normal((64, 784)).astype(np.float32)
    ys = rng.integers(0, 10, 64)
    ncores = pynet.get_num_threads()
    print("MNIST MLP 784-256-256-10, batch 64: forward + backward + SGD(momentum) step, ms")
    for threads in sorted({1, ncores}):
        pynet.set_num_threads(threads)
        model, opt = make(pynet)
        tp = time_step(step_fn(pynet, model, opt, pynet.tensor(xs), pynet.tensor(ys)))
        line = f"  {threads} thread(s): pynet {tp:7.3f} ms"
        if torch is not None:
            torch.set_num_threads(threads)
            tmodel, topt = make(torch)
            tt = time_step(step_fn(torch, tmodel, topt, torch.tensor(xs), torch.tensor(ys)))
            line += f"   torch {tt:7.3f} ms   pynet/torch {tp / tt:.2f}x"
        print(line)
    pynet.set_num_threads(ncores)


if __name__ == "__main__":
    main()
