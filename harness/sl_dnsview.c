/* sl_dnsview.c: the DNS answers of an event log, parsed with ldns into RRsets by owner. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <ldns/ldns.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sl_dnsview.h"
#include "sl_evlog.h"

#define T_A     1
#define T_CNAME 5
#define T_AAAA  28
#define T_SRV   33
#define T_NAPTR 35

/* One RRset: for CNAME, the target is kept in srv[0].target. */
struct rrset {
	char owner[256];
	int type;
	unsigned ev;
	struct sl_dv_srv *srv;
	struct sl_dv_naptr *naptr;
	struct sl_dv_addr *addr;
	size_t n, cap;
};

struct asked {
	char name[256];
	int type;
	unsigned ev;
};

struct sl_dnsview {
	int latest;
	struct rrset *sets;
	size_t nsets, capsets;
	struct asked *asked;
	size_t nasked, capasked;
};

int sl_dname_eq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 1 && a[la - 1] == '.')
		la--;
	if (lb > 1 && b[lb - 1] == '.')
		lb--;
	return la == lb && !strncasecmp(a, b, la);
}

/* A domain name rdf as "a.b.c" (lower case, no trailing dot; the root stays "."). */
static void dname_str(const ldns_rdf *d, char *out, size_t len)
{
	char *s = d ? ldns_rdf2str(d) : NULL;
	snprintf(out, len, "%s", s ? s : "");
	free(s);
	size_t l = strlen(out);
	if (l > 1 && out[l - 1] == '.')
		out[l - 1] = 0;
	for (char *p = out; *p; p++)
		*p = (char)tolower((unsigned char)*p);
}

/* A character-string rdf (length byte, then bytes) as text. */
static void cstr(const ldns_rdf *d, char *out, size_t len)
{
	out[0] = 0;
	if (!d || ldns_rdf_size(d) < 1)
		return;
	const uint8_t *p = ldns_rdf_data(d);
	size_t n = p[0];
	if (n > ldns_rdf_size(d) - 1)
		n = ldns_rdf_size(d) - 1;
	if (n >= len)
		n = len - 1;
	memcpy(out, p + 1, n);
	out[n] = 0;
}

static unsigned u16(const ldns_rdf *d)
{
	return d && ldns_rdf_size(d) == 2 ? ldns_rdf2native_int16(d) : 0;
}

static struct rrset *set_find(struct sl_dnsview *v, const char *owner, int type)
{
	for (size_t i = 0; i < v->nsets; i++)
		if (v->sets[i].type == type && sl_dname_eq(v->sets[i].owner, owner))
			return &v->sets[i];
	return NULL;
}

/* The RRset (owner, type) for answer ev: the latest mode starts it over when a newer
 * answer carries it. */
static struct rrset *set_for(struct sl_dnsview *v, const char *owner, int type, unsigned ev)
{
	struct rrset *s = set_find(v, owner, type);
	if (s) {
		if (v->latest && s->ev != ev) {
			s->n = 0;
			s->ev = ev;
		}
		return s;
	}
	if (v->nsets == v->capsets) {
		size_t cap = v->capsets ? v->capsets * 2 : 16;
		struct rrset *n = realloc(v->sets, cap * sizeof(*n));
		if (!n)
			return NULL;
		v->sets = n;
		v->capsets = cap;
	}
	s = &v->sets[v->nsets++];
	memset(s, 0, sizeof(*s));
	snprintf(s->owner, sizeof(s->owner), "%s", owner);
	s->type = type;
	s->ev = ev;
	return s;
}

static int grow(void **arr, size_t *cap, size_t n, size_t sz)
{
	if (n < *cap)
		return 0;
	size_t c = *cap ? *cap * 2 : 4;
	void *p = realloc(*arr, c * sz);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = c;
	return 0;
}

