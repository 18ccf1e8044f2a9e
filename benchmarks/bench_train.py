"""A whole training epoch of the course's MNIST recipe, pynet beside PyTorch (same run).

784-256-256-10 ReLU, cross-entropy, SGD(momentum), the data through a DataLoader over a
TensorDataset with shuffling: what `pynet-mnist` does per epoch. Batch 16, 64 and 256,
at 1 thread and at all threads, over the first `--images` training images (default
20,000 so a run stays short). For each batch size the four epochs (pynet and PyTorch, at
1 thread and at all threads) are timed in rotation in one process (_timing.time_rotation),
so that the machine's drift over the run reaches all of them alike; medians of `--reps`
rotations, ratios printed. Peak memory (RSS) of each library is measured in its own
subprocess: the peak while training, above what the process holds once the library is
imported and the images are loaded (the same NumPy arrays for both), so that it is the
library's own memory; the whole process's peak is printed too.

    python benchmarks/bench_train.py [--images N] [--reps R]
"""
import argparse
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _timing import time_rotation  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def load_lib(name):
    if name == "pynet":
        import pynet
        return pynet
    import torch
    return torch


def data(images):
    sys.path.insert(0, os.path.dirname(HERE))
    from pynet.vision.datasets import MNIST
    x, y = MNIST(os.path.join(os.path.dirname(HERE), "data"), True).as_tensors()
    return x.numpy()[:images].copy(), y.numpy()[:images].copy()


def make_epoch(lib, x, y, batch, threads):
    """A function running one epoch of the recipe at `threads` threads (set on each call,
    since the epochs of several configurations run in turn)."""
    lib.manual_seed(0)
    nn = lib.nn
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256),
                          nn.ReLU(), nn.Linear(256, 10))
    opt = lib.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    ds = lib.utils.data.TensorDataset(lib.from_numpy(x), lib.from_numpy(y))
    loader = lib.utils.data.DataLoader(ds, batch_size=batch, shuffle=True)
    loss_fn = lib.nn.functional.cross_entropy

    def epoch():
        lib.set_num_threads(threads)
        for xb, yb in loader:
            loss = loss_fn(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
    return epoch


def status_kib(field):
    """A memory figure of this process from /proc/self/status (VmRSS, VmHWM), in KiB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def child(name, images, threads, batches):
    """Run in a subprocess: the peak RSS of the whole process while training one epoch of
    each batch size, and the part of it added by training (writing 5 to
    /proc/self/clear_refs resets the peak, VmHWM, to the current RSS: Linux 4.0 and
    later; so loading the images, the same for both libraries, is left out)."""
    x, y = data(images)  # (puts the repository on sys.path first)
    lib = load_lib(name)
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    base = status_kib("VmRSS")
    for b in batches:
        make_epoch(lib, x, y, b, threads)()
    training = status_kib("VmHWM")  # (not ru_maxrss: Linux carries the parent's over exec)
    out = {"rss_mb": training / 1024, "train_rss_mb": (training - base) / 1024}
    print(json.dumps(out))


def peak_memory(name, images, threads, batches):
    cmd = [sys.executable, __file__, "--child", name, "--images", str(images), "--threads",
           str(threads), "--batches", ",".join(map(str, batches))]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode:
        raise RuntimeError(r.stderr)
    return json.loads(r.stdout.strip().splitlines()[-1])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--images", type=int, default=20000)
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--batches", default="16,64,256")
    p.add_argument("--child", default=None)
    a = p.parse_args()
    batches = [int(b) for b in a.batches.split(",")]
    if a.child:
        return child(a.child, a.images, a.threads, batches)
    try:
        import torch  # noqa: F401
        libs = ["pynet", "torch"]
    except ImportError:
        libs = ["pynet"]
    cores = os.cpu_count() or 1
    counts = sorted({1, cores})
    x, y = data(a.images)
    mods = {name: load_lib(name) for name in libs}
    print(f"MNIST MLP epoch over {a.images} images (DataLoader + TensorDataset, shuffled), "
          f"median of {a.reps} rotations, seconds")
    sec = {}
    for b in batches:
        configs = [(name, t) for t in counts for name in libs]
        steps = [make_epoch(mods[name], x, y, b, t) for name, t in configs]
        ms = time_rotation(steps, reps=a.reps, inner=1, warmup=1)
        sec.update({(name, t, b): m / 1e3 for (name, t), m in zip(configs, ms)})
    for t in counts:
        for b in batches:
            pn = sec[("pynet", t, b)]
            line = f"  {t} thread(s) batch {b:4d}: pynet {pn:7.3f}"
            if "torch" in libs:
                th = sec[("torch", t, b)]
                line += f"  torch {th:7.3f}  pynet/torch {pn / th:.2f}"
            print(line)
    if cores > 1:
        for b in batches:
            print(f"  batch {b}: pynet {cores} threads vs 1 thread: "
                  f"{sec[('pynet', 1, b)] / sec[('pynet', cores, b)]:.2f}x faster")
    for t in counts:
        res = {name: peak_memory(name, a.images, t, batches) for name in libs}
        rss = "  ".join(f"{name} {res[name]['train_rss_mb']:.1f} MB" for name in libs)
        whole = "  ".join(f"{name} {res[name]['rss_mb']:.0f} MB" for name in libs)
        print(f"  peak RSS ({t} thread(s)) added by training: {rss}"
              f"   (whole process while training, data included: {whole})")


if __name__ == "__main__":
    main()
