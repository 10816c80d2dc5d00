/* ref_txn.h: SIP client transactions (RFC 3261 17.1: timers A/B/D, E/F/K, ACK, CANCEL) over
 * any transport of ref_tport: retransmissions only on UDP (17.1.1.2, 17.1.2.2), ACK and
 * CANCEL on the request's own connection (18.1.1), the switch of a large request to TCP
 * and its UDP retry (18.1.1). One transaction = one attempt at one destination; failover
 * lives in ref_request. */
#ifndef REF_TXN_H
#define REF_TXN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include "ref_log.h"
#include "ref_loop.h"
#include "ref_rand.h"
#include "ref_sip.h"
#include "ref_target.h"
#include "ref_tport.h"

struct ref_txn;

struct ref_txns {
	struct ref_loop *loop;
	struct ref_tport *tport;
	struct ref_rng *rng;
	const struct ref_log *log;
	unsigned t1, t2, t4;      /* ms */
	unsigned timer_b, timer_f;
	unsigned proceeding_cap;  /* ms an INVITE waits for a final after a provisional */
	TAILQ_HEAD(, ref_txn) list;
};

/* The transaction user. Calls happen from the loop; inside any of them the owner may
 * ref_txn_detach() the transaction. */
struct ref_txn_owner {
	void (*provisional)(void *arg, struct ref_txn *t, const struct ref_sip_rsp *rsp);
	void (*final)(void *arg, struct ref_txn *t, const struct ref_sip_rsp *rsp);
	/* SUT_E_TIMEOUT (B/F, or the cap after a provisional), SUT_E_TRANSPORT (ICMP, a send
	 * error, a connection refused, reset or closed before the final response, a TLS
	 * handshake or certificate failure), SUT_E_CANCELLED (CANCEL sent, no final within
	 * 64*T1). */
	void (*failed)(void *arg, struct ref_txn *t, int err);
	/* Optional: a retransmission was just sent (seeded bugs hook in here). */
	void (*retransmitted)(void *arg, struct ref_txn *t);
};

struct ref_txn_params {
	const char *method;
	const char *uri;
	const char *branch;
	const char *call_id;
	const char *from_tag;
	uint32_t cseq;
	size_t body_len;
	struct ref_target dst;
	const char *tls_name;     /* identity a TLS server must prove (RFC 5922), or NULL */
};

/* Moves the transaction's later retransmissions, ACK and CANCEL to dst (seeded bugs only:
 * RFC 3263 keeps a transaction on the server it first reached). */
void ref_txn_redirect(struct ref_txn *t, const struct ref_target *dst);

void ref_txns_init(struct ref_txns *tbl);
void ref_txns_fini(struct ref_txns *tbl);
/* Feed from the transport (the ref_tport_ops callbacks): a message (conn NULL for UDP),
 * an ICMP error, a connection's failure. */
void ref_txns_on_message(struct ref_txns *tbl, const char *buf, size_t len,
			 const struct sockaddr *from, struct ref_conn *conn);
void ref_txns_on_icmp(struct ref_txns *tbl, int err, const struct sockaddr *dst,
		      const char *payload, size_t len);
void ref_txns_on_down(struct ref_txns *tbl, struct ref_conn *conn, int err, const char *why);

/* Sends the request now; 0 or -errno (nothing started then). A failure to send or to
 * connect is reported later through ops->failed, never from inside this call. */
int ref_txn_start(struct ref_txns *tbl, const struct ref_txn_params *p,
		  const struct ref_txn_owner *ops, void *arg, struct ref_txn **out);
/* INVITE only: sends CANCEL once a provisional has arrived (at once if it has). */
int ref_txn_cancel(struct ref_txn *t);
/* The owner leaves; the transaction lingers as long as RFC 3261 says (absorbing
 * retransmitted responses, re-sending the ACK), then frees itself. */
void ref_txn_detach(struct ref_txn *t);
/* The transport the request really went over (TCP after an MTU switch, ...). */
enum ref_tp ref_txn_tp(const struct ref_txn *t);

#endif
