/* core/generator.h - the default random generator (what manual_seed seeds).
 *
 * One xoshiro generator (kernels/random.h) for the whole process, used by the
 * random creation functions and by the ops that draw numbers (dropout,
 * bernoulli). Touched only with the GIL held.
 */
#ifndef PN_CORE_GENERATOR_H
#define PN_CORE_GENERATOR_H
#include <stdint.h>
#include "../kernels/random.h"

pn_rng *pn_global_rng(void);     /* the generator itself */
void pn_manual_seed(uint64_t s); /* reseed it (pynet.manual_seed) */
uint64_t pn_initial_seed(void);  /* the last seed given (pynet.initial_seed) */

#endif
