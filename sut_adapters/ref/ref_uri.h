/* ref_uri.h: the parts of a sip:/sips: Request-URI that RFC 3263 resolution needs. */
#ifndef REF_URI_H
#define REF_URI_H

#include <stdbool.h>
#include <stdint.h>

#include "ref_target.h"

#define REF_NAME_MAX 256

struct ref_uri {
	bool sips;
	char host[REF_NAME_MAX];   /* IPv6 without brackets; names without trailing dot */
	bool host_is_ip;
	uint16_t port;             /* 0: none given */
	bool has_transport;
	enum ref_tp transport;     /* valid when has_transport */
	char maddr[REF_NAME_MAX];  /* "" when absent */
	bool maddr_is_ip;
};

/* 0, or -EINVAL for anything that is not a well-formed sip:/sips: URI,
 * -EPROTONOSUPPORT for a transport= value ref does not know. */
int ref_uri_parse(const char *s, struct ref_uri *u);

/* RFC 3263 section 4: TARGET is maddr when present, else the host. */
const char *ref_uri_target(const struct ref_uri *u);
bool ref_uri_target_is_ip(const struct ref_uri *u);

#endif
