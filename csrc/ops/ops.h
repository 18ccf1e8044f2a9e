/* ops/ops.h - every op of pynet: forward with autograd recording.
 *
 * Floor 3 (kernels -> core -> ops -> pyapi). One file per op family; in it,
 * each op's forward, backward and recording sit side by side. Ops take and
 * return C values; pyapi/ parses the Python arguments.
 */
#ifndef PN_OPS_H
#define PN_OPS_H
#include "../core/tensor.h"
#include "../core/autograd.h"
#include "../core/copy.h"
#include "../kernels/reduce.h"
#include "../kernels/nn.h"
#include "../kernels/loss.h"
#include "../kernels/upsample.h"

/* Every op returns a new reference (a Tensor), or NULL with a Python exception set. */

PNTensor *pn_binary(pn_binary_op op, PyObject *a, PyObject *b);
PNTensor *pn_binary_t(pn_binary_op op, PNTensor *a, PNTensor *b);
PNTensor *pn_binary_s(pn_binary_op op, PNTensor *a, double s); /* tensor op python-float */
PyObject *pn_binary_inplace(pn_binary_op op, PNTensor *a, PyObject *b);
PNTensor *pn_unary(pn_unary_op op, PNTensor *a);
PyObject *pn_unary_inplace(pn_unary_op op, PNTensor *a);
PNTensor *pn_polygamma(int64_t n, PNTensor *a); /* n-th derivative of digamma, n >= 0 */
PyObject *pn_polygamma_inplace(int64_t n, PNTensor *a);
PNTensor *pn_clamp(PNTensor *a, PyObject *lo, PyObject *hi);
PNTensor *pn_clamp_t(PNTensor *x, PyObject *lo, PyObject *hi); /* tensor (or None) bounds */
PNTensor *pn_where(PNTensor *cond, PyObject *a, PyObject *b);
PNTensor *pn_cast(PNTensor *a, pn_dtype dt);     /* always a new tensor (differentiable) */
PNTensor *pn_to_dtype(PNTensor *a, pn_dtype dt); /* a itself (new ref) when dtype matches */
int pn_fill_inplace(PNTensor *t, double value, const char *op); /* fill_/zero_ with autograd */
/* res (a new tensor of t's shape) replaces all of t's values, which it does not depend on:
 * recorded as a node `name` giving t's old values a zero gradient, then written into t */
int pn_overwrite(PNTensor *t, PNTensor *res, const char *name);
/* t's values were just replaced by ones that do not depend on the old (a random fill):
 * with grad mode on and t requiring grad, give t a history `name` cut from the old one
 * (op: the in-place op, for the error on a leaf) */
int pn_cut_history(PNTensor *t, const char *op, const char *name);
/* dst.copy_(src): src broadcast and cast; CopyBackwards when either requires grad */
int pn_copy_inplace(PNTensor *dst, PNTensor *src);
PNTensor *pn_where_t(PNTensor *cond, PNTensor *a, double s, PNTensor *b); /* NULL = number s */
PNTensor *pn_binary_s_rev(pn_binary_op op, double s, PNTensor *t);
/* s op t */ /* broadcasting copy with cast, no autograd */
PNTensor *pn_contiguous(PNTensor *a);
PNTensor *pn_clone(PNTensor *a);
PNTensor *pn_flip(PNTensor *a, uint32_t mask); /* copy reversed along the dims in mask */
PNTensor *pn_detach(PNTensor *a);

/* views */
PNTensor *pn_view(PNTensor *a, int ndim, const int64_t *shape, const char *op);
PNTensor *pn_reshape(PNTensor *a, int ndim, const int64_t *shape);
PNTensor *pn_permute(PNTensor *a, const int *perm);
PNTensor *pn_transpose(PNTensor *a, int d0, int d1);
PNTensor *pn_expand(PNTensor *a, int ndim, const int64_t *shape);
PNTensor *pn_squeeze(PNTensor *a, int dim);            /* dim < 0 after wrapping: all size-1 dims */
PNTensor *pn_squeeze_dims(PNTensor *a, uint32_t mask); /* the size-1 dims d with bit d set */
PNTensor *pn_unsqueeze(PNTensor *a, int dim);
/* A view of a's memory with any shape and strides, from storage_offset elements after
 * the start of a's storage (-1: a's own offset). */
PNTensor *pn_as_strided(PNTensor *a, int ndim, const int64_t *shape, const int64_t *strides,
                        int64_t storage_offset);
PNTensor *pn_narrow(PNTensor *a, int dim, int64_t start, int64_t length);
PNTensor *pn_select(PNTensor *a, int dim, int64_t index);
PNTensor *pn_diagonal(PNTensor *a, int64_t offset, int dim1, int dim2);        /* dims wrapped */
PNTensor *pn_unfold_windows(PNTensor *a, int dim, int64_t size, int64_t step); /* Tensor.unfold */
/* n views of a along dim (sizes[k] each; unbind: selects), one autograd node named name */
int pn_split(PNTensor *a, int dim, int n, const int64_t *sizes, int unbind, const char *name,
             PNTensor **outs);
