/* sl_check.c: explicit checks and the invariants every scenario runs, over the event log. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sl_check.h"
#include "sl_evlog.h"
#include "sl_strmap.h"

void sl_check_add_ev(struct sl_check_out *o, unsigned idx)
{
	for (size_t i = 0; i < o->nev; i++)
		if (o->ev[i] == idx)
			return;
	if (o->nev < SL_CHECK_MAX_EV)
		o->ev[o->nev++] = idx;
}

void sl_check_say(struct sl_check_out *o, const char *fmt, ...)
{
	size_t len = strlen(o->detail);
	if (len >= sizeof(o->detail) - 1)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(o->detail + len, sizeof(o->detail) - len, fmt, ap);
	va_end(ap);
}

static int name_eq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la && a[la - 1] == '.')
		la--;
	if (lb && b[lb - 1] == '.')
		lb--;
	return la == lb && !strncasecmp(a, b, la);
}

static int is_request_to_peer(const struct sl_event *e)
{
	return e->kind == SL_EV_SIP_RX && e->method && !e->text;
}

/* Lookups the invariants make for every request, built once per check so they stay linear
 * in the events: a zone_farm run has tens of thousands of transactions. */
struct ix {
	struct sl_strmap *group;   /* Call-ID + method of the requests -> group number */
	int *ev_group;             /* per event: its group, -1 */
	int *head, *next;          /* per group its first event; per event the next of its group */
	struct sl_strmap *req;     /* branch + method -> first request at a peer */
	struct sl_strmap *final;   /* branch + CSeq method -> first final response sent */
	struct sl_strmap *given;   /* Request-URI -> first request the SUT was given */
};

static void ix_free(struct ix *x)
{
	sl_strmap_free(x->group);
	sl_strmap_free(x->req);
	sl_strmap_free(x->final);
	sl_strmap_free(x->given);
	free(x->ev_group);
	free(x->head);
	free(x->next);
	memset(x, 0, sizeof(*x));
}

static int ix_build(struct ix *x, const struct sl_evlog *l)
{
	size_t nev = sl_evlog_count(l), ngroups = 0;
	char key[1024];
	int rc = 0;
	memset(x, 0, sizeof(*x));
	x->ev_group = malloc((nev + 1) * sizeof(int));
	x->head = malloc((nev + 1) * sizeof(int));
	x->next = malloc((nev + 1) * sizeof(int));
	int *tail = malloc((nev + 1) * sizeof(int));
	if (!x->ev_group || !x->head || !x->next || !tail || sl_strmap_new(&x->group, nev / 4) ||
	    sl_strmap_new(&x->req, nev / 4) || sl_strmap_new(&x->final, nev / 4) ||
	    sl_strmap_new(&x->given, nev / 4))
		rc = -ENOMEM;
	for (size_t i = 0; !rc && i < nev; i++) {
		const struct sl_event *e = sl_evlog_get(l, i);
		x->ev_group[i] = x->next[i] = -1;
		if (is_request_to_peer(e) && e->call_id) {
			int g = (int)ngroups;
			sl_strmap_key2(key, sizeof(key), e->call_id, e->method);
			int added = sl_strmap_add(x->group, key, g);
			if (added < 0 || (!added && !sl_strmap_get(x->group, key, &g))) {
				rc = -ENOMEM;
				break;
			}
			if (added) {
				ngroups++;
				x->head[g] = (int)i;
			} else {
				x->next[tail[g]] = (int)i;
			}
			tail[g] = (int)i;
			x->ev_group[i] = g;
		}
		if (is_request_to_peer(e) && e->branch &&
		    sl_strmap_add(x->req, sl_strmap_key2(key, sizeof(key), e->branch, e->method),
				  (int)i) < 0)
			rc = -ENOMEM;
		if (e->kind == SL_EV_SIP_TX && e->status >= 200 && e->branch && e->cseq_method &&
		    sl_strmap_add(x->final, sl_strmap_key2(key, sizeof(key), e->branch,
							   e->cseq_method), (int)i) < 0)
			rc = -ENOMEM;
		/* Given with send{}, or sent into a proxy by the harness UAC (inject{}). */
		if ((e->kind == SL_EV_SUT_REQ || (e->kind == SL_EV_SIP_TX && e->method)) && e->uri &&
		    sl_strmap_add(x->given, e->uri, (int)i) < 0)
			rc = -ENOMEM;
		if (e->kind == SL_EV_SIP_TX && e->status >= 200 && e->status < 300 && e->contact &&
		    e->call_id &&
		    sl_strmap_add(x->given, sl_strmap_key2(key, sizeof(key), e->contact, e->call_id),
				  (int)i) < 0)
			rc = -ENOMEM;
	}
	free(tail);
	if (rc)
		ix_free(x);
	return rc;
}

