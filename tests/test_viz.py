"""pynet.viz: the autograd graph as SVG, the Recorder's statistics, confusion_matrix, and the
plotting functions (those only where matplotlib is installed, skipped test by test), plus
pynet.summary on conv and recurrent models."""
import collections
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import pynet
import pynet.nn as nn
from pynet import viz

SVG_NS = "{http://www.w3.org/2000/svg}"


def node_texts(svg):
    """[[line, line, ...] per node box] from draw_graph's SVG (parsed, so it must be well-formed)."""
    root = ET.fromstring(svg)
    assert root.tag == SVG_NS + "svg"
    return [[t.text for t in g.iter(SVG_NS + "text")]
            for g in root.iter(SVG_NS + "g") if g.get("class") == "node"]


def test_draw_graph_nodes_of_a_known_graph():
    w = pynet.tensor([1.0, 2.0], requires_grad=True)
    x = pynet.tensor([3.0, 4.0], requires_grad=True)
    b = pynet.tensor([0.5, -1.0], requires_grad=True)
    out = (w * x + b).sum()
    svg = viz.draw_graph(out)
    assert isinstance(svg, str) and svg._repr_svg_() == str(svg)
    names = collections.Counter(lines[0] for lines in node_texts(svg))
    assert names == {"SumBackward0": 1, "AddBackward0": 1, "MulBackward0": 1, "AccumulateGrad": 3}
    root = ET.fromstring(svg)
    assert len([e for e in root.iter(SVG_NS + "line") if e.get("class") == "edge"]) == 5
    # leaves show their shape and value; no gradient before backward
    leaves = [lines for lines in node_texts(svg) if lines[0] == "AccumulateGrad"]
    assert all("leaf [2]" in lines for lines in leaves)
    assert sorted(lines[2] for lines in leaves) == ["value [0.5, -1]", "value [1, 2]", "value [3, 4]"]
    assert not any(line.startswith("grad") for lines in leaves for line in lines)
    # the output's node shows its value: 3 + 8 + 0.5 - 1
    (sum_node,) = [lines for lines in node_texts(svg) if lines[0] == "SumBackward0"]
    assert "value 10.5" in sum_node


def test_draw_graph_values_and_grads_after_backward(tmp_path):
    # the course's compute graph: x = 2, y = 2, w = 2, b = 1
    x, y = pynet.tensor(2.0), pynet.tensor(2.0)
    w = pynet.tensor(2.0, requires_grad=True)
    b = pynet.tensor(1.0, requires_grad=True)
    o = w * x + b
    o.retain_grad()
    L = 0.5 * (o - y) ** 2
    L.backward()
    path = tmp_path / "graph.svg"
    svg = viz.draw_graph(L, path=str(path), names={"w": w, "b": b, "o": o, "L": L})
    assert path.read_text() == svg
    nodes = {lines[0]: lines[1:] for lines in node_texts(svg)}
    assert nodes["w: AccumulateGrad"] == ["leaf []", "value 2", "grad 6"]
    assert nodes["b: AccumulateGrad"] == ["leaf []", "value 1", "grad 3"]
    assert nodes["o: AddBackward0"] == ["shape []", "value 5", "grad 3"]
    assert nodes["L: MulBackward0"] == ["shape []", "value 4.5"]


def test_draw_graph_layout_puts_inputs_above_consumers():
    a = pynet.randn(3, requires_grad=True)
    out = (a.exp() * a).sin().mean()
    root = ET.fromstring(viz.draw_graph(out))
    ys = {}
    for g in root.iter(SVG_NS + "g"):
        rect = g.find(SVG_NS + "rect")
        ys[next(g.iter(SVG_NS + "text")).text] = float(rect.get("y"))
    assert ys["AccumulateGrad"] < ys["ExpBackward0"] < ys["MulBackward0"] < ys["SinBackward0"] \
        < ys["MeanBackward0"]
    for e in root.iter(SVG_NS + "line"):  # every arrow points down, from an input to its consumer
        assert float(e.get("y2")) > float(e.get("y1"))


def test_draw_graph_big_tensors_show_no_values_and_no_graph_is_said():
    w = pynet.randn(3, 3, requires_grad=True)
    svg = viz.draw_graph((w @ w).sum())
    lines = [line for node in node_texts(svg) for line in node]
    assert "leaf [3, 3]" in lines
    assert not any(line.startswith("value [") for line in lines)
    assert "no grad_fn" in viz.draw_graph(pynet.ones(2))
    leaf = pynet.tensor([1.0, 2.0], requires_grad=True)
    (leaf * 3).sum().backward()
    text = ET.fromstring(viz.draw_graph(leaf)).find(SVG_NS + "text").text
    assert text == "a leaf tensor, shape [2], value [1, 2], grad [3, 3] (no grad_fn)"


