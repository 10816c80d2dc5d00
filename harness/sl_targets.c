/* sl_targets.c: RFC 3263 4.1/4.2 applied to one URI and the answers the SUT was given. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sl_check.h"
#include "sl_dnsview.h"
#include "sl_targets.h"

#define MAX_ADDRS 64

unsigned sl_tp_default_port(const char *tp)
{
	return !strcmp(tp, "tls") ? 5061 : 5060;
}

static unsigned tp_bit(const char *tp)
{
	return !strcmp(tp, "udp") ? SL_TP_UDP : !strcmp(tp, "tcp") ? SL_TP_TCP :
	       !strcmp(tp, "tls") ? SL_TP_TLS : !strcmp(tp, "sctp") ? SL_TP_SCTP : 0;
}

static int add(struct sl_targets *t, enum sl_tn_kind k, int parent, long rank)
{
	if (t->count == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 32;
		struct sl_tnode *n = realloc(t->n, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		t->n = n;
		t->cap = cap;
	}
	struct sl_tnode *x = &t->n[t->count];
	memset(x, 0, sizeof(*x));
	x->kind = k;
	x->parent = parent;
	x->rank = rank;
	x->ev = -1;
	if (parent >= 0) {
		x->req = t->n[parent].req;
		snprintf(x->tp, sizeof(x->tp), "%s", t->n[parent].tp);
	}
	return (int)t->count++;
}

static void fmt_dest(const struct sl_dv_addr *a, unsigned port, const char *tp, char *out,
		     size_t len)
{
	char ip[INET6_ADDRSTRLEN];
	inet_ntop(a->family, a->ip, ip, sizeof(ip));
	if (a->family == AF_INET6)
		snprintf(out, len, "[%s]:%u/%s", ip, port, tp);
	else
		snprintf(out, len, "%s:%u/%s", ip, port, tp);
}

static int leaf(struct sl_targets *t, int parent, const struct sl_dv_addr *a)
{
	int i = add(t, SL_TN_LEAF, parent, 0);
	if (i < 0)
		return i;
	struct sl_tnode *x = &t->n[i];
	x->port = t->n[parent].port;
	x->ev = t->n[parent].ev;
	fmt_dest(a, x->port, x->tp, x->dest, sizeof(x->dest));
	return 0;
}

/* A host at port: its addresses as DNS gave them (IPv6 ones only for a SUT that has
 * IPv6: one without it cannot be asked to try them). */
static int target(struct sl_targets *t, const struct sl_dnsview *v, int parent, long rank,
		  const char *host, unsigned port, unsigned req, unsigned mask)
{
	int i = add(t, SL_TN_TARGET, parent, rank);
	if (i < 0)
		return i;
	struct sl_tnode *x = &t->n[i];
	snprintf(x->name, sizeof(x->name), "%s", host);
	x->port = port;
	x->req |= req;
	struct sl_dv_addr a[MAX_ADDRS];
	size_t n = 0;
	unsigned ev = 0;
	enum sl_dv_state st = sl_dnsview_addrs(v, host, a, MAX_ADDRS, &n, &ev);
	if (st != SL_DV_UNASKED)
		t->n[i].ev = (int)ev;
	if (st == SL_DV_UNASKED)
		t->n[i].unknown = 1;
	else if (st == SL_DV_EMPTY)
		t->n[i].empty = 1;
	for (size_t k = 0; k < n; k++) {
		if (a[k].family == AF_INET6 && !(mask & SL_TP_IPV6))
			continue;
		int rc = leaf(t, i, &a[k]);
		if (rc < 0)
			return rc;
	}
	return i;
}

/* An SRV name's records as targets ranked by priority; the lone "." offers nothing. */
static int srv(struct sl_targets *t, const struct sl_dnsview *v, int parent, long rank,
	       const char *name, const char *tp, int optional, unsigned extra_req, unsigned mask)
{
	int i = add(t, SL_TN_SRV, parent, rank);
	if (i < 0)
		return i;
	struct sl_tnode *x = &t->n[i];
	snprintf(x->name, sizeof(x->name), "%s", name);
	snprintf(x->tp, sizeof(x->tp), "%s", tp);
	x->optional |= optional;
	x->req |= SL_R_AD_SRV | extra_req;
	const struct sl_dv_srv *rr;
	size_t n = 0;
	unsigned ev = 0;
	enum sl_dv_state st = sl_dnsview_srv(v, name, &rr, &n, &ev);
	if (st != SL_DV_UNASKED)
		x->ev = (int)ev;
	if (st == SL_DV_UNASKED) {
		x->unknown = 1;
		return i;
	}
	if (st == SL_DV_EMPTY) {
		x->empty = 1;
		return i;
	}
	if (n == 1 && !strcmp(rr[0].target, ".")) {
		x->dot = 1;
		return i;
	}
	for (size_t k = 0; k < n; k++) {
		if (!strcmp(rr[k].target, "."))
			continue;
		int ti = target(t, v, i, (long)rr[k].prio, rr[k].target, rr[k].port, 0, mask);
		if (ti < 0)
			return ti;
		t->n[ti].prio = rr[k].prio;
		t->n[ti].weight = rr[k].weight;
		if (t->n[ti].ev < 0)
			t->n[ti].ev = (int)ev;
	}
	return i;
}

