"""ASGD: averaged stochastic gradient descent."""
from .._creation import zeros_like
from ..autograd import no_grad
from ._util import (_check_lr, _check_nonneg, _fill_group_defaults, _scalar_state,
                    _stepped_params, _tensorize_state, _weight_decay)
from .optimizer import Optimizer, _check_not_differentiable

__all__ = ["ASGD"]


class ASGD(Optimizer):
    r"""Averaged SGD (Polyak & Juditsky, 1992), as torch.optim.ASGD.

    At step t, with step size eta and averaging weight mu from the previous step
    (eta = lr and mu = 1 at the start):

        g = -g if maximize;  g = g + weight_decay * p
        p = p * (1 - lambd * eta) - eta * g
        ax = ax + mu * (p - ax)          (ax = p while mu == 1: averaging starts at t0)
        eta = lr / (1 + lambd * lr * t)^alpha;   mu = 1 / max(1, t - t0)

    ax, the running average of the iterates, is the averaged solution. State:
    {"step", "eta", "mu" (float32 scalars, as in PyTorch), "ax"}. Written with pynet
    tensor ops.
    """

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0,
                 foreach=None, maximize=False, differentiable=False, capturable=False):
        _check_lr(lr)
        _check_nonneg("weight_decay", weight_decay)
        _check_not_differentiable(differentiable)
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay,
                        foreach=foreach, maximize=maximize, differentiable=differentiable,
                        capturable=capturable)
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        _fill_group_defaults(self, foreach=None, maximize=False, differentiable=False,
                             capturable=False)
        _tensorize_state(self, ("step", "eta", "mu"))

    @staticmethod
    def _new_state(p, group):
        return {"step": _scalar_state(0.0), "eta": _scalar_state(float(group["lr"])),
                "mu": _scalar_state(1.0), "ax": zeros_like(p)}

    @no_grad()
    def step(self, closure=None):
        """Perform one optimization step (closure: re-evaluates the model, returns the loss)."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, lambd = float(group["lr"]), group["lambd"]
            for p, grad, state in _stepped_params(self, group, self._new_state):
                grad = _weight_decay(p, grad, lr, group["weight_decay"])
                eta = float(state["eta"])  # float32-rounded, as PyTorch reads it
                p.mul_(1 - lambd * eta)
                p.add_(grad, alpha=-eta)
                ax = state["ax"]
                if float(state["mu"]) != 1:
                    ax.add_(p.sub(ax).mul_(float(state["mu"])))
                else:
                    ax.copy_(p)
                t = float(state["step"])
                state["eta"].fill_(lr / ((1 + lambd * lr * t) ** group["alpha"]))
                state["mu"].fill_(1 / max(1, t - group["t0"]))
        return loss
