/* sl_peer.h: a scripted SIP peer on one address:port/transport of the worker's namespace.
 * Promises: every datagram it receives or sends is logged (parsed fields, fingerprint);
 * a retransmitted request gets the response it got before (RFC 3261 17.2); ACKs for
 * non-2xx are absorbed; malformed input is logged as such and never crashes the peer. */
#ifndef SL_PEER_H
#define SL_PEER_H

#include <stddef.h>

struct sl_loop;
struct sl_evlog;
struct sl_clock;
struct sl_peer;

enum sl_bkind { SL_B_REPLY = 1, SL_B_SILENCE };

struct sl_behaviour {
	enum sl_bkind kind;
	int code;               /* SL_B_REPLY */
	const char *headers;    /* extra header lines, each "Name: value\r\n", or NULL */
	double delay_s;         /* SUT seconds before the reply leaves */
};

int sl_peer_new(struct sl_peer **pp, struct sl_loop *loop, struct sl_evlog *log,
		const struct sl_clock *clk, const char *spec, char *err, size_t errlen);
void sl_peer_free(struct sl_peer *p);

/* What to do with requests of method (NULL: any method without a rule of its own). The
 * behaviour is copied. A peer with no rule at all answers 200. */
int sl_peer_on(struct sl_peer *p, const char *method, const struct sl_behaviour *b);

/* "127.0.0.2:5060/udp" as declared (normalised). */
const char *sl_peer_spec(const struct sl_peer *p);
/* "127.0.0.2:5060", the form events use for server. */
const char *sl_peer_addr(const struct sl_peer *p);

#endif
