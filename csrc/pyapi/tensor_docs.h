/* pyapi/tensor_docs.h - the docstrings of the C-implemented API: Tensor methods and
 * properties, the _C functions pynet re-exports. A method's or function's docstring
 * starts with its CPython text signature ("name($self, /, ...)\n--\n\n"), which
 * inspect.signature and help() read. Generated once, edited by hand since. */
#ifndef PN_TENSOR_DOCS_H
#define PN_TENSOR_DOCS_H

/* ---- Tensor methods (tensor_methods.c) */
#define DOC_neg "neg($self, /)\n--\n\nA new tensor of the negation -x, elementwise."
#define DOC_neg_ \
    "neg_($self, /)\n--\n\nIn place: replaces each element x by the negation -x; returns self."
#define DOC_abs "abs($self, /)\n--\n\nA new tensor of the absolute value |x|, elementwise."
#define DOC_abs_ \
    "abs_($self, /)\n--\n\nIn place: replaces each element x by the absolute value |x|; returns " \
    "self."
#define DOC_exp  "exp($self, /)\n--\n\nA new tensor of e**x, elementwise."
#define DOC_exp_ "exp_($self, /)\n--\n\nIn place: replaces each element x by e**x; returns self."
#define DOC_log \
    "log($self, /)\n--\n\nA new tensor of the natural logarithm ln(x) (nan below 0, -inf at 0), " \
    "elementwise."
#define DOC_log_ \
    "log_($self, /)\n--\n\nIn place: replaces each element x by the natural logarithm ln(x) (nan " \
    "below 0, -inf at 0); returns self."
#define DOC_sqrt "sqrt($self, /)\n--\n\nA new tensor of the square root, elementwise."
#define DOC_sqrt_ \
    "sqrt_($self, /)\n--\n\nIn place: replaces each element x by the square root; returns self."
#define DOC_sigmoid \
    "sigmoid($self, /)\n--\n\nA new tensor of the logistic sigmoid 1 / (1 + exp(-x)), " \
    "elementwise."
#define DOC_sigmoid_ \
    "sigmoid_($self, /)\n--\n\nIn place: replaces each element x by the logistic sigmoid 1 / (1 " \
    "+ exp(-x)); returns self."
#define DOC_tanh "tanh($self, /)\n--\n\nA new tensor of the hyperbolic tangent, elementwise."
#define DOC_tanh_ \
    "tanh_($self, /)\n--\n\nIn place: replaces each element x by the hyperbolic tangent; returns " \
    "self."
#define DOC_relu "relu($self, /)\n--\n\nA new tensor of max(x, 0), elementwise."
#define DOC_relu_ \
    "relu_($self, /)\n--\n\nIn place: replaces each element x by max(x, 0); returns self."
#define DOC_sign "sign($self, /)\n--\n\nA new tensor of the sign (-1, 0 or 1), elementwise."
#define DOC_sign_ \
    "sign_($self, /)\n--\n\nIn place: replaces each element x by the sign (-1, 0 or 1); returns " \
    "self."
#define DOC_reciprocal "reciprocal($self, /)\n--\n\nA new tensor of 1 / x, elementwise."
#define DOC_reciprocal_ \
    "reciprocal_($self, /)\n--\n\nIn place: replaces each element x by 1 / x; returns self."
#define DOC_square "square($self, /)\n--\n\nA new tensor of x * x, elementwise."
#define DOC_square_ \
    "square_($self, /)\n--\n\nIn place: replaces each element x by x * x; returns self."
#define DOC_sin "sin($self, /)\n--\n\nA new tensor of the sine, elementwise."
#define DOC_sin_ \
    "sin_($self, /)\n--\n\nIn place: replaces each element x by the sine; returns self."
#define DOC_cos "cos($self, /)\n--\n\nA new tensor of the cosine, elementwise."
#define DOC_cos_ \
    "cos_($self, /)\n--\n\nIn place: replaces each element x by the cosine; returns self."
#define DOC_log2 "log2($self, /)\n--\n\nA new tensor of the base-2 logarithm, elementwise."
#define DOC_log2_ \
    "log2_($self, /)\n--\n\nIn place: replaces each element x by the base-2 logarithm; returns " \
    "self."
#define DOC_log10 "log10($self, /)\n--\n\nA new tensor of the base-10 logarithm, elementwise."
#define DOC_log10_ \
    "log10_($self, /)\n--\n\nIn place: replaces each element x by the base-10 logarithm; returns " \
    "self."
#define DOC_erf \
    "erf($self, /)\n--\n\nA new tensor of the error function erf(x) = 2/sqrt(pi) * integral of " \
    "exp(-t^2) from 0 to x, elementwise."
