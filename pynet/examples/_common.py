"""What the examples share: a progress bar, finding a shipped text file, plotting curves."""
import hashlib
import os
import sys
import time


class Progress:
    """A progress bar with running loss and samples/s: tqdm when installed, else plain text."""

    def __init__(self, total, desc, enabled=True):
        self.total, self.desc, self.enabled, self.n = total, desc, enabled, 0
        self.t0 = time.perf_counter()
        self.bar = None
        self.enabled = enabled and sys.stderr.isatty()  # no bar in logs and pipes
        if self.enabled:
            try:
                from tqdm import tqdm
                self.bar = tqdm(total=total, desc=desc, unit="batch", leave=False)
            except ImportError:
                pass

    def update(self, loss, samples):
        """One batch done: show its loss and the samples per second so far."""
        self.n += 1
        if not self.enabled:
            return
        rate = samples / max(time.perf_counter() - self.t0, 1e-9)
        if self.bar is not None:
            self.bar.set_postfix(loss=f"{loss:.4f}", samples_s=f"{rate:.0f}")
            self.bar.update(1)
        elif self.n % 20 == 0 or self.n == self.total:
            done = int(30 * self.n / self.total)
            sys.stderr.write(f"\r{self.desc} [{'#' * done}{'.' * (30 - done)}] {self.n}/"
                             f"{self.total} loss {loss:.4f} {rate:.0f} samples/s")
            sys.stderr.flush()

    def close(self):
        """Remove the bar (the epoch's summary line follows)."""
        if self.bar is not None:
            self.bar.close()
        elif self.enabled:
            sys.stderr.write("\r" + " " * 90 + "\r")


def find_text(name, fname, sha256, path=None):
    """The contents of data file ``<name>/<fname>`` (a text corpus shipped in the
    repository's data/ folder), checked against its SHA-256.

    Looks at ``path`` if given, else ``$PYNET_DATA/<name>/<fname>``,
    ``./data/<name>/<fname>``, then the data/ folder of the checkout pynet runs from.
    """
    here = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    places = [path] if path else [
        *([os.path.join(os.environ["PYNET_DATA"], name, fname)] if os.environ.get("PYNET_DATA")
          else []),
        os.path.join("data", name, fname), os.path.join(here, "data", name, fname)]
    for place in places:
        if os.path.isfile(place):
            with open(place, "rb") as f:
                raw = f.read()
            if hashlib.sha256(raw).hexdigest() != sha256:
                raise RuntimeError(f"{place} is damaged or not the expected file (its SHA-256 "
                                   f"is not {sha256}); copy it again from the repository's "
                                   f"data/{name}/ folder")
            return raw.decode("utf-8")
    raise FileNotFoundError(f"{fname} not found; looked in:\n  " + "\n  ".join(places) +
                            f"\nRun from the repository (it ships data/{name}/{fname}), set "
                            "$PYNET_DATA, or pass its path.")


def start(args, name, fname, sha256):
    """An example's first steps: threads and seed from its arguments, then its text
    (``args.data`` if given, as it is; else the shipped file, checksum verified)."""
    import pynet
    if args.threads:
        pynet.set_num_threads(args.threads)
    pynet.manual_seed(args.seed)
    if args.data is None:
        return find_text(name, fname, sha256)
    with open(args.data, encoding="utf-8") as f:
        return f.read()


def plot_curves(path, xs, series, xlabel, ylabel):
    """Line plot of each (label, ys) in series against xs, saved as a PNG at path.
    Returns [path], or [] (with a note) when matplotlib is not installed."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no plot (pip install matplotlib)")
        return []
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for label, ys in series:
        ax.plot(xs, ys, "o-", label=label, markersize=3)
    ax.set_xlabel(xlabel), ax.set_ylabel(ylabel), ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return [path]
