/* ref_sip.c: SIP message text: request construction and a tolerant header scanner for
 * responses (compact header forms, case-insensitive names, folded lines ignored). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ref_sip.h"

int ref_sip_build(const struct ref_sip_req *r, char **out, size_t *len)
{
	bool v6 = strchr(r->local_host, ':') != NULL;
	const char *lb = v6 ? "[" : "", *rb = v6 ? "]" : "";
	char *hdr = NULL, *msg;
	int n;

	*out = NULL;
	n = asprintf(&hdr,
		     "%s %s SIP/2.0\r\n"
		     "Via: SIP/2.0/%s %s%s%s:%u;branch=%s;rport\r\n"
		     "Max-Forwards: 70\r\n"
		     "From: <sip:siploc-ref@%s%s%s>;tag=%s\r\n"
		     "To: <%s>%s%s\r\n"
		     "Call-ID: %s\r\n"
		     "CSeq: %u %s\r\n"
		     "Contact: <sip:ref@%s%s%s:%u>\r\n"
		     "User-Agent: %s\r\n"
		     "%s"
		     "Content-Length: %zu\r\n\r\n",
		     r->method, r->uri,
		     ref_tp_via(r->tp), lb, r->local_host, rb, r->local_port, r->branch,
		     lb, r->local_host, rb, r->from_tag,
		     r->uri, r->to_tag && r->to_tag[0] ? ";tag=" : "", r->to_tag ? r->to_tag : "",
		     r->call_id,
		     r->cseq, r->cseq_method ? r->cseq_method : r->method,
		     lb, r->local_host, rb, r->local_port,
		     r->user_agent ? r->user_agent : "siploc-ref",
		     r->body_len ? "Content-Type: text/plain\r\n" : "",
		     r->body_len);
	if (n < 0)
		return -ENOMEM;
	msg = realloc(hdr, (size_t)n + r->body_len + 1);
	if (!msg) {
		free(hdr);
		return -ENOMEM;
	}
	memset(msg + n, 'x', r->body_len);
	msg[(size_t)n + r->body_len] = '\0';
	*out = msg;
	*len = (size_t)n + r->body_len;
	return 0;
}

/* Copies the value of parameter name (";name=value") from a header value, stopping at the
 * end of the value or a ','. */
static void param(const char *v, size_t vlen, const char *name, char *out, size_t outlen)
{
	size_t nlen = strlen(name);

	out[0] = '\0';
	for (size_t i = 0; i < vlen; i++) {
		size_t j, k = 0;

		if (v[i] == ',')
			return;
		if (v[i] != ';')
			continue;
		j = i + 1;
		while (j < vlen && (v[j] == ' ' || v[j] == '\t'))
			j++;
		if (j + nlen >= vlen || strncasecmp(v + j, name, nlen) != 0)
			continue;
		j += nlen;
		while (j < vlen && (v[j] == ' ' || v[j] == '\t'))
			j++;
		if (j >= vlen || v[j] != '=')
			continue;
		j++;
		while (j < vlen && (v[j] == ' ' || v[j] == '\t'))
			j++;
		while (j < vlen && k + 1 < outlen && !strchr(";, \t\r\n", v[j]))
			out[k++] = v[j++];
		out[k] = '\0';
		return;
	}
}

static bool hname(const char *h, size_t hlen, const char *full, const char *compact)
{
	return (hlen == strlen(full) && strncasecmp(h, full, hlen) == 0) ||
	       (compact && hlen == 1 && tolower((unsigned char)*h) == *compact);
}

/* Calls fn for each header line (name, value) until the blank line. */
static void scan_headers(const char *buf, size_t len,
			 void (*fn)(void *, const char *, size_t, const char *, size_t),
			 void *arg)
{
	const char *p = memchr(buf, '\n', len), *end = buf + len;

	while (p && ++p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *le = eol ? eol : end, *colon, *v;

		if (le > p && le[-1] == '\r')
			le--;
		if (le == p)
			return; /* blank line: end of headers */
		colon = memchr(p, ':', (size_t)(le - p));
		if (colon && *p != ' ' && *p != '\t') {
			const char *ne = colon;

			while (ne > p && (ne[-1] == ' ' || ne[-1] == '\t'))
				ne--;
			v = colon + 1;
			while (v < le && (*v == ' ' || *v == '\t'))
				v++;
			fn(arg, p, (size_t)(ne - p), v, (size_t)(le - v));
		}
		p = eol;
	}
}

