/* ref_resolve.c: the RFC 3263 4.1/4.2 state machine (numeric, name+port, transport=, NAPTR ->
 * SRV -> A), SRV set in RFC 2782 order, addresses fetched lazily, callbacks from the loop. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ref_mutant.h"
#include "ref_resolve.h"
#include "ref_select.h"
#include "sut_adapter.h"

enum phase {
	PH_START,     /* nothing decided yet */
	PH_WAIT,      /* a DNS lookup is in flight */
	PH_ADDRS,     /* ips[] hold the current host's addresses; yield them in turn */
	PH_SRV_NEXT,  /* move to srv[srv_idx] and fetch its addresses */
	PH_DONE,      /* list exhausted: report done_rc */
};

enum srv_origin { FROM_NAPTR, FROM_GUESS };

struct ref_resolver {
	struct ref_resolve_env env;
	struct ref_uri uri;
	const char *target;          /* TARGET: uri.maddr or uri.host */
	enum phase phase;
	int done_rc;
	bool dns_failed;             /* some lookup got no answer: DNS error beats NOTARGET */
	struct ref_timer step_timer;
	struct ref_dns_lookup *lookup;
	ref_resolve_cb cb;
	void *cb_arg;

	struct ref_naptr *naptr;     /* usable NAPTR records, sorted */
	size_t n_naptr, naptr_idx;
	enum ref_tp guess[REF_TP_COUNT]; /* transports to probe with SRV when no NAPTR */
	size_t n_guess, guess_idx;
	enum srv_origin srv_origin;
	enum ref_tp srv_tp;          /* transport of the SRV set being queried or used */

	struct ref_srv *srv;         /* the SRV set in RFC 2782 order */
	size_t n_srv, srv_idx;
	bool use_srv;                /* ips[] belong to srv[srv_idx], not to TARGET */

	char host[REF_NAME_MAX];     /* name whose addresses are in ips[] */
	enum ref_tp tp;
	uint16_t port;
	struct ref_ip *ips;
	size_t n_ips, ip_idx, cap_ips;
	uint16_t addr_type;          /* A or AAAA lookup in flight for host */
	int mut_state;               /* seeded bugs only: a detour already taken */
};

static void step(struct ref_resolver *r);

static void finish(struct ref_resolver *r, int rc, const char *why)
{
	r->phase = PH_DONE;
	r->done_rc = rc;
	if (why)
		ref_logf(r->env.log, "resolve %s: %s", r->target, why);
}

