"""pynet.special: PyTorch's torch.special (real float32/float64 tensors).

Aliases of pynet functions, with torch.special's names and signatures:
    erf, erfc, erfinv, exp2, expit (sigmoid), expm1, gammaln (lgamma), digamma, psi (digamma),
    i0, log1p, log_softmax, logit, logsumexp, multigammaln (mvlgamma), polygamma, round, sinc,
    softmax, xlogy.
Functions of this module, built from differentiable pynet ops (autograd works):
    entr, erfcx, log_ndtr, ndtr, ndtri, xlog1py.

None of these functions supports out=: passing one raises NotImplementedError.

Not provided (pynet has no accurate way to compute them): airy_ai, the Bessel functions
(bessel_j0, bessel_j1, bessel_y0, bessel_y1, modified_bessel_i0/i1/k0/k1,
scaled_modified_bessel_k0/k1, spherical_bessel_j0), i0e, i1, i1e, gammainc, gammaincc, zeta and
the orthogonal polynomials (chebyshev_polynomial_t/u/v/w, shifted_chebyshev_polynomial_t/u/v/w,
hermite_polynomial_h/he, laguerre_polynomial_l, legendre_polynomial_p).
"""
import math

from . import _C
from . import _functions as F
from ._creation import get_default_dtype, result_type
from ._creation import tensor as _new_tensor
from ._tensor import Tensor
from .autograd import Function, no_grad

__all__ = ["digamma", "entr", "erf", "erfc", "erfcx", "erfinv", "exp2", "expit", "expm1",
           "gammaln", "i0", "log1p", "log_ndtr", "log_softmax", "logit", "logsumexp",
           "multigammaln", "ndtr", "ndtri", "polygamma", "psi", "round", "sinc", "softmax",
           "xlog1py", "xlogy"]

_SQRT1_2 = math.sqrt(0.5)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _check(input, fname, out=None):
    """torch.special's functions take tensors only (TypeError otherwise); out= is refused."""
    if out is not None:
        raise NotImplementedError(f"pynet special.{fname}: the out= argument is not supported")
    if not isinstance(input, Tensor):
        raise TypeError(f"special.{fname}(): argument 'input' must be Tensor, not "
                        f"{type(input).__name__}")


def _float(x):
    """x itself if floating point, else x cast to the default dtype (torch's promotion of
    integer and bool inputs of the special functions)."""
    return x if x.dtype.is_floating_point else x.to(get_default_dtype())


def _in64(fn, x):
    """fn evaluated in float64 (its thresholds and splittings are float64's) and cast back."""
    x = _float(x)
    return fn(x.to(_C.float64)).to(x.dtype)


# ------------------------------------------------------------------ aliases

def erf(input, *, out=None):
    """The error function erf(x) = 2/sqrt(pi) * integral_0^x exp(-t^2) dt, elementwise."""
    _check(input, "erf", out)
    return F.erf(input)


def erfc(input, *, out=None):
    """The complementary error function 1 - erf(x), accurate where erf(x) is near 1."""
    _check(input, "erfc", out)
    return F.erfc(input)


def erfinv(input, *, out=None):
    """The inverse error function on [-1, 1] (+-inf at +-1, NaN outside)."""
    _check(input, "erfinv", out)
    return F.erfinv(input)


def exp2(input, *, out=None):
    """2 ** x, elementwise."""
    _check(input, "exp2", out)
    return F.exp2(input)


def expit(input, *, out=None):
    """The logistic sigmoid 1 / (1 + exp(-x)) (pynet.sigmoid), elementwise."""
    _check(input, "expit", out)
    return F.sigmoid(input)


def expm1(input, *, out=None):
    """exp(x) - 1, accurate for small x."""
    _check(input, "expm1", out)
    return F.expm1(input)


def gammaln(input, *, out=None):
    """log |Gamma(x)| (pynet.lgamma), elementwise."""
    _check(input, "gammaln", out)
    return F.lgamma(input)