/* Index of the first event of m under key a+b, or -1. */
static int ix_first(const struct sl_strmap *m, const char *a, const char *b)
{
	char key[1024];
	int v;
	return sl_strmap_get(m, sl_strmap_key2(key, sizeof(key), a, b), &v) ? v : -1;
}

/* Whether event i starts its group (the first request of its Call-ID and method). */
static int ix_first_of_group(const struct ix *x, size_t i)
{
	return x->ev_group[i] >= 0 && x->head[x->ev_group[i]] == (int)i;
}

void sl_check_dns(const struct sl_evlog *l, const struct sl_dns_want *want, size_t n,
		  enum sl_match mode, struct sl_check_out *o)
{
	memset(o, 0, sizeof(*o));
	/* Observed questions, consecutive duplicates folded. */
	size_t nev = sl_evlog_count(l), nobs = 0;
	unsigned *obs = calloc(nev ? nev : 1, sizeof(*obs));
	if (!obs) {
		sl_check_say(o, "out of memory");
		return;
	}
	for (size_t i = 0; i < nev; i++) {
		const struct sl_event *e = sl_evlog_get(l, i);
		if (e->kind != SL_EV_DNS || !e->qname)
			continue;
		if (nobs) {
			const struct sl_event *p = sl_evlog_get(l, obs[nobs - 1]);
			if (name_eq(p->qname, e->qname) && !strcmp(p->qtype, e->qtype))
				continue;
		}
		obs[nobs++] = (unsigned)i;
	}
	size_t j = 0, matched = 0;
	int ok = 1;
	for (size_t i = 0; mode == SL_MATCH_SET && i < n; i++) {
		int found = 0;
		for (size_t k = 0; k < nobs && !found; k++) {
			const struct sl_event *e = sl_evlog_get(l, obs[k]);
			found = !strcasecmp(e->qtype, want[i].qtype) && name_eq(e->qname, want[i].qname);
			if (found)
				sl_check_add_ev(o, e->idx);
		}
		if (!found) {
			ok = 0;
			break;
		}
		matched++;
	}
	const struct sl_event *extra = NULL;
	for (size_t k = 0; mode == SL_MATCH_SET && ok && k < nobs && !extra; k++) {
		const struct sl_event *e = sl_evlog_get(l, obs[k]);
		int wanted = 0;
		for (size_t i = 0; i < n && !wanted; i++)
			wanted = !strcasecmp(e->qtype, want[i].qtype) && name_eq(e->qname, want[i].qname);
		if (!wanted) {
			ok = 0;
			extra = e;
		}
	}
	for (size_t i = 0; mode != SL_MATCH_SET && i < n; i++) {
		int found = 0;
		while (j < nobs) {
			const struct sl_event *e = sl_evlog_get(l, obs[j++]);
			if (!strcasecmp(e->qtype, want[i].qtype) && name_eq(e->qname, want[i].qname)) {
				found = 1;
				sl_check_add_ev(o, e->idx);
				break;
			}
			if (mode != SL_MATCH_SUBSEQ) {
				j--;
				break;
			}
		}
		if (!found) {
			ok = 0;
			break;
		}
		matched++;
	}
	if (ok && mode == SL_MATCH_EXACT && j != nobs)
		ok = 0;
	o->pass = ok;
	sl_check_say(o, "expected %s: ", mode == SL_MATCH_EXACT ? "exactly" :
	    mode == SL_MATCH_PREFIX ? "first" : mode == SL_MATCH_SET ? "these and no other, any order" :
	    "in order");
	for (size_t i = 0; i < n; i++)
		sl_check_say(o, "%s%s %s", i ? ", " : "", want[i].qtype, want[i].qname);
	if (!n)
		sl_check_say(o, "no query");
	sl_check_say(o, "; SUT queried: ");
	for (size_t i = 0; i < nobs; i++) {
		const struct sl_event *e = sl_evlog_get(l, obs[i]);
		sl_check_say(o, "%s%s %s", i ? ", " : "", e->qtype, e->qname);
		if (!ok)
			sl_check_add_ev(o, e->idx);
	}
	if (!nobs)
		sl_check_say(o, "nothing");
	if (!ok && matched < n)
		sl_check_say(o, " (first missing: %s %s)", want[matched].qtype, want[matched].qname);
	if (extra)
		sl_check_say(o, " (not expected: %s %s)", extra->qtype, extra->qname);
	free(obs);
}

