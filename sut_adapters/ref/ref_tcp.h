/* ref_tcp.h: ref's stream transports (RFC 3261 18): TCP and TLS over TCP. One connection
 * per (transport, destination, TLS name), opened on first use and shared by every message
 * to that destination; messages framed by Content-Length (18.3).
 *
 * Promises:
 * - ref_tcp_open() never reports a failure from inside the call: a refused, reset, hung
 *   or unverifiable connection is reported once, later, from the loop, through ops.down;
 * - data given to ref_conn_send() before the connection is up (TCP connected and, for TLS,
 *   the handshake done and the certificate verified) waits; none of it is ever written
 *   in plaintext on a TLS connection;
 * - ops.message gets whole SIP messages, one per call, each at most 64 KiB + headers;
 * - a connection lives while anyone holds it or while it is up and idle; it is freed from
 *   a timer, never inside a callback, so a holder may release it from any callback. */
#ifndef REF_TCP_H
#define REF_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ref_log.h"
#include "ref_loop.h"
#include "ref_target.h"
#include "ref_tls.h"

struct ref_tcp;
struct ref_conn;

struct ref_tcp_ops {
	/* One complete message arrived on c (from its peer). */
	void (*message)(void *arg, struct ref_conn *c, const char *buf, size_t len);
	/* c failed or closed: err -ECONNREFUSED (RST to the SYN), -ECONNRESET, -EPIPE (closed
	 * by the peer), -EPROTO (TLS handshake or certificate, unframeable stream), other
	 * -errno. Called once per connection; c is then dead (sends fail) but still valid
	 * until released by its holders. */
	void (*down)(void *arg, struct ref_conn *c, int err, const char *why);
	void *arg;
};

/* bind4 / bind6: numeric local addresses for outgoing connections of each family (NULL:
 * that family cannot be used). tls may be NULL when TLS is not enabled. */
int ref_tcp_new(struct ref_tcp **out, struct ref_loop *loop, const struct ref_log *log,
		const char *bind4, const char *bind6, struct ref_tls *tls,
		const struct ref_tcp_ops *ops);
void ref_tcp_free(struct ref_tcp *t);

/* The live connection for (dst->tp, dst, tls_name) or a new one; *out is held for the
 * caller (ref_conn_release). dst->tp is REF_TP_TCP or REF_TP_TLS; tls_name is the
 * identity the server certificate must prove (ignored for TCP). 0 or -errno (nothing
 * was opened then: no socket, no local address of that family). */
int ref_tcp_open(struct ref_tcp *t, const struct ref_target *dst, const char *tls_name,
		 struct ref_conn **out);
/* Queues len bytes; 0, or -ENOTCONN on a dead connection, -ENOMEM. */
int ref_conn_send(struct ref_conn *c, const void *buf, size_t len);
void ref_conn_hold(struct ref_conn *c);
void ref_conn_release(struct ref_conn *c);
/* The destination and the local port (Via sent-by) of the connection. */
const struct ref_target *ref_conn_peer(const struct ref_conn *c);
uint16_t ref_conn_local_port(const struct ref_conn *c);
/* True once the peer accepted the connection (and the TLS handshake finished). */
bool ref_conn_up(const struct ref_conn *c);
/* Bytes given to ref_conn_send so far, and how many of them were written out (to the
 * socket, or to TLS): a message queued up to tx_queued left once tx_sent reaches it. */
uint64_t ref_conn_tx_queued(const struct ref_conn *c);
uint64_t ref_conn_tx_sent(const struct ref_conn *c);

/* The server side (the roles, with ref_listen): takes the accepted socket fd (ownership
 * passes, closed on failure) from peer as a connection of transport tp, up at once for
 * TCP, after the server handshake for TLS (ref_tls_serve). Nobody holds it: it lives
 * while it is up; its messages and its failure come through ops like any other's. */
int ref_tcp_adopt(struct ref_tcp *t, int fd, enum ref_tp tp, const struct sockaddr *peer,
		  socklen_t peerlen);
/* The newest live accepted connection of tp from from's address (its port ignored),
 * or NULL: where a response goes back when only the Via tells its client. */
struct ref_conn *ref_tcp_inbound(struct ref_tcp *t, enum ref_tp tp, const struct sockaddr *from);

#endif
