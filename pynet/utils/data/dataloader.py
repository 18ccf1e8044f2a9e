"""DataLoader: batches of a dataset, in the main process or in worker processes.

The order of the batches is decided in the main process (the sampler), so it is
the same for a given seed whatever the number of workers. A TensorDataset with
the default collate is batched by one gather per tensor (``t[indices]`` in C)
instead of stacking one sample at a time.
"""
import itertools
import multiprocessing
import queue
import weakref

from ... import _C
from ..._creation import randint, tensor
from . import _worker
from ._collate import default_collate, default_convert
from .dataset import IterableDataset, TensorDataset
from .sampler import BatchSampler, RandomSampler, SequentialSampler

__all__ = ["DataLoader", "get_worker_info"]

get_worker_info = _worker.get_worker_info


class _Fetcher:
    """Turns a task (a list of indices, one index, or "next" for iterable datasets) into
    a collated batch. Lives in the main process or is copied into each worker."""

    def __init__(self, dataset, auto_collation, collate_fn, batch_size, drop_last):
        self.dataset, self.auto, self.collate_fn = dataset, auto_collation, collate_fn
        self.batch_size, self.drop_last = batch_size, drop_last
        self.iterable = isinstance(dataset, IterableDataset)
        self.fast = (type(dataset) is TensorDataset and auto_collation
                     and collate_fn is default_collate)
        self._it = None

    def start(self):
        """(Re)start an iterable dataset's pass."""
        if self.iterable:
            self._it = iter(self.dataset)

    def fetch(self, index):
        """The batch for index; StopIteration when an iterable dataset is done."""
        if self.iterable:
            return self._fetch_iterable()
        if not self.auto:
            return self.collate_fn(self.dataset[index])
        if self.fast:  # one gather per tensor, in C
            idx = tensor(index, dtype=_C.int64)
            return [t[idx] for t in self.dataset.tensors]
        getitems = getattr(self.dataset, "__getitems__", None)
        data = getitems(index) if callable(getitems) else [self.dataset[i] for i in index]
        return self.collate_fn(data)

    def _fetch_iterable(self):
        if self._it is None:
            self.start()
        if not self.auto:
            return self.collate_fn(next(self._it))
        data = list(itertools.islice(self._it, self.batch_size))
        if not data or (self.drop_last and len(data) < self.batch_size):
            raise StopIteration
        return self.collate_fn(data)


def _check_args(dataset, batch_size, shuffle, sampler, batch_sampler, num_workers,
                drop_last, timeout, prefetch_factor, persistent_workers):
    if num_workers < 0:
        raise ValueError("num_workers option should be non-negative; use num_workers=0 to "
                         "disable multiprocessing.")
    if timeout < 0:
        raise ValueError("timeout option should be non-negative")
    if num_workers == 0 and prefetch_factor is not None:
        raise ValueError("prefetch_factor option could only be specified in multiprocessing."
                         "let num_workers > 0 to enable multiprocessing, otherwise set "
                         "prefetch_factor to None.")
    if prefetch_factor is not None and prefetch_factor < 0:
        raise ValueError("prefetch_factor option should be non-negative")
    if persistent_workers and num_workers == 0:
        raise ValueError("persistent_workers option needs num_workers > 0")
    if isinstance(dataset, IterableDataset):
        for name, value in (("shuffle", shuffle), ("sampler", sampler),
                            ("batch_sampler", batch_sampler)):
            if value not in (None, False):
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified "
                                 f"{name} option, but got {name}={value}")
    if sampler is not None and shuffle:
        raise ValueError("sampler option is mutually exclusive with shuffle")
    if batch_sampler is not None and (batch_size != 1 or shuffle or sampler is not None
                                      or drop_last):
        raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                         "shuffle, sampler, and drop_last")
    if batch_size is None and drop_last:
        raise ValueError("batch_size=None option disables auto-batching and is mutually "
                         "exclusive with drop_last")


