/* gemm_kernels_x86.c - AVX2+FMA and AVX-512 micro-kernels for float32 GEMM.
 *
 * The library is built without -march flags, so these functions carry
 * per-function target attributes and are only called after a run-time check
 * that both the CPU and the OS (XCR0 register state) support the ISA.
 *
 * How the micro-kernel works (the "register tile"): C is row-major, so a row
 * of the C tile is a few SIMD vectors. For every k the kernel
 *   - loads one row of the B sliver (NR floats = NR/lanes vectors),
 *   - broadcasts A[i][k] for each of the MR rows of the tile,
 *   - does MR * NR/lanes FMAs:  acc[i][v] += broadcast(A[i][k]) * B[k][v].
 * Each loaded B vector is used MR times and each A element NR/lanes times, so
 * there are few loads per FMA, and all MR * NR/lanes accumulators are
 * independent, which hides the FMA latency (4 cycles, 2 FMA ports: at least 8
 * independent chains are needed to keep both ports busy).
 *
 *   AVX-512 (32 zmm registers of 16 floats): tile 12 x 32
 *       accumulators 12 x 2 = 24 zmm, B row = 2 zmm, A broadcasts are folded
 *       into the FMAs as memory operands ({1to16}).
 *   AVX2 (16 ymm registers of 8 floats): tile 6 x 16
 *       accumulators 6 x 2 = 12 ymm, B row = 2 ymm, 1 ymm for the broadcast.
 *
 * Edges: the number of valid rows mr <= MR is dispatched to a copy of the
 * kernel specialised for exactly that many rows (no wasted FMAs on padding,
 * which matters for M = 64 batches); the number of valid columns nr <= NR is
 * handled with masked loads/stores, so B may be the user's own matrix and
 * nothing past column nr is read or written.
 */
#if defined(__x86_64__)
#include "gemm_internal.h"

#include <cpuid.h>
#include <immintrin.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* CPU and OS feature checks                                                 */

static uint64_t read_xcr0(void) {
    uint32_t eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((uint64_t)edx << 32) | eax;
}

/* OSXSAVE (CPUID.1:ECX bit 27) says the OS manages extended register state and
 * XGETBV may be executed; XCR0 then says which register files it saves. */
static int os_saves(uint64_t mask) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    if (!(c & (1u << 27))) return 0;
    return (read_xcr0() & mask) == mask;
}

int pn_cpu_has_avx2_fma(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
           os_saves(0x6); /* XMM | YMM state */
}

int pn_cpu_has_avx512(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && pn_cpu_has_avx2_fma() &&
           os_saves(0xe6); /* XMM | YMM | opmask | ZMM_Hi256 | Hi16_ZMM */
}

#define ALWAYS_INLINE inline __attribute__((always_inline))

/* ------------------------------------------------------------------------ */
/* AVX-512: MR512 x NR512 (default 12 x 32)                                 */

#define T512 __attribute__((target("avx512f,avx2,fma")))
#ifndef MR512
#define MR512 12 /* rows of the register tile (<= 12) */
#endif
#ifndef NV512
#define NV512 2 /* 16-float vectors per tile row (<= 3) */
#endif
#define NR512 (16 * NV512)
#ifndef KC512
#define KC512 256
#endif
#ifndef MC512
#define MC512 192
#endif
#ifndef NC512
#define NC512 1024
#endif

/* ROWS (valid rows) and NV (vectors per row needed for the valid columns) are
 * compile-time constants at every instantiation below. The accumulators are
 * named variables (c0a, c0b, c1a, ...) rather than an array, and each row's
 * code sits behind `if (ROWS > i)` / `if (NV > v)`, which the compiler resolves
 * at compile time: this reliably keeps the whole tile in registers (GCC does
 * not always promote an array of vectors to registers). */
#define ROWS12(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)
#define ROWS6(X)  X(0) X(1) X(2) X(3) X(4) X(5)

#define Z512_DECL(i) \
    __m512 c##i##a = _mm512_setzero_ps(), c##i##b = _mm512_setzero_ps(), \
           c##i##c = _mm512_setzero_ps();
#define Z512_FMA(i) \
    if (ROWS > i) { \
        __m512 ai = _mm512_set1_ps(a[i * ars]); \
        c##i##a = _mm512_fmadd_ps(ai, b0, c##i##a); \
        if (NV > 1) c##i##b = _mm512_fmadd_ps(ai, b1, c##i##b); \
        if (NV > 2) c##i##c = _mm512_fmadd_ps(ai, b2, c##i##c); \
    }
/* C row i, vector v (columns 16v .. 16v+15, mask mv): alpha * acc + beta * C */
#define Z512_UPD(i, v, acc, mv) \
    if (NV > v) { \
        float *cv = c + i * ldc + 16 * v; \
        __m512 r = _mm512_mul_ps(va, acc); \
        if (beta != 0.0f) r = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(mv, cv), r); \
        _mm512_mask_storeu_ps(cv, mv, r); \
    }
