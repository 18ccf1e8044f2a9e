"""pynet.utils.data and pynet.Generator: datasets, samplers, collate, DataLoader.

Orders that PyTorch fixes by algorithm (sequential, batching, splitting sizes,
collate's structure) are compared with torch exactly; random orders are checked
by their invariants (permutations, ranges, frequencies, reproducibility by seed,
independence from the worker count), since pynet's generator is not PyTorch's.
"""
import collections
import math
import os

import numpy as np
import pytest

import pynet
from pynet.utils.data import (BatchSampler, ChainDataset, ConcatDataset, DataLoader, Dataset,
                              IterableDataset, RandomSampler, SequentialSampler, StackDataset,
                              Subset, SubsetRandomSampler, TensorDataset, WeightedRandomSampler,
                              default_collate, default_convert, get_worker_info, random_split)

from conftest import torch

# Under the CI's AddressSanitizer run (PYNET_ASAN=1) the default start method, fork, is
# skipped: there a forked worker once hung for good at its first allocation, waiting on
# a lock of ASan's allocator that it had inherited held (another thread of the test
# process, such as pytest-xdist's I/O thread or an earlier loader's queue feeder, was
# inside malloc at the fork; glibc's malloc is reset in the child, this runtime's lock
# was not). spawn and forkserver, whose workers are forked by a single-threaded server,
# still run under ASan, and fork runs in every other test run.
forked_workers = pytest.mark.skipif(os.environ.get("PYNET_ASAN") == "1",
                                    reason="fork() under GCC's ASan runtime can deadlock")


def seeded(s):
    return pynet.Generator().manual_seed(s)


def as_np(x):
    return x.numpy() if hasattr(x, "numpy") else np.asarray(x)


def same_structure(p, t):
    """pynet and torch collate results: same containers, same values and dtypes."""
    if torch is not None and isinstance(t, torch.Tensor):
        assert isinstance(p, pynet.Tensor), type(p)
        assert str(p.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
        np.testing.assert_array_equal(p.numpy(), t.numpy())
    elif isinstance(t, dict):
        assert type(p) is type(t) and p.keys() == t.keys()
        for k in t:
            same_structure(p[k], t[k])
    elif isinstance(t, (list, tuple)):
        assert type(p) is type(t), (type(p), type(t))
        assert len(p) == len(t)
        for a, b in zip(p, t):
            same_structure(a, b)
    else:
        assert p == t


# ------------------------------------------------------------------ Generator

def test_generator_is_reproducible_and_leaves_the_global_stream_alone():
    pynet.manual_seed(1)
    want = pynet.rand(5)
    pynet.manual_seed(1)
    a = pynet.rand(3, generator=seeded(7))
    got = pynet.rand(5)
    np.testing.assert_array_equal(got.numpy(), want.numpy())
    np.testing.assert_array_equal(a.numpy(), pynet.rand(3, generator=seeded(7)).numpy())
    assert not np.array_equal(a.numpy(), pynet.rand(3, generator=seeded(8)).numpy())


def test_generator_advances_and_restores_state():
    g = seeded(3)
    s = g.get_state()
    first = pynet.randn(4, generator=g).numpy()
    second = pynet.randn(4, generator=g).numpy()
    assert not np.array_equal(first, second)
    g.set_state(s)
    np.testing.assert_array_equal(pynet.randn(4, generator=g).numpy(), first)
    assert g.initial_seed() == 3
    assert seeded(-1).initial_seed() == 2 ** 64 - 1  # PyTorch's wrap of negative seeds


@pytest.mark.parametrize("draw", [
    lambda g: pynet.randperm(20, generator=g),
    lambda g: pynet.randint(0, 100, (6,), generator=g),
    lambda g: pynet.normal(0.0, 2.0, (6,), generator=g),
    lambda g: pynet.bernoulli(pynet.full((30,), 0.5), generator=g),
    lambda g: pynet.empty(6).uniform_(generator=g),
    lambda g: pynet.multinomial(pynet.ones(10), 5, generator=g),
])
def test_random_functions_draw_from_the_generator(draw):
    a, b = draw(seeded(11)).numpy(), draw(seeded(11)).numpy()
    np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(a, draw(seeded(s)).numpy()) for s in (12, 13, 14))


