"""Categorical(probs or logits): one draw from K categories."""
import pynet

from . import constraints
from .distribution import Distribution
from .utils import (_check_probs_or_logits, _expand_probs_logits, lazy_property,
                    logits_to_probs, probs_to_logits)

__all__ = ["Categorical"]


class Categorical(Distribution):
    """A category index in [0, K) drawn with the (normalized) probabilities of the last
    dim of probs, or softmax(logits); the other dims are the batch."""

    arg_constraints = {"probs": constraints.simplex,
                       "logits": constraints.independent(constraints.real, 1)}
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        _check_probs_or_logits(probs, logits)
        if probs is not None:
            if probs.dim() < 1:
                raise ValueError("`probs` parameter must be at least one-dimensional.")
            self.probs = probs / probs.sum(-1, keepdim=True)
        else:
            if logits.dim() < 1:
                raise ValueError("`logits` parameter must be at least one-dimensional.")
            # normalized logits: log-probabilities
            self.logits = logits - logits.logsumexp(dim=-1, keepdim=True)
        self._param = self.probs if probs is not None else self.logits
        self._num_events = self._param.size()[-1]
        batch_shape = self._param.size()[:-1] if self._param.dim() > 1 else pynet.Size()
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        """This distribution with its batch expanded to batch_shape."""
        new = self._get_checked_instance(Categorical, _instance)
        batch_shape = pynet.Size(batch_shape)
        _expand_probs_logits(self, new, tuple(batch_shape) + (self._num_events,))
        new._num_events = self._num_events
        return self._finish_expand(new, batch_shape)

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self):
        """integer_interval(0, K - 1)."""
        return constraints.integer_interval(0, self._num_events - 1)

    @lazy_property
    def logits(self):
        """log(probs)."""
        return probs_to_logits(self.probs)

    @lazy_property
    def probs(self):
        """softmax(logits)."""
        return logits_to_probs(self.logits)

    @property
    def param_shape(self):
        """The shape of the parameter tensor (batch_shape + (K,))."""
        return self._param.size()

    @property
    def mean(self):
        """NaN (a category index has no meaningful mean)."""
        return pynet.full(self._extended_shape(), float("nan"), dtype=self.probs.dtype)

    @property
    def mode(self):
        """The most probable category."""
        return self.probs.argmax(-1)

    @property
    def variance(self):
        """NaN (a category index has no meaningful variance)."""
        return pynet.full(self._extended_shape(), float("nan"), dtype=self.probs.dtype)

    def sample(self, sample_shape=pynet.Size()):
        """int64 category indices of shape sample_shape + batch_shape."""
        sample_shape = pynet.Size(sample_shape)
        n = 1
        for s in sample_shape:
            n *= s
        with pynet.no_grad():
            probs_2d = self.probs.reshape(-1, self._num_events)
            if probs_2d.shape[0] == 0 and n > 0:  # an empty batch: nothing to draw
                return pynet.zeros(self._extended_shape(sample_shape), dtype=pynet.int64)
            samples_2d = pynet.multinomial(probs_2d, n, True).t()
            return samples_2d.reshape(self._extended_shape(sample_shape))

    def log_prob(self, value):
        """log(probs[value]) (value broadcast against the batch)."""
        if self._validate_args:
            self._validate_sample(value)
        value = value.long().unsqueeze(-1)
        value, log_pmf = pynet.broadcast_tensors(value, self.logits)
        return log_pmf.gather(-1, value[..., :1]).squeeze(-1)

    def entropy(self):
        """-sum(p log p) (logits clamped to the dtype's finite min so 0 log 0 = 0)."""
        min_real = pynet.finfo(self.logits.dtype).min
        logits = self.logits.clamp(min=min_real)
        return -(logits * self.probs).sum(-1)

    def enumerate_support(self, expand=True):
        """0 .. K-1 along a new first dim (expanded over the batch unless expand=False)."""
        return self._enumerate_over_batch(pynet.arange(self._num_events, dtype=pynet.int64),
                                          expand)