#define Z512_STORE(i) \
    if (ROWS > i) { \
        Z512_UPD(i, 0, c##i##a, m0) \
        Z512_UPD(i, 1, c##i##b, m1) \
        Z512_UPD(i, 2, c##i##c, m2) \
    }
#define PREFETCH_ROW(i) \
    if (ROWS > i) _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);

/* One k of a full-width tile: a row of B's sliver, MR512 values of A's. Unrolled by
 * hand, four to a loop iteration: under -flto, GCC 12 drops `#pragma GCC unroll` and
 * then spills a B vector to the stack, reloading it for every FMA (the K = 16 weight
 * gradients of a batch-16 MLP ran 12% slower). */
#define Z512_STEP \
    { \
        __m512 b0 = _mm512_loadu_ps(b); \
        __m512 b1 = NV > 1 ? _mm512_loadu_ps(b + 16) : b0; \
        __m512 b2 = NV > 2 ? _mm512_loadu_ps(b + 32) : b0; \
        ROWS12(Z512_FMA) \
        a += aks; \
        b += ldb; \
    }

static inline __mmask16 lanes_mask(int64_t n) {
    return (__mmask16)(n >= 16 ? 0xffff : n <= 0 ? 0 : (1u << n) - 1);
}

/* A's element (i, k) is a[i * ars + k * aks]: a packed sliver (ars 1, aks MR512)
 * or A itself, row-major (ars lda, aks 1; see pn_sgemm_ukernel_a_fn). */
static ALWAYS_INLINE T512 void k512_body(const int ROWS, const int NV, int64_t kc, const float *a,
                                         int64_t ars, int64_t aks, const float *b, int64_t ldb,
                                         float *c, int64_t ldc, float alpha, float beta, int nr) {
    ROWS12(Z512_DECL)
    /* Column masks: lanes j < nr of each 16-float vector of the tile row. */
    const __mmask16 m0 = lanes_mask(nr), m1 = lanes_mask(nr - 16), m2 = lanes_mask(nr - 32);
    ROWS12(PREFETCH_ROW)

    if (nr == 16 * NV) {
        int64_t k = 0;
        for (; k + 4 <= kc; k += 4) {
            Z512_STEP Z512_STEP Z512_STEP Z512_STEP
        }
        for (; k < kc; k++) {
            Z512_STEP
        }
    } else {
        /* Right edge: masked loads never touch the lanes (or pages) past nr. */
        for (int64_t k = 0; k < kc; k++) {
            __m512 b0 = _mm512_maskz_loadu_ps(m0, b);
            __m512 b1 = NV > 1 ? _mm512_maskz_loadu_ps(m1, b + 16) : b0;
            __m512 b2 = NV > 2 ? _mm512_maskz_loadu_ps(m2, b + 32) : b0;
            ROWS12(Z512_FMA)
            a += aks;
            b += ldb;
        }
    }

    const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
    ROWS12(Z512_STORE)
}

typedef void (*tile_fn)(int64_t, const float *, const float *, int64_t, float *, int64_t, float,
                        float, int);

typedef void (*tile_a_fn)(int64_t, const float *, int64_t, const float *, int64_t, float *, int64_t,
                          float, float, int);

/* One function per (rows, vectors) pair: k512_<rows>_<vectors> reads a packed A
 * sliver, k512_<rows>_<vectors>a A in place (row-major), k512_<rows>_<vectors>t
 * A^T in place: op(A)[i][k] = a[k * lda + i], the sliver's rows side by side in
 * each row of A, as in a packed sliver but lda apart instead of MR. */
#define K512(NAME, R, V) \
    static T512 void NAME(int64_t kc, const float *a, const float *b, int64_t ldb, float *c, \
                          int64_t ldc, float alpha, float beta, int nr) { \
        k512_body(R, V, kc, a, 1, MR512, b, ldb, c, ldc, alpha, beta, nr); \
    } \
    static T512 void NAME##a(int64_t kc, const float *a, int64_t lda, const float *b, int64_t ldb, \
                             float *c, int64_t ldc, float alpha, float beta, int nr) { \
        k512_body(R, V, kc, a, lda, 1, b, ldb, c, ldc, alpha, beta, nr); \
    } \
    static T512 void NAME##t(int64_t kc, const float *a, int64_t lda, const float *b, int64_t ldb, \
                             float *c, int64_t ldc, float alpha, float beta, int nr) { \
        k512_body(R, V, kc, a, 1, lda, b, ldb, c, ldc, alpha, beta, nr); \
    }
K512(k512_1_1, 1, 1)
K512(k512_1_2, 1, 2)
K512(k512_1_3, 1, 3)
K512(k512_2_1, 2, 1)
K512(k512_2_2, 2, 2)
K512(k512_2_3, 2, 3)
K512(k512_3_1, 3, 1)
K512(k512_3_2, 3, 2)
K512(k512_3_3, 3, 3)
K512(k512_4_1, 4, 1)
K512(k512_4_2, 4, 2)
K512(k512_4_3, 4, 3)
K512(k512_5_1, 5, 1)
K512(k512_5_2, 5, 2)
K512(k512_5_3, 5, 3)
K512(k512_6_1, 6, 1)
K512(k512_6_2, 6, 2)
K512(k512_6_3, 6, 3)
K512(k512_7_1, 7, 1)
K512(k512_7_2, 7, 2)
K512(k512_7_3, 7, 3)
K512(k512_8_1, 8, 1)
K512(k512_8_2, 8, 2)
K512(k512_8_3, 8, 3)
K512(k512_9_1, 9, 1)
K512(k512_9_2, 9, 2)
K512(k512_9_3, 9, 3)
K512(k512_10_1, 10, 1)
K512(k512_10_2, 10, 2)
K512(k512_10_3, 10, 3)
K512(k512_11_1, 11, 1)
K512(k512_11_2, 11, 2)
K512(k512_11_3, 11, 3)
K512(k512_12_1, 12, 1)
K512(k512_12_2, 12, 2)
K512(k512_12_3, 12, 3)

/* The kernels of one variant (suffix SUF: none, a or t) by [rows][vectors - 1]. */
#define K512_ROW(R, SUF) {k512_##R##_1##SUF, k512_##R##_2##SUF, k512_##R##_3##SUF}
#define K512_TAB(SUF) \
    {{NULL, NULL, NULL}, K512_ROW(1, SUF),  K512_ROW(2, SUF), K512_ROW(3, SUF), K512_ROW(4, SUF), \
     K512_ROW(5, SUF),   K512_ROW(6, SUF),  K512_ROW(7, SUF), K512_ROW(8, SUF), K512_ROW(9, SUF), \
     K512_ROW(10, SUF),  K512_ROW(11, SUF), K512_ROW(12, SUF)}

/* k512_tab[rows][vectors - 1] */
static const tile_fn k512_tab[13][3] = K512_TAB();

static void sgemm_ukernel_avx512(int64_t kc, const float *a, const float *b, int64_t ldb, float *c,
                                 int64_t ldc, float alpha, float beta, int mr, int nr) {
    k512_tab[mr][(nr + 15) / 16 - 1](kc, a, b, ldb, c, ldc, alpha, beta, nr);
}

