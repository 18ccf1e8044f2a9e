"""Helpers shared by the distributions: broadcasting parameters, probs <-> logits."""
from numbers import Number

import pynet

__all__ = ["broadcast_all", "clamp_probs", "lazy_property", "logits_to_probs",
           "probs_to_logits"]


def broadcast_all(*values):
    """Broadcast tensors and Python numbers to one shape; numbers become tensors of the
    first tensor's dtype (of the default dtype when all are numbers)."""
    if not all(isinstance(v, (pynet.Tensor, Number)) for v in values):
        raise ValueError("broadcast_all: input arguments must all be instances of "
                         "numbers.Number or pynet.Tensor, got "
                         f"{[type(v).__name__ for v in values]}")
    tensors = [v for v in values if isinstance(v, pynet.Tensor)]
    dtype = tensors[0].dtype if tensors else pynet.get_default_dtype()
    values = [v if isinstance(v, pynet.Tensor) else pynet.tensor(v, dtype=dtype)
              for v in values]
    return pynet.broadcast_tensors(*values)


def _broadcast_params(*values):
    """(broadcast_all(*values), the batch shape they give): a distribution built from
    Python numbers only is a single one (batch shape ()), else its batch is the broadcast
    shape."""
    tensors = broadcast_all(*values)
    scalar = all(isinstance(v, Number) for v in values)
    return tensors, pynet.Size() if scalar else tensors[0].size()


def _check_probs_or_logits(probs, logits):
    """A distribution is given by exactly one of probs and logits."""
    if (probs is None) == (logits is None):
        raise ValueError("Either `probs` or `logits` must be specified, but not both.")


def _expand_probs_logits(dist, new, shape):
    """Give new each of probs and logits that dist holds, expanded to shape (one it lacks
    stays lazy, computed from the other when asked), and _param: the one given (logits
    when dist holds both)."""
    if "probs" in dist.__dict__:
        new.probs = dist.probs.expand(shape)
        new._param = new.probs
    if "logits" in dist.__dict__:
        new.logits = dist.logits.expand(shape)
        new._param = new.logits


def _sum_rightmost(value, dim):
    """Sum out the rightmost dim dimensions of value."""
    if dim == 0:
        return value
    return value.reshape(tuple(value.shape[:value.dim() - dim]) + (-1,)).sum(-1)


def clamp_probs(probs):
    """Probabilities clamped into [eps, 1 - eps] so that their logs stay finite."""
    eps = pynet.finfo(probs.dtype).eps
    return probs.clamp(min=eps, max=1 - eps)


def logits_to_probs(logits, is_binary=False):
    """Probabilities from logits: sigmoid (binary) or softmax over the last dim."""
    if is_binary:
        return pynet.sigmoid(logits)
    return pynet.softmax(logits, dim=-1)


def probs_to_logits(probs, is_binary=False):
    """Logits from probabilities: log(p) - log(1 - p) (binary) or log(p) (categorical)."""
    ps_clamped = clamp_probs(probs)
    if is_binary:
        return pynet.log(ps_clamped) - pynet.log1p(-ps_clamped)
    return pynet.log(ps_clamped)


class lazy_property:
    """A property computed on first access and then stored on the instance (so that a
    distribution built from logits computes probs only if asked, and keeps the graph)."""

    def __init__(self, wrapped):
        self.wrapped = wrapped
        self.__doc__ = wrapped.__doc__
        self.__name__ = wrapped.__name__

    def __get__(self, instance, obj_type=None):
        if instance is None:
            return self
        value = self.wrapped(instance)
        instance.__dict__[self.wrapped.__name__] = value
        return value
