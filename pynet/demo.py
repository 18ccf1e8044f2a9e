"""python -m pynet.demo: train a small two-layer network with pynet's autograd.

The data are two interleaved spirals (a classic that a linear model cannot
separate). The network is x -> relu(x W1 + b1) -> W2 + b2 -> softmax, trained
with plain gradient descent written out by hand, so every step is visible:
forward, loss, backward, update. The loss printed every few epochs falls.
"""
import math
import time

import pynet


def spirals(n_per_class=200, classes=2, seed=0):
    """Points on `classes` spiral arms in the plane, with a little noise."""
    pynet.manual_seed(seed)
    xs, ys = [], []
    for c in range(classes):
        r = pynet.linspace(0.05, 1.0, n_per_class)
        theta = pynet.linspace(c * 2 * math.pi / classes, c * 2 * math.pi / classes + 3.5,
                               n_per_class) + 0.15 * pynet.randn(n_per_class)
        xs.append(pynet.stack([r * theta.cos(), r * theta.sin()], dim=1))
        ys.append(pynet.full((n_per_class,), c))
    return pynet.cat(xs), pynet.cat(ys)


def main(epochs=300, hidden=64, lr=0.5):
    x, y = spirals()
    n = x.shape[0]
    # Kaiming-style initialisation keeps the ReLU layer's activations in range.
    w1 = (pynet.randn(2, hidden) * math.sqrt(2 / 2)).requires_grad_()
    b1 = pynet.zeros(hidden, requires_grad=True)
    w2 = (pynet.randn(hidden, 2) * math.sqrt(2 / hidden)).requires_grad_()
    b2 = pynet.zeros(2, requires_grad=True)
    params = [w1, b1, w2, b2]
    start = time.perf_counter()
    for epoch in range(epochs + 1):
        h = (x @ w1 + b1).relu()                          # (n, hidden)
        logits = h @ w2 + b2                              # (n, 2)
        logp = logits.log_softmax(dim=1)                  # (n, 2)
        loss = -logp[pynet.arange(n), y].mean()           # cross-entropy
        for p in params:
            p.grad = None
        loss.backward()
        with pynet.no_grad():
            for p in params:
                p -= lr * p.grad
        if epoch % 50 == 0:
            acc = (logits.argmax(dim=1) == y).float().mean().item()
            print(f"epoch {epoch:4d}  loss {loss.item():.4f}  accuracy {acc:.3f}")
    print(f"trained {epochs} epochs on {n} points in {time.perf_counter() - start:.2f} s")
    return loss.item()


if __name__ == "__main__":
    main()
