"""Gradient clipping: clip_grad_norm_ and clip_grad_value_, as torch.nn.utils.

Clipping keeps one bad batch from throwing the parameters far away. Clipping
by norm rescales all gradients together, so the update keeps its direction:

    total = || (||g_1||, ||g_2||, ...) ||      (the p-norm of all gradients as one vector)
    g_i  *= min(1, max_norm / (total + 1e-6))

Clipping by value clamps each element to [-clip_value, clip_value].
"""
import math

from ... import _C
from ..._tensor import Tensor
from ...autograd import no_grad

__all__ = ["clip_grad_norm_", "clip_grad_value_"]


def _grads(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def _vector_norm(t, norm_type):
    if norm_type == math.inf:
        return t.abs().amax() if t.numel() else t.new_zeros(()) if hasattr(t, "new_zeros") \
            else _C.zeros((), dtype=t.dtype)
    if norm_type == -math.inf:
        return t.abs().amin()
    if norm_type == 0:
        return (t != 0).sum().to(t.dtype)
    if norm_type == 2:
        return (t * t).sum().sqrt()
    if norm_type == 1:
        return t.abs().sum()
    return (t.abs() ** norm_type).sum() ** (1.0 / norm_type)


@no_grad()
def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False,
                    foreach=None):
    """Scale the gradients of `parameters` in place so that their joint norm is at most
    max_norm. Returns the total norm before clipping, as a 0-d tensor.

    norm_type: any p > 0, or float('inf') for the largest absolute value.
    """
    grads = _grads(parameters)
    max_norm, norm_type = float(max_norm), float(norm_type)
    if len(grads) == 0:
        return _C.zeros(())
    norms = [_vector_norm(g.reshape(-1), norm_type) for g in grads]
    dtype = norms[0].dtype
    total = _vector_norm(_C.stack([n.to(dtype) for n in norms]), norm_type)
    if error_if_nonfinite and not math.isfinite(float(total)):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is "
            "non-finite, so it cannot be clipped. To disable this error and scale the "
            "gradients by the non-finite norm anyway, set `error_if_nonfinite=False`")
    coef = (max_norm / (total + 1e-6)).clamp(max=1.0)
    for g in grads:
        g.mul_(coef.to(g.dtype))
    return total


@no_grad()
def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient element of `parameters` to [-clip_value, clip_value], in place."""
    clip_value = float(clip_value)
    for g in _grads(parameters):
        g.clamp_(min=-clip_value, max=clip_value)
