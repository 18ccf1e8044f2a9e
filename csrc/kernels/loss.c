/* loss.c - see loss.h.
 *
 * Each kernel is written once as a macro over the element type T and expanded
 * for float and double, one line per function, which names it. Sums are
 * accumulated in double.
 */
#include "loss.h"
#include "fastmath.h"
#include "threadpool.h"
#include <math.h>
#include <stdlib.h>

/* ------------------------------------------------------------- nll loss ---- */

/* dx = -g q in one pass, q = w_t onehot(t): the products the graph's mul and neg
 * would make, in the same order: -(g w_t) at a position's target, -(g 0) elsewhere
 * (-0 for g >= 0, NaN for a NaN g; g = -1 gives q itself). g is per position (i * gs; gs = 0: one
 * value for all). Rows of dx are filled class by class, so positions (S of them) run contiguously.
 */
#define NLL_LOSS_BACKWARD(NAME, T) \
    static void NAME(const pn_nll_loss_args *a, const T *G, int64_t gs, T *DX) { \
        const int64_t N = a->N, C = a->C, S = a->S; \
        const T *W = a->weight; \
        for (int64_t n = 0; n < N; n++) { \
            const T *g = G + n * S * gs; \
            T *dx = DX + n * C * S; \
            if (gs == 0) { \
                const T zero = -(g[0] * (T)0); \
                for (int64_t j = 0; j < C * S; j++) dx[j] = zero; \
            } else \
                for (int64_t c = 0; c < C; c++) \
                    for (int64_t s = 0; s < S; s++) dx[c * S + s] = -(g[s * gs] * (T)0); \
            for (int64_t s = 0; s < S; s++) { \
                int64_t t = a->target[n * S + s]; \
                if (t != a->ignore_index && t >= 0 && t < C) \
                    dx[t * S + s] = -(g[s * gs] * (W ? W[t] : (T)1)); \
            } \
        } \
    }
NLL_LOSS_BACKWARD(nll_loss_backward_f32, float)
NLL_LOSS_BACKWARD(nll_loss_backward_f64, double)

#define NLL_LOSS_FORWARD(NAME, T) \
    static int NAME(const pn_nll_loss_args *a, const T *X, T *loss, double *wsum, int64_t *bad) { \
        const int64_t N = a->N, C = a->C, S = a->S; \
        const T *W = a->weight; \
        double total = 0; \
        for (int64_t n = 0; n < N; n++) \
            for (int64_t s = 0; s < S; s++) { \
                const int64_t i = n * S + s; \
                int64_t t = a->target[i]; \
                if (t == a->ignore_index) { \
                    loss[i] = 0; \
                    continue; \
                } \
                if (t < 0 || t >= C) { \
                    *bad = t; \
                    return PN_EINVAL; \
                } \
                T wt = W ? W[t] : (T)1; \
                loss[i] = -wt * X[(n * C + t) * S + s]; \
                total += (double)wt; \
            } \
        *wsum = total; \
        return PN_OK; \
    }
NLL_LOSS_FORWARD(nll_loss_forward_f32, float)
NLL_LOSS_FORWARD(nll_loss_forward_f64, double)

void pn_nll_loss_backward(pn_dtype dt, const pn_nll_loss_args *a, const void *g, int64_t gs,
                          void *dx) {
    if (dt == PN_FLOAT32) nll_loss_backward_f32(a, g, gs, dx);
    if (dt == PN_FLOAT64) nll_loss_backward_f64(a, g, gs, dx);
}

int pn_nll_loss_forward(pn_dtype dt, const pn_nll_loss_args *a, const void *logp, void *loss,
                        double *wsum, int64_t *bad_target) {
    if (dt == PN_FLOAT32) return nll_loss_forward_f32(a, logp, loss, wsum, bad_target);
    if (dt == PN_FLOAT64) return nll_loss_forward_f64(a, logp, loss, wsum, bad_target);
    return PN_EINVAL;
}

/* ------------------------------------------------------ pointwise losses ---- */

/* softplus(z) = log(1 + exp(z)) = max(z, 0) + log1p(exp(-|z|)): never overflows. */
static inline double softplus(double z) {
    return (z > 0 ? z : 0) + log1p(exp(-fabs(z)));
}
static inline double sign_of(double d) {
    return (double)((d > 0) - (d < 0));
}

