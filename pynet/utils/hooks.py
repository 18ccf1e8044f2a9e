"""RemovableHandle: what every register_*_hook returns."""
import itertools

_ids = itertools.count()


class RemovableHandle:
    """Registers nothing itself: the caller stores the hook under handle.id in `hooks`
    (a dict); handle.remove() takes it out again. Usable as a context manager."""

    def __init__(self, hooks):
        self._hooks = hooks
        self.id = next(_ids)

    def remove(self):
        self._hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()
