/* sl_check_addr.c: the invariants on where requests went: only to destinations the URI
 * or the DNS answers allow, and in an order RFC 2782 allows for those answers. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sl_check.h"
#include "sl_dnsview.h"
#include "sl_evlog.h"
#include "sl_targets.h"

/* RFC 3261 18.1.1: a request over 1300 bytes may leave UDP for TCP. */
#define MTU_LIMIT 1300

size_t sl_check_req_ids(unsigned bits, const char **out, size_t cap)
{
	static const char *const ids[] = {
		"AD-NUMERIC", "AD-PORT-A", "AD-SRV", "AD-A-FALLBACK", "TARGET-MADDR", "SRV-DOT",
		"TP-PARAM", "TP-NUMERIC", "TP-PORT", "TP-SIPS-ONLY", "TP-NO-SRV",
		"TP-UNSUPPORTED", "TP-NAPTR-FLAGS", "SRV-PRIORITY", "SRV-ALL-ADDRS",
		"TP-NAPTR-ORDER", "FO-EXHAUST", "AD-PORT-NEXT",
	};
	size_t n = 0;
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]) && n < cap; i++)
		if (bits & (1u << i))
			out[n++] = ids[i];
	return n;
}

/* One attempt: the first packet of a (destination, branch), or of a connection. */
struct attempt {
	const struct sl_event *e;
	const struct sl_event *req;  /* the send{} it belongs to */
	char dest[96];               /* "127.0.0.2:5060/udp" */
	int syn;                     /* a TCP SYN nothing accepted: the request never left */
	int failed;                  /* 503, no response at all, or refused by the network */
};

static int is_attempt(const struct sl_event *e, const struct sl_event *req, int *syn)
{
	*syn = 0;
	if (!e->server || !e->transport)
		return 0;
	if ((e->kind == SL_EV_SIP_RX && e->method && !e->text) ||
	    (e->kind == SL_EV_STRAY && e->method))
		return !strcmp(e->method, req->method);
	if ((e->kind == SL_EV_STRAY && !strcmp(e->transport, "tcp") && !e->method &&
	     !e->status && !e->qname) || e->conn_failed) {
		*syn = 1;
		return 1;
	}
	return 0;
}

static int same_str(const char *a, const char *b)
{
	return !strcmp(a ? a : "", b ? b : "");
}

/* 503, no answer at all, or a refusal the kernel sent back. */
static int attempt_failed(const struct sl_evlog *l, const struct attempt *a)
{
	if (a->e->kind == SL_EV_STRAY || a->e->conn_failed)
		return 1;
	int answered = 0;
	for (size_t i = a->e->idx + 1; i < sl_evlog_count(l); i++) {
		const struct sl_event *e = sl_evlog_get(l, i);
		if (e->kind == SL_EV_REJECT && e->answers && e->answers->kind == SL_EV_SIP_RX &&
		    same_str(e->answers->branch, a->e->branch) &&
		    same_str(e->answers->server, a->e->server))
			return 1;
		if (e->kind == SL_EV_SIP_TX && e->status && same_str(e->branch, a->e->branch) &&
		    same_str(e->server, a->e->server)) {
			if (e->status == 503)
				return 1;
			answered = 1;
		}
	}
	return !answered;
}

static size_t ap_len(const char *d);
static const char *tp_of(const char *d);

