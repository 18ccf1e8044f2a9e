/* softmax_short.c - softmax and log-softmax of short contiguous float32 rows
 * (a classifier's 10 logits, a 32 x 32 matrix) in AVX-512 or AVX2 registers.
 *
 * reduce.c's row kernel is written in C for rows of any length: a short row is
 * one long chain of latency there (the max's call and fold, the exp pass, the
 * sum's fold, the log, the output pass), 1.6-2.2x PyTorch's time for rows of
 * 16; its short-row path (the one other CPUs take) copies 16 rows side by side
 * to run them as columns, which costs two transposes and sums in another order.
 * Here a row of 9 to 48 floats (reduce.c sends shorter ones to the columns) is
 * loaded once into 1 to 3 registers (AVX2: 2 to 6) and stays there to the one
 * store, and 8 rows (4 for calls of fewer than 8, and AVX2 rows of more than 32)
 * go through each step together: the core overlaps their chains, and the folds
 * of the maxima and the sums take the rows side by side.
 *
 * The arithmetic is the row kernel's (reduce.c, SOFTMAX_CONTIG), operation for
 * operation, so a row gets the same bits from either:
 *   m   = max x                     (exact: any order gives the same float)
 *   e_j = exp(x_j - m) * 2^64       pn_exp_shift_f, lane by lane (exp_shift16)
 *   s   = sum e_j                   16 partial sums in double, element j in
 *                                   lane j mod 16, lanes past the row's end
 *                                   adding exp(-inf) = 0, then folded 16 -> 8
 *                                   -> 4 -> 2 -> 1 (reduce.c's fold16)
 *   softmax:     y_j = e_j (ih + il), ih + il = 1 / s (SM_SCALE)
 *   log-softmax: y_j = (x_j - m) - (float)log1p(s 2^-64 - 1)
 * and where one value dominates a log-softmax row (SM_NEEDS_SPLIT), log s by the
 * row kernel's second, split sum (split_logs). The rows with a NaN or a max that
 * is not finite are left to the caller, which runs the row kernel on them (its
 * NaN rules and first-NaN payload). The max's order does not matter, a zero's
 * sign included: x - m is then x, or +-0 where x is a zero, and exp(+-0) = 1;
 * a log-softmax output (x - m) - b has b >= 2^-22 > 0 (log s of a row not
 * split) or a single element equal to m (split with b = 0), so the zero's sign
 * cannot reach it.
 * The AVX2 kernel does the same on 8-lane registers (rows8); other CPUs (and
 * strided rows) take reduce.c's column path, whose sums go in another order. */
#include "reduce.h"
#include "vecmath.h"
#include <math.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include "cpuinfo.h"
#include <immintrin.h>

#define T512          __attribute__((target("avx512f,avx2,fma")))
#define T256          __attribute__((target("avx2,fma")))
#define ALWAYS_INLINE inline __attribute__((always_inline))

/* ------------------------------------------------- shared: the rows' sums ---- */

/* vecmath.h's pn_log1p_d on 4 lanes, for y in [0, 47]: the same operations in the
 * same order (pn_log_d's branches for zero, negative, subnormal, infinite and NaN
 * arguments never taken: u = 1 + y is in [1, 48]; y = 0 gives +0 as there). */
