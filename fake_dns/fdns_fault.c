/* fdns_fault.c: the fake DNS's fault rules (which query, what goes wrong) and the wire
 * damage some faults do to an answer that was built correctly. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fdns_internal.h"

#define HDR 12
#define RR_FIXED 10 /* type, class, TTL, RDLENGTH */
#define PTR_MAX 0x3FFF

struct rule {
	struct fdns_fault f;
	ldns_rdf *name;    /* NULL: any */
	unsigned seen;     /* matching queries so far */
	unsigned applied;  /* queries acted on */
};

struct fdns_rules {
	struct rule *v;
	size_t n;
};

static const char *const names[] = {
	[FDNS_ACT_NONE] = "none",
	[FDNS_ACT_SERVFAIL] = "servfail",
	[FDNS_ACT_NXDOMAIN] = "nxdomain",
	[FDNS_ACT_REFUSED] = "refused",
	[FDNS_ACT_NOTIMP] = "notimp",
	[FDNS_ACT_DROP] = "drop",
	[FDNS_ACT_DELAY] = "delay",
	[FDNS_ACT_TRUNCATE] = "truncate",
	[FDNS_ACT_WRONG_ID] = "wrong-id",
	[FDNS_ACT_WRONG_PORT] = "wrong-port",
	[FDNS_ACT_BAD_POINTER] = "bad-pointer",
	[FDNS_ACT_TRUNCATED_RDATA] = "truncated-rdata",
	[FDNS_ACT_TTL0] = "ttl0",
};
#define NACT (sizeof(names) / sizeof(names[0]))

int fdns_action_parse(const char *name, enum fdns_action *a)
{
	for (size_t i = 1; name && i < NACT; i++) {
		if (strcmp(name, names[i]) == 0) {
			*a = (enum fdns_action)i;
			return 0;
		}
	}
	return -EINVAL;
}

char *fdns_flags_str(uint16_t flags, const char *sep, char *buf, size_t len)
{
	static const struct { uint16_t bit; char name[3]; } bits[] = {
		{ 0x8000, "qr" }, { 0x0400, "aa" }, { 0x0200, "tc" }, { 0x0100, "rd" },
		{ 0x0080, "ra" }, { 0x0040, "z" }, { 0x0020, "ad" }, { 0x0010, "cd" },
	};
	size_t o = 0, seplen = strlen(sep);
	if (!len)
		return buf;
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
		size_t n = strlen(bits[i].name), s = o ? seplen : 0;
		if (!(flags & bits[i].bit) || o + s + n >= len)
			continue;
		memcpy(buf + o, sep, s);
		memcpy(buf + o + s, bits[i].name, n);
		o += s + n;
	}
	buf[o] = '\0';
	return buf;
}

const char *fdns_action_name(enum fdns_action a)
{
	return (size_t)a < NACT ? names[a] : "?";
}

int fdns_rules_new(struct fdns_rules **rp)
{
	*rp = calloc(1, sizeof(**rp));
	return *rp ? 0 : -ENOMEM;
}

void fdns_rules_free(struct fdns_rules *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		ldns_rdf_deep_free(r->v[i].name);
	free(r->v);
	free(r);
}

int fdns_rules_add(struct fdns_rules *r, const struct fdns_fault *f, char *err, size_t errlen)
{
	int rc = 0;
	ldns_rdf *name = NULL;
	if (f->action <= FDNS_ACT_NONE || (size_t)f->action >= NACT) {
		fdns_set_err(err, errlen, "unknown fault action %d", (int)f->action);
		return -EINVAL;
	}
	if (f->action == FDNS_ACT_DELAY && !f->delay_us) {
		fdns_set_err(err, errlen, "fault \"delay\" needs a delay above 0");
		return -EINVAL;
	}
	if ((f->action == FDNS_ACT_TRUNCATE || f->action == FDNS_ACT_WRONG_PORT) &&
	    f->transport == FDNS_TCP) {
		fdns_set_err(err, errlen, "fault \"%s\" exists for UDP only", names[f->action]);
		return -EINVAL;
	}
	if (f->name) {
		char buf[300];
		size_t n = strlen(f->name);
		snprintf(buf, sizeof(buf), "%s%s", f->name, n && f->name[n - 1] == '.' ? "" : ".");
		if (n == 0 || n > 253 || ldns_str2rdf_dname(&name, buf) != LDNS_STATUS_OK) {
			fdns_set_err(err, errlen, "fault match: bad name '%s'", f->name);
			return -EINVAL;
		}
	}
	struct rule *v = realloc(r->v, (r->n + 1) * sizeof(*v));
	if (!v) {
		rc = -ENOMEM;
		fdns_set_err(err, errlen, "out of memory");
		goto out;
	}
	r->v = v;
	v[r->n] = (struct rule){ .f = *f, .name = name };
	v[r->n].f.name = NULL; /* the rdf is the name from now on */
	r->n++;
	name = NULL;
out:
	ldns_rdf_deep_free(name);
	return rc;
}

