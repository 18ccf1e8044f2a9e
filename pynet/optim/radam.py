"""RAdam: Adam with a rectified (variance-corrected) adaptive learning rate."""
import math

from .._creation import zeros_like
from ..autograd import no_grad
from ._util import (_check_adam_like, _fill_group_defaults, _scalar_state, _stepped_params,
                    _tensorize_state, _weight_decay)
from .optimizer import Optimizer, _check_not_differentiable

__all__ = ["RAdam"]


class RAdam(Optimizer):
    r"""RAdam (Liu et al., 2019), as torch.optim.RAdam.

    Early on, v (the running mean of g^2) rests on few samples, so its variance makes
    Adam's step erratic. With rho_inf = 2 / (1 - beta2) - 1 and
    rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t), at step t:

        m = beta1 * m + (1 - beta1) * g;   v = beta2 * v + (1 - beta2) * g * g
        m_hat = m / (1 - beta1^t)
        rho_t > 5:  r = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
                    p = p - lr * m_hat * r * sqrt(1 - beta2^t) / (sqrt(v) + eps)
        otherwise:  p = p - lr * m_hat                        (plain momentum SGD)

    with weight decay as in Adam (L2) or AdamW (decoupled_weight_decay). State:
    {"step", "exp_avg", "exp_avg_sq"}. Written with pynet tensor ops (no fused kernel).
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False,
                 capturable=False, differentiable=False):
        _check_adam_like(lr, betas, eps, weight_decay)
        _check_not_differentiable(differentiable)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        maximize=maximize, foreach=foreach, capturable=capturable,
                        decoupled_weight_decay=decoupled_weight_decay,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        _fill_group_defaults(self, foreach=None, maximize=False, differentiable=False,
                             decoupled_weight_decay=False, capturable=False)
        _tensorize_state(self, ("step",))

    @staticmethod
    def _new_state(p, group):
        return {"step": _scalar_state(0.0), "exp_avg": zeros_like(p),
                "exp_avg_sq": zeros_like(p)}

    @no_grad()
    def step(self, closure=None):
        """Perform one optimization step (closure: re-evaluates the model, returns the loss)."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, (beta1, beta2) = float(group["lr"]), group["betas"]
            wd, eps = group["weight_decay"], group["eps"]
            for p, grad, state in _stepped_params(self, group, self._new_state):
                t = float(state["step"])
                grad = _weight_decay(p, grad, lr, wd, group["decoupled_weight_decay"])
                exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
                exp_avg.lerp_(grad, 1 - beta1)
                exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
                bias_correction2 = 1 - beta2 ** t
                m_hat = exp_avg / (1 - beta1 ** t)
                rho_inf = 2 / (1 - beta2) - 1
                rho_t = rho_inf - 2 * t * (beta2 ** t) / bias_correction2
                if rho_t > 5.0:
                    rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf
                                     / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
                    adaptive = (bias_correction2 ** 0.5) / exp_avg_sq.sqrt().add_(eps)
                    p.add_(m_hat * lr * adaptive * rect, alpha=-1.0)
                else:
                    p.add_(m_hat * lr, alpha=-1.0)
        return loss
