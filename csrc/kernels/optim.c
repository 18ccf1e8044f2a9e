/* optim.c - fused optimizer updates (see optim.h for the math).
 *
 * A textbook optimizer step written with tensor operations, say Adam's
 *     m = beta1 * m + (1 - beta1) * g
 *     v = beta2 * v + (1 - beta2) * g * g
 *     p = p - step_size * m / (sqrt(v) / bc2 + eps)
 * runs about ten separate loops over the parameter and allocates temporaries
 * for sqrt(v), the denominator and so on. Each loop streams whole arrays
 * through memory, and for large models memory bandwidth, not arithmetic, is
 * what limits the speed. Here every element is loaded once, updated in
 * registers and stored once: Adam reads p, g, m, v and writes p, m, v, which
 * is the least traffic an Adam step can have.
 *
 * Each update is written once as an inline function on one element and
 * expanded for float and double by a macro. The loop-invariant options
 * (amsgrad, which kind of weight decay, ...) are passed as constants from a
 * switch, so the compiler emits one branch-free, vectorizable loop per case.
 * Maximizing is a multiplication of the gradient by -1, which is exact.
 */
#include "optim.h"
#include "fastmath.h"
#include "threadpool.h"
#include <math.h>

#define GRAIN 32768 /* elements per parallel chunk: large enough to amortize a task */

#define ALWAYS_INLINE static inline __attribute__((always_inline))

/* PyTorch's lerp, which rounds differently on each side of w = 0.5 so that
 * lerp(s, e, 1) == e exactly:  w < 0.5: s + w (e - s);  else: e - (e - s)(1 - w). */
#define LERP(s, e, w, w1, small) ((small) ? (s) + (w) * ((e) - (s)) : (e) - ((e) - (s)) * (w1))

/* Weight decay: none, L2 added to the gradient (g += wd p), or decoupled (p *= 1 - lr wd). */
enum { WD_NONE = 0, WD_L2 = 1, WD_DECOUPLED = 2 };

/* ------------------------------------------------------------------ SGD ---- */

#define DEFINE_SGD_CTX(NAME, T) \
    typedef struct { \
        T *p, *buf; \
        const T *g; \
        T sign, wd, mom, damp1, neg_lr; \
    } NAME;
DEFINE_SGD_CTX(sgd_ctx_f32, float)
DEFINE_SGD_CTX(sgd_ctx_f64, double)

/* one element; returns the step direction d (p -= lr d) */
#define DEFINE_SGD_ELEM(NAME, CTX, T) \
    ALWAYS_INLINE void NAME(const CTX *c, int64_t i, int wd, int mom, int first, int nesterov) { \
        T g = c->sign * c->g[i]; \
        if (wd) g = g + c->wd * c->p[i]; \
        if (mom) { \
            T b = first ? g : c->buf[i] * c->mom + c->damp1 * g; \
            c->buf[i] = b; \
            g = nesterov ? g + c->mom * b : b; \
        } \
        c->p[i] = c->p[i] + c->neg_lr * g; \
    }
DEFINE_SGD_ELEM(sgd_elem_f32, sgd_ctx_f32, float)
DEFINE_SGD_ELEM(sgd_elem_f64, sgd_ctx_f64, double)

/* mode bits: 1 weight decay, 2 momentum, 4 first step, 8 nesterov */
#define DEFINE_SGD_RANGE(NAME, CTX, ELEM) \
    PN_SIMD_CLONES static void NAME(const CTX *cp, int mode, int64_t b, int64_t e) { \
        /* a local copy: stores through p cannot alias the scalars */ \
        const CTX cl = *cp, *c = &cl; \
        switch (mode) { \
        case 0: \
            for (int64_t i = b; i < e; i++) ELEM(c, i, 0, 0, 0, 0); \
            break; \
        case 1: \
            for (int64_t i = b; i < e; i++) ELEM(c, i, 1, 0, 0, 0); \
            break; \
        case 2: \
            for (int64_t i = b; i < e; i++) ELEM(c, i, 0, 1, 0, 0); \
            break; \
        case 3: \
            for (int64_t i = b; i < e; i++) ELEM(c, i, 1, 1, 0, 0); \
            break; \
        default: \
            for (int64_t i = b; i < e; i++) \
                ELEM(c, i, mode & 1, (mode >> 1) & 1, (mode >> 2) & 1, (mode >> 3) & 1); \
        } \
    }
