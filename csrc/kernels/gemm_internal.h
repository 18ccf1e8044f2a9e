/* gemm_internal.h - what the GEMM driver (gemm.c) and the micro-kernels
 * (gemm_kernels_*.c) share. Not part of the public kernel API.
 *
 * A micro-kernel computes one small MR x NR tile of C from a packed sliver of A
 * and a sliver of B, keeping the whole tile in registers over the k loop:
 *
 *            kc                     NR
 *       +---------+            +---------+
 *    MR |  A      |   x     kc |  B      |   =  MR x NR tile of C (registers)
 *       +---------+            |         |
 *                              +---------+
 *
 *   a: packed A sliver, k-major: a[k * MR + i] = op(A)[i][k]  (i < MR, zero padded)
 *   b: B sliver, row k at b + k * ldb, NR consecutive floats per row. Either a
 *      packed panel (ldb == NR) or op(B) itself when it is row-major (ldb = the
 *      user's ldb). Only the first nr columns are read when nr < NR.
 *   c: C tile, row stride ldc: C = alpha * (A B) + beta * C, only the first
 *      mr rows and nr columns are touched; beta == 0 means C is not read.
 */
#ifndef PN_GEMM_INTERNAL_H
#define PN_GEMM_INTERNAL_H
#include <stddef.h>
#include <stdint.h>
#include "cpuinfo.h"

typedef void (*pn_sgemm_ukernel_fn)(int64_t kc, const float *a, const float *b, int64_t ldb,
                                    float *c, int64_t ldc, float alpha, float beta, int mr, int nr);

/* The same tile with A read in place instead of from a packed sliver: op(A)[i][k]
 * = a[i * lda + k] (A row-major, not transposed), rows i < mr only. */
typedef void (*pn_sgemm_ukernel_a_fn)(int64_t kc, const float *a, int64_t lda, const float *b,
                                      int64_t ldb, float *c, int64_t ldc, float alpha, float beta,
                                      int mr, int nr);

/* Largest register tile of any kernel (the driver's scratch tile size). */
#define PN_GEMM_MAX_MR 16
#define PN_GEMM_MAX_NR 64

/* Packing routines (see gemm.c: pack_a / pack_b for the layouts). A kernel
 * may bring its own SIMD versions; NULL means the portable ones in gemm.c. */
typedef void (*pn_pack_a_fn)(int transA, const float *A, int64_t lda, int64_t i0, int64_t p0,
                             int64_t mc, int64_t kc, int MR, float *dst);
typedef void (*pn_pack_b_fn)(int transB, const float *B, int64_t ldb, int64_t p0, int64_t j0,
                             int64_t nc, int64_t kc, int NR, float *dst);

/* The portable pack_a (gemm.c), for kernels that specialise only some cases. */
void pn_sgemm_pack_a(int transA, const float *A, int64_t lda, int64_t i0, int64_t p0, int64_t mc,
                     int64_t kc, int MR, float *dst);

/* C[i][j] = alpha * (row i of A) . (row j of B) + beta * C[i][j] for i < M and
 * j in [n0, n1): C = A B^T with A (M, K) and B (N, K) both row-major, computed
 * as dot products along K without packing either operand (see gemm.c:
 * sgemm_dot). Every C element's arithmetic is the same whatever n0, n1. */
typedef void (*pn_sgemm_dot_fn)(int64_t M, int64_t n0, int64_t n1, int64_t K, float alpha,
                                const float *A, int64_t lda, const float *B, int64_t ldb,
                                float beta, float *C, int64_t ldc);

typedef struct {
    const char *name;
    int mr, nr;     /* register tile */
    int kc, mc, nc; /* cache blocking for this kernel's target */
    pn_sgemm_ukernel_fn kernel;
    pn_pack_a_fn pack_a;            /* NULL: portable */
    pn_pack_b_fn pack_b;            /* NULL: portable */
    pn_sgemm_dot_fn dot_nt;         /* NULL: A B^T of few rows goes through packing as any */
    pn_sgemm_ukernel_a_fn kernel_a; /* NULL: A is always packed */
    /* op(A) = A^T read in place: op(A)[i][k] = a[k * lda + i] (kernel_a's arguments);
     * NULL: A^T is always packed */
    pn_sgemm_ukernel_a_fn kernel_at;
} pn_sgemm_kernel_desc;

/* Portable C kernel; always available. */
extern const pn_sgemm_kernel_desc pn_sgemm_generic_desc;
#if defined(__x86_64__)
extern const pn_sgemm_kernel_desc pn_sgemm_avx2_desc;
extern const pn_sgemm_kernel_desc pn_sgemm_avx512_desc;
/* CPU + OS support for each x86 path: cpuinfo.h's pn_cpu_has_avx2_fma, pn_cpu_has_avx512. */
#endif

#endif
