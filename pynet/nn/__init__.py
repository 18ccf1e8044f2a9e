"""pynet.nn: layers, losses, containers and the functional API, as in torch.nn."""
from . import functional, init, utils  # noqa: F401
from .modules import *  # noqa: F401,F403
from .modules import Module, Sequential  # noqa: F401
from .parameter import Parameter  # noqa: F401
