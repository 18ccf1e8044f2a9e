"""pynet.testing: assert_close and make_tensor, PyTorch's helpers for writing tests.

assert_close compares tensors (and NumPy arrays, Python numbers, and sequences/mappings
of them, element by element) with dtype-dependent default tolerances; a failure raises
AssertionError with PyTorch's report (how many elements mismatch, the greatest absolute
and relative differences and where). The values are compared in NumPy, in the inputs'
own dtype, so the reported differences are those PyTorch computes.
"""
import collections.abc
import math

import numpy as np

from . import _C
from ._tensor import Tensor

__all__ = ["assert_close", "make_tensor"]

# (rtol, atol) by dtype name, PyTorch's defaults; integers and bool compare exactly.
_TOLERANCES = {"float16": (1e-3, 1e-5), "float32": (1.3e-6, 1e-5), "float64": (1e-7, 1e-7)}


_RANK = [np.dtype(n) for n in ("bool", "uint8", "int8", "int16", "int32", "int64", "float16",
                                "float32", "float64")]


class _Mismatch(Exception):
    """A failed comparison: the report, and the path of the failing item in containers."""

    def __init__(self, exc_type, msg, path=()):
        super().__init__(msg)
        self.exc_type, self.msg, self.path = exc_type, msg, path


def _tolerances(names, rtol, atol):
    if (rtol is None) != (atol is None):
        raise ValueError(f"Both 'rtol' and 'atol' must be either specified or omitted, but got "
                         f"no {'rtol' if rtol is None else 'atol'}.")
    if rtol is not None:
        return rtol, atol
    pairs = [_TOLERANCES.get(n, (0.0, 0.0)) for n in names]
    return max(p[0] for p in pairs), max(p[1] for p in pairs)


def _diff_msg(kind, diff, idx, tol, equality):
    msg = (f"{kind.title()} difference: {diff}" if idx is None else
           f"Greatest {kind} difference: {diff} at index {idx}")
    return msg + ("" if equality else f" (up to {tol} allowed)") + "\n"


def _report(ident, extra, abs_diff, abs_idx, rel_diff, rel_idx, rtol, atol):
    """PyTorch's mismatch report for two tensors (ident 'Tensor-likes') or numbers."""
    equality = rtol == 0 and atol == 0
    out = f"{ident} are not {'equal' if equality else 'close'}!\n\n{extra.strip()}\n"
    out += _diff_msg("absolute", abs_diff, abs_idx, atol, equality)
    out += _diff_msg("relative", rel_diff, rel_idx, rtol, equality)
    return out.strip()


def _compare_numbers(actual, expected, rtol, atol, equal_nan, check_dtype):
    if isinstance(actual, (bool, np.bool_)) or isinstance(expected, (bool, np.bool_)):
        if not (isinstance(actual, (bool, np.bool_)) and isinstance(expected, (bool, np.bool_))):
            raise TypeError(f"No comparison pair was able to handle inputs of type "
                            f"{type(actual)} and {type(expected)}.")
        if bool(actual) != bool(expected):
            raise _Mismatch(AssertionError, f"Booleans mismatch: {actual} is not {expected}")
        return
    if check_dtype and type(actual) is not type(expected):
        raise _Mismatch(AssertionError, f"The (d)types do not match: {type(actual)} != "
                                        f"{type(expected)}.")
    names = ["float64" if isinstance(v, float) else "int64" for v in (actual, expected)]
    rtol, atol = _tolerances(names, rtol, atol)
    if actual == expected or (equal_nan and math.isnan(actual) and math.isnan(expected)):
        return
    abs_diff = abs(actual - expected)
    if math.isfinite(abs_diff) and abs_diff <= atol + rtol * abs(expected):
        return
    rel_diff = float("inf") if expected == 0 else abs_diff / abs(expected)
    raise _Mismatch(AssertionError, _report("Scalars", f"Expected {expected} but got "
                                            f"{actual}.", abs_diff, None, rel_diff, None, rtol,
                                            atol))


def _as_array(x):
    if isinstance(x, Tensor):
        return np.array(x.detach().numpy(force=True), copy=True)
    return np.asarray(x)


def _attr(name, a, b):
    return _Mismatch(AssertionError, f"The values for attribute '{name}' do not match: "
                                     f"{a} != {b}.")


