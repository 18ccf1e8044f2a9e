"""pynet.nn.utils.rnn: batches of sequences of different lengths, as PyTorch's.

A batch of sequences is either *padded* — one (T, B, *) tensor (or (B, T, *)
with ``batch_first``), the short sequences filled up with ``padding_value`` —
or *packed*: a :class:`PackedSequence` keeps only the real steps, time-major,
sequences sorted longest first, so that step ``t`` holds ``batch_sizes[t]``
rows. Recurrent layers given a packed batch run each sequence exactly for its
own length, and their final state is each sequence's last one.
"""
from collections import namedtuple

import numpy as np

from ... import _C

__all__ = ["PackedSequence", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence",
           "pack_sequence", "unpad_sequence", "unpack_sequence", "invert_permutation"]


def _pynet():
    import pynet  # the package imports this module, so look it up on use
    return pynet


class PackedSequence(namedtuple("PackedSequence", ["data", "batch_sizes", "sorted_indices",
                                                   "unsorted_indices"])):
    """A packed batch of sequences (build it with :func:`pack_padded_sequence`).

    Fields, as PyTorch's: ``data`` (N, *) the steps of every sequence,
    time-major; ``batch_sizes`` (T,) int64, how many sequences are still running
    at each step; ``sorted_indices`` the order (longest first) the sequences of
    the original batch were packed in, ``unsorted_indices`` its inverse (None
    when the batch was packed in its own order).
    """

    __slots__ = ()

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None and sorted_indices is not None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:
            raise ValueError("PackedSequence needs batch_sizes: build one with "
                             "pack_padded_sequence or pack_sequence")
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs):
        """The same packed batch with ``data`` converted by ``Tensor.to``."""
        data = self.data.to(*args, **kwargs)
        return self if data is self.data else type(self)(data, self.batch_sizes,
                                                         self.sorted_indices,
                                                         self.unsorted_indices)

    def double(self):
        """The packed batch with float64 data."""
        return self.to(_C.float64)

    def float(self):
        """The packed batch with float32 data."""
        return self.to(_C.float32)

    def cpu(self):
        """The packed batch itself (pynet runs on the CPU)."""
        return self

    @property
    def is_cuda(self):
        """False: pynet runs on the CPU."""
        return False

    def is_pinned(self):
        """False: pynet has no pinned memory."""
        return False


def invert_permutation(permutation):
    """The inverse of a permutation given as an int64 tensor (None stays None)."""
    if permutation is None:
        return None
    p = np.asarray(permutation.numpy() if hasattr(permutation, "numpy") else permutation)
    inv = np.empty_like(p)
    inv[p] = np.arange(p.size, dtype=p.dtype)
    return _pynet().tensor(inv, dtype=_C.int64)


