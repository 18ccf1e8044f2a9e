/* reduce_parallel.c - running a reduction over a whole tensor; see reduce.h.
 *
 * Big reductions into few accumulators are split into parts: each part folds
 * its share of the input (flat positions [p*numel/parts, (p+1)*numel/parts))
 * into a private copy of the accumulators, and the copies are folded together,
 * in order, at the end. The threads share out the parts. How many parts there
 * are depends only on the sizes, never on the thread count, so the additions
 * are grouped the same way and the result is bit-identical at any number of
 * threads.
 */
#include "reduce.h"
#include "threadpool.h"
#include "elementwise.h"
#include <stdlib.h>
#include <string.h>

#define PN_REDUCE_GRAIN     32768 /* input elements per part, at least */
#define PN_REDUCE_MAX_PARTS 16

typedef struct {
    pn_iter its[PN_REDUCE_MAX_PARTS];
    int parts;
    int64_t numel;
    pn_loop_fn fn;
} reduce_job;

static void reduce_parts(void *ctx, int64_t begin, int64_t end) {
    reduce_job *job = ctx;
    for (int64_t p = begin; p < end; p++)
        pn_iter_run_range(&job->its[p], job->fn, NULL, p * job->numel / job->parts,
                          (p + 1) * job->numel / job->parts);
}

/* Up to 16 parts of at least PN_REDUCE_GRAIN elements, their accumulator
 * copies together under an eighth of the input. */
static int reduce_part_count(int64_t numel, int64_t nacc) {
    if (numel < 4 * PN_REDUCE_GRAIN) return 1;
    int64_t parts = numel / PN_REDUCE_GRAIN;
    if (parts > PN_REDUCE_MAX_PARTS) parts = PN_REDUCE_MAX_PARTS;
    while (parts > 1 && nacc * parts * 8 > numel) parts--;
    return (int)parts;
}

/* Fill the contiguous accumulators at `base` (shape kshape) with op's identity and
 * set up the iteration that folds `in` into them. */
static void reduce_part_setup(pn_iter *it, pn_reduce_op op, pn_dtype in_dt, int ndim,
                              const int64_t *shape, uint32_t mask, const int64_t *kshape,
                              const char *in, const int64_t *in_st, char *base) {
    pn_dtype acc_dt = pn_reduce_acc_dtype(op, in_dt);
    int64_t item = (int64_t)pn_itemsize(acc_dt), kst[PN_MAX_DIMS], st[2][PN_MAX_DIMS], s = item;
    for (int d = ndim - 1; d >= 0; d--) { /* contiguous strides of the accumulators */
        kst[d] = s;
        s *= kshape[d] > 1 ? kshape[d] : 1;
    }
    char ident[8];
    pn_reduce_identity(op, acc_dt, ident);
    pn_iter fill;
    char *fdata[1] = {base};
    pn_iter_init(&fill, 1, fdata, ndim, kshape, (const int64_t (*)[PN_MAX_DIMS]) & kst);
    pn_iter_run_range(&fill, pn_fill_loop(acc_dt), ident, 0, fill.numel);
    for (int d = 0; d < ndim; d++) {
        st[0][d] = (mask & (1u << d)) ? 0 : kst[d]; /* every reduced position, one acc */
        st[1][d] = in_st[d];
    }
    char *data[2] = {base, (char *)in};
    pn_iter_init(it, 2, data, ndim, shape, (const int64_t (*)[PN_MAX_DIMS])st);
}

/* The float32 sum over the leading dims of a contiguous input, as a matrix
 * (R, C) whose column sums are wanted: part p takes rows [p R / parts,
 * (p + 1) R / parts) into its own accumulators (zeroed here). */
typedef struct {
    const float *in;
    int64_t R, C;
    int parts;
    double *acc[PN_REDUCE_MAX_PARTS];
} colsum_job;

static void colsum_parts(void *ctx, int64_t begin, int64_t end) {
    colsum_job *job = ctx;
    for (int64_t p = begin; p < end; p++) {
        int64_t r0 = p * job->R / job->parts, r1 = (p + 1) * job->R / job->parts;
        memset(job->acc[p], 0, (size_t)job->C * sizeof(double));
        pn_colsum_f32(job->in + r0 * job->C, r1 - r0, job->C, job->C, job->acc[p]);
    }
}

/* A C-contiguous input (byte strides in_st, elements of es bytes) as a matrix
 * (R, C): dims 0 .. k-1 are its rows, dims k .. ndim-1 its columns. 0 if the
 * input is not C-contiguous. */
static int as_matrix(int ndim, const int64_t *shape, const int64_t *in_st, int64_t es, int k,
                     int64_t *R, int64_t *C) {
    int64_t s = es, r = 1, c = 1;
    for (int d = ndim - 1; d >= 0; d--) {
        if (shape[d] != 1 && in_st[d] != s) return 0;
        s *= shape[d];
        if (d < k)
            r *= shape[d];
        else
            c *= shape[d];
    }
    *R = r, *C = c;
    return 1;
}

