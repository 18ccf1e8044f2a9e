/* gemm.c - cache-blocked, packed, multithreaded matrix multiply.
 *
 *   C = alpha * op(A) @ op(B) + beta * C        (row-major, see gemm.h)
 *
 * Why not three nested loops? A 1024^3 product does 2 GFLOP on 12 MB of data:
 * each number is used ~1000 times, so speed depends on how often it must come
 * from far away (RAM, L3, L2) versus registers and L1. The structure below is
 * the classic GotoBLAS/BLIS one, adapted to row-major C with the SIMD vectors
 * running along the rows of C and B:
 *
 *   for jc in N step NC:                     columns of C and B
 *     for pc in K step KC:                   the shared dimension
 *       pack B[pc:pc+KC, jc:jc+NC] -> Bp     KC x NC block, stays in L2
 *       for ic in M step MC:
 *         pack A[ic:ic+MC, pc:pc+KC] -> Ap   MR-row slivers, k-major
 *         for ir in MC step MR:              one A sliver (MR x KC) stays in L1
 *           for jr in NC step NR:            B slivers stream from L2
 *             micro-kernel: C[ir:ir+MR, jr:jr+NR] += Ap sliver @ Bp sliver
 *
 * The micro-kernel (gemm_kernels_*.c) holds an MR x NR tile of C in registers
 * for the whole KC loop and does only loads of A and B plus FMAs. Packing
 * copies the blocks into the exact order the micro-kernel reads them
 * (contiguous, aligned, zero-padded to whole tiles), so the kernel's memory
 * accesses are sequential and never miss the TLB, whatever lda/ldb and
 * transposition the caller used. Packing costs O(MK + KN) copies per block
 * against O(MNK) flops, so it pays once the matrices are not tiny.
 *
 * Block sizes (set per kernel in its descriptor; AVX-512 values, for a core
 * with 48 KB L1d and 2 MB L2):
 *   KC = 256: the A sliver, MR x KC = 12 x 256 floats = 12 KB, stays in L1
 *        while the B slivers (KC x NR = 32 KB each) stream past it. K is cut
 *        into near-equal blocks (K = 784 -> 4 x 196, not 3 x 256 + 16), since
 *        every K block costs one load and store of the C tile.
 *   NC = 1024: the packed B block, KC x NC floats = 1 MB, stays in L2 while
 *        every A sliver of the M range sweeps over it.
 *   MC = 192: the packed A block, MC x KC = 192 KB, is packed once per B
 *        block and read sliver by sliver; MC only bounds the buffer and keeps
 *        the freshly packed block in L2.
 * A larger register tile means fewer loads per FMA; 12 x 32 and 8 x 48 (AVX-512)
 * measured the same, and 12 rows fit batch-64 shapes well (64 = 5 x 12 + 4,
 * with the 4-row rest handled by a 4-row kernel, not padding).
 *
 * Small and skinny shapes:
 *   - tiny products (< PN_GEMM_PARALLEL_FLOPS) stay on the calling thread;
 *   - packing buffers are per thread and reused, so small calls do not pay
 *     for malloc and page faults;
 *   - a narrow C (N < NR, e.g. the 10 logits of a classifier) would leave
 *     most vector lanes empty, so C^T = op(B)^T op(A)^T is computed instead
 *     (swapping the operands' roles) and each tile is stored transposed;
 *   - B is read in place, without packing, when that is faster (below);
 *   - A, when row-major (not transposed), is read in place by kernels that
 *     have a variant for it (kernel_a; AVX2 and AVX-512) when C's rectangle
 *     is at most 512 columns wide: the A sliver's MR rows are reused from L1
 *     by every B sliver anyway, so packing them bought only the first pass
 *     (see use_a_in_place). Zen 3, AVX2, 1 thread: 2048 x 128 @ 128 x 384
 *     products as a Transformer's Linear layers run them, 87-93 -> 93-95
 *     GFLOP/s; square n = 256 85 -> 92 (peak 103). A transposed (the weight
 *     gradient g^T x) is read in place too, by AVX-512's kernel_at, in both
 *     sgemm_rect and sgemm_rect_small;
 *   - C = A B^T with few rows of A (x W^T at a small batch) skips packing
 *     altogether: dot products along K, both operands in place (sgemm_dot).
 *
 * Few rows (M at most MC, per thread): the loops over A and B slivers swap,
 * and B is packed one KC x NR sliver at a time, just before every A sliver
 * runs over it from L1 (sgemm_rect_small). With one or two A slivers (M up to
 * 2 MR) and B row-major, B is not packed at all: the kernel reads it in place
 * (ldb as its row stride, masked loads at the right edge), since each element
 * is used too few times to pay for its copy. See use_b_in_place().
 *
 * Threads: C is cut into a grid of rectangles (a few per thread, taken from a
 * shared counter), and each task runs the loops above on its rectangle with
 * its thread's own packing buffers. The grid shape is chosen to minimise the
 * packing work duplicated between tasks (every task packs the A rows and B
 * columns of its rectangle). When the grid splits the rows of a large
 * product, B is first packed once, by all threads together, and the tasks
 * read that copy (sgemm_share_b), so that only A's packing is split.
 */
#define _POSIX_C_SOURCE 200809L
#include "gemm.h"
#include "fastmath.h"
#include "common.h"
#include "gemm_internal.h"
#include "threadpool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* Kernel selection                                                          */

static _Atomic(const pn_sgemm_kernel_desc *) cur_kernel;

/* The descriptor for `name` if this CPU can run it, else NULL. */
static const pn_sgemm_kernel_desc *kernel_by_name(const char *name) {
    if (!name) return NULL;
    if (strcmp(name, "generic") == 0) return &pn_sgemm_generic_desc;
#if defined(__x86_64__)
    if (strcmp(name, "avx2") == 0 && pn_cpu_has_avx2_fma()) return &pn_sgemm_avx2_desc;
    if (strcmp(name, "avx512") == 0 && pn_cpu_has_avx512()) return &pn_sgemm_avx512_desc;
#endif
    return NULL;
}

static const pn_sgemm_kernel_desc *best_kernel(void) {
    const pn_sgemm_kernel_desc *d = kernel_by_name(getenv("PYNET_GEMM_KERNEL"));
    if (d) return d;
#if defined(__x86_64__)
    if (pn_cpu_has_avx512()) return &pn_sgemm_avx512_desc;
    if (pn_cpu_has_avx2_fma()) return &pn_sgemm_avx2_desc;
#endif
    return &pn_sgemm_generic_desc;
}

static const pn_sgemm_kernel_desc *get_kernel(void) {
    const pn_sgemm_kernel_desc *d = atomic_load(&cur_kernel);
    if (!d) {
        const pn_sgemm_kernel_desc *expect = NULL;
        atomic_compare_exchange_strong(&cur_kernel, &expect, best_kernel());
        d = atomic_load(&cur_kernel);
    }
    return d;
}

const char *pn_gemm_kernel_name(void) {
    return get_kernel()->name;
}

int pn_gemm_set_kernel(const char *name) {
    const pn_sgemm_kernel_desc *d = kernel_by_name(name);
    if (!d) return PN_EINVAL;
    atomic_store(&cur_kernel, d);
    return PN_OK;
}

