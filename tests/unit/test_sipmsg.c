/* test_sipmsg.c: unit tests for sl_sipmsg (parse, accessors, build_response, stream framing).
 * Inputs are copied into exact-size heap buffers so ASan catches any read past len. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sl_sipmsg.h"

static char *dup_exact(const char *s, size_t n)
{
	char *p = malloc(n ? n : 1);
	assert_non_null(p);
	memcpy(p, s, n);
	return p;
}

static int parse_n(const char *s, size_t n, struct sl_sipmsg **mp, char *err, size_t errlen)
{
	char *b = dup_exact(s, n);
	int rc = sl_sipmsg_parse(b, n, mp, err, errlen);
	free(b);
	return rc;
}

static struct sl_sipmsg *parse_ok(const char *s)
{
	struct sl_sipmsg *m = NULL;
	char err[128] = "";
	int rc = parse_n(s, strlen(s), &m, err, sizeof(err));
	if (rc)
		print_error("parse failed: %d %s\n", rc, err);
	assert_int_equal(rc, 0);
	assert_non_null(m);
	return m;
}

static ssize_t frame_n(const char *s, size_t n)
{
	char *b = dup_exact(s, n);
	ssize_t r = sl_sipmsg_frame(b, n);
	free(b);
	return r;
}

#define frame_s(s) frame_n((s), strlen(s))

static const char INVITE[] =
	"INVITE sip:bob@biloxi.example.com;transport=tcp SIP/2.0\r\n"
	"Via: SIP/2.0/UDP pc33.atlanta.example.com:5066;branch=z9hG4bKnashds8;rport\r\n"
	"Via: SIP/2.0/TCP proxy1.example.net;branch=z9hG4bK77ef4c2312983.1\r\n"
	"Via: SIP/2.0/UDP [2001:db8::9]:5070;branch=z9hG4bKx;x=\"a,b\" , "
	"SIP/2.0/TLS 192.0.2.4:5061;branch=z9hG4bKlast\r\n"
	"Max-Forwards: 70\r\n"
	"To: Bob <sip:bob@biloxi.example.com>\r\n"
	"From: \"Alice, A.; the \\\"first\\\"\" <sip:alice@atlanta.example.com;lr;tag=uri>;tag=1928301774\r\n"
	"Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
	"CSeq: 314159 INVITE\r\n"
	"Contact: <sip:alice@pc33.atlanta.example.com>\r\n"
	"Content-Type: application/sdp\r\n"
	"Content-Length: 4\r\n"
	"\r\n"
	"v=0\n";

static void test_invite_vias(void **state)
{
	struct sl_sipmsg *m = parse_ok(INVITE);
	size_t bl;
	(void)state;

	assert_true(sl_sipmsg_is_request(m));
	assert_string_equal(sl_sipmsg_method(m), "INVITE");
	assert_string_equal(sl_sipmsg_uri(m), "sip:bob@biloxi.example.com;transport=tcp");
	assert_int_equal(sl_sipmsg_status(m), 0);
	assert_null(sl_sipmsg_reason(m));

	assert_int_equal(sl_sipmsg_header_count(m, "Via"), 4);
	assert_string_equal(sl_sipmsg_header(m, "Via", 0),
			    "SIP/2.0/UDP pc33.atlanta.example.com:5066;branch=z9hG4bKnashds8;rport");
	assert_string_equal(sl_sipmsg_header(m, "Via", 1),
			    "SIP/2.0/TCP proxy1.example.net;branch=z9hG4bK77ef4c2312983.1");
	assert_string_equal(sl_sipmsg_header(m, "Via", 2),
			    "SIP/2.0/UDP [2001:db8::9]:5070;branch=z9hG4bKx;x=\"a,b\"");
	assert_string_equal(sl_sipmsg_header(m, "Via", 3),
			    "SIP/2.0/TLS 192.0.2.4:5061;branch=z9hG4bKlast");
	assert_null(sl_sipmsg_header(m, "Via", 4));

	assert_string_equal(sl_sipmsg_via_transport(m), "UDP");
	assert_string_equal(sl_sipmsg_via_host(m), "pc33.atlanta.example.com");
	assert_int_equal(sl_sipmsg_via_port(m), 5066);
	assert_string_equal(sl_sipmsg_via_branch(m), "z9hG4bKnashds8");
	assert_int_equal(sl_sipmsg_via_rport(m), 1);
	assert_string_equal(sl_sipmsg_via_param(m, "RPORT"), "");
	assert_null(sl_sipmsg_via_param(m, "received"));

	assert_string_equal(sl_sipmsg_call_id(m), "a84b4c76e66710@pc33.atlanta.example.com");
	assert_int_equal(sl_sipmsg_cseq_num(m), 314159);
	assert_string_equal(sl_sipmsg_cseq_method(m), "INVITE");
	assert_string_equal(sl_sipmsg_from_tag(m), "1928301774");
	assert_null(sl_sipmsg_to_tag(m));
	assert_string_equal(sl_sipmsg_header(m, "Max-Forwards", 0), "70");
	assert_null(sl_sipmsg_header(m, "Max-Forwards", 1));
	assert_null(sl_sipmsg_header(m, "Subject", 0));
	assert_int_equal(sl_sipmsg_header_count(m, "Subject"), 0);
	/* Only Via is split at commas. */
	assert_string_equal(sl_sipmsg_header(m, "From", 0),
			    "\"Alice, A.; the \\\"first\\\"\" <sip:alice@atlanta.example.com;lr;tag=uri>;tag=1928301774");
	assert_string_equal(sl_sipmsg_body(m, &bl), "v=0\n");
	assert_int_equal(bl, 4);
	sl_sipmsg_free(m);
}

