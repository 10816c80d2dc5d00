/* sl_farm.c: zone_farm's names, records and addresses, and expect_farm's check over the
 * event log (one pass, hash lookups: a farm has tens of thousands of queries). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sl_check.h"
#include "sl_evlog.h"
#include "sl_farm.h"
#include "sl_strmap.h"

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int sl_farm_validate(const struct sl_farm *f, char *err, size_t errlen)
{
	const char *d = strstr(f->pattern, "%d");
	if (!d || strchr(d + 2, '%') || strchr(f->pattern, '%') != d)
		return fail(err, errlen, "name '%s' must hold exactly one %%d (the domain "
			    "number)", f->pattern);
	for (const char *p = f->pattern; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' ||
		      *p == '.' || (p == d || p == d + 1)))
			return fail(err, errlen, "name '%s': only a-z 0-9 '-' '.' and %%d",
				    f->pattern);
	size_t l = strlen(f->pattern);
	if (l > 100 || f->pattern[0] == '.' || f->pattern[l - 1] == '.' || strstr(f->pattern, ".."))
		return fail(err, errlen, "name '%s' is not a domain name pattern", f->pattern);
	if (f->domains < 1 || f->domains > SL_FARM_MAX_DOMAINS)
		return fail(err, errlen, "domains must be 1..%d", SL_FARM_MAX_DOMAINS);
	if (f->srv > 8 || f->a < 1 || f->a > 8)
		return fail(err, errlen, "srv must be 0..8 and a 1..8");
	if (f->naptr && !f->srv)
		return fail(err, errlen, "naptr = true needs srv >= 1 (the NAPTR names an SRV set)");
	if (f->peers < 1 || f->peers > SL_FARM_MAX_PEERS)
		return fail(err, errlen, "peers must be 1..%d", SL_FARM_MAX_PEERS);
	if (f->port < 1 || f->port > 65535 || f->ttl > 0x7fffffffu)
		return fail(err, errlen, "port must be 1..65535 and ttl 0..2147483647");
	uint32_t last = f->base + f->peers - 1;
	if ((f->base >> 24) != 127 || (last >> 24) != 127 || last < f->base)
		return fail(err, errlen, "base: the %u peer addresses must lie in 127.0.0.0/8",
			    f->peers);
	/* The SUT and the fake DNS live on 127.0.0.1. */
	if (f->base <= 0x7f000001u && last >= 0x7f000001u)
		return fail(err, errlen, "base: the peer addresses must leave out 127.0.0.1 (the "
			    "SUT's and the DNS server's)");
	return 0;
}

void sl_farm_domain(const struct sl_farm *f, unsigned i, char *buf, size_t len)
{
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	snprintf(buf, len, f->pattern, (int)i); /* validated: one %d */
#pragma GCC diagnostic pop
}

static void addr_of(uint32_t a, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
}

void sl_farm_peer(const struct sl_farm *f, unsigned k, char *buf, size_t len)
{
	char a[32];
	addr_of(f->base + k, a, sizeof(a));
	snprintf(buf, len, "%s:%u/udp", a, f->port);
}

unsigned sl_farm_peer_of(const struct sl_farm *f, unsigned i, unsigned j, unsigned m)
{
	/* First targets walk the peers in turn; a domain's other targets and addresses
	 * are the peers after its first. */
	return (unsigned)(((unsigned long long)(i - 1) * f->a + (m - 1) + (j - 1)) % f->peers);
}

void sl_farm_uri(const struct sl_farm *f, unsigned i, const char *user, char *buf, size_t len)
{
	char d[160];
	sl_farm_domain(f, i, d, sizeof(d));
	if (!f->srv && f->port != 5060)
		snprintf(buf, len, "sip:%s@%s:%u", user, d, f->port);
	else
		snprintf(buf, len, "sip:%s@%s", user, d);
}

struct buf {
	char *s;
	size_t n, cap;
	int oom;
};

