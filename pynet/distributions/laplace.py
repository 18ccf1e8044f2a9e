"""Laplace(loc, scale): the double-exponential distribution."""
from numbers import Number

import pynet

from . import constraints
from .distribution import Distribution
from .utils import broadcast_all

__all__ = ["Laplace"]


class Laplace(Distribution):
    """The Laplace distribution: density exp(-|x - loc| / scale) / (2 scale)."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale)
        scalar = isinstance(loc, Number) and isinstance(scale, Number)
        super().__init__(pynet.Size() if scalar else self.loc.size(),
                         validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        """This distribution with its batch expanded to batch_shape."""
        new = self._get_checked_instance(Laplace, _instance)
        batch_shape = pynet.Size(batch_shape)
        new.loc, new.scale = self.loc.expand(batch_shape), self.scale.expand(batch_shape)
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self):
        """loc."""
        return self.loc

    @property
    def mode(self):
        """loc."""
        return self.loc

    @property
    def variance(self):
        """2 scale^2."""
        return 2 * self.scale.pow(2)

    @property
    def stddev(self):
        """sqrt(2) scale."""
        return (2 ** 0.5) * self.scale

    def rsample(self, sample_shape=pynet.Size()):
        """loc - scale sign(u) log(1 - |u|) with u ~ U(-1, 1) (the inverse CDF; u stays
        above -1 so that the log is finite)."""
        shape = self._extended_shape(sample_shape)
        eps = pynet.finfo(self.loc.dtype).eps
        with pynet.no_grad():
            u = pynet.rand(shape, dtype=self.loc.dtype) * (2 - eps) + (eps - 1)
            e = u.sign() * pynet.log1p(-u.abs())
        return self.loc - self.scale * e

    def log_prob(self, value):
        """-log(2 scale) - |value - loc| / scale."""
        if self._validate_args:
            self._validate_sample(value)
        return -pynet.log(2 * self.scale) - pynet.abs(value - self.loc) / self.scale

    def cdf(self, value):
        """1/2 - sign(value - loc) expm1(-|value - loc| / scale) / 2."""
        if self._validate_args:
            self._validate_sample(value)
        d = value - self.loc
        return 0.5 - 0.5 * d.sign() * pynet.expm1(-d.abs() / self.scale)

    def icdf(self, value):
        """loc - scale sign(value - 1/2) log(1 - 2 |value - 1/2|)."""
        term = value - 0.5
        return self.loc - self.scale * term.sign() * pynet.log1p(-2 * term.abs())

    def entropy(self):
        """1 + log(2 scale)."""
        return 1 + pynet.log(2 * self.scale)
