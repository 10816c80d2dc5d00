/* sut_proto.c: the control-channel codec both ends share (the worker in harness/sl_sut.c,
 * the runner in runner.c): line framing, strict parsing and formatting of every message. */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sut_proto.h"

static const struct {
	const char *word;
	enum sut_proto_kind kind;
} KINDS[] = {
	{ "cfg", SUT_MSG_CFG },       { "open", SUT_MSG_OPEN },     { "req", SUT_MSG_REQ },
	{ "cancel", SUT_MSG_CANCEL }, { "ping", SUT_MSG_PING },     { "quit", SUT_MSG_QUIT },
	{ "hello", SUT_MSG_HELLO },   { "opened", SUT_MSG_OPENED }, { "done", SUT_MSG_DONE },
	{ "pong", SUT_MSG_PONG },     { "log", SUT_MSG_LOG },       { "fatal", SUT_MSG_FATAL },
	{ "alarm", SUT_MSG_ALARM },
};

const char *sut_proto_kind_name(enum sut_proto_kind k)
{
	for (size_t i = 0; i < sizeof(KINDS) / sizeof(KINDS[0]); i++)
		if (KINDS[i].kind == k)
			return KINDS[i].word;
	return "?";
}

int sut_proto_from_runner(enum sut_proto_kind k)
{
	return k >= SUT_MSG_HELLO;
}

char *sut_proto_lines_space(struct sut_proto_lines *lb, size_t *room)
{
	*room = SUT_PROTO_MAX_LINE - lb->len;
	return lb->buf + lb->len;
}

int sut_proto_lines_commit(struct sut_proto_lines *lb, size_t n,
			   int (*fn)(void *arg, char *line), void *arg)
{
	char *start = lb->buf, *nl;
	int rc = 0;

	lb->len += n;
	while (!rc && (nl = memchr(start, '\n', lb->len - (size_t)(start - lb->buf)))) {
		/* A NUL inside a line would silently cut it short: refuse it instead. */
		bool nul = memchr(start, '\0', (size_t)(nl - start)) != NULL;
		*nl = '\0';
		if (nl > start && nl[-1] == '\r')
			nl[-1] = '\0';
		rc = nul ? -EILSEQ : fn(arg, start);
		start = nl + 1;
	}
	lb->len -= (size_t)(start - lb->buf);
	memmove(lb->buf, start, lb->len);
	if (!rc && lb->len >= SUT_PROTO_MAX_LINE)
		rc = -E2BIG;
	return rc;
}

/* Splits off the next space-separated field; the rest stays in *p (NULL when none). */
static char *field(char **p)
{
	char *s = *p, *sp;

	if (!s || !*s)
		return NULL;
	sp = strchr(s, ' ');
	if (sp) {
		*sp = '\0';
		*p = sp + 1;
	} else {
		*p = NULL;
	}
	return s;
}

bool sut_proto_ulong(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	if (!s || *s < '0' || *s > '9')
		return false;
	errno = 0;
	*out = strtoul(s, &end, 10);
	return errno == 0 && *end == '\0' && *out <= max;
}

static bool parse_long(const char *s, long long min, long long max, long long *out)
{
	char *end;

	if (!s || !((*s >= '0' && *s <= '9') || (*s == '-' && s[1] >= '0' && s[1] <= '9')))
		return false;
	errno = 0;
	*out = strtoll(s, &end, 10);
	return errno == 0 && *end == '\0' && *out >= min && *out <= max;
}

/* A token: printable ASCII other than space, as method, URI, names and keys must be. */
static bool token(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
			return false;
	return true;
}

