"""Convolutions, pynet beside PyTorch (same run): single layers and whole training steps.

Batch 8, float32: 3x3 convolution 64 -> 64 on 56x56 (padding 1), 1x1 convolution
256 -> 64 on 56x56, depthwise 3x3 on 64 channels (padding 1). The timed step is
the forward, then backward of the sum of the output times a fixed upstream
gradient, giving the gradients of input, weight and bias. Median of
repetitions, pynet's and PyTorch's timed in alternation (_timing.time_pair), at 1
thread and at all threads; GFLOP/s counts the three GEMM-sized
products (forward, input gradient, weight gradient): 3 * 2 * N * O * Ho * Wo *
C/groups * kh * kw.

Training steps (forward, cross-entropy, backward, SGD with momentum) at batch 64 on
28x28 inputs: LeNet-5 (conv 6@5x5 pad 2, max pool, conv 16@5x5, max pool, 120, 84,
10) and the PyTorch MNIST example net (conv 32@3x3, conv 64@3x3, max pool, dropout,
fc 9216->128, dropout, fc 128->10).

Beside each single-layer figure: the fraction of the GEMM peak, pynet's 1024^3 float32
matmul measured in the same run at the same thread count (best of several). And the
peak memory of a LeNet-5 training step for pynet and for PyTorch, each in a fresh
subprocess: ru_maxrss after a few steps minus ru_maxrss right after the imports.

    python benchmarks/bench_conv.py
    python benchmarks/bench_conv.py --only depthwise   # single layers whose name contains it
"""
import os
import resource
import subprocess
import sys
import time
from functools import partial

import numpy as np

import pynet
from _timing import print_beside_torch, time_pair, time_step  # noqa: E402

torch = None
if sys.argv[1:3] != ["--rss-child", "pynet"]:  # the pynet memory child never loads torch
    try:
        import torch
    except ImportError:
        pass

CASES = [  # name, (C, H, W), conv kwargs
    ("3x3 conv 64->64, 56x56", (64, 56, 56), dict(out=64, k=3, padding=1, groups=1)),
    ("1x1 conv 256->64, 56x56", (256, 56, 56), dict(out=64, k=1, padding=0, groups=1)),
    ("depthwise 3x3, 64 ch, 56x56", (64, 56, 56), dict(out=64, k=3, padding=1, groups=64)),
]
BATCH = 8


def flops(shape, c):
    C, H, W = shape
    return 3 * 2 * BATCH * c["out"] * H * W * (C // c["groups"]) * c["k"] * c["k"]


def step_fn(lib, shape, c, seed=0):
    rng = np.random.default_rng(seed)
    x = lib.tensor(rng.standard_normal((BATCH,) + shape).astype(np.float32), requires_grad=True)
    w = lib.tensor(rng.standard_normal((c["out"], shape[0] // c["groups"], c["k"], c["k"]))
                   .astype(np.float32) * 0.05, requires_grad=True)
    b = lib.tensor(np.zeros(c["out"], np.float32), requires_grad=True)
    g = lib.tensor(rng.standard_normal((BATCH, c["out"]) + shape[1:]).astype(np.float32))
    conv = lib.nn.functional.conv2d

    def step():
        x.grad = w.grad = b.grad = None
        y = conv(x, w, b, padding=c["padding"], groups=c["groups"])
        y.backward(g)
    return step




def lenet5(lib):
    nn = lib.nn
    return nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(16 * 5 * 5, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
                         nn.Linear(84, 10))


def mnist_example_net(lib):
    nn = lib.nn
    return nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.Conv2d(32, 64, 3), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Dropout(0.25), nn.Flatten(), nn.Linear(9216, 128),
                         nn.ReLU(), nn.Dropout(0.5), nn.Linear(128, 10))


def train_step_fn(lib, make, seed=0):
    rng = np.random.default_rng(seed)
    lib.manual_seed(seed)
    model = make(lib)
    opt = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = lib.tensor(rng.standard_normal((64, 1, 28, 28)).astype(np.float32))
    y = lib.tensor(rng.integers(0, 10, 64))

    def step():
        opt.zero_grad()
        lib.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    return step


def gemm_peak(n=1024, reps=5):
    """GFLOP/s of pynet's n^3 float32 matmul at the current thread count (best of reps)."""
    rng = np.random.default_rng(0)
    a, b = (pynet.tensor(rng.standard_normal((n, n)).astype(np.float32)) for _ in range(2))
    pynet.matmul(a, b)
    best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        pynet.matmul(a, b)
        best = min(best, time.perf_counter() - t0)
    return 2 * n ** 3 / best / 1e9


RSS_STEPS = 5


def rss_child(libname):
    """In a fresh process: KiB of peak RSS that RSS_STEPS LeNet-5 training steps add to the
    peak reached by the imports (printed for the parent)."""
    lib = pynet if libname == "pynet" else torch
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    step = train_step_fn(lib, lenet5)
    for _ in range(RSS_STEPS):
        step()
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base)


def peak_rss_mib(libname):
    """rss_child(libname) run in a subprocess that imports this pynet, in MiB.

    Linux keeps ru_maxrss across exec, and a child forked from this (large) process starts
    with this process's resident size as its high-water mark; so the child is started by a
    small shell that forks it, and its ru_maxrss is its own."""
    env = dict(os.environ)
    root = os.path.dirname(os.path.dirname(os.path.abspath(pynet.__file__)))
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    cmd = ["sh", "-c", '"$@"; exit $?', "sh", sys.executable, os.path.abspath(__file__),
           "--rss-child", libname]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env)
    return int(out.stdout.split()[-1]) / 1024


