/* test_sut_proto.c: the control-channel codec: strict parsing of every message kind,
 * what it refuses, the round trip through the formatter, and line framing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "sut_proto.h"

static int parse(const char *text, struct sut_proto_msg *m, char *buf, size_t len)
{
	const char *why;
	snprintf(buf, len, "%s", text);
	return sut_proto_parse(buf, m, &why);
}

static void test_every_kind_parses(void **state)
{
	(void)state;
	char b[256];
	struct sut_proto_msg m;

	assert_int_equal(parse("cfg exec sh -c 'x {uri}'", &m, b, sizeof(b)), 0);
	assert_int_equal(m.kind, SUT_MSG_CFG);
	assert_string_equal(m.key, "exec");
	assert_string_equal(m.text, "sh -c 'x {uri}'");
	assert_int_equal(parse("req 7 INVITE sip:a@b.test;transport=tcp 2048", &m, b, sizeof(b)), 0);
	assert_int_equal(m.id, 7);
	assert_string_equal(m.method, "INVITE");
	assert_string_equal(m.uri, "sip:a@b.test;transport=tcp");
	assert_int_equal(m.body_len, 2048);
	assert_int_equal(parse("done 3 -4", &m, b, sizeof(b)), 0);
	assert_int_equal(m.status, -4);
	assert_int_equal(parse("pong 2 -1700000000123456789", &m, b, sizeof(b)), 0);
	assert_true(m.ns == -1700000000123456789LL);
	assert_int_equal(parse("hello 1 135 ref ref 0.3 (mutant x)", &m, b, sizeof(b)), 0);
	assert_int_equal(m.abi, 1);
	assert_int_equal(m.caps, 135);
	assert_string_equal(m.name, "ref");
	assert_string_equal(m.text, "ref 0.3 (mutant x)");
	assert_int_equal(parse("alarm bid-down: SIPS gone", &m, b, sizeof(b)), 0);
	assert_int_equal(m.kind, SUT_MSG_ALARM);
	assert_string_equal(m.text, "bid-down: SIPS gone");
	assert_true(sut_proto_from_runner(SUT_MSG_ALARM));
	assert_int_equal(parse("log", &m, b, sizeof(b)), 0);
	assert_string_equal(m.text, "");
	assert_int_equal(parse("open", &m, b, sizeof(b)), 0);
	assert_int_equal(parse("opened -13", &m, b, sizeof(b)), 0);
	assert_int_equal(m.rc, -13);
	assert_true(sut_proto_from_runner(SUT_MSG_DONE));
	assert_false(sut_proto_from_runner(SUT_MSG_REQ));
}

static void test_refuses_what_is_not_exact(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"", "dance", "open now", "quit 1", "cfg", "cfg key", "req 1 INVITE sip:a",
		"req 1 INVITE sip:a 0 extra", "req -1 INVITE sip:a 0", "req 1 INVITE sip:a 1e3",
		"req 4294967296 INVITE sip:a 0", "req 1 INVITE sip:a 16777217", "done 1",
		"done 1 2 3", "done x 200", "done 1 +200", "done 1 99999999999", "pong 1",
		"pong 1 99999999999999999999", "ping", "ping -1", "cancel", "cancel 1 2",
		"hello 1 x ref v", "hello 1 0", "opened", "opened 1 2",
		"hello 1 0 a-name-that-is-far-too-long-for-the-sixty-four-byte-limit-of-it-x v",
		"req 1 IN\x01VITE sip:a 0",
	};
	char b[256];
	struct sut_proto_msg m;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse(bad[i], &m, b, sizeof(b)) != -EINVAL)
			fail_msg("accepted: '%s'", bad[i]);
	}
}

static void test_format_round_trips(void **state)
{
	(void)state;
	const struct sut_proto_msg msgs[] = {
		{ .kind = SUT_MSG_REQ, .id = UINT_MAX, .method = "OPTIONS", .uri = "sips:x@[::1]:5061",
		  .body_len = 0 },
		{ .kind = SUT_MSG_DONE, .id = 9, .status = INT_MIN },
		{ .kind = SUT_MSG_PONG, .seq = 6, .ns = LLONG_MIN },
		{ .kind = SUT_MSG_HELLO, .abi = 1, .caps = 7, .name = "x", .text = "" },
		{ .kind = SUT_MSG_CFG, .key = "workdir", .text = "/tmp/a b" },
		{ .kind = SUT_MSG_LOG, .text = "two\nlines" },
		{ .kind = SUT_MSG_QUIT },
	};
	for (size_t i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++) {
		char line[SUT_PROTO_MAX_LINE + 1];
		int n = sut_proto_format(&msgs[i], line, sizeof(line));
		assert_true(n > 0);
		assert_int_equal(line[n - 1], '\n');
		assert_null(memchr(line, '\n', (size_t)n - 1));
		line[n - 1] = 0;
		struct sut_proto_msg m;
		const char *why;
		assert_int_equal(sut_proto_parse(line, &m, &why), 0);
		assert_int_equal(m.kind, msgs[i].kind);
		assert_int_equal(m.id, msgs[i].id);
		assert_int_equal(m.status, msgs[i].status);
		assert_true(m.ns == msgs[i].ns);
		if (msgs[i].uri)
			assert_string_equal(m.uri, msgs[i].uri);
	}
	char small[8];
	const struct sut_proto_msg big = { .kind = SUT_MSG_LOG, .text = "far too long" };
	assert_int_equal(sut_proto_format(&big, small, sizeof(small)), -E2BIG);
}

struct seen {
	char lines[8][64];
	int n;
};

static int collect(void *arg, char *line)
{
	struct seen *s = arg;
	snprintf(s->lines[s->n++], sizeof(s->lines[0]), "%s", line);
	return s->n == 8 ? 1 : 0;
}

static void feed(struct sut_proto_lines *lb, const char *data, size_t n, struct seen *s, int want)
{
	size_t room;
	char *dst = sut_proto_lines_space(lb, &room);
	assert_true(room >= n);
	memcpy(dst, data, n);
	assert_int_equal(sut_proto_lines_commit(lb, n, collect, s), want);
}

static void test_framing(void **state)
{
	(void)state;
	struct sut_proto_lines lb = { .len = 0 };
	struct seen s = { .n = 0 };

	feed(&lb, "done 1 2", 8, &s, 0);
	assert_int_equal(s.n, 0);
	feed(&lb, "00\r\nlog a\nlo", 12, &s, 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.lines[0], "done 1 200");
	assert_string_equal(s.lines[1], "log a");
	feed(&lb, "g b\n", 4, &s, 0);
	assert_string_equal(s.lines[2], "log b");
	/* A NUL inside a line is named, not silently cut, even as its last byte. */
	feed(&lb, "log c\0\n", 7, &s, -EILSEQ);
	struct sut_proto_lines lb2 = { .len = 0 };
	char blob[SUT_PROTO_MAX_LINE];
	memset(blob, 'x', sizeof(blob));
	feed(&lb2, blob, sizeof(blob), &s, -E2BIG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_kind_parses),
		cmocka_unit_test(test_refuses_what_is_not_exact),
		cmocka_unit_test(test_format_round_trips),
		cmocka_unit_test(test_framing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
