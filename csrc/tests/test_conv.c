/* test_conv.c - unit tests of the convolution kernels (conv.c) without Python:
 * the im2col + GEMM forward against the direct six-loop sum, col2im as the
 * adjoint of im2col (<im2col x, c> = <x, col2im c>), and both backward drivers
 * against the gradients of the direct sum, over strides, paddings, dilations,
 * groups, the pointwise (1x1) path and the depthwise loops; the float32 kernels
 * against the float64 ones, at 1 and 2 threads (bit-identical). */
#include "../kernels/conv.h"
#include "../kernels/threadpool.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

static double frand(unsigned *s) {
    *s = *s * 1103515245u + 12345u;
    return ((*s >> 8) & 0xffff) / 32768.0 - 1.0;
}

/* x at (n, c, ih, iw), or 0 in the padding. */
static double at(const pn_conv_geom *g, const double *x, int64_t n, int64_t c, int64_t ih,
                 int64_t iw) {
    if (ih < 0 || ih >= g->H || iw < 0 || iw >= g->W) return 0;
    return x[((n * g->C + c) * g->H + ih) * g->W + iw];
}

/* The definition: y[n, o, p, q] = b[o] + sum w[o, c', i, j] x[n, c, p sh - ph + i dh, ...]. */
static void direct_conv(const pn_conv_geom *g, const double *x, const double *w, const double *b,
                        double *y) {
    int64_t Cg = g->C / g->G, Og = g->O / g->G;
    for (int64_t n = 0; n < g->N; n++)
        for (int64_t o = 0; o < g->O; o++)
            for (int64_t p = 0; p < g->Ho; p++)
                for (int64_t q = 0; q < g->Wo; q++) {
                    double s = b ? b[o] : 0;
                    for (int64_t c = 0; c < Cg; c++)
                        for (int64_t i = 0; i < g->kh; i++)
                            for (int64_t j = 0; j < g->kw; j++)
                                s += w[((o * Cg + c) * g->kh + i) * g->kw + j] *
                                     at(g, x, n, o / Og * Cg + c, p * g->sh - g->ph + i * g->dh,
                                        q * g->sw - g->pw + j * g->dw);
                    y[((n * g->O + o) * g->Ho + p) * g->Wo + q] = s;
                }
}

static double *rand_buf(int64_t n, unsigned *s) {
    double *p = malloc((size_t)(n > 0 ? n : 1) * sizeof *p);
    for (int64_t k = 0; k < n; k++) p[k] = frand(s);
    return p;
}

static double dot(const double *a, const double *b, int64_t n) {
    double s = 0;
    for (int64_t k = 0; k < n; k++) s += a[k] * b[k];
    return s;
}

static int near(double a, double b) {
    return fabs(a - b) <= 1e-10 * (1 + fabs(b));
}

/* One geometry: forward vs direct; adjoint identities for col2im and both backwards
 * (<dy, conv(x, w)> is bilinear, so its gradients are checked by inner products). */