/* Two Via header lines, the second carrying two comma-separated values: three entries. */
static void test_via_two_lines_three_entries(void **state)
{
	struct sl_sipmsg *m = parse_ok(
		"INVITE sip:b@example.com SIP/2.0\r\n"
		"Via: SIP/2.0/UDP a.example.com;branch=z9hG4bKa\r\n"
		"Via: SIP/2.0/UDP b.example.com;branch=z9hG4bKb,SIP/2.0/TCP c.example.com:5062;branch=z9hG4bKc\r\n"
		"CSeq: 1 INVITE\r\n\r\n");
	(void)state;

	assert_int_equal(sl_sipmsg_header_count(m, "Via"), 3);
	assert_string_equal(sl_sipmsg_header(m, "Via", 0), "SIP/2.0/UDP a.example.com;branch=z9hG4bKa");
	assert_string_equal(sl_sipmsg_header(m, "Via", 1), "SIP/2.0/UDP b.example.com;branch=z9hG4bKb");
	assert_string_equal(sl_sipmsg_header(m, "v", 2), "SIP/2.0/TCP c.example.com:5062;branch=z9hG4bKc");
	assert_null(sl_sipmsg_header(m, "Via", 3));
	assert_string_equal(sl_sipmsg_via_branch(m), "z9hG4bKa");
	sl_sipmsg_free(m);
}

static void test_compact_forms(void **state)
{
	struct sl_sipmsg *m = parse_ok(
		"OPTIONS sip:x@example.com SIP/2.0\r\n"
		"v: SIP/2.0/UDP h1.example.com;branch=z9hG4bK1\r\n"
		"Via: SIP/2.0/UDP h2.example.com;branch=z9hG4bK2\r\n"
		"V: SIP/2.0/UDP h3.example.com;branch=z9hG4bK3\r\n"
		"i: cid-1\r\n"
		"f: <sip:a@example.com>;tag=ft\r\n"
		"t: <sip:x@example.com>;tag=tt\r\n"
		"m: <sip:a@192.0.2.1>\r\n"
		"c: text/plain\r\n"
		"s: hi there\r\n"
		"k: path, outbound\r\n"
		"e: gzip\r\n"
		"CSeq: 2 OPTIONS\r\n"
		"l: 2\r\n"
		"\r\n"
		"ok");
	size_t bl;
	(void)state;

	assert_int_equal(sl_sipmsg_header_count(m, "via"), 3);
	assert_int_equal(sl_sipmsg_header_count(m, "v"), 3);
	assert_string_equal(sl_sipmsg_header(m, "Via", 2), "SIP/2.0/UDP h3.example.com;branch=z9hG4bK3");
	assert_string_equal(sl_sipmsg_header(m, "V", 1), "SIP/2.0/UDP h2.example.com;branch=z9hG4bK2");
	assert_string_equal(sl_sipmsg_call_id(m), "cid-1");
	assert_string_equal(sl_sipmsg_header(m, "Call-ID", 0), "cid-1");
	assert_string_equal(sl_sipmsg_header(m, "i", 0), "cid-1");
	assert_string_equal(sl_sipmsg_from_tag(m), "ft");
	assert_string_equal(sl_sipmsg_to_tag(m), "tt");
	assert_string_equal(sl_sipmsg_header(m, "Contact", 0), "<sip:a@192.0.2.1>");
	assert_string_equal(sl_sipmsg_header(m, "content-type", 0), "text/plain");
	assert_string_equal(sl_sipmsg_header(m, "Subject", 0), "hi there");
	assert_string_equal(sl_sipmsg_header(m, "Supported", 0), "path, outbound");
	assert_string_equal(sl_sipmsg_header(m, "Content-Encoding", 0), "gzip");
	assert_string_equal(sl_sipmsg_header(m, "Content-Length", 0), "2");
	assert_string_equal(sl_sipmsg_header(m, "L", 0), "2");
	assert_string_equal(sl_sipmsg_via_host(m), "h1.example.com");
	assert_memory_equal(sl_sipmsg_body(m, &bl), "ok", 2);
	assert_int_equal(bl, 2);
	sl_sipmsg_free(m);
}

static void test_folding(void **state)
{
	struct sl_sipmsg *m = parse_ok(
		"MESSAGE sip:x@example.com SIP/2.0\r\n"
		"Via: SIP/2.0/UDP h1.example.com\r\n"
		" ;branch=z9hG4bKfold ,\r\n"
		"\t SIP/2.0/UDP h2.example.com;branch=z9hG4bK2\r\n"
		"Subject: I know you're there,   \r\n"
		"   pick up the phone\r\n"
		"\tand talk to me!\r\n"
		"Empty:\r\n"
		"Empty2:   \r\n"
		"   \r\n"
		"CSeq:\r\n 9\r\n  MESSAGE\r\n"
		"\r\n");
	(void)state;

	assert_string_equal(sl_sipmsg_header(m, "Subject", 0),
			    "I know you're there, pick up the phone and talk to me!");
	assert_int_equal(sl_sipmsg_header_count(m, "Via"), 2);
	assert_string_equal(sl_sipmsg_header(m, "Via", 0),
			    "SIP/2.0/UDP h1.example.com ;branch=z9hG4bKfold");
	assert_string_equal(sl_sipmsg_via_branch(m), "z9hG4bKfold");
	assert_int_equal(sl_sipmsg_via_port(m), 0);
	assert_string_equal(sl_sipmsg_header(m, "Empty", 0), "");
	assert_string_equal(sl_sipmsg_header(m, "Empty2", 0), "");
	assert_int_equal(sl_sipmsg_cseq_num(m), 9);
	assert_string_equal(sl_sipmsg_cseq_method(m), "MESSAGE");
	sl_sipmsg_free(m);
}

static void test_lf_only(void **state)
{
	struct sl_sipmsg *m = parse_ok(
		"\n\r\nBYE sip:x@example.com SIP/2.0\n"
		"Via: SIP/2.0/UDP h.example.com:5080;branch=z9hG4bKlf\n"
		"Subject: a\n b\n"
		"CSeq: 3 BYE\n"
		"Content-Length: 3\n"
		"\n"
		"abcdef");
	size_t bl;
	const char *body;
	(void)state;

	assert_string_equal(sl_sipmsg_method(m), "BYE");
	assert_string_equal(sl_sipmsg_header(m, "Subject", 0), "a b");
	assert_int_equal(sl_sipmsg_via_port(m), 5080);
	assert_string_equal(sl_sipmsg_cseq_method(m), "BYE");
	body = sl_sipmsg_body(m, &bl);
	assert_int_equal(bl, 3);
	assert_string_equal(body, "abc"); /* Content-Length limits, extra bytes dropped */
	sl_sipmsg_free(m);
}

