"""pynet.autograd.Function: write your own graph node in Python.

    class Exp(Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, grad):
            y, = ctx.saved_tensors
            return grad * y

    z = Exp.apply(x)

forward runs with graph recording off; apply then connects its outputs to a
C graph node whose backward calls your backward.
"""
from .. import _C


class FunctionCtx:
    """The `ctx` passed to forward and backward."""

    def __init__(self):
        self._saved = ()
        self._saved_versions = ()
        self._freed = False
        self.needs_input_grad = ()
        self.materialize_grads = True
        self._non_differentiable = ()

    def save_for_backward(self, *tensors):
        for t in tensors:
            if t is not None and not isinstance(t, _C.TensorBase):
                raise TypeError("save_for_backward can only save tensors or None, "
                                f"but got {type(t).__name__}")
        self._saved = tensors
        self._saved_versions = tuple(t._version if t is not None else None for t in tensors)

    @property
    def saved_tensors(self):
        if self._freed:
            raise RuntimeError(
                "Trying to backward through the graph a second time (or directly access saved "
                "tensors after they have already been freed). Specify retain_graph=True if you "
                "need to backward through the graph a second time.")
        for t, v in zip(self._saved, self._saved_versions):
            if t is not None and t._version != v:
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by "
                    f"an inplace operation: saved tensor of shape {tuple(t.shape)} is at version "
                    f"{t._version}; expected version {v} instead.")
        return self._saved

    def mark_non_differentiable(self, *tensors):
        self._non_differentiable = tensors

    def mark_dirty(self, *tensors):
        pass

    def set_materialize_grads(self, value):
        self.materialize_grads = bool(value)


class _FunctionMeta(type):
    def __init__(cls, name, bases, attrs):
        super().__init__(name, bases, attrs)
        cls._backward_name = name + "Backward"


class Function(metaclass=_FunctionMeta):
    """Base class for custom autograd operations (see the module docstring)."""

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom "
                                  "autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement the backward function for custom "
                                  "autograd.Function.")

    @classmethod
    def apply(cls, *args, **kwargs):
        ctx = FunctionCtx()
        tensors = [a for a in args if isinstance(a, _C.TensorBase)]
        ctx.needs_input_grad = tuple(isinstance(a, _C.TensorBase) and a.requires_grad
                                     for a in args)
        prev = _C._set_grad_enabled(False)
        try:
            out = cls.forward(ctx, *args, **kwargs)
        finally:
            _C._set_grad_enabled(prev)
        if not (prev and any(t.requires_grad for t in tensors)):
            return out
        single = not isinstance(out, tuple)
        outs = (out,) if single else out
        # Outputs that are inputs unchanged must become new tensors to carry history.
        fixed = []
        for o in outs:
            if isinstance(o, _C.TensorBase) and any(o is t for t in tensors):
                o = o.detach()
            fixed.append(o)
        outs = tuple(fixed)
        shapes = [(o.shape, o.dtype) if isinstance(o, _C.TensorBase) else None for o in outs]
        backward = _FunctionBackward(cls, ctx, shapes, [isinstance(a, _C.TensorBase) for a in args])
        inputs = tensors
        diff_outs = [o if not any(o is n for n in ctx._non_differentiable) else None
                     for o in outs]
        # A saved output would hold its own graph node alive (output -> node ->
        # ctx -> output): keep a bare alias of its memory instead.
        ctx._saved = tuple(o.detach() if any(o is x for x in outs if x is not None) else o
                           for o in ctx._saved)
        _C._record_function(cls._backward_name, backward, inputs, diff_outs)
        return outs[0] if single else outs


class _FunctionBackward:
    """The callable stored in a Function's graph node (a module-level class, so
    that the graph holds no reference cycle and is freed by refcounting)."""

    __slots__ = ("cls", "ctx", "shapes", "arg_is_tensor")

    def __init__(self, cls, ctx, shapes, arg_is_tensor):
        self.cls, self.ctx, self.shapes, self.arg_is_tensor = cls, ctx, shapes, arg_is_tensor

    def __call__(self, *grads):
        ctx = self.ctx
        if ctx.materialize_grads:
            grads = tuple(g if g is not None or s is None else _C.zeros(s[0], dtype=s[1])
                          for g, s in zip(grads, self.shapes))
        res = self.cls.backward(ctx, *grads)
        if not isinstance(res, tuple):
            res = (res,)
        if len(res) != len(self.arg_is_tensor):
            raise RuntimeError(
                f"function {self.cls.__name__}Backward returned an incorrect number of "
                f"gradients (expected {len(self.arg_is_tensor)}, got {len(res)})")
        # keep only the gradients of tensor arguments, in order
        return tuple(g for g, is_t in zip(res, self.arg_is_tensor) if is_t)

    def _release(self):
        self.ctx._freed = True
        self.ctx._saved = ()


class once_differentiable:
    def __new__(cls, fn):
        return fn
