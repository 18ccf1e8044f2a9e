"""nn.Module, Parameter, Sequential/ModuleList/ModuleDict, state_dict, hooks, repr,
layer classes and their default initialisation — compared with torch.nn where it
is installed."""
import math
from collections import OrderedDict

import numpy as np
import pytest

import pynet
import pynet.nn as nn
import pynet.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 3)
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(3, 2)
        self.register_buffer("steps", pynet.zeros(()))
        self.scale = nn.Parameter(pynet.ones(1))

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x))) * self.scale


def test_attribute_assignment_registers_parameters_modules_buffers():
    net = Net()
    assert list(net._modules) == ["fc1", "act", "fc2"]
    assert list(net._parameters) == ["scale"]
    assert list(net._buffers) == ["steps"]
    names = [n for n, _ in net.named_parameters()]
    assert names == ["scale", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert [n for n, _ in net.named_buffers()] == ["steps"]
    assert [n for n, _ in net.named_children()] == ["fc1", "act", "fc2"]
    assert [n for n, _ in net.named_modules()] == ["", "fc1", "act", "fc2"]
    assert sum(p.numel() for p in net.parameters()) == 1 + 4 * 3 + 3 + 3 * 2 + 2


def test_parameter_order_matches_torch():
    torch = pytest.importorskip("torch")

    class T(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = torch.nn.Linear(4, 3)
            self.act = torch.nn.ReLU()
            self.fc2 = torch.nn.Linear(3, 2)
            self.register_buffer("steps", torch.zeros(()))
            self.scale = torch.nn.Parameter(torch.ones(1))

    assert [n for n, _ in Net().named_parameters()] == [n for n, _ in T().named_parameters()]
    assert list(Net().state_dict()) == list(T().state_dict())


def test_parameter_is_tensor_leaf_requiring_grad():
    p = nn.Parameter(pynet.randn(3))
    assert isinstance(p, pynet.Tensor) and isinstance(p, nn.Parameter)
    assert p.requires_grad and p.is_leaf
    q = nn.Parameter(pynet.randn(3), requires_grad=False)
    assert not q.requires_grad
    assert repr(p).startswith("Parameter containing:\ntensor(")


def test_assigning_plain_tensor_to_parameter_name_is_type_error():
    net = Net()
    with pytest.raises(TypeError):
        net.scale = pynet.ones(1)
    net.scale = None
    assert net.scale is None and "scale" in net._parameters


def test_forward_and_backward_reach_all_parameters():
    net = Net()
    out = net(pynet.randn(5, 4)).sum()
    out.backward()
    for name, p in net.named_parameters():
        assert p.grad is not None, name
        assert tuple(p.grad.shape) == tuple(p.shape)


def test_train_eval_and_zero_grad():
    net = Net()
    assert net.training and net.fc1.training
    net.eval()
    assert not net.training and not net.fc1.training
    net.train()
    assert net.fc2.training
    net(pynet.randn(2, 4)).sum().backward()
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    net(pynet.randn(2, 4)).sum().backward()
    net.zero_grad(set_to_none=False)
    assert all(p.grad is not None and float(p.grad.abs().sum()) == 0 for p in net.parameters())


def test_state_dict_round_trip_and_errors():
    a, b = Net(), Net()
    sd = a.state_dict()
    assert list(sd) == ["scale", "steps", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert all(not t.requires_grad for t in sd.values())
    b.load_state_dict(sd)
    x = pynet.randn(3, 4)
    np.testing.assert_array_equal(a(x).detach().numpy(), b(x).detach().numpy())
    bad = dict(sd)
    del bad["fc1.bias"]
    bad["extra.weight"] = pynet.zeros(1)
    with pytest.raises(RuntimeError) as e:
        b.load_state_dict(bad)
    assert '"fc1.bias"' in str(e.value) and '"extra.weight"' in str(e.value)
    res = b.load_state_dict(bad, strict=False)
    assert res.missing_keys == ["fc1.bias"] and res.unexpected_keys == ["extra.weight"]
    wrong = dict(sd)
    wrong["fc2.weight"] = pynet.zeros(5, 5)
    with pytest.raises(RuntimeError) as e:
        b.load_state_dict(wrong)
    assert "fc2.weight" in str(e.value) and "[5, 5]" in str(e.value) and "[2, 3]" in str(e.value)


def test_load_torch_state_dict_values():
    torch = pytest.importorskip("torch")
    tnet = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2))
    pnet = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    pnet.load_state_dict({k: pynet.tensor(v.numpy()) for k, v in tnet.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((6, 4)).astype(np.float32)
    np.testing.assert_allclose(pnet(pynet.tensor(x)).detach().numpy(),
                               tnet(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_sequential_indexing_slicing_append():
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert len(seq) == 3 and isinstance(seq[0], nn.Linear) and isinstance(seq[-1], nn.Linear)
    sub = seq[:2]
    assert isinstance(sub, nn.Sequential) and len(sub) == 2 and sub[0] is seq[0]
    seq.append(nn.Sigmoid())
    assert list(seq._modules) == ["0", "1", "2", "3"]
    out = seq(pynet.randn(4, 2))
    assert tuple(out.shape) == (4, 1) and float(out.min()) > 0 and float(out.max()) < 1
    with pytest.raises(IndexError):
        seq[10]
    od = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 2)), ("act", nn.Tanh())]))
    assert [n for n, _ in od.named_children()] == ["fc", "act"]
    assert od.fc is od[0]


