/* sl_peer_int.h: what the peer's transports (sl_peer_tcp.c) and its core (sl_peer.c)
 * promise each other. Internal to the peer. */
#ifndef SL_PEER_INT_H
#define SL_PEER_INT_H

#include <stddef.h>
#include <sys/socket.h>

struct sl_peer;
struct sl_loop;
struct sl_ptcp;
struct sl_tls;
struct sl_tls_id;

/* Where a request came from, so its responses go back the same way: a TCP connection
 * (conn > 0) or a UDP source address (conn == 0). */
struct sl_route {
	unsigned conn;
	struct sockaddr_storage sa;
	socklen_t salen;
};

/* Core: one complete message arrived; off is its TCP stream offset (0 for udp). */
void sl_peer_input(struct sl_peer *p, const struct sl_route *r, const char *data, size_t len,
		   unsigned long long off);
/* Core: a note in the event log; the _rst form adds the fingerprint of the RST the peer
 * sends to remote, so the capture can name its frame; the _seg form the fingerprint of
 * the segment carrying stream offset off (rx: remote to us, else us to remote). */
void sl_peer_note(struct sl_peer *p, const char *text);
/* The peer cannot serve the SUT any more (resources): the scenario ends as an error. */
void sl_peer_abort(struct sl_peer *p, const char *why);
/* The note just logged (sl_peer_note_seg) is a connection the SUT opened that failed
 * before it carried a request: the checks count it as an attempt at this peer. */
void sl_peer_mark_conn_failed(struct sl_peer *p);
void sl_peer_note_rst(struct sl_peer *p, const char *remote, const char *text);
void sl_peer_note_seg(struct sl_peer *p, const char *remote, const char *text, int rx,
		      unsigned long long off);
/* Core: a message sl_ptcp_send() deferred (it returned 1) went out at stream offset off. */
void sl_peer_sent(struct sl_peer *p, unsigned conn, const char *data, size_t len,
		  unsigned long long off);
/* Core: a stream could not be framed; logged as a malformed message. */
void sl_peer_malformed(struct sl_peer *p, const char *remote, const char *data, size_t len,
		       unsigned long long off, const char *why);

/* TCP transport (TLS over it when tls): listens from the start. A TLS listener closes
 * what it accepts until sl_ptcp_set_tls() gave it an identity. */
int sl_ptcp_new(struct sl_ptcp **tp, struct sl_peer *p, struct sl_loop *loop,
		const struct sockaddr_storage *ss, socklen_t slen, int tls, char *err,
		size_t errlen);
void sl_ptcp_free(struct sl_ptcp *t);
/* The server identity of a TLS listener, and the context for TLS connections it opens.
 * Both stay the caller's and must outlive the transport. */
void sl_ptcp_set_tls(struct sl_ptcp *t, struct sl_tls_id *id, struct sl_tls *tls);
/* Opens a connection from the peer's address to `to` (TLS client when tls); *conn is
 * usable at once by sl_ptcp_send (data waits for the connect and the handshake). */
int sl_ptcp_connect(struct sl_ptcp *t, const struct sockaddr_storage *to, socklen_t tolen,
		    int tls, unsigned *conn, char *err, size_t errlen);
/* Stops (or starts again) accepting: a closed listener makes the kernel answer RST. */
int sl_ptcp_listen(struct sl_ptcp *t, int on, char *err, size_t errlen);
/* Queues data on conn; *off gets the stream offset of its first byte (TLS: of the record
 * carrying it). Returns 1 when the data waits for the TLS handshake of a connection we
 * opened: sl_peer_sent() tells when it went out. -ENOTCONN when the connection is gone. */
int sl_ptcp_send(struct sl_ptcp *t, unsigned conn, const void *data, size_t len,
		 unsigned long long *off);
/* Ends conn: reset (RST, SO_LINGER 0) or a plain close (FIN). */
int sl_ptcp_end(struct sl_ptcp *t, unsigned conn, int reset);
/* "127.0.0.1:40000" of conn's remote end, or "?". */
const char *sl_ptcp_remote(const struct sl_ptcp *t, unsigned conn);
/* Its local end: the peer's address, with an ephemeral port for connections it opened. */
const char *sl_ptcp_local(const struct sl_ptcp *t, unsigned conn);

#endif
