/* gemm.h - general matrix multiply, the heart of Linear and Conv2d.
 *
 *   C = alpha * op(A) @ op(B) + beta * C          (row-major)
 *
 * op(A) is M x K: A itself (row stride lda) or, with transA, the transpose of a
 * K x M matrix A. op(B) is K x N likewise. C is M x N with row stride ldc.
 * beta == 0 overwrites C without reading it (so NaN garbage in C is ignored),
 * as BLAS does. Returns 0, or PN_ENOMEM if a packing buffer could not be had,
 * or PN_EINVAL for a negative size or a leading dimension smaller than the row
 * length of its non-empty matrix (lda >= K, or M with transA; ldb >= N, or K
 * with transB; ldc >= N).
 *
 * pn_sgemm runs on the pn_parallel_for thread pool (threadpool.h) when the
 * product is large enough; pn_dgemm is single-threaded.
 */
#ifndef PN_GEMM_H
#define PN_GEMM_H
#include <stdint.h>
#include "common.h"

int pn_sgemm(int transA, int transB, int64_t M, int64_t N, int64_t K, float alpha, const float *A,
             int64_t lda, const float *B, int64_t ldb, float beta, float *C, int64_t ldc);
int pn_dgemm(int transA, int transB, int64_t M, int64_t N, int64_t K, double alpha, const double *A,
             int64_t lda, const double *B, int64_t ldb, double beta, double *C, int64_t ldc);

/* C = op(A) @ op(B) + beta * C in dtype dt (float32, float64 or int64, whose
 * products wrap like PyTorch's), with A, B, C as in pn_sgemm and alpha 1.
 * K == 0 leaves beta * C (zeros for beta 0). Returns 0 or a PN_E* code. */
int pn_gemm(pn_dtype dt, int transA, int transB, int64_t M, int64_t N, int64_t K, const void *A,
            int64_t lda, const void *B, int64_t ldb, double beta, void *C, int64_t ldc);

/* C = op(A) @ op(B) + bias, with the bias broadcast along C's dim bias_dim: 1 for
 * bias[j] added to every row (N values: a Linear layer's), 0 for bias[i] added to
 * every column (M values: a convolution's, one per output channel). The float32
 * GEMM writes each tile's bias just before the tile's first K block adds the
 * product to it (the same bits as filling C with the bias and running with beta
 * 1, without a pass over C of its own); float64 fills C first. dt is float32 or
 * float64. Returns as pn_gemm (PN_EINVAL also for a NULL bias or another dim). */
int pn_sgemm_bias(int transA, int transB, int64_t M, int64_t N, int64_t K, const float *A,
                  int64_t lda, const float *B, int64_t ldb, const float *bias, int bias_dim,
                  float *C, int64_t ldc);
int pn_gemm_bias(pn_dtype dt, int transA, int transB, int64_t M, int64_t N, int64_t K,
                 const void *A, int64_t lda, const void *B, int64_t ldb, const void *bias,
                 int bias_dim, void *C, int64_t ldc);

/* Whether pn_sgemm computes C = op(A) op(B) of these sizes as dot products
 * along K, reading A and B in place: few rows of A (M <= 24, K >= 32 and
 * K >= 16 M) and a transposed B, as in a Linear layer's forward x W^T at a
 * small batch, with the current kernel (AVX2 or AVX-512). Those sums are
 * grouped differently from the packed paths', so their last bits can differ
 * from pn_sgemm_with_packed's and pn_sgemm_packing_b's for the same operands. */
int pn_sgemm_uses_dot(int transA, int transB, int64_t M, int64_t K);

/* A right operand op(B) (K x N) packed once in the micro-kernel's layout, for
 * many products with it: one step of a recurrence multiplies by the same W_hh
 * at every step, and packing it once saves copying it at each. */
typedef struct pn_sgemm_packed pn_sgemm_packed;