#define DOC_erf_ \
    "erf_($self, /)\n--\n\nIn place: replaces each element x by the error function erf(x) = " \
    "2/sqrt(pi) * integral of exp(-t^2) from 0 to x; returns self."
#define DOC_erfc \
    "erfc($self, /)\n--\n\nA new tensor of the complementary error function 1 - erf(x), accurate " \
    "where erf(x) is near 1, elementwise."
#define DOC_erfc_ \
    "erfc_($self, /)\n--\n\nIn place: replaces each element x by the complementary error " \
    "function 1 - erf(x), accurate where erf(x) is near 1; returns self."
#define DOC_tan "tan($self, /)\n--\n\nA new tensor of the tangent, elementwise."
#define DOC_tan_ \
    "tan_($self, /)\n--\n\nIn place: replaces each element x by the tangent; returns self."
#define DOC_atan \
    "atan($self, /)\n--\n\nA new tensor of the arctangent, in (-pi/2, pi/2), elementwise."
#define DOC_atan_ \
    "atan_($self, /)\n--\n\nIn place: replaces each element x by the arctangent, in (-pi/2, " \
    "pi/2); returns self."
#define DOC_rsqrt \
    "rsqrt($self, /)\n--\n\nA new tensor of the reciprocal square root 1 / sqrt(x), elementwise."
#define DOC_rsqrt_ \
    "rsqrt_($self, /)\n--\n\nIn place: replaces each element x by the reciprocal square root 1 / " \
    "sqrt(x); returns self."
#define DOC_asin \
    "asin($self, /)\n--\n\nA new tensor of the arcsine, in [-pi/2, pi/2] (NaN outside [-1, 1]), " \
    "elementwise."
#define DOC_asin_ \
    "asin_($self, /)\n--\n\nIn place: replaces each element x by the arcsine, in [-pi/2, pi/2] " \
    "(NaN outside [-1, 1]); returns self."
#define DOC_acos \
    "acos($self, /)\n--\n\nA new tensor of the arccosine, in [0, pi] (NaN outside [-1, 1]), " \
    "elementwise."
#define DOC_acos_ \
    "acos_($self, /)\n--\n\nIn place: replaces each element x by the arccosine, in [0, pi] (NaN " \
    "outside [-1, 1]); returns self."
#define DOC_sinh "sinh($self, /)\n--\n\nA new tensor of the hyperbolic sine, elementwise."
#define DOC_sinh_ \
    "sinh_($self, /)\n--\n\nIn place: replaces each element x by the hyperbolic sine; returns " \
    "self."
#define DOC_cosh "cosh($self, /)\n--\n\nA new tensor of the hyperbolic cosine, elementwise."
#define DOC_cosh_ \
    "cosh_($self, /)\n--\n\nIn place: replaces each element x by the hyperbolic cosine; returns " \
    "self."
#define DOC_asinh "asinh($self, /)\n--\n\nA new tensor of the inverse hyperbolic sine, elementwise."
#define DOC_asinh_ \
    "asinh_($self, /)\n--\n\nIn place: replaces each element x by the inverse hyperbolic sine; " \
    "returns self."
#define DOC_acosh \
    "acosh($self, /)\n--\n\nA new tensor of the inverse hyperbolic cosine (NaN below 1), " \
    "elementwise."
#define DOC_acosh_ \
    "acosh_($self, /)\n--\n\nIn place: replaces each element x by the inverse hyperbolic cosine " \
    "(NaN below 1); returns self."
#define DOC_atanh \
    "atanh($self, /)\n--\n\nA new tensor of the inverse hyperbolic tangent (+-inf at +-1, NaN " \
    "outside [-1, 1]), elementwise."
#define DOC_atanh_ \
    "atanh_($self, /)\n--\n\nIn place: replaces each element x by the inverse hyperbolic tangent " \
    "(+-inf at +-1, NaN outside [-1, 1]); returns self."
#define DOC_exp2 "exp2($self, /)\n--\n\nA new tensor of 2 ** x, elementwise."
#define DOC_exp2_ \
    "exp2_($self, /)\n--\n\nIn place: replaces each element x by 2 ** x; returns self."
#define DOC_lgamma \
    "lgamma($self, /)\n--\n\nA new tensor of ln |Gamma(x)|, the log of the gamma function's " \
    "absolute value, elementwise."
#define DOC_lgamma_ \
    "lgamma_($self, /)\n--\n\nIn place: replaces each element x by ln |Gamma(x)|, the log of the " \
    "gamma function's absolute value; returns self."
