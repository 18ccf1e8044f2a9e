/* reduce.h - reductions (sum, prod, max, min) and per-row kernels (argmax, softmax).
 *
 * A reduction is run by pn_iter over the *input's* shape with two operands,
 * {acc, in}, where acc has byte stride 0 along every reduced dimension: each
 * input element is folded into the accumulator it maps to. The accumulator
 * dtype is wider than the input for sums of float32 (float64) and of bool
 * (int64), so long sums do not lose precision. The caller fills acc with the
 * identity first (pn_reduce_identity) and runs these loops on one thread,
 * since several positions write the same accumulator.
 */
#ifndef PN_REDUCE_H
#define PN_REDUCE_H
#include "iter.h"

typedef enum { PN_RSUM, PN_RPROD, PN_RMAX, PN_RMIN, PN_NREDUCE } pn_reduce_op;

/* dtype the accumulator must have for op over input dtype dt. */
pn_dtype pn_reduce_acc_dtype(pn_reduce_op op, pn_dtype dt);
/* The identity of op, written as one value of the accumulator dtype into *out. */
void pn_reduce_identity(pn_reduce_op op, pn_dtype acc_dt, void *out);
/* Inner loop: ptrs = {acc, in}; acc of pn_reduce_acc_dtype(op, dt), in of dt. */
pn_loop_fn pn_reduce_loop(pn_reduce_op op, pn_dtype dt);

/* acc = op folded over `in` (ndim, shape, byte strides in_st) along the dims
 * set in mask, times scale where acc is float64 (a mean's 1 / count, applied
 * before the caller rounds acc to float32 once; 1 for everything else). acc is
 * contiguous, of dtype pn_reduce_acc_dtype(op, in_dt) and shape `shape` with the
 * reduced dims set to 1; it is filled with the identity first. Big reductions
 * run in parts on the thread pool, the number of parts set by the sizes alone,
 * so the result is the same at any thread count (reduce_parallel.c). Returns
 * PN_OK. */
int pn_reduce_run(pn_reduce_op op, pn_dtype in_dt, int ndim, const int64_t *shape, uint32_t mask,
                  const char *in, const int64_t *in_st, char *acc, double scale);

/* acc (C) += the column sums of the float32 matrix A (R, C), rows lda floats
 * apart: the reduction over the leading dims of a contiguous tensor. Columns
 * are vector lanes: rows are added four at a time in float first, (a + b) +
 * (c + d) (error at most 2^-23 of the four terms' magnitude), then into the
 * double accumulators, streaming the rows in memory order. The grouping
 * depends on R and C only. */
void pn_colsum_f32(const float *A, int64_t R, int64_t C, int64_t lda, double *acc);

/* acc (R) = the row sums of the float32 or float64 matrix A (R, C), rows lda
 * elements apart: the reduction over the trailing dims of a contiguous
 * tensor. Each row is summed whole, in double, as pn_reduce_loop sums a
 * contiguous run, so a row's sum does not depend on R or on any thread split. */
void pn_rowsum(pn_dtype dt, const void *A, int64_t R, int64_t C, int64_t lda, double *acc);
/* pn_rowsum sums short float32 rows PN_ROWSUM_BLOCK at a time as vector lanes, the
 * last R % 16 one by one: the same values, but a NaN's sign may come out otherwise,
 * so callers that split R keep the blocks where they start from row 0. */
#define PN_ROWSUM_BLOCK(dt, C) ((dt) == PN_FLOAT32 && (C) < 32 ? 16 : 1)

/* acc (R) = sum_j (A[r][j] - mean[r])^2, the squared deviations of each row of the
 * float32 or float64 matrix A (R, C) (rows lda elements apart) from its mean, in
 * double: each element widened, subtracted and squared in double. One thread. */
void pn_sqdev_rows(pn_dtype dt, const void *A, int64_t R, int64_t C, int64_t lda,
                   const double *mean, double *acc);

