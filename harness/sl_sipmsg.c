/* sl_sipmsg.c: RFC 3261 message parser, response builder and Content-Length stream framer
 * for siploc's scripted peers. Input is hostile (the SUT's bytes, and fuzzing): every scan is
 * bounded by the caller's length, and derived strings live in a per-message arena. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sl_sipmsg.h"

/* Arena chunks hold every string a message hands out, so one free releases them all. */
struct sl_chunk {
	struct sl_chunk *next;
	size_t used, cap;
	max_align_t data[];
};

struct sl_hdr {
	const char *name;       /* full form (compact forms expanded), or as written */
	const char *value;      /* trimmed, unfolded */
};

struct sl_param {
	const char *name;
	const char *value;      /* "" when the parameter has no value */
};

struct sl_sipmsg {
	char *raw;              /* copy of the message without leading CR/LF; body points here */
	struct sl_chunk *arena;
	int is_request;
	const char *method, *uri, *reason;
	int status;
	struct sl_hdr *hdrs;
	unsigned nhdrs, hcap;
	const char *body;
	size_t bodylen;
	const char *via_transport, *via_host, *via_branch;
	unsigned via_port;
	int via_rport;
	struct sl_param *via_params;
	unsigned nvia_params;
	const char *call_id, *cseq_method, *from_tag, *to_tag;
	unsigned long cseq_num;
};

/* Parser state for one sl_sipmsg_parse call. */
struct pctx {
	struct sl_sipmsg *m;
	const char *b;          /* == m->raw */
	size_t len;
	char *err;
	size_t errlen;
	unsigned nlines;        /* header lines seen, for the 256 cap */
	int have_cl;
	unsigned long cl;
	const char *cl_text;    /* as sent, for the error message */
	int have_cseq;
};

static const struct {
	char c;
	const char *full;
} compact_forms[] = {
	{ 'v', "Via" }, { 'i', "Call-ID" }, { 'f', "From" }, { 't', "To" },
	{ 'l', "Content-Length" }, { 'c', "Content-Type" }, { 'm', "Contact" },
	{ 'k', "Supported" }, { 's', "Subject" }, { 'e', "Content-Encoding" },
};

static int is_ws(int ch)
{
	return ch == ' ' || ch == '\t';
}

static int is_digit(int ch)
{
	return ch >= '0' && ch <= '9';
}