/* The attempts of every send{}, in order. */
static int attempts(const struct sl_evlog *l, struct attempt **out, size_t *nout)
{
	size_t n = 0, cap = 0;
	struct attempt *v = NULL;
	const struct sl_event *req = NULL;
	for (size_t i = 0; i < sl_evlog_count(l); i++) {
		const struct sl_event *e = sl_evlog_get(l, i);
		int syn;
		if (e->kind == SL_EV_SUT_REQ) {
			req = e->method && e->uri ? e : NULL;
			continue;
		}
		if (!req || !is_attempt(e, req, &syn))
			continue;
		char dest[96];
		snprintf(dest, sizeof(dest), "%s/%s", e->server, e->transport);
		int again = 0;
		for (size_t k = n; k-- > 0 && v[k].req == req && !again;)
			again = !strcmp(v[k].dest, dest) && v[k].syn == syn &&
				(syn ? same_str(v[k].e->client, e->client) :
				       same_str(v[k].e->branch, e->branch));
		if (again)
			continue; /* a retransmission of that attempt */
		/* RFC 3261 18.1.1: a large request whose TCP connection was refused goes out
		 * over UDP to the same target: that is the element itself, not a second try. */
		if (n && v[n - 1].req == req && v[n - 1].syn && !syn && req->body_len > 0 &&
		    !strcmp(e->transport, "udp") && !strcmp(tp_of(v[n - 1].dest), "tcp") &&
		    ap_len(v[n - 1].dest) == ap_len(dest) &&
		    !strncmp(v[n - 1].dest, dest, ap_len(dest))) {
			v[n - 1] = (struct attempt){ .e = e, .req = req, .syn = 0 };
			snprintf(v[n - 1].dest, sizeof(v[n - 1].dest), "%s", dest);
			continue;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			struct attempt *nv = realloc(v, cap * sizeof(*nv));
			if (!nv) {
				free(v);
				return -ENOMEM;
			}
			v = nv;
		}
		v[n] = (struct attempt){ .e = e, .req = req, .syn = syn };
		snprintf(v[n].dest, sizeof(v[n].dest), "%s", dest);
		n++;
	}
	for (size_t i = 0; i < n; i++)
		v[i].failed = attempt_failed(l, &v[i]);
	*out = v;
	*nout = n;
	return 0;
}

/* "127.0.0.2:5060/udp" -> length of "127.0.0.2:5060". */
static size_t ap_len(const char *d)
{
	const char *s = strrchr(d, '/');
	return s ? (size_t)(s - d) : strlen(d);
}

static const char *tp_of(const char *d)
{
	const char *s = strrchr(d, '/');
	return s ? s + 1 : "";
}

/* Does the attempt go where leaf n points? A bare SYN may be TLS; a large request may
 * leave UDP for TCP. */
static int leaf_matches(const struct sl_tnode *n, const struct attempt *a)
{
	if (!strcmp(n->dest, a->dest))
		return 1;
	size_t la = ap_len(a->dest);
	if (la != ap_len(n->dest) || strncmp(n->dest, a->dest, la))
		return 0;
	const char *at = tp_of(a->dest);
	if (a->syn && !strcmp(n->tp, "tls"))
		return 1;
	if (!strcmp(n->tp, "udp") && !strcmp(at, "tcp"))
		return a->syn ? a->req->body_len > 0 : a->e->fp[0].len > MTU_LIMIT;
	return 0;
}

static int find_leaf(const struct sl_targets *t, const struct attempt *a)
{
	for (size_t i = 0; i < t->count; i++)
		if (t->n[i].kind == SL_TN_LEAF && leaf_matches(&t->n[i], a))
			return (int)i;
	return -1;
}

static int build(const struct sl_evlog *l, const char *uri, size_t upto, int latest,
		 unsigned mask, struct sl_targets **tp, char *err, size_t errlen)
{
	struct sl_dnsview *v = NULL;
	int rc = sl_dnsview_new(&v, l, upto, latest);
	if (rc < 0) {
		snprintf(err, errlen, "out of memory");
		return rc;
	}
	rc = sl_targets_build(tp, uri, v, mask, err, errlen);
	sl_dnsview_free(v);
	return rc;
}

static void list_leaves(struct sl_check_out *o, const struct sl_targets *t)
{
	size_t shown = 0, n = 0;
	for (size_t i = 0; i < t->count; i++) {
		if (t->n[i].kind != SL_TN_LEAF)
			continue;
		if (shown < 6)
			sl_check_say(o, "%s%s", shown++ ? ", " : "only ", t->n[i].dest);
		n++;
	}
	if (!n)
		sl_check_say(o, "no destination at all");
	else if (n > shown)
		sl_check_say(o, " and %zu more", n - shown);
}

