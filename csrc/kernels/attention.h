/* attention.h - scaled dot-product attention, forward and backward, fused.
 *
 *   S = scale * Q K^T + mask        (L x S scores per head; causal: j > i masked)
 *   P = softmax(S) along each row   (a fully masked row gives P = 0: output 0)
 *   O = (P * Z) V                   (Z: dropout's keep mask / (1 - p), or 1)
 *
 * Only one block of rows of S is ever held per thread (R x S, R <= 64): the
 * forward keeps each row's log-sum-exp (lse) instead of P, and the backward
 * recomputes P from Q, K and lse block by block (as FlashAttention does):
 *
 *   dV = (P * Z)^T dO          dP = (dO V^T) * Z
 *   D_i = sum_e dO_ie O_ie     dS = P * (dP - D)      (the softmax's backward)
 *   dQ = scale * dS K          dK = scale * dS^T Q
 *
 * Heads are independent; each is computed whole by one thread (its dK and dV
 * are sums over the query blocks, accumulated in a fixed order), so results
 * are the same bits at any thread count. Dropout's keep/drop decision for
 * score (head, i, j) is a hash of (seed, head, i, j): the backward redraws
 * exactly the forward's mask without storing it.
 */
#ifndef PN_ATTENTION_H
#define PN_ATTENTION_H
#include <stdint.h>
#include "common.h"

/* Q (BH, L, E), K (BH, S, E), V (BH, S, Ev), O (BH, L, Ev) contiguous, of dtype dt
 * (float32 or float64); lse (BH, L) doubles, written by the forward.
 * mask: NULL, or element (bh, i, j) at mask[moff[bh] + i * mstride_i + j * mstride_j],
 * bool (0: masked out) or of dtype dt (added to the scores). */
typedef struct {
    pn_dtype dt;
    int64_t BH, L, S, E, Ev;
    double scale, dropout_p;
    int causal, mask_is_bool;
    uint64_t seed;
    const void *q, *k, *v, *mask;
    const int64_t *moff;
    int64_t mstride_i, mstride_j;
    void *o;
    double *lse;
} pn_attn_args;

/* Returns 0 or PN_ENOMEM. */
int pn_attn_forward(const pn_attn_args *a);

/* From dO (BH, L, Ev) and the forward's O and lse: dQ, dK, dV (any may be NULL
 * when not wanted; shapes as Q, K, V). Returns 0 or PN_ENOMEM. */
typedef struct {
    const void *dout;
    void *dq, *dk, *dv;
} pn_attn_grads;
int pn_attn_backward(const pn_attn_args *a, const pn_attn_grads *g);

#endif