/* "addr/transport" of the peer that logged e. */
static void dest_of(const struct sl_event *e, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", e->server ? e->server : "?",
		 e->transport ? e->transport : "?");
}

void sl_check_route(const struct sl_evlog *l, const char *method, const char *const *dests,
		    size_t n, struct sl_check_out *o)
{
	memset(o, 0, sizeof(*o));
	char seen[64][80];
	unsigned first_ev[64];
	size_t nseen = 0;
	char cur_dest[80] = "";
	const char *cur_branch = NULL;
	for (size_t i = 0; i < sl_evlog_count(l); i++) {
		const struct sl_event *e = sl_evlog_get(l, i);
		if (!is_request_to_peer(e))
			continue;
		if (method ? strcmp(e->method, method) :
			     (!strcmp(e->method, "ACK") || !strcmp(e->method, "CANCEL")))
			continue;
		char d[80];
		dest_of(e, d, sizeof(d));
		const char *br = e->branch ? e->branch : "";
		if (cur_branch && !strcmp(d, cur_dest) && !strcmp(br, cur_branch))
			continue;
		snprintf(cur_dest, sizeof(cur_dest), "%s", d);
		cur_branch = br;
		if (nseen < 64) {
			snprintf(seen[nseen], sizeof(seen[0]), "%s", d);
			first_ev[nseen++] = e->idx;
		}
	}
	int ok = nseen == n;
	for (size_t i = 0; ok && i < n; i++)
		ok = !strcmp(seen[i], dests[i]);
	o->pass = ok;
	sl_check_say(o, "expected %s attempts at: ", method ? method : "request");
	for (size_t i = 0; i < n; i++)
		sl_check_say(o, "%s%s", i ? " -> " : "", dests[i]);
	if (!n)
		sl_check_say(o, "none");
	sl_check_say(o, "; observed: ");
	for (size_t i = 0; i < nseen; i++) {
		sl_check_say(o, "%s%s", i ? " -> " : "", seen[i]);
		sl_check_add_ev(o, first_ev[i]);
	}
	if (!nseen) {
		/* Nothing reached a peer: the DNS exchanges are what the SUT did instead. */
		sl_check_say(o, "none");
		for (size_t i = 0; i < sl_evlog_count(l) && o->nev < 8; i++) {
			const struct sl_event *e = sl_evlog_get(l, i);
			if (e->kind == SL_EV_DNS)
				sl_check_add_ev(o, e->idx);
		}
	}
}

struct group {
	const char *call_id, *method;
	const char *from_tag;
	unsigned long cseq;
	unsigned first_ev;
};

/* Was a final response for branch sent by a peer before event index before? */
/* Measured SUT times carry a few ms of calibration error: timer B "has fired" a little
 * before its nominal value. */
#define TIMER_WINDOW(b) ((b) * 0.95)

static int final_sent(const struct ix *x, const char *branch, const char *method,
		      size_t before)
{
	int f = ix_first(x->final, branch, method);
	return f >= 0 && (size_t)f < before;
}

