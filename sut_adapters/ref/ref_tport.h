/* ref_tport.h: every SIP transport of ref behind one face, so the transaction layer never
 * asks which one carries a message: UDP (an IPv4 and an IPv6 socket), TCP and TLS
 * connections (ref_tcp). The unit of sending is a target (ref_target: transport, address,
 * port) plus, for streams, the connection it was prepared on.
 *
 * Promises: a transport that ref_tport_mask() does not list is refused up front
 * (-EPROTONOSUPPORT), never half used; failures of connections come through ops.down
 * from the loop, never from inside a call; UDP ICMP errors through ops.icmp. */
#ifndef REF_TPORT_H
#define REF_TPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "ref_log.h"
#include "ref_loop.h"
#include "ref_target.h"
#include "ref_tcp.h"

struct ref_tport;

struct ref_tport_ops {
	/* A datagram (conn NULL) or one message framed from the stream conn, from `from`. */
	void (*message)(void *arg, const char *buf, size_t len, const struct sockaddr *from,
			struct ref_conn *conn);
	/* ICMP error for a datagram sent to dst (see ref_udp.h). */
	void (*icmp)(void *arg, int err, const struct sockaddr *dst, const char *payload,
		     size_t len);
	/* A connection failed (see ref_tcp.h for err). */
	void (*down)(void *arg, struct ref_conn *conn, int err, const char *why);
	void *arg;
};

struct ref_tport_cfg {
	struct ref_loop *loop;
	const struct ref_log *log;
	const char *bind4;       /* numeric local address (IPv4, or IPv6 for a v6-only SUT) */
	const char *bind6;       /* numeric local IPv6 address, NULL: no IPv6 */
	uint16_t udp_port;       /* wanted UDP port (5060); an ephemeral one if taken */
	unsigned tp_mask;        /* REF_TPM() of the transports to offer */
	const char *tls_ca_file; /* CA for server certificates (TLS) */
};

int ref_tport_new(struct ref_tport **out, const struct ref_tport_cfg *cfg,
		  const struct ref_tport_ops *ops);
void ref_tport_free(struct ref_tport *tp);

/* Transports ready for use (a subset of cfg->tp_mask: TLS needs a usable context). */
unsigned ref_tport_mask(const struct ref_tport *tp);
/* True when IPv6 destinations can be reached (an IPv6 local address was given). */
bool ref_tport_ipv6(const struct ref_tport *tp);
/* Local UDP port of the IPv4 (or only) socket: for logs. */
uint16_t ref_tport_udp_port(const struct ref_tport *tp);

/* Readies sending to dst. Streams: *conn is the connection to use (opened if needed,
 * held for the caller: ref_conn_release); UDP: *conn = NULL. *host and *port are the
 * local address and port the message should name (Via sent-by, Contact); *host stays
 * valid as long as tp. 0 or -errno (-EPROTONOSUPPORT, -EAFNOSUPPORT, ...). */
int ref_tport_prepare(struct ref_tport *tp, const struct ref_target *dst,
		      const char *tls_name, struct ref_conn **conn, const char **host,
		      uint16_t *port);
/* Sends one message to dst: on conn for streams (as prepared), as a datagram for UDP.
 * 0 or -errno; a stream's later failure arrives through ops.down. */
int ref_tport_send(struct ref_tport *tp, const struct ref_target *dst,
		   struct ref_conn *conn, const void *buf, size_t len);

/* The server and proxy roles: listens for TCP on tcp_port and for TLS on tls_port (0:
 * not), on every local address, with cert_file / key_file as ref's own TLS identity
 * (without them no TLS listener, logged). Transports the mask lacks are skipped. What is
 * accepted comes through ops like any connection. 0 or -errno (a port taken). */
int ref_tport_listen(struct ref_tport *tp, struct ref_loop *loop, uint16_t tcp_port,
		     uint16_t tls_port, const char *cert_file, const char *key_file);
/* The newest live accepted connection of transport kind from from's address, or NULL. */
struct ref_conn *ref_tport_inbound(struct ref_tport *tp, enum ref_tp kind,
				   const struct sockaddr *from);

#endif