/* The transport of a NAPTR service field (RFC 3263 4.1), "" when it is not one a SIP
 * (or, for sips, SIPS) client may use. */
static const char *naptr_tp(const struct sl_dv_naptr *r, int sips)
{
	const char *s = r->service;
	int is_sips = !strncasecmp(s, "SIPS+", 5);
	if (!is_sips && strncasecmp(s, "SIP+", 4))
		return "";
	if (sips && !is_sips)
		return "";
	const char *d = s + (is_sips ? 5 : 4);
	if (!strcasecmp(d, "D2U"))
		return is_sips ? "" : "udp"; /* no TLS over UDP */
	if (!strcasecmp(d, "D2T"))
		return is_sips ? "tls" : "tcp";
	if (!strcasecmp(d, "D2S"))
		return is_sips ? "" : "sctp";
	return "";
}

static int naptr_terminal(const struct sl_dv_naptr *r)
{
	return !strcasecmp(r->flags, "s") && !r->regexp[0];
}

/* The whole SRV subtree had nothing (asked, empty): the A/AAAA fallback applies. */
static int srv_empty(const struct sl_targets *t, int i)
{
	return t->n[i].kind == SL_TN_SRV && t->n[i].empty;
}

int sl_targets_build(struct sl_targets **tp, const char *uri, const struct sl_dnsview *v,
		     unsigned mask, char *err, size_t errlen)
{
	return sl_targets_build_relaxed(tp, uri, v, mask, 0, err, errlen);
}