#define DOC_digamma \
    "digamma($self, /)\n--\n\nA new tensor of the digamma function d/dx ln Gamma(x) (-inf at +0, " \
    "NaN at -1, -2, ...), elementwise."
#define DOC_digamma_ \
    "digamma_($self, /)\n--\n\nIn place: replaces each element x by the digamma function d/dx ln " \
    "Gamma(x) (-inf at +0, NaN at -1, -2, ...); returns self."
#define DOC_erfinv \
    "erfinv($self, /)\n--\n\nA new tensor of the inverse error function: the y with erf(y) = x " \
    "(+-inf at +-1, NaN outside [-1, 1]), elementwise."
#define DOC_erfinv_ \
    "erfinv_($self, /)\n--\n\nIn place: replaces each element x by the inverse error function: " \
    "the y with erf(y) = x (+-inf at +-1, NaN outside [-1, 1]); returns self."
#define DOC_diagonal \
    "diagonal($self, /, offset=0, dim1=0, dim2=1)\n--\n\nA view of the diagonal of dims dim1 " \
    "and dim2 (offset > 0: above the main diagonal, < 0: below), as the last dim, those two " \
    "dims removed."
#define DOC_unfold \
    "unfold($self, /, dimension, size, step)\n--\n\nA view of the windows of `size` elements " \
    "along dimension, every `step` elements: that dim becomes the window count and a last dim " \
    "of length size is added."
#define DOC_fmod \
    "fmod($self, /, other)\n--\n\nElementwise C remainder self - trunc(self / other) * other " \
    "(the sign of self), broadcasting other (a tensor or a number); a new tensor."
#define DOC_fmod_ \
    "fmod_($self, /, other)\n--\n\nIn place: self = fmod(self, other), broadcasting other to " \
    "self's shape; returns self."
#define DOC_hypot \
    "hypot($self, /, other)\n--\n\nElementwise sqrt(self ** 2 + other ** 2) without overflow or " \
    "underflow in the squares, broadcasting other (a tensor); a new tensor."
#define DOC_hypot_ \
    "hypot_($self, /, other)\n--\n\nIn place: self = hypot(self, other); returns self."
#define DOC_polygamma \
    "polygamma($self, /, n)\n--\n\nA new tensor of the n-th derivative of the digamma function " \
    "(n >= 0; n = 0 is digamma), elementwise."
#define DOC_polygamma_ \
    "polygamma_($self, /, n)\n--\n\nIn place: replaces each element x by polygamma(n, x); " \
    "returns self."
#define DOC_atan2 \
    "atan2($self, /, other)\n--\n\nA new tensor of the angle of the point (other, self) in " \
    "radians, in [-pi, pi], elementwise with broadcasting (atan(self / other) with the quadrant " \
    "from both signs)."
#define DOC_atan2_ \
    "atan2_($self, /, other)\n--\n\nIn place: replaces self by atan2(self, other); returns self."
#define DOC_log1p \
    "log1p($self, /)\n--\n\nA new tensor of ln(1 + x), accurate for small x, elementwise."
#define DOC_log1p_ \
    "log1p_($self, /)\n--\n\nIn place: replaces each element x by ln(1 + x), accurate for small " \
    "x; returns self."
#define DOC_expm1 \
    "expm1($self, /)\n--\n\nA new tensor of exp(x) - 1, accurate for small x, elementwise."
#define DOC_expm1_ \
    "expm1_($self, /)\n--\n\nIn place: replaces each element x by exp(x) - 1, accurate for small " \
    "x; returns self."
#define DOC_floor "floor($self, /)\n--\n\nA new tensor of the largest integer <= x, elementwise."
#define DOC_floor_ \
    "floor_($self, /)\n--\n\nIn place: replaces each element x by the largest integer <= x; " \
    "returns self."
#define DOC_ceil "ceil($self, /)\n--\n\nA new tensor of the smallest integer >= x, elementwise."
#define DOC_ceil_ \
    "ceil_($self, /)\n--\n\nIn place: replaces each element x by the smallest integer >= x; " \
    "returns self."
#define DOC_round \
    "round($self, /)\n--\n\nA new tensor of x rounded to the nearest integer (halves to even), " \
    "elementwise."
#define DOC_round_ \
    "round_($self, /)\n--\n\nIn place: replaces each element x by x rounded to the nearest " \
    "integer (halves to even); returns self."
#define DOC_trunc "trunc($self, /)\n--\n\nA new tensor of x rounded toward zero, elementwise."
#define DOC_trunc_ \
    "trunc_($self, /)\n--\n\nIn place: replaces each element x by x rounded toward zero; returns " \
    "self."
