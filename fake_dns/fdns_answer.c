/* fdns_answer.c: turns one wire query into the fake server's wire answer, from the zone,
 * the way an authoritative server without wildcards, delegations or DNSSEC would, then as
 * the zone's fault rules bend it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fdns_internal.h"

#define MAX_CNAME_HOPS 8
/* What we advertise in our OPT: our receive buffer is far larger, and SUTs may size theirs
 * from it. */
#define EDNS_PAYLOAD 4096
#define PLAIN_UDP_LIMIT 512
#define TCP_LIMIT 65535 /* the RFC 1035 length prefix cannot frame more */

/* The payload the client can take: the caller's floor, raised by an EDNS0 offer. */
static size_t size_limit(const ldns_pkt *q, size_t udp_limit)
{
	if (!udp_limit)
		return TCP_LIMIT;
	size_t client = PLAIN_UDP_LIMIT;
	if (ldns_pkt_edns(q) && ldns_pkt_edns_udp_size(q) > client)
		client = ldns_pkt_edns_udp_size(q);
	return udp_limit > client ? udp_limit : client;
}

static ldns_pkt_rcode classify(const ldns_pkt *q)
{
	if (ldns_pkt_get_opcode(q) != LDNS_PACKET_QUERY)
		return LDNS_RCODE_NOTIMPL;
	if (ldns_rr_list_rr_count(ldns_pkt_question(q)) != 1)
		return LDNS_RCODE_FORMERR;
	const ldns_rr *qrr = ldns_rr_list_rr(ldns_pkt_question(q), 0);
	if (ldns_rr_get_class(qrr) != LDNS_RR_CLASS_IN)
		return LDNS_RCODE_REFUSED;
	switch (ldns_rr_get_type(qrr)) {
	case LDNS_RR_TYPE_ANY:
	case LDNS_RR_TYPE_AXFR:
	case LDNS_RR_TYPE_IXFR:
	case LDNS_RR_TYPE_MAILA:
	case LDNS_RR_TYPE_MAILB:
		return LDNS_RCODE_NOTIMPL;
	default:
		return LDNS_RCODE_NOERROR;
	}
}

/* Header, echoed question(s) and OPT; the sections are the caller's to fill. */
static ldns_pkt *reply_new(const ldns_pkt *q, ldns_pkt_rcode rcode, int tc)
{
	ldns_pkt *r = ldns_pkt_new();
	if (!r)
		return NULL;
	ldns_pkt_set_id(r, ldns_pkt_id(q));
	ldns_pkt_set_qr(r, true);
	ldns_pkt_set_opcode(r, ldns_pkt_get_opcode(q));
	/* Error replies do not come from zone data, so they are not authoritative. */
	ldns_pkt_set_aa(r, rcode == LDNS_RCODE_NOERROR || rcode == LDNS_RCODE_NXDOMAIN);
	ldns_pkt_set_rd(r, ldns_pkt_rd(q));
	ldns_pkt_set_cd(r, ldns_pkt_cd(q));
	ldns_pkt_set_tc(r, tc);
	ldns_pkt_set_rcode(r, (uint8_t)rcode);
	const ldns_rr_list *ql = ldns_pkt_question(q);
	for (size_t i = 0; i < ldns_rr_list_rr_count(ql); i++) {
		/* A clone keeps the asker's spelling: resolvers check 0x20 case on the way back. */
		ldns_rr *c = ldns_rr_clone(ldns_rr_list_rr(ql, i));
		if (!c || !ldns_pkt_push_rr(r, LDNS_SECTION_QUESTION, c)) {
			ldns_rr_free(c);
			ldns_pkt_free(r);
			return NULL;
		}
	}
	if (ldns_pkt_edns(q)) {
		ldns_pkt_set_edns_udp_size(r, EDNS_PAYLOAD);
		ldns_pkt_set_edns_do(r, ldns_pkt_edns_do(q));
	}
	return r;
}

