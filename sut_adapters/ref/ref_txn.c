/* ref_txn.c: RFC 3261 17.1 client transaction state machines, with the ACK and CANCEL they
 * generate; matched on Via branch + CSeq method (17.1.3). Timers A/E and the 32 s of
 * timer D exist on UDP only; B/F run on every transport. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ref_mutant.h"
#include "ref_select.h"
#include "ref_txn.h"
#include "sut_adapter.h"

enum state {
	ST_CALLING,    /* INVITE sent, nothing heard (non-INVITE: Trying) */
	ST_PROCEEDING, /* provisional received */
	ST_COMPLETED,  /* final received; lingering for retransmissions (timer D / K) */
	ST_ACCEPTED,   /* INVITE got a 2xx; lingering to re-ACK retransmitted 2xx */
	ST_TERMINATED,
};

struct ref_txn {
	TAILQ_ENTRY(ref_txn) link;
	struct ref_txns *tbl;
	enum state state;
	bool invite, internal;     /* internal: a CANCEL we generated, no owner */
	char method[32];
	char branch[80];
	char uri[1024];
	char call_id[128];
	char from_tag[64];
	uint32_t cseq;
	struct ref_target dst;     /* tp is what the request really uses (after an MTU switch) */
	char dst_str[REF_ADDRSTRLEN];
	char tls_name[256];
	struct ref_conn *conn;     /* streams: the connection, held; NULL for UDP or once lost */
	const char *lhost;         /* local address and port the messages name */
	uint16_t lport;
	bool reliable;             /* TCP or TLS: no retransmissions (17.1.1.2, 17.1.2.2) */
	bool mtu_switched;         /* UDP was chosen, the size moved it to TCP (18.1.1) */
	bool down_mark;            /* ref_txns_on_down(): still to be told */
	size_t body_len;
	char *msg, *ack;
	size_t len, ack_len;
	unsigned retx_ms;
	int sends;
	int pending_err;           /* failure to report from the main timer (send error) */
	bool cancel_pending, cancel_sent;
	struct ref_timer retx, main;
	const struct ref_txn_owner *ops;
	void *arg;
	int busy;                  /* inside an owner callback: do not free */
};

static void maybe_free(struct ref_txn *t)
{
	if (t->state != ST_TERMINATED || t->ops || t->busy)
		return;
	ref_timer_stop(t->tbl->loop, &t->retx);
	ref_timer_stop(t->tbl->loop, &t->main);
	TAILQ_REMOVE(&t->tbl->list, t, link);
	ref_conn_release(t->conn);
	free(t->msg);
	free(t->ack);
	free(t);
}

static void terminate(struct ref_txn *t)
{
	t->state = ST_TERMINATED;
	ref_timer_stop(t->tbl->loop, &t->retx);
	ref_timer_stop(t->tbl->loop, &t->main);
}

static int send_buf(struct ref_txn *t, const char *buf, size_t len)
{
	if (t->reliable && !t->conn)
		return -ENOTCONN;
	return ref_tport_send(t->tbl->tport, &t->dst, t->conn, buf, len);
}

static void notify_failed(struct ref_txn *t, int err)
{
	terminate(t);
	if (t->ops && t->ops->failed) {
		t->busy++;
		t->ops->failed(t->arg, t, err);
		t->busy--;
	}
	maybe_free(t);
}

static void notify_rsp(struct ref_txn *t, const struct ref_sip_rsp *rsp)
{
	if (t->ops) {
		t->busy++;
		if (rsp->status < 200 && t->ops->provisional)
			t->ops->provisional(t->arg, t, rsp);
		else if (rsp->status >= 200 && t->ops->final)
			t->ops->final(t->arg, t, rsp);
		t->busy--;
	}
	maybe_free(t);
}

static int build(struct ref_txn *t, const char *method, const char *branch,
		 const char *to_tag, const char *cseq_method, size_t body_len, char **out,
		 size_t *len)
{
	struct ref_sip_req r = {
		.method = method,
		.uri = t->uri,
		.tp = t->dst.tp,
		.local_host = t->lhost,
		.local_port = t->lport,
		.branch = branch,
		.from_tag = t->from_tag,
		.to_tag = to_tag,
		.call_id = t->call_id,
		.cseq = t->cseq,
		.cseq_method = cseq_method,
		.body_len = body_len,
		.user_agent = "siploc-ref/0.1",
	};

	return ref_sip_build(&r, out, len);
}

/* Readies t->dst on its transport (connection, local address) and builds the request for
 * it: the Via names the transport really used (RFC 3261 18.1.1). */