static ALWAYS_INLINE T256 __m256d log1p4(__m256d y) {
    const __m256d one = _mm256_set1_pd(1.0);
    __m256d u = _mm256_add_pd(one, y);
    __m256d d = _mm256_div_pd(_mm256_sub_pd(y, _mm256_sub_pd(u, one)), u);
    // pn_log_d(u): u = 2^k m, log m = 2 atanh(f / (2 + f)), f = m - 1
    __m256i b = _mm256_castpd_si256(u);
    __m256i e = _mm256_srli_epi64(
        _mm256_add_epi64(b, _mm256_set1_epi64x(0x3ff0000000000000LL - 0x3fe6a09e667f3bcdLL)), 52);
    __m256d m = _mm256_castsi256_pd(_mm256_add_epi64(_mm256_sub_epi64(b, _mm256_slli_epi64(e, 52)),
                                                     _mm256_set1_epi64x(0x3ff0000000000000LL)));
    __m256d k = _mm256_sub_pd(
        _mm256_castsi256_pd(_mm256_or_si256(_mm256_set1_epi64x(0x4330000000000000LL), e)),
        _mm256_set1_pd(0x1p52 + 1023));
    __m256d f = _mm256_sub_pd(m, one), z;
    __m256d sv = _mm256_div_pd(f, _mm256_add_pd(_mm256_set1_pd(2.0), f));
    z = _mm256_mul_pd(sv, sv);
    __m256d p = _mm256_set1_pd(1.0 / 19);
    const double c[8] = {1.0 / 17, 1.0 / 15, 1.0 / 13, 1.0 / 11,
                         1.0 / 9,  1.0 / 7,  1.0 / 5,  1.0 / 3};
    for (int i = 0; i < 8; i++) p = _mm256_fmadd_pd(p, z, _mm256_set1_pd(c[i]));
    __m256d s2 = _mm256_mul_pd(_mm256_set1_pd(2.0), sv);
    __m256d t = _mm256_add_pd(_mm256_add_pd(_mm256_mul_pd(_mm256_mul_pd(s2, z), p), s2),
                              _mm256_mul_pd(k, _mm256_set1_pd(1.9082149292705877e-10)));
    __m256d r = _mm256_add_pd(_mm256_mul_pd(k, _mm256_set1_pd(0.6931471803691238)), t);
    return _mm256_add_pd(r, d);
}

/* Four rows' sums from their 16 double partial sums already folded to 4 (h[r]: the
 * lanes k + (k + 8) + (k + 4) + (k + 12), reduce.c's fold16 down to 4), in fold16's
 * order, row r's sum in lane r: rows 0 and 2, 1 and 3 paired as (a0+a2 a1+a3 c0+c2
 * c1+c3), then the last pair of each row (vhaddpd). */
static ALWAYS_INLINE T256 __m256d fold4x4(const __m256d *h) {
    __m256d p = _mm256_add_pd(_mm256_permute2f128_pd(h[0], h[2], 0x20),
                              _mm256_permute2f128_pd(h[0], h[2], 0x31));
    __m256d q = _mm256_add_pd(_mm256_permute2f128_pd(h[1], h[3], 0x20),
                              _mm256_permute2f128_pd(h[1], h[3], 0x31));
    return _mm256_hadd_pd(p, q); /* (p0+p1 q0+q1 p2+p3 q2+q3): rows 0 1 2 3 */
}

/* R rows' sums (h: as fold4x4's) -> the output's two constants per row: softmax
 * a + b = 1 / s (SM_SCALE's pair), log-softmax b = log(s 2^-64) rounded to float
 * (a is the max, the caller's). Log-softmax rows whose log needs reduce.c's split
 * sum (SM_NEEDS_SPLIT: one value dominates the row) are set in *split instead. */
static ALWAYS_INLINE T256 void finish_rows(const __m256d *h, int64_t n, const int LOG, const int R,
                                           float *a, float *b, unsigned *split) {
    for (int g = 0; g < R; g += 4) {
        __m256d sum = fold4x4(h + g);
        if (LOG) {
            __m256d u =
                _mm256_sub_pd(_mm256_mul_pd(sum, _mm256_set1_pd(0x1p-64)), _mm256_set1_pd(1.0));
            __m256d sp = _mm256_cmp_pd(u, _mm256_set1_pd((double)n * 0x1p-22), _CMP_LT_OQ);
            *split |= (unsigned)_mm256_movemask_pd(sp) << g;
            /* (the max only keeps the split rows, or any NaN, away from log1p4's domain) */
            _mm_storeu_ps(b + g,
                          _mm256_cvtpd_ps(log1p4(_mm256_max_pd(u, _mm256_set1_pd(0x1p-60)))));
        } else {
            __m256d t = _mm256_div_pd(_mm256_set1_pd(1.0), sum);
            __m128 th = _mm256_cvtpd_ps(t);
            _mm_storeu_ps(a + g, th);
            _mm_storeu_ps(b + g, _mm256_cvtpd_ps(_mm256_sub_pd(t, _mm256_cvtps_pd(th))));
        }
    }
}

