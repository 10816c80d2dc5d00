/* fdns_zone.c: the fake DNS zone store: master-file text parsed with ldns, records kept
 * in file order, case-insensitive lookups by owner through a hash index; the zone's answer
 * options, fault rules, precompiled answers and changes staged for later. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fdns_internal.h"

/* ldns turns a default TTL of 0 into 3600, so we hand it this value instead and put the
 * real default back. RFC 2181 makes TTLs above 2^31-1 meaningless, so no zone needs it. */
#define TTL_UNSET UINT32_MAX
#define ERR_TEXT_MAX 120

/* One owner name of the index: the IN records it owns (indices into rr, zone order), or
 * none for a name that exists only as an ancestor of owners (empty non-terminal). */
struct name_node {
	uint8_t name[LDNS_MAX_DOMAINLEN + 1]; /* lower-cased wire form */
	size_t len;
	uint64_t hash;
	size_t *recs, nrecs, cap;
};

/* Open addressing over nodes: lookups cost one hash whatever the zone's size. */
struct name_index {
	struct name_node *nodes;
	size_t n, cap;
	uint32_t *slots;       /* node index + 1; 0: empty */
	size_t mask;
};

struct fdns_zone {
	ldns_rr **rr;          /* zone order: RRset order on the wire comes from here */
	size_t n, cap;
	const ldns_rr *soa;    /* first IN SOA in rr, or synth */
	ldns_rr *synth;        /* only when the zone has no SOA of its own */
	int shuffle, additional;
	int no_chase;             /* zero by default: CNAMEs are chased */
	uint64_t rng;          /* splitmix64 state of the shuffle */
	uint64_t gen;          /* bumped by every change an answer could depend on */
	struct name_index idx;
	struct fdns_rules *rules;
	struct fdns_cache *cache;
	struct fdns_staged *staged;
};

struct fdns_staged {
	struct fdns_zone *zone, *change;
	int replace, applied;
	void *user;
	struct fdns_staged *next;
};

static int lc(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* Length bytes are < 64, so folding them with the label bytes is harmless. */
static int wire_eq(const uint8_t *a, const uint8_t *b, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (lc(a[i]) != lc(b[i]))
			return 0;
	return 1;
}

/* Whether wire name n equals anc or lies below it; the suffix must start on a label. */
static int wire_under(const uint8_t *n, size_t ns, const uint8_t *anc, size_t as)
{
	if (as > ns || as == 0)
		return 0;
	size_t off = 0;
	while (off < ns - as) {
		if (n[off] == 0)
			return 0;
		off += (size_t)n[off] + 1;
	}
	return off == ns - as && wire_eq(n + off, anc, as);
}

static int name_eq(const ldns_rdf *a, const ldns_rdf *b)
{
	return ldns_rdf_size(a) == ldns_rdf_size(b) &&
	       wire_eq(ldns_rdf_data(a), ldns_rdf_data(b), ldns_rdf_size(a));
}

uint64_t fdns_name_hash(const uint8_t *lname, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < len; i++)
		h = (h ^ lname[i]) * 0x100000001b3ull;
	return h;
}

size_t fdns_name_lower(uint8_t *out, const uint8_t *name, size_t len)
{
	for (size_t i = 0; i < len; i++)
		out[i] = (uint8_t)lc(name[i]);
	return len;
}

static struct name_node *index_find(const struct name_index *x, const uint8_t *lname,
				    size_t len, uint64_t h)
{
	if (!x->slots)
		return NULL;
	for (size_t i = h & x->mask;; i = (i + 1) & x->mask) {
		uint32_t s = x->slots[i];
		if (!s)
			return NULL;
		struct name_node *nd = &x->nodes[s - 1];
		if (nd->hash == h && nd->len == len && memcmp(nd->name, lname, len) == 0)
			return nd;
	}
}

static const struct name_node *lookup(const struct fdns_zone *z, const ldns_rdf *name)
{
	uint8_t l[LDNS_MAX_DOMAINLEN + 1];
	size_t len = ldns_rdf_size(name);
	if (len > sizeof(l))
		return NULL;
	fdns_name_lower(l, ldns_rdf_data(name), len);
	return index_find(&z->idx, l, len, fdns_name_hash(l, len));
}

