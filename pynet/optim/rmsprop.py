"""RMSprop: divide the gradient by a running RMS of recent gradients."""
from .. import _C
from .._creation import zeros_like
from ._util import _check_lr, _check_nonneg, _fill_group_defaults, _step_zero
from .optimizer import Optimizer, _check_not_differentiable

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    r"""RMSprop (Hinton's lecture notes), as torch.optim.RMSprop.

        g  = -g if maximize;  g = g + weight_decay * p
        sq = alpha * sq + (1 - alpha) * g * g                ("square_avg")
        centered: ga = alpha * ga + (1 - alpha) * g          ("grad_avg")
                  avg = sqrt(sq - ga * ga) + eps             (a variance, not a raw 2nd moment)
        else:     avg = sqrt(sq) + eps
        momentum > 0: b = momentum * b + g / avg; p = p - lr * b
        else:         p = p - lr * g / avg
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, capturable=False, foreach=None, maximize=False,
                 differentiable=False):
        _check_lr(lr)
        _check_nonneg("epsilon", eps)
        _check_nonneg("momentum", momentum)
        _check_nonneg("weight_decay", weight_decay)
        _check_nonneg("alpha", alpha)
        _check_not_differentiable(differentiable)
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, capturable=capturable, foreach=foreach,
                        maximize=maximize, differentiable=differentiable)
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        _fill_group_defaults(self, momentum=0, centered=False, foreach=None, maximize=False,
                             differentiable=False, capturable=False)

    def step(self, closure=None):
        """Perform one optimization step (closure: re-evaluates the model, returns the loss)."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            momentum, centered = group["momentum"], bool(group["centered"])
            params, grads, square_avgs, grad_avgs, bufs, steps = [], [], [], [], [], []
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _step_zero()
                    state["square_avg"] = zeros_like(p)
                    if momentum > 0:
                        state["momentum_buffer"] = zeros_like(p)
                    if centered:
                        state["grad_avg"] = zeros_like(p)
                params.append(p)
                grads.append(p.grad)
                square_avgs.append(state["square_avg"])
                if momentum > 0:
                    bufs.append(state["momentum_buffer"])
                if centered:
                    grad_avgs.append(state["grad_avg"])
                steps.append(state["step"])
            if not params:
                continue
            _C._rmsprop_step(params, grads, square_avgs, grad_avgs if centered else None,
                             bufs if momentum > 0 else None, steps, float(group["lr"]),
                             float(group["alpha"]), float(group["eps"]),
                             float(group["weight_decay"]), float(momentum), centered,
                             bool(group["maximize"]))
        return loss
