/* sl_uac_stream.h: one TCP or TLS connection of the harness UAC to the SUT (inject{} from a
 * /tcp or /tls source): a non-blocking connect from the source's address (an ephemeral
 * port, as SIP clients connect), the TLS client side over sl_tls (memory BIOs, secrets in
 * the scenario's key log), Content-Length framing of what comes back.
 * Promises: every message is reported once it went out and once it arrived, with the
 * stream offset of its first byte (TLS: of the record carrying it), so the capture can
 * name its frame; a client that leaves sends its last message, TLS close_notify and the
 * FIN in one TCP segment (TCP_CORK), so a server that reads the request has its end too;
 * what arrives after that is reported as arriving at a client that is gone and answered
 * with a reset. Nothing here blocks the loop. */
#ifndef SL_UAC_STREAM_H
#define SL_UAC_STREAM_H

#include <stddef.h>
#include <sys/socket.h>

struct sl_loop;
struct sl_tls;
struct sl_ustream;

struct sl_ustream_ops {
	/* A message went out at stream offset off. */
	void (*sent)(void *arg, struct sl_ustream *s, const char *data, size_t len,
		     unsigned long long off);
	/* A whole message arrived at off; gone: the client had left (it is reset now). A
	 * stream that cannot be framed comes as one piece with why set. */
	void (*received)(void *arg, struct sl_ustream *s, const char *data, size_t len,
			 unsigned long long off, int gone, const char *why);
	/* Connection news for the event log (connected, handshake, closed, failed). */
	void (*note)(void *arg, struct sl_ustream *s, const char *text);
	void *arg;
};

/* Connects from `from` (its port is ignored: an ephemeral one) to `to`; tls NULL: plain
 * TCP. The connection is usable at once: what is sent waits for it. */
int sl_ustream_open(struct sl_ustream **sp, struct sl_loop *loop, struct sl_tls *tls,
		    const struct sockaddr_storage *from, const struct sockaddr_storage *to,
		    socklen_t tolen, const struct sl_ustream_ops *ops, char *err, size_t errlen);
void sl_ustream_free(struct sl_ustream *s);

/* Queues a message; leave: the client goes away right after it. 0, or -ENOTCONN when the
 * connection is closed, failed or left, -ENOMEM. */
int sl_ustream_send(struct sl_ustream *s, const char *data, size_t len, int leave);
/* True while messages can still be sent on it. */
int sl_ustream_usable(const struct sl_ustream *s);
/* "127.0.0.5:41234": the client's end (once bound), and the SUT's. */
const char *sl_ustream_local(const struct sl_ustream *s);
const char *sl_ustream_remote(const struct sl_ustream *s);
/* "tcp" or "tls". */
const char *sl_ustream_transport(const struct sl_ustream *s);

#endif
