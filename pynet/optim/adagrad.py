"""Adagrad: per-coordinate learning rates from the sum of squared gradients."""
from .. import _C
from .._creation import full_like
from ._util import _check_lr, _check_nonneg, _fill_group_defaults, _step_zero
from .optimizer import Optimizer, _check_not_differentiable

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    r"""Adagrad (Duchi et al., 2011), as torch.optim.Adagrad.

    At step t:

        g = -g if maximize;  g = g + weight_decay * p
        clr = lr / (1 + (t - 1) * lr_decay)
        s = s + g * g
        p = p - clr * g / (sqrt(s) + eps)

    Coordinates that have seen large gradients take smaller steps. The state
    {"step", "sum"} is created for every parameter in the constructor, with
    sum = initial_accumulator_value.
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                 eps=1e-10, foreach=None, *, maximize=False, differentiable=False, fused=None):
        _check_lr(lr)
        _check_nonneg("lr_decay", lr_decay)
        _check_nonneg("weight_decay", weight_decay)
        _check_nonneg("initial_accumulator_value", initial_accumulator_value)
        _check_nonneg("epsilon", eps)
        _check_not_differentiable(differentiable)
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p)

    def _init_state(self, p):
        """p's step count and sum of squares, made by the constructor and by step for a group
        added later; as PyTorch's, from the optimizer's initial_accumulator_value even where
        a group sets its own."""
        state = self.state[p]
        state["step"] = _step_zero()
        state["sum"] = full_like(p, self.defaults["initial_accumulator_value"])
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        _fill_group_defaults(self, foreach=None, maximize=False, differentiable=False, fused=None)

    def share_memory(self):
        pass  # pynet tensors live in one process

    def step(self, closure=None):
        """Perform one optimization step (closure: re-evaluates the model, returns the loss)."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            params, grads, sums, steps = [], [], [], []
            for p in group["params"]:
                if p.grad is not None:
                    state = self.state[p] or self._init_state(p)
                    params.append(p)
                    grads.append(p.grad)
                    sums.append(state["sum"])
                    steps.append(state["step"])
            if not params:
                continue
            _C._adagrad_step(params, grads, sums, steps, float(group["lr"]),
                             float(group["lr_decay"]), float(group["weight_decay"]),
                             float(group["eps"]), bool(group["maximize"]))
        return loss
