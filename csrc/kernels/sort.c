/* sort.c - stable row sort, cumulative sum/product and the triangle mask (see sort.h). */
#include "sort.h"
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

/* Large k: the full sort of each row, cut at k. */
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
    if (k > 32) return topk_by_sort(dt, rows, n, k, x, vals, idx, descending);
    switch (dt) {
    case PN_FLOAT32:
        topk_rows_f32(rows, n, k, x, vals, idx, descending);
        break;
    case PN_FLOAT64:
        topk_rows_f64(rows, n, k, x, vals, idx, descending);
        break;
    case PN_INT64:
        topk_rows_i64(rows, n, k, x, vals, idx, descending);
        break;
    case PN_BOOL:
        topk_rows_b8(rows, n, k, x, vals, idx, descending);
        break;
    default:
        return PN_EINVAL;
    }
    return PN_OK;
}

/* One (outer, n, inner) scan; ACC is the accumulator type, STEP(acc, v) folds v in. */
#define DEFINE_SCAN(SUF, T, ACC, INIT, STEP) \
    static void scan_##SUF(int reverse, int64_t outer, int64_t n, int64_t inner, T *x) { \
        for (int64_t o = 0; o < outer; o++) \
            for (int64_t j = 0; j < inner; j++) { \
                T *p = x + o * n * inner + j; \
                ACC acc = INIT; \
                for (int64_t c = 0; c < n; c++) { \
                    int64_t i = reverse ? n - 1 - c : c; \
                    acc = STEP(acc, p[i * inner]); \
                    p[i * inner] = (T)acc; \
                } \
            } \
    }
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

int pn_scan(pn_dtype dt, int op, int reverse, int64_t outer, int64_t n, int64_t inner, void *x) {
    int prod = op == PN_SCAN_PROD;
    switch (dt) {
    case PN_FLOAT32:
        prod ? scan_prod_f32(reverse, outer, n, inner, x)
             : scan_sum_f32(reverse, outer, n, inner, x);
        return PN_OK;
    case PN_FLOAT64:
        prod ? scan_prod_f64(reverse, outer, n, inner, x)
             : scan_sum_f64(reverse, outer, n, inner, x);
        return PN_OK;
    case PN_INT64:
        prod ? scan_prod_i64(reverse, outer, n, inner, x)
             : scan_sum_i64(reverse, outer, n, inner, x);
        return PN_OK;
    default:
        return PN_EINVAL;
    }
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
