"""pynet.distributions: probability distributions with PyTorch's interface.

    from pynet.distributions import Normal, kl_divergence
    d = Normal(loc, scale)
    x = d.rsample((100,))          # differentiable in loc and scale
    d.log_prob(x).mean().backward()
"""
from . import constraints
from .bernoulli import Bernoulli
from .categorical import Categorical
from .distribution import Distribution
from .exponential import Exponential
from .independent import Independent
from .kl import kl_divergence, register_kl
from .laplace import Laplace
from .normal import Normal
from .one_hot_categorical import OneHotCategorical
from .uniform import Uniform

__all__ = ["Bernoulli", "Categorical", "Distribution", "Exponential", "Independent",
           "Laplace", "Normal", "OneHotCategorical", "Uniform", "constraints",
           "kl_divergence", "register_kl"]