/* k512a_tab[rows][vectors - 1]: the kernels reading A in place */
static const tile_a_fn k512a_tab[13][3] = K512_TAB(a);

static void sgemm_ukernel_a_avx512(int64_t kc, const float *a, int64_t lda, const float *b,
                                   int64_t ldb, float *c, int64_t ldc, float alpha, float beta,
                                   int mr, int nr) {
    k512a_tab[mr][(nr + 15) / 16 - 1](kc, a, lda, b, ldb, c, ldc, alpha, beta, nr);
}

/* k512t_tab[rows][vectors - 1]: the kernels reading A^T in place */
static const tile_a_fn k512t_tab[13][3] = K512_TAB(t);

static void sgemm_ukernel_at_avx512(int64_t kc, const float *a, int64_t lda, const float *b,
                                    int64_t ldb, float *c, int64_t ldc, float alpha, float beta,
                                    int mr, int nr) {
    k512t_tab[mr][(nr + 15) / 16 - 1](kc, a, lda, b, ldb, c, ldc, alpha, beta, nr);
}

/* Packing with AVX-512. The transposing cases (A row-major into k-major
 * slivers, and B^T into row slivers) are the expensive ones when done one
 * float at a time; here they go through 16 x 16 in-register transposes. */

/* Transpose the 16 x 16 block r[0..15] (rows) in place into columns:
 *   1. unpacklo/hi_ps interleave pairs of rows within each 128-bit lane,
 *   2. shuffle_ps gathers 4-row groups: lane L of u holds 4 rows of one column,
 *   3./4. shuffle_f32x4 moves the 128-bit lanes into place. */
static ALWAYS_INLINE T512 void transpose16(__m512 r[16]) {
    __m512 t[16], u[16], v[16];
    for (int k = 0; k < 8; k++) {
        t[2 * k] = _mm512_unpacklo_ps(r[2 * k], r[2 * k + 1]);
        t[2 * k + 1] = _mm512_unpackhi_ps(r[2 * k], r[2 * k + 1]);
    }
    for (int g = 0; g < 4; g++) { /* rows 4g .. 4g+3 */
        __m512 t0 = t[4 * g], t1 = t[4 * g + 1], t2 = t[4 * g + 2], t3 = t[4 * g + 3];
        u[4 * g + 0] = _mm512_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0)); /* cols 0,4,8,12 */
        u[4 * g + 1] = _mm512_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2)); /* cols 1,5,9,13 */
        u[4 * g + 2] = _mm512_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0)); /* cols 2,6,10,14 */
        u[4 * g + 3] = _mm512_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2)); /* cols 3,7,11,15 */
    }
    for (int c = 0; c < 4; c++) { /* column c, c+4, c+8, c+12 */
        v[4 * c + 0] = _mm512_shuffle_f32x4(u[c], u[4 + c], _MM_SHUFFLE(2, 0, 2, 0));
        v[4 * c + 1] = _mm512_shuffle_f32x4(u[c], u[4 + c], _MM_SHUFFLE(3, 1, 3, 1));
        v[4 * c + 2] = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], _MM_SHUFFLE(2, 0, 2, 0));
        v[4 * c + 3] = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], _MM_SHUFFLE(3, 1, 3, 1));
        r[c] = _mm512_shuffle_f32x4(v[4 * c + 0], v[4 * c + 2], _MM_SHUFFLE(2, 0, 2, 0));
        r[c + 8] = _mm512_shuffle_f32x4(v[4 * c + 0], v[4 * c + 2], _MM_SHUFFLE(3, 1, 3, 1));
        r[c + 4] = _mm512_shuffle_f32x4(v[4 * c + 1], v[4 * c + 3], _MM_SHUFFLE(2, 0, 2, 0));
        r[c + 12] = _mm512_shuffle_f32x4(v[4 * c + 1], v[4 * c + 3], _MM_SHUFFLE(3, 1, 3, 1));
    }
}

/* pack_a of op(A) = A^T for MR = 12: the 12 values of sliver s at one k are
 * A[p0 + k][i0 + 12 s ..], contiguous. Walked row by row (each row of the block
 * read once, left to right, for every sliver), four k's at a time, so that the
 * 4 x 12 values of a sliver are three whole vectors, put together by two-source
 * permutes, and stored without masks. Sliver by sliver instead (12 masked floats
 * per row, then the next row), a row stride of 4 KB (a 1024-wide gradient, e.g.
 * an LSTM's 4 x 256 gates) maps every row of the block onto the same L1 set, and
 * each row's line is fetched again for the next sliver. Measured (1 thread,
 * weight gradients g^T x with 2048 rows, fastest of 9, three interleaved runs):
 * 1024 x 256 12.0-12.5 -> 10.7-11.3 ms, 1024 x 128 6.6-7.0 -> 5.7-6.1, 512 x 128
 * 3.4-3.5 -> 3.0-3.3; pack_a fell from 6.5% to 3.7% of an LSTM training step. */
static T512 void pack_a_trans12_avx512(const float *A, int64_t lda, int64_t i0, int64_t p0,
                                       int64_t mc, int64_t kc, float *dst) {
    /* lanes 0-11 of the first source, then lanes 0-11 of the second, in three vectors */
    const __m512i lo = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 16, 17, 18, 19);
    const __m512i mid = _mm512_setr_epi32(4, 5, 6, 7, 8, 9, 10, 11, 16, 17, 18, 19, 20, 21, 22, 23);
    const __m512i hi =
        _mm512_setr_epi32(8, 9, 10, 11, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27);
    int64_t k = 0;
    for (; k + 4 <= kc; k += 4) {
        const float *src = A + (p0 + k) * lda + i0;
        for (int64_t ir = 0; ir < mc; ir += 12) {
            /* 16 lanes inside the block, but only mc - ir in the last sliver (its zeros
             * fill the rows past mr, and no load passes the block's last column) */
            __mmask16 m = lanes_mask(mc - ir);
            __m512 r0 = _mm512_maskz_loadu_ps(m, src + ir);
            __m512 r1 = _mm512_maskz_loadu_ps(m, src + lda + ir);
            __m512 r2 = _mm512_maskz_loadu_ps(m, src + 2 * lda + ir);
            __m512 r3 = _mm512_maskz_loadu_ps(m, src + 3 * lda + ir);
            float *d = dst + ir * kc + k * 12;
            _mm512_storeu_ps(d, _mm512_permutex2var_ps(r0, lo, r1));
            _mm512_storeu_ps(d + 16, _mm512_permutex2var_ps(r1, mid, r2));
            _mm512_storeu_ps(d + 32, _mm512_permutex2var_ps(r2, hi, r3));
        }
    }
    for (; k < kc; k++)
        for (int64_t ir = 0; ir < mc; ir += 12)
            _mm512_mask_storeu_ps(
                dst + ir * kc + k * 12, lanes_mask(12),
                _mm512_maskz_loadu_ps(lanes_mask(mc - ir), A + (p0 + k) * lda + i0 + ir));
}

