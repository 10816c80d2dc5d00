/* ref_sip.h: building ref's SIP requests and reading the few fields of a response that a
 * client transaction needs (RFC 3261 section 7, 8.1.1, 17.1.1.3, 20). */
#ifndef REF_SIP_H
#define REF_SIP_H

#include <stddef.h>
#include <stdint.h>

#include "ref_target.h"

struct ref_sip_req {
	const char *method;       /* request line method */
	const char *uri;          /* Request-URI, as given */
	enum ref_tp tp;           /* for the Via transport token */
	const char *local_host;   /* numeric local address (Via sent-by, From, Contact) */
	uint16_t local_port;
	const char *branch;       /* full branch, "z9hG4bK..." */
	const char *from_tag;
	const char *to_tag;       /* NULL or "" for none */
	const char *call_id;
	uint32_t cseq;
	const char *cseq_method;  /* NULL: same as method */
	size_t body_len;          /* 'x' bytes of text/plain */
	const char *user_agent;
};

struct ref_sip_rsp {
	int status;
	char reason[64];
	char branch[128];         /* top Via branch, "" if none */
	char to_tag[128];         /* "" if none */
	char call_id[256];
	uint32_t cseq;
	char cseq_method[32];
	int retry_after;          /* seconds, -1 if absent */
};

/* Builds the request; *out is malloc'ed, NUL-terminated, *len excludes the NUL. */
int ref_sip_build(const struct ref_sip_req *r, char **out, size_t *len);
/* 0, -EINVAL when buf is not a SIP response with status, Via, CSeq. */
int ref_sip_parse_response(const char *buf, size_t len, struct ref_sip_rsp *rsp);
/* Finds the top Via branch in a (possibly truncated) request; 0 or -ENOENT. */
int ref_sip_find_branch(const char *buf, size_t len, char *out, size_t outlen);

#endif
