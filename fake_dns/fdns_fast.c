/* fdns_fast.c: the fake DNS's fast path: plain queries parsed by hand and answered from
 * answers the ldns path built once per (name, type, EDNS, DO), with only what differs per
 * query patched in. Anything unusual, faulted or changing per query goes the ldns way. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fdns_internal.h"

#define HDR 12
#define PLAIN_UDP_LIMIT 512
#define TCP_LIMIT 65535
/* Bounds, so that a client asking for ever new names cannot grow us without end: past
 * either, the whole table starts over (answers stay right, only slower for a while). */
#define MAX_ENTRIES 65536
#define MAX_BYTES (8u << 20)

/* Header bits the reply copies from the query (fdns_answer.c reply_new): RD, then CD. */
#define RD_BIT 0x01 /* byte 2 */
#define CD_BIT 0x10 /* byte 3 */

/* One question's answers in one allocation sized to fit (ldns hands out 64 KiB buffers:
 * kept as they are, a flood of new names would cost 8 KiB of memory each). */
struct entry {
	uint64_t hash;
	uint32_t full_len, noadd_len, tc_len;
	uint16_t qtype;
	uint8_t qlen, edns, dnssec_ok;
	uint8_t dynamic;       /* differs per query (the shuffle draws): the ldns path's */
	uint8_t has_noadd;
	uint8_t *tc;           /* the truncated form, built when first needed */
	uint8_t data[];        /* lower-cased wire qname, then full, then noadd */
};

struct fdns_cache {
	int off;
	size_t hits;           /* answers the fast path gave */
	uint64_t gen;          /* the zone's generation the entries were built from */
	struct entry **slots;
	size_t mask, n, bytes;
};

/* A query the fast path can take: one IN question with a plain name, maybe an OPT. */
struct question {
	const uint8_t *name;   /* at HDR in the query: the asker's spelling */
	size_t len;            /* wire length, final zero included */
	uint16_t qtype;
	int edns, dnssec_ok;
	uint16_t udp_size;
};

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

int fdns_cache_new(struct fdns_cache **cp)
{
	struct fdns_cache *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	*cp = c;
	return 0;
}

static void cache_clear(struct fdns_cache *c)
{
	for (size_t i = 0; c->slots && i <= c->mask; i++) {
		if (c->slots[i]) {
			free(c->slots[i]->tc);
			free(c->slots[i]);
			c->slots[i] = NULL;
		}
	}
	c->n = c->bytes = 0;
}

void fdns_cache_free(struct fdns_cache *c)
{
	if (!c)
		return;
	cache_clear(c);
	free(c->slots);
	free(c);
}

void fdns_cache_enable(struct fdns_cache *c, int on)
{
	c->off = !on;
}

size_t fdns_cache_count(const struct fdns_cache *c)
{
	return c->n;
}

size_t fdns_cache_hits(const struct fdns_cache *c)
{
	return c->hits;
}

/* Meta and transfer types are answered NOTIMP by the ldns path (fdns_answer.c classify). */
static int meta_type(uint16_t t)
{
	return t == LDNS_RR_TYPE_ANY || t == LDNS_RR_TYPE_AXFR || t == LDNS_RR_TYPE_IXFR ||
	       t == LDNS_RR_TYPE_MAILA || t == LDNS_RR_TYPE_MAILB;
}

/* Accepts exactly the shape ldns_wire2pkt reads the same way every time: a query (QR 0,
 * opcode QUERY), one question with an uncompressed name that is not the root, class IN,
 * and no records but an optional OPT with the root as owner, and nothing after it. */
