/* ops/conv.c - convolution (F.conv1d, F.conv2d) and unfold/fold (F.unfold,
 * F.fold), by im2col + GEMM (kernels/conv.h).
 *
 * A convolution y = Y(x, w) + b is bilinear in (x, w). Its two backward
 * products are bilinear too:
 *   DX(dy, w) = the input gradient  (w^T @ dy, then col2im: a transposed convolution)
 *   DW(x, dy) = the weight gradient (dy @ im2col(x)^T, summed over the batch)
 * and the gradients of each of the three maps are the other two (the adjoint
 * identities <dy, Y(x, w)> = <DX(dy, w), x> = <DW(x, dy), w>). So one
 * backward function, conv_backward, serves all three nodes, and every
 * gradient it returns is computed by an op that records its own node: double
 * backward (create_graph=True) works to any order.
 *
 * unfold (im2col) and fold (col2im) are linear and adjoint to each other: the
 * backward of each is the other.
 */
#include "ops.h"
#include "../kernels/conv.h"

/* Kernel error code -> Python exception. */
static void kernel_error(int rc, const char *op) {
    if (rc == PN_ENOMEM)
        PyErr_NoMemory();
    else
        PyErr_Format(PyExc_RuntimeError, "%s: invalid geometry (internal error %d)", op, rc);
}

/* ---------------------------------------------------------- convolution ---- */

typedef enum { CONV_Y, CONV_DX, CONV_DW } conv_kind;

/* State of ConvolutionBackward0 and ConvolutionBackwardBackward0 (the two
 * operands are saved tensors, slots 0 and 1). */
typedef struct {
    pn_conv_geom g; /* the forward convolution's geometry */
    int nd;         /* spatial dims the user sees: 2, or 1 (conv1d: H = kh = 1) */
    int kind;       /* the product this node computed: a conv_kind */
} conv_state;

/* The shape of what `kind` produces: y (N, O, Ho, Wo), dx (N, C, H, W) or
 * dw (O, C/G, kh, kw); for nd = 1 without the height. Returns the ndim. */
static int conv_shape(const conv_state *st, conv_kind kind, int64_t *s) {
    const pn_conv_geom *g = &st->g;
    int64_t d[4] = {g->N, g->O, g->Ho, g->Wo};
    if (kind == CONV_DX) d[1] = g->C, d[2] = g->H, d[3] = g->W;
    if (kind == CONV_DW) d[0] = g->O, d[1] = g->C / g->G, d[2] = g->kh, d[3] = g->kw;
    s[0] = d[0], s[1] = d[1], s[2] = d[2], s[3] = d[3];
    if (st->nd == 1) s[2] = d[3];
    return st->nd + 2;
}

static int conv_backward(PNNode *n, PNTensor **gout, PNTensor **gin);

/* The kernel of `kind` on contiguous operands, with the GIL released. */
static int conv_kernel(conv_kind kind, const pn_conv_geom *g, PNTensor *a, PNTensor *b,
                       PNTensor *bias, PNTensor *out) {
    PyThreadState *ts = PyEval_SaveThread();
    int rc =
        kind == CONV_Y
            ? pn_conv2d_forward(a->dtype, g, a->data, b->data, bias ? bias->data : NULL, out->data)
        : kind == CONV_DX ? pn_conv2d_backward_input(a->dtype, g, a->data, b->data, out->data)
                          : pn_conv2d_backward_weight(a->dtype, g, a->data, b->data, out->data);
    if (rc == PN_OK && kind == CONV_DX && bias) /* a transposed convolution's bias */
        pn_conv_add_bias(a->dtype, out->data, bias->data, g->N, g->C, g->H * g->W);
    PyEval_RestoreThread(ts);
    if (rc != PN_OK) kernel_error(rc, "convolution");
    return rc == PN_OK ? 0 : -1;
}

