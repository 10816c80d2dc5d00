/* sl_check_role.c: checks for the roles where the SUT receives requests: where its
 * responses went (RFC 3263 section 5) and whether the copies of one forwarded request all
 * reached one server (section 4.4). Pure functions of the event log, like sl_check.c. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sl_check.h"
#include "sl_evlog.h"

/* A response from the SUT, at the harness UAC or at a peer. */
static int is_response_in(const struct sl_event *e)
{
	return e->kind == SL_EV_SIP_RX && e->status && !e->method && !e->text;
}

static int is_request_to_peer(const struct sl_event *e)
{
	return e->kind == SL_EV_SIP_RX && e->method && !e->text;
}

static void dest_of(const struct sl_event *e, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", e->server ? e->server : "?", e->transport ? e->transport : "?");
}

void sl_check_response_route(const struct sl_evlog *l, int status, const char *method,
			     const char *const *dests, size_t n, struct sl_check_out *o)
{
	memset(o, 0, sizeof(*o));
	char seen[64][80];
	size_t nseen = 0;
	char cur[80] = "";
	const char *cur_branch = NULL;
	int cur_status = 0;
	for (size_t i = 0; i < sl_evlog_count(l); i++) {
		const struct sl_event *e = sl_evlog_get(l, i);
		if (!is_response_in(e) || (status ? e->status != status : e->status < 200) ||
		    (method && (!e->cseq_method || strcmp(e->cseq_method, method))))
			continue;
		char d[80];
		dest_of(e, d, sizeof(d));
		const char *br = e->branch ? e->branch : "";
		/* One attempt: a run of copies of one response at one destination. */
		if (cur_branch && !strcmp(d, cur) && !strcmp(br, cur_branch) &&
		    cur_status == e->status)
			continue;
		snprintf(cur, sizeof(cur), "%s", d);
		cur_branch = br;
		cur_status = e->status;
		if (nseen < 64)
			snprintf(seen[nseen++], sizeof(seen[0]), "%s", d);
		sl_check_add_ev(o, e->idx);
	}
	int ok = nseen == n;
	for (size_t i = 0; ok && i < n; i++)
		ok = !strcmp(seen[i], dests[i]);
	o->pass = ok;
	o->seen = nseen > 0;
	if (status)
		sl_check_say(o, "expected the %d response%s%s at: ", status, method ? " to " : "",
		    method ? method : "");
	else
		sl_check_say(o, "expected final responses%s%s at: ", method ? " to " : "", method ? method : "");
	for (size_t i = 0; i < n; i++)
		sl_check_say(o, "%s%s", i ? " -> " : "", dests[i]);
	if (!n)
		sl_check_say(o, "nowhere");
	sl_check_say(o, "; the SUT sent them to: ");
	for (size_t i = 0; i < nseen; i++)
		sl_check_say(o, "%s%s", i ? " -> " : "", seen[i]);
	if (!nseen) {
		sl_check_say(o, "no address the harness listens on");
		/* What the SUT did instead: its DNS queries and the requests it got. */
		for (size_t i = 0; i < sl_evlog_count(l) && o->nev < 8; i++) {
			const struct sl_event *e = sl_evlog_get(l, i);
			if (e->kind == SL_EV_DNS || (e->kind == SL_EV_SIP_TX && e->method))
				sl_check_add_ev(o, e->idx);
		}
	}
}

/* Same transaction of the client: Call-ID, CSeq number and method. */
static int same_txn(const struct sl_event *a, const struct sl_event *b)
{
	return a->call_id && b->call_id && !strcmp(a->call_id, b->call_id) && a->cseq == b->cseq &&
	       a->method && b->method && !strcmp(a->method, b->method);
}

static int wanted_request(const struct sl_event *e, const char *method)
{
	return is_request_to_peer(e) && (method ? !strcmp(e->method, method) :
	       (strcmp(e->method, "ACK") && strcmp(e->method, "CANCEL")));
}