DEFINE_SGD_RANGE(sgd_range_f32, sgd_ctx_f32, sgd_elem_f32)
DEFINE_SGD_RANGE(sgd_range_f64, sgd_ctx_f64, sgd_elem_f64)

typedef struct {
    pn_dtype dt;
    int mode;
    const void *c;
} task;

static void sgd_task(void *ctx, int64_t b, int64_t e) {
    const task *t = ctx;
    if (t->dt == PN_FLOAT32)
        sgd_range_f32(t->c, t->mode, b, e);
    else
        sgd_range_f64(t->c, t->mode, b, e);
}

int pn_sgd_step(pn_dtype dt, void *p, const void *g, void *buf, int64_t n, const pn_sgd_args *a) {
    if (!pn_is_float(dt)) return PN_EINVAL;
    int mom = a->momentum != 0;
    int mode =
        (a->weight_decay != 0) | mom << 1 | (mom && a->first) << 2 | (mom && a->nesterov) << 3;
    if (mom && !buf) return PN_EINVAL;
    double sign = a->maximize ? -1.0 : 1.0;
    if (dt == PN_FLOAT32) {
        sgd_ctx_f32 c = {p,
                         buf,
                         g,
                         (float)sign,
                         (float)a->weight_decay,
                         (float)a->momentum,
                         (float)(1 - a->dampening),
                         (float)-a->lr};
        task t = {dt, mode, &c};
        pn_parallel_for(n, GRAIN, sgd_task, &t);
    } else {
        sgd_ctx_f64 c = {p, buf, g, sign, a->weight_decay, a->momentum, 1 - a->dampening, -a->lr};
        task t = {dt, mode, &c};
        pn_parallel_for(n, GRAIN, sgd_task, &t);
    }
    return PN_OK;
}

/* ----------------------------------------------------------------- Adam ---- */

#define DEFINE_ADAM_CTX(NAME, T) \
    typedef struct { \
        T *p, *m, *v, *vmax; \
        const T *g; \
        T sign, wd, decay, w, w1, beta2, c2, bc2_sqrt, eps, neg_step; \
        int small; \
    } NAME;
DEFINE_ADAM_CTX(adam_ctx_f32, float)
DEFINE_ADAM_CTX(adam_ctx_f64, double)

#define DEFINE_ADAM_ELEM(NAME, CTX, T, SQRT) \
    ALWAYS_INLINE void NAME(const CTX *c, int64_t i, int wd, int ams) { \
        T g = c->sign * c->g[i], p = c->p[i]; \
        if (wd == WD_DECOUPLED) p = p * c->decay; \
        if (wd == WD_L2) g = g + c->wd * p; \
        T m = LERP(c->m[i], g, c->w, c->w1, c->small); \
        T v = c->v[i] * c->beta2 + c->c2 * g * g; \
        c->m[i] = m; \
        c->v[i] = v; \
        if (ams) { \
            T vm = c->vmax[i]; \
            vm = ((vm != vm) | (vm > v)) ? vm : v; /* torch.maximum: NaN wins */ \
            c->vmax[i] = vm; \
            v = vm; \
        } \
        T denom = SQRT(v) / c->bc2_sqrt + c->eps; \
        c->p[i] = p + c->neg_step * m / denom; \
    }
DEFINE_ADAM_ELEM(adam_elem_f32, adam_ctx_f32, float, sqrtf)
DEFINE_ADAM_ELEM(adam_elem_f64, adam_ctx_f64, double, sqrt)

