"""L-BFGS: a quasi-Newton method from the last few gradient differences."""
from .. import _C
from .._tensor import Tensor
from ..autograd import enable_grad, no_grad
from ._util import _check_lr
from .optimizer import Optimizer

__all__ = ["LBFGS"]


def _cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=None):
    """The minimiser of the cubic through (x1, f1) and (x2, f2) with slopes g1 and g2,
    clamped to bounds (default: between x1 and x2); their midpoint if the cubic has none.

    See Nocedal & Wright, Numerical Optimization, eq. 3.59.
    """
    if bounds is not None:
        lo, hi = bounds
    else:
        lo, hi = (x1, x2) if x1 <= x2 else (x2, x1)
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1 ** 2 - g1 * g2
    if d2_square >= 0:
        d2 = d2_square.sqrt() if isinstance(d2_square, Tensor) else d2_square ** 0.5
        if x1 <= x2:
            min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        else:
            min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
        return min(max(min_pos, lo), hi)
    return (lo + hi) / 2.0


def _strong_wolfe(obj_func, x, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9,
                  max_ls=25):
    """Line search along d for a step t meeting the strong Wolfe conditions

        f(x + t d) <= f + c1 t gtd   (sufficient decrease),   |g(x + t d) . d| <= -c2 gtd

    (Nocedal & Wright, algorithms 3.5 and 3.6): first grow t until the conditions hold or
    an interval containing such a step is bracketed, then shrink that bracket ("zoom").
    Returns (f_new, g_new, t, number of function evaluations).
    """
    d_norm = d.abs().max()
    g = g.clone()
    f_new, g_new = obj_func(x, t, d)
    evals = 1
    gtd_new = g_new.dot(d)
    t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
    done, ls_iter = False, 0
    bracket = None
    while ls_iter < max_ls:
        if f_new > (f + c1 * t * gtd) or (ls_iter > 1 and f_new >= f_prev):
            bracket = ([t_prev, t], [f_prev, f_new], [g_prev, g_new.clone()],
                       [gtd_prev, gtd_new])
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, done = ([t], [f_new], [g_new], None), True
            break
        if gtd_new >= 0:
            bracket = ([t_prev, t], [f_prev, f_new], [g_prev, g_new.clone()],
                       [gtd_prev, gtd_new])
            break
        # still descending: extrapolate, at least 1% further and at most 10x
        tmp = t
        t = _cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new,
                               bounds=(t + 0.01 * (t - t_prev), t * 10))
        t_prev, f_prev, g_prev, gtd_prev = tmp, f_new, g_new.clone(), gtd_new
        f_new, g_new = obj_func(x, t, d)
        evals += 1
        gtd_new = g_new.dot(d)
        ls_iter += 1
    if ls_iter == max_ls:
        bracket = ([0, t], [f, f_new], [g, g_new], None)
    state = dict(obj_func=obj_func, x=x, d=d, f=f, gtd=gtd, c1=c1, c2=c2, evals=evals,
                 ls_iter=ls_iter, done=done, max_ls=max_ls, d_norm=d_norm,
                 tolerance_change=tolerance_change)
    return _zoom(state, *bracket)


