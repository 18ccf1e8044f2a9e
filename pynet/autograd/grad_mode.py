"""no_grad / enable_grad / set_grad_enabled: switch graph recording off and on.

Usable as context managers (``with pynet.no_grad():``) and as decorators.
"""
import functools
import inspect

from .. import _C


class _Mode:
    """Grad mode `enabled` inside the block, the previous mode restored after it."""

    def __init__(self, enabled):
        self.enabled = enabled

    def __enter__(self):
        self._prev = _C._set_grad_enabled(self.enabled)

    def __exit__(self, *exc):
        _C._set_grad_enabled(self._prev)
        return False


def _decorate(fn, enabled):
    """fn run with grad mode `enabled`. A generator function's body runs in that mode each
    time it is resumed (and the caller's mode is back while it is suspended), as PyTorch's
    decorators do; wrapping only the call would cover just the creation of the generator."""
    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def generator(*args, **kwargs):
            gen = fn(*args, **kwargs)
            try:
                with _Mode(enabled):
                    response = gen.send(None)
                while True:
                    try:
                        request = yield response
                    except GeneratorExit:
                        with _Mode(enabled):
                            gen.close()
                        raise
                    except BaseException as exc:  # thrown into us: pass it on
                        with _Mode(enabled):
                            response = gen.throw(exc)
                    else:
                        with _Mode(enabled):
                            response = gen.send(request)
            except StopIteration as stop:
                return stop.value
        return generator

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with _Mode(enabled):
            return fn(*args, **kwargs)
    return wrapper


class _GradMode:
    enabled: "bool | None" = None

    def __enter__(self):
        self._prev = _C._set_grad_enabled(self.enabled)
        return self

    def __exit__(self, *exc):
        _C._set_grad_enabled(self._prev)
        return False

    def __call__(self, fn):
        return _decorate(fn, self.enabled)


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
        _C._set_grad_enabled(self._prev)  # as a decorator it switches nothing when made
        return _decorate(fn, self.enabled)


class inference_mode(no_grad):
    """Like no_grad (pynet has no separate inference tensors)."""

    def __init__(self, mode=True):
        self.enabled = not mode


is_grad_enabled = _C.is_grad_enabled