/* Basic indexing as a list of view steps (see ops/view.c). */
enum { PN_SLICE_SLICE = 0, PN_SLICE_SELECT = 1, PN_SLICE_NEWAXIS = 2 };
typedef struct {
    int kind, dim;
    int64_t start, len, step;
} pn_slice_op;
PNTensor *pn_apply_slices(PNTensor *a, const pn_slice_op *ops, int n);     /* with autograd */
PNTensor *pn_apply_slices_raw(PNTensor *a, const pn_slice_op *ops, int n); /* without */
PNTensor *pn_sum_to(PNTensor *g, int ndim, const int64_t *shape); /* reduce broadcast dims */

/* reductions; dims: bitmask of reduced dims (0 means all) */
PNTensor *pn_sum(PNTensor *a, uint32_t dims, int keepdim, int has_dtype, pn_dtype dt);
PNTensor *pn_mean(PNTensor *a, uint32_t dims, int keepdim);
PNTensor *pn_prod(PNTensor *a, int dim, int keepdim); /* dim < 0: all */
PNTensor *pn_amax(PNTensor *a, uint32_t dims, int keepdim, int is_max);
PNTensor *pn_max_all(PNTensor *a, int is_max); /* max() / min(): MaxBackward1 */
int pn_max_dim(PNTensor *a, int dim, int keepdim, int is_max, PNTensor **values,
               PNTensor **indices);
PNTensor *pn_var(PNTensor *a, uint32_t dims, int keepdim, double correction, int take_sqrt);
PNTensor *pn_logsumexp(PNTensor *a, uint32_t dims, int keepdim);
PNTensor *pn_softmax(PNTensor *a, int dim, int log);
PNTensor *pn_prod_mask(PNTensor *a, uint32_t mask, int keepdim);
PNTensor *pn_argmax(PNTensor *a, PyObject *dim, int keepdim, int is_max);
int pn_max_dim_nograd(PNTensor *a, int dim, int keepdim, int is_max, PNTensor **v, PNTensor **ix);
PNTensor *pn_view_nograd(PNTensor *a, int ndim, const int64_t *shape);
int pn_parse_dims(PyObject *o, int ndim, uint32_t *mask, const char *op); /* None -> 0 */

/* matmul */
PNTensor *pn_matmul(PNTensor *a, PNTensor *b, const char *op);

/* join */
PNTensor *pn_cat(PyObject *seq, int64_t dim);
PNTensor *pn_stack(PyObject *seq, int64_t dim);

/* indexing */
PyObject *pn_getitem(PNTensor *self, PyObject *index);
int pn_setitem(PNTensor *self, PyObject *index, PyObject *value);

/* sequence ops: gather.c, sort.c, scan.c, tri.c. dim is already wrapped. */
PNTensor *pn_gather(PNTensor *x, int dim, PNTensor *idx);
/* src: a tensor of self's dtype, or (value != 0) a 0-d tensor holding the value;
 * accumulate: scatter_add (and scatter(reduce='add')) */
PNTensor *pn_scatter(PNTensor *self, int dim, PNTensor *idx, PNTensor *src, int value,
                     int accumulate);
PyObject *pn_scatter_inplace(PNTensor *self, int dim, PNTensor *idx, PNTensor *src, int value,
                             int accumulate);
PNTensor *pn_index_select(PNTensor *x, int dim, PNTensor *idx);
/* Record out = x's elements picked at idx along dim (its backward scatter-adds g at idx). */
int pn_record_gather(PNTensor *out, const char *name, PNTensor *x, int dim, PNTensor *idx);
int pn_sort(PNTensor *x, int dim, int descending, PNTensor **values, PNTensor **indices);
PNTensor *pn_argsort(PNTensor *x, int dim, int descending);
int pn_topk(PNTensor *x, int64_t k, int dim, int largest, PNTensor **values, PNTensor **indices);
PNTensor *pn_cumsum(PNTensor *x, int dim, int has_dtype, pn_dtype dt);
PNTensor *pn_cumprod(PNTensor *x, int dim, int has_dtype, pn_dtype dt);
int pn_cum_extreme_op(PNTensor *x, int dim, int is_max, PNTensor **values, PNTensor **indices);
PNTensor *pn_logcumsumexp(PNTensor *x, int dim);
PNTensor *pn_tri(PNTensor *x, int64_t k, int lower); /* tril (lower) or triu */
PyObject *pn_tri_inplace(PNTensor *x, int64_t k, int lower);

/* layer ops of torch.nn.functional (linear.c, activation.c, dropout.c,
 * embedding.c, pad.c); pyapi/functional.c parses their Python arguments */