int fdns_zone_rrset(const struct fdns_zone *z, const ldns_rdf *name, ldns_rr_type type,
		    const ldns_rdf *owner, ldns_rr_list *out)
{
	int n = 0;
	const struct name_node *nd = lookup(z, name);
	for (size_t k = 0; nd && k < nd->nrecs; k++) {
		const ldns_rr *rr = z->rr[nd->recs[k]];
		if (ldns_rr_get_type(rr) != type)
			continue;
		ldns_rr *c = ldns_rr_clone(rr);
		ldns_rdf *o = ldns_rdf_clone(owner);
		if (c && o) {
			ldns_rdf_deep_free(ldns_rr_owner(c));
			ldns_rr_set_owner(c, o);
			o = NULL;
			if (ldns_rr_list_push_rr(out, c)) {
				n++;
				continue;
			}
		}
		ldns_rr_free(c);
		ldns_rdf_deep_free(o);
		return -ENOMEM;
	}
	return n;
}

int fdns_zone_name_exists(const struct fdns_zone *z, const ldns_rdf *name)
{
	return lookup(z, name) != NULL;
}

static void index_free(struct name_index *x)
{
	for (size_t i = 0; i < x->n; i++)
		free(x->nodes[i].recs);
	free(x->nodes);
	free(x->slots);
	memset(x, 0, sizeof(*x));
}

/* The node of lname, added (without records) when missing; NULL when out of memory. The
 * table is sized before insertion starts, so it never fills up. */
static struct name_node *index_add(struct name_index *x, const uint8_t *lname, size_t len)
{
	uint64_t h = fdns_name_hash(lname, len);
	struct name_node *nd = index_find(x, lname, len, h);
	if (nd)
		return nd;
	if (x->n == x->cap)
		return NULL;
	nd = &x->nodes[x->n];
	memset(nd, 0, sizeof(*nd));
	memcpy(nd->name, lname, len);
	nd->len = len;
	nd->hash = h;
	size_t i = h & x->mask;
	while (x->slots[i])
		i = (i + 1) & x->mask;
	x->slots[i] = (uint32_t)++x->n;
	return nd;
}

/* Each IN record under its owner, and every ancestor of an owner as a name that exists
 * (RFC 8020: an empty non-terminal is NODATA, not NXDOMAIN). */
static int index_build(struct fdns_zone *z)
{
	struct name_index x = { 0 };
	size_t labels = 0;
	for (size_t i = 0; i < z->n; i++)
		labels += ldns_dname_label_count(ldns_rr_owner(z->rr[i])) + 1;
	x.cap = labels + 1;
	size_t slots = 16;
	while (slots < 2 * x.cap)
		slots *= 2;
	x.mask = slots - 1;
	x.nodes = malloc(x.cap * sizeof(*x.nodes));
	x.slots = calloc(slots, sizeof(*x.slots));
	if (!x.nodes || !x.slots)
		goto fail;
	for (size_t i = 0; i < z->n; i++) {
		if (ldns_rr_get_class(z->rr[i]) != LDNS_RR_CLASS_IN)
			continue;
		const ldns_rdf *o = ldns_rr_owner(z->rr[i]);
		uint8_t l[LDNS_MAX_DOMAINLEN + 1];
		size_t len = ldns_rdf_size(o);
		if (len > sizeof(l))
			continue; /* ldns never makes one; such a name could not be asked for */
		fdns_name_lower(l, ldns_rdf_data(o), len);
		struct name_node *nd = index_add(&x, l, len);
		if (!nd)
			goto fail;
		if (nd->nrecs == nd->cap) {
			size_t cap = nd->cap ? 2 * nd->cap : 4;
			size_t *v = realloc(nd->recs, cap * sizeof(*v));
			if (!v)
				goto fail;
			nd->recs = v;
			nd->cap = cap;
		}
		nd->recs[nd->nrecs++] = i;
		for (size_t off = 0; l[off] != 0;) {
			off += (size_t)l[off] + 1;
			if (!index_add(&x, l + off, len - off))
				goto fail;
		}
	}
	index_free(&z->idx);
	z->idx = x;
	return 0;
fail:
	/* The old index may point past the records now held: none is safer than that. */
	index_free(&x);
	index_free(&z->idx);
	return -ENOMEM;
}

