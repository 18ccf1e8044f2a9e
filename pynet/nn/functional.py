"""pynet.nn.functional: the functional form of every layer and loss.

The ops themselves are C kernels in pynet._C; the Python wrappers with
PyTorch's signatures live in _functional_layers.py and _functional_loss.py.
"""
from .._tensor import Tensor


def relu(input, inplace=False):
    return input.relu_() if inplace else input.relu()


def sigmoid(input):
    return input.sigmoid()


def tanh(input):
    return input.tanh()


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = 0 if input.ndim in (0, 1, 3) else 1  # PyTorch's legacy implicit choice
    return input.softmax(dim, dtype=dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = 0 if input.ndim in (0, 1, 3) else 1
    return input.log_softmax(dim, dtype=dtype)


from ._functional_layers import *  # noqa: E402,F401,F403
from ._functional_loss import *  # noqa: E402,F401,F403