static int parse(const uint8_t *q, size_t len, struct question *qn)
{
	if (len < HDR || (q[2] & 0x80) || ((q[2] >> 3) & 0x0F) != LDNS_PACKET_QUERY ||
	    get16(q + 4) != 1 || get16(q + 6) || get16(q + 8) || get16(q + 10) > 1)
		return 0;
	size_t off = HDR;
	while (off < len && q[off] != 0) {
		if (q[off] > LDNS_MAX_LABELLEN)
			return 0; /* a pointer or an extended label type */
		off += (size_t)q[off] + 1;
	}
	/* ldns takes names up to 255 bytes, final zero included */
	if (off >= len || off == HDR || off + 1 - HDR > LDNS_MAX_DOMAINLEN)
		return 0;
	qn->name = q + HDR;
	qn->len = off + 1 - HDR;
	off++;
	if (off + 4 > len || get16(q + off + 2) != LDNS_RR_CLASS_IN)
		return 0;
	qn->qtype = get16(q + off);
	off += 4;
	qn->edns = qn->dnssec_ok = 0;
	qn->udp_size = 0;
	if (get16(q + 10)) {
		/* root owner, type, class = payload size, TTL = ext-rcode, version, flags */
		if (off + 11 > len || q[off] != 0 || get16(q + off + 1) != LDNS_RR_TYPE_OPT)
			return 0;
		qn->edns = 1;
		qn->udp_size = get16(q + off + 3);
		qn->dnssec_ok = (q[off + 7] & 0x80) != 0;
		off += 11 + get16(q + off + 9);
	}
	return off == len && !meta_type(qn->qtype);
}

static uint64_t key_hash(const uint8_t *lname, size_t len, uint16_t qtype, int edns, int dok)
{
	return fdns_name_hash(lname, len) ^
	       ((uint64_t)qtype << 2 | (uint64_t)edns << 1 | (uint64_t)dok) * 0x9E3779B97F4A7C15ull;
}

static struct entry **slot_of(struct fdns_cache *c, uint64_t h, const uint8_t *lname,
			      size_t len, uint16_t qtype, int edns, int dok)
{
	for (size_t i = h & c->mask;; i = (i + 1) & c->mask) {
		struct entry *e = c->slots[i];
		if (!e || (e->hash == h && e->qtype == qtype && e->edns == edns &&
			   e->dnssec_ok == dok && e->qlen == len &&
			   memcmp(e->data, lname, len) == 0))
			return &c->slots[i];
	}
}

/* Room for one more entry: the table at most half full. */
static int make_room(struct fdns_cache *c)
{
	if (c->n >= MAX_ENTRIES || c->bytes >= MAX_BYTES)
		cache_clear(c);
	if (c->slots && 2 * (c->n + 1) <= c->mask + 1)
		return 0;
	size_t cap = c->slots ? 2 * (c->mask + 1) : 256;
	struct entry **v = calloc(cap, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; c->slots && i <= c->mask; i++) {
		struct entry *e = c->slots[i];
		if (!e)
			continue;
		size_t j = e->hash & (cap - 1);
		while (v[j])
			j = (j + 1) & (cap - 1);
		v[j] = e;
	}
	free(c->slots);
	c->slots = v;
	c->mask = cap - 1;
	return 0;
}

/* The question as nobody asks it (ID 0, no flags, lower case): what the forms are built
 * from, so that they hold nothing of one asker's. */
static size_t canonical_query(uint8_t *out, const uint8_t *lname, size_t len, uint16_t qtype,
			      int edns, int dok)
{
	size_t off = HDR;
	memset(out, 0, HDR);
	out[5] = 1;
	out[11] = (uint8_t)edns;
	memcpy(out + off, lname, len);
	off += len;
	out[off++] = (uint8_t)(qtype >> 8);
	out[off++] = (uint8_t)qtype;
	out[off++] = 0;
	out[off++] = LDNS_RR_CLASS_IN;
	if (edns) {
		static const uint8_t opt[11] = { 0, 0, LDNS_RR_TYPE_OPT, 0x02, 0x00 };
		memcpy(out + off, opt, sizeof(opt));
		out[off + 7] = dok ? 0x80 : 0;
		off += sizeof(opt);
	}
	return off;
}

/* A new entry for the question, built by the ldns path. An answer that drew from the
 * shuffle generator would differ next time: the draws are undone (the ldns path will make
 * them again for this very query) and the entry says so. NULL: no memory. */