#define DOC_bitwise_not \
    "bitwise_not($self, /)\n--\n\nA new tensor of the bitwise NOT (logical NOT for bool), " \
    "elementwise."
#define DOC_bitwise_not_ \
    "bitwise_not_($self, /)\n--\n\nIn place: replaces each element x by the bitwise NOT (logical " \
    "NOT for bool); returns self."
#define DOC_mul \
    "mul($self, /, other)\n--\n\nElementwise self * other, broadcasting other (a tensor or a " \
    "number); a new tensor."
#define DOC_mul_ \
    "mul_($self, /, other)\n--\n\nIn place: self = self * other, broadcasting other to self's " \
    "shape; returns self."
#define DOC_true_divide \
    "true_divide($self, /, other)\n--\n\nElementwise self / other (true division, always " \
    "floating point), broadcasting other (a tensor or a number); a new tensor."
#define DOC_true_divide_ \
    "true_divide_($self, /, other)\n--\n\nIn place: self = self / other, broadcasting other to " \
    "self's shape; returns self."
#define DOC_floor_divide \
    "floor_divide($self, /, other)\n--\n\nElementwise self // other (rounded toward minus " \
    "infinity), broadcasting other (a tensor or a number); a new tensor."
#define DOC_floor_divide_ \
    "floor_divide_($self, /, other)\n--\n\nIn place: self = self // other, broadcasting other to " \
    "self's shape; returns self."
#define DOC_remainder \
    "remainder($self, /, other)\n--\n\nElementwise self % other (Python's modulus: the sign of " \
    "other), broadcasting other (a tensor or a number); a new tensor."
#define DOC_remainder_ \
    "remainder_($self, /, other)\n--\n\nIn place: self = self % other, broadcasting other to " \
    "self's shape; returns self."
#define DOC_pow \
    "pow($self, /, exponent)\n--\n\nElementwise self ** exponent, broadcasting exponent (a " \
    "tensor or a number); a new tensor."
#define DOC_pow_ \
    "pow_($self, /, exponent)\n--\n\nIn place: self = self ** exponent, broadcasting exponent to " \
    "self's shape; returns self."
#define DOC_maximum \
    "maximum($self, /, other)\n--\n\nElementwise the larger of self and other (nan if either is " \
    "nan), broadcasting other (a tensor or a number); a new tensor."
#define DOC_maximum_ \
    "maximum_($self, /, other)\n--\n\nIn place: self = the larger of self and other, " \
    "broadcasting other to self's shape; returns self."
#define DOC_minimum \
    "minimum($self, /, other)\n--\n\nElementwise the smaller of self and other (nan if either is " \
    "nan), broadcasting other (a tensor or a number); a new tensor."
#define DOC_minimum_ \
    "minimum_($self, /, other)\n--\n\nIn place: self = the smaller of self and other, " \
    "broadcasting other to self's shape; returns self."
#define DOC_eq \
    "eq($self, /, other)\n--\n\nElementwise self == other, as bool, broadcasting other (a tensor " \
    "or a number); a new tensor."
#define DOC_eq_ \
    "eq_($self, /, other)\n--\n\nIn place: sets each element to (self == other) as 1 or 0 in " \
    "self's dtype, broadcasting other; returns self."
#define DOC_ne \
    "ne($self, /, other)\n--\n\nElementwise self != other, as bool, broadcasting other (a tensor " \
    "or a number); a new tensor."
#define DOC_ne_ \
    "ne_($self, /, other)\n--\n\nIn place: sets each element to (self != other) as 1 or 0 in " \
    "self's dtype, broadcasting other; returns self."
#define DOC_lt \
    "lt($self, /, other)\n--\n\nElementwise self < other, as bool, broadcasting other (a tensor " \
    "or a number); a new tensor."
#define DOC_lt_ \
    "lt_($self, /, other)\n--\n\nIn place: sets each element to (self < other) as 1 or 0 in " \
    "self's dtype, broadcasting other; returns self."
#define DOC_le \
    "le($self, /, other)\n--\n\nElementwise self <= other, as bool, broadcasting other (a tensor " \
    "or a number); a new tensor."
#define DOC_le_ \
    "le_($self, /, other)\n--\n\nIn place: sets each element to (self <= other) as 1 or 0 in " \
    "self's dtype, broadcasting other; returns self."
#define DOC_gt \
    "gt($self, /, other)\n--\n\nElementwise self > other, as bool, broadcasting other (a tensor " \
    "or a number); a new tensor."