/* Appends an RRset like fdns_zone_rrset, in a fresh order when the zone shuffles. */
static int add_rrset(struct fdns_zone *z, const ldns_rdf *name, ldns_rr_type type,
		     const ldns_rdf *owner, ldns_rr_list *out)
{
	size_t first = ldns_rr_list_rr_count(out);
	int n = fdns_zone_rrset(z, name, type, owner, out);
	if (n > 1 && fdns_zone_shuffled(z)) {
		for (size_t i = (size_t)n - 1; i > 0; i--) {
			size_t j = fdns_zone_rand(z, i + 1);
			ldns_rr *a = ldns_rr_list_rr(out, first + i);
			ldns_rr *b = ldns_rr_list_rr(out, first + j);
			ldns_rr_list_set_rr(out, b, first + i);
			ldns_rr_list_set_rr(out, a, first + j);
		}
	}
	return n;
}

/* The A and AAAA of each SRV target in the answer, once per target (RFC 2782 allows them
 * in the additional section; some clients then skip their own queries). */
static int add_srv_targets(struct fdns_zone *z, ldns_pkt *r)
{
	const ldns_rr_list *an = ldns_pkt_answer(r);
	ldns_rr_list *ad = ldns_pkt_additional(r);
	for (size_t i = 0; i < ldns_rr_list_rr_count(an); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(an, i);
		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_SRV || ldns_rr_rd_count(rr) < 4)
			continue;
		const ldns_rdf *t = ldns_rr_rdf(rr, 3);
		int seen = 0;
		for (size_t j = 0; j < i && !seen; j++) {
			const ldns_rr *o = ldns_rr_list_rr(an, j);
			seen = ldns_rr_get_type(o) == LDNS_RR_TYPE_SRV && ldns_rr_rd_count(o) >= 4 &&
			       ldns_dname_compare(ldns_rr_rdf(o, 3), t) == 0;
		}
		if (seen)
			continue;
		if (add_rrset(z, t, LDNS_RR_TYPE_A, t, ad) < 0 ||
		    add_rrset(z, t, LDNS_RR_TYPE_AAAA, t, ad) < 0)
			return -ENOMEM;
	}
	ldns_pkt_set_arcount(r, (uint16_t)ldns_rr_list_rr_count(ad));
	return 0;
}

/* Exact match, else a CNAME chain within the zone, else a negative answer with the SOA.
 * Each RRset is added whole, in zone order unless the zone shuffles. */
static int resolve(struct fdns_zone *z, const ldns_pkt *q, ldns_pkt *r)
{
	const ldns_rr *qrr = ldns_rr_list_rr(ldns_pkt_question(q), 0);
	ldns_rr_type qtype = ldns_rr_get_type(qrr);
	ldns_rr_list *an = ldns_pkt_answer(r);
	/* The name being looked up, spelled as the reply will show it: the question's case,
	 * then each CNAME target's as written in the zone. */
	const ldns_rdf *name = ldns_rr_owner(qrr);
	ldns_pkt_rcode rcode = LDNS_RCODE_NOERROR;
	int rc = 0;

	for (int hop = 0;; hop++) {
		int n = add_rrset(z, name, qtype, name, an);
		if (n < 0) {
			rc = n;
			break;
		}
		if (n > 0)
			break;
		if (qtype != LDNS_RR_TYPE_CNAME) {
			size_t first = ldns_rr_list_rr_count(an);
			n = fdns_zone_rrset(z, name, LDNS_RR_TYPE_CNAME, name, an);
			if (n < 0) {
				rc = n;
				break;
			}
			/* At the hop limit the last CNAME goes out unfollowed: a loop ends visibly.
			 * Unchased, the first goes out alone: the target is the client's to ask. */
			if (n > 0 && (hop == MAX_CNAME_HOPS || !fdns_zone_chase(z)))
				break;
			if (n > 0) {
				name = ldns_rr_rdf(ldns_rr_list_rr(an, first), 0);
				continue;
			}
		}
		/* RFC 6604: the rcode speaks for the last name of a chain. */
		if (!fdns_zone_name_exists(z, name))
			rcode = LDNS_RCODE_NXDOMAIN;
		ldns_rr *soa = ldns_rr_clone(fdns_zone_soa(z));
		if (!soa || !ldns_rr_list_push_rr(ldns_pkt_authority(r), soa)) {
			ldns_rr_free(soa);
			rc = -ENOMEM;
		}
		break;
	}
	if (rc == 0 && qtype == LDNS_RR_TYPE_SRV && fdns_zone_additional(z))
		rc = add_srv_targets(z, r);
	/* Pushed to the lists directly, so the header counts are ours to keep in step. */
	ldns_pkt_set_ancount(r, (uint16_t)ldns_rr_list_rr_count(an));
	ldns_pkt_set_nscount(r, (uint16_t)ldns_rr_list_rr_count(ldns_pkt_authority(r)));
	ldns_pkt_set_rcode(r, (uint8_t)rcode);
	return rc;
}