// CONV_Y:  x (N, C, H, W) = a, w (O, C/G, kh, kw) = b, bias (O) -> y (N, O, Ho, Wo)
// CONV_DX: dy (N, O, Ho, Wo) = a, w (O, C/G, kh, kw) = b       -> dx (N, C, H, W)
// CONV_DW: x (N, C, H, W) = a, dy (N, O, Ho, Wo) = b           -> dw (O, C/G, kh, kw)
// (operands already checked; any strides), recording its node: the user's op (top: a
// convolution, or with CONV_DX a transposed one, plus bias) or a product inside a backward
static PNTensor *conv_run(conv_kind kind, PNTensor *a, PNTensor *b, PNTensor *bias,
                          const conv_state *st, int top) {
    int64_t shape[4];
    int ndim = conv_shape(st, kind, shape);
    PNTensor *ac = pn_to_contiguous_nograd(a), *bc = ac ? pn_to_contiguous_nograd(b) : NULL;
    PNTensor *biasc = NULL, *out = NULL;
    if (!bc || (bias && !(biasc = pn_to_contiguous_nograd(bias)))) goto done;
    if (!(out = pn_empty(a->dtype, ndim, shape))) goto done;
    if (conv_kernel(kind, &st->g, ac, bc, biasc, out) < 0) {
        Py_CLEAR(out);
        goto done;
    }
    PNTensor *ins[3] = {a, b, bias};
    PNNode *n = pn_record(out, top ? "ConvolutionBackward0" : "ConvolutionBackwardBackward0",
                          conv_backward, top ? 3 : 2, ins);
    conv_state *s = n ? pn_node_state(n, sizeof *s, 0) : NULL;
    if (s) {
        *s = *st, s->kind = kind;
        if (pn_save(n, 0, a, 0) == 0) pn_save(n, 1, b, 0);
    }
    if (PyErr_Occurred()) Py_CLEAR(out);
done:
    Py_XDECREF(ac), Py_XDECREF(bc), Py_XDECREF(biasc);
    return out;
}

// y = Y(x, w) + b       (x, w saved):   dx = DX(g, w),   dw = DW(x, g),   db = sum of g over
//                                       every dim but the channel dim 1
// (a transposed convolution y = DX(x, w) + b is the second line, with db as here)
// dx = DX(dy, w)        (dy, w saved):  d dy = Y(g, w),  d w = DW(g, dy)
// dw = DW(x, dy)        (x, dy saved):  d x = DX(dy, g), d dy = Y(x, g)
static int conv_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    const conv_state *st = PN_STATE(n, conv_state);
    PNTensor *a = pn_unpack(n, 0), *b = a ? pn_unpack(n, 1) : NULL, *g = gout[0];
    if (!b) {
        Py_XDECREF(a);
        return -1;
    }
    int rc = -1;
    /* for each input k: the product giving its gradient and its two operands */
    conv_kind kind[2];
    PNTensor *op[2][2];
    if (st->kind == CONV_Y) {
        kind[0] = CONV_DX, op[0][0] = g, op[0][1] = b;
        kind[1] = CONV_DW, op[1][0] = a, op[1][1] = g;
    } else if (st->kind == CONV_DX) {
        kind[0] = CONV_Y, op[0][0] = g, op[0][1] = b;
        kind[1] = CONV_DW, op[1][0] = g, op[1][1] = a;
    } else {
        kind[0] = CONV_DX, op[0][0] = b, op[0][1] = g;
        kind[1] = CONV_Y, op[1][0] = a, op[1][1] = g;
    }
    for (int k = 0; k < 2; k++)
        if (n->next[k].fn && !(gin[k] = conv_run(kind[k], op[k][0], op[k][1], NULL, st, 0)))
            goto out;
    if (n->n_next > 2 && n->next[2].fn) { /* the bias of a convolution or a transposed one */
        uint32_t mask = ((1u << g->ndim) - 1) & ~2u; /* every dim but 1 */
        if (!(gin[2] = pn_sum(g, mask, 0, 0, g->dtype))) goto out;
    }
    rc = 0;
out:
    Py_DECREF(a), Py_DECREF(b);
    return rc;
}

/* "(2 x 2)" or "(5)": a spatial size as PyTorch prints it in conv messages. */
static void fmt_spatial(char *buf, size_t n, int nd, int64_t h, int64_t w) {
    if (nd == 2)
        snprintf(buf, n, "(%lld x %lld)", (long long)h, (long long)w);
    else
        snprintf(buf, n, "(%lld)", (long long)w);
}