/* log(s 2^-64) rounded to float, into b[r], for the rows set in `split` (one value
 * dominates their sum), as reduce.c's SM_SPLIT_ROW: in the sum's 16 lanes, the
 * terms equal to 2^64 (x_j = m) counted apart and the others summed, both folded
 * as fold16 (ones[r], rest[r]: folded down to 4 lanes, as finish_rows's h), then
 * log s = log1p((ones - 1) + rest 2^-64) (log1p4 is pn_log1p_d there too: the
 * argument is in [0, 47]). */
static ALWAYS_INLINE T256 void split_logs(const __m256d *ones, const __m256d *rest, const int R,
                                          unsigned split, float *b) {
    float l[8];
    for (int g = 0; g < R; g += 4) {
        __m256d y = _mm256_add_pd(_mm256_sub_pd(fold4x4(ones + g), _mm256_set1_pd(1.0)),
                                  _mm256_mul_pd(fold4x4(rest + g), _mm256_set1_pd(0x1p-64)));
        _mm_storeu_ps(l + g, _mm256_cvtpd_ps(log1p4(y)));
    }
    for (; split; split &= split - 1) b[__builtin_ctz(split)] = l[__builtin_ctz(split)];
}

/* --------------------------------------------------------------- AVX-512 ---- */

/* pn_exp_shift_f (reduce.c) on 16 lanes: exp(x - m) * 2^64 for x <= m, the same
 * operations in the same order (see there for the method and its error). */
static ALWAYS_INLINE T512 __m512 exp_shift16(__m512 x, __m512 m) {
    const __m512 magic = _mm512_set1_ps(12582912.0f);
    __m512 yh = _mm512_sub_ps(x, m), bb = _mm512_sub_ps(yh, x);
    __m512 yl =
        _mm512_add_ps(_mm512_sub_ps(x, _mm512_sub_ps(yh, bb)),
                      _mm512_sub_ps(_mm512_castsi512_ps(_mm512_xor_si512(
                                        _mm512_castps_si512(m), _mm512_set1_epi32(INT32_MIN))),
                                    bb));
    __mmask16 under = _mm512_cmp_ps_mask(yh, _mm512_set1_ps(-104.0f), _CMP_LT_OQ);
    yh = _mm512_mask_blend_ps(under, yh, _mm512_set1_ps(-104.0f));
    yl = _mm512_mask_blend_ps(under, yl, _mm512_setzero_ps());
    __m512 t = _mm512_fmadd_ps(yh, _mm512_set1_ps(1.44269504088896341f), magic);
    __m512 nf = _mm512_sub_ps(t, magic);
    __m512i n = _mm512_sub_epi32(_mm512_castps_si512(t), _mm512_castps_si512(magic));
    __m512 r = _mm512_add_ps(_mm512_fnmadd_ps(nf, _mm512_set1_ps(0.693359375f), yh),
                             _mm512_fnmadd_ps(nf, _mm512_set1_ps(-2.12194440e-4f), yl));
    __m512 p = _mm512_set1_ps(1.0f / 5040);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 720));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 120));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    __m512i e = _mm512_slli_epi32(_mm512_add_epi32(n, _mm512_set1_epi32(127 + 64)), 23);
    return _mm512_mul_ps(p, _mm512_maskz_mov_ps((__mmask16)~under, _mm512_castsi512_ps(e)));
}

/* The max of each of 8 rows' 16 lanes (no NaN), into m[0..7]: halves of rows paired
 * and compared (16 lanes of 2 rows -> 8 each -> 4 lanes of 4 rows -> 2 of 8 -> 1),
 * 16 shuffles and 8 max operations for the 8 rows instead of 4 and 4 per row (the
 * order of a max does not matter, see the file's head). */
