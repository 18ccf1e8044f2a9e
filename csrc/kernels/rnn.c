/* rnn.c - one RNN/LSTM/GRU layer's recurrence, forward and backward (see rnn.h).
 *
 * Per step: copy the running state into the record (hprev, cprev), one GEMM
 * adds h W_hh^T to the step's gates, one fused pass applies the gate
 * nonlinearities and the state update. The backward walks the steps in the
 * opposite order with the same pieces transposed; the weight gradients, sums
 * over every step, are then one GEMM each over all N rows of the record. With
 * several threads, each runs all the steps on a share of the batch rows
 * (forward_rows, backward_rows): the rows never mix between steps.
 *
 * Gate derivatives are written with the activations, which the record keeps:
 * sigmoid' = s (1 - s), tanh' = 1 - t^2. The activations: fastmath.h's pn_sigmoidf and
 * pn_tanhf (float32; within 1.5 and 0.57 ulp), and in float64 the sigmoid and tanh ops'
 * own, pn_sigmoid_f64_tab and pn_tanh_f64_tab (1.5 and 0.505 ulp; libm's tanh was 1.95).
 */
#include "rnn.h"
#include "fastmath.h"
#include "gemm.h"
#include "threadpool.h"
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------- the step kernels ---- */

// RNN, one step of n = b * H values: pre = xg + h W_hh^T + b_hh -> h' = act(pre)
// (kept in pre for the backward, and written to y)
#define DEFINE_RNN_CELL(NAME, T, TANH) \
    PN_SIMD_CLONES static void NAME(int relu, int64_t n, T *restrict pre, T *restrict y) { \
        for (int64_t k = 0; k < n; k++) { \
            T v = pre[k]; \
            v = relu ? (v > 0 || v != v ? v : (T)0) : TANH(v); \
            pre[k] = v, y[k] = v; \
        } \
    }
DEFINE_RNN_CELL(rnn_cell_f32, float, pn_tanhf)
DEFINE_RNN_CELL(rnn_cell_f64, double, pn_tanh_f64_tab)

// d(pre) = dh * act'(pre), with dh = dh1 + dh2 (dh2 NULL: 0) and act' from h' = act(pre).
// The loop is written twice, with and without dh2: a load under `dh2 ? ... : 0`
// is control flow, and GCC then leaves the whole loop scalar.
#define RNN_BWD_UNIT(T, DH) \
    { \
        T dh = DH; \
        dpre[k] = relu ? (h[k] > 0 || h[k] != h[k] ? dh : (T)0) : dh * ((T)1 - h[k] * h[k]); \
    }
#define DEFINE_RNN_CELL_BACKWARD(NAME, T) \
    PN_SIMD_CLONES static void NAME(int relu, int64_t n, const T *restrict h, \
                                    const T *restrict dh1, const T *restrict dh2, \
                                    T *restrict dpre) { \
        if (dh2) \
            for (int64_t k = 0; k < n; k++) RNN_BWD_UNIT(T, dh1[k] + dh2[k]) \
        else \
            for (int64_t k = 0; k < n; k++) RNN_BWD_UNIT(T, dh1[k] + (T)0) \
    }
DEFINE_RNN_CELL_BACKWARD(rnn_cell_backward_f32, float)
DEFINE_RNN_CELL_BACKWARD(rnn_cell_backward_f64, double)

// LSTM, one step, rows b, width H: gates (b, 4H) = [i f g o] pre-activations,
// turned into activations in place; cprev (b, H) -> c (b, H), tc = tanh(c), h = o tc
#define DEFINE_LSTM_CELL(NAME, T, SIG, TANH) \
    PN_SIMD_CLONES static void NAME(int64_t b, int64_t H, T *restrict gates, \
                                    const T *restrict cprev, T *restrict c, T *restrict tc, \
                                    T *restrict h) { \
        for (int64_t r = 0; r < b; r++) { \
            T *gi = gates + r * 4 * H, *gf = gi + H, *gg = gf + H, *go = gg + H; \
            for (int64_t j = 0; j < H; j++) { \
                T i = SIG(gi[j]), f = SIG(gf[j]), g = TANH(gg[j]), o = SIG(go[j]); \
                T cn = f * cprev[r * H + j] + i * g, t = TANH(cn); \
                gi[j] = i, gf[j] = f, gg[j] = g, go[j] = o; \
                c[r * H + j] = cn, tc[r * H + j] = t, h[r * H + j] = o * t; \
            } \
        } \
    }