struct rsp_scan {
	struct ref_sip_rsp *rsp;
	bool via, cseq;
};

static void rsp_header(void *arg, const char *h, size_t hlen, const char *v, size_t vlen)
{
	struct rsp_scan *s = arg;
	struct ref_sip_rsp *rsp = s->rsp;

	if (hname(h, hlen, "Via", "v")) {
		if (!s->via)
			param(v, vlen, "branch", rsp->branch, sizeof(rsp->branch));
		s->via = true; /* only the top Via is ours */
	} else if (hname(h, hlen, "To", "t")) {
		/* tag is a To parameter only outside the <>-enclosed URI. */
		const char *gt = memchr(v, '>', vlen);
		size_t off = gt ? (size_t)(gt - v) : 0;

		param(v + off, vlen - off, "tag", rsp->to_tag, sizeof(rsp->to_tag));
	} else if (hname(h, hlen, "Call-ID", "i")) {
		size_t n = vlen < sizeof(rsp->call_id) - 1 ? vlen : sizeof(rsp->call_id) - 1;

		memcpy(rsp->call_id, v, n);
		rsp->call_id[n] = '\0';
	} else if (hname(h, hlen, "CSeq", NULL)) {
		char m[32] = "";
		unsigned long num;
		char *e;

		num = strtoul(v, &e, 10);
		if (e == v || e > v + vlen)
			return;
		while (e < v + vlen && (*e == ' ' || *e == '\t'))
			e++;
		for (size_t k = 0; e < v + vlen && k + 1 < sizeof(m) && !isspace((unsigned char)*e); )
			m[k++] = *e++, m[k] = '\0';
		rsp->cseq = (uint32_t)num;
		snprintf(rsp->cseq_method, sizeof(rsp->cseq_method), "%s", m);
		s->cseq = m[0] != '\0';
	} else if (hname(h, hlen, "Retry-After", NULL)) {
		if (vlen && isdigit((unsigned char)*v))
			rsp->retry_after = (int)strtol(v, NULL, 10);
	}
}

int ref_sip_parse_response(const char *buf, size_t len, struct ref_sip_rsp *rsp)
{
	struct rsp_scan s = { .rsp = rsp };
	const char *eol;
	size_t n;

	memset(rsp, 0, sizeof(*rsp));
	rsp->retry_after = -1;
	if (len < 12 || strncmp(buf, "SIP/2.0 ", 8) != 0)
		return -EINVAL;
	if (!isdigit((unsigned char)buf[8]) || !isdigit((unsigned char)buf[9]) ||
	    !isdigit((unsigned char)buf[10]) || buf[11] != ' ')
		return -EINVAL;
	rsp->status = (buf[8] - '0') * 100 + (buf[9] - '0') * 10 + (buf[10] - '0');
	if (rsp->status < 100 || rsp->status > 699)
		return -EINVAL;
	eol = memchr(buf, '\n', len);
	n = eol ? (size_t)(eol - buf) - 12 : len - 12;
	if (n && buf[12 + n - 1] == '\r')
		n--;
	if (n >= sizeof(rsp->reason))
		n = sizeof(rsp->reason) - 1;
	memcpy(rsp->reason, buf + 12, n);
	rsp->reason[n] = '\0';
	scan_headers(buf, len, rsp_header, &s);
	return s.via && s.cseq ? 0 : -EINVAL;
}

struct branch_scan {
	char *out;
	size_t outlen;
	bool via;
};

static void branch_header(void *arg, const char *h, size_t hlen, const char *v, size_t vlen)
{
	struct branch_scan *s = arg;

	if (!s->via && hname(h, hlen, "Via", "v")) {
		param(v, vlen, "branch", s->out, s->outlen);
		s->via = true;
	}
}

int ref_sip_find_branch(const char *buf, size_t len, char *out, size_t outlen)
{
	struct branch_scan s = { .out = out, .outlen = outlen };

	out[0] = '\0';
	scan_headers(buf, len, branch_header, &s);
	return out[0] ? 0 : -ENOENT;
}
