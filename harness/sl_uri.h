/* sl_uri.h: the parts of a SIP or SIPS URI that RFC 3263 resolution reads (scheme, host,
 * port, transport and maddr parameters), for the checks.
 * Promises: hosts come out without brackets and lower-cased; nothing outside the string
 * is read; a URI that is not sip:/sips: with a host is refused. */
#ifndef SL_URI_H
#define SL_URI_H

#include <stddef.h>

struct sl_uri {
	int sips;               /* sips: scheme */
	char host[256];         /* "example.test", "127.0.0.9", "fd00::9" */
	int host_numeric;       /* 4 or 6 when host is an IP literal, else 0 */
	unsigned port;          /* 0: none given */
	char transport[16];     /* transport= param, lower-case, "" when absent */
	char maddr[256];        /* maddr= param, lower-case, "" when absent */
	int maddr_numeric;      /* 4 or 6 when maddr is an IP literal */
};

/* Returns 0, or -EINVAL with the reason in err. */
int sl_uri_parse(const char *s, struct sl_uri *u, char *err, size_t errlen);

/* TARGET of RFC 3263 section 4: maddr when present, else the host. */
const char *sl_uri_target(const struct sl_uri *u, int *numeric);

#endif
