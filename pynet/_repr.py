"""repr(tensor) in PyTorch's style: tensor([1., 2.], requires_grad=True)."""
import numpy as np

from . import _C

_DEFAULT_DTYPES = (_C.float32, _C.int64, _C.bool)


def _float_formatter(values):
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return lambda x: _special(x) or f"{x:.4f}"
    absf = np.abs(finite)
    nonzero = absf[absf > 0]
    if np.all(finite == np.round(finite)) and (absf.max() < 1e8):
        width = max(len(f"{v:.0f}") for v in finite)
        return lambda x: _special(x) or f"{x:.0f}.".rjust(width + 1)
    sci = nonzero.size and (nonzero.max() / nonzero.min() > 1e3 or nonzero.max() >= 1e8
                            or nonzero.min() < 1e-4)
    if sci:
        return lambda x: _special(x) or f"{x:.4e}"
    width = max(len(f"{v:.4f}") for v in finite)
    return lambda x: _special(x) or f"{x:.4f}".rjust(width)


def _special(x):
    if np.isnan(x):
        return "nan"
    if np.isinf(x):
        return "inf" if x > 0 else "-inf"
    return None


def tensor_repr(t, prefix="tensor("):
    arr = np.asarray(_C._to_numpy(t, True))
    if arr.dtype.kind == "f":
        fmt = {"float_kind": _float_formatter(arr.ravel())}
    elif arr.dtype.kind == "b":
        fmt = {"bool": lambda x: "True" if x else "False"}
    else:
        fmt = {"int": lambda x: str(x)}
    if arr.size == 0:
        body = "[]"
    else:
        body = np.array2string(arr, separator=", ", prefix=prefix, formatter=fmt,
                               threshold=1000, edgeitems=3, max_line_width=80)
    extras = []
    if arr.size == 0 and arr.ndim != 1:
        extras.append(f"size={tuple(arr.shape)}")
    if t.dtype not in _DEFAULT_DTYPES:
        extras.append(f"dtype={t.dtype!r}")
    if t.grad_fn is not None:
        extras.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        extras.append("requires_grad=True")
    if type(t).__name__ == "Parameter":
        prefix = "Parameter containing:\ntensor("
    return prefix + body + "".join(", " + e for e in extras) + ")"