#define DOC_gt_ \
    "gt_($self, /, other)\n--\n\nIn place: sets each element to (self > other) as 1 or 0 in " \
    "self's dtype, broadcasting other; returns self."
#define DOC_ge \
    "ge($self, /, other)\n--\n\nElementwise self >= other, as bool, broadcasting other (a tensor " \
    "or a number); a new tensor."
#define DOC_ge_ \
    "ge_($self, /, other)\n--\n\nIn place: sets each element to (self >= other) as 1 or 0 in " \
    "self's dtype, broadcasting other; returns self."
#define DOC_bitwise_and \
    "bitwise_and($self, /, other)\n--\n\nElementwise the bitwise AND (logical for bool), " \
    "broadcasting other (a tensor or a number); a new tensor."
#define DOC_bitwise_and_ \
    "bitwise_and_($self, /, other)\n--\n\nIn place: self = the bitwise AND, broadcasting other " \
    "to self's shape; returns self."
#define DOC_bitwise_or \
    "bitwise_or($self, /, other)\n--\n\nElementwise the bitwise OR (logical for bool), " \
    "broadcasting other (a tensor or a number); a new tensor."
#define DOC_bitwise_or_ \
    "bitwise_or_($self, /, other)\n--\n\nIn place: self = the bitwise OR, broadcasting other to " \
    "self's shape; returns self."
#define DOC_bitwise_xor \
    "bitwise_xor($self, /, other)\n--\n\nElementwise the bitwise XOR (logical for bool), " \
    "broadcasting other (a tensor or a number); a new tensor."
#define DOC_bitwise_xor_ \
    "bitwise_xor_($self, /, other)\n--\n\nIn place: self = the bitwise XOR, broadcasting other " \
    "to self's shape; returns self."
#define DOC_add \
    "add($self, /, other, *, alpha=1)\n--\n\nself + alpha * other, broadcasting; other is a " \
    "tensor or a number."
#define DOC_add_ \
    "add_($self, /, other, *, alpha=1)\n--\n\nIn place: adds other (times alpha) to self; " \
    "returns self."
#define DOC_sub \
    "sub($self, /, other, *, alpha=1)\n--\n\nself - alpha * other, broadcasting; other is a " \
    "tensor or a number."
#define DOC_sub_ \
    "sub_($self, /, other, *, alpha=1)\n--\n\nIn place: subtracts other (times alpha) from self; " \
    "returns self."
#define DOC_div \
    "div($self, /, other, *, rounding_mode=None)\n--\n\nself / other, broadcasting; " \
    "rounding_mode None (true division), 'floor' or 'trunc'."
#define DOC_div_ \
    "div_($self, /, other, *, rounding_mode=None)\n--\n\nIn place: self /= other, with " \
    "rounding_mode None, 'floor' or 'trunc'; returns self."
#define DOC_clamp \
    "clamp($self, /, min=None, max=None)\n--\n\nEach element limited to [min, max] (numbers or " \
    "tensors; either may be None)."
#define DOC_clamp_ \
    "clamp_($self, /, min=None, max=None)\n--\n\nIn place: limits each element to [min, max]; " \
    "returns self."
#define DOC_sum \
    "sum($self, /, dim=None, keepdim=False, *, dtype=None)\n--\n\nThe sum over dim (dim: None " \
    "(all), an int or a tuple of ints; keepdim keeps reduced dims as size 1); bool/int sum in " \
    "int64 unless dtype is given."
#define DOC_mean \
    "mean($self, /, dim=None, keepdim=False, *, dtype=None)\n--\n\nThe mean over dim (dim: None " \
    "(all), an int or a tuple of ints; keepdim keeps reduced dims as size 1); dtype casts self " \
    "first."
#define DOC_prod \
    "prod($self, /, dim=None, keepdim=False, *, dtype=None)\n--\n\nThe product over dim (dim: " \
    "None (all), an int or a tuple of ints; keepdim keeps reduced dims as size 1); bool/int " \
    "multiply in int64 unless dtype is given."
#define DOC_amax \
    "amax($self, /, dim=None, keepdim=False)\n--\n\nThe maximum over dim (dim: None (all), an " \
    "int or a tuple of ints; keepdim keeps reduced dims as size 1); the gradient is shared " \
    "evenly among ties."
#define DOC_amin \
    "amin($self, /, dim=None, keepdim=False)\n--\n\nThe minimum over dim (dim: None (all), an " \
    "int or a tuple of ints; keepdim keeps reduced dims as size 1); the gradient is shared " \
    "evenly among ties."