DEFINE_LSTM_CELL(lstm_cell_f32, float, pn_sigmoidf, pn_tanhf)
DEFINE_LSTM_CELL(lstm_cell_f64, double, pn_sigmoid_f64_tab, pn_tanh_f64_tab)

// Backward of   c' = f c + i g,   h = o tanh(c'):
//   dh = dh1 + dh2;  dc' = dc + dh o (1 - tanh(c')^2)
//   di = dc' g,  df = dc' c,  dg = dc' i,  do = dh tanh(c'),  dc (out) = dc' f
// each then times its activation's derivative, into dgates (b, 4H). Unit j of
// row r, with DH its dh; the loop is written with and without dh2 (see RNN_BWD_UNIT).
#define LSTM_BWD_UNIT(T, DH) \
    { \
        int64_t k = r * H + j; \
        T i = gi[j], f = gf[j], g = gg[j], o = go[j], t = tc[k]; \
        T dh = DH; \
        T dcn = dc[k] + dh * o * ((T)1 - t * t); \
        di[j] = dcn * g * i * ((T)1 - i); \
        df[j] = dcn * cprev[k] * f * ((T)1 - f); \
        dg[j] = dcn * i * ((T)1 - g * g); \
        dO[j] = dh * t * o * ((T)1 - o); \
        dc[k] = dcn * f; \
    }
#define DEFINE_LSTM_CELL_BACKWARD(NAME, T) \
    PN_SIMD_CLONES static void NAME(int64_t b, int64_t H, const T *restrict gates, \
                                    const T *restrict cprev, const T *restrict tc, \
                                    const T *restrict dh1, const T *restrict dh2, T *restrict dc, \
                                    T *restrict dgates) { \
        for (int64_t r = 0; r < b; r++) { \
            const T *gi = gates + r * 4 * H, *gf = gi + H, *gg = gf + H, *go = gg + H; \
            T *di = dgates + r * 4 * H, *df = di + H, *dg = df + H, *dO = dg + H; \
            if (dh2) \
                for (int64_t j = 0; j < H; j++) LSTM_BWD_UNIT(T, dh1[k] + dh2[k]) \
            else \
                for (int64_t j = 0; j < H; j++) LSTM_BWD_UNIT(T, dh1[k] + (T)0) \
        } \
    }
DEFINE_LSTM_CELL_BACKWARD(lstm_cell_backward_f32, float)
DEFINE_LSTM_CELL_BACKWARD(lstm_cell_backward_f64, double)

// GRU, one step: xg (b, 3H) = x W_ih^T + b_ih, hg (b, 3H) = hprev W_hh^T + b_hh
//   r = sigmoid(xg_r + hg_r), z = sigmoid(xg_z + hg_z), n = tanh(xg_n + r hg_n)
//   h = (1 - z) n + z hprev;   gates (b, 3H) = [r z n], hn (b, H) = hg_n kept
#define DEFINE_GRU_CELL(NAME, T, SIG, TANH) \
    PN_SIMD_CLONES static void NAME(int64_t b, int64_t H, const T *restrict xg, \
                                    const T *restrict hg, const T *restrict hprev, \
                                    T *restrict gates, T *restrict hn, T *restrict h) { \
        for (int64_t r = 0; r < b; r++) { \
            const T *x = xg + r * 3 * H, *hh = hg + r * 3 * H; \
            T *gr = gates + r * 3 * H, *gz = gr + H, *gn = gz + H; \
            for (int64_t j = 0; j < H; j++) { \
                int64_t k = r * H + j; \
                T rr = SIG(x[j] + hh[j]), z = SIG(x[H + j] + hh[H + j]); \
                T n = TANH(x[2 * H + j] + rr * hh[2 * H + j]); \
                gr[j] = rr, gz[j] = z, gn[j] = n, hn[k] = hh[2 * H + j]; \
                h[k] = ((T)1 - z) * n + z * hprev[k]; \
            } \
        } \
    }
