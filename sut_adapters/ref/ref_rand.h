/* ref_rand.h: ref's own seeded PRNG (splitmix64), so runs repeat for a given cfg->seed
 * and no other library in the process can disturb the sequence (unlike rand()). */
#ifndef REF_RAND_H
#define REF_RAND_H

#include <stddef.h>
#include <stdint.h>

struct ref_rng {
	uint64_t s;
};

void ref_rng_seed(struct ref_rng *r, uint64_t seed);
uint64_t ref_rng_next(struct ref_rng *r);
/* Uniform in [0, n); n == 0 returns 0. */
uint32_t ref_rng_below(struct ref_rng *r, uint32_t n);
/* Writes nhex lowercase hex digits and a NUL into out (size > nhex). */
void ref_rng_hex(struct ref_rng *r, char *out, size_t nhex);

#endif