void sl_check_branches(const struct sl_evlog *l, double timer_b_s, struct sl_check_out *o)
{
	memset(o, 0, sizeof(*o));
	o->pass = 1;
	size_t nev = sl_evlog_count(l);
	unsigned attempts = 0, retrans = 0;
	struct ix x;
	if (ix_build(&x, l) < 0) {
		o->pass = 0;
		sl_check_say(o, "out of memory");
		return;
	}
	/* Requests are grouped by (Call-ID, method); within a group, packets are walked in
	 * order tracking the current attempt. */
	for (size_t i = 0; i < nev; i++) {
		const struct sl_event *g = sl_evlog_get(l, i);
		if (!is_request_to_peer(g) || !strcmp(g->method, "ACK") ||
		    !strcmp(g->method, "CANCEL") || !g->call_id)
			continue;
		/* Only start a group at its first packet. */
		if (!ix_first_of_group(&x, i))
			continue;
		const struct sl_event *cur = g;
		const char *branches[256];
		size_t nb = 0;
		branches[nb++] = g->branch ? g->branch : "";
		attempts++;
		sl_check_add_ev(o, g->idx);
		for (int kk = x.next[i]; kk >= 0; kk = x.next[kk]) {
			size_t k = (size_t)kk;
			const struct sl_event *e = sl_evlog_get(l, k);
			const char *br = e->branch ? e->branch : "";
			const char *cbr = cur->branch ? cur->branch : "";
			int same_dest = !strcmp(e->server, cur->server) &&
					!strcmp(e->transport, cur->transport);
			int used = 0;
			for (size_t b = 0; b < nb; b++)
				used |= !strcmp(branches[b], br);
			if (same_dest && !strcmp(br, cbr)) {
				retrans++;
				o->seen |= 2;
				continue;
			}
			int early = !final_sent(&x, cbr, g->method, k) &&
				    e->t_sut - cur->t_sut < TIMER_WINDOW(timer_b_s);
			if (!same_dest && !strcmp(br, cbr) && early)
				continue; /* a retransmission sent elsewhere: sl_check_same_server() */
			if (same_dest && early) {
				o->pass = 0;
				sl_check_say(o, "%s retransmission to %s changed branch %s -> %s (t=%.3fs) "
				    "with no final response to the first. ", g->method, e->server,
				    cbr, br, e->t_sut);
				sl_check_add_ev(o, cur->idx);
				sl_check_add_ev(o, e->idx);
			} else if (used) {
				o->pass = 0;
				sl_check_say(o, "%s %s at %s (t=%.3fs) reuses branch %s of an earlier "
				    "transaction at %s. ", same_dest ? "new transaction" : "failover",
				    g->method, e->server, e->t_sut, br, cur->server);
				sl_check_add_ev(o, cur->idx);
				sl_check_add_ev(o, e->idx);
			}
			if ((e->from_tag && g->from_tag && strcmp(e->from_tag, g->from_tag)) ||
			    e->cseq != g->cseq) {
				o->pass = 0;
				sl_check_say(o, "%s at %s changed From tag or CSeq (%s/%lu, first %s/%lu). ",
				    g->method, e->server, e->from_tag ? e->from_tag : "-", e->cseq,
				    g->from_tag ? g->from_tag : "-", g->cseq);
				sl_check_add_ev(o, e->idx);
			}
			if (!used && nb < 256)
				branches[nb++] = br;
			attempts++;
			o->seen |= 1;
			sl_check_add_ev(o, e->idx);
			cur = e;
		}
	}
	ix_free(&x);
	if (o->pass)
		sl_check_say(o, "%u transaction attempt(s), each with its own branch, Call-ID, From tag and "
		    "CSeq kept; %u retransmission(s) kept their branch", attempts, retrans);
}

/* The peer's first request with branch and method, or NULL. */
static const struct sl_event *first_with_branch(const struct sl_evlog *l, const struct ix *x,
						const char *branch, const char *method)
{
	int i = ix_first(x->req, branch, method);
	return i >= 0 ? sl_evlog_get(l, (size_t)i) : NULL;
}

/* RFC 3261 17.1.1.3: a non-2xx final to an INVITE is ACKed by the client transaction, with
 * the INVITE's branch, to the server that answered. Returns the ACKs judged. */