#define DOC_max \
    "max($self, /, dim=None, keepdim=False)\n--\n\nmax(): the largest element; max(dim, " \
    "keepdim=False): (values, indices) along dim;\nmax(other): the elementwise maximum with the " \
    "tensor other."
#define DOC_min \
    "min($self, /, dim=None, keepdim=False)\n--\n\nmin(): the smallest element; min(dim, " \
    "keepdim=False): (values, indices) along dim;\nmin(other): the elementwise minimum with the " \
    "tensor other."
#define DOC_argmax \
    "argmax($self, /, dim=None, keepdim=False)\n--\n\nThe index (int64) of the largest element " \
    "along dim, or of the flattened tensor if dim is None."
#define DOC_argmin \
    "argmin($self, /, dim=None, keepdim=False)\n--\n\nThe index (int64) of the smallest element " \
    "along dim, or of the flattened tensor if dim is None."
#define DOC_var \
    "var($self, /, dim=None, unbiased=True, keepdim=False, *, correction=None)\n--\n\nThe " \
    "variance over dim, dividing by N - correction (default 1; unbiased=False means " \
    "0).\nvar(False) is read as unbiased=False, as in PyTorch."
#define DOC_std \
    "std($self, /, dim=None, unbiased=True, keepdim=False, *, correction=None)\n--\n\nThe " \
    "standard deviation over dim, dividing by N - correction (default 1; unbiased=False means " \
    "0).\nstd(False) is read as unbiased=False, as in PyTorch."
#define DOC_logsumexp \
    "logsumexp($self, /, dim, keepdim=False)\n--\n\nlog(sum(exp(self))) over dim (an int or a " \
    "tuple), computed stably."
#define DOC_softmax \
    "softmax($self, /, dim=None, dtype=None)\n--\n\nexp(x) / exp(x).sum(dim) along dim; dtype " \
    "casts self first."
#define DOC_log_softmax \
    "log_softmax($self, /, dim=None, dtype=None)\n--\n\nlog(softmax(x, dim)), computed " \
    "stably; dtype casts self first."
#define DOC_view \
    "view($self, /, *size)\n--\n\nA view with the given shape (view(2, 3) or view((2, 3)); one " \
    "size may be -1).\nShares self's memory; raises if the strides do not allow it."
#define DOC_reshape \
    "reshape($self, /, *shape)\n--\n\nself with the given shape (reshape(2, 3) or reshape((2, " \
    "3)); one size may be -1).\nA view when possible, else a copy."
#define DOC_expand \
    "expand($self, /, *size, implicit=False)\n--\n\nA view broadcast to size (expand(4, 3) or " \
    "expand((4, 3)); -1 keeps a size), no copy. implicit only marks the call for tracing."
#define DOC_permute \
    "permute($self, /, *dims)\n--\n\nA view with the dimensions reordered (permute(2, 0, 1) or " \
    "permute((2, 0, 1)))."
#define DOC_transpose \
    "transpose($self, /, dim0, dim1)\n--\n\nA view with dimensions dim0 and dim1 swapped."
#define DOC_t \
    "t($self, /)\n--\n\nThe transpose of a tensor of at most 2 dimensions (a view; 0-D and 1-D " \
    "are returned as is)."
#define DOC_squeeze \
    "squeeze($self, /, dim=None)\n--\n\nA view without the size-1 dimensions (only those in dim, " \
    "an int or a tuple, if given)."
#define DOC_unsqueeze \
    "unsqueeze($self, /, dim)\n--\n\nA view with a size-1 dimension inserted at dim."
#define DOC_transpose_ \
    "transpose_($self, /, dim0, dim1)\n--\n\nIn place: self becomes the view with dimensions " \
    "dim0 and dim1 swapped (shape and strides change; memory and values do not)."
#define DOC_t_ \
    "t_($self, /)\n--\n\nIn place: self becomes its transpose (at most 2 dimensions; a view)."
#define DOC_squeeze_ \
    "squeeze_($self, /, dim=None)\n--\n\nIn place: self loses its size-1 dimensions (only " \
    "those in dim, an int or a tuple, if given)."
#define DOC_unsqueeze_ \
    "unsqueeze_($self, /, dim)\n--\n\nIn place: self gains a size-1 dimension at dim."
#define DOC_as_strided \
    "as_strided($self, size, stride, storage_offset=None)\n--\n\nThe view of self's memory " \
    "with shape size and strides stride (in elements), its first element storage_offset " \
    "elements into the memory (default: self's own). Elements may repeat (stride 0, " \
    "overlapping windows); the gradient adds up over repeats. Differentiable for a contiguous " \
    "self and a view inside it."
