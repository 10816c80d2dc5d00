/* test_ref_select.c: ref's pure RFC 3263 decisions: Request-URI parsing, NAPTR filtering
 * and ordering (4.1), RFC 2782 SRV ordering with weights and the "." target. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "ref_select.h"
#include "ref_uri.h"

static void test_uri_basic(void **state)
{
	struct ref_uri u;

	(void)state;
	assert_int_equal(ref_uri_parse("sip:alice@Example.TEST", &u), 0);
	assert_false(u.sips);
	assert_string_equal(u.host, "example.test");
	assert_false(u.host_is_ip);
	assert_int_equal(u.port, 0);
	assert_false(u.has_transport);
	assert_string_equal(ref_uri_target(&u), "example.test");

	assert_int_equal(ref_uri_parse("SIPS:bob@example.test:5071", &u), 0);
	assert_true(u.sips);
	assert_int_equal(u.port, 5071);

	assert_int_equal(ref_uri_parse("sip:example.test.", &u), 0);
	assert_string_equal(u.host, "example.test");

	/* user part may hold ';' and the URI may carry headers */
	assert_int_equal(ref_uri_parse("sip:user;x=y@host.test?subject=hi", &u), 0);
	assert_string_equal(u.host, "host.test");
}

static void test_uri_params(void **state)
{
	struct ref_uri u;

	(void)state;
	assert_int_equal(ref_uri_parse("sip:a@x.test;lr;transport=TCP;maddr=Other.Test", &u), 0);
	assert_true(u.has_transport);
	assert_int_equal(u.transport, REF_TP_TCP);
	assert_string_equal(u.maddr, "other.test");
	assert_false(u.maddr_is_ip);
	assert_string_equal(ref_uri_target(&u), "other.test");
	assert_false(ref_uri_target_is_ip(&u));

	assert_int_equal(ref_uri_parse("sip:a@x.test;maddr=127.0.0.9", &u), 0);
	assert_true(ref_uri_target_is_ip(&u));
	assert_string_equal(ref_uri_target(&u), "127.0.0.9");

	assert_int_equal(ref_uri_parse("sip:a@x.test;transport=udp", &u), 0);
	assert_int_equal(u.transport, REF_TP_UDP);
	assert_int_equal(ref_uri_parse("sip:a@x.test;transport=foo", &u), -EPROTONOSUPPORT);
}

static void test_uri_numeric(void **state)
{
	struct ref_uri u;

	(void)state;
	assert_int_equal(ref_uri_parse("sip:u@127.0.0.9", &u), 0);
	assert_true(u.host_is_ip);
	assert_string_equal(u.host, "127.0.0.9");

	assert_int_equal(ref_uri_parse("sip:u@[fd00::1]:5062;transport=udp", &u), 0);
	assert_true(u.host_is_ip);
	assert_string_equal(u.host, "fd00::1");
	assert_int_equal(u.port, 5062);

	assert_int_equal(ref_uri_parse("sip:[::1]", &u), 0);
	assert_string_equal(u.host, "::1");
}

static void test_uri_bad(void **state)
{
	static const char *const bad[] = {
		"", "http://x.test", "sip:", "sip:@host.test", "sip:user@", "sip:host.test:0",
		"sip:host.test:70000", "sip:host.test:abc", "sip:host.test:", "sip:[::1",
		"sip:::1", "sip:[127.0.0.1]", "sip:1.2.3", "sip:ho_st.test", "sip:-host.test",
		"sip:host-.test", "sip:a..b", "sip:host.test;transport=", "sip:host.test;maddr=",
		"sip:a b@host.test", "sip:host.test;=x", "sip:host.test junk", "<sip:a@b.test>",
		"sip:host.test:5060x",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ref_uri u;

		if (ref_uri_parse(bad[i], &u) != -EINVAL)
			fail_msg("accepted or misjudged bad URI \"%s\"", bad[i]);
	}
	assert_int_equal(ref_uri_parse(NULL, &(struct ref_uri){ 0 }), -EINVAL);
}

static struct ref_naptr naptr(uint16_t order, uint16_t pref, const char *flags,
			      const char *svc, const char *regexp, const char *repl)
{
	struct ref_naptr n;

	memset(&n, 0, sizeof(n));
	n.order = order;
	n.pref = pref;
	strcpy(n.flags, flags);
	strcpy(n.services, svc);
	strcpy(n.regexp, regexp);
	strcpy(n.replacement, repl);
	return n;
}