const ldns_rr *fdns_zone_soa(const struct fdns_zone *z)
{
	return z->soa;
}

size_t fdns_zone_count(const struct fdns_zone *z)
{
	return z->n;
}

const ldns_rr *fdns_zone_record(const struct fdns_zone *z, size_t i)
{
	return i < z->n ? z->rr[i] : NULL;
}

/* Offset in a of the longest label-aligned suffix that b also ends with. */
static size_t common_suffix_off(const uint8_t *a, size_t as, const uint8_t *b, size_t bs)
{
	for (size_t off = 0; off < as && a[off] != 0; off += (size_t)a[off] + 1)
		if (wire_under(b, bs, a + off, as - off))
			return off;
	return as - 1;
}

/* Negative answers need an SOA even from a zone written without one; its owner must not
 * depend on load order quirks, hence the common suffix of every owner. */
static int rebuild_soa(struct fdns_zone *z)
{
	int rc = 0;
	ldns_rdf *apex = NULL;
	ldns_rr *soa = NULL;
	for (size_t i = 0; i < z->n; i++) {
		if (ldns_rr_get_type(z->rr[i]) == LDNS_RR_TYPE_SOA &&
		    ldns_rr_get_class(z->rr[i]) == LDNS_RR_CLASS_IN) {
			ldns_rr_free(z->synth);
			z->synth = NULL;
			z->soa = z->rr[i];
			goto out;
		}
	}
	const uint8_t *a = (const uint8_t *)"";
	size_t as = 1;
	if (z->n) {
		a = ldns_rdf_data(ldns_rr_owner(z->rr[0]));
		as = ldns_rdf_size(ldns_rr_owner(z->rr[0]));
	}
	for (size_t i = 1; i < z->n; i++) {
		const ldns_rdf *o = ldns_rr_owner(z->rr[i]);
		size_t off = common_suffix_off(a, as, ldns_rdf_data(o), ldns_rdf_size(o));
		a += off;
		as -= off;
	}
	apex = ldns_dname_new_frm_data((uint16_t)as, a);
	if (!apex || ldns_rr_new_frm_str(&soa, ". 0 IN SOA ns.invalid. hostmaster.invalid. "
					 "1 3600 600 86400 0", 0, NULL, NULL) != LDNS_STATUS_OK) {
		rc = -ENOMEM;
		goto out;
	}
	ldns_rdf_deep_free(ldns_rr_owner(soa));
	ldns_rr_set_owner(soa, apex);
	apex = NULL;
	ldns_rr_free(z->synth);
	z->synth = soa;
	z->soa = soa;
	soa = NULL;
out:
	ldns_rdf_deep_free(apex);
	ldns_rr_free(soa);
	return rc;
}

int fdns_zone_new(struct fdns_zone **zp)
{
	int rc = 0;
	struct fdns_zone *z = calloc(1, sizeof(*z));
	if (!z) {
		rc = -ENOMEM;
		goto out;
	}
	rc = rebuild_soa(z);
	if (rc < 0)
		goto out;
	rc = fdns_rules_new(&z->rules);
	if (rc < 0)
		goto out;
	rc = fdns_cache_new(&z->cache);
	if (rc < 0)
		goto out;
	*zp = z;
	z = NULL;
out:
	fdns_zone_free(z);
	return rc;
}

void fdns_zone_free(struct fdns_zone *z)
{
	if (!z)
		return;
	for (size_t i = 0; i < z->n; i++)
		ldns_rr_free(z->rr[i]);
	free(z->rr);
	ldns_rr_free(z->synth);
	index_free(&z->idx);
	fdns_rules_free(z->rules);
	fdns_cache_free(z->cache);
	while (z->staged) {
		struct fdns_staged *h = z->staged;
		z->staged = h->next;
		fdns_zone_free(h->change);
		free(h);
	}
	free(z);
}

void fdns_zone_set_shuffle(struct fdns_zone *z, int on, uint64_t seed)
{
	z->shuffle = on;
	z->rng = seed;
	z->gen++;
}

