/* elementwise.h - inner loops for elementwise math (see iter.h for how they are driven).
 *
 * Each op is a table of inner loops, one per dtype. The binding layer picks the
 * compute dtype (type promotion), makes sure every input has it, and asks for
 * the loop. NULL means "this op is not defined for this dtype".
 */
#ifndef PN_ELEMENTWISE_H
#define PN_ELEMENTWISE_H
#include "iter.h"

typedef enum {
    PN_ADD,
    PN_SUB,
    PN_MUL,
    PN_DIV,
    PN_FLOORDIV,
    PN_REM,
    PN_POW,
    PN_MAXIMUM,
    PN_MINIMUM,
    PN_ATAN2,    /* atan2(a, b): the angle of the point (b, a), float only */
    PN_FMOD,     /* a - trunc(a / b) b, exactly (C's fmod; % for integers) */
    PN_HYPOT,    /* sqrt(a^2 + b^2) without overflow or underflow, float only */
    PN_TRUNCDIV, /* a / b rounded toward zero (div(rounding_mode='trunc')) */
    /* comparisons: output is bool */
    PN_EQ,
    PN_NE,
    PN_LT,
    PN_LE,
    PN_GT,
    PN_GE,
    /* bitwise (logical on bool) */
    PN_AND,
    PN_OR,
    PN_XOR,
    /* fused backward helpers: (g, x) -> dx */
    PN_RELU_BACKWARD,    /* x <= 0 ? 0 : g (x the relu input or output; nan passes g, as PyTorch) */
    PN_SIGMOID_BACKWARD, /* g * y * (1 - y)         (y = sigmoid(x))               */
    PN_TANH_BACKWARD,    /* g * (1 - y * y)         (y = tanh(x))                  */
    PN_NBINARY
} pn_binary_op;

typedef enum {
    PN_NEG,
    PN_ABS,
    PN_EXP,
    PN_LOG,
    PN_SQRT,
    PN_SIGMOID,
    PN_TANH,
    PN_RELU,
    PN_SIGN,
    PN_NOT,
    PN_RECIPROCAL,
    PN_SQUARE,
    PN_SIN,
    PN_COS,
    PN_LOG1P,
    PN_EXPM1,
    PN_FLOOR,
    PN_CEIL,
    PN_ROUND,
    PN_TRUNC,
    PN_LOG2,
    PN_LOG10,
    PN_ERF,
    PN_ERFC,
    PN_TAN,
    PN_ATAN,
    PN_RSQRT,
    /* computed in double by libm (or special.h) and rounded once for float32 */
    PN_ASIN,
    PN_ACOS,
    PN_SINH,
    PN_COSH,
    PN_ASINH,
    PN_ACOSH,
    PN_ATANH,
    PN_EXP2,
    PN_LGAMMA,
    PN_DIGAMMA,
    PN_ERFINV,
    PN_NUNARY
} pn_unary_op;

/* Operands: ptrs = {out, a, b}. Output dtype is dt, or bool for comparisons.
 * aux is NULL but for PN_POW with b a Python number (any non-NULL pointer):
 * then exponents 2, 3, 0.5, -0.5, -1, -2, 1, 0 take PyTorch's shortcuts
 * (x * x, sqrt(x), ...), which an exponent tensor does not. */
pn_loop_fn pn_binary_loop(pn_binary_op op, pn_dtype dt);
int pn_binary_is_comparison(pn_binary_op op);

/* Operands: ptrs = {out, a}; both of dtype dt. */
pn_loop_fn pn_unary_loop(pn_unary_op op, pn_dtype dt);

/* The float32 ops with kernels of their own over n contiguous floats, by name:
 * "avx512", "avx2" (NULL where the CPU lacks the instructions or the op has no
 * such kernel) and "portable" (the C loop); NULL for other ops. An op's kernels
 * give the same bits; pn_unary_loop picks the fastest for contiguous operands.
 * For the C tests, which run each one the CPU has.
 *   PN_EXP:   pn_expf_tab (fastmath.h) on x86, pn_expf elsewhere;
 *   PN_LOG, PN_LOG2, PN_LOG10, PN_LOG1P: pn_logf_tab, pn_log2f_tab, pn_log10f_tab,
 *             pn_log1pf_tab on x86; pn_logf, pn_log2f, pn_log10f, pn_log1pf elsewhere;
 *   PN_TANH:  pn_tanhf_poly on x86, pn_tanhf_exact elsewhere;
 *   PN_SIGMOID: pn_sigmoidf_tab on x86, pn_sigmoidf elsewhere;
 *   PN_ERF:   pn_erff_tab on x86, pn_erff elsewhere;
 *   PN_ATAN:  pn_atanf_poly on x86, pn_atanf_v (vecmath.h) elsewhere;
 *   PN_ERFC:  pn_erfcf_tab on x86, pn_erfcf_v (vecmath.h) elsewhere;
 *   PN_SQRT:  sqrtf (the AVX-512 kernel without the divider, no AVX2 one);
 *   PN_RSQRT: pn_rsqrtf (the same: the AVX-512 kernel divides only for x below
 *             2^-100, +inf and NaN; no AVX2 one).
 * The tables are looked up with permutes in the x86 kernels; a loop the compiler
 * vectorizes turns them into gathers, and ARM's NEON has none, so there the
 * functions that vectorize plainly stay (PN_F32_TABLES). */