/* The answers that shaped the tree's top: NAPTR, the SRV sets (or the A records when
 * the URI had a port); the per-target A answers are left out, they prove nothing here. */
static void dns_evidence(struct sl_check_out *o, const struct sl_targets *t)
{
	if (t->n[0].ev >= 0)
		sl_check_add_ev(o, (unsigned)t->n[0].ev);
	for (size_t i = 1; i < t->count && o->nev < SL_CHECK_MAX_EV - 4; i++)
		if (t->n[i].parent == 0 && t->n[i].ev >= 0)
			sl_check_add_ev(o, (unsigned)t->n[i].ev);
}

static void node_evidence(struct sl_check_out *o, const struct sl_targets *t, int i)
{
	if (i >= 0 && t->n[i].ev >= 0)
		sl_check_add_ev(o, (unsigned)t->n[i].ev);
}

/* Why a destination outside the tree breaks RFC 3263: the rule whose relaxing lets it
 * in (maddr, transport=, the URI's port, NAPTR flags or services), else the rule the
 * URI's form set. */
static unsigned why_not(const struct sl_evlog *l, const struct attempt *a, unsigned mask,
			const struct sl_targets *t)
{
	const struct sl_uri *u = &t->uri;
	unsigned r = 0;
	if (u->sips && strcmp(tp_of(a->dest), "tls") && !a->syn)
		r |= SL_R_TP_SIPS_ONLY;
	static const struct { unsigned relax, req; } rules[] = {
		{ SL_RELAX_MADDR, SL_R_TARGET_MADDR }, { SL_RELAX_TRANSPORT, SL_R_TP_PARAM },
		{ SL_RELAX_PORT, SL_R_AD_PORT_A }, { SL_RELAX_FLAGS, SL_R_TP_NAPTR_FLAGS },
		{ SL_RELAX_SERVICE, SL_R_TP_UNSUPPORTED },
	};
	struct sl_dnsview *v = NULL;
	if (sl_dnsview_new(&v, l, a->e->idx, 0) == 0) {
		for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
			struct sl_targets *x = NULL;
			char err[128];
			if (sl_targets_build_relaxed(&x, a->req->uri, v, mask, rules[i].relax, err,
						     sizeof(err)) < 0)
				continue;
			int in = find_leaf(x, a) >= 0;
			sl_targets_free(x);
			if (in) {
				sl_dnsview_free(v);
				return r | rules[i].req;
			}
		}
		sl_dnsview_free(v);
	}
	int num;
	sl_uri_target(u, &num);
	/* The same address and port over another transport: the transport rule broke. */
	unsigned tp_req = 0;
	int other_tp = 0;
	for (size_t i = 0; i < t->count; i++) {
		const struct sl_tnode *n = &t->n[i];
		size_t la = ap_len(a->dest);
		if (n->kind == SL_TN_LEAF && la == ap_len(n->dest) && !strncmp(n->dest, a->dest, la)) {
			other_tp = 1;
			tp_req |= n->req & (SL_R_TP_NUMERIC | SL_R_TP_PORT | SL_R_TP_NO_SRV |
					    SL_R_TP_PARAM);
		}
	}
	if (other_tp && (tp_req || r))
		return r | tp_req;
	r |= t->req & SL_R_TARGET_MADDR;
	if (num)
		return r | SL_R_AD_NUMERIC;
	if (u->port)
		return r | SL_R_AD_PORT_A;
	for (size_t i = 0; i < t->count; i++)
		if (t->n[i].kind == SL_TN_SRV && t->n[i].dot)
			return r | SL_R_SRV_DOT;
	return r | SL_R_AD_SRV;
}

#define ADDR_SEEN (SL_R_AD_NUMERIC | SL_R_AD_PORT_A | SL_R_AD_SRV | SL_R_AD_A_FALLBACK | \
		   SL_R_TARGET_MADDR | SL_R_TP_PARAM | SL_R_TP_NUMERIC | SL_R_TP_PORT | \
		   SL_R_TP_NO_SRV)

