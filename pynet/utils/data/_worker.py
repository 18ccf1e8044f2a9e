"""What runs inside a DataLoader worker process, and how batches travel back.

A worker gets tasks on its own queue — ``(task_id, indices)`` for a map-style
dataset, ``(task_id, None)`` ("your next batch") for an iterable one — and puts
``(task_id, payload, error)`` on the shared result queue. Tensors travel as
NumPy arrays (pickled compactly) and are rebuilt in the main process.
"""
import random
import traceback

import numpy as np

from ... import _C
from ..._tensor import Tensor

_worker_info = None


class WorkerInfo:
    """What ``get_worker_info()`` returns inside a worker: id, num_workers, seed, dataset."""

    def __init__(self, id, num_workers, seed, dataset):  # noqa: A002 (PyTorch's names)
        self.id, self.num_workers, self.seed, self.dataset = id, num_workers, seed, dataset

    def __repr__(self):
        return (f"WorkerInfo(id={self.id}, num_workers={self.num_workers}, seed={self.seed}, "
                f"dataset={self.dataset!r})")


def get_worker_info():
    """In a DataLoader worker process: its WorkerInfo; in the main process: None."""
    return _worker_info


class _Exhausted:
    """An iterable dataset's worker has nothing more to give this epoch."""


class _Resume:
    """Persistent workers: start the iterable dataset again (a new epoch)."""


class _WireTensor:
    __slots__ = ("array", "requires_grad")

    def __init__(self, array, requires_grad):
        self.array, self.requires_grad = array, requires_grad


def to_wire(obj):
    """obj with every Tensor replaced by its NumPy data (for the trip between processes)."""
    if isinstance(obj, Tensor):
        return _WireTensor(obj.detach().numpy(), obj.requires_grad)
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return type(obj)(*(to_wire(o) for o in obj))
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_wire(o) for o in obj)
    if isinstance(obj, dict):
        return type(obj)((k, to_wire(v)) for k, v in obj.items())
    return obj


def from_wire(obj):
    """The inverse of to_wire, in the main process."""
    if isinstance(obj, _WireTensor):
        t = _C.from_numpy(np.ascontiguousarray(obj.array))
        return t.requires_grad_() if obj.requires_grad else t
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return type(obj)(*(from_wire(o) for o in obj))
    if isinstance(obj, (list, tuple)):
        return type(obj)(from_wire(o) for o in obj)
    if isinstance(obj, dict):
        return type(obj)((k, from_wire(v)) for k, v in obj.items())
    return obj


class WorkerError:
    """An exception raised in a worker, carried to the main process as text."""

    def __init__(self, exc, worker_id):
        self.exc_type = type(exc)
        self.message = (f"Caught {type(exc).__name__} in DataLoader worker process "
                        f"{worker_id}.\nOriginal {traceback.format_exc()}")

    def reraise(self):
        """Raise the worker's exception type with its message and traceback text."""
        try:
            err = self.exc_type(self.message)
        except Exception:  # an exception type that needs other arguments
            err = RuntimeError(self.message)
        raise err


def _seed_worker(seed, worker_id):
    """Each worker's generators: pynet's and Python's from base_seed + id (as PyTorch),
    NumPy's from a SeedSequence of both (so workers never share a NumPy stream)."""
    _C.manual_seed(seed)
    random.seed(seed)
    np.random.seed(np.random.SeedSequence([worker_id, seed]).generate_state(4))


def worker_loop(fetcher, index_queue, result_queue, worker_id, num_workers, seed, init_fn):
    """The body of a worker process: set up, then answer tasks until told to stop (None)."""
    global _worker_info
    _C.set_num_threads(1)  # the cores belong to all the workers together
    _seed_worker(seed, worker_id)
    _worker_info = WorkerInfo(worker_id, num_workers, seed, fetcher.dataset)
    init_error = None
    if init_fn is not None:
        try:
            init_fn(worker_id)
        except Exception as e:  # reported with the first task
            init_error = WorkerError(e, worker_id)
    fetcher.start()
    while True:
        task = index_queue.get()
        if task is None:
            break
        if isinstance(task, _Resume):
            fetcher.start()
            continue
        task_id, indices = task
        if init_error is not None:
            result_queue.put((task_id, None, init_error))
            continue
        try:
            result_queue.put((task_id, to_wire(fetcher.fetch(indices)), None))
        except StopIteration:
            result_queue.put((task_id, _Exhausted(), None))
        except Exception as e:
            result_queue.put((task_id, None, WorkerError(e, worker_id)))
    result_queue.cancel_join_thread()