static int first_of_txn(const struct sl_evlog *l, size_t i)
{
	const struct sl_event *g = sl_evlog_get(l, i);
	for (size_t k = 0; k < i; k++)
		if (is_request_to_peer(sl_evlog_get(l, k)) && same_txn(sl_evlog_get(l, k), g))
			return 0;
	return 1;
}

static int same_dest(const struct sl_event *a, const struct sl_event *b)
{
	return a->server && b->server && a->transport && b->transport &&
	       !strcmp(a->server, b->server) && !strcmp(a->transport, b->transport);
}

/* SL_OS_FAILOVER: from the failover on, no copy goes back to a server the transaction
 * left. The failover is the SUT's own proof that it knew the first server failed (RFC
 * 3263 4.4: from then on it SHOULD be stateful); copies that reached the first server
 * before it are the unavoidable ones of a stateless proxy and are not judged. */
static void one_server_failover(const struct sl_evlog *l, const char *method,
				struct sl_check_out *o)
{
	size_t nev = sl_evlog_count(l);
	unsigned groups = 0, judged = 0, client_after = 0, early = 0;
	for (size_t i = 0; i < nev; i++) {
		const struct sl_event *g = sl_evlog_get(l, i);
		if (!wanted_request(g, method) || !first_of_txn(l, i))
			continue;
		/* The servers in the order the transaction reached them. */
		const struct sl_event *left[16] = { NULL }, *cur = g, *fo = NULL;
		size_t nleft = 0;
		unsigned back = 0;
		for (size_t k = i + 1; k < nev; k++) {
			const struct sl_event *e = sl_evlog_get(l, k);
			if (fo && e->kind == SL_EV_SIP_TX && e->method && same_txn(e, g)) {
				client_after++;
				continue;
			}
			if (!is_request_to_peer(e) || !same_txn(e, g))
				continue;
			if (!fo && same_dest(e, g)) {
				early++; /* before the SUT showed it knew: not judged */
				continue;
			}
			if (fo)
				judged++;
			if (same_dest(e, cur))
				continue;
			int was_left = 0;
			for (size_t j = 0; j < nleft && !was_left; j++)
				was_left = same_dest(e, left[j]);
			if (!was_left) {
				/* A failover (the first, or a further one): the transaction moves on. */
				if (nleft < 16)
					left[nleft++] = cur;
				cur = e;
				if (!fo) {
					fo = e;
					groups++;
					sl_check_add_ev(o, e->idx);
				}
				continue;
			}
			back++;
			o->pass = 0;
			if (back > 4)
				continue;
			/* The client's copy that came last before it: what the SUT forwarded. */
			const struct sl_event *c = NULL;
			for (size_t j = k; j-- > i && !c;) {
				const struct sl_event *q = sl_evlog_get(l, j);
				if (q->kind == SL_EV_SIP_TX && q->method && same_txn(q, g))
					c = q;
			}
			sl_check_say(o, "%s (Call-ID %s, CSeq %lu) copy at %s/%s (t=%.3fs) after the failover "
			    "to %s/%s (t=%.3fs): back at a server the transaction left", g->method,
			    g->call_id, g->cseq, e->server, e->transport, e->t_sut, fo->server,
			    fo->transport, fo->t_sut);
			if (c) {
				sl_check_say(o, "; the client's copy before it was sent at t=%.3fs", c->t_sut);
				sl_check_add_ev(o, c->idx);
			}
			sl_check_say(o, ". ");
			sl_check_add_ev(o, e->idx);
		}
		if (back > 4)
			sl_check_say(o, "... %u copies in all went back. ", back);
	}
	o->seen = client_after > 0;
	if (o->pass) {
		sl_check_say(o, "%u transaction(s) failed over; %u copies of the request reached a server "
		    "after the failover, none at a server the transaction had left; the client "
		    "sent %u copies after the failover; %u copies reached the first server "
		    "before it (not judged: the SUT may not have known yet)", groups, judged,
		    client_after, early);
		if (!o->seen)
			sl_check_say(o, " (nothing to judge: %s)", groups ? "the client sent nothing after "
			    "the failover" : "no transaction failed over");
	}
}