/* Same layout as the portable pack_a in gemm.c (MR <= 16). */
static T512 void pack_a_avx512(int transA, const float *A, int64_t lda, int64_t i0, int64_t p0,
                               int64_t mc, int64_t kc, int MR, float *dst) {
    const __mmask16 mrmask = lanes_mask(MR);
    if (transA && MR == 12) {
        pack_a_trans12_avx512(A, lda, i0, p0, mc, kc, dst);
        return;
    }
    for (int64_t ir = 0; ir < mc; ir += MR) {
        int mr = (int)(mc - ir < MR ? mc - ir : MR);
        float *d = dst + ir * kc;
        if (transA) { /* the MR values of one k are contiguous: masked copy */
            const __mmask16 m = lanes_mask(mr);
            for (int64_t k = 0; k < kc; k++)
                _mm512_mask_storeu_ps(d + k * MR, mrmask,
                                      _mm512_maskz_loadu_ps(m, A + (p0 + k) * lda + i0 + ir));
            continue;
        }
        /* 16 k's of up to 16 rows at a time: load rows, transpose, store columns. */
        const float *src = A + (i0 + ir) * lda + p0;
        for (int64_t k = 0; k < kc; k += 16) {
            int64_t kk = kc - k < 16 ? kc - k : 16;
            __mmask16 km = lanes_mask(kk);
            __m512 r[16];
            for (int i = 0; i < 16; i++)
                r[i] = i < mr ? _mm512_maskz_loadu_ps(km, src + i * lda + k) : _mm512_setzero_ps();
            transpose16(r);
            for (int q = 0; q < kk; q++) _mm512_mask_storeu_ps(d + (k + q) * MR, mrmask, r[q]);
        }
    }
}

/* pack_b_avx512 without transB: row p0 + k of the block holds the k-th row of
 * every sliver, contiguous. The block is filled one k at a time, all slivers
 * together, so B's rows are read in order, each once, left to right. A sliver at a
 * time instead reads one 64-byte line per row down a column of lines, a stride the
 * hardware prefetcher does not follow across pages: packing X (2048 x 512, just
 * written, in L3) for the weight gradient dY^T X took 12% of that product on an
 * Intel Xeon (AVX-512), 7.7-8% now (99-100 -> 107 GFLOP/s, median); prefetching
 * rows ahead as well made no difference. Columns past nc are stored as zeros. */
static T512 void pack_b_rows_avx512(const float *B, int64_t ldb, int64_t p0, int64_t j0, int64_t nc,
                                    int64_t kc, int NR, float *dst) {
    const int64_t ns = (nc + NR - 1) / NR;
    for (int64_t k = 0; k < kc; k++) {
        const float *src = B + (p0 + k) * ldb + j0;
        float *d = dst + k * NR;
        for (int64_t s = 0; s < ns; s++, src += NR, d += NR * kc)
            for (int h = 0; h < NR; h += 16)
                _mm512_storeu_ps(d + h,
                                 _mm512_maskz_loadu_ps(lanes_mask(nc - s * NR - h), src + h));
    }
}

/* Same layout as the portable pack_b in gemm.c (NR a multiple of 16). With
 * transB (B stored N x K, a Linear layer's weight) 16 x 16 blocks are transposed. */
static T512 void pack_b_avx512(int transB, const float *B, int64_t ldb, int64_t p0, int64_t j0,
                               int64_t nc, int64_t kc, int NR, float *dst) {
    if (!transB) {
        pack_b_rows_avx512(B, ldb, p0, j0, nc, kc, NR, dst);
        return;
    }
    for (int64_t jr = 0; jr < nc; jr += NR) {
        int nr = (int)(nc - jr < NR ? nc - jr : NR);
        float *d = dst + jr * kc;
        for (int h = 0; h < NR; h += 16) { /* 16-column half of the sliver */
            int nh = nr - h;               /* valid columns in this half (may be <= 0) */
            const float *s = B + (j0 + jr + h) * ldb + p0;
            for (int64_t k = 0; k < kc; k += 16) {
                int64_t kk = kc - k < 16 ? kc - k : 16;
                __mmask16 km = lanes_mask(kk);
                __m512 r[16];
                for (int j = 0; j < 16; j++)
                    r[j] =
                        j < nh ? _mm512_maskz_loadu_ps(km, s + j * ldb + k) : _mm512_setzero_ps();
                transpose16(r);
                for (int q = 0; q < kk; q++) _mm512_storeu_ps(d + (k + q) * NR + h, r[q]);
            }
        }
    }
}

/* C = A B^T for few rows of A (see pn_sgemm_dot_fn): a tile of 4 rows of A by 6
 * rows of B, 24 accumulators of 16 lanes, lane l summing the products at
 * k = l mod 16; per 16 k, 10 loads for 24 FMAs. A tile past the last row
 * of A or B rereads that row and stores nothing from it. */
#define DOT_MT 4
#define DOT_NT 6
#define D512_DECL(i) \
    __m512 d##i##0 = z, d##i##1 = z, d##i##2 = z, d##i##3 = z, d##i##4 = z, d##i##5 = z