/* PyTorch's checks of the stride/padding/dilation/groups values, in its words. */
static int check_conv_args(const pn_conv_args *p) {
    int64_t s = 1, pad = 0, d = 1;
    for (int k = 0; k < p->nd; k++) {
        s = p->stride[k] < s ? p->stride[k] : s;
        pad = p->padding[k] < pad ? p->padding[k] : pad;
        d = p->dilation[k] < d ? p->dilation[k] : d;
    }
    const char *msg = s < 1           ? "non-positive stride is not supported"
                      : pad < 0       ? "negative padding is not supported"
                      : p->groups < 1 ? "non-positive groups is not supported"
                                      : NULL;
    if (msg) {
        PyErr_SetString(PyExc_RuntimeError, msg);
        return -1;
    }
    for (int k = 0; k < p->nd; k++) /* keeps every size computation below 2^63 */
        if (p->stride[k] > INT32_MAX || p->padding[k] > INT32_MAX || p->dilation[k] > INT32_MAX) {
            PyErr_SetString(PyExc_RuntimeError,
                            "convolution: stride, padding and dilation must be below 2^31");
            return -1;
        }
    if (d < 1) {
        char buf[64];
        pn_format_list(buf, sizeof buf, p->nd, p->dilation);
        PyErr_Format(PyExc_RuntimeError, "dilation should be greater than zero, but got %s", buf);
        return -1;
    }
    return 0;
}

/* dtypes of x, w, b: the same floating type. */
static int check_conv_dtypes(PNTensor *x, PNTensor *w, PNTensor *b) {
    static const char *torch_names[PN_NDTYPES] = {"Bool", "Long", "Float", "Double"};
    if (!pn_is_float(x->dtype)) /* PyTorch's type: no kernel for integers (or bool) */
        return PyErr_Format(PyExc_NotImplementedError,
                            "\"slow_conv2d_cpu\" not implemented for "
                            "'%s'",
                            torch_names[x->dtype]),
               -1;
    if (x->dtype != w->dtype) {
        PyErr_Format(PyExc_RuntimeError, "expected scalar type %s but found %s",
                     torch_names[x->dtype], torch_names[w->dtype]);
        return -1;
    }
    if (b && b->dtype != x->dtype) {
        PyErr_Format(PyExc_RuntimeError, "Input type (%s) and bias type (%s) should be the same",
                     pn_dtype_name(x->dtype), pn_dtype_name(b->dtype));
        return -1;
    }
    return pn_require_float(x, "convolution");
}

/* dims, channel counts (groups) and bias size of x, w, b. */
static int check_conv_operands(PNTensor *x, PNTensor *w, PNTensor *b, const pn_conv_args *p) {
    char xs[256], ws[256], bs[256];
    pn_format_list(xs, sizeof xs, x->ndim, x->shape);
    pn_format_list(ws, sizeof ws, w->ndim, w->shape);
    if (w->ndim != p->nd + 2 || x->ndim != p->nd + 2) {
        PyErr_Format(PyExc_RuntimeError,
                     "Expected %d-dimensional input for %d-dimensional weight %s, but got "
                     "%d-dimensional input of size %s instead",
                     w->ndim, w->ndim, ws, x->ndim, xs);
        return -1;
    }
    int64_t O = w->shape[0], G = p->groups;
    if (O < 1) {
        PyErr_Format(PyExc_RuntimeError,
                     "Given groups=%lld, expected weight to be at least 1 at dimension 0, but got "
                     "weight of size %s instead",
                     (long long)G, ws);
        return -1;
    }
    if (O % G) { /* PyTorch prints the size in double brackets here */
        PyErr_Format(PyExc_RuntimeError,
                     "Given groups=%lld, expected weight to be divisible by %lld at dimension 0, "
                     "but got weight of size [%s] instead",
                     (long long)G, (long long)G, ws);
        return -1;
    }
    /* a transposed convolution reads O channels and writes C = (C/G) G */
    int64_t cin = p->transposed ? O : w->shape[1] * G, cout = p->transposed ? w->shape[1] * G : O;
    char head[64];
    if (p->transposed)
        snprintf(head, sizeof head, "Given transposed=1, weight");
    else
        snprintf(head, sizeof head, "Given groups=%lld, weight", (long long)G);
    if (x->shape[1] != cin) {
        PyErr_Format(PyExc_RuntimeError,
                     "%s of size %s, expected input%s to have %lld channels, but got %lld "
                     "channels instead",
                     head, ws, xs, (long long)cin, (long long)x->shape[1]);
        return -1;
    }
    if (b && (b->ndim != 1 || b->shape[0] != cout)) {
        pn_format_list(bs, sizeof bs, b->ndim, b->shape);
        PyErr_Format(PyExc_RuntimeError,
                     "%s of size %s, expected bias to be 1-dimensional with %lld elements, but "
                     "got bias of size %s instead",
                     p->transposed ? "Given transposed=1, weight" : "Given weight", ws,
                     (long long)cout, bs);
        return -1;
    }
    return 0;
}

