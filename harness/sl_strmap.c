/* sl_strmap.c: open addressing with linear probing, grown at half load. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sl_strmap.h"

struct sl_strmap {
	char **k;
	int *v;
	size_t cap, n;
};

static uint64_t hash(const char *s)
{
	uint64_t h = 14695981039346656037ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static size_t slot(char *const *k, size_t cap, const char *key)
{
	size_t i = hash(key) & (cap - 1);
	while (k[i] && strcmp(k[i], key))
		i = (i + 1) & (cap - 1);
	return i;
}

static int alloc(struct sl_strmap *m, size_t cap)
{
	char **k = calloc(cap, sizeof(*k));
	int *v = calloc(cap, sizeof(*v));
	if (!k || !v) {
		free(k);
		free(v);
		return -ENOMEM;
	}
	for (size_t i = 0; i < m->cap; i++) {
		if (!m->k[i])
			continue;
		size_t s = slot(k, cap, m->k[i]);
		k[s] = m->k[i];
		v[s] = m->v[i];
	}
	free(m->k);
	free(m->v);
	m->k = k;
	m->v = v;
	m->cap = cap;
	return 0;
}

int sl_strmap_new(struct sl_strmap **mp, size_t hint)
{
	struct sl_strmap *m = calloc(1, sizeof(*m));
	size_t cap = 64;
	while (cap < hint * 2)
		cap *= 2;
	if (!m || alloc(m, cap) < 0) {
		free(m);
		return -ENOMEM;
	}
	*mp = m;
	return 0;
}

void sl_strmap_free(struct sl_strmap *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->cap; i++)
		free(m->k[i]);
	free(m->k);
	free(m->v);
	free(m);
}

int sl_strmap_add(struct sl_strmap *m, const char *key, int v)
{
	if ((m->n + 1) * 2 > m->cap && alloc(m, m->cap * 2) < 0)
		return -ENOMEM;
	size_t i = slot(m->k, m->cap, key);
	if (m->k[i])
		return 0;
	if (!(m->k[i] = strdup(key)))
		return -ENOMEM;
	m->v[i] = v;
	m->n++;
	return 1;
}

int sl_strmap_get(const struct sl_strmap *m, const char *key, int *v)
{
	size_t i = slot(m->k, m->cap, key);
	if (!m->k[i])
		return 0;
	*v = m->v[i];
	return 1;
}

const char *sl_strmap_key2(char *buf, size_t len, const char *a, const char *b)
{
	snprintf(buf, len, "%s\001%s", a ? a : "", b ? b : "");
	return buf;
}
