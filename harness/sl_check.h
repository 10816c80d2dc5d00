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
	char detail[1536];
	unsigned ev[SL_CHECK_MAX_EV];   /* event indices that prove the verdict */
	size_t nev;
};

struct sl_dns_want {
	const char *qtype;   /* "NAPTR" */
	const char *qname;   /* "example.test", compared case-insensitively, trailing dot ignored */
};

enum sl_match { SL_MATCH_EXACT, SL_MATCH_SUBSEQ, SL_MATCH_PREFIX };

/* The DNS queries the SUT made, with consecutive repeats of one question (UDP retries,
 * the TCP retry after TC) counted once, against want under mode. */
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
 * the scenario gave the SUT with send{} (TXN-URI: DNS results never rewrite it).
 * seen bit 1: some request reached a peer. */
void sl_check_request_uri(const struct sl_evlog *l, struct sl_check_out *o);

/* Invariant: every message the SUT sent to a peer parsed as SIP (peers log what does
 * not with the reason). seen bit 1: some message reached a peer. */
void sl_check_wellformed(const struct sl_evlog *l, struct sl_check_out *o);

struct sl_weight_want {
	const char *dest;    /* "127.0.0.2:5060/udp" */
	double weight;       /* expected share, any scale; > 0 */
};

/* SRV weights: for every transaction (Call-ID) of method (every method but ACK/CANCEL
 * when NULL) the destination of its first attempt is counted; a chi-square goodness-of-fit
 * test against the weights passes when p > p_min. A first attempt at a destination not in
 * want fails. Returns -EINVAL (detail says why) when an expected count is below 5. */
int sl_check_weights(const struct sl_evlog *l, const char *method,
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

#endif
