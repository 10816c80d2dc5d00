/* sl_strmap.h: a string -> int hash map for the checks that must stay linear in the events
 * (invariants over a zone_farm run see tens of thousands of transactions).
 * Promises: keys are copied and compared exactly; the first value given to a key stays. */
#ifndef SL_STRMAP_H
#define SL_STRMAP_H

#include <stddef.h>

struct sl_strmap;

int sl_strmap_new(struct sl_strmap **mp, size_t hint);
void sl_strmap_free(struct sl_strmap *m);
/* key -> v unless key is there: 1 added, 0 there already, -ENOMEM. */
int sl_strmap_add(struct sl_strmap *m, const char *key, int v);
/* 1 and *v when key is there, else 0. */
int sl_strmap_get(const struct sl_strmap *m, const char *key, int *v);
/* Two strings as one key ("call-id" + method): they never contain '\001'. */
const char *sl_strmap_key2(char *buf, size_t len, const char *a, const char *b);

#endif
