"""A character-level language model on Tiny Shakespeare: ``pynet-charlm`` or
``python -m pynet.examples.charlm``.

--model gpt (default): a small decoder-only Transformer (4 layers, 4 heads, width 128,
context 64), the model of the "GPT from scratch" lecture. --model lstm: a 2-layer LSTM
(hidden 256). Trains on random windows of the text with AdamW and prints, every
--eval-every steps, the validation loss (nats per character) and a sample of generated
text, which visibly improves. Writes into --out the model (pynet.save), the samples, the
validation-loss curve (a PNG, with matplotlib) and a JSON summary. On one core the GPT
reaches a validation loss of 1.75 nats/char in 10 minutes (``--minutes 10 --threads 1``,
about 960 steps on a shared machine).
"""
import argparse
import json
import math
import os
import time

import numpy as np

import pynet
import pynet.nn as nn
import pynet.nn.functional as F

from ._common import Progress, plot_curves, start

SHA256 = "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed"


class CausalSelfAttention(nn.Module):
    """Multi-head self-attention in which position t sees positions <= t only: one
    linear layer makes q, k and v, the fused attention op applies the causal rule."""

    def __init__(self, n_embd, n_head, dropout):
        super().__init__()
        self.n_head, self.dropout = n_head, dropout
        self.qkv = nn.Linear(n_embd, 3 * n_embd)
        self.proj = nn.Linear(n_embd, n_embd)

    def forward(self, x):
        """x (B, T, E) -> (B, T, E)."""
        B, T, E = x.shape
        q, k, v = (t.reshape(B, T, self.n_head, E // self.n_head).transpose(1, 2)
                   for t in self.qkv(x).chunk(3, -1))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True,
                                           dropout_p=self.dropout if self.training else 0.0)
        return self.proj(y.transpose(1, 2).reshape(B, T, E))


class Block(nn.Module):
    """A pre-norm Transformer block: x + attention(LN(x)), then x + MLP(LN(x))."""

    def __init__(self, n_embd, n_head, dropout):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(n_embd), nn.LayerNorm(n_embd)
        self.attn = CausalSelfAttention(n_embd, n_head, dropout)
        self.mlp = nn.Sequential(nn.Linear(n_embd, 4 * n_embd), nn.GELU(),
                                 nn.Linear(4 * n_embd, n_embd), nn.Dropout(dropout))

    def forward(self, x):
        """x (B, T, E) -> (B, T, E)."""
        x = x + self.attn(self.ln1(x))
        return x + self.mlp(self.ln2(x))


class CharGPT(nn.Module):
    """Token and position embeddings, n_layer blocks, a final LayerNorm and a linear
    read-out to the vocabulary."""

    def __init__(self, vocab, block_size, n_layer=4, n_head=4, n_embd=128, dropout=0.0):
        super().__init__()
        self.block_size = block_size
        self.tok, self.pos = nn.Embedding(vocab, n_embd), nn.Embedding(block_size, n_embd)
        self.blocks = nn.Sequential(*[Block(n_embd, n_head, dropout) for _ in range(n_layer)])
        self.ln_f, self.head = nn.LayerNorm(n_embd), nn.Linear(n_embd, vocab)

    def forward(self, idx, state=None):
        """idx (B, T) int64 -> (logits (B, T, vocab), None)."""
        T = idx.shape[1]
        x = self.tok(idx) + self.pos(pynet.arange(T))
        return self.head(self.ln_f(self.blocks(x))), None


class CharLSTM(nn.Module):
    """An embedding, a 2-layer LSTM and a linear read-out; the state carries over
    while sampling."""

    def __init__(self, vocab, block_size, hidden=256, n_embd=64, dropout=0.0):
        super().__init__()
        self.block_size = block_size
        self.emb = nn.Embedding(vocab, n_embd)
        self.lstm = nn.LSTM(n_embd, hidden, num_layers=2, batch_first=True, dropout=dropout)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, idx, state=None):
        """idx (B, T) int64, state (h, c) or None -> (logits (B, T, vocab), state)."""
        out, state = self.lstm(self.emb(idx), state)
        return self.head(out), state


def generate(model, start, n, generator, temperature=1.0):
    """n characters (as ids) sampled after the ids in start, one at a time."""
    model.eval()
    ids, state = list(start), None
    with pynet.no_grad():
        ctx = pynet.tensor([ids], dtype=pynet.int64)
        for _ in range(n):
            if isinstance(model, CharGPT):
                logits, _ = model(ctx[:, -model.block_size:])
            else:
                logits, state = model(ctx if state is None else ctx[:, -1:], state)
            probs = F.softmax(logits[0, -1] / temperature, dim=-1)
            nxt = int(pynet.multinomial(probs, 1, generator=generator).item())
            ids.append(nxt)
            ctx = pynet.tensor([ids], dtype=pynet.int64)
    model.train()
    return ids[len(start):]


def batches(data, block, batch, rng):
    """A random batch of windows: inputs (batch, block) and the next characters."""
    ix = rng.integers(0, len(data) - block - 1, batch)
    win = data[ix[:, None] + np.arange(block + 1)]
    return pynet.tensor(win[:, :-1]), pynet.tensor(win[:, 1:])