/* ------------------------------------------------------------------------ */
/* Packing                                                                   */

/* Copy op(A)[i0 : i0+mc, p0 : p0+kc] into MR-row slivers. Sliver s holds rows
 * s*MR .. s*MR+MR-1, k-major: dst[s*MR*kc + k*MR + i]. Missing rows of the last
 * sliver are zero. */
void pn_sgemm_pack_a(int transA, const float *A, int64_t lda, int64_t i0, int64_t p0, int64_t mc,
                     int64_t kc, int MR, float *dst) {
    for (int64_t ir = 0; ir < mc; ir += MR) {
        int mr = (int)(mc - ir < MR ? mc - ir : MR);
        float *d = dst + ir * kc;
        if (!transA) {
            /* Row i of the sliver is contiguous in A: a strided scatter into d. */
            for (int i = 0; i < mr; i++) {
                const float *s = A + (i0 + ir + i) * lda + p0;
                for (int64_t k = 0; k < kc; k++) d[k * MR + i] = s[k];
            }
            for (int i = mr; i < MR; i++)
                for (int64_t k = 0; k < kc; k++) d[k * MR + i] = 0.0f;
        } else {
            /* A is stored K x M: the MR values for one k are contiguous. */
            for (int64_t k = 0; k < kc; k++) {
                const float *s = A + (p0 + k) * lda + i0 + ir;
                float *dk = d + k * MR;
                for (int i = 0; i < mr; i++) dk[i] = s[i];
                for (int i = mr; i < MR; i++) dk[i] = 0.0f;
            }
        }
    }
}

/* Copy op(B)[p0 : p0+kc, j0 : j0+nc] into NR-column slivers, sliver s at
 * dst + s*NR*kc, row k of it at + k*NR. Missing columns are zero. */
static void pack_b(int transB, const float *B, int64_t ldb, int64_t p0, int64_t j0, int64_t nc,
                   int64_t kc, int NR, float *dst) {
    for (int64_t jr = 0; jr < nc; jr += NR) {
        int nr = (int)(nc - jr < NR ? nc - jr : NR);
        float *d = dst + jr * kc;
        if (!transB) {
            for (int64_t k = 0; k < kc; k++) {
                const float *s = B + (p0 + k) * ldb + j0 + jr;
                float *dk = d + k * NR;
                memcpy(dk, s, (size_t)nr * sizeof(float));
                for (int j = nr; j < NR; j++) dk[j] = 0.0f;
            }
        } else {
            /* B is stored N x K: column j of op(B) is row j of B. */
            for (int j = 0; j < nr; j++) {
                const float *s = B + (j0 + jr + j) * ldb + p0;
                for (int64_t k = 0; k < kc; k++) d[k * NR + j] = s[k];
            }
            for (int j = nr; j < NR; j++)
                for (int64_t k = 0; k < kc; k++) d[k * NR + j] = 0.0f;
        }
    }
}

/* ------------------------------------------------------------------------ */
/* The blocked loops on one rectangle of C                                   */

typedef struct {
    const pn_sgemm_kernel_desc *kd;
    int transA, transB, pack_b;
    int transC; /* computing C^T = op(B)^T op(A)^T: the tile is stored transposed */
    int64_t M, N, K;
    float alpha, beta;
    const float *A, *B;
    float *C;
    int64_t lda, ldb, ldc;
    const float *bias; /* C = op(A) op(B) + bias (beta 0), or NULL */
    int bias_dim;      /* the dim of the caller's C that bias runs along: 1 bias[j], 0 bias[i] */
    int64_t kc;        /* K block actually used (K split into near-equal blocks) */
    const float *packed_b;    /* op(B) packed by pn_sgemm_pack (K blocks of Np columns), or NULL */
    int64_t np;               /* its columns rounded up to NR */
    pn_sgemm_b_packer packer; /* op(B) written by the caller's function, or NULL */
    void *packer_ctx;
    /* thread grid: rows split into gm parts (cut at multiples of mu), columns into gn parts */
    int gm, gn;
    int64_t mu;
    atomic_int err;
    atomic_llong next_task; /* next grid rectangle to compute */
} sgemm_job;

/* op(B)[pc : pc+kc, jc : jc+nc] into NR-column slivers at dst: by the caller's
 * packer when it gave one, else by the kernel's (or the portable) pack_b. */
static void pack_b_block(const sgemm_job *g, int64_t pc, int64_t jc, int64_t nc, int64_t kc,
                         float *dst) {
    const pn_sgemm_kernel_desc *kd = g->kd;
    if (g->packer)
        g->packer(g->packer_ctx, pc, jc, nc, kc, kd->nr, dst);
    else
        (kd->pack_b ? kd->pack_b : pack_b)(g->transB, g->B, g->ldb, pc, jc, nc, kc, kd->nr, dst);
}

static int64_t round_up(int64_t x, int64_t m) {
    return (x + m - 1) / m * m;
}

static void *alloc_floats(int64_t n) {
    int64_t bytes;
    if (n <= 0) n = 1;
    if (pn_mul_overflow(n, (int64_t)sizeof(float), &bytes)) return NULL;
    void *p = NULL;
    if (posix_memalign(&p, 64, (size_t)bytes) != 0) return NULL;
    return p;
}

/* Packing buffers are kept per thread and reused across calls: allocating
 * (and page-faulting) a fresh megabyte for every small product costs as much
 * as the product. A pthread key frees the buffer when its thread exits. */
typedef struct {
    float *p[2];
    int64_t n[2];
} thread_buf;

static pthread_key_t buf_key;
static pthread_once_t buf_once = PTHREAD_ONCE_INIT;
static int buf_key_ok;

static void buf_destroy(void *v) {
    thread_buf *b = v;
    free(b->p[0]);
    free(b->p[1]);
    free(b);
}
static void buf_key_init(void) {
    buf_key_ok = pthread_key_create(&buf_key, buf_destroy) == 0;
}

/* A buffer of at least n floats for this thread, or NULL: slot 0 for a task's
 * own packing, slot 1 for a B packed once for all threads (sgemm_share_b).
 * *owned is set when the caller must free it (no thread-local storage). */
static float *get_buffer(int slot, int64_t n, int *owned) {
    *owned = 0;
    pthread_once(&buf_once, buf_key_init);
    if (!buf_key_ok) {
        *owned = 1;
        return alloc_floats(n);
    }
    thread_buf *b = pthread_getspecific(buf_key);
    if (!b) {
        b = calloc(1, sizeof *b);
        if (!b) return NULL;
        if (pthread_setspecific(buf_key, b) != 0) {
            free(b);
            *owned = 1;
            return alloc_floats(n);
        }
    }
    if (b->n[slot] < n) {
        free(b->p[slot]);
        b->p[slot] = alloc_floats(n);
        b->n[slot] = b->p[slot] ? n : 0;
    }
    return b->p[slot];
}

/* Store an mr x nr tile computed into `t` (row stride ldt) transposed into C:
 * C[j][i] = alpha * t[i][j] + beta * C[j][i]. */
