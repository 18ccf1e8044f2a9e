"""pynet.nn.functional: the functional form of every layer and loss.

The ops themselves are C kernels in pynet._C; the Python wrappers with
PyTorch's signatures live in _functional_layers.py (layers, activations,
softmax) and _functional_loss.py (losses). Each function is defined exactly
once, in one of those two modules, and imported here by name
(tests/test_nn_functional.py checks it).
"""
from ._functional_layers import (adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_max_pool1d,
                                 adaptive_max_pool2d, avg_pool1d, avg_pool2d, batch_norm, conv1d,
                                 conv2d,
                                 conv_transpose1d, conv_transpose2d, dropout, dropout2d, elu,
                                 embedding, fold,
                                 gelu, group_norm, hardtanh, interpolate, layer_norm,
                                 leaky_relu, linear, log_softmax,
                                 max_pool1d, max_pool2d, one_hot, pad, prelu, relu, relu_,
                                 scaled_dot_product_attention, sigmoid, silu, softmax, softplus,
                                 tanh, unfold, logsigmoid, mish, selu, celu, relu6, hardsigmoid,
                                 hardswish, threshold, hardshrink, softshrink, softsign,
                                 tanhshrink, softmin, glu, rrelu)
from ._functional_loss import (binary_cross_entropy, binary_cross_entropy_with_logits,
                               cross_entropy, huber_loss, kl_div, l1_loss, mse_loss, nll_loss,
                               smooth_l1_loss)

__all__ = [
    # layers (_functional_layers.py)
    "linear", "relu", "relu_", "leaky_relu", "elu", "gelu", "softplus", "prelu", "hardtanh",
    "silu", "sigmoid", "tanh", "softmax", "log_softmax", "dropout", "batch_norm", "layer_norm",
    "group_norm",
    "embedding", "one_hot", "pad", "dropout2d", "conv1d", "conv2d", "conv_transpose1d",
    "conv_transpose2d", "unfold", "fold",
    "max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d",
    "adaptive_avg_pool2d", "adaptive_max_pool1d", "adaptive_max_pool2d", "interpolate",
    "scaled_dot_product_attention", "logsigmoid", "mish", "selu", "celu", "relu6",
    "hardsigmoid", "hardswish", "threshold", "hardshrink", "softshrink", "softsign", "tanhshrink",
    "softmin", "glu", "rrelu",
    # losses (_functional_loss.py)
    "cross_entropy", "nll_loss", "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss",
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div",
]