def digamma(input, *, out=None):
    """The digamma function psi(x) = d/dx log Gamma(x), elementwise."""
    _check(input, "digamma", out)
    return F.digamma(input)


def psi(input, *, out=None):
    """Alias of digamma: d/dx log Gamma(x), elementwise."""
    _check(input, "psi", out)
    return F.digamma(input)


def i0(input, *, out=None):
    """The modified Bessel function of the first kind of order 0, elementwise."""
    _check(input, "i0", out)
    return F.i0(input)


def log1p(input, *, out=None):
    """log(1 + x), accurate for small x."""
    _check(input, "log1p", out)
    return F.log1p(input)


def log_softmax(input, dim, *, dtype=None):
    """log(softmax(input, dim)), computed stably; input is cast to dtype first if given."""
    _check(input, "log_softmax")
    return F.log_softmax(input, dim, dtype)


def softmax(input, dim, dtype=None):
    """exp(x) / sum(exp(x)) along dim; input is cast to dtype first if given."""
    _check(input, "softmax")
    return F.softmax(input, dim, dtype)


def logit(input, eps=None, *, out=None):
    """log(p / (1 - p)), with p clamped into [eps, 1 - eps] first when eps is given."""
    _check(input, "logit", out)
    return F.logit(input, eps)


def logsumexp(input, dim, keepdim=False, *, out=None):
    """log(sum(exp(input), dim)), computed without overflow."""
    _check(input, "logsumexp", out)
    return F.logsumexp(input, dim, keepdim)


def multigammaln(input, p, *, out=None):
    """The multivariate log-gamma function of dimension p (pynet.mvlgamma), elementwise."""
    _check(input, "multigammaln", out)
    return F.mvlgamma(input, p)


def polygamma(n, input, *, out=None):
    """The n-th derivative of the digamma function, elementwise."""
    _check(input, "polygamma", out)
    return F.polygamma(n, input)


def round(input, *, decimals=0, out=None):  # noqa: A001 (torch's name)
    """x rounded half to even to `decimals` decimal places (negative: to tens, hundreds...).

    pynet.round's rule (x scaled by 10 ** |decimals| in its own dtype, rounded and scaled
    back). Integer inputs raise NotImplementedError, even at decimals=0, as
    torch.special.round does."""
    _check(input, "round", out)
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"special.round: not implemented for {input.dtype}")
    return F.round(input, decimals=decimals)


def sinc(input, *, out=None):
    """The normalized sinc sin(pi x) / (pi x), 1 at x = 0."""
    _check(input, "sinc", out)
    return F.sinc(input)


def xlogy(input, other, *, out=None):
    """input * log(other), 0 where input == 0 (unless other is NaN); either may be a number."""
    _check_pair(input, other, "xlogy", out)
    return F.xlogy(input, other)


def _check_pair(input, other, fname, out):
    if out is not None:
        raise NotImplementedError(f"pynet special.{fname}: the out= argument is not supported")
    if not (isinstance(input, Tensor) or isinstance(other, Tensor)):
        raise TypeError(f"special.{fname}(): expected at least one Tensor argument, got "
                        f"({type(input).__name__}, {type(other).__name__})")


# ------------------------------------------------------------------ entropy terms

class _Entr(Function):
    """-x ln x; backward -(ln x + 1), as torch's (inf at 0, NaN for x < 0)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        val = _C.where(x == 0, 0.0, -x * x.log())  # 0 * log 0 is NaN: the limit is 0
        return _C.where(x < 0, -math.inf, val)     # NaN fails both tests and stays NaN

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return -g * (x.log() + 1.0)  # differentiable ops: double backward works


def entr(input, *, out=None):
    """The elementwise entropy term -x ln x: 0 at x = 0, -inf for x < 0, NaN for NaN.

    The gradient is -(ln x + 1) everywhere, as in torch (+inf at 0, NaN for x < 0)."""
    _check(input, "entr", out)
    return _Entr.apply(_float(input))


class _Xlog1py(Function):
    """x * log1p(y) (0 where x == 0 unless y is NaN), with torch's backward."""

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        val = x * y.log1p()
        return _C.where((x == 0) & ~y.isnan(), 0.0, val)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        gx = gy = None
        if ctx.needs_input_grad[0]:
            # d/dx = log1p(y); torch zeroes it where x == 0 and y <= -1 (log1p(y) undefined)
            gx = _C.where((x == 0) & (y <= -1), 0.0, xlog1py(g, y))
            gx = gx.sum_to_size(x.shape)
        if ctx.needs_input_grad[1]:
            gy = (g * x / (y + 1.0)).sum_to_size(y.shape)
        return gx, gy


