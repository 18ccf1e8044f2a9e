/* threadpool.c - placeholder: runs everything on the calling thread. */
#include "threadpool.h"

static int num_threads = 1;
int pn_get_num_threads(void) { return num_threads; }
void pn_set_num_threads(int n) { num_threads = n < 1 ? 1 : n; }
void pn_parallel_for(int64_t n, int64_t grain, pn_range_fn fn, void *ctx) {
    (void)grain;
    if (n > 0) fn(ctx, 0, n);
}
