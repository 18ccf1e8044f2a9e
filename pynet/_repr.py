"""repr(tensor) in PyTorch's style: tensor([1., 2.], requires_grad=True).

The rules (PyTorch's printing options, defaults): every element is padded to
one common width; floats print as integers with a trailing dot when all are
whole ("1., 2."), with 4 decimals otherwise, and in scientific notation when
the non-zero magnitudes span more than 1000x or reach 1e8 (or go below 1e-4
for non-integers). Tensors over 1000 elements show 3 items at each edge.
"""
import math

import numpy as np

from . import _C

LINEWIDTH, THRESHOLD, EDGEITEMS, PRECISION = 80, 1000, 3, 4


class _Formatter:
    def __init__(self, values, kind):
        self.kind, self.int_mode, self.sci_mode, self.width = kind, True, False, 1
        vals = values.ravel()
        if kind != "f":
            for v in vals.tolist():
                self.width = max(self.width, len(str(v)))
            return
        finite = vals[np.isfinite(vals)]  # nan/inf do not widen the columns
        nz = np.abs(finite[finite != 0]).astype(np.float64)
        if nz.size == 0:
            return
        lo, hi = float(nz.min()), float(nz.max())
        self.int_mode = bool(np.all(nz == np.ceil(nz)))
        if self.int_mode:
            self.sci_mode = hi / lo > 1000.0 or hi > 1.0e8
            if not self.sci_mode:
                for v in finite[finite != 0].tolist():
                    self.width = max(self.width, len(f"{v:.0f}") + 1)
        else:
            self.sci_mode = hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4
            if not self.sci_mode:
                for v in finite[finite != 0].tolist():
                    self.width = max(self.width, len(f"{v:.{PRECISION}f}"))
        if self.sci_mode:
            for v in finite[finite != 0].tolist():
                self.width = max(self.width, len(f"{v:.{PRECISION}e}"))

    def format(self, v):
        if self.kind == "f":
            if self.sci_mode:
                s = f"{v:{self.width}.{PRECISION}e}"
            elif self.int_mode:
                s = f"{v:.0f}" + ("" if math.isinf(v) or math.isnan(v) else ".")
            else:
                s = f"{v:.{PRECISION}f}"
        else:
            s = str(v)
        return " " * (self.width - len(s)) + s


def _summarized(a):
    """The elements that will be printed: the edges of every long dimension."""
    if a.ndim == 0:
        return a
    if a.shape[0] > 2 * EDGEITEMS:
        a = np.concatenate([a[:EDGEITEMS], a[-EDGEITEMS:]])
    return np.stack([_summarized(x) for x in a]) if a.ndim > 1 else a


def _format(a, indent, summarize, fmt):
    if a.ndim == 0:
        return fmt.format(a.item())
    if a.ndim == 1:
        item_width = fmt.width + 2
        per_line = max(1, int(math.floor((LINEWIDTH - indent) / item_width)))
        if summarize and a.shape[0] > 2 * EDGEITEMS:
            data = ([fmt.format(v) for v in a[:EDGEITEMS].tolist()] + [" ..."] +
                    [fmt.format(v) for v in a[-EDGEITEMS:].tolist()])
        else:
            data = [fmt.format(v) for v in a.tolist()]
        lines = [", ".join(data[i:i + per_line]) for i in range(0, len(data), per_line)]
        return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"
    if summarize and a.shape[0] > 2 * EDGEITEMS:
        slices = ([_format(x, indent + 1, summarize, fmt) for x in a[:EDGEITEMS]] + ["..."] +
                  [_format(x, indent + 1, summarize, fmt) for x in a[-EDGEITEMS:]])
    else:
        slices = [_format(x, indent + 1, summarize, fmt) for x in a]
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(slices) + "]"


def tensor_repr(t):
    prefix = "tensor("
    arr = np.asarray(_C._to_numpy(t, True))
    if arr.dtype == np.float32:
        arr = arr.astype(np.float64)  # format the exact float32 values in Python floats
    suffixes = []
    if arr.size == 0:
        body = "[]"
        if arr.ndim != 1:
            suffixes.append(f"size={tuple(arr.shape)}")
        if t.dtype != _C.float32:
            suffixes.append(f"dtype={t.dtype!r}")
    else:
        summarize = arr.size > THRESHOLD
        fmt = _Formatter(_summarized(arr) if summarize else arr, arr.dtype.kind)
        body = _format(arr, len(prefix), summarize, fmt)
        if t.dtype not in (_C.float32, _C.int64, _C.bool):
            suffixes.append(f"dtype={t.dtype!r}")
    try:
        fn = t.grad_fn
    except RuntimeError:  # a view whose history cannot be rebuilt (PyTorch prints the same)
        suffixes.append("grad_fn=<Invalid>")
        fn = False
    if fn:
        suffixes.append(f"grad_fn=<{fn.name()}>")
    elif fn is None and t.requires_grad:
        suffixes.append("requires_grad=True")
    out = prefix + body
    for s in suffixes:
        out += ", " + s
    out += ")"
    if type(t).__name__ == "Parameter":
        out = "Parameter containing:\n" + out
    return out