static ALWAYS_INLINE T512 __m512 max8(const __m512 *vm) {
    __m512 t[4], u[2];
    for (int i = 0; i < 4; i++) /* blocks (a0 a1 b0 b1) vs (a2 a3 b2 b3): rows a, b in halves */
        t[i] = _mm512_max_ps(_mm512_shuffle_f32x4(vm[2 * i], vm[2 * i + 1], 0x44),
                             _mm512_shuffle_f32x4(vm[2 * i], vm[2 * i + 1], 0xee));
    for (int i = 0; i < 2; i++) /* -> one 128-bit block per row: rows 4i .. 4i + 3 */
        u[i] = _mm512_max_ps(_mm512_shuffle_f32x4(t[2 * i], t[2 * i + 1], 0x88),
                             _mm512_shuffle_f32x4(t[2 * i], t[2 * i + 1], 0xdd));
    /* block j: (u0 lanes 0 1, u1 lanes 0 1) vs (u0 lanes 2 3, u1 lanes 2 3) */
    __m512 w =
        _mm512_max_ps(_mm512_shuffle_ps(u[0], u[1], 0x44), _mm512_shuffle_ps(u[0], u[1], 0xee));
    w = _mm512_max_ps(w, _mm512_permute_ps(w, 0xb1)); /* block j: row j in lane 0, row 4 + j in 2 */
    const __m512i rows = _mm512_setr_epi32(0, 4, 8, 12, 2, 6, 10, 14, 0, 0, 0, 0, 0, 0, 0, 0);
    return _mm512_permutexvar_ps(rows, w); /* row r in lane r */
}

/* R rows (4 or 8) of n <= 16 NV floats, row r at x + r xs -> y + r ys (LOG:
 * log-softmax), each step over all R rows before the next: a row alone is a
 * chain of ~150 cycles (the max's and the sum's folds, exp, the division or
 * log), which R rows overlap. Returns the rows left to the caller, bit r for
 * row r (see the file's head). */
static ALWAYS_INLINE T512 unsigned rows16(const float *x, int64_t xs, float *y, int64_t ys,
                                          int64_t n, const int LOG, const int R, const int NV) {
    const __m512 ninf = _mm512_set1_ps(-INFINITY);
    __m512 v[8][3], e[8][3], vm[8];
    __m256d h[8];
    __mmask16 k[3];
    float m[16], a[8], b[8];
    unsigned left = 0;
    for (int q = 0; q < NV; q++) {
        int64_t in = n - 16 * q;
        k[q] = in >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << in) - 1);
    }
    // x (R, n) -> m (R,): lanes past the end read as -inf
    for (int r = 0; r < R; r++) {
        vm[r] = ninf;
        __mmask16 nan = 0;
        for (int q = 0; q < NV; q++) {
            v[r][q] = _mm512_mask_loadu_ps(ninf, k[q], x + r * xs + 16 * q);
            vm[r] = _mm512_max_ps(vm[r], v[r][q]);
            nan |= _mm512_cmp_ps_mask(v[r][q], v[r][q], _CMP_UNORD_Q);
        }
        left |= (unsigned)(nan != 0) << r;
    }
    for (int r = R; r < 8; r++) vm[r] = vm[r - 4];
    __m512 mv = max8(vm);
    _mm512_storeu_ps(m, mv);
    /* rows left: an infinite max (or NaN, which the loads flagged) */
    __m512 am = _mm512_castsi512_ps(
        _mm512_and_epi32(_mm512_castps_si512(mv), _mm512_set1_epi32(0x7fffffff)));
    __mmask16 odd = _mm512_cmp_ps_mask(am, _mm512_set1_ps(3.4028235e38f), _CMP_NLE_UQ);
    left |= (unsigned)odd & ((1u << R) - 1);
    // e = exp(x - m) 2^64 (R, 16 NV); partial sums in double, lanes 0..7 and 8..15
    for (int r = 0; r < R; r++) {
        __m512 vb = _mm512_set1_ps(m[r]);
        __m512d lo = _mm512_setzero_pd(), hi = lo;
        for (int q = 0; q < NV; q++) {
            e[r][q] = exp_shift16(v[r][q], vb);
            __m256 eh = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(e[r][q]), 1));
            __m512d dl = _mm512_cvtps_pd(_mm512_castps512_ps256(e[r][q])), dh = _mm512_cvtps_pd(eh);
            /* the row kernel's sums start at 0, and 0 + e = e (e >= +0, no NaN here) */
            lo = q ? _mm512_add_pd(lo, dl) : dl;
            hi = q ? _mm512_add_pd(hi, dh) : dh;
        }
        __m512d d = _mm512_add_pd(lo, hi); /* fold16: lane k + lane k + 8, then halves */
        h[r] = _mm256_add_pd(_mm512_castpd512_pd256(d), _mm512_extractf64x4_pd(d, 1));
    }
    unsigned split = 0;
    finish_rows(h, n, LOG, R, a, b, &split);
    if (LOG && (split &= ~left)) { /* a value dominates some rows: their logs again */
        __m256d ones[8], rest[8];
        const __m512 big = _mm512_set1_ps(0x1p64f);
        for (int r = 0; r < R; r++) {
            __m512d o[2] = {_mm512_setzero_pd(), _mm512_setzero_pd()}, t[2] = {o[0], o[1]};
            for (int q = 0; q < NV; q++) {
                __mmask16 is1 = _mm512_cmp_ps_mask(e[r][q], big, _CMP_EQ_OQ);
                __m512 eo = _mm512_maskz_mov_ps(is1, _mm512_set1_ps(1.0f));
                __m512 et = _mm512_maskz_mov_ps((__mmask16)~is1, e[r][q]); /* +0 for a one */
                for (int w = 0; w < 2; w++) {
                    __m512 src = w ? et : eo;
                    __m512d *acc = w ? t : o;
                    __m256 hh = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(src), 1));
                    acc[0] = _mm512_add_pd(acc[0], _mm512_cvtps_pd(_mm512_castps512_ps256(src)));
                    acc[1] = _mm512_add_pd(acc[1], _mm512_cvtps_pd(hh));
                }
            }
            __m512d od = _mm512_add_pd(o[0], o[1]), td = _mm512_add_pd(t[0], t[1]);
            ones[r] = _mm256_add_pd(_mm512_castpd512_pd256(od), _mm512_extractf64x4_pd(od, 1));
            rest[r] = _mm256_add_pd(_mm512_castpd512_pd256(td), _mm512_extractf64x4_pd(td, 1));
        }
        split_logs(ones, rest, R, split, b);
    }
    // y = e (a + b), or (x - m) - b
    for (int r = 0; r < R; r++) {
        if (left >> r & 1) continue;
        __m512 va = _mm512_set1_ps(LOG ? m[r] : a[r]), vb = _mm512_set1_ps(b[r]);
        for (int q = 0; q < NV; q++) {
            __m512 o = LOG ? _mm512_sub_ps(_mm512_sub_ps(v[r][q], va), vb)
                           : _mm512_fmadd_ps(e[r][q], va, _mm512_mul_ps(e[r][q], vb));
            _mm512_mask_storeu_ps(y + r * ys + 16 * q, k[q], o);
        }
    }
    return left;
}