static unsigned check_non2xx_acks(const struct sl_evlog *l, const struct ix *x,
				  struct sl_check_out *o)
{
	unsigned n = 0;
	for (size_t i = 0; i < sl_evlog_count(l); i++) {
		const struct sl_event *f = sl_evlog_get(l, i);
		if (f->kind != SL_EV_SIP_TX || f->status < 300 || !f->branch || !f->cseq_method ||
		    strcmp(f->cseq_method, "INVITE"))
			continue;
		const struct sl_event *inv = first_with_branch(l, x, f->branch, "INVITE");
		if (!inv)
			continue; /* a response to nothing the SUT sent: not this check's business */
		/* Judge the first final of each branch only (retransmissions get the same ACK). */
		if (final_sent(x, f->branch, "INVITE", i))
			continue;
		o->seen |= 2;
		n++;
		sl_check_add_ev(o, f->idx);
		const struct sl_event *ack = NULL, *other = NULL;
		for (size_t k = i + 1; k < sl_evlog_count(l) && !ack; k++) {
			const struct sl_event *e = sl_evlog_get(l, k);
			if (!is_request_to_peer(e) || strcmp(e->method, "ACK"))
				continue;
			if (e->branch && !strcmp(e->branch, f->branch))
				ack = e;
			else if (!other && e->call_id && inv->call_id && e->server && f->server &&
				 !strcmp(e->server, f->server) &&
				 !strcmp(e->call_id, inv->call_id) && e->cseq == inv->cseq)
				other = e;
		}
		if (ack) {
			sl_check_add_ev(o, ack->idx);
			continue; /* where it went: the branch loop above */
		}
		o->pass = 0;
		if (other) {
			sl_check_say(o, "the %d from %s to INVITE branch %s was ACKed with another branch, %s "
			    "(a non-2xx ACK belongs to the INVITE's transaction). ", f->status,
			    f->server ? f->server : "?", f->branch, other->branch ? other->branch : "-");
			sl_check_add_ev(o, other->idx);
		} else {
			sl_check_say(o, "the %d from %s to INVITE branch %s was never ACKed. ", f->status,
			    f->server ? f->server : "?", f->branch);
		}
	}
	return n;
}

void sl_check_same_server(const struct sl_evlog *l, double timer_b_s, struct sl_check_out *o)
{
	memset(o, 0, sizeof(*o));
	o->pass = 1;
	size_t nev = sl_evlog_count(l);
	unsigned n = 0;
	struct ix x;
	if (ix_build(&x, l) < 0) {
		o->pass = 0;
		sl_check_say(o, "out of memory");
		return;
	}
	for (size_t i = 0; i < nev; i++) {
		const struct sl_event *e = sl_evlog_get(l, i);
		if (!is_request_to_peer(e) || !e->branch || !e->cseq_method)
			continue;
		/* The server that first saw this branch (for ACK/CANCEL: the INVITE's). */
		const char *want_method = strcmp(e->method, "ACK") && strcmp(e->method, "CANCEL") ?
						  e->method : "INVITE";
		int first = ix_first(x.req, e->branch, want_method);
		/* One pass: the first request with this branch and method, when it came before. */
		for (size_t k = first < 0 ? i : (size_t)first; k < i; k = i) {
			const struct sl_event *f = sl_evlog_get(l, k);
			int is_orig = !strcmp(e->method, want_method);
			if (is_orig && strcmp(f->server, e->server) &&
			    (final_sent(&x, e->branch, want_method, i) || e->t_sut - f->t_sut >= TIMER_WINDOW(timer_b_s)))
				break; /* a failover, judged by sl_check_branches() */
			n++;
			o->seen |= !strcmp(e->method, "ACK") ? 2 : !strcmp(e->method, "CANCEL") ? 4 : 1;
			sl_check_add_ev(o, e->idx);
			if (strcmp(f->server, e->server) || strcmp(f->transport, e->transport)) {
				o->pass = 0;
				sl_check_say(o, "%s with branch %s went to %s/%s, but the %s went to %s/%s. ",
				    e->method, e->branch, e->server, e->transport, want_method,
				    f->server, f->transport);
				sl_check_add_ev(o, f->idx);
				sl_check_add_ev(o, e->idx);
			}
			break;
		}
	}
	n += check_non2xx_acks(l, &x, o);
	ix_free(&x);
	if (o->pass)
		sl_check_say(o, "%u retransmission(s), ACK(s) and CANCEL(s) all reached the server that got "
		    "their transaction", n);
}

