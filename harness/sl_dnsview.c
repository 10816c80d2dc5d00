/* sl_dnsview.c: the DNS answers of an event log, parsed once with ldns into RRsets by
 * owner and type, each with its history, so views cut at any event cost no parsing. */
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
#include "sl_strmap.h"

#define T_A     1
#define T_CNAME 5
#define T_AAAA  28
#define T_SRV   33
#define T_NAPTR 35

/* What one answer (event) said of one RRset, and everything the answers up to it said:
 * a view cut at an event reads the last entry before the cut. For CNAME the target is
 * kept in srv[0].target. */
struct entry {
	size_t pos;             /* the answer's place in the log */
	unsigned ev;
	void *rec, *cum;        /* this answer's records; the union of all until here */
	size_t n, cap, cn, ccap;
};

/* An (owner, type): its answers in log order, and the queries that asked for it. */
struct rrlist {
	int type;
	struct entry *e;
	size_t ne, cape;
	struct { size_t pos; unsigned ev; } *asked;
	size_t nasked, capasked;
};

struct sl_dnsidx {
	struct sl_strmap *by_key;  /* "owner\001type" -> rrlist */
	struct rrlist *lists;
	size_t nlists, caplists;
};

struct sl_dnsview {
	const struct sl_dnsidx *x;
	struct sl_dnsidx *own;     /* built by sl_dnsview_new(), freed with the view */
	size_t upto;
	int latest;
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

/* The map key of (name, type): lower case, no trailing dot, as sl_dname_eq compares. */
static const char *list_key(char *buf, size_t len, const char *name, int type)
{
	size_t l = strlen(name);
	if (l > 1 && name[l - 1] == '.')
		l--;
	if (l > 255)
		l = 255;
	char low[256];
	for (size_t i = 0; i < l; i++)
		low[i] = (char)tolower((unsigned char)name[i]);
	low[l] = 0;
	snprintf(buf, len, "%s\001%d", low, type);
	return buf;
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

static size_t rec_size(int type)
{
	return type == T_A || type == T_AAAA ? sizeof(struct sl_dv_addr) :
	       type == T_NAPTR ? sizeof(struct sl_dv_naptr) : sizeof(struct sl_dv_srv);
}

/* The list of (name, type), made when missing (create) or NULL. */
static struct rrlist *list_of(struct sl_dnsidx *x, const char *name, int type, int create)
{
	char key[300];
	int i;
	list_key(key, sizeof(key), name, type);
	if (sl_strmap_get(x->by_key, key, &i))
		return &x->lists[i];
	if (!create || grow((void **)&x->lists, &x->caplists, x->nlists, sizeof(*x->lists)) < 0)
		return NULL;
	if (sl_strmap_add(x->by_key, key, (int)x->nlists) < 0)
		return NULL;
	struct rrlist *r = &x->lists[x->nlists++];
	memset(r, 0, sizeof(*r));
	r->type = type;
	return r;
}

/* Appends rec to arr (n records of sz bytes) unless it is there: 0 or -ENOMEM. */
static int add_unique(void **arr, size_t *n, size_t *cap, const void *rec, size_t sz)
{
	for (size_t i = 0; i < *n; i++)
		if (!memcmp((const char *)*arr + i * sz, rec, sz))
			return 0;
	if (grow(arr, cap, *n, sz) < 0)
		return -ENOMEM;
	memcpy((char *)*arr + (*n)++ * sz, rec, sz);
	return 0;
}

/* The entry of answer pos in r: a new one, starting from the union so far, when pos is
 * a later answer than r's last. */
static struct entry *entry_for(struct rrlist *r, size_t pos, unsigned ev)
{
	if (r->ne && r->e[r->ne - 1].pos == pos)
		return &r->e[r->ne - 1];
	if (grow((void **)&r->e, &r->cape, r->ne, sizeof(*r->e)) < 0)
		return NULL;
	struct entry *e = &r->e[r->ne];
	memset(e, 0, sizeof(*e));
	e->pos = pos;
	e->ev = ev;
	if (r->ne) {
		const struct entry *p = &r->e[r->ne - 1];
		size_t sz = rec_size(r->type);
		if (p->cn && !(e->cum = malloc(p->cn * sz)))
			return NULL;
		if (p->cn)
			memcpy(e->cum, p->cum, p->cn * sz);
		e->cn = e->ccap = p->cn;
	}
	r->ne++;
	return e;
}

static int add_rr(struct sl_dnsidx *x, const ldns_rr *rr, size_t pos, unsigned ev)
{
	int type = (int)ldns_rr_get_type(rr);
	if (type != T_A && type != T_AAAA && type != T_SRV && type != T_NAPTR && type != T_CNAME)
		return 0;
	char owner[256];
	dname_str(ldns_rr_owner(rr), owner, sizeof(owner));
	struct rrlist *r = list_of(x, owner, type, 1);
	struct entry *e = r ? entry_for(r, pos, ev) : NULL;
	if (!e)
		return -ENOMEM;
	union {
		struct sl_dv_addr a;
		struct sl_dv_srv s;
		struct sl_dv_naptr n;
	} u;
	memset(&u, 0, sizeof(u));
	if (type == T_A || type == T_AAAA) {
		const ldns_rdf *d = ldns_rr_rdf(rr, 0);
		size_t want = type == T_A ? 4 : 16;
		if (!d || ldns_rdf_size(d) != want)
			return 0;
		u.a.family = type == T_A ? AF_INET : AF_INET6;
		memcpy(u.a.ip, ldns_rdf_data(d), want);
	} else if (type == T_SRV) {
		u.s.prio = u16(ldns_rr_rdf(rr, 0));
		u.s.weight = u16(ldns_rr_rdf(rr, 1));
		u.s.port = u16(ldns_rr_rdf(rr, 2));
		dname_str(ldns_rr_rdf(rr, 3), u.s.target, sizeof(u.s.target));
	} else if (type == T_CNAME) {
		dname_str(ldns_rr_rdf(rr, 0), u.s.target, sizeof(u.s.target));
	} else {
		u.n.order = u16(ldns_rr_rdf(rr, 0));
		u.n.pref = u16(ldns_rr_rdf(rr, 1));
		cstr(ldns_rr_rdf(rr, 2), u.n.flags, sizeof(u.n.flags));
		cstr(ldns_rr_rdf(rr, 3), u.n.service, sizeof(u.n.service));
		cstr(ldns_rr_rdf(rr, 4), u.n.regexp, sizeof(u.n.regexp));
		dname_str(ldns_rr_rdf(rr, 5), u.n.replacement, sizeof(u.n.replacement));
	}
	size_t sz = rec_size(type);
	if (add_unique(&e->rec, &e->n, &e->cap, &u, sz) < 0 ||
	    add_unique(&e->cum, &e->cn, &e->ccap, &u, sz) < 0)
		return -ENOMEM;
	return 0;
}

static int add_asked(struct sl_dnsidx *x, const char *name, int type, size_t pos, unsigned ev)
{
	struct rrlist *r = list_of(x, name, type, 1);
	if (!r || grow((void **)&r->asked, &r->capasked, r->nasked, sizeof(*r->asked)) < 0)
		return -ENOMEM;
	r->asked[r->nasked].pos = pos;
	r->asked[r->nasked++].ev = ev;
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

int sl_dnsidx_new(struct sl_dnsidx **xp, const struct sl_evlog *l)
{
	struct sl_dnsidx *x = calloc(1, sizeof(*x));
	if (!x || sl_strmap_new(&x->by_key, 64) < 0) {
		free(x);
		return -ENOMEM;
	}
	int rc = 0;
	size_t n = sl_evlog_count(l);
	for (size_t i = 0; i < n && !rc; i++) {
		const struct sl_event *e = sl_evlog_get(l, i);
		if (e->kind != SL_EV_DNS || !e->qname)
			continue;
		int qt = type_num(e->qtype);
		rc = qt ? add_asked(x, e->qname, qt, i, e->idx) : 0;
		if (rc || !e->dns_resp)
			continue;
		ldns_pkt *p = NULL;
		if (ldns_wire2pkt(&p, e->dns_resp, e->dns_resp_len) != LDNS_STATUS_OK)
			continue; /* a mangled answer (a fault) told the SUT nothing it could use */
		const ldns_rr_list *secs[] = { ldns_pkt_answer(p), ldns_pkt_additional(p) };
		for (int k = 0; k < 2 && !rc; k++)
			for (size_t r = 0; r < ldns_rr_list_rr_count(secs[k]) && !rc; r++)
				rc = add_rr(x, ldns_rr_list_rr(secs[k], r), i, e->idx);
		ldns_pkt_free(p);
	}
	if (rc) {
		sl_dnsidx_free(x);
		return rc;
	}
	*xp = x;
	return 0;
}

void sl_dnsidx_free(struct sl_dnsidx *x)
{
	if (!x)
		return;
	for (size_t i = 0; i < x->nlists; i++) {
		struct rrlist *r = &x->lists[i];
		for (size_t k = 0; k < r->ne; k++) {
			free(r->e[k].rec);
			free(r->e[k].cum);
		}
		free(r->e);
		free(r->asked);
	}
	free(x->lists);
	sl_strmap_free(x->by_key);
	free(x);
}

int sl_dnsview_at(struct sl_dnsview **vp, const struct sl_dnsidx *x, size_t upto, int latest)
{
	struct sl_dnsview *v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	*v = (struct sl_dnsview){ .x = x, .upto = upto, .latest = latest };
	*vp = v;
	return 0;
}

int sl_dnsview_new(struct sl_dnsview **vp, const struct sl_evlog *l, size_t upto, int latest)
{
	struct sl_dnsidx *x = NULL;
	int rc = sl_dnsidx_new(&x, l);
	if (!rc && (rc = sl_dnsview_at(vp, x, upto, latest)) < 0)
		sl_dnsidx_free(x);
	if (!rc)
		(*vp)->own = x;
	return rc;
}

void sl_dnsview_free(struct sl_dnsview *v)
{
	if (!v)
		return;
	sl_dnsidx_free(v->own);
	free(v);
}

/* The records of (name, type) as the view sees them: the latest answer before the cut
 * (latest) or every answer before it. */
static enum sl_dv_state lookup(const struct sl_dnsview *v, const char *name, int type,
			       const void **rec, size_t *n, unsigned *ev)
{
	*rec = NULL;
	*n = 0;
	struct rrlist *r = list_of((struct sl_dnsidx *)v->x, name, type, 0);
	if (!r)
		return SL_DV_UNASKED;
	/* Entries are in log order: the last one before the cut, by bisection. */
	size_t lo = 0, hi = r->ne;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (r->e[mid].pos < v->upto)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo) {
		const struct entry *e = &r->e[lo - 1];
		if (v->latest ? e->n : e->cn) {
			*rec = v->latest ? e->rec : e->cum;
			*n = v->latest ? e->n : e->cn;
			if (ev)
				*ev = v->latest ? e->ev : r->e[0].ev;
			return SL_DV_RECORDS;
		}
	}
	for (size_t i = r->nasked; i-- > 0;)
		if (r->asked[i].pos < v->upto) {
			if (ev)
				*ev = r->asked[i].ev;
			return SL_DV_EMPTY;
		}
	return SL_DV_UNASKED;
}

enum sl_dv_state sl_dnsview_srv(const struct sl_dnsview *v, const char *name,
				const struct sl_dv_srv **rr, size_t *n, unsigned *ev)
{
	const void *rec;
	enum sl_dv_state st = lookup(v, name, T_SRV, &rec, n, ev);
	*rr = rec;
	return st;
}

enum sl_dv_state sl_dnsview_naptr(const struct sl_dnsview *v, const char *name,
				  const struct sl_dv_naptr **rr, size_t *n, unsigned *ev)
{
	const void *rec;
	enum sl_dv_state st = lookup(v, name, T_NAPTR, &rec, n, ev);
	*rr = rec;
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
			const void *rec;
			size_t nr;
			unsigned e = 0;
			enum sl_dv_state st = lookup(v, cur, types[k], &rec, &nr, &e);
			if (st == SL_DV_UNASKED)
				continue;
			asked = 1;
			if (!have_ev && ev) {
				*ev = e;
				have_ev = 1;
			}
			const struct sl_dv_addr *a = rec;
			for (size_t i = 0; st == SL_DV_RECORDS && i < nr && *n < cap; i++)
				out[(*n)++] = a[i];
		}
		const void *rec;
		size_t nc;
		if (lookup(v, cur, T_CNAME, &rec, &nc, NULL) != SL_DV_RECORDS)
			break;
		snprintf(cur, sizeof(cur), "%s", ((const struct sl_dv_srv *)rec)->target);
	}
	return *n ? SL_DV_RECORDS : asked ? SL_DV_EMPTY : SL_DV_UNASKED;
}
