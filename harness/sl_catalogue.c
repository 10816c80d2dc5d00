/* sl_catalogue.c: reads requirement rows out of the catalogue's markdown tables. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sl_catalogue.h"

struct sl_catalogue {
	struct sl_req *r;
	size_t n, cap;
};

/* Splits "| a | b | c |" into trimmed cells; returns the count. */
static int cells(char *line, char **out, int max)
{
	int n = 0;
	char *p = line;
	if (*p != '|')
		return 0;
	p++;
	while (*p && n < max) {
		char *bar = strchr(p, '|');
		if (!bar)
			break;
		*bar = 0;
		while (isspace((unsigned char)*p))
			p++;
		char *e = bar;
		while (e > p && isspace((unsigned char)e[-1]))
			*--e = 0;
		out[n++] = p;
		p = bar + 1;
	}
	return n;
}

static int is_id(const char *s)
{
	const char *dash = strchr(s, '-');
	if (!dash || dash == s || !dash[1])
		return 0;
	for (const char *p = s; *p; p++)
		if (!isupper((unsigned char)*p) && !isdigit((unsigned char)*p) && *p != '-')
			return 0;
	return 1;
}

int sl_catalogue_load(struct sl_catalogue **cp, const char *path, char *err, size_t errlen)
{
	int rc = 0;
	char line[4096];
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	struct sl_catalogue *c = calloc(1, sizeof(*c));
	if (!c) {
		rc = -ENOMEM;
		goto out;
	}
	while (fgets(line, sizeof(line), f)) {
		char *cl[8];
		int n = cells(line, cl, 8);
		if (n < 3 || !is_id(cl[0]))
			continue;
		if (sl_catalogue_find(c, cl[0])) {
			snprintf(err, errlen, "%s: requirement %s listed twice", path, cl[0]);
			rc = -EINVAL;
			goto out;
		}
		if (c->n == c->cap) {
			size_t cap = c->cap ? c->cap * 2 : 64;
			struct sl_req *r = realloc(c->r, cap * sizeof(*r));
			if (!r) {
				rc = -ENOMEM;
				goto out;
			}
			c->r = r;
			c->cap = cap;
		}
		struct sl_req *r = &c->r[c->n++];
		memset(r, 0, sizeof(*r));
		snprintf(r->id, sizeof(r->id), "%s", cl[0]);
		snprintf(r->level, sizeof(r->level), "%s", cl[1]);
		/* Zone rows have no role column: ID | Lvl | Requirement. */
		if (n >= 4) {
			snprintf(r->role, sizeof(r->role), "%s", cl[2]);
			snprintf(r->text, sizeof(r->text), "%s", cl[3]);
		} else {
			snprintf(r->role, sizeof(r->role), "Z");
			snprintf(r->text, sizeof(r->text), "%s", cl[2]);
		}
	}
	if (!c->n) {
		snprintf(err, errlen, "%s: no requirement rows found", path);
		rc = -EINVAL;
	}
out:
	fclose(f);
	if (rc)
		sl_catalogue_free(c);
	else
		*cp = c;
	return rc;
}

void sl_catalogue_free(struct sl_catalogue *c)
{
	if (!c)
		return;
	free(c->r);
	free(c);
}

size_t sl_catalogue_count(const struct sl_catalogue *c)
{
	return c->n;
}

const struct sl_req *sl_catalogue_at(const struct sl_catalogue *c, size_t i)
{
	return i < c->n ? &c->r[i] : NULL;
}

const struct sl_req *sl_catalogue_find(const struct sl_catalogue *c, const char *id)
{
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->r[i].id, id))
			return &c->r[i];
	return NULL;
}