static void test_case_insensitive(void **state)
{
	struct sl_sipmsg *m = parse_ok(
		"register sip:registrar.example.com sip/2.0\r\n"
		"VIA: SIP/2.0/udp h.example.com;BRANCH=z9hG4bKAbC\r\n"
		"cAlL-iD: x\r\n"
		"FROM: <sip:a@example.com>;TAG=Up\r\n"
		"cseq  :   7 register\r\n"
		"content-LENGTH: 0\r\n"
		"\r\n");
	(void)state;

	assert_string_equal(sl_sipmsg_method(m), "register");
	assert_string_equal(sl_sipmsg_header(m, "Call-ID", 0), "x");
	assert_string_equal(sl_sipmsg_header(m, "CALL-ID", 0), "x");
	assert_int_equal(sl_sipmsg_header_count(m, "via"), 1);
	assert_string_equal(sl_sipmsg_via_transport(m), "udp");
	/* Parameter names are case-insensitive, values kept as written. */
	assert_string_equal(sl_sipmsg_via_branch(m), "z9hG4bKAbC");
	assert_string_equal(sl_sipmsg_from_tag(m), "Up");
	assert_int_equal(sl_sipmsg_cseq_num(m), 7);
	assert_string_equal(sl_sipmsg_cseq_method(m), "register");
	sl_sipmsg_free(m);
}

static const char *tag_of(const char *from)
{
	static char buf[512];
	static char out[128];
	struct sl_sipmsg *m;
	const char *t;

	snprintf(buf, sizeof(buf), "ACK sip:a@b SIP/2.0\r\nFrom: %s\r\n\r\n", from);
	m = parse_ok(buf);
	t = sl_sipmsg_from_tag(m);
	if (t)
		snprintf(out, sizeof(out), "%s", t);
	sl_sipmsg_free(m);
	return t ? out : NULL;
}

static void test_tags(void **state)
{
	(void)state;
	assert_string_equal(tag_of("<sip:a@b;lr>;tag=x"), "x");
	assert_null(tag_of("<sip:a@b;lr;tag=inside>"));
	assert_string_equal(tag_of("<sip:a@b;tag=inside>;foo;tag=outer"), "outer");
	assert_string_equal(tag_of("\"A, B\" <sip:a@b>;tag=q1"), "q1");
	assert_string_equal(tag_of("\"A; tag=no\" <sip:a@b>;tag=q2"), "q2");
	assert_string_equal(tag_of("\"A <sip:x@y>;tag=no\" <sip:a@b>;tag=q3"), "q3");
	assert_string_equal(tag_of("\"esc \\\" <;tag=no>\" <sip:a@b>;tag=q4"), "q4");
	assert_string_equal(tag_of("Bob Smith <sip:a@b>  ;  TAG = q5 ;x=1"), "q5");
	assert_string_equal(tag_of("sip:a@b;tag=addrspec"), "addrspec");
	assert_string_equal(tag_of("<sip:a@b>;tag=\"quoted\""), "\"quoted\"");
	assert_string_equal(tag_of("<sips:a@b?subject=x;y>;tag=hdrs"), "hdrs");
	assert_string_equal(tag_of("<sip:a@b>;tagx=1;xtag=2;tag=t6"), "t6");
	assert_null(tag_of("<sip:a@b>"));
	assert_null(tag_of("sip:a@b"));
	assert_null(tag_of("\"unterminated <sip:a@b>;tag=x"));
	assert_null(tag_of("<sip:a@b;tag=x"));
	assert_null(tag_of("<sip:a@b> junk;tag=x"));
	assert_null(tag_of("<sip:a@b>;tag="));
	assert_null(tag_of(""));
}

static struct sl_sipmsg *via_msg(const char *via)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "OPTIONS sip:a@b SIP/2.0\r\nVia: %s\r\n\r\n", via);
	return parse_ok(buf);
}

static void test_top_via(void **state)
{
	struct sl_sipmsg *m;
	(void)state;

	m = via_msg("SIP / 2.0 / TCP  host.example.com : 5061 ; branch = z9hG4bKsp ; received=192.0.2.9");
	assert_string_equal(sl_sipmsg_via_transport(m), "TCP");
	assert_string_equal(sl_sipmsg_via_host(m), "host.example.com");
	assert_int_equal(sl_sipmsg_via_port(m), 5061);
	assert_string_equal(sl_sipmsg_via_branch(m), "z9hG4bKsp");
	assert_string_equal(sl_sipmsg_via_param(m, "received"), "192.0.2.9");
	assert_int_equal(sl_sipmsg_via_rport(m), 0);
	sl_sipmsg_free(m);

	m = via_msg("SIP/2.0/SCTP [2001:db8::1];rport=5060;branch=z9hG4bK6");
	assert_string_equal(sl_sipmsg_via_transport(m), "SCTP");
	assert_string_equal(sl_sipmsg_via_host(m), "2001:db8::1");
	assert_int_equal(sl_sipmsg_via_port(m), 0);
	assert_int_equal(sl_sipmsg_via_rport(m), 1);
	assert_string_equal(sl_sipmsg_via_param(m, "rport"), "5060");
	sl_sipmsg_free(m);

	m = via_msg("SIP/2.0/UDP 192.0.2.1:65535");
	assert_string_equal(sl_sipmsg_via_host(m), "192.0.2.1");
	assert_int_equal(sl_sipmsg_via_port(m), 65535);
	assert_null(sl_sipmsg_via_branch(m));
	sl_sipmsg_free(m);

	/* Malformed top Vias: the message parses, the pieces are absent. */
	static const char *const bad[] = {
		"SIP/2.0/UDP", "SIP/2.0 UDP h", "SIP/2.0/UDP h:0", "SIP/2.0/UDP h:65536",
		"SIP/2.0/UDP h:12a", "SIP/2.0/UDP [::1", "SIP/2.0/UDP h;=x", "SIP/2.0/UDP h junk",
		"SIP/2.0/UDP h;branch=\"open", "garbage",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		m = via_msg(bad[i]);
		assert_string_equal(sl_sipmsg_header(m, "Via", 0), bad[i]);
		assert_null(sl_sipmsg_via_transport(m));
		assert_null(sl_sipmsg_via_host(m));
		assert_int_equal(sl_sipmsg_via_port(m), 0);
		assert_null(sl_sipmsg_via_branch(m));
		sl_sipmsg_free(m);
	}
}