def xlog1py(input, other, *, out=None):
    """input * log1p(other) elementwise (broadcast), 0 where input == 0 unless other is NaN.

    Either argument may be a Python number (not both); integer and bool inputs give the
    default float dtype. Gradients: log1p(other) for input (0 where input == 0 and
    other <= -1, as in torch) and input / (1 + other) for other."""
    _check_pair(input, other, "xlog1py", out)
    dt = result_type(input, other)
    if not dt.is_floating_point:
        dt = get_default_dtype()
    x = input.to(dt) if isinstance(input, Tensor) else _new_tensor(input, dtype=dt)
    y = other.to(dt) if isinstance(other, Tensor) else _new_tensor(other, dtype=dt)
    return _Xlog1py.apply(x, y)


# ------------------------------------------------------------------ normal distribution

def _split(x):
    """(hi, lo) with x = hi + lo, hi a constant (no gradient) of x truncated to 20 fractional
    bits and clamped to [-64, 64], so that hi^2 is exact (at most 52 bits)."""
    with no_grad():
        hi = (x.clamp(-64.0, 64.0) * 2.0 ** 20).trunc() / 2.0 ** 20
    return hi, x - hi


def _exp_sq(x):
    """exp(x * x) for float64 x, without the rounding error of x * x (which exp would turn
    into a relative error of x^2 * 2^-53): x^2 = hi^2 + (2 hi + lo) lo, hi^2 exact."""
    hi, lo = _split(x)
    return (hi * hi).exp() * ((2.0 * hi + lo) * lo).exp()


# erfcx(x) ~ 1/(x sqrt(pi)) * sum_n (-1)^n (2n-1)!! / (2x^2)^n for large x; from x = 26 on
# the 10 terms below are exact to float64 rounding (the 11th is < 1e-22 of the sum).
_ASYMPTOTIC_TERMS = 10
_ERFCX_LARGE = 26.0


def _erfcx_value(x):
    """erfcx of a float64 tensor (no gradient): three ranges, each evaluated at a safe
    point where not selected."""
    # x < -6: erfc(x) rounds to 2, so erfcx(x) = 2 exp(x^2) to float64 precision
    neg = x < -6.0
    big = x >= _ERFCX_LARGE
    xm = _C.where(neg | big, 0.0, x)
    mid = _exp_sq(xm) * xm.erfc()  # erfc is accurate relatively down to 1e-300 (x = 26)
    low = 2.0 * _exp_sq(_C.where(neg, x, -6.0))
    w = _C.where(big, x, _ERFCX_LARGE).reciprocal()  # 1/x: x = inf gives 0
    z = 0.5 * w * w
    s = 1.0
    for n in range(_ASYMPTOTIC_TERMS, 0, -1):  # Horner: 1 - z (1 - 3z (1 - 5z (...)))
        s = 1.0 - (2 * n - 1) * z * s
    large = w * s / math.sqrt(math.pi)
    return _C.where(neg, low, _C.where(big, large, mid))


def _half_inv_sq(x):
    """1 / (2 x^2) through 1/x, so that x = inf gives 0 with a 0 (not NaN) gradient."""
    w = x.reciprocal()
    return 0.5 * w * w


