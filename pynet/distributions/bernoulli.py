"""Bernoulli(probs or logits): one coin flip."""
import pynet
import pynet.nn.functional as F

from . import constraints
from .distribution import Distribution
from .utils import (_broadcast_params, _check_probs_or_logits, _expand_probs_logits,
                    broadcast_all, lazy_property, logits_to_probs, probs_to_logits)

__all__ = ["Bernoulli"]


class Bernoulli(Distribution):
    """1 with probability probs (= sigmoid(logits)), else 0."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.boolean
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        _check_probs_or_logits(probs, logits)
        (param,), batch_shape = _broadcast_params(probs if probs is not None else logits)
        if probs is not None:
            self.probs = param
        else:
            self.logits = param
        self._param = param
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        """This distribution with its batch expanded to batch_shape."""
        new = self._get_checked_instance(Bernoulli, _instance)
        batch_shape = pynet.Size(batch_shape)
        _expand_probs_logits(self, new, batch_shape)
        return self._finish_expand(new, batch_shape)

    @property
    def mean(self):
        """probs."""
        return self.probs

    @property
    def mode(self):
        """1 where probs > 1/2, 0 where below, NaN at exactly 1/2."""
        p = self.probs
        return pynet.where(p == 0.5, pynet.full_like(p, float("nan")),
                           (p >= 0.5).to(p.dtype))

    @property
    def variance(self):
        """probs (1 - probs)."""
        return self.probs * (1 - self.probs)

    @lazy_property
    def logits(self):
        """log(probs) - log(1 - probs)."""
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self):
        """sigmoid(logits)."""
        return logits_to_probs(self.logits, is_binary=True)

    @property
    def param_shape(self):
        """The shape of the parameter tensor."""
        return self._param.size()

    def sample(self, sample_shape=pynet.Size()):
        """0/1 draws (floating, like probs) of shape sample_shape + batch_shape."""
        shape = self._extended_shape(sample_shape)
        with pynet.no_grad():
            return pynet.bernoulli(self.probs.expand(shape))

    def log_prob(self, value):
        """value log(p) + (1 - value) log(1 - p), computed stably from the logits."""
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        return -F.binary_cross_entropy_with_logits(logits, value, reduction="none")

    def entropy(self):
        """-p log(p) - (1 - p) log(1 - p)."""
        return F.binary_cross_entropy_with_logits(self.logits, self.probs, reduction="none")

    def enumerate_support(self, expand=True):
        """[0, 1] along a new first dim (expanded over the batch unless expand=False)."""
        return self._enumerate_over_batch(pynet.arange(2, dtype=self._param.dtype), expand)