static struct entry *compile(struct fdns_zone *z, const uint8_t *lname, size_t len,
			     uint16_t qtype, int edns, int dok, uint64_t h)
{
	uint8_t wire[HDR + LDNS_MAX_DOMAINLEN + 1 + 4 + 11];
	size_t wlen = canonical_query(wire, lname, len, qtype, edns, dok);
	struct fdns_forms f;
	struct entry *e = NULL;
	uint64_t rng = fdns_zone_rng_state(z);
	if (fdns_answer_compile(z, wire, wlen, -1, &f) < 0) {
		fdns_zone_rng_restore(z, rng);
		return NULL;
	}
	int dynamic = fdns_zone_rng_state(z) != rng;
	if (dynamic) {
		fdns_zone_rng_restore(z, rng);
		fdns_forms_free(&f);
	}
	e = calloc(1, sizeof(*e) + len + f.full_len + f.noadd_len);
	if (e) {
		*e = (struct entry){ .hash = h, .qtype = qtype, .qlen = (uint8_t)len,
				     .edns = (uint8_t)edns, .dnssec_ok = (uint8_t)dok,
				     .dynamic = (uint8_t)dynamic, .has_noadd = f.noadd != NULL,
				     .full_len = (uint32_t)f.full_len,
				     .noadd_len = (uint32_t)f.noadd_len };
		memcpy(e->data, lname, len);
		if (f.full)
			memcpy(e->data + len, f.full, f.full_len);
		if (f.noadd)
			memcpy(e->data + len + f.full_len, f.noadd, f.noadd_len);
	}
	fdns_forms_free(&f);
	return e;
}

static struct entry *find_or_compile(struct fdns_zone *z, const struct question *qn)
{
	struct fdns_cache *c = fdns_zone_cache(z);
	if (c->gen != fdns_zone_gen(z)) {
		cache_clear(c);
		c->gen = fdns_zone_gen(z);
	}
	uint8_t l[LDNS_MAX_DOMAINLEN + 1];
	fdns_name_lower(l, qn->name, qn->len);
	uint64_t h = key_hash(l, qn->len, qn->qtype, qn->edns, qn->dnssec_ok);
	if (c->slots) {
		struct entry *e = *slot_of(c, h, l, qn->len, qn->qtype, qn->edns, qn->dnssec_ok);
		if (e)
			return e;
	}
	if (make_room(c) < 0)
		return NULL;
	struct entry *e = compile(z, l, qn->len, qn->qtype, qn->edns, qn->dnssec_ok, h);
	if (!e)
		return NULL;
	*slot_of(c, h, l, qn->len, qn->qtype, qn->edns, qn->dnssec_ok) = e;
	c->n++;
	c->bytes += sizeof(*e) + e->qlen + e->full_len + e->noadd_len;
	return e;
}

/* The truncated form, built from the entry's own question on first need. */
static const uint8_t *tc_form(struct fdns_zone *z, struct entry *e, size_t *len)
{
	if (!e->tc) {
		uint8_t wire[HDR + LDNS_MAX_DOMAINLEN + 1 + 4 + 11];
		size_t wlen = canonical_query(wire, e->data, e->qlen, e->qtype, e->edns,
					      e->dnssec_ok);
		struct fdns_forms f;
		int rcode = e->data[e->qlen + 3] & 0x0F; /* the full answer's */
		if (fdns_answer_compile(z, wire, wlen, rcode, &f) < 0)
			return NULL;
		e->tc = malloc(f.tc_len);
		if (e->tc) {
			memcpy(e->tc, f.tc, f.tc_len);
			e->tc_len = (uint32_t)f.tc_len;
			fdns_zone_cache(z)->bytes += f.tc_len;
		}
		fdns_forms_free(&f);
		if (!e->tc)
			return NULL;
	}
	*len = e->tc_len;
	return e->tc;
}

/* ldns_rdf2str's escapes (host2str.c ldns_rdf2buffer_str_dname), so both paths log the
 * same text for the same name. */
