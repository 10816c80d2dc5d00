/* ref_listen.h: a listening TCP socket for the roles where ref receives requests (server,
 * stateless proxy): every connection it accepts becomes a ref_tcp connection of its
 * transport (TCP, or TLS with ref's own certificate) through ref_tcp_adopt, so messages
 * and failures of accepted connections reach the same callbacks as those ref opened.
 * Promises: no port fallback (a taken port fails the open: a server must be where the
 * scenario sends); accepting never blocks the loop. */
#ifndef REF_LISTEN_H
#define REF_LISTEN_H

#include <stdint.h>

#include "ref_log.h"
#include "ref_loop.h"
#include "ref_tcp.h"

struct ref_listen;

/* Listens on host:port (numeric) for tp (REF_TP_TCP or REF_TP_TLS). 0 or -errno. */
int ref_listen_new(struct ref_listen **out, struct ref_loop *loop, const struct ref_log *log,
		   struct ref_tcp *tcp, enum ref_tp tp, const char *host, uint16_t port);
void ref_listen_free(struct ref_listen *l);

#endif
