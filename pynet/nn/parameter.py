"""pynet.nn.Parameter: a tensor that a Module registers as one of its weights."""
from .. import _C
from .._tensor import Tensor


class Parameter(Tensor):
    """A Tensor that, assigned to a Module attribute, is registered as a parameter.

    Parameter(data=None, requires_grad=True) shares data's memory.
    """

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            data = _C.empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Parameter(): data must be a Tensor, got {type(data).__name__}")
        return Tensor._make_subclass(cls, data.detach(), requires_grad)

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        with _NoGrad():
            result = Parameter(self.clone(), self.requires_grad)
        memo[id(self)] = result
        return result

    def __reduce_ex__(self, proto):
        return (Parameter, (self.detach().clone(), self.requires_grad))


class _NoGrad:
    def __enter__(self):
        self.prev = _C._set_grad_enabled(False)

    def __exit__(self, *a):
        _C._set_grad_enabled(self.prev)


_C._set_parameter_class(Parameter)