void fdns_qname_str(const uint8_t *name, size_t len, char *out, size_t outlen)
{
	char buf[4 * (LDNS_MAX_DOMAINLEN + 1) + 2];
	size_t o = 0;
	if (len <= 1) {
		buf[o++] = '.';
	}
	for (size_t off = 0; len > 1 && off < len && name[off] != 0;) {
		size_t n = name[off++];
		for (size_t i = 0; i < n && off < len; i++, off++) {
			unsigned char c = name[off];
			if (c == '.' || c == ';' || c == '(' || c == ')' || c == '\\') {
				buf[o++] = '\\';
				buf[o++] = (char)c;
			} else if (c < 0x21 || c > 0x7e) {
				buf[o++] = '\\';
				buf[o++] = (char)('0' + c / 100);
				buf[o++] = (char)('0' + c / 10 % 10);
				buf[o++] = (char)('0' + c % 10);
			} else {
				buf[o++] = (char)c;
			}
		}
		if (off < len && name[off] != 0)
			buf[o++] = '.';
	}
	if (!outlen)
		return;
	if (o >= outlen)
		o = outlen - 1;
	memcpy(out, buf, o);
	out[o] = '\0';
}

int fdns_fast_answer(struct fdns_zone *z, const uint8_t *query, size_t len, size_t udp_limit,
		     enum fdns_transport transport, uint8_t **resp, size_t *resp_len,
		     struct fdns_query_log *lg)
{
	struct question qn;
	if (fdns_zone_cache(z)->off || !parse(query, len, &qn))
		return 0;
	const struct fdns_rules *rules = fdns_zone_rules(z);
	if (rules) {
		ldns_rdf name = { ._size = qn.len, ._type = LDNS_RDF_TYPE_DNAME,
				  ._data = (void *)qn.name };
		if (fdns_rules_filter(rules, &name, qn.qtype, transport))
			return 0;
	}
	struct entry *e = find_or_compile(z, &qn);
	if (!e || e->dynamic)
		return 0;
	/* fdns_answer.c size_limit and finish: the same choice among the same forms */
	size_t limit = TCP_LIMIT;
	if (transport != FDNS_TCP && udp_limit) {
		size_t client = qn.edns && qn.udp_size > PLAIN_UDP_LIMIT ? qn.udp_size
									  : PLAIN_UDP_LIMIT;
		limit = udp_limit > client ? udp_limit : client;
	}
	const uint8_t *w = e->data + e->qlen;
	size_t wlen = e->full_len;
	if (wlen > limit && e->has_noadd) {
		w = e->data + e->qlen + e->full_len;
		wlen = e->noadd_len;
	}
	if (wlen > limit && !(w = tc_form(z, e, &wlen)))
		return 0;
	uint8_t *out = malloc(wlen);
	if (!out)
		return 0;
	memcpy(out, w, wlen);
	out[0] = query[0];
	out[1] = query[1];
	out[2] = (uint8_t)((out[2] & ~RD_BIT) | (query[2] & RD_BIT));
	out[3] = (uint8_t)((out[3] & ~CD_BIT) | (query[3] & CD_BIT));
	/* The question comes first, uncompressed; every other use of the name points at it. */
	memcpy(out + HDR, qn.name, qn.len);
	if (lg) {
		fdns_qname_str(qn.name, qn.len, lg->qname, sizeof(lg->qname));
		lg->qtype = qn.qtype;
		lg->id = get16(query);
		lg->flags = get16(query + 2);
		lg->edns = qn.edns ? qn.udp_size : -1;
		lg->dnssec_ok = qn.dnssec_ok;
		lg->rcode = out[3] & 0x0F;
		lg->ancount = get16(out + 6);
		lg->tc = (out[2] & 0x02) != 0;
		lg->error = NULL;
		lg->fault = NULL;
		lg->delay_us = 0;
	}
	*resp = out;
	*resp_len = wlen;
	fdns_zone_cache(z)->hits++;
	return 1;
}
