/* test_addr.c: the address and order invariants over hand-made event logs whose DNS
 * events carry real answers (the fake DNS's own fdns_answer over a zone): each must pass
 * the shapes RFC 3263 allows and fail each seeded bug it exists to catch, naming the
 * requirement that bug breaks. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ldns/ldns.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fdns.h"
#include "sl_check.h"
#include "sl_dnsview.h"
#include "sl_evlog.h"
#include "sl_targets.h"

static struct sl_evlog *L;
static struct fdns_zone *Z;
static unsigned long T;     /* fake clock, so inserted events keep their order */

static const char *ZONE =
	"$ORIGIN example.test.\n"
	"@          IN NAPTR 20 50 \"s\" \"SIP+D2U\" \"\" _sip._udp.example.test.\n"
	"@          IN NAPTR 10 50 \"s\" \"SIP+D2U\" \"\" _sip._udp.alt.example.test.\n"
	"@          IN A     127.0.0.50\n"
	"_sip._udp  IN SRV   10 0 5070 sip1.example.test.\n"
	"_sip._udp  IN SRV   10 0 5070 sip2.example.test.\n"
	"_sip._udp  IN SRV   20 0 5070 sip3.example.test.\n"
	"_sip._udp.alt IN SRV 10 0 5060 alt.example.test.\n"
	"_sip._udp.dot IN SRV 0 0 0 .\n"
	"dot        IN A     127.0.0.60\n"
	"sip1       IN A     127.0.0.2\n"
	"sip1       IN A     127.0.0.12\n"
	"sip2       IN A     127.0.0.3\n"
	"sip3       IN A     127.0.0.4\n"
	"alt        IN A     127.0.0.7\n"
	"a          IN A     127.0.0.8\n"
	"v6         IN AAAA  fd00::2\n";

static unsigned OPEN_REQ; /* the send{} without an outcome yet, 0: none */

static int setup(void **st)
{
	(void)st;
	char err[256];
	T = 1;
	OPEN_REQ = 0;
	if (sl_evlog_new(&L) || fdns_zone_new(&Z))
		return -1;
	return fdns_zone_load_text(Z, ZONE, NULL, 300, "t.zone", 1, err, sizeof(err));
}

static int teardown(void **st)
{
	(void)st;
	sl_evlog_free(L);
	fdns_zone_free(Z);
	return 0;
}

static struct sl_event *ev(enum sl_ev_kind k)
{
	struct sl_event *e = sl_evlog_add(L, k, T++);
	e->t_sut = (double)T / 100;
	return e;
}

/* The SUT asks the fake DNS; the event keeps the real answer's bytes. */
static void ask(const char *type, const char *name)
{
	ldns_pkt *q = NULL;
	uint8_t *w = NULL, *r = NULL;
	size_t wl = 0, rl = 0;
	assert_int_equal(ldns_pkt_query_new_frm_str(&q, name, ldns_get_rr_type_by_name(type),
						    LDNS_RR_CLASS_IN, LDNS_RD), LDNS_STATUS_OK);
	assert_int_equal(ldns_pkt2wire(&w, q, &wl), LDNS_STATUS_OK);
	assert_int_equal(fdns_answer(Z, w, wl, 0, &r, &rl), 0);
	struct sl_event *e = ev(SL_EV_DNS);
	sl_evlog_str(&e->qtype, type);
	sl_evlog_str(&e->qname, name);
	sl_evlog_dns_resp(e, r, rl);
	ldns_pkt_free(q);
	free(w);
	free(r);
}

/* A send{}; the one before it ends first, as send{} waits for its outcome. */
static void send_req(const char *method, const char *uri)
{
	if (OPEN_REQ)
		ev(SL_EV_SUT_DONE)->req_id = OPEN_REQ;
	struct sl_event *e = ev(SL_EV_SUT_REQ);
	sl_evlog_str(&e->method, method);
	sl_evlog_str(&e->uri, uri);
	e->req_id = ++OPEN_REQ;
}

/* A request at a peer (kind SIP_RX) or one no peer took (STRAY), len bytes long. */
static void req_at(enum sl_ev_kind k, const char *dest, const char *tp, const char *branch,
		   size_t len)
{
	struct sl_event *e = ev(k);
	sl_evlog_str(&e->method, "INVITE");
	sl_evlog_str(&e->uri, "sip:alice@example.test");
	sl_evlog_str(&e->server, dest);
	sl_evlog_str(&e->client, "127.0.0.1:5060");
	sl_evlog_str(&e->transport, tp);
	sl_evlog_str(&e->branch, branch);
	sl_evlog_str(&e->call_id, "c1");
	e->fp[0].len = len;
}

