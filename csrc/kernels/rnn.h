/* rnn.h - the recurrence of one RNN, LSTM or GRU layer in one direction.
 *
 * The input projection of the whole sequence, xg = x W_ih^T + b_ih, is one
 * GEMM done before (by F.linear); what is left runs step by step, because
 * step t needs h from step t-1:
 *
 *   RNN   h' = act(xg + h W_hh^T + b_hh)                        act = tanh or relu
 *   LSTM  i, f, g, o = split(xg + h W_hh^T + b_hh, 4)
 *         c' = sigmoid(f) c + sigmoid(i) tanh(g)
 *         h' = sigmoid(o) tanh(c')          (times W_hr^T with a projection)
 *   GRU   r, z = sigmoid(split(xg + h W_hh^T + b_hh, 3)[0:2])
 *         n = tanh(xg_n + r (h W_hn^T + b_hn));   h' = (1 - z) n + z h
 *
 * Each step is one GEMM (h W_hh^T) and one fused pass over the gates.
 *
 * Packed sequences: the steps hold batch_sizes[t] rows each (non-increasing:
 * sequences sorted by length, longest first), stored one step after another,
 * so row r of step t is row off[t] + r of every (N, .) matrix below, with
 * N = sum of batch_sizes. A padded batch is the case batch_sizes[t] = B.
 * At step t only the first batch_sizes[t] rows of the running state move;
 * the others keep theirs, which makes the state left at the end each
 * sequence's last one (forward) and lets a sequence start from h0 when it
 * joins (reverse direction, which walks t = T-1 .. 0).
 */
#ifndef PN_RNN_H
#define PN_RNN_H
#include <stdint.h>
#include "common.h"

typedef enum { PN_RNN_TANH = 0, PN_RNN_RELU = 1, PN_RNN_LSTM = 2, PN_RNN_GRU = 3 } pn_rnn_mode;

/* Gates per mode: RNN 1, LSTM 4 (i, f, g, o), GRU 3 (r, z, n). */
static inline int pn_rnn_gates(int mode) {
    return mode == PN_RNN_LSTM ? 4 : mode == PN_RNN_GRU ? 3 : 1;
}

/* Sizes, weights and the per-step record the backward reads. All matrices are
 * contiguous, of dtype dt (float32 or float64). Let G = gates * H.
 *   forward reads  xg (N, G), w_hh (G, P), b_hh (G) or NULL, w_hr (P, H) or NULL
 *   forward writes gates (N, G)   activations (RNN: h before projection)
 *                  hprev (N, P)   the state each row started its step with
 *                  cprev (N, H)   LSTM: the cell state likewise
 *                  aux (N, H)     LSTM: tanh(c');  GRU: h W_hn^T + b_hn
 *                  htil (N, H)    LSTM with projection: h' before W_hr
 *                  y (N, P)       every step's output h'
 *   h (B, P) and c (B, H): the running state, h0/c0 in, h_n/c_n out. */
typedef struct {
    int mode, reverse;
    pn_dtype dt;
    int64_t T, B, H, P;         /* steps, batch (batch_sizes[0]), hidden, output (proj or H) */
    const int64_t *batch_sizes; /* T entries, or NULL: B at every step */
    const void *xg, *w_hh, *b_hh, *w_hr;
    void *gates, *hprev, *cprev, *aux, *htil, *y, *h, *c;
} pn_rnn_args;

/* Run the layer forward. Returns 0 or PN_ENOMEM. */
int pn_rnn_forward(const pn_rnn_args *a);

/* Gradients of one layer from the forward's record.
 *   in:  dy (N, P) or NULL (zero), dh (B, P) = dL/dh_n, dc (B, H) = dL/dc_n (LSTM)
 *   out: dh, dc overwritten with dL/dh0, dL/dc0;
 *        dxg (N, G) = dL/dxg (always);
 *        dw_hh (G, P), db_hh (G), dw_hr (P, H): each NULL when not wanted.
 * Returns 0 or PN_ENOMEM. */
typedef struct {
    const void *dy;
    void *dh, *dc, *dxg, *dw_hh, *db_hh, *dw_hr;
} pn_rnn_grads;
int pn_rnn_backward(const pn_rnn_args *a, const pn_rnn_grads *g);

#endif
