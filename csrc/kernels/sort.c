/* sort.c - stable row sort, cumulative sum/product and the triangle mask (see sort.h). */
#include "sort.h"
#include "threadpool.h"
#include "fastmath.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* a before b in ascending order: a < b, with NaN (a value unequal to itself)
 * after every number. For integers the second clause is never true. */
#define LESS(a, b) ((a) < (b) || ((a) == (a) && (b) != (b)))

/* Bottom-up merge sort of the positions idx[0..n) by the values x[idx[k]]:
 * insertion sort on runs of RUN, then merges of doubling width through tmp.
 * An element of the right half goes first only when it is strictly before the
 * left one, so equal values keep their order (stable). */
#define RUN 16
#define DEFINE_SORT_ROW(SUF, T) \
    static int before_##SUF(const T *x, int64_t a, int64_t b, int desc) { \
        return desc ? LESS(x[b], x[a]) : LESS(x[a], x[b]); \
    } \
    static void sort_row_##SUF(const T *x, int64_t n, int64_t *idx, int64_t *tmp, int desc) { \
        for (int64_t k = 0; k < n; k++) idx[k] = k; \
        for (int64_t lo = 0; lo < n; lo += RUN) { \
            int64_t hi = lo + RUN < n ? lo + RUN : n; \
            for (int64_t k = lo + 1; k < hi; k++) { \
                int64_t v = idx[k], m = k; \
                while (m > lo && before_##SUF(x, v, idx[m - 1], desc)) { \
                    idx[m] = idx[m - 1]; \
                    m--; \
                } \
                idx[m] = v; \
            } \
        } \
        int64_t *src = idx, *dst = tmp; \
        for (int64_t w = RUN; w < n; w *= 2) { \
            for (int64_t lo = 0; lo < n; lo += 2 * w) { \
                int64_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n; \
                int64_t l = lo, r = mid, o = lo; \
                while (l < mid && r < hi) \
                    dst[o++] = before_##SUF(x, src[r], src[l], desc) ? src[r++] : src[l++]; \
                while (l < mid) dst[o++] = src[l++]; \
                while (r < hi) dst[o++] = src[r++]; \
            } \
            int64_t *t = src; \
            src = dst; \
            dst = t; \
        } \
        if (src != idx) memcpy(idx, src, (size_t)n * sizeof *idx); \
    } \
    static void sort_rows_##SUF(int64_t rows, int64_t n, const T *x, T *vals, int64_t *idx, \
                                int64_t *tmp, int desc) { \
        for (int64_t r = 0; r < rows; r++) { \
            sort_row_##SUF(x + r * n, n, idx + r * n, tmp, desc); \
            if (vals) \
                for (int64_t k = 0; k < n; k++) vals[r * n + k] = x[r * n + idx[r * n + k]]; \
        } \
    }
DEFINE_SORT_ROW(f32, float)
DEFINE_SORT_ROW(f64, double)
DEFINE_SORT_ROW(i64, int64_t)
DEFINE_SORT_ROW(b8, uint8_t)

int pn_sort_rows(pn_dtype dt, int64_t rows, int64_t n, const void *x, void *vals, int64_t *idx,
                 int descending) {
    if (rows <= 0 || n <= 0) return PN_OK;
    int64_t *tmp = malloc((size_t)n * sizeof *tmp);
    if (!tmp) return PN_ENOMEM;
    int rc = PN_OK;
    switch (dt) {
    case PN_FLOAT32:
        sort_rows_f32(rows, n, x, vals, idx, tmp, descending);
        break;
    case PN_FLOAT64:
        sort_rows_f64(rows, n, x, vals, idx, tmp, descending);
        break;
    case PN_INT64:
        sort_rows_i64(rows, n, x, vals, idx, tmp, descending);
        break;
    case PN_BOOL:
        sort_rows_b8(rows, n, x, vals, idx, tmp, descending);
        break;
    default:
        rc = PN_EINVAL;
    }
    free(tmp);
    return rc;
}

/* The best k of a row in a buffer sorted like the full sort: an element enters only when
 * strictly before the buffer's last (or while the buffer fills), after the equal ones
 * already in (the row is walked in index order), so ties keep the stable order. */