static void store_transposed(const float *t, int64_t ldt, int mr, int nr, float *c, int64_t ldc,
                             float alpha, float beta) {
    for (int j = 0; j < nr; j++) {
        float *cj = c + j * ldc;
        if (beta == 0.0f)
            for (int i = 0; i < mr; i++) cj[i] = alpha * t[i * ldt + j];
        else
            for (int i = 0; i < mr; i++) cj[i] = alpha * t[i * ldt + j] + beta * cj[i];
    }
}

/* The caller's C under the tile C'[i0 : i0+mr, j0 : j0+nr] of the computed
 * problem set to its bias, before the first K block adds the product to it (with
 * beta 1: bias + AB rounded once, the bits of filling C first and running with
 * beta 1, but written while the tile is in L1 and on the threads that run it).
 * With transC the tile is C^T's: C'(i, j) is C(j, i). */
PN_SIMD_CLONES static void bias_tile(const sgemm_job *g, int64_t i0, int64_t j0, int mr, int nr) {
    const float *b = g->bias;
    /* by rows of the caller's C: bias[j] along a row (bias_dim 1), or one value per row */
    int64_t rows = g->transC ? nr : mr, cols = g->transC ? mr : nr;
    int64_t r0 = g->transC ? j0 : i0, c0 = g->transC ? i0 : j0;
    for (int64_t r = 0; r < rows; r++) {
        float *restrict c = g->C + (r0 + r) * g->ldc + c0;
        if (g->bias_dim == 1) {
            const float *restrict br = b + c0;
            for (int64_t q = 0; q < cols; q++) c[q] = br[q];
        } else {
            float v = b[r0 + r];
            for (int64_t q = 0; q < cols; q++) c[q] = v;
        }
    }
}

/* One MR x NR tile: C[i0 : i0+mr, j0 : j0+nr] (of the possibly transposed
 * problem) from A sliver `ap` (packed when alda is 0, else A's rows in place,
 * alda apart: kd->kernel_a) and B sliver `bp` (row stride bstride); `first`:
 * the first K block, which stores over C (or over the bias). */
static void sgemm_tile(const sgemm_job *g, int64_t kc, const float *ap, int64_t alda,
                       const float *bp, int64_t bstride, int64_t i0, int64_t j0, int mr, int nr,
                       float beta, int first) {
    const pn_sgemm_kernel_desc *kd = g->kd;
    if (first && g->bias) {
        bias_tile(g, i0, j0, mr, nr);
        beta = 1.0f;
    }
    float tile[PN_GEMM_MAX_MR * PN_GEMM_MAX_NR] __attribute__((aligned(64)));
    /* C'(i0+i, j0+j) is C(j0+j, i0+i): computed into a scratch tile, stored transposed */
    float *c = g->transC ? tile : g->C + i0 * g->ldc + j0;
    int64_t ldc = g->transC ? kd->nr : g->ldc;
    float alpha = g->transC ? 1.0f : g->alpha, b = g->transC ? 0.0f : beta;
    if (alda)
        (g->transA ? kd->kernel_at : kd->kernel_a)(kc, ap, alda, bp, bstride, c, ldc, alpha, b, mr,
                                                   nr);
    else
        kd->kernel(kc, ap, bp, bstride, c, ldc, alpha, b, mr, nr);
    if (g->transC)
        store_transposed(tile, kd->nr, mr, nr, g->C + j0 * g->ldc + i0, g->ldc, g->alpha, beta);
}

/* The per-thread packing buffer: arows x kc floats for A (kc rounded up to 16,
 * so that B's part starts on a 64-byte boundary), then bfl floats for B. NULL
 * when out of memory. */
static float *rect_buffer(int64_t arows, int64_t kc, int64_t bfl, int *owned) {
    int64_t asz, tot;
    if (pn_mul_overflow(arows, round_up(kc, 16), &asz) || __builtin_add_overflow(asz, bfl, &tot))
        return NULL;
    return get_buffer(0, tot, owned);
}

/* 0 packs A always (to compare; see the top of the file). */
#ifndef A_IN_PLACE
#define A_IN_PLACE 1
#endif
/* Whether sgemm_rect reads A in place (kd->kernel_a) on a rectangle of `cols`
 * columns of C. Each A sliver is used by cols / NR B slivers: packing it once
 * pays when there are many (its MR rows then come from one sequential stream
 * in L1 instead of MR strided ones), and the rows must not alias in L1 (a row
 * stride of a multiple of 4 KB puts all MR rows' lines in one cache set).
 * Measured, 1 thread, AMD EPYC (Zen 4), M = 2048, GFLOP/s packed vs in place:
 *   AVX-512  K 128: N 128 106.3 vs 111.2, N 384 109.0 vs 110.3;
 *            K 768: N 128 105.7 vs 111.5, N 384 106.2 vs 110.5;
 *            K 256, N 1024: 107.9 vs 104.6;  K 1024, N 1024: 106.4 vs 94.3;
 *   AVX2     K 512: N 128 103.1 vs 111.2, N 512 108.4 vs 110.1, N 1024 107.9 vs 106.4.
 * A^T (a weight gradient's g^T x; kd->kernel_at) is read in place the same way:
 * at each k the sliver's MR values sit side by side in one row of A, as in a
 * packed sliver, only lda apart instead of MR. Its kc rows must spread over L1's
 * sets: a row stride of a multiple of 1 KB leaves them 4 sets or fewer, and
 * such shapes stay packed (M 256, N 256, K 2048: 86 GFLOP/s packed, 83 in place).
 * AVX-512, 1 thread, GFLOP/s packed vs in place, K 2048: M 384, N 128 (lda 384)
 * 87-93 vs 102-109; M 128, N 128 95-101 vs 105-106; an attention block's
 * dK += dS^T Q, M 64, N 32, K 64: 71-84 vs 95-97. */
#define A_IN_PLACE_MAX_COLS 512
static int use_a_in_place(const sgemm_job *g, int64_t cols) {
    return A_IN_PLACE && (g->transA ? g->kd->kernel_at : g->kd->kernel_a) &&
           cols <= A_IN_PLACE_MAX_COLS && g->lda % (g->transA ? 256 : 1024) != 0;
}

