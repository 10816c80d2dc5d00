/* ref_dnswire.c: DNS queries and responses <-> ref_dns_answer (ldns does only the wire codec);
 * follows in-answer CNAMEs, computes cache TTLs (RRset; RFC 2308 SOA minimum if negative). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ldns/ldns.h>

#include "ref_dnswire.h"

const char *ref_dns_type_name(uint16_t type)
{
	switch (type) {
	case REF_T_A:     return "A";
	case REF_T_AAAA:  return "AAAA";
	case REF_T_SRV:   return "SRV";
	case REF_T_NAPTR: return "NAPTR";
	default:          return "?";
	}
}

const char *ref_dns_status_name(enum ref_dns_status st)
{
	static const char *const names[] = { "OK", "NODATA", "NXDOMAIN", "FAIL" };

	return st <= REF_DNS_FAIL ? names[st] : "?";
}

/* Wire dname to lowercase text without the trailing dot ("." for the root). */
static void dname_str(const ldns_rdf *rdf, char *out, size_t len)
{
	const uint8_t *d = ldns_rdf_data(rdf);
	size_t sz = ldns_rdf_size(rdf), i = 0, o = 0;

	out[0] = '\0';
	if (sz == 0 || d[0] == 0) {
		snprintf(out, len, ".");
		return;
	}
	while (i < sz && d[i] && o + 5 < len) {
		uint8_t l = d[i++];

		if (o)
			out[o++] = '.';
		for (uint8_t j = 0; j < l && i < sz && o + 5 < len; j++, i++) {
			unsigned char c = d[i];

			if (isalnum(c) || c == '-' || c == '_')
				out[o++] = (char)tolower(c);
			else
				o += (size_t)snprintf(out + o, len - o, "\\%03u", c);
		}
	}
	out[o] = '\0';
}

/* character-string rdata: a length byte, then the bytes. */
static void cstr(const ldns_rdf *rdf, char *out, size_t len)
{
	const uint8_t *d = ldns_rdf_data(rdf);
	size_t n = ldns_rdf_size(rdf) ? d[0] : 0;

	if (n >= len || n + 1 > ldns_rdf_size(rdf))
		n = 0;
	memcpy(out, d + 1, n);
	out[n] = '\0';
}

static bool rdf_ok(const ldns_rr *rr, size_t need)
{
	if (ldns_rr_rd_count(rr) < need)
		return false;
	for (size_t i = 0; i < need; i++)
		if (!ldns_rr_rdf(rr, i))
			return false;
	return true;
}

int ref_dns_build_query(const char *name, uint16_t type, uint16_t id, uint8_t **wire,
			size_t *len)
{
	char fq[REF_NAME_MAX + 2];
	size_t n = strlen(name);
	ldns_rdf *dn;
	ldns_pkt *pkt;
	ldns_status st;

	if (n == 0 || n >= REF_NAME_MAX)
		return -EINVAL;
	snprintf(fq, sizeof(fq), "%s%s", name, name[n - 1] == '.' ? "" : ".");
	dn = ldns_dname_new_frm_str(fq);
	if (!dn)
		return -EINVAL;
	pkt = ldns_pkt_query_new(dn, (ldns_rr_type)type, LDNS_RR_CLASS_IN, LDNS_RD);
	if (!pkt) {
		ldns_rdf_deep_free(dn);
		return -ENOMEM;
	}
	ldns_pkt_set_id(pkt, id);
	st = ldns_pkt2wire(wire, pkt, len);
	ldns_pkt_free(pkt);
	return st == LDNS_STATUS_OK ? 0 : -ENOMEM;
}

struct ref_dns_answer *ref_dns_answer_new(enum ref_dns_status st, uint16_t type,
					  const char *why)
{
	struct ref_dns_answer *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->refs = 1;
	a->status = st;
	a->type = type;
	if (why)
		snprintf(a->why, sizeof(a->why), "%s", why);
	return a;
}

void ref_dns_answer_ref(struct ref_dns_answer *a)
{
	a->refs++;
}

void ref_dns_answer_unref(struct ref_dns_answer *a)
{
	if (!a || --a->refs > 0)
		return;
	if (a->type == REF_T_NAPTR)
		free(a->naptr);
	else if (a->type == REF_T_SRV)
		free(a->srv);
	else
		free(a->ip);
	free(a);
}