#define DEFINE_TOPK(SUF, T) \
    static void topk_rows_##SUF(int64_t rows, int64_t n, int64_t k, const T *x, T *vals, \
                                int64_t *idx, int desc) { \
        for (int64_t r = 0; r < rows; r++, x += n, vals += k, idx += k) { \
            int64_t m = 0; /* filled */ \
            for (int64_t i = 0; i < n; i++) { \
                if (m == k && !before_##SUF(x, i, idx[k - 1], desc)) continue; \
                int64_t p = m < k ? m : k - 1; \
                while (p > 0 && before_##SUF(x, i, idx[p - 1], desc)) { \
                    idx[p] = idx[p - 1]; \
                    p--; \
                } \
                idx[p] = i; \
                if (m < k) m++; \
            } \
            for (int64_t j = 0; j < k; j++) vals[j] = x[idx[j]]; \
        } \
    }
DEFINE_TOPK(f32, float)
DEFINE_TOPK(f64, double)
DEFINE_TOPK(i64, int64_t)
DEFINE_TOPK(b8, uint8_t)

/* Larger k: a heap of the best k seen so far, its root the worst of them, under the
 * order prec (before, or equal and earlier in the row): a total order, so the k found
 * and their order are the stable sort's. A new element (later than all kept) enters
 * when strictly before the root, as in the buffer above; most of a long row is turned
 * away by that one comparison, and an entry costs log k. The heap is then sorted in
 * place (heapsort: the worst goes last). (32, 50257) rows, k = 200, float32: 165 ms
 * through the full sort, 4.8 ms this way (PyTorch 5.2). */
#define DEFINE_TOPK_HEAP(SUF, T) \
    static int prec_##SUF(const T *x, int64_t a, int64_t b, int desc) { \
        return before_##SUF(x, a, b, desc) || (!before_##SUF(x, b, a, desc) && a < b); \
    } \
    /* restore the heap below position p (h[0..m): each parent after its children) */ \
    static void sift_##SUF(const T *x, int64_t *h, int64_t m, int64_t p, int desc) { \
        int64_t v = h[p]; \
        for (;;) { \
            int64_t c = 2 * p + 1; \
            if (c >= m) break; \
            if (c + 1 < m && prec_##SUF(x, h[c], h[c + 1], desc)) c++; /* the later child */ \
            if (!prec_##SUF(x, v, h[c], desc)) break; \
            h[p] = h[c]; \
            p = c; \
        } \
        h[p] = v; \
    } \
    static void topk_heap_rows_##SUF(int64_t rows, int64_t n, int64_t k, const T *x, T *vals, \
                                     int64_t *idx, int desc) { \
        for (int64_t r = 0; r < rows; r++, x += n, vals += k, idx += k) { \
            for (int64_t i = 0; i < k; i++) idx[i] = i; \
            for (int64_t p = k / 2 - 1; p >= 0; p--) sift_##SUF(x, idx, k, p, desc); \
            for (int64_t i = k; i < n; i++) \
                if (before_##SUF(x, i, idx[0], desc)) { \
                    idx[0] = i; \
                    sift_##SUF(x, idx, k, 0, desc); \
                } \
            for (int64_t m = k - 1; m > 0; m--) { /* heapsort: the root (worst) to the end */ \
                int64_t t = idx[0]; \
                idx[0] = idx[m]; \
                idx[m] = t; \
                sift_##SUF(x, idx, m, 0, desc); \
            } \
            for (int64_t j = 0; j < k; j++) vals[j] = x[idx[j]]; \
        } \
    }
DEFINE_TOPK_HEAP(f32, float)
DEFINE_TOPK_HEAP(f64, double)
DEFINE_TOPK_HEAP(i64, int64_t)
DEFINE_TOPK_HEAP(b8, uint8_t)

/* Most of the row: the full sort of each row, cut at k. */
static int topk_by_sort(pn_dtype dt, int64_t rows, int64_t n, int64_t k, const char *x, char *vals,
                        int64_t *idx, int desc) {
    size_t sz = pn_itemsize(dt);
    char *v = malloc((size_t)n * sz);
    int64_t *ix = malloc((size_t)n * sizeof *ix);
    int rc = v && ix ? PN_OK : PN_ENOMEM;
    for (int64_t r = 0; r < rows && rc == PN_OK; r++) {
        rc = pn_sort_rows(dt, 1, n, x + r * n * sz, v, ix, desc);
        memcpy(vals + r * k * sz, v, (size_t)k * sz);
        memcpy(idx + r * k, ix, (size_t)k * sizeof *ix);
    }
    free(v);
    free(ix);
    return rc;
}

