/* test_check.c: the checks over hand-made event logs: each must pass the right shape and
 * fail each bug it exists to catch. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sl_check.h"
#include "sl_evlog.h"

static struct sl_evlog *L;

static int setup(void **st)
{
	(void)st;
	return sl_evlog_new(&L);
}

static int teardown(void **st)
{
	(void)st;
	sl_evlog_free(L);
	L = NULL;
	return 0;
}

static void dns(const char *type, const char *name)
{
	struct sl_event *e = sl_evlog_add(L, SL_EV_DNS, 0);
	sl_evlog_str(&e->qtype, type);
	sl_evlog_str(&e->qname, name);
	sl_evlog_str(&e->server, "127.0.0.1:53");
	sl_evlog_str(&e->transport, "udp");
}

/* A request the SUT sent to a peer at time t (SUT seconds). */
static void req(double t, const char *method, const char *server, const char *branch,
		const char *call_id, unsigned long cseq)
{
	struct sl_event *e = sl_evlog_add(L, SL_EV_SIP_RX, 0);
	e->t_sut = t;
	sl_evlog_str(&e->method, method);
	sl_evlog_str(&e->server, server);
	sl_evlog_str(&e->transport, "udp");
	sl_evlog_str(&e->branch, branch);
	sl_evlog_str(&e->call_id, call_id);
	sl_evlog_str(&e->from_tag, "ft1");
	sl_evlog_str(&e->cseq_method, strcmp(method, "ACK") ? method : "ACK");
	e->cseq = cseq;
}

static void resp(double t, int status, const char *server, const char *branch,
		 const char *method)
{
	struct sl_event *e = sl_evlog_add(L, SL_EV_SIP_TX, 0);
	e->t_sut = t;
	e->status = status;
	sl_evlog_str(&e->server, server);
	sl_evlog_str(&e->transport, "udp");
	sl_evlog_str(&e->branch, branch);
	sl_evlog_str(&e->cseq_method, method);
}

static const struct sl_dns_want W[] = {
	{ "NAPTR", "example.test" }, { "SRV", "_sip._udp.example.test." }, { "A", "sip1.example.test" },
};

static void test_dns_exact_folds_retries(void **st)
{
	(void)st;
	struct sl_check_out o;
	dns("NAPTR", "Example.TEST");
	dns("NAPTR", "example.test"); /* a UDP retry */
	dns("SRV", "_sip._udp.example.test");
	dns("A", "sip1.example.test");
	sl_check_dns(L, W, 3, SL_MATCH_EXACT, &o);
	assert_true(o.pass);
	assert_true(o.nev >= 3);
}

static void test_dns_exact_fails_on_extra_or_order(void **st)
{
	(void)st;
	struct sl_check_out o;
	dns("NAPTR", "example.test");
	dns("A", "example.test"); /* A before SRV: field bug 6 */
	dns("SRV", "_sip._udp.example.test");
	dns("A", "sip1.example.test");
	sl_check_dns(L, W, 3, SL_MATCH_EXACT, &o);
	assert_false(o.pass);
	assert_non_null(strstr(o.detail, "A example.test"));
	sl_check_dns(L, W, 3, SL_MATCH_SUBSEQ, &o);
	assert_true(o.pass);
	sl_check_dns(L, W, 3, SL_MATCH_PREFIX, &o);
	assert_false(o.pass);
}

static void test_dns_missing_query_named(void **st)
{
	(void)st;
	struct sl_check_out o;
	dns("NAPTR", "example.test");
	dns("A", "sip1.example.test");
	sl_check_dns(L, W, 3, SL_MATCH_SUBSEQ, &o);
	assert_false(o.pass);
	assert_non_null(strstr(o.detail, "first missing: SRV"));
}

