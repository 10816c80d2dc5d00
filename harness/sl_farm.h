/* sl_farm.h: a generated zone of many domains (zone_farm{}), for scale scenarios: a proxy
 * talking to thousands of domains (RFC 3263 section 2).
 * Promises: every name, record and address is a pure function of the options and the
 * domain number, so the zone, the peers and the check that reads the event log back
 * agree without sharing state; addresses stay in 127.0.0.0/8. */
#ifndef SL_FARM_H
#define SL_FARM_H

#include <stddef.h>
#include <stdint.h>

struct sl_evlog;
struct sl_check_out;

#define SL_FARM_MAX_DOMAINS 100000
#define SL_FARM_MAX_PEERS 32

struct sl_farm {
	unsigned domains;     /* 1..SL_FARM_MAX_DOMAINS, numbered from 1 */
	char pattern[128];    /* one %d: "d%d.farm.test" */
	int naptr;            /* NAPTR SIP+D2U -> _sip._udp.<domain> */
	unsigned srv;         /* SRV records per domain (priorities 10, 20, ...); 0: A only */
	unsigned a;           /* A records per SRV target (per domain when srv = 0) */
	unsigned peers;       /* distinct addresses the targets are spread over */
	uint32_t base;        /* first address, host order */
	unsigned port;
	unsigned ttl;
};

static inline unsigned sl_farm_count(const struct sl_farm *f)
{
	return f->domains;
}

/* Checks the options (pattern, counts, addresses inside 127/8); 0 or -EINVAL with why. */
int sl_farm_validate(const struct sl_farm *f, char *err, size_t errlen);
/* Domain i (1-based). */
void sl_farm_domain(const struct sl_farm *f, unsigned i, char *buf, size_t len);
/* Peer k (0-based) as "addr:port/udp". */
void sl_farm_peer(const struct sl_farm *f, unsigned k, char *buf, size_t len);
/* The peer that target j (1-based SRV record; 1 when srv = 0) address m (1-based) of
 * domain i resolves to, an index for sl_farm_peer: ((i-1)*a + (m-1) + (j-1)) mod peers,
 * so first targets spread over every peer. */
unsigned sl_farm_peer_of(const struct sl_farm *f, unsigned i, unsigned j, unsigned m);
/* The Request-URI for domain i: sip:<user>@<domain>, with :port when srv = 0 and the
 * port is not 5060. */
void sl_farm_uri(const struct sl_farm *f, unsigned i, const char *user, char *buf,
		 size_t len);
/* The whole zone as master-file text (malloc'd), or NULL. */
char *sl_farm_zone_text(const struct sl_farm *f);

/* expect_farm: every domain was resolved the RFC 3263 way (NAPTR, then the SRV it names,
 * then the A of the first target, in that order among its queries) and the first attempt
 * of its first transaction of method (NULL: any but ACK/CANCEL) went to its first target.
 * Linear in the events. */
void sl_check_farm(const struct sl_evlog *l, const struct sl_farm *f, const char *method,
		   struct sl_check_out *o);

#endif