void fdns_zone_set_additional(struct fdns_zone *z, int on)
{
	z->additional = on;
	z->gen++;
}

uint64_t fdns_zone_gen(const struct fdns_zone *z)
{
	return z->gen;
}

struct fdns_cache *fdns_zone_cache(struct fdns_zone *z)
{
	return z->cache;
}

uint64_t fdns_zone_rng_state(const struct fdns_zone *z)
{
	return z->rng;
}

void fdns_zone_rng_restore(struct fdns_zone *z, uint64_t state)
{
	z->rng = state;
}

void fdns_zone_set_chase(struct fdns_zone *z, int on)
{
	z->no_chase = !on;
	z->gen++;
}

int fdns_zone_chase(const struct fdns_zone *z)
{
	return !z->no_chase;
}

int fdns_zone_additional(const struct fdns_zone *z)
{
	return z->additional;
}

int fdns_zone_shuffled(const struct fdns_zone *z)
{
	return z->shuffle;
}

/* splitmix64: tiny, and the same sequence on every platform for one seed. */
size_t fdns_zone_rand(struct fdns_zone *z, size_t n)
{
	uint64_t x = (z->rng += 0x9E3779B97F4A7C15ull);
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
	x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
	x ^= x >> 31;
	return n ? (size_t)(x % n) : 0;
}

struct fdns_rules *fdns_zone_rules(struct fdns_zone *z)
{
	return z->rules;
}

int fdns_zone_add_fault(struct fdns_zone *z, const struct fdns_fault *f, char *err,
			size_t errlen)
{
	return fdns_rules_add(z->rules, f, err, errlen);
}

int fdns_zone_stage(struct fdns_zone *z, struct fdns_zone *change, int replace, void *user,
		    struct fdns_staged **hp)
{
	struct fdns_staged *h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	*h = (struct fdns_staged){ .zone = z, .change = change, .replace = replace,
				   .user = user, .next = z->staged };
	z->staged = h;
	*hp = h;
	return 0;
}

int fdns_staged_apply(struct fdns_staged *h)
{
	if (h->applied)
		return 0;
	h->applied = 1;
	return fdns_zone_merge(h->zone, h->change, h->replace);
}

void *fdns_staged_user(const struct fdns_staged *h)
{
	return h->user;
}

size_t fdns_staged_count(const struct fdns_staged *h)
{
	return h->change->n;
}

/* The RRset a record belongs to, hashed (type, class, owner in lower case): records that
 * ldns_rr_compare() calls equal always share it. */
static uint64_t rrset_hash(const ldns_rr *rr)
{
	uint8_t l[LDNS_MAX_DOMAINLEN + 1];
	const ldns_rdf *o = ldns_rr_owner(rr);
	size_t len = o ? ldns_rdf_size(o) : 0;
	if (len > sizeof(l))
		len = sizeof(l);
	if (len)
		fdns_name_lower(l, ldns_rdf_data(o), len);
	uint64_t h = 14695981039346656037ull;
	h = (h ^ ldns_rr_get_type(rr)) * 1099511628211ull;
	h = (h ^ ldns_rr_get_class(rr)) * 1099511628211ull;
	for (size_t i = 0; i < len; i++)
		h = (h ^ l[i]) * 1099511628211ull;
	return h;
}

static int same_rr(const ldns_rr *a, const ldns_rr *b)
{
	return ldns_rr_get_type(a) == ldns_rr_get_type(b) &&
	       ldns_rr_get_class(a) == ldns_rr_get_class(b) &&
	       name_eq(ldns_rr_owner(a), ldns_rr_owner(b)) && ldns_rr_compare(a, b) == 0;
}

/* Moves the parsed records in; all or nothing, so a failed load leaves the zone as it was.
 * An RRset is a set: a record repeated in the text is kept once, at its first place. The
 * duplicate test looks only at the record's own RRset (a table of RRset chains), so a
 * zone of 10 000 domains loads in linear time. */