/* R, C when the reduction is a float32 sum over dims 0 .. k-1 (k >= 1) of a
 * C-contiguous input, keeping C >= 2 elements per row; else 0. */
static int colsum_shape(pn_reduce_op op, pn_dtype in_dt, int ndim, const int64_t *shape,
                        uint32_t mask, const int64_t *in_st, int64_t *R, int64_t *C) {
    if (op != PN_RSUM || in_dt != PN_FLOAT32) return 0;
    int k = 0;
    while (k < ndim && (mask & (1u << k))) k++;
    if (k == 0 || (mask >> k) != 0) return 0;
    return as_matrix(ndim, shape, in_st, (int64_t)sizeof(float), k, R, C) && *C >= 2;
}

/* The float sum over the trailing dims k .. ndim-1 (k >= 1) of a C-contiguous
 * input, as a matrix (R, C) whose row sums are wanted: rows over the pool,
 * each summed whole (pn_rowsum). */
typedef struct {
    pn_dtype dt;
    const char *in;
    int64_t R, C;
    double *acc;
} rowsum_job;

/* Rows r0 .. r1 of the job, in the blocks of PN_ROWSUM_BLOCK rows counted from row 0
 * whatever the split: the chunk holding a block's first row sums the whole block
 * (past r1 if need be) and the next chunk skips the rest of it; the rows after the
 * last whole block go one by one. So each row takes the same path at any thread
 * count. */
static void rowsum_rows(void *ctx, int64_t r0, int64_t r1) {
    rowsum_job *job = ctx;
    int64_t es = (int64_t)pn_itemsize(job->dt), blk = PN_ROWSUM_BLOCK(job->dt, job->C);
    int64_t whole = job->R - job->R % blk;   /* rows in whole blocks */
    int64_t b0 = (r0 + blk - 1) / blk * blk; /* the first block starting in the chunk */
    int64_t b1 = r1 < whole ? (r1 + blk - 1) / blk * blk : whole;
    if (b0 < b1)
        pn_rowsum(job->dt, job->in + b0 * job->C * es, b1 - b0, job->C, job->C, job->acc + b0);
    int64_t t = r0 > whole ? r0 : whole;
    if (t < r1) pn_rowsum(job->dt, job->in + t * job->C * es, r1 - t, job->C, job->C, job->acc + t);
}

/* R, C when the reduction is a float sum over dims k .. ndim-1 (k >= 1) of a
 * C-contiguous input and either fits one part or has at least as many rows as
 * the parts could be (so the split by rows is as wide; a few long rows are
 * left to the parts, which cut inside rows); else 0. */
static int rowsum_shape(pn_reduce_op op, pn_dtype in_dt, int ndim, const int64_t *shape,
                        uint32_t mask, const int64_t *in_st, int parts, int64_t *R, int64_t *C) {
    if (op != PN_RSUM || (in_dt != PN_FLOAT32 && in_dt != PN_FLOAT64) || ndim < 2) return 0;
    int k = ndim;
    while (k > 0 && (mask & (1u << (k - 1)))) k--;
    if (k == 0 || k == ndim || (mask & ((1u << k) - 1)) != 0) return 0;
    return as_matrix(ndim, shape, in_st, (int64_t)pn_itemsize(in_dt), k, R, C) && *C >= 1 &&
           (parts == 1 || *R >= PN_REDUCE_MAX_PARTS);
}