#define D512_ROW(i, LOAD) \
    { \
        __m512 a = LOAD(ar[i] + k); \
        d##i##0 = _mm512_fmadd_ps(a, b0, d##i##0), d##i##1 = _mm512_fmadd_ps(a, b1, d##i##1); \
        d##i##2 = _mm512_fmadd_ps(a, b2, d##i##2), d##i##3 = _mm512_fmadd_ps(a, b3, d##i##3); \
        d##i##4 = _mm512_fmadd_ps(a, b4, d##i##4), d##i##5 = _mm512_fmadd_ps(a, b5, d##i##5); \
    }
#define D512_STEP(LOAD) \
    { \
        __m512 b0 = LOAD(br[0] + k), b1 = LOAD(br[1] + k), b2 = LOAD(br[2] + k); \
        __m512 b3 = LOAD(br[3] + k), b4 = LOAD(br[4] + k), b5 = LOAD(br[5] + k); \
        D512_ROW(0, LOAD) D512_ROW(1, LOAD) D512_ROW(2, LOAD) D512_ROW(3, LOAD) \
    }
#define D512_FULL(p)   _mm512_loadu_ps(p)
#define D512_MASKED(p) _mm512_maskz_loadu_ps(km, p)
#define D512_OUT(j) \
    dot_put(c + j, ldc, nt > j ? mt : 0, hsum4_512(d0##j, d1##j, d2##j, d3##j), alpha, beta);

/* The lane sums of v0 .. v3, as the four floats of one vector. Each is summed by
 * the same tree, ((l0 + l2) + (l1 + l3)) within each 128-bit quarter, then the
 * quarters as (Q0 + Q2) + (Q1 + Q3): an element's bits do not depend on where in
 * the tile it sits (the threads split the columns anywhere). 11 instructions for
 * four sums, where one _mm512_reduce_add_ps each took about 9. */
static ALWAYS_INLINE T512 __m128 hsum4_512(__m512 v0, __m512 v1, __m512 v2, __m512 v3) {
    __m512 t0 = _mm512_add_ps(_mm512_unpacklo_ps(v0, v1), _mm512_unpackhi_ps(v0, v1));
    __m512 t1 = _mm512_add_ps(_mm512_unpacklo_ps(v2, v3), _mm512_unpackhi_ps(v2, v3));
    __m512 u = _mm512_add_ps(_mm512_shuffle_ps(t0, t1, _MM_SHUFFLE(1, 0, 1, 0)),
                             _mm512_shuffle_ps(t0, t1, _MM_SHUFFLE(3, 2, 3, 2)));
    __m256 hi = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(u), 1));
    __m256 h = _mm256_add_ps(_mm512_castps512_ps256(u), hi);
    return _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
}

/* Column c[0], c[ldc], ... (mt rows) = alpha * s + beta * c. */
static ALWAYS_INLINE void dot_put(float *c, int64_t ldc, int mt, __m128 s, float alpha,
                                  float beta) {
    float v[4];
    memcpy(v, &s, sizeof v);
    for (int i = 0; i < mt; i++) {
        float r = alpha * v[i];
        c[i * ldc] = beta != 0.0f ? __builtin_fmaf(beta, c[i * ldc], r) : r;
    }
}

// A rows ar[0..4), B rows br[0..6), each K floats -> C tile (mt, nt) at c
static T512 void dot_tile_avx512(const float *const *ar, const float *const *br, int64_t K, int mt,
                                 int nt, float alpha, float beta, float *c, int64_t ldc) {
    const __m512 z = _mm512_setzero_ps();
    D512_DECL(0);
    D512_DECL(1);
    D512_DECL(2);
    D512_DECL(3);
    int64_t k = 0; /* k in steps of 16, then one masked step for the rest */
    for (; k + 16 <= K; k += 16) D512_STEP(D512_FULL)
    if (k < K) {
        const __mmask16 km = lanes_mask(K - k);
        D512_STEP(D512_MASKED)
    }
    D512_OUT(0) D512_OUT(1) D512_OUT(2) D512_OUT(3) D512_OUT(4) D512_OUT(5)
}

static T512 void dot_nt_avx512(int64_t M, int64_t n0, int64_t n1, int64_t K, float alpha,
                               const float *A, int64_t lda, const float *B, int64_t ldb, float beta,
                               float *C, int64_t ldc) {
    for (int64_t j = n0; j < n1; j += DOT_NT) {
        int nt = (int)(n1 - j < DOT_NT ? n1 - j : DOT_NT);
        const float *br[DOT_NT];
        for (int q = 0; q < DOT_NT; q++) br[q] = B + (j + (q < nt ? q : nt - 1)) * ldb;
        for (int64_t i = 0; i < M; i += DOT_MT) {
            int mt = (int)(M - i < DOT_MT ? M - i : DOT_MT);
            const float *ar[DOT_MT];
            for (int q = 0; q < DOT_MT; q++) ar[q] = A + (i + (q < mt ? q : mt - 1)) * lda;
            dot_tile_avx512(ar, br, K, mt, nt, alpha, beta, C + i * ldc + j, ldc);
        }
    }
}

const pn_sgemm_kernel_desc pn_sgemm_avx512_desc = {
    "avx512",
    MR512,
    NR512,
    KC512,
    MC512,
    NC512,
    sgemm_ukernel_avx512,
    pack_a_avx512,
    pack_b_avx512,
    dot_nt_avx512,
    sgemm_ukernel_a_avx512,
    sgemm_ukernel_at_avx512,
};

/* ------------------------------------------------------------------------ */
/* AVX2 + FMA: 6 x 16                                                        */

#define T256  __attribute__((target("avx2,fma")))
#define MR256 6
#define NR256 16

#define Y256_DECL(i) __m256 c##i##a = _mm256_setzero_ps(), c##i##b = _mm256_setzero_ps();
#define Y256_FMA(i) \
    if (ROWS > i) { \
        __m256 ai = _mm256_broadcast_ss(a + i * ars); \
        c##i##a = _mm256_fmadd_ps(ai, b0, c##i##a); \
        c##i##b = _mm256_fmadd_ps(ai, b1, c##i##b); \
    }