int pn_topk_rows(pn_dtype dt, int64_t rows, int64_t n, int64_t k, const void *x, void *vals,
                 int64_t *idx, int descending) {
    if (rows <= 0 || k <= 0) return PN_OK;
    /* most of a row kept: the full sort is quicker than a heap that large */
    if (k > 32 && 2 * k >= n) return topk_by_sort(dt, rows, n, k, x, vals, idx, descending);
#define TOPK_CASE(DT, SUF) \
    case DT: \
        (k > 32 ? topk_heap_rows_##SUF : topk_rows_##SUF)(rows, n, k, x, vals, idx, descending); \
        return PN_OK;
    switch (dt) {
        TOPK_CASE(PN_FLOAT32, f32)
        TOPK_CASE(PN_FLOAT64, f64)
        TOPK_CASE(PN_INT64, i64)
        TOPK_CASE(PN_BOOL, b8)
    default:
        return PN_EINVAL;
    }
#undef TOPK_CASE
}

/* The scans. Each chain (one (o, j) of the (outer, n, inner) view) is folded
 * in order, from 0 up (or n - 1 down), into one accumulator, as a single loop
 * would: the bits never depend on how the chains are grouped or on threads.
 * One chain alone waits ~4 cycles per element on its own addition, so chains
 * go side by side: SCAN_ROWS rows at a time when inner == 1 (independent
 * additions that overlap), SCAN_COLS positions of a row of the view when
 * inner > 1 (contiguous, vectorized, walking the view row by row instead of
 * down one column, a cache line per element). Groups and blocks are shared
 * out over the pool, and the scan reads its input where it lies (src) instead
 * of a copy made first. Zen 3, 1 thread, float32 cumsum, us, before -> after
 * (PyTorch): (256, 512) along dim 1 162 -> 73 (148), along dim 0 805 -> 38
 * (405); (2048, 2048) along dim 1 6636 -> 2666 (4769), along dim 0 48276 ->
 * 4350 (32690). */
#define SCAN_ROWS 8
#define SCAN_COLS 512

/* ACC: the accumulator type; STEP(acc, v) folds v in. */
#define DEFINE_SCAN(SUF, T, ACC, INIT, STEP) \
    /* cnt <= SCAN_ROWS rows of n (inner == 1) of src into x, side by side */ \
    static inline __attribute__((always_inline)) void scan_rows_##SUF( \
        int reverse, int64_t n, const T *src, T *x, int cnt) { \
        ACC acc[SCAN_ROWS]; \
        for (int r = 0; r < cnt; r++) acc[r] = INIT; \
        for (int64_t c = 0; c < n; c++) { \
            int64_t i = reverse ? n - 1 - c : c; \
            for (int r = 0; r < cnt; r++) { \
                acc[r] = STEP(acc[r], src[r * n + i]); \
                x[r * n + i] = (T)acc[r]; \
            } \
        } \
    } \
    /* cnt <= SCAN_COLS neighbouring chains of one outer slice of src into p's (rows inner \
     * apart) */ \
    static void scan_cols_##SUF(int reverse, int64_t n, int64_t inner, const T *src, T *p, \
                                int64_t cnt) { \
        ACC acc[SCAN_COLS]; \
        for (int64_t j = 0; j < cnt; j++) acc[j] = INIT; \
        for (int64_t c = 0; c < n; c++) { \
            int64_t at = (reverse ? n - 1 - c : c) * inner; \
            const T *in = src + at; \
            T *row = p + at; \
            for (int64_t j = 0; j < cnt; j++) { \
                acc[j] = STEP(acc[j], in[j]); \
                row[j] = (T)acc[j]; \
            } \
        } \
    } \
    /* tasks [t0, t1) of a scan_job: groups of rows, or (o, block) pairs */ \
    PN_SIMD_CLONES static void scan_tasks_##SUF(void *ctx, int64_t t0, int64_t t1) { \
        const scan_job *q = ctx; \
        T *x = q->x; \
        const T *src = q->src; \
        for (int64_t t = t0; t < t1; t++) { \
            if (q->inner == 1) { \
                int64_t r0 = t * SCAN_ROWS, cnt = q->outer - r0; \
                if (cnt >= SCAN_ROWS) \
                    scan_rows_##SUF(q->reverse, q->n, src + r0 * q->n, x + r0 * q->n, SCAN_ROWS); \
                else \
                    scan_rows_##SUF(q->reverse, q->n, src + r0 * q->n, x + r0 * q->n, (int)cnt); \
            } else { \
                int64_t o = t / q->blocks, j0 = t % q->blocks * SCAN_COLS; \
                int64_t cnt = q->inner - j0 < SCAN_COLS ? q->inner - j0 : SCAN_COLS; \
                int64_t at = o * q->n * q->inner + j0; \
                scan_cols_##SUF(q->reverse, q->n, q->inner, src + at, x + at, cnt); \
            } \
        } \
    }
