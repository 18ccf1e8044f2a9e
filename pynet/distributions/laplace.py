"""Laplace(loc, scale): the double-exponential distribution."""
import pynet

from ._loc_scale import _LocScale

__all__ = ["Laplace"]


class Laplace(_LocScale):
    """The Laplace distribution: density exp(-|x - loc| / scale) / (2 scale)."""

    def expand(self, batch_shape, _instance=None):
        """This distribution with its batch expanded to batch_shape."""
        return self._expand_params(Laplace, batch_shape, _instance, ("loc", "scale"))

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