static void test_missing_headers(void **state)
{
	struct sl_sipmsg *m = parse_ok("ACK sip:a@b SIP/2.0\r\n\r\n");
	size_t bl = 99;
	(void)state;

	assert_null(sl_sipmsg_header(m, "Via", 0));
	assert_null(sl_sipmsg_via_transport(m));
	assert_null(sl_sipmsg_via_branch(m));
	assert_null(sl_sipmsg_call_id(m));
	assert_int_equal(sl_sipmsg_cseq_num(m), 0);
	assert_null(sl_sipmsg_cseq_method(m));
	assert_null(sl_sipmsg_from_tag(m));
	assert_null(sl_sipmsg_to_tag(m));
	assert_non_null(sl_sipmsg_body(m, &bl));
	assert_int_equal(bl, 0);
	sl_sipmsg_free(m);
}

static void test_body(void **state)
{
	struct sl_sipmsg *m;
	const char *b;
	size_t bl;
	char err[128];
	static const char cl6[] = "INFO sip:a@b SIP/2.0\r\nContent-Length: 6\r\n\r\nxyz";
	static const char bin[] = "INFO sip:a@b SIP/2.0\r\nContent-Length: 5\r\n\r\na\0b\r\nTRAIL";
	(void)state;

	m = parse_ok("INFO sip:a@b SIP/2.0\r\nContent-Length : 0\r\n\r\nignored");
	b = sl_sipmsg_body(m, &bl);
	assert_int_equal(bl, 0);
	assert_string_equal(b, "");
	sl_sipmsg_free(m);

	m = parse_ok("INFO sip:a@b SIP/2.0\r\n\r\nrest of\r\ndatagram");
	b = sl_sipmsg_body(m, &bl);
	assert_int_equal(bl, 17);
	assert_string_equal(b, "rest of\r\ndatagram");
	sl_sipmsg_free(m);

	assert_int_equal(parse_n(bin, sizeof(bin) - 1, &m, err, sizeof(err)), 0);
	b = sl_sipmsg_body(m, &bl);
	assert_int_equal(bl, 5);
	assert_memory_equal(b, "a\0b\r\n", 5);
	sl_sipmsg_free(m);

	m = parse_ok("INFO sip:a@b SIP/2.0\r\nContent-Length: 3\r\nl: 3\r\n\r\nxyz");
	b = sl_sipmsg_body(m, &bl);
	assert_int_equal(bl, 3);
	sl_sipmsg_free(m);

	m = (struct sl_sipmsg *)1;
	assert_int_equal(parse_n(cl6, strlen(cl6), &m, err, sizeof(err)), -EBADMSG);
	assert_null(m);
	assert_non_null(strstr(err, "Content-Length 6 exceeds datagram"));
}

static void test_response(void **state)
{
	struct sl_sipmsg *m;
	(void)state;

	m = parse_ok("SIP/2.0 503 Service Unavailable\r\n"
		     "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKr\r\n"
		     "To: <sip:b@example.com>;tag=abc\r\n"
		     "From: <sip:a@example.com>;tag=def\r\n"
		     "Call-ID: c1\r\n"
		     "CSeq: 1 INVITE\r\n"
		     "Retry-After: 60\r\n"
		     "Content-Length: 0\r\n\r\n");
	assert_false(sl_sipmsg_is_request(m));
	assert_int_equal(sl_sipmsg_status(m), 503);
	assert_string_equal(sl_sipmsg_reason(m), "Service Unavailable");
	assert_null(sl_sipmsg_method(m));
	assert_null(sl_sipmsg_uri(m));
	assert_string_equal(sl_sipmsg_to_tag(m), "abc");
	assert_string_equal(sl_sipmsg_from_tag(m), "def");
	assert_string_equal(sl_sipmsg_cseq_method(m), "INVITE");
	assert_string_equal(sl_sipmsg_header(m, "retry-after", 0), "60");
	sl_sipmsg_free(m);

	m = parse_ok("sip/2.0 180 \r\n\r\n");
	assert_int_equal(sl_sipmsg_status(m), 180);
	assert_string_equal(sl_sipmsg_reason(m), "");
	sl_sipmsg_free(m);

	m = parse_ok("SIP/2.0 699 Odd \t reason, with UTF-8 \xc3\xa9\r\n\r\n");
	assert_int_equal(sl_sipmsg_status(m), 699);
	assert_string_equal(sl_sipmsg_reason(m), "Odd \t reason, with UTF-8 \xc3\xa9");
	sl_sipmsg_free(m);
}

