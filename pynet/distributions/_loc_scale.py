"""_LocScale: the part Normal and Laplace share (parameters loc and scale)."""
from . import constraints
from .distribution import Distribution
from .utils import _broadcast_params


class _LocScale(Distribution):
    """A distribution on the reals with a location loc (its mean and mode) and a positive
    scale, broadcast together to the batch shape."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        (self.loc, self.scale), batch_shape = _broadcast_params(loc, scale)
        super().__init__(batch_shape, validate_args=validate_args)

    @property
    def mean(self):
        """loc."""
        return self.loc

    @property
    def mode(self):
        """loc."""
        return self.loc