def test_draw_graph_escapes_names():
    w = pynet.tensor(1.0, requires_grad=True)
    svg = viz.draw_graph(w * 2, names={"<w & co>": w})
    assert "<w & co>: AccumulateGrad" in [n[0] for n in node_texts(svg)]


def _mlp():
    pynet.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 5), nn.Sigmoid(), nn.Linear(5, 3), nn.Tanh(),
                         nn.Linear(3, 2), nn.ReLU())


def test_recorder_statistics_equal_direct_computation():
    model = _mlp()
    seen = collections.defaultdict(list)  # the same activations, captured independently
    handles = [m.register_forward_hook(
        lambda mod, args, out, i=i: seen[i].append(out.detach().numpy().astype(np.float64).copy()))
        for i, m in enumerate(model)]
    rec = viz.Recorder(model)
    assert rec.layers == ["0:Linear", "1:Sigmoid", "2:Linear", "3:Tanh", "4:Linear", "5:ReLU"]
    grads = collections.defaultdict(list)
    for step in range(3):
        x = pynet.randn(8, 4) * (1 + 3 * step)  # larger inputs saturate more
        model.zero_grad()
        model(x).pow(2).sum().backward()
        for i in (0, 2, 4):
            grads[i].append(float(np.linalg.norm(model[i].weight.grad.numpy().astype(np.float64))))
    h = rec.history
    for i, layer in enumerate(rec.layers):
        acts = seen[i]
        np.testing.assert_allclose(h[f"{layer}/mean"], [a.mean() for a in acts], rtol=1e-12)
        np.testing.assert_allclose(h[f"{layer}/std"], [a.std() for a in acts], rtol=1e-12)
    np.testing.assert_allclose(h["1:Sigmoid/saturated"],
                               [np.mean((a < 0.01) | (a > 0.99)) for a in seen[1]])
    np.testing.assert_allclose(h["3:Tanh/saturated"], [np.mean(np.abs(a) > 0.99) for a in seen[3]])
    np.testing.assert_allclose(h["5:ReLU/zero"], [np.mean(a == 0) for a in seen[5]])
    assert max(h["1:Sigmoid/saturated"]) > 0  # the test would not notice a constant 0 otherwise
    for i in (0, 2, 4):
        np.testing.assert_allclose(h[f"{i}:Linear/grad_norm"], grads[i], rtol=1e-6)
    assert "1:Sigmoid/grad_norm" not in h and "0:Linear/saturated" not in h
    for hd in handles:
        hd.remove()


def test_recorder_skips_no_grad_and_remove_stops_recording():
    model = _mlp()
    rec = viz.Recorder(model)
    with pynet.no_grad():
        model(pynet.randn(2, 4))
    assert rec.history["0:Linear/mean"] == []
    model(pynet.randn(2, 4)).sum().backward()
    assert len(rec.history["0:Linear/mean"]) == 1 and len(rec.history["0:Linear/grad_norm"]) == 1
    rec.remove()
    model(pynet.randn(2, 4)).sum().backward()
    assert len(rec.history["0:Linear/mean"]) == 1 and len(rec.history["0:Linear/grad_norm"]) == 1
    with viz.Recorder(model) as rec2:
        model(pynet.randn(2, 4))
    model(pynet.randn(2, 4))
    assert len(rec2.history["5:ReLU/mean"]) == 1
    assert "6 layers" in repr(rec2)


def test_recorder_on_a_recurrent_layer_uses_the_output_sequence():
    pynet.manual_seed(1)
    lstm = nn.LSTM(3, 4)
    rec = viz.Recorder(lstm)
    x = pynet.randn(5, 2, 3)
    out, _ = lstm(x)
    np.testing.assert_allclose(rec.history["LSTM/mean"], [out.detach().numpy().astype(np.float64).mean()])


def test_recorder_records_a_diverging_network_quietly():
    """Activations that overflow to inf (a diverging network) are recorded as inf/nan,
    without NumPy's overflow/invalid-value warnings."""
    import warnings

    model = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
    with pynet.no_grad():
        model[0].weight.fill_(1e38)
    rec = viz.Recorder(model)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model(pynet.full((3, 2), 1e38, dtype=pynet.float64)
              .float().requires_grad_()).sum().backward()
    mean, std = rec.history["1:ReLU/mean"][0], rec.history["1:ReLU/std"][0]
    assert mean == float("inf") and np.isnan(std)


