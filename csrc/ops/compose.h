/* ops/compose.h - short names for writing a formula as a chain of ops.
 *
 * A backward written with differentiable ops creates many temporaries. A scope
 * keeps them and releases them together, and each helper passes NULL through
 * (an exception is then already set), so a formula reads like the math:
 *
 *     scope s = {.n = 0};
 *     PNTensor *dx = B(&s, PN_MUL, r, B(&s, PN_SUB, g, MEAN(&s, g, dims)));
 *     gin[0] = give(&s, dx);   // a new reference to dx, temporaries freed
 *
 * Only ops/ files include this header.
 */
#ifndef PN_OPS_COMPOSE_H
#define PN_OPS_COMPOSE_H
#include "ops.h"

typedef struct {
    PNTensor *t[64];
    int n;
} scope;

/* Keep t (a new reference, or NULL) until the scope is freed. */
static inline PNTensor *keep(scope *s, PNTensor *t) {
    if (t && s->n == (int)(sizeof s->t / sizeof s->t[0])) { /* a formula too long for one scope */
        Py_DECREF(t);
        PyErr_SetString(PyExc_SystemError, "ops/compose.h: scope full");
        return NULL;
    }
    if (t) s->t[s->n++] = t;
    return t;
}
static inline void scope_free(scope *s) {
    for (int k = 0; k < s->n; k++) Py_DECREF(s->t[k]);
    s->n = 0;
}
/* Result of a scope: a new reference to t (or NULL), then free the temporaries. */
static inline PNTensor *give(scope *s, PNTensor *t) {
    Py_XINCREF(t);
    scope_free(s);
    return t;
}
/* a op b,  a op v,  v op a  (broadcasting, recorded when grad mode is on) */
static inline PNTensor *B(scope *s, pn_binary_op op, PNTensor *a, PNTensor *b) {
    return keep(s, a && b ? pn_binary_t(op, a, b) : NULL);
}
static inline PNTensor *BS(scope *s, pn_binary_op op, PNTensor *a, double v) {
    return keep(s, a ? pn_binary_s(op, a, v) : NULL);
}
static inline PNTensor *SB(scope *s, pn_binary_op op, double v, PNTensor *a) {
    return keep(s, a ? pn_binary_s_rev(op, v, a) : NULL);
}
static inline PNTensor *U(scope *s, pn_unary_op op, PNTensor *a) {
    return keep(s, a ? pn_unary(op, a) : NULL);
}
/* a summed over the dims in the bitmask (0: all), dims dropped */
static inline PNTensor *SUM(scope *s, PNTensor *a, uint32_t dims) {
    return keep(s, a ? pn_sum(a, dims, 0, 0, a->dtype) : NULL);
}
/* a averaged over the dims in the bitmask, dims kept (size 1) */
static inline PNTensor *MEAN(scope *s, PNTensor *a, uint32_t dims) {
    return keep(s, a ? pn_mean(a, dims, 1) : NULL);
}
/* a + b where NULL stands for zero (accumulating gradient terms) */
static inline PNTensor *ACC(scope *s, PNTensor *a, PNTensor *b) {
    return !a ? b : !b ? a : B(s, PN_ADD, a, b);
}

#endif