void sl_check_one_server(const struct sl_evlog *l, const char *method,
			 enum sl_one_server_from from, struct sl_check_out *o)
{
	memset(o, 0, sizeof(*o));
	o->pass = 1;
	if (from == SL_OS_FAILOVER) {
		one_server_failover(l, method, o);
		return;
	}
	int after_answer = from == SL_OS_ANSWER;
	size_t nev = sl_evlog_count(l);
	unsigned groups = 0, copies = 0, client_rtx = 0;
	for (size_t i = 0; i < nev; i++) {
		const struct sl_event *g = sl_evlog_get(l, i);
		if (!is_request_to_peer(g) || (method ? strcmp(g->method, method) :
		    (!strcmp(g->method, "ACK") || !strcmp(g->method, "CANCEL"))))
			continue;
		int first = 1;
		for (size_t k = 0; k < i && first; k++)
			first = !(is_request_to_peer(sl_evlog_get(l, k)) &&
				  same_txn(sl_evlog_get(l, k), g));
		if (!first)
			continue;
		/* The server that holds the transaction: with after_answer, the first one that
		 * answered it with anything but 503 (a failed server is no holder). */
		const struct sl_event *holder = after_answer ? NULL : g, *answer = NULL;
		size_t from = i;
		if (after_answer) {
			for (size_t k = i; k < nev && !holder; k++) {
				const struct sl_event *e = sl_evlog_get(l, k);
				if (e->kind == SL_EV_SIP_TX && e->status && e->status != 503 &&
				    e->call_id && !strcmp(e->call_id, g->call_id) && e->cseq == g->cseq &&
				    e->cseq_method && !strcmp(e->cseq_method, g->method)) {
					answer = e;
					from = k;
					for (size_t j = k; j-- > i && !holder;) {
						const struct sl_event *q = sl_evlog_get(l, j);
						if (is_request_to_peer(q) && same_txn(q, g) && q->server &&
						    e->server && !strcmp(q->server, e->server))
							holder = q;
					}
				}
			}
			if (!holder)
				continue;
			sl_check_add_ev(o, answer->idx);
			/* Did the client retransmit after the answer? Only then the case happened. */
			for (size_t k = from; k < nev; k++) {
				const struct sl_event *e = sl_evlog_get(l, k);
				if (e->kind == SL_EV_SIP_TX && e->method && same_txn(e, g))
					client_rtx++;
			}
		}
		groups++;
		sl_check_add_ev(o, holder->idx);
		unsigned here = 0, elsewhere = 0;
		for (size_t k = from; k < nev; k++) {
			const struct sl_event *e = sl_evlog_get(l, k);
			if (!is_request_to_peer(e) || !same_txn(e, g))
				continue;
			copies++;
			if (!strcmp(e->server, holder->server) && !strcmp(e->transport, holder->transport)) {
				here++;
				continue;
			}
			elsewhere++;
			if (elsewhere <= 4) {
				o->pass = 0;
				sl_check_say(o, "%s (Call-ID %s, CSeq %lu) copy at %s/%s (t=%.3fs), but %s "
				    "%s/%s. ", g->method, g->call_id, g->cseq, e->server, e->transport,
				    e->t_sut, after_answer ? "the server that answered is" :
				    "the first copy went to", holder->server, holder->transport);
				sl_check_add_ev(o, e->idx);
			}
		}
		if (elsewhere > 4)
			sl_check_say(o, "... %u copies in all away from %s. ", elsewhere, holder->server);
		if (!after_answer && here + elsewhere > 1)
			o->seen = 1;
	}
	if (after_answer)
		o->seen = client_rtx > 0;
	if (o->pass) {
		if (after_answer)
			sl_check_say(o, "%u transaction(s) answered by a server; %u copies of the request "
			    "reached a server after the answer, all the one that answered; the "
			    "client sent %u copies after the answer", groups, copies, client_rtx);
		else
			sl_check_say(o, "%u transaction(s), %u copies of their requests at the servers, each "
			    "transaction's at one server", groups, copies);
		if (!o->seen)
			sl_check_say(o, " (nothing to judge: %s)", after_answer ?
			    "the client sent nothing after the answer" : "no request reached a "
			    "server twice");
	}
}
