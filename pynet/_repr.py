"""repr(tensor) in PyTorch's style: tensor([1., 2.], requires_grad=True).

The rules (PyTorch's, with its printing options, see set_printoptions): every element is
padded to one common width; floats print as integers with a trailing dot when all are
whole ("1., 2."), with `precision` decimals otherwise, and in scientific notation when
the non-zero magnitudes span more than 1000x or reach 1e8 or go below 1e-4 (unless
`sci_mode` forces it on or off). Tensors over `threshold` elements show `edgeitems`
items at each edge of every long dimension. Lines wrap at `linewidth` characters.
"""
import math

import numpy as np

from . import _C

__all__ = ["get_printoptions", "set_printoptions", "tensor_repr"]

_DEFAULTS = {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80}
_PROFILES = {
    "default": _DEFAULTS,
    "short": {"precision": 2, "threshold": 1000, "edgeitems": 2, "linewidth": 80},
    "full": {"precision": 4, "threshold": math.inf, "edgeitems": 3, "linewidth": 80},
}
_OPTS = dict(_DEFAULTS, sci_mode=None)


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
                     profile=None, sci_mode=None):
    """Set how tensors print: digits, summarizing threshold, edge items, line width.

    profile ('default', 'short' or 'full') first resets the four numeric options, then
    the explicitly given ones override it; sci_mode is always set (None: automatic).
    """
    if profile is not None:
        if profile not in _PROFILES:  # PyTorch silently ignores an unknown profile
            raise ValueError(f"set_printoptions: profile must be one of "
                             f"{sorted(_PROFILES)}, got {profile!r}")
        _OPTS.update(_PROFILES[profile])
    for name, value in (("precision", precision), ("threshold", threshold),
                        ("edgeitems", edgeitems), ("linewidth", linewidth)):
        if value is not None:
            _OPTS[name] = value
    _OPTS["sci_mode"] = sci_mode


def get_printoptions():
    """The current printing options, as a dict that set_printoptions(**d) accepts."""
    return dict(_OPTS)


class _Formatter:
    """Chooses one notation and width for all the (printed) elements of a tensor."""

    def __init__(self, values, kind):
        self.kind, self.int_mode, self.sci_mode, self.width = kind, True, False, 1
        self.precision = _OPTS["precision"]
        vals = values.ravel()
        if kind != "f":
            for v in vals.tolist():
                self.width = max(self.width, len(str(v)))
            return
        finite = vals[np.isfinite(vals)]  # nan/inf do not widen the columns
        nz = finite[finite != 0]
        if nz.size == 0:
            return
        lo, hi = float(np.abs(nz).min()), float(np.abs(nz).max())
        self.int_mode = bool(np.all(nz == np.ceil(nz)))
        if _OPTS["sci_mode"] is None:
            self.sci_mode = hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4
        else:
            self.sci_mode = bool(_OPTS["sci_mode"])
        if self.sci_mode:
            spec, extra = f".{self.precision}e", 0
        elif self.int_mode:
            spec, extra = ".0f", 1  # room for the trailing dot
        else:
            spec, extra = f".{self.precision}f", 0
        for v in nz.tolist():
            self.width = max(self.width, len(format(v, spec)) + extra)

    def format(self, v):
        if self.kind == "f":
            if self.sci_mode:
                s = f"{v:{self.width}.{self.precision}e}"
            elif self.int_mode:
                s = f"{v:.0f}" + ("" if math.isinf(v) or math.isnan(v) else ".")
            else:
                s = f"{v:.{self.precision}f}"
        else:
            s = str(v)
        return " " * (self.width - len(s)) + s


def _summarized(a, edge):
    """The elements that will be printed: the edges of every long dimension."""
    if a.ndim == 0:
        return a
    if a.ndim > 1 and edge == 0:
        return a[(slice(0, 0),) * a.ndim]
    if a.shape[0] > 2 * edge:
        a = np.concatenate([a[:edge], a[a.shape[0] - edge:]])
    return np.stack([_summarized(x, edge) for x in a]) if a.ndim > 1 else a


def _format(a, indent, summarize, fmt):
    edge = _OPTS["edgeitems"]
    if a.ndim == 0:
        return fmt.format(a.item())
    if a.ndim == 1:
        item_width = fmt.width + 2  # the element, its comma and a space
        per_line = max(1, int(math.floor((_OPTS["linewidth"] - indent) / item_width)))
        if summarize and not edge:
            data = ["..."]
        elif summarize and a.shape[0] > 2 * edge:
            data = ([fmt.format(v) for v in a[:edge].tolist()] + [" ..."] +
                    [fmt.format(v) for v in a[a.shape[0] - edge:].tolist()])
        else:
            data = [fmt.format(v) for v in a.tolist()]
        lines = [", ".join(data[i:i + per_line]) for i in range(0, len(data), per_line)]
        return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"
    if summarize and a.shape[0] > 2 * edge:
        slices = ([_format(x, indent + 1, summarize, fmt) for x in a[:edge]] + ["..."] +
                  [_format(x, indent + 1, summarize, fmt) for x in a[a.shape[0] - edge:]])
    else:
        slices = [_format(x, indent + 1, summarize, fmt) for x in a]
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(slices) + "]"


def _add_suffixes(text, suffixes, indent):
    """Append ', suffix' items, starting a new line when one would pass linewidth."""
    parts = [text]
    last_line_len = len(text) - text.rfind("\n") + 1
    for s in suffixes:
        if last_line_len + len(s) + 2 > _OPTS["linewidth"]:
            parts.append(",\n" + " " * indent + s)
            last_line_len = indent + len(s)
        else:
            parts.append(", " + s)
            last_line_len += len(s) + 2
    return "".join(parts) + ")"


def _grad_suffix(t):
    try:
        fn = t.grad_fn
    except RuntimeError:  # a view whose history cannot be rebuilt (PyTorch prints the same)
        return ["grad_fn=<Invalid>"]
    if fn:
        return [f"grad_fn=<{fn.name()}>"]
    return ["requires_grad=True"] if fn is None and t.requires_grad else []


def tensor_repr(t):
    """PyTorch's text for a tensor, with the current print options."""
    from ._creation import get_default_dtype

    prefix = "tensor("
    arr = np.asarray(_C._to_numpy(t, True))
    if arr.dtype == np.float32:
        arr = arr.astype(np.float64)  # format the exact float32 values in Python floats
    suffixes = []
    if arr.size == 0:
        body = "[]"
        if arr.ndim != 1:
            suffixes.append(f"size={tuple(arr.shape)}")
        if t.dtype != get_default_dtype():
            suffixes.append(f"dtype={t.dtype!r}")
    else:
        summarize = arr.size > _OPTS["threshold"]
        if not _OPTS["edgeitems"]:
            suffixes.append(f"size={tuple(arr.shape)}")
        if t.dtype not in (get_default_dtype(), _C.int64, _C.bool):
            suffixes.append(f"dtype={t.dtype!r}")
        data = _summarized(arr, _OPTS["edgeitems"]) if summarize else arr
        body = _format(arr, len(prefix), summarize, _Formatter(data, arr.dtype.kind))
    out = _add_suffixes(prefix + body, suffixes + _grad_suffix(t), len(prefix))
    if type(t).__name__ == "Parameter":
        out = "Parameter containing:\n" + out
    return out