static int prepare(struct ref_txn *t)
{
	struct ref_conn *c = NULL;
	char *msg = NULL;
	size_t len = 0;
	int rc;

	rc = ref_tport_prepare(t->tbl->tport, &t->dst, t->tls_name, &c, &t->lhost, &t->lport);
	if (rc < 0)
		return rc;
	rc = build(t, t->method, t->branch, NULL, NULL, t->body_len, &msg, &len);
	if (rc < 0) {
		ref_conn_release(c);
		return rc;
	}
	ref_conn_release(t->conn);
	t->conn = c;
	t->reliable = t->dst.tp != REF_TP_UDP;
	free(t->msg);
	t->msg = msg;
	t->len = len;
	return 0;
}

static void send_cancel(struct ref_txn *t)
{
	/* RFC 3261 9.1: same address, port and transport as the INVITE (the same connection
	 * while it lives: ref_tcp finds it). */
	struct ref_txn_params p = {
		.method = "CANCEL", .uri = t->uri, .branch = t->branch, .call_id = t->call_id,
		.from_tag = t->from_tag, .cseq = t->cseq, .dst = t->dst, .tls_name = t->tls_name,
	};
	struct ref_txn *c;
	int rc;

	t->cancel_pending = false;
	t->cancel_sent = true;
	/* Ownerless: it runs its own timers E/F/K and frees itself. */
	rc = ref_txn_start(t->tbl, &p, NULL, NULL, &c);
	if (rc < 0) {
		ref_logf(t->tbl->log, "sip cannot send CANCEL to %s: %s", t->dst_str, strerror(-rc));
		return;
	}
	c->internal = true;
	/* RFC 3261 9.1: no final within 64*T1 after CANCEL -> the INVITE is given up. */
	ref_timer_start(t->tbl->loop, &t->main, 64u * t->tbl->t1);
}

static void on_retx(void *arg)
{
	struct ref_txn *t = arg;
	unsigned next;

	if (t->state != ST_CALLING && !(t->state == ST_PROCEEDING && !t->invite))
		return;
	t->sends++;
	ref_logf(t->tbl->log, "sip retransmit %s #%d to %s/%s branch=%s", t->method, t->sends,
		 t->dst_str, ref_tp_name(t->dst.tp), t->branch);
	if (send_buf(t, t->msg, t->len) < 0) {
		notify_failed(t, SUT_E_TRANSPORT);
		return;
	}
	if (ref_mutant("retx-new-branch")) {
		/* The request is rebuilt for every send, with a fresh branch each time. */
		char *msg = NULL;
		size_t len = 0;

		memcpy(t->branch, "z9hG4bK", 7);
		ref_rng_hex(t->tbl->rng, t->branch + 7, 16);
		t->branch[23] = '\0';
		if (build(t, t->method, t->branch, NULL, NULL, t->body_len, &msg, &len) == 0) {
			free(t->msg);
			t->msg = msg;
			t->len = len;
		}
	}
	if (t->ops && t->ops->retransmitted) {
		t->busy++;
		t->ops->retransmitted(t->arg, t);
		t->busy--;
	}
	if (t->invite)
		next = t->retx_ms * 2; /* timer A doubles without bound; B ends it */
	else if (t->state == ST_PROCEEDING)
		next = t->tbl->t2;
	else
		next = t->retx_ms * 2 < t->tbl->t2 ? t->retx_ms * 2 : t->tbl->t2;
	t->retx_ms = next;
	/* From the previous due time, not from now: under a 100x clock each wakeup is late by
	 * up to a wall millisecond (100 ms SUT), which would otherwise add up against B/F. */
	ref_timer_start_at(t->tbl->loop, &t->retx, t->retx.due_ms + next);
}

static void on_main(void *arg)
{
	struct ref_txn *t = arg;

	if (t->pending_err) {
		notify_failed(t, t->pending_err);
		return;
	}
	switch (t->state) {
	case ST_CALLING:
		ref_logf(t->tbl->log, "sip timer %s fired: no response from %s/%s branch=%s",
			 t->invite ? "B" : "F", t->dst_str, ref_tp_name(t->dst.tp), t->branch);
		notify_failed(t, SUT_E_TIMEOUT);
		break;
	case ST_PROCEEDING:
		if (t->cancel_sent) {
			ref_logf(t->tbl->log, "sip no final response within 64*T1 of CANCEL from %s",
				 t->dst_str);
			notify_failed(t, SUT_E_CANCELLED);
		} else {
			ref_logf(t->tbl->log, "sip %s: no final response from %s after a provisional",
				 t->invite ? "INVITE waited its cap" : "timer F fired", t->dst_str);
			notify_failed(t, SUT_E_TIMEOUT);
		}
		break;
	default:
		terminate(t);
		maybe_free(t);
		break;
	}
}

