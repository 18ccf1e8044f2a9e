/* iter.h - walk several strided arrays of one shape together.
 *
 * Every elementwise kernel in pynet is an "inner loop": a function that
 * processes n elements along one dimension, each operand advancing by its own
 * byte stride (0 for a broadcast operand). pn_iter turns an n-d problem
 * (shape + per-operand strides) into calls of that inner loop, after merging
 * dimensions that are laid out back to back so the inner loop is as long as
 * possible. Views (transposes, slices, broadcasts) therefore never need to be
 * copied before a kernel runs.
 */
#ifndef PN_ITER_H
#define PN_ITER_H
#include "common.h"

#define PN_ITER_MAXOP 4

/* Inner loop: ptrs[k] is where operand k starts, strides[k] its byte step, n the count. */
typedef void (*pn_loop_fn)(char **ptrs, const int64_t *strides, int64_t n, const void *aux);

typedef struct {
    int nop;                                     /* number of operands, <= PN_ITER_MAXOP */
    int ndim;                                    /* dimensions left after merging (>= 1)   */
    int64_t numel;                               /* product of shape                       */
    int64_t shape[PN_MAX_DIMS];                  /* shape[ndim-1] is the inner dimension   */
    int64_t strides[PN_ITER_MAXOP][PN_MAX_DIMS]; /* byte strides, operand-major          */
    char *data[PN_ITER_MAXOP];
} pn_iter;

/* Args:
 *   nop, data: operand count and base pointers
 *   ndim, shape: the common (already broadcast) shape
 *   strides: strides[k][d] is operand k's byte stride along dimension d
 */
void pn_iter_init(pn_iter *it, int nop, char **data, int ndim, const int64_t *shape,
                  const int64_t (*strides)[PN_MAX_DIMS]);

/* Run fn over the flat positions [begin, end) of the iteration space (row-major). */
void pn_iter_run_range(const pn_iter *it, pn_loop_fn fn, const void *aux, int64_t begin,
                       int64_t end);

/* Run fn over the whole space, split across the thread pool when it is large. */
void pn_iter_run(const pn_iter *it, pn_loop_fn fn, const void *aux);

/* Same, for loops whose every position is `work` elements of work (a row kernel
 * walks a whole row per position): chunks are sized in elements, not positions. */
void pn_iter_run_weighted(const pn_iter *it, pn_loop_fn fn, const void *aux, int64_t work);

#endif
