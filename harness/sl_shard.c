/* sl_shard.c: the cost table and a deterministic longest-first split into N shards. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sl_shard.h"

#define DEFAULT_MS 1000

struct cost {
	char *id;
	uint64_t ms;
};

struct sl_costs {
	struct cost *v;
	size_t n;
	uint64_t median;
};

void sl_costs_free(struct sl_costs *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		free(c->v[i].id);
	free(c->v);
	free(c);
}

static int by_id(const void *a, const void *b)
{
	return strcmp(((const struct cost *)a)->id, ((const struct cost *)b)->id);
}

static int by_ms(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static int parse_line(struct sl_costs *c, char *line, const char *path, int lineno,
		      char *err, size_t errlen)
{
	line[strcspn(line, "\r\n")] = 0;
	char *p = line;
	while (*p == ' ' || *p == '\t')
		p++;
	if (!*p || *p == '#')
		return 0;
	char *tab = strchr(p, '\t');
	char *end = NULL;
	double s = tab ? strtod(tab + 1, &end) : -1;
	if (!tab || end == tab + 1 || (*end && *end != '\t' && *end != ' ') || !(s >= 0) ||
	    s > 1e6) {
		snprintf(err, errlen, "%s:%d: expected \"scenario-id<TAB>seconds\"", path, lineno);
		return -EINVAL;
	}
	*tab = 0;
	struct cost *v = realloc(c->v, (c->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	c->v = v;
	c->v[c->n].id = strdup(p);
	if (!c->v[c->n].id)
		return -ENOMEM;
	/* Whole milliseconds: the split must come out the same on every machine. */
	c->v[c->n++].ms = (uint64_t)(s * 1000 + 0.5);
	return 0;
}

int sl_costs_load(struct sl_costs **cp, const char *path, char *err, size_t errlen)
{
	struct sl_costs *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	int rc = 0;
	FILE *f = fopen(path, "r");
	if (f) {
		char line[1024];
		int lineno = 0;
		while (!rc && fgets(line, sizeof(line), f))
			rc = parse_line(c, line, path, ++lineno, err, errlen);
		fclose(f);
	} else if (errno != ENOENT) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
	}
	if (rc) {
		sl_costs_free(c);
		return rc;
	}
	c->median = DEFAULT_MS;
	if (c->n) {
		uint64_t *ms = malloc(c->n * sizeof(*ms));
		if (!ms) {
			sl_costs_free(c);
			return -ENOMEM;
		}
		for (size_t i = 0; i < c->n; i++)
			ms[i] = c->v[i].ms;
		qsort(ms, c->n, sizeof(*ms), by_ms);
		c->median = ms[c->n / 2];
		free(ms);
		qsort(c->v, c->n, sizeof(*c->v), by_id);
	}
	*cp = c;
	return 0;
}

uint64_t sl_costs_ms(const struct sl_costs *c, const char *id)
{
	if (!c || !c->n)
		return c ? c->median : DEFAULT_MS;
	struct cost key = { (char *)id, 0 };
	const struct cost *hit = bsearch(&key, c->v, c->n, sizeof(*c->v), by_id);
	return hit ? hit->ms : c->median;
}

size_t sl_costs_count(const struct sl_costs *c)
{
	return c ? c->n : 0;
}

int sl_shard_parse(const char *s, unsigned *k, unsigned *n)
{
	char *end;
	unsigned long a = strtoul(s, &end, 10);
	if (end == s || *end != '/')
		return -EINVAL;
	const char *t = end + 1;
	unsigned long b = strtoul(t, &end, 10);
	if (end == t || *end || a < 1 || b < 1 || a > b || b > 1000)
		return -EINVAL;
	*k = (unsigned)a;
	*n = (unsigned)b;
	return 0;
}

struct unit {
	const char *key;
	uint64_t ms;
	size_t i;
};

static int heavier_first(const void *a, const void *b)
{
	const struct unit *x = a, *y = b;
	if (x->ms != y->ms)
		return x->ms < y->ms ? 1 : -1;
	return strcmp(x->key, y->key);
}

static uint64_t fnv(uint64_t h, const void *p, size_t len)
{
	const unsigned char *s = p;
	for (size_t i = 0; i < len; i++)
		h = (h ^ s[i]) * 1099511628211ull;
	return h;
}

int sl_shard_assign(const char *const *key, const uint64_t *cost_ms, size_t n,
		    unsigned nshards, unsigned *shard, uint64_t *plan)
{
	struct unit *u = calloc(n ? n : 1, sizeof(*u));
	uint64_t *load = calloc(nshards ? nshards : 1, sizeof(*load));
	if (!u || !load) {
		free(u);
		free(load);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		u[i] = (struct unit){ key[i], cost_ms[i], i };
	/* Sorted by cost then key: the given order cannot matter. */
	qsort(u, n, sizeof(*u), heavier_first);
	/* The digest hashes text only, so it is the same on every machine. */
	char num[16];
	uint64_t h = 14695981039346656037ull;
	h = fnv(h, num, (size_t)snprintf(num, sizeof(num), "%u/", nshards));
	for (size_t i = 0; i < n; i++) {
		unsigned best = 0;
		for (unsigned s = 1; s < nshards; s++)
			if (load[s] < load[best])
				best = s;
		load[best] += u[i].ms ? u[i].ms : 1;
		shard[u[i].i] = best;
		h = fnv(h, u[i].key, strlen(u[i].key) + 1);
		h = fnv(h, num, (size_t)snprintf(num, sizeof(num), "=%u;", best));
	}
	if (plan)
		*plan = h;
	free(u);
	free(load);
	return 0;
}
