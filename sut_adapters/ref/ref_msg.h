/* ref_msg.h: reading and editing SIP messages that ref did not build itself: the requests
 * a server or proxy receives and the responses a proxy forwards (RFC 3261 7, 16.6, 16.7,
 * 18.2.1, 20.42). Messages are NUL-terminated text; every edit returns a new malloc'ed copy.
 * Promises: nothing reads outside the given text; a message ref cannot parse is refused
 * with -EINVAL, never half-edited. */
#ifndef REF_MSG_H
#define REF_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ref_target.h"
#include "ref_uri.h"

/* The topmost Via value, parsed (RFC 3261 20.42). */
struct ref_via {
	char transport[16];          /* "UDP", "TCP", "TLS", ... as written, upper-cased */
	char host[REF_NAME_MAX];     /* sent-by host; IPv6 without brackets */
	bool host_is_ip;
	uint16_t port;               /* 0: sent-by has no port */
	char branch[128];            /* "" when absent */
	char received[64];           /* "" when absent */
	char maddr[REF_NAME_MAX];    /* "" when absent */
	bool rport;
};

/* true when text starts with a request line. */
bool ref_msg_is_request(const char *msg);
/* Request line: method and Request-URI into the buffers; -EINVAL if not a request. */
int ref_msg_request_line(const char *msg, char *method, size_t mlen, char *uri, size_t ulen);
/* Status code of a response; -EINVAL if not a response. */
int ref_msg_status(const char *msg);
/* Value of the idx-th header line called name (or its compact form cname, 0 for none),
 * trimmed, into out; -ENOENT when there is no such line, -ENOSPC when it does not fit. */
int ref_msg_header(const char *msg, const char *name, char cname, unsigned idx, char *out,
		   size_t outlen);
/* The topmost Via (first value of the first Via line); -ENOENT / -EINVAL. */
int ref_msg_top_via(const char *msg, struct ref_via *v);
/* The second Via value (the one under the top), for a proxy forwarding a response. */
int ref_msg_second_via(const char *msg, struct ref_via *v);
/* CSeq number and method; -EINVAL when absent or malformed. */
int ref_msg_cseq(const char *msg, uint32_t *num, char *method, size_t mlen);
/* The tag parameter of the To (to = true) or From header, "" when none. */
int ref_msg_tag(const char *msg, bool to, char *out, size_t outlen);

/* A copy with the topmost Via value removed (the whole line when it held one value). */
int ref_msg_pop_via(const char *msg, char **out, size_t *outlen);
/* A copy with line ("Name: value", no CRLF) inserted right after the start line. */
int ref_msg_push_header(const char *msg, const char *line, char **out, size_t *outlen);
/* A copy whose topmost Via carries ;received=addr (RFC 3261 18.2.1). */
int ref_msg_via_received(const char *msg, const char *addr, char **out, size_t *outlen);
/* A copy of a request with Max-Forwards decremented (70 added when absent); -ELOOP when
 * it was already 0 (the proxy must answer 483 instead). */
int ref_msg_max_forwards(const char *msg, char **out, size_t *outlen);
/* A copy with the Request-URI replaced and the method (request line and CSeq) set, for
 * the ACK and CANCEL a proxy builds from the INVITE it forwarded (RFC 3261 9.1, 17.1.1.3):
 * keeps the Via lines, From, To (to_tag added when given and To has none), Call-ID and
 * CSeq number, Max-Forwards; drops the body. */
int ref_msg_derive(const char *req, const char *method, const char *to_tag, char **out,
		   size_t *outlen);
/* A response to req (RFC 3261 8.2.6): every Via line, From, To (;tag=to_tag added when the
 * request's To has none and code > 100), Call-ID, CSeq, Content-Length: 0. */
int ref_msg_response(const char *req, int code, const char *reason, const char *to_tag,
		     char **out, size_t *outlen);

#endif
