/* core/copy.h - moving values between tensors: operands, broadcasting, copy, cast.
 *
 * The primitives every op file needs and none owns: read a Python number or a
 * tensor as an operand, find the dtype two operands compute in, broadcast two
 * shapes, run an elementwise kernel loop over broadcast operands, and copy or
 * convert a tensor without recording autograd history.
 */
#ifndef PN_CORE_COPY_H
#define PN_CORE_COPY_H
#include "tensor.h"
#include "../kernels/iter.h"
#include "../kernels/elementwise.h"

/* Kernels over more than PN_NOGIL_MIN elements release the GIL, so that other Python
 * threads run meanwhile; below it, releasing and taking it back (a mutex round trip
 * each way) is a good part of a small call: softmax over 32 x 32 floats took 1.09 us
 * with it, 1.01 without. PN_NOGIL_BEGIN(n) ... PN_NOGIL_END (a block) brackets such a
 * kernel. (Sorting, pooling, convolution, upsampling, the RNNs and attention still
 * release it whatever their size; matmul and linear above M N K = 32768.) */
#define PN_NOGIL_MIN 65536
#define PN_NOGIL_BEGIN(n) \
    { \
        PyThreadState *pn_nogil_ = (n) > PN_NOGIL_MIN ? PyEval_SaveThread() : NULL;
#define PN_NOGIL_END \
    if (pn_nogil_) PyEval_RestoreThread(pn_nogil_); \
    }

/* Operand of an elementwise op: a tensor or a Python number. */
typedef struct {
    PNTensor *t; /* NULL for a Python scalar */
    int kind;    /* scalar kind: 0 bool, 1 int, 2 float */
    double d;
    int64_t i;
} pn_operand;
int pn_operand_from(PyObject *o, pn_operand *out); /* 1 ok, 0 not a number/tensor, -1 error */
/* torch.result_type of n operands (tensors outrank numbers of the same category). */
pn_dtype pn_result_type(const pn_operand *ops, int n);
/* An operand as a kernel wants it: a tensor in dtype dt (new reference in *t), or a
 * Python number written as one dt value into scalar. */
int pn_prepare_operand(const pn_operand *o, pn_dtype dt, PNTensor **t, char *scalar);

/* The broadcast shape of sa and sb into out (*nout dims); RuntimeError naming op if none. */
int pn_broadcast_shapes(int na, const int64_t *sa, int nb, const int64_t *sb, int *nout,
                        int64_t *out, const char *op);
/* Byte strides that read t as if it had shape (ndim, shape): 0 along broadcast dims. */
void pn_broadcast_strides(const PNTensor *t, int ndim, int64_t *strides);
/* Run a 2-, 3- or 4-operand loop; ops[0] is the output, all broadcast to shape;
 * a NULL ops[k] reads the one value at scalars[k]. Releases the GIL on large loops. */
void pn_run_loop(pn_loop_fn fn, const void *aux, int nop, PNTensor **ops, char **scalars, int ndim,
                 const int64_t *shape);
/* pn_run_loop in flat order on the calling thread, operands all tensors: for a
 * loop whose output positions may share elements (an accumulation into an
 * expanded view), which two threads must not write at once. */
void pn_run_loop_serial(pn_loop_fn fn, const void *aux, int nop, PNTensor **ops, int ndim,
                        const int64_t *shape);
/* Does writing dst elementwise clobber elements of src that are still to be read? */
int pn_overlaps(const PNTensor *dst, const PNTensor *src);

/* Copies and conversions, none of which records autograd history. */
int pn_copy_into(PNTensor *dst, PNTensor *src); /* broadcasting copy with cast */
int pn_fill(PNTensor *dst, double v);
/* Bool tensors must hold bytes 0 and 1 only. Counts the other bytes of bool
 * tensor t and, when write, rewrites them to 1 (true). */
int64_t pn_bool_normalize(PNTensor *t, int write);
PNTensor *pn_copy_as(PNTensor *a, pn_dtype dt); /* always a new contiguous copy */
/* A new contiguous (dt, shape) tensor holding a broadcast to shape. */
PNTensor *pn_dense_copy(PNTensor *a, pn_dtype dt, int ndim, const int64_t *shape);
PNTensor *pn_to_dtype_nograd(PNTensor *a, pn_dtype dt); /* a itself (new ref) when it matches */
PNTensor *pn_to_contiguous_nograd(PNTensor *a);         /* a itself when contiguous */
PNTensor *pn_contiguous_as(PNTensor *t, pn_dtype dt);   /* contiguous, dtype dt */

#endif
