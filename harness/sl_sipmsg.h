/* sl_sipmsg.h: parse and build SIP messages (RFC 3261 syntax) for siploc's peers.
 * Promises: a parsed message owns copies of everything it returns (pointers stay valid until
 * sl_sipmsg_free); the parser and framer never read outside [buf, buf+len). */
#ifndef SL_SIPMSG_H
#define SL_SIPMSG_H

#include <stddef.h>
#include <sys/types.h>

/* Largest message (start line + headers + body, leading CR/LF not counted) we accept. */
#define SL_SIPMSG_MAX_LEN 65536u
/* Largest number of header lines (folded lines count once) in one message. */
#define SL_SIPMSG_MAX_HEADERS 256u

struct sl_sipmsg;                       /* opaque, owns a copy of the bytes */

/* Parses one complete message (a UDP datagram or one framed TCP message). Leading CR/LF
 * bytes are ignored (RFC 3261 7.5). Returns 0, or -EBADMSG with a one-line reason in err
 * (e.g. "line 3: header without colon"); -EINVAL if mp is NULL, -ENOMEM. *mp is NULL on
 * failure. err may be NULL. Missing Via/Call-ID/CSeq/From/To are not errors. */
int sl_sipmsg_parse(const char *buf, size_t len, struct sl_sipmsg **mp, char *err, size_t errlen);
void sl_sipmsg_free(struct sl_sipmsg *m);

int sl_sipmsg_is_request(const struct sl_sipmsg *m);
const char *sl_sipmsg_method(const struct sl_sipmsg *m);     /* requests; NULL otherwise */
const char *sl_sipmsg_uri(const struct sl_sipmsg *m);        /* Request-URI as sent; NULL for responses */
int sl_sipmsg_status(const struct sl_sipmsg *m);             /* responses; 0 otherwise */
const char *sl_sipmsg_reason(const struct sl_sipmsg *m);     /* responses ("" if empty); NULL otherwise */

/* Header value by name, case-insensitive, compact forms understood (v=Via, i=Call-ID,
 * f=From, t=To, l=Content-Length, c=Content-Type, m=Contact, k=Supported, s=Subject,
 * e=Content-Encoding); idx-th occurrence, counting comma-separated values of Via only as
 * separate entries (so multiple Via headers and "Via: a, b" both give entries 0,1,...).
 * NULL if absent. Values are trimmed and folded lines are unfolded to single spaces. */
const char *sl_sipmsg_header(const struct sl_sipmsg *m, const char *name, unsigned idx);
unsigned sl_sipmsg_header_count(const struct sl_sipmsg *m, const char *name);

/* Top Via pieces: transport as written ("UDP"), sent-by host (IPv6 without brackets) and
 * port (0 if absent), branch param as written (NULL if none, "" if valueless). All are
 * NULL/0 when the top Via is absent or does not parse as "proto/ver/transport host[:port]
 * *(;param)". */
const char *sl_sipmsg_via_transport(const struct sl_sipmsg *m);
const char *sl_sipmsg_via_host(const struct sl_sipmsg *m);
unsigned sl_sipmsg_via_port(const struct sl_sipmsg *m);
const char *sl_sipmsg_via_branch(const struct sl_sipmsg *m);
/* 1 if the top Via carries an rport parameter (with or without value), else 0. */
int sl_sipmsg_via_rport(const struct sl_sipmsg *m);
/* Any top-Via parameter by case-insensitive name: its value as written, "" if valueless,
 * NULL if absent. */
const char *sl_sipmsg_via_param(const struct sl_sipmsg *m, const char *name);

const char *sl_sipmsg_call_id(const struct sl_sipmsg *m);
unsigned long sl_sipmsg_cseq_num(const struct sl_sipmsg *m);    /* 0 if no CSeq */
const char *sl_sipmsg_cseq_method(const struct sl_sipmsg *m);
/* tag header parameter of From/To (not a URI parameter inside <>); NULL if none or if the
 * header is malformed (unterminated quote or <). */
const char *sl_sipmsg_from_tag(const struct sl_sipmsg *m);
const char *sl_sipmsg_to_tag(const struct sl_sipmsg *m);
/* The URI of the first Contact value ("<sip:a@b>;expires=1" gives sip:a@b) into buf;
 * NULL when there is none or it does not fit. */
const char *sl_sipmsg_contact_uri(const struct sl_sipmsg *m, char *buf, size_t len);
/* Body bytes (NUL-terminated for convenience, but may contain NULs); *len may be NULL. */
const char *sl_sipmsg_body(const struct sl_sipmsg *m, size_t *len);

/* Builds a response to request req: status line, all Via entries copied in order (one Via
 * header each), From, To (";tag=to_tag" appended if the request's To has no tag and
 * code > 100), Call-ID, CSeq copied, then extra_headers verbatim (each "Name: value\r\n",
 * may be NULL), Content-Length: 0. Headers missing from req are omitted. reason NULL ->
 * sl_sipmsg_phrase(code). Returns the length written (excluding the NUL), -ENOSPC if out is
 * too small, or -EINVAL (req not a request, code outside 100..699, CR/LF in reason, to_tag
 * needed but NULL/empty/not a token, extra_headers not ending in LF or containing an empty
 * line). */
int sl_sipmsg_build_response(const struct sl_sipmsg *req, int code, const char *reason,
			     const char *to_tag, const char *extra_headers, char *out, size_t outlen);
/* The same with a body (NUL-terminated text): Content-Type ctype and its Content-Length
 * after extra_headers. -EINVAL also when body is given without ctype or ctype holds CR/LF. */
int sl_sipmsg_build_response_body(const struct sl_sipmsg *req, int code, const char *reason,
				  const char *to_tag, const char *extra_headers,
				  const char *ctype, const char *body, char *out, size_t outlen);

/* TCP stream framing: given the bytes buffered so far, returns the length of the first
 * complete message (headers + Content-Length body; any leading CR/LF bytes are included in
 * the count, never returned as a message of their own; a buffer of only CR/LF gives 0),
 * 0 if more bytes are needed, or -EBADMSG if no valid message can start here (no or bad
 * Content-Length, NUL in the header section, headers or whole message over 64 KiB). */
ssize_t sl_sipmsg_frame(const char *buf, size_t len);
/* How many leading CR/LF bytes (keep-alives, RFC 5626 3.5.1) the caller should drop. */
size_t sl_sipmsg_skip_crlf(const char *buf, size_t len);

/* Standard reason phrase for a status code ("Unknown" if none). */
const char *sl_sipmsg_phrase(int code);

#endif