DEFINE_GRU_CELL(gru_cell_f32, float, pn_sigmoidf, pn_tanhf)
DEFINE_GRU_CELL(gru_cell_f64, double, pn_sigmoid_f64_tab, pn_tanh_f64_tab)

// Backward of   h = (1 - z) n + z hprev,  n = tanh(an),  an = xg_n + r hn:
//   dn = dh (1 - z),  dz = dh (hprev - n),  dan = dn (1 - n^2),  dr = dan hn
//   dxg = [dr r(1-r), dz z(1-z), dan],  dhg = [same, same, dan r]
//   dh1 (in: dh's carried part, out: dh z, the direct path to hprev)
// Unit j of row r, with DH its dh; written with and without dh2 (see RNN_BWD_UNIT).
#define GRU_BWD_UNIT(T, DH) \
    { \
        int64_t k = r * H + j; \
        T rr = gr[j], z = gz[j], n = gn[j]; \
        T dh = DH; \
        T dan = dh * ((T)1 - z) * ((T)1 - n * n); \
        T dar = dan * hn[k] * rr * ((T)1 - rr); \
        T daz = dh * (hprev[k] - n) * z * ((T)1 - z); \
        dx[j] = dhh[j] = dar, dx[H + j] = dhh[H + j] = daz; \
        dx[2 * H + j] = dan, dhh[2 * H + j] = dan * rr; \
        dh1[k] = dh * z; \
    }
#define DEFINE_GRU_CELL_BACKWARD(NAME, T) \
    PN_SIMD_CLONES static void NAME(int64_t b, int64_t H, const T *restrict gates, \
                                    const T *restrict hn, const T *restrict hprev, \
                                    T *restrict dh1, const T *restrict dh2, T *restrict dxg, \
                                    T *restrict dhg) { \
        for (int64_t r = 0; r < b; r++) { \
            const T *gr = gates + r * 3 * H, *gz = gr + H, *gn = gz + H; \
            T *dx = dxg + r * 3 * H, *dhh = dhg + r * 3 * H; \
            if (dh2) \
                for (int64_t j = 0; j < H; j++) GRU_BWD_UNIT(T, dh1[k] + dh2[k]) \
            else \
                for (int64_t j = 0; j < H; j++) GRU_BWD_UNIT(T, dh1[k] + (T)0) \
        } \
    }
DEFINE_GRU_CELL_BACKWARD(gru_cell_backward_f32, float)
DEFINE_GRU_CELL_BACKWARD(gru_cell_backward_f64, double)

/* ----------------------------------------------- a step's cell, on the pool ---- */

/* A cell's rows are independent, so one step's cell is split by rows over the
 * thread pool (at two threads it was an eighth of the step that only the
 * calling thread ran, beside the GEMMs that use both). Each array is given with
 * its row width in elements; a row range just advances every pointer, so the
 * values are the same at any thread count. */
enum { CELL_RNN, CELL_RNN_BWD, CELL_LSTM, CELL_LSTM_BWD, CELL_GRU, CELL_GRU_BWD };
#define CELL_ARRAYS 7
typedef struct {
    int kind, f32, relu;
    int64_t H;
    size_t sz;
    void *p[CELL_ARRAYS];   /* the cell's arrays in its argument order; NULL stays NULL */
    int64_t w[CELL_ARRAYS]; /* elements per row of each */
} cell_call;

/* Least elements of H per part: below this, waking a thread costs more than it saves. */
#define CELL_PART_MIN 2048

