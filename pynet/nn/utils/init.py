"""skip_init: build a module whose parameters need no initial values."""
import inspect

__all__ = ["skip_init"]


def skip_init(module_cls, *args, **kwargs):
    """Instantiate module_cls(*args, **kwargs) for parameters that will be overwritten
    (e.g. by load_state_dict); the parameter values are unspecified.

    The class must accept a `device` argument, as in PyTorch. PyTorch builds the module
    on its 'meta' device to skip the initialisation work; pynet has no such device, so
    the module is built (and initialised) normally on the CPU.
    """
    from ..modules.module import Module
    if not (isinstance(module_cls, type) and issubclass(module_cls, Module)):
        raise RuntimeError(f"Expected a Module; got {module_cls}")
    if "device" not in inspect.signature(module_cls).parameters:
        raise RuntimeError("Module must support a 'device' arg to skip initialization")
    kwargs["device"] = kwargs.get("device", "cpu")
    return module_cls(*args, **kwargs)