static int is_alpha(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

/* RFC 3261 token characters. */
static int is_token(int ch)
{
	if (is_alpha(ch) || is_digit(ch))
		return 1;
	switch (ch) {
	case '-': case '.': case '!': case '%': case '*':
	case '_': case '+': case '`': case '\'': case '~':
		return 1;
	default:
		return 0;
	}
}

static int is_hex(int ch)
{
	return is_digit(ch) || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

static const char *skip_ws(const char *p)
{
	while (is_ws(*p))
		p++;
	return p;
}

static void *ar_alloc(struct sl_sipmsg *m, size_t n)
{
	const size_t al = _Alignof(max_align_t);
	size_t need = (n + al - 1) & ~(al - 1);
	struct sl_chunk *c = m->arena;
	void *p = NULL;

	if (!need)
		need = al;
	if (!c || c->cap - c->used < need) {
		size_t cap = need > 4096 ? need : 4096;
		c = malloc(sizeof(*c) + cap);
		if (!c)
			goto out;
		c->next = m->arena;
		c->used = 0;
		c->cap = cap;
		m->arena = c;
	}
	p = (char *)c->data + c->used;
	c->used += need;
out:
	return p;
}

static char *ar_strndup(struct sl_sipmsg *m, const char *s, size_t n)
{
	char *p = ar_alloc(m, n + 1);

	if (p) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

__attribute__((format(printf, 3, 4)))
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EBADMSG;
}

/* Quotes at most 32 bytes of input for an error message, keeping it one printable line. */
static const char *shown(char out[40], const char *s, size_t n)
{
	size_t i, k = n > 32 ? 32 : n;

	for (i = 0; i < k; i++) {
		unsigned char ch = (unsigned char)s[i];
		out[i] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : '?';
	}
	if (k < n) {
		memcpy(out + k, "...", 3);
		k += 3;
	}
	out[k] = '\0';
	return out;
}

static const char *compact_full(const char *name, size_t n)
{
	size_t i;

	if (n != 1)
		return NULL;
	for (i = 0; i < sizeof(compact_forms) / sizeof(compact_forms[0]); i++)
		if ((name[0] | 0x20) == compact_forms[i].c)
			return compact_forms[i].full;
	return NULL;
}

/* Decimal with optional LWS (SP, HTAB, CR, LF) around it. Saturates above 2^32 so callers
 * still see "numeric but huge" rather than wrapping. Returns 0 or -1. */
static int parse_len(const char *s, size_t n, unsigned long *out)
{
	size_t i = 0;
	uint64_t v = 0;
	int digits = 0;

	while (i < n && (is_ws(s[i]) || s[i] == '\r' || s[i] == '\n'))
		i++;
	for (; i < n && is_digit(s[i]); i++, digits++)
		if (v <= 0xffffffffu)
			v = v * 10 + (uint64_t)(s[i] - '0');
	while (i < n && (is_ws(s[i]) || s[i] == '\r' || s[i] == '\n'))
		i++;
	if (!digits || i != n)
		return -1;
	*out = v > 0xffffffffu ? 0xffffffffUL : (unsigned long)v;
	return 0;
}

static int push_hdr(struct sl_sipmsg *m, const char *name, const char *value)
{
	struct sl_hdr *h;

	if (m->nhdrs == m->hcap) {
		unsigned cap = m->hcap ? m->hcap * 2 : 32;
		h = realloc(m->hdrs, cap * sizeof(*h));
		if (!h)
			return -ENOMEM;
		m->hdrs = h;
		m->hcap = cap;
	}
	m->hdrs[m->nhdrs].name = name;
	m->hdrs[m->nhdrs].value = value;
	m->nhdrs++;
	return 0;
}

/* One header value with its line breaks: each fold (CRLF/LF plus the whitespace around it)
 * becomes one SP, and the ends are trimmed. The result is never longer than the input. */
static char *unfold(struct sl_sipmsg *m, const char *s, size_t n)
{
	char *out = ar_alloc(m, n + 1);
	size_t i = 0, o = 0;
	int pend = 0;

	if (!out)
		return NULL;
	while (i < n && is_ws(s[i]))
		i++;
	for (; i < n; i++) {
		char ch = s[i];
		if (ch == '\r' || ch == '\n') {
			while (o && is_ws(out[o - 1]))
				o--;
			pend = 1;
			continue;
		}
		if (pend) {
			if (is_ws(ch))
				continue;
			if (o)
				out[o++] = ' ';
			pend = 0;
		}
		out[o++] = ch;
	}
	while (o && is_ws(out[o - 1]))
		o--;
	out[o] = '\0';
	return out;
}

/* Via is the one header whose comma-separated values count as separate entries; commas
 * inside quoted strings (extension params) do not split. Empty pieces are dropped. */
static int add_via(struct sl_sipmsg *m, const char *name, const char *v)
{
	size_t i, start = 0;
	int inq = 0, rc = 0;

	for (i = 0;; i++) {
		char ch = v[i];
		if (inq) {
			if (ch == '\\' && v[i + 1]) {
				i++;
				continue;
			}
			if (ch == '"')
				inq = 0;
			if (ch)
				continue;
		} else if (ch == '"') {
			inq = 1;
			continue;
		}
		if (ch == ',' || ch == '\0') {
			size_t s = start, e = i;
			while (s < e && is_ws(v[s]))
				s++;
			while (e > s && is_ws(v[e - 1]))
				e--;
			if (e > s) {
				char *d = ar_strndup(m, v + s, e - s);
				rc = d ? push_hdr(m, name, d) : -ENOMEM;
				if (rc)
					goto out;
			}
			if (!ch)
				break;
			start = i + 1;
		}
	}
out:
	return rc;
}

static int check_cseq(struct pctx *c, const char *v, unsigned line)
{
	const char *p = v, *ms;
	uint64_t num = 0;
	int rc = 0;

	if (!is_digit(*p)) {
		rc = fail(c->err, c->errlen, "line %u: CSeq number is not numeric", line);
		goto out;
	}
	for (; is_digit(*p); p++) {
		num = num * 10 + (uint64_t)(*p - '0');
		if (num > 0xffffffffu) {
			rc = fail(c->err, c->errlen, "line %u: CSeq number out of range", line);
			goto out;
		}
	}
	if (*p && !is_ws(*p)) {
		rc = fail(c->err, c->errlen, "line %u: CSeq number is not numeric", line);
		goto out;
	}
	p = skip_ws(p);
	for (ms = p; is_token(*p); p++)
		;
	if (p == ms) {
		rc = fail(c->err, c->errlen, "line %u: CSeq without method", line);
		goto out;
	}
	if (*p) {
		rc = fail(c->err, c->errlen, "line %u: junk after CSeq method", line);
		goto out;
	}
	if (!c->have_cseq) {
		c->have_cseq = 1;
		c->m->cseq_num = (unsigned long)num;
		c->m->cseq_method = ms;
	}
out:
	return rc;
}

/* One logical header: [s, fe) is its first physical line, [s, e) runs to the end of its
 * last continuation line. */
static int add_header(struct pctx *c, size_t s, size_t fe, size_t e, unsigned line)
{
	const char *b = c->b, *colon, *name;
	char *value;
	size_t ne, i;
	int rc = 0;

	colon = memchr(b + s, ':', fe - s);
	if (!colon) {
		rc = fail(c->err, c->errlen, "line %u: header without colon", line);
		goto out;
	}
	ne = (size_t)(colon - b);
	while (ne > s && is_ws(b[ne - 1]))
		ne--;
	if (ne == s) {
		rc = fail(c->err, c->errlen, "line %u: empty header name", line);
		goto out;
	}
	for (i = s; i < ne; i++) {
		if (!is_token((unsigned char)b[i])) {
			char q[40];
			rc = fail(c->err, c->errlen, "line %u: invalid header name \"%s\"", line,
				  shown(q, b + s, ne - s));
			goto out;
		}
	}
	if (++c->nlines > SL_SIPMSG_MAX_HEADERS) {
		rc = fail(c->err, c->errlen, "line %u: more than %u headers", line,
			  SL_SIPMSG_MAX_HEADERS);
		goto out;
	}
	name = compact_full(b + s, ne - s);
	if (!name)
		name = ar_strndup(c->m, b + s, ne - s);
	value = unfold(c->m, colon + 1, (size_t)(b + e - (colon + 1)));
	if (!name || !value) {
		rc = -ENOMEM;
		goto out;
	}
	if (!strcasecmp(name, "Via")) {
		rc = add_via(c->m, name, value);
		goto out;
	}
	rc = push_hdr(c->m, name, value);
	if (rc)
		goto out;
	if (!strcasecmp(name, "CSeq")) {
		rc = check_cseq(c, value, line);
	} else if (!strcasecmp(name, "Content-Length")) {
		unsigned long cl;
		if (parse_len(value, strlen(value), &cl)) {
			rc = fail(c->err, c->errlen, "line %u: Content-Length is not numeric", line);
		} else if (c->have_cl && cl != c->cl) {
			rc = fail(c->err, c->errlen, "line %u: conflicting Content-Length values",
				  line);
		} else {
			c->have_cl = 1;
			c->cl = cl;
			c->cl_text = value;
		}
	}
out:
	return rc;
}

/* The line starting at pos: *ce is the end of its content (the CR of a CRLF excluded),
 * *next the byte after its LF. Returns 0, 1 if the buffer ends before the LF, or -EBADMSG
 * for a NUL or a CR not followed by LF. */
static int read_line(struct pctx *c, size_t pos, unsigned line, size_t *ce, size_t *next)
{
	const char *b = c->b;
	size_t i;
	int rc = 1;

	for (i = pos; i < c->len; i++) {
		if (b[i] == '\n') {
			*next = i + 1;
			*ce = (i > pos && b[i - 1] == '\r') ? i - 1 : i;
			rc = 0;
			break;
		}
		if (b[i] == '\0') {
			rc = fail(c->err, c->errlen, "line %u: NUL byte in header section", line);
			break;
		}
		if (b[i] == '\r' && i + 1 < c->len && b[i + 1] != '\n') {
			rc = fail(c->err, c->errlen, "line %u: CR not followed by LF", line);
			break;
		}
	}
	return rc;
}

static int is_version(const char *s, size_t n)
{
	/* RFC 3261 7.1: the version string is case-insensitive. */
	return n == 7 && !strncasecmp(s, "SIP/2.0", 7);
}

static int parse_status_line(struct pctx *c, const char *s, size_t n, unsigned line)
{
	struct sl_sipmsg *m = c->m;
	const char *sp = memchr(s, ' ', n), *p;
	size_t rest, i;
	char q[40];
	int rc = 0;

	if (!sp) {
		rc = fail(c->err, c->errlen, "line %u: malformed status line \"%s\"", line,
			  shown(q, s, n));
		goto out;
	}
	if (!is_version(s, (size_t)(sp - s))) {
		rc = fail(c->err, c->errlen, "line %u: bad SIP version \"%s\"", line,
			  shown(q, s, (size_t)(sp - s)));
		goto out;
	}
	p = sp + 1;
	rest = n - (size_t)(p - s);
	for (i = 0; i < rest && is_digit(p[i]); i++)
		;
	if (i != 3 || (rest > 3 && p[3] != ' ')) {
		const char *e = memchr(p, ' ', rest);
		rc = fail(c->err, c->errlen, "line %u: status code \"%s\" is not 3 digits", line,
			  shown(q, p, e ? (size_t)(e - p) : rest));
		goto out;
	}
	m->status = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
	if (m->status < 100 || m->status > 699) {
		rc = fail(c->err, c->errlen, "line %u: status code %d out of range 100..699", line,
			  m->status);
		goto out;
	}
	if (rest == 3) {
		rc = fail(c->err, c->errlen, "line %u: status line without reason phrase", line);
		goto out;
	}
	for (i = 4; i < rest; i++) {
		unsigned char ch = (unsigned char)p[i];
		if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
			rc = fail(c->err, c->errlen, "line %u: control character in reason phrase",
				  line);
			goto out;
		}
	}
	m->reason = ar_strndup(m, p + 4, rest - 4);
	if (!m->reason)
		rc = -ENOMEM;
out:
	return rc;
}

static int parse_request_line(struct pctx *c, const char *s, size_t n, unsigned line)
{
	struct sl_sipmsg *m = c->m;
	const char *sp1 = memchr(s, ' ', n), *sp2, *u, *p;
	size_t i, ul;
	char q[40];
	int rc = 0;

	if (!sp1) {
		rc = fail(c->err, c->errlen, "line %u: malformed start line \"%s\"", line,
			  shown(q, s, n));
		goto out;
	}
	for (p = s; p < sp1 && is_token((unsigned char)*p); p++)
		;
	/* "Name:" first means the sender left the start line out altogether. */
	if (p < sp1 && (*p == ':' || (is_ws(*p) && memchr(p, ':', (size_t)(sp1 - p))))) {
		rc = fail(c->err, c->errlen, "line %u: missing request/status line", line);
		goto out;
	}
	if (p != sp1 || sp1 == s) {
		rc = fail(c->err, c->errlen, "line %u: bad method \"%s\"", line,
			  shown(q, s, (size_t)(sp1 - s)));
		goto out;
	}
	u = sp1 + 1;
	sp2 = memchr(u, ' ', n - (size_t)(u - s));
	if (!sp2) {
		rc = fail(c->err, c->errlen, "line %u: request line without SIP version", line);
		goto out;
	}
	ul = (size_t)(sp2 - u);
	if (!ul) {
		rc = fail(c->err, c->errlen, "line %u: empty Request-URI", line);
		goto out;
	}
	for (i = 0; i < ul; i++) {
		unsigned char ch = (unsigned char)u[i];
		if (ch < 0x21 || ch == 0x7f) {
			rc = fail(c->err, c->errlen, "line %u: control character in Request-URI",
				  line);
			goto out;
		}
	}
	/* Every Request-URI form (SIP, SIPS, absoluteURI) starts with a scheme. */
	for (i = 0; i < ul && (is_alpha(u[i]) || (i && (is_digit(u[i]) || u[i] == '+' ||
						       u[i] == '-' || u[i] == '.'))); i++)
		;
	if (!i || i >= ul || u[i] != ':') {
		rc = fail(c->err, c->errlen, "line %u: Request-URI \"%s\" has no scheme", line,
			  shown(q, u, ul));
		goto out;
	}
	p = sp2 + 1;
	if (!is_version(p, n - (size_t)(p - s))) {
		rc = fail(c->err, c->errlen, "line %u: bad SIP version \"%s\"", line,
			  shown(q, p, n - (size_t)(p - s)));
		goto out;
	}
	m->is_request = 1;
	m->method = ar_strndup(m, s, (size_t)(sp1 - s));
	m->uri = ar_strndup(m, u, ul);
	if (!m->method || !m->uri)
		rc = -ENOMEM;
out:
	return rc;
}

/* ";name[=value]" pairs, whitespace allowed around ';' and '='. Values are a quoted string
 * or a run up to whitespace/';'/','. Returns 0, -EBADMSG if malformed, -ENOMEM. */
static int parse_params(struct sl_sipmsg *m, const char *s, struct sl_param **out,
			unsigned *nout)
{
	struct sl_param *ps;
	const char *p, *ns, *vs;
	size_t semis = 0;
	unsigned n = 0;
	int rc = -EBADMSG;

	for (p = s; *p; p++)
		semis += *p == ';';
	/* Each parameter consumes one ';', so semis + 1 is a safe bound. */
	ps = ar_alloc(m, (semis + 1) * sizeof(*ps));
	if (!ps) {
		rc = -ENOMEM;
		goto out;
	}
	for (p = skip_ws(s); *p; p = skip_ws(p)) {
		if (*p != ';')
			goto out;
		p = skip_ws(p + 1);
		for (ns = p; is_token((unsigned char)*p); p++)
			;
		if (p == ns)
			goto out;
		ps[n].name = ar_strndup(m, ns, (size_t)(p - ns));
		ps[n].value = "";
		p = skip_ws(p);
		if (*p == '=') {
			p = skip_ws(p + 1);
			vs = p;
			if (*p == '"') {
				for (p++; *p && *p != '"'; p++)
					if (*p == '\\' && p[1])
						p++;
				if (*p != '"')
					goto out;
				p++;
			} else {
				while (*p && *p != ';' && *p != ',' && !is_ws(*p))
					p++;
			}
			if (p == vs)
				goto out;
			ps[n].value = ar_strndup(m, vs, (size_t)(p - vs));
		}
		if (!ps[n].name || !ps[n].value) {
			rc = -ENOMEM;
			goto out;
		}
		n++;
	}
	*out = ps;
	*nout = n;
	rc = 0;
out:
	return rc;
}

static const char *param_find(const struct sl_param *ps, unsigned n, const char *name)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (!strcasecmp(ps[i].name, name))
			return ps[i].value;
	return NULL;
}

