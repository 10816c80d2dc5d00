/* ref_rsend.h: sending a response back towards the client, for the server and the proxy
 * roles: RFC 3261 18.2.2 first (UDP: the received address, else sent-by, with the sent-by
 * port or the transport's default), then, when that fails with a fatal transport error
 * (an ICMP unreachable), RFC 3263 section 5 on the topmost Via's sent-by: a numeric
 * address as is; a name with a port through A/AAAA, each address in turn; a name without
 * a port through SRV (_sips for TLS, else _sip, with the Via transport) in RFC 2782 order,
 * the next element on each failure (a refused, reset or failed connection for TCP and TLS,
 * the Via's transport throughout). The lookups reuse ref_resolve (a sent-by is resolved
 * like a URI with transport= and that port), so section 5 and section 4 share one code.
 * Promises: one response is never sent twice to one address; a response that ran out of
 * destinations is logged as lost, never retried forever. */
#ifndef REF_RSEND_H
#define REF_RSEND_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "ref_log.h"
#include "ref_loop.h"
#include "ref_resolve.h"
#include "ref_tport.h"

struct ref_rsend_env {
	struct ref_loop *loop;
	struct ref_tport *tport;
	const struct ref_log *log;
	struct ref_resolve_env resolve;  /* for section 5 (its rng orders SRV per RFC 2782) */
	unsigned linger_ms;              /* how long a sent response waits for an ICMP error */
};

struct ref_rsends;

int ref_rsends_new(struct ref_rsends **out, const struct ref_rsend_env *env);
void ref_rsends_free(struct ref_rsends *t);

/* Sends rsp, whose topmost Via is the client's (with received= when the server added
 * one). 0, or -errno when nothing could be sent (no usable Via, a transport ref lacks).
 * Over TCP/TLS it goes first on conn, the connection the request came on (NULL: the
 * newest one accepted from the Via's received or numeric sent-by address); when that is
 * gone or fails before the response is written out, over a new connection (RFC 3261
 * 18.2.2: received, or the numeric sent-by, on the sent-by port or the default), then
 * RFC 3263 section 5 with TLS over TCP for a Via of TLS. */
int ref_rsend(struct ref_rsends *t, const char *rsp, size_t len);
int ref_rsend_on(struct ref_rsends *t, const char *rsp, size_t len, struct ref_conn *conn);

/* An ICMP error from the transport: true when it concerned a response sent here (the next
 * destination is then tried). */
bool ref_rsends_on_icmp(struct ref_rsends *t, int err, const struct sockaddr *dst,
			const char *payload, size_t len);

/* A connection failed or closed (ref_tcp's down): every response riding it that had not
 * been written out whole goes to its next destination; one that had is done. */
void ref_rsends_on_down(struct ref_rsends *t, struct ref_conn *conn, int err, const char *why);

#endif
