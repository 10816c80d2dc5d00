/* ref_server.h: ref in the server role: a UAS that answers every request it receives at
 * its listening socket, so the sending of responses (RFC 3261 18.2.1/18.2.2, RFC 3263
 * section 5, through ref_rsend) can be tested. The rule for the status: the request's
 * X-Siploc-Reply header (200..699), else 200; ACK is absorbed; a retransmitted request
 * gets the same response again, sent by the same procedure. No 2xx retransmission of its
 * own (RFC 3261 13.3.1.4 is a UAS core duty ref leaves out: the scenarios ACK at once). */
#ifndef REF_SERVER_H
#define REF_SERVER_H

#include <stddef.h>
#include <sys/socket.h>

#include "ref_log.h"
#include "ref_loop.h"
#include "ref_rand.h"
#include "ref_rsend.h"

struct ref_server_env {
	struct ref_loop *loop;
	const struct ref_log *log;
	struct ref_rng *rng;             /* To tags */
	struct ref_rsends *rsends;
	unsigned linger_ms;              /* how long a transaction answers retransmissions */
};

struct ref_server;

int ref_server_new(struct ref_server **out, const struct ref_server_env *env);
void ref_server_free(struct ref_server *s);
/* A request from `from`: a datagram (conn NULL) or a message on an accepted connection,
 * which its response takes first (RFC 3261 18.2.2). */
void ref_server_on_message(struct ref_server *s, const char *buf, size_t len,
			   const struct sockaddr *from, struct ref_conn *conn);

/* RFC 3261 18.2.1, shared with the proxy: a copy of the request whose topmost Via gets
 * ;received=<source address> when its sent-by is a name or another address; *out is
 * NULL (nothing to add) or malloc'ed. */
int ref_server_received(const char *req, const struct sockaddr *from, char **out,
			size_t *outlen);

#endif
