"""Rprop: resilient backpropagation, steps from gradient signs only."""
from .._creation import full_like, zeros_like
from ..autograd import no_grad
from ._util import (_check_lr, _fill_group_defaults, _scalar_state, _stepped_params,
                    _tensorize_state)
from .optimizer import Optimizer, _check_not_differentiable

__all__ = ["Rprop"]


class Rprop(Optimizer):
    r"""Rprop (Riedmiller & Braun, 1993), as torch.optim.Rprop.

    Each coordinate keeps its own step size s (starting at lr). At each step, comparing
    the sign of the gradient with the previous one:

        same sign:      s = min(s * etaplus, max_step)     (keep going, faster)
        sign flipped:   s = max(s * etaminus, min_step);  g = 0   (overshot: no move,
                                                                   and forget this g)
        a zero:         s unchanged
        p = p - sign(g) * s;   prev = g

    State: {"step", "prev", "step_size"}. Written with pynet tensor ops.
    """

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        _check_lr(lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        _check_not_differentiable(differentiable)
        defaults = dict(lr=lr, etas=etas, step_sizes=step_sizes, foreach=foreach,
                        maximize=maximize, differentiable=differentiable,
                        capturable=capturable)
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        _fill_group_defaults(self, foreach=None, maximize=False, differentiable=False,
                             capturable=False)
        _tensorize_state(self, ("step",))

    @staticmethod
    def _new_state(p, group):
        # every coordinate's step size starts at lr
        return {"step": _scalar_state(0.0), "prev": zeros_like(p),
                "step_size": full_like(p.grad, float(group["lr"]))}

    @no_grad()
    def step(self, closure=None):
        """Perform one optimization step (closure: re-evaluates the model, returns the loss)."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            etaminus, etaplus = group["etas"]
            step_size_min, step_size_max = group["step_sizes"]
            for p, grad, state in _stepped_params(self, group, self._new_state):
                grad = grad.clone()  # masked in place below; p.grad stays as it was
                agree = grad.mul(state["prev"]).sign()
                flipped = agree < 0
                factor = agree.masked_fill_(agree > 0, etaplus).masked_fill_(
                    flipped, etaminus).masked_fill_(agree == 0, 1.0)
                step_size = state["step_size"]
                step_size.mul_(factor).clamp_(step_size_min, step_size_max)
                grad.masked_fill_(flipped, 0.0)  # after a sign flip: no move this step
                p.addcmul_(grad.sign(), step_size, value=-1)
                state["prev"].copy_(grad)
        return loss