static void test_build_response_body_and_contact(void **state)
{
	struct sl_sipmsg *req = parse_ok(INVITE), *rsp;
	char out[2048], err[128], c[128];
	const char *sdp = "v=0\r\ns=x\r\n";
	size_t blen;
	int n;
	(void)state;

	n = sl_sipmsg_build_response_body(req, 200, NULL, "t1", "Contact: <sip:b@127.0.0.2:5070>;q=1\r\n",
					  "application/sdp", sdp, out, sizeof(out));
	assert_true(n > 0);
	assert_int_equal(sl_sipmsg_frame(out, (size_t)n), n);
	assert_int_equal(parse_n(out, (size_t)n, &rsp, err, sizeof(err)), 0);
	assert_string_equal(sl_sipmsg_header(rsp, "Content-Type", 0), "application/sdp");
	assert_string_equal(sl_sipmsg_body(rsp, &blen), sdp);
	assert_int_equal(blen, strlen(sdp));
	assert_string_equal(sl_sipmsg_contact_uri(rsp, c, sizeof(c)), "sip:b@127.0.0.2:5070");
	assert_null(sl_sipmsg_contact_uri(rsp, c, 5)); /* does not fit */
	sl_sipmsg_free(rsp);
	/* A body needs its type; a type may not hold a line break. */
	assert_int_equal(sl_sipmsg_build_response_body(req, 200, NULL, "t1", NULL, NULL, sdp, out,
						       sizeof(out)), -EINVAL);
	assert_int_equal(sl_sipmsg_build_response_body(req, 200, NULL, "t1", NULL, "a\r\nb: c", sdp,
						       out, sizeof(out)), -EINVAL);
	/* Without <>, header parameters are not the URI's (RFC 3261 20.10); none at all. */
	n = sl_sipmsg_build_response(req, 200, NULL, "t1", "m: sip:b@h.test;expires=60\r\n", out,
				     sizeof(out));
	assert_int_equal(parse_n(out, (size_t)n, &rsp, err, sizeof(err)), 0);
	assert_string_equal(sl_sipmsg_contact_uri(rsp, c, sizeof(c)), "sip:b@h.test");
	sl_sipmsg_free(rsp);
	n = sl_sipmsg_build_response(req, 200, NULL, "t1", NULL, out, sizeof(out));
	assert_int_equal(parse_n(out, (size_t)n, &rsp, err, sizeof(err)), 0);
	assert_null(sl_sipmsg_contact_uri(rsp, c, sizeof(c)));
	sl_sipmsg_free(rsp);
	sl_sipmsg_free(req);
}

static void test_build_response(void **state)
{
	struct sl_sipmsg *req = parse_ok(INVITE), *rsp;
	char out[2048], err[128];
	int n;
	(void)state;

	n = sl_sipmsg_build_response(req, 503, NULL, "srv77", "Retry-After: 60\r\n", out,
				     sizeof(out));
	assert_true(n > 0);
	assert_int_equal((size_t)n, strlen(out));
	assert_int_equal(strncmp(out, "SIP/2.0 503 Service Unavailable\r\n", 33), 0);
	assert_non_null(strstr(out, "\r\nRetry-After: 60\r\nContent-Length: 0\r\n\r\n"));
	assert_int_equal(sl_sipmsg_frame(out, (size_t)n), n);
	assert_int_equal(parse_n(out, (size_t)n, &rsp, err, sizeof(err)), 0);
	assert_int_equal(sl_sipmsg_status(rsp), 503);
	assert_string_equal(sl_sipmsg_reason(rsp), "Service Unavailable");
	assert_int_equal(sl_sipmsg_header_count(rsp, "Via"), 4);
	for (unsigned i = 0; i < 4; i++)
		assert_string_equal(sl_sipmsg_header(rsp, "Via", i), sl_sipmsg_header(req, "Via", i));
	assert_string_equal(sl_sipmsg_via_branch(rsp), "z9hG4bKnashds8");
	assert_string_equal(sl_sipmsg_header(rsp, "From", 0), sl_sipmsg_header(req, "From", 0));
	assert_string_equal(sl_sipmsg_from_tag(rsp), "1928301774");
	assert_string_equal(sl_sipmsg_header(rsp, "To", 0),
			    "Bob <sip:bob@biloxi.example.com>;tag=srv77");
	assert_string_equal(sl_sipmsg_to_tag(rsp), "srv77");
	assert_string_equal(sl_sipmsg_call_id(rsp), sl_sipmsg_call_id(req));
	assert_int_equal(sl_sipmsg_cseq_num(rsp), 314159);
	assert_string_equal(sl_sipmsg_cseq_method(rsp), "INVITE");
	assert_string_equal(sl_sipmsg_header(rsp, "Retry-After", 0), "60");
	assert_string_equal(sl_sipmsg_header(rsp, "Content-Length", 0), "0");
	sl_sipmsg_free(rsp);

	/* Every too-small buffer is refused, never overrun. */
	for (size_t sz = 0; sz <= (size_t)n; sz++) {
		char *small = malloc(sz ? sz : 1);
		assert_int_equal(sl_sipmsg_build_response(req, 503, NULL, "srv77",
							  "Retry-After: 60\r\n", small, sz), -ENOSPC);
		free(small);
	}

	/* 100 needs no tag; custom reason. */
	n = sl_sipmsg_build_response(req, 100, "Trying hard", NULL, NULL, out, sizeof(out));
	assert_true(n > 0);
	assert_int_equal(parse_n(out, (size_t)n, &rsp, err, sizeof(err)), 0);
	assert_string_equal(sl_sipmsg_reason(rsp), "Trying hard");
	assert_null(sl_sipmsg_to_tag(rsp));
	sl_sipmsg_free(rsp);

	/* Invalid arguments. */
	assert_int_equal(sl_sipmsg_build_response(req, 180, NULL, NULL, NULL, out, sizeof(out)), -EINVAL);
	assert_int_equal(sl_sipmsg_build_response(req, 180, NULL, "a b", NULL, out, sizeof(out)), -EINVAL);
	assert_int_equal(sl_sipmsg_build_response(req, 99, NULL, "t", NULL, out, sizeof(out)), -EINVAL);
	assert_int_equal(sl_sipmsg_build_response(req, 700, NULL, "t", NULL, out, sizeof(out)), -EINVAL);
	assert_int_equal(sl_sipmsg_build_response(req, 200, "O\r\nK", "t", NULL, out, sizeof(out)), -EINVAL);
	assert_int_equal(sl_sipmsg_build_response(req, 200, NULL, "t", "X: 1", out, sizeof(out)), -EINVAL);
	assert_int_equal(sl_sipmsg_build_response(req, 200, NULL, "t", "X: 1\r\n\r\n", out, sizeof(out)), -EINVAL);
	assert_int_equal(sl_sipmsg_build_response(NULL, 200, NULL, "t", NULL, out, sizeof(out)), -EINVAL);
	sl_sipmsg_free(req);

	/* A To that already has a tag keeps it; a response is not a request. */
	req = parse_ok("BYE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKq\r\n"
		       "To: <sip:a@b>;tag=old\r\nCSeq: 5 BYE\r\n\r\n");
	n = sl_sipmsg_build_response(req, 481, NULL, "new", NULL, out, sizeof(out));
	assert_true(n > 0);
	assert_string_equal(out, "SIP/2.0 481 Call/Transaction Does Not Exist\r\n"
				 "Via: SIP/2.0/UDP h;branch=z9hG4bKq\r\n"
				 "To: <sip:a@b>;tag=old\r\n"
				 "CSeq: 5 BYE\r\n"
				 "Content-Length: 0\r\n\r\n");
	sl_sipmsg_free(req);
	req = parse_ok("SIP/2.0 200 OK\r\n\r\n");
	assert_int_equal(sl_sipmsg_build_response(req, 200, NULL, "t", NULL, out, sizeof(out)), -EINVAL);
	sl_sipmsg_free(req);
}