static void invite(const char *dest, const char *branch)
{
	req_at(SL_EV_SIP_RX, dest, "udp", branch, 400);
}

static void reply(const char *dest, const char *branch, int status)
{
	struct sl_event *e = ev(SL_EV_SIP_TX);
	e->status = status;
	sl_evlog_str(&e->server, dest);
	sl_evlog_str(&e->transport, "udp");
	sl_evlog_str(&e->branch, branch);
	sl_evlog_str(&e->cseq_method, "INVITE");
}

static void naptr_srv(void)
{
	ask("NAPTR", "example.test");
	ask("SRV", "_sip._udp.alt.example.test");
	ask("A", "alt.example.test");
}

static struct sl_check_out O;

static void addresses(void)
{
	sl_check_addresses(L, SL_TP_UDP, &O);
}

static void order(void)
{
	sl_check_order(L, SL_TP_UDP, &O);
}

/* ---- URIs ---- */

static void test_uri_parts(void **st)
{
	(void)st;
	struct sl_uri u;
	char err[128];
	int num;
	assert_int_equal(sl_uri_parse("sip:alice@[FD00::2]:5070;transport=TCP;maddr=Other.Test?x=@y",
				      &u, err, sizeof(err)), 0);
	assert_false(u.sips);
	assert_string_equal(u.host, "fd00::2");
	assert_int_equal(u.host_numeric, 6);
	assert_int_equal(u.port, 5070);
	assert_string_equal(u.transport, "tcp");
	assert_string_equal(u.maddr, "other.test");
	assert_string_equal(sl_uri_target(&u, &num), "other.test");
	assert_int_equal(num, 0);
	assert_int_equal(sl_uri_parse("SIPS:example.test", &u, err, sizeof(err)), 0);
	assert_true(u.sips);
	assert_string_equal(u.host, "example.test");
	assert_int_equal(u.port, 0);
	assert_int_equal(sl_uri_parse("sip:u;phone-context=x@127.0.0.9;lr", &u, err, sizeof(err)), 0);
	assert_string_equal(u.host, "127.0.0.9");
	assert_int_equal(u.host_numeric, 4);
	assert_int_equal(sl_uri_parse("sip:a@b.test;maddr=127.0.0.3", &u, err, sizeof(err)), 0);
	assert_string_equal(sl_uri_target(&u, &num), "127.0.0.3");
	assert_int_equal(num, 4);
	assert_int_equal(sl_uri_parse("tel:+123", &u, err, sizeof(err)), -EINVAL);
	assert_int_equal(sl_uri_parse("sip:a@h:99999", &u, err, sizeof(err)), -EINVAL);
	assert_int_equal(sl_uri_parse("sip:a@[fd00::1", &u, err, sizeof(err)), -EINVAL);
	assert_int_equal(sl_uri_parse("sip:a@", &u, err, sizeof(err)), -EINVAL);
}

/* ---- the view and the tree ---- */

static void test_view_reads_answers(void **st)
{
	(void)st;
	ask("SRV", "_sip._udp.example.test");
	ask("A", "sip1.example.test");
	struct sl_dnsview *v;
	assert_int_equal(sl_dnsview_new(&v, L, sl_evlog_count(L), 1), 0);
	const struct sl_dv_srv *s;
	size_t n;
	unsigned e;
	assert_int_equal(sl_dnsview_srv(v, "_SIP._udp.Example.test.", &s, &n, &e), SL_DV_RECORDS);
	assert_int_equal(n, 3);
	assert_int_equal(s[0].port, 5070);
	struct sl_dv_addr a[8];
	assert_int_equal(sl_dnsview_addrs(v, "sip1.example.test", a, 8, &n, &e), SL_DV_RECORDS);
	assert_int_equal(n, 2);
	assert_int_equal(sl_dnsview_addrs(v, "sip2.example.test", a, 8, &n, &e), SL_DV_UNASKED);
	sl_dnsview_free(v);
	/* Only what came before the cut-off counts. */
	assert_int_equal(sl_dnsview_new(&v, L, 1, 1), 0);
	assert_int_equal(sl_dnsview_addrs(v, "sip1.example.test", a, 8, &n, &e), SL_DV_UNASKED);
	sl_dnsview_free(v);
}

