/* ref_msg.c: line-level reading and editing of received SIP messages (see ref_msg.h).
 * Works on the text as it came: header lines are found by name, edits splice new text. */
#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ref_msg.h"

/* One line of the header section: [start, end) without the CR LF; next: the byte after. */
struct line {
	const char *start, *end, *next;
};

/* The line starting at p, or false at the end of the header section (empty line, NUL). */
static bool line_at(const char *p, struct line *l)
{
	const char *nl = strchr(p, '\n');

	if (!*p)
		return false;
	l->start = p;
	l->next = nl ? nl + 1 : p + strlen(p);
	l->end = nl ? nl : l->next;
	if (l->end > l->start && l->end[-1] == '\r')
		l->end--;
	return l->end > l->start;
}

/* Does the header line l carry name (or compact cname)? *val gets its value's start. */
static bool line_is(const struct line *l, const char *name, char cname, const char **val)
{
	const char *colon = memchr(l->start, ':', (size_t)(l->end - l->start));
	const char *e;
	size_t n;

	if (!colon || l->start[0] == ' ' || l->start[0] == '\t')
		return false;
	e = colon;
	while (e > l->start && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	n = (size_t)(e - l->start);
	if (!((n == strlen(name) && !strncasecmp(l->start, name, n)) ||
	      (cname && n == 1 && tolower((unsigned char)l->start[0]) == cname)))
		return false;
	*val = colon + 1;
	while (*val < l->end && (**val == ' ' || **val == '\t'))
		(*val)++;
	return true;
}

bool ref_msg_is_request(const char *msg)
{
	return strncmp(msg, "SIP/2.0 ", 8) != 0;
}

int ref_msg_request_line(const char *msg, char *method, size_t mlen, char *uri, size_t ulen)
{
	struct line l;
	const char *sp1, *sp2;

	if (!ref_msg_is_request(msg) || !line_at(msg, &l))
		return -EINVAL;
	sp1 = memchr(l.start, ' ', (size_t)(l.end - l.start));
	if (!sp1)
		return -EINVAL;
	sp2 = memchr(sp1 + 1, ' ', (size_t)(l.end - sp1 - 1));
	if (!sp2 || (size_t)(sp1 - l.start) >= mlen || (size_t)(sp2 - sp1 - 1) >= ulen ||
	    sp1 == l.start || sp2 == sp1 + 1 || strncmp(sp2 + 1, "SIP/2.0", 7))
		return -EINVAL;
	snprintf(method, mlen, "%.*s", (int)(sp1 - l.start), l.start);
	snprintf(uri, ulen, "%.*s", (int)(sp2 - sp1 - 1), sp1 + 1);
	return 0;
}

int ref_msg_status(const char *msg)
{
	if (ref_msg_is_request(msg) || !isdigit((unsigned char)msg[8]) ||
	    !isdigit((unsigned char)msg[9]) || !isdigit((unsigned char)msg[10]))
		return -EINVAL;
	return (msg[8] - '0') * 100 + (msg[9] - '0') * 10 + (msg[10] - '0');
}

/* First header line of the section (after the start line). */
static const char *headers_of(const char *msg)
{
	const char *nl = strchr(msg, '\n');

	return nl ? nl + 1 : msg + strlen(msg);
}

/* The idx-th line called name: its line and value start. */
static bool find_line(const char *msg, const char *name, char cname, unsigned idx,
		      struct line *out, const char **val)
{
	struct line l;

	for (const char *p = headers_of(msg); line_at(p, &l); p = l.next)
		if (line_is(&l, name, cname, val) && idx-- == 0) {
			*out = l;
			return true;
		}
	return false;
}

int ref_msg_header(const char *msg, const char *name, char cname, unsigned idx, char *out,
		   size_t outlen)
{
	struct line l;
	const char *v, *e;

	if (!find_line(msg, name, cname, idx, &l, &v))
		return -ENOENT;
	e = l.end;
	while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	if ((size_t)(e - v) >= outlen)
		return -ENOSPC;
	snprintf(out, outlen, "%.*s", (int)(e - v), v);
	return 0;
}

/* End of the first comma-separated value in [v, end): commas inside quotes or <> do not
 * count (Via has neither, but parameters may be quoted). */
static const char *value_end(const char *v, const char *end)
{
	bool q = false;

	for (const char *p = v; p < end; p++) {
		if (*p == '"')
			q = !q;
		else if (*p == ',' && !q)
			return p;
	}
	return end;
}

static void param(const char *params, const char *end, const char *name, char *out,
		  size_t outlen, bool *present)
{
	size_t n = strlen(name);

	out[0] = '\0';
	for (const char *p = params; p && p < end; p = memchr(p + 1, ';', (size_t)(end - p - 1))) {
		const char *k = p + 1, *ve;

		while (k < end && *k == ' ')
			k++;
		if ((size_t)(end - k) < n || strncasecmp(k, name, n) ||
		    (k + n < end && k[n] != '=' && k[n] != ';' && k[n] != ' '))
			continue;
		if (present)
			*present = true;
		if (k + n < end && k[n] == '=') {
			const char *vs = k + n + 1;

			ve = memchr(vs, ';', (size_t)(end - vs));
			if (!ve)
				ve = end;
			while (ve > vs && ve[-1] == ' ')
				ve--;
			if ((size_t)(ve - vs) < outlen)
				snprintf(out, outlen, "%.*s", (int)(ve - vs), vs);
		}
		return;
	}
}

/* Parses one Via value [v, end) ("SIP/2.0/UDP host:port;params"). */
static int via_parse(const char *v, const char *end, struct ref_via *out)
{
	const char *p = v, *slash, *h, *he, *params;
	struct ref_ip ip;
	size_t tl;

	memset(out, 0, sizeof(*out));
	while (p < end && *p == ' ')
		p++;
	if ((size_t)(end - p) < 8 || strncasecmp(p, "SIP", 3))
		return -EINVAL;
	slash = memchr(p, '/', (size_t)(end - p));
	slash = slash ? memchr(slash + 1, '/', (size_t)(end - slash - 1)) : NULL;
	if (!slash)
		return -EINVAL;
	p = slash + 1;
	while (p < end && *p == ' ')
		p++;
	tl = 0;
	while (p + tl < end && p[tl] != ' ' && p[tl] != '\t')
		tl++;
	if (!tl || tl >= sizeof(out->transport))
		return -EINVAL;
	for (size_t i = 0; i < tl; i++)
		out->transport[i] = (char)toupper((unsigned char)p[i]);
	h = p + tl;
	while (h < end && (*h == ' ' || *h == '\t'))
		h++;
	if (h >= end)
		return -EINVAL;
	params = memchr(h, ';', (size_t)(end - h));
	he = params ? params : end;
	while (he > h && he[-1] == ' ')
		he--;
	if (h >= he)
		return -EINVAL;
	if (*h == '[') {
		const char *rb = memchr(h, ']', (size_t)(he - h));

		if (!rb || (size_t)(rb - h - 1) >= sizeof(out->host))
			return -EINVAL;
		snprintf(out->host, sizeof(out->host), "%.*s", (int)(rb - h - 1), h + 1);
		h = rb + 1;
		if (h < he && *h != ':')
			return -EINVAL;
	} else {
		const char *c = memchr(h, ':', (size_t)(he - h));
		const char *hend = c ? c : he;

		if ((size_t)(hend - h) >= sizeof(out->host))
			return -EINVAL;
		snprintf(out->host, sizeof(out->host), "%.*s", (int)(hend - h), h);
		h = hend;
	}
	if (h < he && *h == ':') {
		unsigned long port = 0;

		for (h++; h < he; h++) {
			if (!isdigit((unsigned char)*h))
				return -EINVAL;
			port = port * 10 + (unsigned long)(*h - '0');
			if (port > 65535)
				return -EINVAL;
		}
		if (!port)
			return -EINVAL;
		out->port = (uint16_t)port;
	}
	out->host_is_ip = ref_ip_parse(out->host, &ip) == 0;
	param(params, end, "branch", out->branch, sizeof(out->branch), NULL);
	param(params, end, "received", out->received, sizeof(out->received), NULL);
	param(params, end, "maddr", out->maddr, sizeof(out->maddr), NULL);
	{
		char dummy[8];

		param(params, end, "rport", dummy, sizeof(dummy), &out->rport);
	}
	return 0;
}

/* The nth Via value of the message (0 = top), counting values inside one line. */
static int via_n(const char *msg, unsigned n, struct ref_via *v)
{
	struct line l;
	const char *val;

	for (const char *p = headers_of(msg); line_at(p, &l); p = l.next) {
		if (!line_is(&l, "Via", 'v', &val))
			continue;
		for (;;) {
			const char *e = value_end(val, l.end);

			if (n-- == 0)
				return via_parse(val, e, v);
			if (e >= l.end)
				break;
			val = e + 1;
		}
	}
	return -ENOENT;
}

int ref_msg_top_via(const char *msg, struct ref_via *v)
{
	return via_n(msg, 0, v);
}

int ref_msg_second_via(const char *msg, struct ref_via *v)
{
	return via_n(msg, 1, v);
}

int ref_msg_cseq(const char *msg, uint32_t *num, char *method, size_t mlen)
{
	char v[128], m[32];
	unsigned long n;

	if (ref_msg_header(msg, "CSeq", 0, 0, v, sizeof(v)) < 0 ||
	    sscanf(v, "%lu %31s", &n, m) != 2 || n > 0xffffffffUL)
		return -EINVAL;
	*num = (uint32_t)n;
	snprintf(method, mlen, "%s", m);
	return 0;
}

int ref_msg_tag(const char *msg, bool to, char *out, size_t outlen)
{
	char v[512];
	const char *p, *params;

	out[0] = '\0';
	if (ref_msg_header(msg, to ? "To" : "From", to ? 't' : 'f', 0, v, sizeof(v)) < 0)
		return -EINVAL;
	p = strchr(v, '>');
	params = strchr(p ? p : v, ';');
	if (params)
		param(params, v + strlen(v), "tag", out, outlen, NULL);
	return 0;
}

/* msg with cut bytes at offset at replaced by ins, as a new string. */
static int splice(const char *msg, size_t at, size_t cut, const char *ins, char **out,
		  size_t *outlen)
{
	size_t len = strlen(msg), il = strlen(ins);
	char *s;

	if (at + cut > len)
		return -EINVAL;
	s = malloc(len - cut + il + 1);
	if (!s)
		return -ENOMEM;
	memcpy(s, msg, at);
	memcpy(s + at, ins, il);
	memcpy(s + at + il, msg + at + cut, len - at - cut + 1);
	*out = s;
	if (outlen)
		*outlen = len - cut + il;
	return 0;
}

int ref_msg_pop_via(const char *msg, char **out, size_t *outlen)
{
	struct line l;
	const char *val, *e;

	if (!find_line(msg, "Via", 'v', 0, &l, &val))
		return -ENOENT;
	e = value_end(val, l.end);
	if (e >= l.end) /* the line's only value: the whole line goes */
		return splice(msg, (size_t)(l.start - msg), (size_t)(l.next - l.start), "", out,
			      outlen);
	e++;
	while (e < l.end && (*e == ' ' || *e == '\t'))
		e++;
	return splice(msg, (size_t)(val - msg), (size_t)(e - val), "", out, outlen);
}

int ref_msg_push_header(const char *msg, const char *line, char **out, size_t *outlen)
{
	char buf[1200];
	const char *h = headers_of(msg);

	if (snprintf(buf, sizeof(buf), "%s\r\n", line) >= (int)sizeof(buf))
		return -ENOSPC;
	return splice(msg, (size_t)(h - msg), 0, buf, out, outlen);
}

int ref_msg_via_received(const char *msg, const char *addr, char **out, size_t *outlen)
{
	struct line l;
	const char *val, *e;
	char buf[96];

	if (!find_line(msg, "Via", 'v', 0, &l, &val))
		return -ENOENT;
	e = value_end(val, l.end);
	while (e > val && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	snprintf(buf, sizeof(buf), ";received=%s", addr);
	return splice(msg, (size_t)(e - msg), 0, buf, out, outlen);
}

int ref_msg_max_forwards(const char *msg, char **out, size_t *outlen)
{
	struct line l;
	const char *val;
	char buf[64];
	long n;

	if (!find_line(msg, "Max-Forwards", 0, 0, &l, &val))
		return ref_msg_push_header(msg, "Max-Forwards: 70", out, outlen);
	n = strtol(val, NULL, 10);
	if (n <= 0)
		return -ELOOP;
	snprintf(buf, sizeof(buf), "Max-Forwards: %ld", n - 1);
	return splice(msg, (size_t)(l.start - msg), (size_t)(l.end - l.start), buf, out, outlen);
}

/* Appends to a growing buffer; false when it is full. */
static bool put(char *b, size_t cap, size_t *o, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static bool put(char *b, size_t cap, size_t *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*o >= cap)
		return false;
	va_start(ap, fmt);
	n = vsnprintf(b + *o, cap - *o, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= cap - *o)
		return false;
	*o += (size_t)n;
	return true;
}

/* Copies every line named name (or cname) of src into b. */
static bool copy_lines(const char *src, const char *name, char cname, char *b, size_t cap,
		       size_t *o)
{
	struct line l;
	const char *val;

	for (const char *p = headers_of(src); line_at(p, &l); p = l.next)
		if (line_is(&l, name, cname, &val) &&
		    !put(b, cap, o, "%.*s\r\n", (int)(l.end - l.start), l.start))
			return false;
	return true;
}

/* To line of src, with ;tag=to_tag added when it has none and to_tag is given. */
static bool put_to(const char *src, const char *to_tag, char *b, size_t cap, size_t *o)
{
	char v[512], tag[128];

	if (ref_msg_header(src, "To", 't', 0, v, sizeof(v)) < 0)
		return true;
	ref_msg_tag(src, true, tag, sizeof(tag));
	if (!tag[0] && to_tag && to_tag[0])
		return put(b, cap, o, "To: %s;tag=%s\r\n", v, to_tag);
	return put(b, cap, o, "To: %s\r\n", v);
}

static int finish(char *b, size_t o, char **out, size_t *outlen)
{
	char *s = malloc(o + 1);

	if (!s)
		return -ENOMEM;
	memcpy(s, b, o + 1);
	*out = s;
	if (outlen)
		*outlen = o;
	return 0;
}

int ref_msg_derive(const char *req, const char *method, const char *to_tag, char **out,
		   size_t *outlen)
{
	char b[8192], m[32], uri[1024], v[256];
	uint32_t cseq;
	size_t o = 0;
	bool ok;

	if (ref_msg_request_line(req, m, sizeof(m), uri, sizeof(uri)) < 0 ||
	    ref_msg_cseq(req, &cseq, m, sizeof(m)) < 0)
		return -EINVAL;
	/* A CANCEL and a non-2xx ACK carry only the top Via: the hop's own (RFC 3261 9.1). */
	ok = put(b, sizeof(b), &o, "%s %s SIP/2.0\r\n", method, uri);
	if (ok && ref_msg_header(req, "Via", 'v', 0, v, sizeof(v)) == 0) {
		const char *c = value_end(v, v + strlen(v));

		ok = put(b, sizeof(b), &o, "Via: %.*s\r\n", (int)(c - v), v);
	}
	ok = ok && copy_lines(req, "Max-Forwards", 0, b, sizeof(b), &o) &&
	     copy_lines(req, "Route", 0, b, sizeof(b), &o) &&
	     copy_lines(req, "From", 'f', b, sizeof(b), &o) && put_to(req, to_tag, b, sizeof(b), &o) &&
	     copy_lines(req, "Call-ID", 'i', b, sizeof(b), &o) &&
	     put(b, sizeof(b), &o, "CSeq: %u %s\r\nContent-Length: 0\r\n\r\n", cseq, method);
	if (!ok)
		return -ENOSPC;
	return finish(b, o, out, outlen);
}

int ref_msg_response(const char *req, int code, const char *reason, const char *to_tag,
		     char **out, size_t *outlen)
{
	char b[8192];
	size_t o = 0;
	bool ok;

	if (!ref_msg_is_request(req) || code < 100 || code > 699)
		return -EINVAL;
	ok = put(b, sizeof(b), &o, "SIP/2.0 %d %s\r\n", code, reason) &&
	     copy_lines(req, "Via", 'v', b, sizeof(b), &o) &&
	     copy_lines(req, "From", 'f', b, sizeof(b), &o) &&
	     put_to(req, code > 100 ? to_tag : NULL, b, sizeof(b), &o) &&
	     copy_lines(req, "Call-ID", 'i', b, sizeof(b), &o) &&
	     copy_lines(req, "CSeq", 0, b, sizeof(b), &o) &&
	     put(b, sizeof(b), &o, "Server: siploc-ref\r\nContent-Length: 0\r\n\r\n");
	if (!ok)
		return -ENOSPC;
	return finish(b, o, out, outlen);
}
