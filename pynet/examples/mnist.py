"""Train the course's networks on MNIST: ``pynet-mnist`` or ``python -m pynet.examples.mnist``.

--model mlp (default): the course's 784-256-256-10 ReLU network, softmax/cross-entropy,
SGD with momentum, the learning rate annealed along a cosine. --model cnn: a LeNet-5-style convolutional network. Prints a progress
bar per epoch, then the train loss, test loss and test accuracy of each epoch; writes into
--out the trained weights (pynet.save), a JSON summary, a PNG grid of misclassified test
digits and, when matplotlib is installed, the training curves. The same seed gives the same
numbers at any thread count.
"""
import argparse
import json
import os
import time

import pynet
import pynet.nn as nn
import pynet.nn.functional as F
from pynet.utils.data import DataLoader, TensorDataset
from pynet.vision.datasets import MNIST
from pynet.vision.utils import save_image

from ._common import Progress


def mlp():
    """784-256-256-10 with ReLU: the course's design."""
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256),
                         nn.ReLU(), nn.Linear(256, 10))


def cnn():
    """LeNet-5 style, a little wider: conv 16@5x5 (pad 2), pool, conv 32@5x5, pool, 120,
    84, 10 (ReLU and max pooling, as today's courses teach it)."""
    if not (hasattr(nn, "Conv2d") and hasattr(nn, "MaxPool2d")):
        raise SystemExit("--model cnn needs nn.Conv2d and nn.MaxPool2d, which this build of "
                         "pynet does not have yet; use --model mlp")
    return nn.Sequential(nn.Conv2d(1, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(16, 32, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(800, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
                         nn.Linear(84, 10))


def parse_args(argv=None):
    """The command line (see --help)."""
    p = argparse.ArgumentParser(prog="pynet-mnist", description=__doc__.split("\n\n")[0])
    p.add_argument("--model", choices=["mlp", "cnn"], default="mlp")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=None,
                   help="learning rate (default: SGD 0.05 for the MLP, 0.02 for the CNN; "
                        "Adam 0.001)")
    p.add_argument("--optimizer", choices=["sgd", "adam"], default="sgd")
    p.add_argument("--momentum", type=float, default=0.9, help="SGD momentum")
    p.add_argument("--threads", type=int, default=None, help="pynet threads (default: all)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--workers", type=int, default=0, help="DataLoader worker processes")
    p.add_argument("--root", default="data", help="where the MNIST files are (see README)")
    p.add_argument("--download", action="store_true", help="fetch missing files")
    p.add_argument("--limit", type=int, default=None,
                   help="train on the first N training images only (a quick run)")
    p.add_argument("--out", default="runs/mnist", help="output folder")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = p.parse_args(argv)
    if args.epochs < 1 or args.batch_size < 1:
        p.error("--epochs and --batch-size must be at least 1")
    if args.lr is None:
        args.lr = 0.001 if args.optimizer == "adam" else 0.05 if args.model == "mlp" else 0.02
    return args


def evaluate(model, x, y, batch=1000):
    """Mean cross-entropy, accuracy and the predictions of model on (x, y)."""
    model.eval()
    total, correct, preds = 0.0, 0, []
    with pynet.no_grad():
        for i in range(0, len(y), batch):
            out = model(x[i:i + batch])
            total += float(F.cross_entropy(out, y[i:i + batch], reduction="sum").item())
            p = out.argmax(1)
            correct += int((p == y[i:i + batch]).sum().item())
            preds.append(p)
    model.train()
    return total / len(y), correct / len(y), pynet.cat(preds)


def train_epoch(model, opt, sched, loader, progress):
    """One pass over loader (the learning rate following sched each step); returns the
    mean training loss and samples per second."""
    t0, total, seen = time.perf_counter(), 0.0, 0
    for xb, yb in loader:
        loss = F.cross_entropy(model(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        v = float(loss.item())
        total += v * len(yb)
        seen += len(yb)
        progress.update(v, seen)
    progress.close()
    return total / seen, seen / (time.perf_counter() - t0)


def misclassified_grid(out, x_test, y_test, preds, mean_std):
    """The first 32 misclassified test digits as a PNG grid (no matplotlib needed)."""
    wrong = (preds != y_test).nonzero().reshape(-1)[:32]
    if len(wrong) == 0:
        return []
    mean, std = mean_std
    path = os.path.join(out, "misclassified.png")
    save_image(x_test[wrong] * std + mean, path, nrow=8, pad_value=1.0)
    return [path]


def curves(out, history):
    """Training curves as a PNG (needs matplotlib)."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no curves plot (pip install matplotlib)")
        return []
    ep = [h["epoch"] for h in history]
    fig, (a, b) = plt.subplots(1, 2, figsize=(9, 3.5))
    a.plot(ep, [h["train_loss"] for h in history], "o-", label="train")
    a.plot(ep, [h["test_loss"] for h in history], "o-", label="test")
    a.set_xlabel("epoch"), a.set_ylabel("cross-entropy"), a.legend()
    b.plot(ep, [100 * h["test_accuracy"] for h in history], "o-")
    b.set_xlabel("epoch"), b.set_ylabel("test accuracy (%)")
    fig.tight_layout()
    path = os.path.join(out, "curves.png")
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return [path]


def main(argv=None):
    """Run the main job; returns the summary dict it also writes as JSON."""
    args = parse_args(argv)
    if args.threads:
        pynet.set_num_threads(args.threads)
    pynet.manual_seed(args.seed)
    train_set, test_set = MNIST(args.root, True, download=args.download), \
        MNIST(args.root, False, download=args.download)
    x_train, y_train = train_set.as_tensors()
    x_test, y_test = test_set.as_tensors()
    if args.limit:
        x_train, y_train = x_train[:args.limit], y_train[:args.limit]
    loader = DataLoader(TensorDataset(x_train, y_train), batch_size=args.batch_size,
                        shuffle=True, num_workers=args.workers,
                        generator=pynet.Generator().manual_seed(args.seed))
    model = mlp() if args.model == "mlp" else cnn()
    opt = (pynet.optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum)
           if args.optimizer == "sgd" else pynet.optim.Adam(model.parameters(), lr=args.lr))
    # the learning rate falls along a half cosine to 0 over the whole run
    sched = pynet.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.epochs * len(loader))
    print(f"pynet {pynet.__version__}: MNIST {args.model}, {len(y_train)} training images, "
          f"{args.epochs} epochs, batch {args.batch_size}, {args.optimizer} lr {args.lr}, "
          f"{pynet.get_num_threads()} threads")
    history, t_start = [], time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        bar = Progress(len(loader), f"epoch {epoch}", not args.no_progress)
        train_loss, rate = train_epoch(model, opt, sched, loader, bar)
        test_loss, acc, preds = evaluate(model, x_test, y_test)
        history.append(dict(epoch=epoch, train_loss=train_loss, test_loss=test_loss,
                            test_accuracy=acc, samples_per_s=rate))
        print(f"epoch {epoch}: train loss {train_loss:.4f}  test loss {test_loss:.4f}  "
              f"test accuracy {100 * acc:.2f}%  ({rate:.0f} samples/s)")
    seconds = time.perf_counter() - t_start
    os.makedirs(args.out, exist_ok=True)
    weights = os.path.join(args.out, f"mnist_{args.model}.pt")
    pynet.save(model.state_dict(), weights)
    figures = curves(args.out, history) + misclassified_grid(args.out, x_test, y_test, preds,
                                                             test_set.mean_std)
    summary = dict(test_accuracy=history[-1]["test_accuracy"], seconds=seconds,
                   samples_per_s=sum(h["samples_per_s"] for h in history) / len(history),
                   history=history, config=vars(args), weights=weights, figures=figures)
    with open(os.path.join(args.out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
    print(f"done in {seconds:.1f} s: test accuracy {100 * summary['test_accuracy']:.2f}%; "
          f"wrote {weights}, {os.path.join(args.out, 'summary.json')}"
          + "".join(f", {p}" for p in figures))
    return summary


if __name__ == "__main__":
    main()