class DataLoader:
    """DataLoader(dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None,
    num_workers=0, collate_fn=None, pin_memory=False, drop_last=False, timeout=0,
    worker_init_fn=None, multiprocessing_context=None, generator=None, *,
    prefetch_factor=None, persistent_workers=False, pin_memory_device='', in_order=True)

    Iterates over batches of `dataset`, as torch.utils.data.DataLoader. With
    num_workers > 0 the batches are made in worker processes (each running pynet on one
    thread, seeded base_seed + worker id); their order is the sampler's either way.
    pin_memory is accepted and does nothing (there is no GPU).
    """

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None,
                 num_workers=0, collate_fn=None, pin_memory=False, drop_last=False, timeout=0,
                 worker_init_fn=None, multiprocessing_context=None, generator=None, *,
                 prefetch_factor=None, persistent_workers=False, pin_memory_device="",
                 in_order=True):
        _check_args(dataset, batch_size, shuffle, sampler, batch_sampler, num_workers,
                    drop_last, timeout, prefetch_factor, persistent_workers)
        if pin_memory_device not in ("", "cpu"):
            raise NotImplementedError(f"DataLoader: pin_memory_device={pin_memory_device!r}: "
                                      f"pynet runs on the CPU only")
        self.dataset, self.num_workers, self.timeout = dataset, num_workers, timeout
        self.pin_memory, self.pin_memory_device, self.in_order = pin_memory, pin_memory_device, in_order
        self.worker_init_fn, self.generator = worker_init_fn, generator
        self.prefetch_factor = prefetch_factor if prefetch_factor is not None or not num_workers else 2
        self.persistent_workers = persistent_workers
        self.multiprocessing_context = multiprocessing_context
        if isinstance(dataset, IterableDataset):
            sampler = itertools.repeat(None)  # the dataset decides; one task per batch
        elif sampler is None:
            sampler = (RandomSampler(dataset, generator=generator) if shuffle
                       else SequentialSampler(dataset))
        if batch_sampler is not None:  # it makes the batches: no batch size (PyTorch's None)
            batch_size, drop_last = None, False
        elif batch_size is not None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.batch_size, self.drop_last = batch_size, drop_last
        self.sampler, self.batch_sampler = sampler, batch_sampler
        self.collate_fn = collate_fn or (default_collate if batch_sampler is not None
                                         else default_convert)
        self._iterator = None
        self._initialized = True

    _FIXED = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset",
              "persistent_workers")

    def __setattr__(self, name, value):
        if name in self._FIXED and getattr(self, "_initialized", False):
            raise ValueError(f"{name} attribute should not be set after "
                             f"{type(self).__name__} is initialized")
        super().__setattr__(name, value)

    @property
    def _auto_collation(self):
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def _fetcher(self):
        return _Fetcher(self.dataset, self._auto_collation, self.collate_fn, self.batch_size,
                        self.drop_last)

    def __iter__(self):
        if self.num_workers == 0:
            return _SingleProcessIter(self)
        if not self.persistent_workers:
            return _MultiProcessIter(self)
        if self._iterator is None:
            self._iterator = _MultiProcessIter(self)
        else:
            self._iterator._reset()
        return self._iterator

    def __len__(self):
        if isinstance(self.dataset, IterableDataset):
            n = len(self.dataset)
            if self.batch_size is not None:
                n = n // self.batch_size if self.drop_last else -(-n // self.batch_size)
            return n
        return len(self._index_sampler)


class _SingleProcessIter:
    def __init__(self, loader):
        self._loader = loader
        # drawn as PyTorch draws it (before the sampler's own draws), for the same streams
        self._base_seed = int(randint(0, 1 << 62, (), generator=loader.generator).item())
        self._tasks = iter(loader._index_sampler)
        self._fetcher = loader._fetcher()
        self._fetcher.start()

    def __iter__(self):
        return self

    def __next__(self):
        return self._fetcher.fetch(next(self._tasks))

    def __len__(self):
        return len(self._loader)


def _stop_workers(queues, workers, results):
    """Tell each worker to finish, wait for it (terminate it if it hangs), close the queues."""
    for q in queues:
        try:
            q.put(None)
        except (OSError, ValueError):  # already closed
            pass
    for p in workers:
        p.join(timeout=5)
        if p.is_alive():
            p.terminate()
            p.join(timeout=1)
    for q in queues + [results]:
        q.cancel_join_thread()
        q.close()


