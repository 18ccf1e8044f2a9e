"""parameters_to_vector / vector_to_parameters: a model's parameters as one flat vector."""
from ..._tensor import Tensor

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def parameters_to_vector(parameters):
    """Concatenate the flattened `parameters` into one 1-d tensor (differentiable)."""
    from ... import cat
    vec = [p.reshape(-1) for p in parameters]
    if not vec:
        raise ValueError("parameters_to_vector: expected a non-empty list of Tensors")
    return cat(vec)


def vector_to_parameters(vec, parameters):
    """Point each of `parameters` (in order) at the matching slice of the 1-d tensor `vec`.

    As in PyTorch, each parameter's `.data` becomes a view of vec (no copy).
    """
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected pynet.Tensor, but got: {type(vec).__name__}")
    pointer = 0
    for param in parameters:
        n = param.numel()
        param.data = vec[pointer:pointer + n].view_as(param).data
        pointer += n