/* The tag of a From/To value. Parameters inside <...> belong to the URI and quoted display
 * names may hold ';', ',' or '<'; without <...> the first ';' starts header parameters
 * (RFC 3261 20.10). Malformed values give no tag rather than an error. */
static int header_tag(struct sl_sipmsg *m, const char *v, const char **tag)
{
	struct sl_param *ps;
	const char *p = v;
	unsigned n;
	int rc = 0;

	*tag = NULL;
	if (!v)
		goto out;
	while (*p && *p != ';') {
		if (*p == '"') {
			for (p++; *p && *p != '"'; p++)
				if (*p == '\\' && p[1])
					p++;
			if (!*p)
				goto out;
		} else if (*p == '<') {
			p = strchr(p, '>');
			if (!p)
				goto out;
			p++;
			break;
		}
		p++;
	}
	rc = parse_params(m, p, &ps, &n);
	if (rc == -EBADMSG)
		rc = 0;
	else if (!rc)
		*tag = param_find(ps, n, "tag");
out:
	return rc;
}

/* Top Via: sent-protocol (SLASH = SWS "/" SWS), LWS, sent-by (COLON = SWS ":" SWS), params.
 * Anything else leaves the via_* fields unset: peers decide what a broken Via means. */
static int parse_top_via(struct sl_sipmsg *m, const char *v)
{
	const char *p, *t, *ts = NULL, *hs;
	struct sl_param *ps;
	size_t tl = 0, hl;
	unsigned long port = 0, n = 0;
	unsigned np;
	int k, rc = 0;

	if (!v)
		goto out;
	p = skip_ws(v);
	for (k = 0; k < 3; k++) {
		if (k) {
			p = skip_ws(p);
			if (*p != '/')
				goto out;
			p = skip_ws(p + 1);
		}
		for (t = p; is_token((unsigned char)*p); p++)
			;
		if (p == t)
			goto out;
		ts = t;
		tl = (size_t)(p - t);
	}
	if (!is_ws(*p))
		goto out;
	p = skip_ws(p);
	if (*p == '[') {
		for (hs = ++p; is_hex((unsigned char)*p) || *p == ':' || *p == '.'; p++)
			;
		hl = (size_t)(p - hs);
		if (*p != ']' || !hl)
			goto out;
		p++;
	} else {
		for (hs = p; is_alpha(*p) || is_digit(*p) || *p == '-' || *p == '.' || *p == '_'; p++)
			;
		hl = (size_t)(p - hs);
		if (!hl)
			goto out;
	}
	p = skip_ws(p);
	if (*p == ':') {
		p = skip_ws(p + 1);
		for (; is_digit(*p) && n < 6; p++, n++)
			port = port * 10 + (unsigned long)(*p - '0');
		if (!n || n > 5 || !port || port > 65535)
			goto out;
	}
	rc = parse_params(m, p, &ps, &np);
	if (rc) {
		if (rc == -EBADMSG)
			rc = 0;
		goto out;
	}
	m->via_transport = ar_strndup(m, ts, tl);
	m->via_host = ar_strndup(m, hs, hl);
	if (!m->via_transport || !m->via_host) {
		m->via_transport = m->via_host = NULL;
		rc = -ENOMEM;
		goto out;
	}
	m->via_port = (unsigned)port;
	m->via_params = ps;
	m->nvia_params = np;
	m->via_branch = param_find(ps, np, "branch");
	m->via_rport = param_find(ps, np, "rport") != NULL;
out:
	return rc;
}

