"""pynet.nn.Module: the base class of every layer and model.

The registries (_parameters, _buffers, _modules), attribute routing and
__call__ live in C (csrc/python/nn_module.c); this class adds the walking and
bookkeeping methods a learner uses: parameters(), state_dict(), train() ...
"""
import builtins
from collections import OrderedDict, namedtuple

from ... import _C
from ... import _memory_format as _mf
from ..._tensor import Tensor, _check_device, device_type as _device_type
from ...utils.hooks import RemovableHandle
from ..parameter import Parameter

class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """load_state_dict's result: the keys it missed and the ones it did not expect."""

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__




class Module(_C.ModuleBase):
    """Base class for all neural network modules. Subclasses define forward()."""

    __module__ = "pynet.nn"

    def __init__(self, *args, **kwargs):
        if args or kwargs:
            raise TypeError(f"{type(self).__name__}.__init__() got unexpected arguments")
        super().__init__()

    # --- registration --------------------------------------------------------
    def register_parameter(self, name, param):
        """Registers param (a Parameter, or None) under name."""
        _check_name(self, name, "parameter")
        _check_free(self, name, self._parameters)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{type(param).__name__}' object to parameter "
                            f"'{name}' (pynet.nn.Parameter or None required)")
        self._parameters[name] = param

    def register_buffer(self, name, tensor, persistent=True):
        """Registers tensor (or None) as a buffer under name; persistent ones go in state_dict."""
        _check_name(self, name, "buffer")
        _check_free(self, name, self._buffers)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{type(tensor).__name__}' object to buffer "
                            f"'{name}' (pynet.Tensor or None required)")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name, module):
        """Registers module (or None) as a sub-module under name (also register_module)."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        _check_name(self, name, "module")
        _check_free(self, name, self._modules)
        self._modules[name] = module

    register_module = add_module

    def get_submodule(self, target):
        """The sub-module at the dotted path target ('' is self)."""
        mod = self
        for item in target.split(".") if target else []:
            if item not in mod._modules:
                raise AttributeError(f"{type(mod).__name__} has no attribute `{item}`")
            mod = mod._modules[item]
        return mod

    def get_parameter(self, target):
        """The parameter at the dotted path target, e.g. 'layer1.weight'."""
        mod_path, _, name = target.rpartition(".")
        mod = self.get_submodule(mod_path)
        if mod._parameters.get(name) is None:  # a parameter set to None is none either
            raise AttributeError(f"{type(mod).__name__} has no parameter `{name}`")
        return mod._parameters[name]

    # --- walking ---------------------------------------------------------------
    def _named_members(self, get, prefix="", recurse=True, remove_duplicate=True):
        seen = set()
        mods = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) \
            if recurse else [(prefix, self)]
        for mod_prefix, mod in mods:
            for name, value in get(mod):
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                if remove_duplicate:
                    seen.add(id(value))
                yield (mod_prefix + ("." if mod_prefix else "") + name, value)

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        """Yields (dotted name, parameter) of self and (if recurse) its sub-modules."""
        return self._named_members(lambda m: m._parameters.items(), prefix, recurse,
                                   remove_duplicate)

    def parameters(self, recurse=True):
        """Yields the parameters of self and (if recurse) its sub-modules."""
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        """Yields (dotted name, buffer) of self and (if recurse) its sub-modules."""
        return self._named_members(lambda m: m._buffers.items(), prefix, recurse,
                                   remove_duplicate)

    def buffers(self, recurse=True):
        """Yields the buffers of self and (if recurse) its sub-modules."""
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def named_children(self):
        """Yields (name, module) of the direct sub-modules."""
        seen = set()
        for name, m in self._modules.items():
            if m is not None and id(m) not in seen:
                seen.add(id(m))
                yield name, m

    def children(self):
        """Yields the direct sub-modules."""
        for _, m in self.named_children():
            yield m

    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        """Yields (dotted name, module) of self and all its sub-modules, self first."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, m in self._modules.items():
            if m is None:
                continue
            sub = prefix + ("." if prefix else "") + name
            yield from m.named_modules(memo, sub, remove_duplicate)

    def modules(self):
        """Yields self and all its sub-modules, self first."""
        for _, m in self.named_modules():
            yield m

    # --- modes and gradients -------------------------------------------------
    def train(self, mode=True):
        """Sets training (mode=True) or evaluation mode, recursively; returns self."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        self.training = mode
        for m in self.children():
            m.train(mode)
        return self

    def eval(self):
        """Sets evaluation mode (train(False)); returns self."""
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        """Sets requires_grad on every parameter; returns self."""
        if not isinstance(requires_grad, builtins.bool):
            raise TypeError(f"requires_grad_(): argument 'requires_grad' (position 1) must be "
                            f"bool, not {type(requires_grad).__name__}")
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        """Resets the parameters' gradients: to None (set_to_none=True) or to zeros."""
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                g = p.grad
                if g.grad_fn is not None:
                    g = g.detach()
                    p.grad = g
                g.zero_()

    def apply(self, fn):
        """Calls fn on every sub-module (children first) and then on self; returns self."""
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    # --- dtype / device ----------------------------------------------------------
    def _apply(self, fn):
        for m in self.children():
            m._apply(fn)
        prev = _C._set_grad_enabled(False)
        try:
            for p in self._parameters.values():
                if p is None:
                    continue
                # in place, as PyTorch: the Parameter object stays, so weights tied between
                # modules stay tied and an optimizer made before .double() still steps them
                new = fn(p)
                if new is not p:
                    p.data = new
                if p.grad is not None:
                    g = fn(p.grad)
                    if g is not p.grad:
                        p.grad.data = g
            for key, b in self._buffers.items():
                if b is not None:
                    self._buffers[key] = fn(b)
        finally:
            _C._set_grad_enabled(prev)
        return self

    def to(self, *args, **kwargs):
        """to(dtype) / to(device) / to(tensor) / to(memory_format=...): cast the floating point
        parameters and buffers to dtype, and lay out the 4-d (channels_last) or 5-d
        (channels_last_3d) ones in that memory format; returns self."""
        unknown = set(kwargs) - {"device", "dtype", "non_blocking", "memory_format"}
        if unknown:
            raise TypeError(f"to() received an invalid combination of arguments: unexpected "
                            f"keyword argument(s) {sorted(unknown)}")
        dtype = kwargs.get("dtype")
        device = kwargs.get("device")
        for a in args:
            if isinstance(a, _C.dtype):
                dtype = a
            elif isinstance(a, Tensor):
                dtype = a.dtype
            elif isinstance(a, (str, _device_type)):
                device = a
            elif not isinstance(a, builtins.bool):  # to(device, dtype, non_blocking)
                raise TypeError(f"to() received an invalid combination of arguments: {a!r}")
        if device is not None:
            _check_device(device, "nn.Module.to")
        if dtype is not None and not dtype.is_floating_point:
            raise TypeError(f"nn.Module.to only accepts floating point dtypes, but got "
                            f"desired dtype={dtype}")
        fmt = kwargs.get("memory_format", _mf.preserve_format)
        rank = {_mf.channels_last: 4, _mf.channels_last_3d: 5}.get(fmt)

        def convert(t):
            if dtype is not None and t.dtype.is_floating_point:
                t = t.to(dtype)
            return t.contiguous(memory_format=fmt) if rank == t.dim() else t
        if dtype is None and rank is None:
            _mf._check(fmt, "to")
            return self
        return self._apply(convert)

    def cpu(self):
        """self: pynet modules are always on the CPU."""
        return self

    def cuda(self, device=None):
        """Raises AssertionError, as a CPU-only PyTorch does: pynet has no CUDA."""
        _check_device("cuda", "nn.Module.cuda")
        return self

    def float(self):
        """Casts floating-point parameters and buffers to float32; returns self."""
        return self.to(_C.float32)

    def double(self):
        """Casts floating-point parameters and buffers to float64; returns self."""
        return self.to(_C.float64)

    # --- state dict --------------------------------------------------------------
    def state_dict(self, *args, destination=None, prefix="", keep_vars=False):
        """OrderedDict: dotted name -> parameter or persistent buffer (detached unless keep_vars)"""
        if args:  # the old positional form state_dict(destination, prefix, keep_vars)
            destination = args[0]
            if len(args) > 1:
                prefix = args[1]
            if len(args) > 2:
                keep_vars = args[2]
        if destination is None:
            destination = OrderedDict()
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if keep_vars else p.detach()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = b if keep_vars else b.detach()
        for name, m in self._modules.items():
            if m is not None:
                m.state_dict(destination=destination, prefix=prefix + name + ".",
                             keep_vars=keep_vars)
        return destination

    def load_state_dict(self, state_dict, strict=True, assign=False):
        """Copy parameters and buffers from state_dict; report missing/unexpected keys."""
        if not hasattr(state_dict, "keys"):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        missing, errors = [], []
        expected = set()
        prev = _C._set_grad_enabled(False)
        try:
            # every path, as state_dict writes them: a submodule under two names has two keys
            for mod_prefix, mod in self.named_modules(remove_duplicate=False):
                p = mod_prefix + "." if mod_prefix else ""
                local = [(n, t) for n, t in mod._parameters.items() if t is not None]
                local += [(n, t) for n, t in mod._buffers.items()
                          if t is not None and n not in mod._non_persistent_buffers_set]
                for name, target in local:
                    key = p + name
                    expected.add(key)
                    if key not in state_dict:
                        # buffers older checkpoints lack keep their value (PyTorch's rule)
                        if name not in getattr(mod, "_optional_buffers", ()):
                            missing.append(key)
                        continue
                    value = state_dict[key]
                    if not isinstance(value, Tensor):
                        errors.append(f'While copying the parameter named "{key}", expected '
                                      f"a tensor, got {type(value).__name__}.")
                        continue
                    if tuple(value.shape) != tuple(target.shape):
                        errors.append(f"size mismatch for {key}: copying a param with shape "
                                      f"{_shape(value.shape)} from checkpoint, the shape in "
                                      f"current model is {_shape(target.shape)}.")
                        continue
                    if assign:
                        if name in mod._parameters:
                            mod._parameters[name] = Parameter(value, target.requires_grad)
                        else:
                            mod._buffers[name] = value
                    else:
                        target.copy_(value)
        finally:
            _C._set_grad_enabled(prev)
        unexpected = [k for k in state_dict.keys() if k not in expected]
        if strict:
            if unexpected:
                errors.insert(0, "Unexpected key(s) in state_dict: " +
                              ", ".join(f'"{k}"' for k in unexpected) + ". ")
            if missing:
                errors.insert(0, "Missing key(s) in state_dict: " +
                              ", ".join(f'"{k}"' for k in missing) + ". ")
        if errors:
            raise RuntimeError("Error(s) in loading state_dict for {}:\n\t{}".format(
                type(self).__name__, "\n\t".join(errors)))
        return _IncompatibleKeys(missing, unexpected)

    # --- hooks ---------------------------------------------------------------------
    def register_forward_pre_hook(self, hook):
        """Registers hook(module, args), called before forward; returns a handle."""
        handle = RemovableHandle(self._forward_pre_hooks)
        self._forward_pre_hooks[handle.id] = hook
        return handle

    def register_forward_hook(self, hook):
        """Registers hook(module, args, output), called after forward; returns a handle."""
        handle = RemovableHandle(self._forward_hooks)
        self._forward_hooks[handle.id] = hook
        return handle

    # --- printing ------------------------------------------------------------------
    def extra_repr(self):
        """The extra text shown inside the module's repr (override it; empty here)."""
        return ""

    def _get_name(self):
        return type(self).__name__

    def __repr__(self):
        lines = []
        extra = self.extra_repr()
        if extra:
            lines = extra.split("\n")
        children = []
        for name, m in self._modules.items():
            mod_str = repr(m).replace("\n", "\n  ")
            children.append(f"({name}): {mod_str}")
        lines = lines + children
        main = self._get_name() + "("
        if lines:
            if len(lines) == 1 and not children:
                main += lines[0]
            else:
                main += "\n  " + "\n  ".join(lines) + "\n"
        return main + ")"

    def __dir__(self):
        keys = list(super().__dir__())
        keys += list(self._parameters) + list(self._buffers) + list(self._modules)
        return sorted(set(keys))

    # --- copy / deepcopy / pickle ---------------------------------------------
    # The registries and hooks live in C slots, not in __dict__: the state carries them too.
    # copy.deepcopy copies each Parameter once (its memo), so shared and tied weights stay
    # shared in the copy. pickle is for in-process copies and multiprocessing; files are
    # written with pynet.save, which never pickles.
    _SLOT_STATE = ("_parameters", "_buffers", "_modules", "_non_persistent_buffers_set",
                   "_forward_pre_hooks", "_forward_hooks")

    def __getstate__(self):
        """The module's attributes, registries and hooks, for copy and pickle."""
        state = dict(self.__dict__)
        for name in self._SLOT_STATE:
            state[name] = getattr(self, name)
        state["training"] = self.training
        return state

    def __setstate__(self, state):
        """Restore what __getstate__ gave, on a module made by __new__."""
        state = dict(state)
        for name in self._SLOT_STATE:
            registry = getattr(self, name)
            registry.clear()
            registry.update(state.pop(name, ()))
        self.training = state.pop("training", True)
        self.__dict__.update(state)

    def summary(self, input_size, dtype=None):
        """A summary of the model's layers, output shapes and parameter counts (see nn.summary)."""
        from ..summary import summary

        return summary(self, input_size, dtype=dtype)


def _shape(shape):
    return "pynet.Size(" + str(list(shape)) + ")"


def _check_free(module, name, own):
    """PyTorch's rule: a name another registry (parameters, buffers, sub-modules) holds is
    taken; register_* replaces only its own entries."""
    for r in (module._parameters, module._buffers, module._modules):
        if r is not own and name in r:
            raise KeyError(f"attribute '{name}' already exists")


def _check_name(module, name, kind):
    if not isinstance(name, str):
        raise TypeError(f"{kind} name should be a string. Got {type(name).__name__}")
    if name == "":
        raise KeyError(f'{kind} name can\'t be empty string ""')
    if "." in name:
        raise KeyError(f'{kind} name can\'t contain "."')
    registries = (module._parameters, module._buffers, module._modules)
    if hasattr(type(module), name) or (name in module.__dict__ and
                                       not any(name in r for r in registries)):
        raise KeyError(f"attribute '{name}' already exists")