static void test_dns_set(void **st)
{
	(void)st;
	struct sl_check_out o;
	dns("A", "sip1.example.test");
	dns("NAPTR", "example.test");
	dns("SRV", "_sip._udp.example.test");
	dns("NAPTR", "EXAMPLE.test"); /* asked again later: still one question of the set */
	sl_check_dns(L, W, 3, SL_MATCH_SET, &o);
	assert_true(o.pass);
	assert_int_equal(o.nev, 3);
	sl_check_dns(L, W, 3, SL_MATCH_EXACT, &o);
	assert_false(o.pass);
	/* one missing */
	sl_check_dns(L, W + 1, 2, SL_MATCH_SET, &o);
	assert_false(o.pass);
	assert_non_null(strstr(o.detail, "not expected: NAPTR example.test"));
	dns("AAAA", "sip1.example.test");
	sl_check_dns(L, W, 3, SL_MATCH_SET, &o);
	assert_false(o.pass);
	assert_non_null(strstr(o.detail, "not expected: AAAA sip1.example.test"));
}

static void test_dns_set_missing(void **st)
{
	(void)st;
	struct sl_check_out o;
	dns("NAPTR", "example.test");
	dns("A", "sip1.example.test");
	sl_check_dns(L, W, 3, SL_MATCH_SET, &o);
	assert_false(o.pass);
	assert_non_null(strstr(o.detail, "first missing: SRV"));
}

static void failover_log(const char *b2)
{
	req(0.0, "INVITE", "127.0.0.2:5060", "z9hG4bK1", "c1", 1);
	resp(0.01, 503, "127.0.0.2:5060", "z9hG4bK1", "INVITE");
	req(0.02, "ACK", "127.0.0.2:5060", "z9hG4bK1", "c1", 1);
	req(0.03, "INVITE", "127.0.0.3:5060", b2, "c1", 1);
	resp(0.04, 200, "127.0.0.3:5060", b2, "INVITE");
}

static void test_route_and_branches_pass(void **st)
{
	(void)st;
	struct sl_check_out o;
	failover_log("z9hG4bK2");
	const char *d[] = { "127.0.0.2:5060/udp", "127.0.0.3:5060/udp" };
	sl_check_route(L, "INVITE", d, 2, &o);
	assert_true(o.pass);
	sl_check_route(L, "INVITE", d, 1, &o);
	assert_false(o.pass);
	sl_check_branches(L, 32, &o);
	assert_true(o.pass);
	assert_true(o.seen & 1);
	sl_check_same_server(L, 32, &o);
	assert_true(o.pass);
	assert_true(o.seen & 2); /* the ACK was seen */
}

static void test_branch_reused_on_failover_fails(void **st)
{
	(void)st;
	struct sl_check_out o;
	failover_log("z9hG4bK1");
	sl_check_branches(L, 32, &o);
	assert_false(o.pass);
	assert_non_null(strstr(o.detail, "reuses branch"));
	assert_int_equal(o.nev, 2);
	/* Not a TXN-ONCE matter: it came after a final response. */
	sl_check_same_server(L, 32, &o);
	assert_true(o.pass);
}

static void test_retransmission_with_new_branch_fails(void **st)
{
	(void)st;
	struct sl_check_out o;
	req(0.0, "INVITE", "127.0.0.2:5060", "z9hG4bKa", "c1", 1);
	req(0.5, "INVITE", "127.0.0.2:5060", "z9hG4bKb", "c1", 1); /* sipdroid#149 shape */
	sl_check_branches(L, 32, &o);
	assert_false(o.pass);
	assert_non_null(strstr(o.detail, "retransmission"));
}

static void test_retransmissions_then_timer_b_failover_pass(void **st)
{
	(void)st;
	struct sl_check_out o;
	double t[] = { 0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5 };
	for (size_t i = 0; i < 7; i++)
		req(t[i], "INVITE", "127.0.0.2:5060", "z9hG4bKa", "c1", 1);
	req(32.0, "INVITE", "127.0.0.3:5060", "z9hG4bKb", "c1", 1);
	sl_check_branches(L, 32, &o);
	assert_true(o.pass);
	assert_int_equal(o.seen, 3);
}

