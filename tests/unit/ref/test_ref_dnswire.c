/* test_ref_dnswire.c: ref's DNS messages: the query it sends and how ldns-built responses become
 * answers (records, CNAME, NXDOMAIN/NODATA TTLs, failures, answers to other questions). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <ldns/ldns.h>

#include "ref_dnswire.h"

/* Builds a response to (qname, qtype) with id, rcode, answer and authority records. */
static uint8_t *response(const char *qname, uint16_t qtype, uint16_t id, int rcode, bool tc,
			 const char *const *answers, const char *const *authority, size_t *len)
{
	ldns_pkt *p = ldns_pkt_query_new(ldns_dname_new_frm_str(qname), qtype, LDNS_RR_CLASS_IN,
					 LDNS_RD);
	uint8_t *wire = NULL;

	assert_non_null(p);
	ldns_pkt_set_id(p, id);
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_tc(p, tc);
	ldns_pkt_set_rcode(p, (uint8_t)rcode);
	for (; answers && *answers; answers++) {
		ldns_rr *rr = NULL;

		assert_int_equal(ldns_rr_new_frm_str(&rr, *answers, 0, NULL, NULL), LDNS_STATUS_OK);
		ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, rr);
	}
	for (; authority && *authority; authority++) {
		ldns_rr *rr = NULL;

		assert_int_equal(ldns_rr_new_frm_str(&rr, *authority, 0, NULL, NULL), LDNS_STATUS_OK);
		ldns_pkt_push_rr(p, LDNS_SECTION_AUTHORITY, rr);
	}
	assert_int_equal(ldns_pkt2wire(&wire, p, len), LDNS_STATUS_OK);
	ldns_pkt_free(p);
	return wire;
}

static void test_query(void **state)
{
	uint8_t *wire;
	size_t len;
	ldns_pkt *p = NULL;
	const ldns_rr *q;
	char *name;

	(void)state;
	assert_int_equal(ref_dns_build_query("_sip._udp.Example.test", REF_T_SRV, 0xbeef, &wire,
					     &len), 0);
	assert_int_equal(ldns_wire2pkt(&p, wire, len), LDNS_STATUS_OK);
	assert_int_equal(ldns_pkt_id(p), 0xbeef);
	assert_true(ldns_pkt_rd(p));
	assert_false(ldns_pkt_qr(p));
	q = ldns_rr_list_rr(ldns_pkt_question(p), 0);
	assert_int_equal(ldns_rr_get_type(q), LDNS_RR_TYPE_SRV);
	name = ldns_rdf2str(ldns_rr_owner(q));
	assert_string_equal(name, "_sip._udp.Example.test.");
	free(name);
	ldns_pkt_free(p);
	free(wire);
	assert_int_equal(ref_dns_build_query("", REF_T_A, 1, &wire, &len), -EINVAL);
}