static void check_geom(pn_conv_geom g, unsigned seed) {
    CHECK(pn_conv_geom_init(&g) == PN_OK, "geometry init");
    int64_t nx = g.N * g.C * g.H * g.W, nw = g.O * (g.C / g.G) * g.kh * g.kw;
    int64_t ny = g.N * g.O * g.Ho * g.Wo, ncol = g.C * g.kh * g.kw * g.Ho * g.Wo;
    double *x = rand_buf(nx, &seed), *w = rand_buf(nw, &seed), *b = rand_buf(g.O, &seed);
    double *dy = rand_buf(ny, &seed), *y = rand_buf(ny, &seed), *yr = rand_buf(ny, &seed);
    double *dx = rand_buf(nx, &seed), *dw = rand_buf(nw, &seed);
    double *col = rand_buf(ncol * g.N, &seed), *c2 = rand_buf(ncol * g.N, &seed);
    double *x2 = rand_buf(nx, &seed);
    direct_conv(&g, x, w, b, yr);
    CHECK(pn_conv2d_forward(PN_FLOAT64, &g, x, w, b, y) == PN_OK, "forward runs");
    int ok = 1;
    for (int64_t k = 0; k < ny; k++) ok &= near(y[k], yr[k]);
    CHECK(ok, "forward = direct sum (k %lldx%lld s %lld p %lld d %lld G %lld)", (long long)g.kh,
          (long long)g.kw, (long long)g.sh, (long long)g.ph, (long long)g.dh, (long long)g.G);
    /* im2col/col2im adjoint: <unfold(x), c2> == <x, fold(c2)> */
    CHECK(pn_unfold(PN_FLOAT64, &g, x, col) == PN_OK && pn_fold(PN_FLOAT64, &g, c2, x2) == PN_OK,
          "unfold/fold run");
    CHECK(near(dot(col, c2, ncol * g.N), dot(x, x2, nx)), "col2im is the adjoint of im2col");
    /* <dy, conv(x, w)> without bias: d/dx = backward_input(dy, w), d/dw = backward_weight */
    direct_conv(&g, x, w, NULL, yr);
    double f = dot(dy, yr, ny);
    CHECK(pn_conv2d_backward_input(PN_FLOAT64, &g, dy, w, dx) == PN_OK &&
              pn_conv2d_backward_weight(PN_FLOAT64, &g, x, dy, dw) == PN_OK,
          "backward runs");
    CHECK(near(dot(dx, x, nx), f), "<dx, x> = <dy, y> (conv is linear in x)");
    CHECK(near(dot(dw, w, nw), f), "<dw, w> = <dy, y> (conv is linear in w)");
    /* and the gradient entries one by one: perturb x[k] by 1 (exact for a linear map) */
    ok = 1;
    for (int64_t k = 0; k < nx; k += 7) {
        x[k] += 1;
        direct_conv(&g, x, w, NULL, y);
        ok &= near(dot(dy, y, ny) - f, dx[k]);
        x[k] -= 1;
    }
    CHECK(ok, "dx entries = change of <dy, y>");
    ok = 1; /* dw entry by entry the same way */
    for (int64_t k = 0; k < nw; k += 3) {
        w[k] += 1;
        direct_conv(&g, x, w, NULL, y);
        ok &= near(dot(dy, y, ny) - f, dw[k]);
        w[k] -= 1;
    }
    CHECK(ok, "dw entries = change of <dy, y>");
    free(x), free(w), free(b), free(dy), free(y), free(yr), free(dx), free(dw), free(col);
    free(c2), free(x2);
}

static float *to_f32(const double *a, int64_t n) {
    float *p = malloc((size_t)(n > 0 ? n : 1) * sizeof *p);
    for (int64_t k = 0; k < n; k++) p[k] = (float)a[k];
    return p;
}

/* max |a - b| over max(1, max |b|), a in float32 and b in float64. */
static double rel_err(const float *a, const double *b, int64_t n) {
    double e = 0, m = 1;
    for (int64_t k = 0; k < n; k++) {
        e = fabs(a[k] - b[k]) > e ? fabs(a[k] - b[k]) : e;
        m = fabs(b[k]) > m ? fabs(b[k]) : m;
    }
    return e / m;
}

/* The three float32 kernels of a geometry (the loops or GEMM its shape selects) at
 * `threads` threads into y (N O Ho Wo), dx (N C H W), dw (O C/G kh kw), concatenated. */
static void run_f32(const pn_conv_geom *g, const float *x, const float *w, const float *b,
                    const float *dy, float *out, int threads) {
    int64_t ny = g->N * g->O * g->Ho * g->Wo, nx = g->N * g->C * g->H * g->W;
    pn_set_num_threads(threads);
    CHECK(pn_conv2d_forward(PN_FLOAT32, g, x, w, b, out) == PN_OK &&
              pn_conv2d_backward_input(PN_FLOAT32, g, dy, w, out + ny) == PN_OK &&
              pn_conv2d_backward_weight(PN_FLOAT32, g, x, dy, out + ny + nx) == PN_OK,
          "float32 kernels run");
}

/* float32 against the float64 kernels (already checked against the definition) on the
 * same float32-representable inputs; 1 and 2 threads bit-identical. */
