"""default_collate / default_convert: how a list of samples becomes one batch.

The rules are PyTorch's: tensors are stacked along a new first dimension;
NumPy arrays and numbers become tensors (Python floats float64, ints int64);
strings stay a list; dicts, named tuples and sequences are collated field by
field (a tuple of fields comes back as a list of batches, as in PyTorch).
"""
import collections.abc

import numpy as np

from ... import _C
from ..._tensor import Tensor
from ..._creation import as_tensor, tensor

__all__ = ["default_collate", "default_convert"]

_BAD = ("default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
        "found {}")


def _rebuild(like, items):
    """A container of like's type holding items (a plain list/dict when it cannot be)."""
    try:
        return type(like)(items)
    except TypeError:
        return items if not isinstance(like, collections.abc.Mapping) else dict(items)


def default_convert(data):
    """Convert NumPy arrays (not of strings/objects) and NumPy scalars in `data` to tensors,
    recursing into dicts, named tuples and sequences; everything else unchanged."""
    if isinstance(data, Tensor):
        return data
    if isinstance(data, np.ndarray):
        return data if data.dtype.kind in "SUOa" else as_tensor(data)
    if isinstance(data, np.generic):
        return as_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        return _rebuild(data, {k: default_convert(v) for k, v in data.items()})
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return _rebuild(data, [default_convert(d) for d in data])
    return data


def _collate_sequence(batch, elem):
    it = iter(batch)
    size = len(next(it))
    if not all(len(e) == size for e in it):
        raise RuntimeError("each element in list of batch should be of equal size")
    transposed = list(zip(*batch))
    if isinstance(elem, tuple):  # a tuple of fields -> a list of batches (PyTorch's rule)
        return [default_collate(s) for s in transposed]
    return _rebuild(elem, [default_collate(s) for s in transposed])


def default_collate(batch):
    """Collate a list of samples into a batch (see the module docstring for the rules)."""
    elem = batch[0]
    if isinstance(elem, Tensor):
        return _C.stack(list(batch), 0)
    if isinstance(elem, np.ndarray):
        if elem.dtype.kind in "SUOa":
            raise TypeError(_BAD.format(elem.dtype))
        return default_collate([as_tensor(b) for b in batch])
    if isinstance(elem, np.generic):
        return as_tensor(np.array(batch))
    if isinstance(elem, float):
        return tensor(batch, dtype=_C.float64)
    if isinstance(elem, int):  # bools too: a bool tensor
        return tensor(batch)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        return _rebuild(elem, {k: default_collate([d[k] for d in batch]) for k in elem})
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):
        return type(elem)(*(default_collate(s) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        return _collate_sequence(batch, elem)
    raise TypeError(_BAD.format(type(elem)))
