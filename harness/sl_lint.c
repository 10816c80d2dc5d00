/* sl_lint.c: RFC 3263 zone duties and client-breaking faults, from a master file or a
 * live authoritative server, walked the same way in both cases. */
#include <errno.h>
#include <ldns/ldns.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sl_lint.h"

#define MAX_FOUND 256
#define NAPTR_HOPS 8

struct rrl {                 /* a record and the master-file line it came from */
	ldns_rr *rr;
	int line;
};

struct sl_lint {
	int live;
	char file[512];
	ldns_rdf *domain;
	char domain_str[300];
	struct rrl *rrs;         /* file mode: the zone; live mode: everything fetched */
	size_t n, cap;
	ldns_resolver *res;
	struct { ldns_rdf *name; ldns_rr_type t; } *asked;  /* live: questions already asked */
	size_t nasked, capasked;
	int live_error;
	char live_err[1200];
	struct sl_lint_finding *f;
	size_t nf, capf;
};

const char *sl_lint_level_str(enum sl_lint_level lv)
{
	return lv == SL_LINT_ERROR ? "error" : lv == SL_LINT_WARNING ? "warning" : "note";
}

static int push_rr(struct sl_lint *l, ldns_rr *rr, int line)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct rrl *v = realloc(l->rrs, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		l->rrs = v;
		l->cap = cap;
	}
	l->rrs[l->n++] = (struct rrl){ rr, line };
	return 0;
}

void sl_lint_free(struct sl_lint *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		ldns_rr_free(l->rrs[i].rr);
	free(l->rrs);
	for (size_t i = 0; i < l->nasked; i++)
		ldns_rdf_deep_free(l->asked[i].name);
	free(l->asked);
	if (l->res)
		ldns_resolver_deep_free(l->res);
	ldns_rdf_deep_free(l->domain);
	free(l->f);
	free(l);
}

static int set_domain(struct sl_lint *l, const char *domain, char *err, size_t errlen)
{
	char buf[300];
	size_t len = strlen(domain);
	snprintf(buf, sizeof(buf), "%s%s", domain, len && domain[len - 1] == '.' ? "" : ".");
	if (ldns_str2rdf_dname(&l->domain, buf) != LDNS_STATUS_OK) {
		snprintf(err, errlen, "'%s' is not a domain name", domain);
		return -EINVAL;
	}
	snprintf(l->domain_str, sizeof(l->domain_str), "%s", buf);
	return 0;
}

int sl_lint_new_file(struct sl_lint **lp, const char *path, const char *domain,
		     char *err, size_t errlen)
{
	int rc = 0;
	struct sl_lint *l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	snprintf(l->file, sizeof(l->file), "%s", path);
	FILE *fp = fopen(path, "r");
	ldns_rdf *origin = NULL, *prev = NULL;
	if (!fp) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (domain && (rc = set_domain(l, domain, err, errlen)) < 0)
		goto out;
	if (l->domain)
		origin = ldns_rdf_clone(l->domain);
	uint32_t ttl = 3600;
	int line = 0;
	ldns_rdf *first_soa = NULL;
	while (!feof(fp)) {
		ldns_rr *rr = NULL;
		int before = line;
		ldns_status st = ldns_rr_new_frm_fp_l(&rr, fp, &ttl, &origin, &prev, &line);
		if (st == LDNS_STATUS_SYNTAX_EMPTY || st == LDNS_STATUS_SYNTAX_TTL ||
		    st == LDNS_STATUS_SYNTAX_ORIGIN)
			continue;
		if (st != LDNS_STATUS_OK) {
			if (feof(fp) && st == LDNS_STATUS_SYNTAX_ERR)
				break; /* trailing white space */
			snprintf(err, errlen, "%s:%d: %s", path, before + 1,
				 ldns_get_errorstr_by_id(st));
			rc = -EINVAL;
			goto out;
		}
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA && !first_soa)
			first_soa = ldns_rr_owner(rr);
		if ((rc = push_rr(l, rr, before + 1)) < 0) {
			ldns_rr_free(rr);
			goto out;
		}
	}
	if (!l->domain) {
		/* The zone's apex: its $ORIGIN, else its SOA owner. */
		ldns_rdf *d = origin ? origin : first_soa;
		if (!d) {
			snprintf(err, errlen, "%s: no $ORIGIN and no SOA: say which domain with "
				 "--domain", path);
			rc = -EINVAL;
			goto out;
		}
		char *s = ldns_rdf2str(d);
		rc = set_domain(l, s, err, errlen);
		free(s);
	}