size_t sl_sipmsg_skip_crlf(const char *buf, size_t len)
{
	size_t i = 0;

	while (buf && i < len && (buf[i] == '\r' || buf[i] == '\n'))
		i++;
	return i;
}

int sl_sipmsg_parse(const char *buf, size_t len, struct sl_sipmsg **mp, char *err, size_t errlen)
{
	struct pctx c = { .err = err, .errlen = errlen };
	struct sl_sipmsg *m = NULL;
	size_t skip, i, pos, ce, next, hs = 0, hfe = 0, he = 0;
	unsigned line = 1, hline = 0;
	int rc, have = 0;

	if (err && errlen)
		err[0] = '\0';
	if (!mp) {
		rc = -EINVAL;
		goto out;
	}
	*mp = NULL;
	skip = sl_sipmsg_skip_crlf(buf, len);
	if (!buf || skip == len) {
		rc = fail(err, errlen, "empty message");
		goto out;
	}
	if (len - skip > SL_SIPMSG_MAX_LEN) {
		rc = fail(err, errlen, "message of %zu bytes exceeds the %u-byte limit", len - skip,
			  SL_SIPMSG_MAX_LEN);
		goto out;
	}
	for (i = 0; i < skip; i++)
		line += buf[i] == '\n';
	m = calloc(1, sizeof(*m));
	if (m)
		m->raw = malloc(len - skip + 1);
	if (!m || !m->raw) {
		rc = -ENOMEM;
		goto out;
	}
	memcpy(m->raw, buf + skip, len - skip);
	m->raw[len - skip] = '\0';
	c.m = m;
	c.b = m->raw;
	c.len = len - skip;

	rc = read_line(&c, 0, line, &ce, &next);
	if (rc > 0)
		rc = fail(err, errlen, "line %u: start line not terminated", line);
	if (rc)
		goto out;
	if (ce >= 4 && !strncasecmp(c.b, "SIP/", 4))
		rc = parse_status_line(&c, c.b, ce, line);
	else
		rc = parse_request_line(&c, c.b, ce, line);
	if (rc)
		goto out;

	/* A header is added once the next line shows it has no more continuation lines. */
	for (pos = next, line++;; pos = next, line++) {
		rc = read_line(&c, pos, line, &ce, &next);
		if (rc > 0)
			rc = fail(err, errlen, "line %u: message ends inside the header section",
				  line);
		if (rc)
			goto out;
		if (ce == pos || !is_ws(c.b[pos])) {
			if (have) {
				rc = add_header(&c, hs, hfe, he, hline);
				if (rc)
					goto out;
			}
			if (ce == pos)
				break;
			have = 1;
			hs = pos;
			hfe = he = ce;
			hline = line;
		} else if (!have) {
			rc = fail(err, errlen, "line %u: continuation line without a header", line);
			goto out;
		} else {
			he = ce;
		}
	}

	m->body = m->raw + next;
	m->bodylen = c.len - next;
	if (c.have_cl) {
		if (c.cl > m->bodylen) {
			char q[40];
			rc = fail(err, errlen, "Content-Length %s exceeds datagram (%zu body bytes)",
				  shown(q, c.cl_text, strlen(c.cl_text)), m->bodylen);
			goto out;
		}
		m->bodylen = c.cl;
		/* Only the body still lives in raw, so terminating it there is safe. */
		m->raw[next + c.cl] = '\0';
	}

	m->call_id = sl_sipmsg_header(m, "Call-ID", 0);
	rc = header_tag(m, sl_sipmsg_header(m, "From", 0), &m->from_tag);
	if (!rc)
		rc = header_tag(m, sl_sipmsg_header(m, "To", 0), &m->to_tag);
	if (!rc)
		rc = parse_top_via(m, sl_sipmsg_header(m, "Via", 0));
	if (rc)
		goto out;
	*mp = m;
	m = NULL;
out:
	sl_sipmsg_free(m);
	return rc;
}

