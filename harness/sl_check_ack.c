/* sl_check_ack.c: the ACK of a 2xx to INVITE: what RFC 3261 makes a MUST is judged, where
 * the ACK was routed (TXN-ACK2XX, a MAY of RFC 3263 section 4) is recorded, not judged. */
#include <string.h>

#include "sl_check.h"
#include "sl_evlog.h"

static int is_request_to_peer(const struct sl_event *e)
{
	return (e->kind == SL_EV_SIP_RX || e->kind == SL_EV_STRAY) && e->method && !e->text;
}

static int same(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

/* Did the SUT send a request with this branch for INVITE call_id/cseq before event end? */
static int invite_branch(const struct sl_evlog *l, const struct sl_event *ack, size_t end)
{
	for (size_t k = 0; k < end; k++) {
		const struct sl_event *f = sl_evlog_get(l, k);
		if (is_request_to_peer(f) && !strcmp(f->method, "INVITE") &&
		    same(f->call_id, ack->call_id) && f->cseq == ack->cseq && same(f->branch, ack->branch))
			return 1;
	}
	return 0;
}

/* The first 2xx of each (Call-ID, To tag): its retransmissions are the same response. */
static int first_2xx(const struct sl_evlog *l, const struct sl_event *e, size_t i)
{
	for (size_t k = 0; k < i; k++) {
		const struct sl_event *f = sl_evlog_get(l, k);
		if (f->kind == SL_EV_SIP_TX && f->status == e->status && same(f->call_id, e->call_id) &&
		    f->cseq == e->cseq && same(f->to_tag, e->to_tag) && same(f->cseq_method, "INVITE"))
			return 0;
	}
	return 1;
}

/* Judges one 2xx (event index i); returns 1 when an ACK was found. */
static int judge(const struct sl_evlog *l, size_t i, struct sl_check_out *o)
{
	const struct sl_event *ok = sl_evlog_get(l, i), *ack = NULL;
	size_t nev = sl_evlog_count(l), k;
	unsigned dns = 0;
	for (k = i + 1; k < nev && !ack; k++) {
		const struct sl_event *e = sl_evlog_get(l, k);
		if (e->kind == SL_EV_DNS)
			dns++;
		if (is_request_to_peer(e) && !strcmp(e->method, "ACK") && same(e->call_id, ok->call_id) &&
		    e->cseq == ok->cseq)
			ack = e;
	}
	sl_check_add_ev(o, ok->idx);
	if (!ack) {
		o->pass = 0;
		sl_check_say(o, "the %d to INVITE (Call-ID %s) from %s was never ACKed (RFC 3261 "
		    "13.2.2.4: the UAC core MUST ACK every 2xx). ", ok->status,
		    ok->call_id ? ok->call_id : "?", ok->server ? ok->server : "?");
		return 0;
	}
	sl_check_add_ev(o, ack->idx);
	if (!ack->branch || invite_branch(l, ack, k)) {
		o->pass = 0;
		sl_check_say(o, "the ACK of the %d carries %s%s (RFC 3261 8.1.1.7, 17.1.1.3: the "
		    "ACK of a 2xx is a transaction of its own, with a new branch). ", ok->status,
		    ack->branch ? "the INVITE's branch " : "no branch",
		    ack->branch ? ack->branch : "");
	}
	if (!same(ack->to_tag, ok->to_tag) || !same(ack->from_tag, ok->from_tag)) {
		o->pass = 0;
		sl_check_say(o, "the ACK's tags (From %s, To %s) are not the dialog's (From %s, To %s; "
		    "RFC 3261 13.2.2.4: the ACK is built as a request within the dialog). ",
		    ack->from_tag ? ack->from_tag : "none", ack->to_tag ? ack->to_tag : "none",
		    ok->from_tag ? ok->from_tag : "none", ok->to_tag ? ok->to_tag : "none");
	}
	if (o->pass)
		sl_check_say(o, "the %d was ACKed with a branch of its own and the dialog's tags. ",
		    ok->status);
	/* What RFC 3263 leaves open, reported as it happened. */
	int here = same(ack->server, ok->server) && same(ack->transport, ok->transport);
	sl_check_say(o, "TXN-ACK2XX (recorded, not judged): the ACK of the %d from %s/%s went to "
	    "%s/%s%s, Request-URI %s (%s), branch %s; %u DNS exchange(s) between the 2xx and the "
	    "ACK. ", ok->status, ok->server ? ok->server : "?", ok->transport ? ok->transport : "?",
	    ack->server ? ack->server : "?", ack->transport ? ack->transport : "?",
	    here ? " (the same server)" : " (routed anew)", ack->uri ? ack->uri : "?",
	    same(ack->uri, ok->contact) ? "the 2xx's Contact" : "not the 2xx's Contact",
	    ack->branch ? ack->branch : "none", dns);
	return 1;
}

void sl_check_ack2xx(const struct sl_evlog *l, struct sl_check_out *o)
{
	memset(o, 0, sizeof(*o));
	o->pass = 1;
	unsigned n = 0;
	for (size_t i = 0; i < sl_evlog_count(l); i++) {
		const struct sl_event *e = sl_evlog_get(l, i);
		if (e->kind != SL_EV_SIP_TX || e->status < 200 || e->status > 299 ||
		    !same(e->cseq_method, "INVITE") || !first_2xx(l, e, i))
			continue;
		n++;
		o->seen |= 1;
		if (judge(l, i, o))
			o->seen |= 2;
	}
	if (!n) {
		o->pass = 0;
		sl_check_say(o, "no peer sent a 2xx to an INVITE: there is no ACK of a 2xx to judge");
	}
}
