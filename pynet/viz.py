"""pynet.viz: teaching instruments for notebooks.

- `draw_graph(tensor)`: the autograd graph as SVG (rendered inline in Jupyter), laid out by
  pynet itself, with values and gradients of small tensors. Needs nothing but pynet.
- `Recorder(model)`: per-layer activation statistics and gradient norms recorded through hooks.
- `confusion_matrix(preds, targets, num_classes)`: a pynet int64 tensor. Needs nothing but pynet.
- `plot_history`, `plot_confusion_matrix`, `show_images`, `plot_decision_boundary`,
  `plot_loss_surface`, `Recorder.plot`: matplotlib figures. matplotlib is optional: it is
  imported only when a plot is asked for (`pip install matplotlib`); `have_matplotlib()` tells
  whether plots are available.
"""
import math
from collections import defaultdict
from xml.sax.saxutils import escape

import numpy as np

from . import _C
from ._creation import tensor as _tensor

__all__ = ["draw_graph", "GraphSVG", "Recorder", "confusion_matrix", "plot_confusion_matrix",
           "plot_history", "show_images", "plot_decision_boundary", "plot_loss_surface",
           "have_matplotlib"]


# --------------------------------------------------------------------------------------
# matplotlib, lazily
# --------------------------------------------------------------------------------------
def have_matplotlib():
    """True when matplotlib can be imported (the plotting functions need it)."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def _plt(what):
    """matplotlib.pyplot, or an ImportError that says how to get it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as e:
        raise ImportError(f"pynet.viz.{what} draws with matplotlib, which is not installed: "
                          f"pip install matplotlib") from e
    return plt


def _np(t):
    """A float or integer NumPy array from a pynet tensor, NumPy array or sequence."""
    if hasattr(t, "detach") and hasattr(t, "numpy"):
        return np.asarray(t.detach().numpy(force=True))
    return np.asarray(t)


# --------------------------------------------------------------------------------------
# draw_graph
# --------------------------------------------------------------------------------------
class GraphSVG(str):
    """SVG text of a drawn graph: a str that Jupyter renders as an image (`_repr_svg_`)."""

    def _repr_svg_(self):
        return str(self)

    def __repr__(self):
        return f"<pynet.viz.GraphSVG: {len(self)} characters of SVG>"


def _fmt_values(t, max_elements):
    """'5' or '[1, 0.5]' for a tensor of at most max_elements elements, else None."""
    if t is None or t.numel() > max_elements:
        return None
    a = _np(t)
    if a.dtype == bool:
        return str(a.tolist())

    def num(v):
        return f"{v:.4g}" if isinstance(v, float) else str(v)

    if a.ndim == 0:
        return num(a.item())

    def rec(x):
        return "[" + ", ".join(rec(v) if isinstance(v, list) else num(v) for v in x) + "]"
    return rec(a.tolist())


def _grad_of(t):
    """t.grad without the warning some frameworks give for non-leaf tensors."""
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return t.grad
        except Exception:  # pragma: no cover - a tensor without grad access
            return None