#if defined(__x86_64__) && defined(__GNUC__)
#define PN_F32_TABLES 1
#else
#define PN_F32_TABLES 0
#endif
typedef void (*pn_f32_kernel_fn)(const float *x, float *y, int64_t n);
pn_f32_kernel_fn pn_unary_f32_kernel(pn_unary_op op, const char *name);
/* The float64 ops with kernels of their own over n contiguous doubles, the same way:
 * PN_EXP, PN_SIGMOID, PN_LOG, PN_LOG2, PN_LOG10, PN_LOG1P, PN_EXPM1, PN_TANH, PN_SIN,
 * PN_COS, PN_TAN, PN_ATAN, PN_ERF and PN_ERFC (fastmath.h's pn_*_f64_tab): "avx512", "avx2" and
 * "portable" (the C loop); NULL for other ops and names. */
typedef void (*pn_f64_kernel_fn)(const double *x, double *y, int64_t n);
pn_f64_kernel_fn pn_unary_f64_kernel(pn_unary_op op, const char *name);
/* The float32 atan2 op's kernels the same way, as (y, x, out, n): pn_atan2f_poly
 * (fastmath.h) on x86 ("avx512", "avx2", "portable"), pn_atan2f_v elsewhere. */
typedef void (*pn_f32_kernel2_fn)(const float *y, const float *x, float *out, int64_t n);
pn_f32_kernel2_fn pn_atan2_f32_kernel(const char *name);
/* The float64 atan2 op's kernels the same way: pn_atan2_f64_tab (fastmath.h). */
typedef void (*pn_f64_kernel2_fn)(const double *y, const double *x, double *out, int64_t n);
pn_f64_kernel2_fn pn_atan2_f64_kernel(const char *name);
/* The float64 pow op's kernels the same way, as (x, y, out, n) over pairs with x in (0,
 * inf) and y finite (the op's common case; it checks): pn_pow_f64_tab (fastmath.h). */
pn_f64_kernel2_fn pn_pow_plain_f64_kernel(const char *name);
/* The float64 sqrt AVX-512 kernel's last stage, Tuckerman's test, as (x, s, out, n): from
 * x (2^-900 <= x < inf) and a candidate root s within an ulp of sqrt(x), the correctly
 * rounded root; for csrc/tests/test_vecmath.c, which hands it the roots' neighbours. NULL
 * where the CPU has no AVX-512. */
pn_f64_kernel2_fn pn_sqrt_f64_settle_kernel(void);

/* y = exp(x) over n contiguous floats (y may be x) by the fastest of those
 * kernels: for other kernels' rows (attention's softmax). */
void pn_exp_f32_contig(const float *x, float *y, int64_t n);
/* y = exp(x) over n contiguous doubles (y may be x) by the fastest float64 exp kernel
 * (pn_exp_f64_tab's bits): for the float64 softmax rows. */
void pn_exp_f64_contig(const double *x, double *y, int64_t n);

/* The softmax of a contiguous row of scores in place, for attention's rows (no mask,
 * no dropout): with m = max(sc s) (a NaN score passed over; the products rounded to
 * float), s[j] = e_j / sum, e_j = exp(sc s_j - m) (by pn_expf_tab on x86, pn_expf
 * elsewhere: the difference rounded to float), the sum over 16 float partial sums
 * (element j in lane j mod 16) added in double in a fixed order, the division a product
 * with the float 1 / sum. Returns the log-sum-exp m + log(sum); a row of all -inf
 * gives zeros and -inf. Every kernel gives the same bits (pn_softmax_row_f32_kernel:
 * by name). */
