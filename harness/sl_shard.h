/* sl_shard.h: recorded scenario costs (scenarios/costs.tsv) and the `--shard K/N` split.
 * Promises: the split depends only on the units' keys and recorded costs, never on the
 * machine, the clock or the order the units are given in; every unit lands in exactly one
 * shard; shards are balanced by cost (longest first, each to the lightest shard). */
#ifndef SL_SHARD_H
#define SL_SHARD_H

#include <stddef.h>
#include <stdint.h>

struct sl_costs;

/* Reads "id<TAB>seconds" lines ('#' comments). A missing file is an empty table; a bad
 * line is -EINVAL with "path:line: reason" in err. */
int sl_costs_load(struct sl_costs **cp, const char *path, char *err, size_t errlen);
void sl_costs_free(struct sl_costs *c);
/* Recorded cost of a scenario id in milliseconds; unknown ids get the table's median
 * (1000 ms for an empty table). */
uint64_t sl_costs_ms(const struct sl_costs *c, const char *id);
size_t sl_costs_count(const struct sl_costs *c);

/* "K/N" with 1 <= K <= N <= 1000: 0, else -EINVAL. */
int sl_shard_parse(const char *s, unsigned *k, unsigned *n);

/* shard[i] in 0..nshards-1 for unit i (key[i] unique, cost_ms[i]). Returns 0 or -ENOMEM.
 * *plan (may be NULL) gets a digest of the whole assignment: shards of one split share
 * it, so a merge can tell shards of different splits apart. */
int sl_shard_assign(const char *const *key, const uint64_t *cost_ms, size_t n,
		    unsigned nshards, unsigned *shard, uint64_t *plan);

#endif