/* The geometry of x (N, C, [H,] W) with w (O, C/G, [kh,] kw); a 1-D
 * convolution is a 2-D one of height 1. Raises PyTorch's error for a kernel
 * larger than the padded input. */
static int conv_geom(PNTensor *x, PNTensor *w, const pn_conv_args *p, pn_conv_geom *g) {
    int two = p->nd == 2, last = p->nd - 1;
    *g = (pn_conv_geom){.N = x->shape[0],
                        .C = x->shape[1],
                        .H = two ? x->shape[2] : 1,
                        .W = x->shape[x->ndim - 1],
                        .O = w->shape[0],
                        .G = p->groups,
                        .kh = two ? w->shape[2] : 1,
                        .kw = w->shape[w->ndim - 1],
                        .sh = two ? p->stride[0] : 1,
                        .sw = p->stride[last],
                        .ph = two ? p->padding[0] : 0,
                        .pw = p->padding[last],
                        .dh = two ? p->dilation[0] : 1,
                        .dw = p->dilation[last]};
    int64_t ph, pw, kh, kw;
    if (__builtin_mul_overflow(g->ph, 2, &ph) || __builtin_add_overflow(ph, g->H, &ph) ||
        __builtin_mul_overflow(g->pw, 2, &pw) || __builtin_add_overflow(pw, g->W, &pw) ||
        __builtin_mul_overflow(g->dh, g->kh - 1, &kh) ||
        __builtin_mul_overflow(g->dw, g->kw - 1, &kw)) {
        PyErr_SetString(PyExc_RuntimeError, "convolution: sizes too large");
        return -1;
    }
    kh += 1, kw += 1;
    if (ph < kh || pw < kw) {
        char a[64], b[64];
        fmt_spatial(a, sizeof a, p->nd, ph, pw);
        fmt_spatial(b, sizeof b, p->nd, kh, kw);
        PyErr_Format(PyExc_RuntimeError,
                     "Calculated padded input size per channel: %s. Kernel size: %s. Kernel size "
                     "can't be greater than actual input size",
                     a, b);
        return -1;
    }
    int rc = pn_conv_geom_init(g);
    if (rc != PN_OK) {
        PyErr_SetString(PyExc_RuntimeError, rc == PN_EOVERFLOW
                                                ? "convolution: sizes too large"
                                                : "convolution: kernel sizes must be positive");
        return -1;
    }
    return 0;
}

/* PyTorch's checks of output_padding (a 1-D convolution's height as (0, 1, 1) in the
 * message): each below its stride or its dilation. */
static int check_output_padding(const pn_conv_args *p) {
    int two = p->nd == 2, last = p->nd - 1;
    int64_t oph = two ? p->output_padding[0] : 0, sh = two ? p->stride[0] : 1;
    int64_t dh = two ? p->dilation[0] : 1;
    for (int k = 0; k < p->nd; k++) {
        int64_t op = p->output_padding[k];
        if (op < 0) {
            PyErr_SetString(PyExc_RuntimeError, "negative output_padding is not supported");
            return -1;
        }
        if (op >= p->stride[k] && op >= p->dilation[k]) {
            PyErr_Format(PyExc_RuntimeError,
                         "output padding must be smaller than either stride or dilation, but "
                         "got output_padding_height: %lld output_padding_width: %lld "
                         "stride_height: %lld stride_width: %lld dilation_height: %lld "
                         "dilation_width: %lld",
                         (long long)oph, (long long)p->output_padding[last], (long long)sh,
                         (long long)p->stride[last], (long long)dh, (long long)p->dilation[last]);
            return -1;
        }
    }
    return 0;
}

