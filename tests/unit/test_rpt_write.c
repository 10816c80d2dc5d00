/* test_rpt_write.c: the report writers over hand-made results: XML/HTML escaping of any
 * bytes, JUnit verdict mapping, the SVG ladder of a small event list, pcapng comments. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rpt.h"
#include "rpt_int.h"

struct mem {
	char *buf;
	size_t len;
	FILE *f;
};

static void mem_open(struct mem *m)
{
	m->buf = NULL;
	m->len = 0;
	m->f = open_memstream(&m->buf, &m->len);
	assert_non_null(m->f);
}

static char *mem_close(struct mem *m)
{
	fclose(m->f);
	return m->buf;
}

static char *esc(const char *s, size_t n, int attr)
{
	struct mem m;
	mem_open(&m);
	rpt_xml_escn(m.f, s, n, attr);
	return mem_close(&m);
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static void test_escape(void **st)
{
	(void)st;
	char *t = esc("a<b>&\"c\" 'd'", 12, 0);
	assert_string_equal(t, "a&lt;b&gt;&amp;\"c\" 'd'");
	free(t);
	t = esc("q=\"x\"\n\tz'", 9, 1);
	assert_string_equal(t, "q=&quot;x&quot;&#10;&#9;z&#39;");
	free(t);
	/* Valid UTF-8 stays; controls, a NUL, stray and overlong bytes become visible. */
	static const char raw[] = "\xc3\xa9\x01\x00\xff\xc0\xaf\xed\xa0\x80\xe2\x82\xac";
	t = esc(raw, sizeof(raw) - 1, 0);
	assert_string_equal(t, "\xc3\xa9\\x01\\x00\\xFF\\xC0\\xAF\\xED\\xA0\\x80\xe2\x82\xac");
	free(t);
	/* A sequence cut by the end of the input is not read past it. */
	t = esc("\xe2\x82", 2, 0);
	assert_string_equal(t, "\\xE2\\x82");
	free(t);
	t = esc("\xef\xbf\xbe", 3, 0); /* U+FFFE is not an XML character */
	assert_string_equal(t, "\\xEF\\xBF\\xBE");
	free(t);
}

static json_t *sample_scenario(void)
{
	json_error_t je;
	json_t *sc = json_loads(
		"{\"id\": \"t-1\", \"file\": \"scenarios/rfc3263/4.3-failure/t-1.lua\","
		" \"verdict\": \"fail\", \"reason\": \"\", \"covers\": [\"FO-X\"],"
		" \"summary\": \"s\", \"role\": \"client\", \"wall_s\": 0.25, \"sut_time_s\": 40,"
		" \"pcap\": \"pcap/t-1.pcap\","
		" \"checks\": ["
		"  {\"check\": \"route\", \"requirements\": [\"FO-OK\"], \"verdict\": \"pass\","
		"   \"detail\": \"fine\", \"packets\": [3]},"
		"  {\"check\": \"branch <new>\", \"requirements\": [\"FO-X\"], \"verdict\": \"fail\","
		"   \"detail\": \"reused \\\"z9\\\" & <b>\", \"packets\": [4]}],"
		" \"events\": ["
		"  {\"i\": 0, \"t\": 0.0, \"kind\": \"sut-request\", \"request\": 1,"
		"   \"method\": \"INVITE\", \"uri\": \"sip:a@x.test\", \"frames\": []},"
		"  {\"i\": 1, \"t\": 0.01, \"kind\": \"dns\", \"from\": \"127.0.0.1:4000\","
		"   \"to\": \"127.0.0.1:53\", \"qtype\": \"A\", \"qname\": \"x.test\", \"rcode\": 3,"
		"   \"ancount\": 0, \"tc\": false, \"frames\": [1, 2]},"
		"  {\"i\": 2, \"t\": 0.02, \"kind\": \"note\", \"text\": \"n\", \"frames\": []},"
		"  {\"i\": 3, \"t\": 0.03, \"kind\": \"sip-rx\", \"from\": \"127.0.0.1:5060\","
		"   \"to\": \"127.0.0.2:5060\", \"method\": \"INVITE\", \"branch\": \"z9hG4bKaaaa\","
		"   \"frames\": [3]},"
		"  {\"i\": 4, \"t\": 32.5, \"kind\": \"sip-rx\", \"from\": \"127.0.0.1:5060\","
		"   \"to\": \"127.0.0.3:5060\", \"method\": \"INVITE\", \"branch\": \"z9hG4bKaaaa\","
		"   \"frames\": [4]},"
		"  {\"i\": 5, \"t\": 32.6, \"kind\": \"sip-tx\", \"from\": \"127.0.0.3:5060\","
		"   \"to\": \"127.0.0.1:5060\", \"status\": 503, \"cseq_method\": \"INVITE\","
		"   \"frames\": [5]},"
		"  {\"i\": 6, \"t\": 32.7, \"kind\": \"icmp\", \"from\": \"127.0.0.3\","
		"   \"to\": \"127.0.0.1\", \"frames\": [6]},"
		"  {\"i\": 7, \"t\": 32.8, \"kind\": \"sip-rx\", \"from\": \"127.0.0.1:5060\","
		"   \"to\": \"127.0.0.3:5060\", \"method\": \"INVITE\", \"branch\": \"z9hG4bKaaaa\","
		"   \"frames\": [7]}]}",
		0, &je);
	if (!sc)
		fail_msg("sample: %s", je.text);
	return sc;
}