out:
	if (fp)
		fclose(fp);
	ldns_rdf_deep_free(origin);
	ldns_rdf_deep_free(prev);
	if (rc)
		sl_lint_free(l);
	else
		*lp = l;
	return rc;
}

int sl_lint_new_server(struct sl_lint **lp, const char *addr, uint16_t port,
		       const char *domain, char *err, size_t errlen)
{
	int rc = 0;
	struct sl_lint *l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->live = 1;
	snprintf(l->file, sizeof(l->file), "%s#%u", addr, port);
	if ((rc = set_domain(l, domain, err, errlen)) < 0)
		goto out;
	ldns_rdf *ns = ldns_rdf_new_frm_str(LDNS_RDF_TYPE_A, addr);
	if (!ns)
		ns = ldns_rdf_new_frm_str(LDNS_RDF_TYPE_AAAA, addr);
	if (!ns) {
		snprintf(err, errlen, "--server %s: not a numeric IPv4 or IPv6 address", addr);
		rc = -EINVAL;
		goto out;
	}
	l->res = ldns_resolver_new();
	if (!l->res) {
		ldns_rdf_deep_free(ns);
		rc = -ENOMEM;
		goto out;
	}
	ldns_resolver_push_nameserver(l->res, ns);
	ldns_rdf_deep_free(ns);
	ldns_resolver_set_port(l->res, port);
	ldns_resolver_set_recursive(l->res, false);
	ldns_resolver_set_retry(l->res, 2);
	ldns_resolver_set_timeout(l->res, (struct timeval){ 2, 0 });
	ldns_resolver_set_fallback(l->res, true); /* TCP after a truncated answer */
out:
	if (rc)
		sl_lint_free(l);
	else
		*lp = l;
	return rc;
}

const char *sl_lint_domain(const struct sl_lint *l)
{
	return l->domain_str;
}

/* Live mode: asks once per (name, type), keeping what came back in l->rrs. */
static void ask(struct sl_lint *l, const ldns_rdf *name, ldns_rr_type t)
{
	for (size_t i = 0; i < l->nasked; i++)
		if (l->asked[i].t == t && !ldns_dname_compare(l->asked[i].name, name))
			return;
	if (l->nasked == l->capasked) {
		size_t cap = l->capasked ? l->capasked * 2 : 32;
		void *v = realloc(l->asked, cap * sizeof(*l->asked));
		if (!v)
			return;
		l->asked = v;
		l->capasked = cap;
	}
	l->asked[l->nasked].name = ldns_rdf_clone(name);
	l->asked[l->nasked++].t = t;
	ldns_pkt *p = ldns_resolver_query(l->res, name, t, LDNS_RR_CLASS_IN, 0);
	if (!p) {
		l->live_error = 1;
		char *n = ldns_rdf2str(name);
		snprintf(l->live_err, sizeof(l->live_err), "no answer from %s for %s", l->file,
			 n ? n : "?");
		free(n);
		return;
	}
	ldns_pkt_rcode rc = ldns_pkt_get_rcode(p);
	if (rc != LDNS_RCODE_NOERROR && rc != LDNS_RCODE_NXDOMAIN) {
		l->live_error = 1;
		char *n = ldns_rdf2str(name);
		ldns_lookup_table *lt = ldns_lookup_by_id(ldns_rcodes, (int)rc);
		snprintf(l->live_err, sizeof(l->live_err), "%s answered %s for %s", l->file,
			 lt ? lt->name : "an error", n ? n : "?");
		free(n);
	}
	ldns_rr_list *an = ldns_pkt_answer(p);
	for (size_t i = 0; i < ldns_rr_list_rr_count(an); i++) {
		ldns_rr *rr = ldns_rr_list_rr(an, i);
		/* Only what the question asked for: a CNAME is asked for by its own type. */
		if (ldns_rr_get_type(rr) == t && !ldns_dname_compare(ldns_rr_owner(rr), name))
			push_rr(l, ldns_rr_clone(rr), 0);
	}
	ldns_pkt_free(p);
}

