/* test_ref_sip.c: ref's SIP text: the request it builds (headers the harness checks) and
 * the response fields its transactions depend on. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ref_sip.h"

static void test_build_invite(void **state)
{
	struct ref_sip_req r = {
		.method = "INVITE", .uri = "sip:alice@example.test;transport=udp", .tp = REF_TP_UDP,
		.local_host = "127.0.0.1", .local_port = 5060, .branch = "z9hG4bKabc",
		.from_tag = "ft1", .call_id = "cid@127.0.0.1", .cseq = 1, .body_len = 5,
		.user_agent = "siploc-ref/0.1",
	};
	char *m;
	size_t len;

	(void)state;
	assert_int_equal(ref_sip_build(&r, &m, &len), 0);
	assert_int_equal(strlen(m), len);
	assert_non_null(strstr(m, "INVITE sip:alice@example.test;transport=udp SIP/2.0\r\n"));
	assert_non_null(strstr(m, "\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKabc;rport\r\n"));
	assert_non_null(strstr(m, "\r\nMax-Forwards: 70\r\n"));
	assert_non_null(strstr(m, "\r\nFrom: <sip:siploc-ref@127.0.0.1>;tag=ft1\r\n"));
	assert_non_null(strstr(m, "\r\nTo: <sip:alice@example.test;transport=udp>\r\n"));
	assert_non_null(strstr(m, "\r\nCall-ID: cid@127.0.0.1\r\n"));
	assert_non_null(strstr(m, "\r\nCSeq: 1 INVITE\r\n"));
	assert_non_null(strstr(m, "\r\nContact: <sip:ref@127.0.0.1:5060>\r\n"));
	assert_non_null(strstr(m, "\r\nUser-Agent: siploc-ref/0.1\r\n"));
	assert_non_null(strstr(m, "\r\nContent-Type: text/plain\r\n"));
	assert_non_null(strstr(m, "\r\nContent-Length: 5\r\n\r\nxxxxx"));
	assert_int_equal(m[len - 1], 'x');
	free(m);
}

static void test_build_ack_v6(void **state)
{
	struct ref_sip_req r = {
		.method = "ACK", .uri = "sip:a@b.test", .tp = REF_TP_UDP, .local_host = "fd00::1",
		.local_port = 5070, .branch = "z9hG4bKx", .from_tag = "f", .to_tag = "tt",
		.call_id = "c", .cseq = 1,
	};
	char *m;
	size_t len;

	(void)state;
	assert_int_equal(ref_sip_build(&r, &m, &len), 0);
	assert_non_null(strstr(m, "Via: SIP/2.0/UDP [fd00::1]:5070;branch=z9hG4bKx;rport\r\n"));
	assert_non_null(strstr(m, "To: <sip:a@b.test>;tag=tt\r\n"));
	assert_non_null(strstr(m, "CSeq: 1 ACK\r\n"));
	assert_non_null(strstr(m, "Content-Length: 0\r\n\r\n"));
	assert_null(strstr(m, "Content-Type"));
	free(m);
}

static void test_parse_response(void **state)
{
	const char *msg =
		"SIP/2.0 503 Service Unavailable\r\n"
		"v: SIP/2.0/UDP 127.0.0.1:5060;rport=5060;branch=z9hG4bKtop;received=127.0.0.1,"
		" SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKsecond\r\n"
		"Via: SIP/2.0/UDP 10.0.0.2;branch=z9hG4bKthird\r\n"
		"From: <sip:x@y;tag=notthis>;tag=ft\r\n"
		"t: \"Bob\" <sip:bob@b.test;tag=uri-param>;tag=totag1\r\n"
		"i: abc@127.0.0.1\r\n"
		"CSeq:   7   INVITE\r\n"
		"Retry-After: 60 (maintenance);duration=10\r\n"
		"Content-Length: 0\r\n\r\n";
	struct ref_sip_rsp r;

	(void)state;
	assert_int_equal(ref_sip_parse_response(msg, strlen(msg), &r), 0);
	assert_int_equal(r.status, 503);
	assert_string_equal(r.reason, "Service Unavailable");
	assert_string_equal(r.branch, "z9hG4bKtop");
	assert_string_equal(r.to_tag, "totag1");
	assert_string_equal(r.call_id, "abc@127.0.0.1");
	assert_int_equal(r.cseq, 7);
	assert_string_equal(r.cseq_method, "INVITE");
	assert_int_equal(r.retry_after, 60);
}

static void test_parse_rejects(void **state)
{
	static const char *const bad[] = {
		"INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nCSeq: 1 INVITE\r\n\r\n",
		"SIP/2.0 99 Odd\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nCSeq: 1 INVITE\r\n\r\n",
		"SIP/2.0 200 OK\r\nCSeq: 1 INVITE\r\n\r\n",           /* no Via */
		"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\r\n", /* no CSeq */
		"SIP/2.0 2000 OK\r\n",
		"",
	};
	struct ref_sip_rsp r;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(ref_sip_parse_response(bad[i], strlen(bad[i]), &r), -EINVAL);
}

static void test_parse_no_tag_no_retry(void **state)
{
	const char *msg = "SIP/2.0 100 Trying\nVia: SIP/2.0/UDP h;branch=z9hG4bK9\n"
			  "To: <sip:a@b.test>\nCSeq: 1 OPTIONS\n\n";
	struct ref_sip_rsp r;

	(void)state;
	assert_int_equal(ref_sip_parse_response(msg, strlen(msg), &r), 0);
	assert_int_equal(r.status, 100);
	assert_string_equal(r.to_tag, "");
	assert_int_equal(r.retry_after, -1);
	assert_string_equal(r.cseq_method, "OPTIONS");
}

static void test_find_branch_truncated(void **state)
{
	const char *req = "INVITE sip:a@b SIP/2.0\r\n"
			  "Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKq1;rport\r\nMax-Forw";
	char b[64];

	(void)state;
	assert_int_equal(ref_sip_find_branch(req, strlen(req), b, sizeof(b)), 0);
	assert_string_equal(b, "z9hG4bKq1");
	assert_int_equal(ref_sip_find_branch(req, 30, b, sizeof(b)), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_invite),
		cmocka_unit_test(test_build_ack_v6),
		cmocka_unit_test(test_parse_response),
		cmocka_unit_test(test_parse_rejects),
		cmocka_unit_test(test_parse_no_tag_no_retry),
		cmocka_unit_test(test_find_branch_truncated),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
