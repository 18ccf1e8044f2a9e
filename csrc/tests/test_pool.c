/* test_pool.c - unit tests of the pooling kernels (pool.c) without Python: max
 * pooling against a brute-force window scan, gather/scatter and average pooling
 * against their adjoints (<P x, c> = <x, P^T c>), the divisor rules, adaptive windows. */
#include "../kernels/pool.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"

static double frand(unsigned *s) {
    *s = *s * 1103515245u + 12345u;
    return ((*s >> 8) & 0xffff) / 32768.0 - 1.0;
}

static double dot(const double *a, const double *b, int64_t n) {
    double s = 0;
    for (int64_t k = 0; k < n; k++) s += a[k] * b[k];
    return s;
}

/* The maximum of window (p, q) of plane x by scanning every tap. */
static double brute_max(const pn_pool_geom *g, const double *x, int64_t p, int64_t q) {
    double m = -INFINITY;
    if (g->adaptive) { /* rows floor(p H / Ho) .. ceil((p + 1) H / Ho), columns likewise */
        for (int64_t ih = p * g->H / g->Ho; ih * g->Ho < (p + 1) * g->H; ih++)
            for (int64_t iw = q * g->W / g->Wo; iw * g->Wo < (q + 1) * g->W; iw++)
                if (x[ih * g->W + iw] > m) m = x[ih * g->W + iw];
        return m;
    }
    for (int64_t i = 0; i < g->kh; i++)
        for (int64_t j = 0; j < g->kw; j++) {
            int64_t ih = p * g->sh - g->ph + i * g->dh, iw = q * g->sw - g->pw + j * g->dw;
            if (ih >= 0 && ih < g->H && iw >= 0 && iw < g->W && x[ih * g->W + iw] > m)
                m = x[ih * g->W + iw];
        }
    return m;
}

static void check_geom(pn_pool_geom g, unsigned seed) {
    int64_t nx = g.P * g.H * g.W, ny = g.P * g.Ho * g.Wo;
    double *x = malloc(sizeof(double) * nx), *y = malloc(sizeof(double) * ny);
    double *c = malloc(sizeof(double) * ny), *xt = malloc(sizeof(double) * nx);
    int64_t *idx = malloc(sizeof(int64_t) * ny);
    for (int64_t k = 0; k < nx; k++) x[k] = frand(&seed);
    for (int64_t k = 0; k < ny; k++) c[k] = frand(&seed);
    CHECK(pn_max_pool(PN_FLOAT64, &g, x, y, idx) == PN_OK, "max pool runs");
    int ok = 1;
    for (int64_t pl = 0; pl < g.P; pl++)
        for (int64_t p = 0; p < g.Ho; p++)
            for (int64_t q = 0; q < g.Wo; q++) {
                int64_t l = (pl * g.Ho + p) * g.Wo + q;
                ok &= y[l] == brute_max(&g, x + pl * g.H * g.W, p, q);
                ok &= x[pl * g.H * g.W + idx[l]] == y[l];
            }
    CHECK(ok, "max pool = brute force, indices point at the maxima");
    pn_pool_gather(PN_FLOAT64, &g, x, idx, y);
    pn_pool_scatter(PN_FLOAT64, &g, c, idx, xt);
    CHECK(fabs(dot(y, c, ny) - dot(x, xt, nx)) < 1e-12, "scatter is the adjoint of gather");
    for (int cp = 0; cp < 2; cp++) {
        g.count_pad = cp;
        pn_avg_pool(PN_FLOAT64, &g, x, y);
        pn_avg_pool_backward(PN_FLOAT64, &g, c, xt);
        CHECK(fabs(dot(y, c, ny) - dot(x, xt, nx)) < 1e-12, "avg backward is the adjoint");
    }
    free(x), free(y), free(c), free(xt), free(idx);
}

int main(void) {
    /*                P  H  W kh kw sh sw ph pw dh dw Ho Wo */
    check_geom((pn_pool_geom){3, 7, 6, 3, 2, 2, 1, 1, 1, 1, 2, 4, 5, 0, 0, 0}, 1);
    check_geom((pn_pool_geom){2, 5, 5, 2, 2, 2, 2, 0, 0, 1, 1, 3, 3, 0, 0, 0}, 2); /* ceil */
    /* adaptive: 7 x 5 -> 3 x 4 (overlapping windows) and 4 x 5 -> 8 x 2 (upsampling rows) */
    check_geom((pn_pool_geom){2, 7, 5, 0, 0, 1, 1, 0, 0, 1, 1, 3, 4, 0, 0, 1}, 3);
    check_geom((pn_pool_geom){2, 4, 5, 0, 0, 1, 1, 0, 0, 1, 1, 8, 2, 0, 0, 1}, 4);
    /* average divisors: ones(2, 2), window 2, stride 1, padding 1 */
    pn_pool_geom g = {1, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 3, 3, 1, 0, 0};
    double one[4] = {1, 1, 1, 1}, y[9];
    pn_avg_pool(PN_FLOAT64, &g, one, y);
    CHECK(y[0] == 0.25 && y[4] == 1.0, "count_include_pad: corner 1/4, centre 1");
    g.count_pad = 0;
    pn_avg_pool(PN_FLOAT64, &g, one, y);
    CHECK(y[0] == 1.0 && y[1] == 1.0, "without padding in the divisor: all 1");
    g.divisor = 3;
    pn_avg_pool(PN_FLOAT64, &g, one, y);
    CHECK(y[4] == 4.0 / 3.0, "divisor_override");
    return CHECK_SUMMARY();
}
