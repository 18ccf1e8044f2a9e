/* gather.h - inner loops of gather and scatter along one dimension.
 *
 * Run by pn_iter over the index tensor's shape with three operands:
 *
 *   gather:   ptrs {out, index, src}:  out = src[index * stride]
 *   scatter:  ptrs {dst, index, src}:  dst[index * stride] = src   (accumulate: +=)
 *
 * where src (gather) or dst (scatter) is the indexed tensor with a zero stride
 * along the indexed dimension, and `stride` (pn_gather_args) is its real byte
 * stride there. Every index must be in [0, size): a bad one is not followed
 * but recorded (the first, in bad_index; *failed set), for the caller to raise.
 * Run on one thread (pn_iter_run_range): scatter's order then is the index
 * order, so repeated indices keep the last value (scatter) or add up in order.
 * bool accumulates as logical or.
 */
#ifndef PN_GATHER_H
#define PN_GATHER_H
#include "iter.h"

typedef struct {
    int64_t size;   /* length of the indexed dimension */
    int64_t stride; /* its byte stride in the indexed tensor */
    int *failed;    /* set to 1 at the first out-of-range index */
    int64_t *bad_index;
} pn_gather_args;

pn_loop_fn pn_gather_loop(pn_dtype dt);
pn_loop_fn pn_scatter_loop(pn_dtype dt, int accumulate);

#endif
