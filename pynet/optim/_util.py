"""Checks and state helpers shared by the optimizers written with tensor ops."""
from .._tensor import Tensor
from .._C import float32, float64, zeros
from .._creation import get_default_dtype, tensor


def _check_lr(lr):
    """Reject a negative lr, or a Tensor lr of more than one element."""
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")


def _check_nonneg(name, value):
    """Reject a negative (or NaN) option value, naming the option as PyTorch does."""
    if not 0.0 <= value:
        raise ValueError(f"Invalid {name} value: {value}")


def _check_adam_like(lr, betas, eps, weight_decay):
    """The checks Adam-family constructors share (lr, eps, both betas, weight_decay)."""
    _check_lr(lr)
    _check_nonneg("epsilon", eps)
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
    _check_nonneg("weight_decay", weight_decay)


def _fill_group_defaults(optimizer, **options):
    """Add the options missing from param groups (as unpickled from an older version)."""
    for group in optimizer.param_groups:
        for key, value in options.items():
            group.setdefault(key, value)


def _scalar_dtype():
    """The dtype of the optimizers' scalar state (step counts...): float64 when that is the
    default dtype, float32 otherwise (PyTorch's rule)."""
    return float64 if get_default_dtype() == float64 else float32


def _scalar_state(value):
    """A 0-d tensor of _scalar_dtype() holding value, as PyTorch keeps step counts and
    similar scalars."""
    return tensor(float(value), dtype=_scalar_dtype())


def _step_zero():
    """A new 0-d step count of _scalar_dtype(), at 0."""
    return zeros((), dtype=_scalar_dtype())


def _tensorize_state(optimizer, keys):
    """Turn plain-number state entries (from old checkpoints) into 0-d float32 tensors."""
    for group in optimizer.param_groups:
        for p in group["params"]:
            p_state = optimizer.state.get(p, {})
            for key in keys:
                if key in p_state and not isinstance(p_state[key], Tensor):
                    p_state[key] = _scalar_state(p_state[key])


def _grad_of(p, maximize):
    """p's gradient, negated under maximize (ascent is descent on -f)."""
    return -p.grad if maximize else p.grad


def _weight_decay(p, grad, lr, weight_decay, decoupled=False):
    """The gradient after weight decay: grad + weight_decay * p (an L2 penalty), or, when
    decoupled (AdamW-style), grad itself with p shrunk in place by 1 - lr * weight_decay."""
    if weight_decay == 0:
        return grad
    if decoupled:
        p.mul_(1 - lr * weight_decay)
        return grad
    return grad.add(p, alpha=weight_decay)


def _stepped_params(optimizer, group, new_state):
    """Yield (p, grad, state) for each parameter of group that has a gradient.

    A parameter's state is created on its first step as new_state(p, group), a dict whose
    "step" is a 0-d tensor; "step" is advanced by one before the state is yielded, so the
    update sees t = 1 at the first step. grad is negated under group["maximize"].
    """
    for p in group["params"]:
        if p.grad is None:
            continue
        state = optimizer.state[p]
        if len(state) == 0:
            state.update(new_state(p, group))
        grad = _grad_of(p, group["maximize"])
        state["step"].add_(1)
        yield p, grad, state