def draw_graph(tensor, path=None, names=None, max_elements=6):
    """Draw the autograd graph that produced `tensor` as SVG.

    Walks `tensor.grad_fn` and its `next_functions` back to the leaves (`AccumulateGrad`
    nodes, whose `.variable` is the leaf tensor). Each node is labelled with its op name
    (e.g. MulBackward0); leaves also with their shape. Tensors with at most `max_elements`
    elements show their value and, once backward has run, their gradient: the leaves, the
    output `tensor` (at its grad_fn node), and any tensor given in `names`.

    names: optional dict {label: tensor} to name tensors in the picture: a leaf by its
        AccumulateGrad node, any other tensor by its grad_fn node (call `retain_grad()` on
        it before backward to see its gradient).
    path: if given, the SVG is also written to this file.

    Returns a GraphSVG (a str holding the SVG document) that Jupyter displays inline.
    The layout is layered by depth (longest path from the output; leaves at the top, the
    output at the bottom), computed here: no Graphviz needed.
    """
    root = getattr(tensor, "grad_fn", None)
    named = {}  # node -> (label, tensor)
    for label, t in (names or {}).items():
        node = t.grad_fn
        if node is None:
            named[("leaf", id(t))] = (label, t)
        else:
            named[node] = (label, t)

    # collect nodes (in discovery order) and edges child -> parent (input -> consumer)
    nodes, index, edges = [], {}, []
    if root is not None:
        stack = [root]
        index[root] = 0
        nodes.append(root)
        order = 0
        while order < len(nodes):
            node = nodes[order]
            order += 1
            for nxt, _ in node.next_functions:
                if nxt is None:
                    continue
                if nxt not in index:
                    index[nxt] = len(nodes)
                    nodes.append(nxt)
                edges.append((index[nxt], index[node]))
        del stack

    # depth = longest path from the root (so every edge goes from a deeper to a shallower layer)
    n = len(nodes)
    depth = [0] * n
    parents_of = defaultdict(list)   # input -> consumers
    children_of = defaultdict(list)  # consumer -> inputs
    for c, p in edges:
        parents_of[c].append(p)
        children_of[p].append(c)
    # topological order from the root: a node after all of its consumers
    indeg = [len(set(parents_of[i])) for i in range(n)]
    ready = [i for i in range(n) if indeg[i] == 0]
    topo = []
    seen_edges = set()
    while ready:
        i = ready.pop(0)
        topo.append(i)
        for c in children_of[i]:
            if (c, i) in seen_edges:
                continue
            seen_edges.add((c, i))
            depth[c] = max(depth[c], depth[i] + 1)
            indeg[c] -= 1
            if indeg[c] == 0:
                ready.append(c)

    # labels
    labels = []
    for node in nodes:
        lines = [node.name()]
        var = getattr(node, "variable", None)
        show = None
        if var is not None:
            lines.append("leaf " + str(list(var.shape)))
            key = ("leaf", id(var))
            if key in named:
                lines[0] = f"{named[key][0]}: {lines[0]}"
            show = var
        if node in named:
            lines[0] = f"{named[node][0]}: {lines[0]}"
            show = named[node][1]
        elif node is root and show is None:
            show = tensor
        if show is not None:
            if show is not var:
                lines.append("shape " + str(list(show.shape)))
            v = _fmt_values(show, max_elements)
            if v is not None:
                lines.append("value " + v)
            g = _grad_of(show)
            gv = _fmt_values(g, max_elements) if g is not None else None
            if gv is not None:
                lines.append("grad " + gv)
        labels.append(lines)

    # geometry
    char_w, line_h, pad, gap_x, gap_y = 7.2, 15, 8, 24, 46
    widths = [max(len(s) for s in ls) * char_w + 2 * pad for ls in labels]
    heights = [len(ls) * line_h + pad for ls in labels]
    max_depth = max(depth) if n else 0
    layers = defaultdict(list)
    for i in range(n):
        layers[depth[i]].append(i)
    # order each layer by the mean position of its consumers (one barycentre sweep)
    pos = {}
    for d in range(max_depth + 1 if n else 0):
        layer = layers[d]
        if d > 0:
            layer.sort(key=lambda i: (sum(pos[p] for p in parents_of[i]) / len(parents_of[i])
                                      if parents_of[i] else 0.0))
        for k, i in enumerate(layer):
            pos[i] = k
        layers[d] = layer
    layers = {d: v for d, v in layers.items() if v}
    row_h = {d: max(heights[i] for i in layers[d]) for d in layers}
    row_w = {d: sum(widths[i] for i in layers[d]) + gap_x * (len(layers[d]) - 1) for d in layers}
    total_w = max(row_w.values()) + 2 * gap_x if n else 200
    xy = {}
    y = gap_y / 2
    for d in sorted(layers, reverse=True):  # leaves (deepest) at the top
        x = (total_w - row_w[d]) / 2
        for i in layers[d]:
            xy[i] = (x, y + (row_h[d] - heights[i]) / 2)
            x += widths[i] + gap_x
        y += row_h[d] + gap_y
    total_h = y - gap_y / 2 if n else 40

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{total_w:.0f}" height="{total_h:.0f}" '
           f'viewBox="0 0 {total_w:.0f} {total_h:.0f}" font-family="monospace" font-size="12">',
           '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
           'markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>']
    if n == 0:
        if getattr(tensor, "requires_grad", False):  # a leaf: no node made it
            parts = [f"a leaf tensor, shape {list(tensor.shape)}"]
            v = _fmt_values(tensor, max_elements)
            g = _grad_of(tensor)
            gv = _fmt_values(g, max_elements) if g is not None else None
            parts += [f"value {v}"] * (v is not None) + [f"grad {gv}"] * (gv is not None)
            msg = ", ".join(parts) + " (no grad_fn)"
        else:
            msg = "no graph: the tensor has no grad_fn"
        out[0] = out[0].replace('width="200"', f'width="{len(msg) * 7.2 + 20:.0f}"').replace(
            'viewBox="0 0 200 40"', f'viewBox="0 0 {len(msg) * 7.2 + 20:.0f} 40"')
        out.append(f'<text x="10" y="24">{escape(msg)}</text>')
    for c, p in edges:  # arrows in the direction of the forward pass: input -> consumer
        (cx, cy), (px, py) = xy[c], xy[p]
        x1, y1 = cx + widths[c] / 2, cy + heights[c]
        x2, y2 = px + widths[p] / 2, py
        out.append(f'<line class="edge" x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
                   f'stroke="#555" stroke-width="1.2" marker-end="url(#arrow)"/>')
    for i, node in enumerate(nodes):
        x, y = xy[i]
        leaf = getattr(node, "variable", None) is not None
        fill = "#d8ecff" if leaf else ("#ffe8c8" if node is root else "#eeeeee")
        out.append(f'<g class="node"><rect x="{x:.1f}" y="{y:.1f}" width="{widths[i]:.1f}" '
                   f'height="{heights[i]:.1f}" rx="5" fill="{fill}" stroke="#333"/>')
        for k, line in enumerate(labels[i]):
            weight = ' font-weight="bold"' if k == 0 else ""
            out.append(f'<text x="{x + pad:.1f}" y="{y + pad / 2 + (k + 0.8) * line_h:.1f}"'
                       f'{weight}>{escape(line)}</text>')
        out.append("</g>")
    out.append("</svg>")
    svg = GraphSVG("\n".join(out) + "\n")
    if path is not None:
        with open(path, "w", encoding="utf-8") as f:
            f.write(svg)
    return svg


