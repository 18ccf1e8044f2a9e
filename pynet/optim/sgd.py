"""SGD: stochastic gradient descent, with momentum, Nesterov momentum and weight decay."""
from .. import _C
from ._util import _check_lr, _fill_group_defaults
from .optimizer import Optimizer, _check_not_differentiable

__all__ = ["SGD"]


class SGD(Optimizer):
    r"""Stochastic gradient descent (optionally with momentum), as torch.optim.SGD.

    For each parameter p with gradient g, one step does:

        g = -g if maximize
        g = g + weight_decay * p                      (L2 penalty)
        if momentum != 0:
            b = g                                     (first step)
            b = momentum * b + (1 - dampening) * g    (later steps)
            g = g + momentum * b if nesterov else b
        p = p - lr * g

    all in one fused pass over p, g and b (pynet._C._sgd_step).
    The state of a parameter is {"momentum_buffer": b} once momentum is used.
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, *, maximize=False, foreach=None, differentiable=False,
                 fused=None):
        _check_lr(lr)
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        _check_not_differentiable(differentiable)
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov, maximize=maximize,
                        foreach=foreach, differentiable=differentiable, fused=fused)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        _fill_group_defaults(self, nesterov=False, maximize=False, foreach=None,
                             differentiable=False, fused=False)

    def step(self, closure=None):
        """Perform one optimization step (closure: re-evaluates the model, returns the loss)."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            params, grads, bufs = [], [], []
            momentum = group["momentum"]
            for p in group["params"]:
                if p.grad is not None:
                    params.append(p)
                    grads.append(p.grad)
                    if momentum != 0:
                        bufs.append(self.state[p].get("momentum_buffer"))
            if not params:
                continue
            _C._sgd_step(params, grads, bufs if momentum != 0 else None, float(group["lr"]),
                         float(momentum), float(group["dampening"]),
                         float(group["weight_decay"]), bool(group["nesterov"]),
                         bool(group["maximize"]))
            if momentum != 0:
                for p, b in zip(params, bufs):
                    self.state[p]["momentum_buffer"] = b
        return loss