void sl_sipmsg_free(struct sl_sipmsg *m)
{
	struct sl_chunk *c, *n;

	if (!m)
		return;
	for (c = m->arena; c; c = n) {
		n = c->next;
		free(c);
	}
	free(m->hdrs);
	free(m->raw);
	free(m);
}

int sl_sipmsg_is_request(const struct sl_sipmsg *m)
{
	return m ? m->is_request : 0;
}

const char *sl_sipmsg_method(const struct sl_sipmsg *m)
{
	return m ? m->method : NULL;
}

const char *sl_sipmsg_uri(const struct sl_sipmsg *m)
{
	return m ? m->uri : NULL;
}

int sl_sipmsg_status(const struct sl_sipmsg *m)
{
	return m ? m->status : 0;
}

const char *sl_sipmsg_reason(const struct sl_sipmsg *m)
{
	return m ? m->reason : NULL;
}

const char *sl_sipmsg_header(const struct sl_sipmsg *m, const char *name, unsigned idx)
{
	const char *full;
	unsigned i;

	if (!m || !name)
		return NULL;
	full = compact_full(name, strlen(name));
	if (!full)
		full = name;
	for (i = 0; i < m->nhdrs; i++)
		if (!strcasecmp(m->hdrs[i].name, full) && idx-- == 0)
			return m->hdrs[i].value;
	return NULL;
}

