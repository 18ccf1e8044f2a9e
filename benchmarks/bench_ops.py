"""Op-level speed of pynet beside PyTorch (issue #13): float32 (or float64), 1 and 2 threads.

What is measured
  * elementwise ops (exp ... relu, the activations in nn.functional, pow with
    scalar and tensor exponents), on a (rows, cols) matrix;
  * softmax, log_softmax and logsumexp over dim=-1 (contiguous rows) and dim=0
    (strided columns), and softmax, log_softmax and sum over short rows (the
    matrix viewed as rows of 16, a classifier's logits);
  * reductions sum/mean/var/max/argmax along dim 0, dim 1 and over all elements,
    and cumsum along dim 0 and dim 1 (forward and fwd+bwd);
  * the cases of the former 1000x1000 table: a + b, t().contiguous(), x[idx]
    (half the rows, random), cat([x, x], 0) (relu, sum and softmax are above).
  Sizes are element counts rounded to a power of two, as matrices:
  1k = 32x32, 131k = 256x512, 4M = 2048x2048.

  "fwd" times the op alone on tensors that do not require grad. "fwd+bwd" times
  one step of: clear the leaves' .grad, run the op on leaves with
  requires_grad=True, y.backward(g) with a fixed upstream gradient g. Both
  rows are printed; the backward's own cost is roughly their difference.
  Reductions (the scans aside) and the former table's cases are forward only.

  Both libraries get identical inputs (NumPy, seeded): positive values
  (uniform 0.1..4) for log*, sqrt, rsqrt, reciprocal and fractional powers,
  uniform(-3, 3) otherwise. Each number is the median over repetitions of the
  mean time of a batch of calls, in microseconds; batches are sized so that
  small ops are not lost in timer noise, repetitions are fewer at 4M.

How to read it
  One table per thread count (pynet.set_num_threads(n) and
  torch.set_num_threads(n)). Each cell: pynet us, torch us, pynet/torch
  (below 1 = pynet faster). An op pynet (or torch) lacks prints "n/a".
  Each table's header gives the load average. On a busy machine (load above
  the core count) the 2-thread numbers are unreliable, torch's most: its
  OpenMP workers spin-wait (libgomp's default), and with the cores taken a
  call can cost a scheduler tick (~12-16 ms) even at 1k; OMP_WAIT_POLICY=PASSIVE
  avoids that but is not torch's default, so the benchmark leaves it alone.
  Rerun a suspicious row with --filter when the machine is quiet.
  The last line per table counts the cells meeting the issue's targets,
  pynet/torch <= 0.5 at 1k and <= 1.0 at larger sizes, and lists the misses.

Usage
  python benchmarks/bench_ops.py [--threads 1,2] [--sizes 1k,131k,4M]
                                 [--filter SUBSTRING] [--quick] [--dtype float64]
  (--dtype float64 times the same cases on float64 inputs; the targets are
  float32's, the table counts them all the same)
"""
import argparse
import os
import sys
import time

import numpy as np

import pynet

from _timing import settle, time_step

try:
    import torch
except ImportError:
    torch = None

TARGETS = {1024: 0.5}           # pynet/torch ratio to meet, by element count; 1.0 otherwise
# per size: (repetitions, seconds per repetition's batch); --quick uses fewer
REPS = {"full": {"small": (11, 0.002), "mid": (9, 0.003), "large": (5, 0.0)},
        "quick": {"small": (3, 0.001), "mid": (3, 0.001), "large": (2, 0.0)}}


# ---------------------------------------------------------------- libraries

class Lib:
    """One library under test: its module, its nn.functional, tensors from NumPy."""

    def __init__(self, name, mod):
        self.name, self.mod, self.F = name, mod, mod.nn.functional

    def tensor(self, arr, grad=False):
        t = self.mod.from_numpy(arr.copy())
        if grad:
            t.requires_grad_(True)
        return t

    def set_threads(self, n):
        self.mod.set_num_threads(n)


def resolve(lib, path):
    """The function at `path` ("erf", "F.mish") of a library; AttributeError if missing."""
    owner, name = (lib.F, path[2:]) if path.startswith("F.") else (lib.mod, path)
    return getattr(owner, name)


