"""backward() from several Python threads. Kernels release the GIL, so runs interleave:
separate graphs must both succeed; runs through shared nodes (the same parameters) must
either give the right gradients or raise a clear RuntimeError — never corrupt them."""
import threading

import numpy as np

import pynet


def _run_threads(fn, n):
    errors, threads = [], []
    for i in range(n):
        def target(i=i):
            try:
                fn(i)
            except Exception as e:  # noqa: BLE001 - collected and checked by the caller
                errors.append(e)
        threads.append(threading.Thread(target=target))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def test_separate_graphs_in_threads():
    results = {}

    def work(i):
        rng = np.random.default_rng(i)
        w = pynet.tensor(rng.standard_normal((300, 300)).astype(np.float32), requires_grad=True)
        x = pynet.tensor(rng.standard_normal((300, 300)).astype(np.float32))
        for _ in range(10):
            w.grad = None
            (x @ w).relu().sum().backward()
        # d/dw sum(relu(x @ w)) = x^T @ (x @ w > 0)
        mask = ((x @ w) > 0).float()
        results[i] = (w.grad.numpy(), (x.t() @ mask).numpy())

    assert _run_threads(work, 3) == []
    for got, expected in results.values():
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-3)


def test_shared_parameters_are_never_corrupted():
    w = pynet.randn(300, 300, requires_grad=True)
    xs = [pynet.randn(300, 300) for _ in range(2)]

    def work(i):
        for _ in range(5):
            (xs[i] @ w).sum().backward()

    errors = _run_threads(work, 2)
    for e in errors:
        assert isinstance(e, RuntimeError) and "another thread" in str(e)
    # each successful backward added x_i^T @ ones; count the successes from the result
    ones = pynet.ones(300, 300)
    per = [(x.t() @ ones).numpy() for x in xs]
    g = w.grad.numpy()
    # g must be a non-negative integer combination a*per[0] + b*per[1], a, b in 0..5
    ok = any(np.allclose(g, a * per[0] + b * per[1], rtol=1e-4, atol=1e-2)
             for a in range(6) for b in range(6))
    assert ok