/* mode = weight-decay kind + 3 * amsgrad */
#define DEFINE_ADAM_RANGE(NAME, CTX, ELEM) \
    PN_SIMD_CLONES static void NAME(const CTX *cp, int mode, int64_t b, int64_t e) { \
        /* a local copy: stores through p cannot alias the scalars */ \
        const CTX cl = *cp, *c = &cl; \
        switch (mode) { \
        case 0: \
            for (int64_t i = b; i < e; i++) ELEM(c, i, WD_NONE, 0); \
            break; \
        case 1: \
            for (int64_t i = b; i < e; i++) ELEM(c, i, WD_L2, 0); \
            break; \
        case 2: \
            for (int64_t i = b; i < e; i++) ELEM(c, i, WD_DECOUPLED, 0); \
            break; \
        case 3: \
            for (int64_t i = b; i < e; i++) ELEM(c, i, WD_NONE, 1); \
            break; \
        case 4: \
            for (int64_t i = b; i < e; i++) ELEM(c, i, WD_L2, 1); \
            break; \
        default: \
            for (int64_t i = b; i < e; i++) ELEM(c, i, WD_DECOUPLED, 1); \
            break; \
        } \
    }
DEFINE_ADAM_RANGE(adam_range_f32, adam_ctx_f32, adam_elem_f32)
DEFINE_ADAM_RANGE(adam_range_f64, adam_ctx_f64, adam_elem_f64)

#define DEFINE_ADAM_FILL(NAME, CTX, T) \
    static void NAME(CTX *c, const pn_adam_args *a) { \
        /* scalars exactly as torch/optim/adam.py computes them, in double */ \
        double bc1 = 1 - pow(a->beta1, a->step), bc2 = 1 - pow(a->beta2, a->step); \
        c->sign = a->maximize ? -1 : 1; \
        c->wd = (T)a->weight_decay; \
        c->decay = (T)(1 - a->lr * a->weight_decay); \
        c->w = (T)(1 - a->beta1); \
        c->w1 = (T)1 - c->w; \
        c->small = fabs((double)c->w) < 0.5; \
        c->beta2 = (T)a->beta2; \
        c->c2 = (T)(1 - a->beta2); \
        c->bc2_sqrt = (T)pow(bc2, 0.5); \
        c->eps = (T)a->eps; \
        c->neg_step = (T)(-(a->lr / bc1)); \
    }
DEFINE_ADAM_FILL(adam_fill_f32, adam_ctx_f32, float)
DEFINE_ADAM_FILL(adam_fill_f64, adam_ctx_f64, double)

static void adam_task(void *ctx, int64_t b, int64_t e) {
    const task *t = ctx;
    if (t->dt == PN_FLOAT32)
        adam_range_f32(t->c, t->mode, b, e);
    else
        adam_range_f64(t->c, t->mode, b, e);
}

int pn_adam_step(pn_dtype dt, void *p, const void *g, void *m, void *v, void *vmax, int64_t n,
                 const pn_adam_args *a) {
    if (!pn_is_float(dt) || (a->amsgrad && !vmax)) return PN_EINVAL;
    int wd = a->weight_decay == 0 ? WD_NONE : a->decoupled ? WD_DECOUPLED : WD_L2;
    int mode = wd + 3 * (a->amsgrad != 0);
    if (dt == PN_FLOAT32) {
        adam_ctx_f32 c = {.p = p, .m = m, .v = v, .vmax = vmax, .g = g};
        adam_fill_f32(&c, a);
        task t = {dt, mode, &c};
        pn_parallel_for(n, GRAIN, adam_task, &t);
    } else {
        adam_ctx_f64 c = {.p = p, .m = m, .v = v, .vmax = vmax, .g = g};
        adam_fill_f64(&c, a);
        task t = {dt, mode, &c};
        pn_parallel_for(n, GRAIN, adam_task, &t);
    }
    return PN_OK;
}

/* -------------------------------------------------------------- Adagrad ---- */

#define DEFINE_ADAGRAD_CTX(NAME, T) \
    typedef struct { \
        T *p, *s; \
        const T *g; \
        T sign, wd, eps, neg_clr; \
    } NAME;
DEFINE_ADAGRAD_CTX(adagrad_ctx_f32, float)
DEFINE_ADAGRAD_CTX(adagrad_ctx_f64, double)