/* RFC 2308 section 5: a negative answer lives min(SOA TTL, SOA MINIMUM); no SOA, no cache. */
static uint32_t negative_ttl(const ldns_pkt *pkt)
{
	const ldns_rr_list *auth = ldns_pkt_authority(pkt);

	for (size_t i = 0; auth && i < ldns_rr_list_rr_count(auth); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(auth, i);
		uint32_t ttl, min;

		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_SOA || !rdf_ok(rr, 7))
			continue;
		ttl = ldns_rr_ttl(rr);
		min = ldns_rdf2native_int32(ldns_rr_rdf(rr, 6));
		return ttl < min ? ttl : min;
	}
	return 0;
}

static int fill_record(struct ref_dns_answer *a, const ldns_rr *rr)
{
	size_t i = a->n;

	switch (a->type) {
	case REF_T_NAPTR: {
		struct ref_naptr *n = &a->naptr[i];

		if (!rdf_ok(rr, 6))
			return -EBADMSG;
		memset(n, 0, sizeof(*n));
		n->order = ldns_rdf2native_int16(ldns_rr_rdf(rr, 0));
		n->pref = ldns_rdf2native_int16(ldns_rr_rdf(rr, 1));
		cstr(ldns_rr_rdf(rr, 2), n->flags, sizeof(n->flags));
		cstr(ldns_rr_rdf(rr, 3), n->services, sizeof(n->services));
		cstr(ldns_rr_rdf(rr, 4), n->regexp, sizeof(n->regexp));
		dname_str(ldns_rr_rdf(rr, 5), n->replacement, sizeof(n->replacement));
		break;
	}
	case REF_T_SRV: {
		struct ref_srv *s = &a->srv[i];

		if (!rdf_ok(rr, 4))
			return -EBADMSG;
		memset(s, 0, sizeof(*s));
		s->prio = ldns_rdf2native_int16(ldns_rr_rdf(rr, 0));
		s->weight = ldns_rdf2native_int16(ldns_rr_rdf(rr, 1));
		s->port = ldns_rdf2native_int16(ldns_rr_rdf(rr, 2));
		dname_str(ldns_rr_rdf(rr, 3), s->target, sizeof(s->target));
		break;
	}
	default: {
		struct ref_ip *ip = &a->ip[i];
		size_t want = a->type == REF_T_A ? 4 : 16;

		if (!rdf_ok(rr, 1) || ldns_rdf_size(ldns_rr_rdf(rr, 0)) != want)
			return -EBADMSG;
		memset(ip, 0, sizeof(*ip));
		ip->af = a->type == REF_T_A ? AF_INET : AF_INET6;
		memcpy(ip->a, ldns_rdf_data(ldns_rr_rdf(rr, 0)), want);
		break;
	}
	}
	a->n++;
	return 0;
}

/* Collects the records of the queried type owned by name, following CNAMEs that the
 * answer section itself resolves (RFC 1034 3.6.2). */
static int collect(const ldns_pkt *pkt, const char *name, struct ref_dns_answer *a)
{
	const ldns_rr_list *ans = ldns_pkt_answer(pkt);
	size_t count = ans ? ldns_rr_list_rr_count(ans) : 0;
	char cur[REF_NAME_MAX], owner[REF_NAME_MAX];
	uint32_t ttl = UINT32_MAX;
	size_t rsize = a->type == REF_T_NAPTR ? sizeof(struct ref_naptr)
		     : a->type == REF_T_SRV ? sizeof(struct ref_srv) : sizeof(struct ref_ip);
	void *arr;

	snprintf(cur, sizeof(cur), "%s", name);
	for (int hops = 0; hops < 8; hops++) {
		bool moved = false;

		for (size_t i = 0; i < count; i++) {
			const ldns_rr *rr = ldns_rr_list_rr(ans, i);

			dname_str(ldns_rr_owner(rr), owner, sizeof(owner));
			if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME &&
			    strcasecmp(owner, cur) == 0 && rdf_ok(rr, 1)) {
				dname_str(ldns_rr_rdf(rr, 0), cur, sizeof(cur));
				if (ldns_rr_ttl(rr) < ttl)
					ttl = ldns_rr_ttl(rr);
				moved = true;
				break;
			}
		}
		if (!moved)
			break;
	}
	arr = calloc(count ? count : 1, rsize);
	if (!arr)
		return -ENOMEM;
	a->naptr = arr; /* the union: every member aliases the same array */
	for (size_t i = 0; i < count; i++) {
		const ldns_rr *rr = ldns_rr_list_rr(ans, i);

		if (ldns_rr_get_type(rr) != a->type || ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN)
			continue;
		dname_str(ldns_rr_owner(rr), owner, sizeof(owner));
		if (strcasecmp(owner, cur) != 0)
			continue;
		if (fill_record(a, rr) < 0)
			return -EBADMSG;
		if (ldns_rr_ttl(rr) < ttl)
			ttl = ldns_rr_ttl(rr);
	}
	if (strcasecmp(cur, name) != 0)
		snprintf(a->cname, sizeof(a->cname), "%s", cur);
	if (a->n == 0) {
		a->status = REF_DNS_NODATA;
		a->ttl = negative_ttl(pkt);
		/* A CNAME-only answer is the CNAME's data: its TTL (bounded by the SOA's when
		 * the server sent one) says how long "ask the target" may be remembered. */
		if (a->cname[0] && (a->ttl == 0 || ttl < a->ttl))
			a->ttl = ttl;
		if (a->cname[0])
			snprintf(a->why, sizeof(a->why), "CNAME to %s, whose records are not in this "
				 "answer", cur);
	} else {
		a->status = REF_DNS_OK;
		a->ttl = ttl;
	}
	return 0;
}