static int reduce_run_acc(pn_reduce_op op, pn_dtype in_dt, int ndim, const int64_t *shape,
                          uint32_t mask, const char *in, const int64_t *in_st, char *acc) {
    int64_t kshape[PN_MAX_DIMS], numel = 1, nacc = 1;
    for (int d = 0; d < ndim; d++) {
        kshape[d] = (mask & (1u << d)) ? 1 : shape[d];
        numel *= shape[d], nacc *= kshape[d];
    }
    pn_dtype acc_dt = pn_reduce_acc_dtype(op, in_dt);
    int64_t bytes = nacc * (int64_t)pn_itemsize(acc_dt);
    int parts = reduce_part_count(numel, nacc);
    int64_t R, C;
    if (rowsum_shape(op, in_dt, ndim, shape, mask, in_st, parts, &R, &C)) {
        rowsum_job rj = {.dt = in_dt, .in = in, .R = R, .C = C, .acc = (double *)acc};
        pn_parallel_for(R, C >= PN_REDUCE_GRAIN ? 1 : PN_REDUCE_GRAIN / C, rowsum_rows, &rj);
        return PN_OK;
    }
    char *priv = NULL; /* accumulators of parts 1 .. parts-1, one after the other */
    if (parts > 1 && !(priv = malloc((size_t)((parts - 1) * bytes)))) parts = 1;
    if (colsum_shape(op, in_dt, ndim, shape, mask, in_st, &R, &C)) {
        colsum_job cj = {.in = (const float *)in, .R = R, .C = C, .parts = parts};
        for (int p = 0; p < parts; p++)
            cj.acc[p] = (double *)(p == 0 ? acc : priv + (p - 1) * bytes);
        if (parts == 1)
            colsum_parts(&cj, 0, 1);
        else
            pn_parallel_for(parts, 1, colsum_parts, &cj);
    } else {
        reduce_job job; /* not zero-filled: only its[0 .. parts) are set and read */
        job.parts = parts, job.numel = numel, job.fn = pn_reduce_loop(op, in_dt);
        for (int p = 0; p < parts; p++)
            reduce_part_setup(&job.its[p], op, in_dt, ndim, shape, mask, kshape, in, in_st,
                              p == 0 ? acc : priv + (p - 1) * bytes);
        if (parts == 1)
            pn_iter_run_range(&job.its[0], job.fn, NULL, 0, job.its[0].numel);
        else
            pn_parallel_for(parts, 1, reduce_parts, &job);
    }
    for (int p = 1; p < parts; p++) { /* acc[i] = combine(acc[i], priv_p[i]), in order */
        pn_iter it;
        char *data[2] = {acc, priv + (p - 1) * bytes};
        int64_t item = (int64_t)pn_itemsize(acc_dt), st[2][PN_MAX_DIMS] = {{item}, {item}};
        pn_iter_init(&it, 2, data, 1, &nacc, (const int64_t (*)[PN_MAX_DIMS])st);
        pn_iter_run_range(&it, pn_reduce_loop(op, acc_dt), NULL, 0, nacc);
    }
    free(priv);
    return PN_OK;
}

/* pn_var_rows's chunks: long enough that a chunk's fold is nothing beside its
 * pass, short enough that a 4M-element row makes 64 of them for the pool. */
#define PN_VAR_CHUNK 65536

typedef struct {
    pn_dtype dt;
    const char *A;
    int64_t C, K; /* row length, chunks per row */
    const double *mean;
    double *part; /* part[r K + k]: chunk k of row r */
} var_job;

static void var_chunks(void *ctx, int64_t begin, int64_t end) {
    const var_job *job = ctx;
    int64_t es = (int64_t)pn_itemsize(job->dt);
    for (int64_t t = begin; t < end; t++) {
        int64_t r = t / job->K, j0 = (t % job->K) * PN_VAR_CHUNK;
        int64_t len = job->C - j0 < PN_VAR_CHUNK ? job->C - j0 : PN_VAR_CHUNK;
        pn_sqdev_rows(job->dt, job->A + (r * job->C + j0) * es, 1, len, len, job->mean + r,
                      job->part + t);
    }
}

// A (R, C) -> mean (R), ss (R) = sum_j (A[r][j] - mean[r])^2
int pn_var_rows(pn_dtype dt, const void *A, int64_t R, int64_t C, double *mean, double *ss) {
    int64_t es = (int64_t)pn_itemsize(dt), shape[2] = {R, C}, st[2] = {C * es, es};
    int rc = pn_reduce_run(PN_RSUM, dt, 2, shape, 2u, A, st, (char *)mean, 1.0 / (double)C);
    if (rc != PN_OK) return rc;
    int64_t K = (C + PN_VAR_CHUNK - 1) / PN_VAR_CHUNK;
    double *part = K == 1 ? ss : malloc((size_t)(R * K) * sizeof(double));
    if (!part) return PN_ENOMEM;
    var_job job = {.dt = dt, .A = A, .C = C, .K = K, .mean = mean, .part = part};
    int64_t per = C < PN_VAR_CHUNK ? C : PN_VAR_CHUNK;
    pn_parallel_for(R * K, per >= PN_REDUCE_GRAIN ? 1 : PN_REDUCE_GRAIN / per, var_chunks, &job);
    if (K > 1) {
        for (int64_t r = 0; r < R; r++) {
            double acc = 0;
            for (int64_t k = 0; k < K; k++) acc += part[r * K + k];
            ss[r] = acc;
        }
        free(part);
    }
    return PN_OK;
}

int pn_reduce_run(pn_reduce_op op, pn_dtype in_dt, int ndim, const int64_t *shape, uint32_t mask,
                  const char *in, const int64_t *in_st, char *acc, double scale) {
    int rc = reduce_run_acc(op, in_dt, ndim, shape, mask, in, in_st, acc);
    if (rc == PN_OK && scale != 1.0 && pn_reduce_acc_dtype(op, in_dt) == PN_FLOAT64) {
        int64_t nacc = 1;
        for (int d = 0; d < ndim; d++) nacc *= (mask & (1u << d)) ? 1 : shape[d];
        for (int64_t i = 0; i < nacc; i++) ((double *)acc)[i] *= scale;
    }
    return rc;
}