# --------------------------------------------------------------------------------------
# Recorder
# --------------------------------------------------------------------------------------
_SIGMOID_LIKE = {"Sigmoid": (0.0, 1.0), "Tanh": (-1.0, 1.0), "Hardtanh": (-1.0, 1.0),
                 "Hardsigmoid": (0.0, 1.0), "Softsign": (-1.0, 1.0)}


class Recorder:
    """Record per-layer activation statistics and gradient norms during training.

    Recorder(model, eps=0.01) hooks every leaf layer of `model` (Linear, Conv, activations,
    ...). On each forward pass with grad mode enabled (so evaluation under `no_grad()` is
    not recorded) it appends, for each layer named ``"{name}:{Type}"`` (name as in
    `model.named_modules()`):

    - ``history["{layer}/mean"]``, ``["{layer}/std"]``: mean and population std (ddof=0) of
      the layer's output over all its elements;
    - ``history["{layer}/saturated"]`` for bounded activations (Sigmoid, Tanh, Hardtanh,
      ...): the fraction of outputs within `eps` of a bound (e.g. a sigmoid output below
      0.01 or above 0.99, a tanh output with |a| > 0.99); for ReLU the fraction of outputs
      that are exactly 0 is ``history["{layer}/zero"]``;

    and on each backward pass, for layers with a `weight`:

    - ``history["{layer}/grad_norm"]``: the L2 norm of the gradient reaching the weight.

    `history` is a dict of lists (one entry per step), `layers` the recorded layer names;
    `remove()` takes the hooks off (also on leaving a ``with Recorder(model) as rec:`` block);
    `plot()` draws the statistics (matplotlib).
    """

    def __init__(self, model, eps=0.01):
        self.model = model
        self.eps = float(eps)
        self.history = {}
        self.layers = []
        self.enabled = True
        self._handles = []
        modules = list(model.named_modules())
        for name, m in modules:
            if any(True for _ in m.children()):
                continue
            kind = type(m).__name__
            layer = f"{name or kind}:{kind}" if name else kind
            self.layers.append(layer)
            stats = ["mean", "std"]
            if kind in _SIGMOID_LIKE:
                stats.append("saturated")
            elif kind == "ReLU":
                stats.append("zero")
            for s in stats:
                self.history[f"{layer}/{s}"] = []
            self._handles.append(m.register_forward_hook(self._forward_hook(layer, kind)))
            w = getattr(m, "weight", None)
            if w is not None and getattr(w, "requires_grad", False):
                self.history[f"{layer}/grad_norm"] = []
                self._handles.append(w.register_hook(self._grad_hook(layer)))

    def _forward_hook(self, layer, kind):
        def hook(module, args, output):
            if not self.enabled or not _C.is_grad_enabled():
                return
            out = output
            while isinstance(out, (tuple, list)):  # RNNs: the output sequence
                out = out[0]
            a = _np(out).astype(np.float64)
            h = self.history
            # a diverging network's activations overflow: record inf/nan as they are, quietly
            with np.errstate(over="ignore", invalid="ignore"):
                h[f"{layer}/mean"].append(float(a.mean()))
                h[f"{layer}/std"].append(float(a.std()))
                if kind in _SIGMOID_LIKE:
                    lo, hi = _SIGMOID_LIKE[kind]
                    h[f"{layer}/saturated"].append(
                        float(np.mean((a < lo + self.eps) | (a > hi - self.eps))))
                elif kind == "ReLU":
                    h[f"{layer}/zero"].append(float(np.mean(a == 0)))
        return hook

    def _grad_hook(self, layer):
        def hook(grad):
            if self.enabled:
                g = _np(grad).astype(np.float64)
                with np.errstate(over="ignore", invalid="ignore"):
                    self.history[f"{layer}/grad_norm"].append(float(np.sqrt((g * g).sum())))
            return None
        return hook

    def remove(self):
        """Take all hooks off the model (the history stays)."""
        for h in self._handles:
            h.remove()
        self._handles = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()
        return False

    def __repr__(self):
        steps = max((len(v) for v in self.history.values()), default=0)
        return f"Recorder({len(self.layers)} layers, {steps} steps recorded)"

    def plot(self, stats=("mean", "std", "saturated", "zero", "grad_norm"), logy_grad=True):
        """One panel per statistic, one line per layer (the same colour in every panel), over
        the recorded steps; returns the matplotlib Figure. Statistics no layer has are left out."""
        plt = _plt("Recorder.plot")
        stats = [s for s in stats if any(k.endswith("/" + s) and self.history[k]
                                         for k in self.history)]
        fig, axes = plt.subplots(1, max(len(stats), 1), figsize=(3.6 * max(len(stats), 1), 3),
                                 squeeze=False)
        n = len(self.layers)
        # one colour per layer in every panel: the 10 default colours, or, for more layers,
        # a sequential colormap (first layer dark, last light) so that no two look alike
        colors = [f"C{k}" for k in range(n)] if n <= 10 else \
            [plt.get_cmap("viridis")(k / (n - 1)) for k in range(n)]
        for ax, s in zip(axes[0], stats):
            for k, layer in enumerate(self.layers):
                v = self.history.get(f"{layer}/{s}")
                if v:
                    ax.plot(v, label=layer, color=colors[k])
            ax.set_title(s)
            ax.set_xlabel("step")
            if s == "grad_norm" and logy_grad:
                ax.set_yscale("log")
        if stats:  # the legend where the most layers are drawn
            max(axes[0], key=lambda ax: len(ax.get_lines())).legend(
                fontsize=7 if n <= 10 else 5, ncol=1 if n <= 12 else 2)
        fig.tight_layout()
        return fig