void sl_check_addresses(const struct sl_evlog *l, unsigned mask, struct sl_check_out *o)
{
	memset(o, 0, sizeof(*o));
	o->pass = 1;
	struct attempt *at = NULL;
	size_t n = 0, bad = 0, unjudged = 0;
	if (attempts(l, &at, &n) < 0) {
		o->pass = 0;
		sl_check_say(o, "out of memory");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const struct attempt *a = &at[i];
		struct sl_targets *t = NULL;
		char err[256];
		if (build(l, a->req->uri, a->e->idx, 0, mask, &t, err, sizeof(err)) < 0) {
			if (!unjudged++)
				sl_check_say(o, "not judged: %s. ", err);
			continue;
		}
		int li = find_leaf(t, a);
		if (li >= 0) {
			o->seen |= t->n[li].req & ADDR_SEEN;
			if (o->pass && o->nev < 8)
				sl_check_add_ev(o, a->e->idx);
		} else {
			unsigned why = why_not(l, a, mask, t);
			if (o->pass)
				o->nev = 0; /* from here on the proof is the failures */
			o->pass = 0;
			o->failed |= why;
			if (bad++ < 4) {
				sl_check_say(o, "%s%s to %s (t=%.3fs, send{} of %s): the URI and the DNS answers "
				    "given by then allow ", a->syn ? "a connection for " :
				    a->e->kind == SL_EV_STRAY ? "stray " : "", a->req->method, a->dest,
				    a->e->t_sut, a->req->uri);
				list_leaves(o, t);
				sl_check_say(o, ". ");
			}
			sl_check_add_ev(o, a->e->idx);
			dns_evidence(o, t);
		}
		sl_targets_free(t);
	}
	/* A "." SRV answer is the case SRV-DOT speaks of, whether or not anything was sent. */
	for (size_t i = 0; i < sl_evlog_count(l); i++) {
		const struct sl_event *e = sl_evlog_get(l, i);
		if (e->kind != SL_EV_SUT_REQ || !e->uri)
			continue;
		size_t end = i + 1;
		while (end < sl_evlog_count(l) && sl_evlog_get(l, end)->kind != SL_EV_SUT_REQ)
			end++;
		struct sl_targets *t = NULL;
		char err[256];
		if (build(l, e->uri, end, 1, mask, &t, err, sizeof(err)) < 0)
			continue;
		for (size_t k = 0; k < t->count; k++)
			if (t->n[k].kind == SL_TN_SRV && t->n[k].dot) {
				o->seen |= SL_R_SRV_DOT;
				if (o->pass)
					sl_check_add_ev(o, (unsigned)t->n[k].ev);
			}
		sl_targets_free(t);
	}
	if (bad > 4)
		sl_check_say(o, "(%zu more) ", bad - 4);
	if (o->pass)
		sl_check_say(o, "%zu request attempt(s), each to a destination the Request-URI names or the "
		    "DNS answers given to the SUT make possible (RFC 3263 4.1, 4.2)%s", n - unjudged,
		    unjudged ? "; " : "");
	free(at);
}

/* ---- order (RFC 2782) ---- */

#define MAX_LEAVES 512
#define WORDS (MAX_LEAVES / 64)
#define BUDGET 200000

struct order {
	const struct sl_targets *t;
	int *leaf_of;              /* node -> leaf number, -1 */
	int *node_of;              /* leaf number -> node */
	int *end;                  /* subtree of node i: [i, end[i]) */
	size_t nleaf;
	const struct attempt *const *obs;
	size_t nobs;
	unsigned char *skip;       /* leaf may be left out (failed before, a duplicate) */
	uint64_t *memo;            /* failed (state, k) hashes; 0 = free */
	size_t memo_cap, memo_n;
	unsigned long calls;
	size_t kmax;
	uint64_t deepest[WORDS];
};

struct state {
	uint64_t w[WORDS];
};

static int visited(const struct order *r, const struct state *s, int node)
{
	int lf = r->leaf_of[node];
	return (s->w[lf / 64] >> (lf % 64)) & 1;
}