/* ACK for an INVITE final response: same branch for non-2xx (17.1.1.3), a new one for a
 * 2xx (a transaction of its own). Same Request-URI, Call-ID, From, CSeq number. */
static void send_ack(struct ref_txn *t, const struct ref_sip_rsp *rsp)
{
	char branch[32];
	int rc;

	if (!t->ack) {
		const char *b = t->branch;

		if ((rsp->status < 300 && !ref_mutant("ack2xx-same-branch")) ||
		    ref_mutant("ack-new-branch")) {
			memcpy(branch, "z9hG4bK", 7);
			ref_rng_hex(t->tbl->rng, branch + 7, 16);
			b = branch;
		}
		rc = build(t, "ACK", b, rsp->to_tag, "ACK", 0, &t->ack, &t->ack_len);
		if (rc < 0) {
			ref_logf(t->tbl->log, "sip cannot build ACK: %s", strerror(-rc));
			return;
		}
		ref_logf(t->tbl->log, "sip ACK for %d to %s/%s branch=%s", rsp->status, t->dst_str,
			 ref_tp_name(t->dst.tp), b);
	} else {
		ref_logf(t->tbl->log, "sip re-sending ACK for retransmitted %d to %s", rsp->status,
			 t->dst_str);
	}
	if (send_buf(t, t->ack, t->ack_len) < 0)
		ref_logf(t->tbl->log, "sip ACK send to %s failed", t->dst_str);
}

static void on_response(struct ref_txn *t, const struct ref_sip_rsp *rsp)
{
	struct ref_loop *loop = t->tbl->loop;

	if (rsp->status < 200) {
		if (t->state != ST_CALLING && t->state != ST_PROCEEDING)
			return;
		if (t->state == ST_CALLING) {
			t->state = ST_PROCEEDING;
			if (t->invite) {
				/* Retransmissions stop; waiting for the final is capped. */
				ref_timer_stop(loop, &t->retx);
				ref_timer_start(loop, &t->main, t->tbl->proceeding_cap);
			} else {
				t->retx_ms = t->tbl->t2;
			}
		}
		if (t->cancel_pending)
			send_cancel(t);
		notify_rsp(t, rsp);
		return;
	}
	if (t->state == ST_COMPLETED || t->state == ST_ACCEPTED) {
		if (t->invite && (rsp->status < 300) == (t->state == ST_ACCEPTED))
			send_ack(t, rsp);
		return;
	}
	if (t->state == ST_TERMINATED)
		return;
	ref_timer_stop(loop, &t->retx);
	if (t->invite) {
		if (!(ref_mutant("no-ack-503") && rsp->status == 503))
			send_ack(t, rsp);
		t->state = rsp->status < 300 ? ST_ACCEPTED : ST_COMPLETED;
		/* Timer D is 32 s on UDP, 0 on a reliable transport; a 2xx is re-ACKed for 64*T1
		 * whatever the transport (RFC 6026 timer M: the UAS core retransmits it). */
		ref_timer_start(loop, &t->main, rsp->status < 300 ? 64u * t->tbl->t1 :
				t->reliable ? 0 : 32000u);
	} else {
		t->state = ST_COMPLETED;
		ref_timer_start(loop, &t->main, t->reliable ? 0 : t->tbl->t4); /* timer K */
	}
	notify_rsp(t, rsp);
}

static struct ref_txn *find(struct ref_txns *tbl, const char *branch, const char *method,
			    const struct sockaddr *from)
{
	struct ref_txn *t, *any = NULL;

	/* Newest first; the same branch may exist twice (a seeded bug reusing branches). */
	TAILQ_FOREACH(t, &tbl->list, link) {
		if (strcmp(t->branch, branch) != 0 || strcasecmp(t->method, method) != 0)
			continue;
		if (!from || ref_addr_equal(from, (const struct sockaddr *)&t->dst.sa))
			return t;
		if (!any)
			any = t;
	}
	return any;
}

