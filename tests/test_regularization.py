"""The course's regularisation recipes: L1 as a one-line penalty added to the loss,
and L2 through SGD's weight_decay (equivalent to adding lam/2 * ||w||^2)."""
import numpy as np
import pytest

import pynet
import pynet.nn as nn


def _model(seed):
    pynet.manual_seed(seed)
    return nn.Sequential(nn.Linear(6, 5), nn.Tanh(), nn.Linear(5, 3))


def _data():
    rng = np.random.default_rng(0)
    return (pynet.tensor(rng.standard_normal((16, 6)).astype(np.float32)),
            pynet.tensor(rng.integers(0, 3, 16)))


def test_l1_one_liner_gradient_is_sign():
    lam = 0.01
    x, y = _data()
    model = _model(1)
    base = nn.functional.cross_entropy(model(x), y)
    grads_base = [g for g in pynet.autograd.grad(base, list(model.parameters()))]
    loss = nn.functional.cross_entropy(model(x), y)
    loss = loss + lam * sum(p.abs().sum() for p in model.parameters())  # the course's one-liner
    grads = pynet.autograd.grad(loss, list(model.parameters()))
    for p, g0, g in zip(model.parameters(), grads_base, grads):
        # d/dp lam*|p| = lam * sign(p)
        np.testing.assert_allclose(g.numpy(), g0.numpy() + lam * np.sign(p.detach().numpy()),
                                   rtol=1e-5, atol=1e-7)


def test_l1_one_liner_matches_torch():
    torch = pytest.importorskip("torch")
    lam = 0.01
    x, y = _data()
    pm = _model(2)
    tm = torch.nn.Sequential(torch.nn.Linear(6, 5), torch.nn.Tanh(), torch.nn.Linear(5, 3))
    tm.load_state_dict({k: torch.tensor(v.numpy()) for k, v in pm.state_dict().items()})
    pl = nn.functional.cross_entropy(pm(x), y) + lam * sum(p.abs().sum() for p in pm.parameters())
    tl = torch.nn.functional.cross_entropy(tm(torch.tensor(x.numpy())), torch.tensor(y.numpy())) \
        + lam * sum(p.abs().sum() for p in tm.parameters())
    pl.backward()
    tl.backward()
    np.testing.assert_allclose(pl.item(), tl.item(), rtol=1e-5)
    for pp, tp in zip(pm.parameters(), tm.parameters()):
        np.testing.assert_allclose(pp.grad.numpy(), tp.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_weight_decay_equals_explicit_l2_penalty():
    lam, lr = 0.1, 0.05
    x, y = _data()
    a, b = _model(3), _model(3)
    opt_a = pynet.optim.SGD(a.parameters(), lr=lr, weight_decay=lam)
    opt_b = pynet.optim.SGD(b.parameters(), lr=lr)
    for _ in range(20):
        opt_a.zero_grad()
        nn.functional.cross_entropy(a(x), y).backward()
        opt_a.step()
        opt_b.zero_grad()
        loss = nn.functional.cross_entropy(b(x), y)
        (loss + lam / 2 * sum((p * p).sum() for p in b.parameters())).backward()
        opt_b.step()
    for pa, pb in zip(a.parameters(), b.parameters()):
        np.testing.assert_allclose(pa.detach().numpy(), pb.detach().numpy(), rtol=1e-5, atol=1e-6)
    # and the decay really acted: without it the weights end elsewhere
    c = _model(3)
    opt_c = pynet.optim.SGD(c.parameters(), lr=lr)
    for _ in range(20):
        opt_c.zero_grad()
        nn.functional.cross_entropy(c(x), y).backward()
        opt_c.step()
    assert not np.allclose(next(a.parameters()).detach().numpy(),
                           next(c.parameters()).detach().numpy(), atol=1e-4)
