/* test_ref_msg.c: the edits ref's server and proxy make to messages they did not build:
 * Via parsing, received=, Via push/pop, Max-Forwards, responses, derived ACK/CANCEL. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ref_msg.h"

static const char *REQ =
	"INVITE sip:bob@example.test SIP/2.0\r\n"
	"Via: SIP/2.0/UDP client.example.test:5070;branch=z9hG4bKa1;rport, "
	"SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKb2\r\n"
	"v: SIP/2.0/TCP [fd00::5];branch=z9hG4bKc3;maddr=m.test\r\n"
	"Max-Forwards: 3\r\n"
	"From: <sip:a@example.test>;tag=f1\r\n"
	"To: <sip:bob@example.test>\r\n"
	"Call-ID: cid1\r\n"
	"CSeq: 7 INVITE\r\n"
	"X-Siploc-Reply: 486\r\n"
	"Content-Length: 0\r\n\r\n";

static void test_vias(void **state)
{
	struct ref_via v;

	(void)state;
	assert_int_equal(ref_msg_top_via(REQ, &v), 0);
	assert_string_equal(v.transport, "UDP");
	assert_string_equal(v.host, "client.example.test");
	assert_false(v.host_is_ip);
	assert_int_equal(v.port, 5070);
	assert_string_equal(v.branch, "z9hG4bKa1");
	assert_true(v.rport);
	assert_int_equal(ref_msg_second_via(REQ, &v), 0);
	assert_string_equal(v.host, "10.0.0.1");
	assert_true(v.host_is_ip);
	assert_int_equal(v.port, 0);
	assert_int_equal(ref_msg_top_via("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h:0\r\n\r\n", &v),
			 -EINVAL);
	assert_int_equal(ref_msg_top_via("SIP/2.0 200 OK\r\n\r\n", &v), -ENOENT);
}

static void test_edits(void **state)
{
	char *a, *b, *c;
	struct ref_via v;
	char m[32], uri[128];
	uint32_t n;

	(void)state;
	assert_true(ref_msg_is_request(REQ));
	assert_int_equal(ref_msg_request_line(REQ, m, sizeof(m), uri, sizeof(uri)), 0);
	assert_string_equal(m, "INVITE");
	assert_string_equal(uri, "sip:bob@example.test");
	assert_int_equal(ref_msg_cseq(REQ, &n, m, sizeof(m)), 0);
	assert_int_equal(n, 7);
	assert_int_equal(ref_msg_via_received(REQ, "127.0.0.5", &a, NULL), 0);
	assert_int_equal(ref_msg_top_via(a, &v), 0);
	assert_string_equal(v.received, "127.0.0.5");
	assert_int_equal(ref_msg_push_header(a, "Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKsl1",
					     &b, NULL), 0);
	assert_int_equal(ref_msg_top_via(b, &v), 0);
	assert_string_equal(v.branch, "z9hG4bKsl1");
	assert_int_equal(ref_msg_pop_via(b, &c, NULL), 0);
	assert_string_equal(c, a);
	free(c);
	/* Popping a value shared with others on one line keeps the rest of the line. */
	assert_int_equal(ref_msg_pop_via(a, &c, NULL), 0);
	assert_int_equal(ref_msg_top_via(c, &v), 0);
	assert_string_equal(v.host, "10.0.0.1");
	free(c);
	assert_int_equal(ref_msg_max_forwards(a, &c, NULL), 0);
	assert_non_null(strstr(c, "\r\nMax-Forwards: 2\r\n"));
	free(c);
	assert_int_equal(ref_msg_max_forwards("OPTIONS sip:x SIP/2.0\r\nMax-Forwards: 0\r\n\r\n",
					      &c, NULL), -ELOOP);
	free(a);
	free(b);
}

static void test_response_and_derived(void **state)
{
	char *r, *ack, tag[32], v[64];

	(void)state;
	assert_int_equal(ref_msg_response(REQ, 486, "Busy Here", "t9", &r, NULL), 0);
	assert_int_equal(ref_msg_status(r), 486);
	assert_int_equal(strncmp(r, "SIP/2.0 486 Busy Here\r\n", 23), 0);
	assert_int_equal(ref_msg_tag(r, true, tag, sizeof(tag)), 0);
	assert_string_equal(tag, "t9");
	/* Every Via line goes back, in order. */
	assert_non_null(strstr(r, "Via: SIP/2.0/UDP client.example.test:5070;branch=z9hG4bKa1"));
	assert_non_null(strstr(r, "v: SIP/2.0/TCP [fd00::5]"));
	assert_int_equal(ref_msg_header(REQ, "X-Siploc-Reply", 0, 0, v, sizeof(v)), 0);
	assert_string_equal(v, "486");
	assert_int_equal(ref_msg_derive(REQ, "ACK", "t9", &ack, NULL), 0);
	assert_int_equal(strncmp(ack, "ACK sip:bob@example.test SIP/2.0\r\n", 34), 0);
	assert_non_null(strstr(ack, "\r\nCSeq: 7 ACK\r\n"));
	assert_non_null(strstr(ack, ";tag=t9"));
	/* Only the top Via: the hop's own. */
	assert_null(strstr(ack, "10.0.0.1"));
	free(ack);
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vias),
		cmocka_unit_test(test_edits),
		cmocka_unit_test(test_response_and_derived),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
