/* ref_dnswire.h: DNS messages as ref sees them: a query to send and a parsed answer
 * (NAPTR, SRV, A, AAAA) with its status and cache lifetime. Uses ldns for the wire codec. */
#ifndef REF_DNSWIRE_H
#define REF_DNSWIRE_H

#include <stddef.h>
#include <stdint.h>

#include "ref_target.h"
#include "ref_uri.h"

#define REF_T_A     1
#define REF_T_NAPTR 35
#define REF_T_SRV   33
#define REF_T_AAAA  28

enum ref_dns_status {
	REF_DNS_OK,       /* at least one record of the queried type */
	REF_DNS_NODATA,   /* the name exists, no record of this type */
	REF_DNS_NXDOMAIN, /* the name does not exist */
	REF_DNS_FAIL,     /* SERVFAIL, REFUSED, timeout, malformed, truncated: no answer */
};

struct ref_naptr {
	uint16_t order, pref;
	char flags[32];
	char services[64];
	char regexp[256];
	char replacement[REF_NAME_MAX]; /* without trailing dot; "." is the root */
	enum ref_tp tp;                 /* set by ref_naptr_filter() */
};

struct ref_srv {
	uint16_t prio, weight, port;
	char target[REF_NAME_MAX];      /* without trailing dot; "." is the root */
};

struct ref_dns_answer {
	int refs;
	enum ref_dns_status status;
	uint16_t type;
	uint32_t ttl;       /* seconds this answer may be cached (RRset TTL, RFC 2308 for negative) */
	char why[320];      /* for REF_DNS_FAIL and oddities: what went wrong, for the log */
	char cname[REF_NAME_MAX]; /* "" or the name a CNAME chain in the answer ended at: the
				     records (if any) are that name's; with NODATA the chain
				     left the answer there and must be asked for again */
	size_t n;
	union {
		struct ref_naptr *naptr;
		struct ref_srv *srv;
		struct ref_ip *ip;
	};
};

const char *ref_dns_type_name(uint16_t type);
const char *ref_dns_status_name(enum ref_dns_status st);

/* Wire form of a recursive query; *wire is malloc'ed. 0 or -errno. */
int ref_dns_build_query(const char *name, uint16_t type, uint16_t id, uint8_t **wire,
			size_t *len);
/* Parses a response to (id, name, type). -ENOMSG if it answers some other question
 * (ignore it), -EBADMSG if unparsable, else 0 with *out (refs = 1). */
int ref_dns_parse_response(const uint8_t *buf, size_t len, uint16_t id, const char *name,
			   uint16_t type, struct ref_dns_answer **out);
/* An answer without records (status FAIL etc.); NULL on ENOMEM. */
struct ref_dns_answer *ref_dns_answer_new(enum ref_dns_status st, uint16_t type,
					  const char *why);
void ref_dns_answer_ref(struct ref_dns_answer *a);
void ref_dns_answer_unref(struct ref_dns_answer *a);
/* One-line summary of the records, for the log. */
void ref_dns_answer_str(const struct ref_dns_answer *a, char *buf, size_t len);

#endif