static const char STREAM1[] =
	"MESSAGE sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\n"
	"Content-Length: 5\r\n\r\nhello";
static const char STREAM2[] =
	"SIP/2.0 200 OK\nl:\n 0\n\n";

static void test_frame_two_messages(void **state)
{
	char buf[512];
	size_t n1 = strlen(STREAM1), n2 = strlen(STREAM2), off;
	ssize_t r;
	struct sl_sipmsg *m;
	char err[128];
	(void)state;

	snprintf(buf, sizeof(buf), "%s%s%s", STREAM1, STREAM2, "INVITE sip:x");
	r = frame_n(buf, strlen(buf));
	assert_int_equal(r, (ssize_t)n1);
	assert_int_equal(parse_n(buf, (size_t)r, &m, err, sizeof(err)), 0);
	assert_string_equal(sl_sipmsg_body(m, NULL), "hello");
	sl_sipmsg_free(m);
	off = (size_t)r;
	r = frame_n(buf + off, strlen(buf) - off);
	assert_int_equal(r, (ssize_t)n2);
	assert_int_equal(parse_n(buf + off, (size_t)r, &m, err, sizeof(err)), 0);
	assert_int_equal(sl_sipmsg_status(m), 200);
	sl_sipmsg_free(m);
	off += (size_t)r;
	assert_int_equal(frame_n(buf + off, strlen(buf) - off), 0);
}

static void test_frame_split_every_offset(void **state)
{
	char buf[512];
	size_t n1 = strlen(STREAM1), total, k;
	(void)state;

	snprintf(buf, sizeof(buf), "%s%s", STREAM1, STREAM2);
	total = strlen(buf);
	for (k = 0; k < n1; k++)
		assert_int_equal(frame_n(buf, k), 0);
	for (k = n1; k <= total; k++)
		assert_int_equal(frame_n(buf, k), (ssize_t)n1);
	for (k = n1; k < total; k++)
		assert_int_equal(frame_n(buf + n1, k - n1), 0);
	assert_int_equal(frame_n(buf + n1, total - n1), (ssize_t)(total - n1));
}

static void test_frame_errors(void **state)
{
	char *big;
	size_t n;
	(void)state;

	assert_int_equal(frame_s("OPTIONS sip:a@b SIP/2.0\r\nVia: x\r\n\r\n"), -EBADMSG);
	assert_int_equal(frame_s("OPTIONS sip:a@b SIP/2.0\r\nContent-Length: x\r\n\r\n"), -EBADMSG);
	assert_int_equal(frame_s("OPTIONS sip:a@b SIP/2.0\r\nl: 1\r\nl: 2\r\n\r\n"), -EBADMSG);
	assert_int_equal(frame_s("OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 70000\r\n\r\n"), -EBADMSG);
	assert_int_equal(frame_n("OPTIONS sip:a@b\0SIP/2.0\r\n", 25), -EBADMSG);
	/* X-Content-Length is not Content-Length. */
	assert_int_equal(frame_s("A sip:a SIP/2.0\r\nX-Content-Length: 0\r\n\r\n"), -EBADMSG);
	/* Still incomplete headers: wait. */
	assert_int_equal(frame_s("OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 0\r\n"), 0);
	assert_int_equal(sl_sipmsg_frame(NULL, 0), 0);

	/* Header section that never ends within 64 KiB. */
	n = SL_SIPMSG_MAX_LEN + 1;
	big = malloc(n);
	assert_non_null(big);
	memset(big, 'a', n);
	memcpy(big, "OPTIONS sip:a@b SIP/2.0\r\nX: ", 28);
	assert_int_equal(sl_sipmsg_frame(big, n - 1), -EBADMSG);
	assert_int_equal(sl_sipmsg_frame(big, n - 2), 0);
	free(big);
}

static void test_crlf_keepalive(void **state)
{
	char buf[512];
	size_t skip, n;
	ssize_t r;
	(void)state;

	assert_int_equal(sl_sipmsg_skip_crlf("\r\n\r\n", 4), 4);
	assert_int_equal(sl_sipmsg_skip_crlf("\r\n\r\nX", 5), 4);
	assert_int_equal(sl_sipmsg_skip_crlf("X\r\n", 3), 0);
	assert_int_equal(sl_sipmsg_skip_crlf("", 0), 0);
	/* CRLFs alone are never a message. */
	assert_int_equal(frame_s("\r\n\r\n"), 0);
	assert_int_equal(frame_s("\r\n"), 0);

	snprintf(buf, sizeof(buf), "\r\n\r\n%s\r\n%s", STREAM1, STREAM2);
	n = strlen(buf);
	skip = sl_sipmsg_skip_crlf(buf, n);
	assert_int_equal(skip, 4);
	r = frame_n(buf + skip, n - skip);
	assert_int_equal(r, (ssize_t)strlen(STREAM1));
	/* Called without skipping, frame counts the CRLFs into the message. */
	assert_int_equal(frame_n(buf, n), (ssize_t)(skip + strlen(STREAM1)));
	skip += (size_t)r;
	skip += sl_sipmsg_skip_crlf(buf + skip, n - skip);
	assert_int_equal(frame_n(buf + skip, n - skip), (ssize_t)strlen(STREAM2));
}