static void test_tree_ranks(void **st)
{
	(void)st;
	ask("NAPTR", "example.test");
	ask("SRV", "_sip._udp.example.test");
	ask("A", "sip1.example.test");
	struct sl_dnsview *v;
	struct sl_targets *t;
	char err[128];
	assert_int_equal(sl_dnsview_new(&v, L, sl_evlog_count(L), 1), 0);
	assert_int_equal(sl_targets_build(&t, "sip:alice@example.test", v, SL_TP_UDP, err,
					  sizeof(err)), 0);
	assert_true(t->naptr);
	size_t leaves = 0, unknown = 0;
	for (size_t i = 0; i < t->count; i++) {
		leaves += t->n[i].kind == SL_TN_LEAF;
		unknown += t->n[i].unknown;
	}
	/* sip1's two addresses; sip2 and sip3 never resolved, the alt SRV never asked. */
	assert_int_equal(leaves, 2);
	assert_int_equal(unknown, 3);
	sl_targets_free(t);
	assert_int_equal(sl_targets_build(&t, "http://x", v, SL_TP_UDP, err, sizeof(err)), -EINVAL);
	sl_dnsview_free(v);
}

/* ---- addresses ---- */

static void test_addr_srv_target_port_passes(void **st)
{
	(void)st;
	send_req("INVITE", "sip:alice@example.test");
	naptr_srv();
	invite("127.0.0.7:5060", "b1");
	addresses();
	assert_true(O.pass);
	assert_true(O.seen & SL_R_AD_SRV);
}

static void test_addr_srv_port_discarded_fails(void **st)
{
	(void)st;
	/* srv-port-5060: the SRV says 5070, the request goes to 5060. */
	send_req("INVITE", "sip:alice@example.test");
	ask("NAPTR", "example.test");
	ask("SRV", "_sip._udp.example.test");
	ask("A", "sip1.example.test");
	invite("127.0.0.2:5060", "b1");
	addresses();
	assert_false(O.pass);
	assert_true(O.failed & SL_R_AD_SRV);
	assert_non_null(strstr(O.detail, "127.0.0.2:5070/udp"));
}

static void test_addr_answer_must_come_first(void **st)
{
	(void)st;
	send_req("INVITE", "sip:alice@example.test");
	ask("NAPTR", "example.test");
	ask("SRV", "_sip._udp.alt.example.test");
	invite("127.0.0.7:5060", "b1"); /* before the A answer that names it */
	ask("A", "alt.example.test");
	addresses();
	assert_false(O.pass);
}

static void test_addr_domain_a_needs_srv_miss(void **st)
{
	(void)st;
	/* a-before-srv: the domain's A on 5060 with SRV never asked. */
	send_req("INVITE", "sip:alice@example.test");
	ask("A", "example.test");
	invite("127.0.0.50:5060", "b1");
	addresses();
	assert_false(O.pass);
	assert_true(O.failed & SL_R_AD_SRV);
}

static void test_addr_a_fallback_after_srv_miss(void **st)
{
	(void)st;
	send_req("INVITE", "sip:bob@a.example.test");
	ask("NAPTR", "a.example.test");
	ask("SRV", "_sip._udp.a.example.test");
	ask("A", "a.example.test");
	invite("127.0.0.8:5060", "b1");
	addresses();
	assert_true(O.pass);
	assert_true(O.seen & SL_R_AD_A_FALLBACK);
}

static void test_addr_srv_dot(void **st)
{
	(void)st;
	send_req("INVITE", "sip:bob@dot.example.test");
	ask("NAPTR", "dot.example.test");
	ask("SRV", "_sip._udp.dot.example.test");
	addresses();
	assert_true(O.pass);
	assert_true(O.seen & SL_R_SRV_DOT);
	/* ... and a stack that goes to the domain's A anyway. */
	ask("A", "dot.example.test");
	invite("127.0.0.60:5060", "b1");
	addresses();
	assert_false(O.pass);
	assert_true(O.failed & SL_R_SRV_DOT);
}

