"""Sequence models, pynet beside PyTorch (same run): whole training steps.

LSTM and GRU: input 128, hidden 256, 2 layers, sequence 64, batch 32, float32;
the step is forward, a linear read-out of every output with mean squared
error, backward, and SGD with momentum. Cells: one LSTMCell step at the same
sizes. GPT: the decoder-only Transformer of examples/charlm.py (4 layers, 4
heads, width 128, context 64, batch 32, vocabulary 65), a step with AdamW.
Attention alone: F.scaled_dot_product_attention forward + backward, causal,
(32, 4, 64, 32). Median of repetitions at 1 thread and at all threads, pynet's
and PyTorch's steps timed in alternation (_timing.time_pair) so that the
machine's drift reaches both alike; the last column is pynet's time over
PyTorch's (below 1: pynet faster).
"""

import numpy as np

import pynet
from _timing import print_beside_torch  # noqa: E402

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


def gpt(lib, V=65, T=64, L=4, H=4, E=128):
    """The character-level GPT of examples/charlm.py, written once for either library."""
    nn, F = lib.nn, lib.nn.functional

    class Attn(nn.Module):
        def __init__(self):
            super().__init__()
            self.qkv, self.proj = nn.Linear(E, 3 * E), nn.Linear(E, E)

        def forward(self, x):
            B, T, _ = x.shape
            q, k, v = (t.reshape(B, T, H, E // H).transpose(1, 2)
                       for t in self.qkv(x).chunk(3, -1))
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            return self.proj(y.transpose(1, 2).reshape(B, T, E))

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln1, self.ln2, self.attn = nn.LayerNorm(E), nn.LayerNorm(E), Attn()
            self.mlp = nn.Sequential(nn.Linear(E, 4 * E), nn.GELU(), nn.Linear(4 * E, E))

        def forward(self, x):
            x = x + self.attn(self.ln1(x))
            return x + self.mlp(self.ln2(x))

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.tok, self.pos = nn.Embedding(V, E), nn.Embedding(T, E)
            self.blocks = nn.Sequential(*[Block() for _ in range(L)])
            self.ln, self.head = nn.LayerNorm(E), nn.Linear(E, V)

        def forward(self, idx):
            x = self.tok(idx) + self.pos(lib.arange(idx.shape[1]))
            return self.head(self.ln(self.blocks(x)))
    return GPT()


def gpt_step_fn(lib, seed=0):
    rng = np.random.default_rng(seed)
    lib.manual_seed(seed)
    model = gpt(lib)
    opt = lib.optim.AdamW(model.parameters(), lr=1e-3)
    x = lib.tensor(rng.integers(0, 65, (32, 64)))
    y = lib.tensor(rng.integers(0, 65, (32, 64)))

    def step():
        opt.zero_grad()
        lib.nn.functional.cross_entropy(model(x).reshape(-1, 65), y.reshape(-1)).backward()
        opt.step()
    return step


def sdpa_step_fn(lib, seed=0):
    rng = np.random.default_rng(seed)
    q, k, v = (lib.tensor(rng.standard_normal((32, 4, 64, 32)).astype(np.float32),
                          requires_grad=True) for _ in range(3))
    g = lib.tensor(rng.standard_normal((32, 4, 64, 32)).astype(np.float32))

    def step():
        q.grad = k.grad = v.grad = None
        lib.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True).backward(g)
    return step




def main():
    print(f"training step (forward, MSE read-out, backward, SGD momentum), input {I}, "
          f"hidden {H}, {LAYERS} layers, sequence {T}, batch {B}, float32, median ms")
    cases = [("LSTM", lambda lib: rnn_step_fn(lib, "LSTM"), 2),
             ("GRU", lambda lib: rnn_step_fn(lib, "GRU"), 2),
             ("LSTMCell, one step fwd+bwd", cell_step_fn, 50),
             ("GPT 4x128, context 64", gpt_step_fn, 2),
             ("attention fwd+bwd alone", sdpa_step_fn, 10)]
    print_beside_torch(pynet, torch, cases)


if __name__ == "__main__":
    main()
