"""pynet.backends.mps: Apple's Metal backend, which pynet does not have."""

__all__ = ["is_available", "is_built"]


def is_available() -> bool:
    """Whether the MPS device can be used: never in pynet."""
    return False


def is_built() -> bool:
    """Whether pynet was built with MPS support: it never is."""
    return False