def test_sequential_matches_manual_composition():
    seq = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    x = pynet.randn(5, 3)
    manual = seq[2](seq[1](seq[0](x)))
    np.testing.assert_array_equal(seq(x).detach().numpy(), manual.detach().numpy())


def test_modulelist_and_moduledict_register():
    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
            self.heads = nn.ModuleDict({"a": nn.Linear(2, 1), "b": nn.Linear(2, 3)})

    m = M()
    assert len(list(m.parameters())) == 3 * 2 + 2 * 2
    assert len(m.layers) == 3 and isinstance(m.layers[1], nn.Linear)
    m.layers.append(nn.Linear(2, 2))
    assert len(list(m.parameters())) == 4 * 2 + 2 * 2
    assert set(m.heads.keys()) == {"a", "b"}
    assert "layers.3.weight" in m.state_dict()


def test_forward_hooks_and_removal():
    lin = nn.Linear(2, 2)
    seen = []
    h = lin.register_forward_hook(lambda mod, args, out: seen.append(tuple(out.shape)))
    hp = lin.register_forward_pre_hook(lambda mod, args: (args[0] * 0,))
    out = lin(pynet.randn(3, 2))
    assert seen == [(3, 2)]
    np.testing.assert_allclose(out.detach().numpy(),
                               np.broadcast_to(lin.bias.detach().numpy(), (3, 2)), rtol=1e-6)
    h.remove()
    hp.remove()
    lin(pynet.randn(1, 2))
    assert seen == [(3, 2)]


def test_missing_forward_raises():
    class NoForward(nn.Module):
        pass

    with pytest.raises(NotImplementedError):
        NoForward()(pynet.zeros(1))


def test_repr_matches_torch():
    torch = pytest.importorskip("torch")
    p = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Dropout(0.2), nn.Linear(3, 2, bias=False))
    t = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Dropout(0.2),
                            torch.nn.Linear(3, 2, bias=False))
    assert repr(p) == repr(t)


def test_apply_requires_grad_and_to_double():
    net = Net()
    visited = []
    net.apply(lambda m: visited.append(type(m).__name__))
    assert visited == ["Linear", "ReLU", "Linear", "Net"]
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())
    net.requires_grad_(True).double()
    assert all(p.dtype == pynet.float64 and isinstance(p, nn.Parameter) and p.requires_grad
               for p in net.parameters())
    assert net.steps.dtype == pynet.float64
    assert net(pynet.randn(2, 4, dtype=pynet.float64)).dtype == pynet.float64


