"""A whole training epoch of the course's MNIST recipe, pynet beside PyTorch (same run).

784-256-256-10 ReLU, cross-entropy, SGD(momentum), the data through a DataLoader over a
TensorDataset with shuffling: what `pynet-mnist` does per epoch. Batch 16, 64 and 256,
at 1 thread and at all threads; medians of repetitions over the first `--images` training
images (default 20,000 so a run stays short), ratios printed. Peak memory (RSS) of each
library is measured in its own subprocess: the peak while training, above what the process
holds once the library is imported and the images are loaded (the same NumPy arrays for
both), so that it is the library's own memory; the whole process's peak is printed too.

    python benchmarks/bench_train.py [--images N] [--reps R]
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

import numpy as np

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


def epoch_time(lib, x, y, batch, reps, threads):
    """Median seconds of one epoch (after a warm-up epoch)."""
    lib.set_num_threads(threads)
    lib.manual_seed(0)
    nn = lib.nn
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256),
                          nn.ReLU(), nn.Linear(256, 10))
    opt = lib.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    ds = lib.utils.data.TensorDataset(lib.from_numpy(x), lib.from_numpy(y))
    loader = lib.utils.data.DataLoader(ds, batch_size=batch, shuffle=True)
    loss_fn = lib.nn.functional.cross_entropy

    def epoch():
        for xb, yb in loader:
            loss = loss_fn(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
    epoch()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        epoch()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def status_kib(field):
    """A memory figure of this process from /proc/self/status (VmRSS, VmHWM), in KiB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def child(name, images, reps, threads, batches):
    """Run in a subprocess: times for each batch size, the peak RSS of the whole process and
    the peak added by training (writing 5 to /proc/self/clear_refs resets the peak, VmHWM,
    to the current RSS: Linux 4.0 and later)."""
    lib = load_lib(name)
    x, y = data(images)
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    base = status_kib("VmRSS")
    out = {str(b): epoch_time(lib, x, y, b, reps, threads) for b in batches}
    out["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out["train_rss_mb"] = (status_kib("VmHWM") - base) / 1024
    print(json.dumps(out))


def run(name, images, reps, threads, batches):
    cmd = [sys.executable, __file__, "--child", name, "--images", str(images), "--reps",
           str(reps), "--threads", str(threads), "--batches", ",".join(map(str, batches))]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode:
        raise RuntimeError(r.stderr)
    return json.loads(r.stdout.strip().splitlines()[-1])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--images", type=int, default=20000)
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--batches", default="16,64,256")
    p.add_argument("--child", default=None)
    a = p.parse_args()
    batches = [int(b) for b in a.batches.split(",")]
    if a.child:
        return child(a.child, a.images, a.reps, a.threads, batches)
    try:
        import torch  # noqa: F401
        libs = ["pynet", "torch"]
    except ImportError:
        libs = ["pynet"]
    cores = os.cpu_count() or 1
    print(f"MNIST MLP epoch over {a.images} images (DataLoader + TensorDataset, shuffled), "
          f"median of {a.reps}, seconds")
    own = {}
    for threads in sorted({1, cores}):
        res = {lib: run(lib, a.images, a.reps, threads, batches) for lib in libs}
        for b in batches:
            pn = res["pynet"][str(b)]
            own[(threads, b)] = pn
            line = f"  {threads} thread(s) batch {b:4d}: pynet {pn:7.3f}"
            if "torch" in res:
                line += f"  torch {res['torch'][str(b)]:7.3f}  pynet/torch {pn / res['torch'][str(b)]:.2f}"
            print(line)
        rss = "  ".join(f"{lib} {res[lib]['train_rss_mb']:.1f} MB" for lib in libs)
        whole = "  ".join(f"{lib} {res[lib]['rss_mb']:.0f} MB" for lib in libs)
        print(f"  peak RSS ({threads} thread(s)) added by training: {rss}"
              f"   (whole process, data included: {whole})")
    if cores > 1:
        for b in batches:
            print(f"  batch {b}: pynet {cores} threads vs 1 thread: "
                  f"{own[(1, b)] / own[(cores, b)]:.2f}x faster")


if __name__ == "__main__":
    main()