#define DOC_as_strided_ \
    "as_strided_($self, size, stride, storage_offset=None)\n--\n\nIn place: self becomes " \
    "as_strided(size, stride, storage_offset)."
#define DOC_narrow \
    "narrow($self, /, dim, start, length)\n--\n\nA view of length elements from start along dim."
#define DOC__split_views \
    "_split_views($self, dim, sizes, kind, /)\n--\n\nThe views behind split (kind 0), split " \
    "with listed sizes (1) and unbind (2): one per size along dim, one autograd node."
#define DOC_select \
    "select($self, /, dim, index)\n--\n\nA view of the slice at index along dim (that dimension " \
    "removed)."
#define DOC_contiguous \
    "contiguous($self, /)\n--\n\nself if it is contiguous, else a contiguous copy " \
    "(Tensor.contiguous adds memory_format)."
#define DOC_clone \
    "clone($self, /)\n--\n\nA row-major copy with its own memory, recorded by autograd " \
    "(Tensor.clone adds memory_format)."
#define DOC_detach \
    "detach($self, /)\n--\n\nA view sharing self's memory that is out of the autograd graph " \
    "(requires_grad=False)."
#define DOC_detach_ \
    "detach_($self, /)\n--\n\nIn place: takes self out of the autograd graph (no grad_fn, " \
    "requires_grad=False); returns self."
#define DOC_requires_grad_ \
    "requires_grad_($self, /, requires_grad=True)\n--\n\nIn place: sets requires_grad (whether " \
    "autograd records ops on self); returns self."
#define DOC_is_contiguous \
    "is_contiguous($self, /)\n--\n\nTrue if the elements are laid out in row-major order " \
    "with no gaps (Tensor.is_contiguous adds memory_format)."
#define DOC_size \
    "size($self, /, dim=None)\n--\n\nThe shape as a pynet.Size (a tuple), or the size of " \
    "dimension dim."
#define DOC_stride \
    "stride($self, /, dim=None)\n--\n\nThe strides (in elements) as a tuple, or the stride of " \
    "dimension dim."
#define DOC_dim          "dim($self, /)\n--\n\nThe number of dimensions."
#define DOC_numel        "numel($self, /)\n--\n\nThe number of elements."
#define DOC_element_size "element_size($self, /)\n--\n\nThe size of one element in bytes."
#define DOC_data_ptr     "data_ptr($self, /)\n--\n\nThe address of the first element, as an int."
#define DOC_storage_offset \
    "storage_offset($self, /)\n--\n\nThe offset of the first element in the storage, in elements."
#define DOC_item \
    "item($self, /)\n--\n\nThe value of a one-element tensor as a Python number (bool, int or " \
    "float)."
#define DOC_matmul \
    "matmul($self, /, other)\n--\n\nThe matrix product self @ other (1-D: dot/vector, N-D: " \
    "batched, broadcasting batch dims)."
#define DOC_mm "mm($self, /, mat2)\n--\n\nThe matrix product of two 2-D tensors."
#define DOC_bmm \
    "bmm($self, /, mat2)\n--\n\nThe batched matrix product of two 3-D tensors (b, n, m) @ (b, m, " \
    "p)."
#define DOC_fill_ \
    "fill_($self, /, value)\n--\n\nIn place: sets every element to value (a number or a " \
    "one-element tensor); returns self."
#define DOC_zero_ "zero_($self, /)\n--\n\nIn place: sets every element to 0; returns self."
#define DOC_copy_ \
    "copy_($self, /, other, non_blocking=False)\n--\n\nIn place: copies other (broadcast, cast " \
    "to self's dtype) into self; returns self.\nnon_blocking has no effect on the CPU."
#define DOC_where \
    "where($self, /, condition, other)\n--\n\nElements of self where condition is true, else of " \
    "other (broadcasting)."
#define DOC__to_dtype \
    "_to_dtype($self, dtype, /)\n--\n\nA copy cast to dtype (self if it already has it); " \
    "Tensor.to's dtype step."

/* ---- Tensor properties (tensor_type.c) */
#define DOC_prop_shape "The size of each dimension, as a pynet.Size (a tuple)."
#define DOC_prop_dtype "The element type (pynet.float32, float64, int64 or bool)."
#define DOC_prop_ndim  "The number of dimensions (same as dim())."
#define DOC_prop_requires_grad \
    "True if autograd records operations on this tensor and backward() fills its grad."
#define DOC_prop_grad "The gradient accumulated by backward() (a tensor like self), or None."
#define DOC_prop_grad_fn \
    "The autograd node that made this tensor (e.g. MulBackward0), or None for a leaf."
