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
#include "sl_strmap.h"
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

/* What became of each (branch, server) the SUT sent to: answered, 503, refused by the
 * kernel. One pass over the log, so judging every attempt stays linear in the events. */
#define OUT_ANSWERED 1
#define OUT_FAILED   2

struct outcomes {
	struct sl_strmap *m;   /* branch + server -> slot in v */
	unsigned char *v;
	size_t n;
};

static int outcome_mark(struct outcomes *oc, const char *branch, const char *server,
			unsigned char bit)
{
	char key[600];
	int slot = (int)oc->n;
	int added = sl_strmap_add(oc->m, sl_strmap_key2(key, sizeof(key), branch ? branch : "",
							 server ? server : ""), slot);
	if (added < 0)
		return added;
	if (!added)
		sl_strmap_get(oc->m, key, &slot);
	else
		oc->v[oc->n++] = 0;
	oc->v[slot] |= bit;
	return 0;
}

static int outcomes_build(struct outcomes *oc, const struct sl_evlog *l)
{
	size_t nev = sl_evlog_count(l);
	memset(oc, 0, sizeof(*oc));
	if (sl_strmap_new(&oc->m, nev / 4) < 0 || !(oc->v = calloc(nev + 1, 1)))
		return -ENOMEM;
	for (size_t i = 0; i < nev; i++) {
		const struct sl_event *e = sl_evlog_get(l, i);
		int rc = 0;
		if (e->kind == SL_EV_REJECT && e->answers && e->answers->kind == SL_EV_SIP_RX)
			rc = outcome_mark(oc, e->answers->branch, e->answers->server, OUT_FAILED);
		else if (e->kind == SL_EV_SIP_TX && e->status)
			rc = outcome_mark(oc, e->branch, e->server,
					  e->status == 503 ? OUT_FAILED : OUT_ANSWERED);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static void outcomes_free(struct outcomes *oc)
{
	sl_strmap_free(oc->m);
	free(oc->v);
}

/* 503, no answer at all, or a refusal the kernel sent back. */
static int attempt_failed(const struct outcomes *oc, const struct attempt *a)
{
	if (a->e->kind == SL_EV_STRAY || a->e->conn_failed)
		return 1;
	char key[600];
	int slot;
	if (!sl_strmap_get(oc->m, sl_strmap_key2(key, sizeof(key), a->e->branch ? a->e->branch : "",
						 a->e->server ? a->e->server : ""), &slot))
		return 1;
	return (oc->v[slot] & OUT_FAILED) || !(oc->v[slot] & OUT_ANSWERED);
}

static size_t ap_len(const char *d);
static const char *tp_of(const char *d);

static int grow_ptrs(const struct sl_event ***arr, size_t *cap, size_t n)
{
	if (n < *cap)
		return 0;
	size_t c = *cap ? *cap * 2 : 16;
	const struct sl_event **p = realloc(*arr, c * sizeof(*p));
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = c;
	return 0;
}

/* By the send{} an attempt belongs to, then by its packet: the order within a send. */
static int by_send(const void *a, const void *b)
{
	const struct attempt *x = a, *y = b;
	if (x->req->idx != y->req->idx)
		return x->req->idx < y->req->idx ? -1 : 1;
	return x->e->idx < y->e->idx ? -1 : x->e->idx > y->e->idx;
}

/* The send{}s not answered yet, and which of them each Call-ID belongs to: with
 * send_many{} many are open at once, and a request is theirs by its Call-ID once one of
 * its requests was matched by its Request-URI. A Call-ID is tied to its send{} until
 * that send's outcome: a stack may use it again for the next one (REGISTER). */
struct owners {
	const struct sl_event **open;
	size_t nopen, capopen;
	const struct sl_event *latest;      /* the last send{}: owner when nothing else says */
	struct sl_strmap *by_call;          /* Call-ID -> slot in bound */
	const struct sl_event **bound;      /* per slot: the send{} it is tied to */
	size_t nbound, capbound;
};

static int is_open(const struct owners *w, const struct sl_event *req)
{
	for (size_t i = w->nopen; i-- > 0;)
		if (w->open[i] == req)
			return 1;
	return 0;
}

static const struct sl_event *owner_of(struct owners *w, const struct sl_event *e)
{
	int slot = -1;
	if (e->call_id && sl_strmap_get(w->by_call, e->call_id, &slot) &&
	    is_open(w, w->bound[slot]))
		return w->bound[slot];
	const struct sl_event *req = NULL;
	for (size_t i = 0; i < w->nopen && !req && e->uri; i++)
		if (!strcmp(w->open[i]->uri, e->uri))
			req = w->open[i];
	if (!req)
		req = w->nopen ? w->open[w->nopen - 1] : w->latest;
	if (!req || !e->call_id)
		return req;
	if (slot < 0) {
		if (grow_ptrs(&w->bound, &w->capbound, w->nbound) < 0 ||
		    sl_strmap_add(w->by_call, e->call_id, (int)w->nbound) < 0)
			return NULL;
		slot = (int)w->nbound++;
	}
	w->bound[slot] = req;
	return req;
}

/* Keeps the open list as the log says: a send{} opens, its outcome closes it. */
static int owners_step(struct owners *w, const struct sl_event *e)
{
	if (e->kind == SL_EV_SUT_REQ && e->method && e->uri) {
		if (grow_ptrs(&w->open, &w->capopen, w->nopen) < 0)
			return -ENOMEM;
		w->open[w->nopen++] = e;
		w->latest = e;
	} else if (e->kind == SL_EV_SUT_DONE) {
		for (size_t i = 0; i < w->nopen; i++)
			if (w->open[i]->req_id == e->req_id) {
				memmove(&w->open[i], &w->open[i + 1],
					(w->nopen - i - 1) * sizeof(*w->open));
				w->nopen--;
				break;
			}
	}
	return 0;
}

/* The attempts of every send{}, grouped by send{} in the order the sends were made. */
static int attempts(const struct sl_evlog *l, struct attempt **out, size_t *nout)
{
	size_t n = 0, cap = 0;
	struct attempt *v = NULL;
	struct owners w = { 0 };
	struct outcomes oc = { 0 };
	int rc = sl_strmap_new(&w.by_call, 64);
	for (size_t i = 0; !rc && i < sl_evlog_count(l); i++) {
		const struct sl_event *e = sl_evlog_get(l, i);
		int syn;
		if (e->kind == SL_EV_SUT_REQ || e->kind == SL_EV_SUT_DONE) {
			rc = owners_step(&w, e);
			continue;
		}
		const struct sl_event *req = w.latest ? owner_of(&w, e) : NULL;
		if (!req || !is_attempt(e, req, &syn))
			continue;
		char dest[96];
		snprintf(dest, sizeof(dest), "%s/%s", e->server, e->transport);
		int again = 0;
		for (size_t k = n; k-- > 0 && !again;)
			again = v[k].req == req && !strcmp(v[k].dest, dest) && v[k].syn == syn &&
				(syn ? same_str(v[k].e->client, e->client) :
				       same_str(v[k].e->branch, e->branch));
		if (again)
			continue; /* a retransmission of that attempt */
		/* RFC 3261 18.1.1: a large request whose TCP connection was refused goes out
		 * over UDP to the same target: that is the element itself, not a second try. */
		size_t last = n;
		for (size_t k = n; k-- > 0 && last == n;)
			if (v[k].req == req)
				last = k;
		if (last < n && v[last].syn && !syn && req->body_len > 0 &&
		    !strcmp(e->transport, "udp") && !strcmp(tp_of(v[last].dest), "tcp") &&
		    ap_len(v[last].dest) == ap_len(dest) &&
		    !strncmp(v[last].dest, dest, ap_len(dest))) {
			v[last] = (struct attempt){ .e = e, .req = req, .syn = 0 };
			snprintf(v[last].dest, sizeof(v[last].dest), "%s", dest);
			continue;
		}
		if (n == cap) {
			size_t c = cap ? cap * 2 : 16;
			struct attempt *nv = realloc(v, c * sizeof(*nv));
			if (!nv) {
				rc = -ENOMEM;
				break;
			}
			v = nv;
			cap = c;
		}
		v[n] = (struct attempt){ .e = e, .req = req, .syn = syn };
		snprintf(v[n].dest, sizeof(v[n].dest), "%s", dest);
		n++;
	}
	if (!rc)
		rc = outcomes_build(&oc, l);
	for (size_t i = 0; !rc && i < n; i++)
		v[i].failed = attempt_failed(&oc, &v[i]);
	/* Grouped by send{} (stable: each send's attempts keep their order). */
	if (!rc && n)
		qsort(v, n, sizeof(*v), by_send);
	outcomes_free(&oc);
	sl_strmap_free(w.by_call);
	free(w.bound);
	free(w.open);
	if (rc < 0) {
		free(v);
		return rc;
	}
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

static int build(const struct sl_dnsidx *x, const char *uri, size_t upto, int latest,
		 unsigned mask, struct sl_targets **tp, char *err, size_t errlen)
{
	struct sl_dnsview *v = NULL;
	int rc = sl_dnsview_at(&v, x, upto, latest);
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
static unsigned why_not(const struct sl_dnsidx *dx, const struct attempt *a, unsigned mask,
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
	if (sl_dnsview_at(&v, dx, a->e->idx, 0) == 0) {
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
	struct sl_dnsidx *dx = NULL;
	size_t n = 0, bad = 0, unjudged = 0;
	if (sl_dnsidx_new(&dx, l) < 0 || attempts(l, &at, &n) < 0) {
		sl_dnsidx_free(dx);
		o->pass = 0;
		sl_check_say(o, "out of memory");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const struct attempt *a = &at[i];
		struct sl_targets *t = NULL;
		char err[256];
		if (build(dx, a->req->uri, a->e->idx, 0, mask, &t, err, sizeof(err)) < 0) {
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
			unsigned why = why_not(dx, a, mask, t);
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
	/* A "." SRV answer is the case SRV-DOT speaks of, whether or not anything was sent:
	 * the answers a send{} had by its outcome (sends may overlap: send_many{}). */
	size_t nev = sl_evlog_count(l);
	struct sl_strmap *done = NULL;
	char key[32];
	if (sl_strmap_new(&done, 64) < 0)
		nev = 0;
	for (size_t i = 0; i < nev; i++) {
		const struct sl_event *e = sl_evlog_get(l, i);
		snprintf(key, sizeof(key), "%u", e->req_id);
		if (e->kind == SL_EV_SUT_DONE && sl_strmap_add(done, key, (int)i) < 0)
			nev = 0;
	}
	for (size_t i = 0; i < nev; i++) {
		const struct sl_event *e = sl_evlog_get(l, i);
		if (e->kind != SL_EV_SUT_REQ || !e->uri)
			continue;
		int end = (int)nev;
		snprintf(key, sizeof(key), "%u", e->req_id);
		sl_strmap_get(done, key, &end);
		struct sl_targets *t = NULL;
		char err[256];
		if (build(dx, e->uri, (size_t)end, 1, mask, &t, err, sizeof(err)) < 0)
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
	sl_strmap_free(done);
	sl_dnsidx_free(dx);
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

/* The failed attempts by address ("127.0.0.2:5060", any transport): a leaf may only
 * match an attempt of its own address, so each looks at its bucket alone. */
struct failed_ix {
	struct sl_strmap *head;  /* address -> first failed attempt */
	int *next;               /* per attempt: the next failed one of its address, -1 */
};

static int failed_ix_build(struct failed_ix *f, const struct attempt *at, size_t n)
{
	int *tail = calloc(n + 1, sizeof(int));
	f->next = calloc(n + 1, sizeof(int));
	int rc = !tail || !f->next || sl_strmap_new(&f->head, 64) < 0 ? -ENOMEM : 0;
	for (size_t i = 0; !rc && i < n; i++) {
		f->next[i] = -1;
		if (!at[i].failed)
			continue;
		char ap[96];
		snprintf(ap, sizeof(ap), "%.*s", (int)ap_len(at[i].dest), at[i].dest);
		int h = (int)i, added = sl_strmap_add(f->head, ap, h);
		if (added < 0)
			rc = added;
		else if (added)
			tail[i] = (int)i;
		else if (sl_strmap_get(f->head, ap, &h)) {
			f->next[tail[h]] = (int)i;
			tail[h] = (int)i;
		}
	}
	free(tail);
	return rc;
}

static void failed_ix_free(struct failed_ix *f)
{
	sl_strmap_free(f->head);
	free(f->next);
}

/* Did an attempt of an earlier send{} than first fail at leaf x? */
static int failed_before(const struct failed_ix *f, const struct attempt *at, size_t first,
			 const struct sl_tnode *x)
{
	char ap[96];
	int k;
	snprintf(ap, sizeof(ap), "%.*s", (int)ap_len(x->dest), x->dest);
	if (!sl_strmap_get(f->head, ap, &k))
		return 0;
	for (; k >= 0 && (size_t)k < first; k = f->next[k])
		if (leaf_matches(x, &at[k]))
			return 1;
	return 0;
}

/* Judges one send{}: returns 1 pass, 0 fail, -1 not judged. */
static int judge_order(const struct sl_dnsidx *dx, const struct failed_ix *fx,
		       const struct attempt *at, size_t first, size_t count, unsigned mask,
		       struct sl_check_out *o)
{
	const struct attempt *a0 = &at[first];
	size_t upto = at[first + count - 1].e->idx + 1;
	struct sl_targets *t = NULL;
	char err[256];
	if (build(dx, a0->req->uri, upto, 1, mask, &t, err, sizeof(err)) < 0)
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
		r.skip[lf] = failed_before(fx, at, first, x);
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
	struct sl_dnsidx *dx = NULL;
	struct failed_ix fx = { 0 };
	size_t n = 0;
	if (sl_dnsidx_new(&dx, l) < 0 || attempts(l, &at, &n) < 0 ||
	    failed_ix_build(&fx, at, n) < 0) {
		o->pass = 0;
		sl_check_say(o, "out of memory");
		goto out;
	}
	size_t judged = 0, multi = 0;
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && at[j].req == at[i].req)
			j++;
		int r = judge_order(dx, &fx, at, i, j - i, mask, o);
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
out:
	failed_ix_free(&fx);
	free(at);
	sl_dnsidx_free(dx);
}