typedef struct {
    int reverse;
    int64_t outer, n, inner, blocks; /* blocks: of SCAN_COLS per outer slice */
    const void *src;                 /* read from (x itself for a scan in place) */
    void *x;
} scan_job;
#define ADD(a, v) ((a) + (v))
#define MUL(a, v) ((a) * (v))
/* int64 in unsigned arithmetic: wraps on overflow instead of undefined behaviour */
#define UADD(a, v) ((a) + (uint64_t)(v))
#define UMUL(a, v) ((a) * (uint64_t)(v))
DEFINE_SCAN(sum_f32, float, double, 0.0, ADD)
DEFINE_SCAN(prod_f32, float, double, 1.0, MUL)
DEFINE_SCAN(sum_f64, double, double, 0.0, ADD)
DEFINE_SCAN(prod_f64, double, double, 1.0, MUL)
DEFINE_SCAN(sum_i64, int64_t, uint64_t, 0u, UADD)
DEFINE_SCAN(prod_i64, int64_t, uint64_t, 1u, UMUL)

int pn_scan(pn_dtype dt, int op, int reverse, int64_t outer, int64_t n, int64_t inner,
            const void *src, void *x) {
    static const pn_range_fn fns[3][2] = {{scan_tasks_sum_f32, scan_tasks_prod_f32},
                                          {scan_tasks_sum_f64, scan_tasks_prod_f64},
                                          {scan_tasks_sum_i64, scan_tasks_prod_i64}};
    int k = dt == PN_FLOAT32 ? 0 : dt == PN_FLOAT64 ? 1 : dt == PN_INT64 ? 2 : -1;
    if (k < 0) return PN_EINVAL;
    if (outer <= 0 || n <= 0 || inner <= 0) return PN_OK;
    scan_job q = {.reverse = reverse, .outer = outer, .n = n, .inner = inner, .src = src, .x = x};
    q.blocks = (inner + SCAN_COLS - 1) / SCAN_COLS;
    int64_t tasks = inner == 1 ? (outer + SCAN_ROWS - 1) / SCAN_ROWS : outer * q.blocks;
    int64_t per_task = n * (inner == 1 ? SCAN_ROWS : (inner < SCAN_COLS ? inner : SCAN_COLS));
    pn_parallel_for(tasks, 32768 / per_task + 1, fns[k][op == PN_SCAN_PROD], &q);
    return PN_OK;
}

/* Row i of each (n, inner) block against the running row i - 1: take x where it is
 * NaN, or where the running value is a number and x is at least (most) as extreme. */
#define CUM_EXTREME(NAME, T, AT_LEAST) \
    static void NAME(int64_t outer, int64_t n, int64_t inner, const void *xv, void *vv, \
                     int64_t *ix) { \
        const T *x = xv; \
        T *v = vv; \
        for (int64_t o = 0; o < outer; o++, x += n * inner, v += n * inner, ix += n * inner) { \
            for (int64_t j = 0; j < inner; j++) v[j] = x[j], ix[j] = 0; \
            for (int64_t i = 1; i < n; i++) { \
                const T *xr = x + i * inner, *vp = v + (i - 1) * inner; \
                T *vr = v + i * inner; \
                int64_t *ir = ix + i * inner, *ip = ix + (i - 1) * inner; \
                for (int64_t j = 0; j < inner; j++) { \
                    T a = xr[j], c = vp[j]; \
                    int take = a != a || (c == c && AT_LEAST(a, c)); \
                    vr[j] = take ? a : c; \
                    ir[j] = take ? i : ip[j]; \
                } \
            } \
        } \
    }