class _MultiProcessIter:
    """Workers fed round-robin through their own queues; results put back in order."""

    def __init__(self, loader):
        self._loader, self._n = loader, loader.num_workers
        self._base_seed = int(randint(0, 1 << 62, (), generator=loader.generator).item())
        ctx = loader.multiprocessing_context
        ctx = multiprocessing.get_context(ctx) if ctx is None or isinstance(ctx, str) else ctx
        self._results = ctx.Queue()
        self._queues, self._workers = [], []
        fetcher = loader._fetcher()
        for w in range(self._n):
            q = ctx.Queue()
            p = ctx.Process(target=_worker.worker_loop, daemon=True,
                            args=(fetcher, q, self._results, w, self._n, self._base_seed + w,
                                  loader.worker_init_fn))
            p.start()
            self._queues.append(q)
            self._workers.append(p)
        # Holds the queues and processes but not self, so that when a loader and its
        # iterator are collected together the queues are still open to say goodbye.
        self._stop = weakref.finalize(self, _stop_workers, self._queues, self._workers,
                                      self._results)
        self._start_epoch()

    def _start_epoch(self):
        self._tasks = iter(self._loader._index_sampler)
        self._next_task = self._next_wanted = 0
        self._outstanding = {}  # task id -> worker, dispatched and not yet answered
        self._done = {}  # task id -> (payload, error, worker), answered and not yet returned
        self._live = set(range(self._n))  # workers with data left (iterable datasets)
        self._cycle = itertools.cycle(range(self._n))
        self._exhausted = False
        for _ in range(self._loader.prefetch_factor * self._n):
            self._dispatch()

    def _reset(self):
        """persistent_workers: a new epoch on the same workers."""
        while self._outstanding:  # what the last epoch left in flight is dropped
            self._receive()
        if isinstance(self._loader.dataset, IterableDataset):
            for q in self._queues:
                q.put(_worker._Resume())
        self._start_epoch()

    def _dispatch(self):
        """Send the sampler's next task to the next live worker, round-robin."""
        if self._exhausted or not self._live:
            return
        try:
            indices = next(self._tasks)
        except StopIteration:
            self._exhausted = True
            return
        w = next(self._cycle)
        while w not in self._live:
            w = next(self._cycle)
        self._queues[w].put((self._next_task, indices))
        self._outstanding[self._next_task] = w
        self._next_task += 1

    def _receive(self):
        """One result from any worker into _done, watching for dead workers and the timeout."""
        waited, step = 0.0, 1.0 if not self._loader.timeout else min(1.0, self._loader.timeout)
        while True:
            try:
                task_id, payload, err = self._results.get(timeout=step)
                break
            except queue.Empty:
                waited += step
                dead = [p.pid for p in self._workers if not p.is_alive()]
                if dead:
                    self._shutdown()
                    raise RuntimeError(f"DataLoader worker (pid(s) "
                                       f"{', '.join(map(str, dead))}) exited unexpectedly")
                if self._loader.timeout and waited >= self._loader.timeout:
                    self._shutdown()
                    raise RuntimeError(f"DataLoader timed out after {self._loader.timeout} "
                                       f"seconds")
        self._done[task_id] = (payload, err, self._outstanding.pop(task_id))

    def _take(self):
        """The next answered task to hand out (in sampler order unless in_order=False)."""
        while True:
            if self._loader.in_order and self._next_wanted in self._done:
                self._next_wanted += 1
                return self._done.pop(self._next_wanted - 1)
            if not self._loader.in_order and self._done:
                return self._done.pop(next(iter(self._done)))
            if not self._outstanding:
                return None
            self._receive()

    def __iter__(self):
        return self

    def __next__(self):
        while True:
            got = self._take()
            if got is None:  # nothing in flight and nothing left to send
                if not self._loader.persistent_workers:
                    self._shutdown()
                raise StopIteration
            payload, err, worker = got
            if isinstance(payload, _worker._Exhausted):
                self._live.discard(worker)
            self._dispatch()
            if err is not None:
                self._shutdown()
                err.reraise()
            if not isinstance(payload, _worker._Exhausted):
                return _worker.from_wire(payload)

    def __len__(self):
        return len(self._loader)

    def _shutdown(self):
        self._stop()  # a weakref.finalize: runs once, also at exit or when collected
