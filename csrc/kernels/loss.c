/* loss.c - see loss.h.
 *
 * Each kernel is written once as a macro over the element type T and expanded
 * for float and double, one line per function, which names it. Sums are accumulated in double. Row
 * helpers take the row stride as an argument and are called once with the literal 1 (the common (N,
 * C) case, whose rows are contiguous), so the compiler produces a vectorizable version of that
 * case.
 */
#include "loss.h"
#include "fastmath.h"
#include <math.h>

/* exp in the element type: the vectorizable pn_expf for float. */
static inline float exp_f32(float x) {
    return pn_expf(x);
}
static inline double exp_f64(double x) {
    return exp(x);
}

/* ---------------------------------------------------------- cross entropy ---- */

/* log(sum_c exp(x_c)) of one row of C values `st` apart, as m + log(sum exp(x - m)).
 * A NaN anywhere gives NaN. */
#define ROW_LOGSUMEXP(NAME, T, EXP) \
    static inline double NAME(const T *x, int64_t C, int64_t st) { \
        T mk[8], m = -INFINITY; /* 8 independent running maxima, so the loop vectorizes */ \
        int nan = 0; \
        for (int k = 0; k < 8; k++) mk[k] = -INFINITY; \
        int64_t c = 0; \
        for (; c + 8 <= C; c += 8) \
            for (int k = 0; k < 8; k++) { \
                T v = x[(c + k) * st]; \
                nan |= v != v; \
                mk[k] = v > mk[k] ? v : mk[k]; \
            } \
        for (; c < C; c++) { \
            T v = x[c * st]; \
            nan |= v != v; \
            m = v > m ? v : m; \
        } \
        for (int k = 0; k < 8; k++) m = mk[k] > m ? mk[k] : m; \
        if (nan) return NAN; \
        double part[8] = {0}, sum = 0; \
        for (c = 0; c + 8 <= C; c += 8) \
            for (int k = 0; k < 8; k++) part[k] += EXP(x[(c + k) * st] - m); \
        for (; c < C; c++) sum += EXP(x[c * st] - m); \
        for (int k = 0; k < 8; k++) sum += part[k]; \
        return (double)m + log(sum); \
    }
ROW_LOGSUMEXP(row_logsumexp_f32, float, exp_f32)
ROW_LOGSUMEXP(row_logsumexp_f64, double, exp_f64)

/* The label-smoothing term of one row: sum_c v_c (lse - x_c) for weights v (NULL: all 1). */
#define ROW_LABEL_SMOOTHING_SUM(NAME, T) \
    static inline double NAME(const T *x, const T *v, double lse, int64_t C, int64_t st) { \
        double s = 0; \
        for (int64_t c = 0; c < C; c++) s += (v ? (double)v[c] : 1.0) * (lse - (double)x[c * st]); \
        return s; \
    }
ROW_LABEL_SMOOTHING_SUM(row_label_smoothing_sum_f32, float)
ROW_LABEL_SMOOTHING_SUM(row_label_smoothing_sum_f64, double)