unsigned sl_sipmsg_header_count(const struct sl_sipmsg *m, const char *name)
{
	const char *full;
	unsigned i, n = 0;

	if (!m || !name)
		return 0;
	full = compact_full(name, strlen(name));
	if (!full)
		full = name;
	for (i = 0; i < m->nhdrs; i++)
		n += !strcasecmp(m->hdrs[i].name, full);
	return n;
}

const char *sl_sipmsg_via_transport(const struct sl_sipmsg *m)
{
	return m ? m->via_transport : NULL;
}

const char *sl_sipmsg_via_host(const struct sl_sipmsg *m)
{
	return m ? m->via_host : NULL;
}

unsigned sl_sipmsg_via_port(const struct sl_sipmsg *m)
{
	return m ? m->via_port : 0;
}

const char *sl_sipmsg_via_branch(const struct sl_sipmsg *m)
{
	return m ? m->via_branch : NULL;
}

int sl_sipmsg_via_rport(const struct sl_sipmsg *m)
{
	return m ? m->via_rport : 0;
}

const char *sl_sipmsg_via_param(const struct sl_sipmsg *m, const char *name)
{
	return m && name ? param_find(m->via_params, m->nvia_params, name) : NULL;
}

const char *sl_sipmsg_call_id(const struct sl_sipmsg *m)
{
	return m ? m->call_id : NULL;
}

unsigned long sl_sipmsg_cseq_num(const struct sl_sipmsg *m)
{
	return m ? m->cseq_num : 0;
}

const char *sl_sipmsg_cseq_method(const struct sl_sipmsg *m)
{
	return m ? m->cseq_method : NULL;
}

const char *sl_sipmsg_from_tag(const struct sl_sipmsg *m)
{
	return m ? m->from_tag : NULL;
}

const char *sl_sipmsg_to_tag(const struct sl_sipmsg *m)
{
	return m ? m->to_tag : NULL;
}

const char *sl_sipmsg_body(const struct sl_sipmsg *m, size_t *len)
{
	if (len)
		*len = m ? m->bodylen : 0;
	return m ? m->body : NULL;
}

