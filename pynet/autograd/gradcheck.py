"""gradcheck: compare autograd's gradients with central finite differences.

For each input x_i that requires grad, and each element j of it:
    numeric[j] = (f(x + eps e_j) - f(x - eps e_j)) / (2 eps)      (per output element)
Analytic gradients come from backward with one-hot output gradients. Inputs
should be float64: in float32 the differences are too noisy to be useful.
"""
import numpy as np

from .. import _C


def _as_tuple(x):
    return x if isinstance(x, tuple) else (x,)


def _flat_outputs(fn, inputs):
    outs = _as_tuple(fn(*inputs))
    return [o for o in outs if isinstance(o, _C.TensorBase) and o.dtype.is_floating_point]


class GradcheckError(RuntimeError):
    pass


def get_numerical_jacobian(fn, inputs, eps=1e-6):
    """List (per input) of arrays shaped (input.numel(), total output numel)."""
    jac = []
    prev = _C._set_grad_enabled(False)
    try:
        for x in inputs:
            if not (isinstance(x, _C.TensorBase) and x.requires_grad):
                continue
            xa = x.detach().numpy()
            flat_idx = list(np.ndindex(xa.shape)) if xa.ndim else [()]
            rows = []
            for idx in flat_idx:
                orig = float(xa[idx])
                xa[idx] = orig + eps
                plus = np.concatenate([o.detach().numpy().ravel().astype(np.float64)
                                       for o in _flat_outputs(fn, inputs)] or [np.zeros(0)])
                xa[idx] = orig - eps
                minus = np.concatenate([o.detach().numpy().ravel().astype(np.float64)
                                        for o in _flat_outputs(fn, inputs)] or [np.zeros(0)])
                xa[idx] = orig
                rows.append((plus - minus) / (2 * eps))
            jac.append(np.array(rows).reshape(len(flat_idx), -1))
    finally:
        _C._set_grad_enabled(prev)
    return jac


def get_analytical_jacobian(fn, inputs):
    from . import grad as autograd_grad

    diff = [x for x in inputs if isinstance(x, _C.TensorBase) and x.requires_grad]
    outs = _flat_outputs(fn, inputs)
    total = sum(o.numel() for o in outs)
    jac = [np.zeros((x.numel(), total)) for x in diff]
    col = 0
    for o in outs:
        for j in range(o.numel()):
            g = _C.zeros(o.shape, dtype=o.dtype)
            g.view(-1)[j] = 1.0
            if o.grad_fn is None and not o.requires_grad:
                col += 1
                continue
            grads = autograd_grad([o], diff, [g], retain_graph=True, allow_unused=True)
            for k, gk in enumerate(grads):
                if gk is not None:
                    jac[k][:, col] = gk.detach().numpy().astype(np.float64).ravel()
            col += 1
    return jac


def gradcheck(fn, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
              check_undefined_grad=True, nondet_tol=0.0, fast_mode=False):
    """True when analytic and numeric gradients agree for every input element."""
    inputs = _as_tuple(inputs)
    if not any(isinstance(x, _C.TensorBase) and x.requires_grad for x in inputs):
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but "
                         "none of them have requires_grad=True.")
    for i, x in enumerate(inputs):
        if isinstance(x, _C.TensorBase) and x.requires_grad and x.dtype != _C.float64:
            import warnings

            warnings.warn(f"gradcheck: input {i} is {x.dtype}, not float64; the check may fail "
                          f"from rounding alone", stacklevel=2)
    numeric = get_numerical_jacobian(fn, inputs, eps)
    analytic = get_analytical_jacobian(fn, inputs)
    diff_idx = [i for i, x in enumerate(inputs) if isinstance(x, _C.TensorBase) and x.requires_grad]
    for k, (n, a) in enumerate(zip(numeric, analytic)):
        bad = ~np.isclose(a, n, rtol=rtol, atol=atol)
        if bad.any():
            err = np.abs(a - n) - rtol * np.abs(n)
            r, c = np.unravel_index(np.argmax(np.where(bad, err, -np.inf)), a.shape)
            x = inputs[diff_idx[k]]
            pos = np.unravel_index(r, tuple(x.shape)) if x.ndim else ()
            # which output column c belongs to, and its element index within that output
            out_idx, c_local = 0, int(c)
            for o in _flat_outputs(fn, inputs):
                if c_local < o.numel():
                    break
                c_local -= o.numel()
                out_idx += 1
            c = c_local
            msg = (f"Jacobian mismatch for output {out_idx} with respect to input {diff_idx[k]} "
                   f"(shape {tuple(x.shape)}): worst element at input index {tuple(int(p) for p in pos)}, "
                   f"output element {c}: analytical {a[r, c]:.8g} vs numerical {n[r, c]:.8g} "
                   f"({int(bad.sum())} of {bad.size} entries differ; atol={atol}, rtol={rtol})")
            if raise_exception:
                raise GradcheckError(msg)
            return False
    return True
