"""Layers, losses and indexing ops a course's models use, pynet beside PyTorch (same run).

bench_ops.py times the math kernels over flat arrays; this file times the layer-level
calls built on them, at the sizes the course's models give them, forward + backward
where they have one. A layer can be slow where its kernels are not: a reduction in a
serial order, a path taken only for an expanded gradient, an op built element by
element. Each of these was found so: layer norm (3.7x PyTorch's time), relu's
backward of the gradient of a sum() (11x) and index_select of whole rows (13x).

"fb" cases run the forward and then backward() with a dense gradient (or, where the
case says "sum", from y.sum(), whose gradient reaches the layer expanded from one
value). Median of repetitions at 1 thread and at all threads, pynet's and PyTorch's
calls timed in alternation (_timing.time_pair, each block after _timing.settle, so
that PyTorch's spinning OpenMP threads do not take pynet's second core); the last
column is pynet's time over PyTorch's (below 1: pynet faster). There are no targets
here: the column is there to be read.
"""

import numpy as np

import pynet
from _timing import print_beside_torch  # noqa: E402

try:
    import torch
except ImportError:
    torch = None


def _arr(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def _fb(module, shape, grad="dense"):
    """A case: y = module(x) for x of `shape`, then y.backward(g) (g dense, or from
    y.sum() when grad == "sum")."""
    def make(lib):
        m = module(lib)
        x = lib.tensor(_arr(*shape), requires_grad=True)
        y0 = m(x)
        g = lib.tensor(_arr(*y0.shape, seed=1))

        def step():
            x.grad = None
            y = m(x)
            if grad == "sum":
                y.sum().backward()
            else:
                y.backward(g)
        return step
    return make


def _call(fn):
    """A case that calls fn(lib, inputs) with inputs made once by fn's `inputs` attribute."""
    def make(lib):
        inputs = fn.inputs(lib)
        return lambda: fn(lib, inputs)
    return make


def _cross_entropy(lib, a):
    a[0].grad = None
    lib.nn.functional.cross_entropy(a[0], a[1]).backward()


_cross_entropy.inputs = lambda lib: (lib.tensor(_arr(2048, 65), requires_grad=True),
                                     lib.tensor(np.random.default_rng(2).integers(0, 65, 2048)))


def _mse(lib, a):
    a[0].grad = None
    lib.nn.functional.mse_loss(a[0], a[1]).backward()


_mse.inputs = lambda lib: (lib.tensor(_arr(2048, 256), requires_grad=True),
                           lib.tensor(_arr(2048, 256, seed=3)))


def _index_select(lib, a):
    return a[0].index_select(0, a[1])


_index_select.inputs = lambda lib: (lib.tensor(_arr(10000, 128)),
                                    lib.tensor(np.random.default_rng(4).integers(0, 10000, 4096)))


def _mean_hw(lib, a):
    return a.mean((2, 3))


_mean_hw.inputs = lambda lib: lib.tensor(_arr(64, 64, 28, 28))


def _multinomial(lib, a):
    return lib.multinomial(a, 1)


_multinomial.inputs = lambda lib: lib.tensor(np.abs(_arr(64, 65)))


CASES = [
    ("LayerNorm(128) fb, (32, 64, 128)", _fb(lambda L: L.nn.LayerNorm(128), (32, 64, 128))),
    ("LayerNorm(512) fb, (2048, 512)", _fb(lambda L: L.nn.LayerNorm(512), (2048, 512))),
    ("GroupNorm(8, 32) fb, (16, 32, 28, 28)",
     _fb(lambda L: L.nn.GroupNorm(8, 32), (16, 32, 28, 28))),
    ("BatchNorm2d(32) fb, (16, 32, 28, 28)",
     _fb(lambda L: L.nn.BatchNorm2d(32), (16, 32, 28, 28))),
    ("ReLU fb (sum), (2048, 512)", _fb(lambda L: L.nn.ReLU(), (2048, 512), grad="sum")),
    ("Tanh fb (sum), (2048, 512)", _fb(lambda L: L.nn.Tanh(), (2048, 512), grad="sum")),
    ("GELU fb, (32, 64, 512)", _fb(lambda L: L.nn.GELU(), (32, 64, 512))),
    ("Dropout(0.1) fb, (2048, 512)", _fb(lambda L: L.nn.Dropout(0.1), (2048, 512))),
    ("MaxPool2d(2) fb, (64, 32, 28, 28)", _fb(lambda L: L.nn.MaxPool2d(2), (64, 32, 28, 28))),
    ("AdaptiveAvgPool2d(1) fb, (64, 64, 14, 14)",
     _fb(lambda L: L.nn.AdaptiveAvgPool2d(1), (64, 64, 14, 14))),
    ("Conv2d(16, 32, 3, pad 1) fb, (32, 16, 28, 28)",
     _fb(lambda L: L.nn.Conv2d(16, 32, 3, padding=1), (32, 16, 28, 28))),
    ("softmax(-1) fb, (2048, 512)", _fb(lambda L: (lambda x: L.softmax(x, -1)), (2048, 512))),
    ("cross_entropy fb, (2048, 65)", _call(_cross_entropy)),
    ("mse_loss fb, (2048, 256)", _call(_mse)),
    ("index_select 4096 of 10000 rows x 128", _call(_index_select)),
    ("mean over (2, 3), (64, 64, 28, 28)", _call(_mean_hw)),
    ("multinomial 1 of 65, 64 rows", _call(_multinomial)),
]


def main():
    print("layers, losses and indexing, float32, median ms (fb: forward + backward)")
    print_beside_torch(pynet, torch, [(name, make, 5) for name, make in CASES], width=45,
                       reps=9)


if __name__ == "__main__":
    main()