static int commit(struct fdns_zone *z, ldns_rr_list *batch)
{
	size_t add = ldns_rr_list_rr_count(batch);
	size_t slots = 16;
	while (slots < 2 * (z->n + add))
		slots *= 2;
	size_t *head = malloc(slots * sizeof(*head));
	size_t *next = malloc((z->n + add + 1) * sizeof(*next));
	if (!head || !next)
		goto nomem;
	if (z->n + add > z->cap) {
		size_t cap = z->cap ? z->cap : 16;
		while (cap < z->n + add)
			cap *= 2;
		ldns_rr **v = realloc(z->rr, cap * sizeof(*v));
		if (!v)
			goto nomem;
		z->rr = v;
		z->cap = cap;
	}
	/* chains of record indices + 1 (0 ends a chain) */
	memset(head, 0, slots * sizeof(*head));
	for (size_t i = 0; i < z->n; i++) {
		size_t b = (size_t)rrset_hash(z->rr[i]) & (slots - 1);
		next[i] = head[b];
		head[b] = i + 1;
	}
	for (size_t i = 0; i < add; i++) {
		ldns_rr *rr = ldns_rr_list_rr(batch, i);
		size_t b = (size_t)rrset_hash(rr) & (slots - 1);
		int dup = 0;
		for (size_t k = head[b]; k && !dup; k = next[k - 1])
			dup = same_rr(z->rr[k - 1], rr);
		if (dup) {
			ldns_rr_free(rr);
			continue;
		}
		next[z->n] = head[b];
		head[b] = z->n + 1;
		z->rr[z->n++] = rr;
	}
	free(head);
	free(next);
	ldns_rr_list_set_rr_count(batch, 0);
	z->gen++;
	int rc = rebuild_soa(z);
	return rc < 0 ? rc : index_build(z);
nomem:
	free(head);
	free(next);
	return -ENOMEM;
}

int fdns_zone_merge(struct fdns_zone *z, const struct fdns_zone *src, int replace)
{
	int rc = 0;
	ldns_rr_list *batch = ldns_rr_list_new();
	if (!batch)
		return -ENOMEM;
	for (size_t i = 0; i < src->n; i++) {
		ldns_rr *c = ldns_rr_clone(src->rr[i]);
		if (!c || !ldns_rr_list_push_rr(batch, c)) {
			ldns_rr_free(c);
			rc = -ENOMEM;
			goto out;
		}
	}
	/* Room first, so that nothing fails once the old records are gone. */
	size_t need = (replace ? 0 : z->n) + src->n;
	if (need > z->cap) {
		ldns_rr **v = realloc(z->rr, need * sizeof(*v));
		if (!v) {
			rc = -ENOMEM;
			goto out;
		}
		z->rr = v;
		z->cap = need;
	}
	if (replace) {
		for (size_t i = 0; i < z->n; i++)
			ldns_rr_free(z->rr[i]);
		z->n = 0;
	}
	rc = commit(z, batch);
out:
	ldns_rr_list_deep_free(batch);
	return rc;
}