def test_generator_seed_errors_match_torch(need_torch):
    for bad in (2 ** 64, -(2 ** 63) - 1):
        with pytest.raises(ValueError):
            torch.Generator().manual_seed(bad)
        with pytest.raises(ValueError):
            pynet.Generator().manual_seed(bad)


def test_nn_init_takes_a_generator():
    w1, w2 = pynet.empty(3, 4), pynet.empty(3, 4)
    pynet.nn.init.kaiming_uniform_(w1, generator=seeded(5))
    pynet.nn.init.kaiming_uniform_(w2, generator=seeded(5))
    np.testing.assert_array_equal(w1.numpy(), w2.numpy())


# ---------------------------------------------------------------- multinomial

def test_multinomial_with_replacement_frequencies():
    w = pynet.tensor([1.0, 0.0, 3.0, 4.0])
    draws = pynet.multinomial(w, 40000, replacement=True, generator=seeded(0)).numpy()
    freq = np.bincount(draws, minlength=4) / draws.size
    assert freq[1] == 0
    np.testing.assert_allclose(freq, [0.125, 0, 0.375, 0.5], atol=0.01)


@pytest.mark.parametrize("shape,n", [((64, 65), 1), ((3, 7), 50), ((2, 2000), 1100)])
def test_multinomial_is_the_inverse_cdf_of_the_generator_draws(shape, n):
    # Each draw is the first category whose cumulative weight exceeds u * total, u the
    # generator's next float64 uniforms (row-major), never a zero-weight category: the
    # rows at once, and (2 x 2000 x 1100 comparisons) row by row. A single draw without
    # replacement is the same draw.
    rng = np.random.default_rng(3)
    w = rng.random(shape) * (rng.random(shape) > 0.3)
    w[:, -1] = 0.0  # a zero-weight last category: u * total must not land on it
    w[:, 0] += 0.01
    w[:, -2] += 0.01  # the last live category, where u * total rounded up lands
    u = pynet.rand(shape[0], n, dtype=pynet.float64, generator=seeded(7)).numpy()
    cdf = np.cumsum(w, 1)
    want = np.stack([np.searchsorted(c, uu * c[-1], side="right") for c, uu in zip(cdf, u)])
    want = np.minimum(want, shape[1] - 2)
    got = pynet.multinomial(pynet.tensor(w), n, replacement=True, generator=seeded(7)).numpy()
    np.testing.assert_array_equal(got, want)
    assert (w[np.arange(shape[0])[:, None], got] > 0).all()
    if n == 1:
        got1 = pynet.multinomial(pynet.tensor(w), 1, generator=seeded(7)).numpy()
        np.testing.assert_array_equal(got1, want)


def test_multinomial_without_replacement_is_distinct_and_skips_zero_weights():
    w = pynet.tensor([[1.0, 0.0, 2.0, 5.0, 1.0], [0.0, 1.0, 1.0, 1.0, 0.0]])
    out = pynet.multinomial(w, 3, generator=seeded(1)).numpy()
    assert out.shape == (2, 3) and out.dtype == np.int64
    for row, ws in zip(out, w.numpy()):
        assert len(set(row)) == 3 and all(ws[i] > 0 for i in row)


@pytest.mark.parametrize("shape,n", [((3, 7), 7), ((64, 65), 5), ((2, 300), 40)])
def test_multinomial_without_replacement_is_successive_renormalised_draws(shape, n):
    # draw s of a row: the first live category whose running sum of the weights not yet
    # drawn exceeds u * their total (u: the generator's next float64 uniforms), back to a
    # live one when rounding lands past it; zero weights last, in index order
    rng = np.random.default_rng(4)
    w = np.round(rng.random(shape) * 3) * (rng.random(shape) > 0.5)
    w[:, 1] += 0.5
    u = pynet.rand(shape[0], n, dtype=pynet.float64, generator=seeded(9)).numpy()
    want = np.empty((shape[0], n), np.int64)
    for r in range(shape[0]):
        left, taken = w[r].copy(), np.zeros(shape[1], bool)
        for s in range(n):
            c = np.cumsum(left)
            if c[-1] <= 0:
                j = int(np.argmin(taken))
            else:
                j = min(int(np.searchsorted(c, u[r, s] * c[-1], side="right")), shape[1] - 1)
                while left[j] == 0:
                    j -= 1
            want[r, s], left[j], taken[j] = j, 0, True
    got = pynet.multinomial(pynet.tensor(w), n, generator=seeded(9)).numpy()
    np.testing.assert_array_equal(got, want)