#define CROSS_ENTROPY_FORWARD(NAME, T, LOGSUMEXP_FN, SMOOTHING_SUM_FN) \
    PN_SIMD_CLONES static int NAME(const pn_cross_entropy_args *a, const T *X, T *loss, \
                                   double *lse, double *wsum, int64_t *bad) { \
        const int64_t N = a->N, C = a->C, S = a->S; \
        const T *W = a->weight, *Y = a->prob; \
        const double eps = a->smoothing; \
        double total = 0; \
        for (int64_t n = 0; n < N; n++) \
            for (int64_t s = 0; s < S; s++) { \
                const int64_t i = n * S + s;    /* position: index into (N, S) */ \
                const T *x = X + n * C * S + s; /* x[c * S] is class c's score */ \
                if (a->target) { \
                    int64_t t = a->target[i]; \
                    if (t == a->ignore_index) { \
                        loss[i] = 0; \
                        lse[i] = 0; \
                        continue; \
                    } \
                    if (t < 0 || t >= C) { \
                        *bad = t; \
                        return PN_EINVAL; \
                    } \
                    double l = S == 1 ? LOGSUMEXP_FN(x, C, 1) : LOGSUMEXP_FN(x, C, S); \
                    double wt = W ? (double)W[t] : 1.0; \
                    /* -(1 - eps) w_t log p_t, log p_t = x_t - lse */ \
                    double v = (1 - eps) * wt * (l - (double)x[t * S]); \
                    /* smoothing: -(eps / C) sum_c w_c log p_c */ \
                    if (eps > 0) v += eps / (double)C * SMOOTHING_SUM_FN(x, W, l, C, S); \
                    lse[i] = l; \
                    loss[i] = (T)v; \
                    total += wt; \
                } else { \
                    const T *y = Y + n * C * S + s; \
                    double l = S == 1 ? LOGSUMEXP_FN(x, C, 1) : LOGSUMEXP_FN(x, C, S); \
                    double v = 0; \
                    for (int64_t c = 0; c < C; c++) { /* -sum_c q_c log p_c */ \
                        double q = (1 - eps) * (double)y[c * S] + eps / (double)C; \
                        if (W) q *= (double)W[c]; \
                        v += q * (l - (double)x[c * S]); \
                    } \
                    lse[i] = l; \
                    loss[i] = (T)v; \
                    total += 1; \
                } \
            } \
        *wsum = total; \
        return PN_OK; \
    }
CROSS_ENTROPY_FORWARD(cross_entropy_forward_f32, float, row_logsumexp_f32,
                      row_label_smoothing_sum_f32)
CROSS_ENTROPY_FORWARD(cross_entropy_forward_f64, double, row_logsumexp_f64,
                      row_label_smoothing_sum_f64)

#define CROSS_ENTROPY_BACKWARD(NAME, T, EXP) \
    PN_SIMD_CLONES static void NAME(const pn_cross_entropy_args *a, const T *X, const double *lse, \
                                    const T *G, int64_t gst, double gscale, T *GX, T *GY, \
                                    double *GW) { \
        const int64_t N = a->N, C = a->C, S = a->S; \
        const T *W = a->weight, *Y = a->prob; \
        const double eps = a->smoothing, e_c = eps / (double)C; \
        double wall = 0; /* sum_c w_c: with smoothing, sum_k q_k = (1-eps) w_t + eps/C * wall */ \
        for (int64_t c = 0; c < C; c++) wall += W ? (double)W[c] : 1.0; \
        if (GW) \
            for (int64_t c = 0; c < C; c++) GW[c] = 0; \
        for (int64_t n = 0; n < N; n++) \
            for (int64_t s = 0; s < S; s++) { \
                const int64_t i = n * S + s; \
                const T *x = X + n * C * S + s; \
                T *gx = GX + n * C * S + s; \
                const double g = (double)G[i * gst] * gscale; \
                if (a->target) { \
                    int64_t t = a->target[i]; \
                    if (t == a->ignore_index) { \
                        for (int64_t c = 0; c < C; c++) gx[c * S] = 0; \
                        continue; \
                    } \
                    double wt = W ? (double)W[t] : 1.0; \
                    /* g * (p_c * sum_k q_k - q_c), q_c = (1-eps) w_t [c == t] + eps/C w_c */ \
                    const T gs = (T)(g * ((1 - eps) * wt + e_c * wall)); \
                    const double l = lse[i]; /* x - lse in double: exact enough for huge x */ \
                    if (S == 1 && !W && eps == 0) { /* the common case, vectorizable */ \
                        for (int64_t c = 0; c < C; c++) gx[c] = gs * EXP((T)((double)x[c] - l)); \
                    } else { \
                        const T ge = (T)(g * e_c); \
                        for (int64_t c = 0; c < C; c++) \
                            gx[c * S] = \
                                gs * EXP((T)((double)x[c * S] - l)) - ge * (W ? W[c] : (T)1); \
                    } \
                    gx[t * S] -= (T)(g * (1 - eps) * wt); \
                } else { \
                    const T *y = Y + n * C * S + s; \
                    double sumq = 0; \
                    for (int64_t c = 0; c < C; c++) \
                        sumq += (W ? (double)W[c] : 1.0) * ((1 - eps) * (double)y[c * S] + e_c); \
                    for (int64_t c = 0; c < C; c++) { \
                        double wc = W ? (double)W[c] : 1.0; \
                        double yq = (1 - eps) * (double)y[c * S] + e_c; \
                        double nlogp = lse[i] - (double)x[c * S]; /* -log p_c */ \
                        double p = exp(-nlogp); \
                        gx[c * S] = (T)(g * (p * sumq - wc * yq)); \
                        if (GY) GY[n * C * S + s + c * S] = (T)(g * (1 - eps) * wc * nlogp); \
                        if (GW) GW[c] += g * yq * nlogp; \
                    } \
                } \
            } \
    }
