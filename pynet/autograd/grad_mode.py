"""no_grad / enable_grad / set_grad_enabled: switch graph recording off and on.

Usable as context managers (``with pynet.no_grad():``) and as decorators.
"""
import functools

from .. import _C


class _GradMode:
    enabled = None

    def __enter__(self):
        self._prev = _C._set_grad_enabled(self.enabled)
        return self

    def __exit__(self, *exc):
        _C._set_grad_enabled(self._prev)
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return fn(*args, **kwargs)
        return wrapper


class no_grad(_GradMode):
    """Operations inside do not record a graph (for evaluation and updates).

    Works as ``with no_grad():``, ``@no_grad()`` and ``@no_grad``.
    """
    enabled = False

    def __new__(cls, fn=None):
        self = super().__new__(cls)
        if fn is not None and callable(fn):
            return self(fn)
        return self

    def __init__(self, fn=None):
        pass


class enable_grad(no_grad):
    """Turn graph recording back on inside a no_grad block."""
    enabled = True


class set_grad_enabled(_GradMode):
    """set_grad_enabled(mode): a function call or a context manager."""

    def __init__(self, mode):
        self.enabled = bool(mode)
        self._prev = _C._set_grad_enabled(self.enabled)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _C._set_grad_enabled(self._prev)
        return False

    def __call__(self, fn):
        mode = self.enabled
        _C._set_grad_enabled(self._prev)

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)
        return wrapper


class inference_mode(no_grad):
    """Like no_grad (pynet has no separate inference tensors)."""

    def __init__(self, mode=True):
        self.enabled = not mode


is_grad_enabled = _C.is_grad_enabled
