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

/* One operand of the attention, (BH, rows, cols): head bh's row i starts at
 * element off[bh] + i * ld of data, and its cols elements are contiguous. The
 * operands can so be read (and the outputs written) in place in any layout whose
 * last dim is contiguous: a Transformer's heads are (B, T, H, D) memory viewed as
 * (B, H, T, D), each head's rows H * D apart (or 3 H * D, cut from one qkv
 * projection), and copying them into (B, H, T, D) order cost a GPT step 5%. */
typedef struct {
    void *data;
    const int64_t *off; /* BH offsets, in elements */
    int64_t ld;         /* row stride, in elements */
} pn_attn_mat;

/* Q (BH, L, E), K (BH, S, E), V (BH, S, Ev), O (BH, L, Ev) of dtype dt (float32 or
 * float64); lse (BH, L) doubles, written by the forward.
 * mask: NULL, or element (bh, i, j) at mask[moff[bh] + i * mstride_i + j * mstride_j],
 * bool (0: masked out) or of dtype dt (added to the scores). */
typedef struct {
    pn_dtype dt;
    int64_t BH, L, S, E, Ev;
    double scale, dropout_p;
    int causal, mask_is_bool;
    uint64_t seed;
    pn_attn_mat q, k, v, o;
    const void *mask;
    const int64_t *moff;
    int64_t mstride_i, mstride_j;
    double *lse;
} pn_attn_args;

/* Returns 0 or PN_ENOMEM. */
int pn_attn_forward(const pn_attn_args *a);

/* From dO (BH, L, Ev) and the forward's O and lse: dQ, dK, dV (data NULL when
 * not wanted; shapes as Q, K, V; no two of them may share memory). Returns 0 or
 * PN_ENOMEM. */
typedef struct {
    pn_attn_mat dout, dq, dk, dv;
} pn_attn_grads;
int pn_attn_backward(const pn_attn_args *a, const pn_attn_grads *g);

#endif