void ref_txns_on_message(struct ref_txns *tbl, const char *buf, size_t len,
			 const struct sockaddr *from, struct ref_conn *conn)
{
	struct ref_sip_rsp rsp;
	char src[REF_ADDRSTRLEN];
	struct ref_txn *t;

	ref_addr_str(from, src, sizeof(src));
	if (ref_sip_parse_response(buf, len, &rsp) < 0) {
		ref_logf(tbl->log, "sip ignored a %s from %s that is not a usable response",
			 conn ? "message" : "datagram", src);
		return;
	}
	t = find(tbl, rsp.branch, rsp.cseq_method, from);
	ref_logf(tbl->log, "sip recv %d %s (%s) from %s/%s branch=%s%s", rsp.status, rsp.reason,
		 rsp.cseq_method, src, conn ? ref_tp_name(ref_conn_peer(conn)->tp) : "udp",
		 rsp.branch, t ? "" : ": no transaction, ignored");
	if (t)
		on_response(t, &rsp);
}

void ref_txns_on_icmp(struct ref_txns *tbl, int err, const struct sockaddr *dst,
		      const char *payload, size_t len)
{
	char branch[80], where[REF_ADDRSTRLEN];
	struct ref_txn *t, *next;

	ref_addr_str(dst, where, sizeof(where));
	ref_logf(tbl->log, "sip ICMP error for %s: %s", where, strerror(err));
	if (ref_sip_find_branch(payload, len, branch, sizeof(branch)) < 0)
		branch[0] = '\0';
	for (t = TAILQ_FIRST(&tbl->list); t; t = next) {
		next = TAILQ_NEXT(t, link);
		if (!ref_addr_equal(dst, (const struct sockaddr *)&t->dst.sa) || t->internal)
			continue;
		if (branch[0] && strcmp(branch, t->branch) != 0)
			continue;
		/* Only before any response: a provisional proves the server was reached. */
		if (t->state != ST_CALLING)
			continue;
		notify_failed(t, SUT_E_TRANSPORT);
		return; /* one ICMP error quotes one datagram: one transaction */
	}
}

/* The connection under t is gone (RFC 3261 17.1.1.2 / 17.1.2.2: a transport error is
 * reported to the TU and ends the transaction), except for the one case 18.1.1 repairs. */
static void conn_lost(struct ref_txn *t, int err, const char *why)
{
	ref_conn_release(t->conn);
	t->conn = NULL;
	if (t->state == ST_CALLING && t->mtu_switched && err == -ECONNREFUSED) {
		/* 18.1.1: TCP chosen only for the size and reset when connecting: retry on UDP. */
		ref_logf(t->tbl->log, "sip %s to %s: TCP refused (%s); retrying over UDP "
			 "(RFC 3261 18.1.1)", t->method, t->dst_str, why);
		t->mtu_switched = false;
		t->dst.tp = REF_TP_UDP;
		if (prepare(t) == 0 && send_buf(t, t->msg, t->len) == 0) {
			t->retx_ms = t->tbl->t1;
			ref_timer_start(t->tbl->loop, &t->retx, t->retx_ms);
			return;
		}
		notify_failed(t, SUT_E_TRANSPORT);
		return;
	}
	if (t->state != ST_CALLING && t->state != ST_PROCEEDING)
		return; /* the final response is in: nothing more to say on it */
	ref_logf(t->tbl->log, "sip %s to %s/%s branch=%s: connection lost before the final "
		 "response: %s", t->method, t->dst_str, ref_tp_name(t->dst.tp), t->branch, why);
	if (t->internal) {
		terminate(t);
		maybe_free(t);
		return;
	}
	notify_failed(t, SUT_E_TRANSPORT);
}

void ref_txns_on_down(struct ref_txns *tbl, struct ref_conn *conn, int err, const char *why)
{
	struct ref_txn *t;

	/* Marked first: telling one transaction may start others (failover), which must not
	 * be told, and may free some that were marked. */
	TAILQ_FOREACH(t, &tbl->list, link)
		t->down_mark = t->conn == conn;
	for (;;) {
		TAILQ_FOREACH(t, &tbl->list, link)
			if (t->down_mark)
				break;
		if (!t)
			return;
		t->down_mark = false;
		conn_lost(t, err, why);
	}
}