static int add_rr(struct sl_dnsview *v, const ldns_rr *rr, unsigned ev)
{
	int type = (int)ldns_rr_get_type(rr);
	if (type != T_A && type != T_AAAA && type != T_SRV && type != T_NAPTR && type != T_CNAME)
		return 0;
	char owner[256];
	dname_str(ldns_rr_owner(rr), owner, sizeof(owner));
	struct rrset *s = set_for(v, owner, type, ev);
	if (!s)
		return -ENOMEM;
	if (type == T_A || type == T_AAAA) {
		const ldns_rdf *d = ldns_rr_rdf(rr, 0);
		size_t want = type == T_A ? 4 : 16;
		if (!d || ldns_rdf_size(d) != want)
			return 0;
		struct sl_dv_addr a = { type == T_A ? AF_INET : AF_INET6, { 0 } };
		memcpy(a.ip, ldns_rdf_data(d), want);
		for (size_t i = 0; i < s->n; i++)
			if (s->addr[i].family == a.family && !memcmp(s->addr[i].ip, a.ip, 16))
				return 0;
		if (grow((void **)&s->addr, &s->cap, s->n, sizeof(*s->addr)) < 0)
			return -ENOMEM;
		s->addr[s->n++] = a;
	} else if (type == T_SRV || type == T_CNAME) {
		struct sl_dv_srv r = { 0 };
		if (type == T_SRV) {
			r.prio = u16(ldns_rr_rdf(rr, 0));
			r.weight = u16(ldns_rr_rdf(rr, 1));
			r.port = u16(ldns_rr_rdf(rr, 2));
			dname_str(ldns_rr_rdf(rr, 3), r.target, sizeof(r.target));
		} else {
			dname_str(ldns_rr_rdf(rr, 0), r.target, sizeof(r.target));
		}
		for (size_t i = 0; i < s->n; i++)
			if (!memcmp(&s->srv[i], &r, sizeof(r)))
				return 0;
		if (grow((void **)&s->srv, &s->cap, s->n, sizeof(*s->srv)) < 0)
			return -ENOMEM;
		s->srv[s->n++] = r;
	} else {
		struct sl_dv_naptr r = { 0 };
		r.order = u16(ldns_rr_rdf(rr, 0));
		r.pref = u16(ldns_rr_rdf(rr, 1));
		cstr(ldns_rr_rdf(rr, 2), r.flags, sizeof(r.flags));
		cstr(ldns_rr_rdf(rr, 3), r.service, sizeof(r.service));
		cstr(ldns_rr_rdf(rr, 4), r.regexp, sizeof(r.regexp));
		dname_str(ldns_rr_rdf(rr, 5), r.replacement, sizeof(r.replacement));
		for (size_t i = 0; i < s->n; i++)
			if (!memcmp(&s->naptr[i], &r, sizeof(r)))
				return 0;
		if (grow((void **)&s->naptr, &s->cap, s->n, sizeof(*s->naptr)) < 0)
			return -ENOMEM;
		s->naptr[s->n++] = r;
	}
	return 0;
}

static int add_asked(struct sl_dnsview *v, const char *name, int type, unsigned ev)
{
	if (grow((void **)&v->asked, &v->capasked, v->nasked, sizeof(*v->asked)) < 0)
		return -ENOMEM;
	struct asked *a = &v->asked[v->nasked++];
	snprintf(a->name, sizeof(a->name), "%s", name);
	a->type = type;
	a->ev = ev;
	return 0;
}

static int type_num(const char *t)
{
	static const struct { const char *n; int t; } m[] = {
		{ "A", T_A }, { "AAAA", T_AAAA }, { "SRV", T_SRV }, { "NAPTR", T_NAPTR },
		{ "CNAME", T_CNAME },
	};
	for (size_t i = 0; t && i < sizeof(m) / sizeof(m[0]); i++)
		if (!strcasecmp(m[i].n, t))
			return m[i].t;
	return 0;
}

