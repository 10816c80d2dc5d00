/* sl_uac.h: the harness's own SIP client, which sends requests INTO the SUT when the SUT
 * is a stateless proxy or a server (scenario API inject{}). One UDP socket per udp source
 * address ("127.0.0.5:5070/udp"); tcp and tls sources connect from an ephemeral port of
 * their address (sl_uac_stream.h), one connection reused while it lasts, and retransmit
 * nothing on their own (RFC 3261 timers A/E are for unreliable transports); requests built from the scenario's method, URI and Via
 * sent-by; retransmissions with RFC 3261 timers (A/E: T1 doubling, T2 cap for non-INVITE)
 * or at a fixed interval, from the first send or from the moment a copy reached a given
 * peer (so a schedule can follow what the SUT did, not wall-clock luck); the ACK of a non-2xx final sent by itself like a client
 * transaction (RFC 3261 17.1.1.3); CANCEL on request.
 * Promises: every datagram it sends or receives is logged (SIP_TX / SIP_RX, the UAC's
 * address as server, the SUT's as client, with its fingerprint); an outcome is read from
 * the event log, so a response counts wherever it arrived (at this socket or at a peer
 * declared at the Via's sent-by); a source made "gone" answers what arrives with a forged
 * ICMP port unreachable, as a client that went away would make its host do. */
#ifndef SL_UAC_H
#define SL_UAC_H

#include <stddef.h>

struct sl_loop;
struct sl_evlog;
struct sl_clock;
struct sl_uac;

enum sl_uac_rtx { SL_RTX_NONE, SL_RTX_RFC3261, SL_RTX_FIXED };

struct sl_uac_req {
	const char *from;           /* "127.0.0.5:5070/udp", "/tcp", "/tls" */
	const char *to;             /* "127.0.0.1:5060/udp": the SUT, same transport */
	const char *method, *uri;
	const char *via_host;       /* sent-by host; NULL: from's address */
	unsigned via_port;          /* sent-by port; 0: none in the Via */
	const char *via_transport;  /* "UDP"; NULL: from's transport */
	const char *headers;        /* extra lines "Name: value\r\n", or NULL */
	enum sl_uac_rtx rtx;
	unsigned rtx_count;         /* SL_RTX_FIXED: retransmissions after the first send */
	double rtx_interval_s;      /* SL_RTX_FIXED: SUT seconds between sends */
	const char *rtx_after;      /* "127.0.0.3:5060/udp" or NULL: retransmissions start
				     * only once a copy of the request reached that peer (not
				     * bounced), the first one interval after it was seen */
	int gone;                   /* the source is unreachable right after the first send
				     * (streams: the connection ends with the request) */
	int auto_ack;               /* ACK a non-2xx final to INVITE (same branch) */
	double timeout_s;           /* SUT seconds after which the transaction is given up */
};

/* What the event log says about a transaction so far. */
struct sl_uac_outcome {
	int status;                 /* final status, 0: none yet */
	int provisional;            /* highest 1xx seen, 0: none */
	char at[96];                /* "127.0.0.6:5070/udp": where the final arrived */
	unsigned final_ev;          /* its event index */
	unsigned sent;              /* transmissions of the request */
	int given_up;               /* timeout_s passed without a final */
};

int sl_uac_new(struct sl_uac **up, struct sl_loop *loop, struct sl_evlog *log,
	       const struct sl_clock *clk, double t1_s, unsigned seed);
void sl_uac_free(struct sl_uac *u);

/* Starts a transaction: the first send happens now. *id identifies it. Returns 0 or
 * -errno with the reason in err (bad address, a peer already bound there, ...). */
int sl_uac_send(struct sl_uac *u, const struct sl_uac_req *r, unsigned *id, char *err,
		size_t errlen);
/* The ACK for transaction id's final response (non-2xx: its branch; 2xx: a new one, the
 * same Request-URI) from the same source; -EAGAIN when it has no final yet. */
int sl_uac_ack(struct sl_uac *u, unsigned id, char *err, size_t errlen);
/* A CANCEL for INVITE transaction id (same branch, RFC 3261 9.1), as a new transaction
 * with RFC 3261 retransmissions; *cid identifies it. */
int sl_uac_cancel(struct sl_uac *u, unsigned id, unsigned *cid, char *err, size_t errlen);
void sl_uac_outcome(struct sl_uac *u, unsigned id, struct sl_uac_outcome *o);
/* Transaction fields for the scenario. */
const char *sl_uac_branch(const struct sl_uac *u, unsigned id);
const char *sl_uac_call_id(const struct sl_uac *u, unsigned id);
/* Where its request left from: "127.0.0.5:5070/udp", or the connection's own end
 * "127.0.0.5:41234/tcp" (the connection the SUT answers on first). */
void sl_uac_source(const struct sl_uac *u, unsigned id, char *buf, size_t len);
/* The scenario's TLS context, for /tls sources (the world sets it once made). */
struct sl_tls;
void sl_uac_set_tls(struct sl_uac *u, struct sl_tls *tls);

#endif