/* Records of type t owned by name, in zone order. */
static size_t lookup(struct sl_lint *l, const ldns_rdf *name, ldns_rr_type t,
		     struct rrl *out, size_t max)
{
	if (l->live)
		ask(l, name, t);
	size_t n = 0;
	for (size_t i = 0; i < l->n && n < max; i++) {
		ldns_rr *rr = l->rrs[i].rr;
		if (ldns_rr_get_type(rr) == t && !ldns_dname_compare(ldns_rr_owner(rr), name)) {
			int dup = 0;
			for (size_t k = 0; k < n && !dup; k++)
				dup = !ldns_rr_compare(out[k].rr, rr);
			if (!dup)
				out[n++] = l->rrs[i];
		}
	}
	return n;
}

static void find(struct sl_lint *l, const char *id, enum sl_lint_level lv, const struct rrl *r,
		 const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void find(struct sl_lint *l, const char *id, enum sl_lint_level lv, const struct rrl *r,
		 const char *fmt, ...)
{
	struct sl_lint_finding f = { .level = lv, .line = r ? r->line : 0 };
	snprintf(f.id, sizeof(f.id), "%s", id);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(f.message, sizeof(f.message), fmt, ap);
	va_end(ap);
	if (r) {
		char *s = ldns_rr2str(r->rr);
		if (s) {
			size_t len = strlen(s);
			while (len && (s[len - 1] == '\n' || s[len - 1] == ' '))
				s[--len] = 0;
			for (char *p = s; *p; p++)
				if (*p == '\t')
					*p = ' ';
			snprintf(f.record, sizeof(f.record), "%s", s);
			free(s);
		}
	}
	for (size_t i = 0; i < l->nf; i++)
		if (!strcmp(l->f[i].id, f.id) && !strcmp(l->f[i].record, f.record) &&
		    !strcmp(l->f[i].message, f.message))
			return;
	if (l->nf == l->capf) {
		size_t cap = l->capf ? l->capf * 2 : 16;
		struct sl_lint_finding *v = realloc(l->f, cap * sizeof(*v));
		if (!v)
			return;
		l->f = v;
		l->capf = cap;
	}
	l->f[l->nf++] = f;
}

/* A character-string rdf as a C string. */
static void rdf_text(const ldns_rdf *rd, char *buf, size_t len)
{
	const uint8_t *d = ldns_rdf_data(rd);
	size_t n = ldns_rdf_size(rd) ? d[0] : 0;
	if (n >= len)
		n = len - 1;
	memcpy(buf, d + 1, n);
	buf[n] = 0;
}

static void dname_text(const ldns_rdf *rd, char *buf, size_t len)
{
	char *s = ldns_rdf2str(rd);
	snprintf(buf, len, "%s", s ? s : "?");
	free(s);
}

static int in_domain(const struct sl_lint *l, const ldns_rdf *name)
{
	return !ldns_dname_compare(name, l->domain) || ldns_dname_is_subdomain(name, l->domain);
}

/* TTL 0 and mixed TTLs in one RRset (RFC 2181 5.2). */
static void check_ttls(struct sl_lint *l, const struct rrl *r, size_t n, const char *what)
{
	for (size_t i = 0; i < n; i++) {
		if (ldns_rr_ttl(r[i].rr) == 0)
			find(l, "LINT-TTL0", SL_LINT_WARNING, &r[i], "%s record with TTL 0: clients "
			     "query again for every request (or, buggy ones, cache it forever)", what);
		if (i && ldns_rr_ttl(r[i].rr) != ldns_rr_ttl(r[0].rr))
			find(l, "LINT-MIXED-TTL", SL_LINT_WARNING, &r[i], "%s RRset has mixed TTLs "
			     "(%u and %u); RFC 2181 5.2 requires one TTL per RRset", what,
			     ldns_rr_ttl(r[0].rr), ldns_rr_ttl(r[i].rr));
	}
}

static unsigned u16(const ldns_rr *rr, size_t i)
{
	return ldns_rdf2native_int16(ldns_rr_rdf(rr, i));
}

static void check_srv_set(struct sl_lint *l, const ldns_rdf *name, int sips, int must)
{
	struct rrl r[MAX_FOUND], t[MAX_FOUND];
	char nm[256];
	dname_text(name, nm, sizeof(nm));
	size_t n = lookup(l, name, LDNS_RR_TYPE_SRV, r, MAX_FOUND);
	if (!n) {
		if (must)
			find(l, "LINT-NAPTR-DANGLING", SL_LINT_ERROR, NULL, "a NAPTR record leads to "
			     "%s, which has no SRV records", nm);
		return;
	}
	check_ttls(l, r, n, "SRV");
	for (size_t i = 0; i < n; i++) {
		const ldns_rdf *target = ldns_rr_rdf(r[i].rr, 3);
		char tn[256];
		dname_text(target, tn, sizeof(tn));
		if (ldns_dname_label_count(target) == 0) {
			if (n > 1)
				find(l, "LINT-SRV-DOT-MIXED", SL_LINT_ERROR, &r[i], "the \".\" target "
				     "(service not offered, RFC 2782) is mixed with %zu other record(s)",
				     n - 1);
			continue;
		}
		if (u16(r[i].rr, 2) == 0)
			find(l, "LINT-SRV-PORT0", SL_LINT_ERROR, &r[i], "SRV port 0 for target %s", tn);
		for (size_t k = 0; k < i; k++) {
			if (u16(r[k].rr, 0) == u16(r[i].rr, 0) && u16(r[k].rr, 1) == u16(r[i].rr, 1))
				find(l, "Z-DISTINCT-WEIGHTS", SL_LINT_WARNING, &r[i], "same priority %u "
				     "and weight %u as another record of %s: stateless proxies need "
				     "distinct weights (RFC 3263 4.4)", u16(r[i].rr, 0), u16(r[i].rr, 1),
				     nm);
		}
		if (sips && !in_domain(l, target))
			find(l, "Z-CERT-DOMAINS", SL_LINT_WARNING, &r[i], "SIPS target %s is outside "
			     "%s: the site certificate must cover both (RFC 3263 4.1)", tn,
			     l->domain_str);
		if (lookup(l, target, LDNS_RR_TYPE_CNAME, t, MAX_FOUND))
			find(l, "Z-TARGET-RESOLVES", SL_LINT_ERROR, &r[i], "SRV target %s is a CNAME "
			     "(RFC 2782: targets must not be aliases)", tn);
		else if (!lookup(l, target, LDNS_RR_TYPE_A, t, MAX_FOUND) &&
			 !lookup(l, target, LDNS_RR_TYPE_AAAA, t, MAX_FOUND))
			find(l, "Z-TARGET-RESOLVES", SL_LINT_ERROR, &r[i], "SRV target %s has no A "
			     "or AAAA record", tn);
	}
}

static const struct { const char *service, *prefix; int sips; } SERVICES[] = {
	{ "SIP+D2U", "_sip._udp", 0 }, { "SIP+D2T", "_sip._tcp", 0 },
	{ "SIPS+D2T", "_sips._tcp", 1 }, { "SIP+D2S", "_sip._sctp", 0 },
	{ "SIPS+D2S", "_sips._sctp", 1 },
};

static ldns_rdf *srv_name(const struct sl_lint *l, const char *prefix)
{
	char buf[320];
	snprintf(buf, sizeof(buf), "%s.%s", prefix, l->domain_str);
	ldns_rdf *r = NULL;
	ldns_str2rdf_dname(&r, buf);
	return r;
}

static void check_naptr(struct sl_lint *l, struct rrl *r, size_t n)
{
	int have[5] = { 0 };
	check_ttls(l, r, n, "NAPTR");
	for (size_t i = 0; i < n; i++) {
		char flags[64], svc[128], re[256], rep[256];
		rdf_text(ldns_rr_rdf(r[i].rr, 2), flags, sizeof(flags));
		rdf_text(ldns_rr_rdf(r[i].rr, 3), svc, sizeof(svc));
		rdf_text(ldns_rr_rdf(r[i].rr, 4), re, sizeof(re));
		const ldns_rdf *repl = ldns_rr_rdf(r[i].rr, 5);
		dname_text(repl, rep, sizeof(rep));
		int s_flag = strchr(flags, 's') || strchr(flags, 'S');
		if (re[0] && s_flag)
			find(l, "LINT-NAPTR-REGEXP", SL_LINT_ERROR, &r[i], "\"s\" flag with a "
			     "non-empty regexp: RFC 3263 clients expect an empty regexp and an SRV "
			     "replacement");
		size_t s;
		for (s = 0; s < sizeof(SERVICES) / sizeof(SERVICES[0]); s++)
			if (!strcasecmp(svc, SERVICES[s].service))
				break;
		if (s < 5 && !have[s])
			have[s] = (int)i + 1; /* the first record offering it, for findings */
		if (!strcasecmp(svc, "SIPS+D2U"))
			find(l, "Z-NO-SIPS-UDP", SL_LINT_WARNING, &r[i], "SIPS+D2U: TLS cannot run "
			     "over UDP (RFC 3263 4.1: SHOULD NOT be in the DNS)");
		for (size_t k = 0; k < i; k++)
			if (u16(r[k].rr, 0) == u16(r[i].rr, 0) && u16(r[k].rr, 1) == u16(r[i].rr, 1))
				find(l, "Z-DISTINCT-WEIGHTS", SL_LINT_WARNING, &r[i], "same order %u and "
				     "preference %u as another NAPTR record: stateless proxies need a "
				     "deterministic choice (RFC 3263 4.4)", u16(r[i].rr, 0),
				     u16(r[i].rr, 1));
		int sips = !strncasecmp(svc, "SIPS+", 5);
		if (sips && ldns_dname_label_count(repl) && !in_domain(l, repl))
			find(l, "Z-CERT-DOMAINS", SL_LINT_WARNING, &r[i], "SIPS replacement %s is "
			     "outside %s: the site certificate must cover both (RFC 3263 4.1)", rep,
			     l->domain_str);
		if (s_flag && !re[0] && s < 5)
			check_srv_set(l, repl, sips, 1);
	}
	/* SIPS before SIP: every SIPS order below every SIP order. */
	for (size_t i = 0; i < n; i++) {
		char a[128];
		rdf_text(ldns_rr_rdf(r[i].rr, 3), a, sizeof(a));
		if (strncasecmp(a, "SIPS+", 5))
			continue;
		for (size_t k = 0; k < n; k++) {
			char b[128];
			rdf_text(ldns_rr_rdf(r[k].rr, 3), b, sizeof(b));
			if (!strncasecmp(b, "SIP+", 4) && u16(r[k].rr, 0) <= u16(r[i].rr, 0))
				find(l, "Z-SIPS-FIRST", SL_LINT_WARNING, &r[k], "%s has order %u, not "
				     "above SIPS's %u: SIPS should be preferred (RFC 3263 4.1)", b,
				     u16(r[k].rr, 0), u16(r[i].rr, 0));
		}
	}
	static const char *const three[] = { "SIP+D2U", "SIP+D2T", "SIPS+D2T" };
	for (size_t s = 0; s < 3; s++)
		if (!have[s])
			find(l, "Z-THREE-NAPTR", SL_LINT_ERROR, &r[0], "no %s NAPTR record at %s "
			     "(RFC 3263 4.1: SIP+D2T, SIP+D2U and SIPS+D2T are required)", three[s],
			     l->domain_str);
	/* RFC 2543 clients look up SRV at the queried domain directly. */
	for (size_t s = 0; s < 5; s++) {
		if (!have[s])
			continue;
		ldns_rdf *nm = srv_name(l, SERVICES[s].prefix);
		struct rrl tmp[MAX_FOUND];
		if (nm && !lookup(l, nm, LDNS_RR_TYPE_SRV, tmp, MAX_FOUND))
			find(l, "Z-SRV-AT-DOMAIN", SL_LINT_ERROR, &r[have[s] - 1], "NAPTR offers %s but there is "
			     "no SRV record at %s.%s (RFC 3263 4.1)", SERVICES[s].service,
			     SERVICES[s].prefix, l->domain_str);
		ldns_rdf_deep_free(nm);
	}
}

/* Non-terminal NAPTR chains ("" flags) must end. */
static void check_loops(struct sl_lint *l, const ldns_rdf *start)
{
	ldns_rdf *seen[NAPTR_HOPS + 1];
	size_t nseen = 0;
	seen[nseen++] = ldns_rdf_clone(start);
	const ldns_rdf *cur = start;
	struct rrl r[MAX_FOUND];
	for (int hop = 0; hop < NAPTR_HOPS; hop++) {
		size_t n = lookup(l, cur, LDNS_RR_TYPE_NAPTR, r, MAX_FOUND);
		const ldns_rdf *next = NULL;
		const struct rrl *via = NULL;
		for (size_t i = 0; i < n && !next; i++) {
			char flags[64];
			rdf_text(ldns_rr_rdf(r[i].rr, 2), flags, sizeof(flags));
			if (!flags[0]) {
				next = ldns_rr_rdf(r[i].rr, 5);
				via = &r[i];
			}
		}
		if (!next)
			break;
		int loop = 0;
		for (size_t k = 0; k < nseen && !loop; k++)
			loop = !ldns_dname_compare(seen[k], next);
		if (loop || hop == NAPTR_HOPS - 1) {
			char nm[256];
			dname_text(next, nm, sizeof(nm));
			find(l, "LINT-NAPTR-LOOP", SL_LINT_ERROR, via, "non-terminal NAPTR chain %s at "
			     "%s", loop ? "loops back" : "does not end", nm);
			break;
		}
		seen[nseen++] = ldns_rdf_clone(next);
		cur = seen[nseen - 1];
	}
	for (size_t k = 0; k < nseen; k++)
		ldns_rdf_deep_free(seen[k]);
}

int sl_lint_run(struct sl_lint *l, const struct sl_lint_finding **out, char *err,
		size_t errlen)
{
	struct rrl r[MAX_FOUND];
	l->nf = 0;
	size_t n = lookup(l, l->domain, LDNS_RR_TYPE_NAPTR, r, MAX_FOUND);
	if (n) {
		check_naptr(l, r, n);
		check_loops(l, l->domain);
	}
	/* The SRV sets at the domain itself, NAPTR or not. */
	int any_srv = 0;
	for (size_t s = 0; s < 3; s++) {
		ldns_rdf *nm = srv_name(l, SERVICES[s].prefix);
		struct rrl tmp[MAX_FOUND];
		if (nm && lookup(l, nm, LDNS_RR_TYPE_SRV, tmp, MAX_FOUND)) {
			any_srv = 1;
			check_srv_set(l, nm, SERVICES[s].sips, 0);
		}
		ldns_rdf_deep_free(nm);
	}
	if (!n && !any_srv)
		find(l, "LINT-NO-RECORDS", SL_LINT_NOTE, NULL, "no NAPTR and no SRV records for "
		     "%s: RFC 3263 clients fall back to its A/AAAA records on the default port",
		     l->domain_str);
	if (l->live_error) {
		snprintf(err, errlen, "%s", l->live_err);
		return -EIO;
	}
	*out = l->f;
	return (int)l->nf;
}