def val_loss(model, data, block, batch, n_batches, seed):
    """Mean cross-entropy (nats per character) over n_batches fixed validation batches."""
    rng, total = np.random.default_rng(seed), 0.0
    model.eval()
    with pynet.no_grad():
        for _ in range(n_batches):
            x, y = batches(data, block, batch, rng)
            logits, _ = model(x)
            total += float(F.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                           y.reshape(-1)).item())
    model.train()
    return total / n_batches


def parse_args(argv=None):
    """The command line (see --help)."""
    p = argparse.ArgumentParser(prog="pynet-charlm", description=__doc__.split("\n\n")[0])
    p.add_argument("--model", choices=["gpt", "lstm"], default="gpt")
    p.add_argument("--iters", type=int, default=3000, help="training steps")
    p.add_argument("--minutes", type=float, default=None,
                   help="stop after this much training time, whatever --iters says")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--block-size", type=int, default=64, help="context length")
    p.add_argument("--lr", type=float, default=2e-3, help="AdamW learning rate")
    p.add_argument("--dropout", type=float, default=0.0)
    p.add_argument("--eval-every", type=int, default=250)
    p.add_argument("--eval-batches", type=int, default=20)
    p.add_argument("--sample-chars", type=int, default=200)
    p.add_argument("--threads", type=int, default=None, help="pynet threads (default: all)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--data", default=None, help="the text file (default: the shipped "
                   "data/tinyshakespeare/input.txt)")
    p.add_argument("--out", default="runs/charlm", help="output folder")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = p.parse_args(argv)
    if args.iters < 1 or args.batch_size < 1 or args.block_size < 1 or args.eval_every < 1:
        p.error("--iters, --batch-size, --block-size and --eval-every must be at least 1")
    return args


def main(argv=None):
    """Train, sampling as it goes; returns the summary dict it also writes as JSON."""
    args = parse_args(argv)
    text = start(args, "tinyshakespeare", "input.txt", SHA256)
    chars = sorted(set(text))
    stoi = {c: i for i, c in enumerate(chars)}
    data = np.array([stoi[c] for c in text], dtype=np.int64)
    n_train = int(0.9 * len(data))
    train, val = data[:n_train], data[n_train:]
    make = CharGPT if args.model == "gpt" else CharLSTM
    model = make(len(chars), args.block_size, dropout=args.dropout)
    opt = pynet.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    warm = min(100, args.iters // 10 + 1)  # linear warm-up, then a cosine to lr / 10
    sched = pynet.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / warm) * (
        0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(s, args.iters) / args.iters))))
    n_params = sum(p.numel() for p in model.parameters())
    print(f"pynet {pynet.__version__}: char-level {args.model} on {len(text):,} characters "
          f"({len(chars)} distinct), {n_params:,} parameters, {pynet.get_num_threads()} threads")
    rng, gen = np.random.default_rng(args.seed), pynet.Generator().manual_seed(args.seed)
    history, samples, t0 = [], [], time.perf_counter()
    bar = Progress(args.eval_every, "train", not args.no_progress)
    for step in range(1, args.iters + 1):
        x, y = batches(train, args.block_size, args.batch_size, rng)
        logits, _ = model(x)
        loss = F.cross_entropy(logits.reshape(-1, len(chars)), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        bar.update(float(loss.item()), (step - 1) % args.eval_every * x.numel() + x.numel())
        out_of_time = args.minutes is not None and time.perf_counter() - t0 > 60 * args.minutes
        if step % args.eval_every == 0 or step == args.iters or out_of_time:
            bar.close()
            vl = val_loss(model, val, args.block_size, args.batch_size, args.eval_batches,
                          args.seed + 1)
            sample = "".join(chars[i] for i in generate(model, [stoi["\n"]], args.sample_chars,
                                                        gen))
            seconds = time.perf_counter() - t0
            history.append(dict(step=step, train_loss=float(loss.item()), val_loss=vl,
                                seconds=seconds))
            samples.append(dict(step=step, text=sample))
            print(f"step {step}: train loss {float(loss.item()):.3f}  val loss {vl:.3f} "
                  f"nats/char  ({seconds:.0f} s)\n---\n{sample.strip()}\n---")
            bar = Progress(args.eval_every, "train", not args.no_progress)
        if out_of_time:
            break
    bar.close()
    os.makedirs(args.out, exist_ok=True)
    weights = os.path.join(args.out, f"charlm_{args.model}.pt")
    pynet.save(model.state_dict(), weights)
    with open(os.path.join(args.out, "samples.txt"), "w", encoding="utf-8") as f:
        f.writelines(f"=== step {s['step']}\n{s['text']}\n" for s in samples)
    figures = plot_curves(os.path.join(args.out, "val_loss.png"), [h["step"] for h in history],
                          [("validation", [h["val_loss"] for h in history]),
                           ("training batch", [h["train_loss"] for h in history])],
                          "step", "cross-entropy (nats/char)")
    summary = dict(val_loss=history[-1]["val_loss"], seconds=history[-1]["seconds"],
                   steps=history[-1]["step"], vocab="".join(chars), history=history,
                   config=vars(args), weights=weights, figures=figures)
    with open(os.path.join(args.out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
    print(f"done in {summary['seconds']:.0f} s: validation loss {summary['val_loss']:.3f} "
          f"nats/char; wrote {weights}, samples.txt, summary.json"
          + "".join(f", {p}" for p in figures) + f" in {args.out}")
    return summary


if __name__ == "__main__":
    main()
