"""Weight normalization (the deprecated hook-based version), as torch.nn.utils.weight_norm.

w = g * v / ||v||: the parameter `name` is replaced by a magnitude `name_g` and a direction
`name_v` (Salimans & Kingma, 2016), and a forward pre-hook recomputes w from them before
every forward call, so gradients flow to g and v.
"""
import warnings

from ..parameter import Parameter

__all__ = ["WeightNorm", "weight_norm", "remove_weight_norm"]


def _norm_except_dim(v, dim):
    """The 2-norm of v over every dim but `dim`, kept as size-1 dims (broadcasts against v);
    dim=-1 means the norm of the whole tensor (a 0-d tensor), as in PyTorch."""
    if dim == -1:
        return (v * v).sum().sqrt()
    dim = dim % v.ndim
    others = tuple(d for d in range(v.ndim) if d != dim)
    if not others:
        return v.abs()
    return (v * v).sum(dim=others, keepdim=True).sqrt()


class WeightNorm:
    """The forward pre-hook that recomputes module.<name> from <name>_g and <name>_v."""

    def __init__(self, name, dim):
        self.name = name
        self.dim = -1 if dim is None else dim

    def compute_weight(self, module):
        """g * v / ||v|| from the module's current g and v (differentiable)."""
        g = getattr(module, self.name + "_g")
        v = getattr(module, self.name + "_v")
        return v * (g / _norm_except_dim(v, self.dim))

    @staticmethod
    def apply(module, name, dim):
        """Reparametrise module.<name> and register the hook; returns the hook."""
        warnings.warn("`pynet.nn.utils.weight_norm` is deprecated, as its PyTorch counterpart "
                      "is (in favor of `torch.nn.utils.parametrizations.weight_norm`).",
                      FutureWarning, stacklevel=3)
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, WeightNorm) and hook.name == name:
                raise RuntimeError("Cannot register two weight_norm hooks on the same "
                                   f"parameter {name}")
        fn = WeightNorm(name, dim)
        weight = getattr(module, name)
        if fn.dim != -1 and not -weight.ndim <= fn.dim < weight.ndim:
            # -1 (or None) is the whole-tensor norm; any other dim must exist
            raise IndexError(f"weight_norm: Dimension out of range (expected to be in range "
                             f"of [{-weight.ndim}, {weight.ndim - 1}], but got {fn.dim}) for "
                             f"{name} of shape {list(weight.shape)}")
        del module._parameters[name]
        module.register_parameter(name + "_g",
                                  Parameter(_norm_except_dim(weight, fn.dim).detach()))
        module.register_parameter(name + "_v", Parameter(weight.detach()))
        setattr(module, name, fn.compute_weight(module))
        module.register_forward_pre_hook(fn)
        return fn

    def remove(self, module):
        """Put back a plain Parameter holding the current weight."""
        weight = self.compute_weight(module)
        delattr(module, self.name)
        del module._parameters[self.name + "_g"]
        del module._parameters[self.name + "_v"]
        setattr(module, self.name, Parameter(weight.detach()))

    def __call__(self, module, inputs):
        setattr(module, self.name, self.compute_weight(module))


def weight_norm(module, name="weight", dim=0):
    """Replace module.<name> by w = g * v / ||v|| with parameters <name>_g and <name>_v
    (deprecated; warns with a FutureWarning). dim: the dim kept by the norm (0: one
    magnitude per output channel); None: one norm over the whole tensor. Returns module."""
    WeightNorm.apply(module, name, dim)
    return module


def remove_weight_norm(module, name="weight"):
    """Undo weight_norm: module.<name> becomes a Parameter again. Returns module."""
    for key, hook in list(module._forward_pre_hooks.items()):
        if isinstance(hook, WeightNorm) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[key]
            return module
    raise ValueError(f"weight_norm of '{name}' not found in {module}")
