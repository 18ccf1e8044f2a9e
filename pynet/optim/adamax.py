"""Adamax: Adam with the infinity norm in place of the root mean square."""
from .._creation import zeros_like
from ..autograd import no_grad
from ._util import (_check_adam_like, _fill_group_defaults, _scalar_state, _stepped_params,
                    _tensorize_state, _weight_decay)
from .optimizer import Optimizer, _check_not_differentiable

__all__ = ["Adamax"]


class Adamax(Optimizer):
    r"""Adamax (Kingma & Ba, 2014, section 7), as torch.optim.Adamax.

    At step t:

        g = -g if maximize;  g = g + weight_decay * p
        m = beta1 * m + (1 - beta1) * g
        u = max(beta2 * u, |g| + eps)           (an exponentially weighted infinity norm)
        p = p - lr / (1 - beta1^t) * m / u

    State: {"step", "exp_avg" (m), "exp_inf" (u)}. Written with pynet tensor ops.
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 foreach=None, *, maximize=False, differentiable=False, capturable=False):
        _check_adam_like(lr, betas, eps, weight_decay)
        _check_not_differentiable(differentiable)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        foreach=foreach, maximize=maximize, differentiable=differentiable,
                        capturable=capturable)
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        _fill_group_defaults(self, foreach=None, maximize=False, differentiable=False,
                             capturable=False)
        _tensorize_state(self, ("step",))

    @staticmethod
    def _new_state(p, group):
        return {"step": _scalar_state(0.0), "exp_avg": zeros_like(p), "exp_inf": zeros_like(p)}

    @no_grad()
    def step(self, closure=None):
        """Perform one optimization step (closure: re-evaluates the model, returns the loss)."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, (beta1, beta2) = float(group["lr"]), group["betas"]
            for p, grad, state in _stepped_params(self, group, self._new_state):
                grad = _weight_decay(p, grad, lr, group["weight_decay"])
                exp_avg, exp_inf = state["exp_avg"], state["exp_inf"]
                exp_avg.lerp_(grad, 1 - beta1)
                exp_inf.copy_(exp_inf.mul_(beta2).maximum(grad.abs().add_(group["eps"])))
                clr = lr / (1 - beta1 ** float(state["step"]))
                p.addcdiv_(exp_avg, exp_inf, value=-clr)
        return loss