def test_multinomial_draws_zero_weights_last_like_torch(need_torch):
    w = np.array([[1.0, 0.0, 0.0], [0.0, 2.0, 0.0]])
    want = torch.multinomial(torch.tensor(w), 3).numpy()
    np.testing.assert_array_equal(pynet.multinomial(pynet.tensor(w), 3).numpy(), want)


@pytest.mark.parametrize("args", [
    (np.array([1.0, -1.0]), 1, False), (np.array([1.0, np.nan]), 1, True),
    (np.array([0.0, 0.0]), 1, True), (np.array([1.0, 0.0]), 3, False),
    (np.ones((2, 2, 2)), 1, True), (np.array([1.0, 2.0]), 0, True),
])
def test_multinomial_errors_match_torch(need_torch, args):
    w, n, repl = args
    with pytest.raises(RuntimeError):
        torch.multinomial(torch.tensor(w), n, repl)
    with pytest.raises(RuntimeError):
        pynet.multinomial(pynet.tensor(w), n, repl)


# ------------------------------------------------------------------- datasets

def test_tensor_dataset_items_and_size_mismatch():
    x, y = pynet.arange(12.0).reshape(6, 2), pynet.arange(6)
    ds = TensorDataset(x, y)
    assert len(ds) == 6
    xi, yi = ds[4]
    np.testing.assert_array_equal(xi.numpy(), [8.0, 9.0])
    assert yi.item() == 4
    with pytest.raises(AssertionError):
        TensorDataset(x, pynet.arange(5))


def test_concat_subset_chain_stack_against_torch(need_torch):
    import torch.utils.data as td
    a, b = list(range(5)), list(range(10, 13))
    pc, tc = ConcatDataset([a, b]), td.ConcatDataset([a, b])
    assert len(pc) == len(tc) == 8 and pc.cumulative_sizes == tc.cumulative_sizes
    assert [pc[i] for i in range(-8, 8)] == [tc[i] for i in range(-8, 8)]
    with pytest.raises(ValueError):
        pc[-9]
    ps, ts = Subset(a, [4, 0, 2]), td.Subset(a, [4, 0, 2])
    assert [ps[i] for i in range(3)] == [ts[i] for i in range(3)] and len(ps) == 3
    assert ps[[0, 2]] == [4, 2] if isinstance(a, dict) else True

    class It(IterableDataset):
        def __init__(self, n):
            self.n = n

        def __iter__(self):
            return iter(range(self.n))

    assert list(ChainDataset([It(2), It(3)])) == [0, 1, 0, 1, 2]
    assert list(It(2) + It(1)) == [0, 1, 0]
    st = StackDataset(a, [x * 2 for x in a])
    assert st[3] == td.StackDataset(a, [x * 2 for x in a])[3] == (3, 6)
    assert StackDataset(u=a, v=a)[1] == {"u": 1, "v": 1}
    with pytest.raises(AssertionError):
        ConcatDataset([])
    with pytest.raises(NotImplementedError):
        Dataset()[0]


@pytest.mark.parametrize("lengths", [[3, 7], [0.3, 0.7], [0.5, 0.25, 0.25], [1, 1, 1, 7],
                                     [0.34, 0.33, 0.33]])
def test_random_split_sizes_match_torch_and_cover(need_torch, lengths):
    import torch.utils.data as td
    data = list(range(10))
    want = [len(s) for s in td.random_split(data, lengths)]
    parts = random_split(data, lengths, generator=seeded(2))
    assert [len(p) for p in parts] == want
    got = sorted(x for p in parts for x in (p[i] for i in range(len(p))))
    assert got == data
    again = random_split(data, lengths, generator=seeded(2))
    assert [p.indices for p in parts] == [p.indices for p in again]


def test_random_split_bad_lengths():
    with pytest.raises(ValueError, match="Sum of input lengths"):
        random_split(range(10), [3, 3])


# ------------------------------------------------------------------- samplers

@pytest.mark.parametrize("n,bs,drop", [(10, 3, False), (10, 3, True), (9, 3, True), (2, 5, False),
                                       (0, 4, False)])