CROSS_ENTROPY_BACKWARD(cross_entropy_backward_f32, float, exp_f32)
CROSS_ENTROPY_BACKWARD(cross_entropy_backward_f64, double, exp_f64)

#define CROSS_ENTROPY_WEIGHTED_TARGET(NAME, T) \
    static void NAME(const pn_cross_entropy_args *a, T *Q) { \
        const int64_t N = a->N, C = a->C, S = a->S; \
        const T *W = a->weight; \
        const double eps = a->smoothing, e_c = eps / (double)C; \
        for (int64_t n = 0; n < N; n++) \
            for (int64_t s = 0; s < S; s++) { \
                int64_t t = a->target[n * S + s]; \
                T *q = Q + n * C * S + s; \
                int ign = t == a->ignore_index; \
                for (int64_t c = 0; c < C; c++) \
                    q[c * S] = ign ? 0 : (T)(e_c * (W ? (double)W[c] : 1.0)); \
                if (!ign) q[t * S] += (T)((1 - eps) * (W ? (double)W[t] : 1.0)); \
            } \
    }
CROSS_ENTROPY_WEIGHTED_TARGET(cross_entropy_weighted_target_f32, float)
CROSS_ENTROPY_WEIGHTED_TARGET(cross_entropy_weighted_target_f64, double)