static int entered(const struct order *r, const struct state *s, int node)
{
	for (int j = node; j < r->end[node]; j++)
		if (r->t->n[j].kind == SL_TN_LEAF && visited(r, s, j))
			return 1;
	return 0;
}

static int exhausted(const struct order *r, const struct state *s, int node)
{
	const struct sl_tnode *x = &r->t->n[node];
	if (x->kind == SL_TN_LEAF)
		return visited(r, s, node);
	if (x->unknown)
		return 0;
	for (int j = node + 1; j < r->end[node]; j = r->end[j])
		if (!r->t->n[j].optional && !exhausted(r, s, j))
			return 0;
	return 1;
}

/* The child of g an unfinished subtree is in: it must be finished first. */
static int current(const struct order *r, const struct state *s, int g)
{
	for (int j = g + 1; j < r->end[g]; j = r->end[j])
		if (entered(r, s, j) && !exhausted(r, s, j))
			return j;
	return -1;
}

static long min_rank(const struct order *r, const struct state *s, int g)
{
	long m = LONG_MAX;
	for (int j = g + 1; j < r->end[g]; j = r->end[j])
		if (!r->t->n[j].optional && !exhausted(r, s, j) && r->t->n[j].rank < m)
			m = r->t->n[j].rank;
	return m;
}

static int choosable_child(const struct order *r, const struct state *s, int c, long m)
{
	return !exhausted(r, s, c) && (r->t->n[c].rank == m ||
					(r->t->n[c].optional && r->t->n[c].rank <= m));
}

/* Leaves that may come next, into out (node indices). */
static void choosable(const struct order *r, const struct state *s, int g, int *out, size_t *n)
{
	const struct sl_tnode *x = &r->t->n[g];
	if (x->kind == SL_TN_LEAF) {
		if (!visited(r, s, g))
			out[(*n)++] = g;
		return;
	}
	if (x->unknown)
		return;
	int cur = current(r, s, g);
	if (cur >= 0) {
		choosable(r, s, cur, out, n);
		return;
	}
	long m = min_rank(r, s, g);
	for (int j = g + 1; j < r->end[g]; j = r->end[j])
		if (choosable_child(r, s, j, m))
			choosable(r, s, j, out, n);
}

static uint64_t key(const struct state *s, size_t k)
{
	uint64_t h = 1469598103934665603ull ^ (k * 0x9e3779b97f4a7c15ull);
	for (int i = 0; i < WORDS; i++) {
		h ^= s->w[i];
		h *= 1099511628211ull;
		h ^= h >> 29;
	}
	return h ? h : 1;
}

/* Open addressing, never filled beyond half: past that, states are searched again. */
static int memo_has(struct order *r, uint64_t h, int insert)
{
	size_t i = (size_t)h & (r->memo_cap - 1);
	while (r->memo[i]) {
		if (r->memo[i] == h)
			return 1;
		i = (i + 1) & (r->memo_cap - 1);
	}
	if (insert && r->memo_n < r->memo_cap / 2) {
		r->memo[i] = h;
		r->memo_n++;
	}
	return 0;
}

static void mark(const struct order *r, struct state *s, int node)
{
	int lf = r->leaf_of[node];
	s->w[lf / 64] |= 1ull << (lf % 64);
}

/* 1: obs[k..] can follow from s; 0: not; -1: out of budget. */
static int follow(struct order *r, const struct state *s, size_t k)
{
	if (k == r->nobs)
		return 1;
	if (++r->calls > BUDGET)
		return -1;
	if (k > r->kmax || (k == r->kmax && r->calls == 1)) {
		r->kmax = k;
		memcpy(r->deepest, s->w, sizeof(r->deepest));
	}
	uint64_t h = key(s, k);
	if (memo_has(r, h, 0))
		return 0;
	int *c = malloc(r->nleaf * sizeof(*c) + sizeof(*c));
	if (!c)
		return -1;
	size_t nc = 0;
	choosable(r, s, 0, c, &nc);
	int rc = 0;
	for (size_t i = 0; i < nc && !rc; i++) {
		if (!leaf_matches(&r->t->n[c[i]], r->obs[k]))
			continue;
		struct state s2 = *s;
		mark(r, &s2, c[i]);
		rc = follow(r, &s2, k + 1);
	}
	for (size_t i = 0; i < nc && !rc; i++) {
		if (!r->skip[r->leaf_of[c[i]]])
			continue;
		struct state s2 = *s;
		mark(r, &s2, c[i]);
		rc = follow(r, &s2, k);
	}
	free(c);
	if (!rc)
		memo_has(r, h, 1);
	return rc;
}