# ---------------------------------------------------------------- cases

class Case:
    """An op to time: name, group, maker (lib -> callable), input kinds, modes."""

    def __init__(self, name, group, make, inputs=("sym",), modes=("fwd", "fwd+bwd")):
        self.name, self.group, self.make = name, group, make
        self.inputs, self.modes = inputs, modes


def fn(path, *args, **kw):
    """Maker of the library function at `path`, called as f(*inputs, *args, **kw)."""
    def make(lib):
        f = resolve(lib, path)
        return lambda *xs: f(*xs, *args, **kw)
    return make


def expr(f):
    """Maker of an op written directly: f(module, *inputs)."""
    return lambda lib: (lambda *xs: f(lib.mod, *xs))


def elementwise_cases():
    def unary(path, kind="sym", name=None, **kw):
        name = name or path.replace("F.", "")
        return Case(name, "elementwise", fn(path, **kw), (kind,))

    def power(e, kind):
        return Case(f"x**{e}", "elementwise", expr(lambda L, x: x ** e), (kind,))

    return [unary("exp"), unary("expm1"), unary("log", "pos"), unary("log1p", "pos"),
            unary("log2", "pos"), unary("log10", "pos"), unary("tanh"), unary("sigmoid"),
            unary("F.logsigmoid"), unary("F.softplus"), unary("F.gelu", approximate="none"),
            unary("F.gelu", name="gelu(tanh)", approximate="tanh"), unary("F.silu"),
            unary("F.mish"), unary("erf"), unary("erfc"), unary("sin"), unary("cos"),
            unary("tan"), unary("atan"),
            Case("atan2", "elementwise", fn("atan2"), ("sym", "sym2")),
            power(2, "sym"), power(3, "sym"), power(0.5, "pos"), power(-0.5, "pos"),
            power(2.5, "pos"),
            Case("pow(x, y)", "elementwise", fn("pow"), ("pos", "expo")),
            unary("rsqrt", "pos"), unary("reciprocal", "pos"), unary("sqrt", "pos"),
            unary("relu")]


def row_cases():
    cases = []
    for op, path in (("softmax", "F.softmax"), ("log_softmax", "F.log_softmax"),
                     ("logsumexp", "logsumexp")):
        for d in (-1, 0):
            cases.append(Case(f"{op} dim={d}", "softmax", fn(path, dim=d)))
    # short rows (a classifier's logits): the same elements viewed as rows of 16
    cases += [Case("softmax rows of 16", "softmax",
                   expr(lambda L, x: L.nn.functional.softmax(x.reshape(-1, 16), -1))),
              Case("log_softmax rows of 16", "softmax",
                   expr(lambda L, x: L.nn.functional.log_softmax(x.reshape(-1, 16), -1)))]
    for op in ("sum", "mean", "var", "max", "argmax"):
        cases.append(Case(f"{op} dim=0", "reduce", fn(op, dim=0), modes=("fwd",)))
        cases.append(Case(f"{op} dim=1", "reduce", fn(op, dim=1), modes=("fwd",)))
        cases.append(Case(f"{op} all", "reduce", fn(op), modes=("fwd",)))
    cases.append(Case("sum rows of 16", "reduce", expr(lambda L, x: x.reshape(-1, 16).sum(1)),
                      modes=("fwd",)))
    # scans (issue #12's ops): one sequential chain per position, forward and backward
    cases += [Case(f"cumsum dim={d}", "reduce", fn("cumsum", dim=d)) for d in (0, 1)]
    return cases


def layout_cases():
    fwd = ("fwd",)
    return [Case("a + b", "layout", expr(lambda L, a, b: a + b), ("sym", "sym2"), fwd),
            Case("t().contiguous()", "layout", expr(lambda L, x: x.t().contiguous()), modes=fwd),
            Case("x[idx]", "layout", expr(lambda L, x, i: x[i]), ("sym", "idx"), fwd),
            Case("cat", "layout", expr(lambda L, x: L.cat([x, x], 0)), modes=fwd)]


