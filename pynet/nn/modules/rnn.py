"""RNN, LSTM, GRU and their cells, with PyTorch's arguments and parameter names.

Each layer and direction runs as: one F.linear projecting the whole input
sequence (xg = x W_ih^T + b_ih, a single GEMM), then one C op for the
recurrence (``_C._rnn_layer``, csrc/ops/rnn.c), which steps through time with
one GEMM and one fused gate kernel per step and records a single autograd node.
Parameters are named and shaped as PyTorch's (``weight_ih_l0``,
``weight_hh_l0_reverse``, ``bias_ih_l1``, ``weight_hr_l0``), so state dicts
load either way.
"""
import math
import numbers
import warnings

from ... import _C
from .. import functional as F
from .. import init
from ..parameter import Parameter
from ..utils.rnn import PackedSequence
from .module import Module

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_MODES = {"RNN_TANH": 0, "RNN_RELU": 1, "LSTM": 2, "GRU": 3}
_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _pynet():
    import pynet
    return pynet


def _check_sizes(input_size, hidden_size, num_layers, bias, batch_first, dropout, proj_size):
    if not isinstance(dropout, numbers.Number) or isinstance(dropout, bool) \
            or not 0 <= dropout <= 1:
        raise ValueError("dropout should be a number in range [0, 1] representing the "
                         "probability of an element being zeroed")
    for name, value in (("bias", bias), ("batch_first", batch_first)):
        if not isinstance(value, bool):
            raise TypeError(f"{name} should be of type bool, got: {type(value).__name__}")
    for name, value in (("input_size", input_size), ("hidden_size", hidden_size)):
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"{name} should be of type int, got: {type(value).__name__}")
        if value <= 0:
            raise ValueError(f"{name} must be greater than zero")
    if num_layers <= 0:
        raise ValueError("num_layers must be greater than zero")
    if proj_size < 0:
        raise ValueError("proj_size should be a positive integer or zero to disable projections")
    if proj_size >= hidden_size:
        raise ValueError("proj_size has to be smaller than hidden_size")