static const char *node_label(const struct sl_targets *t, const struct sl_tnode *x,
			      char *buf, size_t len)
{
	if (x->kind == SL_TN_TARGET && x->parent >= 0 && t->n[x->parent].kind == SL_TN_SRV)
		snprintf(buf, len, "%s:%u (priority %u)", x->name, x->port, x->prio);
	else if (x->kind == SL_TN_TARGET)
		snprintf(buf, len, "%s:%u", x->name, x->port);
	else if (x->kind == SL_TN_SRV)
		snprintf(buf, len, "SRV %s (%s)", x->name, x->tp);
	else
		snprintf(buf, len, "%s", x->dest);
	return buf;
}

/* What the deepest path could not do with obs[k]: which rule it breaks. */
static unsigned diagnose(const struct order *r, struct sl_check_out *o)
{
	unsigned why = 0;
	int cited[2] = { -1, -1 };
	const struct attempt *a = r->obs[r->kmax];
	struct state s;
	memcpy(s.w, r->deepest, sizeof(s.w));
	const struct sl_targets *t = r->t;
	int leaf = -1;
	for (size_t i = 0; i < t->count && leaf < 0; i++)
		if (t->n[i].kind == SL_TN_LEAF && leaf_matches(&t->n[i], a) &&
		    !visited(r, &s, (int)i))
			leaf = (int)i;
	char b1[320], b2[320];
	if (leaf < 0) {
		sl_check_say(o, "%s was tried again %s. ", a->dest, exhausted(r, &s, 0) ?
		    "after every destination of the list had been tried (no looping, RFC 3263 "
		    "4.3)" : "before the list was exhausted");
		return SL_R_FO_EXHAUST;
	}
	/* Walk from the root to the leaf; the first level that would not allow it says why. */
	int path[16], np = 0;
	for (int x = leaf; x >= 0 && np < 16; x = t->n[x].parent)
		path[np++] = x;
	for (int k = np - 1; k > 0; k--) {
		int g = path[k], child = path[k - 1];
		int cur = current(r, &s, g);
		if (cur >= 0 && cur != child) {
			cited[0] = cur;
			if (t->n[g].kind == SL_TN_SRV) {
				sl_check_say(o, "%s left target %s before trying all its addresses (RFC 3263 "
				    "4.2: every address of a target before the next). ", a->dest,
				    node_label(t, &t->n[cur], b1, sizeof(b1)));
				why = SL_R_SRV_ALL_ADDRS;
				break;
			}
			sl_check_say(o, "%s is outside %s, whose targets were not all tried. ", a->dest,
			    node_label(t, &t->n[cur], b1, sizeof(b1)));
			why = t->naptr ? SL_R_TP_NAPTR_ORDER : SL_R_SRV_PRIORITY;
			break;
		}
		if (cur >= 0)
			continue;
		long m = min_rank(r, &s, g);
		if (choosable_child(r, &s, child, m))
			continue;
		int blk = -1;
		for (int j = g + 1; j < r->end[g] && blk < 0; j = r->end[j])
			if (!t->n[j].optional && !exhausted(r, &s, j) && t->n[j].rank == m)
				blk = j;
		const char *state = blk >= 0 && t->n[blk].unknown ?
			"which the SUT never resolved" : "not tried yet";
		cited[0] = g;
		cited[1] = blk;
		if (t->n[g].kind == SL_TN_SRV) {
			sl_check_say(o, "%s (target %s) came before %s, %s (RFC 2782: lower priority first). ",
			    a->dest, node_label(t, &t->n[child], b1, sizeof(b1)),
			    blk >= 0 ? node_label(t, &t->n[blk], b2, sizeof(b2)) : "a lower priority",
			    state);
			why = SL_R_SRV_PRIORITY;
			break;
		}
		sl_check_say(o, "%s (via %s) came before %s, %s (%s). ", a->dest,
		    node_label(t, &t->n[child], b1, sizeof(b1)),
		    blk >= 0 ? node_label(t, &t->n[blk], b2, sizeof(b2)) : "a better alternative",
		    state, t->naptr ? "NAPTR order, then preference" : "the SRV list");
		why = t->naptr ? SL_R_TP_NAPTR_ORDER : SL_R_SRV_PRIORITY;
		break;
	}
	if (!why) {
		sl_check_say(o, "%s does not fit any order RFC 2782 allows here. ", a->dest);
		why = SL_R_SRV_PRIORITY;
	}
	/* The answers that set the broken rule: the SRV set or NAPTR, the target left. */
	node_evidence(o, t, cited[0]);
	node_evidence(o, t, cited[1]);
	return why;
}