/* Rows in blocks of R through ROWS (rows16, rows8); the last block starts R rows
 * before the end instead (rows computed twice give the same bits; x and y never
 * overlap). */
#define SS_BLOCKS(NAME, TARGET, ROWS) \
    static ALWAYS_INLINE TARGET uint64_t NAME(const float *x, int64_t xs, float *y, int64_t ys, \
                                              int64_t rows, int64_t n, const int LOG, const int R, \
                                              const int NV) { \
        uint64_t left = 0; \
        for (int64_t i = 0; i < rows; i += R) { \
            int64_t at = i + R <= rows ? i : rows - R; \
            left |= (uint64_t)ROWS(x + at * xs, xs, y + at * ys, ys, n, LOG, R, NV) << at; \
        } \
        return left; \
    }
SS_BLOCKS(blocks16, T512, rows16)

static T512 uint64_t softmax_short_f32_avx512(const float *x, int64_t xs, float *y, int64_t ys,
                                              int64_t rows, int64_t n, int log) {
    const int nv = n <= 16 ? 1 : n <= 32 ? 2 : 3, wide = rows >= 8; /* else 4 rows a block */
    switch (4 * (nv - 1) + 2 * wide + (log != 0)) {
    case 0:
        return blocks16(x, xs, y, ys, rows, n, 0, 4, 1);
    case 1:
        return blocks16(x, xs, y, ys, rows, n, 1, 4, 1);
    case 2:
        return blocks16(x, xs, y, ys, rows, n, 0, 8, 1);
    case 3:
        return blocks16(x, xs, y, ys, rows, n, 1, 8, 1);
    case 4:
        return blocks16(x, xs, y, ys, rows, n, 0, 4, 2);
    case 5:
        return blocks16(x, xs, y, ys, rows, n, 1, 4, 2);
    case 6:
        return blocks16(x, xs, y, ys, rows, n, 0, 8, 2);
    case 7:
        return blocks16(x, xs, y, ys, rows, n, 1, 8, 2);
    case 8:
        return blocks16(x, xs, y, ys, rows, n, 0, 4, 3);
    case 9:
        return blocks16(x, xs, y, ys, rows, n, 1, 4, 3);
    case 10:
        return blocks16(x, xs, y, ys, rows, n, 0, 8, 3);
    default:
        return blocks16(x, xs, y, ys, rows, n, 1, 8, 3);
    }
}