#define DOC_prop_is_leaf \
    "True if the tensor was not made by a recorded op (it has no grad_fn); only leaves get .grad."
#define DOC_prop_data \
    "The tensor's values without autograd (a detached view); assigning replaces them."
#define DOC_prop_T                    "A view with all dimensions reversed."
#define DOC_prop_mT                   "A view with the last two dimensions swapped."
#define DOC_prop__base                "The tensor this one is a view of, or None."
#define DOC_prop__version             "The in-place modification counter."
#define DOC_prop_output_nr            "Which output of its grad_fn this tensor is."
#define DOC_prop_itemsize             "The size of one element in bytes (same as element_size())."
#define DOC_prop_retains_grad         "True if retain_grad() was called on this non-leaf tensor."
#define DOC_prop__backward_hooks_list "The tensor's registered backward hooks."
#define DOC_prop_is_cuda              "Always False: pynet tensors live on the CPU."
#define DOC_prop_is_sparse            "Always False: pynet tensors are dense."

/* ---- _C functions (creation.c, module.c, autograd.c, numpy_interop.c) */
#define DOC_fn_zeros \
    "zeros(*size, dtype=None, device=None, requires_grad=False)\n--\n\nA tensor of zeros of " \
    "shape size (zeros(2, 3), zeros((2, 3)) or zeros(size=(2, 3))); dtype defaults to float32."
#define DOC_fn_ones \
    "ones(*size, dtype=None, device=None, requires_grad=False)\n--\n\nA tensor of ones of shape " \
    "size (ones(2, 3), ones((2, 3)) or ones(size=(2, 3))); dtype defaults to float32."
#define DOC_fn_empty \
    "empty(*size, dtype=None, device=None, requires_grad=False)\n--\n\nAn uninitialized tensor " \
    "of shape size (empty(2, 3), empty((2, 3)) or empty(size=(2, 3))); dtype defaults to float32."
#define DOC_fn_full \
    "full(size, fill_value, /, *, dtype=None, device=None, requires_grad=False)\n--\n\nA tensor " \
    "of shape size filled with fill_value; dtype follows the value (bool, int64 or float32) " \
    "unless given."
#define DOC_fn_manual_seed \
    "manual_seed(seed, /)\n--\n\nSeeds the global random number generator (a seed in [-2**63, " \
    "2**64))."
#define DOC_fn_initial_seed \
    "initial_seed()\n--\n\nThe seed the global random number generator was last seeded with."
#define DOC_fn_get_rng_state \
    "get_rng_state()\n--\n\nThe global random number generator's state, as bytes."
#define DOC_fn_set_rng_state \
    "set_rng_state(new_state, /)\n--\n\nRestores the global random number generator's state from " \
    "get_rng_state()'s bytes."
#define DOC_fn_cat "cat(tensors, dim=0)\n--\n\nThe tensors joined along the existing dimension dim."
#define DOC_fn_stack \
    "stack(tensors, dim=0)\n--\n\nThe tensors (all the same shape) joined along a new dimension " \
    "dim."
#define DOC_fn_where \
    "where(condition, input=None, other=None, /)\n--\n\nElements of input where condition is " \
    "true, else of other (broadcasting); where(condition) alone is " \
    "condition.nonzero(as_tuple=True)."
#define DOC_fn_set_num_threads \
    "set_num_threads(int, /)\n--\n\nSets the number of threads the kernels may use."
#define DOC_fn_get_num_threads "get_num_threads()\n--\n\nThe number of threads the kernels may use."
#define DOC_fn_is_grad_enabled \
    "is_grad_enabled()\n--\n\nTrue when ops record autograd graphs (grad mode is on)."
#define DOC_fn_from_numpy \
    "from_numpy(ndarray, /)\n--\n\nA tensor sharing the NumPy array's memory (bool, int64, " \
    "float32 or float64)."
#define DOC_fn__set_grad_enabled \
    "_set_grad_enabled(mode, /)\n--\n\nSets grad mode; returns the previous one."

/* ---- ModuleBase, SequentialBase (nn_module.c), OptimizerBase (optimizer.c) */
#define DOC_module_forward \
    "forward($self, /, *input)\n--\n\nThe computation of the module; every subclass defines it " \
    "(the base raises NotImplementedError)."
#define DOC_sequential_forward \
    "forward($self, input, /)\n--\n\nApplies each sub-module in order, feeding each one's output " \
    "to the next; returns the last output."
#define DOC_optimizer_zero_grad \
    "zero_grad($self, /, set_to_none=True)\n--\n\nResets the gradients of all optimized tensors: " \
    "to None (set_to_none=True) or to zeros."

#endif