static void test_retransmission_elsewhere_fails_same_server(void **st)
{
	(void)st;
	struct sl_check_out o;
	req(0.0, "INVITE", "127.0.0.2:5060", "z9hG4bKa", "c1", 1);
	req(0.5, "INVITE", "127.0.0.3:5060", "z9hG4bKa", "c1", 1); /* re-resolved */
	sl_check_same_server(L, 32, &o);
	assert_false(o.pass);
	sl_check_branches(L, 32, &o);
	assert_true(o.pass); /* judged once, by the right check */
}

static void test_ack_to_other_server_fails(void **st)
{
	(void)st;
	struct sl_check_out o;
	req(0.0, "INVITE", "127.0.0.2:5060", "z9hG4bKa", "c1", 1);
	resp(0.1, 486, "127.0.0.2:5060", "z9hG4bKa", "INVITE");
	req(0.2, "ACK", "127.0.0.3:5060", "z9hG4bKa", "c1", 1); /* pjsip#917 shape */
	sl_check_same_server(L, 32, &o);
	assert_false(o.pass);
	assert_non_null(strstr(o.detail, "ACK"));
}

static void test_changed_cseq_on_failover_fails(void **st)
{
	(void)st;
	struct sl_check_out o;
	req(0.0, "INVITE", "127.0.0.2:5060", "z9hG4bK1", "c1", 1);
	resp(0.01, 503, "127.0.0.2:5060", "z9hG4bK1", "INVITE");
	req(0.03, "INVITE", "127.0.0.3:5060", "z9hG4bK2", "c1", 2);
	sl_check_branches(L, 32, &o);
	assert_false(o.pass);
	assert_non_null(strstr(o.detail, "CSeq"));
}

static void sut_req(const char *uri)
{
	struct sl_event *e = sl_evlog_add(L, SL_EV_SUT_REQ, 0);
	sl_evlog_str(&e->method, "INVITE");
	sl_evlog_str(&e->uri, uri);
}

static void set_uri(const char *uri)
{
	struct sl_event *e = sl_evlog_get(L, sl_evlog_count(L) - 1);
	free(e->uri);
	e->uri = NULL;
	sl_evlog_str(&e->uri, uri);
}

static void test_request_uri_as_given(void **st)
{
	(void)st;
	struct sl_check_out o;
	sut_req("sip:alice@example.test");
	req(0.0, "INVITE", "127.0.0.2:5060", "z9hG4bKa", "c1", 1);
	set_uri("sip:alice@example.test");
	sl_check_request_uri(L, &o);
	assert_true(o.pass);
	assert_int_equal(o.seen, 1);
	/* A Request-URI rewritten with the resolved address (TXN-URI). */
	req(0.1, "INVITE", "127.0.0.3:5060", "z9hG4bKb", "c1", 1);
	set_uri("sip:alice@127.0.0.3:5060");
	sl_check_request_uri(L, &o);
	assert_false(o.pass);
	assert_non_null(strstr(o.detail, "sip:alice@127.0.0.3:5060"));
	assert_int_equal(o.nev, 1);
}

static void test_request_uri_nothing_seen(void **st)
{
	(void)st;
	struct sl_check_out o;
	sut_req("sip:alice@example.test");
	sl_check_request_uri(L, &o);
	assert_true(o.pass);
	assert_int_equal(o.seen, 0);
}

static void test_non2xx_ack_new_branch_fails(void **st)
{
	(void)st;
	struct sl_check_out o;
	req(0.0, "INVITE", "127.0.0.2:5060", "z9hG4bKa", "c1", 1);
	resp(0.1, 486, "127.0.0.2:5060", "z9hG4bKa", "INVITE");
	req(0.2, "ACK", "127.0.0.2:5060", "z9hG4bKnew", "c1", 1);
	sl_check_same_server(L, 32, &o);
	assert_false(o.pass);
	assert_true(o.seen & 2);
	assert_non_null(strstr(o.detail, "another branch"));
}