/* var's two passes over the rows of a contiguous float32 or float64 matrix A (R, C):
 * mean (R) = each row's mean and ss (R) = its sum of squared deviations from that
 * mean (pn_sqdev_rows), both in double, on the thread pool. Rows are cut into chunks
 * of PN_VAR_CHUNK elements whose sums are added in order, so that one long row is
 * shared out too; the grouping depends on R and C only, and the result is the same
 * at any thread count. Returns PN_OK or PN_ENOMEM. */
int pn_var_rows(pn_dtype dt, const void *A, int64_t R, int64_t C, double *mean, double *ss);

/* Row kernels. The iteration runs over the output positions; for each one the
 * kernel walks a row of n elements of the input along one dimension. */
typedef struct {
    int64_t n;          /* row length                              */
    int64_t in_stride;  /* byte step between row elements (input)   */
    int64_t out_stride; /* byte step between row elements (output)  */
} pn_row_args;

/* ptrs = {index (int64), value (dt), in (dt)}: index and value of the row's
 * max (is_max) or min. NaN counts as the extreme; ties keep the first. */
pn_loop_fn pn_argreduce_loop(int is_max, pn_dtype dt);

/* The same along a dimension that is not the last, for a contiguous x seen as
 * (outer, n, inner): best (outer, inner) of dt and idx (outer, inner) get each
 * column's max (is_max) or min over n and its index, with the row loop's NaN
 * and tie rules. Units of columns over the thread pool; every column is
 * computed whole by one thread, so the result does not depend on the count. */
void pn_argreduce_cols(int is_max, pn_dtype dt, const void *x, int64_t outer, int64_t n,
                       int64_t inner, void *best, int64_t *idx);

/* ptrs = {out (dt), in (dt)}: softmax (or log-softmax) of each row, computed
 * as exp(x - max) / sum(exp(x - max)) so that no exp overflows. */
pn_loop_fn pn_softmax_loop(int log, pn_dtype dt);
/* Softmax (log = 0) or log-softmax (log = 1) of `rows` <= 64 contiguous float32
 * rows of n <= 48 values, row i at x + i xs -> y + i ys, with the bits of the row
 * kernel (pn_softmax_loop's), on AVX-512 or AVX2 (softmax_short.c). Returns the
 * rows it left for the row kernel, bit i for row i: rows with a NaN or an
 * infinite max, and every row where pn_softmax_short_f32_ok() is 0 (no AVX2) or
 * rows < 4.
 * x and y must not overlap (rows may be computed twice). */
uint64_t pn_softmax_short_f32(const float *x, int64_t xs, float *y, int64_t ys, int64_t rows,
                              int64_t n, int log);
int pn_softmax_short_f32_ok(void);
/* Its kernels by name ("avx512", "avx2"; NULL where this CPU has none), for tests:
 * each gives the row kernel's bits, and takes 4 rows or more. */
typedef uint64_t (*pn_softmax_short_fn)(const float *x, int64_t xs, float *y, int64_t ys,
                                        int64_t rows, int64_t n, int log);
pn_softmax_short_fn pn_softmax_short_f32_kernel(const char *name);
/* The row kernel itself on such rows (every row computed), for tests. */
void pn_softmax_rows_ref_f32(const float *x, int64_t xs, float *y, int64_t ys, int64_t rows,
                             int64_t n, int log);

/* ptrs = {out (dt), in (dt)}: log(sum(exp(row))) per row into out's first
 * element along the row (out has length 1 there), as max + log(sum(exp(x -
 * max))) with an infinite max taken as 0: all -inf gives -inf, +inf gives inf. */
pn_loop_fn pn_logsumexp_loop(pn_dtype dt);
/* ptrs = {dx, g, y} (dt), laid out alike, in_stride their common row step:
 * the gradient of softmax (dx = y (g - sum(g y))) or of log-softmax
 * (dx = g - exp(y) sum(g)) from its output y, per row. */
pn_loop_fn pn_softmax_backward_loop(int log, pn_dtype dt);
/* ptrs = {dx, g, y, x} (dt): logsumexp's gradient dx = g exp(x - y) along each
 * row of x (in_stride) into dx (out_stride); g and y hold one value per row. */
pn_loop_fn pn_logsumexp_backward_loop(pn_dtype dt);

#endif