#define Y256_STORE(i) \
    if (ROWS > i) { \
        float *ci = c + i * ldc; \
        __m256 r0 = _mm256_mul_ps(va, c##i##a), r1 = _mm256_mul_ps(va, c##i##b); \
        if (beta != 0.0f) { \
            r0 = _mm256_fmadd_ps(vb, _mm256_maskload_ps(ci, m0), r0); \
            r1 = _mm256_fmadd_ps(vb, _mm256_maskload_ps(ci + 8, m1), r1); \
        } \
        if (nr == NR256) { \
            _mm256_storeu_ps(ci, r0); \
            _mm256_storeu_ps(ci + 8, r1); \
        } else { \
            _mm256_maskstore_ps(ci, m0, r0); \
            _mm256_maskstore_ps(ci + 8, m1, r1); \
        } \
    }

#define Y256_STEP \
    { \
        __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8); \
        ROWS6(Y256_FMA) \
        a += aks; \
        b += ldb; \
    }

/* A's element (i, k) is a[i * ars + k * aks]: a packed sliver (ars 1, aks MR256)
 * or A itself, row-major (ars lda, aks 1; see pn_sgemm_ukernel_a_fn). */
static ALWAYS_INLINE T256 void k256_body(const int ROWS, int64_t kc, const float *a, int64_t ars,
                                         int64_t aks, const float *b, int64_t ldb, float *c,
                                         int64_t ldc, float alpha, float beta, int nr) {
    ROWS6(Y256_DECL)
    /* Lane j of the mask is all-ones when column j < nr (maskload reads only those). */
    const __m256i lane0 = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i lane1 = _mm256_setr_epi32(8, 9, 10, 11, 12, 13, 14, 15);
    __m256i vnr = _mm256_set1_epi32(nr);
    __m256i m0 = _mm256_cmpgt_epi32(vnr, lane0), m1 = _mm256_cmpgt_epi32(vnr, lane1);

    if (nr == NR256) {
        /* Not unrolled, unlike k512_body: with 16 ymm registers (12 accumulators, two
         * B vectors, one A broadcast) GCC 12 spills an accumulator of an unrolled loop
         * to the stack; this loop ran 94 GFLOP/s at kc = 128 on a Zen 3 core unrolled
         * by four and 101 as it is (its peak: 103). */
        for (int64_t k = 0; k < kc; k++) Y256_STEP
    } else {
        for (int64_t k = 0; k < kc; k++) {
            __m256 b0 = _mm256_maskload_ps(b, m0), b1 = _mm256_maskload_ps(b + 8, m1);
            ROWS6(Y256_FMA)
            a += aks;
            b += ldb;
        }
    }

    __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
    ROWS6(Y256_STORE)
}

/* k256_<rows> reads a packed A sliver, k256a_<rows> A in place. */
#define K256(NAME, R) \
    static T256 void NAME(int64_t kc, const float *a, const float *b, int64_t ldb, float *c, \
                          int64_t ldc, float alpha, float beta, int nr) { \
        k256_body(R, kc, a, 1, MR256, b, ldb, c, ldc, alpha, beta, nr); \
    } \
    static T256 void NAME##a(int64_t kc, const float *a, int64_t lda, const float *b, int64_t ldb, \
                             float *c, int64_t ldc, float alpha, float beta, int nr) { \
        k256_body(R, kc, a, lda, 1, b, ldb, c, ldc, alpha, beta, nr); \
    }
K256(k256_1, 1)
K256(k256_2, 2)
K256(k256_3, 3)
K256(k256_4, 4)
K256(k256_5, 5)
K256(k256_6, 6)

static void sgemm_ukernel_avx2(int64_t kc, const float *a, const float *b, int64_t ldb, float *c,
                               int64_t ldc, float alpha, float beta, int mr, int nr) {
    static const tile_fn tab[MR256 + 1] = {NULL, k256_1, k256_2, k256_3, k256_4, k256_5, k256_6};
    tab[mr](kc, a, b, ldb, c, ldc, alpha, beta, nr);
}

static void sgemm_ukernel_a_avx2(int64_t kc, const float *a, int64_t lda, const float *b,
                                 int64_t ldb, float *c, int64_t ldc, float alpha, float beta,
                                 int mr, int nr) {
    static const tile_a_fn tab[MR256 + 1] = {NULL,    k256_1a, k256_2a, k256_3a,
                                             k256_4a, k256_5a, k256_6a};
    tab[mr](kc, a, lda, b, ldb, c, ldc, alpha, beta, nr);
}

/* Transpose the 8 x 8 block in r[0..7] in place (row i of the result is
 * column i of the input): pairs of rows interleaved, then pairs of pairs,
 * then the 128-bit halves swapped across. */
static ALWAYS_INLINE T256 void transpose8(__m256 r[8]) {
    __m256 t[8], u[8];
    for (int i = 0; i < 8; i += 2) {
        t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);     /* a0 b0 a1 b1 | a4 b4 a5 b5 */
        t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]); /* a2 b2 a3 b3 | a6 b6 a7 b7 */
    }
    for (int i = 0; i < 8; i += 4)
        for (int h = 0; h < 2; h++) {
            u[i + h] = _mm256_shuffle_ps(t[i + h], t[i + h + 2], _MM_SHUFFLE(1, 0, 1, 0));
            u[i + h + 2] = _mm256_shuffle_ps(t[i + h], t[i + h + 2], _MM_SHUFFLE(3, 2, 3, 2));
        }
    /* u[0] = col 0|4 of rows 0-3, u[2] = col 1|5, u[1] = col 2|6, u[3] = col 3|7 */
    static const int col[4] = {0, 2, 1, 3};
    for (int c = 0; c < 4; c++) {
        r[c] = _mm256_permute2f128_ps(u[col[c]], u[col[c] + 4], 0x20);
        r[c + 4] = _mm256_permute2f128_ps(u[col[c]], u[col[c] + 4], 0x31);
    }
}

