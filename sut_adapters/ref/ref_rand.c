/* ref_rand.c: splitmix64 plus helpers for bounded integers and hex tokens. */
#include "ref_rand.h"

void ref_rng_seed(struct ref_rng *r, uint64_t seed)
{
	r->s = seed;
}

uint64_t ref_rng_next(struct ref_rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

uint32_t ref_rng_below(struct ref_rng *r, uint32_t n)
{
	uint64_t limit, x;

	if (n == 0)
		return 0;
	/* Rejection keeps the draw exactly uniform; the SRV weight test depends on it. */
	limit = UINT64_MAX - UINT64_MAX % n;
	do
		x = ref_rng_next(r);
	while (x >= limit);
	return (uint32_t)(x % n);
}

void ref_rng_hex(struct ref_rng *r, char *out, size_t nhex)
{
	static const char digits[] = "0123456789abcdef";
	uint64_t x = 0;

	for (size_t i = 0; i < nhex; i++) {
		if (i % 16 == 0)
			x = ref_rng_next(r);
		out[i] = digits[x & 15];
		x >>= 4;
	}
	out[nhex] = '\0';
}
