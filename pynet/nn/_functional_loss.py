"""Loss and distance functions of pynet.nn.functional, with PyTorch's signatures.

The classic losses run in C (csrc/kernels/loss.c, bound in csrc/python/ops_loss.c);
these wrappers check and translate the arguments the way torch.nn.functional
does: the reduction string (and the deprecated size_average / reduce flags)
becomes an int, 0 'none', 1 'mean', 2 'sum'. The distances (normalize,
cosine_similarity, pairwise_distance, pdist) and the margin / ranking / embedding
losses further down are compositions of differentiable pynet ops, so autograd
comes for free; where torch's gradient at a kink or a clamp is a convention,
the op chosen reproduces it (noted at each place).
"""
import math
import warnings

import numpy as np

from .. import _C
from .._creation import arange, ones_like, triu_indices, zeros_like
from .._tensor import _wrap_dim
from ..autograd import is_grad_enabled, no_grad
from ..autograd.function import Function
from ._functional_layers import logsigmoid, softplus

__all__ = ["cross_entropy", "nll_loss", "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss",
           "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div",
           "normalize", "cosine_similarity", "pairwise_distance", "pdist",
           "margin_ranking_loss", "hinge_embedding_loss", "soft_margin_loss",
           "cosine_embedding_loss", "poisson_nll_loss", "gaussian_nll_loss",
           "triplet_margin_loss", "triplet_margin_with_distance_loss",
           "multilabel_soft_margin_loss", "multi_margin_loss", "multilabel_margin_loss"]

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
    if not input.is_floating_point() and target.is_floating_point():
        # torch writes the loss into a tensor of input's dtype
        raise RuntimeError(f"huber_loss: result type {target.dtype} can't be cast to the "
                           f"desired output type {input.dtype}")
    if input.is_floating_point() and target.dtype != input.dtype:
        # the loss is computed in the promoted dtype, then stored (and reduced) in input's
        loss = _C.huber_loss(input, target, 0, float(delta)).to(input.dtype)
        return _apply_reduction(loss, red)
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
    if not (input.is_floating_point() and target.is_floating_point()):
        raise RuntimeError(f"kl_div: Integral inputs not supported (input {input.dtype}, "
                           f"target {target.dtype}).")
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


# ------------------------------------------------------------------ helpers ----

def _apply_reduction(loss, red):
    """loss as is (0 'none'), its mean (1) or its sum (2)."""
    if red == 1:
        return loss.mean()
    return loss.sum() if red == 2 else loss


def _broadcast_shape(fn, *tensors):
    """The shape the tensors broadcast to; RuntimeError naming fn and the shapes if none."""
    shapes = [tuple(t.shape) for t in tensors]
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        raise RuntimeError(f"{fn}: the shapes {shapes} cannot be broadcast together") from None


def _check_dims(fn, dim, ndim):
    """dim (an int or a tuple of ints) must name dims of an ndim-dim tensor (IndexError)."""
    for d in (dim,) if isinstance(dim, int) else tuple(dim):
        _wrap_dim(d, ndim, fn)


def _check_p(fn, p):
    if isinstance(p, bool) or not isinstance(p, (int, float)):
        raise TypeError(f"{fn}(): argument 'p' must be float, not {type(p).__name__}")


# ---------------------------------------------------------------- distances ----

