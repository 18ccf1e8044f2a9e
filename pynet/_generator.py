"""pynet.Generator: a random number generator with its own state, as torch.Generator.

The C core has one generator (xoshiro256**, seeded through splitmix64), the one
``pynet.manual_seed`` seeds. A ``Generator`` object keeps a state of its own; a
random function given ``generator=g`` swaps g's state in, draws, and swaps the
global state back, so the global stream is left exactly where it was.
"""
import contextlib
import os

from . import _C

_DEFAULT_SEED = 67280421310721  # PyTorch's default seed, also the global generator's


def _seed_value(seed):
    """A seed as the uint64 the generator uses: negative seeds wrap as in PyTorch."""
    if isinstance(seed, bool) or not hasattr(seed, "__index__"):
        raise TypeError(f"manual_seed expected an int, got {type(seed).__name__}")
    seed = int(seed.__index__())
    if not -(1 << 63) <= seed < (1 << 64):
        raise ValueError("Overflow when unpacking long long")
    return seed % (1 << 64)


class Generator:
    """Generator(device='cpu') -> a random number generator with its own state.

    Pass it as ``generator=`` to pynet's random functions (``rand``, ``randn``,
    ``randint``, ``randperm``, ``normal``, ``bernoulli``), to samplers,
    ``random_split`` and ``DataLoader``; ``manual_seed(s)`` makes its stream
    reproducible without touching the global one.
    """

    def __init__(self, device="cpu"):
        if str(device) != "cpu":
            raise RuntimeError(f"pynet.Generator: only the 'cpu' device exists, got {device!r}")
        self.device = "cpu"
        self._seed = _DEFAULT_SEED
        self._state = _C._rng_state_for_seed(_DEFAULT_SEED)

    def manual_seed(self, seed):
        """Seed the generator (an int in [-2**63, 2**64)); returns the generator."""
        self._seed = _seed_value(seed)
        self._state = _C._rng_state_for_seed(self._seed)
        return self

    def seed(self):
        """Seed from the operating system's entropy; returns the seed used."""
        s = int.from_bytes(os.urandom(8), "little")
        self.manual_seed(s)
        return s

    def initial_seed(self):
        """The seed this generator was last seeded with."""
        return self._seed

    def get_state(self):
        """The generator's state as a tensor of byte values (int64: pynet has no uint8),
        for set_state."""
        import numpy as np
        return _C.from_numpy(np.frombuffer(self._state, dtype=np.uint8).astype(np.int64))

    def set_state(self, new_state):
        """Restore a state returned by get_state(); returns the generator."""
        from ._tensor import Tensor
        data = (bytes(new_state.numpy().astype("uint8").tolist())
                if isinstance(new_state, Tensor) else bytes(new_state))
        if len(data) != len(self._state):
            raise RuntimeError(f"Generator.set_state: expected a state of {len(self._state)} "
                               f"bytes (from get_state()), got {len(data)}")
        self._state = data
        return self

    def __repr__(self):
        return f"<pynet.Generator object at {id(self):#x}>"


@contextlib.contextmanager
def _drawing_from(generator):
    """Within the block the global generator draws from `generator`'s state; after it,
    `generator` keeps the advanced state and the global state is as it was."""
    if generator is None:
        yield
        return
    if not isinstance(generator, Generator):
        raise TypeError(f"generator must be a pynet.Generator, not {type(generator).__name__}")
    saved = _C.get_rng_state()
    _C.set_rng_state(generator._state)
    try:
        yield
    finally:
        generator._state = _C.get_rng_state()
        _C.set_rng_state(saved)