static void cell_rows(void *ctx, int64_t r0, int64_t r1) {
    const cell_call *c = ctx;
    void *p[CELL_ARRAYS];
    for (int k = 0; k < CELL_ARRAYS; k++)
        p[k] = c->p[k] ? (char *)c->p[k] + (size_t)(r0 * c->w[k]) * c->sz : NULL;
    int64_t n = r1 - r0, H = c->H;
    int f = c->f32;
    switch (c->kind) {
    case CELL_RNN:
        f ? rnn_cell_f32(c->relu, n * H, p[0], p[1]) : rnn_cell_f64(c->relu, n * H, p[0], p[1]);
        break;
    case CELL_RNN_BWD:
        f ? rnn_cell_backward_f32(c->relu, n * H, p[0], p[1], p[2], p[3])
          : rnn_cell_backward_f64(c->relu, n * H, p[0], p[1], p[2], p[3]);
        break;
    case CELL_LSTM:
        f ? lstm_cell_f32(n, H, p[0], p[1], p[2], p[3], p[4])
          : lstm_cell_f64(n, H, p[0], p[1], p[2], p[3], p[4]);
        break;
    case CELL_LSTM_BWD:
        f ? lstm_cell_backward_f32(n, H, p[0], p[1], p[2], p[3], p[4], p[5], p[6])
          : lstm_cell_backward_f64(n, H, p[0], p[1], p[2], p[3], p[4], p[5], p[6]);
        break;
    case CELL_GRU:
        f ? gru_cell_f32(n, H, p[0], p[1], p[2], p[3], p[4], p[5])
          : gru_cell_f64(n, H, p[0], p[1], p[2], p[3], p[4], p[5]);
        break;
    default: /* CELL_GRU_BWD */
        f ? gru_cell_backward_f32(n, H, p[0], p[1], p[2], p[3], p[4], p[5], p[6])
          : gru_cell_backward_f64(n, H, p[0], p[1], p[2], p[3], p[4], p[5], p[6]);
    }
}

/* Run cell `kind` over b rows of width H: arrays p[0..n) with row widths given
 * in units of H (gw = the gate count for gate arrays, 1 for the others). */
static void run_cell(int kind, pn_dtype dt, int relu, int64_t b, int64_t H, int n, void *const *p,
                     const int *gw) {
    cell_call c = {kind, dt == PN_FLOAT32, relu, H, pn_itemsize(dt), {NULL}, {0}};
    for (int k = 0; k < n; k++) c.p[k] = p[k], c.w[k] = gw[k] * H;
    pn_parallel_for(b, CELL_PART_MIN / (H > 0 ? H : 1) + 1, cell_rows, &c);
}

/* ------------------------------------------------------------- the layer ---- */

/* Row `row` of a contiguous matrix `p` of `width` elements per row, itemsize sz. */
#define ROW(p, row, width) ((char *)(p) + (size_t)((row) * (width)) * sz)

static inline int64_t rows_at(const pn_rnn_args *a, int64_t t) {
    return a->batch_sizes ? a->batch_sizes[t] : a->B;
}

/* dst (m, n) = src (m, n) + bias (n), either one may be NULL (read as zeros).
 * Cloned like the cells (fastmath.h): the baseline SSE2 loop was 2% of an LSTM
 * training step (its (32, 1024) gates at every step). */
#define DEFINE_ROWS_PLUS_BIAS(NAME, T) \
    PN_SIMD_CLONES static void NAME(int64_t m, int64_t n, const T *src, const T *bias, T *dst) { \
        for (int64_t r = 0; r < m; r++) { \
            T *d = dst + r * n; \
            const T *s = src ? src + r * n : NULL; \
            if (s && bias) \
                for (int64_t j = 0; j < n; j++) d[j] = s[j] + bias[j]; \
            else if (s || bias) \
                memcpy(d, s ? s : bias, (size_t)n * sizeof(T)); \
            else \
                memset(d, 0, (size_t)n * sizeof(T)); \
        } \
    }
DEFINE_ROWS_PLUS_BIAS(rows_plus_bias_f32, float)
DEFINE_ROWS_PLUS_BIAS(rows_plus_bias_f64, double)

static void rows_plus_bias(pn_dtype dt, int64_t m, int64_t n, const void *src, const void *bias,
                           void *dst) {
    dt == PN_FLOAT32 ? rows_plus_bias_f32(m, n, src, bias, dst)
                     : rows_plus_bias_f64(m, n, src, bias, dst);
}

/* Scratch of the forward: hg (B, G) GRU's hidden-side gates for one step, and
 * the weights as the per-step GEMM's right operand, prepared once per call so
 * no step copies them again: float32 packs W_hh^T (P, G) and W_hr^T (H, P) in
 * the GEMM kernel's layout (pn_sgemm_pack); float64, for sequences of 4 steps or
 * more, transposes them (w_hh^T, w_hr^T row-major: its GEMM reads them in place);
 * otherwise W itself is used (tb = 1). */
