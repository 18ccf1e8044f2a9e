/* loss.c - see loss.h.
 *
 * Each kernel is written once as a macro over the element type T and expanded
 * for float and double, one line per function, which names it. Sums are
 * accumulated in double.
 */
#include "loss.h"
#include <math.h>

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
    static int NAME(pn_pointwise_loss kind, int64_t n, const T *x, const T *y, const T *w, \
                    const T *pw, double param, T *out) { \
        if (kind == PN_LOSS_BCE) \
            for (int64_t i = 0; i < n; i++) { \
                if (!(x[i] >= 0 && x[i] <= 1)) return PN_EINVAL; \
                if (!(y[i] >= 0 && y[i] <= 1)) return PN_EOVERFLOW; \
            } \
        if (kind == PN_LOSS_MSE) { /* the hot one: a plain vectorizable loop */ \
            for (int64_t i = 0; i < n; i++) out[i] = (x[i] - y[i]) * (x[i] - y[i]); \
            return PN_OK; \
        } \
        for (int64_t i = 0; i < n; i++) \
            out[i] = \
                (T)pointwise_loss_value(kind, x[i], y[i], w ? w[i] : 1, pw ? pw[i] : 1, param); \
        return PN_OK; \
    }
POINTWISE_LOSS_FORWARD(pointwise_loss_forward_f32, float)
POINTWISE_LOSS_FORWARD(pointwise_loss_forward_f64, double)

int pn_pointwise_loss_forward(pn_pointwise_loss kind, pn_dtype dt, int64_t n, const void *x,
                              const void *y, const void *w, const void *pw, double param,
                              void *out) {
    if ((unsigned)kind >= PN_NLOSS) return PN_EINVAL;
    if (dt == PN_FLOAT32) return pointwise_loss_forward_f32(kind, n, x, y, w, pw, param, out);
    if (dt == PN_FLOAT64) return pointwise_loss_forward_f64(kind, n, x, y, w, pw, param, out);
    return PN_EINVAL;
}

double pn_loss_sum(pn_dtype dt, int64_t n, const void *p) {
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