/* The blocked loops (see the top of the file) on C[m0:m1, n0:n1]. */
static int sgemm_rect(const sgemm_job *g, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
    const pn_sgemm_kernel_desc *kd = g->kd;
    const int MR = kd->mr, NR = kd->nr;
    const int64_t MC = round_up(kd->mc, MR), NC = round_up(kd->nc, NR), KC = g->kc;
    const int64_t mcap = round_up(m1 - m0 < MC ? m1 - m0 : MC, MR);
    const int64_t ncap = round_up(n1 - n0 < NC ? n1 - n0 : NC, NR);
    int64_t bsz = 0;
    if (g->pack_b && !g->packed_b && pn_mul_overflow(ncap, KC, &bsz)) return PN_ENOMEM;
    int owned;
    float *abuf = rect_buffer(mcap, KC, bsz, &owned);
    if (!abuf) return PN_ENOMEM;
    float *bbuf = abuf + mcap * round_up(KC, 16);
    /* A row-major: the kernel reads it where it is (see A_IN_PLACE) */
    const int a_in_place = use_a_in_place(g, n1 - n0);

    for (int64_t jc = n0; jc < n1; jc += NC) {
        int64_t nc = n1 - jc < NC ? n1 - jc : NC;
        for (int64_t pc = 0; pc < g->K; pc += KC) {
            int64_t kc = g->K - pc < KC ? g->K - pc : KC;
            /* Later K blocks accumulate onto what the first one stored. */
            float beta = pc == 0 ? g->beta : 1.0f;
            const float *bsrc = g->B + pc * g->ldb + jc;
            int64_t bstride = g->ldb;
            if (g->packed_b) {
                bsrc = g->packed_b + pc * g->np + jc * kc;
                bstride = NR;
            } else if (g->pack_b) {
                pack_b_block(g, pc, jc, nc, kc, bbuf);
                bsrc = bbuf;
                bstride = NR;
            }
            for (int64_t ic = m0; ic < m1; ic += MC) {
                int64_t mc = m1 - ic < MC ? m1 - ic : MC;
                if (!a_in_place)
                    (kd->pack_a ? kd->pack_a : pn_sgemm_pack_a)(g->transA, g->A, g->lda, ic, pc, mc,
                                                                kc, MR, abuf);
                for (int64_t ir = 0; ir < mc; ir += MR) {
                    const float *ap = !a_in_place ? abuf + ir * kc
                                      : g->transA ? g->A + pc * g->lda + ic + ir
                                                  : g->A + (ic + ir) * g->lda + pc;
                    for (int64_t jr = 0; jr < nc; jr += NR) {
                        const float *bp = g->pack_b ? bsrc + jr * kc : bsrc + jr;
                        sgemm_tile(g, kc, ap, a_in_place ? g->lda : 0, bp, bstride, ic + ir,
                                   jc + jr, (int)(mc - ir < MR ? mc - ir : MR),
                                   (int)(nc - jr < NR ? nc - jr : NR), beta, pc == 0);
                    }
                }
            }
        }
    }
    if (owned) free(abuf);
    return PN_OK;
}

/* B is packed SMALL_CHUNK slivers at a time (KC x 64 floats, 64 KB, in L2 with
 * AVX2): reading 256 consecutive bytes of each B row instead of 64 lets the
 * hardware prefetcher follow (32x256x4096: 40 -> 72 GFLOP/s on an AMD EPYC). */
#ifndef SMALL_CHUNK
#define SMALL_CHUNK 4
#endif

/* Rows of sliver s when mc rows are cut into ns slivers of near-equal height
 * (32 rows, MR = 6: 6 6 5 5 5 5, not 6 6 6 6 6 2; a sliver of one or two rows
 * keeps too few accumulators in flight to hide the FMA latency). */
static int sliver_rows(int64_t mc, int64_t ns, int64_t s) {
    return (int)(mc / ns + (s < mc % ns));
}

/* sgemm_rect for a rectangle of at most MC rows (small batches, one step of a
 * recurrence): the loops over A slivers and B slivers swap places. All of A's
 * rows are packed once per K block (M x KC floats, in L1/L2); B is packed a
 * few slivers at a time, just before every A sliver runs over them, so each B
 * element is read from memory once and then from L1/L2. The usual order would
 * stream the whole B block (KC x NC, 1 MB) past every A sliver, from L3 when
 * it does not fit in L2; and reading B in place at a power-of-two row stride
 * maps all rows of a sliver onto one cache set. */
static int sgemm_rect_small(const sgemm_job *g, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
    const pn_sgemm_kernel_desc *kd = g->kd;
    const int MR = kd->mr, NR = kd->nr;
    const int64_t KC = g->kc, mc = m1 - m0, ns = (mc + MR - 1) / MR, CW = SMALL_CHUNK * NR;
    int owned;
    float *abuf = rect_buffer(ns * MR, KC, g->packed_b ? 0 : CW * KC, &owned);
    if (!abuf) return PN_ENOMEM;
    float *bbuf = abuf + ns * MR * round_up(KC, 16);
    pn_pack_a_fn pa = kd->pack_a ? kd->pack_a : pn_sgemm_pack_a;
    const int at_in_place = g->transA && use_a_in_place(g, n1 - n0); /* A^T read where it is */

    for (int64_t pc = 0; pc < g->K; pc += KC) {
        int64_t kc = g->K - pc < KC ? g->K - pc : KC;
        float beta = pc == 0 ? g->beta : 1.0f; /* later K blocks accumulate */
        for (int64_t s = 0, r = 0; s < ns && !at_in_place; r += sliver_rows(mc, ns, s++))
            pa(g->transA, g->A, g->lda, m0 + r, pc, sliver_rows(mc, ns, s), kc, MR,
               abuf + s * MR * kc);
        for (int64_t jb = n0; jb < n1; jb += CW) {
            int64_t nb = n1 - jb < CW ? n1 - jb : CW;
            const float *bp = g->packed_b ? g->packed_b + pc * g->np + jb * kc : bbuf;
            if (!g->packed_b) pack_b_block(g, pc, jb, nb, kc, bbuf);
            for (int64_t jr = 0; jr < nb; jr += NR) {
                int nr = (int)(nb - jr < NR ? nb - jr : NR);
                for (int64_t s = 0, r = 0; s < ns; r += sliver_rows(mc, ns, s++))
                    sgemm_tile(g, kc,
                               at_in_place ? g->A + pc * g->lda + m0 + r : abuf + s * MR * kc,
                               at_in_place ? g->lda : 0, bp + jr * kc, NR, m0 + r, jb + jr,
                               sliver_rows(mc, ns, s), nr, beta, pc == 0);
            }
        }
    }
    if (owned) free(abuf);
    return PN_OK;
}

/* Part p of `parts` near-equal pieces of [0, n), cut at multiples of `unit`. */
static void split(int64_t n, int64_t unit, int parts, int p, int64_t *b, int64_t *e) {
    int64_t units = (n + unit - 1) / unit;
    int64_t q = units / parts, r = units % parts;
    int64_t ub = p * q + (p < r ? p : r), ue = ub + q + (p < r ? 1 : 0);
    *b = ub * unit < n ? ub * unit : n;
    *e = ue * unit < n ? ue * unit : n;
}

/* Run task t of the gm x gn grid of C rectangles. */
static void sgemm_task(sgemm_job *g, int64_t t) {
    int pm = (int)(t / g->gn), pn = (int)(t % g->gn);
    int64_t m0, m1, n0, n1;
    split(g->M, g->mu, g->gm, pm, &m0, &m1);
    split(g->N, g->kd->nr, g->gn, pn, &n0, &n1);
    if (m0 >= m1 || n0 >= n1) return;
    /* A rectangle of at most MC rows packs B sliver by sliver (see sgemm_rect_small). */
    int small = g->pack_b && m1 - m0 <= g->kd->mc;
    int rc = small ? sgemm_rect_small(g, m0, m1, n0, n1) : sgemm_rect(g, m0, m1, n0, n1);
    if (rc) atomic_store(&g->err, rc);
}

/* pn_parallel_for body: each thread takes tasks from the shared counter until
 * none are left, so a thread that starts late or runs on a busy core simply
 * does fewer of them. */
