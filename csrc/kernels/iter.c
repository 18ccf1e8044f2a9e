/* iter.c - see iter.h. */
#include "iter.h"
#include <string.h>

void pn_iter_init(pn_iter *it, int nop, char **data, int ndim, const int64_t *shape,
                  const int64_t (*strides)[PN_MAX_DIMS]) {
    it->nop = nop;
    for (int k = 0; k < nop; k++) it->data[k] = data[k];
    /* Drop size-1 dimensions: their strides never matter. */
    int nd = 0;
    it->numel = 1;
    for (int d = 0; d < ndim; d++) {
        it->numel *= shape[d];
        if (shape[d] == 1) continue;
        it->shape[nd] = shape[d];
        for (int k = 0; k < nop; k++) it->strides[k][nd] = strides[k][d];
        nd++;
    }
    if (nd == 0 || it->numel == 0) { /* a scalar, or nothing to do: one inner loop */
        it->ndim = 1;
        it->shape[0] = it->numel;
        for (int k = 0; k < nop; k++) it->strides[k][0] = 0;
        return;
    }
    /* Merge dimension d into d-1 when, for every operand, stepping once along
     * d-1 is the same as stepping shape[d] times along d. */
    int out = 0;
    for (int d = 1; d < nd; d++) {
        int mergeable = 1;
        for (int k = 0; k < nop; k++)
            if (it->strides[k][out] != it->strides[k][d] * it->shape[d]) mergeable = 0;
        if (mergeable) {
            it->shape[out] *= it->shape[d];
            for (int k = 0; k < nop; k++) it->strides[k][out] = it->strides[k][d];
        } else {
            out++;
            it->shape[out] = it->shape[d];
            for (int k = 0; k < nop; k++) it->strides[k][out] = it->strides[k][d];
        }
    }
    it->ndim = out + 1;
}

void pn_iter_run_range(const pn_iter *it, pn_loop_fn fn, const void *aux, int64_t begin,
                       int64_t end) {
    const int nd = it->ndim, nop = it->nop;
    const int64_t inner = it->shape[nd - 1];
    int64_t idx[PN_MAX_DIMS];
    char *ptrs[PN_ITER_MAXOP];
    int64_t inner_strides[PN_ITER_MAXOP];
    if (begin >= end || inner == 0) return;
    /* Unravel begin into a multi-index and the matching operand pointers. */
    int64_t rem = begin;
    for (int d = nd - 1; d >= 0; d--) {
        idx[d] = rem % it->shape[d];
        rem /= it->shape[d];
    }
    for (int k = 0; k < nop; k++) {
        ptrs[k] = it->data[k];
        for (int d = 0; d < nd; d++) ptrs[k] += idx[d] * it->strides[k][d];
        inner_strides[k] = it->strides[k][nd - 1];
    }
    int64_t pos = begin;
    while (pos < end) {
        int64_t n = inner - idx[nd - 1];
        if (n > end - pos) n = end - pos;
        fn(ptrs, inner_strides, n, aux);
        pos += n;
        if (pos >= end) break;
        /* Advance the multi-index by n along the inner dimension, carrying outwards. */
        idx[nd - 1] += n;
        for (int k = 0; k < nop; k++) ptrs[k] += n * inner_strides[k];
        for (int d = nd - 1; d > 0 && idx[d] == it->shape[d]; d--) {
            idx[d] = 0;
            idx[d - 1]++;
            for (int k = 0; k < nop; k++)
                ptrs[k] += it->strides[k][d - 1] - it->shape[d] * it->strides[k][d];
        }
    }
}

/* Parallel driver: the thread pool hands each worker a slice of the flat range. */
#include "threadpool.h"

typedef struct {
    const pn_iter *it;
    pn_loop_fn fn;
    const void *aux;
} iter_job;

static void iter_job_range(void *ctx, int64_t begin, int64_t end) {
    const iter_job *job = ctx;
    pn_iter_run_range(job->it, job->fn, job->aux, begin, end);
}

/* Below this many elements a kernel is faster on one thread than waking others. */
#define PN_ITER_GRAIN 32768

void pn_iter_run_weighted(const pn_iter *it, pn_loop_fn fn, const void *aux, int64_t work) {
    if (work < 1) work = 1;
    int64_t grain = PN_ITER_GRAIN / work > 0 ? PN_ITER_GRAIN / work : 1;
    if (it->numel < 2 * grain) {
        pn_iter_run_range(it, fn, aux, 0, it->numel);
        return;
    }
    iter_job job = {it, fn, aux};
    pn_parallel_for(it->numel, grain, iter_job_range, &job);
}

void pn_iter_run(const pn_iter *it, pn_loop_fn fn, const void *aux) {
    pn_iter_run_weighted(it, fn, aux, 1);
}