/* What the order of this send{} speaks for: the cases its tree and attempts show. */
static unsigned order_seen(const struct order *r)
{
	const struct sl_targets *t = r->t;
	unsigned seen = 0;
	for (size_t i = 0; i < t->count; i++) {
		const struct sl_tnode *x = &t->n[i];
		if (x->kind == SL_TN_SRV) {
			/* Two priorities among targets: the first choice already shows order. */
			long p = -1;
			for (int j = (int)i + 1; j < r->end[i]; j = r->end[j]) {
				if (p >= 0 && t->n[j].rank != p)
					seen |= SL_R_SRV_PRIORITY;
				p = t->n[j].rank;
			}
		}
		if (x->kind == SL_TN_TARGET && r->nobs > 1) {
			int nl = 0, hit = 0;
			for (int j = (int)i + 1; j < r->end[i]; j++) {
				nl++;
				for (size_t k = 0; k + 1 < r->nobs; k++)
					hit |= leaf_matches(&t->n[j], r->obs[k]);
			}
			/* A failover from a target with another address to try. */
			if (nl > 1 && hit)
				seen |= x->req & SL_R_AD_PORT_A ? SL_R_AD_PORT_NEXT : SL_R_SRV_ALL_ADDRS;
		}
	}
	if (t->naptr) {
		long p = -1;
		for (int j = 1; j < (int)t->count; j = r->end[j])
			if (t->n[j].kind == SL_TN_SRV) {
				if (p >= 0 && t->n[j].rank != p)
					seen |= SL_R_TP_NAPTR_ORDER;
				p = t->n[j].rank;
			}
	}
	return seen;
}