static void log_question(struct fdns_query_log *lg, const ldns_pkt *q)
{
	if (!lg || ldns_rr_list_rr_count(ldns_pkt_question(q)) == 0)
		return;
	const ldns_rr *qrr = ldns_rr_list_rr(ldns_pkt_question(q), 0);
	lg->qtype = ldns_rr_get_type(qrr);
	char *s = ldns_rdf2str(ldns_rr_owner(qrr));
	if (!s)
		return;
	size_t n = strlen(s);
	if (n > 1 && s[n - 1] == '.')
		s[n - 1] = '\0';
	snprintf(lg->qname, sizeof(lg->qname), "%s", s);
	free(s);
}

/* A negative answer made up by a fault: the rcode alone, or for NXDOMAIN what a real one
 * carries (AA and the SOA), so the SUT cannot tell it from the zone's own. */
static int fault_rcode(struct fdns_zone *z, ldns_pkt *r, ldns_pkt_rcode rcode)
{
	ldns_pkt_set_rcode(r, (uint8_t)rcode);
	ldns_pkt_set_aa(r, rcode == LDNS_RCODE_NXDOMAIN);
	if (rcode != LDNS_RCODE_NXDOMAIN)
		return 0;
	ldns_rr *soa = ldns_rr_clone(fdns_zone_soa(z));
	if (!soa || !ldns_rr_list_push_rr(ldns_pkt_authority(r), soa)) {
		ldns_rr_free(soa);
		return -ENOMEM;
	}
	ldns_pkt_set_nscount(r, 1);
	return 0;
}

static void set_ttl0(ldns_rr_list *l)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++)
		ldns_rr_set_ttl(ldns_rr_list_rr(l, i), 0);
}

static int to_wire(ldns_pkt *r, uint8_t **wire, size_t *wlen)
{
	free(*wire);
	*wire = NULL;
	return ldns_pkt2wire(wire, r, wlen) == LDNS_STATUS_OK ? 0 : -ENOMEM;
}

/* Serialises r into wire as the fault and the size limit leave it: TTLs zeroed, the
 * additional section dropped when it alone does not fit, else TC and empty sections. */
static int finish(const ldns_pkt *q, ldns_pkt **rp, size_t limit, enum fdns_action act,
		  uint8_t **wire, size_t *wlen)
{
	ldns_pkt *r = *rp;
	if (act == FDNS_ACT_TTL0) {
		set_ttl0(ldns_pkt_answer(r));
		set_ttl0(ldns_pkt_authority(r));
		set_ttl0(ldns_pkt_additional(r));
	}
	int rc = to_wire(r, wire, wlen);
	if (rc == 0 && *wlen > limit && ldns_rr_list_rr_count(ldns_pkt_additional(r))) {
		/* RFC 2181 9: extra data that does not fit is left out, without TC. */
		ldns_rr_list_deep_free(ldns_pkt_additional(r));
		ldns_pkt_set_additional(r, ldns_rr_list_new());
		ldns_pkt_set_arcount(r, 0);
		rc = ldns_pkt_additional(r) ? to_wire(r, wire, wlen) : -ENOMEM;
	}
	if (rc == 0 && (*wlen > limit || act == FDNS_ACT_TRUNCATE)) {
		/* RFC 2181 9: a truncated answer carries no partial RRsets, so nothing at all;
		 * the client retries over TCP. */
		ldns_pkt *t = reply_new(q, ldns_pkt_get_rcode(r), 1);
		ldns_pkt_free(r);
		*rp = r = t;
		rc = r ? to_wire(r, wire, wlen) : -ENOMEM;
	}
	return rc;
}