def single_layers(ncores, only=None):
    """The single-layer table: ms, GFLOP/s and the fraction of the GEMM peak (only the cases
    whose name contains `only`, when given)."""
    print(f"conv2d forward + backward (input, weight, bias grads), batch {BATCH}, float32, "
          "median ms (GFLOP/s, % of pynet's 1024^3 sgemm peak at that thread count)")
    for threads in sorted({1, ncores}):
        pynet.set_num_threads(threads)
        if torch is not None:
            torch.set_num_threads(threads)
        peak = gemm_peak()
        print(f" {threads} thread(s): GEMM peak {peak:.1f} GFLOP/s")
        for name, shape, c in CASES:
            if only is not None and only not in name:
                continue
            if torch is not None:  # timed in alternation (_timing.time_pair)
                tp, tt = time_pair(step_fn(pynet, shape, c), step_fn(torch, shape, c))
            else:
                tp = time_step(step_fn(pynet, shape, c))
            gf = flops(shape, c) / 1e6
            line = f"  {name:30s} pynet {tp:8.2f} ms ({gf / tp:6.1f}, {100 * gf / tp / peak:3.0f}%)"
            if torch is not None:
                line += (f"   torch {tt:8.2f} ms ({gf / tt:6.1f}, {100 * gf / tt / peak:3.0f}%)"
                         f"   pynet/torch {tp / tt:.2f}x")
            print(line, flush=True)


def main():
    ncores = pynet.get_num_threads()
    if sys.argv[1:2] == ["--only"]:  # just those single layers: no training steps, no RSS
        single_layers(ncores, sys.argv[2])
        return
    single_layers(ncores)
    print("training step (forward + backward + SGD momentum), batch 64, 28x28, median ms")
    nets = (("LeNet-5", lenet5), ("PyTorch MNIST example net", mnist_example_net))
    print_beside_torch(pynet, torch, [(name, partial(train_step_fn, make=make), 5)
                                      for name, make in nets], width=30, digits=2)
    line = f"peak RSS of {RSS_STEPS} LeNet-5 training steps above the imports (fresh process, " \
        f"{ncores} threads): pynet {peak_rss_mib('pynet'):.1f} MiB"
    if torch is not None:
        line += f", torch {peak_rss_mib('torch'):.1f} MiB"
    print(line, flush=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--rss-child"]:
        rss_child(sys.argv[2])
    else:
        main()