// x (N, Ci, Hi, Wi), w (Ci, Co/G, kh, kw), b (Co) or NULL -> y (N, Co, Ho, Wo) with
// Ho = (Hi - 1) sh - 2 ph + dh (kh - 1) + oph + 1: the input gradient of the convolution of y
// by w (whose output is x), so y = DX(x, w) + b in that convolution's geometry.
static PNTensor *conv_transpose(PNTensor *x, PNTensor *w, PNTensor *b, const pn_conv_args *p,
                                conv_state *st) {
    int two = p->nd == 2, last = p->nd - 1;
    int64_t hi = two ? x->shape[2] : 1, wi = x->shape[x->ndim - 1], out[2];
    if (check_output_padding(p) < 0) return NULL;
    for (int k = 0; k < p->nd; k++) {
        int64_t op = p->output_padding[k], in = k == last ? wi : hi;
        int64_t a, b; /* out = (in - 1) s - 2 p + d (k - 1) + op + 1, checked */
        if (__builtin_mul_overflow(in - 1, p->stride[k], &a) ||
            __builtin_mul_overflow(w->shape[2 + k] - 1, p->dilation[k], &b) ||
            __builtin_add_overflow(a, b, &a) ||
            __builtin_add_overflow(a, op + 1 - 2 * p->padding[k], &out[k])) {
            PyErr_SetString(PyExc_RuntimeError, "conv_transpose: sizes too large");
            return NULL;
        }
    }
    if (out[0] < 1 || out[last] < 1) {
        char a[64], c[64];
        fmt_spatial(a, sizeof a, p->nd, hi, wi);
        fmt_spatial(c, sizeof c, p->nd, out[0], out[last]);
        PyErr_Format(PyExc_RuntimeError,
                     "Given input size per channel: %s. Calculated output size per channel: %s. "
                     "Output size is too small",
                     a, c);
        return NULL;
    }
    /* the forward convolution: input y (N, Co, Ho, Wo), output x; its Ho may exceed Hi
     * by output_padding / stride rows that the transposed convolution never reads */
    st->g = (pn_conv_geom){x->shape[0],
                           w->shape[1] * p->groups,
                           two ? out[0] : 1,
                           out[last],
                           w->shape[0],
                           p->groups,
                           two ? w->shape[2] : 1,
                           w->shape[w->ndim - 1],
                           two ? p->stride[0] : 1,
                           p->stride[last],
                           two ? p->padding[0] : 0,
                           p->padding[last],
                           two ? p->dilation[0] : 1,
                           p->dilation[last],
                           0,
                           0};
    if (pn_conv_geom_init(&st->g) != PN_OK) {
        PyErr_SetString(PyExc_RuntimeError, "conv_transpose: sizes too large");
        return NULL;
    }
    st->g.Ho = hi, st->g.Wo = wi;
    return conv_run(CONV_DX, x, w, b, st, 1);
}

// x (N, C, H, W), w (O, C/G, kh, kw), b (O) or NULL -> y (N, O, Ho, Wo)   (nd = 2)
// x (N, C, W),    w (O, C/G, kw),     b (O) or NULL -> y (N, O, Wo)       (nd = 1)
// p->transposed: the transposed convolution (conv_transpose above)
PNTensor *pn_convolution(PNTensor *x, PNTensor *w, PNTensor *b, const pn_conv_args *p) {
    conv_state st = {.nd = p->nd, .kind = CONV_Y};
    if (p->nd < 1 || p->nd > 2) {
        PyErr_SetString(PyExc_NotImplementedError, "pynet: only 1-D and 2-D convolutions");
        return NULL;
    }
    if (check_conv_args(p) < 0 || check_conv_dtypes(x, w, b) < 0 ||
        check_conv_operands(x, w, b, p) < 0)
        return NULL;
    if (p->transposed) return conv_transpose(x, w, b, p, &st);
    if (conv_geom(x, w, p, &st.g) < 0) return NULL;
    return conv_run(CONV_Y, x, w, b, &st, 1);
}

/* ---------------------------------------------------------- unfold/fold ---- */

/* State of Im2ColBackward0 and Col2ImBackward0. */
typedef struct {
    pn_conv_geom g; /* N, C, H, W: the image side; Ho, Wo: the blocks */
    int batched;    /* 0: the image is (C, H, W) and the columns (C kh kw, L) */
    int to_cols;    /* 1: this node's op was unfold (im2col), 0: fold (col2im) */
} fold_state;

static int fold_backward(PNNode *n, PNTensor **gout, PNTensor **gin);