static void test_limits(void **state)
{
	char *buf, err[128];
	size_t cap = 256 * 16 + 128, n;
	struct sl_sipmsg *m;
	unsigned i;
	(void)state;

	buf = malloc(SL_SIPMSG_MAX_LEN + 64);
	assert_non_null(buf);
	n = (size_t)sprintf(buf, "OPTIONS sip:a@b SIP/2.0\r\n");
	for (i = 0; i < 256; i++)
		n += (size_t)sprintf(buf + n, "X-H: %u\r\n", i);
	memcpy(buf + n, "\r\n", 2);
	assert_true(n + 2 < cap);
	assert_int_equal(parse_n(buf, n + 2, &m, err, sizeof(err)), 0);
	assert_int_equal(sl_sipmsg_header_count(m, "x-h"), 256);
	assert_string_equal(sl_sipmsg_header(m, "X-H", 255), "255");
	sl_sipmsg_free(m);
	n += (size_t)sprintf(buf + n, "X-H: 256\r\n\r\n");
	assert_int_equal(parse_n(buf, n, &m, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "more than 256 headers"));

	/* 64 KiB total is the limit, leading CRLFs aside. */
	n = (size_t)sprintf(buf, "\r\nMESSAGE sip:a@b SIP/2.0\r\n\r\n");
	memset(buf + n, 'b', SL_SIPMSG_MAX_LEN + 3 - n);
	assert_int_equal(parse_n(buf, SL_SIPMSG_MAX_LEN + 2, &m, err, sizeof(err)), 0);
	sl_sipmsg_free(m);
	assert_int_equal(parse_n(buf, SL_SIPMSG_MAX_LEN + 3, &m, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "exceeds"));
	free(buf);
}

/* Each must fail with -EBADMSG, a non-empty one-line reason and no message. */
static const struct {
	const char *msg;
	size_t len;         /* 0: strlen */
	const char *why;    /* substring expected in err */
} BAD[] = {
	{ "", 0, "empty" },
	{ "\r\n\r\n", 0, "empty" },
	{ "INVITE sip:a@b SIP/2.0", 0, "not terminated" },
	{ "Via: SIP/2.0/UDP h\r\n\r\n", 0, "line 1: missing request/status line" },
	{ "INVITE sip:a@b SIP/3.0\r\n\r\n", 0, "SIP version" },
	{ "INVITE sip:a@b SIP/2.0 \r\n\r\n", 0, "SIP version" },
	{ "INVITE sip:a@b\r\n\r\n", 0, "without SIP version" },
	{ "INVITE  sip:a@b SIP/2.0\r\n\r\n", 0, "Request-URI" },
	{ "INVITE nocolon SIP/2.0\r\n\r\n", 0, "scheme" },
	{ "INV@TE sip:a@b SIP/2.0\r\n\r\n", 0, "method" },
	{ "SIP/2.0 20 OK\r\n\r\n", 0, "3 digits" },
	{ "SIP/2.0 2000 OK\r\n\r\n", 0, "3 digits" },
	{ "SIP/2.0 099 Low\r\n\r\n", 0, "out of range" },
	{ "SIP/2.0 700 High\r\n\r\n", 0, "out of range" },
	{ "SIP/2.0 200\r\n\r\n", 0, "reason" },
	{ "SIP/1.0 200 OK\r\n\r\n", 0, "SIP version" },
	{ "SIP/2.0\r\n\r\n", 0, "status line" },
	{ "SIP/2.0 200 O\x01K\r\n\r\n", 0, "control" },
	{ "OPTIONS sip:a@b SIP/2.0\r\nCSeq: abc OPTIONS\r\n\r\n", 0, "line 2: CSeq number is not numeric" },
	{ "OPTIONS sip:a@b SIP/2.0\r\nCSeq: 12x OPTIONS\r\n\r\n", 0, "not numeric" },
	{ "OPTIONS sip:a@b SIP/2.0\r\nCSeq: 12\r\n\r\n", 0, "without method" },
	{ "OPTIONS sip:a@b SIP/2.0\r\nCSeq: 99999999999 OPTIONS\r\n\r\n", 0, "out of range" },
	{ "OPTIONS sip:a@b SIP/2.0\r\nCSeq: 1 OPTIONS extra\r\n\r\n", 0, "junk" },
	{ "OPTIONS sip:a@b SIP/2.0\r\nMax-Forwards: 70\r\nNoColonHere\r\n\r\n", 0, "line 3: header without colon" },
	{ "OPTIONS sip:a@b SIP/2.0\r\n: value\r\n\r\n", 0, "empty header name" },
	{ "OPTIONS sip:a@b SIP/2.0\r\nBad Name: v\r\n\r\n", 0, "invalid header name" },
	{ "OPTIONS sip:a@b SIP/2.0\r\n continued: v\r\n\r\n", 0, "continuation" },
	{ "OPTIONS sip:a@b SIP/2.0\r\nX: a\0b\r\n\r\n", 33, "NUL" },
	{ "OPTIONS\0sip:a@b SIP/2.0\r\n\r\n", 27, "NUL" },
	{ "OPTIONS sip:a@b SIP/2.0\r\nX: a\rb\r\n\r\n", 0, "CR not followed by LF" },
	{ "OPTIONS sip:a@b SIP/2.0\r\nX: a\r\n", 0, "header section" },
	{ "OPTIONS sip:a@b SIP/2.0\r\nX: a", 0, "header section" },
	{ "OPTIONS sip:a@b SIP/2.0\r\nX: a\r", 0, "header section" },
	{ "OPTIONS sip:a@b SIP/2.0\r\nContent-Length: five\r\n\r\n", 0, "not numeric" },
	{ "OPTIONS sip:a@b SIP/2.0\r\nContent-Length: -1\r\n\r\n", 0, "not numeric" },
	{ "OPTIONS sip:a@b SIP/2.0\r\nl: 1\r\nContent-Length: 2\r\n\r\nab", 0, "conflicting" },
	{ "OPTIONS sip:a@b SIP/2.0\r\nl: 99999999999999999999\r\n\r\nab", 0, "exceeds datagram" },
	{ "\x80\xff\xfe garbage\r\n\r\n", 0, "method" },
};