/* ------------------------------------------------------------------ AVX2 ---- */

/* exp_shift16 on 8 lanes: pn_exp_shift_f's operations, masks as lane selects. */
static ALWAYS_INLINE T256 __m256 exp_shift8(__m256 x, __m256 m) {
    const __m256 magic = _mm256_set1_ps(12582912.0f);
    __m256 yh = _mm256_sub_ps(x, m), bb = _mm256_sub_ps(yh, x);
    __m256 yl = _mm256_add_ps(_mm256_sub_ps(x, _mm256_sub_ps(yh, bb)),
                              _mm256_sub_ps(_mm256_xor_ps(m, _mm256_set1_ps(-0.0f)), bb));
    __m256 under = _mm256_cmp_ps(yh, _mm256_set1_ps(-104.0f), _CMP_LT_OQ);
    yh = _mm256_blendv_ps(yh, _mm256_set1_ps(-104.0f), under);
    yl = _mm256_andnot_ps(under, yl); /* +0 where under */
    __m256 t = _mm256_fmadd_ps(yh, _mm256_set1_ps(1.44269504088896341f), magic);
    __m256 nf = _mm256_sub_ps(t, magic);
    __m256i n = _mm256_sub_epi32(_mm256_castps_si256(t), _mm256_castps_si256(magic));
    __m256 r = _mm256_add_ps(_mm256_fnmadd_ps(nf, _mm256_set1_ps(0.693359375f), yh),
                             _mm256_fnmadd_ps(nf, _mm256_set1_ps(-2.12194440e-4f), yl));
    __m256 p = _mm256_set1_ps(1.0f / 5040);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 720));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    __m256i e = _mm256_slli_epi32(_mm256_add_epi32(n, _mm256_set1_epi32(127 + 64)), 23);
    return _mm256_mul_ps(p, _mm256_andnot_ps(under, _mm256_castsi256_ps(e)));
}

/* max8 for rows of 8 lanes: halves of rows paired and compared (8 lanes of 2 rows ->
 * 4 each -> 2 of 4 -> 1), row r's max in lane r. */
static ALWAYS_INLINE T256 __m256 max8x8(const __m256 *vm) {
    __m256 t[4], u[2];
    for (int i = 0; i < 4; i++) /* (a.lo, b.lo) vs (a.hi, b.hi) */
        t[i] = _mm256_max_ps(_mm256_permute2f128_ps(vm[2 * i], vm[2 * i + 1], 0x20),
                             _mm256_permute2f128_ps(vm[2 * i], vm[2 * i + 1], 0x31));
    for (int i = 0; i < 2; i++) { /* rows 4i .. 4i + 3 in lanes 0, 4, 2, 6 (and the next) */
        u[i] = _mm256_max_ps(_mm256_shuffle_ps(t[2 * i], t[2 * i + 1], 0x44),
                             _mm256_shuffle_ps(t[2 * i], t[2 * i + 1], 0xee));
        u[i] = _mm256_max_ps(u[i], _mm256_permute_ps(u[i], 0xb1));
    }
    __m256 w = _mm256_blend_ps(u[0], u[1], 0xaa); /* rows 0 4 2 6 1 5 3 7 */
    return _mm256_permutevar8x32_ps(w, _mm256_setr_epi32(0, 4, 2, 6, 1, 5, 3, 7));
}

/* rows16 on 8-lane registers: n <= 8 NV floats (NV <= 6), the 16 partial sums as
 * four registers of doubles (lanes 0-3, 4-7 of each 16-value step, 8-11, 12-15). */
