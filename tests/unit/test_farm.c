/* test_farm.c: zone_farm's generator (names, peers, zone text, option checks), the
 * string map, and expect_farm's check on hand-made event logs: passes on a proper
 * resolution and route, fails on a missing query, a wrong order, a wrong target. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sl_check.h"
#include "sl_evlog.h"
#include "sl_farm.h"
#include "sl_strmap.h"

static struct sl_farm farm(unsigned n, unsigned srv)
{
	struct sl_farm f = { .domains = n, .naptr = srv > 0, .srv = srv, .a = 1, .peers = 4,
			     .base = 0x7f010001u, .port = 5060, .ttl = 300 };
	snprintf(f.pattern, sizeof(f.pattern), "d%%d.farm.test");
	return f;
}

static void test_names_and_peers(void **state)
{
	(void)state;
	struct sl_farm f = farm(10, 2);
	char b[128];
	assert_int_equal(sl_farm_validate(&f, b, sizeof(b)), 0);
	sl_farm_domain(&f, 7, b, sizeof(b));
	assert_string_equal(b, "d7.farm.test");
	sl_farm_uri(&f, 7, "bob", b, sizeof(b));
	assert_string_equal(b, "sip:bob@d7.farm.test");
	sl_farm_peer(&f, 3, b, sizeof(b));
	assert_string_equal(b, "127.1.0.4:5060/udp");
	/* first targets walk the peers; the second target is the next peer */
	for (unsigned i = 1; i <= 8; i++) {
		assert_int_equal(sl_farm_peer_of(&f, i, 1, 1), (i - 1) % 4);
		assert_int_equal(sl_farm_peer_of(&f, i, 2, 1), i % 4);
	}
	f.srv = 0;
	f.naptr = 0;
	f.port = 5070;
	sl_farm_uri(&f, 2, "a", b, sizeof(b));
	assert_string_equal(b, "sip:a@d2.farm.test:5070");
}

static void test_zone_text(void **state)
{
	(void)state;
	struct sl_farm f = farm(2, 2);
	char *t = sl_farm_zone_text(&f);
	assert_non_null(t);
	assert_non_null(strstr(t, "d1.farm.test. 300 IN NAPTR 10 50 \"s\" \"SIP+D2U\" \"\" "
				  "_sip._udp.d1.farm.test.\n"));
	assert_non_null(strstr(t, "_sip._udp.d2.farm.test. 300 IN SRV 20 0 5060 t2.d2.farm.test.\n"));
	assert_non_null(strstr(t, "t1.d2.farm.test. 300 IN A 127.1.0.2\n"));
	assert_non_null(strstr(t, "t2.d2.farm.test. 300 IN A 127.1.0.3\n"));
	size_t lines = 0;
	for (const char *p = t; *p; p++)
		lines += *p == '\n';
	assert_int_equal(lines, 2 * (1 + 2 + 2));
	free(t);
	f = farm(1, 0);
	f.a = 2;
	t = sl_farm_zone_text(&f);
	assert_string_equal(t, "d1.farm.test. 300 IN A 127.1.0.1\nd1.farm.test. 300 IN A 127.1.0.2\n");
	free(t);
}

static void test_validate(void **state)
{
	(void)state;
	char err[256];
	struct sl_farm f = farm(10, 1);
	snprintf(f.pattern, sizeof(f.pattern), "farm.test");
	assert_int_equal(sl_farm_validate(&f, err, sizeof(err)), -22);
	snprintf(f.pattern, sizeof(f.pattern), "d%%d.%%s.test");
	assert_int_equal(sl_farm_validate(&f, err, sizeof(err)), -22);
	snprintf(f.pattern, sizeof(f.pattern), "D%%d.farm.test");
	assert_int_equal(sl_farm_validate(&f, err, sizeof(err)), -22);
	f = farm(10, 1);
	f.base = 0x7f000001u;
	assert_int_equal(sl_farm_validate(&f, err, sizeof(err)), -22);
	assert_non_null(strstr(err, "127.0.0.1"));
	f.base = 0x7ffffffeu;
	f.peers = 4; /* runs out of 127/8 */
	assert_int_equal(sl_farm_validate(&f, err, sizeof(err)), -22);
	f = farm(10, 0);
	f.naptr = 1;
	assert_int_equal(sl_farm_validate(&f, err, sizeof(err)), -22);
	f = farm(SL_FARM_MAX_DOMAINS + 1, 1);
	assert_int_equal(sl_farm_validate(&f, err, sizeof(err)), -22);
}