static void test_non2xx_never_acked_fails(void **st)
{
	(void)st;
	struct sl_check_out o;
	req(0.0, "INVITE", "127.0.0.2:5060", "z9hG4bKa", "c1", 1);
	resp(0.1, 503, "127.0.0.2:5060", "z9hG4bKa", "INVITE");
	req(0.2, "INVITE", "127.0.0.3:5060", "z9hG4bKb", "c1", 1);
	sl_check_same_server(L, 32, &o);
	assert_false(o.pass);
	assert_non_null(strstr(o.detail, "never ACKed"));
}

static void test_non2xx_acked_passes(void **st)
{
	(void)st;
	struct sl_check_out o;
	req(0.0, "INVITE", "127.0.0.2:5060", "z9hG4bKa", "c1", 1);
	resp(0.1, 503, "127.0.0.2:5060", "z9hG4bKa", "INVITE");
	resp(0.15, 503, "127.0.0.2:5060", "z9hG4bKa", "INVITE"); /* retransmitted final */
	req(0.2, "ACK", "127.0.0.2:5060", "z9hG4bKa", "c1", 1);
	sl_check_same_server(L, 32, &o);
	assert_true(o.pass);
	assert_true(o.seen & 2);
}

/* n first attempts at dest, each a transaction of its own. */
static void firsts(const char *dest, unsigned n)
{
	static unsigned call;
	char cid[32];
	for (unsigned i = 0; i < n; i++) {
		snprintf(cid, sizeof(cid), "w%u", call++);
		req(0.0, "OPTIONS", dest, "z9hG4bKw", cid, 1);
	}
}

static const struct sl_weight_want WW[] = {
	{ "127.0.0.2:5060/udp", 10, 0 }, { "127.0.0.3:5060/udp", 30, 0 },
	{ "127.0.0.4:5060/udp", 60, 0 },
};

static void test_chi2_tail_known_values(void **st)
{
	(void)st;
	/* Table values: chi-square 13.816 with 2 df and 9.210 with 2 df. */
	assert_true(fabs(sl_chi2_sf(13.816, 2) - 0.001) < 1e-5);
	assert_true(fabs(sl_chi2_sf(9.210, 2) - 0.01) < 1e-4);
	assert_true(fabs(sl_chi2_sf(3.841, 1) - 0.05) < 1e-4);
	assert_true(fabs(sl_chi2_sf(0, 3) - 1.0) < 1e-12);
	assert_true(fabs(sl_chi2_sf(30.578, 15) - 0.01) < 1e-4);
}

static void test_weights_follow_passes(void **st)
{
	(void)st;
	struct sl_check_out o;
	firsts("127.0.0.2:5060", 7);
	firsts("127.0.0.3:5060", 17);
	firsts("127.0.0.4:5060", 36);
	assert_int_equal(sl_check_weights(L, "OPTIONS", WW, 3, 0.001, &o), 0);
	assert_true(o.pass);
	assert_non_null(strstr(o.detail, "p = "));
}

static void test_weights_ignored_fails(void **st)
{
	(void)st;
	struct sl_check_out o;
	firsts("127.0.0.2:5060", 20); /* uniform: weights ignored */
	firsts("127.0.0.3:5060", 20);
	firsts("127.0.0.4:5060", 20);
	assert_int_equal(sl_check_weights(L, "OPTIONS", WW, 3, 0.001, &o), 0);
	assert_false(o.pass);
}

static void test_weights_first_record_fails(void **st)
{
	(void)st;
	struct sl_check_out o;
	firsts("127.0.0.2:5060", 60); /* always the first of equal records */
	assert_int_equal(sl_check_weights(L, "OPTIONS", WW, 3, 0.001, &o), 0);
	assert_false(o.pass);
}

