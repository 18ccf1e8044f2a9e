/* pyapi/functional.c - the layer ops of torch.nn.functional as _C functions.
 *
 * pynet/nn/_functional_layers.py gives each PyTorch's signature and defaults
 * and calls these; the ops themselves are in ops/linear.c, activation.c,
 * dropout.c, norm.c, embedding.c and pad.c.
 */
#include "pyapi.h"

PyMethodDef pn_module_methods_nn[] = {
    {"_linear", nn_linear, METH_VARARGS, "linear(input, weight, bias=None)"},
    {"_activation", nn_activation, METH_VARARGS, "_activation(input, kind, a, b, inplace)"},
    {"_relu_", nn_relu_, METH_O, "relu in place"},
    {"_prelu", nn_prelu, METH_VARARGS, "prelu(input, weight)"},
    {"_dropout", nn_dropout, METH_VARARGS, "_dropout(input, p, inplace): training mode"},
    {"_batch_norm", nn_batch_norm, METH_VARARGS,
     "_batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)"},
    {"_layer_norm", nn_layer_norm, METH_VARARGS,
     "_layer_norm(input, normalized_shape, weight, bias, eps)"},
    {"_embedding", nn_embedding, METH_VARARGS, "_embedding(input, weight, padding_idx=-1)"},
    {"_one_hot", nn_one_hot, METH_VARARGS, "_one_hot(tensor, num_classes=-1)"},
    {"_pad", nn_pad, METH_VARARGS, "_pad(input, pad, value=0): constant padding"},
    {NULL, NULL, 0, NULL}};