def test_confusion_matrix_against_numpy():
    rng = np.random.default_rng(0)
    t = rng.integers(0, 4, 200)
    p = np.where(rng.random(200) < 0.7, t, rng.integers(0, 4, 200))
    cm = viz.confusion_matrix(pynet.tensor(p), pynet.tensor(t), 4)
    ref = np.zeros((4, 4), np.int64)
    for ti, pi in zip(t, p):
        ref[ti, pi] += 1
    assert isinstance(cm, pynet.Tensor) and cm.dtype == pynet.int64 and tuple(cm.shape) == (4, 4)
    np.testing.assert_array_equal(cm.numpy(), ref)
    # scores: the argmax of each row is the prediction
    scores = np.eye(4)[p] + 0.1 * rng.random((200, 4))
    np.testing.assert_array_equal(viz.confusion_matrix(pynet.tensor(scores), t, 4).numpy(), ref)
    # rows are true classes, columns predictions
    np.testing.assert_array_equal(viz.confusion_matrix([1, 1], [0, 0], 2).numpy(), [[0, 2], [0, 0]])
    with pytest.raises(ValueError):
        viz.confusion_matrix([0, 3], [0, 1], 3)
    with pytest.raises(ValueError):
        viz.confusion_matrix([0, 1, 1], [0, 1], 2)