int sl_dnsview_new(struct sl_dnsview **vp, const struct sl_evlog *l, size_t upto, int latest)
{
	struct sl_dnsview *v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->latest = latest;
	int rc = 0;
	size_t n = sl_evlog_count(l);
	for (size_t i = 0; i < n && i < upto && !rc; i++) {
		const struct sl_event *e = sl_evlog_get(l, i);
		if (e->kind != SL_EV_DNS || !e->qname)
			continue;
		rc = add_asked(v, e->qname, type_num(e->qtype), e->idx);
		if (rc || !e->dns_resp)
			continue;
		ldns_pkt *p = NULL;
		if (ldns_wire2pkt(&p, e->dns_resp, e->dns_resp_len) != LDNS_STATUS_OK)
			continue; /* a mangled answer (a fault) told the SUT nothing it could use */
		const ldns_rr_list *secs[] = { ldns_pkt_answer(p), ldns_pkt_additional(p) };
		for (int k = 0; k < 2 && !rc; k++)
			for (size_t r = 0; r < ldns_rr_list_rr_count(secs[k]) && !rc; r++)
				rc = add_rr(v, ldns_rr_list_rr(secs[k], r), e->idx);
		ldns_pkt_free(p);
	}
	if (rc) {
		sl_dnsview_free(v);
		return rc;
	}
	*vp = v;
	return 0;
}

void sl_dnsview_free(struct sl_dnsview *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->nsets; i++) {
		free(v->sets[i].srv);
		free(v->sets[i].naptr);
		free(v->sets[i].addr);
	}
	free(v->sets);
	free(v->asked);
	free(v);
}

static const struct asked *was_asked(const struct sl_dnsview *v, const char *name, int type)
{
	for (size_t i = v->nasked; i-- > 0;)
		if (v->asked[i].type == type && sl_dname_eq(v->asked[i].name, name))
			return &v->asked[i];
	return NULL;
}

static enum sl_dv_state lookup(const struct sl_dnsview *v, const char *name, int type,
			       const struct rrset **set, unsigned *ev)
{
	*set = set_find((struct sl_dnsview *)v, name, type);
	if (*set && (*set)->n) {
		if (ev)
			*ev = (*set)->ev;
		return SL_DV_RECORDS;
	}
	const struct asked *a = was_asked(v, name, type);
	if (!a)
		return SL_DV_UNASKED;
	if (ev)
		*ev = a->ev;
	return SL_DV_EMPTY;
}

enum sl_dv_state sl_dnsview_srv(const struct sl_dnsview *v, const char *name,
				const struct sl_dv_srv **rr, size_t *n, unsigned *ev)
{
	const struct rrset *s;
	enum sl_dv_state st = lookup(v, name, T_SRV, &s, ev);
	*rr = st == SL_DV_RECORDS ? s->srv : NULL;
	*n = st == SL_DV_RECORDS ? s->n : 0;
	return st;
}

enum sl_dv_state sl_dnsview_naptr(const struct sl_dnsview *v, const char *name,
				  const struct sl_dv_naptr **rr, size_t *n, unsigned *ev)
{
	const struct rrset *s;
	enum sl_dv_state st = lookup(v, name, T_NAPTR, &s, ev);
	*rr = st == SL_DV_RECORDS ? s->naptr : NULL;
	*n = st == SL_DV_RECORDS ? s->n : 0;
	return st;
}

enum sl_dv_state sl_dnsview_addrs(const struct sl_dnsview *v, const char *name,
				  struct sl_dv_addr *out, size_t cap, size_t *n, unsigned *ev)
{
	*n = 0;
	int asked = 0, have_ev = 0;
	char cur[256];
	snprintf(cur, sizeof(cur), "%s", name);
	/* A CNAME chain of at most 8 links (RFC 2782: targets should not be aliases, but
	 * a stack that follows one uses the addresses it leads to). */
	for (int depth = 0; depth < 8; depth++) {
		static const int types[] = { T_A, T_AAAA };
		for (int k = 0; k < 2; k++) {
			const struct rrset *s;
			unsigned e = 0;
			enum sl_dv_state st = lookup(v, cur, types[k], &s, &e);
			if (st == SL_DV_UNASKED)
				continue;
			asked = 1;
			if (!have_ev && ev) {
				*ev = e;
				have_ev = 1;
			}
			for (size_t i = 0; st == SL_DV_RECORDS && i < s->n && *n < cap; i++)
				out[(*n)++] = s->addr[i];
		}
		const struct rrset *c = set_find((struct sl_dnsview *)v, cur, T_CNAME);
		if (!c || !c->n)
			break;
		snprintf(cur, sizeof(cur), "%s", c->srv[0].target);
	}
	return *n ? SL_DV_RECORDS : asked ? SL_DV_EMPTY : SL_DV_UNASKED;
}
