"""pynet.autograd: reverse-mode automatic differentiation.

The graph and the engine that walks it are in C (csrc/python/autograd.c);
this package is the Python face: backward(), grad(), Function, gradcheck and
the grad-mode switches.
"""
from .. import _C
from .function import Function, FunctionCtx, once_differentiable
from .gradcheck import GradcheckError, gradcheck
from .grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled


def _tensors(x):
    if isinstance(x, _C.TensorBase):
        return (x,)
    return tuple(x)


def _grads(grads, n):
    if grads is None:
        return (None,) * n
    if isinstance(grads, _C.TensorBase):
        return (grads,)
    return tuple(grads)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate gradients of tensors into the .grad of the leaves they depend on."""
    tensors = _tensors(tensors)
    grads = _grads(grad_tensors, len(tensors))
    if retain_graph is None:
        retain_graph = create_graph
    if inputs is not None:
        inputs = _tensors(inputs)
        got = _C._run_backward(tensors, grads, retain_graph, create_graph, inputs, True)
        for x, g in zip(inputs, got):
            if g is not None:
                g = g if create_graph else g.detach()
                x.grad = g if x.grad is None else x.grad + g
        return
    _C._run_backward(tensors, grads, retain_graph, create_graph)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=None, materialize_grads=False):
    """Gradients of outputs with respect to inputs, returned (not stored in .grad)."""
    outputs = _tensors(outputs)
    single = isinstance(inputs, _C.TensorBase)
    inputs = _tensors(inputs)
    if retain_graph is None:
        retain_graph = create_graph
    res = _C._run_backward(outputs, _grads(grad_outputs, len(outputs)), retain_graph,
                           create_graph, inputs, bool(allow_unused or materialize_grads))
    if materialize_grads:
        res = tuple(_C.zeros(x.shape, dtype=x.dtype) if g is None else g
                    for g, x in zip(res, inputs))
    return res


__all__ = ["Function", "FunctionCtx", "backward", "grad", "gradcheck", "no_grad", "enable_grad",
           "set_grad_enabled", "is_grad_enabled", "inference_mode", "GradcheckError"]