static void put(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct buf *b, const char *fmt, ...)
{
	for (int tries = 0; tries < 2 && !b->oom; tries++) {
		va_list ap;
		va_start(ap, fmt);
		int n = vsnprintf(b->s + b->n, b->cap - b->n, fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < b->cap - b->n) {
			b->n += (size_t)n;
			return;
		}
		size_t cap = b->cap * 2 + (size_t)(n > 0 ? n : 0) + 1;
		char *s = realloc(b->s, cap);
		if (!s) {
			b->oom = 1;
			return;
		}
		b->s = s;
		b->cap = cap;
	}
}

char *sl_farm_zone_text(const struct sl_farm *f)
{
	struct buf b = { malloc(65536), 0, 65536, 0 };
	if (!b.s)
		return NULL;
	b.s[0] = 0;
	char d[160], a[32];
	for (unsigned i = 1; i <= f->domains && !b.oom; i++) {
		sl_farm_domain(f, i, d, sizeof(d));
		if (f->naptr)
			put(&b, "%s. %u IN NAPTR 10 50 \"s\" \"SIP+D2U\" \"\" _sip._udp.%s.\n", d,
			    f->ttl, d);
		for (unsigned j = 1; j <= f->srv; j++) {
			put(&b, "_sip._udp.%s. %u IN SRV %u 0 %u t%u.%s.\n", d, f->ttl, j * 10,
			    f->port, j, d);
			for (unsigned m = 1; m <= f->a; m++) {
				addr_of(f->base + sl_farm_peer_of(f, i, j, m), a, sizeof(a));
				put(&b, "t%u.%s. %u IN A %s\n", j, d, f->ttl, a);
			}
		}
		for (unsigned m = 1; !f->srv && m <= f->a; m++) {
			addr_of(f->base + sl_farm_peer_of(f, i, 1, m), a, sizeof(a));
			put(&b, "%s. %u IN A %s\n", d, f->ttl, a);
		}
	}
	if (b.oom) {
		free(b.s);
		return NULL;
	}
	return b.s;
}

/* s[0..len) lower-cased, without a trailing dot. */
static void lower(const char *s, size_t len, char *out, size_t olen)
{
	size_t i = 0;
	for (; i < len && i + 1 < olen; i++)
		out[i] = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] + 32) : s[i];
	if (i && out[i - 1] == '.')
		i--;
	out[i] = 0;
}

enum { K_DOMAIN, K_SRV, K_TARGET };

struct dom {
	int naptr, srv, a;   /* first event index of each query, -1: none */
	int first;           /* first attempt of its first transaction, -1: none */
	int misrouted;
};

/* A farm cites one event per step; a step it never reached is -1. */
static void cite(struct sl_check_out *o, int ev)
{
	if (ev >= 0)
		sl_check_add_ev(o, (unsigned)ev);
}

/* The host of a SIP URI, lower-cased: sip:user@HOST:port;params. */
static void uri_host(const char *uri, char *out, size_t len)
{
	const char *p = strchr(uri, ':');
	p = p ? p + 1 : uri;
	const char *at = strchr(p, '@');
	if (at)
		p = at + 1;
	size_t n = strcspn(p, ":;?>");
	lower(p, n, out, len);
}

