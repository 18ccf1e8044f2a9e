/* threadpool.h - a small persistent pthread pool for data-parallel loops.
 *
 * The pool has num_threads - 1 worker threads; the calling thread is the
 * last "worker": it always runs one chunk itself, and also any chunk that no
 * worker has started by then (so a worker that is slow to wake up, or whose
 * core is busy with another process, does not hold the loop up). Workers are created lazily
 * the first time a loop actually needs them, spin for a short while after a
 * loop (the next one often follows right away), then sleep on a condition
 * variable.
 *
 *   pn_parallel_for(n, grain, fn, ctx)
 *
 * splits [0, n) into at most num_threads contiguous chunks of at least
 * `grain` items (the last chunk may hold the remainder) and calls
 * fn(ctx, begin, end) once per chunk, returning when all chunks are done.
 * It runs everything inline on the caller when there is only one chunk,
 * when called from inside a pool task (nesting), and when another OS thread
 * is using the pool at the same time. After fork() the child starts with an
 * empty pool that is re-created on first use.
 */
#ifndef PN_THREADPOOL_H
#define PN_THREADPOOL_H
#include <stdint.h>

typedef void (*pn_range_fn)(void *ctx, int64_t begin, int64_t end);

/* Threads used by pn_parallel_for (including the caller). Default: number of
 * CPUs this process may run on (sched_getaffinity), at least 1. */
int pn_get_num_threads(void);
/* Set the thread count; values < 1 are treated as 1. */
void pn_set_num_threads(int n);
/* The threads a loop started here would run on: 1 inside a pool task (nested
 * loops run inline), else pn_get_num_threads(). For planning work by thread
 * count (the GEMM's task grid): a nested GEMM planned for the whole pool would
 * cut its product into rectangles that all run on this one thread, each
 * re-packing its operands. */
int pn_parallel_threads(void);

void pn_parallel_for(int64_t n, int64_t grain, pn_range_fn fn, void *ctx);
/* [0, n) cut into chunks of `chunk` items (the last may be shorter) that the
 * pool's threads claim one at a time from a shared counter until none are
 * left, calling fn(ctx, begin, end) for each. A thread whose core is slowed by
 * another process simply claims fewer chunks, where pn_parallel_for's fixed
 * shares would make the loop wait for it. Use it when a chunk's result does not
 * depend on which thread computes it. With a single chunk (or one thread) fn
 * is called plainly on the caller, so its own loops may still use the pool. */
void pn_parallel_for_dynamic(int64_t n, int64_t chunk, pn_range_fn fn, void *ctx);

#endif