def test_sequential_and_batch_sampler_match_torch(need_torch, n, bs, drop):
    import torch.utils.data as td
    p = BatchSampler(SequentialSampler(range(n)), bs, drop)
    t = td.BatchSampler(td.SequentialSampler(range(n)), bs, drop)
    assert list(p) == list(t) and len(p) == len(t)


def test_random_sampler_permutations_and_replacement():
    s = RandomSampler(range(7), generator=seeded(0))
    first, second = list(s), list(s)
    assert sorted(first) == sorted(second) == list(range(7)) and first != second
    s = RandomSampler(range(4), num_samples=10, generator=seeded(1))
    out = list(s)
    assert len(out) == len(s) == 10
    assert sorted(out[:4]) == sorted(out[4:8]) == list(range(4))  # whole permutations first
    s = RandomSampler(range(5), replacement=True, num_samples=70, generator=seeded(2))
    out = list(s)
    assert len(out) == 70 and set(out) <= set(range(5)) and len(set(out)) == 5
    assert list(RandomSampler(range(9), generator=seeded(4))) == \
        list(RandomSampler(range(9), generator=seeded(4)))


def test_subset_and_weighted_samplers():
    idx = [10, 20, 30, 40]
    out = list(SubsetRandomSampler(idx, generator=seeded(0)))
    assert sorted(out) == idx
    w = WeightedRandomSampler([0.0, 1.0, 3.0], 4000, generator=seeded(0))
    counts = collections.Counter(w)
    assert counts[0] == 0 and abs(counts[2] / 4000 - 0.75) < 0.03 and len(w) == 4000
    no = list(WeightedRandomSampler([1.0, 1.0, 5.0, 0.0], 3, replacement=False,
                                    generator=seeded(1)))
    assert sorted(no) == [0, 1, 2]


@pytest.mark.parametrize("make", [
    lambda m: m.RandomSampler(range(3), replacement=1),
    lambda m: m.RandomSampler(range(3), num_samples=0),
    lambda m: m.RandomSampler([], num_samples=None),
    lambda m: m.BatchSampler(range(3), 0, False),
    lambda m: m.BatchSampler(range(3), 2, 1),
    lambda m: m.WeightedRandomSampler([1.0], -1),
    lambda m: m.WeightedRandomSampler([[1.0]], 1),
])
def test_sampler_errors_match_torch(need_torch, make):
    import torch.utils.data as td
    import pynet.utils.data as pd
    with pytest.raises(Exception) as te:
        make(td)
    with pytest.raises(type(te.value)):
        make(pd)


# -------------------------------------------------------------------- collate

Point = collections.namedtuple("Point", "x y")


def collate_cases():
    rng = np.random.default_rng(0)
    arr = [rng.standard_normal((2, 3)).astype(np.float32) for _ in range(3)]
    return [
        [np.float64(1.5), np.float64(2.5)],
        [1, 2, 3], [1.5, 2.5], [True, False], ["a", "b"],
        arr, [np.int64(3), np.int64(4)],
        [{"a": 1, "b": [1.0, 2.0]}, {"a": 2, "b": [3.0, 4.0]}],
        [(1, 2.0), (3, 4.0)],
        [[1, 2], [3, 4]],
        [Point(1, 2.0), Point(3, 4.0)],
        [(a, i) for i, a in enumerate(arr)],
    ]


@pytest.mark.parametrize("i", range(12))
def test_default_collate_matches_torch(need_torch, i):
    from torch.utils.data import default_collate as tcollate
    batch = collate_cases()[i]
    t = tcollate(batch)

    def conv(x):  # torch results -> the same structure with torch tensors kept
        return x
    same_structure(default_collate(batch), conv(t))


def test_default_collate_stacks_tensors_and_errors():
    out = default_collate([pynet.ones(2), pynet.zeros(2)])
    np.testing.assert_array_equal(out.numpy(), [[1, 1], [0, 0]])
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([[1, 2], [3]])
    with pytest.raises(TypeError):
        default_collate([object(), object()])
    with pytest.raises(TypeError):
        default_collate([np.array(["a"]), np.array(["b"])])


def test_default_convert():
    out = default_convert({"a": np.arange(3), "b": (np.float32(2.0), "s")})
    assert isinstance(out["a"], pynet.Tensor) and out["a"].dtype == pynet.int64
    assert isinstance(out["b"], list) and out["b"][1] == "s"


# ----------------------------------------------------------------- DataLoader