/* Pack op(B) (K x N; B and transB as in pn_sgemm). NULL when out of memory or
 * K or N is not positive. Free with pn_sgemm_packed_free (NULL is fine). */
pn_sgemm_packed *pn_sgemm_pack(int transB, int64_t K, int64_t N, const float *B, int64_t ldb);
void pn_sgemm_packed_free(pn_sgemm_packed *p);

/* C (M x N) = alpha * op(A) @ op(B) + beta * C for the packed op(B), with the
 * kernel that was in use when it was packed. The same bits as pn_sgemm with the
 * unpacked B, except for an N narrower than the kernel's tile with alpha != 1
 * or beta other than 0 and 1 (pn_sgemm computes that C transposed and rounds
 * alpha * AB and beta * C apart), and for the products pn_sgemm_uses_dot names.
 * Returns as pn_sgemm. */
int pn_sgemm_with_packed(int transA, int64_t M, float alpha, const float *A, int64_t lda,
                         const pn_sgemm_packed *Bp, float beta, float *C, int64_t ldc);

/* A right operand op(B) (K x N) that is never stored whole: the caller's function
 * writes any block of it straight into the micro-kernel's layout. The
 * convolution builds its im2col columns this way, block by block into a buffer
 * that stays in L1/L2, instead of writing the whole column matrix out and
 * reading it back to pack it.
 *
 * Args:
 *   ctx: the caller's data.
 *   p0, j0: the block's first row (of K) and first column (of N).
 *   nc, kc: its width and height.
 *   NR: the sliver width. Column q of the block goes to sliver q / NR, row k of
 *       a sliver holds NR floats: dst[(q / NR) * NR * kc + k * NR + q % NR] =
 *       op(B)[p0 + k][j0 + q]; columns from nc up to the next multiple of NR
 *       are zero.
 * It may be called from several pool threads at once (on different blocks). */
typedef void (*pn_sgemm_b_packer)(void *ctx, int64_t p0, int64_t j0, int64_t nc, int64_t kc, int NR,
                                  float *dst);

/* C (M x N) = op(A) @ op(B) + beta * C with op(B) (K x N) written by `pack`, plus
 * bias[i] on row i when bias is not NULL (beta must then be 0; see pn_sgemm_bias).
 * The same bits as pn_sgemm with op(B) stored (when pn_sgemm packs B and does not
 * compute C^T). Returns as pn_sgemm. */
int pn_sgemm_packing_b(int transA, int64_t M, int64_t N, int64_t K, const float *A, int64_t lda,
                       pn_sgemm_b_packer pack, void *ctx, float beta, const float *bias, float *C,
                       int64_t ldc);

/* Whether pn_sgemm packs an untransposed op(B) for a product with M rows (M > 0):
 * with at most two of the kernel's row slivers it reads B in place, and a caller
 * able to build B in packed form (pn_sgemm_packing_b) would gain nothing. */
int pn_sgemm_packs_b(int64_t M);

/* How to hand a rows x cols matrix whose element strides are (srow, scol) to
 * the GEMM without copying: as itself (*trans = 0, row stride *ld) or as the
 * transpose of a stored cols x rows matrix (*trans = 1). Returns 0 when it is
 * neither (an expanded or stepped operand): the caller copies it first. */
int pn_gemm_layout(int64_t rows, int64_t cols, int64_t srow, int64_t scol, int *trans, int64_t *ld);

/* The float32 micro-kernel in use: "avx512", "avx2" or "generic". Chosen once
 * from the CPU's (and OS's) features, or forced with the environment variable
 * PYNET_GEMM_KERNEL=avx512|avx2|generic. */
const char *pn_gemm_kernel_name(void);
/* Switch kernel (for tests and benchmarks). Returns 0, or PN_EINVAL if `name`
 * is unknown or this CPU cannot run it. Not meant to be called while another
 * thread is inside pn_sgemm (that call may use either kernel; both are correct). */
int pn_gemm_set_kernel(const char *name);

#endif
