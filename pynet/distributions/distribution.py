"""Distribution: the base class of pynet.distributions (PyTorch's interface).

A distribution holds a batch of independent distributions (batch_shape) over events of
event_shape. sample(sample_shape) returns a tensor of shape sample_shape + batch_shape +
event_shape; log_prob(value) one log-density per batch element. With validate_args (on by
default, as in PyTorch) parameters are checked against arg_constraints when the
distribution is built, and values against support in log_prob/cdf.
"""
import pynet

from . import constraints
from .utils import lazy_property

__all__ = ["Distribution"]


def _value_text(value):
    """How PyTorch shows a tensor in its validation messages (f'{tensor}')."""
    return str(value.item()) if value.dim() == 0 else repr(value)


class Distribution:
    """Base class of probability distributions (batch_shape, event_shape, sample, ...)."""

    has_rsample = False
    has_enumerate_support = False
    _validate_args = True  # PyTorch's default (its __debug__)

    @staticmethod
    def set_default_validate_args(value):
        """Turn argument validation on (True) or off (False) for new distributions."""
        if value not in [True, False]:
            raise ValueError(f"set_default_validate_args: expected True or False, got "
                             f"{value!r}")
        Distribution._validate_args = value

    def __init__(self, batch_shape=pynet.Size(), event_shape=pynet.Size(),
                 validate_args=None):
        self._batch_shape = pynet.Size(batch_shape)
        self._event_shape = pynet.Size(event_shape)
        if validate_args is not None:
            self._validate_args = validate_args
        if self._validate_args:
            self._check_parameters()

    def _check_parameters(self):
        try:
            arg_constraints = self.arg_constraints
        except NotImplementedError:
            arg_constraints = {}
        for param, constraint in arg_constraints.items():
            if constraints.is_dependent(constraint):
                continue  # depends on other parameters: not checkable alone
            if param not in self.__dict__ and isinstance(getattr(type(self), param),
                                                         lazy_property):
                continue  # not given (e.g. probs when built from logits): not computed
            value = getattr(self, param)
            if not constraint.check(value).all():
                raise ValueError(
                    f"Expected parameter {param} ({type(value).__name__} of shape "
                    f"{tuple(value.shape)}) of distribution {self!r} to satisfy the "
                    f"constraint {constraint!r}, but found invalid values:\n"
                    f"{_value_text(value)}")

    def expand(self, batch_shape, _instance=None):
        """A new distribution with its batch expanded to batch_shape (parameters are views)."""
        raise NotImplementedError(f"{type(self).__name__}.expand is not implemented")

    def _get_checked_instance(self, cls, _instance=None):
        if _instance is None and type(self).__init__ != cls.__init__:
            raise NotImplementedError(
                f"Subclass {self.__class__.__name__} of {cls.__name__} that defines a custom "
                f"__init__ method must also define a custom .expand() method.")
        return self.__new__(type(self)) if _instance is None else _instance

    def _finish_expand(self, new, batch_shape, event_shape=pynet.Size()):
        """The end of every expand(): set new's shapes and give it this distribution's
        validate_args. Its parameters are not checked again: they are views of this
        distribution's, which were."""
        Distribution.__init__(new, batch_shape, event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def _expand_params(self, cls, batch_shape, _instance, names):
        """expand() of a cls whose parameters, the attributes names, all have the batch
        shape (they were broadcast together by broadcast_all)."""
        new = self._get_checked_instance(cls, _instance)
        batch_shape = pynet.Size(batch_shape)
        expanded = [getattr(self, name).expand(batch_shape) for name in names]
        for name, value in zip(names, expanded):
            setattr(new, name, value)
        return self._finish_expand(new, batch_shape)

    def _enumerate_over_batch(self, values, expand):
        """enumerate_support() from values (the support points along the first dim, each of
        event_shape): one broadcastable dim per batch dim, expanded over the batch when
        expand."""
        n, event = values.shape[0], tuple(self._event_shape)
        values = values.view((n,) + (1,) * len(self._batch_shape) + event)
        if expand:
            values = values.expand((n,) + tuple(self._batch_shape) + event)
        return values

    @property
    def batch_shape(self):
        """The shape over which parameters are batched."""
        return self._batch_shape

    @property
    def event_shape(self):
        """The shape of a single sample (without batching)."""
        return self._event_shape

    @property
    def arg_constraints(self):
        """Parameter name -> the Constraint it must satisfy."""
        raise NotImplementedError(f"{type(self).__name__}.arg_constraints is not implemented")

    @property
    def support(self):
        """The Constraint describing the distribution's support."""
        raise NotImplementedError(f"{type(self).__name__}.support is not implemented")

    @property
    def mean(self):
        """The mean of the distribution."""
        raise NotImplementedError(f"{type(self).__name__}.mean is not implemented")

    @property
    def mode(self):
        """The mode of the distribution."""
        raise NotImplementedError(f"{type(self).__name__}.mode is not implemented")

    @property
    def variance(self):
        """The variance of the distribution."""
        raise NotImplementedError(f"{type(self).__name__}.variance is not implemented")

    @property
    def stddev(self):
        """The standard deviation of the distribution."""
        return self.variance.sqrt()

    def sample(self, sample_shape=pynet.Size()):
        """A sample (or a sample_shape batch of them), without gradient."""
        with pynet.no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape=pynet.Size()):
        """A reparameterized sample: differentiable with respect to the parameters."""
        raise NotImplementedError(f"{type(self).__name__}.rsample is not implemented")

    def log_prob(self, value):
        """The log of the probability density/mass function at value."""
        raise NotImplementedError(f"{type(self).__name__}.log_prob is not implemented")

    def cdf(self, value):
        """The cumulative distribution function at value."""
        raise NotImplementedError(f"{type(self).__name__}.cdf is not implemented")

    def icdf(self, value):
        """The inverse cumulative distribution function at value."""
        raise NotImplementedError(f"{type(self).__name__}.icdf is not implemented")

    def enumerate_support(self, expand=True):
        """All the values of a discrete distribution's support, along a new first dim."""
        raise NotImplementedError(f"{type(self).__name__}.enumerate_support is not "
                                  f"implemented")

    def entropy(self):
        """The entropy, one per batch element."""
        raise NotImplementedError(f"{type(self).__name__}.entropy is not implemented")

    def perplexity(self):
        """exp(entropy)."""
        return pynet.exp(self.entropy())

    def _extended_shape(self, sample_shape=pynet.Size()):
        """sample_shape + batch_shape + event_shape."""
        if not isinstance(sample_shape, pynet.Size):
            sample_shape = pynet.Size(sample_shape)
        return pynet.Size(tuple(sample_shape) + tuple(self._batch_shape)
                          + tuple(self._event_shape))

    def _validate_sample(self, value):
        """Check value's type, its shape against batch/event shape, and the support."""
        if not isinstance(value, pynet.Tensor):
            raise ValueError("The value argument to log_prob must be a Tensor")
        event_start = value.dim() - len(self._event_shape)
        if tuple(value.shape[event_start:]) != tuple(self._event_shape):
            raise ValueError(f"The right-most size of value must match event_shape: "
                             f"{value.shape} vs {self._event_shape}.")
        actual, expected = value.shape, self._batch_shape + self._event_shape
        for i, j in zip(reversed(actual), reversed(tuple(expected))):
            if i != 1 and j != 1 and i != j:
                raise ValueError(f"Value is not broadcastable with batch_shape+event_shape: "
                                 f"{actual} vs {pynet.Size(expected)}.")
        try:
            support = self.support
        except NotImplementedError:
            return
        if not support.check(value).all():
            raise ValueError(
                f"Expected value argument ({type(value).__name__} of shape "
                f"{tuple(value.shape)}) to be within the support ({support!r}) of the "
                f"distribution {self!r}, but found invalid values:\n{_value_text(value)}")

    def __repr__(self):
        try:
            names = [k for k in self.arg_constraints if k in self.__dict__]
        except NotImplementedError:
            names = []
        args = ", ".join(f"{p}: " + (_value_text(self.__dict__[p])
                                     if self.__dict__[p].numel() == 1
                                     else str(self.__dict__[p].size()))
                         for p in names)
        return f"{type(self).__name__}({args})"