/* RFC 2782 weight 0: judged by its share of first tries, not by the chi-square. */
static void test_weights_zero_share(void **st)
{
	(void)st;
	static const struct sl_weight_want Z[] = {
		{ "127.0.0.2:5060/udp", 0, 0.05 }, { "127.0.0.3:5060/udp", 100, 0 },
	};
	struct sl_check_out o;
	firsts("127.0.0.2:5060", 2); /* 2 % of 100: rare enough */
	firsts("127.0.0.3:5060", 98);
	assert_int_equal(sl_check_weights(L, "OPTIONS", Z, 2, 0.001, &o), 0);
	assert_true(o.pass);
	assert_non_null(strstr(o.detail, "weight 0: 2.0 %"));
	firsts("127.0.0.2:5060", 10); /* now 12 of 110: too many */
	assert_int_equal(sl_check_weights(L, "OPTIONS", Z, 2, 0.001, &o), 0);
	assert_false(o.pass);
	assert_non_null(strstr(o.detail, "too many"));
	static const struct sl_weight_want none[] = {
		{ "127.0.0.2:5060/udp", 0, 0 }, { "127.0.0.3:5060/udp", 0, 0 },
	};
	assert_int_equal(sl_check_weights(L, "OPTIONS", none, 2, 0.001, &o), -EINVAL);
}

static void test_weights_stray_and_too_few(void **st)
{
	(void)st;
	struct sl_check_out o;
	firsts("127.0.0.2:5060", 3);
	assert_int_equal(sl_check_weights(L, "OPTIONS", WW, 3, 0.001, &o), -EINVAL);
	assert_non_null(strstr(o.detail, "at least 5"));
	firsts("127.0.0.2:5060", 3);
	firsts("127.0.0.3:5060", 17);
	firsts("127.0.0.4:5060", 36);
	firsts("127.0.0.9:5060", 1);
	assert_int_equal(sl_check_weights(L, "OPTIONS", WW, 3, 0.001, &o), 0);
	assert_false(o.pass);
	assert_non_null(strstr(o.detail, "127.0.0.9:5060/udp"));
}

/* The 2xx a peer sent to INVITE c1/1: To tag "tt", Contact contact. */
static void ok_2xx(double t, const char *server, const char *branch, const char *contact)
{
	resp(t, 200, server, branch, "INVITE");
	struct sl_event *e = sl_evlog_get(L, sl_evlog_count(L) - 1);
	sl_evlog_str(&e->call_id, "c1");
	sl_evlog_str(&e->from_tag, "ft1");
	sl_evlog_str(&e->to_tag, "tt");
	sl_evlog_str(&e->contact, contact);
	e->cseq = 1;
}

/* The latest request gets To tag tag. */
static void set_to_tag(const char *tag)
{
	struct sl_event *e = sl_evlog_get(L, sl_evlog_count(L) - 1);
	sl_evlog_str(&e->to_tag, tag);
}

static void test_ack2xx_new_branch_passes(void **st)
{
	(void)st;
	struct sl_check_out o;
	req(0.0, "INVITE", "127.0.0.2:5060", "z9hG4bKa", "c1", 1);
	ok_2xx(0.1, "127.0.0.2:5060", "z9hG4bKa", "sip:bob@127.0.0.4:5080");
	ok_2xx(0.6, "127.0.0.2:5060", "z9hG4bKa", "sip:bob@127.0.0.4:5080"); /* retransmitted */
	dns("A", "uas.example.test");
	req(0.7, "ACK", "127.0.0.4:5080", "z9hG4bKb", "c1", 1);
	set_to_tag("tt");
	set_uri("sip:bob@127.0.0.4:5080");
	sl_check_ack2xx(L, &o);
	assert_true(o.pass);
	assert_int_equal(o.seen, 3);
	/* Where it went is recorded: another server, the Contact, one DNS exchange. */
	assert_non_null(strstr(o.detail, "routed anew"));
	assert_non_null(strstr(o.detail, "the 2xx's Contact"));
	assert_non_null(strstr(o.detail, "1 DNS exchange"));
	/* Judged once: the retransmitted 2xx is not a second one. */
	assert_null(strstr(strstr(o.detail, "TXN-ACK2XX") + 1, "TXN-ACK2XX"));
}

