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

/* The most dimensions a tensor may have. */
#define PN_MAX_DIMS 16

#endif