def test_plots_without_matplotlib_raise_a_clear_error(monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    assert viz.have_matplotlib() is False
    with pytest.raises(ImportError, match="pip install matplotlib"):
        viz.plot_history({"loss": [1, 0.5]})
    with pytest.raises(ImportError, match="pip install matplotlib"):
        viz.Recorder(nn.Linear(2, 2)).plot()
    # the rest of pynet.viz needs no matplotlib
    assert "AccumulateGrad" in viz.draw_graph(pynet.ones(2, requires_grad=True).sum())


def _agg():
    """matplotlib.pyplot on the off-screen backend, or skip this test (matplotlib is optional)."""
    try:
        import matplotlib as mpl
    except ImportError as e:  # absent, or hidden (then not a ModuleNotFoundError)
        pytest.skip(f"matplotlib is not importable: {e}")
    mpl.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def test_plot_history_and_recorder_plot():
    plt = _agg()
    import matplotlib.colors as mpl_colors
    fig = viz.plot_history({"train": [3, 2, 1], "test": [4, 3, 2.5]}, keys=["test"], logy=True)
    (line,) = fig.axes[0].get_lines()
    assert list(line.get_ydata()) == [4, 3, 2.5]
    model = _mlp()
    rec = viz.Recorder(model)
    for _ in range(2):
        model(pynet.randn(4, 4)).sum().backward()
    fig2 = rec.plot()
    assert [ax.get_title() for ax in fig2.axes] == ["mean", "std", "saturated", "zero", "grad_norm"]
    assert len(fig2.axes[0].get_lines()) == 6 and len(fig2.axes[4].get_lines()) == 3
    np.testing.assert_allclose(fig2.axes[4].get_lines()[1].get_ydata(), rec.history["2:Linear/grad_norm"])
    colour = {ln.get_label(): ln.get_color() for ln in fig2.axes[0].get_lines()}
    assert all(ln.get_color() == colour[ln.get_label()] for ax in fig2.axes for ln in ax.get_lines())
    # more layers than the 10 default colours: still one distinct colour per layer
    deep = nn.Sequential(*[nn.Linear(3, 3) for _ in range(14)])
    rec3 = viz.Recorder(deep)
    deep(pynet.randn(2, 3)).sum().backward()
    colours = [tuple(np.round(mpl_colors.to_rgba(ln.get_color()), 6))
               for ln in rec3.plot(stats=("mean",)).axes[0].get_lines()]
    assert len(colours) == 14 and len(set(colours)) == 14
    plt.close("all")


def test_plot_confusion_matrix_and_show_images():
    plt = _agg()
    cm = viz.confusion_matrix([0, 1, 1, 2], [0, 1, 2, 2], 3)
    fig = viz.plot_confusion_matrix(cm)
    assert sorted(t.get_text() for t in fig.axes[0].texts) == sorted("100010011")
    np.testing.assert_array_equal(fig.axes[0].images[0].get_array(), cm.numpy())
    imgs = pynet.rand(10, 1, 8, 8)
    fig = viz.show_images(imgs, labels=list(range(10)), nrow=4)
    assert len(fig.axes) == 12 and sum(len(ax.images) for ax in fig.axes) == 10
    assert fig.axes[9].get_title() == "9"
    plt.close("all")


def test_plot_decision_boundary_and_loss_surface():
    plt = _agg()
    x = pynet.tensor([[0.0, 0.0], [1.0, 1.0]])

    class Right(nn.Module):  # class 1 right of x0 = 0.5
        def forward(self, inp):
            return (inp[:, 0] - 0.5).sigmoid()

    fig = viz.plot_decision_boundary(Right(), x, pynet.tensor([0, 1]), resolution=50)
    assert len(fig.axes[0].collections) >= 2
    fig = viz.plot_loss_surface(lambda a, b: (a - 1) ** 2 + 10 * b ** 2, (-2, 2), (-1, 1),
                                paths={"gd": [(-1.5, 0.5), (0.0, 0.1), (1.0, 0.0)]})
    (path_line,) = fig.axes[0].get_lines()
    assert list(path_line.get_xdata()) == [-1.5, 0.0, 1.0]
    assert fig.axes[0].get_legend().get_texts()[0].get_text() == "gd"
    plt.close("all")


# --- pynet.summary on conv and recurrent models ----------------------------------------------------
def test_summary_conv_model():
    m = nn.Sequential(nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                      nn.Linear(6 * 12 * 12, 10))
    text = pynet.summary(m, (1, 1, 28, 28), print_fn=None)
    assert "[1, 6, 24, 24]" in text and "[1, 6, 12, 12]" in text and "[1, 864]" in text
    assert "156" in text and "8,650" in text and "Total params: 8,806" in text


def test_summary_recurrent_models_show_every_output_shape():
    text = pynet.summary(nn.LSTM(3, 4, num_layers=2), (5, 2, 3), print_fn=None)
    assert "[5, 2, 4], ([2, 2, 4], [2, 2, 4])" in text
    assert f"Total params: {sum(p.numel() for p in nn.LSTM(3, 4, num_layers=2).parameters())}" in text

    class Tagger(nn.Module):
        def __init__(self):
            super().__init__()
            self.gru = nn.GRU(3, 4, batch_first=True)
            self.head = nn.Linear(4, 2)

        def forward(self, x):
            out, _ = self.gru(x)
            return self.head(out)

    text = pynet.summary(Tagger(), (2, 5, 3), print_fn=None)
    assert "GRU-1" in text and "[2, 5, 4], [1, 2, 4]" in text and "Linear-2" in text
    assert "[2, 5, 2]" in text


def test_summary_counts_modules_owning_parameters():
    mha = nn.MultiheadAttention(8, 2)

    class Wrap(nn.Module):
        def __init__(self):
            super().__init__()
            self.mha = mha

        def forward(self, x):
            return self.mha(x, x, x, need_weights=False)[0]

    text = pynet.summary(Wrap(), (4, 1, 8), print_fn=None)
    own = sum(p.numel() for p in mha.parameters(recurse=False))  # in_proj weight and bias: 216
    rows = {line.split()[0].split("-")[0]: line.split()[-1] for line in text.splitlines()
            if "-" in line.split()[0] if line.split() and not line.startswith("-")}
    assert rows["MultiheadAttention"] == f"{own:,}" and rows["Linear"] == "72"
    assert "[4, 1, 8], None" in text and "Total params: 288" in text


def test_draw_graph_shared_input_is_one_node_with_an_edge_per_use():
    a = pynet.tensor([0.5, 1.0], requires_grad=True)
    out = (a * a + a.exp()).sum()
    svg = viz.draw_graph(out)
    names = collections.Counter(lines[0] for lines in node_texts(svg))
    assert names == {"SumBackward0": 1, "AddBackward0": 1, "MulBackward0": 1, "ExpBackward0": 1,
                     "AccumulateGrad": 1}
    root = ET.fromstring(svg)
    # Sum<-Add, Add<-Mul, Add<-Exp, Mul<-a twice (a * a), Exp<-a
    assert len([e for e in root.iter(SVG_NS + "line") if e.get("class") == "edge"]) == 6
    ys = {next(g.iter(SVG_NS + "text")).text: float(g.find(SVG_NS + "rect").get("y"))
          for g in root.iter(SVG_NS + "g")}
    assert ys["AccumulateGrad"] < min(ys["MulBackward0"], ys["ExpBackward0"])


def test_draw_graph_of_a_deep_model_stays_layered():
    layers = []
    for _ in range(20):
        layers += [nn.Linear(3, 3), nn.Tanh()]
    svg = viz.draw_graph(nn.Sequential(*layers)(pynet.randn(2, 3)).sum())
    names = collections.Counter(lines[0] for lines in node_texts(svg))
    assert names["AddmmBackward0"] == 20 and names["TanhBackward0"] == 20
    assert names["AccumulateGrad"] == 40
    root = ET.fromstring(svg)
    assert all(float(e.get("y2")) > float(e.get("y1")) for e in root.iter(SVG_NS + "line"))