static void test_addr_numeric_and_port(void **st)
{
	(void)st;
	send_req("INVITE", "sip:alice@127.0.0.9");
	invite("127.0.0.9:5060", "b1");
	addresses();
	assert_true(O.pass);
	assert_true(O.seen & SL_R_AD_NUMERIC);
	req_at(SL_EV_SIP_RX, "127.0.0.9:5060", "tcp", "b2", 400);
	addresses();
	assert_false(O.pass);
	assert_true(O.failed & SL_R_TP_NUMERIC);
	teardown(NULL);
	setup(NULL);
	/* Over 1300 bytes a request may leave UDP for TCP (RFC 3261 18.1.1). */
	send_req("INVITE", "sip:alice@127.0.0.9");
	req_at(SL_EV_SIP_RX, "127.0.0.9:5060", "tcp", "b2", 2000);
	addresses();
	assert_true(O.pass);
	teardown(NULL);
	setup(NULL);
	/* port-srv: an explicit port, yet the SRV target and port. */
	send_req("INVITE", "sip:alice@example.test:5080");
	ask("SRV", "_sip._udp.example.test");
	ask("A", "sip1.example.test");
	ask("A", "example.test");
	invite("127.0.0.2:5070", "b1");
	addresses();
	assert_false(O.pass);
	assert_true(O.failed & SL_R_AD_PORT_A);
	invite("127.0.0.50:5080", "b2");
	addresses();
	assert_false(O.pass); /* still: the first one */
	teardown(NULL);
	setup(NULL);
	send_req("INVITE", "sip:alice@example.test:5080");
	ask("A", "example.test");
	invite("127.0.0.50:5080", "b2");
	addresses();
	assert_true(O.pass);
	assert_true(O.seen & SL_R_AD_PORT_A);
}

static void test_addr_maddr_is_target(void **st)
{
	(void)st;
	send_req("INVITE", "sip:alice@example.test;maddr=a.example.test");
	ask("NAPTR", "example.test");
	ask("SRV", "_sip._udp.alt.example.test");
	ask("A", "alt.example.test");
	invite("127.0.0.7:5060", "b1"); /* the host's answer, not maddr's */
	addresses();
	assert_false(O.pass);
	assert_true(O.failed & SL_R_TARGET_MADDR);
}

static void test_addr_strays_and_syns_count(void **st)
{
	(void)st;
	send_req("INVITE", "sip:alice@example.test");
	naptr_srv();
	req_at(SL_EV_STRAY, "127.0.0.99:5060", "udp", "b1", 400);
	addresses();
	assert_false(O.pass);
	assert_non_null(strstr(O.detail, "stray"));
	teardown(NULL);
	setup(NULL);
	send_req("INVITE", "sip:alice@example.test");
	naptr_srv();
	struct sl_event *e = ev(SL_EV_STRAY);
	sl_evlog_str(&e->server, "127.0.0.7:5061");
	sl_evlog_str(&e->client, "127.0.0.1:40000");
	sl_evlog_str(&e->transport, "tcp");
	addresses();
	assert_false(O.pass);
	assert_non_null(strstr(O.detail, "connection"));
}

static void test_addr_ack_and_other_methods_left_out(void **st)
{
	(void)st;
	send_req("INVITE", "sip:alice@example.test");
	naptr_srv();
	invite("127.0.0.7:5060", "b1");
	struct sl_event *e = ev(SL_EV_SIP_RX);
	sl_evlog_str(&e->method, "ACK");
	sl_evlog_str(&e->server, "127.0.0.99:5060");
	sl_evlog_str(&e->transport, "udp");
	addresses();
	assert_true(O.pass);
}

/* ---- order ---- */

/* NAPTR order 10 leads to _sip._udp.alt, order 20 (first on the wire) to _sip._udp. */
static void farm(void)
{
	send_req("INVITE", "sip:alice@example.test");
	ask("NAPTR", "example.test");
}

static void srv_farm(void)
{
	/* An explicit transport: one SRV name, priorities 10 (sip1 two addresses, sip2)
	 * and 20 (sip3). */
	send_req("INVITE", "sip:alice@example.test;transport=udp");
	ask("SRV", "_sip._udp.example.test");
	ask("A", "sip1.example.test");
	ask("A", "sip2.example.test");
	ask("A", "sip3.example.test");
}