static void sgemm_worker(void *ctx, int64_t begin, int64_t end) {
    sgemm_job *g = ctx;
    (void)begin;
    (void)end;
    const int64_t ntasks = (int64_t)g->gm * g->gn;
    for (;;) {
        int64_t t = atomic_fetch_add(&g->next_task, 1);
        if (t >= ntasks) break;
        sgemm_task(g, t);
    }
}

/* Tasks per thread (see sgemm_plan_grid). Each task packs its own A rows, so
 * every extra task that splits the columns packs those rows again: with 4 a
 * thread, training steps at 2 threads on an Intel Xeon ran 10-25% slower than
 * with 1 (LSTM 79-89 vs 72-76 ms, GPT 107-116 vs 93-98, same run); 2 with B
 * shared (sgemm_share_b) measured as 1 (LSTM 62-64, GPT 83-85 vs 62-68 and
 * 78-88 in a later run) and keeps some of the balancing. */
#ifndef PN_GEMM_TASKS_PER_THREAD
#define PN_GEMM_TASKS_PER_THREAD 2
#endif
#ifndef PN_GEMM_TASK_FLOPS
#define PN_GEMM_TASK_FLOPS 4.0e6
#endif
/* Below this many flops a single thread is faster than waking others. */
#ifndef PN_GEMM_PARALLEL_FLOPS
#define PN_GEMM_PARALLEL_FLOPS 2.0e6
#endif
/* When to use B in place instead of packing it (only possible without transB).
 * Packing costs one copy per element of B; each B element is then used by
 * M / MR A slivers. Only for one or two slivers is the copy not worth it.
 * Measured on an AMD EPYC (AVX2, 1 thread, GFLOP/s in place vs packed sliver
 * by sliver, see sgemm_rect_small):
 *   6x1000x1000 57 vs 38    10x1000x1000 68 vs 52    16x1000x1000 54 vs 59
 *   32x256x1024 39 vs 64    64x1024x1024 56 vs 83    96x512x512   71 vs 87
 * (a row stride of 1024 floats is the worst case for in place: all rows of a
 * B sliver fall into the same cache set). */
static int use_b_in_place(int transB, int64_t M, int MR) {
    return !transB && M <= 2 * MR;
}

/* BLAS-style argument check: sizes >= 0 and each leading dimension at least
 * the row length of its (non-empty) matrix. */
static int bad_args(int transA, int transB, int64_t M, int64_t N, int64_t K, int64_t lda,
                    int64_t ldb, int64_t ldc) {
    if (M < 0 || N < 0 || K < 0) return 1;
    if (M > 0 && K > 0 && lda < (transA ? M : K)) return 1;
    if (K > 0 && N > 0 && ldb < (transB ? K : N)) return 1;
    if (M > 0 && N > 0 && ldc < N) return 1;
    return 0;
}

/* C (M, N) = beta * C: the whole product when K == 0 (beta == 0 overwrites). */
static void sgemm_scale_c(int64_t M, int64_t N, float beta, float *C, int64_t ldc) {
    for (int64_t i = 0; i < M; i++) {
        float *c = C + i * ldc;
        if (beta == 0.0f)
            for (int64_t j = 0; j < N; j++) c[j] = 0.0f;
        else
            for (int64_t j = 0; j < N; j++) c[j] *= beta;
    }
}

/* The K block for kernel kd: K split into near-equal blocks of at most kd->kc. */
static int64_t sgemm_block_k(const pn_sgemm_kernel_desc *kd, int64_t K) {
    int64_t nkb = (K + kd->kc - 1) / kd->kc;
    return (K + nkb - 1) / nkb;
}

/* Fill the job for C (M, N) = alpha op(A) op(B) + beta C, op(A) (M, K), op(B) (K, N):
 * the kernel, the operands (swapped when C^T is computed instead), whether B
 * is packed, and the K block size. The grid is left to sgemm_plan_grid. */
static void sgemm_job_init(sgemm_job *g, int transA, int transB, int64_t M, int64_t N, int64_t K,
                           float alpha, const float *A, int64_t lda, const float *B, int64_t ldb,
                           float beta, float *C, int64_t ldc) {
    g->kd = get_kernel();
    g->transA = transA;
    g->transB = transB;
    g->M = M;
    g->N = N;
    g->K = K;
    g->alpha = alpha;
    g->beta = beta;
    g->A = A;
    g->B = B;
    g->C = C;
    g->lda = lda;
    g->ldb = ldb;
    g->ldc = ldc;
    g->transC = 0;
    g->bias = NULL;
    g->bias_dim = 1;
    g->packed_b = NULL;
    g->packer = NULL;
    g->packer_ctx = NULL;
    g->np = 0;
    if (N < g->kd->nr && M > N) {
        /* Narrow C (e.g. N = 10 classes): the NR-wide vector tiles would be
         * mostly empty. Compute C^T = op(B)^T op(A)^T instead, where the long
         * side M becomes the vector direction, and store tiles transposed. */
        g->transC = 1;
        g->M = N;
        g->N = M;
        g->transA = !transB;
        g->transB = !transA;
        g->A = B;
        g->lda = ldb;
        g->B = A;
        g->ldb = lda;
    }
    g->pack_b = !use_b_in_place(g->transB, g->M, g->kd->mr);
    /* Split K into near-equal blocks of at most kd->kc (784 -> 4 x 196, not
     * 3 x 256 + 16: a thin last block would pay the C load/store for little work). */
    g->kc = sgemm_block_k(g->kd, K);
    atomic_init(&g->err, PN_OK);
}

/* Few rows of A, packed, against a B packed beforehand (pn_sgemm_with_packed: a
 * recurrence's W_hh at every step; or sgemm_share_b's copy, which re-plans the
 * grid): packing A is the only work a split can duplicate, and every task packs
 * all of its rows. So each of the nt threads
 * takes one task, an equal share of the rows cut anywhere (sgemm_rect_small
 * sizes its slivers itself), and packs them once. The usual grid (two tasks a
 * thread, rows cut at multiples of MR) split 32 rows as 24 + 8 and the columns
 * in two, packing every row twice. Measured, AMD EPYC (Zen 4), 2 threads, one
 * LSTM step's products at batch 32, hidden 256 (us, median of 3 runs of 50):
 * h W_hh^T 32x1024x256 83-95 -> 80-82, dgates W_hh 32x256x1024 95-125 -> 86-89.
 * Returns whether it set the grid. */
static int split_rows_evenly(sgemm_job *g, int nt) {
    if (!g->packed_b || g->transA || g->M > (int64_t)nt * g->kd->mc) return 0;
    g->gm = g->M < nt ? (int)g->M : nt;
    g->gn = 1;
    g->mu = 1;
    return 1;
}

/* Choose the task grid g->gm x g->gn (C rectangles) for a product of `flops`;
 * returns the number of threads to run it on.
 *
 * Every task packs the A rows and B columns of its rectangle, so the grid
 * shape decides how much packing is duplicated: per task (M/gm) * K of A, a
 * transposing copy (weight 2), plus K * (N/gn) of B, a straight copy (weight
 * 1), or, when B is used in place, only the cost of both threads streaming it
 * (small weight). Measured with 2 threads, rows vs columns split (GFLOP/s):
 * 256x256x64 (A^T) 272 vs 186, 64x256x256 271 vs 248, 784x256x64 (A^T) 306 vs
 * 227, 64x784x256 (B^T)
 * 231 vs 276, 1024^3 about equal. */