static int srv_name(const struct ref_resolver *r, enum ref_tp tp, char *out, size_t len)
{
	/* _sips for sips: URIs and for TLS on a sip: URI (RFC 3263 4.2). */
	const char *svc = r->uri.sips || tp == REF_TP_TLS ? "_sips" : "_sip";
	const char *proto = tp == REF_TP_UDP ? "_udp" : tp == REF_TP_SCTP ? "_sctp" : "_tcp";

	/* Seeded bugs: the wrong SRV name for TLS (sip-servlets#54, pjsip#4103). */
	if (tp == REF_TP_TLS && ref_mutant("tls-srv-sip-tcp"))
		svc = "_sip";
	if (tp == REF_TP_TLS && ref_mutant("tls-srv-sips-tls"))
		proto = "_tls";
	int n = snprintf(out, len, "%s.%s.%s", svc, proto, r->target);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static void on_answer(void *arg, const struct ref_dns_answer *a);

static void ask(struct ref_resolver *r, const char *name, uint16_t type)
{
	int rc = ref_dns_lookup(r->env.dns, name, type, on_answer, r, &r->lookup);

	if (rc < 0) {
		r->dns_failed = true;
		finish(r, SUT_E_INTERNAL, "cannot start a DNS lookup");
		return;
	}
	r->phase = PH_WAIT;
}

/* Starts fetching the addresses of host: AAAA then A when IPv6 is allowed (the order they
 * are tried in, ref_addr_order), else A only (no IPv6 source address: AI_ADDRCONFIG). */
static void fetch_addrs(struct ref_resolver *r, const char *host, enum ref_tp tp,
			uint16_t port)
{
	snprintf(r->host, sizeof(r->host), "%s", host);
	r->tp = tp;
	r->port = port;
	r->n_ips = r->ip_idx = 0;
	/* Seeded bug (no-aaaa): only A records are ever asked for. */
	r->addr_type = r->env.ipv6 && !ref_mutant("no-aaaa") ? REF_T_AAAA : REF_T_A;
	ask(r, host, r->addr_type);
}

static void fallback_to_a(struct ref_resolver *r, enum ref_tp tp)
{
	ref_logf(r->env.log, "resolve %s: no SRV records, A lookup, port %u/%s", r->target,
		 ref_tp_default_port(tp), ref_tp_name(tp));
	r->use_srv = false;
	fetch_addrs(r, r->target, tp, ref_tp_default_port(tp));
}

static void query_srv(struct ref_resolver *r, const char *name, enum ref_tp tp,
		      enum srv_origin origin)
{
	r->srv_tp = tp;
	r->srv_origin = origin;
	ask(r, name, REF_T_SRV);
}

static void next_guess(struct ref_resolver *r)
{
	char name[REF_NAME_MAX + 16];

	if (r->guess_idx >= r->n_guess) {
		fallback_to_a(r, r->guess[0]);
		return;
	}
	/* Seeded bug (stream-a-first, linphone-desktop#57): TCP and TLS go straight to the
	 * A/AAAA records of the domain, skipping their SRV query. */
	if (r->guess[r->guess_idx] != REF_TP_UDP && ref_mutant("stream-a-first")) {
		fallback_to_a(r, r->guess[r->guess_idx]);
		return;
	}
	if (srv_name(r, r->guess[r->guess_idx], name, sizeof(name)) < 0) {
		finish(r, SUT_E_INTERNAL, "SRV name too long");
		return;
	}
	query_srv(r, name, r->guess[r->guess_idx], FROM_GUESS);
}

/* RFC 3263 4.1: no usable NAPTR: SRV per supported transport, _sip or _sips by scheme. */
static void start_guesses(struct ref_resolver *r)
{
	static const enum ref_tp sip_order[] = { REF_TP_UDP, REF_TP_TCP };
	static const enum ref_tp sips_order[] = { REF_TP_TLS };
	const enum ref_tp *order = r->uri.sips ? sips_order : sip_order;
	size_t n = r->uri.sips ? 1 : 2;

	r->n_guess = r->guess_idx = 0;
	for (size_t i = 0; i < n; i++)
		if (r->env.tp_mask & REF_TPM(order[i]))
			r->guess[r->n_guess++] = order[i];
	if (r->n_guess == 0) {
		finish(r, SUT_E_TRANSPORT, r->uri.sips ? "sips: needs TLS, which is not enabled"
						       : "no supported transport for SRV");
		return;
	}
	if (ref_mutant("no-srv-fallback")) {
		fallback_to_a(r, r->guess[0]);
		return;
	}
	next_guess(r);
}

static void next_naptr(struct ref_resolver *r)
{
	const struct ref_naptr *n;

	if (r->naptr_idx >= r->n_naptr || (ref_mutant("naptr-first-only") && r->naptr_idx > 0)) {
		fallback_to_a(r, r->naptr[0].tp);
		return;
	}
	n = &r->naptr[r->naptr_idx];
	ref_logf(r->env.log, "resolve %s: NAPTR %u %u %s -> SRV %s (%s)", r->target, n->order,
		 n->pref, n->services, n->replacement, ref_tp_name(n->tp));
	query_srv(r, n->replacement, n->tp, FROM_NAPTR);
}

static void got_naptr(struct ref_resolver *r, const struct ref_dns_answer *a)
{
	if (a->status == REF_DNS_FAIL) {
		r->dns_failed = true;
		finish(r, SUT_E_DNS, "NAPTR lookup failed");
		return;
	}
	if (a->status == REF_DNS_OK) {
		r->naptr = malloc(a->n * sizeof(*r->naptr));
		if (!r->naptr) {
			finish(r, SUT_E_INTERNAL, "out of memory");
			return;
		}
		memcpy(r->naptr, a->naptr, a->n * sizeof(*r->naptr));
		r->n_naptr = ref_naptr_filter(r->naptr, a->n, r->uri.sips, r->env.tp_mask);
		if (r->env.deterministic && !ref_mutant("sl-random-order"))
			ref_naptr_order_det(r->naptr, r->n_naptr);
		r->naptr_idx = 0;
		ref_logf(r->env.log, "resolve %s: %zu of %zu NAPTR records usable", r->target,
			 r->n_naptr, a->n);
		if (r->n_naptr > 0) {
			next_naptr(r);
			return;
		}
	}
	if (ref_mutant("naptr-negative-fatal") && a->status != REF_DNS_OK) {
		finish(r, SUT_E_NOTARGET, "no NAPTR records: domain not served");
		return;
	}
	ref_logf(r->env.log, "resolve %s: no usable NAPTR, SRV per transport", r->target);
	start_guesses(r);
}

static void got_srv(struct ref_resolver *r, const struct ref_dns_answer *a)
{
	char line[512];
	size_t o = 0;

	if (a->status == REF_DNS_FAIL) {
		r->dns_failed = true;
		finish(r, SUT_E_DNS, "SRV lookup failed");
		return;
	}
	if (a->status != REF_DNS_OK) {
		if (r->srv_origin == FROM_NAPTR) {
			r->naptr_idx++;
			next_naptr(r);
		} else {
			r->guess_idx++;
			next_guess(r);
		}
		return;
	}
	if (ref_srv_is_dot(a->srv, a->n) && !ref_mutant("srv-dot-host")) {
		if (ref_mutant("srv-dot-fallback")) {
			fallback_to_a(r, r->srv_tp); /* as if "." were "no SRV records" */
			return;
		}
		finish(r, SUT_E_NOTARGET, "SRV target \".\": service not offered");
		return;
	}
	r->srv = malloc(a->n * sizeof(*r->srv));
	if (!r->srv) {
		finish(r, SUT_E_INTERNAL, "out of memory");
		return;
	}
	memcpy(r->srv, a->srv, a->n * sizeof(*r->srv));
	r->n_srv = a->n;
	/* sl-random-order: a stateless proxy drawing RFC 2782's random order per message
	 * scatters the retransmissions of one transaction over the equal-priority servers. */
	if (r->env.deterministic && !ref_mutant("sl-random-order"))
		ref_srv_order_det(r->srv, r->n_srv);
	else
		ref_srv_order(r->srv, r->n_srv, r->env.rng);
	line[0] = '\0';
	for (size_t i = 0; i < r->n_srv && o < sizeof(line); i++) {
		int w = snprintf(line + o, sizeof(line) - o, "%s%s:%u(p%u w%u)", i ? ", " : "",
				 r->srv[i].target, r->srv[i].port, r->srv[i].prio, r->srv[i].weight);

		if (w < 0)
			break;
		o += (size_t)w;
	}
	ref_logf(r->env.log, "resolve %s: SRV order (%s): %s", r->target, ref_tp_name(r->srv_tp),
		 line);
	r->use_srv = true;
	r->srv_idx = 0;
	r->phase = PH_SRV_NEXT;
}

static int add_ips(struct ref_resolver *r, const struct ref_dns_answer *a)
{
	if (r->n_ips + a->n > r->cap_ips) {
		size_t cap = r->n_ips + a->n;
		struct ref_ip *p = realloc(r->ips, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		r->ips = p;
		r->cap_ips = cap;
	}
	memcpy(r->ips + r->n_ips, a->ip, a->n * sizeof(*a->ip));
	r->n_ips += a->n;
	return 0;
}

static void got_addrs(struct ref_resolver *r, const struct ref_dns_answer *a)
{
	if (a->status == REF_DNS_OK && add_ips(r, a) < 0) {
		finish(r, SUT_E_INTERNAL, "out of memory");
		return;
	}
	if (a->status == REF_DNS_FAIL)
		r->dns_failed = true;
	if (a->status == REF_DNS_OK && a->cname[0])
		ref_logf(r->env.log, "resolve %s: %s is an alias of %s (RFC 2782: an SRV target "
			 "should not be); followed", r->target, r->host, a->cname);
	if (r->addr_type == REF_T_AAAA) {
		r->addr_type = REF_T_A;
		ask(r, r->host, REF_T_A);
		return;
	}
	r->n_ips = ref_addr_order(r->ips, r->n_ips, r->env.ipv6);
	if (r->n_ips == 0)
		ref_logf(r->env.log, "resolve %s: no address for %s", r->target, r->host);
	r->phase = PH_ADDRS;
}

static void on_answer(void *arg, const struct ref_dns_answer *a)
{
	struct ref_resolver *r = arg;

	r->lookup = NULL;
	if (r->mut_state == 1 && a->type == REF_T_NAPTR && ref_uri_target_is_ip(&r->uri)) {
		r->mut_state = 2; /* numeric-naptr: the answer is ignored, the address used */
		r->phase = PH_START;
	} else if (a->type == REF_T_NAPTR)
		got_naptr(r, a);
	else if (a->type == REF_T_SRV)
		got_srv(r, a);
	else
		got_addrs(r, a);
	step(r);
}

/* Transport for a URI that names it or needs no DNS to choose it (RFC 3263 4.1). */
static int fixed_tp(struct ref_resolver *r, enum ref_tp *tp)
{
	if (r->uri.has_transport) {
		*tp = r->uri.transport;
		/* sips: over TCP means TLS; sips: never travels over plain UDP. */
		if (r->uri.sips && *tp == REF_TP_TCP)
			*tp = REF_TP_TLS;
		if (r->uri.sips && *tp != REF_TP_TLS)
			return -EPROTONOSUPPORT;
	} else {
		*tp = r->uri.sips ? REF_TP_TLS : REF_TP_UDP;
	}
	return r->env.tp_mask & REF_TPM(*tp) ? 0 : -EPROTONOSUPPORT;
}

static void begin(struct ref_resolver *r)
{
	enum ref_tp tp = REF_TP_UDP;
	bool need_tp, has_port = r->uri.port && !ref_mutant("port-srv");
	char name[REF_NAME_MAX + 16];

	if (ref_mutant("ignore-transport") && !ref_uri_target_is_ip(&r->uri))
		r->uri.has_transport = false;
	need_tp = ref_uri_target_is_ip(&r->uri) || has_port || r->uri.has_transport;
	if (ref_mutant("numeric-naptr") && ref_uri_target_is_ip(&r->uri) && r->mut_state == 0) {
		r->mut_state = 1;
		ask(r, r->target, REF_T_NAPTR);
		return;
	}

	if (need_tp && fixed_tp(r, &tp) < 0) {
		finish(r, SUT_E_TRANSPORT, "the URI's transport is not enabled");
		return;
	}
	if (ref_uri_target_is_ip(&r->uri)) {
		struct ref_ip ip;

		ref_ip_parse(r->target, &ip);
		if (ip.af == AF_INET6 && !r->env.ipv6) {
			finish(r, SUT_E_TRANSPORT, "IPv6 target but IPv6 is not enabled");
			return;
		}
		ref_logf(r->env.log, "resolve %s: numeric TARGET, no DNS (%s)", r->target,
			 ref_tp_name(tp));
		snprintf(r->host, sizeof(r->host), "%s", r->target);
		r->ips = malloc(sizeof(*r->ips));
		if (!r->ips) {
			finish(r, SUT_E_INTERNAL, "out of memory");
			return;
		}
		r->ips[0] = ip;
		r->n_ips = r->cap_ips = 1;
		r->tp = tp;
		r->port = r->uri.port ? r->uri.port : ref_tp_default_port(tp);
		r->phase = PH_ADDRS;
		return;
	}
	if (has_port) {
		ref_logf(r->env.log, "resolve %s: explicit port %u, A lookup only (%s)", r->target,
			 r->uri.port, ref_tp_name(tp));
		fetch_addrs(r, r->target, tp, r->uri.port);
		return;
	}
	if (r->uri.has_transport) {
		ref_logf(r->env.log, "resolve %s: transport=%s given, SRV for it", r->target,
			 ref_tp_name(tp));
		r->guess[0] = tp;
		r->n_guess = 1;
		r->guess_idx = 0;
		if (tp != REF_TP_UDP && ref_mutant("stream-a-first")) {
			fallback_to_a(r, tp);
			return;
		}
		if (srv_name(r, tp, name, sizeof(name)) < 0) {
			finish(r, SUT_E_INTERNAL, "SRV name too long");
			return;
		}
		query_srv(r, name, tp, FROM_GUESS);
		return;
	}
	if (ref_mutant("a-before-srv") && r->mut_state == 0) {
		/* An address record found first is used as is, on the default port. */
		r->mut_state = 1;
		r->use_srv = false;
		fetch_addrs(r, r->target, REF_TP_UDP, 5060);
		return;
	}
	if (ref_mutant("no-naptr")) {
		start_guesses(r);
		return;
	}
	ref_logf(r->env.log, "resolve %s: NAPTR lookup", r->target);
	ask(r, r->target, REF_T_NAPTR);
}

static void deliver(struct ref_resolver *r, int rc, const struct ref_target *t,
		    const char *desc)
{
	ref_resolve_cb cb = r->cb;

	r->cb = NULL;
	/* Last action: the callback may free r. */
	cb(r->cb_arg, rc, t, desc);
}

static void step(struct ref_resolver *r)
{
	char desc[REF_NAME_MAX + 64];
	struct ref_target t;

	while (r->cb) {
		switch (r->phase) {
		case PH_START:
			begin(r);
			break;
		case PH_WAIT:
			return;
		case PH_SRV_NEXT:
			while (r->srv_idx < r->n_srv && strcmp(r->srv[r->srv_idx].target, ".") == 0 &&
			       !ref_mutant("srv-dot-host"))
				r->srv_idx++;
			while (ref_mutant("one-per-priority") && r->srv_idx > 0 && r->srv_idx < r->n_srv &&
			       r->srv[r->srv_idx].prio == r->srv[r->srv_idx - 1].prio)
				r->srv_idx++;
			if (r->srv_idx >= r->n_srv) {
				if (ref_mutant("exhaust-a-fallback") && r->mut_state == 0) {
					r->mut_state = 1;
					fallback_to_a(r, r->srv_tp);
					break;
				}
				finish(r, r->dns_failed ? SUT_E_DNS : SUT_E_NOTARGET, NULL);
				break;
			}
			fetch_addrs(r, r->srv[r->srv_idx].target, r->srv_tp,
				    ref_mutant("srv-port-5060") ? 5060 : r->srv[r->srv_idx].port);
			break;
		case PH_ADDRS:
			while (r->ip_idx < r->n_ips && r->ips[r->ip_idx].af == AF_INET6 && !r->env.ipv6)
				r->ip_idx++;
			/* Seeded bug (v6-no-v4-fallback, baresip#168): once an IPv6 address of the
			 * name has failed, its IPv4 addresses are never tried. */
			if (ref_mutant("v6-no-v4-fallback") && r->ip_idx > 0 && r->ip_idx < r->n_ips &&
			    r->ips[r->ip_idx - 1].af == AF_INET6 && r->ips[r->ip_idx].af == AF_INET)
				r->ip_idx = r->n_ips;
			if (r->ip_idx < r->n_ips) {
				/* Seeded bug (sips-plain-tcp): "TLS" taken for its TCP underneath. */
				ref_target_set(&t, r->tp == REF_TP_TLS && ref_mutant("sips-plain-tcp") ?
					       REF_TP_TCP : r->tp, &r->ips[r->ip_idx], r->port);
				if (r->use_srv)
					snprintf(desc, sizeof(desc), "srv target %zu/%zu %s, address %zu/%zu",
						 r->srv_idx + 1, r->n_srv, r->host, r->ip_idx + 1, r->n_ips);
				else
					snprintf(desc, sizeof(desc), "%s, address %zu/%zu", r->host,
						 r->ip_idx + 1, r->n_ips);
				r->ip_idx++;
				if (ref_mutant("first-addr-only") && r->use_srv)
					r->ip_idx = r->n_ips;
				deliver(r, 0, &t, desc);
				return;
			}
			if (ref_mutant("a-before-srv") && r->mut_state == 1 && r->n_ips == 0) {
				/* No address record: only now the NAPTR/SRV procedure. */
				r->mut_state = 2;
				ask(r, r->target, REF_T_NAPTR);
				break;
			}
			if (r->use_srv && !ref_mutant("first-srv-only")) {
				r->srv_idx++;
				r->phase = PH_SRV_NEXT;
				break;
			}
			finish(r, r->dns_failed ? SUT_E_DNS : SUT_E_NOTARGET, NULL);
			break;
		case PH_DONE:
			deliver(r, r->done_rc, NULL, NULL);
			return;
		}
	}
}

static void step_timer(void *arg)
{
	step(arg);
}

int ref_resolver_new(struct ref_resolver **out, const struct ref_resolve_env *env,
		     const struct ref_uri *uri)
{
	struct ref_resolver *r = calloc(1, sizeof(*r));

	*out = NULL;
	if (!r)
		return -ENOMEM;
	r->env = *env;
	r->uri = *uri;
	r->target = ref_mutant("ignore-maddr") ? r->uri.host : ref_uri_target(&r->uri);
	r->phase = PH_START;
	ref_timer_init(&r->step_timer, step_timer, r);
	*out = r;
	return 0;
}

void ref_resolver_next(struct ref_resolver *r, ref_resolve_cb cb, void *arg)
{
	r->cb = cb;
	r->cb_arg = arg;
	/* Never call back from inside this call: the caller may still be unwinding. */
	ref_timer_start(r->env.loop, &r->step_timer, 0);
}

void ref_resolver_free(struct ref_resolver *r)
{
	if (!r)
		return;
	ref_timer_stop(r->env.loop, &r->step_timer);
	ref_dns_lookup_cancel(r->lookup);
	free(r->naptr);
	free(r->srv);
	free(r->ips);
	free(r);
}