// to_cols: x (N, C, H, W) -> col (N, C kh kw, L)       (unfold; without N when unbatched)
// else:    col (N, C kh kw, L) -> x (N, C, H, W)       (fold: overlapping blocks summed)
static PNTensor *fold_run(int to_cols, PNTensor *in, const fold_state *st) {
    const pn_conv_geom *g = &st->g;
    int64_t img[4] = {g->N, g->C, g->H, g->W},
            cols[3] = {g->N, g->C * g->kh * g->kw, g->Ho * g->Wo};
    int b = !st->batched; /* skip the batch dim when unbatched */
    PNTensor *ic = pn_to_contiguous_nograd(in), *out = NULL;
    if (!ic) return NULL;
    out = to_cols ? pn_empty(in->dtype, 3 - b, cols + b) : pn_empty(in->dtype, 4 - b, img + b);
    if (out) {
        PyThreadState *ts = PyEval_SaveThread();
        int rc = to_cols ? pn_unfold(in->dtype, g, ic->data, out->data)
                         : pn_fold(in->dtype, g, ic->data, out->data);
        PyEval_RestoreThread(ts);
        if (rc != PN_OK) {
            kernel_error(rc, to_cols ? "unfold" : "fold");
            Py_CLEAR(out);
        }
    }
    Py_DECREF(ic);
    if (!out) return NULL;
    PNNode *n =
        pn_record(out, to_cols ? "Im2ColBackward0" : "Col2ImBackward0", fold_backward, 1, &in);
    fold_state *s = n ? pn_node_state(n, sizeof *s, 0) : NULL;
    if (s) *s = *st, s->to_cols = to_cols;
    if (PyErr_Occurred()) Py_CLEAR(out);
    return out;
}

// col = unfold(x): dx = fold(g);   x = fold(col): dcol = unfold(g)   (the two are adjoint)
static int fold_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    const fold_state *st = PN_STATE(n, fold_state);
    gin[0] = fold_run(!st->to_cols, gout[0], st);
    return gin[0] ? 0 : -1;
}

/* PyTorch's checks of kernel_size, dilation, padding, stride (and output_size). */
static int check_fold_args(const pn_fold_args *a, const int64_t *out_size) {
    static const char *what[4] = {
        "kernel size should be greater than zero", "dilation should be greater than zero",
        "padding should be non-negative", "stride should be greater than zero"};
    static const char *name[4] = {"kernel", "dilation", "pad", "stride"};
    const int64_t *v[4] = {a->kernel, a->dilation, a->padding, a->stride};
    for (int k = 0; k < 4; k++) {
        int64_t lo = k == 2 ? 0 : 1;
        if (v[k][0] < lo || v[k][1] < lo || v[k][0] > INT32_MAX || v[k][1] > INT32_MAX) {
            PyErr_Format(PyExc_RuntimeError, "%s, but got %s_height: %lld %s_width: %lld", what[k],
                         name[k], (long long)v[k][0], name[k], (long long)v[k][1]);
            return -1;
        }
    }
    if (out_size && (out_size[0] < 1 || out_size[1] < 1 || out_size[0] > INT32_MAX ||
                     out_size[1] > INT32_MAX)) {
        PyErr_Format(PyExc_RuntimeError,
                     "output_size should be greater than zero, but got output_height: %lld "
                     "output_width: %lld",
                     (long long)out_size[0], (long long)out_size[1]);
        return -1;
    }
    return 0;
}

/* The geometry of an unfold/fold over images (N, C, H, W); Ho, Wo (the
 * blocks) by the floor rule, negative when the kernel does not fit. */
static pn_conv_geom fold_geom(int64_t N, int64_t C, int64_t H, int64_t W, const pn_fold_args *a) {
    pn_conv_geom g = {N,
                      C,
                      H,
                      W,
                      1,
                      1,
                      a->kernel[0],
                      a->kernel[1],
                      a->stride[0],
                      a->stride[1],
                      a->padding[0],
                      a->padding[1],
                      a->dilation[0],
                      a->dilation[1],
                      0,
                      0};
    /* all values < 2^31 (checked): no overflow in int64 */
    g.Ho = (H + 2 * g.ph - (g.dh * (g.kh - 1) + 1)) / g.sh + 1;
    g.Wo = (W + 2 * g.pw - (g.dw * (g.kw - 1) + 1)) / g.sw + 1;
    return g;
}