static void test_naptr_srv_a(void **state)
{
	const char *naptr[] = {
		"example.test. 300 IN NAPTR 50 10 \"s\" \"SIPS+D2T\" \"\" _sips._tcp.example.test.",
		"example.test. 120 IN NAPTR 90 20 \"S\" \"SIP+D2U\" \"\" _sip._udp.Example.test.",
		NULL,
	};
	const char *srv[] = {
		"_sip._udp.example.test. 60 IN SRV 10 60 5060 a.example.test.",
		"_sip._udp.example.test. 30 IN SRV 20 0 5070 .",
		NULL,
	};
	const char *a[] = { "a.example.test. 10 IN A 127.0.0.2", "a.example.test. 10 IN A 127.0.0.4",
			    "other.test. 10 IN A 127.0.0.9", NULL };
	struct ref_dns_answer *ans;
	uint8_t *w;
	size_t len;

	(void)state;
	w = response("example.test.", LDNS_RR_TYPE_NAPTR, 7, LDNS_RCODE_NOERROR, false, naptr,
		     NULL, &len);
	assert_int_equal(ref_dns_parse_response(w, len, 7, "example.test", REF_T_NAPTR, &ans), 0);
	assert_int_equal(ans->status, REF_DNS_OK);
	assert_int_equal(ans->n, 2);
	assert_int_equal(ans->ttl, 120);
	assert_int_equal(ans->naptr[0].order, 50);
	assert_int_equal(ans->naptr[0].pref, 10);
	assert_string_equal(ans->naptr[0].flags, "s");
	assert_string_equal(ans->naptr[0].services, "SIPS+D2T");
	assert_string_equal(ans->naptr[0].regexp, "");
	assert_string_equal(ans->naptr[0].replacement, "_sips._tcp.example.test");
	assert_string_equal(ans->naptr[1].flags, "S");
	assert_string_equal(ans->naptr[1].replacement, "_sip._udp.example.test");
	ref_dns_answer_unref(ans);
	free(w);

	w = response("_sip._udp.example.test.", LDNS_RR_TYPE_SRV, 8, LDNS_RCODE_NOERROR, false,
		     srv, NULL, &len);
	assert_int_equal(ref_dns_parse_response(w, len, 8, "_sip._udp.example.test", REF_T_SRV,
						&ans), 0);
	assert_int_equal(ans->n, 2);
	assert_int_equal(ans->ttl, 30);
	assert_int_equal(ans->srv[0].prio, 10);
	assert_int_equal(ans->srv[0].weight, 60);
	assert_int_equal(ans->srv[0].port, 5060);
	assert_string_equal(ans->srv[0].target, "a.example.test");
	assert_string_equal(ans->srv[1].target, ".");
	ref_dns_answer_unref(ans);
	free(w);

	w = response("a.example.test.", LDNS_RR_TYPE_A, 9, LDNS_RCODE_NOERROR, false, a, NULL,
		     &len);
	assert_int_equal(ref_dns_parse_response(w, len, 9, "a.example.test", REF_T_A, &ans), 0);
	assert_int_equal(ans->n, 2); /* the unrelated owner is not taken */
	assert_int_equal(ans->ip[1].af, AF_INET);
	assert_memory_equal(ans->ip[1].a, "\x7f\x00\x00\x04", 4);
	ref_dns_answer_unref(ans);
	free(w);
}

static void test_cname(void **state)
{
	const char *chain[] = { "t.test. 100 IN CNAME real.test.", "real.test. 50 IN A 127.0.0.5",
				NULL };
	const char *dangling[] = { "t.test. 100 IN CNAME elsewhere.test.", NULL };
	struct ref_dns_answer *ans;
	uint8_t *w;
	size_t len;

	(void)state;
	w = response("t.test.", LDNS_RR_TYPE_A, 1, LDNS_RCODE_NOERROR, false, chain, NULL, &len);
	assert_int_equal(ref_dns_parse_response(w, len, 1, "t.test", REF_T_A, &ans), 0);
	assert_int_equal(ans->status, REF_DNS_OK);
	assert_int_equal(ans->n, 1);
	assert_int_equal(ans->ttl, 50);
	ref_dns_answer_unref(ans);
	free(w);

	w = response("t.test.", LDNS_RR_TYPE_A, 1, LDNS_RCODE_NOERROR, false, dangling, NULL,
		     &len);
	assert_int_equal(ref_dns_parse_response(w, len, 1, "t.test", REF_T_A, &ans), 0);
	assert_int_equal(ans->status, REF_DNS_NODATA);
	assert_non_null(strstr(ans->why, "CNAME"));
	ref_dns_answer_unref(ans);
	free(w);
}