int ref_txn_start(struct ref_txns *tbl, const struct ref_txn_params *p,
		  const struct ref_txn_owner *ops, void *arg, struct ref_txn **out)
{
	struct ref_txn *t = calloc(1, sizeof(*t));
	int rc = -ENOMEM;

	*out = NULL;
	if (!t)
		return rc;
	rc = -ENAMETOOLONG;
	if (snprintf(t->method, sizeof(t->method), "%s", p->method) >= (int)sizeof(t->method) ||
	    snprintf(t->branch, sizeof(t->branch), "%s", p->branch) >= (int)sizeof(t->branch) ||
	    snprintf(t->uri, sizeof(t->uri), "%s", p->uri) >= (int)sizeof(t->uri) ||
	    snprintf(t->call_id, sizeof(t->call_id), "%s", p->call_id) >= (int)sizeof(t->call_id) ||
	    snprintf(t->from_tag, sizeof(t->from_tag), "%s", p->from_tag) >= (int)sizeof(t->from_tag) ||
	    snprintf(t->tls_name, sizeof(t->tls_name), "%s", p->tls_name ? p->tls_name : "") >=
		    (int)sizeof(t->tls_name))
		goto fail;
	t->tbl = tbl;
	t->invite = strcmp(p->method, "INVITE") == 0;
	t->cseq = p->cseq;
	t->dst = p->dst;
	t->body_len = p->body_len;
	ref_addr_str((const struct sockaddr *)&t->dst.sa, t->dst_str, sizeof(t->dst_str));
	t->ops = ops;
	t->arg = arg;
	ref_timer_init(&t->retx, on_retx, t);
	ref_timer_init(&t->main, on_main, t);
	rc = prepare(t);
	if (rc < 0)
		goto fail;
	if (t->dst.tp == REF_TP_UDP &&
	    ref_tp_for_size(REF_TP_UDP, t->len, ref_tport_mask(tbl->tport)) == REF_TP_TCP) {
		/* RFC 3261 18.1.1: over 1300 bytes with the path MTU unknown: TCP, same target. */
		t->dst.tp = REF_TP_TCP;
		if (prepare(t) == 0) {
			t->mtu_switched = true;
			ref_logf(tbl->log, "sip %s is %zu bytes, over 1300: TCP to %s instead of UDP "
				 "(RFC 3261 18.1.1)", t->method, t->len, t->dst_str);
		} else {
			t->dst.tp = REF_TP_UDP;
			rc = prepare(t);
			if (rc < 0)
				goto fail;
		}
	}
	TAILQ_INSERT_HEAD(&tbl->list, t, link);
	t->state = ST_CALLING;
	t->sends = 1;
	t->retx_ms = tbl->t1;
	ref_logf(tbl->log, "sip send %s to %s/%s branch=%s (%zu bytes)", t->method, t->dst_str,
		 ref_tp_name(t->dst.tp), t->branch, t->len);
	rc = send_buf(t, t->msg, t->len);
	if (rc < 0) {
		/* Reported from the loop, never from inside this call. */
		ref_logf(tbl->log, "sip send to %s failed: %s", t->dst_str, strerror(-rc));
		t->pending_err = SUT_E_TRANSPORT;
		ref_timer_start(tbl->loop, &t->main, 0);
	} else {
		/* Reliable transports: no timer A/E, the transport retransmits (17.1.1.2). */
		if (!t->reliable)
			ref_timer_start(tbl->loop, &t->retx, t->retx_ms);
		ref_timer_start(tbl->loop, &t->main, t->invite ? tbl->timer_b : tbl->timer_f);
	}
	*out = t;
	return 0;
fail:
	ref_conn_release(t->conn);
	free(t->msg);
	free(t);
	return rc;
}

int ref_txn_cancel(struct ref_txn *t)
{
	if (!t->invite)
		return -EINVAL;
	if (t->cancel_sent || t->cancel_pending)
		return 0;
	if (t->state == ST_PROCEEDING) {
		send_cancel(t);
		return 0;
	}
	if (t->state == ST_CALLING) {
		/* RFC 3261 9.1: no CANCEL before a provisional response. */
		ref_logf(t->tbl->log, "sip CANCEL deferred until a provisional arrives from %s",
			 t->dst_str);
		t->cancel_pending = true;
		return 0;
	}
	return -EALREADY;
}

void ref_txn_detach(struct ref_txn *t)
{
	t->ops = NULL;
	t->arg = NULL;
	maybe_free(t);
}

void ref_txn_redirect(struct ref_txn *t, const struct ref_target *dst)
{
	t->dst = *dst;
	ref_addr_str((const struct sockaddr *)&t->dst.sa, t->dst_str, sizeof(t->dst_str));
	if (prepare(t) < 0)
		ref_logf(t->tbl->log, "sip cannot send to %s any more", t->dst_str);
}

enum ref_tp ref_txn_tp(const struct ref_txn *t)
{
	return t->dst.tp;
}

void ref_txns_init(struct ref_txns *tbl)
{
	TAILQ_INIT(&tbl->list);
}

void ref_txns_fini(struct ref_txns *tbl)
{
	struct ref_txn *t;

	while ((t = TAILQ_FIRST(&tbl->list))) {
		t->ops = NULL;
		t->busy = 0;
		terminate(t);
		maybe_free(t);
	}
}
