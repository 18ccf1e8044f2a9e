/* threadpool.h - a persistent pool of worker threads for the kernels. */
#ifndef PN_THREADPOOL_H
#define PN_THREADPOOL_H
#include <stdint.h>

typedef void (*pn_range_fn)(void *ctx, int64_t begin, int64_t end);
int pn_get_num_threads(void);
void pn_set_num_threads(int n);
/* Split [0, n) into chunks of at least `grain` items and run fn on each; blocks until done. */
void pn_parallel_for(int64_t n, int64_t grain, pn_range_fn fn, void *ctx);

#endif