ALL_CASES = elementwise_cases() + row_cases() + layout_cases()
GROUP_TITLES = {"elementwise": "elementwise", "softmax": "softmax family, (rows, cols) matrix",
                "reduce": "reductions (forward)",
                "layout": "former 1000x1000 table's cases (forward)"}


# ---------------------------------------------------------------- sizes and inputs

def parse_size(label):
    """Element count of a size label: the power of two nearest the decimal value
    ('1k' -> 1024, '131k' -> 131072, '4M' -> 4194304)."""
    scale = {"k": 1e3, "M": 1e6}.get(label[-1], 1)
    return 1 << round(np.log2(float(label.rstrip("kM")) * scale))


def shape_of(n):
    """(rows, cols) with rows the largest divisor of n not above sqrt(n)."""
    rows = int(n ** 0.5)
    while n % rows:
        rows -= 1
    return rows, n // rows


def make_inputs(shape, seed=0, dtype="float32"):
    """The NumPy inputs shared by both libraries, by kind, of the given float dtype."""
    rng = np.random.default_rng(seed)
    dt = np.dtype(dtype)
    return {"sym": rng.uniform(-3, 3, shape).astype(dt),
            "sym2": rng.uniform(-3, 3, shape).astype(dt),
            "pos": rng.uniform(0.1, 4, shape).astype(dt),
            "expo": rng.uniform(-2, 2, shape).astype(dt),
            "idx": rng.integers(0, shape[0], max(1, shape[0] // 2))}


def size_class(n):
    return "small" if n <= 16384 else "mid" if n <= 1 << 20 else "large"


# ---------------------------------------------------------------- timing

def median_us(step, reps, rep_seconds):
    """Median microseconds of one call of step(): two warm-up calls, a batch size
    giving about rep_seconds per repetition (at least one call), `reps` repetitions."""
    step()
    t0 = time.perf_counter()
    step()
    once = time.perf_counter() - t0
    inner = max(1, round(rep_seconds / max(once, 1e-7)))
    return time_step(step, reps=reps, inner=inner, warmup=0) * 1e3


def make_step(case, lib, arrays, mode):
    """The callable timed for one case, library and mode; None if lib lacks the op."""
    try:
        op = case.make(lib)
    except AttributeError:
        return None
    if mode == "fwd":
        xs = [lib.tensor(arrays[k]) for k in case.inputs]
        return lambda: op(*xs)
    xs = [lib.tensor(arrays[k], grad=k != "idx") for k in case.inputs]
    leaves = [x for k, x in zip(case.inputs, xs) if k != "idx"]
    shape = tuple(op(*xs).shape)
    g = lib.tensor(np.random.default_rng(1).uniform(-1, 1, shape).astype(arrays["sym"].dtype))

    def step():
        for x in leaves:
            x.grad = None
        op(*xs).backward(g)
    return step


def measure(case, mode, libs, arrays, counts):
    """{lib name: median us or None (n/a)} for one cell."""
    out = {}
    for lib in libs:
        step = make_step(case, lib, arrays, mode)
        settle(step)  # the other library's threads parked, this one's warm (_timing.settle)
        out[lib.name] = None if step is None else median_us(step, *counts)
    return out


# ---------------------------------------------------------------- output

def fmt_us(v):
    if v is None:
        return "n/a"
    return f"{v:.1f}" if v < 100 else f"{v:.0f}"


def fmt_cell(cell):
    """'pynet torch ratio', or only pynet when torch is absent."""
    p, t = cell.get("pynet"), cell.get("torch")
    if "torch" not in cell:
        return f"{fmt_us(p):>13s}"
    ratio = f"{p / t:.2f}" if p is not None and t is not None else "-"
    return f"{fmt_us(p):>8s}{fmt_us(t):>8s}{ratio:>6s}"


def header(sizes, shapes, with_torch):
    width = 22 if with_torch else 14
    top = f"{'':26s}" + "".join(f"{s + ' ' + 'x'.join(map(str, shapes[s])):>{width}s}"
                                 for s in sizes)
    sub = "  pynet   torch   p/t" if with_torch else f"{'pynet':>13s}"
    return top + "\n" + f"{'op':26s}" + (" " + sub) * len(sizes)


def verdict(results, sizes):
    """'met/checked' and the list of misses, over cells with both timings."""
    met, checked, misses = 0, 0, []
    for label, row in results:
        for s in sizes:
            p, t = row[s].get("pynet"), row[s].get("torch")
            if p is None or t is None:
                continue
            checked += 1
            if p / t <= TARGETS.get(parse_size(s), 1.0):
                met += 1
            else:
                misses.append(f"{label} @{s} ({p / t:.3f})")
    return met, checked, misses


def wrap_items(items, width=100, indent="    "):
    """Items joined by ", " on indented lines of at most `width` characters,
    never breaking inside an item."""
    lines, line = [], indent
    for i, item in enumerate(items):
        text = item + ("," if i < len(items) - 1 else "")
        if line.strip() and len(line) + 1 + len(text) > width:
            lines.append(line)
            line = indent
        line += ("" if not line.strip() else " ") + text
    return "\n".join(lines + [line]) if items else ""


def load_note():
    """The machine's load; a warning when other work competes for the cores."""
    load, cores = os.getloadavg()[0], os.cpu_count()
    note = f"load average {load:.1f} on {cores} cores"
    if load > cores:
        note += " -- busy: timings are noisy, with 2+ threads (torch's most) unreliable"
    return note


def run_table(threads, cases, libs, sizes, inputs, quick):
    """Time every case at every size with `threads` threads; print the table as it goes."""
    for lib in libs:
        lib.set_threads(threads)
    shapes = {s: inputs[s]["sym"].shape for s in sizes}
    with_torch = len(libs) > 1
    print(f"\n== threads = {threads}: microseconds per call (median)"
          + (", pynet/torch ratio" if with_torch else " (torch not installed)"))
    print(load_note())
    print(header(sizes, shapes, with_torch))
    results, t0 = [], time.perf_counter()
    group = None
    for case in cases:
        if case.group != group:
            group = case.group
            print(f"-- {GROUP_TITLES[group]}")
        for mode in case.modes:
            label = f"{case.name} {mode}" if len(case.modes) > 1 else case.name
            row = {}
            for s in sizes:
                counts = REPS["quick" if quick else "full"][size_class(parse_size(s))]
                row[s] = measure(case, mode, libs, inputs[s], counts)
            print(f"{label:26s}" + "".join(" " + fmt_cell(row[s]) for s in sizes), flush=True)
            results.append((label, row))
    if with_torch:
        met, checked, misses = verdict(results, sizes)
        print(f"threads = {threads}: {met}/{checked} cells meet the targets (pynet/torch "
              f"<= 0.5 at 1k, <= 1.0 above); {len(misses)} misses" + (":" if misses else ""))
        if misses:
            print(wrap_items(misses))
    print(f"(table took {time.perf_counter() - t0:.0f} s)")
    return results


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--threads", default="1,2", help="thread counts, comma-separated")
    p.add_argument("--sizes", default="1k,131k,4M", help="element counts, rounded to powers of two")
    p.add_argument("--filter", default="", help="only ops whose name contains this")
    p.add_argument("--quick", action="store_true", help="fewer repetitions")
    p.add_argument("--dtype", default="float32", choices=("float32", "float64"),
                   help="the inputs' dtype (the targets are float32's)")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    sizes = args.sizes.split(",")
    cases = [c for c in ALL_CASES if args.filter in c.name]
    if not cases:
        sys.exit(f"no op name contains {args.filter!r}")
    libs = [Lib("pynet", pynet)] + ([Lib("torch", torch)] if torch is not None else [])
    inputs = {s: make_inputs(shape_of(parse_size(s)), dtype=args.dtype) for s in sizes}
    versions = ", ".join(f"{lib.name} {lib.mod.__version__}" for lib in libs)
    print(f"bench_ops: {args.dtype}, {versions}, {len(cases)} ops, sizes {', '.join(sizes)}"
          + (" (quick)" if args.quick else ""))
    start = time.perf_counter()
    for n in (int(t) for t in args.threads.split(",")):
        run_table(n, cases, libs, sizes, inputs, args.quick)
    print(f"\ntotal {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