typedef struct {
    void *hg;
    const void *w_hh, *w_hr; /* W^T when tb == 0, else W itself */
    int tb;
    int64_t ld_hh, ld_hr;
    pn_sgemm_packed *p_hh, *p_hr; /* float32: packed W^T (p_hr NULL without projection) */
} rnn_fscratch;

/* y (b, N) = x (b, K) @ op(W) + beta y: the packed float32 weight when there is
 * one, else W (row stride ldw, transposed when tb). */
static int step_gemm(pn_dtype dt, int64_t b, int64_t N, int64_t K, const void *x,
                     const pn_sgemm_packed *p, const void *w, int tb, int64_t ldw, double beta,
                     void *y) {
    if (p) return pn_sgemm_with_packed(0, b, 1.0f, x, K, p, (float)beta, y, N);
    return pn_gemm(dt, 0, tb, b, N, K, x, K, w, ldw, beta, y, N);
}

// Step t of the forward for batch rows r0 .. r0+b, whose record rows start at o
// (the state h, c and GRU's hg are (B, .) arrays: their rows r0 .. r0+b):
//   hprev[o:o+b] = h[r0:r0+b]   (LSTM: cprev[o:o+b] = c[r0:r0+b] too)
//   pre (b, G) = xg[o:o+b] + b_hh + hprev W_hh^T   (GRU: hg = b_hh + hprev W_hh^T, apart)
//   the cell -> gates[o:o+b], y[o:o+b] = h'  (LSTM projection: y = htil W_hr^T)
//   h[r0:r0+b] = y[o:o+b]
static int forward_step(const pn_rnn_args *a, int64_t o, int64_t r0, int64_t b,
                        const rnn_fscratch *w) {
    size_t sz = pn_itemsize(a->dt);
    int64_t H = a->H, P = a->P, G = pn_rnn_gates(a->mode) * H;
    int gru = a->mode == PN_RNN_GRU;
    char *hp = ROW(a->hprev, o, P), *g = ROW(a->gates, o, G), *y = ROW(a->y, o, P);
    char *h = ROW(a->h, r0, P), *c = a->c ? ROW(a->c, r0, H) : NULL;
    char *hg = gru ? ROW(w->hg, r0, G) : NULL;
    const char *xg = ROW(a->xg, o, G);
    void *pre = gru ? hg : g;
    memcpy(hp, h, (size_t)(b * P) * sz);
    rows_plus_bias(a->dt, b, G, gru ? NULL : xg, a->b_hh, pre);
    if (step_gemm(a->dt, b, G, P, hp, w->p_hh, w->w_hh, w->tb, w->ld_hh, 1.0, pre))
        return PN_ENOMEM;
    if (a->mode == PN_RNN_TANH || a->mode == PN_RNN_RELU) {
        void *p[] = {g, y};
        run_cell(CELL_RNN, a->dt, a->mode == PN_RNN_RELU, b, H, 2, p, (int[]){1, 1});
    } else if (a->mode == PN_RNN_LSTM) {
        char *cp = ROW(a->cprev, o, H), *tc = ROW(a->aux, o, H);
        char *ht = a->w_hr ? ROW(a->htil, o, H) : y;
        memcpy(cp, c, (size_t)(b * H) * sz);
        void *p[] = {g, cp, c, tc, ht};
        run_cell(CELL_LSTM, a->dt, 0, b, H, 5, p, (int[]){4, 1, 1, 1, 1});
        if (a->w_hr && step_gemm(a->dt, b, P, H, ht, w->p_hr, w->w_hr, w->tb, w->ld_hr, 0.0, y))
            return PN_ENOMEM;
    } else {
        void *p[] = {(void *)xg, hg, hp, g, ROW(a->aux, o, H), y};
        run_cell(CELL_GRU, a->dt, 0, b, H, 6, p, (int[]){3, 3, 1, 3, 1, 1});
    }
    memcpy(h, y, (size_t)(b * P) * sz);
    return 0;
}

/* The batch's rows never mix in the recurrence: row r of step t+1 reads only row r
 * of step t (h, c), the weights, and record rows of its own. So with several
 * threads each runs every step on a share of the rows, with no synchronisation
 * between steps; its GEMMs and cells then run on that thread alone. Stepping all
 * rows together instead cost a wake-up and a wait of the pool per GEMM and per
 * cell, at every step (at 2 threads about 8% of an LSTM step's CPU time went to
 * the pool). A row's arithmetic is the same on any share, so the bits do not
 * depend on the thread count. Below 2 * RNN_PART_ROWS rows the steps run on all
 * rows at once, and their GEMMs and cells use the pool as usual. */
