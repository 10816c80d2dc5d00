/* sl_check.h: the checks, as pure functions of the event log.
 * Promises: each fills a verdict, a one-paragraph detail a reader understands, and the
 * events (hence packets) that prove it; none reads SUT internals. */
#ifndef SL_CHECK_H
#define SL_CHECK_H

#include <stddef.h>

struct sl_evlog;

#define SL_CHECK_MAX_EV 64

struct sl_check_out {
	int pass;
	unsigned seen;                  /* what the check saw happen (per check, see below) */
	unsigned failed;                /* SL_R_* checks: the requirements that failed */
	char detail[1536];
	unsigned ev[SL_CHECK_MAX_EV];   /* event indices that prove the verdict */
	size_t nev;
};

/* For the check modules: event idx proves o's verdict (once; at most SL_CHECK_MAX_EV), and
 * text appended to o's detail (cut at its size). */
void sl_check_add_ev(struct sl_check_out *o, unsigned idx);
void sl_check_say(struct sl_check_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

struct sl_dns_want {
	const char *qtype;   /* "NAPTR" */
	const char *qname;   /* "example.test", compared case-insensitively, trailing dot ignored */
};

enum sl_match { SL_MATCH_EXACT, SL_MATCH_SUBSEQ, SL_MATCH_PREFIX, SL_MATCH_SET };

/* The DNS queries the SUT made, with consecutive repeats of one question (UDP retries,
 * the TCP retry after TC) counted once, against want under mode: exactly these in this
 * order, these in order among others, these first, or (SET) these questions and no
 * other, in any order and any number of times. */
void sl_check_dns(const struct sl_evlog *l, const struct sl_dns_want *want, size_t n,
		  enum sl_match mode, struct sl_check_out *o);

/* The attempts of method (or of every method but ACK/CANCEL when NULL) seen by the
 * peers, one per run of packets with one destination and one branch, must be exactly
 * dests ("127.0.0.2:5060/udp"), in order. */
void sl_check_route(const struct sl_evlog *l, const char *method, const char *const *dests,
		    size_t n, struct sl_check_out *o);

/* Invariant: a failover (new destination) or a new transaction carries a branch never
 * used before for that request, with Call-ID, From tag and CSeq number kept; a
 * retransmission (same destination, no final response yet, within timer_b_s) keeps its
 * branch. t_sut must be set on the events. */
void sl_check_branches(const struct sl_evlog *l, double timer_b_s, struct sl_check_out *o);
/* seen bits: 1 a failover or new transaction happened, 2 a retransmission happened. */

/* Invariant: retransmissions of a request, its non-2xx ACK and its CANCEL reach the
 * server that first got the branch (TXN-ONCE, TXN-ACK, TXN-CANCEL). The same branch at
 * another server after a final response or after timer B is a failover that reused its
 * branch: sl_check_branches() reports that, not this check. */
void sl_check_same_server(const struct sl_evlog *l, double timer_b_s, struct sl_check_out *o);
/* seen bits: 1 retransmissions, 2 non-2xx ACKs, 4 CANCELs were observed. */

/* Invariant: the Request-URI of every request at a peer (ACK and CANCEL included) is one
 * the scenario gave the SUT with send{} (TXN-URI: DNS results never rewrite it), or for
 * the ACK of a 2xx and later requests with its Call-ID the Contact of that 2xx (the
 * remote target, RFC 3261 12.2.1.1).
 * seen bit 1: some request reached a peer. */
void sl_check_request_uri(const struct sl_evlog *l, struct sl_check_out *o);

/* Every 2xx to INVITE a peer sent got an ACK (RFC 3261 13.2.2.4) with a branch none of
 * the INVITE's attempts used (a transaction of its own: 8.1.1.7, 17.1.1.3) and the
 * dialog's tags; where it went, its Request-URI and the DNS traffic before it are recorded
 * (TXN-ACK2XX: may be routed anew), never judged. Fails when no 2xx was sent.
 * seen bits: 1 a 2xx was sent, 2 one was ACKed. */
void sl_check_ack2xx(const struct sl_evlog *l, struct sl_check_out *o);

/* Invariant: every message the SUT sent to a peer parsed as SIP (peers log what does
 * not with the reason). seen bit 1: some message reached a peer. */
void sl_check_wellformed(const struct sl_evlog *l, struct sl_check_out *o);

struct sl_weight_want {
	const char *dest;    /* "127.0.0.2:5060/udp" */
	double weight;       /* expected share, any scale; >= 0 (0: RFC 2782 weight 0) */
	double max_share;    /* weight 0: the largest share of first tries allowed (0: 5 %) */
};

/* SRV weights: for every transaction (Call-ID) of method (every method but ACK/CANCEL
 * when NULL) the destination of its first attempt is counted; a chi-square goodness-of-fit
 * test against the weights passes when p > p_min. A first attempt at a destination not in
 * want fails. Returns -EINVAL (detail says why) when an expected count is below 5. */
int sl_check_weights(const struct sl_evlog *l, const char *method,
		     const struct sl_weight_want *want, size_t n, double p_min,
		     struct sl_check_out *o);
/* The same over the transactions whose first request comes at event index from or
 * later (expect_weights{trials=}: the transactions it ran itself). */
int sl_check_weights_from(const struct sl_evlog *l, size_t from, const char *method,
			  const struct sl_weight_want *want, size_t n, double p_min,
			  struct sl_check_out *o);

/* sl_check_role.c, for the proxy and server roles. */

/* Where the SUT's responses went: each response (of status, or every final one when 0;
 * of the requests of method when given) that arrived at the harness UAC or at a peer, one
 * attempt per run of copies at one destination, must be exactly dests, in order. An
 * attempt at an unreachable() address counts: it is logged before it bounces.
 * seen bit 1: some response arrived. */
void sl_check_response_route(const struct sl_evlog *l, int status, const char *method,
			     const char *const *dests, size_t n, struct sl_check_out *o);

/* From which copy on sl_check_one_server() judges. */
enum sl_one_server_from {
	SL_OS_FIRST,     /* every copy: the server the first copy reached */
	SL_OS_ANSWER,    /* from the first answer (any response but 503) on: its server */
	SL_OS_FAILOVER,  /* from the failover on (the first copy at another server than the
			  * first copy's): no copy goes back to a server the transaction
			  * left; the SUT had learned of the failure when it failed over */
};

/* RFC 3263 4.4: every copy of a request of one client transaction (Call-ID, CSeq, method;
 * of method, or all but ACK/CANCEL when NULL) that reached a server reached the same one,
 * judged from `from` on. seen bit 1: some transaction reached a server twice (ANSWER,
 * FAILOVER: the client sent copies after the answer / the failover, so a stateless proxy
 * had a chance to send them elsewhere). */
void sl_check_one_server(const struct sl_evlog *l, const char *method,
			 enum sl_one_server_from from, struct sl_check_out *o);

/* Upper tail of the chi-square distribution with df degrees of freedom at x. */
double sl_chi2_sf(double x, unsigned df);

/* Requirements the address and order invariants speak for, as bits of seen (the case
 * happened) and failed. */
enum {
	SL_R_AD_NUMERIC     = 1u << 0,
	SL_R_AD_PORT_A      = 1u << 1,
	SL_R_AD_SRV         = 1u << 2,
	SL_R_AD_A_FALLBACK  = 1u << 3,
	SL_R_TARGET_MADDR   = 1u << 4,
	SL_R_SRV_DOT        = 1u << 5,
	SL_R_TP_PARAM       = 1u << 6,
	SL_R_TP_NUMERIC     = 1u << 7,
	SL_R_TP_PORT        = 1u << 8,
	SL_R_TP_SIPS_ONLY   = 1u << 9,
	SL_R_TP_NO_SRV      = 1u << 10,
	SL_R_TP_UNSUPPORTED = 1u << 11,
	SL_R_TP_NAPTR_FLAGS = 1u << 12,
	SL_R_SRV_PRIORITY   = 1u << 13,
	SL_R_SRV_ALL_ADDRS  = 1u << 14,
	SL_R_TP_NAPTR_ORDER = 1u << 15,
	SL_R_FO_EXHAUST     = 1u << 16,
	SL_R_AD_PORT_NEXT   = 1u << 17,
};
/* The catalogue IDs of bits, in bit order; returns how many (at most cap). */
size_t sl_check_req_ids(unsigned bits, const char **out, size_t cap);

/* Invariant (RFC 3263 4.1, 4.2): every request the SUT sent for a send{} (at a peer, or
 * stray: to a closed port, a SYN nothing accepted) goes to an address:port/transport
 * that the Request-URI names (numeric host, maddr, port, transport) or that the DNS
 * answers the SUT had received by then make possible: NAPTR services it supports, the
 * SRV names they or the transport lead to, SRV targets at their ports, A/AAAA of TARGET
 * at the URI's port or, only after SRV gave nothing, at the transport's default port.
 * UDP may become TCP for a request over 1300 bytes (RFC 3261 18.1.1). ACK is left out
 * (a 2xx ACK follows Contact; a non-2xx ACK is judged by sl_check_same_server), and so
 * are requests of another method than the one asked for (in-dialog requests).
 * tp_mask: SL_TP_* of sl_targets.h. seen/failed: SL_R_* bits. */
void sl_check_addresses(const struct sl_evlog *l, unsigned tp_mask, struct sl_check_out *o);

/* Invariant (RFC 2782 with RFC 3263 4.2, 4.3): the destinations each send{} tried, in
 * order (failovers, strays included), are a prefix of an order RFC 2782 allows for the
 * DNS answers given: NAPTR order/preference, lower SRV priority before higher, any
 * order within a priority, every address of a target before the next target, nothing
 * twice before the list is exhausted and nothing after. A destination that failed in
 * an earlier send{} (503, no response, ICMP or RST) may be skipped; so may one already
 * tried in this send{} under another name. seen/failed: SL_R_* bits. */
void sl_check_order(const struct sl_evlog *l, unsigned tp_mask, struct sl_check_out *o);

#endif