static void check_f32(pn_conv_geom g, unsigned seed) {
    CHECK(pn_conv_geom_init(&g) == PN_OK, "geometry init");
    int64_t nx = g.N * g.C * g.H * g.W, nw = g.O * (g.C / g.G) * g.kh * g.kw;
    int64_t ny = g.N * g.O * g.Ho * g.Wo, nall = ny + nx + nw;
    double *x = rand_buf(nx, &seed), *w = rand_buf(nw, &seed), *b = rand_buf(g.O, &seed);
    double *dy = rand_buf(ny, &seed), *ref = rand_buf(nall, &seed);
    float *xf = to_f32(x, nx), *wf = to_f32(w, nw), *bf = to_f32(b, g.O), *dyf = to_f32(dy, ny);
    float *o1 = to_f32(ref, nall), *o2 = to_f32(ref, nall), *o3 = to_f32(ref, nall);
    for (int64_t k = 0; k < nx; k++) x[k] = xf[k]; /* the float32 inputs exactly */
    for (int64_t k = 0; k < nw; k++) w[k] = wf[k];
    for (int64_t k = 0; k < g.O; k++) b[k] = bf[k];
    for (int64_t k = 0; k < ny; k++) dy[k] = dyf[k];
    CHECK(pn_conv2d_forward(PN_FLOAT64, &g, x, w, b, ref) == PN_OK &&
              pn_conv2d_backward_input(PN_FLOAT64, &g, dy, w, ref + ny) == PN_OK &&
              pn_conv2d_backward_weight(PN_FLOAT64, &g, x, dy, ref + ny + nx) == PN_OK,
          "float64 kernels run");
    int prev = pn_get_num_threads();
    run_f32(&g, xf, wf, bf, dyf, o1, 1);
    run_f32(&g, xf, wf, bf, dyf, o2, 2);
    run_f32(&g, xf, wf, bf, dyf, o3, 3);
    pn_set_num_threads(prev);
    CHECK(rel_err(o1, ref, ny) < 1e-6 && rel_err(o1 + ny, ref + ny, nx) < 1e-6 &&
              rel_err(o1 + ny + nx, ref + ny + nx, nw) < 1e-5,
          "float32 = float64 to rounding (k %lldx%lld s %lld d %lld G %lld O %lld)",
          (long long)g.kh, (long long)g.kw, (long long)g.sh, (long long)g.dh, (long long)g.G,
          (long long)g.O);
    CHECK(memcmp(o1, o2, (size_t)nall * sizeof *o1) == 0 &&
              memcmp(o1, o3, (size_t)nall * sizeof *o1) == 0,
          "float32: 1, 2 and 3 threads bit-identical (N %lld)", (long long)g.N);
    free(x), free(w), free(b), free(dy), free(ref), free(xf), free(wf), free(bf), free(dyf);
    free(o1), free(o2), free(o3);
}

/* im2col over column blocks [l0, l1) that start and end inside output rows (the
 * general walk) and over whole rows (the short walk), against the definition
 * col[(c kh + i) kw + j, l] = x at the tap; and col2im of each block against its
 * adjoint, summed over the blocks. float64 and float32. */
