"""Gradient clipping: clip_grad_norm_ and clip_grad_value_, as torch.nn.utils.

Clipping keeps one bad batch from throwing the parameters far away. Clipping
by norm rescales all gradients together, so the update keeps its direction:

    total = || (||g_1||, ||g_2||, ...) ||      (the p-norm of all gradients as one vector)
    g_i  *= min(1, max_norm / (total + 1e-6))

Clipping by value clamps each element to [-clip_value, clip_value].
"""
import math
import types
import warnings

from ... import _C
from ..._tensor import Tensor
from ...autograd import no_grad

__all__ = ["clip_grad_norm", "clip_grad_norm_", "clip_grad_value_", "clip_grads_with_norm_",
           "get_total_norm"]


def _grads(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def _vector_norm(t, norm_type):
    """linalg.vector_norm, as PyTorch's clip_grad uses it (a norm of one element is |x|,
    with no square that could overflow; the inf and negative norms of an empty tensor
    raise)."""
    from ...linalg import vector_norm
    return vector_norm(t, norm_type)


@no_grad()
def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """The norm_type-norm of `tensors` seen as one vector (the norm of their norms), as a
    0-d tensor; 0 for no tensors. norm_type: any p, or float('inf').

    error_if_nonfinite: raise RuntimeError if the norm is nan or +-inf.
    """
    if isinstance(tensors, Tensor):
        tensors = [tensors]
    else:
        tensors = list(tensors)
    norm_type = float(norm_type)
    if len(tensors) == 0:
        return _C.zeros(())
    norms = [_vector_norm(t.reshape(-1), norm_type) for t in tensors]
    total = _vector_norm(_C.stack(norms), norm_type)  # stack promotes mixed float dtypes
    if error_if_nonfinite and not math.isfinite(float(total)):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is "
            "non-finite, so it cannot be clipped. To disable this error and scale the "
            "gradients by the non-finite norm anyway, set `error_if_nonfinite=False`")
    return total


@no_grad()
def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    """Scale the gradients of `parameters` in place by min(1, max_norm / (total_norm + 1e-6)),
    with total_norm computed beforehand (e.g. by get_total_norm). Returns None."""
    grads = _grads(parameters)
    max_norm = float(max_norm)
    if len(grads) == 0:
        return
    if not isinstance(total_norm, Tensor):  # torch's clamp of a Python number fails the same
        raise TypeError(f"clip_grads_with_norm_: total_norm must be a Tensor (as "
                        f"get_total_norm returns), not {type(total_norm).__name__}")
    coef = (max_norm / (total_norm + 1e-6)).clamp(max=1.0)
    for g in grads:
        g.mul_(coef.to(g.dtype))


@no_grad()
def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False,
                    foreach=None):
    """Scale the gradients of `parameters` in place so that their joint norm is at most
    max_norm. Returns the total norm before clipping, as a 0-d tensor.

    norm_type: any p > 0, or float('inf') for the largest absolute value. The same as
    get_total_norm of the gradients followed by clip_grads_with_norm_.
    """
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    else:
        is_generator = isinstance(parameters, types.GeneratorType)
        parameters = list(parameters)
        if is_generator and len(parameters) == 0:
            warnings.warn("`parameters` is an empty generator, no gradient clipping will occur.",
                          stacklevel=3)
    total = get_total_norm(_grads(parameters), norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(parameters, max_norm, total, foreach)
    return total


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False,
                   foreach=None):
    """Deprecated alias of clip_grad_norm_ (warns with a FutureWarning)."""
    warnings.warn("`pynet.nn.utils.clip_grad_norm` is now deprecated in favor of "
                  "`pynet.nn.utils.clip_grad_norm_`.", FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


@no_grad()
def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient element of `parameters` to [-clip_value, clip_value], in place."""
    clip_value = float(clip_value)
    for g in _grads(parameters):
        g.clamp_(min=-clip_value, max=clip_value)