static void test_order_rfc2782_orders_pass(void **st)
{
	(void)st;
	srv_farm();
	invite("127.0.0.3:5070", "b1");  /* sip2 first: equal priority, any order */
	invite("127.0.0.12:5070", "b2"); /* sip1's addresses, either first */
	invite("127.0.0.2:5070", "b3");
	invite("127.0.0.4:5070", "b4");  /* then priority 20 */
	order();
	assert_true(O.pass);
	assert_true(O.seen & SL_R_SRV_PRIORITY);
	assert_true(O.seen & SL_R_SRV_ALL_ADDRS);
}

static void test_order_priority_desc_fails(void **st)
{
	(void)st;
	srv_farm();
	invite("127.0.0.4:5070", "b1");
	order();
	assert_false(O.pass);
	assert_true(O.failed & SL_R_SRV_PRIORITY);
}

static void test_order_unresolved_lower_priority_fails(void **st)
{
	(void)st;
	/* The SUT went to priority 20 without ever resolving the priority 10 targets. */
	send_req("INVITE", "sip:alice@example.test;transport=udp");
	ask("SRV", "_sip._udp.example.test");
	ask("A", "sip3.example.test");
	invite("127.0.0.4:5070", "b1");
	order();
	assert_false(O.pass);
	assert_true(O.failed & SL_R_SRV_PRIORITY);
	assert_non_null(strstr(O.detail, "never resolved"));
}

static void test_order_one_per_priority_fails(void **st)
{
	(void)st;
	srv_farm();
	invite("127.0.0.3:5070", "b1");
	invite("127.0.0.4:5070", "b2"); /* sip1 of priority 10 never tried */
	order();
	assert_false(O.pass);
	assert_true(O.failed & SL_R_SRV_PRIORITY);
}

static void test_order_first_addr_only_fails(void **st)
{
	(void)st;
	srv_farm();
	invite("127.0.0.2:5070", "b1");
	invite("127.0.0.3:5070", "b2"); /* 127.0.0.12 of sip1 left out */
	order();
	assert_false(O.pass);
	assert_true(O.failed & SL_R_SRV_ALL_ADDRS);
}

static void test_order_loop_fails(void **st)
{
	(void)st;
	send_req("INVITE", "sip:alice@example.test");
	naptr_srv();
	invite("127.0.0.7:5060", "b1");
	invite("127.0.0.7:5060", "b2"); /* a second round over a one-element list */
	order();
	assert_false(O.pass);
	assert_true(O.failed & SL_R_FO_EXHAUST);
	/* A retransmission (same branch) is not an attempt. */
	teardown(NULL);
	setup(NULL);
	send_req("INVITE", "sip:alice@example.test");
	naptr_srv();
	invite("127.0.0.7:5060", "b1");
	invite("127.0.0.7:5060", "b1");
	order();
	assert_true(O.pass);
}

static void test_order_naptr_order_fails(void **st)
{
	(void)st;
	/* naptr-wire-order: the order-20 record's targets first. */
	farm();
	ask("SRV", "_sip._udp.example.test");
	ask("A", "sip1.example.test");
	invite("127.0.0.2:5070", "b1");
	order();
	assert_false(O.pass);
	assert_true(O.failed & SL_R_TP_NAPTR_ORDER);
}

/* send_many{}: two sends open at once, their requests interleaved. Each request belongs
 * to the send whose Request-URI it carries, and later ones to the send of their
 * Call-ID; the latest send is not the owner of everything. */
static struct sl_event *open_send(const char *uri, unsigned id)
{
	struct sl_event *e = ev(SL_EV_SUT_REQ);
	sl_evlog_str(&e->method, "OPTIONS");
	sl_evlog_str(&e->uri, uri);
	e->req_id = id;
	return e;
}

static void options_at(const char *dest, const char *uri, const char *call_id,
		       const char *branch)
{
	struct sl_event *e = ev(SL_EV_SIP_RX);
	sl_evlog_str(&e->method, "OPTIONS");
	sl_evlog_str(&e->uri, uri);
	sl_evlog_str(&e->server, dest);
	sl_evlog_str(&e->client, "127.0.0.1:5060");
	sl_evlog_str(&e->transport, "udp");
	sl_evlog_str(&e->branch, branch);
	sl_evlog_str(&e->call_id, call_id);
	e->fp[0].len = 300;
}