/* The loss of one element; computed in double, stored in the element type. */
static inline double pointwise_loss_value(pn_pointwise_loss kind, double x, double y, double w,
                                          double pw, double param) {
    double d = x - y, ad = fabs(d);
    switch (kind) {
    case PN_LOSS_MSE:
        return d * d;
    case PN_LOSS_L1:
        return ad;
    case PN_LOSS_SMOOTH_L1:
        if (param == 0) return ad;
        return ad < param ? 0.5 * d * d / param : ad - 0.5 * param;
    case PN_LOSS_HUBER:
        return ad < param ? 0.5 * d * d : param * (ad - 0.5 * param);
    case PN_LOSS_BCE: {
        double lx = log(x), l1x = log1p(-x);
        lx = lx < -100 ? -100 : lx; /* log(0) = -inf would make 0 * inf = nan */
        l1x = l1x < -100 ? -100 : l1x;
        return w * ((y - 1) * l1x - y * lx);
    }
    case PN_LOSS_BCE_LOGITS: /* -log sigmoid(x) = softplus(-x), -log(1 - sigmoid(x)) = x +
                                softplus(-x) */
        return w * ((1 - y) * x + (1 + (pw - 1) * y) * softplus(-x));
    case PN_LOSS_KL:
        return (y == 0 ? 0 : y * log(y)) - y * x; /* xlogy(y, y) - y x */
    case PN_LOSS_KL_LOG:
        return exp(y) * (y - x);
    default:
        return NAN;
    }
}

#define POINTWISE_LOSS_FORWARD(NAME, T) \
    PN_SIMD_CLONES static int NAME(pn_pointwise_loss kind, int64_t n, const T *x, const T *y, \
                                   const T *w, const T *pw, double param, T *out) { \
        if (kind == PN_LOSS_BCE) \
            for (int64_t i = 0; i < n; i++) { \
                if (!(x[i] >= 0 && x[i] <= 1)) return PN_EINVAL; \
                if (!(y[i] >= 0 && y[i] <= 1)) return PN_EOVERFLOW; \
            } \
        /* the regression losses as plain loops that vectorize (through the switch of \
         * pointwise_loss_value, one element at a time, smooth_l1_loss of 0.5 M floats \
         * took 4.7 ms, 35x PyTorch's time): its formulas in double, selects for the \
         * branches, smooth L1's division by beta as a product by 0.5 / beta */ \
        if (kind == PN_LOSS_MSE) { /* the hot one, in T as it always was */ \
            for (int64_t i = 0; i < n; i++) out[i] = (x[i] - y[i]) * (x[i] - y[i]); \
            return PN_OK; \
        } \
        if (kind == PN_LOSS_L1 || (kind == PN_LOSS_SMOOTH_L1 && param == 0)) { \
            for (int64_t i = 0; i < n; i++) out[i] = (T)fabs((double)x[i] - (double)y[i]); \
            return PN_OK; \
        } \
        if (kind == PN_LOSS_SMOOTH_L1) { /* 0.5 d^2 / beta as d^2 (0.5 / beta): no divisions */ \
            double hb = 0.5 / param; \
            for (int64_t i = 0; i < n; i++) { \
                double d = (double)x[i] - (double)y[i], ad = fabs(d); \
                out[i] = (T)(ad < param ? d * d * hb : ad - 0.5 * param); \
            } \
        } \
        if (kind == PN_LOSS_HUBER) \
            for (int64_t i = 0; i < n; i++) { \
                double d = (double)x[i] - (double)y[i], ad = fabs(d); \
                out[i] = (T)(ad < param ? 0.5 * d * d : param * (ad - 0.5 * param)); \
            } \
        if (kind == PN_LOSS_SMOOTH_L1 || kind == PN_LOSS_HUBER) return PN_OK; \
        for (int64_t i = 0; i < n; i++) \
            out[i] = \
                (T)pointwise_loss_value(kind, x[i], y[i], w ? w[i] : 1, pw ? pw[i] : 1, param); \
        return PN_OK; \
    }
POINTWISE_LOSS_FORWARD(pointwise_loss_forward_f32, float)
POINTWISE_LOSS_FORWARD(pointwise_loss_forward_f64, double)

/* The pointwise losses run in chunks of LOSS_CHUNK elements over the thread pool.
 * With a reduction, a chunk's losses go through a small buffer in sub-blocks of
 * LOSS_BLOCK (in cache) and are summed there, never written out whole: the
 * chunks' sums are added in chunk order, so the bits depend on n alone. (mse_loss
 * of two (2048, 256) floats wrote its 2 MB of losses and read them back, 150 us
 * at 1 and 2 threads.) A chunk that finds a bad BCE value stops with its code;
 * the first chunk's code wins, as the element loop's first bad element would. */
#define LOSS_CHUNK 16384
#define LOSS_BLOCK 1024