static void check_im2col_blocks(pn_conv_geom g, int64_t step, unsigned seed0) {
    unsigned seed = seed0;
    CHECK(pn_conv_geom_init(&g) == PN_OK, "im2col geometry %u", seed0);
    int64_t R = g.C * g.kh * g.kw, L = g.Ho * g.Wo, X = g.C * g.H * g.W;
    double *x = rand_buf(X, &seed), *col = malloc((size_t)(R * L) * sizeof *col);
    double *back = calloc((size_t)X, sizeof *back), *want = calloc((size_t)X, sizeof *want);
    float *xf = to_f32(x, X), *colf = malloc((size_t)(R * L) * sizeof *colf);
    float *backf = calloc((size_t)X, sizeof *backf);
    int bad = 0, badf = 0, badb = 0;
    for (int64_t l0 = 0; l0 < L; l0 += step) {
        int64_t l1 = l0 + step < L ? l0 + step : L, ld = l1 - l0;
        pn_im2col_f64(&g, x, col, l0, l1);
        pn_im2col_f32(&g, xf, colf, l0, l1);
        for (int64_t r = 0; r < R; r++)
            for (int64_t l = l0; l < l1; l++) {
                int64_t c = r / (g.kh * g.kw), i = r / g.kw % g.kh, j = r % g.kw;
                int64_t ih = l / g.Wo * g.sh - g.ph + i * g.dh,
                        iw = l % g.Wo * g.sw - g.pw + j * g.dw;
                double v = at(&g, x, 0, c, ih, iw), u = col[r * ld + l - l0];
                bad += v != u, badf += (float)v != colf[r * ld + l - l0];
                if (ih >= 0 && ih < g.H && iw >= 0 && iw < g.W)
                    want[(c * g.H + ih) * g.W + iw] += u;
            }
        pn_col2im_f64(&g, col, back, l0, l1); /* the block's column matrix added back */
        pn_col2im_f32(&g, colf, backf, l0, l1);
    }
    for (int64_t k = 0; k < X; k++) badb += !near(back[k], want[k]) || !near(backf[k], want[k]);
    CHECK(bad == 0 && badf == 0, "im2col in blocks of %lld (seed %u): %d/%d wrong entries",
          (long long)step, seed0, bad, badf);
    CHECK(badb == 0, "col2im in blocks of %lld (seed %u): %d wrong", (long long)step, seed0, badb);
    free(x), free(col), free(back), free(want), free(xf), free(colf), free(backf);
}

