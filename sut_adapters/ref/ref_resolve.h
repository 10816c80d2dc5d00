/* ref_resolve.h: RFC 3263 4.1/4.2 for one transaction: the ordered (transport, address, port)
 * list for a Request-URI, produced lazily so an SRV target is looked up only when tried. */
#ifndef REF_RESOLVE_H
#define REF_RESOLVE_H

#include <stdbool.h>

#include "ref_biddown.h"
#include "ref_dns.h"
#include "ref_log.h"
#include "ref_loop.h"
#include "ref_rand.h"
#include "ref_target.h"
#include "ref_uri.h"

struct ref_resolve_env {
	struct ref_loop *loop;
	struct ref_dns *dns;
	struct ref_rng *rng;
	const struct ref_log *log;
	unsigned tp_mask; /* REF_TPM() of the transports the client may use */
	bool ipv6;        /* AAAA lookups and IPv6 destinations allowed */
	bool deterministic; /* stateless proxy (RFC 3263 4.4): equal-priority SRV and equal
			     * NAPTR records in a fixed order (ref_srv_order_det), no rng */
	struct ref_biddown *biddown; /* SIPS memory (RFC 3263 7), or NULL */
};

struct ref_resolver;

/* rc 0: t is the next element (valid during the call), desc says where it came from.
 * rc < 0: the list is exhausted; rc is the enum sut_error explaining an empty list
 * (SUT_E_DNS, SUT_E_NOTARGET, SUT_E_TRANSPORT for an unusable transport). */
typedef void (*ref_resolve_cb)(void *arg, int rc, const struct ref_target *t,
			       const char *desc);

int ref_resolver_new(struct ref_resolver **out, const struct ref_resolve_env *env,
		     const struct ref_uri *uri);
/* Asks for the next element; cb runs once, later, from the loop. */
void ref_resolver_next(struct ref_resolver *r, ref_resolve_cb cb, void *arg);
void ref_resolver_free(struct ref_resolver *r);

#endif