const char *sl_sipmsg_phrase(int code)
{
	switch (code) {
	case 100: return "Trying";
	case 180: return "Ringing";
	case 181: return "Call Is Being Forwarded";
	case 182: return "Queued";
	case 183: return "Session Progress";
	case 200: return "OK";
	case 202: return "Accepted";
	case 300: return "Multiple Choices";
	case 301: return "Moved Permanently";
	case 302: return "Moved Temporarily";
	case 305: return "Use Proxy";
	case 380: return "Alternative Service";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 402: return "Payment Required";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 406: return "Not Acceptable";
	case 407: return "Proxy Authentication Required";
	case 408: return "Request Timeout";
	case 410: return "Gone";
	case 413: return "Request Entity Too Large";
	case 414: return "Request-URI Too Long";
	case 415: return "Unsupported Media Type";
	case 416: return "Unsupported URI Scheme";
	case 420: return "Bad Extension";
	case 421: return "Extension Required";
	case 422: return "Session Interval Too Small";
	case 423: return "Interval Too Brief";
	case 480: return "Temporarily Unavailable";
	case 481: return "Call/Transaction Does Not Exist";
	case 482: return "Loop Detected";
	case 483: return "Too Many Hops";
	case 484: return "Address Incomplete";
	case 485: return "Ambiguous";
	case 486: return "Busy Here";
	case 487: return "Request Terminated";
	case 488: return "Not Acceptable Here";
	case 489: return "Bad Event";
	case 491: return "Request Pending";
	case 493: return "Undecipherable";
	case 500: return "Server Internal Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Server Time-out";
	case 505: return "Version Not Supported";
	case 513: return "Message Too Large";
	case 600: return "Busy Everywhere";
	case 603: return "Decline";
	case 604: return "Does Not Exist Anywhere";
	case 606: return "Not Acceptable";
	default:  return "Unknown";
	}
}

/* Output cursor: len keeps counting past cap so overflow is detected once, at the end. */
struct wbuf {
	char *p;
	size_t cap, len;
};

static void wput(struct wbuf *w, const char *s, size_t n)
{
	if (w->len < w->cap && n < w->cap - w->len)
		memcpy(w->p + w->len, s, n);
	w->len += n;
}

static void wputs(struct wbuf *w, const char *s)
{
	wput(w, s, strlen(s));
}

static void whdr(struct wbuf *w, const char *name, const char *value)
{
	wputs(w, name);
	wputs(w, ": ");
	wputs(w, value);
}

const char *sl_sipmsg_contact_uri(const struct sl_sipmsg *m, char *buf, size_t len)
{
	const char *v = sl_sipmsg_header(m, "Contact", 0), *lt, *end;
	if (!v || !len)
		return NULL;
	lt = strchr(v, '<');
	if (lt) {
		v = lt + 1;
		end = strchr(v, '>');
		if (!end)
			return NULL;
	} else {
		/* RFC 3261 20.10: without <>, parameters after ';' are the header's, not the URI's. */
		while (is_ws(*v))
			v++;
		end = v + strcspn(v, ";, \t");
	}
	if (end == v || (size_t)(end - v) >= len)
		return NULL;
	memcpy(buf, v, (size_t)(end - v));
	buf[end - v] = 0;
	return buf;
}

int sl_sipmsg_build_response_body(const struct sl_sipmsg *req, int code, const char *reason,
				  const char *to_tag, const char *extra_headers,
				  const char *ctype, const char *body, char *out, size_t outlen)
{
	struct wbuf w = { .p = out, .cap = outlen };
	const char *v, *to;
	char sl[16];
	size_t i, xl;
	int rc = -EINVAL, need_tag;

	if (!req || !req->is_request || !out || code < 100 || code > 699)
		goto out;
	if (reason && strpbrk(reason, "\r\n"))
		goto out;
	if (body && *body && (!ctype || !*ctype || strpbrk(ctype, "\r\n")))
		goto out;
	to = sl_sipmsg_header(req, "To", 0);
	need_tag = to && !req->to_tag && code > 100;
	if (need_tag) {
		if (!to_tag || !*to_tag)
			goto out;
		for (i = 0; to_tag[i]; i++)
			if (!is_token((unsigned char)to_tag[i]))
				goto out;
	}
	if (extra_headers && *extra_headers) {
		/* A blank line would end the header section early and orphan Content-Length. */
		xl = strlen(extra_headers);
		if (extra_headers[xl - 1] != '\n' || extra_headers[0] == '\n' ||
		    !strncmp(extra_headers, "\r\n", 2) || strstr(extra_headers, "\n\n") ||
		    strstr(extra_headers, "\n\r\n"))
			goto out;
	}

	snprintf(sl, sizeof(sl), "SIP/2.0 %03d ", code);
	wputs(&w, sl);
	wputs(&w, reason ? reason : sl_sipmsg_phrase(code));
	wputs(&w, "\r\n");
	/* One Via line per value, as requests usually come; a request whose Via values would
	 * take more lines than a message may have gets them joined (RFC 3261 7.3.1), so what
	 * we send parses whatever we were sent. */
	size_t nvia = sl_sipmsg_header_count(req, "Via"), xlines = 0, per = 1;
	for (const char *p = extra_headers; p && (p = strchr(p, '\n')); p++)
		xlines++;
	size_t room = SL_SIPMSG_MAX_HEADERS > xlines + 16 ? SL_SIPMSG_MAX_HEADERS - xlines - 16 : 1;
	if (nvia > room)
		per = (nvia + room - 1) / room;
	for (i = 0; (v = sl_sipmsg_header(req, "Via", (unsigned)i)); i++) {
		if (i % per == 0)
			wputs(&w, i ? "\r\nVia: " : "Via: ");
		else
			wputs(&w, ", ");
		wputs(&w, v);
	}
	if (nvia)
		wputs(&w, "\r\n");
	if ((v = sl_sipmsg_header(req, "From", 0))) {
		whdr(&w, "From", v);
		wputs(&w, "\r\n");
	}
	if (to) {
		whdr(&w, "To", to);
		if (need_tag) {
			wputs(&w, ";tag=");
			wputs(&w, to_tag);
		}
		wputs(&w, "\r\n");
	}
	if ((v = sl_sipmsg_header(req, "Call-ID", 0))) {
		whdr(&w, "Call-ID", v);
		wputs(&w, "\r\n");
	}
	if ((v = sl_sipmsg_header(req, "CSeq", 0))) {
		whdr(&w, "CSeq", v);
		wputs(&w, "\r\n");
	}
	if (extra_headers)
		wputs(&w, extra_headers);
	if (body && *body) {
		char cl[48];
		snprintf(cl, sizeof(cl), "Content-Length: %zu\r\n\r\n", strlen(body));
		wputs(&w, "Content-Type: ");
		wputs(&w, ctype);
		wputs(&w, "\r\n");
		wputs(&w, cl);
		wputs(&w, body);
	} else {
		wputs(&w, "Content-Length: 0\r\n\r\n");
	}

	if (w.len >= outlen || w.len > 0x7fffffff) {
		rc = -ENOSPC;
		goto out;
	}
	out[w.len] = '\0';
	rc = (int)w.len;
out:
	if (rc < 0 && out && outlen)
		out[0] = '\0';
	return rc;
}