#define ALL_TP (REF_TPM(REF_TP_UDP) | REF_TPM(REF_TP_TCP) | REF_TPM(REF_TP_TLS))

static void test_naptr_filter(void **state)
{
	struct ref_naptr v[] = {
		naptr(10, 10, "s", "E2U+sip", "", "_sip._udp.a.test"),      /* not SIP */
		naptr(10, 10, "s", "SIP+D2U", "!^.*$!sip:x@y!", "."),       /* regexp */
		naptr(10, 10, "a", "SIP+D2U", "", "a.test"),                /* flag a */
		naptr(10, 10, "u", "SIP+D2U", "", "a.test"),                /* flag u */
		naptr(10, 10, "s", "SIP+D2S", "", "_sip._sctp.a.test"),     /* SCTP */
		naptr(10, 10, "s", "SIPS+D2T", "", "_sips._tcp.a.test"),    /* TLS unsupported */
		naptr(10, 10, "s", "SIP+D2T", "", "_sip._tcp.a.test"),      /* TCP unsupported */
		naptr(10, 10, "s", "SIP+D2X", "", "_sip._x.a.test"),        /* junk D2X */
		naptr(10, 10, "s", "SIPS+D2U", "", "_sips._udp.a.test"),    /* no such thing */
		naptr(10, 10, "", "SIP+D2U", "", "_sip._udp.a.test"),       /* non-terminal */
		naptr(90, 10, "S", "sip+d2u", "", "_sip._udp.a.test"),      /* usable */
	};
	size_t n = ref_naptr_filter(v, sizeof(v) / sizeof(v[0]), false, REF_TPM(REF_TP_UDP));

	(void)state;
	assert_int_equal(n, 1);
	assert_int_equal(v[0].order, 90);
	assert_int_equal(v[0].tp, REF_TP_UDP);
	assert_string_equal(v[0].replacement, "_sip._udp.a.test");
}

static void test_naptr_sips(void **state)
{
	struct ref_naptr v[3];
	size_t n;

	(void)state;
	/* sip: URI, TLS-capable client: SIPS kept (and preferred when its order is lower) */
	v[0] = naptr(90, 50, "s", "SIP+D2U", "", "_sip._udp.a.test");
	v[1] = naptr(50, 50, "s", "SIPS+D2T", "", "_sips._tcp.a.test");
	v[2] = naptr(70, 50, "s", "SIP+D2T", "", "_sip._tcp.a.test");
	n = ref_naptr_filter(v, 3, false, ALL_TP);
	assert_int_equal(n, 3);
	assert_int_equal(v[0].tp, REF_TP_TLS);
	assert_int_equal(v[1].tp, REF_TP_TCP);
	assert_int_equal(v[2].tp, REF_TP_UDP);

	/* sips: URI: only SIPS services survive, whatever the client supports */
	v[0] = naptr(10, 50, "s", "SIP+D2U", "", "_sip._udp.a.test");
	v[1] = naptr(20, 50, "s", "SIP+D2T", "", "_sip._tcp.a.test");
	v[2] = naptr(90, 50, "s", "SIPS+D2T", "", "_sips._tcp.a.test");
	n = ref_naptr_filter(v, 3, true, ALL_TP);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].tp, REF_TP_TLS);
	/* ...and nothing at all without TLS */
	v[0] = naptr(90, 50, "s", "SIPS+D2T", "", "_sips._tcp.a.test");
	assert_int_equal(ref_naptr_filter(v, 1, true, REF_TPM(REF_TP_UDP)), 0);
	/* sip: URI without TLS: SIPS dropped */
	v[0] = naptr(10, 50, "s", "SIPS+D2T", "", "_sips._tcp.a.test");
	v[1] = naptr(20, 50, "s", "SIP+D2U", "", "_sip._udp.a.test");
	n = ref_naptr_filter(v, 2, false, REF_TPM(REF_TP_UDP));
	assert_int_equal(n, 1);
	assert_int_equal(v[0].tp, REF_TP_UDP);
}