def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """input / max(||input||_p, eps), the p-norm taken over dim (an int or a tuple of dims).

    The clamp is an ordinary (differentiable) clamp_min, as in torch: where the norm is
    below eps, the gradient is just input / eps, with nothing flowing through the norm.
    """
    _check_tensor("normalize", input)
    if out is not None:
        raise NotImplementedError("normalize: the out argument is not supported by pynet")
    _check_dims("normalize", dim, input.dim())
    if isinstance(p, (int, float)) and math.isinf(p):
        for d in (dim,) if isinstance(dim, int) else tuple(dim):
            if input.dim() and input.shape[_wrap_dim(d, input.dim(), "normalize")] == 0:
                # max / min over nothing has no identity
                raise RuntimeError(f"normalize: cannot compute the {p} norm on the dimension "
                                   f"{d} because this dimension is empty (input "
                                   f"{list(input.shape)})")
    denom = input.norm(p, dim, keepdim=True).clamp_min(eps)
    return input / denom.expand(tuple(input.shape))


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """<x1, x2> / (max(||x1||, eps) max(||x2||, eps)) along dim, x1 and x2 broadcast.

    As in torch, each input is divided by its own clamped norm before the dot product
    (so the result stays within [-1, 1] and nothing overflows), and the clamp is applied
    to the norms' values only: the gradient still flows through the unclamped norms.
    """
    _check_tensor("cosine_similarity", x1)
    _check_tensor("cosine_similarity", x2)
    floats = (_C.float32, _C.float64)
    if x1.dtype not in floats and x2.dtype not in floats:
        raise RuntimeError(f"cosine_similarity: expected common dtype to be floating point, "
                           f"yet common dtype is {x1.dtype} and {x2.dtype}")
    if eps < 0:
        raise RuntimeError(f"cosine_similarity: eps must be non-negative, got: {eps}")
    # an integer or bool input takes the other one's floating dtype (torch's result_type)
    x1 = x1 if x1.dtype in floats else x1.to(x2.dtype)
    x2 = x2 if x2.dtype in floats else x2.to(x1.dtype)
    shape = _broadcast_shape("cosine_similarity", x1, x2)
    x1, x2 = x1.expand(shape), x2.expand(shape)
    _check_dims("cosine_similarity", dim, len(shape))
    n1 = x1.norm(2, dim, keepdim=True).clone()
    n2 = x2.norm(2, dim, keepdim=True).clone()
    with no_grad():  # clamp the values in place, keeping the norms' gradient paths
        n1.clamp_min_(eps)
        n2.clamp_min_(eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """||x1 - x2 + eps||_p over the last dim (of the broadcast shape), as torch computes it:
    eps is added to every difference, which keeps the norm's gradient finite at x1 == x2."""
    _check_tensor("pairwise_distance", x1)
    _check_tensor("pairwise_distance", x2)
    _check_p("pairwise_distance", p)
    last = max(x1.dim(), x2.dim()) - 1
    return (x1 - x2 + eps).norm(p, last, keepdim)


class _PdistInf(Function):
    """max_k |d_k| of each row of d; backward sign(d_k) g at every k reaching the max (torch's
    pdist gradient: ties each get the full gradient, where a plain amax would share it)."""

    @staticmethod
    def forward(ctx, d):
        a = d.abs()
        dist = a.amax(1)
        ctx.save_for_backward(d, a, dist)
        return dist

    @staticmethod
    def backward(ctx, g):
        d, a, dist = ctx.saved_tensors
        hit = (a == dist.unsqueeze(1)).to(d.dtype)
        return d.sign() * hit * g.unsqueeze(1)


def pdist(input, p=2):
    """The p-norm distances between the rows of an (N, M) input: the N (N - 1) / 2 entries
    above the diagonal of the distance matrix, row by row ((0, 1), (0, 2), ..., (N-2, N-1))."""
    _check_tensor("pdist", input)
    if input.dim() != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.dim()}D")
    if input.dtype not in (_C.float32, _C.float64):
        raise RuntimeError(f"pdist only supports floating-point dtypes, got {input.dtype}")
    _check_p("pdist", p)
    if p < 0:
        raise RuntimeError(f"pdist only supports non-negative p values, got p={p}")
    n = input.shape[0]
    i, j = triu_indices(n, n, 1)
    d = input.index_select(0, i) - input.index_select(0, j)
    if p == math.inf:
        return _PdistInf.apply(d)
    return d.norm(p, 1)


# ------------------------------------------------- margin and ranking losses ----