void sl_check_request_uri(const struct sl_evlog *l, struct sl_check_out *o)
{
	memset(o, 0, sizeof(*o));
	o->pass = 1;
	unsigned n = 0;
	struct ix x;
	if (ix_build(&x, l) < 0) {
		o->pass = 0;
		sl_check_say(o, "out of memory");
		return;
	}
	for (size_t i = 0; i < sl_evlog_count(l); i++) {
		const struct sl_event *e = sl_evlog_get(l, i);
		if (!is_request_to_peer(e))
			continue;
		int q = -1, given = e->uri && sl_strmap_get(x.given, e->uri, &q) && (size_t)q < i;
		/* The ACK of a 2xx and every later request of the dialog go to the remote target,
		 * the 2xx's Contact (RFC 3261 12.2.1.1, 13.2.2.4): a URI the SUT was given too,
		 * by that response, for that Call-ID. */
		char key[1024];
		if (!given && e->uri && e->call_id &&
		    sl_strmap_get(x.given, sl_strmap_key2(key, sizeof(key), e->uri, e->call_id), &q))
			given = (size_t)q < i;
		n++;
		o->seen |= 1;
		if (given)
			continue;
		if (o->pass)
			sl_check_add_ev(o, e->idx);
		else if (o->nev < 8)
			sl_check_add_ev(o, e->idx);
		o->pass = 0;
		sl_check_say(o, "%s at %s carries Request-URI %s, which the SUT was never given. ", e->method,
		    e->server ? e->server : "?", e->uri ? e->uri : "(none)");
	}
	ix_free(&x);
	if (o->pass)
		sl_check_say(o, "%u request(s) at the peers, each with a Request-URI the SUT was given", n);
}

/* Regularized upper incomplete gamma Q(a, x) (Numerical Recipes: series below a + 1,
 * continued fraction above). */
static double gamma_q(double a, double x)
{
	if (x <= 0)
		return 1.0;
	double gln = lgamma(a);
	if (x < a + 1) {
		double ap = a, sum = 1.0 / a, del = sum;
		for (int i = 0; i < 1000; i++) {
			ap += 1;
			del *= x / ap;
			sum += del;
			if (fabs(del) < fabs(sum) * 1e-15)
				break;
		}
		return 1.0 - sum * exp(-x + a * log(x) - gln);
	}
	double b = x + 1 - a, c = 1.0 / 1e-300, d = 1.0 / b, h = d;
	for (int i = 1; i < 1000; i++) {
		double an = -i * (i - a);
		b += 2;
		d = an * d + b;
		if (fabs(d) < 1e-300)
			d = 1e-300;
		c = b + an / c;
		if (fabs(c) < 1e-300)
			c = 1e-300;
		d = 1.0 / d;
		double del = d * c;
		h *= del;
		if (fabs(del - 1.0) < 1e-15)
			break;
	}
	return exp(-x + a * log(x) - gln) * h;
}

double sl_chi2_sf(double x, unsigned df)
{
	return gamma_q(df / 2.0, x / 2.0);
}

int sl_check_weights(const struct sl_evlog *l, const char *method,
		     const struct sl_weight_want *want, size_t n, double p_min,
		     struct sl_check_out *o)
{
	return sl_check_weights_from(l, 0, method, want, n, p_min, o);
}