static ALWAYS_INLINE T256 unsigned rows8(const float *x, int64_t xs, float *y, int64_t ys,
                                         int64_t n, const int LOG, const int R, const int NV) {
    const __m256 ninf = _mm256_set1_ps(-INFINITY);
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    __m256 v[8][6], e[8][6], vm[8];
    __m256i k[6];
    __m256d h[8];
    float m[8], a[8], b[8];
    unsigned left = 0;
    for (int q = 0; q < NV; q++) {
        int64_t in = n - 8 * q;
        k[q] = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(in < 8 ? in : 8)), lane);
    }
    for (int r = 0; r < R; r++) {
        vm[r] = ninf;
        int nan = 0;
        for (int q = 0; q < NV; q++) {
            __m256 l = _mm256_maskload_ps(x + r * xs + 8 * q, k[q]);
            v[r][q] = _mm256_blendv_ps(ninf, l, _mm256_castsi256_ps(k[q]));
            vm[r] = _mm256_max_ps(vm[r], v[r][q]);
            nan |= _mm256_movemask_ps(_mm256_cmp_ps(v[r][q], v[r][q], _CMP_UNORD_Q));
        }
        left |= (unsigned)(nan != 0) << r;
    }
    for (int r = R; r < 8; r++) vm[r] = vm[r - 4];
    __m256 mv = max8x8(vm);
    _mm256_storeu_ps(m, mv);
    __m256 am = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), mv);
    __m256 odd = _mm256_cmp_ps(am, _mm256_set1_ps(3.4028235e38f), _CMP_NLE_UQ);
    left |= (unsigned)_mm256_movemask_ps(odd) & ((1u << R) - 1);
    for (int r = 0; r < R; r++) {
        __m256 vb = _mm256_set1_ps(m[r]);
        __m256d p[4] = {_mm256_setzero_pd(), _mm256_setzero_pd(), _mm256_setzero_pd(),
                        _mm256_setzero_pd()};
        for (int q = 0; q < NV; q++) { /* vector q: lanes 8 (q % 2) .. of a 16-value step */
            e[r][q] = exp_shift8(v[r][q], vb);
            __m256d *pq = p + 2 * (q % 2);
            pq[0] = _mm256_add_pd(pq[0], _mm256_cvtps_pd(_mm256_castps256_ps128(e[r][q])));
            pq[1] = _mm256_add_pd(pq[1], _mm256_cvtps_pd(_mm256_extractf128_ps(e[r][q], 1)));
        }
        h[r] = _mm256_add_pd(_mm256_add_pd(p[0], p[2]), _mm256_add_pd(p[1], p[3]));
    }
    unsigned split = 0;
    finish_rows(h, n, LOG, R, a, b, &split);
    if (LOG && (split &= ~left)) {
        __m256d ones[8], rest[8];
        const __m256 big = _mm256_set1_ps(0x1p64f), onef = _mm256_set1_ps(1.0f);
        for (int r = 0; r < R; r++) {
            __m256d o[4], t[4];
            for (int i = 0; i < 4; i++) o[i] = t[i] = _mm256_setzero_pd();
            for (int q = 0; q < NV; q++) {
                __m256 is1 = _mm256_cmp_ps(e[r][q], big, _CMP_EQ_OQ);
                __m256 eo = _mm256_and_ps(is1, onef), et = _mm256_andnot_ps(is1, e[r][q]);
                __m256d *oq = o + 2 * (q % 2), *tq = t + 2 * (q % 2);
                oq[0] = _mm256_add_pd(oq[0], _mm256_cvtps_pd(_mm256_castps256_ps128(eo)));
                oq[1] = _mm256_add_pd(oq[1], _mm256_cvtps_pd(_mm256_extractf128_ps(eo, 1)));
                tq[0] = _mm256_add_pd(tq[0], _mm256_cvtps_pd(_mm256_castps256_ps128(et)));
                tq[1] = _mm256_add_pd(tq[1], _mm256_cvtps_pd(_mm256_extractf128_ps(et, 1)));
            }
            ones[r] = _mm256_add_pd(_mm256_add_pd(o[0], o[2]), _mm256_add_pd(o[1], o[3]));
            rest[r] = _mm256_add_pd(_mm256_add_pd(t[0], t[2]), _mm256_add_pd(t[1], t[3]));
        }
        split_logs(ones, rest, R, split, b);
    }
    for (int r = 0; r < R; r++) {
        if (left >> r & 1) continue;
        __m256 va = _mm256_set1_ps(LOG ? m[r] : a[r]), vb = _mm256_set1_ps(b[r]);
        for (int q = 0; q < NV; q++) {
            __m256 o = LOG ? _mm256_sub_ps(_mm256_sub_ps(v[r][q], va), vb)
                           : _mm256_fmadd_ps(e[r][q], va, _mm256_mul_ps(e[r][q], vb));
            _mm256_maskstore_ps(y + r * ys + 8 * q, k[q], o);
        }
    }
    return left;
}