class RNNBase(Module):
    """The multi-layer recurrent network shared by :class:`RNN`, :class:`LSTM`
    and :class:`GRU` (``mode`` one of 'RNN_TANH', 'RNN_RELU', 'LSTM', 'GRU')."""

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, proj_size=0,
                 device=None, dtype=None):
        super().__init__()
        if mode not in _MODES:
            raise ValueError("Unrecognized RNN mode: " + str(mode))
        _check_sizes(input_size, hidden_size, num_layers, bias, batch_first, dropout, proj_size)
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so "
                          "non-zero dropout expects num_layers greater than 1, but got "
                          f"dropout={dropout} and num_layers={num_layers}", stacklevel=2)
        self.mode, self.input_size, self.hidden_size = mode, input_size, hidden_size
        self.num_layers, self.bias, self.batch_first = num_layers, bias, batch_first
        self.dropout, self.bidirectional, self.proj_size = float(dropout), bidirectional, proj_size
        dtype = dtype or _C._get_default_dtype()
        gate, out = _GATES[mode] * hidden_size, proj_size or hidden_size
        D = 2 if bidirectional else 1
        self._flat_weights_names, self._all_weights = [], []
        for layer in range(num_layers):
            for direction in range(D):
                shapes = [(gate, input_size if layer == 0 else out * D), (gate, out)]
                names = ["weight_ih_l{}{}", "weight_hh_l{}{}"]
                if bias:
                    shapes += [(gate,), (gate,)]
                    names += ["bias_ih_l{}{}", "bias_hh_l{}{}"]
                if proj_size:
                    shapes.append((proj_size, hidden_size))
                    names.append("weight_hr_l{}{}")
                names = [n.format(layer, "_reverse" if direction else "") for n in names]
                for name, shape in zip(names, shapes):
                    setattr(self, name, Parameter(_C.empty(shape, dtype=dtype)))
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self):
        """Every weight and bias uniform in [-1/sqrt(hidden_size), 1/sqrt(hidden_size)]."""
        stdv = 1.0 / math.sqrt(self.hidden_size)
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    @property
    def _flat_weights(self):
        return [getattr(self, name) for name in self._flat_weights_names]

    @property
    def all_weights(self):
        """The parameters, one list per layer and direction, in PyTorch's order."""
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def flatten_parameters(self):
        """Nothing to do: pynet's weights are always used in place (PyTorch's cuDNN
        call)."""

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    def _layer_weights(self, layer, direction):
        sfx = f"l{layer}{'_reverse' if direction else ''}"
        get = lambda n: getattr(self, f"{n}_{sfx}", None)  # noqa: E731
        return get("weight_ih"), get("weight_hh"), get("bias_ih"), get("bias_hh"), \
            get("weight_hr")

    def _run(self, x, hx, cx, batch_sizes):
        """x (T, B, I) or packed (N, I); hx (L*D, B, P); cx (L*D, B, H) or None
        -> output (T, B, D*P) or packed (N, D*P), h_n, c_n (None unless LSTM)."""
        pynet, D = _pynet(), 2 if self.bidirectional else 1
        hs, cs = [], []
        for layer in range(self.num_layers):
            outs = []
            for d in range(D):
                w_ih, w_hh, b_ih, b_hh, w_hr = self._layer_weights(layer, d)
                k = layer * D + d
                y, h, c = _C._rnn_layer(_MODES[self.mode], F.linear(x, w_ih, b_ih), w_hh, b_hh,
                                        hx[k], None if cx is None else cx[k], w_hr,
                                        batch_sizes, d == 1)
                outs.append(y), hs.append(h), cs.append(c)
            x = outs[0] if D == 1 else pynet.cat(outs, -1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, True)
        return x, pynet.stack(hs), (pynet.stack(cs) if cx is not None else None)

    def _check_input(self, input, batch_sizes):
        w = getattr(self, self._flat_weights_names[0])
        if input.dtype != w.dtype:
            raise ValueError(f"RNN input dtype ({input.dtype}) does not match weight dtype "
                             f"({w.dtype}). Convert input: input.to({w.dtype}), or convert "
                             f"model: model.to({input.dtype})")
        expected = 2 if batch_sizes is not None else 3
        if input.dim() != expected:
            raise RuntimeError(f"input must have {expected} dimensions, got {input.dim()}")
        if self.input_size != input.shape[-1]:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {input.shape[-1]}")

    @staticmethod
    def _check_hidden(hx, expected, msg="Expected hidden size {}, got {}"):
        if tuple(hx.shape) != expected:
            raise RuntimeError(msg.format(expected, list(hx.shape)))

    def _forward(self, input, hx):
        """The forward of every mode: unpack the input's form, check, run, repack."""
        pynet, lstm = _pynet(), self.mode == "LSTM"
        name = "LSTM" if lstm else "GRU" if self.mode == "GRU" else "RNN"
        packed = isinstance(input, PackedSequence)
        batch_sizes = sorted_idx = unsorted_idx = None
        batched = True
        if packed:
            input, batch_sizes, sorted_idx, unsorted_idx = input
            B = int(batch_sizes[0]) if len(batch_sizes) else 0
        else:
            if input.dim() not in (2, 3):
                raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.dim()}D "
                                 f"{'tensor ' if not lstm else ''}instead")
            batched = input.dim() == 3
            if not batched:  # (T, I): one sequence, whatever batch_first says
                input = input.unsqueeze(1)
            elif self.batch_first:
                input = input.transpose(0, 1)
            B = input.shape[1]
            if input.shape[0] == 0:
                raise RuntimeError(f"Expected sequence length to be larger than 0 in {name}")
        hx, cx = self._initial_state(input, hx, B, batched, sorted_idx)
        self._check_input(input, batch_sizes)
        out, h, c = self._run(input, hx, cx, batch_sizes)
        if unsorted_idx is not None:
            h = h[:, unsorted_idx]
            c = c[:, unsorted_idx] if c is not None else None
        hidden = (h, c) if lstm else h
        if packed:
            return PackedSequence(out, batch_sizes, sorted_idx, unsorted_idx), hidden
        if not batched:
            out, hidden = out.squeeze(1), ((h.squeeze(1), c.squeeze(1)) if lstm else h.squeeze(1))
        elif self.batch_first:
            out = out.transpose(0, 1)
        return out, hidden

    def _initial_state(self, input, hx, B, batched, sorted_idx):
        """(hx, cx) checked against the expected sizes, zeros when not given."""
        pynet, lstm = _pynet(), self.mode == "LSTM"
        D, P = 2 if self.bidirectional else 1, self.proj_size or self.hidden_size
        eh, ec = (self.num_layers * D, B, P), (self.num_layers * D, B, self.hidden_size)
        if hx is None:
            h = pynet.zeros(eh, dtype=input.dtype)
            return h, (pynet.zeros(ec, dtype=input.dtype) if lstm else None)
        h, c = hx if lstm else (hx, None)
        want = 3 if batched else 2
        if lstm and (h.dim() != want or c.dim() != want):
            raise RuntimeError(f"For {'batched 3' if batched else 'unbatched 2'}-D input, hx "
                               f"and cx should also be {want}-D but got ({h.dim()}-D, "
                               f"{c.dim()}-D) tensors")
        if not lstm and h.dim() != want:
            raise RuntimeError(f"For {'batched 3' if batched else 'unbatched 2'}-D input, hx "
                               f"should also be {want}-D but got {h.dim()}-D tensor")
        if not batched:
            h, c = h.unsqueeze(1), (c.unsqueeze(1) if lstm else None)
        if lstm:
            self._check_hidden(h, eh, "Expected hidden[0] size {}, got {}")
            self._check_hidden(c, ec, "Expected hidden[1] size {}, got {}")
        else:
            self._check_hidden(h, eh)
        if sorted_idx is not None:
            h, c = h[:, sorted_idx], (c[:, sorted_idx] if lstm else None)
        return h, c