typedef double (*pn_softmax_row_f32_fn)(float *s, int64_t n, float sc);
pn_softmax_row_f32_fn pn_softmax_row_f32_kernel(const char *name);
double pn_softmax_row_f32(float *s, int64_t n, float sc);
/* pn_softmax_row_f32 on each of `rows` rows: row i at s + i ld, its first len[i]
 * values (the rest untouched), lse[i] its log-sum-exp. The same bits as row by row;
 * on AVX-512, rows of up to 64 keys go four at a time (a row alone is a chain of
 * latency, which the four rows' chains overlap). */
void pn_softmax_rows_f32(float *s, int64_t ld, int64_t rows, const int64_t *len, float sc,
                         double *lse);

/* The softmax's backward of an attention row from its log-sum-exp l (no mask, no
 * dropout): p in, the raw scores, out P = exp(sc p - l) (the product and the
 * difference rounded to float; exp as pn_softmax_row_f32's); dp in, dO V^T's row,
 * out dS = (sc P) (dp - d), d the row's sum of dO * O. Every kernel gives the same
 * bits (pn_softmax_dscore_row_f32_kernel: by name). */
typedef void (*pn_softmax_dscore_row_f32_fn)(float *p, float *dp, int64_t n, float sc, float l,
                                             float d);
pn_softmax_dscore_row_f32_fn pn_softmax_dscore_row_f32_kernel(const char *name);
void pn_softmax_dscore_row_f32(float *p, float *dp, int64_t n, float sc, float l, float d);

/* o = a ** b over n contiguous float pairs with every a in (0, inf) and b finite
 * (the pow op's common case; the op checks): fastmath.h's pn_powf_tab on x86, each
 * kernel the same bits (pn_pow_plain_f32_kernel: by name). */
typedef void (*pn_pow_plain_f32_fn)(float *o, const float *a, const float *b, int64_t n);
pn_pow_plain_f32_fn pn_pow_plain_f32_kernel(const char *name);

/* softplus with beta 1 over n contiguous floats: y = x where x >= xt (PyTorch's
 * threshold, xt the least float above it; NaN for none), else log(1 + exp(x)) by
 * pn_softplusf_tab (fastmath.h) on x86, pn_softplusf elsewhere; with neg,
 * logsigmoid: y = -softplus(-x) (and no threshold: xt NaN), +0 for a zero.
 * pn_softplus_f32 runs the fastest kernel; pn_softplus_f32_kernel gives each by
 * name ("avx512", "avx2": NULL where the CPU lacks them; "portable") for the C
 * tests, which check that they give the same bits. */
typedef void (*pn_softplus_f32_fn)(const float *x, float *y, int64_t n, float xt, int neg);
pn_softplus_f32_fn pn_softplus_f32_kernel(const char *name);
void pn_softplus_f32(const float *x, float *y, int64_t n, float xt, int neg);

/* SiLU x sigmoid(x) over n contiguous floats, for nn.c's float32 forward:
 * fastmath.h's pn_siluf_tab on x86 (within 1.49 ulp), pn_siluf elsewhere (1.7),
 * where pn_silu_holds(x); returns 0 if some element is outside, and the caller
 * recomputes those. pn_silu_f32_kernel gives each kernel by name ("avx512",
 * "avx2", "portable"; NULL where this CPU has none), for the tests. */
typedef int (*pn_silu_f32_fn)(const float *x, float *y, int64_t n);
pn_silu_f32_fn pn_silu_f32_kernel(const char *name);
int pn_silu_f32(const float *x, float *y, int64_t n);

/* SiLU's gradient dx = g silu'(x) over n contiguous floats, for nn.c's float32
 * backward: fastmath.h's pn_silu_gradf_tab on x86, pn_silu_gradf elsewhere, where
 * pn_silu_grad_holds(x); returns 0 if some element is outside (the caller
 * recomputes those). pn_silu_grad_f32_kernel gives each kernel by name. */
typedef int (*pn_silu_grad_f32_fn)(const float *g, const float *x, float *dx, int64_t n);
pn_silu_grad_f32_fn pn_silu_grad_f32_kernel(const char *name);
int pn_silu_grad_f32(const float *g, const float *x, float *dx, int64_t n);

/* The gradients of softplus (beta 1, threshold xt: dx = g where x >= xt) and, with
 * neg, of logsigmoid (xt NaN) over n contiguous floats, for nn.c's float32 backward:
 * g sigmoid(v), v = x or -x, by fastmath.h's pn_g_sigmoidf_tab on x86 and
 * pn_g_sigmoidf elsewhere, where pn_g_sigmoid_holds(g, v); returns 0 if some element
 * is outside (the caller recomputes those). pn_softplus_grad_f32_kernel gives each
 * kernel by name. */
