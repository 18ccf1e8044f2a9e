"""pynet.backends.cudnn: cuDNN's flags, settable as in PyTorch, though pynet has no cuDNN.

Scripts set ``torch.backends.cudnn.deterministic = True`` or ``benchmark = True`` to
steer GPU kernels; here they are plain module attributes with PyTorch's defaults, kept
so that such scripts run (pynet's CPU kernels are deterministic whatever they say).
"""

__all__ = ["allow_tf32", "benchmark", "deterministic", "enabled", "is_available", "version"]

enabled = True
benchmark = False
deterministic = False
allow_tf32 = True


def is_available() -> bool:
    """Whether cuDNN can be used: never in pynet."""
    return False


def version():
    """cuDNN's version: None, as PyTorch reports when it is not available."""
    return None
