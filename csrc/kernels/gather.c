/* gather.c - gather/scatter inner loops along one dimension (see gather.h). */
#include "gather.h"
#include "threadpool.h"
#include "fastmath.h"
#include <string.h>

/* The index at p, or -1 (after recording it) when it is out of range. */
static int64_t checked(const char *p, const pn_gather_args *a) {
    int64_t i;
    memcpy(&i, p, sizeof i);
    if (i >= 0 && i < a->size) return i;
    if (!*a->failed) {
        *a->failed = 1;
        *a->bad_index = i;
    }
    return -1;
}

/* 1 when the n indices at p (st bytes apart) are all in [0, size): checked in
 * one pass first, the loops below then run without a test per element. */
PN_SIMD_CLONES static int all_in_range(const char *p, int64_t st, int64_t n, int64_t size) {
    int ok = 1;
    if (st == sizeof(int64_t)) { /* vectorized */
        const int64_t *ix = (const int64_t *)p;
        for (int64_t k = 0; k < n; k++) ok &= (uint64_t)ix[k] < (uint64_t)size;
        return ok;
    }
    for (int64_t k = 0; k < n; k++) {
        int64_t i;
        memcpy(&i, p + k * st, sizeof i);
        ok &= (uint64_t)i < (uint64_t)size;
    }
    return ok;
}
static inline int64_t index_at(const char *p) {
    int64_t i;
    memcpy(&i, p, sizeof i);
    return i;
}

#define DEFINE_GATHER(SUF, T) \
    static void gather_##SUF(char **p, const int64_t *st, int64_t n, const void *aux) { \
        const pn_gather_args *a = aux; \
        if (all_in_range(p[1], st[1], n, a->size)) { /* pointers in locals: the stores \
                                                      * could alias p and st otherwise */ \
            char *o = p[0]; \
            const char *ix = p[1], *src = p[2]; \
            const int64_t so = st[0], si = st[1], ss = st[2], stride = a->stride; \
            for (int64_t k = 0; k < n; k++) \
                memcpy(o + k * so, src + k * ss + index_at(ix + k * si) * stride, sizeof(T)); \
            return; \
        } \
        for (int64_t k = 0; k < n; k++) { \
            int64_t i = checked(p[1] + k * st[1], a); \
            if (i >= 0) memcpy(p[0] + k * st[0], p[2] + k * st[2] + i * a->stride, sizeof(T)); \
        } \
    }
#define SET(d, s)  (d) = (s)
#define ADD(d, s)  (d) += (s)
#define OR(d, s)   (d) = (uint8_t)((d) || (s))
#define UADD(d, s) (d) = (int64_t)((uint64_t)(d) + (uint64_t)(s)) /* wraps, no UB */
#define DEFINE_SCATTER(SUF, T, OP) \
    static void scatter_##SUF(char **p, const int64_t *st, int64_t n, const void *aux) { \
        const pn_gather_args *a = aux; \
        char *dst = p[0]; \
        const char *ix = p[1], *src = p[2]; \
        const int64_t sd = st[0], si = st[1], ss = st[2], stride = a->stride; \
        int ok = all_in_range(ix, si, n, a->size); \
        for (int64_t k = 0; k < n; k++) { \
            int64_t i = ok ? index_at(ix + k * si) : checked(ix + k * si, a); \
            if (i < 0) continue; \
            T d, s; \
            char *dp = dst + k * sd + i * stride; \
            memcpy(&d, dp, sizeof d); \
            memcpy(&s, src + k * ss, sizeof s); \
            OP(d, s); \
            memcpy(dp, &d, sizeof d); \
        } \
    }
DEFINE_GATHER(b1, uint8_t)
DEFINE_GATHER(b4, float)
DEFINE_GATHER(b8, double)
DEFINE_SCATTER(set1, uint8_t, SET)
DEFINE_SCATTER(set4, uint32_t, SET)
DEFINE_SCATTER(set8, uint64_t, SET)
DEFINE_SCATTER(add_b, uint8_t, OR)
DEFINE_SCATTER(add_f32, float, ADD)
DEFINE_SCATTER(add_f64, double, ADD)
DEFINE_SCATTER(add_i64, int64_t, UADD)

