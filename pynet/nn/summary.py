"""pynet.summary(model, input_size): a table of layers, output shapes and parameter counts."""
from .. import _C


def _shape_str(output):
    """'[1, 10]' for a tensor; '[5, 2, 4], ([2, 2, 4], [2, 2, 4])' for the tuples RNNs return."""
    if hasattr(output, "shape"):
        return str(list(output.shape))
    if output is None:
        return "None"
    if isinstance(output, (tuple, list)):
        parts = [_shape_str(o) for o in output]
        inner = ", ".join(f"({p})" if isinstance(o, (tuple, list)) else p
                          for p, o in zip(parts, output))
        return inner
    return type(output).__name__


def summary(model, input_size, batch_size=None, dtype=None, print_fn=print):
    """Run one forward pass on zeros of shape input_size and tabulate every leaf layer.

    input_size includes the batch dimension, e.g. (1, 784), or for a recurrent layer
    (seq_len, batch, features). Rows are the leaf layers plus any module holding parameters
    of its own (e.g. MultiheadAttention's in_proj); a layer returning a tuple (RNN, LSTM,
    GRU) shows the shape of every tensor in it. Returns the table as a string (and prints
    it through print_fn unless print_fn is None).
    """
    rows, handles = [], []

    def hook(module, args, output):
        shape = _shape_str(output)
        n = sum(p.numel() for p in module.parameters(recurse=False))
        trainable = sum(p.numel() for p in module.parameters(recurse=False) if p.requires_grad)
        rows.append((f"{type(module).__name__}-{len(rows) + 1}", shape, n, trainable))

    for m in model.modules():
        is_leaf = not any(True for _ in m.children())
        owns_params = any(True for _ in m.parameters(recurse=False))
        if is_leaf or owns_params:
            handles.append(m.register_forward_hook(hook))
    was_training = model.training
    model.eval()
    prev = _C._set_grad_enabled(False)
    try:
        model(_C.zeros(tuple(input_size), dtype=dtype or _C.float32))
    finally:
        _C._set_grad_enabled(prev)
        model.train(was_training)
        for h in handles:
            h.remove()
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    w = [max(len("Layer (type)"), *(len(r[0]) for r in rows)) if rows else 12,
         max(len("Output Shape"), *(len(r[1]) for r in rows)) if rows else 12,
         len("Param #") + 6]
    line = "-" * (sum(w) + 6)
    out = [line, f"{'Layer (type)':>{w[0]}}  {'Output Shape':>{w[1]}}  {'Param #':>{w[2]}}",
           "=" * len(line)]
    for name, shape, n, _ in rows:
        out.append(f"{name:>{w[0]}}  {shape:>{w[1]}}  {n:>{w[2]},}")
    out += ["=" * len(line), f"Total params: {total:,}", f"Trainable params: {trainable:,}",
            f"Non-trainable params: {total - trainable:,}", line]
    text = "\n".join(out)
    if print_fn is not None:
        print_fn(text)
    return text