class _Erfcx(Function):
    """erfcx with backward 2 x erfcx(x) - 2/sqrt(pi) (torch's); from x = 26 on, where that
    difference cancels, the derivative of the asymptotic series instead:
    erfcx'(x) = -1/(sqrt(pi) x^2) * sum_n (-1)^n (2n+1)!! / (2x^2)^n."""

    @staticmethod
    def forward(ctx, x):
        y = _erfcx_value(x)
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        if _C.is_grad_enabled():  # create_graph: y must carry its dependence on x
            y = _Erfcx.apply(x)
        big = x >= _ERFCX_LARGE
        z = _half_inv_sq(_C.where(big, x, _ERFCX_LARGE))
        s = 1.0
        for n in range(_ASYMPTOTIC_TERMS, 0, -1):
            s = 1.0 - (2 * n + 1) * z * s
        d_large = -2.0 * z * s / math.sqrt(math.pi)
        d = 2.0 * _C.where(big, 0.0, x) * y - _TWO_OVER_SQRT_PI
        return g * _C.where(big, d_large, d)


def erfcx(input, *, out=None):
    """The scaled complementary error function exp(x^2) * erfc(x), elementwise.

    Accurate to a few float64 ulps over the whole range: exp(x^2) erfc(x) with x^2 split
    exactly below x = 26, and the asymptotic series above (where erfc underflows); +inf
    below x ~ -26.6, where 2 exp(x^2) overflows. float32 inputs are computed in float64.
    Gradient 2 x erfcx(x) - 2/sqrt(pi) (for x > 0 that difference cancels: its relative
    accuracy is about 2 x^2 ulps there, as in torch, except past x = 26 where the series'
    own derivative keeps it accurate)."""
    _check(input, "erfcx", out)
    return _in64(_Erfcx.apply, input)


def ndtr(input, *, out=None):
    """The standard normal CDF Phi(x) = (1 + erf(x / sqrt 2)) / 2, elementwise.

    Computed as erfc(-x / sqrt 2) / 2, which keeps its relative accuracy in the left tail
    down to the underflow near x = -38 (where (1 + erf) / 2, torch's formula, cancels to 0
    below x ~ -8.3); the rounding of x / sqrt 2 costs about x^2 ulps there."""
    _check(input, "ndtr", out)
    x = _float(input)
    return 0.5 * (-_SQRT1_2 * x).erfc()


def _log_ndtr_value(x):
    # x < -1: Phi(x) = erfcx(-t) exp(-t^2) / 2 with t = x / sqrt 2, so log Phi(x) =
    # log(erfcx(-t) / 2) - t^2, free of underflow (erfcx(-t) ~ 1 / (-t sqrt(pi))).
    # x >= -1: log1p(-erfc(t) / 2), accurate as Phi -> 1 (erfc(t) / 2 = 1 - Phi).
    left = x < -1.0
    t_l = _C.where(left, x, -1.0) * _SQRT1_2
    t_r = _C.where(left, 0.0, x) * _SQRT1_2
    val_l = (0.5 * _erfcx_value(-t_l)).log() - t_l * t_l
    val_r = (-0.5 * t_r.erfc()).log1p()
    return _C.where(left, val_l, val_r)


class _LogNdtr(Function):
    """log Phi(x), with backward phi(x) / Phi(x) computed stably: sqrt(2/pi) / erfcx(-x/sqrt 2)
    for x < -1 (~ -x, no underflow), exp(-x^2/2) / (sqrt(2 pi) Phi(x)) above, with x^2 split
    exactly (the rounding of x * x would cost x^2 ulps)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _log_ndtr_value(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        left = x < -1.0
        xl = _C.where(left, x, -1.0)
        d_left = math.sqrt(2.0 / math.pi) / _Erfcx.apply(-_SQRT1_2 * xl)
        xr = _C.where(left, 0.0, x)
        hi, lo = _split(xr)
        pdf = (-0.5 * hi * hi).exp() * (-0.5 * (2.0 * hi + lo) * lo).exp()
        d_right = pdf / (math.sqrt(2.0 * math.pi) * 0.5 * (-_SQRT1_2 * xr).erfc())
        return g * _C.where(left, d_left, d_right)


def log_ndtr(input, *, out=None):
    """log of the standard normal CDF, log Phi(x), elementwise.

    Accurate in the far left tail too (log Phi(x) ~ -x^2/2 - log(-x sqrt(2 pi)) where Phi
    underflows), through erfcx; float32 inputs are computed in float64. The gradient
    phi(x) / Phi(x) (~ -x in the left tail) stays finite and accurate for all finite x,
    where torch's loses accuracy below x ~ -100 and is NaN below x ~ -1.9e154."""
    _check(input, "log_ndtr", out)
    return _in64(_LogNdtr.apply, input)


