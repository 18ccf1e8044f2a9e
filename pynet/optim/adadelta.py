"""Adadelta: step sizes from running averages of squared gradients and squared updates."""
from .. import _C
from .._creation import zeros_like
from ._util import _check_lr, _check_nonneg, _fill_group_defaults, _step_zero
from .optimizer import Optimizer, _check_not_differentiable

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    r"""Adadelta (Zeiler, 2012), as torch.optim.Adadelta.

        g = -g if maximize;  g = g + weight_decay * p
        sq    = rho * sq + (1 - rho) * g * g                 ("square_avg")
        delta = sqrt(acc + eps) / sqrt(sq + eps) * g
        acc   = rho * acc + (1 - rho) * delta * delta        ("acc_delta")
        p     = p - lr * delta

    The ratio of the two RMS values gives the update the units of p, so the
    default lr is 1.
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *,
                 capturable=False, maximize=False, differentiable=False):
        _check_lr(lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        _check_nonneg("epsilon", eps)
        _check_nonneg("weight_decay", weight_decay)
        _check_not_differentiable(differentiable)
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize,
                        capturable=capturable, foreach=foreach, differentiable=differentiable)
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        _fill_group_defaults(self, foreach=None, maximize=False, differentiable=False,
                             capturable=False)

    def step(self, closure=None):
        """Perform one optimization step (closure: re-evaluates the model, returns the loss)."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            params, grads, square_avgs, acc_deltas, steps = [], [], [], [], []
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _step_zero()
                    state["square_avg"] = zeros_like(p)
                    state["acc_delta"] = zeros_like(p)
                params.append(p)
                grads.append(p.grad)
                square_avgs.append(state["square_avg"])
                acc_deltas.append(state["acc_delta"])
                steps.append(state["step"])
            if not params:
                continue
            _C._adadelta_step(params, grads, square_avgs, acc_deltas, steps, float(group["lr"]),
                              float(group["rho"]), float(group["eps"]),
                              float(group["weight_decay"]), bool(group["maximize"]))
        return loss