pn_loop_fn pn_gather_loop(pn_dtype dt) {
    size_t sz = pn_itemsize(dt);
    return sz == 1 ? gather_b1 : sz == 4 ? gather_b4 : gather_b8;
}

/* pn_accumulate_loop's: a stride-0 output is one running sum, in order */
#define ACCUMULATE_LOOP(NAME, T) \
    static void NAME(char **p, const int64_t *s, int64_t n, const void *aux) { \
        (void)aux; \
        if (s[0] == 0) { \
            T acc = *(T *)p[0]; \
            for (int64_t i = 0; i < n; i++) acc += *(const T *)(p[1] + i * s[1]); \
            *(T *)p[0] = acc; \
            return; \
        } \
        for (int64_t i = 0; i < n; i++) *(T *)(p[0] + i * s[0]) += *(const T *)(p[1] + i * s[1]); \
    }
ACCUMULATE_LOOP(accumulate_f32, float)
ACCUMULATE_LOOP(accumulate_f64, double)

pn_loop_fn pn_accumulate_loop(pn_dtype dt) {
    return dt == PN_FLOAT32 ? accumulate_f32 : dt == PN_FLOAT64 ? accumulate_f64 : NULL;
}

pn_loop_fn pn_scatter_loop(pn_dtype dt, int accumulate) {
    if (!accumulate) {
        size_t sz = pn_itemsize(dt);
        return sz == 1 ? scatter_set1 : sz == 4 ? scatter_set4 : scatter_set8;
    }
    switch (dt) {
    case PN_BOOL:
        return scatter_add_b;
    case PN_FLOAT32:
        return scatter_add_f32;
    case PN_FLOAT64:
        return scatter_add_f64;
    default:
        return scatter_add_i64;
    }
}

typedef struct {
    char *dst;
    const char *src;
    const int64_t *off;
    int64_t elem, bytes;
} rows_job;

/* How many rows ahead to prefetch, how much of each (past the first few KB of a
 * row the hardware's stream prefetcher has caught on), and from what size a
 * gather is split. */
#define ROWS_AHEAD          4
#define ROWS_PREFETCH_BYTES 4096
#define ROWS_PARALLEL_MIN   ((int64_t)256 << 10)

/* Into every cache level (prefetcht0). The non-temporal hint (prefetchnta) made
 * an Intel Xeon's copies several times slower: 1 thread, 64 random rows of 784
 * floats out of 60000 (an MNIST batch) 38.4 -> 9.6 us (11.1 with no prefetch);
 * 1024 random rows of a 2048 x 2048 matrix 758 -> 593 us, 32768 of 65536 rows of
 * 64 floats 1413 -> 669 us. */
static void prefetch_row(const char *p, int64_t bytes) {
#if defined(__GNUC__)
    bytes = bytes < ROWS_PREFETCH_BYTES ? bytes : ROWS_PREFETCH_BYTES;
    for (int64_t b = 0; b < bytes; b += 64) __builtin_prefetch(p + b, 0, 3);
#else
    (void)p, (void)bytes;
#endif
}

static void gather_rows_range(void *ctx, int64_t i0, int64_t i1) {
    const rows_job *j = ctx;
    for (int64_t i = i0; i < i0 + ROWS_AHEAD && i < i1; i++)
        prefetch_row(j->src + j->off[i] * j->elem, j->bytes);
    for (int64_t i = i0; i < i1; i++) {
        if (i + ROWS_AHEAD < i1) prefetch_row(j->src + j->off[i + ROWS_AHEAD] * j->elem, j->bytes);
        memcpy(j->dst + i * j->bytes, j->src + j->off[i] * j->elem, (size_t)j->bytes);
    }
}

void pn_gather_rows(char *dst, const char *src, const int64_t *off, int64_t elem, int64_t n,
                    int64_t bytes) {
    rows_job j = {dst, src, off, elem, bytes};
    if (n <= 0 || bytes <= 0) return;
    int64_t grain = ROWS_PARALLEL_MIN / 2 / bytes + 1; /* >= 128 KB per thread */
    pn_parallel_for(n, grain, gather_rows_range, &j);
}