static void test_ack2xx_same_branch_fails(void **st)
{
	(void)st;
	struct sl_check_out o;
	req(0.0, "INVITE", "127.0.0.2:5060", "z9hG4bKa", "c1", 1);
	ok_2xx(0.1, "127.0.0.2:5060", "z9hG4bKa", NULL);
	req(0.2, "ACK", "127.0.0.2:5060", "z9hG4bKa", "c1", 1);
	set_to_tag("tt");
	sl_check_ack2xx(L, &o);
	assert_false(o.pass);
	assert_non_null(strstr(o.detail, "the INVITE's branch z9hG4bKa"));
	assert_non_null(strstr(o.detail, "the same server"));
}

static void test_ack2xx_missing_or_wrong_tag_fails(void **st)
{
	(void)st;
	struct sl_check_out o;
	req(0.0, "INVITE", "127.0.0.2:5060", "z9hG4bKa", "c1", 1);
	ok_2xx(0.1, "127.0.0.2:5060", "z9hG4bKa", NULL);
	/* An ACK of another transaction (CSeq 2) does not count. */
	req(0.2, "ACK", "127.0.0.2:5060", "z9hG4bKc", "c1", 2);
	sl_check_ack2xx(L, &o);
	assert_false(o.pass);
	assert_non_null(strstr(o.detail, "never ACKed"));
	req(0.3, "ACK", "127.0.0.2:5060", "z9hG4bKb", "c1", 1);
	set_to_tag("other");
	sl_check_ack2xx(L, &o);
	assert_false(o.pass);
	assert_non_null(strstr(o.detail, "To other"));
}

static void test_ack2xx_without_2xx_fails(void **st)
{
	(void)st;
	struct sl_check_out o;
	req(0.0, "INVITE", "127.0.0.2:5060", "z9hG4bKa", "c1", 1);
	resp(0.1, 486, "127.0.0.2:5060", "z9hG4bKa", "INVITE");
	sl_check_ack2xx(L, &o);
	assert_false(o.pass);
	assert_int_equal(o.seen, 0);
}

