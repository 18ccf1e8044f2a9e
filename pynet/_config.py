"""Global switches PyTorch scripts set on their first lines: deterministic algorithms,
the float32 matmul precision, warn-always, inter-op threads, the default device, anomaly
detection.

pynet's kernels are deterministic (the same inputs give bit-identical outputs on every
run), so use_deterministic_algorithms(True) needs no kernel to change or refuse: the flags
are recorded and reported back. pynet computes float32 matmuls in float32; PyTorch's doc
lets 'high' and 'medium' fall back to full ('highest') precision where no faster reduced-
precision kernel exists, so those settings are recorded and the result stays exact.
"""
import warnings

__all__ = ["are_deterministic_algorithms_enabled", "get_float32_matmul_precision",
           "is_deterministic_algorithms_warn_only_enabled", "set_float32_matmul_precision",
           "use_deterministic_algorithms", "set_warn_always", "is_warn_always_enabled",
           "get_num_interop_threads", "set_num_interop_threads", "get_default_device",
           "set_default_device", "is_anomaly_enabled", "set_anomaly_enabled"]

_deterministic = False
_warn_only = False
_matmul_precision = "highest"
_PRECISIONS = ("highest", "high", "medium")
_warn_always = False
_interop_threads = 1


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


def set_warn_always(b: bool, /) -> None:
    """Record whether warnings PyTorch gives once should be given every time (pynet's
    warnings are Python warnings: the warnings module's filters decide how often)."""
    global _warn_always
    _warn_always = bool(b)


def is_warn_always_enabled() -> bool:
    """What set_warn_always last set (False by default)."""
    return _warn_always


def get_num_interop_threads() -> int:
    """The number of inter-op threads (pynet runs ops one after another: 1 unless set)."""
    return _interop_threads


def set_num_interop_threads(num: int) -> None:
    """Record the number of inter-op threads; pynet runs one op at a time, so this changes no
    computation (intra-op threads: set_num_threads)."""
    if isinstance(num, bool) or not isinstance(num, int):
        raise TypeError(f"set_num_interop_threads(): argument must be int, not "
                        f"{type(num).__name__}")
    if num <= 0:
        raise RuntimeError(f"set_num_interop_threads expects a positive integer, got {num}")
    global _interop_threads
    _interop_threads = num


def get_default_device():
    """The device new tensors are made on: always pynet.device('cpu')."""
    from ._tensor import device_type
    return device_type("cpu")


def set_default_device(device) -> None:
    """Set the device factory functions use: only the CPU (or None) is accepted; another device
    raises as pynet's device checks do (AssertionError for CUDA)."""
    from ._tensor import _check_device
    if device is not None:
        _check_device(device, "set_default_device")


def is_anomaly_enabled() -> bool:
    """Whether autograd anomaly detection is on: always False (pynet has none)."""
    return False


def set_anomaly_enabled(enabled: bool, check_nan: bool = True) -> None:
    """Switch autograd anomaly detection: off is accepted; on raises NotImplementedError
    (pynet's autograd does not record forward traces or check backward results for NaN)."""
    if enabled:
        raise NotImplementedError("set_anomaly_enabled(True): pynet's autograd has no anomaly "
                                  "detection")