def test_linear_default_init_distribution():
    # PyTorch: weight and bias uniform in [-1/sqrt(in), 1/sqrt(in)]
    pynet.manual_seed(0)
    lin = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    w = lin.weight.detach().numpy()
    assert w.min() >= -bound and w.max() <= bound
    # a uniform(-b, b) has std b/sqrt(3); 120000 samples: relative std error ~0.2%
    assert abs(w.std() / (bound / math.sqrt(3)) - 1) < 0.01
    assert abs(w.mean()) < 5 * (bound / math.sqrt(3)) / math.sqrt(w.size)
    b = lin.bias.detach().numpy()
    assert b.min() >= -bound and b.max() <= bound


def test_linear_wrong_features_names_sizes():
    lin = nn.Linear(10, 5)
    with pytest.raises(RuntimeError) as e:
        lin(pynet.randn(4, 7))
    assert "10" in str(e.value) and "7" in str(e.value)


def test_summary_table():
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    text = pynet.summary(model, (1, 1, 28, 28), print_fn=None)
    assert "Linear-2" in text and "[1, 256]" in text and "[1, 10]" in text
    assert "Total params: 203,530" in text  # 784*256+256 + 256*10+10


def test_maxout_groups_features():
    x = pynet.tensor([[1.0, 5.0, 2.0, -1.0, 0.5, 0.25]])
    out = nn.Maxout(2)(x)
    np.testing.assert_array_equal(out.numpy(), [[5.0, 2.0, 0.5]])
    out3 = nn.Maxout(3)(x)
    np.testing.assert_array_equal(out3.numpy(), [[5.0, 0.5]])
    with pytest.raises(RuntimeError):
        nn.Maxout(4)(x)


def test_dropout_train_eval():
    d = nn.Dropout(0.5)
    x = pynet.ones(1000)
    y = d(x)
    kept = y.numpy() != 0
    assert set(np.unique(y.numpy())) <= {0.0, 2.0}
    assert 400 < kept.sum() < 600
    d.eval()
    np.testing.assert_array_equal(d(x).numpy(), x.numpy())
    with pytest.raises(ValueError):
        nn.Dropout(1.5)


