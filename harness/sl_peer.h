/* sl_peer.h: a scripted SIP peer on one address:port/transport (udp, tcp, tls) of the
 * worker's namespace.
 * Promises: every message it receives or sends is logged (parsed fields, fingerprint;
 * for TCP the stream offset of the message's first byte, for TLS that of the record
 * carrying it); TLS handshakes, their failures and closures are noted; ICMP it forges and resets it
 * sends are logged as notes with a fingerprint; a retransmitted request gets the last
 * response it got (RFC 3261 17.2); ACKs for non-2xx are absorbed; a CANCEL gets 200 and
 * its INVITE 487; malformed input is logged, answered 400 when it is a request we can
 * answer, else dropped; it never crashes the peer. */
#ifndef SL_PEER_H
#define SL_PEER_H

#include <stddef.h>

struct sl_loop;
struct sl_evlog;
struct sl_clock;
struct sl_peer;
struct sl_tls;
struct sl_tls_id;

enum sl_bkind {
	SL_B_REPLY = 1,   /* a response; 1xx keeps the plan going, >= 200 ends it */
	SL_B_SILENCE,     /* nothing more for this request */
	SL_B_ICMP,        /* udp: forge an ICMP destination unreachable back to the sender */
	SL_B_TCP_RESET,   /* tcp: abort the connection (RST) */
	SL_B_CLOSE,       /* tcp: close the connection (FIN) without answering */
};

enum sl_icmp_kind { SL_ICMP_PORT = 1, SL_ICMP_HOST, SL_ICMP_NET };

struct sl_behaviour {
	enum sl_bkind kind;
	int code;               /* SL_B_REPLY */
	const char *headers;    /* extra header lines, each "Name: value\r\n", or NULL */
	double delay_s;         /* SUT seconds after the previous step (or the request) */
	enum sl_icmp_kind icmp; /* SL_B_ICMP */
	int bare;               /* a 2xx to INVITE without the Contact and SDP the peer adds */
};

/* Steps run in order for one request: provisionals, then one final step (a final reply,
 * silence, icmp, reset or close). A plan without a final step ends in silence. */
#define SL_PLAN_MAX 8
struct sl_plan {
	struct sl_behaviour step[SL_PLAN_MAX];
	unsigned n;
};

/* What an on_request handler sees. Pointers live for the duration of the call. */
struct sl_peer_req {
	const char *method, *uri, *branch, *transport, *source, *call_id;
	const char *raw;        /* the whole message */
	size_t raw_len;
	unsigned nth;           /* 1 for the first new request the peer got (ACK/CANCEL aside) */
};
/* Returns 1 with *out filled, 0 to fall back to the peer's rules; headers in out must live
 * until the next call of the handler (the peer copies them). */
typedef int (*sl_peer_handler)(void *arg, const struct sl_peer_req *req, struct sl_plan *out);

/* How the peer's port behaves before SIP (tcp): listen, refuse (RST to the SYN) or drop
 * SYNs (nft rule: connect hangs until the client gives up). */
enum sl_peer_mode { SL_PEER_LISTEN = 0, SL_PEER_REFUSE, SL_PEER_DROP_SYN };

int sl_peer_new(struct sl_peer **pp, struct sl_loop *loop, struct sl_evlog *log,
		const struct sl_clock *clk, const char *spec, char *err, size_t errlen);
void sl_peer_free(struct sl_peer *p);

/* What to do with requests of method (NULL: any method without a rule of its own). The
 * behaviour is copied. A peer with no rule at all answers 200. */
int sl_peer_on(struct sl_peer *p, const char *method, const struct sl_behaviour *b);
/* The same with a plan; nth > 0 makes it the rule for the nth new request whatever its
 * method (by count wins over by method, which wins over the default). Checks the plan:
 * -EINVAL with the reason in err (a step that does not fit the transport, a step after
 * a final one, a provisional 100 after another provisional is fine). */
int sl_peer_plan(struct sl_peer *p, const char *method, unsigned nth, const struct sl_plan *pl,
		 char *err, size_t errlen);
/* A tls peer's certificate (id) and the TLS context for connections it opens to deliver
 * a response (RFC 3263 section 5); both must outlive the peer. Until then a tls peer
 * closes the connections it accepts. No-op on udp peers. */
void sl_peer_set_tls(struct sl_peer *p, struct sl_tls_id *id, struct sl_tls *tls);
/* A handler asked first for every new request (NULL: none). */
void sl_peer_set_handler(struct sl_peer *p, sl_peer_handler fn, void *arg);
/* Changes the port's mode (tcp only). Returns 0 or -errno with the reason in err. */
int sl_peer_mode(struct sl_peer *p, enum sl_peer_mode mode, char *err, size_t errlen);
/* Makes the peer's address unreachable (kind != 0): every UDP datagram that arrives there,
 * request or response, is logged and answered with a forged ICMP unreachable of kind and
 * nothing else; a TCP peer refuses connections. bounces > 0 (udp): back to its plans after
 * that many datagrams bounced. kind 0: back to its plans now. */
int sl_peer_set_down(struct sl_peer *p, enum sl_icmp_kind kind, unsigned bounces, char *err,
		     size_t errlen);
/* End of the scenario: logs a note for every 2xx to INVITE that never got its ACK. */
void sl_peer_finish(struct sl_peer *p);

/* "127.0.0.2:5060/udp" as declared (normalised). */
const char *sl_peer_spec(const struct sl_peer *p);
/* "127.0.0.2:5060", the form events use for server. */
const char *sl_peer_addr(const struct sl_peer *p);
const char *sl_peer_transport(const struct sl_peer *p);

/* Checks a plan against a transport ("udp", "tcp", "tls"): 0 or -EINVAL with the reason. */
int sl_plan_check(const struct sl_plan *pl, const char *transport, char *err, size_t errlen);

#endif
