/* elementwise.c - the inner loops behind + - * / and friends.
 *
 * Each loop is written once as an expression on scalars x (and y) and expanded
 * per dtype by a macro, one line per function, which names it. The macro has
 * two fast paths that compilers vectorize (all operands contiguous; second
 * operand a broadcast scalar) and a general strided path. Integer add/sub/mul
 * wrap around like PyTorch's (done in unsigned arithmetic, because signed
 * overflow is undefined behaviour in C).
 */
#include "elementwise.h"
#include "fastmath.h"
#include "special.h"
#include "vecmath.h"
#include <math.h>
#include <string.h>
#if PN_F32_TABLES
#include <immintrin.h>
#define X86_KERNELS 1 /* the AVX-512 and AVX2 kernels of exp, the logs, sqrt, tanh below */
#else
#define X86_KERNELS 0
#endif

typedef uint8_t pn_bool; /* bool tensors store one byte, 0 or 1, like NumPy */

/* ---------------------------------------------------------------- binary ---- */

/* o = EXPR(x, y) over n elements, s the byte strides of o, a, b. Three cases get
 * loops that vectorize: all contiguous, a scalar b, and a scalar a (the gradient
 * of a sum() reaches an activation's backward expanded from one value; strided,
 * relu's backward branched on every element: 6 ns each, 11x PyTorch's time). */
#define BINARY_LOOP(NAME, T, TO, EXPR) BINARY_LOOP_PF(NAME, T, TO, EXPR, 0)
/* The same, for an expensive EXPR: the contiguous loop over long arrays runs in
 * blocks, each prefetching a and b PN_PREFETCH_DISTANCE ahead (common.h; for a cheap
 * EXPR the hardware keeps up, and the prefetches cost 2-5% of a + b). */
#define BINARY_LOOP_PREFETCHED(NAME, T, TO, EXPR) BINARY_LOOP_PF(NAME, T, TO, EXPR, 1)
#define BINARY_LOOP_PF(NAME, T, TO, EXPR, PF) \
    PN_SIMD_CLONES static void NAME(char **p, const int64_t *s, int64_t n, const void *aux) { \
        (void)aux; \
        char *o = p[0], *a = p[1], *b = p[2]; \
        if (s[0] == sizeof(TO) && s[1] == sizeof(T) && s[2] == sizeof(T)) { \
            TO *O = (TO *)o; \
            const T *A = (const T *)a, *B = (const T *)b; \
            int64_t blk = PF ? pn_prefetch_blocksize(n) : n; \
            for (int64_t k = 0; k < n; k += blk) { \
                int64_t e = n - k < blk ? n : k + blk; \
                if (blk < n) { \
                    pn_prefetch_block(A, e, n, sizeof(T)); \
                    pn_prefetch_block(B, e, n, sizeof(T)); \
                } \
                for (int64_t i = k; i < e; i++) { \
                    T x = A[i], y = B[i]; \
                    O[i] = (TO)(EXPR); \
                } \
            } \
        } else if (s[0] == sizeof(TO) && s[1] == sizeof(T) && s[2] == 0) { \
            TO *O = (TO *)o; \
            const T *A = (const T *)a; \
            const T y = *(const T *)b; \
            for (int64_t i = 0; i < n; i++) { \
                T x = A[i]; \
                O[i] = (TO)(EXPR); \
            } \
        } else if (s[0] == sizeof(TO) && s[1] == 0 && s[2] == sizeof(T)) { \
            TO *O = (TO *)o; \
            const T x = *(const T *)a; \
            const T *B = (const T *)b; \
            for (int64_t i = 0; i < n; i++) { \
                T y = B[i]; \
                O[i] = (TO)(EXPR); \
            } \
        } else { \
            for (int64_t i = 0; i < n; i++) { \
                T x = *(const T *)(a + i * s[1]), y = *(const T *)(b + i * s[2]); \
                *(TO *)(o + i * s[0]) = (TO)(EXPR); \
            } \
        } \
    }

/* Python semantics: floor division and a remainder with the divisor's sign.
 * Float floor division rounds the exact quotient (a - fmod(a, b)) / b, so that
 * a == b * (a // b) + a % b holds as closely as floats allow, as in Python. */
static inline double py_floordiv(double a, double b) {
    if (b == 0) return a / b; /* inf or nan, like true division */
    double mod = fmod(a, b), div = (a - mod) / b;
    if (mod != 0 && ((b < 0) != (mod < 0))) div -= 1.0;
    if (div == 0) return copysign(0.0, a / b);
    double fl = floor(div);
    return div - fl > 0.5 ? fl + 1.0 : fl;
}
static inline float py_floordivf(float a, float b) {
    if (b == 0) return a / b;
    float mod = fmodf(a, b), div = (a - mod) / b;
    if (mod != 0 && ((b < 0) != (mod < 0))) div -= 1.0f;
    if (div == 0) return copysignf(0.0f, a / b);
    float fl = floorf(div);
    return div - fl > 0.5f ? fl + 1.0f : fl;
}
static inline double py_fmod(double x, double y) {
    double r = fmod(x, y);
    if (r != 0 && ((r < 0) != (y < 0))) r += y;
    return r;
}
static inline float py_fmodf(float x, float y) {
    float r = fmodf(x, y);
    if (r != 0 && ((r < 0) != (y < 0))) r += y;
    return r;
}
/* Integer division by zero is rejected by the caller before the loop runs. */
static inline int64_t py_idiv(int64_t x, int64_t y) {
    if (y == -1) return (int64_t)(0u - (uint64_t)x); /* INT64_MIN / -1 wraps */
    int64_t q = x / y;
    if ((x % y != 0) && ((x < 0) != (y < 0))) q--;
    return q;
}
static inline int64_t py_imod(int64_t x, int64_t y) {
    if (y == -1) return 0;
    int64_t r = x % y;
    if (r != 0 && ((r < 0) != (y < 0))) r += y;
    return r;
}
/* C's truncated quotient; the caller rejects y = 0, and INT64_MIN / -1 would trap
 * (it wraps around to INT64_MIN, as PyTorch's). */
static inline int64_t c_idiv(int64_t x, int64_t y) {
    return y == -1 ? (int64_t)(0u - (uint64_t)x) : x / y;
}
/* C's truncated remainder (fmod's, for integers); the caller rejects y = 0, and
 * INT64_MIN % -1 would trap. */
static inline int64_t c_imod(int64_t x, int64_t y) {
    return y == -1 ? 0 : x % y;
}
/* Integer power by squaring. */
static inline int64_t ipow(int64_t x, int64_t y) {
    if (y < 0) /* a tensor exponent (a number one is refused): 1 / x^|y| truncated, as torch */
        return x == 1 ? 1 : x == -1 ? ((y & 1) ? -1 : 1) : 0;
    uint64_t r = 1, b = (uint64_t)x;
    while (y > 0) {
        if (y & 1) r *= b;
        b *= b;
        y >>= 1;
    }
    return (int64_t)r;
}
/* maximum/minimum propagate NaN, as torch.maximum does. */
#define FMAX(x, y) ((x) != (x) ? (x) : ((y) != (y) ? (y) : ((x) > (y) ? (x) : (y))))
#define FMIN(x, y) ((x) != (x) ? (x) : ((y) != (y) ? (y) : ((x) < (y) ? (x) : (y))))
#define UADD(x, y) ((int64_t)((uint64_t)(x) + (uint64_t)(y)))
#define USUB(x, y) ((int64_t)((uint64_t)(x) - (uint64_t)(y)))
#define UMUL(x, y) ((int64_t)((uint64_t)(x) * (uint64_t)(y)))

/* x ** y. With a Python number for the exponent (aux non-NULL, see
 * pn_binary_loop), the common ones take PyTorch's shortcuts in every layout,
 * which vectorise and give PyTorch's results:
 *   2 -> x*x,  3 -> x*x*x,  0.5 -> sqrt(x),  -0.5 -> 1/sqrt(x),  -1 -> 1/x,
 *   -2 -> 1/(x*x),  1 -> x,  0 -> 1
 * (so (-0.) ** 0.5 is -0. and (-inf) ** 0.5 is NaN, as in PyTorch). An exponent
 * tensor, even of one element broadcast, is pow for every element, as in
 * PyTorch ((-inf) ** tensor(0.5) is inf): float32 as exp(y log x) in double
 * (POWF_ANY, below; contiguous runs by RUN_ANY/RUN_CONST, which vectorize),
 * float64 as exp(y log x) with both as pairs (POWD_ANY, the same way). */
#define POW_SHORTCUT(x, y, SQRT, POW) \
    ((y) == 2      ? (x) * (x) \
     : (y) == 3    ? (x) * (x) * (x) \
     : (y) == 0.5  ? SQRT(x) \
     : (y) == -0.5 ? 1 / SQRT(x) \
     : (y) == -1   ? 1 / (x) \
     : (y) == -2   ? 1 / ((x) * (x)) \
     : (y) == 1    ? (x) \
     : (y) == 0    ? 1 \
                   : POW(x, y))
#define DEFINE_POW(NAME, T, POW, SQRT, SQRT_RUN, RUN_ANY, RUN_CONST) \
    BINARY_LOOP(NAME##_strided, T, T, POW(x, y)) /* any layout, one at a time */ \
    BINARY_LOOP(NAME##_number, T, T, (T)POW_SHORTCUT(x, y, SQRT, POW)) /* y a number */ \
    static void NAME##_any(char **p, const int64_t *s, int64_t n, const void *aux) { \
        if (s[0] == sizeof(T) && s[1] == sizeof(T) && s[2] == sizeof(T) && \
            RUN_ANY((T *)p[0], (const T *)p[1], (const T *)p[2], n)) \
            return; \
        NAME##_strided(p, s, n, aux); \
    } \
    PN_SIMD_CLONES static int NAME##_const(T *o, const T *a, int64_t n, T y) { \
        if (y == 2) \
            for (int64_t i = 0; i < n; i++) o[i] = a[i] * a[i]; \
        else if (y == 3) \
            for (int64_t i = 0; i < n; i++) o[i] = a[i] * a[i] * a[i]; \
        else if (y == (T)0.5) \
            SQRT_RUN(a, o, n); \
        else if (y == (T) - 0.5) \
            for (int64_t i = 0; i < n; i++) o[i] = (T)1 / SQRT(a[i]); \
        else if (y == -1) \
            for (int64_t i = 0; i < n; i++) o[i] = (T)1 / a[i]; \
        else if (y == -2) \
            for (int64_t i = 0; i < n; i++) o[i] = (T)1 / (a[i] * a[i]); \
        else if (y == 1) \
            for (int64_t i = 0; i < n; i++) o[i] = a[i]; \
        else if (y == 0) \
            for (int64_t i = 0; i < n; i++) o[i] = (T)1; \
        else \
            return RUN_CONST(o, a, &y, n); \
        return 1; \
    } \
    static void NAME(char **p, const int64_t *s, int64_t n, const void *aux) { \
        int flat = s[0] == sizeof(T) && s[1] == sizeof(T) && s[2] == 0; \
        T y = s[2] == 0 ? *(const T *)p[2] : 0; \
        if (aux && s[2] == 0) { /* a Python number: the shortcuts */ \
            if (!(flat && NAME##_const((T *)p[0], (const T *)p[1], n, y))) \
                NAME##_number(p, s, n, aux); \
        } else if (!(flat && RUN_CONST((T *)p[0], (const T *)p[1], &y, n))) { \
            NAME##_any(p, s, n, aux); \
        } \
    }
/* float32 x ** y as exp(y log x) in double, for x in (0, inf) and finite y
 * (pn_pow_plain); zeros and negative bases (with finite y) as |x| ** y finished by
 * pn_pow_signed (C's signs, zeros and NaN); infinities and NaN by libm's powf, whose
 * special cases PyTorch's match. log x is within 3.3e-16
 * relative (pn_log_d), so y log x is within |y log x| 4e-16 <= 5e-14 absolute
 * wherever the result is a float other than 0 or inf (|y log x| < 104), which
 * is exp's relative error; pn_exp_d adds below 1e-11. So the float result is
 * the correctly rounded one but within 2e-4 ulp of a halfway case (glibc's
 * powf: within 0.82 ulp). Beyond the float range pn_exp_d gives inf or 0.
 * pn_pow_plain (fastmath.h) says which pairs these are. */
PN_FINLINE float pn_powf_v(float x, float y) {
    return (float)pn_exp_d((double)y * pn_log_d((double)x));
}
/* The plain pairs' pow: fastmath.h's pn_powf_tab on x86 (elementwise.c's kernels,
 * the same bits), pn_powf_v elsewhere. */
#define POWF_PLAIN(x, y) (PN_F32_TABLES ? pn_powf_tab(x, y) : pn_powf_v(x, y))
#define POWF_ANY(x, y) \
    (pn_pow_finite(x, y) ? pn_pow_signed(POWF_PLAIN(fabsf(x), y), x, y) : powf(x, y))
/* float64 x ** y: fastmath.h's pn_pow_f64_tab for x in (0, inf) and finite y, the same way
 * (pn_pow_signed_d; libm's pow for infinities and NaN). */
#define POWD_ANY(x, y) \
    (pn_pow_finite_d(x, y) ? pn_pow_signed_d(pn_pow_f64_tab(fabs(x), y), x, y) : pow(x, y))
static void pow_plain_f32(float *o, const float *a, const float *b, int64_t n);
static void pow_plain_f64(double *o, const double *a, const double *b, int64_t n);
/* o[i] = a[i] ** b[i] over contiguous runs, a block at a time: a block of plain
 * pairs only (the common case) by the plain kernel; a block of finite pairs by the
 * kernel on |a| and the signed finish (a loop that vectorizes): the bits of
 * POWF_ANY (POWD_ANY), at about the plain kernel's speed where negative bases or zeros
 * used to take powf one by one (6x PyTorch's time); any other block element by
 * element. Returns 1 (done). One exponent *y for all (the _const runs): the same loop
 * over a block of copies of it (with the exponent loop-invariant, GCC 12 leaves the
 * loop scalar). */
#define POW_BLOCK 256
#define DEFINE_POW_RUN(SUF, T, PLAIN, FINITE, SIGNED, ANY, ABS) \
    PN_SIMD_CLONES static int pow_run_##SUF(T *o, const T *a, const T *b, int64_t n) { \
        T abs_a[POW_BLOCK]; \
        for (int64_t i0 = 0; i0 < n; i0 += POW_BLOCK) { \
            int64_t m = n - i0 < POW_BLOCK ? n - i0 : POW_BLOCK; \
            const T *A = a + i0, *B = b + i0; \
            T *O = o + i0; \
            int odd = 0, inf = 0; \
            for (int64_t i = 0; i < m; i++) { \
                odd |= !PLAIN(A[i], B[i]); \
                inf |= !FINITE(A[i], B[i]); \
            } \
            if (!odd) { \
                pow_plain_##SUF(O, A, B, m); \
            } else if (!inf) { /* |a| ** b into abs_a itself: O may be A or B (in place) */ \
                for (int64_t i = 0; i < m; i++) abs_a[i] = ABS(A[i]); \
                pow_plain_##SUF(abs_a, abs_a, B, m); \
                for (int64_t i = 0; i < m; i++) O[i] = SIGNED(abs_a[i], A[i], B[i]); \
            } else { \
                for (int64_t i = 0; i < m; i++) O[i] = ANY(A[i], B[i]); \
            } \
        } \
        return 1; \
    } \
    static int pow_run_const_##SUF(T *o, const T *a, const T *y, int64_t n) { \
        T yb[POW_BLOCK]; \
        for (int k = 0; k < POW_BLOCK; k++) yb[k] = *y; \
        for (int64_t i0 = 0; i0 < n; i0 += POW_BLOCK) \
            pow_run_##SUF(o + i0, a + i0, yb, n - i0 < POW_BLOCK ? n - i0 : POW_BLOCK); \
        return 1; \
    }
DEFINE_POW_RUN(f32, float, pn_pow_plain, pn_pow_finite, pn_pow_signed, POWF_ANY, fabsf)
DEFINE_POW_RUN(f64, double, pn_pow_plain_d, pn_pow_finite_d, pn_pow_signed_d, POWD_ANY, fabs)
/* x ** 0.5 over contiguous runs: as the sqrt op (its AVX-512 kernels where the CPU has
 * them; correctly rounded either way, so sqrtf's and sqrt's bits) */
static void sqrt_f32_contig(const float *x, float *y, int64_t n);
static void sqrt_f64_contig(const double *x, double *y, int64_t n);
DEFINE_POW(pow_f32, float, POWF_ANY, sqrtf, sqrt_f32_contig, pow_run_f32, pow_run_const_f32)
DEFINE_POW(pow_f64, double, POWD_ANY, sqrt, sqrt_f64_contig, pow_run_f64, pow_run_const_f64)

/* float32 and float64 share every formula; only the libm names differ. */
BINARY_LOOP(add_f32, float, float, x + y)
BINARY_LOOP(sub_f32, float, float, x - y)
BINARY_LOOP(mul_f32, float, float, x *y)
BINARY_LOOP(div_f32, float, float, x / y)
BINARY_LOOP(floordiv_f32, float, float, py_floordivf(x, y))
BINARY_LOOP(rem_f32, float, float, py_fmodf(x, y))
BINARY_LOOP(max_f32, float, float, FMAX(x, y))
BINARY_LOOP(min_f32, float, float, FMIN(x, y))
/* The float32 atan2 op on x86: pn_atan2f_poly, the kernels below by atan's table;
 * elsewhere the double-based pn_atan2f_v. */
BINARY_LOOP_PREFETCHED(atan2_f32_loop, float, float,
                       PN_F32_TABLES ? pn_atan2f_poly(x, y) : pn_atan2f_v(x, y))
static void atan2_f32(char **p, const int64_t *s, int64_t n, const void *aux);
BINARY_LOOP(fmod_f32, float, float, fmodf(x, y)) /* exact */
BINARY_LOOP(truncdiv_f32, float, float, truncf(x / y))
BINARY_LOOP(hypot_f32, float, float, (float)hypot((double)x, (double)y))
BINARY_LOOP(eq_f32, float, pn_bool, x == y)
BINARY_LOOP(ne_f32, float, pn_bool, x != y)
BINARY_LOOP(lt_f32, float, pn_bool, x < y)
BINARY_LOOP(le_f32, float, pn_bool, x <= y)
BINARY_LOOP(gt_f32, float, pn_bool, x > y)
BINARY_LOOP(ge_f32, float, pn_bool, x >= y)
BINARY_LOOP(relu_backward_f32, float, float, y <= 0 ? (float)0 : x)
BINARY_LOOP(sigmoid_backward_f32, float, float, x * y * ((float)1 - y))
BINARY_LOOP(tanh_backward_f32, float, float, x *((float)1 - y * y))

BINARY_LOOP(add_f64, double, double, x + y)
BINARY_LOOP(sub_f64, double, double, x - y)
BINARY_LOOP(mul_f64, double, double, x *y)
BINARY_LOOP(div_f64, double, double, x / y)
BINARY_LOOP(floordiv_f64, double, double, py_floordiv(x, y))
BINARY_LOOP(rem_f64, double, double, py_fmod(x, y))
BINARY_LOOP(max_f64, double, double, FMAX(x, y))
BINARY_LOOP(min_f64, double, double, FMIN(x, y))
/* The float64 atan2 op: pn_atan2_f64_tab, by the kernels below for contiguous operands. */
BINARY_LOOP_PREFETCHED(atan2_f64_loop, double, double, pn_atan2_f64_tab(x, y))
static void atan2_f64(char **p, const int64_t *s, int64_t n, const void *aux);
BINARY_LOOP(fmod_f64, double, double, fmod(x, y))
BINARY_LOOP(truncdiv_f64, double, double, trunc(x / y))
BINARY_LOOP(hypot_f64, double, double, hypot(x, y))
BINARY_LOOP(eq_f64, double, pn_bool, x == y)
BINARY_LOOP(ne_f64, double, pn_bool, x != y)
BINARY_LOOP(lt_f64, double, pn_bool, x < y)
BINARY_LOOP(le_f64, double, pn_bool, x <= y)
BINARY_LOOP(gt_f64, double, pn_bool, x > y)
BINARY_LOOP(ge_f64, double, pn_bool, x >= y)
BINARY_LOOP(relu_backward_f64, double, double, y <= 0 ? (double)0 : x)
BINARY_LOOP(sigmoid_backward_f64, double, double, x * y * ((double)1 - y))
BINARY_LOOP(tanh_backward_f64, double, double, x *((double)1 - y * y))

BINARY_LOOP(add_i64, int64_t, int64_t, UADD(x, y))
BINARY_LOOP(sub_i64, int64_t, int64_t, USUB(x, y))
BINARY_LOOP(mul_i64, int64_t, int64_t, UMUL(x, y))
BINARY_LOOP(floordiv_i64, int64_t, int64_t, py_idiv(x, y))
BINARY_LOOP(rem_i64, int64_t, int64_t, py_imod(x, y))
BINARY_LOOP(fmod_i64, int64_t, int64_t, c_imod(x, y))
BINARY_LOOP(truncdiv_i64, int64_t, int64_t, c_idiv(x, y))
BINARY_LOOP(pow_i64, int64_t, int64_t, ipow(x, y))
BINARY_LOOP(max_i64, int64_t, int64_t, x > y ? x : y)
BINARY_LOOP(min_i64, int64_t, int64_t, x < y ? x : y)
BINARY_LOOP(eq_i64, int64_t, pn_bool, x == y)
BINARY_LOOP(ne_i64, int64_t, pn_bool, x != y)
BINARY_LOOP(lt_i64, int64_t, pn_bool, x < y)
BINARY_LOOP(le_i64, int64_t, pn_bool, x <= y)
BINARY_LOOP(gt_i64, int64_t, pn_bool, x > y)
BINARY_LOOP(ge_i64, int64_t, pn_bool, x >= y)
BINARY_LOOP(and_i64, int64_t, int64_t, x &y)
BINARY_LOOP(or_i64, int64_t, int64_t, x | y)
BINARY_LOOP(xor_i64, int64_t, int64_t, x ^ y)

/* bool: + is "or", * is "and", as in PyTorch. */
BINARY_LOOP(or_b, pn_bool, pn_bool, x | y)
BINARY_LOOP(and_b, pn_bool, pn_bool, x &y)
BINARY_LOOP(xor_b, pn_bool, pn_bool, x ^ y)
BINARY_LOOP(eq_b, pn_bool, pn_bool, x == y)
BINARY_LOOP(ne_b, pn_bool, pn_bool, x != y)
BINARY_LOOP(lt_b, pn_bool, pn_bool, x < y)
BINARY_LOOP(le_b, pn_bool, pn_bool, x <= y)
BINARY_LOOP(gt_b, pn_bool, pn_bool, x > y)
BINARY_LOOP(ge_b, pn_bool, pn_bool, x >= y)

/* Rows: op; columns: bool, int64, float32, float64 (the pn_dtype order). */
static const pn_loop_fn binary_table[PN_NBINARY][PN_NDTYPES] = {
    [PN_ADD] = {or_b, add_i64, add_f32, add_f64},
    [PN_SUB] = {NULL, sub_i64, sub_f32, sub_f64},
    [PN_MUL] = {and_b, mul_i64, mul_f32, mul_f64},
    [PN_DIV] = {NULL, NULL, div_f32, div_f64},
    [PN_FLOORDIV] = {NULL, floordiv_i64, floordiv_f32, floordiv_f64},
    [PN_REM] = {NULL, rem_i64, rem_f32, rem_f64},
    [PN_POW] = {NULL, pow_i64, pow_f32, pow_f64},
    [PN_MAXIMUM] = {or_b, max_i64, max_f32, max_f64},
    [PN_MINIMUM] = {and_b, min_i64, min_f32, min_f64},
    [PN_ATAN2] = {NULL, NULL, atan2_f32, atan2_f64},
    [PN_FMOD] = {NULL, fmod_i64, fmod_f32, fmod_f64},
    [PN_HYPOT] = {NULL, NULL, hypot_f32, hypot_f64},
    [PN_TRUNCDIV] = {NULL, truncdiv_i64, truncdiv_f32, truncdiv_f64},
    [PN_EQ] = {eq_b, eq_i64, eq_f32, eq_f64},
    [PN_NE] = {ne_b, ne_i64, ne_f32, ne_f64},
    [PN_LT] = {lt_b, lt_i64, lt_f32, lt_f64},
    [PN_LE] = {le_b, le_i64, le_f32, le_f64},
    [PN_GT] = {gt_b, gt_i64, gt_f32, gt_f64},
    [PN_GE] = {ge_b, ge_i64, ge_f32, ge_f64},
    [PN_AND] = {and_b, and_i64, NULL, NULL},
    [PN_OR] = {or_b, or_i64, NULL, NULL},
    [PN_XOR] = {xor_b, xor_i64, NULL, NULL},
    [PN_RELU_BACKWARD] = {NULL, NULL, relu_backward_f32, relu_backward_f64},
    [PN_SIGMOID_BACKWARD] = {NULL, NULL, sigmoid_backward_f32, sigmoid_backward_f64},
    [PN_TANH_BACKWARD] = {NULL, NULL, tanh_backward_f32, tanh_backward_f64},
};

pn_loop_fn pn_binary_loop(pn_binary_op op, pn_dtype dt) {
    if ((unsigned)op >= PN_NBINARY || (unsigned)dt >= PN_NDTYPES) return NULL;
    return binary_table[op][dt];
}

int pn_binary_is_comparison(pn_binary_op op) {
    return op >= PN_EQ && op <= PN_GE;
}

/* ----------------------------------------------------------------- unary ---- */

/* o = EXPR(x) over n elements. UNARY_LOOP_PREFETCHED is for an expensive EXPR (the
 * transcendental functions): its contiguous loop over long arrays runs in blocks,
 * each prefetching the input PN_PREFETCH_DISTANCE elements ahead (common.h). */
#define UNARY_LOOP(NAME, T, EXPR)            UNARY_LOOP_PF(NAME, T, EXPR, 0)
#define UNARY_LOOP_PREFETCHED(NAME, T, EXPR) UNARY_LOOP_PF(NAME, T, EXPR, 1)
#define UNARY_LOOP_PF(NAME, T, EXPR, PF) \
    PN_SIMD_CLONES static void NAME(char **p, const int64_t *s, int64_t n, const void *aux) { \
        (void)aux; \
        char *o = p[0], *a = p[1]; \
        if (s[0] == sizeof(T) && s[1] == sizeof(T)) { \
            T *O = (T *)o; \
            const T *A = (const T *)a; \
            int64_t blk = PF ? pn_prefetch_blocksize(n) : n; \
            for (int64_t b = 0; b < n; b += blk) { \
                int64_t e = n - b < blk ? n : b + blk; \
                if (blk < n) pn_prefetch_block(A, e, n, sizeof(T)); \
                for (int64_t i = b; i < e; i++) { \
                    T x = A[i]; \
                    O[i] = (T)(EXPR); \
                } \
            } \
        } else { \
            for (int64_t i = 0; i < n; i++) { \
                T x = *(const T *)(a + i * s[1]); \
                *(T *)(o + i * s[0]) = (T)(EXPR); \
            } \
        } \
    }

/* float32 sin, cos, tan: vecmath.h's kernels (within 0.5004 ulp) for |x| <= 2^23, where
 * their argument reduction holds; beyond, and for inf/NaN, libm's double function rounded
 * to float (glibc's float ones are off by more than 0.501 ulp there: tanf by 1.45). The input is
 * read in blocks: a block without such an element runs the vector loop, a block with one runs the
 * per-element choice (reading each x before writing its result, so in place is safe). */
#define TRIG_BLOCK 256
#define TRIG_LOOP(NAME, VEC, LIBM) \
    PN_SIMD_CLONES static void NAME(char **p, const int64_t *s, int64_t n, const void *aux) { \
        (void)aux; \
        int contiguous = s[0] == sizeof(float) && s[1] == sizeof(float); \
        for (int64_t b = 0; b < n; b += TRIG_BLOCK) { \
            int64_t m = n - b < TRIG_BLOCK ? n - b : TRIG_BLOCK; \
            const char *a = p[1] + b * s[1]; \
            char *o = p[0] + b * s[0]; \
            if (contiguous) { /* the check as a contiguous loop too: so it vectorizes */ \
                const float *A = (const float *)a; \
                float *O = (float *)o; \
                int far = 0; \
                for (int64_t i = 0; i < m; i++) far |= !(fabsf(A[i]) <= PN_TRIG_V_MAX); \
                if (!far) { \
                    for (int64_t i = 0; i < m; i++) O[i] = VEC(A[i]); \
                    continue; \
                } \
            } \
            for (int64_t i = 0; i < m; i++) { \
                float x = *(const float *)(a + i * s[1]); \
                *(float *)(o + i * s[0]) = fabsf(x) <= PN_TRIG_V_MAX ? VEC(x) : (float)LIBM(x); \
            } \
        } \
    }

#define SIGN(x) (((x) > 0) - ((x) < 0))

UNARY_LOOP(neg_f32, float, -x)
UNARY_LOOP(abs_f32, float, fabsf(x))
UNARY_LOOP(sqrt_f32_loop, float, sqrtf(x))
/* The float32 sigmoid op on x86: pn_sigmoidf_tab (e from the exp table), the
 * kernels below by permutes; elsewhere pn_sigmoidf. Both within 1.48 ulp. */
UNARY_LOOP_PREFETCHED(sigmoid_f32_loop, float, PN_F32_TABLES ? pn_sigmoidf_tab(x) : pn_sigmoidf(x))
UNARY_LOOP(relu_f32, float, x > 0 ? x : (x != x ? x : (float)0))
UNARY_LOOP(sign_f32, float, SIGN(x)) /* sign(nan) = 0, as in torch */
UNARY_LOOP(reciprocal_f32, float, (float)1 / x)
UNARY_LOOP(square_f32, float, x *x)
TRIG_LOOP(sin_f32, pn_sinf_v, sin)
TRIG_LOOP(cos_f32, pn_cosf_v, cos)
UNARY_LOOP_PREFETCHED(expm1_f32, float, pn_expm1f(x))
UNARY_LOOP(floor_f32, float, floorf(x))
UNARY_LOOP(ceil_f32, float, ceilf(x))
UNARY_LOOP(round_f32, float, rintf(x))
UNARY_LOOP(trunc_f32, float, truncf(x))
TRIG_LOOP(tan_f32_loop, pn_tanf_v, tan)
UNARY_LOOP(rsqrt_f32_loop, float, pn_rsqrtf(x)) /* correctly rounded (fastmath.h) */

/* 2^(j/32) = pn_exp2_32[0][j] + pn_exp2_32[1][j] (fastmath.h), from mpmath at 200 bits */
const float pn_exp2_32[2][32] = {
    {
        1.000000000e+00f, 1.021897197e+00f, 1.044273734e+00f, 1.067140460e+00f, 1.090507746e+00f,
        1.114386797e+00f, 1.138788581e+00f, 1.163724899e+00f, 1.189207077e+00f, 1.215247393e+00f,
        1.241857767e+00f, 1.269050956e+00f, 1.296839595e+00f, 1.325236678e+00f, 1.354255557e+00f,
        1.383909941e+00f, 1.414213538e+00f, 1.445180774e+00f, 1.476826191e+00f, 1.509164453e+00f,
        1.542210817e+00f, 1.575980902e+00f, 1.610490322e+00f, 1.645755529e+00f, 1.681792855e+00f,
        1.718619347e+00f, 1.756252170e+00f, 1.794709086e+00f, 1.834008098e+00f, 1.874167681e+00f,
        1.915206552e+00f, 1.957144141e+00f,
    },
    {
        0.000000000e+00f,  -4.811559862e-08f, 4.833470157e-08f,  -5.933751979e-08f,
        -1.307753994e-08f, -5.435540018e-08f, 5.386222313e-08f,  -4.051441493e-08f,
        3.797635273e-08f,  -3.267394888e-08f, 4.496838102e-08f,  1.419333318e-09f,
        -4.018999533e-08f, -3.496373324e-08f, -1.012334927e-08f, -5.875577358e-08f,
        2.420323497e-08f,  3.324199938e-08f,  -4.500898854e-08f, -2.495937323e-08f,
        8.070904833e-09f,  -5.661025426e-08f, 9.836217174e-09f,  -5.124972091e-08f,
        -2.475532668e-08f, -4.849617596e-08f, -9.235770371e-09f, -1.141504491e-08f,
        -1.123927795e-08f, -4.663005626e-08f, 9.845328108e-09f,  -1.702180441e-08f,
    },
};

/* Phi(j/4 - 4 + u) = sum over k of pn_gelu_phi16[k][j] u^k, u in [0, 1/4]
 * (fastmath.h's pn_gelu_tab: how they were fitted) */
const float pn_gelu_phi16[8][16] = {
    {
        3.167124305e-05f,
        8.841728413e-05f,
        2.326290851e-04f,
        5.770250573e-04f,
        1.349898055e-03f,
        2.979763318e-03f,
        6.209665444e-03f,
        1.222447306e-02f,
        2.275013179e-02f,
        4.005915672e-02f,
        6.680720299e-02f,
        1.056497768e-01f,
        1.586552560e-01f,
        2.266273499e-01f,
        3.085375428e-01f,
        4.012936652e-01f,
    },
    {
        1.338302245e-04f,
        3.525956708e-04f,
        8.726826636e-04f,
        2.029048046e-03f,
        4.431848414e-03f,
        9.093562141e-03f,
        1.752830110e-02f,
        3.173965216e-02f,
        5.399096757e-02f,
        8.627732098e-02f,
        1.295175999e-01f,
        1.826490909e-01f,
        2.419707179e-01f,
        3.011374176e-01f,
        3.520653248e-01f,
        3.866681159e-01f,
    },
    {
        2.676604199e-04f,
        6.611169665e-04f,
        1.527194981e-03f,
        3.297203686e-03f,
        6.647773553e-03f,
        1.250364911e-02f,
        2.191037498e-02f,
        3.570710868e-02f,
        5.399096385e-02f,
        7.549265027e-02f,
        9.713819623e-02f,
        1.141556799e-01f,
        1.209853664e-01f,
        1.129265428e-01f,
        8.801633865e-02f,
        4.833351821e-02f,
    },
    {
        3.345769655e-04f,
        7.676283130e-04f,
        1.636271365e-03f,
        3.233777126e-03f,
        5.909105297e-03f,
        9.946060367e-03f,
        1.533726044e-02f,
        2.149042673e-02f,
        2.699556760e-02f,
        2.965793759e-02f,
        2.698291279e-02f,
        1.712334342e-02f,
        -1.219410564e-07f,
        -2.195813879e-02f,
        -4.400835931e-02f,
        -6.041697785e-02f,
    },
    {
        2.899414685e-04f,
        6.094968994e-04f,
        1.177354250e-03f,
        2.078223042e-03f,
        3.324313089e-03f,
        4.754383117e-03f,
        5.934115965e-03f,
        6.136553362e-03f,
        4.497884307e-03f,
        3.914360132e-04f,
        -6.072446238e-03f,
        -1.367481332e-02f,
        -2.016230486e-02f,
        -2.293498628e-02f,
        -2.016732469e-02f,
        -1.183025539e-02f,
    },
    {
        1.820089092e-04f,
        3.417094704e-04f,
        5.773765151e-04f,
        8.629653603e-04f,
        1.104190713e-03f,
        1.119272900e-03f,
        6.658284692e-04f,
        -4.566952412e-04f,
        -2.237828681e-03f,
        -4.295707215e-03f,
        -5.857103970e-03f,
        -5.987535696e-03f,
        -4.049097653e-03f,
        -1.747287315e-04f,
        4.557278939e-03f,
        8.458426222e-03f,
    },
    {
        8.137535769e-05f,
        1.335214765e-04f,
        1.863357174e-04f,
        2.043092827e-04f,
        1.290740329e-04f,
        -1.018509502e-04f,
        -5.096166278e-04f,
        -1.014959533e-03f,
        -1.405560528e-03f,
        -1.383795054e-03f,
        -7.156110951e-04f,
        5.741652567e-04f,
        2.091005910e-03f,
        3.171148943e-03f,
        3.201642307e-03f,
        1.994492486e-03f,
    },
    {
        2.870453500e-05f,
        2.826662421e-05f,
        7.999135050e-06f,
        -4.418843309e-05f,
        -1.298436691e-04f,
        -2.257670858e-04f,
        -2.770261199e-04f,
        -2.117028343e-04f,
        1.567938307e-05f,
        3.699374211e-04f,
        7.103182143e-04f,
        8.358280757e-04f,
        5.989652127e-04f,
        2.498839240e-05f,
        -6.569329416e-04f,
        -1.118097571e-03f,
    },
};

/* D(j/4 - 4 + u) = sum over k of pn_gelu_dphi16[k][j] u^k, u in [0, 1/4], D(a) =
 * Phi(a) + a phi(a), GELU's derivative (fastmath.h's pn_gelu_grad_tab) */
const float pn_gelu_dphi16[8][16] = {
    {
        -5.036496441e-04f,
        -1.233816496e-03f,
        -2.821760252e-03f,
        -6.017381325e-03f,
        -1.194564719e-02f,
        -2.202753350e-02f,
        -3.761108592e-02f,
        -5.918974429e-02f,
        -8.523180336e-02f,
        -1.109261513e-01f,
        -1.274691969e-01f,
        -1.226615831e-01f,
        -8.331546932e-02f,
        7.742782473e-04f,
        1.325048804e-01f,
        3.046266437e-01f,
    },
    {
        -1.873623114e-03f,
        -4.253185354e-03f,
        -8.944997564e-03f,
        -1.737372391e-02f,
        -3.102293983e-02f,
        -5.058294162e-02f,
        -7.449527830e-02f,
        -9.720268101e-02f,
        -1.079819351e-01f,
        -9.166964889e-02f,
        -3.237939999e-02f,
        7.990897447e-02f,
        2.419707179e-01f,
        4.328850508e-01f,
        6.161143184e-01f,
        7.491694689e-01f,
    },
    {
        -3.211926669e-03f,
        -6.652490702e-03f,
        -1.259935740e-02f,
        -2.163789421e-02f,
        -3.323885798e-02f,
        -4.454423860e-02f,
        -4.929833487e-02f,
        -3.793879971e-02f,
        -1.518503367e-08f,
        7.077433169e-02f,
        1.699918061e-01f,
        2.782544494e-01f,
        3.629561067e-01f,
        3.881850243e-01f,
        3.300612867e-01f,
        1.903132349e-01f,
    },
    {
        -3.301103599e-03f,
        -6.071429700e-03f,
        -9.935818613e-03f,
        -1.407788787e-02f,
        -1.625030488e-02f,
        -1.250990853e-02f,
        2.008110518e-03f,
        3.072706237e-02f,
        7.198844105e-02f,
        1.158800051e-01f,
        1.443592757e-01f,
        1.368683577e-01f,
        8.065611124e-02f,
        -1.901885681e-02f,
        -1.356936693e-01f,
        -2.298367620e-01f,
    },
    {
        -2.186582889e-03f,
        -3.365269629e-03f,
        -4.240183625e-03f,
        -3.675359534e-03f,
        3.127039463e-06f,
        8.337189443e-03f,
        2.134534717e-02f,
        3.588257730e-02f,
        4.498484358e-02f,
        3.967137262e-02f,
        1.364212763e-02f,
        -3.096189350e-02f,
        -8.064492047e-02f,
        -1.141123921e-01f,
        -1.122832075e-01f,
        -6.973313540e-02f,
    },
    {
        -8.839037037e-04f,
        -9.203269728e-04f,
        -3.143490176e-04f,
        1.447490999e-03f,
        4.626564216e-03f,
        8.656636812e-03f,
        1.165248081e-02f,
        1.060250401e-02f,
        2.763320692e-03f,
        -1.197372563e-02f,
        -2.913801186e-02f,
        -4.017444700e-02f,
        -3.639242798e-02f,
        -1.479556039e-02f,
        1.803593151e-02f,
        4.780568928e-02f,
    },
    {
        -1.659147092e-04f,
        9.267964924e-05f,
        7.102483069e-04f,
        1.686087926e-03f,
        2.673665062e-03f,
        2.868060255e-03f,
        1.243030070e-03f,
        -2.719492186e-03f,
        -8.085942827e-03f,
        -1.209822111e-02f,
        -1.120509673e-02f,
        -3.459883854e-03f,
        9.155303240e-03f,
        2.057239227e-02f,
        2.387177385e-02f,
        1.579163037e-02f,
    },
    {
        1.493810996e-04f,
        3.437984269e-04f,
        5.312402500e-04f,
        5.239282618e-04f,
        7.872543938e-05f,
        -9.146627854e-04f,
        -2.173622837e-03f,
        -2.913907403e-03f,
        -2.158857882e-03f,
        5.109444610e-04f,
        4.228914157e-03f,
        6.877721753e-03f,
        6.266740616e-03f,
        1.900113304e-03f,
        -4.311367404e-03f,
        -8.808474988e-03f,
    },
};

/* fastmath.h's pn_powf_tab: c_j = 1 / (1 + j/16) rounded to double, L_j = -log c_j,
 * 2^(j/16), each to the double nearest (mpmath) */
const double pn_pow_tab[3][16] __attribute__((aligned(64))) = {
    {1.0, 0.9411764705882353, 0.8888888888888888, 0.8421052631578947, 0.8, 0.7619047619047619,
     0.7272727272727273, 0.6956521739130435, 0.6666666666666666, 0.64, 0.6153846153846154,
     0.5925925925925926, 0.5714285714285714, 0.5517241379310345, 0.5333333333333333,
     0.5161290322580645},
    {0.0, 0.060624621816434854, 0.11778303565638351, 0.17185025692665928, 0.2231435513142097,
     0.2719337154836418, 0.3184537311185346, 0.3629054936893685, 0.40546510810816444,
     0.4462871026284195, 0.48550781578170077, 0.5232481437645479, 0.5596157879354228,
     0.5947071077466928, 0.6286086594223742, 0.661398482245365},
    {1.0, 1.0442737824274138, 1.0905077326652577, 1.1387886347566916, 1.189207115002721,
     1.241857812073484, 1.2968395546510096, 1.3542555469368927, 1.4142135623730951,
     1.4768261459394993, 1.5422108254079407, 1.6104903319492543, 1.681792830507429,
     1.7562521603732995, 1.8340080864093424, 1.9152065613971474},
};

/* fastmath.h's pn_softplus_poly: softplus(j/2 - 8 + u) = c0h + c0l + sum over k >= 1
 * of c_k u^k, u in [0, 1/2): row 0 c0h, row 1 c0l, rows 2 .. 8 c1 .. c7, column j
 * (how they were fitted: there) */
const float pn_softplus32[9][32] __attribute__((aligned(64))) = {
    {3.354063665e-04, 5.529314512e-04, 9.114664281e-04, 1.502310159e-03, 2.475685207e-03,
     4.078443162e-03, 6.715348456e-03, 1.104774512e-02, 1.814992726e-02, 2.975041792e-02,
     4.858735204e-02, 7.888973504e-02, 1.269280165e-01, 2.014132738e-01, 3.132616878e-01,
     4.740769863e-01, 6.931471825e-01, 9.740769863e-01, 1.313261628e+00, 1.701413274e+00,
     2.126928091e+00, 2.578889847e+00, 3.048587322e+00, 3.529750347e+00, 4.018149853e+00,
     4.511047840e+00, 5.006715298e+00, 5.504078388e+00, 6.002475739e+00, 6.501502514e+00,
     7.000911236e+00, 7.500553131e+00},
    {6.391968985e-12,  2.412061870e-11,  2.569324094e-11,  1.066057615e-12,  -6.944727432e-11,
     1.084228679e-10,  3.306222310e-11,  -2.748977712e-10, 6.593718904e-10,  3.547854233e-10,
     -4.634715389e-10, -7.503796473e-10, -5.500922384e-09, 4.170041201e-09,  -2.379728636e-10,
     -2.130758014e-09, -1.902594526e-09, -2.133383248e-09, 5.936578162e-08,  4.170825463e-09,
     -8.000608887e-08, -1.125089639e-07, 2.933879628e-08,  7.113522571e-08,  7.516513989e-08,
     -9.526981160e-08, 5.079012766e-08,  5.505645007e-08,  -5.338766584e-08, -2.037257332e-07,
     2.306444458e-07,  -1.996281611e-07},
    {3.353501379e-04, 5.527786561e-04, 9.110511746e-04, 1.501182211e-03, 2.472623251e-03,
     4.070137627e-03, 6.692850962e-03, 1.098694280e-02, 1.798621006e-02, 2.931223065e-02,
     4.742587358e-02, 7.585818321e-02, 1.192029193e-01, 1.824255288e-01, 2.689414322e-01,
     3.775406778e-01, 5.000000000e-01, 6.224593520e-01, 7.310585976e-01, 8.175745010e-01,
     8.807970881e-01, 9.241418242e-01, 9.525741339e-01, 9.706877470e-01, 9.820137620e-01,
     9.890130758e-01, 9.933071733e-01, 9.959298372e-01, 9.975273609e-01, 9.984987974e-01,
     9.990889430e-01, 9.994472265e-01},
    {1.676188258e-04, 2.762365330e-04, 4.551105667e-04, 7.494643214e-04, 1.233254559e-03,
     2.026785864e-03, 3.324028337e-03, 5.433115177e-03, 8.831353858e-03, 1.422651391e-02,
     2.258833311e-02, 3.505185992e-02, 5.249678716e-02, 7.457321137e-02, 9.830595553e-02,
     1.175018772e-01, 1.250000298e-01, 1.175018474e-01, 9.830594808e-02, 7.457321882e-02,
     5.249679461e-02, 3.505185992e-02, 2.258833125e-02, 1.422651298e-02, 8.831352927e-03,
     5.433114711e-03, 3.324028337e-03, 2.026785864e-03, 1.233254559e-03, 7.494643214e-04,
     4.551105667e-04, 2.762365330e-04},
    {5.583565144e-05,  9.197733743e-05,  1.514275500e-04,  2.490720653e-04,  4.090528528e-04,
     6.700966624e-04,  1.093178173e-03,  1.771240146e-03,  2.837879118e-03,  4.464138299e-03,
     6.815220229e-03,  9.911280125e-03,  1.332717482e-02,  1.578863151e-02,  1.514309272e-02,
     9.592434391e-03,  -4.070570867e-07, -9.592703544e-03, -1.514267549e-02, -1.578825340e-02,
     -1.332710497e-02, -9.911351837e-03, -6.815291476e-03, -4.464175552e-03, -2.837892622e-03,
     -1.771242707e-03, -1.093176892e-03, -6.700946251e-04, -4.090509028e-04, -2.490706684e-04,
     -1.514268661e-04, -9.197679174e-05},
    {1.393868570e-05,  2.294109254e-05,  3.771517731e-05,  6.188837870e-05,  1.012432112e-04,
     1.647834288e-04,  2.659510355e-04,  4.232608480e-04,  6.580334739e-04,  9.833498625e-04,
     1.372468076e-03,  1.692573540e-03,  1.618110342e-03,  6.511646789e-04,  -1.473045559e-03,
     -4.012009129e-03, -5.205011927e-03, -4.015553743e-03, -1.474159886e-03, 6.523198099e-04,
     1.618974144e-03,  1.692723017e-03,  1.372362720e-03,  9.832475334e-04,  6.579803885e-04,
     4.232406791e-04,  2.659448073e-04,  1.647822355e-04,  1.012426073e-04,  6.188842963e-05,
     3.771653792e-05,  2.294147635e-05},
    {2.786820460e-06,  4.578347216e-06,  7.504129371e-06,  1.225245069e-05,  1.987806718e-05,
     3.190811185e-05,  5.030919783e-05,  7.693101361e-05,  1.114795814e-04,  1.461372158e-04,
     1.545550331e-04,  7.767076750e-05,  -1.702779700e-04, -6.143869250e-04, -1.023869496e-03,
     -8.849190199e-04, -1.473673728e-05, 8.754663868e-04,  1.039034221e-03,  6.277444772e-04,
     1.726142946e-04,  -8.025998250e-05, -1.570573222e-04, -1.474336168e-04, -1.119418957e-04,
     -7.701499271e-05, -5.026369763e-05, -3.183877197e-05, -1.981652895e-05, -1.220873946e-05,
     -7.478246971e-06, -4.560370598e-06},
    {4.460956120e-07,  7.310218848e-07,  1.193151434e-06,  1.934438615e-06,  3.101085667e-06,
     4.876089861e-06,  7.410041235e-06,  1.057029385e-05,  1.323165179e-05,  1.162889203e-05,
     -3.421103884e-06, -4.738977441e-05, -1.269895438e-04, -1.880877389e-04, -8.507192251e-05,
     2.152302768e-04,  3.836686956e-04,  1.842664788e-04,  -9.441278235e-05, -1.777697616e-04,
     -1.195171062e-04, -4.619848551e-05, -4.402319973e-06, 1.071579482e-05,  1.276489002e-05,
     1.039496419e-05,  7.361578355e-06,  4.872392310e-06,  3.105720452e-06,  1.941811888e-06,
     1.203393822e-06,  7.360240488e-07},
    {8.297009657e-08,  1.343056937e-07,  2.147230873e-07,  3.360373739e-07,  5.062790933e-07,
     7.098478250e-07,  8.522368944e-07,  6.299087545e-07,  -7.071859045e-07, -4.551983693e-06,
     -1.217460613e-05, -2.058103928e-05, -1.462387718e-05, 2.644809138e-05,  7.681586430e-05,
     4.858437387e-05,  -4.766493657e-05, -7.708927296e-05, -2.707865497e-05, 1.439352309e-05,
     2.063398460e-05,  1.226908989e-05,  4.608427844e-06,  7.303077041e-07,  -6.242015047e-07,
     -8.534329368e-07, -7.104885071e-07, -5.059470141e-07, -3.333433938e-07, -2.131935588e-07,
     -1.355315646e-07, -8.271272378e-08}};

/* The float32 exp op on x86: pn_expf_tab (fastmath.h), whose two table lookups
 * are gathers or loads in a compiled loop. Over a contiguous array on CPUs with
 * AVX-512 or AVX2 the kernels below hold the table in registers and look up by
 * permutes; the same operations in the same order, so the same bits (the C test
 * compares all three), strided or not. Over 131k floats, 1 thread, Intel Xeon
 * with AVX-512 (C loops, ns per element): pn_expf 0.44, the AVX-512 kernel 0.16,
 * the AVX2 one 0.66 (pn_expf compiled for AVX2: 0.78). Long arrays prefetch a
 * block ahead. Elsewhere (ARM's NEON has no gather: the lookups would keep the
 * loop scalar) the loop is pn_expf's, which vectorizes: within 0.57 ulp there. */
UNARY_LOOP_PREFETCHED(exp_f32_loop, float, PN_F32_TABLES ? pn_expf_tab(x) : pn_expf(x))

/* pn_log32_tab (fastmath.h): c_j, a multiple of 2^-6 near 1 / (the middle of
 * [1 + j/32, 1 + (j+1)/32)), c_0 = 1, c_31 = 1/2; then -log_b(c_j) for b = e, 2, 10,
 * each as T_hi (rounded to a multiple of 2^-16) and T_lo (the rest rounded), from
 * mpmath at 200 bits */
const float pn_log32_tab[7][32] __attribute__((aligned(64))) = {
    {1.000000000e+00f, 9.531250000e-01f, 9.218750000e-01f, 9.062500000e-01f, 8.750000000e-01f,
     8.593750000e-01f, 8.281250000e-01f, 8.125000000e-01f, 7.968750000e-01f, 7.656250000e-01f,
     7.500000000e-01f, 7.343750000e-01f, 7.187500000e-01f, 7.031250000e-01f, 6.875000000e-01f,
     6.718750000e-01f, 6.562500000e-01f, 6.406250000e-01f, 6.406250000e-01f, 6.250000000e-01f,
     6.093750000e-01f, 5.937500000e-01f, 5.937500000e-01f, 5.781250000e-01f, 5.625000000e-01f,
     5.625000000e-01f, 5.468750000e-01f, 5.312500000e-01f, 5.312500000e-01f, 5.156250000e-01f,
     5.156250000e-01f, 5.000000000e-01f},
    {0.000000000e+00f, 4.800415039e-02f, 8.134460449e-02f, 9.843444824e-02f, 1.335296631e-01f,
     1.515502930e-01f, 1.885986328e-01f, 2.076416016e-01f, 2.270507812e-01f, 2.670593262e-01f,
     2.876892090e-01f, 3.087310791e-01f, 3.302459717e-01f, 3.522186279e-01f, 3.746948242e-01f,
     3.976898193e-01f, 4.212188721e-01f, 4.453125000e-01f, 4.453125000e-01f, 4.700012207e-01f,
     4.953155518e-01f, 5.213012695e-01f, 5.213012695e-01f, 5.479583740e-01f, 5.753631592e-01f,
     5.753631592e-01f, 6.035308838e-01f, 6.325225830e-01f, 6.325225830e-01f, 6.623687744e-01f,
     6.623687744e-01f, 6.931457520e-01f},
    {0.000000000e+00f,  5.068795736e-06f,  1.034961765e-06f,  5.624571065e-06f,  1.729538585e-06f,
     -3.948415491e-07f, -7.463004950e-06f, -2.236784255e-06f, 6.669385346e-06f,  3.459077170e-06f,
     -7.136532594e-06f, 4.402548051e-06f,  -4.284809111e-06f, 1.965659665e-06f,  -1.374777339e-06f,
     -6.851669828e-06f, -5.406994009e-06f, -1.483344636e-06f, -1.483344636e-06f, 2.408542611e-06f,
     5.885472213e-06f,  -4.345897964e-06f, -4.345897964e-06f, 6.796692010e-06f,  9.857238744e-07f,
     9.857238744e-07f,  4.138081196e-06f,  -2.426430203e-08f, -2.426430203e-08f, 6.747479129e-06f,
     6.747479129e-06f,  1.428606820e-06f},
    {0.000000000e+00f, 6.925964355e-02f, 1.173553467e-01f, 1.420135498e-01f, 1.926422119e-01f,
     2.186431885e-01f, 2.720794678e-01f, 2.995605469e-01f, 3.275756836e-01f, 3.852844238e-01f,
     4.150390625e-01f, 4.454040527e-01f, 4.764404297e-01f, 5.081481934e-01f, 5.405731201e-01f,
     5.737304688e-01f, 6.076812744e-01f, 6.424407959e-01f, 6.424407959e-01f, 6.780700684e-01f,
     7.145996094e-01f, 7.520751953e-01f, 7.520751953e-01f, 7.905426025e-01f, 8.300781250e-01f,
     8.300781250e-01f, 8.707122803e-01f, 9.125366211e-01f, 9.125366211e-01f, 9.556121826e-01f,
     9.556121826e-01f, 1.000000000e+00f},
    {0.000000000e+00f,  3.018882426e-06f,  1.603958471e-06f,  5.455067740e-06f,  2.866028333e-06f,
     -2.902001222e-06f, 7.766336332e-08f,  -2.650160922e-07f, -1.025565246e-06f, 5.732056667e-06f,
     -1.563221156e-06f, 7.095587988e-06f,  -2.385744513e-06f, -1.289689050e-06f, -4.738754485e-06f,
     4.776547902e-06f,  1.302807177e-06f,  7.199483479e-06f,  7.199483479e-06f,  1.836753263e-06f,
     -1.828237248e-06f, -2.708756085e-06f, -2.708756085e-06f, 4.031831988e-06f,  -3.126442312e-06f,
     -3.126442312e-06f, 4.702781596e-06f,  5.376559106e-07f,  5.376559106e-07f,  -6.301975641e-06f,
     -6.301975641e-06f, 0.000000000e+00f},
    {0.000000000e+00f, 2.084350586e-02f, 3.532409668e-02f, 4.275512695e-02f, 5.799865723e-02f,
     6.581115723e-02f, 8.190917969e-02f, 9.017944336e-02f, 9.860229492e-02f, 1.159820557e-01f,
     1.249389648e-01f, 1.340789795e-01f, 1.434173584e-01f, 1.529693604e-01f, 1.627197266e-01f,
     1.727142334e-01f, 1.829376221e-01f, 1.933898926e-01f, 1.933898926e-01f, 2.041168213e-01f,
     2.151184082e-01f, 2.263946533e-01f, 2.263946533e-01f, 2.379760742e-01f, 2.498779297e-01f,
     2.498779297e-01f, 2.621154785e-01f, 2.747039795e-01f, 2.747039795e-01f, 2.876586914e-01f,
     2.876586914e-01f, 3.010253906e-01f},
    {0.000000000e+00f,  6.633113745e-06f,  3.865662055e-06f,  -3.146532175e-06f, -6.710248876e-06f,
     6.127263081e-06f,  -5.075304402e-06f, -2.813010287e-06f, 7.502964076e-06f,  1.838291311e-06f,
     -2.282354500e-07f, 3.136555982e-06f,  4.783903876e-06f,  -1.900143019e-06f, 7.570935200e-06f,
     -2.714994137e-06f, -6.938484326e-06f, 6.224686027e-06f,  6.224686027e-06f,  3.161366862e-06f,
     -3.041245737e-06f, 1.724046765e-06f,  1.724046765e-06f,  2.175698142e-06f,  -4.564709001e-07f,
     -4.564709001e-07f, -3.548882013e-06f, -2.922550555e-06f, -2.922550555e-06f, 7.342699750e-06f,
     7.342699750e-06f,  4.605038981e-06f},
};

/* 1 / c_j, and -log(1 / c_j) as hi + lo, for pn_log_tab_pair (fastmath.h): c_j
 * the middle of interval j of [0.71875, 1.4375) (1/c_j = 1 for the one of 1),
 * from mpmath at 200 bits */
const float pn_log_tab[3][8] = {
    {1.333333373e+00f, 1.230769277e+00f, 1.142857194e+00f, 1.066666722e+00f, 1.000000000e+00f,
     8.888888955e-01f, 8.000000119e-01f, 7.272727489e-01f},
    {-2.876821160e-01f, -2.076393962e-01f, -1.335314363e-01f, -6.453857571e-02f, 0.000000000e+00f,
     1.177830249e-01f, 2.231435329e-01f, 3.184536994e-01f},
    {1.377754355e-08f, -5.840503636e-09f, -1.003885641e-09f, 2.417232192e-09f, 0.000000000e+00f,
     3.298690654e-09f, 3.540848725e-09f, 1.965855700e-09f},
};

/* fastmath.h's pn_exp2_16d: 2^(j/16) rounded to double, and the rest rounded (mpmath) */
const double pn_exp2_16d[2][16] = {
    {0x1.0000000000000p+0, 0x1.0b5586cf9890fp+0, 0x1.172b83c7d517bp+0, 0x1.2387a6e756238p+0,
     0x1.306fe0a31b715p+0, 0x1.3dea64c123422p+0, 0x1.4bfdad5362a27p+0, 0x1.5ab07dd485429p+0,
     0x1.6a09e667f3bcdp+0, 0x1.7a11473eb0187p+0, 0x1.8ace5422aa0dbp+0, 0x1.9c49182a3f090p+0,
     0x1.ae89f995ad3adp+0, 0x1.c199bdd85529cp+0, 0x1.d5818dcfba487p+0, 0x1.ea4afa2a490dap+0},
    {0x0.0p+0, 0x1.8a62e4adc610bp-54, -0x1.19041b9d78a76p-55, 0x1.9b07eb6c70573p-54,
     0x1.6f46ad23182e4p-55, 0x1.ada0911f09ebcp-55, 0x1.d4397afec42e2p-56, 0x1.6324c054647adp-54,
     -0x1.bdd3413b26456p-54, -0x1.41577ee04992fp-55, 0x1.6e9f156864b27p-54, 0x1.c7c46b071f2bep-56,
     0x1.7a1cd345dcc81p-54, 0x1.11065895048ddp-55, 0x1.2ed02d75b3707p-55, -0x1.e9c23179c2893p-54}};

/* fastmath.h's pn_erf16d (gen_double_polys.py erf): column k mod 16 erfc's G(t) =
 * erfcx(a) / t about t = k/16 (k = 2..16), column 1 unused; rows g0 high, g0 low, g1
 * high, g1 low, r0..r8. Error 2^-61.4 relative at most. */
const double pn_erf16d[13][16] = {
    {0x1.0000000000000p+0, 0x0.0p+0, 0x1.49ebde7878139p-3, 0x1.62efffe707cc7p-3,
     0x1.7fd46c5e0864dp-3, 0x1.a181644211727p-3, 0x1.c9269e94ebbb3p-3, 0x1.f85591cd5e7cep-3,
     0x1.18932bf08e154p-2, 0x1.3b35b725c71c9p-2, 0x1.65fd02f9f1fb5p-2, 0x1.9b87260dc6a86p-2,
     0x1.df6a7891d7325p-2, 0x1.1b4940111075dp-1, 0x1.53dda447a8c14p-1, 0x1.9e08e79c4ec78p-1},
    {0x0.0p+0, 0x0.0p+0, -0x1.d95a8796b0b9fp-59, 0x1.cda85f0590e44p-58, 0x1.890aa6df43976p-58,
     -0x1.b60a68b1f0f59p-57, -0x1.a8e4da8fbea55p-57, 0x1.b7d51c63decf4p-57, 0x1.0981aa12747cep-56,
     0x1.55843c8994270p-59, -0x1.ea8a84fd2da8bp-56, 0x1.ed5cd0dccb11ap-56, 0x1.9d4ea35dbe74cp-56,
     0x1.4a1c0bdd6e15fp-56, 0x1.1ae95c22a347ep-57, 0x1.58350be70a449p-56},
    {0x1.c1baea08536dap+1, 0x0.0p+0, 0x1.7537bc65ac91dp-3, 0x1.ad27bd37001fbp-3,
     0x1.f1cc3ba338032p-3, 0x1.237ae220faf08p-2, 0x1.58eb34f526b04p-2, 0x1.9cc80108478e9p-2,
     0x1.f3fe31ecb49bfp-2, 0x1.32b1220caf334p-1, 0x1.7d37febba8303p-1, 0x1.e02663394182ep-1,
     0x1.3246e839fbbc8p+0, 0x1.8b6c0fc99c1a6p+0, 0x1.01f5534e4b312p+1, 0x1.537faa3d88955p+1},
    {0x1.1ae3a914fed80p-54, 0x0.0p+0, 0x1.c161398a192ffp-58, 0x1.e555284d1a63bp-57,
     -0x1.aadf062e75681p-59, -0x1.2de9f6440c0b0p-57, -0x1.026ca4c66d423p-56, -0x1.57a970ffa93d0p-56,
     0x1.11398a8167244p-57, 0x1.289eb46c78c9dp-57, -0x1.0aeb8d040e186p-55, -0x1.0f357cda339e0p-55,
     -0x1.92994d54903dap-54, 0x1.6ceff7496593fp-54, -0x1.f9c30fe65a9ffp-53, 0x1.b20f4cb47a853p-54},
    {0x1.fe4515f7ac926p+2, 0x0.0p+0, 0x1.94c08ba9b0a1cp-3, 0x1.edfae15c43c18p-3,
     0x1.30aaf5bfa1c59p-2, 0x1.7c0eb24dc2b17p-2, 0x1.dfaa8d4210c33p-2, 0x1.3250885b9c772p-1,
     0x1.8be202d26c706p-1, 0x1.02bfff5f3fe78p+0, 0x1.55cd6f8f2a68ap+0, 0x1.c7a2eaeefcb6ep+0,
     0x1.31e68b45c057bp+1, 0x1.9cd290889ff1bp+1, 0x1.1749b91a7c54ap+2, 0x1.79f0a6ac1f3d8p+2},
    {0x1.95e94a471d0bcp+3, 0x0.0p+0, 0x1.a301c51e304a4p-3, 0x1.0d4f7b577a91ap-2,
     0x1.5e00c59f4ec7fp-2, 0x1.cbdea389a37efp-2, 0x1.31535b2a45245p-1, 0x1.9971e8ce4e260p-1,
     0x1.14eacb1ad0356p+0, 0x1.792f364cf2bc4p+0, 0x1.021e2de185b4bp+1, 0x1.6218188ff2fe9p+1,
     0x1.e5917d48cae42p+1, 0x1.4be37d7778bacp+2, 0x1.c3198ce62b349p+2, 0x1.3019c722d5146p+3},
    {0x1.cbd0aaf432abbp+3, 0x0.0p+0, 0x1.9bcd53855d8c0p-3, 0x1.1467014f00820p-2,
     0x1.7698e5ec931b8p-2, 0x1.0009715610bd9p-1, 0x1.608ba025b5f21p-1, 0x1.e8084acd4a151p-1,
     0x1.52cac2371014fp+0, 0x1.d671b460d55a5p+0, 0x1.45ab5d121e626p+1, 0x1.c0287abdb3a08p+1,
     0x1.318faff54297bp+2, 0x1.9bc5b594dc62cp+2, 0x1.118f49808c957p+3, 0x1.65bbe46d8177dp+3},
    {0x1.643a2818b14adp+3, 0x0.0p+0, 0x1.7d7dada79c6fep-3, 0x1.08c3e59c62b25p-2,
     0x1.71cbb5f12d12dp-2, 0x1.035294835b6dap-1, 0x1.6c441ceb09a5bp-1, 0x1.fedb3d67e70e7p-1,
     0x1.645fd8a4901f8p+0, 0x1.eccbcbc643aa8p+0, 0x1.506f06eb203d3p+1, 0x1.c4046ddc055b0p+1,
     0x1.29e45775ba6ddp+2, 0x1.803be5f91a7f6p+2, 0x1.e413ada4ceb27p+2, 0x1.2970b225196bdp+3},
    {0x1.3dcc1e2c262f3p+2, 0x0.0p+0, 0x1.49e019d831e3dp-3, 0x1.d3d1c8eb47f1dp-3,
     0x1.4be7e869fb303p-2, 0x1.d594803283606p-2, 0x1.49da385d7d9dep-1, 0x1.ca0dcc8853740p-1,
     0x1.38dbd2c8e1883p+0, 0x1.a267a16212d49p+0, 0x1.10ace15a77db5p+1, 0x1.58fa947239fffp+1,
     0x1.a6232747e65f7p+1, 0x1.f204423badcbap+1, 0x1.1a5c83dd42d11p+2, 0x1.32b8b207f8c7dp+2},
    {0x1.cdd931cdc3fc7p-4, 0x0.0p+0, 0x1.0678d96037865p-3, 0x1.766e7c0c0f272p-3,
     0x1.08d50d44125b8p-2, 0x1.7170910630f43p-2, 0x1.f90ddf494d47bp-2, 0x1.500385541552ap-1,
     0x1.b00c0a0ef3f0bp-1, 0x1.0a65e8963b9fep+0, 0x1.38889b49a09bep+0, 0x1.5980d7e543d23p+0,
     0x1.633ddb44dedb4p+0, 0x1.4c6e930ab2fbcp+0, 0x1.0ea5e3332b362p+0, 0x1.50509c886ff07p-1},
    {-0x1.35f598782f406p+0, 0x0.0p+0, 0x1.77b5f7d6d3ddfp-4, 0x1.0785f86ace0c4p-3,
     0x1.691296897b4fcp-3, 0x1.de9f1d51fcd8fp-3, 0x1.2f5dddda0bba9p-2, 0x1.6a897deb6951bp-2,
     0x1.908f478816408p-2, 0x1.8c98106b512b8p-2, 0x1.4982bded7657ap-2, 0x1.70a55f24106f9p-3,
     -0x1.49d5c7d116b46p-5, -0x1.4c8b7f0047a48p-2, -0x1.49382e27bfaf8p-1, -0x1.e816b8f8e9edbp-1},
    {-0x1.8b0a4e6894209p-2, 0x0.0p+0, 0x1.d04c774d8054dp-5, 0x1.337ce1809f060p-4,
     0x1.813954b1091b8p-4, 0x1.bcf5715fbb683p-4, 0x1.c55deaaeba62ep-4, 0x1.6f8b592aa7b90p-4,
     0x1.24fa6cbbfbb47p-5, -0x1.cc875b3930db0p-5, -0x1.73be4a3c7511fp-3, -0x1.4b317977653cep-2,
     -0x1.d22c13795f038p-2, -0x1.17d3bcdd8fda4p-1, -0x1.24b101eaf257fp-1, -0x1.08d0aa8b4b2d2p-1},
    {0x1.0e8dae33ac943p-2, 0x0.0p+0, 0x1.c1b6ce5b1f00ep-6, 0x1.f9139b3943c95p-6,
     0x1.d4adebff5cad2p-6, 0x1.047005d4d7fe1p-6, -0x1.8eaf9e336720fp-7, -0x1.d848abbea9e1ap-5,
     -0x1.dd30c6870edf7p-4, -0x1.69d0f6f31bc7ap-3, -0x1.c234363bd0345p-3, -0x1.d10c95eff5097p-3,
     -0x1.7de10a6b992b7p-3, -0x1.943b8eeddb788p-4, 0x1.674c419d512b3p-6, 0x1.367386cc0b6d7p-3}};

/* fastmath.h's pn_erfx16d (gen_double_polys.py erfx): column j = 1..15 erf x about x =
 * 0.3125 + 0.375 j (|x - it| <= 3/16 and a hair), column 0 erf(x) / x in x^2 (|x| < 1/2); rows g0
 * high, g0 low, g1 high, g1 low, r0..r11. Error 2^-58.8 relative at most (column 1; column
 * 0: 2^-61.9). */
const double pn_erfx16d[16][16] = {
    {0x1.20dd750429b6dp+0, 0x1.569243d2b3a9bp-1, 0x1.bbef0fbde6221p-1, 0x1.ea7730ed0bbb9p-1,
     0x1.fab0dd89d1309p-1, 0x1.fefcce6813974p-1, 0x1.ffd9f78c7524ap-1, 0x1.fffbb8f1049c6p-1,
     0x1.ffffa1de8c582p-1, 0x1.fffff9d446cccp-1, 0x1.ffffffb127525p-1, 0x1.fffffffd01f89p-1,
     0x1.ffffffffe9eb0p-1, 0x1.ffffffffff845p-1, 0x1.fffffffffffdfp-1, 0x1.0000000000000p+0},
    {0x1.1ae3a914fed80p-56, 0x1.8eef7012e8df5p-56, -0x1.322c1148e0d48p-55, 0x1.2c5bd7ce1388bp-55,
     -0x1.ae61bd9db1babp-55, -0x1.b27cf5025d1c8p-58, 0x1.04ed6ff98e45dp-55, 0x1.d2c6266b51f27p-56,
     0x1.832540129302ap-55, -0x1.bb06bab98bc7ep-57, 0x1.504f382db4102p-55, -0x1.35e8e39884f62p-56,
     -0x1.ea527e0bef1ecp-58, 0x1.b0edc5a89ab8fp-56, 0x1.5669e670f914bp-56, -0x1.a6d7d18831888p-55},
    {-0x1.812746b0379e7p-2, 0x1.681ff24b4ab04p-1, 0x1.75a91a7f4d2edp-2, 0x1.24a7b84d38971p-3,
     0x1.5a08e85af27e0p-5, 0x1.34d7dbc76d7e5p-7, 0x1.a024365f771bdp-10, 0x1.a740684026555p-13,
     0x1.44f21e49054f2p-16, 0x1.789fb715aae95p-20, 0x1.4980cb3c80949p-24, 0x1.b334fac4b9f99p-29,
     0x1.b1e5acf351d87p-34, 0x1.46897d4b69fc6p-39, 0x1.72fd93e036cdcp-45, 0x1.3e296303b2297p-51},
    {0x1.ee12e49cab700p-57, -0x1.dba6493354c66p-58, 0x1.6eb826a9df857p-58, 0x1.aa0c5e788ed5fp-57,
     0x1.e4f9cfc8c2382p-59, 0x1.3780d6e7eb350p-61, 0x1.3c8f5202cb3e9p-64, -0x1.7e24cc3ac5720p-69,
     0x1.f338cf40864d8p-71, -0x1.226d93bf88ff6p-80, 0x1.7fbdd923f82b7p-78, 0x1.32178ed1a6c0dp-83,
     0x1.dc96583bc1d87p-90, 0x1.a74852413b364p-93, 0x1.1c553d0f2268ep-100, 0x1.68cf6480a3817p-105},
    {0x1.ce2f21a042be2p-4, -0x1.ef2bed2786b26p-2, -0x1.8d03ac274201cp-2, -0x1.a4b118ef01593p-3,
     -0x1.399812926bc23p-4, -0x1.51cc18621fc24p-6, -0x1.0a9732d5284ddp-8, -0x1.36d34c8f1c265p-11,
     -0x1.0d1881147865dp-14, -0x1.5b333cc7f9937p-18, -0x1.4ea6ce6972995p-22, -0x1.e2cec6323de95p-27,
     -0x1.05042a0a5dc97p-31, -0x1.a77a4e7dc3b7bp-37, -0x1.01f450d1d29a0p-42,
     -0x1.d8456ef9172b9p-49},
    {-0x1.b82ce31288b51p-6, -0x1.a4254557d7235p-7, 0x1.3954778d6a0dfp-3, 0x1.319c7a75f9187p-3,
     0x1.4140efb719cb0p-4, 0x1.b925a99886bb7p-6, 0x1.a4bf47a43042bp-8, 0x1.1eb6e14974a24p-10,
     0x1.1b964d438f621p-13, 0x1.9b12fdbf90f6cp-17, 0x1.b771d9b6f07dbp-21, 0x1.5c027d5bba328p-25,
     0x1.99ac8fd63c26bp-30, 0x1.67543695dba94p-35, 0x1.d68fb81b29aa6p-41, 0x1.ccb92e6c1582dp-47},
    {0x1.565bcd0e6a53fp-8, 0x1.532415c267d69p-3, 0x1.88e0f7b185476p-5, -0x1.3db5bed480b08p-5,
     -0x1.7535a61a41b48p-5, -0x1.71e7d408c82d0p-6, -0x1.c23802d8a5eaap-8, -0x1.714eb8cc0ab5ap-10,
     -0x1.a8d7851f25ca0p-13, -0x1.5e0692313c55cp-16, -0x1.a26c653fa8ab1p-20, -0x1.6df4d025657e8p-24,
     -0x1.d723443a64f04p-29, -0x1.c05c1e39515fap-34, -0x1.3c706ab7f0654p-39,
     -0x1.4c1aa900b421fp-45},
    {-0x1.c02db40040b85p-11, -0x1.558b4c55a77a4p-5, -0x1.0f7c15f75f22ep-4, -0x1.7019bda6c3279p-6,
     0x1.374c88c7e7871p-7, 0x1.7ea58080a7f0ep-7, 0x1.4f40070667eddp-8, 0x1.5bec08c01b7fcp-10,
     0x1.ddd6df9b691a3p-13, 0x1.c6a0719253e9bp-16, 0x1.3302bb8933558p-19, 0x1.2aaf7c2063b12p-23,
     0x1.a6be9a12b1b94p-28, 0x1.b63941a212a68p-33, 0x1.4e64795b6c2acp-38, 0x1.7918b6c7347eep-44},
    {0x1.f9a326f9b8939p-14, -0x1.1b7ad5b8bf677p-5, 0x1.5e22cf9b17e7bp-7, 0x1.59d3aa42b9f49p-6,
     0x1.a40709e15cc6ep-8, -0x1.46eb9d265b3b3p-9, -0x1.4c9a2c9d54a70p-9, -0x1.e4621d7f3947bp-11,
     -0x1.9e52b7abf9160p-13, -0x1.d178cb0e575a4p-16, -0x1.67f42e555d56dp-19, -0x1.8902edbb7e804p-23,
     -0x1.33aaca6519835p-27, -0x1.5cfd7bb235771p-32, -0x1.20e9e571ad9a8p-37,
     -0x1.5f07269b34c16p-43},
    {-0x1.f4d25c3e0666fp-17, 0x1.1201d3bb31e25p-6, 0x1.9ad28c57f38d1p-7, -0x1.b324eab82016dp-9,
     -0x1.6dc0788abc3f5p-8, -0x1.403333665b1f2p-10, 0x1.4f7a50b876dbdp-11, 0x1.e1b7b562bcdb7p-12,
     0x1.165b2033ff555p-13, 0x1.7e29d33dafa16p-16, 0x1.58b4adb52a33ep-19, 0x1.ab2ab1a8f4cd0p-23,
     0x1.74b732981111ep-27, 0x1.d11577391a9ffp-32, 0x1.a35b99f64334ep-37, 0x1.134d024aada31p-42},
    {0x1.b9e6c9d9bea00p-20, 0x1.2995e86b28521p-8, -0x1.704ebfb5fbc68p-8, -0x1.b47756b818a82p-9,
     0x1.2ee6cf988a313p-10, 0x1.3b37db6c78a48p-10, 0x1.18b04b38c9473p-13, -0x1.245652298d5b8p-13,
     -0x1.1b75c210bd92cp-14, -0x1.f9202a1e474aep-17, -0x1.10f57519311a7p-19, -0x1.85abfefa28eb7p-23,
     -0x1.7e7f16a271b8bp-27, -0x1.083052a82007cp-31, -0x1.04a29e0ce7d83p-36,
     -0x1.730dca891c388p-42},
    {-0x1.5f742df879394p-23, -0x1.0294c072e3f31p-8, -0x1.23360cb96f3d2p-10, 0x1.c01375be3e243p-10,
     0x1.44f17dfadca59p-11, -0x1.6be133ea415e4p-12, -0x1.a4c38d1f1a24fp-13, 0x1.bf8f23d5a5d88p-20,
     0x1.91a25771830c1p-16, 0x1.094dab3c6f2e1p-17, 0x1.66ca3f1725912p-20, 0x1.2d32fc89b70e8p-23,
     0x1.5095c43a8e511p-27, 0x1.03551f9ab9a40p-31, 0x1.196639916ce5dp-36, 0x1.b40b44dddf066p-42},
    {0x1.fcc520950a33fp-27, -0x1.15a64bed8f040p-12, 0x1.43c51c40a835bp-10, 0x1.a61b5323ebf35p-14,
     -0x1.c2f900dd961cep-12, -0x1.03e7dc37c1c77p-14, 0x1.4b7cfd6f2ffbcp-14, 0x1.8f61025da8fd3p-16,
     -0x1.020f1e1296b84p-18, -0x1.a77a3fb8327e8p-19, -0x1.84ef30505791bp-21, -0x1.8c0782fbeacecp-24,
     -0x1.ffc0488267b3bp-28, -0x1.bbe27883f182fp-32, -0x1.0a6c9917b79dap-36,
     -0x1.c31075d8cf0eep-42},
    {-0x1.51cc59f999534p-30, 0x1.63d526d0b59f8p-11, -0x1.dc7827908fb8ap-15, -0x1.40d87990a173dp-12,
     0x1.5214fa1d1e557p-15, 0x1.55876306d8d6ap-14, -0x1.0ba54770ffe72p-18, -0x1.b3bd8bbbf0058p-17,
     -0x1.adf29789af904p-20, 0x1.b9062f1ed5f40p-21, 0x1.53ba446696ce3p-22, 0x1.b9f66a8bea6b7p-25,
     0x1.51b86a5c5d285p-28, 0x1.4deffb4ed34dep-32, 0x1.bf17de167ee32p-37, 0x1.9ff508a796e7ap-42},
    {0x1.9c9de4d79f85dp-34, -0x1.2f7813492a938p-15, -0x1.6f61c48b1e83bp-13, 0x1.dab594fcfb019p-15,
     0x1.baeddc1a373f3p-15, -0x1.4d27c3f738ab5p-16, -0x1.59c683b96524ap-17, 0x1.6871d407d83cap-19,
     0x1.8b3a858865efcp-20, -0x1.63f271bb7cb21p-26, -0x1.bfbfa1693af4bp-24, -0x1.a29823a326823p-26,
     -0x1.8b6d35c3a251ap-29, -0x1.c9a0dcec0f437p-33, -0x1.5c820c7a10d93p-37,
     -0x1.6a737fcc19a8ap-42},
    {-0x1.ab8d41a7b1bb5p-38, -0x1.7c400c107f75bp-14, 0x1.2fb483b6445cap-15, 0x1.fa844b28f2b12p-16,
     -0x1.51fd064d7e45ep-16, -0x1.3c9bb279ca39ep-18, 0x1.322d8f67dc3a1p-18, 0x1.45307c07c09b0p-21,
     -0x1.15a9f127f6e6ep-21, -0x1.b741483c31a55p-24, 0x1.5c77718e9dff8p-26, 0x1.3d1e5bab061ddp-27,
     0x1.8421dcf0470e7p-30, 0x1.09ee2b76846c0p-33, 0x1.cce1e2fb13067p-38, 0x1.0a8b4204c23fdp-42}};

/* fastmath.h's pn_atan16d: atan(j/16) rounded to double, and the rest rounded (mpmath). */
const double pn_atan16d[2][16] = {
    {0x0.0p+0, 0x1.ff55bb72cfdeap-5, 0x1.fd5ba9aac2f6ep-4, 0x1.7b97b4bce5b02p-3,
     0x1.f5b75f92c80ddp-3, 0x1.362773707ebccp-2, 0x1.6f61941e4def1p-2, 0x1.a64eec3cc23fdp-2,
     0x1.dac670561bb4fp-2, 0x1.0657e94db30d0p-1, 0x1.1e00babdefeb4p-1, 0x1.345f01cce37bbp-1,
     0x1.4978fa3269ee1p-1, 0x1.5d58987169b18p-1, 0x1.700a7c5784634p-1, 0x1.819d0b7158a4dp-1},
    {0x0.0p+0, -0x1.c934d86d23f1dp-60, -0x1.cd37686760c17p-59, 0x1.347b0b4f881cap-58,
     0x1.8ab6e3cf7afbdp-57, -0x1.963a544b672d8p-57, -0x1.c63aae6f6e918p-56, -0x1.24dec1b50b7ffp-56,
     0x1.a2b7f222f65e2p-56, -0x1.d5b495f6349e6p-56, -0x1.928df287a668fp-58, 0x1.1021137c71102p-55,
     0x1.2419a87f2a458p-56, 0x1.0028e4bc5e7cap-57, -0x1.8c34d25aadef6p-56, -0x1.bf76229d3b917p-56}};

/* fastmath.h's pn_trig32d: sin and cos of j pi/32 rounded to double, and the rest
 * rounded (gen_double_polys.py trig, mpmath). */
const double pn_trig32d[4][16] = {
    {0x0.0p+0, 0x1.917a6bc29b42cp-4, 0x1.8f8b83c69a60bp-3, 0x1.294062ed59f06p-2,
     0x1.87de2a6aea963p-2, 0x1.e2b5d3806f63bp-2, 0x1.1c73b39ae68c8p-1, 0x1.44cf325091dd6p-1,
     0x1.6a09e667f3bcdp-1, 0x1.8bc806b151741p-1, 0x1.a9b66290ea1a3p-1, 0x1.c38b2f180bdb1p-1,
     0x1.d906bcf328d46p-1, 0x1.e9f4156c62ddap-1, 0x1.f6297cff75cb0p-1, 0x1.fd88da3d12526p-1},
    {0x0.0p+0, -0x1.e2718d26ed688p-60, -0x1.26d19b9ff8d82p-57, -0x1.5d28da2c4612dp-56,
     -0x1.72cedd3d5a610p-57, 0x1.e0d891d3c6841p-58, 0x1.b25dd267f6600p-55, 0x1.8076a2cfdc6b3p-57,
     -0x1.bdd3413b26456p-55, -0x1.2c5e12ed1336dp-55, 0x1.9f630e8b6dac8p-60, -0x1.6e0b1757c8d07p-56,
     0x1.457e610231ac2p-56, 0x1.760b1e2e3f81ep-55, 0x1.562172a361fd3p-56, -0x1.87df6378811c7p-55},
    {0x1.0000000000000p+0, 0x1.fd88da3d12526p-1, 0x1.f6297cff75cb0p-1, 0x1.e9f4156c62ddap-1,
     0x1.d906bcf328d46p-1, 0x1.c38b2f180bdb1p-1, 0x1.a9b66290ea1a3p-1, 0x1.8bc806b151741p-1,
     0x1.6a09e667f3bcdp-1, 0x1.44cf325091dd6p-1, 0x1.1c73b39ae68c8p-1, 0x1.e2b5d3806f63bp-2,
     0x1.87de2a6aea963p-2, 0x1.294062ed59f06p-2, 0x1.8f8b83c69a60bp-3, 0x1.917a6bc29b42cp-4},
    {0x0.0p+0, -0x1.87df6378811c7p-55, 0x1.562172a361fd3p-56, 0x1.760b1e2e3f81ep-55,
     0x1.457e610231ac2p-56, -0x1.6e0b1757c8d07p-56, 0x1.9f630e8b6dac8p-60, -0x1.2c5e12ed1336dp-55,
     -0x1.bdd3413b26456p-55, 0x1.8076a2cfdc6b3p-57, 0x1.b25dd267f6600p-55, 0x1.e0d891d3c6841p-58,
     -0x1.72cedd3d5a610p-57, -0x1.5d28da2c4612dp-56, -0x1.26d19b9ff8d82p-57,
     -0x1.e2718d26ed688p-60}};

/* fastmath.h's float64 logarithms (pn_log_f64_core; gen_double_polys.py log, mpmath): 1/c
 * of each interval of z, then each base's log_b c_j and constants. */
const double pn_log_invc16[16] = {
    0x1.6000000000000p+0, 0x1.5800000000000p+0, 0x1.4800000000000p+0, 0x1.3800000000000p+0,
    0x1.3000000000000p+0, 0x1.2800000000000p+0, 0x1.1800000000000p+0, 0x1.1000000000000p+0,
    0x1.0800000000000p+0, 0x1.0000000000000p+0, 0x1.e000000000000p-1, 0x1.c800000000000p-1,
    0x1.b000000000000p-1, 0x1.9800000000000p-1, 0x1.8800000000000p-1, 0x1.7000000000000p-1};
/* fastmath.h's pn_log_f64_pair (pow): R (gen_double_polys.py pow, mpmath). */
const double pn_pow_log_r[8] = {0x1.9999999999610p-3,  -0x1.55555555537a1p-3, 0x1.2492492997491p-3,
                                -0x1.00000018e0cd3p-3, 0x1.c71c2247b9dfbp-4,  -0x1.9998a3da7edb5p-4,
                                0x1.75659b834c8b4p-4,  -0x1.5740b311600cbp-4};
const pn_log_base pn_log_base_e = {
    {-0x1.4618bc21c6000p-2, -0x1.2e8e2bae12000p-2, -0x1.fb9186d5e4000p-3, -0x1.9525a9cf46000p-3,
     -0x1.5ff3070a7a000p-3, -0x1.29552f8200000p-3, -0x1.6f0d28ae58000p-4, -0x1.f0a30c0118000p-5,
     -0x1.f829b0e780000p-6, 0x0.0p+0, 0x1.08598b59e4000p-4, 0x1.da72763844000p-4,
     0x1.5bf406b544000p-3, 0x1.d1037f2656000p-3, 0x1.1178e8227e000p-2, 0x1.522ae0738a000p-2},
    {0x1.3d82f484c84ccp-46, 0x1.67b1e99b72bd8p-45, 0x1.d572aab993c87p-47, 0x1.297137d9f158fp-44,
     0x1.8586f183bebf2p-44, 0x1.5b967f4471dfcp-44, 0x1.4b4641b664613p-44, 0x1.d599e83368e91p-45,
     -0x1.980267c7e09e4p-45, 0x0.0p+0, -0x1.7e5dd7009902cp-46, 0x1.a89401fa71733p-46,
     -0x1.27023eb68981cp-46, -0x1.84a7e75b6f6e4p-47, 0x1.1ef78ce2d07f2p-44, 0x1.ebe708164c759p-45},
    0x1.62e42fefa3800p-1,
    0x1.ef35793c76730p-45,
    0x1.0000000000000p+0,
    0x0.0p+0,
    /* Q, error 2^-60.1 relative, lowest degree first */
    {-0x1.0000000000000p-1, 0x1.5555555555555p-2, -0x1.0000000000000p-2, 0x1.9999999b26b95p-3,
     -0x1.555555570863fp-3, 0x1.249230a078594p-3, -0x1.ffffce58bcaacp-4, 0x1.c80cc5bbae860p-4,
     -0x1.9a7f8f6e05f9cp-4}};
const pn_log_base pn_log_base_2 = {
    {-0x1.d6753e032f000p-2, -0x1.b47ebf7388000p-2, -0x1.6e221cd9d1000p-2, -0x1.24407ab0e0000p-2,
     -0x1.fbc16b9026000p-3, -0x1.acf5e2db4e000p-3, -0x1.08c588cda8000p-3, -0x1.663f6fac90000p-4,
     -0x1.6bad3758f0000p-5, 0x0.0p+0, 0x1.7d60496cfc000p-4, 0x1.563dc29ffa000p-3,
     0x1.f5fd8a9064000p-3, 0x1.4f6fbb2cec000p-2, 0x1.8a8980abfc000p-2, 0x1.e7df5fe539000p-2},
    {0x1.7c407050799bfp-44, -0x1.50520a377c7ecp-45, 0x1.90d43956fa5d8p-45, -0x1.ce60916e52e91p-44,
     -0x1.0144751b3314fp-44, -0x1.927dfc23d9780p-44, 0x1.871a7610e40bdp-45, -0x1.3167ccc538261p-44,
     0x1.3c6764fc87b4ap-48, 0x0.0p+0, -0x1.2ce6312ebb81dp-46, 0x1.964190e41bca7p-44,
     -0x1.cb6f70109b0f1p-47, 0x1.661e393a16b95p-44, -0x1.66cccab240e90p-45, -0x1.532c412ba94dbp-44},
    0x1.0000000000000p+0,
    0x0.0p+0,
    0x1.71547652b82fep+0,
    0x1.777d0ffda0d24p-56,
    /* Q, error 2^-59.7 relative, lowest degree first */
    {-0x1.71547652b82fep-1, 0x1.ec709dc3a03fdp-2, -0x1.71547652b82fep-2, 0x1.2776c51018373p-2,
     -0x1.ec709dc61400cp-3, 0x1.a6173f492c513p-3, -0x1.71545280e5c4ep-3, 0x1.48f86ffc85b83p-3,
     -0x1.281ca7714f228p-3}};
const pn_log_base pn_log_base_10 = {
    {-0x1.1b3e71ec94000p-3, -0x1.06cbd67a6c000p-3, -0x1.b8de4d3ab4000p-4, -0x1.5fe80488b0000p-4,
     -0x1.31b3055c48000p-4, -0x1.02428c1f08000p-4, -0x1.3ed1199a60000p-5, -0x1.af5f92b010000p-6,
     -0x1.b5e908eb20000p-7, 0x0.0p+0, 0x1.cb38fccd90000p-6, 0x1.9c197abf00000p-5,
     0x1.2e3a740b78000p-4, 0x1.93e7de0fc4000p-4, 0x1.db11ed766c000p-4, 0x1.25ba8215b0000p-3},
    {-0x1.ef57776664942p-44, -0x1.db2a2c6287ec0p-46, 0x1.340511b402e0ap-47, 0x1.606adb567e739p-45,
     0x1.dcffc97be8c9cp-45, -0x1.5ea6bc2bc8c2cp-52, 0x1.bdafc8ad828b8p-45, 0x1.9f05921f59258p-46,
     0x1.90dfe0d1601cap-44, 0x0.0p+0, -0x1.00925a535ae72p-44, 0x1.badcf3d6e4566p-46,
     0x1.d288560689912p-53, -0x1.80743406505e6p-48, -0x1.40bcd23c3e44cp-44, -0x1.007bf2d8bf07ap-44},
    0x1.34413509f8000p-2,
    -0x1.80433b83b532ap-44,
    0x1.bcb7b1526e50ep-2,
    0x1.95355baaafad3p-57,
    /* Q, error 2^-59.5 relative, lowest degree first */
    {-0x1.bcb7b1526e50ep-3, 0x1.287a7636f435fp-3, -0x1.bcb7b1526e50ep-4, 0x1.63c627767dfd2p-4,
     -0x1.287a76386e1cfp-4, 0x1.fc3f7b7e624f6p-5, -0x1.bcb78631e980dp-5, 0x1.8c1eb1eb4c973p-5,
     -0x1.648de440413bfp-5}};

/* The interval tables of pn_erff_tab, pn_tanhf_poly, pn_atan2f_poly, pn_atanf_poly and pn_erfcf_tab
 * (fastmath.h), printed by gen_poly_tabs.py, which states each interval's fit error. erf: */
/*  1: [0.03125, 0.0390625), fit error 2^-30.5 relative */
/*  2: [0.0390625, 0.046875), fit error 2^-33.2 relative */
/*  3: [0.046875, 0.0546875), fit error 2^-30.2 relative */
/*  4: [0.0546875, 0.0625), fit error 2^-30.8 relative */
/*  5: [0.0625, 0.078125), fit error 2^-33.0 relative */
/*  6: [0.078125, 0.09375), fit error 2^-30.7 relative */
/*  7: [0.09375, 0.109375), fit error 2^-31.2 relative */
/*  8: [0.109375, 0.125), fit error 2^-36.3 relative */
/*  9: [0.125, 0.15625), fit error 2^-31.4 relative */
/* 10: [0.15625, 0.1875), fit error 2^-32.2 relative */
/* 11: [0.1875, 0.21875), fit error 2^-30.4 relative */
/* 12: [0.21875, 0.25), fit error 2^-30.6 relative */
/* 13: [0.25, 0.3125), fit error 2^-31.2 relative */
/* 14: [0.3125, 0.375), fit error 2^-30.3 relative */
/* 15: [0.375, 0.4375), fit error 2^-33.0 relative */
/* 16: [0.4375, 0.5), fit error 2^-31.9 relative */
/* 17: [0.5, 0.625), fit error 2^-31.5 relative */
/* 18: [0.625, 0.75), fit error 2^-33.0 relative */
/* 19: [0.75, 0.875), fit error 2^-31.1 relative */
/* 20: [0.875, 1), fit error 2^-32.4 relative */
/* 21: [1, 1.25), fit error 2^-32.5 relative */
/* 22: [1.25, 1.5), fit error 2^-33.6 relative */
/* 23: [1.5, 1.75), fit error 2^-33.6 relative */
/* 24: [1.75, 2), fit error 2^-33.5 relative */
/* 25: [2, 2.5), fit error 2^-30.3 relative */
/* 26: [2.5, 3), fit error 2^-30.6 relative */
/* 27: [3, 3.5), fit error 2^-32.4 relative */
/* 28: [3.5, 4), fit error 2^-34.0 relative */
/* centre, c0, c1, ..., c6 of each interval, as X(...) for PN_POLY_TABLES (elementwise.c) */
#define PN_ERF_ROWS(X) \
    X(3.514183685e-02f, 3.963699937e-02f, 1.126986504e+00f, -3.960223496e-02f, -3.660199940e-01f, \
      -1.878893375e-01f, -4.569121704e+02f, 5.283419434e+03f) \
    X(3.514183685e-02f, 3.963699937e-02f, 1.126986504e+00f, -3.960223496e-02f, -3.660199940e-01f, \
      -1.878893375e-01f, -4.569121704e+02f, 5.283419434e+03f) \
    X(4.296904802e-02f, 4.845555499e-02f, 1.126297712e+00f, -4.839720950e-02f, -3.723773360e-01f, \
      2.224201560e-01f, -8.764561462e+01f, -8.039979980e+03f) \
    X(5.078161508e-02f, 5.725169927e-02f, 1.125473142e+00f, -5.715385452e-02f, -3.886775672e-01f, \
      -4.024665803e-02f, 8.101187744e+02f, 7.181430664e+03f) \
    X(5.859492347e-02f, 6.604170054e-02f, 1.124511719e+00f, -6.588556617e-02f, -3.843897581e-01f, \
      -7.872129083e-01f, 6.362789917e+02f, 3.397630859e+04f) \
    X(7.031084597e-02f, 7.920674980e-02f, 1.122814655e+00f, -7.894512266e-02f, -3.702161014e-01f, \
      8.735165931e-03f, -4.606835365e+00f, 2.689012451e+02f) \
    X(8.593747765e-02f, 9.673187137e-02f, 1.120076537e+00f, -9.625544399e-02f, -3.702014983e-01f, \
      -3.716513049e-03f, 3.099873161e+01f, 5.853257446e+02f) \
    X(1.015615463e-01f, 1.142071262e-01f, 1.116800070e+00f, -1.134222895e-01f, -3.664624095e-01f, \
      -1.040539704e-02f, 2.470193481e+01f, 6.930350342e+02f) \
    X(1.171882898e-01f, 1.316299886e-01f, 1.112988949e+00f, -1.304290444e-01f, -3.608589172e-01f, \
      5.611897260e-02f, 8.105097413e-01f, 8.298924255e+01f) \
    X(1.406228840e-01f, 1.576361805e-01f, 1.106284857e+00f, -1.555689722e-01f, -3.538818359e-01f, \
      7.773568481e-02f, -8.657001853e-01f, -4.230402946e+00f) \
    X(1.718739867e-01f, 1.920461357e-01f, 1.095533609e+00f, -1.882943511e-01f, -3.433996737e-01f, \
      9.832599759e-02f, -5.704168677e-01f, -1.527955341e+01f) \
    X(2.031281441e-01f, 2.260917872e-01f, 1.082768559e+00f, -2.199406326e-01f, -3.319774270e-01f, \
      1.039629355e-01f, 2.837764263e+00f, 1.080292416e+01f) \
    X(2.343785912e-01f, 2.597039938e-01f, 1.068065286e+00f, -2.503331304e-01f, -3.160997629e-01f, \
      1.352191120e-01f, -2.562988997e+00f, -3.753465652e+01f) \
    X(2.812532485e-01f, 3.091871142e-01f, 1.042559624e+00f, -2.932235897e-01f, -2.926179767e-01f, \
      1.394511461e-01f, 1.362638026e-01f, -3.155030310e-01f) \
    X(3.437482715e-01f, 3.731274605e-01f, 1.002622843e+00f, -3.446499407e-01f, -2.554130852e-01f, \
      1.587162018e-01f, 2.081594169e-01f, 8.692460507e-02f) \
    X(4.062596858e-01f, 4.343961775e-01f, 9.567006826e-01f, -3.886688352e-01f, -2.136013061e-01f, \
      1.727963388e-01f, 9.814001620e-03f, 2.194983140e-02f) \
    X(4.687485099e-01f, 4.926121235e-01f, 9.057943821e-01f, -4.245899320e-01f, -1.691654623e-01f, \
      1.816077530e-01f, -5.045323819e-02f, -3.256546259e-01f) \
    X(5.625104904e-01f, 5.736830831e-01f, 8.223116398e-01f, -4.625589550e-01f, -1.006261855e-01f, \
      1.825155020e-01f, -1.386985928e-02f, -5.133100972e-02f) \
    X(6.875104308e-01f, 6.690919995e-01f, 7.033586502e-01f, -4.835663736e-01f, -1.282129344e-02f, \
      1.655747145e-01f, -4.031160846e-02f, -3.141189739e-02f) \
    X(8.125022650e-01f, 7.494653463e-01f, 5.831109881e-01f, -4.737790823e-01f, 6.228654459e-02f, \
      1.326763779e-01f, -6.699676812e-02f, -2.615517750e-02f) \
    X(9.374943972e-01f, 8.150997758e-01f, 4.685495198e-01f, -4.392623603e-01f, 1.183430776e-01f, \
      9.083972126e-02f, -6.722780317e-02f, 1.300907042e-02f) \
    X(1.125011563e+00f, 8.883919120e-01f, 3.182656765e-01f, -3.580525815e-01f, 1.624527723e-01f, \
      2.797264419e-02f, -6.111703813e-02f, 1.530439034e-02f) \
    X(1.374971271e+00f, 9.481651783e-01f, 1.703732312e-01f, -2.342583537e-01f, 1.579420120e-01f, \
      -3.048748523e-02f, -3.067542426e-02f, 2.173713781e-02f) \
    X(1.625038624e+00f, 9.784468412e-01f, 8.046215773e-02f, -1.307541281e-01f, 1.148337573e-01f, \
      -4.971803725e-02f, -2.276380314e-03f, 1.436744817e-02f) \
    X(1.874981403e+00f, 9.919894338e-01f, 3.354816884e-02f, -6.290217489e-02f, 6.744461507e-02f, \
      -4.226288572e-02f, 1.135974936e-02f, 4.197740927e-03f) \
    X(2.250052691e+00f, 9.985376596e-01f, 7.140608504e-03f, -1.606670581e-02f, 2.172285691e-02f, \
      -1.908647828e-02f, 1.058141794e-02f, -2.767539583e-03f) \
    X(2.750015736e+00f, 9.998993874e-01f, 5.862431135e-04f, -1.612143009e-03f, 2.758022631e-03f, \
      -3.257296048e-03f, 2.825445496e-03f, -1.669674297e-03f) \
    X(3.250383854e+00f, 9.999957085e-01f, 2.912045420e-05f, -9.465002950e-05f, 1.948027057e-04f, \
      -2.853566839e-04f, 3.317339870e-04f, -2.754324523e-04f) \
    X(3.743984222e+00f, 9.999998808e-01f, 9.220777883e-07f, -3.439206694e-06f, 8.289934158e-06f, \
      -1.485460871e-05f, 2.038486491e-05f, -1.642007192e-05f) \
    X(4.000000000e+00f, 1.000000000e+00f, 0.000000000e+00f, 0.000000000e+00f, 0.000000000e+00f, \
      0.000000000e+00f, 0.000000000e+00f, 0.000000000e+00f) \
    X(4.000000000e+00f, 1.000000000e+00f, 0.000000000e+00f, 0.000000000e+00f, 0.000000000e+00f, \
      0.000000000e+00f, 0.000000000e+00f, 0.000000000e+00f) \
    X(4.000000000e+00f, 1.000000000e+00f, 0.000000000e+00f, 0.000000000e+00f, 0.000000000e+00f, \
      0.000000000e+00f, 0.000000000e+00f, 0.000000000e+00f)
/* tanh: */
/*  0: [0, 0.0625), fit error 2^-39.0 relative */
/*  1: [0.0625, 0.078125), fit error 2^-31.5 relative */
/*  2: [0.078125, 0.09375), fit error 2^-31.1 relative */
/*  3: [0.09375, 0.109375), fit error 2^-31.5 relative */
/*  4: [0.109375, 0.125), fit error 2^-32.7 relative */
/*  5: [0.125, 0.15625), fit error 2^-32.1 relative */
/*  6: [0.15625, 0.1875), fit error 2^-31.5 relative */
/*  7: [0.1875, 0.21875), fit error 2^-32.1 relative */
/*  8: [0.21875, 0.25), fit error 2^-33.3 relative */
/*  9: [0.25, 0.3125), fit error 2^-34.1 relative */
/* 10: [0.3125, 0.375), fit error 2^-31.3 relative */
/* 11: [0.375, 0.4375), fit error 2^-33.5 relative */
/* 12: [0.4375, 0.5), fit error 2^-31.6 relative */
/* 13: [0.5, 0.625), fit error 2^-31.4 relative */
/* 14: [0.625, 0.75), fit error 2^-31.5 relative */
/* 15: [0.75, 0.875), fit error 2^-30.7 relative */
/* 16: [0.875, 1), fit error 2^-31.9 relative */
/* 17: [1, 1.25), fit error 2^-32.3 relative */
/* 18: [1.25, 1.5), fit error 2^-32.1 relative */
/* 19: [1.5, 1.75), fit error 2^-33.6 relative */
/* 20: [1.75, 2), fit error 2^-33.7 relative */
/* 21: [2, 2.5), fit error 2^-32.7 relative */
/* 22: [2.5, 3), fit error 2^-32.9 relative */
/* 23: [3, 3.5), fit error 2^-33.7 relative */
/* 24: [3.5, 4), fit error 2^-35.1 relative */
/* 25: [4, 5), fit error 2^-30.2 relative */
/* 26: [5, 6), fit error 2^-33.0 relative */
/* 27: [6, 7), fit error 2^-34.1 relative */
/* 28: [7, 8), fit error 2^-34.0 relative */
/* 29: [8, 9.5), fit error 2^-34.0 relative */
/* centre, c0, c1, ..., c6 of each interval, as X(...) for PN_POLY_TABLES (elementwise.c) */
#define PN_TANH_ROWS(X) \
    X(0.000000000e+00f, 0.000000000e+00f, 1.000000000e+00f, -1.257011051e-09f, -3.333330452e-01f, \
      -2.126560321e-05f, 1.340162903e-01f, -9.947658516e-03f) \
    X(7.031052560e-02f, 7.019489259e-02f, 9.950726628e-01f, -6.985077262e-02f, -3.258472681e-01f, \
      1.147680059e-01f, -1.225475883e+01f, -6.944183960e+02f) \
    X(8.593746275e-02f, 8.572652936e-02f, 9.926509857e-01f, -8.509495109e-02f, -3.251352906e-01f, \
      -7.727848366e-03f, 2.041566277e+01f, 6.655522461e+02f) \
    X(1.015641317e-01f, 1.012163460e-01f, 9.897552729e-01f, -1.001778468e-01f, -3.211961091e-01f, \
      3.945082426e-03f, 1.872615242e+01f, 6.330884399e+02f) \
    X(1.171904132e-01f, 1.166568622e-01f, 9.863911867e-01f, -1.150682345e-01f, -3.160476387e-01f, \
      3.460244089e-02f, 8.987254143e+00f, 4.036508179e+02f) \
    X(1.406297088e-01f, 1.397099197e-01f, 9.804811478e-01f, -1.369830072e-01f, -3.078435957e-01f, \
      8.871600032e-02f, 6.179500222e-01f, 8.437379003e-01f) \
    X(1.718737483e-01f, 1.702010930e-01f, 9.710316062e-01f, -1.652699709e-01f, -2.958476543e-01f, \
      9.870044887e-02f, 1.085400343e+00f, 1.723149490e+01f) \
    X(2.031242400e-01f, 2.003759891e-01f, 9.598494768e-01f, -1.923310012e-01f, -2.816377878e-01f, \
      1.218907759e-01f, 8.331615925e-01f, -2.300428152e+00f) \
    X(2.343889177e-01f, 2.301888913e-01f, 9.470130801e-01f, -2.179911882e-01f, -2.655902505e-01f, \
      1.272159368e-01f, 4.078491628e-01f, 1.598512554e+01f) \
    X(2.812432349e-01f, 2.740553319e-01f, 9.248936772e-01f, -2.534720004e-01f, -2.388417870e-01f, \
      1.498394608e-01f, 6.673029810e-02f, -4.100399558e-03f) \
    X(3.437515497e-01f, 3.308224976e-01f, 8.905564547e-01f, -2.946161330e-01f, -1.993028969e-01f, \
      1.642999500e-01f, -3.654197231e-02f, -2.012382448e-01f) \
    X(4.062443078e-01f, 3.852791190e-01f, 8.515599966e-01f, -3.280886114e-01f, -1.574310064e-01f, \
      1.707894057e-01f, -8.245675825e-03f, -5.348634124e-01f) \
    X(4.687534869e-01f, 4.371916056e-01f, 8.088635206e-01f, -3.536285460e-01f, -1.151022837e-01f, \
      1.685608178e-01f, 5.205439404e-02f, -2.533444464e-01f) \
    X(5.625065565e-01f, 5.098348260e-01f, 7.400684357e-01f, -3.773126006e-01f, -5.430771410e-02f, \
      1.534381509e-01f, -4.655630141e-02f, -3.442607075e-02f) \
    X(6.874874234e-01f, 5.963654518e-01f, 6.443482637e-01f, -3.842669129e-01f, 1.436431054e-02f, \
      1.194375083e-01f, -5.824847892e-02f, 4.635444784e-04f) \
    X(8.124790192e-01f, 6.709555387e-01f, 5.498186946e-01f, -3.689039648e-01f, 6.421484798e-02f, \
      7.989817858e-02f, -5.649367720e-02f, 3.394423984e-03f) \
    X(9.375198483e-01f, 7.340806723e-01f, 4.611255527e-01f, -3.385031819e-01f, 9.479460865e-02f, \
      4.315954074e-02f, -5.603255704e-02f, 3.093709424e-02f) \
    X(1.125119925e+00f, 8.093424439e-01f, 3.449648023e-01f, -2.791946530e-01f, 1.109777689e-01f, \
      3.247300861e-03f, -3.209952265e-02f, 1.850126684e-02f) \
    X(1.375041008e+00f, 8.798359632e-01f, 2.258886695e-01f, -1.987450123e-01f, 9.956953675e-02f, \
      -2.134925313e-02f, -9.605595842e-03f, 1.076848898e-02f) \
    X(1.624985695e+00f, 9.253441691e-01f, 1.437381655e-01f, -1.330072731e-01f, 7.516597211e-02f, \
      -2.521800064e-02f, 1.363281859e-03f, 4.121001810e-03f) \
    X(1.875007033e+00f, 9.540458918e-01f, 8.979643881e-02f, -8.566992730e-02f, 5.180044100e-02f, \
      -2.086312883e-02f, 4.636241589e-03f, 6.209350540e-04f) \
    X(2.249943256e+00f, 9.780236483e-01f, 4.346974194e-02f, -4.251442850e-02f, 2.709050477e-02f, \
      -1.232421305e-02f, 3.977873363e-03f, -7.169016753e-04f) \
    X(2.750066757e+00f, 9.918608069e-01f, 1.621214300e-02f, -1.608019508e-02f, 1.054485887e-02f, \
      -5.098906346e-03f, 1.915217494e-03f, -5.508395261e-04f) \
    X(3.249913692e+00f, 9.969971180e-01f, 5.996747874e-03f, -5.978742614e-03f, 3.961685579e-03f, \
      -1.956928987e-03f, 7.703020819e-04f, -2.441385877e-04f) \
    X(3.750085592e+00f, 9.988946319e-01f, 2.209515078e-03f, -2.207072917e-03f, 1.468041330e-03f, \
      -7.307681371e-04f, 2.925592125e-04f, -9.577527089e-05f) \
    X(4.500052452e+00f, 9.997532368e-01f, 4.934761673e-04f, -4.933522432e-04f, 3.283920814e-04f, \
      -1.640533883e-04f, 6.828724872e-05f, -2.262070302e-05f) \
    X(5.500362396e+00f, 9.999666214e-01f, 6.675747136e-05f, -6.675582699e-05f, 4.445458399e-05f, \
      -2.222136754e-05f, 9.266649613e-06f, -3.091952749e-06f) \
    X(6.498978138e+00f, 9.999954700e-01f, 9.059773220e-06f, -9.056730960e-06f, 6.037520052e-06f, \
      -3.044623554e-06f, 1.244249006e-06f, -3.549219798e-07f) \
    X(7.512998581e+00f, 9.999994040e-01f, 1.192208060e-06f, -1.196207336e-06f, 7.946168239e-07f, \
      -3.557690889e-07f, 1.628760629e-07f, -1.623169936e-07f) \
    X(8.664827347e+00f, 9.999999404e-01f, 1.190930163e-07f, -1.175268949e-07f, 7.926880130e-08f, \
      -4.601653458e-08f, 1.690406926e-08f, 9.156269076e-10f) \
    X(8.664827347e+00f, 9.999999404e-01f, 1.190930163e-07f, -1.175268949e-07f, 7.926880130e-08f, \
      -4.601653458e-08f, 1.690406926e-08f, 9.156269076e-10f) \
    X(8.664827347e+00f, 9.999999404e-01f, 1.190930163e-07f, -1.175268949e-07f, 7.926880130e-08f, \
      -4.601653458e-08f, 1.690406926e-08f, 9.156269076e-10f)
/* atan: */
/*  0: [0, 0.0625), fit error 2^-37.6 relative */
/*  1: [0.0625, 0.078125), fit error 2^-32.1 relative */
/*  2: [0.078125, 0.09375), fit error 2^-32.2 relative */
/*  3: [0.09375, 0.109375), fit error 2^-33.9 relative */
/*  4: [0.109375, 0.125), fit error 2^-35.1 relative */
/*  5: [0.125, 0.15625), fit error 2^-31.2 relative */
/*  6: [0.15625, 0.1875), fit error 2^-34.0 relative */
/*  7: [0.1875, 0.21875), fit error 2^-32.1 relative */
/*  8: [0.21875, 0.25), fit error 2^-31.8 relative */
/*  9: [0.25, 0.3125), fit error 2^-33.2 relative */
/* 10: [0.3125, 0.375), fit error 2^-33.2 relative */
/* 11: [0.375, 0.4375), fit error 2^-31.1 relative */
/* 12: [0.4375, 0.5), fit error 2^-32.1 relative */
/* 13: [0.5, 0.625), fit error 2^-30.4 relative */
/* 14: [0.625, 0.75), fit error 2^-32.5 relative */
/* 15: [0.75, 0.875), fit error 2^-31.1 relative */
/* 16: [0.875, 1), fit error 2^-31.0 relative */
/* 18: [0, 0.125), fit error 2^-34.7 relative */
/* 19: [0.125, 0.15625), fit error 2^-34.8 relative */
/* 20: [0.15625, 0.1875), fit error 2^-33.6 relative */
/* 21: [0.1875, 0.21875), fit error 2^-34.2 relative */
/* 22: [0.21875, 0.25), fit error 2^-34.1 relative */
/* 23: [0.25, 0.3125), fit error 2^-32.6 relative */
/* 24: [0.3125, 0.375), fit error 2^-32.6 relative */
/* 25: [0.375, 0.4375), fit error 2^-34.1 relative */
/* 26: [0.4375, 0.5), fit error 2^-33.6 relative */
/* 27: [0.5, 0.625), fit error 2^-32.1 relative */
/* 28: [0.625, 0.75), fit error 2^-33.2 relative */
/* 29: [0.75, 0.875), fit error 2^-31.3 relative */
/* 30: [0.875, 1), fit error 2^-31.1 relative */
/* centre, c0, c1, ..., c6 of each interval, as X(...) for PN_POLY_TABLES (elementwise.c) */
#define PN_ATAN_ROWS(X) \
    X(0.000000000e+00f, 0.000000000e+00f, 1.000000000e+00f, -3.294664763e-09f, -3.333325982e-01f, \
      -5.435658750e-05f, 2.017616779e-01f, -2.596329153e-02f) \
    X(7.031245530e-02f, 7.019692659e-02f, 9.950804710e-01f, -6.962367892e-02f, -3.229743242e-01f, \
      1.200064644e-01f, -7.632787228e+00f, -5.168217773e+02f) \
    X(8.593698591e-02f, 8.572636545e-02f, 9.926689863e-01f, -8.468093723e-02f, -3.195562065e-01f, \
      5.582057312e-02f, 9.676292419e+00f, 2.842264709e+02f) \
    X(1.015585735e-01f, 1.012115553e-01f, 9.897911549e-01f, -9.949656576e-02f, -3.134498298e-01f, \
      1.318180114e-01f, 3.190209866e+00f, -3.288797607e+02f) \
    X(1.171883270e-01f, 1.166562513e-01f, 9.864529371e-01f, -1.140346751e-01f, -3.066501319e-01f, \
      1.084188670e-01f, -1.625598431e+00f, 5.129995823e+00f) \
    X(1.406248808e-01f, 1.397087574e-01f, 9.806081057e-01f, -1.352244169e-01f, -2.953641415e-01f, \
      1.338953525e-01f, -8.506524563e-01f, -1.721156502e+01f) \
    X(1.718718559e-01f, 1.702088714e-01f, 9.713076353e-01f, -1.621512175e-01f, -2.783791423e-01f, \
      1.558523178e-01f, 9.499137849e-02f, -2.003063393e+01f) \
    X(2.031228542e-01f, 2.003964931e-01f, 9.603759646e-01f, -1.873442680e-01f, -2.589437962e-01f, \
      1.615974903e-01f, 8.557553291e-01f, 1.040949631e+01f) \
    X(2.343701273e-01f, 2.302149683e-01f, 9.479307532e-01f, -2.105989456e-01f, -2.368233204e-01f, \
      1.823865771e-01f, -9.670488834e-01f, -9.588365555e+00f) \
    X(2.812549174e-01f, 2.741720080e-01f, 9.266944528e-01f, -2.415312231e-01f, -2.022999972e-01f, \
      1.910680085e-01f, 1.802441850e-02f, -1.800123751e-01f) \
    X(3.437462747e-01f, 3.310927451e-01f, 8.943251967e-01f, -2.749339938e-01f, -1.539298445e-01f, \
      1.931868345e-01f, 2.449747641e-03f, 3.366809189e-01f) \
    X(4.062552154e-01f, 3.858871460e-01f, 8.583372235e-01f, -2.993056774e-01f, -1.065327749e-01f, \
      1.842086166e-01f, 4.273371771e-02f, -7.080546021e-02f) \
    X(4.687480628e-01f, 4.383349717e-01f, 8.198571205e-01f, -3.150762618e-01f, -6.266929954e-02f, \
      1.649899334e-01f, -2.003461123e-02f, 1.325905025e-01f) \
    X(5.624604821e-01f, 5.123594403e-01f, 7.596695423e-01f, -3.245949149e-01f, -7.410884835e-03f, \
      1.281780452e-01f, -8.998672664e-02f, -2.462746389e-02f) \
    X(6.875036955e-01f, 6.022898555e-01f, 6.790427566e-01f, -3.170070946e-01f, 4.361710697e-02f, \
      7.695721090e-02f, -7.374283671e-02f, 4.280759022e-02f) \
    X(8.125045300e-01f, 6.823192835e-01f, 6.023502946e-01f, -2.947975695e-01f, 7.140336186e-02f, \
      3.629627824e-02f, -4.920202494e-02f, 3.868011385e-02f) \
    X(9.374921918e-01f, 7.531471252e-01f, 5.322287083e-01f, -2.655609846e-01f, 8.222046494e-02f, \
      9.122706018e-03f, -2.752614766e-02f, 2.403422445e-02f) \
    X(9.374921918e-01f, 7.531471252e-01f, 5.322287083e-01f, -2.655609846e-01f, 8.222046494e-02f, \
      9.122706018e-03f, -2.752614766e-02f, 2.403422445e-02f) \
    X(6.249948591e-02f, 1.508378029e+00f, -9.961090088e-01f, 6.201413274e-02f, 3.255911171e-01f, \
      -6.133174151e-02f, -1.867986619e-01f, 6.588995457e-02f) \
    X(1.406225264e-01f, 1.431089878e+00f, -9.806087613e-01f, 1.352252811e-01f, 2.956760228e-01f, \
      -1.662323475e-01f, -1.686604619e-01f, 1.057319794e+02f) \
    X(1.718749404e-01f, 1.400584459e+00f, -9.713066220e-01f, 1.621595472e-01f, 2.781243920e-01f, \
      -2.117533833e-01f, 8.322576284e-01f, 1.580755615e+02f) \
    X(2.031254619e-01f, 1.370397329e+00f, -9.603749514e-01f, 1.873470396e-01f, 2.583486438e-01f, \
      -1.685965210e-01f, 1.089274883e+00f, 6.771409988e+00f) \
    X(2.343718261e-01f, 1.340579748e+00f, -9.479300380e-01f, 2.106021941e-01f, 2.368127257e-01f, \
      -2.002105862e-01f, 1.021095514e+00f, 5.062770844e+01f) \
    X(2.812441289e-01f, 1.296634316e+00f, -9.266996980e-01f, 2.415237278e-01f, 2.024482638e-01f, \
      -1.889786273e-01f, -1.334039718e-01f, -1.038246274e+00f) \
    X(3.437497914e-01f, 1.239700437e+00f, -8.943232298e-01f, 2.749368250e-01f, 1.537887156e-01f, \
      -1.958607286e-01f, 1.118915156e-01f, 1.230606556e+00f) \
    X(4.062471092e-01f, 1.184916139e+00f, -8.583420515e-01f, 2.993040681e-01f, 1.064407527e-01f, \
      -1.868863404e-01f, 3.590363264e-02f, 1.867099285e+00f) \
    X(4.687575698e-01f, 1.132453561e+00f, -8.198511004e-01f, 3.150779903e-01f, 6.254326552e-02f, \
      -1.648927927e-01f, 1.181399822e-01f, -1.701917052e-01f) \
    X(5.624837279e-01f, 1.058419228e+00f, -7.596544623e-01f, 3.245950639e-01f, 7.410086691e-03f, \
      -1.279376596e-01f, 8.772574365e-02f, -1.242612302e-02f) \
    X(6.874921322e-01f, 9.685143232e-01f, -6.790500879e-01f, 3.170089722e-01f, -4.361362010e-02f, \
      -7.717484981e-02f, 7.377566397e-02f, -1.023859996e-02f) \
    X(8.124909997e-01f, 8.884851933e-01f, -6.023582220e-01f, 2.948006988e-01f, -7.145266235e-02f, \
      -3.643015027e-02f, 5.971015990e-02f, -1.931709796e-02f) \
    X(9.375065565e-01f, 8.176415563e-01f, -5.322210789e-01f, 2.655575573e-01f, -8.222095668e-02f, \
      -9.202104993e-03f, 2.751160599e-02f, -9.842886589e-03f) \
    X(9.375065565e-01f, 8.176415563e-01f, -5.322210789e-01f, 2.655575573e-01f, -8.222095668e-02f, \
      -9.202104993e-03f, 2.751160599e-02f, -9.842886589e-03f)

/* atanx (the atan op's own table, |x| < 8): */
/*  0: [0, 0.0625), fit error 2^-37.6 relative */
/*  1: [0.0625, 0.078125), fit error 2^-32.1 relative */
/*  2: [0.078125, 0.09375), fit error 2^-32.2 relative */
/*  3: [0.09375, 0.109375), fit error 2^-33.9 relative */
/*  4: [0.109375, 0.125), fit error 2^-35.1 relative */
/*  5: [0.125, 0.15625), fit error 2^-31.2 relative */
/*  6: [0.15625, 0.1875), fit error 2^-34.0 relative */
/*  7: [0.1875, 0.21875), fit error 2^-32.1 relative */
/*  8: [0.21875, 0.25), fit error 2^-31.8 relative */
/*  9: [0.25, 0.3125), fit error 2^-33.2 relative */
/* 10: [0.3125, 0.375), fit error 2^-33.2 relative */
/* 11: [0.375, 0.4375), fit error 2^-31.1 relative */
/* 12: [0.4375, 0.5), fit error 2^-32.1 relative */
/* 13: [0.5, 0.625), fit error 2^-30.4 relative */
/* 14: [0.625, 0.75), fit error 2^-32.5 relative */
/* 15: [0.75, 0.875), fit error 2^-31.1 relative */
/* 16: [0.875, 1), fit error 2^-31.0 relative */
/* 17: [1, 1.25), fit error 2^-32.4 relative */
/* 18: [1.25, 1.5), fit error 2^-31.5 relative */
/* 19: [1.5, 1.75), fit error 2^-32.8 relative */
/* 20: [1.75, 2), fit error 2^-32.5 relative */
/* 21: [2, 2.5), fit error 2^-31.8 relative */
/* 22: [2.5, 3), fit error 2^-33.1 relative */
/* 23: [3, 3.5), fit error 2^-33.2 relative */
/* 24: [3.5, 4), fit error 2^-33.1 relative */
/* 25: [4, 5), fit error 2^-31.5 relative */
/* 26: [5, 6), fit error 2^-32.9 relative */
/* 27: [6, 7), fit error 2^-34.0 relative */
/* 28: [7, 8), fit error 2^-33.9 relative */
#define PN_ATANX_ROWS(X) \
    X(0.000000000e+00f, 0.000000000e+00f, 1.000000000e+00f, -3.294664763e-09f, -3.333325982e-01f, \
      -5.435658750e-05f, 2.017616779e-01f, -2.596329153e-02f) \
    X(7.031245530e-02f, 7.019692659e-02f, 9.950804710e-01f, -6.962367892e-02f, -3.229743242e-01f, \
      1.200064644e-01f, -7.632787228e+00f, -5.168217773e+02f) \
    X(8.593698591e-02f, 8.572636545e-02f, 9.926689863e-01f, -8.468093723e-02f, -3.195562065e-01f, \
      5.582057312e-02f, 9.676292419e+00f, 2.842264709e+02f) \
    X(1.015585735e-01f, 1.012115553e-01f, 9.897911549e-01f, -9.949656576e-02f, -3.134498298e-01f, \
      1.318180114e-01f, 3.190209866e+00f, -3.288797607e+02f) \
    X(1.171883270e-01f, 1.166562513e-01f, 9.864529371e-01f, -1.140346751e-01f, -3.066501319e-01f, \
      1.084188670e-01f, -1.625598431e+00f, 5.129995823e+00f) \
    X(1.406248808e-01f, 1.397087574e-01f, 9.806081057e-01f, -1.352244169e-01f, -2.953641415e-01f, \
      1.338953525e-01f, -8.506524563e-01f, -1.721156502e+01f) \
    X(1.718718559e-01f, 1.702088714e-01f, 9.713076353e-01f, -1.621512175e-01f, -2.783791423e-01f, \
      1.558523178e-01f, 9.499137849e-02f, -2.003063393e+01f) \
    X(2.031228542e-01f, 2.003964931e-01f, 9.603759646e-01f, -1.873442680e-01f, -2.589437962e-01f, \
      1.615974903e-01f, 8.557553291e-01f, 1.040949631e+01f) \
    X(2.343701273e-01f, 2.302149683e-01f, 9.479307532e-01f, -2.105989456e-01f, -2.368233204e-01f, \
      1.823865771e-01f, -9.670488834e-01f, -9.588365555e+00f) \
    X(2.812549174e-01f, 2.741720080e-01f, 9.266944528e-01f, -2.415312231e-01f, -2.022999972e-01f, \
      1.910680085e-01f, 1.802441850e-02f, -1.800123751e-01f) \
    X(3.437462747e-01f, 3.310927451e-01f, 8.943251967e-01f, -2.749339938e-01f, -1.539298445e-01f, \
      1.931868345e-01f, 2.449747641e-03f, 3.366809189e-01f) \
    X(4.062552154e-01f, 3.858871460e-01f, 8.583372235e-01f, -2.993056774e-01f, -1.065327749e-01f, \
      1.842086166e-01f, 4.273371771e-02f, -7.080546021e-02f) \
    X(4.687480628e-01f, 4.383349717e-01f, 8.198571205e-01f, -3.150762618e-01f, -6.266929954e-02f, \
      1.649899334e-01f, -2.003461123e-02f, 1.325905025e-01f) \
    X(5.624604821e-01f, 5.123594403e-01f, 7.596695423e-01f, -3.245949149e-01f, -7.410884835e-03f, \
      1.281780452e-01f, -8.998672664e-02f, -2.462746389e-02f) \
    X(6.875036955e-01f, 6.022898555e-01f, 6.790427566e-01f, -3.170070946e-01f, 4.361710697e-02f, \
      7.695721090e-02f, -7.374283671e-02f, 4.280759022e-02f) \
    X(8.125045300e-01f, 6.823192835e-01f, 6.023502946e-01f, -2.947975695e-01f, 7.140336186e-02f, \
      3.629627824e-02f, -4.920202494e-02f, 3.868011385e-02f) \
    X(9.374921918e-01f, 7.531471252e-01f, 5.322287083e-01f, -2.655609846e-01f, 8.222046494e-02f, \
      9.122706018e-03f, -2.752614766e-02f, 2.403422445e-02f) \
    X(1.124967217e+00f, 8.441395164e-01f, 4.413936734e-01f, -2.191755623e-01f, 8.016975969e-02f, \
      -1.133604161e-02f, -1.249176264e-02f, 1.334275492e-02f) \
    X(1.374928474e+00f, 9.419752955e-01f, 3.459694982e-01f, -1.645718962e-01f, 6.447815895e-02f, \
      -1.754218899e-02f, 2.813266838e-05f, 4.199364223e-03f) \
    X(1.625030279e+00f, 1.019149661e+00f, 2.746706903e-01f, -1.225986630e-01f, 4.781353101e-02f, \
      -1.518991496e-02f, 2.983260667e-03f, 1.129168319e-03f) \
    X(1.874968410e+00f, 1.080832005e+00f, 2.214590907e-01f, -9.195611626e-02f, 3.456413001e-02f, \
      -1.135612093e-02f, 2.852841513e-03f, 6.074259363e-05f) \
    X(2.249884605e+00f, 1.152552962e+00f, 1.649625897e-01f, -6.122534350e-02f, 2.122667432e-02f, \
      -6.767285988e-03f, 1.928666723e-03f, -4.441414785e-04f) \
    X(2.750031233e+00f, 1.222028971e+00f, 1.167859808e-01f, -3.750755265e-02f, 1.151491981e-02f, \
      -3.358349903e-03f, 9.249586146e-04f, -2.188216022e-04f) \
    X(3.249983311e+00f, 1.272295952e+00f, 8.648730069e-02f, -2.431005612e-02f, 6.617250852e-03f, \
      -1.738459338e-03f, 4.431747948e-04f, -1.091165032e-04f) \
    X(3.750082016e+00f, 1.310199380e+00f, 6.638733298e-02f, -1.652763784e-02f, 4.016967025e-03f, \
      -9.520802996e-04f, 2.222450858e-04f, -4.381177860e-05f) \
    X(4.499998569e+00f, 1.352127314e+00f, 4.705885798e-02f, -9.965407662e-03f, 2.075402066e-03f, \
      -4.247894394e-04f, 8.676901052e-05f, -1.706506555e-05f) \
    X(5.500338554e+00f, 1.390953660e+00f, 3.199618682e-02f, -5.631003063e-03f, 9.800556581e-04f, \
      -1.686411997e-04f, 2.896803926e-05f, -4.862095921e-06f) \
    X(6.499813080e+00f, 1.418142676e+00f, 2.312268689e-02f, -3.475176170e-03f, 5.181617453e-04f, \
      -7.668742182e-05f, 1.134176273e-05f, -1.525559014e-06f) \
    X(7.500349522e+00f, 1.438250899e+00f, 1.746564917e-02f, -2.287968528e-03f, 2.979477867e-04f, \
      -3.860911238e-05f, 4.971244834e-06f, -5.336488016e-07f) \
    X(7.500349522e+00f, 1.438250899e+00f, 1.746564917e-02f, -2.287968528e-03f, 2.979477867e-04f, \
      -3.860911238e-05f, 4.971244834e-06f, -5.336488016e-07f) \
    X(7.500349522e+00f, 1.438250899e+00f, 1.746564917e-02f, -2.287968528e-03f, 2.979477867e-04f, \
      -3.860911238e-05f, 4.971244834e-06f, -5.336488016e-07f) \
    X(7.500349522e+00f, 1.438250899e+00f, 1.746564917e-02f, -2.287968528e-03f, 2.979477867e-04f, \
      -3.860911238e-05f, 4.971244834e-06f, -5.336488016e-07f)

/* erfcx: */
/*  0: [0, 0.0625), fit error 2^-33.5 relative */
/*  1: [0.0625, 0.078125), fit error 2^-33.9 relative */
/*  2: [0.078125, 0.09375), fit error 2^-34.0 relative */
/*  3: [0.09375, 0.109375), fit error 2^-34.4 relative */
/*  4: [0.109375, 0.125), fit error 2^-34.3 relative */
/*  5: [0.125, 0.15625), fit error 2^-33.7 relative */
/*  6: [0.15625, 0.1875), fit error 2^-33.2 relative */
/*  7: [0.1875, 0.21875), fit error 2^-34.5 relative */
/*  8: [0.21875, 0.25), fit error 2^-33.0 relative */
/*  9: [0.25, 0.3125), fit error 2^-33.8 relative */
/* 10: [0.3125, 0.375), fit error 2^-32.7 relative */
/* 11: [0.375, 0.4375), fit error 2^-32.3 relative */
/* 12: [0.4375, 0.5), fit error 2^-32.7 relative */
/* 13: [0.5, 0.625), fit error 2^-35.5 relative */
/* 14: [0.625, 0.75), fit error 2^-31.6 relative */
/* 15: [0.75, 0.875), fit error 2^-33.2 relative */
/* 16: [0.875, 1), fit error 2^-32.1 relative */
/* 17: [1, 1.25), fit error 2^-32.3 relative */
/* 18: [1.25, 1.5), fit error 2^-32.2 relative */
/* 19: [1.5, 1.75), fit error 2^-31.8 relative */
/* 20: [1.75, 2), fit error 2^-31.9 relative */
/* 21: [2, 2.5), fit error 2^-30.8 relative */
/* 22: [2.5, 3), fit error 2^-32.3 relative */
/* 23: [3, 3.5), fit error 2^-31.0 relative */
/* 24: [3.5, 4), fit error 2^-31.4 relative */
/* 25: [4, 5), fit error 2^-28.8 relative */
/* 26: [5, 6), fit error 2^-30.4 relative */
/* 27: [6, 7), fit error 2^-30.8 relative */
/* 28: [7, 8), fit error 2^-32.4 relative */
/* 29: [8, 10), fit error 2^-28.2 relative */
/* 30: [10, 10.1), fit error 2^-33.9 relative */
/* centre, c0, c1, ..., c6 of each interval, as X(...) for PN_POLY_TABLES (elementwise.c) */
#define PN_ERFCX_ROWS(X) \
    X(0.000000000e+00f, 1.000000000e+00f, -1.128379226e+00f, 1.000013232e+00f, -7.532228231e-01f, \
      5.310474038e-01f, -7.519494891e-01f, 2.598972797e+00f) \
    X(7.031448931e-02f, 9.253529310e-01f, -9.982477427e-01f, 8.551468849e-01f, -6.243751049e-01f, \
      9.928570986e-01f, -1.564997196e+01f, -5.909946289e+03f) \
    X(8.593185246e-02f, 9.099691510e-01f, -9.719884992e-01f, 8.264296651e-01f, -6.004947424e-01f, \
      1.016652584e+00f, -2.726287603e+00f, -6.740661133e+03f) \
    X(1.015618965e-01f, 8.949765563e-01f, -9.465881586e-01f, 7.988361716e-01f, -5.753586292e-01f, \
      4.795993268e-01f, -2.148972321e+01f, -1.022959229e+03f) \
    X(1.171796620e-01f, 8.803856373e-01f, -9.220525622e-01f, 7.723345757e-01f, -5.558707714e-01f, \
      5.448806286e-01f, 1.991078758e+01f, -1.829998047e+03f) \
    X(1.406242251e-01f, 8.591859937e-01f, -8.867344260e-01f, 7.344864011e-01f, -5.225151181e-01f, \
      3.614841998e-01f, 5.658171177e-01f, -7.586599731e+01f) \
    X(1.718768030e-01f, 8.321750164e-01f, -8.423160315e-01f, 6.874015927e-01f, -4.823314846e-01f, \
      2.917787433e-01f, -1.640928507e+00f, 2.493097115e+01f) \
    X(2.031238824e-01f, 8.065118194e-01f, -8.007355332e-01f, 6.438624859e-01f, -4.468005300e-01f, \
      2.839825153e-01f, 3.938490450e-01f, -1.756016731e+01f) \
    X(2.343834043e-01f, 7.820969820e-01f, -7.617580891e-01f, 6.035518050e-01f, -4.130631983e-01f, \
      2.684652209e-01f, -1.680903912e+00f, -3.521437454e+01f) \
    X(2.812514901e-01f, 7.476792336e-01f, -7.078073621e-01f, 5.486074686e-01f, -3.690396249e-01f, \
      2.221841961e-01f, -9.593996406e-02f, 1.871514916e-01f) \
    X(3.437481821e-01f, 7.054995894e-01f, -6.433507800e-01f, 4.843494296e-01f, -3.178399205e-01f, \
      1.864054203e-01f, -1.545948535e-01f, 7.291235328e-01f) \
    X(4.062441587e-01f, 6.671096683e-01f, -5.863603354e-01f, 4.289042056e-01f, -2.748280764e-01f, \
      1.586630046e-01f, -1.776183955e-02f, 1.352662127e-02f) \
    X(4.687540829e-01f, 6.320675015e-01f, -5.358107090e-01f, 3.809043765e-01f, -2.382314354e-01f, \
      1.339056641e-01f, -2.248206921e-02f, 4.463846684e-01f) \
    X(5.625005364e-01f, 5.849983692e-01f, -4.702553749e-01f, 3.204794526e-01f, -1.933226734e-01f, \
      1.058758050e-01f, -5.376741290e-02f, 2.409654483e-02f) \
    X(6.875115633e-01f, 5.308662653e-01f, -3.984257877e-01f, 2.569438517e-01f, -1.478363574e-01f, \
      7.769022882e-02f, -4.045892134e-02f, 1.163742505e-02f) \
    X(8.125095367e-01f, 4.848075807e-01f, -3.405576050e-01f, 2.081013620e-01f, -1.143117473e-01f, \
      5.756328627e-02f, -2.781168558e-02f, 1.886156760e-02f) \
    X(9.375221133e-01f, 4.452757835e-01f, -2.934673727e-01f, 1.701435447e-01f, -8.931013197e-02f, \
      4.325643927e-02f, -1.799377427e-02f, 1.301218523e-03f) \
    X(1.124931812e+00f, 3.957143128e-01f, -2.380759269e-01f, 1.278951317e-01f, -6.280205399e-02f, \
      2.862335742e-02f, -1.225760859e-02f, 4.967573564e-03f) \
    X(1.375003815e+00f, 3.432951868e-01f, -1.843147874e-01f, 8.986165375e-02f, -4.050221294e-02f, \
      1.708485931e-02f, -6.866581738e-03f, 2.587687690e-03f) \
    X(1.625004530e+00f, 3.022605479e-01f, -1.460296512e-01f, 6.496169418e-02f, -2.697685733e-02f, \
      1.056309324e-02f, -3.978793044e-03f, 1.340440242e-03f) \
    X(1.874924779e+00f, 2.694388628e-01f, -1.180239692e-01f, 4.815278575e-02f, -1.849334314e-02f, \
      6.741249003e-03f, -2.384648193e-03f, 7.013662253e-04f) \
    X(2.249903917e+00f, 2.310957611e-01f, -8.849265426e-02f, 3.199579567e-02f, -1.100305561e-02f, \
      3.619630355e-03f, -1.155890874e-03f, 3.497089201e-04f) \
    X(2.749945164e+00f, 1.936655641e-01f, -6.323980540e-02f, 1.975956932e-02f, -5.934602581e-03f, \
      1.719687367e-03f, -4.859708133e-04f, 1.321364107e-04f) \
    X(3.250116587e+00f, 1.663298458e-01f, -4.719638452e-02f, 1.293608826e-02f, -3.435113234e-03f, \
      8.859140216e-04f, -2.225343196e-04f, 5.421943933e-05f) \
    X(3.750128269e+00f, 1.455850452e-01f, -3.645398095e-02f, 8.877942339e-03f, -2.106952714e-03f, \
      4.882251960e-04f, -1.119504814e-04f, 2.396266609e-05f) \
    X(4.500053883e+00f, 1.224834025e-01f, -2.601534873e-02f, 5.412946921e-03f, -1.104425988e-03f, \
      2.212426625e-04f, -4.430980334e-05f, 8.551113751e-06f) \
    X(5.500269890e+00f, 1.009574160e-01f, -1.779309660e-02f, 3.090583952e-03f, -5.293507711e-04f, \
      8.945781883e-05f, -1.508403057e-05f, 2.485014875e-06f) \
    X(6.499983311e+00f, 8.580588549e-02f, -1.290552039e-02f, 1.920221723e-03f, -2.827262215e-04f, \
      4.121259917e-05f, -6.022582966e-06f, 8.518653090e-07f) \
    X(7.499911308e+00f, 7.457455993e-02f, -9.773996659e-03f, 1.270452864e-03f, -1.638039394e-04f, \
      2.095589116e-05f, -2.683740831e-06f, 3.335955512e-07f) \
    X(9.000293732e+00f, 6.230571494e-02f, -6.839697249e-03f, 7.464431110e-04f, -8.098316903e-05f, \
      8.737324606e-06f, -9.573196849e-07f, 1.022360223e-07f) \
    X(1.004991341e+01f, 5.586486682e-02f, -5.505018868e-03f, 5.398852518e-04f, -5.309928747e-05f, \
      2.017529368e-05f, 1.332610700e-04f, -3.586268984e-03f) \
    X(1.004991341e+01f, 5.586486682e-02f, -5.505018868e-03f, 5.398852518e-04f, -5.309928747e-05f, \
      2.017529368e-05f, 1.332610700e-04f, -3.586268984e-03f)

/* Each table laid out by coefficient (row k: coefficient k of the 32 intervals; the
 * scalar functions and the AVX-512 registers) and by interval (one 32-byte row each;
 * the AVX2 kernels load a lane's row). One list of numbers feeds both. */
#define PN_POLY_K0(c, ...)                         c,
#define PN_POLY_K1(c0, c, ...)                     c,
#define PN_POLY_K2(c0, c1, c, ...)                 c,
#define PN_POLY_K3(c0, c1, c2, c, ...)             c,
#define PN_POLY_K4(c0, c1, c2, c3, c, ...)         c,
#define PN_POLY_K5(c0, c1, c2, c3, c4, c, ...)     c,
#define PN_POLY_K6(c0, c1, c2, c3, c4, c5, c, ...) c,
#define PN_POLY_K7(c0, c1, c2, c3, c4, c5, c6, c)  c,
#define PN_POLY_ROW(...)                           {__VA_ARGS__},
#define PN_POLY_TABLES(TAB, ROWS_TAB, ROWS) \
    const float TAB[8][32] = {{ROWS(PN_POLY_K0)}, {ROWS(PN_POLY_K1)}, {ROWS(PN_POLY_K2)}, \
                              {ROWS(PN_POLY_K3)}, {ROWS(PN_POLY_K4)}, {ROWS(PN_POLY_K5)}, \
                              {ROWS(PN_POLY_K6)}, {ROWS(PN_POLY_K7)}}; \
    static const float ROWS_TAB[32][8] __attribute__((aligned(32))) = {ROWS(PN_POLY_ROW)};
PN_POLY_TABLES(pn_erf_tab, erf_rows, PN_ERF_ROWS)
PN_POLY_TABLES(pn_tanh_tab, tanh_rows, PN_TANH_ROWS)
PN_POLY_TABLES(pn_atan_tab, atan_rows, PN_ATAN_ROWS)
PN_POLY_TABLES(pn_atanx_tab, atanx_rows, PN_ATANX_ROWS)
PN_POLY_TABLES(pn_erfcx_tab, erfcx_rows, PN_ERFCX_ROWS)

/* The float32 log, log2 and log10 ops on x86: pn_logf_tab and its kin, whose
 * lookups are gathers or loads in a compiled loop; over a contiguous array the
 * kernels below look up by permutes (the same bits). Elsewhere the atanh series,
 * which vectorizes plainly. */
UNARY_LOOP_PREFETCHED(log_f32_loop, float, PN_F32_TABLES ? pn_logf_tab(x) : pn_logf(x))
UNARY_LOOP_PREFETCHED(log2_f32_loop, float, PN_F32_TABLES ? pn_log2f_tab(x) : pn_log2f(x))
UNARY_LOOP_PREFETCHED(log10_f32_loop, float, PN_F32_TABLES ? pn_log10f_tab(x) : pn_log10f(x))
UNARY_LOOP_PREFETCHED(log1p_f32_loop, float, PN_F32_TABLES ? pn_log1pf_tab(x) : pn_log1pf(x))

/* The float32 erf op on x86: pn_erff_tab, the AVX-512 kernel below by permutes;
 * elsewhere pn_erff. */
UNARY_LOOP_PREFETCHED(erf_f32_loop, float, PN_F32_TABLES ? pn_erff_tab(x) : pn_erff(x))

/* The float32 tanh op on x86: pn_tanhf_poly, the AVX-512 kernel below by permutes;
 * elsewhere pn_tanhf_exact. */
UNARY_LOOP_PREFETCHED(tanh_f32_loop, float, PN_F32_TABLES ? pn_tanhf_poly(x) : pn_tanhf_exact(x))

/* The float32 atan op on x86: pn_atanf_poly, the kernels below by permutes (AVX-512)
 * and row loads (AVX2); elsewhere pn_atanf_v (in double). */
UNARY_LOOP_PREFETCHED(atan_f32_loop, float, PN_F32_TABLES ? pn_atanf_poly(x) : pn_atanf_v(x))

/* The float32 erfc op on x86: pn_erfcf_tab, the kernels below by permutes (AVX-512)
 * and row loads (AVX2); elsewhere pn_erfcf_v (in double). */
UNARY_LOOP_PREFETCHED(erfc_f32_loop, float, PN_F32_TABLES ? pn_erfcf_tab(x) : pn_erfcf_v(x))

/* The end of pn_softmax_row_f32 (every kernel): the 16 lane sums folded in double in
 * halves (16 -> 8 -> 4 -> 2 -> 1: four dependent steps, where one after another the
 * sixteen additions were a third of a 32-key row's time), s[j] = e_j / sum as e_j
 * times the float 1 / sum; returns m + log(sum). */
PN_FINLINE double softmax_row_finish(float *s, int64_t n, float m, const float lanes[16]) {
    double d[8];
    for (int k = 0; k < 8; k++) d[k] = (double)lanes[k] + (double)lanes[k + 8];
    for (int k = 0; k < 4; k++) d[k] += d[k + 4];
    for (int k = 0; k < 2; k++) d[k] += d[k + 2];
    double sum = d[0] + d[1];
    float inv = (float)(1.0 / sum);
    for (int64_t j = 0; j < n; j++) s[j] *= inv;
    return (double)m + log(sum);
}
/* A row whose scores are all -inf (every key masked): probabilities 0, lse -inf. */
static double softmax_row_zero(float *s, int64_t n) {
    memset(s, 0, (size_t)n * sizeof *s);
    return -INFINITY;
}

#if X86_KERNELS
/* float32 GELU by pn_phif, for the elements pn_gelu_tab does not take: y = x Phi(x). */
PN_SIMD_CLONES static void gelu_phif_f32(const float *x, float *y, int64_t n) {
    for (int64_t i = 0; i < n; i++) {
        float e, v = x[i];
        y[i] = v * pn_phif(v, &e);
    }
}
/* Its gradient the same way: dx = g (Phi(x) + x phi(x)). */
PN_SIMD_CLONES static void gelu_gradf_f32(const float *g, const float *x, float *dx, int64_t n) {
    for (int64_t i = 0; i < n; i++) dx[i] = pn_gelu_gradf(g[i], x[i]);
}
#define GELU_BLOCK 256
/* The elements xb[k] of a block out of the tables' range, at places ib[k]: the GELU
 * (g NULL) or its gradient y[ib[k]] by pn_phif, in loops that vectorize (their
 * gradients gathered first: with the gather inside, the loop stayed scalar, and
 * 131k gradients of x ~ N(0, 100) took 4.8 ms, 0.23 ms now). g is read here, after the
 * block's y was stored: y may be x (its elements saved in xb) but not g. */
static void gelu_fallback(const float *g, const float *xb, const int32_t *ib, int cnt, float *y) {
    float yb[GELU_BLOCK];
    if (g) {
        float gb[GELU_BLOCK] = {0}; /* (zeroed: GCC cannot see the loop below fill it) */
        for (int k = 0; k < cnt; k++) gb[k] = g[ib[k]];
        gelu_gradf_f32(gb, xb, yb, cnt);
    } else
        gelu_phif_f32(xb, yb, cnt);
    for (int k = 0; k < cnt; k++) y[ib[k]] = yb[k];
}

#define T512          __attribute__((target("avx512f,avx512vl,avx512dq,avx512bw,avx2,fma")))
#define T256          __attribute__((target("avx2,fma")))
#define ALWAYS_INLINE inline __attribute__((always_inline))
/* pn_exp_tab_sum's constants (fastmath.h), one vector each; c_hi and c_lo negated
 * (fma(k, -c, x) is fma(-k, c, x) exactly) */
#define EXP_TAB_CONSTANTS(SET) \
    const V inv = SET(PN_EXP_TAB_INV); \
    const V magic = SET(PN_EXP_TAB_MAGIC), c_hi = SET(-PN_EXP_TAB_C_HI); \
    const V c_lo = SET(-PN_EXP_TAB_C_LO), c2 = SET(PN_EXP_TAB_C2), c3 = SET(PN_EXP_TAB_C3)

/* pn_exp_tab_pair_dx over 16 lanes for x within pn_exp_clamp's range (dx NULL: none):
 * hi returned, *lo, and k (as a float) through *kf. vpermt2ps uses the low 5 bits
 * of each lane of t, which are k's (magic's low bits are 0). */
#define V __m512
static ALWAYS_INLINE T512 __m512 exp_tab_pair16_dx(__m512 x, const __m512 *dx, const __m512 *hi2,
                                                   const __m512 *lo2, __m512 *lo, __m512 *kf) {
    EXP_TAB_CONSTANTS(_mm512_set1_ps);
    __m512 t = _mm512_fmadd_ps(x, inv, magic);
    *kf = _mm512_sub_ps(t, magic);
    __m512 r = _mm512_fmadd_ps(*kf, c_lo, _mm512_fmadd_ps(*kf, c_hi, x));
    if (dx) r = _mm512_add_ps(r, *dx); /* pn_exp_tab_pair_dx */
    __m512 p = _mm512_fmadd_ps(_mm512_mul_ps(r, r), _mm512_fmadd_ps(r, c3, c2), r);
    __m512i j = _mm512_castps_si512(t);
    __m512 hi = _mm512_permutex2var_ps(hi2[0], j, hi2[1]);
    *lo = _mm512_fmadd_ps(hi, p, _mm512_permutex2var_ps(lo2[0], j, lo2[1]));
    return hi;
}
/* pn_exp_tab_pair over 16 lanes, x clamped first as in pn_exp_clamp (min and max
 * take x second, so that NaN passes). */
static ALWAYS_INLINE T512 __m512 exp_tab_pair16(__m512 x, const __m512 *hi2, const __m512 *lo2,
                                                __m512 *lo, __m512 *kf) {
    x = _mm512_max_ps(_mm512_set1_ps(PN_EXP_ARG_MIN),
                      _mm512_min_ps(_mm512_set1_ps(PN_EXP_ARG_MAX), x));
    return exp_tab_pair16_dx(x, NULL, hi2, lo2, lo, kf);
}
/* pn_exp_tab_sum over 16 lanes: hi + lo, and k through *kf. */
static ALWAYS_INLINE T512 __m512 exp_tab_sum16(__m512 x, const __m512 *hi2, const __m512 *lo2,
                                               __m512 *kf) {
    __m512 lo, hi = exp_tab_pair16(x, hi2, lo2, &lo, kf);
    return _mm512_add_ps(hi, lo);
}
#undef V

/* pn_expf_tab over 16 lanes: 2^n by one vscalefps, which multiplies by
 * 2^floor(k / 32) with one rounding, as the two halves do. */
static ALWAYS_INLINE T512 __m512 exp_tab16(__m512 x, const __m512 *hi2, const __m512 *lo2) {
    __m512 kf, s = exp_tab_sum16(x, hi2, lo2, &kf);
    return _mm512_scalef_ps(s, _mm512_mul_ps(kf, _mm512_set1_ps(1.0f / 32)));
}

/* An op over n contiguous floats by its lanes function, 16 at a time (a masked
 * last step), the exp table in four registers; long arrays prefetch (common.h). */
#define EXP_TAB_KERNEL16(NAME, LANES) \
    static T512 void NAME(const float *x, float *y, int64_t n) { \
        const __m512 hi2[2] = {_mm512_loadu_ps(pn_exp2_32[0]), \
                               _mm512_loadu_ps(pn_exp2_32[0] + 16)}; \
        const __m512 lo2[2] = {_mm512_loadu_ps(pn_exp2_32[1]), \
                               _mm512_loadu_ps(pn_exp2_32[1] + 16)}; \
        int64_t blk = pn_prefetch_blocksize(n); \
        for (int64_t b = 0; b < n; b += blk) { \
            int64_t e = n - b < blk ? n : b + blk, i = b; \
            if (blk < n) pn_prefetch_block(x, e, n, sizeof *x); \
            for (; i + 16 <= e; i += 16) \
                _mm512_storeu_ps(y + i, LANES(_mm512_loadu_ps(x + i), hi2, lo2)); \
            if (i < e) { \
                __mmask16 m = (__mmask16)((1u << (e - i)) - 1); \
                _mm512_mask_storeu_ps(y + i, m, LANES(_mm512_maskz_loadu_ps(m, x + i), hi2, lo2)); \
            } \
        } \
    }
EXP_TAB_KERNEL16(exp_f32_avx512, exp_tab16)

/* pn_exp_f64_sub over 4 lanes (mu = m + 2048): on the lanes of mask where Y < 1, out
 * elsewhere. */
static ALWAYS_INLINE T256 __m256d exp_f64_sub4(__m256d out, __m256d t, __m256d small, __m256i mu,
                                               __m256d mask) {
    const __m256d one = _mm256_set1_pd(1.0);
    __m256d sc =
        _mm256_castsi256_pd(_mm256_slli_epi64(_mm256_sub_epi64(mu, _mm256_set1_epi64x(3)), 52));
    __m256d h = _mm256_mul_pd(t, sc), sm = _mm256_mul_pd(small, sc);
    __m256d yy = _mm256_add_pd(h, sm), lo = _mm256_add_pd(_mm256_sub_pd(h, yy), sm);
    __m256d hi = _mm256_add_pd(one, yy);
    __m256d lo2 = _mm256_add_pd(_mm256_add_pd(_mm256_sub_pd(one, hi), yy), lo);
    __m256d res =
        _mm256_mul_pd(_mm256_sub_pd(_mm256_add_pd(hi, lo2), one), _mm256_set1_pd(0x1p-1022));
    return _mm256_blendv_pd(out, res, _mm256_and_pd(mask, _mm256_cmp_pd(yy, one, _CMP_LT_OQ)));
}
/* 2^m = s1 s2 (mu = m + 2048), exp's two factors (pn_exp_f64_factors). */
static ALWAYS_INLINE T256 __m256d exp_f64_factors4(__m256i mu, __m256d *s2) {
    __m256i m1u = _mm256_srli_epi64(mu, 1), k1 = _mm256_set1_epi64x(1);
    *s2 =
        _mm256_castsi256_pd(_mm256_slli_epi64(_mm256_sub_epi64(_mm256_sub_epi64(mu, m1u), k1), 52));
    return _mm256_castsi256_pd(_mm256_slli_epi64(_mm256_sub_epi64(m1u, k1), 52));
}
/* pn_exp_f64_tab over 4 lanes (AVX2): the table by gathers, 2^m as the scalar's two
 * factors, pn_exp_f64_sub where a lane needs it. */
static ALWAYS_INLINE T256 __m256d exp_f64_lanes4(__m256d x) {
    const __m256d magic = _mm256_set1_pd(0x1.8p52);
    __m256d c = _mm256_min_pd(_mm256_set1_pd(PN_EXP_D_MAX), x); /* NaN: the second operand */
    c = _mm256_max_pd(_mm256_set1_pd(PN_EXP_D_MIN), c);
    __m256d v = _mm256_fmadd_pd(c, _mm256_set1_pd(PN_EXP_D_16_LN2), magic);
    __m256d kf = _mm256_sub_pd(v, magic);
    __m256d r = _mm256_fmadd_pd(kf, _mm256_set1_pd(-PN_EXP_D_L1), c);
    r = _mm256_fmadd_pd(kf, _mm256_set1_pd(-PN_EXP_D_L2), r);
    __m256d q = _mm256_fmadd_pd(_mm256_set1_pd(1.0 / 5040), r, _mm256_set1_pd(1.0 / 720));
    q = _mm256_fmadd_pd(q, r, _mm256_set1_pd(1.0 / 120));
    q = _mm256_fmadd_pd(q, r, _mm256_set1_pd(1.0 / 24));
    q = _mm256_fmadd_pd(q, r, _mm256_set1_pd(1.0 / 6));
    q = _mm256_fmadd_pd(q, r, _mm256_set1_pd(0.5));
    __m256d p = _mm256_fmadd_pd(_mm256_mul_pd(r, r), q, r);
    __m256i nb =
        _mm256_add_epi64(_mm256_sub_epi64(_mm256_castpd_si256(v), _mm256_castpd_si256(magic)),
                         _mm256_set1_epi64x(32768));
    __m256i j = _mm256_and_si256(nb, _mm256_set1_epi64x(15)), mu = _mm256_srli_epi64(nb, 4);
    __m256d t = _mm256_i64gather_pd(pn_exp2_16d[0], j, 8),
            tl = _mm256_i64gather_pd(pn_exp2_16d[1], j, 8);
    __m256d small = _mm256_fmadd_pd(t, p, tl), y = _mm256_add_pd(t, small);
    __m256d s2, s1 = exp_f64_factors4(mu, &s2);
    __m256d out = _mm256_mul_pd(_mm256_mul_pd(y, s1), s2);
    __m256d sub = _mm256_cmp_pd(kf, _mm256_set1_pd(-16336.0), _CMP_LT_OQ); /* m <= -1022 */
    return _mm256_movemask_pd(sub) ? exp_f64_sub4(out, t, small, mu, sub) : out;
}
/* pn_sigmoid_f64_parts over 4 lanes: returns u, with d, q, ql. */
static ALWAYS_INLINE T256 __m256d sigmoid_parts4(__m256d x, __m256d *d, __m256d *q, __m256d *ql) {
    const __m256d one = _mm256_set1_pd(1.0);
    __m256d e = exp_f64_lanes4(_mm256_or_pd(x, _mm256_set1_pd(-0.0)));
    __m256d dh = _mm256_add_pd(one, e), dl = _mm256_add_pd(_mm256_sub_pd(one, dh), e);
    __m256d u = _mm256_div_pd(one, dh);
    *d = _mm256_sub_pd(_mm256_fnmadd_pd(u, dh, one), _mm256_mul_pd(u, dl));
    *q = _mm256_mul_pd(e, u), *ql = _mm256_fmsub_pd(e, u, *q);
    return u;
}
/* pn_sigmoid_f64_tab over 4 lanes. */
static ALWAYS_INLINE T256 __m256d sigmoid_f64_lanes4(__m256d x) {
    __m256d d, q, ql, u = sigmoid_parts4(x, &d, &q, &ql);
    __m256d pos = _mm256_fmadd_pd(u, d, u), neg = _mm256_add_pd(q, _mm256_fmadd_pd(q, d, ql));
    __m256d y = _mm256_blendv_pd(neg, pos, _mm256_cmp_pd(x, _mm256_setzero_pd(), _CMP_GE_OQ));
    return _mm256_blendv_pd(y, _mm256_add_pd(x, x), _mm256_cmp_pd(x, x, _CMP_UNORD_Q));
}
/* pn_silu_f64_tab over 4 lanes. */
static ALWAYS_INLINE T256 __m256d silu_f64_lanes4(__m256d x) {
    __m256d d, q, ql, u = sigmoid_parts4(x, &d, &q, &ql);
    __m256d pos = _mm256_cmp_pd(x, _mm256_setzero_pd(), _CMP_GE_OQ);
    __m256d h = _mm256_blendv_pd(q, u, pos), hl = _mm256_andnot_pd(pos, ql);
    __m256d p = _mm256_mul_pd(x, h), pe = _mm256_fmsub_pd(x, h, p);
    __m256d y = _mm256_add_pd(p, _mm256_fmadd_pd(p, d, _mm256_fmadd_pd(x, hl, pe)));
    __m256d ax = _mm256_andnot_pd(_mm256_set1_pd(-0.0), x);
    __m256d keep = _mm256_or_pd(_mm256_cmp_pd(ax, _mm256_set1_pd(INFINITY), _CMP_EQ_OQ),
                                _mm256_cmp_pd(y, _mm256_setzero_pd(), _CMP_EQ_OQ));
    y = _mm256_blendv_pd(_mm256_blendv_pd(y, p, keep), _mm256_add_pd(x, x),
                         _mm256_cmp_pd(x, x, _CMP_UNORD_Q));
    __m256d tiny = _mm256_cmp_pd(x, _mm256_set1_pd(PN_SILU_D_TINY), _CMP_LT_OQ);
    if (_mm256_movemask_pd(tiny)) { /* (x E) E, E = e^(x/2): a branch, rarely taken */
        __m256d h2 = exp_f64_lanes4(_mm256_mul_pd(x, _mm256_set1_pd(0.5)));
        y = _mm256_blendv_pd(y, _mm256_mul_pd(_mm256_mul_pd(x, h2), h2), tiny);
    }
    return y;
}
/* pn_silu_grad_f64_tab over 4 lanes. */
static ALWAYS_INLINE T256 __m256d silu_grad_f64_lanes4(__m256d g, __m256d x) {
    __m256d d, q, ql, u = sigmoid_parts4(x, &d, &q, &ql);
    __m256d sp = _mm256_fmadd_pd(u, d, u), sn = _mm256_add_pd(q, _mm256_fmadd_pd(q, d, ql));
    __m256d pos = _mm256_cmp_pd(x, _mm256_setzero_pd(), _CMP_GE_OQ);
    __m256d sig = _mm256_blendv_pd(sn, sp, pos), oms = _mm256_blendv_pd(sp, sn, pos);
    const __m256d one = _mm256_set1_pd(1.0);
    __m256d dx = _mm256_mul_pd(g, _mm256_mul_pd(sig, _mm256_fmadd_pd(x, oms, one)));
    __m256d tiny = _mm256_cmp_pd(x, _mm256_set1_pd(PN_SILU_D_TINY), _CMP_LT_OQ);
    if (_mm256_movemask_pd(tiny)) { /* (g ((1 + x) E)) E, E = e^(x/2): a branch, rarely taken */
        __m256d h2 = exp_f64_lanes4(_mm256_mul_pd(x, _mm256_set1_pd(0.5)));
        __m256d w = _mm256_mul_pd(g, _mm256_mul_pd(_mm256_add_pd(one, x), h2));
        dx = _mm256_blendv_pd(dx, _mm256_mul_pd(w, h2), tiny);
    }
    dx = _mm256_blendv_pd(dx, _mm256_add_pd(g, g), _mm256_cmp_pd(g, g, _CMP_UNORD_Q));
    return _mm256_blendv_pd(dx, _mm256_add_pd(x, x), _mm256_cmp_pd(x, x, _CMP_UNORD_Q));
}
/* An op over n contiguous doubles by its 4-lane function, 4 at a time (a masked last
 * step); long arrays prefetch. */
#define F64_KERNEL4(NAME, LANES) \
    static T256 void NAME(const double *x, double *y, int64_t n) { \
        int64_t blk = pn_prefetch_blocksize(n); \
        for (int64_t b = 0; b < n; b += blk) { \
            int64_t e = n - b < blk ? n : b + blk, i = b; \
            if (blk < n) pn_prefetch_block(x, e, n, sizeof *x); \
            for (; i + 4 <= e; i += 4) _mm256_storeu_pd(y + i, LANES(_mm256_loadu_pd(x + i))); \
            if (i < e) { \
                __m256i m = \
                    _mm256_cmpgt_epi64(_mm256_set1_epi64x(e - i), _mm256_setr_epi64x(0, 1, 2, 3)); \
                _mm256_maskstore_pd(y + i, m, LANES(_mm256_maskload_pd(x + i, m))); \
            } \
        } \
    }
F64_KERNEL4(exp_f64_avx2, exp_f64_lanes4)
F64_KERNEL4(sigmoid_f64_avx2, sigmoid_f64_lanes4)
F64_KERNEL4(silu_f64_avx2, silu_f64_lanes4)
/* silu_grad_f64_lanes4 over n contiguous (g, x) to dx, 4 at a time (a masked last step). */
static T256 void silu_grad_f64_avx2(const double *g, const double *x, double *dx, int64_t n) {
    for (int64_t i = 0; i < n; i += 4) {
        __m256i m = _mm256_cmpgt_epi64(_mm256_set1_epi64x(n - i), _mm256_setr_epi64x(0, 1, 2, 3));
        _mm256_maskstore_pd(
            dx + i, m,
            silu_grad_f64_lanes4(_mm256_maskload_pd(g + i, m), _mm256_maskload_pd(x + i, m)));
    }
}

/* pn_log_f64_core over 4 lanes (AVX2): the table by gathers; k as a double from its bits
 * (k + 2048 = (tmp ^ 2^63) >> 52 under 2^52's exponent); 2^-min(k, 1022) for
 * PN_LOGD_1P from 1023 - k under 2^52's exponent, shifted into the exponent field. */
static ALWAYS_INLINE T256 __m256d log_f64_core4(__m256i ix, __m256d e, __m256d x1,
                                                const pn_log_base *b, int kind) {
    const __m256d one = _mm256_set1_pd(1.0);
    __m256i tmp = _mm256_sub_epi64(ix, _mm256_set1_epi64x((long long)PN_LOG_OFF));
    __m256i j = _mm256_and_si256(_mm256_srli_epi64(tmp, 48), _mm256_set1_epi64x(15));
    __m256i kb = _mm256_srli_epi64(_mm256_xor_si256(tmp, _mm256_set1_epi64x(INT64_MIN)), 52);
    __m256d kd = _mm256_sub_pd(
        _mm256_castsi256_pd(_mm256_or_si256(kb, _mm256_castpd_si256(_mm256_set1_pd(0x1p52)))),
        _mm256_set1_pd(0x1p52 + 2048));
    __m256d z = _mm256_castsi256_pd(_mm256_sub_epi64(
        ix, _mm256_and_si256(tmp, _mm256_set1_epi64x((long long)PN_LOG_EXP_MASK))));
    __m256d invc = _mm256_i64gather_pd(pn_log_invc16, j, 8), r = _mm256_fmsub_pd(z, invc, one);
    __m256d w = _mm256_fmadd_pd(kd, _mm256_set1_pd(b->k_hi), _mm256_i64gather_pd(b->hi, j, 8));
    __m256d t = _mm256_fmadd_pd(kd, _mm256_set1_pd(b->k_lo), _mm256_i64gather_pd(b->lo, j, 8));
    __m256d rh = r;
    if (kind == PN_LOGD_SCALED) {
        rh = _mm256_mul_pd(r, _mm256_set1_pd(b->a_hi));
        __m256d rem = _mm256_fmsub_pd(r, _mm256_set1_pd(b->a_hi), rh);
        t = _mm256_add_pd(t, _mm256_fmadd_pd(r, _mm256_set1_pd(b->a_lo), rem));
    } else if (kind == PN_LOGD_1P) {
        __m256d v =
            _mm256_sub_pd(_mm256_set1_pd(0x1p52 + 1023), _mm256_min_pd(kd, _mm256_set1_pd(1022.0)));
        __m256d s = _mm256_castsi256_pd(_mm256_slli_epi64(_mm256_castpd_si256(v), 52));
        __m256d d = _mm256_mul_pd(_mm256_mul_pd(e, invc), s);
        __m256d near = _mm256_castsi256_pd(
            _mm256_cmpeq_epi64(_mm256_srli_epi64(tmp, 48), _mm256_set1_epi64x(9)));
        r = rh = _mm256_blendv_pd(r, x1, near);
        d = _mm256_andnot_pd(near, d);
        t = _mm256_add_pd(t, _mm256_fnmadd_pd(d, _mm256_fnmadd_pd(r, r, r), d));
    }
    __m256d hi = _mm256_add_pd(w, rh);
    __m256d lo = _mm256_add_pd(_mm256_add_pd(_mm256_sub_pd(w, hi), rh), t);
    __m256d rr = _mm256_mul_pd(r, r), rrl = _mm256_fmsub_pd(r, r, rr), q0 = _mm256_set1_pd(b->q[0]);
    __m256d p = _mm256_mul_pd(q0, rr), pl = _mm256_fmadd_pd(q0, rrl, _mm256_fmsub_pd(q0, rr, p));
    __m256d s = _mm256_add_pd(hi, p), q = _mm256_set1_pd(b->q[8]);
    lo = _mm256_add_pd(lo, _mm256_add_pd(_mm256_add_pd(_mm256_sub_pd(hi, s), p), pl));
    for (int i = 7; i >= 1; i--) q = _mm256_fmadd_pd(q, r, _mm256_set1_pd(b->q[i]));
    return _mm256_add_pd(s, _mm256_fmadd_pd(_mm256_mul_pd(rr, r), q, lo));
}
/* Lanes where bits ix are not those of a positive normal double (pn_log_f64_special): ix -
 * 2^52 >= 0x7fe0000000000000 unsigned, compared signed with the sign bits flipped. */
static ALWAYS_INLINE T256 __m256d log_f64_special4(__m256i ix) {
    __m256i d = _mm256_sub_epi64(ix, _mm256_set1_epi64x(0x0010000000000000LL));
    return _mm256_castsi256_pd(_mm256_cmpgt_epi64(
        _mm256_xor_si256(d, _mm256_set1_epi64x(INT64_MIN)),
        _mm256_set1_epi64x((long long)(0x7fe0000000000000ULL ^ 0x8000000000000000ULL) - 1)));
}
/* pn_log_f64_tab over 4 lanes: the core, and where a lane is special the core again on
 * subnormals' scaled bits and C's values for the rest. */
static ALWAYS_INLINE T256 __m256d log_f64_lanes4(__m256d x, const pn_log_base *b, int kind) {
    __m256i ix = _mm256_castpd_si256(x);
    __m256d sp = log_f64_special4(ix), zero = _mm256_setzero_pd();
    if (!_mm256_movemask_pd(sp)) return log_f64_core4(ix, zero, zero, b, kind);
    __m256d sub = _mm256_and_pd(_mm256_cmp_pd(x, zero, _CMP_GT_OQ),
                                _mm256_cmp_pd(x, _mm256_set1_pd(0x1p-1022), _CMP_LT_OQ));
    __m256i scaled = _mm256_sub_epi64(_mm256_castpd_si256(_mm256_mul_pd(x, _mm256_set1_pd(0x1p52))),
                                      _mm256_set1_epi64x(52LL << 52));
    ix = _mm256_castpd_si256(_mm256_blendv_pd(x, _mm256_castsi256_pd(scaled), sub));
    __m256d out = log_f64_core4(ix, zero, zero, b, kind);
    out = _mm256_blendv_pd(out, _mm256_set1_pd(-INFINITY), _mm256_cmp_pd(x, zero, _CMP_EQ_OQ));
    out = _mm256_blendv_pd(out, _mm256_set1_pd(NAN), _mm256_cmp_pd(x, zero, _CMP_LT_OQ));
    out = _mm256_blendv_pd(out, x, _mm256_cmp_pd(x, _mm256_set1_pd(INFINITY), _CMP_EQ_OQ));
    return _mm256_blendv_pd(out, _mm256_add_pd(x, x), _mm256_cmp_pd(x, x, _CMP_UNORD_Q));
}
/* pn_log1p_f64_tab over 4 lanes. */
static ALWAYS_INLINE T256 __m256d log1p_f64_lanes4(__m256d x) {
    const __m256d one = _mm256_set1_pd(1.0), zero = _mm256_setzero_pd();
    __m256d u = _mm256_add_pd(one, x);
    __m256d e = _mm256_add_pd(_mm256_sub_pd(_mm256_max_pd(x, one), u), _mm256_min_pd(x, one));
    __m256i iu = _mm256_castpd_si256(u);
    __m256d out = log_f64_core4(iu, e, x, &pn_log_base_e, PN_LOGD_1P), sp = log_f64_special4(iu);
    if (_mm256_movemask_pd(sp)) {
        __m256d fix = _mm256_blendv_pd(u, _mm256_set1_pd(NAN), _mm256_cmp_pd(u, zero, _CMP_LT_OQ));
        fix = _mm256_blendv_pd(fix, _mm256_set1_pd(-INFINITY), _mm256_cmp_pd(u, zero, _CMP_EQ_OQ));
        fix = _mm256_blendv_pd(fix, _mm256_add_pd(u, u), _mm256_cmp_pd(u, u, _CMP_UNORD_Q));
        out = _mm256_blendv_pd(out, fix, sp);
    }
    return _mm256_blendv_pd(out, x, _mm256_cmp_pd(x, zero, _CMP_EQ_OQ));
}
static ALWAYS_INLINE T256 __m256d log_e_f64_lanes4(__m256d x) {
    return log_f64_lanes4(x, &pn_log_base_e, PN_LOGD_E);
}
static ALWAYS_INLINE T256 __m256d log2_f64_lanes4(__m256d x) {
    return log_f64_lanes4(x, &pn_log_base_2, PN_LOGD_SCALED);
}
static ALWAYS_INLINE T256 __m256d log10_f64_lanes4(__m256d x) {
    return log_f64_lanes4(x, &pn_log_base_10, PN_LOGD_SCALED);
}
F64_KERNEL4(log_f64_avx2, log_e_f64_lanes4)
F64_KERNEL4(log2_f64_avx2, log2_f64_lanes4)
F64_KERNEL4(log10_f64_avx2, log10_f64_lanes4)
F64_KERNEL4(log1p_f64_avx2, log1p_f64_lanes4)

/* pn_expm1_f64_pair over 4 lanes (AVX2): the table by gathers, 2^m from m + 1023 under
 * the exponent field (k + 2^15 keeps the shifts unsigned, as in exp_f64_lanes4). */
static ALWAYS_INLINE T256 __m256d expm1_f64_pair4(__m256d c, __m256d *lo, int pos) {
    const __m256d magic = _mm256_set1_pd(0x1.8p52);
    __m256d kf = _mm256_sub_pd(_mm256_fmadd_pd(c, _mm256_set1_pd(PN_EXP_D_16_LN2), magic), magic);
    kf = _mm256_min_pd(kf, _mm256_set1_pd(16383.0));
    __m256d v = _mm256_add_pd(kf, magic);
    __m256d a = _mm256_fmadd_pd(kf, _mm256_set1_pd(-PN_EXP_D_L1), c);
    __m256d kl2 = _mm256_mul_pd(kf, _mm256_set1_pd(PN_EXP_D_L2));
    __m256d rh = _mm256_sub_pd(a, kl2), rl = _mm256_sub_pd(_mm256_sub_pd(a, rh), kl2);
    __m256d r2 = _mm256_mul_pd(rh, rh), r2l = _mm256_fmsub_pd(rh, rh, r2),
            r4 = _mm256_mul_pd(r2, r2);
    __m256d q =
        _mm256_fmadd_pd(_mm256_fmadd_pd(_mm256_set1_pd(1.0 / 720), rh, _mm256_set1_pd(1.0 / 120)),
                        r2, _mm256_fmadd_pd(_mm256_set1_pd(1.0 / 24), rh, _mm256_set1_pd(1.0 / 6)));
    __m256d q4 = _mm256_fmadd_pd(_mm256_set1_pd(1.0 / 40320), rh, _mm256_set1_pd(1.0 / 5040));
    q = _mm256_fmadd_pd(q4, r4, q);
    __m256d u = _mm256_fmadd_pd(_mm256_mul_pd(r2, rh), q, _mm256_fmadd_pd(rl, rh, rl));
    __m256i nb =
        _mm256_add_epi64(_mm256_sub_epi64(_mm256_castpd_si256(v), _mm256_castpd_si256(magic)),
                         _mm256_set1_epi64x(32768)); /* k + 2^15 */
    __m256i j = _mm256_and_si256(nb, _mm256_set1_epi64x(15));
    __m256d p2 = _mm256_castsi256_pd(_mm256_slli_epi64(
        _mm256_sub_epi64(_mm256_srli_epi64(nb, 4), _mm256_set1_epi64x(2048 - 1023)), 52));
    __m256d s_ = _mm256_mul_pd(_mm256_i64gather_pd(pn_exp2_16d[0], j, 8), p2);
    __m256d sl = _mm256_mul_pd(_mm256_i64gather_pd(pn_exp2_16d[1], j, 8), p2);
    __m256d h0 = _mm256_sub_pd(s_, _mm256_set1_pd(1.0)), e0;
    if (pos) {
        e0 = _mm256_sub_pd(_mm256_sub_pd(s_, h0), _mm256_set1_pd(1.0));
    } else {
        __m256d b0 = _mm256_sub_pd(h0, s_);
        e0 = _mm256_add_pd(_mm256_sub_pd(s_, _mm256_sub_pd(h0, b0)),
                           _mm256_sub_pd(_mm256_set1_pd(-1.0), b0));
    }
    __m256d ph = _mm256_mul_pd(s_, rh), pl = _mm256_fmsub_pd(s_, rh, ph);
    __m256d hs = _mm256_mul_pd(_mm256_set1_pd(0.5), s_), mh = _mm256_mul_pd(hs, r2);
    __m256d ml = _mm256_fmadd_pd(hs, r2l, _mm256_fmsub_pd(hs, r2, mh));
    __m256d s1 = _mm256_add_pd(h0, ph), e1 = _mm256_add_pd(_mm256_sub_pd(h0, s1), ph);
    __m256d s = _mm256_add_pd(s1, mh), e2 = _mm256_add_pd(_mm256_sub_pd(s1, s), mh);
    __m256d rest = _mm256_add_pd(
        _mm256_add_pd(_mm256_add_pd(_mm256_add_pd(e1, e0), pl), _mm256_add_pd(e2, ml)),
        _mm256_fmadd_pd(s_, u, _mm256_fmadd_pd(sl, rh, sl)));
    __m256d h = _mm256_add_pd(s, rest);
    *lo = _mm256_add_pd(_mm256_sub_pd(s, h), rest);
    return h;
}
/* pn_expm1_f64_tab over 4 lanes. */
static ALWAYS_INLINE T256 __m256d expm1_f64_lanes4(__m256d x) {
    __m256d lo, c = _mm256_max_pd(x, _mm256_set1_pd(PN_EXPM1_D_MIN));
    __m256d h = expm1_f64_pair4(c, &lo, 0);
    __m256d far = _mm256_cmp_pd(x, _mm256_set1_pd(PN_EXPM1_D_MAX), _CMP_NLE_UQ);
    if (_mm256_movemask_pd(far)) h = _mm256_blendv_pd(h, exp_f64_lanes4(x), far);
    return _mm256_blendv_pd(h, x, _mm256_cmp_pd(x, _mm256_setzero_pd(), _CMP_EQ_OQ));
}
/* pn_tanh_f64_tab over 4 lanes. */
static ALWAYS_INLINE T256 __m256d tanh_f64_lanes4(__m256d x) {
    const __m256d two = _mm256_set1_pd(2.0), sign = _mm256_set1_pd(-0.0);
    __m256d ax = _mm256_andnot_pd(sign, x), l;
    __m256d h = expm1_f64_pair4(_mm256_min_pd(_mm256_add_pd(ax, ax), _mm256_set1_pd(40.0)), &l, 1);
    __m256d dh = _mm256_add_pd(two, h);
    __m256d dl = _mm256_add_pd(
        _mm256_add_pd(_mm256_sub_pd(_mm256_max_pd(h, two), dh), _mm256_min_pd(h, two)), l);
    __m256d inv = _mm256_div_pd(_mm256_set1_pd(1.0), dh), q = _mm256_mul_pd(h, inv);
    __m256d rem = _mm256_add_pd(_mm256_fnmadd_pd(q, dh, h), _mm256_fnmadd_pd(q, dl, l));
    __m256d y = _mm256_or_pd(_mm256_fmadd_pd(rem, inv, q), _mm256_and_pd(x, sign));
    return _mm256_blendv_pd(y, _mm256_add_pd(x, x), _mm256_cmp_pd(x, x, _CMP_UNORD_Q));
}
F64_KERNEL4(expm1_f64_avx2, expm1_f64_lanes4)
F64_KERNEL4(tanh_f64_avx2, tanh_f64_lanes4)

/* Row k of pn_erf16d at the columns j (gathers). */
#define ERF_ROW4(k) _mm256_i64gather_pd(pn_erf16d[k], j, 8)
/* pn_erf_g over 4 lanes. */
static ALWAYS_INLINE T256 __m256d erf_g4(__m256i j, __m256d v, __m256d *gl, __m256d *dg) {
    __m256d v2 = _mm256_mul_pd(v, v), v4 = _mm256_mul_pd(v2, v2), r1 = ERF_ROW4(5);
    __m256d e01 = _mm256_fmadd_pd(r1, v, ERF_ROW4(4)),
            e23 = _mm256_fmadd_pd(ERF_ROW4(7), v, ERF_ROW4(6));
    __m256d e45 = _mm256_fmadd_pd(ERF_ROW4(9), v, ERF_ROW4(8));
    __m256d e67 = _mm256_fmadd_pd(ERF_ROW4(11), v, ERF_ROW4(10));
    __m256d f0 = _mm256_fmadd_pd(e23, v2, e01), f1 = _mm256_fmadd_pd(e67, v2, e45);
    __m256d r = _mm256_fmadd_pd(_mm256_fmadd_pd(ERF_ROW4(12), v4, f1), v4, f0);
    __m256d g0 = ERF_ROW4(0), g1 = ERF_ROW4(2);
    __m256d p1 = _mm256_mul_pd(g1, v), p1e = _mm256_fmsub_pd(g1, v, p1);
    __m256d gh = _mm256_add_pd(g0, p1), ge = _mm256_add_pd(_mm256_sub_pd(g0, gh), p1);
    *dg = _mm256_fmadd_pd(v, _mm256_fmadd_pd(v, r1, _mm256_add_pd(r, r)), g1);
    __m256d rest = _mm256_add_pd(_mm256_add_pd(ERF_ROW4(1), p1e), _mm256_mul_pd(ERF_ROW4(3), v));
    *gl = _mm256_fmadd_pd(v2, r, _mm256_add_pd(ge, rest));
    return gh;
}
#undef ERF_ROW4
/* pn_erf_f64_tiny over 4 lanes. */
static ALWAYS_INLINE T256 __m256d erf_f64_tiny4(__m256d a, __m256d gh, __m256d gl) {
    const __m256d c = _mm256_set1_pd(0x1p-958);
    __m256d aa = _mm256_mul_pd(a, _mm256_set1_pd(0x1p64)), hi = _mm256_mul_pd(aa, gh);
    __m256d lo = _mm256_add_pd(_mm256_fmsub_pd(aa, gh, hi), _mm256_mul_pd(aa, gl));
    __m256d s = _mm256_add_pd(c, hi),
            l2 = _mm256_add_pd(_mm256_add_pd(_mm256_sub_pd(c, s), hi), lo);
    __m256d r = _mm256_blendv_pd(_mm256_add_pd(hi, lo), _mm256_sub_pd(_mm256_add_pd(s, l2), c),
                                 _mm256_cmp_pd(hi, c, _CMP_LT_OQ));
    return _mm256_mul_pd(r, _mm256_set1_pd(0x1p-64));
}
/* pn_exp_f64_neg_pair over 4 lanes (AVX2): T, *sm and mu = m + 2048 as *mu. */
static ALWAYS_INLINE T256 __m256d exp_f64_neg_pair4(__m256d h, __m256d l, __m256d *sm,
                                                    __m256i *mu) {
    const __m256d magic = _mm256_set1_pd(0x1.8p52);
    __m256d v = _mm256_fnmadd_pd(h, _mm256_set1_pd(PN_EXP_D_16_LN2), magic);
    __m256d kf = _mm256_sub_pd(v, magic);
    __m256d x0 = _mm256_fnmsub_pd(kf, _mm256_set1_pd(PN_EXP_D_L1), h);
    __m256d y0 = _mm256_fmadd_pd(kf, _mm256_set1_pd(PN_EXP_D_L2), l);
    __m256d r = _mm256_sub_pd(x0, y0), rl = _mm256_sub_pd(_mm256_sub_pd(x0, r), y0);
    __m256d r2 = _mm256_mul_pd(r, r), r4 = _mm256_mul_pd(r2, r2);
    __m256d qa = _mm256_fmadd_pd(_mm256_set1_pd(1.0 / 6), r, _mm256_set1_pd(0.5));
    __m256d qb = _mm256_fmadd_pd(_mm256_set1_pd(1.0 / 120), r, _mm256_set1_pd(1.0 / 24));
    __m256d qc = _mm256_fmadd_pd(_mm256_set1_pd(1.0 / 5040), r, _mm256_set1_pd(1.0 / 720));
    __m256d q = _mm256_fmadd_pd(_mm256_fmadd_pd(_mm256_set1_pd(1.0 / 40320), r2, qc), r4,
                                _mm256_fmadd_pd(qb, r2, qa));
    __m256i nb =
        _mm256_add_epi64(_mm256_sub_epi64(_mm256_castpd_si256(v), _mm256_castpd_si256(magic)),
                         _mm256_set1_epi64x(32768));
    __m256i je = _mm256_and_si256(nb, _mm256_set1_epi64x(15));
    *mu = _mm256_srli_epi64(nb, 4);
    __m256d t = _mm256_i64gather_pd(pn_exp2_16d[0], je, 8);
    *sm = _mm256_fmadd_pd(
        t, r,
        _mm256_fmadd_pd(t, _mm256_fmadd_pd(r2, q, rl), _mm256_i64gather_pd(pn_exp2_16d[1], je, 8)));
    return t;
}
/* pn_erfc_f64_pair over 4 lanes (a + al capped, a^2 = h + l), mu = m + 2048 as *mu. */
static ALWAYS_INLINE T256 __m256d erfc_f64_pair4(__m256d a, __m256d al, __m256d h, __m256d l,
                                                 __m256d *yl, __m256i *mu, __m256d *e) {
    const __m256d magic = _mm256_set1_pd(0x1.8p52), one = _mm256_set1_pd(1.0);
    __m256d sm, t = exp_f64_neg_pair4(h, l, &sm, mu);
    *e = _mm256_add_pd(t, sm);
    __m256d qa4 = _mm256_mul_pd(_mm256_set1_pd(0.25), a);
    __m256d dh = _mm256_fmadd_pd(a, _mm256_set1_pd(0.25), one);
    __m256d dl = _mm256_add_pd(
        _mm256_add_pd(_mm256_sub_pd(_mm256_max_pd(qa4, one), dh), _mm256_min_pd(qa4, one)),
        _mm256_mul_pd(_mm256_set1_pd(0.25), al));
    __m256d th = _mm256_div_pd(one, dh);
    __m256d tl =
        _mm256_mul_pd(th, _mm256_sub_pd(_mm256_fnmadd_pd(th, dh, one), _mm256_mul_pd(th, dl)));
    __m256d uh = _mm256_mul_pd(t, th), st = _mm256_mul_pd(sm, th), us = _mm256_add_pd(uh, st);
    __m256d c1 = _mm256_add_pd(_mm256_fmadd_pd(t, tl, _mm256_fmsub_pd(t, th, uh)),
                               _mm256_fmadd_pd(sm, tl, _mm256_fmsub_pd(sm, th, st)));
    __m256d w = _mm256_fmadd_pd(th, _mm256_set1_pd(16.0), magic);
    __m256d vt = _mm256_fmadd_pd(_mm256_sub_pd(w, magic), _mm256_set1_pd(-1.0 / 16), th);
    __m256i j = _mm256_and_si256(_mm256_castpd_si256(w), _mm256_set1_epi64x(15));
    __m256d gl, dg, gh = erf_g4(j, vt, &gl, &dg);
    __m256d yh = _mm256_mul_pd(uh, gh);
    __m256d lo = _mm256_fmadd_pd(c1, gh, _mm256_fmsub_pd(uh, gh, yh));
    *yl = _mm256_fmadd_pd(st, gh,
                          _mm256_fmadd_pd(us, gl, _mm256_fmadd_pd(_mm256_mul_pd(us, tl), dg, lo)));
    return yh;
}
/* pn_erfc_f64_from over 4 lanes: c - 2^m (y + yl). */
static ALWAYS_INLINE T256 __m256d erfc_f64_from4(__m256d c, __m256d y, __m256d yl, __m256i mu) {
    __m256d s2, s1 = exp_f64_factors4(mu, &s2);
    __m256d sh = _mm256_mul_pd(_mm256_mul_pd(y, s1), s2),
            sl = _mm256_mul_pd(_mm256_mul_pd(yl, s1), s2);
    __m256d d = _mm256_sub_pd(c, sh);
    return _mm256_add_pd(d, _mm256_sub_pd(_mm256_sub_pd(_mm256_sub_pd(c, d), sh), sl));
}
/* pn_erfc_f64_tab over 4 lanes. */
static ALWAYS_INLINE T256 __m256d erfc_f64_lanes4(__m256d x) {
    __m256d a =
        _mm256_min_pd(_mm256_andnot_pd(_mm256_set1_pd(-0.0), x), _mm256_set1_pd(PN_ERFC_D_MAX));
    __m256d h = _mm256_mul_pd(a, a), yl, e;
    __m256i mu;
    __m256d y = erfc_f64_pair4(a, _mm256_setzero_pd(), h, _mm256_fmsub_pd(a, a, h), &yl, &mu, &e);
    __m256d s2, s1 = exp_f64_factors4(mu, &s2);
    __m256d out = _mm256_mul_pd(_mm256_mul_pd(_mm256_add_pd(y, yl), s1), s2);
    __m256d sub = _mm256_cmp_pd(out, _mm256_set1_pd(0x1p-1022), _CMP_LT_OQ);
    if (_mm256_movemask_pd(sub)) out = exp_f64_sub4(out, y, yl, mu, sub);
    __m256d neg = _mm256_cmp_pd(x, _mm256_setzero_pd(), _CMP_LT_OQ);
    out = _mm256_blendv_pd(out, erfc_f64_from4(_mm256_set1_pd(2.0), y, yl, mu), neg);
    return _mm256_blendv_pd(out, _mm256_add_pd(x, x), _mm256_cmp_pd(x, x, _CMP_UNORD_Q));
}
/* Row k of pn_erfx16d at the columns j (gathers). */
#define ERFX_ROW4(k) _mm256_i64gather_pd(pn_erfx16d[k], j, 8)
/* pn_erfx_g over 4 lanes. */
static ALWAYS_INLINE T256 __m256d erfx_g4(__m256i j, __m256d v, __m256d vl, __m256d *gl) {
    __m256d v2 = _mm256_mul_pd(v, v), v2l = _mm256_fmsub_pd(v, v, v2), v4 = _mm256_mul_pd(v2, v2);
    __m256d e12 = _mm256_fmadd_pd(ERFX_ROW4(6), v, ERFX_ROW4(5));
    __m256d e34 = _mm256_fmadd_pd(ERFX_ROW4(8), v, ERFX_ROW4(7));
    __m256d e56 = _mm256_fmadd_pd(ERFX_ROW4(10), v, ERFX_ROW4(9));
    __m256d e78 = _mm256_fmadd_pd(ERFX_ROW4(12), v, ERFX_ROW4(11));
    __m256d e9a = _mm256_fmadd_pd(ERFX_ROW4(14), v, ERFX_ROW4(13));
    __m256d f0 = _mm256_fmadd_pd(e34, v2, e12), f1 = _mm256_fmadd_pd(e78, v2, e56);
    __m256d f2 = _mm256_fmadd_pd(ERFX_ROW4(15), v2, e9a);
    __m256d S = _mm256_fmadd_pd(_mm256_fmadd_pd(f2, v4, f1), v4, f0);
    __m256d g0 = ERFX_ROW4(0), g1 = ERFX_ROW4(2), r0 = ERFX_ROW4(4);
    __m256d p1 = _mm256_mul_pd(g1, v), p1e = _mm256_fmsub_pd(g1, v, p1);
    __m256d gh = _mm256_add_pd(g0, p1), ge = _mm256_add_pd(_mm256_sub_pd(g0, gh), p1);
    __m256d p2 = _mm256_mul_pd(r0, v2), p2e = _mm256_fmsub_pd(r0, v2, p2);
    __m256d gh2 = _mm256_add_pd(gh, p2), ge2 = _mm256_add_pd(_mm256_sub_pd(gh, gh2), p2);
    __m256d rest = _mm256_add_pd(_mm256_add_pd(ERFX_ROW4(1), p1e), _mm256_fmadd_pd(r0, v2l, p2e));
    __m256d dv = _mm256_fmadd_pd(_mm256_add_pd(r0, r0), v, g1);
    rest = _mm256_add_pd(rest, _mm256_fmadd_pd(dv, vl, _mm256_mul_pd(ERFX_ROW4(3), v)));
    *gl = _mm256_fmadd_pd(_mm256_mul_pd(v2, v), S, _mm256_add_pd(_mm256_add_pd(ge, ge2), rest));
    return gh2;
}
#undef ERFX_ROW4
/* pn_erf_f64_tab over 4 lanes: every lane through one column (0 where |x| < 1/2). */
static ALWAYS_INLINE T256 __m256d erf_f64_lanes4(__m256d x) {
    const __m256d magic = _mm256_set1_pd(0x1.8p52), sign = _mm256_set1_pd(-0.0);
    __m256d a = _mm256_andnot_pd(sign, x), ac = _mm256_min_pd(a, _mm256_set1_pd(PN_ERF_D_MAX));
    __m256d small = _mm256_cmp_pd(a, _mm256_set1_pd(PN_ERF_D_SMALL), _CMP_LT_OQ);
    __m256d jf = _mm256_sub_pd(
        _mm256_add_pd(_mm256_fmadd_pd(ac, _mm256_set1_pd(8.0 / 3), _mm256_set1_pd(-5.0 / 6)),
                      magic),
        magic);
    jf = _mm256_max_pd(jf, _mm256_set1_pd(1.0));
    __m256d v =
        _mm256_sub_pd(ac, _mm256_fmadd_pd(jf, _mm256_set1_pd(0.375), _mm256_set1_pd(0.3125)));
    __m256d z = _mm256_mul_pd(a, a), zl = _mm256_and_pd(small, _mm256_fmsub_pd(a, a, z));
    __m256i j = _mm256_and_si256(
        _mm256_castpd_si256(_mm256_add_pd(jf, magic)),
        _mm256_castpd_si256(_mm256_andnot_pd(small, _mm256_castsi256_pd(_mm256_set1_epi64x(15)))));
    __m256d gl, gh = erfx_g4(j, _mm256_blendv_pd(v, z, small), zl, &gl);
    __m256d out = _mm256_add_pd(gh, gl);
    if (_mm256_movemask_pd(small)) {
        out = _mm256_blendv_pd(out, _mm256_fmadd_pd(a, gh, _mm256_mul_pd(a, gl)), small);
        __m256d tiny =
            _mm256_and_pd(small, _mm256_cmp_pd(a, _mm256_set1_pd(PN_ERF_D_TINY), _CMP_LT_OQ));
        if (_mm256_movemask_pd(tiny)) out = _mm256_blendv_pd(out, erf_f64_tiny4(a, gh, gl), tiny);
    }
    out = _mm256_or_pd(out, _mm256_and_pd(x, sign));
    return _mm256_blendv_pd(out, _mm256_add_pd(x, x), _mm256_cmp_pd(x, x, _CMP_UNORD_Q));
}
F64_KERNEL4(erf_f64_avx2, erf_f64_lanes4)
F64_KERNEL4(erfc_f64_avx2, erfc_f64_lanes4)

/* pn_log_f64_pair over 4 lanes (AVX2): the tables by gathers, k as in log_f64_core4. */
static ALWAYS_INLINE T256 __m256d log_f64_pair4(__m256i ix, __m256d *lo) {
    const pn_log_base *b = &pn_log_base_e;
    const double *c = pn_pow_log_r;
    const __m256d th = _mm256_set1_pd(PN_THIRD_HI);
    __m256i tmp = _mm256_sub_epi64(ix, _mm256_set1_epi64x((long long)PN_LOG_OFF));
    __m256i j = _mm256_and_si256(_mm256_srli_epi64(tmp, 48), _mm256_set1_epi64x(15));
    __m256i kb = _mm256_srli_epi64(_mm256_xor_si256(tmp, _mm256_set1_epi64x(INT64_MIN)), 52);
    __m256d kd = _mm256_sub_pd(
        _mm256_castsi256_pd(_mm256_or_si256(kb, _mm256_castpd_si256(_mm256_set1_pd(0x1p52)))),
        _mm256_set1_pd(0x1p52 + 2048));
    __m256d z = _mm256_castsi256_pd(_mm256_sub_epi64(
        ix, _mm256_and_si256(tmp, _mm256_set1_epi64x((long long)PN_LOG_EXP_MASK))));
    __m256d r = _mm256_fmsub_pd(z, _mm256_i64gather_pd(pn_log_invc16, j, 8), _mm256_set1_pd(1.0));
    __m256d w = _mm256_fmadd_pd(kd, _mm256_set1_pd(b->k_hi), _mm256_i64gather_pd(b->hi, j, 8));
    __m256d tl = _mm256_fmadd_pd(kd, _mm256_set1_pd(b->k_lo), _mm256_i64gather_pd(b->lo, j, 8));
    __m256d rr = _mm256_mul_pd(r, r), rrl = _mm256_fmsub_pd(r, r, rr), r4 = _mm256_mul_pd(rr, rr);
    __m256d r4l = _mm256_add_pd(_mm256_fmsub_pd(rr, rr, r4),
                                _mm256_mul_pd(_mm256_mul_pd(_mm256_set1_pd(2.0), rr), rrl));
    __m256d c3 = _mm256_mul_pd(rr, r);
    __m256d c3l = _mm256_add_pd(_mm256_fmsub_pd(rr, r, c3), _mm256_mul_pd(rrl, r));
    __m256d m = _mm256_mul_pd(c3, th);
    __m256d ml =
        _mm256_add_pd(_mm256_fmsub_pd(c3, th, m),
                      _mm256_fmadd_pd(c3, _mm256_set1_pd(PN_THIRD_LO), _mm256_mul_pd(c3l, th)));
    __m256d h1 = _mm256_add_pd(w, r), e1 = _mm256_add_pd(_mm256_sub_pd(w, h1), r);
    __m256d p = _mm256_mul_pd(_mm256_set1_pd(-0.5), rr);
    __m256d h2 = _mm256_add_pd(h1, p), e2 = _mm256_add_pd(_mm256_sub_pd(h1, h2), p);
    __m256d h3 = _mm256_add_pd(h2, m), e3 = _mm256_add_pd(_mm256_sub_pd(h2, h3), m);
#define C4(i) _mm256_set1_pd(c[i])
    __m256d p2 = _mm256_fmadd_pd(C4(3), r, C4(2)), p1 = _mm256_fmadd_pd(C4(1), r, C4(0));
    __m256d p3 = _mm256_fmadd_pd(C4(5), r, C4(4)), p5 = _mm256_fmadd_pd(C4(7), r, C4(6));
#undef C4
    __m256d R = _mm256_fmadd_pd(_mm256_fmadd_pd(p5, rr, p3), r4, _mm256_fmadd_pd(p2, rr, p1));
    __m256d q4 = _mm256_fmadd_pd(r, R, _mm256_set1_pd(-0.25));
    __m256d d = _mm256_fmadd_pd(r4, q4, _mm256_mul_pd(r4l, q4));
    __m256d s = _mm256_add_pd(_mm256_add_pd(tl, e1), _mm256_add_pd(e2, e3));
    __m256d l = _mm256_add_pd(_mm256_add_pd(s, _mm256_fmadd_pd(_mm256_set1_pd(-0.5), rrl, ml)), d);
    __m256d hi = _mm256_add_pd(h3, l);
    *lo = _mm256_add_pd(_mm256_sub_pd(h3, hi), l);
    return hi;
}
/* pn_pow_f64_tab over 4 lanes (x in (0, inf), y finite). */
static ALWAYS_INLINE T256 __m256d pow_f64_lanes4(__m256d x, __m256d y) {
    __m256i ix = _mm256_castpd_si256(x);
    __m256d sub = _mm256_cmp_pd(x, _mm256_set1_pd(0x1p-1022), _CMP_LT_OQ);
    if (_mm256_movemask_pd(sub)) {
        __m256i sc = _mm256_sub_epi64(_mm256_castpd_si256(_mm256_mul_pd(x, _mm256_set1_pd(0x1p52))),
                                      _mm256_set1_epi64x(52LL << 52));
        ix = _mm256_castpd_si256(_mm256_blendv_pd(x, _mm256_castsi256_pd(sc), sub));
    }
    __m256d lo, hi = log_f64_pair4(ix, &lo), ny = _mm256_xor_pd(y, _mm256_set1_pd(-0.0));
    __m256d h = _mm256_mul_pd(ny, hi);
    __m256d l = _mm256_add_pd(_mm256_fmsub_pd(ny, hi, h), _mm256_mul_pd(ny, lo));
    __m256d hc = _mm256_max_pd(_mm256_set1_pd(-PN_EXP_D_MAX), h);
    hc = _mm256_min_pd(_mm256_set1_pd(-PN_EXP_D_MIN), hc);
    l = _mm256_and_pd(_mm256_cmp_pd(hc, h, _CMP_EQ_OQ), l);
    __m256d sm, s2;
    __m256i mu;
    __m256d tt = exp_f64_neg_pair4(hc, l, &sm, &mu), s1 = exp_f64_factors4(mu, &s2);
    __m256d out = _mm256_mul_pd(_mm256_mul_pd(_mm256_add_pd(tt, sm), s1), s2);
    __m256d tiny = _mm256_cmp_pd(out, _mm256_set1_pd(0x1p-1022), _CMP_LT_OQ);
    return _mm256_movemask_pd(tiny) ? exp_f64_sub4(out, tt, sm, mu, tiny) : out;
}
/* pn_pow_f64_tab over n contiguous pairs (a[i], b[i]), 4 at a time (the idle lanes of the
 * last step compute 1 ** 1). */
static T256 void pow_plain_f64_avx2(const double *a, const double *b, double *o, int64_t n) {
    int64_t i = 0;
    for (; i + 4 <= n; i += 4)
        _mm256_storeu_pd(o + i, pow_f64_lanes4(_mm256_loadu_pd(a + i), _mm256_loadu_pd(b + i)));
    if (i < n) {
        __m256i m = _mm256_cmpgt_epi64(_mm256_set1_epi64x(n - i), _mm256_setr_epi64x(0, 1, 2, 3));
        __m256d one = _mm256_set1_pd(1.0), mk = _mm256_castsi256_pd(m);
        __m256d x = _mm256_blendv_pd(one, _mm256_maskload_pd(a + i, m), mk);
        __m256d y = _mm256_blendv_pd(one, _mm256_maskload_pd(b + i, m), mk);
        _mm256_maskstore_pd(o + i, m, pow_f64_lanes4(x, y));
    }
}
/* pn_phi_f64_core over 4 lanes; 2^(m-1) = *s1 s2. */
static ALWAYS_INLINE T256 __m256d phi_f64_core4(__m256d x, __m256d *yl, __m256d *s1, __m256d *s2,
                                                __m256d *e) {
    const __m256d half = _mm256_set1_pd(0.5), sh1 = _mm256_set1_pd(PN_SQRT1_2_HI);
    __m256d ax = _mm256_andnot_pd(_mm256_set1_pd(-0.0), x);
    __m256d ac = _mm256_min_pd(ax, _mm256_set1_pd(PN_GELU_D_MAX)), xx = _mm256_mul_pd(ac, ac);
    __m256d a = _mm256_mul_pd(ac, sh1);
    __m256d al = _mm256_add_pd(_mm256_fmsub_pd(ac, sh1, a),
                               _mm256_mul_pd(ac, _mm256_set1_pd(PN_SQRT1_2_LO)));
    __m256i mu;
    __m256d y = erfc_f64_pair4(a, al, _mm256_mul_pd(half, xx),
                               _mm256_mul_pd(half, _mm256_fmsub_pd(ac, ac, xx)), yl, &mu, e);
    *s1 = exp_f64_factors4(_mm256_sub_epi64(mu, _mm256_set1_epi64x(1)), s2);
    return y;
}
/* Whether |x| is beyond PN_GELU_D_MAX or NaN; *step: 0 for x < 0, 1 elsewhere. */
static ALWAYS_INLINE T256 __m256d gelu_far4(__m256d x, __m256d *step) {
    *step =
        _mm256_andnot_pd(_mm256_cmp_pd(x, _mm256_setzero_pd(), _CMP_LT_OQ), _mm256_set1_pd(1.0));
    return _mm256_cmp_pd(_mm256_andnot_pd(_mm256_set1_pd(-0.0), x), _mm256_set1_pd(PN_GELU_D_MAX),
                         _CMP_NLE_UQ);
}
/* pn_gelu_f64_tab over 4 lanes. */
static ALWAYS_INLINE T256 __m256d gelu_f64_lanes4(__m256d x) {
    const __m256d one = _mm256_set1_pd(1.0);
    __m256d yl, s1, s2, e, step;
    __m256d y = phi_f64_core4(x, &yl, &s1, &s2, &e);
    __m256d sh = _mm256_mul_pd(_mm256_mul_pd(y, s1), s2),
            sl = _mm256_mul_pd(_mm256_mul_pd(yl, s1), s2);
    __m256d d = _mm256_sub_pd(one, sh),
            lo = _mm256_sub_pd(_mm256_sub_pd(_mm256_sub_pd(one, d), sh), sl);
    __m256d pos = _mm256_fmadd_pd(x, d, _mm256_mul_pd(x, lo));
    __m256d neg = _mm256_mul_pd(_mm256_mul_pd(_mm256_fmadd_pd(x, y, _mm256_mul_pd(x, yl)), s1), s2);
    __m256d far = gelu_far4(x, &step);
    __m256d out = _mm256_blendv_pd(pos, neg, _mm256_cmp_pd(x, _mm256_setzero_pd(), _CMP_LT_OQ));
    out = _mm256_blendv_pd(out, _mm256_mul_pd(x, step), far);
    return _mm256_blendv_pd(out, _mm256_add_pd(x, x), _mm256_cmp_pd(x, x, _CMP_UNORD_Q));
}
F64_KERNEL4(gelu_f64_avx2, gelu_f64_lanes4)
/* pn_gelu_grad_f64_tab over 4 lanes. */
static ALWAYS_INLINE T256 __m256d gelu_grad_f64_lanes4(__m256d g, __m256d x) {
    const __m256d one = _mm256_set1_pd(1.0);
    __m256d yl, s1, s2, e, step;
    __m256d y = phi_f64_core4(x, &yl, &s1, &s2, &e);
    __m256d sh = _mm256_mul_pd(_mm256_mul_pd(y, s1), s2),
            sl = _mm256_mul_pd(_mm256_mul_pd(yl, s1), s2);
    __m256d d = _mm256_sub_pd(one, sh), ec = _mm256_mul_pd(e, _mm256_set1_pd(PN_2_SQRT_2PI));
    __m256d pos = _mm256_add_pd(
        d, _mm256_fmadd_pd(x, _mm256_mul_pd(_mm256_mul_pd(ec, s1), s2),
                           _mm256_sub_pd(_mm256_sub_pd(_mm256_sub_pd(one, d), sh), sl)));
    __m256d neg =
        _mm256_mul_pd(_mm256_mul_pd(_mm256_add_pd(y, _mm256_fmadd_pd(x, ec, yl)), s1), s2);
    __m256d r = _mm256_blendv_pd(pos, neg, _mm256_cmp_pd(x, _mm256_setzero_pd(), _CMP_LT_OQ));
    __m256d far = gelu_far4(x, &step);
    r = _mm256_blendv_pd(r, _mm256_add_pd(step, _mm256_mul_pd(x, _mm256_setzero_pd())), far);
    return _mm256_mul_pd(g, r);
}
/* gelu_grad_f64_lanes4 over n contiguous (g, x) to dx, 4 at a time (a masked last step). */
static T256 void gelu_grad_f64_avx2(const double *g, const double *x, double *dx, int64_t n) {
    for (int64_t i = 0; i < n; i += 4) {
        __m256i m = _mm256_cmpgt_epi64(_mm256_set1_epi64x(n - i), _mm256_setr_epi64x(0, 1, 2, 3));
        _mm256_maskstore_pd(
            dx + i, m,
            gelu_grad_f64_lanes4(_mm256_maskload_pd(g + i, m), _mm256_maskload_pd(x + i, m)));
    }
}

/* libm's f on the lanes of x that m marks (as a vector mask), y elsewhere: the float64
 * sine and cosine beyond PN_TRIG_D_MAX, inf and NaN. */
static T256 __m256d libm_lanes4(__m256d y, __m256d x, __m256d m, double (*f)(double)) {
    double xs[4], ys[4];
    _mm256_storeu_pd(xs, x);
    _mm256_storeu_pd(ys, y);
    for (int i = 0; i < 4; i++)
        if (_mm256_movemask_pd(m) >> i & 1) ys[i] = f(xs[i]);
    return _mm256_loadu_pd(ys);
}
/* pn_trig_reduce over 4 lanes (AVX2). */
static ALWAYS_INLINE T256 __m256i trig_reduce4(__m256d x, __m256d *rh, __m256d *rl) {
    const __m256d magic = _mm256_set1_pd(0x1.8p52);
    __m256d v = _mm256_fmadd_pd(x, _mm256_set1_pd(PN_32_PI), magic), nf = _mm256_sub_pd(v, magic);
    __m256d a = _mm256_fnmadd_pd(nf, _mm256_set1_pd(PN_PI32_C1), x);
    __m256d p2 = _mm256_mul_pd(nf, _mm256_set1_pd(PN_PI32_C2)), b = _mm256_sub_pd(a, p2);
    __m256d eb = _mm256_sub_pd(_mm256_sub_pd(a, b), p2);
    __m256d p3 = _mm256_mul_pd(nf, _mm256_set1_pd(PN_PI32_C3)), r = _mm256_sub_pd(b, p3);
    __m256d ec = _mm256_sub_pd(_mm256_sub_pd(b, r), p3);
    *rh = r;
    *rl = _mm256_fnmadd_pd(nf, _mm256_set1_pd(PN_PI32_C4), _mm256_add_pd(eb, ec));
    return _mm256_castpd_si256(v);
}
/* pn_trig_mix over 4 lanes. */
static ALWAYS_INLINE T256 __m256d trig_mix4(__m256d ah, __m256d al, __m256d bh, __m256d bl,
                                            __m256d rh, __m256d rl, __m256d *lo) {
    __m256d z = _mm256_mul_pd(rh, rh);
    __m256d s = _mm256_fmadd_pd(_mm256_set1_pd(1.0 / 362880), z, _mm256_set1_pd(-1.0 / 5040));
    s = _mm256_fmadd_pd(_mm256_fmadd_pd(s, z, _mm256_set1_pd(1.0 / 120)), z,
                        _mm256_set1_pd(-1.0 / 6));
    __m256d c = _mm256_fmadd_pd(_mm256_set1_pd(1.0 / 40320), z, _mm256_set1_pd(-1.0 / 720));
    c = _mm256_fmadd_pd(_mm256_fmadd_pd(c, z, _mm256_set1_pd(1.0 / 24)), z, _mm256_set1_pd(-0.5));
    __m256d p = _mm256_mul_pd(bh, rh), pe = _mm256_fmsub_pd(bh, rh, p);
    __m256d s1 = _mm256_add_pd(ah, p), e1 = _mm256_add_pd(_mm256_sub_pd(ah, s1), p);
    __m256d t = _mm256_fmadd_pd(bh, rl, _mm256_fmadd_pd(bl, rh, al));
    t = _mm256_fmadd_pd(_mm256_mul_pd(p, z), s, t);
    t = _mm256_fmadd_pd(ah, _mm256_fmsub_pd(z, c, _mm256_mul_pd(rh, rl)), t);
    __m256d rest = _mm256_add_pd(_mm256_add_pd(e1, pe), t), h = _mm256_add_pd(s1, rest);
    *lo = _mm256_add_pd(_mm256_sub_pd(s1, h), rest);
    return h;
}
/* The table's sin and cos of j pi/32 (pn_trig32d) by gathers, high and low parts. */
static ALWAYS_INLINE T256 void trig_table4(__m256i nb, __m256d sc[4]) {
    __m256i j = _mm256_and_si256(nb, _mm256_set1_epi64x(15));
    for (int k = 0; k < 4; k++) sc[k] = _mm256_i64gather_pd(pn_trig32d[k], j, 8);
}
/* pn_sincos_f64_core over 4 lanes: (A, B) by blends on q's bits and sign flips. */
static ALWAYS_INLINE T256 __m256d sincos_f64_core4(__m256d x, int cosine) {
    const __m256d sign = _mm256_set1_pd(-0.0);
    __m256d rh, rl, lo, sc[4];
    __m256i nb = trig_reduce4(x, &rh, &rl);
    __m256i q = _mm256_add_epi64(_mm256_srli_epi64(nb, 4), _mm256_set1_epi64x(cosine));
    __m256d odd = _mm256_castsi256_pd(_mm256_slli_epi64(q, 63)); /* bit 0 to the sign */
    __m256d neg = _mm256_and_pd(_mm256_castsi256_pd(_mm256_slli_epi64(q, 62)), sign);
    trig_table4(nb, sc);
    __m256d ah = _mm256_xor_pd(_mm256_blendv_pd(sc[0], sc[2], odd), neg);
    __m256d al = _mm256_xor_pd(_mm256_blendv_pd(sc[1], sc[3], odd), neg);
    __m256d bneg = _mm256_xor_pd(neg, _mm256_and_pd(odd, sign)); /* q = 1, 2 */
    __m256d bh = _mm256_xor_pd(_mm256_blendv_pd(sc[2], sc[0], odd), bneg);
    __m256d bl = _mm256_xor_pd(_mm256_blendv_pd(sc[3], sc[1], odd), bneg);
    return trig_mix4(ah, al, bh, bl, rh, rl, &lo);
}
/* pn_tan_f64_core over 4 lanes. */
static ALWAYS_INLINE T256 __m256d tan_f64_core4(__m256d x) {
    const __m256d sign = _mm256_set1_pd(-0.0);
    __m256d rh, rl, snl, csl, sc[4];
    __m256i nb = trig_reduce4(x, &rh, &rl);
    trig_table4(nb, sc);
    __m256d sn = trig_mix4(sc[0], sc[1], sc[2], sc[3], rh, rl, &snl);
    __m256d cs = trig_mix4(sc[2], sc[3], _mm256_xor_pd(sc[0], sign), _mm256_xor_pd(sc[1], sign), rh,
                           rl, &csl);
    __m256d odd = _mm256_castsi256_pd(_mm256_slli_epi64(nb, 59)); /* bit 4 to the sign */
    __m256d nh = _mm256_blendv_pd(sn, cs, odd), nl = _mm256_blendv_pd(snl, csl, odd);
    __m256d dh = _mm256_blendv_pd(cs, sn, odd), dl = _mm256_blendv_pd(csl, snl, odd);
    __m256d inv = _mm256_div_pd(_mm256_set1_pd(1.0), dh), q = _mm256_mul_pd(nh, inv);
    __m256d rem = _mm256_add_pd(_mm256_fnmadd_pd(q, dh, nh), _mm256_fnmadd_pd(q, dl, nl));
    __m256d y = _mm256_fmadd_pd(rem, inv, q);
    return _mm256_xor_pd(y, _mm256_and_pd(odd, sign));
}
/* pn_sin_f64_tab, pn_cos_f64_tab and pn_tan_f64_tab over 4 lanes. */
static ALWAYS_INLINE T256 __m256d sin_f64_lanes4(__m256d x) {
    __m256d y = sincos_f64_core4(x, 0);
    y = _mm256_blendv_pd(y, x, _mm256_cmp_pd(x, _mm256_setzero_pd(), _CMP_EQ_OQ));
    __m256d far = _mm256_cmp_pd(_mm256_andnot_pd(_mm256_set1_pd(-0.0), x),
                                _mm256_set1_pd(PN_TRIG_D_MAX), _CMP_NLE_UQ);
    return _mm256_movemask_pd(far) ? libm_lanes4(y, x, far, sin) : y;
}
static ALWAYS_INLINE T256 __m256d cos_f64_lanes4(__m256d x) {
    __m256d y = sincos_f64_core4(x, 1);
    __m256d far = _mm256_cmp_pd(_mm256_andnot_pd(_mm256_set1_pd(-0.0), x),
                                _mm256_set1_pd(PN_TRIG_D_MAX), _CMP_NLE_UQ);
    return _mm256_movemask_pd(far) ? libm_lanes4(y, x, far, cos) : y;
}
static ALWAYS_INLINE T256 __m256d tan_f64_lanes4(__m256d x) {
    __m256d y = tan_f64_core4(x);
    y = _mm256_blendv_pd(y, x, _mm256_cmp_pd(x, _mm256_setzero_pd(), _CMP_EQ_OQ));
    __m256d far = _mm256_cmp_pd(_mm256_andnot_pd(_mm256_set1_pd(-0.0), x),
                                _mm256_set1_pd(PN_TRIG_D_MAX), _CMP_NLE_UQ);
    return _mm256_movemask_pd(far) ? libm_lanes4(y, x, far, tan) : y;
}
F64_KERNEL4(sin_f64_avx2, sin_f64_lanes4)
F64_KERNEL4(cos_f64_avx2, cos_f64_lanes4)
F64_KERNEL4(tan_f64_avx2, tan_f64_lanes4)

/* pn_atan_f64_core over 4 lanes (AVX2): the table by gathers, selects by blends. */
static ALWAYS_INLINE T256 __m256d atan_f64_core4(__m256d a) {
    const __m256d magic = _mm256_set1_pd(0x1.8p52), one = _mm256_set1_pd(1.0);
    const __m256d sign = _mm256_set1_pd(-0.0);
    __m256d big = _mm256_cmp_pd(a, one, _CMP_GT_OQ);
    __m256d rcp = _mm256_cvtps_pd(_mm_div_ps(_mm_set1_ps(1.0f), _mm256_cvtpd_ps(a)));
    __m256d tt = _mm256_blendv_pd(a, rcp, big);
    __m256d jf = _mm256_sub_pd(_mm256_fmadd_pd(tt, _mm256_set1_pd(16.0), magic), magic);
    jf = _mm256_min_pd(jf, _mm256_set1_pd(15.0));
    __m256d c = _mm256_mul_pd(jf, _mm256_set1_pd(0.0625));
    __m256i j =
        _mm256_and_si256(_mm256_castpd_si256(_mm256_add_pd(jf, magic)), _mm256_set1_epi64x(15));
    __m256d ph = _mm256_mul_pd(c, a), pl = _mm256_fmsub_pd(c, a, ph);
    __m256d nh = _mm256_sub_pd(_mm256_blendv_pd(a, one, big), _mm256_blendv_pd(c, ph, big));
    __m256d nl = _mm256_and_pd(big, _mm256_xor_pd(pl, sign)); /* -pl where big, else 0 */
    __m256d w1 = _mm256_blendv_pd(one, a, big), w2 = _mm256_blendv_pd(ph, c, big);
    __m256d dh = _mm256_add_pd(w1, w2);
    __m256d dl = _mm256_add_pd(_mm256_add_pd(_mm256_sub_pd(w1, dh), w2), _mm256_andnot_pd(big, pl));
    __m256d inv = _mm256_div_pd(one, dh), qh = _mm256_mul_pd(nh, inv);
    __m256d rem = _mm256_add_pd(_mm256_fnmadd_pd(qh, dh, nh), _mm256_fnmadd_pd(qh, dl, nl));
    __m256d ql = _mm256_mul_pd(rem, inv), z = _mm256_mul_pd(qh, qh);
    __m256d p = _mm256_fmadd_pd(_mm256_set1_pd(1.0 / 13), z, _mm256_set1_pd(-1.0 / 11));
    p = _mm256_fmadd_pd(p, z, _mm256_set1_pd(1.0 / 9));
    p = _mm256_fmadd_pd(p, z, _mm256_set1_pd(-1.0 / 7));
    p = _mm256_fmadd_pd(p, z, _mm256_set1_pd(1.0 / 5));
    p = _mm256_fmadd_pd(p, z, _mm256_set1_pd(-1.0 / 3));
    __m256d ah = _mm256_i64gather_pd(pn_atan16d[0], j, 8),
            al = _mm256_i64gather_pd(pn_atan16d[1], j, 8);
    __m256d bb = _mm256_sub_pd(_mm256_set1_pd(PN_HALF_PI_D_HI), ah);
    __m256d bbl =
        _mm256_add_pd(_mm256_sub_pd(_mm256_sub_pd(_mm256_set1_pd(PN_HALF_PI_D_HI), bb), ah),
                      _mm256_sub_pd(_mm256_set1_pd(PN_HALF_PI_D_LO), al));
    __m256d bh = _mm256_blendv_pd(ah, bb, big), bl = _mm256_blendv_pd(al, bbl, big);
    __m256d neg = _mm256_and_pd(big, sign);
    __m256d sq = _mm256_xor_pd(qh, neg);
    __m256d s = _mm256_add_pd(bh, sq), e = _mm256_add_pd(_mm256_sub_pd(bh, s), sq);
    __m256d tail = _mm256_xor_pd(_mm256_fmadd_pd(_mm256_mul_pd(qh, z), p, ql), neg);
    return _mm256_add_pd(s, _mm256_add_pd(_mm256_add_pd(e, bl), tail));
}
/* pn_atan_f64_tab over 4 lanes. */
static ALWAYS_INLINE T256 __m256d atan_f64_lanes4(__m256d x) {
    const __m256d sign = _mm256_set1_pd(-0.0);
    __m256d a = _mm256_andnot_pd(sign, x);
    __m256d y = _mm256_or_pd(atan_f64_core4(a), _mm256_and_pd(x, sign));
    __m256d sp = _mm256_cmp_pd(a, _mm256_set1_pd(INFINITY), _CMP_NLT_UQ);
    if (_mm256_movemask_pd(sp)) {
        __m256d h = _mm256_or_pd(_mm256_set1_pd(PN_HALF_PI_D_HI), _mm256_and_pd(x, sign));
        y = _mm256_blendv_pd(y, h, sp);
        y = _mm256_blendv_pd(y, _mm256_add_pd(x, x), _mm256_cmp_pd(x, x, _CMP_UNORD_Q));
    }
    return y;
}
F64_KERNEL4(atan_f64_avx2, atan_f64_lanes4)

/* pn_atan2_f64_core over 4 lanes (AVX2): the table by gathers, selects by blends. */
static ALWAYS_INLINE T256 __m256d atan2_f64_core4(__m256d y, __m256d x, __m256d num, __m256d den,
                                                  __m256d big) {
    const __m256d magic = _mm256_set1_pd(0x1.8p52), sign = _mm256_set1_pd(-0.0);
    __m256d neg = _mm256_cmp_pd(x, _mm256_setzero_pd(), _CMP_LT_OQ);
    __m256d flip = _mm256_and_pd(_mm256_xor_pd(big, neg), sign);
    __m256d jf =
        _mm256_sub_pd(_mm256_fmadd_pd(_mm256_div_pd(num, den), _mm256_set1_pd(16.0), magic), magic);
    jf = _mm256_min_pd(jf, _mm256_set1_pd(15.0));
    __m256d c = _mm256_mul_pd(jf, _mm256_set1_pd(0.0625));
    __m256i j =
        _mm256_and_si256(_mm256_castpd_si256(_mm256_add_pd(jf, magic)), _mm256_set1_epi64x(15));
    __m256d ph = _mm256_mul_pd(c, den), pl = _mm256_fmsub_pd(c, den, ph),
            nh = _mm256_sub_pd(num, ph);
    __m256d qh = _mm256_mul_pd(c, num), ql = _mm256_fmsub_pd(c, num, qh);
    __m256d dh = _mm256_add_pd(den, qh),
            dl = _mm256_add_pd(_mm256_add_pd(_mm256_sub_pd(den, dh), qh), ql);
    __m256d inv = _mm256_div_pd(_mm256_set1_pd(1.0), dh), dq = _mm256_mul_pd(nh, inv);
    __m256d rem = _mm256_sub_pd(_mm256_fnmadd_pd(dq, dh, nh), _mm256_fmadd_pd(dq, dl, pl));
    __m256d dql = _mm256_mul_pd(rem, inv), z = _mm256_mul_pd(dq, dq);
    __m256d p = _mm256_fmadd_pd(_mm256_set1_pd(1.0 / 13), z, _mm256_set1_pd(-1.0 / 11));
    p = _mm256_fmadd_pd(p, z, _mm256_set1_pd(1.0 / 9));
    p = _mm256_fmadd_pd(p, z, _mm256_set1_pd(-1.0 / 7));
    p = _mm256_fmadd_pd(p, z, _mm256_set1_pd(1.0 / 5));
    p = _mm256_fmadd_pd(p, z, _mm256_set1_pd(-1.0 / 3));
    __m256d kh = _mm256_and_pd(neg, _mm256_set1_pd(PN_PI_D_HI));
    __m256d kl = _mm256_and_pd(neg, _mm256_set1_pd(PN_PI_D_LO));
    kh = _mm256_blendv_pd(kh, _mm256_set1_pd(PN_HALF_PI_D_HI), big);
    kl = _mm256_blendv_pd(kl, _mm256_set1_pd(PN_HALF_PI_D_LO), big);
    __m256d ah = _mm256_i64gather_pd(pn_atan16d[0], j, 8),
            al = _mm256_i64gather_pd(pn_atan16d[1], j, 8);
    __m256d sah = _mm256_xor_pd(ah, flip), sal = _mm256_xor_pd(al, flip);
    __m256d bh = _mm256_add_pd(kh, sah);
    __m256d bl = _mm256_add_pd(_mm256_add_pd(_mm256_sub_pd(kh, bh), sah), _mm256_add_pd(kl, sal));
    __m256d sd = _mm256_xor_pd(dq, flip);
    __m256d s = _mm256_add_pd(bh, sd), e = _mm256_add_pd(_mm256_sub_pd(bh, s), sd);
    __m256d tail = _mm256_xor_pd(_mm256_fmadd_pd(_mm256_mul_pd(dq, z), p, dql), flip);
    __m256d r = _mm256_add_pd(s, _mm256_add_pd(_mm256_add_pd(e, bl), tail));
    return _mm256_or_pd(r, _mm256_and_pd(y, sign));
}
/* pn_atan2_f64_tab over 4 lanes. */
static ALWAYS_INLINE T256 __m256d atan2_f64_lanes4(__m256d y, __m256d x) {
    const __m256d sign = _mm256_set1_pd(-0.0);
    __m256d ay = _mm256_andnot_pd(sign, y), ax = _mm256_andnot_pd(sign, x);
    __m256d big = _mm256_cmp_pd(ay, ax, _CMP_GT_OQ);
    __m256d num = _mm256_blendv_pd(ay, ax, big), den = _mm256_blendv_pd(ax, ay, big);
    __m256d r = atan2_f64_core4(y, x, num, den, big);
    __m256d ok = _mm256_and_pd(_mm256_cmp_pd(num, _mm256_set1_pd(PN_ATAN2_D_MIN), _CMP_GE_OQ),
                               _mm256_cmp_pd(den, _mm256_set1_pd(PN_ATAN2_D_MAX), _CMP_LE_OQ));
    int m = _mm256_movemask_pd(ok);
    if (m != 15) {
        double ys[4], xs[4], rs[4];
        _mm256_storeu_pd(ys, y);
        _mm256_storeu_pd(xs, x);
        _mm256_storeu_pd(rs, r);
        for (int i = 0; i < 4; i++)
            if (!(m >> i & 1)) rs[i] = atan2(ys[i], xs[i]);
        r = _mm256_loadu_pd(rs);
    }
    return r;
}
/* pn_atan2_f64_tab over n contiguous (y, x) pairs, 4 at a time (a masked last step). */
static T256 void atan2_f64_avx2(const double *y, const double *x, double *o, int64_t n) {
    int64_t i = 0;
    for (; i + 4 <= n; i += 4)
        _mm256_storeu_pd(o + i, atan2_f64_lanes4(_mm256_loadu_pd(y + i), _mm256_loadu_pd(x + i)));
    if (i < n) {
        double ys[4] = {1, 1, 1, 1}, xs[4] = {1, 1, 1, 1}, rs[4];
        for (int64_t k = i; k < n; k++) ys[k - i] = y[k], xs[k - i] = x[k];
        _mm256_storeu_pd(rs, atan2_f64_lanes4(_mm256_loadu_pd(ys), _mm256_loadu_pd(xs)));
        for (int64_t k = i; k < n; k++) o[k] = rs[k - i];
    }
}

/* pn_exp_f64_sub over 8 lanes (v: the magic sum, whose bits hold k), out where Y >= 1. */
static ALWAYS_INLINE T512 __m512d exp_f64_sub8(__m512d out, __m512d t, __m512d small, __m512d v) {
    const __m512d one = _mm512_set1_pd(1.0);
    __m512i nb = _mm512_add_epi64(
        _mm512_sub_epi64(_mm512_castpd_si512(v), _mm512_castpd_si512(_mm512_set1_pd(0x1.8p52))),
        _mm512_set1_epi64(32768));
    __m512i e =
        _mm512_slli_epi64(_mm512_sub_epi64(_mm512_srli_epi64(nb, 4), _mm512_set1_epi64(3)), 52);
    __m512d sc = _mm512_castsi512_pd(e), h = _mm512_mul_pd(t, sc), s = _mm512_mul_pd(small, sc);
    __m512d y = _mm512_add_pd(h, s), lo = _mm512_add_pd(_mm512_sub_pd(h, y), s);
    __m512d hi = _mm512_add_pd(one, y);
    __m512d lo2 = _mm512_add_pd(_mm512_add_pd(_mm512_sub_pd(one, hi), y), lo);
    __m512d r =
        _mm512_mul_pd(_mm512_sub_pd(_mm512_add_pd(hi, lo2), one), _mm512_set1_pd(0x1p-1022));
    return _mm512_mask_mov_pd(out, _mm512_cmp_pd_mask(y, one, _CMP_LT_OQ), r);
}
/* pn_exp_f64_tab over 8 lanes, the table's rows in t[0..1] (2^(j/16)) and t[2..3] (the
 * rest): vpermt2pd reads bits 3..0 of each index, and v's low bits are k's. The scaling
 * by vscalefpd, which rounds y 2^floor(k/16) once, as the scalar's two products do. */
static ALWAYS_INLINE T512 __m512d exp_f64_lanes8(__m512d x, const __m512d t[4]) {
    const __m512d magic = _mm512_set1_pd(0x1.8p52);
    __m512d c = _mm512_min_pd(_mm512_set1_pd(PN_EXP_D_MAX), x); /* NaN: the second operand */
    c = _mm512_max_pd(_mm512_set1_pd(PN_EXP_D_MIN), c);
    __m512d v = _mm512_fmadd_pd(c, _mm512_set1_pd(PN_EXP_D_16_LN2), magic);
    __m512d kf = _mm512_sub_pd(v, magic);
    __m512d r = _mm512_fmadd_pd(kf, _mm512_set1_pd(-PN_EXP_D_L1), c);
    r = _mm512_fmadd_pd(kf, _mm512_set1_pd(-PN_EXP_D_L2), r);
    __m512d q = _mm512_fmadd_pd(_mm512_set1_pd(1.0 / 5040), r, _mm512_set1_pd(1.0 / 720));
    q = _mm512_fmadd_pd(q, r, _mm512_set1_pd(1.0 / 120));
    q = _mm512_fmadd_pd(q, r, _mm512_set1_pd(1.0 / 24));
    q = _mm512_fmadd_pd(q, r, _mm512_set1_pd(1.0 / 6));
    q = _mm512_fmadd_pd(q, r, _mm512_set1_pd(0.5));
    __m512d p = _mm512_fmadd_pd(_mm512_mul_pd(r, r), q, r);
    __m512i j = _mm512_castpd_si512(v);
    __m512d hi = _mm512_permutex2var_pd(t[0], j, t[1]), lo = _mm512_permutex2var_pd(t[2], j, t[3]);
    __m512d small = _mm512_fmadd_pd(hi, p, lo), y = _mm512_add_pd(hi, small);
    __m512d out = _mm512_scalef_pd(y, _mm512_mul_pd(kf, _mm512_set1_pd(1.0 / 16)));
    __mmask8 sub = _mm512_cmp_pd_mask(kf, _mm512_set1_pd(-16336.0), _CMP_LT_OQ); /* m <= -1022 */
    if (sub) out = _mm512_mask_mov_pd(out, sub, exp_f64_sub8(out, hi, small, v));
    return out;
}
/* pn_sigmoid_f64_parts over 8 lanes: returns u, with d, q, ql. */
static ALWAYS_INLINE T512 __m512d sigmoid_parts8(__m512d x, const __m512d t[4], __m512d *d,
                                                 __m512d *q, __m512d *ql) {
    const __m512d one = _mm512_set1_pd(1.0);
    __m512d e = exp_f64_lanes8(_mm512_or_pd(x, _mm512_set1_pd(-0.0)), t);
    __m512d dh = _mm512_add_pd(one, e), dl = _mm512_add_pd(_mm512_sub_pd(one, dh), e);
    __m512d u = _mm512_div_pd(one, dh);
    *d = _mm512_sub_pd(_mm512_fnmadd_pd(u, dh, one), _mm512_mul_pd(u, dl));
    *q = _mm512_mul_pd(e, u), *ql = _mm512_fmsub_pd(e, u, *q);
    return u;
}
/* pn_sigmoid_f64_tab over 8 lanes. */
static ALWAYS_INLINE T512 __m512d sigmoid_f64_lanes8(__m512d x, const __m512d t[4]) {
    __m512d d, q, ql, u = sigmoid_parts8(x, t, &d, &q, &ql);
    __m512d pos = _mm512_fmadd_pd(u, d, u), neg = _mm512_add_pd(q, _mm512_fmadd_pd(q, d, ql));
    __m512d y =
        _mm512_mask_blend_pd(_mm512_cmp_pd_mask(x, _mm512_setzero_pd(), _CMP_GE_OQ), neg, pos);
    return _mm512_mask_add_pd(y, _mm512_cmp_pd_mask(x, x, _CMP_UNORD_Q), x, x);
}
/* pn_silu_f64_tab over 8 lanes. */
static ALWAYS_INLINE T512 __m512d silu_f64_lanes8(__m512d x, const __m512d t[4]) {
    __m512d d, q, ql, u = sigmoid_parts8(x, t, &d, &q, &ql);
    __mmask8 pos = _mm512_cmp_pd_mask(x, _mm512_setzero_pd(), _CMP_GE_OQ);
    __m512d h = _mm512_mask_blend_pd(pos, q, u), hl = _mm512_maskz_mov_pd((__mmask8)~pos, ql);
    __m512d p = _mm512_mul_pd(x, h), pe = _mm512_fmsub_pd(x, h, p);
    __m512d y = _mm512_add_pd(p, _mm512_fmadd_pd(p, d, _mm512_fmadd_pd(x, hl, pe)));
    __mmask8 keep = _mm512_fpclass_pd_mask(x, 0x18) | /* +-inf, and +-0 results */
                    _mm512_cmp_pd_mask(y, _mm512_setzero_pd(), _CMP_EQ_OQ);
    y = _mm512_mask_add_pd(_mm512_mask_mov_pd(y, keep, p), _mm512_cmp_pd_mask(x, x, _CMP_UNORD_Q),
                           x, x);
    __mmask8 tiny = _mm512_cmp_pd_mask(x, _mm512_set1_pd(PN_SILU_D_TINY), _CMP_LT_OQ);
    if (tiny) { /* (x E) E, E = e^(x/2): a branch, rarely taken */
        __m512d h2 = exp_f64_lanes8(_mm512_mul_pd(x, _mm512_set1_pd(0.5)), t);
        y = _mm512_mask_mov_pd(y, tiny, _mm512_mul_pd(_mm512_mul_pd(x, h2), h2));
    }
    return y;
}
/* pn_silu_grad_f64_tab over 8 lanes. */
static ALWAYS_INLINE T512 __m512d silu_grad_f64_lanes8(__m512d g, __m512d x, const __m512d t[4]) {
    __m512d d, q, ql, u = sigmoid_parts8(x, t, &d, &q, &ql);
    __m512d sp = _mm512_fmadd_pd(u, d, u), sn = _mm512_add_pd(q, _mm512_fmadd_pd(q, d, ql));
    __mmask8 pos = _mm512_cmp_pd_mask(x, _mm512_setzero_pd(), _CMP_GE_OQ);
    __m512d sig = _mm512_mask_blend_pd(pos, sn, sp), oms = _mm512_mask_blend_pd(pos, sp, sn);
    const __m512d one = _mm512_set1_pd(1.0);
    __m512d dx = _mm512_mul_pd(g, _mm512_mul_pd(sig, _mm512_fmadd_pd(x, oms, one)));
    __mmask8 tiny = _mm512_cmp_pd_mask(x, _mm512_set1_pd(PN_SILU_D_TINY), _CMP_LT_OQ);
    if (tiny) { /* (g ((1 + x) E)) E, E = e^(x/2): a branch, rarely taken */
        __m512d h2 = exp_f64_lanes8(_mm512_mul_pd(x, _mm512_set1_pd(0.5)), t);
        __m512d w = _mm512_mul_pd(g, _mm512_mul_pd(_mm512_add_pd(one, x), h2));
        dx = _mm512_mask_mov_pd(dx, tiny, _mm512_mul_pd(w, h2));
    }
    dx = _mm512_mask_add_pd(dx, _mm512_cmp_pd_mask(g, g, _CMP_UNORD_Q), g, g);
    return _mm512_mask_add_pd(dx, _mm512_cmp_pd_mask(x, x, _CMP_UNORD_Q), x, x);
}
/* An op over n contiguous doubles by its lanes function LANES(x, t), its table in NT
 * registers t[k] = LOAD (an expression in k), 8 at a time (a masked last step); long
 * arrays prefetch. */
#define F64_TAB_KERNEL8(NAME, LANES, NT, LOAD) \
    static T512 void NAME(const double *x, double *y, int64_t n) { \
        __m512d t[NT]; \
        for (int k = 0; k < NT; k++) t[k] = LOAD; \
        int64_t blk = pn_prefetch_blocksize(n); \
        for (int64_t b = 0; b < n; b += blk) { \
            int64_t e = n - b < blk ? n : b + blk, i = b; \
            if (blk < n) pn_prefetch_block(x, e, n, sizeof *x); \
            for (; i + 8 <= e; i += 8) _mm512_storeu_pd(y + i, LANES(_mm512_loadu_pd(x + i), t)); \
            if (i < e) { \
                __mmask8 m = (__mmask8)((1u << (e - i)) - 1); \
                _mm512_mask_storeu_pd(y + i, m, LANES(_mm512_maskz_loadu_pd(m, x + i), t)); \
            } \
        } \
    }
/* Row k / 2, half k % 2 of a table of rows of 16 doubles: t[k] for F64_TAB_KERNEL8. */
#define TAB_ROWS8(TAB) _mm512_loadu_pd(TAB[k / 2] + 8 * (k % 2))
F64_TAB_KERNEL8(exp_f64_avx512, exp_f64_lanes8, 4, TAB_ROWS8(pn_exp2_16d))
F64_TAB_KERNEL8(sigmoid_f64_avx512, sigmoid_f64_lanes8, 4, TAB_ROWS8(pn_exp2_16d))
F64_TAB_KERNEL8(silu_f64_avx512, silu_f64_lanes8, 4, TAB_ROWS8(pn_exp2_16d))
/* silu_grad_f64_lanes8 over n contiguous (g, x) to dx, 8 at a time (a masked last step). */
static T512 void silu_grad_f64_avx512(const double *g, const double *x, double *dx, int64_t n) {
    __m512d t[4];
    for (int k = 0; k < 4; k++) t[k] = TAB_ROWS8(pn_exp2_16d);
    for (int64_t i = 0; i < n; i += 8) {
        __mmask8 m = n - i >= 8 ? 0xff : (__mmask8)((1u << (n - i)) - 1);
        _mm512_mask_storeu_pd(dx + i, m,
                              silu_grad_f64_lanes8(_mm512_maskz_loadu_pd(m, g + i),
                                                   _mm512_maskz_loadu_pd(m, x + i), t));
    }
}

/* pn_log_f64_core over 8 lanes, the tables in registers: t[0..1] 1/c, t[2..3] the
 * base's hi row, t[4..5] its lo row (vpermt2pd reads bits 3..0 of each index). */
static ALWAYS_INLINE T512 __m512d log_f64_core8(__m512i ix, __m512d e, __m512d x1,
                                                const __m512d t[6], const pn_log_base *b,
                                                int kind) {
    const __m512d one = _mm512_set1_pd(1.0);
    __m512i tmp = _mm512_sub_epi64(ix, _mm512_set1_epi64((long long)PN_LOG_OFF));
    __m512i j = _mm512_srli_epi64(tmp, 48);
    __m512d kd = _mm512_cvtepi64_pd(_mm512_srai_epi64(tmp, 52));
    __m512d z = _mm512_castsi512_pd(
        _mm512_sub_epi64(ix, _mm512_and_si512(tmp, _mm512_set1_epi64((long long)PN_LOG_EXP_MASK))));
    __m512d invc = _mm512_permutex2var_pd(t[0], j, t[1]), r = _mm512_fmsub_pd(z, invc, one);
    __m512d w = _mm512_fmadd_pd(kd, _mm512_set1_pd(b->k_hi), _mm512_permutex2var_pd(t[2], j, t[3]));
    __m512d lt =
        _mm512_fmadd_pd(kd, _mm512_set1_pd(b->k_lo), _mm512_permutex2var_pd(t[4], j, t[5]));
    __m512d rh = r;
    if (kind == PN_LOGD_SCALED) {
        rh = _mm512_mul_pd(r, _mm512_set1_pd(b->a_hi));
        __m512d rem = _mm512_fmsub_pd(r, _mm512_set1_pd(b->a_hi), rh);
        lt = _mm512_add_pd(lt, _mm512_fmadd_pd(r, _mm512_set1_pd(b->a_lo), rem));
    } else if (kind == PN_LOGD_1P) {
        __m512d kc = _mm512_min_pd(kd, _mm512_set1_pd(1022.0));
        __m512d d =
            _mm512_scalef_pd(_mm512_mul_pd(e, invc), _mm512_sub_pd(_mm512_setzero_pd(), kc));
        __mmask8 near = _mm512_cmpeq_epi64_mask(j, _mm512_set1_epi64(9));
        r = rh = _mm512_mask_mov_pd(r, near, x1);
        d = _mm512_maskz_mov_pd((__mmask8)~near, d);
        lt = _mm512_add_pd(lt, _mm512_fnmadd_pd(d, _mm512_fnmadd_pd(r, r, r), d));
    }
    __m512d hi = _mm512_add_pd(w, rh);
    __m512d lo = _mm512_add_pd(_mm512_add_pd(_mm512_sub_pd(w, hi), rh), lt);
    __m512d rr = _mm512_mul_pd(r, r), rrl = _mm512_fmsub_pd(r, r, rr), q0 = _mm512_set1_pd(b->q[0]);
    __m512d p = _mm512_mul_pd(q0, rr), pl = _mm512_fmadd_pd(q0, rrl, _mm512_fmsub_pd(q0, rr, p));
    __m512d s = _mm512_add_pd(hi, p), q = _mm512_set1_pd(b->q[8]);
    lo = _mm512_add_pd(lo, _mm512_add_pd(_mm512_add_pd(_mm512_sub_pd(hi, s), p), pl));
    for (int i = 7; i >= 1; i--) q = _mm512_fmadd_pd(q, r, _mm512_set1_pd(b->q[i]));
    return _mm512_add_pd(s, _mm512_fmadd_pd(_mm512_mul_pd(rr, r), q, lo));
}
/* Lanes where bits ix are not those of a positive normal double (pn_log_f64_special). */
static ALWAYS_INLINE T512 __mmask8 log_f64_special8(__m512i ix) {
    return _mm512_cmpge_epu64_mask(_mm512_sub_epi64(ix, _mm512_set1_epi64(0x0010000000000000LL)),
                                   _mm512_set1_epi64(0x7fe0000000000000LL));
}
/* pn_log_f64_tab over 8 lanes (as log_f64_lanes4). */
static ALWAYS_INLINE T512 __m512d log_f64_lanes8(__m512d x, const __m512d t[6],
                                                 const pn_log_base *b, int kind) {
    __m512i ix = _mm512_castpd_si512(x);
    __m512d zero = _mm512_setzero_pd();
    __mmask8 sp = log_f64_special8(ix);
    if (!sp) return log_f64_core8(ix, zero, zero, t, b, kind);
    __mmask8 sub = _mm512_cmp_pd_mask(x, zero, _CMP_GT_OQ) &
                   _mm512_cmp_pd_mask(x, _mm512_set1_pd(0x1p-1022), _CMP_LT_OQ);
    ix = _mm512_mask_sub_epi64(ix, sub,
                               _mm512_castpd_si512(_mm512_mul_pd(x, _mm512_set1_pd(0x1p52))),
                               _mm512_set1_epi64(52LL << 52));
    __m512d out = log_f64_core8(ix, zero, zero, t, b, kind);
    out =
        _mm512_mask_mov_pd(out, _mm512_cmp_pd_mask(x, zero, _CMP_EQ_OQ), _mm512_set1_pd(-INFINITY));
    out = _mm512_mask_mov_pd(out, _mm512_cmp_pd_mask(x, zero, _CMP_LT_OQ), _mm512_set1_pd(NAN));
    out = _mm512_mask_mov_pd(out, _mm512_cmp_pd_mask(x, _mm512_set1_pd(INFINITY), _CMP_EQ_OQ), x);
    return _mm512_mask_add_pd(out, _mm512_cmp_pd_mask(x, x, _CMP_UNORD_Q), x, x);
}
/* pn_log1p_f64_tab over 8 lanes. */
static ALWAYS_INLINE T512 __m512d log1p_f64_lanes8(__m512d x, const __m512d t[6]) {
    const __m512d one = _mm512_set1_pd(1.0), zero = _mm512_setzero_pd();
    __m512d u = _mm512_add_pd(one, x);
    __m512d e = _mm512_add_pd(_mm512_sub_pd(_mm512_max_pd(x, one), u), _mm512_min_pd(x, one));
    __m512i iu = _mm512_castpd_si512(u);
    __m512d out = log_f64_core8(iu, e, x, t, &pn_log_base_e, PN_LOGD_1P);
    __mmask8 sp = log_f64_special8(iu);
    if (sp) {
        __m512d fix =
            _mm512_mask_mov_pd(u, _mm512_cmp_pd_mask(u, zero, _CMP_LT_OQ), _mm512_set1_pd(NAN));
        fix = _mm512_mask_mov_pd(fix, _mm512_cmp_pd_mask(u, zero, _CMP_EQ_OQ),
                                 _mm512_set1_pd(-INFINITY));
        fix = _mm512_mask_add_pd(fix, _mm512_cmp_pd_mask(u, u, _CMP_UNORD_Q), u, u);
        out = _mm512_mask_mov_pd(out, sp, fix);
    }
    return _mm512_mask_mov_pd(out, _mm512_cmp_pd_mask(x, zero, _CMP_EQ_OQ), x);
}
static ALWAYS_INLINE T512 __m512d log_e_f64_lanes8(__m512d x, const __m512d t[6]) {
    return log_f64_lanes8(x, t, &pn_log_base_e, PN_LOGD_E);
}
static ALWAYS_INLINE T512 __m512d log2_f64_lanes8(__m512d x, const __m512d t[6]) {
    return log_f64_lanes8(x, t, &pn_log_base_2, PN_LOGD_SCALED);
}
static ALWAYS_INLINE T512 __m512d log10_f64_lanes8(__m512d x, const __m512d t[6]) {
    return log_f64_lanes8(x, t, &pn_log_base_10, PN_LOGD_SCALED);
}
/* 1/c (two registers), then base B's hi and lo rows (four): the logarithms' t[k]. */
#define LOG_ROWS8(B) \
    _mm512_loadu_pd(k < 2 ? pn_log_invc16 + 8 * k : k < 4 ? B.hi + 8 * (k - 2) : B.lo + 8 * (k - 4))
F64_TAB_KERNEL8(log_f64_avx512, log_e_f64_lanes8, 6, LOG_ROWS8(pn_log_base_e))
F64_TAB_KERNEL8(log2_f64_avx512, log2_f64_lanes8, 6, LOG_ROWS8(pn_log_base_2))
F64_TAB_KERNEL8(log10_f64_avx512, log10_f64_lanes8, 6, LOG_ROWS8(pn_log_base_10))
F64_TAB_KERNEL8(log1p_f64_avx512, log1p_f64_lanes8, 6, LOG_ROWS8(pn_log_base_e))

/* pn_expm1_f64_pair over 8 lanes, exp's table in t[4] (as exp_f64_lanes8); 2^m by
 * vscalefpd (m = floor(k / 16)). */
static ALWAYS_INLINE T512 __m512d expm1_f64_pair8(__m512d c, const __m512d t[4], __m512d *lo,
                                                  int pos) {
    const __m512d magic = _mm512_set1_pd(0x1.8p52);
    __m512d kf = _mm512_sub_pd(_mm512_fmadd_pd(c, _mm512_set1_pd(PN_EXP_D_16_LN2), magic), magic);
    kf = _mm512_min_pd(kf, _mm512_set1_pd(16383.0));
    __m512d v = _mm512_add_pd(kf, magic);
    __m512d a = _mm512_fmadd_pd(kf, _mm512_set1_pd(-PN_EXP_D_L1), c);
    __m512d kl2 = _mm512_mul_pd(kf, _mm512_set1_pd(PN_EXP_D_L2));
    __m512d rh = _mm512_sub_pd(a, kl2), rl = _mm512_sub_pd(_mm512_sub_pd(a, rh), kl2);
    __m512d r2 = _mm512_mul_pd(rh, rh), r2l = _mm512_fmsub_pd(rh, rh, r2),
            r4 = _mm512_mul_pd(r2, r2);
    __m512d q =
        _mm512_fmadd_pd(_mm512_fmadd_pd(_mm512_set1_pd(1.0 / 720), rh, _mm512_set1_pd(1.0 / 120)),
                        r2, _mm512_fmadd_pd(_mm512_set1_pd(1.0 / 24), rh, _mm512_set1_pd(1.0 / 6)));
    __m512d q4 = _mm512_fmadd_pd(_mm512_set1_pd(1.0 / 40320), rh, _mm512_set1_pd(1.0 / 5040));
    q = _mm512_fmadd_pd(q4, r4, q);
    __m512d u = _mm512_fmadd_pd(_mm512_mul_pd(r2, rh), q, _mm512_fmadd_pd(rl, rh, rl));
    __m512i j = _mm512_castpd_si512(v);
    __m512d m = _mm512_mul_pd(kf, _mm512_set1_pd(1.0 / 16));
    __m512d s_ = _mm512_scalef_pd(_mm512_permutex2var_pd(t[0], j, t[1]), m);
    __m512d sl = _mm512_scalef_pd(_mm512_permutex2var_pd(t[2], j, t[3]), m);
    __m512d h0 = _mm512_sub_pd(s_, _mm512_set1_pd(1.0)), e0;
    if (pos) {
        e0 = _mm512_sub_pd(_mm512_sub_pd(s_, h0), _mm512_set1_pd(1.0));
    } else {
        __m512d b0 = _mm512_sub_pd(h0, s_);
        e0 = _mm512_add_pd(_mm512_sub_pd(s_, _mm512_sub_pd(h0, b0)),
                           _mm512_sub_pd(_mm512_set1_pd(-1.0), b0));
    }
    __m512d ph = _mm512_mul_pd(s_, rh), pl = _mm512_fmsub_pd(s_, rh, ph);
    __m512d hs = _mm512_mul_pd(_mm512_set1_pd(0.5), s_), mh = _mm512_mul_pd(hs, r2);
    __m512d ml = _mm512_fmadd_pd(hs, r2l, _mm512_fmsub_pd(hs, r2, mh));
    __m512d s1 = _mm512_add_pd(h0, ph), e1 = _mm512_add_pd(_mm512_sub_pd(h0, s1), ph);
    __m512d s = _mm512_add_pd(s1, mh), e2 = _mm512_add_pd(_mm512_sub_pd(s1, s), mh);
    __m512d rest = _mm512_add_pd(
        _mm512_add_pd(_mm512_add_pd(_mm512_add_pd(e1, e0), pl), _mm512_add_pd(e2, ml)),
        _mm512_fmadd_pd(s_, u, _mm512_fmadd_pd(sl, rh, sl)));
    __m512d h = _mm512_add_pd(s, rest);
    *lo = _mm512_add_pd(_mm512_sub_pd(s, h), rest);
    return h;
}
/* pn_expm1_f64_tab over 8 lanes. */
static ALWAYS_INLINE T512 __m512d expm1_f64_lanes8(__m512d x, const __m512d t[4]) {
    __m512d lo, c = _mm512_max_pd(x, _mm512_set1_pd(PN_EXPM1_D_MIN));
    __m512d h = expm1_f64_pair8(c, t, &lo, 0);
    __mmask8 far = _mm512_cmp_pd_mask(x, _mm512_set1_pd(PN_EXPM1_D_MAX), _CMP_NLE_UQ);
    if (far) h = _mm512_mask_mov_pd(h, far, exp_f64_lanes8(x, t));
    return _mm512_mask_mov_pd(h, _mm512_cmp_pd_mask(x, _mm512_setzero_pd(), _CMP_EQ_OQ), x);
}
/* pn_tanh_f64_tab over 8 lanes. */
static ALWAYS_INLINE T512 __m512d tanh_f64_lanes8(__m512d x, const __m512d t[4]) {
    const __m512d two = _mm512_set1_pd(2.0), sign = _mm512_set1_pd(-0.0);
    __m512d ax = _mm512_andnot_pd(sign, x), l;
    __m512d h =
        expm1_f64_pair8(_mm512_min_pd(_mm512_add_pd(ax, ax), _mm512_set1_pd(40.0)), t, &l, 1);
    __m512d dh = _mm512_add_pd(two, h);
    __m512d dl = _mm512_add_pd(
        _mm512_add_pd(_mm512_sub_pd(_mm512_max_pd(h, two), dh), _mm512_min_pd(h, two)), l);
    __m512d inv = _mm512_div_pd(_mm512_set1_pd(1.0), dh), q = _mm512_mul_pd(h, inv);
    __m512d rem = _mm512_add_pd(_mm512_fnmadd_pd(q, dh, h), _mm512_fnmadd_pd(q, dl, l));
    __m512d y = _mm512_or_pd(_mm512_fmadd_pd(rem, inv, q), _mm512_and_pd(x, sign));
    return _mm512_mask_add_pd(y, _mm512_cmp_pd_mask(x, x, _CMP_UNORD_Q), x, x);
}
F64_TAB_KERNEL8(expm1_f64_avx512, expm1_f64_lanes8, 4, TAB_ROWS8(pn_exp2_16d))
F64_TAB_KERNEL8(tanh_f64_avx512, tanh_f64_lanes8, 4, TAB_ROWS8(pn_exp2_16d))

/* Row k of pn_erf16d at the columns j (bits 3..0 of each lane; vpermt2pd). */
#define ERF_ROW8(k) \
    _mm512_permutex2var_pd(_mm512_loadu_pd(pn_erf16d[k]), j, _mm512_loadu_pd(pn_erf16d[k] + 8))
/* pn_erf_g over 8 lanes. */
static ALWAYS_INLINE T512 __m512d erf_g8(__m512i j, __m512d v, __m512d *gl, __m512d *dg) {
    __m512d v2 = _mm512_mul_pd(v, v), v4 = _mm512_mul_pd(v2, v2), r1 = ERF_ROW8(5);
    __m512d e01 = _mm512_fmadd_pd(r1, v, ERF_ROW8(4)),
            e23 = _mm512_fmadd_pd(ERF_ROW8(7), v, ERF_ROW8(6));
    __m512d e45 = _mm512_fmadd_pd(ERF_ROW8(9), v, ERF_ROW8(8));
    __m512d e67 = _mm512_fmadd_pd(ERF_ROW8(11), v, ERF_ROW8(10));
    __m512d f0 = _mm512_fmadd_pd(e23, v2, e01), f1 = _mm512_fmadd_pd(e67, v2, e45);
    __m512d r = _mm512_fmadd_pd(_mm512_fmadd_pd(ERF_ROW8(12), v4, f1), v4, f0);
    __m512d g0 = ERF_ROW8(0), g1 = ERF_ROW8(2);
    __m512d p1 = _mm512_mul_pd(g1, v), p1e = _mm512_fmsub_pd(g1, v, p1);
    __m512d gh = _mm512_add_pd(g0, p1), ge = _mm512_add_pd(_mm512_sub_pd(g0, gh), p1);
    *dg = _mm512_fmadd_pd(v, _mm512_fmadd_pd(v, r1, _mm512_add_pd(r, r)), g1);
    __m512d rest = _mm512_add_pd(_mm512_add_pd(ERF_ROW8(1), p1e), _mm512_mul_pd(ERF_ROW8(3), v));
    *gl = _mm512_fmadd_pd(v2, r, _mm512_add_pd(ge, rest));
    return gh;
}
#undef ERF_ROW8
/* pn_erf_f64_tiny over 8 lanes. */
static ALWAYS_INLINE T512 __m512d erf_f64_tiny8(__m512d a, __m512d gh, __m512d gl) {
    const __m512d c = _mm512_set1_pd(0x1p-958);
    __m512d aa = _mm512_mul_pd(a, _mm512_set1_pd(0x1p64)), hi = _mm512_mul_pd(aa, gh);
    __m512d lo = _mm512_add_pd(_mm512_fmsub_pd(aa, gh, hi), _mm512_mul_pd(aa, gl));
    __m512d s = _mm512_add_pd(c, hi),
            l2 = _mm512_add_pd(_mm512_add_pd(_mm512_sub_pd(c, s), hi), lo);
    __m512d r = _mm512_mask_sub_pd(_mm512_add_pd(hi, lo), _mm512_cmp_pd_mask(hi, c, _CMP_LT_OQ),
                                   _mm512_add_pd(s, l2), c);
    return _mm512_mul_pd(r, _mm512_set1_pd(0x1p-64));
}
/* pn_exp_f64_neg_pair over 8 lanes, exp's table in t[0..3]: T, *sm, the magic sum *v
 * (k in its low bits) and k/16 (vscalefpd's 2^floor(k/16) is 2^m). */
static ALWAYS_INLINE T512 __m512d exp_f64_neg_pair8(__m512d h, __m512d l, const __m512d t[4],
                                                    __m512d *sm, __m512d *v, __m512d *kf16) {
    const __m512d magic = _mm512_set1_pd(0x1.8p52);
    *v = _mm512_fnmadd_pd(h, _mm512_set1_pd(PN_EXP_D_16_LN2), magic);
    __m512d kf = _mm512_sub_pd(*v, magic);
    __m512d x0 = _mm512_fnmsub_pd(kf, _mm512_set1_pd(PN_EXP_D_L1), h);
    __m512d y0 = _mm512_fmadd_pd(kf, _mm512_set1_pd(PN_EXP_D_L2), l);
    __m512d r = _mm512_sub_pd(x0, y0), rl = _mm512_sub_pd(_mm512_sub_pd(x0, r), y0);
    __m512d r2 = _mm512_mul_pd(r, r), r4 = _mm512_mul_pd(r2, r2);
    __m512d qa = _mm512_fmadd_pd(_mm512_set1_pd(1.0 / 6), r, _mm512_set1_pd(0.5));
    __m512d qb = _mm512_fmadd_pd(_mm512_set1_pd(1.0 / 120), r, _mm512_set1_pd(1.0 / 24));
    __m512d qc = _mm512_fmadd_pd(_mm512_set1_pd(1.0 / 5040), r, _mm512_set1_pd(1.0 / 720));
    __m512d q = _mm512_fmadd_pd(_mm512_fmadd_pd(_mm512_set1_pd(1.0 / 40320), r2, qc), r4,
                                _mm512_fmadd_pd(qb, r2, qa));
    __m512i je = _mm512_castpd_si512(*v);
    __m512d tt = _mm512_permutex2var_pd(t[0], je, t[1]);
    *sm = _mm512_fmadd_pd(
        tt, r,
        _mm512_fmadd_pd(tt, _mm512_fmadd_pd(r2, q, rl), _mm512_permutex2var_pd(t[2], je, t[3])));
    *kf16 = _mm512_mul_pd(kf, _mm512_set1_pd(1.0 / 16));
    return tt;
}
/* pn_erfc_f64_pair over 8 lanes (a + al capped, a^2 = h + l), exp's table in t[0..3];
 * *kf16 = k / 16 for vscalefpd and *vm the magic sum (k in its low bits). */
static ALWAYS_INLINE T512 __m512d erfc_f64_pair8(__m512d a, __m512d al, __m512d h, __m512d l,
                                                 const __m512d t[4], __m512d *yl, __m512d *kf16,
                                                 __m512d *vm, __m512d *e) {
    const __m512d magic = _mm512_set1_pd(0x1.8p52), one = _mm512_set1_pd(1.0);
    __m512d sm, tt = exp_f64_neg_pair8(h, l, t, &sm, vm, kf16);
    *e = _mm512_add_pd(tt, sm);
    __m512d qa4 = _mm512_mul_pd(_mm512_set1_pd(0.25), a);
    __m512d dh = _mm512_fmadd_pd(a, _mm512_set1_pd(0.25), one);
    __m512d dl = _mm512_add_pd(
        _mm512_add_pd(_mm512_sub_pd(_mm512_max_pd(qa4, one), dh), _mm512_min_pd(qa4, one)),
        _mm512_mul_pd(_mm512_set1_pd(0.25), al));
    __m512d th = _mm512_div_pd(one, dh);
    __m512d tl =
        _mm512_mul_pd(th, _mm512_sub_pd(_mm512_fnmadd_pd(th, dh, one), _mm512_mul_pd(th, dl)));
    __m512d uh = _mm512_mul_pd(tt, th), st = _mm512_mul_pd(sm, th), us = _mm512_add_pd(uh, st);
    __m512d c1 = _mm512_add_pd(_mm512_fmadd_pd(tt, tl, _mm512_fmsub_pd(tt, th, uh)),
                               _mm512_fmadd_pd(sm, tl, _mm512_fmsub_pd(sm, th, st)));
    __m512d w = _mm512_fmadd_pd(th, _mm512_set1_pd(16.0), magic);
    __m512d vt = _mm512_fmadd_pd(_mm512_sub_pd(w, magic), _mm512_set1_pd(-1.0 / 16), th);
    __m512d gl, dg, gh = erf_g8(_mm512_castpd_si512(w), vt, &gl, &dg);
    __m512d yh = _mm512_mul_pd(uh, gh);
    __m512d lo = _mm512_fmadd_pd(c1, gh, _mm512_fmsub_pd(uh, gh, yh));
    *yl = _mm512_fmadd_pd(st, gh,
                          _mm512_fmadd_pd(us, gl, _mm512_fmadd_pd(_mm512_mul_pd(us, tl), dg, lo)));
    return yh;
}
/* pn_erfc_f64_from over 8 lanes: c - 2^m (y + yl), 2^m by vscalefpd. */
static ALWAYS_INLINE T512 __m512d erfc_f64_from8(__m512d c, __m512d y, __m512d yl, __m512d kf16) {
    __m512d sh = _mm512_scalef_pd(y, kf16), sl = _mm512_scalef_pd(yl, kf16);
    __m512d d = _mm512_sub_pd(c, sh);
    return _mm512_add_pd(d, _mm512_sub_pd(_mm512_sub_pd(_mm512_sub_pd(c, d), sh), sl));
}
/* pn_erfc_f64_tab over 8 lanes. */
static ALWAYS_INLINE T512 __m512d erfc_f64_lanes8(__m512d x, const __m512d t[4]) {
    __m512d a = _mm512_min_pd(_mm512_abs_pd(x), _mm512_set1_pd(PN_ERFC_D_MAX));
    __m512d h = _mm512_mul_pd(a, a), yl, kf16, vm, e;
    __m512d y =
        erfc_f64_pair8(a, _mm512_setzero_pd(), h, _mm512_fmsub_pd(a, a, h), t, &yl, &kf16, &vm, &e);
    __m512d out = _mm512_scalef_pd(_mm512_add_pd(y, yl), kf16);
    __mmask8 sub = _mm512_cmp_pd_mask(out, _mm512_set1_pd(0x1p-1022), _CMP_LT_OQ);
    if (sub) out = _mm512_mask_mov_pd(out, sub, exp_f64_sub8(out, y, yl, vm));
    __mmask8 neg = _mm512_cmp_pd_mask(x, _mm512_setzero_pd(), _CMP_LT_OQ);
    out = _mm512_mask_mov_pd(out, neg, erfc_f64_from8(_mm512_set1_pd(2.0), y, yl, kf16));
    return _mm512_mask_add_pd(out, _mm512_cmp_pd_mask(x, x, _CMP_UNORD_Q), x, x);
}
/* Row k of pn_erfx16d at the columns j (bits 3..0 of each lane; vpermt2pd). */
#define ERFX_ROW8(k) \
    _mm512_permutex2var_pd(_mm512_loadu_pd(pn_erfx16d[k]), j, _mm512_loadu_pd(pn_erfx16d[k] + 8))
/* pn_erfx_g over 8 lanes. */
static ALWAYS_INLINE T512 __m512d erfx_g8(__m512i j, __m512d v, __m512d vl, __m512d *gl) {
    __m512d v2 = _mm512_mul_pd(v, v), v2l = _mm512_fmsub_pd(v, v, v2), v4 = _mm512_mul_pd(v2, v2);
    __m512d e12 = _mm512_fmadd_pd(ERFX_ROW8(6), v, ERFX_ROW8(5));
    __m512d e34 = _mm512_fmadd_pd(ERFX_ROW8(8), v, ERFX_ROW8(7));
    __m512d e56 = _mm512_fmadd_pd(ERFX_ROW8(10), v, ERFX_ROW8(9));
    __m512d e78 = _mm512_fmadd_pd(ERFX_ROW8(12), v, ERFX_ROW8(11));
    __m512d e9a = _mm512_fmadd_pd(ERFX_ROW8(14), v, ERFX_ROW8(13));
    __m512d f0 = _mm512_fmadd_pd(e34, v2, e12), f1 = _mm512_fmadd_pd(e78, v2, e56);
    __m512d f2 = _mm512_fmadd_pd(ERFX_ROW8(15), v2, e9a);
    __m512d S = _mm512_fmadd_pd(_mm512_fmadd_pd(f2, v4, f1), v4, f0);
    __m512d g0 = ERFX_ROW8(0), g1 = ERFX_ROW8(2), r0 = ERFX_ROW8(4);
    __m512d p1 = _mm512_mul_pd(g1, v), p1e = _mm512_fmsub_pd(g1, v, p1);
    __m512d gh = _mm512_add_pd(g0, p1), ge = _mm512_add_pd(_mm512_sub_pd(g0, gh), p1);
    __m512d p2 = _mm512_mul_pd(r0, v2), p2e = _mm512_fmsub_pd(r0, v2, p2);
    __m512d gh2 = _mm512_add_pd(gh, p2), ge2 = _mm512_add_pd(_mm512_sub_pd(gh, gh2), p2);
    __m512d rest = _mm512_add_pd(_mm512_add_pd(ERFX_ROW8(1), p1e), _mm512_fmadd_pd(r0, v2l, p2e));
    __m512d dv = _mm512_fmadd_pd(_mm512_add_pd(r0, r0), v, g1);
    rest = _mm512_add_pd(rest, _mm512_fmadd_pd(dv, vl, _mm512_mul_pd(ERFX_ROW8(3), v)));
    *gl = _mm512_fmadd_pd(_mm512_mul_pd(v2, v), S, _mm512_add_pd(_mm512_add_pd(ge, ge2), rest));
    return gh2;
}
#undef ERFX_ROW8
/* pn_erf_f64_tab over 8 lanes: every lane through one column (0 where |x| < 1/2). */
static ALWAYS_INLINE T512 __m512d erf_f64_lanes8(__m512d x) {
    const __m512d magic = _mm512_set1_pd(0x1.8p52);
    __m512d a = _mm512_abs_pd(x), ac = _mm512_min_pd(a, _mm512_set1_pd(PN_ERF_D_MAX));
    __mmask8 small = _mm512_cmp_pd_mask(a, _mm512_set1_pd(PN_ERF_D_SMALL), _CMP_LT_OQ);
    __m512d jf = _mm512_sub_pd(
        _mm512_add_pd(_mm512_fmadd_pd(ac, _mm512_set1_pd(8.0 / 3), _mm512_set1_pd(-5.0 / 6)),
                      magic),
        magic);
    jf = _mm512_max_pd(jf, _mm512_set1_pd(1.0));
    __m512d v =
        _mm512_sub_pd(ac, _mm512_fmadd_pd(jf, _mm512_set1_pd(0.375), _mm512_set1_pd(0.3125)));
    __m512d z = _mm512_mul_pd(a, a);
    __m512i j =
        _mm512_maskz_mov_epi64((__mmask8)~small, _mm512_castpd_si512(_mm512_add_pd(jf, magic)));
    __m512d gl, gh = erfx_g8(j, _mm512_mask_mov_pd(v, small, z),
                             _mm512_maskz_fmsub_pd(small, a, a, z), &gl);
    __m512d out = _mm512_add_pd(gh, gl);
    if (small) {
        out = _mm512_mask_mov_pd(out, small, _mm512_fmadd_pd(a, gh, _mm512_mul_pd(a, gl)));
        __mmask8 tiny = small & _mm512_cmp_pd_mask(a, _mm512_set1_pd(PN_ERF_D_TINY), _CMP_LT_OQ);
        if (tiny) out = _mm512_mask_mov_pd(out, tiny, erf_f64_tiny8(a, gh, gl));
    }
    out = _mm512_or_pd(out, _mm512_and_pd(x, _mm512_set1_pd(-0.0)));
    return _mm512_mask_add_pd(out, _mm512_cmp_pd_mask(x, x, _CMP_UNORD_Q), x, x);
}
/* An op with no table in registers (LANES(x)) by F64_TAB_KERNEL8. */
#define F64_KERNEL8(NAME, LANES) \
    static ALWAYS_INLINE T512 __m512d NAME##_lanes(__m512d x, const __m512d t[1]) { \
        (void)t; \
        return LANES(x); \
    } \
    F64_TAB_KERNEL8(NAME, NAME##_lanes, 1, _mm512_setzero_pd())
F64_KERNEL8(erf_f64_avx512, erf_f64_lanes8)
F64_TAB_KERNEL8(erfc_f64_avx512, erfc_f64_lanes8, 4, TAB_ROWS8(pn_exp2_16d))

/* pn_log_f64_pair over 8 lanes, the tables in t[0..5] (as log_f64_core8, base e). */
static ALWAYS_INLINE T512 __m512d log_f64_pair8(__m512i ix, const __m512d t[6], __m512d *lo) {
    const pn_log_base *b = &pn_log_base_e;
    const double *c = pn_pow_log_r;
    const __m512d th = _mm512_set1_pd(PN_THIRD_HI);
    __m512i tmp = _mm512_sub_epi64(ix, _mm512_set1_epi64((long long)PN_LOG_OFF));
    __m512i j = _mm512_srli_epi64(tmp, 48);
    __m512d kd = _mm512_cvtepi64_pd(_mm512_srai_epi64(tmp, 52));
    __m512d z = _mm512_castsi512_pd(
        _mm512_sub_epi64(ix, _mm512_and_si512(tmp, _mm512_set1_epi64((long long)PN_LOG_EXP_MASK))));
    __m512d r = _mm512_fmsub_pd(z, _mm512_permutex2var_pd(t[0], j, t[1]), _mm512_set1_pd(1.0));
    __m512d w = _mm512_fmadd_pd(kd, _mm512_set1_pd(b->k_hi), _mm512_permutex2var_pd(t[2], j, t[3]));
    __m512d tl =
        _mm512_fmadd_pd(kd, _mm512_set1_pd(b->k_lo), _mm512_permutex2var_pd(t[4], j, t[5]));
    __m512d rr = _mm512_mul_pd(r, r), rrl = _mm512_fmsub_pd(r, r, rr), r4 = _mm512_mul_pd(rr, rr);
    __m512d r4l = _mm512_add_pd(_mm512_fmsub_pd(rr, rr, r4),
                                _mm512_mul_pd(_mm512_mul_pd(_mm512_set1_pd(2.0), rr), rrl));
    __m512d c3 = _mm512_mul_pd(rr, r);
    __m512d c3l = _mm512_add_pd(_mm512_fmsub_pd(rr, r, c3), _mm512_mul_pd(rrl, r));
    __m512d m = _mm512_mul_pd(c3, th);
    __m512d ml =
        _mm512_add_pd(_mm512_fmsub_pd(c3, th, m),
                      _mm512_fmadd_pd(c3, _mm512_set1_pd(PN_THIRD_LO), _mm512_mul_pd(c3l, th)));
    __m512d h1 = _mm512_add_pd(w, r), e1 = _mm512_add_pd(_mm512_sub_pd(w, h1), r);
    __m512d p = _mm512_mul_pd(_mm512_set1_pd(-0.5), rr);
    __m512d h2 = _mm512_add_pd(h1, p), e2 = _mm512_add_pd(_mm512_sub_pd(h1, h2), p);
    __m512d h3 = _mm512_add_pd(h2, m), e3 = _mm512_add_pd(_mm512_sub_pd(h2, h3), m);
#define C8(i) _mm512_set1_pd(c[i])
    __m512d p2 = _mm512_fmadd_pd(C8(3), r, C8(2)), p1 = _mm512_fmadd_pd(C8(1), r, C8(0));
    __m512d p3 = _mm512_fmadd_pd(C8(5), r, C8(4)), p5 = _mm512_fmadd_pd(C8(7), r, C8(6));
#undef C8
    __m512d R = _mm512_fmadd_pd(_mm512_fmadd_pd(p5, rr, p3), r4, _mm512_fmadd_pd(p2, rr, p1));
    __m512d q4 = _mm512_fmadd_pd(r, R, _mm512_set1_pd(-0.25));
    __m512d d = _mm512_fmadd_pd(r4, q4, _mm512_mul_pd(r4l, q4));
    __m512d s = _mm512_add_pd(_mm512_add_pd(tl, e1), _mm512_add_pd(e2, e3));
    __m512d l = _mm512_add_pd(_mm512_add_pd(s, _mm512_fmadd_pd(_mm512_set1_pd(-0.5), rrl, ml)), d);
    __m512d hi = _mm512_add_pd(h3, l);
    *lo = _mm512_add_pd(_mm512_sub_pd(h3, hi), l);
    return hi;
}
/* pn_pow_f64_tab over 8 lanes (x in (0, inf), y finite), the logarithm's tables in
 * t[0..5], exp's in t[6..9]. */
static ALWAYS_INLINE T512 __m512d pow_f64_lanes8(__m512d x, __m512d y, const __m512d t[10]) {
    __m512i ix = _mm512_castpd_si512(x);
    __mmask8 sub = _mm512_cmp_pd_mask(x, _mm512_set1_pd(0x1p-1022), _CMP_LT_OQ);
    if (sub)
        ix = _mm512_mask_sub_epi64(ix, sub,
                                   _mm512_castpd_si512(_mm512_mul_pd(x, _mm512_set1_pd(0x1p52))),
                                   _mm512_set1_epi64(52LL << 52));
    __m512d lo, hi = log_f64_pair8(ix, t, &lo), ny = _mm512_xor_pd(y, _mm512_set1_pd(-0.0));
    __m512d h = _mm512_mul_pd(ny, hi);
    __m512d l = _mm512_add_pd(_mm512_fmsub_pd(ny, hi, h), _mm512_mul_pd(ny, lo));
    __m512d hc = _mm512_max_pd(_mm512_set1_pd(-PN_EXP_D_MAX), h);
    hc = _mm512_min_pd(_mm512_set1_pd(-PN_EXP_D_MIN), hc);
    l = _mm512_maskz_mov_pd(_mm512_cmp_pd_mask(hc, h, _CMP_EQ_OQ), l);
    __m512d sm, v, kf16, tt = exp_f64_neg_pair8(hc, l, t + 6, &sm, &v, &kf16);
    __m512d out = _mm512_scalef_pd(_mm512_add_pd(tt, sm), kf16);
    __mmask8 tiny = _mm512_cmp_pd_mask(out, _mm512_set1_pd(0x1p-1022), _CMP_LT_OQ);
    if (tiny) out = _mm512_mask_mov_pd(out, tiny, exp_f64_sub8(out, tt, sm, v));
    return out;
}
/* pn_pow_f64_tab over n contiguous pairs (a[i], b[i]), 8 at a time (the idle lanes of the
 * last step compute 1 ** 1). */
static T512 void pow_plain_f64_avx512(const double *a, const double *b, double *o, int64_t n) {
    __m512d t[10];
    for (int k = 0; k < 6; k++) t[k] = LOG_ROWS8(pn_log_base_e);
    for (int k = 0; k < 4; k++) t[6 + k] = TAB_ROWS8(pn_exp2_16d);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm512_storeu_pd(o + i, pow_f64_lanes8(_mm512_loadu_pd(a + i), _mm512_loadu_pd(b + i), t));
    if (i < n) {
        __mmask8 m = (__mmask8)((1u << (n - i)) - 1);
        __m512d one = _mm512_set1_pd(1.0);
        __m512d v = pow_f64_lanes8(_mm512_mask_loadu_pd(one, m, a + i),
                                   _mm512_mask_loadu_pd(one, m, b + i), t);
        _mm512_mask_storeu_pd(o + i, m, v);
    }
}
/* pn_phi_f64_core over 8 lanes; *k1 = k/16 - 1 (vscalefpd by it: 2^(m-1)). */
static ALWAYS_INLINE T512 __m512d phi_f64_core8(__m512d x, const __m512d t[4], __m512d *yl,
                                                __m512d *k1, __m512d *e) {
    const __m512d half = _mm512_set1_pd(0.5), sh1 = _mm512_set1_pd(PN_SQRT1_2_HI);
    __m512d ac = _mm512_min_pd(_mm512_abs_pd(x), _mm512_set1_pd(PN_GELU_D_MAX));
    __m512d xx = _mm512_mul_pd(ac, ac), a = _mm512_mul_pd(ac, sh1);
    __m512d al = _mm512_add_pd(_mm512_fmsub_pd(ac, sh1, a),
                               _mm512_mul_pd(ac, _mm512_set1_pd(PN_SQRT1_2_LO)));
    __m512d kf16, vm;
    __m512d y =
        erfc_f64_pair8(a, al, _mm512_mul_pd(half, xx),
                       _mm512_mul_pd(half, _mm512_fmsub_pd(ac, ac, xx)), t, yl, &kf16, &vm, e);
    *k1 = _mm512_sub_pd(kf16, _mm512_set1_pd(1.0));
    return y;
}
/* Whether |x| is beyond PN_GELU_D_MAX or NaN; *step: 0 for x < 0, 1 elsewhere. */
static ALWAYS_INLINE T512 __mmask8 gelu_far8(__m512d x, __mmask8 neg, __m512d *step) {
    *step = _mm512_maskz_mov_pd((__mmask8)~neg, _mm512_set1_pd(1.0));
    return _mm512_cmp_pd_mask(_mm512_abs_pd(x), _mm512_set1_pd(PN_GELU_D_MAX), _CMP_NLE_UQ);
}
/* pn_gelu_f64_tab over 8 lanes. */
static ALWAYS_INLINE T512 __m512d gelu_f64_lanes8(__m512d x, const __m512d t[4]) {
    const __m512d one = _mm512_set1_pd(1.0);
    __m512d yl, k1, e, step;
    __m512d y = phi_f64_core8(x, t, &yl, &k1, &e);
    __m512d sh = _mm512_scalef_pd(y, k1), sl = _mm512_scalef_pd(yl, k1), d = _mm512_sub_pd(one, sh);
    __m512d lo = _mm512_sub_pd(_mm512_sub_pd(_mm512_sub_pd(one, d), sh), sl);
    __mmask8 neg = _mm512_cmp_pd_mask(x, _mm512_setzero_pd(), _CMP_LT_OQ);
    __m512d out = _mm512_fmadd_pd(x, d, _mm512_mul_pd(x, lo));
    out = _mm512_mask_mov_pd(out, neg,
                             _mm512_scalef_pd(_mm512_fmadd_pd(x, y, _mm512_mul_pd(x, yl)), k1));
    __mmask8 far = gelu_far8(x, neg, &step);
    out = _mm512_mask_mul_pd(out, far, x, step);
    return _mm512_mask_add_pd(out, _mm512_cmp_pd_mask(x, x, _CMP_UNORD_Q), x, x);
}
F64_TAB_KERNEL8(gelu_f64_avx512, gelu_f64_lanes8, 4, TAB_ROWS8(pn_exp2_16d))
/* pn_gelu_grad_f64_tab over 8 lanes. */
static ALWAYS_INLINE T512 __m512d gelu_grad_f64_lanes8(__m512d g, __m512d x, const __m512d t[4]) {
    const __m512d one = _mm512_set1_pd(1.0);
    __m512d yl, k1, e, step;
    __m512d y = phi_f64_core8(x, t, &yl, &k1, &e);
    __m512d sh = _mm512_scalef_pd(y, k1), sl = _mm512_scalef_pd(yl, k1), d = _mm512_sub_pd(one, sh);
    __m512d ec = _mm512_mul_pd(e, _mm512_set1_pd(PN_2_SQRT_2PI));
    __m512d r = _mm512_add_pd(
        d, _mm512_fmadd_pd(x, _mm512_scalef_pd(ec, k1),
                           _mm512_sub_pd(_mm512_sub_pd(_mm512_sub_pd(one, d), sh), sl)));
    __mmask8 neg = _mm512_cmp_pd_mask(x, _mm512_setzero_pd(), _CMP_LT_OQ);
    r = _mm512_mask_mov_pd(r, neg,
                           _mm512_scalef_pd(_mm512_add_pd(y, _mm512_fmadd_pd(x, ec, yl)), k1));
    __mmask8 far = gelu_far8(x, neg, &step);
    r = _mm512_mask_mov_pd(r, far, _mm512_add_pd(step, _mm512_mul_pd(x, _mm512_setzero_pd())));
    return _mm512_mul_pd(g, r);
}
/* gelu_grad_f64_lanes8 over n contiguous (g, x) to dx, 8 at a time (a masked last step). */
static T512 void gelu_grad_f64_avx512(const double *g, const double *x, double *dx, int64_t n) {
    __m512d t[4];
    for (int k = 0; k < 4; k++) t[k] = TAB_ROWS8(pn_exp2_16d);
    for (int64_t i = 0; i < n; i += 8) {
        __mmask8 m = n - i >= 8 ? 0xff : (__mmask8)((1u << (n - i)) - 1);
        _mm512_mask_storeu_pd(dx + i, m,
                              gelu_grad_f64_lanes8(_mm512_maskz_loadu_pd(m, g + i),
                                                   _mm512_maskz_loadu_pd(m, x + i), t));
    }
}

/* libm's f on the lanes of x that m marks, y elsewhere (as libm_lanes4). */
static T512 __m512d libm_lanes8(__m512d y, __m512d x, __mmask8 m, double (*f)(double)) {
    double xs[8], ys[8];
    _mm512_storeu_pd(xs, x);
    _mm512_storeu_pd(ys, y);
    for (int i = 0; i < 8; i++)
        if (m >> i & 1) ys[i] = f(xs[i]);
    return _mm512_loadu_pd(ys);
}
/* pn_trig_reduce over 8 lanes. */
static ALWAYS_INLINE T512 __m512i trig_reduce8(__m512d x, __m512d *rh, __m512d *rl) {
    const __m512d magic = _mm512_set1_pd(0x1.8p52);
    __m512d v = _mm512_fmadd_pd(x, _mm512_set1_pd(PN_32_PI), magic), nf = _mm512_sub_pd(v, magic);
    __m512d a = _mm512_fnmadd_pd(nf, _mm512_set1_pd(PN_PI32_C1), x);
    __m512d p2 = _mm512_mul_pd(nf, _mm512_set1_pd(PN_PI32_C2)), b = _mm512_sub_pd(a, p2);
    __m512d eb = _mm512_sub_pd(_mm512_sub_pd(a, b), p2);
    __m512d p3 = _mm512_mul_pd(nf, _mm512_set1_pd(PN_PI32_C3)), r = _mm512_sub_pd(b, p3);
    __m512d ec = _mm512_sub_pd(_mm512_sub_pd(b, r), p3);
    *rh = r;
    *rl = _mm512_fnmadd_pd(nf, _mm512_set1_pd(PN_PI32_C4), _mm512_add_pd(eb, ec));
    return _mm512_castpd_si512(v);
}
/* pn_trig_mix over 8 lanes. */
static ALWAYS_INLINE T512 __m512d trig_mix8(__m512d ah, __m512d al, __m512d bh, __m512d bl,
                                            __m512d rh, __m512d rl, __m512d *lo) {
    __m512d z = _mm512_mul_pd(rh, rh);
    __m512d s = _mm512_fmadd_pd(_mm512_set1_pd(1.0 / 362880), z, _mm512_set1_pd(-1.0 / 5040));
    s = _mm512_fmadd_pd(_mm512_fmadd_pd(s, z, _mm512_set1_pd(1.0 / 120)), z,
                        _mm512_set1_pd(-1.0 / 6));
    __m512d c = _mm512_fmadd_pd(_mm512_set1_pd(1.0 / 40320), z, _mm512_set1_pd(-1.0 / 720));
    c = _mm512_fmadd_pd(_mm512_fmadd_pd(c, z, _mm512_set1_pd(1.0 / 24)), z, _mm512_set1_pd(-0.5));
    __m512d p = _mm512_mul_pd(bh, rh), pe = _mm512_fmsub_pd(bh, rh, p);
    __m512d s1 = _mm512_add_pd(ah, p), e1 = _mm512_add_pd(_mm512_sub_pd(ah, s1), p);
    __m512d tt = _mm512_fmadd_pd(bh, rl, _mm512_fmadd_pd(bl, rh, al));
    tt = _mm512_fmadd_pd(_mm512_mul_pd(p, z), s, tt);
    tt = _mm512_fmadd_pd(ah, _mm512_fmsub_pd(z, c, _mm512_mul_pd(rh, rl)), tt);
    __m512d rest = _mm512_add_pd(_mm512_add_pd(e1, pe), tt), h = _mm512_add_pd(s1, rest);
    *lo = _mm512_add_pd(_mm512_sub_pd(s1, h), rest);
    return h;
}
/* pn_sincos_f64_core over 8 lanes, the table's rows in t[0..7] (two registers a row;
 * vpermt2pd reads bits 3..0 of n). */
static ALWAYS_INLINE T512 __m512d sincos_f64_core8(__m512d x, const __m512d t[8], int cosine) {
    const __m512d sign = _mm512_set1_pd(-0.0);
    __m512d rh, rl, lo;
    __m512i nb = trig_reduce8(x, &rh, &rl);
    __m512i q = _mm512_add_epi64(_mm512_srli_epi64(nb, 4), _mm512_set1_epi64(cosine));
    __mmask8 odd = _mm512_test_epi64_mask(q, _mm512_set1_epi64(1));
    __mmask8 neg = _mm512_test_epi64_mask(q, _mm512_set1_epi64(2)), bneg = odd ^ neg;
    __m512d sh = _mm512_permutex2var_pd(t[0], nb, t[1]),
            sl = _mm512_permutex2var_pd(t[2], nb, t[3]);
    __m512d ch = _mm512_permutex2var_pd(t[4], nb, t[5]),
            cl = _mm512_permutex2var_pd(t[6], nb, t[7]);
    __m512d ah = _mm512_mask_blend_pd(odd, sh, ch), al = _mm512_mask_blend_pd(odd, sl, cl);
    __m512d bh = _mm512_mask_blend_pd(odd, ch, sh), bl = _mm512_mask_blend_pd(odd, cl, sl);
    ah = _mm512_mask_xor_pd(ah, neg, ah, sign);
    al = _mm512_mask_xor_pd(al, neg, al, sign);
    bh = _mm512_mask_xor_pd(bh, bneg, bh, sign);
    bl = _mm512_mask_xor_pd(bl, bneg, bl, sign);
    return trig_mix8(ah, al, bh, bl, rh, rl, &lo);
}
/* pn_tan_f64_core over 8 lanes. */
static ALWAYS_INLINE T512 __m512d tan_f64_core8(__m512d x, const __m512d t[8]) {
    const __m512d sign = _mm512_set1_pd(-0.0);
    __m512d rh, rl, snl, csl;
    __m512i nb = trig_reduce8(x, &rh, &rl);
    __m512d sh = _mm512_permutex2var_pd(t[0], nb, t[1]),
            sl = _mm512_permutex2var_pd(t[2], nb, t[3]);
    __m512d ch = _mm512_permutex2var_pd(t[4], nb, t[5]),
            cl = _mm512_permutex2var_pd(t[6], nb, t[7]);
    __m512d sn = trig_mix8(sh, sl, ch, cl, rh, rl, &snl);
    __m512d cs = trig_mix8(ch, cl, _mm512_xor_pd(sh, sign), _mm512_xor_pd(sl, sign), rh, rl, &csl);
    __mmask8 odd = _mm512_test_epi64_mask(nb, _mm512_set1_epi64(16));
    __m512d nh = _mm512_mask_blend_pd(odd, sn, cs), nl = _mm512_mask_blend_pd(odd, snl, csl);
    __m512d dh = _mm512_mask_blend_pd(odd, cs, sn), dl = _mm512_mask_blend_pd(odd, csl, snl);
    __m512d inv = _mm512_div_pd(_mm512_set1_pd(1.0), dh), q = _mm512_mul_pd(nh, inv);
    __m512d rem = _mm512_add_pd(_mm512_fnmadd_pd(q, dh, nh), _mm512_fnmadd_pd(q, dl, nl));
    __m512d y = _mm512_fmadd_pd(rem, inv, q);
    return _mm512_mask_xor_pd(y, odd, y, sign);
}
/* pn_sin_f64_tab, pn_cos_f64_tab and pn_tan_f64_tab over 8 lanes. */
static ALWAYS_INLINE T512 __m512d sin_f64_lanes8(__m512d x, const __m512d t[8]) {
    __m512d y = sincos_f64_core8(x, t, 0);
    y = _mm512_mask_mov_pd(y, _mm512_cmp_pd_mask(x, _mm512_setzero_pd(), _CMP_EQ_OQ), x);
    __mmask8 far = _mm512_cmp_pd_mask(_mm512_abs_pd(x), _mm512_set1_pd(PN_TRIG_D_MAX), _CMP_NLE_UQ);
    return far ? libm_lanes8(y, x, far, sin) : y;
}
static ALWAYS_INLINE T512 __m512d cos_f64_lanes8(__m512d x, const __m512d t[8]) {
    __m512d y = sincos_f64_core8(x, t, 1);
    __mmask8 far = _mm512_cmp_pd_mask(_mm512_abs_pd(x), _mm512_set1_pd(PN_TRIG_D_MAX), _CMP_NLE_UQ);
    return far ? libm_lanes8(y, x, far, cos) : y;
}
static ALWAYS_INLINE T512 __m512d tan_f64_lanes8(__m512d x, const __m512d t[8]) {
    __m512d y = tan_f64_core8(x, t);
    y = _mm512_mask_mov_pd(y, _mm512_cmp_pd_mask(x, _mm512_setzero_pd(), _CMP_EQ_OQ), x);
    __mmask8 far = _mm512_cmp_pd_mask(_mm512_abs_pd(x), _mm512_set1_pd(PN_TRIG_D_MAX), _CMP_NLE_UQ);
    return far ? libm_lanes8(y, x, far, tan) : y;
}
F64_TAB_KERNEL8(sin_f64_avx512, sin_f64_lanes8, 8, TAB_ROWS8(pn_trig32d))
F64_TAB_KERNEL8(cos_f64_avx512, cos_f64_lanes8, 8, TAB_ROWS8(pn_trig32d))
F64_TAB_KERNEL8(tan_f64_avx512, tan_f64_lanes8, 8, TAB_ROWS8(pn_trig32d))

/* pn_atan_f64_core over 8 lanes, atan(j/16)'s rows in t[0..3]. */
static ALWAYS_INLINE T512 __m512d atan_f64_core8(__m512d a, const __m512d t[4]) {
    const __m512d magic = _mm512_set1_pd(0x1.8p52), one = _mm512_set1_pd(1.0);
    const __m512d sign = _mm512_set1_pd(-0.0);
    __mmask8 big = _mm512_cmp_pd_mask(a, one, _CMP_GT_OQ);
    __m512d rcp = _mm512_cvtps_pd(_mm256_div_ps(_mm256_set1_ps(1.0f), _mm512_cvtpd_ps(a)));
    __m512d tt = _mm512_mask_blend_pd(big, a, rcp);
    __m512d jf = _mm512_sub_pd(_mm512_fmadd_pd(tt, _mm512_set1_pd(16.0), magic), magic);
    jf = _mm512_min_pd(jf, _mm512_set1_pd(15.0));
    __m512d c = _mm512_mul_pd(jf, _mm512_set1_pd(0.0625));
    __m512i j = _mm512_castpd_si512(_mm512_add_pd(jf, magic));
    __m512d ph = _mm512_mul_pd(c, a), pl = _mm512_fmsub_pd(c, a, ph);
    __m512d nh = _mm512_sub_pd(_mm512_mask_blend_pd(big, a, one), _mm512_mask_blend_pd(big, c, ph));
    __m512d nl = _mm512_maskz_xor_pd(big, pl, sign); /* -pl where big, else 0 */
    __m512d w1 = _mm512_mask_blend_pd(big, one, a), w2 = _mm512_mask_blend_pd(big, ph, c);
    __m512d dh = _mm512_add_pd(w1, w2);
    __m512d dl = _mm512_add_pd(_mm512_add_pd(_mm512_sub_pd(w1, dh), w2),
                               _mm512_maskz_mov_pd((__mmask8)~big, pl));
    __m512d inv = _mm512_div_pd(one, dh), qh = _mm512_mul_pd(nh, inv);
    __m512d rem = _mm512_add_pd(_mm512_fnmadd_pd(qh, dh, nh), _mm512_fnmadd_pd(qh, dl, nl));
    __m512d ql = _mm512_mul_pd(rem, inv), z = _mm512_mul_pd(qh, qh);
    __m512d p = _mm512_fmadd_pd(_mm512_set1_pd(1.0 / 13), z, _mm512_set1_pd(-1.0 / 11));
    p = _mm512_fmadd_pd(p, z, _mm512_set1_pd(1.0 / 9));
    p = _mm512_fmadd_pd(p, z, _mm512_set1_pd(-1.0 / 7));
    p = _mm512_fmadd_pd(p, z, _mm512_set1_pd(1.0 / 5));
    p = _mm512_fmadd_pd(p, z, _mm512_set1_pd(-1.0 / 3));
    __m512d ah = _mm512_permutex2var_pd(t[0], j, t[1]), al = _mm512_permutex2var_pd(t[2], j, t[3]);
    __m512d bb = _mm512_sub_pd(_mm512_set1_pd(PN_HALF_PI_D_HI), ah);
    __m512d bbl =
        _mm512_add_pd(_mm512_sub_pd(_mm512_sub_pd(_mm512_set1_pd(PN_HALF_PI_D_HI), bb), ah),
                      _mm512_sub_pd(_mm512_set1_pd(PN_HALF_PI_D_LO), al));
    __m512d bh = _mm512_mask_blend_pd(big, ah, bb), bl = _mm512_mask_blend_pd(big, al, bbl);
    __m512d sq = _mm512_mask_xor_pd(qh, big, qh, sign);
    __m512d s = _mm512_add_pd(bh, sq), e = _mm512_add_pd(_mm512_sub_pd(bh, s), sq);
    __m512d tail = _mm512_fmadd_pd(_mm512_mul_pd(qh, z), p, ql);
    tail = _mm512_mask_xor_pd(tail, big, tail, sign);
    return _mm512_add_pd(s, _mm512_add_pd(_mm512_add_pd(e, bl), tail));
}
/* pn_atan_f64_tab over 8 lanes. */
static ALWAYS_INLINE T512 __m512d atan_f64_lanes8(__m512d x, const __m512d t[4]) {
    __m512d a = _mm512_abs_pd(x);
    __m512d y = _mm512_or_pd(atan_f64_core8(a, t), _mm512_and_pd(x, _mm512_set1_pd(-0.0)));
    __mmask8 sp = _mm512_cmp_pd_mask(a, _mm512_set1_pd(INFINITY), _CMP_NLT_UQ);
    if (sp) {
        __m512d h =
            _mm512_or_pd(_mm512_set1_pd(PN_HALF_PI_D_HI), _mm512_and_pd(x, _mm512_set1_pd(-0.0)));
        y = _mm512_mask_mov_pd(y, sp, h);
        y = _mm512_mask_add_pd(y, _mm512_cmp_pd_mask(x, x, _CMP_UNORD_Q), x, x);
    }
    return y;
}
F64_TAB_KERNEL8(atan_f64_avx512, atan_f64_lanes8, 4, TAB_ROWS8(pn_atan16d))

/* pn_atan2_f64_core over 8 lanes (y, x), atan(j/16)'s rows in t[0..3]. */
static ALWAYS_INLINE T512 __m512d atan2_f64_core8(__m512d y, __m512d x, __m512d num, __m512d den,
                                                  __mmask8 big, const __m512d t[4]) {
    const __m512d magic = _mm512_set1_pd(0x1.8p52), sign = _mm512_set1_pd(-0.0);
    __mmask8 flip = big ^ _mm512_cmp_pd_mask(x, _mm512_setzero_pd(), _CMP_LT_OQ);
    __m512d jf =
        _mm512_sub_pd(_mm512_fmadd_pd(_mm512_div_pd(num, den), _mm512_set1_pd(16.0), magic), magic);
    jf = _mm512_min_pd(jf, _mm512_set1_pd(15.0));
    __m512d c = _mm512_mul_pd(jf, _mm512_set1_pd(0.0625));
    __m512i j = _mm512_castpd_si512(_mm512_add_pd(jf, magic));
    __m512d ph = _mm512_mul_pd(c, den), pl = _mm512_fmsub_pd(c, den, ph),
            nh = _mm512_sub_pd(num, ph);
    __m512d qh = _mm512_mul_pd(c, num), ql = _mm512_fmsub_pd(c, num, qh);
    __m512d dh = _mm512_add_pd(den, qh),
            dl = _mm512_add_pd(_mm512_add_pd(_mm512_sub_pd(den, dh), qh), ql);
    __m512d inv = _mm512_div_pd(_mm512_set1_pd(1.0), dh), dq = _mm512_mul_pd(nh, inv);
    __m512d rem = _mm512_sub_pd(_mm512_fnmadd_pd(dq, dh, nh), _mm512_fmadd_pd(dq, dl, pl));
    __m512d dql = _mm512_mul_pd(rem, inv), z = _mm512_mul_pd(dq, dq);
    __m512d p = _mm512_fmadd_pd(_mm512_set1_pd(1.0 / 13), z, _mm512_set1_pd(-1.0 / 11));
    p = _mm512_fmadd_pd(p, z, _mm512_set1_pd(1.0 / 9));
    p = _mm512_fmadd_pd(p, z, _mm512_set1_pd(-1.0 / 7));
    p = _mm512_fmadd_pd(p, z, _mm512_set1_pd(1.0 / 5));
    p = _mm512_fmadd_pd(p, z, _mm512_set1_pd(-1.0 / 3));
    __mmask8 neg = _mm512_cmp_pd_mask(x, _mm512_setzero_pd(), _CMP_LT_OQ);
    __m512d kh = _mm512_mask_blend_pd(neg, _mm512_setzero_pd(), _mm512_set1_pd(PN_PI_D_HI));
    __m512d kl = _mm512_mask_blend_pd(neg, _mm512_setzero_pd(), _mm512_set1_pd(PN_PI_D_LO));
    kh = _mm512_mask_blend_pd(big, kh, _mm512_set1_pd(PN_HALF_PI_D_HI));
    kl = _mm512_mask_blend_pd(big, kl, _mm512_set1_pd(PN_HALF_PI_D_LO));
    __m512d ah = _mm512_permutex2var_pd(t[0], j, t[1]), al = _mm512_permutex2var_pd(t[2], j, t[3]);
    __m512d sah = _mm512_mask_xor_pd(ah, flip, ah, sign),
            sal = _mm512_mask_xor_pd(al, flip, al, sign);
    __m512d bh = _mm512_add_pd(kh, sah);
    __m512d bl = _mm512_add_pd(_mm512_add_pd(_mm512_sub_pd(kh, bh), sah), _mm512_add_pd(kl, sal));
    __m512d sd = _mm512_mask_xor_pd(dq, flip, dq, sign);
    __m512d s = _mm512_add_pd(bh, sd), e = _mm512_add_pd(_mm512_sub_pd(bh, s), sd);
    __m512d tail = _mm512_fmadd_pd(_mm512_mul_pd(dq, z), p, dql);
    tail = _mm512_mask_xor_pd(tail, flip, tail, sign);
    __m512d r = _mm512_add_pd(s, _mm512_add_pd(_mm512_add_pd(e, bl), tail));
    return _mm512_or_pd(r, _mm512_and_pd(y, sign));
}
/* pn_atan2_f64_tab over 8 lanes: libm's atan2 on the lanes outside the core's range. */
static ALWAYS_INLINE T512 __m512d atan2_f64_lanes8(__m512d y, __m512d x, const __m512d t[4]) {
    __m512d ay = _mm512_abs_pd(y), ax = _mm512_abs_pd(x);
    __mmask8 big = _mm512_cmp_pd_mask(ay, ax, _CMP_GT_OQ);
    __m512d num = _mm512_mask_blend_pd(big, ay, ax), den = _mm512_mask_blend_pd(big, ax, ay);
    __m512d r = atan2_f64_core8(y, x, num, den, big, t);
    __mmask8 ok = _mm512_cmp_pd_mask(num, _mm512_set1_pd(PN_ATAN2_D_MIN), _CMP_GE_OQ) &
                  _mm512_cmp_pd_mask(den, _mm512_set1_pd(PN_ATAN2_D_MAX), _CMP_LE_OQ);
    if (ok != 0xff) {
        double ys[8], xs[8], rs[8];
        _mm512_storeu_pd(ys, y);
        _mm512_storeu_pd(xs, x);
        _mm512_storeu_pd(rs, r);
        for (int i = 0; i < 8; i++)
            if (!(ok >> i & 1)) rs[i] = atan2(ys[i], xs[i]);
        r = _mm512_loadu_pd(rs);
    }
    return r;
}
/* pn_atan2_f64_tab over n contiguous (y, x) pairs, 8 at a time (a masked last step). */
static T512 void atan2_f64_avx512(const double *y, const double *x, double *o, int64_t n) {
    __m512d t[4];
    for (int k = 0; k < 4; k++) t[k] = TAB_ROWS8(pn_atan16d);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm512_storeu_pd(o + i,
                         atan2_f64_lanes8(_mm512_loadu_pd(y + i), _mm512_loadu_pd(x + i), t));
    if (i < n) {
        __mmask8 m = (__mmask8)((1u << (n - i)) - 1);
        __m512d one = _mm512_set1_pd(1.0); /* the idle lanes: atan2(1, 1), in range */
        __m512d v = atan2_f64_lanes8(_mm512_mask_loadu_pd(one, m, y + i),
                                     _mm512_mask_loadu_pd(one, m, x + i), t);
        _mm512_mask_storeu_pd(o + i, m, v);
    }
}

/* One of 32 floats per lane in 8-lane vectors: four vpermps and two levels of
 * blends on bits 3 and 4 of the index (moved to the sign bit, which blendvps reads). */
static ALWAYS_INLINE T256 __m256 exp_lookup8(const float *table, __m256i j) {
    __m256 b3 = _mm256_castsi256_ps(_mm256_slli_epi32(j, 28));
    __m256 b4 = _mm256_castsi256_ps(_mm256_slli_epi32(j, 27));
    __m256 q0 = _mm256_permutevar8x32_ps(_mm256_loadu_ps(table), j);
    __m256 q1 = _mm256_permutevar8x32_ps(_mm256_loadu_ps(table + 8), j);
    __m256 q2 = _mm256_permutevar8x32_ps(_mm256_loadu_ps(table + 16), j);
    __m256 q3 = _mm256_permutevar8x32_ps(_mm256_loadu_ps(table + 24), j);
    return _mm256_blendv_ps(_mm256_blendv_ps(q0, q1, b3), _mm256_blendv_ps(q2, q3, b3), b4);
}

/* pn_exp_tab_pair_dx over 8 lanes for x within pn_exp_clamp's range (dx NULL: none):
 * hi returned, *lo, and n = floor(k / 32); exp_tab_pair8 clamps x first. */
#define V __m256
static ALWAYS_INLINE T256 __m256 exp_tab_pair8_dx(__m256 x, const __m256 *dx, __m256 *lo,
                                                  __m256i *n) {
    EXP_TAB_CONSTANTS(_mm256_set1_ps);
    __m256 t = _mm256_fmadd_ps(x, inv, magic), kf = _mm256_sub_ps(t, magic);
    __m256 r = _mm256_fmadd_ps(kf, c_lo, _mm256_fmadd_ps(kf, c_hi, x));
    if (dx) r = _mm256_add_ps(r, *dx); /* pn_exp_tab_pair_dx */
    __m256 p = _mm256_fmadd_ps(_mm256_mul_ps(r, r), _mm256_fmadd_ps(r, c3, c2), r);
    __m256i j = _mm256_castps_si256(t);
    __m256 hi = exp_lookup8(pn_exp2_32[0], j);
    *lo = _mm256_fmadd_ps(hi, p, exp_lookup8(pn_exp2_32[1], j));
    *n = _mm256_srai_epi32(_mm256_sub_epi32(j, _mm256_castps_si256(magic)), 5);
    return hi;
}
static ALWAYS_INLINE T256 __m256 exp_tab_pair8(__m256 x, __m256 *lo, __m256i *n) {
    x = _mm256_max_ps(_mm256_set1_ps(PN_EXP_ARG_MIN),
                      _mm256_min_ps(_mm256_set1_ps(PN_EXP_ARG_MAX), x));
    return exp_tab_pair8_dx(x, NULL, lo, n);
}

/* 2^n over 8 lanes in pn_exp2_halves' two halves s1 = 2^n1, s2 = 2^(n - n1),
 * n1 = floor(n / 2). */
static ALWAYS_INLINE T256 void exp2_halves8(__m256i n, __m256 *s1, __m256 *s2) {
    __m256i n1 = _mm256_srai_epi32(n, 1), n2 = _mm256_sub_epi32(n, n1),
            bias = _mm256_set1_epi32(127);
    *s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, bias), 23));
    *s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n2, bias), 23));
}

/* pn_expf_tab over 8 lanes. */
static ALWAYS_INLINE T256 __m256 exp_tab8(__m256 x) {
    __m256 lo, s1, s2;
    __m256i nn;
    __m256 hi = exp_tab_pair8(x, &lo, &nn), s = _mm256_add_ps(hi, lo);
    exp2_halves8(nn, &s1, &s2);
    return _mm256_mul_ps(_mm256_mul_ps(s, s1), s2);
}
#undef V

/* An op over n contiguous floats by its lanes function, 8 at a time (a masked
 * last step); long arrays prefetch (common.h). */
#define LANES_KERNEL8(NAME, LANES) \
    static T256 void NAME(const float *x, float *y, int64_t n) { \
        const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7); \
        int64_t blk = pn_prefetch_blocksize(n); \
        for (int64_t b = 0; b < n; b += blk) { \
            int64_t e = n - b < blk ? n : b + blk, i = b; \
            if (blk < n) pn_prefetch_block(x, e, n, sizeof *x); \
            for (; i + 8 <= e; i += 8) _mm256_storeu_ps(y + i, LANES(_mm256_loadu_ps(x + i))); \
            if (i < e) { \
                __m256i m = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(e - i)), lane); \
                _mm256_maskstore_ps(y + i, m, LANES(_mm256_maskload_ps(x + i, m))); \
            } \
        } \
    }
LANES_KERNEL8(exp_f32_avx2, exp_tab8)

/* pn_abs_min over 8 lanes (min takes |x| second, so that NaN stays). */
static ALWAYS_INLINE T256 __m256 abs_min8(__m256 x, float cap) {
    return _mm256_min_ps(_mm256_set1_ps(cap), _mm256_andnot_ps(_mm256_set1_ps(-0.0f), x));
}
/* pn_poly_tab_index over 8 lanes (see poly_tab_index16), & 31 as in the scalar. */
static ALWAYS_INLINE T256 __m256i poly_tab_index8(__m256 x, float cap, int bias, __m256 *b) {
    *b = abs_min8(x, cap);
    __m256i j =
        _mm256_subs_epu16(_mm256_srli_epi32(_mm256_castps_si256(*b), 21), _mm256_set1_epi32(bias));
    return _mm256_and_si256(j, _mm256_set1_epi32(31));
}
/* The 8 coefficients of each lane's interval j as 8 vectors c[k] (coefficient k of
 * lanes 0..7): each lane's 32-byte row loaded in halves, then two 4x4 transposes
 * within the 128-bit halves (16 shuffles). 32-entry permutes would cost 7
 * operations per coefficient (exp_lookup8), and gathers are slow on AMD's cores. */
static ALWAYS_INLINE T256 void poly_rows8(const float rows[32][8], __m256i j, __m256 c[8]) {
    int32_t at[8];
    _mm256_storeu_si256((__m256i *)at, j);
#define PAIR(l, h) \
    _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_load_ps(rows[at[l]] + 4 * (h))), \
                         _mm_load_ps(rows[at[(l) + 4]] + 4 * (h)), 1)
#define QUAD(h) /* coefficients 4h .. 4h + 3 of lanes l and l + 4 in t_l, transposed */ \
    { \
        __m256 t0 = PAIR(0, h), t1 = PAIR(1, h), t2 = PAIR(2, h), t3 = PAIR(3, h); \
        __m256 u0 = _mm256_unpacklo_ps(t0, t1), u1 = _mm256_unpackhi_ps(t0, t1); \
        __m256 u2 = _mm256_unpacklo_ps(t2, t3), u3 = _mm256_unpackhi_ps(t2, t3); \
        c[4 * (h)] = _mm256_shuffle_ps(u0, u2, 0x44); \
        c[4 * (h) + 1] = _mm256_shuffle_ps(u0, u2, 0xee); \
        c[4 * (h) + 2] = _mm256_shuffle_ps(u1, u3, 0x44); \
        c[4 * (h) + 3] = _mm256_shuffle_ps(u1, u3, 0xee); \
    }
    QUAD(0)
    QUAD(1)
#undef QUAD
#undef PAIR
}
/* pn_poly_tab_tail over 8 lanes, from the coefficient vectors. */
static ALWAYS_INLINE T256 __m256 poly_tab_tail8(const __m256 c[8], __m256 r) {
    __m256 q = c[7];
    for (int k = 6; k >= 3; k--) q = _mm256_fmadd_ps(q, r, c[k]);
    return q;
}
/* pn_poly_tab_split over 8 lanes, from the coefficient vectors. */
static ALWAYS_INLINE T256 __m256 poly_tab_split8(const __m256 c[8], __m256 r, __m256 *pl) {
    __m256 h = _mm256_fmadd_ps(c[2], r, c[1]);
    __m256 e = _mm256_fmadd_ps(c[2], r, _mm256_sub_ps(c[1], h));
    *pl = _mm256_fmadd_ps(poly_tab_tail8(c, r), _mm256_mul_ps(r, r), e);
    return h;
}
/* y with the sign of x (y >= 0). */
static ALWAYS_INLINE T256 __m256 with_sign8(__m256 y, __m256 x) {
    return _mm256_or_ps(y, _mm256_and_ps(x, _mm256_set1_ps(-0.0f)));
}

/* pn_erff_tab over 8 lanes. */
static ALWAYS_INLINE T256 __m256 erf_poly8(__m256 x) {
    __m256 b, c[8];
    poly_rows8(erf_rows, poly_tab_index8(x, 4.0f, PN_ERF_TAB_BIAS, &b), c);
    __m256 r = _mm256_sub_ps(b, c[0]);
    __m256 y = _mm256_fmadd_ps(_mm256_fmadd_ps(poly_tab_tail8(c, r), r, c[2]), r, c[1]);
    __m256 z = _mm256_mul_ps(b, b), as = _mm256_mul_ps(b, _mm256_set1_ps(0x1p24f));
    __m256 w = _mm256_fmadd_ps(_mm256_set1_ps(PN_ERF_C5), z, _mm256_set1_ps(PN_ERF_C3));
    w = _mm256_fmadd_ps(w, z, _mm256_set1_ps(PN_ERF_C1L));
    __m256 s = _mm256_fmadd_ps(as, _mm256_set1_ps(PN_ERF_C1H), _mm256_mul_ps(as, w));
    s = _mm256_mul_ps(s, _mm256_set1_ps(0x1p-24f));
    y = _mm256_blendv_ps(y, s, _mm256_cmp_ps(b, _mm256_set1_ps(0x1p-5f), _CMP_LT_OQ));
    return with_sign8(y, x);
}
LANES_KERNEL8(erf_f32_avx2, erf_poly8)

/* pn_tanhf_poly over 8 lanes. */
static ALWAYS_INLINE T256 __m256 tanh_poly8(__m256 x) {
    __m256 b, c[8];
    poly_rows8(tanh_rows, poly_tab_index8(x, 9.5f, PN_TANH_TAB_BIAS, &b), c);
    __m256 pl, h = poly_tab_split8(c, _mm256_sub_ps(b, c[0]), &pl);
    return with_sign8(_mm256_add_ps(h, pl), x);
}
LANES_KERNEL8(tanh_f32_avx2, tanh_poly8)

/* pn_atan_tab_split over 8 lanes (big: -1 or 0 per lane). */
static ALWAYS_INLINE T256 __m256 atan_tab_split8(__m256 t, __m256 big, __m256 p, __m256 q,
                                                 __m256 *tail) {
    __m256 c[8];
    __m256i bigi = _mm256_castps_si256(big); /* -1 or 0 */
    __m256i bias =
        _mm256_sub_epi32(_mm256_set1_epi32(PN_ATAN_TAB_BIAS), _mm256_slli_epi32(bigi, 2));
    __m256i j = _mm256_subs_epu16(_mm256_srli_epi32(_mm256_castps_si256(t), 21), bias);
    j = _mm256_add_epi32(j, _mm256_and_si256(bigi, _mm256_set1_epi32(18)));
    poly_rows8(atan_rows, _mm256_and_si256(j, _mm256_set1_epi32(31)), c);
    __m256 r = _mm256_sub_ps(t, c[0]);
    __m256 dt = _mm256_fmadd_ps(p, q, _mm256_sub_ps(t, _mm256_add_ps(r, c[0])));
    __m256 h = _mm256_fmadd_ps(c[2], r, c[1]);
    __m256 e = _mm256_fmadd_ps(c[2], r, _mm256_sub_ps(c[1], h));
    __m256 rr = _mm256_add_ps(r, dt);
    e = _mm256_fmadd_ps(c[2], dt, e);
    *tail = _mm256_fmadd_ps(poly_tab_tail8(c, rr), _mm256_mul_ps(rr, rr), e);
    return h;
}
/* pn_atanf_far over 8 lanes. */
static ALWAYS_INLINE T256 __m256 atan_far8(__m256 a) {
    const __m256 hi = _mm256_set1_ps(PN_HALF_PI_HI);
    __m256 b = _mm256_min_ps(_mm256_set1_ps(PN_ATAN_CAP), a),
           t = _mm256_div_ps(_mm256_set1_ps(1.0f), b);
    __m256 dt = _mm256_mul_ps(t, _mm256_fnmadd_ps(t, b, _mm256_set1_ps(1.0f)));
    __m256 z = _mm256_mul_ps(t, t), h = _mm256_sub_ps(hi, t);
    __m256 e = _mm256_sub_ps(_mm256_sub_ps(hi, h), t);
    e = _mm256_sub_ps(_mm256_add_ps(e, _mm256_set1_ps(PN_HALF_PI_LO)), dt);
    __m256 q = _mm256_fmadd_ps(z, _mm256_set1_ps(-1.0f / 9), _mm256_set1_ps(1.0f / 7));
    q = _mm256_fmadd_ps(q, z, _mm256_set1_ps(-0.2f));
    q = _mm256_fmadd_ps(q, z, _mm256_set1_ps(1.0f / 3));
    return _mm256_add_ps(h, _mm256_fmadd_ps(_mm256_mul_ps(t, z), q, e));
}
/* pn_atanf_poly over 8 lanes: pn_atanf_near, and pn_atanf_far where a lane needs it. */
static ALWAYS_INLINE T256 __m256 atan_poly8(__m256 x) {
    __m256 a = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), x), c[8], pl;
    /* max(j - bias, 0) by a saturating 16-bit subtraction, as poly_tab_index8 */
    __m256i j = _mm256_subs_epu16(_mm256_srli_epi32(_mm256_castps_si256(a), 21),
                                  _mm256_set1_epi32(PN_ATANX_TAB_BIAS));
    poly_rows8(atanx_rows, _mm256_and_si256(j, _mm256_set1_epi32(31)), c);
    __m256 h = poly_tab_split8(c, _mm256_sub_ps(a, c[0]), &pl), y = _mm256_add_ps(h, pl);
    __m256 far = _mm256_cmp_ps(a, _mm256_set1_ps(PN_ATANX_FAR), _CMP_NLT_UQ);
    if (_mm256_movemask_ps(far)) y = _mm256_blendv_ps(y, atan_far8(a), far);
    return with_sign8(y, x);
}
LANES_KERNEL8(atan_f32_avx2, atan_poly8)

/* pn_atan2f_poly over 8 lanes (y, x). */
static ALWAYS_INLINE T256 __m256 atan2_poly8(__m256 y, __m256 x) {
    const __m256 one = _mm256_set1_ps(1.0f), inf = _mm256_set1_ps(INFINITY);
    __m256 a = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), y);
    __m256 b = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), x);
    __m256 big = _mm256_cmp_ps(a, b, _CMP_GT_OQ), tail;
    __m256 lo = _mm256_blendv_ps(a, b, big), hi = _mm256_blendv_ps(b, a, big);
    __m256 k = _mm256_blendv_ps(one, _mm256_set1_ps(0x1p64f),
                                _mm256_cmp_ps(lo, _mm256_set1_ps(0x1p-100f), _CMP_LT_OQ));
    lo = _mm256_mul_ps(lo, k), hi = _mm256_mul_ps(hi, k);
    __m256 u = _mm256_div_ps(one, hi), t = _mm256_mul_ps(lo, u);
    __m256 rem = _mm256_fnmadd_ps(t, hi, lo);
    __m256 edge = _mm256_or_ps(_mm256_cmp_ps(hi, _mm256_setzero_ps(), _CMP_EQ_OQ),
                               _mm256_cmp_ps(hi, inf, _CMP_EQ_OQ));
    t = _mm256_blendv_ps(t, _mm256_and_ps(_mm256_cmp_ps(lo, inf, _CMP_EQ_OQ), one), edge);
    rem = _mm256_andnot_ps(edge, rem), u = _mm256_andnot_ps(edge, u);
    __m256 h = atan_tab_split8(t, big, rem, u, &tail);
    const __m256 pi_hi = _mm256_set1_ps(PN_PI_HI), pi_lo = _mm256_set1_ps(PN_PI_LO);
    __m256 s = _mm256_sub_ps(pi_hi, h), err = _mm256_sub_ps(_mm256_sub_ps(pi_hi, s), h);
    __m256 yneg = _mm256_add_ps(s, _mm256_sub_ps(_mm256_add_ps(err, pi_lo), tail));
    __m256 r = with_sign8(_mm256_blendv_ps(_mm256_add_ps(h, tail), yneg, x), y);
    return _mm256_blendv_ps(r, _mm256_add_ps(x, y), _mm256_cmp_ps(x, y, _CMP_UNORD_Q));
}
/* pn_atan2f_poly over n contiguous (y, x) pairs, 8 at a time (a masked last step). */
static T256 void atan2_f32_avx2(const float *y, const float *x, float *o, int64_t n) {
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    int64_t blk = pn_prefetch_blocksize(n);
    for (int64_t b = 0; b < n; b += blk) {
        int64_t e = n - b < blk ? n : b + blk, i = b;
        if (blk < n) pn_prefetch_block(y, e, n, sizeof *y), pn_prefetch_block(x, e, n, sizeof *x);
        for (; i + 8 <= e; i += 8)
            _mm256_storeu_ps(o + i, atan2_poly8(_mm256_loadu_ps(y + i), _mm256_loadu_ps(x + i)));
        if (i < e) {
            __m256i m = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(e - i)), lane);
            __m256 v = atan2_poly8(_mm256_maskload_ps(y + i, m), _mm256_maskload_ps(x + i, m));
            _mm256_maskstore_ps(o + i, m, v);
        }
    }
}

/* pn_erfcf_tab over 8 lanes. */
static ALWAYS_INLINE T256 __m256 erfc_poly8(__m256 x) {
    __m256 b, c[8], lo;
    poly_rows8(erfcx_rows, poly_tab_index8(x, PN_ERFC_CAP, PN_ERFCX_TAB_BIAS, &b), c);
    __m256 ns = _mm256_fnmadd_ps(b, b, _mm256_setzero_ps());
    __m256 nsl = _mm256_fnmadd_ps(b, b, _mm256_sub_ps(_mm256_setzero_ps(), ns));
    __m256i n;
    __m256 hi = exp_tab_pair8_dx(ns, &nsl, &lo, &n), s1, s2;
    __m256 pl, h = poly_tab_split8(c, _mm256_sub_ps(b, c[0]), &pl);
    __m256 y = _mm256_fmadd_ps(lo, _mm256_add_ps(h, pl), _mm256_mul_ps(hi, pl));
    exp2_halves8(n, &s1, &s2);
    y = _mm256_mul_ps(_mm256_mul_ps(_mm256_fmadd_ps(hi, h, y), s1), s2);
    __m256 neg = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ);
    return _mm256_blendv_ps(y, _mm256_sub_ps(_mm256_set1_ps(2.0f), y), neg);
}
LANES_KERNEL8(erfc_f32_avx2, erfc_poly8)

/* pn_abs_min over 16 lanes (min takes |x| second, so that NaN stays). */
static ALWAYS_INLINE T512 __m512 abs_min16(__m512 x, float cap) {
    return _mm512_min_ps(_mm512_set1_ps(cap), _mm512_andnot_ps(_mm512_set1_ps(-0.0f), x));
}
/* pn_poly_tab_index over 16 lanes: |x| capped (through *b) and the interval.
 * vpermt2ps reads the low 5 bits of j, which are the scalar's j & 31. j < 2^11
 * fits the low 16 bits of each lane, where the saturating 16-bit subtraction is
 * max(j - bias, 0) in one operation. */
static ALWAYS_INLINE T512 __m512i poly_tab_index16(__m512 x, float cap, int bias, __m512 *b) {
    *b = abs_min16(x, cap);
    __m512i j = _mm512_srli_epi32(_mm512_castps_si512(*b), 21);
    return _mm512_subs_epu16(j, _mm512_set1_epi32(bias));
}
/* Row k of a table in the register pairs t[2k], t[2k + 1], at the lanes' intervals j. */
#define POLY_ROW(k) _mm512_permutex2var_ps(t[2 * (k)], j, t[2 * (k) + 1])
/* pn_poly_tab_tail over 16 lanes. */
static ALWAYS_INLINE T512 __m512 poly_tab_tail16(const __m512 *t, __m512i j, __m512 r) {
    __m512 q = POLY_ROW(7);
    for (int k = 6; k >= 3; k--) q = _mm512_fmadd_ps(q, r, POLY_ROW(k));
    return q;
}
/* pn_poly_tab_split over 16 lanes. */
static ALWAYS_INLINE T512 __m512 poly_tab_split16(const __m512 *t, __m512i j, __m512 r,
                                                  __m512 *pl) {
    __m512 c0 = POLY_ROW(1), c1 = POLY_ROW(2);
    __m512 h = _mm512_fmadd_ps(c1, r, c0);
    __m512 e = _mm512_fmadd_ps(c1, r, _mm512_sub_ps(c0, h));
    *pl = _mm512_fmadd_ps(poly_tab_tail16(t, j, r), _mm512_mul_ps(r, r), e);
    return h;
}
/* y with the sign of x (y >= 0): y | (x & -0), ternary logic 0xf8. */
static ALWAYS_INLINE T512 __m512 with_sign16(__m512 y, __m512 x) {
    return _mm512_castsi512_ps(_mm512_ternarylogic_epi32(
        _mm512_castps_si512(y), _mm512_castps_si512(x), _mm512_set1_epi32(INT32_MIN), 0xf8));
}

/* pn_erff_tab over 16 lanes. */
static ALWAYS_INLINE T512 __m512 erf_poly16(__m512 x, const __m512 *t) {
    __m512 b;
    __m512i j = poly_tab_index16(x, 4.0f, PN_ERF_TAB_BIAS, &b);
    __m512 r = _mm512_sub_ps(b, POLY_ROW(0));
    __m512 p = _mm512_fmadd_ps(poly_tab_tail16(t, j, r), r, POLY_ROW(2));
    __m512 y = _mm512_fmadd_ps(p, r, POLY_ROW(1));
    __m512 z = _mm512_mul_ps(b, b), as = _mm512_mul_ps(b, _mm512_set1_ps(0x1p24f));
    __m512 w = _mm512_fmadd_ps(_mm512_set1_ps(PN_ERF_C5), z, _mm512_set1_ps(PN_ERF_C3));
    w = _mm512_fmadd_ps(w, z, _mm512_set1_ps(PN_ERF_C1L));
    __m512 s = _mm512_fmadd_ps(as, _mm512_set1_ps(PN_ERF_C1H), _mm512_mul_ps(as, w));
    s = _mm512_mul_ps(s, _mm512_set1_ps(0x1p-24f));
    y = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(b, _mm512_set1_ps(0x1p-5f), _CMP_LT_OQ), y, s);
    return with_sign16(y, x);
}

/* pn_tanhf_poly over 16 lanes. */
static ALWAYS_INLINE T512 __m512 tanh_poly16(__m512 x, const __m512 *t) {
    __m512 b;
    __m512i j = poly_tab_index16(x, 9.5f, PN_TANH_TAB_BIAS, &b);
    __m512 pl, h = poly_tab_split16(t, j, _mm512_sub_ps(b, POLY_ROW(0)), &pl);
    return with_sign16(_mm512_add_ps(h, pl), x);
}

/* pn_atan_tab_split over 16 lanes (j's saturating subtraction as in poly_tab_index16). */
static ALWAYS_INLINE T512 __m512 atan_tab_split16(__m512 u, __mmask16 big, __m512 p, __m512 q,
                                                  const __m512 *t, __m512 *tail) {
    __m512i j = _mm512_srli_epi32(_mm512_castps_si512(u), 21);
    __m512i bias = _mm512_mask_blend_epi32(big, _mm512_set1_epi32(PN_ATAN_TAB_BIAS),
                                           _mm512_set1_epi32(PN_ATAN_TAB_BIAS + 4));
    j = _mm512_subs_epu16(j, bias);
    j = _mm512_mask_add_epi32(j, big, j, _mm512_set1_epi32(18));
    __m512 c = POLY_ROW(0), r = _mm512_sub_ps(u, c);
    __m512 dt = _mm512_fmadd_ps(p, q, _mm512_sub_ps(u, _mm512_add_ps(r, c)));
    __m512 c0 = POLY_ROW(1), c1 = POLY_ROW(2);
    __m512 h = _mm512_fmadd_ps(c1, r, c0);
    __m512 e = _mm512_fmadd_ps(c1, r, _mm512_sub_ps(c0, h));
    __m512 rr = _mm512_add_ps(r, dt);
    e = _mm512_fmadd_ps(c1, dt, e);
    *tail = _mm512_fmadd_ps(poly_tab_tail16(t, j, rr), _mm512_mul_ps(rr, rr), e);
    return h;
}
/* pn_atanf_far over 16 lanes. */
static ALWAYS_INLINE T512 __m512 atan_far16(__m512 a) {
    const __m512 hi = _mm512_set1_ps(PN_HALF_PI_HI);
    __m512 b = _mm512_min_ps(_mm512_set1_ps(PN_ATAN_CAP), a),
           t = _mm512_div_ps(_mm512_set1_ps(1.0f), b);
    __m512 dt = _mm512_mul_ps(t, _mm512_fnmadd_ps(t, b, _mm512_set1_ps(1.0f)));
    __m512 z = _mm512_mul_ps(t, t), h = _mm512_sub_ps(hi, t);
    __m512 e = _mm512_sub_ps(_mm512_sub_ps(hi, h), t);
    e = _mm512_sub_ps(_mm512_add_ps(e, _mm512_set1_ps(PN_HALF_PI_LO)), dt);
    __m512 q = _mm512_fmadd_ps(z, _mm512_set1_ps(-1.0f / 9), _mm512_set1_ps(1.0f / 7));
    q = _mm512_fmadd_ps(q, z, _mm512_set1_ps(-0.2f));
    q = _mm512_fmadd_ps(q, z, _mm512_set1_ps(1.0f / 3));
    return _mm512_add_ps(h, _mm512_fmadd_ps(_mm512_mul_ps(t, z), q, e));
}
/* pn_atanf_poly over 16 lanes: pn_atanf_near (as tanh_poly16, with no cap), and
 * pn_atanf_far where a lane needs it (a branch: in most data no lane does). */
static ALWAYS_INLINE T512 __m512 atan_poly16(__m512 x, const __m512 *t) {
    __m512 a = _mm512_andnot_ps(_mm512_set1_ps(-0.0f), x), pl;
    /* the index as in poly_tab_index16: bits >> 21 < 2^11 fits 16 bits, where the
     * saturating subtraction is max(j - bias, 0) */
    __m512i j = _mm512_subs_epu16(_mm512_srli_epi32(_mm512_castps_si512(a), 21),
                                  _mm512_set1_epi32(PN_ATANX_TAB_BIAS));
    __m512 h = poly_tab_split16(t, j, _mm512_sub_ps(a, POLY_ROW(0)), &pl), y = _mm512_add_ps(h, pl);
    __mmask16 far = _mm512_cmp_ps_mask(a, _mm512_set1_ps(PN_ATANX_FAR), _CMP_NLT_UQ);
    if (far) y = _mm512_mask_mov_ps(y, far, atan_far16(a));
    return with_sign16(y, x);
}

/* pn_atan2f_poly over 16 lanes (y, x). */
static ALWAYS_INLINE T512 __m512 atan2_poly16(__m512 y, __m512 x, const __m512 *t) {
    const __m512 one = _mm512_set1_ps(1.0f), sign = _mm512_set1_ps(-0.0f);
    __m512 a = _mm512_andnot_ps(sign, y), b = _mm512_andnot_ps(sign, x), tail;
    __mmask16 big = _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ);
    __m512 lo = _mm512_mask_blend_ps(big, a, b), hi = _mm512_mask_blend_ps(big, b, a);
    __mmask16 tiny = _mm512_cmp_ps_mask(lo, _mm512_set1_ps(0x1p-100f), _CMP_LT_OQ);
    lo = _mm512_mask_mul_ps(lo, tiny, lo, _mm512_set1_ps(0x1p64f));
    hi = _mm512_mask_mul_ps(hi, tiny, hi, _mm512_set1_ps(0x1p64f));
    __m512 u = _mm512_div_ps(one, hi), v = _mm512_mul_ps(lo, u);
    __m512 rem = _mm512_fnmadd_ps(v, hi, lo);
    __mmask16 edge = _mm512_fpclass_ps_mask(hi, 0x0a); /* +0 or +inf */
    __mmask16 both_inf = _mm512_mask_cmp_ps_mask(edge, lo, _mm512_set1_ps(INFINITY), _CMP_EQ_OQ);
    v = _mm512_mask_mov_ps(_mm512_maskz_mov_ps(~edge, v), both_inf, one);
    rem = _mm512_maskz_mov_ps(~edge, rem), u = _mm512_maskz_mov_ps(~edge, u);
    __m512 h = atan_tab_split16(v, big, rem, u, t, &tail);
    const __m512 pi_hi = _mm512_set1_ps(PN_PI_HI), pi_lo = _mm512_set1_ps(PN_PI_LO);
    __m512 s = _mm512_sub_ps(pi_hi, h), err = _mm512_sub_ps(_mm512_sub_ps(pi_hi, s), h);
    __m512 yneg = _mm512_add_ps(s, _mm512_sub_ps(_mm512_add_ps(err, pi_lo), tail));
    __mmask16 xneg = _mm512_movepi32_mask(_mm512_castps_si512(x));
    __m512 r = with_sign16(_mm512_mask_blend_ps(xneg, _mm512_add_ps(h, tail), yneg), y);
    return _mm512_mask_add_ps(r, _mm512_cmp_ps_mask(x, y, _CMP_UNORD_Q), x, y);
}

/* pn_erfcf_tab over 16 lanes, the exp table's hi and lo rows in t[16..19]. */
static ALWAYS_INLINE T512 __m512 erfc_poly16(__m512 x, const __m512 *t) {
    const __m512 *hi2 = t + 16, *lo2 = t + 18;
    __m512 b, lo, kf;
    __m512i j = poly_tab_index16(x, PN_ERFC_CAP, PN_ERFCX_TAB_BIAS, &b);
    __m512 ns = _mm512_fnmadd_ps(b, b, _mm512_setzero_ps());
    __m512 nsl = _mm512_fnmadd_ps(b, b, _mm512_sub_ps(_mm512_setzero_ps(), ns));
    __m512 hi = exp_tab_pair16_dx(ns, &nsl, hi2, lo2, &lo, &kf);
    __m512 pl, h = poly_tab_split16(t, j, _mm512_sub_ps(b, POLY_ROW(0)), &pl);
    __m512 y = _mm512_fmadd_ps(lo, _mm512_add_ps(h, pl), _mm512_mul_ps(hi, pl));
    y = _mm512_scalef_ps(_mm512_fmadd_ps(hi, h, y), _mm512_mul_ps(kf, _mm512_set1_ps(1.0f / 32)));
    __mmask16 neg = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ);
    return _mm512_mask_sub_ps(y, neg, _mm512_set1_ps(2.0f), y);
}
#undef POLY_ROW

/* An op over n contiguous floats by its lanes function and table of 8 rows of 32
 * (in 16 registers), 16 at a time (a masked last step); long arrays prefetch. */
#define POLY_TAB_KERNEL16(NAME, LANES, TAB) \
    static T512 void NAME(const float *x, float *y, int64_t n) { \
        __m512 t[20]; \
        for (int k = 0; k < 8; k++) { \
            t[2 * k] = _mm512_loadu_ps(TAB[k]); \
            t[2 * k + 1] = _mm512_loadu_ps(TAB[k] + 16); \
        } \
        for (int k = 0; k < 4; k++) t[16 + k] = _mm512_loadu_ps(pn_exp2_32[k / 2] + 16 * (k % 2)); \
        int64_t blk = pn_prefetch_blocksize(n); \
        for (int64_t b = 0; b < n; b += blk) { \
            int64_t e = n - b < blk ? n : b + blk, i = b; \
            if (blk < n) pn_prefetch_block(x, e, n, sizeof *x); \
            for (; i + 16 <= e; i += 16) \
                _mm512_storeu_ps(y + i, LANES(_mm512_loadu_ps(x + i), t)); \
            if (i < e) { \
                __mmask16 m = (__mmask16)((1u << (e - i)) - 1); \
                _mm512_mask_storeu_ps(y + i, m, LANES(_mm512_maskz_loadu_ps(m, x + i), t)); \
            } \
        } \
    }
POLY_TAB_KERNEL16(erf_f32_avx512, erf_poly16, pn_erf_tab)
POLY_TAB_KERNEL16(tanh_f32_avx512, tanh_poly16, pn_tanh_tab)
POLY_TAB_KERNEL16(atan_f32_avx512, atan_poly16, pn_atanx_tab)
POLY_TAB_KERNEL16(erfc_f32_avx512, erfc_poly16, pn_erfcx_tab)

/* pn_tanf_v over 8 floats (the same bits): sin r / cos r or -cos r / sin r. */
static ALWAYS_INLINE T512 __m256 tan_lanes8d(__m256 xf) {
    const __m512d magic = _mm512_set1_pd(0x1.8p52), one = _mm512_set1_pd(1.0);
    __m512d x = _mm512_cvtps_pd(xf);
    __m512d t = _mm512_fmadd_pd(x, _mm512_set1_pd(0.63661977236758134), magic);
    __m512d n = _mm512_sub_pd(t, magic);
    __m512d r = _mm512_fnmadd_pd(n, _mm512_set1_pd(PN_TRIG_HALF_PI_1), x);
    r = _mm512_fnmadd_pd(n, _mm512_set1_pd(PN_TRIG_HALF_PI_2), r);
    __m512d z = _mm512_mul_pd(r, r), p = _mm512_set1_pd(0x1.6cd1480ae31d2p-19);
    p = _mm512_fmadd_pd(p, z, _mm512_set1_pd(-0x1.a00f7c5f406f9p-13));
    p = _mm512_fmadd_pd(p, z, _mm512_set1_pd(0x1.11110866ecfa7p-7));
    p = _mm512_fmadd_pd(p, z, _mm512_set1_pd(-0x1.5555554c6d0f0p-3));
    __m512d sn = _mm512_mul_pd(r, _mm512_fmadd_pd(z, p, one));
    __m512d q = _mm512_set1_pd(-0x1.23c8f3665a458p-22);
    q = _mm512_fmadd_pd(q, z, _mm512_set1_pd(0x1.a00eb6b0ce449p-16));
    q = _mm512_fmadd_pd(q, z, _mm512_set1_pd(-0x1.6c16b34315c15p-10));
    q = _mm512_fmadd_pd(q, z, _mm512_set1_pd(0x1.55555545bcc21p-5));
    q = _mm512_fmadd_pd(q, z, _mm512_set1_pd(-0x1.ffffffffe97bap-2));
    __m512d c = _mm512_fmadd_pd(z, q, one);
    __mmask8 odd = _mm512_test_epi64_mask(_mm512_castpd_si512(t), _mm512_set1_epi64(1));
    __m512d num = _mm512_mask_sub_pd(sn, odd, _mm512_setzero_pd(), c);
    return _mm512_cvtpd_ps(_mm512_div_pd(num, _mm512_mask_mov_pd(c, odd, sn)));
}
/* The lanes whose x is beyond PN_TRIG_V_MAX, inf or NaN. */
static ALWAYS_INLINE T512 __mmask16 trig_far_mask16(__m512 x) {
    return _mm512_cmp_ps_mask(_mm512_abs_ps(x), _mm512_set1_ps(PN_TRIG_V_MAX), _CMP_NLE_UQ);
}
/* r with those lanes (far) from libm's double function rounded to float, as TRIG_LOOP
 * does (out of line: in most data no lane is far). */
static T512 __m512 trig_far16(__m512 r, __m512 x, __mmask16 far, double (*libm)(double)) {
    float xs[16], rs[16];
    _mm512_storeu_ps(xs, x);
    _mm512_storeu_ps(rs, r);
    for (int j = 0; j < 16; j++)
        if (far >> j & 1) rs[j] = (float)libm((double)xs[j]);
    return _mm512_loadu_ps(rs);
}
/* tan over 16 floats: two halves of 8 doubles, far lanes by libm. */
static ALWAYS_INLINE T512 __m512 tan_lanes16(__m512 v) {
    __m256 a = tan_lanes8d(_mm512_castps512_ps256(v)),
           b = tan_lanes8d(_mm512_extractf32x8_ps(v, 1));
    __m512 r = _mm512_insertf32x8(_mm512_castps256_ps512(a), b, 1);
    __mmask16 far = trig_far_mask16(v);
    return far ? trig_far16(r, v, far, tan) : r;
}
/* tan over n contiguous floats, 16 at a time (a masked last step): the auto-vectorized
 * TRIG_LOOP's bits, written out so that no second pass looks for far lanes and the
 * divisions stay 8 doubles wide (131k floats, one core: 99 -> 80 us; sin's and cos's
 * loops as GCC vectorizes them were faster than the same written out). */
static T512 void tan_f32_avx512(const float *x, float *y, int64_t n) {
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, tan_lanes16(_mm512_loadu_ps(x + i)));
    if (i < n) {
        __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
        _mm512_mask_storeu_ps(y + i, m, tan_lanes16(_mm512_maskz_loadu_ps(m, x + i)));
    }
}

/* pn_atan2f_poly over n contiguous (y, x) pairs, 16 at a time (a masked last step),
 * atan's table in 16 registers. */
static T512 void atan2_f32_avx512(const float *y, const float *x, float *o, int64_t n) {
    __m512 t[16];
    for (int k = 0; k < 8; k++) {
        t[2 * k] = _mm512_loadu_ps(pn_atan_tab[k]);
        t[2 * k + 1] = _mm512_loadu_ps(pn_atan_tab[k] + 16);
    }
    int64_t blk = pn_prefetch_blocksize(n);
    for (int64_t b = 0; b < n; b += blk) {
        int64_t e = n - b < blk ? n : b + blk, i = b;
        if (blk < n) pn_prefetch_block(y, e, n, sizeof *y), pn_prefetch_block(x, e, n, sizeof *x);
        for (; i + 16 <= e; i += 16)
            _mm512_storeu_ps(o + i,
                             atan2_poly16(_mm512_loadu_ps(y + i), _mm512_loadu_ps(x + i), t));
        if (i < e) {
            __mmask16 m = (__mmask16)((1u << (e - i)) - 1);
            __m512 v =
                atan2_poly16(_mm512_maskz_loadu_ps(m, y + i), _mm512_maskz_loadu_ps(m, x + i), t);
            _mm512_mask_storeu_ps(o + i, m, v);
        }
    }
}

/* pn_logistic_quot's quotient over the lanes, e = exp(-|x|) given: q returned,
 * *rem and *inv; then pn_sigmoidf_tab and pn_siluf_tab. (V, P, GE: the vector
 * type, the intrinsic prefix, and num = x >= 0 ? 1 : e, false for NaN.) */
#define LOGISTIC_QUOT(V, P, SELECT_GE) \
    const V one_ = P##_set1_ps(1.0f); \
    V uh = P##_add_ps(one_, e), ul = P##_add_ps(P##_sub_ps(one_, uh), e); \
    V num = SELECT_GE; \
    V inv = P##_div_ps(one_, uh), q = P##_mul_ps(num, inv); \
    V rem = P##_fnmadd_ps(q, ul, P##_fnmadd_ps(q, uh, num))
#define GE16 _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_GE_OQ), e, one_)
#define GE8  _mm256_blendv_ps(e, one_, _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GE_OQ))
static ALWAYS_INLINE T512 __m512 sigmoid_tab16(__m512 x, const __m512 *hi2, const __m512 *lo2) {
    __m512 e = exp_tab16(_mm512_or_ps(x, _mm512_set1_ps(-0.0f)), hi2, lo2); /* exp(-|x|) */
    LOGISTIC_QUOT(__m512, _mm512, GE16);
    return _mm512_fmadd_ps(rem, inv, q);
}
static ALWAYS_INLINE T512 __m512 silu_tab16(__m512 x, const __m512 *hi2, const __m512 *lo2) {
    __m512 e = exp_tab16(_mm512_or_ps(x, _mm512_set1_ps(-0.0f)), hi2, lo2);
    LOGISTIC_QUOT(__m512, _mm512, GE16);
    return _mm512_fmadd_ps(x, q, _mm512_mul_ps(x, _mm512_mul_ps(rem, inv)));
}
static T256 __m256 sigmoid_tab8(__m256 x) {
    __m256 e = exp_tab8(_mm256_or_ps(x, _mm256_set1_ps(-0.0f)));
    LOGISTIC_QUOT(__m256, _mm256, GE8);
    return _mm256_fmadd_ps(rem, inv, q);
}
static T256 __m256 silu_tab8(__m256 x) {
    __m256 e = exp_tab8(_mm256_or_ps(x, _mm256_set1_ps(-0.0f)));
    LOGISTIC_QUOT(__m256, _mm256, GE8);
    return _mm256_fmadd_ps(x, q, _mm256_mul_ps(x, _mm256_mul_ps(rem, inv)));
}
#undef LOGISTIC_QUOT
#undef GE16
#undef GE8
EXP_TAB_KERNEL16(sigmoid_f32_avx512, sigmoid_tab16)
LANES_KERNEL8(sigmoid_f32_avx2, sigmoid_tab8)

/* SiLU over n contiguous floats (pn_silu_f32), 16 or 8 at a time, masked last
 * steps; returns pn_silu_holds for every element (the masked-off lanes are 0). The
 * full vectors go unmasked: computing a mask per vector cost the AVX-512 loops 3-14%
 * (131k floats, Intel Xeon: log 14%, exp 10%, SiLU 6%, sigmoid 3%), its scalar
 * instructions taking issue slots from the vector ports. */
static T512 int silu_f32_avx512(const float *x, float *y, int64_t n) {
    const __m512 hi2[2] = {_mm512_loadu_ps(pn_exp2_32[0]), _mm512_loadu_ps(pn_exp2_32[0] + 16)};
    const __m512 lo2[2] = {_mm512_loadu_ps(pn_exp2_32[1]), _mm512_loadu_ps(pn_exp2_32[1] + 16)};
    const __m512 lo = _mm512_set1_ps(PN_SILU_MIN), hi = _mm512_set1_ps(PN_SILU_MAX);
    __mmask16 ok = 0xffff;
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 v = _mm512_loadu_ps(x + i);
        ok &= _mm512_cmp_ps_mask(v, lo, _CMP_GE_OQ) & _mm512_cmp_ps_mask(v, hi, _CMP_LE_OQ);
        _mm512_storeu_ps(y + i, silu_tab16(v, hi2, lo2));
    }
    if (i < n) {
        __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
        __m512 v = _mm512_maskz_loadu_ps(m, x + i);
        ok &= _mm512_cmp_ps_mask(v, lo, _CMP_GE_OQ) & _mm512_cmp_ps_mask(v, hi, _CMP_LE_OQ);
        _mm512_mask_storeu_ps(y + i, m, silu_tab16(v, hi2, lo2));
    }
    return ok == 0xffff;
}
static T256 int silu_f32_avx2(const float *x, float *y, int64_t n) {
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256 lo = _mm256_set1_ps(PN_SILU_MIN), hi = _mm256_set1_ps(PN_SILU_MAX);
    __m256 ok = _mm256_castsi256_ps(_mm256_set1_epi32(-1));
    for (int64_t i = 0; i < n; i += 8) {
        __m256i m = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(n - i < 8 ? n - i : 8)), lane);
        __m256 v = _mm256_maskload_ps(x + i, m);
        ok = _mm256_and_ps(
            ok, _mm256_and_ps(_mm256_cmp_ps(v, lo, _CMP_GE_OQ), _mm256_cmp_ps(v, hi, _CMP_LE_OQ)));
        _mm256_maskstore_ps(y + i, m, silu_tab8(v));
    }
    return _mm256_movemask_ps(ok) == 0xff;
}

/* sqrt over n contiguous floats, 16 at a time, without the divider (vsqrtps
 * issues one 16-lane square root per 12 cycles on Ice Lake-class cores; this
 * runs on the FMA ports: 131k floats in 16 us against 26, one core here).
 * Correctly rounded, the same bits as sqrtf:
 *   y = rsqrt14(x), 1/sqrt(x) to 2^-14 relative;
 *   s = x y, h = y / 2, and one Goldschmidt step: e = 1/2 - s h, s += s e,
 *   h += h e (s near sqrt(x) and h near 1 / (2 sqrt(x)), to about 2^-27);
 *   d = x - s^2, exact (fma), and s + d h is sqrt(x) rounded once.
 * That last step is exact rounding only where d is: below 2^-100, x is scaled
 * by 2^48 first and the root by 2^-24 (both exact), so that s^2 does not
 * underflow. Checked against vsqrtps on every positive float; the C test
 * sweeps a subset. rsqrt14 gives inf at +-0 and 0 at +inf, so those lanes
 * return x itself; negative x and NaN come out NaN, as from sqrtf. Vectors
 * with none of those lanes (sqrt_special16) skip the fix-ups. */
static T512 __m512 sqrt_core16(__m512 v) {
    const __m512 half = _mm512_set1_ps(0.5f);
    __m512 r = _mm512_rsqrt14_ps(v), s = _mm512_mul_ps(v, r), h = _mm512_mul_ps(half, r);
    __m512 e = _mm512_fnmadd_ps(s, h, half);
    s = _mm512_fmadd_ps(s, e, s);
    h = _mm512_fmadd_ps(h, e, h);
    return _mm512_fmadd_ps(_mm512_fnmadd_ps(s, s, v), h, s);
}

/* The lanes sqrt_core16 cannot take as they are: below 2^-100 (with +-0 and the
 * negative numbers) or +inf. NaN is not among them: it comes out NaN anyway. */
static T512 __mmask16 sqrt_special16(__m512 x) {
    return _mm512_cmp_ps_mask(x, _mm512_set1_ps(0x1p-100f), _CMP_LT_OQ) |
           _mm512_cmp_ps_mask(x, _mm512_set1_ps(INFINITY), _CMP_EQ_OQ);
}

/* sqrt_core16 for any lanes: tiny ones scaled, +-0 and +inf passed through. */
static T512 __m512 sqrt_any16(__m512 x) {
    __mmask16 tiny = _mm512_cmp_ps_mask(x, _mm512_set1_ps(0x1p-100f), _CMP_LT_OQ);
    __mmask16 same = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_EQ_OQ) |
                     _mm512_cmp_ps_mask(x, _mm512_set1_ps(INFINITY), _CMP_EQ_OQ);
    __m512 s = sqrt_core16(_mm512_mask_mul_ps(x, tiny, x, _mm512_set1_ps(0x1p48f)));
    s = _mm512_mask_mul_ps(s, tiny, s, _mm512_set1_ps(0x1p-24f));
    return _mm512_mask_mov_ps(s, same, x);
}

static T512 void sqrt_f32_avx512(const float *x, float *y, int64_t n) {
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 v = _mm512_loadu_ps(x + i);
        _mm512_storeu_ps(y + i, sqrt_special16(v) ? sqrt_any16(v) : sqrt_core16(v));
    }
    if (i < n) {
        __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
        _mm512_mask_storeu_ps(y + i, m, sqrt_any16(_mm512_maskz_loadu_ps(m, x + i)));
    }
}
/* sqrt over n contiguous doubles, 8 at a time, on the FMA ports as sqrt_f32_avx512:
 * vsqrtpd takes about 2.5 cycles a double here at any vector width (131k doubles in
 * 110 us, one core); this, 8 doubles in about 22 vector operations. Correctly rounded
 * (sqrt's bits), by a candidate and a test:
 *   y = rsqrt14(x) (2^-14 relative), s = x y, h = y / 2, two Goldschmidt steps
 *   e = 1/2 - s h, s += s e, h += h e (2^-27, then near 2^-52), and
 *   s += (x - s^2) h (x - s^2 by fma: exact, or within 2^-105 relative where s is more
 *   than an ulp off): within about 2^-100 relative of sqrt(x) (2^-104 measured).
 * That is not yet correct rounding: sqrt(x) can lie within 2^-107 of a midpoint
 * between doubles. But s is the correctly rounded root or a neighbour, and Tuckerman's
 * test (sqrt_settle8d) settles which. */
static ALWAYS_INLINE T512 __m512d sqrt_core8d(__m512d x) {
    const __m512d half = _mm512_set1_pd(0.5);
    __m512d y = _mm512_rsqrt14_pd(x), s = _mm512_mul_pd(x, y), h = _mm512_mul_pd(half, y);
    for (int k = 0; k < 2; k++) {
        __m512d e = _mm512_fnmadd_pd(s, h, half);
        s = _mm512_fmadd_pd(s, e, s);
        h = _mm512_fmadd_pd(h, e, h);
    }
    return _mm512_fmadd_pd(_mm512_fnmadd_pd(s, s, x), h, s);
}
/* Tuckerman's test: from a candidate s within an ulp of sqrt(x), 2^-900 <= x < inf, the
 * correctly rounded root. With s- and s+ the neighbours of s (one bit down and up: s > 0),
 * s is right iff
 *   s s- < x <= s s+.
 * (The squared midpoint (s + s+)^2 / 4 = s s+ + u^2 / 4 with u = s+ - s; s s+ is a
 * multiple of u^2 and x of 2^51 u^2 or more, so no x lies between the two; the same
 * below s, where u, and the grid of s s-, may be half as big. No root is a midpoint: its
 * square has more than 53 bits.) Each side is the sign of one fma, s s+- - x computed
 * exactly and rounded once: round to nearest keeps the sign, and for x >= 2^-900 the
 * residual, a multiple of u^2 / 2 >= 2^-1005, stays normal even where subnormals are
 * flushed to zero. The other lanes (zeros, subnormals, negatives, +inf, NaN) make the
 * vector take vsqrtpd (sqrt_plain8d). */
static ALWAYS_INLINE T512 __m512d sqrt_settle8d(__m512d x, __m512d s) {
    __m512i b = _mm512_castpd_si512(s), one = _mm512_set1_epi64(1);
    __m512d up = _mm512_castsi512_pd(_mm512_add_epi64(b, one));
    __m512d down = _mm512_castsi512_pd(_mm512_sub_epi64(b, one));
    __mmask8 low = _mm512_cmp_pd_mask(_mm512_fmsub_pd(s, up, x), _mm512_setzero_pd(), _CMP_LT_OQ);
    __mmask8 high =
        _mm512_cmp_pd_mask(_mm512_fmsub_pd(s, down, x), _mm512_setzero_pd(), _CMP_GE_OQ);
    s = _mm512_mask_mov_pd(s, low, up); /* x > s s+: the root is nearer s+ */
    return _mm512_mask_mov_pd(s, high, down);
}
/* sqrt_settle8d over n contiguous (x, s) to out, for test_vecmath (pn_sqrt_f64_settle_kernel),
 * which hands it the roots' neighbours: the kernel's own candidates are nearly always
 * right already. */
static T512 void sqrt_settle_f64_avx512(const double *x, const double *s, double *o, int64_t n) {
    for (int64_t i = 0; i < n; i += 8) {
        __mmask8 m = n - i >= 8 ? 0xff : (__mmask8)((1u << (n - i)) - 1);
        _mm512_mask_storeu_pd(
            o + i, m,
            sqrt_settle8d(_mm512_maskz_loadu_pd(m, x + i), _mm512_maskz_loadu_pd(m, s + i)));
    }
}
/* The lanes sqrt_core8d takes: 2^-900 <= x < inf (NaN fails both compares). */
static T512 __mmask8 sqrt_plain8d(__m512d x) {
    return _mm512_cmp_pd_mask(x, _mm512_set1_pd(0x1p-900), _CMP_GE_OQ) &
           _mm512_cmp_pd_mask(x, _mm512_set1_pd(INFINITY), _CMP_LT_OQ);
}
static T512 void sqrt_f64_avx512(const double *x, double *y, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m512d v = _mm512_loadu_pd(x + i);
        __m512d r = sqrt_plain8d(v) == 0xff ? sqrt_settle8d(v, sqrt_core8d(v)) : _mm512_sqrt_pd(v);
        _mm512_storeu_pd(y + i, r);
    }
    if (i < n) {
        __mmask8 m = (__mmask8)((1u << (n - i)) - 1);
        _mm512_mask_storeu_pd(y + i, m, _mm512_sqrt_pd(_mm512_maskz_loadu_pd(m, x + i)));
    }
}
/* sqrt over n contiguous doubles by vsqrtpd, 4 at a time (AVX2 has no rsqrt14). */
static T256 void sqrt_f64_avx2(const double *x, double *y, int64_t n) {
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) _mm256_storeu_pd(y + i, _mm256_sqrt_pd(_mm256_loadu_pd(x + i)));
    for (; i < n; i++) y[i] = sqrt(x[i]);
}

/* 1 / sqrt(x) over n contiguous floats, 16 at a time: pn_rsqrtf's bits with the
 * divider used only for the lanes that need it. pn_rsqrtf starts from
 * y = 1 / sqrtf(x) (a square root and a division, 2 roundings) and corrects y
 * once from the residual r = 1 - x y^2, formed exactly enough (rsqrt_fix16).
 * Any y within about an ulp serves that correction: its result is correctly
 * rounded. Here y comes from rsqrt14 (2^-14) and one Newton step,
 * y += (y / 2)(1 - x y^2), on the FMA ports instead of the divider (Zen 4, 1
 * thread, 64k floats in L2: 0.22 ns per float). Both results being correctly
 * rounded, they are the same bits: test_vecmath compares every float from
 * 2^-100 up. Lanes below 2^-100 (zeros, negatives, subnormals), +inf and NaN
 * take pn_rsqrtf's own start and its special values. */
static T512 __m512 rsqrt_fix16(__m512 x, __m512 y) {
    const __m512 one = _mm512_set1_ps(1.0f);
    __m512 t = _mm512_mul_ps(x, y), et = _mm512_fmsub_ps(x, y, t); /* t + et = x y */
    __m512 r = _mm512_fnmadd_ps(et, y, _mm512_fnmadd_ps(t, y, one));
    r = _mm512_fmadd_ps(_mm512_mul_ps(_mm512_set1_ps(0.75f), r), r, r);
    return _mm512_fmadd_ps(_mm512_mul_ps(_mm512_set1_ps(0.5f), y), r, y);
}
static T512 __m512 rsqrt_core16(__m512 x) { /* 2^-100 <= x < inf */
    __m512 y = _mm512_rsqrt14_ps(x);
    __m512 e = _mm512_fnmadd_ps(_mm512_mul_ps(x, y), y, _mm512_set1_ps(1.0f));
    y = _mm512_fmadd_ps(_mm512_mul_ps(_mm512_set1_ps(0.5f), y), e, y);
    return rsqrt_fix16(x, y);
}
/* The lanes rsqrt_core16 takes: 2^-100 <= x < inf. */
static T512 __mmask16 rsqrt_plain16(__m512 x) {
    return _mm512_cmp_ps_mask(x, _mm512_set1_ps(0x1p-100f), _CMP_GE_OQ) &
           _mm512_cmp_ps_mask(x, _mm512_set1_ps(INFINITY), _CMP_LT_OQ);
}
/* Any lanes: the special ones as pn_rsqrtf, from y = 1 / sqrtf(x), and y itself
 * where that is 0, inf or NaN (x = inf, +-0, negative, NaN). */
static T512 __m512 rsqrt_any16(__m512 x) {
    __mmask16 ok = rsqrt_plain16(x);
    __m512 y = _mm512_div_ps(_mm512_set1_ps(1.0f), _mm512_sqrt_ps(x));
    __m512 c = rsqrt_fix16(x, y);
    __mmask16 keep = _mm512_cmp_ps_mask(y, _mm512_setzero_ps(), _CMP_EQ_OQ) |
                     _mm512_cmp_ps_mask(_mm512_sub_ps(y, y), _mm512_setzero_ps(), _CMP_NEQ_UQ);
    c = _mm512_mask_mov_ps(c, keep, y);
    return _mm512_mask_mov_ps(c, ok, rsqrt_core16(x));
}
static T512 void rsqrt_f32_avx512(const float *x, float *y, int64_t n) {
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 v = _mm512_loadu_ps(x + i);
        _mm512_storeu_ps(y + i, rsqrt_plain16(v) == 0xffff ? rsqrt_core16(v) : rsqrt_any16(v));
    }
    if (i < n) {
        __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
        _mm512_mask_storeu_ps(y + i, m, rsqrt_any16(_mm512_maskz_loadu_ps(m, x + i)));
    }
}

/* pn_log_join over the lanes: r_ = k kc + (hi + lo). */
#define LOG_JOIN(V, P) \
    V a_ = P##_mul_ps(k, P##_set1_ps(kc_hi)), sum_ = P##_add_ps(a_, hi); \
    V err_ = P##_add_ps(P##_sub_ps(a_, sum_), hi); \
    V r_ = P##_add_ps(sum_, P##_add_ps(err_, P##_fmadd_ps(k, P##_set1_ps(kc_lo), lo)))

/* pn_log_tab_core over the lanes, in the same order: from rh, pl, ch, cl to hi
 * and lo (V, P: the vector type and intrinsic prefix). */
#define LOG_TAB_CORE(V, P) \
    V sq = P##_mul_ps(rh, rh), sql = P##_fmsub_ps(rh, rh, sq); \
    V t = P##_mul_ps(P##_set1_ps(-0.5f), sq), s1 = P##_add_ps(rh, t); \
    V e1 = P##_add_ps(P##_sub_ps(rh, s1), t); \
    V q = P##_fmadd_ps(P##_set1_ps(-1.0f / 8), rh, P##_set1_ps(1.0f / 7)); \
    q = P##_fmadd_ps(q, rh, P##_set1_ps(-1.0f / 6)); \
    q = P##_fmadd_ps(q, rh, P##_set1_ps(1.0f / 5)); \
    q = P##_fmadd_ps(q, rh, P##_set1_ps(-1.0f / 4)); \
    q = P##_fmadd_ps(q, rh, P##_set1_ps(1.0f / 3)); \
    V tail = P##_add_ps(P##_fmadd_ps(pl, P##_fmsub_ps(rh, rh, rh), pl), \
                        P##_fmadd_ps(P##_set1_ps(-0.5f), sql, P##_mul_ps(P##_mul_ps(sq, rh), q))); \
    V hi = P##_add_ps(ch, s1), es = P##_add_ps(P##_sub_ps(ch, hi), s1); \
    V lo = P##_add_ps(es, P##_add_ps(cl, P##_add_ps(e1, tail)))

/* log(+-0) = -inf, log(x < 0) = NaN, and x itself for +inf and NaN; ok: x in (0, inf). */
static T512 __m512 log_special16(__m512 x) {
    __m512 zero = _mm512_setzero_ps();
    __m512 sp =
        _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, zero, _CMP_LT_OQ), x, _mm512_set1_ps(NAN));
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, zero, _CMP_EQ_OQ), sp,
                                _mm512_set1_ps(-INFINITY));
}
static T512 __m512 log_ok16(__m512 x, __m512 r, __m512 special) {
    __mmask16 ok = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_GT_OQ) &
                   _mm512_cmp_ps_mask(x, _mm512_set1_ps(INFINITY), _CMP_LT_OQ);
    return _mm512_mask_blend_ps(ok, special, r);
}

/* pn_log_tab_split and the lookups over 16 lanes, from the bits b of a normal
 * positive float: z, k, e = k + 127 and the table's 1/c, log c = ch + cl. tab: the
 * three rows of pn_log_tab, each twice in a register (vpermps reads the low 4 bits
 * of (b - off) >> 20, whose bit 3 is the exponent's). */
static ALWAYS_INLINE T512 __m512 log_split16(__m512i b, const __m512 *tab, __m512 *k, __m512i *e,
                                             __m512 *ch, __m512 *cl, __m512 *invc) {
    __m512i j = _mm512_srli_epi32(_mm512_sub_epi32(b, _mm512_set1_epi32(PN_LOG_TAB_OFF)), 20);
    *e = _mm512_srli_epi32(_mm512_add_epi32(b, _mm512_set1_epi32(0x3f800000 - PN_LOG_TAB_OFF)), 23);
    __m512i ki = _mm512_sub_epi32(*e, _mm512_set1_epi32(127));
    *k = _mm512_cvtepi32_ps(ki);
    *invc = _mm512_permutexvar_ps(j, tab[0]), *ch = _mm512_permutexvar_ps(j, tab[1]);
    *cl = _mm512_permutexvar_ps(j, tab[2]);
    return _mm512_castsi512_ps(_mm512_sub_epi32(b, _mm512_slli_epi32(ki, 23)));
}

/* pn_log32_sum over the lanes (V, P: the vector type and intrinsic prefix), in
 * the same order; r, e, H and tlo given, the result in y_. */
#define LOG32_SUM(V, P) \
    V q = P##_fmadd_ps(P##_set1_ps(-1.0f / 6), r, P##_set1_ps(1.0f / 5)); \
    q = P##_fmadd_ps(P##_fmadd_ps(q, r, P##_set1_ps(-0.25f)), r, P##_set1_ps(1.0f / 3)); \
    V w = P##_mul_ps(P##_mul_ps(r, r), P##_mul_ps(r, q)), a = P##_mul_ps(r, P##_set1_ps(-0.5f)); \
    V rh = r, rl; \
    if (ic_hi != 1.0f) { \
        rh = P##_mul_ps(r, P##_set1_ps(ic_hi)); \
        V t1 = P##_fmadd_ps(r, P##_set1_ps(ic_lo), P##_fmsub_ps(r, P##_set1_ps(ic_hi), rh)); \
        rl = P##_fmadd_ps(a, rh, P##_fmadd_ps(a, t1, P##_fmadd_ps(w, P##_set1_ps(ic_hi), t1))); \
    } else { \
        rl = P##_fmadd_ps(a, r, w); \
    } \
    V hi = P##_add_ps(H, rh), ef = P##_add_ps(P##_sub_ps(H, hi), rh); \
    V tl = l2lo != 0.0f ? P##_fmadd_ps(e, P##_set1_ps(l2lo), tlo) : tlo; \
    V y_ = P##_add_ps(hi, P##_add_ps(P##_add_ps(ef, tl), rl))

/* pn_log32_base over 16 lanes of finite x > 0 (subnormal too: getmant and getexp
 * normalize them); tab: the rows c, T_hi, T_lo, each as two registers, looked up
 * by vpermt2ps on the low 5 bits of z's bits >> 18 (the top 5 mantissa bits). */
static ALWAYS_INLINE T512 __m512 log32_16(__m512 x, const __m512 *tab, float l2hi, float l2lo,
                                          float ic_hi, float ic_lo) {
    __m512 z = _mm512_getmant_ps(x, _MM_MANT_NORM_1_2, _MM_MANT_SIGN_zero);
    __m512 e = _mm512_getexp_ps(x);
    __m512i j = _mm512_srli_epi32(_mm512_castps_si512(z), 18);
    __m512 r = _mm512_fmadd_ps(z, _mm512_permutex2var_ps(tab[0], j, tab[1]), _mm512_set1_ps(-1.0f));
    __m512 H = _mm512_fmadd_ps(e, _mm512_set1_ps(l2hi), _mm512_permutex2var_ps(tab[2], j, tab[3]));
    __m512 tlo = _mm512_permutex2var_ps(tab[4], j, tab[5]);
    LOG32_SUM(__m512, _mm512);
    return y_;
}

/* The log, log2 and log10 ops over n contiguous floats, 16 at a time: full vectors
 * unmasked (the mask's arithmetic took issue slots from the vector ports), then a
 * masked last step. A vector with a lane that is NaN, +-0, +-inf or negative
 * (vfpclassps, 0xdf: every class but denormal and positive finite) has those lanes
 * fixed. */
#define LOG32_STEP16(LOAD, STORE, ...) \
    { \
        __m512 v = LOAD, r = log32_16(v, tab, LOG32_ARGS(__VA_ARGS__)); \
        if (_mm512_fpclass_ps_mask(v, 0xdf)) r = log_ok16(v, r, log_special16(v)); \
        STORE; \
    }
#define LOG32_KERNEL16(NAME, CONSTS) \
    static T512 void NAME(const float *x, float *y, int64_t n) { \
        __m512 tab[6]; \
        log32_tab16(tab, LOG32_ROW(CONSTS)); \
        int64_t blk = pn_prefetch_blocksize(n); \
        for (int64_t b = 0; b < n; b += blk) { \
            int64_t e = n - b < blk ? n : b + blk, i = b; \
            if (blk < n) pn_prefetch_block(x, e, n, sizeof *x); \
            for (; i + 16 <= e; i += 16) \
                LOG32_STEP16(_mm512_loadu_ps(x + i), _mm512_storeu_ps(y + i, r), CONSTS) \
            if (i < e) { \
                __mmask16 m = (__mmask16)((1u << (e - i)) - 1); \
                LOG32_STEP16(_mm512_maskz_loadu_ps(m, x + i), _mm512_mask_storeu_ps(y + i, m, r), \
                             CONSTS) \
            } \
        } \
    }
/* The rows c, T_hi, T_lo of a base (from its PN_LOG32_* constants' row) as register pairs. */
static ALWAYS_INLINE T512 void log32_tab16(__m512 *tab, int row) {
    const float *rows[3] = {pn_log32_tab[0], pn_log32_tab[row], pn_log32_tab[row + 1]};
    for (int k = 0; k < 3; k++) {
        tab[2 * k] = _mm512_loadu_ps(rows[k]);
        tab[2 * k + 1] = _mm512_loadu_ps(rows[k] + 16);
    }
}
#define LOG32_ROW(row, ...)  row         /* a base's row */
#define LOG32_ARGS(row, ...) __VA_ARGS__ /* the constants but the row */
LOG32_KERNEL16(log_f32_avx512, PN_LOG32_E)
LOG32_KERNEL16(log2_f32_avx512, PN_LOG32_2)
LOG32_KERNEL16(log10_f32_avx512, PN_LOG32_10)

/* pn_log_tab_pair over the lanes, from log_split's z, e, invc, ch, cl and ul (V, P:
 * vector type and intrinsic prefix, SI its integer cast's width; MOV moves the lanes
 * where a mask is set): hi and lo, with the series on SH + SL where SMALL. */
#define LOG_TAB_PAIR(V, P, SI, MOV, SMALL, SH, SL) \
    e = P##_min_epu32(e, P##_set1_epi32(253)); \
    V g = P##_mul_ps( \
        ul, P##_castsi##SI##_ps(P##_slli_epi32(P##_sub_epi32(P##_set1_epi32(254), e), 23))); \
    V ph = P##_mul_ps(z, invc), pl = P##_add_ps(P##_fmsub_ps(z, invc, ph), P##_mul_ps(g, invc)); \
    V rh = P##_sub_ps(ph, P##_set1_ps(1.0f)); \
    __auto_type small = SMALL; \
    rh = MOV(rh, small, SH), pl = MOV(pl, small, SL); \
    ch = MOV(ch, small, P##_setzero_ps()), cl = MOV(cl, small, P##_setzero_ps()); \
    LOG_TAB_CORE(V, P)
#define MOV8(a, m, b) _mm256_blendv_ps(a, b, m)

/* log1p's lanes (pn_log1pf_tab), 16 or 8 at a time: u = 1 + x and its error ul,
 * the split of u (u is never subnormal: u >= 2^-24 where positive), pl + g / c,
 * the series on x itself below 1/32, the join, pn_log_special's values for u,
 * and x itself for |x| < 2^-25. */
static ALWAYS_INLINE T512 __m512 log1p_tab16(__m512 x, const __m512 *tab, int plain, float kc_hi,
                                             float kc_lo, float ic_hi, float ic_lo) {
    (void)ic_hi, (void)ic_lo;
    const __m512 one = _mm512_set1_ps(1.0f), zero = _mm512_setzero_ps();
    __m512 u = _mm512_add_ps(one, x), ut = _mm512_sub_ps(u, one);
    __m512 ul = _mm512_add_ps(_mm512_sub_ps(one, _mm512_sub_ps(u, ut)), _mm512_sub_ps(x, ut));
    __m512 ax = _mm512_abs_ps(x);
    __m512i e;
    __m512 k, ch, cl, invc, z = log_split16(_mm512_castps_si512(u), tab, &k, &e, &ch, &cl, &invc);
    LOG_TAB_PAIR(__m512, _mm512, 512, _mm512_mask_mov_ps,
                 _mm512_cmp_ps_mask(ax, _mm512_set1_ps(0x1p-5f), _CMP_LT_OQ), x, zero);
    LOG_JOIN(__m512, _mm512);
    __m512 r = plain ? r_ : log_ok16(u, r_, log_special16(u));
    return _mm512_mask_mov_ps(r, _mm512_cmp_ps_mask(ax, _mm512_set1_ps(0x1p-25f), _CMP_LT_OQ), x);
}

/* The log1p op over n contiguous floats, 16 at a time (a masked last step); a
 * vector is plain when every lane is at least LO (LOCMP) and below inf. */
#define LOG_KERNEL16(NAME, LANES, LO, LOCMP, CONSTS) \
    static T512 void NAME(const float *x, float *y, int64_t n) { \
        const __m512 tab[3] = {_mm512_broadcast_f32x8(_mm256_loadu_ps(pn_log_tab[0])), \
                               _mm512_broadcast_f32x8(_mm256_loadu_ps(pn_log_tab[1])), \
                               _mm512_broadcast_f32x8(_mm256_loadu_ps(pn_log_tab[2]))}; \
        int64_t blk = pn_prefetch_blocksize(n); \
        for (int64_t b = 0; b < n; b += blk) { \
            int64_t e = n - b < blk ? n : b + blk, i = b; \
            if (blk < n) pn_prefetch_block(x, e, n, sizeof *x); \
            for (; i + 16 <= e; i += 16) { \
                __m512 v = _mm512_loadu_ps(x + i); \
                __mmask16 plain = _mm512_cmp_ps_mask(v, _mm512_set1_ps(LO), LOCMP) & \
                                  _mm512_cmp_ps_mask(v, _mm512_set1_ps(INFINITY), _CMP_LT_OQ); \
                _mm512_storeu_ps(y + i, plain == 0xffff ? LANES(v, tab, 1, CONSTS) \
                                                        : LANES(v, tab, 0, CONSTS)); \
            } \
            if (i < e) { \
                __mmask16 m = (__mmask16)((1u << (e - i)) - 1); \
                _mm512_mask_storeu_ps(y + i, m, \
                                      LANES(_mm512_maskz_loadu_ps(m, x + i), tab, 0, CONSTS)); \
            } \
        } \
    }
LOG_KERNEL16(log1p_f32_avx512, log1p_tab16, -1.0f, _CMP_GT_OQ, PN_LOG_E)

static T256 __m256 log_special8(__m256 x) {
    __m256 zero = _mm256_setzero_ps();
    __m256 sp = _mm256_blendv_ps(x, _mm256_set1_ps(NAN), _mm256_cmp_ps(x, zero, _CMP_LT_OQ));
    return _mm256_blendv_ps(sp, _mm256_set1_ps(-INFINITY), _mm256_cmp_ps(x, zero, _CMP_EQ_OQ));
}
static T256 __m256 log_ok8(__m256 x, __m256 r, __m256 special) {
    __m256 ok = _mm256_and_ps(_mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GT_OQ),
                              _mm256_cmp_ps(x, _mm256_set1_ps(INFINITY), _CMP_LT_OQ));
    return _mm256_blendv_ps(special, r, ok);
}

/* log_split16 over 8 lanes: each table in one register, vpermps on the low 3
 * bits of (b - off) >> 20. */
static ALWAYS_INLINE T256 __m256 log_split8(__m256i b, __m256 *k, __m256i *e, __m256 *ch,
                                            __m256 *cl, __m256 *invc) {
    __m256i j = _mm256_srli_epi32(_mm256_sub_epi32(b, _mm256_set1_epi32(PN_LOG_TAB_OFF)), 20);
    *e = _mm256_srli_epi32(_mm256_add_epi32(b, _mm256_set1_epi32(0x3f800000 - PN_LOG_TAB_OFF)), 23);
    __m256i ki = _mm256_sub_epi32(*e, _mm256_set1_epi32(127));
    *k = _mm256_cvtepi32_ps(ki);
    *invc = _mm256_permutevar8x32_ps(_mm256_loadu_ps(pn_log_tab[0]), j);
    *ch = _mm256_permutevar8x32_ps(_mm256_loadu_ps(pn_log_tab[1]), j);
    *cl = _mm256_permutevar8x32_ps(_mm256_loadu_ps(pn_log_tab[2]), j);
    return _mm256_castsi256_ps(_mm256_sub_epi32(b, _mm256_slli_epi32(ki, 23)));
}

/* pn_log32_base over 8 lanes; plain: every lane is a normal positive float, so
 * that the subnormals' scaling and the special values can be left out. */
static ALWAYS_INLINE T256 __m256 log32_8(__m256 x, int plain, int row, float l2hi, float l2lo,
                                         float ic_hi, float ic_lo) {
    __m256 tiny = _mm256_cmp_ps(x, _mm256_set1_ps(0x1p-126f), _CMP_LT_OQ);
    __m256i b = _mm256_castps_si256(
        plain ? x : _mm256_blendv_ps(x, _mm256_mul_ps(x, _mm256_set1_ps(0x1p23f)), tiny));
    __m256i ei =
        _mm256_sub_epi32(_mm256_and_si256(_mm256_srli_epi32(b, 23), _mm256_set1_epi32(0xff)),
                         _mm256_set1_epi32(127));
    __m256 e = _mm256_cvtepi32_ps(ei);
    e = plain ? e : _mm256_blendv_ps(e, _mm256_sub_ps(e, _mm256_set1_ps(23.0f)), tiny);
    __m256 z = _mm256_castsi256_ps(_mm256_or_si256(_mm256_and_si256(b, _mm256_set1_epi32(0x7fffff)),
                                                   _mm256_set1_epi32(0x3f800000)));
    __m256i j = _mm256_srli_epi32(b, 18);
    __m256 r = _mm256_fmadd_ps(z, exp_lookup8(pn_log32_tab[0], j), _mm256_set1_ps(-1.0f));
    __m256 H = _mm256_fmadd_ps(e, _mm256_set1_ps(l2hi), exp_lookup8(pn_log32_tab[row], j));
    __m256 tlo = exp_lookup8(pn_log32_tab[row + 1], j);
    LOG32_SUM(__m256, _mm256);
    return plain ? y_ : log_ok8(x, y_, log_special8(x));
}

static ALWAYS_INLINE T256 __m256 log1p_tab8(__m256 x, int plain, float kc_hi, float kc_lo,
                                            float ic_hi, float ic_lo) {
    (void)ic_hi, (void)ic_lo;
    const __m256 one = _mm256_set1_ps(1.0f), zero = _mm256_setzero_ps();
    __m256 u = _mm256_add_ps(one, x), ut = _mm256_sub_ps(u, one);
    __m256 ul = _mm256_add_ps(_mm256_sub_ps(one, _mm256_sub_ps(u, ut)), _mm256_sub_ps(x, ut));
    __m256 ax = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), x);
    __m256i e;
    __m256 k, ch, cl, invc, z = log_split8(_mm256_castps_si256(u), &k, &e, &ch, &cl, &invc);
    LOG_TAB_PAIR(__m256, _mm256, 256, MOV8, _mm256_cmp_ps(ax, _mm256_set1_ps(0x1p-5f), _CMP_LT_OQ),
                 x, zero);
    LOG_JOIN(__m256, _mm256);
    __m256 r = plain ? r_ : log_ok8(u, r_, log_special8(u));
    return _mm256_blendv_ps(r, x, _mm256_cmp_ps(ax, _mm256_set1_ps(0x1p-25f), _CMP_LT_OQ));
}

/* The log ops over n contiguous floats, 8 at a time (a masked last step). */
#define LOG_KERNEL8(NAME, LANES, LO, LOCMP, CONSTS) \
    static T256 void NAME(const float *x, float *y, int64_t n) { \
        const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7); \
        int64_t blk = pn_prefetch_blocksize(n); \
        for (int64_t b = 0; b < n; b += blk) { \
            int64_t e = n - b < blk ? n : b + blk, i = b; \
            if (blk < n) pn_prefetch_block(x, e, n, sizeof *x); \
            for (; i + 8 <= e; i += 8) { \
                __m256 v = _mm256_loadu_ps(x + i); \
                __m256 plain = \
                    _mm256_and_ps(_mm256_cmp_ps(v, _mm256_set1_ps(LO), LOCMP), \
                                  _mm256_cmp_ps(v, _mm256_set1_ps(INFINITY), _CMP_LT_OQ)); \
                _mm256_storeu_ps(y + i, _mm256_movemask_ps(plain) == 0xff ? LANES(v, 1, CONSTS) \
                                                                          : LANES(v, 0, CONSTS)); \
            } \
            if (i < e) { \
                __m256i m = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(e - i)), lane); \
                _mm256_maskstore_ps(y + i, m, LANES(_mm256_maskload_ps(x + i, m), 0, CONSTS)); \
            } \
        } \
    }
LOG_KERNEL8(log_f32_avx2, log32_8, 0x1p-126f, _CMP_GE_OQ, PN_LOG32_E)
LOG_KERNEL8(log2_f32_avx2, log32_8, 0x1p-126f, _CMP_GE_OQ, PN_LOG32_2)
LOG_KERNEL8(log10_f32_avx2, log32_8, 0x1p-126f, _CMP_GE_OQ, PN_LOG32_10)
LOG_KERNEL8(log1p_f32_avx2, log1p_tab8, -1.0f, _CMP_GT_OQ, PN_LOG_E)
/* softplus and logsigmoid (see pn_softplus_f32_kernel): the threshold, then for
 * logsigmoid the sign and +0 for 0; v is x, negated for logsigmoid. */
#define SOFTPLUS_SELECT(P, CMP, MOV) \
    s = MOV(s, CMP(v, P##_set1_ps(xt), _CMP_GE_OQ), v); \
    if (neg) { \
        s = P##_xor_ps(s, P##_set1_ps(-0.0f)); \
        s = MOV(s, CMP(s, P##_setzero_ps(), _CMP_EQ_OQ), P##_setzero_ps()); \
    }

/* pn_softplus_poly's last steps over the lanes (V, P: the vector type, the
 * intrinsic prefix): c0 + u q with the roundings of u q and of the sum added back. */
#define SOFTPLUS_JOIN(V, P, c0, c0l) \
    V m = P##_mul_ps(u, q), me = P##_fmsub_ps(u, q, m); \
    V t = P##_add_ps(c0, m), te = P##_add_ps(P##_sub_ps(c0, t), m); \
    return P##_add_ps(t, P##_add_ps(te, P##_add_ps(me, c0l)))
/* pn_softplus_far over the lanes, e = exp(-|x|) given. */
#define SOFTPLUS_FAR(V, P, GT0, BLEND) \
    V w = P##_mul_ps(e, P##_fmadd_ps(e, P##_set1_ps(-1.0f / 3), P##_set1_ps(0.5f))); \
    V pos = P##_fmadd_ps(e, P##_fmadd_ps(e, P##_set1_ps(-0.5f), P##_set1_ps(1.0f)), x); \
    return BLEND(P##_fnmadd_ps(e, w, e), pos, GT0)

/* pn_softplus_poly over 16 lanes: each coefficient by one permute of its 32
 * values (tab[2k], tab[2k + 1]: row k's halves). min and max give 8 for NaN, as
 * pn_softplus_poly's tests. */
static ALWAYS_INLINE T512 __m512 softplus_poly16(__m512 x, const __m512 *tab) {
    __m512 a = _mm512_max_ps(_mm512_min_ps(x, _mm512_set1_ps(8.0f)), _mm512_set1_ps(-8.0f));
    __m512i j =
        _mm512_cvttps_epi32(_mm512_fmadd_ps(a, _mm512_set1_ps(2.0f), _mm512_set1_ps(16.0f)));
    j = _mm512_min_epi32(j, _mm512_set1_epi32(31));
    __m512 u = _mm512_sub_ps(
        a, _mm512_fmadd_ps(_mm512_cvtepi32_ps(j), _mm512_set1_ps(0.5f), _mm512_set1_ps(-8.0f)));
    __m512 q = _mm512_permutex2var_ps(tab[16], j, tab[17]);
    for (int k = 7; k >= 2; k--)
        q = _mm512_fmadd_ps(q, u, _mm512_permutex2var_ps(tab[2 * k], j, tab[2 * k + 1]));
    SOFTPLUS_JOIN(__m512, _mm512, _mm512_permutex2var_ps(tab[0], j, tab[1]),
                  _mm512_permutex2var_ps(tab[2], j, tab[3]));
}
#define BLEND16(a, b, gt0) _mm512_mask_blend_ps(gt0, a, b)
static ALWAYS_INLINE T512 __m512 softplus_far16(__m512 x, const __m512 *hi2, const __m512 *lo2) {
    __m512 e = exp_tab16(_mm512_or_ps(x, _mm512_set1_ps(-0.0f)), hi2, lo2);
    __mmask16 gt0 = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_GT_OQ);
    SOFTPLUS_FAR(__m512, _mm512, gt0, BLEND16);
}
#undef BLEND16

static T512 void softplus_f32_avx512(const float *x, float *y, int64_t n, float xt, int neg) {
    const __m512 hi2[2] = {_mm512_loadu_ps(pn_exp2_32[0]), _mm512_loadu_ps(pn_exp2_32[0] + 16)};
    const __m512 lo2[2] = {_mm512_loadu_ps(pn_exp2_32[1]), _mm512_loadu_ps(pn_exp2_32[1] + 16)};
    __m512 tab[18];
    for (int k = 0; k < 9; k++)
        tab[2 * k] = _mm512_loadu_ps(pn_softplus32[k]),
                tab[2 * k + 1] = _mm512_loadu_ps(pn_softplus32[k] + 16);
    const __m512 sign = _mm512_set1_ps(neg ? -0.0f : 0.0f);
    int64_t blk = pn_prefetch_blocksize(n);
    for (int64_t b = 0; b < n; b += blk) {
        int64_t e = n - b < blk ? n : b + blk;
        if (blk < n) pn_prefetch_block(x, e, n, sizeof *x);
        for (int64_t i = b; i < e; i += 16) {
            __mmask16 m = e - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (e - i)) - 1);
            __m512 v = _mm512_xor_ps(_mm512_maskz_loadu_ps(m, x + i), sign);
            __m512 s = softplus_poly16(v, tab);
            __mmask16 far = _mm512_cmp_ps_mask(
                _mm512_abs_ps(v), _mm512_set1_ps(PN_SOFTPLUS_TAB_MAX), _CMP_NLT_UQ); /* NaN too */
            if (far) s = _mm512_mask_mov_ps(s, far, softplus_far16(v, hi2, lo2));
            SOFTPLUS_SELECT(_mm512, _mm512_cmp_ps_mask, _mm512_mask_mov_ps);
            _mm512_mask_storeu_ps(y + i, m, s);
        }
    }
}

/* pn_softplus_poly over 8 lanes: each coefficient by four permutes and two levels
 * of blends (exp_lookup8). */
static ALWAYS_INLINE T256 __m256 softplus_poly8(__m256 x) {
    __m256 a = _mm256_max_ps(_mm256_min_ps(x, _mm256_set1_ps(8.0f)), _mm256_set1_ps(-8.0f));
    __m256i j =
        _mm256_cvttps_epi32(_mm256_fmadd_ps(a, _mm256_set1_ps(2.0f), _mm256_set1_ps(16.0f)));
    j = _mm256_min_epi32(j, _mm256_set1_epi32(31));
    __m256 u = _mm256_sub_ps(
        a, _mm256_fmadd_ps(_mm256_cvtepi32_ps(j), _mm256_set1_ps(0.5f), _mm256_set1_ps(-8.0f)));
    __m256 q = exp_lookup8(pn_softplus32[8], j);
    for (int k = 7; k >= 2; k--) q = _mm256_fmadd_ps(q, u, exp_lookup8(pn_softplus32[k], j));
    SOFTPLUS_JOIN(__m256, _mm256, exp_lookup8(pn_softplus32[0], j),
                  exp_lookup8(pn_softplus32[1], j));
}
#define BLEND8(a, b, gt0) _mm256_blendv_ps(a, b, gt0)
static ALWAYS_INLINE T256 __m256 softplus_far8(__m256 x) {
    __m256 e = exp_tab8(_mm256_or_ps(x, _mm256_set1_ps(-0.0f)));
    __m256 gt0 = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GT_OQ);
    SOFTPLUS_FAR(__m256, _mm256, gt0, BLEND8);
}
#undef BLEND8
#undef SOFTPLUS_JOIN
#undef SOFTPLUS_FAR

static T256 void softplus_f32_avx2(const float *x, float *y, int64_t n, float xt, int neg) {
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256 sign = _mm256_set1_ps(neg ? -0.0f : 0.0f);
    int64_t blk = pn_prefetch_blocksize(n);
    for (int64_t b = 0; b < n; b += blk) {
        int64_t e = n - b < blk ? n : b + blk;
        if (blk < n) pn_prefetch_block(x, e, n, sizeof *x);
        for (int64_t i = b; i < e; i += 8) {
            __m256i m = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(e - i < 8 ? e - i : 8)), lane);
            __m256 v = _mm256_xor_ps(_mm256_maskload_ps(x + i, m), sign);
            __m256 s = softplus_poly8(v);
            __m256 far = _mm256_cmp_ps(_mm256_andnot_ps(_mm256_set1_ps(-0.0f), v),
                                       _mm256_set1_ps(PN_SOFTPLUS_TAB_MAX), _CMP_NLT_UQ);
            if (_mm256_movemask_ps(far)) s = _mm256_blendv_ps(s, softplus_far8(v), far);
            SOFTPLUS_SELECT(_mm256, _mm256_cmp_ps, MOV8);
            _mm256_maskstore_ps(y + i, m, s);
        }
    }
}
/* pn_logistic_pairs_of over the lanes (V, P: the vector type, the intrinsic
 * prefix), from ep + elo and its scaled eh + el: q returned, *sh, *sl, *blo. */
#define LOGISTIC_PAIRS_OF(V, P) \
    V uh = P##_add_ps(one, eh); \
    V ul = P##_add_ps(P##_add_ps(P##_sub_ps(one, uh), eh), el); \
    V q = P##_div_ps(one, uh); \
    V rem = P##_fnmadd_ps(q, ul, P##_fnmadd_ps(q, uh, one)); \
    *sh = P##_mul_ps(ep, q); \
    *sl = P##_add_ps(P##_fmsub_ps(ep, q, *sh), \
                     P##_fmadd_ps(ep, P##_mul_ps(q, rem), P##_mul_ps(elo, q))); \
    *blo = P##_mul_ps(q, rem); \
    return q

/* pn_logistic_pairs_tab over 16 lanes, x given as -|x|: q returned, *blo, *sh, *sl
 * (unscaled, as there), and k (as a float) through *kf: 2^n = 2^floor(k / 32),
 * by which vscalefps scales with one rounding, as the two halves' products. */
static T512 __m512 logistic_pairs16(__m512 y, const __m512 *hi2, const __m512 *lo2, __m512 *blo,
                                    __m512 *sh, __m512 *sl, __m512 *kf) {
    const __m512 one = _mm512_set1_ps(1.0f);
    __m512 lo, hi = exp_tab_pair16(y, hi2, lo2, &lo, kf);
    __m512 ep = _mm512_add_ps(hi, lo), elo = _mm512_add_ps(_mm512_sub_ps(hi, ep), lo);
    __m512 nn = _mm512_mul_ps(*kf, _mm512_set1_ps(1.0f / 32));
    __m512 eh = _mm512_scalef_ps(ep, nn), el = _mm512_scalef_ps(elo, nn);
    LOGISTIC_PAIRS_OF(__m512, _mm512);
}

/* pn_silu_gradf_tab over 16 lanes (g, x). */
static ALWAYS_INLINE T512 __m512 silu_grad16(__m512 g, __m512 x, const __m512 *hi2,
                                             const __m512 *lo2) {
    __m512 blo, sh, sl, kf, y = _mm512_or_ps(x, _mm512_set1_ps(-0.0f));
    __m512 q = logistic_pairs16(y, hi2, lo2, &blo, &sh, &sl, &kf);
    __m512 nn = _mm512_mul_ps(kf, _mm512_set1_ps(1.0f / 32));
    sh = _mm512_scalef_ps(sh, nn), sl = _mm512_scalef_ps(sl, nn);
    __mmask16 pos = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_GE_OQ);
    __m512 s_hi = _mm512_mask_blend_ps(pos, sh, q), s_lo = _mm512_mask_blend_ps(pos, sl, blo);
    __m512 t_hi = _mm512_mask_blend_ps(pos, q, sh), t_lo = _mm512_mask_blend_ps(pos, blo, sl);
    __m512 w =
        _mm512_add_ps(_mm512_fmadd_ps(x, t_hi, _mm512_set1_ps(1.0f)), _mm512_mul_ps(x, t_lo));
    return _mm512_mul_ps(g, _mm512_fmadd_ps(s_hi, w, _mm512_mul_ps(s_lo, w)));
}

/* pn_g_sigmoidf_tab over 16 lanes: g times the pair, then 2^n in pn_exp2_halves' two
 * halves, n = floor(k / 32) taken as the scalar takes it (the product by the first
 * half can round where g is tiny, so one vscalefps would not give the same bits). */
static T512 __m512 g_sigmoid16(__m512 g, __m512 x, const __m512 *hi2, const __m512 *lo2) {
    __m512 blo, sh, sl, kf, y = _mm512_or_ps(x, _mm512_set1_ps(-0.0f));
    __m512 q = logistic_pairs16(y, hi2, lo2, &blo, &sh, &sl, &kf);
    __m512i k = _mm512_add_epi32(_mm512_cvtps_epi32(kf), _mm512_set1_epi32(8192));
    __m512i n = _mm512_sub_epi32(_mm512_srli_epi32(k, 5), _mm512_set1_epi32(256));
    __m512i n1 = _mm512_srai_epi32(n, 1), n2 = _mm512_sub_epi32(n, n1), b = _mm512_set1_epi32(127);
    __mmask16 pos = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_GE_OQ);
    const __m512 one = _mm512_set1_ps(1.0f);
    __m512 s1 = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(n1, b), 23));
    __m512 s2 = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(n2, b), 23));
    s1 = _mm512_mask_blend_ps(pos, s1, one), s2 = _mm512_mask_blend_ps(pos, s2, one);
    __m512 hi = _mm512_mask_blend_ps(pos, sh, q), lo = _mm512_mask_blend_ps(pos, sl, blo);
    __m512 r = _mm512_fmadd_ps(g, hi, _mm512_mul_ps(g, lo));
    return _mm512_mul_ps(_mm512_mul_ps(r, s1), s2);
}

/* pn_logistic_pairs_tab over 8 lanes (x given as -|x|), 2^n through *s1, *s2. */
static T256 __m256 logistic_pairs8(__m256 y, __m256 *blo, __m256 *sh, __m256 *sl, __m256 *s1,
                                   __m256 *s2) {
    const __m256 one = _mm256_set1_ps(1.0f);
    __m256 lo;
    __m256i nn;
    __m256 hi = exp_tab_pair8(y, &lo, &nn);
    __m256 ep = _mm256_add_ps(hi, lo), elo = _mm256_add_ps(_mm256_sub_ps(hi, ep), lo);
    exp2_halves8(nn, s1, s2);
    __m256 eh = _mm256_mul_ps(_mm256_mul_ps(ep, *s1), *s2);
    __m256 el = _mm256_mul_ps(_mm256_mul_ps(elo, *s1), *s2);
    LOGISTIC_PAIRS_OF(__m256, _mm256);
}
#undef LOGISTIC_PAIRS_OF

/* pn_silu_gradf_tab over 8 lanes. */
static T256 __m256 silu_grad8(__m256 g, __m256 x) {
    __m256 blo, sh, sl, s1, s2, y = _mm256_or_ps(x, _mm256_set1_ps(-0.0f));
    __m256 q = logistic_pairs8(y, &blo, &sh, &sl, &s1, &s2);
    sh = _mm256_mul_ps(_mm256_mul_ps(sh, s1), s2), sl = _mm256_mul_ps(_mm256_mul_ps(sl, s1), s2);
    __m256 pos = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GE_OQ);
    __m256 s_hi = _mm256_blendv_ps(sh, q, pos), s_lo = _mm256_blendv_ps(sl, blo, pos);
    __m256 t_hi = _mm256_blendv_ps(q, sh, pos), t_lo = _mm256_blendv_ps(blo, sl, pos);
    __m256 w =
        _mm256_add_ps(_mm256_fmadd_ps(x, t_hi, _mm256_set1_ps(1.0f)), _mm256_mul_ps(x, t_lo));
    return _mm256_mul_ps(g, _mm256_fmadd_ps(s_hi, w, _mm256_mul_ps(s_lo, w)));
}

/* pn_g_sigmoidf_tab over 8 lanes. */
static T256 __m256 g_sigmoid8(__m256 g, __m256 x) {
    __m256 blo, sh, sl, s1, s2, y = _mm256_or_ps(x, _mm256_set1_ps(-0.0f));
    __m256 q = logistic_pairs8(y, &blo, &sh, &sl, &s1, &s2);
    __m256 pos = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GE_OQ), one = _mm256_set1_ps(1.0f);
    s1 = _mm256_blendv_ps(s1, one, pos), s2 = _mm256_blendv_ps(s2, one, pos);
    __m256 hi = _mm256_blendv_ps(sh, q, pos), lo = _mm256_blendv_ps(sl, blo, pos);
    __m256 r = _mm256_fmadd_ps(g, hi, _mm256_mul_ps(g, lo));
    return _mm256_mul_ps(_mm256_mul_ps(r, s1), s2);
}

/* The gradients of softplus (beta 1) and logsigmoid over n contiguous (g, x)
 * (pn_softplus_grad_f32): v = x, or -x for logsigmoid (neg); dx = g where v >= xt
 * (softplus's threshold; NaN for logsigmoid), else g sigmoid(v). Returns whether
 * every element holds (v >= xt or pn_g_sigmoid_holds). */
static T512 int softplus_grad_f32_avx512(const float *g, const float *x, float *dx, int64_t n,
                                         float xt, int neg) {
    const __m512 hi2[2] = {_mm512_loadu_ps(pn_exp2_32[0]), _mm512_loadu_ps(pn_exp2_32[0] + 16)};
    const __m512 lo2[2] = {_mm512_loadu_ps(pn_exp2_32[1]), _mm512_loadu_ps(pn_exp2_32[1] + 16)};
    const __m512 sign = _mm512_set1_ps(neg ? -0.0f : 0.0f), t = _mm512_set1_ps(xt);
    const __m512 xmin = _mm512_set1_ps(-104.0f), gmax = _mm512_set1_ps(0x1p126f);
    __mmask16 ok = 0xffff;
    for (int64_t i = 0; i < n; i += 16) {
        __mmask16 m = n - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - i)) - 1);
        __m512 v = _mm512_xor_ps(_mm512_maskz_loadu_ps(m, x + i), sign);
        __m512 gv = _mm512_maskz_loadu_ps(m, g + i);
        __mmask16 lin = _mm512_cmp_ps_mask(v, t, _CMP_GE_OQ);
        ok &= lin | (_mm512_cmp_ps_mask(v, xmin, _CMP_GE_OQ) &
                     _mm512_cmp_ps_mask(_mm512_abs_ps(gv), gmax, _CMP_LE_OQ));
        __m512 r = _mm512_mask_mov_ps(g_sigmoid16(gv, v, hi2, lo2), lin, gv);
        _mm512_mask_storeu_ps(dx + i, m, r);
    }
    return ok == 0xffff;
}
static T256 int softplus_grad_f32_avx2(const float *g, const float *x, float *dx, int64_t n,
                                       float xt, int neg) {
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256 sign = _mm256_set1_ps(neg ? -0.0f : 0.0f), t = _mm256_set1_ps(xt);
    const __m256 xmin = _mm256_set1_ps(-104.0f), gmax = _mm256_set1_ps(0x1p126f);
    const __m256 absmask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    __m256 ok = _mm256_castsi256_ps(_mm256_set1_epi32(-1));
    for (int64_t i = 0; i < n; i += 8) {
        __m256i m = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(n - i < 8 ? n - i : 8)), lane);
        __m256 v = _mm256_xor_ps(_mm256_maskload_ps(x + i, m), sign);
        __m256 gv = _mm256_maskload_ps(g + i, m);
        __m256 lin = _mm256_cmp_ps(v, t, _CMP_GE_OQ);
        __m256 held = _mm256_and_ps(_mm256_cmp_ps(v, xmin, _CMP_GE_OQ),
                                    _mm256_cmp_ps(_mm256_and_ps(gv, absmask), gmax, _CMP_LE_OQ));
        ok = _mm256_and_ps(ok, _mm256_or_ps(lin, held));
        _mm256_maskstore_ps(dx + i, m, _mm256_blendv_ps(g_sigmoid8(gv, v), gv, lin));
    }
    return _mm256_movemask_ps(ok) == 0xff;
}

/* SiLU's gradient over n contiguous (g, x) (pn_silu_grad_f32), masked last steps;
 * returns pn_silu_grad_holds for every element (masked-off lanes are 0). */
static T512 int silu_grad_f32_avx512(const float *g, const float *x, float *dx, int64_t n) {
    const __m512 hi2[2] = {_mm512_loadu_ps(pn_exp2_32[0]), _mm512_loadu_ps(pn_exp2_32[0] + 16)};
    const __m512 lo2[2] = {_mm512_loadu_ps(pn_exp2_32[1]), _mm512_loadu_ps(pn_exp2_32[1] + 16)};
    const __m512 lo = _mm512_set1_ps(PN_SILU_MIN);
    __mmask16 ok = 0xffff;
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) { /* full vectors unmasked, as in silu_f32_avx512 */
        __m512 v = _mm512_loadu_ps(x + i);
        ok &= _mm512_cmp_ps_mask(v, lo, _CMP_GE_OQ);
        _mm512_storeu_ps(dx + i, silu_grad16(_mm512_loadu_ps(g + i), v, hi2, lo2));
    }
    if (i < n) {
        __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
        __m512 v = _mm512_maskz_loadu_ps(m, x + i);
        ok &= _mm512_cmp_ps_mask(v, lo, _CMP_GE_OQ);
        _mm512_mask_storeu_ps(dx + i, m, silu_grad16(_mm512_maskz_loadu_ps(m, g + i), v, hi2, lo2));
    }
    return ok == 0xffff;
}
static T256 int silu_grad_f32_avx2(const float *g, const float *x, float *dx, int64_t n) {
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256 lo = _mm256_set1_ps(PN_SILU_MIN);
    __m256 ok = _mm256_castsi256_ps(_mm256_set1_epi32(-1));
    for (int64_t i = 0; i < n; i += 8) {
        __m256i m = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(n - i < 8 ? n - i : 8)), lane);
        __m256 v = _mm256_maskload_ps(x + i, m);
        ok = _mm256_and_ps(ok, _mm256_cmp_ps(v, lo, _CMP_GE_OQ));
        _mm256_maskstore_ps(dx + i, m, silu_grad8(_mm256_maskload_ps(g + i, m), v));
    }
    return _mm256_movemask_ps(ok) == 0xff;
}

/* pn_gelu_poly over 16 lanes: each coefficient by one permute of its 16 values
 * (tab[k]). max(a, -4) gives -4 for NaN, as pn_gelu_poly's test. */
static T512 __m512 gelu_poly16(__m512 x, const __m512 tab[8]) {
    __m512 a = _mm512_or_ps(x, _mm512_set1_ps(-0.0f));
    a = _mm512_max_ps(a, _mm512_set1_ps(-4.0f));
    __m512i j =
        _mm512_cvttps_epi32(_mm512_fmadd_ps(a, _mm512_set1_ps(4.0f), _mm512_set1_ps(16.0f)));
    j = _mm512_min_epi32(j, _mm512_set1_epi32(15));
    __m512 aj =
        _mm512_fmadd_ps(_mm512_cvtepi32_ps(j), _mm512_set1_ps(0.25f), _mm512_set1_ps(-4.0f));
    __m512 u = _mm512_sub_ps(a, aj), p = _mm512_permutexvar_ps(j, tab[7]);
    for (int k = 6; k >= 0; k--) p = _mm512_fmadd_ps(p, u, _mm512_permutexvar_ps(j, tab[k]));
    return p;
}
/* pn_gelu_tab (v = x) and pn_gelu_grad_tab (v = g) over 16 lanes: v p where x <= 0,
 * v - v p where x > 0, p from tab (pn_gelu_phi16 or pn_gelu_dphi16). */
static T512 __m512 gelu_tab16(__m512 v, __m512 x, const __m512 tab[8]) {
    __m512 p = gelu_poly16(x, tab);
    __mmask16 pos = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_GT_OQ);
    return _mm512_mask_blend_ps(pos, _mm512_mul_ps(v, p), _mm512_fnmadd_ps(v, p, v));
}

/* pn_gelu_poly over 8 lanes: each coefficient by two permutes and a blend on bit 3
 * of the index (moved to the sign bit, which blendvps reads). */
static T256 __m256 gelu_lookup8(const float *table, __m256i j, __m256 b3) {
    __m256 q0 = _mm256_permutevar8x32_ps(_mm256_loadu_ps(table), j);
    return _mm256_blendv_ps(q0, _mm256_permutevar8x32_ps(_mm256_loadu_ps(table + 8), j), b3);
}
static T256 __m256 gelu_tab8(__m256 v, __m256 x, const float tab[8][16]) {
    __m256 a = _mm256_or_ps(x, _mm256_set1_ps(-0.0f));
    a = _mm256_max_ps(a, _mm256_set1_ps(-4.0f));
    __m256i j =
        _mm256_cvttps_epi32(_mm256_fmadd_ps(a, _mm256_set1_ps(4.0f), _mm256_set1_ps(16.0f)));
    j = _mm256_min_epi32(j, _mm256_set1_epi32(15));
    __m256 b3 = _mm256_castsi256_ps(_mm256_slli_epi32(j, 28));
    __m256 aj =
        _mm256_fmadd_ps(_mm256_cvtepi32_ps(j), _mm256_set1_ps(0.25f), _mm256_set1_ps(-4.0f));
    __m256 u = _mm256_sub_ps(a, aj), p = gelu_lookup8(tab[7], j, b3);
    for (int k = 6; k >= 0; k--) p = _mm256_fmadd_ps(p, u, gelu_lookup8(tab[k], j, b3));
    __m256 pos = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GT_OQ);
    return _mm256_blendv_ps(_mm256_mul_ps(v, p), _mm256_fnmadd_ps(v, p, v), pos);
}

/* GELU (g NULL: y = x Phi(x), pn_gelu_f32) or its gradient (y = g (Phi + x phi),
 * pn_gelu_grad_f32) over n contiguous floats in blocks of GELU_BLOCK: the table's
 * lanes for every element, and those out of its range (|x| >= 4, NaN) gathered with
 * their places, then computed by pn_phif (gelu_fallback) and put in place. Typical
 * inputs have few such elements; where all are, this costs both. */
static T512 void gelu_run_avx512(const float *g, const float *x, float *y, int64_t n) {
    __m512 tab[8];
    for (int k = 0; k < 8; k++) tab[k] = _mm512_loadu_ps(g ? pn_gelu_dphi16[k] : pn_gelu_phi16[k]);
    const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    float xb[GELU_BLOCK + 16];
    int32_t ib[GELU_BLOCK + 16];
    for (int64_t b = 0; b < n; b += GELU_BLOCK) {
        int64_t e = n - b < GELU_BLOCK ? n : b + GELU_BLOCK;
        int cnt = 0;
        for (int64_t i = b; i < e; i += 16) {
            __mmask16 m = e - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (e - i)) - 1);
            __m512 v = _mm512_maskz_loadu_ps(m, x + i);
            __m512 w = g ? _mm512_maskz_loadu_ps(m, g + i) : v;
            _mm512_mask_storeu_ps(y + i, m, gelu_tab16(w, v, tab));
            __mmask16 out =
                _mm512_mask_cmp_ps_mask(m, _mm512_abs_ps(v), _mm512_set1_ps(4.0f), _CMP_NLT_UQ);
            if (out) { /* compress in registers: the memory form is slow on some cores */
                __m512i at = _mm512_add_epi32(lane, _mm512_set1_epi32((int)(i - b)));
                _mm512_storeu_ps(xb + cnt, _mm512_maskz_compress_ps(out, v));
                _mm512_storeu_si512(ib + cnt, _mm512_maskz_compress_epi32(out, at));
                cnt += __builtin_popcount(out);
            }
        }
        if (cnt) gelu_fallback(g ? g + b : NULL, xb, ib, cnt, y + b);
    }
}
static T256 void gelu_run_avx2(const float *g, const float *x, float *y, int64_t n) {
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const float (*tab)[16] = g ? pn_gelu_dphi16 : pn_gelu_phi16;
    float xb[GELU_BLOCK];
    int32_t ib[GELU_BLOCK];
    for (int64_t b = 0; b < n; b += GELU_BLOCK) {
        int64_t e = n - b < GELU_BLOCK ? n : b + GELU_BLOCK;
        int cnt = 0;
        for (int64_t i = b; i < e; i += 8) {
            __m256i m = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(e - i < 8 ? e - i : 8)), lane);
            __m256 v = _mm256_maskload_ps(x + i, m);
            __m256 w = g ? _mm256_maskload_ps(g + i, m) : v;
            __m256 far = _mm256_cmp_ps(_mm256_andnot_ps(_mm256_set1_ps(-0.0f), v),
                                       _mm256_set1_ps(4.0f), _CMP_NLT_UQ);
            unsigned out = (unsigned)_mm256_movemask_ps(_mm256_and_ps(far, _mm256_castsi256_ps(m)));
            for (; out; out &= out - 1) { /* x read before y is stored: y may be x */
                int l = __builtin_ctz(out);
                xb[cnt] = x[i + l], ib[cnt++] = (int32_t)(i - b + l);
            }
            _mm256_maskstore_ps(y + i, m, gelu_tab8(w, v, tab));
        }
        if (cnt) gelu_fallback(g ? g + b : NULL, xb, ib, cnt, y + b);
    }
}
static T512 void gelu_f32_avx512(const float *x, float *y, int64_t n) {
    gelu_run_avx512(NULL, x, y, n);
}
static T256 void gelu_f32_avx2(const float *x, float *y, int64_t n) {
    gelu_run_avx2(NULL, x, y, n);
}
static T512 void gelu_grad_f32_avx512(const float *g, const float *x, float *dx, int64_t n) {
    gelu_run_avx512(g, x, dx, n);
}
static T256 void gelu_grad_f32_avx2(const float *g, const float *x, float *dx, int64_t n) {
    gelu_run_avx2(g, x, dx, n);
}

/* The first `left` of 16 lanes (all for left >= 16, none for left <= 0). */
static ALWAYS_INLINE T512 __mmask16 lanes_mask16(int64_t left) {
    return left >= 16 ? (__mmask16)0xffff : left <= 0 ? 0 : (__mmask16)((1u << left) - 1);
}

/* softmax_row_finish's fold of the 16 lane sums, in vector registers (the same double
 * additions in the same order): d[k] = lane k + lane k + 8, then halves added. */
static ALWAYS_INLINE T512 double lanes_fold16(__m512 part) {
    __m512d d = _mm512_add_pd(
        _mm512_cvtps_pd(_mm512_castps512_ps256(part)),
        _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(part), 1))));
    __m256d d4 = _mm256_add_pd(_mm512_castpd512_pd256(d), _mm512_extractf64x4_pd(d, 1));
    __m128d d2 = _mm_add_pd(_mm256_castpd256_pd128(d4), _mm256_extractf128_pd(d4, 1));
    return _mm_cvtsd_f64(d2) + _mm_cvtsd_f64(_mm_unpackhi_pd(d2, d2));
}

/* pn_softmax_row_f32 over 16 lanes for rows of at most 16 NV keys (an attention's rows
 * are 1..64 keys): the scaled scores and their exps stay in NV registers from the one
 * load to the one store. Passes through memory cost more here than the arithmetic: a
 * masked store followed by a load of the same lines waits for the store to complete
 * (no store forwarding), 1.5-2x the time of a 16..64-key row. */
static ALWAYS_INLINE T512 double softmax_row_regs(float *s, int64_t n, float sc, const int NV) {
    const __m512 hi2[2] = {_mm512_loadu_ps(pn_exp2_32[0]), _mm512_loadu_ps(pn_exp2_32[0] + 16)};
    const __m512 lo2[2] = {_mm512_loadu_ps(pn_exp2_32[1]), _mm512_loadu_ps(pn_exp2_32[1] + 16)};
    __m512 v[4], vm = _mm512_set1_ps(-INFINITY), part = _mm512_setzero_ps();
    __mmask16 k[4];
    for (int q = 0; q < NV; q++) {
        k[q] = lanes_mask16(n - 16 * q);
        v[q] = _mm512_mul_ps(_mm512_maskz_loadu_ps(k[q], s + 16 * q), _mm512_set1_ps(sc));
        vm = _mm512_mask_max_ps(vm, k[q], v[q], vm); /* v > m ? v : m: a NaN v is passed over */
    }
    float m = _mm512_reduce_max_ps(vm);
    if (m == -INFINITY) return softmax_row_zero(s, n);
    for (int q = 0; q < NV; q++) {
        v[q] = exp_tab16(_mm512_sub_ps(v[q], _mm512_set1_ps(m)), hi2, lo2);
        part = _mm512_mask_add_ps(part, k[q], part, v[q]);
    }
    double sum = lanes_fold16(part);
    __m512 inv = _mm512_set1_ps((float)(1.0 / sum));
    for (int q = 0; q < NV; q++) _mm512_mask_storeu_ps(s + 16 * q, k[q], _mm512_mul_ps(v[q], inv));
    return (double)m + log(sum);
}

/* pn_softmax_row_f32 (elementwise.h) over 16 lanes: the lanes are the 16 partial
 * sums (lane k sums the elements j = k mod 16; masked tails add 0), folded as the
 * portable loop's (softmax_row_finish). Rows of up to 64 keys in registers; longer
 * rows in three passes over memory. */
static T512 double softmax_row_f32_avx512(float *s, int64_t n, float sc) {
    if (n <= 16) return softmax_row_regs(s, n, sc, 1);
    if (n <= 32) return softmax_row_regs(s, n, sc, 2);
    if (n <= 48) return softmax_row_regs(s, n, sc, 3);
    if (n <= 64) return softmax_row_regs(s, n, sc, 4);
    const __m512 hi2[2] = {_mm512_loadu_ps(pn_exp2_32[0]), _mm512_loadu_ps(pn_exp2_32[0] + 16)};
    const __m512 lo2[2] = {_mm512_loadu_ps(pn_exp2_32[1]), _mm512_loadu_ps(pn_exp2_32[1] + 16)};
    const __m512 vsc = _mm512_set1_ps(sc);
    __m512 vm = _mm512_set1_ps(-INFINITY), part = _mm512_setzero_ps();
    for (int64_t i = 0; i < n; i += 16) {
        __mmask16 k = lanes_mask16(n - i);
        __m512 v = _mm512_mul_ps(_mm512_maskz_loadu_ps(k, s + i), vsc);
        _mm512_mask_storeu_ps(s + i, k, v);
        vm = _mm512_mask_max_ps(vm, k, v, vm);
    }
    float m = _mm512_reduce_max_ps(vm);
    if (m == -INFINITY) return softmax_row_zero(s, n);
    const __m512 c = _mm512_set1_ps(m);
    for (int64_t i = 0; i < n; i += 16) {
        __mmask16 k = lanes_mask16(n - i);
        __m512 e = exp_tab16(_mm512_sub_ps(_mm512_maskz_loadu_ps(k, s + i), c), hi2, lo2);
        _mm512_mask_storeu_ps(s + i, k, e);
        part = _mm512_mask_add_ps(part, k, part, e);
    }
    double sum = lanes_fold16(part);
    __m512 inv = _mm512_set1_ps((float)(1.0 / sum));
    for (int64_t i = 0; i < n; i += 16) {
        __mmask16 k = lanes_mask16(n - i);
        _mm512_mask_storeu_ps(s + i, k, _mm512_mul_ps(_mm512_maskz_loadu_ps(k, s + i), inv));
    }
    return (double)m + log(sum);
}
/* softmax_row_regs on four rows at once (row r: s[r], n[r] <= 16 NV keys, its result in
 * lse[r]), each phase over the four before the next: one row is a chain of ~100 cycles
 * of latency (max, exp, the fold, the division) and little work, and the core overlaps
 * the four chains. Each row's arithmetic is softmax_row_regs', to the bit. */
static ALWAYS_INLINE T512 void softmax_4rows_regs(float *const *s, const int64_t *n, float sc,
                                                  double *lse, const int NV) {
    const __m512 hi2[2] = {_mm512_loadu_ps(pn_exp2_32[0]), _mm512_loadu_ps(pn_exp2_32[0] + 16)};
    const __m512 lo2[2] = {_mm512_loadu_ps(pn_exp2_32[1]), _mm512_loadu_ps(pn_exp2_32[1] + 16)};
    __m512 v[4][4], part[4];
    __mmask16 k[4][4];
    float m[4];
    double sum[4];
    for (int r = 0; r < 4; r++) {
        __m512 vm = _mm512_set1_ps(-INFINITY);
        for (int q = 0; q < NV; q++) {
            k[r][q] = lanes_mask16(n[r] - 16 * q);
            v[r][q] =
                _mm512_mul_ps(_mm512_maskz_loadu_ps(k[r][q], s[r] + 16 * q), _mm512_set1_ps(sc));
            vm = _mm512_mask_max_ps(vm, k[r][q], v[r][q], vm);
        }
        m[r] = _mm512_reduce_max_ps(vm);
    }
    for (int r = 0; r < 4; r++) {
        part[r] = _mm512_setzero_ps();
        for (int q = 0; q < NV; q++) {
            v[r][q] = exp_tab16(_mm512_sub_ps(v[r][q], _mm512_set1_ps(m[r])), hi2, lo2);
            part[r] = _mm512_mask_add_ps(part[r], k[r][q], part[r], v[r][q]);
        }
    }
    for (int r = 0; r < 4; r++) sum[r] = lanes_fold16(part[r]);
    for (int r = 0; r < 4; r++) {
        if (m[r] == -INFINITY) { /* every key -inf */
            lse[r] = softmax_row_zero(s[r], n[r]);
            continue;
        }
        __m512 inv = _mm512_set1_ps((float)(1.0 / sum[r]));
        for (int q = 0; q < NV; q++)
            _mm512_mask_storeu_ps(s[r] + 16 * q, k[r][q], _mm512_mul_ps(v[r][q], inv));
    }
    for (int r = 0; r < 4; r++)
        if (m[r] != -INFINITY) lse[r] = (double)m[r] + log(sum[r]);
}

/* pn_softmax_rows_f32 over 16 lanes: rows of up to 64 keys four at a time. */
static T512 void softmax_rows_f32_avx512(float *s, int64_t ld, int64_t rows, const int64_t *len,
                                         float sc, double *lse) {
    int64_t i = 0;
    for (; i + 4 <= rows; i += 4) {
        int64_t most = 0;
        for (int r = 0; r < 4; r++) most = len[i + r] > most ? len[i + r] : most;
        if (most > 64) break;
        float *p[4] = {s + i * ld, s + (i + 1) * ld, s + (i + 2) * ld, s + (i + 3) * ld};
        if (most <= 16)
            softmax_4rows_regs(p, len + i, sc, lse + i, 1);
        else if (most <= 32)
            softmax_4rows_regs(p, len + i, sc, lse + i, 2);
        else if (most <= 48)
            softmax_4rows_regs(p, len + i, sc, lse + i, 3);
        else
            softmax_4rows_regs(p, len + i, sc, lse + i, 4);
    }
    for (; i < rows; i++) lse[i] = softmax_row_f32_avx512(s + i * ld, len[i], sc);
}

static T256 double softmax_row_f32_avx2(float *s, int64_t n, float sc) {
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256 vsc = _mm256_set1_ps(sc), ninf = _mm256_set1_ps(-INFINITY);
    __m256 vm = ninf, part[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()};
    for (int64_t i = 0; i < n; i += 8) {
        __m256i k = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(n - i < 8 ? n - i : 8)), lane);
        __m256 v = _mm256_mul_ps(_mm256_maskload_ps(s + i, k), vsc);
        _mm256_maskstore_ps(s + i, k, v);
        v = _mm256_blendv_ps(ninf, v, _mm256_castsi256_ps(k));
        vm = _mm256_max_ps(v, vm); /* v > m ? v : m */
    }
    float lanes[16];
    _mm256_storeu_ps(lanes, vm);
    float m = lanes[0];
    for (int q = 1; q < 8; q++) m = lanes[q] > m ? lanes[q] : m;
    if (m == -INFINITY) return softmax_row_zero(s, n);
    const __m256 c = _mm256_set1_ps(m);
    for (int64_t i = 0; i < n; i += 8) {
        __m256i k = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(n - i < 8 ? n - i : 8)), lane);
        __m256 e = exp_tab8(_mm256_sub_ps(_mm256_maskload_ps(s + i, k), c));
        _mm256_maskstore_ps(s + i, k, e);
        e = _mm256_and_ps(e, _mm256_castsi256_ps(k));
        part[(i >> 3) & 1] = _mm256_add_ps(part[(i >> 3) & 1], e);
    }
    _mm256_storeu_ps(lanes, part[0]);
    _mm256_storeu_ps(lanes + 8, part[1]);
    return softmax_row_finish(s, n, m, lanes);
}

/* pn_softmax_dscore_row_f32 over 16 and 8 lanes (the same operations in order). */
static T512 void softmax_dscore_row_f32_avx512(float *p, float *dp, int64_t n, float sc, float l,
                                               float d) {
    const __m512 hi2[2] = {_mm512_loadu_ps(pn_exp2_32[0]), _mm512_loadu_ps(pn_exp2_32[0] + 16)};
    const __m512 lo2[2] = {_mm512_loadu_ps(pn_exp2_32[1]), _mm512_loadu_ps(pn_exp2_32[1] + 16)};
    const __m512 vsc = _mm512_set1_ps(sc), vl = _mm512_set1_ps(l), vd = _mm512_set1_ps(d);
    for (int64_t i = 0; i < n; i += 16) {
        __mmask16 k = n - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - i)) - 1);
        __m512 v = _mm512_sub_ps(_mm512_mul_ps(_mm512_maskz_loadu_ps(k, p + i), vsc), vl);
        __m512 e = exp_tab16(v, hi2, lo2);
        _mm512_mask_storeu_ps(p + i, k, e);
        __m512 g = _mm512_sub_ps(_mm512_maskz_loadu_ps(k, dp + i), vd);
        _mm512_mask_storeu_ps(dp + i, k, _mm512_mul_ps(_mm512_mul_ps(vsc, e), g));
    }
}
static T256 void softmax_dscore_row_f32_avx2(float *p, float *dp, int64_t n, float sc, float l,
                                             float d) {
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256 vsc = _mm256_set1_ps(sc), vl = _mm256_set1_ps(l), vd = _mm256_set1_ps(d);
    for (int64_t i = 0; i < n; i += 8) {
        __m256i k = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(n - i < 8 ? n - i : 8)), lane);
        __m256 v = _mm256_sub_ps(_mm256_mul_ps(_mm256_maskload_ps(p + i, k), vsc), vl);
        __m256 e = exp_tab8(v);
        _mm256_maskstore_ps(p + i, k, e);
        __m256 g = _mm256_sub_ps(_mm256_maskload_ps(dp + i, k), vd);
        _mm256_maskstore_ps(dp + i, k, _mm256_mul_ps(_mm256_mul_ps(vsc, e), g));
    }
}

/* pn_powf_tab over the double lanes of V: the same operations in the same order as
 * the scalar function. LOOKUP(t, j) reads table t of pn_pow_tab: on AVX-512 (8 lanes)
 * by a permute of its two halves (tab[2 t], tab[2 t + 1]), on AVX2 (4 lanes) by a
 * gather. */
#define POW_LANES(V, IT, P, I, LOOKUP, x, y, out) \
    do { \
        const V one_ = P##_set1_pd(1.0), magic_ = P##_set1_pd(6755399441055744.0); \
        const IT mb_ = I##_SET(0x4338000000000000LL), fifteen_ = I##_SET(15); \
        IT b_ = I##_CASTI(x), e_, j_, nb_; \
        e_ = I##_SRLI(I##_ADD(b_, I##_SET(0x0001000000000000LL)), 52); \
        V m_ = I##_CASTD(I##_ADD(I##_SUB(b_, I##_SLLI(e_, 52)), I##_SET(0x3ff0000000000000LL))); \
        V k_ = P##_sub_pd(I##_CASTD(I##_OR(e_, I##_SET(0x4330000000000000LL))), \
                          P##_set1_pd(0x1p52 + 1023)); \
        V u_ = P##_add_pd(m_, P##_set1_pd(1.0 / 32)); \
        j_ = I##_AND(I##_SRLI(I##_CASTI(u_), 48), fifteen_); \
        V r_ = P##_fmsub_pd(m_, LOOKUP(0, j_), one_); \
        V r2_ = P##_mul_pd(r_, r_), r4_ = P##_mul_pd(r2_, r2_); \
        V q0_ = P##_fmadd_pd(P##_set1_pd(1.0 / 3), r_, P##_set1_pd(-0.5)); \
        V q1_ = P##_fmadd_pd(P##_set1_pd(1.0 / 5), r_, P##_set1_pd(-1.0 / 4)); \
        V q2_ = P##_fmadd_pd(P##_set1_pd(1.0 / 7), r_, P##_set1_pd(-1.0 / 6)); \
        V q3_ = P##_fmadd_pd(P##_set1_pd(1.0 / 9), r_, P##_set1_pd(-1.0 / 8)); \
        V qa_ = P##_fmadd_pd(q1_, r2_, q0_), qb_ = P##_fmadd_pd(q3_, r2_, q2_); \
        V Q_ = P##_fmadd_pd(P##_fmadd_pd(P##_set1_pd(-1.0 / 10), r4_, qb_), r4_, qa_); \
        V lp_ = P##_fmadd_pd(Q_, r2_, r_); \
        V lg_ = P##_add_pd(P##_fmadd_pd(k_, P##_set1_pd(0.6931471805598903), LOOKUP(1, j_)), \
                           P##_fmadd_pd(k_, P##_set1_pd(5.497923018708371e-14), lp_)); \
        V t_ = P##_mul_pd(y, lg_); \
        t_ = P##_min_pd(P##_max_pd(t_, P##_set1_pd(-110.0)), P##_set1_pd(90.0)); \
        V v_ = P##_fmadd_pd(t_, P##_set1_pd(23.083120654223414), magic_); \
        V nf_ = P##_sub_pd(v_, magic_); \
        nb_ = I##_ADD(I##_SUB(I##_CASTI(v_), mb_), I##_SET(4096)); \
        V s_ = P##_fnmadd_pd(nf_, P##_set1_pd(0.04332169878499658), t_); \
        s_ = P##_fnmadd_pd(nf_, P##_set1_pd(1.4494042586539372e-18), s_); \
        V s2_ = P##_mul_pd(s_, s_), e0_ = P##_add_pd(one_, s_); \
        V e1_ = P##_fmadd_pd(P##_set1_pd(1.0 / 6), s_, P##_set1_pd(0.5)); \
        V e2_ = P##_fmadd_pd(P##_set1_pd(1.0 / 120), s_, P##_set1_pd(1.0 / 24)); \
        V p_ = P##_fmadd_pd(P##_set1_pd(1.0 / 720), s2_, e2_); \
        p_ = P##_fmadd_pd(P##_fmadd_pd(p_, s2_, e1_), s2_, e0_); \
        V sc_ = I##_CASTD(I##_SLLI(I##_ADD(I##_SRLI(nb_, 4), I##_SET(767)), 52)); \
        out = P##_mul_pd(P##_mul_pd(LOOKUP(2, I##_AND(nb_, fifteen_)), p_), sc_); \
    } while (0)
#define Z_CASTI        _mm512_castpd_si512 /* the double lanes' bits, and back */
#define Z_CASTD        _mm512_castsi512_pd
#define Z_SET          _mm512_set1_epi64
#define Z_ADD          _mm512_add_epi64
#define Z_SUB          _mm512_sub_epi64
#define Z_SLLI         _mm512_slli_epi64
#define Z_SRLI         _mm512_srli_epi64
#define Z_AND          _mm512_and_si512
#define Z_OR           _mm512_or_si512
#define POW_PERM(t, j) _mm512_permutex2var_pd(tab[2 * (t)], j, tab[2 * (t) + 1])
static ALWAYS_INLINE T512 __m256 pow_lanes8_avx512(__m256 x, __m256 y, const __m512d tab[6]) {
    __m512d r;
    POW_LANES(__m512d, __m512i, _mm512, Z, POW_PERM, _mm512_cvtps_pd(x), _mm512_cvtps_pd(y), r);
    return _mm512_cvtpd_ps(r);
}
static T512 void pow_plain_f32_avx512(float *o, const float *a, const float *b, int64_t n) {
    __m512d tab[6];
    for (int t = 0; t < 6; t++) tab[t] = _mm512_load_pd(pn_pow_tab[t / 2] + 8 * (t % 2));
    int64_t i = 0;
    /* four independent chains per step: each is long (about 130 cycles of latency),
     * and the core overlaps only what its window holds */
    for (; i + 32 <= n; i += 32) {
        __m256 r0 = pow_lanes8_avx512(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), tab);
        __m256 r1 = pow_lanes8_avx512(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), tab);
        __m256 r2 =
            pow_lanes8_avx512(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16), tab);
        __m256 r3 =
            pow_lanes8_avx512(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24), tab);
        _mm256_storeu_ps(o + i, r0);
        _mm256_storeu_ps(o + i + 8, r1);
        _mm256_storeu_ps(o + i + 16, r2);
        _mm256_storeu_ps(o + i + 24, r3);
    }
    for (; i < n; i += 8) {
        __mmask8 k = n - i >= 8 ? (__mmask8)0xff : (__mmask8)((1u << (n - i)) - 1);
        /* masked-off lanes compute 1 ** 1 */
        __m256 x = _mm256_mask_loadu_ps(_mm256_set1_ps(1.0f), k, a + i);
        __m256 y = _mm256_mask_loadu_ps(_mm256_set1_ps(1.0f), k, b + i);
        _mm256_mask_storeu_ps(o + i, k, pow_lanes8_avx512(x, y, tab));
    }
}
#define Y_CASTI          _mm256_castpd_si256
#define Y_CASTD          _mm256_castsi256_pd
#define Y_SET            _mm256_set1_epi64x
#define Y_ADD            _mm256_add_epi64
#define Y_SUB            _mm256_sub_epi64
#define Y_SLLI           _mm256_slli_epi64
#define Y_SRLI           _mm256_srli_epi64
#define Y_AND            _mm256_and_si256
#define Y_OR             _mm256_or_si256
#define POW_GATHER(t, j) _mm256_i64gather_pd(pn_pow_tab[t], j, 8)
/* pn_powf_tab over 4 double lanes (AVX2): the tables by gathers. */
static T256 __m128 pow_lanes4_avx2(__m128 x, __m128 y) {
    __m256d r;
    POW_LANES(__m256d, __m256i, _mm256, Y, POW_GATHER, _mm256_cvtps_pd(x), _mm256_cvtps_pd(y), r);
    return _mm256_cvtpd_ps(r);
}
static T256 void pow_plain_f32_avx2(float *o, const float *a, const float *b, int64_t n) {
    const __m128i lane = _mm_setr_epi32(0, 1, 2, 3);
    for (int64_t i = 0; i < n; i += 4) {
        __m128i k = _mm_cmpgt_epi32(_mm_set1_epi32((int)(n - i < 4 ? n - i : 4)), lane);
        __m128 one = _mm_set1_ps(1.0f); /* masked-off lanes compute 1 ** 1 */
        __m128 x = _mm_blendv_ps(one, _mm_maskload_ps(a + i, k), _mm_castsi128_ps(k));
        __m128 y = _mm_blendv_ps(one, _mm_maskload_ps(b + i, k), _mm_castsi128_ps(k));
        _mm_maskstore_ps(o + i, k, pow_lanes4_avx2(x, y));
    }
}
#undef POW_LANES
#undef POW_PERM
#undef POW_GATHER
#undef Z_CASTI
#undef Z_CASTD
#undef Z_SET
#undef Z_ADD
#undef Z_SUB
#undef Z_SLLI
#undef Z_SRLI
#undef Z_AND
#undef Z_OR
#undef Y_CASTI
#undef Y_CASTD
#undef Y_SET
#undef Y_ADD
#undef Y_SUB
#undef Y_SLLI
#undef Y_SRLI
#undef Y_AND
#undef Y_OR

#undef SOFTPLUS_SELECT
#undef LOG_TAB_PAIR
#undef MOV8
#undef LOG_TAB_CORE
#undef LOG32_SUM
#undef LOG32_ARGS
#undef LOG32_ROW
#undef LOG_JOIN
#undef EXP_TAB_KERNEL16
#undef LANES_KERNEL8
#undef T512
#undef T256

/* The kernels this CPU runs (their instruction sets, and the OS saving the
 * registers: libgcc checks XCR0): 2 AVX-512, 1 AVX2, 0 neither. Benign to
 * compute twice. */
static int x86_cpu_level(void) {
    static int level = -1;
    int v = __atomic_load_n(&level, __ATOMIC_RELAXED);
    if (v < 0) {
        __builtin_cpu_init();
        int avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
        v = avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
                    __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw")
                ? 2
                : avx2;
        __atomic_store_n(&level, v, __ATOMIC_RELAXED);
    }
    return v;
}
#endif

/* The ops with kernels of their own: the AVX-512 and AVX2 ones (NULL where there
 * are none, or off x86) and the portable loop, all as (x, y, n) over contiguous
 * floats; see pn_unary_f32_kernel. */
typedef struct {
    pn_f32_kernel_fn avx512, avx2, portable;
} f32_kernels;
#define PORTABLE_LOOP(NAME, T, LOOP) \
    static void NAME(const T *x, T *y, int64_t n) { \
        int64_t st[2] = {sizeof(T), sizeof(T)}; \
        char *p[2] = {(char *)y, (char *)x}; \
        LOOP(p, st, n, NULL); \
    }
#define PORTABLE_F32(NAME, LOOP) PORTABLE_LOOP(NAME, float, LOOP)
PORTABLE_F32(exp_f32_portable, exp_f32_loop)
PORTABLE_F32(log_f32_portable, log_f32_loop)
PORTABLE_F32(log2_f32_portable, log2_f32_loop)
PORTABLE_F32(log10_f32_portable, log10_f32_loop)
PORTABLE_F32(sqrt_f32_portable, sqrt_f32_loop)
PORTABLE_F32(rsqrt_f32_portable, rsqrt_f32_loop)
PORTABLE_F32(log1p_f32_portable, log1p_f32_loop)
PORTABLE_F32(tanh_f32_portable, tanh_f32_loop)
PORTABLE_F32(sigmoid_f32_portable, sigmoid_f32_loop)
PORTABLE_F32(erf_f32_portable, erf_f32_loop)
PORTABLE_F32(atan_f32_portable, atan_f32_loop)
PORTABLE_F32(erfc_f32_portable, erfc_f32_loop)
PORTABLE_F32(tan_f32_portable, tan_f32_loop)
#if X86_KERNELS
#define F32_KERNELS(A512, A2, P) {A512, A2, P}
#else
#define F32_KERNELS(A512, A2, P) {NULL, NULL, P}
#endif
static const f32_kernels EXP_K = F32_KERNELS(exp_f32_avx512, exp_f32_avx2, exp_f32_portable);
static const f32_kernels LOG_K = F32_KERNELS(log_f32_avx512, log_f32_avx2, log_f32_portable);
static const f32_kernels LOG2_K = F32_KERNELS(log2_f32_avx512, log2_f32_avx2, log2_f32_portable);
static const f32_kernels LOG10_K =
    F32_KERNELS(log10_f32_avx512, log10_f32_avx2, log10_f32_portable);
static const f32_kernels SQRT_K = F32_KERNELS(sqrt_f32_avx512, NULL, sqrt_f32_portable);
static const f32_kernels RSQRT_K = F32_KERNELS(rsqrt_f32_avx512, NULL, rsqrt_f32_portable);
static const f32_kernels LOG1P_K =
    F32_KERNELS(log1p_f32_avx512, log1p_f32_avx2, log1p_f32_portable);
static const f32_kernels TANH_K = F32_KERNELS(tanh_f32_avx512, tanh_f32_avx2, tanh_f32_portable);
static const f32_kernels SIGMOID_K =
    F32_KERNELS(sigmoid_f32_avx512, sigmoid_f32_avx2, sigmoid_f32_portable);
static const f32_kernels ERF_K = F32_KERNELS(erf_f32_avx512, erf_f32_avx2, erf_f32_portable);
static const f32_kernels ATAN_K = F32_KERNELS(atan_f32_avx512, atan_f32_avx2, atan_f32_portable);
static const f32_kernels ERFC_K = F32_KERNELS(erfc_f32_avx512, erfc_f32_avx2, erfc_f32_portable);
static const f32_kernels TAN_K = F32_KERNELS(tan_f32_avx512, NULL, tan_f32_portable);

static const f32_kernels *f32_kernels_of(pn_unary_op op) {
    switch (op) {
    case PN_EXP:
        return &EXP_K;
    case PN_LOG:
        return &LOG_K;
    case PN_LOG2:
        return &LOG2_K;
    case PN_LOG10:
        return &LOG10_K;
    case PN_SQRT:
        return &SQRT_K;
    case PN_RSQRT:
        return &RSQRT_K;
    case PN_LOG1P:
        return &LOG1P_K;
    case PN_TANH:
        return &TANH_K;
    case PN_SIGMOID:
        return &SIGMOID_K;
    case PN_ERF:
        return &ERF_K;
    case PN_ATAN:
        return &ATAN_K;
    case PN_ERFC:
        return &ERFC_K;
    case PN_TAN:
        return &TAN_K;
    default:
        return NULL;
    }
}

pn_f32_kernel_fn pn_unary_f32_kernel(pn_unary_op op, const char *name) {
    const f32_kernels *k = f32_kernels_of(op);
    if (!k) return NULL;
#if X86_KERNELS
    if (!strcmp(name, "avx512")) return x86_cpu_level() >= 2 ? k->avx512 : NULL;
    if (!strcmp(name, "avx2")) return x86_cpu_level() >= 1 ? k->avx2 : NULL;
#endif
    return strcmp(name, "portable") ? NULL : k->portable;
}

/* The fastest of an op's kernels on this CPU (sqrt and rsqrt have no AVX2 one: their loop). */
static pn_f32_kernel_fn f32_fastest(const f32_kernels *k) {
#if X86_KERNELS
    int level = x86_cpu_level();
    if (level == 2) return k->avx512;
    if (level == 1 && k->avx2) return k->avx2;
#endif
    return k->portable;
}

/* softplus over contiguous floats in C: the kernels' portable one. */
PN_SIMD_CLONES static void softplus_f32_portable(const float *x, float *y, int64_t n, float xt,
                                                 int neg) {
    for (int64_t i = 0; i < n; i++) {
        float v = neg ? -x[i] : x[i];
        float s = PN_F32_TABLES ? pn_softplusf_tab(v) : pn_softplusf(v); /* no branch */
        s = v >= xt ? v : s;
        y[i] = neg ? (s == 0 ? 0.0f : -s) : s;
    }
}

/* The body of a kernel-by-name function (pn_softplus_f32_kernel and its kin): the
 * kernel called name ("avx512", "avx2", "portable"), NULL where this CPU has none. */
#if X86_KERNELS
#define KERNEL_BY_NAME(name, A512, A2, P) \
    if (!strcmp(name, "avx512")) return x86_cpu_level() >= 2 ? A512 : NULL; \
    if (!strcmp(name, "avx2")) return x86_cpu_level() >= 1 ? A2 : NULL; \
    return strcmp(name, "portable") ? NULL : P
/* The body of a function running the fastest kernel this CPU has on its arguments. */
#define RUN_FASTEST(A512, A2, P, ...) \
    int level_ = x86_cpu_level(); \
    if (level_ == 2) return A512(__VA_ARGS__); \
    if (level_ == 1) return A2(__VA_ARGS__); \
    return P(__VA_ARGS__)
#else
#define KERNEL_BY_NAME(name, A512, A2, P) return strcmp(name, "portable") ? NULL : P
#define RUN_FASTEST(A512, A2, P, ...)     return P(__VA_ARGS__)
#endif

pn_softplus_f32_fn pn_softplus_f32_kernel(const char *name) {
    KERNEL_BY_NAME(name, softplus_f32_avx512, softplus_f32_avx2, softplus_f32_portable);
}

void pn_softplus_f32(const float *x, float *y, int64_t n, float xt, int neg) {
    RUN_FASTEST(softplus_f32_avx512, softplus_f32_avx2, softplus_f32_portable, x, y, n, xt, neg);
}

/* SiLU over contiguous floats in C: the kernels' portable one. */
PN_SIMD_CLONES static int silu_f32_portable(const float *x, float *y, int64_t n) {
    int ok = 1;
    for (int64_t i = 0; i < n; i++) {
        y[i] = PN_F32_TABLES ? pn_siluf_tab(x[i]) : pn_siluf(x[i]);
        ok &= pn_silu_holds(x[i]);
    }
    return ok;
}

pn_silu_f32_fn pn_silu_f32_kernel(const char *name) {
    KERNEL_BY_NAME(name, silu_f32_avx512, silu_f32_avx2, silu_f32_portable);
}

int pn_silu_f32(const float *x, float *y, int64_t n) {
    RUN_FASTEST(silu_f32_avx512, silu_f32_avx2, silu_f32_portable, x, y, n);
}

/* SiLU's gradient over contiguous (g, x) in C: the kernels' portable one. */
PN_SIMD_CLONES static int silu_grad_f32_portable(const float *g, const float *x, float *dx,
                                                 int64_t n) {
    int ok = 1;
    for (int64_t i = 0; i < n; i++) {
        dx[i] = PN_F32_TABLES ? pn_silu_gradf_tab(g[i], x[i]) : pn_silu_gradf(g[i], x[i]);
        ok &= pn_silu_grad_holds(x[i]);
    }
    return ok;
}

pn_silu_grad_f32_fn pn_silu_grad_f32_kernel(const char *name) {
    KERNEL_BY_NAME(name, silu_grad_f32_avx512, silu_grad_f32_avx2, silu_grad_f32_portable);
}

int pn_silu_grad_f32(const float *g, const float *x, float *dx, int64_t n) {
    RUN_FASTEST(silu_grad_f32_avx512, silu_grad_f32_avx2, silu_grad_f32_portable, g, x, dx, n);
}

/* The softplus and logsigmoid gradients over contiguous (g, x) in C: the kernels'
 * portable one. */
PN_SIMD_CLONES static int softplus_grad_f32_portable(const float *g, const float *x, float *dx,
                                                     int64_t n, float xt, int neg) {
    int ok = 1;
    for (int64_t i = 0; i < n; i++) {
        float v = neg ? -x[i] : x[i];
        float r = PN_F32_TABLES ? pn_g_sigmoidf_tab(g[i], v) : pn_g_sigmoidf(g[i], v);
        dx[i] = v >= xt ? g[i] : r;
        ok &= v >= xt || pn_g_sigmoid_holds(g[i], v);
    }
    return ok;
}

pn_softplus_grad_f32_fn pn_softplus_grad_f32_kernel(const char *name) {
    KERNEL_BY_NAME(name, softplus_grad_f32_avx512, softplus_grad_f32_avx2,
                   softplus_grad_f32_portable);
}

int pn_softplus_grad_f32(const float *g, const float *x, float *dx, int64_t n, float xt, int neg) {
    RUN_FASTEST(softplus_grad_f32_avx512, softplus_grad_f32_avx2, softplus_grad_f32_portable, g, x,
                dx, n, xt, neg);
}

/* GELU over contiguous floats in C: the kernels' portable one (on x86 both formulas
 * for every element, then the one that holds: slow, for CPUs without AVX2;
 * elsewhere pn_phif's GELU for every element). */
PN_SIMD_CLONES static void gelu_f32_portable(const float *x, float *y, int64_t n) {
    for (int64_t i = 0; i < n; i++) {
        float e, v = x[i];
        y[i] = PN_F32_TABLES && pn_gelu_tab_holds(v) ? pn_gelu_tab(v) : v * pn_phif(v, &e);
    }
}

pn_f32_kernel_fn pn_gelu_f32_kernel(const char *name) {
    KERNEL_BY_NAME(name, gelu_f32_avx512, gelu_f32_avx2, gelu_f32_portable);
}

void pn_gelu_f32(const float *x, float *y, int64_t n) {
    RUN_FASTEST(gelu_f32_avx512, gelu_f32_avx2, gelu_f32_portable, x, y, n);
}

/* GELU's gradient over contiguous floats in C: the kernels' portable one (as
 * gelu_f32_portable: pn_gelu_grad_tab where it holds on x86, pn_gelu_gradf else). */
PN_SIMD_CLONES static void gelu_grad_f32_portable(const float *g, const float *x, float *dx,
                                                  int64_t n) {
    for (int64_t i = 0; i < n; i++) {
        float v = x[i];
        dx[i] = PN_F32_TABLES && pn_gelu_tab_holds(v) ? pn_gelu_grad_tab(g[i], v)
                                                      : pn_gelu_gradf(g[i], v);
    }
}

pn_gelu_grad_f32_fn pn_gelu_grad_f32_kernel(const char *name) {
    KERNEL_BY_NAME(name, gelu_grad_f32_avx512, gelu_grad_f32_avx2, gelu_grad_f32_portable);
}

void pn_gelu_grad_f32(const float *g, const float *x, float *dx, int64_t n) {
    RUN_FASTEST(gelu_grad_f32_avx512, gelu_grad_f32_avx2, gelu_grad_f32_portable, g, x, dx, n);
}

/* The float64 SiLU and its gradient (fastmath.h's pn_silu_f64_tab, pn_silu_grad_f64_tab):
 * the C loops, the kernels by name, the fastest kernel. */
static void silu_f64_portable(const double *x, double *y, int64_t n) {
    for (int64_t i = 0; i < n; i++) y[i] = pn_silu_f64_tab(x[i]);
}
static void silu_grad_f64_portable(const double *g, const double *x, double *dx, int64_t n) {
    for (int64_t i = 0; i < n; i++) dx[i] = pn_silu_grad_f64_tab(g[i], x[i]);
}
pn_f64_kernel_fn pn_silu_f64_kernel(const char *name) {
    KERNEL_BY_NAME(name, silu_f64_avx512, silu_f64_avx2, silu_f64_portable);
}
void pn_silu_f64(const double *x, double *y, int64_t n) {
    RUN_FASTEST(silu_f64_avx512, silu_f64_avx2, silu_f64_portable, x, y, n);
}
pn_gelu_grad_f64_fn pn_silu_grad_f64_kernel(const char *name) {
    KERNEL_BY_NAME(name, silu_grad_f64_avx512, silu_grad_f64_avx2, silu_grad_f64_portable);
}
void pn_silu_grad_f64(const double *g, const double *x, double *dx, int64_t n) {
    RUN_FASTEST(silu_grad_f64_avx512, silu_grad_f64_avx2, silu_grad_f64_portable, g, x, dx, n);
}

/* The float64 GELU and its gradient (fastmath.h's pn_gelu_f64_tab, pn_gelu_grad_f64_tab):
 * the C loops, the kernels by name, the fastest kernel. */
static void gelu_f64_portable(const double *x, double *y, int64_t n) {
    for (int64_t i = 0; i < n; i++) y[i] = pn_gelu_f64_tab(x[i]);
}
static void gelu_grad_f64_portable(const double *g, const double *x, double *dx, int64_t n) {
    for (int64_t i = 0; i < n; i++) dx[i] = pn_gelu_grad_f64_tab(g[i], x[i]);
}
pn_f64_kernel_fn pn_gelu_f64_kernel(const char *name) {
    KERNEL_BY_NAME(name, gelu_f64_avx512, gelu_f64_avx2, gelu_f64_portable);
}
void pn_gelu_f64(const double *x, double *y, int64_t n) {
    RUN_FASTEST(gelu_f64_avx512, gelu_f64_avx2, gelu_f64_portable, x, y, n);
}
pn_gelu_grad_f64_fn pn_gelu_grad_f64_kernel(const char *name) {
    KERNEL_BY_NAME(name, gelu_grad_f64_avx512, gelu_grad_f64_avx2, gelu_grad_f64_portable);
}
void pn_gelu_grad_f64(const double *g, const double *x, double *dx, int64_t n) {
    RUN_FASTEST(gelu_grad_f64_avx512, gelu_grad_f64_avx2, gelu_grad_f64_portable, g, x, dx, n);
}

void pn_exp_f32_contig(const float *x, float *y, int64_t n) {
    f32_fastest (&EXP_K)(x, y, n);
}

/* pn_softmax_row_f32 in C: the kernels' portable one (16 partial sums as their lanes). */
PN_SIMD_CLONES static double softmax_row_f32_portable(float *s, int64_t n, float sc) {
    float m = -INFINITY, lanes[16] = {0};
    for (int64_t j = 0; j < n; j++) {
        s[j] *= sc;
        m = s[j] > m ? s[j] : m;
    }
    if (m == -INFINITY) return softmax_row_zero(s, n);
    for (int64_t j = 0; j < n; j++) {
        float v = s[j] - m;
        s[j] = PN_F32_TABLES ? pn_expf_tab(v) : pn_expf(v);
        lanes[j % 16] += s[j];
    }
    return softmax_row_finish(s, n, m, lanes);
}

pn_softmax_row_f32_fn pn_softmax_row_f32_kernel(const char *name) {
    KERNEL_BY_NAME(name, softmax_row_f32_avx512, softmax_row_f32_avx2, softmax_row_f32_portable);
}

double pn_softmax_row_f32(float *s, int64_t n, float sc) {
    RUN_FASTEST(softmax_row_f32_avx512, softmax_row_f32_avx2, softmax_row_f32_portable, s, n, sc);
}

/* pn_softmax_rows_f32 by the single-row kernels, one row after another. */
static void softmax_rows_f32_avx2(float *s, int64_t ld, int64_t rows, const int64_t *len, float sc,
                                  double *lse) {
    for (int64_t i = 0; i < rows; i++) lse[i] = pn_softmax_row_f32(s + i * ld, len[i], sc);
}
#define softmax_rows_f32_portable softmax_rows_f32_avx2

void pn_softmax_rows_f32(float *s, int64_t ld, int64_t rows, const int64_t *len, float sc,
                         double *lse) {
    RUN_FASTEST(softmax_rows_f32_avx512, softmax_rows_f32_avx2, softmax_rows_f32_portable, s, ld,
                rows, len, sc, lse);
}

/* pn_softmax_dscore_row_f32 in C: the kernels' portable one. */
PN_SIMD_CLONES static void softmax_dscore_row_f32_portable(float *p, float *dp, int64_t n, float sc,
                                                           float l, float d) {
    for (int64_t j = 0; j < n; j++) {
        float v = p[j] * sc - l;
        p[j] = PN_F32_TABLES ? pn_expf_tab(v) : pn_expf(v);
        dp[j] = sc * p[j] * (dp[j] - d);
    }
}

pn_softmax_dscore_row_f32_fn pn_softmax_dscore_row_f32_kernel(const char *name) {
    KERNEL_BY_NAME(name, softmax_dscore_row_f32_avx512, softmax_dscore_row_f32_avx2,
                   softmax_dscore_row_f32_portable);
}

void pn_softmax_dscore_row_f32(float *p, float *dp, int64_t n, float sc, float l, float d) {
    RUN_FASTEST(softmax_dscore_row_f32_avx512, softmax_dscore_row_f32_avx2,
                softmax_dscore_row_f32_portable, p, dp, n, sc, l, d);
}

/* pow over plain pairs (pn_pow_plain) in C: the kernels' portable one. */
PN_SIMD_CLONES static void pow_plain_f32_portable(float *o, const float *a, const float *b,
                                                  int64_t n) {
    for (int64_t i = 0; i < n; i++) o[i] = POWF_PLAIN(a[i], b[i]);
}

/* pow over plain pairs (pn_pow_plain_d) in C, as the (a, b, out, n) kernels: the portable one. */
BINARY_LOOP(pow_plain_f64_loop, double, double, pn_pow_f64_tab(x, y))
static void pow_plain_f64_portable(const double *a, const double *b, double *o, int64_t n) {
    int64_t st[3] = {sizeof(double), sizeof(double), sizeof(double)};
    char *p[3] = {(char *)o, (char *)a, (char *)b};
    pow_plain_f64_loop(p, st, n, NULL);
}
pn_f64_kernel2_fn pn_pow_plain_f64_kernel(const char *name) {
    KERNEL_BY_NAME(name, pow_plain_f64_avx512, pow_plain_f64_avx2, pow_plain_f64_portable);
}
static void pow_plain_f64(double *o, const double *a, const double *b, int64_t n) {
    RUN_FASTEST(pow_plain_f64_avx512, pow_plain_f64_avx2, pow_plain_f64_portable, a, b, o, n);
}
pn_pow_plain_f32_fn pn_pow_plain_f32_kernel(const char *name) {
    KERNEL_BY_NAME(name, pow_plain_f32_avx512, pow_plain_f32_avx2, pow_plain_f32_portable);
}

static void pow_plain_f32(float *o, const float *a, const float *b, int64_t n) {
    RUN_FASTEST(pow_plain_f32_avx512, pow_plain_f32_avx2, pow_plain_f32_portable, o, a, b, n);
}

static void sqrt_f32_contig(const float *x, float *y, int64_t n) {
    f32_fastest (&SQRT_K)(x, y, n);
}

/* The float32 exp, log, log2, log10, log1p, sqrt, tanh, sigmoid, erf, atan, erfc and tan ops: the
 * fastest kernel for contiguous operands, else the op's loop (the same results). */
#define F32_OP(NAME, K, LOOP) \
    static void NAME(char **p, const int64_t *s, int64_t n, const void *aux) { \
        if (s[0] == sizeof(float) && s[1] == sizeof(float)) \
            f32_fastest (&K)((const float *)p[1], (float *)p[0], n); \
        else \
            LOOP(p, s, n, aux); \
    }
F32_OP(exp_f32, EXP_K, exp_f32_loop)
F32_OP(log_f32, LOG_K, log_f32_loop)
F32_OP(log2_f32, LOG2_K, log2_f32_loop)
F32_OP(log10_f32, LOG10_K, log10_f32_loop)
F32_OP(sqrt_f32, SQRT_K, sqrt_f32_loop)
F32_OP(rsqrt_f32, RSQRT_K, rsqrt_f32_loop)
F32_OP(log1p_f32, LOG1P_K, log1p_f32_loop)
F32_OP(tanh_f32, TANH_K, tanh_f32_loop)
F32_OP(sigmoid_f32, SIGMOID_K, sigmoid_f32_loop)
F32_OP(erf_f32, ERF_K, erf_f32_loop)
F32_OP(atan_f32, ATAN_K, atan_f32_loop)
F32_OP(erfc_f32, ERFC_K, erfc_f32_loop)
F32_OP(tan_f32, TAN_K, tan_f32_loop)

/* atan2's kernels, as (y, x, out, n) over contiguous floats: pn_atan2_f32_kernel. */
static void atan2_f32_portable(const float *y, const float *x, float *o, int64_t n) {
    int64_t st[3] = {sizeof(float), sizeof(float), sizeof(float)};
    char *p[3] = {(char *)o, (char *)y, (char *)x};
    atan2_f32_loop(p, st, n, NULL);
}
pn_f32_kernel2_fn pn_atan2_f32_kernel(const char *name) {
#if X86_KERNELS
    if (!strcmp(name, "avx512")) return x86_cpu_level() >= 2 ? atan2_f32_avx512 : NULL;
    if (!strcmp(name, "avx2")) return x86_cpu_level() >= 1 ? atan2_f32_avx2 : NULL;
#endif
    return strcmp(name, "portable") ? NULL : atan2_f32_portable;
}
static void atan2_f32(char **p, const int64_t *s, int64_t n, const void *aux) {
    if (s[0] != sizeof(float) || s[1] != sizeof(float) || s[2] != sizeof(float)) {
        atan2_f32_loop(p, s, n, aux);
        return;
    }
    pn_f32_kernel2_fn k = atan2_f32_portable;
#if X86_KERNELS
    int level = x86_cpu_level();
    k = level == 2 ? atan2_f32_avx512 : level == 1 ? atan2_f32_avx2 : k;
#endif
    k((const float *)p[1], (const float *)p[2], (float *)p[0], n);
}

/* atan2's float64 kernels, as (y, x, out, n) over contiguous doubles: pn_atan2_f64_kernel. */
static void atan2_f64_portable(const double *y, const double *x, double *o, int64_t n) {
    int64_t st[3] = {sizeof(double), sizeof(double), sizeof(double)};
    char *p[3] = {(char *)o, (char *)y, (char *)x};
    atan2_f64_loop(p, st, n, NULL);
}
pn_f64_kernel2_fn pn_atan2_f64_kernel(const char *name) {
    KERNEL_BY_NAME(name, atan2_f64_avx512, atan2_f64_avx2, atan2_f64_portable);
}
static void atan2_f64_contig(const double *y, const double *x, double *o, int64_t n) {
    RUN_FASTEST(atan2_f64_avx512, atan2_f64_avx2, atan2_f64_portable, y, x, o, n);
}
static void atan2_f64(char **p, const int64_t *s, int64_t n, const void *aux) {
    if (s[0] != sizeof(double) || s[1] != sizeof(double) || s[2] != sizeof(double))
        atan2_f64_loop(p, s, n, aux);
    else
        atan2_f64_contig((const double *)p[1], (const double *)p[2], (double *)p[0], n);
}

/* pn_atan2_backward_f32/_f64 (elementwise.h): one pass for each gradient wanted. */
#define ATAN2_BACKWARD(NAME, T) \
    PN_SIMD_CLONES static void NAME##_da(const T *g, const T *a, const T *b, T *da, int64_t n) { \
        for (int64_t i = 0; i < n; i++) { \
            T d = a[i] * a[i] + b[i] * b[i]; \
            da[i] = (g[i] * b[i]) * (d == 0 ? (T)0 : (T)1 / d); \
        } \
    } \
    PN_SIMD_CLONES static void NAME##_db(const T *g, const T *a, const T *b, T *db, int64_t n) { \
        for (int64_t i = 0; i < n; i++) { \
            T d = a[i] * a[i] + b[i] * b[i]; \
            db[i] = (g[i] * -a[i]) * (d == 0 ? (T)0 : (T)1 / d); \
        } \
    } \
    void NAME(const T *g, const T *a, const T *b, T *da, T *db, int64_t n) { \
        if (da) NAME##_da(g, a, b, da, n); \
        if (db) NAME##_db(g, a, b, db, n); \
    }
ATAN2_BACKWARD(pn_atan2_backward_f32, float)
ATAN2_BACKWARD(pn_atan2_backward_f64, double)

UNARY_LOOP(neg_f64, double, -x)
UNARY_LOOP(abs_f64, double, fabs(x))
UNARY_LOOP_PREFETCHED(exp_f64_loop, double, pn_exp_f64_tab(x))
UNARY_LOOP_PREFETCHED(log_f64_loop, double, pn_log_f64_e(x))
UNARY_LOOP(sqrt_f64_loop, double, sqrt(x))
UNARY_LOOP_PREFETCHED(sigmoid_f64_loop, double, pn_sigmoid_f64_tab(x))
UNARY_LOOP_PREFETCHED(tanh_f64_loop, double, pn_tanh_f64_tab(x))
UNARY_LOOP(relu_f64, double, x > 0 ? x : (x != x ? x : (double)0))
UNARY_LOOP(sign_f64, double, SIGN(x)) /* sign(nan) = 0, as in torch */
UNARY_LOOP(reciprocal_f64, double, (double)1 / x)
UNARY_LOOP(square_f64, double, x *x)
UNARY_LOOP_PREFETCHED(sin_f64_loop, double, pn_sin_f64_tab(x))
UNARY_LOOP_PREFETCHED(cos_f64_loop, double, pn_cos_f64_tab(x))
UNARY_LOOP_PREFETCHED(log1p_f64_loop, double, pn_log1p_f64_tab(x))
UNARY_LOOP_PREFETCHED(expm1_f64_loop, double, pn_expm1_f64_tab(x))
UNARY_LOOP(floor_f64, double, floor(x))
UNARY_LOOP(ceil_f64, double, ceil(x))
UNARY_LOOP(round_f64, double, rint(x))
UNARY_LOOP(trunc_f64, double, trunc(x))
UNARY_LOOP_PREFETCHED(log2_f64_loop, double, pn_log_f64_2(x))
UNARY_LOOP_PREFETCHED(log10_f64_loop, double, pn_log_f64_10(x))
UNARY_LOOP_PREFETCHED(erf_f64_loop, double, pn_erf_f64_tab(x))
UNARY_LOOP_PREFETCHED(erfc_f64_loop, double, pn_erfc_f64_tab(x))
UNARY_LOOP_PREFETCHED(tan_f64_loop, double, pn_tan_f64_tab(x))
UNARY_LOOP_PREFETCHED(atan_f64_loop, double, pn_atan_f64_tab(x))
UNARY_LOOP(rsqrt_f64, double, (double)1 / sqrt(x))

/* The float64 ops with kernels (exp, sqrt, sigmoid, the logarithms, expm1, tanh, sin, cos,
 * tan, atan, erf, erfc): the fastest kernel for contiguous operands, else the loop (the same bits),
 * as F32_OP; their kernels by name through KERNEL_BY_NAME. */
PORTABLE_LOOP(exp_f64_portable, double, exp_f64_loop)
void pn_exp_f64_contig(const double *x, double *y, int64_t n) {
    RUN_FASTEST(exp_f64_avx512, exp_f64_avx2, exp_f64_portable, x, y, n);
}
#define F64_OP(NAME, CONTIG, LOOP) \
    static void NAME(char **p, const int64_t *s, int64_t n, const void *aux) { \
        if (s[0] == sizeof(double) && s[1] == sizeof(double)) \
            CONTIG((const double *)p[1], (double *)p[0], n); \
        else \
            LOOP(p, s, n, aux); \
    }
F64_OP(exp_f64, pn_exp_f64_contig, exp_f64_loop)
/* NAME's portable kernel (NAME_loop over contiguous doubles), NAME_contig running the
 * fastest of NAME_avx512, NAME_avx2 and that, and the op NAME. */
#define F64_KERNELS_OP(NAME) \
    PORTABLE_LOOP(NAME##_portable, double, NAME##_loop) \
    static void NAME##_contig(const double *x, double *y, int64_t n) { \
        RUN_FASTEST(NAME##_avx512, NAME##_avx2, NAME##_portable, x, y, n); \
    } \
    F64_OP(NAME, NAME##_contig, NAME##_loop)
F64_KERNELS_OP(sqrt_f64)
F64_KERNELS_OP(sigmoid_f64)
F64_KERNELS_OP(log_f64)
F64_KERNELS_OP(log2_f64)
F64_KERNELS_OP(log10_f64)
F64_KERNELS_OP(log1p_f64)
F64_KERNELS_OP(expm1_f64)
F64_KERNELS_OP(tanh_f64)
F64_KERNELS_OP(sin_f64)
F64_KERNELS_OP(cos_f64)
F64_KERNELS_OP(tan_f64)
F64_KERNELS_OP(atan_f64)
F64_KERNELS_OP(erf_f64)
F64_KERNELS_OP(erfc_f64)
pn_f64_kernel2_fn pn_sqrt_f64_settle_kernel(void) {
#if X86_KERNELS
    return x86_cpu_level() == 2 ? sqrt_settle_f64_avx512 : NULL;
#else
    return NULL;
#endif
}
pn_f64_kernel_fn pn_unary_f64_kernel(pn_unary_op op, const char *name) {
    if (op == PN_EXP) {
        KERNEL_BY_NAME(name, exp_f64_avx512, exp_f64_avx2, exp_f64_portable);
    }
    if (op == PN_SQRT) {
        KERNEL_BY_NAME(name, sqrt_f64_avx512, sqrt_f64_avx2, sqrt_f64_portable);
    }
    if (op == PN_SIGMOID) {
        KERNEL_BY_NAME(name, sigmoid_f64_avx512, sigmoid_f64_avx2, sigmoid_f64_portable);
    }
    if (op == PN_LOG) {
        KERNEL_BY_NAME(name, log_f64_avx512, log_f64_avx2, log_f64_portable);
    }
    if (op == PN_LOG2) {
        KERNEL_BY_NAME(name, log2_f64_avx512, log2_f64_avx2, log2_f64_portable);
    }
    if (op == PN_LOG10) {
        KERNEL_BY_NAME(name, log10_f64_avx512, log10_f64_avx2, log10_f64_portable);
    }
    if (op == PN_LOG1P) {
        KERNEL_BY_NAME(name, log1p_f64_avx512, log1p_f64_avx2, log1p_f64_portable);
    }
    if (op == PN_EXPM1) {
        KERNEL_BY_NAME(name, expm1_f64_avx512, expm1_f64_avx2, expm1_f64_portable);
    }
    if (op == PN_TANH) {
        KERNEL_BY_NAME(name, tanh_f64_avx512, tanh_f64_avx2, tanh_f64_portable);
    }
    if (op == PN_SIN) {
        KERNEL_BY_NAME(name, sin_f64_avx512, sin_f64_avx2, sin_f64_portable);
    }
    if (op == PN_COS) {
        KERNEL_BY_NAME(name, cos_f64_avx512, cos_f64_avx2, cos_f64_portable);
    }
    if (op == PN_TAN) {
        KERNEL_BY_NAME(name, tan_f64_avx512, tan_f64_avx2, tan_f64_portable);
    }
    if (op == PN_ATAN) {
        KERNEL_BY_NAME(name, atan_f64_avx512, atan_f64_avx2, atan_f64_portable);
    }
    if (op == PN_ERF) {
        KERNEL_BY_NAME(name, erf_f64_avx512, erf_f64_avx2, erf_f64_portable);
    }
    if (op == PN_ERFC) {
        KERNEL_BY_NAME(name, erfc_f64_avx512, erfc_f64_avx2, erfc_f64_portable);
    }
    return NULL;
}

/* The inverse trigonometric and hyperbolic functions, exp2 and the gamma family:
 * libm's double functions (special.h's for digamma and erfinv), so float32 results
 * are the double result rounded once (correctly rounded but for double-rounding
 * cases). Scalar loops: these are not on a model's hot path. */
#define DOUBLE_LOOPS(NAME, F) \
    UNARY_LOOP(NAME##_f32, float, (float)F((double)x)) \
    UNARY_LOOP(NAME##_f64, double, F(x))
DOUBLE_LOOPS(asin, asin)
DOUBLE_LOOPS(acos, acos)
DOUBLE_LOOPS(sinh, sinh)
DOUBLE_LOOPS(cosh, cosh)
DOUBLE_LOOPS(asinh, asinh)
DOUBLE_LOOPS(acosh, acosh)
DOUBLE_LOOPS(atanh, atanh)
DOUBLE_LOOPS(exp2, exp2)
DOUBLE_LOOPS(lgamma, pn_lgamma)
DOUBLE_LOOPS(digamma, pn_digamma)
DOUBLE_LOOPS(erfinv, pn_erfinv)
#undef DOUBLE_LOOPS

UNARY_LOOP(neg_i64, int64_t, (int64_t)(0u - (uint64_t)x))
UNARY_LOOP(abs_i64, int64_t, x < 0 ? (int64_t)(0u - (uint64_t)x) : x)
UNARY_LOOP(relu_i64, int64_t, x > 0 ? x : 0)
UNARY_LOOP(sign_i64, int64_t, SIGN(x))
UNARY_LOOP(not_i64, int64_t, ~x)
UNARY_LOOP(square_i64, int64_t, UMUL(x, x))
UNARY_LOOP(copy_i64, int64_t, x)
UNARY_LOOP(not_b, pn_bool, !x)
UNARY_LOOP(sign_b, pn_bool, x)

static const pn_loop_fn unary_table[PN_NUNARY][PN_NDTYPES] = {
    [PN_NEG] = {NULL, neg_i64, neg_f32, neg_f64},
    [PN_ABS] = {NULL, abs_i64, abs_f32, abs_f64},
    [PN_EXP] = {NULL, NULL, exp_f32, exp_f64},
    [PN_LOG] = {NULL, NULL, log_f32, log_f64},
    [PN_SQRT] = {NULL, NULL, sqrt_f32, sqrt_f64},
    [PN_SIGMOID] = {NULL, NULL, sigmoid_f32, sigmoid_f64},
    [PN_TANH] = {NULL, NULL, tanh_f32, tanh_f64},
    [PN_RELU] = {NULL, relu_i64, relu_f32, relu_f64},
    [PN_SIGN] = {sign_b, sign_i64, sign_f32, sign_f64},
    [PN_NOT] = {not_b, not_i64, NULL, NULL},
    [PN_RECIPROCAL] = {NULL, NULL, reciprocal_f32, reciprocal_f64},
    [PN_SQUARE] = {NULL, square_i64, square_f32, square_f64},
    [PN_SIN] = {NULL, NULL, sin_f32, sin_f64},
    [PN_COS] = {NULL, NULL, cos_f32, cos_f64},
    [PN_LOG1P] = {NULL, NULL, log1p_f32, log1p_f64},
    [PN_EXPM1] = {NULL, NULL, expm1_f32, expm1_f64},
    [PN_FLOOR] = {NULL, copy_i64, floor_f32, floor_f64},
    [PN_CEIL] = {NULL, copy_i64, ceil_f32, ceil_f64},
    [PN_ROUND] = {NULL, copy_i64, round_f32, round_f64},
    [PN_TRUNC] = {NULL, copy_i64, trunc_f32, trunc_f64},
    [PN_LOG2] = {NULL, NULL, log2_f32, log2_f64},
    [PN_LOG10] = {NULL, NULL, log10_f32, log10_f64},
    [PN_ERF] = {NULL, NULL, erf_f32, erf_f64},
    [PN_ERFC] = {NULL, NULL, erfc_f32, erfc_f64},
    [PN_TAN] = {NULL, NULL, tan_f32, tan_f64},
    [PN_ATAN] = {NULL, NULL, atan_f32, atan_f64},
    [PN_RSQRT] = {NULL, NULL, rsqrt_f32, rsqrt_f64},
    [PN_ASIN] = {NULL, NULL, asin_f32, asin_f64},
    [PN_ACOS] = {NULL, NULL, acos_f32, acos_f64},
    [PN_SINH] = {NULL, NULL, sinh_f32, sinh_f64},
    [PN_COSH] = {NULL, NULL, cosh_f32, cosh_f64},
    [PN_ASINH] = {NULL, NULL, asinh_f32, asinh_f64},
    [PN_ACOSH] = {NULL, NULL, acosh_f32, acosh_f64},
    [PN_ATANH] = {NULL, NULL, atanh_f32, atanh_f64},
    [PN_EXP2] = {NULL, NULL, exp2_f32, exp2_f64},
    [PN_LGAMMA] = {NULL, NULL, lgamma_f32, lgamma_f64},
    [PN_DIGAMMA] = {NULL, NULL, digamma_f32, digamma_f64},
    [PN_ERFINV] = {NULL, NULL, erfinv_f32, erfinv_f64},
};

pn_loop_fn pn_unary_loop(pn_unary_op op, pn_dtype dt) {
    if ((unsigned)op >= PN_NUNARY || (unsigned)dt >= PN_NDTYPES) return NULL;
    return unary_table[op][dt];
}

/* ----------------------------------------------------------------- clamp ---- */

#define CLAMP_LOOP(NAME, T) \
    static void NAME(char **p, const int64_t *s, int64_t n, const void *aux) { \
        const pn_clamp_args *c = aux; \
        const T lo = (T)c->lo, hi = (T)c->hi; \
        for (int64_t i = 0; i < n; i++) { \
            T x = *(const T *)(p[1] + i * s[1]); \
            if (x == x) { /* NaN passes through; a NaN bound makes NaN (PyTorch) */ \
                if (c->has_lo && !(x >= lo)) x = lo; \
                if (c->has_hi && !(x <= hi) && x == x) x = hi; /* x NaN: lo was */ \
            } \
            *(T *)(p[0] + i * s[0]) = x; \
        } \
    }
CLAMP_LOOP(clamp_f32, float)
CLAMP_LOOP(clamp_f64, double)
CLAMP_LOOP(clamp_i64, int64_t)

pn_loop_fn pn_clamp_loop(pn_dtype dt) {
    switch (dt) {
    case PN_FLOAT32:
        return clamp_f32;
    case PN_FLOAT64:
        return clamp_f64;
    case PN_INT64:
        return clamp_i64;
    default:
        return NULL;
    }
}

/* ----------------------------------------------------------------- where ---- */

/* out = c ? a : b, ptrs {out, c, a, b}. A random condition made the plain loop's branch
 * a coin toss (~3 ns an element): contiguous operands, or a value broadcast from one
 * element (masked_fill's), take loops that select without branching and vectorize. */
#define WHERE_SELECT(T, O, C, A, SA, B, SB, n) \
    do { \
        for (int64_t i = 0; i < n; i++) { /* both loaded: a select, not a branch */ \
            T ai = A[i * SA], bi = B[i * SB]; \
            O[i] = C[i] ? ai : bi; \
        } \
    } while (0)
#define WHERE_LOOP(NAME, T) \
    PN_SIMD_CLONES static void NAME(char **p, const int64_t *s, int64_t n, const void *aux) { \
        (void)aux; \
        T *o = (T *)p[0]; \
        const pn_bool *c = (const pn_bool *)p[1]; \
        const T *a = (const T *)p[2], *b = (const T *)p[3]; \
        const int64_t e = sizeof(T); \
        if (s[0] == e && s[1] == 1 && (s[2] == e || s[2] == 0) && (s[3] == e || s[3] == 0)) { \
            if (s[2] && s[3]) \
                WHERE_SELECT(T, o, c, a, 1, b, 1, n); \
            else if (s[2]) \
                WHERE_SELECT(T, o, c, a, 1, b, 0, n); \
            else if (s[3]) \
                WHERE_SELECT(T, o, c, a, 0, b, 1, n); \
            else \
                WHERE_SELECT(T, o, c, a, 0, b, 0, n); \
            return; \
        } \
        for (int64_t i = 0; i < n; i++) { \
            pn_bool ci = *(const pn_bool *)(p[1] + i * s[1]); \
            *(T *)(p[0] + i * s[0]) = \
                ci ? *(const T *)(p[2] + i * s[2]) : *(const T *)(p[3] + i * s[3]); \
        } \
    }
WHERE_LOOP(where_b, pn_bool)
WHERE_LOOP(where_i64, int64_t)
WHERE_LOOP(where_f32, float)
WHERE_LOOP(where_f64, double)

pn_loop_fn pn_where_loop(pn_dtype dt) {
    static const pn_loop_fn t[PN_NDTYPES] = {where_b, where_i64, where_f32, where_f64};
    return (unsigned)dt < PN_NDTYPES ? t[dt] : NULL;
}

/* ------------------------------------------------------------------ cast ---- */

/* float -> int64 in C is undefined for NaN, inf and out-of-range values; give
 * INT64_MIN for those, which is what x86 hardware (and so PyTorch there) does. */
static inline int64_t f2i(double x) {
    if (!(x > -9223372036854775808.0 && x < 9223372036854775808.0)) return INT64_MIN;
    return (int64_t)x;
}

#define CAST_LOOP(NAME, TO, FROM, EXPR) \
    PN_SIMD_CLONES static void NAME(char **p, const int64_t *s, int64_t n, const void *aux) { \
        (void)aux; \
        if (s[0] == sizeof(TO) && s[1] == sizeof(FROM)) { \
            TO *O = (TO *)p[0]; \
            const FROM *A = (const FROM *)p[1]; \
            for (int64_t i = 0; i < n; i++) { \
                FROM x = A[i]; \
                O[i] = (TO)(EXPR); \
            } \
        } else if (s[0] == sizeof(TO) && s[1] == -(int64_t)sizeof(FROM)) { /* flip's rows */ \
            TO *O = (TO *)p[0]; \
            const FROM *A = (const FROM *)p[1]; \
            for (int64_t i = 0; i < n; i++) { \
                FROM x = A[-i]; \
                O[i] = (TO)(EXPR); \
            } \
        } else { \
            for (int64_t i = 0; i < n; i++) { \
                FROM x = *(const FROM *)(p[1] + i * s[1]); \
                *(TO *)(p[0] + i * s[0]) = (TO)(EXPR); \
            } \
        } \
    }

CAST_LOOP(b_b, pn_bool, pn_bool, x)
CAST_LOOP(b_i, pn_bool, int64_t, x != 0)
CAST_LOOP(b_f, pn_bool, float, x != 0)
CAST_LOOP(b_d, pn_bool, double, x != 0)
CAST_LOOP(i_b, int64_t, pn_bool, x)
CAST_LOOP(i_i, int64_t, int64_t, x)
CAST_LOOP(i_f, int64_t, float, f2i(x))
CAST_LOOP(i_d, int64_t, double, f2i(x))
CAST_LOOP(f_b, float, pn_bool, x)
CAST_LOOP(f_i, float, int64_t, x)
CAST_LOOP(f_f, float, float, x)
CAST_LOOP(f_d, float, double, x)
CAST_LOOP(d_b, double, pn_bool, x)
CAST_LOOP(d_i, double, int64_t, x)
CAST_LOOP(d_f, double, float, x)
CAST_LOOP(d_d, double, double, x)

pn_loop_fn pn_cast_loop(pn_dtype to, pn_dtype from) {
    static const pn_loop_fn t[PN_NDTYPES][PN_NDTYPES] = {
        {b_b, b_i, b_f, b_d}, {i_b, i_i, i_f, i_d}, {f_b, f_i, f_f, f_d}, {d_b, d_i, d_f, d_d}};
    if ((unsigned)to >= PN_NDTYPES || (unsigned)from >= PN_NDTYPES) return NULL;
    return t[to][from];
}

/* ------------------------------------------------------------------ fill ---- */

#define FILL_LOOP(NAME, T) \
    static void NAME(char **p, const int64_t *s, int64_t n, const void *aux) { \
        const T v = *(const T *)aux; \
        if (s[0] == sizeof(T)) { \
            T *O = (T *)p[0]; \
            for (int64_t i = 0; i < n; i++) O[i] = v; \
        } else { \
            for (int64_t i = 0; i < n; i++) *(T *)(p[0] + i * s[0]) = v; \
        } \
    }
FILL_LOOP(fill_b, pn_bool)
FILL_LOOP(fill_i64, int64_t)
FILL_LOOP(fill_f32, float)
FILL_LOOP(fill_f64, double)

pn_loop_fn pn_fill_loop(pn_dtype dt) {
    static const pn_loop_fn t[PN_NDTYPES] = {fill_b, fill_i64, fill_f32, fill_f64};
    return (unsigned)dt < PN_NDTYPES ? t[dt] : NULL;
}