class RNN(RNNBase):
    """Elman RNN: h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh), act tanh or relu.

    ``RNN(input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True,
    batch_first=False, dropout=0.0, bidirectional=False)``; ``forward(input, hx=None)``
    returns (output, h_n) as PyTorch's.
    """

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            self.nonlinearity, args = args[3], args[:3] + args[4:]
        else:
            self.nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if self.nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{self.nonlinearity}'. Select from 'tanh' "
                             "or 'relu'.")
        super().__init__("RNN_TANH" if self.nonlinearity == "tanh" else "RNN_RELU", *args,
                         **kwargs)

    def forward(self, input, hx=None):
        """input (T, B, I) (or (B, T, I), (T, I), PackedSequence) -> (output, h_n)."""
        return self._forward(input, hx)


class LSTM(RNNBase):
    """Long short-term memory: gates i, f, g, o = split(x W_ih^T + b_ih + h W_hh^T + b_hh),
    c' = sigmoid(f) c + sigmoid(i) tanh(g), h' = sigmoid(o) tanh(c') (times W_hr^T
    when ``proj_size`` > 0).

    ``LSTM(input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
    dropout=0.0, bidirectional=False, proj_size=0)``; ``forward(input, (h_0, c_0)=None)``
    returns (output, (h_n, c_n)) as PyTorch's.
    """

    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", *args, **kwargs)

    def forward(self, input, hx=None):
        """input (T, B, I) (or (B, T, I), (T, I), PackedSequence) -> (output, (h_n, c_n))."""
        return self._forward(input, hx)


class GRU(RNNBase):
    """Gated recurrent unit: r, z = sigmoid(...), n = tanh(x W_in^T + b_in +
    r (h W_hn^T + b_hn)), h' = (1 - z) n + z h.

    ``GRU(input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
    dropout=0.0, bidirectional=False)``; ``forward(input, hx=None)`` returns
    (output, h_n) as PyTorch's.
    """

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)

    def forward(self, input, hx=None):
        """input (T, B, I) (or (B, T, I), (T, I), PackedSequence) -> (output, h_n)."""
        return self._forward(input, hx)


