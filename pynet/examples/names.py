"""Make up new first names, makemore-style: ``python -m pynet.examples.names``.

A character-level GRU reads 32,033 first names (the shipped data/names/names.txt), each
framed by '.' as its start and end, and learns to predict every next character. Every
--eval-every steps it prints the validation loss and a few names sampled one character at
a time from '.' until it writes '.' again: random letters at first, then name-like
words. Writes into --out the model, the samples, the loss curve (a PNG, with matplotlib)
and a JSON summary.
"""
import argparse
import json
import os
import time

import numpy as np

import pynet
import pynet.nn as nn
import pynet.nn.functional as F

from ._common import Progress, plot_curves, start

SHA256 = "0a30b5557f192f32ab962680889aac5f6fda0f4cecf40a6d0b5694f58ea8cc4d"
PAD = -100  # targets past a name's end: ignored by cross_entropy


class NameModel(nn.Module):
    """Embedding, a GRU and a linear read-out over the 27 symbols ('.' and a-z)."""

    def __init__(self, vocab=27, n_embd=32, hidden=128):
        super().__init__()
        self.emb = nn.Embedding(vocab, n_embd)
        self.gru = nn.GRU(n_embd, hidden, batch_first=True)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, idx, h=None):
        """idx (B, T) -> (logits (B, T, vocab), the GRU's last state)."""
        out, h = self.gru(self.emb(idx), h)
        return self.head(out), h


def encode(names, stoi):
    """Inputs '.'+name and targets name+'.', padded to the longest: two (N, T) int64 arrays."""
    T = max(len(n) for n in names) + 1
    x = np.zeros((len(names), T), np.int64)
    y = np.full((len(names), T), PAD, np.int64)
    for i, n in enumerate(names):
        ids = [stoi[c] for c in n]
        x[i, 1:len(ids) + 1] = ids
        y[i, :len(ids)] = ids
        y[i, len(ids)] = 0  # '.' ends the name
    return x, y


def sample_names(model, itos, n, generator, max_len=30):
    """n names drawn one character at a time until the model writes '.'."""
    model.eval()
    out = []
    with pynet.no_grad():
        for _ in range(n):
            idx, h, name = pynet.zeros((1, 1), dtype=pynet.int64), None, ""
            for _ in range(max_len):
                logits, h = model(idx, h)
                c = int(pynet.multinomial(F.softmax(logits[0, -1], -1), 1,
                                          generator=generator).item())
                if c == 0:
                    break
                name += itos[c]
                idx = pynet.tensor([[c]], dtype=pynet.int64)
            out.append(name)
    model.train()
    return out


def loss_on(model, x, y):
    """Mean cross-entropy per predicted character (padding ignored)."""
    logits, _ = model(pynet.tensor(x))
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), pynet.tensor(y).reshape(-1),
                           ignore_index=PAD)


def parse_args(argv=None):
    """The command line (see --help)."""
    p = argparse.ArgumentParser(prog="pynet-names", description=__doc__.split("\n\n")[0])
    p.add_argument("--iters", type=int, default=2000)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--eval-every", type=int, default=250)
    p.add_argument("--samples", type=int, default=8, help="names printed at each evaluation")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--data", default=None, help="a names file (default: data/names/names.txt)")
    p.add_argument("--out", default="runs/names", help="output folder")
    p.add_argument("--no-progress", action="store_true")
    args = p.parse_args(argv)
    if args.iters < 1 or args.batch_size < 1 or args.eval_every < 1:
        p.error("--iters, --batch-size and --eval-every must be at least 1")
    return args


def main(argv=None):
    """Train and sample; returns the summary it also writes as JSON."""
    args = parse_args(argv)
    text = start(args, "names", "names.txt", SHA256)
    names = [w.strip().lower() for w in text.split() if w.strip()]
    itos = ["."] + sorted(set("".join(names)) - {"."})
    stoi = {c: i for i, c in enumerate(itos)}
    rng = np.random.default_rng(args.seed)
    names = [names[i] for i in rng.permutation(len(names))]
    n_val = max(1, len(names) // 10)
    xv, yv = encode(names[:n_val], stoi)
    xt, yt = encode(names[n_val:], stoi)
    model = NameModel(len(itos))
    opt = pynet.optim.Adam(model.parameters(), lr=args.lr)
    gen = pynet.Generator().manual_seed(args.seed)
    print(f"pynet {pynet.__version__}: {len(names)} names, {len(itos)} symbols, GRU")
    history, samples, t0 = [], [], time.perf_counter()
    bar = Progress(args.eval_every, "train", not args.no_progress)
    for step in range(1, args.iters + 1):
        idx = rng.integers(0, len(xt), args.batch_size)
        loss = loss_on(model, xt[idx], yt[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        bar.update(float(loss.item()), ((step - 1) % args.eval_every + 1) * args.batch_size)
        if step % args.eval_every == 0 or step == args.iters:
            bar.close()
            with pynet.no_grad():
                vl = float(loss_on(model, xv, yv).item())
            made = sample_names(model, itos, args.samples, gen)
            history.append(dict(step=step, train_loss=float(loss.item()), val_loss=vl))
            samples.append(dict(step=step, names=made))
            print(f"step {step}: val loss {vl:.3f}  ->  {', '.join(made)}")
            bar = Progress(args.eval_every, "train", not args.no_progress)
    bar.close()
    seconds = time.perf_counter() - t0
    os.makedirs(args.out, exist_ok=True)
    weights = os.path.join(args.out, "names_gru.pt")
    pynet.save(model.state_dict(), weights)
    with open(os.path.join(args.out, "samples.txt"), "w") as f:
        f.writelines(f"step {s['step']}: {' '.join(s['names'])}\n" for s in samples)
    figures = plot_curves(os.path.join(args.out, "loss.png"), [h["step"] for h in history],
                          [("validation", [h["val_loss"] for h in history])], "step",
                          "cross-entropy (nats/char)")
    summary = dict(val_loss=history[-1]["val_loss"], seconds=seconds, history=history,
                   samples=samples, config=vars(args), weights=weights, figures=figures)
    with open(os.path.join(args.out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
    print(f"done in {seconds:.0f} s: validation loss {summary['val_loss']:.3f}; wrote "
          f"{weights}, samples.txt, summary.json" + "".join(f", {p}" for p in figures))
    return summary


if __name__ == "__main__":
    main()