#define DEFINE_ADAGRAD_ELEM(NAME, CTX, T, SQRT) \
    ALWAYS_INLINE void NAME(const CTX *c, int64_t i, int wd) { \
        T g = c->sign * c->g[i]; \
        if (wd) g = g + c->wd * c->p[i]; \
        T s = c->s[i] + g * g; \
        c->s[i] = s; \
        c->p[i] = c->p[i] + c->neg_clr * g / (SQRT(s) + c->eps); \
    }
DEFINE_ADAGRAD_ELEM(adagrad_elem_f32, adagrad_ctx_f32, float, sqrtf)
DEFINE_ADAGRAD_ELEM(adagrad_elem_f64, adagrad_ctx_f64, double, sqrt)

#define DEFINE_ADAGRAD_RANGE(NAME, CTX, ELEM) \
    PN_SIMD_CLONES static void NAME(const CTX *cp, int mode, int64_t b, int64_t e) { \
        /* a local copy: stores through p cannot alias the scalars */ \
        const CTX cl = *cp, *c = &cl; \
        if (mode) \
            for (int64_t i = b; i < e; i++) ELEM(c, i, 1); \
        else \
            for (int64_t i = b; i < e; i++) ELEM(c, i, 0); \
    }
DEFINE_ADAGRAD_RANGE(adagrad_range_f32, adagrad_ctx_f32, adagrad_elem_f32)
DEFINE_ADAGRAD_RANGE(adagrad_range_f64, adagrad_ctx_f64, adagrad_elem_f64)

static void adagrad_task(void *ctx, int64_t b, int64_t e) {
    const task *t = ctx;
    if (t->dt == PN_FLOAT32)
        adagrad_range_f32(t->c, t->mode, b, e);
    else
        adagrad_range_f64(t->c, t->mode, b, e);
}

int pn_adagrad_step(pn_dtype dt, void *p, const void *g, void *sum, int64_t n,
                    const pn_adagrad_args *a) {
    if (!pn_is_float(dt)) return PN_EINVAL;
    double clr = a->lr / (1 + (a->step - 1) * a->lr_decay);
    double sign = a->maximize ? -1.0 : 1.0;
    int mode = a->weight_decay != 0;
    if (dt == PN_FLOAT32) {
        adagrad_ctx_f32 c = {p,          sum, g, (float)sign, (float)a->weight_decay, (float)a->eps,
                             (float)-clr};
        task t = {dt, mode, &c};
        pn_parallel_for(n, GRAIN, adagrad_task, &t);
    } else {
        adagrad_ctx_f64 c = {p, sum, g, sign, a->weight_decay, a->eps, -clr};
        task t = {dt, mode, &c};
        pn_parallel_for(n, GRAIN, adagrad_task, &t);
    }
    return PN_OK;
}

/* ------------------------------------------------------------- Adadelta ---- */

#define DEFINE_ADADELTA_CTX(NAME, T) \
    typedef struct { \
        T *p, *sq, *acc; \
        const T *g; \
        T sign, wd, rho, c, eps, neg_lr; \
    } NAME;
DEFINE_ADADELTA_CTX(adadelta_ctx_f32, float)
DEFINE_ADADELTA_CTX(adadelta_ctx_f64, double)

#define DEFINE_ADADELTA_ELEM(NAME, CTX, T, SQRT) \
    ALWAYS_INLINE void NAME(const CTX *c, int64_t i, int wd) { \
        T g = c->sign * c->g[i]; \
        if (wd) g = g + c->wd * c->p[i]; \
        T sq = c->sq[i] * c->rho + c->c * g * g; \
        c->sq[i] = sq; \
        T std = SQRT(sq + c->eps); \
        T delta = SQRT(c->acc[i] + c->eps) / std * g; \
        c->acc[i] = c->acc[i] * c->rho + c->c * delta * delta; \
        c->p[i] = c->p[i] + c->neg_lr * delta; \
    }
DEFINE_ADADELTA_ELEM(adadelta_elem_f32, adadelta_ctx_f32, float, sqrtf)
DEFINE_ADADELTA_ELEM(adadelta_elem_f64, adadelta_ctx_f64, double, sqrt)