/* Lanes 0 .. n-1 set (n clamped to 0 .. 8): a maskload/maskstore mask. */
static ALWAYS_INLINE T256 __m256i lanes8(int64_t n) {
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(n < 0 ? 0 : n > 8 ? 8 : n)), lane);
}

/* r[0..7] = rows 0..7 of an 8 x 8 block at src (row stride ld): rows >= rows
 * are zero, only the first cols columns are read. */
static ALWAYS_INLINE T256 void load8x8(const float *src, int64_t ld, int rows, int cols,
                                       __m256 r[8]) {
    __m256i m = lanes8(cols);
    for (int i = 0; i < 8; i++)
        r[i] = i >= rows   ? _mm256_setzero_ps()
               : cols == 8 ? _mm256_loadu_ps(src + i * ld)
                           : _mm256_maskload_ps(src + i * ld, m);
}

/* Store the first w (<= 8) floats of each of v[0..n-1] at d, d + w, d + 2w, ...:
 * 8-float stores in increasing order, each one's extra floats overwritten by
 * the next; the last goes through a scratch row so nothing past d + n w is written. */
static ALWAYS_INLINE T256 void store_rows(float *d, int w, const __m256 *v, int n) {
    for (int q = 0; q < n - 1; q++) _mm256_storeu_ps(d + q * w, v[q]);
    float last[8];
    _mm256_storeu_ps(last, v[n - 1]);
    memcpy(d + (n - 1) * w, last, (size_t)w * sizeof(float));
}

/* pack_a_avx2 with transA (MR >= 4): the MR values sliver s needs at step k are
 * contiguous, in A's row p0 + k at column i0 + s MR. The block is filled one k at
 * a time, all its slivers together, so A's rows are read in order, each once, and
 * the row PF_AHEAD steps on is asked for meanwhile. Each k's MR values go out as
 * one 8-float store whose extra lanes the next k overwrites; the last k stores only
 * MR lanes. Reads stay inside the block's mc columns (masked loads, which also
 * make the last sliver's rows past mc zero). */
#define PF_AHEAD 8
static T256 void pack_a_trans_avx2(const float *A, int64_t lda, int64_t i0, int64_t p0, int64_t mc,
                                   int64_t kc, int MR, float *dst) {
    const int64_t ns = (mc + MR - 1) / MR;
    const __m256i mr_lanes = lanes8(MR);
    for (int64_t k = 0; k < kc; k++) {
        const float *src = A + (p0 + k) * lda + i0;
        if (k + PF_AHEAD < kc) {
            const char *pf = (const char *)(src + PF_AHEAD * lda);
            for (int64_t b = 0; b < mc * 4 + 63; b += 64) _mm_prefetch(pf + b, _MM_HINT_T0);
        }
        float *d = dst + k * MR;
        for (int64_t s = 0; s < ns; s++, src += MR, d += MR * kc) {
            int64_t left = mc - s * MR; /* columns of the block from this sliver on */
            __m256 v = left >= 8 ? _mm256_loadu_ps(src) : _mm256_maskload_ps(src, lanes8(left));
            if (k + 1 < kc)
                _mm256_storeu_ps(d, v);
            else
                _mm256_maskstore_ps(d, mr_lanes, v);
        }
    }
}

/* Same layout as the portable pack_a in gemm.c (MR <= 8). Without transA the
 * portable version scatters each row with a stride of MR floats, one float at
 * a time; here 8 k's of the sliver's rows are loaded, transposed, and each k's
 * MR values stored at once. With transA: pack_a_trans_avx2. */
static T256 void pack_a_avx2(int transA, const float *A, int64_t lda, int64_t i0, int64_t p0,
                             int64_t mc, int64_t kc, int MR, float *dst) {
    if (MR > 8 || (transA && MR < 4)) {
        pn_sgemm_pack_a(transA, A, lda, i0, p0, mc, kc, MR, dst);
        return;
    }
    if (transA) {
        pack_a_trans_avx2(A, lda, i0, p0, mc, kc, MR, dst);
        return;
    }
    for (int64_t ir = 0; ir < mc; ir += MR) {
        int mr = (int)(mc - ir < MR ? mc - ir : MR);
        float *d = dst + ir * kc;
        const float *src = A + (i0 + ir) * lda + p0;
        /* the next sliver's rows, a line of each per 16 k's: asked for one sliver ahead */
        int nmr = (int)(mc - ir - MR < MR ? mc - ir - MR : MR);
        for (int64_t k = 0; k < kc; k += 8) {
            int kk = (int)(kc - k < 8 ? kc - k : 8);
            if ((k & 15) == 0)
                for (int q = 0; q < nmr; q++)
                    _mm_prefetch((const char *)(src + (MR + q) * lda + k), _MM_HINT_T0);
            __m256 r[8];
            load8x8(src + k, lda, mr, kk, r);
            transpose8(r);
            store_rows(d + k * MR, MR, r, kk);
        }
    }
}

/* pack_b_avx2 without transB, as pack_b_rows_avx512: the block one k row at a
 * time, all slivers together, so B's rows are read in order, left to right. */
static T256 void pack_b_rows_avx2(const float *B, int64_t ldb, int64_t p0, int64_t j0, int64_t nc,
                                  int64_t kc, int NR, float *dst) {
    const int64_t ns = (nc + NR - 1) / NR;
    for (int64_t k = 0; k < kc; k++) {
        const float *src = B + (p0 + k) * ldb + j0;
        float *d = dst + k * NR;
        for (int64_t s = 0; s < ns; s++, src += NR, d += NR * kc)
            for (int h = 0; h < NR; h += 8) {
                int64_t left = nc - s * NR - h; /* columns of the block from here on */
                _mm256_storeu_ps(d + h, left >= 8 ? _mm256_loadu_ps(src + h)
                                                  : _mm256_maskload_ps(src + h, lanes8(left)));
            }
    }
}

/* Same layout as the portable pack_b in gemm.c (NR a multiple of 8): the
 * portable one copies B's rows with a memcpy call per 64 bytes, or (transB)
 * gathers one float at a time. Without transB, pack_b_rows_avx2. */
