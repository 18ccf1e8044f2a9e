"""n-bit parity, the task the course uses to show depth: ``python -m pynet.examples.parity``.

The parity of n bits (1 if an odd number of them are 1) changes whenever any one bit
changes, so a shallow network could only learn it by memorising: trained on half of all
2^n bit strings, a one-hidden-layer MLP does not even fit its training half in this time
and guesses on the other half (about 50% test accuracy). A recurrent network reads the bits one at a time and only
has to learn one step, "flip the state when the bit is 1" (trained on the parity of every
prefix, a many-to-many task): it gets the unseen half right.
Prints both models' training and test accuracy per epoch and writes a JSON summary (and,
with matplotlib, a plot of the test accuracies) into --out.
"""
import argparse
import itertools
import json
import os
import time

import numpy as np

import pynet
import pynet.nn as nn
import pynet.nn.functional as F

from ._common import plot_curves


class ParityRNN(nn.Module):
    """A GRU over the bits (one input per step), each state read out by a linear layer: the
    parity of the bits so far (many-to-many, so it is trained on every prefix)."""

    def __init__(self, hidden=16):
        super().__init__()
        self.rnn = nn.GRU(1, hidden, batch_first=True)
        self.out = nn.Linear(hidden, 1)

    def forward(self, bits):
        """bits (B, n) float -> logits (B, n) of the parity of each prefix."""
        out, _ = self.rnn(bits.unsqueeze(-1))
        return self.out(out).squeeze(-1)


def shallow_mlp(n, width):
    """One hidden layer of `width` tanh units on all n bits at once."""
    return nn.Sequential(nn.Linear(n, width), nn.Tanh(), nn.Linear(width, 1), nn.Flatten(0))


def all_bit_strings(n, seed):
    """Every n-bit string (2^n, n) and its parity, shuffled with the seed, split in halves."""
    x = np.array(list(itertools.product([0.0, 1.0], repeat=n)), dtype=np.float32)
    y = (x.sum(1) % 2).astype(np.float32)
    order = np.random.default_rng(seed).permutation(len(x))
    half = len(x) // 2
    tr, te = order[:half], order[half:]
    return (pynet.tensor(x[tr]), pynet.tensor(y[tr])), (pynet.tensor(x[te]), pynet.tensor(y[te]))


def final(logits):
    """The logit of the whole string's parity (the RNN gives one per prefix)."""
    return logits[:, -1] if logits.dim() == 2 else logits


def accuracy(model, x, y):
    """The fraction of bit strings whose parity the model gets right."""
    model.eval()
    with pynet.no_grad():
        acc = float(((final(model(x)) > 0).float() == y).float().mean().item())
    model.train()
    return acc


def train(model, data, epochs, lr, batch, seed, name, log):
    """Adam on binary cross-entropy; returns the test accuracy after each epoch."""
    (xtr, ytr), (xte, yte) = data
    opt = pynet.optim.Adam(model.parameters(), lr=lr)
    gen = pynet.Generator().manual_seed(seed)
    history = []
    for epoch in range(1, epochs + 1):
        for idx in pynet.randperm(len(ytr), generator=gen).split(batch):
            logits, bits = model(xtr[idx]), xtr[idx]
            # the RNN learns from every prefix's parity, the MLP from the whole string's
            target = (bits.cumsum(1) % 2) if logits.dim() == 2 else ytr[idx]
            loss = F.binary_cross_entropy_with_logits(logits, target)
            opt.zero_grad()
            loss.backward()
            opt.step()
        tr, te = accuracy(model, xtr, ytr), accuracy(model, xte, yte)
        history.append(dict(epoch=epoch, train_accuracy=tr, test_accuracy=te))
        if log and (epoch % log == 0 or epoch == epochs):
            print(f"{name:4s} epoch {epoch:3d}: train accuracy {100 * tr:5.1f}%  "
                  f"test accuracy {100 * te:5.1f}%")
    return history


def parse_args(argv=None):
    """The command line (see --help)."""
    p = argparse.ArgumentParser(prog="pynet-parity", description=__doc__.split("\n\n")[0])
    p.add_argument("--bits", type=int, default=10)
    p.add_argument("--epochs", type=int, default=40)
    p.add_argument("--hidden", type=int, default=16, help="GRU state size")
    p.add_argument("--width", type=int, default=128, help="hidden units of the shallow MLP")
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--log-every", type=int, default=10)
    p.add_argument("--out", default="runs/parity", help="output folder")
    args = p.parse_args(argv)
    if not 2 <= args.bits <= 20 or args.epochs < 1:
        p.error("--bits must be in 2..20 and --epochs at least 1")
    return args


def main(argv=None):
    """Train both models on the same split; returns the summary it also writes as JSON."""
    args = parse_args(argv)
    pynet.manual_seed(args.seed)
    data = all_bit_strings(args.bits, args.seed)
    print(f"pynet {pynet.__version__}: {args.bits}-bit parity, {len(data[0][1])} training and "
          f"{len(data[1][1])} unseen test strings")
    t0 = time.perf_counter()
    runs = {}
    for name, model in (("mlp", shallow_mlp(args.bits, args.width)),
                        ("rnn", ParityRNN(args.hidden))):
        runs[name] = train(model, data, args.epochs, args.lr, args.batch_size, args.seed, name,
                           args.log_every)
    os.makedirs(args.out, exist_ok=True)
    figures = plot_curves(os.path.join(args.out, "parity.png"), list(range(1, args.epochs + 1)),
                          [(f"{n} (test)", [h["test_accuracy"] for h in runs[n]]) for n in runs],
                          "epoch", "accuracy")
    summary = dict(mlp_test_accuracy=runs["mlp"][-1]["test_accuracy"],
                   rnn_test_accuracy=runs["rnn"][-1]["test_accuracy"],
                   seconds=time.perf_counter() - t0, history=runs, config=vars(args),
                   figures=figures)
    with open(os.path.join(args.out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
    print(f"unseen strings: shallow MLP {100 * summary['mlp_test_accuracy']:.1f}%, "
          f"GRU {100 * summary['rnn_test_accuracy']:.1f}% ({summary['seconds']:.0f} s); "
          f"wrote {os.path.join(args.out, 'summary.json')}" + "".join(f", {p}" for p in figures))
    return summary


if __name__ == "__main__":
    main()