def _ndtri_value(p):
    """Phi^-1(p) for float64 p (no gradient)."""
    y = p - 0.5  # exact for p in [0.25, 1] (Sterbenz), so the center keeps its precision
    center = y.abs() <= 0.25
    inside = (p > 0.0) & (p < 1.0)
    # tails: solve log Phi(x) = log q for x < 0, q = min(p, 1 - p) (1 - p is exact there)
    q = _C.where(center | ~inside, 0.1, _C.where(p < 0.5, p, 1.0 - p))
    log_q = q.log()
    # start: erfinv where 2q - 1 keeps enough digits, else Phi(x) ~ phi(x) / -x, i.e.
    # x^2 ~ L - log(2 pi L) with L = -2 log q (within 1e-2 for q <= 1e-3)
    big_l = -2.0 * log_q
    x_small = -(big_l - (2.0 * math.pi * big_l).log()).clamp(min=0.0).sqrt()
    x = _C.where(q >= 1e-3, math.sqrt(2.0) * (2.0 * q - 1.0).erfinv(), x_small)
    # Newton on the concave log Phi: after the first step the iterates approach the root
    # from below, quadratically (error e -> ~e^2 / (2 |x|)); 5 steps reach float64.
    for _ in range(5):
        slope = math.sqrt(2.0 / math.pi) / _erfcx_value(-_SQRT1_2 * x)  # phi(x) / Phi(x)
        x = x - (_log_ndtr_value(x) - log_q) / slope
    x = _C.where(p < 0.5, x, -x)
    x = _C.where(center, math.sqrt(2.0) * (2.0 * y).erfinv(), x)  # 2y is exact
    x = _C.where(p == 0.0, -math.inf, _C.where(p == 1.0, math.inf, x))
    return _C.where((p >= 0.0) & (p <= 1.0), x, math.nan)  # NaN fails both tests


class _Ndtri(Function):
    """Phi^-1 with backward dx/dp = 1/phi(x), computed as sqrt(pi/2) erfcx(|x|/sqrt 2) / q,
    q = min(p, 1 - p) (= Phi(-|x|)): unlike sqrt(2 pi) exp(x^2 / 2), this keeps full
    relative accuracy in the tails, where the error of x would be multiplied by x^2."""

    @staticmethod
    def forward(ctx, p):
        x = _ndtri_value(p)
        ctx.save_for_backward(p, x)
        return x

    @staticmethod
    def backward(ctx, g):
        p, x = ctx.saved_tensors
        if _C.is_grad_enabled():  # create_graph: x must carry its dependence on p
            x = _Ndtri.apply(p)
        q = F.minimum(p, 1.0 - p)
        inv_pdf = math.sqrt(math.pi / 2.0) * _Erfcx.apply(_SQRT1_2 * x.abs()) / q
        return g * _C.where(q == 0.0, math.inf, inv_pdf)  # p = 0 or 1: 1/phi(-+inf) = inf


def ndtri(input, *, out=None):
    """The inverse of the standard normal CDF: x with Phi(x) = p, elementwise.

    -inf at p = 0, inf at p = 1, NaN outside [0, 1]. Near p = 1/2, sqrt 2 erfinv(2p - 1)
    (2p - 1 is exact there); in the tails, Newton steps on log Phi(x) = log min(p, 1 - p), so
    that tiny p (down to the smallest subnormal) keep full relative accuracy, which erfinv(2p
    - 1) loses. float32 inputs are computed in float64. Gradient 1 / phi(x)."""
    _check(input, "ndtri", out)
    return _in64(_Ndtri.apply, input)