SS_BLOCKS(blocks8, T256, rows8)

/* AVX2 machines: rows of up to 16 or 32 values (2 or 4 registers), 8 at a time;
 * longer rows (5 or 6 registers, which spill) 4 at a time. */
static T256 uint64_t softmax_short_f32_avx2(const float *x, int64_t xs, float *y, int64_t ys,
                                            int64_t rows, int64_t n, int log) {
    const int nv = n <= 16 ? 2 : n <= 32 ? 4 : 6, wide = rows >= 8 && nv < 6;
    switch (4 * (nv / 2 - 1) + 2 * wide + (log != 0)) {
    case 0:
        return blocks8(x, xs, y, ys, rows, n, 0, 4, 2);
    case 1:
        return blocks8(x, xs, y, ys, rows, n, 1, 4, 2);
    case 2:
        return blocks8(x, xs, y, ys, rows, n, 0, 8, 2);
    case 3:
        return blocks8(x, xs, y, ys, rows, n, 1, 8, 2);
    case 4:
        return blocks8(x, xs, y, ys, rows, n, 0, 4, 4);
    case 5:
        return blocks8(x, xs, y, ys, rows, n, 1, 4, 4);
    case 6:
        return blocks8(x, xs, y, ys, rows, n, 0, 8, 4);
    case 7:
        return blocks8(x, xs, y, ys, rows, n, 1, 8, 4);
    case 8:
        return blocks8(x, xs, y, ys, rows, n, 0, 4, 6);
    default:
        return blocks8(x, xs, y, ys, rows, n, 1, 4, 6);
    }
}

/* ------------------------------------------------------------- dispatch ---- */

/* 2: AVX-512, 1: AVX2 and FMA, 0: neither (asked once; benign to race). */
static int short_level(void) {
    static int level = -1;
    int v = __atomic_load_n(&level, __ATOMIC_RELAXED);
    if (v < 0) {
        v = pn_cpu_has_avx512() ? 2 : pn_cpu_has_avx2_fma() ? 1 : 0;
        __atomic_store_n(&level, v, __ATOMIC_RELAXED);
    }
    return v;
}

int pn_softmax_short_f32_ok(void) {
    return short_level() > 0;
}

pn_softmax_short_fn pn_softmax_short_f32_kernel(const char *name) {
    if (!strcmp(name, "avx512")) return short_level() >= 2 ? softmax_short_f32_avx512 : NULL;
    if (!strcmp(name, "avx2")) return short_level() >= 1 ? softmax_short_f32_avx2 : NULL;
    return NULL;
}

uint64_t pn_softmax_short_f32(const float *x, int64_t xs, float *y, int64_t ys, int64_t rows,
                              int64_t n, int log) {
    int level = short_level();
    if (rows < 4 || level == 0) return rows < 64 ? ((uint64_t)1 << rows) - 1 : ~(uint64_t)0;
    return level == 2 ? softmax_short_f32_avx512(x, xs, y, ys, rows, n, log)
                      : softmax_short_f32_avx2(x, xs, y, ys, rows, n, log);
}

#else
int pn_softmax_short_f32_ok(void) {
    return 0;
}

pn_softmax_short_fn pn_softmax_short_f32_kernel(const char *name) {
    (void)name;
    return NULL;
}

uint64_t pn_softmax_short_f32(const float *x, int64_t xs, float *y, int64_t ys, int64_t rows,
                              int64_t n, int log) {
    (void)x, (void)xs, (void)y, (void)ys, (void)n, (void)log;
    return rows < 64 ? ((uint64_t)1 << rows) - 1 : ~(uint64_t)0;
}
#endif