#define RNN_PART_ROWS 8
typedef struct {
    const pn_rnn_args *a;
    const pn_rnn_grads *d; /* the backward's, else NULL */
    const void *w;         /* rnn_fscratch (forward) or rnn_scratch (backward) */
    int64_t N;             /* record rows: every step's rows */
    atomic_int err;
} rnn_rows_job;

/* Run fn (forward_rows or backward_rows) on batch rows [0, B). */
static int run_rows(pn_range_fn fn, rnn_rows_job *j) {
    int64_t B = j->a->B;
    if (pn_parallel_threads() > 1 && B >= 2 * RNN_PART_ROWS)
        pn_parallel_for(B, RNN_PART_ROWS, fn, j);
    else
        fn(j, 0, B);
    return atomic_load(&j->err);
}

/* forward_rows and backward_rows (below, after backward_step): every step of the
 * layer on a range of batch rows. */
static void forward_rows(void *ctx, int64_t r0, int64_t r1);
static void backward_rows(void *ctx, int64_t r0, int64_t r1);

/* dst (cols, rows) = src (rows, cols) transposed. */
static void transpose(pn_dtype dt, int64_t rows, int64_t cols, const void *src, void *dst) {
    for (int64_t i = 0; i < rows; i++)
        for (int64_t j = 0; j < cols; j++)
            if (dt == PN_FLOAT32)
                ((float *)dst)[j * rows + i] = ((const float *)src)[i * cols + j];
            else
                ((double *)dst)[j * rows + i] = ((const double *)src)[i * cols + j];
}

int pn_rnn_forward(const pn_rnn_args *a) {
    size_t sz = pn_itemsize(a->dt);
    int64_t G = pn_rnn_gates(a->mode) * a->H, N = 0;
    for (int64_t t = 0; t < a->T; t++) N += rows_at(a, t);
    rnn_fscratch w = {NULL, a->w_hh, a->w_hr, 1, a->P, a->H, NULL, NULL};
    void *wt_hh = NULL, *wt_hr = NULL;
    int rc = PN_ENOMEM;
    if (a->mode == PN_RNN_GRU && !(w.hg = malloc((size_t)(a->B * G) * sz + 1))) goto out;
    if (a->dt == PN_FLOAT32) {
        if (!(w.p_hh = pn_sgemm_pack(1, a->P, G, a->w_hh, a->P)) ||
            (a->w_hr && !(w.p_hr = pn_sgemm_pack(1, a->H, a->P, a->w_hr, a->H))))
            goto out;
    } else if (a->T >= 4) {
        if (!(wt_hh = malloc((size_t)(G * a->P) * sz + 1)) ||
            (a->w_hr && !(wt_hr = malloc((size_t)(a->H * a->P) * sz + 1))))
            goto out;
        transpose(a->dt, G, a->P, a->w_hh, wt_hh);
        if (a->w_hr) transpose(a->dt, a->P, a->H, a->w_hr, wt_hr);
        w = (rnn_fscratch){w.hg, wt_hh, wt_hr, 0, G, a->P, NULL, NULL};
    }
    rnn_rows_job job = {a, NULL, &w, N, 0};
    if (run_rows(forward_rows, &job)) goto out;
    rc = 0;
out:
    free(w.hg), free(wt_hh), free(wt_hr);
    pn_sgemm_packed_free(w.p_hh), pn_sgemm_packed_free(w.p_hr);
    return rc;
}

/* Scratch of the backward: dhg (N, G) is the hidden side's gate gradient (the
 * same as dxg but for GRU's n gate); dhs (N, P) every step's total dL/dh'
 * (projection only: dW_hr sums over it); dht (B, H) one step's dL/dhtil. */
typedef struct {
    void *dhg, *dhs, *dht;
    pn_sgemm_packed *p_hh, *p_hr; /* float32: W_hh (G, P) and W_hr (P, H) packed once */
} rnn_scratch;