void sl_check_farm(const struct sl_evlog *l, const struct sl_farm *f, const char *method,
		   struct sl_check_out *o)
{
	memset(o, 0, sizeof(*o));
	struct sl_strmap *names = NULL, *calls = NULL;
	struct dom *dom = calloc(f->domains + 1, sizeof(*dom));
	size_t nev = sl_evlog_count(l);
	if (!dom || sl_strmap_new(&names, (size_t)f->domains * 3) < 0 ||
	    sl_strmap_new(&calls, nev / 4) < 0) {
		sl_check_say(o, "out of memory");
		goto out;
	}
	char d[200], key[260];
	for (unsigned i = 1; i <= f->domains; i++) {
		dom[i] = (struct dom){ -1, -1, -1, -1, 0 };
		sl_farm_domain(f, i, d, sizeof(d));
		sl_strmap_add(names, d, (int)(i * 4 + K_DOMAIN));
		if (f->srv) {
			snprintf(key, sizeof(key), "_sip._udp.%s", d);
			sl_strmap_add(names, key, (int)(i * 4 + K_SRV));
			snprintf(key, sizeof(key), "t1.%s", d);
			sl_strmap_add(names, key, (int)(i * 4 + K_TARGET));
		}
	}
	for (size_t x = 0; x < nev; x++) {
		const struct sl_event *e = sl_evlog_get(l, x);
		int v;
		if (e->kind == SL_EV_DNS && e->qname && e->qtype) {
			lower(e->qname, strlen(e->qname), key, sizeof(key));
			if (!sl_strmap_get(names, key, &v))
				continue;
			struct dom *dm = &dom[v / 4];
			int *slot = NULL;
			if (v % 4 == K_DOMAIN && !strcmp(e->qtype, "NAPTR"))
				slot = &dm->naptr;
			else if (v % 4 == K_SRV && !strcmp(e->qtype, "SRV"))
				slot = &dm->srv;
			else if ((v % 4 == K_TARGET || (v % 4 == K_DOMAIN && !f->srv)) &&
				 !strcmp(e->qtype, "A"))
				slot = &dm->a;
			if (slot && *slot < 0)
				*slot = (int)x;
			continue;
		}
		if (e->kind != SL_EV_SIP_RX || !e->method || e->text || !e->call_id || !e->uri)
			continue;
		if (method ? strcmp(e->method, method) :
			     (!strcmp(e->method, "ACK") || !strcmp(e->method, "CANCEL")))
			continue;
		snprintf(key, sizeof(key), "%s %s", e->call_id, e->method);
		if (sl_strmap_add(calls, key, 1) != 1)
			continue; /* not the first packet of its transaction */
		uri_host(e->uri, key, sizeof(key));
		if (!sl_strmap_get(names, key, &v) || v % 4 != K_DOMAIN || dom[v / 4].first >= 0)
			continue;
		unsigned i = (unsigned)v / 4;
		dom[i].first = (int)x;
		char want[64], got[200];
		sl_farm_peer(f, sl_farm_peer_of(f, i, 1, 1), want, sizeof(want));
		snprintf(got, sizeof(got), "%s/%s", e->server ? e->server : "?",
			 e->transport ? e->transport : "?");
		dom[i].misrouted = strcmp(want, got) != 0;
	}
	unsigned unresolved = 0, disorder = 0, unsent = 0, misrouted = 0, shown = 0;
	for (unsigned i = 1; i <= f->domains; i++) {
		struct dom *dm = &dom[i];
		int missing = dm->a < 0 || (f->srv && dm->srv < 0) || (f->naptr && dm->naptr < 0);
		int order = !missing && ((f->naptr && dm->naptr > dm->srv) ||
					 (f->srv && dm->srv > dm->a));
		unresolved += missing;
		disorder += order;
		unsent += dm->first < 0;
		misrouted += dm->misrouted;
		if (!(missing || order || dm->first < 0 || dm->misrouted))
			continue;
		if (shown++ < 3) {
			sl_farm_domain(f, i, d, sizeof(d));
			sl_check_say(o, "%s: %s; ", d, missing ? "not resolved NAPTR -> SRV -> A" :
			    order ? "queried out of order" : dm->first < 0 ? "no request reached "
			    "a peer" : "first request went to another target");
		}
		cite(o, dm->naptr);
		cite(o, dm->srv);
		cite(o, dm->a);
		cite(o, dm->first);
	}
	o->pass = !unresolved && !disorder && !unsent && !misrouted;
	o->seen = 1;
	unsigned q = (f->naptr ? 1 : 0) + (f->srv ? 1 : 0) + 1;
	sl_check_say(o, "%u domains: %u resolved %s in order (%u queries each), %u first requests at "
	    "their first target", f->domains, f->domains - unresolved - disorder,
	    f->naptr ? "NAPTR -> SRV -> A" : f->srv ? "SRV -> A" : "A", q,
	    f->domains - unsent - misrouted);
	if (!o->pass)
		sl_check_say(o, "; %u not resolved, %u out of order, %u never requested, %u misrouted",
		    unresolved, disorder, unsent, misrouted);
	if (o->pass && f->domains) {
		cite(o, dom[1].naptr);
		cite(o, dom[1].srv);
		cite(o, dom[1].a);
		cite(o, dom[1].first);
	}
out:
	sl_strmap_free(names);
	sl_strmap_free(calls);
	free(dom);
}