#define NLL_LOSS_FORWARD(NAME, T) \
    static int NAME(const pn_cross_entropy_args *a, const T *X, T *loss, double *wsum, \
                    int64_t *bad) { \
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

int pn_cross_entropy_forward(pn_dtype dt, const pn_cross_entropy_args *a, const void *x, void *loss,
                             double *lse, double *wsum, int64_t *bad_target) {
    if (dt == PN_FLOAT32) return cross_entropy_forward_f32(a, x, loss, lse, wsum, bad_target);
    if (dt == PN_FLOAT64) return cross_entropy_forward_f64(a, x, loss, lse, wsum, bad_target);
    return PN_EINVAL;
}

void pn_cross_entropy_backward(pn_dtype dt, const pn_cross_entropy_args *a, const void *x,
                               const double *lse, const void *g, int64_t g_stride, double g_scale,
                               void *gx, void *gprob, double *gweight) {
    if (dt == PN_FLOAT32)
        cross_entropy_backward_f32(a, x, lse, g, g_stride, g_scale, gx, gprob, gweight);
    if (dt == PN_FLOAT64)
        cross_entropy_backward_f64(a, x, lse, g, g_stride, g_scale, gx, gprob, gweight);
}

void pn_cross_entropy_weighted_target(pn_dtype dt, const pn_cross_entropy_args *a, void *q) {
    if (dt == PN_FLOAT32) cross_entropy_weighted_target_f32(a, q);
    if (dt == PN_FLOAT64) cross_entropy_weighted_target_f64(a, q);
}

int pn_nll_loss_forward(pn_dtype dt, const pn_cross_entropy_args *a, const void *logp, void *loss,
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

/* dl/dx and dl/dy of one element. */
static inline void pointwise_loss_grad(pn_pointwise_loss kind, double x, double y, double w,
                                       double pw, double param, double *dx, double *dy) {
    double d = x - y;
    switch (kind) {
    case PN_LOSS_MSE:
        *dx = 2 * d;
        break;
    case PN_LOSS_L1:
        *dx = sign_of(d);
        break;
    case PN_LOSS_SMOOTH_L1:
        if (param == 0)
            *dx = sign_of(d);
        else
            *dx = d <= -param ? -1 : d >= param ? 1 : d / param;
        break;
    case PN_LOSS_HUBER:
        *dx = d < -param ? -param : d > param ? param : d;
        break;
    case PN_LOSS_BCE: {
        /* (x - y) / (x (1 - x)), the denominator kept away from 0 like PyTorch */
        double den = (1 - x) * x;
        *dx = w * d / (den > 1e-12 ? den : 1e-12);
        *dy = w * (log1p(-x) - log(x)); /* -logit(x) */
        return;
    }
    case PN_LOSS_BCE_LOGITS: {
        /* l = w ((1-y) x + lw softplus(-x)), lw = 1 + (pw-1) y:
         * dl/dx = w (lw sigmoid(x) - pw y),  dl/dy = w (-x + (pw-1) softplus(-x)) */
        double sig = 1 / (1 + exp(-x));
        double lw = 1 + (pw - 1) * y;
        *dx = w * (lw * sig - pw * y);
        *dy = w * (-x + (pw - 1) * softplus(-x));
        return;
    }
    case PN_LOSS_KL:
        *dx = -y;
        /* d/dy [xlogy(y, y) - y x] = log y [y != 0] + y / y - x (nan at y == 0, as PyTorch) */
        *dy = (y != 0 ? log(y) : 0) + y / y - x;
        return;
    case PN_LOSS_KL_LOG: {
        double e = exp(y);
        *dx = -e;
        *dy = e * (y - x + 1);
        return;
    }
    default:
        *dx = NAN;
        break;
    }
    *dy = -*dx; /* the losses of d = x - y */
}

#define POINTWISE_LOSS_FORWARD(NAME, T) \
    static int NAME(pn_pointwise_loss kind, int64_t n, const T *x, const T *y, const T *w, \
                    const T *pw, double param, T *out) { \
        if (kind == PN_LOSS_BCE) \
            for (int64_t i = 0; i < n; i++) \
                if (!(x[i] >= 0 && x[i] <= 1)) return PN_EINVAL; \
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

#define POINTWISE_LOSS_BACKWARD(NAME, T) \
    static void NAME(pn_pointwise_loss kind, int64_t n, const T *x, const T *y, const T *w, \
                     const T *pw, double param, const T *g, int64_t gst, double gscale, T *gx, \
                     T *gy) { \
        for (int64_t i = 0; i < n; i++) { \
            double dx, dy, gi = (double)g[i * gst] * gscale; \
            pointwise_loss_grad(kind, x[i], y[i], w ? w[i] : 1, pw ? pw[i] : 1, param, &dx, &dy); \
            if (gx) gx[i] = (T)(gi * dx); \
            if (gy) gy[i] = (T)(gi * dy); \
        } \
    }
POINTWISE_LOSS_BACKWARD(pointwise_loss_backward_f32, float)
POINTWISE_LOSS_BACKWARD(pointwise_loss_backward_f64, double)

int pn_pointwise_loss_forward(pn_pointwise_loss kind, pn_dtype dt, int64_t n, const void *x,
                              const void *y, const void *w, const void *pw, double param,
                              void *out) {
    if ((unsigned)kind >= PN_NLOSS) return PN_EINVAL;
    if (dt == PN_FLOAT32) return pointwise_loss_forward_f32(kind, n, x, y, w, pw, param, out);
    if (dt == PN_FLOAT64) return pointwise_loss_forward_f64(kind, n, x, y, w, pw, param, out);
    return PN_EINVAL;
}

void pn_pointwise_loss_backward(pn_pointwise_loss kind, pn_dtype dt, int64_t n, const void *x,
                                const void *y, const void *w, const void *pw, double param,
                                const void *g, int64_t g_stride, double g_scale, void *gx,
                                void *gy) {
    if (dt == PN_FLOAT32)
        pointwise_loss_backward_f32(kind, n, x, y, w, pw, param, g, g_stride, g_scale, gx, gy);
    if (dt == PN_FLOAT64)
        pointwise_loss_backward_f64(kind, n, x, y, w, pw, param, g, g_stride, g_scale, gx, gy);
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