static void test_malformed_corpus(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(BAD) / sizeof(BAD[0]); i++) {
		struct sl_sipmsg *m = (struct sl_sipmsg *)&m;
		char err[160];
		size_t len = BAD[i].len ? BAD[i].len : strlen(BAD[i].msg);
		int rc;

		memset(err, 0, sizeof(err));
		rc = parse_n(BAD[i].msg, len, &m, err, sizeof(err));
		if (rc != -EBADMSG || !strstr(err, BAD[i].why))
			print_error("case %zu: rc=%d err=\"%s\" (want \"%s\")\n", i, rc, err,
				    BAD[i].why);
		assert_int_equal(rc, -EBADMSG);
		assert_null(m);
		assert_true(err[0] != '\0');
		assert_null(strchr(err, '\n'));
		assert_non_null(strstr(err, BAD[i].why));
		/* The framer must not crash on these either. */
		(void)frame_n(BAD[i].msg, len);
	}
	assert_true(sizeof(BAD) / sizeof(BAD[0]) >= 15);
}

static void test_parse_args(void **state)
{
	struct sl_sipmsg *m;
	char err[4];
	(void)state;

	assert_int_equal(sl_sipmsg_parse("ACK sip:a SIP/2.0\r\n\r\n", 21, NULL, NULL, 0), -EINVAL);
	assert_int_equal(sl_sipmsg_parse(NULL, 5, &m, NULL, 0), -EBADMSG);
	assert_null(m);
	/* A short err buffer is truncated, not overrun. */
	assert_int_equal(sl_sipmsg_parse("X", 1, &m, err, sizeof(err)), -EBADMSG);
	assert_int_equal(strlen(err), 3);
	sl_sipmsg_free(NULL);
}

static void test_phrase(void **state)
{
	(void)state;
	assert_string_equal(sl_sipmsg_phrase(503), "Service Unavailable");
	assert_string_equal(sl_sipmsg_phrase(100), "Trying");
	assert_string_equal(sl_sipmsg_phrase(200), "OK");
	assert_string_equal(sl_sipmsg_phrase(408), "Request Timeout");
	assert_string_equal(sl_sipmsg_phrase(481), "Call/Transaction Does Not Exist");
	assert_string_equal(sl_sipmsg_phrase(604), "Does Not Exist Anywhere");
	assert_string_equal(sl_sipmsg_phrase(299), "Unknown");
	assert_string_equal(sl_sipmsg_phrase(-1), "Unknown");
}


/* Found by fuzz_sipmsg: 80 Via lines of several values each are legal in a request, but a
 * response with one line per value went past the header limit and did not parse back. */
static void test_response_to_many_vias_parses(void **state)
{
	(void)state;
	char *req = malloc(65536), out[16384], err[256];
	size_t n = (size_t)sprintf(req, "OPTIONS sip:a@b.test SIP/2.0\r\n");
	for (int i = 0; i < 100; i++)
		n += (size_t)sprintf(req + n, "Via: SIP/2.0/UDP h%d.test;branch=z9hG4bKa%d, "
				     "SIP/2.0/UDP g%d.test, SIP/2.0/UDP f%d.test\r\n", i, i, i, i);
	n += (size_t)sprintf(req + n, "From: <sip:x@y>;tag=1\r\nTo: <sip:a@b.test>\r\n"
			     "Call-ID: c1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n");
	struct sl_sipmsg *m = NULL, *r = NULL;
	assert_int_equal(sl_sipmsg_parse(req, n, &m, err, sizeof(err)), 0);
	assert_int_equal(sl_sipmsg_header_count(m, "Via"), 300);
	int k = sl_sipmsg_build_response(m, 503, NULL, "t1", "Retry-After: 5\r\n", out, sizeof(out));
	assert_true(k > 0);
	assert_int_equal(sl_sipmsg_parse(out, (size_t)k, &r, err, sizeof(err)), 0);
	/* Every value kept, in order. */
	assert_int_equal(sl_sipmsg_header_count(r, "Via"), 300);
	assert_string_equal(sl_sipmsg_header(r, "Via", 299), "SIP/2.0/UDP f99.test");
	assert_string_equal(sl_sipmsg_via_branch(r), "z9hG4bKa0");
	sl_sipmsg_free(m);
	sl_sipmsg_free(r);
	free(req);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_invite_vias),
		cmocka_unit_test(test_via_two_lines_three_entries),
		cmocka_unit_test(test_compact_forms),
		cmocka_unit_test(test_folding),
		cmocka_unit_test(test_lf_only),
		cmocka_unit_test(test_case_insensitive),
		cmocka_unit_test(test_tags),
		cmocka_unit_test(test_top_via),
		cmocka_unit_test(test_missing_headers),
		cmocka_unit_test(test_body),
		cmocka_unit_test(test_response),
		cmocka_unit_test(test_build_response),
		cmocka_unit_test(test_build_response_body_and_contact),
		cmocka_unit_test(test_frame_two_messages),
		cmocka_unit_test(test_frame_split_every_offset),
		cmocka_unit_test(test_frame_errors),
		cmocka_unit_test(test_crlf_keepalive),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_malformed_corpus),
		cmocka_unit_test(test_parse_args),
		cmocka_unit_test(test_phrase),
		cmocka_unit_test(test_response_to_many_vias_parses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