// Step t of the backward for batch rows r0 .. r0+b, whose record rows start at o
// (dh, dc and the projection's dht are (B, .): their rows r0 .. r0+b). The
// gradient reaching h' = y[o:o+b] is dh (carried from step t+1) + dy[o:o+b]:
//   the cell's backward -> dxg[o:o+b], dhg[o:o+b]  (and dc = dL/dcprev)
//   dh = dhg[o:o+b] W_hh     (+ dh z for GRU, whose h' has hprev directly)
static int backward_step(const pn_rnn_args *a, const pn_rnn_grads *d, const rnn_scratch *w,
                         int64_t o, int64_t r0, int64_t b) {
    size_t sz = pn_itemsize(a->dt);
    int64_t H = a->H, P = a->P, G = pn_rnn_gates(a->mode) * H;
    const char *g = ROW(a->gates, o, G), *dy = d->dy ? ROW(d->dy, o, P) : NULL;
    char *dx = ROW(d->dxg, o, G), *dhg = a->mode == PN_RNN_GRU ? ROW(w->dhg, o, G) : dx;
    char *dh = ROW(d->dh, r0, P), *dc = d->dc ? ROW(d->dc, r0, H) : NULL;
    if (a->mode == PN_RNN_TANH || a->mode == PN_RNN_RELU) {
        void *p[] = {(void *)g, dh, (void *)dy, dx};
        run_cell(CELL_RNN_BWD, a->dt, a->mode == PN_RNN_RELU, b, H, 4, p, (int[]){1, 1, 1, 1});
    } else if (a->mode == PN_RNN_LSTM) {
        const char *cp = ROW(a->cprev, o, H), *tc = ROW(a->aux, o, H);
        const void *dh1 = dh, *dh2 = dy;
        if (a->w_hr) { /* y = htil W_hr^T: dhtil = (dh + dy) W_hr */
            char *dhs = ROW(w->dhs, o, P), *dht = ROW(w->dht, r0, H);
            rows_plus_bias(a->dt, 1, b * P, dh, dy, dhs); /* dh + dy, as one row */
            if (step_gemm(a->dt, b, H, P, dhs, w->p_hr, a->w_hr, 0, H, 0.0, dht)) return PN_ENOMEM;
            dh1 = dht, dh2 = NULL;
        }
        void *p[] = {(void *)g, (void *)cp, (void *)tc, (void *)dh1, (void *)dh2, dc, dx};
        run_cell(CELL_LSTM_BWD, a->dt, 0, b, H, 7, p, (int[]){4, 1, 1, 1, 1, 1, 4});
    } else {
        void *p[] = {(void *)g, ROW(a->aux, o, H), ROW(a->hprev, o, P), dh, (void *)dy, dx, dhg};
        run_cell(CELL_GRU_BWD, a->dt, 0, b, H, 7, p, (int[]){3, 1, 1, 1, 1, 3, 3});
    }
    double beta = a->mode == PN_RNN_GRU ? 1.0 : 0.0;
    return step_gemm(a->dt, b, P, G, dhg, w->p_hh, a->w_hh, 0, P, beta, dh) ? PN_ENOMEM : 0;
}

/* Every step on batch rows [r0, r1), the forward's or the backward's. The record
 * holds the steps in time order, step t from row o = rows_at(0) + ... +
 * rows_at(t - 1) (packed sequences: step t has rows_at(t) rows, the first of the
 * batch). The forward walks time upwards and the backward downwards, each the
 * other way round for a reversed layer. */
static void walk_rows(rnn_rows_job *j, int64_t r0, int64_t r1, int backward) {
    const pn_rnn_args *a = j->a;
    int up = a->reverse == backward;
    int64_t o = up ? 0 : j->N;
    for (int64_t i = 0; i < a->T; i++) {
        int64_t t = up ? i : a->T - 1 - i, b = rows_at(a, t), e = b < r1 ? b : r1;
        if (!up) o -= b;
        if (e > r0 && (backward ? backward_step(a, j->d, j->w, o + r0, r0, e - r0)
                                : forward_step(a, o + r0, r0, e - r0, j->w))) {
            atomic_store(&j->err, PN_ENOMEM);
            return;
        }
        if (up) o += b;
    }
}
static void forward_rows(void *ctx, int64_t r0, int64_t r1) {
    walk_rows(ctx, r0, r1, 0);
}
static void backward_rows(void *ctx, int64_t r0, int64_t r1) {
    walk_rows(ctx, r0, r1, 1);
}

