/* random.c - see random.h. */
#include "random.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void pn_rng_seed(pn_rng *g, uint64_t seed) {
    for (int i = 0; i < 4; i++) g->s[i] = splitmix64(&seed);
    g->has_spare = 0;
    g->spare = 0;
}

static inline uint64_t rotl(uint64_t x, int k) {
    return (x << k) | (x >> (64 - k));
}

uint64_t pn_rng_next(pn_rng *g) {
    uint64_t *s = g->s;
    const uint64_t result = rotl(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double pn_rng_uniform(pn_rng *g) {
    return (double)(pn_rng_next(g) >> 11) * 0x1.0p-53;
}

double pn_rng_normal(pn_rng *g) {
    if (g->has_spare) {
        g->has_spare = 0;
        return g->spare;
    }
    /* Box-Muller: two uniforms -> two independent normals. u1 in (0, 1] so log is finite. */
    double u1 = 1.0 - pn_rng_uniform(g), u2 = pn_rng_uniform(g);
    double r = sqrt(-2.0 * log(u1)), th = 6.283185307179586 * u2;
    g->spare = r * sin(th);
    g->has_spare = 1;
    return r * cos(th);
}

uint64_t pn_rng_below(pn_rng *g, uint64_t n) {
    /* Multiply a 64-bit random number by n; the high word is the result. Reject
     * the few low words that would make some results more likely than others. */
    unsigned __int128 m = (unsigned __int128)pn_rng_next(g) * n;
    uint64_t lo = (uint64_t)m;
    if (lo < n) {
        uint64_t threshold = (0 - n) % n;
        while (lo < threshold) {
            m = (unsigned __int128)pn_rng_next(g) * n;
            lo = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}

void pn_rng_fill_uniform_f32(pn_rng *g, float *out, int64_t n, double lo, double hi) {
    for (int64_t i = 0; i < n; i++) {
        /* 24 random bits: every float in [0, 1) on the grid 2^-24, never 1.0 */
        float u = (float)(pn_rng_next(g) >> 40) * 0x1.0p-24f;
        out[i] = (float)(lo + (hi - lo) * u);
    }
}
void pn_rng_fill_uniform_f64(pn_rng *g, double *out, int64_t n, double lo, double hi) {
    for (int64_t i = 0; i < n; i++) out[i] = lo + (hi - lo) * pn_rng_uniform(g);
}
void pn_rng_fill_normal_f32(pn_rng *g, float *out, int64_t n, double mean, double std) {
    for (int64_t i = 0; i < n; i++) out[i] = (float)(mean + std * pn_rng_normal(g));
}
void pn_rng_fill_normal_f64(pn_rng *g, double *out, int64_t n, double mean, double std) {
    for (int64_t i = 0; i < n; i++) out[i] = mean + std * pn_rng_normal(g);
}
void pn_rng_fill_randint(pn_rng *g, int64_t *out, int64_t n, int64_t lo, int64_t hi) {
    uint64_t range = (uint64_t)hi - (uint64_t)lo; /* caller guarantees hi > lo */
    for (int64_t i = 0; i < n; i++) out[i] = (int64_t)((uint64_t)lo + pn_rng_below(g, range));
}
void pn_rng_permutation(pn_rng *g, int64_t *out, int64_t n) {
    /* Fisher-Yates: swap each position with a uniformly chosen earlier-or-same one. */
    for (int64_t i = 0; i < n; i++) out[i] = i;
    for (int64_t i = n - 1; i > 0; i--) {
        int64_t j = (int64_t)pn_rng_below(g, (uint64_t)i + 1);
        int64_t t = out[i];
        out[i] = out[j];
        out[j] = t;
    }
}
void pn_rng_fill_bernoulli(pn_rng *g, uint8_t *out, int64_t n, double p) {
    for (int64_t i = 0; i < n; i++) out[i] = pn_rng_uniform(g) < p;
}

/* One draw from the live weights left[0..n) by u: c holds their running sums. */
static int64_t draw_one(const double *left, const uint8_t *taken, double *c, int64_t n, double u) {
    double acc = 0;
    for (int64_t i = 0; i < n; i++) c[i] = acc += left[i];
    if (!(c[n - 1] > 0)) { /* nothing positive left: the first category not drawn */
        int64_t j = 0;
        while (taken[j]) j++;
        return j;
    }
    double v = u * c[n - 1];
    int64_t lo = 0, hi = n; /* the first i with c[i] > v: the running sums never decrease */
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (c[mid] > v)
            hi = mid;
        else
            lo = mid + 1;
    }
    int64_t j = lo < n ? lo : n - 1;
    while (left[j] == 0) j--; /* rounding at an edge: back to a live category */
    return j;
}

int pn_multinomial_draws(const double *w, int64_t rows, int64_t n, const double *u, int64_t k,
                         int64_t *out) {
    double *left = malloc((size_t)n * 2 * sizeof *left);
    uint8_t *taken = malloc((size_t)n);
    if (!left || !taken) {
        free(left);
        free(taken);
        return PN_ENOMEM;
    }
    for (int64_t r = 0; r < rows; r++) {
        memcpy(left, w + r * n, (size_t)n * sizeof *left);
        memset(taken, 0, (size_t)n);
        for (int64_t s = 0; s < k; s++) {
            int64_t j = draw_one(left, taken, left + n, n, u[r * k + s]);
            out[r * k + s] = j;
            left[j] = 0;
            taken[j] = 1;
        }
    }
    free(left);
    free(taken);
    return PN_OK;
}
