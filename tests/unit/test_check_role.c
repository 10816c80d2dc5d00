/* test_check_role.c: the role checks (sl_check_role.c) over hand-made event logs: the
 * right shape passes, the bugs they exist for fail. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

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

/* A SIP event: kind RX at the harness side `at`, method (request) or status (response). */
static struct sl_event *sip(enum sl_ev_kind kind, double t, const char *at, const char *method,
			    int status, const char *branch, const char *cseq_method)
{
	struct sl_event *e = sl_evlog_add(L, kind, 0);
	e->t_sut = t;
	sl_evlog_str(&e->server, at);
	sl_evlog_str(&e->client, "127.0.0.1:5060");
	sl_evlog_str(&e->transport, "udp");
	if (method)
		sl_evlog_str(&e->method, method);
	e->status = status;
	sl_evlog_str(&e->branch, branch);
	sl_evlog_str(&e->call_id, "c1");
	sl_evlog_str(&e->cseq_method, cseq_method);
	e->cseq = 1;
	return e;
}

static void response_route_follows_attempts(void **st)
{
	(void)st;
	const char *want[] = { "127.0.0.5:5070/udp", "127.0.0.6:5070/udp" };
	struct sl_check_out o;
	sip(SL_EV_SIP_TX, 0, "127.0.0.5:5070", "OPTIONS", 0, "b1", "OPTIONS");
	sip(SL_EV_SIP_RX, 0.1, "127.0.0.5:5070", NULL, 200, "b1", "OPTIONS")->bounced = 1;
	sip(SL_EV_SIP_RX, 0.2, "127.0.0.6:5070", NULL, 200, "b1", "OPTIONS");
	sl_check_response_route(L, 200, NULL, want, 2, &o);
	assert_true(o.pass);
	assert_int_equal(o.nev, 2);
	/* Another status is not this response. */
	sl_check_response_route(L, 486, NULL, want, 0, &o);
	assert_true(o.pass);
	/* A server that stopped at the source fails. */
	sl_check_response_route(L, 200, NULL, want, 1, &o);
	assert_false(o.pass);
}

static void response_route_catches_wrong_destination(void **st)
{
	(void)st;
	const char *want[] = { "127.0.0.5:5070/udp", "127.0.0.6:5070/udp" };
	struct sl_check_out o;
	sip(SL_EV_SIP_RX, 0.1, "127.0.0.5:5070", NULL, 200, "b1", "OPTIONS");
	sip(SL_EV_SIP_RX, 0.2, "127.0.0.6:5060", NULL, 200, "b1", "OPTIONS");
	sl_check_response_route(L, 200, "OPTIONS", want, 2, &o);
	assert_false(o.pass);
	assert_non_null(strstr(o.detail, "127.0.0.6:5060/udp"));
}

static void one_server_passes_and_catches_scatter(void **st)
{
	(void)st;
	struct sl_check_out o;
	for (int i = 0; i < 5; i++)
		sip(SL_EV_SIP_RX, i * 0.2, "127.0.0.2:5060", "INVITE", 0, "sl1", "INVITE");
	sl_check_one_server(L, "INVITE", 0, &o);
	assert_true(o.pass);
	assert_true(o.seen & 1);
	sip(SL_EV_SIP_RX, 1.0, "127.0.0.3:5060", "INVITE", 0, "sl1", "INVITE");
	sl_check_one_server(L, "INVITE", 0, &o);
	assert_false(o.pass);
}

static void one_server_after_answer(void **st)
{
	(void)st;
	struct sl_check_out o;
	/* sip1 failed, sip2 answered, the client retransmitted, nothing more reached a peer. */
	sip(SL_EV_SIP_TX, 0, "127.0.0.5:5070", "INVITE", 0, "u1", "INVITE");
	sip(SL_EV_SIP_RX, 0.01, "127.0.0.2:5060", "INVITE", 0, "sl1", "INVITE")->bounced = 1;
	sip(SL_EV_SIP_RX, 0.02, "127.0.0.3:5060", "INVITE", 0, "sf1", "INVITE");
	sip(SL_EV_SIP_TX, 0.03, "127.0.0.3:5060", NULL, 180, "sf1", "INVITE");
	sip(SL_EV_SIP_TX, 0.2, "127.0.0.5:5070", "INVITE", 0, "u1", "INVITE");
	sl_check_one_server(L, "INVITE", 1, &o);
	assert_true(o.pass);
	assert_true(o.seen & 1);
	/* A stateless proxy sends the retransmission to the recovered sip1. */
	sip(SL_EV_SIP_RX, 0.21, "127.0.0.2:5060", "INVITE", 0, "sl1", "INVITE");
	sl_check_one_server(L, "INVITE", 1, &o);
	assert_false(o.pass);
	assert_non_null(strstr(o.detail, "127.0.0.2:5060"));
}