int fdns_answer_log(struct fdns_zone *z, const uint8_t *query, size_t len, size_t udp_limit,
		    enum fdns_transport transport, uint8_t **resp, size_t *resp_len,
		    struct fdns_query_log *lg)
{
	int rc = 0;
	ldns_pkt *q = NULL, *r = NULL;
	uint8_t *wire = NULL;
	size_t wlen = 0;
	const char *why = NULL;
	enum fdns_action act = FDNS_ACT_NONE;
	uint64_t delay_us = 0;

	if (lg) {
		lg->qname[0] = '\0';
		lg->qtype = 0;
		lg->id = len >= 2 ? (uint16_t)(query[0] << 8 | query[1]) : 0;
		lg->rcode = -1;
		lg->ancount = 0;
		lg->tc = 0;
		lg->error = NULL;
		lg->fault = NULL;
		lg->delay_us = 0;
	}
	if (len < LDNS_HEADER_SIZE) {
		why = "message shorter than a DNS header";
		rc = -EBADMSG;
		goto out;
	}
	ldns_status st = ldns_wire2pkt(&q, query, len);
	if (st != LDNS_STATUS_OK) {
		why = ldns_get_errorstr_by_id(st);
		rc = -EBADMSG;
		goto out;
	}
	/* Answering a response could start a ping-pong with another server. */
	if (ldns_pkt_qr(q)) {
		why = "QR bit set: a response, not a query";
		rc = -EBADMSG;
		goto out;
	}
	log_question(lg, q);
	if (ldns_rr_list_rr_count(ldns_pkt_question(q)) == 1) {
		const ldns_rr *qrr = ldns_rr_list_rr(ldns_pkt_question(q), 0);
		act = fdns_rules_match(fdns_zone_rules(z), ldns_rr_owner(qrr),
				       ldns_rr_get_type(qrr), transport, &delay_us);
	}
	if (lg && act != FDNS_ACT_NONE) {
		lg->fault = fdns_action_name(act);
		lg->delay_us = delay_us;
	}
	if (act == FDNS_ACT_DROP) {
		*resp = NULL;
		*resp_len = 0;
		goto out;
	}
	ldns_pkt_rcode rcode = classify(q);
	r = reply_new(q, rcode, 0);
	if (!r) {
		rc = -ENOMEM;
		goto out;
	}
	switch (act) {
	case FDNS_ACT_SERVFAIL:
		rc = fault_rcode(z, r, LDNS_RCODE_SERVFAIL);
		break;
	case FDNS_ACT_NXDOMAIN:
		rc = fault_rcode(z, r, LDNS_RCODE_NXDOMAIN);
		break;
	case FDNS_ACT_REFUSED:
		rc = fault_rcode(z, r, LDNS_RCODE_REFUSED);
		break;
	case FDNS_ACT_NOTIMP:
		rc = fault_rcode(z, r, LDNS_RCODE_NOTIMPL);
		break;
	default:
		if (rcode == LDNS_RCODE_NOERROR)
			rc = resolve(z, q, r);
		break;
	}
	if (rc < 0)
		goto out;
	rc = finish(q, &r, size_limit(q, transport == FDNS_TCP ? 0 : udp_limit), act, &wire,
		    &wlen);
	if (rc < 0)
		goto out;
	if (lg) {
		lg->rcode = ldns_pkt_get_rcode(r);
		lg->ancount = ldns_pkt_ancount(r);
		lg->tc = ldns_pkt_tc(r);
	}
	if (act == FDNS_ACT_WRONG_ID || act == FDNS_ACT_BAD_POINTER ||
	    act == FDNS_ACT_TRUNCATED_RDATA) {
		rc = fdns_wire_mangle(act, wire, &wlen);
		if (rc < 0) {
			why = "fault: nothing in the answer to damage";
			if (lg)
				lg->rcode = -1;
			goto out;
		}
	}
	*resp = wire;
	*resp_len = wlen;
	wire = NULL;
out:
	if (lg && why)
		lg->error = why;
	free(wire);
	ldns_pkt_free(q);
	ldns_pkt_free(r);
	return rc;
}

int fdns_answer(struct fdns_zone *z, const uint8_t *query, size_t len, size_t udp_limit,
		uint8_t **resp, size_t *resp_len)
{
	return fdns_answer_log(z, query, len, udp_limit, udp_limit ? FDNS_UDP : FDNS_TCP, resp,
			       resp_len, NULL);
}