int main(void) {
    /*                 N  C  H  W  O  G kh kw sh sw ph pw dh dw */
    check_geom((pn_conv_geom){2, 3, 7, 7, 4, 1, 3, 3, 1, 1, 0, 0, 1, 1, 0, 0}, 1);
    check_geom((pn_conv_geom){2, 3, 7, 6, 4, 1, 3, 2, 2, 3, 1, 2, 1, 1, 0, 0}, 2);
    check_geom((pn_conv_geom){1, 4, 9, 8, 6, 2, 3, 3, 2, 1, 2, 1, 2, 3, 0, 0}, 3);
    check_geom((pn_conv_geom){3, 4, 5, 5, 4, 4, 3, 3, 1, 1, 1, 1, 1, 1, 0, 0}, 4); /* depthwise */
    check_geom((pn_conv_geom){2, 6, 4, 5, 4, 2, 1, 1, 1, 1, 0, 0, 1, 1, 0, 0}, 5); /* 1x1 */
    /* a one-channel image into 3 channels (im2col + GEMM, K = kh kw), and the channel-wise
     * path (depthwise, one and two outputs per input channel), strided and dilated */
    check_geom((pn_conv_geom){2, 1, 6, 7, 3, 1, 3, 2, 1, 2, 1, 0, 1, 2, 0, 0}, 7);
    check_geom((pn_conv_geom){3, 2, 7, 6, 4, 2, 3, 3, 2, 1, 2, 1, 2, 1, 0, 0}, 8);
    check_geom((pn_conv_geom){2, 3, 6, 6, 3, 3, 2, 3, 1, 2, 1, 1, 2, 1, 0, 0}, 9);
    check_geom((pn_conv_geom){2, 2, 1, 9, 3, 1, 1, 4, 1, 2, 0, 3, 1, 2, 0, 0}, 6); /* 1-D */
    /* depthwise (the direct loops): 5x5 with stride and dilation, multiplier 2, odd sizes,
     * 1x1, a 1-D one; in float64 above and float32 (and 1 vs 2 threads) here */
    check_geom((pn_conv_geom){3, 3, 13, 11, 6, 3, 5, 5, 2, 1, 3, 2, 2, 1, 0, 0}, 10);
    check_geom((pn_conv_geom){1, 4, 7, 9, 4, 4, 1, 1, 2, 2, 1, 0, 1, 1, 0, 0}, 11);
    check_geom((pn_conv_geom){2, 3, 1, 17, 6, 3, 1, 3, 1, 2, 0, 2, 1, 2, 0, 0}, 12); /* 1-D */
    check_f32((pn_conv_geom){4, 6, 19, 23, 6, 6, 3, 3, 1, 1, 1, 1, 1, 1, 0, 0}, 13);
    check_f32((pn_conv_geom){3, 4, 21, 17, 8, 4, 5, 3, 2, 1, 4, 1, 2, 1, 0, 0}, 14);
    check_f32((pn_conv_geom){2, 8, 1, 41, 8, 8, 1, 5, 1, 1, 0, 2, 1, 1, 0, 0}, 15);
    check_f32((pn_conv_geom){2, 4, 9, 9, 4, 2, 3, 3, 1, 1, 1, 1, 1, 1, 0, 0}, 16); /* GEMM */
    /* im2col / col2im by blocks: inside rows (7, 11), whole rows (Wo, 2 Wo), everything */
    for (int64_t step = 1; step <= 64; step = step * 3 + 1) { /* 1, 4, 13, 40 */
        check_im2col_blocks((pn_conv_geom){1, 2, 7, 9, 1, 1, 3, 2, 1, 2, 1, 1, 1, 2, 0, 0}, step,
                            20);
        check_im2col_blocks((pn_conv_geom){1, 3, 8, 8, 1, 1, 3, 3, 2, 1, 2, 0, 2, 1, 0, 0}, step,
                            21);
    }
    check_im2col_blocks((pn_conv_geom){1, 2, 10, 12, 1, 1, 5, 5, 1, 1, 0, 0, 1, 1, 0, 0}, 8, 22);
    check_im2col_blocks((pn_conv_geom){1, 2, 10, 12, 1, 1, 5, 5, 1, 1, 0, 0, 1, 1, 0, 0}, 16, 23);
    check_im2col_blocks((pn_conv_geom){1, 2, 12, 9, 1, 1, 3, 3, 1, 1, 1, 1, 1, 1, 0, 0}, 27, 24);
    /* batches cut into weight-gradient slices: 8 uneven ones (11 items), as many as items (5) */
    check_geom((pn_conv_geom){11, 2, 5, 6, 3, 1, 3, 3, 1, 1, 1, 0, 1, 1, 0, 0}, 17);
    check_f32((pn_conv_geom){11, 3, 9, 8, 5, 1, 3, 3, 1, 1, 1, 1, 1, 1, 0, 0}, 18);
    check_f32((pn_conv_geom){5, 4, 6, 7, 4, 2, 2, 3, 1, 2, 0, 1, 1, 1, 0, 0}, 19);
    pn_conv_geom bad = {1, 3, 2, 2, 3, 1, 3, 3, 1, 1, 0, 0, 1, 1, 0, 0};
    CHECK(pn_conv_geom_init(&bad) == PN_EINVAL, "kernel larger than the input is rejected");
    bad.ph = bad.pw = 1;
    CHECK(pn_conv_geom_init(&bad) == PN_OK && bad.Ho == 2, "padding makes it fit: 2x2 output");
    bad.G = 2;
    CHECK(pn_conv_geom_init(&bad) == PN_EINVAL, "groups must divide the channels");
    bad.G = 1, bad.sh = 0;
    CHECK(pn_conv_geom_init(&bad) == PN_EINVAL, "stride 0 is rejected");
    bad.sh = 1, bad.H = INT64_MAX / 2;
    CHECK(pn_conv_geom_init(&bad) == PN_EOVERFLOW, "huge sizes overflow");
    /* the course's numbers: 7x7, 3x3 filter -> 5x5 (stride 1), 3x3 (stride 2), 2x2 (stride 3) */
    for (int s = 1; s <= 3; s++) {
        pn_conv_geom c = {1, 1, 7, 7, 1, 1, 3, 3, s, s, 0, 0, 1, 1, 0, 0};
        static const int64_t want[4] = {0, 5, 3, 2};
        CHECK(pn_conv_geom_init(&c) == PN_OK && c.Ho == want[s] && c.Wo == want[s],
              "7x7 by 3x3 at stride %d", s);
    }
    return CHECK_SUMMARY();
}