static void test_naptr_sort(void **state)
{
	struct ref_naptr v[] = {
		naptr(20, 5, "s", "SIP+D2U", "", "e.test"),
		naptr(10, 50, "s", "SIP+D2U", "", "b.test"),
		naptr(20, 1, "s", "SIP+D2U", "", "d.test"),
		naptr(10, 10, "s", "SIP+D2U", "", "a.test"),
		naptr(10, 50, "s", "SIP+D2U", "", "c.test"), /* tie with b: keeps wire order */
		naptr(5, 99, "s", "SIP+D2U", "", "0.test"),
	};
	static const char *const want[] = { "0.test", "a.test", "b.test", "c.test", "d.test",
					    "e.test" };
	size_t n = ref_naptr_filter(v, 6, false, REF_TPM(REF_TP_UDP));

	(void)state;
	assert_int_equal(n, 6);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(v[i].replacement, want[i]);
}

static struct ref_srv srv(uint16_t prio, uint16_t weight, const char *target)
{
	struct ref_srv s;

	memset(&s, 0, sizeof(s));
	s.prio = prio;
	s.weight = weight;
	s.port = 5060;
	strcpy(s.target, target);
	return s;
}

static void test_srv_priority(void **state)
{
	struct ref_rng rng;

	(void)state;
	ref_rng_seed(&rng, 1);
	for (int round = 0; round < 200; round++) {
		struct ref_srv v[] = {
			srv(30, 5, "c1"), srv(10, 50, "a1"), srv(20, 0, "b1"), srv(10, 50, "a2"),
			srv(30, 5, "c2"), srv(20, 10, "b2"), srv(0, 1, "z"),
		};

		ref_srv_order(v, 7, &rng);
		for (size_t i = 1; i < 7; i++)
			assert_true(v[i - 1].prio <= v[i].prio);
		assert_string_equal(v[0].target, "z");
	}
}

static void first_pick_freq(const struct ref_srv *in, size_t n, int rounds, int *counts)
{
	struct ref_rng rng;
	struct ref_srv v[8];

	ref_rng_seed(&rng, 12345);
	memset(counts, 0, n * sizeof(*counts));
	for (int r = 0; r < rounds; r++) {
		memcpy(v, in, n * sizeof(*v));
		ref_srv_order(v, n, &rng);
		for (size_t i = 0; i < n; i++)
			if (strcmp(v[0].target, in[i].target) == 0)
				counts[i]++;
	}
}

static void test_srv_weights(void **state)
{
	const struct ref_srv in[] = { srv(10, 10, "w10"), srv(10, 30, "w30"), srv(10, 60, "w60") };
	const double expect[] = { 0.10, 0.30, 0.60 };
	int counts[3], rounds = 10000;

	(void)state;
	first_pick_freq(in, 3, rounds, counts);
	for (int i = 0; i < 3; i++) {
		double f = (double)counts[i] / rounds;

		if (f < expect[i] - 0.03 || f > expect[i] + 0.03)
			fail_msg("weight %u first %.3f of the time, expected %.2f +- 0.03",
				 in[i].weight, f, expect[i]);
	}
}

static void test_srv_weight0(void **state)
{
	const struct ref_srv in[] = { srv(10, 100, "heavy"), srv(10, 0, "zero") };
	int counts[2], rounds = 10000;

	(void)state;
	first_pick_freq(in, 2, rounds, counts);
	assert_true((double)counts[1] / rounds < 0.02);
	assert_true(counts[1] > 0); /* rare, not never: RFC 2782 gives it a small chance */

	/* all weights zero: every order possible, both come first sometimes */
	const struct ref_srv z[] = { srv(10, 0, "x"), srv(10, 0, "y") };

	first_pick_freq(z, 2, 1000, counts);
	assert_true(counts[0] > 0 && counts[1] > 0);
}

static void test_srv_order_is_permutation(void **state)
{
	struct ref_rng rng;

	(void)state;
	ref_rng_seed(&rng, 7);
	for (int round = 0; round < 100; round++) {
		struct ref_srv v[] = { srv(1, 3, "a"), srv(1, 0, "b"), srv(1, 7, "c"),
				       srv(1, 0, "d"), srv(2, 1, "e") };
		int seen[5] = { 0 };

		ref_srv_order(v, 5, &rng);
		for (int i = 0; i < 5; i++)
			seen[v[i].target[0] - 'a']++;
		for (int i = 0; i < 5; i++)
			assert_int_equal(seen[i], 1);
		assert_string_equal(v[4].target, "e");
	}
}

