/* sort.h - kernels of the sequence ops: stable sort of rows, cumulative sum and
 * product along a dimension (and running extremes and log-sum-exp), and the triangle
 * mask of tril/triu.
 *
 * All three work on contiguous memory; the op floor makes the contiguous copy
 * (with the sorted or scanned dimension placed where the kernel wants it).
 *
 *   sort:  for each of `rows` rows of n values, idx holds the positions
 *          0..n-1 in sorted order. The sort is stable (equal values keep
 *          their order, in both directions) and NaN compares larger than
 *          every number, as in PyTorch: last ascending, first descending.
 *   scan:  x viewed as (outer, n, inner), along the middle dimension
 *          x[o, i, j] = x[o, 0, j] op ... op x[o, i, j]   (reverse: from n-1 down).
 *          float32 accumulates in double; int64 wraps around on overflow.
 *   tri:   zero the elements (i, j) of each rows x cols matrix outside the
 *          triangle: lower keeps j - i <= k, upper keeps j - i >= k.
 */
#ifndef PN_SORT_H
#define PN_SORT_H
#include <stddef.h>
#include "common.h"

/* x: rows * n values of dtype dt (any of the four). idx: rows * n positions.
 * vals (NULL allowed): rows * n values of dt, the sorted rows.
 * Returns PN_OK, PN_ENOMEM or PN_EINVAL (unknown dtype). */
int pn_sort_rows(pn_dtype dt, int64_t rows, int64_t n, const void *x, void *vals, int64_t *idx,
                 int descending);

/* The first k (0 <= k <= n) of each sorted row, exactly as pn_sort_rows would give them
 * (stable, NaN largest), into vals and idx (rows * k each). k <= 32 keeps a sorted buffer
 * of the best k seen so far (O(n k) at worst, O(n) for most data); larger k a heap of
 * them (O(n log k) at worst), or, from half the row up, sort the row. */
int pn_topk_rows(pn_dtype dt, int64_t rows, int64_t n, int64_t k, const void *x, void *vals,
                 int64_t *idx, int descending);

enum { PN_SCAN_SUM = 0, PN_SCAN_PROD = 1 };
/* src (contiguous, (outer, n, inner)) scanned into x, the same layout; src may be x
 * (in place), not otherwise overlap it. dt float32, float64 or int64 (PN_EINVAL
 * otherwise). Threads share the chains; the bits do not depend on them. */
int pn_scan(pn_dtype dt, int op, int reverse, int64_t outer, int64_t n, int64_t inner,
            const void *src, void *x);

/* Running maximum (is_max) or minimum along the middle of a contiguous (outer, n, inner)
 * src, with its position: vals[o, i, j] = the extreme of src[o, 0..i, j] and idx its
 * index, the last one among equal values (PyTorch's cummax/cummin); a NaN is the extreme
 * from where it appears (the last NaN's index). dt any of the four. PN_OK or PN_EINVAL. */
int pn_cum_extreme(pn_dtype dt, int is_max, int64_t outer, int64_t n, int64_t inner,
                   const void *src, void *vals, int64_t *idx);

/* x[o, i, j] = log(sum of exp(src[o, 0..i, j])) along the middle of (outer, n, inner),
 * one log-add-exp per step (max + log1p(exp(-|a - b|))), float32 carried in double;
 * -inf for all -inf so far, +inf once one is +inf, NaN from a NaN on. PN_OK, PN_ENOMEM
 * or PN_EINVAL (not a float dtype). */
int pn_logcumsumexp_scan(pn_dtype dt, int64_t outer, int64_t n, int64_t inner, const void *src,
                         void *x);

/* In place over a contiguous (batch, rows, cols) array of itemsize-byte elements. */
void pn_tri_zero(size_t itemsize, int64_t batch, int64_t rows, int64_t cols, int64_t k, int lower,
                 void *x);

#endif
