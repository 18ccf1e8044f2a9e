/* core/generator.c - the process-wide random generator; see generator.h. */
#include "generator.h"

/* PyTorch's default seed, so a fresh process draws from a fixed, known stream. */
static uint64_t rng_seed = 67280421310721ULL;
static pn_rng rng;
static int rng_ready = 0;

pn_rng *pn_global_rng(void) {
    if (!rng_ready) pn_manual_seed(rng_seed);
    return &rng;
}

void pn_manual_seed(uint64_t s) {
    rng_seed = s;
    pn_rng_seed(&rng, s);
    rng_ready = 1;
}

uint64_t pn_initial_seed(void) {
    return rng_seed;
}