static void test_srv_dot(void **state)
{
	struct ref_srv one[] = { srv(0, 0, ".") };
	struct ref_srv two[] = { srv(0, 0, "."), srv(10, 1, "a.test") };

	(void)state;
	assert_true(ref_srv_is_dot(one, 1));
	assert_false(ref_srv_is_dot(two, 2));
	assert_false(ref_srv_is_dot(one, 0));
	struct ref_srv named[] = { srv(0, 0, "a.test") };

	assert_false(ref_srv_is_dot(named, 1));
}

static struct ref_ip ip(const char *s)
{
	struct ref_ip a;

	assert_int_equal(ref_ip_parse(s, &a), 0);
	return a;
}

static void test_addr_order(void **state)
{
	struct ref_ip v[5];
	char buf[64];
	size_t n;

	(void)state;
	/* IPv6 first, each family in DNS order */
	v[0] = ip("127.0.0.2");
	v[1] = ip("fd00::2");
	v[2] = ip("127.0.0.3");
	v[3] = ip("fd00::3");
	v[4] = ip("127.0.0.4");
	n = ref_addr_order(v, 5, true);
	assert_int_equal(n, 5);
	ref_ip_str(&v[0], buf, sizeof(buf));
	assert_string_equal(buf, "fd00::2");
	ref_ip_str(&v[1], buf, sizeof(buf));
	assert_string_equal(buf, "fd00::3");
	ref_ip_str(&v[2], buf, sizeof(buf));
	assert_string_equal(buf, "127.0.0.2");
	ref_ip_str(&v[4], buf, sizeof(buf));
	assert_string_equal(buf, "127.0.0.4");
	/* without an IPv6 source the IPv6 addresses go */
	v[0] = ip("fd00::2");
	v[1] = ip("127.0.0.2");
	v[2] = ip("fd00::3");
	n = ref_addr_order(v, 3, false);
	assert_int_equal(n, 1);
	ref_ip_str(&v[0], buf, sizeof(buf));
	assert_string_equal(buf, "127.0.0.2");
	/* nothing in, nothing out */
	assert_int_equal(ref_addr_order(v, 0, true), 0);
	assert_int_equal(ref_addr_order(NULL, 0, true), 0);
}

static void test_mtu_switch(void **state)
{
	(void)state;
	/* RFC 3261 18.1.1: "larger than 1300 bytes": 1300 itself stays on UDP */
	assert_int_equal(ref_tp_for_size(REF_TP_UDP, 1300, ALL_TP), REF_TP_UDP);
	assert_int_equal(ref_tp_for_size(REF_TP_UDP, 1301, ALL_TP), REF_TP_TCP);
	assert_int_equal(ref_tp_for_size(REF_TP_UDP, 60000, ALL_TP), REF_TP_TCP);
	/* no TCP: UDP it is (the datagram may still be sent, fragmented) */
	assert_int_equal(ref_tp_for_size(REF_TP_UDP, 2000, REF_TPM(REF_TP_UDP)), REF_TP_UDP);
	assert_int_equal(ref_tp_for_size(REF_TP_UDP, 2000,
					 REF_TPM(REF_TP_UDP) | REF_TPM(REF_TP_TLS)), REF_TP_UDP);
	/* a stream transport is never changed */
	assert_int_equal(ref_tp_for_size(REF_TP_TLS, 2000, ALL_TP), REF_TP_TLS);
	assert_int_equal(ref_tp_for_size(REF_TP_TCP, 10, ALL_TP), REF_TP_TCP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uri_basic),
		cmocka_unit_test(test_uri_params),
		cmocka_unit_test(test_uri_numeric),
		cmocka_unit_test(test_uri_bad),
		cmocka_unit_test(test_naptr_filter),
		cmocka_unit_test(test_naptr_sips),
		cmocka_unit_test(test_naptr_sort),
		cmocka_unit_test(test_addr_order),
		cmocka_unit_test(test_mtu_switch),
		cmocka_unit_test(test_srv_priority),
		cmocka_unit_test(test_srv_weights),
		cmocka_unit_test(test_srv_weight0),
		cmocka_unit_test(test_srv_order_is_permutation),
		cmocka_unit_test(test_srv_dot),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