typedef struct {
    pn_pointwise_loss kind;
    pn_dtype dt;
    int64_t n;
    const char *x, *y, *w, *pw;
    double param;
    char *out;    /* the n losses, or NULL: sums only */
    double *part; /* chunk sums (out NULL) */
    int *rc;      /* chunk codes */
} loss_job;

/* One run of m elements from element i0 into out (or buf), the code returned. */
static int loss_run(const loss_job *j, int64_t i0, int64_t m, void *dst) {
    size_t e = j->dt == PN_FLOAT32 ? sizeof(float) : sizeof(double), o = (size_t)i0 * e;
    const void *x = j->x + o, *y = j->y + o, *w = j->w ? j->w + o : NULL;
    const void *pw = j->pw ? j->pw + o : NULL;
    return j->dt == PN_FLOAT32 ? pointwise_loss_forward_f32(j->kind, m, x, y, w, pw, j->param, dst)
                               : pointwise_loss_forward_f64(j->kind, m, x, y, w, pw, j->param, dst);
}

static void loss_chunks(void *ctx, int64_t c0, int64_t c1) {
    const loss_job *j = ctx;
    size_t e = j->dt == PN_FLOAT32 ? sizeof(float) : sizeof(double);
    double buf[LOSS_BLOCK]; /* LOSS_BLOCK losses of either type */
    for (int64_t c = c0; c < c1; c++) {
        int64_t i0 = c * LOSS_CHUNK, i1 = i0 + LOSS_CHUNK < j->n ? i0 + LOSS_CHUNK : j->n;
        int rc = PN_OK;
        double sum = 0;
        for (int64_t b = i0; b < i1 && rc == PN_OK; b += LOSS_BLOCK) {
            int64_t m = i1 - b < LOSS_BLOCK ? i1 - b : LOSS_BLOCK;
            void *dst = j->out ? (void *)(j->out + (size_t)b * e) : (void *)buf;
            rc = loss_run(j, b, m, dst);
            if (!j->out && rc == PN_OK) sum += pn_loss_sum(j->dt, m, buf);
        }
        j->rc[c] = rc;
        if (j->part) j->part[c] = sum;
    }
}

/* Both entry points: the chunks over the pool, then the first code and the sum. */
static int loss_chunked(loss_job *j, double *sum) {
    int64_t nc = (j->n + LOSS_CHUNK - 1) / LOSS_CHUNK;
    double *part = malloc((size_t)nc * (sizeof(double) + sizeof(int)) + 1);
    if (!part) return PN_ENOMEM;
    j->part = sum ? part : NULL, j->rc = (int *)(part + nc);
    pn_parallel_for(nc, 2, loss_chunks, j);
    int out = PN_OK;
    if (sum) *sum = 0;
    for (int64_t c = 0; c < nc; c++) {
        if (out == PN_OK) out = j->rc[c];
        if (sum) *sum += part[c];
    }
    free(part);
    return out;
}

int pn_pointwise_loss_forward(pn_pointwise_loss kind, pn_dtype dt, int64_t n, const void *x,
                              const void *y, const void *w, const void *pw, double param,
                              void *out) {
    if ((unsigned)kind >= PN_NLOSS || (dt != PN_FLOAT32 && dt != PN_FLOAT64)) return PN_EINVAL;
    loss_job j = {kind, dt, n, x, y, w, pw, param, out, NULL, NULL};
    return loss_chunked(&j, NULL);
}

int pn_pointwise_loss_sum(pn_pointwise_loss kind, pn_dtype dt, int64_t n, const void *x,
                          const void *y, const void *w, const void *pw, double param, double *sum) {
    if ((unsigned)kind >= PN_NLOSS || (dt != PN_FLOAT32 && dt != PN_FLOAT64)) return PN_EINVAL;
    loss_job j = {kind, dt, n, x, y, w, pw, param, NULL, NULL, NULL};
    return loss_chunked(&j, sum);
}

PN_SIMD_CLONES double pn_loss_sum(pn_dtype dt, int64_t n, const void *p) {
    double part[8] = {0}, s = 0;
    int64_t i = 0;
    if (dt == PN_FLOAT32) {
        const float *v = p;
        for (; i + 8 <= n; i += 8)
            for (int k = 0; k < 8; k++) part[k] += v[i + k];
        for (; i < n; i++) s += v[i];
    } else {
        const double *v = p;
        for (; i + 8 <= n; i += 8)
            for (int k = 0; k < 8; k++) part[k] += v[i + k];
        for (; i < n; i++) s += v[i];
    }
    for (int k = 0; k < 8; k++) s += part[k];
    return s;
}
