/* sl_tls_names.c: certificate names from the zone: SRV and NAPTR domains leading to a
 * peer, the hosts whose addresses are the peer's, and the address. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <ldns/ldns.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "fdns.h"
#include "sl_tls_names.h"

struct set {
	char **v;
	size_t n, max;
};

/* An ldns name as "a.example.test" (lower case, no trailing dot); "" on failure. */
static void name_str(const ldns_rdf *r, char *buf, size_t len)
{
	buf[0] = 0;
	char *s = r ? ldns_rdf2str(r) : NULL;
	if (!s)
		return;
	size_t n = strlen(s);
	if (n && s[n - 1] == '.')
		s[--n] = 0;
	for (size_t i = 0; i < n; i++)
		s[i] = (char)tolower((unsigned char)s[i]);
	snprintf(buf, len, "%s", s);
	free(s);
}

static int has(const struct set *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], name))
			return 1;
	return 0;
}

/* 1 added, 0 already there or empty or full, -ENOMEM. */
static int add(struct set *s, const char *name)
{
	if (!*name || has(s, name) || s->n == s->max)
		return 0;
	s->v[s->n] = strdup(name);
	if (!s->v[s->n])
		return -ENOMEM;
	s->n++;
	return 1;
}

/* The SIP domain of an SRV owner: "_sips._tcp.example.test" -> "example.test". */
static const char *srv_domain(const char *owner)
{
	const char *d = owner;
	for (int k = 0; k < 2 && d[0] == '_'; k++) {
		const char *dot = strchr(d, '.');
		if (!dot)
			break;
		d = dot + 1;
	}
	return d;
}

static const ldns_rr *rec(const struct fdns_zone *z, size_t i)
{
	return (const ldns_rr *)fdns_zone_record(z, i);
}

int sl_tls_names(const struct fdns_zone *z, const struct sockaddr *peer, char **names,
		 size_t max, size_t *n)
{
	char *hv[64], *sv[64];
	struct set hosts = { hv, 0, 64 }, srvs = { sv, 0, 64 }, out = { names, 0, max };
	unsigned char want[16];
	size_t wlen;
	unsigned port;
	int rc = 0;
	char ip[INET6_ADDRSTRLEN], buf[300];
	if (peer->sa_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)peer;
		memcpy(want, &a->sin6_addr, 16);
		wlen = 16;
		port = ntohs(a->sin6_port);
	} else {
		const struct sockaddr_in *a = (const void *)peer;
		memcpy(want, &a->sin_addr, 4);
		wlen = 4;
		port = ntohs(a->sin_port);
	}
	inet_ntop(peer->sa_family, want, ip, sizeof(ip));
	size_t nrr = z ? fdns_zone_count(z) : 0;
	/* Hosts: A/AAAA holding the address, then CNAMEs onto them (a few rounds). */
	for (size_t i = 0; i < nrr && rc >= 0; i++) {
		const ldns_rr *r = rec(z, i);
		ldns_rr_type t = ldns_rr_get_type(r);
		const ldns_rdf *a = ldns_rr_rdf(r, 0);
		if ((t == LDNS_RR_TYPE_A && wlen == 4) || (t == LDNS_RR_TYPE_AAAA && wlen == 16)) {
			if (a && ldns_rdf_size(a) == wlen && !memcmp(ldns_rdf_data(a), want, wlen)) {
				name_str(ldns_rr_owner(r), buf, sizeof(buf));
				rc = add(&hosts, buf);
			}
		}
	}
	for (int round = 0, grew = 1; round < 4 && grew && rc >= 0; round++) {
		grew = 0;
		for (size_t i = 0; i < nrr && rc >= 0; i++) {
			const ldns_rr *r = rec(z, i);
			if (ldns_rr_get_type(r) != LDNS_RR_TYPE_CNAME)
				continue;
			name_str(ldns_rr_rdf(r, 0), buf, sizeof(buf));
			if (!has(&hosts, buf))
				continue;
			name_str(ldns_rr_owner(r), buf, sizeof(buf));
			if ((rc = add(&hosts, buf)) > 0)
				grew = 1;
		}
	}
	/* SRV records leading to those hosts on the peer's port, and their domains. */
	for (size_t i = 0; i < nrr && rc >= 0; i++) {
		const ldns_rr *r = rec(z, i);
		if (ldns_rr_get_type(r) != LDNS_RR_TYPE_SRV || ldns_rr_rd_count(r) < 4)
			continue;
		if (ldns_rdf2native_int16(ldns_rr_rdf(r, 2)) != port)
			continue;
		name_str(ldns_rr_rdf(r, 3), buf, sizeof(buf));
		if (!has(&hosts, buf))
			continue;
		name_str(ldns_rr_owner(r), buf, sizeof(buf));
		if ((rc = add(&srvs, buf)) >= 0)
			rc = add(&out, srv_domain(buf));
	}
	for (size_t i = 0; i < nrr && rc >= 0; i++) {
		const ldns_rr *r = rec(z, i);
		if (ldns_rr_get_type(r) != LDNS_RR_TYPE_NAPTR || ldns_rr_rd_count(r) < 6)
			continue;
		name_str(ldns_rr_rdf(r, 5), buf, sizeof(buf));
		if (!has(&srvs, buf))
			continue;
		name_str(ldns_rr_owner(r), buf, sizeof(buf));
		rc = add(&out, buf);
	}
	for (size_t i = 0; i < hosts.n && rc >= 0; i++)
		rc = add(&out, hosts.v[i]);
	if (rc >= 0)
		rc = add(&out, ip);
	for (size_t i = 0; i < hosts.n; i++)
		free(hosts.v[i]);
	for (size_t i = 0; i < srvs.n; i++)
		free(srvs.v[i]);
	if (rc < 0) {
		sl_tls_names_free(names, out.n);
		return rc;
	}
	*n = out.n;
	return 0;
}

void sl_tls_names_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(names[i]);
		names[i] = NULL;
	}
}