static void test_negative(void **state)
{
	const char *soa[] = { "test. 600 IN SOA ns.test. h.test. 1 60 60 60 45", NULL };
	const char *soa_low[] = { "test. 20 IN SOA ns.test. h.test. 1 60 60 60 45", NULL };
	struct ref_dns_answer *ans;
	uint8_t *w;
	size_t len;

	(void)state;
	w = response("x.test.", LDNS_RR_TYPE_NAPTR, 2, LDNS_RCODE_NXDOMAIN, false, NULL, soa, &len);
	assert_int_equal(ref_dns_parse_response(w, len, 2, "x.test", REF_T_NAPTR, &ans), 0);
	assert_int_equal(ans->status, REF_DNS_NXDOMAIN);
	assert_int_equal(ans->ttl, 45); /* SOA MINIMUM below the SOA TTL */
	ref_dns_answer_unref(ans);
	free(w);

	w = response("x.test.", LDNS_RR_TYPE_NAPTR, 2, LDNS_RCODE_NOERROR, false, NULL, soa_low,
		     &len);
	assert_int_equal(ref_dns_parse_response(w, len, 2, "x.test", REF_T_NAPTR, &ans), 0);
	assert_int_equal(ans->status, REF_DNS_NODATA);
	assert_int_equal(ans->ttl, 20); /* SOA TTL below its MINIMUM */
	ref_dns_answer_unref(ans);
	free(w);

	w = response("x.test.", LDNS_RR_TYPE_NAPTR, 2, LDNS_RCODE_NOERROR, false, NULL, NULL, &len);
	assert_int_equal(ref_dns_parse_response(w, len, 2, "x.test", REF_T_NAPTR, &ans), 0);
	assert_int_equal(ans->status, REF_DNS_NODATA);
	assert_int_equal(ans->ttl, 0); /* no SOA: not cached */
	ref_dns_answer_unref(ans);
	free(w);
}

static void test_failures(void **state)
{
	const char *a[] = { "a.test. 10 IN A 127.0.0.2", NULL };
	struct ref_dns_answer *ans;
	uint8_t *w;
	size_t len;

	(void)state;
	w = response("a.test.", LDNS_RR_TYPE_A, 3, LDNS_RCODE_SERVFAIL, false, NULL, NULL, &len);
	assert_int_equal(ref_dns_parse_response(w, len, 3, "a.test", REF_T_A, &ans), 0);
	assert_int_equal(ans->status, REF_DNS_FAIL);
	assert_string_equal(ans->why, "SERVFAIL");
	ref_dns_answer_unref(ans);
	free(w);

	w = response("a.test.", LDNS_RR_TYPE_A, 3, LDNS_RCODE_NOERROR, true, a, NULL, &len);
	assert_int_equal(ref_dns_parse_response(w, len, 3, "a.test", REF_T_A, &ans), 0);
	assert_int_equal(ans->status, REF_DNS_FAIL); /* truncated: never used as complete */
	ref_dns_answer_unref(ans);
	free(w);

	w = response("a.test.", LDNS_RR_TYPE_A, 3, LDNS_RCODE_NOERROR, false, a, NULL, &len);
	assert_int_equal(ref_dns_parse_response(w, len, 4, "a.test", REF_T_A, &ans), -ENOMSG);
	assert_int_equal(ref_dns_parse_response(w, len, 3, "b.test", REF_T_A, &ans), -ENOMSG);
	assert_int_equal(ref_dns_parse_response(w, len, 3, "a.test", REF_T_AAAA, &ans), -ENOMSG);
	assert_int_equal(ref_dns_parse_response(w, len, 3, "A.TEST", REF_T_A, &ans), 0);
	ref_dns_answer_unref(ans);
	assert_int_equal(ref_dns_parse_response(w, 11, 3, "a.test", REF_T_A, &ans), -EBADMSG);
	assert_int_equal(ref_dns_parse_response(w, len - 3, 3, "a.test", REF_T_A, &ans),
			 -EBADMSG);
	free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_query),
		cmocka_unit_test(test_naptr_srv_a),
		cmocka_unit_test(test_cname),
		cmocka_unit_test(test_negative),
		cmocka_unit_test(test_failures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