// x (N, C, H, W) or (C, H, W) -> (N, C kh kw, L) or (C kh kw, L), L = Ho Wo blocks
PNTensor *pn_im2col(PNTensor *x, const pn_fold_args *a) {
    char xs[256];
    pn_format_list(xs, sizeof xs, x->ndim, x->shape);
    if (x->ndim != 3 && x->ndim != 4) {
        PyErr_Format(PyExc_RuntimeError,
                     "Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other "
                     "non-zero dimensions for input, but got: %s",
                     xs);
        return NULL;
    }
    if (check_fold_args(a, NULL) < 0 || pn_require_float(x, "im2col_out_cpu") < 0) return NULL;
    int b = x->ndim == 4;
    const int64_t *s = x->shape;
    fold_state st = {fold_geom(b ? s[0] : 1, s[b], s[b + 1], s[b + 2], a), b, 1};
    if (st.g.Ho < 1 || st.g.Wo < 1) {
        PyErr_Format(PyExc_RuntimeError,
                     "Given input with spatial size (%lld, %lld), kernel_size=(%lld, %lld), "
                     "dilation=(%lld, %lld), padding=(%lld, %lld), calculated shape of the array "
                     "of sliding blocks as (%lld, %lld), but its components must be at least one.",
                     (long long)st.g.H, (long long)st.g.W, (long long)st.g.kh, (long long)st.g.kw,
                     (long long)st.g.dh, (long long)st.g.dw, (long long)st.g.ph, (long long)st.g.pw,
                     (long long)st.g.Ho, (long long)st.g.Wo);
        return NULL;
    }
    if (pn_conv_geom_init(&st.g) != PN_OK) {
        PyErr_SetString(PyExc_RuntimeError, "unfold: sizes too large");
        return NULL;
    }
    return fold_run(1, x, &st);
}

// col (N, C kh kw, L) or (C kh kw, L) -> (N, C, H, W) or (C, H, W), (H, W) = out_size
PNTensor *pn_col2im(PNTensor *col, const int64_t *out_size, const pn_fold_args *a) {
    char cs[256];
    pn_format_list(cs, sizeof cs, col->ndim, col->shape);
    if (col->ndim != 2 && col->ndim != 3) {
        PyErr_Format(PyExc_RuntimeError,
                     "Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size "
                     "and non-zero dimensions for input, but got: %s",
                     cs);
        return NULL;
    }
    if (check_fold_args(a, out_size) < 0 || pn_require_float(col, "col2im_out_cpu") < 0)
        return NULL;
    int b = col->ndim == 3;
    int64_t kk = a->kernel[0] * a->kernel[1], rows = col->shape[b], L = col->shape[b + 1];
    if (rows % kk) {
        PyErr_Format(PyExc_RuntimeError,
                     "Expected size of input's dimension %d to be divisible by the product of "
                     "kernel_size, but got input.size(%d)=%lld and kernel_size=(%lld, %lld).",
                     b, b, (long long)rows, (long long)a->kernel[0], (long long)a->kernel[1]);
        return NULL;
    }
    fold_state st = {fold_geom(b ? col->shape[0] : 1, rows / kk, out_size[0], out_size[1], a), b,
                     0};
    int64_t bh = st.g.Ho > 0 ? st.g.Ho : 0, bw = st.g.Wo > 0 ? st.g.Wo : 0;
    if (bh * bw != L || bh * bw == 0 || pn_conv_geom_init(&st.g) != PN_OK) {
        PyErr_Format(PyExc_RuntimeError,
                     "Given output_size=(%lld, %lld), kernel_size=(%lld, %lld), dilation=(%lld, "
                     "%lld), padding=(%lld, %lld), stride=(%lld, %lld), expected size of input's "
                     "dimension %d to match the calculated number of sliding blocks %lld * %lld = "
                     "%lld, but got input.size(%d)=%lld.",
                     (long long)out_size[0], (long long)out_size[1], (long long)st.g.kh,
                     (long long)st.g.kw, (long long)st.g.dh, (long long)st.g.dw, (long long)st.g.ph,
                     (long long)st.g.pw, (long long)st.g.sh, (long long)st.g.sw, b + 1,
                     (long long)bh, (long long)bw, (long long)(bh * bw), b + 1, (long long)L);
        return NULL;
    }
    return fold_run(0, col, &st);
}