def _compare_tensors(actual, expected, rtol, atol, equal_nan, check_dtype, check_stride):
    if actual.shape != expected.shape:
        raise _attr("shape", actual.shape, expected.shape)
    if check_dtype and actual.dtype != expected.dtype:
        raise _attr("dtype", actual.dtype, expected.dtype)
    if (check_stride and isinstance(actual, Tensor) and actual.numel() > 0
            and actual.stride() != expected.stride()):
        raise _attr("stride()", actual.stride(), expected.stride())
    a, e = _as_array(actual), _as_array(expected)
    rtol, atol = _tolerances([a.dtype.name, e.dtype.name], rtol, atol)
    if a.dtype != e.dtype:  # check_dtype=False: compare in the common dtype
        common = max(a.dtype, e.dtype, key=_RANK.index)  # PyTorch's promotion: int64 +
        a, e = a.astype(common), e.astype(common)  # float32 -> float32 (NumPy: float64)
    if a.dtype.kind == "f":
        with np.errstate(invalid="ignore", over="ignore"):
            matches = np.isclose(a, e, rtol=rtol, atol=atol, equal_nan=equal_nan)
    else:
        matches = np.abs(a.astype(np.int64) - e.astype(np.int64)) <= atol + rtol * np.abs(
            e.astype(np.int64))
    if matches.all():
        return
    if a.ndim == 0:
        return _compare_numbers(a.item(), e.item(), rtol, atol, equal_nan, False)
    raise _Mismatch(AssertionError, _tensor_report(a, e, matches, rtol, atol))


def _tensor_report(a, e, matches, rtol, atol):
    """Greatest absolute and relative differences over the mismatching elements, computed
    in the inputs' dtype (integers and bool as int64, their ratios in float32 as PyTorch's
    integer true division gives)."""
    total, bad = matches.size, int(matches.size - matches.sum())
    extra = f"Mismatched elements: {bad} / {total} ({bad / total:.1%})"
    if a.dtype.kind != "f":
        a, e = a.astype(np.int64).ravel(), e.astype(np.int64).ravel()
    else:
        a, e = a.ravel(), e.ravel()
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        abs_diff = np.abs(a - e)
        abs_diff[matches.ravel()] = 0
        absolute = np.abs(e)
        if a.dtype.kind != "f":
            abs_f, absolute = abs_diff.astype(np.float32), absolute.astype(np.float32)
        else:
            abs_f = abs_diff
        rel_diff = abs_f / absolute
        rel_diff[matches.ravel()] = 0
    ia, ir = int(np.argmax(abs_diff)), int(np.argmax(rel_diff))  # argmax finds a NaN first

    def where(i):
        return tuple(int(k) for k in np.unravel_index(i, matches.shape))

    return _report("Tensor-likes", extra, abs_diff[ia].item(), where(ia),
                   rel_diff[ir].item(), where(ir), rtol, atol)


def _compare(actual, expected, path, opts):
    """Compare one pair, recursing into sequences and mappings; raise _Mismatch."""
    try:
        _compare_pair(actual, expected, path, opts)
    except _Mismatch as m:
        if not m.path:
            m.path = path
        raise


def _unsupported(actual, expected):
    return TypeError(f"No comparison pair was able to handle inputs of type {type(actual)} "
                     f"and {type(expected)}.")


def _compare_pair(actual, expected, path, opts):
    if actual is None or expected is None:
        if actual is not expected:
            raise _Mismatch(AssertionError, f"None mismatch: {actual} is not {expected}")
        return
    tensorlike = (Tensor, np.ndarray)
    if isinstance(actual, tensorlike) or isinstance(expected, tensorlike):
        related = isinstance(actual, type(expected)) or isinstance(expected, type(actual))
        if not related or (not opts["allow_subclasses"] and type(actual) is not type(expected)):
            raise _unsupported(actual, expected)
        return _compare_tensors(actual, expected, opts["rtol"], opts["atol"],
                                opts["equal_nan"], opts["check_dtype"], opts["check_stride"])
    numbers = (int, float, np.number, np.bool_)
    if isinstance(actual, numbers) and isinstance(expected, numbers):
        actual, expected = (v.item() if isinstance(v, np.number) else v  # as Python numbers
                            for v in (actual, expected))
        return _compare_numbers(actual, expected, opts["rtol"], opts["atol"], opts["equal_nan"],
                                opts["check_dtype"])
    seq = collections.abc.Sequence
    if (isinstance(actual, seq) and isinstance(expected, seq)
            and not isinstance(actual, str) and not isinstance(expected, str)):
        if len(actual) != len(expected):
            raise _Mismatch(AssertionError, f"The length of the sequences mismatch: "
                                            f"{len(actual)} != {len(expected)}", path)
        for i, (a, e) in enumerate(zip(actual, expected)):
            _compare(a, e, path + (i,), opts)
        return
    if isinstance(actual, collections.abc.Mapping) and isinstance(expected,
                                                                  collections.abc.Mapping):
        if set(actual) != set(expected):
            raise _Mismatch(AssertionError, f"The keys of the mappings do not match:\n"
                            f"Missing keys in the actual mapping: "
                            f"{sorted(set(expected) - set(actual))}\nAdditional keys in the "
                            f"actual mapping: {sorted(set(actual) - set(expected))}", path)
        for k in expected:
            _compare(actual[k], expected[k], path + (k,), opts)
        return
    raise _unsupported(actual, expected)