int sl_sipmsg_build_response(const struct sl_sipmsg *req, int code, const char *reason,
			     const char *to_tag, const char *extra_headers, char *out, size_t outlen)
{
	return sl_sipmsg_build_response_body(req, code, reason, to_tag, extra_headers, NULL, NULL,
					     out, outlen);
}

/* Content-Length of a complete header section [0, hdr_end) (start line included, blank line
 * last). Returns 0 with *clp set, -ENOENT if absent, -EBADMSG if bad or conflicting. */
static int frame_cl(const char *b, size_t hdr_end, unsigned long *clp)
{
	const char *nl, *colon;
	size_t i, le, ne;
	unsigned long cl;
	int rc = -ENOENT;

	nl = memchr(b, '\n', hdr_end);
	for (i = (size_t)(nl - b) + 1; i < hdr_end; i = le + 1) {
		le = (size_t)((const char *)memchr(b + i, '\n', hdr_end - i) - b);
		while (le + 1 < hdr_end && is_ws(b[le + 1]))
			le = (size_t)((const char *)memchr(b + le + 1, '\n', hdr_end - le - 1) - b);
		colon = memchr(b + i, ':', le - i);
		if (!colon)
			continue;
		for (ne = (size_t)(colon - b); ne > i && is_ws(b[ne - 1]); ne--)
			;
		if (!((ne - i == 14 && !strncasecmp(b + i, "Content-Length", 14)) ||
		      (ne - i == 1 && (b[i] | 0x20) == 'l')))
			continue;
		if (parse_len(colon + 1, le - (size_t)(colon + 1 - b), &cl) ||
		    (rc == 0 && cl != *clp)) {
			rc = -EBADMSG;
			break;
		}
		*clp = cl;
		rc = 0;
	}
	return rc;
}

ssize_t sl_sipmsg_frame(const char *buf, size_t len)
{
	const char *b;
	size_t skip, avail, lim, i, ls = 0, hdr_end = 0;
	unsigned long cl = 0;
	ssize_t rc = 0;

	if (!buf) {
		rc = len ? -EINVAL : 0;
		goto out;
	}
	skip = sl_sipmsg_skip_crlf(buf, len);
	b = buf + skip;
	avail = len - skip;
	lim = avail < SL_SIPMSG_MAX_LEN ? avail : SL_SIPMSG_MAX_LEN;
	for (i = 0; i < lim; i++) {
		/* A NUL never belongs in a header section: the stream is out of sync. */
		if (b[i] == '\0') {
			rc = -EBADMSG;
			goto out;
		}
		if (b[i] != '\n')
			continue;
		if (i == ls || (i == ls + 1 && b[ls] == '\r')) {
			hdr_end = i + 1;
			break;
		}
		ls = i + 1;
	}
	if (!hdr_end) {
		rc = avail >= SL_SIPMSG_MAX_LEN ? -EBADMSG : 0;
		goto out;
	}
	/* Without Content-Length a stream message has no end (RFC 3261 18.3). */
	if (frame_cl(b, hdr_end, &cl) || cl > SL_SIPMSG_MAX_LEN - hdr_end) {
		rc = -EBADMSG;
		goto out;
	}
	if (avail - hdr_end >= cl)
		rc = (ssize_t)(skip + hdr_end + cl);
out:
	return rc;
}