static T256 void pack_b_avx2(int transB, const float *B, int64_t ldb, int64_t p0, int64_t j0,
                             int64_t nc, int64_t kc, int NR, float *dst) {
    if (!transB) {
        pack_b_rows_avx2(B, ldb, p0, j0, nc, kc, NR, dst);
        return;
    }
    for (int64_t jr = 0; jr < nc; jr += NR) {
        int nr = (int)(nc - jr < NR ? nc - jr : NR);
        float *d = dst + jr * kc;
        for (int h = 0; h < NR; h += 8) { /* 8-column part of the sliver */
            int nh = nr - h;              /* valid columns in it (may be <= 0) */
            /* B stored N x K: rows of B are columns of op(B); transpose 8 x 8 blocks */
            const float *s = B + (j0 + jr + h) * ldb + p0;
            for (int64_t k = 0; k < kc; k += 8) {
                int kk = (int)(kc - k < 8 ? kc - k : 8);
                __m256 r[8];
                load8x8(s + k, ldb, nh < 0 ? 0 : nh > 8 ? 8 : nh, kk, r);
                transpose8(r);
                for (int q = 0; q < kk; q++) _mm256_storeu_ps(d + (k + q) * NR + h, r[q]);
            }
        }
    }
}

/* C = A B^T for few rows of A, as dot_nt_avx512 with 8-lane vectors: a tile of 4
 * rows of A by 3 rows of B, 12 accumulators (16 registers with the operands). */
#define DOT2_MT 4
#define DOT2_NT 3
#define D256_ROW(i, LOAD) \
    { \
        __m256 a = LOAD(ar[i] + k); \
        d##i##0 = _mm256_fmadd_ps(a, b0, d##i##0), d##i##1 = _mm256_fmadd_ps(a, b1, d##i##1); \
        d##i##2 = _mm256_fmadd_ps(a, b2, d##i##2); \
    }
#define D256_STEP(LOAD) \
    { \
        __m256 b0 = LOAD(br[0] + k), b1 = LOAD(br[1] + k), b2 = LOAD(br[2] + k); \
        D256_ROW(0, LOAD) D256_ROW(1, LOAD) D256_ROW(2, LOAD) D256_ROW(3, LOAD) \
    }
#define D256_FULL(p)   _mm256_loadu_ps(p)
#define D256_MASKED(p) _mm256_maskload_ps(p, km)
#define D256_OUT(j) \
    dot_put(c + j, ldc, nt > j ? mt : 0, hsum4_256(d0##j, d1##j, d2##j, d3##j), alpha, beta);

/* The lane sums of v0 .. v3 as one vector, each by the same tree (see hsum4_512):
 * ((l0 + l2) + (l1 + l3)) within each half, then the halves added. */
static ALWAYS_INLINE T256 __m128 hsum4_256(__m256 v0, __m256 v1, __m256 v2, __m256 v3) {
    __m256 t0 = _mm256_add_ps(_mm256_unpacklo_ps(v0, v1), _mm256_unpackhi_ps(v0, v1));
    __m256 t1 = _mm256_add_ps(_mm256_unpacklo_ps(v2, v3), _mm256_unpackhi_ps(v2, v3));
    __m256 u = _mm256_add_ps(_mm256_shuffle_ps(t0, t1, _MM_SHUFFLE(1, 0, 1, 0)),
                             _mm256_shuffle_ps(t0, t1, _MM_SHUFFLE(3, 2, 3, 2)));
    return _mm_add_ps(_mm256_castps256_ps128(u), _mm256_extractf128_ps(u, 1));
}

// A rows ar[0..4), B rows br[0..3), each K floats -> C tile (mt, nt) at c
static T256 void dot_tile_avx2(const float *const *ar, const float *const *br, int64_t K, int mt,
                               int nt, float alpha, float beta, float *c, int64_t ldc) {
    const __m256 z = _mm256_setzero_ps();
    __m256 d00 = z, d01 = z, d02 = z, d10 = z, d11 = z, d12 = z;
    __m256 d20 = z, d21 = z, d22 = z, d30 = z, d31 = z, d32 = z;
    int64_t k = 0;
    for (; k + 8 <= K; k += 8) D256_STEP(D256_FULL)
    if (k < K) {
        const __m256i km = lanes8(K - k);
        D256_STEP(D256_MASKED)
    }
    D256_OUT(0) D256_OUT(1) D256_OUT(2)
}

static T256 void dot_nt_avx2(int64_t M, int64_t n0, int64_t n1, int64_t K, float alpha,
                             const float *A, int64_t lda, const float *B, int64_t ldb, float beta,
                             float *C, int64_t ldc) {
    for (int64_t j = n0; j < n1; j += DOT2_NT) {
        int nt = (int)(n1 - j < DOT2_NT ? n1 - j : DOT2_NT);
        const float *br[DOT2_NT];
        for (int q = 0; q < DOT2_NT; q++) br[q] = B + (j + (q < nt ? q : nt - 1)) * ldb;
        for (int64_t i = 0; i < M; i += DOT2_MT) {
            int mt = (int)(M - i < DOT2_MT ? M - i : DOT2_MT);
            const float *ar[DOT2_MT];
            for (int q = 0; q < DOT2_MT; q++) ar[q] = A + (i + (q < mt ? q : mt - 1)) * lda;
            dot_tile_avx2(ar, br, K, mt, nt, alpha, beta, C + i * ldc + j, ldc);
        }
    }
}

/* (clang-format would put each field on a line of its own) */
// clang-format off
const pn_sgemm_kernel_desc pn_sgemm_avx2_desc = {
    "avx2", MR256, NR256, 256, 96, 1024, sgemm_ukernel_avx2, pack_a_avx2, pack_b_avx2, dot_nt_avx2,
    sgemm_ukernel_a_avx2, NULL, /* A in place; A^T packed */
};
// clang-format on

#else
/* ISO C forbids an empty translation unit. */
typedef int pn_gemm_kernels_x86_unused;
#endif
