"""pynet.optim: optimizers and learning-rate schedulers, with PyTorch's API.

    opt = pynet.optim.Adam(params, lr=1e-3)
    for x, y in data:
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()

Each built-in optimizer updates a parameter in one fused C pass
(csrc/kernels/optim.c); pynet.optim.Optimizer can be subclassed in Python.
"""
from . import lr_scheduler
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Adadelta", "Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "SGD",
           "lr_scheduler"]