class RNNCellBase(Module):
    """One step of a recurrent layer; ``num_chunks`` gates of ``hidden_size`` each."""

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        dtype = dtype or _C._get_default_dtype()
        G = num_chunks * hidden_size
        self.weight_ih = Parameter(_C.empty((G, input_size), dtype=dtype))
        self.weight_hh = Parameter(_C.empty((G, hidden_size), dtype=dtype))
        if bias:
            self.bias_ih = Parameter(_C.empty((G,), dtype=dtype))
            self.bias_hh = Parameter(_C.empty((G,), dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self):
        """Every weight and bias uniform in [-1/sqrt(hidden_size), 1/sqrt(hidden_size)]."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def _check(self, input, states):
        if input.shape[1] != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {input.shape[1]} "
                               f"expected {self.input_size}")
        for k, s in enumerate(states):
            if s.shape[0] != input.shape[0]:
                raise RuntimeError(f"Input batch size {input.shape[0]} doesn't match hidden{k} "
                                   f"batch size {s.shape[0]}")
            if s.shape[1] != self.hidden_size:
                raise RuntimeError(f"hidden{k} has inconsistent hidden_size: got {s.shape[1]}, "
                                   f"expected {self.hidden_size}")
            if s.dtype != input.dtype:
                raise RuntimeError(f"expected hidden{k} to have the input's dtype {input.dtype}, "
                                   f"got {s.dtype}")

    def _step(self, mode, input, hx, n_states):
        """input (B, I) or (I,); hx a state or a tuple of n_states -> the new state(s)."""
        pynet, name = _pynet(), type(self).__name__
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        states = () if hx is None else (tuple(hx) if n_states == 2 else (hx,))
        for k, s in enumerate(states):
            if s.dim() not in (1, 2):
                what = f"hx[{k}]" if n_states == 2 else "hidden"
                raise ValueError(f"{name}: Expected {what} to be 1D or 2D, got {s.dim()}D "
                                 "instead")
        batched = input.dim() == 2
        if not batched:
            input, states = input.unsqueeze(0), tuple(s.unsqueeze(0) for s in states)
        if not states:
            zeros = pynet.zeros((input.shape[0], self.hidden_size), dtype=input.dtype)
            states = (zeros,) * n_states
        self._check(input, states)
        xg = F.linear(input, self.weight_ih, self.bias_ih).unsqueeze(0)
        _, h, c = _C._rnn_layer(mode, xg, self.weight_hh, self.bias_hh, states[0],
                                states[1] if n_states == 2 else None, None, None, False)
        out = (h, c) if n_states == 2 else (h,)
        if not batched:
            out = tuple(o.squeeze(0) for o in out)
        return out if n_states == 2 else out[0]


class RNNCell(RNNCellBase):
    """One Elman RNN step: h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh), act tanh or relu.

    ``RNNCell(input_size, hidden_size, bias=True, nonlinearity='tanh')``;
    ``forward(input, hx=None)`` returns h'.
    """

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None,
                 dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=1, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        """input (B, I) or (I,), hx (B, H) or (H,) (zeros when None) -> h' of hx's shape."""
        if self.nonlinearity not in ("tanh", "relu"):
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        return self._step(_MODES["RNN_TANH" if self.nonlinearity == "tanh" else "RNN_RELU"],
                          input, hx, 1)


class LSTMCell(RNNCellBase):
    """One LSTM step (see :class:`LSTM`). ``forward(input, (h, c)=None)`` returns (h', c')."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=4, dtype=dtype)

    def forward(self, input, hx=None):
        """input (B, I) or (I,), hx a pair (h, c) of (B, H) or (H,) -> (h', c')."""
        return self._step(_MODES["LSTM"], input, hx, 2)


class GRUCell(RNNCellBase):
    """One GRU step (see :class:`GRU`). ``forward(input, hx=None)`` returns h'."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=3, dtype=dtype)

    def forward(self, input, hx=None):
        """input (B, I) or (I,), hx (B, H) or (H,) (zeros when None) -> h'."""
        return self._step(_MODES["GRU"], input, hx, 1)