static void one_server_after_answer_needs_a_retransmission(void **st)
{
	(void)st;
	struct sl_check_out o;
	sip(SL_EV_SIP_TX, 0, "127.0.0.5:5070", "INVITE", 0, "u1", "INVITE");
	sip(SL_EV_SIP_RX, 0.02, "127.0.0.3:5060", "INVITE", 0, "sf1", "INVITE");
	sip(SL_EV_SIP_TX, 0.03, "127.0.0.3:5060", NULL, 180, "sf1", "INVITE");
	sl_check_one_server(L, "INVITE", 1, &o);
	assert_false(o.seen & 1); /* nothing to judge: the check must not speak */
}

static void one_server_after_failover(void **st)
{
	(void)st;
	struct sl_check_out o;
	/* The first copy bounced at sip1, a second one reached the recovered sip1 before the
	 * proxy knew (not judged), then the failover to sip2 and the client's copies. */
	sip(SL_EV_SIP_TX, 0, "127.0.0.5:5070", "INVITE", 0, "u1", "INVITE");
	sip(SL_EV_SIP_RX, 0.01, "127.0.0.2:5060", "INVITE", 0, "sl1", "INVITE")->bounced = 1;
	sip(SL_EV_SIP_TX, 0.02, "127.0.0.5:5070", "INVITE", 0, "u1", "INVITE");
	sip(SL_EV_SIP_RX, 0.03, "127.0.0.2:5060", "INVITE", 0, "sl1", "INVITE");
	sip(SL_EV_SIP_TX, 0.04, "127.0.0.2:5060", NULL, 486, "sl1", "INVITE");
	sip(SL_EV_SIP_RX, 0.05, "127.0.0.3:5060", "INVITE", 0, "sf1", "INVITE");
	sl_check_one_server(L, "INVITE", SL_OS_FAILOVER, &o);
	assert_true(o.pass);
	assert_false(o.seen & 1); /* the client sent nothing after the failover yet */
	sip(SL_EV_SIP_TX, 0.3, "127.0.0.5:5070", "INVITE", 0, "u1", "INVITE");
	sip(SL_EV_SIP_RX, 0.31, "127.0.0.3:5060", "INVITE", 0, "sf1", "INVITE");
	sl_check_one_server(L, "INVITE", SL_OS_FAILOVER, &o);
	assert_true(o.pass);
	assert_true(o.seen & 1);
	/* "answer" would blame this run on sip1's early 486; "failover" does not. */
	sl_check_one_server(L, "INVITE", SL_OS_ANSWER, &o);
	assert_false(o.pass);
	/* A further failover to sip3 is no going back... */
	sip(SL_EV_SIP_RX, 0.4, "127.0.0.4:5060", "INVITE", 0, "sf2", "INVITE");
	sl_check_one_server(L, "INVITE", SL_OS_FAILOVER, &o);
	assert_true(o.pass);
	/* ...but a copy at a server the transaction left is, named with the client's copy. */
	struct sl_event *c = sip(SL_EV_SIP_TX, 0.5, "127.0.0.5:5070", "INVITE", 0, "u1", "INVITE");
	struct sl_event *e = sip(SL_EV_SIP_RX, 0.51, "127.0.0.2:5060", "INVITE", 0, "sl1", "INVITE");
	sl_check_one_server(L, "INVITE", SL_OS_FAILOVER, &o);
	assert_false(o.pass);
	assert_non_null(strstr(o.detail, "copy at 127.0.0.2:5060/udp (t=0.510s) after the failover "
				       "to 127.0.0.3:5060/udp"));
	int have_c = 0, have_e = 0;
	for (size_t i = 0; i < o.nev; i++) {
		have_c |= o.ev[i] == c->idx;
		have_e |= o.ev[i] == e->idx;
	}
	assert_true(have_c && have_e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(response_route_follows_attempts, setup, teardown),
		cmocka_unit_test_setup_teardown(response_route_catches_wrong_destination, setup,
						teardown),
		cmocka_unit_test_setup_teardown(one_server_passes_and_catches_scatter, setup, teardown),
		cmocka_unit_test_setup_teardown(one_server_after_answer, setup, teardown),
		cmocka_unit_test_setup_teardown(one_server_after_answer_needs_a_retransmission, setup,
						teardown),
		cmocka_unit_test_setup_teardown(one_server_after_failover, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