static void test_svg_ladder(void **st)
{
	(void)st;
	json_t *sc = sample_scenario();
	struct mem m;
	mem_open(&m);
	assert_int_equal(rpt_svg_ladder(m.f, sc), 0);
	char *t = mem_close(&m);
	/* Columns: DNS, SUT and one per peer, in order of appearance. */
	assert_int_equal(count(t, ">DNS server<"), 1);
	assert_int_equal(count(t, ">SUT<"), 1);
	assert_int_equal(count(t, ">peer<"), 2);
	char *dns = strstr(t, ">127.0.0.1:53<"), *p2 = strstr(t, ">127.0.0.2:5060<"),
	     *p3 = strstr(t, ">127.0.0.3:5060<");
	assert_true(dns && p2 && p3 && dns < p2 && p2 < p3);
	/* One arrow per packet: query, NXDOMAIN answer, three INVITEs, the 503, the ICMP. */
	assert_int_equal(count(t, "<polygon"), 7);
	/* Same branch to the same peer is a retransmission; to another peer it is not. */
	assert_int_equal(count(t, ">INVITE ;G4bKaaaa (retransmission)<"), 1);
	assert_int_equal(count(t, ">INVITE ;G4bKaaaa<"), 2);
	assert_non_null(strstr(t, ">A x.test<"));
	assert_non_null(strstr(t, ">NXDOMAIN, 0 answers<"));
	assert_non_null(strstr(t, ">503 Service Unavailable (INVITE)<"));
	assert_non_null(strstr(t, ">icmp<"));
	assert_non_null(strstr(t, ">request 1: INVITE sip:a@x.test<"));
	/* The quiet 32 s get a row; notes do not. */
	assert_non_null(strstr(t, "32.5 s later"));
	assert_null(strstr(t, ">n<"));
	/* Only frame 4, the one the failing check cites, is marked, with its requirement. */
	assert_int_equal(count(t, "class=\"msg failed\""), 1);
	char *failed = strstr(t, "class=\"msg failed\"");
	assert_non_null(strstr(failed, "(frame 4)"));
	assert_true(strstr(failed, "(frame 4)") < strstr(failed, "</g>"));
	assert_non_null(strstr(t, "\xe2\x9c\x97 FO-X<"));
	assert_null(strstr(t, "FO-OK<"));
	assert_non_null(strstr(t, "reused \"z9\" &amp; &lt;b&gt;"));
	free(t);
	/* Nothing to draw is said, not drawn as an empty box. */
	json_object_set_new(sc, "events", json_array());
	mem_open(&m);
	assert_int_equal(rpt_svg_ladder(m.f, sc), -EINVAL);
	t = mem_close(&m);
	assert_string_equal(t, "");
	free(t);
	json_decref(sc);
}

static json_t *sample_run(void)
{
	json_t *run = rpt_run_new("0.1.0", "ref", "1 \"beta\" <x>", 100);
	json_object_set_new(run, "date", json_string("2026-01-02T03:04:05Z"));
	rpt_run_add(run, sample_scenario());
	rpt_run_add(run, json_pack("{s:s, s:s, s:s, s:s, s:[]}", "id", "t-err", "file",
				   "a.lua", "verdict", "error", "reason", "boom <&>", "checks"));
	rpt_run_add(run, json_pack("{s:s, s:s, s:s, s:s, s:[]}", "id", "t-skip", "file",
				   "x/y/t-skip.lua", "verdict", "not-run", "reason", "needs tls",
				   "checks"));
	static const struct rpt_req reqs[] = { { "FO-X", "S", "new branch <always>" },
					       { "FO-OK", "M", "ok" } };
	rpt_run_finish(run, reqs, 2);
	return run;
}

static void test_junit(void **st)
{
	(void)st;
	json_t *run = sample_run();
	struct mem m;
	mem_open(&m);
	assert_int_equal(rpt_junit_write(m.f, run), 0);
	char *t = mem_close(&m);
	assert_non_null(strstr(t, "<testsuite name=\"siploc ref 1 &quot;beta&quot; &lt;x&gt;\" "
				  "tests=\"3\" failures=\"1\" errors=\"1\" skipped=\"1\""));
	assert_non_null(strstr(t, "timestamp=\"2026-01-02T03:04:05\""));
	assert_non_null(strstr(t, "<testcase classname=\"4.3-failure\" name=\"t-1\" "
				  "time=\"0.250\">"));
	assert_non_null(strstr(t, "<failure message=\"branch &lt;new&gt; [FO-X]: reused "
				  "&quot;z9&quot; &amp; &lt;b&gt; (packets 4)\""));
	assert_int_equal(count(t, "<failure"), 1);
	assert_non_null(strstr(t, "<testcase classname=\"scenarios\" name=\"t-err\""));
	assert_non_null(strstr(t, "<error message=\"boom &lt;&amp;&gt;\" type=\"error\">"));
	assert_non_null(strstr(t, "<testcase classname=\"y\" name=\"t-skip\""));
	assert_non_null(strstr(t, "<skipped message=\"needs tls\"/>"));
	free(t);
	json_decref(run);
}

