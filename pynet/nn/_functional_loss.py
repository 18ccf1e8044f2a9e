"""Loss functions of pynet.nn.functional, with PyTorch's signatures.

The work happens in C (csrc/kernels/loss.c, bound in csrc/python/ops_loss.c);
these wrappers check and translate the arguments the way torch.nn.functional
does: the reduction string (and the deprecated size_average / reduce flags)
becomes an int, 0 'none', 1 'mean', 2 'sum'.
"""
import warnings

from .. import _C

__all__ = ["cross_entropy", "nll_loss", "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss",
           "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div"]

_REDUCTIONS = {"none": 0, "mean": 1, "sum": 2}


def _reduction_enum(reduction):
    try:
        return _REDUCTIONS[reduction]
    except (KeyError, TypeError):
        raise ValueError(f"{reduction} is not a valid value for reduction") from None


def _legacy_reduction(size_average, reduce, emit_warning=True):
    """torch's _Reduction.legacy_get_string: the old flags as a reduction string."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if size_average and reduce:
        ret = "mean"
    elif reduce:
        ret = "sum"
    else:
        ret = "none"
    if emit_warning:
        warnings.warn(f"size_average and reduce args will be deprecated, please use "
                      f"reduction='{ret}' instead.", stacklevel=3)
    return ret


def _get_reduction(size_average, reduce, reduction):
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    return _reduction_enum(reduction)


def _check_tensor(name, value):
    if not isinstance(value, _C.TensorBase):
        raise TypeError(f"{name}(): argument must be a Tensor, not {type(value).__name__}")


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """Cross entropy between logits `input` and `target`, fused with log-softmax.

    input: (C,), (N, C) or (N, C, d1, ...). target: class indices of shape (), (N,) or
    (N, d1, ...) (int64), or class probabilities of input's shape (float).
    """
    _check_tensor("cross_entropy", input)
    _check_tensor("cross_entropy", target)
    red = _get_reduction(size_average, reduce, reduction)
    return _C.cross_entropy(input, target, weight, int(ignore_index), red, float(label_smoothing))


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    """Negative log likelihood: input holds log-probabilities, (C,), (N, C) or (N, C, d1, ...)."""
    _check_tensor("nll_loss", input)
    _check_tensor("nll_loss", target)
    red = _get_reduction(size_average, reduce, reduction)
    return _C.nll_loss(input, target, weight, int(ignore_index), red)


def _warn_size(name, input, target):
    if target.shape != input.shape:
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input size "
                      f"({input.shape}). This will likely lead to incorrect results due to "
                      f"broadcasting. Please ensure they have the same size.", stacklevel=3)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean squared error (x - y)^2, broadcasting input against target."""
    _check_tensor("mse_loss", input)
    _check_tensor("mse_loss", target)
    _warn_size("mse_loss", input, target)
    red = _get_reduction(size_average, reduce, reduction)
    if weight is not None:
        raise NotImplementedError("mse_loss: the weight argument is not supported by pynet")
    return _C.mse_loss(input, target, red)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean absolute error |x - y|."""
    _check_tensor("l1_loss", input)
    _check_tensor("l1_loss", target)
    _warn_size("l1_loss", input, target)
    red = _get_reduction(size_average, reduce, reduction)
    if weight is not None:
        raise NotImplementedError("l1_loss: the weight argument is not supported by pynet")
    return _C.l1_loss(input, target, red)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """0.5 d^2 / beta where |d| < beta, |d| - 0.5 beta elsewhere (d = input - target)."""
    _check_tensor("smooth_l1_loss", input)
    _check_tensor("smooth_l1_loss", target)
    _warn_size("smooth_l1_loss", input, target)
    red = _get_reduction(size_average, reduce, reduction)
    return _C.smooth_l1_loss(input, target, red, float(beta))


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """0.5 d^2 where |d| < delta, delta (|d| - 0.5 delta) elsewhere (d = input - target)."""
    _check_tensor("huber_loss", input)
    _check_tensor("huber_loss", target)
    _warn_size("huber_loss", input, target)
    red = _reduction_enum(reduction)
    if weight is not None:
        raise NotImplementedError("huber_loss: the weight argument is not supported by pynet")
    return _C.huber_loss(input, target, red, float(delta))


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction="mean"):
    """-w (y log x + (1 - y) log(1 - x)) for probabilities x; each log is clamped at -100."""
    _check_tensor("binary_cross_entropy", input)
    _check_tensor("binary_cross_entropy", target)
    red = _get_reduction(size_average, reduce, reduction)
    if target.shape != input.shape:
        raise ValueError(f"Using a target size ({target.shape}) that is different to the input "
                         f"size ({input.shape}) is deprecated. Please ensure they have the same "
                         f"size.")
    return _C.binary_cross_entropy(input, target, weight, red)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    """Binary cross entropy of sigmoid(input), computed stably from the logits."""
    _check_tensor("binary_cross_entropy_with_logits", input)
    _check_tensor("binary_cross_entropy_with_logits", target)
    red = _get_reduction(size_average, reduce, reduction)
    if target.shape != input.shape:
        raise ValueError(f"Target size ({target.shape}) must be the same as input size "
                         f"({input.shape})")
    return _C.binary_cross_entropy_with_logits(input, target, weight, pos_weight, red)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """Kullback-Leibler divergence: target * (log target - input), input being log-probabilities.

    reduction='batchmean' divides the sum by the batch size (input.size(0)), which is the
    mathematically correct KL divergence; 'mean' divides by the number of elements.
    """
    _check_tensor("kl_div", input)
    _check_tensor("kl_div", target)
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    elif reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the "
                      "support size.'batchmean' divides only by the batch size, and aligns with "
                      "the KL div math definition.'mean' will be changed to behave the same as "
                      "'batchmean' in the next major release.", stacklevel=2)
    if reduction == "batchmean":
        reduced = _C.kl_div(input, target, 2, bool(log_target))
        if input.dim() != 0:
            reduced = reduced / input.size()[0]
        return reduced
    return _C.kl_div(input, target, _reduction_enum(reduction), bool(log_target))
