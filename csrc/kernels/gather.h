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

/* Whole rows: dst row i (rows of `bytes` bytes, packed) = the `bytes` bytes at
 * src + off[i] * elem, for i in [0, n). Indexing a tensor by a list of rows
 * (a DataLoader batch of a TensorDataset, an embedding lookup) is this copy.
 * The offsets must already be checked. Rows of a large source are scattered
 * in memory, so each copy starts with a miss the hardware prefetcher cannot
 * predict: the rows a few places ahead are prefetched while one is copied,
 * and a large gather is split over the thread pool (each thread's misses
 * overlap the other's). The bytes are the same whoever copies them. */
void pn_gather_rows(char *dst, const char *src, const int64_t *off, int64_t elem, int64_t n,
                    int64_t bytes);
pn_loop_fn pn_scatter_loop(pn_dtype dt, int accumulate);

/* Inner loop out[i] += in[i] (float32, float64; NULL for other dtypes), one element
 * after the other: an output whose positions share elements (a stride 0, an
 * expanded view's region of its base) receives every one of them. Run it on one
 * thread (pn_iter_run_range), as two threads could add into one element. */
pn_loop_fn pn_accumulate_loop(pn_dtype dt);

#endif