# --------------------------------------------------------------------------------------
# metrics and plots
# --------------------------------------------------------------------------------------
def confusion_matrix(preds, targets, num_classes):
    """The confusion matrix as a (num_classes, num_classes) pynet int64 tensor.

    Entry [i, j] counts the samples of true class i predicted as class j. `preds` holds class
    indices (1-D) or scores/logits (2-D, the argmax of each row is taken); `targets` holds class
    indices. Tensors, NumPy arrays and lists are accepted.
    """
    p = _np(preds)
    t = _np(targets).reshape(-1).astype(np.int64)
    if p.ndim == 2:
        p = p.argmax(axis=1)
    p = p.reshape(-1).astype(np.int64)
    if p.shape != t.shape:
        raise ValueError(f"confusion_matrix: {p.size} predictions but {t.size} targets")
    if p.size and (min(p.min(), t.min()) < 0 or max(p.max(), t.max()) >= num_classes):
        raise ValueError(f"confusion_matrix: class indices must be in [0, {num_classes})")
    cm = np.bincount(t * num_classes + p, minlength=num_classes * num_classes)
    return _tensor(cm.reshape(num_classes, num_classes).astype(np.int64))


def plot_confusion_matrix(cm, class_names=None, normalize=False, ax=None):
    """Draw a confusion matrix (from `confusion_matrix`) with its counts written in the cells;
    normalize=True shows each row as fractions of that true class. Returns the Figure."""
    plt = _plt("plot_confusion_matrix")
    m = _np(cm).astype(np.float64)
    if normalize:
        m = m / np.maximum(m.sum(axis=1, keepdims=True), 1)
    k = m.shape[0]
    if ax is None:
        fig, ax = plt.subplots(figsize=(0.45 * k + 2, 0.45 * k + 1.6))
    else:
        fig = ax.figure
    ax.imshow(m, cmap="Blues")
    names = class_names if class_names is not None else [str(i) for i in range(k)]
    ax.set_xticks(range(k))
    ax.set_xticklabels(names)
    ax.set_yticks(range(k))
    ax.set_yticklabels(names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    top = m.max() if m.size else 1
    for i in range(k):
        for j in range(k):
            txt = f"{m[i, j]:.2f}" if normalize else f"{int(m[i, j])}"
            ax.text(j, i, txt, ha="center", va="center", fontsize=7,
                    color="white" if m[i, j] > 0.6 * top else "black")
    fig.tight_layout()
    return fig


def plot_history(history, keys=None, ax=None, logy=False, xlabel="step", title=None):
    """Plot curves from a dict of lists (e.g. {"train loss": [...], "test loss": [...]} or a
    Recorder's history): one line per key in `keys` (default: all), on `ax` if given.
    x counts from 0 (steps), or from 1 when xlabel="epoch". Returns the Figure."""
    plt = _plt("plot_history")
    if isinstance(keys, str):
        keys = [keys]
    keys = list(history) if keys is None else list(keys)
    if ax is None:
        fig, ax = plt.subplots(figsize=(5.5, 3.2))
    else:
        fig = ax.figure
    for k in keys:
        v = history[k]
        ax.plot(range(1, len(v) + 1) if xlabel == "epoch" else range(len(v)), _np(v), label=k)
    ax.set_xlabel(xlabel)
    if logy:
        ax.set_yscale("log")
    if title:
        ax.set_title(title)
    if keys:
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def show_images(images, labels=None, nrow=8, cmap="gray", size=1.1):
    """Show images in a grid of `nrow` columns, each titled with its label if given.

    images: (N, H, W), (N, 1, H, W) or (N, 3, H, W) tensor or array. labels: a sequence of N
    labels (ints or strings; e.g. "7 (pred 1)"). Returns the Figure."""
    plt = _plt("show_images")
    a = _np(images).astype(np.float64)
    if a.ndim == 2:
        a = a[None]
    if a.ndim == 4:
        a = a[:, 0] if a.shape[1] == 1 else a.transpose(0, 2, 3, 1)
    n = a.shape[0]
    cols = max(1, min(nrow, n))
    rows = max(1, math.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(size * cols, size * rows * 1.15), squeeze=False)
    lab = None if labels is None else [x.item() if hasattr(x, "item") else x for x in
                                       (_np(labels).tolist() if hasattr(labels, "numpy") else labels)]
    for k, ax in enumerate(axes.flat):
        ax.axis("off")
        if k < n:
            img = a[k]
            if img.ndim == 3:
                lo, hi = img.min(), img.max()
                img = (img - lo) / (hi - lo) if hi > lo else img * 0
            ax.imshow(img, cmap=cmap if img.ndim == 2 else None)
            if lab is not None:
                ax.set_title(str(lab[k]), fontsize=8)
    fig.tight_layout()
    return fig


def plot_decision_boundary(model, x, y, resolution=200, margin=0.5, ax=None, title=None):
    """Colour the plane by the class `model` predicts and scatter the 2-D points `x`
    (shape (N, 2)) coloured by their labels `y`.

    The model's output is read as: one column (or 1-D) -> class 1 where it is > 0.5 if all
    outputs lie in [0, 1] (probabilities), else where it is > 0 (logits); several columns
    -> the argmax. Returns the Figure."""
    plt = _plt("plot_decision_boundary")
    xs, ys = _np(x).astype(np.float64), _np(y).reshape(-1)
    lo, hi = xs.min(axis=0) - margin, xs.max(axis=0) + margin
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    grid = np.stack([gx.ravel(), gy.ravel()], axis=1).astype(np.float32)
    prev = _C._set_grad_enabled(False)
    try:
        out = _np(model(_tensor(grid))).astype(np.float64)
    finally:
        _C._set_grad_enabled(prev)
    if out.ndim == 2 and out.shape[1] > 1:
        cls = out.argmax(axis=1)
    else:
        out = out.reshape(-1)
        thr = 0.5 if (out.min() >= 0 and out.max() <= 1) else 0.0
        cls = (out > thr).astype(np.int64)
    if ax is None:
        fig, ax = plt.subplots(figsize=(3.8, 3.4))
    else:
        fig = ax.figure
    ax.contourf(gx, gy, cls.reshape(gx.shape), alpha=0.3, cmap="coolwarm",
                levels=np.arange(cls.max() + 2) - 0.5)
    ax.scatter(xs[:, 0], xs[:, 1], c=ys, cmap="coolwarm", edgecolors="k", s=40)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def plot_loss_surface(fn, xlim, ylim, paths=None, resolution=200, levels=20, logscale=True,
                      ax=None, title=None):
    """Contours of a function of two variables with optimizer paths drawn on them.

    fn(X, Y) is called once with two pynet float64 tensors (the grid coordinates) under
    `no_grad()` and must return the values elementwise (e.g. a Rosenbrock function written
    with tensor ops). paths: {name: sequence of (x, y) points} drawn as lines with markers.
    logscale=True spaces the contour levels geometrically above the grid's minimum (for
    valleys with steep walls, e.g. Rosenbrock); logscale=False spaces them evenly (bowls).
    Paths of more than 60 points are drawn as plain lines, shorter ones with a dot per step.
    Returns the Figure."""
    plt = _plt("plot_loss_surface")
    gx, gy = np.meshgrid(np.linspace(*xlim, resolution), np.linspace(*ylim, resolution))
    prev = _C._set_grad_enabled(False)
    try:
        z = _np(fn(_tensor(gx), _tensor(gy))).astype(np.float64)
    finally:
        _C._set_grad_enabled(prev)
    if ax is None:
        fig, ax = plt.subplots(figsize=(5.5, 4.2))
    else:
        fig = ax.figure
    if logscale:
        zmin = z.min()
        span = max(z.max() - zmin, 1e-12)
        lv = zmin + np.geomspace(span * 1e-5, span, levels)
    else:
        lv = levels
    # filled bands: they read well and keep notebook PNGs small (thin contour lines do not)
    ax.contourf(gx, gy, z, levels=lv, cmap="viridis", alpha=0.35, extend="both")
    for name, pts in (paths or {}).items():
        p = np.asarray([[float(a), float(b)] for a, b in pts])
        ax.plot(p[:, 0], p[:, 1], ".-" if len(p) <= 60 else "-", markersize=3, linewidth=1.3,
                label=name)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    if paths:
        ax.legend(fontsize=8, loc="best")
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig
