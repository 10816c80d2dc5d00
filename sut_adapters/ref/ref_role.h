/* ref_role.h: which role ref plays (sut_config.role): "client" needs nothing here (the
 * request table drives it); "server" and "stateless-proxy" take every datagram and ICMP
 * error of the UDP socket and every message and failure of the TCP/TLS connections,
 * through ref_server or ref_proxy with ref_rsend. */
#ifndef REF_ROLE_H
#define REF_ROLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "ref_log.h"
#include "ref_loop.h"
#include "ref_rand.h"
#include "ref_resolve.h"
#include "ref_tport.h"

struct ref_role_env {
	struct ref_loop *loop;
	struct ref_tport *tport;         /* the listening transports */
	const struct ref_log *log;
	struct ref_rng *rng;
	struct ref_resolve_env resolve;  /* the client's; the proxy makes it deterministic */
	const char *local_host;
	uint16_t local_port;
	unsigned t1, t2, timer_b, timer_f;
};

struct ref_role;

/* *out is NULL for the client role (or a NULL role); -EINVAL for an unknown role. */
int ref_role_new(struct ref_role **out, const char *role, const struct ref_role_env *env);
void ref_role_free(struct ref_role *r);
/* true when the role took the datagram / the error. */
bool ref_role_on_message(struct ref_role *r, const char *buf, size_t len,
			 const struct sockaddr *from, struct ref_conn *conn);
bool ref_role_on_icmp(struct ref_role *r, int err, const struct sockaddr *dst,
		      const char *payload, size_t len);
/* A connection failed or closed: a response riding it goes to its next destination. */
void ref_role_on_down(struct ref_role *r, struct ref_conn *conn, int err, const char *why);

#endif