static void test_addr_overlapping_sends(void **st)
{
	(void)st;
	open_send("sip:alice@127.0.0.2:5070", 1);
	open_send("sip:bob@127.0.0.3:5070", 2);
	options_at("127.0.0.3:5070", "sip:bob@127.0.0.3:5070", "c2", "b1");
	options_at("127.0.0.2:5070", "sip:alice@127.0.0.2:5070", "c1", "b2");
	addresses();
	assert_true(O.pass);
	/* A request of alice's Call-ID whose URI matches nobody is still alice's: a numeric
	 * URI allows one destination only, so bob's address is wrong for it. */
	options_at("127.0.0.3:5070", "sip:carol@127.0.0.9", "c1", "b3");
	addresses();
	assert_false(O.pass);
	assert_non_null(strstr(O.detail, "send{} of sip:alice@127.0.0.2:5070"));
	/* Once alice's send has its outcome, her Call-ID no longer ties anything to it. */
	teardown(NULL);
	setup(NULL);
	open_send("sip:alice@127.0.0.2:5070", 1);
	options_at("127.0.0.2:5070", "sip:alice@127.0.0.2:5070", "c1", "b1");
	ev(SL_EV_SUT_DONE)->req_id = 1;
	open_send("sip:bob@127.0.0.3:5070", 2);
	options_at("127.0.0.3:5070", "sip:bob@127.0.0.3:5070", "c1", "b2");
	addresses();
	assert_true(O.pass);
	order();
	assert_true(O.pass);
}

static void test_order_failed_server_may_be_skipped_later(void **st)
{
	(void)st;
	srv_farm();
	invite("127.0.0.3:5070", "b1");
	reply("127.0.0.3:5070", "b1", 503);
	invite("127.0.0.2:5070", "b2");
	reply("127.0.0.2:5070", "b2", 200);
	send_req("INVITE", "sip:alice@example.test;transport=udp");
	invite("127.0.0.2:5070", "b3"); /* sip2 failed before: it may be left out */
	order();
	assert_true(O.pass);
	/* but not one that answered */
	send_req("INVITE", "sip:alice@example.test;transport=udp");
	invite("127.0.0.4:5070", "b4");
	order();
	assert_false(O.pass);
}

static void test_addr_ipv6_needs_the_capability(void **st)
{
	(void)st;
	send_req("OPTIONS", "sip:alice@v6.example.test:5070");
	ask("AAAA", "v6.example.test");
	struct sl_event *e = ev(SL_EV_SIP_RX);
	sl_evlog_str(&e->method, "OPTIONS");
	sl_evlog_str(&e->server, "[fd00::2]:5070");
	sl_evlog_str(&e->transport, "udp");
	sl_evlog_str(&e->branch, "b1");
	sl_check_addresses(L, SL_TP_UDP | SL_TP_IPV6, &O);
	assert_true(O.pass);
	assert_true(O.seen & SL_R_AD_PORT_A);
	sl_check_addresses(L, SL_TP_UDP, &O); /* a SUT without IPv6 was never asked to */
	assert_false(O.pass);
}

static void test_req_ids(void **st)
{
	(void)st;
	const char *ids[4];
	assert_int_equal(sl_check_req_ids(SL_R_AD_SRV | SL_R_FO_EXHAUST, ids, 4), 2);
	assert_string_equal(ids[0], "AD-SRV");
	assert_string_equal(ids[1], "FO-EXHAUST");
}

int main(void)
{
	const struct CMUnitTest t[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_uri_parts), T(test_view_reads_answers), T(test_tree_ranks),
		T(test_addr_srv_target_port_passes), T(test_addr_srv_port_discarded_fails),
		T(test_addr_answer_must_come_first), T(test_addr_domain_a_needs_srv_miss),
		T(test_addr_a_fallback_after_srv_miss), T(test_addr_srv_dot),
		T(test_addr_numeric_and_port), T(test_addr_maddr_is_target),
		T(test_addr_strays_and_syns_count), T(test_addr_ack_and_other_methods_left_out),
		T(test_order_rfc2782_orders_pass), T(test_order_priority_desc_fails),
		T(test_order_unresolved_lower_priority_fails), T(test_order_one_per_priority_fails),
		T(test_order_first_addr_only_fails), T(test_order_loop_fails),
		T(test_order_naptr_order_fails), T(test_order_failed_server_may_be_skipped_later),
		T(test_addr_overlapping_sends),
		T(test_addr_ipv6_needs_the_capability), T(test_req_ids),
	};
	return cmocka_run_group_tests(t, NULL, NULL);
}