static bool question_matches(const ldns_pkt *pkt, const char *name, uint16_t type)
{
	const ldns_rr_list *q = ldns_pkt_question(pkt);
	const ldns_rr *rr;
	char qname[REF_NAME_MAX];

	if (!q || ldns_rr_list_rr_count(q) != 1)
		return false;
	rr = ldns_rr_list_rr(q, 0);
	dname_str(ldns_rr_owner(rr), qname, sizeof(qname));
	return ldns_rr_get_type(rr) == type && ldns_rr_get_class(rr) == LDNS_RR_CLASS_IN &&
	       strcasecmp(qname, name) == 0;
}

int ref_dns_parse_response(const uint8_t *buf, size_t len, uint16_t id, const char *name,
			   uint16_t type, struct ref_dns_answer **out)
{
	ldns_pkt *pkt = NULL;
	struct ref_dns_answer *a = NULL;
	char why[64];
	int rc;

	*out = NULL;
	if (len < 12)
		return -EBADMSG;
	if ((uint16_t)(buf[0] << 8 | buf[1]) != id)
		return -ENOMSG;
	if (ldns_wire2pkt(&pkt, buf, len) != LDNS_STATUS_OK)
		return -EBADMSG;
	rc = -ENOMSG;
	if (!ldns_pkt_qr(pkt) || !question_matches(pkt, name, type))
		goto out;
	rc = -ENOMEM;
	a = ref_dns_answer_new(REF_DNS_FAIL, type, NULL);
	if (!a)
		goto out;
	rc = 0;
	if (ldns_pkt_tc(pkt)) {
		/* RFC 2181 9: a truncated answer must not be used as if complete. */
		snprintf(a->why, sizeof(a->why), "truncated (TC); DNS over TCP not implemented");
		goto out;
	}
	switch (ldns_pkt_get_rcode(pkt)) {
	case LDNS_RCODE_NOERROR:
		rc = collect(pkt, name, a);
		break;
	case LDNS_RCODE_NXDOMAIN:
		a->status = REF_DNS_NXDOMAIN;
		a->ttl = negative_ttl(pkt);
		break;
	default:
		snprintf(why, sizeof(why), "rcode %u", (unsigned)ldns_pkt_get_rcode(pkt));
		if (ldns_pkt_get_rcode(pkt) == LDNS_RCODE_SERVFAIL)
			snprintf(why, sizeof(why), "SERVFAIL");
		else if (ldns_pkt_get_rcode(pkt) == LDNS_RCODE_REFUSED)
			snprintf(why, sizeof(why), "REFUSED");
		snprintf(a->why, sizeof(a->why), "%s", why);
		break;
	}
out:
	if (rc < 0) {
		ref_dns_answer_unref(a);
		a = NULL;
	}
	ldns_pkt_free(pkt);
	*out = a;
	return rc;
}

void ref_dns_answer_str(const struct ref_dns_answer *a, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < a->n && o + 1 < len; i++) {
		const char *sep = i ? "; " : "";
		char ip[REF_ADDRSTRLEN];
		int w;

		if (a->type == REF_T_NAPTR) {
			const struct ref_naptr *n = &a->naptr[i];

			w = snprintf(buf + o, len - o, "%s%u %u \"%s\" \"%s\" \"%s\" %s", sep, n->order,
				     n->pref, n->flags, n->services, n->regexp, n->replacement);
		} else if (a->type == REF_T_SRV) {
			const struct ref_srv *s = &a->srv[i];

			w = snprintf(buf + o, len - o, "%s%u %u %u %s", sep, s->prio, s->weight,
				     s->port, s->target);
		} else {
			ref_ip_str(&a->ip[i], ip, sizeof(ip));
			w = snprintf(buf + o, len - o, "%s%s", sep, ip);
		}
		if (w < 0 || (size_t)w >= len - o)
			break;
		o += (size_t)w;
	}
}