int sl_targets_build_relaxed(struct sl_targets **tp, const char *uri,
			     const struct sl_dnsview *v, unsigned mask, unsigned relax,
			     char *err, size_t errlen)
{
	struct sl_targets *t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	int rc = sl_uri_parse(uri, &t->uri, err, errlen);
	if (rc < 0)
		goto fail;
	if (!mask)
		mask = SL_TP_UDP | SL_TP_TCP | SL_TP_TLS | SL_TP_IPV6;
	if (relax & SL_RELAX_MADDR)
		t->uri.maddr[0] = 0;
	if (relax & SL_RELAX_TRANSPORT)
		t->uri.transport[0] = 0;
	if (relax & SL_RELAX_PORT)
		t->uri.port = 0;
	const struct sl_uri *u = &t->uri;
	int num;
	const char *target_host = sl_uri_target(u, &num);
	/* The transport: the parameter, else UDP for sip: and TLS for sips: (4.1). */
	char ptp[16] = "";
	if (u->transport[0]) {
		snprintf(ptp, sizeof(ptp), "%s", !strcmp(u->transport, "tcp") && u->sips ? "tls" :
			 u->transport);
		t->req |= SL_R_TP_PARAM;
	}
	const char *dtp = ptp[0] ? ptp : u->sips ? "tls" : "udp";
	if (u->maddr[0])
		t->req |= SL_R_TARGET_MADDR;
	int root = add(t, SL_TN_ROOT, -1, 0);
	if (root < 0) {
		rc = root;
		goto fail;
	}
	t->n[root].req = t->req;
	snprintf(t->n[root].tp, sizeof(t->n[root].tp), "%s", dtp);
	if (num) {
		int ti = add(t, SL_TN_TARGET, root, 0);
		if (ti < 0) {
			rc = ti;
			goto fail;
		}
		struct sl_tnode *x = &t->n[ti];
		snprintf(x->name, sizeof(x->name), "%s", target_host);
		x->port = u->port ? u->port : sl_tp_default_port(dtp);
		x->req |= SL_R_AD_NUMERIC | (ptp[0] ? 0 : SL_R_TP_NUMERIC);
		struct sl_dv_addr a = { num == 6 ? AF_INET6 : AF_INET, { 0 } };
		inet_pton(a.family, target_host, a.ip);
		rc = leaf(t, ti, &a);
	} else if (u->port) {
		rc = target(t, v, root, 0, target_host, u->port,
			    SL_R_AD_PORT_A | (ptp[0] ? 0 : SL_R_TP_PORT), mask);
		rc = rc < 0 ? rc : 0;
	} else if (ptp[0]) {
		char name[300];
		snprintf(name, sizeof(name), "%s._%s.%s", !strcmp(ptp, "tls") ? "_sips" : "_sip",
			 !strcmp(ptp, "tls") ? "tcp" : ptp, target_host);
		int si = srv(t, v, root, 0, name, ptp, 0, 0, mask);
		if (si >= 0 && srv_empty(t, si))
			si = target(t, v, root, 1, target_host, sl_tp_default_port(ptp),
				    SL_R_AD_A_FALLBACK, mask);
		rc = si < 0 ? si : 0;
	} else {
		const struct sl_dv_naptr *nr;
		size_t nn = 0;
		unsigned nev = 0;
		if (sl_dnsview_naptr(v, target_host, &nr, &nn, &nev) == SL_DV_RECORDS)
			t->n[root].ev = (int)nev;
		size_t usable = 0;
		int all_empty = 1;
		long maxrank = 0;
		for (size_t k = 0; k < nn && rc >= 0; k++) {
			const char *ntp = naptr_tp(&nr[k], u->sips);
			if ((relax & SL_RELAX_SERVICE) && (!ntp[0] || !(mask & tp_bit(ntp))))
				ntp = "udp"; /* a service the SUT cannot use, taken for D2U */
			if ((!naptr_terminal(&nr[k]) && !(relax & SL_RELAX_FLAGS)) || !ntp[0] ||
			    !(mask & tp_bit(ntp)))
				continue;
			usable++;
			long rank = (long)nr[k].order << 16 | (long)nr[k].pref;
			maxrank = rank > maxrank ? rank : maxrank;
			/* A sip: client that has TLS SHOULD keep SIPS services: it may also not. */
			int opt = !u->sips && !strcmp(ntp, "tls");
			int si = srv(t, v, root, rank, nr[k].replacement, ntp, opt, 0, mask);
			rc = si < 0 ? si : 0;
			if (si >= 0) {
				if (t->n[si].ev < 0)
					t->n[si].ev = (int)nev;
				all_empty &= srv_empty(t, si);
			}
		}
		if (usable) {
			t->naptr = 1;
			if (rc >= 0 && all_empty)
				rc = target(t, v, root, maxrank + 1, target_host,
					    sl_tp_default_port(dtp), SL_R_AD_A_FALLBACK, mask);
			rc = rc < 0 ? rc : 0;
		} else {
			/* No usable NAPTR: the SRV names of the transports it supports, as far
			 * as the SUT asked for them ("MAY use any transport ... supported by the
			 * server"); the A fallback only once every name it asked gave nothing. */
			static const struct { const char *svc, *proto, *tp; } names[] = {
				{ "_sip", "udp", "udp" }, { "_sip", "tcp", "tcp" },
				{ "_sip", "sctp", "sctp" }, { "_sips", "tcp", "tls" },
			};
			int asked = 0;
			for (size_t k = 0; k < sizeof(names) / sizeof(names[0]) && rc >= 0; k++) {
				if ((u->sips && strcmp(names[k].tp, "tls")) || !(mask & tp_bit(names[k].tp)))
					continue;
				char name[300];
				snprintf(name, sizeof(name), "%s._%s.%s", names[k].svc, names[k].proto,
					 target_host);
				const struct sl_dv_srv *rr;
				size_t n;
				unsigned ev;
				if (sl_dnsview_srv(v, name, &rr, &n, &ev) == SL_DV_UNASKED)
					continue;
				asked++;
				int si = srv(t, v, root, 0, name, names[k].tp, 0, 0, mask);
				rc = si < 0 ? si : 0;
				if (si >= 0)
					all_empty &= srv_empty(t, si);
			}
			if (rc >= 0 && asked && all_empty)
				rc = target(t, v, root, 1, target_host, sl_tp_default_port(dtp),
					    SL_R_AD_A_FALLBACK | SL_R_TP_NO_SRV, mask);
			rc = rc < 0 ? rc : 0;
		}
	}
	if (rc < 0)
		goto fail;
	*tp = t;
	return 0;
fail:
	sl_targets_free(t);
	return rc;
}

void sl_targets_free(struct sl_targets *t)
{
	if (!t)
		return;
	free(t->n);
	free(t);
}
