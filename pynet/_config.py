"""Global switches PyTorch scripts set on their first lines: deterministic algorithms and
the float32 matmul precision.

pynet's kernels are deterministic (the same inputs give bit-identical outputs on every
run), so use_deterministic_algorithms(True) needs no kernel to change or refuse: the flags
are recorded and reported back. pynet computes float32 matmuls in float32; PyTorch's doc
lets 'high' and 'medium' fall back to full ('highest') precision where no faster reduced-
precision kernel exists, so those settings are recorded and the result stays exact.
"""
import warnings

__all__ = ["are_deterministic_algorithms_enabled", "get_float32_matmul_precision",
           "is_deterministic_algorithms_warn_only_enabled", "set_float32_matmul_precision",
           "use_deterministic_algorithms"]

_deterministic = False
_warn_only = False
_matmul_precision = "highest"
_PRECISIONS = ("highest", "high", "medium")


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Make pynet use deterministic algorithms (all of pynet's already are)."""
    for name, value in (("mode", mode), ("warn_only", warn_only)):
        if not isinstance(value, bool):  # PyTorch accepts only a real bool here
            where = " (position 1)" if name == "mode" else ""
            raise TypeError(f"use_deterministic_algorithms(): argument '{name}'{where} "
                            f"must be bool, not {type(value).__name__}")
    global _deterministic, _warn_only
    _deterministic = mode
    _warn_only = warn_only  # kept as given even with mode=False, as in PyTorch


def are_deterministic_algorithms_enabled() -> bool:
    """Whether use_deterministic_algorithms(True) is in effect."""
    return _deterministic


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    """Whether use_deterministic_algorithms(True, warn_only=True) is in effect."""
    return _warn_only


def set_float32_matmul_precision(precision: str) -> None:
    """Set the float32 matmul precision ('highest', 'high' or 'medium'); pynet always
    computes in full float32, which PyTorch's doc allows for every setting."""
    if not isinstance(precision, str):
        raise RuntimeError(f"set_float32_matmul_precision expects a str, but got "
                           f"{type(precision).__name__}")
    if precision not in _PRECISIONS:  # PyTorch warns and leaves the setting unchanged
        warnings.warn(f"set_float32_matmul_precision: {precision!r} is not one of "
                      f"'highest', 'high', or 'medium'; the call has no effect.",
                      UserWarning, stacklevel=2)
        return
    global _matmul_precision
    _matmul_precision = precision


def get_float32_matmul_precision() -> str:
    """The float32 matmul precision last set ('highest' by default)."""
    return _matmul_precision