static void test_html(void **st)
{
	(void)st;
	json_t *run = sample_run();
	struct mem m;
	mem_open(&m);
	assert_int_equal(rpt_html_write(m.f, run), 0);
	char *t = mem_close(&m);
	/* Self-contained: nothing fetched from anywhere. */
	assert_null(strstr(t, "href=\"http"));
	assert_null(strstr(t, "url("));
	assert_null(strstr(t, "@import"));
	assert_null(strstr(t, "<script"));
	assert_null(strstr(t, "src="));
	assert_non_null(strstr(t, "<td class=\"id\">FO-X</td><td>SHOULD</td>"
				  "<td>new branch &lt;always&gt;</td>"));
	assert_non_null(strstr(t, "date <b>2026-01-02T03:04:05Z</b>"));
	assert_int_equal(count(t, "<svg "), 1); /* only t-1 has events */
	assert_non_null(strstr(t, "<a href=\"pcap/t-1.pcap\">pcap</a>"));
	assert_non_null(strstr(t, "<p class=\"reason\">boom &lt;&amp;&gt;</p>"));
	free(t);
	json_decref(run);
}

static void put32(FILE *f, uint32_t v)
{
	fwrite(&v, 4, 1, f);
}

/* Finds the comments of the enhanced packet blocks: returns them joined by '|'. */
static void pcapng_comments(const char *path, char *out, size_t len, int *packets)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	uint32_t h[2];
	size_t off = 0;
	*out = 0;
	*packets = 0;
	while (fread(h, 4, 2, f) == 2) {
		unsigned char *b = malloc(h[1] - 8);
		assert_int_equal(fread(b, 1, h[1] - 8, f), h[1] - 8);
		if (h[0] == 6) {
			(*packets)++;
			uint32_t cap;
			memcpy(&cap, b + 12, 4);
			size_t o = 20 + ((cap + 3) & ~3u);
			while (o + 4 <= h[1] - 12) {
				uint16_t code, l;
				memcpy(&code, b + o, 2);
				memcpy(&l, b + o + 2, 2);
				if (code == 0)
					break;
				if (code == 1)
					off += (size_t)snprintf(out + off, len - off, "%.*s|", l,
								(char *)b + o + 4);
				o += 4 + ((l + 3u) & ~3u);
			}
		}
		free(b);
	}
	fclose(f);
}

static void test_pcapng(void **st)
{
	(void)st;
	char in[] = "/tmp/test_rpt_pcap_XXXXXX";
	int fd = mkstemp(in);
	assert_true(fd >= 0);
	close(fd);
	FILE *f = fopen(in, "wb");
	put32(f, 0xa1b2c3d4);
	put32(f, 0x00040002);
	put32(f, 0);
	put32(f, 0);
	put32(f, 65535);
	put32(f, 1);
	for (uint32_t i = 0; i < 5; i++) {
		put32(f, 100 + i);
		put32(f, 5);
		put32(f, 3);
		put32(f, 3);
		fwrite("abc", 3, 1, f);
	}
	fclose(f);
	char out[64], err[256], text[8192];
	snprintf(out, sizeof(out), "%sng", in);
	json_t *sc = sample_scenario();
	assert_int_equal(rpt_pcapng_write(sc, in, out, err, sizeof(err)), 0);
	int n;
	pcapng_comments(out, text, sizeof(text), &n);
	assert_int_equal(n, 5);
	assert_non_null(strstr(text, "t-1 step 1 (SUT t=0.0100 s): DNS query A x.test|"));
	assert_non_null(strstr(text, "check FAIL: branch <new> [FO-X]: reused"));
	assert_non_null(strstr(text, "check pass: route [FO-OK]: fine|"));
	/* A truncated capture is named with the packet that is cut. */
	assert_int_equal(truncate(in, 24 + 3 * 19 + 10), 0);
	assert_int_not_equal(rpt_pcapng_write(sc, in, out, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "packet 4"));
	assert_int_not_equal(rpt_pcapng_write(sc, "/nonexistent.pcap", out, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "/nonexistent.pcap"));
	unlink(in);
	unlink(out);
	json_decref(sc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),     cmocka_unit_test(test_svg_ladder),
		cmocka_unit_test(test_junit),      cmocka_unit_test(test_html),
		cmocka_unit_test(test_pcapng),
	};
	return cmocka_run_group_tests_name("rpt_write", tests, NULL, NULL);
}