def assert_close(actual, expected, *, allow_subclasses=True, rtol=None, atol=None,
                 equal_nan=False, check_device=True, check_dtype=True, check_layout=True,
                 check_stride=False, msg=None):
    """Assert that actual and expected are close: |actual - expected| <= atol + rtol*|expected|.

    Default tolerances by dtype (PyTorch's): float32 rtol=1.3e-6, atol=1e-5; float64 and
    Python floats rtol=atol=1e-7; integers and bool must be equal. msg (a str) replaces the
    failure message, or (a callable) receives the generated one and returns the message.
    check_device and check_layout hold trivially: pynet tensors are all strided CPU tensors.
    """
    opts = {"allow_subclasses": allow_subclasses, "rtol": rtol, "atol": atol,
            "equal_nan": equal_nan, "check_dtype": check_dtype, "check_stride": check_stride}
    try:
        _compare(actual, expected, (), opts)
    except _Mismatch as m:
        text = m.msg
        if m.path:
            text += "\n\nThe failure occurred for item " + "".join(str([k]) for k in m.path)
        if isinstance(msg, str):
            text = msg
        elif callable(msg):
            text = msg(text)
        raise m.exc_type(text) from None


def _low_high(low, high, dtype, lowest, highest, default_low, default_high):
    """PyTorch's bounds: defaults, checks, clamping to the dtype's range (and, for integer
    dtypes, ceil of both since randint's high is exclusive)."""
    low = default_low if low is None else low
    high = default_high if high is None else high
    if any(isinstance(v, float) and math.isnan(v) for v in (low, high)):
        raise ValueError(f"make_tensor: `low` and `high` cannot be NaN, but got low={low} and "
                         f"high={high}")
    floating = dtype in (_C.float32, _C.float64)
    if not (floating and low == high) and low >= high:
        raise ValueError(f"make_tensor: `low` must be less than `high`, but got "
                         f"{low} >= {high}")
    if high < lowest or low >= highest:
        raise ValueError(f"make_tensor: the value interval specified by `low` and `high` is "
                         f"[{low}, {high}), but {dtype} only supports [{lowest}, {highest})")
    low, high = min(max(low, lowest), highest), min(max(high, lowest), highest)
    if not floating:
        return math.ceil(low), math.ceil(high)
    return low, high


def make_tensor(*shape, dtype, device, low=None, high=None, requires_grad=False,
                noncontiguous=False, exclude_zero=False, memory_format=None):
    """A tensor of the given shape and dtype filled with random values from [low, high).

    Defaults: [-9, 9) for floats, [-9, 10) for int64, {False, True} for bool.
    noncontiguous=True returns a strided view (every other element of a last dim twice as
    long); exclude_zero=True replaces zeros by 1 (integers) or finfo(dtype).tiny (floats).
    """
    from ._C import full
    from ._creation import randint
    from ._finfo import finfo, iinfo
    from ._tensor import _check_device

    _check_device(device, "make_tensor")
    if memory_format is not None:
        raise NotImplementedError("make_tensor: memory_format is not supported by pynet "
                                  "(its tensors have one, contiguous, memory format)")
    if len(shape) == 1 and isinstance(shape[0], collections.abc.Sequence):
        shape = shape[0]
    shape = tuple(int(s) for s in shape)
    floating = dtype in (_C.float32, _C.float64)
    if requires_grad and not floating:
        raise ValueError(f"make_tensor: `requires_grad=True` is not supported for boolean "
                         f"and integral dtypes, but got dtype={dtype}")
    noncontiguous = noncontiguous and math.prod(shape) > 1
    if noncontiguous:  # a last dim twice as long, of which every other element is kept
        shape = shape[:-1] + (2 * shape[-1],)
    if dtype == _C.bool:
        low, high = _low_high(low, high, dtype, 0, 2, 0, 2)
        result = randint(low, high, shape, dtype=_C.int64) != 0
    elif dtype == _C.int64:
        info = iinfo(dtype)
        low, high = _low_high(low, high, dtype, info.min, info.max, -9, 10)
        result = randint(low, high, shape, dtype=dtype)
    elif floating:
        info = finfo(dtype)
        low, high = _low_high(low, high, dtype, info.min, info.max, -9, 9)
        result = _uniform(shape, dtype, low, high, full)
    else:
        raise TypeError(f"make_tensor: the requested dtype '{dtype}' is not supported")
    if noncontiguous:
        result = result[..., 1::2]
    if exclude_zero:
        zero = result == 0
        result = result.masked_fill(zero, True if dtype == _C.bool else
                                    1 if dtype == _C.int64 else finfo(dtype).tiny)
    if floating and requires_grad:
        result.requires_grad_(True)
    return result


def _uniform(shape, dtype, low, high, full):
    """Uniform [low, high) values; a range wider than the dtype's max is drawn at half scale
    then doubled, so that high - low does not overflow."""
    from ._creation import rand

    if low == high:
        return full(shape, low, dtype=dtype)
    scale = 2.0 if high - low >= np.finfo(np.float32 if dtype == _C.float32 else
                                          np.float64).max else 1.0
    lo, hi = low / scale, high / scale
    return (rand(*shape, dtype=dtype) * (hi - lo) + lo) * scale
