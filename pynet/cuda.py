"""pynet.cuda: pynet runs on the CPU only, so this mirrors a CPU-only PyTorch build.

Queries answer "no GPU" (is_available() is False, device_count() is 0); seeding and
cache calls are silently accepted, as PyTorch's are without CUDA (a script that seeds
every device keeps working); calls that need a device raise AssertionError("Torch not
compiled with CUDA enabled"), PyTorch's error on such a build.
"""
from typing import NoReturn

__all__ = ["current_device", "device_count", "empty_cache", "get_device_name", "init",
           "is_available", "is_initialized", "manual_seed", "manual_seed_all", "seed",
           "seed_all", "synchronize"]

_NOT_COMPILED = "Torch not compiled with CUDA enabled"


def _no_cuda() -> NoReturn:
    raise AssertionError(_NOT_COMPILED)


def is_available() -> bool:
    """Whether a CUDA device can be used: never in pynet."""
    return False


def device_count() -> int:
    """The number of CUDA devices: 0."""
    return 0


def is_initialized() -> bool:
    """Whether CUDA has been initialized: never in pynet."""
    return False


def init() -> None:
    """Initialize CUDA: raises AssertionError, as on a CPU-only PyTorch build."""
    _no_cuda()


def current_device() -> int:
    """The index of the selected CUDA device: raises AssertionError (there is none)."""
    _no_cuda()


def get_device_name(device=None) -> str:
    """The name of a CUDA device: raises AssertionError (there is none)."""
    _no_cuda()


def synchronize(device=None) -> None:
    """Wait for a CUDA device's work to finish: raises AssertionError (there is none)."""
    _no_cuda()


def manual_seed(seed: int) -> None:
    """Seed the current CUDA device's generator: a no-op without CUDA (as in PyTorch)."""
    int(seed)  # PyTorch checks the seed is an integer-like value even when it is unused


def manual_seed_all(seed: int) -> None:
    """Seed every CUDA device's generator: a no-op without CUDA (as in PyTorch)."""
    int(seed)


def seed() -> None:
    """Seed the current CUDA device's generator randomly: a no-op without CUDA."""


def seed_all() -> None:
    """Seed every CUDA device's generator randomly: a no-op without CUDA."""


def empty_cache() -> None:
    """Release cached CUDA memory: a no-op without CUDA (as in PyTorch)."""