/* Judges one send{}: returns 1 pass, 0 fail, -1 not judged. */
static int judge_order(const struct sl_evlog *l, const struct attempt *at, size_t first,
		       size_t count, unsigned mask, struct sl_check_out *o)
{
	const struct attempt *a0 = &at[first];
	size_t upto = at[first + count - 1].e->idx + 1;
	struct sl_targets *t = NULL;
	char err[256];
	if (build(l, a0->req->uri, upto, 1, mask, &t, err, sizeof(err)) < 0)
		return -1;
	struct order r = { .t = t };
	int res = -1;
	const struct attempt **obs = calloc(count, sizeof(*obs));
	r.leaf_of = calloc(t->count, sizeof(int));
	r.node_of = calloc(t->count, sizeof(int));
	r.end = calloc(t->count, sizeof(int));
	r.skip = calloc(t->count, 1);
	r.memo_cap = 1 << 15;
	r.memo = calloc(r.memo_cap, sizeof(*r.memo));
	if (!obs || !r.leaf_of || !r.node_of || !r.end || !r.skip || !r.memo)
		goto out;
	for (size_t i = 0; i < t->count; i++) {
		r.leaf_of[i] = -1;
		if (t->n[i].kind == SL_TN_LEAF && r.nleaf < MAX_LEAVES) {
			r.leaf_of[i] = (int)r.nleaf;
			r.node_of[r.nleaf++] = (int)i;
		}
	}
	for (size_t i = 0, total = 0; i < t->count; i++)
		if (t->n[i].kind == SL_TN_LEAF && ++total > MAX_LEAVES)
			goto out; /* too large a zone to search: not judged */
	/* Subtrees are contiguous (built depth first): a node's ends at the first later node
	 * it is not an ancestor of. */
	for (size_t i = 0; i < t->count; i++) {
		size_t j = i + 1;
		for (; j < t->count; j++) {
			int under = 0;
			for (int x = t->n[j].parent; x >= 0 && !under; x = t->n[x].parent)
				under = x == (int)i;
			if (!under)
				break;
		}
		r.end[i] = (int)j;
	}
	/* Attempts outside the tree are the address invariant's; the order is judged on
	 * the rest. */
	for (size_t k = 0; k < count; k++)
		if (find_leaf(t, &at[first + k]) >= 0)
			obs[r.nobs++] = &at[first + k];
	r.obs = obs;
	if (!r.nobs) {
		res = -1;
		goto out;
	}
	for (size_t lf = 0; lf < r.nleaf; lf++) {
		const struct sl_tnode *x = &t->n[r.node_of[lf]];
		for (size_t k = 0; k < first && !r.skip[lf]; k++)
			r.skip[lf] = at[k].failed && leaf_matches(x, &at[k]);
		for (size_t m = 0; m < r.nleaf && !r.skip[lf]; m++)
			r.skip[lf] = m != lf && !strcmp(t->n[r.node_of[m]].dest, x->dest);
	}
	struct state s0;
	memset(&s0, 0, sizeof(s0));
	int f = follow(&r, &s0, 0);
	if (f < 0) {
		sl_check_say(o, "%s %s: too many possible orders to search; not judged. ", a0->req->method,
		    a0->req->uri);
		res = -1;
		goto out;
	}
	o->seen |= order_seen(&r);
	if (f == 1) {
		res = 1;
		if (o->pass && o->nev < 8)
			sl_check_add_ev(o, a0->e->idx);
		goto out;
	}
	if (o->pass)
		o->nev = 0;
	sl_check_say(o, "%s %s tried ", a0->req->method, a0->req->uri);
	for (size_t k = 0; k < count; k++) {
		sl_check_say(o, "%s%s", k ? " -> " : "", at[first + k].dest);
		sl_check_add_ev(o, at[first + k].e->idx);
	}
	sl_check_say(o, "; at attempt %zu: ", r.kmax + 1);
	o->failed |= diagnose(&r, o);
	res = 0;
out:
	free(obs);
	free(r.leaf_of);
	free(r.node_of);
	free(r.end);
	free(r.skip);
	free(r.memo);
	sl_targets_free(t);
	return res;
}

void sl_check_order(const struct sl_evlog *l, unsigned mask, struct sl_check_out *o)
{
	memset(o, 0, sizeof(*o));
	o->pass = 1;
	struct attempt *at = NULL;
	size_t n = 0;
	if (attempts(l, &at, &n) < 0) {
		o->pass = 0;
		sl_check_say(o, "out of memory");
		return;
	}
	size_t judged = 0, multi = 0;
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && at[j].req == at[i].req)
			j++;
		int r = judge_order(l, at, i, j - i, mask, o);
		if (r == 0)
			o->pass = 0;
		if (r >= 0) {
			judged++;
			multi += j - i > 1;
		}
		i = j;
	}
	if (o->pass)
		sl_check_say(o, "%zu send{}(s) judged, %zu with a failover: each tried its destinations in "
		    "an order RFC 2782 allows for the answers given (priorities, any order within "
		    "one, every address of a target before the next, nothing twice)", judged, multi);
	free(at);
}