static void test_strmap(void **state)
{
	(void)state;
	struct sl_strmap *m = NULL;
	char k[64];
	int v;
	assert_int_equal(sl_strmap_new(&m, 1), 0);
	for (int i = 0; i < 5000; i++) {
		snprintf(k, sizeof(k), "key-%d", i);
		assert_int_equal(sl_strmap_add(m, k, i), 1);
	}
	assert_int_equal(sl_strmap_add(m, "key-17", 99), 0); /* the first value stays */
	assert_int_equal(sl_strmap_get(m, "key-17", &v), 1);
	assert_int_equal(v, 17);
	assert_int_equal(sl_strmap_get(m, "key-4999", &v), 1);
	assert_int_equal(v, 4999);
	assert_int_equal(sl_strmap_get(m, "key-5000", &v), 0);
	assert_string_equal(sl_strmap_key2(k, sizeof(k), "a", "b"), "a\001b");
	sl_strmap_free(m);
}

static void dns(struct sl_evlog *l, const char *type, const char *name)
{
	struct sl_event *e = sl_evlog_add(l, SL_EV_DNS, 0);
	sl_evlog_str(&e->qtype, type);
	sl_evlog_str(&e->qname, name);
}

static void req(struct sl_evlog *l, const char *call, const char *uri, const char *to)
{
	struct sl_event *e = sl_evlog_add(l, SL_EV_SIP_RX, 0);
	sl_evlog_str(&e->method, "OPTIONS");
	sl_evlog_str(&e->call_id, call);
	sl_evlog_str(&e->uri, uri);
	sl_evlog_str(&e->server, to);
	sl_evlog_str(&e->transport, "udp");
}

/* Domain i resolved and routed as ref does; bugs change one step. */
enum bug { NONE, NO_NAPTR, SRV_FIRST, WRONG_TARGET, NO_REQUEST };

static void domain(struct sl_evlog *l, int i, enum bug bug)
{
	char n[64], c[32], u[64], t[64];
	snprintf(n, sizeof(n), "D%d.farm.test.", i); /* case and trailing dot as on the wire */
	snprintf(c, sizeof(c), "call-%d", i);
	snprintf(u, sizeof(u), "sip:alice@d%d.farm.test", i);
	snprintf(t, sizeof(t), "_sip._udp.d%d.farm.test", i);
	if (bug == SRV_FIRST)
		dns(l, "SRV", t);
	if (bug != NO_NAPTR)
		dns(l, "NAPTR", n);
	if (bug != SRV_FIRST)
		dns(l, "SRV", t);
	snprintf(t, sizeof(t), "t1.d%d.farm.test", i);
	dns(l, "A", t);
	snprintf(t, sizeof(t), "127.1.0.%d:5060", bug == WRONG_TARGET ? (i % 4) + 2 : ((i - 1) % 4) + 1);
	if (bug != NO_REQUEST) {
		req(l, c, u, t);
		req(l, c, u, t); /* a retransmission: not a new transaction */
	}
}

static void run_farm(enum bug bug, int pass, const char *want)
{
	struct sl_farm f = farm(50, 2);
	struct sl_evlog *l = NULL;
	struct sl_check_out o;
	assert_int_equal(sl_evlog_new(&l), 0);
	for (int i = 1; i <= 50; i++)
		domain(l, i, i == 33 ? bug : NONE);
	sl_check_farm(l, &f, "OPTIONS", &o);
	if (o.pass != pass || !strstr(o.detail, want))
		fail_msg("bug %d: pass %d, detail: %s", bug, o.pass, o.detail);
	assert_true(o.nev > 0);
	sl_evlog_free(l);
}

static void test_check_farm(void **state)
{
	(void)state;
	run_farm(NONE, 1, "50 domains: 50 resolved NAPTR -> SRV -> A in order (3 queries each), "
		 "50 first requests at their first target");
	run_farm(NO_NAPTR, 0, "d33.farm.test: not resolved NAPTR -> SRV -> A");
	run_farm(SRV_FIRST, 0, "d33.farm.test: queried out of order");
	run_farm(WRONG_TARGET, 0, "1 misrouted");
	run_farm(NO_REQUEST, 0, "1 never requested");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_and_peers),
		cmocka_unit_test(test_zone_text),
		cmocka_unit_test(test_validate),
		cmocka_unit_test(test_strmap),
		cmocka_unit_test(test_check_farm),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