PNTensor *pn_linear(PNTensor *x, PNTensor *w, PNTensor *b); /* b may be NULL */
PyObject *pn_activation(PNTensor *x, pn_act_args p, int inplace);
const char *pn_activation_name(pn_act act); /* "gelu", for messages */
PNTensor *pn_prelu(PNTensor *x, PNTensor *w);
PyObject *pn_dropout(PNTensor *x, double p, int inplace); /* training mode */
PNTensor *pn_embedding(PNTensor *idx, PNTensor *w, int64_t padding_idx);
PNTensor *pn_one_hot(PNTensor *t, int64_t num_classes);
PNTensor *pn_pad(PNTensor *x, int npad, const int64_t *pads, double value);
/* convolution and unfold/fold (conv.c) */
typedef struct {
    int nd;         /* spatial dims: 1 (conv1d) or 2 (conv2d); the arrays below have nd entries */
    int transposed; /* conv_transpose: weight (C_in, C_out/groups, k...), output_padding used */
    int64_t stride[2], padding[2], dilation[2], output_padding[2], groups;
} pn_conv_args;
typedef struct {
    int64_t kernel[2], dilation[2], padding[2], stride[2]; /* (height, width) each */
} pn_fold_args;
/* x (N, C, [H,] W), w (O, C/groups, [kh,] kw), b (O) or NULL -> (N, O, [Ho,] Wo) */
PNTensor *pn_convolution(PNTensor *x, PNTensor *w, PNTensor *b, const pn_conv_args *p);
PNTensor *pn_im2col(PNTensor *x, const pn_fold_args *a);                            /* F.unfold */
PNTensor *pn_col2im(PNTensor *col, const int64_t *out_size, const pn_fold_args *a); /* F.fold */
/* pooling (pool.c): 2-D over the last two dims; 1-D pooling is 2-D with a unit height */
typedef struct {
    int64_t kernel[2], stride[2], padding[2], dilation[2]; /* (height, width) each */
    int ceil_mode, count_include_pad;                      /* (avg: count padding) */
    int64_t divisor; /* avg divisor_override (nonzero), or 0 for none */
} pn_pool_args;
PNTensor *pn_max_pool2d(PNTensor *x, const pn_pool_args *a, PNTensor **indices); /* may be NULL */
PNTensor *pn_avg_pool2d(PNTensor *x, const pn_pool_args *a);
/* adaptive: windows chosen to give out_size (Ho, Wo); max != 0 for max, else mean */
PNTensor *pn_adaptive_pool2d(PNTensor *x, const int64_t *out_size, int max, PNTensor **indices);
/* interpolate (upsample.c): x (N, C, *in) with 1 to 3 spatial dims -> (N, C, *out); mode a
 * PN_UPSAMPLE_* of kernels/upsample.h; out = size if given, else floor(in * scales), and the
 * scales (or NULL) set the source indices as in PyTorch */
PNTensor *pn_interpolate(PNTensor *x, int mode, const int64_t *size, const double *scales,
                         int align_corners);
/* losses (loss.c); pyapi/losses.c parses their Python arguments */
enum { PN_REDUCTION_NONE = 0, PN_REDUCTION_MEAN = 1, PN_REDUCTION_SUM = 2 };
PNTensor *pn_nll_loss(PNTensor *x, PNTensor *t, PNTensor *w, int64_t ignore_index, int reduction);
PNTensor *pn_cross_entropy(PNTensor *x, PNTensor *t, PNTensor *w, int64_t ignore_index,
                           int reduction, double label_smoothing);
PNTensor *pn_elementwise_loss(pn_pointwise_loss kind, PNTensor *x, PNTensor *y, PNTensor *w,
                              PNTensor *pos_weight, double param, int reduction);
/* normalisation (norm.c); pyapi/functional.c parses their Python arguments */
PNTensor *pn_batch_norm(PNTensor *x, PNTensor *running_mean, PNTensor *running_var, PNTensor *w,
                        PNTensor *b, int training, double momentum, double eps);
PNTensor *pn_layer_norm(PNTensor *x, int k, const int64_t *normalized_shape, PNTensor *w,
                        PNTensor *b, double eps);
/* group_norm of x (N, C, *) in G groups with weight, bias (C) or NULL (ops/norm.c). */
PNTensor *pn_group_norm(PNTensor *x, int64_t G, PNTensor *w, PNTensor *b, double eps);

/* Shared by reduce.c and softmax.c: run a row kernel over each row of a along dim,
 * writing into outs (shaped like a with dim kept as size 1), rows split across threads. */
void pn_run_rows(pn_loop_fn fn, PNTensor *a, int dim, int nout, PNTensor **outs);

/* recurrent layers (rnn.c): one layer, one direction; mode a pn_rnn_mode
 * (kernels/rnn.h); out[0..2] = y, h_n, c_n (c_n NULL unless LSTM). 0 or -1. */
int pn_rnn_layer(int mode, PNTensor *xg, PNTensor *w_hh, PNTensor *b_hh, PNTensor *h0, PNTensor *c0,
                 PNTensor *w_hr, PNTensor *batch_sizes, int reverse, PNTensor **out);

/* attention (attention.c): q (*, L, E), k (*, S, E), v (*, S, Ev), mask (bool or
 * q's dtype, broadcastable to (*, L, S)) or NULL; scale NAN means 1/sqrt(E). */
PNTensor *pn_scaled_dot_product_attention(PNTensor *q, PNTensor *k, PNTensor *v, PNTensor *mask,
                                          double dropout_p, int causal, double scale);

#endif
