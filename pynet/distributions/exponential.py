"""Exponential(rate): the exponential distribution."""
import pynet

from . import constraints
from .distribution import Distribution
from .utils import _broadcast_params

__all__ = ["Exponential"]


class Exponential(Distribution):
    """The exponential distribution with density rate * exp(-rate * x) on x >= 0."""

    arg_constraints = {"rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, rate, validate_args=None):
        (self.rate,), batch_shape = _broadcast_params(rate)
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        """This distribution with its batch expanded to batch_shape."""
        return self._expand_params(Exponential, batch_shape, _instance, ("rate",))

    @property
    def mean(self):
        """1 / rate."""
        return self.rate.reciprocal()

    @property
    def mode(self):
        """0."""
        return pynet.zeros_like(self.rate)

    @property
    def stddev(self):
        """1 / rate."""
        return self.rate.reciprocal()

    @property
    def variance(self):
        """1 / rate^2."""
        return self.rate.pow(-2)

    def rsample(self, sample_shape=pynet.Size()):
        """-log(1 - u) / rate with u ~ U[0, 1) (inverse-CDF sampling, differentiable)."""
        shape = self._extended_shape(sample_shape)
        with pynet.no_grad():
            e = -pynet.log1p(-pynet.rand(shape, dtype=self.rate.dtype))  # Exp(1) draws
        return e / self.rate

    def log_prob(self, value):
        """log(rate) - rate * value."""
        if self._validate_args:
            self._validate_sample(value)
        return pynet.log(self.rate) - self.rate * value

    def cdf(self, value):
        """1 - exp(-rate * value)."""
        if self._validate_args:
            self._validate_sample(value)
        return 1 - pynet.exp(-self.rate * value)

    def icdf(self, value):
        """-log(1 - value) / rate."""
        return -pynet.log1p(-value) / self.rate

    def entropy(self):
        """1 - log(rate)."""
        return 1.0 - pynet.log(self.rate)