static void test_request_uri_contact_of_the_dialog(void **st)
{
	(void)st;
	struct sl_check_out o;
	sut_req("sip:alice@example.test");
	req(0.0, "INVITE", "127.0.0.2:5060", "z9hG4bKa", "c1", 1);
	set_uri("sip:alice@example.test");
	ok_2xx(0.1, "127.0.0.2:5060", "z9hG4bKa", "sip:bob@127.0.0.4:5080");
	req(0.2, "ACK", "127.0.0.4:5080", "z9hG4bKb", "c1", 1);
	set_uri("sip:bob@127.0.0.4:5080");
	sl_check_request_uri(L, &o);
	assert_true(o.pass);
	/* The Contact is the remote target of that dialog only. */
	req(0.3, "INVITE", "127.0.0.4:5080", "z9hG4bKd", "c2", 1);
	set_uri("sip:bob@127.0.0.4:5080");
	sl_check_request_uri(L, &o);
	assert_false(o.pass);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

/* P(the check fails) when first choices follow probabilities pr over 60 transactions:
 * every multinomial outcome put through sl_check_weights itself, weighted by its
 * probability. below: P(p-value < below) as well. */
static double exact_fail_rate(const double pr[3], double below, double *p_below)
{
	double fail = 0, low = 0, total = 0;
	const unsigned n = 60;
	for (unsigned a = 0; a <= n; a++) {
		for (unsigned b = 0; a + b <= n; b++) {
			unsigned c = n - a - b;
			double lp = lgamma(n + 1) - lgamma(a + 1) - lgamma(b + 1) - lgamma(c + 1) +
				    a * log(pr[0]) + b * log(pr[1]) + c * log(pr[2]);
			double w = exp(lp);
			sl_evlog_free(L);
			sl_evlog_new(&L);
			firsts("127.0.0.2:5060", a);
			firsts("127.0.0.3:5060", b);
			firsts("127.0.0.4:5060", c);
			struct sl_check_out o;
			assert_int_equal(sl_check_weights(L, "OPTIONS", WW, 3, 0.001, &o), 0);
			const char *p = strstr(o.detail, "p = ");
			assert_non_null(p);
			fail += o.pass ? 0 : w;
			low += strtod(p + 4, NULL) < below ? w : 0;
			total += w;
		}
	}
	assert_true(fabs(total - 1) < 1e-9);
	*p_below = low;
	return fail;
}

/* What test_weights_seeds.sh relies on: the scenario's design (60 trials, weights
 * 10/30/60, p > 0.001) fails a correct stack with probability close to 0.001 (the
 * chi-square approximation holds with 6 expected in the smallest cell) and catches a
 * stack that ignores weights nearly always. */
static void test_weights_exact_error_rates(void **st)
{
	(void)st;
	static const double follow[3] = { 0.1, 0.3, 0.6 }, uniform[3] = { 1 / 3.0, 1 / 3.0,
									  1 / 3.0 };
	double low, low_u;
	double alpha = exact_fail_rate(follow, 0.1, &low);
	double power = exact_fail_rate(uniform, 0.1, &low_u);
	print_message("exact: false failure %.5f, P(p < 0.1) %.4f; ignore-weights fails %.4f\n",
		      alpha, low, power);
	assert_true(alpha > 0.0005 && alpha < 0.003);
	assert_true(fabs(alpha - 0.0013) < 0.0002);
	assert_true(fabs(low - 0.109) < 0.002);
	assert_true(power > 0.97);
}

static void test_weights_from_counts_later_only(void **st)
{
	(void)st;
	struct sl_check_out o;
	firsts("127.0.0.2:5060", 60); /* before: all to the first record */
	size_t from = sl_evlog_count(L);
	firsts("127.0.0.2:5060", 6);
	firsts("127.0.0.3:5060", 18);
	firsts("127.0.0.4:5060", 36);
	assert_int_equal(sl_check_weights(L, "OPTIONS", WW, 3, 0.001, &o), 0);
	assert_false(o.pass);
	assert_int_equal(sl_check_weights_from(L, from, "OPTIONS", WW, 3, 0.001, &o), 0);
	assert_true(o.pass);
	assert_non_null(strstr(o.detail, "of 60 transactions"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_dns_exact_folds_retries),
		T(test_dns_exact_fails_on_extra_or_order),
		T(test_dns_missing_query_named),
		T(test_dns_set),
		T(test_dns_set_missing),
		T(test_route_and_branches_pass),
		T(test_branch_reused_on_failover_fails),
		T(test_retransmission_with_new_branch_fails),
		T(test_retransmissions_then_timer_b_failover_pass),
		T(test_retransmission_elsewhere_fails_same_server),
		T(test_ack_to_other_server_fails),
		T(test_changed_cseq_on_failover_fails),
		T(test_request_uri_as_given),
		T(test_request_uri_nothing_seen),
		T(test_non2xx_ack_new_branch_fails),
		T(test_non2xx_never_acked_fails),
		T(test_non2xx_acked_passes),
		T(test_ack2xx_new_branch_passes),
		T(test_ack2xx_same_branch_fails),
		T(test_ack2xx_missing_or_wrong_tag_fails),
		T(test_ack2xx_without_2xx_fails),
		T(test_request_uri_contact_of_the_dialog),
		T(test_chi2_tail_known_values),
		T(test_weights_follow_passes),
		T(test_weights_ignored_fails),
		T(test_weights_first_record_fails),
		T(test_weights_zero_share),
		T(test_weights_stray_and_too_few),
		T(test_weights_exact_error_rates),
		T(test_weights_from_counts_later_only),
	};
	return cmocka_run_group_tests_name("sl_check", tests, NULL, NULL);
}
