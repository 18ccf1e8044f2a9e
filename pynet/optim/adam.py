"""Adam and AdamW: adaptive moment estimation, with L2 or decoupled weight decay."""
from .. import _C
from .._tensor import Tensor
from .._creation import zeros_like
from ._util import _check_adam_like, _fill_group_defaults, _step_zero
from .optimizer import Optimizer, _check_not_differentiable

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    r"""Adam (Kingma & Ba, 2014), as torch.optim.Adam.

    For each parameter p with gradient g, at step t (1, 2, ...):

        g = -g if maximize
        p = p * (1 - lr * weight_decay)   if decoupled_weight_decay  (AdamW)
        g = g + weight_decay * p          otherwise                  (L2 penalty)
        m = beta1 * m + (1 - beta1) * g           running mean of g
        v = beta2 * v + (1 - beta2) * g * g       running mean of g^2
        v_max = max(v_max, v); use v_max as v     if amsgrad
        p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)

    The divisions by 1 - beta^t undo the bias of m and v towards their zero
    start. One fused pass reads p, g, m, v and writes p, m, v
    (pynet._C._adam_step). State per parameter: {"step": tensor(t),
    "exp_avg": m, "exp_avg_sq": v} and "max_exp_avg_sq" with amsgrad.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False, fused=None, decoupled_weight_decay=False):
        _check_adam_like(lr, betas, eps, weight_decay)
        _check_not_differentiable(differentiable)
        for name, v in (("lr", lr), ("betas[0]", betas[0]), ("betas[1]", betas[1])):
            if isinstance(v, Tensor) and foreach and not capturable:  # PyTorch's rule
                raise ValueError(f"{name} as a Tensor is not supported for capturable=False and "
                                 f"foreach=True")
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize, foreach=foreach, capturable=capturable,
                        differentiable=differentiable, fused=fused,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        _fill_group_defaults(self, amsgrad=False, maximize=False, foreach=None, capturable=False,
                             differentiable=False, decoupled_weight_decay=False, fused=None)

    def step(self, closure=None):
        """Perform one optimization step (closure: re-evaluates the model, returns the loss)."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            amsgrad = bool(group["amsgrad"])
            params, grads, exp_avgs, exp_avg_sqs, max_sqs, steps = [], [], [], [], [], []
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _step_zero()
                    state["exp_avg"] = zeros_like(p)
                    state["exp_avg_sq"] = zeros_like(p)
                    if amsgrad:
                        state["max_exp_avg_sq"] = zeros_like(p)
                params.append(p)
                grads.append(p.grad)
                exp_avgs.append(state["exp_avg"])
                exp_avg_sqs.append(state["exp_avg_sq"])
                if amsgrad:
                    max_sqs.append(state["max_exp_avg_sq"])
                steps.append(state["step"])
            if not params:
                continue
            beta1, beta2 = group["betas"]
            _C._adam_step(params, grads, exp_avgs, exp_avg_sqs, max_sqs if amsgrad else None,
                          steps, float(group["lr"]), float(beta1), float(beta2),
                          float(group["eps"]), float(group["weight_decay"]), amsgrad,
                          bool(group["maximize"]), bool(group["decoupled_weight_decay"]))
        return loss


class AdamW(Adam):
    r"""AdamW (Loshchilov & Hutter, 2017): Adam with decoupled weight decay.

    Weight decay shrinks the parameter directly, p = p * (1 - lr * weight_decay),
    instead of being added to the gradient, where Adam's normalisation would
    rescale it. Otherwise identical to Adam; the default weight_decay is 1e-2.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False, foreach=None, capturable=False,
                 differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, capturable=capturable,
                         differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
