"""NAdam: Adam with Nesterov momentum."""
from .._creation import zeros_like
from ..autograd import no_grad
from ._util import (_check_adam_like, _check_nonneg, _fill_group_defaults, _scalar_state,
                    _stepped_params, _tensorize_state, _weight_decay)
from .optimizer import Optimizer, _check_not_differentiable

__all__ = ["NAdam"]


class NAdam(Optimizer):
    r"""NAdam (Dozat, 2016), as torch.optim.NAdam.

    At step t, with the momentum schedule mu_t = beta1 * (1 - 0.96^(t * momentum_decay) / 2)
    and its running product M_t = mu_1 * ... * mu_t:

        g = -g if maximize
        p = p * (1 - lr * weight_decay)   if decoupled_weight_decay  (NAdamW)
        g = g + weight_decay * p          otherwise
        m = beta1 * m + (1 - beta1) * g;   v = beta2 * v + (1 - beta2) * g * g
        d = sqrt(v / (1 - beta2^t)) + eps
        p = p - lr * (1 - mu_t) / (1 - M_t) * g / d - lr * mu_{t+1} / (1 - M_t mu_{t+1}) * m / d

    i.e. the Nesterov look-ahead mixes the current gradient with the momentum of the next
    step. State: {"step", "mu_product" (M_t, a float32 scalar as in PyTorch), "exp_avg",
    "exp_avg_sq"}. Written with pynet tensor ops (no fused kernel).
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, foreach=None,
                 maximize=False, capturable=False, differentiable=False):
        _check_adam_like(lr, betas, eps, weight_decay)
        _check_nonneg("momentum_decay", momentum_decay)
        _check_not_differentiable(differentiable)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize,
                        foreach=foreach, capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        _fill_group_defaults(self, maximize=False, foreach=None, capturable=False,
                             differentiable=False, decoupled_weight_decay=False)
        _tensorize_state(self, ("step", "mu_product"))

    @staticmethod
    def _new_state(p, group):
        return {"step": _scalar_state(0.0), "mu_product": _scalar_state(1.0),
                "exp_avg": zeros_like(p), "exp_avg_sq": zeros_like(p)}

    @no_grad()
    def step(self, closure=None):
        """Perform one optimization step (closure: re-evaluates the model, returns the loss)."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, (beta1, beta2) = float(group["lr"]), group["betas"]
            wd, eps, psi = group["weight_decay"], group["eps"], group["momentum_decay"]
            for p, grad, state in _stepped_params(self, group, self._new_state):
                t = float(state["step"])
                grad = _weight_decay(p, grad, lr, wd, group["decoupled_weight_decay"])
                mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * psi))
                mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))
                mu_product = state["mu_product"].mul_(mu)  # float32, rounded as in PyTorch
                exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
                exp_avg.lerp_(grad, 1 - beta1)
                exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
                denom = exp_avg_sq.div(1 - beta2 ** t).sqrt().add_(eps)
                mu_prod = float(mu_product)
                p.addcdiv_(grad, denom, value=-lr * (1.0 - mu) / (1.0 - mu_prod))
                p.addcdiv_(exp_avg, denom, value=-lr * mu_next / (1.0 - mu_prod * mu_next))
        return loss