void fdns_set_err(char *err, size_t errlen, const char *fmt, ...)
{
	if (!err || !errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* First byte of the record proper in [from, to): past blanks and comment lines. */
static size_t skip_blank(const char *t, size_t from, size_t to)
{
	size_t i = from;
	while (i < to) {
		if (t[i] == ';')
			while (i < to && t[i] != '\n')
				i++;
		else if (isspace((unsigned char)t[i]))
			i++;
		else
			return i;
	}
	return from;
}

/* The record as the user wrote it, on one line, for the error message. */
static void record_text(const char *t, size_t from, size_t to, char *buf, size_t len)
{
	size_t o = 0;
	int space = 0;
	for (size_t i = from; i < to; i++) {
		if (isspace((unsigned char)t[i])) {
			space = 1;
			continue;
		}
		if (o + (space && o) + 4 >= len) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		if (space && o)
			buf[o++] = ' ';
		space = 0;
		buf[o++] = t[i];
	}
	buf[o] = '\0';
}

static int parse_error(const char *text, size_t from, size_t to, ldns_status st,
		       const char *file, int first_line, char *err, size_t errlen)
{
	size_t start = skip_blank(text, from, to);
	int line = first_line;
	for (size_t i = 0; i < start; i++)
		line += text[i] == '\n';
	char rec[ERR_TEXT_MAX + 4];
	record_text(text, start, to, rec, sizeof(rec));
	fdns_set_err(err, errlen, "%s:%d: %s in '%s'", file ? file : "zone", line,
		 ldns_get_errorstr_by_id(st), rec);
	return -EINVAL;
}

int fdns_zone_load_text(struct fdns_zone *z, const char *text, const char *origin,
			uint32_t default_ttl, const char *file, int first_line,
			char *err, size_t errlen)
{
	int rc = 0;
	FILE *fp = NULL;
	ldns_rdf *org = NULL, *prev = NULL;
	ldns_rr_list *batch = ldns_rr_list_new();
	size_t len = strlen(text);
	uint32_t cur_ttl = default_ttl;

	if (!batch) {
		rc = -ENOMEM;
		goto out;
	}
	org = ldns_dname_new_frm_str(origin ? origin : ".");
	if (!org) {
		fdns_set_err(err, errlen, "%s:%d: bad origin '%s'", file ? file : "zone", first_line,
			 origin);
		rc = -EINVAL;
		goto out;
	}
	/* fmemopen refuses an empty buffer on some libcs; an empty text adds nothing anyway. */
	if (len == 0)
		goto commit;
	fp = fmemopen((void *)text, len, "r");
	if (!fp) {
		rc = -errno;
		fdns_set_err(err, errlen, "%s: fmemopen: %s", file ? file : "zone", strerror(errno));
		goto out;
	}
	for (;;) {
		ldns_rr *rr = NULL;
		uint32_t ttl = TTL_UNSET;
		int ldns_line = 0; /* ldns skips blank lines uncounted: we count ourselves */
		long before = ftell(fp);
		ldns_status st = ldns_rr_new_frm_fp_l(&rr, fp, &ttl, &org, &prev, &ldns_line);
		long after = ftell(fp);
		if (before < 0 || after < before)
			before = after = 0;
		if (st == LDNS_STATUS_OK) {
			if (ldns_rr_ttl(rr) == TTL_UNSET)
				ldns_rr_set_ttl(rr, cur_ttl);
			if (!ldns_rr_list_push_rr(batch, rr)) {
				ldns_rr_free(rr);
				rc = -ENOMEM;
				goto out;
			}
		} else if (st == LDNS_STATUS_SYNTAX_TTL) {
			cur_ttl = ttl;
		} else if (st == LDNS_STATUS_SYNTAX_ORIGIN) {
			continue;
		} else if (st == LDNS_STATUS_SYNTAX_EMPTY) {
			if (feof(fp) || after == before)
				break;
		} else {
			rc = parse_error(text, (size_t)before, (size_t)after, st, file, first_line,
					 err, errlen);
			goto out;
		}
	}
commit:
	rc = commit(z, batch);
	if (rc < 0)
		fdns_set_err(err, errlen, "%s: %s", file ? file : "zone", strerror(-rc));
out:
	if (fp)
		fclose(fp);
	ldns_rdf_deep_free(org);
	ldns_rdf_deep_free(prev);
	ldns_rr_list_deep_free(batch);
	return rc;
}

int fdns_zone_load_file(struct fdns_zone *z, const char *path, const char *origin,
			uint32_t default_ttl, char *err, size_t errlen)
{
	int rc = 0;
	char *buf = NULL;
	size_t len = 0, cap = 0;
	FILE *f = fopen(path, "r");
	if (!f) {
		rc = -errno;
		fdns_set_err(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	for (;;) {
		if (cap - len < 4096) {
			char *p = realloc(buf, cap += 65536);
			if (!p) {
				rc = -ENOMEM;
				fdns_set_err(err, errlen, "%s: %s", path, strerror(ENOMEM));
				goto out;
			}
			buf = p;
		}
		size_t n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		rc = -EIO;
		fdns_set_err(err, errlen, "%s: read error", path);
		goto out;
	}
	buf[len] = '\0';
	if (memchr(buf, '\0', len)) {
		rc = -EINVAL;
		fdns_set_err(err, errlen, "%s: not a text file (NUL byte)", path);
		goto out;
	}
	rc = fdns_zone_load_text(z, buf, origin, default_ttl, path, 1, err, errlen);
out:
	if (f)
		fclose(f);
	free(buf);
	return rc;
}