int sut_proto_parse(char *line, struct sut_proto_msg *m, const char **why)
{
	char *p = line, *w = field(&p), *a, *b, *c, *d;
	unsigned long u;
	long long ll;
	size_t i;

	memset(m, 0, sizeof(*m));
	*why = "unknown message";
	if (!w) {
		*why = "empty line";
		return -EINVAL;
	}
	for (i = 0; i < sizeof(KINDS) / sizeof(KINDS[0]); i++)
		if (!strcmp(w, KINDS[i].word))
			break;
	if (i == sizeof(KINDS) / sizeof(KINDS[0]))
		return -EINVAL;
	m->kind = KINDS[i].kind;
	*why = "bad fields";
	switch (m->kind) {
	case SUT_MSG_OPEN:
	case SUT_MSG_QUIT:
		if (p)
			return -EINVAL;
		break;
	case SUT_MSG_CFG:
		/* The value is the rest of the line: exec templates hold spaces. */
		m->key = field(&p);
		m->text = p;
		if (!token(m->key) || !m->text || !*m->text)
			return -EINVAL;
		break;
	case SUT_MSG_REQ:
		a = field(&p), b = field(&p), c = field(&p), d = field(&p);
		if (p || !sut_proto_ulong(a, UINT_MAX, &m->id) || !token(b) || !token(c) ||
		    !sut_proto_ulong(d, SUT_PROTO_MAX_BODY, &m->body_len))
			return -EINVAL;
		m->method = b;
		m->uri = c;
		break;
	case SUT_MSG_CANCEL:
		a = field(&p);
		if (p || !sut_proto_ulong(a, UINT_MAX, &m->id))
			return -EINVAL;
		break;
	case SUT_MSG_PING:
		a = field(&p);
		if (p || !sut_proto_ulong(a, UINT_MAX, &m->seq))
			return -EINVAL;
		break;
	case SUT_MSG_HELLO:
		a = field(&p), b = field(&p), c = field(&p);
		if (!parse_long(a, INT_MIN, INT_MAX, &ll) || !sut_proto_ulong(b, UINT_MAX, &u) ||
		    !token(c) || strlen(c) >= SUT_PROTO_MAX_NAME)
			return -EINVAL;
		m->abi = (int)ll;
		m->caps = (unsigned)u;
		m->name = c;
		m->text = p ? p : "";
		break;
	case SUT_MSG_OPENED:
		a = field(&p);
		if (p || !parse_long(a, INT_MIN, INT_MAX, &ll))
			return -EINVAL;
		m->rc = (int)ll;
		break;
	case SUT_MSG_DONE:
		a = field(&p), b = field(&p);
		if (p || !sut_proto_ulong(a, UINT_MAX, &m->id) || !parse_long(b, INT_MIN, INT_MAX, &ll))
			return -EINVAL;
		m->status = (int)ll;
		break;
	case SUT_MSG_PONG:
		a = field(&p), b = field(&p);
		if (p || !sut_proto_ulong(a, UINT_MAX, &m->seq) ||
		    !parse_long(b, LLONG_MIN, LLONG_MAX, &m->ns))
			return -EINVAL;
		break;
	case SUT_MSG_LOG:
	case SUT_MSG_ALARM:
	case SUT_MSG_FATAL:
		m->text = p ? p : "";
		break;
	}
	*why = NULL;
	return 0;
}

int sut_proto_format(const struct sut_proto_msg *m, char *buf, size_t len)
{
	const char *w = sut_proto_kind_name(m->kind);
	int n = -1;

	switch (m->kind) {
	case SUT_MSG_OPEN:
	case SUT_MSG_QUIT:
		n = snprintf(buf, len, "%s\n", w);
		break;
	case SUT_MSG_CFG:
		n = snprintf(buf, len, "%s %s %s\n", w, m->key, m->text);
		break;
	case SUT_MSG_REQ:
		n = snprintf(buf, len, "%s %lu %s %s %lu\n", w, m->id, m->method, m->uri,
			     m->body_len);
		break;
	case SUT_MSG_CANCEL:
		n = snprintf(buf, len, "%s %lu\n", w, m->id);
		break;
	case SUT_MSG_PING:
		n = snprintf(buf, len, "%s %lu\n", w, m->seq);
		break;
	case SUT_MSG_HELLO:
		n = snprintf(buf, len, "%s %d %u %s%s%s\n", w, m->abi, m->caps, m->name,
			     m->text && *m->text ? " " : "", m->text ? m->text : "");
		break;
	case SUT_MSG_OPENED:
		n = snprintf(buf, len, "%s %d\n", w, m->rc);
		break;
	case SUT_MSG_DONE:
		n = snprintf(buf, len, "%s %lu %d\n", w, m->id, m->status);
		break;
	case SUT_MSG_PONG:
		n = snprintf(buf, len, "%s %lu %lld\n", w, m->seq, m->ns);
		break;
	case SUT_MSG_LOG:
	case SUT_MSG_ALARM:
	case SUT_MSG_FATAL:
		n = snprintf(buf, len, "%s %s\n", w, m->text ? m->text : "");
		break;
	}
	if (n < 0 || (size_t)n >= len || (size_t)n > SUT_PROTO_MAX_LINE)
		return -E2BIG;
	/* Free text must not break the framing: a newline inside becomes a space. */
	for (int i = 0; i < n - 1; i++)
		if (buf[i] == '\n' || buf[i] == '\r')
			buf[i] = ' ';
	return n;
}