typedef int (*pn_softplus_grad_f32_fn)(const float *g, const float *x, float *dx, int64_t n,
                                       float xt, int neg);
pn_softplus_grad_f32_fn pn_softplus_grad_f32_kernel(const char *name);
int pn_softplus_grad_f32(const float *g, const float *x, float *dx, int64_t n, float xt, int neg);

/* GELU x Phi(x) over n contiguous floats, for nn.c's float32 forward: fastmath.h's
 * pn_gelu_tab on x86 where |x| < 4 (within 2.1 ulp), pn_phif's GELU elsewhere (6.2).
 * pn_gelu_f32_kernel gives each kernel by name, as pn_silu_f32_kernel. */
pn_f32_kernel_fn pn_gelu_f32_kernel(const char *name);
void pn_gelu_f32(const float *x, float *y, int64_t n);

/* GELU's gradient dx = g (Phi(x) + x phi(x)) over n contiguous floats, for nn.c's
 * float32 backward: fastmath.h's pn_gelu_grad_tab on x86 where |x| < 4,
 * pn_gelu_gradf elsewhere. pn_gelu_grad_f32_kernel gives each kernel by name. */
typedef void (*pn_gelu_grad_f32_fn)(const float *g, const float *x, float *dx, int64_t n);
pn_gelu_grad_f32_fn pn_gelu_grad_f32_kernel(const char *name);
void pn_gelu_grad_f32(const float *g, const float *x, float *dx, int64_t n);
/* The float64 GELU y = x Phi(x) and its backward dx = g (Phi + x phi) over n contiguous
 * doubles: fastmath.h's pn_gelu_f64_tab and pn_gelu_grad_f64_tab ("avx512", "avx2",
 * "portable": the same bits); the kernels by name as pn_unary_f64_kernel. */
pn_f64_kernel_fn pn_gelu_f64_kernel(const char *name);
void pn_gelu_f64(const double *x, double *y, int64_t n);
typedef void (*pn_gelu_grad_f64_fn)(const double *g, const double *x, double *dx, int64_t n);
pn_gelu_grad_f64_fn pn_gelu_grad_f64_kernel(const char *name);
void pn_gelu_grad_f64(const double *g, const double *x, double *dx, int64_t n);
/* The float64 SiLU y = x sigmoid(x) and its backward dx = g s (1 + x (1 - s)) over n
 * contiguous doubles: fastmath.h's pn_silu_f64_tab and pn_silu_grad_f64_tab (the same bits
 * in every kernel); the kernels by name as pn_unary_f64_kernel. */
pn_f64_kernel_fn pn_silu_f64_kernel(const char *name);
void pn_silu_f64(const double *x, double *y, int64_t n);
pn_gelu_grad_f64_fn pn_silu_grad_f64_kernel(const char *name);
void pn_silu_grad_f64(const double *g, const double *x, double *dx, int64_t n);

/* atan2(a, b)'s gradients over n contiguous elements, in PyTorch's order of
 * operations (the composed ops' bits, but for the sign of a NaN, which depends on
 * the operand order the compiler gives each product): r = 1 / (a a + b b), 0
 * where that sum is 0, da = (g b) r, db = (g (-a)) r. da or db may be NULL (not
 * wanted). */
void pn_atan2_backward_f32(const float *g, const float *a, const float *b, float *da, float *db,
                           int64_t n);
void pn_atan2_backward_f64(const double *g, const double *a, const double *b, double *da,
                           double *db, int64_t n);

/* clamp(x, lo, hi): aux points to a pn_clamp_args. Operands {out, a}, dtype dt. */
typedef struct {
    double lo, hi;
    int has_lo, has_hi;
} pn_clamp_args;
pn_loop_fn pn_clamp_loop(pn_dtype dt);

/* where(cond, a, b): operands {out, cond(bool), a, b}, out/a/b of dtype dt. */
pn_loop_fn pn_where_loop(pn_dtype dt);

/* Copy with conversion: operands {out (to), a (from)}. */
pn_loop_fn pn_cast_loop(pn_dtype to, pn_dtype from);

/* Fill: operands {out}; aux points to one value of dtype dt. */
pn_loop_fn pn_fill_loop(pn_dtype dt);

#endif
