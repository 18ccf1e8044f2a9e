/* random.h - the random number generator behind rand, randn, randint, randperm, dropout.
 *
 * xoshiro256** (Blackman & Vigna): 256 bits of state, fast, passes BigCrush.
 * Seeded through splitmix64 so that any 64-bit seed gives a well-mixed state.
 */
#ifndef PN_RANDOM_H
#define PN_RANDOM_H
#include "common.h"

typedef struct {
    uint64_t s[4];
    int has_spare; /* Box-Muller makes normals in pairs; keep the second */
    double spare;
} pn_rng;

void pn_rng_seed(pn_rng *g, uint64_t seed);
uint64_t pn_rng_next(pn_rng *g);
double pn_rng_uniform(pn_rng *g); /* [0, 1) with 53 random bits */
double pn_rng_normal(pn_rng *g);  /* standard normal */
/* Uniform integer in [0, n), n >= 1, without modulo bias (Lemire's method). */
uint64_t pn_rng_below(pn_rng *g, uint64_t n);

/* Fill contiguous buffers. */
void pn_rng_fill_uniform_f32(pn_rng *g, float *out, int64_t n, double lo, double hi);
void pn_rng_fill_uniform_f64(pn_rng *g, double *out, int64_t n, double lo, double hi);
void pn_rng_fill_normal_f32(pn_rng *g, float *out, int64_t n, double mean, double std);
void pn_rng_fill_normal_f64(pn_rng *g, double *out, int64_t n, double mean, double std);
void pn_rng_fill_randint(pn_rng *g, int64_t *out, int64_t n, int64_t lo, int64_t hi);
void pn_rng_permutation(pn_rng *g, int64_t *out, int64_t n);
/* out[i] = 1 with probability p, else 0 (bytes). */
void pn_rng_fill_bernoulli(pn_rng *g, uint8_t *out, int64_t n, double p);

/* multinomial without replacement: for each of `rows` rows of n weights w (>= 0, a
 * positive sum), k <= n successive draws, each by the uniform u[r k + s] in [0, 1) over
 * the weights not yet drawn: the first category whose running sum (in order) exceeds u
 * times their total (back to a live one if rounding lands past it); once every positive
 * weight is drawn, the zero-weight categories in index order. out: rows * k indices.
 * Returns PN_OK or PN_ENOMEM. */
int pn_multinomial_draws(const double *w, int64_t rows, int64_t n, const double *u, int64_t k,
                         int64_t *out);

#endif