def _lengths_array(lengths):
    if hasattr(lengths, "numpy"):
        lengths = lengths.detach().numpy() if hasattr(lengths, "detach") else lengths.numpy()
    arr = np.asarray(lengths)
    if arr.ndim != 1:
        raise RuntimeError(f"pack_padded_sequence: expected lengths to be a 1-D sequence, got "
                           f"shape {list(arr.shape)}")
    return arr.astype(np.int64)


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Pack a padded batch (T, B, *) (or (B, T, *) with ``batch_first``) of sequences
    of the given lengths into a :class:`PackedSequence`.

    With ``enforce_sorted=True`` the lengths must be in decreasing order;
    otherwise the batch is sorted here and the order kept in ``sorted_indices``.
    Differentiable with respect to ``input``.
    """
    pynet = _pynet()
    lens = _lengths_array(lengths)
    if enforce_sorted:
        if np.any(lens[1:] > lens[:-1]):
            raise RuntimeError(
                "`lengths` array must be sorted in decreasing order when `enforce_sorted` is "
                "True. You can pass `enforce_sorted=False` to pack_padded_sequence and/or "
                "pack_sequence to sidestep this requirement if you do not need ONNX "
                "exportability.")
        sorted_indices = None
    else:
        order = np.argsort(-lens, kind="stable")
        lens = lens[order]
        sorted_indices = pynet.tensor(order, dtype=_C.int64)
        input = input[:, sorted_indices] if not batch_first else input[sorted_indices]
    if batch_first:
        input = input.transpose(0, 1)
    if lens.size != input.shape[1]:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got "
                           f"{lens.size} (batch_size={input.shape[1]})")
    if lens.size == 0 or lens[-1] <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an "
                           "element in 'lengths' that is <= 0")
    if lens[0] > input.shape[0]:
        raise RuntimeError(f"pack_padded_sequence: the longest length {int(lens[0])} exceeds "
                           f"the padded input's {input.shape[0]} steps")
    steps = np.arange(int(lens[0]))
    batch_sizes = (lens[None, :] > steps[:, None]).sum(axis=1).astype(np.int64)
    data = pynet.cat([input[t, :int(b)] for t, b in enumerate(batch_sizes)], 0)
    return PackedSequence(data, pynet.tensor(batch_sizes, dtype=_C.int64), sorted_indices, None)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """Undo :func:`pack_padded_sequence`: (padded (T, B, *), lengths (B,) int64).

    The batch comes back in its original order; ``total_length`` pads to that
    many steps (it must be at least the longest length). Differentiable with
    respect to ``sequence.data``.
    """
    pynet = _pynet()
    data, bs = sequence.data, sequence.batch_sizes.numpy().astype(np.int64)
    T, B = len(bs), int(bs[0]) if len(bs) else 0
    if total_length is not None:
        if total_length < T:
            raise ValueError("Expected total_length to be at least the length of the longest "
                             f"sequence in input, but got total_length={total_length} and max "
                             f"sequence length being {T}")
    rest = tuple(data.shape[1:])
    steps, off = [], 0
    for b in bs:
        piece = data[off:off + int(b)]
        if b < B:
            fill = pynet.full((B - int(b),) + rest, padding_value, dtype=data.dtype)
            piece = pynet.cat([piece, fill], 0)
        steps.append(piece)
        off += int(b)
    if total_length is not None and total_length > T:
        steps += [pynet.full((B,) + rest, padding_value, dtype=data.dtype)] * (total_length - T)
    padded = pynet.stack(steps, 0) if steps else pynet.zeros((0, B) + rest, dtype=data.dtype)
    lengths = (bs[:, None] > np.arange(B)[None, :]).sum(axis=0).astype(np.int64)
    if sequence.unsorted_indices is not None:
        padded = padded[:, sequence.unsorted_indices]
        lengths = lengths[sequence.unsorted_indices.numpy()]
    if batch_first:
        padded = padded.transpose(0, 1)
    return padded, pynet.tensor(lengths, dtype=_C.int64)


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stack tensors of shapes (L_i, *) into one (L_max, B, *) tensor (or
    (B, L_max, *) with ``batch_first``), filling with ``padding_value`` on
    ``padding_side`` ('right' or 'left'). Differentiable."""
    pynet = _pynet()
    if padding_side not in ("left", "right"):
        raise ValueError(f"Expected padding_side to be one of left or right, but got "
                         f"{padding_side}.")
    if isinstance(sequences, _C.TensorBase):
        sequences = sequences.unbind(0)
    sequences = list(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    L = max(s.shape[0] for s in sequences)
    rows = []
    for s in sequences:
        if tuple(s.shape[1:]) != tuple(sequences[0].shape[1:]):
            raise RuntimeError(f"pad_sequence: the sequences' trailing sizes differ: "
                               f"{list(sequences[0].shape[1:])} and {list(s.shape[1:])}")
        if s.shape[0] < L:
            fill = pynet.full((L - s.shape[0],) + tuple(s.shape[1:]), padding_value,
                              dtype=s.dtype)
            s = pynet.cat([s, fill] if padding_side == "right" else [fill, s], 0)
        rows.append(s)
    return pynet.stack(rows, 0 if batch_first else 1)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """Split a padded batch back into a list of tensors of the given lengths."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [padded_sequences[i, :int(n)] for i, n in enumerate(_lengths_array(lengths))]


def pack_sequence(sequences, enforce_sorted=True):
    """Pack a list of tensors (L_i, *) — pad_sequence, then pack_padded_sequence."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    """The list of tensors a :class:`PackedSequence` was packed from."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