/* acc (n) += the column sums of x (m, n), in double row by row (a fixed order:
 * the same bits at any thread count); cloned, so the AVX2 and AVX-512 versions
 * convert and add vectors of columns. */
#define DEFINE_COLUMN_SUMS(NAME, T) \
    PN_SIMD_CLONES static void NAME(int64_t m, int64_t n, const T *restrict x, \
                                    double *restrict acc) { \
        for (int64_t r = 0; r < m; r++) \
            for (int64_t j = 0; j < n; j++) acc[j] += (double)x[r * n + j]; \
    }
DEFINE_COLUMN_SUMS(column_sums_f32, float)
DEFINE_COLUMN_SUMS(column_sums_f64, double)

/* out (n) = the column sums of x (m, n), rounded once to dt. */
static int column_sums(pn_dtype dt, int64_t m, int64_t n, const void *x, void *out) {
    double *acc = calloc((size_t)n + 1, sizeof *acc);
    if (!acc) return PN_ENOMEM;
    if (dt == PN_FLOAT32)
        column_sums_f32(m, n, x, acc);
    else
        column_sums_f64(m, n, x, acc);
    for (int64_t j = 0; j < n; j++)
        dt == PN_FLOAT32 ? (void)(((float *)out)[j] = (float)acc[j])
                         : (void)(((double *)out)[j] = acc[j]);
    free(acc);
    return 0;
}

// The weights are used at every step, so their gradients sum over all N rows:
//   dW_hh (G, P) = dhg^T hprev,   db_hh = dhg summed over rows,   dW_hr (P, H) = dhs^T htil
static int weight_grads(const pn_rnn_args *a, const pn_rnn_grads *d, const rnn_scratch *w,
                        int64_t N) {
    int64_t H = a->H, P = a->P, G = pn_rnn_gates(a->mode) * H;
    const void *dhg = a->mode == PN_RNN_GRU ? w->dhg : d->dxg;
    if (d->dw_hh && pn_gemm(a->dt, 1, 0, G, P, N, dhg, G, a->hprev, P, 0.0, d->dw_hh, P))
        return PN_ENOMEM;
    if (d->db_hh && column_sums(a->dt, N, G, dhg, d->db_hh)) return PN_ENOMEM;
    if (d->dw_hr && pn_gemm(a->dt, 1, 0, P, H, N, w->dhs, P, a->htil, H, 0.0, d->dw_hr, H))
        return PN_ENOMEM;
    return 0;
}

int pn_rnn_backward(const pn_rnn_args *a, const pn_rnn_grads *d) {
    size_t sz = pn_itemsize(a->dt);
    int64_t G = pn_rnn_gates(a->mode) * a->H, N = 0;
    for (int64_t t = 0; t < a->T; t++) N += rows_at(a, t);
    rnn_scratch w = {NULL, NULL, NULL, NULL, NULL};
    int proj = a->mode == PN_RNN_LSTM && a->w_hr, rc = PN_ENOMEM;
    if (a->dt == PN_FLOAT32 && (!(w.p_hh = pn_sgemm_pack(0, G, a->P, a->w_hh, a->P)) ||
                                (proj && !(w.p_hr = pn_sgemm_pack(0, a->P, a->H, a->w_hr, a->H)))))
        goto out;
    if (a->mode == PN_RNN_GRU && !(w.dhg = malloc((size_t)(N * G) * sz + 1))) goto out;
    if (proj && !(w.dhs = malloc((size_t)(N * a->P) * sz + 1))) goto out;
    if (proj && !(w.dht = malloc((size_t)(a->B * a->H) * sz + 1))) goto out;
    rnn_rows_job job = {a, d, &w, N, 0};
    if (run_rows(backward_rows, &job)) goto out;
    rc = weight_grads(a, d, &w, N);
out:
    free(w.dhg), free(w.dhs), free(w.dht);
    pn_sgemm_packed_free(w.p_hh), pn_sgemm_packed_free(w.p_hr);
    return rc;
}
