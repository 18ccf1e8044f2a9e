/* common.h - what every kernel file shares: error codes, dtypes, size helpers.
 *
 * The kernel library is plain C11. It never sees a Python object: it takes
 * pointers, sizes and strides, and returns 0 or one of the PN_E* codes below,
 * which the binding layer turns into the matching Python exception.
 */
#ifndef PN_COMMON_H
#define PN_COMMON_H
#include <stddef.h>
#include <stdint.h>

enum { PN_OK = 0, PN_ENOMEM = 1, PN_EOVERFLOW = 2, PN_EINVAL = 3 };

/* Element types. The order is the promotion order: bool < int64 < float32 < float64. */
typedef enum { PN_BOOL = 0, PN_INT64 = 1, PN_FLOAT32 = 2, PN_FLOAT64 = 3, PN_NDTYPES = 4 } pn_dtype;

static inline size_t pn_itemsize(pn_dtype dt) {
    static const size_t sz[PN_NDTYPES] = {1, 8, 4, 8};
    return sz[dt];
}
static inline int pn_is_float(pn_dtype dt) {
    return dt == PN_FLOAT32 || dt == PN_FLOAT64;
}

/* Overflow-checked size arithmetic: return 1 (and leave *out alone) on overflow. */
static inline int pn_mul_overflow(int64_t a, int64_t b, int64_t *out) {
    return __builtin_mul_overflow(a, b, out);
}
static inline int pn_add_overflow(int64_t a, int64_t b, int64_t *out) {
    return __builtin_add_overflow(a, b, out);
}

/* Software prefetch for long elementwise loops. On the Xeons the kernels were tuned
 * on, the hardware prefetcher falls behind on the input of a compute-heavy loop
 * once its arrays no longer fit in the caches (cheap loops such as add or abs keep
 * up without help). Such loops run over long arrays in blocks of PN_PREFETCH_BLOCK
 * elements, each block starting with one prefetch per 64-byte line of the block
 * PN_PREFETCH_DISTANCE elements further on. Over 4M floats, 1 thread, Intel Xeon
 * (AVX-512), microseconds: sigmoid 1720 -> 1360, log10 1640 -> 1180, SiLU 1950 ->
 * 1520, GELU 1810 -> 1420 (131k floats run 42, 36, 47 and 43: the 4M loops now take
 * about as long per element). The scheme it replaced fetched the whole next block
 * of 1024 at once: 64 prefetches in a row, more than the core's line fill buffers
 * hold; prefetching one vector's line per step gave about the same times as now.
 * Arrays shorter than PN_PREFETCH_MIN elements (1 MB of floats) are usually in
 * cache, where the prefetches would only cost instructions: they run as one block. */
#define PN_PREFETCH_BLOCK    128
#define PN_PREFETCH_DISTANCE 2048
#define PN_PREFETCH_MIN      ((int64_t)1 << 18)

/* The block size of a loop over n elements: n itself below PN_PREFETCH_MIN. */
static inline int64_t pn_prefetch_blocksize(int64_t n) {
    return n < PN_PREFETCH_MIN ? n : PN_PREFETCH_BLOCK;
}

/* Prefetch the block of PN_PREFETCH_BLOCK elements ending at element e, moved
 * PN_PREFETCH_DISTANCE elements on (the part below n), of an array of `size`-byte
 * elements: the loop working on that block asks for the data it will reach a few
 * microseconds later. */
static inline void pn_prefetch_block(const void *base, int64_t e, int64_t n, size_t size) {
    int64_t start = e - PN_PREFETCH_BLOCK + PN_PREFETCH_DISTANCE,
            stop = e + PN_PREFETCH_DISTANCE < n ? e + PN_PREFETCH_DISTANCE : n;
    for (int64_t i = start * (int64_t)size; i < stop * (int64_t)size; i += 64)
        __builtin_prefetch((const char *)base + i);
}

/* The most dimensions a tensor may have. */
#define PN_MAX_DIMS 16

#endif