def _zoom(s, bracket, bracket_f, bracket_g, bracket_gtd):
    """Shrink the bracket by cubic interpolation until a strong Wolfe step is found."""
    insuf_progress = False
    low, high = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not s["done"] and s["ls_iter"] < s["max_ls"]:
        if abs(bracket[1] - bracket[0]) * s["d_norm"] < s["tolerance_change"]:
            break
        t = _cubic_interpolate(bracket[0], bracket_f[0], bracket_gtd[0],
                               bracket[1], bracket_f[1], bracket_gtd[1])
        # keep t at least 10% of the bracket away from its ends, unless the last step
        # already made good progress from an interior point
        lo_b, hi_b = min(bracket), max(bracket)
        eps = 0.1 * (hi_b - lo_b)
        if min(hi_b - t, t - lo_b) < eps:
            if insuf_progress or t >= hi_b or t <= lo_b:
                t = hi_b - eps if abs(t - hi_b) < abs(t - lo_b) else lo_b + eps
                insuf_progress = False
            else:
                insuf_progress = True
        else:
            insuf_progress = False
        f_new, g_new = s["obj_func"](s["x"], t, s["d"])
        s["evals"] += 1
        gtd_new = g_new.dot(s["d"])
        s["ls_iter"] += 1
        if f_new > (s["f"] + s["c1"] * t * s["gtd"]) or f_new >= bracket_f[low]:
            bracket[high], bracket_f[high] = t, f_new
            bracket_g[high], bracket_gtd[high] = g_new.clone(), gtd_new
            low, high = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -s["c2"] * s["gtd"]:
                s["done"] = True
            elif gtd_new * (bracket[high] - bracket[low]) >= 0:
                bracket[high], bracket_f[high] = bracket[low], bracket_f[low]
                bracket_g[high], bracket_gtd[high] = bracket_g[low], bracket_gtd[low]
            bracket[low], bracket_f[low] = t, f_new
            bracket_g[low], bracket_gtd[low] = g_new.clone(), gtd_new
    return bracket_f[low], bracket_g[low], bracket[low], s["evals"]