def test_batchnorm1d_running_stats_match_torch():
    torch = pytest.importorskip("torch")
    pb, tb = nn.BatchNorm1d(3), torch.nn.BatchNorm1d(3)
    rng = np.random.default_rng(1)
    for _ in range(4):
        x = rng.standard_normal((8, 3)).astype(np.float32) * 3 + 1
        po, to = pb(pynet.tensor(x)), tb(torch.tensor(x))
        np.testing.assert_allclose(po.detach().numpy(), to.detach().numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(pb.running_mean.numpy(), tb.running_mean.numpy(), rtol=1e-5)
    np.testing.assert_allclose(pb.running_var.numpy(), tb.running_var.numpy(), rtol=1e-5)
    assert int(pb.num_batches_tracked.item()) == 4
    pb.eval(), tb.eval()
    x = rng.standard_normal((5, 3)).astype(np.float32)
    np.testing.assert_allclose(pb(pynet.tensor(x)).detach().numpy(),
                               tb(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_layers_match_torch_with_copied_weights():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    pairs = [
        (nn.Linear(5, 4), torch.nn.Linear(5, 4)),
        (nn.LayerNorm(5), torch.nn.LayerNorm(5)),
        (nn.PReLU(), torch.nn.PReLU()),
        (nn.LeakyReLU(0.2), torch.nn.LeakyReLU(0.2)),
        (nn.ELU(), torch.nn.ELU()),
        (nn.GELU(), torch.nn.GELU()),
        (nn.Softplus(), torch.nn.Softplus()),
        (nn.Softmax(dim=1), torch.nn.Softmax(dim=1)),
        (nn.LogSoftmax(dim=1), torch.nn.LogSoftmax(dim=1)),
        (nn.Sigmoid(), torch.nn.Sigmoid()),
        (nn.Tanh(), torch.nn.Tanh()),
        (nn.Flatten(), torch.nn.Flatten()),
        (nn.Identity(), torch.nn.Identity()),
    ]
    for p, t in pairs:
        p.load_state_dict({k: pynet.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
        x = rng.standard_normal((3, 5)).astype(np.float32)
        px, tx = pynet.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        po, to = p(px), t(tx)
        np.testing.assert_allclose(po.detach().numpy(), to.detach().numpy(), rtol=1e-5,
                                   atol=1e-6, err_msg=type(p).__name__)
        w = rng.standard_normal(to.shape).astype(np.float32)
        (po * pynet.tensor(w)).sum().backward()
        (to * torch.tensor(w)).sum().backward()
        np.testing.assert_allclose(px.grad.numpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-6,
                                   err_msg=type(p).__name__)
        for (n, pp), (_, tp) in zip(p.named_parameters(), t.named_parameters()):
            np.testing.assert_allclose(pp.grad.numpy(), tp.grad.numpy(), rtol=1e-5, atol=1e-5,
                                       err_msg=f"{type(p).__name__}.{n}")


def test_embedding_padding_idx():
    emb = nn.Embedding(5, 3, padding_idx=0)
    np.testing.assert_array_equal(emb.weight[0].detach().numpy(), np.zeros(3))
    out = emb(pynet.tensor([[0, 2], [4, 0]]))
    assert tuple(out.shape) == (2, 2, 3)
    out.sum().backward()
    np.testing.assert_array_equal(emb.weight.grad[0].numpy(), np.zeros(3))
    np.testing.assert_array_equal(emb.weight.grad[2].numpy(), np.ones(3))


def test_losses_match_functional():
    x = pynet.randn(4, 3, requires_grad=True)
    y = pynet.tensor([0, 2, 1, 2])
    np.testing.assert_allclose(nn.CrossEntropyLoss()(x, y).item(), F.cross_entropy(x, y).item())
    t = pynet.randn(4, 3)
    np.testing.assert_allclose(nn.MSELoss(reduction="sum")(x, t).item(),
                               ((x - t) ** 2).sum().item(), rtol=1e-5)
    with pytest.raises(ValueError):
        nn.MSELoss(reduction="avg")


# issue #9 High 2: forward hooks run from a snapshot taken when the call starts. A hook
# that registers a hook must not hang (the new one runs from the next call), and a hook
# that removes itself must not make its neighbour silently not run.
def _hook_registers_hook(L, kind):
    lin = L.nn.Linear(2, 2)
    calls = []
    register = lin.register_forward_hook if kind == "post" else lin.register_forward_pre_hook

    def hk(*args):
        calls.append(len(calls))
        if len(calls) < 100:  # bounded: a live walk of the hook dict would never end
            register(hk)

    register(hk)
    lin(L.ones(1, 2))
    first = len(calls)
    lin(L.ones(1, 2))
    return first, len(calls)


def _hook_removes_itself(L, kind):
    lin = L.nn.Linear(2, 2)
    calls, handles = [], {}
    register = lin.register_forward_hook if kind == "post" else lin.register_forward_pre_hook

    def a(*args):
        calls.append("a")
        handles["a"].remove()

    handles["a"] = register(a)
    register(lambda *args: calls.append("b"))
    lin(L.ones(1, 2))
    lin(L.ones(1, 2))
    return calls


@pytest.mark.parametrize("kind", ["pre", "post"])
def test_forward_hook_registering_a_hook_runs_it_from_the_next_call(kind):
    assert _hook_registers_hook(pynet, kind) == (1, 3)


@pytest.mark.parametrize("kind", ["pre", "post"])
def test_forward_hook_removing_itself_does_not_skip_the_next(kind):
    assert _hook_removes_itself(pynet, kind) == ["a", "b", "b"]


@pytest.mark.parametrize("kind", ["pre", "post"])
def test_forward_hook_mutation_during_call_matches_torch(kind, need_torch):
    assert _hook_registers_hook(pynet, kind) == _hook_registers_hook(need_torch, kind)
    assert _hook_removes_itself(pynet, kind) == _hook_removes_itself(need_torch, kind)


# issue #9 Medium 15: Linear's node lists its inputs in PyTorch's order: AddmmBackward0
# (bias, input, weight), MmBackward0 (input, weight) without bias.
def test_linear_grad_fn_next_functions_in_torch_order():
    lin = nn.Linear(3, 2)
    x = pynet.ones(4, 3, requires_grad=True)
    y = lin(x)
    assert y.grad_fn.name() == "AddmmBackward0"
    assert [f.variable for f, _ in y.grad_fn.next_functions] == [lin.bias, x, lin.weight]
    y.sum().backward()                           # gradients still land where they belong
    assert lin.bias.grad.tolist() == [4.0, 4.0] and x.grad.shape == (4, 3)
    assert lin.weight.grad.tolist() == [[4.0] * 3] * 2
    y = nn.Linear(3, 2, bias=False)(x)
    assert y.grad_fn.name() == "MmBackward0" and len(y.grad_fn.next_functions) == 2
    assert y.grad_fn.next_functions[0][0].variable is x
    assert lin(pynet.ones(4, 3)).grad_fn.next_functions[1][0] is None  # input without grad


def test_linear_grad_fn_next_functions_match_torch(need_torch):
    def layout(L):
        lin = L.nn.Linear(3, 2)
        x = L.ones(4, 3, requires_grad=True)
        nf = lin(x).grad_fn.next_functions
        return lin(x).grad_fn.name(), nf[0][0].variable is lin.bias, nf[1][0].variable is x

    assert layout(pynet) == layout(need_torch)


# issue #9 Medium 12: copy.deepcopy / copy.copy / pickle of Modules (EMA and teacher models,
# "keep the best model" snapshots), keeping shared and tied parameters shared.
class _Tied(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = nn.Linear(3, 3)
        self.dec = nn.Linear(3, 3)
        self.dec.weight = self.enc.weight        # tied
        self.register_buffer("steps", pynet.zeros(1))
        self.note = "kept"

    def forward(self, x):
        return self.dec(self.enc(x).relu())


@pytest.mark.parametrize("how", ["deepcopy", "pickle"])
def test_module_deepcopy_and_pickle_are_independent_and_keep_ties(how):
    import copy
    import pickle

    m = _Tied()
    m.eval()
    c = copy.deepcopy(m) if how == "deepcopy" else pickle.loads(pickle.dumps(m))
    x = pynet.ones(2, 3)
    assert type(c) is _Tied and not c.training and c.note == "kept"
    assert [n for n, _ in c.named_parameters()] == [n for n, _ in m.named_parameters()]
    assert c.dec.weight is c.enc.weight and c.enc.weight is not m.enc.weight
    assert c(x).tolist() == m(x).tolist()
    with pynet.no_grad():
        c.enc.weight.add_(1.0)
        c.steps += 1
    assert m.enc.weight.tolist() != c.enc.weight.tolist() and m.steps.item() == 0.0
    assert c.steps.item() == 1.0 and "steps" in dict(c.named_buffers())


def test_module_shallow_copy_shares_parameters():
    import copy

    m = _Tied()
    c = copy.copy(m)
    assert c.enc is m.enc and c.enc.weight is m.enc.weight
    c.extra = nn.Linear(1, 1)                    # registries are the copy's own
    assert "extra" not in dict(m.named_children())


def test_module_deepcopy_matches_torch_semantics(need_torch):
    import copy

    def run(L):
        enc = L.nn.Linear(2, 2)
        m = L.nn.Sequential(enc, L.nn.ReLU(), L.nn.Linear(2, 2))
        m[2].weight = enc.weight
        c = copy.deepcopy(m)
        return c[2].weight is c[0].weight, c[0].weight is enc.weight, len(list(c.parameters()))

    assert run(pynet) == run(need_torch)