static int sgemm_plan_grid(sgemm_job *g, double flops) {
    int nt = pn_parallel_threads(); /* 1 inside a pool task: one rectangle, packed once */
    if (flops < PN_GEMM_PARALLEL_FLOPS) nt = 1;
    const int64_t M = g->M, N = g->N; /* the (possibly transposed) problem */
    g->mu = g->kd->mr;
    if (nt > 1 && split_rows_evenly(g, nt)) return nt;
    /* More tasks than threads (when each still has PN_GEMM_TASK_FLOPS of work)
     * balance the load when a core is shared with another process: the
     * threads take tasks from a counter, and the one that runs faster takes
     * more of them. */
    int over = nt > 1 ? PN_GEMM_TASKS_PER_THREAD : 1;
    while (over > 1 && flops / (nt * over) < PN_GEMM_TASK_FLOPS) over /= 2;
    int64_t mtiles = (M + g->kd->mr - 1) / g->kd->mr, ntiles = (N + g->kd->nr - 1) / g->kd->nr;
    int packs_b = g->pack_b && !g->packed_b; /* a task packs its columns of B */
    int64_t want = (int64_t)nt * over;
    if ((double)mtiles * (double)ntiles < (double)want) want = mtiles * ntiles;
    g->gm = 1;
    g->gn = 1;
    double best = -1;
    for (int64_t t = want; t >= 1 && best < 0; t--)
        for (int gm = 1; gm <= t; gm++) {
            if (t % gm) continue;
            int64_t gn = t / gm;
            if (gm > mtiles || gn > ntiles) continue;
            double cost = 2.0 * (double)M / gm + (packs_b ? 1.0 : 0.05) * (double)N / gn;
            if (best < 0 || cost < best) {
                best = cost;
                g->gm = gm;
                g->gn = (int)gn;
            }
        }
    return nt;
}

static int sgemm_run(sgemm_job *g);

/* C = A B^T with few rows of A (a Linear layer's forward at a small batch: x W^T,
 * both operands K-contiguous): each B element is used by only M rows, too few
 * to pay for transposing B into the micro-kernel's panels (the packing took a
 * quarter of a batch-16 784 -> 256 forward). The kernel's dot_nt reads both
 * in place instead. Threads split the columns; every element's sum is the same
 * at any split.
 * Each C element ends with a horizontal sum of its lanes, so the dot path needs
 * K long enough per row: K >= 16 M. Measured, 1 thread, us, packed vs dot:
 * 16x256x784 70-78 vs 62-67, 16x256x256 27-29 vs 22-24, 1x1024x1024 270 vs 76-90,
 * but 24x256x256 34 vs 36, 24x256x128 20 vs 22-25, 24x1024x64 37 vs 60; with
 * K >= 8 M instead, 24x256x192 and 24x1024x256 were no faster. */
#define PN_GEMM_DOT_MAX_M 24
#define PN_GEMM_DOT_MIN_K 32
typedef struct {
    const pn_sgemm_kernel_desc *kd;
    int64_t M, K, lda, ldb, ldc;
    float alpha, beta;
    const float *A, *B;
    float *C;
} dot_job;

static void dot_cols(void *ctx, int64_t n0, int64_t n1) {
    const dot_job *d = ctx;
    d->kd->dot_nt(d->M, n0, n1, d->K, d->alpha, d->A, d->lda, d->B, d->ldb, d->beta, d->C, d->ldc);
}

static int use_dot(const pn_sgemm_kernel_desc *kd, int transA, int transB, int64_t M, int64_t K) {
    return kd->dot_nt && !transA && transB && M <= PN_GEMM_DOT_MAX_M && K >= PN_GEMM_DOT_MIN_K &&
           K >= 16 * M;
}

int pn_sgemm_uses_dot(int transA, int transB, int64_t M, int64_t K) {
    return use_dot(get_kernel(), transA, transB, M, K);
}

static int sgemm_dot(const pn_sgemm_kernel_desc *kd, int64_t M, int64_t N, int64_t K, float alpha,
                     const float *A, int64_t lda, const float *B, int64_t ldb, float beta, float *C,
                     int64_t ldc) {
    dot_job d = {kd, M, K, lda, ldb, ldc, alpha, beta, A, B, C};
    if (2.0 * (double)M * (double)N * (double)K < PN_GEMM_PARALLEL_FLOPS)
        dot_cols(&d, 0, N);
    else
        pn_parallel_for(N, 24, dot_cols, &d);
    return PN_OK;
}

/* C (M, N) = bias broadcast along bias_dim (1: bias[j] in every row, 0: bias[i]
 * in every column): an empty sum's product, and the start of the dot path. */
static void sgemm_fill_bias(int64_t M, int64_t N, const float *bias, int bias_dim, float *C,
                            int64_t ldc) {
    for (int64_t i = 0; i < M; i++) {
        float *c = C + i * ldc;
        if (bias_dim == 1)
            memcpy(c, bias, (size_t)N * sizeof *c);
        else
            for (int64_t j = 0; j < N; j++) c[j] = bias[i];
    }
}

/* pn_sgemm, plus a bias (NULL for none; beta is then 0) that the packed paths add
 * tile by tile (bias_tile). */