#define GE(a, c) ((a) >= (c))
#define LE(a, c) ((a) <= (c))
CUM_EXTREME(cummax_b, uint8_t, GE) /* bool: one byte, 0 or 1 */
CUM_EXTREME(cummin_b, uint8_t, LE)
CUM_EXTREME(cummax_i64, int64_t, GE)
CUM_EXTREME(cummin_i64, int64_t, LE)
CUM_EXTREME(cummax_f32, float, GE)
CUM_EXTREME(cummin_f32, float, LE)
CUM_EXTREME(cummax_f64, double, GE)
CUM_EXTREME(cummin_f64, double, LE)
#undef GE
#undef LE

int pn_cum_extreme(pn_dtype dt, int is_max, int64_t outer, int64_t n, int64_t inner,
                   const void *src, void *vals, int64_t *idx) {
    typedef void (*cum_fn)(int64_t, int64_t, int64_t, const void *, void *, int64_t *);
    static const cum_fn fns[PN_NDTYPES][2] = {{cummin_b, cummax_b},
                                              {cummin_i64, cummax_i64},
                                              {cummin_f32, cummax_f32},
                                              {cummin_f64, cummax_f64}};
    if ((unsigned)dt >= PN_NDTYPES) return PN_EINVAL;
    if (outer > 0 && n > 0 && inner > 0) fns[dt][is_max != 0](outer, n, inner, src, vals, idx);
    return PN_OK;
}

/* log(exp(a) + exp(b)) = max + log1p(exp(-|a - b|)); equal infinities give themselves
 * (their difference is NaN) and NaN stays NaN. */
static double log_add_exp(double a, double b) {
    if (a != a || b != b) return NAN;
    double m = a > b ? a : b;
    if (a == b && (m == INFINITY || m == -INFINITY)) return m;
    return m + log1p(exp(-fabs(a - b)));
}

/* One (n, inner) block; acc: inner doubles, the running values. */
#define LOGCUMSUMEXP(NAME, T) \
    static void NAME(int64_t n, int64_t inner, const T *x, T *y, double *acc) { \
        for (int64_t j = 0; j < inner; j++) y[j] = (T)(acc[j] = x[j]); \
        for (int64_t i = 1; i < n; i++) \
            for (int64_t j = 0; j < inner; j++) \
                y[i * inner + j] = (T)(acc[j] = log_add_exp(acc[j], x[i * inner + j])); \
    }
LOGCUMSUMEXP(logcumsumexp_f32, float)
LOGCUMSUMEXP(logcumsumexp_f64, double)

int pn_logcumsumexp_scan(pn_dtype dt, int64_t outer, int64_t n, int64_t inner, const void *src,
                         void *x) {
    if (dt != PN_FLOAT32 && dt != PN_FLOAT64) return PN_EINVAL;
    if (outer <= 0 || n <= 0 || inner <= 0) return PN_OK;
    double *acc = malloc((size_t)inner * sizeof *acc);
    if (!acc) return PN_ENOMEM;
    size_t block = (size_t)(n * inner) * (dt == PN_FLOAT32 ? sizeof(float) : sizeof(double));
    for (int64_t o = 0; o < outer; o++) {
        const char *s = (const char *)src + (size_t)o * block;
        char *d = (char *)x + (size_t)o * block;
        if (dt == PN_FLOAT32)
            logcumsumexp_f32(n, inner, (const float *)s, (float *)d, acc);
        else
            logcumsumexp_f64(n, inner, (const double *)s, (double *)d, acc);
    }
    free(acc);
    return PN_OK;
}

void pn_tri_zero(size_t itemsize, int64_t batch, int64_t rows, int64_t cols, int64_t k, int lower,
                 void *x) {
    char *p = x;
    /* beyond these bounds k changes nothing (and i + k cannot overflow) */
    if (k > cols) k = cols;
    if (k < -rows) k = -rows;
    for (int64_t b = 0; b < batch; b++)
        for (int64_t i = 0; i < rows; i++, p += (size_t)cols * itemsize) {
            /* the kept columns of row i: j <= i + k (lower) or j >= i + k (upper) */
            int64_t edge = i + k;
            if (lower) {
                int64_t first = edge + 1 < 0 ? 0 : edge + 1; /* first zeroed column */
                if (first < cols)
                    memset(p + first * itemsize, 0, (size_t)(cols - first) * itemsize);
            } else {
                int64_t stop = edge < 0 ? 0 : edge > cols ? cols : edge; /* zero [0, stop) */
                if (stop > 0) memset(p, 0, (size_t)stop * itemsize);
            }
        }
}