/* Whether the rule's match fields take the query (its counts aside). */
static int takes(const struct rule *u, const ldns_rdf *qname, uint16_t qtype,
		 enum fdns_transport t)
{
	/* TC and a foreign source port mean nothing on a TCP stream. */
	int udp_only = u->f.action == FDNS_ACT_TRUNCATE || u->f.action == FDNS_ACT_WRONG_PORT;
	return !((u->f.transport && u->f.transport != t) || (udp_only && t != FDNS_UDP) ||
		 (u->f.qtype && u->f.qtype != qtype) ||
		 (u->name && ldns_dname_compare(u->name, qname) != 0));
}

int fdns_rules_filter(const struct fdns_rules *r, const ldns_rdf *qname, uint16_t qtype,
		      enum fdns_transport t)
{
	for (size_t i = 0; r && i < r->n; i++)
		if (takes(&r->v[i], qname, qtype, t))
			return 1;
	return 0;
}

enum fdns_action fdns_rules_match(struct fdns_rules *r, const ldns_rdf *qname, uint16_t qtype,
				  enum fdns_transport t, uint64_t *delay_us)
{
	enum fdns_action act = FDNS_ACT_NONE;
	*delay_us = 0;
	for (size_t i = 0; r && i < r->n; i++) {
		struct rule *u = &r->v[i];
		if (!takes(u, qname, qtype, t))
			continue;
		u->seen++;
		if (act != FDNS_ACT_NONE || (u->f.nth && u->seen != u->f.nth) ||
		    (u->f.times && u->applied >= u->f.times))
			continue;
		u->applied++;
		act = u->f.action;
		*delay_us = u->f.delay_us;
	}
	return act;
}

/* ---- wire damage ---- */

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Offset just past the name at off, or 0 when it runs off the message. */
static size_t skip_name(const uint8_t *w, size_t len, size_t off)
{
	while (off < len) {
		if ((w[off] & 0xC0) == 0xC0)
			return off + 2 <= len ? off + 2 : 0;
		if (w[off] == 0)
			return off + 1;
		off += (size_t)w[off] + 1;
	}
	return 0;
}

/* Offset of the first resource record's owner (any section), or 0 when there is none. */
static size_t first_rr(const uint8_t *w, size_t len, size_t *nrr)
{
	size_t off = HDR;
	*nrr = (size_t)get16(w + 6) + get16(w + 8) + get16(w + 10);
	for (unsigned i = 0; i < get16(w + 4); i++) {
		off = skip_name(w, len, off);
		if (!off || off + 4 > len)
			return 0;
		off += 4;
	}
	return *nrr && off < len ? off : 0;
}

/* Finds the first record whose owner can be damaged (not the root name of an OPT). */
static int bad_pointer(uint8_t *w, size_t len)
{
	size_t nrr = 0, off = first_rr(w, len, &nrr);
	for (size_t i = 0; off && i < nrr; i++) {
		if (w[off] != 0 && off + 1 < len)
			break;
		size_t end = skip_name(w, len, off);
		if (!end || end + RR_FIXED > len)
			return -EBADMSG;
		size_t next = end + RR_FIXED + get16(w + end + 8);
		off = next < len && i + 1 < nrr ? next : 0;
	}
	if (!off || w[off] == 0)
		off = w[HDR] != 0 ? HDR : 0; /* no record to spoil: the question's name then */
	if (!off)
		return -ENOENT;
	/* Beyond the end of any message we send, or onto itself (a loop) when that is too far. */
	size_t target = len <= PTR_MAX ? PTR_MAX : off;
	w[off] = (uint8_t)(0xC0 | (target >> 8));
	w[off + 1] = (uint8_t)target;
	return 0;
}

static int truncated_rdata(uint8_t *w, size_t *len)
{
	size_t nrr = 0, off = first_rr(w, *len, &nrr);
	for (size_t i = 0; off && i < nrr; i++) {
		size_t end = skip_name(w, *len, off);
		if (!end || end + RR_FIXED > *len)
			return -EBADMSG;
		size_t rdlen = get16(w + end + 8), rdata = end + RR_FIXED;
		if (rdlen > 0 && rdata + rdlen <= *len) {
			/* RDLENGTH stays: the record claims bytes the message no longer has. */
			*len = rdata + rdlen / 2;
			return 0;
		}
		off = rdata + rdlen < *len ? rdata + rdlen : 0;
	}
	/* No record with data: cut into the question instead, still a broken message. */
	*len = HDR + (*len - HDR) / 2;
	return 0;
}

int fdns_wire_mangle(enum fdns_action a, uint8_t *wire, size_t *len)
{
	if (*len < HDR + 1)
		return -EBADMSG;
	switch (a) {
	case FDNS_ACT_WRONG_ID:
		wire[0] ^= 0xFF;
		wire[1] ^= 0xFF;
		return 0;
	case FDNS_ACT_BAD_POINTER:
		return bad_pointer(wire, *len);
	case FDNS_ACT_TRUNCATED_RDATA:
		return truncated_rdata(wire, len);
	default:
		return -EINVAL;
	}
}
