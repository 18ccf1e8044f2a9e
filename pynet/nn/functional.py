"""pynet.nn.functional: the functional form of every layer and loss.

The ops themselves are C kernels in pynet._C; the Python wrappers with
PyTorch's signatures live in _functional_layers.py (layers, activations,
softmax) and _functional_loss.py (losses and distances). Each function is defined exactly
once, in one of those two modules, and imported here by name
(tests/test_nn_functional.py checks it).
"""
from ._functional_layers import (linear, relu, relu_, leaky_relu, elu, gelu, softplus, prelu,
                                 logsigmoid, mish, selu, celu, relu6, hardsigmoid, hardswish,
                                 threshold, hardshrink, softshrink, softsign, tanhshrink, softmin,
                                 glu, rrelu, elu_, leaky_relu_, hardtanh_, selu_, celu_, rrelu_,
                                 threshold_, hardtanh, silu, sigmoid, tanh, softmax, log_softmax,
                                 dropout, batch_norm, layer_norm, group_norm, instance_norm,
                                 rms_norm, local_response_norm, embedding, embedding_bag, one_hot,
                                 pad, dropout2d, alpha_dropout, feature_alpha_dropout, dropout1d,
                                 dropout3d, pixel_shuffle, pixel_unshuffle, channel_shuffle,
                                 bilinear, conv1d, conv2d, conv_transpose1d, conv_transpose2d,
                                 unfold, fold, max_pool1d, max_pool2d, avg_pool1d, avg_pool2d,
                                 adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_max_pool1d,
                                 adaptive_max_pool2d, interpolate, lp_pool1d, lp_pool2d,
                                 max_unpool1d, max_unpool2d, gumbel_softmax,
                                 scaled_dot_product_attention)
from ._functional_loss import (binary_cross_entropy, binary_cross_entropy_with_logits,
                               cosine_embedding_loss, cosine_similarity, cross_entropy,
                               gaussian_nll_loss, hinge_embedding_loss, huber_loss, kl_div,
                               l1_loss, margin_ranking_loss, mse_loss, multi_margin_loss,
                               multilabel_margin_loss, multilabel_soft_margin_loss, nll_loss,
                               normalize, pairwise_distance, pdist, poisson_nll_loss,
                               smooth_l1_loss, soft_margin_loss, triplet_margin_loss,
                               triplet_margin_with_distance_loss)

__all__ = [
    # layers (_functional_layers.py)
    "linear", "relu", "relu_", "leaky_relu", "elu", "gelu", "softplus", "prelu", "logsigmoid",
    "mish", "selu", "celu", "relu6", "hardsigmoid", "hardswish", "threshold", "hardshrink",
    "softshrink", "softsign", "tanhshrink", "softmin", "glu", "rrelu", "elu_", "leaky_relu_",
    "hardtanh_", "selu_", "celu_", "rrelu_", "threshold_", "hardtanh", "silu", "sigmoid", "tanh",
    "softmax", "log_softmax", "dropout", "batch_norm", "layer_norm", "group_norm", "instance_norm",
    "rms_norm", "local_response_norm", "embedding", "embedding_bag", "one_hot", "pad", "dropout2d",
    "alpha_dropout", "feature_alpha_dropout", "dropout1d", "dropout3d", "pixel_shuffle",
    "pixel_unshuffle", "channel_shuffle", "bilinear", "conv1d", "conv2d", "conv_transpose1d",
    "conv_transpose2d", "unfold", "fold", "max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d",
    "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_max_pool1d", "adaptive_max_pool2d",
    "interpolate", "lp_pool1d", "lp_pool2d", "max_unpool1d", "max_unpool2d", "gumbel_softmax",
    "scaled_dot_product_attention",
    # losses and distances (_functional_loss.py)
    "cross_entropy", "nll_loss", "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss",
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div",
    "margin_ranking_loss", "hinge_embedding_loss", "soft_margin_loss", "cosine_embedding_loss",
    "poisson_nll_loss", "gaussian_nll_loss", "triplet_margin_loss",
    "triplet_margin_with_distance_loss", "multilabel_soft_margin_loss", "multi_margin_loss",
    "multilabel_margin_loss", "normalize", "cosine_similarity", "pairwise_distance", "pdist",
]
