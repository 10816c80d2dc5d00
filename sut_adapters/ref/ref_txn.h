/* ref_txn.h: SIP client transactions over UDP (RFC 3261 17.1: timers A/B/D, E/F/K, ACK, CANCEL).
 * One transaction = one attempt at one destination; failover lives in ref_request. */
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
#include "ref_udp.h"

struct ref_txn;

struct ref_txns {
	struct ref_loop *loop;
	struct ref_udp *udp;
	struct ref_rng *rng;
	const struct ref_log *log;
	const char *local_host;   /* numeric bind address */
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
	/* SUT_E_TIMEOUT (B/F, or the cap after a provisional), SUT_E_TRANSPORT (ICMP or a send
	 * error), SUT_E_CANCELLED (CANCEL sent, no final within 64*T1). */
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
};

/* Moves the transaction's later retransmissions, ACK and CANCEL to dst (seeded bugs only:
 * RFC 3263 keeps a transaction on the server it first reached). */
void ref_txn_redirect(struct ref_txn *t, const struct ref_target *dst);

void ref_txns_init(struct ref_txns *tbl);
void ref_txns_fini(struct ref_txns *tbl);
/* Feeds a datagram / an ICMP error from the transport. */
void ref_txns_on_message(struct ref_txns *tbl, const char *buf, size_t len,
			 const struct sockaddr *from);
void ref_txns_on_icmp(struct ref_txns *tbl, int err, const struct sockaddr *dst,
		      const char *payload, size_t len);

/* Sends the request now; 0 or -errno (nothing started then). */
int ref_txn_start(struct ref_txns *tbl, const struct ref_txn_params *p,
		  const struct ref_txn_owner *ops, void *arg, struct ref_txn **out);
/* INVITE only: sends CANCEL once a provisional has arrived (at once if it has). */
int ref_txn_cancel(struct ref_txn *t);
/* The owner leaves; the transaction lingers as long as RFC 3261 says (absorbing
 * retransmitted responses, re-sending the ACK), then frees itself. */
void ref_txn_detach(struct ref_txn *t);

#endif
