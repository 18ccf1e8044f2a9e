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

int pn_sgemm(int transA, int transB, int64_t M, int64_t N, int64_t K, float alpha, const float *A,
             int64_t lda, const float *B, int64_t ldb, float beta, float *C, int64_t ldc);
int pn_dgemm(int transA, int transB, int64_t M, int64_t N, int64_t K, double alpha, const double *A,
             int64_t lda, const double *B, int64_t ldb, double beta, double *C, int64_t ldc);

/* The float32 micro-kernel in use: "avx512", "avx2" or "generic". Chosen once
 * from the CPU's (and OS's) features, or forced with the environment variable
 * PYNET_GEMM_KERNEL=avx512|avx2|generic. */
const char *pn_gemm_kernel_name(void);
/* Switch kernel (for tests and benchmarks). Returns 0, or PN_EINVAL if `name`
 * is unknown or this CPU cannot run it. Not meant to be called while another
 * thread is inside pn_sgemm (that call may use either kernel; both are correct). */
int pn_gemm_set_kernel(const char *name);

#endif