def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None,
                        reduction="mean"):
    """max(0, -y (x1 - x2) + margin), y = 1 meaning x1 should rank higher, -1 the reverse.

    The three tensors must have the same number of dims (then they broadcast). At the
    kink the gradient is passed on (clamp_min's convention), as in torch.
    """
    for t in (input1, input2, target):
        _check_tensor("margin_ranking_loss", t)
    red = _get_reduction(size_average, reduce, reduction)
    if not input1.dim() == input2.dim() == target.dim():
        raise RuntimeError(f"margin_ranking_loss: All input tensors should have same dimension "
                           f"but got sizes: input1: {input1.shape}, input2: {input2.shape}, "
                           f"target: {target.shape}")
    loss = (-target * (input1 - input2) + float(margin)).clamp_min(0)
    return _apply_reduction(loss, red)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None,
                         reduction="mean"):
    """x where y = 1, max(0, margin - x) where y = -1 (input broadcast against target).

    As in torch, a target that is neither 1 nor -1 counts both terms.
    """
    _check_tensor("hinge_embedding_loss", input)
    _check_tensor("hinge_embedding_loss", target)
    red = _get_reduction(size_average, reduce, reduction)
    if red == 1 and input.dtype in (_C.int64, _C.bool):  # the mean of integers has no dtype
        raise RuntimeError("hinge_embedding_loss: mean(): could not infer output dtype. Input "
                           f"dtype must be either a floating point or complex dtype. Got: "
                           f"{input.dtype}")
    zeros = zeros_like(input)
    from_neg = _C.where(target != 1, (float(margin) - input).clamp_min(0), zeros)
    from_pos = _C.where(target != -1, input, zeros)
    return _apply_reduction(from_neg + from_pos, red)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """log(1 + exp(-y x)), for targets y in {1, -1}; target broadcasts to input's shape.

    Computed as softplus(-y x), which equals torch's log1p(exp(-y x)) but stays finite
    where exp overflows (torch returns inf there, and a NaN gradient). The result has
    input's dtype; target is not differentiable (RuntimeError if it requires grad).
    """
    _check_tensor("soft_margin_loss", input)
    _check_tensor("soft_margin_loss", target)
    red = _get_reduction(size_average, reduce, reduction)
    if input.dtype not in (_C.float32, _C.float64):
        raise RuntimeError(f"soft_margin_loss: expected a floating point input, got "
                           f"{input.dtype}")
    shape = _broadcast_shape("soft_margin_loss", input, target)
    if shape != tuple(input.shape):  # torch writes the loss into a tensor of input's shape
        raise RuntimeError(f"soft_margin_loss: output with shape {list(input.shape)} doesn't "
                           f"match the broadcast shape {list(shape)}")
    if target.requires_grad and is_grad_enabled():
        raise RuntimeError("The function 'soft_margin_loss' is not differentiable with respect "
                           "to argument 'target'. This input cannot have requires_grad True.")
    # -y x is formed in the promoted dtype and stored in input's (as torch's in-place mul_)
    return _apply_reduction(softplus((-input * target).to(input.dtype)), red)


def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None,
                          reduction="mean"):
    """1 - cos(x1, x2) where y = 1, max(0, cos(x1, x2) - margin) where y = -1 (0 elsewhere).

    Inputs (N, D) with target (N,), or unbatched (D,) with target (). The cosine is
    <x1, x2> / sqrt((|x1|^2 + 1e-12)(|x2|^2 + 1e-12)), torch's guard against zero vectors.
    """
    for t in (input1, input2, target):
        _check_tensor("cosine_embedding_loss", t)
    red = _get_reduction(size_average, reduce, reduction)
    tdim = target.dim()
    if tdim > 1:
        raise RuntimeError(f"cosine_embedding_loss: 0D or 1D target tensor expected, "
                           f"multi-target not supported (target shape {list(target.shape)})")
    if (input1.dim(), input2.dim()) != (tdim + 1, tdim + 1):
        raise RuntimeError(f"cosine_embedding_loss: {tdim}D target tensor expects {tdim + 1}D "
                           f"input tensors, but found inputs with sizes "
                           f"{list(input1.shape)} and {list(input2.shape)}.")
    eps = 1e-12
    dot = (input1 * input2).sum(tdim)
    sq1 = (input1 * input1).sum(tdim) + eps
    sq2 = (input2 * input2).sum(tdim) + eps
    cos = dot / (sq1 * sq2).sqrt()
    zeros = zeros_like(cos)
    pos = _C.where(target == 1, 1 - cos, zeros)
    neg = _C.where(target == -1, (cos - float(margin)).clamp_min(0), zeros)
    return _apply_reduction(pos + neg, red)


# ----------------------------------------------------------- likelihoods ----

def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8,
                     reduce=None, reduction="mean"):
    """Poisson negative log likelihood of target under rate exp(input) (log_input=True:
    exp(x) - y x) or rate input (x - y log(x + eps)).

    full=True adds Stirling's approximation of log(y!), y log y - y + log(2 pi y) / 2,
    for targets above 1 (for y <= 1 the term is left out, as in torch).
    """
    _check_tensor("poisson_nll_loss", input)
    _check_tensor("poisson_nll_loss", target)
    red = _get_reduction(size_average, reduce, reduction)
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        stirling = target * target.log() - target + 0.5 * (2 * math.pi * target).log()
        loss = loss + stirling.masked_fill(target <= 1, 0)
    return _apply_reduction(loss, red)