static int sgemm_call(int transA, int transB, int64_t M, int64_t N, int64_t K, float alpha,
                      const float *A, int64_t lda, const float *B, int64_t ldb, float beta,
                      const float *bias, int bias_dim, float *C, int64_t ldc) {
    if (bad_args(transA, transB, M, N, K, lda, ldb, ldc)) return PN_EINVAL;
    if (M == 0 || N == 0) return PN_OK;
    if (K == 0) { /* empty sum: C = beta * C (beta == 0 overwrites), or the bias */
        if (bias)
            sgemm_fill_bias(M, N, bias, bias_dim, C, ldc);
        else
            sgemm_scale_c(M, N, beta, C, ldc);
        return PN_OK;
    }
    const pn_sgemm_kernel_desc *kd = get_kernel();
    if (use_dot(kd, transA, transB, M, K)) {
        if (bias) sgemm_fill_bias(M, N, bias, bias_dim, C, ldc), beta = 1.0f;
        return sgemm_dot(kd, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    }
    sgemm_job g;
    sgemm_job_init(&g, transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    g.bias = bias;
    g.bias_dim = bias_dim;
    return sgemm_run(&g);
}

int pn_sgemm(int transA, int transB, int64_t M, int64_t N, int64_t K, float alpha, const float *A,
             int64_t lda, const float *B, int64_t ldb, float beta, float *C, int64_t ldc) {
    return sgemm_call(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, NULL, 1, C, ldc);
}

int pn_sgemm_bias(int transA, int transB, int64_t M, int64_t N, int64_t K, const float *A,
                  int64_t lda, const float *B, int64_t ldb, const float *bias, int bias_dim,
                  float *C, int64_t ldc) {
    if (!bias || (bias_dim != 0 && bias_dim != 1)) return PN_EINVAL;
    return sgemm_call(transA, transB, M, N, K, 1.0f, A, lda, B, ldb, 0.0f, bias, bias_dim, C, ldc);
}

/* Packing B once for all threads (sgemm_share_b): for products of at least
 * PN_GEMM_SHARE_B_FLOPS whose packed B takes at most PN_GEMM_SHARE_B_MAX floats
 * (kept per calling thread for the next call, like the tasks' buffers). The
 * packing is one more dispatch to the pool: from 1.6e7 flops on, 256^3 products
 * at 2 threads went from 1.2-1.5x speed-up to 0.8-1.0x on an Intel Xeon. */
#ifndef PN_GEMM_SHARE_B_FLOPS
#define PN_GEMM_SHARE_B_FLOPS 1.5e8
#endif
#define PN_GEMM_SHARE_B_MAX  ((int64_t)4 << 20)
#define PN_GEMM_SHARE_B_COLS 256 /* columns per packing piece (rounded to NR) */

typedef struct {
    const sgemm_job *g;
    float *dst;
    int64_t npieces_j, jw; /* pieces per K block, and their width */
} share_b_job;

/* Pieces [p0, p1) of B: piece p is K block p / npieces_j, columns jw wide. */
static void share_b_pieces(void *ctx, int64_t p0, int64_t p1) {
    const share_b_job *s = ctx;
    const sgemm_job *g = s->g;
    for (int64_t p = p0; p < p1; p++) {
        int64_t pc = p / s->npieces_j * g->kc, jc = p % s->npieces_j * s->jw;
        int64_t kc = g->K - pc < g->kc ? g->K - pc : g->kc,
                nc = g->N - jc < s->jw ? g->N - jc : s->jw;
        pack_b_block(g, pc, jc, nc, kc, s->dst + pc * g->np + jc * kc);
    }
}

/* With several threads, every task packs the B columns of its rectangle, so a
 * grid that splits the rows of C packs all of B once per row of the grid (and
 * with PN_GEMM_TASKS_PER_THREAD tasks a thread, four times per thread): for the
 * weight gradient dY^T X (1024 x 2048 x 256) at 2 threads that was 8 packings of
 * X. Instead B is packed here once, its pieces split among the threads, into
 * pn_sgemm_pack's layout; the tasks then read it as a pre-packed B, and the grid
 * splits the rows freely. Returns whether it did; *to_free is the buffer to
 * free after the product (NULL when the thread keeps it). */
static int sgemm_share_b(sgemm_job *g, double flops, float **to_free) {
    *to_free = NULL;
    if (!g->pack_b || g->packed_b || flops < PN_GEMM_SHARE_B_FLOPS) return 0;
    const int64_t NR = g->kd->nr, np = round_up(g->N, NR);
    int64_t n;
    if (pn_mul_overflow(np, g->K, &n) || n > PN_GEMM_SHARE_B_MAX) return 0;
    int owned;
    float *buf = get_buffer(1, n, &owned);
    if (!buf) return 0; /* out of memory: the tasks pack B themselves */
    g->np = np;
    share_b_job s = {g, buf, (g->N + PN_GEMM_SHARE_B_COLS - 1) / PN_GEMM_SHARE_B_COLS,
                     round_up(PN_GEMM_SHARE_B_COLS, NR)};
    s.npieces_j = (g->N + s.jw - 1) / s.jw;
    pn_parallel_for((g->K + g->kc - 1) / g->kc * s.npieces_j, 1, share_b_pieces, &s);
    g->packed_b = buf;
    if (owned) *to_free = buf;
    return 1;
}

/* Plan the thread grid of a filled job and run it. */
static int sgemm_run(sgemm_job *g) {
    double flops = 2.0 * (double)g->M * (double)g->N * (double)g->K;
    float *to_free = NULL;
    int nt = sgemm_plan_grid(g, flops);
    /* a grid that splits the rows would pack B once per row of rectangles */
    if (nt > 1 && g->gm > 1 && sgemm_share_b(g, flops, &to_free)) nt = sgemm_plan_grid(g, flops);
    int64_t ntasks = (int64_t)g->gm * g->gn;
    atomic_init(&g->next_task, 0);
    if (ntasks == 1 || nt == 1)
        sgemm_worker(g, 0, 1);
    else
        pn_parallel_for(nt < ntasks ? nt : ntasks, 1, sgemm_worker, g);
    free(to_free);
    return atomic_load(&g->err);
}

struct pn_sgemm_packed {
    const pn_sgemm_kernel_desc *kd; /* the kernel whose layout it is in */
    int64_t K, N, kc, np;           /* K blocks of kc rows (the last may be shorter) */
    float *data;                    /* block at row pc starts at data + pc * np */
};

pn_sgemm_packed *pn_sgemm_pack(int transB, int64_t K, int64_t N, const float *B, int64_t ldb) {
    if (K <= 0 || N <= 0 || ldb < (transB ? K : N)) return NULL;
    pn_sgemm_packed *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->kd = get_kernel();
    p->K = K;
    p->N = N;
    p->kc = sgemm_block_k(p->kd, K);
    p->np = round_up(N, p->kd->nr);
    int64_t n;
    if (pn_mul_overflow(p->np, K, &n) || !(p->data = alloc_floats(n))) {
        free(p);
        return NULL;
    }
    pn_pack_b_fn pb = p->kd->pack_b ? p->kd->pack_b : pack_b;
    for (int64_t pc = 0; pc < K; pc += p->kc)
        pb(transB, B, ldb, pc, 0, N, K - pc < p->kc ? K - pc : p->kc, p->kd->nr,
           p->data + pc * p->np);
    return p;
}

void pn_sgemm_packed_free(pn_sgemm_packed *p) {
    if (p) free(p->data);
    free(p);
}

int pn_sgemm_with_packed(int transA, int64_t M, float alpha, const float *A, int64_t lda,
                         const pn_sgemm_packed *Bp, float beta, float *C, int64_t ldc) {
    const int64_t K = Bp->K, N = Bp->N;
    if (M < 0 || (M > 0 && lda < (transA ? M : K)) || (M > 0 && ldc < N)) return PN_EINVAL;
    if (M == 0) return PN_OK;
    sgemm_job g;
    /* B's pointer is a placeholder: the packed block stands in for it */
    sgemm_job_init(&g, transA, 0, M, N, K, alpha, A, lda, Bp->data, N, beta, C, ldc);
    g.kd = Bp->kd;
    g.transC = 0; /* the packed layout is for B as the right operand: no swapping */
    g.M = M, g.N = N, g.transA = transA, g.transB = 0, g.A = A, g.lda = lda;
    g.B = Bp->data, g.ldb = N;
    g.pack_b = 1;
    g.kc = Bp->kc;
    g.packed_b = Bp->data;
    g.np = Bp->np;
    return sgemm_run(&g);
}

int pn_sgemm_packs_b(int64_t M) {
    return !use_b_in_place(0, M, get_kernel()->mr);
}

int pn_sgemm_packing_b(int transA, int64_t M, int64_t N, int64_t K, const float *A, int64_t lda,
                       pn_sgemm_b_packer pack, void *ctx, float beta, const float *bias, float *C,
                       int64_t ldc) {
    if (M < 0 || N < 0 || K < 0 || !pack || (bias && beta != 0.0f)) return PN_EINVAL;
    if ((M > 0 && K > 0 && lda < (transA ? M : K)) || (M > 0 && N > 0 && ldc < N)) return PN_EINVAL;
    if (M == 0 || N == 0) return PN_OK;
    if (K == 0) {
        if (bias)
            sgemm_fill_bias(M, N, bias, 0, C, ldc);
        else
            sgemm_scale_c(M, N, beta, C, ldc);
        return PN_OK;
    }
    sgemm_job g;
    /* B's pointer and stride are placeholders: the packer stands in for them */
    sgemm_job_init(&g, transA, 0, M, N, K, 1.0f, A, lda, NULL, N, beta, C, ldc);
    g.transC = 0; /* the packer writes B's layout: no swapping of the operands */
    g.M = M, g.N = N, g.transA = transA, g.transB = 0, g.A = A, g.lda = lda;
    g.B = NULL, g.ldb = N;
    g.pack_b = 1;
    g.packer = pack;
    g.packer_ctx = ctx;
    g.bias = bias;
    g.bias_dim = 0;
    return sgemm_run(&g);
}

/* ------------------------------------------------------------------------ */
/* float64: portable loops, blocked for cache; used for gradcheck.           */

#define DKB 256 /* k block: a block of B rows stays in cache */
#define DNB 512 /* j block */

int pn_dgemm(int transA, int transB, int64_t M, int64_t N, int64_t K, double alpha, const double *A,
             int64_t lda, const double *B, int64_t ldb, double beta, double *C, int64_t ldc) {
    if (bad_args(transA, transB, M, N, K, lda, ldb, ldc)) return PN_EINVAL;
    if (M == 0 || N == 0) return PN_OK;
    for (int64_t i = 0; i < M; i++) {
        double *c = C + i * ldc;
        if (beta == 0.0)
            for (int64_t j = 0; j < N; j++) c[j] = 0.0;
        else if (beta != 1.0)
            for (int64_t j = 0; j < N; j++) c[j] *= beta;
    }
    if (K == 0) return PN_OK;
    if (!transB) {
        /* C[i, j0:j1] += (alpha * A[i, p]) * B[p, j0:j1]: unit stride in j, vectorisable. */
        for (int64_t j0 = 0; j0 < N; j0 += DNB) {
            int64_t j1 = j0 + DNB < N ? j0 + DNB : N;
            for (int64_t p0 = 0; p0 < K; p0 += DKB) {
                int64_t p1 = p0 + DKB < K ? p0 + DKB : K;
                for (int64_t i = 0; i < M; i++) {
                    double *c = C + i * ldc;
                    for (int64_t p = p0; p < p1; p++) {
                        double a = alpha * (transA ? A[p * lda + i] : A[i * lda + p]);
                        const double *b = B + p * ldb;
                        for (int64_t j = j0; j < j1; j++) c[j] += a * b[j];
                    }
                }
            }
        }
    } else {
        /* op(B)[p][j] = B[j][p]: dot products along p. */
        for (int64_t i = 0; i < M; i++) {
            double *c = C + i * ldc;
            for (int64_t j = 0; j < N; j++) {
                const double *b = B + j * ldb;
                double acc = 0.0;
                if (!transA) {
                    const double *a = A + i * lda;
                    for (int64_t p = 0; p < K; p++) acc += a[p] * b[p];
                } else {
                    for (int64_t p = 0; p < K; p++) acc += A[p * lda + i] * b[p];
                }
                c[j] += alpha * acc;
            }
        }
    }
    return PN_OK;
}

/* ------------------------------------------------ dtype dispatch, layouts ---- */

int pn_gemm_layout(int64_t rows, int64_t cols, int64_t srow, int64_t scol, int *trans,
                   int64_t *ld) {
    /* A row stride smaller than the row (e.g. 0 for an expanded tensor) is not
     * a matrix layout the GEMM accepts. A stride along a size-1 dim means nothing. */
    if (scol == 1 || cols == 1) {
        *trans = 0;
        *ld = rows > 1 ? srow : cols;
        if (rows == 1 && *ld < cols) *ld = cols;
        if (*ld >= cols && *ld >= 1) return 1;
    }
    if (srow == 1 || rows == 1) {
        *trans = 1;
        *ld = cols > 1 ? scol : rows;
        if (cols == 1 && *ld < rows) *ld = rows;
        if (*ld >= rows && *ld >= 1) return 1;
    }
    return 0;
}

/* int64 matmul: the plain triple loop (no int64 kernel is worth tuning for a
 * teaching library); unsigned arithmetic wraps like PyTorch's. */
static void igemm(int ta, int tb, int64_t M, int64_t N, int64_t K, const int64_t *A, int64_t lda,
                  const int64_t *B, int64_t ldb, int64_t beta, int64_t *C, int64_t ldc) {
    for (int64_t i = 0; i < M; i++)
        for (int64_t j = 0; j < N; j++) {
            uint64_t acc = beta ? (uint64_t)C[i * ldc + j] : 0;
            for (int64_t p = 0; p < K; p++)
                acc += (uint64_t)(ta ? A[p * lda + i] : A[i * lda + p]) *
                       (uint64_t)(tb ? B[j * ldb + p] : B[p * ldb + j]);
            C[i * ldc + j] = (int64_t)acc;
        }
}

int pn_gemm_bias(pn_dtype dt, int ta, int tb, int64_t M, int64_t N, int64_t K, const void *A,
                 int64_t lda, const void *B, int64_t ldb, const void *bias, int bias_dim, void *C,
                 int64_t ldc) {
    if (dt == PN_FLOAT32)
        return pn_sgemm_bias(ta, tb, M, N, K, A, lda, B, ldb, bias, bias_dim, C, ldc);
    if (dt != PN_FLOAT64 || !bias || (bias_dim != 0 && bias_dim != 1)) return PN_EINVAL;
    if (bad_args(ta, tb, M, N, K, lda, ldb, ldc)) return PN_EINVAL;
    const double *b = bias;
    for (int64_t i = 0; i < M; i++)
        for (int64_t j = 0; j < N; j++) ((double *)C)[i * ldc + j] = bias_dim == 1 ? b[j] : b[i];
    return pn_dgemm(ta, tb, M, N, K, 1.0, A, lda, B, ldb, 1.0, C, ldc);
}

int pn_gemm(pn_dtype dt, int ta, int tb, int64_t M, int64_t N, int64_t K, const void *A,
            int64_t lda, const void *B, int64_t ldb, double beta, void *C, int64_t ldc) {
    if (M == 0 || N == 0) return PN_OK;
    if (dt == PN_FLOAT32)
        return pn_sgemm(ta, tb, M, N, K, 1.0f, A, lda, B, ldb, (float)beta, C, ldc);
    if (dt == PN_FLOAT64) return pn_dgemm(ta, tb, M, N, K, 1.0, A, lda, B, ldb, beta, C, ldc);
    if (dt != PN_INT64 || (beta != 0.0 && beta != 1.0)) return PN_EINVAL;
    igemm(ta, tb, M, N, K, A, lda, B, ldb, (int64_t)beta, C, ldc);
    return PN_OK;
}
