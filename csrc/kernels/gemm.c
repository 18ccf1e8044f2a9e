/* gemm.c - placeholder triple loop; replaced by the blocked, packed kernel. */
#include "gemm.h"
#include "common.h"

#define GEMM_NAIVE(NAME, T)                                                                        \
    int NAME(int transA, int transB, int64_t M, int64_t N, int64_t K, T alpha, const T *A,        \
             int64_t lda, const T *B, int64_t ldb, T beta, T *C, int64_t ldc) {                    \
        for (int64_t i = 0; i < M; i++)                                                            \
            for (int64_t j = 0; j < N; j++) {                                                      \
                T acc = 0;                                                                         \
                for (int64_t p = 0; p < K; p++) {                                                  \
                    T a = transA ? A[p * lda + i] : A[i * lda + p];                                \
                    T b = transB ? B[j * ldb + p] : B[p * ldb + j];                                \
                    acc += a * b;                                                                  \
                }                                                                                  \
                C[i * ldc + j] = alpha * acc + (beta == 0 ? 0 : beta * C[i * ldc + j]);           \
            }                                                                                      \
        return PN_OK;                                                                              \
    }

GEMM_NAIVE(pn_sgemm, float)
GEMM_NAIVE(pn_dgemm, double)