def _gaussian_var(input, var):
    """var as a tensor broadcastable to input, checked the way torch checks it."""
    if isinstance(var, float):
        if var < 0:
            raise ValueError("gaussian_nll_loss: var has negative entry/entries")
        return ones_like(input) * var
    if not isinstance(var, _C.TensorBase):
        raise TypeError(f"gaussian_nll_loss(): var must be a Tensor or a float, not "
                        f"{type(var).__name__}")
    if bool((var < 0).any()):
        raise ValueError("gaussian_nll_loss: var has negative entry/entries")
    vs, xs = tuple(var.shape), tuple(input.shape)
    if vs == xs:
        return var
    if vs == xs[:-1]:  # one variance per sample: homoscedastic over the last dim
        return var.unsqueeze(-1)
    if len(vs) == len(xs) and sum(v for x, v in zip(xs, vs) if x != v) == 1:
        return var  # one dim of size 1 where input has more: also homoscedastic
    raise ValueError(f"gaussian_nll_loss: var is of incorrect size {list(vs)} for input of "
                     f"size {list(xs)}")


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """Gaussian negative log likelihood (log(max(var, eps)) + (x - y)^2 / max(var, eps)) / 2,
    plus log(2 pi) / 2 when full.

    var has input's shape, or one dim fewer, or a single dim of size 1 where input's is
    larger (homoscedastic), or is a float. As in torch, the clamp changes var's values only:
    its gradient is computed at the clamped value, as though var had not been clamped.
    """
    _check_tensor("gaussian_nll_loss", input)
    _check_tensor("gaussian_nll_loss", target)
    var = _gaussian_var(input, var)
    red = _reduction_enum(reduction)
    var = var.clone()
    with no_grad():
        var.clamp_min_(eps)
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _apply_reduction(loss, red)


# ------------------------------------------------------------- triplet losses ----

def _check_triplet(fn, anchor, positive, negative, margin):
    for t in (anchor, positive, negative):
        _check_tensor(fn, t)
    if margin <= 0:
        raise ValueError(f"{fn}: margin must be greater than 0, got {margin}")
    dims = (anchor.dim(), positive.dim(), negative.dim())
    if not dims[0] == dims[1] == dims[2]:
        raise RuntimeError(f"{fn}: The anchor, positive, and negative tensors are expected to "
                           f"have the same number of dimensions, but got: anchor {dims[0]}D, "
                           f"positive {dims[1]}D, and negative {dims[2]}D inputs")


def _triplet(dist, anchor, positive, negative, margin, swap, red):
    """max(0, margin + d(a, p) - d(a, n)), d(a, n) replaced by min(d(a, n), d(p, n)) if swap."""
    d_pos = dist(anchor, positive)
    d_neg = dist(anchor, negative)
    if swap:  # torch.minimum: at a tie each side gets half the gradient
        d_neg = d_neg.minimum(dist(positive, negative))
    return _apply_reduction((margin + d_pos - d_neg).clamp_min(0), red)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False,
                        size_average=None, reduce=None, reduction="mean"):
    """max(0, margin + d(a, p) - d(a, n)) with d = pairwise_distance(., ., p, eps), over the
    last dim; swap=True uses min(d(a, n), d(p, n)) for the negative distance."""
    red = _get_reduction(size_average, reduce, reduction)
    _check_triplet("triplet_margin_loss", anchor, positive, negative, margin)
    _check_p("triplet_margin_loss", p)

    def dist(a, b):
        """The p-norm distance of the triplet loss."""
        return pairwise_distance(a, b, p, eps)
    return _triplet(dist, anchor, positive, negative, margin, swap, red)


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None,
                                      margin=1.0, swap=False, reduction="mean"):
    """triplet_margin_loss with any distance_function(x1, x2) -> tensor of distances
    (default pairwise_distance)."""
    red = _reduction_enum(reduction)
    _check_triplet("triplet_margin_with_distance_loss", anchor, positive, negative, margin)
    dist = pairwise_distance if distance_function is None else distance_function
    return _triplet(dist, anchor, positive, negative, margin, swap, red)


# ---------------------------------------------------------- multi-class margins ----

def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None,
                                reduction="mean"):
    """Binary cross entropy of sigmoid(x) against 0/1 targets, class by class (optionally
    weighted), averaged over the classes (the last dim of input): one loss per sample."""
    _check_tensor("multilabel_soft_margin_loss", input)
    _check_tensor("multilabel_soft_margin_loss", target)
    red = _get_reduction(size_average, reduce, reduction)
    if input.dim() == 0:
        raise IndexError("multilabel_soft_margin_loss: Dimension specified as -1 but tensor "
                         "has no dimensions")
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.dim() - 1
    loss = loss.sum(class_dim) / input.shape[class_dim]
    return _apply_reduction(loss, red)


def _margin_shapes(fn, input):
    """input as (N, C) rows (0-d: one class, 1-D: one sample), checked the way torch does."""
    nd = input.dim()
    if not (nd == 0 or (nd in (1, 2) and input.shape[-1] != 0)):
        raise RuntimeError(f"{fn}: Expected non-empty vector or matrix with optional 0-dim "
                           f"batch size, but got: {list(input.shape)}")
    if input.dtype not in (_C.float32, _C.float64):
        raise NotImplementedError(f"{fn}: not implemented for {input.dtype} input")
    return input.reshape(-1, 1 if nd == 0 else input.shape[-1])


