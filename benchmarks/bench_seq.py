"""Sequence models, pynet beside PyTorch (same run): whole training steps.

LSTM and GRU: input 128, hidden 256, 2 layers, sequence 64, batch 32, float32;
the step is forward, a linear read-out of every output with mean squared
error, backward, and SGD with momentum. Cells: one LSTMCell step at the same
sizes. Median of repetitions at 1 thread and at all threads; the last column is
pynet's time over PyTorch's (below 1: pynet faster).
"""
import statistics
import time

import numpy as np

import pynet

try:
    import torch
except ImportError:
    torch = None

T, B, I, H, LAYERS = 64, 32, 128, 256, 2


def rnn_step_fn(lib, cls, seed=0):
    rng = np.random.default_rng(seed)
    lib.manual_seed(seed)
    rnn = getattr(lib.nn, cls)(I, H, num_layers=LAYERS)
    head = lib.nn.Linear(H, 1)
    opt = lib.optim.SGD(list(rnn.parameters()) + list(head.parameters()), lr=0.01, momentum=0.9)
    x = lib.tensor(rng.standard_normal((T, B, I)).astype(np.float32))
    y = lib.tensor(rng.standard_normal((T, B, 1)).astype(np.float32))

    def step():
        opt.zero_grad()
        out, _ = rnn(x)
        lib.nn.functional.mse_loss(head(out), y).backward()
        opt.step()
    return step


def cell_step_fn(lib, seed=0):
    rng = np.random.default_rng(seed)
    lib.manual_seed(seed)
    cell = lib.nn.LSTMCell(I, H)
    x = lib.tensor(rng.standard_normal((B, I)).astype(np.float32))
    h = lib.tensor(rng.standard_normal((B, H)).astype(np.float32))
    c = lib.tensor(rng.standard_normal((B, H)).astype(np.float32))

    def step():
        cell.zero_grad()
        h2, c2 = cell(x, (h, c))
        (h2.sum() + c2.sum()).backward()
    return step


def time_step(step, reps=7, inner=2):
    for _ in range(2):
        step()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(inner):
            step()
        times.append((time.perf_counter() - t0) / inner)
    return statistics.median(times) * 1e3


def main():
    ncores = pynet.get_num_threads()
    print(f"training step (forward, MSE read-out, backward, SGD momentum), input {I}, "
          f"hidden {H}, {LAYERS} layers, sequence {T}, batch {B}, float32, median ms")
    cases = [("LSTM", lambda lib: rnn_step_fn(lib, "LSTM"), 2),
             ("GRU", lambda lib: rnn_step_fn(lib, "GRU"), 2),
             ("LSTMCell, one step fwd+bwd", cell_step_fn, 50)]
    for threads in sorted({1, ncores}):
        pynet.set_num_threads(threads)
        if torch is not None:
            torch.set_num_threads(threads)
        print(f" {threads} thread(s):")
        for name, make, inner in cases:
            tp = time_step(make(pynet), inner=inner)
            line = f"  {name:28s} pynet {tp:8.3f} ms"
            if torch is not None:
                tt = time_step(make(torch), inner=inner)
                line += f"   torch {tt:8.3f} ms   pynet/torch {tp / tt:.2f}x"
            print(line, flush=True)
    pynet.set_num_threads(ncores)


if __name__ == "__main__":
    main()
