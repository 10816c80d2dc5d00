/* ref_proxy.h: ref in the stateless-proxy role (RFC 3261 16.11, RFC 3263 4.4). Each request
 * received is resolved (RFC 3263 section 4 with ref_resolve, equal-priority SRV and NAPTR
 * records in a deterministic order) and forwarded to the first element of the list with a
 * Via whose branch is a hash of the received branch, so every retransmission, the non-2xx
 * ACK and the CANCEL reach the same server with the same branch; responses go upstream
 * per the next Via (ref_rsend). When the first server fails (ICMP unreachable, 503) the
 * proxy turns stateful for that transaction (4.4's SHOULD): it absorbs the client's
 * retransmissions, retransmits itself, fails over along the list with a new branch per
 * attempt, ACKs non-2xx finals downstream and answers 408/503 when the list runs out.
 * What the stateless path remembers: for each forwarded request, until its first response
 * or timer B, the request and its list, so a failure can be acted on; it never decides
 * where a retransmission goes. Not done: Record-Route, loop detection beyond Max-Forwards,
 * routing a 2xx ACK by its Route set (it is resolved like any request). */
#ifndef REF_PROXY_H
#define REF_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "ref_log.h"
#include "ref_loop.h"
#include "ref_resolve.h"
#include "ref_rsend.h"
#include "ref_tport.h"

struct ref_proxy_env {
	struct ref_loop *loop;
	struct ref_tport *tport;
	const struct ref_log *log;
	struct ref_rsends *rsends;
	struct ref_resolve_env resolve;  /* the caller sets deterministic */
	const char *local_host;          /* our Via sent-by */
	uint16_t local_port;
	unsigned t1, t2, timer_b, timer_f; /* ms */
};

struct ref_proxy;

int ref_proxy_new(struct ref_proxy **out, const struct ref_proxy_env *env);
void ref_proxy_free(struct ref_proxy *p);
void ref_proxy_on_message(struct ref_proxy *p, const char *buf, size_t len,
			  const struct sockaddr *from);
/* true when the ICMP error concerned a request the proxy forwarded. */
bool ref_proxy_on_icmp(struct ref_proxy *p, int err, const struct sockaddr *dst,
		       const char *payload, size_t len);

#endif