class LBFGS(Optimizer):
    r"""L-BFGS (Liu & Nocedal, 1989), as torch.optim.LBFGS; step() needs a closure.

    Each step runs up to max_iter iterations. An iteration builds the direction
    d = -H g, where H approximates the inverse Hessian from the last history_size pairs
    s = x_{k+1} - x_k, y = g_{k+1} - g_k (the two-loop recursion, started from
    H_0 = (s.y / y.y) I), then moves x += t d: t = lr (the first iteration ever:
    min(1, 1 / |g|_1) * lr), or the step found by a strong Wolfe line search with
    line_search_fn="strong_wolfe". Iterations stop at max_eval closure calls, when
    max|g| <= tolerance_grad, or when the step or the change of the loss falls below
    tolerance_change. One parameter group only; the state (history, last direction and
    step) is kept under the first parameter, as in PyTorch.
    """

    def __init__(self, params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7,
                 tolerance_change=1e-9, history_size=100, line_search_fn=None):
        _check_lr(lr)
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = dict(lr=lr, max_iter=max_iter, max_eval=max_eval,
                        tolerance_grad=tolerance_grad, tolerance_change=tolerance_change,
                        history_size=history_size, line_search_fn=line_search_fn)
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]
        self._numel_cache = None

    def __setstate__(self, state):
        super().__setstate__(state)
        if self.param_groups:
            self._params = self.param_groups[0]["params"]
        self._numel_cache = None

    def __getstate__(self):
        state = super().__getstate__()
        state["_params"] = self.param_groups[0]["params"]
        return state

    def _numel(self):
        if self._numel_cache is None:
            self._numel_cache = sum(p.numel() for p in self._params)
        return self._numel_cache

    def _gather_flat_grad(self):
        views = [_C.zeros((p.numel(),), dtype=p.dtype) if p.grad is None
                 else p.grad.reshape(-1) for p in self._params]
        return _C.cat(views, 0)

    def _add_grad(self, step_size, update):
        """x += step_size * update, update being the flat vector over all parameters."""
        offset = 0
        for p in self._params:
            n = p.numel()
            p.add_(update[offset:offset + n].view_as(p), alpha=float(step_size))
            offset += n

    def _clone_param(self):
        return [p.clone() for p in self._params]

    def _set_param(self, params_data):
        for p, data in zip(self._params, params_data):
            p.copy_(data)

    def _directional_evaluate(self, closure, x, t, d):
        """Loss and flat gradient at x + t d; the parameters are left at x."""
        self._add_grad(t, d)
        loss = float(closure())
        flat_grad = self._gather_flat_grad()
        self._set_param(x)
        return loss, flat_grad

    def _direction(self, state, flat_grad, prev_flat_grad, d, t):
        """Record the pair (s, y) of the last iteration, then d = -H g by the two-loop
        recursion over the stored pairs (Nocedal & Wright, algorithm 7.4)."""
        history_size = self.param_groups[0]["history_size"]
        old_dirs, old_stps, ro = state["old_dirs"], state["old_stps"], state["ro"]
        y = flat_grad.sub(prev_flat_grad)
        s = d.mul(t)
        ys = y.dot(s)
        if ys > 1e-10:  # keep H positive definite: skip pairs with too little curvature
            if len(old_dirs) == history_size:
                old_dirs.pop(0)
                old_stps.pop(0)
                ro.pop(0)
            old_dirs.append(y)
            old_stps.append(s)
            ro.append(1.0 / ys)
            state["H_diag"] = ys / y.dot(y)
        if "al" not in state:
            state["al"] = [None] * history_size
        al = state["al"]
        q = flat_grad.neg()
        for i in range(len(old_dirs) - 1, -1, -1):
            al[i] = old_stps[i].dot(q) * ro[i]
            q.add_(old_dirs[i], alpha=float(-al[i]))
        r = q * state["H_diag"]
        for i in range(len(old_dirs)):
            be_i = old_dirs[i].dot(r) * ro[i]
            r.add_(old_stps[i], alpha=float(al[i] - be_i))
        return r

    def _line_step(self, closure, group, state, t, d, loss, flat_grad, gtd, evals_left, last):
        """Move along d by t (after a line search if one is set). Returns the new loss,
        flat gradient, step t, closure evaluations used, and whether max|g| is small."""
        if group["line_search_fn"] is not None:
            if group["line_search_fn"] != "strong_wolfe":
                raise RuntimeError("only 'strong_wolfe' is supported")
            x_init = self._clone_param()

            def obj_func(x, step, direction):
                return self._directional_evaluate(closure, x, step, direction)

            loss, flat_grad, t, evals = _strong_wolfe(obj_func, x_init, t, d, loss, flat_grad,
                                                      gtd, max_ls=evals_left)
            self._add_grad(t, d)
            return loss, flat_grad, t, evals, bool(flat_grad.abs().max()
                                                   <= group["tolerance_grad"])
        self._add_grad(t, d)
        if last:  # no re-evaluation after the last iteration
            return loss, flat_grad, t, 0, False
        loss = float(closure())
        flat_grad = self._gather_flat_grad()
        return loss, flat_grad, t, 1, bool(flat_grad.abs().max() <= group["tolerance_grad"])

    @no_grad()
    def step(self, closure):
        """Run up to max_iter L-BFGS iterations. closure: re-evaluates the model (with
        backward) and returns the loss; it is required. Returns the loss at the start."""
        group = self.param_groups[0]
        lr, max_iter, max_eval = float(group["lr"]), group["max_iter"], group["max_eval"]
        tolerance_change = group["tolerance_change"]
        closure = enable_grad()(closure)
        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)
        orig_loss = closure()
        loss = float(orig_loss)
        current_evals = 1
        state["func_evals"] += 1
        flat_grad = self._gather_flat_grad()
        if flat_grad.abs().max() <= group["tolerance_grad"]:
            return orig_loss
        d, t = state.get("d"), state.get("t")
        prev_flat_grad, prev_loss = state.get("prev_flat_grad"), state.get("prev_loss")
        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d = flat_grad.neg()
                state.update(old_dirs=[], old_stps=[], ro=[], H_diag=1)
            else:
                d = self._direction(state, flat_grad, prev_flat_grad, d, t)
            if prev_flat_grad is None:
                prev_flat_grad = flat_grad.clone()
            else:
                prev_flat_grad.copy_(flat_grad)
            prev_loss = loss
            # first iteration ever: the gradient's scale is unknown, so take a short step
            t = min(1.0, 1.0 / flat_grad.abs().sum()) * lr if state["n_iter"] == 1 else lr
            gtd = flat_grad.dot(d)
            if gtd > -tolerance_change:  # not a descent direction
                break
            loss, flat_grad, t, evals, opt_cond = self._line_step(
                closure, group, state, t, d, loss, flat_grad, gtd, max_eval - current_evals,
                n_iter == max_iter)
            current_evals += evals
            state["func_evals"] += evals
            if (n_iter == max_iter or current_evals >= max_eval or opt_cond
                    or d.mul(t).abs().max() <= tolerance_change
                    or abs(loss - prev_loss) < tolerance_change):
                break
        state.update(d=d, t=t, prev_flat_grad=prev_flat_grad, prev_loss=prev_loss)
        return orig_loss