#define DEFINE_ADADELTA_RANGE(NAME, CTX, ELEM) \
    PN_SIMD_CLONES static void NAME(const CTX *cp, int mode, int64_t b, int64_t e) { \
        /* a local copy: stores through p cannot alias the scalars */ \
        const CTX cl = *cp, *c = &cl; \
        if (mode) \
            for (int64_t i = b; i < e; i++) ELEM(c, i, 1); \
        else \
            for (int64_t i = b; i < e; i++) ELEM(c, i, 0); \
    }
DEFINE_ADADELTA_RANGE(adadelta_range_f32, adadelta_ctx_f32, adadelta_elem_f32)
DEFINE_ADADELTA_RANGE(adadelta_range_f64, adadelta_ctx_f64, adadelta_elem_f64)

static void adadelta_task(void *ctx, int64_t b, int64_t e) {
    const task *t = ctx;
    if (t->dt == PN_FLOAT32)
        adadelta_range_f32(t->c, t->mode, b, e);
    else
        adadelta_range_f64(t->c, t->mode, b, e);
}

int pn_adadelta_step(pn_dtype dt, void *p, const void *g, void *square_avg, void *acc_delta,
                     int64_t n, const pn_adadelta_args *a) {
    if (!pn_is_float(dt)) return PN_EINVAL;
    double sign = a->maximize ? -1.0 : 1.0;
    int mode = a->weight_decay != 0;
    if (dt == PN_FLOAT32) {
        adadelta_ctx_f32 c = {p,
                              square_avg,
                              acc_delta,
                              g,
                              (float)sign,
                              (float)a->weight_decay,
                              (float)a->rho,
                              (float)(1 - a->rho),
                              (float)a->eps,
                              (float)-a->lr};
        task t = {dt, mode, &c};
        pn_parallel_for(n, GRAIN, adadelta_task, &t);
    } else {
        adadelta_ctx_f64 c = {p,      square_avg, acc_delta, g,     sign, a->weight_decay,
                              a->rho, 1 - a->rho, a->eps,    -a->lr};
        task t = {dt, mode, &c};
        pn_parallel_for(n, GRAIN, adadelta_task, &t);
    }
    return PN_OK;
}

/* -------------------------------------------------------------- RMSprop ---- */

#define DEFINE_RMSPROP_CTX(NAME, T) \
    typedef struct { \
        T *p, *sq, *ga, *buf; \
        const T *g; \
        T sign, wd, alpha, c, w, w1, eps, mom, neg_lr; \
        int small; \
    } NAME;
DEFINE_RMSPROP_CTX(rmsprop_ctx_f32, float)
DEFINE_RMSPROP_CTX(rmsprop_ctx_f64, double)

/* centered: avg = sqrt(sq - ga^2) + eps with sq - ga^2 as one fma, as PyTorch's
 * addcmul(sq, ga, ga, value=-1) runs on x86 (its vector mul and add contract into an
 * fma): ga^2 may overflow where sq - ga^2 does not (a float32 gradient of 1e30 leaves sq
 * = inf, and inf - inf would be NaN), and a cancelling difference keeps its low bits. */
#define DEFINE_RMSPROP_ELEM(NAME, CTX, T, SQRT, FMA) \
    ALWAYS_INLINE void NAME(const CTX *c, int64_t i, int wd, int centered, int mom) { \
        T g = c->sign * c->g[i]; \
        if (wd) g = g + c->wd * c->p[i]; \
        T sq = c->sq[i] * c->alpha + c->c * g * g; \
        c->sq[i] = sq; \
        T avg; \
        if (centered) { \
            T ga = LERP(c->ga[i], g, c->w, c->w1, c->small); \
            c->ga[i] = ga; \
            avg = SQRT(FMA(-ga, ga, sq)) + c->eps; \
        } else { \
            avg = SQRT(sq) + c->eps; \
        } \
        if (mom) { \
            T b = c->buf[i] * c->mom + g / avg; \
            c->buf[i] = b; \
            c->p[i] = c->p[i] + c->neg_lr * b; \
        } else { \
            c->p[i] = c->p[i] + c->neg_lr * g / avg; \
        } \
    }
DEFINE_RMSPROP_ELEM(rmsprop_elem_f32, rmsprop_ctx_f32, float, sqrtf, __builtin_fmaf)
DEFINE_RMSPROP_ELEM(rmsprop_elem_f64, rmsprop_ctx_f64, double, sqrt, __builtin_fma)