def _check_long(fn, target):
    if target.dtype != _C.int64:
        raise RuntimeError(f"{fn}: expected target of scalar type int64 but found {target.dtype}")


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None,
                      reduce=None, reduction="mean"):
    """Multi-class hinge loss: sum over j != y of w[y] max(0, margin - x[y] + x[j])^p / C.

    input (N, C), (C,) or (); target holds the class indices, (N,) (or () / (1,) when
    unbatched). The gradient is 0 where margin - x[y] + x[j] is exactly 0, as in torch.
    """
    _check_tensor("multi_margin_loss", input)
    _check_tensor("multi_margin_loss", target)
    red = _get_reduction(size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError(f"multi_margin_loss: only p == 1 and p == 2 supported, got {p}")
    if weight is not None and weight.dim() != 1:
        raise ValueError(f"multi_margin_loss: weight must be one-dimensional, got "
                         f"{weight.dim()}D")
    x = _margin_shapes("multi_margin_loss", input)
    n, c = x.shape
    if target.dim() > 1 or target.numel() != n:
        raise RuntimeError(f"multi_margin_loss: target tensor should be 1-D with size equal to "
                           f"the number of input samples (batch size). Expected target size "
                           f"[{n}], but got {list(target.shape)}. Input has shape "
                           f"{list(input.shape)}.")
    _check_long("multi_margin_loss", target)
    if weight is not None and (weight.numel() != c or weight.dtype != input.dtype):
        raise RuntimeError(f"multi_margin_loss: inconsistent weight, expected {c} values of "
                           f"{input.dtype} but got {list(weight.shape)} of {weight.dtype}")
    y = target.reshape(n, 1)
    if n and bool(((y < 0) | (y >= c)).any()):
        raise RuntimeError(f"multi_margin_loss: target out of range (classes 0..{c - 1})")
    # torch adds a term (and its gradient) only where it is > 0, so a NaN term is skipped
    z = float(margin) - x.gather(1, y) + x
    h = z.masked_fill(~(z > 0), 0)
    if p == 2:
        h = h * h
    if weight is not None:
        h = h * weight.index_select(0, y.reshape(n)).unsqueeze(1)
    h = h.masked_fill(arange(c).unsqueeze(0) == y, 0)  # the j = y term is not a margin
    loss = h.sum(1) / c
    return _apply_reduction(loss.reshape(tuple(target.shape)), red)


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Multi-label hinge loss: sum over the labels j of y and the non-labels i of
    max(0, 1 - (x[j] - x[i])), divided by C.

    target (int64, input's shape) lists each sample's labels, ended by the first -1. A
    label listed twice counts twice; the gradient is 0 where a term is exactly 0 (torch).
    """
    _check_tensor("multilabel_margin_loss", input)
    _check_tensor("multilabel_margin_loss", target)
    red = _get_reduction(size_average, reduce, reduction)
    x = _margin_shapes("multilabel_margin_loss", input)
    n, c = x.shape
    ok = (target.dim() <= 1 and target.numel() == c) if input.dim() <= 1 else \
        tuple(target.shape) == tuple(input.shape)
    if not ok:
        raise RuntimeError(f"multilabel_margin_loss: inconsistent target size: "
                           f"{list(target.shape)} for input of size: {list(input.shape)}")
    _check_long("multilabel_margin_loss", target)
    y = target.reshape(n, c)
    if n and bool(((y < -1) | (y >= c)).any()):
        raise RuntimeError(f"multilabel_margin_loss: argument #2 'target' is out of range "
                           f"(labels must lie in -1..{c - 1})")
    listed = (y != -1).cumprod(1).bool()  # the entries before each row's first -1
    yc = y.clamp_min(0)
    # is_label[n, i]: class i is listed for sample n
    is_label = ((yc.unsqueeze(2) == arange(c)) & listed.unsqueeze(2)).any(1)
    # z[n, k, i] = 1 - x[n, y[n, k]] + x[n, i], kept for listed k and unlisted i
    z = 1 - x.gather(1, yc).unsqueeze(2) + x.unsqueeze(1)
    keep = listed.unsqueeze(2) & ~is_label.unsqueeze(1)
    # as torch, a term counts (with its gradient) only where it is > 0: NaN terms are skipped
    loss = z.masked_fill(~(keep & (z > 0)), 0).sum((1, 2)) / c
    if input.dim() <= 1:
        loss = loss.reshape(())
    return _apply_reduction(loss, red)
