/* gemm_kernels_generic.c - the portable C micro-kernel.
 *
 * No intrinsics: the MR x NR accumulator tile is a plain 2-D array and the
 * innermost loops run over the NR columns with a compile-time trip count, so
 * the compiler can keep the tile in vector registers and emit SIMD FMAs for
 * whatever the target has (SSE2 on baseline x86-64, NEON on aarch64).
 *
 * Register budget: the tile needs MR * NR / lanes registers, plus NR / lanes
 * for the current row of B and one for the broadcast element of A.
 *   x86-64 baseline: 16 xmm registers of 4 floats: 4 x 8 tile = 8 registers.
 *   aarch64: 32 NEON registers of 4 floats: 8 x 8 tile = 16 registers.
 */
#include "gemm_internal.h"

#if defined(__aarch64__)
#define GMR 8
#else
#define GMR 4
#endif
#define GNR 8

static void sgemm_ukernel_generic(int64_t kc, const float *a, const float *b, int64_t ldb, float *c,
                                  int64_t ldc, float alpha, float beta, int mr, int nr) {
    float acc[GMR][GNR] = {{0}};
    if (nr == GNR) {
        /* Full-width sliver of B: every row has GNR readable floats. A rows
         * beyond mr are zero padding in the packed sliver, so computing them
         * is harmless and keeps the loops fixed-size. */
        for (int64_t k = 0; k < kc; k++) {
            const float *bk = b + k * ldb;
            const float *ak = a + k * GMR;
            for (int i = 0; i < GMR; i++) {
                float ai = ak[i];
                for (int j = 0; j < GNR; j++) acc[i][j] += ai * bk[j];
            }
        }
    } else {
        /* Right edge: read only the nr valid columns (b may be the user's matrix). */
        for (int64_t k = 0; k < kc; k++) {
            const float *bk = b + k * ldb;
            const float *ak = a + k * GMR;
            for (int i = 0; i < GMR; i++)
                for (int j = 0; j < nr; j++) acc[i][j] += ak[i] * bk[j];
        }
    }
    for (int i = 0; i < mr; i++) {
        float *ci = c + i * ldc;
        if (beta == 0.0f)
            for (int j = 0; j < nr; j++) ci[j] = alpha * acc[i][j];
        else
            for (int j = 0; j < nr; j++) ci[j] = alpha * acc[i][j] + beta * ci[j];
    }
}

const pn_sgemm_kernel_desc pn_sgemm_generic_desc = {
    "generic", GMR, GNR, 256, 128, 2048, sgemm_ukernel_generic, NULL, NULL, NULL, NULL, NULL,
};