/* mode bits: 1 weight decay, 2 centered, 4 momentum. Each mode is its own loop with the
 * flags constant, which GCC vectorizes; one loop testing the bits (what modes with momentum
 * or centered ran) did not: 2.8 ms for 1M float32 where PyTorch takes 1.7, now 0.37. */
#define RMSPROP_LOOP(ELEM, M) \
    for (int64_t i = b; i < e; i++) ELEM(c, i, (M) & 1, ((M) >> 1) & 1, ((M) >> 2) & 1)
#define DEFINE_RMSPROP_RANGE(NAME, CTX, ELEM) \
    PN_SIMD_CLONES static void NAME(const CTX *cp, int mode, int64_t b, int64_t e) { \
        /* a local copy: stores through p cannot alias the scalars */ \
        const CTX cl = *cp, *c = &cl; \
        switch (mode) { \
        case 0: \
            RMSPROP_LOOP(ELEM, 0); \
            break; \
        case 1: \
            RMSPROP_LOOP(ELEM, 1); \
            break; \
        case 2: \
            RMSPROP_LOOP(ELEM, 2); \
            break; \
        case 3: \
            RMSPROP_LOOP(ELEM, 3); \
            break; \
        case 4: \
            RMSPROP_LOOP(ELEM, 4); \
            break; \
        case 5: \
            RMSPROP_LOOP(ELEM, 5); \
            break; \
        case 6: \
            RMSPROP_LOOP(ELEM, 6); \
            break; \
        default: \
            RMSPROP_LOOP(ELEM, 7); \
        } \
    }
DEFINE_RMSPROP_RANGE(rmsprop_range_f32, rmsprop_ctx_f32, rmsprop_elem_f32)
DEFINE_RMSPROP_RANGE(rmsprop_range_f64, rmsprop_ctx_f64, rmsprop_elem_f64)

static void rmsprop_task(void *ctx, int64_t b, int64_t e) {
    const task *t = ctx;
    if (t->dt == PN_FLOAT32)
        rmsprop_range_f32(t->c, t->mode, b, e);
    else
        rmsprop_range_f64(t->c, t->mode, b, e);
}

int pn_rmsprop_step(pn_dtype dt, void *p, const void *g, void *square_avg, void *grad_avg,
                    void *buf, int64_t n, const pn_rmsprop_args *a) {
    if (!pn_is_float(dt)) return PN_EINVAL;
    int mom = a->momentum > 0;
    if ((a->centered && !grad_avg) || (mom && !buf)) return PN_EINVAL;
    int mode = (a->weight_decay != 0) | (a->centered != 0) << 1 | mom << 2;
    double sign = a->maximize ? -1.0 : 1.0;
    if (dt == PN_FLOAT32) {
        rmsprop_ctx_f32 c = {.p = p, .sq = square_avg, .ga = grad_avg, .buf = buf, .g = g};
        c.sign = (float)sign;
        c.wd = (float)a->weight_decay;
        c.alpha = (float)a->alpha;
        c.c = (float)(1 - a->alpha);
        c.w = c.c;
        c.w1 = 1.0f - c.w;
        c.small = fabsf(c.w) < 0.5f;
        c.eps = (float)a->eps;
        c.mom = (float)a->momentum;
        c.neg_lr = (float)-a->lr;
        task t = {dt, mode, &c};
        pn_parallel_for(n, GRAIN, rmsprop_task, &t);
    } else {
        rmsprop_ctx_f64 c = {.p = p, .sq = square_avg, .ga = grad_avg, .buf = buf, .g = g};
        c.sign = sign;
        c.wd = a->weight_decay;
        c.alpha = a->alpha;
        c.c = 1 - a->alpha;
        c.w = c.c;
        c.w1 = 1.0 - c.w;
        c.small = fabs(c.w) < 0.5;
        c.eps = a->eps;
        c.mom = a->momentum;
        c.neg_lr = -a->lr;
        task t = {dt, mode, &c};
        pn_parallel_for(n, GRAIN, rmsprop_task, &t);
    }
    return PN_OK;
}
