"""pynet.optim: optimizers and learning-rate schedulers, with PyTorch's API.

    opt = pynet.optim.Adam(params, lr=1e-3)
    for x, y in data:
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()

SGD, Adam(W), Adagrad, Adadelta and RMSprop update a parameter in one fused C pass
(csrc/kernels/optim.c); NAdam, RAdam, Adamax, ASGD, Rprop and LBFGS are written with
pynet tensor operations. pynet.optim.Optimizer can be subclassed in Python.
"""
from . import lr_scheduler
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .adamax import Adamax
from .asgd import ASGD
from .lbfgs import LBFGS
from .nadam import NAdam
from .optimizer import Optimizer
from .radam import RAdam
from .rmsprop import RMSprop
from .rprop import Rprop
from .sgd import SGD

__all__ = ["ASGD", "Adadelta", "Adagrad", "Adam", "AdamW", "Adamax", "LBFGS", "NAdam", "Optimizer",
           "RAdam", "RMSprop", "Rprop", "SGD", "lr_scheduler"]