def xy(n=23):
    x = pynet.arange(n * 3, dtype=pynet.float32).reshape(n, 3)
    return TensorDataset(x, pynet.arange(n))


def batches(loader):
    return [[as_np(t).copy() for t in b] for b in loader]


class Squares(Dataset):
    """A plain map-style dataset (the generic, one-sample-at-a-time path)."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if i >= self.n:
            raise IndexError(i)
        return np.array([i, i * i], dtype=np.float32), i


@pytest.mark.parametrize("bs,drop", [(5, False), (5, True), (1, False), (23, False), (30, True)])
def test_dataloader_sequential_matches_torch(need_torch, bs, drop):
    import torch.utils.data as td
    n = 23
    tx = torch.arange(n * 3, dtype=torch.float32).reshape(n, 3)
    tl = td.DataLoader(td.TensorDataset(tx, torch.arange(n)), batch_size=bs, drop_last=drop)
    pl = DataLoader(xy(n), batch_size=bs, drop_last=drop)
    assert len(pl) == len(tl)
    want, got = batches(tl), batches(pl)
    assert len(want) == len(got)
    for w, g in zip(want, got):
        for a, b in zip(w, g):
            np.testing.assert_array_equal(a, b)
    pd_ = DataLoader(Squares(n), batch_size=bs, drop_last=drop)
    td_ = td.DataLoader(Squares(n), batch_size=bs, drop_last=drop)
    for p, t in zip(pd_, td_):
        same_structure(p, t)


def test_dataloader_fast_path_equals_generic_path():
    class Plain(TensorDataset):  # a subclass takes the one-by-one path
        pass
    ds = xy()
    g1, g2 = seeded(9), seeded(9)
    fast = batches(DataLoader(ds, batch_size=4, shuffle=True, generator=g1))
    slow = batches(DataLoader(Plain(*ds.tensors), batch_size=4, shuffle=True, generator=g2))
    for f, s in zip(fast, slow):
        for a, b in zip(f, s):
            np.testing.assert_array_equal(a, b)


def test_dataloader_shuffle_is_seeded_and_covers_each_epoch():
    dl = DataLoader(xy(), batch_size=4, shuffle=True, generator=seeded(3))
    e1, e2 = batches(dl), batches(dl)
    for e in (e1, e2):
        assert sorted(np.concatenate([b[1] for b in e]).tolist()) == list(range(23))
    assert not all(np.array_equal(a[1], b[1]) for a, b in zip(e1, e2))
    again = batches(DataLoader(xy(), batch_size=4, shuffle=True, generator=seeded(3)))
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(e1, again))
    pynet.manual_seed(5)
    u1 = batches(DataLoader(xy(), batch_size=4, shuffle=True))
    pynet.manual_seed(5)
    u2 = batches(DataLoader(xy(), batch_size=4, shuffle=True))
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(u1, u2))


def test_dataloader_without_batching_matches_torch(need_torch):
    import torch.utils.data as td
    p = list(DataLoader(Squares(4), batch_size=None))
    t = list(td.DataLoader(Squares(4), batch_size=None))
    for a, b in zip(p, t):
        same_structure(a, b)


@forked_workers
def test_dataloader_workers_give_the_same_batches_in_the_same_order():
    one = batches(DataLoader(xy(), batch_size=4, shuffle=True, generator=seeded(1)))
    for workers in (1, 2, 3):
        many = batches(DataLoader(xy(), batch_size=4, shuffle=True, generator=seeded(1),
                                  num_workers=workers))
        assert len(many) == len(one)
        for a, b in zip(one, many):
            for u, v in zip(a, b):
                np.testing.assert_array_equal(u, v)
    generic = batches(DataLoader(Squares(11), batch_size=3, num_workers=2))
    assert [b[1].tolist() for b in generic] == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 10]]


@pytest.mark.parametrize("context", ["spawn", "forkserver"])
def test_dataloader_workers_started_by_spawn_or_forkserver(context):
    """Workers that start a fresh interpreter (the default on macOS and Windows) get the
    dataset by pickling and give the same batches as without workers."""
    one = batches(DataLoader(xy(), batch_size=5, shuffle=True, generator=seeded(2)))
    many = batches(DataLoader(xy(), batch_size=5, shuffle=True, generator=seeded(2),
                              num_workers=2, multiprocessing_context=context))
    assert len(many) == len(one)
    for a, b in zip(one, many):
        for u, v in zip(a, b):
            np.testing.assert_array_equal(u, v)


def _record_worker(worker_id):
    info = get_worker_info()
    assert info is not None and info.id == worker_id
    np.save  # noqa: B018 (the worker runs NumPy too)


class Sharded(IterableDataset):
    """Each worker yields its own share, found with get_worker_info()."""

    def __init__(self, n):
        self.n = n

    def __iter__(self):
        info = get_worker_info()
        start, step = (0, 1) if info is None else (info.id, info.num_workers)
        return iter(range(start, self.n, step))

    def __len__(self):
        return self.n


@forked_workers
def test_iterable_dataset_with_workers_matches_torch(need_torch):
    import torch.utils.data as td

    class TSharded(td.IterableDataset):
        def __init__(self, n):
            self.n = n

        def __iter__(self):
            info = td.get_worker_info()
            start, step = (0, 1) if info is None else (info.id, info.num_workers)
            return iter(range(start, self.n, step))
    want = [b.tolist() for b in td.DataLoader(TSharded(17), batch_size=3, num_workers=2)]
    got = [b.tolist() for b in DataLoader(Sharded(17), batch_size=3, num_workers=2,
                                          worker_init_fn=_record_worker)]
    assert got == want
    assert [b.tolist() for b in DataLoader(Sharded(7), batch_size=3)] == [[0, 1, 2], [3, 4, 5],
                                                                         [6]]
    assert get_worker_info() is None


class Boom(Dataset):
    def __len__(self):
        return 8

    def __getitem__(self, i):
        if i == 5:
            raise KeyError("no sample 5")
        return i


@forked_workers
def test_worker_errors_reach_the_main_process():
    with pytest.raises(KeyError, match="no sample 5"):
        list(DataLoader(Boom(), batch_size=2, num_workers=2))
    with pytest.raises(KeyError):
        list(DataLoader(Boom(), batch_size=2))


def _seed_of_worker(_):
    return None


class WorkerSeeds(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        info = get_worker_info()
        return [info.id, info.seed, float(pynet.rand(()).item())]


@forked_workers
def test_worker_seeds_and_persistent_workers():
    dl = DataLoader(WorkerSeeds(), batch_size=1, num_workers=2, persistent_workers=True,
                    generator=seeded(0), prefetch_factor=1)
    e1 = [b for b in dl]
    e2 = [b for b in dl]
    ids = [int(b[0][0]) for b in e1]
    seeds = {int(b[0][0]): int(b[1][0]) for b in e1}
    assert ids == [0, 1, 0, 1] and seeds[1] == seeds[0] + 1
    assert [int(b[0][0]) for b in e2] == ids  # the same workers again
    draws = [float(b[2][0]) for b in e1 + e2]
    assert len(set(draws)) == len(draws)  # workers' generators advance, never repeat
    got = sorted(b[1].tolist()[0] for b in DataLoader(Squares(6), batch_size=1, num_workers=2,
                                                     in_order=False))
    assert got == [0, 1, 2, 3, 4, 5]


@pytest.mark.parametrize("kw", [
    dict(num_workers=-1), dict(timeout=-1), dict(prefetch_factor=2),
    dict(persistent_workers=True), dict(sampler=SequentialSampler(range(3)), shuffle=True),
    dict(batch_sampler=[[0]], batch_size=2), dict(batch_sampler=[[0]], drop_last=True),
    dict(batch_size=None, drop_last=True),
])
def test_dataloader_argument_errors_match_torch(need_torch, kw):
    import torch.utils.data as td
    tkw = dict(kw)
    if "sampler" in tkw:
        tkw["sampler"] = td.SequentialSampler(range(3))
    with pytest.raises(ValueError):
        td.DataLoader(list(range(3)), **tkw)
    with pytest.raises(ValueError):
        DataLoader(list(range(3)), **kw)


def test_dataloader_iterable_rejects_shuffle_and_len():
    with pytest.raises(ValueError, match="shuffle"):
        DataLoader(Sharded(4), shuffle=True)
    assert len(DataLoader(Sharded(10), batch_size=4)) == 3
    assert len(DataLoader(Sharded(10), batch_size=4, drop_last=True)) == 2
    assert math.isclose(len(DataLoader(xy(), batch_size=5)), 5)