int sl_check_weights_from(const struct sl_evlog *l, size_t from, const char *method,
			  const struct sl_weight_want *want, size_t n, double p_min,
			  struct sl_check_out *o)
{
	memset(o, 0, sizeof(*o));
	if (n < 2 || n > 64) {
		sl_check_say(o, "expect_weights needs 2 to 64 destinations");
		return -EINVAL;
	}
	unsigned count[64] = { 0 }, total = 0, stray = 0, npos = 0;
	double wsum = 0;
	for (size_t j = 0; j < n; j++) {
		if (!(want[j].weight >= 0)) {
			sl_check_say(o, "weight of %s must be >= 0", want[j].dest);
			return -EINVAL;
		}
		wsum += want[j].weight;
		npos += want[j].weight > 0;
	}
	if (!npos) {
		sl_check_say(o, "at least one destination needs a weight above 0");
		return -EINVAL;
	}
	struct ix x;
	if (ix_build(&x, l) < 0) {
		sl_check_say(o, "out of memory");
		return -ENOMEM;
	}
	for (size_t i = from; i < sl_evlog_count(l); i++) {
		const struct sl_event *e = sl_evlog_get(l, i);
		if (!is_request_to_peer(e) || !e->call_id ||
		    (method ? strcmp(e->method, method) :
			      (!strcmp(e->method, "ACK") || !strcmp(e->method, "CANCEL"))))
			continue;
		if (!ix_first_of_group(&x, i))
			continue;
		char d[80];
		dest_of(e, d, sizeof(d));
		total++;
		size_t j = 0;
		while (j < n && strcmp(d, want[j].dest))
			j++;
		if (j < n) {
			count[j]++;
		} else {
			if (!stray)
				sl_check_say(o, "a first attempt went to %s, which has no weight here; ", d);
			stray++;
			sl_check_add_ev(o, e->idx);
		}
	}
	ix_free(&x);
	for (size_t j = 0; j < n; j++)
		if (want[j].weight > 0 && npos > 1 && total * want[j].weight / wsum < 5) {
			sl_check_say(o, "%u transaction(s) give %s an expected count of %.1f: at least 5 are "
			    "needed for a chi-square test; send more requests", total, want[j].dest,
			    total * want[j].weight / wsum);
			return -EINVAL;
		}
	/* RFC 2782 gives weight 0 "a very small chance": such destinations are judged by
	 * their share of first tries; the others by a chi-square test among themselves. */
	unsigned pos_total = 0, rare_over = 0;
	for (size_t j = 0; j < n; j++)
		pos_total += want[j].weight > 0 ? count[j] : 0;
	double chi2 = 0, p = 1;
	if (npos > 1) {
		for (size_t j = 0; j < n; j++) {
			if (!(want[j].weight > 0))
				continue;
			double exp_n = pos_total * want[j].weight / wsum;
			chi2 += (count[j] - exp_n) * (count[j] - exp_n) / exp_n;
		}
		p = sl_chi2_sf(chi2, npos - 1);
	}
	o->seen = 1;
	sl_check_say(o, "first attempts of %u transactions: ", total);
	for (size_t j = 0; j < n; j++) {
		if (want[j].weight > 0) {
			sl_check_say(o, "%s%s %u (expected %.1f)", j ? ", " : "", want[j].dest, count[j],
			    pos_total * want[j].weight / wsum);
			continue;
		}
		double max = want[j].max_share > 0 ? want[j].max_share : 0.05;
		int over = total && count[j] > max * total;
		rare_over += over;
		sl_check_say(o, "%s%s %u (weight 0: %.1f %% of first tries, at most %g %%%s)", j ? ", " : "",
		    want[j].dest, count[j], total ? 100.0 * count[j] / total : 0, 100 * max,
		    over ? ", too many" : "");
	}
	if (npos > 1)
		sl_check_say(o, "; chi-square %.2f over the weighted ones, %u degrees of freedom, p = %.3g "
		    "(%s %g)", chi2, npos - 1, p, p > p_min ? "above" : "not above", p_min);
	o->pass = !stray && !rare_over && (npos < 2 || p > p_min);
	return 0;
}

void sl_check_wellformed(const struct sl_evlog *l, struct sl_check_out *o)
{
	memset(o, 0, sizeof(*o));
	o->pass = 1;
	unsigned bad = 0, total = 0;
	for (size_t i = 0; i < sl_evlog_count(l); i++) {
		const struct sl_event *e = sl_evlog_get(l, i);
		if (e->kind != SL_EV_SIP_RX)
			continue;
		total++;
		/* A peer logs what it cannot parse with no method, no status and the reason. */
		if (e->method || e->status || !e->text)
			continue;
		if (!bad++)
			sl_check_say(o, "first: %s", e->text);
		sl_check_add_ev(o, e->idx);
		o->pass = 0;
	}
	o->seen = total ? 1 : 0;
	if (bad)
		sl_check_say(o, "; %u of the %u message(s) the SUT sent to the peers are not SIP (RFC 3261 "
		    "section 25 syntax, Content-Length framing over TCP)", bad, total);
	else
		sl_check_say(o, "%u message(s) at the peers, each well-formed SIP", total);
}
